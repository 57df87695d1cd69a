package koretest_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/korelay/korelay/kore"
	"github.com/korelay/korelay/kore/koretest"
)

// answer is a decoded answer of the fake.
type answer struct {
	status int
	header http.Header
	body   map[string]any
}

// errMsg returns the first errors[].msg of an error answer.
func (a answer) errMsg() string {
	errs, _ := a.body["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	first, _ := errs[0].(map[string]any)
	msg, _ := first["msg"].(string)
	return msg
}

// errCode returns the first errors[].code of an error answer.
func (a answer) errCode() float64 {
	errs, _ := a.body["errors"].([]any)
	if len(errs) == 0 {
		return 0
	}
	first, _ := errs[0].(map[string]any)
	code, _ := first["code"].(float64)
	return code
}

// send makes a raw request; token "" sends no auth header, and a body is sent
// as application/json.
func send(t *testing.T, srv *koretest.Server, method, path, token, body string) answer {
	t.Helper()
	return sendWith(t, srv, method, path, token, body, "application/json")
}

// sendWith is send with a Content-Type.
func sendWith(t *testing.T, srv *koretest.Server, method, path, token, body, contentType string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("auth", token)
	}
	if body != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	a := answer{status: resp.StatusCode, header: resp.Header}
	if err := json.Unmarshal(raw, &a.body); err != nil {
		t.Fatalf("%s %s answered %d with a non-JSON body %q", method, path, resp.StatusCode, raw)
	}
	return a
}

// mint signs claims with secret under a JOSE header.
func mint(header string, claims map[string]any, secret string) string {
	payload, _ := json.Marshal(claims)
	signing := base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + base64.RawURLEncoding.EncodeToString(payload)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(signing))
	return signing + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// claimsFor returns valid claims for srv issued now.
func claimsFor(srv *koretest.Server, jti string) map[string]any {
	now := time.Now()
	return map[string]any{"appId": srv.ClientID, "sub": "test", "iat": now.Unix(), "exp": now.Add(30 * time.Minute).Unix(), "jti": jti}
}

// hs256 is the usual JOSE header.
const hs256 = `{"alg":"HS256","typ":"JWT"}`

// notifyPath and devicePath return the API paths of srv.
func notifyPath(srv *koretest.Server) string { return "/api/public/bot/" + srv.BotID + "/notify" }
func devicePath(srv *koretest.Server, rest string) string {
	return "/api/public/streams/" + srv.BotID + rest
}

// validNotify is a notify body the fake accepts.
const validNotify = `{"channel":"msteams","userIdentityType":"resolve","message":{"type":"text","val":"hello"},"identities":["john@kore.com"]}`

// fakeClock is a settable clock safe for the server's goroutines.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// client returns a kore client for srv.
func client(t *testing.T, srv *koretest.Server, opts ...kore.Option) *kore.Client {
	t.Helper()
	c, err := kore.New(append(srv.ClientOptions(), opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
