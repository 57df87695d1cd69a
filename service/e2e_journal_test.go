package service

import (
	"context"
	"errors"
	"testing"

	"github.com/korelay/korelay/adapters/dryrun"
	"github.com/korelay/korelay/internal/syncbuf"
	"github.com/korelay/korelay/journal"
	"github.com/korelay/korelay/kore"
	"github.com/korelay/korelay/kore/koretest"
)

const journalRules = `
rules:
  - name: shipped
    on: {webhook: shop}
    when: event.status == "shipped"
    notify: {channel: slack, to: event.email, text: "shipped"}
  - name: pending
    on: {webhook: shop}
    when: event.status == "pending"
    notify: {channel: slack, to: event.email, text: "pending"}
  - name: broken
    on: {webhook: shop}
    notify: {channel: slack, to: event.email, text: "{{ .event.customer.name }}"}
  - name: elsewhere
    on: {nats: other}
    notify: {channel: slack, to: event.email, text: "other"}
`

// explainStory waits until the journal tells event id's story with a
// settled last evaluation, and returns it.
func (e *e2e) explainStory(id string, done func(*journal.Story) bool) *journal.Story {
	e.t.Helper()
	var (
		st  *journal.Story
		err error
	)
	eventually(e.t, e2eDeadline, func() bool {
		r, rerr := journal.OpenReader(context.Background(), e.jetstream())
		if rerr != nil {
			err = rerr
			return false
		}
		st, err = journal.Explain(context.Background(), r, e.broker(), id)
		return err == nil && done(st)
	}, func() string { return "no complete story yet: " + errString(err) })
	return st
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// A real event's story, as the pipeline and delivery journaled it: every
// rule bound to the webhook with its result, the notification with its
// outcome and job id, both Kore calls (a 429 with its Retry-After, then the
// accepted retry) and the render error's dead letter.
func TestE2EJournalTellsAnEventsStory(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eSpec{
		Extra: "webhooks:\n  shop:\n    auth: {type: bearer, secret: tok}\n",
		Rules: journalRules,
	})
	e.kore.FailNext(1, koretest.Failure{Endpoint: kore.EndpointNotify, Status: 429, RetryAfter: "1"})
	code, body := e.do("POST", "/hooks/shop", `{"status": "shipped", "email": "ann@example.com"}`, bearer("tok"))
	id := acceptedID(t, "webhook", code, body)
	st := e.explainStory(id, func(st *journal.Story) bool {
		return len(st.Evaluations) == 1 && !st.Evaluations[0].Settled.IsZero() && len(st.Calls) == 2
	})

	if tr := st.Trigger; tr == nil || tr.Source != "webhook" || tr.Name != "shop" || tr.Size != 49 || tr.Preview == "" {
		t.Errorf("trigger %+v", st.Trigger)
	}
	ev := st.Evaluations[0]
	want := map[string]string{"shipped": journal.ResultMatched, "pending": journal.ResultWhenFalse, "broken": journal.ResultRenderError}
	if len(ev.Rules) != len(want) {
		t.Errorf("rules %+v, want the three bound to the webhook", ev.Rules)
	}
	for _, r := range ev.Rules {
		if want[r.Rule] != r.Result || (r.Result == journal.ResultRenderError) != (r.Error != "") {
			t.Errorf("rule %+v, want %s", r, want[r.Rule])
		}
	}
	if len(ev.Notifications) != 1 || ev.Notifications[0].DedupKey != "event:"+id || len(ev.Outcomes) != 1 {
		t.Fatalf("notifications %+v outcomes %+v", ev.Notifications, ev.Outcomes)
	}
	if o := ev.Outcomes[0]; o.Notification != 0 || o.Status != journal.StatusSent || o.JobID == "" || o.Attempts != 2 {
		t.Errorf("outcome %+v, want sent with a job id after 2 attempts", o)
	}
	first, second := st.Calls[0], st.Calls[1]
	if first.Code != 429 || first.Result != journal.CallRetry || first.RetryAfter.Seconds() != 1 || first.Attempt != 1 {
		t.Errorf("first call %+v, want a 429 to retry after 1s", first)
	}
	if second.Result != journal.CallAccepted || second.JobID != ev.Outcomes[0].JobID || second.Attempt != 2 {
		t.Errorf("second call %+v, want accepted as the outcome's job", second)
	}
	if len(st.DeadLetters) != 1 || st.DeadLetters[0].Rule != "broken" || st.Outcome != journal.OutcomeDeadLettered {
		t.Errorf("dead letters %+v, outcome %q", st.DeadLetters, st.Outcome)
	}
}

// A dry run writes no journal stream: its stories stay in its memory.
func TestE2EDryRunJournalsInMemoryOnly(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eSpec{
		Extra:    "webhooks:\n  shop:\n    auth: {type: bearer, secret: tok}\n",
		Rules:    journalRules,
		Notifier: dryrun.New(&syncbuf.Buffer{}),
		DryRun:   true,
	})
	code, body := e.do("POST", "/hooks/shop", `{"status": "shipped", "email": "ann@example.com"}`, bearer("tok"))
	id := acceptedID(t, "webhook", code, body)
	mem := e.svc.running.Load().journal.memory()
	eventually(t, e2eDeadline, func() bool {
		st := journal.Build(id, mem.Records(id), nil)
		return st != nil && len(st.Evaluations) == 1 && len(st.Evaluations[0].Outcomes) == 1 &&
			st.Evaluations[0].Outcomes[0].Status == journal.StatusDryRun
	}, func() string { return "the dry run's story is not in memory" })
	if _, err := journal.OpenReader(context.Background(), e.jetstream()); !errors.Is(err, journal.ErrNoJournal) {
		t.Errorf("a dry run created the journal stream (OpenReader: %v)", err)
	}
}
