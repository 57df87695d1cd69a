package service

import (
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
)

// Core-NATS mode (nats.jetstream: false): NATS and webhook events reach
// Kore, and the id a webhook answers is the id the logs carry from trigger
// to Kore, as in JetStream mode.
func TestE2ECoreNATSMode(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eSpec{
		NATS: "jetstream: false",
		Extra: `
webhooks:
  shop:
    auth: {type: bearer, secret: ` + e2eBearerToken + `}
`,
		Rules: `
rules:
  - name: shop
    on: {webhook: shop}
    notify: {channel: slack, to: event.email, text: "shop {{ .event.n }}"}
  - name: greet
    on: {nats: "greet.>"}
    notify: {channel: slack, to: event.email, text: "hello {{ .event.name }}"}
`,
	})
	code, resp := e.do("POST", "/hooks/shop", `{"n": 1, "email": "ann@example.com"}`, bearer(e2eBearerToken))
	id := acceptedID(t, "core webhook", code, resp)
	code, resp = e.do("POST", "/hooks/shop", `{"email": "bob@example.com"}`, bearer(e2eBearerToken))
	failedID := acceptedID(t, "core webhook with a missing key", code, resp)

	nc, err := nats.Connect(e.svc.NATSURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if err := nc.Publish("greet.eu", []byte(`{"name": "Carl", "email": "carl@example.com"}`)); err != nil {
		t.Fatal(err)
	}
	calls := e.waitCalls(2)
	if got := identitiesOf(calls); len(got) != 2 {
		t.Errorf("Kore was called for %v, want ann and carl", got)
	}
	eventually(t, e2eDeadline, func() bool {
		logs := e.logs.String()
		return strings.Contains(logs, "msg=notified event_id="+id+" ") &&
			strings.Contains(logs, "msg=dead-lettered event_id="+failedID+" ")
	}, func() string {
		return "the logs do not carry the answered event ids " + id + " (notified) and " + failedID + " (dead-lettered):\n" + e.logs.String()
	})
}
