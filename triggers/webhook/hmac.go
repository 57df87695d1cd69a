package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/korelay/korelay/triggers/webhook/hookspec"
)

// Defaults for hmac-sha256 (GitHub's scheme).
const (
	defaultHMACHeader = hookspec.DefaultHMACHeader
	defaultHMACPrefix = hookspec.DefaultHMACPrefix
)

// hmacSHA256 verifies an HMAC-SHA256 of the raw body sent in one header,
// after an optional prefix, hex or base64 encoded.
type hmacSHA256 struct {
	keys   [][]byte
	header string
	prefix string
	decode func(string) ([]byte, error)
}

// newHMACSHA256 builds the verifier of a, which hookspec.CheckAuth found
// valid.
func newHMACSHA256(a Auth) *hmacSHA256 {
	v := &hmacSHA256{header: defaultHMACHeader, prefix: defaultHMACPrefix, decode: hex.DecodeString}
	if a.Header != "" {
		v.header = http.CanonicalHeaderKey(a.Header)
	}
	if a.Prefix != nil {
		v.prefix = *a.Prefix
	}
	if a.Encoding == hookspec.EncodingBase64 {
		v.decode = base64.StdEncoding.DecodeString
	}
	for _, s := range a.Secrets {
		v.keys = append(v.keys, []byte(s))
	}
	return v
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
