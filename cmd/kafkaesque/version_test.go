package main

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/kafkaesque/kafkaesque/cluster/nodeimage"
)

func TestVersionLine(t *testing.T) {
	vcs := func(modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
			{Key: "vcs.time", Value: "2026-05-01T10:00:00Z"}, {Key: "vcs.modified", Value: modified}}
	}
	platform := " " + runtime.GOOS + "/" + runtime.GOARCH
	cases := []struct {
		name string
		bi   *debug.BuildInfo
		want string
	}{
		{"dirty", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v1.2.0"}, Settings: vcs("true")},
			"kafkaesque v1.2.0 (commit 0123456789ab+dirty, 2026-05-01T10:00:00Z), go1.26.0" + platform},
		{"clean", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v1.2.0"}, Settings: vcs("false")},
			"kafkaesque v1.2.0 (commit 0123456789ab, 2026-05-01T10:00:00Z), go1.26.0" + platform},
		{"go run", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}},
			"kafkaesque (devel), go1.26.0" + platform},
		{"no build info", nil, "kafkaesque (devel), " + runtime.Version() + platform},
	}
	for _, tc := range cases {
		if got := versionLine(tc.bi); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
}

// runVersion runs `kafkaesque version` with list standing in for the Docker engine.
func runVersion(t *testing.T, list nodeImageLister) (string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := newVersionCmd(list)
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	cmd.SetArgs(nil)
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("version: %v (stderr %s)", err, stderr.String())
	}
	return stdout.String(), stderr.String()
}

func TestVersionListsNodeImages(t *testing.T) {
	stdout, stderr := runVersion(t, func(context.Context) ([]nodeimage.KafkaVersion, error) {
		return []nodeimage.KafkaVersion{{Major: 3, Minor: 9, Patch: 2}, {Major: 4, Minor: 4, Patch: 0}}, nil
	})
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "kafkaesque ") || lines[1] != "Kafka node images: 3.9.2, 4.4.0" || stderr != "" {
		t.Errorf("stdout %q stderr %q", stdout, stderr)
	}
	stdout, _ = runVersion(t, func(context.Context) ([]nodeimage.KafkaVersion, error) { return nil, nil })
	if !strings.Contains(stdout, "Kafka node images: none built (build one with images/build.sh VERSION)") {
		t.Errorf("no images: stdout %q", stdout)
	}
}

func TestVersionWithoutDockerStillPrintsTheVersion(t *testing.T) {
	stdout, stderr := runVersion(t, func(context.Context) ([]nodeimage.KafkaVersion, error) {
		return nil, errNoDocker{errors.New("dial unix /var/run/docker.sock: connect: no such file or directory")}
	})
	if !strings.HasPrefix(stdout, "kafkaesque ") || strings.Contains(stdout, "node images") {
		t.Errorf("stdout %q: want the version line alone", stdout)
	}
	if !strings.HasPrefix(stderr, "kafkaesque version: Docker is not running: cannot list node images (dial unix") {
		t.Errorf("stderr %q", stderr)
	}
	// An engine that answers but fails the listing is not called "not running".
	_, stderr = runVersion(t, func(context.Context) ([]nodeimage.KafkaVersion, error) {
		return nil, errors.New("list kafkaesque/node images: permission denied")
	})
	if strings.Contains(stderr, "not running") || !strings.Contains(stderr, "cannot list node images: list kafkaesque/node images: permission denied") {
		t.Errorf("stderr %q", stderr)
	}
}

// TestVersionCommand runs the real command: the version line on stdout, exit 0, whether or not
// Docker answers.
func TestVersionCommand(t *testing.T) {
	code, stdout, stderr := run("version")
	if code != exitValid || !strings.HasPrefix(stdout, "kafkaesque ") || !strings.Contains(stdout, runtime.Version()) {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "Kafka node images: ") && !strings.Contains(stderr, "cannot list node images") {
		t.Errorf("neither the node images nor why not: stdout %q stderr %q", stdout, stderr)
	}
	if code, _, stderr := run("version", "extra"); code != exitError || !strings.Contains(stderr, `unknown command "extra"`) {
		t.Errorf("version extra: exit %d, stderr %q", code, stderr)
	}
}
