package kafkastate

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"
)

// ControllerState is /controller and /controller_epoch. Controller is -1 when no broker holds
// the /controller znode (between a controller's death and the next election).
type ControllerState struct {
	Controller int
	Epoch      int
}

// PartitionState is /brokers/topics/<t>/partitions/<p>/state.
type PartitionState struct {
	Topic           string `json:"-"`
	Partition       int    `json:"-"`
	Leader          int    `json:"leader"`
	LeaderEpoch     int    `json:"leader_epoch"`
	ISR             []int  `json:"isr"`
	ControllerEpoch int    `json:"controller_epoch"`
	LeaderRecovery  int    `json:"leader_recovery_state"`
	// ZkVersion is the state znode's version: every write (an ISR change or an election) adds
	// one, so consecutive versions mean no state was missed in between.
	ZkVersion int `json:"-"`
	// ELR and LastKnownELR are KIP-966's eligible leader replicas (KRaft, from
	// DescribeTopicPartitions); HasELR says the broker reported them.
	ELR          []int `json:"-"`
	LastKnownELR []int `json:"-"`
	HasELR       bool  `json:"-"`
}

// ZooKeeper is a read-only view of Kafka's state in ZooKeeper.
type ZooKeeper struct {
	conn *zk.Conn
}

// DialZooKeeper connects to the ensemble at servers (host:port each). The connection
// reconnects by itself; reads fail while no server is reachable.
func DialZooKeeper(ctx context.Context, servers []string) (*ZooKeeper, error) {
	conn, events, err := zk.Connect(servers, 6*time.Second,
		zk.WithLogger(log.New(discard{}, "", 0)), zk.WithLogInfo(false))
	if err != nil {
		return nil, fmt.Errorf("connect to ZooKeeper %v: %w", servers, err)
	}
	for {
		select {
		case ev := <-events:
			if ev.State == zk.StateHasSession {
				return &ZooKeeper{conn: conn}, nil
			}
		case <-ctx.Done():
			conn.Close()
			return nil, fmt.Errorf("connect to ZooKeeper %v: %w", servers, ctx.Err())
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// Close ends the session.
func (z *ZooKeeper) Close() { z.conn.Close() }

// Controller reads /controller and /controller_epoch as one consistent pair. Kafka writes both
// in one transaction, but two reads are not atomic: an election between them would pair the old
// controller with the new epoch (and look like two controllers in one epoch). So the epoch is
// read before and after /controller, until both reads agree.
func (z *ZooKeeper) Controller() (ControllerState, error) {
	for attempt := 0; ; attempt++ {
		before, err := z.controllerEpoch()
		if err != nil {
			return ControllerState{Controller: -1}, err
		}
		id, err := z.controllerID()
		if err != nil {
			return ControllerState{Controller: -1}, err
		}
		after, err := z.controllerEpoch()
		if err != nil {
			return ControllerState{Controller: -1}, err
		}
		if before == after {
			return ControllerState{Controller: id, Epoch: after}, nil
		}
		if attempt == 10 {
			return ControllerState{Controller: -1}, fmt.Errorf("/controller_epoch kept changing (%d then %d) while reading /controller", before, after)
		}
	}
}

// controllerID reads /controller: the broker that holds it, or -1 when none does.
func (z *ZooKeeper) controllerID() (int, error) {
	data, _, err := z.conn.Get("/controller")
	if errors.Is(err, zk.ErrNoNode) {
		return -1, nil
	}
	if err != nil {
		return -1, fmt.Errorf("read /controller: %w", err)
	}
	var v struct {
		BrokerID int `json:"brokerid"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return -1, fmt.Errorf("parse /controller %q: %w", data, err)
	}
	return v.BrokerID, nil
}

// controllerEpoch reads /controller_epoch; 0 before the first election.
func (z *ZooKeeper) controllerEpoch() (int, error) {
	data, _, err := z.conn.Get("/controller_epoch")
	if errors.Is(err, zk.ErrNoNode) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read /controller_epoch: %w", err)
	}
	epoch, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return 0, fmt.Errorf("parse /controller_epoch %q: %w", data, err)
	}
	return epoch, nil
}

// ControllerWatch returns a channel that fires once when /controller changes (one-shot, like
// every ZooKeeper watch; lost across a partition, so callers poll as well).
func (z *ZooKeeper) ControllerWatch() (<-chan zk.Event, error) {
	_, _, ch, err := z.conn.ExistsW("/controller")
	if err != nil {
		return nil, fmt.Errorf("watch /controller: %w", err)
	}
	return ch, nil
}

// Brokers lists the registered broker ids (/brokers/ids), sorted.
func (z *ZooKeeper) Brokers() ([]int, error) {
	children, _, err := z.conn.Children("/brokers/ids")
	if errors.Is(err, zk.ErrNoNode) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read /brokers/ids: %w", err)
	}
	ids := make([]int, 0, len(children))
	for _, ch := range children {
		id, err := strconv.Atoi(ch)
		if err != nil {
			return nil, fmt.Errorf("parse broker id %q: %w", ch, err)
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}

// Partitions reads the state of every partition of a topic, ordered by partition.
func (z *ZooKeeper) Partitions(topic string) ([]PartitionState, error) {
	path := "/brokers/topics/" + topic + "/partitions"
	children, _, err := z.conn.Children(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	states := make([]PartitionState, 0, len(children))
	for _, ch := range children {
		p, err := strconv.Atoi(ch)
		if err != nil {
			return nil, fmt.Errorf("parse partition %q of %s: %w", ch, topic, err)
		}
		s, err := z.Partition(topic, p)
		if err != nil {
			return nil, err
		}
		states = append(states, s)
	}
	slices.SortFunc(states, func(a, b PartitionState) int { return a.Partition - b.Partition })
	return states, nil
}

// Partition reads one partition's state.
func (z *ZooKeeper) Partition(topic string, partition int) (PartitionState, error) {
	path := fmt.Sprintf("/brokers/topics/%s/partitions/%d/state", topic, partition)
	data, stat, err := z.conn.Get(path)
	if err != nil {
		return PartitionState{}, fmt.Errorf("read %s: %w", path, err)
	}
	s := PartitionState{Topic: topic, Partition: partition, ZkVersion: int(stat.Version)}
	if err := json.Unmarshal(data, &s); err != nil {
		return s, fmt.Errorf("parse %s %q: %w", path, data, err)
	}
	return s, nil
}

// ZooKeeperLeader asks each ZooKeeper node for its mode (the srvr four-letter word) and returns
// the leader's name; a single node reports standalone and is its own leader.
func ZooKeeperLeader(ctx context.Context, zks []Endpoint) (string, error) {
	var errs []error
	for _, z := range zks {
		mode, err := zooKeeperMode(ctx, z)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if mode == "leader" || mode == "standalone" {
			return z.Name, nil
		}
	}
	return "", fmt.Errorf("no ZooKeeper leader found: %w", errors.Join(errs...))
}

func zooKeeperMode(ctx context.Context, z Endpoint) (string, error) {
	d := net.Dialer{Timeout: 2 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", z.Addr)
	if err != nil {
		return "", fmt.Errorf("%s: %w", z.Name, err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := conn.Write([]byte("srvr")); err != nil {
		return "", fmt.Errorf("%s: srvr: %w", z.Name, err)
	}
	sc := bufio.NewScanner(conn)
	for sc.Scan() {
		if mode, ok := strings.CutPrefix(sc.Text(), "Mode: "); ok {
			return strings.TrimSpace(mode), nil
		}
	}
	return "", fmt.Errorf("%s: srvr gave no mode (%v)", z.Name, sc.Err())
}
