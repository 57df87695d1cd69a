package kore

import "time"

// MaxIdentities is the most identities Kore accepts in one notify call.
const MaxIdentities = 1000

// Channels accepted by the notify API.
const (
	ChannelMSTeams = "msteams"
	ChannelSlack   = "slack"
)

// Message types accepted by the notify API.
const (
	MessageText   = "text"
	MessageScript = "script"
)

// Job statuses reported by the notify API.
const (
	JobInProgress     = "IN_PROGRESS"
	JobSuccess        = "SUCCESS"
	JobFailure        = "FAILURE"
	JobPartialSuccess = "PARTIAL_SUCCESS"
)

// Message is the notify body's message object.
type Message struct {
	// Type is MessageText or MessageScript.
	Type string `json:"type"`
	// Val is the text, or the JavaScript that prints the message.
	Val string `json:"val"`
}

// NotifyRequest is one proactive notification call.
type NotifyRequest struct {
	// Channel is ChannelMSTeams or ChannelSlack.
	Channel string `json:"channel"`
	// Message is the message sent to every identity.
	Message Message `json:"message"`
	// Identities are 1 to MaxIdentities user identities (e-mail-like).
	Identities []string `json:"identities"`
}

// Job is the asynchronous notify job Kore answers with, and what the status
// endpoint reports about it.
type Job struct {
	ID                 string      `json:"_id"`
	Status             string      `json:"status"`
	PercentageComplete float64     `json:"percentageComplete"`
	StreamID           string      `json:"streamId"`
	CreatedBy          string      `json:"createdBy"`
	JobType            string      `json:"jobType"`
	Action             string      `json:"action"`
	StatusLogs         []StatusLog `json:"statusLogs"`
	LastModified       time.Time   `json:"lMod"`
	CreatedOn          time.Time   `json:"createdOn"`
	RequestedTime      time.Time   `json:"requestedTime"`
}

// Done reports whether the job has reached a final status.
func (j *Job) Done() bool {
	switch j.Status {
	case JobSuccess, JobFailure, JobPartialSuccess:
		return true
	}
	return false
}

// StatusLog is the outcome of a job for one identity.
type StatusLog struct {
	// OriginalID is the identity as sent.
	OriginalID string `json:"originalId"`
	// Status is "SUCCESS" or "FAILURE".
	Status string `json:"status"`
	// Comments explains a failure, e.g. "Identity is not associated with the channel".
	Comments  string `json:"comments,omitempty"`
	Channel   string `json:"channel,omitempty"`
	ChannelID string `json:"channelId,omitempty"`
	KoreID    string `json:"koreId,omitempty"`
}

// OS types accepted by the device APIs, spelled as Kore spells them.
const (
	OSAndroid = "Android"
	OSiOS     = "iOS"
)

// Device is one SDK push device of a user.
type Device struct {
	DeviceID string `json:"deviceId"`
	// OSType is OSAndroid or OSiOS.
	OSType string `json:"osType"`
	// Status is "Subscribed" or "unsubscribed" in answers; empty in requests.
	Status string `json:"status,omitempty"`
}

// SubscribeResult is the answer to SubscribeDevice.
type SubscribeResult struct {
	Success bool   `json:"success"`
	Message string `json:"message"`
	Device  Device `json:"deviceDetails"`
}

// UnsubscribeResult is the answer to UnsubscribeDevices and UnsubscribeAllDevices.
type UnsubscribeResult struct {
	Success      bool     `json:"success"`
	Message      string   `json:"message"`
	Unsubscribed []Device `json:"unsubscribedDevices,omitempty"`
	// InvalidDeviceIDs are the requested devices Kore did not know.
	InvalidDeviceIDs []string `json:"-"`
}
