package main

import (
	"bytes"
	"io"
	"sync"
	"time"
)

// Log batching: lines are written at least this often, or at once when
// this many bytes wait.
const (
	logFlushEvery = 50 * time.Millisecond
	logFlushAt    = 64 << 10
)

// batchWriter gathers log lines and writes them in batches: at info level
// korelay logs a line per Kore call, and a system call per line cost
// several percent of its CPU under load. A line waits at most
// logFlushEvery; Close writes what is left. Safe for concurrent use.
type batchWriter struct {
	w    io.Writer
	mu   sync.Mutex
	buf  bytes.Buffer
	stop chan struct{}
	done chan struct{}
}

// newBatchWriter starts batching writes to w until Close.
func newBatchWriter(w io.Writer) *batchWriter {
	b := &batchWriter{w: w, stop: make(chan struct{}), done: make(chan struct{})}
	go b.loop()
	return b
}

// Write queues p (one log line, as slog writes them).
func (b *batchWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if b.buf.Len() >= logFlushAt {
		b.flushLocked()
	}
	return len(p), nil
}

// Close writes what is queued and stops the flushing.
func (b *batchWriter) Close() error {
	close(b.stop)
	<-b.done
	b.mu.Lock()
	defer b.mu.Unlock()
	b.flushLocked()
	return nil
}

func (b *batchWriter) loop() {
	defer close(b.done)
	t := time.NewTicker(logFlushEvery)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
			b.mu.Lock()
			b.flushLocked()
			b.mu.Unlock()
		}
	}
}

// flushLocked writes the queued lines; the caller holds b.mu. A failed
// write drops them: there is nowhere else to report it.
func (b *batchWriter) flushLocked() {
	if b.buf.Len() > 0 {
		_, _ = b.w.Write(b.buf.Bytes())
		b.buf.Reset()
	}
}
