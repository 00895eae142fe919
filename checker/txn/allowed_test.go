package txn

import (
	"slices"
	"testing"

	"github.com/kafkaesque/kafkaesque/checker"
)

// The allowed table: int-send-skip and G0 always; aborted, precommitted reads and G1c only at
// read-uncommitted; torn-transaction never. Every type is a known one, with a reason.
func TestAllowed(t *testing.T) {
	always := []checker.AnomalyType{checker.IntSendSkip, checker.G0, checker.G0Process, checker.G0Realtime}
	uncommitted := []checker.AnomalyType{checker.AbortedRead, checker.PrecommittedRead, checker.G1c, checker.G1cProcess, checker.G1cRealtime}
	for _, level := range []string{ReadCommitted, ReadUncommitted, "bogus"} {
		got := Allowed(level)
		want := slices.Clone(always)
		if level == ReadUncommitted {
			want = append(want, uncommitted...)
		}
		if len(got) != len(want) {
			t.Errorf("%s: %d types allowed, want %d: %v", level, len(got), len(want), got)
		}
		for _, ty := range want {
			if got[ty] == "" {
				t.Errorf("%s: %s not allowed with a reason", level, ty)
			}
			if _, err := checker.ParseAnomalyType(string(ty)); err != nil {
				t.Error(err)
			}
		}
		if _, ok := got[checker.TornTransaction]; ok {
			t.Errorf("%s: torn-transaction allowed", level)
		}
	}
}
