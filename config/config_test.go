package config

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

const minimal = "rules: [./rules/*.yaml]\n"

func TestParseDefaults(t *testing.T) {
	cfg, err := Parse("/etc/korelay/korelay.yaml", []byte(minimal), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"host", cfg.Kore.Host, "https://platform.kore.ai"},
		{"timeout", cfg.Kore.Timeout, 10 * time.Second},
		{"per_minute", cfg.Kore.Budget.PerMinute, 600},
		{"per_hour", cfg.Kore.Budget.PerHour, 18000},
		{"listen", cfg.NATS.Listen, "127.0.0.1:4222"},
		{"data_dir", cfg.NATS.DataDir, "/etc/korelay/data"},
		{"stream", cfg.NATS.Stream, "KORELAY"},
		{"max_ack_pending", cfg.NATS.MaxAckPending, 512},
		{"jetstream", cfg.NATS.UseJetStream(), true},
		{"http", cfg.HTTP.Listen, "127.0.0.1:8080"},
		{"max_body", cfg.HTTP.MaxBody, Size(1 << 20)},
		{"dir", cfg.Dir, "/etc/korelay"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{"unknown top-level key", "rules: [a]\nrulez: [b]\n",
			[]string{"k.yaml:2:1: rulez: unknown key (known keys: datasets, dry_run, groups, http, journal, kore, log, nats, rules, webhooks)"}},
		{"unknown nested key", "rules: [a]\nkore:\n  hots: x\n",
			[]string{"k.yaml:3:3: kore.hots: unknown key"}},
		{"wrong type", "rules: [a]\nkore:\n  budget: {per_minute: lots}\n",
			[]string{"k.yaml:3:24: kore.budget.per_minute: cannot unmarshal !!str `lots` into int"}},
		{"bad duration", "rules: [a]\nkore:\n  timeout: ten\n",
			[]string{"k.yaml:3:12: kore.timeout:"}},
		{"bad size", "rules: [a]\nhttp:\n  max_body: 1 parsec\n",
			[]string{"k.yaml:3:13: http.max_body: invalid size"}},
		{"bad host", "rules: [a]\nkore:\n  host: platform.kore.ai\n",
			[]string{"k.yaml:3:9: kore.host: want an http(s) URL"}},
		{"no rules", "kore: {}\n", []string{"k.yaml: rules: list at least one rule file"}},
		{"webhook without auth type", "rules: [a]\nwebhooks:\n  orders:\n    auth: {secret: x}\n",
			[]string{"k.yaml:4:5: webhooks.orders.auth.type: required"}},
		{"webhook unknown type", "rules: [a]\nwebhooks:\n  orders:\n    auth: {type: basic}\n",
			[]string{"k.yaml:4:18: webhooks.orders.auth.type: unknown type \"basic\" (want standard-webhooks, hmac-sha256, bearer or none)"}},
		{"webhook missing secret", "rules: [a]\nwebhooks:\n  gh:\n    auth:\n      type: hmac-sha256\n",
			[]string{"k.yaml:4:5: webhooks.gh.auth.secret: required: hmac-sha256 needs secret: or secrets:"}},
		{"header on bearer", "rules: [a]\nwebhooks:\n  gh:\n    auth: {type: bearer, secret: t, header: X}\n",
			[]string{"k.yaml:4:45: webhooks.gh.auth.header: only used by type hmac-sha256"}},
		{"bad encoding", "rules: [a]\nwebhooks:\n  gh:\n    auth: {type: hmac-sha256, secret: t, encoding: b32}\n",
			[]string{"k.yaml:4:52: webhooks.gh.auth.encoding: \"b32\" is not hex or base64"}},
		{"empty group", "rules: [a]\ngroups:\n  finance: []\n",
			[]string{"k.yaml:3:12: groups.finance: a group needs at least one identity"}},
		{"several at once", "rules: [a]\nkore:\n  hots: x\nhttp:\n  lisen: y\n",
			[]string{"k.yaml:3:3: kore.hots", "k.yaml:5:3: http.lisen"}},
		{"syntax", "rules: [a\nkore: {}\n", []string{"k.yaml:"}},
		{"empty", "", []string{"k.yaml: the configuration file is empty"}},
		{"list instead of mapping", "rules: [a]\nkore: [1, 2]\n", []string{"k.yaml:2:7: kore: want a mapping of keys, found a list"}},
		{"bad log level", "rules: [a]\nlog: {level: loud}\n", []string{"k.yaml:2:14: log.level: want debug, info, warn or error"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("k.yaml", []byte(tt.yaml), env(nil))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "k.yaml") {
					t.Errorf("error line %q does not start with the file name", line)
				}
			}
		})
	}
}

func TestEnvExpansion(t *testing.T) {
	vars := map[string]string{
		"SECRET": "p@ss: ${NOT_EXPANDED} #x",
		"PORT":   "9090",
		"EMPTY":  "",
	}
	y := `rules: [a]
kore:
  client_id: ${CLIENT:-fallback-id}
  client_secret: ${SECRET}
  bot_id: "st-${EMPTY:-x}-${MISSING}"
  budget: {per_minute: "${PER_MIN:-60}"}
http:
  listen: 127.0.0.1:${PORT}
`
	cfg, err := Parse("k.yaml", []byte(y), env(vars))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Kore.ClientSecret.Value(); got != "p@ss: ${NOT_EXPANDED} #x" {
		t.Errorf("secret = %q: expanded twice or mangled", got)
	}
	if cfg.Kore.ClientID != "fallback-id" || cfg.Kore.BotID != "st-x-" || cfg.HTTP.Listen != "127.0.0.1:9090" {
		t.Errorf("expansion: client_id %q bot_id %q listen %q", cfg.Kore.ClientID, cfg.Kore.BotID, cfg.HTTP.Listen)
	}
	if cfg.Kore.Budget.PerMinute != 60 {
		t.Errorf("per_minute = %d, want 60 from the default", cfg.Kore.Budget.PerMinute)
	}
	if got := cfg.EnvVar("kore.client_secret"); got != "SECRET" {
		t.Errorf("EnvVar = %q", got)
	}
}

func TestSecretsNeverPrint(t *testing.T) {
	cfg, err := Parse("k.yaml", []byte("rules: [a]\nkore: {client_secret: hunter2, token: tok3n}\n"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(format, cfg.Kore)
		if strings.Contains(out, "hunter2") || strings.Contains(out, "tok3n") {
			t.Errorf("%s printed a secret: %s", format, out)
		}
	}
}

func TestRequireKore(t *testing.T) {
	y := "rules: [a]\nkore:\n  bot_id: st-1\n  client_id: ${ID}\n  client_secret: ${KORE_SECRET}\n"
	cfg, err := Parse("k.yaml", []byte(y), env(map[string]string{"ID": "cs-1"}))
	if err != nil {
		t.Fatal(err)
	}
	err = cfg.RequireKore()
	want := "k.yaml:5:18: kore.client_secret is empty (set the environment variable KORE_SECRET)"
	if err == nil || err.Error() != want {
		t.Fatalf("RequireKore = %v, want %q", err, want)
	}
	cfg, _ = Parse("k.yaml", []byte("rules: [a]\n"), env(nil))
	if err := cfg.RequireKore(); err == nil || !strings.Contains(err.Error(), "k.yaml: kore.bot_id is not set") {
		t.Fatalf("RequireKore without kore section = %v", err)
	}
	cfg, _ = Parse("k.yaml", []byte("rules: [a]\nkore: {bot_id: st-1, token: abc}\n"), env(nil))
	if err := cfg.RequireKore(); err != nil {
		t.Fatalf("token should be enough: %v", err)
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want Size
		ok   bool
	}{
		{"1MiB", 1 << 20, true}, {"512KiB", 512 << 10, true}, {"1048576", 1 << 20, true},
		{"2 GiB", 2 << 30, true}, {"10KB", 10000, true}, {"7B", 7, true},
		{"-1", 0, false}, {"1.5MiB", 0, false}, {"MiB", 0, false}, {"1 parsec", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestBudgetAboveKoreLimitsWarns(t *testing.T) {
	cfg, err := Parse("k.yaml", []byte("rules: [a]\nkore: {budget: {per_minute: 100000, per_hour: 1000000}}\n"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Warnings) != 1 || !strings.Contains(cfg.Warnings[0], "above Kore's documented limits") {
		t.Fatalf("warnings = %q", cfg.Warnings)
	}
}

// The example configuration is documentation; it must always load.
func TestExampleConfigLoads(t *testing.T) {
	file := filepath.Join("..", "config.example.yaml")
	cfg, err := LoadEnv(file, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Webhooks) == 0 || len(cfg.Rules) == 0 || len(cfg.Datasets) == 0 || len(cfg.Groups) == 0 {
		t.Errorf("example lost a section: %+v", cfg)
	}
	if !filepath.IsAbs(cfg.Datasets["employees"]) {
		t.Errorf("dataset path not resolved: %s", cfg.Datasets["employees"])
	}
}

func TestAliasAmplificationIsRefused(t *testing.T) {
	// One anchor of 1000 identities reused 1100 times: a small file that
	// expands to over a million values.
	var b strings.Builder
	b.WriteString("rules: [a]\ngroups:\n  a: &a [")
	for i := range 1000 {
		fmt.Fprintf(&b, "u%d@x.com, ", i)
	}
	b.WriteString("z@x.com]\n")
	for i := range 1100 {
		fmt.Fprintf(&b, "  g%d: *a\n", i)
	}
	_, err := Parse("k.yaml", []byte(b.String()), env(nil))
	if err == nil || !strings.Contains(err.Error(), "expands to more than 1000000 values") {
		t.Fatalf("err = %.200v", err)
	}
}

// A missing file says where to start; a folder says it is one.
func TestLoadFileErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "korelay.yaml")
	_, err := Load(missing)
	want := missing + ": no such file; copy config.example.yaml to start, or pass -config FILE"
	if err == nil || err.Error() != want || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want %q (and fs.ErrNotExist)", err, want)
	}
	_, err = Load(dir)
	if err == nil || !strings.HasPrefix(err.Error(), dir+": is a folder") {
		t.Errorf("Load(folder) = %v, want it to say it is a folder", err)
	}
}
