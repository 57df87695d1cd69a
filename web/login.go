package web

import (
	"net/http"
	"strings"
	"time"
)

type loginData struct {
	base
	Next  string
	Error string
}

// loginForm shows the login form (or the page, when no login is needed).
func (p *Page) loginForm(w http.ResponseWriter, r *http.Request) {
	switch v, _ := p.access.check(r); v {
	case closed:
		p.closedPage(w)
	case denied:
		p.render(w, http.StatusOK, "login.html", loginData{base: base{Title: "korelay: log in", Now: p.opts.Now()},
			Next: safeNext(r.URL.Query().Get("next"))})
	default:
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
	}
}

// failedLoginDelay slows down guessing the token.
const failedLoginDelay = 500 * time.Millisecond

// login checks the token posted by the form and sets the session cookie:
// Secure, HttpOnly, SameSite=Strict.
func (p *Page) login(w http.ResponseWriter, r *http.Request) {
	if v, _ := p.access.check(r); v == closed || v == open {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		p.failure(w, http.StatusRequestEntityTooLarge, "Bad form", "The form could not be read.")
		return
	}
	next := safeNext(r.PostForm.Get("next"))
	if !p.access.tokenOK(r.PostForm.Get("token")) {
		p.log.Warn("status page: failed login", "remote", r.RemoteAddr)
		time.Sleep(failedLoginDelay)
		p.render(w, http.StatusUnauthorized, "login.html", loginData{base: base{Title: "korelay: log in", Now: p.opts.Now()},
			Next: next, Error: "That is not korelay's admin token."})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: p.access.newSession(), Path: "/",
		MaxAge: int(sessionTTL / time.Second), Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// logout ends the browser's session (its cookie; a copy stays valid until
// it expires, or until the token is rotated).
func (p *Page) logout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// safeNext keeps a redirect on this site: a path, never another host.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}
