package broker

import "github.com/korelay/korelay/rules"

// Dead-letter reasons: DeadLetter.Reason and the reason label of
// korelay_dead_letters_total. This is the one set; the packages that
// decide a reason name it from here (or, for rule failures, from rules).
const (
	// ReasonPermanent: Kore refused the call (4xx other than 429) or the
	// request was invalid; retrying cannot help.
	ReasonPermanent = "permanent"
	// ReasonExhausted: every attempt (or redelivery) failed with a
	// retryable error.
	ReasonExhausted = "exhausted"
	// ReasonRender: a rule matched but its message could not be rendered.
	ReasonRender = rules.ReasonRender
	// ReasonDecode: the event could not be decoded, or a rule read a field
	// of a payload that is not a JSON object.
	ReasonDecode = rules.ReasonDecode
)
