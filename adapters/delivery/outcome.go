package delivery

import (
	"github.com/korelay/korelay/broker"
	"github.com/korelay/korelay/metrics"
	"github.com/korelay/korelay/rules"
)

// Status is what happened to a set of identities of one notification.
type Status int

// Statuses reported in an Outcome.
const (
	// StatusSent: Kore accepted the call (JobID names its job).
	StatusSent Status = iota + 1
	// StatusDuplicate: already sent under the same idempotency key, found
	// in the ledger or sent by a concurrent delivery (then JobID is that
	// delivery's job).
	StatusDuplicate
	// StatusShadow: the rule is in shadow mode; nothing was sent.
	StatusShadow
	// StatusDeadLetter: can never succeed, or retries were used up; see
	// Reason, Err and Response.
	StatusDeadLetter
	// StatusDryRun: a dry run's notifier accepted the call; nothing reached
	// Kore (JobID is the dry run's fake job).
	StatusDryRun
)

// String returns the metrics outcome label of s.
func (s Status) String() string {
	switch s {
	case StatusSent:
		return metrics.OutcomeSent
	case StatusDuplicate:
		return metrics.OutcomeDuplicate
	case StatusShadow:
		return metrics.OutcomeShadow
	case StatusDeadLetter:
		return metrics.OutcomeDeadLettered
	case StatusDryRun:
		return metrics.OutcomeDryRun
	}
	return "unknown"
}

// Dead-letter reasons, the reason label of metrics.DeadLetters.
const (
	// ReasonPermanent: Kore refused the call (4xx other than 429) or the
	// request was invalid; retrying cannot help.
	ReasonPermanent = broker.ReasonPermanent
	// ReasonExhausted: every attempt failed with a retryable error.
	ReasonExhausted = broker.ReasonExhausted
)

// Outcome is the result for some identities of one notification. Deliver
// returns one Outcome per distinct result of each notification, in order.
type Outcome struct {
	Rule, Channel, EventID string
	// DedupKey is the notification's dedup key: its rule's dedup.key
	// rendered, or "event:<event id>" for a rule without one.
	DedupKey string
	// MessageType and Message are the notification's message, so a dead
	// letter says what was not sent.
	MessageType, Message string
	Identities           []string
	Status               Status
	// JobID is Kore's job id (StatusSent, and StatusDuplicate when the
	// identities were sent by a concurrent delivery).
	JobID string
	// Reason is ReasonPermanent or ReasonExhausted for StatusDeadLetter.
	Reason string
	// Err is the last error of a dead letter; for StatusSent it is set when
	// the idempotency keys could not be recorded (the identities were sent,
	// but a later redelivery would send them again).
	Err error
	// Response is Kore's response body for a dead letter, when there was one.
	Response string
	// Attempts is how many calls carried these identities.
	Attempts int
	// Devices is the device action of a devices rule (then Channel is
	// ChannelDevices, MessageType "devices" and Message describes the
	// action); nil for notify.
	Devices *rules.DeviceAction
}

// result is how one flight ended.
type result struct {
	status   Status
	jobID    string
	reason   string
	err      error
	response string
	attempts int
	call     uint64 // sequence number of the settling call; 0: no call
	abort    error  // not settled: ledger failure or shutdown
}

// outcomeKey tells which identities of a notification share one Outcome.
type outcomeKey struct {
	status   Status
	call     uint64
	attempts int
	reason   string
}

func (r *result) key() outcomeKey {
	return outcomeKey{status: r.status, call: r.call, attempts: r.attempts, reason: r.reason}
}
