package txn

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kafkaesque/kafkaesque/history"
	"github.com/kafkaesque/kafkaesque/workloads"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The drain reads with franz-go's raw requests, not kafka-go's: at read-committed the broker
// still returns aborted records (it only stops at the last stable offset) along with the list of
// aborted transactions, and the client must drop them. kafka-go v0.4.51 parses that list and
// never applies it (its record iterator returns every record), so its read-committed fetch
// would put aborted values in the final log. kgo.ProcessFetchPartition applies it, drops control
// records, and says how far the fetch was processed, so each drain poll's from is exact.
// A kgo consumer would do the filtering too, but it reads ahead and hides where each poll began.

const (
	// drainMaxWait is short: after recovery the data is there, and an empty fetch only means a
	// partition is behind (or at its end), worth asking again soon.
	drainMaxWait = 100 * time.Millisecond
	// drainFetchBytes is large against the workload's tiny records.
	drainFetchBytes = 4 << 20
)

// committedRead is what one drain poll read of a partition at read-committed: every committed
// record in [from, lso), where lso is the last stable offset of its first fetch.
type committedRead struct {
	reads []history.Read
	lso   int64 // the read-committed end: below it every transaction is decided
	hw    int64 // the high watermark of the same fetch; above lso records are undecided
}

// fetchCommitted reads partition from from up to the last stable offset its first fetch
// returns, fetching again while it has not got there, so that the poll covers [from, lso)
// exactly: the committed records there, and nothing of the aborted ones or the markers.
func (w *Workload) fetchCommitted(ctx context.Context, partition int, from int64) (committedRead, error) {
	leader, topicID, err := w.leaderOf(ctx, partition)
	if err != nil {
		return committedRead{}, err
	}
	out := committedRead{reads: []history.Read{}, lso: -1}
	for pos := from; ; {
		rp, err := w.fetchOnce(ctx, leader, topicID, partition, pos)
		if err != nil {
			return committedRead{}, err
		}
		if out.lso < 0 {
			out.lso, out.hw = rp.LastStableOffset, rp.HighWatermark
		}
		fp, next := kgo.ProcessFetchPartition(kgo.ProcessFetchPartitionOpts{
			Offset: pos, IsolationLevel: kgo.ReadCommitted(), Topic: w.cfg.Topic, Partition: int32(partition),
		}, rp, kgo.DefaultDecompressor(), nil)
		if fp.Err != nil {
			return committedRead{}, fmt.Errorf("fetch %s from %d: %w", workloads.Key(w.cfg.Topic, partition), pos, fp.Err)
		}
		for _, r := range fp.Records {
			if r.Offset >= pos && r.Offset < out.lso {
				out.reads = append(out.reads, history.Read{Offset: r.Offset, Value: string(r.Value)})
			}
		}
		if next >= out.lso {
			return out, nil
		}
		if next <= pos {
			return committedRead{}, fmt.Errorf("fetch %s from %d: no progress towards the last stable offset %d (leader %d)",
				workloads.Key(w.cfg.Topic, partition), pos, out.lso, leader)
		}
		pos = next
	}
}

// fetchOnce sends one read-committed Fetch for partition at offset to its leader.
func (w *Workload) fetchOnce(ctx context.Context, leader int32, topicID [16]byte, partition int, offset int64) (*kmsg.FetchResponseTopicPartition, error) {
	req := kmsg.NewPtrFetchRequest()
	req.MaxWaitMillis = int32(drainMaxWait.Milliseconds())
	req.MinBytes = 1
	req.MaxBytes = drainFetchBytes
	req.IsolationLevel = 1 // read committed
	t := kmsg.NewFetchRequestTopic()
	t.Topic, t.TopicID = w.cfg.Topic, topicID // the name up to v12, the id from v13
	p := kmsg.NewFetchRequestTopicPartition()
	p.Partition, p.FetchOffset, p.PartitionMaxBytes = int32(partition), offset, drainFetchBytes
	t.Partitions = append(t.Partitions, p)
	req.Topics = append(req.Topics, t)
	key := workloads.Key(w.cfg.Topic, partition)
	kresp, err := w.admin.Broker(int(leader)).Request(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("fetch %s from %d at broker %d: %w", key, offset, leader, err)
	}
	resp := kresp.(*kmsg.FetchResponse)
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return nil, fmt.Errorf("fetch %s from %d at broker %d: %w", key, offset, leader, err)
	}
	for i := range resp.Topics {
		for j := range resp.Topics[i].Partitions {
			rp := &resp.Topics[i].Partitions[j]
			if rp.Partition != int32(partition) {
				continue
			}
			if err := kerr.ErrorForCode(rp.ErrorCode); err != nil {
				return nil, fmt.Errorf("fetch %s from %d at broker %d: %w", key, offset, leader, err)
			}
			return rp, nil
		}
	}
	return nil, fmt.Errorf("fetch %s from %d at broker %d: partition missing from the response", key, offset, leader)
}

// leaderOf asks for partition's leader and the topic's id. The Metadata response also tells the
// admin client where the brokers are, which Broker(id) needs.
func (w *Workload) leaderOf(ctx context.Context, partition int) (int32, [16]byte, error) {
	key := workloads.Key(w.cfg.Topic, partition)
	req := kmsg.NewPtrMetadataRequest()
	t := kmsg.NewMetadataRequestTopic()
	t.Topic = kmsg.StringPtr(w.cfg.Topic)
	req.Topics = append(req.Topics, t)
	resp, err := req.RequestWith(ctx, w.admin)
	if err != nil {
		return 0, [16]byte{}, fmt.Errorf("metadata of %s: %w", key, err)
	}
	for _, rt := range resp.Topics {
		if rt.Topic == nil || *rt.Topic != w.cfg.Topic {
			continue
		}
		if err := kerr.ErrorForCode(rt.ErrorCode); err != nil {
			return 0, [16]byte{}, fmt.Errorf("metadata of %s: %w", key, err)
		}
		for _, rp := range rt.Partitions {
			if rp.Partition != int32(partition) {
				continue
			}
			if err := kerr.ErrorForCode(rp.ErrorCode); err != nil && !errors.Is(err, kerr.ReplicaNotAvailable) {
				return 0, [16]byte{}, fmt.Errorf("metadata of %s: %w", key, err)
			}
			if rp.Leader < 0 {
				return 0, [16]byte{}, fmt.Errorf("metadata of %s: no leader", key)
			}
			return rp.Leader, rt.TopicID, nil
		}
	}
	return 0, [16]byte{}, fmt.Errorf("metadata of %s: partition missing from the response", key)
}

// logStart asks partition's leader for its log start offset.
func (w *Workload) logStart(ctx context.Context, partition int) (int64, error) {
	key := workloads.Key(w.cfg.Topic, partition)
	req := kmsg.NewPtrListOffsetsRequest()
	req.IsolationLevel = 1
	t := kmsg.NewListOffsetsRequestTopic()
	t.Topic = w.cfg.Topic
	p := kmsg.NewListOffsetsRequestTopicPartition()
	p.Partition, p.Timestamp = int32(partition), -2 // earliest
	t.Partitions = append(t.Partitions, p)
	req.Topics = append(req.Topics, t)
	resp, err := req.RequestWith(ctx, w.admin) // kgo sends it to the leader
	if err != nil {
		return 0, fmt.Errorf("list offsets of %s: %w", key, err)
	}
	for _, rt := range resp.Topics {
		for _, rp := range rt.Partitions {
			if rt.Topic != w.cfg.Topic || rp.Partition != int32(partition) {
				continue
			}
			if err := kerr.ErrorForCode(rp.ErrorCode); err != nil {
				return 0, fmt.Errorf("list offsets of %s: %w", key, err)
			}
			return rp.Offset, nil
		}
	}
	return 0, fmt.Errorf("list offsets of %s: partition missing from the response", key)
}
