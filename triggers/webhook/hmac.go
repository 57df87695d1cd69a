package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Defaults for hmac-sha256 (GitHub's scheme).
const (
	defaultHMACHeader = "X-Hub-Signature-256"
	defaultHMACPrefix = "sha256="
)

// hmacSHA256 verifies an HMAC-SHA256 of the raw body sent in one header,
// after an optional prefix, hex or base64 encoded.
type hmacSHA256 struct {
	keys   [][]byte
	header string
	prefix string
	decode func(string) ([]byte, error)
}

func newHMACSHA256(a Auth) (*hmacSHA256, error) {
	v := &hmacSHA256{header: defaultHMACHeader, prefix: defaultHMACPrefix}
	var errs []error
	errs = append(errs, checkSecrets(a.Secrets))
	if a.Header != "" {
		v.header = http.CanonicalHeaderKey(a.Header)
	}
	if !validHeaderName(v.header) {
		errs = append(errs, errors.New("auth.header: not a valid header name"))
	}
	if a.Prefix != nil {
		v.prefix = *a.Prefix
	}
	switch a.Encoding {
	case "", "hex":
		v.decode = hex.DecodeString
	case "base64":
		v.decode = base64.StdEncoding.DecodeString
	default:
		errs = append(errs, fmt.Errorf("auth.encoding: %q is not hex or base64", a.Encoding))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, s := range a.Secrets {
		v.keys = append(v.keys, []byte(s))
	}
	return v, nil
}

func (v *hmacSHA256) verify(hdr http.Header, body []byte, _ time.Time) (string, error) {
	value := hdr.Get(v.header)
	if value == "" {
		return "", errMissingAuth
	}
	if len(value) < len(v.prefix) || !strings.EqualFold(value[:len(v.prefix)], v.prefix) {
		return "", errBadSignature
	}
	sig, err := v.decode(value[len(v.prefix):])
	if err != nil {
		return "", errBadSignature
	}
	found := 0
	for _, key := range v.keys {
		mac := hmac.New(sha256.New, key)
		mac.Write(body)
		found |= subtle.ConstantTimeCompare(mac.Sum(nil), sig)
	}
	if found != 1 {
		return "", errBadSignature
	}
	return "", nil
}
