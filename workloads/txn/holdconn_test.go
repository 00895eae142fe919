package txn

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// request is a framed Kafka request of apiKey with body bytes.
func request(apiKey int16, body string) []byte {
	b := make([]byte, 8, 8+len(body))
	binary.BigEndian.PutUint32(b[:4], uint32(4+len(body)))
	binary.BigEndian.PutUint16(b[4:6], uint16(apiKey))
	return append(b, body...)
}

// broker is a TCP listener that collects what its one connection receives until it closes.
type broker struct {
	addr string
	got  chan []byte // each read, in order
	eof  chan struct{}
}

func newBroker(t *testing.T) *broker {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	b := &broker{addr: ln.Addr().String(), got: make(chan []byte, 100), eof: make(chan struct{})}
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if n > 0 {
				b.got <- bytes.Clone(buf[:n])
			}
			if err != nil {
				close(b.eof)
				return
			}
		}
	}()
	return b
}

// received reads what the broker got within wait.
func (b *broker) received(wait time.Duration) []byte {
	var out []byte
	deadline := time.After(wait)
	for {
		select {
		case p := <-b.got:
			out = append(out, p...)
		case <-deadline:
			return out
		}
	}
}

func dialHeld(t *testing.T, h *connHolds, txnID string, b *broker) net.Conn {
	t.Helper()
	conn, err := h.dialer(txnID, &net.Dialer{Timeout: time.Second})(context.Background(), "tcp", b.addr)
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

func TestHoldConnPassesWhenNotArmed(t *testing.T) {
	b := newBroker(t)
	h := &connHolds{}
	conn := dialHeld(t, h, "t-0", b)
	defer conn.Close()
	req := request(produceAPIKey, "records")
	if _, err := conn.Write(req); err != nil {
		t.Fatal(err)
	}
	if got := b.received(200 * time.Millisecond); !bytes.Equal(got, req) {
		t.Fatalf("broker got %q, want the request %q", got, req)
	}
}

// An armed hold skips other requests, holds the first Produce and all that follows it on its
// connection (not other connections), and a close while held waits for the release, which
// delivers the held bytes in order before the close.
func TestHoldConnHoldsProduceUntilRelease(t *testing.T) {
	b := newBroker(t)
	other := newBroker(t)
	h := &connHolds{lateWait: 200 * time.Millisecond}
	conn := dialHeld(t, h, "t-1", b)
	otherConn := dialHeld(t, h, "t-1", other)
	defer otherConn.Close()

	held := make(chan *holdConn, 1)
	errc := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, err := h.hold(ctx, produceAPIKey)
		held <- c
		errc <- err
	}()
	time.Sleep(50 * time.Millisecond) // let the hold arm
	meta := request(3, "metadata")
	produce1, produce2 := request(produceAPIKey, "first"), request(produceAPIKey, "second")
	for _, p := range [][]byte{meta, produce1, produce2} {
		if n, err := conn.Write(p); err != nil || n != len(p) {
			t.Fatalf("write: %d, %v", n, err)
		}
	}
	c := <-held
	if err := <-errc; err != nil || c == nil || c.txnID != "t-1" || c.addr != b.addr {
		t.Fatalf("hold: %+v, %v; want t-1's connection to %s", c, err, b.addr)
	}
	if n, size := c.heldRequests(); n != 2 || size != len(produce1)+len(produce2) {
		t.Errorf("held %d requests, %d bytes; want 2, %d", n, size, len(produce1)+len(produce2))
	}
	// A second connection of the same producer is not held: only the one request's path is delayed.
	later := request(produceAPIKey, "retry")
	if _, err := otherConn.Write(later); err != nil {
		t.Fatal(err)
	}
	if got := other.received(200 * time.Millisecond); !bytes.Equal(got, later) {
		t.Errorf("the other connection delivered %q, want %q", got, later)
	}
	if got := b.received(200 * time.Millisecond); !bytes.Equal(got, meta) {
		t.Fatalf("before release the broker got %q, want only the metadata request %q", got, meta)
	}
	if err := conn.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-b.eof:
		t.Fatal("the close reached the broker before the held requests")
	case <-time.After(100 * time.Millisecond):
	}
	if err := h.release("t-1"); err != nil {
		t.Fatal(err)
	}
	want := append(append([]byte{}, produce1...), produce2...)
	if got := b.received(300 * time.Millisecond); !bytes.Equal(got, want) {
		t.Fatalf("after release the broker got %q, want %q", got, want)
	}
	select {
	case <-b.eof:
	case <-time.After(2 * time.Second):
		t.Fatal("the connection its client closed was not closed after the release")
	}
	if err := h.release("t-1"); err == nil {
		t.Error("a second release of t-1 succeeded; want an error: nothing is held")
	}
}

// A held connection's pending Read returns when the client closes it, as kgo's reader needs.
func TestHoldConnCloseEndsRead(t *testing.T) {
	b := newBroker(t)
	h := &connHolds{lateWait: 100 * time.Millisecond}
	conn := dialHeld(t, h, "t-0", b)
	go func() { _, _ = h.hold(context.Background(), produceAPIKey) }()
	time.Sleep(50 * time.Millisecond)
	if _, err := conn.Write(request(produceAPIKey, "x")); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := conn.Read(make([]byte, 10)); done <- err }()
	time.Sleep(50 * time.Millisecond)
	conn.Close()
	select {
	case err := <-done:
		if err == nil || err == io.EOF {
			t.Errorf("read after close: %v; want a deadline error", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Read still blocked after Close")
	}
	if err := h.releaseAll(); err != nil {
		t.Fatal(err)
	}
}

func TestHoldGivesUpWithoutProduce(t *testing.T) {
	h := &connHolds{}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if c, err := h.hold(ctx, produceAPIKey); err == nil || c != nil {
		t.Fatalf("hold with no request: %v, %v; want an error", c, err)
	}
	if h.arm != nil {
		t.Error("the given-up hold is still armed")
	}
	// The next hold arms again.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel2()
	if _, err := h.hold(ctx2, produceAPIKey); err == nil || bytes.Contains([]byte(err.Error()), []byte("already waiting")) {
		t.Errorf("second hold: %v; want a plain give-up", err)
	}
}

func TestWorkloadHoldRequestsNamesClientBrokerProcess(t *testing.T) {
	b := newBroker(t)
	w := &Workload{}
	w.conns.lateWait = 100 * time.Millisecond
	w.brokerOf = func(_ context.Context, addr string) (int, error) {
		if addr != b.addr {
			t.Errorf("broker looked up at %s, want %s", addr, b.addr)
		}
		return 2, nil
	}
	w.procs.set("t-3", 7)
	conn := dialHeld(t, &w.conns, "t-3", b)
	defer conn.Close()
	go func() {
		time.Sleep(50 * time.Millisecond)
		_, _ = conn.Write(request(produceAPIKey, "v1"))
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	id, broker, proc, err := w.HoldRequests(ctx, "Produce")
	if err != nil || id != "t-3" || broker != 2 || proc != 7 {
		t.Fatalf("HoldRequests = %q, %d, %d, %v; want t-3, broker 2, process 7", id, broker, proc, err)
	}
	if got := b.received(100 * time.Millisecond); len(got) != 0 {
		t.Fatalf("the broker got %q while held", got)
	}
	if err := w.ReleaseRequests(context.Background(), "t-3"); err != nil {
		t.Fatal(err)
	}
	if got := b.received(200 * time.Millisecond); !bytes.Equal(got, request(produceAPIKey, "v1")) {
		t.Fatalf("after release the broker got %q", got)
	}
	if err := w.ReleaseRequests(context.Background(), "t-3"); err == nil {
		t.Error("releasing again succeeded; want an error")
	}
}

// A hold armed for EndTxn passes Produce requests and holds the EndTxn.
func TestHoldConnHoldsOnlyTheArmedKind(t *testing.T) {
	b := newBroker(t)
	h := &connHolds{lateWait: 100 * time.Millisecond}
	conn := dialHeld(t, h, "t-0", b)
	defer conn.Close()
	got := make(chan *holdConn, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, _ := h.hold(ctx, endTxnAPIKey)
		got <- c
	}()
	time.Sleep(50 * time.Millisecond)
	produce, endTxn := request(produceAPIKey, "p"), request(endTxnAPIKey, "commit")
	for _, p := range [][]byte{produce, endTxn} {
		if _, err := conn.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	if c := <-got; c == nil {
		t.Fatal("no connection held the EndTxn")
	}
	if r := b.received(200 * time.Millisecond); !bytes.Equal(r, produce) {
		t.Fatalf("the broker got %q, want only the Produce %q", r, produce)
	}
	if err := h.release("t-0"); err != nil {
		t.Fatal(err)
	}
	if r := b.received(200 * time.Millisecond); !bytes.Equal(r, endTxn) {
		t.Fatalf("after release the broker got %q, want the EndTxn", r)
	}
}

func TestHoldRequestsRefusesUnknownKind(t *testing.T) {
	w := &Workload{}
	if _, _, _, err := w.HoldRequests(context.Background(), "Fetch"); err == nil || !strings.Contains(err.Error(), `"Fetch"`) {
		t.Fatalf("HoldRequests(Fetch) = %v; want an error naming it", err)
	}
	if w.conns.arm != nil {
		t.Error("a refused hold armed the connections")
	}
}
