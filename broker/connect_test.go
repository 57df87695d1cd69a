package broker

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/korelay/korelay/internal/syncbuf"
)

func TestConnectFailureIsClearAndRedacted(t *testing.T) {
	tests := []struct {
		name string
		ctx  func() context.Context
		want string
	}{
		{"nothing listening", context.Background, "connect to nats at nats://redacted@127.0.0.1:1"},
		{"cancelled context", func() context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx
		}, "context canceled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Connect(tt.ctx(), ConnectOptions{URL: "nats://ann:s3cret@127.0.0.1:1"})
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "s3cret") {
				t.Errorf("Connect = %v; want error with %q and no password", err, tt.want)
			}
		})
	}
	if _, err := Connect(context.Background(), ConnectOptions{TLSCert: "c.pem"}); err == nil {
		t.Error("Connect accepted a TLS cert without key")
	}
}

func TestConnectLogsConnectionEvents(t *testing.T) {
	s := startServer(t)
	var buf syncbuf.Buffer
	nc, err := Connect(context.Background(), ConnectOptions{
		URL:    s.ClientURL(),
		Token:  "not-logged", // a server without auth ignores it
		Logger: slog.New(slog.NewTextHandler(&buf, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Shutdown()
	s.WaitForShutdown()
	if err := waitUntil(5*time.Second, func() bool { return strings.Contains(buf.String(), "nats disconnected") }); err != nil {
		t.Errorf("no disconnect logged: %q", buf.String())
	}
	nc.Close()
	if err := waitUntil(5*time.Second, func() bool { return strings.Contains(buf.String(), "nats connection closed") }); err != nil {
		t.Errorf("no close logged: %q", buf.String())
	}
	if strings.Contains(buf.String(), "not-logged") {
		t.Error("token logged")
	}
}

func TestEmbeddedInProcessConnect(t *testing.T) {
	s := startServer(t)
	nc, err := Connect(context.Background(), ConnectOptions{InProcess: s})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	b := newBroker(t, nc, Options{})
	if id := publish(t, b, "korelay.cron.x", "{}", nil); id != "korelay-1" {
		t.Errorf("event id %q", id)
	}
	if _, err := StartEmbedded(EmbeddedOptions{}); err == nil {
		t.Error("StartEmbedded without a store dir succeeded")
	}
}

func TestReconnectDelay(t *testing.T) {
	prev := time.Duration(0)
	for attempt := 1; attempt <= 40; attempt++ {
		d := reconnectDelay(attempt)
		base := min(reconnectBase<<min(attempt-1, 20), reconnectMax)
		if d < base || d > base+base/2 {
			t.Errorf("attempt %d: delay %s outside [%s, %s]", attempt, d, base, base+base/2)
		}
		if base < prev {
			t.Errorf("attempt %d: base went down", attempt)
		}
		prev = base
	}
}
