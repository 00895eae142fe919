package main

import (
	"context"
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A write to an output whose reader has gone interrupts the command once and is then dropped,
// so the cleanup that follows is not cut short.
func TestClosedOutputInterrupts(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var causes []error
	out := newOutput(w, func(err error) { causes = append(causes, err) })
	if _, err := out.Write([]byte("first\n")); err != nil || len(causes) != 0 {
		t.Fatalf("a write with a reader: %v, interrupts %v", err, causes)
	}
	r.Close()
	for i := 0; i < 3; i++ {
		if n, err := out.Write([]byte("after\n")); err != nil || n != 6 {
			t.Errorf("write %d after the reader left: %d, %v; want it dropped quietly", i, n, err)
		}
	}
	if len(causes) != 1 || !strings.Contains(causes[0].Error(), "broken pipe") {
		t.Errorf("interrupts %v, want one naming the broken pipe", causes)
	}
}

// SIGHUP and SIGTERM cancel the command's context with the signal as the cause; SIGPIPE alone
// (a broken socket to a killed broker raises it too) does not.
func TestSignalsInterrupt(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGTERM} {
		ctx, _, stop := interruptContext(context.Background())
		if err := syscall.Kill(os.Getpid(), syscall.SIGPIPE); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		if ctx.Err() != nil {
			t.Fatalf("SIGPIPE cancelled the context: %v", context.Cause(ctx))
		}
		if err := syscall.Kill(os.Getpid(), sig); err != nil {
			t.Fatal(err)
		}
		select {
		case <-ctx.Done():
			if cause := context.Cause(ctx); cause == nil || !strings.Contains(cause.Error(), sig.String()) {
				t.Errorf("%v: cause %v", sig, cause)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("%v did not cancel the context", sig)
		}
		stop()
		if !errors.Is(ctx.Err(), context.Canceled) {
			t.Errorf("after stop: %v", ctx.Err())
		}
	}
}
