package main

import (
	"strings"
	"testing"
)

// A failed injection and a failed recovery make `check` exit 3 and say why, and the summary
// lists the faults injected by name.
func TestCheckSummaryNamesFailedFaults(t *testing.T) {
	nemesis := `{"index":4,"time":10,"process":-1,"type":"invoke","f":"kill-leader","value":{"fault":"kill-leader"}}
{"index":5,"time":11,"process":-1,"type":"info","f":"kill-leader","value":{"fault":"kill-leader","partition":"t-0"},"error":"find the leader of t-0: no leader"}
{"index":6,"time":20,"process":-1,"type":"invoke","f":"pause-leader","value":{"fault":"pause-leader"}}
{"index":7,"time":21,"process":-1,"type":"info","f":"pause-leader","value":{"fault":"pause-leader","nodes":["kafka1"]}}
{"index":8,"time":30,"process":-1,"type":"invoke","f":"recover","value":{"fault":"pause-leader","nodes":["kafka1"]}}
{"index":9,"time":31,"process":-1,"type":"info","f":"recover","value":{"fault":"pause-leader","nodes":["kafka1"]},"error":"resume kafka1: no JVM"}
`
	code, stdout, stderr := run("check", writeFile(t, "faults.jsonl", clean+nemesis))
	for _, want := range []string{
		"unknown: fault kill-leader (op 5) was not injected: find the leader of t-0: no leader",
		"unknown: recovery of pause-leader on kafka1 (op 9) failed: resume kafka1: no JVM",
		"faults injected: kill-leader ×1 (1 failed), pause-leader ×1 (1 recovery failed)",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the summary lacks %q", want)
		}
	}
	if code != exitUnknown {
		t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, exitUnknown, stdout, stderr)
	}
	// The near miss: faults that went as planned leave the verdict valid.
	ok := strings.ReplaceAll(strings.ReplaceAll(nemesis, `,"error":"find the leader of t-0: no leader"`, ""), `,"error":"resume kafka1: no JVM"`, "")
	code, stdout, _ = run("check", writeFile(t, "ok.jsonl", clean+ok))
	if code != exitValid || !strings.Contains(stdout, "faults injected: kill-leader ×1, pause-leader ×1") {
		t.Errorf("faults that worked: exit %d\n%s", code, stdout)
	}
}
