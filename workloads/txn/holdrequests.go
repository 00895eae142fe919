package txn

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// HoldRequestOverhead is kgo's request timeout overhead for producers when requests may be held
// (Config.RequestTimeoutOverhead): a produce request is given up this long past its timeout, so
// the client gives up on a held request, retries it on a new connection and goes on, while the
// held copy arrives later.
const HoldRequestOverhead = 2 * time.Second

// processes maps each transactional id to its client's current process, for HoldRequests.
type processes struct {
	mu  sync.Mutex
	ids map[string]int
}

func (p *processes) set(txnID string, proc int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ids == nil {
		p.ids = map[string]int{}
	}
	p.ids[txnID] = proc
}

func (p *processes) of(txnID string) (int, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	proc, ok := p.ids[txnID]
	return proc, ok
}

// Requests HoldRequests can hold, by name.
var holdableRequests = map[string]int16{"Produce": produceAPIKey, "EndTxn": endTxnAPIKey}

// HoldRequests holds the next request named request ("Produce" or "EndTxn") a transactional
// producer writes, with every byte it writes after it on that connection, until ReleaseRequests:
// the request is delayed in the network while the client goes on. It returns once a request is
// held: the producer's transactional id, the broker the connection goes to, and the client's
// process. It fails, holding nothing, when no producer writes such a request before ctx ends.
func (w *Workload) HoldRequests(ctx context.Context, request string) (string, int, int, error) {
	key, ok := holdableRequests[request]
	if !ok {
		return "", 0, 0, fmt.Errorf("hold requests: cannot hold %q requests (Produce or EndTxn)", request)
	}
	c, err := w.conns.hold(ctx, key)
	if err != nil {
		return "", 0, 0, err
	}
	proc, ok := w.procs.of(c.txnID)
	if !ok {
		return c.txnID, -1, 0, fmt.Errorf("hold requests: %s has no process", c.txnID)
	}
	broker, err := w.brokerAt(ctx, c.addr)
	if err != nil {
		return c.txnID, -1, proc, fmt.Errorf("hold requests of %s: %w", c.txnID, err)
	}
	if n, size := c.heldRequests(); n < 1 || size == 0 {
		return c.txnID, broker, proc, fmt.Errorf("hold requests of %s: the connection to broker %d holds %d requests (%d bytes)", c.txnID, broker, n, size)
	}
	return c.txnID, broker, proc, nil
}

// ReleaseRequests delivers the requests held for txnID, in order.
func (w *Workload) ReleaseRequests(_ context.Context, txnID string) error {
	return w.conns.release(txnID)
}

// brokerAt names the broker listening at addr, from the cluster's metadata.
func (w *Workload) brokerAt(ctx context.Context, addr string) (int, error) {
	if w.brokerOf != nil {
		return w.brokerOf(ctx, addr)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return -1, fmt.Errorf("broker address %q: %w", addr, err)
	}
	if w.admin == nil {
		return -1, errors.New("no admin client to look brokers up")
	}
	resp, err := kmsg.NewPtrMetadataRequest().RequestWith(ctx, w.admin)
	if err != nil {
		return -1, fmt.Errorf("metadata: %w", err)
	}
	for _, b := range resp.Brokers {
		if b.Host == host && strconv.Itoa(int(b.Port)) == port {
			return int(b.NodeID), nil
		}
	}
	return -1, fmt.Errorf("no broker at %s in the metadata", addr)
}

// LogLateAnswers has logf told the broker's answers to held requests delivered after their
// client gave up on them (what the late request did); call it before Run.
func (w *Workload) LogLateAnswers(logf func(format string, args ...any)) { w.conns.logf = logf }
