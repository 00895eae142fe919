package rundir

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kafkaesque/kafkaesque/electionlog"
)

// Config is the part of harness.RunConfig the report shows. It is decoded leniently: a run
// that crashed early may have written only some of it.
type Config struct {
	Spec struct {
		Cluster  ClusterConfig `json:"Cluster"`
		Workload struct {
			Name              string // "queue", "group" or "txn"; empty in runs before workloads had names
			Client            string // the producers' client; empty means kafka-go
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
		Warmup    time.Duration // the workload's time before the first fault; absent before warmups
		Seed      int64
		Command   string
		// Sweep places a run in the sweep that started it (harness.SweepRun); nil for a run of its own.
		Sweep *SweepRun
	} `json:"spec"`
	// SpecJSON is config.json's "spec" as written, for what the fields above leave out.
	SpecJSON json.RawMessage `json:"-"`
	Seed     int64           `json:"seed"`
	Command  string          `json:"command"`
	Producer *Producer       `json:"producer"`
	// Transactions are the txn workload's settings (transactions.go).
	Transactions *Transactions     `json:"transactions"`
	Allowed      map[string]string `json:"allowed"`
	RunID        string            `json:"run_id"`
	Started      time.Time         `json:"started"`
	Cluster      ClusterConfig     `json:"cluster"`
	Topology     map[string]string `json:"topology"`
	// Image and Elections are absent from runs before Kafka versions and KRaft.
	Image     *ImageInfo       `json:"image"`
	Elections ElectionSettings `json:"elections"`
}

// SweepRun is a run's place in a sweep: the sweep's id, the matrix cell and which of the
// cell's repeats it is (harness.SweepRun).
type SweepRun struct {
	ID     string
	Cell   string
	Repeat int
}

// ClusterConfig is the cluster a run asked for, or the one it got.
type ClusterConfig struct {
	Name         string
	KafkaVersion string
	Image        string
	Mode         string // "zk" or "kraft"; empty in runs before KRaft
	ZooKeepers   int
	Controllers  int
	Combined     bool
	Brokers      int
	BrokerConfig map[string]string
	// Lazyfs says whose data sat on lazyfs (power faults); absent in runs before them.
	Lazyfs struct{ Kafka, ZooKeeper, Journal bool }
}

// LazyfsLine describes the data directories on lazyfs, or "" when none were.
func (cl ClusterConfig) LazyfsLine() string {
	l := cl.Lazyfs
	var on []string
	if l.Kafka {
		model := "strict model"
		if l.Journal {
			model = "journal model"
		}
		on = append(on, "brokers' and controllers' /data/kafka ("+model+")")
	}
	if l.ZooKeeper {
		on = append(on, "ZooKeeper's /data/zookeeper (journal model)")
	}
	if len(on) == 0 {
		return ""
	}
	return "on lazyfs, un-fsynced writes lost at a power fault: " + strings.Join(on, "; ")
}

// LoadConfig reads config.json; a missing file is not an error.
func LoadConfig(dir string) (*Config, error) {
	data, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ConfigFile, err)
	}
	var c Config
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("decode %s: %w", ConfigFile, err)
	}
	var raw struct {
		Spec json.RawMessage `json:"spec"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("decode %s: %w", ConfigFile, err)
	}
	c.SpecJSON = raw.Spec
	return &c, nil
}

// Acks renders the workload's acks setting, which marshals as text ("all") or a number.
func (c *Config) Acks() string {
	return rawText(c.Spec.Workload.Acks)
}

// CommandLine is the command that reproduces the run.
func (c *Config) CommandLine() string {
	if c.Command != "" {
		return c.Command
	}
	return c.Spec.Command
}

// EffectiveCluster prefers the effective cluster config over the requested one.
func (c *Config) EffectiveCluster() ClusterConfig {
	if c.Cluster.Brokers > 0 || len(c.Cluster.BrokerConfig) > 0 {
		return c.Cluster
	}
	return c.Spec.Cluster
}

// BrokerIDs are the configured brokers' ids (the harness numbers them from 1).
func (c *Config) BrokerIDs() []int {
	if c == nil {
		return nil
	}
	ids := make([]int, c.EffectiveCluster().Brokers)
	for i := range ids {
		ids[i] = i + 1
	}
	return ids
}

// What config.json says of the Kafka release and the cluster's mode. Runs from before Kafka
// versions and KRaft were recorded have none of it: their page says so rather than guess.

// ImageInfo is what the node image holds, from config.json's "image". Its keys are matched
// loosely (case, "_" and "-" ignored, an optional "version" suffix: "Kafka", "kafka_version"),
// so the report reads the record however the harness spells it; other keys are not shown.
type ImageInfo struct {
	Kafka, ZooKeeper, Java string
}

func (i *ImageInfo) UnmarshalJSON(data []byte) error {
	var fields map[string]json.RawMessage
	if json.Unmarshal(data, &fields) != nil {
		return nil // not a record of versions: the page shows none rather than lose config.json
	}
	for k, raw := range fields {
		var v string
		if json.Unmarshal(raw, &v) != nil {
			continue // not a version string
		}
		key := strings.NewReplacer("_", "", "-", "", ".", "").Replace(strings.ToLower(k))
		switch strings.TrimSuffix(key, "version") {
		case "kafka":
			i.Kafka = v
		case "zookeeper", "zk":
			i.ZooKeeper = v
		case "java", "jre", "jdk":
			i.Java = v
		}
	}
	return nil
}

// String lists what the image holds: "Kafka 4.1.0, Java 17".
func (i *ImageInfo) String() string {
	if i == nil {
		return ""
	}
	var parts []string
	for _, p := range [][2]string{{"Kafka", i.Kafka}, {"ZooKeeper", i.ZooKeeper}, {"Java", i.Java}} {
		if p[1] != "" {
			parts = append(parts, p[0]+" "+p[1])
		}
	}
	return strings.Join(parts, ", ")
}

// ElectionSettings are the settings the election checks ran with (harness.ElectionSettings).
type ElectionSettings struct {
	KRaft      bool `json:"kraft"`
	ELREnabled bool `json:"elr_enabled"`
	MinISR     int  `json:"min_isr"`
}

// Modes as cluster.Mode spells them in config.json.
const (
	ModeZooKeeper = "zk"
	ModeKRaft     = "kraft"
)

// KafkaVersion is the Kafka release the run's nodes ran; empty when config.json records none.
func (c *Config) KafkaVersion() string {
	if v := c.EffectiveCluster().KafkaVersion; v != "" {
		return v
	}
	if c.Image != nil {
		return c.Image.Kafka
	}
	return ""
}

// KRaft says whether the run's cluster ran in KRaft mode, and whether config.json says so (as
// opposed to the election log's quorum events, or the ZooKeeper mode assumed without either).
// A nil config (no config.json) goes by the events alone.
func (c *Config) KRaft(events []electionlog.Event) (kraft, recorded bool) {
	if c != nil {
		switch c.EffectiveCluster().Mode {
		case ModeKRaft:
			return true, true
		case ModeZooKeeper:
			return false, true
		}
		if c.Elections.KRaft {
			return true, true
		}
	}
	return hasQuorumEvents(events), false
}

func hasQuorumEvents(events []electionlog.Event) bool {
	for _, e := range events {
		if e.Kind == electionlog.KindQuorum {
			return true
		}
	}
	return false
}

// ControllerIDBase numbers KRaft's dedicated controllers: ctlN is node 100+N (the cluster
// package's numbering, as the election log records it).
const ControllerIDBase = 100

// NodeName names a Kafka node by its id: a broker, or a dedicated controller ("ctl2 (node 102)").
func NodeName(id int) string {
	if id > ControllerIDBase {
		return fmt.Sprintf("ctl%d (node %d)", id-ControllerIDBase, id)
	}
	return BrokerName(id)
}

// BrokerName names a broker by its id; a negative id is "none" (no leader, no controller).
func BrokerName(id int) string {
	if id < 0 {
		return "none"
	}
	return "broker " + strconv.Itoa(id)
}
