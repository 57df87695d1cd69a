package kore

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// ErrInvalidRequest is returned, wrapped, when a request fails validation
// before anything is sent (unknown channel, empty message, too many
// identities, empty ids). It is permanent.
var ErrInvalidRequest = errors.New("invalid request")

// ErrMalformedResponse is returned, wrapped, when Kore answers 2xx with a body
// that is not what the API documents.
var ErrMalformedResponse = errors.New("malformed response")

// APIError is a non-2xx answer from Kore.
type APIError struct {
	// Endpoint names the operation, e.g. "notify" or "notify_status".
	Endpoint string
	// StatusCode is the HTTP status.
	StatusCode int
	// Code is Kore's error code from the body, when present.
	Code string
	// Message is Kore's error text (errors[].msg or errors[].message).
	Message string
	// RetryAfter is the parsed Retry-After header; zero when absent.
	RetryAfter time.Duration
	// Body is the raw response body, truncated, for dead letters.
	Body string
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	if e.Code != "" {
		return fmt.Sprintf("kore %s: HTTP %d (code %s): %s", e.Endpoint, e.StatusCode, e.Code, msg)
	}
	return fmt.Sprintf("kore %s: HTTP %d: %s", e.Endpoint, e.StatusCode, msg)
}

// Retryable reports whether the same request may succeed later: rate
// limiting (429 or Kore's rate-limit text) and server errors.
func (e *APIError) Retryable() bool {
	return e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500 || isRateLimitText(e.Message)
}

// isRateLimitText reports whether Kore's error text says the rate limit was
// reached ("Rate limit for this API has been reached…"); Kore does not
// document the status code it uses for that.
func isRateLimitText(msg string) bool {
	return strings.Contains(strings.ToLower(msg), "rate limit")
}
