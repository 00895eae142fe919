package rundir

import (
	"encoding/json"
	"testing"
)

// The producer's settings are rendered from config.json; a run from before the client choice
// shows none rather than a guess.
func TestProducerLine(t *testing.T) {
	for _, tc := range []struct{ raw, line, tag string }{
		{`{"spec":{}}`, "", ""},
		{`{"producer":{"client":"franz","acks":"all","idempotent":true,"retries":"unlimited","max_in_flight":5,"linger":0,"batching":"kgo's batches","op_timeout":5000000000}}`,
			"franz-go, idempotent, acks=all, retries: unlimited, max 5 in flight per broker, linger 0s, kgo's batches, op timeout 5s", " · franz idempotent"},
		{`{"producer":{"client":"franz","acks":"1","idempotent":false,"retries":"unlimited","max_in_flight":1,"linger":10000000,"batching":"b","op_timeout":3000000000}}`,
			"franz-go, not idempotent, acks=1, retries: unlimited, max 1 in flight per broker, linger 10ms, b, op timeout 3s", " · franz not idempotent"},
		{`{"producer":{"client":"kafka-go","acks":"all","retries":"3 attempts","max_in_flight":1,"linger":0,"batching":"1 record","op_timeout":5000000000}}`,
			"kafka-go, not idempotent, acks=all, retries: 3 attempts, max 1 in flight per broker, linger 0s, 1 record, op timeout 5s", ""},
	} {
		var c Config
		if err := json.Unmarshal([]byte(tc.raw), &c); err != nil {
			t.Fatal(err)
		}
		if got := c.ProducerLine(); got != tc.line {
			t.Errorf("%s:\n got %q\nwant %q", tc.raw, got, tc.line)
		}
		if got := c.ClientTag(); got != tc.tag {
			t.Errorf("%s: tag %q, want %q", tc.raw, got, tc.tag)
		}
	}
}
