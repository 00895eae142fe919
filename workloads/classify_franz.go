package workloads

import (
	"errors"

	"github.com/kafkaesque/kafkaesque/history"
	"github.com/twmb/franz-go/pkg/kerr"
)

// franzNotAppended are the broker codes that prove a franz-go send was not appended: the
// broker rejects the batch for what it is, before it writes, on every attempt alike. They are
// kafka-go's sendNotAppended less its retriable codes (NOT_ENOUGH_REPLICAS,
// UNKNOWN_TOPIC_OR_PARTITION, CORRUPT_MESSAGE): kgo retries those itself, unseen by the
// workload, so an earlier attempt may have been appended (NOT_ENOUGH_REPLICAS is checked before
// the broker's sequence-number dedup, so even an idempotent retry can meet it after an append).
var franzNotAppended = map[int16]bool{
	kerr.MessageTooLarge.Code:             true,
	kerr.InvalidTopicException.Code:       true,
	kerr.RecordListTooLarge.Code:          true,
	kerr.InvalidRequiredAcks.Code:         true,
	kerr.TopicAuthorizationFailed.Code:    true,
	kerr.InvalidTimestamp.Code:            true,
	kerr.UnsupportedForMessageFormat.Code: true,
	kerr.InvalidRecord.Code:               true,
}

// classifyFranzSend maps the error a franz-go promise gave one send to its completion type:
// fail only for a code in franzNotAppended, info for anything else. kgo does not say whether
// a failed record was ever written to a broker, so its own errors (ErrRecordTimeout,
// ErrRecordRetries, ErrClientClosed), transport errors, context ends and errNoOutcome are all
// unknown outcomes, as kafka-go's timeouts are.
func classifyFranzSend(err error) history.Type {
	if err == nil {
		return history.OK
	}
	var ke *kerr.Error
	if errors.As(err, &ke) && !ke.Retriable && franzNotAppended[ke.Code] {
		return history.Fail
	}
	return history.Info
}
