package delivery

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/korelay/korelay/kore"
	"github.com/korelay/korelay/rules"
)

// Devices performs the SDK push device actions of devices rules.
// *kore.Client satisfies it, and so does the dry-run printer.
type Devices interface {
	SubscribeDevice(ctx context.Context, userID string, d kore.Device) (*kore.SubscribeResult, error)
	SubscribedDevices(ctx context.Context, userID string) ([]kore.Device, error)
	UnsubscribeDevices(ctx context.Context, userID string, devices []kore.Device) (*kore.UnsubscribeResult, error)
	UnsubscribeAllDevices(ctx context.Context, userID string) (*kore.UnsubscribeResult, error)
}

// Compile-time check that the Kore client performs device actions.
var _ Devices = (*kore.Client)(nil)

// ChannelDevices is the Outcome.Channel (and the metrics' channel label)
// of device actions, which have no chat channel.
const ChannelDevices = "devices"

// osLookedUp stands, in a dry run, for the OS type an unsubscribe without
// one would look up in the user's device list.
const osLookedUp = "(looked up in the device list)"

// deviceQueue holds device actions waiting to be performed. Device calls
// are not spent from the notify Budget (Kore documents its 600 a minute
// for notify and status calls only); a Retry-After from a device endpoint
// pauses device calls alone. Identical actions (same user, device and
// operation) merge into one call. Safe for concurrent use.
type deviceQueue struct {
	*coalescer
	queued      atomic.Int64 // flights added or retried and not yet cut: due's fast path
	mu          sync.Mutex
	pausedUntil time.Time
}

// add queues fresh device actions.
func (q *deviceQueue) add(fs []*flight, now time.Time) []*flight {
	q.queued.Add(int64(len(fs)))
	refused := q.coalescer.add(fs, now)
	q.queued.Add(-int64(len(refused)))
	return refused
}

// retry queues device actions to try again from notBefore.
func (q *deviceQueue) retry(key groupKey, fs []*flight, notBefore time.Time) bool {
	q.queued.Add(int64(len(fs)))
	if !q.coalescer.retry(key, fs, notBefore) {
		q.queued.Add(-int64(len(fs)))
		return false
	}
	return true
}

// cut takes the next device call.
func (q *deviceQueue) cut(now time.Time) *call {
	c, _ := q.coalescer.cut(now, 1)
	if c != nil {
		q.queued.Add(-int64(len(c.items)))
	}
	return c
}

func newDeviceQueue() *deviceQueue { return &deviceQueue{coalescer: newCoalescer(0)} }

// pause holds device calls until t.
func (q *deviceQueue) pause(t time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if t.After(q.pausedUntil) {
		q.pausedUntil = t
	}
}

// due reports whether a device call can start at now, and otherwise when
// one can (zero: none waits).
func (q *deviceQueue) due(now time.Time) (bool, time.Time) {
	if q.queued.Load() == 0 {
		return false, time.Time{}
	}
	ok, at := q.coalescer.due(now)
	q.mu.Lock()
	until := q.pausedUntil
	q.mu.Unlock()
	if (ok || !at.IsZero()) && until.After(now) {
		return false, until
	}
	return ok, at
}

// devicesOf returns the notifier's device side, if it has one.
func devicesOf(n Notifier, d Devices) Devices {
	if d != nil {
		return d
	}
	if d, ok := n.(Devices); ok {
		return d
	}
	return nil
}

// deviceGroup is the group key of a device action: one call per user,
// device and operation. The action travels in the key's message, so that
// notify's group keys stay small.
func deviceGroup(a *rules.DeviceAction) groupKey {
	return groupKey{channel: ChannelDevices, msgType: a.Action, message: a.User + "\x00" + a.Device + "\x00" + a.OS}
}

// deviceAction is the action of a device group key.
func (k groupKey) deviceAction() rules.DeviceAction {
	a := rules.DeviceAction{Action: k.msgType}
	a.User, k.message, _ = strings.Cut(k.message, "\x00")
	a.Device, a.OS, _ = strings.Cut(k.message, "\x00")
	return a
}

// deviceIdentity is what a device action's idempotency key is made of:
// once per event (or dedup key), user and device.
func deviceIdentity(a *rules.DeviceAction) string {
	return a.Action + "\x00" + a.User + "\x00" + a.Device
}

// startDeviceCall cuts the next device call and hands it to a worker.
func (e *Engine) startDeviceCall(now time.Time) {
	c := e.devq.cut(now)
	if c == nil {
		return
	}
	c.seq = e.seq
	e.send.start(func() { e.runDeviceCall(c) })
}

// runDeviceCall performs one device action, on a worker, and hands the
// answer on as runCall does.
func (e *Engine) runDeviceCall(c *call) {
	c.attempt()
	e.answered(c, nil, e.callDevices(e.callCtx, c.key.deviceAction()))
}

// callDevices makes the Kore call of one device action.
func (e *Engine) callDevices(ctx context.Context, a rules.DeviceAction) error {
	switch {
	case a.Action == rules.DevicesSubscribe:
		_, err := e.devices.SubscribeDevice(ctx, a.User, kore.Device{DeviceID: a.Device, OSType: a.OS})
		return err
	case a.Device == rules.AllDevices:
		_, err := e.devices.UnsubscribeAllDevices(ctx, a.User)
		return err
	}
	os, err := e.deviceOS(ctx, a)
	if err != nil || os == "" {
		return err
	}
	_, err = e.devices.UnsubscribeDevices(ctx, a.User, []kore.Device{{DeviceID: a.Device, OSType: os}})
	return err
}

// deviceOS is the OS type to unsubscribe a device with: the rule's, else
// the one Kore lists for the user's device. It is "" (and nothing need be
// done) when the device is not subscribed.
func (e *Engine) deviceOS(ctx context.Context, a rules.DeviceAction) (string, error) {
	if a.OS != "" {
		return a.OS, nil
	}
	if e.opts.DryRun {
		return osLookedUp, nil
	}
	listed, err := e.devices.SubscribedDevices(ctx, a.User)
	if err != nil {
		return "", fmt.Errorf("look up the OS type of device %s: %w", a.Device, err)
	}
	for _, d := range listed {
		if d.DeviceID == a.Device {
			return d.OSType, nil
		}
	}
	e.log.Info("device not subscribed; nothing to unsubscribe", "user", a.User, "device", a.Device)
	return "", nil
}

// retryQueue queues failed work of group k again: true unless closed.
func (e *Engine) retryQueue(k groupKey, fs []*flight, notBefore time.Time) bool {
	if k.device() {
		return e.devq.retry(k, fs, notBefore)
	}
	return e.queue.retry(k, fs, notBefore)
}

// pauseFor holds the calls of group k's kind until t: device calls, or
// every call spent from the budget.
func (e *Engine) pauseFor(k groupKey, t time.Time) {
	if k.device() {
		e.devq.pause(t)
		return
	}
	e.budget.Pause(t)
}

// enqueue queues fresh flights, device actions apart from notify calls.
func (e *Engine) enqueue(fs []*flight, now time.Time) {
	split := 0
	for _, f := range fs {
		if f.group.device() {
			split++
		}
	}
	if split == 0 {
		e.flights.settleAll(e.queue.add(fs, now), result{abort: ErrClosed})
		return
	}
	var notify, devices []*flight
	for _, f := range fs {
		if f.group.device() {
			devices = append(devices, f)
		} else {
			notify = append(notify, f)
		}
	}
	e.flights.settleAll(e.queue.add(notify, now), result{abort: ErrClosed})
	e.flights.settleAll(e.devq.add(devices, now), result{abort: ErrClosed})
}

// describeDevices says what a device action does, for dead letters and logs.
func describeDevices(a *rules.DeviceAction) string {
	what := "device " + a.Device
	if a.Device == rules.AllDevices {
		what = "all devices"
	}
	s := fmt.Sprintf("%s %s of user %s", a.Action, what, a.User)
	if a.OS != "" {
		s += " (" + a.OS + ")"
	}
	return s
}
