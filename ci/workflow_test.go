package ci

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// workflow is the part of GitHub Actions' workflow syntax the nightly file may use. Decoding is
// strict: a key this runner does not know fails the test rather than being skipped.
type workflow struct {
	Name        string            `yaml:"name"`
	On          yaml.Node         `yaml:"on"`
	Permissions map[string]string `yaml:"permissions"`
	Env         map[string]string `yaml:"env"`
	Jobs        map[string]*job   `yaml:"jobs"`
}

type job struct {
	Needs          stringList        `yaml:"needs"`
	If             string            `yaml:"if"`
	RunsOn         string            `yaml:"runs-on"`
	TimeoutMinutes int               `yaml:"timeout-minutes"`
	Outputs        map[string]string `yaml:"outputs"`
	Env            map[string]string `yaml:"env"`
	Strategy       struct {
		FailFast *bool               `yaml:"fail-fast"`
		Matrix   map[string][]string `yaml:"matrix"`
	} `yaml:"strategy"`
	Steps []step `yaml:"steps"`
}

type step struct {
	ID   string            `yaml:"id"`
	Name string            `yaml:"name"`
	If   string            `yaml:"if"`
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	With map[string]string `yaml:"with"`
	Env  map[string]string `yaml:"env"`
}

// stringList is `needs:`, a job name or a list of them.
type stringList []string

func (s *stringList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*s = []string{n.Value}
		return nil
	}
	var list []string
	if err := n.Decode(&list); err != nil {
		return err
	}
	*s = list
	return nil
}

func loadWorkflow(t *testing.T, file string) *workflow {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var w workflow
	if err := dec.Decode(&w); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return &w
}

// jobOrder lists the jobs so that each comes after the jobs it needs.
func (w *workflow) jobOrder(t *testing.T) []string {
	t.Helper()
	var order []string
	done := map[string]bool{}
	names := make([]string, 0, len(w.Jobs))
	for name := range w.Jobs {
		names = append(names, name)
	}
	sort.Strings(names)
	for len(order) < len(names) {
		progressed := false
		for _, name := range names {
			if done[name] {
				continue
			}
			ready := true
			for _, need := range w.Jobs[name].Needs {
				if w.Jobs[need] == nil {
					t.Fatalf("job %s needs %s, which is no job", name, need)
				}
				ready = ready && done[need]
			}
			if ready {
				order, done[name], progressed = append(order, name), true, true
			}
		}
		if !progressed {
			t.Fatal("the jobs' needs form a cycle")
		}
	}
	return order
}

// jobResult is what later jobs see of a job: `needs.J.outputs` and whether it failed.
type jobResult struct {
	outputs map[string]string
	failed  bool
}

// stepRun records one `run:` step of one job instance, for the test's assertions.
type stepRun struct {
	job, name string
	matrix    map[string]string
	status    int
	output    string
}

// runner runs a workflow's jobs on this machine: each job instance (one per matrix cell) in a
// fresh copy of the repository, its `run:` steps with bash as GitHub does, the actions it uses
// emulated (checkout: the copy; setup-go: the Go installed here; upload- and download-artifact:
// a directory of artifacts, following symlinks as the upload does).
type runner struct {
	t         *testing.T
	repo      string
	files     []string // the repository's files, as a checkout would have them
	artifacts string
	env       map[string]string // the workflow's env, with the test's overrides
	results   map[string]jobResult
	steps     []stepRun
	job       struct{ index, total int } // the running job's place in its strategy matrix
}

var expression = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)

// expand replaces ${{ ... }} with its value; an expression this runner does not know fails the
// test.
func (r *runner) expand(s string, matrix, stepOutputs map[string]string, ctx string) string {
	job := r.job
	return expression.ReplaceAllStringFunc(s, func(m string) string {
		expr := expression.FindStringSubmatch(m)[1]
		parts := strings.Split(expr, ".")
		switch {
		case len(parts) == 2 && parts[0] == "matrix":
			if v, ok := matrix[parts[1]]; ok {
				return v
			}
		case len(parts) == 2 && parts[0] == "strategy" && parts[1] == "job-total":
			return fmt.Sprint(job.total)
		case len(parts) == 2 && parts[0] == "strategy" && parts[1] == "job-index":
			return fmt.Sprint(job.index)
		case len(parts) == 2 && parts[0] == "inputs":
			return "" // a scheduled night has no inputs
		case len(parts) == 4 && parts[0] == "needs" && parts[2] == "outputs":
			if res, ok := r.results[parts[1]]; ok {
				return res.outputs[parts[3]]
			}
		case len(parts) == 4 && parts[0] == "steps" && parts[2] == "outputs":
			return stepOutputs[parts[1]+"."+parts[3]]
		}
		r.t.Fatalf("%s: unknown expression %q", ctx, expr)
		return ""
	})
}

// condition says whether a step or job with `if: cond` runs, after a failure or not.
func (r *runner) condition(cond string, failed bool, ctx string) bool {
	switch strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(cond), "${{"), "}}")) {
	case "":
		return !failed
	case "always()":
		return true
	}
	r.t.Fatalf("%s: unknown condition %q", ctx, cond)
	return false
}

func (r *runner) runWorkflow(w *workflow) {
	for _, name := range w.jobOrder(r.t) {
		j := w.Jobs[name]
		needFailed := false
		for _, need := range j.Needs {
			needFailed = needFailed || r.results[need].failed
		}
		if !r.condition(j.If, needFailed, "job "+name) {
			r.t.Logf("job %s: skipped (a job it needs failed)", name)
			r.results[name] = jobResult{failed: true}
			continue
		}
		res := jobResult{outputs: map[string]string{}}
		cells := matrixCells(j.Strategy.Matrix)
		for i, matrix := range cells {
			r.job.index, r.job.total = i, len(cells)
			outputs, failed := r.runJob(name, j, matrix)
			res.failed = res.failed || failed
			for k, v := range outputs {
				res.outputs[k] = v
			}
		}
		r.results[name] = res
	}
}

// matrixCells expands a strategy matrix (lists only) into its cells; no matrix is one cell.
func matrixCells(m map[string][]string) []map[string]string {
	cells := []map[string]string{{}}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var next []map[string]string
		for _, c := range cells {
			for _, v := range m[k] {
				n := map[string]string{k: v}
				for ck, cv := range c {
					n[ck] = cv
				}
				next = append(next, n)
			}
		}
		cells = next
	}
	return cells
}

func (r *runner) runJob(name string, j *job, matrix map[string]string) (map[string]string, bool) {
	ctx := fmt.Sprintf("job %s %v", name, matrix)
	workspace := r.t.TempDir()
	runnerTemp := r.t.TempDir()
	stepOutputs := map[string]string{}
	failed := false
	for i, s := range j.Steps {
		sctx := fmt.Sprintf("%s step %d (%s%s)", ctx, i+1, s.Name, s.Uses)
		if !r.condition(s.If, failed, sctx) {
			continue
		}
		with := map[string]string{}
		for k, v := range s.With {
			with[k] = r.expand(v, matrix, stepOutputs, sctx)
		}
		switch {
		case s.Uses != "" && s.Run != "":
			r.t.Fatalf("%s: both uses and run", sctx)
		case s.Uses != "":
			r.uses(s.Uses, with, workspace, sctx)
		default:
			outputFile := filepath.Join(runnerTemp, fmt.Sprintf("output-%d", i))
			env := r.stepEnv(j, s, matrix, stepOutputs, sctx)
			env = append(env, "GITHUB_OUTPUT="+outputFile, "GITHUB_STEP_SUMMARY="+filepath.Join(runnerTemp, "summary"),
				"GITHUB_WORKSPACE="+workspace, "CI=true", "GITHUB_ACTIONS=true")
			script := r.expand(s.Run, matrix, stepOutputs, sctx)
			cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
			cmd.Dir, cmd.Env = workspace, env
			out, err := cmd.CombinedOutput()
			status := 0
			if err != nil {
				status = -1
				if ee, ok := err.(*exec.ExitError); ok {
					status = ee.ExitCode()
				}
			}
			r.t.Logf("%s: %s\nexit %d\n%s", sctx, script, status, tail(out, 40))
			r.steps = append(r.steps, stepRun{job: name, name: s.Name, matrix: matrix, status: status, output: string(out)})
			failed = failed || status != 0
			if s.ID != "" {
				for k, v := range readOutputs(r.t, outputFile) {
					stepOutputs[s.ID+"."+k] = v
				}
			}
		}
	}
	outputs := map[string]string{}
	for k, v := range j.Outputs {
		outputs[k] = r.expand(v, matrix, stepOutputs, ctx+" outputs")
	}
	return outputs, failed
}

func (r *runner) stepEnv(j *job, s step, matrix, stepOutputs map[string]string, ctx string) []string {
	env := os.Environ()
	for _, layer := range []map[string]string{r.env, j.Env, s.Env} {
		keys := make([]string, 0, len(layer))
		for k := range layer {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			env = append(env, k+"="+r.expand(layer[k], matrix, stepOutputs, ctx+" env "+k))
		}
	}
	return env
}

// uses emulates the actions the workflow may use.
func (r *runner) uses(action string, with map[string]string, workspace, ctx string) {
	name, _, _ := strings.Cut(action, "@")
	switch name {
	case "actions/checkout":
		for _, f := range r.files {
			copyPath(r.t, filepath.Join(r.repo, f), filepath.Join(workspace, f))
		}
	case "actions/setup-go":
		if f := with["go-version-file"]; f == "" || !exists(filepath.Join(workspace, f)) {
			r.t.Fatalf("%s: go-version-file %q is not in the checkout", ctx, f)
		}
	case "actions/upload-artifact":
		src := filepath.Join(workspace, with["path"])
		if with["name"] == "" || with["path"] == "" {
			r.t.Fatalf("%s: upload-artifact needs name and path", ctx)
		}
		if !exists(src) { // if-no-files-found: warn, GitHub's default
			r.t.Logf("%s: no files at %s: nothing uploaded", ctx, with["path"])
			return
		}
		copyPath(r.t, src, filepath.Join(r.artifacts, with["name"]))
	case "actions/download-artifact":
		entries, _ := os.ReadDir(r.artifacts)
		for _, e := range entries {
			if ok, err := path.Match(with["pattern"], e.Name()); err != nil {
				r.t.Fatalf("%s: pattern: %v", ctx, err)
			} else if ok {
				copyPath(r.t, filepath.Join(r.artifacts, e.Name()), filepath.Join(workspace, with["path"], e.Name()))
			}
		}
	default:
		r.t.Fatalf("%s: this runner does not know the action %s", ctx, action)
	}
}

func readOutputs(t *testing.T, file string) map[string]string {
	out := map[string]string{}
	data, err := os.ReadFile(file)
	if os.IsNotExist(err) {
		return out
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			out[k] = v
		}
	}
	return out
}

// copyPath copies a file or a tree, following symlinks as upload-artifact does.
func copyPath(t *testing.T, src, dst string) {
	t.Helper()
	st, err := os.Stat(src)
	if err != nil {
		t.Fatal(err)
	}
	if !st.IsDir() {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, st.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
		return
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		copyPath(t, filepath.Join(src, e.Name()), filepath.Join(dst, e.Name()))
	}
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func tail(out []byte, lines int) string {
	all := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(all) > lines {
		all = append([]string{"..."}, all[len(all)-lines:]...)
	}
	return strings.Join(all, "\n")
}

// repoFiles lists the files a checkout of the working tree would have: tracked and new ones,
// not ignored ones.
func repoFiles(t *testing.T, repo string) []string {
	t.Helper()
	cmd := exec.Command("git", "ls-files", "--cached", "--others", "--exclude-standard", "-z")
	cmd.Dir = repo
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	var files []string
	for _, f := range strings.Split(string(out), "\x00") {
		if f != "" && exists(filepath.Join(repo, f)) {
			files = append(files, f)
		}
	}
	return slices.Compact(files)
}
