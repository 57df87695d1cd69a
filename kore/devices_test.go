package kore_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/korelay/korelay/kore"
	"github.com/korelay/korelay/kore/koretest"
)

const user = "u-f30a2b4e-6b83-56d8-8397-011c430550a4"

func TestDeviceLifecycle(t *testing.T) {
	srv := koretest.Start(t)
	c := newClient(t, srv, kore.WithBotLanguage("en"))
	ctx := t.Context()
	prefix := "/api/public/streams/" + srv.BotID

	res, err := c.SubscribeDevice(ctx, user, kore.Device{DeviceID: "phone-1", OSType: "android"})
	if err != nil {
		t.Fatalf("SubscribeDevice: %v", err)
	}
	assertEqual(t, "subscribe result", *res, kore.SubscribeResult{Success: true, Message: "Device Subscribed",
		Device: kore.Device{DeviceID: "phone-1", OSType: kore.OSAndroid, Status: "Subscribed"}})
	if _, err := c.SubscribeDevice(ctx, user, kore.Device{DeviceID: "phone-2", OSType: "IOS"}); err != nil {
		t.Fatalf("SubscribeDevice: %v", err)
	}

	devices, err := c.SubscribedDevices(ctx, user)
	if err != nil {
		t.Fatalf("SubscribedDevices: %v", err)
	}
	assertEqual(t, "devices", devices, []kore.Device{
		{DeviceID: "phone-1", OSType: kore.OSAndroid, Status: "Subscribed"},
		{DeviceID: "phone-2", OSType: kore.OSiOS, Status: "Subscribed"},
	})

	un, err := c.UnsubscribeDevices(ctx, user, []kore.Device{{DeviceID: "phone-2", OSType: "ios"}, {DeviceID: "gone", OSType: "android"}})
	if err != nil {
		t.Fatalf("UnsubscribeDevices: %v", err)
	}
	assertEqual(t, "unsubscribed", un.Unsubscribed, []kore.Device{{DeviceID: "phone-2", OSType: kore.OSiOS, Status: "unsubscribed"}})
	assertEqual(t, "invalid ids", un.InvalidDeviceIDs, []string{"gone"})

	all, err := c.UnsubscribeAllDevices(ctx, user)
	if err != nil || !all.Success || all.Message != "All Devices are unsubscribed" {
		t.Fatalf("UnsubscribeAllDevices: %+v, %v", all, err)
	}
	if left := srv.Devices(user); len(left) != 0 {
		t.Errorf("devices left after unsubscribing all: %v", left)
	}

	wants := []struct{ method, path, query, body string }{
		{"POST", prefix + "/sdknotifications/subscribe", "", `{"deviceId":"phone-1","osType":"Android","userId":"` + user + `"}`},
		{"POST", prefix + "/sdknotifications/subscribe", "", `{"deviceId":"phone-2","osType":"iOS","userId":"` + user + `"}`},
		{"GET", prefix + "/subscribeddevices", user, ""},
		{"DELETE", prefix + "/sdknotifications/unsubscribe", "", `{"devices":[{"deviceId":"phone-2","osType":"iOS"},{"deviceId":"gone","osType":"Android"}],"userId":"` + user + `"}`},
		{"DELETE", prefix + "/sdknotifications/unsubscribe", "", `{"unsubscribe":"all","userId":"` + user + `"}`},
	}
	calls := srv.Calls()
	if len(calls) != len(wants) {
		t.Fatalf("server got %d calls, want %d", len(calls), len(wants))
	}
	for i, w := range wants {
		got := calls[i]
		assertEqual(t, "request", got.Method+" "+got.Path+" "+got.Query.Get("uId"), w.method+" "+w.path+" "+w.query)
		assertEqual(t, "bot-language", got.Header.Get("bot-language"), "en")
		if w.body == "" {
			assertEqual(t, "body", len(got.Body), 0)
			continue
		}
		assertEqual(t, "body", decodeBody(t, got.Body), jsonValue(t, w.body))
		assertEqual(t, "content type", got.Header.Get("Content-Type"), "application/json")
	}
}

func TestDevicePathPrefix(t *testing.T) {
	srv := koretest.Start(t, koretest.WithDevicePathPrefix("/API/public/stream/{id}"))
	c := newClient(t, srv)
	if _, err := c.SubscribedDevices(t.Context(), user); err != nil {
		t.Fatalf("SubscribedDevices: %v", err)
	}
	assertEqual(t, "path", onlyCall(t, srv).Path, "/API/public/stream/"+srv.BotID+"/subscribeddevices")
}

func TestDeviceRequestsAreValidated(t *testing.T) {
	srv := koretest.Start(t)
	c := newClient(t, srv)
	ctx := t.Context()
	ok := kore.Device{DeviceID: "d", OSType: "Android"}
	for name, call := range map[string]func() error{
		"empty user":   func() error { _, err := c.SubscribeDevice(ctx, "", ok); return err },
		"empty device": func() error { _, err := c.SubscribeDevice(ctx, user, kore.Device{OSType: "iOS"}); return err },
		"unknown os": func() error {
			_, err := c.SubscribeDevice(ctx, user, kore.Device{DeviceID: "d", OSType: "windows"})
			return err
		},
		"list no user": func() error { _, err := c.SubscribedDevices(ctx, " "); return err },
		"no devices":   func() error { _, err := c.UnsubscribeDevices(ctx, user, nil); return err },
		"bad device": func() error {
			_, err := c.UnsubscribeDevices(ctx, user, []kore.Device{ok, {DeviceID: "x"}})
			return err
		},
		"unsubscribe user": func() error { _, err := c.UnsubscribeDevices(ctx, "", []kore.Device{ok}); return err },
		"all no user":      func() error { _, err := c.UnsubscribeAllDevices(ctx, ""); return err },
	} {
		if err := call(); !errors.Is(err, kore.ErrInvalidRequest) {
			t.Errorf("%s: %v, want ErrInvalidRequest", name, err)
		}
	}
	if n := len(srv.Calls()); n != 0 {
		t.Errorf("server got %d calls, want none", n)
	}
}

func TestDeviceAnswers(t *testing.T) {
	tests := []struct {
		name, body string
		wantIs     error
		wantStatus int
	}{
		{"success false", `{"success":false,"message":"User not found"}`, nil, http.StatusOK},
		{"no success", `{"message":"Device Subscribed"}`, kore.ErrMalformedResponse, 0},
		{"not an object", `"ok"`, kore.ErrMalformedResponse, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newPlainServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = w.Write([]byte(tt.body))
			}))
			_, err := plainClient(t, srv.URL).SubscribeDevice(t.Context(), user, kore.Device{DeviceID: "d", OSType: "ios"})
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v, want %v", err, tt.wantIs)
			}
			if tt.wantStatus != 0 {
				if apiErr := asAPIError(t, err); apiErr.StatusCode != tt.wantStatus || !strings.Contains(err.Error(), "User not found") {
					t.Errorf("error %v, want an APIError saying why", err)
				}
			}
			if kore.IsRetryable(err) {
				t.Errorf("error %v is retryable", err)
			}
		})
	}
}

func TestListWithoutDevicesKey(t *testing.T) {
	srv := newPlainServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"devices":[]}`))
	}))
	_, err := plainClient(t, srv.URL).SubscribedDevices(t.Context(), user)
	if !errors.Is(err, kore.ErrMalformedResponse) || !strings.Contains(err.Error(), `"subscribedDevices"`) {
		t.Errorf("error %v, want ErrMalformedResponse naming subscribedDevices", err)
	}
}

func TestNormalizeOS(t *testing.T) {
	for in, want := range map[string]string{"android": "Android", "ANDROID": "Android", " Android ": "Android", "ios": "iOS", "IOS": "iOS", "iOS": "iOS"} {
		if got, err := kore.NormalizeOS(in); got != want || err != nil {
			t.Errorf("NormalizeOS(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "windows", "ipados", "android1"} {
		if _, err := kore.NormalizeOS(in); !errors.Is(err, kore.ErrInvalidRequest) {
			t.Errorf("NormalizeOS(%q) error = %v, want ErrInvalidRequest", in, err)
		}
	}
}

func TestUnsubscribeResultJSON(t *testing.T) {
	in := `{"success":true,"message":"Requested devices are Unsubscribed","unsubscribedDevices":[{"deviceId":"a","osType":"iOS","status":"unsubscribed"}],"invalidDeviceIds":[{"deviceId":"Prod Iphone5rs"},"bare"]}`
	var r kore.UnsubscribeResult
	if err := json.Unmarshal([]byte(in), &r); err != nil {
		t.Fatal(err)
	}
	assertEqual(t, "invalid ids", r.InvalidDeviceIDs, []string{"Prod Iphone5rs", "bare"})
	out, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want := jsonValue(t, strings.Replace(in, `,"bare"`, `,{"deviceId":"bare"}`, 1))
	assertEqual(t, "round trip", decodeBody(t, out), want)
}
