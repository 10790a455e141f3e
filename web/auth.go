package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// cookieNames are the cookie names and attributes: with TLS the names get
// the __Host- prefix, which makes browsers insist on Secure, Path=/ and no
// Domain.
type cookieNames struct {
	session, pre string
	secure       bool
}

func newCookieNames(tls bool) cookieNames {
	if tls {
		return cookieNames{session: "__Host-cnids_session", pre: "__Host-cnids_pre", secure: true}
	}
	return cookieNames{session: "cnids_session", pre: "cnids_pre"}
}

// reqCtx is the signed-in user of a request.
type reqCtx struct {
	user  User
	token string
	csrf  string
}

// session returns the request's valid session.
func (s *Server) session(r *http.Request) (*reqCtx, error) {
	c, err := r.Cookie(s.cookies.session)
	if err != nil || c.Value == "" || len(c.Value) > 100 {
		return nil, errNoSession
	}
	rec, u, err := s.store.lookupSession(c.Value, s.cfg.Now(), s.cfg.SessionIdle, s.cfg.SessionMax)
	if err != nil {
		return nil, err
	}
	return &reqCtx{user: u, token: c.Value, csrf: rec.CSRF}, nil
}

// page wraps a handler for signed-in users of at least role; others are
// sent to the log-in page (GET) or refused.
func (s *Server) page(role Role, h func(http.ResponseWriter, *http.Request, *reqCtx)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc, ok := s.authorize(w, r, role)
		if ok {
			h(w, r, rc)
		}
	})
}

func (s *Server) authorize(w http.ResponseWriter, r *http.Request, role Role) (*reqCtx, bool) {
	rc, err := s.session(r)
	if err != nil {
		if !errors.Is(err, errNoSession) {
			s.cfg.Log.Error().Err(err).Msg("session lookup")
			s.fail(w, r, nil, http.StatusInternalServerError, "The account database failed; see the server log.")
			return nil, false
		}
		s.clearCookie(w, s.cookies.session)
		if r.Method == http.MethodGet && r.URL.Path != "/alerts/stream" {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return nil, false
		}
		s.fail(w, r, nil, http.StatusUnauthorized, "Your session has expired or you are not signed in. Sign in again.")
		return nil, false
	}
	if role == RoleAdmin && rc.user.Role != RoleAdmin {
		s.fail(w, r, rc, http.StatusForbidden, "This page is for admins.")
		return nil, false
	}
	return rc, true
}

// post wraps a form handler for signed-in users of at least role: it
// parses the form (multipart for uploads) and checks the session's CSRF
// token in constant time.
func (s *Server) post(role Role, h func(http.ResponseWriter, *http.Request, *reqCtx)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc, ok := s.authorize(w, r, role)
		if !ok {
			return
		}
		if !s.parseForm(w, r, rc) {
			return
		}
		if r.MultipartForm != nil {
			defer r.MultipartForm.RemoveAll()
		}
		if !tokenEqual(r.PostFormValue("csrf"), rc.csrf) {
			s.cfg.Log.Warn().Str("user", rc.user.Name).Str("path", r.URL.Path).Msg("CSRF token missing or wrong")
			s.fail(w, r, rc, http.StatusForbidden, "The form's security token is missing or wrong (CSRF check). Reload the page and try again.")
			return
		}
		h(w, r, rc)
	})
}

// parseForm parses an urlencoded or multipart body, answering 413 for a
// body over the limit and 400 for a malformed one.
func (s *Server) parseForm(w http.ResponseWriter, r *http.Request, rc *reqCtx) bool {
	var err error
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		err = r.ParseMultipartForm(1 << 20)
	} else {
		err = r.ParseForm()
	}
	if err == nil {
		return true
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		s.tooLarge(w, r, mbe.Limit)
		return false
	}
	s.fail(w, r, rc, http.StatusBadRequest, "The form could not be read: "+err.Error())
	return false
}

// tokenEqual compares two tokens in constant time; an empty token never
// matches.
func tokenEqual(got, want string) bool {
	if got == "" || want == "" {
		return false
	}
	a, b := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

func (s *Server) setCookie(w http.ResponseWriter, name, value string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: int(maxAge / time.Second),
		HttpOnly: true, Secure: s.cookies.secure, SameSite: http.SameSiteStrictMode,
	})
}

func (s *Server) clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.cookies.secure, SameSite: http.SameSiteStrictMode})
}

// preToken returns the pre-session CSRF token of the log-in, sign-up and
// setup forms (a double-submit cookie), setting the cookie when missing.
func (s *Server) preToken(w http.ResponseWriter, r *http.Request) (string, error) {
	if c, err := r.Cookie(s.cookies.pre); err == nil && len(c.Value) == 43 {
		return c.Value, nil
	}
	tok, err := randomToken(32)
	if err != nil {
		return "", err
	}
	s.setCookie(w, s.cookies.pre, tok, time.Hour)
	return tok, nil
}

// checkPre parses an anonymous form and checks its pre-session CSRF token
// against the cookie.
func (s *Server) checkPre(w http.ResponseWriter, r *http.Request) bool {
	if !s.parseForm(w, r, nil) {
		return false
	}
	c, err := r.Cookie(s.cookies.pre)
	if err != nil || !tokenEqual(r.PostFormValue("csrf"), c.Value) {
		s.fail(w, r, nil, http.StatusForbidden, "The form's security token is missing or wrong (CSRF check). Make sure cookies are enabled, reload the page and try again.")
		return false
	}
	return true
}

// rateLimited applies the per-address limit of anonymous forms.
func (s *Server) rateLimited(w http.ResponseWriter, r *http.Request) bool {
	addr := clientAddr(r.RemoteAddr)
	if s.ipLimit.allow(addr, s.cfg.Now()) {
		return false
	}
	s.cfg.Log.Warn().Str("client", addr.String()).Str("path", r.URL.Path).Msg("attempts rate-limited")
	w.Header().Set("Retry-After", "60")
	s.fail(w, r, nil, http.StatusTooManyRequests, "Too many attempts from your address. Wait a minute and try again.")
	return true
}

// safeNext returns a local path to go to after log-in.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsAny(next, "\r\n\\") {
		return "/classify"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Path == "/login" || strings.HasPrefix(u.Path, "/alerts/stream") {
		return "/classify"
	}
	return next
}

// authData is the data of the log-in, sign-up and setup pages.
type authData struct {
	Name      string
	Next      string
	Signup    bool
	SetupOpen bool
	HasUsers  bool
}

func (s *Server) handleHome(w http.ResponseWriter, r *http.Request) {
	if _, err := s.session(r); err == nil {
		http.Redirect(w, r, "/classify", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// authPage renders one of the pages seen before signing in (login,
// signup, setup), with the pre-session CSRF token its form carries.
func (s *Server) authPage(w http.ResponseWriter, r *http.Request, status int, page string, pd *pageData) {
	tok, err := s.preToken(w, r)
	if err != nil {
		s.fail(w, r, nil, http.StatusInternalServerError, "Could not make a security token.")
		return
	}
	pd.Nav, pd.CSRF = page, tok
	s.render(w, status, page, pd)
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request, status int, d authData, notice, errMsg string) {
	d.Signup, _ = s.store.SignupEnabled()
	d.SetupOpen = s.SetupToken() != ""
	s.authPage(w, r, status, "login", &pageData{Title: "Sign in", Notice: notice, Error: errMsg, Data: d})
}

func (s *Server) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	if _, err := s.session(r); err == nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	notice := ""
	switch r.URL.Query().Get("m") {
	case "out":
		notice = "You are signed out."
	case "expired":
		notice = "Your session expired; sign in again."
	}
	s.loginPage(w, r, http.StatusOK, authData{Next: safeNext(r.URL.Query().Get("next"))}, notice, "")
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	if !s.checkPre(w, r) || s.rateLimited(w, r) {
		return
	}
	now := s.cfg.Now()
	raw := r.PostFormValue("name")
	pw := r.PostFormValue("password")
	d := authData{Name: raw, Next: safeNext(r.PostFormValue("next"))}
	name, nerr := NormalizeName(raw)
	key := strings.ToLower(strings.TrimSpace(raw))
	if len(key) > 64 {
		key = key[:64]
	}
	if left, locked := s.lockout.locked(key, now); locked {
		s.cfg.Log.Warn().Str("user", key).Str("client", clientAddr(r.RemoteAddr).String()).Msg("log-in refused: account locked")
		w.Header().Set("Retry-After", fmt.Sprint(int(math.Ceil(left.Seconds()))))
		s.loginPage(w, r, http.StatusTooManyRequests, d, "",
			fmt.Sprintf("Too many failed log-ins: this account is locked for %s more. Try again later.", roundUp(left)))
		return
	}
	var u User
	err := errBadPassword
	if nerr == nil && len(pw) <= MaxPasswordLen {
		s.hashSem <- struct{}{}
		u, err = s.store.checkLogin(name, pw, now)
		<-s.hashSem
	}
	switch {
	case err == nil:
	case errors.Is(err, ErrNoUser), errors.Is(err, errBadPassword):
		locked := s.lockout.fail(key, now)
		s.cfg.Log.Warn().Str("user", key).Str("client", clientAddr(r.RemoteAddr).String()).Bool("locked", locked).Msg("log-in failed")
		msg := "Wrong user name or password."
		if locked {
			msg += fmt.Sprintf(" Too many failures: the account is locked for %s.", roundUp(s.cfg.LockoutDuration))
		}
		s.loginPage(w, r, http.StatusUnauthorized, d, "", msg)
		return
	case errors.Is(err, errDisabled):
		s.loginPage(w, r, http.StatusForbidden, d, "", "This account is disabled. Ask an admin to enable it.")
		return
	default:
		s.cfg.Log.Error().Err(err).Msg("log-in")
		s.fail(w, r, nil, http.StatusInternalServerError, "The account database failed; see the server log.")
		return
	}
	s.lockout.reset(key)
	if err := s.startSession(w, u.Name, now); err != nil {
		s.cfg.Log.Error().Err(err).Msg("new session")
		s.fail(w, r, nil, http.StatusInternalServerError, "Could not start a session; see the server log.")
		return
	}
	s.cfg.Log.Info().Str("user", u.Name).Str("client", clientAddr(r.RemoteAddr).String()).Msg("signed in")
	http.Redirect(w, r, d.Next, http.StatusSeeOther)
}

// roundUp writes a duration in whole minutes (at least one).
func roundUp(d time.Duration) string {
	m := int(math.Ceil(d.Minutes()))
	if m <= 1 {
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", m)
}

// startSession makes a session and sets its cookie. A new token at every
// log-in prevents session fixation.
func (s *Server) startSession(w http.ResponseWriter, user string, now time.Time) error {
	tok, _, err := s.store.createSession(user, now)
	if err != nil {
		return err
	}
	s.setCookie(w, s.cookies.session, tok, s.cfg.SessionMax)
	return nil
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if err := s.store.deleteSession(rc.token); err != nil {
		s.cfg.Log.Error().Err(err).Msg("log-out")
	}
	s.clearCookie(w, s.cookies.session)
	s.cfg.Log.Info().Str("user", rc.user.Name).Msg("signed out")
	http.Redirect(w, r, "/login?m=out", http.StatusSeeOther)
}

// prepareSetup makes the one-time setup token when no user exists.
func (s *Server) prepareSetup() error {
	has, err := s.store.HasUsers()
	if err != nil {
		return err
	}
	if has {
		return nil
	}
	tok, err := randomToken(24)
	if err != nil {
		return err
	}
	s.setupMu.Lock()
	s.setupToken = tok
	s.setupMu.Unlock()
	return nil
}

// SetupToken returns the one-time token for creating the first admin at
// /setup, or "" once any user exists.
func (s *Server) SetupToken() string {
	s.setupMu.Lock()
	defer s.setupMu.Unlock()
	if s.setupToken == "" {
		return ""
	}
	if has, err := s.store.HasUsers(); err == nil && has {
		s.setupToken = "" // an admin was made from the command line meanwhile
	}
	return s.setupToken
}

func (s *Server) handleSetupPage(w http.ResponseWriter, r *http.Request) {
	if s.SetupToken() == "" {
		s.fail(w, r, nil, http.StatusNotFound, "The setup is done: an account exists. Sign in, or ask an admin.")
		return
	}
	s.authPage(w, r, http.StatusOK, "setup", &pageData{Title: "Create the first admin", Data: authData{}})
}

func (s *Server) handleSetup(w http.ResponseWriter, r *http.Request) {
	if !s.checkPre(w, r) || s.rateLimited(w, r) {
		return
	}
	want := s.SetupToken()
	if want == "" {
		s.fail(w, r, nil, http.StatusNotFound, "The setup is done: an account exists. Sign in, or ask an admin.")
		return
	}
	d := authData{Name: r.PostFormValue("name")}
	again := func(status int, msg string) {
		s.authPage(w, r, status, "setup", &pageData{Title: "Create the first admin", Error: msg, Data: d})
	}
	if !tokenEqual(strings.TrimSpace(r.PostFormValue("token")), want) {
		s.cfg.Log.Warn().Str("client", clientAddr(r.RemoteAddr).String()).Msg("setup: wrong token")
		again(http.StatusForbidden, "Wrong setup token: copy it from the server log.")
		return
	}
	pw := r.PostFormValue("password")
	if pw != r.PostFormValue("confirm") {
		again(http.StatusBadRequest, "The two passwords differ.")
		return
	}
	now := s.cfg.Now()
	s.hashSem <- struct{}{}
	u, err := s.store.addFirstAdmin(d.Name, pw, now)
	<-s.hashSem
	if err != nil {
		if errors.Is(err, ErrBadName) || errors.Is(err, ErrWeakPassword) {
			again(http.StatusBadRequest, capitalize(err.Error())+".")
			return
		}
		if errors.Is(err, errSetupDone) {
			s.fail(w, r, nil, http.StatusConflict, "The setup is done: an account exists. Sign in.")
			return
		}
		s.cfg.Log.Error().Err(err).Msg("setup")
		s.fail(w, r, nil, http.StatusInternalServerError, "The account database failed; see the server log.")
		return
	}
	s.setupMu.Lock()
	s.setupToken = ""
	s.setupMu.Unlock()
	s.cfg.Log.Info().Str("user", u.Name).Msg("first admin created with the setup token")
	if err := s.startSession(w, u.Name, now); err != nil {
		s.fail(w, r, nil, http.StatusInternalServerError, "Could not start a session; see the server log.")
		return
	}
	http.Redirect(w, r, "/admin/users", http.StatusSeeOther)
}

func (s *Server) handleSignupPage(w http.ResponseWriter, r *http.Request) {
	if on, _ := s.store.SignupEnabled(); !on {
		s.fail(w, r, nil, http.StatusForbidden, "Sign-up is off. Ask an admin for an account.")
		return
	}
	s.authPage(w, r, http.StatusOK, "signup", &pageData{Title: "Sign up", Data: authData{}})
}

func (s *Server) handleSignup(w http.ResponseWriter, r *http.Request) {
	if !s.checkPre(w, r) || s.rateLimited(w, r) {
		return
	}
	if on, _ := s.store.SignupEnabled(); !on {
		s.fail(w, r, nil, http.StatusForbidden, "Sign-up is off. Ask an admin for an account.")
		return
	}
	d := authData{Name: r.PostFormValue("name")}
	again := func(status int, msg string) {
		s.authPage(w, r, status, "signup", &pageData{Title: "Sign up", Error: msg, Data: d})
	}
	pw := r.PostFormValue("password")
	if pw != r.PostFormValue("confirm") {
		again(http.StatusBadRequest, "The two passwords differ.")
		return
	}
	now := s.cfg.Now()
	s.hashSem <- struct{}{}
	u, err := s.store.AddUser(d.Name, pw, RoleAnalyst, now)
	<-s.hashSem
	switch {
	case err == nil:
	case errors.Is(err, ErrUserExists):
		again(http.StatusConflict, "That name is taken; choose another.")
		return
	case errors.Is(err, ErrBadName), errors.Is(err, ErrWeakPassword):
		again(http.StatusBadRequest, capitalize(err.Error())+".")
		return
	default:
		s.cfg.Log.Error().Err(err).Msg("sign-up")
		s.fail(w, r, nil, http.StatusInternalServerError, "The account database failed; see the server log.")
		return
	}
	s.cfg.Log.Info().Str("user", u.Name).Str("client", clientAddr(r.RemoteAddr).String()).Msg("analyst signed up")
	if err := s.startSession(w, u.Name, now); err != nil {
		s.fail(w, r, nil, http.StatusInternalServerError, "Could not start a session; see the server log.")
		return
	}
	http.Redirect(w, r, "/classify", http.StatusSeeOther)
}

// capitalize upper-cases the first letter of a message.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
