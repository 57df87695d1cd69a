package cron

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/korelay/korelay/internal/syncbuf"
	"github.com/korelay/korelay/triggers"
)

func TestFiresEverySecond(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sleepUntil(t, "2026-06-01T10:00:00Z")
		pub, state := &fakePublisher{}, newFakeState()
		tr := New(pub, state, Options{})
		stop := start(t, tr, []Job{{Rule: "tick", Schedule: mustParse(t, "* * * * * *", "Europe/Berlin")}})
		time.Sleep(3500 * time.Millisecond)
		synctest.Wait()
		stop()

		want := msgIDs("tick", "2026-06-01T10:00:01Z", "2026-06-01T10:00:02Z", "2026-06-01T10:00:03Z")
		if got := pub.ids(); !slices.Equal(got, want) {
			t.Fatalf("msg ids = %v, want %v", got, want)
		}
		if want[0] != "cron:tick:1780308001" {
			t.Fatalf("msg id %s", want[0])
		}
		msg := pub.msgs[0]
		if msg.Subject != triggers.CronSubject("tick") {
			t.Errorf("subject = %s", msg.Subject)
		}
		if got := msg.Header.Get(triggers.HeaderReceived); got != "2026-06-01T10:00:01Z" {
			t.Errorf("%s = %s", triggers.HeaderReceived, got)
		}
		body := decodeBody(t, msg)
		wantBody := map[string]string{"rule": "tick",
			"scheduled": "2026-06-01T12:00:01+02:00", "fired": "2026-06-01T12:00:01+02:00"}
		for k, v := range wantBody {
			if body[k] != v {
				t.Errorf("body[%q] = %q, want %q", k, body[k], v)
			}
		}
		if len(body) != len(wantBody) {
			t.Errorf("body = %v, want keys rule, scheduled, fired", body)
		}
		if got := state.get("tick"); !got.Equal(time.Date(2026, 6, 1, 10, 0, 3, 0, time.UTC)) {
			t.Errorf("last fired = %v", got)
		}
	})
}

func TestCatchUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sleepUntil(t, "2026-06-01T10:30:00Z")
		pub, state := &fakePublisher{}, newFakeState()
		for _, rule := range []string{"windowed", "plain"} {
			state.last[rule] = time.Date(2026, 6, 1, 4, 0, 0, 0, time.UTC)
		}
		var logs syncbuf.Buffer
		tr := New(pub, state, Options{Logger: logTo(&logs)})
		hourly := mustParse(t, "0 * * * *", "UTC")
		stop := start(t, tr, []Job{
			{Rule: "windowed", Schedule: hourly, CatchUp: 3 * time.Hour},
			{Rule: "plain", Schedule: hourly},                         // no catch_up: no replay
			{Rule: "fresh", Schedule: hourly, CatchUp: 3 * time.Hour}, // never fired: no replay
		})
		synctest.Wait()
		want := msgIDs("windowed", "2026-06-01T08:00:00Z", "2026-06-01T09:00:00Z", "2026-06-01T10:00:00Z")
		if got := pub.ids(); !slices.Equal(got, want) {
			t.Fatalf("replayed %v, want %v", got, want)
		}
		if !strings.Contains(logs.String(), "not replayed") || !strings.Contains(logs.String(), "rule=windowed") {
			t.Errorf("no log line for fires older than catch_up:\n%s", logs.String())
		}
		if got := state.get("windowed"); !got.Equal(time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)) {
			t.Errorf("last fired = %v", got)
		}

		sleepUntil(t, "2026-06-01T11:00:30Z")
		stop()
		if got := pub.ids(); len(got) != 6 {
			t.Errorf("after 11:00 published %v, want 3 replays and 3 fires", got)
		}
	})
}

func TestPublishRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sleepUntil(t, "2026-06-01T10:00:00Z")
		failures := 3
		pub := &fakePublisher{fail: func(*nats.Msg) error {
			if failures > 0 {
				failures--
				return errors.New("nats: timeout")
			}
			return nil
		}}
		var fires []error
		tr := New(pub, newFakeState(), Options{OnFire: func(_ string, _ time.Time, err error) {
			fires = append(fires, err)
		}})
		stop := start(t, tr, []Job{{Rule: "r", Schedule: mustParse(t, "* * * * *", "UTC")}})
		sleepUntil(t, "2026-06-01T10:01:30Z")
		stop()
		if got, want := pub.ids(), msgIDs("r", "2026-06-01T10:01:00Z"); !slices.Equal(got, want) {
			t.Fatalf("published %v, want %v", got, want)
		}
		if pub.attempts != 4 || len(fires) != 1 || fires[0] != nil {
			t.Errorf("attempts = %d, OnFire calls = %v; want 4 attempts, one successful fire", pub.attempts, fires)
		}
	})
}

func TestPublishGivesUpAtNextFire(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sleepUntil(t, "2026-06-01T10:00:00Z")
		first := MsgID("r", time.Date(2026, 6, 1, 10, 1, 0, 0, time.UTC))
		pub := &fakePublisher{fail: func(msg *nats.Msg) error {
			if msg.Header.Get(nats.MsgIdHdr) == first {
				return errors.New("nats: no responders")
			}
			return nil
		}}
		var mu sync.Mutex
		var fires []error
		var logs syncbuf.Buffer
		tr := New(pub, newFakeState(), Options{Logger: logTo(&logs), OnFire: func(_ string, _ time.Time, err error) {
			mu.Lock()
			defer mu.Unlock()
			fires = append(fires, err)
		}})
		stop := start(t, tr, []Job{{Rule: "r", Schedule: mustParse(t, "* * * * *", "UTC")}})
		sleepUntil(t, "2026-06-01T10:02:30Z")
		stop()
		if got, want := pub.ids(), msgIDs("r", "2026-06-01T10:02:00Z"); !slices.Equal(got, want) {
			t.Fatalf("published %v, want %v", got, want)
		}
		if len(fires) != 2 || fires[0] == nil || fires[1] != nil {
			t.Errorf("OnFire errors = %v, want [failure, nil]", fires)
		}
		if !strings.Contains(logs.String(), `level=ERROR msg="cron fire not published" rule=r scheduled=2026-06-01T10:01:00.000Z`) {
			t.Errorf("lost fire not logged:\n%s", logs.String())
		}
	})
}

func TestUpdate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sleepUntil(t, "2026-06-01T10:00:00Z")
		pub := &fakePublisher{}
		tr := New(pub, newFakeState(), Options{})
		every := func(spec string) Job {
			return Job{Rule: spec, Schedule: mustParse(t, spec, "UTC")}
		}
		stop := start(t, tr, []Job{every("*/2 * * * * *"), every("*/3 * * * * *")})
		time.Sleep(4500 * time.Millisecond) // fires at 2, 3, 4
		// Keep */2 (a new but equal Schedule value), drop */3, add */5.
		tr.Update([]Job{every("*/2 * * * * *"), every("*/5 * * * * *")})
		time.Sleep(6 * time.Second) // until 10.5: */2 at 6, 8, 10; */5 at 5, 10
		synctest.Wait()
		stop()
		count := map[string][]string{}
		for _, m := range pub.msgs {
			count[m.Subject] = append(count[m.Subject], m.Header.Get(nats.MsgIdHdr))
		}
		want := map[string][]string{
			"*/2 * * * * *": msgIDs("*/2 * * * * *", "2026-06-01T10:00:02Z", "2026-06-01T10:00:04Z",
				"2026-06-01T10:00:06Z", "2026-06-01T10:00:08Z", "2026-06-01T10:00:10Z"),
			"*/3 * * * * *": msgIDs("*/3 * * * * *", "2026-06-01T10:00:03Z"),
			"*/5 * * * * *": msgIDs("*/5 * * * * *", "2026-06-01T10:00:05Z", "2026-06-01T10:00:10Z"),
		}
		for rule, ids := range want {
			if got := count[triggers.CronSubject(rule)]; !slices.Equal(got, ids) {
				t.Errorf("%s published %v, want %v", rule, got, ids)
			}
		}
	})
}

func TestUpdateBeforeRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pub := &fakePublisher{}
		tr := New(pub, newFakeState(), Options{})
		tr.Update([]Job{{Rule: "new", Schedule: mustParse(t, "* * * * * *", "UTC")}})
		stop := start(t, tr, []Job{{Rule: "old", Schedule: mustParse(t, "* * * * * *", "UTC")}})
		time.Sleep(1500 * time.Millisecond)
		synctest.Wait()
		stop()
		if got := pub.ids(); len(got) != 1 || !strings.HasPrefix(got[0], "cron:new:") {
			t.Errorf("published %v, want one fire of the updated job", got)
		}
	})
}

func TestCancelStopsBlockedPublish(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		block := make(chan struct{})
		pub := &blockingPublisher{block: block}
		tr := New(pub, newFakeState(), Options{})
		stop := start(t, tr, []Job{{Rule: "r", Schedule: mustParse(t, "* * * * * *", "UTC")}})
		time.Sleep(1500 * time.Millisecond) // the first fire is now stuck in Publish
		synctest.Wait()
		stop() // checks that Run returns without the clock advancing
		close(block)
	})
}

// blockingPublisher blocks every publish until its context is done.
type blockingPublisher struct{ block chan struct{} }

func (p *blockingPublisher) Publish(ctx context.Context, _ *nats.Msg) (string, error) {
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case <-p.block:
		return "", errors.New("unblocked")
	}
}

func TestDSTDays(t *testing.T) {
	for _, tc := range []struct {
		name, spec, zone, from, until string
		want                          []string
	}{{
		name: "New York fall-back fires once", spec: "30 1 * * *", zone: "America/New_York",
		from: "2026-11-01T00:00:00-04:00", until: "2026-11-02T02:00:00-05:00",
		want: []string{"2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"},
	}, {
		name: "Berlin hourly fall-back", spec: "0 * * * *", zone: "Europe/Berlin",
		from: "2026-10-25T01:30:00+02:00", until: "2026-10-25T03:30:00+01:00",
		want: []string{"2026-10-25T02:00:00+02:00", "2026-10-25T03:00:00+01:00"},
	}, {
		name: "Berlin spring-forward fires after the gap", spec: "30 2 * * *", zone: "Europe/Berlin",
		from: "2026-03-29T00:00:00+01:00", until: "2026-03-29T12:00:00+02:00",
		want: []string{"2026-03-29T03:00:00+02:00"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sleepUntil(t, tc.from)
				pub := &fakePublisher{}
				stop := start(t, New(pub, newFakeState(), Options{}),
					[]Job{{Rule: "r", Schedule: mustParse(t, tc.spec, tc.zone)}})
				sleepUntil(t, tc.until)
				stop()
				if got, want := pub.ids(), msgIDs("r", tc.want...); !slices.Equal(got, want) {
					t.Fatalf("published %v, want %v", got, want)
				}
				for i, m := range pub.msgs {
					if got := decodeBody(t, m)["scheduled"]; got != tc.want[i] {
						t.Errorf("fire %d scheduled = %s, want %s", i, got, tc.want[i])
					}
				}
			})
		})
	}
}

func TestRunRejectsInvalidJobs(t *testing.T) {
	s := mustParse(t, "@daily", "UTC")
	for name, jobs := range map[string][]Job{
		"empty rule":  {{Schedule: s}},
		"no schedule": {{Rule: "r"}},
		"duplicate":   {{Rule: "r", Schedule: s}, {Rule: "r", Schedule: s}},
		"negative":    {{Rule: "r", Schedule: s, CatchUp: -time.Hour}},
	} {
		t.Run(name, func(t *testing.T) {
			if err := New(&fakePublisher{}, newFakeState(), Options{}).Run(t.Context(), jobs); err == nil {
				t.Error("Run accepted invalid jobs")
			}
		})
	}
}
