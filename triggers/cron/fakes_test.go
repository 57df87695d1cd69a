package cron

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/korelay/korelay/internal/syncbuf"
	"github.com/korelay/korelay/rules/schedule"
)

// fakePublisher records published messages; fail, if set, decides whether
// a publish attempt fails.
type fakePublisher struct {
	mu       sync.Mutex
	msgs     []*nats.Msg
	attempts int
	fail     func(msg *nats.Msg) error
}

func (p *fakePublisher) Publish(ctx context.Context, msg *nats.Msg) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.attempts++
	if p.fail != nil {
		if err := p.fail(msg); err != nil {
			return "", err
		}
	}
	p.msgs = append(p.msgs, msg)
	return fmt.Sprint(len(p.msgs)), nil
}

// ids returns the Nats-Msg-Id of every published message, in order.
func (p *fakePublisher) ids() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	ids := make([]string, len(p.msgs))
	for i, m := range p.msgs {
		ids[i] = m.Header.Get(nats.MsgIdHdr)
	}
	return ids
}

// fakeState is an in-memory StateStore.
type fakeState struct {
	mu   sync.Mutex
	last map[string]time.Time
}

func newFakeState() *fakeState { return &fakeState{last: make(map[string]time.Time)} }

func (s *fakeState) LastFired(_ context.Context, rule string) (time.Time, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.last[rule]
	return t, ok, nil
}

func (s *fakeState) SetLastFired(_ context.Context, rule string, t time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.last[rule] = t
	return nil
}

func (s *fakeState) get(rule string) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last[rule]
}

// logTo is a logger writing to b.
func logTo(b *syncbuf.Buffer) *slog.Logger { return slog.New(slog.NewTextHandler(b, nil)) }

// start runs tr with jobs in the background; the returned stop cancels it
// and checks that Run returns at once (without the fake clock advancing).
func start(t *testing.T, tr *Trigger, jobs []Job) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- tr.Run(ctx, jobs) }()
	return func() {
		t.Helper()
		before := time.Now()
		cancel()
		err := <-done
		if err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
		if waited := time.Since(before); waited != 0 {
			t.Errorf("Run took %v to stop after cancel", waited)
		}
	}
}

func mustParse(t *testing.T, spec, zone string) *schedule.Schedule {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatalf("load zone: %v", err)
	}
	s, err := schedule.Parse(spec, loc)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return s
}

// sleepUntil advances the bubble's fake clock to the RFC 3339 time s.
func sleepUntil(t *testing.T, s string) {
	t.Helper()
	at, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("parse time: %v", err)
	}
	time.Sleep(time.Until(at))
}

// decodeBody decodes a cron event's payload.
func decodeBody(t *testing.T, msg *nats.Msg) map[string]string {
	t.Helper()
	var b map[string]string
	if err := json.Unmarshal(msg.Data, &b); err != nil {
		t.Fatalf("body %s: %v", msg.Data, err)
	}
	return b
}

func msgIDs(rule string, times ...string) []string {
	ids := make([]string, len(times))
	for i, s := range times {
		at, err := time.Parse(time.RFC3339, s)
		if err != nil {
			panic(err)
		}
		ids[i] = MsgID(rule, at)
	}
	return ids
}
