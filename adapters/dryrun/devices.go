package dryrun

import (
	"context"
	"fmt"
	"strings"

	"github.com/korelay/korelay/kore"
)

// deviceLine is what the device methods print: the endpoint, the user and
// the body's devices (or unsubscribe "all").
type deviceLine struct {
	Endpoint    string        `json:"endpoint"`
	User        string        `json:"user"`
	Devices     []kore.Device `json:"devices,omitempty"`
	Unsubscribe string        `json:"unsubscribe,omitempty"`
}

// SubscribeDevice prints the subscribe request and reports the device
// subscribed. A request Kore would refuse (no user or device id, an OS
// type other than android or ios) returns an error wrapping
// kore.ErrInvalidRequest and prints nothing.
func (d *Notifier) SubscribeDevice(ctx context.Context, userID string, dev kore.Device) (*kore.SubscribeResult, error) {
	os, err := kore.NormalizeOS(dev.OSType)
	if err == nil {
		err = checkUser(userID, dev.DeviceID)
	}
	if err != nil {
		return nil, fmt.Errorf("dryrun %s: %w", kore.EndpointSubscribeDevice, err)
	}
	dev = kore.Device{DeviceID: dev.DeviceID, OSType: os}
	if err := d.printDevices(ctx, deviceLine{Endpoint: kore.EndpointSubscribeDevice, User: userID, Devices: []kore.Device{dev}}); err != nil {
		return nil, err
	}
	dev.Status = "Subscribed"
	return &kore.SubscribeResult{Success: true, Message: "dry run", Device: dev}, nil
}

// SubscribedDevices prints the list request and lists no devices: a dry
// run does not ask Kore.
func (d *Notifier) SubscribedDevices(ctx context.Context, userID string) ([]kore.Device, error) {
	if err := checkUser(userID, "-"); err != nil {
		return nil, fmt.Errorf("dryrun %s: %w", kore.EndpointSubscribedDevices, err)
	}
	return nil, d.printDevices(ctx, deviceLine{Endpoint: kore.EndpointSubscribedDevices, User: userID})
}

// UnsubscribeDevices prints the unsubscribe request for devices.
func (d *Notifier) UnsubscribeDevices(ctx context.Context, userID string, devices []kore.Device) (*kore.UnsubscribeResult, error) {
	err := checkUser(userID, "-")
	if err == nil && len(devices) == 0 {
		err = fmt.Errorf("%w: no devices", kore.ErrInvalidRequest)
	}
	for _, dev := range devices {
		if err == nil {
			err = checkUser(userID, dev.DeviceID)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("dryrun %s: %w", kore.EndpointUnsubscribe, err)
	}
	if err := d.printDevices(ctx, deviceLine{Endpoint: kore.EndpointUnsubscribe, User: userID, Devices: devices}); err != nil {
		return nil, err
	}
	return &kore.UnsubscribeResult{Success: true, Message: "dry run", Unsubscribed: devices}, nil
}

// UnsubscribeAllDevices prints the request that unsubscribes every device
// of the user.
func (d *Notifier) UnsubscribeAllDevices(ctx context.Context, userID string) (*kore.UnsubscribeResult, error) {
	if err := checkUser(userID, "-"); err != nil {
		return nil, fmt.Errorf("dryrun %s: %w", kore.EndpointUnsubscribe, err)
	}
	line := deviceLine{Endpoint: kore.EndpointUnsubscribe, User: userID, Unsubscribe: kore.UnsubscribeAll}
	if err := d.printDevices(ctx, line); err != nil {
		return nil, err
	}
	return &kore.UnsubscribeResult{Success: true, Message: "dry run"}, nil
}

// printDevices prints one device request line.
func (d *Notifier) printDevices(ctx context.Context, line deviceLine) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.print(ctx, line)
}

// checkUser refuses an empty user or device id, as Kore would.
func checkUser(userID, deviceID string) error {
	switch {
	case strings.TrimSpace(userID) == "":
		return fmt.Errorf("%w: user id is empty", kore.ErrInvalidRequest)
	case strings.TrimSpace(deviceID) == "":
		return fmt.Errorf("%w: device id is empty", kore.ErrInvalidRequest)
	}
	return nil
}
