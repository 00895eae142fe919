package nemesis

import (
	"context"
	"errors"
	"math/rand"
	"slices"
	"strings"
	"testing"
)

// fakeMembers is a group of consumers whose leader can be crashed and restarted.
type fakeMembers struct {
	leader, crashed string
	process         int
	err             error
}

func (m *fakeMembers) CrashLeader(context.Context) (string, int, error) {
	if m.err != nil {
		return "", 0, m.err
	}
	m.crashed = m.leader
	return m.leader, m.process, nil
}

func (m *fakeMembers) Restart(_ context.Context, member string) error {
	if member != m.crashed {
		return errors.New("no such crashed member")
	}
	m.crashed = ""
	return nil
}

func groupFault(t *testing.T, cfg Config, name string) Fault {
	t.Helper()
	faults, err := cfg.Lookup([]string{name})
	if err != nil {
		t.Fatal(err)
	}
	return faults[0]
}

func TestGroupFaultsListedApart(t *testing.T) {
	want := []string{"isolate-coordinator", "kill-coordinator", "kill-group-leader", "pause-coordinator"}
	if got := Names(GroupFaults()); !slices.Equal(got, want) {
		t.Errorf("GroupFaults() = %v, want %v", got, want)
	}
	for _, name := range want {
		if slices.Contains(Names(All()), name) {
			t.Errorf("All() lists the group fault %s", name)
		}
	}
}

func TestGroupFaultsNeedTheGroupWorkload(t *testing.T) {
	c := newFakeCluster(3, 1)
	for _, f := range GroupFaults() {
		if err := f.Available(context.Background(), c); err == nil {
			t.Errorf("%s is available without a group", f.Name())
		}
	}
}

func TestCoordinatorFaults(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig
	cfg.Group = "g"
	for _, name := range []string{"kill-coordinator", "pause-coordinator", "isolate-coordinator"} {
		t.Run(name, func(t *testing.T) {
			c := newFakeCluster(3, 1)
			c.coordinators = map[string]string{"g": "kafka2"}
			f := groupFault(t, cfg, name)
			if err := f.Available(ctx, c); err != nil {
				t.Fatal(err)
			}
			inj, err := f.Inject(ctx, c, rand.New(rand.NewSource(1)))
			if err != nil {
				t.Fatal(err)
			}
			if inj.Group != "g" || !slices.Equal(inj.Nodes, []string{"kafka2"}) || !inj.Recoverable() {
				t.Fatalf("injection %+v: want group g, node kafka2, recoverable", inj)
			}
			switch name {
			case "kill-coordinator":
				wantCalls(t, c.Calls(), "kill kafka2")
			case "pause-coordinator":
				wantCalls(t, c.Calls(), "pause kafka2")
			case "isolate-coordinator":
				wantCalls(t, c.Calls(), "cut kafka2 | kafka1,kafka3,zk1")
			}
			if err := inj.Recover(ctx); err != nil {
				t.Fatal(err)
			}
			if err := c.Healthy(); err != nil {
				t.Errorf("after recovery: %v", err)
			}
			if !strings.Contains(inj.String(), "group g") {
				t.Errorf("String() = %q, want the group named", inj.String())
			}
		})
	}
}

func TestCoordinatorFaultWithoutCoordinator(t *testing.T) {
	cfg := testConfig
	cfg.Group = "g"
	c := newFakeCluster(3, 1) // no coordinator known
	inj, err := groupFault(t, cfg, "kill-coordinator").Inject(context.Background(), c, rand.New(rand.NewSource(1)))
	if err == nil || inj.Recoverable() || len(c.Calls()) != 0 {
		t.Fatalf("inject with no coordinator: %+v, %v, calls %v; want an error and nothing done", inj, err, c.Calls())
	}
}

func TestKillGroupLeader(t *testing.T) {
	ctx := context.Background()
	members := &fakeMembers{leader: "m-1", process: 7}
	cfg := testConfig
	cfg.Group, cfg.Members = "g", members
	f := groupFault(t, cfg, "kill-group-leader")
	c := newFakeCluster(3, 1)
	if err := f.Available(ctx, c); err != nil {
		t.Fatal(err)
	}
	inj, err := f.Inject(ctx, c, rand.New(rand.NewSource(1)))
	if err != nil {
		t.Fatal(err)
	}
	if inj.Member != "m-1" || inj.Process == nil || *inj.Process != 7 || inj.Group != "g" || members.crashed != "m-1" {
		t.Fatalf("injection %+v (crashed %q): want member m-1, process 7, group g", inj, members.crashed)
	}
	if len(c.Calls()) != 0 {
		t.Errorf("the cluster was touched: %v", c.Calls())
	}
	if err := inj.Recover(ctx); err != nil || members.crashed != "" {
		t.Fatalf("recover: %v, crashed %q; want the member restarted", err, members.crashed)
	}
	members.err = errors.New("no leader")
	if inj, err := f.Inject(ctx, c, rand.New(rand.NewSource(1))); err == nil || inj.Recoverable() {
		t.Errorf("inject with no leader: %+v, %v; want an error, nothing to recover", inj, err)
	}
}
