package kore

import (
	"bytes"
	"encoding/json"
	"time"
)

// UnmarshalJSON decodes a job as Kore sends it. Timestamps that are not
// RFC 3339 strings (or epoch milliseconds) decode as the zero time: a job id
// must never be lost to a timestamp format.
func (j *Job) UnmarshalJSON(b []byte) error {
	var w jobWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*j = w.job()
	return nil
}

// plainJob is Job without its UnmarshalJSON.
type plainJob Job

// jobWire is a job as Kore writes it. The client decodes answers into it
// directly (one pass over the body; Job's UnmarshalJSON would make two).
type jobWire struct {
	plainJob
	LastModified  lenientTime `json:"lMod"`
	CreatedOn     lenientTime `json:"createdOn"`
	RequestedTime lenientTime `json:"requestedTime"`
}

// job returns a copy of the decoded job.
func (w *jobWire) job() Job { return *w.jobInPlace() }

// jobInPlace completes the decoded job inside w (the times moved into its
// own Job) and returns it, without a copy.
func (w *jobWire) jobInPlace() *Job {
	w.plainJob.LastModified, w.plainJob.CreatedOn, w.plainJob.RequestedTime = w.LastModified.t, w.CreatedOn.t, w.RequestedTime.t
	return (*Job)(&w.plainJob)
}

// lenientTime decodes an RFC 3339 string or epoch milliseconds; anything else
// leaves it zero.
type lenientTime struct{ t time.Time }

func (lt *lenientTime) UnmarshalJSON(b []byte) error {
	// Fast path: a plain quoted timestamp, as Kore sends it.
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' && bytes.IndexByte(b[1:len(b)-1], '\\') < 0 {
		lt.t, _ = time.Parse(time.RFC3339Nano, string(b[1:len(b)-1]))
		return nil
	}
	var s string
	if json.Unmarshal(b, &s) == nil {
		lt.t, _ = time.Parse(time.RFC3339Nano, s)
		return nil
	}
	var ms int64
	if json.Unmarshal(b, &ms) == nil {
		lt.t = time.UnixMilli(ms).UTC()
	}
	return nil
}

// deviceRef is one entry of invalidDeviceIds: {"deviceId": "…"}, or a bare
// string.
type deviceRef struct {
	DeviceID string `json:"deviceId"`
}

func (d *deviceRef) UnmarshalJSON(b []byte) error {
	if json.Unmarshal(b, &d.DeviceID) == nil {
		return nil
	}
	type plain deviceRef
	return json.Unmarshal(b, (*plain)(d))
}

// unsubscribeWire is UnsubscribeResult as Kore spells it.
type unsubscribeWire struct {
	Success      *bool       `json:"success"`
	Message      string      `json:"message"`
	Unsubscribed []Device    `json:"unsubscribedDevices,omitempty"`
	Invalid      []deviceRef `json:"invalidDeviceIds,omitempty"`
}

// UnmarshalJSON decodes Kore's unsubscribe answer, turning invalidDeviceIds
// objects into InvalidDeviceIDs.
func (r *UnsubscribeResult) UnmarshalJSON(b []byte) error {
	var w unsubscribeWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*r = UnsubscribeResult{Message: w.Message, Unsubscribed: w.Unsubscribed, hasSuccess: w.Success != nil}
	if w.Success != nil {
		r.Success = *w.Success
	}
	for _, d := range w.Invalid {
		r.InvalidDeviceIDs = append(r.InvalidDeviceIDs, d.DeviceID)
	}
	return nil
}

// MarshalJSON encodes r as Kore does, with invalidDeviceIds as objects.
func (r UnsubscribeResult) MarshalJSON() ([]byte, error) {
	w := unsubscribeWire{Success: &r.Success, Message: r.Message, Unsubscribed: r.Unsubscribed}
	for _, id := range r.InvalidDeviceIDs {
		w.Invalid = append(w.Invalid, deviceRef{DeviceID: id})
	}
	return json.Marshal(w)
}
