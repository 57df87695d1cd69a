package koretest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Token rules Kore applies.
const (
	// maxTokenLifetime is the most exp may be after iat.
	maxTokenLifetime = time.Hour
	// clockSkew is how far in the future iat may be.
	clockSkew = 5 * time.Minute
	// authErrorCode is the code of Kore's 401 answers.
	authErrorCode = 4002
)

// tokenClaims are the claims the server reads.
type tokenClaims struct {
	AppID *string      `json:"appId"`
	IAT   *json.Number `json:"iat"`
	EXP   *json.Number `json:"exp"`
	JTI   *string      `json:"jti"`
}

// The jwt parser asks for the registered claims; the server checks them
// itself in checkTimes, with Kore's rules.
func (tokenClaims) GetExpirationTime() (*jwt.NumericDate, error) { return nil, nil }
func (tokenClaims) GetIssuedAt() (*jwt.NumericDate, error)       { return nil, nil }
func (tokenClaims) GetNotBefore() (*jwt.NumericDate, error)      { return nil, nil }
func (tokenClaims) GetIssuer() (string, error)                   { return "", nil }
func (tokenClaims) GetSubject() (string, error)                  { return "", nil }
func (tokenClaims) GetAudience() (jwt.ClaimStrings, error)       { return nil, nil }

// authenticate checks the auth header; the reply is the 401 when it fails.
func (s *Server) authenticate(h http.Header) (reply, bool) {
	tok := h.Get("auth")
	if tok == "" {
		msg := "missing auth header"
		if h.Get("Authorization") != "" {
			msg += " (Kore reads the JWT from the auth header, not Authorization)"
		}
		return errorReply(http.StatusUnauthorized, authErrorCode, msg), false
	}
	if err := s.verify(tok, time.Now()); err != nil {
		return errorReply(http.StatusUnauthorized, authErrorCode, "invalid token: "+err.Error()), false
	}
	return reply{}, true
}

// verify checks a JWT against the server's credentials at wall-clock time
// now. Its errors never quote the token.
func (s *Server) verify(tok string, now time.Time) error {
	if s.cachedValid(tok, now) {
		return nil
	}
	if alg := algOf(tok); alg != "HS256" && alg != "" {
		return fmt.Errorf("alg %q: want HS256", alg)
	}
	var c tokenClaims
	_, err := jwt.ParseWithClaims(tok, &c, func(*jwt.Token) (any, error) {
		return []byte(s.ClientSecret), nil
	}, jwt.WithValidMethods([]string{"HS256"}), jwt.WithoutClaimsValidation(), jwt.WithJSONNumber())
	switch {
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return errors.New("signature does not match the client secret")
	case errors.Is(err, jwt.ErrTokenMalformed):
		return errors.New("not a JWT (want header.payload.signature, base64url JSON)")
	case err != nil:
		return errors.New("claims are not a JSON object with the expected types")
	}
	if c.AppID == nil || *c.AppID != s.ClientID {
		return errors.New("appId claim is missing or is not the client id")
	}
	exp, err := checkTimes(c, now)
	if err != nil {
		return err
	}
	if s.cfg.enforceJTI {
		return s.useJTI(c.JTI, exp, now)
	}
	s.remember(tok, exp)
	return nil
}

// maxVerified bounds the cache of verified tokens.
const maxVerified = 1024

// cachedValid reports whether tok was verified before and has not expired.
func (s *Server) cachedValid(tok string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.verified[tok]
	return ok && now.Before(exp)
}

// remember caches a verified token until exp.
func (s *Server) remember(tok string, exp time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.verified) >= maxVerified {
		clear(s.verified)
	}
	s.verified[tok] = exp
}

// algOf returns the alg of a token's header, for error messages.
func algOf(tok string) string {
	head, _, _ := strings.Cut(tok, ".")
	raw, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return ""
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if json.Unmarshal(raw, &h) != nil {
		return ""
	}
	return h.Alg
}

// checkTimes checks iat and exp with Kore's rules and returns exp.
func checkTimes(c tokenClaims, now time.Time) (time.Time, error) {
	if c.IAT == nil || c.EXP == nil {
		return time.Time{}, errors.New("iat and exp claims are required")
	}
	iat, err1 := c.IAT.Int64()
	exp, err2 := c.EXP.Int64()
	if err1 != nil || err2 != nil {
		return time.Time{}, errors.New("iat and exp must be integer seconds")
	}
	switch {
	case exp <= iat:
		return time.Time{}, errors.New("exp is not after iat")
	case time.Duration(exp-iat)*time.Second > maxTokenLifetime:
		return time.Time{}, errors.New("exp is more than 1 hour after iat")
	case time.Unix(iat, 0).After(now.Add(clockSkew)):
		return time.Time{}, errors.New("iat is in the future")
	case !time.Unix(exp, 0).After(now):
		return time.Time{}, errors.New("token expired")
	}
	return time.Unix(exp, 0), nil
}

// useJTI accepts a jti once; it is remembered until its token expires.
func (s *Server) useJTI(jti *string, exp, now time.Time) error {
	if jti == nil || *jti == "" {
		return errors.New("jti claim is required (JTI is enforced)")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, seen := s.seenJTI[*jti]; seen {
		return errors.New("jti was already used (replay)")
	}
	if len(s.seenJTI) >= 1<<12 {
		for k, until := range s.seenJTI {
			if until.Before(now) {
				delete(s.seenJTI, k)
			}
		}
	}
	s.seenJTI[*jti] = exp
	return nil
}

// Token returns a token the server accepts: appId ClientID, sub "koretest",
// an exp 30 minutes away and a fresh jti. Use it for requests made without a
// kore.Client.
func (s *Server) Token() string {
	now := time.Now()
	tok, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"appId": s.ClientID,
		"sub":   "koretest",
		"iat":   now.Unix(),
		"exp":   now.Add(30 * time.Minute).Unix(),
		"jti":   rand.Text(),
	}).SignedString([]byte(s.ClientSecret))
	return tok
}
