package journal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
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

// headerRecords carries how many records a journal message holds, so a
// failed write is counted in records.
const headerRecords = "Korelay-Records"

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

// StreamSink writes to the journal stream with asynchronous publishes:
// Write never waits for the server, and a write the server refuses (or
// that cannot be sent because too many are outstanding) is reported to
// onFail.
type StreamSink struct {
	js       jetstream.JetStream
	subjects [Shards]string
}

// maxPending bounds the journal's unacknowledged publishes; stallWait is
// how long a Write may wait for room before the batch is dropped.
const (
	maxPending = 512
	stallWait  = 20 * time.Millisecond
)

// NewStreamSink returns a sink publishing on nc; onFail hears of records
// not stored (it is called from the connection's goroutines).
func NewStreamSink(nc *nats.Conn, onFail func(records int)) (*StreamSink, error) {
	js, err := jetstream.New(nc,
		jetstream.WithPublishAsyncMaxPending(maxPending),
		jetstream.WithPublishAsyncErrHandler(func(_ jetstream.JetStream, m *nats.Msg, _ error) {
			n, _ := strconv.Atoi(m.Header.Get(headerRecords))
			onFail(max(n, 1))
		}))
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	s := &StreamSink{js: js}
	for i := range s.subjects {
		s.subjects[i] = Subject(i)
	}
	return s, nil
}

// Write publishes a shard's records without waiting for the store. data
// is copied: the caller may reuse it.
func (s *StreamSink) Write(shard int, records int, data []byte) error {
	msg := &nats.Msg{Subject: s.subjects[shard], Data: bytes.Clone(data), Header: nats.Header{}}
	msg.Header.Set(headerRecords, strconv.Itoa(records))
	if _, err := s.js.PublishMsgAsync(msg, jetstream.WithStallWait(stallWait)); err != nil {
		return fmt.Errorf("journal write to %s: %w", msg.Subject, err)
	}
	return nil
}

// Flush waits until every write is acknowledged or failed, or ctx ends.
func (s *StreamSink) Flush(ctx context.Context) error {
	select {
	case <-s.js.PublishAsyncComplete():
		return nil
	case <-ctx.Done():
		return fmt.Errorf("journal flush: %w", ctx.Err())
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
	marker := append([]byte(`"event_id":`), appendString(nil, eventID)...)
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
