package broker

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// released is one call of a ReleaseFunc.
type released struct {
	slot  HeldSlot
	items []string // keys
	at    time.Time
}

// releaser runs store.Release until the test ends and reports each slot
// it releases on a channel; verdict decides done's argument.
func releaser(t *testing.T, store HeldStore, verdict func(HeldSlot) bool) <-chan released {
	t.Helper()
	ch := make(chan released, 64)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := store.Release(ctx, func(_ context.Context, slot HeldSlot, items []HeldItem, finish func(bool)) {
			var keys []string
			for _, it := range items {
				keys = append(keys, it.Key+"="+string(it.Data))
			}
			ch <- released{slot: slot, items: keys, at: time.Now()}
			go finish(verdict(slot))
		})
		if err != nil {
			t.Errorf("Release: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return ch
}

func always(HeldSlot) bool { return true }

func nextRelease(t *testing.T, ch <-chan released, within time.Duration) released {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(within):
		t.Fatalf("no release within %s", within)
		return released{}
	}
}

func noRelease(t *testing.T, ch <-chan released, during time.Duration) {
	t.Helper()
	select {
	case r := <-ch:
		t.Fatalf("unexpected release of %s: %v", r.slot, r.items)
	case <-time.After(during):
	}
}

func hold(t *testing.T, store HeldStore, slot HeldSlot, key, data string) {
	t.Helper()
	if err := store.Hold(context.Background(), slot, slot.Due, HeldItem{Key: key, Data: []byte(data)}); err != nil {
		t.Fatalf("Hold: %v", err)
	}
}

// slotIn is a slot due d from now, on a whole second.
func slotIn(kind, group string, d time.Duration) HeldSlot {
	return HeldSlot{Kind: kind, Group: group, Due: time.Now().Add(d).Truncate(time.Second).Add(time.Second)}
}

// heldStores are the implementations the conformance tests run against.
func heldStores(t *testing.T) map[string]func(t *testing.T) HeldStore {
	return map[string]func(t *testing.T) HeldStore{
		"jetstream": func(t *testing.T) HeldStore {
			nc := connect(t, startServer(t))
			h, err := NewHeldStore(context.Background(), nc, HeldOptions{AckWait: 2 * time.Second, DrainTimeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			return h
		},
		"memory": func(*testing.T) HeldStore { return NewMemoryHeld(time.Second) },
	}
}

// Every store releases a slot once, when it falls due, with every item
// held in it and none twice, and forgets them once handled.
func TestHeldReleasesASlotOnceWhenDue(t *testing.T) {
	for name, newStore := range heldStores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			store := newStore(t)
			slot := slotIn(HeldQuiet, "", time.Second)
			other := slotIn(HeldDigest, "daily", 3*time.Second)
			hold(t, store, slot, "a", "1")
			hold(t, store, slot, "b", "2")
			hold(t, store, slot, "a", "1") // held again: its event came back
			hold(t, store, other, "c", "3")
			if n, err := store.Held(context.Background()); err != nil || n[HeldQuiet] < 2 || n[HeldDigest] != 1 {
				t.Errorf("Held = %v, %v; want 2 (or 3, before the repeat is dropped) quiet, 1 digest", n, err)
			}
			ch := releaser(t, store, always)
			r := nextRelease(t, ch, 5*time.Second)
			if r.slot != (HeldSlot{Kind: HeldQuiet, Due: slot.Due.UTC()}) || !slices.Equal(r.items, []string{"a=1", "b=2"}) {
				t.Errorf("released %v %v, want %v [a=1 b=2]", r.slot, r.items, slot)
			}
			if r.at.Before(slot.Due) {
				t.Errorf("released at %v, before the slot was due at %v", r.at, slot.Due)
			}
			r = nextRelease(t, ch, 5*time.Second)
			if r.slot.Group != "daily" || !slices.Equal(r.items, []string{"c=3"}) {
				t.Errorf("released %v %v, want the digest slot with c=3", r.slot, r.items)
			}
			noRelease(t, ch, time.Second)
			eventuallyHeld(t, store, 0)
		})
	}
}

// A release that fails comes back; one that succeeds does not.
func TestHeldFailedReleaseComesBack(t *testing.T) {
	for name, newStore := range heldStores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			store := newStore(t)
			slot := slotIn(HeldQuiet, "", 0)
			hold(t, store, slot, "a", "1")
			var mu sync.Mutex
			calls := 0
			ch := releaser(t, store, func(HeldSlot) bool {
				mu.Lock()
				defer mu.Unlock()
				calls++
				return calls > 1
			})
			first := nextRelease(t, ch, 5*time.Second)
			second := nextRelease(t, ch, 10*time.Second)
			if !slices.Equal(second.items, first.items) || second.at.Sub(first.at) < releaseRetry-time.Second {
				t.Errorf("second release %v after %s, want the same items again after about %s", second.items, second.at.Sub(first.at), releaseRetry)
			}
			noRelease(t, ch, time.Second)
		})
	}
}

// An item held for a slot after the slot was released is released too.
func TestHeldLateItemIsReleased(t *testing.T) {
	for name, newStore := range heldStores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			store := newStore(t)
			slot := slotIn(HeldQuiet, "", 0)
			hold(t, store, slot, "a", "1")
			ch := releaser(t, store, always)
			nextRelease(t, ch, 5*time.Second)
			hold(t, store, slot, "late", "2")
			if r := nextRelease(t, ch, 5*time.Second); !slices.Equal(r.items, []string{"late=2"}) {
				t.Errorf("second release %v, want only the late item", r.items)
			}
		})
	}
}

// Replicas sharing the JetStream store release each slot once, and a
// store opened again (a restart) releases what was held before.
func TestHeldJetStreamReplicasReleaseOnce(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	var stores []*JetStreamHeld
	for range 3 {
		h, err := NewHeldStore(context.Background(), connect(t, srv), HeldOptions{})
		if err != nil {
			t.Fatal(err)
		}
		stores = append(stores, h)
	}
	const slots = 5
	for i := range slots {
		slot := slotIn(HeldDigest, fmt.Sprintf("rule-%d", i), time.Second)
		hold(t, stores[i%2], slot, "k", fmt.Sprint(i))
	}
	var all []<-chan released
	for _, s := range stores {
		all = append(all, releaser(t, s, always))
	}
	seen := map[string]int{}
	deadline := time.After(10 * time.Second)
	for len(seen) < slots {
		select {
		case r := <-all[0]:
			seen[r.slot.Group]++
		case r := <-all[1]:
			seen[r.slot.Group]++
		case r := <-all[2]:
			seen[r.slot.Group]++
		case <-deadline:
			t.Fatalf("released %v, want %d slots", seen, slots)
		}
	}
	time.Sleep(time.Second)
	for _, ch := range all {
		select {
		case r := <-ch:
			seen[r.slot.Group]++
		default:
		}
	}
	for g, n := range seen {
		if n != 1 {
			t.Errorf("slot %s released %d times", g, n)
		}
	}
}

func TestHeldSlotNames(t *testing.T) {
	due := time.Unix(1800000000, 0).UTC()
	for _, s := range []HeldSlot{{Kind: HeldQuiet, Due: due}, {Kind: HeldDigest, Group: "orders-daily", Due: due}} {
		got, err := parseSlot(s.name())
		if err != nil || got != s {
			t.Errorf("parseSlot(%q) = %v, %v; want %v", s.name(), got, err, s)
		}
	}
	for _, bad := range []HeldSlot{{Kind: "nap", Due: due}, {Kind: HeldDigest, Group: "a.b", Due: due}, {Kind: HeldDigest, Group: "_", Due: due}} {
		if err := checkSlot(bad); err == nil {
			t.Errorf("checkSlot(%+v) accepted it", bad)
		}
	}
	if _, err := parseSlot("quiet._.soon"); err == nil || !strings.Contains(err.Error(), "soon") {
		t.Errorf("parseSlot accepted a bad time: %v", err)
	}
}

func eventuallyHeld(t *testing.T, store HeldStore, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, err := store.Held(context.Background())
		total := 0
		for _, v := range n {
			total += v
		}
		if err == nil && total == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Held = %v, %v; want %d in all", n, err, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Items whose schedule is gone (here: never written) are released by the
// sweep once they are past due and no release is under way.
func TestHeldJetStreamSweepReleasesOrphans(t *testing.T) {
	t.Parallel()
	nc := connect(t, startServer(t))
	h, err := NewHeldStore(context.Background(), nc, HeldOptions{Sweep: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	slot := HeldSlot{Kind: HeldQuiet, Due: time.Now().Add(-2 * time.Second).Truncate(time.Second)}
	msg := nats.NewMsg(heldItems + slot.name())
	msg.Data = []byte("1")
	msg.Header.Set(HeaderHeldKey, "orphan")
	if _, err := h.js.PublishMsg(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	ch := releaser(t, h, always)
	if r := nextRelease(t, ch, 10*time.Second); !slices.Equal(r.items, []string{"orphan=1"}) {
		t.Errorf("released %v, want the orphan", r.items)
	}
	eventuallyHeld(t, h, 0)
}

// A replica that dies while releasing a slot (its connection gone, the
// slot neither acknowledged nor handed back) does not lose it: after the
// ack wait another replica releases the slot, with every item.
func TestHeldJetStreamReleaserDeathHandsTheSlotOver(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	opts := HeldOptions{AckWait: 2 * time.Second, DrainTimeout: time.Second}
	ncDying := connect(t, srv)
	dying, err := NewHeldStore(context.Background(), ncDying, opts)
	if err != nil {
		t.Fatal(err)
	}
	survivor, err := NewHeldStore(context.Background(), connect(t, srv), opts)
	if err != nil {
		t.Fatal(err)
	}
	slot := slotIn(HeldQuiet, "", time.Second)
	hold(t, dying, slot, "a", "1")
	hold(t, dying, slot, "b", "2")

	taken := make(chan released, 1)
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		_ = dying.Release(ctx, func(_ context.Context, s HeldSlot, items []HeldItem, _ func(bool)) {
			taken <- released{slot: s, items: heldKeys(items)}
			ncDying.Close() // dies mid-release: never finishes
		})
	}()
	t.Cleanup(func() { cancel(); <-stopped })
	first := nextRelease(t, taken, 10*time.Second)

	r := nextRelease(t, releaser(t, survivor, always), 10*time.Second)
	slices.Sort(r.items)
	if r.slot != first.slot || !slices.Equal(r.items, first.items) || len(r.items) != 2 {
		t.Errorf("the survivor released %s %v, want %s %v", r.slot, r.items, first.slot, first.items)
	}
}

func heldKeys(items []HeldItem) []string {
	var keys []string
	for _, it := range items {
		keys = append(keys, it.Key+"="+string(it.Data))
	}
	slices.Sort(keys)
	return keys
}
