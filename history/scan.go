package history

import (
	"encoding/json"
	"math"
)

// The fast paths of the decoder (decoder.go) and of the value views (view.go) read the compact
// JSON that encoding/json writes, in one pass and without allocating. Each accepts a strict
// subset of JSON, which it validates as it goes: no whitespace outside strings, fields named
// exactly, each at most once. For anything else it reports false and changes nothing that
// matters, and the caller decodes the input with encoding/json, so that results and errors are
// encoding/json's own. The scanners below never accept what encoding/json would reject.

// maxScanDepth bounds the nesting skipValue follows before leaving a value to encoding/json.
const maxScanDepth = 64

// skipString returns the index just past the JSON string that starts at b[i] (a '"'). plain
// says it has no escapes and only printable ASCII, so its bytes between the quotes are its
// value. ok is false for anything encoding/json would not accept as a string: a control
// character, a bad escape, no closing quote.
func skipString(b []byte, i int) (next int, plain, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return 0, false, false
	}
	plain = true
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return j + 1, plain, true
		case c == '\\':
			plain = false
			j++
			if j >= len(b) {
				return 0, false, false
			}
			switch b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(b) {
					return 0, false, false
				}
				for _, h := range b[j+1 : j+5] {
					if !isHex(h) {
						return 0, false, false
					}
				}
				j += 4
			default:
				return 0, false, false
			}
		case c < 0x20:
			return 0, false, false
		case c >= 0x80:
			plain = false // encoding/json replaces invalid UTF-8: let it decode the value
		}
	}
	return 0, false, false
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// plainAt reads the plain string (see skipString) at b[i] and returns its bytes, which
// alias b, and the index past it.
func plainAt(b []byte, i int) (s []byte, next int, ok bool) {
	next, plain, ok := skipString(b, i)
	if !ok || !plain {
		return nil, 0, false
	}
	return b[i+1 : next-1], next, true
}

// skipNumber returns the index just past the JSON number at b[i].
func skipNumber(b []byte, i int) (int, bool) {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b):
		return 0, false
	case b[i] == '0':
		i++
	case '1' <= b[i] && b[i] <= '9':
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	default:
		return 0, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || !isDigit(b[i]) {
			return 0, false
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			return 0, false
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	return i, true
}

// parseInt reads the JSON integer at b[i] that encoding/json would decode into an int64: digits
// with an optional minus, no fraction or exponent, in range.
func parseInt(b []byte, i int) (v int64, next int, ok bool) {
	neg := false
	if i < len(b) && b[i] == '-' {
		neg = true
		i++
	}
	start := i
	var u uint64
	for i < len(b) && isDigit(b[i]) {
		d := uint64(b[i] - '0')
		if u > (math.MaxUint64-d)/10 {
			return 0, 0, false
		}
		u = u*10 + d
		i++
	}
	switch {
	case i == start, b[start] == '0' && i > start+1: // no digits, or a leading zero
		return 0, 0, false
	case i < len(b) && (b[i] == '.' || b[i] == 'e' || b[i] == 'E'):
		return 0, 0, false // a number, but not one an int64 takes
	case neg && u > 1<<63, !neg && u > math.MaxInt64:
		return 0, 0, false
	}
	if neg {
		return -int64(u), i, true // -int64(1<<63) wraps to MinInt64, as wanted
	}
	return int64(u), i, true
}

// skipValue returns the index just past the JSON value at b[i], which it validates.
func skipValue(b []byte, i, depth int) (int, bool) {
	if i >= len(b) || depth > maxScanDepth {
		return 0, false
	}
	switch c := b[i]; {
	case c == '"':
		next, _, ok := skipString(b, i)
		return next, ok
	case c == '{':
		return sequence(b, i, func(at int) (int, bool) {
			next, _, ok := skipString(b, at)
			if !ok || next >= len(b) || b[next] != ':' {
				return 0, false
			}
			return skipValue(b, next+1, depth+1)
		})
	case c == '[':
		return sequence(b, i, func(at int) (int, bool) { return skipValue(b, at, depth+1) })
	case c == 't':
		return literal(b, i, "true")
	case c == 'f':
		return literal(b, i, "false")
	case c == 'n':
		return literal(b, i, "null")
	case c == '-' || isDigit(c):
		return skipNumber(b, i)
	}
	return 0, false
}

// literal returns the index past lit if b holds it at i.
func literal(b []byte, i int, lit string) (int, bool) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return 0, false
	}
	return i + len(lit), true
}

// parseBool reads true or false at b[i].
func parseBool(b []byte, i int) (v bool, next int, ok bool) {
	if next, ok = literal(b, i, "true"); ok {
		return true, next, true
	}
	next, ok = literal(b, i, "false")
	return false, next, ok
}

// decodeString decodes the string at b[i:next] as encoding/json does (escapes, invalid UTF-8);
// skipString has validated it.
func decodeString(b []byte, i, next int, plain bool) (string, bool) {
	if plain {
		return string(b[i+1 : next-1]), true
	}
	var s string
	if err := json.Unmarshal(b[i:next], &s); err != nil {
		return "", false
	}
	return s, true
}

// sequence walks the elements of the compact JSON array or object at b[i], calling elem with the
// index of each (an object's element is a field: name, colon and value); elem returns the index
// past it, or false to give up. It returns the index past the array or object.
func sequence(b []byte, i int, elem func(at int) (int, bool)) (int, bool) {
	if i >= len(b) || b[i] != '[' && b[i] != '{' {
		return 0, false
	}
	closing := byte(']')
	if b[i] == '{' {
		closing = '}'
	}
	i++
	if i < len(b) && b[i] == closing {
		return i + 1, true
	}
	for {
		var ok bool
		if i, ok = elem(i); !ok || i >= len(b) {
			return 0, false
		}
		switch b[i] {
		case ',':
			i++
		case closing:
			return i + 1, true
		default:
			return 0, false
		}
	}
}

// objectFields walks the fields of the compact JSON object at b[i], calling field with each
// name (a plain string) and the index of its value; field returns the index past the value, or
// false to give up. It returns the index past the object.
func objectFields(b []byte, i int, field func(name []byte, at int) (int, bool)) (int, bool) {
	if i >= len(b) || b[i] != '{' {
		return 0, false
	}
	return sequence(b, i, func(at int) (int, bool) {
		name, next, ok := plainAt(b, at)
		if !ok || next >= len(b) || b[next] != ':' {
			return 0, false
		}
		return field(name, next+1)
	})
}

// arrayElems walks the elements of the compact JSON array at b[i] (see sequence).
func arrayElems(b []byte, i int, elem func(at int) (int, bool)) (int, bool) {
	if i >= len(b) || b[i] != '[' {
		return 0, false
	}
	return sequence(b, i, elem)
}

// fieldSet notes the fields of an object read so far, up to eight.
type fieldSet uint8

// first reports whether field i is read for the first time (encoding/json keeps the last of a
// field given twice: the fast paths leave that to it).
func (s *fieldSet) first(i int) bool {
	if *s&(1<<i) != 0 {
		return false
	}
	*s |= 1 << i
	return true
}

// otherField skips the value of a field the caller does not know, unless its name matches a
// known one but for case: encoding/json would decode that into the known field.
func otherField(b []byte, name []byte, at int, known ...string) (int, bool) {
	for _, k := range known {
		if foldEqual(name, k) {
			return 0, false
		}
	}
	return skipValue(b, at, 1)
}

// foldEqual reports whether the ASCII name equals k but for case.
func foldEqual(name []byte, k string) bool {
	if len(name) != len(k) {
		return false
	}
	for i, c := range name {
		if lower(c) != lower(k[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
