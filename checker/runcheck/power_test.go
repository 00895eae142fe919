package runcheck

import (
	"context"
	"strings"
	"testing"

	"github.com/kafkaesque/kafkaesque/checker"
)

// A history with two power-loss-all faults and one kill: the first power fault takes the write
// acknowledged before it, the second the two acknowledged between them; a write acknowledged
// after the last power fault and then lost is no power fault's, and the kill gets no count.
func TestPowerFaultsReportDataLostAndTheLostWritesBefore(t *testing.T) {
	send := func(i, p int, v string, off int) []string {
		return []string{
			`{"index":` + itoa(int64(i)) + `,"time":` + itoa(int64(i)) + `,"process":` + itoa(int64(p)) + `,"type":"invoke","f":"send","value":{"key":"t-0","value":"` + v + `"}}`,
			`{"index":` + itoa(int64(i+1)) + `,"time":` + itoa(int64(i+1)) + `,"process":` + itoa(int64(p)) + `,"type":"ok","f":"send","value":{"key":"t-0","value":"` + v + `","offset":` + itoa(int64(off)) + `}}`,
		}
	}
	nemesis := func(i int, f, value string) []string {
		return []string{
			`{"index":` + itoa(int64(i)) + `,"time":` + itoa(int64(i)) + `,"process":-1,"type":"invoke","f":"` + f + `","value":{"fault":"` + f + `"}}`,
			`{"index":` + itoa(int64(i+1)) + `,"time":` + itoa(int64(i+1)) + `,"process":-1,"type":"info","f":"` + f + `","value":` + value + `}`,
		}
	}
	lost := `[{"node":"kafka1","dir":"/data/kafka","bytes":4096,"files":2,"entries":1},{"node":"kafka2","dir":"/data/kafka","bytes":0,"files":0,"entries":0}]`
	power := `{"fault":"power-loss-all","action":"power-loss","nodes":["kafka1","kafka2"],"lost":` + lost + `}`
	recover := func(i int, f string) []string {
		return nemesis(i, "recover", `{"fault":"`+f+`"}`)
	}
	lines := append(send(0, 1, "a", 0), nemesis(2, "power-loss-all", power)...)
	lines = append(lines, recover(4, "power-loss-all")...)
	lines = append(lines, send(6, 2, "b", 1)...)
	lines = append(lines, send(8, 2, "c", 2)...)
	lines = append(lines, nemesis(10, "kill-leader", `{"fault":"kill-leader","action":"kill","nodes":["kafka1"],"partition":"t-0"}`)...)
	lines = append(lines, recover(12, "kill-leader")...)
	lines = append(lines, nemesis(14, "power-loss-all", power)...)
	lines = append(lines, recover(16, "power-loss-all")...)
	lines = append(lines, send(18, 3, "d", 3)...)
	// The drain finds an empty log: every acknowledged write is lost.
	lines = append(lines,
		`{"index":20,"time":20,"process":9,"type":"invoke","f":"poll","value":{"keys":["t-0"],"from":{"t-0":0},"drain":true}}`,
		`{"index":21,"time":21,"process":9,"type":"ok","f":"poll","value":{"reads":{"t-0":[]},"hw":{"t-0":0}}}`)
	res, err := Check(context.Background(), strings.NewReader(strings.Join(lines, "\n")+"\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(res.Anomalies[checker.LostWrite]); n != 4 {
		t.Fatalf("lost-write %d, want 4 (a, b, c, d): %+v", n, res.Anomalies)
	}
	if len(res.Faults) != 3 {
		t.Fatalf("faults %+v, want 3", res.Faults)
	}
	for i, want := range []int{1, -1, 2} { // -1: not a power fault
		f := res.Faults[i]
		if want < 0 {
			if f.PowerLoss || f.LostWritesBefore != nil || f.DataLost != nil {
				t.Errorf("%s: power loss %v, lost writes %v, data %v; want none", f.Fault, f.PowerLoss, f.LostWritesBefore, f.DataLost)
			}
			continue
		}
		if !f.PowerLoss || f.LostWritesBefore == nil || *f.LostWritesBefore != want {
			t.Errorf("fault %d (%s): power %v, lost writes before %v, want %d", i, f.Fault, f.PowerLoss, f.LostWritesBefore, want)
		}
		if len(f.DataLost) != 2 || f.DataLost[0] != (checker.DataLoss{Node: "kafka1", Dir: "/data/kafka", Bytes: 4096, Files: 2, Entries: 1}) {
			t.Errorf("fault %d data lost %+v", i, f.DataLost)
		}
	}
}

func TestAttributeLostWritesSkipsAPowerFaultThatFailedBeforeCutting(t *testing.T) {
	faults := []checker.FaultImpact{
		{Fault: "power-loss-leader", PowerLoss: true, InvokeOp: 10, InjectedOp: 11, Error: "find the leader: no leader"},
		{Fault: "power-loss-leader", PowerLoss: true, InvokeOp: 20, InjectedOp: 25, DataLost: []checker.DataLoss{{Node: "kafka2", Bytes: 9}}},
	}
	// Acknowledged before the first, and between the second's invocation and its injection's end.
	AttributeLostWrites(faults, []checker.Anomaly{{Type: checker.LostWrite, Ops: []int64{4, 5, 30}}, {Type: checker.LostWrite, Ops: []int64{19, 22, 30}}})
	if faults[0].LostWritesBefore != nil || faults[1].LostWritesBefore == nil || *faults[1].LostWritesBefore != 2 {
		t.Errorf("lost writes before: %v, %v; want none for the failed fault, 2 for the next", faults[0].LostWritesBefore, faults[1].LostWritesBefore)
	}
}
