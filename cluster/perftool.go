package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kafkaesque/kafkaesque/cluster/engine"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"
)

// ProducerPerfConfig is one run of Kafka's own producer benchmark (kafka-producer-perf-test,
// org.apache.kafka.tools.ProducerPerformance) against the cluster.
type ProducerPerfConfig struct {
	Topic      string
	Records    int64 // --num-records
	RecordSize int   // --record-size, bytes
	// Props are producer configs (--producer-props), bootstrap.servers aside: acks and whatever
	// else the comparison needs the tool to share with the workload.
	Props map[string]string
}

// ProducerPerf is what the tool reported in its summary line.
type ProducerPerf struct {
	Records       int64
	RecordsPerSec float64
	MBPerSec      float64
	AvgLatencyMs  float64
	MaxLatencyMs  float64
	P99LatencyMs  float64
	Elapsed       time.Duration // the tool's container, start to exit (JVM start-up included)
}

// perfSummary is the tool's last line: "N records sent, R records/sec (M MB/sec), A ms avg
// latency, X ms max latency, P ms 50th, P ms 95th, P ms 99th, P ms 99.9th."
var perfSummary = regexp.MustCompile(`(\d+) records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\), ([\d.]+|NaN) ms avg latency, ([\d.]+) ms max latency, \d+ ms 50th, \d+ ms 95th, (\d+) ms 99th`)

// parseProducerPerf reads the summary out of the tool's output.
func parseProducerPerf(out string) (ProducerPerf, error) {
	all := perfSummary.FindAllStringSubmatch(out, -1)
	if len(all) == 0 {
		return ProducerPerf{}, fmt.Errorf("kafka-producer-perf-test printed no summary; its output ends: %s", tail(out, 800))
	}
	m := all[len(all)-1]
	var p ProducerPerf
	var errs []error
	num := func(s string) float64 {
		f, err := strconv.ParseFloat(s, 64)
		errs = append(errs, err)
		return f
	}
	p.Records = int64(num(m[1]))
	p.RecordsPerSec, p.MBPerSec = num(m[2]), num(m[3])
	p.AvgLatencyMs, p.MaxLatencyMs, p.P99LatencyMs = num(m[4]), num(m[5]), num(m[6])
	if err := errors.Join(errs...); err != nil {
		return p, fmt.Errorf("kafka-producer-perf-test summary %q: %w", m[0], err)
	}
	return p, nil
}

func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// RunProducerPerf runs Kafka's producer benchmark to completion in a container of the node image
// on the cluster's network (a client host of its own, as the workload's process is), and returns
// its summary. The tool must send every record: a run that does not is an error.
func (c *Cluster) RunProducerPerf(ctx context.Context, cfg ProducerPerfConfig) (ProducerPerf, error) {
	if cfg.Topic == "" || cfg.Records < 1 || cfg.RecordSize < 1 {
		return ProducerPerf{}, fmt.Errorf("producer perf: need a topic, records >= 1 and a record size >= 1, got %+v", cfg)
	}
	if !c.Image.ProducerPerf {
		return ProducerPerf{}, fmt.Errorf("producer perf: image %s holds no kafka-tools jar: rebuild it with images/build.sh %s", c.Config.Image, c.Image.KafkaVersion)
	}
	if _, ok := cfg.Props["bootstrap.servers"]; ok {
		return ProducerPerf{}, errors.New("producer perf: bootstrap.servers is the cluster's: leave it out of Props")
	}
	props := maps.Clone(cfg.Props)
	if props == nil {
		props = map[string]string{}
	}
	props["bootstrap.servers"] = strings.Join(c.BootstrapServers(), ",")
	args := []string{"producer-perf-test", "--topic", cfg.Topic, "--num-records", strconv.FormatInt(cfg.Records, 10),
		"--record-size", strconv.Itoa(cfg.RecordSize), "--throughput", "-1", "--producer-props"}
	for _, k := range slices.Sorted(maps.Keys(props)) {
		args = append(args, k+"="+props[k])
	}
	labels := engine.OwnLabels(c.RunID)
	labels[engine.LabelNode] = "perf"
	req := testcontainers.GenericContainerRequest{
		ContainerRequest: testcontainers.ContainerRequest{
			Image:    c.Config.Image,
			Name:     fmt.Sprintf("%s-%s-perf-%d", c.Config.Name, c.RunID, time.Now().UnixNano()%1e6),
			Cmd:      args,
			Labels:   labels,
			Networks: []string{c.network.Name},
			// The tool ends by itself; the wait bounds a tool that hangs on a broken cluster.
			WaitingFor: wait.ForExit().WithExitTimeout(10 * time.Minute),
		},
		Started: true,
	}
	start := time.Now()
	ctr, err := testcontainers.GenericContainer(ctx, req)
	elapsed := time.Since(start)
	if ctr != nil {
		defer func() { _ = ctr.Terminate(context.WithoutCancel(ctx)) }()
	}
	if err != nil {
		return ProducerPerf{}, fmt.Errorf("producer perf: %w", err)
	}
	out := ""
	if rc, lerr := ctr.Logs(ctx); lerr == nil {
		b, _ := io.ReadAll(rc)
		rc.Close()
		out = string(b)
	}
	state, err := ctr.State(ctx)
	if err != nil {
		return ProducerPerf{}, fmt.Errorf("producer perf: %w", err)
	}
	if state.ExitCode != 0 {
		return ProducerPerf{}, fmt.Errorf("kafka-producer-perf-test exited %d: %s", state.ExitCode, tail(out, 800))
	}
	p, err := parseProducerPerf(out)
	if err != nil {
		return p, err
	}
	if p.Records != cfg.Records {
		return p, fmt.Errorf("kafka-producer-perf-test sent %d of %d records", p.Records, cfg.Records)
	}
	p.Elapsed = elapsed
	return p, nil
}
