package cluster

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseKafkaVersion(t *testing.T) {
	good := map[string]KafkaVersion{
		"2.8.0":  {2, 8, 0},
		"3.9.2":  {3, 9, 2},
		"4.4.0":  {4, 4, 0},
		"3.10.0": {3, 10, 0},
		"10.0.1": {10, 0, 1},
	}
	for s, want := range good {
		got, err := ParseKafkaVersion(s)
		if err != nil || got != want {
			t.Errorf("ParseKafkaVersion(%q) = %v, %v; want %v", s, got, err, want)
		}
		if got.String() != s {
			t.Errorf("ParseKafkaVersion(%q).String() = %q", s, got.String())
		}
	}
	bad := map[string]string{ // input: a part of the error
		"":                   "not a release number",
		"3.9":                "not a release number",
		"3.9.2.1":            "not a release number",
		"v3.9.2":             "not a release number",
		"3.9.x":              "not a release number",
		"3.9.2-rc1":          "not a release number",
		" 3.9.2":             "not a release number",
		"03.9.2":             "not a release number",
		"3.09.2":             "not a release number",
		"9999999999.0.0":     "not a release number",
		"-1.0.0":             "not a release number",
		"2.7.1":              "older than 2.8.0",
		"1.1.0":              "older than 2.8.0",
		"0.11.0":             "older than 2.8.0",
		"2.7.999":            "older than 2.8.0",
		"kafkaesque/node:3.": "not a release number",
	}
	for s, want := range bad {
		_, err := ParseKafkaVersion(s)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseKafkaVersion(%q) error = %v, want one saying %q", s, err, want)
			continue
		}
		if s != "" && !strings.Contains(err.Error(), s) && !strings.Contains(err.Error(), strings.TrimSpace(s)) {
			t.Errorf("ParseKafkaVersion(%q) error %q does not name the input", s, err)
		}
	}
}

func TestKafkaVersionCompare(t *testing.T) {
	// Sorted oldest first; numeric order, not string order (3.10.0 is after 3.9.2).
	ordered := []string{"2.8.0", "2.8.2", "3.0.2", "3.9.2", "3.10.0", "4.0.0", "4.0.10", "4.4.0", "10.0.0"}
	for i, a := range ordered {
		va, _ := ParseKafkaVersion(a)
		for j, b := range ordered {
			vb, _ := ParseKafkaVersion(b)
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := va.Compare(vb); got != want {
				t.Errorf("%s.Compare(%s) = %d, want %d", a, b, got, want)
			}
		}
	}
}

func TestKafkaVersionCapabilities(t *testing.T) {
	type caps struct{ zk, kraft, kraftProd, elr, elrDefault bool }
	for version, want := range map[string]caps{
		"2.8.0": {zk: true, kraft: true},
		"3.2.3": {zk: true, kraft: true},
		"3.3.0": {zk: true, kraft: true, kraftProd: true},
		"3.9.2": {zk: true, kraft: true, kraftProd: true},
		"4.0.0": {kraft: true, kraftProd: true, elr: true},
		"4.0.2": {kraft: true, kraftProd: true, elr: true},
		"4.1.0": {kraft: true, kraftProd: true, elr: true, elrDefault: true},
		"4.4.0": {kraft: true, kraftProd: true, elr: true, elrDefault: true},
	} {
		v, err := ParseKafkaVersion(version)
		if err != nil {
			t.Fatal(err)
		}
		got := caps{v.HasZooKeeper(), v.HasKRaft(), v.KRaftProductionReady(), v.HasELR(), v.ELROnByDefault()}
		if got != want {
			t.Errorf("Kafka %s: got %+v, want %+v", version, got, want)
		}
	}
}

func TestImageFor(t *testing.T) {
	if got := ImageFor("4.4.0"); got != "kafkaesque/node:4.4.0" {
		t.Errorf("ImageFor(4.4.0) = %q", got)
	}
}

// threeKeys is `printf 'broker.id\nlog.dirs\nprocess.roles\n' | gzip -9n | base64 -w0`, the
// encoding images/build.sh uses for LabelBrokerConfigKeys.
const threeKeys = "H4sIAAAAAAACA0sqys9OLdLLTOHKyU/XS8ksKuYqKMpPTi0u1ivKz0kt5gIAq3MDSyEAAAA="

func labels44() map[string]string {
	return map[string]string{
		LabelManaged:          "true",
		LabelKafkaVersion:     "4.4.0",
		LabelZooKeeperVersion: "",
		LabelJava:             "17",
		LabelModes:            "kraft",
		LabelBrokerConfigKeys: threeKeys,
	}
}

func TestImageInfoFromLabels(t *testing.T) {
	info, err := imageInfoFromLabels("kafkaesque/node:4.4.0", labels44())
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
	info, err = imageInfoFromLabels("my/image:custom", zk)
	if err != nil {
		t.Fatal(err)
	}
	if info.ZooKeeperVersion != "3.8.4" || !slices.Equal(info.Modes, []string{"zk", "kraft"}) {
		t.Errorf("info = %+v", info)
	}
}

func TestImageInfoFromLabelsMissing(t *testing.T) {
	for _, key := range []string{LabelKafkaVersion, LabelZooKeeperVersion, LabelJava, LabelModes, LabelBrokerConfigKeys} {
		labels := labels44()
		delete(labels, key)
		_, err := imageInfoFromLabels("kafkaesque/node:4.4.0", labels)
		if err == nil || !strings.Contains(err.Error(), "no label "+key) || !strings.Contains(err.Error(), "images/build.sh 4.4.0") {
			t.Errorf("without %s: error = %v, want one naming the label and images/build.sh 4.4.0", key, err)
		}
	}
	// An image built before images carried labels, under another tag: the command names the
	// version only if something says it.
	_, err := imageInfoFromLabels("my/image:latest", map[string]string{LabelManaged: "true"})
	if err == nil || !strings.Contains(err.Error(), "no label "+LabelKafkaVersion) || !strings.Contains(err.Error(), "images/build.sh <VERSION>") {
		t.Errorf("unlabelled image: error = %v", err)
	}
}

func TestImageInfoFromLabelsBad(t *testing.T) {
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
		_, err := imageInfoFromLabels(tc.image, labels)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%s=%q: error = %v, want one naming the label and saying %q", tc.key, tc.value, err, tc.want)
		}
	}
	// A release before 4.0 needs its ZooKeeper version.
	labels := labels44()
	labels[LabelKafkaVersion], labels[LabelModes] = "3.9.2", "zk,kraft"
	if _, err := imageInfoFromLabels("kafkaesque/node:3.9.2", labels); err == nil || !strings.Contains(err.Error(), "needs one") {
		t.Errorf("3.9.2 without a ZooKeeper version: error = %v", err)
	}
}

// TestInspectImage reads the labels of the images CI builds (scripts/test.sh: 3.9.2 and 4.4.0)
// from the engine, and checks them against what is known of each version.
func TestInspectImage(t *testing.T) {
	RequireDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	docker, _, err := dockerClient(ctx)
	if err != nil {
		t.Fatal(err)
	}

	info, err := InspectImage(ctx, docker, ImageFor("3.9.2"))
	if err != nil {
		t.Fatal(err)
	}
	if info.KafkaVersion != "3.9.2" || info.ZooKeeperVersion == "" || info.Java != "17" || !slices.Equal(info.Modes, []string{"zk", "kraft"}) {
		t.Errorf("3.9.2: %+v", info)
	}
	// Kafka 3.9.2 knows 332 broker config names: the list harness/brokerconfigs/3.9.2.txt held
	// before the labels, which the label reproduced exactly. Static, internal
	// (server.max.startup.time.ms) and dynamic-only (the throttles) names are all in.
	if len(info.BrokerConfigKeys) != 332 {
		t.Errorf("3.9.2: %d broker config names, want 332", len(info.BrokerConfigKeys))
	}
	for _, k := range []string{"zookeeper.connect", "broker.id", "process.roles", "eligible.leader.replicas.enable",
		"server.max.startup.time.ms", "leader.replication.throttled.rate", "replica.alter.log.dirs.io.max.bytes.per.second"} {
		if !info.BrokerConfigKeys[k] {
			t.Errorf("3.9.2: broker config keys lack %s", k)
		}
	}

	info, err = InspectImage(ctx, docker, ImageFor("4.4.0"))
	if err != nil {
		t.Fatal(err)
	}
	if info.KafkaVersion != "4.4.0" || info.ZooKeeperVersion != "" || info.Java != "17" || !slices.Equal(info.Modes, []string{"kraft"}) {
		t.Errorf("4.4.0: %+v", info)
	}
	for _, k := range []string{"process.roles", "node.id", "controller.quorum.voters", "controller.quorum.bootstrap.servers", "controller.listener.names", "min.insync.replicas", "leader.replication.throttled.rate"} {
		if !info.BrokerConfigKeys[k] {
			t.Errorf("4.4.0: broker config keys lack %s", k)
		}
	}
	// Gone in 4.0 with ZooKeeper mode.
	if info.BrokerConfigKeys["zookeeper.connect"] {
		t.Errorf("4.4.0: broker config keys hold zookeeper.connect")
	}

	_, err = InspectImage(ctx, docker, ImageFor("2.8.99"))
	if !errors.Is(err, ErrImageMissing) || !strings.Contains(err.Error(), "images/build.sh 2.8.99") {
		t.Errorf("missing image: error = %v, want ErrImageMissing naming images/build.sh 2.8.99", err)
	}
}

// TestBuildScriptRefusesVersions: images/build.sh refuses what ParseKafkaVersion refuses, in one
// line naming the version, before it touches Docker or Maven.
func TestBuildScriptRefusesVersions(t *testing.T) {
	for _, v := range []string{"2.7.1", "3.9", "v4.4.0", "4.4.0-rc1"} {
		if _, err := ParseKafkaVersion(v); err == nil {
			t.Fatalf("ParseKafkaVersion(%q) accepted it", v)
		}
		var stdout, stderr bytes.Buffer
		cmd := exec.Command("bash", "../images/build.sh", "3.9.2", v)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		if err == nil {
			t.Errorf("images/build.sh 3.9.2 %s succeeded", v)
			continue
		}
		msg := strings.TrimSpace(stderr.String())
		if stdout.Len() != 0 || strings.Count(msg, "\n") != 0 || !strings.Contains(msg, v) {
			t.Errorf("images/build.sh 3.9.2 %s: stdout %q, stderr %q; want no image names and one line naming %s", v, stdout.String(), msg, v)
		}
	}
}
