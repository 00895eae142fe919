package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/kafkaesque/kafkaesque/lazyfs"
	tcexec "github.com/testcontainers/testcontainers-go/exec"
)

// exec runs a command inside a node and returns its combined output; a non-zero exit is an error.
func (n *Node) exec(ctx context.Context, cmd ...string) (string, error) {
	code, out, err := n.execCode(ctx, cmd...)
	if err != nil {
		return out, err
	}
	if code != 0 {
		return out, fmt.Errorf("%s: %q exited %d: %s", n.Name, strings.Join(cmd, " "), code, strings.TrimSpace(out))
	}
	return out, nil
}

func (n *Node) execCode(ctx context.Context, cmd ...string) (int, string, error) {
	if n.container == nil {
		return -1, "", fmt.Errorf("%s has no container", n.Name)
	}
	code, r, err := n.container.Exec(ctx, cmd, tcexec.Multiplexed())
	if err != nil {
		return -1, "", fmt.Errorf("%s: exec %q: %w", n.Name, strings.Join(cmd, " "), err)
	}
	var buf bytes.Buffer
	if r != nil {
		_, _ = io.Copy(&buf, r)
	}
	return code, buf.String(), nil
}

// Reachability is what a TCP connection attempt to a port found.
type Reachability int

const (
	// Accepting: the connection was made.
	Accepting Reachability = iota
	// Refusing: the host answered with a reset; nothing listens (a killed process).
	Refusing
	// Unreachable: no answer before the timeout (a partition, or a host that is gone).
	Unreachable
)

func (r Reachability) String() string {
	return [...]string{"accepting", "refusing", "unreachable"}[r]
}

const probeTimeout = time.Second

// ProbeFromClient dials a node's service port from the test process.
func ProbeFromClient(ctx context.Context, n *Node) Reachability {
	d := net.Dialer{Timeout: probeTimeout}
	conn, err := d.DialContext(ctx, "tcp", n.Addr())
	if err == nil {
		conn.Close()
		return Accepting
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return Refusing
	}
	return Unreachable
}

// Probe dials to's service port from inside from (or from the test process when from is the
// client node).
func (c *Cluster) Probe(ctx context.Context, from, to *Node) (Reachability, error) {
	if from.Role == RoleClient {
		return ProbeFromClient(ctx, to), nil
	}
	target := to.IP.String()
	port := "22" // the client listens on nothing: a reset or a timeout still tells reachability
	switch to.Role {
	case RoleZooKeeper:
		port = fmt.Sprint(ZooKeeperPort)
	case RoleKafka:
		port = fmt.Sprint(KafkaPort)
	}
	script := fmt.Sprintf("exec 3<>/dev/tcp/%s/%s", target, port)
	code, out, err := from.execCode(ctx, "timeout", fmt.Sprintf("%.0f", probeTimeout.Seconds()), "bash", "-c", script)
	if err != nil {
		return Unreachable, err
	}
	switch {
	case code == 0:
		return Accepting, nil
	case code == 124: // timeout(1) fired: no answer
		return Unreachable, nil
	case strings.Contains(out, "refused"):
		return Refusing, nil
	default: // no route, host unreachable
		return Unreachable, nil
	}
}

// waitProbe polls until the probe from the client to n returns want, or the timeout passes.
func waitProbe(ctx context.Context, n *Node, want Reachability, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var got Reachability
	for {
		got = ProbeFromClient(ctx, n)
		if got == want {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("%s: port %s is %s, want %s after %s", n.Name, n.Addr(), got, want, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// KillNode SIGKILLs the node's JVM and keeps it down; the container and its data stay. It
// proves the kill by waiting until the node's port refuses connections.
func (c *Cluster) KillNode(ctx context.Context, n *Node) error {
	if _, err := n.exec(ctx, "/opt/kafkaesque/node.sh", "kill"); err != nil {
		return fmt.Errorf("kill %s: %w", n.Name, err)
	}
	if err := waitProbe(ctx, n, Refusing, 10*time.Second); err != nil {
		return fmt.Errorf("kill %s did not take effect: %w", n.Name, err)
	}
	return nil
}

// StopNode SIGTERMs the node's JVM (a broker then shuts down in a controlled way, moving its
// leaderships away) and waits until its port refuses connections.
func (c *Cluster) StopNode(ctx context.Context, n *Node) error {
	if _, err := n.exec(ctx, "/opt/kafkaesque/node.sh", "stop"); err != nil {
		return fmt.Errorf("stop %s: %w", n.Name, err)
	}
	if err := waitProbe(ctx, n, Refusing, 60*time.Second); err != nil {
		return fmt.Errorf("stop %s did not take effect: %w", n.Name, err)
	}
	return nil
}

// StartNode starts a killed or stopped node again with its data intact, and waits until its
// port accepts connections. A JVM that exits during start-up (a broker whose old ZooKeeper
// session still holds its id, say) fails it at once, with the node's last log lines. A broker
// may still be registering in ZooKeeper when it returns; use WaitBrokersRegistered for that.
func (c *Cluster) StartNode(ctx context.Context, n *Node) error {
	if _, err := n.exec(ctx, "/opt/kafkaesque/node.sh", "start"); err != nil {
		return fmt.Errorf("start %s: %w", n.Name, err)
	}
	begun := time.Now()
	launched := false
	for {
		if ProbeFromClient(ctx, n) == Accepting {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("start %s: %w", n.Name, ctx.Err())
		}
		switch running := c.Running(ctx, n); {
		case running:
			launched = true
		case launched || time.Since(begun) > 5*time.Second:
			return fmt.Errorf("start %s: the JVM exited during start-up; last log lines:\n%s", n.Name, c.logTail(ctx, n, 12))
		}
		if time.Since(begun) > 60*time.Second || ctx.Err() != nil {
			return fmt.Errorf("start %s did not take effect: port %s not accepting after %s", n.Name, n.Addr(), time.Since(begun).Round(time.Second))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Running reports whether the node's JVM is alive (paused counts as alive).
func (c *Cluster) Running(ctx context.Context, n *Node) bool {
	_, err := n.exec(ctx, "/opt/kafkaesque/node.sh", "pid")
	return err == nil
}

// PauseNode SIGSTOPs the node's JVM: it keeps its sockets but answers nothing. It proves the
// pause by reading the process state (T, stopped).
func (c *Cluster) PauseNode(ctx context.Context, n *Node) error {
	return c.signalJVM(ctx, n, "STOP", true)
}

// ResumeNode SIGCONTs a paused JVM and proves it is no longer stopped.
func (c *Cluster) ResumeNode(ctx context.Context, n *Node) error {
	return c.signalJVM(ctx, n, "CONT", false)
}

func (c *Cluster) signalJVM(ctx context.Context, n *Node, signal string, wantStopped bool) error {
	script := fmt.Sprintf(`pid=$(/opt/kafkaesque/node.sh pid) || { echo "no JVM running"; exit 1; }
kill -%s "$pid" && sleep 0.05 && sed -n 's/^State:[[:space:]]*//p' /proc/$pid/status`, signal)
	out, err := n.exec(ctx, "sh", "-c", script)
	if err != nil {
		return fmt.Errorf("SIG%s %s: %w", signal, n.Name, err)
	}
	stopped := strings.HasPrefix(strings.TrimSpace(out), "T")
	if stopped != wantStopped {
		return fmt.Errorf("SIG%s %s did not take effect: process state %q", signal, n.Name, strings.TrimSpace(out))
	}
	return nil
}

// DataLoss is what a power loss dropped from one data directory of a node (lazyfs's reply):
// file bytes and directory entries that were not fsynced.
type DataLoss struct {
	Dir     string `json:"dir"`
	Bytes   int64  `json:"bytes"`
	Files   int    `json:"files"`
	Entries int    `json:"entries"`
}

// LosesPower says why n's data cannot lose power, or nil: it must sit on lazyfs.
func (c *Cluster) LosesPower(n *Node) error {
	if c.Config.Lazyfs.env(n.Role) == nil {
		return fmt.Errorf("%s's data directory is not on lazyfs (the cluster's Lazyfs setting leaves %s nodes out)", n.Name, n.Role)
	}
	return nil
}

// LoseUnfsynced drops what n's data directories hold that was not fsynced, as a power cut
// would. The node's JVM must be down (KillNode first): the mount must be idle. It proves the
// loss: afterwards lazyfs reports nothing left that is not durable.
func (c *Cluster) LoseUnfsynced(ctx context.Context, n *Node) ([]DataLoss, error) {
	if err := c.LosesPower(n); err != nil {
		return nil, err
	}
	if c.Running(ctx, n) {
		return nil, fmt.Errorf("lose un-fsynced writes of %s: its JVM is running (kill it first)", n.Name)
	}
	lost, err := c.lazyfs(ctx, n, "lose-unfsynced")
	if err != nil {
		return lost, err
	}
	left, err := c.lazyfs(ctx, n, "stats")
	if err != nil {
		return lost, fmt.Errorf("lose un-fsynced writes of %s: proving it: %w", n.Name, err)
	}
	for _, l := range left {
		if l.Bytes != 0 || l.Entries != 0 {
			return lost, fmt.Errorf("lose un-fsynced writes of %s did not take effect: %s still has %d bytes and %d entries not durable", n.Name, l.Dir, l.Bytes, l.Entries)
		}
	}
	return lost, nil
}

// lazyfs runs `node.sh lazyfs cmd`, which answers one JSON line per data directory, in the
// order of the node's LAZYFS_DIRS.
func (c *Cluster) lazyfs(ctx context.Context, n *Node, cmd string) ([]DataLoss, error) {
	dirs := strings.Fields(c.Config.Lazyfs.env(n.Role)["LAZYFS_DIRS"])
	out, err := n.exec(ctx, "/opt/kafkaesque/node.sh", "lazyfs", cmd)
	if err != nil {
		return nil, fmt.Errorf("lazyfs %s on %s: %w", cmd, n.Name, err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(dirs) {
		return nil, fmt.Errorf("lazyfs %s on %s: %d replies for the directories %v: %q", cmd, n.Name, len(lines), dirs, out)
	}
	res := make([]DataLoss, len(dirs))
	for i, line := range lines {
		var r lazyfs.Reply
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return nil, fmt.Errorf("lazyfs %s on %s: reply %q: %w", cmd, n.Name, line, err)
		}
		if !r.OK {
			return nil, fmt.Errorf("lazyfs %s on %s: %s", cmd, n.Name, r.Error)
		}
		res[i] = DataLoss{Dir: dirs[i], Bytes: r.Bytes, Files: r.Files, Entries: r.Entries}
	}
	return res, nil
}
