package service

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/korelay/korelay/broker"
	"github.com/korelay/korelay/kore"
	"github.com/korelay/korelay/kore/koretest"
)

// startReplicas starts n korelay replicas on one in-process NATS server
// with the same rules and fake Kore.
func startReplicas(t *testing.T, n int, fake *koretest.Server, spec e2eSpec) []*e2e {
	t.Helper()
	srv, err := broker.StartEmbedded(broker.EmbeddedOptions{Port: -1, StoreDir: t.TempDir(), ServerName: "fleet"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	spec.NATSURL, spec.Fake, spec.Dir = srv.ClientURL(), fake, t.TempDir()
	var out []*e2e
	for range n {
		out = append(out, startE2E(t, spec))
	}
	return out
}

const personalRules = `
rules:
  - name: personal
    on: {nats: "people.>"}
    notify: {channel: slack, to: event.email, text: "hello {{ .event.n }}"}
`

// personalPayloads are n events, each with its own text and identity.
func personalPayloads(n int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf(`{"n": %d, "email": "p%03d@example.com"}`, i, i))
	}
	return out
}

// Three replicas share one Kore budget: a backlog of distinct messages
// goes out at the fleet's rate (5 a second, bursts of 3), never above what
// the fake Kore allows (55 calls in any 10 s), and at ≥ 95% of it; every
// event is notified once.
func TestE2EReplicasShareOneBudget(t *testing.T) {
	t.Parallel()
	const events, rate = 120, 5.0
	fake := koretest.Start(t, koretest.WithWindows(10*time.Second, time.Hour), koretest.WithLimits(55, 100000))
	fleet := startReplicas(t, 3, fake, e2eSpec{Rules: personalRules, Kore: "budget: {per_minute: 300, per_hour: 18000}"})
	fleet[0].publishAll("people.all", personalPayloads(events))
	eventually(t, 60*time.Second, func() bool { return len(countIdentities(fake.NotifyCalls())) >= events },
		func() string {
			return fmt.Sprintf("%d of %d notified", len(countIdentities(fake.NotifyCalls())), events)
		})

	var times []time.Time
	for _, c := range fake.Calls() {
		if c.Endpoint != kore.EndpointNotify {
			continue
		}
		if c.Status == http.StatusTooManyRequests {
			t.Errorf("Kore refused a call at %s: the fleet exceeded its limit", c.Time.Format(time.RFC3339Nano))
		}
		times = append(times, c.Time)
	}
	for id, n := range countIdentities(fake.NotifyCalls()) {
		if n != 1 {
			t.Errorf("%s notified %d times", id, n)
		}
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	elapsed := times[len(times)-1].Sub(times[0]).Seconds()
	used := float64(len(times)-3) / (elapsed * rate) // the first burst is free
	t.Logf("%d calls in %.1f s: %.1f%% of the fleet's rate; at most %d in a second", len(times), elapsed, 100*used, fake.MaxInWindow(time.Second))
	if used < 0.95 {
		t.Errorf("the fleet used %.1f%% of its budget, want ≥ 95%%", 100*used)
	}
	if n := fake.MaxInWindow(time.Second); n > int(rate)+3 {
		t.Errorf("%d calls within one second: the fleet burst beyond 3", n)
	}
}

// A Retry-After seen by one replica holds every replica: after a 429 with
// Retry-After: 3, no replica starts a call for 3 seconds.
func TestE2EPauseHoldsEveryReplica(t *testing.T) {
	t.Parallel()
	fake := koretest.Start(t)
	fleet := startReplicas(t, 3, fake, e2eSpec{Rules: personalRules, Kore: "budget: {per_minute: 1200, per_hour: 18000}"})
	fake.FailNext(1, koretest.Failure{Endpoint: kore.EndpointNotify, Status: http.StatusTooManyRequests, RetryAfter: "3"})
	const events = 60
	fleet[0].publishAll("people.all", personalPayloads(events))
	eventually(t, 30*time.Second, func() bool { return len(countIdentities(fake.NotifyCalls())) >= events },
		func() string {
			return fmt.Sprintf("%d of %d notified", len(countIdentities(fake.NotifyCalls())), events)
		})
	var refused time.Time
	for _, c := range fake.Calls() {
		if c.Status == http.StatusTooManyRequests {
			refused = c.Time
		}
	}
	if refused.IsZero() {
		t.Fatal("the 429 was never answered")
	}
	// Calls already on their way when the 429 was answered may land.
	const inFlight = 100 * time.Millisecond
	for _, c := range fake.Calls() {
		if d := c.Time.Sub(refused); d > inFlight && d < 3*time.Second {
			t.Errorf("a call %s after the 429 with Retry-After: 3", d)
		}
	}
}
