package nemesis

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand"
	"slices"
	"strings"
	"testing"
)

// fakeTxnClients is the txn workload's clients: Pause holds the client pauseID (as process
// pauseProcess), Resume lets it go.
type fakeTxnClients struct {
	ids          []string
	pauseID      string
	pauseProcess int
	pauseErr     error // Pause fails; with pauseID set, after holding that client
	resumeErr    error
	held         string
	resumed      []string
	// HoldRequests holds holdID's request to broker holdBroker as process pauseProcess.
	holdID     string
	holdBroker int
	holdErr    error
	holdAsked  []string // the requests HoldRequests was asked for
	released   []string
}

func (f *fakeTxnClients) HoldRequests(_ context.Context, request string) (string, int, int, error) {
	f.holdAsked = append(f.holdAsked, request)
	return f.holdID, f.holdBroker, f.pauseProcess, f.holdErr
}

func (f *fakeTxnClients) ReleaseRequests(_ context.Context, txnID string) error {
	f.released = append(f.released, txnID)
	if txnID != f.holdID {
		return errors.New("no such held request")
	}
	return nil
}

func (f *fakeTxnClients) TransactionalIDs() []string { return slices.Clone(f.ids) }

func (f *fakeTxnClients) Pause(context.Context) (string, int, error) {
	f.held = f.pauseID
	return f.pauseID, f.pauseProcess, f.pauseErr
}

func (f *fakeTxnClients) Resume(_ context.Context, txnID string) error {
	f.resumed = append(f.resumed, txnID)
	if f.resumeErr != nil {
		return f.resumeErr
	}
	if txnID != f.held {
		return errors.New("no such held client")
	}
	f.held = ""
	return nil
}

// txnCluster is a 3-broker cluster whose transactional ids t-0, t-1, t-2 are coordinated by
// kafka1, kafka2, kafka3.
func txnCluster() *fakeCluster {
	c := newFakeCluster(3, 1)
	c.coordinators = map[string]string{"txn:t-0": "kafka1", "txn:t-1": "kafka2", "txn:t-2": "kafka3"}
	return c
}

func txnConfig(clients TxnClients) Config {
	cfg := testConfig
	cfg.Txn = clients
	return cfg
}

func TestTxnFaultsListedApart(t *testing.T) {
	want := []string{"delay-client-end-txn", "delay-client-request", "isolate-txn-coordinator", "kill-txn-coordinator", "pause-client", "pause-txn-coordinator"}
	if got := Names(TxnFaults()); !slices.Equal(got, want) {
		t.Errorf("TxnFaults() = %v, want %v", got, want)
	}
	found, err := Lookup(want)
	if err != nil {
		t.Fatalf("a schedule cannot name the transaction faults: %v", err)
	}
	for _, f := range found {
		if slices.Contains(Names(All()), f.Name()) || slices.Contains(Names(GroupFaults()), f.Name()) {
			t.Errorf("%s is listed with the other faults", f.Name())
		}
		if f.Describe() == "" {
			t.Errorf("%s has no description", f.Name())
		}
	}
	if d := groupFault(t, Config{}, "pause-client").Describe(); !strings.Contains(d, "transaction timeout") || !strings.Contains(d, "KAFKA-17754") {
		t.Errorf("pause-client's description %q does not warn about the transaction timeout", d)
	}
	// Checked after start, like the group faults: the shape cannot know the txn workload.
	if err := CheckTopology(context.Background(), TxnFaults(), Topology{Brokers: 3, ZooKeepers: 1}); err != nil {
		t.Errorf("CheckTopology refused the transaction faults: %v", err)
	}
}

func TestTxnFaultsNeedTheTxnWorkload(t *testing.T) {
	ctx := context.Background()
	c := txnCluster()
	for _, f := range TxnFaults() {
		if err := f.Available(ctx, c); err == nil || !strings.Contains(err.Error(), "needs the txn workload") {
			t.Errorf("%s without the txn workload: %v, want it unavailable", f.Name(), err)
		}
	}
	for _, f := range txnConfig(&fakeTxnClients{ids: []string{"t-0"}}).TxnFaults() {
		if err := f.Available(ctx, c); err != nil {
			t.Errorf("%s with the txn workload: %v", f.Name(), err)
		}
	}
}

// Each coordinator fault aims at the coordinator of the transactional id its rng picks, and
// at that node only.
func TestTxnCoordinatorFaults(t *testing.T) {
	ctx := context.Background()
	clients := &fakeTxnClients{ids: []string{"t-2", "t-0", "t-1"}} // the faults pick in sorted order
	coordinatorOf := map[string]string{"t-0": "kafka1", "t-1": "kafka2", "t-2": "kafka3"}
	for _, name := range []string{"kill-txn-coordinator", "pause-txn-coordinator", "isolate-txn-coordinator"} {
		picked := map[string]bool{}
		for seed := int64(1); seed <= 8; seed++ {
			c := txnCluster()
			f := groupFault(t, txnConfig(clients), name)
			inj, err := f.Inject(ctx, c, rand.New(rand.NewSource(seed)))
			if err != nil {
				t.Fatalf("%s seed %d: %v", name, seed, err)
			}
			id := []string{"t-0", "t-1", "t-2"}[rand.New(rand.NewSource(seed)).Intn(3)]
			node := coordinatorOf[id]
			picked[id] = true
			if inj.TxnID != id || !slices.Equal(inj.Nodes, []string{node}) || !inj.Recoverable() {
				t.Fatalf("%s seed %d: injection %+v, want txn id %s, node %s, recoverable", name, seed, inj, id, node)
			}
			want := map[string]string{
				"kill-txn-coordinator":    "kill " + node,
				"pause-txn-coordinator":   "pause " + node,
				"isolate-txn-coordinator": "cut " + node + " | " + strings.Join(without([]string{"kafka1", "kafka2", "kafka3", "zk1"}, node), ","),
			}[name]
			wantCalls(t, c.Calls(), want)
			if err := inj.Recover(ctx); err != nil {
				t.Fatal(err)
			}
			if err := c.Healthy(); err != nil {
				t.Errorf("%s: after recovery: %v", name, err)
			}
			if !strings.Contains(inj.String(), "txn "+id) {
				t.Errorf("String() = %q, want the transactional id named", inj.String())
			}
			if b, _ := json.Marshal(inj); !strings.Contains(string(b), `"txn_id":"`+id+`"`) {
				t.Errorf("the recorded injection %s lacks txn_id", b)
			}
		}
		if len(picked) < 2 {
			t.Errorf("%s picked only %v over 8 seeds", name, picked)
		}
	}
}

func TestTxnCoordinatorFaultFailures(t *testing.T) {
	ctx := context.Background()
	c := newFakeCluster(3, 1) // no coordinator known
	cfg := txnConfig(&fakeTxnClients{ids: []string{"t-0"}})
	inj, err := groupFault(t, cfg, "kill-txn-coordinator").Inject(ctx, c, rand.New(rand.NewSource(1)))
	if err == nil || !strings.Contains(err.Error(), "transactional id t-0") || inj.Recoverable() || inj.TxnID != "t-0" || len(c.Calls()) != 0 {
		t.Errorf("inject with no coordinator: %+v, %v, calls %v; want an error naming t-0 and nothing done", inj, err, c.Calls())
	}
	cfg = txnConfig(&fakeTxnClients{})
	inj, err = groupFault(t, cfg, "pause-txn-coordinator").Inject(ctx, txnCluster(), rand.New(rand.NewSource(1)))
	if err == nil || inj.Recoverable() {
		t.Errorf("inject with no transactional ids: %+v, %v; want an error", inj, err)
	}
}

func TestPauseClient(t *testing.T) {
	ctx := context.Background()
	clients := &fakeTxnClients{ids: []string{"t-0", "t-1"}, pauseID: "t-1", pauseProcess: 4}
	f := groupFault(t, txnConfig(clients), "pause-client")
	c := txnCluster()
	inj, err := f.Inject(ctx, c, rand.New(rand.NewSource(1)))
	if err != nil {
		t.Fatal(err)
	}
	if inj.TxnID != "t-1" || inj.Process == nil || *inj.Process != 4 || !inj.Recoverable() || clients.held != "t-1" {
		t.Fatalf("injection %+v (held %q): want txn id t-1, process 4, recoverable", inj, clients.held)
	}
	if len(c.Calls()) != 0 {
		t.Errorf("the cluster was touched: %v", c.Calls())
	}
	if err := inj.Recover(ctx); err != nil || clients.held != "" || !slices.Equal(clients.resumed, []string{"t-1"}) {
		t.Fatalf("recover: %v, held %q, resumed %v; want t-1 resumed", err, clients.held, clients.resumed)
	}

	clients.held, clients.resumeErr = "t-1", errors.New("client gone")
	if err := inj.Recover(ctx); err == nil {
		t.Error("a failed Resume recovered")
	}
}

func TestPauseClientFailures(t *testing.T) {
	ctx := context.Background()
	// Pause holds nothing: the injection fails with nothing to undo.
	clients := &fakeTxnClients{ids: []string{"t-0"}, pauseErr: errors.New("no client reached a send")}
	inj, err := groupFault(t, txnConfig(clients), "pause-client").Inject(ctx, txnCluster(), rand.New(rand.NewSource(1)))
	if err == nil || !strings.Contains(err.Error(), "no client reached a send") || inj.Recoverable() {
		t.Errorf("Pause failed: %+v, %v; want the error and nothing to recover", inj, err)
	}
	// Pause fails after holding a client: the injection fails, and its recovery resumes it.
	clients = &fakeTxnClients{ids: []string{"t-0"}, pauseID: "t-0", pauseErr: errors.New("held too late")}
	inj, err = groupFault(t, txnConfig(clients), "pause-client").Inject(ctx, txnCluster(), rand.New(rand.NewSource(1)))
	if err == nil || !inj.Recoverable() || inj.TxnID != "t-0" {
		t.Fatalf("Pause failed holding t-0: %+v, %v; want an error and t-0 to resume", inj, err)
	}
	if err := inj.Recover(ctx); err != nil || clients.held != "" {
		t.Errorf("recover: %v, held %q", err, clients.held)
	}
	// Pause names no client: not a held client, so not a proof.
	clients = &fakeTxnClients{ids: []string{"t-0"}}
	if inj, err := groupFault(t, txnConfig(clients), "pause-client").Inject(ctx, txnCluster(), rand.New(rand.NewSource(1))); err == nil || inj.Recoverable() {
		t.Errorf("Pause named no client: %+v, %v; want an error", inj, err)
	}
}
