package broker

import (
	"context"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// beats keeps the unsettled deliveries of one Consume alive: one sweep
// sends a progress ack for each delivery older than its beat, so a
// delivery waiting long (for budget, say) is not redelivered, without a
// timer per delivery.
type beats struct {
	mu   sync.Mutex
	live map[*beat]struct{}
}

// beat is one delivery kept alive.
type beat struct {
	msg   jetstream.Msg
	every time.Duration
	next  time.Time
}

func newBeats() *beats { return &beats{live: map[*beat]struct{}{}} }

// add starts keeping msg alive, a progress ack every every.
func (b *beats) add(msg jetstream.Msg, every time.Duration) *beat {
	k := &beat{msg: msg, every: every, next: time.Now().Add(every)}
	b.mu.Lock()
	b.live[k] = struct{}{}
	b.mu.Unlock()
	return k
}

// remove stops keeping k alive.
func (b *beats) remove(k *beat) {
	b.mu.Lock()
	delete(b.live, k)
	b.mu.Unlock()
}

// run sweeps every interval until ctx ends.
func (b *beats) run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(max(interval, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			b.sweep(now)
		}
	}
}

// sweep sends the progress acks that are due at now. A lost one only
// risks an early redelivery.
func (b *beats) sweep(now time.Time) {
	b.mu.Lock()
	var due []jetstream.Msg
	for k := range b.live {
		if !now.Before(k.next) {
			due = append(due, k.msg)
			k.next = now.Add(k.every)
		}
	}
	b.mu.Unlock()
	for _, m := range due {
		_ = m.InProgress()
	}
}
