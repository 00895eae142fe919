package group

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/history"
)

// ackedSend is an acknowledged send: its completion's index and its offset.
type ackedSend struct{ op, offset int64 }

// ackedLog is every acknowledged send, in history order. A queue history has millions and no
// group op to judge them against, so they are kept compactly, without a pointer, until Finish
// needs them by key and value (byKey).
type ackedLog struct {
	keys  []string
	keyID map[string]int32
	sends []ackedEntry
	// values holds the values' bytes, in chunks that are never reallocated.
	values [][]byte
}

type ackedEntry struct {
	ackedSend
	key        int32
	chunk, off uint32
	len        uint32
}

const ackedChunk = 1 << 20

func (l *ackedLog) add(key, value []byte, s ackedSend) {
	id, ok := l.keyID[string(key)]
	if !ok {
		if l.keyID == nil {
			l.keyID = map[string]int32{}
		}
		id = int32(len(l.keys))
		l.keys = append(l.keys, string(key))
		l.keyID[l.keys[id]] = id
	}
	n := len(l.values)
	if n == 0 || len(l.values[n-1])+len(value) > cap(l.values[n-1]) {
		l.values = append(l.values, make([]byte, 0, max(ackedChunk, len(value))))
		n++
	}
	chunk := &l.values[n-1]
	e := ackedEntry{ackedSend: s, key: id, chunk: uint32(n - 1), off: uint32(len(*chunk)), len: uint32(len(value))}
	*chunk = append(*chunk, value...)
	l.sends = append(l.sends, e)
}

// ackedByKey maps each key to its acknowledged values (ackedLog.byKey), from the shared record
// when there is one.
func (h *groupHistory) ackedByKey() map[string]map[string]ackedSend {
	if h.shared == nil {
		return h.acked.byKey()
	}
	out := map[string]map[string]ackedSend{}
	h.shared.EachAckedSend(func(key, value string, op, offset int64) {
		if out[key] == nil {
			out[key] = map[string]ackedSend{}
		}
		out[key][value] = ackedSend{op: op, offset: offset}
	})
	return out
}

// byKey maps each key to its acknowledged values, a value acknowledged twice to its last send.
func (l *ackedLog) byKey() map[string]map[string]ackedSend {
	out := make(map[string]map[string]ackedSend, len(l.keys))
	for _, e := range l.sends {
		key := l.keys[e.key]
		if out[key] == nil {
			out[key] = map[string]ackedSend{}
		}
		out[key][string(l.values[e.chunk][e.off:e.off+e.len])] = e.ackedSend
	}
	return out
}

// finalDrain is what the final drain's polls (marked "drain") showed: the highest high watermark
// each key's ok drain polls returned. The group's members must have read up to it for
// group-unconsumed to be decided.
type finalDrain struct {
	marked bool             // some poll is marked "drain": the history records its final drain
	hw     map[string]int64 // key -> highest hw of its ok drain polls
	open   map[int]bool     // processes with a drain poll in flight
}

func newFinalDrain() finalDrain {
	return finalDrain{hw: map[string]int64{}, open: map[int]bool{}}
}

// invoke notes a queue poll's invocation; only the drain's matter.
func (d *finalDrain) invoke(process int, v groupValue) {
	if !v.Drain {
		return
	}
	d.marked = true
	d.open[process] = true
}

func (d *finalDrain) isOpen(process int) bool { return d.open[process] }

// complete notes a drain poll's completion: an ok one's high watermarks (its reads are not
// decoded).
func (d *finalDrain) complete(op history.Op) error {
	delete(d.open, op.Process)
	if op.Type != history.OK {
		return nil
	}
	var v struct {
		HW map[string]int64 `json:"hw"`
	}
	if err := json.Unmarshal(op.Value, &v); err != nil {
		return fmt.Errorf("drain poll value: %w", err)
	}
	for k, hw := range v.HW {
		if cur, ok := d.hw[k]; !ok || hw > cur {
			d.hw[k] = hw
		}
	}
	return nil
}

// consumedVerdict is what unconsumed decided.
type consumedVerdict struct {
	anomalies  []checker.Anomaly
	incomplete []string // keys whose unread values could not be judged, and why
	warnings   []string
	unknown    int64 // unread values not judged
}

// unconsumed reports each acknowledged value that no group member ever read. The members
// consume up to the high watermark before the run ends (the group's drain), so under
// at-least-once delivery every acked value must reach some member. Whether they did is read
// from the history: a key is caught up when some member's poll reached the final high
// watermark the final drain's polls saw. Where it is not, an unread value below the furthest
// offset a member reached is still reported (members read past it), but one at or beyond it
// may simply not have been read yet: unknown, never group-unconsumed. A history without drain
// markers cannot tell, so it is judged as if the group caught up, and says so.
func unconsumed(h *groupHistory) consumedVerdict {
	read := map[string]map[string]bool{}
	reach := map[string]int64{} // key -> furthest position a member's ok poll reached
	for _, p := range h.polls {
		for key, from := range p.from {
			reach[key] = max(reach[key], from)
		}
		for key, reads := range p.reads {
			if read[key] == nil {
				read[key] = map[string]bool{}
			}
			for _, rd := range reads {
				read[key][rd.Value] = true
				reach[key] = max(reach[key], rd.Offset+1)
			}
		}
	}
	var out consumedVerdict
	unknown := map[string]int64{}
	for key, values := range h.ackedByKey() {
		final, known := h.drain.hw[key]
		caughtUp := !h.drain.marked || known && reach[key] >= final
		for value, s := range values {
			if read[key][value] {
				continue
			}
			if !caughtUp && s.offset >= reach[key] {
				unknown[key]++
				continue
			}
			out.anomalies = append(out.anomalies, checker.Anomaly{Type: checker.GroupUnconsumed, Key: key, Ops: []int64{s.op}, Offsets: []int64{s.offset}, Values: []string{value},
				Explanation: fmt.Sprintf("%s was acknowledged at offset %d (op %d) but no member of the group ever read it", value, s.offset, s.op)})
		}
	}
	sort.Slice(out.anomalies, func(i, j int) bool { return out.anomalies[i].Ops[0] < out.anomalies[j].Ops[0] })
	keys := make([]string, 0, len(unknown))
	for key := range unknown {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		why := fmt.Sprintf("the final drain learned no high watermark of %s", key)
		if final, ok := h.drain.hw[key]; ok {
			why = fmt.Sprintf("the final high watermark of %s is %d", key, final)
		}
		out.incomplete = append(out.incomplete, fmt.Sprintf(
			"the group's drain did not catch up on %s: members reached offset %d and %s; %d acknowledged values there that no member read are unknown, not group-unconsumed",
			key, reach[key], why, unknown[key]))
		out.unknown += unknown[key]
	}
	if !h.drain.marked && len(out.anomalies) > 0 {
		out.warnings = append(out.warnings, `no poll is marked "drain" (a history from before drain markers): group-unconsumed assumes the group's drain caught up on every partition`)
	}
	return out
}
