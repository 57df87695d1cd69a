package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/korelay/korelay/broker"
)

// dlqSummary is one dead letter in `dlq list -json`.
type dlqSummary struct {
	EventID    string    `json:"event_id"`
	Time       time.Time `json:"time"`
	Rule       string    `json:"rule"`
	Reason     string    `json:"reason"`
	Error      string    `json:"error"`
	Attempts   int       `json:"attempts"`
	Identities []string  `json:"identities"`
}

// dlqDetail is one dead letter in `dlq show -json`: the summary plus the
// notification, Kore's answer and the stored event.
type dlqDetail struct {
	dlqSummary
	Channel     string              `json:"channel,omitempty"`
	MessageType string              `json:"message_type,omitempty"`
	Message     string              `json:"message,omitempty"`
	Response    string              `json:"response,omitempty"`
	Subject     string              `json:"subject,omitempty"`
	Headers     map[string][]string `json:"headers,omitempty"`
	// Payload is the event body: JSON as JSON, anything else as a string.
	Payload any `json:"payload,omitempty"`
}

func summary(d broker.DeadLetter) dlqSummary {
	ids := d.Identities
	if ids == nil {
		ids = []string{}
	}
	return dlqSummary{EventID: d.EventID, Time: d.Time, Rule: d.Rule, Reason: d.Reason,
		Error: d.Error, Attempts: d.Attempts, Identities: ids}
}

func detail(d broker.DeadLetter) dlqDetail {
	out := dlqDetail{dlqSummary: summary(d), Channel: d.Channel, MessageType: d.MessageType,
		Message: d.Message, Response: d.Response, Subject: d.Subject, Headers: d.Header}
	switch {
	case len(d.Data) == 0:
	case json.Valid(d.Data):
		out.Payload = json.RawMessage(d.Data)
	default:
		out.Payload = string(d.Data)
	}
	return out
}

// listDeadLetters prints one line per dead letter: a table, or JSON Lines.
func listDeadLetters(w io.Writer, dls []broker.DeadLetter, asJSON bool) error {
	if asJSON {
		return encodeLines(w, dls, func(d broker.DeadLetter) any { return summary(d) })
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "EVENT\tTIME\tRULE\tREASON\tATTEMPTS\tIDENTITIES\tERROR")
	for _, d := range dls {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\n", d.EventID, d.Time.Format(time.RFC3339),
			orDash(d.Rule), d.Reason, d.Attempts, len(d.Identities), orDash(oneLine(d.Error)))
	}
	return tw.Flush()
}

// showDeadLetters prints everything about each dead letter, blank-line
// separated, or JSON Lines.
func showDeadLetters(w io.Writer, dls []broker.DeadLetter, asJSON bool) error {
	if asJSON {
		return encodeLines(w, dls, func(d broker.DeadLetter) any { return detail(d) })
	}
	for i, d := range dls {
		if i > 0 {
			fmt.Fprintln(w)
		}
		showDeadLetter(w, d)
	}
	return nil
}

func encodeLines(w io.Writer, dls []broker.DeadLetter, view func(broker.DeadLetter) any) error {
	enc := json.NewEncoder(w)
	for _, d := range dls {
		if err := enc.Encode(view(d)); err != nil {
			return fmt.Errorf("print dead letter of event %s: %w", d.EventID, err)
		}
	}
	return nil
}

func showDeadLetter(w io.Writer, d broker.DeadLetter) {
	field := func(name, value string) { fmt.Fprintf(w, "%-11s %s\n", name+":", value) }
	field("event", d.EventID)
	field("rule", orText(d.Rule, "- (the event failed before any rule)"))
	field("reason", d.Reason)
	field("error", orDash(d.Error))
	field("attempts", fmt.Sprint(d.Attempts))
	field("time", d.Time.Format(time.RFC3339Nano))
	field("identities", describeIdentities(d.Identities))
	if d.Channel != "" || d.Message != "" {
		field("channel", orDash(d.Channel))
		field("message", fmt.Sprintf("%s: %s", orText(d.MessageType, "text"), d.Message))
	}
	field("response", orText(d.Response, "- (no answer from Kore)"))
	field("subject", orDash(d.Subject))
	fmt.Fprintln(w, "headers:")
	writeHeaders(w, d.Header)
	fmt.Fprintln(w, "payload:")
	fmt.Fprintln(w, indent(payloadText(d.Data)))
}

func describeIdentities(ids []string) string {
	if len(ids) == 0 {
		return "none"
	}
	return plural(len(ids), "identity", "identities") + ": " + strings.Join(ids, ", ")
}

func writeHeaders(w io.Writer, h map[string][]string) {
	if len(h) == 0 {
		fmt.Fprintln(w, "  (none)")
		return
	}
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			fmt.Fprintf(w, "  %s: %s\n", k, v)
		}
	}
}

// payloadText is the payload as people read it: indented JSON, text as
// written, anything else quoted.
func payloadText(data []byte) string {
	var buf bytes.Buffer
	switch {
	case len(data) == 0:
		return "(none stored)"
	case json.Indent(&buf, data, "", "  ") == nil:
		return buf.String()
	case utf8.Valid(data):
		return string(data)
	default:
		return fmt.Sprintf("%q", data)
	}
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ")
}

func orDash(s string) string { return orText(s, "-") }

func orText(s, empty string) string {
	if s == "" {
		return empty
	}
	return s
}

// oneLine flattens s to one line of at most 120 characters.
func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if r := []rune(s); len(r) > 120 {
		s = string(r[:117]) + "..."
	}
	return s
}
