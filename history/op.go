// Package history defines Kafkaesque's operation model and its streaming
// JSON Lines codec. The format is specified in docs/history-format.md.
package history

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// Type says whether an operation line is an invocation or a completion.
type Type string

// Operation types. Info means the outcome is unknown: the operation may or
// may not have taken effect.
const (
	Invoke Type = "invoke"
	OK     Type = "ok"
	Fail   Type = "fail"
	Info   Type = "info"
)

// Valid reports whether t is one of the four operation types.
func (t Type) Valid() bool {
	return t == Invoke || t == OK || t == Fail || t == Info
}

// IsCompletion reports whether t completes an earlier invocation.
func (t Type) IsCompletion() bool { return t == OK || t == Fail || t == Info }

// Client operation names.
const (
	FSend = "send"
	FPoll = "poll"
	// Consumer-group ops (the group workload): a member's join/sync with
	// its assignment, an offset commit, and a FindCoordinator look-up.
	FRebalance   = "rebalance"
	FCommit      = "commit"
	FCoordinator = "coordinator"
	// FCrash is a client crashing on purpose (Jepsen's crash-client): an invoke and an info by
	// the process that dies; the client goes on under a new process id with new connections.
	FCrash = "crash"
)

// IsClientF reports whether f is a client function the format defines.
func IsClientF(f string) bool {
	switch f {
	case FSend, FPoll, FRebalance, FCommit, FCoordinator, FCrash, FTxn:
		return true
	}
	return false
}

// NemesisProcess is the process id of the fault injector. Client processes
// are >= 0.
const NemesisProcess = -1

// Nemesis-process ops that are not faults: a fault's recovery, the final heal-all, and the run's
// wait for the cluster to recover before the final drain (an info with an error when it did not).
const (
	FRecover       = "recover"
	FHealAll       = "heal-all"
	FAwaitRecovery = "await-recovery"
)

// Op is one line of a history.
type Op struct {
	Index   int64           `json:"index"`
	Time    int64           `json:"time"` // nanoseconds since the run began
	Process int             `json:"process"`
	Type    Type            `json:"type"`
	F       string          `json:"f"`
	Value   json.RawMessage `json:"value,omitempty"`
	Error   string          `json:"error,omitempty"`
}

// IsClient reports whether the op belongs to a client process.
func (op Op) IsClient() bool { return op.Process >= 0 }

// SendValue is the value of a send: the invocation carries Key and Value,
// an ok completion also carries the acknowledged Offset.
type SendValue struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Offset *int64 `json:"offset,omitempty"`
}

// PollInvoke is the value of a poll invocation.
type PollInvoke struct {
	Keys []string `json:"keys"`
	// From is the offset asked for, per key (optional: older histories lack it).
	From map[string]int64 `json:"from,omitempty"`
	// Drain marks the final drain's polls, which read every partition to its final high
	// watermark after the cluster healed: together they are the final log.
	Drain bool `json:"drain,omitempty"`
}

// PollResult is the value of an ok poll completion: for each key, the
// records read, in the order the consumer returned them.
type PollResult struct {
	Reads map[string][]Read `json:"reads"`
	// HW is the high watermark the fetch returned, per key (optional).
	HW map[string]int64 `json:"hw,omitempty"`
}

// Read is one record returned by a poll. It marshals as [offset, "value"].
type Read struct {
	Offset int64
	Value  string
}

// MarshalJSON encodes r as a two-element array.
func (r Read) MarshalJSON() ([]byte, error) {
	v, err := json.Marshal(r.Value)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, len(v)+24)
	b = append(b, '[')
	b = strconv.AppendInt(b, r.Offset, 10)
	b = append(b, ',')
	b = append(b, v...)
	return append(b, ']'), nil
}

// UnmarshalJSON decodes [offset, "value"]. It has a fast path for the
// common shape because polls dominate decoding time in large histories.
func (r *Read) UnmarshalJSON(data []byte) error {
	if off, val, ok := parseReadFast(data); ok {
		r.Offset, r.Value = off, val
		return nil
	}
	var pair []json.RawMessage
	if err := json.Unmarshal(data, &pair); err != nil {
		return fmt.Errorf("read: %w", err)
	}
	if len(pair) != 2 {
		return fmt.Errorf("read: want [offset, value], got %d elements", len(pair))
	}
	if err := json.Unmarshal(pair[0], &r.Offset); err != nil {
		return fmt.Errorf("read offset: %w", err)
	}
	if err := json.Unmarshal(pair[1], &r.Value); err != nil {
		return fmt.Errorf("read value: %w", err)
	}
	return nil
}

// parseReadFast handles [123,"abc"] with optional spaces and no escapes.
func parseReadFast(b []byte) (int64, string, bool) {
	b = bytes.TrimSpace(b)
	if len(b) < 5 || b[0] != '[' || b[len(b)-1] != ']' {
		return 0, "", false
	}
	b = bytes.TrimSpace(b[1 : len(b)-1])
	comma := bytes.IndexByte(b, ',')
	if comma < 0 {
		return 0, "", false
	}
	off, err := strconv.ParseInt(string(bytes.TrimSpace(b[:comma])), 10, 64)
	if err != nil {
		return 0, "", false
	}
	s := bytes.TrimSpace(b[comma+1:])
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return 0, "", false
	}
	s = s[1 : len(s)-1]
	for _, c := range s {
		if c == '\\' || c == '"' || c < 0x20 || c >= 0x80 {
			return 0, "", false // let encoding/json handle escapes and UTF-8
		}
	}
	return off, string(s), true
}

// Send decodes the op's value as a SendValue (through ParseSend's fast path).
func (op Op) Send() (SendValue, error) {
	v, err := ParseSend(op.Value)
	if err != nil {
		return SendValue{}, err
	}
	sv := SendValue{Key: string(v.Key), Value: string(v.Value)}
	if v.HasOffset {
		off := v.Offset
		sv.Offset = &off
	}
	return sv, nil
}

// PollKeys decodes the value of a poll invocation.
func (op Op) PollKeys() (PollInvoke, error) {
	var v PollInvoke
	if len(op.Value) == 0 {
		return v, nil
	}
	if err := json.Unmarshal(op.Value, &v); err != nil {
		return v, fmt.Errorf("poll value: %w", err)
	}
	return v, nil
}

// PollReads decodes the value of an ok poll completion.
func (op Op) PollReads() (PollResult, error) {
	var v PollResult
	if err := json.Unmarshal(op.Value, &v); err != nil {
		return v, fmt.Errorf("poll value: %w", err)
	}
	return v, nil
}
