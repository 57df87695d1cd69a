package delivery

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/korelay/korelay/rules"
)

func testFlight(key, identity, message string) *flight {
	return &flight{key: key, identity: identity, group: groupKey{channel: "slack", msgType: "text", message: message}}
}

// waiter is a pending delivery of n slots that counts its completions.
func waiter(n int, completed *int) *pending {
	p := &pending{e: &Engine{}, done: func([]Outcome, error) { *completed++ }}
	p.left.Store(int32(n))
	return p
}

// The in-flight stage: a second claim of a key joins the first flight, and
// both deliveries are told when it settles (each completes after its last
// slot); a settled key can be claimed again; a closed registry refuses.
func TestInFlightClaimJoinSettle(t *testing.T) {
	r := newInFlight()
	var firstDone, secondDone int
	first := []slot{{f: testFlight("k1", "ann", "hi")}, {f: testFlight("k2", "bob", "hi")}}
	owned, err := r.claim(first, waiter(2, &firstDone))
	if err != nil || len(owned) != 2 {
		t.Fatalf("claim = %d owned, %v; want 2", len(owned), err)
	}
	second := []slot{{f: testFlight("k1", "ann", "hi")}}
	if owned, _ := r.claim(second, waiter(1, &secondDone)); len(owned) != 0 || !second[0].joined || second[0].f != first[0].f {
		t.Fatalf("second claim of k1: owned %d, joined %v; want a join of the first flight", len(owned), second[0].joined)
	}
	r.settle(first[0].f, result{status: StatusSent, jobID: "j1"})
	if res, ok := second[0].settled(); !ok || res.status != StatusDuplicate {
		t.Errorf("joined slot settled as %+v, %v; want duplicate", res, ok)
	}
	if secondDone != 1 || firstDone != 0 {
		t.Errorf("after k1 settled: deliveries completed %d and %d, want 0 and 1", firstDone, secondDone)
	}
	if r.len() != 1 {
		t.Errorf("%d keys in flight, want 1", r.len())
	}
	r.settle(first[1].f, result{status: StatusSent, jobID: "j1"})
	if firstDone != 1 {
		t.Errorf("the first delivery completed %d times after its last slot, want 1", firstDone)
	}
	var thirdDone int
	third := []slot{{f: testFlight("k1", "ann", "hi")}}
	if owned, _ := r.claim(third, waiter(1, &thirdDone)); len(owned) != 1 {
		t.Errorf("k1 after it settled: owned %d, want 1", len(owned))
	}
	r.close()
	if _, err := r.claim([]slot{{f: testFlight("k3", "eve", "hi")}}, waiter(1, &thirdDone)); err != ErrClosed {
		t.Errorf("claim after close = %v, want ErrClosed", err)
	}
}

// The coalescer: identical messages merge into one call of at most max
// identities, messages go out in the order they first arrived (a message
// keeps its place while it has work), a batch window holds fresh work,
// retries wait for their time, and close hands every flight back.
func TestCoalescer(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	q := newCoalescer(0)
	q.add([]*flight{testFlight("a", "ann", "hi"), testFlight("b", "bob", "hi")}, t0)
	q.add([]*flight{testFlight("c", "carl", "other")}, t0.Add(time.Millisecond))
	q.add([]*flight{testFlight("d", "dora", "hi")}, t0.Add(2*time.Millisecond))
	if ok, _ := q.due(t0); !ok {
		t.Fatal("nothing due with work queued and no window")
	}
	c, _ := q.cut(t0.Add(3*time.Millisecond), 2)
	if got := c.identities; len(got) != 2 || got[0] != "ann" || got[1] != "bob" {
		t.Errorf("first call %v, want ann and bob (max 2)", got)
	}
	c, _ = q.cut(t0.Add(3*time.Millisecond), 2)
	if len(c.identities) != 1 || c.identities[0] != "dora" {
		t.Errorf("second call %v, want dora (\"hi\" keeps its place)", c.identities)
	}
	c, _ = q.cut(t0.Add(3*time.Millisecond), 2)
	if c.key.message != "other" {
		t.Errorf("third call is %q, want \"other\"", c.key.message)
	}
	if ok, wake := q.due(t0); ok || !wake.IsZero() {
		t.Errorf("empty queue: due %v, wake %v", ok, wake)
	}

	if !q.retry(groupKey{channel: "slack", msgType: "text", message: "hi"}, []*flight{testFlight("e", "eve", "hi")}, t0.Add(time.Second)) {
		t.Fatal("retry refused")
	}
	if ok, wake := q.due(t0); ok || !wake.Equal(t0.Add(time.Second)) {
		t.Errorf("retry before its time: due %v, wake %v; want a wake at +1s", ok, wake)
	}
	held := newCoalescer(time.Minute)
	held.add([]*flight{testFlight("f", "finn", "hi")}, t0)
	if ok, wake := held.due(t0); ok || !wake.Equal(t0.Add(time.Minute)) {
		t.Errorf("batch window: due %v, wake %v; want a wake at +1m", ok, wake)
	}
	if left := q.close(); len(left) != 1 || left[0].identity != "eve" {
		t.Errorf("close returned %d flights, want eve", len(left))
	}
	if refused := q.add([]*flight{testFlight("g", "gus", "hi")}, t0); len(refused) != 1 {
		t.Error("a closed coalescer took work")
	}
}

// The budget stage: Reserve spends within the limits and says when to ask
// again; Pause holds every call.
func TestLocalBudgetReservePause(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b := NewLocalBudget(60, -1, 1, t0)
	if ok, _ := b.Reserve(t0); !ok {
		t.Fatal("first call refused")
	}
	if ok, at := b.Reserve(t0); ok || !at.Equal(t0.Add(time.Second)) {
		t.Errorf("second call at once: %v, retry at %v; want refused until +1s", ok, at)
	}
	b.Pause(t0.Add(5 * time.Second))
	if ok, at := b.Reserve(t0.Add(2 * time.Second)); ok || !at.Equal(t0.Add(5*time.Second)) {
		t.Errorf("during a pause: %v, retry at %v; want refused until +5s", ok, at)
	}
	if ok, _ := b.Reserve(t0.Add(5 * time.Second)); !ok {
		t.Error("refused after the pause")
	}
}

// The poll queue hands out the most overdue due poll and refuses work
// once closed.
func TestPollQueue(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var q pollQueue
	q.add(&poll{jobID: "late", notBefore: t0.Add(time.Second)})
	q.add(&poll{jobID: "early", notBefore: t0})
	if ok, _ := q.due(t0); !ok {
		t.Fatal("no poll due")
	}
	if p := q.take(t0); p == nil || p.jobID != "early" {
		t.Errorf("took %+v, want early", p)
	}
	if p := q.take(t0); p != nil {
		t.Errorf("took %s before its time", p.jobID)
	}
	q.close()
	if q.add(&poll{jobID: "x"}) {
		t.Error("a closed queue took a poll")
	}
}

// outcomes groups each notification's identities by result, in order,
// whether they share a run of the notification's identities or not; an
// unsettled or aborted slot is left out.
func TestOutcomesGroupIdentities(t *testing.T) {
	sent := func(call uint64) result { return result{status: StatusSent, call: call, jobID: "ds-1"} }
	ns := []rules.Notification{
		{Rule: "r", EventID: "e1", Channel: "slack", Identities: []string{"a", "b", "c", "d", "e"}},
		{Rule: "r", EventID: "e1", Channel: "slack", Identities: []string{"f", "g"}},
	}
	abort := errors.New("ledger down")
	slots := []slot{
		{n: 0, identity: "a", res: sent(1)},
		{n: 0, identity: "b", res: result{status: StatusDuplicate}},
		{n: 0, identity: "c", res: sent(1)},
		{n: 0, identity: "d", res: result{status: StatusDuplicate}},
		{n: 0, identity: "e", res: result{abort: abort}},
		{n: 1, identity: "f", res: sent(2)},
		{n: 1, identity: "g", f: &flight{}}, // not settled yet
	}
	outs, err := outcomes(ns, slots)
	if !errors.Is(err, abort) {
		t.Errorf("error %v, want the abort", err)
	}
	var got []string
	for _, o := range outs {
		got = append(got, fmt.Sprintf("%s:%v", o.Status, o.Identities))
	}
	if want := []string{"sent:[a c]", "duplicate:[b d]", "sent:[f]"}; !slices.Equal(got, want) {
		t.Errorf("outcomes = %v, want %v", got, want)
	}
	outs[2].Identities = append(outs[2].Identities, "x")
	if ns[1].Identities[1] != "g" {
		t.Errorf("appending to an outcome's identities changed the notification's: %v", ns[1].Identities)
	}
	all, _ := outcomes(ns[:1], []slot{{n: 0, identity: "a", res: sent(1)}, {n: 0, identity: "b", res: sent(1)}})
	if len(all) != 1 || !slices.Equal(all[0].Identities, []string{"a", "b"}) {
		t.Errorf("one result for a run = %+v", all)
	}
}
