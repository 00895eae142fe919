package report

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/checker/runcheck"
	"github.com/kafkaesque/kafkaesque/report/rundir"
)

// Verdicts of an IndexEntry.
const (
	VerdictValid      = "valid"
	VerdictInvalid    = "invalid"
	VerdictUnknown    = "unknown"
	VerdictNotChecked = "not checked" // no results.json: the run stopped before its check
)

// IndexEntry is one run directory in results/index.json.
type IndexEntry struct {
	Run     string `json:"run"`     // the run directory's name
	Started string `json:"started"` // RFC 3339, UTC: config.json's start, else its files' oldest mtime
	// Configuration is the same for two runs whose spec differs only in seed, output directory,
	// command, sweep place or start time (configurationKeys); "" without config.json.
	Configuration string `json:"configuration"`
	// ConfigurationAcrossVersions is Configuration without the Kafka version (and image): the
	// same for the runs of one configuration on several Kafka versions.
	ConfigurationAcrossVersions string          `json:"configuration_across_versions"`
	ConfigurationLabel          string          `json:"configuration_label"`
	Sweep                       *IndexSweep     `json:"sweep,omitempty"`
	Seed                        int64           `json:"seed"`
	KafkaVersion                string          `json:"kafka_version"`
	Mode                        string          `json:"mode"` // "zk", "kraft", or "" when config.json records none
	Workload                    string          `json:"workload"`
	Client                      string          `json:"client"`
	Spec                        json.RawMessage `json:"spec,omitempty"` // config.json's spec as written
	Verdict                     string          `json:"verdict"`        // one of the Verdict constants
	Anomalies                   map[string]int  `json:"anomalies"`      // type -> count, allowed ones included
	Allowed                     []string        `json:"allowed"`        // anomaly types allowed for this run
	Causes                      int             `json:"causes,omitempty"`
	FaultsInjected              []IndexFault    `json:"faults_injected"`
	FaultsError                 string          `json:"faults_error,omitempty"` // the history could not be read for them
	Unavailability              *Unavailability `json:"unavailability,omitempty"`
	DurationSeconds             float64         `json:"duration_s,omitempty"`
	Why                         []string        `json:"why,omitempty"` // why the verdict is unknown or not checked

	started time.Time
}

// IndexSweep is a run's place in a sweep.
type IndexSweep struct {
	ID     string `json:"id"`
	Cell   string `json:"cell"`
	Repeat int    `json:"repeat"`
}

// IndexFault counts the injections of one fault (runcheck.CountFaults).
type IndexFault struct {
	Name           string `json:"name"`
	Count          int    `json:"count"`
	Failed         int    `json:"failed"`
	RecoveryFailed int    `json:"recovery_failed,omitempty"`
}

// indexRun is a run directory as the index reads it: its entry and what only the page shows.
type indexRun struct {
	Entry      IndexEntry
	Href       string
	Params     string
	Anomalies  []keyValue // in report order, allowed ones marked
	Faults     []string   // "kill-leader ×3 (1 failed)"
	StartedUTC string
}

// readIndexRun reads one run directory; ok is false when dir holds none of a run's files.
func readIndexRun(dir, name string) (run indexRun, ok bool) {
	e := &run.Entry
	e.Run, e.Verdict, e.Anomalies, e.Allowed, e.FaultsInjected = name, VerdictNotChecked, map[string]int{}, []string{}, []IndexFault{}
	run.Href = name + "/"
	for _, f := range rundir.RunMarkers {
		if st, err := os.Stat(filepath.Join(dir, f)); err == nil {
			ok = true
			if e.started.IsZero() || st.ModTime().Before(e.started) {
				e.started = st.ModTime()
			}
		}
	}
	if !ok {
		return run, false
	}
	if _, err := os.Stat(filepath.Join(dir, rundir.ReportFile)); err == nil {
		run.Href = name + "/" + rundir.ReportFile
	}
	allowed := map[string]bool{}
	cfg, err := rundir.LoadConfig(dir)
	switch {
	case err != nil:
		e.Why = append(e.Why, err.Error())
	case cfg != nil:
		fillFromConfig(e, cfg)
		run.Params = e.ConfigurationLabel + " · seed " + strconv.FormatInt(cfg.Seed, 10)
		for t := range cfg.Allowed {
			allowed[t] = true
		}
	}
	e.started = e.started.UTC()
	e.Started = e.started.Format(time.RFC3339Nano)
	run.StartedUTC = e.started.Format("2006-01-02 15:04:05")

	res, hasVerdict, err := rundir.LoadResult(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		e.Why = append(e.Why, rundir.MissingResults(dir)...)
	case err != nil:
		e.Verdict, e.Why = VerdictUnknown, append(e.Why, err.Error())
	}
	faults, err := rundir.InjectedFaults(dir, res)
	if err != nil {
		e.FaultsError = err.Error()
	}
	for _, c := range runcheck.CountFaults(faults) {
		e.FaultsInjected = append(e.FaultsInjected, IndexFault{Name: c.Fault, Count: c.Attempts, Failed: c.Failed, RecoveryFailed: c.RecoveryFailed})
		run.Faults = append(run.Faults, c.String())
	}
	if res == nil {
		e.Allowed = sortedKeys(allowed)
		return run, true
	}
	e.Verdict = res.Valid.String()
	e.Why = append(e.Why, rundir.VerdictReasons(res, hasVerdict)...)
	e.Causes, e.DurationSeconds = len(res.Causes), res.Stats.DurationSeconds
	e.Unavailability = unavailabilityOf(res.Faults)
	for _, t := range res.Allowed {
		allowed[string(t)] = true
	}
	e.Allowed = sortedKeys(allowed)
	for _, t := range anomalyOrder(res) {
		e.Anomalies[string(t)] = len(res.Anomalies[t])
		label := string(t)
		if allowed[label] {
			label += " (allowed)"
		}
		run.Anomalies = append(run.Anomalies, keyValue{label, strconv.Itoa(len(res.Anomalies[t]))})
	}
	return run, true
}

// fillFromConfig sets what config.json says of the run.
func fillFromConfig(e *IndexEntry, cfg *rundir.Config) {
	if !cfg.Started.IsZero() {
		e.started = cfg.Started
	}
	e.Seed, e.KafkaVersion, e.Workload, e.Spec = cfg.Seed, cfg.KafkaVersion(), cfg.Spec.Workload.Name, cfg.SpecJSON
	if kraft, recorded := cfg.KRaft(nil); recorded && kraft {
		e.Mode = rundir.ModeKRaft
	} else if recorded {
		e.Mode = rundir.ModeZooKeeper
	}
	e.Client = cfg.Spec.Workload.Client
	for _, c := range []string{producerClient(cfg), txnClient(cfg)} {
		if e.Client == "" {
			e.Client = c
		}
	}
	if s := cfg.Spec.Sweep; s != nil {
		e.Sweep = &IndexSweep{ID: s.ID, Cell: s.Cell, Repeat: s.Repeat}
	}
	e.ConfigurationLabel = configurationLabel(cfg)
	keys, err := configurationKeys(cfg)
	if err != nil {
		e.Why = append(e.Why, err.Error())
		return
	}
	e.Configuration, e.ConfigurationAcrossVersions = keys.configuration, keys.acrossVersions
}

func producerClient(cfg *rundir.Config) string {
	if cfg.Producer != nil {
		return cfg.Producer.Client
	}
	return ""
}

func txnClient(cfg *rundir.Config) string {
	if cfg.Transactions != nil {
		return cfg.Transactions.Client
	}
	return ""
}

// unavailabilityOf summarizes the measured faults; nil when results.json measured none.
func unavailabilityOf(faults []checker.FaultImpact) *Unavailability {
	if len(faults) == 0 {
		return nil
	}
	u := &Unavailability{Faults: []FaultRecovery{}}
	var total float64
	for _, f := range faults {
		r := FaultRecovery{Fault: rundir.FaultName(f.Fault, f.Nodes, f.Key), StartSeconds: rundir.Seconds(f.Start),
			RecoverSeconds: f.SendsOKAfter, NewLeaderSeconds: f.NewLeaderAfter, NewControllerSeconds: f.NewControllerAfter, Failed: f.Error != ""}
		if f.Recovered != nil {
			healed := rundir.Seconds(*f.Recovered - f.Start)
			r.HealedSeconds = &healed
		}
		u.Faults = append(u.Faults, r)
		switch {
		case r.Failed:
			u.FailedInjections++
		case f.SendsOKAfter == nil:
			u.NeverRecovered++
		default:
			u.Recovered++
			total += *f.SendsOKAfter
			u.MaxRecoverSeconds = max(u.MaxRecoverSeconds, *f.SendsOKAfter)
		}
	}
	if u.Recovered > 0 {
		u.MeanRecoverSeconds = total / float64(u.Recovered)
	}
	return u
}

// Unavailability is what results.json measured of the faults' impact. A fault's time to
// recover is the time from its start until a send invoked after it (to the partition it aimed
// at, if any) was acknowledged (checker.FaultImpact.SendsOKAfter).
type Unavailability struct {
	Recovered          int             `json:"recovered"`       // injected faults followed by an acknowledged send
	NeverRecovered     int             `json:"never_recovered"` // injected faults after which no send was acknowledged before the workload ended
	FailedInjections   int             `json:"failed_injections"`
	MaxRecoverSeconds  float64         `json:"max_recover_s"`
	MeanRecoverSeconds float64         `json:"mean_recover_s"`
	Faults             []FaultRecovery `json:"faults"`
}

// FaultRecovery is one fault's measurements, in seconds from its start; nil is not measured.
type FaultRecovery struct {
	Fault                string   `json:"fault"` // "kill kafka2 (jepsen-1)"
	StartSeconds         float64  `json:"start_s"`
	Failed               bool     `json:"failed,omitempty"` // the injection failed
	RecoverSeconds       *float64 `json:"recover_s"`        // until an acknowledged send
	NewLeaderSeconds     *float64 `json:"new_leader_s,omitempty"`
	NewControllerSeconds *float64 `json:"new_controller_s,omitempty"`
	HealedSeconds        *float64 `json:"healed_s,omitempty"` // until the nemesis ended the fault
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// VerdictClass is the verdict's CSS class.
func (r indexRun) VerdictClass() string { return verdictClass(r.Entry.Verdict) }

func verdictClass(verdict string) string { return "verdict-" + strings.ReplaceAll(verdict, " ", "-") }
