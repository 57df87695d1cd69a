package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/korelay/korelay/broker"
	"github.com/korelay/korelay/journal"
)

// Page sizes.
const (
	recentEvents    = 50
	shownDeadLetter = 200
)

// base is what every page's layout needs.
type base struct {
	Title string
	// CSRF is the token every form posts; empty on pages without forms.
	CSRF string
	// LoggedIn shows the log-out button.
	LoggedIn bool
	Now      time.Time
}

// PageTitle is the layout's <title>.
func (b base) PageTitle() string { return b.Title }

type statusData struct {
	base
	Status      Status
	Budget      budgetView
	Rules       []Rule
	Recent      []journal.Summary
	DeadLetters []broker.DeadLetter
	MoreLetters int
	LettersNote string
	Notice      string
}

// budgetView is the budget with the bars' widths.
type budgetView struct {
	broker.Usage
	MinutePct, HourPct int
	Paused             bool
}

func viewBudget(u broker.Usage, now time.Time) budgetView {
	return budgetView{Usage: u, MinutePct: pct(u.Minute, u.PerMinute), HourPct: pct(u.Hour, u.PerHour),
		Paused: u.PausedUntil.After(now)}
}

func pct(n, of int) int {
	if of <= 0 {
		return 0
	}
	return min(100, n*100/of)
}

func (p *Page) status(w http.ResponseWriter, r *http.Request, csrf string) {
	src := p.opts.Source
	now := p.opts.Now()
	d := statusData{base: p.base(r, "korelay status", csrf, now), Status: src.Status(),
		Budget: viewBudget(src.Budget(), now), Rules: src.Rules(), Recent: src.Recent(recentEvents),
		Notice: r.URL.Query().Get("done")}
	letters, err := src.DeadLetters(r.Context())
	switch {
	case errors.Is(err, ErrNoDeadLetters):
		d.LettersNote = err.Error()
	case err != nil:
		p.log.Warn("status page: dead letters", "err", err)
		d.LettersNote = "dead letters could not be read: " + err.Error()
	}
	if n := len(letters); n > shownDeadLetter {
		d.MoreLetters, letters = n-shownDeadLetter, letters[n-shownDeadLetter:]
	}
	slices.Reverse(letters) // newest first
	d.DeadLetters = letters
	p.render(w, http.StatusOK, "status.html", d)
}

type eventData struct {
	base
	Story *journal.Story
}

func (p *Page) event(w http.ResponseWriter, r *http.Request, csrf string) {
	id := r.PathValue("id")
	st, err := p.opts.Source.Story(r.Context(), id)
	switch {
	case errors.Is(err, journal.ErrUnknownEvent):
		p.failure(w, http.StatusNotFound, "Unknown event",
			"korelay recorded nothing of event "+id+": the journal keeps journal.max_age (24h by default), and no dead letter carries that id.")
		return
	case err != nil:
		p.log.Warn("status page: story", "event_id", id, "err", err)
		p.failure(w, http.StatusBadGateway, "Story unavailable", "The journal could not be read: "+err.Error())
		return
	}
	p.render(w, http.StatusOK, "event.html", eventData{base: p.base(r, "event "+id, csrf, p.opts.Now()), Story: st})
}

func (p *Page) replay(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimSpace(r.PostForm.Get("event_id"))
	if id == "" {
		p.failure(w, http.StatusBadRequest, "Bad request", "Name the event to replay.")
		return
	}
	n, err := p.opts.Source.Replay(r.Context(), id)
	p.afterAction(w, r, fmt.Sprintf("replayed %d event(s) of %s", n, id), id, err)
}

func (p *Page) drop(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimSpace(r.PostForm.Get("event_id"))
	if id == "" {
		p.failure(w, http.StatusBadRequest, "Bad request", "Name the event whose dead letters to drop.")
		return
	}
	n, err := p.opts.Source.Drop(r.Context(), id, strings.TrimSpace(r.PostForm.Get("rule")))
	p.afterAction(w, r, fmt.Sprintf("dropped %d dead letter(s) of %s", n, id), id, err)
}

// afterAction logs a replay or drop and shows the page again with a note
// (post, redirect, get: a reload does not repeat it).
func (p *Page) afterAction(w http.ResponseWriter, r *http.Request, done, id string, err error) {
	if err != nil {
		p.log.Warn("status page: "+done, "event_id", id, "err", err)
		p.failure(w, http.StatusBadGateway, "Not done", done+": "+err.Error())
		return
	}
	p.log.Info("status page: "+done, "event_id", id, "remote", r.RemoteAddr)
	http.Redirect(w, r, "/?done="+url.QueryEscape(done)+"#dead-letters", http.StatusSeeOther)
}

func (p *Page) base(r *http.Request, title, csrf string, now time.Time) base {
	v, _ := p.access.check(r)
	return base{Title: title, CSRF: csrf, LoggedIn: v == session, Now: now}
}
