package webhook

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	dto "github.com/prometheus/client_model/go"

	"github.com/korelay/korelay/metrics"
	"github.com/korelay/korelay/triggers"
)

func TestStatuses(t *testing.T) {
	tests := []struct {
		name        string
		req         func() *http.Request
		publishErr  error
		want        int
		wantOutcome string
	}{
		{"accepted", func() *http.Request { return post("/hooks/open", `{"a":1}`) }, nil, 202, metrics.OutcomeAccepted},
		{"unknown hook", func() *http.Request { return post("/hooks/nope", `{}`) }, nil, 404, metrics.OutcomeRejected},
		{"no hook name", func() *http.Request { return post("/hooks/", `{}`) }, nil, 404, metrics.OutcomeRejected},
		{"nested path", func() *http.Request { return post("/hooks/open/x", `{}`) }, nil, 404, metrics.OutcomeRejected},
		{"GET", func() *http.Request { return httptest.NewRequest(http.MethodGet, "/hooks/open", nil) }, nil, 405, metrics.OutcomeRejected},
		{"PUT", func() *http.Request {
			return httptest.NewRequest(http.MethodPut, "/hooks/open", strings.NewReader("{}"))
		}, nil, 405, metrics.OutcomeRejected},
		{"bad JSON", func() *http.Request { return post("/hooks/open", `{"a":`) }, nil, 400, metrics.OutcomeRejected},
		{"empty JSON body", func() *http.Request { return post("/hooks/open", ``) }, nil, 400, metrics.OutcomeRejected},
		{"trailing data after JSON", func() *http.Request { return post("/hooks/open", `{} {}`) }, nil, 400, metrics.OutcomeRejected},
		{"bad JSON without Content-Type", func() *http.Request {
			r := post("/hooks/open", `hello`)
			r.Header.Del("Content-Type")
			return r
		}, nil, 400, metrics.OutcomeRejected},
		{"JSON without Content-Type", func() *http.Request {
			r := post("/hooks/open", `{"a":1}`)
			r.Header.Del("Content-Type")
			return r
		}, nil, 202, metrics.OutcomeAccepted},
		{"+json type", func() *http.Request {
			return withType(post("/hooks/open", `{}`), "application/vnd.api+json; charset=utf-8")
		}, nil, 202, metrics.OutcomeAccepted},
		{"JSON with charset", func() *http.Request { return withType(post("/hooks/open", `[1]`), "Application/JSON; charset=utf-8") }, nil, 202, metrics.OutcomeAccepted},
		{"text/plain", func() *http.Request { return withType(post("/hooks/open", `not json`), "text/plain; charset=utf-8") }, nil, 202, metrics.OutcomeAccepted},
		{"form", func() *http.Request {
			return withType(post("/hooks/open", `a=1&b=2&b=3`), "application/x-www-form-urlencoded")
		}, nil, 202, metrics.OutcomeAccepted},
		{"bad form", func() *http.Request {
			return withType(post("/hooks/open", `a=%zz`), "application/x-www-form-urlencoded")
		}, nil, 400, metrics.OutcomeRejected},
		{"unsupported type", func() *http.Request { return withType(post("/hooks/open", `<a/>`), "application/xml") }, nil, 415, metrics.OutcomeRejected},
		{"bare +json", func() *http.Request { return withType(post("/hooks/open", `{}`), "application/+json") }, nil, 415, metrics.OutcomeRejected},
		{"multipart", func() *http.Request { return withType(post("/hooks/open", `x`), "multipart/form-data; boundary=x") }, nil, 415, metrics.OutcomeRejected},
		{"publisher fails", func() *http.Request { return post("/hooks/open", `{}`) }, errors.New("jetstream: timeout"), 503, metrics.OutcomeFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := metrics.New(nil)
			f := newFixture(t, func(o *Options) { o.Metrics = m })
			f.pub.err = tt.publishErr
			rec := f.do(tt.req())
			if rec.Code != tt.want {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tt.want, rec.Body)
			}
			answer := decodeAnswer(t, rec)
			if tt.want == 202 && answer["id"] != "korelay-1" {
				t.Errorf("answer = %v, want id korelay-1", answer)
			}
			if tt.want != 202 && answer["error"] == "" {
				t.Errorf("answer = %v, want an error text", answer)
			}
			if tt.want == 405 && rec.Header().Get("Allow") != http.MethodPost {
				t.Errorf("Allow = %q, want POST", rec.Header().Get("Allow"))
			}
			if got := counterValue(t, m, tt.wantOutcome); got != 1 {
				t.Errorf("korelay_events_total{source=webhook,outcome=%s} = %v, want 1", tt.wantOutcome, got)
			}
			if tt.want != 202 && len(f.pub.published()) != 0 {
				t.Errorf("published on status %d", rec.Code)
			}
		})
	}
}

func withType(r *http.Request, contentType string) *http.Request {
	r.Header.Set("Content-Type", contentType)
	return r
}

func TestBodyLimit(t *testing.T) {
	const max = 64
	body := `{"x":"` + strings.Repeat("a", max-8) + `"}` // exactly max bytes
	if len(body) != max {
		t.Fatalf("test body is %d bytes", len(body))
	}
	tests := []struct {
		name    string
		body    string
		chunked bool
		want    int
	}{
		{"exactly max", body, false, 202},
		{"exactly max, chunked", body, true, 202},
		{"over max by Content-Length", body + " ", false, 413},
		{"over max, chunked", body + strings.Repeat(" ", 1000), true, 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(o *Options) { o.MaxBody = max })
			srv := httptest.NewServer(f.h)
			defer srv.Close()
			var r io.Reader = strings.NewReader(tt.body)
			if tt.chunked {
				r = io.MultiReader(r) // hides the length: sent chunked
			}
			req, err := http.NewRequest(http.MethodPost, srv.URL+"/hooks/open", r)
			if err != nil {
				t.Fatal(err)
			}
			if tt.chunked != (req.ContentLength == 0) {
				t.Fatalf("ContentLength = %d, chunked = %v", req.ContentLength, tt.chunked)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}

// A declared Content-Length over the limit is refused before any byte of
// the body is read.
func TestBodyLimitByContentLength(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.MaxBody = 10 })
	req := post("/hooks/open", "")
	req.ContentLength = 11
	req.Body = io.NopCloser(failReader{t})
	if rec := f.do(req); rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("status = %d, want 413", rec.Code)
	}
}

type failReader struct{ t *testing.T }

func (r failReader) Read([]byte) (int, error) {
	r.t.Error("body read although Content-Length is over the limit")
	return 0, io.EOF
}

func TestPublishedMessage(t *testing.T) {
	f := newFixture(t)
	body := `{"order": 12345678901234567890}`
	req := signStandardReq(post("/hooks/orders", body), testWhsec, "msg_abc", vectorTS, body)
	req.Header.Del("Content-Type")
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Proxy-Authorization", "Basic "+testToken)
	req.Header.Set("Cookie", "session="+testToken)
	req.Header.Set("X-Request-Id", "req-1")
	req.Header.Add("X-Multi", "first")
	req.Header.Add("X-Multi", "second")
	if rec := f.do(req); rec.Code != 202 {
		t.Fatalf("status = %d; body %s", rec.Code, rec.Body)
	}
	msgs := f.pub.published()
	if len(msgs) != 1 {
		t.Fatalf("published %d messages, want 1", len(msgs))
	}
	msg := msgs[0]
	if msg.Subject != triggers.WebhookSubject("orders") || string(msg.Data) != body {
		t.Errorf("message = %s %q", msg.Subject, msg.Data)
	}
	want := map[string]string{
		triggers.HeaderContentType:             "application/json",
		triggers.HeaderReceived:                "2021-02-25T15:02:10Z",
		nats.MsgIdHdr:                          "webhook:orders:msg_abc",
		triggers.HeaderPrefix + "X-Request-Id": "req-1",
		triggers.HeaderPrefix + "X-Multi":      "first",
		triggers.HeaderPrefix + "Webhook-Id":   "msg_abc",
	}
	for k, v := range want {
		if got := msg.Header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	for k, vs := range msg.Header {
		for _, dropped := range []string{"Authorization", "Proxy-Authorization", "Cookie", "Webhook-Signature"} {
			if k == triggers.HeaderPrefix+dropped {
				t.Errorf("header %s was copied", k)
			}
		}
		assertNoSecrets(t, "header "+k, strings.Join(vs, ","))
	}
	// The stored message decodes back into the event rules will see.
	ev, err := triggers.Decode("korelay-1", msg.Subject, msg.Header, msg.Data, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if ev.Trigger != "orders" || ev.Headers["X-Request-Id"] != "req-1" || !ev.Time.Equal(vectorNow()) {
		t.Errorf("decoded event = %+v", ev)
	}
	if p, _ := ev.Payload.(map[string]any); p["order"] != "12345678901234567890" {
		t.Errorf("payload = %#v", ev.Payload)
	}
}

func TestPublishedHeadersHMAC(t *testing.T) {
	f := newFixture(t)
	body := `a=1`
	req := withType(post("/hooks/b64", body), "application/x-www-form-urlencoded")
	req.Header.Set("X-Signature", hmacB64(testHMACKey, body))
	req.Header.Set("X-Hub-Signature-256", "not the configured header")
	if rec := f.do(req); rec.Code != 202 {
		t.Fatalf("status = %d; body %s", rec.Code, rec.Body)
	}
	msg := f.pub.published()[0]
	if got := msg.Header.Get(triggers.HeaderContentType); got != "application/x-www-form-urlencoded" {
		t.Errorf("content type = %q", got)
	}
	if _, ok := msg.Header[triggers.HeaderPrefix+"X-Signature"]; ok {
		t.Error("configured signature header was copied")
	}
	if _, ok := msg.Header[triggers.HeaderPrefix+"X-Hub-Signature-256"]; !ok {
		t.Error("other header was dropped")
	}
	if _, ok := msg.Header[nats.MsgIdHdr]; ok {
		t.Error("Nats-Msg-Id set for a scheme without message ids")
	}
}

func TestPublishUsesBoundedContext(t *testing.T) {
	f := newFixture(t)
	if rec := f.do(post("/hooks/open", `{}`)); rec.Code != 202 {
		t.Fatalf("status = %d", rec.Code)
	}
	if !f.pub.deadline {
		t.Error("Publish context has no deadline")
	}
}

func TestLogs(t *testing.T) {
	f := newFixture(t)
	f.do(signStandardReq(post("/hooks/orders", `{}`), testWhsec, "msg_log", vectorTS, `{}`))
	req := post("/hooks/github", `{}`)
	req.Header.Set("X-Hub-Signature-256", "sha256="+hmacHex("wrong", `{}`))
	f.do(req)
	log := f.log.String()
	for _, want := range []string{
		`level=INFO msg="webhook accepted" webhook=orders event_id=korelay-1 replay=false`,
		`level=WARN msg="webhook rejected" webhook=github status=401 reason="invalid signature or token"`,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	assertNoSecrets(t, "log", log)
}

// counterValue reads korelay_events_total{source="webhook",outcome}.
func counterValue(t *testing.T, m *metrics.Metrics, outcome string) float64 {
	t.Helper()
	var out dto.Metric
	if err := m.Events.WithLabelValues("webhook", outcome).Write(&out); err != nil {
		t.Fatal(err)
	}
	return out.GetCounter().GetValue()
}
