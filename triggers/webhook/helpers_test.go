package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// Test secrets. Each contains "TOPSECRET" (or decodes from a value that
// does) so tests can check it never leaks.
const (
	testWhsec     = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"         // the Standard Webhooks spec vector
	testWhsecNew  = "whsec_VE9QU0VDUkVULW5ldy1rZXktMTIzNDU2Nzg5MA==" // "TOPSECRET-new-key-1234567890"
	testHMACKey   = "TOPSECRET-github"
	testHMACKey2  = "TOPSECRET-github-rotated"
	testToken     = "TOPSECRET-token"
	testToken2    = "TOPSECRET-token-rotated"
	vectorID      = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTS      = 1614265330
	vectorBody    = `{"test": 2432232314}`
	vectorSig     = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	defaultTarget = "/hooks/orders"
)

// fakePublisher stores messages in memory and, like JetStream, stores a
// message with a Nats-Msg-Id it has seen only once, returning the first id.
type fakePublisher struct {
	mu       sync.Mutex
	msgs     []*nats.Msg
	byMsgID  map[string]string
	err      error
	block    chan struct{} // if set, Publish waits for it to close
	entered  chan struct{} // if set, receives once per Publish call
	deadline bool          // whether the last ctx had a deadline
	noDedup  bool          // store every message, like core NATS or a stream without a duplicate window
}

func (p *fakePublisher) Publish(ctx context.Context, msg *nats.Msg) (string, error) {
	if p.entered != nil {
		p.entered <- struct{}{}
	}
	if p.block != nil {
		<-p.block
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	_, p.deadline = ctx.Deadline()
	if p.err != nil {
		return "", p.err
	}
	msgID := msg.Header.Get(nats.MsgIdHdr)
	if id, ok := p.byMsgID[msgID]; ok && msgID != "" && !p.noDedup {
		return id, nil
	}
	p.msgs = append(p.msgs, msg)
	id := fmt.Sprintf("korelay-%d", len(p.msgs))
	if p.byMsgID == nil {
		p.byMsgID = map[string]string{}
	}
	p.byMsgID[msgID] = id
	return id, nil
}

func (p *fakePublisher) published() []*nats.Msg {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*nats.Msg(nil), p.msgs...)
}

// testHooks covers every auth scheme, with two secrets each for rotation.
func testHooks() []Hook {
	empty := ""
	return []Hook{
		{Name: "orders", Auth: Auth{Type: AuthStandardWebhooks, Secrets: []string{testWhsecNew, testWhsec}}},
		{Name: "github", Auth: Auth{Type: AuthHMACSHA256, Secrets: []string{testHMACKey2, testHMACKey}}},
		{Name: "b64", Auth: Auth{Type: AuthHMACSHA256, Secrets: []string{testHMACKey}, Header: "x-signature", Prefix: &empty, Encoding: "base64"}},
		{Name: "bearer", Auth: Auth{Type: AuthBearer, Secrets: []string{testToken2, testToken}}},
		{Name: "open", Auth: Auth{Type: AuthNone}},
	}
}

// vectorNow is a clock at the spec vector's timestamp.
func vectorNow() time.Time { return time.Unix(vectorTS, 0) }

type fixture struct {
	h   *Handler
	pub *fakePublisher
	log *bytes.Buffer
}

func newFixture(t testing.TB, mod ...func(*Options)) *fixture {
	t.Helper()
	f := &fixture{pub: &fakePublisher{}, log: &bytes.Buffer{}}
	opts := Options{
		Hooks:     testHooks(),
		Publisher: f.pub,
		Now:       vectorNow,
		Logger:    slog.New(slog.NewTextHandler(f.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, m := range mod {
		m(&opts)
	}
	h, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	f.h = h
	return f
}

// do serves req and returns the recorded response.
func (f *fixture) do(req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return rec
}

// post builds a POST to target with a JSON content type.
func post(target, body string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, target, bytes.NewBufferString(body))
	req.Header.Set("Content-Type", "application/json")
	return req
}

// signStandard adds Standard Webhooks headers signed with secret.
func signStandardReq(req *http.Request, secret, id string, ts int64, body string) *http.Request {
	key, err := base64.StdEncoding.DecodeString(secret[len(whsecPrefix):])
	if err != nil {
		panic(err)
	}
	tsStr := strconv.FormatInt(ts, 10)
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", tsStr)
	req.Header.Set("webhook-signature", "v1,"+base64.StdEncoding.EncodeToString(signStandard(key, id, tsStr, []byte(body))))
	return req
}

func hmacHex(key, body string) string {
	m := hmac.New(sha256.New, []byte(key))
	io.WriteString(m, body)
	return hex.EncodeToString(m.Sum(nil))
}

func hmacB64(key, body string) string {
	m := hmac.New(sha256.New, []byte(key))
	io.WriteString(m, body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// decodeAnswer decodes a JSON answer body into a map.
func decodeAnswer(t *testing.T, rec *httptest.ResponseRecorder) map[string]string {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("answer Content-Type = %q, want application/json", ct)
	}
	var m map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("answer %q is not a JSON object of strings: %v", rec.Body.String(), err)
	}
	return m
}
