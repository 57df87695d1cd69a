package koretest_test

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/korelay/korelay/kore"
	"github.com/korelay/korelay/kore/koretest"
)

func TestAuthIsChecked(t *testing.T) {
	srv := koretest.Start(t)
	now := time.Now()
	withClaim := func(k string, v any) map[string]any {
		c := claimsFor(srv, "j")
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	tests := []struct {
		name, token string
		header      http.Header
		want        string
	}{
		{"missing auth", "", nil, "missing auth header"},
		{"bearer instead of auth", "", http.Header{"Authorization": {"Bearer " + srv.Token()}}, "not Authorization"},
		{"not a JWT", "abc", nil, "not a JWT"},
		{"bad signature", mint(hs256, claimsFor(srv, "j"), "other-secret"), nil, "signature does not match"},
		{"wrong appId", mint(hs256, withClaim("appId", "cs-other"), srv.ClientSecret), nil, "appId"},
		{"no appId", mint(hs256, withClaim("appId", nil), srv.ClientSecret), nil, "appId"},
		{"alg none", mint(`{"alg":"none"}`, claimsFor(srv, "j"), srv.ClientSecret), nil, `alg "none"`},
		{"no exp", mint(hs256, withClaim("exp", nil), srv.ClientSecret), nil, "iat and exp"},
		{"exp over an hour", mint(hs256, withClaim("exp", now.Add(61*time.Minute).Unix()), srv.ClientSecret), nil, "more than 1 hour"},
		{"expired", mint(hs256, map[string]any{"appId": srv.ClientID, "iat": now.Add(-time.Hour).Unix(), "exp": now.Add(-time.Minute).Unix()}, srv.ClientSecret), nil, "expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+notifyPath(srv), strings.NewReader(validNotify))
			req.Header = tt.header.Clone()
			if req.Header == nil {
				req.Header = http.Header{}
			}
			req.Header.Set("Content-Type", "application/json")
			if tt.token != "" {
				req.Header.Set("auth", tt.token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			calls := srv.Calls()
			last := calls[len(calls)-1]
			if resp.StatusCode != http.StatusUnauthorized || last.Status != 401 || !strings.Contains(last.Error, tt.want) {
				t.Errorf("answered %d %q, want 401 saying %q", resp.StatusCode, last.Error, tt.want)
			}
			if tt.token != "" && strings.Contains(last.Error, tt.token) {
				t.Error("the error quotes the token")
			}
		})
	}
	if n := len(srv.NotifyCalls()); n != 0 {
		t.Errorf("%d notify calls accepted", n)
	}
	a := send(t, srv, http.MethodPost, notifyPath(srv), "", validNotify)
	if a.errCode() != 4002 || a.errMsg() != "missing auth header" {
		t.Errorf("401 body = %v, want Kore's errors body with code 4002", a.body)
	}
}

func TestJTI(t *testing.T) {
	t.Run("enforced", func(t *testing.T) {
		srv := koretest.Start(t, koretest.WithEnforceJTI(true))
		tok := mint(hs256, claimsFor(srv, "jti-1"), srv.ClientSecret)
		for i, want := range []int{200, 401} {
			if a := send(t, srv, http.MethodPost, notifyPath(srv), tok, validNotify); a.status != want {
				t.Errorf("use %d: %d %q, want %d", i, a.status, a.errMsg(), want)
			}
		}
		if msg := srv.Calls()[1].Error; !strings.Contains(msg, "replay") {
			t.Errorf("reuse refused with %q, want a replay", msg)
		}
		noJTI := claimsFor(srv, "")
		if a := send(t, srv, http.MethodPost, notifyPath(srv), mint(hs256, noJTI, srv.ClientSecret), validNotify); a.status != 401 {
			t.Errorf("token without jti: %d, want 401", a.status)
		}
	})
	t.Run("not enforced", func(t *testing.T) {
		srv := koretest.Start(t)
		tok := mint(hs256, claimsFor(srv, ""), srv.ClientSecret)
		for i := range 2 {
			if a := send(t, srv, http.MethodPost, notifyPath(srv), tok, validNotify); a.status != 200 {
				t.Errorf("use %d: %d %q, want 200", i, a.status, a.errMsg())
			}
		}
	})
}

func TestNotifyBodyIsChecked(t *testing.T) {
	ids := func(n int) string {
		q := make([]string, n)
		for i := range q {
			q[i] = fmt.Sprintf("%q", fmt.Sprintf("u%d@x.io", i))
		}
		return "[" + strings.Join(q, ",") + "]"
	}
	body := func(channel, identityType, msgType, val, identities string) string {
		return fmt.Sprintf(`{"channel":%q,"userIdentityType":%q,"message":{"type":%q,"val":%q},"identities":%s}`, channel, identityType, msgType, val, identities)
	}
	tests := []struct{ name, body, want string }{
		{"unknown channel", body("teams", "resolve", "text", "hi", `["a"]`), "channel"},
		{"identity type", body("slack", "direct", "text", "hi", `["a"]`), "userIdentityType"},
		{"message type", body("slack", "resolve", "html", "hi", `["a"]`), "message.type"},
		{"empty val", body("slack", "resolve", "text", "", `["a"]`), "message.val"},
		{"no identities", body("slack", "resolve", "text", "hi", `[]`), "at least one identity"},
		{"1001 identities", body("slack", "resolve", "text", "hi", ids(1001)), "maximum of 1000"},
		{"empty identity", body("slack", "resolve", "text", "hi", `["a",""]`), "identities[1]"},
		{"numeric identity", body("slack", "resolve", "text", "hi", `["a",1]`), "invalid body"},
		{"missing message", `{"channel":"slack","userIdentityType":"resolve","identities":["a"]}`, "message is required"},
		{"unknown field", `{"channel":"slack","userIdentityType":"resolve","message":{"type":"text","val":"x"},"identities":["a"],"priority":1}`, "unknown field"},
		{"trailing data", validNotify + `{}`, "trailing"},
		{"not JSON", `channel=slack`, "invalid body"},
	}
	srv := koretest.Start(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := send(t, srv, http.MethodPost, notifyPath(srv), srv.Token(), tt.body)
			if a.status != 400 || !strings.Contains(strings.Join(errorMsgs(a), "; "), tt.want) {
				t.Errorf("answered %d %v, want 400 mentioning %q", a.status, a.body, tt.want)
			}
		})
	}
	if n := len(srv.NotifyCalls()); n != 0 {
		t.Errorf("%d invalid notify calls accepted", n)
	}
	if a := sendWith(t, srv, http.MethodPost, notifyPath(srv), srv.Token(), validNotify, "text/plain"); a.status != 415 {
		t.Errorf("text/plain body: %d, want 415", a.status)
	}
	if a := sendWith(t, srv, http.MethodPost, notifyPath(srv), srv.Token(), validNotify, "application/json; charset=utf-8"); a.status != 200 {
		t.Errorf("JSON with charset: %d %v, want 200", a.status, a.body)
	}
}

// errorMsgs returns every errors[].msg of an answer.
func errorMsgs(a answer) []string {
	var out []string
	errs, _ := a.body["errors"].([]any)
	for _, e := range errs {
		m, _ := e.(map[string]any)
		s, _ := m["msg"].(string)
		out = append(out, s)
	}
	return out
}

func TestNotifyAnswersTheDocumentedJob(t *testing.T) {
	srv := koretest.Start(t)
	a := send(t, srv, http.MethodPost, notifyPath(srv), srv.Token(), validNotify)
	if a.status != 200 {
		t.Fatalf("answered %d %v", a.status, a.body)
	}
	var keys []string
	for k := range a.body {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"__v", "_id", "action", "createdBy", "createdOn", "jobType", "lMod", "percentageComplete", "requestedTime", "status", "statusLogs", "streamId"}
	if !slices.Equal(keys, want) {
		t.Errorf("job keys %v, want %v", keys, want)
	}
	id, _ := a.body["_id"].(string)
	if !strings.HasPrefix(id, "ds-") || a.body["status"] != "IN_PROGRESS" || a.body["streamId"] != srv.BotID ||
		a.body["jobType"] != "PROACTIVE_NOTIFICATIONS_API" || a.body["action"] != "PROACTIVE_NOTIFICATIONS" {
		t.Errorf("job %v is not the documented IN_PROGRESS job", a.body)
	}
	if logs, ok := a.body["statusLogs"].([]any); !ok || len(logs) != 0 {
		t.Errorf("statusLogs = %#v, want []", a.body["statusLogs"])
	}
	call := srv.NotifyCalls()[0]
	if call.Notify == nil || call.Notify.Channel != "msteams" || !slices.Equal(call.Notify.Identities, []string{"john@kore.com"}) {
		t.Errorf("recorded notify = %+v", call.Notify)
	}
	missing := send(t, srv, http.MethodGet, notifyPath(srv)+"/status/ds-nope", srv.Token(), "")
	if missing.status != 404 || !strings.Contains(missing.errMsg(), "ds-nope") {
		t.Errorf("unknown job: %d %v, want 404", missing.status, missing.body)
	}
}

func TestRouting(t *testing.T) {
	srv := koretest.Start(t)
	tests := []struct {
		method, path string
		status       int
		allow        string
	}{
		{http.MethodPost, "/api/public/bot/st-other/notify", 404, ""},
		{http.MethodPost, "/api/public/bots/" + srv.BotID + "/notify", 404, ""},
		{http.MethodGet, notifyPath(srv), 405, "POST"},
		{http.MethodPost, notifyPath(srv) + "/status/ds-1", 405, "GET"},
		{http.MethodGet, notifyPath(srv) + "/status/", 404, ""},
		{http.MethodPost, devicePath(srv, "/sdknotifications/unsubscribe"), 405, "DELETE"},
	}
	for _, tt := range tests {
		a := send(t, srv, tt.method, tt.path, srv.Token(), "")
		if a.status != tt.status || a.header.Get("Allow") != tt.allow || a.errMsg() == "" {
			t.Errorf("%s %s: %d (Allow %q) %v, want %d (Allow %q) with an errors body", tt.method, tt.path, a.status, a.header.Get("Allow"), a.body, tt.status, tt.allow)
		}
	}
	calls := srv.Calls()
	if calls[0].Endpoint != "" || calls[2].Endpoint != kore.EndpointNotify || calls[2].Accepted() {
		t.Errorf("recorded endpoints %q and %q", calls[0].Endpoint, calls[2].Endpoint)
	}
}

func TestDeviceBodiesAreChecked(t *testing.T) {
	srv := koretest.Start(t)
	sub, unsub := devicePath(srv, "/sdknotifications/subscribe"), devicePath(srv, "/sdknotifications/unsubscribe")
	tests := []struct{ name, method, path, body, want string }{
		{"lowercase os", http.MethodPost, sub, `{"deviceId":"d","osType":"android","userId":"u-1"}`, "osType"},
		{"no os", http.MethodPost, sub, `{"deviceId":"d","userId":"u-1"}`, "osType"},
		{"no device", http.MethodPost, sub, `{"osType":"iOS","userId":"u-1"}`, "deviceId"},
		{"no user", http.MethodPost, sub, `{"deviceId":"d","osType":"iOS"}`, "userId"},
		{"list without uId", http.MethodGet, devicePath(srv, "/subscribeddevices"), "", "uId"},
		{"both forms", http.MethodDelete, unsub, `{"devices":[{"deviceId":"d","osType":"iOS"}],"unsubscribe":"all","userId":"u-1"}`, "not both"},
		{"neither form", http.MethodDelete, unsub, `{"userId":"u-1"}`, "required"},
		{"unsubscribe some", http.MethodDelete, unsub, `{"unsubscribe":"some","userId":"u-1"}`, `must be "all"`},
		{"empty devices", http.MethodDelete, unsub, `{"devices":[],"userId":"u-1"}`, "at least one device"},
		{"device without os", http.MethodDelete, unsub, `{"devices":[{"deviceId":"d"}],"userId":"u-1"}`, "devices[0].osType"},
	}
	for _, tt := range tests {
		a := send(t, srv, tt.method, tt.path, srv.Token(), tt.body)
		if a.status != 400 || !strings.Contains(strings.Join(errorMsgs(a), "; "), tt.want) {
			t.Errorf("%s: %d %v, want 400 mentioning %q", tt.name, a.status, a.body, tt.want)
		}
	}
}

func TestRollingWindows(t *testing.T) {
	clock := &fakeClock{now: time.Now()}
	srv := koretest.Start(t, koretest.WithClock(clock.Now), koretest.WithLimits(3, 5), koretest.WithWindows(time.Minute, 10*time.Minute))
	c := client(t, srv)
	notify := func() error {
		_, err := c.Notify(t.Context(), kore.NotifyRequest{Channel: kore.ChannelSlack, Message: kore.Message{Type: kore.MessageText, Val: "x"}, Identities: []string{"a"}})
		return err
	}
	steps := []struct {
		advance time.Duration
		ok      bool
		wait    time.Duration // Retry-After when refused
	}{
		{0, true, 0}, {0, true, 0}, {0, true, 0}, // minute full
		{0, false, 60 * time.Second},
		{30 * time.Second, false, 30 * time.Second},
		{30 * time.Second, true, 0},             // the first three left the minute window
		{time.Second, true, 0},                  // 5 in the hour window
		{time.Minute, false, 479 * time.Second}, // until the first call leaves the hour window
		{8 * time.Minute, true, 0},
	}
	for i, st := range steps {
		clock.Advance(st.advance)
		err := notify()
		if (err == nil) != st.ok {
			t.Fatalf("step %d: err = %v, want ok=%v", i, err, st.ok)
		}
		if st.ok {
			continue
		}
		wait, _ := kore.RetryAfter(err)
		if !kore.IsRetryable(err) || wait != st.wait || !strings.Contains(err.Error(), koretest.RateLimitMessage) {
			t.Errorf("step %d: %v (Retry-After %v), want a retryable rate limit after %v", i, err, wait, st.wait)
		}
	}
	if got := srv.MaxInWindow(time.Minute); got != 5 {
		t.Errorf("MaxInWindow(1m) = %d, want 5 (3 admitted + 2 refused)", got)
	}
	if n := len(srv.NotifyCalls()); n != 6 {
		t.Errorf("%d accepted notify calls, want 6", n)
	}
	if _, err := c.SubscribedDevices(t.Context(), "u-1"); err != nil {
		t.Errorf("device APIs are not rate limited: %v", err)
	}
}

func TestStatusCallsCountTowardTheLimit(t *testing.T) {
	srv := koretest.Start(t, koretest.WithLimits(2, 0))
	c := client(t, srv)
	job, err := c.Notify(t.Context(), kore.NotifyRequest{Channel: kore.ChannelSlack, Message: kore.Message{Type: kore.MessageText, Val: "x"}, Identities: []string{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.NotifyStatus(t.Context(), job.ID); err != nil {
		t.Fatal(err)
	}
	_, err = c.NotifyStatus(t.Context(), job.ID)
	var apiErr *kore.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 429 {
		t.Errorf("third call: %v, want 429", err)
	}
}

func TestJobOutcomes(t *testing.T) {
	srv := koretest.Start(t)
	srv.SetUnknownIdentities("ghost@x.io")
	c := client(t, srv)
	job, err := c.Notify(t.Context(), kore.NotifyRequest{Channel: kore.ChannelMSTeams, Message: kore.Message{Type: kore.MessageText, Val: "x"}, Identities: []string{"ann@x.io", "ghost@x.io"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.NotifyStatus(t.Context(), job.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []kore.StatusLog{
		{OriginalID: "ann@x.io", Status: "SUCCESS", Channel: "msteams", ChannelID: got.StatusLogs[0].ChannelID, KoreID: got.StatusLogs[0].KoreID},
		{OriginalID: "ghost@x.io", Status: "FAILURE", Comments: koretest.NotAssociated, Channel: "msteams"},
	}
	if got.Status != kore.JobPartialSuccess || got.PercentageComplete != 100 || !slices.Equal(got.StatusLogs, want) || got.StatusLogs[0].KoreID == "" {
		t.Errorf("job = %+v, want PARTIAL_SUCCESS with logs %+v", got, want)
	}
}

func TestFailNext(t *testing.T) {
	srv := koretest.Start(t)
	c := client(t, srv)
	srv.FailNext(1, koretest.Failure{Endpoint: koretest.EndpointDevices, Status: 503})
	srv.FailNext(2, koretest.Failure{Status: 500, Body: `{"errors":[{"message":"boom","code":"E1"}]}`})
	srv.FailNext(1, koretest.Failure{Endpoint: kore.EndpointNotify, Delay: 20 * time.Millisecond})
	notify := func() error {
		_, err := c.Notify(t.Context(), kore.NotifyRequest{Channel: kore.ChannelSlack, Message: kore.Message{Type: kore.MessageText, Val: "x"}, Identities: []string{"a"}})
		return err
	}
	statusOf := func(err error) int {
		var apiErr *kore.APIError
		if errors.As(err, &apiErr) {
			return apiErr.StatusCode
		}
		if err != nil {
			return -1
		}
		return 200
	}
	if got := statusOf(notify()); got != 500 {
		t.Errorf("first notify: %d, want the queued 500 (the 503 is for devices)", got)
	}
	_, err := c.SubscribedDevices(t.Context(), "u-1")
	if got := statusOf(err); got != 503 {
		t.Errorf("device call: %d, want 503", got)
	}
	if err := notify(); statusOf(err) != 500 || !strings.Contains(err.Error(), "(code E1): boom") {
		t.Errorf("second notify: %v, want the custom 500 body", err)
	}
	start := time.Now()
	if err := notify(); err != nil || time.Since(start) < 20*time.Millisecond {
		t.Errorf("delayed notify: %v after %v, want success after 20ms", err, time.Since(start))
	}
	if err := notify(); err != nil {
		t.Errorf("queue should be empty: %v", err)
	}
}

func TestCallsAreCopiesAndResetClears(t *testing.T) {
	srv := koretest.Start(t)
	c := client(t, srv)
	if _, err := c.Notify(t.Context(), kore.NotifyRequest{Channel: kore.ChannelSlack, Message: kore.Message{Type: kore.MessageText, Val: "x"}, Identities: []string{"a"}}); err != nil {
		t.Fatal(err)
	}
	calls := srv.Calls()
	calls[0].Body[0] = 'X'
	calls[0].Notify.Identities[0] = "changed"
	calls[0].Header.Set("auth", "changed")
	again := srv.Calls()[0]
	if again.Body[0] != '{' || again.Notify.Identities[0] != "a" || again.Header.Get("auth") == "changed" {
		t.Error("Calls returned shared slices or maps")
	}
	srv.FailNext(1, koretest.Failure{Status: 500})
	srv.Reset()
	if len(srv.Calls()) != 0 {
		t.Error("Reset kept calls")
	}
	if _, err := c.Notify(t.Context(), kore.NotifyRequest{Channel: kore.ChannelSlack, Message: kore.Message{Type: kore.MessageText, Val: "x"}, Identities: []string{"a"}}); err != nil {
		t.Errorf("Reset kept a queued failure: %v", err)
	}
}

func TestConcurrentClients(t *testing.T) {
	srv := koretest.Start(t, koretest.WithEnforceJTI(true))
	c := client(t, srv)
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			id := fmt.Sprintf("u%d@x.io", i)
			job, err := c.Notify(t.Context(), kore.NotifyRequest{Channel: kore.ChannelSlack, Message: kore.Message{Type: kore.MessageText, Val: "x"}, Identities: []string{id}})
			if err == nil {
				_, err = c.NotifyStatus(t.Context(), job.ID)
			}
			if err == nil {
				_, err = c.SubscribeDevice(t.Context(), "u-1", kore.Device{DeviceID: id, OSType: kore.OSiOS})
			}
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n, d := len(srv.NotifyCalls()), len(srv.Devices("u-1")); n != 40 || d != 40 {
		t.Errorf("%d notify calls and %d devices, want 40 each", n, d)
	}
}

func TestInvalidOptionsPanic(t *testing.T) {
	for name, opt := range map[string]koretest.Option{
		"limits":  koretest.WithLimits(-1, 0),
		"windows": koretest.WithWindows(0, time.Hour),
		"bot":     koretest.WithBotID(""),
		"clock":   koretest.WithClock(nil),
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.HasPrefix(fmt.Sprint(r), "koretest: With") {
					t.Errorf("%s: recovered %v, want a koretest panic naming the option", name, r)
				}
			}()
			koretest.NewServer(opt).Close()
		}()
	}
}

func TestSetDevicesAndDeviceCalls(t *testing.T) {
	srv := koretest.Start(t)
	c := client(t, srv)
	srv.SetDevices("u-1", kore.Device{DeviceID: "d-1", OSType: kore.OSAndroid}, kore.Device{DeviceID: "d-2", OSType: kore.OSiOS})
	listed, err := c.SubscribedDevices(t.Context(), "u-1")
	if err != nil || len(listed) != 2 || listed[1].Status != "Subscribed" {
		t.Fatalf("SubscribedDevices = %+v, %v", listed, err)
	}
	if _, err := c.UnsubscribeAllDevices(t.Context(), "u-1"); err != nil {
		t.Fatal(err)
	}
	if got := srv.Devices("u-1"); len(got) != 0 {
		t.Errorf("devices after unsubscribe all: %v", got)
	}
	calls := srv.DeviceCalls()
	if len(calls) != 2 || calls[0].Endpoint != kore.EndpointSubscribedDevices || calls[1].Endpoint != kore.EndpointUnsubscribe {
		t.Errorf("DeviceCalls = %d calls, want list then unsubscribe", len(calls))
	}
	srv.SetDevices("u-2", kore.Device{DeviceID: "d", OSType: kore.OSiOS})
	srv.SetDevices("u-2")
	if got := srv.Devices("u-2"); got != nil {
		t.Errorf("SetDevices with none left %v", got)
	}
}
