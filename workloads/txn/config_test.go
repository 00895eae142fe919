package txn

import (
	"encoding/json"
	"math"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/history"
	"github.com/kafkaesque/kafkaesque/workloads"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestConfigDefaults(t *testing.T) {
	cfg, err := testConfig().withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Isolation != ReadCommitted || cfg.MaxMops != DefaultMaxMops || cfg.TxnTimeout != DefaultTxnTimeout || cfg.Processes == nil || cfg.AbortRate != 0 {
		t.Errorf("defaults: %+v", cfg)
	}
}

// Every bad field is refused with an error that names it, all at once.
func TestConfigRefused(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no bootstrap", func(c *Config) { c.Bootstrap = nil }, "no bootstrap servers"},
		{"no topic", func(c *Config) { c.Topic = "" }, "no topic"},
		{"no partitions", func(c *Config) { c.Partitions = 0 }, "Partitions must be >= 1"},
		{"no clients", func(c *Config) { c.Clients = 0 }, "Clients must be >= 1"},
		{"isolation", func(c *Config) { c.Isolation = "serializable" }, `isolation "serializable"`},
		{"abort rate above 1", func(c *Config) { c.AbortRate = 1.5 }, "AbortRate must be in [0, 1], got 1.5"},
		{"negative abort rate", func(c *Config) { c.AbortRate = -0.1 }, "AbortRate must be in [0, 1]"},
		{"NaN abort rate", func(c *Config) { c.AbortRate = math.NaN() }, "AbortRate must be in [0, 1], got NaN"},
		{"negative delay", func(c *Config) { c.TxnDelay = -time.Second }, "TxnDelay, CrashInterval and OpTimeout must not be negative"},
		{"negative crash interval", func(c *Config) { c.CrashInterval = -1 }, "must not be negative"},
		{"negative mops", func(c *Config) { c.MaxMops = -1 }, "MaxMops must be >= 1"},
		{"txn timeout too long", func(c *Config) { c.TxnTimeout = time.Hour }, "TxnTimeout must be in [1ms, 15m0s]"},
		{"negative rate", func(c *Config) { c.Rate = -1 }, "Rate must not be negative"},
	}
	for _, tc := range cases {
		cfg := testConfig()
		tc.edit(&cfg)
		_, err := cfg.withDefaults()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
		if _, err := New(cfg, history.NewRecorder(history.NewWriter(new(lockedBuffer)), time.Now()), rand.New(rand.NewSource(1))); err == nil {
			t.Errorf("%s: New accepted it", tc.name)
		}
	}
	cfg := testConfig()
	cfg.Topic, cfg.Clients = "", 0
	if _, err := cfg.withDefaults(); err == nil || !strings.Contains(err.Error(), "no topic") || !strings.Contains(err.Error(), "Clients") {
		t.Errorf("two problems, error %v: want both named", err)
	}
	for _, rate := range []float64{0, 1} {
		cfg := testConfig()
		cfg.AbortRate = rate
		if _, err := cfg.withDefaults(); err != nil {
			t.Errorf("abort rate %v refused: %v", rate, err)
		}
	}
}

// Settings record what ran: franz-go, acks=all, idempotent, and the workload's own settings.
func TestSettings(t *testing.T) {
	cfg := testConfig()
	cfg.Isolation, cfg.AbortRate, cfg.TxnDelay, cfg.CrashInterval, cfg.TxnTimeout = ReadUncommitted, 0.2, 50*time.Millisecond, 3*time.Second, 7*time.Second
	w, _ := fakeWorkload(t, cfg, newFakeKafka())
	s := w.Settings()
	if s.Client != workloads.ClientFranz || s.Acks != workloads.AcksAll || !s.Idempotent || s.Isolation != ReadUncommitted ||
		s.TransactionTimeout != 7*time.Second || s.AbortRate != 0.2 || s.TxnDelay != 50*time.Millisecond ||
		s.CrashInterval != 3*time.Second || s.MaxMops != DefaultMaxMops || s.MaxInFlight != 5 || s.Retries == "" || s.OpTimeout != time.Second {
		t.Errorf("settings %+v", s)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"client":"franz"`, `"acks":"all"`, `"idempotent":true`, `"isolation":"read-uncommitted"`, `"abort_rate":0.2`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("settings JSON %s lacks %s", b, want)
		}
	}
}

func TestParseIsolation(t *testing.T) {
	for _, s := range []string{"read-committed", "read-uncommitted"} {
		if i, err := ParseIsolation(s); err != nil || string(i) != s {
			t.Errorf("ParseIsolation(%q) = %q, %v", s, i, err)
		}
	}
	if _, err := ParseIsolation("read_committed"); err == nil {
		t.Error("read_committed accepted")
	}
	if ReadUncommitted.franz() != kgo.ReadUncommitted() || ReadCommitted.franz() != kgo.ReadCommitted() || Isolation("").franz() != kgo.ReadCommitted() {
		t.Error("isolation levels map to the wrong kgo levels")
	}
}

// Plans: 1 to MaxMops mops, unique values, keys naming the partition, aborts at the rate.
func TestPlan(t *testing.T) {
	cfg := testConfig()
	cfg.AbortRate, cfg.MaxMops = 0.25, 3
	w, _ := fakeWorkload(t, cfg, newFakeKafka())
	c := w.clients[0]
	seen, aborts, lengths := map[string]bool{}, 0, map[int]int{}
	const n = 4000
	for range n {
		p := c.plan()
		lengths[len(p.mops)]++
		if p.abort {
			aborts++
		}
		for i, m := range p.mops {
			if m.F != history.MopSend {
				continue
			}
			if seen[m.Value] {
				t.Fatalf("value %s planned twice", m.Value)
			}
			seen[m.Value] = true
			if m.Key != workloads.Key("t", p.partitions[i]) {
				t.Fatalf("send %+v to partition %d", m, p.partitions[i])
			}
		}
	}
	if len(lengths) != 3 || lengths[0] != 0 || lengths[4] != 0 {
		t.Errorf("lengths %v, want 1 to 3", lengths)
	}
	if r := float64(aborts) / n; r < 0.2 || r > 0.3 {
		t.Errorf("abort share %.3f, want about 0.25", r)
	}
}
