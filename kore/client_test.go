package kore_test

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/korelay/korelay/kore"
)

func TestNewValidatesOptions(t *testing.T) {
	base := kore.WithBaseURL("https://platform.kore.ai")
	bot := kore.WithBotID("st-1")
	creds := kore.WithCredentials("cs-1", "s3cr3t-value")
	tests := []struct {
		name string
		opts []kore.Option
		want []string // substrings of the error; none means success
	}{
		{"minimal", []kore.Option{base, bot, creds}, nil},
		{"fixed token", []kore.Option{base, bot, kore.WithToken("a.b.c")}, nil},
		{"everything", []kore.Option{base, bot, creds, kore.WithEnforceJTI(true), kore.WithHTTPClient(&http.Client{}),
			kore.WithTimeout(time.Second), kore.WithBotLanguage("de"), kore.WithDevicePathPrefix("/API/public/stream/{id}/"),
			kore.WithUserAgent("test/1")}, nil},
		{"nothing", nil, []string{"WithBaseURL is required", "WithBotID is required", "WithCredentials or WithToken is required"}},
		{"relative base", []kore.Option{kore.WithBaseURL("platform.kore.ai"), bot, creds}, []string{"WithBaseURL:"}},
		{"base with query", []kore.Option{kore.WithBaseURL("https://h/?x=1"), bot, creds}, []string{"WithBaseURL:"}},
		{"ftp base", []kore.Option{kore.WithBaseURL("ftp://h"), bot, creds}, []string{"WithBaseURL:"}},
		{"empty bot", []kore.Option{base, kore.WithBotID(" "), creds}, []string{"WithBotID:"}},
		{"bot with slash", []kore.Option{base, kore.WithBotID("st/1"), creds}, []string{"WithBotID:"}},
		{"empty secret", []kore.Option{base, bot, kore.WithCredentials("cs-1", "")}, []string{"WithCredentials: client secret is empty"}},
		{"empty client id", []kore.Option{base, bot, kore.WithCredentials("", "x")}, []string{"WithCredentials: client id is empty"}},
		{"empty token", []kore.Option{base, bot, kore.WithToken("")}, []string{"WithToken:"}},
		{"both auths", []kore.Option{base, bot, creds, kore.WithToken("a.b.c")}, []string{"exclude each other"}},
		{"fixed token with jti", []kore.Option{base, bot, kore.WithToken("a.b.c"), kore.WithEnforceJTI(true)}, []string{"WithEnforceJTI(true) needs WithCredentials"}},
		{"nil http client", []kore.Option{base, bot, creds, kore.WithHTTPClient(nil)}, []string{"WithHTTPClient:"}},
		{"negative timeout", []kore.Option{base, bot, creds, kore.WithTimeout(-time.Second)}, []string{"WithTimeout:"}},
		{"bad language", []kore.Option{base, bot, creds, kore.WithBotLanguage("de\r\nx: y")}, []string{"WithBotLanguage:"}},
		{"bad prefix", []kore.Option{base, bot, creds, kore.WithDevicePathPrefix("api/{id}")}, []string{"WithDevicePathPrefix:"}},
		{"bad user agent", []kore.Option{base, bot, creds, kore.WithUserAgent("")}, []string{"WithUserAgent:"}},
		{"nil option", []kore.Option{base, bot, creds, nil}, []string{"option 3 is nil"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := kore.New(tt.opts...)
			if len(tt.want) == 0 {
				if err != nil || c == nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("New succeeded, want an error mentioning %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "s3cr3t-value") {
				t.Errorf("error %q contains the secret", err)
			}
		})
	}
}

func TestClientDoesNotFollowRedirects(t *testing.T) {
	var hits int
	target := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		if r.Header.Get("auth") != "" {
			t.Error("the auth header followed the redirect")
		}
	})
	other := newPlainServer(t, target)
	srv := newPlainServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/steal", http.StatusTemporaryRedirect)
	}))
	c := plainClient(t, srv.URL)
	_, err := c.NotifyStatus(t.Context(), "ds-1")
	apiErr := asAPIError(t, err)
	if apiErr.StatusCode != http.StatusTemporaryRedirect || kore.IsRetryable(err) {
		t.Errorf("got %v (retryable %v), want a permanent 307 APIError", err, kore.IsRetryable(err))
	}
	if hits != 0 {
		t.Errorf("redirect target was called %d times", hits)
	}
}

// TestNetworkErrorsReadAlikeWithAndWithoutHTTPClient: a call that cannot
// reach Kore fails the same way, retryably and naming the method and URL,
// whether the client sends through its transport directly (the default)
// or through a caller's http.Client with a timeout of its own; neither
// follows a redirect.
func TestNetworkErrorsReadAlikeWithAndWithoutHTTPClient(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	redirect := newPlainServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://elsewhere.example/", http.StatusTemporaryRedirect)
	}))
	for name, opts := range map[string][]kore.Option{
		"default":     nil,
		"http client": {kore.WithHTTPClient(&http.Client{Timeout: time.Minute})},
	} {
		t.Run(name, func(t *testing.T) {
			req := kore.NotifyRequest{Channel: kore.ChannelSlack, Message: kore.Message{Type: kore.MessageText, Val: "hi"},
				Identities: []string{"ann@example.com"}}
			_, err := plainClient(t, closed, opts...).Notify(context.Background(), req)
			want := `Post "` + closed + `/api/public/bot/st-plain/notify"`
			if err == nil || !strings.Contains(err.Error(), want) || !kore.IsRetryable(err) {
				t.Errorf("unreachable Kore: %v; want a retryable error naming %s", err, want)
			}
			_, err = plainClient(t, redirect.URL, opts...).Notify(context.Background(), req)
			if apiErr := asAPIError(t, err); apiErr.StatusCode != http.StatusTemporaryRedirect {
				t.Errorf("a redirect: %v; want the 307 as an APIError", err)
			}
		})
	}
}

// bodylessTransport answers every request 200 with no body and no error,
// as a careless RoundTripper of a caller's might.
type bodylessTransport struct{ resp bool }

func (t bodylessTransport) RoundTrip(*http.Request) (*http.Response, error) {
	if !t.resp {
		return nil, nil
	}
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}}, nil
}

// TestCallerTransportsWithoutBodyOrResponse: a caller's RoundTripper that
// returns no body, or no response at all, yields an error, not a panic.
func TestCallerTransportsWithoutBodyOrResponse(t *testing.T) {
	req := kore.NotifyRequest{Channel: kore.ChannelSlack, Message: kore.Message{Type: kore.MessageText, Val: "hi"},
		Identities: []string{"ann@example.com"}}
	for name, rt := range map[string]http.RoundTripper{"no body": bodylessTransport{resp: true}, "no response": bodylessTransport{}} {
		t.Run(name, func(t *testing.T) {
			c := plainClient(t, "http://127.0.0.1:1", kore.WithHTTPClient(&http.Client{Transport: rt}))
			if _, err := c.Notify(context.Background(), req); err == nil {
				t.Fatal("Notify succeeded without an answer to decode")
			}
		})
	}
}
