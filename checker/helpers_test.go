package checker

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/checker/internal/histtest"
	"github.com/kafkaesque/kafkaesque/history"
)

// builder writes small hand-made histories (histtest.Builder) and checks them.
type builder struct {
	*histtest.Builder
	t *testing.T
}

func newBuilder(t *testing.T) *builder { return &builder{histtest.New(t), t} }

// r is key -> alternating offsets and values, e.g. r("t-0", 0, "a", 1, "b").
var r = histtest.Reads

func (b *builder) check(opts Options) *Result {
	b.t.Helper()
	if opts.LinearizabilityTimeLimit == 0 {
		opts.LinearizabilityTimeLimit = 10 * time.Second
	}
	res, err := Check(context.Background(), strings.NewReader(b.Text()), opts)
	if err != nil {
		b.t.Fatalf("check: %v\n%s", err, b.Text())
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
