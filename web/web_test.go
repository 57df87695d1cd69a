package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/korelay/korelay/broker"
	"github.com/korelay/korelay/journal"
)

// fakeSource is a Source with one dead letter and one event, whose
// values carry markup that must come out escaped.
type fakeSource struct {
	replayed, dropped []string
}

const evil = `<script>alert(1)</script>`

func (f *fakeSource) Status() Status {
	return Status{Mode: "jetstream", Ready: true, NATS: "nats://x", Journal: true, Rules: 1}
}
func (f *fakeSource) Rules() []Rule {
	return []Rule{{Name: "shipped", Description: evil, Trigger: "webhook:orders", Mode: "live", MatchesHour: 7, Matches5m: 2}}
}
func (f *fakeSource) Budget() broker.Usage {
	return broker.Usage{Minute: 450, PerMinute: 600, Hour: 900, PerHour: 18000}
}
func (f *fakeSource) Recent(int) []journal.Summary {
	return []journal.Summary{{EventID: "korelay-1", Time: time.Now(), Trigger: &journal.Trigger{Source: "webhook", Name: "orders"},
		Matched: []string{"shipped"}, Outcome: journal.OutcomeSent}}
}
func (f *fakeSource) Story(_ context.Context, id string) (*journal.Story, error) {
	if id != "korelay-1" {
		return nil, journal.ErrUnknownEvent
	}
	return journal.Build(id, []journal.Record{{Kind: journal.KindEvaluated, EventID: id, Time: time.Now(),
		Trigger: &journal.Trigger{Source: "webhook", Name: "orders", Preview: evil},
		Rules:   []journal.RuleResult{{Rule: "shipped", Result: journal.ResultRenderError, Error: evil}}}}, nil), nil
}
func (f *fakeSource) DeadLetters(context.Context) ([]broker.DeadLetter, error) {
	return []broker.DeadLetter{{EventID: "korelay-1", Rule: "shipped", Reason: "permanent", Error: evil, Time: time.Now()}}, nil
}
func (f *fakeSource) Replay(_ context.Context, id string) (int, error) {
	f.replayed = append(f.replayed, id)
	return 1, nil
}
func (f *fakeSource) Drop(_ context.Context, id, rule string) (int, error) {
	f.dropped = append(f.dropped, id+"/"+rule)
	return 1, nil
}

func newPage(t *testing.T, token string, loopback bool) (*Page, *fakeSource) {
	t.Helper()
	src := &fakeSource{}
	p, err := New(Options{Source: src, AdminToken: token, Loopback: loopback})
	if err != nil {
		t.Fatal(err)
	}
	return p, src
}

func serve(p http.Handler, method, target string, body url.Values, hdr http.Header) *httptest.ResponseRecorder {
	var r *http.Request
	if body != nil {
		r = httptest.NewRequest(method, target, strings.NewReader(body.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		r = httptest.NewRequest(method, target, nil)
	}
	for k, v := range hdr {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	p.ServeHTTP(w, r)
	return w
}

// csrfOf finds the page's CSRF token.
func csrfOf(t *testing.T, page string) string {
	t.Helper()
	_, rest, ok := strings.Cut(page, `name="csrf" value="`)
	if !ok {
		t.Fatalf("no csrf field in\n%s", page)
	}
	tok, _, _ := strings.Cut(rest, `"`)
	return tok
}

func TestOpenOnLoopbackEscapesEverything(t *testing.T) {
	p, _ := newPage(t, "", true)
	for _, target := range []string{"/", "/events/korelay-1"} {
		w := serve(p, "GET", target, nil, nil)
		body := w.Body.String()
		if w.Code != 200 || strings.Contains(body, evil) || !strings.Contains(body, "&lt;script&gt;") {
			t.Errorf("GET %s: %d, escaped: %v\n%s", target, w.Code, !strings.Contains(body, evil), body)
		}
		if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("GET %s: CSP %q", target, csp)
		}
	}
	w := serve(p, "GET", "/", nil, nil)
	for _, want := range []string{"450 / 600", "fill w75", `href="/events/korelay-1"`, "shipped", "Replay", "Drop"} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("status page lacks %q", want)
		}
	}
	if w := serve(p, "GET", "/events/korelay-9", nil, nil); w.Code != 404 {
		t.Errorf("unknown event: %d", w.Code)
	}
	if w := serve(p, "GET", "/static/style.css", nil, nil); w.Code != 200 || !strings.Contains(w.Body.String(), ".fill.w75") {
		t.Errorf("stylesheet: %d", w.Code)
	}
}

func TestClosedWithoutTokenOffLoopback(t *testing.T) {
	p, src := newPage(t, "", false)
	if w := serve(p, "GET", "/", nil, nil); w.Code != 403 || !strings.Contains(w.Body.String(), "http.admin_token") {
		t.Errorf("GET /: %d", w.Code)
	}
	if w := serve(p, "POST", "/dlq/drop", url.Values{"event_id": {"korelay-1"}}, nil); w.Code != 403 || len(src.dropped) != 0 {
		t.Errorf("POST /dlq/drop: %d, dropped %v", w.Code, src.dropped)
	}
}

func TestTokenBearerLoginCookieAndCSRF(t *testing.T) {
	const token = "s3cret-admin-token"
	p, src := newPage(t, token, false)
	if w := serve(p, "GET", "/events/korelay-1", nil, nil); w.Code != 303 || w.Header().Get("Location") != "/login?next=%2Fevents%2Fkorelay-1" {
		t.Errorf("anonymous GET: %d to %q, want the login form", w.Code, w.Header().Get("Location"))
	}
	if w := serve(p, "GET", "/", nil, http.Header{"Authorization": {"Bearer wrong"}}); w.Code != 401 {
		t.Errorf("wrong bearer: %d", w.Code)
	}
	if w := serve(p, "GET", "/", nil, http.Header{"Authorization": {"Bearer " + token}}); w.Code != 200 {
		t.Errorf("bearer: %d", w.Code)
	}
	// A script with the bearer token needs no CSRF token.
	if w := serve(p, "POST", "/dlq/replay", url.Values{"event_id": {"korelay-1"}}, http.Header{"Authorization": {"Bearer " + token}}); w.Code != 303 || len(src.replayed) != 1 {
		t.Errorf("bearer replay: %d, replayed %v", w.Code, src.replayed)
	}

	if w := serve(p, "POST", "/login", url.Values{"token": {"nope"}, "next": {"/"}}, nil); w.Code != 401 || len(w.Result().Cookies()) != 0 {
		t.Errorf("bad login: %d", w.Code)
	}
	w := serve(p, "POST", "/login", url.Values{"token": {token}, "next": {"//evil.example/"}}, nil)
	cookies := w.Result().Cookies()
	if w.Code != 303 || w.Header().Get("Location") != "/" || len(cookies) != 1 {
		t.Fatalf("login: %d to %q, cookies %v", w.Code, w.Header().Get("Location"), cookies)
	}
	c := cookies[0]
	if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || strings.Contains(c.Value, token) {
		t.Errorf("session cookie %+v: want Secure, HttpOnly, SameSite=Strict, without the token", c)
	}
	withCookie := http.Header{"Cookie": {c.Name + "=" + c.Value}}
	page := serve(p, "GET", "/", nil, withCookie)
	if page.Code != 200 || !strings.Contains(page.Body.String(), "Log out") {
		t.Fatalf("GET / with the session: %d", page.Code)
	}
	csrf := csrfOf(t, page.Body.String())
	if w := serve(p, "POST", "/dlq/drop", url.Values{"event_id": {"korelay-1"}}, withCookie); w.Code != 403 {
		t.Errorf("drop without CSRF: %d", w.Code)
	}
	if w := serve(p, "POST", "/dlq/drop", url.Values{"event_id": {"korelay-1"}, "csrf": {"x" + csrf}}, withCookie); w.Code != 403 {
		t.Errorf("drop with a wrong CSRF: %d", w.Code)
	}
	w = serve(p, "POST", "/dlq/drop", url.Values{"event_id": {"korelay-1"}, "rule": {"shipped"}, "csrf": {csrf}}, withCookie)
	if w.Code != 303 || len(src.dropped) != 1 || src.dropped[0] != "korelay-1/shipped" {
		t.Errorf("drop: %d, dropped %v", w.Code, src.dropped)
	}
	big := url.Values{"event_id": {strings.Repeat("x", maxForm)}, "csrf": {csrf}}
	if w := serve(p, "POST", "/dlq/replay", big, withCookie); w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized form: %d", w.Code)
	}
}

func TestSessionsExpireAndFollowTheToken(t *testing.T) {
	now := time.Now()
	acc, _ := newAccess("one", false, func() time.Time { return now })
	v := acc.newSession()
	if !acc.sessionOK(v) {
		t.Fatal("fresh session refused")
	}
	other, _ := newAccess("two", false, func() time.Time { return now })
	if other.sessionOK(v) {
		t.Error("a session survived a token change")
	}
	now = now.Add(sessionTTL + time.Second)
	if acc.sessionOK(v) {
		t.Error("an expired session was accepted")
	}
	if acc.sessionOK("9999999999.forged") {
		t.Error("a forged session was accepted")
	}
}
