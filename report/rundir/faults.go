package rundir

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/history"
)

// InjectedFaults lists the faults a run injected: results.json's measured faults when it has
// them, else the nemesis ops of the history (a run that stopped before its check, or one checked
// without an election log).
func InjectedFaults(dir string, res *checker.Result) ([]checker.FaultImpact, error) {
	if res != nil && len(res.Faults) > 0 {
		return res.Faults, nil
	}
	f, err := os.Open(filepath.Join(dir, HistoryFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", HistoryFile, err)
	}
	defer f.Close()
	bands, err := nemesisFaults(f)
	return ImpactsOf(bands), err
}

// nemesisFaults reads only the nemesis' lines of a history, cheaply: the index reads every run's
// history that lacks measured faults. A cut-off last line (a run still writing, or killed) is
// skipped; any other bad line is an error.
func nemesisFaults(r io.Reader) ([]FaultBand, error) {
	s := &HistoryScan{}
	open := map[string]int{}
	var inv history.Op
	br := bufio.NewReaderSize(r, 1<<16)
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		complete := err == nil
		if err != nil && !errors.Is(err, io.EOF) {
			return s.Faults, fmt.Errorf("read %s: %w", HistoryFile, err)
		}
		if bytes.Contains(line, []byte("-1")) { // every nemesis line has "process":-1
			var op history.Op
			if jerr := json.Unmarshal(line, &op); jerr != nil {
				if complete {
					return s.Faults, fmt.Errorf("read %s: line %d: %w", HistoryFile, n, jerr)
				}
			} else if op.Process == history.NemesisProcess {
				if op.Type == history.Invoke {
					inv = op
				} else {
					s.End = max(s.End, op.Time)
					s.nemesis(op, inv, open)
				}
			}
		}
		if !complete {
			return s.Faults, nil
		}
	}
}
