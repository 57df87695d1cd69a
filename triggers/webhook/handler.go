package webhook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/korelay/korelay/metrics"
	"github.com/korelay/korelay/rules"
	"github.com/korelay/korelay/triggers/webhook/hookspec"
)

// Handler serves POST /hooks/NAME for its set of hooks, which Update
// replaces on a reload. It is safe for concurrent use.
type Handler struct {
	hooks          atomic.Pointer[map[string]*hook] // replaced whole by Update
	tolerance      time.Duration
	pub            Publisher
	metrics        *metrics.Metrics
	log            *slog.Logger
	now            func() time.Time
	maxBody        int64
	publishTimeout time.Duration
	replays        *replayCache

	mu       sync.Mutex // guards closed and inflight.Add
	closed   bool
	inflight sync.WaitGroup // requests between the closed check and their answer
}

// hook is one configured endpoint, ready to serve.
type hook struct {
	name     string
	verifier verifier
	dropped  map[string]bool // canonical header names not copied into events
}

// New validates opts and builds a Handler. It reports every invalid hook at
// once, each error starting with `webhook "NAME":`; errors never contain
// secret values.
func New(opts Options) (*Handler, error) {
	opts, err := opts.withDefaults()
	h := &Handler{
		tolerance:      opts.Tolerance,
		pub:            opts.Publisher,
		metrics:        opts.Metrics,
		log:            opts.Logger,
		now:            opts.Now,
		maxBody:        opts.MaxBody,
		publishTimeout: opts.PublishTimeout,
		replays:        newReplayCache(replayCacheSize, 2*opts.Tolerance),
	}
	hooks, herr := buildHooks(opts.Hooks, opts.Tolerance)
	if err := errors.Join(err, herr); err != nil {
		return nil, err
	}
	h.hooks.Store(&hooks)
	return h, nil
}

// Update replaces the served hooks (a configuration reload). On any
// invalid hook it returns every problem, as New does, and keeps serving
// the old ones. Requests already past the hook lookup finish with the
// hook they found.
func (h *Handler) Update(hooks []Hook) error {
	m, err := buildHooks(hooks, h.tolerance)
	if err != nil {
		return err
	}
	h.hooks.Store(&m)
	return nil
}

// buildHooks validates hooks and returns them by name.
func buildHooks(hooks []Hook, tolerance time.Duration) (map[string]*hook, error) {
	m := make(map[string]*hook, len(hooks))
	var errs []error
	for _, hk := range hooks {
		if err := addHook(m, hk, tolerance); err != nil {
			errs = append(errs, fmt.Errorf("webhook %q: %w", hk.Name, err))
		}
	}
	return m, errors.Join(errs...)
}

// addHook validates hk and adds it to m.
func addHook(m map[string]*hook, hk Hook, tolerance time.Duration) error {
	var errs []error
	if !hookspec.ValidName(hk.Name) {
		errs = append(errs, errors.New("name: must be "+hookspec.NameRule))
	}
	if _, dup := m[hk.Name]; dup {
		errs = append(errs, errors.New("defined twice"))
	}
	v, sigHeader, err := newVerifier(hk.Auth, tolerance)
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return err
	}
	m[hk.Name] = &hook{name: hk.Name, verifier: v, dropped: droppedHeaders(sigHeader)}
	return nil
}

// ServeHTTP handles POST /hooks/NAME (it may also be mounted behind
// http.StripPrefix("/hooks/", ...)). See the package documentation for the
// answers.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := hookNameFromPath(r.URL.Path)
	if !h.enter() {
		h.finish(w, name, "", false, reject(http.StatusServiceUnavailable, "shutting down"))
		return
	}
	defer h.inflight.Done()
	eventID, replayed, f := h.handle(w, r, name)
	h.finish(w, name, eventID, replayed, f)
}

// hookNameFromPath returns NAME from "/hooks/NAME" or "NAME".
func hookNameFromPath(path string) string {
	return strings.TrimPrefix(strings.TrimPrefix(path, "/"), "hooks/")
}

// enter registers a request in flight, or reports false once closed.
func (h *Handler) enter() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.inflight.Add(1)
	return true
}

// Close stops accepting webhooks: from now on every request is answered
// 503 so the sender retries elsewhere or later. It waits for requests
// already in flight to finish (body reads are bounded by the server's read
// timeout, publishes by the publish timeout), so the publisher may be closed
// after Close returns. Close may be called more than once.
func (h *Handler) Close() {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	h.inflight.Wait()
}

// handle runs one request through the checks, in order: hook, method, size,
// auth (over the raw body), content type, body decoding, replay, store.
func (h *Handler) handle(w http.ResponseWriter, r *http.Request, name string) (eventID string, replayed bool, f *failure) {
	hk, ok := (*h.hooks.Load())[name]
	if !ok {
		return "", false, reject(http.StatusNotFound, "unknown webhook")
	}
	if r.Method != http.MethodPost {
		return "", false, reject(http.StatusMethodNotAllowed, "method not allowed; use POST")
	}
	body, f := h.readBody(w, r)
	if f != nil {
		return "", false, f
	}
	now := h.now()
	msgID, err := hk.verifier.verify(r.Header, body, now)
	if err != nil {
		return "", false, &failure{http.StatusUnauthorized, err.Error(), metrics.OutcomeRejected, err}
	}
	contentType, f := checkBody(r.Header.Get("Content-Type"), body)
	if f != nil {
		return "", false, f
	}
	if msgID != "" {
		if id, ok := h.replays.get(replayKey(name, msgID), now); ok {
			return id, true, nil
		}
	}
	eventID, f = h.publish(r.Context(), hk.newMessage(r, contentType, body, msgID, now))
	if f == nil && msgID != "" {
		h.replays.put(replayKey(name, msgID), eventID, h.now())
	}
	return eventID, false, f
}

// publish stores msg, bounded by the publish timeout.
func (h *Handler) publish(ctx context.Context, msg *nats.Msg) (string, *failure) {
	ctx, cancel := context.WithTimeout(ctx, h.publishTimeout)
	defer cancel()
	id, err := h.pub.Publish(ctx, msg)
	if err == nil && id == "" {
		err = errors.New("publisher returned no event id")
	}
	if err != nil {
		return "", &failure{http.StatusServiceUnavailable, "event could not be stored; retry later",
			metrics.OutcomeFailed, fmt.Errorf("publish: %w", err)}
	}
	return id, nil
}

// finish answers the request, counts it and logs it. replayed marks an
// accepted request answered from the replay cache.
func (h *Handler) finish(w http.ResponseWriter, name, eventID string, replayed bool, f *failure) {
	source := string(rules.SourceWebhook)
	if f == nil {
		h.count(source, metrics.OutcomeAccepted)
		writeAccepted(w, eventID)
		h.log.Info("webhook accepted", "webhook", name, "event_id", eventID, "replay", replayed)
		return
	}
	h.count(source, f.outcome)
	writeError(w, f)
	if f.outcome == metrics.OutcomeFailed {
		h.log.Error("webhook not stored", "webhook", name, "status", f.status, "err", f.err)
		return
	}
	h.log.Warn("webhook rejected", "webhook", name, "status", f.status, "reason", f.reason)
}

func (h *Handler) count(source, outcome string) {
	if h.metrics != nil {
		h.metrics.Events.WithLabelValues(source, outcome).Inc()
	}
}
