package nemesis

import (
	"context"
	"fmt"
	"math/rand"
	"slices"
	"time"
)

// processAction is what a process fault does to a node's JVM.
type processAction string

const (
	actionKill  processAction = "kill"  // SIGKILL; recovered by starting the node with its data
	actionPause processAction = "pause" // SIGSTOP; recovered by SIGCONT
)

// processFault kills or pauses one node's JVM.
type processFault struct {
	name, description string
	action            processAction
	target            target
	cfg               Config
}

func killControllerFault(cfg Config) Fault {
	return processFault{"kill-controller", "SIGKILL the active controller (a broker, or a KRaft controller node); restart it with its data, once a broker's session has expired", actionKill, targetController, cfg}
}

func killLeaderFault(cfg Config) Fault {
	return processFault{"kill-leader", "SIGKILL the leader of a random partition of the topic; restart it once its session has expired", actionKill, targetLeader, cfg}
}

func killRandomFault(cfg Config) Fault {
	return processFault{"kill-random", "SIGKILL a random broker; restart it with its data once its session has expired", actionKill, targetRandomBroker, cfg}
}

func killZooKeeperLeaderFault(cfg Config) Fault {
	return processFault{"kill-zk-leader", "SIGKILL the ZooKeeper ensemble leader (needs 3 ZooKeeper nodes); restart it after the hold", actionKill, targetZooKeeperLeader, cfg}
}

func pauseControllerFault(cfg Config) Fault {
	return processFault{"pause-controller", "SIGSTOP the active controller (a broker, or a KRaft controller node); SIGCONT it after the hold", actionPause, targetController, cfg}
}

func pauseLeaderFault(cfg Config) Fault {
	return processFault{"pause-leader", "SIGSTOP the leader of a random partition of the topic; SIGCONT it after the hold", actionPause, targetLeader, cfg}
}

func (f processFault) Name() string     { return f.name }
func (f processFault) Describe() string { return f.description }

func (f processFault) Available(_ context.Context, c Cluster) error {
	return f.target.available(c, f.cfg)
}

func (f processFault) Inject(ctx context.Context, c Cluster, rng *rand.Rand) (Injection, error) {
	inj := Injection{Fault: f.name, Action: string(f.action)}
	node, partition, err := f.target.pick(ctx, c, f.cfg, rng)
	inj.Partition = partition
	if err != nil {
		return inj, err
	}
	inj.Nodes = []string{node}
	return applyProcessAction(ctx, c, f.cfg, f.action, node, inj)
}

// applyProcessAction kills or pauses node and makes inj recover it: resume a paused node, or
// start a killed broker again once its old session has expired (before then a ZooKeeper-mode
// broker finds its own /brokers/ids entry and exits). A node that is not a broker (a ZooKeeper
// node, an isolated KRaft controller) holds no such session and starts at once.
func applyProcessAction(ctx context.Context, c Cluster, cfg Config, action processAction, node string, inj Injection) (Injection, error) {
	apply, undo := c.Kill, c.Start
	if action == actionPause {
		apply, undo = c.Pause, c.Resume
	}
	var killedAt time.Time
	if action == actionKill && slices.Contains(c.Brokers(), node) {
		// Wait out the old session (plus a quarter for the server's expiry tick).
		expired := cfg.BrokerSessionTimeout * 5 / 4
		undo = func(ctx context.Context, node string) error {
			if !sleepUntil(ctx, killedAt.Add(expired)) {
				return fmt.Errorf("waiting for %s's session to expire: %w", node, context.Cause(ctx))
			}
			return c.Start(ctx, node)
		}
	}
	// Set before applying: a failed kill or pause may still have taken effect.
	inj.recover = func(ctx context.Context) error { return undo(ctx, node) }
	err := apply(ctx, node)
	killedAt = time.Now()
	if err != nil {
		return inj, fmt.Errorf("%s %s: %w", action, node, err)
	}
	return inj, nil
}
