package broker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/korelay/korelay/internal/subject"
)

// ErrSubjectsOverlap reports that the ingest stream cannot capture a subject
// because another stream already does; use Options.ExternalStream.
var ErrSubjectsOverlap = errors.New("subjects overlap with another stream")

// errCodeSubjectOverlap is JetStream's "subjects overlap with an existing
// stream" error code (JSStreamSubjectOverlapErr), which the client package
// has no constant for.
const errCodeSubjectOverlap jetstream.ErrorCode = 10065

// UpdateSubjects makes the broker capture (or, with ExternalStream, consume)
// the rules' NATS subjects after a rule reload. Subjects no longer listed
// stop being captured; events already stored stay and are still delivered.
func (b *Broker) UpdateSubjects(ctx context.Context, subjects []string) error {
	subjects, err := normalizeSubjects(subjects)
	if err != nil {
		return fmt.Errorf("nats subjects: %w", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	ingest := []string{WebhookSubjects, CronSubjects, ReplaySubjectPrefix + ">"}
	if b.opts.ExternalStream == "" {
		if ingest, err = normalizeSubjects(append(ingest, subjects...)); err != nil {
			return fmt.Errorf("nats subjects: %w", err)
		}
	}
	if err := b.ensureIngest(ctx, ingest); err != nil {
		return err
	}
	if b.opts.ExternalStream != "" && len(subjects) > 0 {
		// With no subjects left the consumer keeps its old filter: events
		// still arrive and match no rule, which is harmless.
		if err := b.ensureConsumer(ctx, b.opts.ExternalStream, subjects); err != nil {
			return err
		}
	}
	if !slices.Equal(b.subjects, subjects) {
		b.subjects = append([]string{}, subjects...)
		close(b.changed)
		b.changed = make(chan struct{})
	}
	return nil
}

// subjectsChanged returns a channel closed at the next UpdateSubjects change.
func (b *Broker) subjectsChanged() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.changed
}

// ensureIngest creates the ingest stream or brings its subjects, duplicate
// window, max age and replicas up to date, leaving other settings an
// operator may have changed (limits) alone.
func (b *Broker) ensureIngest(ctx context.Context, subjects []string) error {
	name := b.opts.Stream
	s, err := b.js.Stream(ctx, name)
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
		_, err = b.js.CreateStream(ctx, jetstream.StreamConfig{
			Name:        name,
			Description: "korelay events: rule NATS subjects, webhooks and cron fires",
			Subjects:    subjects,
			Storage:     jetstream.FileStorage,
			Retention:   jetstream.LimitsPolicy,
			Duplicates:  b.opts.DuplicateWindow,
			MaxAge:      b.opts.MaxAge,
			Replicas:    b.opts.Replicas,
			AllowDirect: true,
		})
	case err == nil:
		cfg := s.CachedInfo().Config
		if slices.Equal(cfg.Subjects, subjects) && cfg.Duplicates == b.opts.DuplicateWindow &&
			cfg.MaxAge == b.opts.MaxAge && cfg.Replicas == b.opts.Replicas {
			return nil
		}
		cfg.Subjects, cfg.Duplicates, cfg.MaxAge, cfg.Replicas = subjects, b.opts.DuplicateWindow, b.opts.MaxAge, b.opts.Replicas
		_, err = b.js.UpdateStream(ctx, cfg)
	}
	if err != nil {
		if apiErr := (*jetstream.APIError)(nil); errors.As(err, &apiErr) && apiErr.ErrorCode == errCodeSubjectOverlap {
			return b.overlapError(ctx, subjects, err)
		}
		return fmt.Errorf("ingest stream %s: %w", name, err)
	}
	return nil
}

// overlapError explains a subject overlap: which subject another stream
// already captures, and the option that consumes from that stream instead.
func (b *Broker) overlapError(ctx context.Context, subjects []string, cause error) error {
	var taken []string
	for _, subj := range subjects {
		other, err := b.js.StreamNameBySubject(ctx, subj)
		if err == nil && other != b.opts.Stream {
			taken = append(taken, fmt.Sprintf("%s (stream %s)", subj, other))
		}
	}
	what := "a subject"
	if len(taken) > 0 {
		what = strings.Join(taken, ", ")
	}
	return fmt.Errorf("ingest stream %s: %w: %s already captured; set nats.stream_from (Options.ExternalStream) to that stream to consume from it instead (%w)",
		b.opts.Stream, ErrSubjectsOverlap, what, cause)
}

// ensureConsumer creates or updates the durable consumer on stream. On
// korelay's own stream it starts with the first stored event; on an external
// stream (filter set) it starts with new events and sees only filter.
func (b *Broker) ensureConsumer(ctx context.Context, stream string, filter []string) error {
	cfg := jetstream.ConsumerConfig{
		Durable:       b.opts.Consumer,
		Description:   "korelay event processing, shared by all replicas",
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       b.opts.AckWait,
		MaxDeliver:    b.opts.MaxDeliver,
		BackOff:       b.opts.BackOff,
		MaxAckPending: b.opts.MaxAckPending,
	}
	if filter != nil {
		cfg.DeliverPolicy = jetstream.DeliverNewPolicy
		cfg.FilterSubjects = filter
	}
	if _, err := b.js.CreateOrUpdateConsumer(ctx, stream, cfg); err != nil {
		return fmt.Errorf("consumer %s on stream %s: %w", b.opts.Consumer, stream, err)
	}
	return nil
}

// ensureDLQ creates or updates the dead-letter stream. Dead letters are kept
// until replayed or purged by the operator.
func (b *Broker) ensureDLQ(ctx context.Context) (jetstream.Stream, error) {
	s, err := b.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        b.opts.DLQStream,
		Description: "korelay dead letters: korelay.dlq.RULE",
		Subjects:    []string{DLQSubjectPrefix + ">"},
		Storage:     jetstream.FileStorage,
		Replicas:    b.opts.Replicas,
		Retention:   jetstream.LimitsPolicy,
		AllowDirect: true,
	})
	if err != nil {
		return nil, fmt.Errorf("dead-letter stream %s: %w", b.opts.DLQStream, err)
	}
	return s, nil
}

// normalizeSubjects checks subject patterns and drops duplicates and those
// another pattern in the list already covers (JetStream rejects overlapping
// subjects within one stream or consumer filter). Order is kept.
func normalizeSubjects(subjects []string) ([]string, error) {
	var errs []error
	for _, s := range subjects {
		if err := checkSubject(s); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	out := []string{}
	for i, s := range subjects {
		covered := false
		for j, t := range subjects {
			if i != j && covers(t, s) && (!covers(s, t) || j < i) {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, s)
		}
	}
	return out, nil
}

// checkSubject reports whether s is a valid subject pattern, exactly as
// nats-server judges it.
func checkSubject(s string) error {
	if err := subject.Check(s); err != nil {
		return fmt.Errorf("invalid %w", err)
	}
	return nil
}

// covers reports whether every subject matching pattern b also matches
// pattern a.
func covers(a, b string) bool {
	return subject.Covers(a, b)
}
