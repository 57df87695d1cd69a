package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestHarnessSmoke runs the whole harness at a tiny scale — 200 order
// events in both modes for the reference and korelay, 200 non-matching
// events, and a broadcast to 2,500 identities (3 calls) — against freshly
// built binaries, and checks correctness only (every matching event
// notified once with its exact 19-digit id, no call for the others, every
// event acknowledged, the broadcast's calls and identities, a clean stop)
// and that the ratios are computed — never speed. Building korelay takes
// longer than a unit test should on a cold cache, so it runs only with
// KORELAY_BENCH_SMOKE=1 (and never with -short).
func TestHarnessSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	if os.Getenv("KORELAY_BENCH_SMOKE") != "1" {
		t.Skip("set KORELAY_BENCH_SMOKE=1 to build korelay and the reference and run the load harness at a tiny scale")
	}
	for _, kore := range []string{"lean", "full"} {
		t.Run(kore, func(t *testing.T) { smoke(t, kore) })
	}
}

// smoke runs every scenario once against the kore kind of fake Kore; with
// the full one the reference keeps its ledger too (-ref-ledger).
func smoke(t *testing.T, kore string) {
	o := options{
		N: 200, Mode: "both", Rate: 2000, Tick: 2 * time.Millisecond, Runs: 1,
		Timeout: 3 * time.Minute, Stall: 20 * time.Second, Settle: 200 * time.Millisecond,
		Drain: 15 * time.Second, LogLevel: "warn", Pending: 256,
		BudgetMinute: 10000000, BudgetHour: 100000000,
		Systems: "both", Scenarios: "all", Kore: kore, Workers: 8, Batch: 64,
		BroadcastSize: 2500, BroadcastLead: 3 * time.Second,
		Bin: os.Getenv("KORELAY_BENCH_BIN"), RefBin: os.Getenv("KORELAY_BENCH_REF_BIN"),
		RefLedger: kore == "full",
	}
	var out strings.Builder
	results, err := run(context.Background(), o, &out)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 6 {
		t.Fatalf("got %d results, want 6 (orders max and paced for both systems, nomatch, broadcast)", len(results))
	}
	for _, r := range results {
		want := int64(r.Matching)
		if r.Scenario == scenBroadcast {
			want = int64(o.BroadcastSize)
		}
		if !r.OK || r.Notified != want || r.Duplicates != 0 || r.Unexpected != 0 || r.IDMismatches != 0 {
			t.Errorf("%s: ok=%v notified=%d (want %d) duplicates=%d unexpected=%d id mismatches=%d problems=%q",
				r.label(), r.OK, r.Notified, want, r.Duplicates, r.Unexpected, r.IDMismatches, r.Problems)
		}
	}
	if rs := ratios(results); len(rs) != 2 {
		t.Errorf("got %d ratios, want 2 (max and paced)", len(rs))
	}
	if !strings.Contains(out.String(), "korelay ÷ reference") {
		t.Error("no ratio table in the output")
	}
	if got := strings.Contains(out.String(), "-ref-ledger"); got != o.RefLedger {
		t.Errorf("output names -ref-ledger: %v, want %v", got, o.RefLedger)
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
		{"Hi Cust42, order +000000000000000042 is confirmed.", "c42@example.com"},
		{"Hi Cust042, order 1000000000000000042 is confirmed.", "c42@example.com"},
		{"Hi Cust4200, order 1000000000000004200 is confirmed.", "c4200@example.com"}, // beyond n
	} {
		if _, ok := parseText(bad.text, bad.identity, 100); ok {
			t.Errorf("parseText(%q, %q) passed; want a mismatch", bad.text, bad.identity)
		}
	}
	set := orders{n: 10}
	if got := string(set.payload(nil, 7)); !strings.Contains(got, `"id":1000000000000000007,`) || !strings.Contains(got, `"status":"pending"`) {
		t.Errorf("payload(7) = %s", got)
	}
	if got := string(orders{n: 10, none: true}.payload(nil, 6)); !strings.Contains(got, `"status":"pending"`) {
		t.Errorf("nomatch payload(6) = %s, want pending", got)
	}
}
