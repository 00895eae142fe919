// Package histtest writes small hand-made histories for the checkers' tests (checker and its
// sub-packages). It imports no checker, so the checker's own tests can use it.
package histtest

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kafkaesque/kafkaesque/history"
)

// Builder writes a history line by line. Each call is one line; time advances by 10 per line
// unless set with At.
type Builder struct {
	t     testing.TB
	lines []string
	time  int64
}

// New returns an empty history; t fails the test on a value that does not encode.
func New(t testing.TB) *Builder { return &Builder{t: t} }

// At sets the time of the next line.
func (b *Builder) At(t int64) *Builder { b.time = t; return b }

// Line writes an op of process p with the given value (nil for none) and returns its index.
func (b *Builder) Line(p int, typ history.Type, f string, value any) int64 {
	b.t.Helper()
	op := history.Op{Process: p, Type: typ, F: f}
	if value != nil {
		raw, err := json.Marshal(value)
		if err != nil {
			b.t.Fatal(err)
		}
		op.Value = raw
	}
	return b.Op(op)
}

// Op writes op as given, at the next index and the current time, and returns its index.
func (b *Builder) Op(op history.Op) int64 {
	b.t.Helper()
	op.Index, op.Time = int64(len(b.lines)), b.time
	raw, err := json.Marshal(op)
	if err != nil {
		b.t.Fatal(err)
	}
	b.lines = append(b.lines, string(raw))
	b.time += 10
	return op.Index
}

// SendInvoke writes the invocation of a send of v to key.
func (b *Builder) SendInvoke(p int, key, v string) int64 {
	return b.Line(p, history.Invoke, history.FSend, history.SendValue{Key: key, Value: v})
}

// SendOK writes a send's ok completion at offset off.
func (b *Builder) SendOK(p int, key, v string, off int64) int64 {
	return b.Line(p, history.OK, history.FSend, history.SendValue{Key: key, Value: v, Offset: &off})
}

// SendEnd writes a send's completion of type typ, without a value.
func (b *Builder) SendEnd(p int, typ history.Type) int64 {
	return b.Line(p, typ, history.FSend, nil)
}

// Send is an invoke immediately followed by an ok.
func (b *Builder) Send(p int, key, v string, off int64) {
	b.SendInvoke(p, key, v)
	b.SendOK(p, key, v, off)
}

// PollInvoke writes the invocation of a poll of keys.
func (b *Builder) PollInvoke(p int, keys ...string) int64 {
	return b.Line(p, history.Invoke, history.FPoll, history.PollInvoke{Keys: keys})
}

// Reads is key -> alternating offsets and values, e.g. Reads("t-0", 0, "a", 1, "b").
func Reads(key string, pairs ...any) map[string][]history.Read {
	out := map[string][]history.Read{key: nil}
	for i := 0; i+1 < len(pairs); i += 2 {
		out[key] = append(out[key], history.Read{Offset: int64(pairs[i].(int)), Value: pairs[i+1].(string)})
	}
	return out
}

// PollOK writes a poll's ok completion with the given reads.
func (b *Builder) PollOK(p int, reads map[string][]history.Read) int64 {
	return b.Line(p, history.OK, history.FPoll, history.PollResult{Reads: reads})
}

// Poll is an invoke immediately followed by an ok with the given reads.
func (b *Builder) Poll(p int, reads map[string][]history.Read) int64 {
	b.PollInvoke(p)
	return b.PollOK(p, reads)
}

// PollAt is a poll of key that asked for offset from and saw high watermark hw; drain marks it
// as one of the final drain's polls.
func (b *Builder) PollAt(p int, key string, from, hw int64, drain bool, pairs ...any) int64 {
	b.Line(p, history.Invoke, history.FPoll, history.PollInvoke{Keys: []string{key}, From: map[string]int64{key: from}, Drain: drain})
	return b.Line(p, history.OK, history.FPoll, history.PollResult{Reads: Reads(key, pairs...), HW: map[string]int64{key: hw}})
}

// Drain is a final drain of key from 0 that read pairs and found high watermark hw, then
// asked at hw and saw the end of the log. It returns the reading poll's completion.
func (b *Builder) Drain(p int, key string, hw int64, pairs ...any) int64 {
	op := b.PollAt(p, key, 0, hw, true, pairs...)
	b.PollAt(p, key, hw, hw, true)
	return op
}

// Text is the history written so far, one line per op.
func (b *Builder) Text() string {
	if len(b.lines) == 0 {
		return ""
	}
	return strings.Join(b.lines, "\n") + "\n"
}
