package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/korelay/korelay/kore"
)

// deviceAPI is what the devices command needs from Kore.
type deviceAPI interface {
	SubscribeDevice(ctx context.Context, userID string, d kore.Device) (*kore.SubscribeResult, error)
	SubscribedDevices(ctx context.Context, userID string) ([]kore.Device, error)
	UnsubscribeDevices(ctx context.Context, userID string, devices []kore.Device) (*kore.UnsubscribeResult, error)
	UnsubscribeAllDevices(ctx context.Context, userID string) (*kore.UnsubscribeResult, error)
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, splitList(v)...); return nil }

type devicesArgs struct {
	user, os    string
	devices     listFlag
	all, dryRun bool
	file        *string
	action      string
	stdout      io.Writer
}

func cmdDevices(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(stderr, "usage: korelay devices subscribe|list|unsubscribe -user U [-device D ...] [-os android|ios] [-all] [-dry-run]")
		return errUsage
	}
	a := devicesArgs{action: args[0], stdout: stdout}
	fs := newFlagSet("devices "+a.action, stderr)
	a.file = configFlag(fs)
	fs.StringVar(&a.user, "user", "", "the Kore user id (u-…)")
	fs.Var(&a.devices, "device", "a device id (repeatable, or comma-separated)")
	fs.StringVar(&a.os, "os", "", "android or ios")
	fs.BoolVar(&a.all, "all", false, "unsubscribe every device of the user")
	fs.BoolVar(&a.dryRun, "dry-run", false, "print the request instead of sending it")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if err := a.check(fs); err != nil {
		return err
	}
	api, err := deviceAPIFor(*a.file, a.dryRun, stdout, stderr)
	if err != nil {
		return err
	}
	switch a.action {
	case "subscribe":
		return a.subscribe(ctx, api)
	case "list":
		return a.list(ctx, api)
	default:
		return a.unsubscribe(ctx, api)
	}
}

func (a *devicesArgs) check(fs *flag.FlagSet) error {
	if a.user == "" {
		return usageError(fs, "-user is required")
	}
	if a.os != "" {
		os, err := kore.NormalizeOS(a.os)
		if err != nil {
			return usageError(fs, "-os: %v", err)
		}
		a.os = os
	}
	switch a.action {
	case "subscribe":
		if len(a.devices) != 1 || a.os == "" {
			return usageError(fs, "subscribe takes one -device and -os")
		}
	case "list":
		if len(a.devices) > 0 || a.all {
			return usageError(fs, "list takes only -user")
		}
	case "unsubscribe":
		if a.all == (len(a.devices) > 0) {
			return usageError(fs, "unsubscribe takes -device D (repeatable) or -all")
		}
	default:
		return usageError(fs, "unknown action %q (want subscribe, list or unsubscribe)", a.action)
	}
	return nil
}

func (a *devicesArgs) subscribe(ctx context.Context, api deviceAPI) error {
	res, err := api.SubscribeDevice(ctx, a.user, kore.Device{DeviceID: a.devices[0], OSType: a.os})
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%s %s: %s\n", res.Device.DeviceID, res.Device.OSType, res.Device.Status)
	return nil
}

func (a *devicesArgs) list(ctx context.Context, api deviceAPI) error {
	devices, err := api.SubscribedDevices(ctx, a.user)
	if err != nil {
		return err
	}
	if len(devices) == 0 {
		fmt.Fprintf(a.stdout, "no devices subscribed for %s\n", a.user)
	}
	for _, d := range devices {
		fmt.Fprintf(a.stdout, "%s %s: %s\n", d.DeviceID, d.OSType, d.Status)
	}
	return nil
}

func (a *devicesArgs) unsubscribe(ctx context.Context, api deviceAPI) error {
	if a.all {
		res, err := api.UnsubscribeAllDevices(ctx, a.user)
		if err != nil {
			return err
		}
		fmt.Fprintln(a.stdout, res.Message)
		return nil
	}
	devices, err := a.devicesWithOS(ctx, api)
	if err != nil {
		return err
	}
	res, err := api.UnsubscribeDevices(ctx, a.user, devices)
	if err != nil {
		return err
	}
	for _, d := range res.Unsubscribed {
		fmt.Fprintf(a.stdout, "%s %s: %s\n", d.DeviceID, d.OSType, d.Status)
	}
	for _, id := range res.InvalidDeviceIDs {
		fmt.Fprintf(a.stdout, "%s: unknown device\n", id)
	}
	return nil
}

// devicesWithOS pairs each -device with its OS type: -os when given, else
// the type Kore lists for the user's device.
func (a *devicesArgs) devicesWithOS(ctx context.Context, api deviceAPI) ([]kore.Device, error) {
	known := map[string]string{}
	if a.os == "" {
		listed, err := api.SubscribedDevices(ctx, a.user)
		if err != nil {
			return nil, fmt.Errorf("look up the devices' OS types (or give -os): %w", err)
		}
		for _, d := range listed {
			known[d.DeviceID] = d.OSType
		}
	}
	out := make([]kore.Device, 0, len(a.devices))
	for _, id := range a.devices {
		os := a.os
		if os == "" {
			if os = known[id]; os == "" {
				return nil, fmt.Errorf("device %s is not subscribed for %s; give -os to unsubscribe it anyway", id, a.user)
			}
		}
		out = append(out, kore.Device{DeviceID: id, OSType: os})
	}
	return out, nil
}

func deviceAPIFor(file string, dryRun bool, stdout, stderr io.Writer) (deviceAPI, error) {
	cfg, err := loadConfig(file, stderr)
	if err != nil {
		return nil, err
	}
	if dryRun || cfg.DryRun {
		return devicePrinter{w: stdout}, nil
	}
	return koreClient(cfg, nil)
}

// devicePrinter prints the device requests a dry run would send.
type devicePrinter struct{ w io.Writer }

func (p devicePrinter) print(method, endpoint string, body any) {
	line, _ := json.Marshal(map[string]any{"method": method, "endpoint": endpoint, "body": body})
	fmt.Fprintln(p.w, string(line))
}

func (p devicePrinter) SubscribeDevice(_ context.Context, userID string, d kore.Device) (*kore.SubscribeResult, error) {
	p.print("POST", "sdknotifications/subscribe", map[string]string{"deviceId": d.DeviceID, "osType": d.OSType, "userId": userID})
	return &kore.SubscribeResult{Success: true, Message: "dry run", Device: kore.Device{DeviceID: d.DeviceID, OSType: d.OSType, Status: "dry run"}}, nil
}

func (p devicePrinter) SubscribedDevices(_ context.Context, userID string) ([]kore.Device, error) {
	p.print("GET", "subscribeddevices?uId="+userID, nil)
	return nil, nil
}

func (p devicePrinter) UnsubscribeDevices(_ context.Context, userID string, devices []kore.Device) (*kore.UnsubscribeResult, error) {
	p.print("DELETE", "sdknotifications/unsubscribe", map[string]any{"devices": devices, "userId": userID})
	return &kore.UnsubscribeResult{Success: true, Message: "dry run"}, nil
}

func (p devicePrinter) UnsubscribeAllDevices(_ context.Context, userID string) (*kore.UnsubscribeResult, error) {
	p.print("DELETE", "sdknotifications/unsubscribe", map[string]string{"unsubscribe": "all", "userId": userID})
	return &kore.UnsubscribeResult{Success: true, Message: "dry run: all devices would be unsubscribed"}, nil
}
