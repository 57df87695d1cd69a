package main

import (
	"slices"
	"testing"
	"time"
)

// The steady p99 leaves out the events published in the first second:
// a slow start shows in p99 but not in p99 after 1 s, and the ratio of
// each is taken between the systems' own.
func TestSteadyLatency(t *testing.T) {
	chk := &orderCheck{}
	for i := range 1000 {
		took := time.Millisecond
		if i < 100 { // the first 100 ms: a slow start
			took = 50 * time.Millisecond
		}
		chk.latencies = append(chk.latencies, latency{published: time.Duration(i) * time.Millisecond * 10 / 3, took: took})
	}
	all, steady := chk.latencySnapshot(0), chk.latencySnapshot(steadyAfter)
	if len(all) != 1000 || len(steady) != 1000-300 {
		t.Fatalf("%d latencies in all, %d after %s; want 1000 and 700", len(all), len(steady), steadyAfter)
	}
	slices.Sort(all)
	slices.Sort(steady)
	if p99 := quantile(all, 0.99); p99 != 50*time.Millisecond {
		t.Errorf("p99 %s, want the slow start's 50ms", p99)
	}
	if p99 := quantile(steady, 0.99); p99 != time.Millisecond {
		t.Errorf("p99 after %s: %s, want 1ms", steadyAfter, p99)
	}
	rs := ratios([]*Result{
		{Scenario: scenOrders, System: sysKorelay, OK: true, Run: 1, Mode: "paced", P99Ms: 20, P99SteadyMs: 6},
		{Scenario: scenOrders, System: sysReference, OK: true, Run: 1, Mode: "paced", P99Ms: 5, P99SteadyMs: 4},
	})
	if len(rs) != 1 || rs[0].P99 != 4 || rs[0].P99Steady != 1.5 {
		t.Errorf("ratios %+v, want p99 4× and 1.5× after the first second", rs)
	}
}
