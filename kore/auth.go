package kore

import (
	"crypto/rand"
	"fmt"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Token timing. Kore refuses tokens whose exp is more than an hour after iat
// when JTI is enforced; staying well below keeps clock skew harmless.
const (
	// tokenLifetime is exp - iat of every minted token.
	tokenLifetime = 55 * time.Minute
	// tokenRefreshBefore is how long before exp a cached token is replaced.
	tokenRefreshBefore = 5 * time.Minute
	// tokenSubject is the sub claim.
	tokenSubject = "korelay"
)

// tokenSource hands out the value of the `auth` header: a fixed token, a
// cached minted one, or a fresh one per request. It is safe for concurrent
// use.
type tokenSource struct {
	fixed      string
	clientID   string
	secret     []byte
	enforceJTI bool
	now        func() time.Time

	mu      sync.Mutex
	cached  string
	expires time.Time
}

// token returns the token to send with the next request.
func (s *tokenSource) token() (string, error) {
	if s.fixed != "" {
		return s.fixed, nil
	}
	now := s.now()
	if s.enforceJTI {
		tok, _, err := s.mint(now)
		return tok, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cached != "" && now.Before(s.expires.Add(-tokenRefreshBefore)) {
		return s.cached, nil
	}
	tok, exp, err := s.mint(now)
	if err != nil {
		return "", err
	}
	s.cached, s.expires = tok, exp
	return tok, nil
}

// mint signs a new token issued at now with a random jti.
func (s *tokenSource) mint(now time.Time) (string, time.Time, error) {
	exp := time.Unix(now.Add(tokenLifetime).Unix(), 0)
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"appId": s.clientID,
		"sub":   tokenSubject,
		"iat":   now.Unix(),
		"exp":   exp.Unix(),
		"jti":   rand.Text(),
	})
	signed, err := tok.SignedString(s.secret)
	if err != nil {
		// Never echo the claims or the key.
		return "", time.Time{}, fmt.Errorf("sign token: %T", err)
	}
	return signed, exp, nil
}
