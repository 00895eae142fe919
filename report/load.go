// Package report renders a run directory as a self-contained HTML report (index.html), a JUnit
// file for CI (junit.xml) and porcupine visualizations of keys that are not linearizable. It
// reads only the run directory's files: data flows history -> checker -> report.
package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/electionlog"
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
)

// runConfig is the part of harness.RunConfig the report shows. It is decoded leniently: a run
// that crashed early may have written only some of it.
type runConfig struct {
	Spec struct {
		Cluster  clusterConfig `json:"Cluster"`
		Workload struct {
			Topic             string
			Partitions        int
			ReplicationFactor int
			Acks              json.RawMessage
			Producers         int
			Consumers         int
			MaxSends          int
			Rate              float64
		} `json:"Workload"`
		Faults    []string
		TimeLimit time.Duration
		Seed      int64
		Command   string
	} `json:"spec"`
	Seed     int64             `json:"seed"`
	Command  string            `json:"command"`
	Allowed  map[string]string `json:"allowed"`
	RunID    string            `json:"run_id"`
	Started  time.Time         `json:"started"`
	Cluster  clusterConfig     `json:"cluster"`
	Topology map[string]string `json:"topology"`
	// Image and Elections are absent from runs before Kafka versions and KRaft (config.go).
	Image     *imageInfo       `json:"image"`
	Elections electionSettings `json:"elections"`
}

type clusterConfig struct {
	Name         string
	KafkaVersion string
	Image        string
	Mode         string // "zk" or "kraft"; empty in runs before KRaft
	ZooKeepers   int
	Controllers  int
	Combined     bool
	Brokers      int
	BrokerConfig map[string]string
}

// acks renders the workload's acks setting, which marshals as text ("all") or a number.
func (c *runConfig) acks() string {
	raw := c.Spec.Workload.Acks
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// command is the command that reproduces the run.
func (c *runConfig) command() string {
	if c.Command != "" {
		return c.Command
	}
	return c.Spec.Command
}

// effectiveCluster prefers the effective cluster config over the requested one.
func (c *runConfig) effectiveCluster() clusterConfig {
	if c.Cluster.Brokers > 0 || len(c.Cluster.BrokerConfig) > 0 {
		return c.Cluster
	}
	return c.Spec.Cluster
}

// run is everything the report needs, loaded from a run directory.
type run struct {
	dir       string
	config    *runConfig      // nil when config.json is missing
	result    *checker.Result // Valid is Unknown when there is no results.json
	why       []string        // why the verdict is unknown (verdictReasons), or noResults
	events    []electionlog.Event
	hasEvents bool
	scan      *historyScan
	problems  []string // files that could not be read; shown in the report
}

// loadConfig reads config.json; a missing file is not an error.
func loadConfig(dir string) (*runConfig, error) {
	data, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ConfigFile, err)
	}
	var c runConfig
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("decode %s: %w", ConfigFile, err)
	}
	return &c, nil
}

// LoadResult reads a run directory's results.json.
func LoadResult(dir string) (*checker.Result, error) {
	res, _, err := loadResult(dir)
	return res, err
}

// loadResult reads results.json and says whether it holds a verdict: a file without "valid"
// decodes as unknown (Validity's zero value), and the report must say why.
func loadResult(dir string) (res *checker.Result, hasVerdict bool, err error) {
	data, err := os.ReadFile(filepath.Join(dir, ResultsFile))
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", ResultsFile, err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, false, fmt.Errorf("decode %s: %w", ResultsFile, err)
	}
	res = &checker.Result{}
	if err := json.Unmarshal(data, res); err != nil {
		return nil, false, fmt.Errorf("decode %s: %w", ResultsFile, err)
	}
	_, hasVerdict = fields["valid"]
	return res, hasVerdict, nil
}

// noResults is why a run directory without results.json has no verdict.
const noResults = "no " + ResultsFile + ": the run stopped before it was checked (its output and the node logs say why)"

// RunErrorFile is where a run that stopped on an error writes that error.
const RunErrorFile = "error.txt"

// missingResults says why a run directory has no verdict: the run's own error when it wrote one.
func missingResults(dir string) []string {
	data, err := os.ReadFile(filepath.Join(dir, RunErrorFile))
	if err != nil || len(bytes.TrimSpace(data)) == 0 {
		return []string{noResults}
	}
	return []string{"the run stopped before it was checked: " + string(bytes.TrimSpace(data))}
}

// verdictReasons says why a result's verdict is unknown; nothing for a valid or invalid one.
func verdictReasons(res *checker.Result, hasVerdict bool) []string {
	if !hasVerdict {
		return []string{ResultsFile + ` has no verdict (no "valid" field): it is not valid`}
	}
	if res.Valid != checker.Unknown {
		return nil
	}
	if len(res.Incomplete) == 0 {
		return []string{ResultsFile + " records an unknown verdict without a reason"}
	}
	return res.Incomplete
}

// faultFailures lists the injections and recoveries that failed: the faults that did not happen
// as planned, whatever the verdict.
func faultFailures(faults []checker.FaultImpact) []string {
	var out []string
	for _, f := range faults {
		what := faultName(f.Fault, f.Nodes, f.Key)
		if f.Error != "" {
			out = append(out, fmt.Sprintf("injection of %s (op %d) failed: %s", what, f.InvokeOp, f.Error))
		}
		if f.RecoveryError != "" {
			out = append(out, fmt.Sprintf("recovery of %s (op %d) failed: %s", what, f.InvokeOp, f.RecoveryError))
		}
	}
	return out
}

// impactsOf turns the faults the history records into FaultImpacts (no measurements), for runs
// whose results.json lists none.
func impactsOf(bands []faultBand) []checker.FaultImpact {
	out := make([]checker.FaultImpact, 0, len(bands))
	for _, b := range bands {
		out = append(out, checker.FaultImpact{Fault: b.Fault, Nodes: b.Nodes, Key: b.Partition, InvokeOp: b.InvokeOp, Start: b.Start, Error: b.Error})
	}
	return out
}

func faultName(fault string, nodes []string, key string) string {
	name := fault
	if len(nodes) > 0 {
		name += " " + strings.Join(nodes, ",")
	}
	if key != "" {
		name += " (" + key + ")"
	}
	return name
}

// brokerIDs are the configured brokers' ids (the harness numbers them from 1).
func (c *runConfig) brokerIDs() []int {
	if c == nil {
		return nil
	}
	ids := make([]int, c.effectiveCluster().Brokers)
	for i := range ids {
		ids[i] = i + 1
	}
	return ids
}

// loadEvents reads the election log; ok is false when there is none.
func loadEvents(dir string) (events []electionlog.Event, ok bool, err error) {
	f, err := os.Open(filepath.Join(dir, ElectionsFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("open %s: %w", ElectionsFile, err)
	}
	defer f.Close()
	events, err = electionlog.Read(f)
	if err != nil {
		return events, true, fmt.Errorf("read %s: %w", ElectionsFile, err)
	}
	return events, true, nil
}

// nodeLogs lists nodes/*.log, relative to the run directory.
func nodeLogs(dir string) []string {
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
