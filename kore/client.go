package kore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/valyala/fastjson"
)

// maxResponseBody bounds how much of an answer the client reads.
const maxResponseBody = 1 << 20

// Endpoint names, as carried by APIError.Endpoint and in error messages. They
// are stable and fit metric labels.
const (
	EndpointNotify            = "notify"
	EndpointNotifyStatus      = "notify_status"
	EndpointSubscribeDevice   = "devices_subscribe"
	EndpointSubscribedDevices = "devices_list"
	EndpointUnsubscribe       = "devices_unsubscribe"
)

// Client calls the Kore.ai APIs of one bot. It is safe for concurrent use.
type Client struct {
	baseURL    string
	botID      string
	devicePath string
	hc         *http.Client
	// direct is hc's transport when hc adds nothing to a request (no
	// cookie jar, no timeout of its own; redirects are never followed):
	// requests go to it straight, sparing http.Client's per-request
	// header copy. Nil: requests go through hc.
	direct     http.RoundTripper
	notifyPath string // the notify API's path, built once
	timeout    time.Duration
	deadlines  *callDeadlines // nil without a timeout
	// userAgentHeader is the User-Agent header's value, built once.
	userAgentHeader []string
	botLanguage     string
	tokens          *tokenSource
	now             func() time.Time
	parsers         fastjson.ParserPool // for answers with a fast path
	headers         sync.Pool           // of *header
}

// New returns a Client configured by opts. WithBaseURL, WithBotID and one of
// WithCredentials or WithToken are required. Every invalid or missing option
// is reported in the one error, each by its option name.
func New(opts ...Option) (*Client, error) {
	o := options{timeout: DefaultTimeout, devicePrefix: DefaultDevicePathPrefix, userAgent: DefaultUserAgent}
	var problems []string
	for i, opt := range opts {
		if opt == nil {
			problems = append(problems, fmt.Sprintf("option %d is nil", i))
			continue
		}
		if err := opt(&o); err != nil {
			problems = append(problems, err.Error())
		}
	}
	problems = append(problems, o.check()...)
	if len(problems) > 0 {
		return nil, fmt.Errorf("kore: invalid options: %s", strings.Join(problems, "; "))
	}
	hc := &http.Client{}
	if o.httpClient != nil {
		copied := *o.httpClient
		hc = &copied
	}
	if hc.Transport == nil {
		hc.Transport = NewTransport()
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	var direct http.RoundTripper
	if hc.Jar == nil && hc.Timeout == 0 {
		direct = hc.Transport
	}
	c := &Client{
		direct:          direct,
		baseURL:         o.baseURL,
		botID:           o.botID,
		devicePath:      strings.ReplaceAll(o.devicePrefix, "{id}", url.PathEscape(o.botID)),
		hc:              hc,
		timeout:         o.timeout,
		userAgentHeader: []string{o.userAgent},
		botLanguage:     o.botLanguage,
		now:             time.Now,
		headers:         sync.Pool{New: newHeader},
	}
	if o.timeout > 0 {
		c.deadlines = newCallDeadlines(o.timeout)
	}
	c.tokens = &tokenSource{
		fixed:      o.token,
		clientID:   o.clientID,
		secret:     []byte(o.clientSecret),
		enforceJTI: o.enforceJTI,
		now:        func() time.Time { return c.now() },
	}
	c.notifyPath = c.botPath("notify")
	return c, nil
}

// BotID returns the bot (stream) id the client calls.
func (c *Client) BotID() string { return c.botID }

// request is one call to Kore.
type request struct {
	endpoint string
	method   string
	path     string // escaped, below the base URL
	query    url.Values
	body     any // JSON-encoded when non-nil
}

// do sends r and decodes a 2xx answer into out. valid judges the decoded
// answer; expect says what a valid answer is, for the error when it is not.
func (c *Client) do(ctx context.Context, r request, out any, expect string, valid func() bool) error {
	buf := bodyBuffers.Get().(*bytes.Buffer)
	defer putBodyBuffer(buf)
	status, body, err := c.send(ctx, r, buf)
	if err != nil {
		return err
	}
	if apiErr := errorOnlyAnswer(r.endpoint, status, body); apiErr != nil {
		return apiErr
	}
	if !c.decodeFast(out, body) {
		if err := json.Unmarshal(body, out); err != nil {
			return malformed(r.endpoint, status, expect, err)
		}
	}
	if !valid() {
		return malformed(r.endpoint, status, expect, nil)
	}
	return nil
}

// decodeFast decodes body into out without reflection when out has a fast
// path and body its common shape; false leaves out for encoding/json.
func (c *Client) decodeFast(out any, body []byte) bool {
	f, ok := out.(fastDecoder)
	if !ok {
		return false
	}
	p := c.parsers.Get()
	defer c.parsers.Put(p)
	return f.decodeFast(p, body)
}

// bodyBuffers hold response bodies while they are decoded, so a call does
// not allocate a fresh, growing buffer for every answer.
var bodyBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// putBodyBuffer returns buf to the pool unless an unusually large answer
// grew it.
func putBodyBuffer(buf *bytes.Buffer) {
	if buf.Cap() <= 64<<10 {
		buf.Reset()
		bodyBuffers.Put(buf)
	}
}

// send performs r and returns the status and body of a 2xx answer, read
// into buf (valid until buf is reused); any other outcome is an error.
func (c *Client) send(ctx context.Context, r request, buf *bytes.Buffer) (int, []byte, error) {
	if c.deadlines != nil {
		var cancel context.CancelFunc
		ctx, cancel = c.deadlines.context(ctx, time.Now())
		defer cancel()
	}
	h := c.headers.Get().(*header)
	req, err := c.newHTTPRequest(ctx, r, h)
	if err != nil {
		c.headers.Put(h)
		return 0, nil, err
	}
	resp, err := c.roundTrip(req)
	if err != nil {
		// The transport may still hold the request: h is left to it.
		return 0, nil, c.transportError(ctx, r.endpoint, "send request", err)
	}
	_, err = buf.ReadFrom(io.LimitReader(resp.Body, maxResponseBody+1))
	resp.Body.Close()
	// Once the answer's body is closed the request is the caller's again
	// (net/http's contract), and so is its header; not after an
	// http.Client, whose cookie jar adds to it.
	if c.direct != nil {
		c.headers.Put(h)
	}
	if err != nil {
		return 0, nil, c.transportError(ctx, r.endpoint, "read response", err)
	}
	body := buf.Bytes()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return 0, nil, newAPIError(r.endpoint, resp.StatusCode, resp.Header, body, c.now())
	}
	if len(body) > maxResponseBody {
		return 0, nil, malformed(r.endpoint, resp.StatusCode, "a body of at most 1 MiB", nil)
	}
	return resp.StatusCode, body, nil
}

// roundTrip sends req through the transport directly when the client adds
// nothing to it, else through the client. Errors read as the client's do:
// "Post \"URL\": cause".
func (c *Client) roundTrip(req *http.Request) (*http.Response, error) {
	if c.direct == nil {
		return c.hc.Do(req)
	}
	resp, err := c.direct.RoundTrip(req)
	if err == nil && resp == nil {
		err = errors.New("the transport returned no response and no error")
	}
	if err != nil {
		return nil, &url.Error{Op: req.Method[:1] + strings.ToLower(req.Method[1:]), URL: req.URL.String(), Err: err}
	}
	if resp.Body == nil { // as http.Client does, for a RoundTripper of the caller's
		resp.Body = http.NoBody
	}
	return resp, nil
}

// newHTTPRequest builds the HTTP request for r, with its headers in h.
func (c *Client) newHTTPRequest(ctx context.Context, r request, h *header) (*http.Request, error) {
	var body io.Reader
	if r.body != nil {
		var b []byte
		if a, ok := r.body.(jsonAppender); ok {
			b = a.appendJSON(make([]byte, 0, 256))
		} else {
			var err error
			if b, err = json.Marshal(r.body); err != nil {
				return nil, fmt.Errorf("kore %s: encode request: %w", r.endpoint, err)
			}
		}
		body = bytes.NewReader(b)
	}
	target := c.baseURL + r.path
	if len(r.query) > 0 {
		target += "?" + r.query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, r.method, target, body)
	if err != nil {
		return nil, fmt.Errorf("kore %s: build request: %w", r.endpoint, err)
	}
	tok, err := c.tokens.token()
	if err != nil {
		return nil, fmt.Errorf("kore %s: sign token: %w", r.endpoint, err)
	}
	req.Header = h.fill(tok, body != nil, c)
	return req, nil
}

// header is a request's header, reused once its answer has been read: the
// map with canonical keys and the constant values shared between requests
// (nothing on the way writes to them), where Set would canonicalize and
// allocate per header.
type header struct {
	h        http.Header
	auth     [1]string
	language [1]string
}

func newHeader() any { return &header{h: make(http.Header, 5)} }

// fill sets h's values for a request with token tok, with a JSON body or
// none.
func (h *header) fill(tok string, withBody bool, c *Client) http.Header {
	clear(h.h) // keeps its room
	h.auth[0] = tok
	h.h["Auth"] = h.auth[:]
	h.h["Accept"] = headerJSON
	h.h["User-Agent"] = c.userAgentHeader
	if withBody {
		h.h["Content-Type"] = headerJSON
	}
	if c.botLanguage != "" {
		h.language[0] = c.botLanguage
		h.h["Bot-Language"] = h.language[:]
	}
	return h.h
}

// headerJSON is the value of Accept and Content-Type.
var headerJSON = []string{"application/json"}

// botPath is the escaped path of a bot-scoped notify API below the base URL.
func (c *Client) botPath(elems ...string) string {
	p := "/api/public/bot/" + url.PathEscape(c.botID)
	for _, e := range elems {
		p += "/" + url.PathEscape(e)
	}
	return p
}
