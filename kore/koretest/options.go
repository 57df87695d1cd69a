package koretest

import (
	"fmt"
	"strings"
	"time"

	"github.com/korelay/korelay/kore"
)

// Defaults of a Server. They are fixed test values, not secrets.
const (
	DefaultBotID        = "st-00000000-0000-4000-8000-000000000b07"
	DefaultClientID     = "cs-00000000-0000-4000-8000-000000000c11"
	DefaultClientSecret = "koretest-client-secret"
	// DefaultPerMinute and DefaultPerHour are Kore's documented limits of the
	// notify and notify-status APIs, per bot.
	DefaultPerMinute = 600
	DefaultPerHour   = 18000
)

// An Option configures a Server. NewServer panics on an invalid option: it
// is a mistake in the test itself.
type Option func(*config) error

// config is what the Options set.
type config struct {
	botID, clientID, clientSecret string
	enforceJTI                    bool
	perMinute, perHour            int
	minute, hour                  time.Duration
	clock                         func() time.Time
	devicePrefix                  string
	completeAfter                 int
}

func defaultConfig() config {
	return config{
		botID:        DefaultBotID,
		clientID:     DefaultClientID,
		clientSecret: DefaultClientSecret,
		perMinute:    DefaultPerMinute,
		perHour:      DefaultPerHour,
		minute:       time.Minute,
		hour:         time.Hour,
		clock:        time.Now,
		devicePrefix: kore.DefaultDevicePathPrefix,
	}
}

// WithBotID sets the bot (stream) id the server answers for.
func WithBotID(id string) Option {
	return func(c *config) error {
		if strings.TrimSpace(id) == "" || strings.ContainsAny(id, "/?# ") {
			return fmt.Errorf("WithBotID: %q is not a bot id", id)
		}
		c.botID = id
		return nil
	}
}

// WithCredentials sets the client id (the appId claim) and the client secret
// (the HS256 key) the server expects.
func WithCredentials(clientID, clientSecret string) Option {
	return func(c *config) error {
		if clientID == "" || clientSecret == "" {
			return fmt.Errorf("WithCredentials: client id and secret must not be empty")
		}
		c.clientID, c.clientSecret = clientID, clientSecret
		return nil
	}
}

// WithEnforceJTI makes the server behave like a Kore app with "Enforce JTI"
// on: every token needs a jti, and a jti is accepted only once.
func WithEnforceJTI(enforce bool) Option {
	return func(c *config) error {
		c.enforceJTI = enforce
		return nil
	}
}

// WithLimits sets how many notify and notify-status calls the server admits
// per minute window and per hour window (default 600 and 18,000). A limit of
// zero disables that window.
func WithLimits(perMinute, perHour int) Option {
	return func(c *config) error {
		if perMinute < 0 || perHour < 0 {
			return fmt.Errorf("WithLimits: %d, %d: limits must not be negative", perMinute, perHour)
		}
		c.perMinute, c.perHour = perMinute, perHour
		return nil
	}
}

// WithWindows sets the lengths of the two rolling windows (default a minute
// and an hour), so tests can use short ones.
func WithWindows(minute, hour time.Duration) Option {
	return func(c *config) error {
		if minute <= 0 || hour <= 0 {
			return fmt.Errorf("WithWindows: %v, %v: windows must be positive", minute, hour)
		}
		c.minute, c.hour = minute, hour
		return nil
	}
}

// WithClock sets the clock of the rate-limit windows, the recorded call times
// and the job timestamps (default time.Now). Tokens are checked against the
// wall clock, since clients mint them from it.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return fmt.Errorf("WithClock: clock is nil")
		}
		c.clock = now
		return nil
	}
}

// WithDevicePathPrefix sets the path prefix of the device APIs (default
// kore.DefaultDevicePathPrefix); "{id}" stands for the bot id.
func WithDevicePathPrefix(prefix string) Option {
	return func(c *config) error {
		if !strings.HasPrefix(prefix, "/") {
			return fmt.Errorf("WithDevicePathPrefix: %q must start with /", prefix)
		}
		c.devicePrefix = strings.TrimRight(prefix, "/")
		return nil
	}
}

// WithCompleteAfter makes the status endpoint report a job IN_PROGRESS for
// its first polls polls and done after that (default 0: done on the first
// poll).
func WithCompleteAfter(polls int) Option {
	return func(c *config) error {
		if polls < 0 {
			return fmt.Errorf("WithCompleteAfter: %d is negative", polls)
		}
		c.completeAfter = polls
		return nil
	}
}
