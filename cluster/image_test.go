package cluster

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/cluster/engine"
	"github.com/kafkaesque/kafkaesque/cluster/nodeimage"
)

// TestInspectImage reads the labels of the images CI builds (scripts/test.sh: 3.9.2 and 4.4.0)
// from the engine, and checks them against what is known of each version.
func TestInspectImage(t *testing.T) {
	RequireDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	docker, err := engine.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}

	info, err := nodeimage.Inspect(ctx, docker, nodeimage.For("3.9.2"))
	if err != nil {
		t.Fatal(err)
	}
	if info.KafkaVersion != "3.9.2" || info.ZooKeeperVersion == "" || info.Java != "17" || !slices.Equal(info.Modes, []string{"zk", "kraft"}) {
		t.Errorf("3.9.2: %+v", info)
	}
	// Kafka 3.9.2 knows 332 broker config names: the list harness/brokerconfigs/3.9.2.txt held
	// before the labels, which the label reproduced exactly. Static, internal
	// (server.max.startup.time.ms) and dynamic-only (the throttles) names are all in.
	if len(info.BrokerConfigKeys) != 332 {
		t.Errorf("3.9.2: %d broker config names, want 332", len(info.BrokerConfigKeys))
	}
	for _, k := range []string{"zookeeper.connect", "broker.id", "process.roles", "eligible.leader.replicas.enable",
		"server.max.startup.time.ms", "leader.replication.throttled.rate", "replica.alter.log.dirs.io.max.bytes.per.second"} {
		if !info.BrokerConfigKeys[k] {
			t.Errorf("3.9.2: broker config keys lack %s", k)
		}
	}

	info, err = nodeimage.Inspect(ctx, docker, nodeimage.For("4.4.0"))
	if err != nil {
		t.Fatal(err)
	}
	if info.KafkaVersion != "4.4.0" || info.ZooKeeperVersion != "" || info.Java != "17" || !slices.Equal(info.Modes, []string{"kraft"}) {
		t.Errorf("4.4.0: %+v", info)
	}
	for _, k := range []string{"process.roles", "node.id", "controller.quorum.voters", "controller.quorum.bootstrap.servers", "controller.listener.names", "min.insync.replicas", "leader.replication.throttled.rate"} {
		if !info.BrokerConfigKeys[k] {
			t.Errorf("4.4.0: broker config keys lack %s", k)
		}
	}
	// Gone in 4.0 with ZooKeeper mode.
	if info.BrokerConfigKeys["zookeeper.connect"] {
		t.Errorf("4.4.0: broker config keys hold zookeeper.connect")
	}

	_, err = nodeimage.Inspect(ctx, docker, nodeimage.For("2.8.99"))
	if !errors.Is(err, nodeimage.ErrMissing) || !strings.Contains(err.Error(), "images/build.sh 2.8.99") {
		t.Errorf("missing image: error = %v, want nodeimage.ErrMissing naming images/build.sh 2.8.99", err)
	}
}
