package service

// The status page in a real browser: headless Chromium (Debian's
// chromium package) driven by chromedp. The test skips when Chromium is
// absent, unless KORELAY_REQUIRE_CHROMIUM=1 (CI installs it). Its
// screenshots go to t.ArtifactDir(): keep them with
// `go test -run Browser -artifacts -outputdir DIR ./service`.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/korelay/korelay/broker"
	"github.com/korelay/korelay/kore"
	"github.com/korelay/korelay/kore/koretest"
)

// findChromium returns the browser to drive, or skips the test (fails it
// when KORELAY_REQUIRE_CHROMIUM=1).
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{os.Getenv("KORELAY_CHROMIUM"), "chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if name == "" {
			continue
		}
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("KORELAY_REQUIRE_CHROMIUM") == "1" {
		t.Fatal("Chromium is required (KORELAY_REQUIRE_CHROMIUM=1) but not installed: apt-get install -y chromium")
	}
	t.Skip("Chromium is not installed (apt-get install -y chromium); set KORELAY_REQUIRE_CHROMIUM=1 to fail instead")
	return ""
}

// browser starts headless Chromium with a fresh profile; the context ends
// with the test.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(findChromium(t)),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser, for as long as ctx
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// browserStep bounds one step in the browser.
const browserStep = 30 * time.Second

// do runs steps in the browser, failing the test on an error.
func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, browserStep)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// text returns the text of the element sel selects.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, browserStep)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// screenshot saves the full page as name in the test's artifact folder.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, browserStep)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100: PNG
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	file := filepath.Join(t.ArtifactDir(), name)
	if err := os.WriteFile(file, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", file)
}

const browserRules = `
rules:
  - name: order-shipped
    description: Tell the customer their order shipped.
    on: {webhook: shop}
    when: event.status == "shipped"
    notify: {channel: slack, to: event.email, text: "Order {{ .event.id }} has shipped."}
  - name: order-delayed
    description: Apologise for a delay (its template reads a field some events lack).
    on: {webhook: shop}
    when: event.status == "delayed"
    notify: {channel: msteams, to: event.email, text: "Sorry {{ .event.customer.name }}, order {{ .event.id }} is late."}
  - name: weekly-expenses
    description: Remind finance every Monday.
    on: {cron: "0 9 * * MON"}
    notify: {channel: msteams, groups: [finance], text: "File your expense reports."}
  - name: password-expiry
    description: Shadow trial of a password nudge.
    mode: shadow
    on: {nats: "iam.password.expiring"}
    notify: {channel: msteams, to: event.user, text: "Your password expires soon."}
`

// The status page on a normal and on an error-heavy day, in a real
// browser: an event is followed to its story, and a dead letter (Kore
// refused the call) is replayed with the page's button and reaches Kore.
func TestE2EBrowserStatusPage(t *testing.T) {
	ctx := browser(t)
	e := startE2E(t, e2eSpec{
		Extra: "webhooks:\n  shop:\n    auth: {type: bearer, secret: tok}\ngroups:\n  finance: [fin@example.com]\n",
		Rules: browserRules,
	})
	post := func(body string) string {
		code, resp := e.do("POST", "/hooks/shop", body, bearer("tok"))
		return acceptedID(t, "webhook", code, resp)
	}

	// A normal day: orders ship, a few events match nothing.
	for i := range 6 {
		post(fmt.Sprintf(`{"id": %d, "status": "shipped", "email": "c%d@example.com"}`, 100+i, i))
	}
	post(`{"id": 200, "status": "pending", "email": "p@example.com"}`)
	post(`{"id": 201, "status": "cancelled", "email": "q@example.com"}`)
	e.publish("iam.password.expiring", `{"user": "ann@example.com"}`)
	e.waitCalls(6)
	e.waitRecent(9)
	do(t, ctx, chromedp.Navigate(e.url("/")), chromedp.WaitVisible(chromedp.CSS("#events")))
	screenshot(t, ctx, "normal-day.png")

	// An error-heavy day: Kore refuses calls, a template fails, a 429.
	e.kore.FailNext(3, koretest.Failure{Endpoint: kore.EndpointNotify, Status: 400,
		Body: `{"errors":[{"msg":"Invalid identity","code":400}]}`})
	var refused []string
	for i := range 3 {
		refused = append(refused, post(fmt.Sprintf(`{"id": %d, "status": "shipped", "email": "r%d@example.com"}`, 300+i, i)))
	}
	broken := post(`{"id": 400, "status": "delayed", "email": "d@example.com"}`)
	e.kore.FailNext(1, koretest.Failure{Endpoint: kore.EndpointNotify, Status: 429, RetryAfter: "1"})
	post(`{"id": 500, "status": "shipped", "email": "late@example.com"}`)
	eventually(t, e2eDeadline, func() bool { return len(e.deadLetters()) == 4 },
		func() string { return fmt.Sprintf("%d dead letters, want 4", len(e.deadLetters())) })
	e.waitCalls(7)
	e.waitRecent(14)
	do(t, ctx, chromedp.Navigate(e.url("/")), chromedp.WaitVisible(chromedp.CSS("#dead-letters")))
	screenshot(t, ctx, "error-day.png")

	// Follow the failed template's event to its story.
	do(t, ctx, chromedp.Click(chromedp.CSS(`#events a[href="/events/`+broken+`"]`)), chromedp.WaitVisible(chromedp.CSS("h1")))
	story := text(t, ctx, "main")
	for _, want := range []string{"Event " + broken, "dead-lettered", "order-delayed", "render error", "order-shipped", "when false", "customer"} {
		if !strings.Contains(story, want) {
			t.Errorf("the story of %s lacks %q:\n%s", broken, want, story)
		}
	}
	screenshot(t, ctx, "event-story.png")

	// Replay a refused event from the page: Kore receives it.
	target := refused[0]
	before := len(e.notifyCalls())
	replay := chromedp.Search(`//form[@action="/dlq/replay"][input[@name="event_id"][@value="` + target + `"]]/button`)
	do(t, ctx, chromedp.Navigate(e.url("/")), chromedp.WaitVisible(replay))
	do(t, ctx, chromedp.Click(replay), chromedp.WaitVisible(chromedp.CSS("p.alert")))
	notice := text(t, ctx, "p.alert.ok")
	if !strings.Contains(notice, "replayed 1 event(s) of "+target) {
		t.Errorf("after replay the page says %q", notice)
	}
	calls := e.waitCalls(before + 1)
	if ids := identitiesOf(calls[before:]); !slices.Equal(ids, []string{"r0@example.com"}) {
		t.Errorf("after the replay Kore got %v, want r0@example.com once", ids)
	}
	eventually(t, e2eDeadline, func() bool { return len(e.deadLetters()) == 3 },
		func() string { return fmt.Sprintf("%d dead letters after the replay, want 3", len(e.deadLetters())) })
	var replayed string
	eventually(t, e2eDeadline, func() bool {
		do(t, ctx, chromedp.Navigate(e.url("/events/"+target)), chromedp.WaitVisible(chromedp.CSS("h1")))
		replayed = text(t, ctx, "main")
		return strings.Contains(replayed, "(replayed)") && strings.Contains(replayed, "Event "+target+" sent")
	}, func() string { return "the story after the replay:\n" + replayed })
	screenshot(t, ctx, "replayed-story.png")
}

// deadLetters lists the dead letters stored now.
func (e *e2e) deadLetters() []string {
	e.t.Helper()
	dls, err := e.broker().DeadLetters(context.Background(), broker.DLQFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	var ids []string
	for _, d := range dls {
		ids = append(ids, d.EventID)
	}
	return ids
}

// waitRecent waits until the status page's memory lists n events settled.
func (e *e2e) waitRecent(n int) {
	e.t.Helper()
	mem := e.svc.running.Load().journal.memory()
	eventually(e.t, e2eDeadline, func() bool {
		recent := mem.Recent(100)
		settled := 0
		for _, s := range recent {
			if s.Outcome != "pending" {
				settled++
			}
		}
		return settled >= n
	}, func() string { return fmt.Sprintf("want %d settled events in memory", n) })
}
