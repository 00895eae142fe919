package cluster

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/cluster/kafkastate"
)

func TestClusterStartsReady(t *testing.T) {
	c := StartTestCluster(t, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	z, err := kafkastate.DialZooKeeper(ctx, c.ZooKeeperServers())
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	ids, err := z.Brokers()
	if err != nil || len(ids) != 3 {
		t.Fatalf("registered brokers = %v, %v; want 3", ids, err)
	}
	ctl, err := z.Controller()
	if err != nil || c.Broker(ctl.Controller) == nil || ctl.Epoch < 1 {
		t.Fatalf("controller = %+v, %v; want one of the brokers with epoch >= 1", ctl, err)
	}
	parts, err := z.Partitions(DefaultTopic)
	if err != nil || len(parts) != 3 {
		t.Fatalf("partitions of %s = %+v, %v", DefaultTopic, parts, err)
	}
	for _, p := range parts {
		if p.Leader < 1 || len(p.ISR) != 3 {
			t.Errorf("partition %d: leader %d isr %v, want a leader and 3 in sync", p.Partition, p.Leader, p.ISR)
		}
	}
	// Without a power fault nothing of lazyfs: no FUSE device, no SYS_ADMIN, no mount.
	for _, n := range c.Nodes() {
		info, err := n.container.Inspect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if caps := info.HostConfig.CapAdd; slices.Contains(caps, "SYS_ADMIN") || slices.Contains(caps, "CAP_SYS_ADMIN") {
			t.Errorf("%s has SYS_ADMIN: %v", n.Name, caps)
		}
		if len(info.HostConfig.Devices) > 0 || info.HostConfig.Privileged {
			t.Errorf("%s has devices %v, privileged %v", n.Name, info.HostConfig.Devices, info.HostConfig.Privileged)
		}
		if err := c.LosesPower(n); err == nil {
			t.Errorf("%s can lose power without lazyfs", n.Name)
		}
		if out, err := n.exec(ctx, "/opt/kafkaesque/node.sh", "lazyfs", "stats"); err == nil {
			t.Errorf("%s answers lazyfs stats without lazyfs: %s", n.Name, out)
		}
	}
}

func TestUnknownBrokerConfigIsRejected(t *testing.T) {
	RequireDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, err := Start(ctx, Config{Name: "kq-badcfg", Brokers: 1,
		BrokerConfig: map[string]string{"min.insync.replica": "2"}})
	if !errors.Is(err, ErrUnknownConfig) {
		t.Fatalf("Start with a misspelled key: err = %v, want ErrUnknownConfig", err)
	}
	if !strings.Contains(err.Error(), `"min.insync.replica"`) || !strings.Contains(err.Error(), `did you mean "min.insync.replicas"`) {
		t.Errorf("error does not name the key and its fix: %v", err)
	}
	t.Logf("rejected as expected: %v", err)
}
