package main

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe for the writer's flusher.
type lockedBuffer struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.writes++
	return l.b.Write(p)
}

func (l *lockedBuffer) snapshot() (string, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String(), l.writes
}

// Lines are written in batches, none lost, within the flush interval, and
// Close writes what is left.
func TestBatchWriter(t *testing.T) {
	out := &lockedBuffer{}
	w := newBatchWriter(out)
	for i := range 100 {
		if _, err := w.Write([]byte(strings.Repeat("x", i%7) + "\n")); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * logFlushEvery)
	for {
		text, writes := out.snapshot()
		if strings.Count(text, "\n") == 100 {
			if writes > 3 {
				t.Errorf("100 lines took %d writes, want them batched", writes)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("lines not written within %s", 5*logFlushEvery)
		}
		time.Sleep(5 * time.Millisecond)
	}
	_, _ = w.Write([]byte("last\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if text, _ := out.snapshot(); !strings.HasSuffix(text, "last\n") {
		t.Error("Close did not write the last line")
	}
}
