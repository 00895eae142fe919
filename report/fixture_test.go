package report

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/history"
	"github.com/kafkaesque/kafkaesque/report/rundir"
)

// readOps returns every op of a run directory's history.
func readOps(t testing.TB, dir string) []history.Op {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, rundir.HistoryFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := history.NewDecoder(f)
	var ops []history.Op
	for {
		op, err := dec.Next()
		if errors.Is(err, io.EOF) {
			return ops
		}
		if err != nil {
			t.Fatal(err)
		}
		ops = append(ops, op)
	}
}

// renderPage writes a run directory's report and returns its page.
func renderPage(t testing.TB, dir string) string {
	t.Helper()
	if err := Write(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, rundir.ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// readJUnit decodes a run directory's junit.xml.
func readJUnit(t testing.TB, dir string) junitSuites {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, rundir.JUnitFile))
	if err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// patchResults rewrites a run directory's results.json through edit.
func patchResults(t testing.TB, dir string, edit func(*checker.Result)) {
	t.Helper()
	res, _, err := rundir.LoadResult(dir)
	if err != nil {
		t.Fatal(err)
	}
	edit(res)
	data, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, rundir.ResultsFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// sectionsFixture names the ops the hand-made results of withNewSections cite.
type sectionsFixture struct {
	causes       []checker.Cause
	lag          []checker.PartitionLag
	phantomPoll  int64      // the ok poll that read a value sent to another partition
	phantomSend  int64      // the send that carried it, to jepsen-2
	nonlinearOps [2][]int64 // the ops of two nonlinearizable anomalies of jepsen-0, far apart
}

// firstOpAfter returns the first op at or after the given second that matches.
func firstOpAfter(t testing.TB, ops []history.Op, at float64, match func(history.Op) bool) history.Op {
	t.Helper()
	for _, op := range ops {
		if op.Time >= int64(at*1e9) && match(op) {
			return op
		}
	}
	t.Fatalf("no op after %.1fs matches", at)
	return history.Op{}
}

// invocationOf returns the index of a completion's invocation.
func invocationOf(t testing.TB, ops []history.Op, done history.Op) int64 {
	t.Helper()
	for i := len(ops) - 1; i >= 0; i-- {
		if op := ops[i]; op.Index < done.Index && op.Process == done.Process && op.Type == history.Invoke {
			return op.Index
		}
	}
	t.Fatalf("op %d has no invocation", done.Index)
	return -1
}

func sendTo(key string, typ history.Type) func(history.Op) bool {
	return func(op history.Op) bool {
		v, err := op.Send()
		return op.F == history.FSend && op.Type == typ && err == nil && v.Key == key
	}
}

func pollOf(key string) func(history.Op) bool {
	return func(op history.Op) bool {
		if op.F != history.FPoll || op.Type != history.OK {
			return false
		}
		r, err := op.PollReads()
		return err == nil && len(r.Reads[key]) > 0
	}
}

// withNewSections gives a synthetic run what issue 9's checker adds: distinct causes, realtime
// lag, a phantom read (a real one: a poll appended to the history reads a value sent to another
// partition) and two nonlinearizable anomalies of one key, 20 seconds apart. The results are
// hand-made, so the report's tests do not depend on the checker's heuristics.
func withNewSections(t testing.TB, dir string) sectionsFixture {
	t.Helper()
	ops := readOps(t, dir)
	var fx sectionsFixture
	send := firstOpAfter(t, ops, 20, sendTo("jepsen-2", history.OK))
	sent, _ := send.Send()
	fx.phantomSend = send.Index
	last := ops[len(ops)-1]
	f, err := os.OpenFile(filepath.Join(dir, rundir.HistoryFile), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	w := history.NewWriter(f)
	inv := history.Op{Index: last.Index + 1, Time: last.Time + 1e6, Process: 3, Type: history.Invoke, F: history.FPoll}
	inv.Value, _ = json.Marshal(history.PollInvoke{Keys: []string{"jepsen-0"}})
	ok := history.Op{Index: last.Index + 2, Time: last.Time + 2e6, Process: 3, Type: history.OK, F: history.FPoll}
	ok.Value, _ = json.Marshal(history.PollResult{Reads: map[string][]history.Read{"jepsen-0": {{Offset: 100000, Value: sent.Value}}}})
	for _, op := range []history.Op{inv, ok} {
		if err := w.Write(op); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	fx.phantomPoll = ok.Index
	phantom := checker.Anomaly{Type: checker.PhantomRead, Key: "jepsen-0", Ops: []int64{ok.Index, send.Index},
		Offsets: []int64{100000}, Values: []string{sent.Value},
		Explanation: fmt.Sprintf("op %d: poll of jepsen-0 read %q at offset 100000, a value sent to jepsen-2 (op %d)", ok.Index, sent.Value, send.Index)}

	var nonlinear []checker.Anomaly
	for i, at := range []float64{3, 23} {
		s := firstOpAfter(t, ops, at, sendTo("jepsen-0", history.OK))
		p := firstOpAfter(t, ops, at, pollOf("jepsen-0"))
		fx.nonlinearOps[i] = []int64{invocationOf(t, ops, s), s.Index, p.Index} // the send's invocation first
		nonlinear = append(nonlinear, checker.Anomaly{Type: checker.Nonlinearizable, Key: "jepsen-0", Ops: fx.nonlinearOps[i],
			Explanation: fmt.Sprintf("ops %d and %d of jepsen-0 cannot be ordered", fx.nonlinearOps[i][0], p.Index)})
	}

	lost := firstOpAfter(t, ops, 7, sendTo("jepsen-1", history.OK))
	lv, _ := lost.Send()
	fx.causes = []checker.Cause{
		{Key: "jepsen-1", Offsets: []int64{*lv.Offset, *lv.Offset + 11},
			Counts:  map[checker.AnomalyType]int{checker.LostWrite: 12, checker.InconsistentOffsets: 3},
			Ops:     []int64{lost.Index},
			Summary: fmt.Sprintf("jepsen-1 offsets %d..%d were truncated when broker 3 was elected uncleanly", *lv.Offset, *lv.Offset+11)},
		{Key: "jepsen-0", Offsets: []int64{100000, 100000}, Counts: map[checker.AnomalyType]int{checker.PhantomRead: 1},
			Ops: []int64{ok.Index, send.Index}, Summary: "jepsen-0 offset 100000 holds a value sent to jepsen-2"},
		{Key: "jepsen-0", Counts: map[checker.AnomalyType]int{checker.Nonlinearizable: 2},
			Ops: fx.nonlinearOps[0], Summary: "jepsen-0: sends acknowledged in one order were appended in another"},
	}
	for i, key := range []string{"jepsen-2", "jepsen-0", "jepsen-1"} {
		p := firstOpAfter(t, ops, 9+float64(i), pollOf(key))
		source := "hw"
		if i == 2 {
			source = "reads"
		}
		fx.lag = append(fx.lag, checker.PartitionLag{Key: key, WorstSeconds: 1.25 + float64(i), Op: invocationOf(t, ops, p), Polls: 400 + int64(i), Source: source})
	}
	patchResults(t, dir, func(res *checker.Result) {
		res.Anomalies[checker.PhantomRead] = []checker.Anomaly{phantom}
		res.Anomalies[checker.Nonlinearizable] = nonlinear
		res.Causes, res.Lag = fx.causes, fx.lag
		res.Valid = checker.Invalid
	})
	return fx
}
