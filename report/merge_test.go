package report

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/report/rundir"
)

// shardRuns are a night's runs split over two shards.
var shardRuns = [2]map[string]fakeRun{
	{"s1-a": {started: day(1), seed: 1, verdict: checker.Valid}, "s1-b": {started: day(2), seed: 2, verdict: checker.Invalid,
		anomalies: map[checker.AnomalyType]int{checker.LostWrite: 1}}},
	{"s2-a": {started: day(1).Add(time.Hour), seed: 3, acks: "1", verdict: checker.Valid}, "s2-b": {started: day(3), seed: 4, unchecked: true}},
}

// writeShard writes the shard's runs into results, with an unconfigured run (no config.json:
// dated by its files' mtime), a sweep's file and the shard's own index.
func writeShard(t *testing.T, results string, shard int) {
	t.Helper()
	for name, r := range shardRuns[shard] {
		writeFakeRun(t, results, name, r)
	}
	bare := filepath.Join(results, "bare-"+string(rune('1'+shard)))
	if err := os.MkdirAll(filepath.Join(bare, "nodes"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{rundir.HistoryFile, "nodes/kafka1.log"} {
		if err := os.WriteFile(filepath.Join(bare, f), []byte("shard "+f+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		at := day(4).Add(time.Duration(shard) * time.Minute)
		if err := os.Chtimes(filepath.Join(bare, f), at, at); err != nil {
			t.Fatal(err)
		}
	}
	sweep := filepath.Join(results, "sweeps", "night-1")
	if err := os.MkdirAll(sweep, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sweep, "shard-"+string(rune('1'+shard))+".xml"), []byte("<testsuites/>"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteIndex(results); err != nil {
		t.Fatal(err)
	}
}

func TestMergeShardsGivesTheIndexOfAllRuns(t *testing.T) {
	root := t.TempDir()
	shard1, shard2, all, dst := filepath.Join(root, "shard1"), filepath.Join(root, "shard2"), filepath.Join(root, "all"), filepath.Join(root, "merged")
	writeShard(t, shard1, 0)
	writeShard(t, shard2, 1)
	writeShard(t, all, 0)
	writeShard(t, all, 1)
	merged, err := MergeResults(dst, []string{shard1, shard2})
	if err != nil {
		t.Fatal(err)
	}
	if len(merged) != 6 || merged[0] != filepath.Join(dst, "bare-1") {
		t.Errorf("merged %v, want the 6 run directories in dst", merged)
	}
	want, got := readIndexJSON(t, all), readIndexJSON(t, dst)
	if len(got.Runs) != 6 || len(want.Runs) != 6 {
		t.Fatalf("merged index has %d runs, the index of all runs %d; want 6", len(got.Runs), len(want.Runs))
	}
	for i := range want.Runs {
		if !reflect.DeepEqual(got.Runs[i], want.Runs[i]) {
			t.Errorf("merged index's run %d: %s %s %s, want %s %s %s (as in one directory of all runs)", i, got.Runs[i].Run, got.Runs[i].Started,
				got.Runs[i].Verdict, want.Runs[i].Run, want.Runs[i].Started, want.Runs[i].Verdict)
		}
	}
	if target, _ := os.Readlink(filepath.Join(dst, LatestLink)); target != "bare-2" {
		t.Errorf("latest -> %q, want bare-2", target)
	}
	for _, f := range []string{"sweeps/night-1/shard-1.xml", "sweeps/night-1/shard-2.xml", "bare-2/nodes/kafka1.log", "s2-a/" + rundir.ConfigFile} {
		src, err := os.Stat(filepath.Join(all, f))
		if err != nil {
			t.Fatal(err)
		}
		if st, err := os.Stat(filepath.Join(dst, f)); err != nil {
			t.Errorf("%s not merged: %v", f, err)
		} else if !st.ModTime().Equal(src.ModTime()) && strings.HasPrefix(f, "bare") {
			t.Errorf("%s: mtime %v, want %v", f, st.ModTime(), src.ModTime())
		}
	}
	page, err := os.ReadFile(filepath.Join(dst, rundir.ReportFile))
	if err != nil || !isResultsIndex(page) {
		t.Errorf("merged index.html: %v", err)
	}
}

func TestMergeTwiceChangesNothing(t *testing.T) {
	root := t.TempDir()
	shard1, shard2, dst := filepath.Join(root, "shard1"), filepath.Join(root, "shard2"), filepath.Join(root, "merged")
	writeShard(t, shard1, 0)
	writeShard(t, shard2, 1)
	if _, err := MergeResults(dst, []string{shard1, shard2}); err != nil {
		t.Fatal(err)
	}
	first := readIndexJSON(t, dst)
	listing := func() []string {
		var files []string
		filepath.WalkDir(dst, func(path string, d os.DirEntry, err error) error {
			if err == nil {
				files = append(files, path)
			}
			return err
		})
		return files
	}
	before := listing()
	merged, err := MergeResults(dst, []string{shard1, shard2, shard1})
	if err != nil {
		t.Fatalf("merging again: %v", err)
	}
	if len(merged) != 6 {
		t.Errorf("second merge lists %d runs, want 6", len(merged))
	}
	if second := readIndexJSON(t, dst); !reflect.DeepEqual(first.Runs, second.Runs) {
		t.Error("merging twice changed the index")
	}
	if after := listing(); !reflect.DeepEqual(before, after) {
		t.Errorf("merging twice changed the files:\n%v\n%v", before, after)
	}
}

func TestMergeRefusesTwoRunsOfOneName(t *testing.T) {
	root := t.TempDir()
	shard1, shard2, dst := filepath.Join(root, "shard1"), filepath.Join(root, "shard2"), filepath.Join(root, "merged")
	writeFakeRun(t, shard1, "run-1", fakeRun{started: day(1), verdict: checker.Valid})
	writeFakeRun(t, shard2, "run-1", fakeRun{started: day(1), verdict: checker.Invalid, anomalies: map[checker.AnomalyType]int{checker.LostWrite: 1}})
	writeFakeRun(t, shard2, "run-2", fakeRun{started: day(2), verdict: checker.Valid})
	_, err := MergeResults(dst, []string{shard1, shard2})
	if err == nil {
		t.Fatal("two different run-1 directories merged")
	}
	for _, want := range []string{filepath.Join(shard1, "run-1"), filepath.Join(shard2, "run-1"), rundir.ResultsFile} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dst, "run-1")); err == nil {
		t.Error("a refused merge copied runs")
	}

	// The same clash against a run already in dst, and between two sweep files.
	if _, err := MergeResults(dst, []string{shard1}); err != nil {
		t.Fatal(err)
	}
	if _, err := MergeResults(dst, []string{shard2}); err == nil || !strings.Contains(err.Error(), filepath.Join(dst, "run-1")) {
		t.Errorf("a clash with dst's run: %v", err)
	}
	for i, dir := range []string{shard1, shard2} {
		f := filepath.Join(dir, "sweeps", "s", "summary.txt")
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte{byte('a' + i)}, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.RemoveAll(filepath.Join(shard2, "run-1")); err != nil {
		t.Fatal(err)
	}
	if _, err := MergeResults(filepath.Join(root, "fresh"), []string{shard1, shard2}); err == nil || !strings.Contains(err.Error(), "summary.txt") {
		t.Errorf("two different sweep summaries: %v", err)
	}
}

func TestMergeRefusesWhatIsNoResultsDirectory(t *testing.T) {
	root := t.TempDir()
	results, dst := filepath.Join(root, "results"), filepath.Join(root, "merged")
	run := writeFakeRun(t, results, "run-1", fakeRun{started: day(1), verdict: checker.Valid})
	empty := filepath.Join(root, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	artifacts := filepath.Join(root, "artifacts")
	writeFakeRun(t, filepath.Join(artifacts, "shard-1"), "run-9", fakeRun{started: day(1), verdict: checker.Valid})
	mixed := filepath.Join(root, "mixed") // a results directory holding another
	writeFakeRun(t, mixed, "run-5", fakeRun{started: day(1), verdict: checker.Valid})
	writeFakeRun(t, filepath.Join(mixed, "inner"), "run-6", fakeRun{started: day(1), verdict: checker.Valid})
	for src, want := range map[string]string{
		run:                         "run directory",
		empty:                       "not a results directory",
		filepath.Join(root, "none"): "no such file",
		artifacts:                   "pass each as a source of its own",
		mixed:                       "pass it as a source of its own",
		dst:                         "same directory",
	} {
		if _, err := MergeResults(dst, []string{src}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("merging %s: %v, want an error saying %q", src, err, want)
		}
	}
	if _, err := MergeResults(filepath.Join(results, "run-1"), []string{results}); err == nil {
		t.Error("merged into a run directory")
	}
}

// An uploaded artifact holds `latest` as a copy of the run it linked to: merge skips it, and
// refuses a `latest` directory that copies no run of its source, which would otherwise be lost.
func TestMergeSkipsACopiedLatestOnly(t *testing.T) {
	root := t.TempDir()
	shard, dst := filepath.Join(root, "shard"), filepath.Join(root, "merged")
	writeFakeRun(t, shard, "run-1", fakeRun{started: day(1), verdict: checker.Valid})
	writeFakeRun(t, shard, "run-2", fakeRun{started: day(2), verdict: checker.Valid})
	if err := os.CopyFS(filepath.Join(shard, LatestLink), os.DirFS(filepath.Join(shard, "run-2"))); err != nil {
		t.Fatal(err)
	}
	if _, err := MergeResults(dst, []string{shard}); err != nil {
		t.Fatal(err)
	}
	entries, err := BuildIndex(dst)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Fatalf("merged %d runs, want run-1 and run-2 only: %+v", len(entries), entries)
	}
	if target, err := os.Readlink(filepath.Join(dst, LatestLink)); err != nil || target != "run-2" {
		t.Errorf("latest -> %q (%v), want run-2", target, err)
	}

	other := filepath.Join(root, "other")
	writeFakeRun(t, other, "run-3", fakeRun{started: day(1), verdict: checker.Valid})
	writeFakeRun(t, other, LatestLink, fakeRun{started: day(5), seed: 9, verdict: checker.Invalid, anomalies: map[checker.AnomalyType]int{checker.LostWrite: 1}})
	if _, err := MergeResults(filepath.Join(root, "merged2"), []string{other}); err == nil || !strings.Contains(err.Error(), "no copy of another run") {
		t.Errorf("a latest directory that copies no run: %v", err)
	}
}

// A merged run is a copy: rewriting its files in place (a later check or report) leaves the
// source's as they were.
func TestMergedRunsAreCopies(t *testing.T) {
	root := t.TempDir()
	src, dst := filepath.Join(root, "src"), filepath.Join(root, "dst")
	writeFakeRun(t, src, "run-1", fakeRun{started: day(1), verdict: checker.Valid})
	if _, err := MergeResults(dst, []string{src}); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(filepath.Join(src, "run-1", rundir.ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(dst, "run-1", rundir.ResultsFile), os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("{}"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	after, err := os.ReadFile(filepath.Join(src, "run-1", rundir.ResultsFile))
	if err != nil || string(after) != string(before) {
		t.Errorf("rewriting the merged run's results.json changed the source's: %q -> %q (%v)", before, after, err)
	}
}
