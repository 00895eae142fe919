package workloads

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/history"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestClassifyFranzSend(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want history.Type
	}{
		{"acknowledged", nil, history.OK},
		{"acks=0", errNoAcknowledgement, history.Info},
		{"no outcome within the op timeout", fmt.Errorf("%w: %w", errNoOutcome, context.DeadlineExceeded), history.Info},

		// Codes that prove no append on every attempt: rejected for what the batch is.
		{"message too large", kerr.MessageTooLarge, history.Fail},
		{"invalid record, wrapped", fmt.Errorf("produce: %w", kerr.InvalidRecord), history.Fail},
		{"topic authorization", kerr.TopicAuthorizationFailed, history.Fail},
		{"invalid timestamp", kerr.InvalidTimestamp, history.Fail},

		// Retriable codes: kgo retried them unseen, after attempts that may have been appended.
		{"not enough replicas (a retry can meet it after an append)", kerr.NotEnoughReplicas, history.Info},
		{"unknown topic or partition", kerr.UnknownTopicOrPartition, history.Info},
		{"corrupt message", kerr.CorruptMessage, history.Info},
		{"not leader", kerr.NotLeaderForPartition, history.Info},
		{"request timed out", kerr.RequestTimedOut, history.Info},
		{"not enough replicas after append", kerr.NotEnoughReplicasAfterAppend, history.Info},
		// Idempotence's own codes: kgo handles them; surfacing, their outcome is unknown.
		{"out of order sequence", kerr.OutOfOrderSequenceNumber, history.Info},
		{"duplicate sequence (already appended)", kerr.DuplicateSequenceNumber, history.Info},
		{"invalid producer epoch", kerr.InvalidProducerEpoch, history.Info},
		{"unknown producer id", kerr.UnknownProducerID, history.Info},

		// kgo's own errors and the transport's: kgo does not say whether the record went out.
		{"record timeout", kgo.ErrRecordTimeout, history.Info},
		{"record retries", kgo.ErrRecordRetries, history.Info},
		{"client closed", kgo.ErrClientClosed, history.Info},
		{"context cancelled", context.Canceled, history.Info},
		{"deadline", context.DeadlineExceeded, history.Info},
		{"dial refused", &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, history.Info},
		{"something else", errors.New("boom"), history.Info},
	} {
		if got := classifyFranzSend(tc.err); got != tc.want {
			t.Errorf("%s (%v): %s, want %s", tc.name, tc.err, got, tc.want)
		}
	}
}

// With no broker to answer, every pipelined send ends at its op timeout as info, not a hang or a
// fail: kgo keeps an idempotent record until it has an outcome, so the sweeper stops waiting. Each
// slot goes on as a new process after an info, and Run returns once every send has its outcome.
func TestFranzPipelineWithoutBrokerIsInfoAtTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: every dial is refused
	var buf bytes.Buffer
	rec := history.NewRecorder(history.NewWriter(&buf), time.Now())
	q, err := NewQueue(QueueConfig{Bootstrap: []string{addr}, Topic: "t", Partitions: 2, Acks: AcksAll, Producers: 1,
		InFlight: 3, Client: ClientFranz, Idempotent: true, OpTimeout: 300 * time.Millisecond}, rec, rand.New(rand.NewSource(1)))
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	if err := q.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited > 3*time.Second {
		t.Errorf("Run took %s with a 1s run and a 300ms op timeout", waited)
	}
	st := q.Stats().Send
	if st.Invoked < 3 || st.Info != st.Invoked || st.OK+st.Fail != 0 {
		t.Errorf("sends without a broker: %+v; want every one info", st)
	}
	procs := map[int]bool{}
	d := history.NewDecoder(&buf)
	for {
		op, err := d.Next()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if op.Type == history.Invoke {
			if procs[op.Process] {
				t.Errorf("process %d invoked again after an info", op.Process)
			}
			procs[op.Process] = true
		}
	}
	if d.Outstanding() != 0 {
		t.Errorf("%d sends without an outcome in the history", d.Outstanding())
	}
}

func TestFranzAcknowledged(t *testing.T) {
	p := &franzProducer{topic: "t", acks: AcksAll}
	if off, err := p.acknowledged(&kgo.Record{Topic: "t", Partition: 2, Offset: 41}, 2, nil); err != nil || off != 41 {
		t.Errorf("acknowledged at 41: %d, %v", off, err)
	}
	if _, err := p.acknowledged(&kgo.Record{Topic: "t", Partition: 1, Offset: 41}, 2, nil); err == nil || classifyFranzSend(err) != history.Info {
		t.Errorf("an ack for another partition: %v, want an info error", err)
	}
	p.acks = AcksNone
	if _, err := p.acknowledged(&kgo.Record{Topic: "t", Partition: 2}, 2, nil); !errors.Is(err, errNoAcknowledgement) {
		t.Errorf("acks=0: %v, want errNoAcknowledgement", err)
	}
}
