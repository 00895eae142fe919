package nemesis

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"time"
)

// Faults on the metadata quorum: the ZooKeeper ensemble in ZooKeeper mode, the controller
// voters in KRaft mode. They ask the cluster for Quorum() and Controller(), never for its mode.

func partitionQuorumFault(Config) Fault { return quorumSplitFault{} }

// quorumSplitFault splits the quorum into a majority and a minority that cannot reach each
// other. Brokers and the client reach both sides, so only the quorum's own traffic is cut.
type quorumSplitFault struct{}

func (quorumSplitFault) Name() string { return "partition-quorum" }
func (quorumSplitFault) Describe() string {
	return "split the metadata quorum (ZooKeeper nodes or KRaft controllers), shuffled, into a majority and a minority; brokers and the client reach both"
}

func (quorumSplitFault) Available(_ context.Context, c Cluster) error {
	if n := len(c.Quorum()); n < 3 {
		return fmt.Errorf("needs a metadata quorum of at least 3 nodes for a majority and a minority, the cluster has %d", n)
	}
	return nil
}

func (f quorumSplitFault) Inject(ctx context.Context, c Cluster, rng *rand.Rand) (Injection, error) {
	minority, majority := split(c.Quorum(), rng)
	return cut(ctx, c, Injection{Fault: f.Name(), Action: "cut", Nodes: minority, From: majority})
}

func isolateControllerFromQuorumFault(Config) Fault { return controllerQuorumFault{} }

// controllerQuorumFault cuts the active controller off from the other quorum nodes only: it
// still reaches the brokers and the client (KAFKA-15489: a KRaft leader cut off from the
// voters that never resigned). In ZooKeeper mode that is the controller broker cut off from
// every ZooKeeper node; in KRaft combined mode the other voters are brokers too, and are cut.
type controllerQuorumFault struct{}

func (controllerQuorumFault) Name() string { return "isolate-controller-from-quorum" }
func (controllerQuorumFault) Describe() string {
	return "cut the active controller off from the other quorum nodes only; brokers and the client still reach it"
}

// Available refuses a quorum of one that is the controller itself: there is nothing to cut it
// from. Whether that is so is known once the controller is (a single KRaft controller is known
// before start); a controller not found yet is left to Inject, which reports it.
func (controllerQuorumFault) Available(ctx context.Context, c Cluster) error {
	quorum := c.Quorum()
	switch len(quorum) {
	case 0:
		return errors.New("the cluster has no metadata quorum nodes")
	case 1:
		if controller, err := c.Controller(ctx); err == nil && controller == quorum[0] {
			return fmt.Errorf("the controller %s is the whole quorum: there is no other quorum node to cut it from", controller)
		}
	}
	return nil
}

func (f controllerQuorumFault) Inject(ctx context.Context, c Cluster, _ *rand.Rand) (Injection, error) {
	inj := Injection{Fault: f.Name(), Action: "cut"}
	controller, _, err := targetController.pick(ctx, c, Config{}, nil)
	if err != nil {
		return inj, err
	}
	others := without(c.Quorum(), controller) // never cut a voter from itself
	if len(others) == 0 {
		return inj, fmt.Errorf("the controller %s is the whole quorum: there is no other quorum node to cut it from", controller)
	}
	inj.Nodes, inj.From = []string{controller}, sorted(others)
	return cut(ctx, c, inj)
}

func fenceBrokerFault(cfg Config) Fault { return fenceFault{cfg.withDefaults()} }

// fenceFault cuts a broker that is no quorum member off from every quorum node, and proves it
// took effect by waiting until the quorum no longer lists the broker (its ZooKeeper session
// expired, or the KRaft controller fenced it after its heartbeats lapsed). Other brokers and the
// client still reach it.
type fenceFault struct{ cfg Config }

// registrationPoll is how often fence-broker asks whether its broker is registered.
const registrationPoll = 250 * time.Millisecond

func (fenceFault) Name() string { return "fence-broker" }
func (f fenceFault) Describe() string {
	return fmt.Sprintf("cut a random broker that is no quorum member off from the metadata quorum only, until the quorum drops it (up to %s); heal and wait until it is registered again", f.cfg.FenceTimeout)
}

// candidates are the brokers that are not quorum members: cutting a combined-mode voter off
// from the quorum would split the quorum too.
func (fenceFault) candidates(c Cluster) []string { return without(c.Brokers(), c.Quorum()...) }

func (f fenceFault) Available(_ context.Context, c Cluster) error {
	if len(c.Quorum()) == 0 {
		return errors.New("the cluster has no metadata quorum nodes")
	}
	if len(f.candidates(c)) == 0 {
		return errors.New("every broker is a quorum member (combined mode): none can be cut off from the quorum alone")
	}
	return nil
}

func (f fenceFault) Inject(ctx context.Context, c Cluster, rng *rand.Rand) (Injection, error) {
	inj := Injection{Fault: f.Name(), Action: "cut"}
	candidates := f.candidates(c)
	if len(candidates) == 0 {
		return inj, errors.New("no broker outside the metadata quorum")
	}
	broker := candidates[rng.Intn(len(candidates))]
	inj.Nodes, inj.From = []string{broker}, sorted(c.Quorum())
	// Dropping out of the quorum's view proves the fault only if the broker was in it.
	if ok, err := c.Registered(ctx, broker); err != nil || !ok {
		return inj, fmt.Errorf("%s is not registered with the quorum before the cut (registered %t, %v)", broker, ok, err)
	}
	inj, err := cut(ctx, c, inj)
	if err != nil {
		return inj, err
	}
	if err := f.waitRegistered(ctx, c, broker, false); err != nil {
		return inj, fmt.Errorf("cut off from the quorum, %s was not fenced: %w", broker, err)
	}
	inj.recover = func(ctx context.Context) error {
		if err := c.Heal(ctx); err != nil {
			return err
		}
		if err := f.waitRegistered(ctx, c, broker, true); err != nil {
			return fmt.Errorf("healed, %s did not register again: %w", broker, err)
		}
		return nil
	}
	return inj, nil
}

// waitRegistered polls until c says broker's registration is want, for up to FenceTimeout.
func (f fenceFault) waitRegistered(ctx context.Context, c Cluster, broker string, want bool) error {
	deadline := time.Now().Add(f.cfg.FenceTimeout)
	for {
		got, err := c.Registered(ctx, broker)
		if err == nil && got == want {
			return nil
		}
		if time.Now().After(deadline) {
			if err != nil {
				return fmt.Errorf("the quorum's view of %s stayed unknown for %s: %w", broker, f.cfg.FenceTimeout, err)
			}
			if want {
				return fmt.Errorf("the quorum did not list %s as registered within %s", broker, f.cfg.FenceTimeout)
			}
			return fmt.Errorf("the quorum still listed %s as registered after %s", broker, f.cfg.FenceTimeout)
		}
		if !sleepUntil(ctx, time.Now().Add(registrationPoll)) {
			return fmt.Errorf("waiting for %s's registration to be %t: %w", broker, want, context.Cause(ctx))
		}
	}
}
