package report

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/kafkaesque/kafkaesque/history"
	"github.com/kafkaesque/kafkaesque/report/plot"
	"github.com/kafkaesque/kafkaesque/report/rundir"
)

// A fault acts from its invocation: its band starts there, not at the nemesis' info completion.
func TestFaultBandsStartAtInvocation(t *testing.T) {
	dir := syntheticRun(t)
	var inv, done history.Op
	for _, op := range readOps(t, dir) {
		if op.Process == history.NemesisProcess && op.F == "kill" {
			if op.Type == history.Invoke {
				inv = op
			} else {
				done = op
			}
		}
	}
	if done.Time <= inv.Time {
		t.Fatal("the fixture's kill has no invocation before its completion")
	}
	f, err := os.Open(filepath.Join(dir, rundir.HistoryFile))
	if err != nil {
		t.Fatal(err)
	}
	s, err := rundir.ScanHistory(context.Background(), f, nil)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Faults) == 0 || s.Faults[0].Start != inv.Time {
		t.Fatalf("kill starts at %v, want its invocation at %d (completion %d)", s.Faults, inv.Time, done.Time)
	}
	ax := plot.NewTimeAxis(s.End)
	bands := regexp.MustCompile(`data-fault="kill" x="([0-9.]+)"`).FindAllStringSubmatch(renderPage(t, dir), -1)
	if len(bands) != 4 {
		t.Fatalf("%d kill bands, want one per time plot", len(bands))
	}
	for _, b := range bands {
		if x, _ := strconv.ParseFloat(b[1], 64); x != ax.X(inv.Time) || x == ax.X(done.Time) {
			t.Errorf("band at x=%v, want the invocation's %v (the completion is at %v)", x, ax.X(inv.Time), ax.X(done.Time))
		}
	}
}

// hslOf returns a #rrggbb colour's hue (degrees) and HSL saturation.
func hslOf(t *testing.T, hex string) (hue, sat float64) {
	t.Helper()
	v, err := strconv.ParseUint(strings.TrimPrefix(hex, "#"), 16, 32)
	if err != nil {
		t.Fatal(err)
	}
	r, g, b := float64(v>>16&0xff)/255, float64(v>>8&0xff)/255, float64(v&0xff)/255
	hi, lo := math.Max(r, math.Max(g, b)), math.Min(r, math.Min(g, b))
	l, d := (hi+lo)/2, hi-lo
	if d == 0 {
		return 0, 0
	}
	sat = d / (1 - math.Abs(2*l-1))
	switch hi {
	case r:
		hue = math.Mod((g-b)/d, 6)
	case g:
		hue = (b-r)/d + 2
	default:
		hue = (r-g)/d + 4
	}
	return math.Mod(hue*60+360, 360), sat
}

// The timeline's legend names every broker, leader colours under their own heading, and no
// leader colour can be read as an ISR state: leaders are chromatic and never red or orange,
// ISR states are grey, orange and black.
func TestTimelineLegendNamesEveryBrokerApartFromISRStates(t *testing.T) {
	dir := syntheticRun(t)
	cfg, err := os.ReadFile(filepath.Join(dir, rundir.ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	// A fourth broker that never leads nor joins an ISR must still be in the legend.
	cfg = []byte(strings.Replace(string(cfg), `"Brokers": 3`, `"Brokers": 4`, 2))
	if err := os.WriteFile(filepath.Join(dir, rundir.ConfigFile), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	page := renderPage(t, dir)
	start := strings.Index(page, `<figure id="timeline"`)
	legend := page[start : start+strings.Index(page[start:], "</div>")]
	leaderHead, isrHead := strings.Index(legend, "Leader (bar):"), strings.Index(legend, "ISR (strip under the bar):")
	if leaderHead < 0 || isrHead < leaderHead {
		t.Fatalf("the legend has no separate leader and ISR headings:\n%s", legend)
	}
	for id := 1; id <= 4; id++ {
		item := fmt.Sprintf(`<i class="sw ldr ldr-%d"></i>broker %d`, id, id)
		if at := strings.Index(legend, item); at < leaderHead || at > isrHead {
			t.Errorf("broker %d is not in the legend's leader part", id)
		}
	}
	for _, state := range []string{"isr-full", "isr-short", "isr-empty"} {
		if at := strings.Index(legend, `class="sw `+state+`"`); at < isrHead {
			t.Errorf("%s is not in the legend's ISR part", state)
		}
	}

	style, err := templateFS.ReadFile("templates/style.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	colour := func(class string) string {
		m := regexp.MustCompile(`\.` + class + `(?:,[^{]*)?\{fill:(#[0-9a-fA-F]{6})`).FindStringSubmatch(string(style))
		if m == nil {
			t.Fatalf("style has no fill colour for .%s", class)
		}
		if !regexp.MustCompile(`\.sw\.` + class + `[,{][^}]*background:`).MatchString(string(style)) {
			t.Errorf("the legend swatch of .%s has no colour", class)
		}
		return m[1]
	}
	redOrange := func(hue float64) bool { return hue >= 330 || hue < 45 }
	for i := range plot.LeaderColours {
		hue, sat := hslOf(t, colour(fmt.Sprintf("ldr-%d", i)))
		if sat < 0.3 || redOrange(hue) {
			t.Errorf("leader colour ldr-%d (hue %.0f, saturation %.2f) is grey, red or orange: it reads as an ISR state", i, hue, sat)
		}
	}
	for _, class := range []string{"isr-full", "isr-short", "isr-empty", "ldr-none"} {
		if hue, sat := hslOf(t, colour(class)); sat >= 0.1 && !redOrange(hue) {
			t.Errorf("%s (hue %.0f) shares the leaders' hues", class, hue)
		}
	}
}

// The run writes its page before it collects the node logs: every node's log is linked anyway.
func TestNodeLogsLinkedBeforeTheyAreCollected(t *testing.T) {
	dir := syntheticRun(t)
	if err := os.RemoveAll(filepath.Join(dir, rundir.NodeLogsDir)); err != nil {
		t.Fatal(err)
	}
	page := renderPage(t, dir)
	files := page[strings.Index(page, `id="files"`):]
	for _, node := range []string{"kafka1", "kafka2", "kafka3", "zk1"} {
		if !strings.Contains(files, `href="nodes/`+node+`.log"`) {
			t.Errorf("Files does not link %s's log", node)
		}
	}
	// Once collected, each log is linked once, without the note.
	page = renderPage(t, syntheticRun(t))
	if n := strings.Count(page, `href="nodes/kafka1.log"`); n != 1 || strings.Contains(page, "collected after") {
		t.Errorf("a collected log is linked %d times, or still marked as to come", n)
	}
}

// Each nonlinearizable anomaly's porcupine page shows the window around its own ops.
func TestPorcupinePagePerAnomaly(t *testing.T) {
	dir := syntheticRun(t)
	fx := withNewSections(t, dir)
	page := renderPage(t, dir)
	sec := section(t, page, "anomaly-nonlinearizable") // the porcupine links are all in it
	links := regexp.MustCompile(`class="linviz" href="([^"]+)"`).FindAllStringSubmatch(sec, -1)
	if len(links) != 2 || links[0][1] == links[1][1] {
		t.Fatalf("want one porcupine page per anomaly, got links %v", links)
	}
	for i, l := range links {
		viz, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(l[1])))
		if err != nil {
			t.Fatal(err)
		}
		own, other := fx.nonlinearOps[i][0], fx.nonlinearOps[1-i][0]
		if !strings.Contains(string(viz), fmt.Sprintf("op %d: send", own)) {
			t.Errorf("anomaly %d's page does not show its own send, op %d", i+1, own)
		}
		if strings.Contains(string(viz), fmt.Sprintf("op %d: send", other)) {
			t.Errorf("anomaly %d's page shows the other anomaly's send, op %d", i+1, other)
		}
	}
}

// The index lists the faults injected, counted by name, failed injections and recoveries marked.
func TestIndexListsInjectedFaults(t *testing.T) {
	faults := []map[string]any{
		{"fault": "kill-leader", "invoke_op": 1, "start": 1},
		{"fault": "kill-leader", "invoke_op": 5, "start": 5, "error": "no leader to kill"},
		{"fault": "pause-leader", "invoke_op": 9, "start": 9, "recovery_error": "SIGCONT: no such process"},
	}
	res, _ := json.Marshal(map[string]any{"valid": true, "anomalies": map[string]any{}, "faults": faults})
	dir := writeRunDir(t, map[string]string{rundir.ResultsFile: string(res)})
	page, index := pages(t, dir)
	for _, want := range []string{"kill-leader ×2 (1 failed)", "pause-leader ×1 (1 recovery failed)"} {
		if !strings.Contains(index, want) {
			t.Errorf("index lacks %q", want)
		}
	}
	for _, want := range []string{"injection of kill-leader (op 5) failed: no leader to kill", "recovery of pause-leader (op 9) failed: SIGCONT: no such process"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// The synthetic run injected one kill and one partition, both measured in results.json.
	_, index = pages(t, syntheticRun(t))
	at := strings.Index(index, `<td class="faults">`)
	if at < 0 {
		t.Fatal("the index has no faults column")
	}
	row := index[at:]
	row = row[:strings.Index(row, "</td>")]
	if !strings.Contains(row, "kill ×1") || !strings.Contains(row, "partition ×1") || strings.Contains(row, "failed") {
		t.Errorf("the synthetic run's faults: %s", row)
	}
}
