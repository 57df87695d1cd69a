package webhook

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// FuzzVerify feeds arbitrary Standard Webhooks headers and bodies to the
// verifiers. Properties: no panic; a request is accepted only if it carries
// a correct signature and a fresh timestamp; appending the correct signature
// to any header makes a well-formed request pass.
func FuzzVerify(f *testing.F) {
	f.Add(vectorID, strconv.Itoa(vectorTS), vectorSig, []byte(vectorBody))
	f.Add("", "", "", []byte(nil))
	f.Add("id", "1614265330", "v1,", []byte("{}"))
	f.Add("id", "+1614265330", "v1,AAAA v1a,bbb ,,, v2,x", []byte("x"))

	keyB64 := strings.TrimPrefix(testWhsec, whsecPrefix)
	key, _ := base64.StdEncoding.DecodeString(keyB64)
	sw, err := newStandardWebhooks([]string{testWhsec}, DefaultTolerance)
	if err != nil {
		f.Fatal(err)
	}
	hm := newHMACSHA256(Auth{Type: AuthHMACSHA256, Secrets: []string{"k"}})
	now := vectorNow()

	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte) {
		hdr := http.Header{}
		hdr["Webhook-Id"] = []string{id}
		hdr["Webhook-Timestamp"] = []string{ts}
		hdr["Webhook-Signature"] = []string{sig}
		hdr["X-Hub-Signature-256"] = []string{sig}
		want := signStandard(key, id, ts, body)

		gotID, err := sw.verify(hdr, body, now)
		if err == nil {
			if gotID != id || !fresh(ts) || !containsSig(sig, want) {
				t.Fatalf("accepted id %q ts %q sig %q", id, ts, sig)
			}
		}
		_, _ = hm.verify(hdr, body, now) // must not panic

		// A well-formed request with the right signature passes.
		if id == "" || !fresh(ts) {
			return
		}
		hdr["Webhook-Signature"] = []string{sig + " v1," + base64.StdEncoding.EncodeToString(want)}
		if _, err := sw.verify(hdr, body, now); err != nil {
			t.Fatalf("correct signature after %q refused: %v", sig, err)
		}
	})
}

// fresh reports whether ts parses and lies within the default tolerance of
// the vector time.
func fresh(ts string) bool {
	n, err := strconv.ParseInt(ts, 10, 64)
	tol := int64(DefaultTolerance.Seconds())
	return err == nil && n >= vectorTS-tol && n <= vectorTS+tol
}

// containsSig reports whether header holds a v1 entry decoding to want.
func containsSig(header string, want []byte) bool {
	for _, sig := range parseV1Signatures(header) {
		if subtle.ConstantTimeCompare(sig, want) == 1 && bytes.Equal(sig, want) {
			return true
		}
	}
	return false
}
