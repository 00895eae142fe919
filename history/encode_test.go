package history

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// randomString mixes plain ASCII with everything encoding/json escapes.
func randomString(rng *rand.Rand) string {
	pieces := []string{"v1", "t-0", "abc", `"`, `\`, "<", ">", "&", "\n", "\x00", "\x7f", "é", "\u2028", "\xff", " ", "timeout"}
	var sb strings.Builder
	for range rng.Intn(6) {
		sb.WriteString(pieces[rng.Intn(len(pieces))])
	}
	return sb.String()
}

func TestAppendOpMatchesEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for i := range 20000 {
		op := Op{Index: rng.Int63n(1 << 40), Time: rng.Int63() - rng.Int63(), Process: rng.Intn(1000) - 1,
			Type: Type(randomString(rng)), F: randomString(rng), Error: randomString(rng)}
		send := SendValue{Key: randomString(rng), Value: randomString(rng)}
		if rng.Intn(2) == 0 {
			off := rng.Int63() - rng.Int63()
			send.Offset = &off
		}
		want, err := json.Marshal(send)
		if err != nil {
			t.Fatal(err)
		}
		got, err := marshalValue(send)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("case %d: send value %+v: got %s (%v), want %s", i, send, got, err, want)
		}
		if rng.Intn(4) > 0 {
			op.Value = got
		}
		want, err = json.Marshal(op)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendOp(nil, &op); !bytes.Equal(got, want) {
			t.Fatalf("case %d: op line\n got %s\nwant %s", i, got, want)
		}
	}
}

func TestPollValuesMatchEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	offsets := func() map[string]int64 {
		if rng.Intn(4) == 0 {
			return nil
		}
		m := map[string]int64{}
		for range rng.Intn(4) {
			m[randomString(rng)] = rng.Int63() - rng.Int63()
		}
		return m
	}
	for i := range 20000 {
		inv := PollInvoke{From: offsets(), Drain: rng.Intn(2) == 0}
		if rng.Intn(5) > 0 {
			inv.Keys = []string{}
			for range rng.Intn(4) {
				inv.Keys = append(inv.Keys, randomString(rng))
			}
		}
		res := PollResult{HW: offsets()}
		if rng.Intn(5) > 0 {
			res.Reads = map[string][]Read{}
			for range rng.Intn(4) {
				var reads []Read
				if rng.Intn(5) > 0 {
					reads = []Read{}
				}
				for range rng.Intn(5) {
					reads = append(reads, Read{Offset: rng.Int63n(1 << 40), Value: randomString(rng)})
				}
				res.Reads[randomString(rng)] = reads
			}
		}
		for _, v := range []any{inv, res} {
			want, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := marshalValue(v); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("case %d: %#v\n got %s (%v)\nwant %s", i, v, got, err, want)
			}
		}
	}
}

func TestWriterCompactsAndChecksValues(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	if err := w.Write(Op{F: "send", Type: Invoke, Value: json.RawMessage(`{ "key" : "<k>" }`)}); err != nil {
		t.Fatal(err)
	}
	if want := `{"index":0,"time":0,"process":0,"type":"invoke","f":"send","value":{"key":"\u003ck\u003e"}}` + "\n"; buf.String() != want {
		t.Fatalf("got %s, want %s", buf.String(), want)
	}
	if err := w.Write(Op{F: "send", Type: Invoke, Value: json.RawMessage(`{"key":`)}); err == nil {
		t.Fatal("an invalid value was written")
	}
}

// lineCounter counts the lines and Write calls it receives; it fails writes after failAfter calls.
type lineCounter struct {
	mu        sync.Mutex
	data      bytes.Buffer
	writes    int
	failAfter int
}

func (l *lineCounter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failAfter > 0 && l.writes >= l.failAfter {
		return 0, errors.New("disk full")
	}
	l.writes++
	if len(p) == 0 || p[len(p)-1] != '\n' {
		return 0, errors.New("a write that does not end a line")
	}
	return l.data.Write(p)
}

func (l *lineCounter) snapshot() (string, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.data.String(), l.writes
}

func TestBufferedRecorderKeepsEveryOpInOrder(t *testing.T) {
	out := &lineCounter{}
	w := NewBufferedWriter(out, time.Hour) // only size and Close write
	rec := NewRecorder(w, time.Now())
	var wg sync.WaitGroup
	for p := range 8 {
		wg.Go(func() { recordAckedSends(t, rec, p, 2000) })
	}
	wg.Wait()
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	data, writes := out.snapshot()
	d := NewDecoder(strings.NewReader(data))
	n := 0
	for {
		if _, err := d.Next(); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 8*2000*2 {
		t.Fatalf("decoded %d ops, want %d", n, 8*2000*2)
	}
	if writes >= n/10 {
		t.Fatalf("%d writes for %d lines: the writer did not batch", writes, n)
	}
}

func TestBufferedWriterFlushesWithinItsDelay(t *testing.T) {
	out := &lineCounter{}
	w := NewBufferedWriter(out, 20*time.Millisecond)
	defer w.Close()
	if err := w.Write(Op{F: "send", Type: Invoke}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if data, _ := out.snapshot(); strings.Count(data, "\n") == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("a buffered line was not written within 5 s with a 20 ms delay")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestBufferedWriterKeepsItsFirstError(t *testing.T) {
	out := &lineCounter{failAfter: 1}
	w := NewBufferedWriter(out, time.Hour)
	for range 2 {
		if err := w.Write(Op{F: "send", Type: Invoke}); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil && out.writes == 0 {
			t.Fatal(err)
		}
	}
	if err := w.Write(Op{F: "send", Type: Invoke}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("write after a failed flush: %v, want the disk-full error", err)
	}
	if err := w.Close(); err == nil {
		t.Fatal("Close after a failed write reported success")
	}
}

// BenchmarkRecorderSend is the history's cost per acknowledged send (an invoke and an ok
// completion) on a real file, with the buffered writer a run uses, 8 goroutines at once.
func BenchmarkRecorderSend(b *testing.B) {
	for _, tc := range []struct {
		name string
		new  func(io.Writer) *Writer
	}{
		{"line-at-a-time", NewWriter},
		{"buffered", func(w io.Writer) *Writer { return NewBufferedWriter(w, 10*time.Millisecond) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			f, err := os.Create(filepath.Join(b.TempDir(), "history.jsonl"))
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			rec := NewRecorder(tc.new(f), time.Now())
			var next int64
			var mu sync.Mutex
			b.SetParallelism(4)
			b.RunParallel(func(pb *testing.PB) {
				mu.Lock()
				p := int(next)
				next++
				mu.Unlock()
				off := int64(0)
				for pb.Next() {
					inv, err := rec.Invoke(p, FSend, SendValue{Key: "t-1", Value: "v123456"})
					if err != nil {
						b.Error(err)
						return
					}
					off++
					if _, err := rec.Complete(inv, OK, SendValue{Key: "t-1", Value: "v123456", Offset: &off}, ""); err != nil {
						b.Error(err)
						return
					}
				}
			})
			if err := rec.Close(); err != nil {
				b.Fatal(err)
			}
		})
	}
}
