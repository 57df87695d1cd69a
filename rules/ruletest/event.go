// Package ruletest runs rule unit-test files: each case names a trigger and
// an event and lists the notifications the rules must produce for it.
package ruletest

import (
	"fmt"
	"strings"
	"time"

	"github.com/korelay/korelay/rules"
)

// BuildEvent makes the event a trigger would produce. on is
// "nats:SUBJECT", "webhook:NAME" or "cron:RULE"; for cron a nil payload
// becomes the standard cron payload fired at now.
func BuildEvent(set *rules.Set, on string, payload any, now time.Time) (rules.Event, error) {
	kind, name, ok := strings.Cut(on, ":")
	if !ok || name == "" {
		return rules.Event{}, fmt.Errorf("on %q: want nats:SUBJECT, webhook:NAME or cron:RULE", on)
	}
	ev := rules.Event{ID: "test-event", Trigger: name, Time: now, Payload: payload}
	switch kind {
	case "nats":
		ev.Source = rules.SourceNATS
	case "webhook":
		ev.Source = rules.SourceWebhook
	case "cron":
		r, ok := set.Rule(name)
		if !ok || r.Schedule == nil {
			return rules.Event{}, fmt.Errorf("on %q: no cron rule named %q", on, name)
		}
		if payload == nil {
			cron := rules.CronEvent(name, now, now)
			cron.ID, cron.Time = ev.ID, now
			return cron, nil
		}
		ev.Source = rules.SourceCron
	default:
		return rules.Event{}, fmt.Errorf("on %q: unknown trigger kind %q (want nats, webhook or cron)", on, kind)
	}
	return ev, nil
}
