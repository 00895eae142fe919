package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/kafkaesque/kafkaesque/report/rundir"
)

// Files WriteIndex writes into a results directory, next to its index.html.
const (
	IndexJSONFile = "index.json"
	LatestLink    = "latest" // a relative symlink to the newest run directory
)

// indexFormat is index.json's format version: readers refuse another.
const indexFormat = 1

// IndexFile is index.json: the results directory's runs, newest first.
type IndexFile struct {
	Format    int          `json:"format"`
	Generated string       `json:"generated"` // RFC 3339, UTC
	Runs      []IndexEntry `json:"runs"`
}

// BuildIndex reads every run directory of resultsDir, newest first (then by name, descending).
// A directory counts as a run if it holds results.json, config.json or history.jsonl; symlinks
// (latest among them) and files are not runs.
func BuildIndex(resultsDir string) ([]IndexEntry, error) {
	runs, _, err := scanRuns(resultsDir, loadIndexCache(resultsDir))
	if err != nil {
		return nil, err
	}
	entries := make([]IndexEntry, len(runs))
	for i, r := range runs {
		entries[i] = r.Entry
	}
	return entries, nil
}

// scanRuns reads resultsDir's runs, each from cache when its files' stamp is unchanged; fresh
// is the cache of the runs it found.
func scanRuns(resultsDir string, cache indexCache) (runs []indexRun, fresh map[string]cachedRun, err error) {
	dirents, err := os.ReadDir(resultsDir)
	if err != nil {
		return nil, nil, fmt.Errorf("results index: %w", err)
	}
	fresh = map[string]cachedRun{}
	for _, e := range dirents {
		if !e.IsDir() { // a symlink's entry is no directory: latest is never read as a run
			continue
		}
		dir := filepath.Join(resultsDir, e.Name())
		stamp, stamped := runStamp(dir)
		run, ok := cache.get(e.Name(), stamp)
		if !stamped || !ok {
			run, ok = readIndexRun(dir, e.Name())
		}
		if !ok {
			continue
		}
		runs = append(runs, run)
		// A stamp taken before the read: a file changed during it is read again next time.
		if stamped {
			fresh[e.Name()] = toCached(run, stamp)
		}
	}
	sort.SliceStable(runs, func(i, j int) bool {
		a, b := runs[i].Entry, runs[j].Entry
		if !a.started.Equal(b.started) {
			return a.started.After(b.started)
		}
		return a.Run > b.Run
	})
	return runs, fresh, nil
}

// WriteIndex writes resultsDir's index.json and index.html (each atomically) and points
// resultsDir/latest at the newest run. index.html groups the runs by configuration, with each
// configuration's verdicts by day, above the list of every run.
// It refuses (ErrNotResultsDir) to replace an index.html that is not a results index, or to
// write into a run directory, whose index.html is the run's report.
func WriteIndex(resultsDir string) error {
	_, err := WriteIndexEntries(resultsDir)
	return err
}

// WriteIndexEntries is WriteIndex, returning the entries it wrote, for a caller that needs them
// too (BuildIndex after WriteIndex would read every run directory twice).
func WriteIndexEntries(resultsDir string) ([]IndexEntry, error) {
	if err := indexWritable(resultsDir); err != nil {
		return nil, err
	}
	runs, fresh, err := scanRuns(resultsDir, loadIndexCache(resultsDir))
	if err != nil {
		return nil, err
	}
	writeIndexCache(resultsDir, fresh)
	now := time.Now().UTC().Format(time.RFC3339)
	file := IndexFile{Format: indexFormat, Generated: now, Runs: make([]IndexEntry, len(runs))}
	for i, r := range runs {
		file.Runs[i] = r.Entry
	}
	data, err := json.MarshalIndent(file, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("results index: %w", err)
	}
	if err := writeAtomic(resultsDir, IndexJSONFile, append(data, '\n')); err != nil {
		return nil, err
	}
	var page bytes.Buffer
	view := struct {
		Title     string
		Generated string
		History   historyView
		Runs      []indexRun
	}{indexTitle, now, buildHistory(runs, historyDays), runs}
	if err := pageTemplates.ExecuteTemplate(&page, "index.html.tmpl", view); err != nil {
		return nil, fmt.Errorf("render results index: %w", err)
	}
	if err := writeAtomic(resultsDir, rundir.ReportFile, page.Bytes()); err != nil {
		return nil, err
	}
	newest := ""
	if len(runs) > 0 {
		newest = runs[0].Entry.Run
	}
	return file.Runs, pointLatest(resultsDir, newest)
}

// indexTitle is the results index's title; its <title> tells a page WriteIndex wrote.
const indexTitle = "Kafkaesque runs"

// isResultsIndex reports whether a page is a results index that WriteIndex wrote.
func isResultsIndex(page []byte) bool {
	return bytes.Contains(page, []byte("<title>"+indexTitle+"</title>"))
}

// ErrNotResultsDir is WriteIndex's refusal to write where its page would replace another.
var ErrNotResultsDir = errors.New("not a directory of run directories")

// CheckResultsDir says why WriteIndex would refuse resultsDir, before runs are written into it:
// it is a run directory, its index.html is another page, or its latest is not a symlink. A
// directory that does not exist yet is fine.
func CheckResultsDir(resultsDir string) error {
	if err := indexWritable(resultsDir); err != nil {
		return err
	}
	path := filepath.Join(resultsDir, LatestLink)
	if st, err := os.Lstat(path); err == nil && st.Mode()&os.ModeSymlink == 0 {
		return fmt.Errorf("%s is not a symlink: the results index would not replace it", path)
	}
	return nil
}

// indexWritable checks that resultsDir is no run directory and that its index.html, if any, is
// a results index.
func indexWritable(resultsDir string) error {
	for _, f := range rundir.RunMarkers {
		if _, err := os.Stat(filepath.Join(resultsDir, f)); err == nil {
			return fmt.Errorf("%w: %s holds %s, so it is a run directory and its %s is the run's report", ErrNotResultsDir, resultsDir, f, rundir.ReportFile)
		}
	}
	page, err := os.ReadFile(filepath.Join(resultsDir, rundir.ReportFile))
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("results index: %w", err)
	case !isResultsIndex(page):
		return fmt.Errorf("%w: %s is not a results index: not replacing it", ErrNotResultsDir, filepath.Join(resultsDir, rundir.ReportFile))
	}
	return nil
}
