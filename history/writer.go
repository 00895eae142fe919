package history

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"
)

// flusher is implemented by buffered writers such as *bufio.Writer.
type flusher interface{ Flush() error }

// Writer appends ops to a history, one line each. Each op is written with a
// single Write call and flushed, so a crash leaves a readable prefix. It is
// safe for concurrent use.
type Writer struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

// NewWriter returns a Writer appending to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write appends op as one line.
func (w *Writer) Write(op Op) error {
	line, err := json.Marshal(op)
	if err != nil {
		return fmt.Errorf("encode op %d: %w", op.Index, err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.writeLocked(line)
}

func (w *Writer) writeLocked(line []byte) error {
	w.buf = append(append(w.buf[:0], line...), '\n')
	if _, err := w.w.Write(w.buf); err != nil {
		return fmt.Errorf("write history: %w", err)
	}
	if f, ok := w.w.(flusher); ok {
		if err := f.Flush(); err != nil {
			return fmt.Errorf("flush history: %w", err)
		}
	}
	return nil
}

// Recorder stamps and writes the ops of a run. It assigns consecutive
// indexes and monotonic times (nanoseconds since start), and enforces that
// each process has at most one outstanding operation. It is safe for
// concurrent use by all clients and the nemesis.
type Recorder struct {
	mu    sync.Mutex
	w     *Writer
	start time.Time
	next  int64
	open  map[int]int64 // process -> index of its outstanding invocation
}

// NewRecorder returns a Recorder writing to w. start should come from
// time.Now() so that times use the monotonic clock.
func NewRecorder(w *Writer, start time.Time) *Recorder {
	return &Recorder{w: w, start: start, open: make(map[int]int64)}
}

// Now is the history's current time, in nanoseconds since the run began, on the clock that
// stamps ops: for times a value records, such as a transaction's commit_at.
func (r *Recorder) Now() int64 { return int64(time.Since(r.start)) }

// Invoke records the start of an operation by process. value is marshalled
// to JSON (for example a SendValue or PollInvoke); nil means no value.
func (r *Recorder) Invoke(process int, f string, value any) (Op, error) {
	op := Op{Process: process, Type: Invoke, F: f}
	r.mu.Lock()
	defer r.mu.Unlock()
	if idx, ok := r.open[process]; ok {
		return Op{}, fmt.Errorf("process %d already has operation %d outstanding", process, idx)
	}
	if err := r.appendLocked(&op, value); err != nil {
		return Op{}, err
	}
	r.open[process] = op.Index
	return op, nil
}

// Complete records the outcome of invoke: typ is OK, Fail or Info, value is
// the completion's value (for example a SendValue with Offset, or a
// PollResult) and errMsg an optional error description.
func (r *Recorder) Complete(invoke Op, typ Type, value any, errMsg string) (Op, error) {
	if !typ.IsCompletion() {
		return Op{}, fmt.Errorf("complete with type %q: want ok, fail or info", typ)
	}
	op := Op{Process: invoke.Process, Type: typ, F: invoke.F, Error: errMsg}
	r.mu.Lock()
	defer r.mu.Unlock()
	if idx, ok := r.open[invoke.Process]; !ok || idx != invoke.Index {
		return Op{}, fmt.Errorf("process %d has no outstanding operation %d", invoke.Process, invoke.Index)
	}
	if err := r.appendLocked(&op, value); err != nil {
		return Op{}, err
	}
	delete(r.open, invoke.Process)
	return op, nil
}

// appendLocked stamps op and writes it; index and time are assigned under
// the lock so both increase along the file.
func (r *Recorder) appendLocked(op *Op, value any) error {
	if value != nil {
		raw, err := json.Marshal(value)
		if err != nil {
			return fmt.Errorf("encode %s value: %w", op.F, err)
		}
		op.Value = raw
	}
	op.Index = r.next
	op.Time = int64(time.Since(r.start))
	line, err := json.Marshal(op)
	if err != nil {
		return fmt.Errorf("encode op: %w", err)
	}
	r.w.mu.Lock()
	err = r.w.writeLocked(line)
	r.w.mu.Unlock()
	if err != nil {
		return err
	}
	r.next++
	return nil
}
