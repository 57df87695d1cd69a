package service

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/korelay/korelay/broker"
)

// Numbers from JSON format as written with printf, integers or decimals,
// and a Go formatting error is a render failure, never text sent to a
// customer.
func TestE2EPrintfFormatsNumbersAndRefusesGarbage(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eSpec{Rules: `
rules:
  - name: paid
    on: {nats: "orders.>"}
    notify: {channel: slack, to: event.email, text: '{{ printf "%.2f" .event.amount }} EUR, {{ .event.amount | number 2 }}'}
`})
	e.publish("orders.a", `{"amount": 100, "email": "ann@example.com"}`)
	e.publish("orders.b", `{"amount": 1234.5, "email": "bob@example.com"}`)
	e.publish("orders.c", `{"amount": "lots", "email": "carl@example.com"}`)
	calls := e.waitCalls(2)
	got := map[string]string{}
	for _, c := range calls {
		got[c.Notify.Identities[0]] = c.Notify.Message.Val
	}
	if got["ann@example.com"] != "100.00 EUR, 100.00" || got["bob@example.com"] != "1234.50 EUR, 1,234.50" {
		t.Errorf("texts %q, want 100.00 and 1234.50 formatted", got)
	}
	dls := waitDeadLetters(t, e, "paid", 1)
	if dls[0].Reason != broker.ReasonRender || !strings.Contains(dls[0].Error, "printf") {
		t.Errorf("dead letter %+v, want a render failure naming printf", dls[0])
	}
	if _, sent := got["carl@example.com"]; sent {
		t.Errorf("sent %q to carl", got["carl@example.com"])
	}
}

// A value interpolated inside the author's own JavaScript string literal
// comes out as escaped string content: Kore's script prints exactly the
// event's text, which never ends the string or the script.
func TestE2EScriptValueInsideQuotesStaysData(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	e := startE2E(t, e2eSpec{Rules: `
rules:
  - name: hello
    on: {nats: "people.>"}
    notify:
      channel: msteams
      to: event.email
      script: |
        print("Hello {{ .event.name }}, " + 'you have {{ .event.count }} new' + ` + "`" + `, ${ {{ .event.count }} + 1 } soon` + "`" + `);
`})
	const hostile = `Ann"); globalThis.pwned = 1; print("`
	e.publish("people.x", fmt.Sprintf(`{"name": %q, "count": 3, "email": "ann@example.com"}`, hostile))
	calls := e.waitCalls(1)
	script := calls[0].Notify.Message.Val
	out, err := exec.Command(node, "-e", "const print = (s) => process.stdout.write(String(s)); "+script+
		"; if (globalThis.pwned) process.stdout.write(' PWNED')").CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s\nscript:\n%s", err, out, script)
	}
	if want := "Hello " + hostile + ", you have 3 new, 4 soon"; string(out) != want {
		t.Errorf("the script printed %q, want %q\nscript:\n%s", out, want, script)
	}
}

// A rule reading a field of a payload that is not a JSON object (an array,
// or a non-JSON NATS message) is dead-lettered as decode, with the payload's
// type named, and the event counts as failed, not as no_match.
func TestE2ENonObjectPayloadIsADecodeFailure(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eSpec{Rules: `
rules:
  - name: status
    on: {nats: "orders.>"}
    when: event.status == "shipped"
    notify: {channel: slack, to: '"ops@example.com"', text: "shipped"}
`})
	e.publish("orders.array", `[1, 2]`)
	e.publish("orders.text", `not json at all`)
	dls := waitDeadLetters(t, e, "status", 2)
	var kinds []string
	for _, d := range dls {
		if d.Reason != broker.ReasonDecode {
			t.Errorf("dead letter reason %q (%s), want decode", d.Reason, d.Error)
		}
		kinds = append(kinds, d.Error)
	}
	joined := strings.Join(kinds, " | ")
	if !strings.Contains(joined, "array") || !strings.Contains(joined, "string") {
		t.Errorf("errors %q do not name the payload types (an array, a string)", joined)
	}
	e.waitMetric("korelay_dead_letters_total", 2, `rule="status"`, `reason="decode"`)
	if v, _ := e.metric("korelay_events_total", `source="nats"`, `outcome="failed"`); v != 2 {
		t.Errorf(`korelay_events_total{source="nats",outcome="failed"} = %v, want 2`, v)
	}
	if v, ok := e.metric("korelay_events_total", `source="nats"`, `outcome="no_match"`); ok && v != 0 {
		t.Errorf(`korelay_events_total{outcome="no_match"} = %v, want 0`, v)
	}
}
