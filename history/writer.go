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

// Writer appends ops to a history, one line each, and is safe for concurrent use. A Writer from
// NewWriter writes and flushes each line with a single Write call, so a crash leaves a readable
// prefix. One from NewBufferedWriter collects lines and writes them in batches, whole lines
// only, at most a delay after the first of them: a crash then loses at most that delay's ops,
// and the history is not the bottleneck of a fast workload.
type Writer struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte // unwritten lines (buffered) or the line being written
	err error  // the first write error: every later write returns it

	buffered bool
	stop     chan struct{} // closes the flusher goroutine
	done     chan struct{}
}

// bufferedLimit is how many bytes of lines a buffered Writer holds before it writes them.
const bufferedLimit = 256 << 10

// NewWriter returns a Writer appending to w, a line at a time.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// NewBufferedWriter returns a Writer appending to w in batches: lines wait at most maxDelay,
// or until 256 KiB of them are waiting. Close it to write the rest.
func NewBufferedWriter(w io.Writer, maxDelay time.Duration) *Writer {
	bw := &Writer{w: w, buffered: true, stop: make(chan struct{}), done: make(chan struct{})}
	go bw.flushEvery(maxDelay, bw.stop)
	return bw
}

func (w *Writer) flushEvery(d time.Duration, stop <-chan struct{}) {
	defer close(w.done)
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			_ = w.Flush() // a failure is kept in w.err and returned by the next Write
		}
	}
}

// Write appends op as one line. Its value is checked and compacted as json.Marshal does.
func (w *Writer) Write(op Op) error {
	if len(op.Value) > 0 {
		v, err := json.Marshal(op.Value)
		if err != nil {
			return fmt.Errorf("encode op %d: %w", op.Index, err)
		}
		op.Value = v
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.writeLocked(&op)
}

// Flush writes the lines a buffered Writer holds (and flushes w if it is a flusher).
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.flushLocked()
}

// Close writes what is left and stops a buffered Writer's flusher; it does not close w.
func (w *Writer) Close() error {
	if w.buffered {
		w.mu.Lock()
		stopped := w.stop == nil
		if !stopped {
			close(w.stop)
			w.stop = nil
		}
		w.mu.Unlock()
		if !stopped {
			<-w.done
		}
	}
	return w.Flush()
}

func (w *Writer) writeLocked(op *Op) error {
	if w.err != nil {
		return w.err
	}
	if !w.buffered {
		w.buf = w.buf[:0]
	}
	w.buf = append(appendOp(w.buf, op), '\n')
	if w.buffered && len(w.buf) < bufferedLimit {
		return nil
	}
	return w.flushLocked()
}

func (w *Writer) flushLocked() error {
	if w.err != nil {
		return w.err
	}
	if len(w.buf) > 0 {
		_, err := w.w.Write(w.buf)
		w.buf = w.buf[:0]
		if err != nil {
			w.err = fmt.Errorf("write history: %w", err)
			return w.err
		}
	}
	if f, ok := w.w.(flusher); ok {
		if err := f.Flush(); err != nil {
			w.err = fmt.Errorf("flush history: %w", err)
			return w.err
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
	if err := encodeValue(&op, value); err != nil {
		return Op{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if idx, ok := r.open[process]; ok {
		return Op{}, fmt.Errorf("process %d already has operation %d outstanding", process, idx)
	}
	if err := r.appendLocked(&op); err != nil {
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
	if err := encodeValue(&op, value); err != nil {
		return Op{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if idx, ok := r.open[invoke.Process]; !ok || idx != invoke.Index {
		return Op{}, fmt.Errorf("process %d has no outstanding operation %d", invoke.Process, invoke.Index)
	}
	if err := r.appendLocked(&op); err != nil {
		return Op{}, err
	}
	delete(r.open, invoke.Process)
	return op, nil
}

// appendLocked stamps op and writes it; index and time are assigned under
// the lock so both increase along the file.
func (r *Recorder) appendLocked(op *Op) error {
	op.Index = r.next
	op.Time = int64(time.Since(r.start))
	r.w.mu.Lock()
	err := r.w.writeLocked(op)
	r.w.mu.Unlock()
	if err != nil {
		return err
	}
	r.next++
	return nil
}

// encodeValue sets op's value to value's JSON (nil: none), before the lock is taken.
func encodeValue(op *Op, value any) error {
	if value == nil {
		return nil
	}
	raw, err := marshalValue(value)
	if err != nil {
		return fmt.Errorf("encode %s value: %w", op.F, err)
	}
	op.Value = raw
	return nil
}

// Flush writes what the recorder's Writer holds; Close stops it (see Writer).
func (r *Recorder) Flush() error { return r.w.Flush() }

// Close writes the rest of the history and stops a buffered Writer; it does not close the file.
func (r *Recorder) Close() error { return r.w.Close() }
