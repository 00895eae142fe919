package harness

import (
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/workloads"
)

func TestDrainLineETAFromTheRecentRate(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	at := func(s int, read, left int64, known, complete int) drainSample {
		return drainSample{at: t0.Add(time.Duration(s) * time.Second),
			p: workloads.DrainProgress{Read: read, Remaining: left, Partitions: known, Complete: complete}}
	}
	cases := []struct {
		name    string
		samples []drainSample
		want    string
	}{
		{"reading", []drainSample{at(0, 0, 0, 0, 0), at(5, 10000, 90000, 3, 0), at(10, 30000, 70000, 3, 1)},
			// 30000 read in 10 s: 3000/s, 70000 left: 23 s.
			"drain: 1 of 3 partitions at their end; 30000 offsets read, 70000 left at 3000/s, ETA 23s"},
		{"recent rate only", []drainSample{at(10, 30000, 70000, 3, 0), at(15, 31000, 69000, 3, 0)},
			"drain: 0 of 3 partitions at their end; 31000 offsets read, 69000 left at 200/s, ETA 5m45s"},
		{"stalled", []drainSample{at(10, 30000, 70000, 3, 0), at(15, 30000, 70000, 3, 0)},
			"drain: 0 of 3 partitions at their end; 30000 offsets read, 70000 left (nothing read in the last 5s)"},
		{"at the end", []drainSample{at(10, 30000, 10, 3, 2), at(15, 30010, 0, 3, 2)},
			"drain: 2 of 3 partitions at their end; 30010 offsets read, 0 left (confirming the end of the log)"},
		{"offsets unknown", []drainSample{at(0, 0, 0, 0, 0), at(5, 100, 900, 2, 0)},
			"drain: 0 of 3 partitions at their end; 100 offsets read, 900 left (1 of 3 partitions' offsets not known yet)"},
	}
	for _, tc := range cases {
		if got := drainLine(tc.samples, 3); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
}
