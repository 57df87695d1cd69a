package delivery_test

import (
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/korelay/korelay/adapters/delivery"
	"github.com/korelay/korelay/broker"
	"github.com/korelay/korelay/kore"
	"github.com/korelay/korelay/rules"
)

// OnCall hears of every call with its answer: a 429 with its Retry-After,
// then the accepted retry with its job id, each naming the event's
// identities and attempt.
func TestOnCallObservesEveryCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeKore{reply: func(i int) error {
			if i == 0 {
				return &kore.APIError{Endpoint: "notify", StatusCode: 429, RetryAfter: time.Second}
			}
			return nil
		}}
		var (
			mu   sync.Mutex
			recs []delivery.CallRecord
		)
		onCall := func(r delivery.CallRecord) { mu.Lock(); recs = append(recs, r); mu.Unlock() }
		e, stop := start(t, f, broker.NewMemoryLedger(), delivery.Options{OnCall: onCall})
		defer stop()
		n := note("ev-1", "r", "hi", "ann@example.com", "bob@example.com")
		if _, err := e.Deliver(t.Context(), []rules.Notification{n}, delivery.DeliverOptions{}); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(recs) != 2 {
			t.Fatalf("%d call records, want 2: %+v", len(recs), recs)
		}
		first, second := recs[0], recs[1]
		if first.Result != delivery.CallRetry || first.Code != 429 || first.RetryAfter != time.Second ||
			first.Identities != 2 || len(first.Items) != 1 || first.Items[0] != (delivery.CallItem{Rule: "r", EventID: "ev-1", Identities: 2, Attempt: 1}) {
			t.Errorf("first call %+v", first)
		}
		if second.Result != delivery.CallAccepted || second.JobID != "job-2" || second.Code != 0 || second.Items[0].Attempt != 2 {
			t.Errorf("second call %+v", second)
		}
	})
}
