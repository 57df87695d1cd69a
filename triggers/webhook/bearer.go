package webhook

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
	"time"
)

// bearer verifies "Authorization: Bearer <token>". Tokens are compared as
// SHA-256 digests, so the comparison takes the same time whatever the
// lengths and does not reveal a token's length.
type bearer struct {
	digests [][sha256.Size]byte
}

// newBearer builds the verifier of tokens, which hookspec.CheckAuth found
// valid.
func newBearer(tokens []string) *bearer {
	v := &bearer{}
	for _, t := range tokens {
		v.digests = append(v.digests, sha256.Sum256([]byte(t)))
	}
	return v
}

func (v *bearer) verify(hdr http.Header, _ []byte, _ time.Time) (string, error) {
	scheme, token, _ := strings.Cut(hdr.Get("Authorization"), " ")
	token = strings.TrimLeft(token, " ")
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", errMissingAuth
	}
	got := sha256.Sum256([]byte(token))
	found := 0
	for _, want := range v.digests {
		found |= subtle.ConstantTimeCompare(got[:], want[:])
	}
	if found != 1 {
		return "", errBadSignature
	}
	return "", nil
}
