package web

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// ErrBadPassword marks an unusable password setting.
var ErrBadPassword = errors.New("bad web password setting")

// PasswordFile is where a generated password's hash is kept, relative to
// the data directory.
const PasswordFile = ".unicam/web-password.bcrypt"

// Credentials says how the web interface checks its one user.
type Credentials struct {
	User string
	hash []byte
	// plain, when set, is the SHA-256 of a password given in plain text
	// in config. It lies readable in the kernel command line or
	// unicam.conf anyway, so bcrypt would protect nothing and only cost
	// seconds per new client under software emulation.
	plain *[32]byte
}

// LoadCredentials settles the web password, in this order: a bcrypt hash
// given in config, a plain password given in config (kept as its SHA-256),
// the hash stored under dataDir, or a new random password whose hash is
// stored there. generated is the new password, to be shown once; it is
// "" otherwise. There is never a default password.
func LoadCredentials(user, password, hash, dataDir string) (c *Credentials, generated string, err error) {
	if user == "" {
		user = "admin"
	}
	c = &Credentials{User: user}
	switch {
	case hash != "":
		if _, err := bcrypt.Cost([]byte(hash)); err != nil {
			return nil, "", fmt.Errorf("%w: -password-hash is not a bcrypt hash (make one with htpasswd -nB)", ErrBadPassword)
		}
		c.hash = []byte(hash)
	case password != "":
		if len(password) < 8 || len(password) > maxPassword {
			return nil, "", fmt.Errorf("%w: -password must be 8 to %d characters long", ErrBadPassword, maxPassword)
		}
		d := sha256.Sum256([]byte(password))
		c.plain = &d
	default:
		return loadOrGenerate(c, dataDir)
	}
	return c, "", nil
}

// maxPassword is bcrypt's limit, in bytes.
const maxPassword = 72

func loadOrGenerate(c *Credentials, dataDir string) (*Credentials, string, error) {
	path := filepath.Join(dataDir, PasswordFile)
	if b, err := os.ReadFile(path); err == nil {
		c.hash = []byte(strings.TrimSpace(string(b)))
		if _, err := bcrypt.Cost(c.hash); err != nil {
			return nil, "", fmt.Errorf("%w: %s holds no bcrypt hash (delete it to generate a new password)", ErrBadPassword, path)
		}
		return c, "", nil
	}
	pw := randomToken(12)
	hash, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	if err != nil {
		return nil, "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, "", fmt.Errorf("store web password: %w", err)
	}
	if err := os.WriteFile(path, append(hash, '\n'), 0o600); err != nil {
		return nil, "", fmt.Errorf("store web password: %w", err)
	}
	c.hash = hash
	return c, pw, nil
}

func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// check compares user and password in constant time, the password
// checked the same way whatever the user (a stored hash typed as the
// password never matches).
func (c *Credentials) check(user, password string) bool {
	u := subtle.ConstantTimeCompare([]byte(user), []byte(c.User)) == 1
	var p bool
	if c.plain != nil {
		d := sha256.Sum256([]byte(password))
		p = subtle.ConstantTimeCompare(d[:], c.plain[:]) == 1
	} else {
		p = bcrypt.CompareHashAndPassword(c.hash, []byte(password)) == nil
	}
	return u && p
}

// auth holds sessions, a cache of Basic credentials already verified, and
// the per-address login limiter.
type auth struct {
	creds    *Credentials
	secure   bool
	mu       sync.Mutex
	sessions map[string]time.Time
	basicOK  map[[32]byte]bool
	fails    map[string][]time.Time
	now      func() time.Time
}

const (
	sessionCookie = "unicam_session"
	sessionTTL    = 7 * 24 * time.Hour
	// Five failed logins a minute per client address, then 429.
	maxFails   = 5
	failWindow = time.Minute
)

func newAuth(c *Credentials, secure bool) *auth {
	return &auth{creds: c, secure: secure, sessions: map[string]time.Time{}, basicOK: map[[32]byte]bool{}, fails: map[string][]time.Time{}, now: time.Now}
}

// authenticated reports whether r carries a live session or valid Basic
// credentials.
func (a *auth) authenticated(r *http.Request) bool {
	if c, err := r.Cookie(sessionCookie); err == nil {
		a.mu.Lock()
		exp, ok := a.sessions[c.Value]
		a.mu.Unlock()
		if ok && a.now().Before(exp) {
			return true
		}
	}
	user, pass, ok := r.BasicAuth()
	if !ok {
		return false
	}
	return a.verify(clientAddr(r), user, pass)
}

// verify checks credentials, limiting failures per address. A success is
// remembered by digest, so players fetching with Basic pay bcrypt once.
func (a *auth) verify(addr, user, pass string) bool {
	key := sha256.Sum256([]byte(user + "\x00" + pass))
	a.mu.Lock()
	if a.basicOK[key] {
		a.mu.Unlock()
		return true
	}
	if a.limitedLocked(addr) {
		a.mu.Unlock()
		return false
	}
	a.mu.Unlock()
	ok := a.creds.check(user, pass)
	a.mu.Lock()
	defer a.mu.Unlock()
	if ok {
		if len(a.basicOK) > 64 {
			clear(a.basicOK)
		}
		a.basicOK[key] = true
		return true
	}
	a.fails[addr] = append(a.fails[addr], a.now())
	return false
}

// limited reports whether addr has used up its failed logins.
func (a *auth) limited(addr string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.limitedLocked(addr)
}

func (a *auth) limitedLocked(addr string) bool {
	cut := a.now().Add(-failWindow)
	recent := a.fails[addr][:0]
	for _, t := range a.fails[addr] {
		if t.After(cut) {
			recent = append(recent, t)
		}
	}
	if len(recent) == 0 {
		delete(a.fails, addr)
		return false
	}
	a.fails[addr] = recent
	return len(recent) >= maxFails
}

func (a *auth) newSession(w http.ResponseWriter) {
	tok := randomToken(32)
	a.mu.Lock()
	now := a.now()
	for k, exp := range a.sessions {
		if now.After(exp) {
			delete(a.sessions, k)
		}
	}
	a.sessions[tok] = now.Add(sessionTTL)
	a.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: tok, Path: "/", MaxAge: int(sessionTTL.Seconds()),
		HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteStrictMode})
}

func (a *auth) endSession(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		a.mu.Lock()
		delete(a.sessions, c.Value)
		a.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteStrictMode})
}

// clientAddr is the peer's IP (no proxy headers are trusted).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// require lets authenticated requests through. Others get the login page
// (browsers asking for HTML) or 401 with a Basic challenge (players,
// scripts).
func (a *auth) require(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.authenticated(r) {
			next.ServeHTTP(w, r)
			return
		}
		if r.Method == http.MethodGet && strings.Contains(r.Header.Get("Accept"), "text/html") {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="unicam", charset="UTF-8"`)
		http.Error(w, "authentication required", http.StatusUnauthorized)
	})
}
