package report

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/history"
	"github.com/kafkaesque/kafkaesque/report/rundir"
)

// indexRuns writes the index and returns its runs.
func indexRuns(t testing.TB, results string) []IndexEntry {
	t.Helper()
	if err := WriteIndex(results); err != nil {
		t.Fatal(err)
	}
	return readIndexJSON(t, results).Runs
}

func TestIndexCacheGivesWhatAFreshReadGives(t *testing.T) {
	results := t.TempDir()
	writeFakeRun(t, results, "a", fakeRun{started: day(1), seed: 1, verdict: checker.Invalid,
		anomalies: map[checker.AnomalyType]int{checker.LostWrite: 2}, faults: []checker.FaultImpact{{Fault: "kill", Start: sec(3), SendsOKAfter: secs(2)}}})
	writeFakeRun(t, results, "b", fakeRun{started: day(2), seed: 2, verdict: checker.Valid})
	writeFakeRun(t, results, "c", fakeRun{started: day(3), seed: 3, unchecked: true})

	first := indexRuns(t, results)
	if _, err := os.Stat(filepath.Join(results, IndexCacheFile)); err != nil {
		t.Fatalf("no cache written: %v", err)
	}
	page1, _ := os.ReadFile(filepath.Join(results, rundir.ReportFile))
	cached := indexRuns(t, results)
	if !reflect.DeepEqual(first, cached) {
		t.Errorf("from cache:\n%+v\nfresh:\n%+v", cached, first)
	}
	page2, _ := os.ReadFile(filepath.Join(results, rundir.ReportFile))
	if len(page1) == 0 || len(page1) != len(page2) { // the same page but its generation time
		t.Errorf("index.html from cache is %d bytes, fresh %d", len(page2), len(page1))
	}
}

func TestIndexCacheRereadsAChangedRunOnly(t *testing.T) {
	results := t.TempDir()
	writeFakeRun(t, results, "a", fakeRun{started: day(1), seed: 1, verdict: checker.Valid})
	writeFakeRun(t, results, "b", fakeRun{started: day(2), seed: 2, verdict: checker.Valid})
	indexRuns(t, results)

	// Mark b's cached entry: if b is read again, the mark is gone.
	cache := loadIndexCache(results)
	marked := cache.Runs["b"]
	marked.Entry.Verdict = "marked"
	cache.Runs["b"] = marked
	if err := os.WriteFile(filepath.Join(results, IndexCacheFile), mustJSON(t, cache), 0o644); err != nil {
		t.Fatal(err)
	}

	// a is checked again (a new results.json): the index says what it says now.
	writeFakeRun(t, results, "a", fakeRun{started: day(1), seed: 1, verdict: checker.Invalid,
		anomalies: map[checker.AnomalyType]int{checker.LostWrite: 1}})
	runs := indexRuns(t, results)
	if e := entryNamed(t, runs, "a"); e.Verdict != VerdictInvalid || e.Anomalies["lost-write"] != 1 {
		t.Errorf("re-checked run: verdict %q anomalies %v, want invalid with 1 lost-write", e.Verdict, e.Anomalies)
	}
	if e := entryNamed(t, runs, "b"); e.Verdict != "marked" {
		t.Errorf("the unchanged run b was read again (verdict %q): the cache is not used", e.Verdict)
	}

	// A removed run leaves the index and the cache.
	if err := os.RemoveAll(filepath.Join(results, "b")); err != nil {
		t.Fatal(err)
	}
	if runs := indexRuns(t, results); len(runs) != 1 || runs[0].Run != "a" {
		t.Errorf("after removing b the index holds %d runs", len(runs))
	}
	if c := loadIndexCache(results); len(c.Runs) != 1 {
		t.Errorf("the cache still holds %d runs", len(c.Runs))
	}
}

// A file's permissions changed (a run whose read failed on them) or a copy that kept its
// modification time and size: the change time tells.
func TestIndexCacheSeesAChangeThatKeepsSizeAndMtime(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the stamp has change times on Linux only (where CI runs); elsewhere size and mtime alone stamp a file")
	}
	results := t.TempDir()
	dir := writeFakeRun(t, results, "a", fakeRun{started: day(1), seed: 1, verdict: checker.Valid})
	indexRuns(t, results)
	path := filepath.Join(dir, rundir.ResultsFile)
	st := mustStat(t, path)
	garbage := make([]byte, st.Size())
	for i := range garbage {
		garbage[i] = 'x'
	}
	if err := os.WriteFile(path, garbage, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, st.ModTime(), st.ModTime()); err != nil {
		t.Fatal(err)
	}
	if e := entryNamed(t, indexRuns(t, results), "a"); e.Verdict != VerdictUnknown {
		t.Errorf("results.json rewritten with its size and mtime kept: verdict %q from the cache, want unknown (it no longer decodes)", e.Verdict)
	}
}

func mustStat(t *testing.T, path string) os.FileInfo {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// Each file the index reads is in the stamp: a change to any of them, alone, reaches the index.
func TestIndexCacheSeesEachFileItReads(t *testing.T) {
	write := func(t *testing.T, dir, name, data string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name   string
		run    fakeRun
		change func(t *testing.T, dir string)
		field  func(e IndexEntry, r indexRun) string
	}{
		{"index.html written", fakeRun{verdict: checker.Valid},
			func(t *testing.T, dir string) { write(t, dir, rundir.ReportFile, "<html></html>") },
			func(_ IndexEntry, r indexRun) string { return r.Href }},
		{"error.txt written", fakeRun{unchecked: true},
			func(t *testing.T, dir string) { write(t, dir, rundir.RunErrorFile, "the cluster did not start") },
			func(e IndexEntry, _ indexRun) string { return strings.Join(e.Why, "; ") }},
		{"config.json rewritten", fakeRun{verdict: checker.Valid},
			func(t *testing.T, dir string) {
				other := writeFakeRun(t, t.TempDir(), filepath.Base(dir), fakeRun{started: day(1), seed: 1, acks: "1"})
				data, err := os.ReadFile(filepath.Join(other, rundir.ConfigFile))
				if err != nil {
					t.Fatal(err)
				}
				write(t, dir, rundir.ConfigFile, string(data))
			},
			func(e IndexEntry, _ indexRun) string { return e.Configuration }},
		{"history.jsonl grown", fakeRun{unchecked: true},
			func(t *testing.T, dir string) {
				write(t, dir, rundir.HistoryFile, nemesisLine(0, 0, history.Invoke, "kill-leader", `{"fault":"kill-leader"}`, "")+
					nemesisLine(1, 1, history.Info, "kill-leader", `{"fault":"kill-leader","nodes":["kafka2"]}`, ""))
			},
			func(e IndexEntry, _ indexRun) string { return fmt.Sprint(e.FaultsInjected) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			results := t.TempDir()
			tc.run.started, tc.run.seed = day(1), 1
			dir := writeFakeRun(t, results, "a", tc.run)
			read := func() (IndexEntry, indexRun) {
				t.Helper()
				if err := WriteIndex(results); err != nil {
					t.Fatal(err)
				}
				runs, _, err := scanRuns(results, loadIndexCache(results))
				if err != nil || len(runs) != 1 {
					t.Fatalf("scan: %v, %d runs", err, len(runs))
				}
				return runs[0].Entry, runs[0]
			}
			before := tc.field(read())
			tc.change(t, dir)
			if after := tc.field(read()); after == before {
				t.Errorf("still %q after the change: the cache hid it", after)
			}
			// What a fresh read gives: the cache agrees with it.
			os.Remove(filepath.Join(results, IndexCacheFile))
			fresh, _, err := scanRuns(results, indexCache{})
			if err != nil {
				t.Fatal(err)
			}
			// Compared as index.json holds them (the cache keeps the spec compacted).
			if cached, _ := read(); string(mustJSON(t, cached)) != string(mustJSON(t, fresh[0].Entry)) {
				t.Errorf("cached entry %s\nfresh %s", mustJSON(t, cached), mustJSON(t, fresh[0].Entry))
			}
		})
	}
}

// A cache that cannot be written costs speed, never the index.
func TestIndexIsWrittenWhenItsCacheCannotBe(t *testing.T) {
	results := t.TempDir()
	writeFakeRun(t, results, "a", fakeRun{started: day(1), seed: 1, verdict: checker.Valid})
	if err := os.Mkdir(filepath.Join(results, IndexCacheFile), 0o755); err != nil { // in the way of the rename
		t.Fatal(err)
	}
	if runs := indexRuns(t, results); len(runs) != 1 || runs[0].Verdict != VerdictValid {
		t.Errorf("index %+v", runs)
	}
}

func TestIndexCacheFromElsewhereIsNotTrusted(t *testing.T) {
	results := t.TempDir()
	writeFakeRun(t, results, "a", fakeRun{started: day(1), seed: 1, verdict: checker.Valid})
	indexRuns(t, results)
	cache := loadIndexCache(results)
	forged := cache.Runs["a"]
	forged.Entry.Verdict = "forged"
	cache.Runs["a"] = forged

	for name, tc := range map[string]struct {
		data []byte
	}{
		"another build":  {mustJSON(t, indexCache{Format: indexCacheFormat, Builder: "some other kafkaesque", Runs: cache.Runs})},
		"another format": {mustJSON(t, indexCache{Format: indexCacheFormat + 1, Builder: builderStamp(), Runs: cache.Runs})},
		"no builder":     {mustJSON(t, indexCache{Format: indexCacheFormat, Runs: cache.Runs})},
		"not JSON":       {[]byte("{\"format\": 1, \"runs\": ")},
	} {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(filepath.Join(results, IndexCacheFile), tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			if e := entryNamed(t, indexRuns(t, results), "a"); e.Verdict != VerdictValid {
				t.Errorf("verdict %q from a cache it should not trust", e.Verdict)
			}
		})
	}
	// The forged cache as this build would write it is trusted: the cases above fail for their
	// one difference.
	if err := os.WriteFile(filepath.Join(results, IndexCacheFile), mustJSON(t, indexCache{Format: indexCacheFormat, Builder: builderStamp(), Runs: cache.Runs}), 0o644); err != nil {
		t.Fatal(err)
	}
	if e := entryNamed(t, indexRuns(t, results), "a"); e.Verdict != "forged" {
		t.Errorf("verdict %q: a cache of this build and format was not used", e.Verdict)
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// BenchmarkWriteIndexAfterOneMoreRun is WriteIndex over a results directory of 500 runs after
// one more run was added: what a run or a sweep's run pays at its end. "cold" has no cache.
func BenchmarkWriteIndexAfterOneMoreRun(b *testing.B) {
	results := b.TempDir()
	many := map[checker.AnomalyType]int{checker.Duplicate: 200}
	for i := 0; i < 500; i++ {
		writeFakeRun(b, results, fmt.Sprintf("run-%03d", i), fakeRun{started: day(1 + i%28), seed: int64(i), verdict: checker.Valid,
			anomalies: many, allowed: []checker.AnomalyType{checker.Duplicate}})
	}
	for _, mode := range []string{"cold", "cached"} {
		b.Run(mode, func(b *testing.B) {
			if err := WriteIndex(results); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				if mode == "cold" {
					os.Remove(filepath.Join(results, IndexCacheFile))
				}
				writeFakeRun(b, results, fmt.Sprintf("new-%d-%s", i, mode), fakeRun{started: day(2), seed: int64(i), verdict: checker.Valid})
				b.StartTimer()
				if err := WriteIndex(results); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
