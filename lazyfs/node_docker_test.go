package lazyfs_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/testcontainers/testcontainers-go"

	"github.com/kafkaesque/kafkaesque/cluster"
)

const zooCfg = "tickTime=2000\ndataDir=/data/zookeeper\nclientPort=2181\n"

// startZooKeeper starts one ZooKeeper node from the node image, through node.sh, with env; fuse
// adds /dev/fuse and CAP_SYS_ADMIN.
func startZooKeeper(ctx context.Context, t *testing.T, env map[string]string, fuse bool) *box {
	t.Helper()
	b := startBox(ctx, t, testcontainers.ContainerRequest{
		Cmd: []string{"zookeeper"},
		Env: env,
		Files: []testcontainers.ContainerFile{{
			Reader: strings.NewReader(zooCfg), ContainerFilePath: "/etc/kafkaesque/zoo.cfg", FileMode: 0o644}},
		HostConfigModifier: func(hc *container.HostConfig) {
			if fuse {
				cluster.GrantFUSE(hc)
			}
		},
	})
	b.sh(ctx, `for i in $(seq 300); do /opt/kafkaesque/node.sh pid >/dev/null 2>&1 && exit 0; sleep 0.1; done; exit 1`)
	return b
}

// node.sh with LAZYFS_DIRS mounts lazyfs before the JVM starts, with the role's setup (myid)
// durable, and a power loss (kill, lose-unfsynced, start) keeps that setup; without LAZYFS_DIRS
// nothing is mounted and nothing runs.
func TestDockerNodeShMountsLazyfsOnlyWhenAsked(t *testing.T) {
	if testing.Short() {
		t.Skip("needs Docker and a minute")
	}
	cluster.RequireDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	plain := startZooKeeper(ctx, t, map[string]string{"ZK_MYID": "1"}, false)
	if out := plain.sh(ctx, `grep -c fuse /proc/mounts || true; pgrep -c lazyfs || true`); out != "0\n0\n" {
		t.Fatalf("without LAZYFS_DIRS: fuse mounts and lazyfs processes: %q, want none", out)
	}

	b := startZooKeeper(ctx, t, map[string]string{"ZK_MYID": "1", "LAZYFS_DIRS": "/data/zookeeper"}, true)
	if out := b.sh(ctx, `grep ' /data/zookeeper ' /proc/mounts`); !strings.Contains(out, "fuse.lazyfs") {
		t.Fatalf("/data/zookeeper is not the lazyfs mount: %q", out)
	}
	b.sh(ctx, `/opt/kafkaesque/node.sh lazyfs stats`)
	b.sh(ctx, `/opt/kafkaesque/node.sh kill`)
	out := b.sh(ctx, `/opt/kafkaesque/node.sh lazyfs lose-unfsynced`)
	if !strings.Contains(out, `"ok":true`) {
		t.Fatalf("lose-unfsynced: %s", out)
	}
	if got := b.sh(ctx, `cat /data/zookeeper/myid`); got != "1\n" {
		t.Fatalf("myid after the loss = %q: node.sh's setup was not made durable", got)
	}
	b.sh(ctx, `/opt/kafkaesque/node.sh start
for i in $(seq 300); do /opt/kafkaesque/node.sh pid >/dev/null 2>&1 && exit 0; sleep 0.1; done; exit 1`)
}
