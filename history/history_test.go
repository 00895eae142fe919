package history

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

// decodeAll returns the ops of text, the decoder, and the first error
// other than io.EOF.
func decodeAll(text string) ([]Op, *Decoder, error) {
	d := NewDecoder(strings.NewReader(text))
	var ops []Op
	for {
		op, err := d.Next()
		if errors.Is(err, io.EOF) {
			return ops, d, nil
		}
		if err != nil {
			return ops, d, err
		}
		ops = append(ops, op)
	}
}

const (
	l0 = `{"index":0,"time":1,"process":0,"type":"invoke","f":"send","value":{"key":"t-0","value":"a"}}`
	l1 = `{"index":1,"time":2,"process":0,"type":"ok","f":"send","value":{"key":"t-0","value":"a","offset":0}}`
	l2 = `{"index":2,"time":3,"process":-1,"type":"invoke","f":"kill","value":{"node":"n1"}}`
)

func TestDecoderValidHistory(t *testing.T) {
	ops, d, err := decodeAll(l0 + "\n" + l1 + "\n" + l2 + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 3 || len(d.Warnings()) != 0 {
		t.Fatalf("got %d ops, warnings %v", len(ops), d.Warnings())
	}
	sv, err := ops[1].Send()
	if err != nil || sv.Offset == nil || *sv.Offset != 0 || sv.Value != "a" {
		t.Fatalf("send value %+v, %v", sv, err)
	}
	if ops[2].IsClient() || ops[2].Process != NemesisProcess {
		t.Fatalf("nemesis op misread: %+v", ops[2])
	}
}

func TestDecoderEmpty(t *testing.T) {
	ops, _, err := decodeAll("")
	if err != nil || len(ops) != 0 {
		t.Fatalf("empty history: %d ops, %v", len(ops), err)
	}
}

func TestDecoderTruncatedTail(t *testing.T) {
	ops, d, err := decodeAll(l0 + "\n" + l1 + "\n" + l2[:20])
	if err != nil {
		t.Fatalf("truncated tail must not be an error: %v", err)
	}
	if len(ops) != 2 || len(d.Warnings()) != 1 || !strings.Contains(d.Warnings()[0], "line 3") {
		t.Fatalf("got %d ops, warnings %v", len(ops), d.Warnings())
	}
}

func TestDecoderUnterminatedCompleteLineIsKept(t *testing.T) {
	ops, d, err := decodeAll(l0 + "\n" + l1)
	if err != nil || len(ops) != 2 || len(d.Warnings()) != 0 {
		t.Fatalf("got %d ops, %v, %v", len(ops), err, d.Warnings())
	}
}

func TestDecoderErrorsNameLine(t *testing.T) {
	cases := map[string]struct {
		text string
		line int
	}{
		"corrupt middle line":           {l0 + "\n{not json\n" + l2 + "\n", 2},
		"corrupt terminated end":        {l0 + "\n" + l1 + "\n{\"index\":\n", 3},
		"index gap":                     {l0 + "\n" + strings.Replace(l1, `"index":1`, `"index":2`, 1) + "\n", 2},
		"first index not zero":          {strings.Replace(l0, `"index":0`, `"index":5`, 1) + "\n", 1},
		"unknown type":                  {l0 + "\n" + strings.Replace(l1, `"ok"`, `"maybe"`, 1) + "\n", 2},
		"wrong field type":              {strings.Replace(l0, `"time":1`, `"time":"1"`, 1) + "\n", 1},
		"completion no invoke":          {l1 + "\n", 1},
		"double invoke":                 {l0 + "\n" + strings.Replace(l0, `"index":0`, `"index":1`, 1) + "\n", 2},
		"mismatched f":                  {l0 + "\n" + strings.Replace(l1, `"f":"send"`, `"f":"poll"`, 1) + "\n", 2},
		"unknown client f":              {strings.Replace(l0, `"f":"send"`, `"f":"write"`, 1) + "\n", 1},
		"completion before invoke time": {l0 + "\n" + strings.Replace(l1, `"time":2`, `"time":0`, 1) + "\n", 2},
		"blank line":                    {l0 + "\n\n" + l1 + "\n", 2},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, _, err := decodeAll(tc.text)
			var le *LineError
			if !errors.As(err, &le) {
				t.Fatalf("want *LineError, got %v", err)
			}
			if le.Line != tc.line {
				t.Fatalf("error %q names line %d, want %d", err, le.Line, tc.line)
			}
		})
	}
}

func TestDecoderToleratesUnknownFieldsAndLongLines(t *testing.T) {
	long := strings.Repeat("x", 3<<20)
	line := strings.Replace(l0, `"f":"send"`, `"f":"send","extra":{"a":[1,2]},"pad":"`+long+`"`, 1)
	ops, _, err := decodeAll(line + "\n")
	if err != nil || len(ops) != 1 {
		t.Fatalf("got %d ops, %v", len(ops), err)
	}
}

func TestDecoderOutstanding(t *testing.T) {
	_, d, err := decodeAll(l0 + "\n")
	if err != nil || d.Outstanding() != 1 {
		t.Fatalf("outstanding %d, %v", d.Outstanding(), err)
	}
}

func TestReadJSON(t *testing.T) {
	in := PollResult{Reads: map[string][]Read{"t-0": {{Offset: 3, Value: "plain"}, {Offset: 4, Value: "quote\"é\n"}}}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `[3,"plain"]`) {
		t.Fatalf("reads not encoded as pairs: %s", b)
	}
	var out PollResult
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if got := out.Reads["t-0"]; len(got) != 2 || got[0] != in.Reads["t-0"][0] || got[1] != in.Reads["t-0"][1] {
		t.Fatalf("round trip: %+v", out)
	}
	for _, bad := range []string{`[1]`, `[1,2,3]`, `["a","b"]`, `[1,2]`, `{}`} {
		var r Read
		if err := json.Unmarshal([]byte(bad), &r); err == nil {
			t.Errorf("%s: want error", bad)
		}
	}
}

// recordAckedSends records n sends by process, each acknowledged at the next offset.
func recordAckedSends(t testing.TB, rec *Recorder, process, n int) {
	for i := range n {
		inv, err := rec.Invoke(process, FSend, SendValue{Key: "t-0", Value: "v"})
		if err != nil {
			t.Error(err)
			return
		}
		off := int64(i)
		if _, err := rec.Complete(inv, OK, SendValue{Key: "t-0", Value: "v", Offset: &off}, ""); err != nil {
			t.Error(err)
			return
		}
	}
}

func TestRecorder(t *testing.T) {
	var buf bytes.Buffer
	rec := NewRecorder(NewWriter(&buf), time.Now())
	var wg sync.WaitGroup
	for p := range 8 {
		wg.Go(func() { recordAckedSends(t, rec, p, 50) })
	}
	wg.Wait()
	ops, d, err := decodeAll(buf.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 800 || d.Outstanding() != 0 {
		t.Fatalf("%d ops, %d outstanding", len(ops), d.Outstanding())
	}
	for i := 1; i < len(ops); i++ {
		if ops[i].Time < ops[i-1].Time {
			t.Fatalf("time goes backwards at %d", i)
		}
	}
	inv, _ := rec.Invoke(100, FPoll, PollInvoke{Keys: []string{"t-0"}})
	if _, err := rec.Invoke(100, FPoll, nil); err == nil {
		t.Error("second outstanding invoke accepted")
	}
	if _, err := rec.Complete(inv, Invoke, nil, ""); err == nil {
		t.Error("completion of type invoke accepted")
	}
	if _, err := rec.Complete(inv, Info, nil, "timeout"); err != nil {
		t.Error(err)
	}
	if _, err := rec.Complete(inv, OK, nil, ""); err == nil {
		t.Error("double completion accepted")
	}
}

func FuzzDecoder(f *testing.F) {
	f.Add([]byte(l0 + "\n" + l1 + "\n" + l2 + "\n"))
	f.Add([]byte(l0 + "\n" + l1[:10]))
	f.Add([]byte(""))
	f.Add([]byte(`{"index":0,"time":1,"process":2,"type":"invoke","f":"poll","value":{"keys":["t-0"]}}` + "\n" +
		`{"index":1,"time":2,"process":2,"type":"ok","f":"poll","value":{"reads":{"t-0":[[0,"a"],[1,"b"]]}}}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d := NewDecoder(bytes.NewReader(data))
		for i := 0; ; i++ {
			op, err := d.Next()
			if err != nil {
				return
			}
			if op.Index != int64(i) {
				t.Fatalf("op %d has index %d", i, op.Index)
			}
			_, _ = op.Send()
			_, _ = op.PollKeys()
			_, _ = op.PollReads()
		}
	})
}
