package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
)

// runStdin is run with stdin as the command's standard input.
func runStdin(stdin io.Reader, args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	root := newRootCmd(&stdout, &stderr)
	root.SetIn(stdin)
	root.SetArgs(args)
	code := exitValid
	if err := root.ExecuteContext(context.Background()); err != nil {
		var st exitStatus
		if !errors.As(err, &st) {
			return exitError, stdout.String(), stderr.String() + err.Error()
		}
		code = int(st)
	}
	return code, stdout.String(), stderr.String()
}

// verdictOf is the verdict and anomaly counts of check --json's output.
func verdictOf(t *testing.T, stdout string) string {
	t.Helper()
	var out struct {
		Valid     any                         `json:"valid"`
		Anomalies map[string][]map[string]any `json:"anomalies"`
		Stats     struct{ Lines, Keys int }   `json:"stats"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	counts := map[string]int{}
	for k, v := range out.Anomalies {
		counts[k] = len(v)
	}
	b, _ := json.Marshal([]any{out.Valid, counts, out.Stats})
	return string(b)
}

func TestCheckStdinGivesTheFilesVerdict(t *testing.T) {
	for _, tc := range []struct {
		name, history string
		code          int
	}{{"valid", clean, exitValid}, {"lost write", lost, exitAnomalies}} {
		t.Run(tc.name, func(t *testing.T) {
			fileCode, fileOut, _ := run("check", "--json", writeFile(t, "h.jsonl", tc.history))
			code, stdout, stderr := runStdin(strings.NewReader(tc.history), "check", "--json", "-")
			if code != tc.code || fileCode != tc.code {
				t.Fatalf("exit %d from stdin, %d from the file; want %d\nstderr: %s", code, fileCode, tc.code, stderr)
			}
			if got, want := verdictOf(t, stdout), verdictOf(t, fileOut); got != want {
				t.Errorf("stdin's result %s, the file's %s", got, want)
			}
			// The summary names standard input where the file's names the file.
			_, summary, _ := runStdin(strings.NewReader(tc.history), "check", "-")
			if !strings.HasPrefix(summary, stdinName+": ") {
				t.Errorf("summary does not name standard input:\n%s", summary)
			}
		})
	}
}

func TestCheckEmptyStdinIsAnError(t *testing.T) {
	code, stdout, stderr := runStdin(strings.NewReader(""), "check", "-")
	if code != exitError || stdout != "" || !strings.Contains(stderr, "standard input is empty") {
		t.Fatalf("exit %d, stdout %q, stderr %q; want exit 2 saying standard input is empty", code, stdout, stderr)
	}
}
