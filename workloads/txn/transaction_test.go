package txn

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kafkaesque/kafkaesque/history"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// sendPoll is a transaction of a send to partition 1 and a poll.
func sendPoll(abort bool) plan {
	return plan{mops: []history.Mop{history.Send("t-1", "v1"), history.Poll()}, partitions: []int{1, 0}, abort: abort}
}

// One transaction per case, through the fakes: the completion's type and error follow what the
// broker answered, the completion carries what was learned (the send's offset, the poll's
// reads), commit_at is there exactly when the client asked to commit, and the client is
// replaced under a new process after every info and every error.
func TestTransactionOutcomes(t *testing.T) {
	timeout := fmt.Errorf("read tcp: %w", context.DeadlineExceeded)
	cases := []struct {
		name          string
		abort         bool
		sendErr       error
		commit, abrt  error
		want          history.Type
		wantMsg       string
		commitAt      bool
		offset        bool
		replace       bool
		wantEnds      []kgo.TransactionEndTry
		wantOnPurpose bool
	}{
		{name: "committed", want: history.OK, commitAt: true, offset: true, wantEnds: []kgo.TransactionEndTry{kgo.TryCommit}},
		{name: "aborted on purpose", abort: true, want: history.Fail, wantMsg: "aborted on purpose", offset: true,
			wantEnds: []kgo.TransactionEndTry{kgo.TryAbort}, wantOnPurpose: true},
		{name: "fenced at commit", commit: kerr.ProducerFenced, want: history.Fail, wantMsg: "commit refused", commitAt: true, offset: true, replace: true,
			wantEnds: []kgo.TransactionEndTry{kgo.TryCommit}},
		{name: "epoch bumped by a timeout abort", commit: kerr.InvalidProducerEpoch, want: history.Fail, commitAt: true, offset: true, replace: true,
			wantEnds: []kgo.TransactionEndTry{kgo.TryCommit}},
		{name: "commit timed out", commit: timeout, want: history.Info, wantMsg: "commit outcome unknown", commitAt: true, offset: true, replace: true,
			wantEnds: []kgo.TransactionEndTry{kgo.TryCommit}},
		{name: "coordinator moved during the commit", commit: kerr.NotCoordinator, want: history.Info, commitAt: true, offset: true, replace: true,
			wantEnds: []kgo.TransactionEndTry{kgo.TryCommit}},
		{name: "commit in flight", commit: kerr.ConcurrentTransactions, want: history.Info, commitAt: true, offset: true, replace: true,
			wantEnds: []kgo.TransactionEndTry{kgo.TryCommit}},
		{name: "commit not attempted, then aborted", commit: kerr.OperationNotAttempted, want: history.Fail, wantMsg: "commit not attempted",
			commitAt: true, offset: true, replace: true, wantEnds: []kgo.TransactionEndTry{kgo.TryCommit, kgo.TryAbort}},
		{name: "commit not attempted, abort unconfirmed", commit: kerr.OperationNotAttempted, abrt: timeout, want: history.Info,
			commitAt: true, offset: true, replace: true, wantEnds: []kgo.TransactionEndTry{kgo.TryCommit, kgo.TryAbort}},
		{name: "send failed, aborted", sendErr: kerr.InvalidProducerEpoch, want: history.Fail, wantMsg: "aborted after an error: send v1",
			replace: true, wantEnds: []kgo.TransactionEndTry{kgo.TryAbort}},
		{name: "send failed, abort fenced", sendErr: kgo.ErrRecordTimeout, abrt: kerr.ProducerFenced, want: history.Fail, wantMsg: "fenced",
			replace: true, wantEnds: []kgo.TransactionEndTry{kgo.TryAbort}},
		{name: "planned abort unconfirmed", abort: true, abrt: kerr.CoordinatorNotAvailable, want: history.Info, wantMsg: "not confirmed",
			offset: true, replace: true, wantEnds: []kgo.TransactionEndTry{kgo.TryAbort}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k := newFakeKafka()
			k.next[1] = 41
			k.sendErr, k.commit, k.abort = tc.sendErr, tc.commit, tc.abrt
			k.records = [][]*kgo.Record{{{Topic: "t", Partition: 2, Offset: 7, Value: []byte("v0")}, {Topic: "t", Partition: 2, Offset: 9, Value: []byte("v5")}}}
			w, buf := fakeWorkload(t, testConfig(), k)
			c := openClient(t, w)
			res, err := c.transact(context.Background(), sendPoll(tc.abort))
			if err != nil {
				t.Fatal(err)
			}
			if res.replace != tc.replace {
				t.Errorf("replace %v, want %v", res.replace, tc.replace)
			}
			if got := k.ends[c.txnID]; fmt.Sprint(got) != fmt.Sprint(tc.wantEnds) {
				t.Errorf("EndTxn calls %v, want %v", got, tc.wantEnds)
			}
			ops := decode(t, buf.Bytes())
			if len(ops) != 2 {
				t.Fatalf("%d ops, want an invoke and a completion", len(ops))
			}
			inv, done := ops[0], ops[1]
			iv, err := inv.Txn()
			if err != nil {
				t.Fatal(err)
			}
			if iv.TxnID != "kafkaesque-txn-0" || iv.Abort != tc.abort || iv.CommitAt != nil || iv.Mops[0].Offset != nil || iv.Mops[1].Reads != nil {
				t.Errorf("invoke value %s", inv.Value)
			}
			if done.Type != tc.want || !strings.Contains(done.Error, tc.wantMsg) || (done.Type != history.OK) != (done.Error != "") {
				t.Errorf("completed %s %q, want %s containing %q", done.Type, done.Error, tc.want, tc.wantMsg)
			}
			v, err := done.Txn()
			if err != nil {
				t.Fatal(err)
			}
			if (v.CommitAt != nil) != tc.commitAt || (v.CommitAt != nil && (*v.CommitAt < inv.Time || *v.CommitAt > done.Time)) {
				t.Errorf("commit_at %v, want it %v and between %d and %d", v.CommitAt, tc.commitAt, inv.Time, done.Time)
			}
			send, poll := v.Mops[0], v.Mops[1]
			if gotOffset := send.Offset != nil; gotOffset != tc.offset || (gotOffset && *send.Offset != 41) {
				t.Errorf("send mop %+v, want offset 41: %v", send, tc.offset)
			}
			if tc.sendErr == nil && fmt.Sprint(poll.Reads) != "map[t-2:[{7 v0} {9 v5}]]" {
				t.Errorf("poll reads %v", poll.Reads)
			}
			if tc.sendErr != nil && poll.Reads != nil {
				t.Errorf("the poll after a failed send ran: %v", poll.Reads)
			}
			st := w.Stats().Txn
			if st.Invoked != 1 || st.Completed() != 1 || (st.AbortedOnPurpose == 1) != tc.wantOnPurpose {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// A crash inside a transaction closes the clients before EndTxn: the transaction is info, with
// no EndTxn asked for and no commit_at, and the next transaction runs under a new process with
// a new producer of the same transactional id.
func TestCrashMidTransaction(t *testing.T) {
	k := newFakeKafka()
	w, buf := fakeWorkload(t, testConfig(), k)
	c := openClient(t, w)
	first := c.proc
	c.crashInTxn = true
	res, err := c.transact(context.Background(), sendPoll(false))
	if err != nil {
		t.Fatal(err)
	}
	if res.typ != history.Info || !res.replace || !strings.HasPrefix(res.msg, "crash-client") {
		t.Fatalf("result %+v, want a replacing info by crash-client", res)
	}
	if n := k.endsOf(c.txnID); n != 0 {
		t.Errorf("%d EndTxn calls by a crashed client", n)
	}
	if err := c.replace(); err != nil {
		t.Fatal(err)
	}
	if c.proc == first || k.opened[c.txnID] != 2 {
		t.Errorf("after the crash: process %d (was %d), %d producers of %s", c.proc, first, k.opened[c.txnID], c.txnID)
	}
	if _, err := c.transact(context.Background(), sendPoll(false)); err != nil {
		t.Fatal(err)
	}
	ops := decode(t, buf.Bytes())
	checkProcesses(t, ops)
	if v, _ := ops[1].Txn(); v.CommitAt != nil || v.Mops[0].Offset == nil {
		t.Errorf("crashed transaction's completion %s: want the send's offset and no commit_at", ops[1].Value)
	}
	if w.Stats().Crashes != 1 {
		t.Errorf("crashes %d, want 1", w.Stats().Crashes)
	}
}

// A begin that fails (the producer cannot get an id) sends nothing: fail, and the client is replaced.
func TestBeginFails(t *testing.T) {
	k := newFakeKafka()
	k.begin = errors.New("producer ID has a fatal, unrecoverable error")
	w, buf := fakeWorkload(t, testConfig(), k)
	c := openClient(t, w)
	res, err := c.transact(context.Background(), sendPoll(false))
	if err != nil {
		t.Fatal(err)
	}
	if res.typ != history.Fail || !res.replace || k.produced != 0 || k.endsOf(c.txnID) != 0 {
		t.Errorf("result %+v after %d sends and %d ends", res, k.produced, k.endsOf(c.txnID))
	}
	decode(t, buf.Bytes())
}

// A client replaced after its last transaction runs its new producer's InitProducerID (a begin)
// when the run ends, fencing the transaction its predecessor left open; a client whose producer
// has already begun does not.
func TestFenceOnExit(t *testing.T) {
	k := newFakeKafka()
	w, _ := fakeWorkload(t, testConfig(), k)
	c := openClient(t, w)
	if _, err := c.transact(context.Background(), sendPoll(false)); err != nil {
		t.Fatal(err)
	}
	c.fenceOnExit(context.Background())
	if n := k.begins[c.txnID]; n != 1 {
		t.Fatalf("%d begins after one transaction and an exit, want 1", n)
	}
	c.crashInTxn = true
	if _, err := c.transact(context.Background(), sendPoll(false)); err != nil {
		t.Fatal(err)
	}
	if err := c.replace(); err != nil {
		t.Fatal(err)
	}
	c.fenceOnExit(context.Background())
	if n := k.begins[c.txnID]; n != 3 {
		t.Errorf("%d begins, want 3: the replacement's at exit", n)
	}
}
