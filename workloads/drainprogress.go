package workloads

import (
	"context"
	"sync"
)

// DrainTracker follows a drain while it runs, for progress reports: how far each partition has
// read and the highest high watermark it has seen. Safe for concurrent use.
type DrainTracker struct {
	mu    sync.Mutex
	parts map[string]PartitionDrain
}

// DrainProgress sums a drain's partitions: offsets read from each partition's log start, and
// offsets left to its highest high watermark seen. Partitions whose range is not known yet
// count in neither.
type DrainProgress struct {
	Read, Remaining int64
	Partitions      int // partitions with a known range
	Complete        int // partitions that saw their end
}

type drainTrackerKey struct{}

// WithDrainTracker returns ctx carrying t: a Drain given it reports its partitions to t.
func WithDrainTracker(ctx context.Context, t *DrainTracker) context.Context {
	return context.WithValue(ctx, drainTrackerKey{}, t)
}

// TrackDrain reports a partition's drain to the tracker ctx carries, if any.
func TrackDrain(ctx context.Context, pd PartitionDrain) {
	t, _ := ctx.Value(drainTrackerKey{}).(*DrainTracker)
	if t == nil || pd.HighWatermark < 0 || pd.Earliest < 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.parts == nil {
		t.parts = map[string]PartitionDrain{}
	}
	t.parts[pd.Key] = pd
}

// Progress sums what the tracker has been told.
func (t *DrainTracker) Progress() DrainProgress {
	t.mu.Lock()
	defer t.mu.Unlock()
	var p DrainProgress
	for _, pd := range t.parts {
		p.Partitions++
		p.Read += max(pd.Next-pd.Earliest, 0)
		p.Remaining += max(pd.HighWatermark-pd.Next, 0)
		if pd.Complete {
			p.Complete++
		}
	}
	return p
}
