package cluster

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/kafkaesque/kafkaesque/cluster/kafkastate"
	"github.com/kafkaesque/kafkaesque/cluster/nodeimage"
	"github.com/segmentio/kafka-go"
)

// AdminClient returns a kafka-go client bootstrapped from every broker. Its transport is the
// cluster's own: kafka-go's default transport is shared by the whole process and caches metadata
// per address, so a later cluster on the same IPs would be sent to a controller that is gone.
func (c *Cluster) AdminClient() *kafka.Client {
	return &kafka.Client{Addr: kafka.TCP(c.BootstrapServers()...), Timeout: 10 * time.Second, Transport: c.admin}
}

// CreateTopic creates a topic, checks its config overrides are in effect, and waits until every
// partition has a leader in ZooKeeper and in every broker's metadata.
func (c *Cluster) CreateTopic(ctx context.Context, t TopicSpec) error {
	entries := make([]kafka.ConfigEntry, 0, len(t.Config))
	for k, v := range t.Config {
		entries = append(entries, kafka.ConfigEntry{ConfigName: k, ConfigValue: v})
	}
	admin := c.AdminClient()
	err := waitFor(ctx, "topic "+t.Name+" created", 250*time.Millisecond, func() (bool, error) {
		resp, err := admin.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{
			Topic: t.Name, NumPartitions: t.Partitions, ReplicationFactor: t.ReplicationFactor, ConfigEntries: entries,
		}}})
		if err != nil {
			return false, err
		}
		terr := resp.Errors[t.Name]
		switch {
		case terr == nil, errors.Is(terr, kafka.TopicAlreadyExists):
			return true, nil
		case errors.Is(terr, kafka.InvalidConfiguration), errors.Is(terr, kafka.InvalidTopic),
			errors.Is(terr, kafka.InvalidReplicationFactor), errors.Is(terr, kafka.InvalidPartitionNumber):
			return false, &permanentError{fmt.Errorf("create topic %s (config %v): %w", t.Name, t.Config, terr)}
		}
		return false, terr // e.g. the controller is still loading
	})
	if err != nil {
		return unwrapPermanent(err)
	}
	if err := c.verifyConfig(ctx, kafka.ResourceTypeTopic, t.Name, c.Brokers[0], t.Config); err != nil {
		return err
	}
	return c.WaitLeaders(ctx, t.Name)
}

// WaitLeaders waits until every partition of the topic has a leader, both in the cluster's
// metadata (ZooKeeper, or the KRaft quorum's) and in the metadata of every broker.
func (c *Cluster) WaitLeaders(ctx context.Context, topic string) error {
	return waitFor(ctx, "leaders for every partition of "+topic, 100*time.Millisecond, func() (bool, error) {
		states, err := c.meta.Partitions(ctx, topic)
		if err != nil {
			return false, err
		}
		for _, s := range states {
			if s.Leader < 0 {
				return false, fmt.Errorf("partition %d has no leader", s.Partition)
			}
		}
		for _, b := range c.Brokers {
			parts, err := c.Metadata(ctx, b, topic)
			if err != nil {
				return false, err
			}
			if len(parts) != len(states) {
				return false, fmt.Errorf("%s knows %d partitions of %s, the cluster metadata %d", b.Name, len(parts), topic, len(states))
			}
			for _, p := range parts {
				if p.Leader.ID < 0 || p.Leader.Host == "" {
					return false, fmt.Errorf("%s has no leader for %s-%d", b.Name, topic, p.ID)
				}
			}
		}
		return len(states) > 0, nil
	})
}

// Metadata asks one broker directly (not kafka-go's cached metadata) for a topic's partitions.
func (c *Cluster) Metadata(ctx context.Context, b *Node, topic string) ([]kafka.Partition, error) {
	return kafkastate.BrokerPartitions(ctx, b.Endpoint(), topic)
}

// VerifyBrokerConfig checks, on every broker, that each key of the effective broker config is a
// config the broker knows and that its value is in effect.
func (c *Cluster) VerifyBrokerConfig(ctx context.Context) error {
	var errs []error
	for _, b := range c.Brokers {
		errs = append(errs, c.verifyConfig(ctx, kafka.ResourceTypeBroker, strconv.Itoa(b.ID), b, c.Config.BrokerConfig))
	}
	return errors.Join(errs...)
}

// configTypeUnknown is DescribeConfigs' type for a key the broker does not define.
const configTypeUnknown = 0

// ErrUnknownConfig says a config key is not one Kafka knows, most likely a misspelling.
var ErrUnknownConfig = errors.New("unknown Kafka config key")

func (c *Cluster) verifyConfig(ctx context.Context, kind kafka.ResourceType, name string, via *Node, want map[string]string) error {
	if len(want) == 0 {
		return nil
	}
	var resp *kafka.DescribeConfigsResponse
	// A broker that has just registered may still drop the connection: retry briefly.
	err := waitFor(ctx, "configs of "+name, 250*time.Millisecond, func() (bool, error) {
		var err error
		resp, err = c.AdminClient().DescribeConfigs(ctx, &kafka.DescribeConfigsRequest{
			Addr:      kafka.TCP(via.Addr()),
			Resources: []kafka.DescribeConfigRequestResource{{ResourceType: kind, ResourceName: name}},
			// A broker echoes unknown keys of its properties file back; only their type
			// (UNKNOWN) and missing documentation give them away.
			IncludeDocumentation: true,
		})
		if err != nil {
			return false, err
		}
		if len(resp.Resources) != 1 || resp.Resources[0].Error != nil {
			return false, fmt.Errorf("describe configs of %s: %+v", name, resp.Resources)
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("describe configs: %w", err)
	}
	have := map[string]kafkastate.ConfigEntry{}
	for _, e := range resp.Resources[0].ConfigEntries {
		have[e.ConfigName] = kafkastate.ConfigEntry{Value: e.ConfigValue, Sensitive: e.IsSensitive,
			Known: e.ConfigType != configTypeUnknown || e.ConfigDocumentation != ""}
	}
	what := "broker " + name
	if kind == kafka.ResourceTypeTopic {
		what = "topic " + name
	}
	return compareConfig(what, have, want)
}

// compareConfig checks that every key of want is one the node knows and has its value.
func compareConfig(what string, have map[string]kafkastate.ConfigEntry, want map[string]string) error {
	known := map[string]kafkastate.ConfigEntry{}
	for k, e := range have {
		if e.Known {
			known[k] = e
		}
	}
	var errs []error
	for k, v := range want {
		e, ok := have[k]
		switch {
		case !ok || !e.Known:
			errs = append(errs, fmt.Errorf("%w %q on %s%s", ErrUnknownConfig, k, what, suggest(k, known)))
		case !e.Sensitive && !strings.EqualFold(e.Value, v):
			errs = append(errs, fmt.Errorf("config %s=%s on %s is not in effect: it reports %q", k, v, what, e.Value))
		}
	}
	return errors.Join(errs...)
}

// verifyControllerConfig checks the dedicated KRaft controllers' configs as VerifyBrokerConfig
// does the brokers' (combined controllers are brokers, verified as such). Controllers answer
// DescribeConfigs from 3.7 (KIP-919); before that their properties file, the brokers' own keys
// and values, cannot be read back, and the returned note says so for the run's log.
func (c *Cluster) verifyControllerConfig(ctx context.Context) (note string, err error) {
	m := c.kraft
	if m == nil || len(c.Controllers) == 0 {
		return "", nil
	}
	v, err := nodeimage.ParseKafkaVersion(c.Config.KafkaVersion)
	if err != nil {
		return "", err
	}
	if !v.ControllersDescribeConfigs() {
		return fmt.Sprintf("Kafka %s's controllers do not answer DescribeConfigs (from 3.7): their config, the brokers' keys and values, was not read back", v), nil
	}
	var errs []error
	for _, n := range c.Controllers {
		var have map[string]kafkastate.ConfigEntry
		err := waitFor(ctx, "configs of "+n.Name, 250*time.Millisecond, func() (bool, error) {
			var err error
			have, err = m.NodeConfig(ctx, n.Endpoint())
			return err == nil, err
		})
		if err != nil {
			return "", fmt.Errorf("describe configs: %w", err)
		}
		errs = append(errs, compareConfig("controller "+n.Name, have, c.Config.BrokerConfig))
	}
	return "", errors.Join(errs...)
}

// suggest names the known key closest to a misspelled one.
func suggest[V any](key string, known map[string]V) string {
	best, bestDist := "", len(key)/3+1
	for k := range known {
		if d := editDistance(key, k); d < bestDist || d == bestDist && best != "" && k < best {
			best, bestDist = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// permanentError stops waitFor from retrying.
type permanentError struct{ err error }

func (p *permanentError) Error() string { return p.err.Error() }
func (p *permanentError) Unwrap() error { return p.err }

func unwrapPermanent(err error) error {
	var p *permanentError
	if errors.As(err, &p) {
		return p.err
	}
	return err
}

// waitFor polls cond until it returns true, an error that is not transient, or ctx ends.
func waitFor(ctx context.Context, what string, every time.Duration, cond func() (bool, error)) error {
	var last error
	for {
		ok, err := cond()
		if ok {
			return nil
		}
		var permanent *permanentError
		if errors.As(err, &permanent) {
			return err
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("waiting for %s: %w (last error: %v)", what, ctx.Err(), last)
			}
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-time.After(every):
		}
	}
}

// waitReady waits for the definition of ready in Start's comment.
func (c *Cluster) waitReady(ctx context.Context) error {
	for _, n := range c.Nodes() {
		if err := waitProbe(ctx, n, Accepting, c.Config.StartTimeout); err != nil {
			return err
		}
	}
	if err := c.dialMetadata(ctx); err != nil {
		return err
	}
	if err := c.WaitBrokersRegistered(ctx); err != nil {
		return err
	}
	if err := waitFor(ctx, "a controller", 100*time.Millisecond, func() (bool, error) {
		id, err := c.meta.Controller(ctx)
		return id >= 0, err
	}); err != nil {
		return err
	}
	if err := c.VerifyBrokerConfig(ctx); err != nil {
		return err
	}
	note, err := c.verifyControllerConfig(ctx)
	if err != nil {
		return err
	}
	c.ConfigNote = note
	if err := c.readFeatures(ctx); err != nil {
		return err
	}
	for _, t := range c.Config.Topics {
		if err := c.CreateTopic(ctx, t); err != nil {
			return err
		}
	}
	return nil
}

// readFeatures records the KRaft cluster's finalized feature levels, which every broker must
// agree on: they decide guarantees (eligible.leader.replicas.version turns KIP-966's ELR on,
// transaction.version 2 is KIP-890's). ZooKeeper-mode clusters have none.
func (c *Cluster) readFeatures(ctx context.Context) error {
	m := c.kraft
	if m == nil {
		return nil
	}
	var first map[string]int
	for _, b := range c.Brokers {
		f, err := m.Features(ctx, b.Endpoint())
		if err != nil {
			return fmt.Errorf("read the cluster's features: %w", err)
		}
		if first != nil && !maps.Equal(f, first) {
			return fmt.Errorf("brokers disagree on the finalized features: %s has %v, %s has %v", c.Brokers[0].Name, first, b.Name, f)
		}
		first = f
	}
	c.Features = first
	return nil
}
