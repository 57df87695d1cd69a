package rules

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// errorLineRE is the shape of every load error line.
var errorLineRE = regexp.MustCompile(`^[^\n]+:\d+:\d+: [^\n]+$`)

func FuzzLoad(f *testing.F) {
	for _, glob := range []string{"testdata/good/*.yaml", "testdata/bad/*.yaml"} {
		files, _ := filepath.Glob(glob)
		for _, file := range files {
			src, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(src)
		}
	}
	f.Add([]byte(devicesRules))
	f.Add([]byte(`rules:
  - name: night
    on: {webhook: orders}
    for_each: event.people
    notify: {channel: slack, to: item.email, text: "hi"}
    quiet_hours: {between: "22:00-07:00", timezone_from: item.tz, timezone: Europe/Berlin}
  - name: daily
    on: {webhook: orders}
    notify: {channel: slack, to: event.email, text: "{{ .event.id }}"}
    digest: {cron: "0 18 * * *", timezone: Europe/Berlin, text: "{{ .count }}: {{ range .items }}{{ .text }} {{ end }}"}
`))
	env := testEnv(f)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, src []byte) {
		path := filepath.Join(dir, "rules.yaml")
		if err := os.WriteFile(path, src, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := Load([]string{path}, env)
		if err != nil {
			if s != nil {
				t.Fatal("Load returned a set and an error")
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if !errorLineRE.MatchString(line) || !strings.HasPrefix(line, path+":") {
					t.Fatalf("error line %q is not file:line:col: message", line)
				}
			}
			return
		}
		payload := map[string]any{"id": 1, "status": "shipped", "email": "a@example.com", "customer": map[string]any{"name": "A"}}
		for _, r := range s.Rules() {
			ev := Event{ID: "f", Payload: payload, Time: testNow}
			switch {
			case r.On.NATS != "":
				ev.Source, ev.Trigger = SourceNATS, strings.NewReplacer("*", "x", ">", "y").Replace(r.On.NATS)
			case r.On.Webhook != "":
				ev.Source, ev.Trigger = SourceWebhook, r.On.Webhook
			default:
				ev = CronEvent(r.Name, testNow, testNow)
			}
			res := s.Evaluate(&ev)
			for _, n := range res.Notifications {
				if strings.Contains(n.Message, "<no value>") {
					t.Fatalf("rule %s rendered <no value>: %q", r.Name, n.Message)
				}
			}
		}
	})
}

// FuzzTemplate renders fuzzed templates against fuzzed payloads on both
// paths (fast and text/template) and checks they agree and never print
// "<no value>".
func FuzzTemplate(f *testing.F) {
	seeds := []struct{ tmpl, payload string }{
		{"Hi {{ .event.name }}", `{"name": "Ann"}`},
		{"{{ .event.a.b }}-{{ .meta.source }}", `{"a": {"b": 12345678901234567890}}`},
		{"{{ .event.missing }}", `{}`},
		{"{{ .event.x }}", `{"x": null}`},
		{"{{ range .event.l }}{{ . }},{{ end }}", `{"l": [1, "two", null]}`},
		{"{{ .event.n | printf \"%05d\" }} {{ upper .event.s }}", `{"n": 7, "s": "x"}`},
		{"{{ if index .event \"flag\" }}on{{ else }}off{{ end }}", `{"flag": false}`},
		{"{{ daysUntil .event.d }} {{ date \"2006\" .now }}", `{"d": "2027-03-09"}`},
		{"{{ .event }}", `[1, {"a": "</script>"}]`},
		{"{{ $.event.k }} {{ .meta.headers.h }}", `{"k": "\u2028"}`},
	}
	for _, s := range seeds {
		f.Add(s.tmpl, []byte(s.payload), false)
		f.Add(s.tmpl, []byte(s.payload), true)
	}
	errs := &errorList{}
	c := newCompiler(testEnv(f), errs)
	set := newSet(nil, nil, map[string]any{"employees": []any{}}, func() time.Time { return testNow })
	f.Fuzz(func(t *testing.T, src string, payload []byte, js bool) {
		errs.errs = nil
		tp := c.compileTemplate("fuzz", "text", src, valuePos{file: "f", line: 1, col: 1}, js, true)
		if tp == nil {
			if len(errs.errs) == 0 {
				t.Fatal("template rejected without an error")
			}
			return
		}
		v, err := DecodeJSON(payload)
		if err != nil {
			return
		}
		st := newEvalState(set)
		st.reset(&Event{Source: SourceNATS, Trigger: "a.b", Headers: map[string]string{"h": "v"}, Payload: v}, nil)
		st.setItem(v)
		got, gotErr := tp.render(st, true)
		if gotErr == nil && strings.Contains(got, "<no value>") && !strings.Contains(string(payload), "no value") && !strings.Contains(src, "no value") {
			t.Fatalf("rendered <no value>: %q", got)
		}
		if tp.fast != nil {
			slow := *tp
			slow.fast = nil
			want, wantErr := slow.render(st, true)
			if got != want || (gotErr == nil) != (wantErr == nil) {
				t.Fatalf("fast %q, %v; text/template %q, %v", got, gotErr, want, wantErr)
			}
		}
	})
}

// FuzzScriptEscape checks that any string interpolated into a script is
// one JavaScript string literal holding exactly that string.
func FuzzScriptEscape(f *testing.F) {
	for _, s := range []string{`"; alert(1); //`, "`${x}`", "</script>", "\u2028\u2029", "\x00\\'", "<!--", "*/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lit, err := formatJS(s)
		if err != nil {
			t.Fatal(err)
		}
		if len(lit) < 2 || lit[0] != '"' || lit[len(lit)-1] != '"' {
			t.Fatalf("not a string literal: %s", lit)
		}
		inner := lit[1 : len(lit)-1]
		for _, bad := range []string{"\"", "'", "`", "$", "<", ">", "/", "\u2028", "\u2029", "\n", "\r"} {
			if strings.Contains(strings.ReplaceAll(strings.ReplaceAll(inner, `\\`, ""), `\`+bad, ""), bad) {
				t.Fatalf("literal %s contains raw %q", lit, bad)
			}
		}
		var back string
		if err := json.Unmarshal([]byte(lit), &back); err != nil {
			t.Fatalf("literal %s: %v", lit, err)
		}
		if want := string([]rune(s)); back != want { // each invalid byte reads as U+FFFD
			t.Fatalf("literal %s reads back as %q, want %q", lit, back, want)
		}
	})
}

// FuzzSubjectMatch checks the subject tree against a direct comparison of
// patterns and subjects.
func FuzzSubjectMatch(f *testing.F) {
	f.Add("orders.*.created orders.> *.eu.* billing.invoice", "orders.eu.created")
	f.Add("a a.b a.* a.> *.b > *", "a.b")
	f.Add("a.*.c a.b.*", "a.b.c")
	f.Add("x.>", "x")
	f.Add("a..b *", "a..b")
	f.Fuzz(func(t *testing.T, patterns, subject string) {
		checkSubjectTree(t, strings.Fields(patterns), subject)
	})
}
