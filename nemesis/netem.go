package nemesis

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"time"
)

// Netem fault parameters: enough to slow replication and ZooKeeper heartbeats noticeably, not
// enough to expire a ZooKeeper session (6 s) on their own.
const (
	netemDelay  = 200 * time.Millisecond
	netemJitter = 50 * time.Millisecond
	netemLoss   = 0.2
)

// netemFault degrades the network of a few random brokers; Heal recovers it.
type netemFault struct {
	name, description string
	delay, jitter     time.Duration // delay faults
	loss              float64       // loss faults
}

func netemDelayFault(Config) Fault {
	return netemFault{name: "netem-delay", delay: netemDelay, jitter: netemJitter,
		description: fmt.Sprintf("delay packets leaving a few random brokers by %s ± %s (needs tc netem in the kernel)", netemDelay, netemJitter)}
}

func netemLossFault(Config) Fault {
	return netemFault{name: "netem-loss", loss: netemLoss,
		description: fmt.Sprintf("drop %.0f%% of packets entering and leaving a few random brokers", netemLoss*100)}
}

func (f netemFault) Name() string     { return f.name }
func (f netemFault) Describe() string { return f.description }

func (f netemFault) Available(ctx context.Context, c Cluster) error {
	if len(c.Brokers()) == 0 {
		return errors.New("the cluster has no brokers")
	}
	if f.delay > 0 {
		return c.NetemAvailable(ctx)
	}
	return nil
}

func (f netemFault) Inject(ctx context.Context, c Cluster, rng *rand.Rand) (Injection, error) {
	inj := Injection{Fault: f.name}
	brokers := c.Brokers()
	if len(brokers) == 0 {
		return inj, errors.New("the cluster has no brokers")
	}
	// One broker up to half of them (rounded up): "a few", never all but in tiny clusters.
	count := 1 + rng.Intn((len(brokers)+1)/2)
	for _, i := range rng.Perm(len(brokers))[:count] {
		inj.Nodes = append(inj.Nodes, brokers[i])
	}
	inj.Nodes = sorted(inj.Nodes)
	// Set before applying: rules may be installed on some nodes before an error.
	inj.recover = c.Heal
	if f.delay > 0 {
		inj.Action, inj.DelayMS, inj.JitterMS = "delay", f.delay.Milliseconds(), f.jitter.Milliseconds()
		if err := c.Delay(ctx, f.delay, f.jitter, inj.Nodes...); err != nil {
			return inj, fmt.Errorf("delay %v: %w", inj.Nodes, err)
		}
		return inj, nil
	}
	inj.Action, inj.Loss = "loss", f.loss
	if err := c.Loss(ctx, f.loss, inj.Nodes...); err != nil {
		return inj, fmt.Errorf("loss %v: %w", inj.Nodes, err)
	}
	return inj, nil
}
