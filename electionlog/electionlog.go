// Package electionlog holds the election log: the changes of Kafka's controller, quorum and
// partition state observed during a run, with their times. The harness writes it; checks and
// reports read it. It is JSON Lines, one Event per line, in the order observed. Fields are only
// ever added, so old logs still read.
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
	// KindPartition is a change of a partition's leader, leader epoch, ISR, ELR or (in the
	// leader's own view) high watermark.
	KindPartition Kind = "partition"
	// KindQuorum is a change of one node's answer to DescribeQuorum (KRaft): the metadata
	// quorum's leader, epoch, voters, observers and lagging voters.
	KindQuorum Kind = "quorum"
	// KindUnreachable says a source could not be read; the observer keeps polling.
	KindUnreachable Kind = "unreachable"
)

// kinds are the kinds Read accepts.
var kinds = []Kind{KindController, KindPartition, KindQuorum, KindUnreachable}

// Source says where an event was read.
type Source string

const (
	SourceZooKeeper Source = "zookeeper"
	// SourceMetadata is one broker's metadata view (Metadata or DescribeTopicPartitions). In
	// KRaft it is a lagging but prefix-consistent replay of the metadata log.
	SourceMetadata Source = "metadata"
	// SourceQuorum is one node's DescribeQuorum answer (KRaft).
	SourceQuorum Source = "quorum"
)

// NoLeader is Kafka's leader value for a partition that has none.
const NoLeader = -1

// Event is one observed change. Time is nanoseconds since the run began, on the same clock as
// the history's op times, so events and ops can be ordered against each other.
type Event struct {
	Time   int64  `json:"time"`
	Kind   Kind   `json:"kind"`
	Source Source `json:"source"`
	// Broker is the node whose view was read (sources metadata and quorum): a broker id, or a
	// controller id for a controller's DescribeQuorum answer.
	Broker int `json:"broker,omitempty"`

	// Controller events. Controller is NoLeader when /controller is absent.
	Controller      *int `json:"controller,omitempty"`
	ControllerEpoch *int `json:"controller_epoch,omitempty"`

	// Partition events; Leader and LeaderEpoch also serve quorum events, for the quorum's
	// leader (NoLeader while it has none) and its epoch.
	Topic       string `json:"topic,omitempty"`
	Partition   *int   `json:"partition,omitempty"`
	Leader      *int   `json:"leader,omitempty"`
	LeaderEpoch *int   `json:"leader_epoch,omitempty"`
	ISR         []int  `json:"isr,omitempty"`
	// ELR and LastKnownELR are KIP-966's eligible leader replicas and last known ELR
	// (DescribeTopicPartitions, Kafka 4.x with ELR on); empty otherwise.
	ELR          []int `json:"elr,omitempty"`
	LastKnownELR []int `json:"last_known_elr,omitempty"`
	// HighWatermark is the partition's high watermark, recorded only in the view of the broker
	// that leads it (ListOffsets). It is state, not detail: its change is a new event.
	HighWatermark *int64 `json:"high_watermark,omitempty"`
	// LeaderRecovery is 1 after an unclean election, until the new leader has recovered.
	LeaderRecovery int `json:"leader_recovery_state,omitempty"`
	// ZkVersion is the version of the partition's state znode (ZooKeeper source): it rises by
	// one with every write, so a gap means states were written that polling did not see.
	ZkVersion *int `json:"zk_version,omitempty"`

	// Quorum events (KRaft). Lagging are the voters the leader has not seen caught up with its
	// log end within the quorum fetch timeout (last caught-up time older, or unknown).
	Voters    []int `json:"voters,omitempty"`
	Observers []int `json:"observers,omitempty"`
	Lagging   []int `json:"lagging,omitempty"`
	// QuorumHW and Replicas are details: SameState ignores them, so their changes alone are
	// not recorded.
	QuorumHW *int64          `json:"quorum_hw,omitempty"`
	Replicas []QuorumReplica `json:"replicas,omitempty"`

	// Error says why a source was unreachable.
	Error string `json:"error,omitempty"`
}

// QuorumReplica is one voter's or observer's replication state in a DescribeQuorum answer.
// The times are Kafka's: milliseconds since the Unix epoch on the leader's clock, -1 if unknown.
type QuorumReplica struct {
	ID             int   `json:"id"`
	LogEndOffset   int64 `json:"log_end_offset"`
	LastFetchMs    int64 `json:"last_fetch_ms"`
	LastCaughtUpMs int64 `json:"last_caught_up_ms"`
}

// Key is "<topic>-<partition>", the history's key for a partition.
func (e Event) Key() string {
	if e.Partition == nil {
		return e.Topic
	}
	return fmt.Sprintf("%s-%d", e.Topic, *e.Partition)
}

// SameState reports whether two events describe the same state, ignoring their times and the
// detail fields (QuorumHW, Replicas).
func (e Event) SameState(o Event) bool {
	e.Time, o.Time = 0, 0
	e.QuorumHW, o.QuorumHW = nil, nil
	e.Replicas, o.Replicas = nil, nil
	ej, _ := json.Marshal(e)
	oj, _ := json.Marshal(o)
	return string(ej) == string(oj)
}

// Int returns a pointer to v, for the optional fields.
func Int(v int) *int { return &v }

// Int64 returns a pointer to v, for the optional offsets.
func Int64(v int64) *int64 { return &v }

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
			if !slices.Contains(kinds, e.Kind) {
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
func SortedISR(isr []int) []int { return SortedIDs(isr) }

// SortedIDs returns a sorted copy of a list of node ids (an ISR, ELR, voters, observers,
// lagging voters): writers sort them so that SameState does not see a reordering as a change.
func SortedIDs(ids []int) []int {
	s := slices.Clone(ids)
	slices.Sort(s)
	return s
}
