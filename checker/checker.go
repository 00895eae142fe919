// Package checker turns a Kafka history into a verdict: it finds the
// anomalies of docs/history-format.md and names them with Jepsen's Kafka
// vocabulary. It is pure: it reads a history and returns a Result.
package checker

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// AnomalyType names a kind of anomaly.
type AnomalyType string

// The anomaly types the checker reports.
const (
	LostWrite           AnomalyType = "lost-write"
	Unseen              AnomalyType = "unseen"
	Duplicate           AnomalyType = "duplicate"
	InconsistentOffsets AnomalyType = "inconsistent-offsets"
	AbortedRead         AnomalyType = "aborted-read"
	NonmonotonicSend    AnomalyType = "nonmonotonic-send"
	NonmonotonicPoll    AnomalyType = "nonmonotonic-poll"
	PollSkip            AnomalyType = "poll-skip"
	Nonlinearizable     AnomalyType = "nonlinearizable"
	// PhantomRead is a poll that returned a value no send carried, or one sent to another key.
	PhantomRead AnomalyType = "phantom-read"

	// Transactional anomalies (checker/txn), with Jepsen's names; AbortedRead is G1a.
	PrecommittedRead    AnomalyType = "precommitted-read"     // a read of a send its transaction had not asked to commit
	TornTransaction     AnomalyType = "torn-transaction"      // a committed transaction's sends seen partly
	IntPollSkip         AnomalyType = "int-poll-skip"         // a transaction's reads of a key skipped a committed value
	IntNonmonotonicPoll AnomalyType = "int-nonmonotonic-poll" // a transaction's reads of a key went backwards
	IntSendSkip         AnomalyType = "int-send-skip"         // another committed value between a transaction's sends to a key
	IntNonmonotonicSend AnomalyType = "int-nonmonotonic-send" // a transaction's sends to a key at decreasing offsets
	// Dependency cycles among committed transactions (checker/cycle's names).
	G0          AnomalyType = "G0"
	G0Process   AnomalyType = "G0-process"
	G0Realtime  AnomalyType = "G0-realtime"
	G1c         AnomalyType = "G1c"
	G1cProcess  AnomalyType = "G1c-process"
	G1cRealtime AnomalyType = "G1c-realtime"

	// Election-log invariants (checker/runcheck); their anomalies point at election events.
	MultipleControllers       AnomalyType = "multiple-controllers"
	ControllerEpochRegression AnomalyType = "controller-epoch-regression"
	LeaderEpochRegression     AnomalyType = "leader-epoch-regression"
	UncleanElection           AnomalyType = "unclean-election"
	// KRaft invariants (checker/runcheck: elections_quorum.go, elections_kraft.go).
	StaleQuorumLeader     AnomalyType = "stale-quorum-leader"
	HWAdvancedBelowMinISR AnomalyType = "hw-advanced-below-min-isr"

	// Consumer-group anomalies (checker/group); their ops are the history lines that show them.
	GroupUnconsumed       AnomalyType = "group-unconsumed"        // an acked value no member ever read
	GroupSharedPartition  AnomalyType = "group-shared-partition"  // two members consumed one partition in one generation
	GroupCommitRegression AnomalyType = "group-commit-regression" // a partition's committed offset went backwards
	GroupResumeSkip       AnomalyType = "group-resume-skip"       // a member resumed beyond every commit that could have happened
)

// AnomalyTypes lists every type the checkers report (this package's, checker/runcheck's and
// checker/group's), in report order.
var AnomalyTypes = []AnomalyType{
	LostWrite, Unseen, PhantomRead, Duplicate, InconsistentOffsets, AbortedRead,
	PrecommittedRead, TornTransaction,
	NonmonotonicSend, NonmonotonicPoll, PollSkip, Nonlinearizable,
	IntPollSkip, IntNonmonotonicPoll, IntSendSkip, IntNonmonotonicSend,
	G0, G0Process, G0Realtime, G1c, G1cProcess, G1cRealtime,
	MultipleControllers, ControllerEpochRegression, LeaderEpochRegression, UncleanElection,
	StaleQuorumLeader, HWAdvancedBelowMinISR,
	GroupUnconsumed, GroupSharedPartition, GroupCommitRegression, GroupResumeSkip,
}

// ParseAnomalyType returns the type named s, or an error if it is unknown.
func ParseAnomalyType(s string) (AnomalyType, error) {
	for _, t := range AnomalyTypes {
		if string(t) == s {
			return t, nil
		}
	}
	names := make([]string, len(AnomalyTypes))
	for i, t := range AnomalyTypes {
		names[i] = string(t)
	}
	return "", fmt.Errorf("unknown anomaly type %q (known: %s)", s, strings.Join(names, ", "))
}

// Anomaly is one occurrence of an anomaly, with the ops that show it.
type Anomaly struct {
	Type        AnomalyType `json:"type"`
	Key         string      `json:"key"`               // "<topic>-<partition>"
	Ops         []int64     `json:"ops"`               // indexes of the history lines that show it
	Process     *int        `json:"process,omitempty"` // for per-process anomalies
	Offsets     []int64     `json:"offsets,omitempty"`
	Values      []string    `json:"values,omitempty"`
	Explanation string      `json:"explanation"` // one line, for humans
	// Events are indexes into the election log, for election-log anomalies.
	Events []int `json:"events,omitempty"`
}

// Validity is a tri-state verdict. It marshals to true, false or "unknown". The zero value is
// Unknown, so a result that never got a verdict (or a results.json without one) is never valid.
type Validity int8

// Verdicts.
const (
	Unknown Validity = iota
	Valid
	Invalid
)

func (v Validity) String() string {
	switch v {
	case Valid:
		return "valid"
	case Invalid:
		return "invalid"
	default:
		return "unknown"
	}
}

// MarshalJSON encodes v as true, false or "unknown".
func (v Validity) MarshalJSON() ([]byte, error) {
	switch v {
	case Valid:
		return []byte("true"), nil
	case Invalid:
		return []byte("false"), nil
	default:
		return []byte(`"unknown"`), nil
	}
}

// UnmarshalJSON accepts true, false or "unknown".
func (v *Validity) UnmarshalJSON(b []byte) error {
	switch strings.TrimSpace(string(b)) {
	case "true":
		*v = Valid
	case "false":
		*v = Invalid
	case `"unknown"`:
		*v = Unknown
	default:
		return fmt.Errorf("validity: want true, false or \"unknown\", got %s", b)
	}
	return nil
}

// Stats describe the history and the work done checking it.
type Stats struct {
	Lines           int64   `json:"lines"` // ops read
	Keys            int     `json:"keys"`
	Values          int     `json:"values"` // distinct values sent or read
	SendsOK         int64   `json:"sends_ok"`
	SendsFail       int64   `json:"sends_fail"`
	SendsInfo       int64   `json:"sends_info"`
	PollsOK         int64   `json:"polls_ok"`
	PollsFail       int64   `json:"polls_fail"`
	PollsInfo       int64   `json:"polls_info"`
	Incomplete      int64   `json:"incomplete"` // client invocations with no completion
	NemesisOps      int64   `json:"nemesis_ops"`
	UnsentValues    int64   `json:"unsent_values_read"` // values read that no send in the history wrote
	LinOps          int64   `json:"linearizability_ops"`
	LinSegments     int64   `json:"linearizability_segments"`
	LinLargest      int     `json:"linearizability_largest_segment"`
	LinFallback     int64   `json:"linearizability_fallback_segments"` // too large for porcupine
	LinSeconds      float64 `json:"linearizability_seconds"`
	DurationSeconds float64 `json:"duration_seconds"`
}

// Result is the checker's verdict. It is written as results.json and read
// back by reports, so fields are only ever added.
type Result struct {
	// Valid is Invalid if any anomaly that is not allowed occurred, else
	// Unknown if a check could not finish (see Incomplete), else Valid.
	Valid Validity `json:"valid"`
	// Anomalies maps each type that occurred to its occurrences, sorted by
	// key and first op. Allowed types are reported here too.
	Anomalies map[AnomalyType][]Anomaly `json:"anomalies"`
	// Allowed lists the types that were reported but did not fail the run.
	Allowed []AnomalyType `json:"allowed,omitempty"`
	// Incomplete says why checks could not finish (for example a timeout).
	Incomplete []string `json:"incomplete,omitempty"`
	// Warnings are problems with the history that did not stop the check.
	Warnings []string `json:"warnings,omitempty"`
	Stats    Stats    `json:"stats"`
	// Faults measures each injected fault's unavailability (checker/runcheck), when a run was
	// checked as a whole (runcheck.Check).
	Faults []FaultImpact `json:"faults,omitempty"`
	// Group describes the consumer-group ops (checker/group), for histories of the group workload.
	Group *GroupStats `json:"group,omitempty"`
	// Txn describes the transactions (checker/txn), for histories of the txn workload.
	Txn *TxnStats `json:"txn,omitempty"`
	// Causes groups the anomalies by what probably caused them (causes.go), most damaging first:
	// one truncated range of a partition's log is one cause, however many anomaly types it shows.
	Causes []Cause `json:"causes,omitempty"`
	// intact is, per key, the offsets known to hold their acknowledged value (for Causes).
	intact map[string][]int64

	// Lag is the worst realtime lag of each partition's polls (lag.go): how long before a poll
	// began the first write it did not see had been acknowledged. Lag is measured, never a failure.
	Lag []PartitionLag `json:"lag,omitempty"`
}

// Cause is a group of anomalies that one event probably explains: those of one key whose
// offsets form one damaged range, or a single anomaly that shares nothing with the others.
type Cause struct {
	Key     string              `json:"key,omitempty"`
	Offsets []int64             `json:"offsets,omitempty"` // [first, last] offset of the range, when known
	Counts  map[AnomalyType]int `json:"counts"`            // anomalies of each type in this cause
	Ops     []int64             `json:"ops,omitempty"`     // the ops of its first anomaly, to link to
	Summary string              `json:"summary"`           // one line, for humans
}

// PartitionLag is the worst realtime lag observed on one key.
type PartitionLag struct {
	Key          string  `json:"key"`
	WorstSeconds float64 `json:"worst_s"`
	Op           int64   `json:"op"`    // the poll (its invocation) with the worst lag
	Polls        int64   `json:"polls"` // ok polls of the key measured
	// Source says what a poll's visible end was taken from: "hw" (the high watermark the fetch
	// returned) or "reads" (the last offset read, Jepsen's measure, for histories without hw).
	Source string `json:"source"`
}

// Options tune a check.
type Options struct {
	// Allow lists types that are reported but do not fail the verdict.
	// Allowing Duplicate also lets the linearizability model append a
	// send's value more than once; allowing AbortedRead lets it treat a
	// failed send that was read as one that may have happened.
	Allow map[AnomalyType]bool
	// LinearizabilityTimeLimit bounds the porcupine search; zero means no
	// limit. When it runs out the verdict is Unknown.
	LinearizabilityTimeLimit time.Duration
}

// Check reads a history from r and checks it. A final line cut off by a
// crash is skipped with a warning; any other bad line is an error.
func Check(ctx context.Context, r io.Reader, opts Options) (*Result, error) {
	c := New(opts)
	warnings, err := Stream(ctx, r, c.Observe)
	if err != nil {
		return nil, err
	}
	res := c.Finish(ctx)
	res.Warnings = append(warnings, res.Warnings...)
	return res, nil
}

// verdict fills Valid and Allowed from the anomalies found.
func (r *Result) verdict(allow map[AnomalyType]bool) {
	r.Valid = Valid
	if len(r.Incomplete) > 0 {
		r.Valid = Unknown
	}
	for t, list := range r.Anomalies {
		if len(list) == 0 {
			delete(r.Anomalies, t)
			continue
		}
		if allow[t] {
			r.Allowed = append(r.Allowed, t)
			continue
		}
		r.Valid = Invalid
	}
	sort.Slice(r.Allowed, func(i, j int) bool { return r.Allowed[i] < r.Allowed[j] })
	for _, list := range r.Anomalies {
		sort.SliceStable(list, func(i, j int) bool {
			if list[i].Key != list[j].Key {
				return list[i].Key < list[j].Key
			}
			return firstOp(list[i]) < firstOp(list[j])
		})
	}
	r.Causes = findCauses(r.Anomalies, allow, r.intact)
}

func firstOp(a Anomaly) int64 {
	if len(a.Ops) == 0 {
		return -1
	}
	return a.Ops[0]
}

// MarshalJSON keeps Anomalies an object even when empty.
func (r Result) MarshalJSON() ([]byte, error) {
	type plain Result
	if r.Anomalies == nil {
		r.Anomalies = map[AnomalyType][]Anomaly{}
	}
	return json.Marshal(plain(r))
}
