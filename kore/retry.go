package kore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// errRequestTimeout is the cancellation cause of a request that ran past the
// client's WithTimeout.
var errRequestTimeout = errors.New("request timeout")

// transportError is a call that got no complete answer: the request could not
// be sent, or the answer could not be read. It is retryable unless the
// caller cancelled.
type transportError struct {
	endpoint string
	op       string
	timeout  time.Duration // non-zero when the client's own timeout fired
	err      error
}

func (e *transportError) Error() string {
	if e.timeout > 0 {
		return fmt.Sprintf("kore %s: %s: no answer within %v: %v", e.endpoint, e.op, e.timeout, e.err)
	}
	return fmt.Sprintf("kore %s: %s: %v", e.endpoint, e.op, e.err)
}

func (e *transportError) Unwrap() error { return e.err }

// transportError wraps err, a failure to send or read, noting whether the
// client's own timeout caused it. ctx is the request's context.
func (c *Client) transportError(ctx context.Context, endpoint, op string, err error) error {
	te := &transportError{endpoint: endpoint, op: op, err: err}
	if errors.Is(context.Cause(ctx), errRequestTimeout) {
		te.timeout = c.timeout
		if !errors.Is(err, context.DeadlineExceeded) {
			te.err = fmt.Errorf("%w (%w)", err, context.DeadlineExceeded)
		}
	}
	return te
}

// IsRetryable reports whether the call that returned err may succeed if made
// again later: Kore rate limiting (429 or its rate-limit text), 5xx, network
// failures and timeouts (including the client's WithTimeout and an
// exceeded context deadline). It is false for nil, ErrInvalidRequest,
// ErrMalformedResponse, other 4xx answers, and a context the caller
// cancelled.
func IsRetryable(err error) bool {
	if err == nil || errors.Is(err, ErrInvalidRequest) || errors.Is(err, ErrMalformedResponse) {
		return false
	}
	if apiErr, ok := errors.AsType[*APIError](err); ok {
		return apiErr.Retryable()
	}
	switch {
	case errors.Is(err, context.Canceled):
		return false
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, io.ErrUnexpectedEOF):
		return true
	}
	if _, ok := errors.AsType[*transportError](err); ok {
		return true
	}
	_, ok := errors.AsType[net.Error](err)
	return ok
}

// RetryAfter returns the delay Kore asked for with Retry-After, when err
// carries an *APIError with a positive one.
func RetryAfter(err error) (time.Duration, bool) {
	apiErr, ok := errors.AsType[*APIError](err)
	if !ok || apiErr.RetryAfter <= 0 {
		return 0, false
	}
	return apiErr.RetryAfter, true
}
