package rundir

import "github.com/kafkaesque/kafkaesque/electionlog"

// QuorumSpan is a stretch of a KRaft run during which the quorum leader in office, the node
// that claimed the highest epoch so far, was Leader at Epoch and still answering as such; Leader
// is NoLeader while no node answered as the leader of that epoch (a killed or paused leader, an
// election under way).
type QuorumSpan struct {
	Time   int64
	Leader int
	Epoch  int
}

// QuorumSpans reads the quorum leader over time out of the nodes' DescribeQuorum answers. Only a
// node's own claim (its answer naming itself leader, with the epoch) names a leader: a follower
// vouches for none. The claim holds from that answer until the node answers otherwise or stops
// answering, and again when it answers unchanged after an unreachable spell. A claim at an
// epoch below the highest claimed so far (a stale leader) is not the leader in office; the
// checker's stale-quorum-leader reports it. By construction the epochs never fall.
func QuorumSpans(events []electionlog.Event) []QuorumSpan {
	type claim struct {
		claiming  bool // the node's last answer claimed leadership
		epoch     int
		reachable bool
	}
	claims := map[int]*claim{}
	office := QuorumSpan{Leader: electionlog.NoLeader, Epoch: -1}
	var spans []QuorumSpan
	for _, e := range events {
		switch {
		case e.Kind == electionlog.KindQuorum:
			c := claims[e.Broker]
			if c == nil {
				c = &claim{}
				claims[e.Broker] = c
			}
			c.reachable = true
			c.claiming = e.Leader != nil && e.LeaderEpoch != nil && *e.Leader == e.Broker
			if c.claiming {
				c.epoch = *e.LeaderEpoch
				if c.epoch > office.Epoch {
					office.Leader, office.Epoch = e.Broker, c.epoch
				}
			}
		case e.Kind == electionlog.KindUnreachable && e.Source == electionlog.SourceQuorum:
			if c := claims[e.Broker]; c != nil {
				c.reachable = e.Error == ""
			}
		default:
			continue
		}
		if office.Epoch < 0 {
			continue // no claim yet
		}
		now := QuorumSpan{Time: e.Time, Leader: electionlog.NoLeader, Epoch: office.Epoch}
		if c := claims[office.Leader]; c.claiming && c.reachable && c.epoch == office.Epoch {
			now.Leader = office.Leader
		}
		if n := len(spans); n > 0 && spans[n-1].Leader == now.Leader && spans[n-1].Epoch == now.Epoch {
			continue
		}
		spans = append(spans, now)
	}
	return spans
}
