package broker

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Kinds of held slots.
const (
	// HeldQuiet holds notifications until quiet hours end.
	HeldQuiet = "quiet"
	// HeldDigest collects a digest rule's notifications until its period ends.
	HeldDigest = "digest"
)

// ErrSchedulesUnsupported is returned by NewHeldStore when the NATS server
// cannot schedule messages (nats-server before 2.12): quiet hours and
// digests cannot be held there.
var ErrSchedulesUnsupported = errors.New("this NATS server cannot schedule messages (quiet hours and digests need nats-server 2.12 or later)")

// HeldSlot is one release of held notifications: everything held for the
// same kind, group and due time is released together, so that the
// notifications of one release pass delivery (the ledger, the budget,
// coalescing) as one batch.
type HeldSlot struct {
	// Kind is HeldQuiet or HeldDigest.
	Kind string
	// Group narrows the slot: a digest's rule name; "" for quiet hours.
	// It must be a valid NATS subject token ([a-z0-9-] rule names are).
	Group string
	// Due is when the slot is released, by the service's clock; its Unix
	// second names the slot.
	Due time.Time
}

// name is the slot's subject suffix: KIND.GROUP.UNIX ("_" for no group).
func (s HeldSlot) name() string {
	group := s.Group
	if group == "" {
		group = "_"
	}
	return s.Kind + "." + group + "." + strconv.FormatInt(s.Due.Unix(), 10)
}

// String names the slot in logs.
func (s HeldSlot) String() string { return s.name() }

// parseSlot reads a slot from its subject suffix.
func parseSlot(name string) (HeldSlot, error) {
	parts := strings.Split(name, ".")
	if len(parts) != 3 || (parts[0] != HeldQuiet && parts[0] != HeldDigest) {
		return HeldSlot{}, fmt.Errorf("held slot %q: want KIND.GROUP.UNIX", name)
	}
	unix, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		return HeldSlot{}, fmt.Errorf("held slot %q: %w", name, err)
	}
	group := parts[1]
	if group == "_" {
		group = ""
	}
	return HeldSlot{Kind: parts[0], Group: group, Due: time.Unix(unix, 0).UTC()}, nil
}

// checkSlot refuses a slot that cannot name subjects.
func checkSlot(s HeldSlot) error {
	if s.Kind != HeldQuiet && s.Kind != HeldDigest {
		return fmt.Errorf("held slot: unknown kind %q", s.Kind)
	}
	if strings.ContainsAny(s.Group, ". *>\t\r\n") || s.Group == "_" {
		return fmt.Errorf("held slot: group %q is not a subject token", s.Group)
	}
	return nil
}

// HeldItem is one notification held in a slot, encoded by its owner.
type HeldItem struct {
	// Key identifies the item within its slot: holding an item with the
	// same key again (its event was redelivered while it was held) does
	// not release it twice.
	Key string
	// Data is the item, opaque to the store.
	Data []byte
}

// ReleaseFunc receives a slot that fell due, with every item held in it
// (none twice), and calls done once it has handled them: done(true) drops
// them from the store, done(false) releases the slot again a little later.
// done may be called from any goroutine.
type ReleaseFunc func(ctx context.Context, slot HeldSlot, items []HeldItem, done func(ok bool))

// HeldStore keeps notifications deferred by quiet hours and digests until
// their slot falls due. In JetStream (JetStreamHeld) they are durable and
// released once however many replicas share them; MemoryHeld keeps them
// in process (dry run, core NATS).
type HeldStore interface {
	// Hold keeps item in slot; the slot is released at the wall-clock
	// instant at (the slot's Due, on the service's clock, read on the
	// machine's).
	Hold(ctx context.Context, slot HeldSlot, at time.Time, item HeldItem) error
	// Release hands every slot that falls due to fn until ctx ends, then
	// waits for the releases under way to call done (or ctx's drain).
	Release(ctx context.Context, fn ReleaseFunc) error
	// Held counts the items held now, by kind.
	Held(ctx context.Context) (map[string]int, error)
}

// Compile-time checks that both stores are HeldStores.
var (
	_ HeldStore = (*JetStreamHeld)(nil)
	_ HeldStore = (*MemoryHeld)(nil)
)

// releaseRetry is how soon a slot whose release failed is released again.
const releaseRetry = 5 * time.Second

// dedupItems drops items whose key came before.
func dedupItems(items []HeldItem) []HeldItem {
	seen := make(map[string]struct{}, len(items))
	out := items[:0]
	for _, it := range items {
		if _, dup := seen[it.Key]; dup {
			continue
		}
		seen[it.Key] = struct{}{}
		out = append(out, it)
	}
	return out
}

// waitFor waits for wg, at most d.
func waitFor(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}
