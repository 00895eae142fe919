package report

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/history"
)

// Each visualization shows a window of a key's history around one anomaly's own ops: porcupine's
// page is unusable beyond a few hundred ops, and its search needs bounding too.
const (
	linVizPages   = 8 // the first anomalies shown get a page each
	linVizOps     = 300
	linVizTimeout = 10 * time.Second
)

// linEntry is one op of a key in the visualized window.
type linEntry struct {
	send    bool
	process int
	call    int64
	ret     int64 // -1 while outstanding
	typ     history.Type
	value   string
	offset  int64 // send: acknowledged offset, or -1
	reads   []history.Read
	index   int64 // invocation index
}

// linInput is a porcupine input for the report's model, which mirrors the checker's: the state
// is how many of the window's owned offsets (offsets some send in it wrote) have been appended;
// a send appends its own rank; a poll needs every owned offset up to the last one it read.
type linInput struct {
	send     bool
	rank     int
	need     int
	mismatch string // a poll read a value other than the one its offset's owner sent
	desc     string
}

var linModel = porcupine.Model{
	Init: func() any { return 0 },
	Step: func(state, input, _ any) (bool, any) {
		k, in := state.(int), input.(*linInput)
		if in.send {
			return k == in.rank, k + 1
		}
		return in.mismatch == "" && k >= in.need, k
	},
	Hash:              func(state any) uint64 { return uint64(state.(int)) },
	DescribeOperation: func(input, _ any) string { return input.(*linInput).desc },
	DescribeState:     func(state any) string { return fmt.Sprintf("%d owned offsets appended", state.(int)) },
}

var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// linTarget is one nonlinearizable anomaly to visualize: its index among the anomalies of the
// type, its key and the time span of the ops it cites.
type linTarget struct {
	anomaly int
	key     string
	window  [2]int64
}

// writeLinViz writes one porcupine page per nonlinearizable anomaly shown (the first
// linVizPages), each around that anomaly's own ops, and returns anomaly index -> href relative
// to the run directory.
func writeLinViz(ctx context.Context, r *run) (map[int]string, error) {
	var targets []linTarget
	windows := map[string][][2]int64{}
	for i, a := range r.result.Anomalies[checker.Nonlinearizable] {
		if i == examplesPerType || len(targets) == linVizPages {
			break
		}
		lo, hi := int64(-1), int64(-1)
		for _, op := range a.Ops {
			if o, ok := r.scan.ops[op]; ok {
				if lo < 0 || o.Time < lo {
					lo = o.Time
				}
				hi = max(hi, o.Time)
			}
		}
		if lo < 0 {
			continue
		}
		t := linTarget{anomaly: i, key: a.Key, window: [2]int64{lo, hi}}
		targets = append(targets, t)
		windows[a.Key] = append(windows[a.Key], t.window)
	}
	links := map[int]string{}
	if len(targets) == 0 {
		return links, nil
	}
	f, err := os.Open(filepath.Join(r.dir, HistoryFile))
	if err != nil {
		return links, fmt.Errorf("open history: %w", err)
	}
	defer f.Close()
	entries, err := collectKeyOps(ctx, f, windows)
	if err != nil {
		return links, err
	}
	if err := os.MkdirAll(filepath.Join(r.dir, LinVizDir), 0o755); err != nil {
		return links, fmt.Errorf("linearizability dir: %w", err)
	}
	var errs []error
	for _, t := range targets {
		name := fmt.Sprintf("%d-%s.html", t.anomaly+1, unsafeFileChars.ReplaceAllString(t.key, "_"))
		path := filepath.Join(r.dir, LinVizDir, name)
		var in []linEntry
		for _, e := range entries[t.key] {
			if e.overlaps(t.window) {
				in = append(in, e)
			}
		}
		if err := visualizeKey(ctx, path, t.key, t.window, in, r.scan.faults); err != nil {
			errs = append(errs, fmt.Errorf("anomaly %d (key %s): %w", t.anomaly+1, t.key, err))
			continue
		}
		links[t.anomaly] = LinVizDir + "/" + name
	}
	return links, errors.Join(errs...)
}

// overlaps says whether the op ran during w; an op still outstanding (ret < 0) runs to the end.
func (e linEntry) overlaps(w [2]int64) bool {
	return e.call <= w[1] && (e.ret < 0 || e.ret >= w[0])
}

// inAny says whether e ran during any of the windows.
func (e linEntry) inAny(windows [][2]int64) bool {
	for _, w := range windows {
		if e.overlaps(w) {
			return true
		}
	}
	return false
}

// collectKeyOps streams the history and keeps the ops of each key that overlap any of its
// windows.
func collectKeyOps(ctx context.Context, r io.Reader, windows map[string][][2]int64) (map[string][]linEntry, error) {
	out := map[string][]linEntry{}
	open := map[int]*linEntry{}
	openKey := map[int]string{}
	dec := history.NewDecoder(r)
	for {
		op, err := dec.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read history: %w", err)
		}
		if op.Index%65536 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if !op.IsClient() {
			continue
		}
		if op.Type == history.Invoke {
			e := &linEntry{send: op.F == history.FSend, process: op.Process, call: op.Time, ret: -1, offset: -1, index: op.Index}
			open[op.Process], openKey[op.Process] = e, ""
			if e.send {
				if v, err := op.Send(); err == nil {
					e.value, openKey[op.Process] = v.Value, v.Key
				}
			}
			continue
		}
		e := open[op.Process]
		delete(open, op.Process)
		if e == nil {
			continue
		}
		e.ret, e.typ = op.Time, op.Type
		if e.send {
			key := openKey[op.Process]
			if !e.inAny(windows[key]) {
				continue
			}
			if v, err := op.Send(); err == nil && v.Offset != nil && op.Type == history.OK {
				e.offset = *v.Offset
			}
			out[key] = append(out[key], *e)
			continue
		}
		if op.Type != history.OK {
			continue
		}
		res, err := op.PollReads()
		if err != nil {
			continue
		}
		for key, reads := range res.Reads {
			if len(reads) > 0 && e.inAny(windows[key]) {
				p := *e
				p.reads = reads
				out[key] = append(out[key], p)
			}
		}
	}
	for p, e := range open { // sends outstanding at the end may have happened
		if e.send && e.inAny(windows[openKey[p]]) {
			e.typ = history.Info
			out[openKey[p]] = append(out[openKey[p]], *e)
		}
	}
	return out, nil
}

// bandColors match the report's band-N classes, so faults look the same in both pages.
var bandColors = []string{"#e53935", "#1e88e5", "#fdd835", "#8e24aa", "#43a047", "#fb8c00", "#00acc1", "#6d4c41"}

// visualizeKey checks the window of a key's history with porcupine and writes its page.
func visualizeKey(ctx context.Context, path, key string, window [2]int64, entries []linEntry, faults []faultBand) error {
	if len(entries) > linVizOps {
		center := (window[0] + window[1]) / 2
		dist := func(e linEntry) int64 { return max(e.call-center, center-e.call) }
		sort.SliceStable(entries, func(i, j int) bool { return dist(entries[i]) < dist(entries[j]) })
		entries = entries[:linVizOps]
	}
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].call < entries[j].call })
	start, end := int64(-1), int64(0)
	for _, e := range entries {
		if start < 0 || e.call < start {
			start = e.call
		}
		end = max(end, e.ret, e.call)
	}
	readAt := map[string]int64{} // value -> lowest offset it was read at
	for _, e := range entries {
		for _, rd := range e.reads {
			if o, ok := readAt[rd.Value]; !ok || rd.Offset < o {
				readAt[rd.Value] = rd.Offset
			}
		}
	}
	owner := map[int64]*linEntry{}
	ownOffset := map[int]int64{}
	for i := range entries {
		e := &entries[i]
		if !e.send {
			continue
		}
		own := e.offset
		if own < 0 && e.typ != history.Fail {
			if o, ok := readAt[e.value]; ok {
				own = o
			}
		}
		if _, dup := owner[own]; own >= 0 && !dup {
			owner[own] = e
			ownOffset[i] = own
		}
	}
	offsets := make([]int64, 0, len(owner))
	for o := range owner {
		offsets = append(offsets, o)
	}
	sort.Slice(offsets, func(i, j int) bool { return offsets[i] < offsets[j] })
	rank := func(o int64) int { return sort.Search(len(offsets), func(i int) bool { return offsets[i] >= o }) }
	var ops []porcupine.Operation
	for i, e := range entries {
		ret := e.ret
		if ret < 0 || e.typ != history.OK {
			ret = end + 1 // unknown outcome: may take effect any time after its call
		}
		if e.send {
			o, owns := ownOffset[i]
			if !owns {
				continue // failed, or never read: need not have happened
			}
			in := &linInput{send: true, rank: rank(o), desc: fmt.Sprintf("op %d: send %q @%d (%s)", e.index, clip(e.value), o, e.typ)}
			ops = append(ops, porcupine.Operation{ClientId: e.process, Input: in, Call: e.call, Return: ret})
			continue
		}
		last := e.reads[len(e.reads)-1].Offset
		in := &linInput{need: rank(last + 1)}
		for _, rd := range e.reads {
			last = max(last, rd.Offset)
			if w, ok := owner[rd.Offset]; ok && w.value != rd.Value && in.mismatch == "" {
				in.mismatch = fmt.Sprintf("; read %q at %d, sent %q", clip(rd.Value), rd.Offset, clip(w.value))
			}
		}
		in.need = rank(last + 1)
		in.desc = fmt.Sprintf("op %d: poll %d..%d%s", e.index, e.reads[0].Offset, last, in.mismatch)
		ops = append(ops, porcupine.Operation{ClientId: e.process, Input: in, Call: e.call, Return: ret})
	}
	if len(ops) == 0 {
		return fmt.Errorf("no ops of %s in the window %.3fs..%.3fs", key, secondsOf(window[0]), secondsOf(window[1]))
	}
	timeout := linVizTimeout
	if d, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(d))
	}
	outcome, info := porcupine.CheckOperationsVerbose(linModel, ops, timeout)
	info.AddAnnotations(linAnnotations(key, window, start, end, outcome, faults))
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create visualization: %w", err)
	}
	if err := porcupine.Visualize(linModel, info, f); err != nil {
		f.Close()
		return fmt.Errorf("visualize: %w", err)
	}
	return f.Close()
}

func linAnnotations(key string, window [2]int64, start, end int64, outcome porcupine.CheckResult, faults []faultBand) []porcupine.Annotation {
	kinds := faultKinds(faults)
	var out []porcupine.Annotation
	for _, f := range faults {
		if f.Error != "" || f.End < start || f.Start > end {
			continue
		}
		color := bandColors[0]
		var n int
		if _, err := fmt.Sscanf(kinds[f.Fault], "band band-%d", &n); err == nil {
			color = bandColors[n%len(bandColors)]
		}
		out = append(out, porcupine.Annotation{Tag: "faults", Start: max(f.Start, start), End: min(f.End, end),
			Description: f.Fault, Details: faultTitle(f), BackgroundColor: color, TextColor: "#000"})
	}
	out = append(out, porcupine.Annotation{Tag: "checker", Start: window[0], End: window[1],
		Description: "ops cited by the checker", Details: "the checker's nonlinearizable anomaly for " + key + " cites ops in this interval",
		BackgroundColor: "#ffcdd2"})
	if outcome == porcupine.Ok {
		out = append(out, porcupine.Annotation{Tag: "note", Start: start, End: start,
			Description: "this window linearizes",
			Details:     "the report's model (a window of the key, not the whole key) found a linearization; the checker's verdict and explanation are in index.html"})
	}
	return out
}
