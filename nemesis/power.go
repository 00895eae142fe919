package nemesis

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"slices"
	"sync"
	"time"
)

// A power fault cuts a node's power: SIGKILL its JVM, then drop what its data directories did
// not fsync (Cluster.LoseUnfsynced, which proves it), keep it down for the hold, and start it
// again from what was durable. The nodes must sit on lazyfs, which the harness arranges only
// when a power fault is scheduled.
const actionPowerLoss = "power-loss"

// powerFault cuts the power of one node.
type powerFault struct {
	name, description string
	target            target
	cfg               Config
}

func powerLossLeaderFault(cfg Config) Fault {
	return powerFault{"power-loss-leader", "cut the power of the leader of a random partition of the topic (SIGKILL, then its un-fsynced writes are lost); restart it once its session has expired", targetLeader, cfg}
}

func powerLossControllerFault(cfg Config) Fault {
	return powerFault{"power-loss-controller", "cut the power of the active controller (a broker, or a KRaft controller node): SIGKILL, then its un-fsynced writes are lost; restart it", targetController, cfg}
}

func powerLossZooKeeperLeaderFault(cfg Config) Fault {
	return powerFault{"power-loss-zk-leader", "cut the power of the ZooKeeper ensemble leader (needs 3 ZooKeeper nodes): SIGKILL, then its un-fsynced writes are lost; restart it after the hold", targetZooKeeperLeader, cfg}
}

func (f powerFault) Name() string     { return f.name }
func (f powerFault) Describe() string { return f.description }

func (f powerFault) Available(_ context.Context, c Cluster) error {
	if err := f.target.available(c, f.cfg); err != nil {
		return err
	}
	return losePowerAll(c, f.candidates(c))
}

// candidates are the nodes the target may pick.
func (f powerFault) candidates(c Cluster) []string {
	switch f.target {
	case targetZooKeeperLeader:
		return c.ZooKeepers()
	case targetController:
		if len(c.ZooKeepers()) == 0 {
			return c.Quorum() // KRaft's voters
		}
	}
	return c.Brokers() // in ZooKeeper mode the controller is a broker too
}

func (f powerFault) Inject(ctx context.Context, c Cluster, rng *rand.Rand) (Injection, error) {
	inj := Injection{Fault: f.name, Action: actionPowerLoss}
	node, partition, err := f.target.pick(ctx, c, f.cfg, rng)
	inj.Partition = partition
	if err != nil {
		return inj, err
	}
	if err := c.LosesPower(node); err != nil {
		return inj, err
	}
	inj.Nodes = []string{node}
	inj, err = applyProcessAction(ctx, c, f.cfg, actionKill, node, inj)
	if err != nil {
		return inj, err
	}
	lost, err := c.LoseUnfsynced(ctx, node)
	inj.Lost = lost
	return inj, err
}

// PowerNeeds says whose data directories must sit on lazyfs for faults to run: Kafka's
// (brokers and KRaft controllers) and ZooKeeper's.
func PowerNeeds(faults []Fault) (kafka, zookeeper bool) {
	for _, f := range faults {
		switch f := f.(type) {
		case powerFault:
			if f.target == targetZooKeeperLeader {
				zookeeper = true
			} else {
				kafka = true
			}
		case powerAllFault, powerLossLastReplicaFault:
			kafka = true
		}
	}
	return kafka, zookeeper
}

// losePowerAll says why one of nodes cannot lose power, or nil.
func losePowerAll(c Cluster, nodes []string) error {
	if len(nodes) == 0 {
		return errors.New("the cluster has no node for it")
	}
	var errs []error
	for _, n := range nodes {
		errs = append(errs, c.LosesPower(n))
	}
	return errors.Join(errs...)
}

// powerLossAllFault cuts the power of every broker at once: the correlated failure that
// replication alone does not survive when nothing was fsynced.
type powerAllFault struct{ cfg Config }

func powerLossAllFault(cfg Config) Fault { return powerAllFault{cfg} }

func (powerAllFault) Name() string { return "power-loss-all" }
func (powerAllFault) Describe() string {
	return "cut the power of every broker at once (SIGKILL each, then each loses its un-fsynced writes); restart them together once their sessions have expired"
}

func (f powerAllFault) Available(_ context.Context, c Cluster) error {
	return losePowerAll(c, c.Brokers())
}

func (f powerAllFault) Inject(ctx context.Context, c Cluster, _ *rand.Rand) (Injection, error) {
	inj := Injection{Fault: f.Name(), Action: actionPowerLoss, Nodes: c.Brokers()}
	return cutPower(ctx, c, f.cfg, inj, nil)
}

// cutPower kills inj.Nodes one after the other, as close together as the cluster allows, then
// drops each one's un-fsynced writes. Its recovery runs before (a heal, say), then starts them
// all together once their sessions have expired. inj.Lost holds what each lost.
func cutPower(ctx context.Context, c Cluster, cfg Config, inj Injection, before func(context.Context) error) (Injection, error) {
	var killedAt time.Time
	var killed []string
	inj.recover = func(ctx context.Context) error {
		var errs []error
		if before != nil {
			errs = append(errs, before(ctx))
		}
		if !sleepUntil(ctx, killedAt.Add(cfg.BrokerSessionTimeout*5/4)) {
			return fmt.Errorf("waiting for the sessions of %v to expire: %w", killed, context.Cause(ctx))
		}
		return errors.Join(append(errs, startAll(ctx, c, killed))...)
	}
	for _, n := range inj.Nodes {
		if err := c.LosesPower(n); err != nil {
			return inj, err
		}
	}
	for _, n := range inj.Nodes {
		killed = append(killed, n)
		killedAt = time.Now()
		if err := c.Kill(ctx, n); err != nil {
			return inj, fmt.Errorf("kill %s: %w", n, err)
		}
	}
	for _, n := range inj.Nodes {
		lost, err := c.LoseUnfsynced(ctx, n)
		inj.Lost = append(inj.Lost, lost...)
		if err != nil {
			return inj, err
		}
	}
	return inj, nil
}

// startAll starts nodes concurrently: in KRaft combined mode no broker finishes starting
// before a quorum of its peers is up.
func startAll(ctx context.Context, c Cluster, nodes []string) error {
	errs := make([]error, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Go(func() { errs[i] = c.Start(ctx, n) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// powerLossLastReplicaFault is KIP-966's "last replica standing": the followers of a partition
// are cut off from the other brokers (not from the metadata quorum) until the leader has
// dropped them all from the ISR, writes go on for a moment, then the leader, the last ISR
// member, loses power and its un-fsynced tail, and the cut heals at once; the leader restarts
// after the hold. Without eligible leader replicas the leader is elected again from its
// truncated log, and the followers truncate to it: writes acknowledged before the cut are lost.
type powerLossLastReplicaFault struct {
	cfg Config
	// accept is how long writes go on with the leader alone in the ISR; slack is how long past
	// twice the replica lag time the shrink may take.
	accept, slack time.Duration
}

func powerLossLastReplicaFaultOf(cfg Config) Fault {
	return powerLossLastReplicaFault{cfg: cfg, accept: acceptAfterShrink, slack: 10 * time.Second}
}

func (powerLossLastReplicaFault) Name() string { return "power-loss-last-replica" }
func (powerLossLastReplicaFault) Describe() string {
	return "cut a partition's followers off from the other brokers until its ISR is the leader alone, then cut the leader's power (its un-fsynced writes are lost) and heal; restart it once its session has expired"
}

func (f powerLossLastReplicaFault) Available(_ context.Context, c Cluster) error {
	if len(c.Brokers()) < 2 {
		return errors.New("needs at least 2 brokers")
	}
	if err := targetLeader.available(c, f.cfg); err != nil {
		return err
	}
	return losePowerAll(c, c.Brokers())
}

func (f powerLossLastReplicaFault) Inject(ctx context.Context, c Cluster, rng *rand.Rand) (Injection, error) {
	inj := Injection{Fault: f.Name(), Action: actionPowerLoss}
	// The leader shrinks the ISR through the controller, so no follower cut off may be the
	// controller: take a partition whose leader is the controller, or one where the
	// controller is no replica (KRaft's controller nodes are none).
	controller, err := c.Controller(ctx)
	if err != nil {
		return inj, fmt.Errorf("find the controller: %w", err)
	}
	p, leader, isr, err := f.pickPartition(ctx, c, controller, rng)
	inj.Partition = fmt.Sprintf("%s-%d", f.cfg.Topic, p)
	if err != nil {
		return inj, err
	}
	followers := without(isr, leader)
	inj.Nodes, inj.From = []string{leader}, followers
	inj.recover = func(ctx context.Context) error { return c.Heal(ctx) }
	if err := c.Cut(ctx, followers, without(c.Brokers(), followers...)); err != nil {
		return inj, fmt.Errorf("cut %v off from the other brokers: %w", followers, err)
	}
	deadline := time.Now().Add(2*f.cfg.ReplicaLagTime + f.slack)
	for {
		isr, err = c.PartitionISR(ctx, f.cfg.Topic, p)
		if err == nil && slices.Equal(isr, []string{leader}) {
			break
		}
		if time.Now().After(deadline) {
			return inj, fmt.Errorf("the ISR of %s never shrank to its leader %s (last %v, %v)", inj.Partition, leader, isr, err)
		}
		if !sleepUntil(ctx, time.Now().Add(250*time.Millisecond)) {
			return inj, context.Cause(ctx)
		}
	}
	if !sleepUntil(ctx, time.Now().Add(f.accept)) {
		return inj, context.Cause(ctx)
	}
	// Heal at once: the followers are back while the leader is down, so an election can pick
	// one of them (KIP-966's ELR) before the leader returns with its truncated log.
	inj, err = cutPower(ctx, c, f.cfg, inj, c.Heal)
	if err != nil {
		return inj, err
	}
	if err := c.Heal(ctx); err != nil {
		return inj, fmt.Errorf("heal the followers' cut: %w", err)
	}
	return inj, nil
}

// pickPartition chooses a partition (from a seeded random start) whose ISR has followers,
// none of them the controller.
func (f powerLossLastReplicaFault) pickPartition(ctx context.Context, c Cluster, controller string, rng *rand.Rand) (int, string, []string, error) {
	start := rng.Intn(f.cfg.Partitions)
	var last error
	for i := range f.cfg.Partitions {
		p := (start + i) % f.cfg.Partitions
		leader, err := c.PartitionLeader(ctx, f.cfg.Topic, p)
		if err != nil {
			last = fmt.Errorf("find the leader of %s-%d: %w", f.cfg.Topic, p, err)
			continue
		}
		isr, err := c.PartitionISR(ctx, f.cfg.Topic, p)
		if err != nil {
			last = fmt.Errorf("read the ISR of %s-%d: %w", f.cfg.Topic, p, err)
			continue
		}
		followers := without(isr, leader)
		if len(followers) == 0 || slices.Contains(followers, controller) {
			last = fmt.Errorf("%s-%d: ISR %v, leader %s, controller %s", f.cfg.Topic, p, isr, leader, controller)
			continue
		}
		return p, leader, isr, nil
	}
	return start, "", nil, fmt.Errorf("no partition has followers in its ISR none of which is the controller %s (last: %w)", controller, last)
}
