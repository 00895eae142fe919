package lazyfs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"
	tcexec "github.com/testcontainers/testcontainers-go/exec"

	"github.com/kafkaesque/kafkaesque/cluster"
	"github.com/kafkaesque/kafkaesque/cluster/engine"
	"github.com/kafkaesque/kafkaesque/lazyfs"
)

// nodeImage is the node image the test runs lazyfs in (KAFKAESQUE_LAZYFS_IMAGE, default the
// 3.9.2 node image; images/build.sh puts lazyfs in it).
func nodeImage() string {
	if img := os.Getenv("KAFKAESQUE_LAZYFS_IMAGE"); img != "" {
		return img
	}
	return "kafkaesque/node:3.9.2"
}

type box struct {
	t   *testing.T
	ctr testcontainers.Container
}

func (b *box) sh(ctx context.Context, script string) string {
	b.t.Helper()
	code, r, err := b.ctr.Exec(ctx, []string{"sh", "-ec", script}, tcexec.Multiplexed())
	if err != nil {
		b.t.Fatalf("exec %q: %v", script, err)
	}
	var out bytes.Buffer
	io.Copy(&out, r)
	if code != 0 {
		b.t.Fatalf("%q exited %d: %s", script, code, out.String())
	}
	return out.String()
}

func (b *box) ctl(ctx context.Context, cmd string) lazyfs.Reply {
	b.t.Helper()
	var r lazyfs.Reply
	out := b.sh(ctx, "lazyfs ctl --control /run/lazyfs.sock "+cmd)
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		b.t.Fatalf("reply to %s: %q: %v", cmd, out, err)
	}
	return r
}

// startBox starts a container of the node image from req (image and labels filled in), removed
// when the test ends.
func startBox(ctx context.Context, t *testing.T, req testcontainers.ContainerRequest) *box {
	t.Helper()
	req.Image = nodeImage()
	req.Labels = engine.OwnLabels(fmt.Sprintf("lazyfs-%d", time.Now().UnixNano()))
	ctr, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{ContainerRequest: req, Started: true})
	if ctr != nil {
		t.Cleanup(func() { ctr.Terminate(context.Background()) })
	}
	if err != nil {
		t.Fatalf("start a container of %s: %v", nodeImage(), err)
	}
	return &box{t: t, ctr: ctr}
}

// mount starts lazyfs over /data/kafka-backing at /data/kafka and waits for its socket.
func (b *box) mount(ctx context.Context) {
	b.t.Helper()
	b.sh(ctx, `lazyfs mount --backing /data/kafka-backing --control /run/lazyfs.sock /data/kafka >/tmp/lazyfs.log 2>&1 &
for i in $(seq 100); do lazyfs ctl --control /run/lazyfs.sock stats >/dev/null 2>&1 && exit 0; sleep 0.1; done
cat /tmp/lazyfs.log; exit 1`)
}

// The "done when": on a real container (with /dev/fuse and CAP_SYS_ADMIN, not
// privileged), write, fsync part, lose the un-fsynced state, restart; exactly the un-fsynced
// part is gone: bytes, files and directory entries.
func TestDockerLoseUnfsyncedOnARealContainer(t *testing.T) {
	if testing.Short() {
		t.Skip("needs Docker and half a minute")
	}
	cluster.RequireDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	b := startBox(ctx, t, testcontainers.ContainerRequest{
		Entrypoint:         []string{"sleep", "infinity"},
		HostConfigModifier: cluster.GrantFUSE,
	})
	ctr := b.ctr
	if code, _, err := ctr.Exec(ctx, []string{"test", "-x", "/usr/local/bin/lazyfs"}); err != nil || code != 0 {
		t.Fatalf("%s has no /usr/local/bin/lazyfs (code %d, %v): rebuild it with images/build.sh", nodeImage(), code, err)
	}
	b.mount(ctx)
	// The durable starting point: made through the mount, then synced.
	b.sh(ctx, `cd /data/kafka && mkdir p && printf 'seg|' > p/seg && printf old > p/old && printf cp0 > p/cp`)
	if r := b.ctl(ctx, lazyfs.CmdSync); r.Entries != 4 || r.Bytes != 10 {
		t.Fatalf("sync made %+v durable, want 4 entries (p, seg, old, cp) and 10 bytes", r)
	}
	// coreutils sync FILE is fsync(2) of FILE; sync DIR is fsync(2) of the directory.
	b.sh(ctx, `cd /data/kafka/p
printf 'synced|' >> seg && sync seg && printf lost >> seg
printf cp1 > cp.tmp && sync cp.tmp && mv cp.tmp cp && sync .
printf 'data kept, name lost' > unnamed && sync unnamed
printf x > gone
rm old
mkdir newdir`)
	st := b.ctl(ctx, lazyfs.CmdStats)
	// seg's 4 bytes, gone's 1; unnamed, gone, old, newdir.
	if st.Bytes != 5 || st.Files != 2 || st.Entries != 4 {
		t.Fatalf("stats = %+v, want 5 bytes in 2 files and 4 entries", st)
	}
	lost := b.ctl(ctx, lazyfs.CmdLose)
	if lost.Bytes != 5 || lost.Files != 2 || lost.Entries != 4 {
		t.Fatalf("lose-unfsynced = %+v, want 5 bytes in 2 files and 4 entries", lost)
	}
	const want = "cp cp1\nold old\nseg seg|synced|\n"
	list := `cd /data/kafka/p && for f in *; do printf '%s %s\n' "$f" "$(cat "$f")"; done`
	if got := b.sh(ctx, list); got != want {
		t.Fatalf("after the loss p holds\n%s\nwant\n%s", got, want)
	}
	// Restart the container (lazyfs and all): the backing tree is what survived.
	stopTimeout := 5 * time.Second
	if err := ctr.Stop(ctx, &stopTimeout); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if err := ctr.Start(ctx); err != nil {
		t.Fatalf("restart: %v", err)
	}
	b.mount(ctx)
	if got := b.sh(ctx, list); got != want {
		t.Fatalf("after the restart p holds\n%s\nwant\n%s", got, want)
	}
	if r := b.ctl(ctx, lazyfs.CmdStats); r.Bytes != 0 || r.Entries != 0 {
		t.Fatalf("a fresh mount reports %+v pending", r)
	}
	if out := b.sh(ctx, "grep ' /data/kafka ' /proc/mounts"); !strings.Contains(out, "fuse") {
		t.Fatalf("/data/kafka is not a FUSE mount: %q", out)
	}
}
