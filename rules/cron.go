package rules

import (
	"fmt"
	"time"
)

// CronEvent returns the event of a cron rule's fire: its payload is
// {"rule", "scheduled", "fired"} with RFC 3339 times, its Trigger the rule
// name, and its ID "cron:<rule>:<scheduled unix time>", the same on every
// replica (the trigger may replace it with the stream's id).
func CronEvent(rule string, scheduled, fired time.Time) Event {
	return Event{
		ID:      fmt.Sprintf("cron:%s:%d", rule, scheduled.Unix()),
		Source:  SourceCron,
		Trigger: rule,
		Time:    fired,
		Payload: map[string]any{
			"rule":      rule,
			"scheduled": scheduled.Format(time.RFC3339),
			"fired":     fired.Format(time.RFC3339),
		},
	}
}
