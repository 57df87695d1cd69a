package main

import (
	"context"
	"fmt"
)

// job is one measurement: a scenario, its mode and the system under test,
// each against its own NATS store, fake Kore and process.
type job struct {
	scenario, mode, system string
}

// name names the job's temp folder and its errors.
func (j job) name() string {
	if j.mode == "" {
		return j.scenario + "-" + j.system
	}
	return fmt.Sprintf("%s-%s-%s", j.scenario, j.mode, j.system)
}

// run measures the job.
func (j job) run(ctx context.Context, o options, b bins, dir string) (*Result, error) {
	if j.scenario == scenBroadcast {
		return runBroadcast(ctx, o, b.korelay, dir)
	}
	return runOrders(ctx, o, b, j, dir)
}

// jobs lists run r's jobs in order: for each mode of the orders scenario
// the reference and korelay back to back (alternating which goes first),
// then the korelay-only scenarios.
func (o options) jobs(r int) []job {
	var js []job
	if o.has(scenOrders) {
		for _, mode := range o.modes() {
			for _, sys := range o.systems(r) {
				js = append(js, job{scenario: scenOrders, mode: mode, system: sys})
			}
		}
	}
	if o.has(scenNoMatch) {
		js = append(js, job{scenario: scenNoMatch, mode: "max", system: sysKorelay})
	}
	if o.has(scenBroadcast) {
		js = append(js, job{scenario: scenBroadcast, system: sysKorelay})
	}
	return js
}
