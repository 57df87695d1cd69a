package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/korelay/korelay/kore"
	"github.com/korelay/korelay/kore/koretest"
)

// korelay runs one command line in-process and returns its exit code and
// output.
func korelay(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// writeConfig writes a korelay.yaml for the fake Kore server and returns
// its path.
func writeConfig(t *testing.T, srv *koretest.Server, extra string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "rules.yaml"), []byte(testRules), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := "rules: [./rules.yaml]\nwebhooks:\n  orders:\n    auth: {type: none}\n"
	if srv != nil {
		t.Setenv("TEST_KORE_SECRET", srv.ClientSecret)
		cfg += fmt.Sprintf("kore:\n  host: %s\n  bot_id: %s\n  client_id: %s\n  client_secret: ${TEST_KORE_SECRET}\n",
			srv.URL, srv.BotID, srv.ClientID)
	}
	file := filepath.Join(dir, "korelay.yaml")
	if err := os.WriteFile(file, []byte(cfg+extra), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

const testRules = `rules:
  - name: order-shipped
    on: {webhook: orders}
    when: event.status == "shipped"
    notify:
      channel: slack
      to: event.email
      text: "Order {{ .event.id }} shipped."
`

func TestNotifyChunksAndPrintsJobs(t *testing.T) {
	srv := koretest.Start(t)
	file := writeConfig(t, srv, "")
	ids := make([]string, 2500)
	for i := range ids {
		ids[i] = fmt.Sprintf("user%d@example.com", i)
	}
	code, stdout, stderr := korelay(t, "notify", "-config", file, "-channel", "msteams", "-to", strings.Join(ids, ","), "-text", "hello")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	calls := srv.NotifyCalls()
	var sizes []int
	var all []string
	for _, c := range calls {
		sizes = append(sizes, len(c.Notify.Identities))
		all = append(all, c.Notify.Identities...)
		if c.Notify.Channel != "msteams" || c.Notify.Message != (kore.Message{Type: "text", Val: "hello"}) {
			t.Errorf("call body = %+v", c.Notify)
		}
	}
	if !slices.Equal(sizes, []int{1000, 1000, 500}) || !slices.Equal(all, ids) {
		t.Fatalf("chunks = %v (identities in order: %v)", sizes, slices.Equal(all, ids))
	}
	if got := strings.Count(stdout, "job ds-"); got != 3 {
		t.Errorf("printed %d job ids:\n%s", got, stdout)
	}
}

func TestNotifyScriptAndDryRun(t *testing.T) {
	srv := koretest.Start(t)
	file := writeConfig(t, srv, "")
	code, _, stderr := korelay(t, "notify", "-config", file, "-channel", "slack", "-to", "a@x.com", "-script", "print('hi')")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if c := srv.NotifyCalls(); len(c) != 1 || c[0].Notify.Message.Type != "script" {
		t.Fatalf("calls = %+v", c)
	}
	code, stdout, stderr := korelay(t, "notify", "-config", file, "-dry-run", "-channel", "slack", "-to", "b@x.com", "-text", "hi")
	if code != 0 {
		t.Fatalf("dry run exit %d: %s", code, stderr)
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(strings.SplitN(stdout, "\n", 2)[0]), &line); err != nil || line["channel"] != "slack" {
		t.Fatalf("dry run printed %q (%v)", stdout, err)
	}
	if len(srv.NotifyCalls()) != 1 {
		t.Fatal("dry run sent a request")
	}
}

func TestNotifyErrors(t *testing.T) {
	srv := koretest.Start(t)
	file := writeConfig(t, srv, "")
	noCreds := writeConfig(t, nil, "")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown channel", []string{"-config", file, "-channel", "email", "-to", "a@x.com", "-text", "x"}, 2, `-channel "email": want msteams or slack`},
		{"channel checked before the config", []string{"-config", "/nonexistent/korelay.yaml", "-channel", "teams", "-to", "a", "-text", "x"}, 2, `-channel "teams"`},
		{"no channel", []string{"-config", file, "-to", "a@x.com", "-text", "x"}, 2, `-channel "": want msteams or slack`},
		{"no text", []string{"-config", file, "-channel", "slack", "-to", "a@x.com"}, 2, "-text or -script is required"},
		{"text and script", []string{"-config", file, "-channel", "slack", "-to", "a", "-text", "x", "-script", "y"}, 2, "not both"},
		{"no identities", []string{"-config", file, "-channel", "slack", "-to", " , ", "-text", "x"}, 2, "-to needs at least one identity"},
		{"missing credentials", []string{"-config", noCreds, "-channel", "slack", "-to", "a@x.com", "-text", "x"}, 1, "kore.bot_id is not set"},
		{"missing config", []string{"-config", "/nonexistent/korelay.yaml", "-channel", "slack", "-to", "a", "-text", "x"}, 1, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := korelay(t, append([]string{"notify"}, tt.args...)...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d containing %q", code, stderr, tt.code, tt.want)
			}
			if strings.Contains(stderr, srv.ClientSecret) {
				t.Fatal("the client secret was printed")
			}
		})
	}
	if n := len(srv.NotifyCalls()); n != 0 {
		t.Fatalf("%d calls sent for invalid command lines", n)
	}
}

func TestKoreFailureIsOneLine(t *testing.T) {
	srv := koretest.Start(t)
	file := writeConfig(t, srv, "")
	srv.FailNext(1, koretest.Failure{Status: 400, Body: `{"errors":[{"msg":"channel not enabled","code":400}]}`})
	code, _, stderr := korelay(t, "notify", "-config", file, "-channel", "slack", "-to", "a@x.com", "-text", "x")
	if code != 1 || !strings.Contains(stderr, "channel not enabled") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

func TestDevices(t *testing.T) {
	srv := koretest.Start(t)
	file := writeConfig(t, srv, "")
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"subscribe", "-user", "u-1", "-device", "d-1", "-os", "ANDROID"}, "d-1 Android: Subscribed"},
		{[]string{"subscribe", "-user", "u-1", "-device", "d-2", "-os", "ios"}, "d-2 iOS: Subscribed"},
		{[]string{"list", "-user", "u-1"}, "d-2 iOS: Subscribed"},
		{[]string{"unsubscribe", "-user", "u-1", "-device", "d-1"}, "d-1 Android: unsubscribed"},
		{[]string{"unsubscribe", "-user", "u-1", "-device", "nope", "-os", "ios"}, "nope: unknown device"},
		{[]string{"unsubscribe", "-user", "u-1", "-all"}, "All Devices are unsubscribed"},
		{[]string{"list", "-user", "u-1"}, "no devices subscribed for u-1"},
	}
	for _, s := range steps {
		code, stdout, stderr := korelay(t, append(append([]string{"devices"}, s.args...), "-config", file)...)
		if code != 0 || !strings.Contains(stdout, s.want) {
			t.Fatalf("devices %v: exit %d\nstdout %q\nstderr %q\nwant %q", s.args, code, stdout, stderr, s.want)
		}
	}
	var sub map[string]string
	for _, c := range srv.Calls() {
		if c.Method == "POST" {
			_ = json.Unmarshal(c.Body, &sub)
			break
		}
	}
	if sub["osType"] != "Android" || sub["userId"] != "u-1" || sub["deviceId"] != "d-1" {
		t.Errorf("subscribe body = %v", sub)
	}
}

func TestDevicesUsage(t *testing.T) {
	file := writeConfig(t, koretest.Start(t), "")
	for _, args := range [][]string{
		{"devices"},
		{"devices", "list"},
		{"devices", "subscribe", "-user", "u", "-device", "d"},
		{"devices", "subscribe", "-user", "u", "-device", "d", "-os", "windows"},
		{"devices", "unsubscribe", "-user", "u"},
		{"devices", "unsubscribe", "-user", "u", "-all", "-device", "d"},
		{"devices", "explode", "-user", "u"},
		{"devices", "list", "-user", "u", "-device", "d"},
		{"devices", "subscribe", "-user", "u", "-device", "d", "-os", "ios", "-all"},
		{"devices", "unsubscribe", "-user", "u", "-all", "-os", "ios"},
		{"devices", "list", "-user", "u", "extra"},
	} {
		if code, _, _ := korelay(t, append(args, "-config", file)...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

func TestValidateReportsPositions(t *testing.T) {
	file := writeConfig(t, nil, "")
	code, stdout, _ := korelay(t, "validate", "-config", file)
	if code != 0 || !strings.HasSuffix(stdout, ": ok: 1 rule in 1 rule file\n") {
		t.Fatalf("exit %d: %s", code, stdout)
	}
	bad := filepath.Join(filepath.Dir(file), "rules.yaml")
	if err := os.WriteFile(bad, []byte("rules:\n  - name: x\n    wehn: true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := korelay(t, "validate", "-config", file)
	if code != 1 || !strings.Contains(stderr, "rules.yaml:3:5:") || strings.Contains(stderr, "korelay: ") {
		t.Fatalf("exit %d, stderr %q: want file:line:col lines", code, stderr)
	}
}

func TestEvalAndTest(t *testing.T) {
	file := writeConfig(t, nil, "")
	dir := filepath.Dir(file)
	event := filepath.Join(dir, "event.json")
	os.WriteFile(event, []byte(`{"id": 1234567890123456789012, "status": "shipped", "email": "a@x.com"}`), 0o600)
	code, stdout, stderr := korelay(t, "eval", "-config", file, "-on", "webhook:orders", "-event", event)
	if code != 0 || !strings.Contains(stdout, "Order 1234567890123456789012 shipped.") {
		t.Fatalf("eval exit %d\n%s%s", code, stdout, stderr)
	}
	tests := filepath.Join(dir, "rules_test.yaml")
	os.WriteFile(tests, []byte(`tests:
  - name: passes
    on: webhook:orders
    event: {id: 1, status: shipped, email: a@x.com}
    expect: [{rule: order-shipped, to: [a@x.com], text: "Order 1 shipped."}]
  - name: fails
    on: webhook:orders
    event: {id: 2, status: shipped, email: a@x.com}
    expect: [{rule: order-shipped, text: "Order 3 shipped."}]
`), 0o600)
	code, stdout, _ = korelay(t, "test", "-config", file, tests)
	if code != 1 || !strings.Contains(stdout, `text: expected "Order 3 shipped.", got "Order 2 shipped."`) ||
		!strings.Contains(stdout, "1 passed, 1 failed") {
		t.Fatalf("test exit %d:\n%s", code, stdout)
	}
}

func TestUsageAndVersion(t *testing.T) {
	if code, _, stderr := korelay(t); code != 2 || !strings.Contains(stderr, "usage: korelay") {
		t.Fatalf("no args: %d %q", code, stderr)
	}
	if code, _, _ := korelay(t, "frobnicate"); code != 2 {
		t.Fatalf("unknown command exit %d", code)
	}
	if code, stdout, _ := korelay(t, "version"); code != 0 || !strings.HasPrefix(stdout, "korelay ") {
		t.Fatalf("version: %d %q", code, stdout)
	}
}

func TestRunRefusesWithoutCredentials(t *testing.T) {
	file := writeConfig(t, nil, "")
	code, _, stderr := korelay(t, "run", "-config", file)
	if code != 1 || !strings.Contains(stderr, "kore.bot_id is not set") || !strings.Contains(stderr, "-dry-run") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if !strings.HasPrefix(line, "korelay: ") || strings.HasPrefix(line, "korelay: korelay: ") {
			t.Errorf("stderr line %q: want one \"korelay: \" prefix", line)
		}
	}
}

// A webhook the configuration does not define can never send an event:
// eval and test say so instead of reporting "no notifications" (which an
// `expect: []` case would take for a pass).
func TestUnknownWebhookTrigger(t *testing.T) {
	file := writeConfig(t, nil, "")
	dir := filepath.Dir(file)
	event := filepath.Join(dir, "event.json")
	if err := os.WriteFile(event, []byte(`{"status": "shipped"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := korelay(t, "eval", "-config", file, "-on", "webhook:order", "-event", event)
	if code != 1 || !strings.Contains(stderr, `no webhook named "order"`) {
		t.Errorf("eval -on webhook:order: exit %d\nstdout %q\nstderr %q", code, stdout, stderr)
	}
	tests := filepath.Join(dir, "typo_test.yaml")
	if err := os.WriteFile(tests, []byte("tests:\n  - name: silent\n    on: webhook:order\n    event: {status: pending}\n    expect: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ = korelay(t, "test", "-config", file, tests)
	if code != 1 || !strings.Contains(stdout, `no webhook named "order"`) || !strings.Contains(stdout, "0 passed, 1 failed") {
		t.Errorf("test with webhook:order: exit %d\n%s", code, stdout)
	}
}

// A mistyped -log-level or -log-format is a usage error, not silently the
// default.
func TestRunRejectsBadLogFlags(t *testing.T) {
	// No such file: without the flag check run stops at the config (exit 1).
	file := filepath.Join(t.TempDir(), "missing.yaml")
	for _, args := range [][]string{{"-log-level", "loud"}, {"-log-format", "xml"}} {
		code, _, stderr := korelay(t, append([]string{"run", "-dry-run", "-config", file}, args...)...)
		if code != 2 || !strings.Contains(stderr, args[0]) {
			t.Errorf("run %v: exit %d, stderr %q; want 2 naming the flag", args, code, stderr)
		}
	}
}

// eval prints every notification and every rule that failed to render, and
// exits 1 when one failed, so it can gate CI.
func TestEvalExitsOneOnRenderFailure(t *testing.T) {
	file := writeConfig(t, nil, "")
	dir := filepath.Dir(file)
	rules := testRules + `  - name: order-greeting
    on: {webhook: orders}
    notify:
      channel: msteams
      to: event.email
      text: "Hi {{ .event.customer.name }}"
`
	if err := os.WriteFile(filepath.Join(dir, "rules.yaml"), []byte(rules), 0o600); err != nil {
		t.Fatal(err)
	}
	event := filepath.Join(dir, "event.json")
	if err := os.WriteFile(event, []byte(`{"id": 7, "status": "shipped", "email": "a@x.com"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := korelay(t, "eval", "-config", file, "-on", "webhook:orders", "-event", event)
	if code != 1 || !strings.Contains(stdout, "rule order-shipped (live): slack to 1 identity: a@x.com") ||
		!strings.Contains(stdout, "rule order-greeting: error:") {
		t.Errorf("exit %d\nstdout %q\nstderr %q\nwant exit 1 with the notification and the failure", code, stdout, stderr)
	}
}

// A dry run never claims results it did not query: list says Kore was not
// asked, and unsubscribe without -os prints the lookup it would make
// instead of pretending to know the devices' OS types.
func TestDevicesDryRun(t *testing.T) {
	srv := koretest.Start(t)
	file := writeConfig(t, srv, "")
	tests := []struct {
		name      string
		args      []string
		want, not []string
	}{
		{"list", []string{"list", "-user", "u-1"},
			[]string{`"method":"GET"`, "subscribeddevices?uId=u-1", "dry run: Kore was not queried"},
			[]string{"no devices subscribed"}},
		{"unsubscribe without -os", []string{"unsubscribe", "-user", "u-1", "-device", "d-1,d-2"},
			[]string{"would look up each device's OS type", "subscribeddevices?uId=u-1", `"method":"DELETE"`,
				`{"deviceId":"d-1","osType":"(from the device list)"}`, "nothing was sent"},
			[]string{"not subscribed"}},
		{"unsubscribe with -os", []string{"unsubscribe", "-user", "u-1", "-device", "d-1", "-os", "IOS"},
			[]string{`{"deviceId":"d-1","osType":"iOS"}`, "nothing was sent"},
			[]string{"GET", "look up"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := korelay(t, append(append([]string{"devices"}, tt.args...), "-dry-run", "-config", file)...)
			if code != 0 {
				t.Fatalf("exit %d\nstdout %q\nstderr %q", code, stdout, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(stdout, n) {
					t.Errorf("stdout has %q:\n%s", n, stdout)
				}
			}
		})
	}
	if calls := srv.Calls(); len(calls) != 0 {
		t.Errorf("a dry run made %d calls to Kore", len(calls))
	}
}

// schedule -from takes an RFC 3339 time (fires strictly after it) or a
// date (from 00:00 UTC that day, a fire at midnight included).
func TestScheduleFrom(t *testing.T) {
	file := writeConfig(t, nil, "")
	rules := testRules + "  - name: nightly\n    on: {cron: \"0 0 * * *\"}\n    notify: {channel: slack, to: '\"a@x.com\"', text: hi}\n"
	if err := os.WriteFile(filepath.Join(filepath.Dir(file), "rules.yaml"), []byte(rules), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		from  string
		code  int
		first string
	}{
		{"2027-11-06", 0, "nightly  2027-11-06T00:00:00Z  UTC"},
		{"2027-11-06T00:00:00Z", 0, "nightly  2027-11-07T00:00:00Z  UTC"},
		{"2027-11-06T01:00:00+01:00", 0, "nightly  2027-11-07T00:00:00Z  UTC"},
		{"06.11.2027", 2, ""},
	}
	for _, tt := range tests {
		code, stdout, stderr := korelay(t, "schedule", "-config", file, "-n", "1", "-from", tt.from)
		if code != tt.code || !strings.HasPrefix(stdout, tt.first) {
			t.Errorf("-from %s: exit %d\nstdout %q\nstderr %q\nwant exit %d, first line %q", tt.from, code, stdout, stderr, tt.code, tt.first)
		}
	}
}

// validate counts rule files, not the datasets the rules read.
func TestValidateCountsRuleFiles(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"rules/a.yaml": testRules,
		"rules/b.yaml": "rules:\n  - name: b1\n    on: {nats: b.x}\n    notify: {channel: slack, to: event.e, text: t}\n  - name: b2\n    on: {nats: b.y}\n    notify: {channel: slack, to: event.e, text: t}\n",
		"people.csv":   "email\na@x.com\n",
		"teams.json":   `[{"name": "t"}]`,
		"korelay.yaml": "rules: [./rules/*.yaml]\nwebhooks:\n  orders:\n    auth: {type: none}\ndatasets:\n  people: ./people.csv\n  teams: ./teams.json\n",
	}
	for name, text := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr := korelay(t, "validate", "-config", filepath.Join(dir, "korelay.yaml"))
	if code != 0 || !strings.HasSuffix(stdout, ": ok: 3 rules in 2 rule files\n") {
		t.Errorf("exit %d\nstdout %q\nstderr %q", code, stdout, stderr)
	}
}

// A missing configuration says where to start; a folder says it is one.
func TestConfigFileErrors(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"validate"}, "korelay.yaml: no such file; copy config.example.yaml to start, or pass -config FILE"},
		{[]string{"schedule", "-config", dir}, dir + ": is a folder"},
	} {
		code, _, stderr := korelay(t, tt.args...)
		if code != 1 || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want %q", tt.args, code, stderr, tt.want)
		}
	}
}
