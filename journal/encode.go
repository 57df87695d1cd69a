package journal

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/korelay/korelay/internal/jsonstr"
)

// appendRecord appends r as one line of JSON (what encoding/json would
// decode into a Record), without reflection: the Writer encodes every
// record korelay journals, so this is on the journal's busy path. Times
// are formatted with tc (nil: each whole); when r has a Trigger without a
// Preview, payload's preview is written (see PreviewBytes).
func appendRecord(b []byte, r *Record, tc *timeCache, payload []byte) []byte {
	e := encoder{b: b, times: tc, payload: payload}
	e.open()
	e.str("kind", string(r.Kind))
	e.str("event_id", r.EventID)
	e.time("time", r.Time)
	if r.Delivery != nil {
		e.key("delivery")
		e.delivery(r.Delivery)
	}
	if r.Trigger != nil {
		e.key("trigger")
		e.trigger(r.Trigger)
	}
	if len(r.Rules) > 0 {
		e.list("rules", len(r.Rules), func(i int) { e.rule(&r.Rules[i]) })
	}
	if len(r.Notifications) > 0 {
		e.list("notifications", len(r.Notifications), func(i int) { e.notification(&r.Notifications[i]) })
	}
	if len(r.Outcomes) > 0 {
		e.list("outcomes", len(r.Outcomes), func(i int) { e.outcome(&r.Outcomes[i]) })
	}
	if r.Call != nil {
		e.key("call")
		e.call(r.Call)
	}
	if r.Held != nil {
		e.key("held")
		e.held(r.Held)
	}
	e.str("error", r.Error)
	e.close()
	return e.b
}

func (e *encoder) delivery(d *Delivery) {
	e.open()
	e.uint("seq", d.Seq)
	e.key("attempt") // never omitted
	e.b = strconv.AppendUint(e.b, d.Attempt, 10)
	if d.Replayed {
		e.b = append(e.b, `,"replayed":true`...)
	}
	e.close()
}

func (e *encoder) trigger(t *Trigger) {
	e.open()
	e.str("source", t.Source)
	e.str("name", t.Name)
	e.str("subject", t.Subject)
	e.str("schedule", t.Schedule)
	e.time("received", t.Received)
	e.int("size", t.Size)
	if t.Preview == "" && len(e.payload) > 0 {
		e.key("preview")
		e.b = appendPreview(e.b, e.payload)
	} else {
		e.str("preview", t.Preview)
	}
	e.close()
}

// PreviewBytes is how much of an event's body a record's trigger keeps
// as its preview.
const PreviewBytes = 128

// Preview is the preview of an event's body: its first PreviewBytes, with
// "…" after when that leaves some out; a prefix that is not valid UTF-8
// has each run of bad bytes replaced by U+FFFD (and no "…").
func Preview(payload []byte) string {
	p := payload[:min(len(payload), PreviewBytes)]
	switch {
	case !utf8.Valid(p):
		return strings.ToValidUTF8(string(p), "\uFFFD")
	case len(p) < len(payload):
		return string(p) + "…" // one allocation
	}
	return string(p)
}

// appendPreview appends Preview(payload) as a JSON string, without
// making the string when the prefix is valid UTF-8.
func appendPreview(b []byte, payload []byte) []byte {
	p := payload[:min(len(payload), PreviewBytes)]
	if !utf8.Valid(p) {
		return jsonstr.Append(b, Preview(payload))
	}
	b = append(b, '"')
	start := 0
	for i, c := range p {
		if c >= 0x20 && c != '"' && c != '\\' {
			continue // bytes of a valid multi-byte rune are ≥ 0x80
		}
		b = append(b, p[start:i]...)
		b = jsonstr.AppendEscape(b, c)
		start = i + 1
	}
	b = append(b, p[start:]...)
	if len(p) < len(payload) {
		b = append(b, "…"...)
	}
	return append(b, '"')
}

func (e *encoder) rule(r *RuleResult) {
	e.open()
	e.str("rule", r.Rule)
	e.str("result", r.Result)
	e.str("error", r.Error)
	e.int("notifications", r.Notifications)
	e.close()
}

func (e *encoder) notification(n *Notification) {
	e.open()
	e.str("rule", n.Rule)
	e.str("channel", n.Channel)
	e.str("mode", n.Mode)
	e.int("identities", n.Identities)
	e.strs("sample", n.Sample)
	e.str("dedup_key", n.DedupKey)
	e.close()
}

func (e *encoder) outcome(o *Outcome) {
	e.open()
	e.key("notification") // never omitted: 0 is an index
	e.b = strconv.AppendInt(e.b, int64(o.Notification), 10)
	e.str("rule", o.Rule)
	e.str("channel", o.Channel)
	e.str("status", o.Status)
	e.int("identities", o.Identities)
	e.strs("sample", o.Sample)
	e.str("dedup_key", o.DedupKey)
	e.str("job_id", o.JobID)
	e.int("attempts", o.Attempts)
	e.str("reason", o.Reason)
	e.str("error", o.Error)
	e.close()
}

func (e *encoder) call(c *Call) {
	e.open()
	e.uint("seq", c.Seq)
	e.str("rule", c.Rule)
	e.str("channel", c.Channel)
	e.int("attempt", c.Attempt)
	e.int("identities", c.Identities)
	e.int("call_identities", c.CallIdentities)
	e.int("code", c.Code)
	e.str("job_id", c.JobID)
	e.str("result", c.Result)
	e.str("error", c.Error)
	e.int64("retry_after", int64(c.RetryAfter))
	e.int64("duration", int64(c.Duration))
	e.close()
}

func (e *encoder) held(h *Held) {
	e.open()
	e.str("rule", h.Rule)
	e.str("channel", h.Channel)
	e.int("identities", h.Identities)
	e.strs("sample", h.Sample)
	e.time("until", h.Until)
	e.str("digest", h.Digest)
	e.str("note", h.Note)
	e.close()
}

// encoder writes JSON objects whose zero fields are left out (decoding
// gives them back as zero).
type encoder struct {
	b       []byte
	more    bool       // the current object has a field already
	times   *timeCache // nil: format each time whole
	payload []byte     // the event's body, for a trigger's preview
}

func (e *encoder) open() { e.b, e.more = append(e.b, '{'), false }

func (e *encoder) close() { e.b, e.more = append(e.b, '}'), true }

func (e *encoder) key(k string) {
	if e.more {
		e.b = append(e.b, ',')
	}
	e.b = append(e.b, '"')
	e.b = append(e.b, k...)
	e.b = append(e.b, '"', ':')
	e.more = true
}

func (e *encoder) str(k, v string) {
	if v != "" {
		e.key(k)
		e.b = jsonstr.Append(e.b, v)
	}
}

func (e *encoder) int(k string, v int) { e.int64(k, int64(v)) }

func (e *encoder) int64(k string, v int64) {
	if v != 0 {
		e.key(k)
		e.b = strconv.AppendInt(e.b, v, 10)
	}
}

func (e *encoder) uint(k string, v uint64) {
	if v != 0 {
		e.key(k)
		e.b = strconv.AppendUint(e.b, v, 10)
	}
}

func (e *encoder) time(k string, t time.Time) {
	if !t.IsZero() {
		e.key(k)
		e.b = append(e.b, '"')
		if e.times != nil {
			e.b = e.times.appendRFC3339Nano(e.b, t)
		} else {
			e.b = t.AppendFormat(e.b, time.RFC3339Nano)
		}
		e.b = append(e.b, '"')
	}
}

func (e *encoder) strs(k string, vs []string) {
	if len(vs) == 0 {
		return
	}
	e.key(k)
	e.b = append(e.b, '[')
	for i, v := range vs {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.b = jsonstr.Append(e.b, v)
	}
	e.b = append(e.b, ']')
}

func (e *encoder) list(k string, n int, item func(i int)) {
	e.key(k)
	e.b = append(e.b, '[')
	for i := range n {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		item(i)
	}
	e.b = append(e.b, ']')
}

// timeCache formats times as time.RFC3339Nano does, formatting the date,
// clock and zone of a second once: the records of a burst share their
// seconds. It keeps two seconds, as a record's two times (when korelay
// evaluated the event, when the event was stored) differ by the time the
// event waited. Only one goroutine uses it.
type timeCache struct {
	secs [2]cachedSecond
	last int // the entry used last
}

// cachedSecond is one second formatted at one zone offset (which, with
// the second, decides both parts).
type cachedSecond struct {
	sec    int64 // unix
	off    int   // zone offset in seconds
	ok     bool
	prefix []byte // "2006-01-02T15:04:05"
	zone   []byte // "Z07:00"
}

// appendRFC3339Nano appends t.AppendFormat(b, time.RFC3339Nano).
func (c *timeCache) appendRFC3339Nano(b []byte, t time.Time) []byte {
	_, off := t.Zone()
	sec := t.Unix()
	e := &c.secs[c.last]
	if !e.ok || e.sec != sec || e.off != off {
		c.last ^= 1
		e = &c.secs[c.last]
		if !e.ok || e.sec != sec || e.off != off {
			e.prefix = t.AppendFormat(e.prefix[:0], "2006-01-02T15:04:05")
			e.zone = t.AppendFormat(e.zone[:0], "Z07:00")
			e.sec, e.off, e.ok = sec, off, true
		}
	}
	b = append(b, e.prefix...)
	if ns := t.Nanosecond(); ns != 0 {
		var frac [10]byte
		frac[0] = '.'
		for i := 9; i > 0; i-- {
			frac[i] = byte('0' + ns%10)
			ns /= 10
		}
		n := 10
		for frac[n-1] == '0' {
			n--
		}
		b = append(b, frac[:n]...)
	}
	return append(b, e.zone...)
}
