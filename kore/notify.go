package kore

import (
	"context"
	"fmt"
	"net/http"
	"strings"
)

// UserIdentityType is the notify body's userIdentityType, the only value Kore
// documents: Kore resolves the identities to channel users.
const UserIdentityType = "resolve"

// notifyBody is the notify API's request body, in the documented field order.
type notifyBody struct {
	Channel          string   `json:"channel"`
	UserIdentityType string   `json:"userIdentityType"`
	Message          Message  `json:"message"`
	Identities       []string `json:"identities"`
}

// Validate reports every way r breaks the notify API's rules: the channel is
// ChannelMSTeams or ChannelSlack, the message type MessageText or
// MessageScript with a non-empty value, and there are 1 to MaxIdentities
// non-empty identities (more is an error, never a silent truncation). The
// error wraps ErrInvalidRequest.
func (r NotifyRequest) Validate() error {
	var problems []string
	if r.Channel != ChannelMSTeams && r.Channel != ChannelSlack {
		problems = append(problems, fmt.Sprintf("channel %q: want %q or %q", r.Channel, ChannelMSTeams, ChannelSlack))
	}
	if r.Message.Type != MessageText && r.Message.Type != MessageScript {
		problems = append(problems, fmt.Sprintf("message type %q: want %q or %q", r.Message.Type, MessageText, MessageScript))
	}
	if strings.TrimSpace(r.Message.Val) == "" {
		problems = append(problems, "message val is empty")
	}
	switch n := len(r.Identities); {
	case n == 0:
		problems = append(problems, "no identities")
	case n > MaxIdentities:
		problems = append(problems, fmt.Sprintf("%d identities: Kore accepts at most %d per call", n, MaxIdentities))
	}
	for i, id := range r.Identities {
		if strings.TrimSpace(id) == "" {
			problems = append(problems, fmt.Sprintf("identity %d is empty", i))
			break
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalidRequest, strings.Join(problems, "; "))
	}
	return nil
}

// Notify sends one proactive notification to up to MaxIdentities identities
// and returns the job Kore started (status JobInProgress). The request is
// validated first; an invalid one returns an error wrapping
// ErrInvalidRequest without a call. Kore delivers asynchronously: per-identity
// outcomes come from NotifyStatus.
func (c *Client) Notify(ctx context.Context, req NotifyRequest) (*Job, error) {
	if err := req.Validate(); err != nil {
		return nil, fmt.Errorf("kore %s: %w", EndpointNotify, err)
	}
	w := new(jobWire) // the Job returned lives in it: one allocation
	err := c.do(ctx, request{
		endpoint: EndpointNotify,
		method:   http.MethodPost,
		path:     c.notifyPath,
		body: &notifyBody{
			Channel:          req.Channel,
			UserIdentityType: UserIdentityType,
			Message:          req.Message,
			Identities:       req.Identities,
		},
	}, w, "a job object with _id and status", func() bool {
		return w.ID != "" && w.Status != ""
	})
	if err != nil {
		return nil, err
	}
	return w.jobInPlace(), nil
}

// NotifyStatus returns the current state of the notify job jobID (the _id
// Notify returned). When the job is Done, StatusLogs holds one entry per
// identity.
func (c *Client) NotifyStatus(ctx context.Context, jobID string) (*Job, error) {
	if err := checkID(jobID); err != nil {
		return nil, fmt.Errorf("kore %s: %w: job %w", EndpointNotifyStatus, ErrInvalidRequest, err)
	}
	w := new(jobWire)
	err := c.do(ctx, request{
		endpoint: EndpointNotifyStatus,
		method:   http.MethodGet,
		path:     c.botPath("notify", "status", jobID),
	}, w, "a job object with a status", func() bool {
		return w.Status != ""
	})
	if err != nil {
		return nil, err
	}
	job := w.jobInPlace()
	if job.ID == "" {
		job.ID = jobID
	}
	return job, nil
}
