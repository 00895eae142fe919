package nemesis

import (
	"context"
	"errors"
	"math/rand"
	"slices"
	"strings"
	"testing"
)

func TestDelayClientRequestHoldsAndReleases(t *testing.T) {
	ctx := context.Background()
	clients := &fakeTxnClients{ids: []string{"t-0", "t-1"}, holdID: "t-1", holdBroker: 3, pauseProcess: 9}
	f := groupFault(t, txnConfig(clients), "delay-client-request")
	c := txnCluster()
	inj, err := f.Inject(ctx, c, rand.New(rand.NewSource(1)))
	if err != nil {
		t.Fatal(err)
	}
	if inj.TxnID != "t-1" || inj.Process == nil || *inj.Process != 9 || !slices.Equal(inj.Nodes, []string{"kafka3"}) || !inj.Recoverable() {
		t.Fatalf("injection %+v; want t-1, process 9, kafka3, recoverable", inj)
	}
	if len(clients.released) != 0 || len(c.Calls()) != 0 {
		t.Fatalf("released %v, cluster calls %v before the recovery; want none", clients.released, c.Calls())
	}
	if err := inj.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(clients.released, []string{"t-1"}) || !slices.Equal(clients.holdAsked, []string{RequestProduce}) {
		t.Errorf("asked to hold %v, released %v; want [Produce], [t-1]", clients.holdAsked, clients.released)
	}
	// delay-client-end-txn asks for EndTxn requests.
	clients = &fakeTxnClients{ids: []string{"t-0"}, holdID: "t-0", holdBroker: 1}
	if _, err := groupFault(t, txnConfig(clients), "delay-client-end-txn").Inject(ctx, c, rand.New(rand.NewSource(1))); err != nil || !slices.Equal(clients.holdAsked, []string{RequestEndTxn}) {
		t.Errorf("delay-client-end-txn: %v, asked to hold %v; want [EndTxn]", err, clients.holdAsked)
	}
}

func TestDelayClientRequestFailures(t *testing.T) {
	ctx := context.Background()
	clients := &fakeTxnClients{ids: []string{"t-0"}, holdErr: errors.New("no producer wrote a Produce request")}
	inj, err := groupFault(t, txnConfig(clients), "delay-client-request").Inject(ctx, txnCluster(), rand.New(rand.NewSource(1)))
	if err == nil || !strings.Contains(err.Error(), "no producer wrote") || inj.Recoverable() {
		t.Errorf("nothing held: %+v, %v; want the error and nothing to recover", inj, err)
	}
	// Held, but the broker look-up failed: the bytes must still be released.
	clients = &fakeTxnClients{ids: []string{"t-0"}, holdID: "t-0", holdBroker: -1, holdErr: errors.New("no broker at 1.2.3.4:9092")}
	inj, err = groupFault(t, txnConfig(clients), "delay-client-request").Inject(ctx, txnCluster(), rand.New(rand.NewSource(1)))
	if err == nil || !inj.Recoverable() || len(inj.Nodes) != 0 {
		t.Fatalf("held with no broker: %+v, %v; want an error, no node, and a recovery", inj, err)
	}
	if err := inj.Recover(ctx); err != nil || !slices.Equal(clients.released, []string{"t-0"}) {
		t.Errorf("recover: %v, released %v; want t-0 released", err, clients.released)
	}
	if err := (delayRequestFault{"delay-client-request", RequestProduce, Config{}}).Available(ctx, txnCluster()); !errors.Is(err, errTxnWorkload) {
		t.Errorf("without the txn workload: %v; want %v", err, errTxnWorkload)
	}
}
