package nemesis

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
)

// The requests HoldRequests holds.
const (
	RequestProduce = "Produce"
	RequestEndTxn  = "EndTxn"
)

// delayRequestFault holds one in-flight request of a transactional client on the wire while the
// client goes on (it gives up on the request, retries it, ends its transaction and begins the
// next), then delivers it: the late request of KAFKA-17754.
type delayRequestFault struct {
	name, request string
	cfg           Config
}

func (f delayRequestFault) Name() string { return f.name }
func (f delayRequestFault) Describe() string {
	return fmt.Sprintf("hold the next %s request a transactional client writes (and the rest of that connection's bytes) in the test process for the hold while the client retries it and goes on, then deliver it late, in order (KAFKA-17754: a late request landing in the producer's next transaction)", f.request)
}

func (f delayRequestFault) Available(context.Context, Cluster) error {
	if f.cfg.Txn == nil {
		return errTxnWorkload
	}
	return nil
}

// Inject's proof is HoldRequests returning held bytes; its recovery's, ReleaseRequests
// delivering them.
func (f delayRequestFault) Inject(ctx context.Context, _ Cluster, _ *rand.Rand) (Injection, error) {
	inj := Injection{Fault: f.Name(), Action: "delay-request"}
	id, broker, process, err := f.cfg.Txn.HoldRequests(ctx, f.request)
	if id != "" {
		inj.TxnID, inj.Process = id, &process
		if broker >= 0 {
			inj.Nodes = []string{fmt.Sprintf("kafka%d", broker)} // the harness names broker N kafkaN
		}
		// Set even on error: the bytes are held once a transactional id is named.
		inj.recover = func(ctx context.Context) error { return f.cfg.Txn.ReleaseRequests(ctx, id) }
	}
	if err != nil {
		return inj, fmt.Errorf("hold a transactional client's request: %w", err)
	}
	if id == "" {
		return inj, errors.New("hold a transactional client's request: HoldRequests named no transactional id")
	}
	return inj, nil
}
