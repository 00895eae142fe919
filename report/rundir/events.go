package rundir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/kafkaesque/kafkaesque/electionlog"
)

// LoadEvents reads the election log; ok is false when there is none.
func LoadEvents(dir string) (events []electionlog.Event, ok bool, err error) {
	f, err := os.Open(filepath.Join(dir, ElectionsFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("open %s: %w", ElectionsFile, err)
	}
	defer f.Close()
	events, err = electionlog.Read(f)
	if err != nil {
		return events, true, fmt.Errorf("read %s: %w", ElectionsFile, err)
	}
	return events, true, nil
}

// PartitionState is a partition's leader, epoch, ISR and ELR from some time on.
type PartitionState struct {
	Time         int64
	Leader       int
	Epoch        int
	ISR          []int
	ELR          []int // KIP-966's eligible leader replicas (KRaft with ELR on)
	LastKnownELR []int
	Recovery     int
}

// PartitionTimelines groups partition events by key. ZooKeeper is authoritative; brokers'
// metadata is used only when the log has no ZooKeeper partition events at all (KRaft). Each
// broker's view replays the same metadata log, lagging, so every view's states are a
// subsequence of the partition's true ones: a view's state is new only if it is not among the
// states recorded after the one that view last showed. A lagging view catching up then adds
// nothing, and the timeline shows each change once, when some view first showed it.
func PartitionTimelines(events []electionlog.Event) map[string][]PartitionState {
	out := map[string][]PartitionState{}
	for _, source := range []electionlog.Source{electionlog.SourceZooKeeper, electionlog.SourceMetadata} {
		at := map[viewKey]int{} // index into out[key] of the state a view last showed
		for _, e := range events {
			if e.Kind != electionlog.KindPartition || e.Source != source || e.Partition == nil {
				continue
			}
			st := PartitionState{Time: e.Time, Leader: electionlog.NoLeader, Epoch: -1, ISR: electionlog.SortedISR(e.ISR),
				ELR: electionlog.SortedIDs(e.ELR), LastKnownELR: electionlog.SortedIDs(e.LastKnownELR), Recovery: e.LeaderRecovery}
			if e.Leader != nil {
				st.Leader = *e.Leader
			}
			if e.LeaderEpoch != nil {
				st.Epoch = *e.LeaderEpoch
			}
			key := e.Key()
			list := out[key]
			vk := viewKey{e.Broker, key}
			from, seen := at[vk]
			if !seen {
				from = -1
			}
			if seen && sameState(list[from], st) {
				continue // the view's own state again (a high watermark's change, say)
			}
			found := -1
			for i := from + 1; i < len(list); i++ {
				if sameState(list[i], st) {
					found = i
					break
				}
			}
			if found < 0 {
				out[key] = append(list, st)
				found = len(list)
			}
			at[vk] = found
		}
		if len(out) > 0 {
			break
		}
	}
	return out
}

// viewKey is one broker's view of one partition.
type viewKey struct {
	broker int
	key    string
}

func sameState(a, b PartitionState) bool {
	return a.Leader == b.Leader && a.Epoch == b.Epoch && slices.Equal(a.ISR, b.ISR) && a.Recovery == b.Recovery &&
		slices.Equal(a.ELR, b.ELR) && slices.Equal(a.LastKnownELR, b.LastKnownELR)
}

// StateAt returns the state in effect at t.
func StateAt(states []PartitionState, t int64) (PartitionState, bool) {
	i := sort.Search(len(states), func(i int) bool { return states[i].Time > t })
	if i == 0 {
		return PartitionState{}, false
	}
	return states[i-1], true
}

// SortPartitionKeys orders "topic-N" keys by topic, then partition number.
func SortPartitionKeys(keys []string) {
	split := func(k string) (string, int) {
		i := strings.LastIndexByte(k, '-')
		if i < 0 {
			return k, -1
		}
		n, err := strconv.Atoi(k[i+1:])
		if err != nil {
			return k, -1
		}
		return k[:i], n
	}
	sort.Slice(keys, func(i, j int) bool {
		ti, pi := split(keys[i])
		tj, pj := split(keys[j])
		if ti != tj {
			return ti < tj
		}
		return pi < pj
	})
}
