package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// interruptContext is cancelled when the process is told to stop.
func interruptContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
}

// newOutput wraps one of the process's output streams.
func newOutput(w io.Writer, _ context.CancelFunc) io.Writer { return w }
