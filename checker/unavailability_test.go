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
