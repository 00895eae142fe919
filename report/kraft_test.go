package report

import (
	"encoding/json"
	"html"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/electionlog"
	"github.com/kafkaesque/kafkaesque/report/rundir"
)

// param returns the parameters table's value for key, unescaped; "" if the table has no row.
func param(t *testing.T, page, key string) string {
	t.Helper()
	m := regexp.MustCompile(`<tr><th>` + regexp.QuoteMeta(key) + `</th><td>([^<]*)</td></tr>`).FindStringSubmatch(section(t, page, "parameters"))
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// figure returns the SVG figure with the given id.
func figure(t *testing.T, page, id string) string {
	t.Helper()
	start := strings.Index(page, `<figure id="`+id+`"`)
	if start < 0 {
		t.Fatalf("page has no figure %q", id)
	}
	return page[start : start+strings.Index(page[start:], "</figure>")]
}

func TestKRaftParameters(t *testing.T) {
	page := renderPage(t, syntheticKRaftRun(t))
	for key, want := range map[string]string{
		"Kafka":           "4.1.0",
		"Mode":            "KRaft, 3 controllers on nodes of their own: ctl1–ctl3, node ids 101–103",
		"Cluster":         "3 brokers, 3 controllers",
		"Image":           "kafkaesque/node:4.1.0 (Kafka 4.1.0, Java 17)",
		"Election checks": "eligible leader replicas (KIP-966) on, effective min.insync.replicas 2",
	} {
		if got := param(t, page, key); got != want {
			t.Errorf("parameter %s = %q, want %q", key, got, want)
		}
	}
}

// Runs from before versions and modes were recorded render, and say what is not known rather
// than guess a version.
func TestOldRunDirectoryAssumesNoVersion(t *testing.T) {
	page := renderPage(t, syntheticRun(t))
	if got := param(t, page, "Kafka"); got != unknownVersion {
		t.Errorf("Kafka = %q, want %q", got, unknownVersion)
	}
	if got := param(t, page, "Mode"); !strings.HasPrefix(got, "ZooKeeper (assumed: config.json records no mode") {
		t.Errorf("Mode = %q, want ZooKeeper, visibly assumed", got)
	}
	if strings.Contains(section(t, page, "parameters"), "3.9.2") {
		t.Error("the parameters name a Kafka version config.json does not record")
	}
	if strings.Contains(figure(t, page, "timeline"), "quorum leader") {
		t.Error("a ZooKeeper run's timeline has a quorum leader row")
	}
	controllers := section(t, page, "controllers")
	if !strings.Contains(controllers, "Controller over time") || strings.Count(controllers, `class="controller-row`) != 2 {
		t.Errorf("the ZooKeeper controller's two changes are not listed:\n%s", controllers)
	}
}

// A ZooKeeper run that records its version and mode shows them as recorded.
func TestZooKeeperRunWithVersion(t *testing.T) {
	dir := syntheticRun(t)
	data, err := os.ReadFile(filepath.Join(dir, rundir.ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	cl := cfg["cluster"].(map[string]any)
	cl["KafkaVersion"], cl["Mode"] = "3.9.2", "zk"
	cfg["image"] = map[string]any{"kafka_version": "3.9.2", "zookeeper_version": "3.8.4"}
	writeRunConfig(t, dir, cfg)
	page := renderPage(t, dir)
	for key, want := range map[string]string{"Kafka": "3.9.2", "Mode": "ZooKeeper, 1 ZooKeeper node",
		"Cluster": "3 brokers, 1 ZooKeeper", "Image": "kafkaesque-node:3.9 (Kafka 3.9.2, ZooKeeper 3.8.4)", "Election checks": ""} {
		if got := param(t, page, key); got != want {
			t.Errorf("parameter %s = %q, want %q", key, got, want)
		}
	}
}

func TestModeLabels(t *testing.T) {
	cases := []struct {
		cluster   rundir.ClusterConfig
		elections rundir.ElectionSettings
		events    []electionlog.Event
		want      string
	}{
		{rundir.ClusterConfig{Mode: "kraft", Controllers: 3, Combined: true, Brokers: 3}, rundir.ElectionSettings{}, nil,
			"KRaft, 3 controllers combined with brokers kafka1–kafka3 (process.roles=broker,controller)"},
		{rundir.ClusterConfig{Mode: "kraft", Controllers: 1, Brokers: 3}, rundir.ElectionSettings{}, nil,
			"KRaft, 1 controller on nodes of their own: ctl1, node ids 101"},
		{rundir.ClusterConfig{Mode: "zk", ZooKeepers: 3, Brokers: 3}, rundir.ElectionSettings{}, nil, "ZooKeeper, 3 ZooKeeper nodes"},
		{rundir.ClusterConfig{Brokers: 3}, rundir.ElectionSettings{KRaft: true}, nil, "KRaft"},
		{rundir.ClusterConfig{Brokers: 3}, rundir.ElectionSettings{}, kraftElections(),
			"KRaft (config.json records no mode; the election log holds quorum events)"},
		{rundir.ClusterConfig{Mode: "raft", Brokers: 3}, rundir.ElectionSettings{}, nil, `unknown mode "raft"`},
	}
	for _, tc := range cases {
		c := &rundir.Config{Cluster: tc.cluster, Elections: tc.elections}
		if got := modeLabel(c, tc.events); got != tc.want {
			t.Errorf("%+v: mode %q, want %q", tc.cluster, got, tc.want)
		}
	}
}

var quorumRect = regexp.MustCompile(`<rect class="qterm qterm-(\d)" x="([0-9.]+)"[^>]*><title>quorum leader ctl\d \(node (\d+)\), epoch (\d+)`)

// The quorum leader is shown over time as ZooKeeper's controller is: each term a bar with its
// leader and epoch, the epoch rising, each change marked, and the changes listed.
func TestKRaftQuorumLeaderOverTime(t *testing.T) {
	if got := rundir.QuorumSpans(kraftElections()); !reflect.DeepEqual(got, kraftQuorumSpans) {
		t.Fatalf("quorum spans\n got %+v\nwant %+v", got, kraftQuorumSpans)
	}
	page := renderPage(t, syntheticKRaftRun(t))
	fig := figure(t, page, "timeline")
	if !strings.Contains(fig, "Quorum leader (the active controller)") || !strings.Contains(fig, ">quorum leader</text>") {
		t.Error("the timeline has no quorum leader row")
	}
	bars := quorumRect.FindAllStringSubmatch(fig, -1)
	if len(bars) != 3 {
		t.Fatalf("%d quorum leader bars, want 3 (one per term)", len(bars))
	}
	prevX := -1.0
	for i, b := range bars {
		x, _ := strconv.ParseFloat(b[2], 64)
		node, _ := strconv.Atoi(b[3])
		epoch, _ := strconv.Atoi(b[4])
		if node != 101+i || epoch != i+1 || x <= prevX || b[1] != strconv.Itoa(i%2) {
			t.Errorf("bar %d: node %d epoch %d at x=%v shade %s; want node %d, epoch %d, right of %v, shade %d", i, node, epoch, x, b[1], 101+i, i+1, prevX, i%2)
		}
		prevX = x
		if label := strconv.Itoa(node) + " e" + strconv.Itoa(epoch); !strings.Contains(fig, ">"+label+"</text>") {
			t.Errorf("bar %d is not labelled %q", i, label)
		}
	}
	if n := strings.Count(fig, "<title>no node answered as quorum leader"); n != 2 {
		t.Errorf("%d leaderless stretches, want 2 (after each kill)", n)
	}
	if n := strings.Count(fig, `<line class="ctl"`); n != 3 {
		t.Errorf("%d term changes marked, want 3", n)
	}
	rows := regexp.MustCompile(`<tr class="controller-row[^"]*"><td class="num">[0-9.]+</td><td>([^<]*)</td><td class="num">(\d+)</td><td>([^<]*)</td>`).
		FindAllStringSubmatch(section(t, page, "controllers"), -1)
	want := [][3]string{{"ctl1 (node 101)", "1", "first leader seen"}, {"none", "1", "no node answers as leader of epoch 1"},
		{"ctl2 (node 102)", "2", "elected: epoch 1 → 2"}, {"none", "2", "no node answers as leader of epoch 2"},
		{"ctl3 (node 103)", "3", "elected: epoch 2 → 3"}}
	if len(rows) != len(want) {
		t.Fatalf("%d controller rows, want %d", len(rows), len(want))
	}
	for i, r := range rows {
		if got := [3]string{r[1], r[2], html.UnescapeString(r[3])}; got != want[i] {
			t.Errorf("controller row %d = %v, want %v", i, got, want[i])
		}
	}
}

// Each broker's view replays the same metadata log, lagging: a view showing an older state
// after another view moved on adds no change to the timeline.
func TestKRaftTimelineMergesLaggingViews(t *testing.T) {
	if got := rundir.PartitionTimelines(kraftElections())["jepsen-2"]; !reflect.DeepEqual(got, kraftJepsen2) {
		t.Errorf("jepsen-2's timeline\n got %+v\nwant %+v", got, kraftJepsen2)
	}
	page := renderPage(t, syntheticKRaftRun(t))
	fig := figure(t, page, "timeline")
	if !regexp.MustCompile(`<rect class="elr"[^>]*><title>jepsen-2: leader broker 1, epoch 1, ISR \[1\], ELR \[2\]`).MatchString(fig) {
		t.Error("jepsen-2's ELR is not drawn")
	}
	if !strings.Contains(fig, "ELR (KIP-966, strip under the ISR):") {
		t.Error("the legend does not explain the ELR strip")
	}
	if strings.Contains(figure(t, renderPage(t, syntheticRun(t)), "timeline"), "ELR") {
		t.Error("a run without ELRs has an ELR legend")
	}
}

// The lost writes' context lists the ELR, and a leader elected from it is no suspect; the KRaft
// anomalies' events are described.
func TestKRaftAnomalyDetails(t *testing.T) {
	dir := syntheticKRaftRun(t)
	res, _, err := rundir.LoadResult(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Anomalies[checker.LostWrite]) == 0 || len(res.Anomalies[checker.HWAdvancedBelowMinISR]) != 1 {
		t.Fatalf("the fixture's check found %d lost writes and %d hw-advanced-below-min-isr, want some and 1",
			len(res.Anomalies[checker.LostWrite]), len(res.Anomalies[checker.HWAdvancedBelowMinISR]))
	}
	page := renderPage(t, dir)
	lost := section(t, page, "anomaly-lost-write")
	if !strings.Contains(lost, "<th>ELR</th>") || !strings.Contains(lost, "was in the ELR (not the ISR) at the acknowledgement") ||
		!strings.Contains(lost, "Every later leader was in the ISR or the ELR when the write was acknowledged.") {
		t.Error("the lost writes' context does not show the ELR")
	}
	hw := section(t, page, "anomaly-hw-advanced-below-min-isr")
	for _, want := range []string{"read from broker 2, jepsen-1, leader broker 2, leader epoch 0, ISR [2], ELR [3], last known ELR [], high watermark 100",
		"high watermark 140"} {
		if !strings.Contains(hw, want) {
			t.Errorf("the hw-advanced-below-min-isr example lacks %q", want)
		}
	}
	row := makeEventRow(0, quorumAnswer(9.4, 102, 102, 2))
	if want := "answer of ctl2 (node 102), claims leadership, quorum epoch 2, voters [101 102 103]"; row.Detail != want {
		t.Errorf("quorum event: %q, want %q", row.Detail, want)
	}
	if row := makeEventRow(0, quorumAnswer(1, 103, -1, 0)); !strings.Contains(row.Detail, "no leader claimed") {
		t.Errorf("follower's answer: %q", row.Detail)
	}
}

// The unavailability table measures KRaft's new controllers (issue 10's measurement, through
// results.json).
func TestKRaftFaultsMeasured(t *testing.T) {
	page := renderPage(t, syntheticKRaftRun(t))
	rows := regexp.MustCompile(`<tr class="fault-row"><td><i[^>]*></i> ([a-z-]+)</td>(?:<td[^>]*>.*?</td>){5}<td class="num">([^<]*)</td><td class="num">([^<]*)</td>`).
		FindAllStringSubmatch(section(t, page, "faults"), -1)
	want := [][3]string{{"kill-controller", "1.40", "–"}, {"isolate-leader", "–", "0.50"}, {"kill-controller", "1.60", "–"}}
	if len(rows) != len(want) {
		t.Fatalf("%d fault rows, want %d", len(rows), len(want))
	}
	for i, r := range rows {
		if got := [3]string{r[1], r[2], r[3]}; got != want[i] {
			t.Errorf("fault row %d (fault, new controller after, new leader after) = %v, want %v", i, got, want[i])
		}
	}
}

func TestIndexShowsVersionAndMode(t *testing.T) {
	kraft := syntheticKRaftRun(t)
	zk := syntheticRun(t)
	results := t.TempDir()
	for _, d := range []string{kraft, zk} {
		if err := os.Rename(d, filepath.Join(results, filepath.Base(filepath.Dir(d))+filepath.Base(d))); err != nil {
			t.Fatal(err)
		}
	}
	if err := WriteIndex(results); err != nil {
		t.Fatal(err)
	}
	index, err := os.ReadFile(filepath.Join(results, rundir.ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Kafka 4.1.0 · KRaft, 3 controllers · 3 brokers", "Kafka version unknown · ZooKeeper mode (assumed) · 3 brokers"} {
		if !strings.Contains(string(index), want) {
			t.Errorf("index lacks %q", want)
		}
	}
}

// A KRaft run whose election log holds no quorum answer says so on the quorum leader's row.
func TestKRaftWithoutQuorumEvents(t *testing.T) {
	dir := syntheticKRaftRun(t)
	f, err := os.Create(filepath.Join(dir, rundir.ElectionsFile))
	if err != nil {
		t.Fatal(err)
	}
	w := electionlog.NewWriter(f)
	for _, e := range kraftElections() {
		if e.Source != electionlog.SourceQuorum {
			if err := w.Write(e); err != nil {
				t.Fatal(err)
			}
		}
	}
	f.Close()
	fig := figure(t, renderPage(t, dir), "timeline")
	if !strings.Contains(fig, ">quorum leader</text>") || !strings.Contains(fig, "no node answered DescribeQuorum as leader") {
		t.Error("the quorum leader's row does not say it has nothing to show")
	}
}
