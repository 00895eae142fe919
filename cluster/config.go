package cluster

import (
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kafkaesque/kafkaesque/cluster/nodeimage"
)

// Config describes a cluster. The zero value of each field means its default.
type Config struct {
	// Name prefixes container names; default "kafkaesque".
	Name string
	// KafkaVersion is the Kafka release the nodes run; default DefaultKafkaVersion.
	KafkaVersion string
	// Image is the node image; default nodeimage.For(KafkaVersion). Its labels must name KafkaVersion.
	Image string
	// Mode is ModeZooKeeper or ModeKRaft; default ZooKeeper where the version has it (before 4.0),
	// else KRaft.
	Mode Mode
	// ZooKeepers is 1 or 3; default 1 (ZooKeeper mode only).
	ZooKeepers int
	// Controllers is the number of KRaft controller voters, 1 to 5; default 3 (KRaft only).
	Controllers int
	// Combined runs each controller inside one of the first Controllers brokers
	// (process.roles=broker,controller) instead of on a node of its own (KRaft only).
	Combined bool
	// Brokers is the number of Kafka brokers; default 3.
	Brokers int
	// BrokerConfig overrides server.properties keys. After start every key is checked against the
	// brokers' own DescribeConfigs: an unknown (misspelled) key or a value not in effect is an error.
	BrokerConfig map[string]string
	// Topics are created at start; the cluster is ready when all their partitions have leaders.
	// Default: one topic "kafkaesque" with 3 partitions and replication factor min(3, Brokers).
	Topics []TopicSpec
	// ZooKeeperTickTime bounds ZooKeeper session timeouts to [2, 20] ticks; default 500ms.
	ZooKeeperTickTime time.Duration
	// Subnet of the cluster's network, e.g. 10.199.7.0/24. Default: the first free /24 in
	// 10.199.0.0/16, so clusters of parallel test packages do not collide.
	Subnet string
	// StartTimeout bounds cluster start-up; default 90s.
	StartTimeout time.Duration
	// JavaOpts replaces the node JVM's options when set.
	JavaOpts string
	// Lazyfs puts nodes' data directories on lazyfs (docs/lazyfs.md) so that a power fault can
	// drop what they did not fsync. Off by default; only the nodes it names get /dev/fuse and
	// CAP_SYS_ADMIN.
	Lazyfs Lazyfs `json:",omitzero"`
	// Keep labels the cluster's containers and network engine.LabelKeep, so that it may outlive
	// this process (Release instead of Close) without a later run's start sweeping it away.
	Keep bool `json:",omitempty"`
}

// Lazyfs says which nodes' data directories sit on lazyfs.
type Lazyfs struct {
	// Kafka: every broker's and KRaft controller's /data/kafka.
	Kafka bool `json:",omitempty"`
	// ZooKeeper: every ZooKeeper node's /data/zookeeper. These always use the journal model
	// (lazyfs --journal): ZooKeeper makes its version-2 directory and never fsyncs its parent,
	// so in the strict model the first power loss would take the ensemble's whole state, which
	// a journaling filesystem (ext4, xfs) does not do.
	ZooKeeper bool `json:",omitempty"`
	// Journal puts Kafka's directories in the journal model too (any fsync commits earlier
	// directory-entry changes, as ext4 and xfs do); the default is LazyFS's strict model, where
	// only an fsync of a directory makes its entries durable.
	Journal bool `json:",omitempty"`
}

// On says whether any node's data sits on lazyfs.
func (l Lazyfs) On() bool { return l.Kafka || l.ZooKeeper }

// env is the node environment that makes node.sh mount lazyfs for a node of role, or nil.
func (l Lazyfs) env(role Role) map[string]string {
	switch {
	case role == RoleZooKeeper && l.ZooKeeper:
		return map[string]string{"LAZYFS_DIRS": "/data/zookeeper", "LAZYFS_ARGS": "--journal"}
	case (role == RoleKafka || role == RoleController) && l.Kafka:
		env := map[string]string{"LAZYFS_DIRS": "/data/kafka"}
		if l.Journal {
			env["LAZYFS_ARGS"] = "--journal"
		}
		return env
	}
	return nil
}

// TopicSpec is a topic to create.
type TopicSpec struct {
	Name              string
	Partitions        int
	ReplicationFactor int
	// Config overrides topic-level keys; checked after creation like BrokerConfig.
	Config map[string]string
}

// DefaultTopic is the topic a cluster creates when its config names none.
const DefaultTopic = "kafkaesque"

// Defaults tuned so elections happen within seconds rather than the production defaults' tens of
// seconds; every one can be overridden through BrokerConfig. min.insync.replicas is the safe 2
// the CLI and the README use (1 only on a one-broker cluster, which cannot hold two replicas).
// In KRaft a broker is fenced after broker.session.timeout.ms without a heartbeat, the analogue
// of the ZooKeeper session timeout, and gets the same 6 s.
func defaultBrokerConfig(brokers int, mode Mode) map[string]string {
	rf := strconv.Itoa(min(3, brokers))
	cfg := map[string]string{
		"replica.lag.time.max.ms":                  "10000",
		"auto.leader.rebalance.enable":             "false",
		"unclean.leader.election.enable":           "false",
		"min.insync.replicas":                      strconv.Itoa(DefaultMinInsyncReplicas(brokers)),
		"default.replication.factor":               rf,
		"offsets.topic.replication.factor":         rf,
		"offsets.topic.num.partitions":             "6",
		"transaction.state.log.replication.factor": rf,
		"transaction.state.log.min.isr":            strconv.Itoa(min(2, brokers)),
		"group.initial.rebalance.delay.ms":         "0",
		"controlled.shutdown.enable":               "true",
	}
	if mode == ModeKRaft {
		cfg["broker.session.timeout.ms"] = "6000"
	} else {
		cfg["zookeeper.session.timeout.ms"] = "6000"
		cfg["zookeeper.connection.timeout.ms"] = "10000"
	}
	return cfg
}

// DefaultMinInsyncReplicas is the harness's min.insync.replicas for a cluster of brokers brokers.
func DefaultMinInsyncReplicas(brokers int) int { return min(2, brokers) }

// Keys the harness sets itself: overriding them would break the cluster's wiring.
var reservedBrokerKeys = []string{"broker.id", "listeners", "advertised.listeners", "zookeeper.connect", "log.dirs",
	"node.id", "process.roles", "controller.quorum.voters", "controller.quorum.bootstrap.servers",
	"controller.listener.names", "listener.security.protocol.map", "inter.broker.listener.name"}

// DefaultKafkaVersion is the release a cluster runs unless told otherwise.
const DefaultKafkaVersion = "3.9.2"

func (c Config) WithDefaults() (Config, error) {
	if c.Name == "" {
		c.Name = "kafkaesque"
	}
	if c.KafkaVersion == "" {
		c.KafkaVersion = DefaultKafkaVersion
	}
	version, err := nodeimage.ParseKafkaVersion(c.KafkaVersion)
	if err != nil {
		return c, fmt.Errorf("cluster config: %w", err)
	}
	if c.Image == "" {
		c.Image = nodeimage.For(c.KafkaVersion)
	}
	if err := c.withModeDefaults(version); err != nil {
		return c, err
	}
	if c.Brokers == 0 {
		c.Brokers = 3
	}
	if c.ZooKeeperTickTime == 0 {
		c.ZooKeeperTickTime = 500 * time.Millisecond
	}
	if c.StartTimeout == 0 {
		c.StartTimeout = 90 * time.Second
	}
	if c.Brokers < 1 || c.Brokers > 9 {
		return c, fmt.Errorf("cluster config: Brokers must be 1 to 9, got %d", c.Brokers)
	}
	if c.Mode == ModeKRaft && c.Combined && c.Controllers > c.Brokers {
		return c, fmt.Errorf("cluster config: combined mode runs the %d controllers inside brokers, but there are only %d brokers", c.Controllers, c.Brokers)
	}
	for _, k := range reservedBrokerKeys {
		if _, ok := c.BrokerConfig[k]; ok {
			return c, fmt.Errorf("cluster config: broker key %q is set by the harness and cannot be overridden", k)
		}
	}
	for k := range c.BrokerConfig {
		if strings.TrimSpace(k) != k || k == "" || strings.ContainsAny(k, "=:\n") {
			return c, fmt.Errorf("cluster config: malformed broker config key %q", k)
		}
	}
	_, userSet := c.BrokerConfig["min.insync.replicas"]
	merged := defaultBrokerConfig(c.Brokers, c.Mode)
	maps.Copy(merged, c.BrokerConfig)
	c.BrokerConfig = merged
	if len(c.Topics) == 0 {
		c.Topics = []TopicSpec{{Name: DefaultTopic, Partitions: 3, ReplicationFactor: min(3, c.Brokers)}}
	}
	for _, t := range c.Topics {
		if t.Name == "" || t.Partitions < 1 || t.ReplicationFactor < 1 || t.ReplicationFactor > c.Brokers {
			return c, fmt.Errorf("cluster config: bad topic %+v (needs a name, partitions >= 1, 1 <= replication factor <= brokers)", t)
		}
		if err := checkMinISR(t, c.BrokerConfig, userSet); err != nil {
			return c, err
		}
	}
	if c.Lazyfs.ZooKeeper && c.Mode != ModeZooKeeper {
		return c, errors.New("cluster config: Lazyfs.ZooKeeper needs ZooKeeper mode (KRaft has no ZooKeeper nodes)")
	}
	if c.Lazyfs.Journal && !c.Lazyfs.Kafka {
		return c, errors.New("cluster config: Lazyfs.Journal (--lazyfs-journal) is a model for Kafka's data on lazyfs, which is off: ask for a power fault or Lazyfs.Kafka (--lazyfs)")
	}
	if c.Subnet != "" {
		p, err := netip.ParsePrefix(c.Subnet)
		if err != nil || !p.Addr().Is4() || p.Bits() > 24 {
			return c, fmt.Errorf("cluster config: Subnet %q must be an IPv4 prefix of /24 or larger", c.Subnet)
		}
	}
	return c, nil
}

// withModeDefaults fills in and checks the mode and its quorum: ZooKeeper mode needs a release
// before 4.0, KRaft one that has it; each mode's quorum fields are refused in the other.
func (c *Config) withModeDefaults(v nodeimage.KafkaVersion) error {
	if c.Mode == "" {
		c.Mode = ModeZooKeeper
		if !v.HasZooKeeper() {
			c.Mode = ModeKRaft
		}
	}
	switch c.Mode {
	case ModeZooKeeper:
		if !v.HasZooKeeper() {
			return fmt.Errorf("cluster config: Kafka %s has no ZooKeeper mode (it ended with 4.0): use KRaft mode", v)
		}
		if c.Controllers != 0 || c.Combined {
			return fmt.Errorf("cluster config: controllers and combined mode are KRaft settings; ZooKeeper mode has a ZooKeeper ensemble instead")
		}
		if c.ZooKeepers == 0 {
			c.ZooKeepers = 1
		}
		if c.ZooKeepers != 1 && c.ZooKeepers != 3 {
			return fmt.Errorf("cluster config: ZooKeepers must be 1 or 3, got %d", c.ZooKeepers)
		}
	case ModeKRaft:
		// Before 3.3 KRaft was early access, and its DescribeQuorum answered a non-leader with
		// a top-level error the observer would take for an unreachable node.
		if !v.KRaftProductionReady() {
			return fmt.Errorf("cluster config: Kafka %s has no production-ready KRaft mode (it came with 3.3): use ZooKeeper mode", v)
		}
		if c.ZooKeepers != 0 {
			return fmt.Errorf("cluster config: KRaft mode has no ZooKeeper nodes (got ZooKeepers %d)", c.ZooKeepers)
		}
		if c.Controllers == 0 {
			c.Controllers = 3
		}
		if c.Controllers < 1 || c.Controllers > 5 {
			return fmt.Errorf("cluster config: Controllers must be 1 to 5, got %d", c.Controllers)
		}
	default:
		return fmt.Errorf("cluster config: unknown mode %q (want %q or %q)", c.Mode, ModeZooKeeper, ModeKRaft)
	}
	return nil
}

// checkMinISR refuses a topic whose replication factor is below its min.insync.replicas (the
// topic's own setting, else the brokers'): no acks=all write to it could ever succeed.
func checkMinISR(t TopicSpec, broker map[string]string, brokerSet bool) error {
	value, origin := broker["min.insync.replicas"], "the harness default"
	if brokerSet {
		origin = "BrokerConfig"
	}
	if v, ok := t.Config["min.insync.replicas"]; ok {
		value, origin = v, "the topic's Config"
	}
	n, err := strconv.Atoi(value)
	if err != nil || n < 1 {
		return fmt.Errorf("cluster config: min.insync.replicas %q (from %s) is not a positive integer", value, origin)
	}
	if n > t.ReplicationFactor {
		return fmt.Errorf("cluster config: topic %s has replication factor %d, below min.insync.replicas %d (from %s): "+
			"no acks=all write could succeed; raise the replication factor or set min.insync.replicas <= %d",
			t.Name, t.ReplicationFactor, n, origin, t.ReplicationFactor)
	}
	return nil
}

// renderProperties writes a Java properties file with sorted keys, so files diff cleanly.
func renderProperties(props map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(props)) {
		fmt.Fprintf(&b, "%s=%s\n", k, props[k])
	}
	return b.String()
}

func zooCfg(tick time.Duration, zks []*Node) string {
	props := map[string]string{
		"tickTime":               strconv.FormatInt(tick.Milliseconds(), 10),
		"dataDir":                "/data/zookeeper",
		"clientPort":             strconv.Itoa(ZooKeeperPort),
		"initLimit":              "20",
		"syncLimit":              "5",
		"maxClientCnxns":         "0",
		"4lw.commands.whitelist": "srvr,ruok,stat,mntr",
		"admin.enableServer":     "false",
	}
	if len(zks) > 1 {
		for _, z := range zks {
			props[fmt.Sprintf("server.%d", z.ID)] = fmt.Sprintf("%s:2888:3888", z.IP)
		}
	}
	return renderProperties(props)
}

func serverProperties(cfg Config, broker *Node, zks []*Node) string {
	props := maps.Clone(cfg.BrokerConfig)
	connect := make([]string, len(zks))
	for i, z := range zks {
		connect[i] = z.Addr()
	}
	props["broker.id"] = strconv.Itoa(broker.ID)
	props["listeners"] = "PLAINTEXT://" + broker.Addr()
	props["advertised.listeners"] = "PLAINTEXT://" + broker.Addr()
	props["zookeeper.connect"] = strings.Join(connect, ",")
	props["log.dirs"] = "/data/kafka"
	return renderProperties(props)
}
