package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// errPermanent marks a Kore answer that retrying cannot fix (4xx but 429).
var errPermanent = errors.New("permanent")

// notifier holds what every worker shares: the endpoint, the token and
// one keep-alive connection pool.
type notifier struct {
	url    string
	token  string
	client *http.Client
	ledger *ledger // nil: no ledger (-ledger "")
}

// newNotifier mints the JWT once and sizes the connection pool to the workers.
func newNotifier(o options) (*notifier, error) {
	token, err := mint(o.ClientID, o.Secret, time.Now())
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{
		MaxIdleConns:        o.Workers,
		MaxIdleConnsPerHost: o.Workers,
		IdleConnTimeout:     90 * time.Second,
	}
	return &notifier{
		url:    o.KoreURL + "/api/public/bot/" + url.PathEscape(o.BotID) + "/notify",
		token:  token,
		client: &http.Client{Transport: tr, Timeout: o.HTTPTimeout},
	}, nil
}

// mint signs an HS256 token with Kore's claims, valid for 55 minutes
// (Kore refuses more than an hour).
func mint(clientID, secret string, now time.Time) (string, error) {
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"appId": clientID,
		"sub":   "reference",
		"iat":   now.Unix(),
		"exp":   now.Add(55 * time.Minute).Unix(),
	})
	s, err := tok.SignedString([]byte(secret))
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return s, nil
}

// worker is one worker's reusable request buffer and, with a ledger, the
// queue of its events awaiting their entry.
type worker struct {
	n       *notifier
	buf     bytes.Buffer
	enc     *json.Encoder
	pending chan<- pendingAck
}

func (n *notifier) worker() *worker {
	w := &worker{n: n}
	w.enc = json.NewEncoder(&w.buf)
	return w
}

// notifyBody is Kore's notify request.
type notifyBody struct {
	Channel          string   `json:"channel"`
	UserIdentityType string   `json:"userIdentityType"`
	Message          message  `json:"message"`
	Identities       []string `json:"identities"`
}

type message struct {
	Type string `json:"type"`
	Val  string `json:"val"`
}

// notify sends text to one Slack identity; any 2xx is success.
func (w *worker) notify(ctx context.Context, identity, text string) error {
	w.buf.Reset()
	if err := w.enc.Encode(notifyBody{Channel: "slack", UserIdentityType: "resolve",
		Message: message{Type: "text", Val: text}, Identities: []string{identity}}); err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.n.url, bytes.NewReader(w.buf.Bytes()))
	if err != nil {
		return fmt.Errorf("request: %w", err)
	}
	req.Header.Set("auth", w.n.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.n.client.Do(req)
	if err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		_, err := io.Copy(io.Discard, resp.Body) // read to the end: the connection is reused
		return err
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	switch code := resp.StatusCode; {
	case code == http.StatusTooManyRequests || code >= 500:
		return fmt.Errorf("notify: %s: %s", resp.Status, body)
	default:
		return fmt.Errorf("notify: %w: %s: %s", errPermanent, resp.Status, body)
	}
}
