package journal

import (
	"context"
	"sync"
	"time"
)

// Sink stores a batch of records of one shard (JSON Lines, see ShardOf)
// without waiting for the store; it reports what it could not store
// through its own error callback. StreamSink is the JetStream one.
type Sink interface {
	Write(shard int, records int, data []byte) error
	// Flush waits until what was written is stored or failed, or ctx ends.
	Flush(ctx context.Context) error
}

// Drop reasons given to WriterOptions.OnDrop.
const (
	DropFull   = "full"   // the Writer's buffer was full
	DropFailed = "failed" // the sink refused or failed
)

// Writer defaults.
const (
	DefaultBuffer = 8192
	// DefaultFlushEvery is short so that a burst's entries are not held
	// long: flushing every 200 ms cost 6 MiB more peak RSS at the load
	// harness's max speed, and 40 wake-ups a second cost nothing
	// measurable.
	DefaultFlushEvery = 25 * time.Millisecond
	// maxMessage is the size at which a shard's batch is written at once
	// (Shards of it are held between flushes).
	maxMessage = 16 << 10
)

// WriterOptions configures a Writer.
type WriterOptions struct {
	// Sink stores records; nil keeps them in Memory only.
	Sink Sink
	// Memory, if set, keeps the latest events for the status page.
	Memory *Memory
	// Buffer is how many records may wait for the Writer's goroutine
	// (and at most Buffer × 512 bytes of them).
	Buffer int
	// FlushEvery is the longest a record waits to be written.
	FlushEvery time.Duration
	// OnDrop hears of records that were not written (reason DropFull or
	// DropFailed). It may be called from any goroutine.
	OnDrop func(reason string, records int)
}

// Writer takes records from any goroutine without blocking and writes
// them, batched, from its own. Start it, then Write; Close flushes.
//
// Write encodes its record on the caller's goroutine, keeps it in Memory
// and appends the line to a queue under a lock: the Writer's goroutine
// sleeps until its next flush (FlushEvery), or until many lines wait, and
// then batches and writes them. Waking a goroutine per record cost more
// than the journal's own work when events arrive one at a time.
type Writer struct {
	opts   WriterOptions
	mu     sync.Mutex
	lines  lineQueue // queued only with a Sink
	spare  lineQueue // the lines taken at the last flush, reused
	stop   chan struct{}
	done   chan struct{}
	kick   chan struct{} // flush now: many lines wait
	shards [Shards]shardBatch
	// scratch are Write's encoding buffers.
	scratch sync.Pool
}

// lineQueue is records Write encoded, waiting for the Writer's goroutine:
// their lines back to back, and where each ends and which shard it goes
// to.
type lineQueue struct {
	data []byte
	refs []lineRef
}

type lineRef struct {
	end   int
	shard int
}

// scratch is one Write's encoding buffer and time cache.
type scratch struct {
	buf   []byte
	times timeCache
}

// Line queue tuning.
const (
	// bytesPerEntry sizes the line queue's bound from Buffer.
	bytesPerEntry = 512
	// kickBytes of lines waiting wake the Writer's goroutine before its
	// next flush, so that a burst's lines take little memory.
	kickBytes = 64 << 10
)

// shardBatch is one shard's records waiting to be written, as JSON Lines.
type shardBatch struct {
	data    []byte
	records int
}

// NewWriter returns a Writer; nothing runs until Start.
func NewWriter(opts WriterOptions) *Writer {
	if opts.Buffer <= 0 {
		opts.Buffer = DefaultBuffer
	}
	if opts.FlushEvery <= 0 {
		opts.FlushEvery = DefaultFlushEvery
	}
	if opts.OnDrop == nil {
		opts.OnDrop = func(string, int) {}
	}
	w := &Writer{opts: opts, stop: make(chan struct{}), done: make(chan struct{}), kick: make(chan struct{}, 1)}
	w.scratch.New = func() any { return new(scratch) }
	return w
}

// Write journals r, encoding it now on the caller's goroutine: neither r
// nor anything it points to is kept past the call, so a record of every
// event costs no allocation. When r has a Trigger without a Preview,
// payload (if any) is the event's body and the record gets its preview
// (see PreviewBytes). When too many records already wait, r is dropped
// and counted. It never blocks. A nil Writer does nothing.
func (w *Writer) Write(r *Record, payload []byte) {
	if w == nil {
		return
	}
	sc := w.scratch.Get().(*scratch)
	sc.buf = appendRecord(sc.buf[:0], r, &sc.times, payload)
	if w.queue(r, sc.buf) && w.opts.Memory != nil {
		w.opts.Memory.keep(r, sc.buf)
	}
	if cap(sc.buf) > maxMessage {
		sc.buf = nil
	}
	w.scratch.Put(sc)
}

// queue hands line, r encoded, to the Writer's goroutine (with a Sink);
// false when it was dropped.
func (w *Writer) queue(r *Record, line []byte) bool {
	if w.opts.Sink == nil {
		return true
	}
	w.mu.Lock()
	q := &w.lines
	full := len(q.refs) >= w.opts.Buffer || len(q.data)+len(line) > w.opts.Buffer*bytesPerEntry
	if !full {
		q.data = append(q.data, line...)
		q.refs = append(q.refs, lineRef{end: len(q.data), shard: ShardOf(r.EventID)})
	}
	kick := len(q.data) >= kickBytes
	w.mu.Unlock()
	if full {
		w.opts.OnDrop(DropFull, 1)
	}
	if kick {
		select {
		case w.kick <- struct{}{}:
		default:
		}
	}
	return !full
}

// Start runs the Writer's goroutine until Close.
func (w *Writer) Start() { go w.run() }

// Close writes what was written before it, waits for the sink until ctx
// ends, and stops the Writer. Records written later wait unwritten.
func (w *Writer) Close(ctx context.Context) error {
	close(w.stop)
	select {
	case <-w.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	if w.opts.Sink == nil {
		return nil
	}
	return w.opts.Sink.Flush(ctx)
}

func (w *Writer) run() {
	defer close(w.done)
	t := time.NewTicker(w.opts.FlushEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			w.flushQueued(true)
		case <-w.kick:
			w.flushQueued(false)
		case <-w.stop:
			w.flushQueued(true)
			return
		}
	}
}

// flushQueued takes every line written since the last flush and batches
// them, writing each shard's batch that fills up; with all, it also
// writes the rest. A kick (many lines waiting) moves lines to their
// shards without writing every shard's few: at full speed that wrote 16
// small messages every few milliseconds, each a store and an
// acknowledgement for NATS.
func (w *Writer) flushQueued(all bool) {
	w.mu.Lock()
	lines := w.lines
	w.lines = lineQueue{data: w.spare.data[:0], refs: w.spare.refs[:0]}
	w.mu.Unlock()
	start := 0
	for _, ref := range lines.refs {
		w.batch(ref.shard, lines.data[start:ref.end])
		start = ref.end
	}
	if cap(lines.data) > 4*kickBytes {
		lines = lineQueue{} // let a burst's buffers go
	}
	w.spare = lines
	if all {
		for i := range w.shards {
			w.write(i)
		}
	}
}

// batch adds one encoded record to its shard's batch; a batch grown to
// maxMessage is written at once.
func (w *Writer) batch(shard int, line []byte) {
	sb := &w.shards[shard]
	sb.data = append(append(sb.data, line...), '\n')
	sb.records++
	if len(sb.data) >= maxMessage {
		w.write(shard)
	}
}

// write writes one shard's batch, if any.
func (w *Writer) write(shard int) {
	sb := &w.shards[shard]
	if sb.records == 0 {
		return
	}
	if err := w.opts.Sink.Write(shard, sb.records, sb.data); err != nil {
		w.opts.OnDrop(DropFailed, sb.records)
	}
	sb.records = 0
	if cap(sb.data) > 2*maxMessage {
		sb.data = nil // let a burst's buffer go
	} else {
		sb.data = sb.data[:0]
	}
}
