package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"
)

func newServeCmd() *cobra.Command {
	var addr, dir string
	cmd := &cobra.Command{
		Use:   "serve [flags]",
		Short: "serve a results directory on localhost for browsing",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return status(runServe(cmd.Context(), addr, dir, cmd.OutOrStdout(), cmd.ErrOrStderr()))
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on; must be a loopback address")
	cmd.Flags().StringVar(&dir, "dir", "results", "directory of run directories to serve")
	return cmd
}

func runServe(ctx context.Context, addr, dir string, stdout, stderr io.Writer) int {
	if err := checkLoopback(addr); err != nil {
		fmt.Fprintf(stderr, "kafkaesque serve: %v\n", err)
		return exitError
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintf(stderr, "kafkaesque serve: %v\n", err)
		return exitError
	}
	fmt.Fprintf(stdout, "serving %s at http://%s/ (Ctrl-C to stop)\n", dir, ln.Addr())
	if err := serveResults(ctx, ln, dir); err != nil {
		fmt.Fprintf(stderr, "kafkaesque serve: %v\n", err)
		return exitError
	}
	return exitValid
}

// checkLoopback refuses addresses other machines could reach: run directories hold the
// cluster's logs and topology, and the server has no authentication.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--addr %q: refusing to listen on a non-loopback address (use 127.0.0.1, ::1 or localhost); results are served without authentication", addr)
	}
	return nil
}

// serveResults serves dir read-only on ln until ctx ends.
func serveResults(ctx context.Context, ln net.Listener, dir string) error {
	srv := &http.Server{Handler: http.FileServer(http.Dir(dir)), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdown); err != nil {
			return fmt.Errorf("shut down: %w", err)
		}
		return nil
	}
}
