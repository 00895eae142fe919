package checker

import (
	"fmt"
	"sort"
)

// unconsumed reports each acknowledged value that no group member ever read. The members
// consume up to the high watermark before the run ends (the group's drain), so under
// at-least-once delivery every acked value must reach some member.
func unconsumed(h *groupHistory) []Anomaly {
	read := map[string]map[string]bool{}
	for _, p := range h.polls {
		for key, reads := range p.reads {
			if read[key] == nil {
				read[key] = map[string]bool{}
			}
			for _, rd := range reads {
				read[key][rd.Value] = true
			}
		}
	}
	var out []Anomaly
	for key, values := range h.acked {
		for value, op := range values {
			if read[key][value] {
				continue
			}
			out = append(out, Anomaly{Type: GroupUnconsumed, Key: key, Ops: []int64{op}, Values: []string{value},
				Explanation: fmt.Sprintf("%s was acknowledged (op %d) but no member of the group ever read it", value, op)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Ops[0] < out[j].Ops[0] })
	return out
}
