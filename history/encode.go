package history

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
)

// appendOp appends op's line as json.Marshal(op) writes it (same fields, order and escaping),
// without reflection. op.Value must be compact JSON, as json.Marshal's output is.
func appendOp(b []byte, op *Op) []byte {
	b = append(b, `{"index":`...)
	b = strconv.AppendInt(b, op.Index, 10)
	b = append(b, `,"time":`...)
	b = strconv.AppendInt(b, op.Time, 10)
	b = append(b, `,"process":`...)
	b = strconv.AppendInt(b, int64(op.Process), 10)
	b = append(b, `,"type":`...)
	b = appendString(b, string(op.Type))
	b = append(b, `,"f":`...)
	b = appendString(b, op.F)
	if len(op.Value) > 0 {
		b = append(b, `,"value":`...)
		b = append(b, op.Value...)
	}
	if op.Error != "" {
		b = append(b, `,"error":`...)
		b = appendString(b, op.Error)
	}
	return append(b, '}')
}

// appendString appends s as a JSON string exactly as encoding/json does. Plain printable ASCII is
// copied; anything encoding/json would escape (quotes, backslashes, control characters, <, >, &,
// non-ASCII) goes through json.Marshal.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendJSON appends v as json.Marshal(v) writes it: a send's value, the workloads' most
// frequent, is encoded without reflection.
func (v SendValue) appendJSON(b []byte) []byte {
	b = append(b, `{"key":`...)
	b = appendString(b, v.Key)
	b = append(b, `,"value":`...)
	b = appendString(b, v.Value)
	if v.Offset != nil {
		b = append(b, `,"offset":`...)
		b = strconv.AppendInt(b, *v.Offset, 10)
	}
	return append(b, '}')
}

// appendJSON appends v as json.Marshal(v) writes it: map keys sorted, an empty From left out.
func (v PollInvoke) appendJSON(b []byte) []byte {
	b = append(b, `{"keys":`...)
	if v.Keys == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, k := range v.Keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
		}
		b = append(b, ']')
	}
	if len(v.From) > 0 {
		b = append(b, `,"from":`...)
		b = appendOffsets(b, v.From)
	}
	if v.Drain {
		b = append(b, `,"drain":true`...)
	}
	return append(b, '}')
}

// appendJSON appends v as json.Marshal(v) writes it: map keys sorted, each read as
// [offset,"value"], an empty HW left out.
func (v PollResult) appendJSON(b []byte) []byte {
	b = append(b, `{"reads":`...)
	if v.Reads == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '{')
		for i, k := range slices.Sorted(maps.Keys(v.Reads)) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			reads := v.Reads[k]
			if reads == nil {
				b = append(b, "null"...)
				continue
			}
			b = append(b, '[')
			for j, r := range reads {
				if j > 0 {
					b = append(b, ',')
				}
				b = append(b, '[')
				b = strconv.AppendInt(b, r.Offset, 10)
				b = append(b, ',')
				b = appendString(b, r.Value)
				b = append(b, ']')
			}
			b = append(b, ']')
		}
		b = append(b, '}')
	}
	if len(v.HW) > 0 {
		b = append(b, `,"hw":`...)
		b = appendOffsets(b, v.HW)
	}
	return append(b, '}')
}

// appendOffsets appends a key->offset map with its keys sorted, as encoding/json does.
func appendOffsets(b []byte, m map[string]int64) []byte {
	b = append(b, '{')
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = strconv.AppendInt(b, m[k], 10)
	}
	return append(b, '}')
}

// marshalValue is json.Marshal(value), through appendJSON for the workloads' frequent values.
func marshalValue(value any) (json.RawMessage, error) {
	switch v := value.(type) {
	case SendValue:
		return v.appendJSON(make([]byte, 0, 64)), nil
	case PollInvoke:
		return v.appendJSON(make([]byte, 0, 64)), nil
	case PollResult:
		return v.appendJSON(make([]byte, 0, 256)), nil
	}
	return json.Marshal(value)
}
