package journal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/korelay/korelay/internal/jsack"
	"github.com/korelay/korelay/internal/jsonstr"
)

// Stream defaults.
const (
	// StreamName is the journal stream korelay creates.
	StreamName = "KORELAY_JOURNAL"
	// SubjectPrefix prefixes the journal's subjects: korelay.journal.<shard>.
	SubjectPrefix = "korelay.journal."
	// DefaultMaxAge and DefaultMaxBytes bound the stream: the oldest
	// records go first.
	DefaultMaxAge   = 24 * time.Hour
	DefaultMaxBytes = 256 << 20
)

// StreamOptions configures the journal stream.
type StreamOptions struct {
	// MaxAge and MaxBytes bound the stream (0: the defaults).
	MaxAge   time.Duration
	MaxBytes int64
	// Replicas is the stream's replication on a NATS cluster (0: 1).
	Replicas int
}

// Shards is how many subjects the journal spreads events over. Records of
// many events of one shard travel in one message (a message per event
// would cost korelay and NATS as much again as the event itself); reading
// an event's story reads one shard: 1/Shards of the stream.
const Shards = 16

// ShardOf is the shard of an event (FNV-1a of its id).
func ShardOf(eventID string) int {
	h := uint32(2166136261)
	for i := 0; i < len(eventID); i++ {
		h ^= uint32(eventID[i])
		h *= 16777619
	}
	return int(h % Shards)
}

// Subject is the journal subject of a shard: korelay.journal.s07.
func Subject(shard int) string {
	return fmt.Sprintf("%ss%02d", SubjectPrefix, shard)
}

// EnsureStream creates the journal stream on js, or brings its bounds and
// replication up to date.
func EnsureStream(ctx context.Context, js jetstream.JetStream, opts StreamOptions) (jetstream.Stream, error) {
	if opts.MaxAge <= 0 {
		opts.MaxAge = DefaultMaxAge
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	s, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        StreamName,
		Description: "korelay delivery journal: korelay.journal.SHARD, records of events by id hash (korelay explain)",
		Subjects:    []string{SubjectPrefix + ">"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxAge:      opts.MaxAge,
		MaxBytes:    opts.MaxBytes,
		Replicas:    max(opts.Replicas, 1),
		AllowDirect: true,
	})
	if err != nil {
		return nil, fmt.Errorf("journal stream %s: %w", StreamName, err)
	}
	return s, nil
}

// StreamSink writes to the journal stream without waiting for the store:
// each batch is published with a reply subject of the sink's own, and the
// acknowledgements are matched as they come. nats.go copies a published
// message into its write buffer, so the caller's batch is free for reuse
// when Write returns (nothing is cloned). A write the server refuses, or
// leaves unanswered for ackTimeout, or that finds maxPending writes
// unanswered, is reported to onFail.
type StreamSink struct {
	nc       *nats.Conn
	subjects [Shards]string
	prefix   string // reply subject prefix: "<inbox>."
	onFail   func(records int)
	now      func() time.Time

	mu      sync.Mutex
	next    uint64
	pending map[uint64]int // unanswered writes: records each
	order   []sentWrite    // unanswered writes, oldest first (some answered since)
}

// sentWrite is a write awaiting its acknowledgement.
type sentWrite struct {
	id      uint64
	records int
	at      time.Time
}

// maxPending bounds the journal's unanswered writes; ackTimeout is how
// long a write may go unanswered before it counts as failed.
const (
	maxPending = 512
	ackTimeout = 10 * time.Second
)

// NewStreamSink returns a sink publishing on nc; onFail hears of records
// not stored (it is called from the connection's goroutines and from
// Write).
func NewStreamSink(nc *nats.Conn, onFail func(records int)) (*StreamSink, error) {
	s := &StreamSink{nc: nc, prefix: nc.NewInbox() + ".", onFail: onFail, now: time.Now, pending: map[uint64]int{}}
	for i := range s.subjects {
		s.subjects[i] = Subject(i)
	}
	if _, err := nc.Subscribe(s.prefix+"*", s.onAck); err != nil {
		return nil, fmt.Errorf("journal: acknowledgement subscription: %w", err)
	}
	return s, nil
}

// Write publishes a shard's records without waiting for the store; data
// is the caller's again when Write returns.
func (s *StreamSink) Write(shard int, records int, data []byte) error {
	now := s.now()
	s.expire(now)
	s.mu.Lock()
	if len(s.pending) >= maxPending {
		s.mu.Unlock()
		return fmt.Errorf("journal write to %s: %d writes unanswered", s.subjects[shard], maxPending)
	}
	s.next++
	id := s.next
	s.pending[id] = records
	s.order = append(s.order, sentWrite{id: id, records: records, at: now})
	s.mu.Unlock()
	var reply [64]byte
	if err := s.nc.PublishRequest(s.subjects[shard], string(strconv.AppendUint(append(reply[:0], s.prefix...), id, 10)), data); err != nil {
		s.mu.Lock()
		delete(s.pending, id)
		s.mu.Unlock()
		return fmt.Errorf("journal write to %s: %w", s.subjects[shard], err)
	}
	return nil
}

// onAck settles the write an acknowledgement answers.
func (s *StreamSink) onAck(m *nats.Msg) {
	id, err := strconv.ParseUint(strings.TrimPrefix(m.Subject, s.prefix), 10, 64)
	if err != nil {
		return
	}
	s.mu.Lock()
	records, ok := s.pending[id]
	delete(s.pending, id)
	s.mu.Unlock()
	if ok && jsack.Error(m) != nil {
		s.onFail(records)
	}
}

// expire counts the writes unanswered for ackTimeout as failed.
func (s *StreamSink) expire(now time.Time) {
	failed := 0
	s.mu.Lock()
	n := 0
	for _, w := range s.order {
		records, waiting := s.pending[w.id]
		if !waiting {
			n++ // answered
			continue
		}
		if now.Sub(w.at) < ackTimeout {
			break
		}
		delete(s.pending, w.id)
		failed += records
		n++
	}
	s.order = s.order[:copy(s.order, s.order[n:])]
	s.mu.Unlock()
	if failed > 0 {
		s.onFail(failed)
	}
}

// Flush waits until every write is acknowledged or has failed, or ctx
// ends.
func (s *StreamSink) Flush(ctx context.Context) error {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		s.expire(s.now())
		s.mu.Lock()
		left := len(s.pending)
		s.mu.Unlock()
		if left == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("journal flush: %d writes unanswered: %w", left, ctx.Err())
		case <-t.C:
		}
	}
}

// ErrNoJournal reports that no journal stream exists: korelay has not run
// with a journal on this NATS.
var ErrNoJournal = errors.New("no journal stream")

// Reader reads events' records from the journal stream.
type Reader struct {
	stream jetstream.Stream
}

// OpenReader opens the journal stream on js, creating nothing; a missing
// stream is ErrNoJournal.
func OpenReader(ctx context.Context, js jetstream.JetStream) (*Reader, error) {
	s, err := js.Stream(ctx, StreamName)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, fmt.Errorf("journal stream %s: %w", StreamName, ErrNoJournal)
	}
	if err != nil {
		return nil, fmt.Errorf("journal stream %s: %w", StreamName, err)
	}
	return &Reader{stream: s}, nil
}

// NewReader reads from a stream already opened (EnsureStream's).
func NewReader(s jetstream.Stream) *Reader { return &Reader{stream: s} }

// Records returns the event's records in the order they were written: it
// reads the event's shard, oldest message first.
func (r *Reader) Records(ctx context.Context, eventID string) ([]Record, error) {
	subject := Subject(ShardOf(eventID))
	marker := append([]byte(`"event_id":`), jsonstr.Append(nil, eventID)...)
	var out []Record
	for seq := uint64(1); ; {
		raw, err := r.stream.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(subject))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("journal of event %s: %w", eventID, err)
		}
		seq = raw.Sequence + 1
		out = appendDecoded(out, raw.Data, marker, eventID)
	}
}

// appendDecoded appends the records of one message (JSON Lines) that
// belong to eventID; only lines carrying its marker are decoded, and a
// line that does not decode is skipped.
func appendDecoded(out []Record, data, marker []byte, eventID string) []Record {
	for line := range bytes.SplitSeq(data, []byte{'\n'}) {
		if !bytes.Contains(line, marker) {
			continue
		}
		var rec Record
		if json.Unmarshal(line, &rec) == nil && rec.EventID == eventID {
			out = append(out, rec)
		}
	}
	return out
}
