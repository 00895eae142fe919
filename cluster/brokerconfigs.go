package cluster

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/kafkaesque/kafkaesque/cluster/engine"
	"github.com/kafkaesque/kafkaesque/cluster/nodeimage"
)

// CheckBrokerKeys refuses, before anything starts, broker config keys the image's Kafka does
// not know, naming the nearest known one as the check after start does. The known names are
// the image's own (its broker-config-keys label, listed from its jars when it was built); an
// image that is not one of ours is not checked here, only by the brokers after start. A
// per-listener override (listener.name.<listener>.[<mechanism>.]<key>) counts as its key.
func CheckBrokerKeys(ctx context.Context, image string, cfg map[string]string) error {
	if repo, _, _ := strings.Cut(image, ":"); repo != nodeimage.Repo {
		return nil
	}
	docker, err := engine.Client(ctx)
	if err != nil {
		return err
	}
	info, err := nodeimage.Inspect(ctx, docker, image)
	if err != nil {
		return err
	}
	return checkKeys(info.BrokerConfigKeys, cfg)
}

// checkKeys refuses the keys of cfg that known does not hold.
func checkKeys(known map[string]bool, cfg map[string]string) error {
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
