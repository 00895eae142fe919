package checker

import (
	"strconv"
	"strings"
	"testing"

	"github.com/kafkaesque/kafkaesque/electionlog"
)

func TestMeasureUnavailability(t *testing.T) {
	const s = int64(1e9)
	hist := strings.Join([]string{
		`{"index":0,"time":0,"process":0,"type":"invoke","f":"send","value":{"key":"t-0","value":"a"}}`,
		`{"index":1,"time":100,"process":0,"type":"ok","f":"send","value":{"key":"t-0","value":"a","offset":0}}`,
		`{"index":2,"time":` + itoa(10*s) + `,"process":-1,"type":"invoke","f":"kill-leader","value":{"fault":"kill-leader"}}`,
		`{"index":3,"time":` + itoa(10*s+5) + `,"process":-1,"type":"info","f":"kill-leader","value":{"fault":"kill-leader","nodes":["kafka1"],"partition":"t-0"}}`,
		`{"index":4,"time":` + itoa(11*s) + `,"process":1,"type":"invoke","f":"send","value":{"key":"t-0","value":"b"}}`,
		`{"index":5,"time":` + itoa(13*s) + `,"process":1,"type":"info","f":"send","value":{"key":"t-0","value":"b"},"error":"timeout"}`,
		`{"index":6,"time":` + itoa(14*s) + `,"process":2,"type":"invoke","f":"send","value":{"key":"t-0","value":"c"}}`,
		`{"index":7,"time":` + itoa(17*s) + `,"process":2,"type":"ok","f":"send","value":{"key":"t-0","value":"c","offset":1}}`,
		`{"index":8,"time":` + itoa(20*s) + `,"process":-1,"type":"invoke","f":"recover","value":{"fault":"kill-leader"}}`,
		`{"index":9,"time":` + itoa(21*s) + `,"process":-1,"type":"info","f":"recover","value":{"fault":"kill-leader","nodes":["kafka1"]}}`,
	}, "\n") + "\n"
	events := []electionlog.Event{
		ctl(0, 1, 1), part(0, 1, 0, 1, 2, 3),
		part(16*s, 2, 1, 2, 3), ctl(16*s, 2, 2),
	}
	faults, err := MeasureUnavailability(strings.NewReader(hist), events)
	if err != nil {
		t.Fatal(err)
	}
	if len(faults) != 1 {
		t.Fatalf("faults = %+v", faults)
	}
	f := faults[0]
	if f.Fault != "kill-leader" || f.Key != "t-0" || f.InvokeOp != 2 || f.Recovered == nil || *f.Recovered != 21*s {
		t.Errorf("fault = %+v", f)
	}
	if f.NewLeaderAfter == nil || *f.NewLeaderAfter != 6 {
		t.Errorf("new leader after %v, want 6 s", deref(f.NewLeaderAfter))
	}
	if f.NewControllerAfter == nil || *f.NewControllerAfter != 6 {
		t.Errorf("new controller after %v, want 6 s (the killed leader was also the controller)", deref(f.NewControllerAfter))
	}
	if f.SendsOKAfter == nil || *f.SendsOKAfter != 7 {
		t.Errorf("sends ok after %v, want 7 s (the info send does not count)", deref(f.SendsOKAfter))
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestMeasureCoordinatorMove(t *testing.T) {
	const s = int64(1e9)
	hist := strings.Join([]string{
		`{"index":0,"time":0,"process":2,"type":"invoke","f":"coordinator","value":{"group":"g"}}`,
		`{"index":1,"time":10,"process":2,"type":"ok","f":"coordinator","value":{"group":"g","broker":3}}`,
		`{"index":2,"time":` + itoa(5*s) + `,"process":-1,"type":"invoke","f":"kill-coordinator","value":{"fault":"kill-coordinator"}}`,
		`{"index":3,"time":` + itoa(5*s+9) + `,"process":-1,"type":"info","f":"kill-coordinator","value":{"fault":"kill-coordinator","nodes":["kafka3"],"group":"g"}}`,
		// Still the dead broker: the coordinator has not moved yet.
		`{"index":4,"time":` + itoa(6*s) + `,"process":2,"type":"invoke","f":"coordinator","value":{"group":"g"}}`,
		`{"index":5,"time":` + itoa(6*s+1) + `,"process":2,"type":"ok","f":"coordinator","value":{"group":"g","broker":3}}`,
		// A group-leader crash names the group but no broker: it has no coordinator to move.
		`{"index":6,"time":` + itoa(7*s) + `,"process":-1,"type":"invoke","f":"kill-group-leader","value":{"fault":"kill-group-leader"}}`,
		`{"index":7,"time":` + itoa(7*s+5) + `,"process":-1,"type":"info","f":"kill-group-leader","value":{"fault":"kill-group-leader","group":"g","member":"m1"}}`,
		`{"index":8,"time":` + itoa(12*s) + `,"process":2,"type":"invoke","f":"coordinator","value":{"group":"g"}}`,
		`{"index":9,"time":` + itoa(13*s) + `,"process":2,"type":"ok","f":"coordinator","value":{"group":"g","broker":1}}`,
	}, "\n") + "\n"
	faults, err := MeasureUnavailability(strings.NewReader(hist), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(faults) != 2 || faults[0].NewCoordinatorAfter == nil || *faults[0].NewCoordinatorAfter != 8 {
		t.Fatalf("faults = %+v, want the coordinator to move 8 s after the kill", faults)
	}
	if faults[1].NewCoordinatorAfter != nil {
		t.Errorf("kill-group-leader got a coordinator move after %v s", *faults[1].NewCoordinatorAfter)
	}
	if faults[0].NewLeaderAfter != nil {
		t.Errorf("a coordinator fault has no partition, but new leader after %v", *faults[0].NewLeaderAfter)
	}
}

func TestFailedRecoveryIsNotRecovered(t *testing.T) {
	hist := strings.Join([]string{
		`{"index":0,"time":100,"process":-1,"type":"invoke","f":"kill-random","value":{"fault":"kill-random"}}`,
		`{"index":1,"time":200,"process":-1,"type":"info","f":"kill-random","value":{"fault":"kill-random","nodes":["kafka2"]}}`,
		`{"index":2,"time":300,"process":-1,"type":"invoke","f":"recover","value":{"fault":"kill-random","nodes":["kafka2"]}}`,
		`{"index":3,"time":400,"process":-1,"type":"info","f":"recover","value":{"fault":"kill-random","nodes":["kafka2"]},"error":"start kafka2: the JVM exited"}`,
		`{"index":4,"time":500,"process":-1,"type":"invoke","f":"heal-all","value":{}}`,
		`{"index":5,"time":600,"process":-1,"type":"info","f":"heal-all","value":{}}`,
	}, "\n") + "\n"
	faults, err := MeasureUnavailability(strings.NewReader(hist), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(faults) != 1 || faults[0].RecoveryError == "" || faults[0].Recovered == nil || *faults[0].Recovered != 600 {
		t.Fatalf("faults = %+v: want the recovery error kept and the fault ended by heal-all at 600", faults)
	}
}
