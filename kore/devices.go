package kore

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// UnsubscribeAll is the unsubscribe body's value that removes every device.
const UnsubscribeAll = "all"

// NormalizeOS maps an OS type given in any case ("android", "IOS", …) to
// Kore's spelling, OSAndroid or OSiOS. Anything else is an error wrapping
// ErrInvalidRequest.
func NormalizeOS(s string) (string, error) {
	switch t := strings.TrimSpace(s); {
	case strings.EqualFold(t, OSAndroid):
		return OSAndroid, nil
	case strings.EqualFold(t, OSiOS):
		return OSiOS, nil
	}
	return "", fmt.Errorf("%w: os type %q: want android or ios", ErrInvalidRequest, s)
}

// subscribeBody is the subscribe API's request body.
type subscribeBody struct {
	DeviceID string `json:"deviceId"`
	OSType   string `json:"osType"`
	UserID   string `json:"userId"`
}

// unsubscribeBody is the unsubscribe API's request body: devices, or
// unsubscribe "all".
type unsubscribeBody struct {
	Devices     []Device `json:"devices,omitempty"`
	Unsubscribe string   `json:"unsubscribe,omitempty"`
	UserID      string   `json:"userId"`
}

// SubscribeDevice subscribes the device d of the Kore user userID (a "u-…"
// id) to SDK push notifications. d.OSType is normalized with NormalizeOS.
// An answer with success false is returned as an *APIError.
func (c *Client) SubscribeDevice(ctx context.Context, userID string, d Device) (*SubscribeResult, error) {
	dev, err := checkDevice(userID, d)
	if err != nil {
		return nil, fmt.Errorf("kore %s: %w", EndpointSubscribeDevice, err)
	}
	var res struct {
		SubscribeResult
		Success *bool `json:"success"`
	}
	err = c.do(ctx, request{
		endpoint: EndpointSubscribeDevice,
		method:   http.MethodPost,
		path:     c.devicePath + "/sdknotifications/subscribe",
		body:     subscribeBody{DeviceID: dev.DeviceID, OSType: dev.OSType, UserID: userID},
	}, &res, `an object with "success"`, func() bool { return res.Success != nil })
	if err != nil {
		return nil, err
	}
	res.SubscribeResult.Success = *res.Success
	if !res.SubscribeResult.Success {
		return nil, refused(EndpointSubscribeDevice, res.Message)
	}
	res.Device.OSType = displayOS(res.Device.OSType)
	return &res.SubscribeResult, nil
}

// SubscribedDevices lists the devices of the Kore user userID subscribed to
// SDK push notifications. OS types Kore spells otherwise ("ios") are
// normalized.
func (c *Client) SubscribedDevices(ctx context.Context, userID string) ([]Device, error) {
	if strings.TrimSpace(userID) == "" {
		return nil, fmt.Errorf("kore %s: %w: user id is empty", EndpointSubscribedDevices, ErrInvalidRequest)
	}
	var res struct {
		Devices *[]Device `json:"subscribedDevices"`
	}
	err := c.do(ctx, request{
		endpoint: EndpointSubscribedDevices,
		method:   http.MethodGet,
		path:     c.devicePath + "/subscribeddevices",
		query:    url.Values{"uId": {userID}},
	}, &res, `an object with a "subscribedDevices" list`, func() bool { return res.Devices != nil })
	if err != nil {
		return nil, err
	}
	devices := *res.Devices
	for i := range devices {
		devices[i].OSType = displayOS(devices[i].OSType)
	}
	return devices, nil
}

// UnsubscribeDevices unsubscribes the given devices of the Kore user userID
// (at least one; OS types are normalized). Devices Kore did not know are
// listed in the result's InvalidDeviceIDs; that is not an error.
func (c *Client) UnsubscribeDevices(ctx context.Context, userID string, devices []Device) (*UnsubscribeResult, error) {
	if len(devices) == 0 {
		return nil, fmt.Errorf("kore %s: %w: no devices (UnsubscribeAllDevices removes all)", EndpointUnsubscribe, ErrInvalidRequest)
	}
	body := unsubscribeBody{UserID: userID, Devices: make([]Device, 0, len(devices))}
	for i, d := range devices {
		dev, err := checkDevice(userID, d)
		if err != nil {
			return nil, fmt.Errorf("kore %s: device %d: %w", EndpointUnsubscribe, i, err)
		}
		body.Devices = append(body.Devices, dev)
	}
	return c.unsubscribe(ctx, body)
}

// UnsubscribeAllDevices unsubscribes every device of the Kore user userID.
func (c *Client) UnsubscribeAllDevices(ctx context.Context, userID string) (*UnsubscribeResult, error) {
	if strings.TrimSpace(userID) == "" {
		return nil, fmt.Errorf("kore %s: %w: user id is empty", EndpointUnsubscribe, ErrInvalidRequest)
	}
	return c.unsubscribe(ctx, unsubscribeBody{UserID: userID, Unsubscribe: UnsubscribeAll})
}

// unsubscribe sends an unsubscribe body and checks the answer.
func (c *Client) unsubscribe(ctx context.Context, body unsubscribeBody) (*UnsubscribeResult, error) {
	var res UnsubscribeResult
	err := c.do(ctx, request{
		endpoint: EndpointUnsubscribe,
		method:   http.MethodDelete,
		path:     c.devicePath + "/sdknotifications/unsubscribe",
		body:     body,
	}, &res, `an object with "success"`, func() bool { return res.hasSuccess })
	if err != nil {
		return nil, err
	}
	if !res.Success {
		return nil, refused(EndpointUnsubscribe, res.Message)
	}
	for i := range res.Unsubscribed {
		res.Unsubscribed[i].OSType = displayOS(res.Unsubscribed[i].OSType)
	}
	return &res, nil
}

// checkDevice validates a user id and a device for a request and returns the
// device as sent: OS type in Kore's spelling, no status.
func checkDevice(userID string, d Device) (Device, error) {
	var problems []string
	if strings.TrimSpace(userID) == "" {
		problems = append(problems, "user id is empty")
	}
	if strings.TrimSpace(d.DeviceID) == "" {
		problems = append(problems, "device id is empty")
	}
	os, err := NormalizeOS(d.OSType)
	if err != nil {
		problems = append(problems, fmt.Sprintf("os type %q: want android or ios", d.OSType))
	}
	if len(problems) > 0 {
		return Device{}, fmt.Errorf("%w: %s", ErrInvalidRequest, strings.Join(problems, "; "))
	}
	return Device{DeviceID: d.DeviceID, OSType: os}, nil
}

// displayOS normalizes an OS type from an answer when it is a known one and
// keeps it as given otherwise.
func displayOS(s string) string {
	if os, err := NormalizeOS(s); err == nil {
		return os
	}
	return s
}

// refused is the error for a 2xx answer that says success false.
func refused(endpoint, message string) error {
	return &APIError{Endpoint: endpoint, StatusCode: http.StatusOK, Message: oneLine("success false: "+message, maxErrorMessage)}
}
