package report

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kafkaesque/kafkaesque/report/rundir"
)

// MergeResults folds the results directories srcs (a sweep's shards, or several machines' runs)
// into dst without re-running anything, then rebuilds dst's index (WriteIndex). Each run
// directory is copied whole, files' contents and mtimes kept (hard-linked where the file system
// allows). A run directory already in dst, or in an earlier src, under the same name is skipped
// when it is the same run (the same results.json and config.json bytes; history.jsonl's for a
// run with neither) and refused when it is another, so merging twice changes nothing. Other
// top-level entries (sweeps/<id>/ with a sweep's JUnit file and summary) are merged file by file
// by the same rule. The sources' index.html, index.json and latest are not copied: they are
// rebuilt. Nothing is copied when any conflict is found. merged lists the run directories of
// srcs as their paths in dst.
func MergeResults(dst string, srcs []string) (merged []string, err error) {
	merged, _, err = MergeResultsDeriving(dst, srcs, nil)
	return merged, err
}

// MergeResultsDeriving is MergeResults for a caller that rebuilds some of the files outside the
// run directories after the merge: derived(rel) says so of a file's path relative to its results
// directory, and such files are neither compared nor copied. It also returns the index it wrote.
func MergeResultsDeriving(dst string, srcs []string, derived func(rel string) bool) (merged []string, index []IndexEntry, err error) {
	if len(srcs) == 0 {
		return nil, nil, errors.New("merge: no results directories to merge")
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return nil, nil, fmt.Errorf("merge: %w", err)
	}
	if err := indexWritable(dst); err != nil {
		return nil, nil, fmt.Errorf("merge into %s: %w", dst, err)
	}
	p := &mergePlan{dst: dst, runs: map[string]string{}, files: map[string]string{}, derived: derived}
	for _, src := range srcs {
		if err := p.addSource(src); err != nil {
			return nil, nil, err
		}
	}
	for _, c := range p.copies {
		if err := c.do(); err != nil {
			return nil, nil, fmt.Errorf("merge %s: %w", c.from, err)
		}
	}
	for name := range p.runs {
		merged = append(merged, filepath.Join(dst, name))
	}
	sort.Strings(merged)
	index, err = WriteIndexEntries(dst)
	return merged, index, err
}

// mergePlan is what a merge will copy, found before anything is: a conflict copies nothing.
type mergePlan struct {
	dst    string
	runs   map[string]string // run directory name -> the source path it comes from
	files  map[string]string // path under dst of a file outside the runs -> its source path
	copies []mergeCopy
	// derived says which files outside the runs the caller rebuilds: they are not copied.
	derived func(rel string) bool
}

type mergeCopy struct {
	from, to string
	run      bool // a whole run directory, copied under a temporary name and renamed
}

func (c mergeCopy) do() error {
	if c.run {
		return copyRunDir(c.from, c.to)
	}
	return copyEntry(c.from, c.to)
}

// rebuiltByIndex says whether a results directory's top-level entry is WriteIndex's: its
// pages, cache and link, and their temporary files.
func rebuiltByIndex(e fs.DirEntry) bool {
	name := e.Name()
	for _, f := range []string{rundir.ReportFile, IndexJSONFile, IndexCacheFile, LatestLink} {
		if strings.HasPrefix(name, "."+f+".tmp-") {
			return true
		}
	}
	if name == LatestLink {
		return e.Type()&fs.ModeSymlink != 0
	}
	return (name == rundir.ReportFile || name == IndexJSONFile || name == IndexCacheFile) && e.Type().IsRegular()
}

func (p *mergePlan) addSource(src string) error {
	if err := checkSource(src, p.dst); err != nil {
		return err
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	for _, e := range entries {
		path := filepath.Join(src, e.Name())
		switch {
		case rebuiltByIndex(e):
		case e.Name() == LatestLink && e.IsDir():
			// An artifact upload follows the link and stores a copy of the run it named.
			if err := copyOfARun(path, src, entries); err != nil {
				return err
			}
		case e.IsDir() && rundir.IsRunDir(path):
			if err := p.addRun(e.Name(), path); err != nil {
				return err
			}
		case e.IsDir() && looksLikeResultsDir(path):
			return fmt.Errorf("merge: %s is itself a results directory (it holds run directories or an index): pass it as a source of its own", path)
		default:
			if err := p.addTree(path, e.Name()); err != nil {
				return err
			}
		}
	}
	return nil
}

// copyOfARun accepts a `latest` directory that is a copy of another run directory of its
// source (upload-artifact stores a symlink's target), and refuses any other: it would be lost.
func copyOfARun(latest, src string, entries []fs.DirEntry) error {
	for _, e := range entries {
		if e.Name() == LatestLink || !e.IsDir() {
			continue
		}
		other := filepath.Join(src, e.Name())
		if !rundir.IsRunDir(other) {
			continue
		}
		if same, _, err := sameRun(latest, other); err == nil && same {
			return nil
		}
	}
	return fmt.Errorf("merge: %s is a directory, not the link to the newest run, and no copy of another run of %s: rename it to merge it", latest, src)
}

// checkSource refuses a source that is no results directory, or is dst or nested in it.
func checkSource(src, dst string) error {
	st, err := os.Stat(src)
	if err != nil {
		return fmt.Errorf("merge: source %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("merge: source %s is not a directory", src)
	}
	a, errA := filepath.Abs(src)
	b, errB := filepath.Abs(dst)
	if err := errors.Join(errA, errB); err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	if real, err := filepath.EvalSymlinks(a); err == nil {
		a = real
	}
	if real, err := filepath.EvalSymlinks(b); err == nil {
		b = real
	}
	if within(a, b) || within(b, a) {
		return fmt.Errorf("merge: source %s and destination %s are the same directory or one holds the other", src, dst)
	}
	if err := indexWritable(src); err != nil {
		return fmt.Errorf("merge: source %s is not a results directory: %w", src, err)
	}
	if !looksLikeResultsDir(src) {
		if nested := nestedResultsDirs(src); len(nested) > 0 {
			return fmt.Errorf("merge: source %s is not a results directory but holds some (%s): pass each as a source of its own", src, strings.Join(nested, ", "))
		}
		return fmt.Errorf("merge: source %s is not a results directory: it holds no run directories and no %s", src, IndexJSONFile)
	}
	return nil
}

func within(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// looksLikeResultsDir reports whether dir holds index.json, a results index or a run directory.
func looksLikeResultsDir(dir string) bool {
	if _, err := os.Stat(filepath.Join(dir, IndexJSONFile)); err == nil {
		return true
	}
	if page, err := os.ReadFile(filepath.Join(dir, rundir.ReportFile)); err == nil && isResultsIndex(page) {
		return true
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.IsDir() && rundir.IsRunDir(filepath.Join(dir, e.Name())) {
			return true
		}
	}
	return false
}

// nestedResultsDirs lists the subdirectories of dir that are results directories.
func nestedResultsDirs(dir string) []string {
	var out []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.IsDir() && looksLikeResultsDir(filepath.Join(dir, e.Name())) {
			out = append(out, e.Name())
		}
	}
	return out
}

func (p *mergePlan) addRun(name, path string) error {
	if from, ok := p.runs[name]; ok {
		same, why, err := sameRun(from, path)
		if err != nil || !same {
			return runConflict(name, from, path, why, err)
		}
		return nil
	}
	target := filepath.Join(p.dst, name)
	switch st, err := os.Lstat(target); {
	case errors.Is(err, os.ErrNotExist):
		p.copies = append(p.copies, mergeCopy{from: path, to: target, run: true})
	case err != nil:
		return fmt.Errorf("merge: %w", err)
	case !st.IsDir() || !rundir.IsRunDir(target):
		return fmt.Errorf("merge: run directory %s: %s exists and is not a run directory", path, target)
	default:
		if same, why, err := sameRun(target, path); err != nil || !same {
			return runConflict(name, target, path, why, err)
		}
	}
	p.runs[name] = path
	return nil
}

func runConflict(name, a, b, why string, err error) error {
	if err != nil {
		return fmt.Errorf("merge: run directory %s: comparing %s and %s: %w", name, a, b, err)
	}
	return fmt.Errorf("merge: two different run directories named %s: %s and %s (%s); rename one to merge both", name, a, b, why)
}

// sameRun compares two run directories by results.json and config.json (a file missing from both
// is the same), or by history.jsonl when neither has either: why names a file that differs.
func sameRun(a, b string) (same bool, why string, err error) {
	compared := 0
	for _, f := range []string{rundir.ResultsFile, rundir.ConfigFile, rundir.HistoryFile} {
		if f == rundir.HistoryFile && compared > 0 {
			break
		}
		fa, fb := filepath.Join(a, f), filepath.Join(b, f)
		_, errA := os.Stat(fa)
		_, errB := os.Stat(fb)
		switch {
		case errors.Is(errA, os.ErrNotExist) && errors.Is(errB, os.ErrNotExist):
			continue
		case errors.Is(errA, os.ErrNotExist) || errors.Is(errB, os.ErrNotExist):
			return false, "only one has " + f, nil
		}
		compared++
		if eq, err := sameFileContents(fa, fb); err != nil || !eq {
			return false, f + " differs", err
		}
	}
	return true, "", nil
}

// addTree plans the copy of a top-level entry that is not a run: each file under it whose twin
// is not already in dst (or planned from an earlier source).
func (p *mergePlan) addTree(root, rel string) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("merge: %w", err)
		}
		sub, err := filepath.Rel(root, path)
		if err != nil {
			return fmt.Errorf("merge: %w", err)
		}
		target := filepath.Join(p.dst, rel, sub)
		if !d.IsDir() && p.derived != nil && p.derived(filepath.Join(rel, sub)) {
			return nil
		}
		if d.IsDir() {
			if st, err := os.Lstat(target); err == nil && !st.IsDir() {
				return fmt.Errorf("merge: %s is a directory but %s is not", path, target)
			}
			return nil
		}
		if from, ok := p.files[target]; ok {
			if same, err := sameEntry(from, path); err != nil || !same {
				return fileConflict(from, path, err)
			}
			return nil
		}
		switch _, err := os.Lstat(target); {
		case errors.Is(err, os.ErrNotExist):
			p.copies = append(p.copies, mergeCopy{from: path, to: target})
		case err != nil:
			return fmt.Errorf("merge: %w", err)
		default:
			if same, err := sameEntry(target, path); err != nil || !same {
				return fileConflict(target, path, err)
			}
		}
		p.files[target] = path
		return nil
	})
}

func fileConflict(a, b string, err error) error {
	if err != nil {
		return fmt.Errorf("merge: comparing %s and %s: %w", a, b, err)
	}
	return fmt.Errorf("merge: %s and %s differ: refusing to replace one with the other", a, b)
}
