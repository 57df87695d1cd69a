// Package delivery is the engine between rules and Kore: it turns rendered
// rules.Notifications into Kore notify calls.
//
// For every identity of a live notification it derives an idempotency key
// (rule, dedup key, identity) and skips identities the Ledger has already
// seen; identities racing under the same key are sent once. Pending work
// with the same channel and message is coalesced into calls of at most
// kore.MaxIdentities identities, spent from a smooth rolling-window budget
// (per minute and per hour, every notify and status call counted). Retryable failures are
// retried with exponential backoff and full jitter, honouring Retry-After;
// permanent ones are dead-lettered at once.
//
// Decisions where the design is silent:
//   - A delivery that joins a key already in flight gets that flight's
//     result, except that "sent" is reported to the later one as
//     StatusDuplicate (with the earlier JobID): it caused no send.
//   - Work queued by a Deliver whose context ends is still sent and
//     recorded, so the redelivered event finds it in the ledger.
//   - A Retry-After from Kore holds every call, not only the one refused.
//   - Both rolling windows keep a one-second margin against network jitter.
//   - If the keys of an accepted call cannot be recorded, its identities are
//     still StatusSent (with Outcome.Err set) and Deliver returns no error:
//     acking avoids a certain duplicate.
//   - Device actions (rules.ActionDevices) go through the same in-flight
//     registry, ledger (key: rule, dedup key, action, user and device),
//     retries and dead letters, one Kore call each, but are not spent from
//     the Budget: Kore documents its rate limit for notify and status calls
//     only. A Retry-After from a device endpoint pauses device calls alone.
//     An unsubscribe of one device without an OS type looks it up in the
//     user's device list; a device not listed needs nothing and counts as
//     done.
//
// The engine is a pipeline of stages, each with one job and its own state:
// inFlight claims keys, the ledger lookup drops what was sent, the
// coalescer groups and cuts calls, the dispatcher asks the Budget (an
// interface, so a budget shared by replicas can replace the local one),
// the sender calls Kore on a fixed pool of workers, the retry stage backs
// off or dead-letters, and the recorder records keys before it settles.
//
// An Engine has one dispatcher (Run) and any number of concurrent callers of
// Deliver. A caller that brings work, or a worker that frees up, runs the
// dispatch step itself when no other is running, so a call starts without
// waking Run; Run keeps the timers (budget slots, batch windows, retries).
// The package does not log unless given a Logger.
package delivery
