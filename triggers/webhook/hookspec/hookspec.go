// Package hookspec says what a valid webhook definition is: its name and
// its auth settings. The configuration loader (config) and the webhook
// handler (triggers/webhook) both check through it, so a webhook the
// configuration accepts is one the handler serves, and the reverse. It
// imports only the standard library, so any package may use it.
package hookspec

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Auth types.
const (
	AuthStandardWebhooks = "standard-webhooks"
	AuthHMACSHA256       = "hmac-sha256"
	AuthBearer           = "bearer"
	AuthNone             = "none"
)

// Settings of hmac-sha256 and their defaults (GitHub's scheme).
const (
	DefaultHMACHeader = "X-Hub-Signature-256"
	DefaultHMACPrefix = "sha256="
	EncodingHex       = "hex"
	EncodingBase64    = "base64"
)

// WhsecPrefix starts every standard-webhooks secret: "whsec_<base64>".
const WhsecPrefix = "whsec_"

// NameRule says what ValidName accepts, for messages.
const NameRule = "letters, digits, '-' or '_', lower case, starting with a letter or digit"

// ValidName reports whether name can name a webhook: it is the NAME of
// POST /hooks/NAME and a NATS subject token, so it matches
// [a-z0-9][a-z0-9_-]*.
func ValidName(name string) bool {
	for i, c := range []byte(name) {
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case (c == '-' || c == '_') && i > 0:
		default:
			return false
		}
	}
	return name != ""
}

// Auth is one webhook's auth settings, as written.
type Auth struct {
	// Type is one of the Auth* constants; it must be written.
	Type string
	// Secrets are the accepted secrets (several during a rotation); for
	// bearer, the accepted tokens.
	Secrets []string
	// Header, Prefix and Encoding apply to hmac-sha256 only. Header "" and
	// Prefix nil mean the defaults; a pointer to "" means no prefix.
	Header   string
	Prefix   *string
	Encoding string
}

// Field names the auth setting a Problem is about.
type Field string

// The auth settings.
const (
	FieldType     Field = "type"
	FieldSecret   Field = "secret"
	FieldHeader   Field = "header"
	FieldPrefix   Field = "prefix"
	FieldEncoding Field = "encoding"
)

// Problem is one invalid auth setting. Its message never quotes a secret.
type Problem struct {
	Field Field
	// Secret is, for FieldSecret, the index in Auth.Secrets of the secret
	// at fault, or -1 when the problem is the secrets as a whole (none
	// given, or some given to type none). It is -1 for other fields.
	Secret int
	// Message says what is wrong, e.g. `must start with "whsec_"`.
	Message string
}

// Path names the setting in a webhook's settings, given how many secrets
// Auth.Secrets holds: "auth.type", "auth.secret" (of one secret, or of the
// secrets as a whole), "auth.secrets[i]" (of several).
func (p Problem) Path(secrets int) string {
	if p.Field == FieldSecret && p.Secret >= 0 && secrets > 1 {
		return fmt.Sprintf("auth.secrets[%d]", p.Secret)
	}
	return "auth." + string(p.Field)
}

// CheckAuth returns every problem of a, type first; none when a is valid.
func CheckAuth(a Auth) []Problem {
	switch a.Type {
	case AuthStandardWebhooks, AuthHMACSHA256, AuthBearer, AuthNone:
	case "":
		return []Problem{typeProblem("required: %s, %s, %s or %s (%s must be written explicitly)",
			AuthStandardWebhooks, AuthHMACSHA256, AuthBearer, AuthNone, AuthNone)}
	default:
		return []Problem{typeProblem("unknown type %q (want %s, %s, %s or %s)",
			a.Type, AuthStandardWebhooks, AuthHMACSHA256, AuthBearer, AuthNone)}
	}
	probs := checkSecrets(a)
	if a.Type == AuthHMACSHA256 {
		return append(probs, checkHMAC(a)...)
	}
	return append(probs, checkNotHMAC(a)...)
}

func typeProblem(format string, args ...any) Problem {
	return Problem{Field: FieldType, Secret: -1, Message: fmt.Sprintf(format, args...)}
}

// checkSecrets checks the secrets as a's type needs them.
func checkSecrets(a Auth) []Problem {
	if a.Type == AuthNone {
		if len(a.Secrets) > 0 {
			return []Problem{{Field: FieldSecret, Secret: -1, Message: "not used by type none"}}
		}
		return nil
	}
	if len(a.Secrets) == 0 {
		return []Problem{{Field: FieldSecret, Secret: -1, Message: fmt.Sprintf("required: %s needs secret: or secrets:", a.Type)}}
	}
	var probs []Problem
	for i, s := range a.Secrets {
		if err := checkSecret(a.Type, s); err != nil {
			probs = append(probs, Problem{Field: FieldSecret, Secret: i, Message: err.Error()})
		}
	}
	return probs
}

// checkSecret checks one secret of an auth type that needs secrets.
func checkSecret(typ, s string) error {
	switch {
	case s == "":
		return errors.New("empty")
	case typ == AuthStandardWebhooks:
		_, err := DecodeWhsec(s)
		return err
	case typ == AuthBearer && strings.TrimSpace(s) != s:
		return errors.New("starts or ends with white space, which an Authorization header cannot carry")
	}
	return nil
}

// DecodeWhsec decodes a standard-webhooks secret, "whsec_" and the
// standard padded base64 of the key. Its errors never quote the secret,
// nor base64's error, which would point into it.
func DecodeWhsec(s string) ([]byte, error) {
	b64, ok := strings.CutPrefix(s, WhsecPrefix)
	if !ok {
		return nil, fmt.Errorf("must start with %q", WhsecPrefix)
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(key) == 0 {
		return nil, fmt.Errorf("not valid base64 after %q", WhsecPrefix)
	}
	return key, nil
}

func checkHMAC(a Auth) []Problem {
	var probs []Problem
	if a.Header != "" && !ValidHeaderName(a.Header) {
		probs = append(probs, Problem{Field: FieldHeader, Secret: -1, Message: "not a valid header name"})
	}
	switch a.Encoding {
	case "", EncodingHex, EncodingBase64:
	default:
		probs = append(probs, Problem{Field: FieldEncoding, Secret: -1,
			Message: fmt.Sprintf("%q is not %s or %s", a.Encoding, EncodingHex, EncodingBase64)})
	}
	return probs
}

// checkNotHMAC reports hmac-sha256's settings given to another type: almost
// always a typo or the wrong type.
func checkNotHMAC(a Auth) []Problem {
	var probs []Problem
	only := func(f Field) {
		probs = append(probs, Problem{Field: f, Secret: -1, Message: "only used by type " + AuthHMACSHA256})
	}
	if a.Header != "" {
		only(FieldHeader)
	}
	if a.Prefix != nil {
		only(FieldPrefix)
	}
	if a.Encoding != "" {
		only(FieldEncoding)
	}
	return probs
}

// ValidHeaderName reports whether name is a non-empty HTTP header name (a
// token).
func ValidHeaderName(name string) bool {
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
