package nemesis

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"slices"
	"strings"
)

// TxnClients is the txn workload's transactional clients as the nemesis sees them. They live in
// the test process, so the harness hands this handle to the faults through Config.Txn.
type TxnClients interface {
	TransactionalIDs() []string
	// Pause holds one client mid-transaction (after a send, before EndTxn); it returns once a client is held.
	Pause(ctx context.Context) (txnID string, process int, err error)
	// Resume lets the held client go on.
	Resume(ctx context.Context, txnID string) error
	// HoldRequests holds the next request named request (RequestProduce, RequestEndTxn) a client
	// writes, with what follows it on that connection, while the client goes on; it returns once
	// bytes are held, naming the client, the broker (node id) the request is for, and the
	// client's process.
	HoldRequests(ctx context.Context, request string) (txnID string, broker int, process int, err error)
	// ReleaseRequests delivers the held requests, in order: they arrive late.
	ReleaseRequests(ctx context.Context, txnID string) error
}

// errTxnWorkload is every transaction fault's answer to a run without the txn workload.
var errTxnWorkload = errors.New("needs the txn workload")

// TxnFaults returns the transaction faults for cfg, sorted by name. They need the txn workload:
// Available says so when cfg has no Txn.
func (cfg Config) TxnFaults() []Fault {
	cfg = cfg.withDefaults()
	faults := []Fault{
		coordinatorFault{"isolate-txn-coordinator", "cut the coordinator of a random transactional id off from the other brokers and the metadata quorum; the client still reaches it", "cut", keyTxn, cfg},
		coordinatorFault{"kill-txn-coordinator", "SIGKILL the coordinator of a random transactional id (FindCoordinator: the leader of its __transaction_state partition); restart it once its session has expired", string(actionKill), keyTxn, cfg},
		coordinatorFault{"pause-txn-coordinator", "SIGSTOP the coordinator of a random transactional id; SIGCONT it after the hold", string(actionPause), keyTxn, cfg},
		pauseClientFault{cfg},
		delayRequestFault{"delay-client-request", RequestProduce, cfg},
		delayRequestFault{"delay-client-end-txn", RequestEndTxn, cfg},
	}
	slices.SortFunc(faults, func(a, b Fault) int { return strings.Compare(a.Name(), b.Name()) })
	return faults
}

// TxnFaults returns the transaction faults for the default Config.
func TxnFaults() []Fault { return Config{}.TxnFaults() }

// pauseClientFault holds one transactional client between a send and its EndTxn while the
// cluster moves on, then lets it go on: the shape that exposed KAFKA-17754.
type pauseClientFault struct{ cfg Config }

func (pauseClientFault) Name() string { return "pause-client" }
func (pauseClientFault) Describe() string {
	return "hold a transactional client mid-transaction (after a send, before EndTxn) for the hold, then let it go on; a hold longer than the producer's transaction timeout makes the coordinator abort the transaction behind the client's back (KAFKA-17754's shape)"
}

func (f pauseClientFault) Available(context.Context, Cluster) error {
	if f.cfg.Txn == nil {
		return errTxnWorkload
	}
	return nil
}

// Inject's proof is Pause returning a held client; its recovery's, Resume returning.
func (f pauseClientFault) Inject(ctx context.Context, _ Cluster, _ *rand.Rand) (Injection, error) {
	inj := Injection{Fault: f.Name(), Action: "pause-client"}
	id, process, err := f.cfg.Txn.Pause(ctx)
	if id != "" {
		inj.TxnID, inj.Process = id, &process
		// Set even on error: a Pause that failed late may still hold its client.
		inj.recover = func(ctx context.Context) error { return f.cfg.Txn.Resume(ctx, id) }
	}
	if err != nil {
		return inj, fmt.Errorf("hold a transactional client: %w", err)
	}
	if id == "" {
		return inj, errors.New("hold a transactional client: Pause named no transactional id")
	}
	return inj, nil
}
