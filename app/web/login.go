package web

import (
	"net/http"
)

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if s.auth.authenticated(r) {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	s.render(w, "login", map[string]any{"Title": "Log in"})
}

// login checks the form; every failure gets the same generic message.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	addr := clientAddr(r)
	if s.auth.limited(addr) {
		w.WriteHeader(http.StatusTooManyRequests)
		s.render(w, "login", map[string]any{"Title": "Log in", "Error": "Too many attempts. Wait a minute and try again."})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if err := r.ParseForm(); err != nil || !s.auth.verify(addr, r.PostFormValue("user"), r.PostFormValue("password")) {
		w.WriteHeader(http.StatusUnauthorized)
		s.render(w, "login", map[string]any{"Title": "Log in", "Error": "Wrong user name or password."})
		return
	}
	s.auth.newSession(w)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	s.auth.endSession(w, r)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
