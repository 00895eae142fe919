package txn

import (
	"context"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/cluster"
	"github.com/kafkaesque/kafkaesque/history"
)

// pauseTopic is the second topic of the test cluster, so the pause test's drain reads its own log.
const pauseTopic = "kafkaesque-pause"

// The txn workload against a 3-broker ZooKeeper cluster: three transactional clients, a fifth of
// their transactions aborted on purpose, clients crashing every 5 s on average (each replaced by
// a producer of the same transactional id, which fences the old), the leader of a partition
// killed midway; then a client
// held mid-transaction past its transaction timeout and let go. The coordinator's timeout abort
// is checked every 500 ms instead of 10 s, so that the held transaction is aborted behind the
// client's back within the hold.
func TestTxnWorkload(t *testing.T) {
	c := cluster.StartTestCluster(t, cluster.Config{
		Topics: []cluster.TopicSpec{{Name: cluster.DefaultTopic, Partitions: 3, ReplicationFactor: 3},
			{Name: pauseTopic, Partitions: 3, ReplicationFactor: 3}},
		BrokerConfig: map[string]string{"transaction.abort.timed.out.transaction.cleanup.interval.ms": "500"},
	})
	t.Run("LeaderKilled", func(t *testing.T) { leaderKilled(t, c) })
	t.Run("PauseResume", func(t *testing.T) { pauseResume(t, c) })
}

func startWorkload(t *testing.T, cfg Config, seed int64) (*Workload, *lockedBuffer) {
	t.Helper()
	buf := new(lockedBuffer)
	rec := history.NewRecorder(history.NewWriter(buf), time.Now())
	w, err := New(cfg, rec, rand.New(rand.NewSource(seed)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w, buf
}

// leaderKilled: committed and aborted transactions both happen, every committed send is in the
// read-committed final log at its offset, no aborted value is, and the checker finds it valid.
func leaderKilled(t *testing.T, c *cluster.Cluster) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cfg := Config{Bootstrap: c.BootstrapServers(), Topic: cluster.DefaultTopic, Partitions: 3, Clients: 3,
		AbortRate: 0.2, OpTimeout: 3 * time.Second, Rate: 20, CrashInterval: 5 * time.Second}
	w, buf := startWorkload(t, cfg, 17)

	runEnd := time.Now().Add(15 * time.Second)
	runCtx, stopRun := context.WithDeadline(ctx, runEnd)
	defer stopRun()
	runDone := make(chan error, 1)
	go func() { runDone <- w.Run(runCtx) }()
	time.Sleep(5 * time.Second)
	parts, err := c.Metadata(ctx, c.Brokers[0], cluster.DefaultTopic)
	if err != nil {
		t.Fatal(err)
	}
	leader := c.Broker(parts[0].Leader.ID)
	if leader == nil {
		t.Fatalf("partition 0 has no leader: %+v", parts[0])
	}
	before := w.Stats().Txn
	if err := c.KillNode(ctx, leader); err != nil {
		t.Fatal(err)
	}
	t.Logf("killed %s, leader of %s-0, after %d committed transactions", leader.Name, cluster.DefaultTopic, before.Committed)
	time.Sleep(5 * time.Second)
	if err := c.StartNode(ctx, leader); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-runDone:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(time.Until(runEnd) + 4*cfg.OpTimeout):
		t.Fatal("run did not return: a client hangs")
	}
	st := w.Stats().Txn
	t.Logf("transactions %+v, crashes %d", st, w.Stats().Crashes)
	if st.Committed <= before.Committed {
		t.Error("no transaction committed after the kill")
	}
	if w.Stats().Crashes == 0 {
		t.Error("no client crashed on purpose")
	}
	if err := c.WaitRecovered(ctx, cluster.DefaultTopic, 3); err != nil {
		t.Fatalf("recovery: %v", err)
	}
	res, err := w.Drain(ctx, 60*time.Second)
	if err != nil {
		t.Fatalf("drain: %v (%+v)", err, res)
	}
	h := decodeTxnHistory(t, buf.Bytes())
	logErrors(t, h)
	if h.completed[history.OK] == 0 || h.completed[history.Fail] == 0 {
		t.Errorf("transactions by outcome %v: want committed and aborted ones", h.completed)
	}
	if int64(h.completed[history.OK]) != st.Committed || len(h.committed) == 0 {
		t.Errorf("%d committed in the history, %d in the stats, %d committed sends", h.completed[history.OK], st.Committed, len(h.committed))
	}
	h.checkFinalLog(t)
	coordinators := 0
	for _, op := range h.ops {
		if op.F == history.FCoordinator && op.Type == history.OK && strings.Contains(string(op.Value), `"txn_id":"kafkaesque-txn-`) {
			coordinators++
		}
	}
	if coordinators == 0 {
		t.Error("no transaction coordinator look-up succeeded")
	}
	checkValid(t, ctx, buf.Bytes())
	t.Logf("%v transactions, %d committed sends in the final log, %d coordinator look-ups", h.completed, len(h.committed), coordinators)
}

// pauseResume: Pause returns a client held mid-transaction (its transaction open in the history
// and making no progress), the coordinator aborts that transaction at its timeout, and after
// Resume the client learns so (the transaction fails), goes on, and the history is well-formed.
func pauseResume(t *testing.T, c *cluster.Cluster) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cfg := Config{Bootstrap: c.BootstrapServers(), Topic: pauseTopic, Partitions: 3, Clients: 2,
		AbortRate: 0.1, OpTimeout: 3 * time.Second, Rate: 10, TxnDelay: 100 * time.Millisecond, TxnTimeout: 2 * time.Second}
	w, buf := startWorkload(t, cfg, 23)
	runCtx, stopRun := context.WithTimeout(ctx, 20*time.Second)
	defer stopRun()
	runDone := make(chan error, 1)
	go func() { runDone <- w.Run(runCtx) }()
	time.Sleep(3 * time.Second)

	pauseCtx, stopPause := context.WithTimeout(ctx, 10*time.Second)
	defer stopPause()
	id, proc, err := w.Pause(pauseCtx)
	if err != nil {
		t.Fatal(err)
	}
	held := openTxnOf(t, buf.Bytes(), proc)
	time.Sleep(5 * time.Second) // past TxnTimeout and a cleanup interval: the coordinator aborts it
	if again := openTxnOf(t, buf.Bytes(), proc); again != held {
		t.Fatalf("process %d moved on while held: open txn %d, then %d", proc, held, again)
	}
	if err := w.Resume(ctx, id); err != nil {
		t.Fatal(err)
	}
	t.Logf("held %s (process %d, op %d) for 5s", id, proc, held)
	if err := <-runDone; err != nil {
		t.Fatalf("run: %v", err)
	}
	if err := c.WaitRecovered(ctx, pauseTopic, 3); err != nil {
		t.Fatalf("recovery: %v", err)
	}
	if res, err := w.Drain(ctx, 60*time.Second); err != nil {
		t.Fatalf("drain: %v (%+v)", err, res)
	}
	h := decodeTxnHistory(t, buf.Bytes())
	logErrors(t, h)
	var done *history.Op
	for i, op := range h.ops {
		if op.Process == proc && op.F == history.FTxn && op.Type != history.Invoke && op.Index > held {
			done = &h.ops[i]
			break
		}
	}
	switch {
	case done == nil:
		t.Fatalf("the held transaction (op %d) never completed", held)
	case done.Type == history.OK:
		t.Errorf("the held transaction committed after its coordinator's timeout should have aborted it: %s", done.Value)
	default:
		t.Logf("the held transaction ended %s: %s", done.Type, done.Error)
	}
	if h.completed[history.OK] == 0 {
		t.Error("nothing committed")
	}
	h.checkFinalLog(t)
	checkValid(t, ctx, buf.Bytes())
}

// openTxnOf is the index of proc's outstanding txn invoke in a history being written; it fails
// the test when there is none.
func openTxnOf(t *testing.T, data []byte, proc int) int64 {
	t.Helper()
	open := openTxn(t, decode0(t, data), proc)
	if open < 0 {
		t.Fatalf("process %d has no open transaction", proc)
	}
	return open
}

func logErrors(t *testing.T, h txnHistory) {
	t.Helper()
	errs := map[string]int{}
	for _, op := range h.ops {
		if op.Error != "" {
			errs[op.F+" "+string(op.Type)+": "+op.Error]++
		}
	}
	for e, n := range errs {
		t.Logf("%5d × %s", n, e)
	}
}
