package web

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cnids/cnids/alert"
)

const (
	adminPW   = "correct horse battery"
	analystPW = "analyst staple 2026"
)

// A form posted without the session's CSRF token, or with another one, is
// refused with 403 and changes nothing; so is a cross-origin post.
func TestCSRF(t *testing.T) {
	e := newEnv(t, nil)
	e.addUser("alice", adminPW, RoleAdmin)
	c := e.client()
	c.login("alice", adminPW)
	good := c.csrf

	for _, tc := range []struct {
		name  string
		token string
	}{{"none", ""}, {"wrong", "x" + good[1:]}, {"pre-session token", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}} {
		r := c.post("/admin/signup", url.Values{"signup": {"on"}, "csrf": {tc.token}})
		if r.status != http.StatusForbidden || !strings.Contains(r.body, "CSRF") {
			t.Errorf("sign-up toggle with %s token: status %d, %q", tc.name, r.status, pageError(r.body))
		}
	}
	if on, _ := e.s.Store().SignupEnabled(); on {
		t.Fatal("sign-up turned on by a forged form")
	}
	if r := c.post("/logout", url.Values{"csrf": {""}}); r.status != http.StatusForbidden {
		t.Errorf("log-out without token: status %d", r.status)
	}
	if r := c.get("/classify"); r.status != http.StatusOK {
		t.Errorf("the session ended by a forged log-out: %d", r.status)
	}
	// The right token works.
	if r := c.post("/admin/signup", url.Values{"signup": {"on"}, "csrf": {good}}); r.status != http.StatusSeeOther {
		t.Fatalf("sign-up toggle with the token: %d %s", r.status, pageError(r.body))
	}
	if on, _ := e.s.Store().SignupEnabled(); !on {
		t.Fatal("sign-up not turned on")
	}

	// Cross-origin posts are refused even with the token (a page on another
	// site cannot read it, but a browser says where the form came from).
	for _, h := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site"},
		{"Sec-Fetch-Site": "same-site"},
		{"Origin": "http://evil.example"},
		{"Origin": "null"},
	} {
		req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/admin/signup", strings.NewReader(url.Values{"signup": {"off"}, "csrf": {good}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range h {
			req.Header.Set(k, v)
		}
		if r := c.do(req); r.status != http.StatusForbidden {
			t.Errorf("post with %v: status %d", h, r.status)
		}
	}
	if on, _ := e.s.Store().SignupEnabled(); !on {
		t.Fatal("a cross-origin post turned sign-up off")
	}

	// The log-in form needs its pre-session token too (login CSRF).
	anon := e.client()
	r := anon.post("/login", url.Values{"name": {"alice"}, "password": {adminPW}, "csrf": {""}})
	if r.status != http.StatusForbidden {
		t.Errorf("log-in without token: %d", r.status)
	}
	anon.get("/login")
	r = anon.post("/login", url.Values{"name": {"alice"}, "password": {adminPW}, "csrf": {"wrong-token"}})
	if r.status != http.StatusForbidden {
		t.Errorf("log-in with a wrong token: %d", r.status)
	}
}

// A wrong password is refused without saying whether the name exists;
// after N failures within the window the account is locked, even for the
// right password, until the lockout ends.
func TestWrongPasswordAndLockout(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.LockoutFailures = 3; c.LoginBurst = 100 })
	e.addUser("bob", analystPW, RoleAnalyst)
	c := e.client()
	c.get("/login")

	wrong := c.post("/login", url.Values{"name": {"bob"}, "password": {"not the password"}})
	unknown := c.post("/login", url.Values{"name": {"nobody"}, "password": {"not the password"}})
	for _, r := range []resp{wrong, unknown} {
		if r.status != http.StatusUnauthorized || pageError(r.body) != "Wrong user name or password." {
			t.Fatalf("failed log-in: status %d, %q", r.status, pageError(r.body))
		}
	}
	// Names are matched without case: this is bob's second failure, and
	// the third locks.
	r := c.post("/login", url.Values{"name": {"BOB"}, "password": {"still wrong"}})
	if r.status != http.StatusUnauthorized || strings.Contains(pageError(r.body), "locked") {
		t.Fatalf("second failure: %d %q", r.status, pageError(r.body))
	}
	r = c.post("/login", url.Values{"name": {"bob"}, "password": {"still wrong"}})
	if r.status != http.StatusUnauthorized || !strings.Contains(pageError(r.body), "locked for 15 minutes") {
		t.Fatalf("third failure: %d %q", r.status, pageError(r.body))
	}
	r = c.post("/login", url.Values{"name": {"bob"}, "password": {analystPW}})
	if r.status != http.StatusTooManyRequests || !strings.Contains(pageError(r.body), "locked") {
		t.Fatalf("right password while locked: %d %q", r.status, pageError(r.body))
	}
	if r.header.Get("Retry-After") != "900" {
		t.Errorf("Retry-After %q, want 900", r.header.Get("Retry-After"))
	}
	if strings.Contains(e.log.String(), analystPW) {
		t.Error("the log holds a password")
	}
	e.clock.Advance(14*time.Minute + 59*time.Second)
	if r := c.post("/login", url.Values{"name": {"bob"}, "password": {analystPW}}); r.status != http.StatusTooManyRequests {
		t.Fatalf("right password a second before the lockout ends: %d", r.status)
	}
	e.clock.Advance(time.Second)
	if r := c.post("/login", url.Values{"name": {"bob"}, "password": {analystPW}}); r.status != http.StatusSeeOther {
		t.Fatalf("right password after the lockout: %d %q", r.status, pageError(r.body))
	}

	// Failures spread over more than the window do not lock.
	c2 := e.client()
	c2.get("/login")
	for i := range 4 {
		r := c2.post("/login", url.Values{"name": {"bob"}, "password": {"wrong"}})
		if r.status != http.StatusUnauthorized || strings.Contains(pageError(r.body), "locked") {
			t.Fatalf("failure %d, 8 minutes apart: %d %q", i, r.status, pageError(r.body))
		}
		e.clock.Advance(8 * time.Minute)
	}
	// Unknown names lock the same way, so a lockout reveals nothing.
	for range 3 {
		r = c2.post("/login", url.Values{"name": {"ghost"}, "password": {"wrong"}})
	}
	if !strings.Contains(pageError(r.body), "locked") {
		t.Fatalf("unknown name after 3 failures: %q", pageError(r.body))
	}
}

// Log-in attempts are limited per client address.
func TestLoginRateLimit(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.LoginBurst = 3; c.LoginPerMinute = 6 })
	c := e.client()
	c.get("/login")
	for i := range 3 {
		r := c.post("/login", url.Values{"name": {"user" + string(rune('a'+i))}, "password": {"wrong password"}})
		if r.status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i, r.status)
		}
	}
	r := c.post("/login", url.Values{"name": {"usere"}, "password": {"wrong password"}})
	if r.status != http.StatusTooManyRequests || !strings.Contains(pageError(r.body), "Too many attempts from your address") {
		t.Fatalf("fourth attempt: %d %q", r.status, pageError(r.body))
	}
	e.clock.Advance(10 * time.Second) // 6 per minute: one token back
	if r := c.post("/login", url.Values{"name": {"userf"}, "password": {"wrong password"}}); r.status != http.StatusUnauthorized {
		t.Fatalf("after 10 s: %d", r.status)
	}
	if r := c.post("/login", url.Values{"name": {"userg"}, "password": {"wrong password"}}); r.status != http.StatusTooManyRequests {
		t.Fatalf("right after: %d", r.status)
	}
}

// Sessions end after the idle timeout and after the absolute lifetime,
// whatever the activity; log-out deletes the session server side.
func TestSessionExpiry(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.SessionIdle = 30 * time.Minute; c.SessionMax = 2 * time.Hour; c.LoginBurst = 100 })
	e.addUser("carol", analystPW, RoleAnalyst)

	// Idle.
	c := e.client()
	c.login("carol", analystPW)
	e.clock.Advance(29 * time.Minute)
	if r := c.get("/classify"); r.status != http.StatusOK {
		t.Fatalf("after 29 idle minutes: %d", r.status)
	}
	e.clock.Advance(30*time.Minute + time.Second)
	r := c.get("/classify")
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/login") {
		t.Fatalf("after 30 idle minutes: %d %s", r.status, r.header.Get("Location"))
	}
	if r := c.post("/classify", url.Values{"mode": {"paste"}, "row": {"1"}}); r.status != http.StatusUnauthorized {
		t.Fatalf("post on an expired session: %d", r.status)
	}

	// Absolute: active every 20 minutes, yet refused after 2 hours.
	c = e.client()
	c.login("carol", analystPW)
	start := e.clock.Now()
	for e.clock.Now().Sub(start) < 2*time.Hour {
		if r := c.get("/classify"); r.status != http.StatusOK {
			t.Fatalf("active session at %v: %d", e.clock.Now().Sub(start), r.status)
		}
		e.clock.Advance(20 * time.Minute)
	}
	e.clock.Advance(time.Second)
	if r := c.get("/classify"); r.status != http.StatusSeeOther {
		t.Fatalf("session older than 2 h: %d", r.status)
	}

	// Log-out deletes the session: its cookie, replayed, is refused.
	c = e.client()
	c.login("carol", analystPW)
	u, _ := url.Parse(e.ts.URL)
	var stolen *http.Cookie
	for _, ck := range c.c.Jar.Cookies(u) {
		if ck.Name == "cnids_session" {
			stolen = ck
		}
	}
	if stolen == nil {
		t.Fatal("no session cookie")
	}
	if r := c.post("/logout", url.Values{}); r.status != http.StatusSeeOther {
		t.Fatalf("log-out: %d", r.status)
	}
	req, _ := http.NewRequest(http.MethodGet, e.ts.URL+"/classify", nil)
	req.AddCookie(stolen)
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("replayed cookie after log-out: %d", res.StatusCode)
	}

	// Disabling a user ends its sessions at once.
	c = e.client()
	c.login("carol", analystPW)
	if err := e.s.Store().SetDisabled("carol", true); err != nil {
		t.Fatal(err)
	}
	if r := c.get("/classify"); r.status != http.StatusSeeOther {
		t.Fatalf("session of a disabled user: %d", r.status)
	}
}

// The session cookie is HttpOnly and SameSite=Strict; analysts cannot
// reach the admin pages.
func TestCookieAndRoles(t *testing.T) {
	e := newEnv(t, nil)
	e.addUser("dave", analystPW, RoleAnalyst)
	c := e.client()
	c.get("/login")
	r := c.post("/login", url.Values{"name": {"dave"}, "password": {analystPW}})
	var sc string
	for _, v := range r.header.Values("Set-Cookie") {
		if strings.HasPrefix(v, "cnids_session=") {
			sc = v
		}
	}
	for _, want := range []string{"HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"} {
		if !strings.Contains(sc, want) {
			t.Errorf("session cookie %q lacks %s", sc, want)
		}
	}
	if strings.Contains(sc, "Secure") {
		t.Errorf("session cookie %q is Secure over plain HTTP (it would never be sent back)", sc)
	}
	c.get("/classify")
	if r := c.get("/admin/users"); r.status != http.StatusForbidden {
		t.Errorf("analyst on the users page: %d", r.status)
	}
	if r := c.post("/admin/signup", url.Values{"signup": {"on"}}); r.status != http.StatusForbidden {
		t.Errorf("analyst turning sign-up on: %d", r.status)
	}
	if r := c.post("/admin/users/dave/remove", url.Values{}); r.status != http.StatusForbidden {
		t.Errorf("analyst removing a user: %d", r.status)
	}
	// Every page carries the security headers.
	for _, p := range []string{"/classify", "/login", "/static/style.css", "/nope"} {
		r := c.get(p)
		h := r.header
		if !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") ||
			!strings.Contains(h.Get("Content-Security-Policy"), "script-src 'self'") ||
			strings.Contains(h.Get("Content-Security-Policy"), "unsafe-inline") ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" || h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: security headers %v", p, h)
		}
	}
}

// Packet fields carrying markup are escaped on the alerts page, on the
// alert's page and in the stream, whose JSON escapes <, > and &.
func TestAlertFieldsEscaped(t *testing.T) {
	e := newEnv(t, nil)
	e.addUser("erin", analystPW, RoleAnalyst)
	c := e.client()
	c.login("erin", analystPW)
	const app, flag = `<script>alert(1)</script>`, `"><img src=x onerror=alert(2)>`
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// A stream opened before the alert.
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.ts.URL+"/alerts/stream", nil)
	res, err := c.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("stream content type %q", ct)
	}
	if err := e.s.Sink().Write(ctx, []alert.Event{evilEvent(t, app, flag)}); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(res.Body)
	var data string
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok && strings.Contains(d, `"seq"`) {
			data = d
			break
		}
	}
	if data == "" {
		t.Fatalf("no alert in the stream: %v", sc.Err())
	}
	if strings.ContainsAny(data, "<>") {
		t.Errorf("stream payload has raw markup: %s", data)
	}
	var row alertRow
	if err := json.Unmarshal([]byte(data), &row); err != nil {
		t.Fatal(err)
	}
	if row.App != app || row.Flag != flag || row.Class != "DoS" || row.Src != "192.0.2.7:40000" {
		t.Errorf("stream payload decodes to %+v", row)
	}

	for _, p := range []string{"/alerts", row.URL} {
		r := c.get(p)
		if r.status != http.StatusOK {
			t.Fatalf("%s: %d", p, r.status)
		}
		if strings.Contains(r.body, "<script>alert") || strings.Contains(r.body, "<img src=x") {
			t.Errorf("%s shows raw markup", p)
		}
		if !strings.Contains(r.body, "&lt;script&gt;alert(1)&lt;/script&gt;") || !strings.Contains(r.body, "&lt;img src=x onerror=alert(2)&gt;") {
			t.Errorf("%s does not show the escaped fields", p)
		}
	}
}

// API calls need a valid token: missing, unknown, revoked tokens and the
// tokens of disabled users get 401 with a JSON error.
func TestAPITokens(t *testing.T) {
	e := newEnv(t, nil)
	e.addUser("admin", adminPW, RoleAdmin)
	e.addUser("fred", analystPW, RoleAnalyst)
	c := e.client()
	c.login("fred", analystPW)
	r := c.post("/account/tokens", url.Values{"label": {"soar <b>playbook</b>"}})
	if r.status != http.StatusOK {
		t.Fatalf("create token: %d %s", r.status, pageError(r.body))
	}
	tok := between(r.body, `<pre id="new-token">`, "</pre>")
	if !strings.HasPrefix(tok, "cnids_") || len(tok) != len("cnids_")+43 {
		t.Fatalf("token %q", tok)
	}
	if !strings.Contains(r.body, "soar &lt;b&gt;playbook&lt;/b&gt;") {
		t.Error("token label not escaped")
	}
	if again := c.get("/account"); strings.Contains(again.body, tok) {
		t.Error("the token is shown again")
	}
	body := apiBody(t, neptuneRow)

	call := func(auth string) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/api/v1/classify", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var m map[string]any
		if err := json.NewDecoder(res.Body).Decode(&m); err != nil {
			t.Fatalf("API answer is not JSON: %v", err)
		}
		if res.StatusCode == http.StatusUnauthorized && !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("401 without WWW-Authenticate: Bearer")
		}
		return res.StatusCode, m
	}
	for _, auth := range []string{"", "Bearer", "Basic Zm9vOmJhcg==", "Bearer cnids_" + strings.Repeat("A", 43), "Bearer " + tok + "x"} {
		if st, m := call(auth); st != http.StatusUnauthorized || m["error"] == nil {
			t.Errorf("auth %q: %d %v", auth, st, m)
		}
	}
	st, m := call("Bearer " + tok)
	if st != http.StatusOK || m["class"] != "DoS" || m["alert"] != true {
		t.Fatalf("valid token: %d %v", st, m)
	}
	// Disabled user: refused; enabled again: accepted.
	if err := e.s.Store().SetDisabled("fred", true); err != nil {
		t.Fatal(err)
	}
	if st, _ := call("Bearer " + tok); st != http.StatusUnauthorized {
		t.Errorf("token of a disabled user: %d", st)
	}
	if err := e.s.Store().SetDisabled("fred", false); err != nil {
		t.Fatal(err)
	}
	if st, _ := call("Bearer " + tok); st != http.StatusOK {
		t.Errorf("token of a re-enabled user: %d", st)
	}
	// Revoked through the account page.
	c.login("fred", analystPW)
	acct := c.get("/account")
	id := between(acct.body, `/account/tokens/`, `/revoke`)
	if r := c.post("/account/tokens/"+id+"/revoke", url.Values{}); r.status != http.StatusSeeOther {
		t.Fatalf("revoke: %d %s", r.status, pageError(r.body))
	}
	if st, _ := call("Bearer " + tok); st != http.StatusUnauthorized {
		t.Errorf("revoked token: %d", st)
	}
	// Another user cannot revoke fred's tokens.
	c.post("/account/tokens", url.Values{"label": {"second"}})
	id = between(c.get("/account").body, `/account/tokens/`, `/revoke`)
	other := e.client()
	other.login("admin", adminPW)
	if r := other.post("/account/tokens/"+id+"/revoke", url.Values{}); r.status != http.StatusNotFound {
		t.Errorf("revoking another user's token: %d", r.status)
	}
	// Cookies do not authenticate the API.
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/api/v1/classify", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if r := c.do(req); r.status != http.StatusUnauthorized {
		t.Errorf("API call with a session cookie only: %d", r.status)
	}
}

// between returns the text between the first a and the next b.
func between(s, a, b string) string {
	_, rest, ok := strings.Cut(s, a)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, b)
	return v
}

// No request under the static files or the report images reaches a file
// outside their folders: dot-dot segments, encoded dots and slashes,
// absolute paths and symbolic links leading out.
func TestPathsStayInside(t *testing.T) {
	root := t.TempDir()
	report := filepath.Join(root, "report")
	if err := os.Mkdir(report, 0o755); err != nil {
		t.Fatal(err)
	}
	pngData := append([]byte("\x89PNG\r\n\x1a\n"), []byte("SECRET-OUTSIDE")...)
	writeFile(t, root, "secret.png", pngData)
	writeFile(t, report, "ok.png", append([]byte("\x89PNG\r\n\x1a\n"), []byte("INSIDE")...))
	writeFile(t, report, "notpng.png", []byte("SECRET-NOT-PNG"))
	if err := os.Symlink(filepath.Join(root, "secret.png"), filepath.Join(report, "abs.png")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../secret.png", filepath.Join(report, "rel.png")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(report, "passwd.png")); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *Config) { c.ReportDir = report })
	e.addUser("gina", analystPW, RoleAnalyst)
	c := e.client()
	c.login("gina", analystPW)

	if r := c.get("/model/report/ok.png"); r.status != http.StatusOK || r.body != string(append([]byte("\x89PNG\r\n\x1a\n"), []byte("INSIDE")...)) ||
		r.header.Get("Content-Type") != "image/png" {
		t.Fatalf("report image inside: %d %q", r.status, r.header.Get("Content-Type"))
	}
	page := c.get("/model")
	if !strings.Contains(page.body, `/model/report/ok.png`) {
		t.Error("the model page does not show ok.png")
	}
	for _, n := range []string{"abs.png", "rel.png", "passwd.png"} {
		if strings.Contains(page.body, "/model/report/"+n) {
			t.Errorf("the model page lists the escaping link %s", n)
		}
	}
	paths := []string{
		"/model/report/abs.png", "/model/report/rel.png", "/model/report/passwd.png", "/model/report/notpng.png",
		"/model/report/../secret.png", "/model/report/..%2fsecret.png", "/model/report/%2e%2e%2fsecret.png",
		"/model/report/%2e%2e/secret.png", "/model/report/..%5csecret.png", "/model/report/%2fetc%2fpasswd",
		"/model/report//etc/passwd", "/model/report/.%2e/.%2e/secret.png", "/model/report/" + url.PathEscape(filepath.Join(root, "secret.png")),
		"/static/../templates/layout.html", "/static/%2e%2e/templates/layout.html", "/static/..%2ftemplates%2flayout.html",
		"/static/%2e%2e%2fserver.go", "/static//etc/passwd", "/static/%2fetc%2fpasswd", "/static/", "/static/.",
		"/static/style.css/..%2f..%2fbrowser_test.go", "/static/" + url.PathEscape("/etc/passwd"),
	}
	for _, p := range paths {
		req, err := http.NewRequest(http.MethodGet, e.ts.URL+p, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.URL.RawPath = "" // keep the escapes as written
		req.URL.Opaque = p
		r := c.do(req)
		for _, secret := range []string{"SECRET", "root:", "{{define", "package web"} {
			if strings.Contains(r.body, secret) {
				t.Errorf("%s: status %d reveals %q", p, r.status, secret)
			}
		}
		if r.status == http.StatusOK && !strings.HasPrefix(p, "/static/") {
			t.Errorf("%s: status 200", p)
		}
	}
	if r := c.get("/static/style.css"); r.status != http.StatusOK || !strings.Contains(r.body, "cnids web console") {
		t.Errorf("style.css: %d", r.status)
	}
}
