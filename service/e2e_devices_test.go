package service

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/korelay/korelay/adapters/dryrun"
	"github.com/korelay/korelay/broker"
	"github.com/korelay/korelay/internal/syncbuf"
	"github.com/korelay/korelay/kore"
	"github.com/korelay/korelay/kore/koretest"
)

const offboardingRules = `
rules:
  - name: offboarded
    on: {nats: "hr.employee.offboarded"}
    devices: {action: unsubscribe, user: event.kore_id, device: all}
    dedup: {key: "{{ .event.kore_id }}", for: 1h}
  - name: lost-phone
    on: {nats: "hr.device.lost"}
    devices: {action: unsubscribe, user: event.kore_id, device: event.device}
`

// When an employee is offboarded, all of that user's devices are
// unsubscribed with exactly one call, even when the event arrives twice;
// the call is counted with the devices endpoint label and the action as a
// notification on channel "devices".
func TestE2EDevicesOffboardingUnsubscribesAllOnce(t *testing.T) {
	t.Parallel()
	fake := koretest.Start(t)
	fake.SetDevices("u-7", kore.Device{DeviceID: "d-1", OSType: kore.OSAndroid}, kore.Device{DeviceID: "d-2", OSType: kore.OSiOS})
	e := startE2E(t, e2eSpec{Fake: fake, Rules: offboardingRules})
	e.publish("hr.employee.offboarded", `{"kore_id": "u-7", "name": "Ann"}`)
	e.publish("hr.employee.offboarded", `{"kore_id": "u-7", "name": "Ann"}`) // sent twice by HR
	eventually(t, e2eDeadline, func() bool {
		v, _ := e.metric("korelay_notifications_total", `rule="offboarded"`, `outcome="duplicate"`)
		return v == 1
	}, func() string { return "the second event was not suppressed by the ledger\n" + e.logs.String() })
	calls := fake.DeviceCalls()
	if len(calls) != 1 || calls[0].Endpoint != kore.EndpointUnsubscribe {
		t.Fatalf("device calls = %v, want one unsubscribe", calls)
	}
	var body map[string]any
	if err := json.Unmarshal(calls[0].Body, &body); err != nil || body["unsubscribe"] != "all" || body["userId"] != "u-7" {
		t.Errorf("unsubscribe body %s, want all devices of u-7", calls[0].Body)
	}
	if left := fake.Devices("u-7"); len(left) != 0 {
		t.Errorf("devices left subscribed: %v", left)
	}
	if v, _ := e.metric("korelay_kore_requests_total", `endpoint="devices"`, `code="200"`); v != 1 {
		t.Errorf(`korelay_kore_requests_total{endpoint="devices",code="200"} = %v, want 1`, v)
	}
	if v, _ := e.metric("korelay_notifications_total", `rule="offboarded"`, `channel="devices"`, `outcome="sent"`); v != 1 {
		t.Errorf(`korelay_notifications_total{rule="offboarded",channel="devices",outcome="sent"} = %v, want 1`, v)
	}
	if n := len(fake.NotifyCalls()); n != 0 {
		t.Errorf("%d notify calls for a devices rule", n)
	}
}

// A device action Kore refuses for a while (429 with Retry-After) is
// retried after it; one Kore never accepts is dead-lettered with the
// event, to be replayed.
func TestE2EDevicesRetryAndDeadLetter(t *testing.T) {
	t.Parallel()
	fake := koretest.Start(t)
	fake.SetDevices("u-1", kore.Device{DeviceID: "d-1", OSType: kore.OSiOS})
	e := startE2E(t, e2eSpec{Fake: fake, Rules: offboardingRules})
	fake.FailNext(1, koretest.Failure{Endpoint: kore.EndpointUnsubscribe, Status: 429, RetryAfter: "1"})
	e.publish("hr.device.lost", `{"kore_id": "u-1", "device": "d-1"}`)
	eventually(t, e2eDeadline, func() bool { return len(fake.Devices("u-1")) == 0 },
		func() string { return "the device was not unsubscribed after the 429\n" + e.logs.String() })
	var refused, accepted time.Time
	for _, c := range fake.Calls() {
		if c.Endpoint == kore.EndpointUnsubscribe && c.Status == 429 {
			refused = c.Time
		}
		if c.Endpoint == kore.EndpointUnsubscribe && c.Accepted() {
			accepted = c.Time
		}
	}
	if accepted.Sub(refused) < time.Second {
		t.Errorf("retried %s after a Retry-After of 1 s", accepted.Sub(refused))
	}
	fake.FailNext(1, koretest.Failure{Endpoint: kore.EndpointUnsubscribe, Status: 403})
	fake.SetDevices("u-2", kore.Device{DeviceID: "d-2", OSType: kore.OSiOS})
	e.publish("hr.device.lost", `{"kore_id": "u-2", "device": "d-2"}`)
	eventually(t, e2eDeadline, func() bool {
		v, _ := e.metric("korelay_dead_letters_total", `rule="lost-phone"`, `reason="permanent"`)
		return v == 1
	}, func() string { return "no permanent dead letter\n" + e.logs.String() })
	letters, err := e.broker().DeadLetters(t.Context(), broker.DLQFilter{Rule: "lost-phone"})
	if err != nil || len(letters) != 1 || !strings.Contains(letters[0].Message, "unsubscribe device d-2 of user u-2") || letters[0].Subject != "hr.device.lost" {
		t.Errorf("dead letters = %+v, %v", letters, err)
	}
}

// A dry run prints device actions instead of performing them, and holds
// quiet-hours notifications in memory only.
func TestE2EDryRunPrintsDeviceActions(t *testing.T) {
	t.Parallel()
	out := &syncbuf.Buffer{}
	between, _ := quietFor(2 * time.Second)
	dataDir := t.TempDir()
	e := startE2E(t, e2eSpec{DryRun: true, Notifier: dryrun.New(out), DataDir: dataDir,
		Rules: offboardingRules + `
  - name: nightly
    on: {nats: "people.>"}
    notify: {channel: slack, to: event.email, text: "good morning"}
    quiet_hours: {between: "` + between + `", timezone: UTC}
`})
	nc, err := nats.Connect(e.svc.NATSURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	for subject, body := range map[string]string{"hr.employee.offboarded": `{"kore_id": "u-9"}`, "people.ann": `{"email": "ann@example.com"}`} {
		if err := nc.Publish(subject, []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, e2eDeadline, func() bool {
		return strings.Contains(out.String(), `{"endpoint":"devices_unsubscribe","user":"u-9","unsubscribe":"all"}`) &&
			strings.Contains(out.String(), `"good morning"`)
	}, func() string { return "dry-run output:\n" + out.String() })
	if v, _ := e.metric("korelay_notifications_total", `rule="offboarded"`, `outcome="dry_run"`); v != 1 {
		t.Errorf(`korelay_notifications_total{rule="offboarded",outcome="dry_run"} = %v, want 1`, v)
	}
	if n := len(e.kore.Calls()); n != 0 {
		t.Errorf("the dry run called Kore %d times", n)
	}
	e.stop()
	checkNothingStored(t, dataDir)
}
