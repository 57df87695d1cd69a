package delivery

import (
	"crypto/sha256"
	"encoding/hex"
)

// keyLen is the length of an idempotency key: 128 bits in hex.
const keyLen = 32

// IdempotencyKey is the ledger key of one identity notified by one rule under
// one dedup key: the first 32 hex digits of sha256(rule \x00 dedupKey \x00
// identity). It is safe as a JetStream KV key.
func IdempotencyKey(rule, dedupKey, identity string) string {
	var buf [256]byte
	return hashKey(buf[:0], rule, dedupKey, identity)
}

// hashKey is IdempotencyKey writing through buf to avoid an allocation on
// the hot path for short inputs.
func hashKey(buf []byte, rule, dedupKey, identity string) string {
	buf = append(buf, rule...)
	buf = append(buf, 0)
	buf = append(buf, dedupKey...)
	buf = append(buf, 0)
	buf = append(buf, identity...)
	sum := sha256.Sum256(buf)
	var out [keyLen]byte
	hex.Encode(out[:], sum[:keyLen/2])
	return string(out[:])
}

// eventDedupKey is the dedup key of a notification whose rule has none: the
// event id, so a redelivered event is not notified twice.
func eventDedupKey(eventID string) string {
	return "event:" + eventID
}
