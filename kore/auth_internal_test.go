package kore

import (
	"strings"
	"sync"
	"testing"
	"time"
)

func TestTokenCacheRefreshesBeforeExpiry(t *testing.T) {
	now := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	s := &tokenSource{clientID: "cs-1", secret: []byte("k"), now: func() time.Time { return now }}
	first := mustToken(t, s)
	steps := []struct {
		advance time.Duration
		same    bool
	}{
		{time.Minute, true},
		{tokenLifetime - tokenRefreshBefore - 2*time.Minute, true}, // just before the refresh point
		{2 * time.Minute, false},                                   // at it: a new token
	}
	prev := first
	for i, st := range steps {
		now = now.Add(st.advance)
		tok := mustToken(t, s)
		if (tok == prev) != st.same {
			t.Fatalf("step %d (+%v): token reused = %v, want %v", i, st.advance, tok == prev, st.same)
		}
		prev = tok
	}
}

func TestEnforcedJTITokensAreFreshAndConcurrent(t *testing.T) {
	s := &tokenSource{clientID: "cs-1", secret: []byte("k"), enforceJTI: true, now: time.Now}
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			tok := mustToken(t, s)
			mu.Lock()
			seen[tok] = true
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(seen) != 50 {
		t.Errorf("50 requests got %d distinct tokens", len(seen))
	}
}

func TestCachedTokenIsSharedUnderConcurrency(t *testing.T) {
	s := &tokenSource{clientID: "cs-1", secret: []byte("k"), now: time.Now}
	var wg sync.WaitGroup
	toks := make([]string, 20)
	for i := range toks {
		wg.Go(func() { toks[i] = mustToken(t, s) })
	}
	wg.Wait()
	for _, tok := range toks {
		if tok != toks[0] {
			t.Fatal("concurrent callers got different cached tokens")
		}
	}
}

func mustToken(t *testing.T, s *tokenSource) string {
	t.Helper()
	tok, err := s.token()
	if err != nil || strings.Count(tok, ".") != 2 {
		t.Fatalf("token() = %q, %v", tok, err)
	}
	return tok
}
