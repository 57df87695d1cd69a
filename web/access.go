package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Session cookie and form settings.
const (
	cookieName = "korelay_session"
	// sessionTTL is how long a login lasts.
	sessionTTL = 12 * time.Hour
	// maxForm bounds a form post's body.
	maxForm = 8 << 10
	// csrfField is the form field carrying the CSRF token.
	csrfField = "csrf"
)

// access decides who may see the page. With an admin token, a request
// needs it as a bearer token, or a session cookie the login form set
// (signed with a key derived from the token, so every replica with the
// same token accepts it, and rotating the token ends every session).
// Without one, the page is open on a loopback listen and closed anywhere
// else.
type access struct {
	token    []byte
	loopback bool
	key      []byte // signs sessions and CSRF tokens
	now      func() time.Time
}

func newAccess(token string, loopback bool, now func() time.Time) (*access, error) {
	a := &access{token: []byte(token), loopback: loopback, now: now}
	if token != "" {
		a.key = sign([]byte(token), "korelay status page")
		return a, nil
	}
	a.key = make([]byte, 32)
	if _, err := rand.Read(a.key); err != nil {
		return nil, fmt.Errorf("web: session key: %w", err)
	}
	return a, nil
}

// verdict is what access says of a request.
type verdict int

const (
	denied  verdict = iota // no valid credentials: log in
	closed                 // no admin token and not loopback: never
	open                   // loopback without a token
	bearer                 // a valid bearer token
	session                // a valid session cookie
)

// check returns the request's verdict and, for a session, its cookie value
// (the CSRF token is bound to it).
func (a *access) check(r *http.Request) (verdict, string) {
	if len(a.token) == 0 {
		if a.loopback {
			return open, ""
		}
		return closed, ""
	}
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		if a.tokenOK(tok) {
			return bearer, ""
		}
		return denied, ""
	}
	if c, err := r.Cookie(cookieName); err == nil && a.sessionOK(c.Value) {
		return session, c.Value
	}
	return denied, ""
}

// tokenOK compares in constant time (over the HMACs, so the token's
// length does not leak either).
func (a *access) tokenOK(tok string) bool {
	return hmac.Equal(sign(a.key, "token:"+tok), sign(a.key, "token:"+string(a.token)))
}

// newSession returns a session cookie value: expiry and its signature.
func (a *access) newSession() string {
	exp := strconv.FormatInt(a.now().Add(sessionTTL).Unix(), 10)
	return exp + "." + base64.RawURLEncoding.EncodeToString(sign(a.key, "session:"+exp))
}

func (a *access) sessionOK(v string) bool {
	exp, sig, ok := strings.Cut(v, ".")
	if !ok {
		return false
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, sign(a.key, "session:"+exp)) {
		return false
	}
	unix, err := strconv.ParseInt(exp, 10, 64)
	return err == nil && a.now().Before(time.Unix(unix, 0))
}

// csrf is the CSRF token of forms shown under the given session binding.
func (a *access) csrf(binding string) string {
	return base64.RawURLEncoding.EncodeToString(sign(a.key, "csrf:"+binding))
}

func (a *access) csrfOK(binding, got string) bool {
	return subtle.ConstantTimeCompare([]byte(a.csrf(binding)), []byte(got)) == 1
}

func sign(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// guard serves GET pages to those allowed, and sends the others to the
// login form (or says why the page is closed).
func (p *Page) guard(h func(http.ResponseWriter, *http.Request, string)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, binding := p.access.check(r)
		switch v {
		case closed:
			p.closedPage(w)
		case denied:
			if r.Header.Get("Authorization") != "" {
				w.Header().Set("WWW-Authenticate", `Bearer realm="korelay"`)
				p.failure(w, http.StatusUnauthorized, "Unauthorized", "That admin token is not korelay's http.admin_token.")
				return
			}
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		default:
			h(w, r, p.access.csrf(binding))
		}
	})
}

// guardPost serves form posts to those allowed, with a valid CSRF token
// (bearer callers, whom no browser impersonates, need none), and a body
// of at most maxForm bytes.
func (p *Page) guardPost(h func(http.ResponseWriter, *http.Request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, binding := p.access.check(r)
		switch v {
		case closed:
			p.closedPage(w)
			return
		case denied:
			w.Header().Set("WWW-Authenticate", `Bearer realm="korelay"`)
			p.failure(w, http.StatusUnauthorized, "Unauthorized", "Log in first.")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		if err := r.ParseForm(); err != nil {
			p.failure(w, http.StatusRequestEntityTooLarge, "Bad form", "The form could not be read.")
			return
		}
		if v != bearer && !p.access.csrfOK(binding, r.PostForm.Get(csrfField)) {
			p.failure(w, http.StatusForbidden, "Forbidden", "The form's CSRF token is missing or stale: reload the page and try again.")
			return
		}
		h(w, r)
	})
}

func (p *Page) closedPage(w http.ResponseWriter) {
	p.failure(w, http.StatusForbidden, "Status page closed",
		"korelay listens on a non-loopback address and has no http.admin_token: set one to open the status page.")
}
