package checker

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/history"
)

// builder writes small hand-made histories. Each call is one line; time
// advances by 10 per line unless set with at().
type builder struct {
	t     *testing.T
	lines []string
	time  int64
}

func newBuilder(t *testing.T) *builder { return &builder{t: t} }

// at sets the time of the next line.
func (b *builder) at(t int64) *builder { b.time = t; return b }

func (b *builder) line(p int, typ history.Type, f string, value any) int64 {
	b.t.Helper()
	op := history.Op{Index: int64(len(b.lines)), Time: b.time, Process: p, Type: typ, F: f}
	if value != nil {
		raw, err := json.Marshal(value)
		if err != nil {
			b.t.Fatal(err)
		}
		op.Value = raw
	}
	raw, err := json.Marshal(op)
	if err != nil {
		b.t.Fatal(err)
	}
	b.lines = append(b.lines, string(raw))
	b.time += 10
	return op.Index
}

func (b *builder) sendInvoke(p int, key, v string) int64 {
	return b.line(p, history.Invoke, history.FSend, history.SendValue{Key: key, Value: v})
}

func (b *builder) sendOK(p int, key, v string, off int64) int64 {
	return b.line(p, history.OK, history.FSend, history.SendValue{Key: key, Value: v, Offset: &off})
}

func (b *builder) sendEnd(p int, typ history.Type) int64 { return b.line(p, typ, history.FSend, nil) }

// send is an invoke immediately followed by an ok.
func (b *builder) send(p int, key, v string, off int64) {
	b.sendInvoke(p, key, v)
	b.sendOK(p, key, v, off)
}

func (b *builder) pollInvoke(p int, keys ...string) int64 {
	return b.line(p, history.Invoke, history.FPoll, history.PollInvoke{Keys: keys})
}

// reads is key -> alternating offsets and values, e.g. r("t-0", 0, "a", 1, "b").
func r(key string, pairs ...any) map[string][]history.Read {
	out := map[string][]history.Read{key: nil}
	for i := 0; i+1 < len(pairs); i += 2 {
		out[key] = append(out[key], history.Read{Offset: int64(pairs[i].(int)), Value: pairs[i+1].(string)})
	}
	return out
}

func (b *builder) pollOK(p int, reads map[string][]history.Read) int64 {
	return b.line(p, history.OK, history.FPoll, history.PollResult{Reads: reads})
}

// poll is an invoke immediately followed by an ok with the given reads.
func (b *builder) poll(p int, reads map[string][]history.Read) int64 {
	b.pollInvoke(p)
	return b.pollOK(p, reads)
}

func (b *builder) text() string {
	if len(b.lines) == 0 {
		return ""
	}
	return strings.Join(b.lines, "\n") + "\n"
}

func (b *builder) check(opts Options) *Result {
	b.t.Helper()
	if opts.LinearizabilityTimeLimit == 0 {
		opts.LinearizabilityTimeLimit = 10 * time.Second
	}
	res, err := Check(context.Background(), strings.NewReader(b.text()), opts)
	if err != nil {
		b.t.Fatalf("check: %v\n%s", err, b.text())
	}
	return res
}

// only asserts that exactly the given types were reported.
func only(t *testing.T, res *Result, types ...AnomalyType) {
	t.Helper()
	want := map[AnomalyType]bool{}
	for _, ty := range types {
		want[ty] = true
		if len(res.Anomalies[ty]) == 0 {
			t.Errorf("want %s, got none; anomalies: %s", ty, dump(res))
		}
	}
	for ty, list := range res.Anomalies {
		if !want[ty] && len(list) > 0 {
			t.Errorf("unexpected %s: %s", ty, dump(res))
		}
	}
	wantValid := Valid
	if len(types) > 0 {
		wantValid = Invalid
	}
	if res.Valid != wantValid {
		t.Errorf("verdict %s, want %s", res.Valid, wantValid)
	}
}

func dump(res *Result) string {
	b, _ := json.MarshalIndent(res.Anomalies, "", " ")
	return string(b)
}

// hasOps asserts that the first anomaly of type ty cites every op given.
func hasOps(t *testing.T, res *Result, ty AnomalyType, ops ...int64) {
	t.Helper()
	list := res.Anomalies[ty]
	if len(list) == 0 {
		t.Fatalf("no %s", ty)
	}
	for _, want := range ops {
		found := false
		for _, got := range list[0].Ops {
			found = found || got == want
		}
		if !found {
			t.Errorf("%s cites ops %v, want it to include %d", ty, list[0].Ops, want)
		}
	}
}

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }

func asLineError(err error, target **history.LineError) bool { return errors.As(err, target) }
