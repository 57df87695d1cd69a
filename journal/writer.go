package journal

import (
	"context"
	"encoding/json"
	"time"
)

// Entry is something korelay did, handed to the Writer as it was; the
// Writer's goroutine turns it into Records, so the caller pays only for a
// channel send. An Entry must not change after Add.
type Entry interface {
	// Records appends the entry's records to dst.
	Records(dst []Record) []Record
}

// Sink stores a batch of one event's records (JSON array data) without
// waiting for the store; it reports what it could not store through its
// own error callback. Stream is the JetStream one.
type Sink interface {
	Write(eventID string, records int, data []byte) error
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
	DefaultBuffer     = 8192
	DefaultFlushEvery = 100 * time.Millisecond
	// maxBatch is how many records a batch takes before it is flushed early.
	maxBatch = 2048
)

// WriterOptions configures a Writer.
type WriterOptions struct {
	// Sink stores records; nil keeps them in Memory only.
	Sink Sink
	// Memory, if set, keeps the latest events for the status page.
	Memory *Memory
	// Buffer is how many entries may wait for the Writer's goroutine.
	Buffer int
	// FlushEvery is the longest a record waits to be written.
	FlushEvery time.Duration
	// OnDrop hears of records that were not written (reason DropFull or
	// DropFailed). It may be called from any goroutine.
	OnDrop func(reason string, records int)
}

// Writer takes entries from any goroutine without blocking and writes
// them, batched, from its own. Start it, then Add; Close flushes.
type Writer struct {
	opts  WriterOptions
	in    chan Entry
	stop  chan struct{}
	done  chan struct{}
	batch batch
	buf   []Record
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
	return &Writer{opts: opts, in: make(chan Entry, opts.Buffer), stop: make(chan struct{}),
		done: make(chan struct{}), batch: newBatch()}
}

// Add hands e to the Writer; when its buffer is full e is dropped and
// counted. It never blocks. A nil Writer drops nothing and does nothing.
func (w *Writer) Add(e Entry) {
	if w == nil {
		return
	}
	select {
	case w.in <- e:
	default:
		w.opts.OnDrop(DropFull, 1)
	}
}

// Start runs the Writer's goroutine until Close.
func (w *Writer) Start() { go w.run() }

// Close writes what was added before it, waits for the sink until ctx
// ends, and stops the Writer. Entries added later wait unwritten.
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
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case e := <-w.in:
			if w.take(e) {
				timer.Reset(w.opts.FlushEvery)
			}
			if w.batch.records >= maxBatch {
				w.flush()
			}
		case <-timer.C:
			w.flush()
		case <-w.stop:
			timer.Stop()
			w.drain()
			w.flush()
			return
		}
	}
}

// drain takes the entries already queued.
func (w *Writer) drain() {
	for {
		select {
		case e := <-w.in:
			w.take(e)
		default:
			return
		}
	}
}

// take converts e, remembers it and adds it to the batch; it reports
// whether the batch was empty before (the flush timer must start).
func (w *Writer) take(e Entry) bool {
	w.buf = e.Records(w.buf[:0])
	if w.opts.Memory != nil {
		w.opts.Memory.Add(w.buf)
	}
	if w.opts.Sink == nil {
		return false
	}
	first := w.batch.records == 0
	for _, r := range w.buf {
		w.batch.add(r)
	}
	return first && w.batch.records > 0
}

// flush writes the batch: one message per event.
func (w *Writer) flush() {
	if w.batch.records == 0 {
		return
	}
	for _, id := range w.batch.order {
		recs := w.batch.events[id]
		data, err := json.Marshal(recs)
		if err == nil {
			err = w.opts.Sink.Write(id, len(recs), data)
		}
		if err != nil {
			w.opts.OnDrop(DropFailed, len(recs))
		}
	}
	w.batch.reset()
}

// batch groups records by event, in order of arrival.
type batch struct {
	events  map[string][]Record
	order   []string
	records int
}

func newBatch() batch { return batch{events: make(map[string][]Record)} }

func (b *batch) add(r Record) {
	recs, ok := b.events[r.EventID]
	if !ok {
		b.order = append(b.order, r.EventID)
	}
	b.events[r.EventID] = append(recs, r)
	b.records++
}

func (b *batch) reset() {
	clear(b.events)
	b.order = b.order[:0]
	b.records = 0
}
