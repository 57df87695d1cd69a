package delivery

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/korelay/korelay/kore"
	"github.com/korelay/korelay/rules"
)

// ErrUnsupportedAction dead-letters a notification whose Action this engine
// does not perform.
var ErrUnsupportedAction = errors.New("delivery: unsupported action")

// DeliverOptions qualifies one Deliver call.
type DeliverOptions struct {
	// Redelivered says the event may have been processed before. When false
	// and every notification uses the default (event id) dedup key, nothing
	// can have been sent for it yet and the ledger lookup is skipped.
	Redelivered bool
}

// Deliver sends ns and blocks until every identity of every notification is
// sent, found already sent, shadowed or dead-lettered, and returns one
// Outcome per distinct result. It returns an error only if ctx ends first,
// the ledger lookup fails or the engine stops; the caller should then
// redeliver the event later. Identities already sent are recorded in the
// ledger, and work already queued still goes out, so nothing is lost. The
// Outcomes settled so far are returned with the error.
func (e *Engine) Deliver(ctx context.Context, ns []rules.Notification, opt DeliverOptions) ([]Outcome, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	type answer struct {
		outs []Outcome
		err  error
	}
	ch := make(chan answer, 1)
	p := e.deliverAsync(ctx, ns, opt, func(outs []Outcome, err error) { ch <- answer{outs, err} })
	select {
	case a := <-ch:
		return a.outs, a.err
	case <-ctx.Done():
		outs, _ := outcomes(ns, p.slots)
		return outs, ctx.Err()
	}
}

// DeliverAsync starts delivering ns and returns at once; done is called
// exactly once, when every identity is settled, with the Outcomes and the
// error Deliver would return (possibly before DeliverAsync returns, on its
// goroutine, or later on one of the engine's). ctx bounds only the ledger
// lookup made before DeliverAsync returns. done must not block for long: it
// runs on the goroutine that settled the last identity.
func (e *Engine) DeliverAsync(ctx context.Context, ns []rules.Notification, opt DeliverOptions, done func([]Outcome, error)) {
	e.deliverAsync(ctx, ns, opt, done)
}

// deliverAsync is DeliverAsync returning the delivery under way.
func (e *Engine) deliverAsync(ctx context.Context, ns []rules.Notification, opt DeliverOptions, done func([]Outcome, error)) *pending {
	p := &pending{e: e, ns: ns, slots: e.slots(ns), done: done}
	waiting := 0
	for i := range p.slots {
		if p.slots[i].f != nil {
			waiting++
		}
	}
	// One more than the slots to wait for, released below: the delivery
	// cannot complete while it is still being set up.
	p.left.Store(int32(waiting) + 1)
	owned, err := e.flights.claim(p.slots, p)
	if err != nil {
		p.fail(err)
		return p
	}
	if len(owned) > 0 && needsLedger(ns, opt) {
		owned, err = e.checkLedger(ctx, owned)
	}
	if len(owned) > 0 {
		e.enqueue(owned, time.Now())
		e.kick()
	}
	if err != nil {
		p.abort.Store(&err)
	}
	p.slotDone()
	return p
}

// pending is one DeliverAsync under way.
type pending struct {
	e     *Engine
	ns    []rules.Notification
	slots []slot
	left  atomic.Int32 // slots still to settle, plus one while setting up
	abort atomic.Pointer[error]
	done  func([]Outcome, error)
}

// slotDone counts one slot settled and completes the delivery after the
// last.
func (p *pending) slotDone() {
	if p.left.Add(-1) != 0 {
		return
	}
	outs, err := outcomes(p.ns, p.slots)
	p.e.count(outs)
	if a := p.abort.Load(); a != nil {
		err = cmp.Or(*a, err)
	}
	p.done(outs, err)
}

// fail completes a delivery that could not start.
func (p *pending) fail(err error) { p.done(nil, err) }

// needsLedger reports whether any identity could have been sent before.
func needsLedger(ns []rules.Notification, opt DeliverOptions) bool {
	if opt.Redelivered {
		return true
	}
	for i := range ns {
		if ns[i].Mode != rules.ModeShadow && ns[i].DedupKey != "" {
			return true
		}
	}
	return false
}

// slots lays out one slot per identity, settling at once those that are
// shadowed or invalid, and computing idempotency keys for the others.
func (e *Engine) slots(ns []rules.Notification) []slot {
	total := 0
	for i := range ns {
		total += len(ns[i].Identities)
	}
	slots := make([]slot, 0, total)
	flights := make([]flight, total) // one allocation for the whole delivery
	var buf [256]byte
	for i := range ns {
		n := &ns[i]
		pre, bad := e.precheck(n)
		dedup, ttl := e.dedup(n)
		for _, id := range n.Identities {
			s := slot{n: i, identity: id}
			switch {
			case bad:
				s.res = pre
			case id == "":
				s.res = permanent(fmt.Errorf("%w: empty identity", kore.ErrInvalidRequest))
			default:
				s.f = &flights[len(slots)]
				keyID := id
				if n.Devices != nil {
					keyID = deviceIdentity(n.Devices)
				}
				initFlight(s.f, n, id, hashKey(buf[:0], n.Rule, dedup, keyID), ttl)
			}
			slots = append(slots, s)
		}
	}
	return slots
}

// precheck settles a whole notification that must not be sent.
func (e *Engine) precheck(n *rules.Notification) (result, bool) {
	switch {
	case n.Mode == rules.ModeShadow:
		return result{status: StatusShadow}, true
	case n.Action == rules.ActionDevices && n.Devices != nil && e.devices != nil:
	case n.Action == rules.ActionDevices && n.Devices != nil:
		return permanent(fmt.Errorf("%w %q: no device API configured", ErrUnsupportedAction, n.Action)), true
	case n.Action != rules.ActionNotify && n.Action != "":
		return permanent(fmt.Errorf("%w %q", ErrUnsupportedAction, n.Action)), true
	}
	return result{}, false
}

// permanent is a dead letter decided before any call.
func permanent(err error) result {
	return result{status: StatusDeadLetter, reason: ReasonPermanent, err: err}
}

// dedup returns a notification's dedup key and its lifetime.
func (e *Engine) dedup(n *rules.Notification) (string, time.Duration) {
	ttl := n.DedupFor
	if n.DedupKey == "" || ttl <= 0 {
		ttl = e.opts.DefaultDedupFor
	}
	if n.DedupKey == "" {
		return eventDedupKey(n.EventID), ttl
	}
	return n.DedupKey, ttl
}

func initFlight(f *flight, n *rules.Notification, identity, key string, ttl time.Duration) {
	*f = flight{
		key:      key,
		identity: identity,
		rule:     n.Rule,
		eventID:  n.EventID,
		ttl:      ttl,
		group:    groupKey{channel: n.Channel, msgType: n.MessageType, message: n.Message},
	}
	if n.Devices != nil {
		f.group = deviceGroup(n.Devices)
	}
}

// checkLedger is the dedup stage: it settles as duplicates the owned
// flights the ledger has seen and returns the others. On a ledger failure
// it releases every owned flight.
func (e *Engine) checkLedger(ctx context.Context, owned []*flight) ([]*flight, error) {
	keys := make([]string, len(owned))
	for i, f := range owned {
		keys[i] = f.key
	}
	seen, err := e.ledger.Seen(ctx, keys)
	if err == nil && len(seen) != len(keys) {
		err = fmt.Errorf("%d answers for %d keys", len(seen), len(keys))
	}
	if err != nil {
		err = fmt.Errorf("delivery: ledger lookup: %w", err)
		e.flights.settleAll(owned, result{abort: err})
		return nil, err
	}
	fresh := owned[:0]
	for i, f := range owned {
		if seen[i] {
			e.flights.settle(f, result{status: StatusDuplicate})
			continue
		}
		fresh = append(fresh, f)
	}
	return fresh, nil
}
