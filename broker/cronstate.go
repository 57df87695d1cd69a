package broker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// CronState remembers, per cron rule, the last scheduled time that fired, so
// catch_up can fire the times missed while korelay was down. It lives in a
// KV bucket shared by all replicas. Safe for concurrent use.
type CronState struct {
	kv jetstream.KeyValue
}

func newCronState(ctx context.Context, js jetstream.JetStream, bucket string, replicas int) (*CronState, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      bucket,
		Replicas:    replicas,
		Description: "korelay cron rules: rule -> last fired scheduled time (RFC 3339)",
		History:     1,
		Storage:     jetstream.FileStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("cron bucket %s: %w", bucket, err)
	}
	return &CronState{kv: kv}, nil
}

// LastFired returns the last fire time recorded for rule; ok is false when
// none was.
func (c *CronState) LastFired(ctx context.Context, rule string) (t time.Time, ok bool, err error) {
	t, _, ok, err = c.get(ctx, rule)
	return t, ok, err
}

// SetLastFired records t as rule's last fire time. It never moves the time
// backwards: when another replica already recorded a later time, that one
// stays.
func (c *CronState) SetLastFired(ctx context.Context, rule string, t time.Time) error {
	value := []byte(t.UTC().Format(time.RFC3339Nano))
	for {
		last, rev, ok, err := c.get(ctx, rule)
		switch {
		case err != nil:
			return err
		case ok && !t.After(last):
			return nil
		case ok:
			_, err = c.kv.Update(ctx, rule, value, rev)
		default:
			_, err = c.kv.Create(ctx, rule, value)
		}
		if err == nil {
			return nil
		}
		if !lostRace(err) {
			return fmt.Errorf("cron state %s: %w", rule, err)
		}
		// Lost a race with another replica: read again.
	}
}

func (c *CronState) get(ctx context.Context, rule string) (time.Time, uint64, bool, error) {
	e, err := c.kv.Get(ctx, rule)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return time.Time{}, 0, false, nil
	}
	if err != nil {
		return time.Time{}, 0, false, fmt.Errorf("cron state %s: %w", rule, err)
	}
	t, err := time.Parse(time.RFC3339Nano, string(e.Value()))
	if err != nil {
		return time.Time{}, 0, false, fmt.Errorf("cron state %s: %w", rule, err)
	}
	return t, e.Revision(), true, nil
}

// lostRace reports a compare-and-set write to a KV key that another writer
// got in before: a Create of a key that exists, or an Update of a revision
// no longer the last.
func lostRace(err error) bool {
	if errors.Is(err, jetstream.ErrKeyExists) {
		return true
	}
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) &&
		(apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
			apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}
