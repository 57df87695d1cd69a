package service

import (
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
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

// soak is how many times longer the fault tests run: 1, or the value of
// KORELAY_SOAK (see docs/operations.md).
func soak(t *testing.T) int {
	n, err := strconv.Atoi(os.Getenv("KORELAY_SOAK"))
	if err != nil || n < 1 {
		return 1
	}
	t.Logf("soak: %d× the usual load", n)
	return n
}

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

// kill -9 of one of three replicas in the middle of a backlog loses
// nothing: the others take its events over once their ack wait passes,
// the fleet still never exceeds what Kore allows, and the only repeats are
// calls the dead replica had at Kore when it died (at most its 32 in
// flight).
func TestE2EReplicaDeathLosesNothing(t *testing.T) {
	t.Parallel()
	const ackWait = 2 * time.Second
	events := 300 * soak(t)
	fake := koretest.Start(t, koretest.WithWindows(10*time.Second, time.Hour), koretest.WithLimits(260, 100000))
	fleet := startReplicas(t, 3, fake, e2eSpec{Rules: personalRules, NATS: "ack_wait: 2s",
		Kore: "budget: {per_minute: 1500, per_hour: 18000}"}) // 25 a second
	fleet[0].publishAll("people.all", personalPayloads(events))
	eventually(t, 30*time.Second, func() bool { return len(fake.NotifyCalls()) >= 60 },
		func() string { return "no progress before the crash" })
	crashedAt := time.Now()
	fleet[0].crash()
	eventually(t, time.Duration(soak(t))*60*time.Second, func() bool { return len(countIdentities(fake.NotifyCalls())) >= events },
		func() string {
			return fmt.Sprintf("%d of %d notified after a replica died", len(countIdentities(fake.NotifyCalls())), events)
		})
	dups := 0
	for _, n := range countIdentities(fake.NotifyCalls()) {
		dups += n - 1
	}
	t.Logf("%d of %d identities notified twice after kill -9 of a replica", dups, events)
	if dups > 32 {
		t.Errorf("%d repeats, more than the dead replica's 32 calls in flight", dups)
	}
	var gap time.Duration
	last := crashedAt
	for _, c := range fake.NotifyCalls() {
		if c.Time.After(last) {
			gap = max(gap, c.Time.Sub(last))
			last = c.Time
		}
	}
	if gap > ackWait+time.Second {
		t.Errorf("Kore heard nothing for %s after the crash; the others should take over within ack_wait %s", gap, ackWait)
	}
	for _, c := range fake.Calls() {
		if c.Status == http.StatusTooManyRequests {
			t.Errorf("Kore refused a call at %s: the fleet exceeded its limit", c.Time.Format(time.RFC3339Nano))
		}
	}
}
