package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
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
		if _, err := process(context.Background(), []byte(c.event), delivery{}, w); !errors.Is(err, c.wantErr) {
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

// TestLedger checks the optional ledger: a sent notification's entry is
// published, a redelivered event found in it is acked without a call, one
// not found is sent and recorded, and a non-matching event records nothing.
func TestLedger(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls++
		_, _ = io.WriteString(w, `{"_id":"ds-1","status":"IN_PROGRESS"}`)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	js := startJetStream(t)
	n, err := newNotifier(options{KoreURL: srv.URL, BotID: "st-1", ClientID: "cs-1", Secret: "s", Workers: 1, HTTPTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if n.ledger, err = newLedger(ctx, js, "TEST_LEDGER"); err != nil {
		t.Fatal(err)
	}
	w := n.worker()
	paid := []byte(`{"id":42,"status":"paid","customer":{"name":"Ann","email":"a@x.com"}}`)
	pending := []byte(`{"id":43,"status":"pending","customer":{"name":"Bob","email":"b@x.com"}}`)
	steps := []struct {
		name      string
		event     []byte
		d         delivery
		wantCalls int
	}{
		{"first delivery is sent", paid, delivery{key: "seq-1"}, 1},
		{"redelivery of a recorded event is not", paid, delivery{key: "seq-1", redelivered: true}, 1},
		{"redelivery of an unrecorded event is", paid, delivery{key: "seq-2", redelivered: true}, 2},
		{"pending order", pending, delivery{key: "seq-3"}, 2},
	}
	for _, s := range steps {
		f, err := process(ctx, s.event, s.d, w)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if f != nil {
			select {
			case <-f.Ok():
			case err := <-f.Err():
				t.Fatalf("%s: ledger put: %v", s.name, err)
			}
		}
		if calls != s.wantCalls {
			t.Fatalf("%s: %d calls, want %d", s.name, calls, s.wantCalls)
		}
	}
	for key, want := range map[string]bool{"seq-1": true, "seq-2": true, "seq-3": false} {
		if got, err := n.ledger.seen(ctx, key); err != nil || got != want {
			t.Errorf("seen(%s) = %v, %v; want %v", key, got, err, want)
		}
	}
}

// startJetStream starts an embedded NATS server with JetStream for the
// test and returns a JetStream context on it.
func startJetStream(t *testing.T) jetstream.JetStream {
	t.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS server not ready")
	}
	t.Cleanup(s.Shutdown)
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// TestAckRecordedAfterCancel checks that an acker whose context ended
// still takes every event its worker hands it, acking none, so a stop
// past the drain limit cannot leave the worker blocked on its queue.
func TestAckRecordedAfterCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	pending := make(chan pendingAck) // unbuffered: each hand-off needs the acker
	returned := make(chan struct{})
	go func() {
		defer close(returned)
		ackRecorded(ctx, pending, slog.New(slog.DiscardHandler))
	}()
	for i := range 3 {
		select {
		case pending <- pendingAck{f: unanswered{}}: // m is never touched: nothing is acked
		case <-time.After(5 * time.Second):
			t.Fatalf("event %d: the acker stopped taking events once its context ended", i)
		}
	}
	close(pending)
	select {
	case <-returned:
	case <-time.After(5 * time.Second):
		t.Fatal("the acker did not return once its queue was closed")
	}
}

// unanswered is a ledger write the server never answers.
type unanswered struct{}

func (unanswered) Ok() <-chan *jetstream.PubAck { return nil }
func (unanswered) Err() <-chan error            { return nil }
func (unanswered) Msg() *nats.Msg               { return nil }
