package kore_test

import (
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/korelay/korelay/kore"
)

// TestTransportAsksForNoCompression: requests through NewTransport carry
// no Accept-Encoding (Go's default transport adds "gzip"), and an answer
// is read as sent.
func TestTransportAsksForNoCompression(t *testing.T) {
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("Accept-Encoding")
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	hc := &http.Client{Transport: kore.NewTransport()}
	resp, err := hc.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if enc := <-got; enc != "" {
		t.Errorf("Accept-Encoding = %q, want none", enc)
	}
}

// TestHeadersAreTheRequestsOwn: requests reuse their header's room, never
// its content. A GET after a POST carries no Content-Type; each request
// one token and one User-Agent; and through a client with a cookie jar
// (whose headers are never reused) each request one cookie.
func TestHeadersAreTheRequestsOwn(t *testing.T) {
	for _, withJar := range []bool{false, true} {
		var mu sync.Mutex
		var seen []http.Header
		srv := newPlainServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen = append(seen, r.Header.Clone())
			mu.Unlock()
			http.SetCookie(w, &http.Cookie{Name: "session", Value: "s1", Path: "/"})
			_, _ = w.Write([]byte(`{"_id":"ds-1","status":"IN_PROGRESS"}`))
		}))
		var opts []kore.Option
		if withJar {
			jar, err := cookiejar.New(nil)
			if err != nil {
				t.Fatal(err)
			}
			opts = append(opts, kore.WithHTTPClient(&http.Client{Jar: jar}))
		}
		c := plainClient(t, srv.URL, opts...)
		for range 3 {
			if _, err := c.Notify(t.Context(), textTo("a@x.io")); err != nil {
				t.Fatal(err)
			}
			if _, err := c.NotifyStatus(t.Context(), "ds-1"); err != nil {
				t.Fatal(err)
			}
		}
		mu.Lock()
		for i, h := range seen {
			post := i%2 == 0
			if got := h.Get("Content-Type"); post != (got != "") {
				t.Errorf("jar %v, request %d (POST %v): Content-Type %q", withJar, i, post, got)
			}
			if len(h.Values("Auth")) != 1 || len(h.Values("User-Agent")) != 1 {
				t.Errorf("jar %v, request %d: Auth %q, User-Agent %q: want one each", withJar, i, h.Values("Auth"), h.Values("User-Agent"))
			}
			if cookies := h.Values("Cookie"); withJar && i > 0 && (len(cookies) != 1 || strings.Count(cookies[0], "session=") != 1) {
				t.Errorf("request %d through a jar: Cookie %q, want the one session cookie", i, cookies)
			}
		}
		mu.Unlock()
	}
}
