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
// endpoint reports about it. Timestamps Kore sends in an unexpected form
// decode as the zero time rather than failing the call.
type Job struct {
	// ID is the job id ("ds-…"), the requestId of NotifyStatus.
	ID string `json:"_id"`
	// Status is JobInProgress, JobSuccess, JobPartialSuccess or JobFailure.
	Status string `json:"status"`
	// PercentageComplete runs from 0 to 100.
	PercentageComplete float64 `json:"percentageComplete"`
	// StreamID is the bot id.
	StreamID string `json:"streamId"`
	// CreatedBy is the Kore user ("u-…") of the app that called.
	CreatedBy string `json:"createdBy"`
	// JobType is "PROACTIVE_NOTIFICATIONS_API".
	JobType string `json:"jobType"`
	// Action is "PROACTIVE_NOTIFICATIONS".
	Action string `json:"action"`
	// StatusLogs has one entry per identity once the job is done.
	StatusLogs []StatusLog `json:"statusLogs"`
	// LastModified is Kore's lMod.
	LastModified time.Time `json:"lMod"`
	// CreatedOn is when Kore created the job.
	CreatedOn time.Time `json:"createdOn"`
	// RequestedTime is when the notify call was made.
	RequestedTime time.Time `json:"requestedTime"`
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
	Comments string `json:"comments,omitempty"`
	// Channel is the notify call's channel.
	Channel string `json:"channel,omitempty"`
	// ChannelID is the identity's user id in the channel, on success.
	ChannelID string `json:"channelId,omitempty"`
	// KoreID is the identity's Kore user id, on success.
	KoreID string `json:"koreId,omitempty"`
}

// OS types accepted by the device APIs, spelled as Kore spells them.
const (
	OSAndroid = "Android"
	OSiOS     = "iOS"
)

// Device is one SDK push device of a user.
type Device struct {
	// DeviceID is the SDK's device id.
	DeviceID string `json:"deviceId"`
	// OSType is OSAndroid or OSiOS.
	OSType string `json:"osType"`
	// Status is "Subscribed" or "unsubscribed" in answers; empty in requests.
	Status string `json:"status,omitempty"`
}

// SubscribeResult is the answer to SubscribeDevice.
type SubscribeResult struct {
	// Success is Kore's success flag; the client turns false into an error.
	Success bool `json:"success"`
	// Message is Kore's text, e.g. "Device Subscribed".
	Message string `json:"message"`
	// Device is the subscribed device, with status "Subscribed".
	Device Device `json:"deviceDetails"`
}

// UnsubscribeResult is the answer to UnsubscribeDevices and
// UnsubscribeAllDevices. Its JSON form is Kore's: InvalidDeviceIDs travel as
// "invalidDeviceIds": [{"deviceId": "…"}].
type UnsubscribeResult struct {
	// Success is Kore's success flag; the client turns false into an error.
	Success bool `json:"success"`
	// Message is Kore's text, e.g. "Requested devices are Unsubscribed".
	Message string `json:"message"`
	// Unsubscribed are the devices Kore unsubscribed (status "unsubscribed");
	// empty after UnsubscribeAllDevices.
	Unsubscribed []Device `json:"unsubscribedDevices,omitempty"`
	// InvalidDeviceIDs are the requested devices Kore did not know.
	InvalidDeviceIDs []string `json:"-"`

	hasSuccess bool // the answer carried "success"
}
