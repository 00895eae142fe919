package workloads_test

import (
	"bytes"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/history"
	"github.com/kafkaesque/kafkaesque/workloads"
)

// lockedBuffer lets a test read a history while its writer may still run.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

func newTestRecorder() (*history.Recorder, *lockedBuffer) {
	buf := new(lockedBuffer)
	return history.NewRecorder(history.NewWriter(buf), time.Now()), buf
}

// decoded is a history split into what the tests check.
type decoded struct {
	ops         []history.Op
	invokes     map[string]int                    // per f
	completions map[string]map[history.Type]int   // f -> type -> count
	okSends     []history.SendValue               // with offsets
	reads       map[int]map[string][]history.Read // process -> key -> reads of its ok polls
	outstanding int
	errors      map[string]int // "f type: error" -> count
}

// decodeHistory checks data with history.Decoder and splits it up.
func decodeHistory(t *testing.T, data []byte) decoded {
	t.Helper()
	d := history.NewDecoder(bytes.NewReader(data))
	h := decoded{
		invokes:     map[string]int{},
		completions: map[string]map[history.Type]int{},
		reads:       map[int]map[string][]history.Read{},
		errors:      map[string]int{},
	}
	for {
		op, err := d.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("history does not decode: %v", err)
		}
		h.ops = append(h.ops, op)
		if op.Type == history.Invoke {
			h.invokes[op.F]++
			continue
		}
		if h.completions[op.F] == nil {
			h.completions[op.F] = map[history.Type]int{}
		}
		h.completions[op.F][op.Type]++
		if op.Type != history.OK {
			h.errors[op.F+" "+string(op.Type)+": "+op.Error]++
			if op.Error == "" {
				t.Errorf("op %d: %s %s without an error message", op.Index, op.Type, op.F)
			}
			continue
		}
		switch op.F {
		case history.FSend:
			v, err := op.Send()
			if err != nil {
				t.Fatal(err)
			}
			if v.Offset == nil {
				t.Fatalf("op %d: ok send without an offset", op.Index)
			}
			h.okSends = append(h.okSends, v)
		case history.FPoll:
			v, err := op.PollReads()
			if err != nil {
				t.Fatal(err)
			}
			if h.reads[op.Process] == nil {
				h.reads[op.Process] = map[string][]history.Read{}
			}
			for k, rs := range v.Reads {
				if rs == nil {
					t.Fatalf("op %d: reads of %s are null, want a list", op.Index, k)
				}
				h.reads[op.Process][k] = append(h.reads[op.Process][k], rs...)
			}
		}
	}
	if w := d.Warnings(); len(w) > 0 {
		t.Errorf("decoder warnings: %v", w)
	}
	h.outstanding = d.Outstanding()
	return h
}

// logFrom merges the reads of processes >= firstProc (the drain's) into one
// log per key, checking that each key's offsets are contiguous.
func logFrom(t *testing.T, h decoded, firstProc int, res workloads.DrainResult) map[string]map[int64]string {
	t.Helper()
	logs := map[string]map[int64]string{}
	for proc, byKey := range h.reads {
		if proc < firstProc {
			continue
		}
		for k, rs := range byKey {
			if logs[k] == nil {
				logs[k] = map[int64]string{}
			}
			for _, r := range rs {
				if prev, ok := logs[k][r.Offset]; ok && prev != r.Value {
					t.Errorf("%s offset %d read as %q and %q", k, r.Offset, prev, r.Value)
				}
				logs[k][r.Offset] = r.Value
			}
		}
	}
	for _, pd := range res.Partitions {
		for o := pd.Earliest; o < pd.HighWatermark; o++ {
			if _, ok := logs[pd.Key][o]; !ok {
				t.Errorf("%s: drain read [%d, %d) but missed offset %d", pd.Key, pd.Earliest, pd.HighWatermark, o)
				break
			}
		}
		if n := int64(len(logs[pd.Key])); n != pd.HighWatermark-pd.Earliest {
			t.Errorf("%s: drain read %d distinct offsets, want %d", pd.Key, n, pd.HighWatermark-pd.Earliest)
		}
	}
	return logs
}
