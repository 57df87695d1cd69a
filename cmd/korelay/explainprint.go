package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/korelay/korelay/journal"
)

// storyTime is how explain prints times: UTC, to the millisecond.
const storyTime = "2006-01-02T15:04:05.000Z07:00"

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(storyTime)
}

// printStory prints an event's story for a person: the trigger, each
// evaluation with its rules, notifications and outcomes, the Kore calls,
// held notifications and the dead letters stored now.
func printStory(w io.Writer, st *journal.Story) {
	fmt.Fprintf(w, "event %s: %s\n", st.EventID, st.Outcome)
	printTrigger(w, st.Trigger)
	for i := range st.Evaluations {
		printEvaluation(w, &st.Evaluations[i])
	}
	printCalls(w, st)
	printHeld(w, st.Held)
	printDeadLetters(w, st)
}

func printTrigger(w io.Writer, t *journal.Trigger) {
	if t == nil {
		fmt.Fprintln(w, "\ntrigger   (not in the journal: it expired, or the journal was off)")
		return
	}
	fmt.Fprintf(w, "\ntrigger   %s %s", t.Source, t.Name)
	if t.Subject != "" {
		fmt.Fprintf(w, " (subject %s)", t.Subject)
	}
	fmt.Fprintln(w)
	if t.Schedule != "" {
		fmt.Fprintf(w, "schedule  %s\n", t.Schedule)
	}
	fmt.Fprintf(w, "received  %s\n", stamp(t.Received))
	fmt.Fprintf(w, "payload   %s", plural(t.Size, "byte", "bytes"))
	if t.Preview != "" {
		fmt.Fprintf(w, ": %s", flat(t.Preview))
	}
	fmt.Fprintln(w)
}

func printEvaluation(w io.Writer, ev *journal.Evaluation) {
	fmt.Fprintf(w, "\ndelivery %d", ev.Delivery.Attempt)
	if ev.Delivery.Replayed {
		fmt.Fprint(w, " (replayed)")
	}
	fmt.Fprintf(w, ", evaluated %s\n", stamp(ev.Time))
	if ev.Error != "" {
		fmt.Fprintf(w, "  not decoded: %s\n", ev.Error)
		return
	}
	fmt.Fprintln(w, "  rules")
	if len(ev.Rules) == 0 {
		fmt.Fprintln(w, "    (no rule is bound to this trigger)")
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, r := range ev.Rules {
		fmt.Fprintf(tw, "    %s\t%s\n", r.Rule, describeRule(r))
	}
	tw.Flush()
	printNotifications(w, ev)
	switch {
	case ev.Interrupted != "":
		fmt.Fprintf(w, "  interrupted: %s (the event is redelivered)\n", ev.Interrupted)
	case !ev.Settled.IsZero():
		fmt.Fprintf(w, "  settled %s\n", stamp(ev.Settled))
	}
}

func describeRule(r journal.RuleResult) string {
	switch r.Result {
	case journal.ResultWhenFalse:
		return "when false"
	case journal.ResultRenderError:
		return "render error: " + r.Error
	case journal.ResultDecodeError:
		return "decode error: " + r.Error
	}
	s := r.Result
	if r.Notifications > 0 {
		s += ", " + plural(r.Notifications, "notification", "notifications")
	} else {
		s += ", no identities selected"
	}
	return s
}

func printNotifications(w io.Writer, ev *journal.Evaluation) {
	if len(ev.Notifications) == 0 {
		return
	}
	fmt.Fprintln(w, "  notifications")
	for i, n := range ev.Notifications {
		fmt.Fprintf(w, "    #%d %s  %s  %s  key %s\n", i+1, n.Rule, n.Channel, identities(n.Identities, n.Sample), n.DedupKey)
		for _, o := range ev.Outcomes {
			if o.Notification == i {
				fmt.Fprintf(w, "       %s\n", describeOutcome(o, len(ev.Outcomes) > 1))
			}
		}
	}
	if ev.Settled.IsZero() && ev.Interrupted == "" {
		fmt.Fprintln(w, "    (not settled yet, or its record is missing)")
	}
}

func describeOutcome(o journal.Outcome, withCount bool) string {
	var b strings.Builder
	switch o.Status {
	case journal.StatusDuplicate:
		b.WriteString("ledger hit: already sent")
	case journal.StatusDeadLettered:
		b.WriteString("dead-lettered (" + o.Reason + ")")
	default:
		b.WriteString(strings.ReplaceAll(o.Status, "_", " "))
	}
	if withCount {
		fmt.Fprintf(&b, " for %s", identities(o.Identities, o.Sample))
	}
	if o.JobID != "" {
		fmt.Fprintf(&b, "  job %s", o.JobID)
	}
	if o.Attempts > 0 {
		fmt.Fprintf(&b, "  %s", plural(o.Attempts, "attempt", "attempts"))
	}
	if o.Error != "" {
		fmt.Fprintf(&b, "  error: %s", flat(o.Error))
	}
	return b.String()
}

func printCalls(w io.Writer, st *journal.Story) {
	if len(st.Calls) == 0 {
		return
	}
	fmt.Fprintln(w, "\nkore calls")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for i, c := range st.Calls {
		fmt.Fprintf(tw, "  %s\t%s\t%s\tattempt %d\t%s\t%s\t%s\n", stamp(st.CallTimes[i]), c.Rule, c.Channel, c.Attempt,
			callIdentities(c), c.Duration.Round(time.Millisecond), describeCall(c))
	}
	tw.Flush()
}

func callIdentities(c journal.Call) string {
	s := plural(c.Identities, "identity", "identities")
	if c.CallIdentities > c.Identities {
		s += fmt.Sprintf(" of %d", c.CallIdentities)
	}
	return s
}

// describeCall says how a call went: "accepted, job ds-1",
// "429, retry (Retry-After 2s): ...".
func describeCall(c journal.Call) string {
	var parts []string
	if c.Code != 0 {
		parts = append(parts, fmt.Sprint(c.Code))
	}
	switch c.Result {
	case journal.CallAccepted:
		parts = append(parts, "accepted, job "+c.JobID)
	case journal.CallRetry:
		parts = append(parts, "will retry")
	case journal.CallExhausted:
		parts = append(parts, "retries used up")
	case journal.CallPermanent:
		parts = append(parts, "refused for good")
	}
	s := strings.Join(parts, " ")
	if c.RetryAfter > 0 {
		s += fmt.Sprintf(" (Retry-After %s)", c.RetryAfter)
	}
	if c.Error != "" {
		s += ": " + flat(c.Error)
	}
	return s
}

func printHeld(w io.Writer, held []journal.HeldRecord) {
	if len(held) == 0 {
		return
	}
	fmt.Fprintln(w, "\nheld and digested")
	for _, h := range held {
		fmt.Fprintf(w, "  %s  %s  %s  %s", stamp(h.Time), h.Kind, h.Rule, identities(h.Identities, h.Sample))
		if !h.Until.IsZero() {
			fmt.Fprintf(w, "  until %s", stamp(h.Until))
		}
		if h.Digest != "" {
			fmt.Fprintf(w, "  digest %s", h.Digest)
		}
		if h.Note != "" {
			fmt.Fprintf(w, "  %s", h.Note)
		}
		fmt.Fprintln(w)
	}
}

func printDeadLetters(w io.Writer, st *journal.Story) {
	if len(st.DeadLetters) == 0 {
		return
	}
	fmt.Fprintln(w, "\ndead letters (stored now)")
	for _, d := range st.DeadLetters {
		fmt.Fprintf(w, "  %s  %s  %s  %s", stamp(d.Time), orText(d.Rule, "(before any rule)"), d.Reason, identities(d.Identities, d.Sample))
		if d.Attempts > 0 {
			fmt.Fprintf(w, "  %s", plural(d.Attempts, "attempt", "attempts"))
		}
		fmt.Fprintln(w)
		if d.Error != "" {
			fmt.Fprintf(w, "    error: %s\n", flat(d.Error))
		}
		if d.Response != "" {
			fmt.Fprintf(w, "    kore said: %s\n", flat(d.Response))
		}
	}
	fmt.Fprintf(w, "  re-drive after a fix: korelay dlq replay -id %s\n", st.EventID)
}

// identities says "3 identities (a, b, c)", listing at most the sample.
func identities(n int, sample []string) string {
	s := plural(n, "identity", "identities")
	if len(sample) > 0 {
		list := strings.Join(sample, ", ")
		if n > len(sample) {
			list += ", …"
		}
		s += " (" + list + ")"
	}
	return s
}

// flat keeps a value on one line, whole.
func flat(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
