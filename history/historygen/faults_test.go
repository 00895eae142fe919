package historygen

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"github.com/kafkaesque/kafkaesque/history"
)

// Default writes, byte for byte, the history it wrote before faults were added to the
// generator (the digest is of the earlier generator's output), so that figures measured on it
// stay comparable.
func TestDefaultUnchanged(t *testing.T) {
	var buf bytes.Buffer
	if _, err := Generate(&buf, Default(20000)); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(buf.Bytes())
	if got, want := hex.EncodeToString(sum[:]), "f02e4dc2b60b8f3d926dfdce414856d51937f46cffd6749f9fa5afbd5f2c9a0b"; got != want {
		t.Fatalf("Default(20000) changed: sha256 %s, want %s", got, want)
	}
}

// WithFaults records what a run under faults does: the nemesis' injections and recoveries with
// the values the nemesis records, its heal-all and the wait for recovery before the final drain,
// sends and polls ending info and fail, and consumers crashing and going on under new process
// ids from where they had read.
func TestWithFaultsShape(t *testing.T) {
	var buf bytes.Buffer
	cfg := WithFaults(100000)
	cfg.FaultEvery, cfg.FaultHold = 1e9, 4e8 // a few faults in the few seconds simulated
	n, err := Generate(&buf, cfg)
	if err != nil {
		t.Fatal(err)
	}
	dec := history.NewDecoder(&buf)
	count := map[string]int{}
	var nemesis []history.Op
	crashed := map[int]bool{}
	lastFrom := map[string]int64{} // key -> the from of the last non-drain poll of it
	drainBegan := false
	for {
		op, err := dec.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if op.Process == history.NemesisProcess {
			nemesis = append(nemesis, op)
			continue
		}
		count[op.F+"/"+string(op.Type)]++
		if op.F == history.FCrash && op.Type == history.Info {
			var v map[string]string
			if err := json.Unmarshal(op.Value, &v); err != nil || v["reason"] != "crash-client" {
				t.Fatalf("crash info %s: want {\"reason\":\"crash-client\"}", op.Value)
			}
			crashed[op.Process] = true
		}
		if op.F == history.FPoll && op.Type == history.Invoke {
			pi, err := op.PollKeys()
			if err != nil {
				t.Fatal(err)
			}
			if pi.Drain {
				drainBegan = true
				continue
			}
			if drainBegan {
				t.Fatalf("op %d: a consumer polls after the final drain began", op.Index)
			}
			for key, from := range pi.From {
				if from < lastFrom[key] {
					t.Fatalf("op %d: %s asked from %d after asking from %d: a crash lost the position", op.Index, key, from, lastFrom[key])
				}
				lastFrom[key] = from
			}
		}
	}
	if dec.Outstanding() != 0 || int64(dec.Line()) != n {
		t.Fatalf("%d lines decoded of %d, %d outstanding", dec.Line(), n, dec.Outstanding())
	}
	for _, f := range []string{"send/info", "send/fail", "poll/info", "poll/fail", "crash/invoke", "crash/info"} {
		if count[f] == 0 {
			t.Errorf("no %s op in %v", f, count)
		}
	}
	if len(nemesis) < 12 {
		t.Fatalf("%d nemesis ops, want a few faults", len(nemesis))
	}
	// Injections and recoveries alternate, each an invoke then an info naming the fault; the
	// history ends with heal-all and await-recovery.
	var injected string
	for i := 0; i+1 < len(nemesis)-4; i += 2 {
		inv, done := nemesis[i], nemesis[i+1]
		if inv.Type != history.Invoke || done.Type != history.Info || inv.F != done.F || done.Error != "" {
			t.Fatalf("nemesis ops %d, %d: %+v then %+v", inv.Index, done.Index, inv, done)
		}
		var v struct {
			Fault, Action, Partition string
			Nodes                    []string
		}
		if err := json.Unmarshal(done.Value, &v); err != nil || len(v.Nodes) == 0 {
			t.Fatalf("nemesis op %d: value %s", done.Index, done.Value)
		}
		switch {
		case injected == "" && inv.F != history.FRecover:
			if v.Fault != inv.F || v.Action == "" {
				t.Fatalf("injection %d: value %s", done.Index, done.Value)
			}
			injected = v.Fault
		case injected != "" && inv.F == history.FRecover:
			if v.Fault != injected {
				t.Fatalf("recovery %d of %s recovers %s", done.Index, injected, v.Fault)
			}
			injected = ""
		default:
			t.Fatalf("nemesis op %d: %s while %q is injected", inv.Index, inv.F, injected)
		}
	}
	tail := nemesis[len(nemesis)-4:]
	if tail[0].F != history.FHealAll || tail[1].F != history.FHealAll || tail[2].F != history.FAwaitRecovery || tail[3].F != history.FAwaitRecovery {
		t.Fatalf("the history ends with %v, want heal-all and await-recovery", tail)
	}
}
