package rules

import "time"

// Mode says whether a rule's notifications are sent.
type Mode string

// Rule modes.
const (
	// ModeLive sends notifications.
	ModeLive Mode = "live"
	// ModeShadow evaluates, logs and counts, but never sends.
	ModeShadow Mode = "shadow"
)

// Action is what a notification asks the delivery side to do. The set is
// closed and small on purpose; adapters switch on it.
type Action string

// Actions.
const (
	// ActionNotify sends a proactive message to identities on a channel.
	ActionNotify Action = "notify"
)

// Notification is one rendered message for a set of identities, produced by
// one rule for one event.
type Notification struct {
	EventID string `json:"event_id"`
	Rule    string `json:"rule"`
	Mode    Mode   `json:"mode"`
	Action  Action `json:"action"`
	// Channel is "msteams" or "slack".
	Channel string `json:"channel"`
	// MessageType is "text" or "script".
	MessageType string `json:"message_type"`
	// Message is the rendered text or JavaScript.
	Message string `json:"message"`
	// Identities are the selected users, deduplicated, in first-seen order.
	Identities []string `json:"identities"`
	// DedupKey is the rendered dedup key; empty when the rule has no dedup.
	DedupKey string `json:"dedup_key,omitempty"`
	// DedupFor is how long the idempotency keys are kept.
	DedupFor time.Duration `json:"-"`
}

// Failure reasons: why a rule could not produce its notification. They
// are the dead-letter reasons of such failures.
const (
	// ReasonRender is a rule whose expression or template failed on the
	// event, such as a template referring to a missing key.
	ReasonRender = "render"
	// ReasonDecode is a rule that reads fields of the event (event.status
	// in an expression, .event.status in a template) whose payload is not
	// a JSON object: a JSON array, number, boolean or null, or a string (a
	// text/plain or non-JSON body).
	ReasonDecode = "decode"
)

// Failure is a rule that matched an event but could not produce its
// notification (for example a template referring to a missing key). It is
// counted and dead-lettered, never silently dropped.
type Failure struct {
	EventID string
	Rule    string
	// Reason is ReasonRender or ReasonDecode.
	Reason string
	// Err says what failed; for ReasonDecode it names the payload's type
	// and a field the rule reads ("rule order-shipped: event payload is a
	// JSON array, not an object (the rule reads event.status)") and wraps
	// the evaluation error.
	Err error
}

// Result is what one event produced.
type Result struct {
	Notifications []Notification
	Failures      []Failure
	// Matched lists the names of rules whose trigger and condition matched.
	Matched []string
}
