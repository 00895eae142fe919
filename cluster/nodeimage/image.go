// Package nodeimage knows the node images images/build.sh builds, one per Kafka release: the
// labels that say what an image holds (Kafka, ZooKeeper and Java versions, the modes it runs,
// the broker config names its Kafka knows), and the Kafka release numbers themselves with what
// each release supports.
package nodeimage

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
)

// The labels images/build.sh puts on each node image, saying what it holds.
const (
	LabelKafkaVersion     = "io.kafkaesque.kafka-version"     // e.g. "3.9.2"
	LabelZooKeeperVersion = "io.kafkaesque.zookeeper-version" // e.g. "3.8.4"; empty from Kafka 4.0 on
	LabelJava             = "io.kafkaesque.java"              // the JRE's major version, e.g. "17"
	LabelModes            = "io.kafkaesque.modes"             // "zk,kraft" before 4.0, "kraft" from 4.0
	// The broker config names that version's Kafka knows: gzip, then base64, of the sorted
	// newline-separated list (images/ListBrokerConfigs.java lists them from the jars).
	LabelBrokerConfigKeys = "io.kafkaesque.broker-config-keys"
	// The Kafka tools the image can run through node.sh, comma-separated: "producer-perf-test"
	// (kafka-producer-perf-test). Optional: an image without it runs no tool.
	LabelTools = "io.kafkaesque.tools"
)

// Repo is the repository images/build.sh tags each version's node image in.
const Repo = "kafkaesque/node"

// For names the node image of a Kafka release, as images/build.sh tags it.
func For(version string) string { return Repo + ":" + version }

// ErrMissing says the node image has not been built.
var ErrMissing = errors.New("node image not found")

// Info is what a node image holds, read from its labels.
type Info struct {
	Image            string
	KafkaVersion     string
	ZooKeeperVersion string   // empty where Kafka has no ZooKeeper server (4.0 on)
	Java             string   // the JRE's major version
	Modes            []string // the cluster modes the image runs: "zk", "kraft"
	// BrokerConfigKeys are the broker config names the image's Kafka knows (not recorded in
	// config.json: hundreds of names any run of the version shares).
	BrokerConfigKeys map[string]bool `json:"-"`
	// ProducerPerf says the image runs kafka-producer-perf-test (node.sh producer-perf-test).
	ProducerPerf bool `json:"producer_perf,omitempty"`
}

// Inspect reads a node image's labels from the local engine (no registry is asked). A missing
// image is an error naming the command that builds it.
func Inspect(ctx context.Context, docker client.APIClient, image string) (Info, error) {
	res, err := docker.ImageInspect(ctx, image)
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return Info{}, fmt.Errorf("%w: %s is not in the local engine: build it with %s (no registry is used)",
				ErrMissing, image, buildCommand(image, nil))
		}
		return Info{}, fmt.Errorf("inspect image %s: %w", image, err)
	}
	var labels map[string]string
	if res.Config != nil {
		labels = res.Config.Labels
	}
	return infoFromLabels(image, labels)
}

// infoFromLabels decodes and checks a node image's labels. Every label must be there; an image
// built before images carried them gets the command that rebuilds it.
func infoFromLabels(image string, labels map[string]string) (Info, error) {
	info := Info{Image: image}
	get := func(key string) (string, error) {
		v, ok := labels[key]
		if !ok {
			return "", fmt.Errorf("image %s has no label %s: rebuild it with %s", image, key, buildCommand(image, labels))
		}
		return v, nil
	}
	bad := func(key, value, why string) error {
		return fmt.Errorf("image %s: label %s=%q %s (rebuild it with %s)", image, key, value, why, buildCommand(image, labels))
	}
	var err error
	if info.KafkaVersion, err = get(LabelKafkaVersion); err != nil {
		return info, err
	}
	version, err := ParseKafkaVersion(info.KafkaVersion)
	if err != nil {
		return info, bad(LabelKafkaVersion, info.KafkaVersion, err.Error())
	}
	if tagged, ok := strings.CutPrefix(image, Repo+":"); ok && tagged != info.KafkaVersion {
		return info, bad(LabelKafkaVersion, info.KafkaVersion, "contradicts the image's tag "+tagged)
	}
	if info.ZooKeeperVersion, err = get(LabelZooKeeperVersion); err != nil {
		return info, err
	}
	switch {
	case version.HasZooKeeper() && !releasePattern.MatchString(info.ZooKeeperVersion):
		return info, bad(LabelZooKeeperVersion, info.ZooKeeperVersion, "is not a ZooKeeper release, and Kafka "+version.String()+" needs one")
	case !version.HasZooKeeper() && info.ZooKeeperVersion != "":
		return info, bad(LabelZooKeeperVersion, info.ZooKeeperVersion, "is set, but Kafka "+version.String()+" has no ZooKeeper")
	}
	if info.Java, err = get(LabelJava); err != nil {
		return info, err
	}
	if n, err := strconv.Atoi(info.Java); err != nil || n < 8 {
		return info, bad(LabelJava, info.Java, "is not a Java major version")
	}
	modes, err := get(LabelModes)
	if err != nil {
		return info, err
	}
	if info.Modes, err = parseModes(modes); err != nil {
		return info, bad(LabelModes, modes, err.Error())
	}
	keys, err := get(LabelBrokerConfigKeys)
	if err != nil {
		return info, err
	}
	if info.BrokerConfigKeys, err = decodeConfigKeys(keys); err != nil {
		return info, bad(LabelBrokerConfigKeys, abbreviate(keys), err.Error())
	}
	info.ProducerPerf = slices.Contains(strings.Split(labels[LabelTools], ","), "producer-perf-test")
	return info, nil
}

// The modes an image can run, as its modes label names them (cluster.ModeZooKeeper and
// cluster.ModeKRaft).
const (
	modeZooKeeper = "zk"
	modeKRaft     = "kraft"
)

func parseModes(s string) ([]string, error) {
	var modes []string
	seen := map[string]bool{}
	for _, m := range strings.Split(s, ",") {
		if m != modeZooKeeper && m != modeKRaft {
			return nil, fmt.Errorf("names mode %q (known: %s, %s)", m, modeZooKeeper, modeKRaft)
		}
		if seen[m] {
			return nil, fmt.Errorf("names mode %s twice", m)
		}
		seen[m] = true
		modes = append(modes, m)
	}
	return modes, nil
}

func decodeConfigKeys(s string) (map[string]bool, error) {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("is not base64: %v", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("is not gzip: %v", err)
	}
	keys := map[string]bool{}
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		if k := strings.TrimSpace(sc.Text()); k != "" {
			keys[k] = true
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("does not decompress: %v", err)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("holds no config names")
	}
	return keys, nil
}

func abbreviate(s string) string {
	if len(s) > 24 {
		return s[:24] + "..."
	}
	return s
}

// buildCommand is the command that builds an image: images/build.sh with the version its tag
// or its label names.
func buildCommand(image string, labels map[string]string) string {
	version := "<VERSION>"
	if v, ok := strings.CutPrefix(image, Repo+":"); ok && v != "" {
		version = v
	} else if v := labels[LabelKafkaVersion]; v != "" {
		version = v
	}
	return "images/build.sh " + version
}
