package rundir

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/electionlog"
	"github.com/kafkaesque/kafkaesque/history"
)

// Run is everything the report needs, loaded from a run directory.
type Run struct {
	Dir       string
	Config    *Config         // nil when config.json is missing
	Result    *checker.Result // Valid is Unknown when there is no results.json
	Why       []string        // why the verdict is unknown (VerdictReasons), or MissingResults
	Events    []electionlog.Event
	HasEvents bool
	Scan      *HistoryScan
	Problems  []string // files that could not be read; shown in the report
}

// Load reads a run directory. Nothing is required: a run that stopped before its check has no
// results.json, and its page says so with an unknown verdict; what else is missing or broken is
// listed in Problems. A results.json that cannot be decoded is an error. want names the ops the
// history scan keeps (with their partners), given the result.
func Load(ctx context.Context, dir string, want func(*checker.Result) map[int64]bool) (*Run, error) {
	res, hasVerdict, err := LoadResult(dir)
	var why []string
	switch {
	case errors.Is(err, os.ErrNotExist):
		res, why = &checker.Result{Valid: checker.Unknown}, MissingResults(dir)
	case err != nil:
		return nil, fmt.Errorf("report %s: %w", dir, err)
	default:
		why = VerdictReasons(res, hasVerdict)
	}
	r := &Run{Dir: dir, Result: res, Why: why, Scan: &HistoryScan{Ops: map[int64]history.Op{}, Partner: map[int64]int64{}}}
	if r.Config, err = LoadConfig(dir); err != nil {
		r.Problems = append(r.Problems, err.Error())
	}
	if r.Events, r.HasEvents, err = LoadEvents(dir); err != nil {
		r.Problems = append(r.Problems, err.Error())
	}
	f, err := os.Open(filepath.Join(dir, HistoryFile))
	if err != nil {
		r.Problems = append(r.Problems, fmt.Sprintf("history: %v", err))
		return r, nil
	}
	defer f.Close()
	scan, err := ScanHistory(ctx, f, want(res))
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil, fmt.Errorf("report %s: %w", dir, err)
	}
	if err != nil {
		r.Problems = append(r.Problems, err.Error())
		return r, nil
	}
	r.Scan = scan
	return r, nil
}
