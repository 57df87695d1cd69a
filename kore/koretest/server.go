package koretest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/korelay/korelay/kore"
)

// maxRequestBody bounds what the server reads of a request body.
const maxRequestBody = 4 << 20

// Server is a fake Kore.ai server. Create it with NewServer or Start; point a
// kore.Client at it with ClientOptions.
type Server struct {
	// URL is the server's base URL, for kore.WithBaseURL.
	URL string
	// BotID is the bot (stream) id the server answers for.
	BotID string
	// ClientID is the appId every token must carry.
	ClientID string
	// ClientSecret is the HS256 key every token must be signed with.
	ClientSecret string

	cfg config
	hs  *httptest.Server

	mu       sync.Mutex
	calls    []Call
	failures []Failure
	limiter  limiter
	seenJTI  map[string]time.Time
	// verified caches tokens already checked, until their exp, when JTI is
	// not enforced: a client reusing its token is checked once.
	verified map[string]time.Time
	jobs     map[string]*job
	unknown  map[string]bool
	devices  map[string][]kore.Device
}

// NewServer starts a fake Kore server configured by opts. Close it when done
// (or use Start). It panics on an invalid option.
func NewServer(opts ...Option) *Server {
	cfg := defaultConfig()
	for _, opt := range opts {
		if err := opt(&cfg); err != nil {
			panic("koretest: " + err.Error())
		}
	}
	s := &Server{
		BotID:        cfg.botID,
		ClientID:     cfg.clientID,
		ClientSecret: cfg.clientSecret,
		cfg:          cfg,
		limiter:      limiter{perMinute: cfg.perMinute, perHour: cfg.perHour, minute: cfg.minute, hour: cfg.hour},
		seenJTI:      map[string]time.Time{},
		verified:     map[string]time.Time{},
		jobs:         map[string]*job{},
		unknown:      map[string]bool{},
		devices:      map[string][]kore.Device{},
	}
	s.hs = httptest.NewServer(s)
	s.URL = s.hs.URL
	return s
}

// Start is NewServer for a test: the server is closed when t finishes.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := NewServer(opts...)
	t.Cleanup(s.Close)
	return s
}

// Close shuts the server down, waiting for requests in flight.
func (s *Server) Close() { s.hs.Close() }

// ClientOptions returns the kore options that point a client at this server
// with its credentials (and JTI enforcement and device path prefix, when
// configured). Append further options as needed.
func (s *Server) ClientOptions() []kore.Option {
	opts := []kore.Option{
		kore.WithBaseURL(s.URL),
		kore.WithBotID(s.BotID),
		kore.WithCredentials(s.ClientID, s.ClientSecret),
		kore.WithEnforceJTI(s.cfg.enforceJTI),
	}
	if s.cfg.devicePrefix != kore.DefaultDevicePathPrefix {
		opts = append(opts, kore.WithDevicePathPrefix(s.cfg.devicePrefix))
	}
	return opts
}

// Reset forgets the recorded calls, the queued failures and the rate-limit
// history. Jobs, device subscriptions, unknown identities and used jtis stay.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
	s.failures = nil
	s.limiter.admitted = nil
}

// now reads the server's clock.
func (s *Server) now() time.Time { return s.cfg.clock() }

// ServeHTTP answers one request: it checks it, records it, and answers.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	call := Call{
		Method: r.Method,
		Path:   r.URL.Path,
		Query:  r.URL.Query(),
		Header: r.Header.Clone(),
		Body:   body,
		Time:   s.now(),
	}
	var rep reply
	switch {
	case err != nil:
		rep = errorReply(http.StatusBadRequest, 400, "cannot read the request body")
	case len(body) > maxRequestBody:
		rep = errorReply(http.StatusRequestEntityTooLarge, 413, "request body too large")
	default:
		rep = s.handle(r, body, &call)
	}
	call.Status, call.Error = rep.status, rep.errMsg
	s.record(call) // before answering, so a client that got its answer sees the call
	rep.write(w)
}

// handle runs the checks of the package documentation, in order, and then
// the endpoint's handler.
func (s *Server) handle(r *http.Request, body []byte, c *Call) reply {
	rt, rep, ok := s.route(r.Method, r.URL.Path)
	c.Endpoint = rt.endpoint
	if !ok {
		return rep
	}
	if rep, ok := s.authenticate(r.Header); !ok {
		return rep
	}
	if f, ok := s.takeFailure(rt.endpoint); ok {
		if rep, answered := f.apply(r.Context()); answered {
			return rep
		}
	}
	if rt.limited {
		if rep, ok := s.admit(); !ok {
			return rep
		}
	}
	if rt.hasBody && !isJSON(r.Header.Get("Content-Type")) {
		return errorReply(http.StatusUnsupportedMediaType, 415, "Content-Type must be application/json")
	}
	return rt.handle(s, r, body, c)
}

// isJSON reports whether a Content-Type value is application/json.
func isJSON(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	return strings.EqualFold(strings.TrimSpace(mt), "application/json")
}
