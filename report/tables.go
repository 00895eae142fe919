package report

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/report/rundir"
)

// The page's tables: parameters, faults, files and checker statistics.

func params(r *rundir.Run) (main, brokerConfig, topology, allowed []keyValue, command string) {
	add := func(k, val string) {
		if val != "" && val != "0" {
			main = append(main, keyValue{k, val})
		}
	}
	add("Duration (history)", fmt.Sprintf("%.2fs, %d lines", rundir.Seconds(r.Scan.End), r.Scan.Lines))
	c := r.Config
	if c == nil {
		add("Configuration", "no config.json: parameters unknown")
		return
	}
	add("Run ID", c.RunID)
	if !c.Started.IsZero() {
		add("Started", c.Started.UTC().Format(time.RFC3339))
	}
	add("Seed", strconv.FormatInt(c.Seed, 10))
	if c.Spec.Warmup > 0 {
		add("Warm-up (no faults)", c.Spec.Warmup.String())
	}
	if c.Spec.TimeLimit > 0 {
		add("Fault phase", c.Spec.TimeLimit.String())
	}
	cl := c.EffectiveCluster()
	version := c.KafkaVersion()
	if version == "" {
		version = unknownVersion
	}
	add("Kafka", version)
	add("Mode", modeLabel(c, r.Events))
	kraft, _ := c.KRaft(r.Events)
	switch {
	case !kraft:
		add("Cluster", fmt.Sprintf("%d brokers, %d ZooKeeper", cl.Brokers, cl.ZooKeepers))
	case cl.Controllers > 0:
		add("Cluster", fmt.Sprintf("%s, %s", plural(cl.Brokers, "broker"), plural(cl.Controllers, "controller")))
	default:
		add("Cluster", plural(cl.Brokers, "broker"))
	}
	image := cl.Image
	if held := c.Image.String(); held != "" {
		image = strings.TrimSpace(image + " (" + held + ")")
	}
	add("Image", image)
	if l := cl.LazyfsLine(); l != "" {
		add("Data directories", l)
	}
	if e := c.Elections; kraft && e.MinISR > 0 {
		elr := "off"
		if e.ELREnabled {
			elr = "on"
		}
		add("Election checks", fmt.Sprintf("eligible leader replicas (KIP-966) %s, effective min.insync.replicas %d", elr, e.MinISR))
	}
	w := c.Spec.Workload
	add("Workload", fmt.Sprintf("topic %s, %d partitions, RF %d, acks=%s, %d producers, %d consumers",
		w.Topic, w.Partitions, w.ReplicationFactor, c.Acks(), w.Producers, w.Consumers))
	if p := c.ProducerLine(); p != "" {
		add("Producer", p)
	}
	if t := c.TransactionsLine(); t != "" {
		add("Transactions", t)
	}
	if w.MaxSends > 0 {
		add("Max sends", strconv.Itoa(w.MaxSends))
	}
	if w.Rate > 0 {
		add("Rate per producer", strconv.FormatFloat(w.Rate, 'f', -1, 64)+"/s")
	}
	faults := strings.Join(c.Spec.Faults, ", ")
	if faults == "" {
		faults = "none"
	}
	add("Nemesis", faults)
	for _, k := range slices.Sorted(maps.Keys(cl.BrokerConfig)) {
		brokerConfig = append(brokerConfig, keyValue{k, cl.BrokerConfig[k]})
	}
	for _, k := range slices.Sorted(maps.Keys(c.Topology)) {
		topology = append(topology, keyValue{k, c.Topology[k]})
	}
	for _, k := range slices.Sorted(maps.Keys(c.Allowed)) {
		allowed = append(allowed, keyValue{k, c.Allowed[k]})
	}
	return main, brokerConfig, topology, allowed, c.CommandLine()
}

func faultRows(r *rundir.Run, kinds map[string]string) []faultRow {
	var rows []faultRow
	secs := func(p *float64) string {
		if p == nil {
			return "–"
		}
		return fmt.Sprintf("%.2f", *p)
	}
	for _, f := range r.Result.Faults {
		row := faultRow{Fault: f.Fault, Nodes: strings.Join(f.Nodes, ", "), Key: f.Key, InvokeOp: f.InvokeOp,
			Start: fmt.Sprintf("%.2f", rundir.Seconds(f.Start)), End: "–", Controller: secs(f.NewControllerAfter),
			Leader: secs(f.NewLeaderAfter), Coordinator: secs(f.NewCoordinatorAfter), SendsOK: secs(f.SendsOKAfter), Error: f.Error, KindClass: kinds[f.Fault]}
		_, row.HasOp = r.Scan.Ops[f.InvokeOp]
		if f.PowerLoss {
			row.DataLost, row.LostWrites = dataLost(f.DataLost), "–"
			if f.LostWritesBefore != nil {
				row.LostWrites = strconv.Itoa(*f.LostWritesBefore)
			}
		}
		if f.Recovered != nil {
			row.End = fmt.Sprintf("%.2f", rundir.Seconds(*f.Recovered))
		}
		rows = append(rows, row)
	}
	if len(rows) > 0 {
		return rows
	}
	for _, f := range r.Scan.Faults { // no measurements in results.json: show what the history says
		row := faultRow{Fault: f.Fault, Nodes: strings.Join(f.Nodes, ", "), Key: f.Partition, InvokeOp: f.InvokeOp,
			Start: fmt.Sprintf("%.2f", rundir.Seconds(f.Start)), End: fmt.Sprintf("%.2f", rundir.Seconds(f.End)),
			Controller: "–", Leader: "–", SendsOK: "–", Error: f.Error, KindClass: kinds[f.Fault], Recovery: f.Ended}
		rows = append(rows, row)
	}
	return rows
}

// files links the run directory's files. Every node's log is linked: the run writes its report
// before it removes the cluster and collects the logs into nodes/, so the topology in
// config.json names the logs still to come.
func files(r *rundir.Run) []keyValue {
	var out []keyValue
	for _, name := range []string{rundir.ConfigFile, rundir.HistoryFile, rundir.ElectionsFile, rundir.ResultsFile, rundir.JUnitFile} {
		if _, err := os.Stat(filepath.Join(r.Dir, name)); err == nil || name == rundir.JUnitFile {
			out = append(out, keyValue{name, name})
		}
	}
	logs := rundir.NodeLogs(r.Dir)
	for _, l := range logs {
		out = append(out, keyValue{l, l})
	}
	if r.Config == nil {
		return out
	}
	for _, node := range slices.Sorted(maps.Keys(r.Config.Topology)) {
		l := rundir.NodeLogsDir + "/" + node + ".log"
		if !slices.Contains(logs, l) {
			out = append(out, keyValue{l + " (collected after this page was written)", l})
		}
	}
	return out
}

func stats(res *checker.Result) []keyValue {
	s := res.Stats
	return []keyValue{
		{"Ops read", strconv.FormatInt(s.Lines, 10)},
		{"Keys / values", fmt.Sprintf("%d / %d", s.Keys, s.Values)},
		{"Sends ok / fail / info", fmt.Sprintf("%d / %d / %d", s.SendsOK, s.SendsFail, s.SendsInfo)},
		{"Polls ok / fail / info", fmt.Sprintf("%d / %d / %d", s.PollsOK, s.PollsFail, s.PollsInfo)},
		{"Incomplete invocations", strconv.FormatInt(s.Incomplete, 10)},
		{"Linearizability", fmt.Sprintf("%d ops in %d segments, %.2fs", s.LinOps, s.LinSegments, s.LinSeconds)},
		{"Check time", fmt.Sprintf("%.2fs", s.DurationSeconds)},
	}
}

// txnStats are the transactions by outcome, for runs of the txn workload.
func txnStats(t rundir.TxnCounts) []keyValue {
	if t.Total() == 0 {
		return nil
	}
	return []keyValue{
		{"Transactions committed", strconv.FormatInt(t.Committed, 10)},
		{"Transactions aborted (on purpose)", fmt.Sprintf("%d (%d)", t.Aborted, t.AbortedOnPurpose)},
		{"Transactions indeterminate / never completed", fmt.Sprintf("%d / %d", t.Indeterminate, t.Incomplete)},
	}
}

// dataLost says what a power fault dropped, node by node: "kafka1 212.8 KiB in 9 files, 0
// entries; kafka2 ...", or "nothing recorded" for one that failed before its loss.
func dataLost(lost []checker.DataLoss) string {
	if len(lost) == 0 {
		return "nothing recorded"
	}
	parts := make([]string, len(lost))
	for i, l := range lost {
		label := l.Node
		if l.Dir != "" && l.Dir != "/data/kafka" {
			label += " (" + l.Dir + ")"
		}
		parts[i] = fmt.Sprintf("%s %s in %d files, %d entries", label, byteSize(l.Bytes), l.Files, l.Entries)
	}
	return strings.Join(parts, "; ")
}

// byteSize is n bytes in B, KiB or MiB.
func byteSize(n int64) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/1024)
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
