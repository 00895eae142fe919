// Package cluster starts real Kafka clusters in Docker (ZooKeeper mode, or KRaft with isolated or
// combined controllers), controls their nodes (kill, stop, start, pause, network faults, each
// proved), and reads their leadership state behind one interface. Its sub-packages:
//   - engine: the shared Docker client, our labels, and the sweep of crashed runs' leftovers;
//   - nodeimage: the node images' labels and Kafka release numbers;
//   - kafkastate: ZooKeeper's znodes, the KRaft quorum and each broker's metadata, read over
//     plain endpoints;
//   - observe: the election observer, which writes the election log;
//   - nemesisadapter: a cluster as the nemesis sees it (nemesis.Cluster).
package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kafkaesque/kafkaesque/cluster/engine"
	"github.com/kafkaesque/kafkaesque/cluster/kafkastate"
	"github.com/kafkaesque/kafkaesque/cluster/nodeimage"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/segmentio/kafka-go"
	"github.com/testcontainers/testcontainers-go"
	tcnetwork "github.com/testcontainers/testcontainers-go/network"
	"golang.org/x/sync/errgroup"
)

// Ports the nodes listen on, at their own IPs.
const (
	ZooKeeperPort = 2181
	KafkaPort     = 9092
)

// Role is what a node runs.
type Role string

const (
	RoleZooKeeper Role = "zookeeper"
	RoleKafka     Role = "kafka" // a broker (in KRaft combined mode also a controller)
	// RoleController is a KRaft controller on a node of its own (isolated mode).
	RoleController Role = "controller"
	// RoleClient is the test process itself, as a party to network partitions.
	RoleClient Role = "client"
)

// Node is one member of a cluster, or the test process (RoleClient).
type Node struct {
	Name string // zk1, kafka2, client
	Role Role
	ID   int // ZooKeeper myid, or Kafka's broker.id / node.id
	IP   netip.Addr

	container *testcontainers.DockerContainer
}

// Addr is the node's service address, ip:port.
func (n *Node) Addr() string {
	switch n.Role {
	case RoleZooKeeper:
		return netip.AddrPortFrom(n.IP, ZooKeeperPort).String()
	case RoleKafka:
		return netip.AddrPortFrom(n.IP, KafkaPort).String()
	case RoleController:
		return netip.AddrPortFrom(n.IP, ControllerPort).String()
	}
	return n.IP.String()
}

func (n *Node) String() string { return n.Name }

// Cluster is a running ZooKeeper ensemble and set of Kafka brokers on a network of their own.
type Cluster struct {
	Config Config         // effective configuration, defaults filled in
	Image  nodeimage.Info // what the node image holds
	// Features are a KRaft cluster's finalized feature levels (ApiVersions), read when it is
	// ready: metadata.version, eligible.leader.replicas.version, transaction.version, ...
	Features map[string]int
	// ConfigNote says what of the config could not be verified after start, if anything.
	ConfigNote string
	RunID      string
	Subnet     netip.Prefix
	ZooKeepers []*Node
	// Controllers are KRaft's dedicated controller nodes (isolated mode); empty otherwise.
	Controllers []*Node
	Brokers     []*Node
	// Client is the test process as the nodes see it (the network's gateway).
	Client *Node

	docker  client.APIClient
	network *testcontainers.DockerNetwork
	admin   *kafka.Transport  // AdminClient's, this cluster's alone
	meta    metadata          // leadership state, open from readiness until Close
	kraft   *kafkastate.KRaft // meta in KRaft mode, for what only the quorum can tell; nil otherwise
	// clusterID is the KRaft cluster id every node is formatted with.
	clusterID string

	mu        sync.Mutex
	closed    bool
	netFaults map[string]bool // node name -> has fault rules installed
	netemErr  *error          // the netem probe's answer, once it gave a definite one
}

// Start creates and starts a cluster, then waits until it is ready: every broker registered in
// ZooKeeper, a controller elected, every configured topic created with leaders for all its
// partitions, and every broker and topic config override in effect. On error nothing is left behind.
func Start(ctx context.Context, cfg Config) (_ *Cluster, err error) {
	cfg, err = cfg.WithDefaults()
	if err != nil {
		return nil, err
	}
	docker, err := engine.Client(ctx)
	if err != nil {
		return nil, err
	}
	image, err := checkImage(ctx, docker, cfg)
	if err != nil {
		return nil, err
	}
	if cfg.Lazyfs.On() {
		// The engine runs on this machine (scripts/ensure-docker.sh): its device is ours.
		if _, err := os.Stat("/dev/fuse"); err != nil {
			return nil, fmt.Errorf("lazyfs (for power faults) needs FUSE on the Docker host: %w (try modprobe fuse)", err)
		}
	}
	if _, _, err := engine.SweepLeftovers(ctx); err != nil {
		return nil, fmt.Errorf("sweep leftovers of crashed runs: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.StartTimeout)
	defer cancel()

	c := &Cluster{Config: cfg, RunID: newRunID(), docker: docker, netFaults: map[string]bool{}, clusterID: newClusterID(), Image: image,
		admin: &kafka.Transport{DialTimeout: 3 * time.Second, MetadataTTL: time.Second}}
	defer func() {
		if err != nil {
			cleanupCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			err = errors.Join(err, c.Close(cleanupCtx, ""))
		}
	}()
	if err := c.createNetwork(ctx); err != nil {
		return nil, err
	}
	c.planNodes()
	if err := c.startContainers(ctx); err != nil {
		return nil, err
	}
	if err := c.waitReady(ctx); err != nil {
		diagCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		return nil, fmt.Errorf("cluster %s not ready: %w\n%s", c.RunID, err, c.diagnose(diagCtx))
	}
	return c, nil
}

// clusterCount numbers the clusters this process creates.
var clusterCount atomic.Int64

func newRunID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return time.Now().UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b)
}

func (c *Cluster) createNetwork(ctx context.Context) error {
	candidates := []netip.Prefix{}
	if c.Config.Subnet != "" {
		candidates = append(candidates, netip.MustParsePrefix(c.Config.Subnet).Masked())
	} else {
		// Start somewhere new for each cluster of this process (and away from other processes'),
		// so a /24 whose bridge was just deleted is not reused at once.
		first := (os.Getpid()*31 + int(clusterCount.Add(1))) % 254
		for i := range 254 {
			third := byte((first+i)%254 + 1)
			candidates = append(candidates, netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 199, third, 0}), 24))
		}
	}
	var errs []error
	for _, subnet := range candidates {
		gateway := subnet.Addr().Next()
		nw, err := tcnetwork.New(ctx,
			tcnetwork.WithDriver("bridge"),
			tcnetwork.WithLabels(c.labels()),
			tcnetwork.WithIPAM(&network.IPAM{Config: []network.IPAMConfig{{
				Subnet: subnet, Gateway: gateway,
			}}}),
		)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", subnet, err))
			if strings.Contains(err.Error(), "overlap") {
				continue // another cluster has it
			}
			break
		}
		c.network, c.Subnet = nw, subnet
		c.Client = &Node{Name: "client", Role: RoleClient, IP: gateway}
		return nil
	}
	return fmt.Errorf("create the cluster network: %w", errors.Join(errs...))
}

// planNodes assigns names, ids and static IPs: ZooKeeper at .2-.4, KRaft controllers at .2-.6
// (ids 101-105), brokers from .11 (ids 1-9).
func (c *Cluster) planNodes() {
	base := c.Subnet.Addr().As4()
	ip := func(last int) netip.Addr { b := base; b[3] = byte(last); return netip.AddrFrom4(b) }
	for i := 1; i <= c.Config.ZooKeepers; i++ {
		c.ZooKeepers = append(c.ZooKeepers, &Node{Name: "zk" + strconv.Itoa(i), Role: RoleZooKeeper, ID: i, IP: ip(1 + i)})
	}
	if c.Config.Mode == ModeKRaft && !c.Config.Combined {
		for i := 1; i <= c.Config.Controllers; i++ {
			c.Controllers = append(c.Controllers, &Node{Name: "ctl" + strconv.Itoa(i), Role: RoleController, ID: controllerIDBase + i, IP: ip(1 + i)})
		}
	}
	for i := 1; i <= c.Config.Brokers; i++ {
		c.Brokers = append(c.Brokers, &Node{Name: "kafka" + strconv.Itoa(i), Role: RoleKafka, ID: i, IP: ip(10 + i)})
	}
}

// Nodes returns every ZooKeeper node, KRaft controller and broker.
func (c *Cluster) Nodes() []*Node {
	return append(append(append([]*Node{}, c.ZooKeepers...), c.Controllers...), c.Brokers...)
}

// Node returns the node with the given name, or nil.
func (c *Cluster) Node(name string) *Node {
	for _, n := range c.Nodes() {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// Broker returns the broker with the given broker.id, or nil.
func (c *Cluster) Broker(id int) *Node {
	for _, n := range c.Brokers {
		if n.ID == id {
			return n
		}
	}
	return nil
}

// BootstrapServers returns every broker's address.
func (c *Cluster) BootstrapServers() []string {
	addrs := make([]string, len(c.Brokers))
	for i, b := range c.Brokers {
		addrs[i] = b.Addr()
	}
	return addrs
}

// ZooKeeperServers returns every ZooKeeper node's address.
func (c *Cluster) ZooKeeperServers() []string {
	addrs := make([]string, len(c.ZooKeepers))
	for i, z := range c.ZooKeepers {
		addrs[i] = z.Addr()
	}
	return addrs
}

func (c *Cluster) startContainers(ctx context.Context) error {
	if c.Config.Mode == ModeKRaft {
		return c.startKRaftContainers(ctx)
	}
	zkCfg := zooCfg(c.Config.ZooKeeperTickTime, c.ZooKeepers)
	// ZooKeeper first: brokers give up if it is not there within their connection timeout.
	if err := c.startNodes(ctx, c.ZooKeepers, func(*Node) string { return zkCfg }); err != nil {
		return err
	}
	return c.startNodes(ctx, c.Brokers, func(b *Node) string { return serverProperties(c.Config, b, c.ZooKeepers) })
}

// startKRaftContainers starts every KRaft node at once: each formats its storage with the same
// cluster id before its first start, and brokers wait for the quorum by themselves.
func (c *Cluster) startKRaftContainers(ctx context.Context) error {
	voters := c.Voters()
	nodes := append(append([]*Node{}, c.Controllers...), c.Brokers...)
	return c.startNodes(ctx, nodes, func(n *Node) string {
		return kraftProperties(c.Config, n, n.Role == RoleKafka, c.isVoter(n), voters)
	})
}

func (c *Cluster) startNodes(ctx context.Context, nodes []*Node, render func(*Node) string) error {
	g, ctx := errgroup.WithContext(ctx)
	for _, n := range nodes {
		g.Go(func() error { return c.startContainer(ctx, n, render(n)) })
	}
	return g.Wait()
}

func (c *Cluster) startContainer(ctx context.Context, n *Node, config string) error {
	cfgPath := "/etc/kafkaesque/server.properties"
	env := map[string]string{}
	cmd := "kafka" // node.sh runs kafka.Kafka for brokers and KRaft controllers alike
	files := []testcontainers.ContainerFile{}
	switch {
	case n.Role == RoleZooKeeper:
		cfgPath, cmd = "/etc/kafkaesque/zoo.cfg", "zookeeper"
		env["ZK_MYID"] = strconv.Itoa(n.ID)
	case c.Config.Mode == ModeKRaft:
		files = append(files, testcontainers.ContainerFile{
			Reader: strings.NewReader(formatArgs(c.clusterID)), ContainerFilePath: formatArgsPath, FileMode: 0o644,
		})
	}
	files = append(files, testcontainers.ContainerFile{Reader: strings.NewReader(config), ContainerFilePath: cfgPath, FileMode: 0o644})
	if c.Config.JavaOpts != "" {
		env["JAVA_OPTS"] = c.Config.JavaOpts
	}
	lazy := c.Config.Lazyfs.env(n.Role)
	maps.Copy(env, lazy)
	labels := c.labels()
	labels[engine.LabelNode] = n.Name
	ip := n.IP
	req := testcontainers.GenericContainerRequest{
		ContainerRequest: testcontainers.ContainerRequest{
			Image:          c.Config.Image,
			Name:           fmt.Sprintf("%s-%s-%s", c.Config.Name, c.RunID, n.Name),
			Cmd:            []string{cmd},
			Env:            env,
			Labels:         labels,
			Networks:       []string{c.network.Name},
			Files:          files,
			ConfigModifier: func(cc *container.Config) { cc.Hostname = n.Name },
			HostConfigModifier: func(hc *container.HostConfig) {
				// NET_ADMIN lets iptables and tc run inside the node; never privileged.
				hc.CapAdd = append(hc.CapAdd, "NET_ADMIN")
				if lazy != nil {
					GrantFUSE(hc)
				}
			},
			EndpointSettingsModifier: func(eps map[string]*network.EndpointSettings) {
				for _, ep := range eps {
					ep.IPAMConfig = &network.EndpointIPAMConfig{IPv4Address: ip}
				}
			},
		},
		Started: true,
	}
	ctr, err := testcontainers.GenericContainer(ctx, req)
	if ctr != nil {
		if dc, ok := ctr.(*testcontainers.DockerContainer); ok {
			n.container = dc
		}
	}
	if err != nil {
		return fmt.Errorf("start %s: %w", n.Name, err)
	}
	if n.container == nil {
		return fmt.Errorf("start %s: unexpected container type %T", n.Name, ctr)
	}
	return nil
}

// GrantFUSE gives a container what lazyfs's mount(2) needs: /dev/fuse and CAP_SYS_ADMIN,
// never privileged mode.
func GrantFUSE(hc *container.HostConfig) {
	hc.CapAdd = append(hc.CapAdd, "SYS_ADMIN")
	hc.Devices = append(hc.Devices, container.DeviceMapping{PathOnHost: "/dev/fuse", PathInContainer: "/dev/fuse", CgroupPermissions: "rwm"})
}

// Close collects every node's log into logDir (skipped when empty), then removes the cluster's
// containers and network. It is safe to call more than once.
func (c *Cluster) Close(ctx context.Context, logDir string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	errs := c.detach(ctx, logDir)
	// Only a successful removal closes the cluster: a failed one can be retried.
	if err := engine.RemoveRun(ctx, c.docker, c.RunID); err != nil {
		return errors.Join(append(errs, err)...)
	}
	c.closed = true
	return errors.Join(errs...)
}

// CollectLogs writes each node's output (across restarts) to logDir/<node>.log.
func (c *Cluster) CollectLogs(ctx context.Context, logDir string) error {
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return fmt.Errorf("collect logs: %w", err)
	}
	var errs []error
	for _, n := range c.Nodes() {
		if n.container == nil {
			continue
		}
		if err := copyLog(ctx, n, filepath.Join(logDir, n.Name+".log")); err != nil {
			errs = append(errs, fmt.Errorf("collect %s log: %w", n.Name, err))
		}
	}
	return errors.Join(errs...)
}

func copyLog(ctx context.Context, n *Node, path string) error {
	rc, err := n.container.Logs(ctx)
	if err != nil {
		return err
	}
	defer rc.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, rc)
	return errors.Join(err, f.Close())
}

// diagnose describes each node's container state and the tail of its log, for start-up errors.
func (c *Cluster) diagnose(ctx context.Context) string {
	var b strings.Builder
	for _, n := range c.Nodes() {
		if n.container == nil {
			fmt.Fprintf(&b, "%s: no container\n", n.Name)
			continue
		}
		state := "unknown"
		if st, err := n.container.State(ctx); err == nil {
			state = string(st.Status)
		}
		fmt.Fprintf(&b, "%s (%s): container %s, JVM running %v; log tail:\n", n.Name, n.IP, state, c.Running(ctx, n))
		b.WriteString(c.logTail(ctx, n, 8))
	}
	return b.String()
}

// logTail returns the last lines of a node's output, indented, for error messages.
func (c *Cluster) logTail(ctx context.Context, n *Node, lines int) string {
	if n.container == nil {
		return "    (no container)\n"
	}
	rc, err := n.container.Logs(ctx)
	if err != nil {
		return fmt.Sprintf("    (logs unavailable: %v)\n", err)
	}
	defer rc.Close()
	data, _ := io.ReadAll(rc)
	all := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	var b strings.Builder
	for _, l := range all[max(0, len(all)-lines):] {
		fmt.Fprintf(&b, "    %s\n", l)
	}
	return b.String()
}
