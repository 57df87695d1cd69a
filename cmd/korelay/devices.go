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
	a, err := parseDevices(args, stderr)
	if err != nil {
		return err
	}
	a.stdout = stdout
	api, dryRun, err := deviceAPIFor(*a.file, a.dryRun, stdout, stderr)
	if err != nil {
		return err
	}
	a.dryRun = dryRun
	switch a.action {
	case "subscribe":
		return a.subscribe(ctx, api)
	case "list":
		return a.list(ctx, api)
	default:
		return a.unsubscribe(ctx, api)
	}
}

// parseDevices parses `devices ACTION [flags]`; each action has only the
// flags it uses.
func parseDevices(args []string, stderr io.Writer) (*devicesArgs, error) {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && isHelpFlag(args[0]) {
			return nil, &helpRequest{name: "devices"}
		}
		fmt.Fprintln(stderr, "korelay devices: name an action: subscribe, list or unsubscribe")
		printShortUsage(stderr, "devices")
		return nil, errUsage
	}
	a := &devicesArgs{action: args[0]}
	if err := checkAction("devices", a.action, "subscribe, list or unsubscribe", stderr); err != nil {
		return nil, err
	}
	fs := newFlagSet("devices "+a.action, stderr)
	a.file = configFlag(fs)
	fs.StringVar(&a.user, "user", "", "the Kore user `id` (u-…)")
	switch a.action {
	case "subscribe":
		fs.Var(&a.devices, "device", "the device `id`")
		fs.StringVar(&a.os, "os", "", "the device's OS `type`: android or ios")
	case "unsubscribe":
		fs.Var(&a.devices, "device", "a device `id` (repeatable, or comma-separated)")
		fs.StringVar(&a.os, "os", "", "the devices' OS `type`, android or ios (default: looked up in the user's device list)")
		fs.BoolVar(&a.all, "all", false, "unsubscribe every device of the user")
	}
	fs.BoolVar(&a.dryRun, "dry-run", false, "print the requests instead of sending them")
	if err := parseFlags(fs, args[1:]); err != nil {
		return nil, err
	}
	return a, a.check(fs)
}

func (a *devicesArgs) check(fs *flag.FlagSet) error {
	if fs.NArg() > 0 {
		return usageError(fs, "unexpected argument %q", fs.Arg(0))
	}
	if a.user == "" {
		return usageError(fs, "-user is required")
	}
	if a.os != "" {
		os, err := kore.NormalizeOS(a.os)
		if err != nil {
			return usageError(fs, "-os %q: want android or ios", a.os)
		}
		a.os = os
	}
	switch {
	case a.action == "subscribe" && (len(a.devices) != 1 || a.os == ""):
		return usageError(fs, "subscribe takes one -device and -os")
	case a.action == "unsubscribe" && a.all == (len(a.devices) > 0):
		return usageError(fs, "unsubscribe takes -device D (repeatable) or -all")
	case a.action == "unsubscribe" && a.all && a.os != "":
		return usageError(fs, "-os does not apply to -all")
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
	if a.dryRun {
		fmt.Fprintln(a.stdout, "dry run: Kore was not queried, so no devices are listed")
		return nil
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
	if a.dryRun {
		fmt.Fprintln(a.stdout, "dry run: nothing was sent")
		return nil
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
// the type Kore lists for the user's device. A dry run does not query Kore:
// it prints the lookup it would make and leaves the OS types to it.
func (a *devicesArgs) devicesWithOS(ctx context.Context, api deviceAPI) ([]kore.Device, error) {
	if a.os == "" && a.dryRun {
		fmt.Fprintf(a.stdout, "dry run: would look up each device's OS type in the device list of %s:\n", a.user)
		if _, err := api.SubscribedDevices(ctx, a.user); err != nil {
			return nil, err
		}
		fmt.Fprintln(a.stdout, "dry run: then would send, with each osType as that list gives it:")
		return a.devicesAs(osFromList), nil
	}
	if a.os != "" {
		return a.devicesAs(a.os), nil
	}
	listed, err := api.SubscribedDevices(ctx, a.user)
	if err != nil {
		return nil, fmt.Errorf("look up the devices' OS types (or give -os): %w", err)
	}
	known := map[string]string{}
	for _, d := range listed {
		known[d.DeviceID] = d.OSType
	}
	out := make([]kore.Device, 0, len(a.devices))
	for _, id := range a.devices {
		os := known[id]
		if os == "" {
			return nil, fmt.Errorf("device %s is not subscribed for %s; give -os to unsubscribe it anyway", id, a.user)
		}
		out = append(out, kore.Device{DeviceID: id, OSType: os})
	}
	return out, nil
}

// osFromList stands for an OS type a dry run did not look up.
const osFromList = "(from the device list)"

// devicesAs pairs every -device with the OS type os.
func (a *devicesArgs) devicesAs(os string) []kore.Device {
	out := make([]kore.Device, 0, len(a.devices))
	for _, id := range a.devices {
		out = append(out, kore.Device{DeviceID: id, OSType: os})
	}
	return out
}

// deviceAPIFor returns Kore's device API, or a printer of the requests for
// a dry run (-dry-run or dry_run in the config); dry says which.
func deviceAPIFor(file string, dryRun bool, stdout, stderr io.Writer) (api deviceAPI, dry bool, err error) {
	cfg, err := loadConfig(file, stderr)
	if err != nil {
		return nil, false, err
	}
	if dryRun || cfg.DryRun {
		return devicePrinter{w: stdout}, true, nil
	}
	c, err := koreClient(cfg, nil)
	if err != nil {
		return nil, false, err
	}
	return c, false, nil
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
