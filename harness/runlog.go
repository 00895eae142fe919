package harness

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/kafkaesque/kafkaesque/report/rundir"
)

// openRunLog creates the run directory's run.log, which keeps every progress line the run
// prints, and returns the writer the run prints to: the log and, when given, progress.
func openRunLog(dir string, progress io.Writer) (io.Writer, *os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, rundir.RunLogFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("run log: %w", err)
	}
	if progress == nil {
		return f, f, nil
	}
	return io.MultiWriter(progress, f), f, nil
}

// AppendRunLog opens a run directory's run.log to add what the caller prints about the run
// after it ended (its summary or its error), so the log holds everything the run printed.
func AppendRunLog(dir string) (io.WriteCloser, error) {
	f, err := os.OpenFile(filepath.Join(dir, rundir.RunLogFile), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, fmt.Errorf("run log: %w", err)
	}
	return f, nil
}
