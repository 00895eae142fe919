package workloads

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/history"
	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
	"github.com/segmentio/kafka-go/protocol/produce"
)

// produceErr wraps err the way kafka.(*Client).Produce wraps transport errors.
func produceErr(err error) error { return fmt.Errorf("kafka.(*Client).Produce: %w", err) }

func TestClassifySend(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want history.Type
	}{
		{"acknowledged", nil, history.OK},
		{"acks=0", errNoAcknowledgement, history.Info},

		// Codes in the produce response.
		{"not leader after the request went out", &brokerError{kafka.NotLeaderForPartition}, history.Info},
		{"not enough replicas after append", &brokerError{kafka.NotEnoughReplicasAfterAppend}, history.Info},
		{"broker timed out waiting for the ISR", &brokerError{kafka.RequestTimedOut}, history.Info},
		{"storage error", &brokerError{kafka.KafkaStorageError}, history.Info},
		{"not enough replicas (checked before append)", &brokerError{kafka.NotEnoughReplicas}, history.Fail},
		{"not enough replicas with message", &brokerError{fmt.Errorf("%w: isr too small", kafka.NotEnoughReplicas)}, history.Fail},
		{"unknown topic or partition", &brokerError{kafka.UnknownTopicOrPartition}, history.Fail},
		{"message too large", &brokerError{kafka.MessageSizeTooLarge}, history.Fail},
		{"invalid record", &brokerError{kafka.InvalidRecord}, history.Fail},
		{"corrupt message", &brokerError{kafka.InvalidMessage}, history.Fail},

		// Transport errors.
		{"dial refused", produceErr(&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}), history.Fail},
		{"dial timeout", produceErr(&net.OpError{Op: "dial", Net: "tcp", Err: os.ErrDeadlineExceeded}), history.Fail},
		{"no leader in metadata", produceErr(produce.NewError(protocol.NewErrNoLeader("t", 0))), history.Fail},
		{"topic not in metadata", produceErr(produce.NewError(protocol.NewErrNoTopic("t"))), history.Fail},
		{"leader's broker unknown", produceErr(kafka.BrokerNotAvailable), history.Fail},
		{"op deadline", produceErr(context.DeadlineExceeded), history.Info},
		{"cancelled mid-write", produceErr(context.Canceled), history.Info},
		{"read timeout", produceErr(&net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}), history.Info},
		{"connection reset after write", produceErr(&net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}), history.Info},
		{"broken pipe while writing", produceErr(&net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", syscall.EPIPE)}), history.Info},
		{"connection closed", produceErr(io.EOF), history.Info},
		{"short read", produceErr(io.ErrUnexpectedEOF), history.Info},
		{"unrecognised", errors.New("something else"), history.Info},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := classifySend(tc.err); got != tc.want {
				t.Errorf("classifySend(%v) = %s, want %s", tc.err, got, tc.want)
			}
		})
	}
}

// A broker that refuses connections: kafka-go never gets metadata, sends
// nothing, and the send is a definite fail.
func TestClassifySendRefusedBroker(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	client, transport := newClient([]string{addr}, "t", time.Second)
	defer transport.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err = produceOne(ctx, client, "t", 0, AcksAll, "v1")
	if got := classifySend(err); got != history.Fail {
		t.Errorf("send to a refusing broker: %v classified %s, want fail", err, got)
	}
}

func TestOffsetOutOfRange(t *testing.T) {
	err := fmt.Errorf("fetch t-0 from 9: %w", kafka.OffsetOutOfRange)
	if !isOffsetOutOfRange(err) {
		t.Errorf("%v not recognised as OffsetOutOfRange", err)
	}
	if isOffsetOutOfRange(kafka.NotLeaderForPartition) {
		t.Error("NotLeaderForPartition taken for OffsetOutOfRange")
	}
}

func TestRetriable(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"not leader: the leader moved", &brokerError{kafka.NotLeaderForPartition}, true},
		{"not enough replicas: the ISR may grow back", &brokerError{kafka.NotEnoughReplicas}, true},
		{"broker request timeout", &brokerError{kafka.RequestTimedOut}, true},
		{"message too large never succeeds", &brokerError{kafka.MessageSizeTooLarge}, false},
		{"invalid record never succeeds", &brokerError{kafka.InvalidRecord}, false},
		{"connection refused: a dead leader", produceErr(syscall.ECONNREFUSED), true},
		{"client-side timeout", produceErr(context.DeadlineExceeded), true},
		{"acks=0 has nothing to retry", errNoAcknowledgement, false},
	} {
		if got := retriable(tc.err); got != tc.want {
			t.Errorf("%s: retriable(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}
