package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/kafkaesque/kafkaesque/cluster/engine"
	"github.com/kafkaesque/kafkaesque/cluster/nodeimage"
	"github.com/spf13/cobra"
)

// nodeImageLister lists the Kafka releases whose node images are built; errNoDocker marks an
// engine that does not answer.
type nodeImageLister func(ctx context.Context) ([]nodeimage.KafkaVersion, error)

type errNoDocker struct{ err error }

func (e errNoDocker) Error() string { return e.err.Error() }

// localNodeImages asks the local Docker engine.
func localNodeImages(ctx context.Context) ([]nodeimage.KafkaVersion, error) {
	docker, err := engine.Client(ctx)
	if err != nil {
		return nil, errNoDocker{err}
	}
	return nodeimage.Built(ctx, docker)
}

func newVersionCmd(list nodeImageLister) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "print kafkaesque's version and the Kafka versions whose node images are built",
		Long: "Prints kafkaesque's version (module version, commit, commit time, +dirty for uncommitted changes),\n" +
			"the Go it was built with, and the Kafka releases whose node images (" + nodeimage.Repo + ":VERSION)\n" +
			"the local Docker engine holds. Without Docker the version is still printed.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			bi, _ := debug.ReadBuildInfo()
			fmt.Fprintln(cmd.OutOrStdout(), versionLine(bi))
			printNodeImages(cmd.Context(), list, cmd.OutOrStdout(), cmd.ErrOrStderr())
			return nil
		},
	}
}

// versionLine is e.g. "kafkaesque v1.2.0 (commit 0123abcd4567+dirty, 2026-05-01T10:00:00Z), go1.26.8 linux/amd64".
// A binary built outside a module version (go run, a plain go build of a work tree) is "(devel)".
func versionLine(bi *debug.BuildInfo) string {
	version, goVersion := "(devel)", runtime.Version()
	settings := map[string]string{}
	if bi != nil {
		if v := bi.Main.Version; v != "" {
			version = v
		}
		if bi.GoVersion != "" {
			goVersion = bi.GoVersion
		}
		for _, s := range bi.Settings {
			settings[s.Key] = s.Value
		}
	}
	var vcs []string
	if rev := settings["vcs.revision"]; rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if settings["vcs.modified"] == "true" {
			rev += "+dirty"
		}
		vcs = append(vcs, "commit "+rev)
	}
	if t := settings["vcs.time"]; t != "" {
		vcs = append(vcs, t)
	}
	line := "kafkaesque " + version
	if len(vcs) > 0 {
		line += " (" + strings.Join(vcs, ", ") + ")"
	}
	return line + ", " + goVersion + " " + runtime.GOOS + "/" + runtime.GOARCH
}

// printNodeImages says which Kafka releases have a node image; what stops it from saying goes
// to stderr, and the version line stands.
func printNodeImages(ctx context.Context, list nodeImageLister, stdout, stderr io.Writer) {
	versions, err := list(ctx)
	var noDocker errNoDocker
	switch {
	case errors.As(err, &noDocker):
		fmt.Fprintf(stderr, "kafkaesque version: Docker is not running: cannot list node images (%v)\n", noDocker.err)
	case err != nil:
		fmt.Fprintf(stderr, "kafkaesque version: cannot list node images: %v\n", err)
	case len(versions) == 0:
		fmt.Fprintf(stdout, "Kafka node images: none built (build one with images/build.sh VERSION)\n")
	default:
		names := make([]string, len(versions))
		for i, v := range versions {
			names[i] = v.String()
		}
		fmt.Fprintf(stdout, "Kafka node images: %s\n", strings.Join(names, ", "))
	}
}
