package main

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"
)

// signalCause is the cause of a context cancelled by a stop signal, so the
// run command can log which signal it got.
type signalCause struct{ sig os.Signal }

func (c signalCause) Error() string { return "received " + signalName(c.sig) }

// Is makes a signal's cancellation a context.Canceled.
func (c signalCause) Is(target error) bool { return target == context.Canceled }

// signalName names the stop signals as people write them ("SIGTERM").
func signalName(sig os.Signal) string {
	switch sig {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGHUP:
		return "SIGHUP"
	}
	return sig.String()
}

// receivedSignal returns the signal that cancelled ctx, if one did.
func receivedSignal(ctx context.Context) (os.Signal, bool) {
	var c signalCause
	if errors.As(context.Cause(ctx), &c) {
		return c.sig, true
	}
	return nil, false
}

// notifyContext is signal.NotifyContext for SIGINT and SIGTERM, cancelling
// with a signalCause that names the signal.
func notifyContext(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case sig := <-ch:
			// A second signal stops the process at once, as without us.
			signal.Stop(ch)
			cancel(signalCause{sig})
		case <-ctx.Done():
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		cancel(nil)
	}
}
