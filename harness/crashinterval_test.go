package harness

import (
	"strings"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/workloads"
)

// A crash interval is checked with the rest of the spec, before any container starts.
func TestRunSpecCrashInterval(t *testing.T) {
	spec := RunSpec{OutDir: t.TempDir(), Workload: WorkloadSpec{Acks: workloads.AcksAll, CrashInterval: -time.Second}}
	if _, err := spec.withDefaults(); err == nil || !strings.Contains(err.Error(), "crash interval must not be negative") {
		t.Errorf("negative crash interval: error %v", err)
	}
	spec.Workload.CrashInterval, spec.Workload.Name = time.Second, WorkloadGroup
	if _, err := spec.withDefaults(); err == nil || !strings.Contains(err.Error(), "crash-client") {
		t.Errorf("crash interval with the group workload: error %v, want a refusal", err)
	}
	spec.Workload.Name = WorkloadQueue
	got, err := spec.withDefaults()
	if err != nil || got.Workload.CrashInterval != time.Second {
		t.Errorf("queue with a crash interval: %v, interval %s", err, got.Workload.CrashInterval)
	}
}
