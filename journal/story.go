package journal

import (
	"slices"
	"time"
)

// Story is everything korelay recorded about one event, assembled for
// `korelay explain` and the status page.
type Story struct {
	EventID string `json:"event_id"`
	// Trigger is where the event came from (from its first evaluation).
	Trigger *Trigger `json:"trigger,omitempty"`
	// Outcome sums the story up in a word or two (see Summary.Outcome).
	Outcome string `json:"outcome"`
	// Evaluations are the event's deliveries to the rules, oldest first: a
	// redelivery or a replay evaluates it again.
	Evaluations []Evaluation `json:"evaluations"`
	// Calls are the Kore calls that carried the event's identities.
	Calls []Call `json:"calls"`
	// CallTimes are the calls' start times, by index into Calls.
	CallTimes []time.Time `json:"call_times"`
	// Held lists held, digested and released notifications.
	Held []HeldRecord `json:"held,omitempty"`
	// DeadLetters are the event's dead letters stored now, from the
	// dead-letter stream.
	DeadLetters []DeadLetter `json:"dead_letters"`
}

// Evaluation is one delivery of the event to the rules and what became of
// it.
type Evaluation struct {
	Time     time.Time `json:"time"`
	Delivery Delivery  `json:"delivery"`
	// Error is set when the event could not be decoded.
	Error         string         `json:"error,omitempty"`
	Rules         []RuleResult   `json:"rules"`
	Notifications []Notification `json:"notifications"`
	// Outcomes are delivery's results, by notification (index into
	// Notifications; -1 for outcomes that matched none).
	Outcomes []Outcome `json:"outcomes"`
	// Settled is when delivery settled the notifications (zero: not yet,
	// or nothing to deliver).
	Settled time.Time `json:"settled,omitzero"`
	// Interrupted is why delivery stopped before settling.
	Interrupted string `json:"interrupted,omitempty"`
}

// HeldRecord is a held, digested or released notification.
type HeldRecord struct {
	Kind Kind      `json:"kind"`
	Time time.Time `json:"time"`
	Held
}

// DeadLetter is a dead letter of the event, as the dead-letter stream
// holds it now.
type DeadLetter struct {
	Rule       string    `json:"rule,omitempty"`
	Reason     string    `json:"reason"`
	Error      string    `json:"error,omitempty"`
	Response   string    `json:"response,omitempty"`
	Time       time.Time `json:"time"`
	Attempts   int       `json:"attempts,omitempty"`
	Identities int       `json:"identities"`
	Sample     []string  `json:"sample,omitempty"`
}

// Build assembles the records of one event (in any order; they are sorted
// by time) and its dead letters stored now into its story. It returns nil
// when there are neither.
func Build(eventID string, recs []Record, deadLetters []DeadLetter) *Story {
	if len(recs) == 0 && len(deadLetters) == 0 {
		return nil
	}
	recs = slices.Clone(recs)
	slices.SortStableFunc(recs, func(a, b Record) int { return a.Time.Compare(b.Time) })
	st := &Story{EventID: eventID, Evaluations: []Evaluation{}, Calls: []Call{}, CallTimes: []time.Time{},
		DeadLetters: orEmpty(deadLetters)}
	for _, r := range recs {
		st.add(r)
	}
	st.Outcome = st.outcome()
	return st
}

func (st *Story) add(r Record) {
	switch r.Kind {
	case KindEvaluated:
		if st.Trigger == nil {
			st.Trigger = r.Trigger
		}
		st.Evaluations = append(st.Evaluations, Evaluation{Time: r.Time, Delivery: deref(r.Delivery),
			Error: r.Error, Rules: orEmpty(r.Rules), Notifications: orEmpty(r.Notifications), Outcomes: []Outcome{}})
	case KindSettled:
		ev := st.evaluation(r.Delivery)
		for _, o := range r.Outcomes {
			ev.Outcomes = append(ev.Outcomes, ev.complete(o))
		}
		ev.Settled = r.Time
	case KindInterrupted:
		st.evaluation(r.Delivery).Interrupted = r.Error
	case KindCall:
		if r.Call != nil {
			st.Calls = append(st.Calls, *r.Call)
			st.CallTimes = append(st.CallTimes, r.Time)
		}
	case KindHeld, KindDigested, KindReleased:
		if r.Held != nil {
			st.Held = append(st.Held, HeldRecord{Kind: r.Kind, Time: r.Time, Held: *r.Held})
		}
	}
}

// complete fills in what a compact outcome leaves to its notification.
func (ev *Evaluation) complete(o Outcome) Outcome {
	if o.Notification < 0 || o.Notification >= len(ev.Notifications) {
		return o
	}
	n := &ev.Notifications[o.Notification]
	if o.Rule == "" {
		o.Rule, o.Channel = n.Rule, n.Channel
	}
	if o.DedupKey == "" {
		o.DedupKey = n.DedupKey
	}
	if o.Sample == nil && o.Identities == n.Identities {
		o.Sample = n.Sample
	}
	return o
}

// evaluation returns the evaluation of delivery d: the latest one with the
// same sequence and attempt, else the latest, else a new one.
func (st *Story) evaluation(d *Delivery) *Evaluation {
	for i := len(st.Evaluations) - 1; i >= 0 && d != nil; i-- {
		if st.Evaluations[i].Delivery == *d {
			return &st.Evaluations[i]
		}
	}
	if len(st.Evaluations) == 0 {
		st.Evaluations = append(st.Evaluations, Evaluation{Delivery: deref(d), Rules: []RuleResult{},
			Notifications: []Notification{}, Outcomes: []Outcome{}})
	}
	return &st.Evaluations[len(st.Evaluations)-1]
}

// outcome sums the story up: "dead-lettered" while a dead letter is
// stored, "held" while a notification waits for quiet hours or a digest
// and nothing else was settled, else that of the last evaluation.
func (st *Story) outcome() string {
	if len(st.DeadLetters) > 0 {
		return OutcomeDeadLettered
	}
	out := OutcomePending
	if n := len(st.Evaluations); n > 0 {
		out = evaluationOutcome(&st.Evaluations[n-1])
	}
	if n := len(st.Held); n > 0 && st.Held[n-1].Kind != KindReleased &&
		(out == OutcomePending || out == OutcomeNothingToSend) {
		out = OutcomeHeld
	}
	return out
}

func deref(d *Delivery) Delivery {
	if d == nil {
		return Delivery{}
	}
	return *d
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
