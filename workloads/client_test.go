package workloads

import (
	"strings"
	"testing"

	"github.com/kafkaesque/kafkaesque/checker"
)

// The allowed set follows the producer: kafka-go and franz-go without idempotence allow
// duplicates, each with its reason; idempotent franz-go allows nothing.
func TestQueueAllowedFollowsTheClient(t *testing.T) {
	for _, tc := range []struct {
		p    ProducerSettings
		want string // reason for duplicate; "" when not allowed
	}{
		{ProducerSettings{}, "kafka-go's producer is not idempotent"},
		{ProducerSettings{Client: ClientKafkaGo}, "kafka-go's producer is not idempotent"},
		{ProducerSettings{Client: ClientFranz, Idempotent: false}, "idempotence off"},
		{ProducerSettings{Client: ClientFranz, Idempotent: true}, ""},
	} {
		allowed := QueueAllowed(tc.p)
		why, ok := allowed[checker.Duplicate]
		if ok != (tc.want != "") || !strings.HasPrefix(why, tc.want) || len(allowed) > 1 {
			t.Errorf("%+v: allowed %v, want duplicate only for %q", tc.p, allowed, tc.want)
		}
	}
}

func TestCheckClient(t *testing.T) {
	for _, tc := range []struct {
		c    QueueConfig
		want string // "" when accepted
	}{
		{QueueConfig{Acks: AcksAll}, ""},
		{QueueConfig{Acks: AcksLeader, Client: ClientKafkaGo}, ""},
		{QueueConfig{Acks: AcksAll, Idempotent: true}, "kafka-go's producer cannot be idempotent"},
		{QueueConfig{Acks: AcksAll, Client: ClientFranz, Idempotent: true}, ""},
		{QueueConfig{Acks: AcksLeader, Client: ClientFranz, Idempotent: true}, "needs acks=all, got acks=1"},
		{QueueConfig{Acks: AcksNone, Client: ClientFranz}, ""},
		{QueueConfig{Acks: AcksAll, Client: "sarama"}, `unknown client "sarama"`},
	} {
		err := tc.c.CheckClient()
		if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v: %v, want %q", tc.c, err, tc.want)
		}
	}
	if _, err := ParseClient("franz-go"); err == nil {
		t.Error(`ParseClient("franz-go") accepted a name the CLI does not`)
	}
}

// The recorded settings are the ones each client runs with.
func TestProducerSettings(t *testing.T) {
	kg := QueueConfig{Acks: AcksAll}.Producer()
	if kg.Client != ClientKafkaGo || kg.Idempotent || kg.MaxInFlight != 1 || kg.OpTimeout != DefaultOpTimeout ||
		!strings.Contains(kg.Retries, "3 attempts") || !strings.Contains(kg.Batching, "1 record per produce request") {
		t.Errorf("kafka-go: %+v", kg)
	}
	fi := QueueConfig{Acks: AcksAll, Client: ClientFranz, Idempotent: true}.Producer()
	if fi.Client != ClientFranz || !fi.Idempotent || fi.MaxInFlight != franzIdempotentInFlight || fi.Linger != franzLinger ||
		!strings.Contains(fi.Retries, "deduplicated") {
		t.Errorf("idempotent franz-go: %+v", fi)
	}
	fp := QueueConfig{Acks: AcksLeader, Client: ClientFranz}.Producer()
	if fp.Idempotent || fp.MaxInFlight != franzPlainInFlight || fp.Acks != AcksLeader || strings.Contains(fp.Retries, "deduplicated") {
		t.Errorf("franz-go without idempotence: %+v", fp)
	}
}
