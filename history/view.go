package history

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// The views decode the values of sends and polls for checkers that look at each value once, as
// the history streams by: they allocate nothing for the workload's own shapes, and their byte
// slices alias the op's value (or the view's own storage), so they are valid only as long as
// that value is (see Decoder.BorrowValues): copy what you keep. They decode exactly what
// Op.Send, Op.PollKeys and Op.PollReads decode, and fail with the same errors: a fast path reads
// compact JSON in the shapes the workloads write (scan.go) and leaves anything else to
// encoding/json.

// SendView is a send's value (SendValue).
type SendView struct {
	Key, Value []byte
	Offset     int64 // valid when HasOffset
	HasOffset  bool
}

// ParseSend decodes a send's value as Op.Send does.
func ParseSend(raw []byte) (SendView, error) {
	if v, ok := parseSendFast(raw); ok {
		return v, nil
	}
	var sv SendValue
	if err := json.Unmarshal(raw, &sv); err != nil {
		return SendView{}, fmt.Errorf("send value: %w", err)
	}
	v := SendView{Key: []byte(sv.Key), Value: []byte(sv.Value)}
	if sv.Offset != nil {
		v.Offset, v.HasOffset = *sv.Offset, true
	}
	return v, nil
}

// parseSendFast decodes {"key":..,"value":..,"offset":..} (any order, other fields skipped).
func parseSendFast(b []byte) (SendView, bool) {
	var v SendView
	var seen fieldSet
	end, ok := objectFields(b, 0, func(name []byte, at int) (int, bool) {
		var next int
		ok := false
		switch string(name) {
		case "key":
			v.Key, next, ok = plainAt(b, at)
			ok = ok && seen.first(0)
		case "value":
			v.Value, next, ok = plainAt(b, at)
			ok = ok && seen.first(1)
		case "offset":
			v.Offset, next, ok = parseInt(b, at)
			v.HasOffset, ok = true, ok && seen.first(2)
		default:
			return otherField(b, name, at, "key", "value", "offset")
		}
		return next, ok
	})
	return v, ok && end == len(b)
}

// KeyOffset is an offset of one key: a poll's from, or its high watermark.
type KeyOffset struct {
	Key    []byte
	Offset int64
}

// PollInvokeView is a poll invocation's value (PollInvoke).
type PollInvokeView struct {
	Keys  [][]byte
	From  []KeyOffset // one per key, in no particular order
	Drain bool
	// Other says the value may hold fields besides keys, from and drain (a group member's
	// poll names its group): a reader of those must decode the value itself.
	Other bool
}

// ParsePollInvoke decodes a poll invocation's value into v, reusing its slices, as Op.PollKeys
// does (an empty value is an empty view).
func ParsePollInvoke(raw []byte, v *PollInvokeView) error {
	if len(raw) == 0 {
		*v = PollInvokeView{Keys: v.Keys[:0], From: v.From[:0]}
		return nil
	}
	if parsePollInvokeFast(raw, v) {
		return nil
	}
	var pi PollInvoke
	if err := json.Unmarshal(raw, &pi); err != nil {
		return fmt.Errorf("poll value: %w", err)
	}
	*v = PollInvokeView{Keys: v.Keys[:0], From: v.From[:0], Drain: pi.Drain, Other: true}
	for _, k := range pi.Keys {
		v.Keys = append(v.Keys, []byte(k))
	}
	for _, k := range slices.Sorted(maps.Keys(pi.From)) {
		v.From = append(v.From, KeyOffset{Key: []byte(k), Offset: pi.From[k]})
	}
	return nil
}

func parsePollInvokeFast(b []byte, v *PollInvokeView) bool {
	*v = PollInvokeView{Keys: v.Keys[:0], From: v.From[:0]}
	var seen fieldSet
	end, ok := objectFields(b, 0, func(name []byte, at int) (int, bool) {
		switch string(name) {
		case "keys":
			if !seen.first(0) {
				return 0, false
			}
			return arrayElems(b, at, func(at int) (int, bool) {
				s, next, ok := plainAt(b, at)
				v.Keys = append(v.Keys, s)
				return next, ok
			})
		case "from":
			if !seen.first(1) {
				return 0, false
			}
			return offsetObject(b, at, &v.From)
		case "drain":
			if !seen.first(2) {
				return 0, false
			}
			var next int
			var ok bool
			v.Drain, next, ok = parseBool(b, at)
			return next, ok
		}
		v.Other = true
		return otherField(b, name, at, "keys", "from", "drain")
	})
	return ok && end == len(b)
}

// offsetObject appends the fields of the object of offsets at b[i] to out. A key given twice
// is left to encoding/json (the last one wins there).
func offsetObject(b []byte, i int, out *[]KeyOffset) (int, bool) {
	first := len(*out)
	return objectFields(b, i, func(name []byte, at int) (int, bool) {
		off, next, ok := parseInt(b, at)
		if !ok || hasKey((*out)[first:], name) {
			return 0, false
		}
		*out = append(*out, KeyOffset{Key: name, Offset: off})
		return next, true
	})
}

func hasKey(list []KeyOffset, key []byte) bool {
	for _, ko := range list {
		if string(ko.Key) == string(key) {
			return true
		}
	}
	return false
}

// ReadView is one record a poll returned (Read).
type ReadView struct {
	Offset int64
	Value  []byte
}

// KeyReads are the records a poll returned for one key, in the order returned.
type KeyReads struct {
	Key   []byte
	Reads []ReadView
}

// PollResultView is an ok poll's value (PollResult).
type PollResultView struct {
	Reads []KeyReads // one per key, in no particular order
	HW    []KeyOffset
	reads []ReadView // storage for every key's Reads
}

// ParsePollResult decodes an ok poll's value into v, reusing its storage, as Op.PollReads does.
func ParsePollResult(raw []byte, v *PollResultView) error {
	if parsePollResultFast(raw, v) {
		return nil
	}
	var pr PollResult
	if err := json.Unmarshal(raw, &pr); err != nil {
		return fmt.Errorf("poll value: %w", err)
	}
	v.Reads, v.HW, v.reads = v.Reads[:0], v.HW[:0], v.reads[:0]
	for _, k := range slices.Sorted(maps.Keys(pr.Reads)) {
		first := len(v.reads)
		for _, r := range pr.Reads[k] {
			v.reads = append(v.reads, ReadView{Offset: r.Offset, Value: []byte(r.Value)})
		}
		v.Reads = append(v.Reads, KeyReads{Key: []byte(k), Reads: v.reads[first:len(v.reads):len(v.reads)]})
	}
	for _, k := range slices.Sorted(maps.Keys(pr.HW)) {
		v.HW = append(v.HW, KeyOffset{Key: []byte(k), Offset: pr.HW[k]})
	}
	return nil
}

func parsePollResultFast(b []byte, v *PollResultView) bool {
	v.Reads, v.HW, v.reads = v.Reads[:0], v.HW[:0], v.reads[:0]
	var seen fieldSet
	end, ok := objectFields(b, 0, func(name []byte, at int) (int, bool) {
		switch string(name) {
		case "reads":
			if !seen.first(0) {
				return 0, false
			}
			return v.readsObject(b, at)
		case "hw":
			if !seen.first(1) {
				return 0, false
			}
			return offsetObject(b, at, &v.HW)
		}
		return otherField(b, name, at, "reads", "hw")
	})
	if !ok || end != len(b) {
		return false
	}
	// The reads were appended to one slice that may have moved as it grew: slice it now.
	n := 0
	for i := range v.Reads {
		k := &v.Reads[i]
		m := len(k.Reads)
		k.Reads = v.reads[n : n+m : n+m]
		n += m
	}
	return true
}

// readsObject reads {"key": [[offset, "value"], ...], ...} into v. Each key's Reads has the
// right length but points nowhere yet: parsePollResultFast slices v.reads once all are read.
func (v *PollResultView) readsObject(b []byte, i int) (int, bool) {
	return objectFields(b, i, func(name []byte, at int) (int, bool) {
		for _, k := range v.Reads {
			if string(k.Key) == string(name) {
				return 0, false // given twice: encoding/json keeps the last
			}
		}
		first := len(v.reads)
		next, ok := v.readArray(b, at)
		if !ok {
			return 0, false
		}
		v.Reads = append(v.Reads, KeyReads{Key: name, Reads: v.reads[first:]}) // its length; see above
		return next, true
	})
}

// readArray appends the records of [[offset,"value"],...] at b[i] to v.reads.
func (v *PollResultView) readArray(b []byte, i int) (int, bool) {
	return arrayElems(b, i, func(at int) (int, bool) {
		if at >= len(b) || b[at] != '[' {
			return 0, false
		}
		off, next, ok := parseInt(b, at+1)
		if !ok || next >= len(b) || b[next] != ',' {
			return 0, false
		}
		val, next, ok := plainAt(b, next+1)
		if !ok || next >= len(b) || b[next] != ']' {
			return 0, false
		}
		v.reads = append(v.reads, ReadView{Offset: off, Value: val})
		return next + 1, true
	})
}

// String shows a view for tests and error messages.
func (v SendView) String() string {
	off := "none"
	if v.HasOffset {
		off = fmt.Sprint(v.Offset)
	}
	return fmt.Sprintf("send{key %q value %q offset %s}", v.Key, v.Value, off)
}

// String shows a view for tests and error messages.
func (v PollResultView) String() string {
	var b strings.Builder
	for _, k := range v.Reads {
		fmt.Fprintf(&b, "%s:", k.Key)
		for _, r := range k.Reads {
			fmt.Fprintf(&b, " %d=%q", r.Offset, r.Value)
		}
		b.WriteString("; ")
	}
	for _, h := range v.HW {
		fmt.Fprintf(&b, "hw %s=%d; ", h.Key, h.Offset)
	}
	return b.String()
}
