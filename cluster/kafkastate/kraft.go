package kafkastate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// metadataTopic is KRaft's metadata log, the one partition the quorum replicates.
const metadataTopic = "__cluster_metadata"

// KRaft reads a KRaft cluster's state with franz-go: the quorum from each controller voter
// (DescribeQuorum sent to the node itself), partitions and registrations from each broker's own
// metadata (Metadata, and DescribeTopicPartitions where the broker has it).
type KRaft struct {
	voterEPs  []Endpoint  // at their controller listener
	brokerEPs []Endpoint  // at their broker listener
	voters    *kgo.Client // seeded with every voter, in voterEPs order
	brokers   *kgo.Client // seeded with every broker, in brokerEPs order
	dtpMu     sync.Mutex
	dtp       map[int]bool // broker id -> it knows DescribeTopicPartitions (3.8 on), per its ApiVersions
	describe  func(ctx context.Context, n Endpoint, req kmsg.Request) (kmsg.Response, error)
}

// DialKRaft makes clients of the controller voters (addressed at their controller listener)
// and of the brokers. Nothing is connected until the first request; Close ends both.
func DialKRaft(voters, brokers []Endpoint) (*KRaft, error) {
	opts := []kgo.Opt{kgo.DialTimeout(RequestTimeout), kgo.RequestRetries(0), kgo.ConnIdleTimeout(30 * time.Second)}
	vc, err := kgo.NewClient(append(opts, kgo.SeedBrokers(addrs(voters)...))...)
	if err != nil {
		return nil, fmt.Errorf("KRaft quorum client: %w", err)
	}
	bc, err := kgo.NewClient(append(opts, kgo.SeedBrokers(addrs(brokers)...))...)
	if err != nil {
		vc.Close()
		return nil, fmt.Errorf("KRaft broker client: %w", err)
	}
	m := &KRaft{voterEPs: slices.Clone(voters), brokerEPs: slices.Clone(brokers), voters: vc, brokers: bc, dtp: map[int]bool{}}
	m.describe = m.request
	return m, nil
}

func addrs(eps []Endpoint) []string {
	out := make([]string, len(eps))
	for i, e := range eps {
		out[i] = e.Addr
	}
	return out
}

func (m *KRaft) Close() {
	m.voters.Close()
	m.brokers.Close()
}

// request sends req to node n itself (no routing, no retries), bounded by RequestTimeout:
// DescribeQuorum, and anything for a controller that is no broker, to the controller listener;
// everything else to a broker's.
func (m *KRaft) request(ctx context.Context, n Endpoint, req kmsg.Request) (kmsg.Response, error) {
	client, eps := m.brokers, m.brokerEPs
	if req.Key() == kmsg.DescribeQuorum.Int16() || (!slices.Contains(m.brokerEPs, n) && slices.Contains(m.voterEPs, n)) {
		client, eps = m.voters, m.voterEPs
	}
	i := slices.Index(eps, n)
	seeds := client.SeedBrokers()
	if i < 0 || i >= len(seeds) {
		return nil, fmt.Errorf("%s is not among the client's seeds", n.Name)
	}
	rctx, cancel := context.WithTimeout(ctx, RequestTimeout)
	defer cancel()
	resp, err := seeds[i].Request(rctx, req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", n.Name, err)
	}
	return resp, nil
}

// QuorumView is one controller voter's answer to DescribeQuorum. Only the leader answers with
// the quorum's state; the others say they are not the leader.
type QuorumView struct {
	Node      Endpoint
	IsLeader  bool  // the node answered as the quorum's leader
	Leader    int   // the leader it named, -1 for none
	Epoch     int   // the quorum epoch of its answer
	HW        int64 // the metadata log's high watermark (leader's answer only)
	Voters    []QuorumReplica
	Observers []QuorumReplica
	Err       error // the node could not be asked, or answered with another error
}

// QuorumReplica is a voter's or an observer's progress as the leader sees it.
type QuorumReplica struct {
	ID             int
	LogEndOffset   int64
	LastFetchMs    int64 // -1 when unknown
	LastCaughtUpMs int64 // -1 when unknown
}

// DefaultFetchTimeout is controller.quorum.fetch.timeout.ms's default.
const DefaultFetchTimeout = 2 * time.Second

// Lagging returns, from a leader's answer, the voters it has not seen caught up with its log
// end within fetchTimeout (zero: DefaultFetchTimeout), as of now. A follower's log end trails the
// leader's by a fetch most of the time; that is not lag.
func (v QuorumView) Lagging(now time.Time, fetchTimeout time.Duration) []int {
	if fetchTimeout == 0 {
		fetchTimeout = DefaultFetchTimeout
	}
	var out []int
	for _, r := range v.Voters {
		if r.ID != v.Leader && (r.LastCaughtUpMs < 0 || now.UnixMilli()-r.LastCaughtUpMs > fetchTimeout.Milliseconds()) {
			out = append(out, r.ID)
		}
	}
	slices.Sort(out)
	return out
}

// DescribeQuorum asks every voter directly for its view of the quorum.
func (m *KRaft) DescribeQuorum(ctx context.Context) []QuorumView {
	voters := m.voterEPs
	views := make([]QuorumView, len(voters))
	var wg sync.WaitGroup
	for i, v := range voters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			views[i] = m.describeQuorum(ctx, v)
		}()
	}
	wg.Wait()
	return views
}

func (m *KRaft) describeQuorum(ctx context.Context, n Endpoint) QuorumView {
	view := QuorumView{Node: n, Leader: -1, Epoch: -1}
	req := kmsg.NewPtrDescribeQuorumRequest()
	t := kmsg.NewDescribeQuorumRequestTopic()
	t.Topic = metadataTopic
	t.Partitions = []kmsg.DescribeQuorumRequestTopicPartition{kmsg.NewDescribeQuorumRequestTopicPartition()}
	req.Topics = []kmsg.DescribeQuorumRequestTopic{t}
	raw, err := m.describe(ctx, n, req)
	if err != nil {
		view.Err = err
		return view
	}
	resp := raw.(*kmsg.DescribeQuorumResponse)
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		view.Err = fmt.Errorf("%s: describe quorum: %w", n.Name, err)
		return view
	}
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		view.Err = fmt.Errorf("%s: describe quorum: unexpected response shape", n.Name)
		return view
	}
	p := resp.Topics[0].Partitions[0]
	if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
		if errors.Is(err, kerr.NotLeaderForPartition) {
			return view // a follower or a candidate: not the leader, and no claim either way
		}
		view.Err = fmt.Errorf("%s: describe quorum: %w", n.Name, err)
		return view
	}
	view.Leader, view.Epoch, view.HW = int(p.LeaderID), int(p.LeaderEpoch), p.HighWatermark
	view.IsLeader = view.Leader == n.ID
	for _, r := range p.CurrentVoters {
		view.Voters = append(view.Voters, QuorumReplica{int(r.ReplicaID), r.LogEndOffset, r.LastFetchTimestamp, r.LastCaughtUpTimestamp})
	}
	for _, r := range p.Observers {
		view.Observers = append(view.Observers, QuorumReplica{int(r.ReplicaID), r.LogEndOffset, r.LastFetchTimestamp, r.LastCaughtUpTimestamp})
	}
	return view
}

// Controller is the leader named by the answer with the highest quorum epoch: a leader cut
// off from the other voters may still claim an older epoch.
func (m *KRaft) Controller(ctx context.Context) (int, error) {
	best := QuorumView{Leader: -1, Epoch: -1}
	var errs []error
	for _, v := range m.DescribeQuorum(ctx) {
		if v.Err != nil {
			errs = append(errs, v.Err)
			continue
		}
		if v.Leader >= 0 && v.Epoch > best.Epoch {
			best = v
		}
	}
	if best.Leader < 0 && len(errs) > 0 {
		return -1, errors.Join(errs...)
	}
	return best.Leader, nil
}

// BrokerView is one broker's metadata: the brokers it lists (KRaft lists only unfenced ones)
// and the partitions of a topic.
type BrokerView struct {
	Node       Endpoint
	Brokers    []int
	Partitions []PartitionState
	Err        error
}

// BrokerView asks broker b for its view: with no topic, the brokers it lists; with one, the
// topic's partitions, from DescribeTopicPartitions where b has it (3.8 on: one snapshot of
// leader, epoch, ISR and KIP-966's eligible leader replicas, so an ELR is never paired with a
// state it was not read with), else from Metadata. A failed read is an error, never a view
// with an empty ELR.
func (m *KRaft) BrokerView(ctx context.Context, b Endpoint, topic string) BrokerView {
	view := BrokerView{Node: b}
	if topic != "" {
		has, err := m.hasDTP(ctx, b)
		if err != nil {
			view.Err = err
			return view
		}
		if has {
			view.Partitions, view.Err = m.describeTopicPartitions(ctx, b, topic)
			return view
		}
	}
	req := kmsg.NewPtrMetadataRequest()
	if topic != "" {
		t := kmsg.NewMetadataRequestTopic()
		t.Topic = kmsg.StringPtr(topic)
		req.Topics = []kmsg.MetadataRequestTopic{t}
	} else {
		req.Topics = []kmsg.MetadataRequestTopic{}
	}
	raw, err := m.describe(ctx, b, req)
	if err != nil {
		view.Err = fmt.Errorf("metadata from %w", err)
		return view
	}
	resp := raw.(*kmsg.MetadataResponse)
	for _, br := range resp.Brokers {
		view.Brokers = append(view.Brokers, int(br.NodeID))
	}
	slices.Sort(view.Brokers)
	if topic == "" {
		return view
	}
	if len(resp.Topics) != 1 {
		view.Err = fmt.Errorf("metadata from %s: %d topics for %s", b.Name, len(resp.Topics), topic)
		return view
	}
	if err := kerr.ErrorForCode(resp.Topics[0].ErrorCode); err != nil {
		view.Err = fmt.Errorf("metadata from %s: %s: %w", b.Name, topic, err)
		return view
	}
	for _, p := range resp.Topics[0].Partitions {
		view.Partitions = append(view.Partitions, PartitionState{
			Topic: topic, Partition: int(p.Partition), Leader: int(p.Leader),
			LeaderEpoch: int(p.LeaderEpoch), ISR: ints(p.ISR),
		})
	}
	slices.SortFunc(view.Partitions, func(a, b PartitionState) int { return a.Partition - b.Partition })
	return view
}

// hasDTP says whether broker b serves DescribeTopicPartitions, from its ApiVersions, asked once.
func (m *KRaft) hasDTP(ctx context.Context, b Endpoint) (bool, error) {
	m.dtpMu.Lock()
	has, known := m.dtp[b.ID]
	m.dtpMu.Unlock()
	if known {
		return has, nil
	}
	keys, err := m.apiKeys(ctx, b)
	if err != nil {
		return false, err
	}
	has = keys[kmsg.DescribeTopicPartitions.Int16()]
	m.dtpMu.Lock()
	m.dtp[b.ID] = has
	m.dtpMu.Unlock()
	return has, nil
}

// describeTopicPartitions reads topic's partitions, with their ELR, from broker b.
func (m *KRaft) describeTopicPartitions(ctx context.Context, b Endpoint, topic string) ([]PartitionState, error) {
	req := kmsg.NewPtrDescribeTopicPartitionsRequest()
	t := kmsg.NewDescribeTopicPartitionsRequestTopic()
	t.Topic = topic
	req.Topics = []kmsg.DescribeTopicPartitionsRequestTopic{t}
	req.ResponsePartitionLimit = 2000
	raw, err := m.describe(ctx, b, req)
	if err != nil {
		return nil, fmt.Errorf("describe topic partitions from %w", err)
	}
	resp := raw.(*kmsg.DescribeTopicPartitionsResponse)
	if len(resp.Topics) != 1 {
		return nil, fmt.Errorf("describe topic partitions from %s: %d topics for %s", b.Name, len(resp.Topics), topic)
	}
	if err := kerr.ErrorForCode(resp.Topics[0].ErrorCode); err != nil {
		return nil, fmt.Errorf("describe topic partitions from %s: %s: %w", b.Name, topic, err)
	}
	var parts []PartitionState
	for _, p := range resp.Topics[0].Partitions {
		if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
			return nil, fmt.Errorf("describe topic partitions from %s: %s-%d: %w", b.Name, topic, p.Partition, err)
		}
		parts = append(parts, PartitionState{
			Topic: topic, Partition: int(p.Partition), Leader: int(p.LeaderID), LeaderEpoch: int(p.LeaderEpoch),
			ISR: ints(p.ISR), ELR: ints(p.EligibleLeaderReplicas), LastKnownELR: ints(p.LastKnownELR), HasELR: true,
		})
	}
	slices.SortFunc(parts, func(a, b PartitionState) int { return a.Partition - b.Partition })
	return parts, nil
}

func ints(v []int32) []int {
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	slices.Sort(out)
	return out
}

// brokerViews asks every broker at once.
func (m *KRaft) brokerViews(ctx context.Context, topic string) []BrokerView {
	views := make([]BrokerView, len(m.brokerEPs))
	var wg sync.WaitGroup
	for i, b := range m.brokerEPs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			views[i] = m.BrokerView(ctx, b, topic)
		}()
	}
	wg.Wait()
	return views
}

// Partitions merges the brokers' views: for each partition the state with the highest leader
// epoch, preferring the leader's own view at that epoch (it learns ISR changes first).
func (m *KRaft) Partitions(ctx context.Context, topic string) ([]PartitionState, error) {
	best := map[int]PartitionState{}
	fromLeader := map[int]bool{}
	var errs []error
	for _, v := range m.brokerViews(ctx, topic) {
		if v.Err != nil {
			errs = append(errs, v.Err)
			continue
		}
		for _, p := range v.Partitions {
			cur, seen := best[p.Partition]
			own := p.Leader == v.Node.ID
			if !seen || p.LeaderEpoch > cur.LeaderEpoch || (p.LeaderEpoch == cur.LeaderEpoch && own && !fromLeader[p.Partition]) {
				best[p.Partition], fromLeader[p.Partition] = p, own
			}
		}
	}
	if len(best) == 0 {
		return nil, fmt.Errorf("no broker answered for %s: %w", topic, errors.Join(errs...))
	}
	out := make([]PartitionState, 0, len(best))
	for _, p := range best {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b PartitionState) int { return a.Partition - b.Partition })
	return out, nil
}

// Brokers is the brokers every answering broker lists: a fenced broker drops out of the
// others' metadata, while its own (cut off from the quorum) may still list itself.
func (m *KRaft) Brokers(ctx context.Context) ([]int, error) {
	var out []int
	answered := 0
	var errs []error
	for _, v := range m.brokerViews(ctx, "") {
		if v.Err != nil {
			errs = append(errs, v.Err)
			continue
		}
		if answered == 0 {
			out = v.Brokers
		} else {
			out = slices.DeleteFunc(out, func(id int) bool { return !slices.Contains(v.Brokers, id) })
		}
		answered++
	}
	if answered == 0 {
		return nil, fmt.Errorf("no broker answered: %w", errors.Join(errs...))
	}
	return out, nil
}

// HighWatermarks asks broker b for the high watermark (ListOffsets latest, read_uncommitted) of
// partitions 0 to partitions-1 of topic; it answers only for those it leads, and the rest are
// left out. An error means b could not be asked at all.
func (m *KRaft) HighWatermarks(ctx context.Context, b Endpoint, topic string, partitions int) (map[int]int64, error) {
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID = -1
	t := kmsg.NewListOffsetsRequestTopic()
	t.Topic = topic
	for p := range partitions {
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition = int32(p)
		rp.Timestamp = -1 // latest: the high watermark
		t.Partitions = append(t.Partitions, rp)
	}
	req.Topics = []kmsg.ListOffsetsRequestTopic{t}
	raw, err := m.describe(ctx, b, req)
	if err != nil {
		return nil, fmt.Errorf("list offsets from %w", err)
	}
	out := map[int]int64{}
	for _, rt := range raw.(*kmsg.ListOffsetsResponse).Topics {
		for _, rp := range rt.Partitions {
			if kerr.ErrorForCode(rp.ErrorCode) == nil {
				out[int(rp.Partition)] = rp.Offset
			}
		}
	}
	return out, nil
}

// Features returns the cluster's finalized feature levels as broker b knows them (ApiVersions):
// metadata.version, kraft.version, eligible.leader.replicas.version, transaction.version, ...
func (m *KRaft) Features(ctx context.Context, b Endpoint) (map[string]int, error) {
	resp, err := m.apiVersions(ctx, b)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, f := range resp.FinalizedFeatures {
		out[f.Name] = int(f.MaxVersionLevel)
	}
	return out, nil
}

// apiKeys returns the request keys broker b serves.
func (m *KRaft) apiKeys(ctx context.Context, b Endpoint) (map[int16]bool, error) {
	resp, err := m.apiVersions(ctx, b)
	if err != nil {
		return nil, err
	}
	out := map[int16]bool{}
	for _, k := range resp.ApiKeys {
		out[k.ApiKey] = true
	}
	return out, nil
}

func (m *KRaft) apiVersions(ctx context.Context, b Endpoint) (*kmsg.ApiVersionsResponse, error) {
	req := kmsg.NewPtrApiVersionsRequest()
	req.ClientSoftwareName, req.ClientSoftwareVersion = "kafkaesque", "1"
	raw, err := m.describe(ctx, b, req)
	if err != nil {
		return nil, fmt.Errorf("api versions: %w", err)
	}
	resp := raw.(*kmsg.ApiVersionsResponse)
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return nil, fmt.Errorf("api versions from %s: %w", b.Name, err)
	}
	return resp, nil
}

// ConfigEntry is one config of a node as it reports it (DescribeConfigs).
type ConfigEntry struct {
	Value     string
	Sensitive bool
	// Known is false for a key the node echoes from its properties file without knowing it:
	// Kafka reports such keys with type UNKNOWN and no documentation.
	Known bool
}

// NodeConfig asks node n (a controller from Kafka 3.7, KIP-919, or a broker) for its own configs.
func (m *KRaft) NodeConfig(ctx context.Context, n Endpoint) (map[string]ConfigEntry, error) {
	req := kmsg.NewPtrDescribeConfigsRequest()
	r := kmsg.NewDescribeConfigsRequestResource()
	r.ResourceType = kmsg.ConfigResourceTypeBroker
	r.ResourceName = strconv.Itoa(n.ID)
	req.Resources = []kmsg.DescribeConfigsRequestResource{r}
	req.IncludeDocumentation = true
	raw, err := m.describe(ctx, n, req)
	if err != nil {
		return nil, fmt.Errorf("describe configs: %w", err)
	}
	resp := raw.(*kmsg.DescribeConfigsResponse)
	if len(resp.Resources) != 1 {
		return nil, fmt.Errorf("describe configs of %s: %d resources in the answer", n.Name, len(resp.Resources))
	}
	if err := kerr.ErrorForCode(resp.Resources[0].ErrorCode); err != nil {
		return nil, fmt.Errorf("describe configs of %s: %w", n.Name, err)
	}
	out := map[string]ConfigEntry{}
	for _, c := range resp.Resources[0].Configs {
		e := ConfigEntry{Sensitive: c.IsSensitive, Known: c.ConfigType != kmsg.ConfigTypeUnknown || (c.Documentation != nil && *c.Documentation != "")}
		if c.Value != nil {
			e.Value = *c.Value
		}
		out[c.Name] = e
	}
	return out, nil
}
