package rules

import (
	"encoding/json"
	"strings"
	"testing"
)

// jsStringValue reads a JavaScript string literal produced by formatJS
// (JSON plus the \/ escape, which JSON also accepts).
func jsStringValue(t testing.TB, lit string) string {
	t.Helper()
	var s string
	if err := json.Unmarshal([]byte(lit), &s); err != nil {
		t.Fatalf("literal %s: %v", lit, err)
	}
	return s
}

func TestFormatJS(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{"plain", `"plain"`},
		{`a"b\c`, `"a\"b\\c"`},
		{"</script>", `"\u003c\/script\u003e"`},
		{"`${x}`", `"\u0060\u0024{x}\u0060"`},
		{"it's", `"it\u0027s"`},
		{"a\u2028b", `"a\u2028b"`},
		{42, `42`},
		{1.5, `1.5`},
		{true, `true`},
		{"12345678901234567890", `"12345678901234567890"`},
		{map[string]any{"k": "<v>"}, `{"k":"\u003cv\u003e"}`},
		{[]any{"a", 1}, `["a",1]`},
	}
	for _, tt := range tests {
		got, err := formatJS(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("formatJS(%#v) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
	if _, err := formatJS(nil); err == nil {
		t.Error("formatJS(nil) succeeded")
	}
}

// TestTemplateFastPathMatchesTextTemplate renders fast-path templates both
// ways and compares.
func TestTemplateFastPathMatchesTextTemplate(t *testing.T) {
	s := mustLoad(t, `
rules:
  - name: r
    on: {webhook: orders}
    notify: {channel: slack, to: '"a"', text: "{{ .event.a }}|{{ .event.b.c }}|{{ $.event.n }}|{{ .meta.headers.h }}|{{ .meta.source }}|{{ .event }}"}
  - name: s
    on: {webhook: orders}
    notify: {channel: slack, to: '"a"', script: "{{ .event.a }}|{{ .event.b.c }}|{{ $.event.n }}|{{ .meta.headers.h }}|{{ .meta.source }}|{{ .event }}"}
`)
	var tmpls []*tmpl
	for _, name := range []string{"r", "s"} {
		r, _ := s.Rule(name)
		if r.message.fast == nil {
			t.Fatalf("%s: template is not on the fast path", name)
		}
		tmpls = append(tmpls, r.message)
	}
	payloads := []string{
		`{"a": "x", "b": {"c": 1}, "n": 1.25}`,
		`{"a": "x", "b": {"c": null}, "n": 1}`,
		`{"a": "x", "b": {}, "n": 1}`,
		`{"a": "x", "b": null, "n": 1}`,
		`{"a": "x", "b": "str", "n": 1}`,
		`{"a": [1, "<"], "b": {"c": {"d": true}}, "n": 12345678901234567890123}`,
	}
	for _, headers := range []map[string]string{{"h": "v"}, nil} {
		for _, p := range payloads {
			st := s.states.Get().(*evalState)
			ev := &Event{Source: SourceWebhook, Trigger: "orders", Headers: headers, Payload: mustJSON(t, p)}
			st.reset(ev, nil)
			for _, tp := range tmpls {
				slow := *tp
				slow.fast = nil
				fast, ferr := tp.render(st, false)
				want, werr := slow.render(st, false)
				if fast != want || (ferr == nil) != (werr == nil) {
					t.Errorf("%s headers=%v %s:\nfast %q, %v\nslow %q, %v", p, headers, tp.t.Name(), fast, ferr, want, werr)
				}
			}
			st.release()
		}
	}
}

func TestTemplateFuncs(t *testing.T) {
	s := mustLoad(t, `
rules:
  - name: r
    on: {webhook: orders}
    notify:
      channel: slack
      to: '"a"'
      text: >-
        {{ lower .event.name }} {{ upper .event.name }} [{{ trim .event.pad }}]
        {{ .event.missing | default "none" }} {{ join ", " .event.tags }} {{ json .event.obj }}
        {{ date "2006-01-02" .event.when }} {{ daysUntil .event.when }} {{ daysSince "2027-03-01" }}
        {{ range .event.tags }}<{{ . }}>{{ end }} {{ if index .event "absent" }}yes{{ else }}no{{ end }}
`)
	ev := &Event{Source: SourceWebhook, Trigger: "orders", Payload: mustJSON(t,
		`{"name": "Ann", "pad": "  x ", "missing": null, "tags": ["a", 2], "obj": {"k": "<v>"}, "when": "2027-03-17T10:00:00Z"}`)}
	res := s.Evaluate(ev)
	want := `ann ANN [x] none a, 2 {"k":"<v>"} 2027-03-17 10 6 <a><2> no`
	if len(res.Notifications) != 1 || res.Notifications[0].Message != want {
		t.Errorf("got %+v\nwant %s", res, want)
	}
}

func TestTemplateNeverRendersNoValue(t *testing.T) {
	s := mustLoad(t, `
rules:
  - name: r
    on: {webhook: orders}
    notify: {channel: slack, to: '"a"', text: "{{ range .event.list }}{{ . }}{{ end }}"}
`)
	res := s.Evaluate(&Event{Source: SourceWebhook, Trigger: "orders", Payload: mustJSON(t, `{"list": [1, null]}`)})
	if len(res.Failures) != 1 || !strings.Contains(res.Failures[0].Err.Error(), "value is missing or null") {
		t.Errorf("got %+v", res)
	}
}

func TestTemplateLimits(t *testing.T) {
	s := mustLoad(t, `
rules:
  - name: a-loop
    on: {webhook: orders}
    notify: {channel: slack, to: '"a"', text: "{{ range .event.n }}{{ end }}"}
  - name: b-nested
    on: {webhook: orders}
    notify: {channel: slack, to: '"a"', text: "{{ range .event.l }}{{ range $.event.l }}{{ end }}{{ end }}"}
  - name: c-long
    on: {webhook: orders}
    notify: {channel: slack, to: '"a"', text: "{{ range .event.l }}{{ printf \"%0100d\" 1 }}{{ end }}"}
  - name: d-fine
    on: {webhook: orders}
    notify: {channel: slack, to: '"a"', text: "{{ range $i, $e := .event.small }}{{ $i }}{{ $e }}{{ end }}{{ range 3 }}.{{ end }}"}
`)
	l := make([]any, 5000)
	for i := range l {
		l[i] = i
	}
	res := s.Evaluate(&Event{Source: SourceWebhook, Trigger: "orders", Payload: map[string]any{
		"n": 1_000_000_000_000, "l": l, "small": []any{"x", "y"}}})
	var got []string
	for _, f := range res.Failures {
		got = append(got, f.Rule+": "+f.Err.Error()[strings.LastIndex(f.Err.Error(), ": ")+2:])
	}
	want := []string{
		"a-loop: the template's loops visit more than 100000 elements",
		"b-nested: the template's loops visit more than 100000 elements",
		"c-long: rendered message exceeds 256 KiB",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("failures:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(res.Notifications) != 1 || res.Notifications[0].Message != "0x1y..." {
		t.Errorf("notifications: %+v", res.Notifications)
	}
}
