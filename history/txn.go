package history

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// FTxn is a transaction of the txn workload: one to a few micro-operations (sends and polls) run
// by a transactional producer and a consumer, committed or aborted as one.
const FTxn = "txn"

// Micro-operation names inside a transaction.
const (
	MopSend = "send"
	MopPoll = "poll"
)

// TxnValue is the value of a txn op. The invocation carries the planned mops, the transactional
// id and whether the workload means to abort it; a completion carries the mops again with what
// was learned: a send's offset, a poll's reads.
type TxnValue struct {
	Mops []Mop `json:"mops"`
	// TxnID is the producer's transactional.id (on the invocation).
	TxnID string `json:"txn_id,omitempty"`
	// Abort marks a transaction the workload aborts on purpose (on the invocation).
	Abort bool `json:"abort,omitempty"`
	// CommitAt is when the client asked to commit (EndTxn), in the history's nanoseconds, on a
	// completion whose commit was asked for. Nothing it sent can be visible to a read-committed
	// reader before then.
	CommitAt *int64 `json:"commit_at,omitempty"`
}

// Mop is one micro-operation. It marshals as Jepsen's vectors:
//
//	["send", "t-0", "v1"]          a send, invoked or with no known offset
//	["send", "t-0", [12, "v1"]]    a send the broker acknowledged at offset 12
//	["poll"]                       a poll, invoked or never run
//	["poll", {"t-1": [[3, "v0"]]}] a poll and the records it read per key
type Mop struct {
	F     string // MopSend or MopPoll
	Key   string // send
	Value string // send
	// Offset is a send's acknowledged offset, nil when unknown.
	Offset *int64
	// Reads are a completed poll's records per key; nil for a poll that did not run.
	Reads map[string][]Read
}

// Send returns a send mop.
func Send(key, value string) Mop { return Mop{F: MopSend, Key: key, Value: value} }

// Poll returns a poll mop.
func Poll() Mop { return Mop{F: MopPoll} }

// MarshalJSON encodes the mop as a JSON array.
func (m Mop) MarshalJSON() ([]byte, error) {
	switch m.F {
	case MopSend:
		if m.Offset == nil {
			return json.Marshal([]any{MopSend, m.Key, m.Value})
		}
		return json.Marshal([]any{MopSend, m.Key, Read{Offset: *m.Offset, Value: m.Value}})
	case MopPoll:
		if m.Reads == nil {
			return []byte(`["poll"]`), nil
		}
		return json.Marshal([]any{MopPoll, m.Reads})
	}
	return nil, fmt.Errorf("mop: unknown function %q", m.F)
}

// UnmarshalJSON decodes a mop, refusing any other shape.
func (m *Mop) UnmarshalJSON(data []byte) error {
	if m.parseFast(data) {
		return nil
	}
	return m.unmarshalSlow(data)
}

// unmarshalSlow decodes any mop encoding/json accepts, escapes included.
func (m *Mop) unmarshalSlow(data []byte) error {
	var parts []json.RawMessage
	if err := json.Unmarshal(data, &parts); err != nil {
		return fmt.Errorf("mop: want an array: %w", err)
	}
	if len(parts) == 0 {
		return errors.New("mop: empty array")
	}
	*m = Mop{}
	if err := json.Unmarshal(parts[0], &m.F); err != nil {
		return fmt.Errorf("mop function: %w", err)
	}
	switch m.F {
	case MopSend:
		if len(parts) != 3 {
			return fmt.Errorf("send mop: want [\"send\", key, value], got %d elements", len(parts))
		}
		if err := json.Unmarshal(parts[1], &m.Key); err != nil {
			return fmt.Errorf("send mop key: %w", err)
		}
		if m.Key == "" {
			return errors.New("send mop: empty key")
		}
		if v := bytes.TrimSpace(parts[2]); len(v) > 0 && v[0] == '[' {
			var r Read
			if err := r.UnmarshalJSON(v); err != nil {
				return fmt.Errorf("send mop %s: %w", m.Key, err)
			}
			m.Value, m.Offset = r.Value, &r.Offset
			return nil
		}
		if err := json.Unmarshal(parts[2], &m.Value); err != nil {
			return fmt.Errorf("send mop value: %w", err)
		}
		return nil
	case MopPoll:
		switch len(parts) {
		case 1:
			return nil
		case 2:
			if err := json.Unmarshal(parts[1], &m.Reads); err != nil {
				return fmt.Errorf("poll mop reads: %w", err)
			}
			if m.Reads == nil {
				m.Reads = map[string][]Read{}
			}
			return nil
		}
		return fmt.Errorf("poll mop: want [\"poll\"] or [\"poll\", reads], got %d elements", len(parts))
	}
	return fmt.Errorf("mop: unknown function %q (want send or poll)", m.F)
}

// Txn decodes the op's value as a TxnValue. Every txn line has one, with at least one mop.
func (op Op) Txn() (TxnValue, error) {
	var v TxnValue
	if len(op.Value) == 0 {
		return v, errors.New("txn op has no value")
	}
	if err := json.Unmarshal(op.Value, &v); err != nil {
		return v, fmt.Errorf("txn value: %w", err)
	}
	if len(v.Mops) == 0 {
		return v, errors.New("txn value has no mops")
	}
	return v, nil
}

// parseFast decodes the shapes the workload writes, with plain strings (no escapes, ASCII), in
// one pass: transactional histories are mostly mops, and decoding dominates checking them. It
// reports false, changing nothing, for anything else; UnmarshalJSON then decodes it slowly.
func (m *Mop) parseFast(b []byte) bool {
	b = bytes.TrimSpace(b)
	if len(b) < 8 || b[0] != '[' || b[len(b)-1] != ']' {
		return false
	}
	rest := b[1 : len(b)-1]
	f, rest, ok := plainString(rest)
	if !ok {
		return false
	}
	switch f {
	case MopPoll:
		if len(bytes.TrimSpace(rest)) == 0 {
			*m = Mop{F: MopPoll}
			return true
		}
		return false // a poll's reads: the slow path decodes the object
	case MopSend:
	default:
		return false
	}
	rest, ok = comma(rest)
	if !ok {
		return false
	}
	key, rest, ok := plainString(rest)
	if !ok || key == "" {
		return false
	}
	if rest, ok = comma(rest); !ok {
		return false
	}
	rest = bytes.TrimSpace(rest)
	if len(rest) > 0 && rest[0] == '[' {
		off, val, ok := parseReadFast(rest)
		if !ok {
			return false
		}
		*m = Mop{F: MopSend, Key: key, Value: val, Offset: &off}
		return true
	}
	val, rest, ok := plainString(rest)
	if !ok || len(bytes.TrimSpace(rest)) != 0 {
		return false
	}
	*m = Mop{F: MopSend, Key: key, Value: val}
	return true
}

// plainString reads a JSON string with no escapes and only ASCII from the start of b (after
// spaces), returning it and what follows.
func plainString(b []byte) (string, []byte, bool) {
	b = bytes.TrimSpace(b)
	if len(b) < 2 || b[0] != '"' {
		return "", nil, false
	}
	for i := 1; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			return string(b[1:i]), b[i+1:], true
		case c == '\\' || c < 0x20 || c >= 0x80:
			return "", nil, false
		}
	}
	return "", nil, false
}

// comma skips spaces and one comma.
func comma(b []byte) ([]byte, bool) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != ',' {
		return nil, false
	}
	return b[1:], true
}
