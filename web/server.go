package web

import (
	"bytes"
	"context"
	"crypto/tls"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log"
	"math"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/cnids/cnids/alert"
	"github.com/cnids/cnids/model"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config configures a Server. Model and DataDir are required; every other
// field has a default.
type Config struct {
	// Model is the loaded model file the console classifies with.
	Model *model.File
	// ModelName names the model in pages and alerts (e.g.
	// "nsl-kdd-cnn@1a2b3c4d").
	ModelName string
	// Threshold overrides the model's alert threshold when in [0, 1];
	// negative keeps the model's.
	Threshold float64
	// DataDir holds the account database (created, mode 0700).
	DataDir string
	// ReportDir, when set, is the folder of PNG images written by
	// cnids-train fit --report, shown on the model page.
	ReportDir string
	// Ring receives the events shown on the alerts page; nil makes a ring
	// of RingSize events owned (and closed) by the server.
	Ring *alert.Ring
	// RingSize is the number of events kept when the server makes its
	// ring, and shown on the alerts page; 0 means 10000.
	RingSize int
	// TLSCert and TLSKey are PEM files; when both are set the server
	// speaks HTTPS only, and cookies are Secure.
	TLSCert, TLSKey string
	// SessionIdle ends a session unused for this long; 0 means 30 min.
	SessionIdle time.Duration
	// SessionMax ends a session this long after log-in; 0 means 12 h.
	SessionMax time.Duration
	// LockoutFailures failed log-ins of one account within LockoutWindow
	// lock it for LockoutDuration; 0 means 5, 15 min and 15 min.
	LockoutFailures int
	LockoutWindow   time.Duration
	LockoutDuration time.Duration
	// LoginPerMinute and LoginBurst limit log-in, sign-up and setup
	// attempts per client address (a token bucket); 0 means 10 and 10.
	LoginPerMinute float64
	LoginBurst     int
	// MaxUpload is the largest accepted upload in bytes; 0 means 32 MiB.
	MaxUpload int64
	// MaxRows is the most rows (or connections) classified per upload;
	// 0 means 200000.
	MaxRows int
	// MaxAPIRows is the most rows per API request; 0 means 10000.
	MaxAPIRows int
	// Now is the clock; nil means time.Now. Tests inject one to check
	// expiries.
	Now func() time.Time
	// Log receives the server's log (sign-ins, failures, the setup token).
	Log zerolog.Logger
}

func (c *Config) normalize() error {
	if c.Model == nil || c.Model.Net == nil || c.Model.Header.Encoder == nil {
		return errors.New("web: config needs a loaded model")
	}
	if name := c.Model.Header.Encoder.Schema().Name; name != "nsl-kdd" {
		return fmt.Errorf("web: the console classifies NSL-KDD connections; the model is for %q", name)
	}
	if c.DataDir == "" {
		return errors.New("web: config needs a data directory")
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("web: give both a TLS certificate and its key, or neither")
	}
	if c.ModelName == "" {
		c.ModelName = "model"
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.SessionIdle, 30*time.Minute)
	def(&c.SessionMax, 12*time.Hour)
	def(&c.LockoutWindow, 15*time.Minute)
	def(&c.LockoutDuration, 15*time.Minute)
	if c.LockoutFailures == 0 {
		c.LockoutFailures = 5
	}
	if c.LoginPerMinute == 0 {
		c.LoginPerMinute = 10
	}
	if c.LoginBurst == 0 {
		c.LoginBurst = 10
	}
	if c.MaxUpload == 0 {
		c.MaxUpload = 32 << 20
	}
	if c.MaxRows == 0 {
		c.MaxRows = 200000
	}
	if c.MaxAPIRows == 0 {
		c.MaxAPIRows = 10000
	}
	if c.RingSize == 0 {
		c.RingSize = 10000
	}
	if c.SessionIdle < 0 || c.SessionMax < 0 || c.LockoutWindow < 0 || c.LockoutDuration < 0 || c.LockoutFailures < 0 ||
		c.LoginPerMinute < 0 || c.LoginBurst < 0 || c.MaxUpload < 0 || c.MaxRows < 0 || c.MaxAPIRows < 0 || c.RingSize < 0 {
		return errors.New("web: config durations, limits and sizes must not be negative")
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// Server is the web console. Create it with New, serve its Handler (or
// call Serve), feed alerts through Sink, and Close it at the end.
type Server struct {
	cfg     Config
	store   *Store
	clf     *model.Classifier
	parser  *rowParser
	pool    chan *model.Session
	pages   map[string]*template.Template
	handler http.Handler
	tls     *tls.Config
	cookies cookieNames

	hub     *hub
	ring    *alert.Ring
	ownRing bool

	lockout *lockout
	ipLimit *ipLimiter
	hashSem chan struct{} // bounds concurrent password hashing
	jobSem  chan struct{} // bounds concurrent uploads being classified
	batches *batchStore
	model   modelView

	setupMu    sync.Mutex
	setupToken string // the one-time setup token; "" once a user exists

	done      chan struct{} // closed by Close: streams end
	closeOnce sync.Once
	wg        sync.WaitGroup
}

// New opens the account database in cfg.DataDir, prepares the pages and
// starts the alert feed. When no user exists it makes a one-time setup
// token, logged (and returned by SetupToken) for creating the first admin
// at /setup.
func New(cfg Config) (*Server, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	clf, err := model.NewClassifier(cfg.Model, cfg.Threshold)
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	sem := cfg.Model.Header.Semantics
	parser, err := newRowParser(vocabulary(cfg.Model.Encoder()), sem.CountCap, sem.HostCountCap)
	if err != nil {
		return nil, err
	}
	pages, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg: cfg, clf: clf, parser: parser, pages: pages,
		pool:    make(chan *model.Session, 2),
		lockout: newLockout(cfg.LockoutFailures, cfg.LockoutWindow, cfg.LockoutDuration),
		ipLimit: newIPLimiter(cfg.LoginPerMinute, cfg.LoginBurst),
		hashSem: make(chan struct{}, 2),
		jobSem:  make(chan struct{}, 1),
		batches: newBatchStore(16, time.Hour),
		done:    make(chan struct{}),
	}
	s.cookies = newCookieNames(cfg.TLSCert != "")
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("web: TLS certificate %s and key %s: %w", cfg.TLSCert, cfg.TLSKey, err)
		}
		s.tls = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	if s.model, err = newModelView(clf, cfg.ModelName); err != nil {
		return nil, err
	}
	s.ring = cfg.Ring
	if s.ring == nil {
		if s.ring, err = alert.NewRing(cfg.RingSize); err != nil {
			return nil, fmt.Errorf("web: %w", err)
		}
		s.ownRing = true
	}
	s.store, err = OpenStore(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if err := s.prepareSetup(); err != nil {
		s.store.Close()
		return nil, err
	}
	s.hub, err = newHub(s.ring, cfg.RingSize, parser.schema.Names())
	if err != nil {
		s.store.Close()
		return nil, err
	}
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		s.hub.run(s.done)
	}()
	go func() {
		defer s.wg.Done()
		s.sweep()
	}()
	s.handler = s.routes()
	return s, nil
}

// Handler returns the console's HTTP handler: every route, behind the
// security headers and the cross-origin check.
func (s *Server) Handler() http.Handler { return s.handler }

// Store returns the account database.
func (s *Server) Store() *Store { return s.store }

// TLS reports whether the server is configured for HTTPS.
func (s *Server) TLS() bool { return s.tls != nil }

// Sink returns an alert sink that writes into the console's ring (and so
// onto the alerts page). Its Close does nothing: the console keeps
// running after the sensor that writes to it stops; Server.Close ends it.
func (s *Server) Sink() alert.Sink { return ringSink{s.ring} }

// ringSink forwards events to a ring and does not close it.
type ringSink struct{ r *alert.Ring }

// Write stores the events in the ring.
func (k ringSink) Write(ctx context.Context, events []alert.Event) error {
	return k.r.Write(ctx, events)
}

// Close does nothing (see Server.Sink).
func (k ringSink) Close() error { return nil }

// Stats returns the ring's counters.
func (k ringSink) Stats() alert.Stats { return k.r.Stats() }

// String names the sink.
func (k ringSink) String() string { return "web console " + k.r.String() }

// Serve serves HTTP (or HTTPS with a certificate) on ln until ctx is
// cancelled, then shuts down gracefully: live alert streams end, requests
// in flight get 10 seconds. It returns nil after a shutdown by ctx.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		TLSConfig:         s.tls,
		ErrorLog:          log.New(s.cfg.Log.With().Str("component", "http").Logger(), "", 0),
	}
	scheme := "http"
	if s.tls != nil {
		scheme = "https"
		ln = tls.NewListener(ln, s.tls)
	}
	url := scheme + "://" + ln.Addr().String()
	s.cfg.Log.Info().Str("url", url).Bool("tls", s.tls != nil).Msg("web console listening")
	if tok := s.SetupToken(); tok != "" {
		s.cfg.Log.Warn().Str("setup_url", url+"/setup").Str("setup_token", tok).
			Msg("no user exists: create the first admin at the setup URL with this one-time token (or run cnids users add --admin)")
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("web: serve %s: %w", url, err)
	case <-ctx.Done():
	}
	s.stopStreams()
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("web: shutdown: %w", err)
	}
	return nil
}

// stopStreams ends the live alert streams (they never go idle on their
// own, which a graceful shutdown waits for).
func (s *Server) stopStreams() {
	s.closeOnce.Do(func() { close(s.done) })
}

// Close ends the streams and the alert feed, closes the ring when the
// server made it, and closes the database. Call it after Serve returned.
func (s *Server) Close() error {
	s.stopStreams()
	if s.ownRing {
		s.ring.Close()
	}
	s.wg.Wait()
	return s.store.Close()
}

// sweep deletes expired sessions and old batches every few minutes.
func (s *Server) sweep() {
	t := time.NewTicker(5 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
			now := s.cfg.Now()
			if n, err := s.store.sweepSessions(now, s.cfg.SessionIdle, s.cfg.SessionMax); err != nil {
				s.cfg.Log.Error().Err(err).Msg("session sweep")
			} else if n > 0 {
				s.cfg.Log.Debug().Int("sessions", n).Msg("expired sessions deleted")
			}
			s.batches.expire(now)
		}
	}
}

// routes builds the handler.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	small := int64(64 << 10)
	// Pages for everyone.
	mux.HandleFunc("GET /{$}", s.handleHome)
	mux.HandleFunc("GET /login", s.handleLoginPage)
	mux.Handle("POST /login", s.limit(small, http.HandlerFunc(s.handleLogin)))
	mux.HandleFunc("GET /setup", s.handleSetupPage)
	mux.Handle("POST /setup", s.limit(small, http.HandlerFunc(s.handleSetup)))
	mux.HandleFunc("GET /signup", s.handleSignupPage)
	mux.Handle("POST /signup", s.limit(small, http.HandlerFunc(s.handleSignup)))
	mux.Handle("GET /static/", s.staticHandler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	// Pages for signed-in users.
	mux.Handle("POST /logout", s.limit(small, s.post(RoleAnalyst, s.handleLogout)))
	mux.Handle("GET /classify", s.page(RoleAnalyst, s.handleClassifyPage))
	mux.Handle("POST /classify", s.limit(small, s.post(RoleAnalyst, s.handleClassify)))
	mux.Handle("POST /classify/upload", s.limit(s.cfg.MaxUpload+small, s.post(RoleAnalyst, s.handleUpload)))
	mux.Handle("GET /classify/batch/{id}", s.page(RoleAnalyst, s.handleBatch))
	mux.Handle("GET /classify/batch/{id}/csv", s.page(RoleAnalyst, s.handleBatchCSV))
	mux.Handle("GET /alerts", s.page(RoleAnalyst, s.handleAlerts))
	mux.Handle("GET /alerts/stream", s.page(RoleAnalyst, s.handleAlertStream))
	mux.Handle("GET /alerts/{seq}", s.page(RoleAnalyst, s.handleAlertDetail))
	mux.Handle("GET /model", s.page(RoleAnalyst, s.handleModel))
	mux.Handle("GET /model/report/{name}", s.page(RoleAnalyst, s.handleReportImage))
	mux.Handle("GET /account", s.page(RoleAnalyst, s.handleAccount))
	mux.Handle("POST /account/password", s.limit(small, s.post(RoleAnalyst, s.handlePassword)))
	mux.Handle("POST /account/tokens", s.limit(small, s.post(RoleAnalyst, s.handleTokenCreate)))
	mux.Handle("POST /account/tokens/{id}/revoke", s.limit(small, s.post(RoleAnalyst, s.handleTokenRevoke)))
	// Administration.
	mux.Handle("GET /admin/users", s.page(RoleAdmin, s.handleUsers))
	mux.Handle("POST /admin/users", s.limit(small, s.post(RoleAdmin, s.handleUserCreate)))
	mux.Handle("POST /admin/signup", s.limit(small, s.post(RoleAdmin, s.handleSignupToggle)))
	mux.Handle("POST /admin/users/{name}/{action}", s.limit(small, s.post(RoleAdmin, s.handleUserAction)))
	// API.
	mux.Handle("POST /api/v1/classify", s.limit(8<<20, http.HandlerFunc(s.handleAPIClassify)))
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeJSONError(w, http.StatusNotFound, &apiError{Msg: "no such API endpoint: " + r.Method + " " + r.URL.Path})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, nil, http.StatusNotFound, "No such page: "+r.URL.Path)
	})

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.cfg.Log.Warn().Str("path", r.URL.Path).Str("origin", r.Header.Get("Origin")).
			Str("sec_fetch_site", r.Header.Get("Sec-Fetch-Site")).Msg("cross-origin request refused")
		if strings.HasPrefix(r.URL.Path, "/api/") {
			writeJSONError(w, http.StatusForbidden, &apiError{Msg: "cross-origin request refused"})
			return
		}
		s.fail(w, r, nil, http.StatusForbidden, "Cross-origin request refused: forms of this console must be sent from its own pages.")
	}))
	return s.headers(cop.Handler(mux))
}

// contentSecurityPolicy allows the console's own scripts, styles and
// images and nothing else: no inline script or style, no framing.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// headers adds the security headers to every response.
func (s *Server) headers(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Cross-Origin-Resource-Policy", "same-origin")
		hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if s.tls != nil {
			hd.Set("Strict-Transport-Security", "max-age=31536000")
		}
		h.ServeHTTP(w, r)
	})
}

// limit caps a request body at n bytes: a declared length beyond it is
// refused at once with 413, a longer body fails when read.
func (s *Server) limit(n int64, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > n {
			s.tooLarge(w, r, n)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, n)
		h.ServeHTTP(w, r)
	})
}

// tooLarge answers 413 with a message naming the limit.
func (s *Server) tooLarge(w http.ResponseWriter, r *http.Request, n int64) {
	msg := fmt.Sprintf("The request is larger than the limit of %s.", formatBytes(n))
	if strings.HasPrefix(r.URL.Path, "/api/") {
		writeJSONError(w, http.StatusRequestEntityTooLarge, &apiError{Msg: msg})
		return
	}
	if r.URL.Path == "/classify/upload" {
		msg = fmt.Sprintf("The upload is larger than the limit of %s: split the file, or cut the capture (editcap -c).", formatBytes(s.cfg.MaxUpload))
	}
	w.Header().Set("Connection", "close")
	s.fail(w, r, nil, http.StatusRequestEntityTooLarge, msg)
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// staticHandler serves the embedded static files (no directory listings).
func (s *Server) staticHandler() http.Handler {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // the embedded tree always has it
	}
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/static/")
		if name == "" || strings.HasSuffix(name, "/") || !fs.ValidPath(name) {
			s.fail(w, r, nil, http.StatusNotFound, "No such file.")
			return
		}
		if st, err := fs.Stat(sub, name); err != nil || st.IsDir() {
			s.fail(w, r, nil, http.StatusNotFound, "No such file.")
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

// pageData is what every page template gets.
type pageData struct {
	Title     string
	Nav       string
	User      *User
	CSRF      string
	Notice    string
	Error     string
	ModelName string
	Data      any
}

// render executes a page template into a buffer and writes it with the
// status, so that a template error is a clean 500.
func (s *Server) render(w http.ResponseWriter, status int, name string, d *pageData) {
	t := s.pages[name]
	if t == nil {
		s.cfg.Log.Error().Str("template", name).Msg("no such template")
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	d.ModelName = s.cfg.ModelName
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", d); err != nil {
		s.cfg.Log.Error().Err(err).Str("template", name).Msg("render")
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// fail renders the error page.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, rc *reqCtx, status int, msg string) {
	d := &pageData{Title: http.StatusText(status), Error: msg, Data: status}
	if rc != nil {
		d.User, d.CSRF = &rc.user, rc.csrf
	}
	s.render(w, status, "error", d)
}

// parseTemplates parses each page with the layout.
func parseTemplates() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"pct":      func(p any) string { return fmt.Sprintf("%.1f%%", 100*toFloat(p)) },
		"f2":       func(x any) string { return fmt.Sprintf("%.2f", toFloat(x)) },
		"f4":       func(x any) string { return fmt.Sprintf("%.4f", toFloat(x)) },
		"when":     formatTime,
		"whenNano": func(t time.Time) string { return t.UTC().Format(alert.TimeFormat) },
		"add":      func(a, b int) int { return a + b },
		"bytes":    func(n int64) string { return formatBytes(n) },
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("web: templates: %w", err)
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		t, err := layout.Clone()
		if err == nil {
			_, err = t.ParseFS(templateFS, n)
		}
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", n, err)
		}
		pages[base] = t
	}
	return pages, nil
}

// toFloat converts the numbers templates format.
func toFloat(v any) float64 {
	switch v := v.(type) {
	case float64:
		return v
	case float32:
		return float64(v)
	case int:
		return float64(v)
	case int64:
		return float64(v)
	}
	return math.NaN()
}

// formatTime shows a time in UTC to the second ("" for zero).
func formatTime(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}
