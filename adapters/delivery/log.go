package delivery

import (
	"context"
	"log/slog"
)

// callName names a call in log messages.
func callName(c *call) string {
	if c.key.device() {
		return "kore devices call"
	}
	return "kore notify"
}

// logCall logs one line per (rule, event) carried by c, so that every
// event's log trail names its Kore job. Message text is never logged.
func (e *Engine) logCall(level slog.Level, msg string, c *call, attrs ...slog.Attr) {
	ctx := context.Background()
	if !e.log.Enabled(ctx, level) {
		return
	}
	type source struct{ rule, eventID string }
	counts := make(map[source]int)
	var order []source
	for _, f := range c.items {
		s := source{f.rule, f.eventID}
		if counts[s] == 0 {
			order = append(order, s)
		}
		counts[s]++
	}
	for _, s := range order {
		all := append([]slog.Attr{
			slog.String("rule", s.rule),
			slog.String("event_id", s.eventID),
			slog.String("channel", c.key.channel),
			slog.Int("identities", counts[s]),
		}, attrs...)
		if c.key.device() {
			a := c.key.deviceAction()
			all = append(all, slog.String("devices", describeDevices(&a)))
		}
		e.log.LogAttrs(ctx, level, msg, all...)
	}
}
