package koretest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"

	"github.com/korelay/korelay/kore"
)

// NotAssociated is the status-log comment of an identity the channel does not
// know.
const NotAssociated = "Identity is not associated with the channel"

// CreatedBy is the createdBy of every job: the fake's app user.
const CreatedBy = "u-00000000-0000-4000-8000-000000000a99"

// timeFormat is how Kore writes job timestamps.
const timeFormat = "2006-01-02T15:04:05.000Z07:00"

// job is one notify job.
type job struct {
	wire       wireJob
	channel    string
	identities []string
	polls      int
}

// wireJob is a job as Kore answers it, field for field.
type wireJob struct {
	Status             string           `json:"status"`
	PercentageComplete int              `json:"percentageComplete"`
	StreamID           string           `json:"streamId"`
	CreatedBy          string           `json:"createdBy"`
	JobType            string           `json:"jobType"`
	Action             string           `json:"action"`
	StatusLogs         []kore.StatusLog `json:"statusLogs"`
	ID                 string           `json:"_id"`
	LastModified       string           `json:"lMod"`
	CreatedOn          string           `json:"createdOn"`
	RequestedTime      string           `json:"requestedTime"`
	V                  int              `json:"__v"`
}

// notifyWire is the notify request body, with pointers to tell missing from
// empty.
type notifyWire struct {
	Channel          *string `json:"channel"`
	UserIdentityType *string `json:"userIdentityType"`
	Message          *struct {
		Type *string `json:"type"`
		Val  *string `json:"val"`
	} `json:"message"`
	Identities *[]string `json:"identities"`
}

// SetUnknownIdentities replaces the identities the channels do not know:
// jobs that include them report them as failed (NotAssociated) when they
// complete.
func (s *Server) SetUnknownIdentities(ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unknown = make(map[string]bool, len(ids))
	for _, id := range ids {
		s.unknown[id] = true
	}
}

// handleNotify checks a notify body and starts a job.
func (s *Server) handleNotify(r *http.Request, body []byte, c *Call) reply {
	var w notifyWire
	if err := decodeStrict(body, &w); err != nil {
		return errorReply(http.StatusBadRequest, 400, "invalid body: "+err.Error())
	}
	req := w.request()
	c.Notify = &req
	if problems := w.problems(); len(problems) > 0 {
		return errorsReply(http.StatusBadRequest, 400, problems)
	}
	now := s.now().UTC().Format(timeFormat)
	j := &job{channel: req.Channel, identities: req.Identities, wire: wireJob{
		Status:        kore.JobInProgress,
		StreamID:      s.BotID,
		CreatedBy:     CreatedBy,
		JobType:       "PROACTIVE_NOTIFICATIONS_API",
		Action:        "PROACTIVE_NOTIFICATIONS",
		StatusLogs:    []kore.StatusLog{},
		ID:            "ds-" + newUUID(),
		LastModified:  now,
		CreatedOn:     now,
		RequestedTime: now,
	}}
	s.mu.Lock()
	s.jobs[j.wire.ID] = j
	s.mu.Unlock()
	return jsonReply(http.StatusOK, j.wire)
}

// request returns the body as a kore.NotifyRequest, empty where missing.
func (w notifyWire) request() kore.NotifyRequest {
	var req kore.NotifyRequest
	if w.Channel != nil {
		req.Channel = *w.Channel
	}
	if w.Message != nil && w.Message.Type != nil {
		req.Message.Type = *w.Message.Type
	}
	if w.Message != nil && w.Message.Val != nil {
		req.Message.Val = *w.Message.Val
	}
	if w.Identities != nil {
		req.Identities = *w.Identities
	}
	return req
}

// problems lists how the body breaks the documented contract.
func (w notifyWire) problems() []string {
	var p []string
	if w.Channel == nil || (*w.Channel != kore.ChannelMSTeams && *w.Channel != kore.ChannelSlack) {
		p = append(p, `channel is required and must be "msteams" or "slack"`)
	}
	if w.UserIdentityType == nil || *w.UserIdentityType != kore.UserIdentityType {
		p = append(p, `userIdentityType is required and must be "resolve"`)
	}
	req := w.request()
	switch {
	case w.Message == nil:
		p = append(p, "message is required")
	case req.Message.Type != kore.MessageText && req.Message.Type != kore.MessageScript:
		p = append(p, `message.type must be "text" or "script"`)
	}
	if w.Message != nil && strings.TrimSpace(req.Message.Val) == "" {
		p = append(p, "message.val must not be empty")
	}
	switch n := len(req.Identities); {
	case n == 0:
		p = append(p, "identities must list at least one identity")
	case n > kore.MaxIdentities:
		p = append(p, fmt.Sprintf("identities: %d given, a maximum of %d identities are supported", n, kore.MaxIdentities))
	}
	for i, id := range req.Identities {
		if strings.TrimSpace(id) == "" {
			p = append(p, fmt.Sprintf("identities[%d] is empty", i))
			break
		}
	}
	return p
}

// handleStatus reports a job, completing it once polled enough.
func (s *Server) handleStatus(r *http.Request, _ []byte, _ *Call) reply {
	id := s.jobIDOf(r.URL.Path)
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[id]
	if !ok {
		return errorReply(http.StatusNotFound, 404, "no notify job with requestId "+id)
	}
	j.polls++
	if j.wire.Status == kore.JobInProgress && j.polls > s.cfg.completeAfter {
		s.complete(j)
	}
	return jsonReply(http.StatusOK, j.wire)
}

// complete finishes a job: one status log per identity. The caller holds
// s.mu.
func (s *Server) complete(j *job) {
	ok := 0
	for _, id := range j.identities {
		log := kore.StatusLog{OriginalID: id, Status: kore.JobSuccess, Channel: j.channel}
		if s.unknown[id] {
			log.Status, log.Comments = kore.JobFailure, NotAssociated
		} else {
			ok++
			log.ChannelID, log.KoreID = fakeID(j.channel+":", id), fakeID("u-", id)
		}
		j.wire.StatusLogs = append(j.wire.StatusLogs, log)
	}
	switch ok {
	case len(j.identities):
		j.wire.Status = kore.JobSuccess
	case 0:
		j.wire.Status = kore.JobFailure
	default:
		j.wire.Status = kore.JobPartialSuccess
	}
	j.wire.PercentageComplete = 100
	j.wire.LastModified = s.now().UTC().Format(timeFormat)
}

// fakeID derives a stable id for an identity.
func fakeID(prefix, identity string) string {
	sum := sha256.Sum256([]byte(identity))
	return prefix + hex.EncodeToString(sum[:8])
}

// newUUID returns a random UUID (version 4) in its usual spelling.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
