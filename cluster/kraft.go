package cluster

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"maps"
	"net/netip"
	"strconv"
	"strings"
)

// Mode is how a cluster keeps its metadata.
type Mode string

const (
	// ModeZooKeeper: brokers and a ZooKeeper ensemble; the controller is the broker holding
	// /controller (Kafka before 4.0).
	ModeZooKeeper Mode = "zk"
	// ModeKRaft: a Raft quorum of controllers (KIP-500/KIP-595); the active controller is the
	// quorum's leader.
	ModeKRaft Mode = "kraft"
)

// ControllerPort is where KRaft controllers listen (the CONTROLLER listener).
const ControllerPort = 9093

// controllerIDBase numbers dedicated controllers (101, 102, ...) apart from brokers (1, 2, ...),
// so a node id alone says which kind of node it is.
const controllerIDBase = 100

// Voters returns the KRaft controller voters: the dedicated controllers, or in combined mode
// the brokers that also run a controller.
func (c *Cluster) Voters() []*Node {
	if c.Config.Mode != ModeKRaft {
		return nil
	}
	if !c.Config.Combined {
		return c.Controllers
	}
	return c.Brokers[:c.Config.Controllers]
}

// isVoter reports whether n runs a KRaft controller.
func (c *Cluster) isVoter(n *Node) bool {
	for _, v := range c.Voters() {
		if v == n {
			return true
		}
	}
	return false
}

// newClusterID returns a random KRaft cluster id: 16 bytes in URL-safe base64 without padding,
// the form `kafka-storage random-uuid` prints. Like Kafka's Uuid.randomUuid it never starts with
// '-': kafka-storage would take "--cluster-id -x..." for a missing argument and an option (one
// KRaft start in 64 failed so).
func newClusterID() string {
	b := make([]byte, 16)
	for {
		_, _ = rand.Read(b)
		if id := base64.RawURLEncoding.EncodeToString(b); id[0] != '-' {
			return id
		}
	}
}

// quorumVoters is controller.quorum.voters: id@host:port of every voter (a static quorum, which
// every KRaft release understands).
func quorumVoters(voters []*Node) string {
	parts := make([]string, len(voters))
	for i, v := range voters {
		parts[i] = fmt.Sprintf("%d@%s", v.ID, netip.AddrPortFrom(v.IP, ControllerPort))
	}
	return strings.Join(parts, ",")
}

// kraftProperties is the server.properties of a KRaft node: a broker, a controller, or both.
func kraftProperties(cfg Config, n *Node, broker, controller bool, voters []*Node) string {
	props := maps.Clone(cfg.BrokerConfig)
	var roles, listeners []string
	if broker {
		roles = append(roles, "broker")
		listeners = append(listeners, "PLAINTEXT://"+netip.AddrPortFrom(n.IP, KafkaPort).String())
		props["advertised.listeners"] = "PLAINTEXT://" + netip.AddrPortFrom(n.IP, KafkaPort).String()
		props["inter.broker.listener.name"] = "PLAINTEXT"
	}
	if controller {
		roles = append(roles, "controller")
		listeners = append(listeners, "CONTROLLER://"+netip.AddrPortFrom(n.IP, ControllerPort).String())
	}
	props["process.roles"] = strings.Join(roles, ",")
	props["node.id"] = strconv.Itoa(n.ID)
	props["listeners"] = strings.Join(listeners, ",")
	props["listener.security.protocol.map"] = "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
	props["controller.listener.names"] = "CONTROLLER"
	props["controller.quorum.voters"] = quorumVoters(voters)
	props["log.dirs"] = "/data/kafka"
	return renderProperties(props)
}

// formatArgs are the arguments of `kafka-storage format` (kafka.tools.StorageTool) for a node:
// node.sh runs it once, before the node's first start, as an operator would.
func formatArgs(clusterID string) string {
	return "format --ignore-formatted --cluster-id " + clusterID
}

// formatArgsPath is where node.sh finds the storage tool's arguments; ZooKeeper-mode nodes
// have no such file and are not formatted.
const formatArgsPath = "/etc/kafkaesque/format.args"
