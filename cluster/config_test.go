package cluster

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kafkaesque/kafkaesque/cluster/engine"
	"github.com/kafkaesque/kafkaesque/cluster/nodeimage"
)

// The Go default is the safe configuration the CLI and the README use: min.insync.replicas 2
// with the default three brokers and replication factor 3.
func TestDefaultMinInsyncReplicasIsTwo(t *testing.T) {
	c, err := Config{}.WithDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if got := c.BrokerConfig["min.insync.replicas"]; got != "2" {
		t.Errorf("default min.insync.replicas = %q, want 2 (the CLI's and README's)", got)
	}
	if rf := c.Topics[0].ReplicationFactor; rf < 2 {
		t.Errorf("default topic replication factor %d cannot satisfy min.insync.replicas 2", rf)
	}
	for brokers := 2; brokers <= 9; brokers++ {
		c, err := Config{Brokers: brokers}.WithDefaults()
		if err != nil {
			t.Fatalf("%d brokers: %v", brokers, err)
		}
		if got := c.BrokerConfig["min.insync.replicas"]; got != "2" {
			t.Errorf("%d brokers: min.insync.replicas = %q, want 2", brokers, got)
		}
	}
	// One broker cannot hold two replicas: its default is 1, and its default topic is valid.
	c, err = Config{Brokers: 1}.WithDefaults()
	if err != nil {
		t.Fatalf("1 broker: %v", err)
	}
	if got := c.BrokerConfig["min.insync.replicas"]; got != "1" {
		t.Errorf("1 broker: min.insync.replicas = %q, want 1", got)
	}
	// An explicit setting wins.
	c, err = Config{BrokerConfig: map[string]string{"min.insync.replicas": "1"}}.WithDefaults()
	if err != nil || c.BrokerConfig["min.insync.replicas"] != "1" {
		t.Errorf("explicit min.insync.replicas 1: %v, got %q", err, c.BrokerConfig["min.insync.replicas"])
	}
}

// A topic whose replication factor is below min.insync.replicas can take no acks=all write:
// refused before anything starts, naming the topic and where the setting came from.
func TestMinInsyncReplicasAboveReplicationFactorIsRefused(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want []string
	}{
		{"harness default", Config{Topics: []TopicSpec{{Name: "t", Partitions: 1, ReplicationFactor: 1}}},
			[]string{"topic t", "replication factor 1", "min.insync.replicas 2", "the harness default"}},
		{"broker config", Config{BrokerConfig: map[string]string{"min.insync.replicas": "3"},
			Topics: []TopicSpec{{Name: "t", Partitions: 1, ReplicationFactor: 2}}},
			[]string{"replication factor 2", "min.insync.replicas 3", "BrokerConfig"}},
		{"topic config", Config{Topics: []TopicSpec{{Name: "t", Partitions: 1, ReplicationFactor: 3,
			Config: map[string]string{"min.insync.replicas": "4"}}}},
			[]string{"min.insync.replicas 4", "the topic's Config"}},
		{"not a number", Config{BrokerConfig: map[string]string{"min.insync.replicas": "two"}},
			[]string{`min.insync.replicas "two"`, "not a positive integer"}},
	}
	for _, tc := range cases {
		_, err := tc.cfg.WithDefaults()
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", tc.name, err, w)
			}
		}
	}
	// The near miss: replication factor equal to min.insync.replicas is fine.
	ok := Config{Topics: []TopicSpec{{Name: "t", Partitions: 1, ReplicationFactor: 2}}}
	if _, err := ok.WithDefaults(); err != nil {
		t.Errorf("RF 2 with min.insync.replicas 2: %v", err)
	}
	// A topic that lowers its own min.insync.replicas may have a smaller replication factor.
	low := Config{Topics: []TopicSpec{{Name: "t", Partitions: 1, ReplicationFactor: 1,
		Config: map[string]string{"min.insync.replicas": "1"}}}}
	if _, err := low.WithDefaults(); err != nil {
		t.Errorf("RF 1 with the topic's min.insync.replicas 1: %v", err)
	}
}

// The image's own list of broker config names holds every key the harness sets by default, in
// either mode, and a misspelling is refused naming the nearest real key.
func TestBrokerKeyListCoversTheHarnessDefaults(t *testing.T) {
	RequireDocker(t)
	ctx := context.Background()
	docker, err := engine.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		version string
		mode    Mode
	}{{DefaultKafkaVersion, ModeZooKeeper}, {DefaultKafkaVersion, ModeKRaft}, {newestKRaftVersion, ModeKRaft}} {
		info, err := nodeimage.Inspect(ctx, docker, nodeimage.For(tc.version))
		if err != nil {
			t.Fatal(err)
		}
		if len(info.BrokerConfigKeys) < 300 {
			t.Fatalf("%d broker config names for %s, want the whole list", len(info.BrokerConfigKeys), tc.version)
		}
		for k := range defaultBrokerConfig(3, tc.mode) {
			if !info.BrokerConfigKeys[k] {
				t.Errorf("Kafka %s: the harness's default key %q is not in the image's list", tc.version, k)
			}
		}
	}
	err = CheckBrokerKeys(ctx, nodeimage.For(DefaultKafkaVersion), map[string]string{"zookeeper.sesion.timeout.ms": "1"})
	if !errors.Is(err, ErrUnknownConfig) || !strings.Contains(err.Error(), `"zookeeper.session.timeout.ms"`) {
		t.Errorf("misspelled session timeout: %v", err)
	}
	if err := CheckBrokerKeys(ctx, "kafkaesque/node:9.9.9", nil); !errors.Is(err, nodeimage.ErrMissing) || !strings.Contains(err.Error(), "images/build.sh 9.9.9") {
		t.Errorf("a missing image: %v, want nodeimage.ErrMissing naming its build command", err)
	}
}

func TestCheckKeysAcceptsListenerOverrides(t *testing.T) {
	known := map[string]bool{"min.insync.replicas": true, "ssl.keystore.location": true}
	if err := checkKeys(known, map[string]string{"listener.name.plaintext.ssl.keystore.location": "/k", "min.insync.replicas": "2"}); err != nil {
		t.Errorf("known keys and a listener override: %v", err)
	}
	err := checkKeys(known, map[string]string{"min.insync.replica": "2"})
	if !errors.Is(err, ErrUnknownConfig) || !strings.Contains(err.Error(), `did you mean "min.insync.replicas"`) {
		t.Errorf("misspelled key: %v", err)
	}
}

// lazyfs is mounted for the roles asked for only; ZooKeeper's data always in the journal model.
func TestLazyfsEnvPerRole(t *testing.T) {
	roles := []Role{RoleKafka, RoleController, RoleZooKeeper}
	for _, tc := range []struct {
		l    Lazyfs
		want map[Role]string // role -> LAZYFS_DIRS + " " + LAZYFS_ARGS
	}{
		{Lazyfs{}, map[Role]string{}},
		{Lazyfs{Kafka: true}, map[Role]string{RoleKafka: "/data/kafka ", RoleController: "/data/kafka "}},
		{Lazyfs{Kafka: true, Journal: true}, map[Role]string{RoleKafka: "/data/kafka --journal", RoleController: "/data/kafka --journal"}},
		{Lazyfs{ZooKeeper: true}, map[Role]string{RoleZooKeeper: "/data/zookeeper --journal"}},
	} {
		for _, r := range roles {
			env := tc.l.env(r)
			want, on := tc.want[r]
			if !on {
				if env != nil {
					t.Errorf("%+v: %s gets %v, want nothing", tc.l, r, env)
				}
				continue
			}
			if got := env["LAZYFS_DIRS"] + " " + env["LAZYFS_ARGS"]; got != want {
				t.Errorf("%+v: %s gets %q, want %q", tc.l, r, got, want)
			}
		}
	}
	if _, err := (Config{KafkaVersion: "4.4.0", Lazyfs: Lazyfs{ZooKeeper: true}}).WithDefaults(); err == nil {
		t.Error("lazyfs for ZooKeeper accepted in KRaft mode")
	}
	if _, err := (Config{Lazyfs: Lazyfs{Journal: true}}).WithDefaults(); err == nil {
		t.Error("the journal model accepted with lazyfs off")
	}
}
