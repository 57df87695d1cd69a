package main

import (
	"context"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/korelay/korelay/internal/syncbuf"
)

// run logs the signal that stopped it, by name, before it drains.
func TestRunLogsTheSignal(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(signalName(sig), func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "data")
			file := writeConfig(t, nil, "http:\n  listen: 127.0.0.1:0\nnats:\n  listen: 127.0.0.1:0\n  data_dir: "+data+"\n")
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			var stdout, stderr syncbuf.Buffer
			done := make(chan int, 1)
			go func() { done <- run(ctx, []string{"run", "-dry-run", "-config", file}, &stdout, &stderr) }()
			waitFor(t, &stderr, "korelay running", done)
			cancel(signalCause{sig})
			select {
			case code := <-done:
				if code != 0 {
					t.Fatalf("exit %d\n%s", code, stderr.String())
				}
			case <-time.After(30 * time.Second):
				t.Fatalf("run did not stop\n%s", stderr.String())
			}
			log := stderr.String()
			got := strings.Index(log, "received "+signalName(sig))
			stopped := strings.Index(log, "korelay stopped")
			if got < 0 || stopped < 0 || got > stopped || !strings.Contains(log, "signal="+signalName(sig)) {
				t.Errorf("log does not name %s before stopping:\n%s", signalName(sig), log)
			}
		})
	}
}

// waitFor waits until w holds want, failing if the command ends first.
func waitFor(t *testing.T, w *syncbuf.Buffer, want string, done <-chan int) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for !strings.Contains(w.String(), want) {
		select {
		case code := <-done:
			t.Fatalf("command ended (exit %d) before logging %q:\n%s", code, want, w.String())
		case <-deadline:
			t.Fatalf("no %q within 30s:\n%s", want, w.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
