package webhook

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Auth types accepted in Auth.Type.
const (
	AuthStandardWebhooks = "standard-webhooks"
	AuthHMACSHA256       = "hmac-sha256"
	AuthBearer           = "bearer"
	AuthNone             = "none"
)

// Auth says how a hook authenticates its sender.
type Auth struct {
	// Type is "standard-webhooks", "hmac-sha256", "bearer" or "none". It
	// must be set: an empty Type is an error, so "no auth" is always explicit.
	Type string
	// Secrets holds one or more secrets; a request signed with any of them is
	// accepted (rotation). standard-webhooks secrets are "whsec_<base64>";
	// for bearer they are the accepted tokens.
	Secrets []string
	// Header is the signature header (hmac-sha256 only); default
	// "X-Hub-Signature-256".
	Header string
	// Prefix precedes the signature in Header (hmac-sha256 only); nil means
	// the default "sha256=", a pointer to "" means no prefix.
	Prefix *string
	// Encoding of the signature (hmac-sha256 only): "hex" (default) or
	// "base64" (standard alphabet, padded).
	Encoding string
}

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
// found, each naming the field, never a secret value. It also returns the
// name of the header carrying the signature ("" if none).
func newVerifier(a Auth, tolerance time.Duration) (verifier, string, error) {
	errs := checkFieldsFor(a)
	var v verifier
	var header string
	var err error
	switch a.Type {
	case AuthStandardWebhooks:
		v, err = newStandardWebhooks(a.Secrets, tolerance)
		header = headerSignature
	case AuthHMACSHA256:
		var hv *hmacSHA256
		hv, err = newHMACSHA256(a)
		if hv != nil {
			v, header = hv, hv.header
		}
	case AuthBearer:
		v, err = newBearer(a.Secrets)
	case AuthNone:
		v = noAuth{}
	case "":
		err = fmt.Errorf("auth.type: required (%s, %s, %s or %s)",
			AuthStandardWebhooks, AuthHMACSHA256, AuthBearer, AuthNone)
	default:
		err = fmt.Errorf("auth.type: unknown type %q", a.Type)
	}
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, "", err
	}
	return v, header, nil
}

// checkFieldsFor reports fields set for a type that does not use them, which
// are almost always a typo or a wrong type.
func checkFieldsFor(a Auth) []error {
	var errs []error
	if a.Type == AuthNone && len(a.Secrets) > 0 {
		errs = append(errs, errors.New("auth.secret: not used by type none"))
	}
	if a.Type == AuthHMACSHA256 || a.Type == "" {
		return errs
	}
	if a.Header != "" {
		errs = append(errs, errors.New("auth.header: only used by type hmac-sha256"))
	}
	if a.Prefix != nil {
		errs = append(errs, errors.New("auth.prefix: only used by type hmac-sha256"))
	}
	if a.Encoding != "" {
		errs = append(errs, errors.New("auth.encoding: only used by type hmac-sha256"))
	}
	return errs
}

// checkSecrets reports a missing or empty secret, naming it as the config
// does: "auth.secret" for one, "auth.secrets[i]" for several.
func checkSecrets(secrets []string) error {
	if len(secrets) == 0 {
		return errors.New("auth.secret: required")
	}
	var errs []error
	for i, s := range secrets {
		if s == "" {
			errs = append(errs, fmt.Errorf("%s: empty", secretField(secrets, i)))
		}
	}
	return errors.Join(errs...)
}

// secretField names secret i in errors.
func secretField(secrets []string, i int) string {
	if len(secrets) == 1 {
		return "auth.secret"
	}
	return fmt.Sprintf("auth.secrets[%d]", i)
}

// noAuth accepts every request (type none).
type noAuth struct{}

func (noAuth) verify(http.Header, []byte, time.Time) (string, error) { return "", nil }

// validHeaderName reports whether name is a non-empty HTTP token.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range name {
		if c <= ' ' || c >= 0x7f || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, c) {
			return false
		}
	}
	return true
}
