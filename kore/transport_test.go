package kore_test

import (
	"net/http"
	"net/http/httptest"
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
