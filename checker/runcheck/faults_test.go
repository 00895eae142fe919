package runcheck

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/checker/internal/histtest"
	"github.com/kafkaesque/kafkaesque/history"
)

// cleanClient is a history's client part that every check passes.
const cleanClient = `{"index":0,"time":0,"process":0,"type":"invoke","f":"send","value":{"key":"t-0","value":"a"}}
{"index":1,"time":5,"process":0,"type":"ok","f":"send","value":{"key":"t-0","value":"a","offset":0}}
{"index":2,"time":6,"process":1,"type":"invoke","f":"poll","value":{"keys":["t-0"]}}
{"index":3,"time":9,"process":1,"type":"ok","f":"poll","value":{"reads":{"t-0":[[0,"a"]]}}}
`

// Nemesis lines after cleanClient (indexes 4 on).
const (
	injected = `{"index":4,"time":10,"process":-1,"type":"invoke","f":"kill-leader","value":{"fault":"kill-leader"}}
{"index":5,"time":11,"process":-1,"type":"info","f":"kill-leader","value":{"fault":"kill-leader","action":"kill","nodes":["kafka2"],"partition":"t-0"}}
`
	notInjected = `{"index":4,"time":10,"process":-1,"type":"invoke","f":"kill-leader","value":{"fault":"kill-leader"}}
{"index":5,"time":11,"process":-1,"type":"info","f":"kill-leader","value":{"fault":"kill-leader","partition":"t-0"},"error":"find the leader of t-0: no leader"}
`
	recovered = `{"index":6,"time":20,"process":-1,"type":"invoke","f":"recover","value":{"fault":"kill-leader","nodes":["kafka2"]}}
{"index":7,"time":21,"process":-1,"type":"info","f":"recover","value":{"fault":"kill-leader","nodes":["kafka2"]}}
`
	recoveryFailed = `{"index":6,"time":20,"process":-1,"type":"invoke","f":"recover","value":{"fault":"kill-leader","nodes":["kafka2"]}}
{"index":7,"time":21,"process":-1,"type":"info","f":"recover","value":{"fault":"kill-leader","nodes":["kafka2"]},"error":"start kafka2: the JVM exited"}
`
	healed = `{"index":8,"time":30,"process":-1,"type":"invoke","f":"heal-all"}
{"index":9,"time":31,"process":-1,"type":"info","f":"heal-all","value":{}}
`
	healFailed = `{"index":8,"time":30,"process":-1,"type":"invoke","f":"heal-all"}
{"index":9,"time":31,"process":-1,"type":"info","f":"heal-all","value":{},"error":"heal the network: iptables: exit 1"}
`
	neverCompleted = `{"index":4,"time":10,"process":-1,"type":"invoke","f":"isolate-leader","value":{"fault":"isolate-leader"}}
`
)

// checkRun checks text after numbering its lines 0, 1, 2, ... (the pieces above are glued
// together in several orders).
func checkRun(t *testing.T, text string, opts Options) *checker.Result {
	t.Helper()
	var b strings.Builder
	for i, line := range strings.Split(strings.TrimSpace(text), "\n") {
		_, rest, ok := strings.Cut(line, ",")
		if !ok || !strings.HasPrefix(line, `{"index":`) {
			t.Fatalf("bad line %q", line)
		}
		fmt.Fprintf(&b, `{"index":%d,%s`+"\n", i, rest)
	}
	res, err := Check(context.Background(), strings.NewReader(b.String()), opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestFailedFaultsMakeTheVerdictUnknown(t *testing.T) {
	planned := Options{PlannedFaults: []string{"kill-leader"}}
	cases := []struct {
		name    string
		history string
		opts    Options
		want    string // in Incomplete
	}{
		{"injection failed", cleanClient + notInjected + healed, planned, "fault kill-leader (op 5) was not injected: find the leader of t-0: no leader"},
		{"recovery failed", cleanClient + injected + recoveryFailed + healed, planned, "recovery of kill-leader on kafka2 (op 7) failed: start kafka2: the JVM exited"},
		{"heal-all failed", cleanClient + injected + recovered + healFailed, planned, "heal-all (op 9) failed: heal the network"},
		{"never completed", cleanClient + neverCompleted, Options{}, "nemesis isolate-leader (op 4) never completed"},
		{"planned, none injected", cleanClient, planned, "the run planned faults (kill-leader) but the history shows none injected"},
		{"planned, the only one failed", cleanClient + notInjected + healed, planned, "shows none injected"},
	}
	for _, tc := range cases {
		res := checkRun(t, tc.history, tc.opts)
		if res.Valid != checker.Unknown || !strings.Contains(strings.Join(res.Incomplete, "\n"), tc.want) {
			t.Errorf("%s: verdict %s, incomplete %q; want unknown naming %q", tc.name, res.Valid, res.Incomplete, tc.want)
		}
	}
	// Near misses: faults injected and recovered, a bare history with no nemesis, and a run
	// that planned nothing.
	for name, h := range map[string]string{
		"injected and recovered": cleanClient + injected + recovered + healed,
		"no nemesis ops":         cleanClient,
	} {
		for _, opts := range []Options{{}, planned} {
			if name == "no nemesis ops" && len(opts.PlannedFaults) > 0 {
				continue
			}
			if res := checkRun(t, h, opts); res.Valid != checker.Valid || len(res.Incomplete) > 0 {
				t.Errorf("%s (planned %v): verdict %s, incomplete %q; want valid", name, opts.PlannedFaults, res.Valid, res.Incomplete)
			}
		}
	}
}

func TestAnomaliesOutrankFailedFaults(t *testing.T) {
	lost := `{"index":0,"time":0,"process":0,"type":"invoke","f":"send","value":{"key":"t-0","value":"a"}}
{"index":1,"time":5,"process":0,"type":"ok","f":"send","value":{"key":"t-0","value":"a","offset":0}}
{"index":2,"time":6,"process":0,"type":"invoke","f":"send","value":{"key":"t-0","value":"b"}}
{"index":3,"time":8,"process":0,"type":"ok","f":"send","value":{"key":"t-0","value":"b","offset":1}}
{"index":4,"time":10,"process":-1,"type":"invoke","f":"kill-leader","value":{"fault":"kill-leader"}}
{"index":5,"time":11,"process":-1,"type":"info","f":"kill-leader","value":{"fault":"kill-leader"},"error":"no leader"}
{"index":6,"time":12,"process":1,"type":"invoke","f":"poll","value":{"keys":["t-0"]}}
{"index":7,"time":15,"process":1,"type":"ok","f":"poll","value":{"reads":{"t-0":[[1,"b"]]}}}
`
	res := checkRun(t, lost, Options{PlannedFaults: []string{"kill-leader"}})
	if res.Valid != checker.Invalid || len(res.Anomalies[checker.LostWrite]) != 1 || len(res.Incomplete) == 0 {
		t.Errorf("verdict %s, anomalies %v, incomplete %q; want invalid with the lost write, the failed fault still said", res.Valid, res.Anomalies, res.Incomplete)
	}
}

func TestFaultsCountedWithoutAnElectionLog(t *testing.T) {
	h := cleanClient + notInjected + `{"index":6,"time":40,"process":-1,"type":"invoke","f":"kill-leader","value":{"fault":"kill-leader"}}
{"index":7,"time":41,"process":-1,"type":"info","f":"kill-leader","value":{"fault":"kill-leader","nodes":["kafka1"]}}
{"index":8,"time":50,"process":-1,"type":"invoke","f":"recover","value":{"fault":"kill-leader","nodes":["kafka1"]}}
{"index":9,"time":51,"process":-1,"type":"info","f":"recover","value":{"fault":"kill-leader","nodes":["kafka1"]},"error":"boom"}
{"index":10,"time":60,"process":-1,"type":"invoke","f":"pause-leader","value":{"fault":"pause-leader"}}
{"index":11,"time":61,"process":-1,"type":"info","f":"pause-leader","value":{"fault":"pause-leader","nodes":["kafka3"]}}
`
	res := checkRun(t, h, Options{})
	got := CountFaults(res.Faults)
	want := []FaultCount{{Fault: "kill-leader", Attempts: 2, Failed: 1, RecoveryFailed: 1}, {Fault: "pause-leader", Attempts: 1}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("counts %+v, want %+v", got, want)
	}
	if s := got[0].String(); s != "kill-leader ×2 (1 failed, 1 recovery failed)" {
		t.Errorf("kill-leader counted as %q", s)
	}
}

func TestDrainOnAnUnrecoveredClusterIsUnknown(t *testing.T) {
	build := func(recoveryErr string) string {
		b := histtest.New(t)
		b.Send(0, "t-0", "a", 0)
		b.Line(history.NemesisProcess, history.Invoke, history.FAwaitRecovery, map[string]string{"limit": "1m0s"})
		b.Op(history.Op{Process: history.NemesisProcess, Type: history.Info,
			F: history.FAwaitRecovery, Value: []byte(`{"limit":"1m0s"}`), Error: recoveryErr})
		b.Drain(9, "t-0", 1, 0, "a")
		return b.Text()
	}
	for _, tc := range []struct {
		recoveryErr string
		want        checker.Validity
	}{{"cluster did not fully recover within 1m0s: kafka-0: leader 2, isr [2]", checker.Unknown}, {"", checker.Valid}} {
		res, err := Check(t.Context(), strings.NewReader(build(tc.recoveryErr)), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Valid != tc.want || len(res.Faults) != 0 {
			t.Errorf("recovery error %q: verdict %s (want %s), incomplete %v, faults %+v (the wait is not a fault)",
				tc.recoveryErr, res.Valid, tc.want, res.Incomplete, res.Faults)
		}
	}
}
