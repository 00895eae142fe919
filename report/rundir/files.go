// Package rundir reads a run directory for the report: its files' names, config.json,
// results.json, the election log and one streaming pass over the history, and what the pages
// derive from them (partition and quorum timelines, the faults injected). It writes nothing:
// the report package assembles the pages, report/plot draws the charts and report/linviz the
// porcupine pages, all from what this package loads.
package rundir

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// Files of a run directory (the harness writes them; the names are the contract).
const (
	HistoryFile   = "history.jsonl"
	ElectionsFile = "elections.jsonl"
	ResultsFile   = "results.json"
	ConfigFile    = "config.json"
	NodeLogsDir   = "nodes"
	ReportFile    = "index.html"
	JUnitFile     = "junit.xml"
	LinVizDir     = "linearizability"
	// RunErrorFile is where a run that stopped on an error writes that error.
	RunErrorFile = "error.txt"
	// RunLogFile holds every line the run printed.
	RunLogFile = "run.log"
)

// RunMarkers are the files that make a directory a run directory: any one of them.
var RunMarkers = []string{ResultsFile, ConfigFile, HistoryFile}

// IsRunDir reports whether dir holds one of RunMarkers.
func IsRunDir(dir string) bool {
	for _, f := range RunMarkers {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return true
		}
	}
	return false
}

// NodeLogs lists nodes/*.log, relative to the run directory.
func NodeLogs(dir string) []string {
	matches, _ := filepath.Glob(filepath.Join(dir, NodeLogsDir, "*"))
	var out []string
	for _, m := range matches {
		if rel, err := filepath.Rel(dir, m); err == nil {
			out = append(out, filepath.ToSlash(rel))
		}
	}
	sort.Strings(out)
	return out
}

// Caps shared by the pages, so each shows the same anomalies and values however bad the run.
const (
	// ExamplesPerType is how many anomalies of each type are shown in full (the page, the JUnit
	// file and the porcupine pages).
	ExamplesPerType = 10
	valueChars      = 400 // longest value text shown
)

// Seconds converts run time (ns) to seconds.
func Seconds(ns int64) float64 { return float64(ns) / 1e9 }

// Clip shortens a value's text to what a page shows.
func Clip(s string) string {
	if len(s) <= valueChars {
		return s
	}
	cut := valueChars
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("… (%d bytes)", len(s))
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
