package rules

import "time"

// Mode says whether a rule's notifications are sent.
type Mode string

// Rule modes.
const (
	// ModeLive sends notifications.
	ModeLive Mode = "live"
	// ModeShadow evaluates, logs and counts, but never sends.
	ModeShadow Mode = "shadow"
)

// Action is what a notification asks the delivery side to do. The set is
// closed and small on purpose; adapters switch on it.
type Action string

// Actions.
const (
	// ActionNotify sends a proactive message to identities on a channel.
	ActionNotify Action = "notify"
	// ActionDevices subscribes or unsubscribes a Kore user's SDK push
	// devices (Notification.Devices says which).
	ActionDevices Action = "devices"
)

// Device operations of a DeviceAction, and the device that stands for
// every device of the user.
const (
	DevicesSubscribe   = "subscribe"
	DevicesUnsubscribe = "unsubscribe"
	AllDevices         = "all"
)

// OS types as Kore spells them.
const (
	OSAndroid = "Android"
	OSiOS     = "iOS"
)

// DeviceAction is what a devices rule asks for one Kore user.
type DeviceAction struct {
	// Action is DevicesSubscribe or DevicesUnsubscribe.
	Action string `json:"action"`
	// User is the Kore user id ("u-…").
	User string `json:"user"`
	// Device is the device id, or AllDevices (unsubscribe only).
	Device string `json:"device"`
	// OS is OSAndroid or OSiOS; empty for an unsubscribe that did not give
	// it (the device's type is then looked up) and for all devices.
	OS string `json:"os,omitempty"`
}

// Reasons a notification is held.
const (
	// HoldQuiet: it would be sent inside its rule's quiet hours.
	HoldQuiet = "quiet_hours"
	// HoldDigest: it is an item of its rule's digest.
	HoldDigest = "digest"
)

// Hold says that a notification is not sent now but at Until.
type Hold struct {
	// Reason is HoldQuiet or HoldDigest.
	Reason string `json:"reason"`
	// Until is when it is released: when the quiet hours end in Zone, or
	// when the digest's period ends (its digest is sent then).
	Until time.Time `json:"until"`
	// Zone names the time zone Until was computed in.
	Zone string `json:"zone"`
}

// Notification is one rendered message for a set of identities, produced by
// one rule for one event.
type Notification struct {
	EventID string `json:"event_id"`
	Rule    string `json:"rule"`
	Mode    Mode   `json:"mode"`
	Action  Action `json:"action"`
	// Channel is "msteams" or "slack".
	Channel string `json:"channel"`
	// MessageType is "text" or "script".
	MessageType string `json:"message_type"`
	// Message is the rendered text or JavaScript.
	Message string `json:"message"`
	// Identities are the selected users, deduplicated, in first-seen order.
	Identities []string `json:"identities"`
	// DedupKey is the rendered dedup key; empty when the rule has no dedup.
	DedupKey string `json:"dedup_key,omitempty"`
	// DedupFor is how long the idempotency keys are kept.
	DedupFor time.Duration `json:"-"`
	// Devices is the device action of an ActionDevices notification, whose
	// Identities are then the one user; nil for ActionNotify.
	Devices *DeviceAction `json:"devices,omitempty"`
	// Hold, when set, defers the notification: quiet hours or a digest.
	Hold *Hold `json:"hold,omitempty"`
}

// Failure reasons: why a rule could not produce its notification. They
// are the dead-letter reasons of such failures.
const (
	// ReasonRender is a rule whose expression or template failed on the
	// event, such as a template referring to a missing key.
	ReasonRender = "render"
	// ReasonDecode is a rule that reads fields of the event (event.status
	// in an expression, .event.status in a template) whose payload is not
	// a JSON object: a JSON array, number, boolean or null, or a string (a
	// text/plain or non-JSON body).
	ReasonDecode = "decode"
)

// Failure is a rule that matched an event but could not produce its
// notification (for example a template referring to a missing key). It is
// counted and dead-lettered, never silently dropped.
type Failure struct {
	EventID string
	Rule    string
	// Reason is ReasonRender or ReasonDecode.
	Reason string
	// Err says what failed; for ReasonDecode it names the payload's type
	// and a field the rule reads ("rule order-shipped: event payload is a
	// JSON array, not an object (the rule reads event.status)") and wraps
	// the evaluation error.
	Err error
}

// Result is what one event produced. It holds strings and values of its
// own, never the maps of the event's decoded payload: Evaluate reuses
// those for later events (see Event.JSON).
type Result struct {
	Notifications []Notification
	Failures      []Failure
	// Matched lists the names of rules whose trigger and condition matched.
	Matched []string
}
