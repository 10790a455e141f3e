package web

import (
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"
)

// usersData is the admin's users page.
type usersData struct {
	Users   []User
	Signup  bool
	Self    string
	NewName string
	NewRole Role
}

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request, rc *reqCtx, status int, notice, errMsg string, d *usersData) {
	users, err := s.store.Users()
	if err != nil {
		s.cfg.Log.Error().Err(err).Msg("list users")
		s.fail(w, r, rc, http.StatusInternalServerError, "The account database failed; see the server log.")
		return
	}
	if d == nil {
		d = &usersData{NewRole: RoleAnalyst}
	}
	d.Users, d.Self = users, rc.user.Name
	d.Signup, _ = s.store.SignupEnabled()
	s.render(w, status, "users", &pageData{Title: "Users", Nav: "users", User: &rc.user, CSRF: rc.csrf, Notice: notice, Error: errMsg, Data: d})
}

func (s *Server) handleUsers(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	notice := map[string]string{
		"signup-on":  "Sign-up is on: analysts can now create their accounts at /signup.",
		"signup-off": "Sign-up is off.", "disabled": "The user is disabled and signed out.",
		"enabled": "The user is enabled.", "removed": "The user is removed, with its sessions and API tokens.",
		"created": "The user is created.",
	}[r.URL.Query().Get("m")]
	s.usersPage(w, r, rc, http.StatusOK, notice, "", nil)
}

func (s *Server) handleSignupToggle(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	on := r.PostFormValue("signup") == "on"
	if err := s.store.SetSignup(on); err != nil {
		s.cfg.Log.Error().Err(err).Msg("sign-up setting")
		s.fail(w, r, rc, http.StatusInternalServerError, "The account database failed; see the server log.")
		return
	}
	s.cfg.Log.Info().Str("admin", rc.user.Name).Bool("signup", on).Msg("sign-up setting changed")
	m := "signup-off"
	if on {
		m = "signup-on"
	}
	http.Redirect(w, r, "/admin/users?m="+m, http.StatusSeeOther)
}

func (s *Server) handleUserCreate(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	d := &usersData{NewName: r.PostFormValue("name"), NewRole: Role(r.PostFormValue("role"))}
	if d.NewRole != RoleAdmin && d.NewRole != RoleAnalyst {
		s.usersPage(w, r, rc, http.StatusBadRequest, "", "Choose the role admin or analyst.", d)
		return
	}
	pw := r.PostFormValue("password")
	if pw != r.PostFormValue("confirm") {
		s.usersPage(w, r, rc, http.StatusBadRequest, "", "The two passwords differ.", d)
		return
	}
	s.hashSem <- struct{}{}
	u, err := s.store.AddUser(d.NewName, pw, d.NewRole, s.cfg.Now())
	<-s.hashSem
	switch {
	case err == nil:
	case errors.Is(err, ErrUserExists):
		s.usersPage(w, r, rc, http.StatusConflict, "", "That name is taken.", d)
		return
	case errors.Is(err, ErrBadName), errors.Is(err, ErrWeakPassword):
		s.usersPage(w, r, rc, http.StatusBadRequest, "", capitalize(err.Error())+".", d)
		return
	default:
		s.cfg.Log.Error().Err(err).Msg("add user")
		s.fail(w, r, rc, http.StatusInternalServerError, "The account database failed; see the server log.")
		return
	}
	s.cfg.Log.Info().Str("admin", rc.user.Name).Str("user", u.Name).Str("role", string(u.Role)).Msg("user created")
	http.Redirect(w, r, "/admin/users?m=created", http.StatusSeeOther)
}

func (s *Server) handleUserAction(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	name, action := r.PathValue("name"), r.PathValue("action")
	if name == rc.user.Name {
		s.usersPage(w, r, rc, http.StatusBadRequest, "", "You cannot disable or remove your own account here.", nil)
		return
	}
	var err error
	var m string
	switch action {
	case "disable":
		err, m = s.store.SetDisabled(name, true), "disabled"
	case "enable":
		err, m = s.store.SetDisabled(name, false), "enabled"
	case "remove":
		err, m = s.store.RemoveUser(name), "removed"
	default:
		s.fail(w, r, rc, http.StatusNotFound, "No such action: "+action)
		return
	}
	switch {
	case err == nil:
	case errors.Is(err, ErrNoUser):
		s.usersPage(w, r, rc, http.StatusNotFound, "", "No such user.", nil)
		return
	case errors.Is(err, ErrLastAdmin):
		s.usersPage(w, r, rc, http.StatusConflict, "", "That is the last active admin; make another admin first.", nil)
		return
	default:
		s.cfg.Log.Error().Err(err).Msg("user action")
		s.fail(w, r, rc, http.StatusInternalServerError, "The account database failed; see the server log.")
		return
	}
	s.cfg.Log.Info().Str("admin", rc.user.Name).Str("user", name).Str("action", action).Msg("user changed")
	http.Redirect(w, r, "/admin/users?m="+m, http.StatusSeeOther)
}

// accountData is the user's own page.
type accountData struct {
	Tokens   []APIToken
	NewToken string
	NewLabel string
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request, rc *reqCtx, status int, notice, errMsg string, d *accountData) {
	toks, err := s.store.apiTokens(rc.user.Name)
	if err != nil {
		s.cfg.Log.Error().Err(err).Msg("list tokens")
		s.fail(w, r, rc, http.StatusInternalServerError, "The account database failed; see the server log.")
		return
	}
	if d == nil {
		d = &accountData{}
	}
	d.Tokens = toks
	s.render(w, status, "account", &pageData{Title: "Your account", Nav: "account", User: &rc.user, CSRF: rc.csrf, Notice: notice, Error: errMsg, Data: d})
}

func (s *Server) handleAccount(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	notice := map[string]string{"revoked": "The token is revoked.", "password": "Your password is changed."}[r.URL.Query().Get("m")]
	s.accountPage(w, r, rc, http.StatusOK, notice, "", nil)
}

// tokenLabel cleans a token label.
func tokenLabel(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	return clip(s)
}

// maxTokensPerUser bounds a user's API tokens.
const maxTokensPerUser = 20

func (s *Server) handleTokenCreate(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	label := tokenLabel(r.PostFormValue("label"))
	if label == "" {
		label = "API token"
	}
	if toks, err := s.store.apiTokens(rc.user.Name); err == nil && len(toks) >= maxTokensPerUser {
		s.accountPage(w, r, rc, http.StatusConflict, "", "You have the most tokens allowed; revoke one first.", nil)
		return
	}
	secret, t, err := s.store.createAPIToken(rc.user.Name, label, s.cfg.Now())
	if err != nil {
		s.cfg.Log.Error().Err(err).Msg("create token")
		s.fail(w, r, rc, http.StatusInternalServerError, "The account database failed; see the server log.")
		return
	}
	s.cfg.Log.Info().Str("user", rc.user.Name).Str("token", t.ID).Msg("API token created")
	s.accountPage(w, r, rc, http.StatusOK, "", "", &accountData{NewToken: secret, NewLabel: label})
}

func (s *Server) handleTokenRevoke(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	id := r.PathValue("id")
	if err := s.store.revokeAPIToken(rc.user.Name, id); err != nil {
		if errors.Is(err, errNoToken) {
			s.accountPage(w, r, rc, http.StatusNotFound, "", "No such token.", nil)
			return
		}
		s.cfg.Log.Error().Err(err).Msg("revoke token")
		s.fail(w, r, rc, http.StatusInternalServerError, "The account database failed; see the server log.")
		return
	}
	s.cfg.Log.Info().Str("user", rc.user.Name).Str("token", id).Msg("API token revoked")
	http.Redirect(w, r, "/account?m=revoked", http.StatusSeeOther)
}

func (s *Server) handlePassword(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	cur, pw := r.PostFormValue("current"), r.PostFormValue("password")
	if pw != r.PostFormValue("confirm") {
		s.accountPage(w, r, rc, http.StatusBadRequest, "", "The two new passwords differ.", nil)
		return
	}
	s.hashSem <- struct{}{}
	_, err := s.store.checkLogin(rc.user.Name, cur, s.cfg.Now())
	if err == nil {
		err = s.store.SetPassword(rc.user.Name, pw)
	}
	<-s.hashSem
	switch {
	case err == nil:
	case errors.Is(err, errBadPassword):
		s.lockout.fail(rc.user.Name, s.cfg.Now())
		s.accountPage(w, r, rc, http.StatusForbidden, "", "The current password is wrong.", nil)
		return
	case errors.Is(err, ErrWeakPassword):
		s.accountPage(w, r, rc, http.StatusBadRequest, "", capitalize(err.Error())+".", nil)
		return
	default:
		s.cfg.Log.Error().Err(err).Msg("change password")
		s.fail(w, r, rc, http.StatusInternalServerError, "The account database failed; see the server log.")
		return
	}
	s.cfg.Log.Info().Str("user", rc.user.Name).Msg("password changed")
	http.Redirect(w, r, "/account?m=password", http.StatusSeeOther)
}
