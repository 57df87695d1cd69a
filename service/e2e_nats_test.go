package service

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

const orderCreatedRules = `
rules:
  - name: order-created
    on: {nats: "orders.*.created"}
    when: event.total > 0
    notify:
      channel: slack
      to: event.customer.email
      text: "Order {{ .event.id }} for {{ .event.customer.name }} is confirmed."
`

// A NATS event on a subject a rule binds reaches Kore as exactly the
// documented body, the 19-digit order id rendered digit for digit.
func TestE2ENATSEventReachesKoreWithExactBody(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eSpec{Rules: orderCreatedRules})

	e.publish("orders.eu.created", `{"id": 1234567890123456789, "total": 12.5,
		"customer": {"name": "Ann", "email": "ann@example.com"}}`)
	// Not a bound subject: the ingest stream does not capture it.
	if err := e.nc.Publish("orders.eu.updated", []byte(`{"id": 1, "total": 1, "customer": {"name": "X", "email": "x@example.com"}}`)); err != nil {
		t.Fatal(err)
	}
	e.publish("orders.us.created", `{"id": 2, "total": 0, "customer": {"name": "Y", "email": "y@example.com"}}`)
	e.publish("orders.us.created", `{"id": 9007199254740993, "total": 3,
		"customer": {"name": "Bob", "email": "bob@example.com"}}`)

	calls := e.waitCalls(2)
	got := map[string]map[string]any{}
	for _, c := range calls {
		body := decodeBody(t, c.Body)
		got[c.Notify.Identities[0]] = body
	}
	want := map[string]map[string]any{
		"ann@example.com": {
			"channel": "slack", "userIdentityType": "resolve",
			"message":    map[string]any{"type": "text", "val": "Order 1234567890123456789 for Ann is confirmed."},
			"identities": []any{"ann@example.com"},
		},
		"bob@example.com": {
			"channel": "slack", "userIdentityType": "resolve",
			"message":    map[string]any{"type": "text", "val": "Order 9007199254740993 for Bob is confirmed."},
			"identities": []any{"bob@example.com"},
		},
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Fatalf("Kore received\n%s\nwant\n%s", g, w)
	}
	// The failed `when` was evaluated; nothing else was sent.
	eventually(t, e2eDeadline, func() bool {
		v, _ := e.metric("korelay_events_total", `source="nats"`, `outcome="no_match"`)
		return v == 1
	}, func() string { return "want 1 nats event with no match (total 0)" })
	if n := len(e.notifyCalls()); n != 2 {
		t.Errorf("Kore received %d notify calls, want 2", n)
	}
}

// A single event while korelay is idle goes out at once: coalescing costs
// no latency when budget is to spare (the limit here is generous, < 1s).
func TestE2ESingleEventWhenIdleIsQuick(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eSpec{Rules: orderCreatedRules})
	e.jetstream() // connect before timing

	start := time.Now()
	e.publish("orders.eu.created", `{"id": 7, "total": 1, "customer": {"name": "Ann", "email": "ann@example.com"}}`)
	calls := e.waitCalls(1)
	if took := calls[0].Time.Sub(start); took >= time.Second {
		t.Errorf("publish to Kore call took %s, want well under 1s", took)
	} else {
		t.Logf("publish to Kore call: %s", took)
	}
}
