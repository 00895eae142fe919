package txn

import (
	"context"
	"fmt"
	"slices"
	"sync"
)

// holds are the nemesis's pause-client requests and the clients they hold. A client can be held
// only at a hold point: inside a transaction, after at least one acknowledged send, before its
// next mop or its EndTxn. There the open transaction has records in partitions while its client
// is silent, the shape of KAFKA-17754.
type holds struct {
	mu      sync.Mutex
	pending []*pauseRequest
	held    map[string]*hold // by transactional id, until Resume
}

// pauseRequest is one Pause waiting for a client to reach a hold point.
type pauseRequest struct{ got chan *hold }

// hold is one held client.
type hold struct {
	txnID    string
	process  int
	release  chan struct{} // closed by Resume (or Close)
	once     sync.Once
	released chan struct{} // closed by the client once it goes on
}

func (h *hold) let() { h.once.Do(func() { close(h.release) }) }

// Pause holds one client mid-transaction and returns its transactional id and process once the
// client is held: the answer comes from the client itself, blocked at a hold point with an
// acknowledged send in its open transaction. It fails, holding nothing, when no client reaches
// a hold point before ctx ends. A held client goes on at Resume, or when Run's context ends.
func (w *Workload) Pause(ctx context.Context) (string, int, error) {
	req := &pauseRequest{got: make(chan *hold, 1)}
	w.holds.mu.Lock()
	w.holds.pending = append(w.holds.pending, req)
	w.holds.mu.Unlock()
	select {
	case h := <-req.got:
		return h.txnID, h.process, nil
	case <-ctx.Done():
	}
	w.holds.mu.Lock()
	i := slices.Index(w.holds.pending, req)
	if i >= 0 {
		w.holds.pending = slices.Delete(w.holds.pending, i, i+1)
	}
	w.holds.mu.Unlock()
	if i < 0 { // a client took the request as ctx ended: it is held
		h := <-req.got
		return h.txnID, h.process, nil
	}
	return "", 0, fmt.Errorf("no client reached a hold point (inside a transaction, after a send) before the pause gave up: %w", context.Cause(ctx))
}

// Resume lets the client held under txnID go on, and waits until it has. Its transaction then
// commits or fails as Kafka decides: the coordinator may have aborted it at TxnTimeout. Resuming
// a client that Run's end already let go is not an error.
func (w *Workload) Resume(ctx context.Context, txnID string) error {
	w.holds.mu.Lock()
	h := w.holds.held[txnID]
	delete(w.holds.held, txnID)
	w.holds.mu.Unlock()
	if h == nil {
		return fmt.Errorf("resume %s: no client is held under that transactional id", txnID)
	}
	h.let()
	select {
	case <-h.released:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("resume %s: the client did not go on: %w", txnID, context.Cause(ctx))
	}
}

// point is a hold point of client c: if a Pause is waiting, c is held here until Resume or
// until ctx (the run's) ends.
func (h *holds) point(ctx context.Context, c *client) {
	h.mu.Lock()
	if len(h.pending) == 0 {
		h.mu.Unlock()
		return
	}
	req := h.pending[0]
	h.pending = h.pending[1:]
	hd := &hold{txnID: c.txnID, process: c.proc, release: make(chan struct{}), released: make(chan struct{})}
	h.held[c.txnID] = hd
	h.mu.Unlock()
	req.got <- hd
	select {
	case <-hd.release:
	case <-ctx.Done():
	}
	close(hd.released)
}

// releaseAll lets every held client go (Close).
func (h *holds) releaseAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, hd := range h.held {
		hd.let()
	}
}
