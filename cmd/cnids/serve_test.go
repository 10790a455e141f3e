package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/cnids/cnids/alert"
	"github.com/cnids/cnids/web"
)

// lockedBuffer is a goroutine-safe output buffer.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// runIn runs a command line with stdin.
func runIn(t *testing.T, stdin string, args ...string) (status int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	status = run(context.Background(), args, strings.NewReader(stdin), &o, &e)
	return status, o.String(), e.String()
}

func TestUsersCommand(t *testing.T) {
	dir := t.TempDir()
	st, out, errOut := runIn(t, "admin password 1\n", "users", "add", "--admin", "--data", dir, "Root")
	if st != 0 || !strings.Contains(out, "user root (admin) created in "+dir) {
		t.Fatalf("add admin: %d %q %q", st, out, errOut)
	}
	// Flags may follow the name; the password is the first line of stdin.
	if st, _, e := runIn(t, "analyst password\r\nignored\n", "users", "add", "ana", "--data", dir); st != 0 {
		t.Fatalf("add analyst: %d %s", st, e)
	}
	for _, tc := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{"admin password 1\n", []string{"users", "add", "--data", dir, "root"}, "user already exists"},
		{"short\n", []string{"users", "add", "--data", dir, "bob"}, "at least 10 are required"},
		{"", []string{"users", "add", "--data", dir, "bob"}, "give it on standard input"},
		{"\n", []string{"users", "add", "--data", dir, "bob"}, "the password is empty"},
		{"x\n", []string{"users", "add", "--data", dir, "bad name"}, "invalid user name"},
		{"", []string{"users", "disable", "--data", dir, "root"}, "last active admin"},
		{"", []string{"users", "remove", "--data", dir, "nobody"}, "no such user"},
	} {
		if st, _, e := runIn(t, tc.stdin, tc.args...); st != 1 || !strings.Contains(e, tc.want) {
			t.Errorf("%v: %d %q, want %q", tc.args, st, e, tc.want)
		}
	}
	if st, _, e := runIn(t, "", "users", "disable", "--data", dir, "ANA"); st != 0 {
		t.Fatalf("disable: %d %s", st, e)
	}
	st, out, _ = runIn(t, "", "users", "list", "--data", dir)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if st != 0 || len(lines) != 3 || !strings.HasPrefix(lines[0], "NAME") || !regexp.MustCompile(`^ana\s+analyst\s+disabled\s+\d{4}-`).MatchString(lines[1]) ||
		!regexp.MustCompile(`^root\s+admin\s+active\s+\S+\s+never$`).MatchString(lines[2]) {
		t.Fatalf("list: %d\n%s", st, out)
	}
	for _, args := range [][]string{{"users", "enable", "--data", dir, "ana"}, {"users", "remove", "--data", dir, "ana"}} {
		if st, _, e := runIn(t, "", args...); st != 0 {
			t.Fatalf("%v: %d %s", args, st, e)
		}
	}
	if st, _, e := runIn(t, "new admin password\n", "users", "password", "--data", dir, "root"); st != 0 {
		t.Fatalf("password: %d %s", st, e)
	}
	s, err := web.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	users, _ := s.Users()
	s.Close()
	if len(users) != 1 || users[0].Name != "root" || users[0].Role != web.RoleAdmin {
		t.Fatalf("users left: %+v", users)
	}
	for _, args := range [][]string{{"users"}, {"users", "frobnicate"}, {"users", "add", "--data", dir}, {"users", "list", "--data", dir, "extra"}, {"users", "add", "--bogus", "x"}} {
		if st, _, _ := runIn(t, "", args...); st != 2 {
			t.Errorf("%v: status %d, want 2", args, st)
		}
	}
}

// consoleClient signs in to a console at base.
func consoleClient(t *testing.T, base, name, pw string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	res, err := c.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token on the log-in page: %s", body)
	}
	res, err = c.PostForm(base+"/login", url.Values{"csrf": {string(m[1])}, "name": {name}, "password": {pw}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Request.URL.Path != "/classify" {
		t.Fatalf("log-in ended on %s (%d)", res.Request.URL, res.StatusCode)
	}
	return c
}

// startWeb serves the embedded model; the sink it returns feeds the
// alerts page; cancelling the context stops it and wait returns.
func TestStartWeb(t *testing.T) {
	dir := t.TempDir()
	if st, _, e := runIn(t, "admin password 1\n", "users", "add", "--admin", "--data", dir, "root"); st != 0 {
		t.Fatal(e)
	}
	var o sensorOpts
	mf, name, err := o.loadModel()
	if err != nil {
		t.Fatal(err)
	}
	addr := make(chan net.Addr, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logBuf := &lockedBuffer{}
	wo := webOpts{listen: "127.0.0.1:0", dataDir: dir, threshold: -1, sessionIdle: time.Hour, sessionMax: time.Hour,
		lockoutFailures: 5, lockoutWindow: time.Minute, lockoutDuration: time.Minute, maxUploadMiB: 1, ringSize: 100,
		ready: func(a net.Addr) { addr <- a }}
	sink, wait, err := startWeb(ctx, wo, mf, name, zerolog.New(logBuf))
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + (<-addr).String()
	c := consoleClient(t, base, "root", "admin password 1")

	sig, _ := alert.LookupSignature("nsl-kdd", "Probe")
	ev := alert.Event{Time: time.Date(2026, 11, 23, 1, 2, 3, 0, time.UTC), Type: alert.TypeAlert, FlowID: 7,
		SrcIP: netip.MustParseAddr("203.0.113.66"), DestIP: netip.MustParseAddr("10.0.0.1"), SrcPort: 5555, DestPort: 22, Proto: 6,
		AppProto: "ssh", Alert: alert.Alert{Signature: sig, Score: 0.8}}
	if err := sink.Write(ctx, []alert.Event{ev}); err != nil {
		t.Fatal(err)
	}
	if err := sink.Close(); err != nil { // the sensor closing its sinks
		t.Fatal(err)
	}
	var body string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		res, err := c.Get(base + "/alerts")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if body = string(b); strings.Contains(body, "203.0.113.66:5555") {
			break
		}
	}
	if !strings.Contains(body, "203.0.113.66:5555") || !strings.Contains(body, "<strong>Probe</strong>") {
		t.Fatalf("the alert written to the sink is not on the alerts page")
	}
	res, err := c.Get(base + "/model")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(b), "<code>"+name+"</code>") || !strings.HasPrefix(name, "nsl-kdd-cnn@") {
		t.Errorf("model page does not name %s", name)
	}
	cancel()
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	if err := wait(); err != nil { // wait may be called again
		t.Fatal(err)
	}
	if _, err := http.Get(base + "/login"); err == nil {
		t.Error("the console still answers after its context ended")
	}
}

// cnids serve runs until its context ends, logging the URL and, with no
// user yet, the setup token.
func TestServeCommand(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := &lockedBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--listen", "127.0.0.1:0", "--data", dir, "--log-format", "json"}, strings.NewReader(""), io.Discard, stderr)
	}()
	urlRE := regexp.MustCompile(`"url":"(http://127\.0\.0\.1:\d+)"`)
	var base string
	for deadline := time.Now().Add(10 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := urlRE.FindStringSubmatch(stderr.String()); m != nil {
			base = m[1]
		}
	}
	if base == "" {
		t.Fatalf("no URL in the log: %s", stderr.String())
	}
	if !strings.Contains(stderr.String(), `"setup_token":"`) {
		t.Errorf("no setup token in the log: %s", stderr.String())
	}
	res, err := http.Get(base + "/setup")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("setup page: %d", res.StatusCode)
	}
	// The database is locked while the console runs.
	if st, _, e := runIn(t, "", "users", "list", "--data", dir); st != 1 || !strings.Contains(e, "in use by another process") {
		t.Errorf("users list while serving: %d %q", st, e)
	}
	cancel()
	select {
	case st := <-done:
		if st != 0 {
			t.Fatalf("serve exit status %d: %s", st, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func TestServeBadFlags(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args   []string
		status int
		want   string
	}{
		{[]string{"serve", "--data", dir, "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"serve", "--data", dir, "--tls-cert", "c.pem"}, 1, "give both a TLS certificate and its key"},
		{[]string{"serve", "--data", dir, "--listen", "127.0.0.1:99999"}, 1, "web console: listen tcp"},
		{[]string{"serve", "--data", dir, "--max-upload", "0"}, 1, "--max-upload 0"},
		{[]string{"serve", "--data", dir, "--model", "/nonexistent.model"}, 1, "--model"},
		{[]string{"serve", "--data", dir, "--session-idle", "0s"}, 1, "must be positive"},
	} {
		st, _, e := runIn(t, "", tc.args...)
		if st != tc.status || !strings.Contains(e, tc.want) {
			t.Errorf("%v: %d %q, want %d and %q", tc.args, st, e, tc.status, tc.want)
		}
	}
}

// replay --web serves the console beside the sensor: the replay's alerts
// reach the alerts page, and the console keeps serving them after the
// replay ends, until the context does.
func TestReplayWeb(t *testing.T) {
	pcap := shared(t, "pcaps", "lab", "r2l-ftp-bruteforce.pcap")
	dir := t.TempDir()
	if st, _, e := runIn(t, "admin password 1\n", "users", "add", "--admin", "--data", dir, "root"); st != 0 {
		t.Fatal(e)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, stderr := &lockedBuffer{}, &lockedBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"replay", "--web", "127.0.0.1:0", "--data", dir, "--log-format", "json", pcap},
			strings.NewReader(""), stdout, stderr)
	}()
	urlRE := regexp.MustCompile(`"url":"(http://127\.0\.0\.1:\d+)"`)
	var base string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := urlRE.FindStringSubmatch(stderr.String()); m != nil && strings.Contains(stderr.String(), "still serving") {
			base = m[1]
			break
		}
	}
	if base == "" {
		t.Fatalf("no console URL, or the replay did not finish: %s", stderr.String())
	}
	events := parseEvents(t, stdout.String())
	if len(events) == 0 {
		t.Fatal("the replay wrote no alerts")
	}
	c := consoleClient(t, base, "root", "admin password 1")
	res, err := c.Get(base + "/alerts?category=R2L")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(b), "<strong>R2L</strong>") {
		t.Fatalf("alerts page (%d) shows no R2L alert of the replay", res.StatusCode)
	}
	cancel()
	select {
	case st := <-done:
		if st != 0 {
			t.Fatalf("replay exit status %d: %s", st, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("replay --web did not stop with its context")
	}
}
