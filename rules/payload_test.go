package rules

import (
	"errors"
	"strings"
	"testing"
)

// A rule that reads fields of a payload that is not a JSON object fails
// with ReasonDecode and a message naming the payload's type; other
// failures keep ReasonRender, and rules that do not read fields still run.
func TestEvaluateNonObjectPayload(t *testing.T) {
	s := mustLoad(t, `
rules:
  - {name: a-when, on: {webhook: orders}, when: event.status == "shipped", notify: {channel: slack, to: '"a"', text: hi}}
  - {name: b-to, on: {webhook: orders}, notify: {channel: slack, to: event.customer.email, text: hi}}
  - {name: c-text, on: {webhook: orders}, notify: {channel: slack, to: '"a"', text: "{{ .event.id }}"}}
  - {name: d-index, on: {webhook: orders}, notify: {channel: slack, to: '"a"', text: "{{ index .event \"order id\" }}"}}
  - {name: e-ping, on: {webhook: orders}, when: 'event == "ping"', notify: {channel: slack, to: '"a"', text: "pong {{ .event }}"}}
  - name: f-items
    on: {webhook: orders}
    for_each: data.employees
    notify: {channel: slack, to: item.email, text: "{{ .item.name }} {{ $.event.id }}"}
  - {name: g-get, on: {webhook: orders}, when: 'get(event, "vip") == true', notify: {channel: slack, to: '"a"', text: hi}}
`)
	tests := []struct {
		payload string
		want    []string // rule reason: message after "rule R: "
	}{
		{`[1, 2]`, []string{
			"a-when decode: event payload is a JSON array, not an object (the rule reads event.status)",
			"b-to decode: event payload is a JSON array, not an object (the rule reads event.customer)",
			"c-text decode: event payload is a JSON array, not an object (the rule reads event.id)",
			`d-index decode: event payload is a JSON array, not an object (the rule reads event["order id"])`,
			"f-items decode: event payload is a JSON array, not an object (the rule reads event.id)",
			"g-get decode: event payload is a JSON array, not an object (the rule reads event.vip)",
		}},
		{`"ping"`, []string{
			"a-when decode: event payload is a string (text/plain or non-JSON body), not an object (the rule reads event.status)",
			"b-to decode: event payload is a string (text/plain or non-JSON body), not an object (the rule reads event.customer)",
			"c-text decode: event payload is a string (text/plain or non-JSON body), not an object (the rule reads event.id)",
			`d-index decode: event payload is a string (text/plain or non-JSON body), not an object (the rule reads event["order id"])`,
			"f-items decode: event payload is a string (text/plain or non-JSON body), not an object (the rule reads event.id)",
			"g-get decode: event payload is a string (text/plain or non-JSON body), not an object (the rule reads event.vip)",
		}},
		{`42`, []string{
			"a-when decode: event payload is a JSON number, not an object (the rule reads event.status)",
			"b-to decode: event payload is a JSON number, not an object (the rule reads event.customer)",
			"c-text decode: event payload is a JSON number, not an object (the rule reads event.id)",
			`d-index decode: event payload is a JSON number, not an object (the rule reads event["order id"])`,
			"f-items decode: event payload is a JSON number, not an object (the rule reads event.id)",
			// get(42, "vip") is null: no error, so the rule just does not match
		}},
		{`{"status": "shipped", "customer": {}}`, []string{
			`b-to render: rules.yaml:4:70: notify.to: must be a string or a list of strings, found null`,
			`c-text render: rules.yaml:5:89: notify.text: map has no entry for key "id" (at <.event.id>)`,
			`d-index render: rules.yaml:6:90: notify.text: value is missing or null`,
			`f-items render: 3 of 3 items failed`,
		}},
	}
	for _, tt := range tests {
		res := s.Evaluate(&Event{ID: "e", Source: SourceWebhook, Trigger: "orders", Payload: mustJSON(t, tt.payload)})
		var got []string
		for _, f := range res.Failures {
			msg := strings.TrimPrefix(f.Err.Error(), "rule "+f.Rule+": ")
			var e *Error
			if errors.As(f.Err, &e) {
				msg = strings.ReplaceAll(msg, e.File, "rules.yaml")
			}
			if f.Rule == "f-items" && f.Reason == ReasonRender {
				msg = msg[:strings.Index(msg, ":")]
			}
			got = append(got, f.Rule+" "+f.Reason+": "+msg)
		}
		if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
			t.Errorf("payload %s: failures:\n%s\nwant:\n%s", tt.payload, strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
		}
	}
	res := s.Evaluate(&Event{ID: "p", Source: SourceWebhook, Trigger: "orders", Payload: "ping"})
	if len(res.Notifications) != 1 || res.Notifications[0].Message != "pong ping" {
		t.Errorf("text payload: notifications %+v", res.Notifications)
	}
}

// A decode failure still wraps the evaluation error, with its position.
func TestDecodeFailureWrapsTheError(t *testing.T) {
	s := mustLoad(t, `
rules:
  - {name: a, on: {webhook: orders}, when: event.status == "x", notify: {channel: slack, to: '"a"', text: hi}}
`)
	res := s.Evaluate(&Event{Source: SourceWebhook, Trigger: "orders", Payload: []any{}})
	var e *Error
	if len(res.Failures) != 1 || !errors.As(res.Failures[0].Err, &e) || e.Line != 3 {
		t.Errorf("failures %+v", res.Failures)
	}
}
