package runcheck

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/electionlog"
)

// checkQuorum checks the quorum lines of a KRaft cluster, each node's DescribeQuorum answer:
//   - at most one quorum leader per quorum epoch, across every view. This is Raft's election
//     safety; it is reported as MultipleControllers because the quorum leader is the active
//     controller, so the promise (one controller per epoch) and its remedy are those of the
//     ZooKeeper rule, and runs of both modes compare by one name;
//   - within one view, the quorum epoch never goes back (ControllerEpochRegression, for the
//     same reason). Views differ in time, so epochs are not compared across views;
//   - a node does not keep answering as leader of an epoch for longer than staleBound after some
//     view showed a leader at a higher epoch (StaleQuorumLeader, staleLeaders).
func checkQuorum(events []electionlog.Event, opts ElectionOptions) []checker.Anomaly {
	var out []checker.Anomaly
	leaders := map[int]map[int]int{} // epoch -> leader -> first event
	type seen struct{ event, epoch int }
	highest := map[int]seen{} // per view: the highest epoch it answered
	for i, e := range events {
		if e.Kind != electionlog.KindQuorum || e.Leader == nil || e.LeaderEpoch == nil {
			continue
		}
		epoch := *e.LeaderEpoch
		if *e.Leader >= 0 {
			noteHolder(leaders, epoch, *e.Leader, i)
		}
		prev, ok := highest[e.Broker]
		if ok && epoch < prev.epoch {
			out = append(out, checker.Anomaly{
				Type: checker.ControllerEpochRegression, Events: []int{prev.event, i},
				Explanation: fmt.Sprintf("node %d's DescribeQuorum answer went from quorum epoch %d back to %d", e.Broker, prev.epoch, epoch),
			})
		}
		if !ok || epoch >= prev.epoch {
			highest[e.Broker] = seen{i, epoch}
		}
	}
	out = append(out, onePerEpoch(leaders, func(epoch int, ids []int) string {
		return fmt.Sprintf("quorum epoch %d was led by nodes %v (DescribeQuorum answers)", epoch, ids)
	})...)
	return append(out, staleLeaders(events, opts)...)
}

// staleBound is how long a node may go on answering as leader after a higher epoch has a
// leader. In a normal fail-over the followers elect a new leader once their fetch timeout
// passes, and the old leader (Kafka 3.7+, check-quorum) resigns 1.5 fetch timeouts after a
// majority last fetched from it: its claim overlaps the new epoch by under one fetch timeout.
// Twice the fetch timeout leaves room for that; the slack covers the observer, which records a
// change or an unreachable node up to one poll interval plus a request timeout after the node
// last answered as leader.
func (o ElectionOptions) staleBound() time.Duration {
	fetch, slack := o.QuorumFetchTimeout, o.ObserverSlack
	if fetch == 0 {
		fetch = 2 * time.Second // controller.quorum.fetch.timeout.ms's default
	}
	if slack == 0 {
		slack = defaultObserverSlack
	}
	return 2*fetch + slack
}

// defaultObserverSlack is ElectionOptions.ObserverSlack's zero value's meaning.
const defaultObserverSlack = time.Second

// staleLeaders finds KAFKA-15489's shape: a leader cut off from the other voters that never
// resigns (Kafka before 3.7 had no check-quorum) and keeps answering as leader of its old epoch
// while another leader holds a higher one. A node's claim is its own view saying it leads
// (leader == the node asked), observed from the event that made it until its view changes
// leader or epoch, becomes unreachable (a paused node claims nothing) or the log ends; it
// resumes when the node answers again with its view unchanged. A claim still observed for
// longer than staleBound after the first time any view showed a leader at a higher epoch is
// reported, once per node and epoch. Answers relayed by another node are not claims.
func staleLeaders(events []electionlog.Event, opts ElectionOptions) []checker.Anomaly {
	firstLed := map[int]int{} // epoch -> first event showing a leader at it
	for i, e := range events {
		if e.Kind == electionlog.KindQuorum && e.Leader != nil && e.LeaderEpoch != nil && *e.Leader >= 0 {
			if _, ok := firstLed[*e.LeaderEpoch]; !ok {
				firstLed[*e.LeaderEpoch] = i
			}
		}
	}
	superseded := func(epoch int) (int, bool) { // the first event showing a leader above epoch
		first, found := 0, false
		for ep, i := range firstLed {
			if ep > epoch && (!found || i < first) {
				first, found = i, true
			}
		}
		return first, found
	}
	type claim struct {
		claiming bool  // the view's last answer was its own leadership
		epoch    int   // of the claim
		made     int   // the event that made it
		open     bool  // the claim is being observed (the node answers)
		since    int64 // since when
	}
	var out []checker.Anomaly
	bound := opts.staleBound().Nanoseconds()
	reported := map[[2]int]bool{}
	closeClaim := func(node int, c *claim, end int64, endEvent int) {
		if !c.open {
			return
		}
		c.open = false
		h, ok := superseded(c.epoch)
		if !ok || reported[[2]int{node, c.epoch}] {
			return
		}
		over := end - max(c.since, events[h].Time)
		if over <= bound {
			return
		}
		reported[[2]int{node, c.epoch}] = true
		evs := []int{c.made, h}
		if endEvent >= 0 {
			evs = append(evs, endEvent)
		}
		sort.Ints(evs)
		out = append(out, checker.Anomaly{
			Type: checker.StaleQuorumLeader, Events: slices.Compact(evs),
			Explanation: fmt.Sprintf("node %d went on answering as quorum leader of epoch %d for %.1fs after node %d led epoch %d (allowed: %.1fs, twice the quorum fetch timeout plus the observer's slack)",
				node, c.epoch, nsToSeconds(over), *events[h].Leader, *events[h].LeaderEpoch, nsToSeconds(bound)),
		})
	}
	claims := map[int]*claim{}
	for i, e := range events {
		c := claims[e.Broker]
		switch {
		case e.Kind == electionlog.KindQuorum:
			if c == nil {
				c = &claim{}
				claims[e.Broker] = c
			}
			self := e.Leader != nil && e.LeaderEpoch != nil && *e.Leader == e.Broker
			if self && c.claiming && c.open && *e.LeaderEpoch == c.epoch {
				continue // the same claim; only voters or lagging changed
			}
			closeClaim(e.Broker, c, e.Time, i)
			c.claiming = self
			if self {
				c.epoch, c.made, c.open, c.since = *e.LeaderEpoch, i, true, e.Time
			}
		case e.Kind == electionlog.KindUnreachable && e.Source == electionlog.SourceQuorum && c != nil:
			if e.Error != "" {
				closeClaim(e.Broker, c, e.Time, i)
			} else if c.claiming && !c.open {
				c.open, c.since = true, e.Time
			}
		}
	}
	if len(events) > 0 {
		nodes := make([]int, 0, len(claims))
		for n := range claims {
			nodes = append(nodes, n)
		}
		sort.Ints(nodes)
		for _, n := range nodes {
			closeClaim(n, claims[n], events[len(events)-1].Time, -1)
		}
	}
	return out
}

func nsToSeconds(ns int64) float64 { return float64(ns) / 1e9 }
