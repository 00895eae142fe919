package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
)

// interruptContext is cancelled, with the reason as its cause, when the process is told to
// stop: SIGINT (Ctrl-C), SIGTERM, or SIGHUP (the terminal went away). A run then removes its
// containers and networks before it exits. SIGPIPE is caught as well, so that a write to a
// closed stdout or stderr (output piped into head) fails with EPIPE instead of killing the
// process before its cleanup; newOutput turns that failure into the same interruption. A
// SIGPIPE alone does not interrupt: broken sockets to killed brokers raise it all the time.
// stop releases the signals; interrupt cancels the context with a cause.
func interruptContext(parent context.Context) (ctx context.Context, interrupt func(error), stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGPIPE)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-signals:
				if s != syscall.SIGPIPE {
					cancel(fmt.Errorf("interrupted by %v", s))
				}
			case <-done:
				return
			}
		}
	}()
	var once sync.Once
	return ctx, cancel, func() {
		once.Do(func() {
			signal.Stop(signals)
			close(done)
			cancel(nil)
		})
	}
}

// output is one of the process's output streams. Once its reader has gone (EPIPE), it
// interrupts the command, as a signal would, and drops what is written after, so the
// cleanup that follows is not cut short by failing writes.
type output struct {
	w         io.Writer
	interrupt func(error)
	closed    atomic.Bool
}

func newOutput(w io.Writer, interrupt func(error)) io.Writer {
	return &output{w: w, interrupt: interrupt}
}

func (o *output) Write(p []byte) (int, error) {
	if o.closed.Load() {
		return len(p), nil
	}
	n, err := o.w.Write(p)
	if errors.Is(err, syscall.EPIPE) {
		o.closed.Store(true)
		o.interrupt(errors.New("interrupted: output closed (broken pipe)"))
		return len(p), nil
	}
	return n, err
}
