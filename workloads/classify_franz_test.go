package workloads

import (
	"context"
	"errors"
	"fmt"
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

// With no broker to answer, a send ends at its op timeout as info, not a hang or a fail:
// kgo keeps an idempotent record until it has an outcome, so the workload stops waiting.
func TestFranzSendWithoutBrokerIsInfoAtTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: every dial is refused
	cfg, err := QueueConfig{Bootstrap: []string{addr}, Topic: "t", Partitions: 1, Acks: AcksAll, Producers: 1,
		Client: ClientFranz, Idempotent: true}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	p, err := newFranzProducer(cfg, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, typ, err := p.send(ctx, 0, "v1")
	if typ != history.Info || err == nil {
		t.Errorf("send without a broker: %s, %v; want info", typ, err)
	}
	if waited := time.Since(start); waited > 2*time.Second {
		t.Errorf("send waited %s past its 300ms op timeout", waited)
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
