package cluster

import (
	"embed"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// brokerConfigLists holds, per Kafka version, the broker config names Kafka's own definitions
// know (written by images/broker-config-keys.sh from the node image's jars).
//
//go:embed brokerconfigs/*.txt
var brokerConfigLists embed.FS

// knownBrokerKeys returns the broker config names of the image's Kafka, or nil when no list was
// generated for it (then only the brokers' DescribeConfigs check after start applies).
func KnownBrokerKeys(image string) map[string]bool {
	name, version, ok := strings.Cut(image, ":")
	if !ok || name != strings.SplitN(DefaultImage, ":", 2)[0] {
		return nil
	}
	data, err := brokerConfigLists.ReadFile("brokerconfigs/" + version + ".txt")
	if err != nil {
		return nil
	}
	known := map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			known[line] = true
		}
	}
	return known
}

// checkBrokerKeys refuses, before anything starts, broker config keys the image's Kafka does
// not know, naming the nearest known one as the check after start does. A per-listener override
// (listener.name.<listener>.[<mechanism>.]<key>) counts as its key.
func CheckBrokerKeys(image string, cfg map[string]string) error {
	known := KnownBrokerKeys(image)
	if known == nil {
		return nil
	}
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(cfg)) {
		if known[k] || listenerOverride(k, known) {
			continue
		}
		errs = append(errs, fmt.Errorf("%w %q%s", ErrUnknownConfig, k, suggest(k, known)))
	}
	return errors.Join(errs...)
}

// listenerOverride reports whether key is a per-listener override of a known key.
func listenerOverride(key string, known map[string]bool) bool {
	rest, ok := strings.CutPrefix(key, "listener.name.")
	if !ok {
		return false
	}
	for i := 0; i < 2; i++ { // skip the listener name, then perhaps a SASL mechanism
		_, after, found := strings.Cut(rest, ".")
		if !found {
			return false
		}
		if rest = after; known[rest] {
			return true
		}
	}
	return false
}
