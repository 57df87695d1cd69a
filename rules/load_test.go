package rules

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// errorLines splits a joined load error into its lines.
func errorLines(err error) []string {
	if err == nil {
		return nil
	}
	return strings.Split(err.Error(), "\n")
}

func TestLoadBadFiles(t *testing.T) {
	tests := []struct {
		name  string
		files []string // under testdata/bad
		want  []string // without the "testdata/bad/" prefix
	}{
		{"yaml syntax error", []string{"syntax.yaml"}, []string{
			`syntax.yaml:3:1: YAML syntax error: did not find expected ',' or '}'`}},
		{"empty file", []string{"empty.yaml"}, []string{
			`empty.yaml:1:1: empty rule file: expected a "rules:" list`}},
		{"comments only", []string{"comments-only.yaml"}, []string{
			`comments-only.yaml:1:1: empty rule file: expected a "rules:" list`}},
		{"empty rules list", []string{"empty-list.yaml"}, []string{
			`empty-list.yaml:1:8: rules: empty list`}},
		{"unknown key", []string{"unknown-key.yaml"}, []string{
			`unknown-key.yaml:4:5: rule: unknown key "wehn" (did you mean "when"?)`}},
		{"non-boolean when", []string{"non-bool-when.yaml"}, []string{
			`non-bool-when.yaml:4:11: when: expected bool, but got int`}},
		{"when that can never be boolean", []string{"never-bool-when.yaml"}, []string{
			`never-bool-when.yaml:2:58: when: must be boolean, found a number or a string (the result of "+")`,
			`never-bool-when.yaml:3:59: when: must be boolean, found a number or a string (the result of "+")`,
			`never-bool-when.yaml:4:63: when: must be boolean, found a number (the result of "*")`,
			`never-bool-when.yaml:5:51: when: must be boolean, found a string literal`,
			`never-bool-when.yaml:6:50: when: must be boolean, found nil`,
			`never-bool-when.yaml:7:64: when: must be boolean, found a number literal`,
			`never-bool-when.yaml:12:13: when: must be boolean, found a number (the result of "**")`}},
		{"unknown name", []string{"unknown-name.yaml"}, []string{
			`unknown-name.yaml:4:12: when: unknown name evnt`}},
		{"unknown name in a block scalar", []string{"unknown-name-block.yaml"}, []string{
			`unknown-name-block.yaml:6:9: when: unknown name evnt`}},
		{"unknown meta field", []string{"unknown-meta.yaml"}, []string{
			`unknown-meta.yaml:4:16: when: unknown meta field "subjet" (meta has source, subject, webhook, schedule, headers, id, time)`}},
		{"item outside for_each", []string{"item-outside.yaml"}, []string{
			`item-outside.yaml:4:11: when: unknown name item (item is only defined in for_each rules)`,
			`item-outside.yaml:5:60: notify.text: unknown name .item (item is only defined in for_each rules)`}},
		{"bad cron", []string{"bad-cron.yaml"}, []string{
			`bad-cron.yaml:4:13: on.cron: cron spec "0 9 * *": expected 5 or 6 fields, found 4`}},
		{"bad time zone", []string{"bad-tz.yaml"}, []string{
			`bad-tz.yaml:5:17: on.timezone: unknown time zone "Europe/Berln"`}},
		{"unknown group", []string{"unknown-group.yaml"}, []string{
			`unknown-group.yaml:6:25: notify.groups: unknown group "financ" (configured groups: finance, ops)`}},
		{"unknown webhook", []string{"unknown-webhook.yaml"}, []string{
			`unknown-webhook.yaml:4:16: on.webhook: unknown webhook "ordrs" (configured webhooks: github, orders)`}},
		{"unknown dataset", []string{"unknown-dataset.yaml"}, []string{
			`unknown-dataset.yaml:4:20: for_each: unknown dataset "employes" (configured datasets: employees, products, regions)`,
			`unknown-dataset.yaml:5:58: notify.text: unknown dataset "employes" (configured datasets: employees, products, regions)`}},
		{"korelay's own subjects", []string{"reserved-subject.yaml"}, []string{
			`reserved-subject.yaml:3:16: on.nats: ">" reaches korelay's own subjects (korelay.webhook.>); rules listen to webhooks and cron with on.webhook and on.cron`,
			`reserved-subject.yaml:6:16: on.nats: "korelay.webhook.orders" reaches korelay's own subjects (korelay.webhook.>); rules listen to webhooks and cron with on.webhook and on.cron`}},
		{"tab in indentation", []string{"tab.yaml"}, []string{
			`tab.yaml:4:1: found a tab character in indentation (YAML allows only spaces)`}},
		{"duplicate name with other errors", []string{"dupe-with-errors.yaml"}, []string{
			`dupe-with-errors.yaml:5:11: duplicate rule name "shipped" (first defined at testdata/bad/dupe-with-errors.yaml:2:11)`,
			`dupe-with-errors.yaml:7:24: when: unexpected token EOF`,
			`dupe-with-errors.yaml:11:11: when: unknown name evnt`}},
		{"duplicate name across files", []string{"dup-a.yaml", "dup-b.yaml"}, []string{
			`dup-b.yaml:5:11: duplicate rule name "shipped" (first defined at testdata/bad/dup-a.yaml:2:11)`}},
		{"bad name", []string{"bad-name.yaml"}, []string{
			`bad-name.yaml:2:11: name "Order_Shipped": must match [a-z0-9-]+ (lower-case letters, digits and dashes)`}},
		{"missing keys, all reported", []string{"missing-keys.yaml"}, []string{
			`missing-keys.yaml:2:5: rule: missing required key "name"`,
			`missing-keys.yaml:2:5: rule: missing required key "on"`,
			`missing-keys.yaml:4:7: notify: missing required key "channel" (msteams or slack)`,
			`missing-keys.yaml:4:7: notify: missing the message: text or script`,
			`missing-keys.yaml:7:13: notify: needs to (an expression) or groups, or both`,
			`missing-keys.yaml:7:13: notify: missing the message: text or script`}},
		{"two triggers", []string{"two-triggers.yaml"}, []string{
			`two-triggers.yaml:5:7: on: only one of nats, webhook and cron may be set, found webhook and nats`}},
		{"timezone and catch_up without cron", []string{"tz-without-cron.yaml"}, []string{
			`tz-without-cron.yaml:5:7: on.timezone: only allowed with on.cron`,
			`tz-without-cron.yaml:6:7: on.catch_up: only allowed with on.cron`}},
		{"bad values", []string{"bad-values.yaml"}, []string{
			`bad-values.yaml:3:16: on.nats: subject "orders.>.created": ">" must be the last token`,
			`bad-values.yaml:3:36: on.catch_up: only allowed with on.cron`,
			`bad-values.yaml:4:11: mode: must be live or shadow, found "dry"`,
			`bad-values.yaml:5:23: notify.channel: must be msteams or slack, found "teams"`,
			`bad-values.yaml:5:57: notify: set text or script, not both`,
			`bad-values.yaml:6:42: dedup.for: invalid duration "1d" (use Go syntax such as 30m, 6h or 24h)`}},
		{"result types", []string{"bad-types.yaml"}, []string{
			`bad-types.yaml:4:15: for_each: must be a list, found string`,
			`bad-types.yaml:5:34: notify.to: must be a string or a list of strings, found int`}},
		{"template errors", []string{"template-errors.yaml"}, []string{
			`template-errors.yaml:4:54: notify.text: template: unexpected "}" in operand`,
			`template-errors.yaml:12:17: notify.text: unknown name .evnt (templates see .event, .meta, .item, .data and .now) (did you mean "event"?)`,
			`template-errors.yaml:12:36: notify.text: unknown meta field "subjct" (meta has source, subject, webhook, schedule, headers, id, time)`,
			`template-errors.yaml:15:54: notify.text: {{define}} and {{block}} are not supported in rule templates`,
			`template-errors.yaml:15:92: notify.text: {{template}} is not supported in rule templates`}},
		{"unquoted identity", []string{"unquoted-identity.yaml"}, []string{
			`unquoted-identity.yaml:4:37: notify.to: unrecognized character: U+0040 '@'; to name an identity literally, quote it: '"ann@example.com"'`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var paths []string
			for _, f := range tt.files {
				paths = append(paths, filepath.Join("testdata", "bad", f))
			}
			set, err := Load(paths, testEnv(t))
			if set != nil || err == nil {
				t.Fatalf("Load succeeded, want errors")
			}
			got := errorLines(err)
			var want []string
			for _, w := range tt.want {
				want = append(want, "testdata/bad/"+w)
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Errorf("errors.As(*Error) failed for %T", err)
			}
		})
	}
}

func TestLoadErrorsFromAllFilesAtOnce(t *testing.T) {
	paths := []string{"testdata/bad/unknown-key.yaml", "testdata/bad/bad-tz.yaml", "testdata/bad/missing.yaml"}
	_, err := Load(paths, testEnv(t))
	got := errorLines(err)
	if len(got) != 3 {
		t.Fatalf("got %d errors, want 3:\n%v", len(got), err)
	}
	if !strings.HasPrefix(got[2], "testdata/bad/unknown-key.yaml:4:5:") ||
		!strings.HasPrefix(got[1], "testdata/bad/missing.yaml:1:1: read rule file: no such file") {
		t.Errorf("errors:\n%v", err)
	}
}

func TestLoadGood(t *testing.T) {
	s, err := LoadGlobs(".", []string{"testdata/good/*.yaml"}, testEnv(t))
	if err != nil {
		t.Fatalf("LoadGlobs: %v", err)
	}
	var names []string
	for _, r := range s.Rules() {
		names = append(names, r.Name)
	}
	if got, want := strings.Join(names, " "), "expense-reminder order-shipped order-updated password-expiry"; got != want {
		t.Errorf("rules = %s, want %s", got, want)
	}
	r, ok := s.Rule("expense-reminder")
	if !ok {
		t.Fatal("Rule(expense-reminder) not found")
	}
	if r.On.Timezone.String() != "Europe/Berlin" || r.On.CatchUp != 6*time.Hour || r.Schedule == nil ||
		r.Schedule.String() != "0 9 * * MON" || r.Line != 2 || r.Column != 5 || r.DedupFor != 0 {
		t.Errorf("expense-reminder = %+v", r)
	}
	if r, _ := s.Rule("order-shipped"); r.DedupFor != 24*time.Hour || r.MessageType != "text" || r.Mode != ModeLive {
		t.Errorf("order-shipped = %+v", r)
	}
	if got := s.CronRules(); len(got) != 2 || got[0].Name != "expense-reminder" || got[1].Name != "password-expiry" {
		t.Errorf("CronRules = %v", got)
	}
	if got := strings.Join(s.NATSSubjects(), " "); got != "orders.*.updated" {
		t.Errorf("NATSSubjects = %s", got)
	}
	files := s.Files()
	if len(files) != 5 || filepath.Base(files[0]) != "cron.yaml" || filepath.Base(files[2]) != "employees.csv" {
		t.Errorf("Files = %v", files)
	}
}

func TestLoadGlobsErrors(t *testing.T) {
	_, err := LoadGlobs(".", []string{"testdata/good/*.yaml", "testdata/none/*.yaml", "[x"}, testEnv(t))
	got := errorLines(err)
	want := []string{
		`rules glob "testdata/none/*.yaml" matches no files`,
		`rules glob "[x": syntax error in pattern`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors:\n%v\nwant:\n%s", err, strings.Join(want, "\n"))
	}
}

func TestNATSSubjectsMinimal(t *testing.T) {
	s := mustLoad(t, `
rules:
  - {name: a, on: {nats: orders.eu.created}, notify: {channel: slack, to: event.email, text: hi}}
  - {name: b, on: {nats: "orders.*.created"}, notify: {channel: slack, to: event.email, text: hi}}
  - {name: c, on: {nats: "orders.*.created"}, notify: {channel: slack, to: event.email, text: hi}}
  - {name: d, on: {nats: "billing.>"}, notify: {channel: slack, to: event.email, text: hi}}
  - {name: e, on: {nats: "billing.*"}, notify: {channel: slack, to: event.email, text: hi}}
  - {name: f, on: {nats: "users.created"}, notify: {channel: slack, to: event.email, text: hi}}
  - {name: g, on: {nats: "users.*.deleted"}, notify: {channel: slack, to: event.email, text: hi}}
  - {name: h, on: {nats: "users.eu.*"}, notify: {channel: slack, to: event.email, text: hi}}
`)
	// users.*.deleted and users.eu.* overlap (users.eu.deleted): JetStream
	// refuses both in one stream, so they are captured as users.*.*.
	if got := strings.Join(s.NATSSubjects(), " "); got != "billing.> orders.*.created users.*.* users.created" {
		t.Errorf("NATSSubjects = %s", got)
	}
}

func TestLoadDatasetErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	env := testEnv(t)
	env.Datasets = map[string]string{
		"a": write("a.csv", "email,name\nann@example.com\n"),
		"b": write("b.json", "[1,\n 2,,]"),
		"c": write("c.yaml", "a: 1\n b: 2\n"),
		"d": write("d.txt", "x"),
		"e": write("e.csv", "email,email\n"),
		"f": filepath.Join(dir, "missing.csv"),
	}
	_, err := Load(nil, env)
	got := strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), "")
	want := strings.Join([]string{
		`a.csv:2:1: dataset "a": CSV: wrong number of fields`,
		`b.json:2:5: dataset "b": decode JSON: invalid character ',' looking for beginning of value`,
		`c.yaml:2:1: dataset "c": YAML syntax error: mapping values are not allowed in this context`,
		`d.txt:1:1: dataset "d": unsupported file type ".txt" (use .yaml, .yml, .json or .csv)`,
		`e.csv:1:1: dataset "e": CSV header: duplicate column "email"`,
		`missing.csv:1:1: dataset "f": read: no such file or directory`,
	}, "\n")
	if got != want {
		t.Errorf("errors:\n%s\nwant:\n%s", got, want)
	}
}

func TestLoadAnchorsAndMergeKeys(t *testing.T) {
	s := mustLoad(t, `
rules:
  - name: first
    on: {webhook: orders}
    notify: &slack
      channel: slack
      to: event.email
      text: "first {{ .event.id }}"
  - name: second
    on: {webhook: orders}
    notify:
      <<: *slack
      text: "second {{ .event.id }}"
`)
	res := s.Evaluate(&Event{Source: SourceWebhook, Trigger: "orders", Payload: map[string]any{"id": 1, "email": "a@example.com"}})
	if len(res.Notifications) != 2 || res.Notifications[1].Message != "second 1" || res.Notifications[1].Channel != "slack" {
		t.Errorf("got %+v", res)
	}
}
