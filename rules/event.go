package rules

import "time"

// Source names the kind of trigger that produced an event.
type Source string

// The event sources korelay knows.
const (
	SourceNATS    Source = "nats"
	SourceWebhook Source = "webhook"
	SourceCron    Source = "cron"
)

// Event is one thing that happened in the outside world, as a trigger saw it.
// Rules are evaluated against events; an event keeps its ID from the trigger
// to Kore's job id so logs, dead letters and the delivery ledger agree.
type Event struct {
	// ID is unique per event; for JetStream-backed events it is
	// "<stream>-<sequence>" in lower case.
	ID string
	// Source is the kind of trigger.
	Source Source
	// Trigger is the NATS subject, the webhook name or the cron rule name
	// that produced the event: the key rules are indexed by.
	Trigger string
	// Time is when the trigger received or fired the event.
	Time time.Time
	// Headers are the message or request headers (first value of each).
	Headers map[string]string
	// Payload is the decoded body: JSON values as produced by DecodeJSON,
	// a map[string]any for form bodies, or a string for other bodies.
	Payload any
	// JSON, when set, is the body undecoded, and Payload is ignored:
	// Evaluate decodes only what the rules bound to the trigger read of
	// it. Only a document LazyJSON accepts may be set here; it must not
	// change while Evaluate runs.
	JSON []byte
}
