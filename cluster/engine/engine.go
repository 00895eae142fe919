// Package engine is the Docker engine as clusters use it: one client shared by the process,
// the labels on every container and network a cluster creates, and the sweep that removes what
// crashed runs left behind.
package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
)

// Labels put on every container and network the harness creates, so cleanup can find them.
const (
	LabelManaged = "io.kafkaesque.managed" // always "true"
	LabelRun     = "io.kafkaesque.run"     // the cluster's run id
	LabelPID     = "io.kafkaesque.pid"     // the pid of the process that created it
	LabelHost    = "io.kafkaesque.host"    // that process's hostname
	LabelNode    = "io.kafkaesque.node"    // the node's name, on containers
	// LabelKeep is "true" on a cluster a run may leave up for inspection after its process
	// exits (kafkaesque run --keep-cluster): SweepLeftovers leaves it; RemoveCommand removes it.
	LabelKeep = "io.kafkaesque.keep"
)

var (
	dockerOnce     sync.Once
	dockerProvider *testcontainers.DockerProvider
	dockerErr      error
)

// Client returns the engine client shared by every cluster of this process.
func Client(ctx context.Context) (client.APIClient, error) {
	dockerOnce.Do(func() {
		// Ryuk, testcontainers' reaper, needs a registry image. Cleanup is ours (Close and
		// SweepLeftovers), so it is off, and this must happen before testcontainers reads its config.
		os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
		// Its per-container chatter drowns test output; our own errors say what failed.
		tclog.SetDefault(tclog.NewNoopLogger())
		p, err := testcontainers.NewDockerProvider()
		if err != nil {
			dockerErr = fmt.Errorf("connect to the Docker engine: %w", err)
			return
		}
		pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if _, err := p.Client().Ping(pingCtx, client.PingOptions{}); err != nil {
			dockerErr = fmt.Errorf("the Docker engine does not answer (start it with scripts/ensure-docker.sh): %w", err)
			return
		}
		dockerProvider = p
	})
	if dockerErr != nil {
		return nil, dockerErr
	}
	return dockerProvider.Client(), nil
}

// Available reports whether a Docker engine answers, and why not.
func Available(ctx context.Context) error {
	_, err := Client(ctx)
	return err
}

// OwnLabels are the labels of a resource of run runID created by this process.
func OwnLabels(runID string) map[string]string {
	host, _ := os.Hostname()
	return map[string]string{
		LabelManaged: "true",
		LabelRun:     runID,
		LabelPID:     strconv.Itoa(os.Getpid()),
		LabelHost:    host,
	}
}

// ownerAlive reports whether the process named by a resource's labels still runs here. A
// resource made on another host, or with no pid, is treated as alive: it is not ours to sweep.
func ownerAlive(labels map[string]string) bool {
	host, _ := os.Hostname()
	if labels[LabelHost] != host {
		return true
	}
	pid, err := strconv.Atoi(labels[LabelPID])
	if err != nil || pid <= 0 {
		return true
	}
	if pid == os.Getpid() {
		return true
	}
	err = syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// SweepLeftovers removes the containers and networks of crashed runs: those carrying our label
// whose creating process is gone. Clusters of live processes (parallel test packages) are kept,
// and so are clusters that may have been kept for inspection (LabelKeep).
// It returns how many containers and networks it removed.
func SweepLeftovers(ctx context.Context) (containers, networks int, err error) {
	docker, err := Client(ctx)
	if err != nil {
		return 0, 0, err
	}
	return sweep(ctx, docker, leftover)
}

// leftover says whether a resource with these labels is a crashed run's, for SweepLeftovers.
func leftover(labels map[string]string) bool {
	return labels[LabelKeep] != "true" && !ownerAlive(labels)
}

// RemoveCommand is the shell command that removes run runID's containers and network, for a
// user to remove a cluster kept for inspection.
func RemoveCommand(runID string) string {
	filter := "--filter label=" + LabelManaged + "=true --filter label=" + LabelRun + "=" + runID
	return "docker rm -f -v $(docker ps -aq " + filter + ") && docker network rm $(docker network ls -q " + filter + ")"
}

// RemoveRun removes every container and network of one run.
func RemoveRun(ctx context.Context, docker client.APIClient, runID string) error {
	_, _, err := sweep(ctx, docker, func(labels map[string]string) bool { return labels[LabelRun] == runID })
	return err
}

func sweep(ctx context.Context, docker client.APIClient, doomed func(map[string]string) bool) (int, int, error) {
	filter := make(client.Filters).Add("label", LabelManaged+"=true")
	list, err := docker.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: filter})
	if err != nil {
		return 0, 0, fmt.Errorf("list containers: %w", err)
	}
	var errs []error
	containers := 0
	for _, c := range list.Items {
		if !doomed(c.Labels) {
			continue
		}
		if _, err := docker.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil {
			errs = append(errs, fmt.Errorf("remove container %s: %w", c.ID[:12], err))
			continue
		}
		containers++
	}
	nets, err := docker.NetworkList(ctx, client.NetworkListOptions{Filters: filter})
	if err != nil {
		return containers, 0, errors.Join(append(errs, fmt.Errorf("list networks: %w", err))...)
	}
	networks := 0
	for _, n := range nets.Items {
		if !doomed(n.Labels) {
			continue
		}
		if _, err := docker.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{}); err != nil {
			errs = append(errs, fmt.Errorf("remove network %s: %w", n.Name, err))
			continue
		}
		networks++
	}
	return containers, networks, errors.Join(errs...)
}
