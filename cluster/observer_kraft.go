package cluster

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/kafkaesque/kafkaesque/electionlog"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// quorumFetchTimeout is controller.quorum.fetch.timeout.ms's default: a voter that has not
// fetched for longer is lagging.
const quorumFetchTimeout = 2 * time.Second

// ObserverSlack bounds how long after a change the observer records it: its poll interval plus
// one request's timeout. The election checks allow it before calling a claim stale.
const ObserverSlack = 200*time.Millisecond + kraftRequestTimeout + 300*time.Millisecond

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
			now := time.Now().UnixMilli()
			for _, r := range v.Voters {
				e.Voters = append(e.Voters, r.ID)
				// Lagging: not caught up with the leader's log end within a fetch timeout. A
				// follower's log end trails the leader's by a fetch most of the time; that is not lag.
				if r.ID != v.Leader && (r.LastCaughtUpMs < 0 || now-r.LastCaughtUpMs > quorumFetchTimeout.Milliseconds()) {
					e.Lagging = append(e.Lagging, r.ID)
				}
				e.Replicas = append(e.Replicas, electionlog.QuorumReplica(r))
			}
			for _, r := range v.Observers {
				e.Observers = append(e.Observers, r.ID)
				e.Replicas = append(e.Replicas, electionlog.QuorumReplica(r))
			}
			slices.Sort(e.Voters)
			slices.Sort(e.Observers)
			slices.Sort(e.Lagging)
		}
		o.record(key, e)
	}
}

// pollKRaftBroker records broker b's view of leaders, ISRs and ELRs, and its high watermarks
// where it leads.
func (o *Observer) pollKRaftBroker(ctx context.Context, b *Node) {
	key := "md/" + strconv.Itoa(b.ID)
	for _, t := range o.topics {
		// The high watermarks first, then the ISR: a watermark that rose while the ISR grew back
		// is then never paired with the ISR from before.
		hws := o.highWatermarks(ctx, b, t)
		view := o.kraft.brokerView(ctx, b, t)
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

// highWatermarks asks broker b for the high watermark (ListOffsets latest, read_uncommitted) of
// every partition of topic; it answers only for those it leads, and the rest are left out.
func (o *Observer) highWatermarks(ctx context.Context, b *Node, topic string) map[int]int64 {
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID = -1
	t := kmsg.NewListOffsetsRequestTopic()
	t.Topic = topic
	for p := range o.c.partitionCount(topic) {
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition = int32(p)
		rp.Timestamp = -1 // latest: the high watermark
		t.Partitions = append(t.Partitions, rp)
	}
	req.Topics = []kmsg.ListOffsetsRequestTopic{t}
	raw, err := o.kraft.describe(ctx, b, req)
	if err != nil {
		return nil
	}
	out := map[int]int64{}
	for _, rt := range raw.(*kmsg.ListOffsetsResponse).Topics {
		for _, rp := range rt.Partitions {
			if kerr.ErrorForCode(rp.ErrorCode) == nil {
				out[int(rp.Partition)] = rp.Offset
			}
		}
	}
	return out
}

// partitionCount is the number of partitions the cluster created topic with (0 if it did not).
func (c *Cluster) partitionCount(topic string) int {
	for _, t := range c.Config.Topics {
		if t.Name == topic {
			return t.Partitions
		}
	}
	return 0
}
