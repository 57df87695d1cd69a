package koretest

import (
	"context"
	"net/http"
	"strings"
	"time"
)

// EndpointDevices, as a Failure's Endpoint, matches every device API.
const EndpointDevices = "devices"

// RateLimitMessage is the text of Kore's rate-limit error.
const RateLimitMessage = "Rate limit for this API has been reached, please try after some time"

// Failure is an answer to inject instead of the normal one (see FailNext). It
// applies after the path, method and token were checked.
type Failure struct {
	// Endpoint restricts the failure to one endpoint: a kore.Endpoint*
	// constant, EndpointDevices for any device API, or empty for any.
	Endpoint string
	// Status is the HTTP status to answer. Zero means 500, unless Delay is
	// set: then the request is answered normally after the delay.
	Status int
	// RetryAfter is the raw Retry-After header value, e.g. "2" or an HTTP
	// date; empty sends none.
	RetryAfter string
	// Body is the raw body to answer; empty means Kore's errors body with the
	// status text (Kore's rate-limit text for 429).
	Body string
	// Delay holds the answer back this long, or until the client gives up.
	Delay time.Duration
}

// FailNext queues n copies of f. Queued failures are used first in, first
// out: each request takes the oldest failure whose Endpoint matches it.
func (s *Server) FailNext(n int, f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failures = append(s.failures, f)
	}
}

// takeFailure removes and returns the oldest queued failure for endpoint.
func (s *Server) takeFailure(endpoint string) (Failure, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.failures {
		if f.matches(endpoint) {
			s.failures = append(s.failures[:i:i], s.failures[i+1:]...)
			return f, true
		}
	}
	return Failure{}, false
}

// matches reports whether f applies to endpoint.
func (f Failure) matches(endpoint string) bool {
	switch f.Endpoint {
	case "", endpoint:
		return true
	case EndpointDevices:
		return strings.HasPrefix(endpoint, "devices_")
	}
	return false
}

// apply waits out the delay and returns the injected answer; answered is
// false when the request should go on normally.
func (f Failure) apply(ctx context.Context) (rep reply, answered bool) {
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return errorReply(http.StatusServiceUnavailable, 503, "client gave up during the injected delay"), true
		}
		if f.Status == 0 {
			return reply{}, false
		}
	}
	status := f.Status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	msg := http.StatusText(status)
	if status == http.StatusTooManyRequests {
		msg = RateLimitMessage
	}
	rep = errorReply(status, status, msg)
	if f.Body != "" {
		rep.body = []byte(f.Body)
	}
	if f.RetryAfter != "" {
		rep.header = http.Header{"Retry-After": {f.RetryAfter}}
	}
	return rep, true
}
