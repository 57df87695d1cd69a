package delivery

import (
	"errors"
	"math/rand/v2"
	"time"

	"github.com/korelay/korelay/kore"
)

// responseBody returns Kore's response body carried by err, if any.
func responseBody(err error) string {
	var apiErr *kore.APIError
	if errors.As(err, &apiErr) {
		return apiErr.Body
	}
	return ""
}

// backoff returns the wait before attempt+1: full jitter over an
// exponential ceiling, BaseBackoff·2^(attempt-1), capped at MaxBackoff.
func (o *Options) backoff(attempt int) time.Duration {
	ceil := o.BaseBackoff
	for i := 1; i < attempt && ceil < o.MaxBackoff; i++ {
		ceil *= 2
	}
	ceil = min(ceil, o.MaxBackoff)
	if ceil <= 0 {
		return 0
	}
	return rand.N(ceil + 1)
}
