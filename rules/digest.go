package rules

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// DigestItem is one notification a digest collected for an identity.
type DigestItem struct {
	// Text is the notification's rendered message.
	Text string
	// Event is the payload of the event that produced it.
	Event any
}

// DigestMessage is a rendered digest.
type DigestMessage struct {
	// MessageType is "text" or "script"; Message the rendered digest.
	MessageType, Message string
}

// RenderDigest renders rule's digest of items for one identity, as of now
// (the end of the period): the digest template sees .items (each with
// .text and .event), .count, .now and .data. When the rule no longer
// exists or no longer has a digest (the rules were reloaded), the items
// are listed in a plain text message instead, so nothing collected is
// lost. Errors carry the template's file:line:col.
func (s *Set) RenderDigest(rule string, items []DigestItem, now time.Time) (DigestMessage, error) {
	r, ok := s.byName[rule]
	if !ok || r.digest == nil || r.digest.message == nil {
		return DigestMessage{MessageType: "text", Message: plainDigest(items)}, nil
	}
	list := make([]any, len(items))
	for i, it := range items {
		list[i] = map[string]any{"text": it.Text, "event": it.Event}
	}
	data := map[string]any{
		"items": list, "count": len(items), "now": now.In(r.digest.sched.Location()), "data": s.data,
		budgetKey: &rangeBudget{left: maxRangeIterations},
	}
	tp := r.digest.message
	var out limitedBuffer
	if err := tp.t.Execute(&out, data); err != nil {
		if errors.Is(err, errMessageTooLong) {
			return DigestMessage{}, fmt.Errorf("rule %s: %w", rule, tp.errorAt(0, err.Error(), err))
		}
		return DigestMessage{}, fmt.Errorf("rule %s: %w", rule, tp.renderError(err))
	}
	return DigestMessage{MessageType: r.digest.msgType, Message: out.buf.String()}, nil
}

// plainDigest lists items in a text message, for a digest whose rule is gone.
func plainDigest(items []DigestItem) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d updates:", len(items))
	for _, it := range items {
		b.WriteString("\n- ")
		b.WriteString(it.Text)
	}
	return b.String()
}
