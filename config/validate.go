package config

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/korelay/korelay/triggers/webhook/hookspec"
)

var streamName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// Validate checks the decoded configuration and returns every problem,
// joined, each naming the file, line and column of the key. It does not
// require Kore credentials: commands that call Kore use RequireKore.
func (c *Config) Validate() error {
	var errs []error
	bad := func(path, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s: %s%s", c.Pos(path), path,
			fmt.Sprintf(format, args...), describeEnv(c.EnvVar(path))))
	}
	c.checkKore(bad)
	c.checkNATS(bad)
	checkListen(bad, "http.listen", c.HTTP.Listen, false)
	if c.HTTP.MaxBody <= 0 {
		bad("http.max_body", "must be positive")
	}
	for _, name := range slices.Sorted(maps.Keys(c.Webhooks)) {
		c.checkWebhook(name, c.Webhooks[name], bad)
	}
	c.checkRuleInputs(bad)
	c.checkLog(bad)
	c.checkJournal(bad)
	return errors.Join(errs...)
}

// problem records one configuration problem at a key's position.
type problem func(path, format string, args ...any)

func (c *Config) checkKore(bad problem) {
	if u, err := url.Parse(c.Kore.Host); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("kore.host", "want an http(s) URL such as https://platform.kore.ai, found %q", c.Kore.Host)
	}
	if c.Kore.Timeout < 0 {
		bad("kore.timeout", "must not be negative")
	}
	if c.Kore.BatchWindow < 0 {
		bad("kore.batch_window", "must not be negative")
	}
	if c.Kore.MaxAttempts < 1 {
		bad("kore.max_attempts", "must be at least 1")
	}
	c.checkBudget(bad)
}

func (c *Config) checkNATS(bad problem) {
	if c.NATS.URL != "" {
		if u, err := url.Parse(c.NATS.URL); err != nil || u.Scheme == "" {
			bad("nats.url", "want a URL such as nats://127.0.0.1:4222, found %q", c.NATS.URL)
		}
	} else {
		checkListen(bad, "nats.listen", c.NATS.Listen, true)
	}
	if !streamName.MatchString(c.NATS.Stream) {
		bad("nats.stream", "a stream name uses letters, digits, - and _ only, found %q", c.NATS.Stream)
	}
	if c.NATS.StreamFrom != "" && !streamName.MatchString(c.NATS.StreamFrom) {
		bad("nats.stream_from", "a stream name uses letters, digits, - and _ only, found %q", c.NATS.StreamFrom)
	}
	if c.NATS.MaxDeliver < 1 {
		bad("nats.max_deliver", "must be at least 1")
	}
	if c.NATS.Replicas != 1 && c.NATS.Replicas != 3 {
		bad("nats.replicas", "want 1 (one NATS server) or 3 (a cluster of at least three), found %d", c.NATS.Replicas)
	}
	if c.NATS.MaxAckPending < 1 {
		bad("nats.max_ack_pending", "must be at least 1")
	}
}

// checkRuleInputs checks what the rules read: groups, datasets, rule globs.
func (c *Config) checkRuleInputs(bad problem) {
	for name, ids := range c.Groups {
		if len(ids) == 0 {
			bad("groups."+name, "a group needs at least one identity")
		}
		for i, id := range ids {
			if id == "" {
				bad(fmt.Sprintf("groups.%s[%d]", name, i), "empty identity")
			}
		}
	}
	for name, p := range c.Datasets {
		if p == "" {
			bad("datasets."+name, "needs a file path")
		}
	}
	if len(c.Rules) == 0 {
		bad("rules", "list at least one rule file or glob, e.g. [./rules/*.yaml]")
	}
}

func (c *Config) checkLog(bad problem) {
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "want debug, info, warn or error, found %q", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		bad("log.format", "want text or json, found %q", c.Log.Format)
	}
}

// minJournalBytes is the smallest journal stream worth having.
const minJournalBytes = 1 << 20

func (c *Config) checkJournal(bad problem) {
	if c.Journal.MaxAge < time.Minute {
		bad("journal.max_age", "must be at least 1m, found %s", c.Journal.MaxAge)
	}
	if c.Journal.MaxBytes < minJournalBytes {
		bad("journal.max_bytes", "must be at least 1MiB, found %d bytes", c.Journal.MaxBytes)
	}
}

func (c *Config) checkBudget(bad problem) {
	b := c.Kore.Budget
	if b.PerMinute < 1 {
		bad("kore.budget.per_minute", "must be at least 1")
	}
	if b.PerHour < 1 {
		bad("kore.budget.per_hour", "must be at least 1")
	}
	if b.PerMinute > KorePerMinute || b.PerHour > KorePerHour {
		c.Warnings = append(c.Warnings, fmt.Sprintf(
			"kore.budget (%d/min, %d/h) is above Kore's documented limits (%d/min, %d/h): fine for a private Kore or a fake, not for Kore's cloud",
			b.PerMinute, b.PerHour, KorePerMinute, KorePerHour))
	}
}

// checkListen checks a listen address: host:port, the host may be empty
// (every interface), the port a number from 0 (any free port) to 65535;
// with negOne, -1 (NATS's spelling of any free port) too.
func checkListen(bad problem, path, addr string, negOne bool) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		bad(path, "want host:port such as 127.0.0.1:8080 or :8080, found %q", addr)
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n > 65535 || n < 0 && !(negOne && n == -1) {
		bad(path, "port %q: want a number from 0 (any free port) to 65535", port)
	}
}

// checkWebhook checks a webhook's name and auth with hookspec, as the
// webhook handler does, reporting each problem at its key.
func (c *Config) checkWebhook(name string, w Webhook, bad problem) {
	path := "webhooks." + name
	if !hookspec.ValidName(name) {
		bad(path, "a webhook name must be %s", hookspec.NameRule)
	}
	if !c.written(path + ".auth") {
		bad(path+".auth", "required: every webhook needs auth (type: %s must be written explicitly)", hookspec.AuthNone)
		return
	}
	a := w.Auth
	secrets, paths := c.webhookSecrets(path, a)
	spec := hookspec.Auth{Type: a.Type, Secrets: secrets, Header: a.Header, Prefix: a.Prefix, Encoding: a.Encoding}
	for _, p := range hookspec.CheckAuth(spec) {
		at := path + ".auth." + string(p.Field)
		switch {
		case p.Field != hookspec.FieldSecret:
		case p.Secret >= 0:
			at = paths[p.Secret]
		case !c.written(at) && c.written(path+".auth.secrets"):
			at = path + ".auth.secrets"
		}
		bad(at, "%s", p.Message)
	}
}

// webhookSecrets lists a webhook's secrets as written, secret first (even
// empty, e.g. from an unset variable) then secrets, with the path of each.
func (c *Config) webhookSecrets(path string, a WebhookAuth) (secrets, paths []string) {
	if a.Secret != "" || c.written(path+".auth.secret") {
		secrets = append(secrets, a.Secret.Value())
		paths = append(paths, path+".auth.secret")
	}
	for i, s := range a.Secrets {
		secrets = append(secrets, s.Value())
		paths = append(paths, fmt.Sprintf("%s.auth.secrets[%d]", path, i))
	}
	return secrets, paths
}

// RequireKore checks that the kore section can authenticate: a bot id and
// either client_id with client_secret or a token. Commands that call Kore
// (run without dry-run, notify, devices) call it.
func (c *Config) RequireKore() error {
	var errs []error
	missing := func(path string) {
		p := c.Pos(path)
		msg := fmt.Sprintf("%s is not set", path)
		if v := c.EnvVar(path); v != "" {
			msg = fmt.Sprintf("%s is empty (set the environment variable %s)", path, v)
		}
		errs = append(errs, fmt.Errorf("%s: %s", p, msg))
	}
	if c.Kore.BotID == "" {
		missing("kore.bot_id")
	}
	if c.Kore.Token == "" {
		if c.Kore.ClientID == "" {
			missing("kore.client_id")
		}
		if c.Kore.ClientSecret == "" {
			missing("kore.client_secret")
		}
	}
	return errors.Join(errs...)
}
