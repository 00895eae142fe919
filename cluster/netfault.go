package cluster

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// Fault rules live in two chains of each node's own iptables, hooked into INPUT and OUTPUT, so
// healing is one flush and never touches anything else.
const (
	chainIn  = "KAFKAESQUE_IN"
	chainOut = "KAFKAESQUE_OUT"
)

// ErrNetemUnavailable says the kernel has no netem queueing discipline, so delays cannot be injected.
var ErrNetemUnavailable = errors.New("tc netem is not available on this kernel (sch_netem missing)")

const setupChains = `set -e
for c in ` + chainIn + ` ` + chainOut + `; do iptables -N $c 2>/dev/null || true; done
iptables -C INPUT -j ` + chainIn + ` 2>/dev/null || iptables -I INPUT -j ` + chainIn + `
iptables -C OUTPUT -j ` + chainOut + ` 2>/dev/null || iptables -I OUTPUT -j ` + chainOut

// pair is an unordered pair of node names whose traffic is cut.
type pair [2]string

func newPair(a, b *Node) pair {
	if a.Name > b.Name {
		a, b = b, a
	}
	return pair{a.Name, b.Name}
}

// Cut drops all traffic between every node of side a and every node of side b, in both
// directions, and proves it: each pair's connection attempts time out. The client node may be
// on either side (client isolation). Rules are installed inside the containers only.
func (c *Cluster) Cut(ctx context.Context, a, b []*Node) error {
	rules := map[*Node][]string{}
	var pairs [][2]*Node
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return fmt.Errorf("cut: %s is on both sides", x.Name)
			}
			if x.Role == RoleClient && y.Role == RoleClient {
				continue
			}
			pairs = append(pairs, [2]*Node{x, y})
			for _, pr := range [][2]*Node{{x, y}, {y, x}} {
				if pr[0].Role != RoleClient {
					ip := pr[1].IP.String()
					rules[pr[0]] = append(rules[pr[0]],
						fmt.Sprintf("iptables -A %s -s %s -j DROP", chainIn, ip),
						fmt.Sprintf("iptables -A %s -d %s -j DROP", chainOut, ip))
				}
			}
		}
	}
	// Recorded before applying: rules applied in parallel may partly succeed, and Heal must
	// flush whatever got installed.
	c.markFaulty(slices.Collect(maps.Keys(rules))...)
	if err := c.applyRules(ctx, rules); err != nil {
		return fmt.Errorf("cut %v | %v: %w", Names(a), Names(b), err)
	}
	if err := c.provePairs(ctx, pairs, true); err != nil {
		return fmt.Errorf("cut %v | %v did not take effect: %w", Names(a), Names(b), err)
	}
	return nil
}

// Partition splits the given nodes into groups that cannot reach each other; within a group
// traffic flows. Nodes in no group are not affected.
func (c *Cluster) Partition(ctx context.Context, groups ...[]*Node) error {
	for i := range groups {
		for j := i + 1; j < len(groups); j++ {
			if err := c.Cut(ctx, groups[i], groups[j]); err != nil {
				return err
			}
		}
	}
	return nil
}

// Isolate cuts a node off from every other node of the cluster and from the client.
func (c *Cluster) Isolate(ctx context.Context, n *Node) error {
	others := []*Node{c.Client}
	for _, o := range c.Nodes() {
		if o != n {
			others = append(others, o)
		}
	}
	return c.Cut(ctx, []*Node{n}, others)
}

// Loss drops the given fraction (0 < p < 1) of the packets entering and leaving each node,
// except loopback. It proves the rules dropped packets by their counters.
func (c *Cluster) Loss(ctx context.Context, p float64, nodes ...*Node) error {
	if p <= 0 || p >= 1 {
		return fmt.Errorf("loss: probability %v must be in (0, 1)", p)
	}
	prob := strconv.FormatFloat(p, 'f', 4, 64)
	rules := map[*Node][]string{}
	for _, n := range nodes {
		rules[n] = []string{
			fmt.Sprintf("iptables -A %s ! -i lo -m statistic --mode random --probability %s -j DROP", chainIn, prob),
			fmt.Sprintf("iptables -A %s ! -o lo -m statistic --mode random --probability %s -j DROP", chainOut, prob),
		}
	}
	c.markFaulty(nodes...)
	if err := c.applyRules(ctx, rules); err != nil {
		return fmt.Errorf("loss %v on %v: %w", p, Names(nodes), err)
	}
	for _, n := range nodes {
		if err := c.waitDrops(ctx, n, 10*time.Second); err != nil {
			return fmt.Errorf("loss on %s did not take effect: %w", n.Name, err)
		}
	}
	return nil
}

// waitDrops waits until n's fault chains have dropped at least one packet, making traffic from
// the client meanwhile (cluster traffic usually suffices).
func (c *Cluster) waitDrops(ctx context.Context, n *Node, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		dropped, err := droppedPackets(ctx, n)
		if err != nil {
			return err
		}
		if dropped > 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no packet dropped within %s", timeout)
		}
		ProbeFromClient(ctx, n)
		time.Sleep(100 * time.Millisecond)
	}
}

func droppedPackets(ctx context.Context, n *Node) (int64, error) {
	out, err := n.exec(ctx, "sh", "-c", fmt.Sprintf("iptables -L %s -v -x -n; iptables -L %s -v -x -n", chainIn, chainOut))
	if err != nil {
		return 0, err
	}
	var total int64
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) > 2 && f[2] == "DROP" {
			v, _ := strconv.ParseInt(f[0], 10, 64)
			total += v
		}
	}
	return total, nil
}

// Delay adds latency (with jitter) to every packet leaving each node, with tc netem. It proves
// the delay by timing a connection from the client. ErrNetemUnavailable when the kernel lacks netem.
func (c *Cluster) Delay(ctx context.Context, delay, jitter time.Duration, nodes ...*Node) error {
	if err := c.NetemAvailable(ctx); err != nil {
		return err
	}
	for _, n := range nodes {
		cmd := fmt.Sprintf("tc qdisc replace dev eth0 root netem delay %dms %dms", delay.Milliseconds(), jitter.Milliseconds())
		c.markFaulty(n)
		if _, err := n.exec(ctx, "sh", "-c", cmd); err != nil {
			return fmt.Errorf("delay %s: %w", n.Name, err)
		}
		start := time.Now()
		ProbeFromClient(ctx, n)
		if rtt := time.Since(start); rtt < delay/2 {
			return fmt.Errorf("delay %s did not take effect: connect took %s, want >= %s", n.Name, rtt, delay/2)
		}
	}
	return nil
}

// NetemAvailable reports whether tc netem works on this kernel, probed inside a node. A definite
// answer is kept for the cluster's life; a probe that failed for another reason is retried.
func (c *Cluster) NetemAvailable(ctx context.Context) error {
	c.mu.Lock()
	known := c.netemErr
	c.mu.Unlock()
	if known != nil {
		return *known
	}
	out, err := c.Brokers[0].exec(ctx, "sh", "-c", "tc qdisc add dev lo root netem delay 1ms && tc qdisc del dev lo root")
	switch {
	case err == nil:
	case strings.Contains(out, "unknown") || strings.Contains(out, "not supported"):
		err = ErrNetemUnavailable
	default:
		return fmt.Errorf("probe tc netem: %w", err)
	}
	c.mu.Lock()
	c.netemErr = &err
	c.mu.Unlock()
	return err
}

// Heal removes every network fault (cuts, loss, delay) from every node, and proves it: every node
// pair, the client included, can connect again, and no fault rule or netem remains.
func (c *Cluster) Heal(ctx context.Context) error {
	c.mu.Lock()
	faulty := make([]*Node, 0, len(c.netFaults))
	for _, n := range c.Nodes() {
		if c.netFaults[n.Name] {
			faulty = append(faulty, n)
		}
	}
	c.mu.Unlock()
	g, gctx := errgroup.WithContext(ctx)
	for _, n := range faulty {
		g.Go(func() error {
			script := fmt.Sprintf(`iptables -F %[1]s 2>/dev/null; iptables -F %[2]s 2>/dev/null
if tc qdisc show dev eth0 | grep -q netem; then tc qdisc del dev eth0 root; fi
if iptables -S %[1]s 2>/dev/null | grep -q '^-A' || iptables -S %[2]s 2>/dev/null | grep -q '^-A'; then echo "fault rules remain"; exit 1; fi
if tc qdisc show dev eth0 | grep -q netem; then echo "netem remains"; exit 1; fi`, chainIn, chainOut)
			if _, err := n.exec(gctx, "sh", "-c", script); err != nil {
				return fmt.Errorf("heal %s: %w", n.Name, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	c.mu.Lock()
	clear(c.netFaults)
	c.mu.Unlock()
	// Prove every pair that touches a formerly faulty node can connect.
	var pairs [][2]*Node
	seen := map[pair]bool{}
	everyone := append(c.Nodes(), c.Client)
	for _, x := range faulty {
		for _, y := range everyone {
			if x != y && !seen[newPair(x, y)] {
				seen[newPair(x, y)] = true
				pairs = append(pairs, [2]*Node{x, y})
			}
		}
	}
	if err := c.provePairs(ctx, pairs, false); err != nil {
		return fmt.Errorf("heal did not take effect: %w", err)
	}
	return nil
}

// markFaulty records that nodes may carry fault rules, so Heal flushes and re-proves them.
func (c *Cluster) markFaulty(nodes ...*Node) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range nodes {
		if n.Role != RoleClient {
			c.netFaults[n.Name] = true
		}
	}
}

func (c *Cluster) applyRules(ctx context.Context, rules map[*Node][]string) error {
	g, ctx := errgroup.WithContext(ctx)
	for n, rs := range rules {
		script := setupChains + "\n" + strings.Join(rs, "\n")
		g.Go(func() error {
			_, err := n.exec(ctx, "sh", "-c", script)
			return err
		})
	}
	return g.Wait()
}

// provePairs probes each pair in both directions (where a container is on the probing side)
// and checks that it is cut (every probe times out) or connected (no probe times out).
func (c *Cluster) provePairs(ctx context.Context, pairs [][2]*Node, wantCut bool) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	var mu sync.Mutex
	var bad []string
	for _, p := range pairs {
		for _, dir := range [][2]*Node{{p[0], p[1]}, {p[1], p[0]}} {
			from, to := dir[0], dir[1]
			g.Go(func() error {
				// A healed connection may take a moment: retry the connected case briefly.
				for attempt := 0; ; attempt++ {
					r, err := c.Probe(gctx, from, to)
					if err != nil {
						return err
					}
					if (r == Unreachable) == wantCut {
						return nil
					}
					if wantCut || attempt >= 5 {
						mu.Lock()
						bad = append(bad, fmt.Sprintf("%s->%s %s", from.Name, to.Name, r))
						mu.Unlock()
						return nil
					}
					time.Sleep(200 * time.Millisecond)
				}
			})
		}
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if len(bad) > 0 {
		slices.Sort(bad)
		return fmt.Errorf("probes: %s", strings.Join(bad, ", "))
	}
	return nil
}

// Names returns the nodes' names, in order.
func Names(nodes []*Node) []string {
	out := make([]string, len(nodes))
	for i, n := range nodes {
		out[i] = n.Name
	}
	return out
}
