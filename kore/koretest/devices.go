package koretest

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/korelay/korelay/kore"
)

// Device statuses as Kore writes them.
const (
	statusSubscribed   = "Subscribed"
	statusUnsubscribed = "unsubscribed"
)

// deviceWire is a device in a request body.
type deviceWire struct {
	DeviceID *string `json:"deviceId"`
	OSType   *string `json:"osType"`
}

// subscribeWire is the subscribe request body.
type subscribeWire struct {
	deviceWire
	UserID *string `json:"userId"`
}

// unsubscribeWire is the unsubscribe request body.
type unsubscribeWire struct {
	Devices     *[]deviceWire `json:"devices"`
	Unsubscribe *string       `json:"unsubscribe"`
	UserID      *string       `json:"userId"`
}

// Devices returns the devices the user userID has subscribed, in
// subscription order.
func (s *Server) Devices(userID string) []kore.Device {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.devices[userID])
}

// SetDevices makes devices the user userID's subscribed devices, as if
// each had been subscribed in order (status Subscribed); none removes them
// all. Tests use it to start from a known state.
func (s *Server) SetDevices(userID string, devices ...kore.Device) {
	list := make([]kore.Device, len(devices))
	for i, d := range devices {
		list[i] = kore.Device{DeviceID: d.DeviceID, OSType: d.OSType, Status: statusSubscribed}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(list) == 0 {
		delete(s.devices, userID)
		return
	}
	s.devices[userID] = list
}

// DeviceCalls returns the accepted calls to the device endpoints
// (subscribe, list, unsubscribe), in order.
func (s *Server) DeviceCalls() []Call {
	var out []Call
	for _, c := range s.Calls() {
		switch c.Endpoint {
		case kore.EndpointSubscribeDevice, kore.EndpointSubscribedDevices, kore.EndpointUnsubscribe:
			if c.Accepted() {
				out = append(out, c)
			}
		}
	}
	return out
}

// handleSubscribe subscribes (or re-subscribes) a device.
func (s *Server) handleSubscribe(_ *http.Request, body []byte, _ *Call) reply {
	var w subscribeWire
	if err := decodeStrict(body, &w); err != nil {
		return errorReply(http.StatusBadRequest, 400, "invalid body: "+err.Error())
	}
	problems := w.deviceWire.problems("")
	if empty(w.UserID) {
		problems = append(problems, "userId is required")
	}
	if len(problems) > 0 {
		return errorsReply(http.StatusBadRequest, 400, problems)
	}
	d := kore.Device{DeviceID: *w.DeviceID, OSType: *w.OSType, Status: statusSubscribed}
	s.mu.Lock()
	list := slices.DeleteFunc(s.devices[*w.UserID], func(o kore.Device) bool { return o.DeviceID == d.DeviceID })
	s.devices[*w.UserID] = append(list, d)
	s.mu.Unlock()
	return jsonReply(http.StatusOK, map[string]any{"success": true, "message": "Device Subscribed", "deviceDetails": d})
}

// handleList lists a user's devices.
func (s *Server) handleList(r *http.Request, _ []byte, _ *Call) reply {
	user := r.URL.Query().Get("uId")
	if strings.TrimSpace(user) == "" {
		return errorReply(http.StatusBadRequest, 400, "uId query parameter is required")
	}
	devices := s.Devices(user)
	if devices == nil {
		devices = []kore.Device{}
	}
	return jsonReply(http.StatusOK, map[string]any{"subscribedDevices": devices})
}

// handleUnsubscribe removes some or all devices of a user.
func (s *Server) handleUnsubscribe(_ *http.Request, body []byte, _ *Call) reply {
	var w unsubscribeWire
	if err := decodeStrict(body, &w); err != nil {
		return errorReply(http.StatusBadRequest, 400, "invalid body: "+err.Error())
	}
	if problems := w.problems(); len(problems) > 0 {
		return errorsReply(http.StatusBadRequest, 400, problems)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if w.Devices == nil {
		delete(s.devices, *w.UserID)
		return jsonReply(http.StatusOK, kore.UnsubscribeResult{Success: true, Message: "All Devices are unsubscribed"})
	}
	res := kore.UnsubscribeResult{Success: true, Message: "Requested devices are Unsubscribed"}
	for _, d := range *w.Devices {
		list := s.devices[*w.UserID]
		i := slices.IndexFunc(list, func(o kore.Device) bool { return o.DeviceID == *d.DeviceID })
		if i < 0 {
			res.InvalidDeviceIDs = append(res.InvalidDeviceIDs, *d.DeviceID)
			continue
		}
		res.Unsubscribed = append(res.Unsubscribed, kore.Device{DeviceID: list[i].DeviceID, OSType: list[i].OSType, Status: statusUnsubscribed})
		s.devices[*w.UserID] = slices.Delete(list, i, i+1)
	}
	return jsonReply(http.StatusOK, res)
}

// problems lists how an unsubscribe body breaks the documented contract.
func (w unsubscribeWire) problems() []string {
	var p []string
	if empty(w.UserID) {
		p = append(p, "userId is required")
	}
	switch {
	case w.Devices != nil && w.Unsubscribe != nil:
		p = append(p, `give either devices or unsubscribe "all", not both`)
	case w.Unsubscribe != nil && *w.Unsubscribe != "all":
		p = append(p, `unsubscribe must be "all"`)
	case w.Devices == nil && w.Unsubscribe == nil:
		p = append(p, `devices or unsubscribe "all" is required`)
	case w.Devices != nil && len(*w.Devices) == 0:
		p = append(p, "devices must list at least one device")
	}
	if w.Devices != nil {
		for i, d := range *w.Devices {
			p = append(p, d.problems(fmt.Sprintf("devices[%d].", i))...)
		}
	}
	return p
}

// problems lists how a device breaks the documented contract; prefix names
// its place in the body.
func (d deviceWire) problems(prefix string) []string {
	var p []string
	if empty(d.DeviceID) {
		p = append(p, prefix+"deviceId is required")
	}
	if d.OSType == nil || (*d.OSType != kore.OSAndroid && *d.OSType != kore.OSiOS) {
		p = append(p, prefix+`osType is required and must be "Android" or "iOS"`)
	}
	return p
}

// empty reports whether a string field is missing or blank.
func empty(s *string) bool { return s == nil || strings.TrimSpace(*s) == "" }
