package history

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// LineError is a malformed or invalid history line.
type LineError struct {
	Line int // 1-based
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// pending is what the decoder remembers about an outstanding invocation.
type pending struct {
	f    string
	time int64
}

// Decoder reads a history one op at a time and validates the format's
// invariants: consecutive indexes, known types, and per-process pairing of
// invocations and completions. It keeps one entry per outstanding process,
// so memory does not grow with the file.
type Decoder struct {
	r        *bufio.Reader
	buf      []byte
	line     int
	next     int64
	open     map[int]pending
	warnings []string
	done     bool
	borrow   bool // Value aliases the line read (BorrowValues)
	slowOnly bool // tests: decode every line with encoding/json
}

// NewDecoder returns a decoder reading from r.
func NewDecoder(r io.Reader) *Decoder {
	return &Decoder{r: bufio.NewReaderSize(r, 1<<20), open: make(map[int]pending)}
}

// BorrowValues makes Next return ops whose Value aliases the decoder's buffer instead of a copy:
// it is valid only until the next call to Next, so a caller that keeps a value, or anything
// that aliases it (the byte slices of the value views, view.go), must copy it. Checkers that
// only look at each value as it streams by save a copy per line.
func (d *Decoder) BorrowValues() { d.borrow = true }

// Line is the 1-based number of the line most recently returned.
func (d *Decoder) Line() int { return d.line }

// Warnings lists problems that did not stop decoding, such as a final line
// cut off by a crash.
func (d *Decoder) Warnings() []string { return d.warnings }

// Outstanding returns the number of invocations with no completion so far.
func (d *Decoder) Outstanding() int { return len(d.open) }

// readLine returns the next line without its newline, and whether the line
// was terminated by one.
func (d *Decoder) readLine() ([]byte, bool, error) {
	d.buf = d.buf[:0]
	for {
		chunk, err := d.r.ReadSlice('\n')
		if err == nil && len(d.buf) == 0 {
			// The whole line is in the reader's buffer, valid until the next read: no copy.
			return chunk[:len(chunk)-1], true, nil
		}
		d.buf = append(d.buf, chunk...)
		switch {
		case err == nil:
			return d.buf[:len(d.buf)-1], true, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(d.buf) == 0 {
				return nil, false, io.EOF
			}
			return d.buf, false, nil
		default:
			return nil, false, fmt.Errorf("read history: %w", err)
		}
	}
}

// Next returns the next op, or io.EOF after the last one. Any other error
// is a *LineError naming the offending line, or an I/O error.
func (d *Decoder) Next() (Op, error) {
	if d.done {
		return Op{}, io.EOF
	}
	raw, terminated, err := d.readLine()
	if err != nil {
		if errors.Is(err, io.EOF) {
			d.done = true
		}
		return Op{}, err
	}
	d.line++
	raw = bytes.TrimSuffix(raw, []byte("\r"))
	var op Op
	if d.slowOnly || !parseOpFast(raw, &op, d.borrow) {
		op, err = unmarshalOp(raw)
	}
	if err != nil {
		if !terminated {
			// A crash mid-write leaves a partial last line: check up to it.
			d.done = true
			d.warnings = append(d.warnings, fmt.Sprintf("line %d: ignoring truncated final line (%d bytes, no newline): %v", d.line, len(raw), err))
			return Op{}, io.EOF
		}
		return Op{}, &LineError{Line: d.line, Err: fmt.Errorf("malformed JSON: %w", err)}
	}
	if err := d.validate(op); err != nil {
		return Op{}, &LineError{Line: d.line, Err: err}
	}
	return op, nil
}

func (d *Decoder) validate(op Op) error {
	if op.Index != d.next {
		return fmt.Errorf("index %d, want %d", op.Index, d.next)
	}
	d.next++
	if !op.Type.Valid() {
		return fmt.Errorf("unknown op type %q", op.Type)
	}
	if op.Process < NemesisProcess {
		return fmt.Errorf("invalid process %d", op.Process)
	}
	if op.F == "" {
		return errors.New("missing f")
	}
	if op.IsClient() && !IsClientF(op.F) {
		return fmt.Errorf("unknown client function %q", op.F)
	}
	prev, open := d.open[op.Process]
	if op.Type == Invoke {
		if open {
			return fmt.Errorf("process %d invokes %s while its %s is outstanding", op.Process, op.F, prev.f)
		}
		d.open[op.Process] = pending{f: op.F, time: op.Time}
		return nil
	}
	if !open {
		return fmt.Errorf("%s completion of %s by process %d without an invocation", op.Type, op.F, op.Process)
	}
	if prev.f != op.F {
		return fmt.Errorf("process %d completes %s but invoked %s", op.Process, op.F, prev.f)
	}
	if op.Time < prev.time {
		return fmt.Errorf("completion time %d precedes invocation time %d", op.Time, prev.time)
	}
	delete(d.open, op.Process)
	return nil
}

// unmarshalOp decodes a line with encoding/json (its Op escapes to the heap, so Next's own does
// not).
func unmarshalOp(raw []byte) (Op, error) {
	var op Op
	err := json.Unmarshal(raw, &op)
	return op, err
}

// parseOpFast decodes a line in the shape Writer writes, {"index":..,"time":..,"process":..,
// "type":..,"f":..[,"value":..][,"error":..]}, compact, with type and f plain strings (see
// scan.go). It reports false for any other line, which Next then gives to encoding/json: the
// op, or the error, is encoding/json's. Value aliases line when borrow is set, else is a copy.
func parseOpFast(line []byte, op *Op, borrow bool) bool {
	var ok bool
	i := 0
	if i, ok = literal(line, i, `{"index":`); !ok {
		return false
	}
	if op.Index, i, ok = parseInt(line, i); !ok {
		return false
	}
	if i, ok = literal(line, i, `,"time":`); !ok {
		return false
	}
	if op.Time, i, ok = parseInt(line, i); !ok {
		return false
	}
	if i, ok = literal(line, i, `,"process":`); !ok {
		return false
	}
	var p int64
	if p, i, ok = parseInt(line, i); !ok || int64(int(p)) != p {
		return false
	}
	op.Process = int(p)
	if i, ok = literal(line, i, `,"type":`); !ok {
		return false
	}
	var t, f []byte
	if t, i, ok = plainAt(line, i); !ok {
		return false
	}
	if i, ok = literal(line, i, `,"f":`); !ok {
		return false
	}
	if f, i, ok = plainAt(line, i); !ok {
		return false
	}
	op.Type, op.F = internType(t), internF(f)
	if next, ok := literal(line, i, `,"value":`); ok {
		end, ok := skipValue(line, next, 0)
		if !ok {
			return false
		}
		op.Value = line[next:end:end]
		if !borrow {
			op.Value = append(json.RawMessage(nil), op.Value...)
		}
		i = end
	}
	if next, ok := literal(line, i, `,"error":`); ok {
		end, plain, ok := skipString(line, next)
		if !ok {
			return false
		}
		if op.Error, ok = decodeString(line, next, end, plain); !ok {
			return false
		}
		i = end
	}
	return i == len(line)-1 && line[i] == '}'
}

// internType returns the constant for the four types, so that they cost no allocation.
func internType(b []byte) Type {
	switch Type(b) {
	case Invoke:
		return Invoke
	case OK:
		return OK
	case Fail:
		return Fail
	case Info:
		return Info
	}
	return Type(b)
}

// internF returns the constant for the client functions and the nemesis' own.
func internF(b []byte) string {
	switch string(b) {
	case FSend:
		return FSend
	case FPoll:
		return FPoll
	case FTxn:
		return FTxn
	case FCrash:
		return FCrash
	case FRebalance:
		return FRebalance
	case FCommit:
		return FCommit
	case FCoordinator:
		return FCoordinator
	case FRecover:
		return FRecover
	case FHealAll:
		return FHealAll
	case FAwaitRecovery:
		return FAwaitRecovery
	}
	return string(b)
}
