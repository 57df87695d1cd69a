package delivery_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/korelay/korelay/adapters/delivery"
	"github.com/korelay/korelay/broker"
	"github.com/korelay/korelay/kore"
	"github.com/korelay/korelay/rules"
)

// fakeKore is a Notifier and StatusChecker that records every call.
type fakeKore struct {
	mu     sync.Mutex
	calls  []fakeCall
	polls  []time.Time
	reply  func(i int) error              // nil or nil error: accepted
	status func(i int) (*kore.Job, error) // status answers; nil: SUCCESS
	gate   chan struct{}                  // if set, Notify waits on it
}

type fakeCall struct {
	at  time.Time
	req kore.NotifyRequest
}

func (f *fakeKore) Notify(ctx context.Context, req kore.NotifyRequest) (*kore.Job, error) {
	f.mu.Lock()
	i := len(f.calls)
	req.Identities = slices.Clone(req.Identities)
	f.calls = append(f.calls, fakeCall{at: time.Now(), req: req})
	reply, gate := f.reply, f.gate
	f.mu.Unlock()
	if gate != nil {
		<-gate
	}
	if reply != nil {
		if err := reply(i); err != nil {
			return nil, err
		}
	}
	return &kore.Job{ID: fmt.Sprintf("job-%d", i+1), Status: kore.JobInProgress}, nil
}

func (f *fakeKore) NotifyStatus(ctx context.Context, jobID string) (*kore.Job, error) {
	f.mu.Lock()
	i := len(f.polls)
	f.polls = append(f.polls, time.Now())
	status := f.status
	f.mu.Unlock()
	if status != nil {
		return status(i)
	}
	return &kore.Job{ID: jobID, Status: kore.JobSuccess}, nil
}

func (f *fakeKore) Calls() []fakeCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// sentIdentities counts how often each identity was sent.
func (f *fakeKore) sentIdentities() map[string]int {
	m := map[string]int{}
	for _, c := range f.Calls() {
		for _, id := range c.req.Identities {
			m[id]++
		}
	}
	return m
}

// spyLedger is a MemoryLedger that counts lookups and can fail.
type spyLedger struct {
	broker.MemoryLedger
	mu      sync.Mutex
	seen    int
	ttls    []time.Duration
	seenErr error
}

func (l *spyLedger) Seen(ctx context.Context, keys []string) ([]bool, error) {
	l.mu.Lock()
	l.seen++
	err := l.seenErr
	l.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return l.MemoryLedger.Seen(ctx, keys)
}

func (l *spyLedger) Record(ctx context.Context, keys []string, ttl time.Duration) error {
	l.mu.Lock()
	l.ttls = append(l.ttls, ttl)
	l.mu.Unlock()
	return l.MemoryLedger.Record(ctx, keys, ttl)
}

func (l *spyLedger) lookups() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.seen
}

// start builds an engine and runs its dispatcher until stop is called.
func start(t *testing.T, n delivery.Notifier, l delivery.Ledger, opts delivery.Options) (e *delivery.Engine, stop func()) {
	t.Helper()
	e, err := delivery.New(n, l, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	return e, func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
}

// note is a live notify notification of rule to ids.
func note(event, rule, text string, ids ...string) rules.Notification {
	return rules.Notification{
		EventID: event, Rule: rule, Mode: rules.ModeLive, Action: rules.ActionNotify,
		Channel: kore.ChannelSlack, MessageType: kore.MessageText, Message: text, Identities: ids,
	}
}

// users returns n distinct identities.
func users(prefix string, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s%d@example.com", prefix, i)
	}
	return ids
}

// deliverAll runs one Deliver per notification concurrently and returns
// every outcome.
func deliverAll(t *testing.T, e *delivery.Engine, ns []rules.Notification) []delivery.Outcome {
	t.Helper()
	var (
		mu   sync.Mutex
		outs []delivery.Outcome
		wg   sync.WaitGroup
	)
	for _, n := range ns {
		wg.Go(func() {
			o, err := e.Deliver(context.Background(), []rules.Notification{n}, delivery.DeliverOptions{})
			if err != nil {
				t.Errorf("Deliver %s: %v", n.EventID, err)
			}
			mu.Lock()
			outs = append(outs, o...)
			mu.Unlock()
		})
	}
	wg.Wait()
	return outs
}

// byStatus counts identities per status.
func byStatus(outs []delivery.Outcome) map[delivery.Status]int {
	m := map[delivery.Status]int{}
	for _, o := range outs {
		m[o.Status] += len(o.Identities)
	}
	return m
}

// wantEachOnce fails unless every id was sent exactly once and nothing else.
func wantEachOnce(t *testing.T, f *fakeKore, ids []string) {
	t.Helper()
	sent := f.sentIdentities()
	for _, id := range ids {
		if sent[id] != 1 {
			t.Errorf("%s sent %d times, want once", id, sent[id])
		}
	}
	if len(sent) != len(ids) {
		t.Errorf("%d identities sent, want %d", len(sent), len(ids))
	}
}
