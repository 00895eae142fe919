package rundir

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kafkaesque/kafkaesque/checker"
)

// LoadResult reads results.json and says whether it holds a verdict: a file without "valid"
// decodes as unknown (Validity's zero value), and the report must say why.
func LoadResult(dir string) (res *checker.Result, hasVerdict bool, err error) {
	data, err := os.ReadFile(filepath.Join(dir, ResultsFile))
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", ResultsFile, err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, false, fmt.Errorf("decode %s: %w", ResultsFile, err)
	}
	res = &checker.Result{}
	if err := json.Unmarshal(data, res); err != nil {
		return nil, false, fmt.Errorf("decode %s: %w", ResultsFile, err)
	}
	_, hasVerdict = fields["valid"]
	return res, hasVerdict, nil
}

// NoResults is why a run directory without results.json has no verdict.
const NoResults = "no " + ResultsFile + ": the run stopped before it was checked (its output and the node logs say why)"

// MissingResults says why a run directory has no verdict: the run's own error when it wrote one.
func MissingResults(dir string) []string {
	data, err := os.ReadFile(filepath.Join(dir, RunErrorFile))
	if err != nil || len(bytes.TrimSpace(data)) == 0 {
		return []string{NoResults}
	}
	return []string{"the run stopped before it was checked: " + string(bytes.TrimSpace(data))}
}

// VerdictReasons says why a result's verdict is unknown; nothing for a valid or invalid one.
func VerdictReasons(res *checker.Result, hasVerdict bool) []string {
	if !hasVerdict {
		return []string{ResultsFile + ` has no verdict (no "valid" field): it is not valid`}
	}
	if res.Valid != checker.Unknown {
		return nil
	}
	if len(res.Incomplete) == 0 {
		return []string{ResultsFile + " records an unknown verdict without a reason"}
	}
	return res.Incomplete
}

// ImpactsOf turns the faults the history records into FaultImpacts (no measurements), for runs
// whose results.json lists none.
func ImpactsOf(bands []FaultBand) []checker.FaultImpact {
	out := make([]checker.FaultImpact, 0, len(bands))
	for _, b := range bands {
		out = append(out, checker.FaultImpact{Fault: b.Fault, Nodes: b.Nodes, Key: b.Partition, InvokeOp: b.InvokeOp, Start: b.Start, Error: b.Error})
	}
	return out
}

// FaultName names a fault with its nodes and key: "kill kafka2 (jepsen-1)".
func FaultName(fault string, nodes []string, key string) string {
	name := fault
	if len(nodes) > 0 {
		name += " " + strings.Join(nodes, ",")
	}
	if key != "" {
		name += " (" + key + ")"
	}
	return name
}
