package nemesis

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// Node states in the fake.
const (
	running = "running"
	paused  = "paused"
	killed  = "killed"
)

// fakeCluster is an in-memory Cluster that models node states and network faults, and records
// every mutating call.
type fakeCluster struct {
	mu           sync.Mutex
	brokers      []string
	zooKeepers   []string
	quorum       []string // the ZooKeeper nodes, or the KRaft controllers
	controller   string
	leaders      map[int]string // partition of the topic -> leader node
	zkLeader     string
	coordinators map[string]string // group, or "txn:" + transactional id -> coordinator node
	state        map[string]string
	cuts         [][2][]string
	degraded     []string // nodes with loss or delay
	calls        []string
	onLazyfs     map[string]bool  // nodes whose data can lose power
	unfsynced    map[string]int64 // bytes each node has written and not fsynced

	// Injected failures.
	controllerErr error
	registeredErr error
	neverFenced   bool // Registered ignores cuts: a fault that relies on it proves nothing
	neverShrinks  bool // PartitionISR ignores cuts (a leader that never drops a follower)
	netemErr      error
	healErr       error
	failStart     int           // the next n Starts fail without effect
	cutDelay      time.Duration // a cut takes this long to prove, as a real one does
}

// nodeNames returns prefix1 ... prefixN.
func nodeNames(prefix string, n int) []string {
	var names []string
	for i := 1; i <= n; i++ {
		names = append(names, fmt.Sprintf("%s%d", prefix, i))
	}
	return names
}

// newFake is a running cluster of brokers kafkaN plus the given ZooKeeper and quorum nodes.
func newFake(brokers int, zooKeepers, quorum []string) *fakeCluster {
	f := &fakeCluster{leaders: map[int]string{}, state: map[string]string{},
		brokers: nodeNames("kafka", brokers), zooKeepers: zooKeepers, quorum: quorum}
	for _, n := range slices.Concat(f.brokers, f.zooKeepers, f.quorum) {
		f.state[n] = running
	}
	for p := range 3 {
		f.leaders[p] = f.brokers[p%len(f.brokers)]
	}
	return f
}

// newFakeCluster is a ZooKeeper-mode cluster: the last broker is the controller.
func newFakeCluster(brokers, zooKeepers int) *fakeCluster {
	zks := nodeNames("zk", zooKeepers)
	f := newFake(brokers, zks, zks)
	f.controller = f.brokers[len(f.brokers)-1]
	f.zkLeader = zks[len(zks)-1]
	return f
}

// newKRaftFake is a KRaft cluster: controllers ctlN that are not brokers, or with combined the
// first controllers brokers. The active controller is the last voter.
func newKRaftFake(brokers, controllers int, combined bool) *fakeCluster {
	quorum := nodeNames("ctl", controllers)
	if combined {
		quorum = nodeNames("kafka", controllers)
	}
	f := newFake(brokers, nil, quorum)
	f.controller = quorum[len(quorum)-1]
	return f
}

func (f *fakeCluster) call(format string, args ...any) {
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

// Calls returns the mutating calls so far, e.g. "kill kafka2".
func (f *fakeCluster) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// Healthy reports what is still wrong: nodes not running, cuts, degraded links.
func (f *fakeCluster) Healthy() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var errs []error
	for _, n := range slices.Sorted(maps.Keys(f.state)) {
		if f.state[n] != running {
			errs = append(errs, fmt.Errorf("%s is %s", n, f.state[n]))
		}
	}
	if len(f.cuts) > 0 || len(f.degraded) > 0 {
		errs = append(errs, fmt.Errorf("network faults remain: cuts %v, degraded %v", f.cuts, f.degraded))
	}
	return errors.Join(errs...)
}

func (f *fakeCluster) Brokers() []string    { return slices.Clone(f.brokers) }
func (f *fakeCluster) ZooKeepers() []string { return slices.Clone(f.zooKeepers) }
func (f *fakeCluster) Quorum() []string     { return slices.Clone(f.quorum) }

// Registered models the quorum's view: a running broker is registered unless a cut separates
// it from every quorum node (its session then lapses at once).
func (f *fakeCluster) Registered(_ context.Context, node string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !slices.Contains(f.brokers, node) {
		return false, fmt.Errorf("%s is not a broker", node)
	}
	if f.registeredErr != nil {
		return false, f.registeredErr
	}
	if f.state[node] != running {
		return false, nil
	}
	if f.neverFenced {
		return true, nil
	}
	for _, q := range f.quorum {
		if q == node || !f.separated(node, q) {
			return true, nil
		}
	}
	return false, nil
}

// separated says whether a cut stands between nodes a and b.
func (f *fakeCluster) separated(a, b string) bool {
	for _, c := range f.cuts {
		if slices.Contains(c[0], a) && slices.Contains(c[1], b) || slices.Contains(c[0], b) && slices.Contains(c[1], a) {
			return true
		}
	}
	return false
}

func (f *fakeCluster) Controller(context.Context) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.controller, f.controllerErr
}

func (f *fakeCluster) PartitionLeader(_ context.Context, topic string, partition int) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if topic != defaultTopic {
		return "", fmt.Errorf("no topic %q", topic)
	}
	leader, ok := f.leaders[partition]
	if !ok {
		return "", fmt.Errorf("no partition %s-%d", topic, partition)
	}
	return leader, nil
}

// PartitionISR models the leader shrinking the ISR: every live broker except those cut off.
func (f *fakeCluster) PartitionISR(_ context.Context, topic string, partition int) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.leaders[partition]; !ok || topic != defaultTopic {
		return nil, fmt.Errorf("no partition %s-%d", topic, partition)
	}
	var isr []string
	for _, b := range f.brokers {
		cut := false
		for _, c := range f.cuts {
			cut = cut || slices.Contains(c[0], b)
		}
		if f.state[b] == running && (!cut || f.neverShrinks) {
			isr = append(isr, b)
		}
	}
	return isr, nil
}

func (f *fakeCluster) GroupCoordinator(_ context.Context, group string) (string, error) {
	return f.coordinator(group)
}

func (f *fakeCluster) TxnCoordinator(_ context.Context, txnID string) (string, error) {
	return f.coordinator("txn:" + txnID)
}

func (f *fakeCluster) coordinator(key string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	node, ok := f.coordinators[key]
	if !ok {
		return "", fmt.Errorf("%s: coordinator not available", key)
	}
	return node, nil
}

func (f *fakeCluster) ZooKeeperLeader(context.Context) (string, error) {
	if len(f.zooKeepers) == 0 {
		return "", errors.New("no ZooKeeper in KRaft mode")
	}
	if len(f.zooKeepers) < 3 {
		return "", errors.New("standalone ZooKeeper has no leader")
	}
	return f.zkLeader, nil
}

// transition moves node from one of the states in from to state to, like the harness's proofs.
func (f *fakeCluster) transition(op, node, to string, from ...string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("%s %s", op, node)
	st, ok := f.state[node]
	if !ok {
		return fmt.Errorf("%s %s: no such node", op, node)
	}
	if !slices.Contains(from, st) {
		return fmt.Errorf("%s %s: node is %s", op, node, st)
	}
	if op == "start" && f.failStart > 0 {
		f.failStart--
		return fmt.Errorf("start %s did not take effect", node)
	}
	f.state[node] = to
	return nil
}

func (f *fakeCluster) Kill(_ context.Context, node string) error {
	return f.transition("kill", node, killed, running, paused)
}
func (f *fakeCluster) Start(_ context.Context, node string) error {
	return f.transition("start", node, running, killed, running)
}
func (f *fakeCluster) Pause(_ context.Context, node string) error {
	return f.transition("pause", node, paused, running, paused)
}
func (f *fakeCluster) Resume(_ context.Context, node string) error {
	return f.transition("resume", node, running, running, paused)
}

func (f *fakeCluster) Cut(ctx context.Context, a, b []string) error {
	select {
	case <-time.After(f.cutDelay):
	case <-ctx.Done():
		return fmt.Errorf("cut: %w", ctx.Err())
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("cut %s | %s", strings.Join(a, ","), strings.Join(b, ","))
	for _, n := range a {
		if slices.Contains(b, n) {
			return fmt.Errorf("cut: %s on both sides", n)
		}
	}
	f.cuts = append(f.cuts, [2][]string{slices.Clone(a), slices.Clone(b)})
	return nil
}

func (f *fakeCluster) Loss(_ context.Context, p float64, nodes ...string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("loss %v %s", p, strings.Join(nodes, ","))
	f.degraded = append(f.degraded, nodes...)
	return nil
}

func (f *fakeCluster) Delay(_ context.Context, delay, jitter time.Duration, nodes ...string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("delay %s %s %s", delay, jitter, strings.Join(nodes, ","))
	if f.netemErr != nil {
		return f.netemErr
	}
	f.degraded = append(f.degraded, nodes...)
	return nil
}

func (f *fakeCluster) NetemAvailable(context.Context) error { return f.netemErr }

func (f *fakeCluster) Heal(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("heal")
	if f.healErr != nil {
		return f.healErr
	}
	f.cuts, f.degraded = nil, nil
	return nil
}

func (f *fakeCluster) LosesPower(node string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.onLazyfs[node] {
		return fmt.Errorf("%s's data directory is not on lazyfs", node)
	}
	return nil
}

// LoseUnfsynced models lazyfs: the node must be down, and loses what it had not fsynced.
func (f *fakeCluster) LoseUnfsynced(_ context.Context, node string) ([]DataLoss, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("lose-unfsynced %s", node)
	if !f.onLazyfs[node] {
		return nil, fmt.Errorf("%s's data directory is not on lazyfs", node)
	}
	if f.state[node] != killed {
		return nil, fmt.Errorf("lose-unfsynced %s: node is %s", node, f.state[node])
	}
	lost := DataLoss{Node: node, Dir: "/data/kafka", Bytes: f.unfsynced[node]}
	delete(f.unfsynced, node)
	return []DataLoss{lost}, nil
}

// withLazyfs puts the nodes on lazyfs, each with pending bytes not fsynced (1000 times its
// position in the list, so each node's loss is told apart).
func (f *fakeCluster) withLazyfs(nodes ...string) *fakeCluster {
	f.onLazyfs, f.unfsynced = map[string]bool{}, map[string]int64{}
	for i, n := range nodes {
		f.onLazyfs[n] = true
		f.unfsynced[n] = int64(1000 * (i + 1))
	}
	return f
}
