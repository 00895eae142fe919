package cluster

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"fmt"
	"regexp"
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
)

// nodeImageRepo is the repository images/build.sh tags each version's node image in.
const nodeImageRepo = "kafkaesque/node"

// ImageFor names the node image of a Kafka release, as images/build.sh tags it.
func ImageFor(version string) string { return nodeImageRepo + ":" + version }

// ImageInfo is what a node image holds, read from its labels.
type ImageInfo struct {
	Image            string
	KafkaVersion     string
	ZooKeeperVersion string   // empty where Kafka has no ZooKeeper server (4.0 on)
	Java             string   // the JRE's major version
	Modes            []string // the cluster modes the image runs: "zk", "kraft"
	// BrokerConfigKeys are the broker config names the image's Kafka knows (not recorded in
	// config.json: hundreds of names any run of the version shares).
	BrokerConfigKeys map[string]bool `json:"-"`
}

// InspectImage reads a node image's labels from the local engine (no registry is asked). A
// missing image is an error naming the command that builds it.
func InspectImage(ctx context.Context, docker client.APIClient, image string) (ImageInfo, error) {
	res, err := docker.ImageInspect(ctx, image)
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return ImageInfo{}, fmt.Errorf("%w: %s is not in the local engine: build it with %s (no registry is used)",
				ErrImageMissing, image, buildCommand(image, nil))
		}
		return ImageInfo{}, fmt.Errorf("inspect image %s: %w", image, err)
	}
	var labels map[string]string
	if res.Config != nil {
		labels = res.Config.Labels
	}
	return imageInfoFromLabels(image, labels)
}

// imageInfoFromLabels decodes and checks a node image's labels. Every label must be there; an
// image built before images carried them gets the command that rebuilds it.
func imageInfoFromLabels(image string, labels map[string]string) (ImageInfo, error) {
	info := ImageInfo{Image: image}
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
	if tagged, ok := strings.CutPrefix(image, nodeImageRepo+":"); ok && tagged != info.KafkaVersion {
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
	return info, nil
}

func parseModes(s string) ([]string, error) {
	var modes []string
	seen := map[string]bool{}
	for _, m := range strings.Split(s, ",") {
		if m != string(ModeZooKeeper) && m != string(ModeKRaft) {
			return nil, fmt.Errorf("names mode %q (known: %s, %s)", m, ModeZooKeeper, ModeKRaft)
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
	if v, ok := strings.CutPrefix(image, nodeImageRepo+":"); ok && v != "" {
		version = v
	} else if v := labels[LabelKafkaVersion]; v != "" {
		version = v
	}
	return "images/build.sh " + version
}

// KafkaVersion is an Apache Kafka release number.
type KafkaVersion struct{ Major, Minor, Patch int }

// minKafkaVersion is the oldest release Kafkaesque builds and runs (images/build.sh refuses older).
var minKafkaVersion = KafkaVersion{2, 8, 0}

var releasePattern = regexp.MustCompile(`^(0|[1-9][0-9]{0,5})\.(0|[1-9][0-9]{0,5})\.(0|[1-9][0-9]{0,5})$`)

// ParseKafkaVersion parses MAJOR.MINOR.PATCH (no leading zeros, no suffix) and refuses
// releases older than 2.8.0.
func ParseKafkaVersion(s string) (KafkaVersion, error) {
	m := releasePattern.FindStringSubmatch(s)
	if m == nil {
		return KafkaVersion{}, fmt.Errorf("Kafka version %q is not a release number MAJOR.MINOR.PATCH (e.g. 3.9.2)", s)
	}
	var v KafkaVersion
	for i, p := range []*int{&v.Major, &v.Minor, &v.Patch} {
		*p, _ = strconv.Atoi(m[i+1]) // six digits at most: cannot fail
	}
	if v.Compare(minKafkaVersion) < 0 {
		return KafkaVersion{}, fmt.Errorf("Kafka %s is older than %s, the oldest release Kafkaesque supports", v, minKafkaVersion)
	}
	return v, nil
}

// Compare returns -1, 0 or 1 as v is older than, the same as or newer than o.
func (v KafkaVersion) Compare(o KafkaVersion) int {
	for _, d := range [3]int{v.Major - o.Major, v.Minor - o.Minor, v.Patch - o.Patch} {
		if d != 0 {
			if d < 0 {
				return -1
			}
			return 1
		}
	}
	return 0
}

func (v KafkaVersion) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

func (v KafkaVersion) atLeast(major, minor int) bool {
	return v.Compare(KafkaVersion{Major: major, Minor: minor}) >= 0
}

// HasZooKeeper reports whether the release runs in ZooKeeper mode: Kafka 4.0 removed it.
func (v KafkaVersion) HasZooKeeper() bool { return !v.atLeast(4, 0) }

// HasKRaft reports whether the release runs in KRaft mode: from 2.8.0 (KIP-500's early access;
// images/build.sh labels 2.8 to 3.9 "zk,kraft"). A single combined node of 2.8.0, 3.0.2 and 3.1.2
// was started in KRaft mode from its image and served CreateTopics. Before 3.3 KRaft lacked
// features (see KRaftProductionReady); runs on those releases test the early implementation.
func (v KafkaVersion) HasKRaft() bool { return v.atLeast(2, 8) }

// KRaftProductionReady reports whether KRaft is production-ready in the release: from 3.3 (KIP-833).
func (v KafkaVersion) KRaftProductionReady() bool { return v.atLeast(3, 3) }

// HasELR reports whether the release can run KIP-966's eligible leader replicas: from 4.0. They
// are a KRaft feature, eligible.leader.replicas.version=1, set when the storage is formatted
// (kafka-storage format --feature eligible.leader.replicas.version=1) or later with
// kafka-features upgrade. In 4.0 the feature is off unless so set (its default level at 4.0's
// latest production metadata.version is 0); from 4.1 a new cluster gets it on by default (level
// 1), see ELROnByDefault. Checked on the 4.0.0, 4.1.0 and 4.4.0 jars
// (org.apache.kafka.server.common.Feature.defaultLevel). 3.7 to 3.9 have a config,
// eligible.leader.replicas.enable, but ELR there needs metadata.version 4.0-IV0, which they
// do not ship as production-ready, so it is not counted.
func (v KafkaVersion) HasELR() bool { return v.atLeast(4, 0) }

// ELROnByDefault reports whether a newly formatted cluster of the release has ELR on: from 4.1.
func (v KafkaVersion) ELROnByDefault() bool { return v.atLeast(4, 1) }
