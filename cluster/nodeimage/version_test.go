package nodeimage

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
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

// TestBuildScriptRefusesVersions: images/build.sh refuses what ParseKafkaVersion refuses, in one
// line naming the version, before it touches Docker or Maven.
func TestBuildScriptRefusesVersions(t *testing.T) {
	for _, v := range []string{"2.7.1", "3.9", "v4.4.0", "4.4.0-rc1", "03.9.2", "3.09.2"} {
		if _, err := ParseKafkaVersion(v); err == nil {
			t.Fatalf("ParseKafkaVersion(%q) accepted it", v)
		}
		var stdout, stderr bytes.Buffer
		cmd := exec.Command("bash", "../../images/build.sh", "3.9.2", v)
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
