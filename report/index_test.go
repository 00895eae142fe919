package report

import (
	"encoding/xml"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/report/rundir"
)

func TestIndexJSONDescribesEachRun(t *testing.T) {
	results := t.TempDir()
	killed := checker.FaultImpact{Fault: "kill", Nodes: []string{"kafka2"}, Start: sec(5), SendsOKAfter: secs(2), NewLeaderAfter: secs(1.5)}
	slow := checker.FaultImpact{Fault: "kill", Nodes: []string{"kafka1"}, Start: sec(15), SendsOKAfter: secs(6)}
	stuck := checker.FaultImpact{Fault: "partition", Start: sec(25)}
	failed := checker.FaultImpact{Fault: "pause", Start: sec(28), Error: "docker pause: no such container"}
	writeFakeRun(t, results, "a-invalid", fakeRun{started: day(2), seed: 1, verdict: checker.Invalid,
		anomalies: map[checker.AnomalyType]int{checker.LostWrite: 3, checker.Duplicate: 2}, allowed: []checker.AnomalyType{checker.Duplicate},
		faults: []checker.FaultImpact{killed, slow, stuck, failed}, sweep: &rundir.SweepRun{ID: "night-1", Cell: "acks=all", Repeat: 2}})
	writeFakeRun(t, results, "b-valid", fakeRun{started: day(1), seed: 2, verdict: checker.Valid})
	writeFakeRun(t, results, "c-acks1", fakeRun{started: day(3), seed: 1, acks: "1", unchecked: true})
	if err := os.MkdirAll(filepath.Join(results, "sweeps", "night-1"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteIndex(results); err != nil {
		t.Fatal(err)
	}
	idx := readIndexJSON(t, results)
	var names []string
	for _, e := range idx.Runs {
		names = append(names, e.Run)
	}
	if want := []string{"c-acks1", "a-invalid", "b-valid"}; !reflect.DeepEqual(names, want) || idx.Format != indexFormat {
		t.Fatalf("index.json runs %v (format %d), want newest first %v", names, idx.Format, want)
	}
	built, err := BuildIndex(results)
	if err != nil || len(built) != 3 || built[0].Configuration != idx.Runs[0].Configuration {
		t.Fatalf("BuildIndex: %v, %d entries", err, len(built))
	}

	inv, valid, unchecked := idx.Runs[1], idx.Runs[2], idx.Runs[0]
	if inv.Configuration == "" || inv.Configuration != valid.Configuration {
		t.Errorf("runs differing in seed, out dir, command and sweep have configurations %q and %q", inv.Configuration, valid.Configuration)
	}
	if unchecked.Configuration == inv.Configuration {
		t.Error("acks=1 and acks=all share a configuration")
	}
	if strings.Contains(inv.ConfigurationLabel, "seed") || !strings.Contains(inv.ConfigurationLabel, "acks=all") ||
		!strings.Contains(inv.ConfigurationLabel, "min.insync.replicas=2") {
		t.Errorf("configuration label %q", inv.ConfigurationLabel)
	}
	if inv.Sweep == nil || *inv.Sweep != (IndexSweep{ID: "night-1", Cell: "acks=all", Repeat: 2}) || valid.Sweep != nil {
		t.Errorf("sweep %+v / %+v", inv.Sweep, valid.Sweep)
	}
	if inv.Started != "2025-11-02T12:00:00Z" || inv.Seed != 1 || inv.KafkaVersion != "3.9.2" || inv.Mode != "zk" || len(inv.Spec) == 0 {
		t.Errorf("entry %+v", inv)
	}
	if inv.Verdict != VerdictInvalid || valid.Verdict != VerdictValid || unchecked.Verdict != VerdictNotChecked || len(unchecked.Why) == 0 || len(valid.Why) != 0 {
		t.Errorf("verdicts %q %q %q (why %v)", inv.Verdict, valid.Verdict, unchecked.Verdict, unchecked.Why)
	}
	if !reflect.DeepEqual(inv.Anomalies, map[string]int{"lost-write": 3, "duplicate": 2}) || !reflect.DeepEqual(inv.Allowed, []string{"duplicate"}) {
		t.Errorf("anomalies %v allowed %v", inv.Anomalies, inv.Allowed)
	}
	wantFaults := []IndexFault{{Name: "kill", Count: 2}, {Name: "partition", Count: 1}, {Name: "pause", Count: 1, Failed: 1}}
	if !reflect.DeepEqual(inv.FaultsInjected, wantFaults) {
		t.Errorf("faults injected %+v, want %+v", inv.FaultsInjected, wantFaults)
	}
	u := inv.Unavailability
	if u == nil || u.Recovered != 2 || u.NeverRecovered != 1 || u.FailedInjections != 1 || u.MaxRecoverSeconds != 6 ||
		math.Abs(u.MeanRecoverSeconds-4) > 1e-9 || len(u.Faults) != 4 || *u.Faults[0].NewLeaderSeconds != 1.5 {
		t.Errorf("unavailability %+v", u)
	}
	if valid.Unavailability != nil {
		t.Errorf("a run without measured faults has unavailability %+v", valid.Unavailability)
	}
}

func TestLatestPointsAtTheNewestRun(t *testing.T) {
	results := t.TempDir()
	writeFakeRun(t, results, "old", fakeRun{started: day(1), verdict: checker.Valid})
	writeFakeRun(t, results, "new", fakeRun{started: day(2), verdict: checker.Valid})
	if err := WriteIndex(results); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(results, LatestLink)
	if target, err := os.Readlink(link); err != nil || target != "new" {
		t.Fatalf("latest -> %q (%v), want the relative link new", target, err)
	}
	writeFakeRun(t, results, "newer", fakeRun{started: day(3), verdict: checker.Valid})
	if err := WriteIndex(results); err != nil {
		t.Fatal(err)
	}
	if target, _ := os.Readlink(link); target != "newer" {
		t.Errorf("latest -> %q after a newer run, want newer", target)
	}
	if st, err := os.Stat(filepath.Join(link, rundir.ConfigFile)); err != nil || st.IsDir() {
		t.Errorf("latest does not resolve to the run: %v", err)
	}
	entries, _ := BuildIndex(results)
	for _, e := range entries {
		if e.Run == LatestLink {
			t.Error("the latest link is indexed as a run")
		}
	}
	if len(entries) != 3 {
		t.Errorf("%d entries, want 3", len(entries))
	}
	leftovers, _ := filepath.Glob(filepath.Join(results, ".*.tmp-*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}

	// A latest that is not a symlink is someone else's: not replaced.
	if err := os.Remove(link); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(link, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteIndex(results); err == nil || !strings.Contains(err.Error(), "not a symlink") {
		t.Errorf("a regular file named latest: %v", err)
	}
}

func TestConfigurationKeys(t *testing.T) {
	results := t.TempDir()
	base := fakeRun{started: day(1), seed: 1, verdict: checker.Valid}
	keyOf := func(name string, r fakeRun) IndexEntry {
		t.Helper()
		run, ok := readIndexRun(writeFakeRun(t, results, name, r), name)
		if !ok || run.Entry.Configuration == "" {
			t.Fatalf("%s: no configuration (%v)", name, run.Entry.Why)
		}
		return run.Entry
	}
	a := keyOf("a", base)
	same := base
	same.seed, same.started, same.sweep = 99, day(9), &rundir.SweepRun{ID: "x", Cell: "c", Repeat: 3}
	// New fields at their zero, and KeepCluster (what happens after the run), keep the configuration.
	same.extraSpec = map[string]any{"Warmup": 0, "Schedule": map[string]any{"HoldMin": 0}, "KeepCluster": true}
	if b := keyOf("b", same); b.Configuration != a.Configuration {
		t.Errorf("seed, start, sweep, out dir or zero-valued new fields change the configuration: %s vs %s", a.Configuration, b.Configuration)
	}
	other := base
	other.extraSpec = map[string]any{"RecoveryLimit": 30e9}
	if c := keyOf("c", other); c.Configuration == a.Configuration {
		t.Error("a different recovery limit keeps the configuration")
	}
	warm := base
	warm.extraSpec = map[string]any{"Warmup": 10e9}
	if w := keyOf("w", warm); w.Configuration == a.Configuration || !strings.Contains(w.ConfigurationLabel, "warmup 10s") {
		t.Errorf("a warmup: configuration %s (label %q)", w.Configuration, w.ConfigurationLabel)
	}
	v4 := base
	v4.version = "4.4.0"
	d := keyOf("d", v4)
	if d.Configuration == a.Configuration || d.ConfigurationAcrossVersions != a.ConfigurationAcrossVersions {
		t.Errorf("another Kafka version: configuration %s vs %s, across versions %s vs %s",
			d.Configuration, a.Configuration, d.ConfigurationAcrossVersions, a.ConfigurationAcrossVersions)
	}
	acks1 := base
	acks1.acks = "1"
	if e := keyOf("e", acks1); e.ConfigurationAcrossVersions == a.ConfigurationAcrossVersions {
		t.Error("acks=1 and acks=all share a configuration across versions")
	}
}

func TestWriteRunsJUnit(t *testing.T) {
	results := t.TempDir()
	writeFakeRun(t, results, "r-invalid", fakeRun{started: day(1), verdict: checker.Invalid, sweep: &rundir.SweepRun{ID: "s", Cell: "acks=1 isolate-leader", Repeat: 1},
		anomalies: map[checker.AnomalyType]int{checker.LostWrite: 4, checker.Duplicate: 1}, allowed: []checker.AnomalyType{checker.Duplicate}})
	writeFakeRun(t, results, "r-valid", fakeRun{started: day(2), verdict: checker.Valid})
	writeFakeRun(t, results, "r-unknown", fakeRun{started: day(3), verdict: checker.Unknown})
	writeFakeRun(t, results, "r-unchecked", fakeRun{started: day(4), unchecked: true})
	entries, err := BuildIndex(results)
	if err != nil {
		t.Fatal(err)
	}
	var buf strings.Builder
	if err := WriteRunsJUnit(&buf, "nightly", entries); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal([]byte(buf.String()), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Suites) != 1 || doc.Tests != 4 || doc.Failures != 1 || doc.Errors != 2 || doc.Suites[0].Name != "nightly" {
		t.Fatalf("junit totals: %+v", doc)
	}
	cases := map[string]junitCase{}
	for _, c := range doc.Suites[0].Cases {
		cases[c.Name] = c
	}
	if c := cases["r-invalid"]; c.Failure == nil || c.Failure.Message != "invalid: lost-write 4" || c.Classname != "acks=1 isolate-leader" {
		t.Errorf("invalid run: %+v failure %+v", c, c.Failure)
	}
	if c := cases["r-valid"]; c.Failure != nil || c.Error != nil || !strings.HasPrefix(c.Classname, "Kafka 3.9.2") {
		t.Errorf("valid run: %+v", c)
	}
	if c := cases["r-unknown"]; c.Error == nil || !strings.Contains(c.Error.Message, "timed out") {
		t.Errorf("unknown run: %+v", c)
	}
	if c := cases["r-unchecked"]; c.Error == nil || !strings.HasPrefix(c.Error.Message, VerdictNotChecked) {
		t.Errorf("unchecked run: %+v", c)
	}
}

func TestCheckResultsDir(t *testing.T) {
	root := t.TempDir()
	if err := CheckResultsDir(filepath.Join(root, "new")); err != nil {
		t.Errorf("a directory that does not exist yet: %v", err)
	}
	run := filepath.Join(root, "run")
	writeFakeRun(t, root, "run", fakeRun{started: day(1), verdict: checker.Valid})
	if err := CheckResultsDir(run); !errors.Is(err, ErrNotResultsDir) {
		t.Errorf("a run directory: %v", err)
	}
	if err := CheckResultsDir(root); err != nil {
		t.Errorf("a results directory: %v", err)
	}
	page := filepath.Join(root, "other")
	if err := os.MkdirAll(page, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(page, "index.html"), []byte("<title>my page</title>"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := CheckResultsDir(page); !errors.Is(err, ErrNotResultsDir) {
		t.Errorf("another index.html: %v", err)
	}
	if err := os.MkdirAll(filepath.Join(root, LatestLink), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := CheckResultsDir(root); err == nil || !strings.Contains(err.Error(), "not a symlink") {
		t.Errorf("a latest that is a directory: %v", err)
	}
}
