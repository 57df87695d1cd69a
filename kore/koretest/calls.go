package koretest

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/korelay/korelay/kore"
)

// Call is one request the server received, accepted or not.
type Call struct {
	// Method and Path are the request's; Path is unescaped, without query.
	Method string
	Path   string
	// Query is the decoded query string.
	Query url.Values
	// Endpoint is the kore.Endpoint* constant of the path; empty for an
	// unknown path.
	Endpoint string
	// Header holds the request headers, including the token in "auth".
	Header http.Header
	// Body is the raw request body.
	Body []byte
	// Notify is the decoded body of a notify call (nil for other endpoints
	// and for bodies that are not a JSON object of the documented fields).
	Notify *kore.NotifyRequest
	// Status is the HTTP status the server answered.
	Status int
	// Error is the message the server answered a rejected call with.
	Error string
	// Time is when the call arrived, by the server's clock.
	Time time.Time
}

// Accepted reports whether the server answered the call with a 2xx status.
func (c Call) Accepted() bool { return c.Status >= 200 && c.Status <= 299 }

// record appends a call.
func (s *Server) record(c Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
}

// Calls returns a copy of every call received since the start or the last
// Reset, in the order they were answered.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Call, len(s.calls))
	for i, c := range s.calls {
		out[i] = c.clone()
	}
	return out
}

// NotifyCalls returns the accepted notify calls, in order.
func (s *Server) NotifyCalls() []Call {
	var out []Call
	for _, c := range s.Calls() {
		if c.Endpoint == kore.EndpointNotify && c.Accepted() {
			out = append(out, c)
		}
	}
	return out
}

// clone deep-copies c, so callers cannot disturb the record.
func (c Call) clone() Call {
	c.Query = url.Values(http.Header(c.Query).Clone())
	c.Header = c.Header.Clone()
	c.Body = bytes.Clone(c.Body)
	if c.Notify != nil {
		n := *c.Notify
		n.Identities = slices.Clone(n.Identities)
		c.Notify = &n
	}
	return c
}
