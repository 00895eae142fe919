package runcheck

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/history"
)

// faultAudit reads the nemesis' ops for what makes a run's verdict unknown: a run that did not
// do what it set out to do proves nothing either way. An injection whose completion carries an
// error (or is a fail) did not happen; a recovery or heal-all that failed left the cluster
// broken for the rest of the run; a nemesis op with no completion never finished.
type faultAudit struct {
	pending  *nemesisInvoke // the nemesis' outstanding invocation (it does one thing at a time)
	injected int            // injections that completed without error
	reasons  []string
}

// nemesisInvoke is what faultAudit keeps of a nemesis invocation.
type nemesisInvoke struct {
	F     string
	Index int64
}

func newFaultAudit() *faultAudit { return &faultAudit{} }

func (a *faultAudit) observe(op history.Op) error {
	if op.Process != history.NemesisProcess {
		return nil
	}
	if op.Type == history.Invoke {
		if a.pending != nil {
			a.reasons = append(a.reasons, fmt.Sprintf("nemesis %s (op %d) never completed", a.pending.F, a.pending.Index))
		}
		a.pending = &nemesisInvoke{F: op.F, Index: op.Index}
		return nil
	}
	a.pending = nil
	failed := op.Error != "" || op.Type == history.Fail
	why := op.Error
	if why == "" {
		why = "it completed as " + string(op.Type)
	}
	switch op.F {
	case history.FRecover:
		if failed {
			a.reasons = append(a.reasons, fmt.Sprintf("recovery of %s (op %d) failed: %s", describeFault(op), op.Index, why))
		}
	case history.FHealAll:
		if failed {
			a.reasons = append(a.reasons, fmt.Sprintf("heal-all (op %d) failed: %s", op.Index, why))
		}
	case history.FAwaitRecovery:
		if failed {
			a.reasons = append(a.reasons, fmt.Sprintf("the cluster had not recovered when the final drain began (op %d): %s", op.Index, why))
		}
	default:
		if failed {
			a.reasons = append(a.reasons, fmt.Sprintf("fault %s (op %d) was not injected: %s", describeFault(op), op.Index, why))
		} else {
			a.injected++
		}
	}
	return nil
}

// finish returns the reasons for an unknown verdict. planned are the fault names the run set
// out to inject (its config); with none injected, the run tested nothing it meant to.
func (a *faultAudit) finish(planned []string) []string {
	if a.pending != nil {
		a.reasons = append(a.reasons, fmt.Sprintf("nemesis %s (op %d) never completed", a.pending.F, a.pending.Index))
		a.pending = nil
	}
	if len(planned) > 0 && a.injected == 0 {
		a.reasons = append(a.reasons, fmt.Sprintf("the run planned faults (%s) but the history shows none injected", strings.Join(planned, ", ")))
	}
	return a.reasons
}

// describeFault names a nemesis completion's fault and nodes, e.g. "kill-leader on kafka2".
func describeFault(op history.Op) string {
	var v nemesisValue
	_ = json.Unmarshal(op.Value, &v) // free-form: what is missing stays empty
	name := v.Fault
	if name == "" {
		name = op.F
	}
	if len(v.Nodes) > 0 {
		name += " on " + strings.Join(v.Nodes, ",")
	}
	return name
}

// FaultCount is how often one fault was injected, by name.
type FaultCount struct {
	Fault          string `json:"fault"`
	Attempts       int    `json:"attempts"`        // injections tried
	Failed         int    `json:"failed"`          // of those, injections that failed
	RecoveryFailed int    `json:"recovery_failed"` // recoveries that failed
}

// String reads like "kill-leader ×3 (1 failed, 1 recovery failed)".
func (c FaultCount) String() string {
	s := fmt.Sprintf("%s ×%d", c.Fault, c.Attempts)
	var bad []string
	if c.Failed > 0 {
		bad = append(bad, fmt.Sprintf("%d failed", c.Failed))
	}
	if c.RecoveryFailed > 0 {
		bad = append(bad, fmt.Sprintf("%d recovery failed", c.RecoveryFailed))
	}
	if len(bad) > 0 {
		s += " (" + strings.Join(bad, ", ") + ")"
	}
	return s
}

// CountFaults counts a result's faults by name, in order of first injection.
func CountFaults(faults []checker.FaultImpact) []FaultCount {
	var counts []FaultCount
	index := map[string]int{}
	for _, f := range faults {
		i, seen := index[f.Fault]
		if !seen {
			i, index[f.Fault] = len(counts), len(counts)
			counts = append(counts, FaultCount{Fault: f.Fault})
		}
		c := &counts[i]
		c.Attempts++
		if f.Error != "" {
			c.Failed++
		}
		if f.RecoveryError != "" {
			c.RecoveryFailed++
		}
	}
	return counts
}
