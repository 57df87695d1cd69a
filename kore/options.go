package kore

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultDevicePathPrefix is the path prefix of the SDK push device APIs;
// "{id}" is replaced by the bot (stream) id.
const DefaultDevicePathPrefix = "/api/public/streams/{id}"

// DefaultTimeout bounds one request (sending it and reading the answer) when
// WithTimeout is not given.
const DefaultTimeout = 30 * time.Second

// DefaultUserAgent is the User-Agent header sent when WithUserAgent is not
// given.
const DefaultUserAgent = "korelay"

// An Option configures a Client. Options validate their input; New reports
// every invalid option at once, each named.
type Option func(*options) error

// options is what the Options fill in before New checks them as a whole.
type options struct {
	baseURL      string
	botID        string
	clientID     string
	clientSecret string
	hasCreds     bool
	token        string
	enforceJTI   bool
	httpClient   *http.Client
	timeout      time.Duration
	botLanguage  string
	devicePrefix string
	userAgent    string
}

// WithBaseURL sets the Kore host, e.g. "https://platform.kore.ai". It must be
// an absolute http or https URL without query or fragment; a trailing slash
// is ignored. Required.
func WithBaseURL(base string) Option {
	return func(o *options) error {
		u, err := url.Parse(strings.TrimSpace(base))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("WithBaseURL: %q is not an absolute http(s) URL", base)
		}
		if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return fmt.Errorf("WithBaseURL: %q must not carry user info, a query or a fragment", u.Redacted())
		}
		o.baseURL = strings.TrimRight(u.String(), "/")
		return nil
	}
}

// WithBotID sets the bot (stream) id, e.g. "st-…". Required.
func WithBotID(id string) Option {
	return func(o *options) error {
		if err := checkID(id); err != nil {
			return fmt.Errorf("WithBotID: %w", err)
		}
		o.botID = id
		return nil
	}
}

// WithCredentials sets the API-scope app's client id and client secret; the
// client mints its own JWTs with them. Exactly one of WithCredentials and
// WithToken is required.
func WithCredentials(clientID, clientSecret string) Option {
	return func(o *options) error {
		var problems []string
		if strings.TrimSpace(clientID) == "" {
			problems = append(problems, "client id is empty")
		}
		if clientSecret == "" {
			problems = append(problems, "client secret is empty")
		}
		if len(problems) > 0 {
			return fmt.Errorf("WithCredentials: %s", strings.Join(problems, ", "))
		}
		o.clientID, o.clientSecret, o.hasCreds = clientID, clientSecret, true
		return nil
	}
}

// WithToken makes the client send a fixed, externally minted JWT on every
// call. Exactly one of WithCredentials and WithToken is required; a fixed
// token cannot be combined with WithEnforceJTI(true).
func WithToken(jwt string) Option {
	return func(o *options) error {
		if strings.TrimSpace(jwt) == "" {
			return errors.New("WithToken: token is empty")
		}
		if strings.ContainsAny(jwt, "\r\n") {
			return errors.New("WithToken: token contains a line break")
		}
		o.token = jwt
		return nil
	}
}

// WithEnforceJTI says whether the Kore app has "Enforce JTI" on. When true the
// client mints a fresh token with a random jti for every request; when false
// (the default) it reuses one token until shortly before it expires.
func WithEnforceJTI(enforce bool) Option {
	return func(o *options) error {
		o.enforceJTI = enforce
		return nil
	}
}

// WithHTTPClient sets the HTTP client used for every call. The client is
// copied and the copy never follows redirects, so the auth header cannot leak
// to another host; a 3xx answer is returned as an *APIError.
func WithHTTPClient(hc *http.Client) Option {
	return func(o *options) error {
		if hc == nil {
			return errors.New("WithHTTPClient: client is nil")
		}
		o.httpClient = hc
		return nil
	}
}

// WithTimeout bounds each request, from sending it to reading the whole
// answer (default DefaultTimeout). Zero means no bound beyond the context. A
// request that runs out of time fails with an error that IsRetryable accepts.
// Requests made on the same context, when it is a pointer (as
// context.WithCancel's is), share their timeouts: each may then run up to
// a hundredth of d longer.
func WithTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 {
			return fmt.Errorf("WithTimeout: %v is negative", d)
		}
		o.timeout = d
		return nil
	}
}

// WithBotLanguage sets the `bot-language` header (a language code such as
// "en") that selects the language of a multilingual bot.
func WithBotLanguage(code string) Option {
	return func(o *options) error {
		if strings.TrimSpace(code) == "" || strings.ContainsAny(code, "\r\n") {
			return fmt.Errorf("WithBotLanguage: %q is not a language code", code)
		}
		o.botLanguage = code
		return nil
	}
}

// WithDevicePathPrefix sets the path prefix of the SDK push device APIs
// (default DefaultDevicePathPrefix); "{id}" is replaced by the bot id. It must
// start with "/" and carry no query or fragment.
func WithDevicePathPrefix(prefix string) Option {
	return func(o *options) error {
		if !strings.HasPrefix(prefix, "/") || strings.ContainsAny(prefix, "?# \t\r\n") {
			return fmt.Errorf("WithDevicePathPrefix: %q must start with / and carry no query, fragment or space", prefix)
		}
		o.devicePrefix = strings.TrimRight(prefix, "/")
		return nil
	}
}

// WithUserAgent sets the User-Agent header (default DefaultUserAgent).
func WithUserAgent(ua string) Option {
	return func(o *options) error {
		if strings.TrimSpace(ua) == "" || strings.ContainsAny(ua, "\r\n") {
			return fmt.Errorf("WithUserAgent: %q is not a user agent", ua)
		}
		o.userAgent = ua
		return nil
	}
}

// check reports what is missing or contradictory once every option applied.
func (o *options) check() []string {
	var problems []string
	if o.baseURL == "" {
		problems = append(problems, "WithBaseURL is required")
	}
	if o.botID == "" {
		problems = append(problems, "WithBotID is required")
	}
	switch {
	case o.hasCreds && o.token != "":
		problems = append(problems, "WithCredentials and WithToken exclude each other")
	case !o.hasCreds && o.token == "":
		problems = append(problems, "WithCredentials or WithToken is required")
	case o.token != "" && o.enforceJTI:
		problems = append(problems, "WithEnforceJTI(true) needs WithCredentials: a fixed token cannot carry a fresh jti")
	}
	return problems
}

// checkID accepts an id that can stand in a URL path segment or query.
func checkID(id string) error {
	if strings.TrimSpace(id) == "" {
		return errors.New("id is empty")
	}
	if strings.ContainsAny(id, "/?# \t\r\n") {
		return fmt.Errorf("id %q contains a slash, space or URL delimiter", id)
	}
	return nil
}
