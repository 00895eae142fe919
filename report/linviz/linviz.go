// Package linviz writes porcupine's visualizations of the report's nonlinearizable anomalies:
// one page per anomaly shown, around that anomaly's own ops, with the faults annotated.
package linviz

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/history"
	"github.com/kafkaesque/kafkaesque/report/plot"
	"github.com/kafkaesque/kafkaesque/report/rundir"
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

// Write writes one porcupine page per nonlinearizable anomaly shown (the first linVizPages),
// each around that anomaly's own ops, under the run directory's linearizability/, and returns
// anomaly index -> href relative to the run directory.
func Write(ctx context.Context, r *rundir.Run) (map[int]string, error) {
	var targets []linTarget
	windows := map[string][][2]int64{}
	for i, a := range r.Result.Anomalies[checker.Nonlinearizable] {
		if i == rundir.ExamplesPerType || len(targets) == linVizPages {
			break
		}
		lo, hi := int64(-1), int64(-1)
		for _, op := range a.Ops {
			if o, ok := r.Scan.Ops[op]; ok {
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
	f, err := os.Open(filepath.Join(r.Dir, rundir.HistoryFile))
	if err != nil {
		return links, fmt.Errorf("open history: %w", err)
	}
	defer f.Close()
	entries, err := collectKeyOps(ctx, f, windows)
	if err != nil {
		return links, err
	}
	if err := os.MkdirAll(filepath.Join(r.Dir, rundir.LinVizDir), 0o755); err != nil {
		return links, fmt.Errorf("linearizability dir: %w", err)
	}
	var errs []error
	for _, t := range targets {
		name := fmt.Sprintf("%d-%s.html", t.anomaly+1, unsafeFileChars.ReplaceAllString(t.key, "_"))
		path := filepath.Join(r.Dir, rundir.LinVizDir, name)
		var in []linEntry
		for _, e := range entries[t.key] {
			if e.overlaps(t.window) {
				in = append(in, e)
			}
		}
		if err := visualizeKey(ctx, path, t.key, t.window, in, r.Scan.Faults); err != nil {
			errs = append(errs, fmt.Errorf("anomaly %d (key %s): %w", t.anomaly+1, t.key, err))
			continue
		}
		links[t.anomaly] = rundir.LinVizDir + "/" + name
	}
	return links, errors.Join(errs...)
}

// bandColors match the report's band-N classes, so faults look the same in both pages.
var bandColors = []string{"#e53935", "#1e88e5", "#fdd835", "#8e24aa", "#43a047", "#fb8c00", "#00acc1", "#6d4c41"}

// visualizeKey checks the window of a key's history with porcupine and writes its page.
func visualizeKey(ctx context.Context, path, key string, window [2]int64, entries []linEntry, faults []rundir.FaultBand) error {
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
			in := &linInput{send: true, rank: rank(o), desc: fmt.Sprintf("op %d: send %q @%d (%s)", e.index, rundir.Clip(e.value), o, e.typ)}
			ops = append(ops, porcupine.Operation{ClientId: e.process, Input: in, Call: e.call, Return: ret})
			continue
		}
		last := e.reads[len(e.reads)-1].Offset
		in := &linInput{need: rank(last + 1)}
		for _, rd := range e.reads {
			last = max(last, rd.Offset)
			if w, ok := owner[rd.Offset]; ok && w.value != rd.Value && in.mismatch == "" {
				in.mismatch = fmt.Sprintf("; read %q at %d, sent %q", rundir.Clip(rd.Value), rd.Offset, rundir.Clip(w.value))
			}
		}
		in.need = rank(last + 1)
		in.desc = fmt.Sprintf("op %d: poll %d..%d%s", e.index, e.reads[0].Offset, last, in.mismatch)
		ops = append(ops, porcupine.Operation{ClientId: e.process, Input: in, Call: e.call, Return: ret})
	}
	if len(ops) == 0 {
		return fmt.Errorf("no ops of %s in the window %.3fs..%.3fs", key, rundir.Seconds(window[0]), rundir.Seconds(window[1]))
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

func linAnnotations(key string, window [2]int64, start, end int64, outcome porcupine.CheckResult, faults []rundir.FaultBand) []porcupine.Annotation {
	kinds := plot.FaultKinds(faults)
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
			Description: f.Fault, Details: plot.FaultTitle(f), BackgroundColor: color, TextColor: "#000"})
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
