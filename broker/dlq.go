package broker

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// NoRule is the subject token of dead letters of events that failed before
// any rule (e.g. an undecodable body): korelay.dlq._event.
const NoRule = "_event"

// HeaderReplayOf carries, on a replayed event, the id of the event it replays.
const HeaderReplayOf = "Korelay-Replay-Of"

// DeadLetter is a notification (or event) that can never succeed as is,
// stored as JSON on korelay.dlq.RULE in the dead-letter stream.
type DeadLetter struct {
	// Seq is the dead letter's sequence in the dead-letter stream, set on
	// read. It is an internal handle (Replay and Drop delete by it); people
	// and commands select dead letters by EventID.
	Seq uint64 `json:"-"`
	// EventID is the failed event's id.
	EventID string `json:"event_id"`
	// Rule is the rule whose notification failed; empty for an event that
	// failed before any rule.
	Rule string `json:"rule,omitempty"`
	// Reason classifies the failure: ReasonPermanent, ReasonExhausted,
	// ReasonRender or ReasonDecode.
	Reason string `json:"reason"`
	// Error is the error text.
	Error string `json:"error,omitempty"`
	// Response is Kore's answer, when there was one.
	Response string `json:"response,omitempty"`
	// Channel, MessageType and Message describe the notification.
	Channel     string `json:"channel,omitempty"`
	MessageType string `json:"message_type,omitempty"`
	Message     string `json:"message,omitempty"`
	// Identities are the recipients that were not notified.
	Identities []string `json:"identities,omitempty"`
	// Attempts counts delivery attempts.
	Attempts int `json:"attempts,omitempty"`
	// Time is when the dead letter was written (set by DeadLetter when zero).
	Time time.Time `json:"time"`
	// Subject, Header and Data are the original event message, for replay.
	Subject string      `json:"subject,omitempty"`
	Header  nats.Header `json:"header,omitempty"`
	Data    []byte      `json:"data,omitempty"`
}

// DLQFilter selects dead letters; empty fields match everything, and set
// fields must all match.
type DLQFilter struct {
	// Rule matches the rule (NoRule for those without one).
	Rule string
	// EventID matches the event id: the id a webhook's 202 answer, the logs
	// and the dead letter carry.
	EventID string
}

// IsZero reports whether f selects every dead letter.
func (f DLQFilter) IsZero() bool { return f == DLQFilter{} }

// DeadLetter stores d. Writing the same dead letter (same event, rule,
// recipients and message) again within two minutes, as a redelivered event
// would, stores it once.
func (b *Broker) DeadLetter(ctx context.Context, d DeadLetter) error {
	subject, err := dlqSubject(d.Rule)
	if err != nil {
		return err
	}
	if d.Time.IsZero() {
		d.Time = time.Now().UTC()
	}
	data, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("dead letter of event %s: %w", d.EventID, err)
	}
	msg := &nats.Msg{Subject: subject, Data: data, Header: nats.Header{}}
	if d.EventID != "" {
		msg.Header.Set(jetstream.MsgIDHeader, "dlq:"+d.EventID+":"+d.Rule+":"+d.digest())
	}
	if _, err := b.js.PublishMsg(ctx, msg); err != nil {
		return fmt.Errorf("dead letter of event %s: %w", d.EventID, err)
	}
	return nil
}

// digest identifies what failed, for the dead letter's message id. It
// includes the event message's own Nats-Msg-Id, which a replay sets anew
// ("replay:<seq>"): a replayed event keeps its event id, and when it fails
// again the same way its new dead letter must not pass for the old one.
func (d DeadLetter) digest() string {
	h := sha256.New()
	parts := []string{d.Header.Get(jetstream.MsgIDHeader), d.Reason, d.Channel, d.MessageType, d.Message}
	for _, s := range append(parts, d.Identities...) {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:12])
}

// DeadLetters lists the dead letters matching f, oldest first.
func (b *Broker) DeadLetters(ctx context.Context, f DLQFilter) ([]DeadLetter, error) {
	subject := DLQSubjectPrefix + ">"
	if f.Rule != "" {
		var err error
		if subject, err = dlqSubject(f.Rule); err != nil {
			return nil, err
		}
	}
	var out []DeadLetter
	for seq := uint64(1); ; {
		raw, err := b.dlq.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(subject))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("list dead letters: %w", err)
		}
		d, err := decodeDeadLetter(raw)
		if err != nil {
			return nil, err
		}
		if f.EventID == "" || d.EventID == f.EventID {
			out = append(out, d)
		}
		seq = raw.Sequence + 1
	}
}

func decodeDeadLetter(raw *jetstream.RawStreamMsg) (DeadLetter, error) {
	var d DeadLetter
	if err := json.Unmarshal(raw.Data, &d); err != nil {
		return d, fmt.Errorf("dead letter %d: %w", raw.Sequence, err)
	}
	d.Seq = raw.Sequence
	return d, nil
}

// Drop deletes the dead letters matching f and returns how many it deleted.
// A zero filter deletes every dead letter: a command that takes the filter
// from a person should make them ask for that explicitly.
func (b *Broker) Drop(ctx context.Context, f DLQFilter) (int, error) {
	letters, err := b.DeadLetters(ctx, f)
	if err != nil {
		return 0, err
	}
	var errs []error
	dropped := 0
	for _, d := range letters {
		if err := b.deleteDeadLetter(ctx, d); err != nil {
			errs = append(errs, fmt.Errorf("drop dead letter of event %s: %w", d.EventID, err))
			continue
		}
		dropped++
	}
	return dropped, errors.Join(errs...)
}

// deleteDeadLetter removes d from the dead-letter stream; one already gone
// (removed by a concurrent drop or replay) is not an error.
func (b *Broker) deleteDeadLetter(ctx context.Context, d DeadLetter) error {
	if err := b.dlq.DeleteMsg(ctx, d.Seq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		return err
	}
	return nil
}

// Replay re-drives the events of the dead letters matching f: each event is
// published again on the ingest stream, once even when several rules
// dead-lettered it, and its matching dead letters are then deleted. It
// returns how many events were replayed.
//
// Replay re-drives the event, not one notification: every rule bound to it
// is evaluated again. Notifications other rules already sent are suppressed
// by the idempotency ledger (within their dedup window).
//
// The event goes out on ReplaySubjectPrefix+subject, which the ingest stream
// always captures (even when the event first came from ExternalStream);
// Consume hands it over with its original subject. Its headers are kept
// except the NATS control headers (Nats-*); it carries Nats-Msg-Id
// "replay:<dead letter sequence>", so a retried replay stores it once, and
// HeaderReplayOf with the original event id, so the event keeps its id.
// Dead letters without a stored event are left in place and reported in
// the error.
func (b *Broker) Replay(ctx context.Context, f DLQFilter) (int, error) {
	letters, err := b.DeadLetters(ctx, f)
	if err != nil {
		return 0, err
	}
	var (
		errs     []error
		replayed int
	)
	for _, group := range groupByEvent(letters) {
		first := group[0]
		if first.Subject == "" {
			errs = append(errs, fmt.Errorf("dead letter of event %s (rule %s): no event stored to replay", first.EventID, orNoRule(first.Rule)))
			continue
		}
		if _, err := b.Publish(ctx, replayMsg(first)); err != nil {
			errs = append(errs, fmt.Errorf("replay event %s: %w", first.EventID, err))
			continue
		}
		replayed++
		for _, d := range group {
			if err := b.deleteDeadLetter(ctx, d); err != nil {
				errs = append(errs, fmt.Errorf("delete dead letter of event %s (rule %s) after replay: %w", d.EventID, orNoRule(d.Rule), err))
			}
		}
	}
	return replayed, errors.Join(errs...)
}

// groupByEvent groups dead letters by event id, in order of first appearance.
// Dead letters without an event id stay alone.
func groupByEvent(letters []DeadLetter) [][]DeadLetter {
	var groups [][]DeadLetter
	index := map[string]int{}
	for _, d := range letters {
		if i, ok := index[d.EventID]; ok && d.EventID != "" {
			groups[i] = append(groups[i], d)
			continue
		}
		index[d.EventID] = len(groups)
		groups = append(groups, []DeadLetter{d})
	}
	return groups
}

// replayMsg rebuilds the event message of dead letter d for replay.
func replayMsg(d DeadLetter) *nats.Msg {
	h := nats.Header{}
	for k, vs := range d.Header {
		if !strings.HasPrefix(strings.ToLower(k), "nats-") {
			h[k] = append([]string(nil), vs...)
		}
	}
	h.Set(jetstream.MsgIDHeader, "replay:"+strconv.FormatUint(d.Seq, 10))
	if d.EventID != "" {
		h.Set(HeaderReplayOf, d.EventID)
	}
	return &nats.Msg{Subject: ReplaySubjectPrefix + originalSubject(d.Subject), Header: h, Data: d.Data}
}

// orNoRule names a dead letter's rule in errors.
func orNoRule(rule string) string {
	if rule == "" {
		return NoRule
	}
	return rule
}

// dlqSubject is the subject of rule's dead letters.
func dlqSubject(rule string) (string, error) {
	if rule == "" {
		rule = NoRule
	}
	if strings.ContainsAny(rule, ".*> \t\r\n") {
		return "", fmt.Errorf("dead letter rule %q: not a valid subject token", rule)
	}
	return DLQSubjectPrefix + rule, nil
}
