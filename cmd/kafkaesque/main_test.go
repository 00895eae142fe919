package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kafkaesque/kafkaesque/history/historygen"
)

const (
	clean = `{"index":0,"time":0,"process":0,"type":"invoke","f":"send","value":{"key":"t-0","value":"a"}}
{"index":1,"time":5,"process":0,"type":"ok","f":"send","value":{"key":"t-0","value":"a","offset":0}}
{"index":2,"time":6,"process":1,"type":"invoke","f":"poll","value":{"keys":["t-0"]}}
{"index":3,"time":9,"process":1,"type":"ok","f":"poll","value":{"reads":{"t-0":[[0,"a"]]}}}
`
	// a is acknowledged but a poll reads past it without seeing it.
	lost = `{"index":0,"time":0,"process":0,"type":"invoke","f":"send","value":{"key":"t-0","value":"a"}}
{"index":1,"time":5,"process":0,"type":"ok","f":"send","value":{"key":"t-0","value":"a","offset":0}}
{"index":2,"time":6,"process":0,"type":"invoke","f":"send","value":{"key":"t-0","value":"b"}}
{"index":3,"time":8,"process":0,"type":"ok","f":"send","value":{"key":"t-0","value":"b","offset":1}}
{"index":4,"time":9,"process":1,"type":"invoke","f":"poll","value":{"keys":["t-0"]}}
{"index":5,"time":12,"process":1,"type":"ok","f":"poll","value":{"reads":{"t-0":[[1,"b"]]}}}
`
)

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func run(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := execute(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestCheckExitCodes(t *testing.T) {
	cases := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"valid", []string{"check", writeFile(t, "ok.jsonl", clean)}, 0, "valid", ""},
		{"empty", []string{"check", writeFile(t, "empty.jsonl", "")}, 3, "unknown", ""},
		{"lost write", []string{"check", writeFile(t, "lost.jsonl", lost)}, 1, "lost-write: 1", ""},
		{"allowed", []string{"check", "--allow", "lost-write", writeFile(t, "lost2.jsonl", lost)}, 0, "(allowed)", ""},
		{"flags after file", []string{"check", writeFile(t, "lost3.jsonl", lost), "--allow=lost-write,unseen"}, 0, "(allowed)", ""},
		{"two files", []string{"check", "a.jsonl", "b.jsonl"}, 2, "", "exactly one"},
		{"corrupt", []string{"check", writeFile(t, "bad.jsonl", strings.Replace(clean, `"index":2,`, `"index":2`, 1))}, 2, "", "line 3"},
		{"truncated tail", []string{"check", writeFile(t, "cut.jsonl", clean+`{"index":4,"ti`)}, 0, "valid", "line 5"},
		{"missing file", []string{"check", filepath.Join(t.TempDir(), "nope.jsonl")}, 2, "", "no such file"},
		{"unknown allow", []string{"check", "--allow", "lost-writes", "x"}, 2, "", `"lost-writes"`},
		{"unknown flag", []string{"check", "--frobnicate", "x"}, 2, "", "frobnicate"},
		{"timeout", []string{"check", "--time-limit", "1ns", writeFile(t, "ok2.jsonl", clean)}, 3, "unknown", ""},
		{"unknown command", []string{"frob"}, 2, "", `unknown command "frob"`},
		{"no command", nil, 2, "", "usage"},
		{"help", []string{"help"}, 0, "check", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := run(tc.args...)
			if code != tc.code || !strings.Contains(stdout, tc.stdout) || !strings.Contains(stderr, tc.stderr) {
				t.Fatalf("exit %d (want %d)\nstdout: %s\nstderr: %s", code, tc.code, stdout, stderr)
			}
		})
	}
}

func TestCheckJSON(t *testing.T) {
	code, stdout, _ := run("check", "--json", writeFile(t, "lost.jsonl", lost))
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	var out struct {
		Valid     any                         `json:"valid"`
		Anomalies map[string][]map[string]any `json:"anomalies"`
		Stats     map[string]any              `json:"stats"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if out.Valid != false || len(out.Anomalies["lost-write"]) != 1 || out.Stats["lines"] != float64(6) {
		t.Fatalf("unexpected result: %s", stdout)
	}
	code, stdout, _ = run("check", "--json", writeFile(t, "ok.jsonl", clean))
	if code != 0 || !strings.Contains(stdout, `"valid": true`) || !strings.Contains(stdout, `"anomalies": {}`) {
		t.Fatalf("exit %d: %s", code, stdout)
	}
}

func TestCheckGeneratedHistory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gen.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := historygen.Default(20000)
	cfg.InfoRate, cfg.FailRate = 0.05, 0.05
	if _, err := historygen.Generate(f, cfg); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if code, stdout, stderr := run("check", path); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
}
