package rules

import (
	"strings"
	"testing"
)

func TestPrintf(t *testing.T) {
	tests := []struct {
		format string
		args   []any
		want   string // or the error, after "error: "
	}{
		{"%.2f", []any{100}, "100.00"},
		{"%.2f", []any{9.5}, "9.50"},
		{"%e", []any{100}, "1.000000e+02"},
		{"%g", []any{3}, "3"},
		{"%d", []any{100.0}, "100"},
		{"%05d", []any{7.0}, "00007"},
		{"%x", []any{255.0}, "ff"},
		{"%o %b %c", []any{8.0, 5.0, 65.0}, "10 101 A"},
		{"%d", []any{1.5}, "error: argument 1: %d needs an integer, found 1.5"},
		{"%d", []any{"123456789012345678901234"}, "123456789012345678901234"},
		{"%x", []any{"123456789012345678901234"}, "1a249b1f10a06c96aff2"},
		{"%.2f", []any{"123456789012345678901234"}, "123456789012345678901234.00"},
		{"%.3f", []any{"9.5"}, "9.500"},
		{"%d", []any{"42"}, "42"},
		{"%.1f", []any{9007199254740993}, "9007199254740993.0"},
		{"%d", []any{1e20}, "100000000000000000000"},
		{"%s", []any{42}, "42"},
		{"%v", []any{map[string]any{"a": 1}}, `{"a":1}`},
		{"%q", []any{7}, `"7"`},
		{"%x", []any{"hi"}, "6869"},
		{"%*d", []any{4.0, 7}, "   7"},
		{"%[2]d %[1]s", []any{"a", 2.0}, "2 a"},
		{"%s", []any{"50%!"}, "50%!"},
		{"50%!", nil, "error: %! has no argument (more verbs than arguments)"},
		{"100%% sure", nil, "100% sure"},
		{"%s", []any{"%!d(MISSING) in data"}, "%!d(MISSING) in data"},
		{"%d", []any{"abc"}, "error: %d cannot format string abc"},
		{"%d %d", []any{1}, "error: %d has no argument (more verbs than arguments)"},
		{"%d", []any{1, 2}, "error: more arguments than verbs in the format: int=2"},
		{"%", []any{}, `error: the format ends with a lone "%" (write %% for a percent sign)`},
		{"%[3]d", []any{1}, "error: %d: argument index out of range"},
		{"%*d", []any{"x", 1}, "error: a * width or precision needs an integer argument"},
		{"%.*d", []any{"x", 1}, "error: a * width or precision needs an integer argument"},
		{"%t", []any{1}, "error: %t cannot format int 1"},
		{"%s", []any{nil}, "error: argument 1: value is missing or null"},
	}
	for _, tt := range tests {
		got, err := printfFunc(tt.format, tt.args...)
		if err != nil {
			got = "error: " + err.Error()
		}
		if got != tt.want {
			t.Errorf("printf %q %v = %q, want %q", tt.format, tt.args, got, tt.want)
		}
	}
}

func TestFmtErrorShapes(t *testing.T) {
	for s, want := range map[string]bool{
		"%!d(string=x)":                      true,
		"%!f(int=100)":                       true,
		"%!v(PANIC=String method: boom)":     true,
		"%!d(MISSING)":                       true,
		"%!(EXTRA int=1)":                    true,
		"%!(NOVERB)":                         true,
		"%!d(BADINDEX)":                      true,
		"%!(BADWIDTH)":                       true,
		"%!(BADPREC)":                        true,
		"%!s(<nil>)":                         true,
		"%!d(map[string]interface {}=map[])": true,
		"50%!":                               false,
		"50%! off":                           false,
		"wow%!(really)":                      false,
		"100%!(nice)":                        false,
	} {
		if got := fmtErrorRE.MatchString(s); got != want {
			t.Errorf("fmtErrorRE.MatchString(%q) = %v, want %v", s, got, want)
		}
	}
}

// printf in a template overrides text/template's, and its errors are
// render failures at the action.
func TestTemplatePrintf(t *testing.T) {
	s := mustLoad(t, `
rules:
  - name: a
    on: {webhook: orders}
    notify: {channel: slack, to: '"a"', text: '{{ printf "%.2f" .event.amount }} {{ .event.amount | printf "%05d" }} {{ printf "%d" .event.id }}'}
  - name: b
    on: {webhook: orders}
    notify: {channel: slack, to: '"a"', text: 'Total: {{ printf "%d" .event.price }}'}
`)
	res := s.Evaluate(&Event{Source: SourceWebhook, Trigger: "orders", Payload: mustJSON(t,
		`{"amount": 100, "id": 123456789012345678901234, "price": 9.99}`)})
	if len(res.Notifications) != 1 || res.Notifications[0].Message != "100.00 00100 123456789012345678901234" {
		t.Errorf("notifications %+v", res.Notifications)
	}
	if len(res.Failures) != 1 || res.Failures[0].Reason != ReasonRender ||
		!strings.HasSuffix(res.Failures[0].Err.Error(), `:8:58: notify.text: error calling printf: argument 1: %d needs an integer, found 9.99 (at <printf "%d" .event.price>)`) {
		t.Errorf("failures %v", res.Failures)
	}
}
