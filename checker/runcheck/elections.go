package runcheck

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/electionlog"
)

// ElectionOptions tune the election-log checks. The zero value is ZooKeeper mode as it always
// was.
type ElectionOptions struct {
	// UncleanEnabled says unclean.leader.election.enable was true: unclean elections are then
	// reported but expected, and the caller should allow UncleanElection.
	UncleanEnabled bool
	// KRaft says the cluster ran in KRaft mode: there is no ZooKeeper, so the partition
	// invariants are judged in each broker's own metadata view (elections_kraft.go). A log that
	// holds quorum events is judged so whatever this says.
	KRaft bool
	// ELREnabled says KIP-966's eligible leader replicas were on: a leader may then come from
	// the ELR, and the high watermark must not advance while the ISR is below MinISR.
	ELREnabled bool
	// MinISR is the topic's effective min.insync.replicas, as Kafka computes it: the smaller of
	// min.insync.replicas and the replication factor. Required when ELREnabled.
	MinISR int
	// QuorumFetchTimeout is controller.quorum.fetch.timeout.ms; zero means Kafka's default, 2 s.
	QuorumFetchTimeout time.Duration
	// ObserverSlack is the observer's longest poll interval (quorum or metadata) plus its
	// request timeout: how long after a view last showed a state its change (or the node's
	// unreachability) may be recorded. Zero means 1 s.
	ObserverSlack time.Duration
}

// Validate rejects options that cannot be judged.
func (o ElectionOptions) Validate() error {
	if o.ELREnabled && o.MinISR < 1 {
		return fmt.Errorf("election checks: ELR is on but min.insync.replicas is %d (want the effective value, at least 1)", o.MinISR)
	}
	if o.QuorumFetchTimeout < 0 || o.ObserverSlack < 0 {
		return fmt.Errorf("election checks: negative quorum fetch timeout (%v) or observer slack (%v)", o.QuorumFetchTimeout, o.ObserverSlack)
	}
	return nil
}

// CheckElections checks the election log's invariants. The ZooKeeper lines are judged as they
// always were (checkZooKeeper); the quorum lines of a KRaft cluster by checkQuorum; and in
// KRaft mode each broker's metadata view by checkViews.
func CheckElections(events []electionlog.Event, opts ElectionOptions) []checker.Anomaly {
	out := checkZooKeeper(events, opts)
	out = append(out, checkQuorum(events, opts)...)
	kraft := opts.KRaft || slices.ContainsFunc(events, func(e electionlog.Event) bool { return e.Kind == electionlog.KindQuorum })
	if kraft {
		out = append(out, checkViews(events, opts)...)
	}
	return out
}

// checkZooKeeper checks what ZooKeeper recorded (brokers' metadata can lag and is not
// authoritative):
//   - at most one controller per controller epoch;
//   - controller epochs and, per partition, leader epochs never decrease;
//   - a new leader comes from the previous ISR (else an unclean election).
//
// The log is sampled by polling, so states that lasted less than a poll can be missed. An
// election is judged for cleanliness only when the state it was chosen from was observed: the
// state znode's version rose by exactly one (or, without versions, the leader epoch did). One
// that Kafka marked leader_recovery_state=1 always is.
func checkZooKeeper(events []electionlog.Event, opts ElectionOptions) []checker.Anomaly {
	var out []checker.Anomaly
	controllers := map[int]map[int]int{} // epoch -> controller -> first event
	lastCtlEpoch, lastCtlEvent := -1, -1
	type partState struct {
		event int
		e     electionlog.Event
	}
	parts := map[string]partState{}
	for i, e := range events {
		if e.Source != electionlog.SourceZooKeeper {
			continue
		}
		switch e.Kind {
		case electionlog.KindController:
			if e.Controller == nil || e.ControllerEpoch == nil {
				continue
			}
			epoch := *e.ControllerEpoch
			if *e.Controller >= 0 {
				noteHolder(controllers, epoch, *e.Controller, i)
			}
			if epoch < lastCtlEpoch {
				out = append(out, checker.Anomaly{
					Type: checker.ControllerEpochRegression, Events: []int{lastCtlEvent, i},
					Explanation: fmt.Sprintf("/controller_epoch went from %d back to %d", lastCtlEpoch, epoch),
				})
			}
			if epoch >= lastCtlEpoch {
				lastCtlEpoch, lastCtlEvent = epoch, i
			}
		case electionlog.KindPartition:
			if e.Leader == nil || e.LeaderEpoch == nil {
				continue
			}
			key := e.Key()
			prev, seen := parts[key]
			parts[key] = partState{event: i, e: e}
			if !seen {
				continue
			}
			pe := prev.e
			if *e.LeaderEpoch < *pe.LeaderEpoch {
				out = append(out, checker.Anomaly{
					Type: checker.LeaderEpochRegression, Key: key, Events: []int{prev.event, i},
					Explanation: fmt.Sprintf("leader epoch of %s went from %d back to %d", key, *pe.LeaderEpoch, *e.LeaderEpoch),
				})
				continue
			}
			marked := e.LeaderRecovery == 1 && pe.LeaderRecovery != 1
			changed := *e.Leader >= 0 && *e.Leader != *pe.Leader
			// Judge only an election whose preceding state was observed: consecutive znode
			// versions prove it; logs without versions fall back to consecutive leader epochs.
			judgeable := *e.LeaderEpoch == *pe.LeaderEpoch+1
			if e.ZkVersion != nil && pe.ZkVersion != nil {
				judgeable = *e.ZkVersion == *pe.ZkVersion+1
			}
			outsideISR := changed && judgeable && !slices.Contains(pe.ISR, *e.Leader)
			if marked || outsideISR {
				why := fmt.Sprintf("broker %d became leader of %s (epoch %d) but was not in the previous ISR %v",
					*e.Leader, key, *e.LeaderEpoch, pe.ISR)
				if !outsideISR {
					why = fmt.Sprintf("Kafka marked %s's election of broker %d (epoch %d) as unclean (leader_recovery_state=1)",
						key, *e.Leader, *e.LeaderEpoch)
				}
				if opts.UncleanEnabled {
					why += "; expected: unclean.leader.election.enable=true"
				}
				out = append(out, checker.Anomaly{Type: checker.UncleanElection, Key: key, Events: []int{prev.event, i}, Explanation: why})
			}
		}
	}
	return append(out, onePerEpoch(controllers, func(epoch int, ids []int) string {
		return fmt.Sprintf("controller epoch %d was held by brokers %v", epoch, ids)
	})...)
}

// noteHolder records that event i showed node id holding epoch, unless an earlier one did.
func noteHolder(byEpoch map[int]map[int]int, epoch, id, i int) {
	if byEpoch[epoch] == nil {
		byEpoch[epoch] = map[int]int{}
	}
	if _, seen := byEpoch[epoch][id]; !seen {
		byEpoch[epoch][id] = i
	}
}

// onePerEpoch reports, as MultipleControllers, each epoch held by more than one node.
// byEpoch maps an epoch to each node seen holding it and the first event that showed it.
func onePerEpoch(byEpoch map[int]map[int]int, explain func(epoch int, ids []int) string) []checker.Anomaly {
	var out []checker.Anomaly
	epochs := make([]int, 0, len(byEpoch))
	for epoch := range byEpoch {
		epochs = append(epochs, epoch)
	}
	sort.Ints(epochs)
	for _, epoch := range epochs {
		if len(byEpoch[epoch]) < 2 {
			continue
		}
		var ids, evs []int
		for id, ev := range byEpoch[epoch] {
			ids = append(ids, id)
			evs = append(evs, ev)
		}
		sort.Ints(ids)
		sort.Ints(evs)
		out = append(out, checker.Anomaly{Type: checker.MultipleControllers, Events: evs, Explanation: explain(epoch, ids)})
	}
	return out
}
