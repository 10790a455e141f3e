package web

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/cnids/cnids/alert"
)

// testEvent is a plain DoS alert from src at time t.
func testEvent(t testing.TB, src string, at time.Time) alert.Event {
	ev := evilEvent(t, "http", "S0")
	ev.SrcIP = netip.MustParseAddr(src)
	ev.Time, ev.Flow.End, ev.Flow.Start = at, at, at.Add(-time.Second)
	ev.KDD.Features = nil
	return ev
}

func TestHub(t *testing.T) {
	r, err := alert.NewRing(10)
	if err != nil {
		t.Fatal(err)
	}
	h, err := newHub(r, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() { h.run(done); close(stopped) }()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 5 {
		if err := r.Write(context.Background(), []alert.Event{testEvent(t, "192.0.2.1", t0.Add(time.Duration(i)*time.Second))}); err != nil {
			t.Fatal(err)
		}
	}
	for deadline := time.Now().Add(5 * time.Second); h.last() < 5 && time.Now().Before(deadline); time.Sleep(time.Millisecond) {
	}
	got, missed, closed := h.since(0, 100)
	if missed != 2 || closed || len(got) != 3 || got[0].Seq != 3 || got[2].Seq != 5 || !got[0].Ev.Time.Equal(t0.Add(2*time.Second)) {
		t.Fatalf("since(0): %d entries from %d, missed %d", len(got), got[0].Seq, missed)
	}
	if got, missed, _ := h.since(3, 1); len(got) != 1 || got[0].Seq != 4 || missed != 0 {
		t.Fatalf("since(3, 1): %+v %d", got, missed)
	}
	if got, _, _ := h.since(5, 10); len(got) != 0 {
		t.Fatalf("since(5): %d entries", len(got))
	}
	if _, ok := h.get(2); ok {
		t.Error("entry 2 is still kept")
	}
	if e, ok := h.get(4); !ok || e.Seq != 4 {
		t.Error("entry 4 is not kept")
	}
	e, _ := h.get(5)
	if line := h.jsonLine(&e.Ev); !strings.HasPrefix(line, `{"timestamp":"2026-01-01T00:00:04.000000000Z","flow_id":42,"event_type":"alert"`) {
		t.Errorf("JSON line %s", line)
	}
	r.Close()
	<-stopped
	if _, _, closed := h.since(5, 10); !closed {
		t.Error("the hub is not closed after the ring")
	}
	close(done)
}

func TestAlertFilter(t *testing.T) {
	classes := []string{"normal", "DoS", "Probe"}
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	ev := testEvent(t, "10.1.2.3", t0)
	flow := ev
	flow.Type = alert.TypeFlow
	probe := ev
	probe.Alert.Signature.Class = "Probe"
	for _, tc := range []struct {
		q    string
		ev   alert.Event
		want bool
	}{
		{"", ev, true},
		{"", flow, false},
		{"type=all", flow, true},
		{"category=DoS", ev, true},
		{"category=DoS", probe, false},
		{"type=all&category=DoS", flow, false},
		{"addr=10.1.2.3", ev, true},
		{"addr=10.1.0.0/16", ev, true},
		{"addr=10.2.0.0/16", ev, false},
		{"addr=198.51.100.9", ev, true}, // the destination
		{"since=2026-05-01T11:59", ev, true},
		{"since=2026-05-01T12:00:01", ev, false},
		{"until=2026-05-01T12:00", ev, true},
		{"until=2026-05-01T11:59:59", ev, false},
		{"since=2026-05-01&until=2026-05-02", ev, true},
	} {
		q, _ := url.ParseQuery(tc.q)
		f, err := parseFilter(q, classes)
		if err != nil {
			t.Fatalf("%s: %v", tc.q, err)
		}
		if got := f.match(&tc.ev); got != tc.want {
			t.Errorf("%s on %s %s: %v", tc.q, tc.ev.Type, tc.ev.Alert.Signature.Class, got)
		}
	}
	q, _ := url.ParseQuery("category=Evil&addr=10.0.0.300&since=yesterday&type=x")
	_, err := parseFilter(q, classes)
	for _, want := range []string{`category "Evil"`, `address "10.0.0.300"`, `from: time "yesterday"`, `event type "x"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("bad filter: %v, want %q", err, want)
		}
	}
}

func TestFlatten(t *testing.T) {
	kvs, err := flatten(`{"a":1,"b":{"c":"x","d":[7,{"e":true}]},"f":null}`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, kv := range kvs {
		got = append(got, kv.Key+"="+kv.Value)
	}
	if s := strings.Join(got, " "); s != "a=1 b.c=x b.d[0]=7 b.d[1].e=true f=null" {
		t.Fatalf("flatten: %s", s)
	}
	if _, err := flatten(`{"a":`); err == nil {
		t.Error("truncated JSON flattened")
	}
}

// readEvents reads n server-sent events (id and event name) from a stream.
func readEvents(t *testing.T, sc *bufio.Scanner, n int) []string {
	t.Helper()
	var out []string
	var id, name string
	for len(out) < n && sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "id: "):
			id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: ") && name == "gap":
			out = append(out, "gap "+strings.TrimPrefix(line, "data: "))
			name = ""
		case line == "" && name != "":
			out = append(out, name+" "+id)
			name = ""
		}
	}
	return out
}

// A reconnecting stream resumes after its Last-Event-ID; a client behind
// by more than the kept events is told how many it missed.
func TestStreamResume(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.RingSize = 3 })
	e.addUser("ana", analystPW, RoleAnalyst)
	c := e.client()
	c.login("ana", analystPW)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 5 {
		e.s.Sink().Write(context.Background(), []alert.Event{testEvent(t, "192.0.2.1", t0.Add(time.Duration(i)*time.Second))})
	}
	for deadline := time.Now().Add(5 * time.Second); e.s.hub.last() < 5 && time.Now().Before(deadline); time.Sleep(time.Millisecond) {
	}
	open := func(lastID, query string) (*bufio.Scanner, func()) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.ts.URL+"/alerts/stream"+query, nil)
		if lastID != "" {
			req.Header.Set("Last-Event-ID", lastID)
		}
		res, err := c.c.Do(req)
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("stream: %v %v", err, res)
		}
		return bufio.NewScanner(res.Body), func() { cancel(); res.Body.Close() }
	}
	sc, stop := open("3", "?after=0")
	if got := strings.Join(readEvents(t, sc, 2), ","); got != "alert 4,alert 5" {
		t.Errorf("resume after 3: %s", got)
	}
	stop()
	sc, stop = open("0", "")
	if got := strings.Join(readEvents(t, sc, 4), ","); got != `gap {"missed": 2},alert 3,alert 4,alert 5` {
		t.Errorf("resume after 0 with 3 kept: %s", got)
	}
	stop()
	// A filtered stream skips what does not match; new events arrive live.
	sc, stop = open("", "?addr=203.0.113.0/24&after=5")
	e.s.Sink().Write(context.Background(), []alert.Event{testEvent(t, "192.0.2.1", t0), testEvent(t, "203.0.113.5", t0)})
	if got := strings.Join(readEvents(t, sc, 1), ","); got != "alert 7" {
		t.Errorf("filtered live stream: %s", got)
	}
	stop()
	if r := c.get("/alerts/stream?since=garbage"); r.status != http.StatusBadRequest {
		t.Errorf("bad filter on the stream: %d", r.status)
	}
	if r := c.get("/alerts?addr=not-an-address"); r.status != http.StatusBadRequest || !strings.Contains(r.body, "give an IP address or a CIDR prefix") {
		t.Errorf("bad filter on the page: %d", r.status)
	}
	if r := c.get("/alerts/2"); r.status != http.StatusNotFound || !strings.Contains(pageError(r.body), "no longer kept") {
		t.Errorf("evicted alert: %d", r.status)
	}
	if r := c.get("/alerts/7"); r.status != http.StatusOK || !strings.Contains(r.body, "203.0.113.5") {
		t.Errorf("alert 7: %d", r.status)
	}
}

// The first admin is created with the one-time setup token; then setup is
// closed. Sign-up is off until an admin turns it on.
func TestSetupAndSignup(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.s.SetupToken()
	if len(tok) != 32 {
		t.Fatalf("setup token %q", tok)
	}
	c := e.client()
	if r := c.get("/login"); !strings.Contains(r.body, `href="/setup"`) {
		t.Error("the log-in page does not point to the setup")
	}
	c.get("/setup")
	for _, tc := range []struct {
		v      url.Values
		status int
		msg    string
	}{
		{url.Values{"token": {"wrong"}, "name": {"root"}, "password": {adminPW}, "confirm": {adminPW}}, 403, "Wrong setup token"},
		{url.Values{"token": {tok}, "name": {"root"}, "password": {"short"}, "confirm": {"short"}}, 400, "at least 10 are required"},
		{url.Values{"token": {tok}, "name": {"root"}, "password": {adminPW}, "confirm": {adminPW + "x"}}, 400, "The two passwords differ."},
		{url.Values{"token": {tok}, "name": {"bad name"}, "password": {adminPW}, "confirm": {adminPW}}, 400, "Invalid user name"},
	} {
		if r := c.post("/setup", tc.v); r.status != tc.status || !strings.Contains(pageError(r.body), tc.msg) {
			t.Errorf("setup %v: %d %q", tc.v, r.status, pageError(r.body))
		}
	}
	r := c.post("/setup", url.Values{"token": {tok}, "name": {"root"}, "password": {adminPW}, "confirm": {adminPW}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/admin/users" {
		t.Fatalf("setup: %d %q", r.status, pageError(r.body))
	}
	if u, err := e.s.Store().User("root"); err != nil || u.Role != RoleAdmin {
		t.Fatalf("admin: %+v %v", u, err)
	}
	if r := c.get("/admin/users"); r.status != http.StatusOK {
		t.Fatalf("the new admin is not signed in: %d", r.status)
	}
	if e.s.SetupToken() != "" {
		t.Fatal("the setup token survives the setup")
	}
	anon := e.client()
	if r := anon.get("/setup"); r.status != http.StatusNotFound {
		t.Errorf("setup page after setup: %d", r.status)
	}
	anon.get("/login")
	if r := anon.post("/setup", url.Values{"token": {tok}, "name": {"evil"}, "password": {adminPW}, "confirm": {adminPW}}); r.status != http.StatusNotFound {
		t.Errorf("second setup: %d", r.status)
	}

	// Sign-up: off by default.
	if r := anon.get("/signup"); r.status != http.StatusForbidden {
		t.Errorf("sign-up page while off: %d", r.status)
	}
	if r := anon.post("/signup", url.Values{"name": {"mallory"}, "password": {analystPW}, "confirm": {analystPW}}); r.status != http.StatusForbidden {
		t.Errorf("sign-up while off: %d", r.status)
	}
	c.get("/admin/users")
	if r := c.post("/admin/signup", url.Values{"signup": {"on"}}); r.status != http.StatusSeeOther {
		t.Fatalf("sign-up on: %d", r.status)
	}
	anon.get("/signup")
	r = anon.post("/signup", url.Values{"name": {"Ana"}, "password": {analystPW}, "confirm": {analystPW}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("sign-up: %d %q", r.status, pageError(r.body))
	}
	if u, err := e.s.Store().User("ana"); err != nil || u.Role != RoleAnalyst {
		t.Fatalf("signed-up user: %+v %v", u, err)
	}
	other := e.client()
	other.get("/signup")
	if r := other.post("/signup", url.Values{"name": {"ana"}, "password": {analystPW}, "confirm": {analystPW}}); r.status != http.StatusConflict {
		t.Errorf("duplicate sign-up: %d", r.status)
	}
	// A user made on the command line closes a pending setup.
	e2 := newEnv(t, nil)
	if e2.s.SetupToken() == "" {
		t.Fatal("no setup token")
	}
	e2.addUser("cli-admin", adminPW, RoleAdmin)
	if e2.s.SetupToken() != "" {
		t.Fatal("setup still open after a user was added")
	}
}

func TestAdminActions(t *testing.T) {
	e := newEnv(t, nil)
	e.addUser("root", adminPW, RoleAdmin)
	c := e.client()
	c.login("root", adminPW)
	c.get("/admin/users")
	if r := c.post("/admin/users", url.Values{"name": {"bea"}, "role": {"analyst"}, "password": {analystPW}, "confirm": {analystPW}}); r.status != http.StatusSeeOther {
		t.Fatalf("add user: %d %q", r.status, pageError(r.body))
	}
	if r := c.post("/admin/users", url.Values{"name": {"bea"}, "role": {"analyst"}, "password": {analystPW}, "confirm": {analystPW}}); r.status != http.StatusConflict {
		t.Errorf("duplicate: %d", r.status)
	}
	if r := c.post("/admin/users", url.Values{"name": {"x"}, "role": {"root"}, "password": {analystPW}, "confirm": {analystPW}}); r.status != http.StatusBadRequest {
		t.Errorf("bad role: %d", r.status)
	}
	bea := e.client()
	bea.login("bea", analystPW)
	for _, a := range []string{"disable", "enable", "remove"} {
		if r := c.post("/admin/users/bea/"+a, url.Values{}); r.status != http.StatusSeeOther {
			t.Fatalf("%s: %d %q", a, r.status, pageError(r.body))
		}
		if a == "disable" {
			if r := bea.get("/classify"); r.status != http.StatusSeeOther {
				t.Errorf("disabled user still signed in: %d", r.status)
			}
		}
	}
	if _, err := e.s.Store().User("bea"); err == nil {
		t.Error("bea not removed")
	}
	if r := c.post("/admin/users/root/disable", url.Values{}); r.status != http.StatusBadRequest {
		t.Errorf("disabling oneself: %d", r.status)
	}
	if r := c.post("/admin/users/nobody/disable", url.Values{}); r.status != http.StatusNotFound {
		t.Errorf("unknown user: %d", r.status)
	}
	if r := c.post("/admin/users/root2/explode", url.Values{}); r.status != http.StatusNotFound {
		t.Errorf("unknown action: %d", r.status)
	}
	// Password change: wrong current password refused, right one works.
	c.get("/account")
	if r := c.post("/account/password", url.Values{"current": {"nope nope nope"}, "password": {"new password 1"}, "confirm": {"new password 1"}}); r.status != http.StatusForbidden {
		t.Errorf("wrong current password: %d", r.status)
	}
	if r := c.post("/account/password", url.Values{"current": {adminPW}, "password": {"new password 1"}, "confirm": {"new password 1"}}); r.status != http.StatusSeeOther {
		t.Fatalf("password change: %d %q", r.status, pageError(r.body))
	}
	again := e.client()
	again.login("root", "new password 1")
}

// A batch is visible to its owner and to admins only.
func TestBatchAccess(t *testing.T) {
	e := newEnv(t, nil)
	e.addUser("root", adminPW, RoleAdmin)
	e.addUser("ana", analystPW, RoleAnalyst)
	e.addUser("bob", analystPW, RoleAnalyst)
	ana := e.client()
	ana.login("ana", analystPW)
	r := ana.uploadBytes("rows.csv", []byte(neptuneRow+"\n"+normalRow+"\n"))
	loc := r.header.Get("Location")
	if r.status != http.StatusSeeOther {
		t.Fatalf("upload: %d %q", r.status, pageError(r.body))
	}
	page := ana.get(loc)
	if !strings.Contains(page.body, `<strong id="batch-rows">2</strong>`) || !strings.Contains(page.body, `<strong id="batch-alerts">1</strong>`) {
		t.Errorf("batch counts: %s", between(page.body, "<p>", "</p>"))
	}
	bob := e.client()
	bob.login("bob", analystPW)
	if r := bob.get(loc); r.status != http.StatusNotFound {
		t.Errorf("another analyst sees the batch: %d", r.status)
	}
	if r := bob.get(loc + "/csv"); r.status != http.StatusNotFound {
		t.Errorf("another analyst downloads the batch: %d", r.status)
	}
	root := e.client()
	root.login("root", adminPW)
	if r := root.get(loc); r.status != http.StatusOK {
		t.Errorf("admin: %d", r.status)
	}
}

// CSV cells that look like formulas are quoted in downloads.
func TestCSVCell(t *testing.T) {
	for in, want := range map[string]string{"=1+2": "'=1+2", "+x": "'+x", "-x": "'-x", "@SUM(A1)": "'@SUM(A1)", "http": "http", "": ""} {
		if got := csvCell(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"": "/classify", "/alerts?category=DoS": "/alerts?category=DoS", "//evil.example": "/classify",
		"/\\evil.example": "/classify", "https://evil.example/": "/classify", "alerts": "/classify",
		"/login": "/classify", "/model\r\nX: y": "/classify", "/alerts/stream": "/classify",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

func TestSniff(t *testing.T) {
	for _, tc := range []struct {
		head, kind string
	}{
		{"\xd4\xc3\xb2\xa1rest", kindPcap}, {"\xa1\xb2\xc3\xd4", kindPcap}, {"\x4d\x3c\xb2\xa1", kindPcap}, {"\x0a\x0d\x0d\x0a", kindPcap},
		{"0,tcp,http", kindCSV}, {"duration,protocol_type", kindCSV}, {"0,tcp,caf\xc3", kindCSV},
		{"\x00\x01\x02\x03", ""}, {"", ""}, {"\xff\xfe\xfd\xfc\xfb", ""},
	} {
		got, err := sniff([]byte(tc.head))
		if got != tc.kind || (tc.kind == "") != (err != nil) {
			t.Errorf("%q: %q %v, want %q", tc.head, got, err, tc.kind)
		}
	}
}

// Closing the sink handed to a sensor does not stop the console's feed.
func TestSinkCloseKeepsRing(t *testing.T) {
	e := newEnv(t, nil)
	k := e.s.Sink()
	if err := k.Close(); err != nil {
		t.Fatal(err)
	}
	if err := k.Write(context.Background(), []alert.Event{testEvent(t, "192.0.2.1", time.Now())}); err != nil {
		t.Fatalf("write after the sensor closed its sink: %v", err)
	}
}

// selfSigned writes a certificate and key for 127.0.0.1.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "cnids test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return certFile, keyFile
}

// With a certificate the console speaks HTTPS only, with Secure __Host-
// cookies and HSTS.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key := selfSigned(t, dir)
	if _, err := New(Config{Model: testModel(t), DataDir: dir, TLSCert: cert}); err == nil {
		t.Fatal("a certificate without a key accepted")
	}
	if _, err := New(Config{Model: testModel(t), DataDir: dir, TLSCert: cert, TLSKey: filepath.Join(dir, "none.pem")}); err == nil || !strings.Contains(err.Error(), "none.pem") {
		t.Fatalf("missing key: %v", err)
	}
	logBuf := &syncBuffer{}
	s, err := New(Config{Model: testModel(t), DataDir: dir, TLSCert: cert, TLSKey: key, Log: zerolog.New(logBuf)})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		s.Close()
	}()
	pool := x509.NewCertPool()
	pem, _ := os.ReadFile(cert)
	pool.AppendCertsFromPEM(pem)
	cl := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	res, err := cl.Get("https://" + ln.Addr().String() + "/login")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Strict-Transport-Security"), "max-age=") {
		t.Fatalf("HTTPS: %d %v", res.StatusCode, res.Header)
	}
	sc := res.Header.Get("Set-Cookie")
	if !strings.HasPrefix(sc, "__Host-cnids_pre=") || !strings.Contains(sc, "Secure") || !strings.Contains(sc, "HttpOnly") {
		t.Errorf("cookie over TLS: %q", sc)
	}
	if res, err := http.Get("http://" + ln.Addr().String() + "/login"); err == nil {
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			t.Error("plain HTTP served on the TLS port")
		}
	}
	if !strings.Contains(logBuf.String(), `"url":"https://`+ln.Addr().String()) || !strings.Contains(logBuf.String(), `"setup_token"`) {
		t.Errorf("log: %s", logBuf.String())
	}
}
