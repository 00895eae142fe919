package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/kafkaesque/kafkaesque/report/rundir"
)

// A run's configuration is its spec without what only identifies or places the run: two runs
// of one configuration differ in these and nothing else. KeepCluster says what happens after
// the run; a cluster's Name and Subnet name its Docker network, not its behaviour.
var (
	runIdentity     = []string{"Seed", "OutDir", "Command", "Sweep", "Progress", "KeepCluster"}
	clusterIdentity = []string{"Name", "Subnet", "Keep"}
	versionFields   = []string{"KafkaVersion", "Image"}
)

// configKeyLength is how many hex digits of the canonical spec's SHA-256 a key keeps.
const configKeyLength = 12

type configKeys struct {
	configuration  string // the canonical spec's hash
	acrossVersions string // the same without the Kafka version and image
}

// configurationKeys hashes the canonical JSON of the run's spec: the spec without runIdentity,
// with the Kafka version and mode the run had where the spec left them to defaults, and without
// zero values (null, false, 0, "", empty lists and objects), so a field added to the spec later
// with a zero default leaves earlier runs' keys as they were. encoding/json writes object keys
// sorted, which makes the JSON canonical.
func configurationKeys(cfg *rundir.Config) (configKeys, error) {
	raw := bytes.TrimSpace(cfg.SpecJSON)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return configKeys{}, fmt.Errorf("%s has no spec: the run has no configuration to group it by", rundir.ConfigFile)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // numbers hash as written, not as float64
	var spec map[string]any
	if err := dec.Decode(&spec); err != nil {
		return configKeys{}, fmt.Errorf("%s: spec: %w", rundir.ConfigFile, err)
	}
	for _, k := range runIdentity {
		delete(spec, k)
	}
	cluster, _ := spec["Cluster"].(map[string]any)
	if cluster == nil {
		cluster = map[string]any{}
		spec["Cluster"] = cluster
	}
	for _, k := range clusterIdentity {
		delete(cluster, k)
	}
	for k, v := range map[string]string{"KafkaVersion": cfg.KafkaVersion(), "Mode": cfg.EffectiveCluster().Mode} {
		if isZeroJSON(cluster[k]) && v != "" {
			cluster[k] = v
		}
	}
	var keys configKeys
	var err error
	if keys.configuration, err = hashCanonical(spec); err != nil {
		return configKeys{}, err
	}
	for _, k := range versionFields {
		delete(cluster, k)
	}
	keys.acrossVersions, err = hashCanonical(spec)
	return keys, err
}

func hashCanonical(v any) (string, error) {
	data, err := json.Marshal(pruneZero(v))
	if err != nil {
		return "", fmt.Errorf("configuration key: %w", err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])[:configKeyLength], nil
}

// pruneZero drops the zero values of objects, recursively; list elements keep their places.
func pruneZero(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			if x = pruneZero(x); !isZeroJSON(x) {
				out[k] = x
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = pruneZero(x)
		}
		return out
	}
	return v
}

func isZeroJSON(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case bool:
		return !v
	case string:
		return v == ""
	case json.Number:
		f, err := v.Float64()
		return err == nil && f == 0
	case map[string]any:
		return len(v) == 0
	case []any:
		return len(v) == 0
	}
	return false
}

// configurationLabel describes a configuration for people: the run's parameters without its
// seed, the broker settings the spec asked for included.
func configurationLabel(cfg *rundir.Config) string {
	cl := cfg.EffectiveCluster()
	w := cfg.Spec.Workload
	version := "Kafka " + cfg.KafkaVersion()
	if cfg.KafkaVersion() == "" {
		version = "Kafka version unknown"
	}
	parts := []string{version, modeShort(cfg)}
	if w.Name != "" {
		parts = append(parts, w.Name+" workload")
	}
	faults := strings.Join(cfg.Spec.Faults, ",")
	if faults == "" {
		faults = "none"
	}
	parts = append(parts, fmt.Sprintf("%d brokers", cl.Brokers),
		fmt.Sprintf("%d partitions RF %d acks=%s%s", w.Partitions, w.ReplicationFactor, cfg.Acks(), cfg.ClientTag()),
		"faults planned: "+faults, cfg.Spec.TimeLimit.String())
	if cfg.Spec.Warmup > 0 {
		parts = append(parts, "warmup "+cfg.Spec.Warmup.String())
	}
	requested := cfg.Spec.Cluster.BrokerConfig
	for _, k := range slices.Sorted(maps.Keys(requested)) {
		parts = append(parts, k+"="+requested[k])
	}
	return strings.Join(parts, " · ")
}
