// Package triggers turns the outside world into rules.Events. Its
// subpackages are the triggers (webhook, cron; NATS subjects are consumed
// straight from the ingest stream); this package holds what they share: how
// an event is written to NATS and read back.
package triggers
