package nemesis

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"slices"
	"time"
)

// killISRFault sets up the unclean-election data loss: a follower is cut off from the other
// brokers (not from the quorum, so it stays registered and eligible) until the leader drops it
// from the ISR; acknowledged writes then go on without it; then every ISR member is killed and
// the cut healed, so the stale follower is the only live replica. With unclean election enabled
// it becomes leader and the writes it never had are lost. In KRaft combined mode the other
// brokers are voters too, so the follower may be fenced until the heal.
type killISRFault struct{ cfg Config }

func killISRFaultOf(cfg Config) Fault { return killISRFault{cfg} }

func (killISRFault) Name() string { return "kill-isr" }
func (killISRFault) Describe() string {
	return "strand a follower of a random partition until it leaves the ISR, then SIGKILL the whole ISR and heal: only the stale follower is left to lead; restart the ISR after its sessions expire"
}

func (f killISRFault) Available(_ context.Context, c Cluster) error {
	if len(c.Brokers()) < 2 {
		return errors.New("needs at least 2 brokers")
	}
	return targetLeader.available(c, f.cfg)
}

// acceptAfterShrink is how long writes go on without the stranded follower before the ISR dies,
// so there are acknowledged writes it never had.
const acceptAfterShrink = 2 * time.Second

func (f killISRFault) Inject(ctx context.Context, c Cluster, rng *rand.Rand) (Injection, error) {
	p := rng.Intn(f.cfg.Partitions)
	inj := Injection{Fault: f.Name(), Action: "kill", Partition: fmt.Sprintf("%s-%d", f.cfg.Topic, p)}
	isr, err := c.PartitionISR(ctx, f.cfg.Topic, p)
	if err != nil {
		return inj, fmt.Errorf("read the ISR of %s: %w", inj.Partition, err)
	}
	leader, err := c.PartitionLeader(ctx, f.cfg.Topic, p)
	if err != nil {
		return inj, fmt.Errorf("find the leader of %s: %w", inj.Partition, err)
	}
	// The leader shrinks the ISR through the controller (AlterPartition), so the follower cut
	// off must not be the controller, or the shrink never commits. (A KRaft controller node
	// is no broker and so in no ISR: excluding it changes nothing.)
	controller, err := c.Controller(ctx)
	if err != nil {
		return inj, fmt.Errorf("find the controller: %w", err)
	}
	followers := without(isr, leader, controller)
	if len(followers) == 0 {
		return inj, fmt.Errorf("%s has no follower in its ISR %v other than the controller %s", inj.Partition, isr, controller)
	}
	stale := followers[rng.Intn(len(followers))]
	inj.From = []string{stale}
	inj.recover = func(ctx context.Context) error { return c.Heal(ctx) }
	if err := c.Cut(ctx, []string{stale}, without(c.Brokers(), stale)); err != nil {
		return inj, fmt.Errorf("cut %s off from the brokers: %w", stale, err)
	}
	// The leader shrinks the ISR once the follower has lagged replica.lag.time.max.ms.
	deadline := time.Now().Add(2*f.cfg.ReplicaLagTime + 10*time.Second)
	for {
		isr, err = c.PartitionISR(ctx, f.cfg.Topic, p)
		if err == nil && !slices.Contains(isr, stale) {
			break
		}
		if time.Now().After(deadline) {
			return inj, fmt.Errorf("%s never left the ISR of %s (last %v, %v)", stale, inj.Partition, isr, err)
		}
		if !sleepUntil(ctx, time.Now().Add(250*time.Millisecond)) {
			return inj, context.Cause(ctx)
		}
	}
	if !sleepUntil(ctx, time.Now().Add(acceptAfterShrink)) {
		return inj, context.Cause(ctx)
	}
	var killedAt time.Time
	expired := f.cfg.BrokerSessionTimeout * 5 / 4
	inj.recover = func(ctx context.Context) error {
		errs := []error{c.Heal(ctx)}
		if !sleepUntil(ctx, killedAt.Add(expired)) {
			return fmt.Errorf("waiting for the killed ISR's sessions to expire: %w", context.Cause(ctx))
		}
		for _, n := range inj.Nodes {
			errs = append(errs, c.Start(ctx, n))
		}
		return errors.Join(errs...)
	}
	for _, n := range isr {
		inj.Nodes = append(inj.Nodes, n)
		killedAt = time.Now()
		if err := c.Kill(ctx, n); err != nil {
			return inj, fmt.Errorf("kill ISR member %s: %w", n, err)
		}
	}
	if err := c.Heal(ctx); err != nil {
		return inj, fmt.Errorf("heal %s's cut: %w", stale, err)
	}
	return inj, nil
}
