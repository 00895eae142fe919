package checker

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/checker/linearize"
	"github.com/kafkaesque/kafkaesque/history"
)

// FuzzCheck drives the checker with format-valid histories built from
// arbitrary bytes: it must not panic, and its verdict must not depend on
// whether the search used porcupine or the greedy fallback.
func FuzzCheck(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte{10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130})
	f.Fuzz(func(t *testing.T, data []byte) {
		text := historyFromBytes(t, data)
		// The fuzzer has no per-input time limit: a hang would stall it silently, so fail
		// (and keep the input) when one history takes far longer than any should.
		errc := make(chan error, 1)
		go func() { errc <- checkAgainstOracles(text) }()
		select {
		case err := <-errc:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("checking took over 20 s:\n%s", text)
		}
	})
}

// checkAgainstOracles checks text and, where the verdict is known, compares the search's
// verdict per key with porcupine deciding every segment and with the greedy search deciding
// every one.
func checkAgainstOracles(text []byte) error {
	res, err := Check(context.Background(), bytes.NewReader(text), Options{LinearizabilityTimeLimit: 5 * time.Second})
	if err != nil {
		return fmt.Errorf("valid-format history rejected: %v\n%s", err, text)
	}
	if _, err := json.Marshal(res); err != nil {
		return err
	}
	if res.Valid == Unknown {
		return nil
	}
	keys, err := keyStates(text)
	if err != nil {
		return err
	}
	plans := make([]linearize.Plan, len(keys))
	for i, k := range keys {
		plans[i] = linearize.Prepare(linKey(linearize.Key{}, k, Options{}))
	}
	ctx := context.Background()
	byPorcupine := linearize.Check(ctx, plans, linearize.Options{Decider: linearize.Porcupine}).Verdicts
	byGreedy := linearize.Check(ctx, plans, linearize.Options{Decider: linearize.Greedy}).Verdicts
	for i, k := range keys {
		if byPorcupine[i] != byGreedy[i] {
			return fmt.Errorf("key %s: porcupine %v, greedy %v\n%s", k.name, byPorcupine[i], byGreedy[i], text)
		}
	}
	return nil
}

// keysOf replays text into a Checker and returns its key states.
func keysOf(t *testing.T, text []byte) []*keyState {
	t.Helper()
	keys, err := keyStates(text)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func keyStates(text []byte) ([]*keyState, error) {
	c := New(Options{})
	dec := history.NewDecoder(bytes.NewReader(text))
	for {
		op, err := dec.Next()
		if err != nil {
			break
		}
		if err := c.Observe(op); err != nil {
			return nil, err
		}
	}
	var out []*keyState
	for _, k := range c.keys {
		out = append(out, k)
	}
	return out, nil
}

// historyFromBytes interprets each byte as an action of one of four
// processes on two keys, keeping the format's invariants.
func historyFromBytes(t *testing.T, data []byte) []byte {
	var buf bytes.Buffer
	w := history.NewWriter(&buf)
	type open struct {
		f     string
		key   string
		value string
	}
	pending := map[int]*open{}
	// pid maps a client slot to its process id: a process that ended info does not go on.
	pid := map[int]int{0: 0, 1: 1, 2: 2, 3: 3}
	nextPID := 4
	idx, now, sent := int64(0), int64(0), 0
	emit := func(op history.Op, v any) {
		op.Index, op.Time = idx, now
		if v != nil {
			op.Value, _ = json.Marshal(v)
		}
		if err := w.Write(op); err != nil {
			t.Fatal(err)
		}
		idx++
	}
	var values []string
	for _, b := range data {
		now += int64(b % 3)
		slot := int(b % 4)
		p := pid[slot]
		key := []string{"t-0", "t-1"}[(b>>2)%2]
		arg := int64(b >> 3 % 8)
		o := pending[p]
		switch {
		case o == nil && b&0x40 == 0:
			sent++
			v := string(rune('a'+sent%26)) + string(rune('0'+sent/26%10)) + string(rune('0'+sent/260%10))
			values = append(values, v)
			pending[p] = &open{f: history.FSend, key: key, value: v}
			emit(history.Op{Process: p, Type: history.Invoke, F: history.FSend}, history.SendValue{Key: key, Value: v})
		case o == nil:
			pending[p] = &open{f: history.FPoll}
			emit(history.Op{Process: p, Type: history.Invoke, F: history.FPoll}, history.PollInvoke{Keys: []string{key}})
		case b&0x30 == 0x30:
			delete(pending, p)
			typ := []history.Type{history.Fail, history.Info}[b>>7]
			emit(history.Op{Process: p, Type: typ, F: o.f}, nil)
			if typ == history.Info {
				pid[slot] = nextPID
				nextPID++
			}
		case o.f == history.FSend:
			delete(pending, p)
			emit(history.Op{Process: p, Type: history.OK, F: history.FSend}, history.SendValue{Key: o.key, Value: o.value, Offset: &arg})
		default:
			delete(pending, p)
			var reads []history.Read
			for i := range int64(b>>6) + 1 {
				if len(values) > 0 {
					reads = append(reads, history.Read{Offset: arg + i, Value: values[(int(arg)+int(i))%len(values)]})
				}
			}
			emit(history.Op{Process: p, Type: history.OK, F: history.FPoll}, history.PollResult{Reads: map[string][]history.Read{key: reads}})
		}
	}
	return buf.Bytes()
}

// TestVerdictIsDeterministic: when several sends claim one offset, which pair is reported must
// not depend on map iteration order.
func TestVerdictIsDeterministic(t *testing.T) {
	var b strings.Builder
	idx := 0
	line := func(format string, args ...any) {
		fmt.Fprintf(&b, `{"index":%d,"time":%d,`+format+"}\n", append([]any{idx, idx * 10}, args...)...)
		idx++
	}
	for p := range 6 {
		line(`"process":%d,"type":"invoke","f":"send","value":{"key":"t-0","value":"v%d"}`, p, p)
	}
	for p := range 6 {
		line(`"process":%d,"type":"ok","f":"send","value":{"key":"t-0","value":"v%d","offset":%d}`, p, p, p%2)
	}
	var first string
	for i := range 30 {
		res, err := Check(context.Background(), strings.NewReader(b.String()), Options{})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(res.Anomalies)
		if i == 0 {
			first = string(got)
			continue
		}
		if string(got) != first {
			t.Fatalf("run %d reported\n%s\nbut run 0 reported\n%s", i, got, first)
		}
	}
}
