package journal

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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
	// SubjectPrefix prefixes an event's journal subject: korelay.journal.<id>.
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

// Subject is the journal subject of an event. Ids that are not a plain
// subject token ([A-Za-z0-9_-]) are hashed.
func Subject(eventID string) string {
	if plainToken(eventID) {
		return SubjectPrefix + eventID
	}
	sum := sha256.Sum256([]byte(eventID))
	return SubjectPrefix + "h" + hex.EncodeToString(sum[:12])
}

func plainToken(s string) bool {
	if s == "" || len(s) > 200 {
		return false
	}
	for _, c := range []byte(s) {
		ok := c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !ok {
			return false
		}
	}
	return true
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
		Description: "korelay delivery journal: korelay.journal.EVENT_ID (korelay explain)",
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
	js jetstream.JetStream
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
	return &StreamSink{js: js}, nil
}

// Write publishes one event's records without waiting for the store.
func (s *StreamSink) Write(eventID string, records int, data []byte) error {
	msg := &nats.Msg{Subject: Subject(eventID), Data: data, Header: nats.Header{}}
	msg.Header.Set(headerRecords, strconv.Itoa(records))
	if _, err := s.js.PublishMsgAsync(msg, jetstream.WithStallWait(stallWait)); err != nil {
		return fmt.Errorf("journal write of event %s: %w", eventID, err)
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

// maxMessages bounds the messages one event's story reads.
const maxMessages = 1000

// Records returns the event's records in the order they were written.
func (r *Reader) Records(ctx context.Context, eventID string) ([]Record, error) {
	subject := Subject(eventID)
	var out []Record
	for seq, n := uint64(1), 0; n < maxMessages; n++ {
		raw, err := r.stream.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(subject))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("journal of event %s: %w", eventID, err)
		}
		seq = raw.Sequence + 1
		out = appendDecoded(out, raw.Data, eventID)
	}
	return out, nil
}

// appendDecoded appends the records of one message that belong to
// eventID; a message that does not decode is skipped (it cannot be told
// apart from another writer's).
func appendDecoded(out []Record, data []byte, eventID string) []Record {
	var recs []Record
	if err := json.Unmarshal(data, &recs); err != nil {
		return out
	}
	for _, rec := range recs {
		if rec.EventID == eventID {
			out = append(out, rec)
		}
	}
	return out
}
