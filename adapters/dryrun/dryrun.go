// Package dryrun is a notifier that sends nothing: it prints every call it
// would make to Kore (notify, job status and the SDK push device APIs) as
// one JSON line and answers with success (a fake job for notify).
package dryrun

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/korelay/korelay/kore"
)

// Notifier prints notify, status and device calls instead of making them.
// It is safe for concurrent use; each call is written with a single Write.
type Notifier struct {
	mu sync.Mutex
	w  io.Writer
	n  int
}

// New returns a Notifier printing to w.
func New(w io.Writer) *Notifier {
	return &Notifier{w: w}
}

// notifyLine is what Notify prints.
type notifyLine struct {
	Endpoint   string       `json:"endpoint"`
	Channel    string       `json:"channel"`
	Message    kore.Message `json:"message"`
	Identities []string     `json:"identities"`
}

// statusLine is what NotifyStatus prints.
type statusLine struct {
	Endpoint string `json:"endpoint"`
	JobID    string `json:"job_id"`
}

// Notify prints req and returns a fake job "dryrun-<n>" with status
// SUCCESS. A request Kore would refuse (unknown channel or message type,
// empty message, 0 or more than kore.MaxIdentities identities) returns an
// error wrapping kore.ErrInvalidRequest and prints nothing.
func (d *Notifier) Notify(ctx context.Context, req kore.NotifyRequest) (*kore.Job, error) {
	if err := validate(req); err != nil {
		return nil, err
	}
	line := notifyLine{Endpoint: "notify", Channel: req.Channel, Message: req.Message, Identities: req.Identities}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.print(ctx, line); err != nil {
		return nil, err
	}
	d.n++
	return fakeJob("dryrun-" + strconv.Itoa(d.n)), nil
}

// NotifyStatus prints the status request and reports the job as SUCCESS.
func (d *Notifier) NotifyStatus(ctx context.Context, jobID string) (*kore.Job, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.print(ctx, statusLine{Endpoint: "notify_status", JobID: jobID}); err != nil {
		return nil, err
	}
	return fakeJob(jobID), nil
}

// print writes v as one JSON line. The caller holds d.mu.
func (d *Notifier) print(ctx context.Context, v any) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("dryrun: encode: %w", err)
	}
	if _, err := d.w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("dryrun: write: %w", err)
	}
	return nil
}

func fakeJob(id string) *kore.Job {
	now := time.Now().UTC()
	return &kore.Job{
		ID:                 id,
		Status:             kore.JobSuccess,
		PercentageComplete: 100,
		CreatedOn:          now,
		LastModified:       now,
	}
}

// validate refuses what Kore's notify API would refuse.
func validate(req kore.NotifyRequest) error {
	var problem string
	switch {
	case req.Channel != kore.ChannelMSTeams && req.Channel != kore.ChannelSlack:
		problem = fmt.Sprintf("unknown channel %q", req.Channel)
	case req.Message.Type != kore.MessageText && req.Message.Type != kore.MessageScript:
		problem = fmt.Sprintf("unknown message type %q", req.Message.Type)
	case req.Message.Val == "":
		problem = "empty message"
	case len(req.Identities) == 0 || len(req.Identities) > kore.MaxIdentities:
		problem = fmt.Sprintf("%d identities, want 1 to %d", len(req.Identities), kore.MaxIdentities)
	}
	if problem != "" {
		return fmt.Errorf("dryrun notify: %w: %s", kore.ErrInvalidRequest, problem)
	}
	return nil
}
