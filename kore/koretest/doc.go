// Package koretest provides a fake Kore.ai server for tests: an in-process
// httptest server that speaks the notify, notify-status and SDK push device
// APIs the way Kore documents them, and refuses every request that breaks
// the documented contract, so a test fails where Kore would.
//
// What the fake checks, in this order, for every request:
//
//  1. Path and method: unknown paths (including another bot id) answer 404,
//     a known path with the wrong method 405.
//  2. The `auth` header: an HS256 JWT signed with ClientSecret whose appId is
//     ClientID, with iat and exp (exp after iat by at most an hour, not yet
//     past), and with WithEnforceJTI a jti never seen before. Otherwise 401
//     with code 4002.
//  3. Queued failures (FailNext), then the rolling rate-limit windows
//     (notify and notify status only; 600 a minute and 18,000 an hour by
//     default): 429 with Kore's rate-limit text and a Retry-After.
//  4. Content-Type application/json on bodies (415 otherwise), then the body:
//     unknown fields, a channel other than msteams|slack, a userIdentityType
//     other than "resolve", a message type other than text|script, an empty
//     message, no or more than 1000 identities, an empty identity, a missing
//     device id or user id, an OS type other than Android|iOS, and an
//     unsubscribe with both or neither of devices and unsubscribe "all"
//     answer 400.
//
// Error answers carry Kore's body: {"errors":[{"msg":"…","code":…}]}.
//
// Accepted notify calls start a job (status IN_PROGRESS, _id "ds-…"); the
// status endpoint reports it done on the first poll (or after
// WithCompleteAfter polls) with one status log per identity: identities
// named with SetUnknownIdentities fail with "Identity is not associated with
// the channel", so a job can end in SUCCESS, PARTIAL_SUCCESS or FAILURE.
// Device subscriptions are kept per user.
//
// Every request, accepted or not, is recorded (Calls, NotifyCalls,
// MaxInWindow). A Server is safe for concurrent use.
package koretest
