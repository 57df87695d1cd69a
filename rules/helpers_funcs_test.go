package rules

import (
	"strings"
	"testing"
	"time"
)

func TestNumber(t *testing.T) {
	tests := []struct {
		decimals int
		args     []any
		want     string // or "error: ..."
	}{
		{2, []any{1234.5}, "1,234.50"},
		{2, []any{1234}, "1,234.00"},
		{0, []any{1234567}, "1,234,567"},
		{2, []any{2.675}, "2.68"},
		{2, []any{-1234.567}, "-1,234.57"},
		{2, []any{-0.001}, "0.00"},
		{1, []any{999.96}, "1,000.0"},
		{2, []any{"123456789012345678901234"}, "123,456,789,012,345,678,901,234.00"},
		{3, []any{"1e3"}, "1,000.000"},
		{2, []any{"9.5"}, "9.50"},
		{2, []any{".", ",", 1234.5}, "1.234,50"},
		{2, []any{"", ".", 1234.5}, "1234.50"},
		{2, []any{" ", ",", -1234567.891}, "-1 234 567,89"},
		{2, []any{"abc"}, `error: number: "abc" is not a number`},
		{2, []any{nil}, "error: number: value is missing or null"},
		{2, []any{true}, "error: number: cannot use bool as a number"},
		{-1, []any{1}, "error: number: decimals must be 0 to 20, found -1"},
		{2, []any{".", 1.5}, "error: number: write number DECIMALS VALUE or number DECIMALS THOUSANDS POINT VALUE"},
		{2, []any{1, 2, 1.5}, "error: number: the separators must be strings: number DECIMALS THOUSANDS POINT VALUE"},
	}
	for _, tt := range tests {
		got, err := numberFunc(tt.decimals, tt.args...)
		if err != nil {
			got = "error: " + err.Error()
		}
		if got != tt.want {
			t.Errorf("number %d %v = %q, want %q", tt.decimals, tt.args, got, tt.want)
		}
	}
}

func TestDate(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	for _, tt := range []struct {
		v    any
		want string
	}{
		{"2027-03-10T08:30:00+01:00", "2027-03-10 08:30 +0100"},
		{"2027-03-10", "2027-03-10 00:00 +0000"},
		{1804636800, "2027-03-10 00:00 +0000"},
		{1804636800.5, "2027-03-10 00:00 +0000"},
		{time.Date(2027, 3, 10, 9, 0, 0, 0, berlin), "2027-03-10 09:00 +0100"},
		{"yesterday", `error: date: cannot read "yesterday" as a time (use RFC 3339, YYYY-MM-DD or Unix seconds)`},
		{1e300, "error: date: cannot read 1e+300 as Unix seconds (beyond the year 9999)"},
		{true, "error: date: cannot use bool as a time"},
	} {
		got, err := dateFunc("2006-01-02 15:04 -0700", tt.v)
		if err != nil {
			got = "error: " + err.Error()
		}
		if got != tt.want {
			t.Errorf("date %v = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestJoin(t *testing.T) {
	for _, tt := range []struct {
		list any
		want string
	}{
		{[]any{"a", 1, 2.5, true, "123456789012345678901234"}, "a, 1, 2.5, true, 123456789012345678901234"},
		{[]string{"x", "y"}, "x, y"},
		{[]int{1, 2}, "1, 2"},
		{[]any{}, ""},
		{[]any{"a", nil}, "error: join: element 1: value is missing or null"},
		{"abc", "error: join: expected a list, found a string"},
		{nil, "error: join: expected a list, found null"},
	} {
		got, err := joinFunc(", ", tt.list)
		if err != nil {
			got = "error: " + err.Error()
		}
		if got != tt.want {
			t.Errorf("join %v = %q, want %q", tt.list, got, tt.want)
		}
	}
}

// default replaces a missing key too: the walker reads the field it is
// given with get.
func TestDefaultForMissingKeys(t *testing.T) {
	s := mustLoad(t, `
rules:
  - name: a
    on: {webhook: orders}
    notify:
      channel: slack
      to: '"a"'
      text: >-
        {{ .event.nick | default "there" }}|{{ default "n/a" .event.customer.name }}|{{ $.event.x.y | default "-" | upper }}|{{ .event.empty | default "e" }}|{{ .event.name | default "unused" }}|{{ range .event.items }}{{ .sku | default "?" }},{{ end }}|{{ get .event "items" 1 "sku" }}|{{ get .event "items" 5 "sku" | default "none" }}
  - name: b
    on: {webhook: orders}
    notify: {channel: slack, to: '"a"', text: "{{ .event.nick | upper | default \"x\" }}"}
`)
	res := s.Evaluate(&Event{Source: SourceWebhook, Trigger: "orders", Payload: mustJSON(t,
		`{"name": "Ann", "empty": "", "customer": null, "items": [{"sku": "A"}, {"sku": "B"}, {}]}`)})
	want := "there|n/a|-|e|Ann|A,B,?,|B|none"
	if len(res.Notifications) != 1 || res.Notifications[0].Message != want {
		t.Errorf("notifications %+v, want message %q", res.Notifications, want)
	}
	// default only helps the field it is given directly.
	if len(res.Failures) != 1 || res.Failures[0].Rule != "b" || !strings.Contains(res.Failures[0].Err.Error(), `map has no entry for key "nick"`) {
		t.Errorf("failures %v", res.Failures)
	}
}
