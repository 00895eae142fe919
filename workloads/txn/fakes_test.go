package txn

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand"
	"sync"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/history"
	"github.com/twmb/franz-go/pkg/kgo"
)

// fakeKafka is an in-memory stand-in for the brokers as the clients see them: every send is
// acknowledged at the next offset of its partition unless a test says otherwise, and the
// outcome of each EndTxn is the test's.
type fakeKafka struct {
	mu       sync.Mutex
	next     map[int32]int64
	sendErr  error // every send fails with it
	commit   error // EndTxn(commit)'s answer
	abort    error // EndTxn(abort)'s answer
	begin    error
	begins   map[string]int                     // BeginTransaction calls, by transactional id
	ends     map[string][]kgo.TransactionEndTry // by transactional id
	produced int
	opened   map[string]int // producers built, by transactional id
	// records are what each poll returns, in turn (then nothing).
	records [][]*kgo.Record
}

func newFakeKafka() *fakeKafka {
	return &fakeKafka{next: map[int32]int64{}, ends: map[string][]kgo.TransactionEndTry{}, opened: map[string]int{}, begins: map[string]int{}}
}

func (k *fakeKafka) producer(txnID string) (producer, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.opened[txnID]++
	return &fakeProducer{k: k, txnID: txnID}, nil
}

func (k *fakeKafka) consumer(string, []int64) (consumer, error) { return &fakeConsumer{k: k}, nil }

func (k *fakeKafka) endsOf(txnID string) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.ends[txnID])
}

type fakeProducer struct {
	k     *fakeKafka
	txnID string
}

func (p *fakeProducer) BeginTransaction() error {
	p.k.mu.Lock()
	defer p.k.mu.Unlock()
	p.k.begins[p.txnID]++
	return p.k.begin
}

func (p *fakeProducer) Produce(_ context.Context, r *kgo.Record, promise func(*kgo.Record, error)) {
	p.k.mu.Lock()
	err := p.k.sendErr
	if err == nil {
		r.Offset = p.k.next[r.Partition]
		p.k.next[r.Partition]++
		p.k.produced++
	}
	p.k.mu.Unlock()
	promise(r, err)
}

func (p *fakeProducer) Flush(context.Context) error                { return nil }
func (p *fakeProducer) AbortBufferedRecords(context.Context) error { return nil }

func (p *fakeProducer) EndTransaction(_ context.Context, commit kgo.TransactionEndTry) error {
	p.k.mu.Lock()
	defer p.k.mu.Unlock()
	p.k.ends[p.txnID] = append(p.k.ends[p.txnID], commit)
	if commit {
		return p.k.commit
	}
	return p.k.abort
}

func (p *fakeProducer) Close() {}

type fakeConsumer struct{ k *fakeKafka }

func (c *fakeConsumer) PollFetches(context.Context) kgo.Fetches {
	c.k.mu.Lock()
	defer c.k.mu.Unlock()
	if len(c.k.records) == 0 {
		return nil
	}
	recs := c.k.records[0]
	c.k.records = c.k.records[1:]
	byPart := map[int32][]*kgo.Record{}
	var parts []int32
	for _, r := range recs {
		if byPart[r.Partition] == nil {
			parts = append(parts, r.Partition)
		}
		byPart[r.Partition] = append(byPart[r.Partition], r)
	}
	ft := kgo.FetchTopic{Topic: recs[0].Topic}
	for _, p := range parts {
		ft.Partitions = append(ft.Partitions, kgo.FetchPartition{Partition: p, Records: byPart[p]})
	}
	return kgo.Fetches{{Topics: []kgo.FetchTopic{ft}}}
}

func (c *fakeConsumer) Close() {}

// lockedBuffer lets a test read a history while its writer may still run.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

func testConfig() Config {
	return Config{Bootstrap: []string{"fake:9092"}, Topic: "t", Partitions: 3, Clients: 1, AbortRate: 0, OpTimeout: time.Second}
}

// fakeWorkload is a workload whose clients talk to k; no admin client, so no coordinator watch.
func fakeWorkload(t *testing.T, cfg Config, k *fakeKafka) (*Workload, *lockedBuffer) {
	t.Helper()
	cfg, err := cfg.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	buf := new(lockedBuffer)
	rec := history.NewRecorder(history.NewWriter(buf), time.Now())
	return newWorkload(cfg, rec, rand.New(rand.NewSource(1)), nil, k), buf
}

// openClient readies client 0 of w as Run would, for tests that drive transactions one by one.
func openClient(t *testing.T, w *Workload) *client {
	t.Helper()
	c := w.clients[0]
	c.positions = []int64{-1, -1, -1}
	if err := c.open(); err != nil {
		t.Fatal(err)
	}
	return c
}

// decode reads a history with history.Decoder, failing on any error or warning.
func decode(t *testing.T, data []byte) []history.Op {
	t.Helper()
	d := history.NewDecoder(bytes.NewReader(data))
	var ops []history.Op
	for {
		op, err := d.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("history does not decode: %v", err)
		}
		ops = append(ops, op)
	}
	if w := d.Warnings(); len(w) > 0 {
		t.Errorf("decoder warnings: %v", w)
	}
	if n := d.Outstanding(); n != 0 {
		t.Errorf("%d ops never completed", n)
	}
	return ops
}

// checkProcesses fails when a process invokes after one of its ops ended info.
func checkProcesses(t *testing.T, ops []history.Op) {
	t.Helper()
	over := map[int]int64{}
	for _, op := range ops {
		if idx, ok := over[op.Process]; ok && op.Type == history.Invoke {
			t.Errorf("process %d invoked op %d after its op %d ended info", op.Process, op.Index, idx)
		}
		if op.Type == history.Info {
			over[op.Process] = op.Index
		}
	}
}
