package main

import (
	"context"
	"encoding/json"
	"html"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kafkaesque/kafkaesque/cluster"
	"github.com/kafkaesque/kafkaesque/harness"
	"github.com/kafkaesque/kafkaesque/report/rundir"
	"github.com/kafkaesque/kafkaesque/workloads"
	"github.com/spf13/pflag"
)

// The client flags are recorded before anything starts: a run whose context is already
// cancelled writes config.json (and its report) and stops before any container. The
// allowed set follows the client: kafka-go allows duplicates, idempotent franz-go nothing,
// franz-go with idempotence off duplicates again, for that reason.
func TestClientFlagsRecordedInConfigAndReport(t *testing.T) {
	cluster.RequireDocker(t) // the flags are checked against the node image's labels
	before := managedByUs(t)
	cases := []struct {
		flags      []string
		client     string
		idempotent bool
		duplicate  string // the reason duplicates are allowed; "" when they are not
		shown      string
	}{
		{nil, "kafka-go", false, "kafka-go's producer is not idempotent", "kafka-go, not idempotent, acks=all"},
		{[]string{"--client", "franz"}, "franz", true, "", "franz-go, idempotent, acks=all"},
		{[]string{"--client", "franz", "--idempotent=false"}, "franz", false, "idempotence off", "franz-go, not idempotent, acks=all"},
		{[]string{"--client=franz", "--idempotent=false", "--acks", "1"}, "franz", false, "idempotence off", "franz-go, not idempotent, acks=1"},
	}
	for _, tc := range cases {
		out := filepath.Join(t.TempDir(), "run")
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var stdout, stderr strings.Builder
		args := append([]string{"run", "--out", out, "--seed", "1", "--nemesis", "none", "--time-limit", "10s"}, tc.flags...)
		code := execute(ctx, args, &stdout, &stderr)
		if code != exitError || !strings.Contains(stderr.String(), "context canceled") || strings.Contains(stderr.String(), "--client") {
			t.Errorf("%v: exit %d, stderr %q; want the run to begin and stop at the cancelled context", tc.flags, code, stderr.String())
			continue
		}
		data, err := os.ReadFile(filepath.Join(out, harness.ConfigFile))
		if err != nil {
			t.Fatalf("%v: %v", tc.flags, err)
		}
		var cfg harness.RunConfig
		if err := json.Unmarshal(data, &cfg); err != nil {
			t.Fatalf("%v: %v", tc.flags, err)
		}
		w, p := cfg.Spec.Workload, cfg.Producer
		if p == nil {
			t.Fatalf("%v: config.json records no producer", tc.flags)
		}
		if string(w.Client) != tc.client || w.Idempotent == nil || *w.Idempotent != tc.idempotent ||
			string(p.Client) != tc.client || p.Idempotent != tc.idempotent || p.MaxInFlight < 1 || p.Retries == "" || p.Batching == "" {
			t.Errorf("%v: config.json records workload %+v, producer %+v", tc.flags, w, p)
		}
		why, allowed := cfg.Allowed["duplicate"]
		if allowed != (tc.duplicate != "") || !strings.Contains(why, tc.duplicate) {
			t.Errorf("%v: duplicate allowed %v (%q), want %q", tc.flags, allowed, why, tc.duplicate)
		}
		for _, flag := range tc.flags {
			if name, _, _ := strings.Cut(strings.TrimPrefix(flag, "--"), "="); strings.HasPrefix(flag, "--") && !strings.Contains(cfg.Command, "--"+name+"=") {
				t.Errorf("%v: the reproducing command %q lacks --%s", tc.flags, cfg.Command, name)
			}
		}
		page, err := os.ReadFile(filepath.Join(out, rundir.ReportFile))
		if err != nil {
			t.Fatalf("%v: %v", tc.flags, err)
		}
		if text := html.UnescapeString(string(page)); !strings.Contains(text, "Producer") || !strings.Contains(text, tc.shown) {
			t.Errorf("%v: the report does not show the producer %q", tc.flags, tc.shown)
		}
	}
	if after := managedByUs(t); after != before || after != "" {
		t.Errorf("containers or networks of this process: before %q, after %q", before, after)
	}
}

// A client setting the client cannot run is refused, naming the flag; no Docker needed.
func TestClientFlagsRefused(t *testing.T) {
	cases := []struct {
		args []string
		w    harness.WorkloadSpec
		want string
	}{
		{[]string{"--client", "sarama"}, harness.WorkloadSpec{Acks: workloads.AcksAll}, `--client: client "sarama"`},
		{[]string{"--idempotent"}, harness.WorkloadSpec{Acks: workloads.AcksAll}, "kafka-go's producer cannot be idempotent"},
		{[]string{"--client", "franz"}, harness.WorkloadSpec{Acks: workloads.AcksLeader}, "needs --acks all, got --acks 1 (add --idempotent=false)"},
		{[]string{"--client", "franz", "--idempotent"}, harness.WorkloadSpec{Acks: workloads.AcksNone}, "needs --acks all"},
		{[]string{"--client", "franz", "--idempotent=false"}, harness.WorkloadSpec{Name: harness.WorkloadGroup, Acks: workloads.AcksAll}, "group workload's producers are kafka-go's"},
	}
	for _, tc := range cases {
		var o clientFlags
		fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
		o.register(fs)
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		w := tc.w
		if err := o.apply(&w, fs); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error naming %q", tc.args, err, tc.want)
		}
	}
	// The near misses are accepted, and idempotence stays the client's default unless given.
	for _, args := range [][]string{nil, {"--client", "franz"}, {"--client", "franz", "--idempotent=false"}, {"--idempotent=false"}} {
		var o clientFlags
		fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
		o.register(fs)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		w := harness.WorkloadSpec{Acks: workloads.AcksAll}
		if err := o.apply(&w, fs); err != nil {
			t.Errorf("%v: %v", args, err)
		}
		if (w.Idempotent != nil) != fs.Changed("idempotent") {
			t.Errorf("%v: Idempotent %v, want it set only when the flag is given", args, w.Idempotent)
		}
	}
}
