// Package web is korelay's status page for operators, served at GET / on
// http.listen: rules with their recent matches, the Kore budget against
// both windows, the latest events with their outcome and a link to their
// story (the one `korelay explain` tells), and the dead letters with
// replay and drop buttons.
//
// Pages are rendered on the server with html/template (every value is
// escaped) from templates and a stylesheet embedded in the binary; they
// work without JavaScript. Access is decided by access.go: open on a
// loopback address when no admin token is set, else only with the token
// (a bearer header, or a session cookie from the login form); every form
// carries a CSRF token.
package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/korelay/korelay/broker"
	"github.com/korelay/korelay/journal"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Source is what the page shows and does: the running service.
type Source interface {
	// Status is the service's state now.
	Status() Status
	// Rules are the rules in force with their recent matches.
	Rules() []Rule
	// Budget is the Kore budget's spending.
	Budget() broker.Usage
	// Recent are the latest events, newest first (nil without a journal).
	Recent(n int) []journal.Summary
	// Story is an event's story (journal.ErrUnknownEvent when there is none).
	Story(ctx context.Context, eventID string) (*journal.Story, error)
	// DeadLetters lists the dead letters, oldest first; ErrNoDeadLetters
	// where none are stored (core NATS, dry run).
	DeadLetters(ctx context.Context) ([]broker.DeadLetter, error)
	// Replay re-drives an event's dead letters; Drop removes them (of one
	// rule when rule is set). Both return how many they handled.
	Replay(ctx context.Context, eventID string) (int, error)
	Drop(ctx context.Context, eventID, rule string) (int, error)
}

// ErrNoDeadLetters is Source.DeadLetters' answer where dead letters are
// only logged.
var ErrNoDeadLetters = errors.New("dead letters are not stored in this mode (they are logged)")

// Status is the service's state, for the page's header.
type Status struct {
	// Mode is jetstream, core or observe (a dry run).
	Mode      string
	DryRun    bool
	Ready     bool
	NATS      string
	Journal   bool
	Started   time.Time
	Rules     int
	RuleFiles []string
}

// Rule is one rule on the page.
type Rule struct {
	Name, Description, Trigger, Mode string
	// Matches counts matches over the last hour and five minutes.
	MatchesHour, Matches5m int
}

// Options configures the page.
type Options struct {
	Source Source
	// AdminToken, when set, is needed to see the page (bearer header or
	// login form). Without it the page answers only when Loopback.
	AdminToken string
	// Loopback says http.listen is a loopback address.
	Loopback bool
	// Logger receives what went wrong serving the page; nil discards.
	// The token is never logged.
	Logger *slog.Logger
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Page is the status page's handler.
type Page struct {
	opts   Options
	access *access
	tmpl   map[string]*template.Template
	mux    *http.ServeMux
	log    *slog.Logger
}

// New builds the page; its templates are parsed here, once.
func New(opts Options) (*Page, error) {
	if opts.Source == nil {
		return nil, errors.New("web: no Source")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	acc, err := newAccess(opts.AdminToken, opts.Loopback, opts.Now)
	if err != nil {
		return nil, err
	}
	p := &Page{opts: opts, access: acc, log: opts.Logger}
	if p.tmpl, err = parseTemplates(); err != nil {
		return nil, err
	}
	p.mux = p.routes()
	return p, nil
}

// ServeHTTP serves the page.
func (p *Page) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	p.mux.ServeHTTP(w, r)
}

func (p *Page) routes() *http.ServeMux {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /login", p.loginForm)
	mux.HandleFunc("POST /login", p.login)
	mux.HandleFunc("POST /logout", p.logout)
	mux.Handle("GET /{$}", p.guard(p.status))
	mux.Handle("GET /events/{id}", p.guard(p.event))
	mux.Handle("POST /dlq/replay", p.guardPost(p.replay))
	mux.Handle("POST /dlq/drop", p.guardPost(p.drop))
	return mux
}

// render executes a page template; a failure is logged and answered 500.
func (p *Page) render(w http.ResponseWriter, code int, name string, data any) {
	t := p.tmpl[name]
	if t == nil {
		http.Error(w, "no such page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	if err := t.ExecuteTemplate(w, "layout", data); err != nil {
		p.log.Error("status page: render", "page", name, "err", err)
	}
}

// failure shows an error page.
func (p *Page) failure(w http.ResponseWriter, code int, title, msg string) {
	p.render(w, code, "error.html", errorData{base: base{Title: fmt.Sprintf("%d %s", code, title), Now: p.opts.Now()},
		Heading: title, Message: msg})
}

type errorData struct {
	base
	Heading, Message string
}
