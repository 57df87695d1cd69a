package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// DefaultBudgetBucket is the KV bucket of the Kore budget shared by replicas.
const DefaultBudgetBucket = "KORELAY_BUDGET"

// Keys of the budget bucket.
const (
	budgetKeyState = "state" // the fleet's spending: rate and both windows
	budgetKeyPause = "pause" // unix nanoseconds until which nobody calls
)

// Shared budget tuning.
const (
	// leaseHorizon is how far ahead a lease reaches: a replica asks the
	// bucket about that often while it has work, not once per call.
	leaseHorizon = 250 * time.Millisecond
	// maxLease bounds the tokens of one lease: a quarter second at 262,144
	// calls a second, far beyond any Kore budget.
	maxLease = 1 << 16
	// minGrace is the least time a leased token stays usable after its
	// slot, so a dispatcher that is a little late does not lose it.
	minGrace = 25 * time.Millisecond
	// secondSlot and hourSlot are the resolutions of the minute and hour
	// windows: a token counts from the start of its slot to the end of
	// the slot a window (plus margin) later, so a window never admits more
	// than its limit, and holds back at most one slot too long.
	secondSlot = time.Second
	hourSlot   = 10 * time.Second
	// budgetMargin is added to both windows against network jitter, as
	// delivery's local budget does.
	budgetMargin = time.Second
	// budgetTimeout bounds one exchange with the bucket.
	budgetTimeout = 2 * time.Second
	// budgetRetry is how soon Reserve tries again after the bucket failed.
	budgetRetry = 500 * time.Millisecond
)

// BudgetOptions configures a SharedBudget.
type BudgetOptions struct {
	// PerMinute and PerHour are the fleet's limits (below 1: unlimited);
	// PerMinute also sets the smooth rate, PerMinute/60 calls a second.
	PerMinute, PerHour int
	// Burst is how many calls the fleet may make back to back.
	Burst int
	// Bucket is the KV bucket; empty: DefaultBudgetBucket.
	Bucket string
	// Replicas is the bucket's replication on a NATS cluster (0: 1).
	Replicas int
	// OnError, if set, hears of a failed exchange with the bucket (no call
	// starts until one succeeds).
	OnError func(error)
}

// SharedBudget is a Kore budget that every korelay replica on one NATS
// spends together, kept in a JetStream KV bucket. It implements the
// delivery engine's Budget.
//
// The fleet's rate (PerMinute/60 a second, bursts of at most Burst) is a
// generic cell rate algorithm whose theoretical arrival time lives in the
// bucket, and both rolling windows are counts per time slot beside it. A
// replica leases the tokens of the next quarter second at once with one
// compare-and-swap, each token bound to its own time slot, and spends them
// locally: a call costs no round trip, and a token unused shortly after its
// slot is forfeited. While a lease runs low the replica leases the next
// one in the background, so no call waits for the bucket while work keeps
// coming, and a replica that dies strands at most two leases. A pause
// (Retry-After) is a key of its own that every replica watches.
type SharedBudget struct {
	kv      jetstream.KeyValue
	opts    BudgetOptions
	rate    float64       // tokens a second; 0: unlimited
	every   time.Duration // 1/rate
	grace   time.Duration
	watcher jetstream.KeyWatcher

	mu    sync.Mutex
	lease lease // being spent
	next  lease // leased ahead, spent once lease is; n == 0: none
	// fetching says an exchange with the bucket is under way; fetched is
	// broadcast when it ends.
	fetching bool
	fetched  sync.Cond
	// known is the bucket's state as this replica last read or wrote it,
	// at revision knownRev (nil: read it first). Only the exchange under
	// way touches them.
	known    *budgetState
	knownRev uint64
	empty    time.Time // no lease before this (the last was refused or failed)
	pause    time.Time // the fleet's pause, as last watched
	usage    Usage
	closed   bool
	// seen is usage and pause as Usage reports them, so that a status
	// page or a metrics scrape never waits for a renewal's round trips
	// under mu.
	seen atomic.Pointer[Usage]
}

// Usage is the fleet's spending as a replica last saw it.
type Usage struct {
	// Minute and Hour count the calls in each rolling window.
	Minute, Hour int
	// PerMinute and PerHour are the limits.
	PerMinute, PerHour int
	// PausedUntil is the fleet's pause, zero when none.
	PausedUntil time.Time
}

// lease is a block of tokens: n of them, the first burst of them at start
// and then one every interval; next is the first not yet spent.
type lease struct {
	start    time.Time
	burst    int
	interval time.Duration
	n, next  int
}

// slot returns the time slot of token i.
func (l *lease) slot(i int) time.Time {
	return l.start.Add(time.Duration(max(0, i-l.burst+1)) * l.interval)
}

// perSlot calls add once for each window slot of the given size that the
// lease's tokens fall in, in order, with the slot's start (unix ns) and how
// many tokens it holds: a lease of thousands of tokens costs a few calls.
func (l *lease) perSlot(size time.Duration, add func(at int64, k int)) {
	for i := 0; i < l.n; {
		from := l.slot(i).Truncate(size)
		j := l.n // the first token past this slot
		if l.interval > 0 {
			// Token j ≥ burst sits at start + (j-burst+1)·interval; the
			// first of them at or after the slot's end starts the next.
			ahead := from.Add(size).Sub(l.start)
			j = min(l.n, max(i+1, int((ahead+l.interval-1)/l.interval)+l.burst-1))
		}
		add(from.UnixNano(), j-i)
		i = j
	}
}

// NewSharedBudget creates or opens the budget bucket on js and starts
// watching the fleet's pause. Close it when done.
func NewSharedBudget(ctx context.Context, js jetstream.JetStream, opts BudgetOptions) (*SharedBudget, error) {
	if opts.Bucket == "" {
		opts.Bucket = DefaultBudgetBucket
	}
	opts.Burst = max(opts.Burst, 1)
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      opts.Bucket,
		Description: "korelay's Kore budget, shared by every replica",
		History:     1,
		Storage:     jetstream.FileStorage,
		Replicas:    max(opts.Replicas, 1),
	})
	if err != nil {
		return nil, fmt.Errorf("budget bucket %s: %w", opts.Bucket, err)
	}
	b := &SharedBudget{kv: kv, opts: opts, grace: minGrace}
	b.fetched.L = &b.mu
	if opts.PerMinute > 0 {
		b.rate = float64(opts.PerMinute) / 60
		b.every = max(time.Duration(float64(time.Second)/b.rate), 1)
		// Between minGrace and half the windows' margin: a token used late
		// must still fall in the window its slot was counted in.
		b.grace = min(max(b.every/2, minGrace), budgetMargin/2)
	}
	b.usage.PerMinute, b.usage.PerHour = opts.PerMinute, opts.PerHour
	// The watcher follows the pause from now on; read it once here too,
	// so the first lease cannot run ahead of the watcher's first value.
	if b.watcher, err = kv.Watch(ctx, budgetKeyPause); err != nil {
		return nil, fmt.Errorf("budget bucket %s: watch the pause: %w", opts.Bucket, err)
	}
	// Knowing the state lets the first lease, often taken under the
	// first burst of work, cost one round trip.
	if b.pause, err = b.readPause(ctx); err == nil {
		b.known, b.knownRev, err = b.readState(ctx)
	}
	if err != nil {
		_ = b.watcher.Stop()
		return nil, fmt.Errorf("budget bucket %s: %w", opts.Bucket, err)
	}
	b.noteUsage()
	go b.watchPause()
	return b, nil
}

// Close stops watching the pause; Reserve refuses from then on.
func (b *SharedBudget) Close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	_ = b.watcher.Stop()
}

// watchPause follows the fleet's pause key.
func (b *SharedBudget) watchPause() {
	for e := range b.watcher.Updates() {
		if e == nil {
			continue // the initial values have been delivered
		}
		t, err := parseUnixNano(e.Value())
		if err != nil || e.Operation() != jetstream.KeyValuePut {
			continue
		}
		b.mu.Lock()
		if t.After(b.pause) {
			b.pause = t
			b.noteUsage()
		}
		b.mu.Unlock()
	}
}

// Reserve spends one call at now from the replica's lease. It moves on to
// the lease taken ahead when this one is spent, and waits for the bucket
// only when neither has a token left. It reports false, and when to ask
// again, while the fleet is paused or out of budget.
func (b *SharedBudget) Reserve(now time.Time) (bool, time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for {
		if b.closed {
			return false, now.Add(budgetRetry)
		}
		if now.Before(b.pause) {
			return false, b.pause
		}
		ok, at := b.spend(now)
		switch {
		case ok:
			b.leaseAhead(now)
			return true, now
		case !at.IsZero():
			return false, at
		case b.next.n > 0:
			b.lease, b.next = b.next, lease{}
		case b.fetching:
			b.fetched.Wait()
		case now.Before(b.empty):
			return false, b.empty // other replicas can only spend, never add
		default:
			b.fetching = true
			b.mu.Unlock()
			r := b.exchange(now)
			b.mu.Lock()
			b.install(r)
		}
	}
}

// leaseAhead starts leasing the next tokens in the background once the
// lease has less than half the horizon left, so that the dispatcher does
// not wait for the bucket's round trips when it is spent. The caller holds
// b.mu.
func (b *SharedBudget) leaseAhead(now time.Time) {
	l := &b.lease
	if b.rate == 0 || b.fetching || b.next.n > 0 || b.closed || now.Before(b.empty) ||
		(l.next < l.n && l.slot(l.n-1).Sub(now) > leaseHorizon/2) {
		return
	}
	b.fetching = true
	go func() {
		r := b.exchange(now)
		b.mu.Lock()
		defer b.mu.Unlock()
		b.install(r)
	}()
}

// spend takes the lease's next token if its slot has come, skipping the
// tokens whose grace has passed. It returns false and the slot's time when
// the next token is still ahead, and false and zero when the lease is
// spent. The caller holds b.mu.
func (b *SharedBudget) spend(now time.Time) (bool, time.Time) {
	l := &b.lease
	if b.rate == 0 {
		return true, now
	}
	for l.next < l.n {
		s := l.slot(l.next)
		switch {
		case now.Before(s):
			return false, s
		case now.Sub(s) <= b.grace:
			l.next++
			return true, now
		}
		// Past its grace: skip ahead to the first token still usable.
		skip := int(now.Sub(s)-b.grace)/int(max(l.interval, 1)) + 1
		l.next = min(l.n, max(l.next+1, l.next+skip))
	}
	return false, time.Time{}
}

// leased is the outcome of one exchange with the bucket.
type leased struct {
	at      time.Time // the now it was asked at
	lease   lease     // n == 0: none
	retryAt time.Time // with no lease: when the fleet has tokens again
	usage   *Usage    // the windows as the bucket counts them; nil on error
	err     error
}

// exchange leases the next tokens from the bucket; when the fleet has none
// yet it says when to ask again. It starts from the state this replica
// last saw and writes it back only if nobody wrote since (one round trip
// while no other replica leases), reading it again when someone did. The
// pause is not read: the watcher follows it, and stops spending mid-lease
// too. Apart from the known state, which only the exchange under way
// touches, exchange reads only what never changes of b, so the caller
// need not hold b.mu (and must not: it waits for NATS).
func (b *SharedBudget) exchange(now time.Time) leased {
	r := leased{at: now}
	ctx, cancel := context.WithTimeout(context.Background(), budgetTimeout)
	defer cancel()
	for {
		st, rev := b.known, b.knownRev
		b.known = nil // until the write below succeeds
		if st == nil {
			var err error
			if st, rev, err = b.readState(ctx); err != nil {
				r.err = err
				return r
			}
		}
		l, retryAt := st.grant(now, b)
		u := st.usage(now, b)
		if l.n == 0 {
			// Read again next time: the fleet's spending moves on.
			r.retryAt, r.usage = retryAt, &u
			return r
		}
		data, err := json.Marshal(st)
		if err != nil {
			r.err = fmt.Errorf("budget: encode: %w", err)
			return r
		}
		var newRev uint64
		if rev == 0 {
			newRev, err = b.kv.Create(ctx, budgetKeyState, data)
		} else {
			newRev, err = b.kv.Update(ctx, budgetKeyState, data, rev)
		}
		if err == nil {
			b.known, b.knownRev = st, newRev
			r.lease, r.usage = l, &u
			return r
		}
		if !lostRace(err) {
			r.err = fmt.Errorf("budget: lease: %w", err)
			return r
		}
		// Another replica leased meanwhile: read again.
	}
}

// install keeps what an exchange brought: the lease to spend next, or
// when to ask again. The caller holds b.mu and had set b.fetching.
func (b *SharedBudget) install(r leased) {
	b.fetching = false
	defer b.fetched.Broadcast()
	switch {
	case r.err != nil:
		b.empty = later(b.empty, r.at.Add(budgetRetry))
		if b.opts.OnError != nil {
			b.opts.OnError(r.err)
		}
	case r.lease.n == 0:
		b.empty = r.retryAt
	default:
		b.next = r.lease
	}
	if r.usage != nil {
		b.usage = *r.usage
	}
	b.noteUsage()
}

// Pause holds every replica's calls until t.
func (b *SharedBudget) Pause(t time.Time) {
	b.mu.Lock()
	if t.After(b.pause) {
		b.pause = t
		b.noteUsage()
	}
	b.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), budgetTimeout)
	defer cancel()
	value := []byte(strconv.FormatInt(t.UnixNano(), 10))
	for {
		e, err := b.kv.Get(ctx, budgetKeyPause)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
			_, err = b.kv.Create(ctx, budgetKeyPause, value)
		case err != nil:
		default:
			if cur, perr := parseUnixNano(e.Value()); perr == nil && !t.After(cur) {
				return
			}
			_, err = b.kv.Update(ctx, budgetKeyPause, value, e.Revision())
		}
		if err == nil {
			return
		}
		if !lostRace(err) {
			if b.opts.OnError != nil {
				b.opts.OnError(fmt.Errorf("budget: pause: %w", err))
			}
			return
		}
	}
}

// Usage returns the fleet's spending as this replica last saw it. It
// does not wait for a renewal under way.
func (b *SharedBudget) Usage() Usage { return *b.seen.Load() }

// noteUsage publishes usage and pause for Usage. The caller holds b.mu
// (or has not shared b yet).
func (b *SharedBudget) noteUsage() {
	u := b.usage
	u.PausedUntil = b.pause
	b.seen.Store(&u)
}

func (b *SharedBudget) readPause(ctx context.Context) (time.Time, error) {
	e, err := b.kv.Get(ctx, budgetKeyPause)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("budget: read the pause: %w", err)
	}
	return parseUnixNano(e.Value())
}

func (b *SharedBudget) readState(ctx context.Context) (*budgetState, uint64, error) {
	e, err := b.kv.Get(ctx, budgetKeyState)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return &budgetState{}, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("budget: read: %w", err)
	}
	var st budgetState
	if err := json.Unmarshal(e.Value(), &st); err != nil {
		return nil, 0, fmt.Errorf("budget: decode: %w", err)
	}
	return &st, e.Revision(), nil
}

func parseUnixNano(v []byte) (time.Time, error) {
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("budget: %q is not a time: %w", v, err)
	}
	return time.Unix(0, n), nil
}

// budgetState is the fleet's spending, stored as JSON under budgetKeyState.
type budgetState struct {
	// TAT is the rate's theoretical arrival time (unix ns): the fleet may
	// take a token at t when t ≥ TAT − (Burst−1)/rate.
	TAT int64 `json:"tat"`
	// Sec and Hour count the tokens granted per slot (start, unix ns), for
	// the minute and the hour window.
	Sec  []slotCount `json:"sec,omitempty"`
	Hour []slotCount `json:"hour,omitempty"`
}

// slotCount is the tokens granted in one slot.
type slotCount struct {
	At int64 `json:"t"`
	N  int   `json:"n"`
}

// grant leases the tokens the fleet may spend from now to now+leaseHorizon
// within the rate and both windows, records them, and returns the lease;
// with none, it returns when to ask again.
func (st *budgetState) grant(now time.Time, b *SharedBudget) (lease, time.Time) {
	st.prune(now)
	if b.rate == 0 {
		return lease{start: now, burst: maxLease, n: maxLease}, time.Time{}
	}
	tau := time.Duration(b.opts.Burst-1) * b.every
	tat := time.Unix(0, st.TAT)
	start := now
	if s := tat.Add(-tau); s.After(start) {
		start = s
	}
	if start.After(now.Add(leaseHorizon)) {
		return lease{}, start
	}
	// Tokens at start: as many as the rate's burst tolerance allows.
	burst := 0
	for burst < b.opts.Burst && !start.Before(tat.Add(-tau)) {
		tat = later(tat, start).Add(b.every)
		burst++
	}
	n := burst + int(now.Add(leaseHorizon).Sub(start)/b.every)
	n = min(n, maxLease)
	last := start.Add(time.Duration(max(0, n-burst)) * b.every)
	n = min(n, st.room(start, last, b))
	if n <= 0 {
		return lease{}, st.freeAt(start, b)
	}
	l := lease{start: start, burst: min(burst, n), interval: b.every, n: n}
	st.TAT = tat.Add(time.Duration(max(0, n-burst)) * b.every).UnixNano()
	l.perSlot(secondSlot, func(at int64, k int) { st.Sec = addSlot(st.Sec, at, k) })
	l.perSlot(hourSlot, func(at int64, k int) { st.Hour = addSlot(st.Hour, at, k) })
	return l, time.Time{}
}

// room is how many tokens slotted from first to last both windows can take.
func (st *budgetState) room(first, last time.Time, b *SharedBudget) int {
	return min(st.minuteRoom(first, last, b), st.hourRoom(first, last, b))
}

func (st *budgetState) minuteRoom(first, last time.Time, b *SharedBudget) int {
	if b.opts.PerMinute <= 0 {
		return math.MaxInt
	}
	from := first.Add(-time.Minute - budgetMargin).Truncate(secondSlot)
	return b.opts.PerMinute - sumSince(st.Sec, from, last)
}

func (st *budgetState) hourRoom(first, last time.Time, b *SharedBudget) int {
	if b.opts.PerHour <= 0 {
		return math.MaxInt
	}
	from := first.Add(-time.Hour - budgetMargin).Truncate(hourSlot)
	return b.opts.PerHour - sumSince(st.Hour, from, last)
}

// freeAt says when a full window has room at at again: when its oldest
// slot leaves it.
func (st *budgetState) freeAt(at time.Time, b *SharedBudget) time.Time {
	free := at.Add(secondSlot)
	if st.minuteRoom(at, at, b) <= 0 && len(st.Sec) > 0 {
		free = later(free, time.Unix(0, st.Sec[0].At).Add(time.Minute+budgetMargin+secondSlot))
	}
	if st.hourRoom(at, at, b) <= 0 && len(st.Hour) > 0 {
		free = later(free, time.Unix(0, st.Hour[0].At).Add(time.Hour+budgetMargin+hourSlot))
	}
	return free
}

// prune drops the slots no window can count any more.
func (st *budgetState) prune(now time.Time) {
	st.Sec = dropBefore(st.Sec, now.Add(-time.Minute-budgetMargin-2*secondSlot).UnixNano())
	st.Hour = dropBefore(st.Hour, now.Add(-time.Hour-budgetMargin-2*hourSlot).UnixNano())
}

// usage counts the windows at now.
func (st *budgetState) usage(now time.Time, b *SharedBudget) Usage {
	return Usage{
		Minute:    sumSince(st.Sec, now.Add(-time.Minute).Truncate(secondSlot), now),
		Hour:      sumSince(st.Hour, now.Add(-time.Hour).Truncate(hourSlot), now),
		PerMinute: b.opts.PerMinute, PerHour: b.opts.PerHour,
	}
}

// addSlot counts k tokens in the slot starting at at (slots stay sorted).
func addSlot(slots []slotCount, at int64, k int) []slotCount {
	if n := len(slots); n > 0 && slots[n-1].At == at {
		slots[n-1].N += k
		return slots
	}
	i := sort.Search(len(slots), func(i int) bool { return slots[i].At >= at })
	if i < len(slots) && slots[i].At == at {
		slots[i].N += k
		return slots
	}
	slots = append(slots, slotCount{})
	copy(slots[i+1:], slots[i:])
	slots[i] = slotCount{At: at, N: k}
	return slots
}

// sumSince counts the tokens of the slots starting from from to last.
func sumSince(slots []slotCount, from, last time.Time) int {
	n := 0
	for _, s := range slots {
		if s.At >= from.UnixNano() && s.At <= last.UnixNano() {
			n += s.N
		}
	}
	return n
}

func dropBefore(slots []slotCount, before int64) []slotCount {
	i := sort.Search(len(slots), func(i int) bool { return slots[i].At >= before })
	return slots[i:]
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// NewBudget returns the Kore budget shared by every replica on b's NATS
// (opts.Replicas defaults to the broker's).
func (b *Broker) NewBudget(ctx context.Context, opts BudgetOptions) (*SharedBudget, error) {
	if opts.Replicas == 0 {
		opts.Replicas = b.opts.Replicas
	}
	return NewSharedBudget(ctx, b.js, opts)
}
