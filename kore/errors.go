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

// APIError is an error answer from Kore: a non-2xx status, or a 2xx whose
// body is nothing but Kore's errors list. Use errors.As to get it.
type APIError struct {
	// Endpoint names the operation: one of the Endpoint constants.
	Endpoint string
	// StatusCode is the HTTP status.
	StatusCode int
	// Code is Kore's error code from the body, when present.
	Code string
	// Message is Kore's error text (errors[].msg or errors[].message).
	Message string
	// RetryAfter is the parsed Retry-After header (seconds or an HTTP date,
	// capped at MaxRetryAfter); zero when absent, unparsable or in the past.
	RetryAfter time.Duration
	// Body is the raw response body, truncated to MaxErrorBody bytes, for dead
	// letters. Error does not include it.
	Body string
}

// Error describes the answer in one line: endpoint, status, Kore's code and
// message.
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
	return e.RateLimited() || e.StatusCode >= 500
}

// RateLimited reports whether Kore refused the call for its rate limit: a
// 429, or its rate-limit text with any status.
func (e *APIError) RateLimited() bool {
	return e.StatusCode == http.StatusTooManyRequests || isRateLimitText(e.Message)
}

// IsRateLimited reports whether err is Kore refusing a call for its rate
// limit (see APIError.RateLimited).
func IsRateLimited(err error) bool {
	apiErr, ok := errors.AsType[*APIError](err)
	return ok && apiErr.RateLimited()
}

// isRateLimitText reports whether Kore's error text says the rate limit was
// reached ("Rate limit for this API has been reached…"); Kore does not
// document the status code it uses for that.
func isRateLimitText(msg string) bool {
	return strings.Contains(strings.ToLower(msg), "rate limit")
}

// malformed is the error for a 2xx answer that is not what the API documents.
func malformed(endpoint string, status int, expect string, cause error) error {
	if cause != nil {
		return fmt.Errorf("kore %s: %w: HTTP %d: expected %s: %v", endpoint, ErrMalformedResponse, status, expect, cause)
	}
	return fmt.Errorf("kore %s: %w: HTTP %d: expected %s", endpoint, ErrMalformedResponse, status, expect)
}
