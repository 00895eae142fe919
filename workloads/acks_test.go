package workloads

import (
	"strings"
	"sync"
	"testing"

	"github.com/segmentio/kafka-go"
)

func TestParseAcks(t *testing.T) {
	for in, want := range map[string]kafka.RequiredAcks{"0": kafka.RequireNone, "1": kafka.RequireOne, "all": kafka.RequireAll} {
		a, err := ParseAcks(in)
		if err != nil {
			t.Fatalf("ParseAcks(%q): %v", in, err)
		}
		if a.kafka() != want || a.String() != in {
			t.Errorf("ParseAcks(%q) = %s (kafka %v), want %q (kafka %v)", in, a, a.kafka(), in, want)
		}
		var u Acks
		if err := u.UnmarshalText([]byte(in)); err != nil || u != a {
			t.Errorf("UnmarshalText(%q) = %s, %v", in, u, err)
		}
	}
	for _, bad := range []string{"", "-1", "2", "ALL", "none", " all"} {
		_, err := ParseAcks(bad)
		if err == nil || !strings.Contains(err.Error(), `"`+bad+`"`) {
			t.Errorf("ParseAcks(%q) error %v, want one naming the input", bad, err)
		}
	}
}

func TestAcksZeroValueRejected(t *testing.T) {
	var unset Acks
	if unset.Valid() {
		t.Fatal("zero Acks is valid; it must not silently mean acks=0")
	}
	_, err := QueueConfig{Bootstrap: []string{"x:9092"}, Topic: "t", Partitions: 1}.withDefaults()
	if err == nil || !strings.Contains(err.Error(), "acks") {
		t.Errorf("config without acks: error %v, want one about acks", err)
	}
	if _, err := unset.MarshalText(); err == nil {
		t.Error("MarshalText of unset acks succeeded")
	}
}

func TestProcessIDs(t *testing.T) {
	var ids ProcessIDs
	const workers, each = 8, 1000
	got := make([][]int, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for range each {
				got[w] = append(got[w], ids.Next())
			}
		})
	}
	wg.Wait()
	seen := make(map[int]bool)
	for _, ws := range got {
		for i, id := range ws {
			if id < 0 || seen[id] {
				t.Fatalf("id %d negative or handed out twice", id)
			}
			if i > 0 && id <= ws[i-1] {
				t.Fatalf("ids of one caller not increasing: %d after %d", id, ws[i-1])
			}
			seen[id] = true
		}
	}
	if len(seen) != workers*each || ids.Allocated() != workers*each {
		t.Errorf("%d distinct ids, Allocated %d, want %d", len(seen), ids.Allocated(), workers*each)
	}
	for id := range workers * each {
		if !seen[id] {
			t.Fatalf("id %d skipped: ids should be dense from 0", id)
		}
	}
}
