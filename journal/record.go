package journal

import "time"

// Kind says what a Record tells.
type Kind string

// The kinds of records.
const (
	// KindEvaluated: the event was decoded and its rules evaluated (Trigger,
	// Rules, Notifications), or it could not be decoded (Error).
	KindEvaluated Kind = "evaluated"
	// KindSettled: delivery settled the event's notifications (Outcomes).
	KindSettled Kind = "settled"
	// KindInterrupted: delivery stopped before settling (shutdown, ledger
	// failure); the event is redelivered (Error).
	KindInterrupted Kind = "interrupted"
	// KindCall: one Kore call carried some of the event's identities (Call).
	KindCall Kind = "call"
	// KindHeld: a notification is held until a quiet-hours window ends (Held).
	KindHeld Kind = "held"
	// KindDigested: a notification was collected into a digest (Held).
	KindDigested Kind = "digested"
	// KindReleased: a held or digested notification was handed to delivery
	// (Held).
	KindReleased Kind = "released"
)

// Rule results of RuleResult.Result.
const (
	ResultMatched     = "matched"      // when held (or no when); notifications rendered
	ResultShadow      = "shadow"       // matched, but the rule is in shadow mode
	ResultWhenFalse   = "when_false"   // the when condition did not hold
	ResultRenderError = "render_error" // matched, but an expression or template failed
	ResultDecodeError = "decode_error" // the rule reads fields of a payload that is not an object
)

// MaxSample is how many identities a record lists; the count is always whole.
const MaxSample = 10

// Record is one thing korelay did with an event. Only the fields of its
// Kind are set.
type Record struct {
	Kind    Kind      `json:"kind"`
	EventID string    `json:"event_id"`
	Time    time.Time `json:"time"`
	// Delivery says which delivery of the event the record belongs to
	// (evaluated, settled, interrupted).
	Delivery *Delivery `json:"delivery,omitempty"`
	// Trigger is where the event came from (evaluated).
	Trigger *Trigger `json:"trigger,omitempty"`
	// Rules are the rules bound to the event's trigger and what each did
	// (evaluated).
	Rules []RuleResult `json:"rules,omitempty"`
	// Notifications are the rendered notifications (evaluated).
	Notifications []Notification `json:"notifications,omitempty"`
	// Outcomes are delivery's results (settled).
	Outcomes []Outcome `json:"outcomes,omitempty"`
	// Call is one Kore call (call).
	Call *Call `json:"call,omitempty"`
	// Held is a held, digested or released notification.
	Held *Held `json:"held,omitempty"`
	// Error is why the event could not be decoded (evaluated) or why
	// delivery was interrupted.
	Error string `json:"error,omitempty"`
}

// Delivery identifies one delivery of an event: the stream sequence of the
// message (a replay has a new one) and its delivery count.
type Delivery struct {
	Seq      uint64 `json:"seq,omitempty"`
	Attempt  uint64 `json:"attempt"`
	Replayed bool   `json:"replayed,omitempty"`
}

// Trigger is where an event came from.
type Trigger struct {
	// Source is nats, webhook or cron.
	Source string `json:"source"`
	// Name is the NATS subject, the webhook name or the cron rule.
	Name string `json:"name"`
	// Subject is the NATS subject the event was stored under.
	Subject string `json:"subject,omitempty"`
	// Schedule is a cron rule's spec and time zone.
	Schedule string `json:"schedule,omitempty"`
	// Received is when the event was stored or arrived.
	Received time.Time `json:"received"`
	// Size is the payload's size in bytes; Preview its first bytes.
	Size    int    `json:"size"`
	Preview string `json:"preview,omitempty"`
}

// RuleResult is what one rule bound to the event's trigger did with it.
type RuleResult struct {
	Rule string `json:"rule"`
	// Result is one of the Result constants.
	Result string `json:"result"`
	// Error is the render or decode error.
	Error string `json:"error,omitempty"`
	// Notifications counts the notifications the rule rendered.
	Notifications int `json:"notifications,omitempty"`
}

// Notification is one rendered notification (its text is not recorded).
type Notification struct {
	Rule    string `json:"rule"`
	Channel string `json:"channel"`
	Mode    string `json:"mode,omitempty"`
	// Identities counts the recipients; Sample lists the first MaxSample.
	Identities int      `json:"identities"`
	Sample     []string `json:"sample,omitempty"`
	// DedupKey is the idempotency key's dedup part ("event:<id>" without
	// the rule's dedup.key).
	DedupKey string `json:"dedup_key,omitempty"`
}

// Outcome is what delivery did with some identities of a notification.
// When Notification names one, the record may leave out Rule, Channel,
// DedupKey, and Sample when the outcome covers all its identities: the
// notification says them (Story fills them back).
type Outcome struct {
	// Notification is the index of the notification in the evaluated
	// record of the same delivery; -1 when unknown.
	Notification int    `json:"notification"`
	Rule         string `json:"rule"`
	Channel      string `json:"channel"`
	// Status is sent, duplicate (a ledger hit), shadow, dead_lettered or
	// dry_run.
	Status     string   `json:"status"`
	Identities int      `json:"identities"`
	Sample     []string `json:"sample,omitempty"`
	DedupKey   string   `json:"dedup_key,omitempty"`
	JobID      string   `json:"job_id,omitempty"`
	Attempts   int      `json:"attempts,omitempty"`
	Reason     string   `json:"reason,omitempty"`
	Error      string   `json:"error,omitempty"`
}

// Call results of Call.Result.
const (
	CallAccepted  = "accepted"  // Kore accepted the call
	CallRetry     = "retry"     // a retryable failure: the identities go again later
	CallExhausted = "exhausted" // a retryable failure on the last attempt: dead-lettered
	CallPermanent = "permanent" // refused for good: dead-lettered
)

// Call is one Kore notify call as far as it concerns one event.
type Call struct {
	// Seq numbers the engine's calls since it started (one call may carry
	// several events).
	Seq  uint64 `json:"seq"`
	Rule string `json:"rule"`
	// Channel of the call.
	Channel string `json:"channel"`
	// Attempt is the highest attempt number among the event's identities.
	Attempt int `json:"attempt"`
	// Identities counts the event's identities in the call; CallIdentities
	// all of them.
	Identities     int `json:"identities"`
	CallIdentities int `json:"call_identities"`
	// Code is Kore's HTTP status; 0 for a 2xx answer (the client does not
	// say which) or when there was no answer.
	Code  int    `json:"code,omitempty"`
	JobID string `json:"job_id,omitempty"`
	// Result is one of the Call constants.
	Result string `json:"result"`
	Error  string `json:"error,omitempty"`
	// RetryAfter is the wait Kore asked for; Duration the call's own time.
	RetryAfter time.Duration `json:"retry_after,omitempty"`
	Duration   time.Duration `json:"duration"`
}

// Held is a notification held for quiet hours, collected into a digest, or
// released from either.
type Held struct {
	Rule       string   `json:"rule"`
	Channel    string   `json:"channel,omitempty"`
	Identities int      `json:"identities"`
	Sample     []string `json:"sample,omitempty"`
	// Until is when it is due to be released (quiet hours end, digest
	// period ends).
	Until time.Time `json:"until,omitzero"`
	// Digest names the digest period it joined.
	Digest string `json:"digest,omitempty"`
	// Note is anything else worth telling.
	Note string `json:"note,omitempty"`
}

// Sample returns the first MaxSample of ids.
func Sample(ids []string) []string {
	if len(ids) > MaxSample {
		ids = ids[:MaxSample]
	}
	return append([]string(nil), ids...)
}
