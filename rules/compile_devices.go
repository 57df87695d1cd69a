package rules

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// devicesKeys are the keys of the devices mapping.
var devicesKeys = []string{"action", "user", "device", "os"}

// DevicesSpec is a devices rule's action as written.
type DevicesSpec struct {
	// Action is DevicesSubscribe or DevicesUnsubscribe.
	Action string
	// User is the expression giving the Kore user id.
	User string
	// Device is the expression giving the device id, or AllDevices.
	Device string
	// OS is the expression giving the OS type, the word android or ios,
	// or "" when not given.
	OS string
}

// devicePrograms are the compiled expressions of a devices rule.
type devicePrograms struct {
	user   *program
	device *program // nil: all devices
	os     *program // nil: osWord, or no OS
	osWord string   // Kore's spelling of a literal os, or ""
}

// compileDevices compiles the devices mapping.
func (c *compiler) compileDevices(f *fileCtx, r *Rule, fd field, withItem bool) {
	fields, ok := f.mapping(fd.val, "devices", devicesKeys...)
	if !ok {
		return
	}
	at := resolve(fd.val)
	spec, progs := &DevicesSpec{}, &devicePrograms{}
	r.Action, r.Devices, r.devices = ActionDevices, spec, progs
	if a, ok := fields["action"]; !ok {
		f.errorf(at, "devices: missing required key \"action\" (subscribe or unsubscribe)")
	} else if s, ok := f.scalar(a, "devices.action"); ok {
		spec.Action = s
		if s != DevicesSubscribe && s != DevicesUnsubscribe {
			f.errorf(resolve(a.val), "devices.action: must be subscribe or unsubscribe, found %q%s", s, suggest(s, []string{DevicesSubscribe, DevicesUnsubscribe}))
		}
	}
	if u, ok := fields["user"]; !ok {
		f.errorf(at, "devices: missing required key \"user\" (an expression giving the Kore user id)")
	} else if s, ok := f.scalar(u, "devices.user"); ok {
		spec.User = s
		progs.user = c.compileExpr("devices.user", s, f.valuePos(resolve(u.val)), kindString, withItem)
	}
	d, hasDevice := fields["device"]
	if !hasDevice {
		f.errorf(at, "devices: missing required key \"device\" (an expression giving the device id, or all)")
	} else if s, ok := f.scalar(d, "devices.device"); ok {
		spec.Device = s
		if s != AllDevices {
			progs.device = c.compileExpr("devices.device", s, f.valuePos(resolve(d.val)), kindString, withItem)
		}
	}
	if o, ok := fields["os"]; ok {
		c.compileDeviceOS(f, spec, progs, o, withItem)
	}
	c.checkDevices(f, at, spec, fields)
}

// compileDeviceOS compiles os: the word android or ios, or an expression.
func (c *compiler) compileDeviceOS(f *fileCtx, spec *DevicesSpec, progs *devicePrograms, o field, withItem bool) {
	s, ok := f.scalar(o, "devices.os")
	if !ok {
		return
	}
	spec.OS = s
	if word, ok := normalizeOS(s); ok {
		progs.osWord = word
		return
	}
	progs.os = c.compileExpr("devices.os", s, f.valuePos(resolve(o.val)), kindString, withItem)
}

// checkDevices reports combinations of devices keys that cannot work.
func (c *compiler) checkDevices(f *fileCtx, at *yaml.Node, spec *DevicesSpec, fields map[string]field) {
	all := spec.Device == AllDevices
	o, hasOS := fields["os"]
	switch {
	case spec.Action == DevicesSubscribe && all:
		f.errorf(resolve(fields["device"].val), "devices.device: all applies to unsubscribe only; subscribe names one device")
	case spec.Action == DevicesSubscribe && !hasOS:
		f.errorf(at, "devices: subscribe needs os (android, ios, or an expression giving one)")
	case all && hasOS:
		f.errorf(o.key, "devices.os: does not apply to device: all")
	}
}

// normalizeOS maps an OS type in any case to Kore's spelling.
func normalizeOS(s string) (string, bool) {
	switch t := strings.TrimSpace(s); {
	case strings.EqualFold(t, OSAndroid):
		return OSAndroid, true
	case strings.EqualFold(t, OSiOS):
		return OSiOS, true
	}
	return "", false
}
