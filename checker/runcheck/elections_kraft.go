package runcheck

import (
	"fmt"
	"slices"
	"sort"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/electionlog"
)

// viewKey names one partition in one broker's metadata view.
type viewKey struct {
	broker int
	key    string
}

// checkViews judges the partition invariants of a KRaft cluster. There is no ZooKeeper: each
// broker's metadata view is a lagging but prefix-consistent replay of the metadata log, so
// every view is judged on its own, pair by pair of its consecutive states of a partition:
//   - the leader epoch never goes back (LeaderEpochRegression);
//   - a new leader comes from the ISR or the ELR (UncleanElection, outOfISR);
//   - with ELR on, the high watermark does not rise while the ISR is below min.insync.replicas
//     (HWAdvancedBelowMinISR, hwBelowMinISR).
//
// Only partition lines with a leader epoch take part (ZooKeeper mode's metadata lines have none).
func checkViews(events []electionlog.Event, opts ElectionOptions) []checker.Anomaly {
	views := map[viewKey][]int{} // the view's partition states, in order
	byKey := map[string][]int{}  // every view's states of a partition, in order
	gaps := map[int][]int{}      // per broker: when its metadata became unreachable
	for i, e := range events {
		switch {
		case e.Kind == electionlog.KindUnreachable && e.Source == electionlog.SourceMetadata && e.Error != "":
			gaps[e.Broker] = append(gaps[e.Broker], i)
		case e.Kind == electionlog.KindPartition && e.Source == electionlog.SourceMetadata &&
			e.Partition != nil && e.Leader != nil && e.LeaderEpoch != nil:
			vk := viewKey{e.Broker, e.Key()}
			views[vk] = append(views[vk], i)
			byKey[vk.key] = append(byKey[vk.key], i)
		}
	}
	keys := make([]viewKey, 0, len(views))
	for vk := range views {
		keys = append(keys, vk)
	}
	sort.Slice(keys, func(a, b int) bool {
		if keys[a].key != keys[b].key {
			return keys[a].key < keys[b].key
		}
		return keys[a].broker < keys[b].broker
	})
	var out []checker.Anomaly
	for _, vk := range keys {
		list := views[vk]
		for n := 1; n < len(list); n++ {
			j, i := list[n-1], list[n]
			pe, e := events[j], events[i]
			if *e.LeaderEpoch < *pe.LeaderEpoch {
				out = append(out, checker.Anomaly{
					Type: checker.LeaderEpochRegression, Key: vk.key, Events: []int{j, i},
					Explanation: fmt.Sprintf("leader epoch of %s went from %d back to %d in broker %d's metadata",
						vk.key, *pe.LeaderEpoch, *e.LeaderEpoch, vk.broker),
				})
				continue
			}
			if a, ok := outOfISR(events, byKey[vk.key], j, i, opts); ok {
				out = append(out, a)
			}
			next := -1
			if n+1 < len(list) {
				next = list[n+1]
			}
			unbroken := !slices.ContainsFunc(gaps[vk.broker], func(g int) bool { return g > j && g < i })
			if a, ok := hwBelowMinISR(events, j, i, next, unbroken, opts); ok {
				out = append(out, a)
			}
		}
	}
	return out
}

// outOfISR judges the change from state j to state i of one view: is it an election of a
// leader that was in neither the ISR nor the ELR? KRaft's leader epoch does not move when the
// ISR changes, and a view may replay several changes at once, so an ISR growth between two
// states can go unseen. Every unclean election (and Kafka's KIP-966 election of the last known
// leader, which Kafka itself marks unclean) sets the ISR to the new leader alone; so the change
// is judged only when all of these hold:
//   - the leader changed to a broker X and the leader epoch rose by exactly one (no election
//     was missed in between);
//   - the new ISR is exactly {X};
//   - X is in neither the ISR nor the ELR of state j, the view's last state before;
//   - no other view shows X rejoining the ISR or ELR at state j's epoch: no other view has X
//     in its ISR or ELR at that epoch in a state recorded after state j, nor after a state of
//     its own at that epoch without X.
//
// What it cannot see: X leaving the ISR after state j and then being elected uncleanly (X is
// in state j's ISR); an ISR growth that no view recorded, followed by X's clean election with
// every other ISR member gone, all within one poll interval (reported although clean: in
// practice the election waits for the old leader's fencing, broker.session.timeout.ms, during
// which every view polls the grown ISR); and an unclean election that a lagging view excuses
// by showing an older ISR that held X after state j was recorded.
func outOfISR(events []electionlog.Event, sameKey []int, j, i int, opts ElectionOptions) (checker.Anomaly, bool) {
	pe, e := events[j], events[i]
	x, epoch := *e.Leader, *pe.LeaderEpoch
	if x < 0 || x == *pe.Leader || *e.LeaderEpoch != epoch+1 || !slices.Equal(e.ISR, []int{x}) || eligible(pe, x) {
		return checker.Anomaly{}, false
	}
	left := map[int]bool{} // views that showed X out of the ISR and ELR at the epoch
	for _, k := range sameKey {
		f := events[k]
		if f.Broker == e.Broker || *f.LeaderEpoch != epoch {
			continue
		}
		if !eligible(f, x) {
			left[f.Broker] = true
			continue
		}
		if f.Time > pe.Time || left[f.Broker] {
			return checker.Anomaly{}, false
		}
	}
	why := fmt.Sprintf("broker %d became leader of %s (epoch %d, ISR %v) but was in neither the ISR %v nor the ELR %v of epoch %d (broker %d's metadata)",
		x, e.Key(), *e.LeaderEpoch, e.ISR, pe.ISR, pe.ELR, epoch, e.Broker)
	if slices.Contains(pe.LastKnownELR, x) {
		why += "; it was in the last known ELR (KIP-966 elects the last known leader when ISR and ELR are empty, and marks it unclean)"
	}
	if opts.UncleanEnabled {
		why += "; expected: unclean.leader.election.enable=true"
	}
	return checker.Anomaly{Type: checker.UncleanElection, Key: e.Key(), Events: []int{j, i}, Explanation: why}, true
}

// eligible says whether broker x may be elected cleanly from state e: it is in the ISR, or in
// the ELR (which is empty unless ELR is on).
func eligible(e electionlog.Event, x int) bool {
	return slices.Contains(e.ISR, x) || slices.Contains(e.ELR, x)
}

// hwBelowMinISR judges consecutive states j and i of one view (next is the view's state after
// i, or -1): with ELR on, Kafka does not advance a partition's high watermark while its ISR is
// smaller than min.insync.replicas. Reported: both states are in the view of the partition's
// leader (the only view that records the high watermark), at the same leader epoch, both with
// an ISR below MinISR, and the high watermark rose between them.
//
// It assumes the ISR did not grow and shrink back between the two polls (a follower must catch
// up and then fall behind for replica.lag.time.max.ms, 30 s by default, longer than a poll).
// Not judged: states with an unreachable spell of the view between them (unbroken false), and a
// rise followed within one observer slack by a state whose ISR reaches MinISR: the view's ISR
// (its metadata replay) can trail the leader's own by a moment after a growth, so the rise may
// belong to the grown ISR. What that hides: a real rise just before the ISR grew back.
func hwBelowMinISR(events []electionlog.Event, j, i, next int, unbroken bool, opts ElectionOptions) (checker.Anomaly, bool) {
	pe, e := events[j], events[i]
	if !opts.ELREnabled || opts.MinISR < 1 || !unbroken || pe.HighWatermark == nil || e.HighWatermark == nil ||
		*pe.Leader != pe.Broker || *e.Leader != e.Broker || *pe.LeaderEpoch != *e.LeaderEpoch ||
		len(pe.ISR) >= opts.MinISR || len(e.ISR) >= opts.MinISR || *e.HighWatermark <= *pe.HighWatermark {
		return checker.Anomaly{}, false
	}
	if next >= 0 {
		n := events[next]
		slack := opts.ObserverSlack
		if slack == 0 {
			slack = defaultObserverSlack
		}
		if *n.LeaderEpoch == *e.LeaderEpoch && len(n.ISR) >= opts.MinISR && n.Time-e.Time <= slack.Nanoseconds() {
			return checker.Anomaly{}, false
		}
	}
	return checker.Anomaly{
		Type: checker.HWAdvancedBelowMinISR, Key: e.Key(), Events: []int{j, i},
		Explanation: fmt.Sprintf("the high watermark of %s rose from %d to %d at leader epoch %d while its ISR (%v, then %v) was below min.insync.replicas %d (leader %d's view)",
			e.Key(), *pe.HighWatermark, *e.HighWatermark, *e.LeaderEpoch, pe.ISR, e.ISR, opts.MinISR, e.Broker),
	}, true
}
