package cron

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/korelay/korelay/triggers"
)

// Publish retry backoff: exponential with jitter, bounded by the next fire.
const (
	minBackoff   = 200 * time.Millisecond
	maxBackoff   = 30 * time.Second
	stateTimeout = 5 * time.Second
)

// MsgID is the Nats-Msg-Id of the fire of rule scheduled at scheduled: the
// same on every replica, so JetStream keeps one.
func MsgID(rule string, scheduled time.Time) string {
	return fmt.Sprintf("cron:%s:%d", rule, scheduled.Unix())
}

// body is a cron event's payload.
type body struct {
	Rule      string `json:"rule"`
	Scheduled string `json:"scheduled"`
	Fired     string `json:"fired"`
}

// message builds the event for one fire.
func (r *runner) message(scheduled, fired time.Time) (*nats.Msg, error) {
	loc := r.job.Schedule.Location()
	data, err := json.Marshal(body{
		Rule:      r.job.Rule,
		Scheduled: scheduled.In(loc).Format(time.RFC3339),
		Fired:     fired.In(loc).Format(time.RFC3339),
	})
	if err != nil {
		return nil, fmt.Errorf("encode cron event: %w", err)
	}
	msg := nats.NewMsg(triggers.CronSubject(r.job.Rule))
	msg.Header.Set(nats.MsgIdHdr, MsgID(r.job.Rule, scheduled))
	msg.Header.Set(triggers.HeaderReceived, fired.UTC().Format(time.RFC3339Nano))
	msg.Data = data
	return msg, nil
}

// fire publishes the fire scheduled at scheduled, retrying until deadline
// (the next fire; zero means none) or ctx is done, then records it in the
// state store. A fire that cannot be published is logged as an error and
// reported to OnFire, never dropped silently.
func (r *runner) fire(ctx context.Context, scheduled, deadline time.Time) {
	err := r.publish(ctx, scheduled, deadline)
	if r.t.onFire != nil {
		r.t.onFire(r.job.Rule, scheduled, err)
	}
	if err != nil {
		r.t.log.Error("cron fire not published", "rule", r.job.Rule, "scheduled", scheduled, "err", err)
		return
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stateTimeout)
	defer cancel()
	if err := r.t.state.SetLastFired(sctx, r.job.Rule, scheduled); err != nil {
		r.t.log.Error("cron fire not recorded", "rule", r.job.Rule, "scheduled", scheduled, "err", err)
	}
}

// publish sends one fire, retrying with backoff until deadline or ctx is done.
func (r *runner) publish(ctx context.Context, scheduled, deadline time.Time) error {
	if !deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, deadline.Sub(r.t.now()))
		defer cancel()
	}
	backoff := minBackoff
	for attempt := 1; ; attempt++ {
		msg, err := r.message(scheduled, r.t.now())
		if err != nil {
			return err
		}
		id, err := r.t.pub.Publish(ctx, msg)
		if err == nil {
			r.t.log.Debug("cron fired", "rule", r.job.Rule, "scheduled", scheduled, "event_id", id)
			return nil
		}
		err = fmt.Errorf("publish cron %s (attempt %d): %w", r.job.Rule, attempt, err)
		if ctx.Err() != nil {
			return err
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		r.t.log.Warn("cron publish failed; retrying", "rule", r.job.Rule, "scheduled", scheduled,
			"err", err, "retry_in", wait)
		if !sleep(ctx, wait) {
			return err
		}
		backoff = min(2*backoff, maxBackoff)
	}
}
