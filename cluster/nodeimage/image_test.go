package nodeimage

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

func TestFor(t *testing.T) {
	if got := For("4.4.0"); got != "kafkaesque/node:4.4.0" {
		t.Errorf("For(4.4.0) = %q", got)
	}
}

// threeKeys is `printf 'broker.id\nlog.dirs\nprocess.roles\n' | gzip -9n | base64 -w0`, the
// encoding images/build.sh uses for LabelBrokerConfigKeys.
const threeKeys = "H4sIAAAAAAACA0sqys9OLdLLTOHKyU/XS8ksKuYqKMpPTi0u1ivKz0kt5gIAq3MDSyEAAAA="

func labels44() map[string]string {
	return map[string]string{
		"io.kafkaesque.managed": "true", // a label of no meaning to the image's info
		LabelKafkaVersion:       "4.4.0",
		LabelZooKeeperVersion:   "",
		LabelJava:               "17",
		LabelModes:              "kraft",
		LabelBrokerConfigKeys:   threeKeys,
	}
}

func TestInfoFromLabels(t *testing.T) {
	info, err := infoFromLabels("kafkaesque/node:4.4.0", labels44())
	if err != nil {
		t.Fatal(err)
	}
	if info.Image != "kafkaesque/node:4.4.0" || info.KafkaVersion != "4.4.0" || info.ZooKeeperVersion != "" ||
		info.Java != "17" || !slices.Equal(info.Modes, []string{"kraft"}) {
		t.Errorf("info = %+v", info)
	}
	if keys := slices.Sorted(maps.Keys(info.BrokerConfigKeys)); !slices.Equal(keys, []string{"broker.id", "log.dirs", "process.roles"}) {
		t.Errorf("broker config keys = %v", keys)
	}

	zk := map[string]string{
		LabelKafkaVersion:     "3.9.2",
		LabelZooKeeperVersion: "3.8.4",
		LabelJava:             "17",
		LabelModes:            "zk,kraft",
		LabelBrokerConfigKeys: threeKeys,
	}
	info, err = infoFromLabels("my/image:custom", zk)
	if err != nil {
		t.Fatal(err)
	}
	if info.ZooKeeperVersion != "3.8.4" || !slices.Equal(info.Modes, []string{"zk", "kraft"}) {
		t.Errorf("info = %+v", info)
	}
}

func TestInfoFromLabelsMissing(t *testing.T) {
	for _, key := range []string{LabelKafkaVersion, LabelZooKeeperVersion, LabelJava, LabelModes, LabelBrokerConfigKeys} {
		labels := labels44()
		delete(labels, key)
		_, err := infoFromLabels("kafkaesque/node:4.4.0", labels)
		if err == nil || !strings.Contains(err.Error(), "no label "+key) || !strings.Contains(err.Error(), "images/build.sh 4.4.0") {
			t.Errorf("without %s: error = %v, want one naming the label and images/build.sh 4.4.0", key, err)
		}
	}
	// An image built before images carried labels, under another tag: the command names the
	// version only if something says it.
	_, err := infoFromLabels("my/image:latest", map[string]string{"io.kafkaesque.managed": "true"})
	if err == nil || !strings.Contains(err.Error(), "no label "+LabelKafkaVersion) || !strings.Contains(err.Error(), "images/build.sh <VERSION>") {
		t.Errorf("unlabelled image: error = %v", err)
	}
}

func TestInfoFromLabelsBad(t *testing.T) {
	for _, tc := range []struct {
		image, key, value, want string
	}{
		{"kafkaesque/node:4.4.0", LabelKafkaVersion, "4.4", "not a release number"},
		{"kafkaesque/node:4.4.0", LabelKafkaVersion, "3.9.2", "contradicts the image's tag 4.4.0"},
		{"kafkaesque/node:4.4.0", LabelZooKeeperVersion, "3.8.4", "has no ZooKeeper"},
		{"kafkaesque/node:4.4.0", LabelJava, "", "not a Java major version"},
		{"kafkaesque/node:4.4.0", LabelJava, "seventeen", "not a Java major version"},
		{"kafkaesque/node:4.4.0", LabelModes, "", `names mode ""`},
		{"kafkaesque/node:4.4.0", LabelModes, "kraft,raft", `names mode "raft"`},
		{"kafkaesque/node:4.4.0", LabelModes, "kraft,kraft", "twice"},
		{"kafkaesque/node:4.4.0", LabelBrokerConfigKeys, "not base64!", "not base64"},
		// base64 of the plain list, not gzipped
		{"kafkaesque/node:4.4.0", LabelBrokerConfigKeys, "YnJva2VyLmlkCmxvZy5kaXJzCnByb2Nlc3Mucm9sZXMK", "not gzip"},
		// gzip of an empty list: printf '' | gzip -9n | base64 -w0
		{"kafkaesque/node:4.4.0", LabelBrokerConfigKeys, "H4sIAAAAAAACAwMAAAAAAAAAAAA=", "no config names"},
	} {
		labels := labels44()
		labels[tc.key] = tc.value
		_, err := infoFromLabels(tc.image, labels)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%s=%q: error = %v, want one naming the label and saying %q", tc.key, tc.value, err, tc.want)
		}
	}
	// A release before 4.0 needs its ZooKeeper version.
	labels := labels44()
	labels[LabelKafkaVersion], labels[LabelModes] = "3.9.2", "zk,kraft"
	if _, err := infoFromLabels("kafkaesque/node:3.9.2", labels); err == nil || !strings.Contains(err.Error(), "needs one") {
		t.Errorf("3.9.2 without a ZooKeeper version: error = %v", err)
	}
}
