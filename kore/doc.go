// Package kore is a typed client for the Kore.ai APIs korelay uses: the
// proactive notification API (notify and job status) and the SDK push device
// APIs (subscribe, list, unsubscribe).
//
// A Client signs every call with an HS256 JWT in the `auth` header, checks
// each request before it is sent (a request that fails validation returns an
// error wrapping ErrInvalidRequest and nothing goes over the wire), and turns
// every answer that is not a documented success into an error:
//
//   - *APIError for an error answer from Kore (non-2xx, or a 2xx whose body is
//     only an errors list), with Kore's code and message, the parsed
//     Retry-After and the (truncated) body;
//   - an error wrapping ErrMalformedResponse for a 2xx body that is not what
//     the API documents;
//   - a wrapped transport error when no answer arrived (network failure,
//     timeout, cancelled context).
//
// IsRetryable and RetryAfter classify all of them, so one retry layer can
// decide without matching error strings. The package never logs and never
// retries on its own. Error strings never contain the client secret or a
// token.
//
// Package kore/koretest provides an in-process fake Kore server that checks
// every request against the documented contract.
package kore
