package report

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/kafkaesque/kafkaesque/electionlog"
)

// What config.json says of the Kafka release and the cluster's mode. Runs from before Kafka
// versions and KRaft were recorded have none of it: their page says so rather than guess.

// imageInfo is what the node image holds, from config.json's "image". Its keys are matched
// loosely (case, "_" and "-" ignored, an optional "version" suffix: "Kafka", "kafka_version"),
// so the report reads the record however the harness spells it; other keys are not shown.
type imageInfo struct {
	Kafka, ZooKeeper, Java string
}

func (i *imageInfo) UnmarshalJSON(data []byte) error {
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
func (i *imageInfo) String() string {
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

// electionSettings are the settings the election checks ran with (harness.ElectionSettings).
type electionSettings struct {
	KRaft      bool `json:"kraft"`
	ELREnabled bool `json:"elr_enabled"`
	MinISR     int  `json:"min_isr"`
}

// Modes as cluster.Mode spells them in config.json.
const (
	modeZooKeeper = "zk"
	modeKRaft     = "kraft"
)

// unknownVersion is shown for a run whose config.json records no Kafka version.
const unknownVersion = "unknown version (config.json records none: the run predates version recording)"

// kafkaVersion is the Kafka release the run's nodes ran; empty when config.json records none.
func (c *runConfig) kafkaVersion() string {
	if v := c.effectiveCluster().KafkaVersion; v != "" {
		return v
	}
	if c.Image != nil {
		return c.Image.Kafka
	}
	return ""
}

// kraft says whether the run's cluster ran in KRaft mode, and whether config.json says so (as
// opposed to the election log's quorum events, or the ZooKeeper mode assumed without either).
func (c *runConfig) kraft(events []electionlog.Event) (kraft, recorded bool) {
	if c != nil {
		switch c.effectiveCluster().Mode {
		case modeKRaft:
			return true, true
		case modeZooKeeper:
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

// modeLabel describes the cluster's mode and its metadata quorum for the parameters table.
func (c *runConfig) modeLabel(events []electionlog.Event) string {
	cl := c.effectiveCluster()
	if cl.Mode != "" && cl.Mode != modeZooKeeper && cl.Mode != modeKRaft {
		return fmt.Sprintf("unknown mode %q", cl.Mode)
	}
	kraft, recorded := c.kraft(events)
	switch {
	case !recorded && kraft:
		return "KRaft (config.json records no mode; the election log holds quorum events)"
	case !recorded:
		return "ZooKeeper (assumed: config.json records no mode, and runs from before KRaft support were all ZooKeeper mode)"
	case !kraft:
		return fmt.Sprintf("ZooKeeper, %s", plural(cl.ZooKeepers, "ZooKeeper node"))
	case cl.Controllers == 0:
		return "KRaft"
	case cl.Combined:
		return fmt.Sprintf("KRaft, %s combined with brokers %s (process.roles=broker,controller)",
			plural(cl.Controllers, "controller"), nodeRange("kafka", 1, cl.Controllers))
	default:
		return fmt.Sprintf("KRaft, %s on nodes of their own: %s, node ids %s",
			plural(cl.Controllers, "controller"), nodeRange("ctl", 1, cl.Controllers),
			idRange(controllerIDBase+1, controllerIDBase+cl.Controllers))
	}
}

// modeShort is the mode in a few words, for the runs index.
func (c *runConfig) modeShort() string {
	cl := c.effectiveCluster()
	kraft, recorded := c.kraft(nil)
	switch {
	case !recorded:
		return "ZooKeeper mode (assumed)"
	case !kraft:
		return "ZooKeeper mode"
	case cl.Combined:
		return fmt.Sprintf("KRaft, %d combined controllers", cl.Controllers)
	case cl.Controllers > 0:
		return fmt.Sprintf("KRaft, %d controllers", cl.Controllers)
	}
	return "KRaft"
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

func nodeRange(prefix string, from, to int) string {
	if from == to {
		return prefix + strconv.Itoa(from)
	}
	return fmt.Sprintf("%s%d–%s%d", prefix, from, prefix, to)
}

func idRange(from, to int) string {
	if from == to {
		return strconv.Itoa(from)
	}
	return fmt.Sprintf("%d–%d", from, to)
}

// controllerIDBase numbers KRaft's dedicated controllers: ctlN is node 100+N (the cluster
// package's numbering, as the election log records it).
const controllerIDBase = 100

// nodeName names a Kafka node by its id: a broker, or a dedicated controller ("ctl2 (node 102)").
func nodeName(id int) string {
	if id > controllerIDBase {
		return fmt.Sprintf("ctl%d (node %d)", id-controllerIDBase, id)
	}
	return brokerName(id)
}
