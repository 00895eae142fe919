package workloads

import (
	"errors"
	"net"
	"syscall"

	"github.com/kafkaesque/kafkaesque/history"
	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
)

// errNoAcknowledgement is how a send with acks=0 ends: the broker sends no
// response, so the outcome is unknown even when nothing went wrong.
var errNoAcknowledgement = errors.New("acks=0: no acknowledgement")

// brokerError is an error code a broker returned in a produce response, as
// opposed to an error of the transport on the way there.
type brokerError struct{ err error }

func (e *brokerError) Error() string { return e.err.Error() }
func (e *brokerError) Unwrap() error { return e.err }

// Broker response codes that prove the record was not appended: the broker
// checks them before it writes to the log. Every other code is unknown,
// e.g. NOT_LEADER_OR_FOLLOWER can come back from a leader that appended
// the record and then lost leadership while waiting for the ISR.
var sendNotAppended = map[kafka.Error]bool{
	kafka.NotEnoughReplicas:           true,
	kafka.UnknownTopicOrPartition:     true,
	kafka.MessageSizeTooLarge:         true,
	kafka.InvalidRecord:               true,
	kafka.InvalidMessage:              true,
	kafka.InvalidTopic:                true,
	kafka.RecordListTooLarge:          true,
	kafka.InvalidRequiredAcks:         true,
	kafka.TopicAuthorizationFailed:    true,
	kafka.InvalidTimestamp:            true,
	kafka.UnsupportedForMessageFormat: true,
}

// classifySend maps the error of one send to its completion type. It
// answers fail only when the write provably did not happen; anything it
// cannot prove is info.
func classifySend(err error) history.Type {
	if err == nil {
		return history.OK
	}
	if errors.Is(err, errNoAcknowledgement) {
		return history.Info
	}
	var be *brokerError
	if errors.As(err, &be) {
		var code kafka.Error
		if errors.As(be.err, &code) && sendNotAppended[code] {
			return history.Fail
		}
		return history.Info
	}
	if notSent(err) {
		return history.Fail
	}
	return history.Info
}

// notSent reports whether a transport error happened before the request
// was written: routing found no leader, or no connection could be made.
// Timeouts and context cancellation are not included, because kafka-go
// returns the same error whether the request was queued, written or
// awaiting its response.
func notSent(err error) bool {
	switch {
	case errors.Is(err, protocol.ErrNoTopic),
		errors.Is(err, protocol.ErrNoPartition),
		errors.Is(err, protocol.ErrNoLeader):
		return true // the transport's metadata names no leader to send to
	case errors.Is(err, kafka.BrokerNotAvailable):
		return true // the leader's broker id is not in the transport's metadata
	case errors.Is(err, syscall.ECONNREFUSED):
		return true // only a connect can be refused
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// NotSent is notSent, for the group workload (workloads/group).
func NotSent(err error) bool { return notSent(err) }

// isOffsetOutOfRange reports whether a fetch asked for an offset the
// partition does not have.
func isOffsetOutOfRange(err error) bool { return errors.Is(err, kafka.OffsetOutOfRange) }

// retriable reports whether a send should try again, as kafka-go's Writer does: a broker error
// that Kafka marks temporary, or any transport error (the leader may have moved).
func retriable(err error) bool {
	var be *brokerError
	if errors.As(err, &be) {
		var code kafka.Error
		return errors.As(be.err, &code) && code.Temporary()
	}
	return !errors.Is(err, errNoAcknowledgement)
}
