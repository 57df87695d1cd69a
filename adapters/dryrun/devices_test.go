package dryrun_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/korelay/korelay/adapters/delivery"
	"github.com/korelay/korelay/adapters/dryrun"
	"github.com/korelay/korelay/kore"
)

var _ delivery.Devices = (*dryrun.Notifier)(nil)

func TestDevicesPrintOneJSONLineEach(t *testing.T) {
	var out bytes.Buffer
	d := dryrun.New(&out)
	ctx := t.Context()
	if res, err := d.SubscribeDevice(ctx, "u-1", kore.Device{DeviceID: "d-1", OSType: "ios"}); err != nil || res.Device.OSType != kore.OSiOS {
		t.Fatalf("SubscribeDevice = %+v, %v", res, err)
	}
	if list, err := d.SubscribedDevices(ctx, "u-1"); err != nil || len(list) != 0 {
		t.Fatalf("SubscribedDevices = %v, %v", list, err)
	}
	if _, err := d.UnsubscribeDevices(ctx, "u-1", []kore.Device{{DeviceID: "d-1", OSType: kore.OSiOS}}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.UnsubscribeAllDevices(ctx, "u-1"); err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		`{"endpoint":"devices_subscribe","user":"u-1","devices":[{"deviceId":"d-1","osType":"iOS"}]}`,
		`{"endpoint":"devices_list","user":"u-1"}`,
		`{"endpoint":"devices_unsubscribe","user":"u-1","devices":[{"deviceId":"d-1","osType":"iOS"}]}`,
		`{"endpoint":"devices_unsubscribe","user":"u-1","unsubscribe":"all"}`,
	}, "\n") + "\n"
	if got := out.String(); got != want {
		t.Errorf("printed:\n%s\nwant:\n%s", got, want)
	}
}

func TestDevicesRefuseWhatKoreWould(t *testing.T) {
	var out bytes.Buffer
	d := dryrun.New(&out)
	ctx := t.Context()
	tests := []struct {
		name string
		call func() error
	}{
		{"subscribe without os", func() error { _, err := d.SubscribeDevice(ctx, "u-1", kore.Device{DeviceID: "d"}); return err }},
		{"subscribe without user", func() error {
			_, err := d.SubscribeDevice(ctx, "", kore.Device{DeviceID: "d", OSType: "ios"})
			return err
		}},
		{"unsubscribe no devices", func() error { _, err := d.UnsubscribeDevices(ctx, "u-1", nil); return err }},
		{"unsubscribe all without user", func() error { _, err := d.UnsubscribeAllDevices(ctx, " "); return err }},
	}
	for _, tt := range tests {
		if err := tt.call(); !errors.Is(err, kore.ErrInvalidRequest) {
			t.Errorf("%s: err = %v, want kore.ErrInvalidRequest", tt.name, err)
		}
	}
	if out.Len() != 0 {
		t.Errorf("refused requests were printed: %s", out.String())
	}
}
