package webhook

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestReplay(t *testing.T) {
	f := newFixture(t, func(o *Options) {
		o.Hooks = append(o.Hooks, Hook{Name: "orders2", Auth: Auth{Type: AuthStandardWebhooks, Secrets: []string{testWhsec}}})
	})
	send := func(ts int64) string {
		t.Helper()
		req := signStandardReq(post("/hooks/orders", `{"n":1}`), testWhsec, "msg_replay", ts, `{"n":1}`)
		rec := f.do(req)
		if rec.Code != http.StatusAccepted {
			t.Fatalf("status = %d, want 202; body %s", rec.Code, rec.Body)
		}
		return decodeAnswer(t, rec)["id"]
	}
	first := send(vectorTS)
	again := send(vectorTS)        // the same delivery, replayed
	retried := send(vectorTS - 10) // the sender's retry, re-signed
	if first == "" || again != first || retried != first {
		t.Fatalf("ids = %q, %q, %q; want the first id each time", first, again, retried)
	}
	if n := len(f.pub.published()); n != 1 {
		t.Fatalf("published %d messages, want 1", n)
	}
	// Another hook with the same webhook-id is another event.
	req := signStandardReq(post("/hooks/orders2", `{"n":1}`), testWhsec, "msg_replay", vectorTS, `{"n":1}`)
	if id := decodeAnswer(t, f.do(req))["id"]; id == first || id == "" {
		t.Fatalf("other hook answered id %q, want a new event", id)
	}
}

// Without deduplication in the store, the in-memory cache alone answers a
// replay with the first id and publishes once.
func TestReplayWithoutStoreDedup(t *testing.T) {
	f := newFixture(t)
	f.pub.noDedup = true
	var ids []string
	for range 3 {
		rec := f.do(signStandardReq(post("/hooks/orders", `{}`), testWhsec, "msg_c", vectorTS, `{}`))
		ids = append(ids, decodeAnswer(t, rec)["id"])
	}
	if ids[0] == "" || ids[1] != ids[0] || ids[2] != ids[0] {
		t.Fatalf("ids = %q, want the first id each time", ids)
	}
	if n := len(f.pub.published()); n != 1 {
		t.Fatalf("published %d messages, want 1", n)
	}
	if !strings.Contains(f.log.String(), "replay=true") {
		t.Errorf("replay not logged:\n%s", f.log)
	}
}

// Without the cache (a restart, another replica), the publisher's
// deduplication by Nats-Msg-Id still answers the first id.
func TestReplayAcrossHandlers(t *testing.T) {
	f := newFixture(t)
	second, err := New(Options{Hooks: testHooks(), Publisher: f.pub, Now: vectorNow})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, h := range []http.Handler{f.h, second} {
		f.h = h.(*Handler)
		rec := f.do(signStandardReq(post("/hooks/orders", `{}`), testWhsec, "msg_x", vectorTS, `{}`))
		ids = append(ids, decodeAnswer(t, rec)["id"])
	}
	if ids[0] == "" || ids[0] != ids[1] {
		t.Fatalf("ids = %q, want the same id twice", ids)
	}
	if n := len(f.pub.published()); n != 1 {
		t.Fatalf("published %d messages, want 1", n)
	}
}

func TestReplayNotCachedOnFailure(t *testing.T) {
	f := newFixture(t)
	f.pub.err = fmt.Errorf("down")
	req := func() *http.Request {
		return signStandardReq(post("/hooks/orders", `{}`), testWhsec, "msg_f", vectorTS, `{}`)
	}
	if rec := f.do(req()); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status = %d, want 503", rec.Code)
	}
	f.pub.err = nil
	if rec := f.do(req()); rec.Code != http.StatusAccepted || len(f.pub.published()) != 1 {
		t.Fatalf("retry after failure: status = %d, published %d", rec.Code, len(f.pub.published()))
	}
}

func TestReplayCache(t *testing.T) {
	t0 := time.Unix(1000, 0)
	c := newReplayCache(3, time.Minute)
	c.put("a", "1", t0)
	c.put("a", "2", t0) // a known key keeps its first id
	if id, ok := c.get("a", t0.Add(59*time.Second)); !ok || id != "1" {
		t.Fatalf("get a = %q, %v; want 1, true", id, ok)
	}
	if _, ok := c.get("a", t0.Add(time.Minute)); ok {
		t.Fatal("entry outlived its ttl")
	}
	for i := range 5 {
		c.put(fmt.Sprint(i), fmt.Sprint(i), t0.Add(time.Duration(i)*time.Second))
	}
	if c.len() != 3 {
		t.Fatalf("len = %d, want the bound 3", c.len())
	}
	if _, ok := c.get("0", t0.Add(5*time.Second)); ok {
		t.Fatal("oldest entry was not evicted")
	}
	if id, ok := c.get("4", t0.Add(5*time.Second)); !ok || id != "4" {
		t.Fatalf("get 4 = %q, %v", id, ok)
	}
}

func TestReplayRemembersTwiceTheTolerance(t *testing.T) {
	f := newFixture(t)
	if got, want := f.h.replays.ttl, 2*DefaultTolerance; got != want {
		t.Fatalf("replay ttl = %v, want %v", got, want)
	}
}
