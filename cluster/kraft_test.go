package cluster

import (
	"context"
	"encoding/base64"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/cluster/kafkastate"
)

// newestKRaftVersion is the Kafka release the KRaft tests run (CI builds its image).
const newestKRaftVersion = "4.4.0"

func TestKRaftPropertiesWireTheQuorum(t *testing.T) {
	cfg, err := Config{KafkaVersion: newestKRaftVersion}.WithDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Mode != ModeKRaft || cfg.Controllers != 3 || cfg.ZooKeepers != 0 {
		t.Fatalf("4.x defaults: mode %q, %d controllers, %d ZooKeepers; want kraft, 3, 0", cfg.Mode, cfg.Controllers, cfg.ZooKeepers)
	}
	if _, ok := cfg.BrokerConfig["zookeeper.session.timeout.ms"]; ok {
		t.Error("a KRaft cluster got ZooKeeper settings")
	}
	c := &Cluster{Config: cfg, Subnet: netip.MustParsePrefix("10.199.9.0/24")}
	c.planNodes()
	if got := Names(c.Voters()); !slices.Equal(got, []string{"ctl1", "ctl2", "ctl3"}) {
		t.Fatalf("voters %v, want ctl1-3", got)
	}
	ctl := kraftProperties(cfg, c.Controllers[0], false, true, c.Voters())
	for _, want := range []string{"process.roles=controller\n", "node.id=101\n",
		"controller.quorum.voters=101@10.199.9.2:9093,102@10.199.9.3:9093,103@10.199.9.4:9093\n",
		"listeners=CONTROLLER://10.199.9.2:9093\n", "min.insync.replicas=2\n"} {
		if !strings.Contains(ctl, want) {
			t.Errorf("controller properties lack %q:\n%s", want, ctl)
		}
	}
	if strings.Contains(ctl, "advertised.listeners") {
		t.Errorf("a controller advertises a broker listener:\n%s", ctl)
	}
	broker := kraftProperties(cfg, c.Brokers[0], true, false, c.Voters())
	for _, want := range []string{"process.roles=broker\n", "node.id=1\n", "advertised.listeners=PLAINTEXT://10.199.9.11:9092\n"} {
		if !strings.Contains(broker, want) {
			t.Errorf("broker properties lack %q:\n%s", want, broker)
		}
	}

	combined, err := Config{KafkaVersion: newestKRaftVersion, Combined: true}.WithDefaults()
	if err != nil {
		t.Fatal(err)
	}
	cc := &Cluster{Config: combined, Subnet: netip.MustParsePrefix("10.199.9.0/24")}
	cc.planNodes()
	if len(cc.Controllers) != 0 || !slices.Equal(Names(cc.Voters()), []string{"kafka1", "kafka2", "kafka3"}) {
		t.Fatalf("combined mode: controllers %v, voters %v", Names(cc.Controllers), Names(cc.Voters()))
	}
	both := kraftProperties(combined, cc.Brokers[0], true, true, cc.Voters())
	if !strings.Contains(both, "process.roles=broker,controller\n") || !strings.Contains(both, "listeners=PLAINTEXT://10.199.9.11:9092,CONTROLLER://10.199.9.11:9093\n") {
		t.Errorf("combined properties:\n%s", both)
	}
}

func TestModeAndVersionAreCheckedBeforeStart(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"zk on 4.x", Config{KafkaVersion: "4.4.0", Mode: ModeZooKeeper}, "no ZooKeeper mode"},
		{"unknown mode", Config{Mode: "raft"}, `unknown mode "raft"`},
		{"controllers in zk mode", Config{Controllers: 3}, "KRaft settings"},
		{"zookeepers in kraft mode", Config{Mode: ModeKRaft, ZooKeepers: 3}, "no ZooKeeper nodes"},
		{"too many controllers", Config{Mode: ModeKRaft, Controllers: 7}, "Controllers must be 1 to 5"},
		{"combined needs brokers", Config{Mode: ModeKRaft, Combined: true, Controllers: 5, Brokers: 3}, "only 3 brokers"},
		{"malformed version", Config{KafkaVersion: "4.x"}, "4.x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.cfg.WithDefaults()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("WithDefaults(%+v) = %v, want an error containing %q", tc.cfg, err, tc.want)
			}
		})
	}
}

// A KRaft cluster is ready when the quorum has a leader (a controller node, not a broker),
// every broker is registered and unfenced, and the topic's partitions have leaders and full ISRs.
func TestKRaftClusterStartsReady(t *testing.T) {
	c := StartTestCluster(t, Config{KafkaVersion: newestKRaftVersion})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ctl, err := c.ControllerNode(ctx)
	if err != nil || ctl.Role != RoleController {
		t.Fatalf("controller = %v, %v; want one of the controller nodes", ctl, err)
	}
	views := c.kraft.DescribeQuorum(ctx)
	leaders := 0
	for _, v := range views {
		if v.Err != nil {
			t.Errorf("%s: %v", v.Node, v.Err)
		}
		if v.IsLeader {
			leaders++
			if len(v.Voters) != 3 || len(v.Observers) < 3 || v.Epoch < 1 {
				t.Errorf("leader %s: voters %v, observers %v, epoch %d", v.Node, v.Voters, v.Observers, v.Epoch)
			}
		}
	}
	if leaders != 1 {
		t.Errorf("%d voters answered as leader, want 1: %+v", leaders, views)
	}
	// 4.4.0 formats a new cluster with KIP-966's ELR on (from 4.1) and KIP-890's transactions v2.
	if c.Features["metadata.version"] < 1 || c.Features["eligible.leader.replicas.version"] != 1 || c.Features["transaction.version"] < 2 {
		t.Errorf("finalized features %v, want metadata.version, eligible.leader.replicas.version 1 and transaction.version 2", c.Features)
	}
	ids, err := c.RegisteredBrokers(ctx)
	if err != nil || !slices.Equal(ids, []int{1, 2, 3}) {
		t.Fatalf("registered brokers = %v, %v; want [1 2 3]", ids, err)
	}
	parts, err := c.PartitionStates(ctx, DefaultTopic)
	if err != nil || len(parts) != 3 {
		t.Fatalf("partitions of %s = %+v, %v", DefaultTopic, parts, err)
	}
	for _, p := range parts {
		if p.Leader < 1 || len(p.ISR) != 3 || p.LeaderEpoch < 0 {
			t.Errorf("partition %d: leader %d epoch %d isr %v, want a leader and 3 in sync", p.Partition, p.Leader, p.LeaderEpoch, p.ISR)
		}
	}
}

// A controller's configs are judged as a broker's: a key it only echoes is unknown (with the
// nearest known key), a value it does not report is not in effect, a sensitive one is not compared.
func TestCompareConfig(t *testing.T) {
	have := map[string]kafkastate.ConfigEntry{
		"min.insync.replicas":            {Value: "2", Known: true},
		"min.insync.replica":             {Value: "2"}, // echoed from the file, unknown to Kafka
		"ssl.keystore.password":          {Value: "", Sensitive: true, Known: true},
		"unclean.leader.election.enable": {Value: "false", Known: true},
	}
	if err := compareConfig("controller ctl1", have, map[string]string{"min.insync.replicas": "2", "ssl.keystore.password": "x", "unclean.leader.election.enable": "FALSE"}); err != nil {
		t.Errorf("matching configs: %v", err)
	}
	err := compareConfig("controller ctl1", have, map[string]string{"min.insync.replica": "2"})
	if !errors.Is(err, ErrUnknownConfig) || !strings.Contains(err.Error(), `did you mean "min.insync.replicas"`) {
		t.Errorf("an echoed unknown key: %v", err)
	}
	err = compareConfig("controller ctl1", have, map[string]string{"min.insync.replicas": "3"})
	if err == nil || !strings.Contains(err.Error(), "min.insync.replicas=3 on controller ctl1 is not in effect") {
		t.Errorf("a value not in effect: %v", err)
	}
}

// A cluster id never starts with '-', which kafka-storage's argument parser would take for an
// option; it is always 16 bytes.
func TestClusterIDIsNeverAnOption(t *testing.T) {
	for range 10000 {
		id := newClusterID()
		b, err := base64.RawURLEncoding.DecodeString(id)
		if strings.HasPrefix(id, "-") || err != nil || len(b) != 16 {
			t.Fatalf("cluster id %q (%d bytes, %v)", id, len(b), err)
		}
	}
}
