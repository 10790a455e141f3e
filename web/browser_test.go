package web

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image/png"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/rs/zerolog"

	"github.com/cnids/cnids/alert"
	"github.com/cnids/cnids/capture"
	"github.com/cnids/cnids/model"
	"github.com/cnids/cnids/sensor"
	"github.com/cnids/cnids/train"
)

// chromium returns the path of a Chromium or Chrome binary, or "".
func chromium() string {
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

// kddRow returns the first row of the NSL-KDD 20 % training file whose
// label is label and whose fields match the given prefix (protocol,
// service, flag...), without the label and difficulty.
func kddRow(t *testing.T, label, prefix string) []string {
	t.Helper()
	var row []string
	scanKDD(t, func(l string) bool {
		if fs := strings.Split(l, ","); len(fs) == 43 && fs[41] == label && strings.HasPrefix(l, prefix) {
			row = fs
		}
		return row == nil
	})
	if row == nil {
		t.Fatalf("no %s row starting %q in KDDTrain+_20Percent", label, prefix)
	}
	return row
}

// writeReport makes a training report folder the way cnids-train fit
// --report does, with the train package's plots of the model's own
// validation confusion matrix and class counts.
func writeReport(t *testing.T, f *model.File) string {
	t.Helper()
	dir := t.TempDir()
	var m struct {
		Confusion train.ConfusionMatrix `json:"confusion_matrix"`
	}
	if err := json.Unmarshal(f.Header.Training.Validation, &m); err != nil {
		t.Fatal(err)
	}
	if err := train.PlotConfusionMatrix(filepath.Join(dir, "confusion-validation.png"), m.Confusion, f.Header.Classes, true); err != nil {
		t.Fatal(err)
	}
	if err := train.PlotClassDistribution(filepath.Join(dir, "class-distribution.png"), "Training class distribution",
		f.Header.Classes, [][]int{f.Header.Training.ClassCounts}, []string{"training rows"}, true); err != nil {
		t.Fatal(err)
	}
	return dir
}

// screenshotDir is where the browser test saves its screenshots for the
// README, with -screenshots (make screenshots).
const screenshotDir = "../docs/screenshots"

// saveShots makes the browser test write its screenshots into
// screenshotDir; without it they are only checked.
var saveShots = flag.Bool("screenshots", false, "save the browser test's screenshots into "+screenshotDir)

// maxScreenshot bounds a screenshot's size.
const maxScreenshot = 300 << 10

// browser drives one Chromium tab.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
}

func (b *browser) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", step, err)
	}
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// waitJS polls a JavaScript predicate until it is truthy.
func (b *browser) waitJS(step, expr string, timeout time.Duration) {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		b.t.Fatalf("%s: waiting for %s: %v", step, expr, err)
	}
}

func (b *browser) eval(expr string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return s
}

// shot takes a PNG screenshot of the viewport, checks it, and with
// -screenshots saves it into docs/screenshots.
func (b *browser) shot(name string) {
	b.t.Helper()
	data, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		b.t.Fatalf("screenshot %s is not a PNG: %v", name, err)
	}
	if cfg.Width != 1280 || cfg.Height != 800 {
		b.t.Errorf("screenshot %s is %dx%d, want 1280x800", name, cfg.Width, cfg.Height)
	}
	if len(data) > maxScreenshot {
		b.t.Errorf("screenshot %s has %d bytes, more than %d", name, len(data), maxScreenshot)
	}
	if !*saveShots {
		return
	}
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(screenshotDir, name+".png"), data, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// fill sets form inputs by element id.
func (b *browser) fill(step string, values map[string]string) {
	b.t.Helper()
	var acts []chromedp.Action[chromedp.Void]
	for id, v := range values {
		acts = append(acts, chromedp.SetValue(chromedp.ID(id), v))
	}
	b.do(step, acts...)
}

// submit clicks a button and waits for the page that has the element
// wantID.
func (b *browser) submit(step, button, wantID string) {
	b.t.Helper()
	if _, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(button))); err != nil {
		b.t.Fatalf("%s: %v", step, err)
	}
	b.do(step, chromedp.WaitReady(chromedp.ID(wantID)))
}

func (b *browser) open(path, wantID string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.base+path), chromedp.WaitReady(chromedp.ID(wantID)))
}

var setupTokenRE = regexp.MustCompile(`"setup_token":"([A-Za-z0-9_-]+)"`)

// TestBrowserEndToEnd drives the console in headless Chromium: the first
// admin through the setup token, sign-up turned on, an analyst signing up,
// signing out and in, classifying a known DoS row (neptune) and a normal
// row of NSL-KDD, uploading a capture, and watching an alert arrive live
// while the sensor replays a SYN flood. It saves a screenshot of each
// page into docs/screenshots.
func TestBrowserEndToEnd(t *testing.T) {
	exe := chromium()
	if exe == "" {
		t.Skip("skipping the browser test: no Chromium found (apt-get install chromium)")
	}
	mf := testModel(t)
	clock := &fakeClock{t: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}
	logBuf := &syncBuffer{}
	s, err := New(Config{Model: mf, ModelName: "nsl-kdd-cnn@8f3a21c0", Threshold: -1, DataDir: t.TempDir(),
		ReportDir: writeReport(t, mf), Now: clock.Now, Log: zerolog.New(logBuf)})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serveCtx, stopServe := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(serveCtx, ln) }()
	t.Cleanup(func() {
		stopServe()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	var token string
	for deadline := time.Now().Add(5 * time.Second); token == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := setupTokenRE.FindStringSubmatch(logBuf.String()); m != nil {
			token = m[1]
		}
	}
	if token == "" {
		t.Fatalf("no setup token in the log:\n%s", logBuf.String())
	}

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-default-browser-check", true), chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("force-color-profile", "srgb"), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 800))
	defer cancelAlloc()
	tabCtx, cancelTab := chromedp.NewContext(allocCtx)
	defer cancelTab()
	ctx, cancel := context.WithTimeout(tabCtx, 100*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800)); err != nil {
		t.Skipf("skipping the browser test: Chromium (%s) could not start: %v", exe, err)
	}
	b := &browser{t: t, ctx: ctx, base: "http://" + ln.Addr().String()}
	const adminPW, analystPW = "admin password 2026", "analyst password 2026"

	// The first admin, with the setup token from the log.
	b.open("/setup", "setup-form")
	b.fill("setup", map[string]string{"token": token, "name": "admin", "password": adminPW, "confirm": adminPW})
	b.submit("setup", "#setup-form button", "signup-toggle")
	if got := b.text("#users"); !strings.Contains(got, "admin") {
		t.Fatalf("users page after setup: %q", got)
	}
	// Sign-up on, then out.
	b.submit("sign-up on", "#signup-on", "signup-off")
	b.submit("sign out", "#logout", "login-form")
	b.shot("login")

	// An analyst signs up, signs out, and signs in again.
	b.open("/signup", "signup-form")
	b.fill("sign-up", map[string]string{"name": "ana", "password": analystPW, "confirm": analystPW})
	b.submit("sign-up", "#signup-form button", "fields-form")
	b.submit("sign out", "#logout", "login-form")
	b.fill("log-in", map[string]string{"name": "ana", "password": analystPW})
	b.submit("log-in", "#login-form button", "fields-form")
	if got := b.text("header nav"); !strings.Contains(got, "ana") || strings.Contains(got, "Users") {
		t.Fatalf("analyst's navigation: %q", got)
	}

	// A neptune (DoS) row through the 41 fields.
	neptune := kddRow(t, "neptune", "0,tcp,private,S0,")
	vals := map[string]string{}
	for i, name := range s.parser.schema.Names() {
		vals["f-"+name] = neptune[i]
	}
	b.fill("neptune fields", vals)
	b.submit("classify neptune", "#classify-fields", "verdict-text")
	if got := b.text("#verdict-text"); !strings.HasPrefix(got, "Attack detected: DoS, score ") {
		t.Fatalf("neptune row: verdict %q, want DoS", got)
	}
	b.shot("classify")

	// A normal row, pasted.
	normal := kddRow(t, "normal", "0,tcp,http,SF,")
	b.fill("paste", map[string]string{"row": strings.Join(normal, ",")})
	b.submit("classify normal", "#classify-paste", "verdict-text")
	if got := b.text("#verdict-text"); !strings.HasPrefix(got, "No attack detected: it is normal, score ") {
		t.Fatalf("normal row: verdict %q", got)
	}

	// Upload a capture: it is classified as a batch through the sensor.
	b.do("choose capture", chromedp.SetUploadFiles(chromedp.ID("file"), []string{shared(t, "pcaps", "lab", "r2l-ftp-bruteforce.pcap")}))
	b.submit("upload", "#upload", "batch-table")
	if rows := b.text("#batch-rows"); rows == "0" || rows == "" {
		t.Fatalf("batch of the FTP brute force: %s rows", rows)
	}
	if alerts := b.text("#batch-alerts"); alerts == "0" {
		t.Fatalf("batch of the FTP brute force: no alert")
	}
	b.shot("batch")

	// Live alerts: the alerts page is open while the sensor replays a SYN
	// flood into the console's sink; a DoS row must arrive by SSE.
	b.open("/alerts", "alerts")
	// Stop the DevTools network events: each server-sent event would
	// otherwise be copied to this test over the protocol, which costs the
	// browser far more than the page does.
	b.do("network events off", func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, t, network.Disable, cdp.Empty{})
		return chromedp.Void{}, err
	})
	b.waitJS("stream", `document.getElementById('live').getAttribute('data-state') === 'live'`, 10*time.Second)
	if n := b.eval(`String(document.querySelectorAll('#alerts tr[data-live]').length)`); n != "0" {
		t.Fatalf("%s live rows before any event", n)
	}

	// An alert whose packet-derived fields carry markup is shown as text.
	const evilApp = `<img src=x onerror="document.title='pwned'">`
	const evilFlag = `<script>document.title='pwned'</script>`
	if err := s.Sink().Write(ctx, []alert.Event{evilEvent(t, evilApp, evilFlag)}); err != nil {
		t.Fatal(err)
	}
	b.waitJS("markup alert", `Array.from(document.querySelectorAll('#alerts tr[data-live]')).some(r => r.cells[7].textContent === `+jsString(evilApp)+` && r.cells[8].textContent === `+jsString(evilFlag)+`)`, 10*time.Second)
	if got := b.eval(`document.title + ' ' + document.querySelectorAll('#alerts img, #alerts script').length`); got != "Alerts · cnids 0" {
		t.Fatalf("markup from an alert was interpreted: title and elements %q", got)
	}
	initial, err := strconv.Atoi(b.text("#matched"))
	if err != nil {
		t.Fatal(err)
	}

	// Live alerts: the sensor replays a SYN flood into the console's sink
	// while the page is open; the DoS alerts arrive by server-sent events.
	hubBefore, droppedBefore := s.hub.last(), s.ring.Stats().Dropped
	clf, err := model.NewClassifier(mf, -1)
	if err != nil {
		t.Fatal(err)
	}
	p, err := sensor.New(sensor.Config{Classifier: clf, ModelName: "nsl-kdd-cnn@8f3a21c0", Sink: s.Sink(), Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	src, err := capture.OpenFiles([]string{shared(t, "pcaps", "lab", "dos-synflood.pcap")}, capture.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	replayed := make(chan sensor.Stats, 1)
	go func() {
		st, err := p.Run(ctx, src)
		src.Close()
		if err != nil {
			t.Error(err)
		}
		replayed <- st
	}()
	b.waitJS("live alert", `Array.from(document.querySelectorAll('#alerts tr[data-live]')).some(r => r.cells[2].textContent === 'DoS' && r.cells[5].textContent.startsWith('10.99.0.2:'))`, 60*time.Second)
	st := <-replayed
	if st.Alerts == 0 {
		t.Fatalf("the SYN flood raised no alert (%d connections)", st.Rows)
	}
	// Every alert the console's feed received reaches the page.
	var got uint64
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		got = s.hub.last() - hubBefore
		if got+s.ring.Stats().Dropped-droppedBefore >= st.Alerts || time.Now().After(deadline) {
			break
		}
	}
	if dropped := s.ring.Stats().Dropped - droppedBefore; dropped > 0 {
		t.Logf("the ring dropped %d of %d alerts for the console's feed under load", dropped, st.Alerts)
	}
	// Every alert the console's feed received reaches the page, or is
	// counted as missed when the page fell behind by more than the events
	// the console keeps (possible on a loaded machine).
	b.waitJS("every alert", fmt.Sprintf(`parseInt(document.getElementById('matched').textContent, 10) + parseInt(document.getElementById('gap').getAttribute('data-missed') || '0', 10) === %d`, initial+int(got)), 30*time.Second)
	t.Logf("%d alerts replayed, %d reached the console's feed, %s missed by the page", st.Alerts, got, b.eval(`document.getElementById('gap').getAttribute('data-missed') || '0'`))
	b.shot("alerts")
	b.submit("alert detail", "#alerts tr[data-live] a", "json-line")
	if line := b.text("#json-line"); !strings.Contains(line, `"event_type":"alert"`) || !strings.Contains(line, `"class":"DoS"`) {
		t.Fatalf("alert detail JSON line: %s", line)
	}
	b.shot("alert")

	// The model page, with the report images.
	b.open("/model", "per-class")
	b.waitJS("report images", `Array.from(document.images).filter(i => i.src.includes('/model/report/')).every(i => i.complete && i.naturalWidth > 0)`, 10*time.Second)
	if arch := b.text("#arch"); !strings.HasPrefix(arch, "cnn: conv 32×3") {
		t.Errorf("model architecture: %q", arch)
	}
	b.shot("model")

	// The admin sees both users.
	b.submit("sign out", "#logout", "login-form")
	b.fill("admin log-in", map[string]string{"name": "admin", "password": adminPW})
	b.submit("admin log-in", "#login-form button", "fields-form")
	b.open("/admin/users", "users")
	if got := b.text("#users"); !strings.Contains(got, "ana") || !strings.Contains(got, "analyst") {
		t.Fatalf("users page: %q", got)
	}
	b.shot("users")
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
