package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kafkaesque/kafkaesque/report/rundir"

	"github.com/kafkaesque/kafkaesque/checker"
)

// A power fault's row shows what each node lost and the lost writes acknowledged before it; a
// run without power faults has neither column.
func TestFaultTableShowsDataLostByPowerFaults(t *testing.T) {
	plain := syntheticRun(t)
	page := renderPage(t, plain)
	if faults := section(t, page, "faults"); strings.Contains(faults, "Un-fsynced data lost") {
		t.Error("a run without power faults shows the power columns")
	}
	if got := param(t, page, "Data directories"); got != "" {
		t.Errorf("a run without lazyfs says its data directories were %q", got)
	}
	dir := syntheticRun(t)
	three := 3
	patchResults(t, dir, func(res *checker.Result) {
		if len(res.Faults) < 2 {
			t.Fatalf("fixture has %d faults, want 2 or more", len(res.Faults))
		}
		res.Faults[0].Fault, res.Faults[0].PowerLoss, res.Faults[0].LostWritesBefore = "power-loss-all", true, &three
		res.Faults[0].DataLost = []checker.DataLoss{
			{Node: "kafka1", Dir: "/data/kafka", Bytes: 218177, Files: 9},
			{Node: "kafka2", Dir: "/data/kafka", Bytes: 100, Files: 1, Entries: 2},
		}
		res.Faults[1].Fault, res.Faults[1].PowerLoss, res.Faults[1].Error = "power-loss-zk-leader", true, "find the ZooKeeper leader: no leader"
	})
	setConfig(t, dir, "cluster", "Lazyfs", map[string]bool{"Kafka": true})
	page = renderPage(t, dir)
	if got, want := param(t, page, "Data directories"), "on lazyfs, un-fsynced writes lost at a power fault: brokers' and controllers' /data/kafka (strict model)"; got != want {
		t.Errorf("data directories %q, want %q", got, want)
	}
	faults := section(t, page, "faults")
	for _, want := range []string{"<th title=", "Un-fsynced data lost", "Lost writes acked before it",
		"<td>kafka1 213.1 KiB in 9 files, 0 entries; kafka2 100 B in 1 files, 2 entries</td><td class=\"num bad\">3</td>",
		"<td>nothing recorded</td><td class=\"num\">–</td>"} {
		if !strings.Contains(faults, want) {
			t.Errorf("the faults table lacks %q:\n%s", want, faults)
		}
	}
}

// setConfig sets config.json's object key inside section to value.
func setConfig(t *testing.T, dir, section, key string, value any) {
	t.Helper()
	path := filepath.Join(dir, rundir.ConfigFile)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	cfg[section].(map[string]any)[key] = value
	writeRunConfig(t, dir, cfg)
}
