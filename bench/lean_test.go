package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// recordingCheck remembers the calls it was told about.
type recordingCheck struct {
	texts      []string
	identities [][]string
}

func (c *recordingCheck) notified(text string, ids []string, _ time.Duration) {
	c.texts = append(c.texts, text)
	c.identities = append(c.identities, append([]string(nil), ids...))
}

// TestLeanKore checks the lean fake's checks and its Kore-like answer.
func TestLeanKore(t *testing.T) {
	const path = "/api/public/bot/st-1/notify"
	good := `{"channel":"slack","userIdentityType":"resolve","message":{"type":"text","val":"hi"},"identities":["a@x.com"]}`
	many := `{"channel":"msteams","userIdentityType":"resolve","message":{"type":"text","val":"hi"},"identities":[` +
		strings.Repeat(`"a@x.com",`, 1000) + `"b@x.com"]}`
	cases := []struct {
		name, method, path, auth, body string
		want                           int
	}{
		{"good", http.MethodPost, path, "jwt", good, http.StatusOK},
		{"other bot", http.MethodPost, "/api/public/bot/st-2/notify", "jwt", good, http.StatusNotFound},
		{"GET", http.MethodGet, path, "jwt", "", http.StatusMethodNotAllowed},
		{"no auth", http.MethodPost, path, "", good, http.StatusUnauthorized},
		{"not json", http.MethodPost, path, "jwt", `{"channel":`, http.StatusBadRequest},
		{"bad channel", http.MethodPost, path, "jwt", strings.Replace(good, "slack", "email", 1), http.StatusBadRequest},
		{"no identity type", http.MethodPost, path, "jwt", strings.Replace(good, `"userIdentityType":"resolve",`, "", 1), http.StatusBadRequest},
		{"empty text", http.MethodPost, path, "jwt", strings.Replace(good, `"val":"hi"`, `"val":" "`, 1), http.StatusBadRequest},
		{"no identities", http.MethodPost, path, "jwt", strings.Replace(good, `"a@x.com"`, "", 1), http.StatusBadRequest},
		{"1001 identities", http.MethodPost, path, "jwt", many, http.StatusBadRequest},
	}
	chk := &recordingCheck{}
	stats := &callStats{}
	k := newLeanKore("st-1", newClock(0), stats, chk)
	for _, c := range cases {
		req := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
		req.Header.Set("Content-Type", "application/json")
		if c.auth != "" {
			req.Header.Set("auth", c.auth)
		}
		w := httptest.NewRecorder()
		k.ServeHTTP(w, req)
		if w.Code != c.want {
			t.Errorf("%s: status %d, want %d (%s)", c.name, w.Code, c.want, w.Body)
		}
		if c.want == http.StatusOK {
			var job struct{ ID, Status string }
			if err := json.Unmarshal(w.Body.Bytes(), &struct {
				ID     *string `json:"_id"`
				Status *string `json:"status"`
			}{&job.ID, &job.Status}); err != nil || !strings.HasPrefix(job.ID, "ds-") || job.Status != "IN_PROGRESS" {
				t.Errorf("%s: answer %s, want a job with _id ds-… and status IN_PROGRESS", c.name, w.Body)
			}
		}
	}
	if len(chk.texts) != 1 || chk.texts[0] != "hi" || len(chk.identities[0]) != 1 || chk.identities[0][0] != "a@x.com" {
		t.Errorf("checker saw %q %q, want one call to a@x.com", chk.texts, chk.identities)
	}
	if stats.calls.Load() != int64(len(cases)) || stats.notify.Load() != 1 || stats.rejected.Load() != int64(len(cases)-1) {
		t.Errorf("calls %d notify %d rejected %d", stats.calls.Load(), stats.notify.Load(), stats.rejected.Load())
	}
}

// TestBroadcastCheck checks the broadcast's bookkeeping.
func TestBroadcastCheck(t *testing.T) {
	c := newBroadcastCheck(1500)
	first := make([]string, 1000)
	for i := range first {
		first[i] = person(i)
	}
	rest := []string{}
	for i := 1000; i < 1500; i++ {
		rest = append(rest, person(i))
	}
	c.notified(broadcastText, first, time.Millisecond)
	c.notified(broadcastText, rest, 2*time.Millisecond)
	c.notified("other", []string{person(3), "p1500@example.com", "p01@example.com"}, 3*time.Millisecond)
	if c.delivered.Load() != 1500 || c.duplicates.Load() != 1 || c.unknown.Load() != 2 || c.badTexts.Load() != 1 {
		t.Errorf("delivered %d duplicates %d unknown %d bad texts %d; want 1500 1 2 1",
			c.delivered.Load(), c.duplicates.Load(), c.unknown.Load(), c.badTexts.Load())
	}
	if s := c.callSizes(); s[1000] != 1 || s[500] != 1 || s[3] != 1 {
		t.Errorf("call sizes %v", s)
	}
	if calls, full := expectedCalls(100000); calls != 100 || full != 100 {
		t.Errorf("expectedCalls(100000) = %d, %d", calls, full)
	}
}

// TestOptions checks flag defaults that depend on others, and refusals.
func TestOptions(t *testing.T) {
	o, err := parseFlags([]string{"-kill", "100", "-mode", "max"})
	if err != nil || o.Systems != sysKorelay || o.Scenarios != scenOrders {
		t.Errorf("-kill: systems %q scenarios %q err %v; want korelay, orders", o.Systems, o.Scenarios, err)
	}
	for _, args := range [][]string{
		{"-kill", "100", "-mode", "max", "-systems", "both"},
		{"-scenarios", "orders,fast"},
		{"-kore", "half"},
		{"-workers", "0"},
	} {
		if _, err := parseFlags(args); err == nil {
			t.Errorf("%q: accepted", args)
		}
	}
	o, _ = parseFlags(nil)
	if got := o.jobs(1); len(got) != 6 || got[0].system != sysReference || got[1].system != sysKorelay {
		t.Errorf("default jobs of run 1 = %v", got)
	}
	if got := o.jobs(2); got[0].system != sysKorelay {
		t.Errorf("run 2 starts with %s, want korelay (alternating)", got[0].system)
	}
}
