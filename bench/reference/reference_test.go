package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestProcess checks the pipeline's decisions on single events: the id's
// exact digits reach the text, pending orders send nothing, bad events are
// permanent failures.
func TestProcess(t *testing.T) {
	var got []notifyBody
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b notifyBody
		if r.Header.Get("auth") == "" || r.URL.Path != "/api/public/bot/st-1/notify" || json.NewDecoder(r.Body).Decode(&b) != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		got = append(got, b)
		_, _ = io.WriteString(w, `{"_id":"ds-1","status":"IN_PROGRESS"}`)
	}))
	defer srv.Close()
	n, err := newNotifier(options{KoreURL: srv.URL, BotID: "st-1", ClientID: "cs-1", Secret: "s", Workers: 1, HTTPTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	w := n.worker()
	cases := []struct {
		name, event string
		wantErr     error
	}{
		{"paid", `{"id":1000000000000000042,"status":"paid","customer":{"name":"Ann","email":"a@x.com"}}`, nil},
		{"pending", `{"id":1000000000000000043,"status":"pending","customer":{"name":"Bob","email":"b@x.com"}}`, nil},
		{"not json", `{"id":`, errBadEvent},
		{"paid without e-mail", `{"id":7,"status":"paid","customer":{"name":"Cy"}}`, errBadEvent},
	}
	for _, c := range cases {
		if err := process(context.Background(), []byte(c.event), w); !errors.Is(err, c.wantErr) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.wantErr)
		}
	}
	want := "Hi Ann, order 1000000000000000042 is confirmed."
	if len(got) != 1 || got[0].Message.Val != want || got[0].Identities[0] != "a@x.com" ||
		got[0].Channel != "slack" || got[0].UserIdentityType != "resolve" || got[0].Message.Type != "text" {
		t.Errorf("calls = %+v, want one to a@x.com with %q", got, want)
	}
}

// TestNotifyErrors checks the retry classes: 429 and 5xx are retryable,
// other 4xx permanent.
func TestNotifyErrors(t *testing.T) {
	for code, permanent := range map[int]bool{429: false, 503: false, 400: true, 401: true} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "no", code)
		}))
		n, err := newNotifier(options{KoreURL: srv.URL, BotID: "st-1", ClientID: "cs-1", Secret: "s", Workers: 1, HTTPTimeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		err = n.worker().notify(context.Background(), "a@x.com", "hi")
		if err == nil || errors.Is(err, errPermanent) != permanent {
			t.Errorf("%d: err = %v, want permanent=%v", code, err, permanent)
		}
		srv.Close()
	}
}
