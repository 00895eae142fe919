package nodeimage

import (
	"fmt"
	"regexp"
	"strconv"
)

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

// ControllersDescribeConfigs reports whether KRaft controllers answer DescribeConfigs on their
// own listener: from 3.7 (KIP-919).
func (v KafkaVersion) ControllersDescribeConfigs() bool { return v.atLeast(3, 7) }
