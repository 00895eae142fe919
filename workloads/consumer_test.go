package workloads

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/history"
)

// A crash replaces the consumer's client and transport and its process id, and keeps its read
// positions: the next poll asks for exactly where the consumer left off.
func TestConsumerCrashKeepsPositions(t *testing.T) {
	var buf bytes.Buffer
	rec := history.NewRecorder(history.NewWriter(&buf), time.Now())
	q, err := NewQueue(QueueConfig{Bootstrap: []string{"127.0.0.1:1"}, Topic: "t", Partitions: 2, Acks: AcksAll,
		Consumers: 1, OpTimeout: 200 * time.Millisecond, CrashInterval: time.Hour}, rec, rand.New(rand.NewSource(1)))
	if err != nil {
		t.Fatal(err)
	}
	c := q.newConsumer(7)
	if c.nextCrash.IsZero() {
		t.Fatal("no crash scheduled with a crash interval set")
	}
	c.positions[1] = 7
	client, transport, proc := c.client, c.transport, c.proc
	if err := c.crash(); err != nil {
		t.Fatal(err)
	}
	if c.client == client || c.transport == transport || c.proc == proc {
		t.Fatalf("after a crash: same client %v, same transport %v, same process %v; want all new", c.client == client, c.transport == transport, c.proc == proc)
	}
	if _, _, err := q.poll(context.Background(), pollArgs{client: c.client, proc: c.proc, partition: 1, position: &c.positions[1], maxWait: pollMaxWait}); err != nil {
		t.Fatal(err)
	}
	c.transport.CloseIdleConnections()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("history %q: want crash invoke, crash info, poll invoke, poll completion", lines)
	}
	var ops []history.Op
	for _, l := range lines {
		var op history.Op
		if err := json.Unmarshal([]byte(l), &op); err != nil {
			t.Fatal(err)
		}
		ops = append(ops, op)
	}
	if ops[0].F != history.FCrash || ops[1].Type != history.Info || ops[0].Process != proc || ops[1].Process != proc ||
		string(ops[0].Value) != `{"reason":"crash-client"}` {
		t.Errorf("crash ops %s / %s: want invoke and info of {\"reason\":\"crash-client\"} by process %d", lines[0], lines[1], proc)
	}
	if ops[2].Process != c.proc || string(ops[2].Value) != `{"keys":["t-1"],"from":{"t-1":7}}` {
		t.Errorf("poll after the crash %s: want process %d asking t-1 from 7", lines[2], c.proc)
	}
}

// Without a crash interval a consumer never crashes.
func TestConsumerWithoutCrashInterval(t *testing.T) {
	rec := history.NewRecorder(history.NewWriter(&bytes.Buffer{}), time.Now())
	q, err := NewQueue(QueueConfig{Bootstrap: []string{"127.0.0.1:1"}, Topic: "t", Partitions: 1, Acks: AcksAll, Consumers: 1}, rec, rand.New(rand.NewSource(1)))
	if err != nil {
		t.Fatal(err)
	}
	if c := q.newConsumer(1); !c.nextCrash.IsZero() {
		t.Errorf("crash scheduled at %v with no crash interval", c.nextCrash)
	}
}
