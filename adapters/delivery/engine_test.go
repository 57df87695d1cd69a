package delivery_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/korelay/korelay/adapters/delivery"
	"github.com/korelay/korelay/broker"
	"github.com/korelay/korelay/kore"
	"github.com/korelay/korelay/metrics"
	"github.com/korelay/korelay/rules"
)

func TestShadowIsNeverSent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeKore{}
		m := metrics.New(nil)
		e, stop := start(t, f, broker.NewMemoryLedger(), delivery.Options{Metrics: m})
		defer stop()
		n := note("ev", "r", "hi", "ann", "bob")
		n.Mode = rules.ModeShadow
		outs, err := e.Deliver(t.Context(), []rules.Notification{n}, delivery.DeliverOptions{Redelivered: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(f.Calls()) != 0 {
			t.Errorf("%d calls for a shadow rule, want none", len(f.Calls()))
		}
		if len(outs) != 1 || outs[0].Status != delivery.StatusShadow || len(outs[0].Identities) != 2 {
			t.Errorf("outcomes %+v, want one shadow outcome for 2 identities", outs)
		}
		if got := value(t, m.Notifications.WithLabelValues("r", "slack", "shadow")); got != 2 {
			t.Errorf("shadow metric %v, want 2", got)
		}
	})
}

func TestInvalidNotificationsAreDeadLetteredWithoutACall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeKore{}
		e, stop := start(t, f, broker.NewMemoryLedger(), delivery.Options{})
		defer stop()
		unsub := note("ev", "offboard", "", "ann")
		unsub.Action = "unsubscribe"
		outs, err := e.Deliver(t.Context(), []rules.Notification{unsub, note("ev", "r", "hi", "", "bob")}, delivery.DeliverOptions{})
		if err != nil {
			t.Fatal(err)
		}
		wantEachOnce(t, f, []string{"bob"})
		if len(outs) != 3 || !errors.Is(outs[0].Err, delivery.ErrUnsupportedAction) ||
			!errors.Is(outs[1].Err, kore.ErrInvalidRequest) || outs[1].Reason != delivery.ReasonPermanent ||
			outs[2].Status != delivery.StatusSent {
			t.Errorf("outcomes %+v, want unsupported action, empty identity, bob sent", outs)
		}
	})
}

// The engine counts notified identities by outcome; dead letters are
// counted by the service once it has stored them, never here.
func TestMetricsCountIdentities(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeKore{reply: func(int) error { return &kore.APIError{StatusCode: 403} }}
		m := metrics.New(nil)
		e, stop := start(t, f, broker.NewMemoryLedger(), delivery.Options{Metrics: m})
		defer stop()
		if _, err := e.Deliver(t.Context(), []rules.Notification{note("ev", "r", "hi", "a", "b", "c")}, delivery.DeliverOptions{}); err != nil {
			t.Fatal(err)
		}
		if got := value(t, m.Notifications.WithLabelValues("r", "slack", "dead_lettered")); got != 3 {
			t.Errorf("dead_lettered identities %v, want 3", got)
		}
		if got := value(t, m.DeadLetters.WithLabelValues("r", "permanent")); got != 0 {
			t.Errorf("dead letters %v counted by the engine, want 0 (stored and counted by the service)", got)
		}
		var h dto.Metric
		if err := m.BudgetWait.Write(&h); err != nil || h.GetHistogram().GetSampleCount() != 1 {
			t.Errorf("budget wait observations %d (%v), want 1 (one call)", h.GetHistogram().GetSampleCount(), err)
		}
	})
}

func TestCancelledDeliverReturnsErrorAndLosesNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeKore{}
		l := broker.NewMemoryLedger()
		e, stop := start(t, f, l, delivery.Options{PerMinute: 1, Burst: 1})
		defer stop()
		if _, err := e.Deliver(t.Context(), []rules.Notification{note("ev-1", "r", "first", "ann")}, delivery.DeliverOptions{}); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		second := []rules.Notification{note("ev-2", "r", "second", "bob")}
		outs, err := e.Deliver(ctx, second, delivery.DeliverOptions{})
		if !errors.Is(err, context.DeadlineExceeded) || len(outs) != 0 {
			t.Fatalf("Deliver = %+v, %v; want no outcome and the context error", outs, err)
		}
		if len(f.Calls()) != 1 {
			t.Fatalf("%d calls while budget-bound, want 1", len(f.Calls()))
		}
		// The queued work still goes out and is recorded: the redelivered
		// event finds it sent.
		time.Sleep(2 * time.Minute)
		outs, err = e.Deliver(t.Context(), second, delivery.DeliverOptions{Redelivered: true})
		if err != nil || len(outs) != 1 || outs[0].Status != delivery.StatusDuplicate {
			t.Errorf("redelivery = %+v, %v; want a duplicate", outs, err)
		}
		wantEachOnce(t, f, []string{"ann", "bob"})
	})
}

func TestStoppedEngineAbandonsQueuedWork(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeKore{}
		e, stop := start(t, f, broker.NewMemoryLedger(), delivery.Options{PerMinute: 1, Burst: 1})
		errs := make(chan error, 2)
		for _, id := range []string{"ann", "bob"} {
			go func() {
				_, err := e.Deliver(context.Background(), []rules.Notification{note("ev-"+id, "r", "hi "+id, id)}, delivery.DeliverOptions{})
				errs <- err
			}()
		}
		synctest.Wait()
		stop()
		var nilErrs, closed int
		for range 2 {
			switch err := <-errs; {
			case err == nil:
				nilErrs++
			case errors.Is(err, delivery.ErrClosed):
				closed++
			default:
				t.Errorf("unexpected error %v", err)
			}
		}
		if nilErrs != 1 || closed != 1 {
			t.Errorf("%d delivered and %d closed, want 1 and 1", nilErrs, closed)
		}
		if _, err := e.Deliver(t.Context(), []rules.Notification{note("ev", "r", "hi", "cy")}, delivery.DeliverOptions{}); !errors.Is(err, delivery.ErrClosed) {
			t.Errorf("Deliver after stop: %v, want ErrClosed", err)
		}
		if err := e.Run(t.Context()); err == nil {
			t.Error("second Run succeeded")
		}
	})
}

func TestTrackJobsPollsWithinBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeKore{status: func(i int) (*kore.Job, error) {
			if i == 0 {
				return &kore.Job{ID: "job-1", Status: kore.JobInProgress}, nil
			}
			return &kore.Job{ID: "job-1", Status: kore.JobPartialSuccess, StatusLogs: []kore.StatusLog{
				{OriginalID: "ann", Status: "SUCCESS"}, {OriginalID: "bob", Status: "FAILURE", Comments: "Identity is not associated with the channel"},
			}}, nil
		}}
		var (
			mu   sync.Mutex
			jobs []*kore.Job
		)
		opts := delivery.Options{PerMinute: 6, Burst: 1, TrackJobs: true, OnJobResult: func(j *kore.Job) {
			mu.Lock()
			jobs = append(jobs, j)
			mu.Unlock()
		}}
		e, stop := start(t, f, broker.NewMemoryLedger(), opts)
		defer stop()
		t0 := time.Now()
		if _, err := e.Deliver(t.Context(), []rules.Notification{note("ev", "r", "hi", "ann", "bob")}, delivery.DeliverOptions{}); err != nil {
			t.Fatal(err)
		}
		if time.Since(t0) != 0 {
			t.Errorf("Deliver waited %v for tracking", time.Since(t0))
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		if len(jobs) != 1 || jobs[0].Status != kore.JobPartialSuccess {
			t.Fatalf("job results %+v, want one PARTIAL_SUCCESS", jobs)
		}
		// Each poll waits for budget: 6/min with burst 1 is one call per 10s.
		if len(f.polls) != 2 || f.polls[0].Sub(t0) < 10*time.Second || f.polls[1].Sub(f.polls[0]) < 10*time.Second {
			t.Errorf("polls at %v (sent at %v), want 2, each 10s apart from the previous call", f.polls, t0)
		}
	})
}

func TestNewValidatesOptions(t *testing.T) {
	tests := []struct {
		name string
		n    delivery.Notifier
		l    delivery.Ledger
		opts delivery.Options
		ok   bool
	}{
		{"defaults", &fakeKore{}, broker.NewMemoryLedger(), delivery.Options{}, true},
		{"unlimited budget", &fakeKore{}, broker.NewMemoryLedger(), delivery.Options{PerMinute: -1, PerHour: -1}, true},
		{"no notifier", nil, broker.NewMemoryLedger(), delivery.Options{}, false},
		{"no ledger", &fakeKore{}, nil, delivery.Options{}, false},
		{"negative burst", &fakeKore{}, broker.NewMemoryLedger(), delivery.Options{Burst: -1}, false},
		{"negative window", &fakeKore{}, broker.NewMemoryLedger(), delivery.Options{BatchWindow: -time.Second}, false},
		{"max below base", &fakeKore{}, broker.NewMemoryLedger(), delivery.Options{BaseBackoff: time.Minute, MaxBackoff: time.Second}, false},
		{"tracking without status", notifierOnly{}, broker.NewMemoryLedger(), delivery.Options{TrackJobs: true}, false},
		{"tracking via notifier", &fakeKore{}, broker.NewMemoryLedger(), delivery.Options{TrackJobs: true}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := delivery.New(tt.n, tt.l, tt.opts)
			if (err == nil) != tt.ok {
				t.Errorf("New: err = %v, want ok = %v", err, tt.ok)
			}
		})
	}
}

type notifierOnly struct{}

func (notifierOnly) Notify(context.Context, kore.NotifyRequest) (*kore.Job, error) {
	return &kore.Job{}, nil
}

// value reads a counter.
func value(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// The budget is a stage of its own: an engine given another Budget (as a
// budget shared by replicas would be) asks it before every call and waits
// when it says no.
func TestEngineUsesTheGivenBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeKore{}
		b := &gateBudget{openAt: time.Now().Add(10 * time.Second)}
		e, stop := start(t, f, broker.NewMemoryLedger(), delivery.Options{Budget: b})
		defer stop()
		begin := time.Now()
		if _, err := e.Deliver(t.Context(), []rules.Notification{note("ev", "r", "hi", "ann")}, delivery.DeliverOptions{}); err != nil {
			t.Fatal(err)
		}
		if waited := time.Since(begin); waited < 10*time.Second {
			t.Errorf("sent after %v, before the budget opened at 10s", waited)
		}
		if b.asked < 2 {
			t.Errorf("budget asked %d times, want a refusal and a grant", b.asked)
		}
	})
}

// gateBudget refuses every call until openAt.
type gateBudget struct {
	mu     sync.Mutex
	openAt time.Time
	asked  int
	paused []time.Time
}

func (g *gateBudget) Reserve(now time.Time) (bool, time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.asked++
	if now.Before(g.openAt) {
		return false, g.openAt
	}
	return true, now
}

func (g *gateBudget) Pause(t time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.paused = append(g.paused, t)
}

// Kore's rate-limit refusal pauses the whole budget (every replica sharing
// it), with its Retry-After or, without one, for the backoff.
func TestRateLimitPausesTheBudget(t *testing.T) {
	for name, f := range map[string]kore.APIError{
		"429 with Retry-After":    {StatusCode: 429, RetryAfter: 3 * time.Second},
		"429 without Retry-After": {StatusCode: 429},
		"rate-limit text on 400":  {StatusCode: 400, Message: "Rate limit for this API has been reached"},
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				k := &fakeKore{reply: func(n int) error {
					if n == 0 { // the first call is refused
						return &f
					}
					return nil
				}}
				b := &gateBudget{}
				e, stop := start(t, k, broker.NewMemoryLedger(), delivery.Options{Budget: b})
				defer stop()
				begin := time.Now()
				if _, err := e.Deliver(t.Context(), []rules.Notification{note("ev", "r", "hi", "ann")}, delivery.DeliverOptions{}); err != nil {
					t.Fatal(err)
				}
				b.mu.Lock()
				defer b.mu.Unlock()
				if len(b.paused) != 1 || !b.paused[0].After(begin) {
					t.Fatalf("pauses %v, want one after the refusal", b.paused)
				}
				if f.RetryAfter > 0 && !b.paused[0].Equal(begin.Add(f.RetryAfter)) {
					t.Errorf("paused until +%s, want the Retry-After %s", b.paused[0].Sub(begin), f.RetryAfter)
				}
			})
		})
	}
}

// gatedHistogram holds its first observation until release is closed.
type gatedHistogram struct {
	prometheus.Histogram
	once             sync.Once
	entered, release chan struct{}
}

func (h *gatedHistogram) Observe(v float64) {
	h.once.Do(func() {
		close(h.entered)
		<-h.release
	})
	h.Histogram.Observe(v)
}

// A dispatch step run by the delivering goroutine may be anywhere, here
// between cutting a call and handing it to a worker, when the engine
// stops: the stop waits for the step, and the call goes out and settles,
// instead of being handed to a worker pool already closed.
func TestStopWaitsForADispatchStep(t *testing.T) {
	m := metrics.New(prometheus.NewRegistry())
	gate := &gatedHistogram{Histogram: m.BudgetWait, entered: make(chan struct{}), release: make(chan struct{})}
	m.BudgetWait = gate
	f := &fakeKore{}
	e, stop := start(t, f, broker.NewMemoryLedger(), delivery.Options{Concurrency: 1, Metrics: m})
	time.Sleep(20 * time.Millisecond) // Run idle: the delivering goroutine runs the step
	delivered := make(chan error, 1)
	go func() {
		_, err := e.Deliver(context.Background(), []rules.Notification{note("ev", "r", "hi", "ann")}, delivery.DeliverOptions{})
		delivered <- err
	}()
	<-gate.entered
	stopped := make(chan struct{})
	go func() {
		stop()
		close(stopped)
	}()
	time.Sleep(50 * time.Millisecond) // let a stop that does not wait get ahead
	close(gate.release)
	<-stopped
	if err := <-delivered; err != nil {
		t.Errorf("Deliver: %v, want the call sent", err)
	}
	if len(f.Calls()) != 1 {
		t.Errorf("%d calls, want 1", len(f.Calls()))
	}
}

// Deliveries that keep coming while the engine stops run dispatch steps
// of their own (and workers that free up run more): none may start a
// call once the engine has closed, and each delivery gets its answer.
func TestStopWhileDeliveriesDispatch(t *testing.T) {
	for round := range 20 {
		f := &fakeKore{}
		e, stop := start(t, f, broker.NewMemoryLedger(), delivery.Options{Concurrency: 2})
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 50 {
					id := fmt.Sprintf("u%d-%d-%d", round, g, i)
					_, err := e.Deliver(context.Background(), []rules.Notification{note("ev-"+id, "r", "hi", id)}, delivery.DeliverOptions{})
					if err != nil && !errors.Is(err, delivery.ErrClosed) {
						t.Errorf("Deliver: %v", err)
					}
				}
			})
		}
		time.Sleep(time.Duration(round%5) * time.Millisecond)
		stop()
		wg.Wait()
	}
}
