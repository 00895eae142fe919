package plot

import (
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/kafkaesque/kafkaesque/report/rundir"
)

// spread is a scan of n completions of each kind spread over the whole of a latency plot: every
// invocation time, latencies from a microsecond to ten seconds, every outcome.
func spread(n int) *rundir.HistoryScan {
	rng := rand.New(rand.NewSource(1))
	s := &rundir.HistoryScan{End: 3600e9}
	for range n {
		invoke := rng.Int63n(s.End)
		latency := int64(math.Pow(10, 3+7*rng.Float64()))
		s.Completions = append(s.Completions, rundir.Completion{Invoke: invoke, Done: invoke + latency,
			Send: rng.Intn(2) == 0, Class: uint8(rng.Intn(3))})
	}
	return s
}

// A latency plot has at most one dot per grid cell and outcome, however many operations the run
// had: its size is bounded by the plot's, not the history's. Two latency plots, at most 16 bytes
// a dot, fit a report well under 5 MB.
func TestLatencyDotsBoundedByGrid(t *testing.T) {
	const height = 260 // Latency's
	cells := int(math.Ceil(float64(plotWidth-plotLeft-plotRight+1)/cellW)+1) * int(math.Ceil(float64(height-plotBottom-plotTop+1)/cellH)+1)
	p := Latency("latency-send", "Send latency", true, spread(2_000_000), nil)
	dots, size := 0, 0
	for _, path := range p.Paths {
		dots += strings.Count(path.D, "M")
		size += len(path.D)
	}
	switch {
	case dots > 3*cells:
		t.Fatalf("%d dots, more than one per cell and outcome (%d cells)", dots, cells)
	case dots < 2*cells:
		t.Fatalf("%d dots in %d cells: the grid is not filled, so the test shows no bound", dots, cells)
	case size > 16*3*cells || 2*size > 4_000_000:
		t.Fatalf("%d bytes of path data for %d dots", size, dots)
	}
}
