package txn

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/history"
	"github.com/kafkaesque/kafkaesque/workloads"
)

// Clients crashing at random, between transactions (crash ops) and inside them (info
// transactions by crash-client), each time going on under a new process with a new producer:
// no process invokes after an info, and every crash is counted.
func TestRunCrashesClients(t *testing.T) {
	k := newFakeKafka()
	cfg := testConfig()
	cfg.Clients, cfg.Rate, cfg.CrashInterval, cfg.AbortRate = 2, 500, 20*time.Millisecond, 0.1
	w, buf := fakeWorkload(t, cfg, k)
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	if err := w.Run(ctx); err != nil {
		t.Fatal(err)
	}
	ops := decode(t, buf.Bytes())
	checkProcesses(t, ops)
	crashOps, crashTxns := 0, 0
	for _, op := range ops {
		switch {
		case op.F == history.FCrash && op.Type == history.Info:
			crashOps++
		case op.F == history.FTxn && op.Type == history.Info && strings.HasPrefix(op.Error, workloads.CrashReason):
			crashTxns++
		}
	}
	st := w.Stats()
	if crashOps == 0 || crashTxns == 0 || int64(crashOps+crashTxns) != st.Crashes {
		t.Errorf("%d crash ops and %d crashed transactions, stats say %d crashes", crashOps, crashTxns, st.Crashes)
	}
	if st.Txn.Committed == 0 || st.Txn.AbortedOnPurpose == 0 || st.Txn.Invoked != st.Txn.Completed() {
		t.Errorf("stats %+v", st.Txn)
	}
	opened := k.opened["kafkaesque-txn-0"] + k.opened["kafkaesque-txn-1"]
	if int64(opened) != st.Crashes+2 {
		t.Errorf("%d producers built for %d crashes of 2 clients", opened, st.Crashes)
	}
}

// A transaction under way when the run ends sends nothing more and is aborted: Run returns
// long before its remaining mops' delays would have passed.
func TestRunEndAbortsTransactionUnderWay(t *testing.T) {
	k := newFakeKafka()
	cfg := testConfig()
	cfg.TxnDelay, cfg.MaxMops = 10*time.Second, 1
	w, buf := fakeWorkload(t, cfg, k)
	c := openClient(t, w)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	p := sendPoll(false)
	res, err := c.transact(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the transaction took %s after the run ended", took)
	}
	if res.typ != history.Fail || !strings.Contains(res.msg, errRunEnded.Error()) {
		t.Errorf("result %+v, want fail: %v", res, errRunEnded)
	}
	decode(t, buf.Bytes())
}
