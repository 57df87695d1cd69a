package webhook

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/korelay/korelay/triggers/webhook/hookspec"
)

// Auth types accepted in Auth.Type (see hookspec, which the configuration
// checks with too).
const (
	AuthStandardWebhooks = hookspec.AuthStandardWebhooks
	AuthHMACSHA256       = hookspec.AuthHMACSHA256
	AuthBearer           = hookspec.AuthBearer
	AuthNone             = hookspec.AuthNone
)

// Auth says how a hook authenticates its sender: its type (which must be
// set, so "no auth" is always explicit), its secrets (several during a
// rotation; for bearer, the accepted tokens; standard-webhooks secrets are
// "whsec_<base64>") and, for hmac-sha256 only, the signature header
// (default X-Hub-Signature-256), prefix (nil: "sha256="; a pointer to "":
// none) and encoding (hex, the default, or base64). It is the same type
// the configuration checks, so both accept exactly the same settings.
type Auth = hookspec.Auth

// Reasons a request fails authentication. They are the 401 error text, so
// they never carry header values or secret material.
var (
	errMissingAuth    = errors.New("missing signature or token")
	errBadSignature   = errors.New("invalid signature or token")
	errBadTimestamp   = errors.New("invalid webhook-timestamp")
	errStaleTimestamp = errors.New("webhook-timestamp outside the allowed window")
)

// verifier authenticates one request from its headers and raw body.
type verifier interface {
	// verify returns the sender's message id when the scheme has one (for
	// replay detection), or "".
	verify(hdr http.Header, body []byte, now time.Time) (msgID string, err error)
}

// newVerifier validates a and builds its verifier. It returns every problem
// found (hookspec.CheckAuth), each naming the field, never a secret value.
// It also returns the name of the header carrying the signature ("" if
// none).
func newVerifier(a Auth, tolerance time.Duration) (verifier, string, error) {
	if err := checkAuth(a); err != nil {
		return nil, "", err
	}
	switch a.Type {
	case AuthStandardWebhooks:
		v, err := newStandardWebhooks(a.Secrets, tolerance)
		return v, headerSignature, err
	case AuthHMACSHA256:
		v := newHMACSHA256(a)
		return v, v.header, nil
	case AuthBearer:
		return newBearer(a.Secrets), "", nil
	default:
		return noAuth{}, "", nil
	}
}

// checkAuth reports every problem of a, as "auth.FIELD: message".
func checkAuth(a Auth) error {
	var errs []error
	for _, p := range hookspec.CheckAuth(a) {
		errs = append(errs, fmt.Errorf("%s: %s", p.Path(len(a.Secrets)), p.Message))
	}
	return errors.Join(errs...)
}

// noAuth accepts every request (type none).
type noAuth struct{}

func (noAuth) verify(http.Header, []byte, time.Time) (string, error) { return "", nil }
