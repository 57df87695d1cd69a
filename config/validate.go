package config

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
)

var (
	webhookName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	streamName  = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
)

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
	if c.HTTP.MaxBody <= 0 {
		bad("http.max_body", "must be positive")
	}
	for name, w := range c.Webhooks {
		c.checkWebhook(name, w, bad)
	}
	c.checkRuleInputs(bad)
	c.checkLog(bad)
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

func (c *Config) checkWebhook(name string, w Webhook, bad problem) {
	path := "webhooks." + name
	if !webhookName.MatchString(name) {
		bad(path, "a webhook name uses lower-case letters, digits, - and _ only")
	}
	a := w.Auth
	switch a.Type {
	case "standard-webhooks", "hmac-sha256", "bearer":
		if len(a.AllSecrets()) == 0 {
			bad(path+".auth", "%s needs secret: or secrets:", a.Type)
		}
	case "none":
		if len(a.AllSecrets()) > 0 {
			bad(path+".auth", "type none takes no secret")
		}
	case "":
		bad(path+".auth.type", "required: standard-webhooks, hmac-sha256, bearer or none (none must be written explicitly)")
	default:
		bad(path+".auth.type", "want standard-webhooks, hmac-sha256, bearer or none, found %q", a.Type)
	}
	if a.Type != "hmac-sha256" && (a.Header != "" || a.Prefix != nil || a.Encoding != "") {
		bad(path+".auth", "header, prefix and encoding apply to hmac-sha256 only")
	}
	if a.Encoding != "" && a.Encoding != "hex" && a.Encoding != "base64" {
		bad(path+".auth.encoding", "want hex or base64, found %q", a.Encoding)
	}
}

// RequireKore checks that the kore section can authenticate: a bot id and
// either client_id with client_secret or a token. Commands that call Kore
// (run without dry-run, notify, devices) call it.
func (c *Config) RequireKore() error {
	var errs []error
	missing := func(path string) {
		p := c.Pos(path)
		if p.Line == 0 {
			p = c.Pos("kore")
		}
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
