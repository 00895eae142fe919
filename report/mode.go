package report

import (
	"fmt"
	"strconv"

	"github.com/kafkaesque/kafkaesque/electionlog"
	"github.com/kafkaesque/kafkaesque/report/rundir"
)

// unknownVersion is shown for a run whose config.json records no Kafka version.
const unknownVersion = "unknown version (config.json records none: the run predates version recording)"

// modeLabel describes the cluster's mode and its metadata quorum for the parameters table.
func modeLabel(c *rundir.Config, events []electionlog.Event) string {
	cl := c.EffectiveCluster()
	if cl.Mode != "" && cl.Mode != rundir.ModeZooKeeper && cl.Mode != rundir.ModeKRaft {
		return fmt.Sprintf("unknown mode %q", cl.Mode)
	}
	kraft, recorded := c.KRaft(events)
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
			idRange(rundir.ControllerIDBase+1, rundir.ControllerIDBase+cl.Controllers))
	}
}

// modeShort is the mode in a few words, for the runs index.
func modeShort(c *rundir.Config) string {
	cl := c.EffectiveCluster()
	kraft, recorded := c.KRaft(nil)
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
