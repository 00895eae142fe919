package txn

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"
)

// Kafka API keys of the requests a hold can be armed for.
const (
	produceAPIKey = 0
	endTxnAPIKey  = 26
)

// lateResponseWait is how long a released connection that its client had already closed is
// kept open for the broker's answer, so the late request is handled as a delayed packet would
// be (a close with unread data would reset the connection and could drop the request).
const lateResponseWait = 10 * time.Second

// connHolds arms and tracks the holding of producers' connections (delay-client-request): on
// command, the next request of the armed kind (Produce, EndTxn) a producer writes is held, with
// every byte written after it on that connection, until release. Other connections, new ones
// included, pass.
type connHolds struct {
	mu       sync.Mutex
	arm      *holdArm
	held     map[string]*holdConn // by transactional id, until release
	lateWait time.Duration
	// logf, if set, is told the broker's answers to held requests delivered after their client
	// gave up on them.
	logf func(format string, args ...any)
}

// holdArm is one HoldRequests waiting for a request of API key key to hold.
type holdArm struct {
	key int16
	got chan *holdConn
}

// dialer wraps producer txnID's connections, so that they can be held.
func (h *connHolds) dialer(txnID string, d *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &holdConn{Conn: conn, txnID: txnID, addr: addr, holds: h}, nil
	}
}

// claim gives c the pending arm, if there is one for key and c's producer holds nothing yet.
func (h *connHolds) claim(c *holdConn, key int16) *holdArm {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.arm == nil || h.arm.key != key || h.held[c.txnID] != nil {
		return nil
	}
	a := h.arm
	h.arm = nil
	if h.held == nil {
		h.held = map[string]*holdConn{}
	}
	h.held[c.txnID] = c
	return a
}

// hold arms a hold for requests of API key key and waits until a connection holds one.
func (h *connHolds) hold(ctx context.Context, key int16) (*holdConn, error) {
	a := &holdArm{key: key, got: make(chan *holdConn, 1)}
	h.mu.Lock()
	if h.arm != nil {
		h.mu.Unlock()
		return nil, errors.New("hold requests: another hold is already waiting for a request")
	}
	h.arm = a
	h.mu.Unlock()
	select {
	case c := <-a.got:
		return c, nil
	case <-ctx.Done():
	}
	h.mu.Lock()
	taken := h.arm != a
	if !taken {
		h.arm = nil
	}
	h.mu.Unlock()
	if taken { // a connection claimed it as ctx ended: it holds a request
		return <-a.got, nil
	}
	return nil, fmt.Errorf("no producer wrote a request of API key %d before the hold gave up: %w", key, context.Cause(ctx))
}

// release delivers the bytes held for txnID, in order.
func (h *connHolds) release(txnID string) error {
	h.mu.Lock()
	c := h.held[txnID]
	delete(h.held, txnID)
	h.mu.Unlock()
	if c == nil {
		return fmt.Errorf("release requests of %s: none are held", txnID)
	}
	return c.release()
}

// releaseAll delivers every held request (Close).
func (h *connHolds) releaseAll() error {
	h.mu.Lock()
	ids := make([]string, 0, len(h.held))
	for id := range h.held {
		ids = append(ids, id)
	}
	h.mu.Unlock()
	var errs []error
	for _, id := range ids {
		if err := h.release(id); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// holdConn is a producer's connection to one broker. It follows the request framing (a 4-byte
// size, then the header, whose first field is the API key) to know where a request starts; kgo
// writes each request whole.
type holdConn struct {
	net.Conn
	txnID, addr string
	holds       *connHolds

	mu       sync.Mutex
	rest     int  // bytes of the current request still to come
	unframed bool // a header was split across writes: the framing is lost, never hold
	holding  bool
	held     []byte
	requests int  // requests begun while holding
	closed   bool // the client closed the connection while it was held
}

// Write passes p on, unless the connection holds: then p is kept, and reported written as a
// delayed packet would be.
func (c *holdConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if key, ok := apiKey(p); ok && !c.holding && !c.unframed && c.rest == 0 {
		if a := c.holds.claim(c, key); a != nil {
			c.holding = true
			defer func() { a.got <- c }()
		}
	}
	c.frame(p)
	if c.holding {
		c.held = append(c.held, p...)
		c.mu.Unlock()
		return len(p), nil
	}
	c.mu.Unlock()
	return c.Conn.Write(p)
}

// apiKey is the API key of the request p begins with.
func apiKey(p []byte) (int16, bool) {
	if len(p) < 6 {
		return 0, false
	}
	return int16(binary.BigEndian.Uint16(p[4:6])), true
}

// frame follows the request boundaries through p; called locked.
func (c *holdConn) frame(p []byte) {
	for len(p) > 0 && !c.unframed {
		if c.rest == 0 {
			if len(p) < 6 {
				c.unframed = true
				return
			}
			if c.holding {
				c.requests++
			}
			c.rest = 4 + int(binary.BigEndian.Uint32(p[:4]))
		}
		n := min(c.rest, len(p))
		c.rest -= n
		p = p[n:]
	}
}

// Close closes the connection, unless it holds bytes: then the close waits for the release,
// as a close behind delayed packets does, and a pending Read returns now.
func (c *holdConn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.holding {
		c.closed = true
		return c.Conn.SetReadDeadline(time.Now())
	}
	return c.Conn.Close()
}

// heldRequests is how many Produce requests the connection holds, and how many bytes.
func (c *holdConn) heldRequests() (int, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.requests, len(c.held)
}

// release writes the held bytes in order. A connection its client closed meanwhile then reads
// the broker's answers for a while and closes.
func (c *holdConn) release() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.holding {
		return nil
	}
	c.holding = false
	held := c.held
	c.held = nil
	_, err := c.Conn.Write(held)
	if err != nil {
		err = fmt.Errorf("release %d held bytes of %s to %s: %w", len(held), c.txnID, c.addr, err)
	}
	if c.closed {
		wait := c.holds.lateWait
		if wait == 0 {
			wait = lateResponseWait
		}
		reqs, logf := parseHeld(held), c.holds.logf
		go func() {
			_ = c.Conn.SetReadDeadline(time.Now().Add(wait))
			answers := readLate(c.Conn, reqs)
			_, _ = io.Copy(io.Discard, c.Conn)
			_ = c.Conn.Close()
			if logf != nil {
				logf("late requests of %s to %s (%d held): %s", c.txnID, c.addr, len(reqs), strings.Join(answers, "; "))
			}
		}()
	} else if c.holds.logf != nil {
		c.holds.logf("late requests of %s to %s: delivered while the client still waited for them", c.txnID, c.addr)
	}
	return err
}
