package delivery_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/korelay/korelay/adapters/delivery"
	"github.com/korelay/korelay/kore"
	"github.com/korelay/korelay/rules"
)

// fakeDevices is a Notifier and Devices that records every device call.
type fakeDevices struct {
	fakeKore
	dmu     sync.Mutex
	dcalls  []string
	listed  map[string][]kore.Device
	dreply  func(i int) error // nil or nil error: accepted
	dcallAt []time.Time
}

func (f *fakeDevices) record(s string) error {
	f.dmu.Lock()
	i := len(f.dcalls)
	f.dcalls = append(f.dcalls, s)
	f.dcallAt = append(f.dcallAt, time.Now())
	reply := f.dreply
	f.dmu.Unlock()
	if reply != nil {
		return reply(i)
	}
	return nil
}

func (f *fakeDevices) SubscribeDevice(_ context.Context, user string, d kore.Device) (*kore.SubscribeResult, error) {
	if err := f.record(fmt.Sprintf("subscribe %s %s %s", user, d.DeviceID, d.OSType)); err != nil {
		return nil, err
	}
	return &kore.SubscribeResult{Success: true, Device: d}, nil
}

func (f *fakeDevices) SubscribedDevices(_ context.Context, user string) ([]kore.Device, error) {
	if err := f.record("list " + user); err != nil {
		return nil, err
	}
	f.dmu.Lock()
	defer f.dmu.Unlock()
	return f.listed[user], nil
}

func (f *fakeDevices) UnsubscribeDevices(_ context.Context, user string, ds []kore.Device) (*kore.UnsubscribeResult, error) {
	if err := f.record(fmt.Sprintf("unsubscribe %s %s %s", user, ds[0].DeviceID, ds[0].OSType)); err != nil {
		return nil, err
	}
	return &kore.UnsubscribeResult{Success: true}, nil
}

func (f *fakeDevices) UnsubscribeAllDevices(_ context.Context, user string) (*kore.UnsubscribeResult, error) {
	if err := f.record("unsubscribe-all " + user); err != nil {
		return nil, err
	}
	return &kore.UnsubscribeResult{Success: true}, nil
}

func (f *fakeDevices) deviceCalls() []string {
	f.dmu.Lock()
	defer f.dmu.Unlock()
	return append([]string(nil), f.dcalls...)
}

// deviceNote is a live devices notification of rule for one user.
func deviceNote(event, rule, action, user, device, os string) rules.Notification {
	return rules.Notification{
		EventID: event, Rule: rule, Mode: rules.ModeLive, Action: rules.ActionDevices, Identities: []string{user},
		Devices: &rules.DeviceAction{Action: action, User: user, Device: device, OS: os},
	}
}

func TestDeviceActions(t *testing.T) {
	tests := []struct {
		name   string
		notes  []rules.Notification
		listed map[string][]kore.Device
		dryRun bool
		want   []string
		status delivery.Status
	}{
		{"unsubscribe all", []rules.Notification{deviceNote("e1", "off", "unsubscribe", "u-1", "all", "")},
			nil, false, []string{"unsubscribe-all u-1"}, delivery.StatusSent},
		{"subscribe", []rules.Notification{deviceNote("e1", "on", "subscribe", "u-1", "d-1", "Android")},
			nil, false, []string{"subscribe u-1 d-1 Android"}, delivery.StatusSent},
		{"the same action twice in one delivery is one call", []rules.Notification{
			deviceNote("e1", "off", "unsubscribe", "u-1", "all", ""), deviceNote("e1", "off", "unsubscribe", "u-1", "all", "")},
			nil, false, []string{"unsubscribe-all u-1"}, delivery.StatusSent},
		{"unsubscribe without os looks it up", []rules.Notification{deviceNote("e1", "lost", "unsubscribe", "u-1", "d-2", "")},
			map[string][]kore.Device{"u-1": {{DeviceID: "d-1", OSType: "Android"}, {DeviceID: "d-2", OSType: "iOS"}}}, false,
			[]string{"list u-1", "unsubscribe u-1 d-2 iOS"}, delivery.StatusSent},
		{"a device not subscribed needs nothing", []rules.Notification{deviceNote("e1", "lost", "unsubscribe", "u-1", "d-9", "")},
			nil, false, []string{"list u-1"}, delivery.StatusSent},
		{"a dry run does not look up", []rules.Notification{deviceNote("e1", "lost", "unsubscribe", "u-1", "d-9", "")},
			nil, true, []string{"unsubscribe u-1 d-9 (looked up in the device list)"}, delivery.StatusDryRun},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeDevices{listed: tt.listed}
			e, stop := start(t, f, &spyLedger{}, delivery.Options{DryRun: tt.dryRun})
			defer stop()
			outs, err := e.Deliver(t.Context(), tt.notes, delivery.DeliverOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := f.deviceCalls(); strings.Join(got, "; ") != strings.Join(tt.want, "; ") {
				t.Errorf("device calls = %q, want %q", got, tt.want)
			}
			for _, o := range outs {
				if o.Status != tt.status && o.Status != delivery.StatusDuplicate || o.Channel != delivery.ChannelDevices || o.Devices == nil {
					t.Errorf("outcome %+v, want %v on channel devices", o, tt.status)
				}
			}
			if n := len(f.Calls()); n != 0 {
				t.Errorf("%d notify calls for device actions", n)
			}
		})
	}
}

// A device action is done once per event, user and device: the same event
// redelivered finds it in the ledger; another event, or another rule, acts
// again unless a dedup key says otherwise.
func TestDeviceActionsPassTheLedger(t *testing.T) {
	f := &fakeDevices{}
	l := &spyLedger{}
	e, stop := start(t, f, l, delivery.Options{})
	defer stop()
	deliver := func(n rules.Notification, redelivered bool) delivery.Status {
		t.Helper()
		outs, err := e.Deliver(t.Context(), []rules.Notification{n}, delivery.DeliverOptions{Redelivered: redelivered})
		if err != nil || len(outs) != 1 {
			t.Fatalf("Deliver = %+v, %v", outs, err)
		}
		return outs[0].Status
	}
	off := deviceNote("e1", "off", "unsubscribe", "u-1", "all", "")
	if s := deliver(off, false); s != delivery.StatusSent {
		t.Fatalf("first: %v", s)
	}
	if s := deliver(off, true); s != delivery.StatusDuplicate {
		t.Errorf("redelivered: %v, want duplicate", s)
	}
	other := deviceNote("e2", "off", "unsubscribe", "u-1", "all", "")
	other.DedupKey = "u-1"
	if s := deliver(other, false); s != delivery.StatusSent {
		t.Errorf("another event: %v, want sent", s)
	}
	again := deviceNote("e3", "off", "unsubscribe", "u-1", "all", "")
	again.DedupKey = "u-1"
	if s := deliver(again, false); s != delivery.StatusDuplicate {
		t.Errorf("same dedup key: %v, want duplicate", s)
	}
	if got := f.deviceCalls(); len(got) != 2 {
		t.Errorf("device calls = %q, want 2", got)
	}
}

// Device calls are not spent from the notify budget, and a Retry-After of
// a device endpoint holds device calls only; a 4xx is a dead letter.
func TestDeviceCallsBudgetAndRetries(t *testing.T) {
	f := &fakeDevices{dreply: func(i int) error {
		switch i {
		case 0:
			return &kore.APIError{Endpoint: kore.EndpointUnsubscribe, StatusCode: 429, RetryAfter: time.Second}
		case 2:
			return &kore.APIError{Endpoint: kore.EndpointSubscribeDevice, StatusCode: 400, Body: `{"errors":[{"msg":"bad"}]}`}
		}
		return nil
	}}
	e, stop := start(t, f, &spyLedger{}, delivery.Options{PerMinute: 1, PerHour: 1, Burst: 1, BaseBackoff: time.Millisecond, MaxBackoff: time.Millisecond})
	defer stop()
	if _, err := e.Deliver(t.Context(), []rules.Notification{note("n1", "r", "spend the budget", "a@x")}, delivery.DeliverOptions{}); err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	outs, err := e.Deliver(t.Context(), []rules.Notification{deviceNote("e1", "off", "unsubscribe", "u-1", "all", "")}, delivery.DeliverOptions{})
	if err != nil || len(outs) != 1 || outs[0].Status != delivery.StatusSent || outs[0].Attempts != 2 {
		t.Fatalf("after a 429: %+v, %v", outs, err)
	}
	if took := time.Since(begin); took < time.Second || took > 5*time.Second {
		t.Errorf("the retry came %s after the 429 with Retry-After: 1, want ≥ 1s and no wait for the exhausted notify budget", took)
	}
	outs, err = e.Deliver(t.Context(), []rules.Notification{deviceNote("e2", "on", "subscribe", "u-2", "d", "iOS")}, delivery.DeliverOptions{})
	if err != nil || len(outs) != 1 || outs[0].Status != delivery.StatusDeadLetter || outs[0].Reason != delivery.ReasonPermanent ||
		!strings.Contains(outs[0].Message, "subscribe device d of user u-2") {
		t.Errorf("after a 400: %+v, %v", outs, err)
	}
}

func TestDeviceActionsWithoutDeviceAPI(t *testing.T) {
	e, stop := start(t, &fakeKore{}, &spyLedger{}, delivery.Options{})
	defer stop()
	outs, err := e.Deliver(t.Context(), []rules.Notification{deviceNote("e1", "off", "unsubscribe", "u-1", "all", "")}, delivery.DeliverOptions{})
	if err != nil || len(outs) != 1 || outs[0].Status != delivery.StatusDeadLetter || !errors.Is(outs[0].Err, delivery.ErrUnsupportedAction) {
		t.Errorf("Deliver = %+v, %v; want a dead letter for an unsupported action", outs, err)
	}
}
