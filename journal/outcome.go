package journal

// Event outcomes, as the status page and explain sum an event up.
const (
	OutcomePending       = "pending"         // evaluated, delivery not settled yet
	OutcomeNoMatch       = "no match"        // no rule bound to the trigger matched
	OutcomeNothingToSend = "nothing to send" // matched, but no identities selected
	OutcomeSent          = "sent"
	OutcomeDuplicate     = "duplicate" // every identity was found in the ledger
	OutcomeShadow        = "shadow"
	OutcomeDryRun        = "dry run"
	OutcomeHeld          = "held"
	OutcomeDeadLettered  = "dead-lettered"
	OutcomeFailed        = "failed" // could not be decoded
	OutcomeInterrupted   = "interrupted"
)

// Delivery statuses as Outcome.Status spells them (the metrics' outcome
// labels).
const (
	StatusSent         = "sent"
	StatusDuplicate    = "duplicate"
	StatusShadow       = "shadow"
	StatusDeadLettered = "dead_lettered"
	StatusDryRun       = "dry_run"
)

// statusRank orders statuses by how much they say about an event: a dead
// letter outweighs a send, which outweighs the rest.
var statusRank = map[string]int{
	StatusDeadLettered: 5, StatusSent: 4, StatusDryRun: 3, StatusDuplicate: 2, StatusShadow: 1,
}

var statusOutcome = map[string]string{
	StatusDeadLettered: OutcomeDeadLettered, StatusSent: OutcomeSent, StatusDryRun: OutcomeDryRun,
	StatusDuplicate: OutcomeDuplicate, StatusShadow: OutcomeShadow,
}

// evaluationOutcome sums up one evaluation.
func evaluationOutcome(ev *Evaluation) string {
	if ev.Error != "" {
		return OutcomeFailed
	}
	failed, matched := false, false
	for _, r := range ev.Rules {
		switch r.Result {
		case ResultRenderError, ResultDecodeError:
			failed = true
		case ResultMatched, ResultShadow:
			matched = true
		}
	}
	if failed {
		return OutcomeDeadLettered
	}
	if len(ev.Notifications) == 0 {
		if matched {
			return OutcomeNothingToSend
		}
		return OutcomeNoMatch
	}
	if ev.Interrupted != "" && ev.Settled.IsZero() {
		return OutcomeInterrupted
	}
	if ev.Settled.IsZero() {
		return OutcomePending
	}
	return outcomeOf(ev.Outcomes)
}

// outcomeOf sums up delivery outcomes.
func outcomeOf(outs []Outcome) string {
	best := ""
	for _, o := range outs {
		if statusRank[o.Status] > statusRank[best] {
			best = o.Status
		}
	}
	if best == "" {
		return OutcomeNothingToSend
	}
	return statusOutcome[best]
}
