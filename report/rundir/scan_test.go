package rundir

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/kafkaesque/kafkaesque/history"
	"github.com/kafkaesque/kafkaesque/history/historygen"
)

// The ops a scan keeps hold their own values: the decoder lends each line's only until the next,
// and a history longer than its buffer reuses the memory.
func TestScanKeepsValues(t *testing.T) {
	var buf bytes.Buffer
	if _, err := historygen.Generate(&buf, historygen.WithFaults(40000)); err != nil {
		t.Fatal(err)
	}
	if buf.Len() < 4<<20 {
		t.Fatalf("history of %d bytes: want several times the decoder's buffer", buf.Len())
	}
	want := map[int64]bool{}
	var originals []history.Op
	dec := history.NewDecoder(bytes.NewReader(buf.Bytes()))
	for {
		op, err := dec.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if op.Index%997 == 0 {
			want[op.Index] = true
			originals = append(originals, op)
		}
	}
	s, err := ScanHistory(context.Background(), bytes.NewReader(buf.Bytes()), want)
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range originals {
		if got := s.Ops[op.Index]; !bytes.Equal(got.Value, op.Value) || got.F != op.F || got.Error != op.Error {
			t.Fatalf("op %d kept as %s %q, want %s %q", op.Index, got.F, got.Value, op.F, op.Value)
		}
	}
}
