package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// The histories in testdata/histories are the shapes issue 9 names, written by hand: each must
// get its verdict from `kafkaesque check --json`, and clean.jsonl is the near miss of them all.
func TestCheckJSONHistoryShapes(t *testing.T) {
	cases := []struct {
		file  string
		code  int
		valid any
		types []string // the anomaly types reported, all of them
	}{
		{"read-then-lost.jsonl", 1, false, []string{"lost-write", "inconsistent-offsets"}},
		{"phantom.jsonl", 1, false, []string{"phantom-read"}},
		{"misrouted.jsonl", 1, false, []string{"phantom-read"}},
		{"skip-after-crash.jsonl", 1, false, []string{"poll-skip"}},
		{"empty.jsonl", 3, "unknown", nil},
		{"clean.jsonl", 0, true, nil},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			code, stdout, stderr := run("check", "--json", filepath.Join("testdata", "histories", tc.file))
			var out struct {
				Valid      any              `json:"valid"`
				Anomalies  map[string][]any `json:"anomalies"`
				Incomplete []string         `json:"incomplete"`
				Warnings   []string         `json:"warnings"`
				Causes     []map[string]any `json:"causes"`
				Lag        []map[string]any `json:"lag"`
			}
			if err := json.Unmarshal([]byte(stdout), &out); err != nil {
				t.Fatalf("exit %d, %v\nstdout: %s\nstderr: %s", code, err, stdout, stderr)
			}
			if code != tc.code || out.Valid != tc.valid {
				t.Errorf("exit %d, valid %v; want %d, %v\n%s", code, out.Valid, tc.code, tc.valid, stdout)
			}
			if len(out.Anomalies) != len(tc.types) {
				t.Errorf("anomaly types %v, want %v", keys(out.Anomalies), tc.types)
			}
			for _, ty := range tc.types {
				if len(out.Anomalies[ty]) != 1 {
					t.Errorf("%s: %d, want 1", ty, len(out.Anomalies[ty]))
				}
			}
			if tc.valid == false && len(out.Causes) != 1 {
				t.Errorf("causes %v, want one", out.Causes)
			}
			if tc.valid == "unknown" && len(out.Incomplete) == 0 {
				t.Errorf("an unknown verdict without a reason")
			}
			if tc.valid == true && (len(out.Warnings) != 0 || len(out.Lag) == 0) {
				t.Errorf("a history with every field: warnings %v, lag %v", out.Warnings, out.Lag)
			}
		})
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// The summary leads with the distinct causes: one truncated write is one cause, shown before
// the per-type counts (lost-write and inconsistent-offsets).
func TestCheckSummaryLeadsWithCauses(t *testing.T) {
	code, stdout, _ := run("check", filepath.Join("testdata", "histories", "read-then-lost.jsonl"))
	lines := strings.Split(stdout, "\n")
	if code != 1 || len(lines) < 3 || !strings.Contains(lines[1], "1 distinct cause(s)") ||
		!strings.Contains(lines[2], "t-0 offset 0: lost-write ×1, inconsistent-offsets ×1") {
		t.Fatalf("exit %d, summary:\n%s", code, stdout)
	}
}
