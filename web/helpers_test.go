package web

import (
	"bytes"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/cnids/cnids/alert"
	"github.com/cnids/cnids/internal/sharedtest"
	"github.com/cnids/cnids/model"
)

// modelPath is the embedded default model of cmd/cnids, read here the way
// cmd/cnids/sensor.go loads it (model.Read on the file's bytes).
const modelPath = "../cmd/cnids/models/nsl-kdd-cnn.model"

var loadModel = sync.OnceValues(func() (*model.File, error) {
	data, err := os.ReadFile(modelPath)
	if err != nil {
		return nil, err
	}
	return model.Read(data, "embedded:nsl-kdd-cnn.model")
})

func testModel(t testing.TB) *model.File {
	t.Helper()
	f, err := loadModel()
	if err != nil {
		t.Fatalf("default model: %v", err)
	}
	return f
}

func shared(t testing.TB, parts ...string) string { return sharedtest.Path(t, parts...) }

// fakeClock is an injected clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// syncBuffer is a goroutine-safe log buffer.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// env is a console under test behind httptest.
type env struct {
	t     *testing.T
	s     *Server
	ts    *httptest.Server
	clock *fakeClock
	log   *syncBuffer
	dir   string
}

func newEnv(t *testing.T, mod func(*Config)) *env {
	t.Helper()
	e := &env{t: t, clock: &fakeClock{t: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}, log: &syncBuffer{}, dir: t.TempDir()}
	cfg := Config{Model: testModel(t), ModelName: "nsl-kdd-cnn@test", Threshold: -1, DataDir: e.dir,
		Now: e.clock.Now, Log: zerolog.New(e.log)}
	if mod != nil {
		mod(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.s = s
	e.ts = httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		s.stopStreams()
		e.ts.Close()
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return e
}

func (e *env) addUser(name, pw string, role Role) {
	e.t.Helper()
	if _, err := e.s.Store().AddUser(name, pw, role, e.clock.Now()); err != nil {
		e.t.Fatal(err)
	}
}

// client is a browser-like HTTP client with a cookie jar that does not
// follow redirects (so tests see them).
type client struct {
	t    *testing.T
	e    *env
	c    *http.Client
	csrf string // the last CSRF token seen on a page
}

func (e *env) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: e.t, e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

type resp struct {
	status int
	body   string
	header http.Header
}

func (c *client) do(req *http.Request) resp {
	c.t.Helper()
	res, err := c.c.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read: %v", req.Method, req.URL, err)
	}
	if m := csrfRE.FindStringSubmatch(string(b)); m != nil {
		c.csrf = m[1]
	}
	return resp{res.StatusCode, string(b), res.Header}
}

func (c *client) get(path string) resp {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.e.ts.URL+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.do(req)
}

// post sends a form; the client's last CSRF token is added unless vals
// has "csrf" already (set it to "" to send none).
func (c *client) post(path string, vals url.Values) resp {
	c.t.Helper()
	if _, ok := vals["csrf"]; !ok {
		vals.Set("csrf", c.csrf)
	} else if vals.Get("csrf") == "" {
		vals.Del("csrf")
	}
	req, err := http.NewRequest(http.MethodPost, c.e.ts.URL+path, strings.NewReader(vals.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// login signs in through the log-in page and fails the test otherwise.
func (c *client) login(name, pw string) {
	c.t.Helper()
	c.get("/login")
	r := c.post("/login", url.Values{"name": {name}, "password": {pw}})
	if r.status != http.StatusSeeOther {
		c.t.Fatalf("log-in as %s: status %d: %s", name, r.status, pageError(r.body))
	}
	c.get("/classify") // picks up the session's CSRF token
}

var errorRE = regexp.MustCompile(`(?s)class="error"[^>]*>(.*?)</p>`)

// pageError returns a page's error message.
func pageError(body string) string {
	if m := errorRE.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return ""
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// evilEvent is a DoS alert whose service and flag carry markup, as an
// attacker can make them (the service comes from the port map, the flag
// from the state machine; a forged or future source could carry any
// text). Its features carry the markup too.
func evilEvent(t testing.TB, app, flag string) alert.Event {
	t.Helper()
	sig, err := alert.LookupSignature("nsl-kdd", "DoS")
	if err != nil {
		t.Fatal(err)
	}
	end := time.Date(2026, 11, 23, 9, 59, 0, 0, time.UTC)
	feats := make([]alert.FeatureValue, 41)
	for i := range feats {
		feats[i] = alert.Num(float64(i))
	}
	feats[1], feats[2], feats[3] = alert.Text("tcp"), alert.Text(app), alert.Text(flag)
	return alert.Event{
		Time: end, Type: alert.TypeAlert, FlowID: 42,
		SrcIP: netip.MustParseAddr("192.0.2.7"), DestIP: netip.MustParseAddr("198.51.100.9"),
		SrcPort: 40000, DestPort: 80, Proto: 6, AppProto: app,
		Flow:  alert.Flow{Start: end.Add(-time.Second), End: end, PktsToServer: 1, BytesToServer: 60},
		Alert: alert.Alert{Signature: sig, Score: 0.9, Probabilities: []alert.ClassProb{{Class: "normal", P: 0.1}, {Class: "DoS", P: 0.9}, {Class: "Probe"}, {Class: "R2L"}, {Class: "U2R"}}, Model: "test", Family: "nsl-kdd"},
		KDD:   alert.KDD{Flag: flag, Features: feats},
	}
}
