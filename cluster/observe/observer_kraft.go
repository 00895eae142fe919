package observe

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/kafkaesque/kafkaesque/cluster/kafkastate"
	"github.com/kafkaesque/kafkaesque/electionlog"
)

// Slack bounds how long after a change the observer records it: its poll interval plus one
// request's timeout. The election checks allow it before calling a claim stale.
const Slack = 200*time.Millisecond + kafkastate.RequestTimeout + 300*time.Millisecond

func (o *Observer) quorumLoop(ctx context.Context) {
	defer o.done.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(o.interval):
		}
		o.pollQuorum(ctx)
	}
}

// pollQuorum records each voter's DescribeQuorum answer: the leader's full answer, a follower's
// "not the leader" as leader -1 without an epoch.
func (o *Observer) pollQuorum(ctx context.Context) {
	for _, v := range o.kraft.DescribeQuorum(ctx) {
		key := "quorum/" + strconv.Itoa(v.Node.ID)
		if v.Err != nil {
			o.record(key+"/unreachable", electionlog.Event{Kind: electionlog.KindUnreachable, Source: electionlog.SourceQuorum, Broker: v.Node.ID, Error: v.Err.Error()})
			continue
		}
		o.record(key+"/unreachable", electionlog.Event{Kind: electionlog.KindUnreachable, Source: electionlog.SourceQuorum, Broker: v.Node.ID})
		e := electionlog.Event{Kind: electionlog.KindQuorum, Source: electionlog.SourceQuorum, Broker: v.Node.ID, Leader: electionlog.Int(v.Leader)}
		if v.Leader >= 0 {
			hw := v.HW
			e.LeaderEpoch, e.QuorumHW = electionlog.Int(v.Epoch), &hw
			e.Lagging = v.Lagging(time.Now(), o.t.FetchTimeout)
			for _, r := range v.Voters {
				e.Voters = append(e.Voters, r.ID)
				e.Replicas = append(e.Replicas, electionlog.QuorumReplica(r))
			}
			for _, r := range v.Observers {
				e.Observers = append(e.Observers, r.ID)
				e.Replicas = append(e.Replicas, electionlog.QuorumReplica(r))
			}
			slices.Sort(e.Voters)
			slices.Sort(e.Observers)
		}
		o.record(key, e)
	}
}

// pollKRaftBroker records broker b's view of leaders, ISRs and ELRs, and its high watermarks
// where it leads.
func (o *Observer) pollKRaftBroker(ctx context.Context, b kafkastate.Endpoint) {
	key := "md/" + strconv.Itoa(b.ID)
	for _, t := range o.topics {
		// The high watermarks first, then the ISR: a watermark that rose while the ISR grew back
		// is then never paired with the ISR from before.
		hws, err := o.kraft.HighWatermarks(ctx, b, t, o.t.Partitions[t])
		view := o.kraft.BrokerView(ctx, b, t)
		if view.Err == nil && err != nil {
			view.Err = err // a view without its watermarks is no view: skip it, never record "none"
		}
		if view.Err != nil {
			o.record(key+"/unreachable", electionlog.Event{Kind: electionlog.KindUnreachable, Source: electionlog.SourceMetadata, Broker: b.ID, Error: view.Err.Error()})
			return
		}
		o.record(key+"/unreachable", electionlog.Event{Kind: electionlog.KindUnreachable, Source: electionlog.SourceMetadata, Broker: b.ID})
		for _, p := range view.Partitions {
			e := electionlog.Event{
				Kind: electionlog.KindPartition, Source: electionlog.SourceMetadata, Broker: b.ID,
				Topic: t, Partition: electionlog.Int(p.Partition), Leader: electionlog.Int(p.Leader),
				LeaderEpoch: electionlog.Int(p.LeaderEpoch), ISR: electionlog.SortedISR(p.ISR),
				ELR: p.ELR, LastKnownELR: p.LastKnownELR,
			}
			if hw, ok := hws[p.Partition]; ok && p.Leader == b.ID {
				e.HighWatermark = &hw
			}
			o.record(fmt.Sprintf("%s/%s/%d", key, t, p.Partition), e)
		}
	}
}
