package broker

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// subscriptions keeps one core NATS subscription per subject pattern, in a
// queue group or plain, and follows changes to the set of patterns.
type subscriptions struct {
	nc      *nats.Conn
	queue   string // "" for plain subscriptions
	deliver nats.MsgHandler

	mu   sync.Mutex
	subs map[string]*nats.Subscription
}

func newSubscriptions(nc *nats.Conn, queue string, deliver nats.MsgHandler) *subscriptions {
	return &subscriptions{nc: nc, queue: queue, deliver: deliver, subs: map[string]*nats.Subscription{}}
}

// set subscribes to the patterns not yet subscribed and drains the
// subscriptions of patterns no longer listed.
func (s *subscriptions) set(patterns []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for p, sub := range s.subs {
		if !slices.Contains(patterns, p) {
			_ = sub.Drain()
			delete(s.subs, p)
		}
	}
	for _, p := range patterns {
		if _, ok := s.subs[p]; ok {
			continue
		}
		var sub *nats.Subscription
		var err error
		if s.queue != "" {
			sub, err = s.nc.QueueSubscribe(p, s.queue, s.deliver)
		} else {
			sub, err = s.nc.Subscribe(p, s.deliver)
		}
		if err != nil {
			return fmt.Errorf("subscribe %s: %w", p, err)
		}
		s.subs[p] = sub
	}
	return nil
}

// drain stops interest in every pattern and waits up to timeout for the
// messages already received to reach the handler.
func (s *subscriptions) drain(timeout time.Duration) {
	s.mu.Lock()
	subs := make([]*nats.Subscription, 0, len(s.subs))
	for p, sub := range s.subs {
		subs = append(subs, sub)
		delete(s.subs, p)
	}
	s.mu.Unlock()
	closed := make([]<-chan nats.SubStatus, len(subs))
	for i, sub := range subs {
		closed[i] = sub.StatusChanged(nats.SubscriptionClosed)
		_ = sub.Drain()
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	for i, c := range closed {
		if !subs[i].IsValid() {
			continue // already closed before its status could change
		}
		select {
		case <-c:
		case <-t.C:
			return
		}
	}
}
