// Package electionlog holds the election log: the changes of Kafka's controller and partition
// state observed during a run, with their times. The harness writes it; checks and reports read
// it. It is JSON Lines, one Event per line, in the order observed.
package electionlog

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
)

// Kind says what an event describes.
type Kind string

const (
	// KindController is a change of /controller or /controller_epoch.
	KindController Kind = "controller"
	// KindPartition is a change of a partition's leader, leader epoch or ISR.
	KindPartition Kind = "partition"
	// KindUnreachable says a source could not be read; the observer keeps polling.
	KindUnreachable Kind = "unreachable"
)

// Source says where an event was read.
type Source string

const (
	SourceZooKeeper Source = "zookeeper"
	SourceMetadata  Source = "metadata"
)

// NoLeader is Kafka's leader value for a partition that has none.
const NoLeader = -1

// Event is one observed change. Time is nanoseconds since the run began, on the same clock as
// the history's op times, so events and ops can be ordered against each other.
type Event struct {
	Time   int64  `json:"time"`
	Kind   Kind   `json:"kind"`
	Source Source `json:"source"`
	// Broker is the broker whose metadata was read (Source metadata only).
	Broker int `json:"broker,omitempty"`

	// Controller events. Controller is NoLeader when /controller is absent.
	Controller      *int `json:"controller,omitempty"`
	ControllerEpoch *int `json:"controller_epoch,omitempty"`

	// Partition events.
	Topic       string `json:"topic,omitempty"`
	Partition   *int   `json:"partition,omitempty"`
	Leader      *int   `json:"leader,omitempty"`
	LeaderEpoch *int   `json:"leader_epoch,omitempty"`
	ISR         []int  `json:"isr,omitempty"`
	// LeaderRecovery is 1 after an unclean election, until the new leader has recovered.
	LeaderRecovery int `json:"leader_recovery_state,omitempty"`
	// ZkVersion is the version of the partition's state znode (ZooKeeper source): it rises by
	// one with every write, so a gap means states were written that polling did not see.
	ZkVersion *int `json:"zk_version,omitempty"`

	// Error says why a source was unreachable.
	Error string `json:"error,omitempty"`
}

// Key is "<topic>-<partition>", the history's key for a partition.
func (e Event) Key() string {
	if e.Partition == nil {
		return e.Topic
	}
	return fmt.Sprintf("%s-%d", e.Topic, *e.Partition)
}

// SameState reports whether two events describe the same state, ignoring their times.
func (e Event) SameState(o Event) bool {
	e.Time, o.Time = 0, 0
	ej, _ := json.Marshal(e)
	oj, _ := json.Marshal(o)
	return string(ej) == string(oj)
}

// Int returns a pointer to v, for the optional fields.
func Int(v int) *int { return &v }

// Writer appends events to a log, one line each, flushed as it goes so a crash leaves a
// readable prefix. It is safe for concurrent use.
type Writer struct {
	mu  sync.Mutex
	w   io.Writer
	err error
}

// NewWriter returns a Writer appending to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write appends one event.
func (w *Writer) Write(e Event) error {
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode election event: %w", err)
	}
	line = append(line, '\n')
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	if _, err := w.w.Write(line); err != nil {
		w.err = fmt.Errorf("write election log: %w", err)
	}
	return w.err
}

// Read decodes a whole election log. A last line cut off by a crash is dropped; any other
// malformed line is an error naming its line number.
func Read(r io.Reader) ([]Event, error) {
	var events []Event
	br := bufio.NewReader(r)
	for line := 1; ; line++ {
		raw, err := br.ReadBytes('\n')
		if len(raw) > 0 {
			var e Event
			if jerr := json.Unmarshal(raw, &e); jerr != nil {
				if errors.Is(err, io.EOF) && raw[len(raw)-1] != '\n' {
					return events, nil // truncated tail
				}
				return events, fmt.Errorf("election log line %d: %w", line, jerr)
			}
			if e.Kind != KindController && e.Kind != KindPartition && e.Kind != KindUnreachable {
				return events, fmt.Errorf("election log line %d: unknown kind %q", line, e.Kind)
			}
			events = append(events, e)
		}
		if errors.Is(err, io.EOF) {
			return events, nil
		}
		if err != nil {
			return events, fmt.Errorf("read election log: %w", err)
		}
	}
}

// SortedISR returns a sorted copy of an ISR, so ISRs compare regardless of order.
func SortedISR(isr []int) []int {
	s := slices.Clone(isr)
	slices.Sort(s)
	return s
}
