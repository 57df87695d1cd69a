// Package config reads korelay's configuration file: YAML decoded through
// yaml.Node so every error names its file, line and column, unknown keys
// rejected, ${VAR} and ${VAR:-default} expanded from the environment inside
// scalar values, relative paths resolved against the file's folder.
package config

import (
	"fmt"
	"strings"
	"time"
)

// Config is the whole configuration file.
type Config struct {
	Kore     Kore                `yaml:"kore"`
	NATS     NATS                `yaml:"nats"`
	HTTP     HTTP                `yaml:"http"`
	Webhooks map[string]Webhook  `yaml:"webhooks"`
	Groups   map[string][]string `yaml:"groups"`
	// Datasets maps a dataset name to its file (absolute after Load).
	Datasets map[string]string `yaml:"datasets"`
	// Rules are glob patterns of rule files, relative to Dir.
	Rules  []string `yaml:"rules"`
	DryRun bool     `yaml:"dry_run"`
	Log    Log      `yaml:"log"`
	// Journal is the delivery journal `korelay explain` reads.
	Journal Journal `yaml:"journal"`

	// File is the configuration file's path; Dir its folder.
	File string `yaml:"-"`
	Dir  string `yaml:"-"`
	// Warnings are non-fatal remarks found while loading (e.g. a budget above
	// Kore's documented limits).
	Warnings []string `yaml:"-"`

	positions    map[string]Position // of each value written, by path
	keyPositions map[string]Position // of each key written, by path
	envVars      map[string]string
}

// Kore is the Kore.ai bot korelay notifies through.
type Kore struct {
	Host         string `yaml:"host"`
	BotID        string `yaml:"bot_id"`
	ClientID     string `yaml:"client_id"`
	ClientSecret Secret `yaml:"client_secret"`
	// Token is a fixed JWT used instead of client credentials.
	Token Secret `yaml:"token"`
	// EnforceJTI mints a fresh token with a new jti for every request.
	EnforceJTI bool          `yaml:"enforce_jti"`
	Timeout    time.Duration `yaml:"timeout"`
	Budget     Budget        `yaml:"budget"`
	// BatchWindow is an extra wait to coalesce identical messages.
	BatchWindow time.Duration `yaml:"batch_window"`
	// TrackJobs polls notify job status and records per-identity results.
	TrackJobs   bool   `yaml:"track_jobs"`
	BotLanguage string `yaml:"bot_language"`
	// DevicePathPrefix is the device APIs' path prefix; {id} is the bot id.
	DevicePathPrefix string `yaml:"device_path_prefix"`
	// MaxAttempts bounds the tries of one Kore call before it is dead-lettered.
	MaxAttempts int `yaml:"max_attempts"`
}

// Budget is korelay's own rolling-window budget of Kore calls.
type Budget struct {
	PerMinute int `yaml:"per_minute"`
	PerHour   int `yaml:"per_hour"`
}

// Kore's documented per-bot limits.
const (
	KorePerMinute = 600
	KorePerHour   = 18000
)

// NATS is where events come from and are kept.
type NATS struct {
	// URL of an existing NATS server; empty starts an embedded one.
	URL string `yaml:"url"`
	// Listen is the embedded server's address.
	Listen string `yaml:"listen"`
	// DataDir holds the embedded server's JetStream store.
	DataDir string `yaml:"data_dir"`
	// Stream is the ingest stream korelay creates or updates.
	Stream string `yaml:"stream"`
	// StreamFrom names an existing stream that already captures the rules'
	// NATS subjects; korelay then consumes them from there.
	StreamFrom string `yaml:"stream_from"`
	// JetStream false selects core NATS: at-most-once, nothing stored.
	JetStream *bool  `yaml:"jetstream"`
	CredsFile string `yaml:"creds_file"`
	Token     Secret `yaml:"token"`
	User      string `yaml:"user"`
	Password  Secret `yaml:"password"`
	TLS       TLS    `yaml:"tls"`
	// AckWait is how long a delivered event may stay unacknowledged before
	// NATS redelivers it (korelay extends it while work is under way).
	AckWait time.Duration `yaml:"ack_wait"`
	// MaxDeliver bounds redeliveries of one event.
	MaxDeliver int `yaml:"max_deliver"`
	// MaxAckPending bounds the events in flight, and so the memory used
	// while notifications wait for budget; the rest stays in the stream.
	MaxAckPending int `yaml:"max_ack_pending"`
	// Replicas is the replication (1 or 3) of every stream and KV bucket
	// korelay creates, on a NATS cluster; existing ones are raised to it.
	Replicas int `yaml:"replicas"`
}

// UseJetStream reports whether events go through JetStream (the default).
func (n NATS) UseJetStream() bool { return n.JetStream == nil || *n.JetStream }

// TLS holds client TLS files for an external NATS server.
type TLS struct {
	CA   string `yaml:"ca"`
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

// HTTP is korelay's HTTP server: webhooks, metrics, health and the
// status page.
type HTTP struct {
	Listen  string `yaml:"listen"`
	MaxBody Size   `yaml:"max_body"`
	// AdminToken opens the status page (GET /) as a bearer token or through
	// its login form; without it the page answers only on a loopback listen.
	AdminToken Secret `yaml:"admin_token"`
}

// Journal is the delivery journal: a JetStream stream of what happened to
// each event, bounded by age and size.
type Journal struct {
	// Enabled is nil when not written (on by default).
	Enabled  *bool         `yaml:"enabled"`
	MaxAge   time.Duration `yaml:"max_age"`
	MaxBytes Size          `yaml:"max_bytes"`
}

// On reports whether the journal is written (the default).
func (j Journal) On() bool { return j.Enabled == nil || *j.Enabled }

// Webhook is one incoming webhook, served at /hooks/NAME.
type Webhook struct {
	Auth WebhookAuth `yaml:"auth"`
}

// WebhookAuth says how a webhook's sender proves itself.
type WebhookAuth struct {
	// Type is standard-webhooks, hmac-sha256, bearer or none.
	Type    string   `yaml:"type"`
	Secret  Secret   `yaml:"secret"`
	Secrets []Secret `yaml:"secrets"`
	Header  string   `yaml:"header"`
	// Prefix is nil when not set (the scheme's default applies).
	Prefix   *string `yaml:"prefix"`
	Encoding string  `yaml:"encoding"`
}

// AllSecrets returns secret and secrets together, in that order.
func (a WebhookAuth) AllSecrets() []string {
	var out []string
	if a.Secret != "" {
		out = append(out, string(a.Secret))
	}
	for _, s := range a.Secrets {
		out = append(out, string(s))
	}
	return out
}

// Log configures korelay's own log.
type Log struct {
	// Level is debug, info, warn or error.
	Level string `yaml:"level"`
	// Format is text or json.
	Format string `yaml:"format"`
}

// Position is a place in a configuration file.
type Position struct {
	File   string
	Line   int
	Column int
}

// String formats the position as file:line:col, or the file alone when the
// line is not known.
func (p Position) String() string {
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
}

// Pos returns where the value at path (dotted, e.g. "kore.client_secret",
// "webhooks.orders.auth.secrets[1]") was written, for error messages. For a
// key not written (a missing auth block, a default) it returns where its
// nearest written parent key is, e.g. the webhook's own line; the file
// alone when not even the top-level key was written.
func (c *Config) Pos(path string) Position {
	if p, ok := c.positions[path]; ok {
		return p
	}
	for parent := parentPath(path); parent != ""; parent = parentPath(parent) {
		if p, ok := c.keyPositions[parent]; ok {
			return p
		}
		if p, ok := c.positions[parent]; ok { // a list item has no key
			return p
		}
	}
	return Position{File: c.File}
}

// written reports whether the key at path was written in the file.
func (c *Config) written(path string) bool {
	_, ok := c.positions[path]
	return ok
}

// parentPath returns the path of the value holding path's: "a.b" for
// "a.b.c" and for "a.b[2]"; "" at the top.
func parentPath(path string) string {
	if strings.HasSuffix(path, "]") {
		if i := strings.LastIndexByte(path, '['); i >= 0 {
			return path[:i]
		}
	}
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[:i]
	}
	return ""
}

// EnvVar returns the environment variable referenced by the value at path,
// if any, so an error can say which variable to set.
func (c *Config) EnvVar(path string) string { return c.envVars[path] }
