package service

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	e2eBearerToken = "s3cret-token"
	e2eHMACSecret  = "hmac-secret"
	e2eWhsec       = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
)

var webhookSpec = e2eSpec{
	HTTP: "max_body: 1KiB",
	Extra: `
webhooks:
  shop:
    auth: {type: bearer, secret: ` + e2eBearerToken + `}
  billing:
    auth: {type: standard-webhooks, secret: ` + e2eWhsec + `}
  github:
    auth: {type: hmac-sha256, secrets: [new-secret, ` + e2eHMACSecret + `]}
`,
	Rules: `
rules:
  - name: shop
    on: {webhook: shop}
    notify: {channel: slack, to: event.email, text: "shop {{ .event.n }}"}
  - name: billing
    on: {webhook: billing}
    notify: {channel: slack, to: event.email, text: "billing {{ .event.n }}"}
  - name: github
    on: {webhook: github}
    notify: {channel: msteams, to: event.email, text: "github {{ .event.n }}"}
`,
}

func bearer(token string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token}, "Content-Type": {"application/json"}}
}

func standardWebhookHeaders(t *testing.T, id string, ts time.Time, body string) http.Header {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(e2eWhsec, "whsec_"))
	if err != nil {
		t.Fatal(err)
	}
	unix := strconv.FormatInt(ts.Unix(), 10)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + unix + "." + body))
	return http.Header{
		"Webhook-Id": {id}, "Webhook-Timestamp": {unix}, "Content-Type": {"application/json"},
		"Webhook-Signature": {"v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))},
	}
}

func hubSignature(secret, body string) http.Header {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	return http.Header{"X-Hub-Signature-256": {"sha256=" + hex.EncodeToString(mac.Sum(nil))}}
}

// acceptedID checks a 202 answer and returns its event id.
func acceptedID(t *testing.T, what string, code int, body string) string {
	t.Helper()
	var v struct {
		ID string `json:"id"`
	}
	if code != http.StatusAccepted || json.Unmarshal([]byte(body), &v) != nil || v.ID == "" {
		t.Fatalf("%s: got %d %s, want 202 {\"id\": ...}", what, code, body)
	}
	return v.ID
}

// Every webhook auth scheme and answer of DESIGN.md, through the running
// service: what is accepted is stored once and reaches Kore once; what is
// refused is never stored nor sent.
func TestE2EWebhooks(t *testing.T) {
	t.Parallel()
	e := startE2E(t, webhookSpec)
	now := time.Now()
	body := func(n int, email string) string {
		return `{"n": ` + strconv.Itoa(n) + `, "email": "` + email + `"}`
	}
	wantCode := func(what string, code int, got int, resp string) {
		t.Helper()
		if got != code {
			t.Errorf("%s: got %d %s, want %d", what, got, resp, code)
		}
	}

	// Accepted: each scheme once; the standard-webhooks message twice.
	var ids []string
	code, resp := e.do("POST", "/hooks/shop", body(1, "bearer@example.com"), bearer(e2eBearerToken))
	ids = append(ids, acceptedID(t, "bearer", code, resp))
	sw := body(2, "sw@example.com")
	code, resp = e.do("POST", "/hooks/billing", sw, standardWebhookHeaders(t, "msg_1", now, sw))
	first := acceptedID(t, "standard-webhooks", code, resp)
	code, resp = e.do("POST", "/hooks/billing", sw, standardWebhookHeaders(t, "msg_1", now.Add(time.Second), sw))
	if again := acceptedID(t, "standard-webhooks replay", code, resp); again != first {
		t.Errorf("replayed webhook-id answered id %q, want the first id %q", again, first)
	}
	ids = append(ids, first)
	gh := body(3, "hmac@example.com")
	code, resp = e.do("POST", "/hooks/github", gh, hubSignature(e2eHMACSecret, gh)) // old secret, no Content-Type
	ids = append(ids, acceptedID(t, "hmac-sha256", code, resp))
	if len(slices.Compact(slices.Sorted(slices.Values(ids)))) != 3 {
		t.Errorf("event ids %v are not distinct", ids)
	}

	// Refused: nothing of these may be stored or sent.
	code, resp = e.do("POST", "/hooks/shop", body(4, "no@example.com"), bearer("wrong"))
	wantCode("bearer, wrong token", 401, code, resp)
	code, resp = e.do("POST", "/hooks/shop", body(4, "no@example.com"), http.Header{"Content-Type": {"application/json"}})
	wantCode("bearer, no token", 401, code, resp)
	stale := now.Add(-10 * time.Minute)
	code, resp = e.do("POST", "/hooks/billing", sw, standardWebhookHeaders(t, "msg_2", stale, sw))
	wantCode("standard-webhooks, stale timestamp", 401, code, resp)
	forged := standardWebhookHeaders(t, "msg_3", now, sw)
	code, resp = e.do("POST", "/hooks/billing", body(5, "no@example.com"), forged)
	wantCode("standard-webhooks, body changed", 401, code, resp)
	code, resp = e.do("POST", "/hooks/github", gh, hubSignature("other", gh))
	wantCode("hmac-sha256, wrong secret", 401, code, resp)
	big := `{"n": 6, "email": "no@example.com", "pad": "` + strings.Repeat("x", 2048) + `"}`
	code, resp = e.do("POST", "/hooks/shop", big, bearer(e2eBearerToken))
	wantCode("over max_body", 413, code, resp)
	code, resp = e.do("POST", "/hooks/shop", `{"n": 7,`, bearer(e2eBearerToken))
	wantCode("bad JSON", 400, code, resp)
	code, resp = e.do("POST", "/hooks/nope", body(8, "no@example.com"), bearer(e2eBearerToken))
	wantCode("unknown hook", 404, code, resp)
	code, resp = e.do("GET", "/hooks/shop", "", bearer(e2eBearerToken))
	wantCode("GET", 405, code, resp)
	h := bearer(e2eBearerToken)
	h.Set("Content-Type", "application/xml")
	code, resp = e.do("POST", "/hooks/shop", "<n>9</n>", h)
	wantCode("unsupported content type", 415, code, resp)

	if n := e.streamMsgs(); n != 3 {
		t.Errorf("ingest stream holds %d events, want the 3 accepted", n)
	}
	calls := e.waitCalls(3)
	got := map[string]string{}
	for _, c := range calls {
		got[strings.Join(c.Notify.Identities, ",")] = c.Notify.Channel + ":" + c.Notify.Message.Val
	}
	want := map[string]string{
		"bearer@example.com": "slack:shop 1",
		"sw@example.com":     "slack:billing 2",
		"hmac@example.com":   "msteams:github 3",
	}
	if !mapsEqual(got, want) || len(calls) != 3 {
		t.Errorf("Kore received %d calls %v, want exactly %v", len(calls), got, want)
	}
	// Every refusal is counted, before it is answered.
	if v, _ := e.metric("korelay_events_total", `source="webhook"`, `outcome="rejected"`); v != 10 {
		t.Errorf("korelay_events_total{source=webhook,outcome=rejected} = %v, want 10", v)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
