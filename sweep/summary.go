package sweep

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteSummary writes the sweep's table: one row per run, then each cell's tally and the
// sweep's verdict. planned is the number of runs the shard meant to run.
func WriteSummary(w io.Writer, outcomes []Outcome, planned int) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tCELL\tREPEAT\tSEED\tVERDICT\tTIME\tDIRECTORY\tDETAIL")
	for _, o := range outcomes {
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%s\t%s\t%s\t%s\n", o.Run.Index, o.Run.Cell.Name, o.Run.Repeat, o.Run.Seed,
			o.Verdict, o.Elapsed.Round(time.Second), filepath.Base(o.Dir), oneLine(o.Detail))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	type tally struct {
		name   string
		counts [Invalid + 1]int
	}
	var cells []*tally
	byName := map[string]*tally{}
	for _, o := range outcomes {
		t := byName[o.Run.Cell.Name]
		if t == nil {
			t = &tally{name: o.Run.Cell.Name}
			byName[t.name] = t
			cells = append(cells, t)
		}
		t.counts[o.Verdict]++
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CELL\tVALID\tINVALID\tUNKNOWN\tERROR")
	for _, t := range cells {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\n", t.name, t.counts[Valid], t.counts[Invalid], t.counts[Unknown], t.counts[Failed])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	notRun := ""
	if n := planned - len(outcomes); n > 0 {
		notRun = fmt.Sprintf(" (%d of %d runs not started)", n, planned)
	}
	_, err := fmt.Fprintf(w, "\nsweep verdict: %s%s\n", Worst(outcomes, planned), notRun)
	return err
}

func oneLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 160 {
		s = s[:157] + "..."
	}
	return s
}
