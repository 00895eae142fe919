package workloads

import (
	"context"
	"testing"
)

func TestDrainTrackerSumsKnownPartitions(t *testing.T) {
	var tr DrainTracker
	ctx := WithDrainTracker(context.Background(), &tr)
	TrackDrain(ctx, PartitionDrain{Key: "t-0", Earliest: 10, HighWatermark: 110, Next: 60})
	TrackDrain(ctx, PartitionDrain{Key: "t-1", Earliest: 0, HighWatermark: 40, Next: 40, Complete: true})
	TrackDrain(ctx, PartitionDrain{Key: "t-2", Earliest: -1, HighWatermark: -1, Next: -1})  // range not known
	TrackDrain(ctx, PartitionDrain{Key: "t-0", Earliest: 10, HighWatermark: 120, Next: 70}) // t-0 moves on
	want := DrainProgress{Read: 60 + 40, Remaining: 50, Partitions: 2, Complete: 1}
	if got := tr.Progress(); got != want {
		t.Errorf("progress %+v, want %+v", got, want)
	}
	// A drain without a tracker reports to nothing, and does not fail.
	TrackDrain(context.Background(), PartitionDrain{Key: "t-3", Earliest: 0, HighWatermark: 5, Next: 0})
	if got := tr.Progress(); got != want {
		t.Errorf("an untracked drain changed the tracker: %+v", got)
	}
}
