package kafkastate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// fakeBroker is one node's answers: the brokers its metadata lists, its view of partition 0 of
// topic t, and whether it knows DescribeTopicPartitions.
type fakeBroker struct {
	brokers        []int32
	leader, epoch  int32
	isr, elr       []int32
	noDTP          bool
	dtpFails       bool  // DescribeTopicPartitions fails (not for being too old)
	quorumLeader   int32 // DescribeQuorum: -2 answers "not the leader"
	quorumEpoch    int32
	describeTopics int // DescribeTopicPartitions requests received
	apiVersions    int // ApiVersions requests received
}

func fakeKRaft(nodes map[int]*fakeBroker, voters, brokers []Endpoint) *KRaft {
	m := &KRaft{voterEPs: voters, brokerEPs: brokers, dtp: map[int]bool{}}
	m.describe = func(_ context.Context, n Endpoint, req kmsg.Request) (kmsg.Response, error) {
		f := nodes[n.ID]
		switch req.(type) {
		case *kmsg.DescribeQuorumRequest:
			resp := kmsg.NewPtrDescribeQuorumResponse()
			p := kmsg.NewDescribeQuorumResponseTopicPartition()
			if f.quorumLeader == -2 {
				p.ErrorCode = kerr.NotLeaderForPartition.Code
			} else {
				p.LeaderID, p.LeaderEpoch = f.quorumLeader, f.quorumEpoch
			}
			t := kmsg.NewDescribeQuorumResponseTopic()
			t.Partitions = []kmsg.DescribeQuorumResponseTopicPartition{p}
			resp.Topics = []kmsg.DescribeQuorumResponseTopic{t}
			return resp, nil
		case *kmsg.MetadataRequest:
			resp := kmsg.NewPtrMetadataResponse()
			for _, id := range f.brokers {
				b := kmsg.NewMetadataResponseBroker()
				b.NodeID = id
				resp.Brokers = append(resp.Brokers, b)
			}
			t := kmsg.NewMetadataResponseTopic()
			p := kmsg.NewMetadataResponseTopicPartition()
			p.Leader, p.LeaderEpoch, p.ISR = f.leader, f.epoch, f.isr
			t.Partitions = []kmsg.MetadataResponseTopicPartition{p}
			resp.Topics = []kmsg.MetadataResponseTopic{t}
			return resp, nil
		case *kmsg.ApiVersionsRequest:
			resp := kmsg.NewPtrApiVersionsResponse()
			for _, key := range []int16{kmsg.Metadata.Int16(), kmsg.ListOffsets.Int16(), kmsg.DescribeTopicPartitions.Int16()} {
				if key == kmsg.DescribeTopicPartitions.Int16() && f.noDTP {
					continue
				}
				k := kmsg.NewApiVersionsResponseApiKey()
				k.ApiKey = key
				resp.ApiKeys = append(resp.ApiKeys, k)
			}
			f.apiVersions++
			return resp, nil
		case *kmsg.DescribeTopicPartitionsRequest:
			f.describeTopics++
			if f.noDTP {
				return nil, fmt.Errorf("%s: %w", n.Name, errors.New("broker is too old"))
			}
			if f.dtpFails {
				return nil, fmt.Errorf("%s: %w", n.Name, errors.New("i/o timeout"))
			}
			resp := kmsg.NewPtrDescribeTopicPartitionsResponse()
			t := kmsg.NewDescribeTopicPartitionsResponseTopic()
			p := kmsg.NewDescribeTopicPartitionsResponseTopicPartition()
			p.LeaderID, p.LeaderEpoch, p.ISR, p.EligibleLeaderReplicas = f.leader, f.epoch, f.isr, f.elr
			t.Partitions = []kmsg.DescribeTopicPartitionsResponseTopicPartition{p}
			resp.Topics = []kmsg.DescribeTopicPartitionsResponseTopic{t}
			return resp, nil
		}
		return nil, fmt.Errorf("unexpected request %T", req)
	}
	return m
}

// The merged views: the controller is the leader named at the highest quorum epoch (not a cut-off
// voter's stale claim), a partition's state is the leader's own view at the highest leader epoch,
// and a broker is registered only if every answering broker lists it.
func TestKRaftMergesViews(t *testing.T) {
	voters := []Endpoint{{"ctl1", 101, "a:9093"}, {"ctl2", 102, "b:9093"}, {"ctl3", 103, "c:9093"}}
	brokers := []Endpoint{{"kafka1", 1, "d:9092"}, {"kafka2", 2, "e:9092"}, {"kafka3", 3, "f:9092"}}
	nodes := map[int]*fakeBroker{
		101: {quorumLeader: 101, quorumEpoch: 5},
		102: {quorumLeader: -2},
		103: {quorumLeader: 103, quorumEpoch: 4}, // cut off, still claiming its old term
		// kafka1 leads at epoch 3 and has shrunk the ISR; kafka2 lags with the old ISR; kafka3,
		// cut off from the quorum, still sees itself leading at epoch 2 and lists every broker.
		1: {brokers: []int32{1, 2}, leader: 1, epoch: 3, isr: []int32{2, 1}, elr: []int32{3}},
		2: {brokers: []int32{1, 2}, leader: 1, epoch: 3, isr: []int32{1, 2, 3}},
		3: {brokers: []int32{1, 2, 3}, leader: 3, epoch: 2, isr: []int32{3}, noDTP: true},
	}
	m := fakeKRaft(nodes, voters, brokers)
	ctx := context.Background()

	if id, err := m.Controller(ctx); err != nil || id != 101 {
		t.Errorf("Controller = %d, %v; want 101 (epoch 5 beats ctl3's claim at epoch 4)", id, err)
	}
	parts, err := m.Partitions(ctx, "t")
	if err != nil || len(parts) != 1 {
		t.Fatalf("Partitions = %+v, %v", parts, err)
	}
	p := parts[0]
	if p.Leader != 1 || p.LeaderEpoch != 3 || !slices.Equal(p.ISR, []int{1, 2}) || !p.HasELR || !slices.Equal(p.ELR, []int{3}) {
		t.Errorf("merged partition = %+v; want kafka1's own view: leader 1, epoch 3, isr [1 2], elr [3]", p)
	}
	if ids, err := m.Brokers(ctx); err != nil || !slices.Equal(ids, []int{1, 2}) {
		t.Errorf("Brokers = %v, %v; want [1 2] (kafka3 is fenced in the others' metadata)", ids, err)
	}
	// A broker without DescribeTopicPartitions (its ApiVersions, asked once, lacks it) answers
	// with its Metadata alone, and is never sent the request.
	for range 2 {
		if v := m.BrokerView(ctx, brokers[2], "t"); v.Err != nil || v.Partitions[0].HasELR {
			t.Errorf("kafka3's view = %+v; want no ELR and no error", v)
		}
	}
	if nodes[3].describeTopics != 0 || nodes[3].apiVersions != 1 {
		t.Errorf("kafka3 was asked DescribeTopicPartitions %d times and ApiVersions %d; want never and once", nodes[3].describeTopics, nodes[3].apiVersions)
	}
}

// A broker that has DescribeTopicPartitions but fails to answer it gives no view at all, never
// the Metadata answer with an empty ELR (which would make an election from the ELR look unclean).
func TestFailedELRReadIsNoView(t *testing.T) {
	b1 := Endpoint{Name: "kafka1", ID: 1, Addr: "b1"}
	m := fakeKRaft(map[int]*fakeBroker{1: {brokers: []int32{1}, leader: 1, epoch: 2, isr: []int32{1}, elr: []int32{2}, dtpFails: true}}, nil, []Endpoint{b1})
	if v := m.BrokerView(context.Background(), b1, "t"); v.Err == nil {
		t.Fatalf("view %+v despite a failed DescribeTopicPartitions", v)
	}
	m = fakeKRaft(map[int]*fakeBroker{1: {brokers: []int32{1}, leader: 1, epoch: 2, isr: []int32{1}, elr: []int32{2}}}, nil, []Endpoint{b1})
	v := m.BrokerView(context.Background(), b1, "t")
	if v.Err != nil || len(v.Partitions) != 1 || !v.Partitions[0].HasELR || len(v.Partitions[0].ELR) != 1 {
		t.Fatalf("view %+v, want one partition with its ELR [2]", v)
	}
}

// A voter lags when the leader has not seen it caught up within the fetch timeout, or never.
func TestQuorumViewLagging(t *testing.T) {
	now := time.UnixMilli(10_000)
	v := QuorumView{Leader: 101, Voters: []QuorumReplica{
		{ID: 101, LastCaughtUpMs: 1_000}, // the leader itself never lags
		{ID: 103, LastCaughtUpMs: 7_000}, // 3 s ago
		{ID: 102, LastCaughtUpMs: 9_500},
		{ID: 104, LastCaughtUpMs: -1},
	}}
	if got := v.Lagging(now, 0); !slices.Equal(got, []int{103, 104}) {
		t.Errorf("Lagging with the default 2 s = %v, want [103 104]", got)
	}
	if got := v.Lagging(now, 5*time.Second); !slices.Equal(got, []int{104}) {
		t.Errorf("Lagging with 5 s = %v, want [104]", got)
	}
}
