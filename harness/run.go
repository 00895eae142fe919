package harness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/cluster"
	"github.com/kafkaesque/kafkaesque/cluster/nodeimage"
	"github.com/kafkaesque/kafkaesque/cluster/observe"
	"github.com/kafkaesque/kafkaesque/nemesis"
	"github.com/kafkaesque/kafkaesque/report"
	"github.com/kafkaesque/kafkaesque/report/rundir"
	"github.com/kafkaesque/kafkaesque/workloads"
	"github.com/kafkaesque/kafkaesque/workloads/txn"
)

// RunSpec is one chaos run: cluster + workload + nemesis + time limit + seed.
type RunSpec struct {
	Cluster  cluster.Config
	Workload WorkloadSpec
	// Faults are nemesis fault names (nemesis.All lists them); empty means no faults.
	Faults   []string
	Schedule nemesis.ScheduleOptions
	// TimeLimit is the length of the fault phase; default 60s. Negative durations are refused.
	TimeLimit time.Duration
	Seed      int64
	// Warmup is how long the workload runs before the fault phase, so the history and its plots
	// start with a baseline; the fault phase and its TimeLimit follow it. Negative is refused.
	Warmup time.Duration
	// OutDir is the run directory itself; it must not exist yet or be empty.
	OutDir string
	// RecoveryLimit bounds the wait for the cluster to heal after the fault phase; default 60s.
	RecoveryLimit time.Duration
	// DrainLimit bounds the final drain; default 60s.
	DrainLimit time.Duration
	// CheckTimeLimit bounds the linearizability search; default 60s.
	CheckTimeLimit time.Duration
	// KeepCluster leaves the cluster up after a failed run (an error, or a verdict that is not
	// valid) for inspection, and prints the docker command that removes it (keep.go).
	KeepCluster bool
	// Command reproduces the run, for the run directory (the CLI fills it in).
	Command string
	// Sweep places the run in the sweep that started it; nil for a run of its own.
	Sweep *SweepRun `json:",omitempty"`
	// Progress receives live progress lines; nil discards them.
	Progress io.Writer `json:"-"`
}

// SweepRun names a run's place in a sweep (kafkaesque sweep): the sweep, the matrix cell
// (its configuration) and which of the cell's repeats it is.
type SweepRun struct {
	ID     string // the sweep's id, shared by every shard of it
	Cell   string // the cell's name: its flags, as the matrix gives them
	Repeat int    // 1 to the sweep's test count
}

// Workload names.
const (
	WorkloadQueue = "queue" // producers and partition-polling consumers (the default)
	WorkloadGroup = "group" // the queue's producers and consumers in one consumer group
)

// WorkloadNames lists the valid WorkloadSpec.Name values.
var WorkloadNames = []string{WorkloadQueue, WorkloadGroup, WorkloadTxn}

// WorkloadSpec configures the workload and its topic.
type WorkloadSpec struct {
	// Name is "queue" (default), "group" or "txn".
	Name  string
	Topic string // default cluster.DefaultTopic
	// Partitions of the topic; default 3.
	Partitions int
	// ReplicationFactor of the topic; default min(3, brokers). It may not exceed the brokers.
	ReplicationFactor int
	Acks              workloads.Acks
	// Producers and Consumers are the workload's clients; defaults 3 and 2 (0 cannot mean
	// none here: the CLI refuses it). Negative counts are refused.
	Producers int
	Consumers int
	// MaxSends caps the number of sends; 0 means only the time limit bounds them.
	MaxSends int
	// Rate caps each producer's sends per second; 0 means as fast as acks allow.
	Rate float64
	// InFlight is how many sends each producer has outstanding, each its own process; 0 means
	// DefaultInFlight. The txn workload has one transaction in flight per producer.
	InFlight int `json:",omitempty"`
	// CrashInterval is the mean time between crashes of each queue consumer (Jepsen's
	// crash-client: a new client and process id, resuming where it read); 0 means never.
	CrashInterval time.Duration
	// Client drives the queue workload's producers: kafka-go (the default) or franz.
	Client workloads.Client
	// Idempotent makes the producers idempotent; nil means the client's default (franz: on;
	// kafka-go: off, as its producer cannot be). The defaults fill it in.
	Idempotent *bool `json:",omitempty"`
	// Txn configures the txn workload; nil for the others (the defaults fill it in for txn).
	Txn *TxnSpec `json:",omitempty"`
}

// DefaultInFlight is the queue and group workloads' sends in flight per producer. With the
// default three producers about a hundred writes are outstanding when a fault strikes, where one
// at a time left three, and a run acknowledges several times more (docs/benchmarks.md); a 60 s
// run's history stays a few hundred thousand sends, small enough to check in seconds.
const DefaultInFlight = 32

// Files of a run directory: the names report/rundir reads them by.
const (
	HistoryFile   = rundir.HistoryFile
	ElectionsFile = rundir.ElectionsFile
	ResultsFile   = rundir.ResultsFile
	ConfigFile    = rundir.ConfigFile
	NodeLogsDir   = rundir.NodeLogsDir
)

// RunResult is what a run produced.
type RunResult struct {
	Dir    string
	Result *checker.Result
	// Drain says which partitions the final drain could not read to their high watermark.
	Drain workloads.DrainResult
}

// RunConfig is written to config.json: everything needed to understand and repeat the run.
type RunConfig struct {
	Spec    RunSpec `json:"spec"`
	Seed    int64   `json:"seed"`
	Command string  `json:"command,omitempty"`
	// Producer are the producers' settings that bear on their guarantee, as run.
	Producer *workloads.ProducerSettings `json:"producer,omitempty"`
	// Transactions are the txn workload's settings that bear on its guarantee, as run.
	Transactions *txn.Settings                  `json:"transactions,omitempty"`
	Allowed      map[checker.AnomalyType]string `json:"allowed"` // anomaly type -> why it may occur
	RunID        string                         `json:"run_id,omitempty"`
	Started      time.Time                      `json:"started"`
	Cluster      cluster.Config                 `json:"cluster"`            // effective, defaults filled in
	Topology     map[string]string              `json:"topology,omitempty"` // node -> IP
	// Image describes the node image the run used: its Kafka and ZooKeeper versions.
	Image *nodeimage.Info `json:"image,omitempty"`
	// Features are a KRaft cluster's finalized feature levels, as its brokers reported them.
	Features map[string]int `json:"features,omitempty"`
	// ConfigNote says what of the cluster's config could not be read back after start.
	ConfigNote string `json:"config_note,omitempty"`
	// Elections are the settings the election checks ran with (derived from Cluster).
	Elections ElectionSettings `json:"elections"`
}

// withDefaults fills the zero fields with the defaults documented on them, then validates the
// spec (validate.go): an error means nothing may start.
func (s RunSpec) withDefaults() (RunSpec, error) {
	if s.TimeLimit == 0 {
		s.TimeLimit = 60 * time.Second
	}
	if s.RecoveryLimit == 0 {
		s.RecoveryLimit = 60 * time.Second
	}
	if s.DrainLimit == 0 {
		s.DrainLimit = 60 * time.Second
	}
	if s.CheckTimeLimit == 0 {
		s.CheckTimeLimit = 60 * time.Second
	}
	w := &s.Workload
	switch w.Name {
	case "":
		w.Name = WorkloadQueue
	case WorkloadQueue, WorkloadGroup, WorkloadTxn:
	default:
		return s, fmt.Errorf("run spec: unknown workload %q (valid: %s)", w.Name, strings.Join(WorkloadNames, ", "))
	}
	if w.Topic == "" {
		w.Topic = cluster.DefaultTopic
	}
	if w.Partitions == 0 {
		w.Partitions = 3
	}
	brokers := s.Cluster.Brokers
	if brokers == 0 {
		brokers = 3
	}
	if w.ReplicationFactor == 0 {
		w.ReplicationFactor = min(3, brokers)
	}
	if w.Producers == 0 {
		w.Producers = 3
	}
	if w.Consumers == 0 && w.Name != WorkloadTxn {
		w.Consumers = 2
	}
	switch {
	case w.InFlight < 0:
		return s, fmt.Errorf("run spec: sends in flight per producer must be at least 1, got %d", w.InFlight)
	case w.InFlight > 0 && w.Name == WorkloadTxn:
		return s, errors.New("run spec: --in-flight is the queue and group workloads' (each txn producer runs one transaction at a time)")
	case w.InFlight == 0 && w.Name != WorkloadTxn:
		w.InFlight = DefaultInFlight
	}
	if !w.Acks.Valid() {
		return s, fmt.Errorf("run spec: invalid acks %d", w.Acks)
	}
	if w.CrashInterval < 0 {
		return s, fmt.Errorf("run spec: crash interval must not be negative, got %s (0: consumers never crash)", w.CrashInterval)
	}
	if w.CrashInterval > 0 && w.Name == WorkloadGroup {
		return s, errors.New("run spec: crash-client crashes the queue workload's consumers; the group workload's members are crashed by the kill-group-leader fault")
	}
	// The txn workload's client is settled by txnDefaults (franz-go, idempotent); the others'
	// by clientDefaults. txnDefaults also refuses transaction settings for the others.
	if err := w.txnDefaults(); err != nil {
		return s, err
	}
	if w.Name == WorkloadTxn {
		s.Cluster.BrokerConfig = withTxnBrokerDefaults(s.Cluster.BrokerConfig)
	} else if err := w.clientDefaults(); err != nil {
		return s, err
	}
	if s.OutDir == "" {
		return s, errors.New("run spec: OutDir is required")
	}
	s.Cluster.Topics = []cluster.TopicSpec{{Name: w.Topic, Partitions: w.Partitions, ReplicationFactor: w.ReplicationFactor}}
	s.Cluster.Keep = s.Cluster.Keep || s.KeepCluster // labelled so that a later run's start spares it
	s.withPowerDefaults()
	return s, s.validate()
}

// withPowerDefaults puts on lazyfs the data of the nodes the scheduled power faults need, and
// nothing else: a run without power faults gets no FUSE and no extra capability, unless the
// cluster config asks for lazyfs itself (to measure its cost).
func (s *RunSpec) withPowerDefaults() {
	faults, err := s.nemesisConfig().Lookup(s.Faults)
	if err != nil {
		return // validate reports it
	}
	kafka, zookeeper := nemesis.PowerNeeds(faults)
	s.Cluster.Lazyfs.Kafka = s.Cluster.Lazyfs.Kafka || kafka
	if zookeeper {
		// KRaft has no ZooKeeper nodes: CheckTopology refuses power-loss-zk-leader there.
		if cc, err := s.Cluster.WithDefaults(); err == nil && cc.Mode == cluster.ModeZooKeeper {
			s.Cluster.Lazyfs.ZooKeeper = true
		}
	}
}

// nemesisConfig tells the faults about the run's topic and the brokers' session timeout. The
// cluster config holds the defaults of its mode only after WithDefaults.
func (s RunSpec) nemesisConfig() nemesis.Config {
	session := 6 * time.Second
	// A broker's session: with ZooKeeper, or in KRaft its heartbeats to the controller.
	for _, key := range []string{"zookeeper.session.timeout.ms", "broker.session.timeout.ms"} {
		if ms, err := strconv.Atoi(s.Cluster.BrokerConfig[key]); err == nil {
			session = time.Duration(ms) * time.Millisecond
		}
	}
	lag := 10 * time.Second
	if ms, err := strconv.Atoi(s.Cluster.BrokerConfig["replica.lag.time.max.ms"]); err == nil {
		lag = time.Duration(ms) * time.Millisecond
	}
	return nemesis.Config{Topic: s.Workload.Topic, Partitions: s.Workload.Partitions,
		BrokerSessionTimeout: session, ReplicaLagTime: lag}
}

// ELRFeature is the KRaft feature that turns KIP-966's eligible leader replicas on at level 1.
const ELRFeature = "eligible.leader.replicas.version"

// electionSettings derives what the election checks need from the run's effective cluster
// config: the mode, whether KIP-966's eligible leader replicas are on, the effective
// min.insync.replicas and the quorum's fetch timeout.
func electionSettings(spec RunSpec) (ElectionSettings, error) {
	cc, err := spec.Cluster.WithDefaults()
	if err != nil {
		return ElectionSettings{}, err
	}
	version, err := nodeimage.ParseKafkaVersion(cc.KafkaVersion)
	if err != nil {
		return ElectionSettings{}, err
	}
	minISR, err := strconv.Atoi(cc.BrokerConfig["min.insync.replicas"])
	if err != nil {
		return ElectionSettings{}, fmt.Errorf("min.insync.replicas %q: %w", cc.BrokerConfig["min.insync.replicas"], err)
	}
	s := ElectionSettings{
		KRaft:              cc.Mode == cluster.ModeKRaft,
		MinISR:             min(minISR, spec.Workload.ReplicationFactor),
		QuorumFetchTimeout: cluster.QuorumFetchTimeout(cc),
		ObserverSlack:      observe.Slack,
	}
	// A cluster formatted with the release's defaults has ELR on from 4.1 (see HasELR); once
	// the cluster is up, the run replaces this with the feature level its brokers report.
	s.ELREnabled = s.KRaft && version.ELROnByDefault()
	return s, nil
}

// RunChaos runs a chaos run and writes its run directory as it goes: config.json first, then
// history.jsonl and elections.jsonl while the run lasts, node logs, and results.json last. The
// directory is kept whatever happens, including a panic.
func RunChaos(ctx context.Context, spec RunSpec) (res *RunResult, err error) {
	spec, err = spec.withDefaults()
	if err != nil {
		return nil, err
	}
	faults, err := spec.nemesisConfig().Lookup(spec.Faults)
	if err != nil {
		return nil, err
	}
	if err := prepareDir(spec.OutDir); err != nil {
		return nil, err
	}
	progress, runLog, err := openRunLog(spec.OutDir, spec.Progress)
	if err != nil {
		return nil, err
	}
	defer runLog.Close()
	r := &runner{spec: spec, faults: faults, progress: progress}
	res, err = r.run(ctx)
	if err != nil {
		recordFailure(spec.OutDir, err)
	}
	return res, err
}

// recordFailure writes why a run stopped into its directory, and its report and the results
// index, so the report shows the cause rather than a missing verdict. It is best effort: the
// error itself goes back to the caller either way.
func recordFailure(dir string, runErr error) {
	if err := os.WriteFile(filepath.Join(dir, rundir.RunErrorFile), []byte(runErr.Error()+"\n"), 0o644); err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if report.Write(ctx, dir) == nil {
		_ = report.WriteIndex(filepath.Dir(dir))
	}
}

func prepareDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("run directory: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("run directory: %w", err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("run directory %s is not empty: refusing to mix two runs", dir)
	}
	return nil
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", filepath.Base(path), err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return nil
}
