package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestHarnessSmoke runs the whole harness on 200 events in both modes
// against a freshly built korelay and checks correctness only (every
// matching event notified once, with its exact 19-digit id; no call for
// the others; a clean stop) — never speed. Building the korelay binary
// takes longer than a unit test should on a cold cache, so it runs only
// with KORELAY_BENCH_SMOKE=1 (and never with -short).
func TestHarnessSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	if os.Getenv("KORELAY_BENCH_SMOKE") != "1" {
		t.Skip("set KORELAY_BENCH_SMOKE=1 to build korelay and run the load harness on 200 events")
	}
	o := options{
		N: 200, Mode: "both", Rate: 2000, Tick: 2 * time.Millisecond, Runs: 1,
		Timeout: 2 * time.Minute, Stall: 20 * time.Second, Settle: 200 * time.Millisecond,
		Drain: 15 * time.Second, LogLevel: "warn", Pending: 256,
		BudgetMinute: 10000000, BudgetHour: 100000000,
		Bin: os.Getenv("KORELAY_BENCH_BIN"),
	}
	var out strings.Builder
	results, err := run(context.Background(), o, &out)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 2 {
		t.Fatalf("got %d results, want 2 (max and paced)", len(results))
	}
	for _, r := range results {
		if !r.OK || r.Notified != 100 || r.Duplicates != 0 || r.Unexpected != 0 || r.IDMismatches != 0 {
			t.Errorf("%s: ok=%v notified=%d (want 100) duplicates=%d unexpected=%d id mismatches=%d problems=%q",
				r.Mode, r.OK, r.Notified, r.Duplicates, r.Unexpected, r.IDMismatches, r.Problems)
		}
	}
}

// TestParseText checks the id check itself: exact digits pass, anything
// that went through float64 or belongs to someone else fails.
func TestParseText(t *testing.T) {
	good := "Hi Cust42, order 1000000000000000042 is confirmed."
	if i, ok := parseText(good, "c42@example.com", 100); !ok || i != 42 {
		t.Errorf("parseText(%q) = %d, %v; want 42, true", good, i, ok)
	}
	for _, bad := range []struct{ text, identity string }{
		{"Hi Cust42, order 1e+18 is confirmed.", "c42@example.com"},
		{"Hi Cust42, order 1000000000000000000 is confirmed.", "c42@example.com"},
		{"Hi Cust42, order 1000000000000000042 is confirmed.", "c43@example.com"},
		{"Hi Cust42, order 1000000000000000042 has shipped.", "c42@example.com"},
		{"Hi Cust4200, order 1000000000000004200 is confirmed.", "c4200@example.com"}, // beyond n
	} {
		if _, ok := parseText(bad.text, bad.identity, 100); ok {
			t.Errorf("parseText(%q, %q) passed; want a mismatch", bad.text, bad.identity)
		}
	}
	if got := string(payload(nil, 7)); !strings.Contains(got, `"id":1000000000000000007,`) || !strings.Contains(got, `"status":"pending"`) {
		t.Errorf("payload(7) = %s", got)
	}
}
