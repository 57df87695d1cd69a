package delivery_test

import (
	"errors"
	"fmt"
	"net"
	"testing"
	"testing/synctest"
	"time"

	"github.com/korelay/korelay/adapters/delivery"
	"github.com/korelay/korelay/broker"
	"github.com/korelay/korelay/kore"
	"github.com/korelay/korelay/rules"
)

func TestRetryAfterIsHonoured(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeKore{reply: func(i int) error {
			if i == 0 {
				return &kore.APIError{Endpoint: "notify", StatusCode: 429, RetryAfter: 2 * time.Second, Body: `{"errors":[]}`}
			}
			return nil
		}}
		e, stop := start(t, f, broker.NewMemoryLedger(), delivery.Options{})
		defer stop()
		outs, err := e.Deliver(t.Context(), []rules.Notification{note("ev", "r", "hi", "ann@example.com")}, delivery.DeliverOptions{})
		if err != nil {
			t.Fatal(err)
		}
		calls := f.Calls()
		if len(calls) != 2 {
			t.Fatalf("%d calls, want 2", len(calls))
		}
		if gap := calls[1].at.Sub(calls[0].at); gap < 2*time.Second || gap > 2*time.Second+delivery.DefaultBaseBackoff {
			t.Errorf("retried after %v, want 2s (Retry-After)", gap)
		}
		if len(outs) != 1 || outs[0].Status != delivery.StatusSent || outs[0].JobID != "job-2" || outs[0].Attempts != 2 {
			t.Errorf("outcomes %+v, want sent as job-2 after 2 attempts", outs)
		}
	})
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

var _ net.Error = timeoutErr{}

func TestFailedCallsAreDeadLettered(t *testing.T) {
	const maxAttempts = 5
	tests := []struct {
		name         string
		err          error
		wantCalls    int
		wantReason   string
		wantResponse string
	}{
		{"400 is permanent", &kore.APIError{StatusCode: 400, Body: `{"errors":[{"msg":"bad channel"}]}`}, 1, delivery.ReasonPermanent, `{"errors":[{"msg":"bad channel"}]}`},
		{"401 is permanent", &kore.APIError{StatusCode: 401, Body: "bad jwt"}, 1, delivery.ReasonPermanent, "bad jwt"},
		{"invalid request is permanent", fmt.Errorf("notify: %w: too long", kore.ErrInvalidRequest), 1, delivery.ReasonPermanent, ""},
		{"500 is exhausted", &kore.APIError{StatusCode: 500, Body: "boom"}, maxAttempts, delivery.ReasonExhausted, "boom"},
		{"429 is exhausted", &kore.APIError{StatusCode: 429, Body: "slow down"}, maxAttempts, delivery.ReasonExhausted, "slow down"},
		{"rate-limit text is exhausted", &kore.APIError{StatusCode: 400, Message: "Rate limit for this API has been reached"}, maxAttempts, delivery.ReasonExhausted, ""},
		{"timeout is exhausted", fmt.Errorf("post: %w", timeoutErr{}), maxAttempts, delivery.ReasonExhausted, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := &fakeKore{reply: func(int) error { return tt.err }}
				e, stop := start(t, f, broker.NewMemoryLedger(), delivery.Options{MaxAttempts: maxAttempts})
				defer stop()
				t0 := time.Now()
				ids := []string{"ann@example.com", "bob@example.com"}
				outs, err := e.Deliver(t.Context(), []rules.Notification{note("ev", "r", "hi", ids...)}, delivery.DeliverOptions{})
				if err != nil {
					t.Fatalf("Deliver: %v (a dead letter is not an error)", err)
				}
				if got := len(f.Calls()); got != tt.wantCalls {
					t.Errorf("%d calls, want %d", got, tt.wantCalls)
				}
				if tt.wantReason == delivery.ReasonPermanent && time.Since(t0) != 0 {
					t.Errorf("permanent failure took %v, want at once", time.Since(t0))
				}
				if len(outs) != 1 {
					t.Fatalf("outcomes %+v, want 1", outs)
				}
				o := outs[0]
				if o.Status != delivery.StatusDeadLetter || o.Reason != tt.wantReason || o.Response != tt.wantResponse ||
					o.Attempts != tt.wantCalls || len(o.Identities) != 2 || !errors.Is(o.Err, tt.err) {
					t.Errorf("outcome %+v, want dead letter %q after %d attempts with response %q and err %v",
						o, tt.wantReason, tt.wantCalls, tt.wantResponse, tt.err)
				}
			})
		})
	}
}

func TestBackoffBetweenRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeKore{reply: func(int) error { return &kore.APIError{StatusCode: 503} }}
		opts := delivery.Options{MaxAttempts: 6, BaseBackoff: time.Second, MaxBackoff: 4 * time.Second}
		e, stop := start(t, f, broker.NewMemoryLedger(), opts)
		defer stop()
		if _, err := e.Deliver(t.Context(), []rules.Notification{note("ev", "r", "hi", "a")}, delivery.DeliverOptions{}); err != nil {
			t.Fatal(err)
		}
		calls := f.Calls()
		ceilings := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second, 4 * time.Second}
		for i, ceil := range ceilings {
			if gap := calls[i+1].at.Sub(calls[i].at); gap > ceil {
				t.Errorf("gap before attempt %d: %v, want at most %v", i+2, gap, ceil)
			}
		}
	})
}
