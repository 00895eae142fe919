package rundir

import (
	"encoding/json"
	"testing"
)

// The image record is read however its keys are spelled.
func TestImageInfoSpellings(t *testing.T) {
	for _, raw := range []string{`{"Kafka":"4.0.1","ZooKeeper":"","Java":"17"}`, `{"kafka_version":"4.0.1","java-version":"17"}`,
		`{"KafkaVersion":"4.0.1","JavaVersion":"17","Labels":{"x":"y"}}`} {
		var i ImageInfo
		if err := json.Unmarshal([]byte(raw), &i); err != nil {
			t.Fatal(err)
		}
		if got := i.String(); got != "Kafka 4.0.1, Java 17" {
			t.Errorf("%s: %q", raw, got)
		}
	}
	// Another shape of "image" costs the versions, not the rest of config.json.
	var c Config
	if err := json.Unmarshal([]byte(`{"run_id":"r","image":"kafkaesque/node:4.0.1"}`), &c); err != nil || c.RunID != "r" || c.Image.String() != "" {
		t.Errorf("config with an image name: %v, %+v", err, c)
	}
}
