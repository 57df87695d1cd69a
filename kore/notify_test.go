package kore_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/korelay/korelay/kore"
	"github.com/korelay/korelay/kore/koretest"
)

func TestNotifySendsTheDocumentedRequest(t *testing.T) {
	tests := []struct {
		name     string
		req      kore.NotifyRequest
		wantBody string
	}{
		{
			name:     "teams text",
			req:      kore.NotifyRequest{Channel: kore.ChannelMSTeams, Message: kore.Message{Type: kore.MessageText, Val: "Please reset your password."}, Identities: []string{"john.doe@example.com"}},
			wantBody: `{"channel":"msteams","userIdentityType":"resolve","message":{"type":"text","val":"Please reset your password."},"identities":["john.doe@example.com"]}`,
		},
		{
			name:     "slack script",
			req:      kore.NotifyRequest{Channel: kore.ChannelSlack, Message: kore.Message{Type: kore.MessageScript, Val: "print('hi')"}, Identities: []string{"a@x.io", "b@x.io"}},
			wantBody: `{"channel":"slack","userIdentityType":"resolve","message":{"type":"script","val":"print('hi')"},"identities":["a@x.io","b@x.io"]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := koretest.Start(t)
			c := newClient(t, srv, kore.WithBotLanguage("de"), kore.WithUserAgent("korelay-test/1"))
			before := time.Now().Unix()
			job, err := c.Notify(t.Context(), tt.req)
			if err != nil {
				t.Fatalf("Notify: %v", err)
			}
			if job.Status != kore.JobInProgress || !strings.HasPrefix(job.ID, "ds-") || job.StreamID != srv.BotID ||
				job.JobType != "PROACTIVE_NOTIFICATIONS_API" || job.CreatedOn.IsZero() || job.Done() {
				t.Errorf("job = %+v, want an IN_PROGRESS ds- job of the bot", job)
			}
			call := onlyCall(t, srv)
			assertEqual(t, "method", call.Method, http.MethodPost)
			assertEqual(t, "path", call.Path, "/api/public/bot/"+srv.BotID+"/notify")
			assertEqual(t, "body", decodeBody(t, call.Body), jsonValue(t, tt.wantBody))
			for k, want := range map[string]string{
				"Content-Type": "application/json", "Accept": "application/json",
				"User-Agent": "korelay-test/1", "Bot-Language": "de", "Authorization": "",
			} {
				assertEqual(t, "header "+k, call.Header.Get(k), want)
			}
			header, claims := jwtClaims(t, call.Header.Get("auth"), srv.ClientSecret)
			assertEqual(t, "alg", header["alg"], "HS256")
			assertEqual(t, "appId", claims["appId"], srv.ClientID)
			assertEqual(t, "sub", claims["sub"], "korelay")
			iat, exp := claims["iat"].(float64), claims["exp"].(float64)
			if int64(iat) < before-1 || int64(iat) > time.Now().Unix()+1 {
				t.Errorf("iat %v is not now", iat)
			}
			if life := exp - iat; life <= 0 || life > 3600 {
				t.Errorf("exp - iat = %vs, want (0, 3600]", life)
			}
			if jti, _ := claims["jti"].(string); jti == "" {
				t.Error("token has no jti")
			}
		})
	}
}

func TestTokenReusedUnlessJTIEnforced(t *testing.T) {
	for _, enforce := range []bool{false, true} {
		t.Run(fmt.Sprintf("enforce=%v", enforce), func(t *testing.T) {
			srv := koretest.Start(t, koretest.WithEnforceJTI(enforce))
			c := newClient(t, srv)
			for range 3 {
				if _, err := c.Notify(t.Context(), textTo("a@x.io")); err != nil {
					t.Fatalf("Notify: %v", err)
				}
			}
			tokens, jtis := map[string]bool{}, map[string]bool{}
			for _, call := range srv.Calls() {
				tok := call.Header.Get("auth")
				_, claims := jwtClaims(t, tok, srv.ClientSecret)
				tokens[tok], jtis[claims["jti"].(string)] = true, true
			}
			want := 1
			if enforce {
				want = 3
			}
			if len(tokens) != want || len(jtis) != want {
				t.Errorf("3 calls used %d tokens and %d jtis, want %d", len(tokens), len(jtis), want)
			}
		})
	}
}

func TestFixedTokenIsSentAsIs(t *testing.T) {
	srv := koretest.Start(t)
	tok := srv.Token()
	c, err := kore.New(kore.WithBaseURL(srv.URL), kore.WithBotID(srv.BotID), kore.WithToken(tok))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Notify(t.Context(), textTo("a@x.io")); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	assertEqual(t, "auth header", onlyCall(t, srv).Header.Get("auth"), tok)
}

func TestNotifyRefusesInvalidRequestsWithoutCalling(t *testing.T) {
	ids := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("user%d@x.io", i)
		}
		return out
	}
	text := kore.Message{Type: kore.MessageText, Val: "hi"}
	tests := []struct {
		name string
		req  kore.NotifyRequest
		want string
	}{
		{"1001 identities", kore.NotifyRequest{Channel: kore.ChannelSlack, Message: text, Identities: ids(1001)}, "at most 1000"},
		{"no identities", kore.NotifyRequest{Channel: kore.ChannelSlack, Message: text}, "no identities"},
		{"empty identity", kore.NotifyRequest{Channel: kore.ChannelSlack, Message: text, Identities: []string{"a@x.io", " "}}, "identity 1 is empty"},
		{"unknown channel", kore.NotifyRequest{Channel: "teams", Message: text, Identities: ids(1)}, `channel "teams"`},
		{"unknown message type", kore.NotifyRequest{Channel: kore.ChannelSlack, Message: kore.Message{Type: "html", Val: "x"}, Identities: ids(1)}, `message type "html"`},
		{"empty message", kore.NotifyRequest{Channel: kore.ChannelSlack, Message: kore.Message{Type: kore.MessageText}, Identities: ids(1)}, "message val is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := koretest.Start(t)
			_, err := newClient(t, srv).Notify(t.Context(), tt.req)
			if !errors.Is(err, kore.ErrInvalidRequest) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Notify error = %v, want ErrInvalidRequest mentioning %q", err, tt.want)
			}
			if kore.IsRetryable(err) {
				t.Error("an invalid request is retryable")
			}
			if n := len(srv.Calls()); n != 0 {
				t.Errorf("server got %d calls, want none", n)
			}
		})
	}
	t.Run("1000 identities are sent whole", func(t *testing.T) {
		srv := koretest.Start(t)
		if _, err := newClient(t, srv).Notify(t.Context(), kore.NotifyRequest{Channel: kore.ChannelSlack, Message: text, Identities: ids(1000)}); err != nil {
			t.Fatalf("Notify: %v", err)
		}
		if got := len(srv.NotifyCalls()[0].Notify.Identities); got != 1000 {
			t.Errorf("server got %d identities, want 1000", got)
		}
	})
}

func TestNotifyStatusReportsPerIdentity(t *testing.T) {
	tests := []struct {
		name    string
		unknown []string
		want    string
	}{
		{"all known", nil, kore.JobSuccess},
		{"some unknown", []string{"b@x.io"}, kore.JobPartialSuccess},
		{"all unknown", []string{"a@x.io", "b@x.io"}, kore.JobFailure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := koretest.Start(t)
			srv.SetUnknownIdentities(tt.unknown...)
			c := newClient(t, srv)
			job, err := c.Notify(t.Context(), textTo("a@x.io", "b@x.io"))
			if err != nil {
				t.Fatalf("Notify: %v", err)
			}
			got, err := c.NotifyStatus(t.Context(), job.ID)
			if err != nil {
				t.Fatalf("NotifyStatus: %v", err)
			}
			if got.ID != job.ID || got.Status != tt.want || !got.Done() || len(got.StatusLogs) != 2 {
				t.Fatalf("status = %+v, want %s with 2 logs", got, tt.want)
			}
			unknown := map[string]bool{}
			for _, id := range tt.unknown {
				unknown[id] = true
			}
			for _, log := range got.StatusLogs {
				switch failed := unknown[log.OriginalID]; {
				case failed && (log.Status != kore.JobFailure || log.Comments != "Identity is not associated with the channel"):
					t.Errorf("log %+v, want a FAILURE not associated with the channel", log)
				case !failed && (log.Status != kore.JobSuccess || log.KoreID == "" || log.ChannelID == ""):
					t.Errorf("log %+v, want a SUCCESS with koreId and channelId", log)
				}
			}
			call := srv.Calls()[1]
			assertEqual(t, "status call", call.Method+" "+call.Path, "GET /api/public/bot/"+srv.BotID+"/notify/status/"+job.ID)
			assertEqual(t, "status body", len(call.Body), 0)
		})
	}
}

func TestNotifyStatusInProgressThenDone(t *testing.T) {
	srv := koretest.Start(t, koretest.WithCompleteAfter(1))
	c := newClient(t, srv)
	job, err := c.Notify(t.Context(), textTo("a@x.io"))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{kore.JobInProgress, kore.JobSuccess} {
		got, err := c.NotifyStatus(t.Context(), job.ID)
		if err != nil || got.Status != want {
			t.Fatalf("poll %d: %+v, %v; want %s", i, got, err, want)
		}
	}
}

func TestNotifyStatusErrors(t *testing.T) {
	srv := koretest.Start(t)
	c := newClient(t, srv)
	_, err := c.NotifyStatus(t.Context(), "ds-unknown")
	if apiErr := asAPIError(t, err); apiErr.StatusCode != http.StatusNotFound || apiErr.Endpoint != kore.EndpointNotifyStatus || kore.IsRetryable(err) {
		t.Errorf("unknown job: %v, want a permanent 404 from notify_status", err)
	}
	for _, id := range []string{"", "ds-1/../x"} {
		if _, err := c.NotifyStatus(t.Context(), id); !errors.Is(err, kore.ErrInvalidRequest) {
			t.Errorf("job id %q: %v, want ErrInvalidRequest", id, err)
		}
	}
	if n := len(srv.Calls()); n != 1 {
		t.Errorf("server got %d calls, want 1", n)
	}
}

// textTo is a text notification to ids on Slack.
func textTo(ids ...string) kore.NotifyRequest {
	return kore.NotifyRequest{Channel: kore.ChannelSlack, Message: kore.Message{Type: kore.MessageText, Val: "hello"}, Identities: ids}
}
