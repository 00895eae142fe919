package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kafkaesque/kafkaesque/report/rundir"
)

// IndexCacheFile keeps, beside index.json, each run's index entry with a stamp of the files it
// was read from. Writing the index after one more run then decodes that run's files, not every
// run's results.json again (with 500 runs that was 9 s after every run of a sweep).
// It is only a cache: a missing, unreadable or other-format cache, or one another build wrote,
// rebuilds from the runs.
const IndexCacheFile = ".index-cache.json"

// indexCacheFormat is the cache's format; another one is ignored (the index is rebuilt).
const indexCacheFormat = 1

// stampedFiles are the files readIndexRun reads or looks for: a run whose stamp over them is
// unchanged reads the same.
var stampedFiles = []string{rundir.ResultsFile, rundir.ConfigFile, rundir.HistoryFile, rundir.RunErrorFile, rundir.ReportFile}

type indexCache struct {
	Format int `json:"format"`
	// Builder stamps the program that wrote the cache: entries another build derived (a
	// configuration key computed otherwise, say) are not reused.
	Builder string               `json:"builder"`
	Runs    map[string]cachedRun `json:"runs"` // by run directory name
}

// builderStamp is a hash of the running executable's contents ("" when it cannot be read, and
// then no cache is reused), computed once, on the first cache read or write.
var builderStamp = sync.OnceValue(func() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	f, err := os.Open(exe)
	if err != nil {
		return ""
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil))
})

// cachedRun is an indexRun as the cache stores it.
type cachedRun struct {
	Stamp      string     `json:"stamp"`
	Entry      IndexEntry `json:"entry"`
	Started    time.Time  `json:"started"` // Entry.started, which index.json keeps only as text
	Href       string     `json:"href"`
	Params     string     `json:"params"`
	Anomalies  []keyValue `json:"anomalies"`
	Faults     []string   `json:"faults"`
	StartedUTC string     `json:"started_utc"`
}

// runStamp is the size and modification time of each stamped file of dir, with its inode and
// change time where the system has them ("-" when absent): a file copied in with its mtime kept,
// or whose permissions changed, gets a new change time. ok is false when a file cannot be
// looked at, and the run is then read afresh.
func runStamp(dir string) (stamp string, ok bool) {
	var b strings.Builder
	for _, name := range stampedFiles {
		st, err := os.Stat(filepath.Join(dir, name))
		switch {
		case os.IsNotExist(err):
			b.WriteString("-;")
		case err != nil:
			return "", false
		default:
			b.WriteString(strconv.FormatInt(st.Size(), 10) + "@" + strconv.FormatInt(st.ModTime().UnixNano(), 10) + fileIdentity(st) + ";")
		}
	}
	return b.String(), true
}

// loadIndexCache reads resultsDir's cache; any problem gives an empty one.
func loadIndexCache(resultsDir string) indexCache {
	empty := indexCache{Format: indexCacheFormat, Builder: builderStamp(), Runs: map[string]cachedRun{}}
	data, err := os.ReadFile(filepath.Join(resultsDir, IndexCacheFile))
	if err != nil {
		return empty
	}
	var c indexCache
	if json.Unmarshal(data, &c) != nil || c.Format != indexCacheFormat || c.Builder == "" || c.Builder != builderStamp() || c.Runs == nil {
		return empty
	}
	return c
}

func (c indexCache) get(name, stamp string) (indexRun, bool) {
	cr, ok := c.Runs[name]
	if !ok || cr.Stamp != stamp {
		return indexRun{}, false
	}
	run := indexRun{Entry: cr.Entry, Href: cr.Href, Params: cr.Params, Anomalies: cr.Anomalies, Faults: cr.Faults, StartedUTC: cr.StartedUTC}
	run.Entry.started = cr.Started
	return run, true
}

func toCached(run indexRun, stamp string) cachedRun {
	return cachedRun{Stamp: stamp, Entry: run.Entry, Started: run.Entry.started, Href: run.Href, Params: run.Params,
		Anomalies: run.Anomalies, Faults: run.Faults, StartedUTC: run.StartedUTC}
}

// writeIndexCache replaces resultsDir's cache with runs (the runs it holds now, no others). It is
// best effort: a cache that cannot be written costs the next index a full read, never the index
// itself; the old cache is removed then, though its stamps would keep it from misleading.
func writeIndexCache(resultsDir string, runs map[string]cachedRun) {
	builder := builderStamp()
	data, err := json.Marshal(indexCache{Format: indexCacheFormat, Builder: builder, Runs: runs})
	if err != nil || builder == "" || writeAtomic(resultsDir, IndexCacheFile, data) != nil {
		os.Remove(filepath.Join(resultsDir, IndexCacheFile))
	}
}
