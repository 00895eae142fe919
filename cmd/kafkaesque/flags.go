package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/spf13/cobra"
)

// parseAllow reads a comma-separated list of anomaly types; an unknown name is an error.
func parseAllow(list string) (map[checker.AnomalyType]bool, error) {
	allow := map[checker.AnomalyType]bool{}
	if list == "" {
		return allow, nil
	}
	for _, name := range strings.Split(list, ",") {
		t, err := checker.ParseAnomalyType(strings.TrimSpace(name))
		if err != nil {
			return nil, err
		}
		allow[t] = true
	}
	return allow, nil
}

// keyValues collects repeated key=value flags (a pflag.Value).
type keyValues map[string]string

func (kv keyValues) String() string {
	pairs := make([]string, 0, len(kv))
	for _, k := range slices.Sorted(maps.Keys(kv)) {
		pairs = append(pairs, k+"="+kv[k])
	}
	return strings.Join(pairs, ",")
}

func (kv keyValues) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want key=value, got %q", s)
	}
	kv[k] = v
	return nil
}

func (kv keyValues) Type() string { return "key=value" }

// exactlyOne is a cobra argument check: one positional argument, named what.
func exactlyOne(what string) func(cmd *cobra.Command, args []string) error {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != 1 {
			return fmt.Errorf("want exactly one %s, got %d arguments", what, len(args))
		}
		return nil
	}
}
