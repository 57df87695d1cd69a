package delivery_test

import (
	"testing"

	"github.com/korelay/korelay/adapters/delivery"
)

func TestIdempotencyKey(t *testing.T) {
	// printf 'order-shipped\0o-42\0ann@example.com' | sha256sum | cut -c1-32
	const want = "4574033f012387434d57eb9a341d30d7"
	if got := delivery.IdempotencyKey("order-shipped", "o-42", "ann@example.com"); got != want {
		t.Errorf("key %q, want %q", got, want)
	}
	// The separator keeps field boundaries apart.
	if delivery.IdempotencyKey("a", "bc", "d") == delivery.IdempotencyKey("ab", "c", "d") {
		t.Error("keys of different fields collide")
	}
	long := make([]byte, 1000)
	if k := delivery.IdempotencyKey(string(long), "k", "id"); len(k) != 32 {
		t.Errorf("key length %d, want 32", len(k))
	}
}
