package main

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/korelay/korelay/kore"
)

// maxNotifyBody bounds a notify body the lean fake reads (1000 identities
// fit many times over).
const maxNotifyBody = 4 << 20

// leanKore is a fake Kore notify endpoint for speed runs: it checks what a
// client must get right (path, method, an auth header, a JSON body of
// Kore's shape) without verifying the JWT, and answers as Kore does (200,
// a job with an _id and status IN_PROGRESS), allocating little.
type leanKore struct {
	path  string
	botID string
	clock *clock
	stats *callStats
	check checker
	jobs  atomic.Uint64
	pool  sync.Pool // *leanReq
	// contentType is the answers' Content-Type header value, shared so
	// that setting it does not allocate.
	contentType []string
}

// leanReq is one request's reusable buffers.
type leanReq struct {
	buf  []byte
	body notifyWire
}

// notifyWire is the notify body: the request and its userIdentityType.
type notifyWire struct {
	kore.NotifyRequest
	UserIdentityType string `json:"userIdentityType"`
}

func newLeanKore(botID string, c *clock, stats *callStats, chk checker) *leanKore {
	k := &leanKore{path: "/api/public/bot/" + botID + "/notify", botID: botID, clock: c, stats: stats, check: chk,
		contentType: []string{"application/json"}}
	k.pool.New = func() any { return &leanReq{buf: make([]byte, 0, 1024)} }
	return k
}

// ServeHTTP checks and answers one call.
func (k *leanKore) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	at := k.clock.now()
	k.stats.calls.Add(1)
	if status, msg := k.checkRequest(req); status != 0 {
		k.fail(w, req, status, msg)
		return
	}
	r := k.pool.Get().(*leanReq)
	defer k.pool.Put(r)
	if status, msg := r.read(req); status != 0 {
		k.fail(w, req, status, msg)
		return
	}
	if msg := r.body.problem(); msg != "" {
		k.fail(w, req, http.StatusBadRequest, msg)
		return
	}
	k.stats.accepted(at)
	k.check.notified(r.body.Message.Val, r.body.Identities, at)
	r.buf = k.job(r.buf[:0])
	w.Header()["Content-Type"] = k.contentType
	_, _ = w.Write(r.buf)
}

// checkRequest checks the path, method, auth header and content type.
func (k *leanKore) checkRequest(req *http.Request) (int, string) {
	switch {
	case req.URL.Path != k.path:
		return http.StatusNotFound, "no such API"
	case req.Method != http.MethodPost:
		return http.StatusMethodNotAllowed, "notify takes POST"
	case req.Header.Get("auth") == "":
		return http.StatusUnauthorized, "missing auth header"
	case !strings.HasPrefix(req.Header.Get("Content-Type"), "application/json"):
		return http.StatusUnsupportedMediaType, "Content-Type must be application/json"
	}
	return 0, ""
}

// read reads and decodes the body into r.
func (r *leanReq) read(req *http.Request) (int, string) {
	var err error
	if n := req.ContentLength; n > 0 && n <= maxNotifyBody {
		r.buf = slices.Grow(r.buf[:0], int(n))[:n]
		_, err = io.ReadFull(req.Body, r.buf)
	} else {
		r.buf, err = io.ReadAll(io.LimitReader(req.Body, maxNotifyBody+1))
	}
	if err != nil || len(r.buf) > maxNotifyBody {
		return http.StatusBadRequest, "cannot read the body"
	}
	r.body = notifyWire{NotifyRequest: kore.NotifyRequest{Identities: r.body.Identities[:0]}}
	if err := json.Unmarshal(r.buf, &r.body); err != nil {
		return http.StatusBadRequest, "invalid body: " + err.Error()
	}
	return 0, ""
}

// problem says how the body breaks Kore's contract, or "".
func (b *notifyWire) problem() string {
	if b.UserIdentityType != kore.UserIdentityType {
		return `userIdentityType must be "` + kore.UserIdentityType + `"`
	}
	if err := b.Validate(); err != nil {
		return err.Error()
	}
	return ""
}

// job appends the answer to an accepted call: a new job, as Kore writes it.
func (k *leanKore) job(b []byte) []byte {
	b = append(b, `{"status":"IN_PROGRESS","percentageComplete":0,"streamId":"`...)
	b = append(b, k.botID...)
	b = append(b, `","createdBy":"u-bench","jobType":"PROACTIVE_NOTIFICATIONS_API","action":"PROACTIVE_NOTIFICATIONS","statusLogs":[],"_id":"ds-bench-`...)
	b = strconv.AppendUint(b, k.jobs.Add(1), 10)
	return append(b, `"}`...)
}

// fail answers an error as Kore does and counts it.
func (k *leanKore) fail(w http.ResponseWriter, req *http.Request, status int, msg string) {
	k.stats.reject(req.Method + " " + req.URL.Path + ": " + strconv.Itoa(status) + " " + msg)
	body, _ := json.Marshal(map[string]any{"errors": []map[string]any{{"msg": msg, "code": status}}})
	w.Header()["Content-Type"] = k.contentType
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
