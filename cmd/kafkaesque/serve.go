package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on; must be a loopback address")
	dir := fs.String("dir", "results", "directory of run directories to serve")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: kafkaesque serve [--addr 127.0.0.1:8080] [--dir results]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitValid
		}
		return exitError
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "kafkaesque serve: unexpected arguments %v\n", fs.Args())
		return exitError
	}
	if err := checkLoopback(*addr); err != nil {
		fmt.Fprintf(stderr, "kafkaesque serve: %v\n", err)
		return exitError
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "kafkaesque serve: %v\n", err)
		return exitError
	}
	fmt.Fprintf(stdout, "serving %s at http://%s/ (Ctrl-C to stop)\n", *dir, ln.Addr())
	if err := serveResults(ctx, ln, *dir); err != nil {
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
