package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/korelay/korelay/triggers/webhook/hookspec"
)

// Standard Webhooks headers (https://www.standardwebhooks.com).
const (
	headerID        = "Webhook-Id"
	headerTimestamp = "Webhook-Timestamp"
	headerSignature = "Webhook-Signature"
	whsecPrefix     = hookspec.WhsecPrefix
)

// standardWebhooks verifies the Standard Webhooks scheme: an HMAC-SHA256 of
// "id.timestamp.body", keyed by the decoded secret, sent as one or more
// space-separated "v1,<base64>" signatures.
type standardWebhooks struct {
	keys      [][]byte
	tolerance int64 // seconds
}

// newStandardWebhooks builds the verifier of secrets, which
// hookspec.CheckAuth found valid.
func newStandardWebhooks(secrets []string, tolerance time.Duration) (*standardWebhooks, error) {
	v := &standardWebhooks{tolerance: int64(tolerance / time.Second)}
	for i, s := range secrets {
		key, err := hookspec.DecodeWhsec(s)
		if err != nil {
			return nil, fmt.Errorf("auth.secrets[%d]: %w", i, err)
		}
		v.keys = append(v.keys, key)
	}
	return v, nil
}

func (v *standardWebhooks) verify(hdr http.Header, body []byte, now time.Time) (string, error) {
	id, ts, sigs := hdr.Get(headerID), hdr.Get(headerTimestamp), hdr.Get(headerSignature)
	if id == "" || ts == "" || sigs == "" {
		return "", errMissingAuth
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return "", errBadTimestamp
	}
	// Integer seconds, so no value of sec can overflow the comparison.
	if n := now.Unix(); sec < n-v.tolerance || sec > n+v.tolerance {
		return "", errStaleTimestamp
	}
	if !v.match(id, ts, body, sigs) {
		return "", errBadSignature
	}
	return id, nil
}

// match reports whether any v1 signature in sigs matches any key. It
// compares every signature with every key, so timing does not tell which.
func (v *standardWebhooks) match(id, ts string, body []byte, sigs string) bool {
	given := parseV1Signatures(sigs)
	found := 0
	for _, key := range v.keys {
		want := signStandard(key, id, ts, body)
		for _, sig := range given {
			found |= subtle.ConstantTimeCompare(want, sig)
		}
	}
	return found == 1
}

// parseV1Signatures returns the decoded "v1," entries of a
// webhook-signature header, skipping other versions and malformed entries.
func parseV1Signatures(header string) [][]byte {
	var sigs [][]byte
	for _, entry := range strings.Fields(header) {
		version, b64, ok := strings.Cut(entry, ",")
		if !ok || version != "v1" {
			continue
		}
		if sig, err := base64.StdEncoding.DecodeString(b64); err == nil {
			sigs = append(sigs, sig)
		}
	}
	return sigs
}

// signStandard computes HMAC-SHA256(key, id "." ts "." body).
func signStandard(key []byte, id, ts string, body []byte) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id))
	mac.Write([]byte{'.'})
	mac.Write([]byte(ts))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return mac.Sum(nil)
}
