package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnids/cnids/internal/sharedtest"

	"github.com/cnids/cnids/dataset"
)

func shared(t testing.TB, parts ...string) string { return sharedtest.Path(t, parts...) }

func runCmd(t *testing.T, args ...string) (status int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	status = run(context.Background(), args, strings.NewReader(""), &o, &e)
	return status, o.String(), e.String()
}

// event is the part of an alert line the tests read.
type event struct {
	EventType string `json:"event_type"`
	Alert     struct {
		Class string  `json:"class"`
		Score float64 `json:"score"`
	} `json:"alert"`
	Flow struct {
		Reason string `json:"reason"`
	} `json:"flow"`
}

func parseEvents(t *testing.T, out string) []event {
	t.Helper()
	var evs []event
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("invalid JSON line %q: %v", sc.Text(), err)
		}
		evs = append(evs, e)
	}
	return evs
}

// unreadable returns the public corpus files that Wireshark refuses
// (their README row says "capinfos error"): replaying them must fail.
func unreadable(t *testing.T) map[string]bool {
	data, err := os.ReadFile(shared(t, "pcaps", "public", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]bool{}
	for _, l := range strings.Split(string(data), "\n") {
		f := strings.Split(l, "|")
		if len(f) > 8 && strings.Contains(l, "capinfos error") {
			m[strings.TrimSpace(f[1])] = true
		}
	}
	if len(m) == 0 {
		t.Fatal("no unreadable file found in the public README")
	}
	return m
}

// Every public capture replays without a panic, with exit status 0, or 1
// for the files no reader accepts; the output is valid JSON lines.
func TestReplayPublicCorpus(t *testing.T) {
	bad := unreadable(t)
	files, err := filepath.Glob(filepath.Join(shared(t, "pcaps", "public"), "*.pcap*"))
	if err != nil || len(files) < 100 {
		t.Fatalf("%d public captures (%v)", len(files), err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		status, out, errOut := runCmd(t, "replay", "--log-format", "json", "--emit", "all", f)
		want := 0
		if bad[name] {
			want = 1
		}
		if status != want {
			t.Errorf("%s: exit status %d, want %d; stderr:\n%s", name, status, want, errOut)
		}
		if want == 1 && !strings.Contains(errOut, name) {
			t.Errorf("%s: the error does not name the file:\n%s", name, errOut)
		}
		parseEvents(t, out)
	}
}

// The embedded NSL-KDD model detects the lab attacks that have an NSL-KDD
// counterpart: at least 80% of each phase's connections alert, and the
// most frequent alert class is the phase's category.
func TestLabDetection(t *testing.T) {
	labels, err := dataset.ReadLabels(shared(t, "pcaps", "lab", "labels.csv"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"dos-synflood": "DoS", "ddos-synflood": "DoS", "probe-nmap-syn": "Probe", "probe-ping-sweep": "Probe",
		"dos-icmpflood": "", "r2l-telnet-bruteforce": "R2L", "r2l-ftp-bruteforce": "R2L", "normal": "",
	}
	for _, r := range labels.Ranges {
		cat, ok := want[r.Phase]
		if !ok {
			continue
		}
		status, out, errOut := runCmd(t, "replay", "--log-format", "json", "--emit", "all", shared(t, "pcaps", "lab", r.Pcap))
		if status != 0 {
			t.Fatalf("%s: exit status %d: %s", r.Phase, status, errOut)
		}
		evs := parseEvents(t, out)
		by := map[string]int{}
		alerts := 0
		for _, e := range evs {
			if e.EventType == "alert" {
				alerts++
				by[e.Alert.Class]++
			}
		}
		top := ""
		for c, n := range by {
			if n > by[top] || (n == by[top] && c < top) {
				top = c
			}
		}
		t.Logf("%s: %d connections, %d alerts, by class %v", r.Phase, len(evs), alerts, by)
		if r.Phase == "normal" {
			continue // the goal is 0 alerts; the README reports the count
		}
		if len(evs) == 0 || float64(alerts) < 0.8*float64(len(evs)) {
			t.Errorf("%s: %d of %d connections alerted, want at least 80%%", r.Phase, alerts, len(evs))
		}
		if cat != "" && top != cat {
			t.Errorf("%s: top alert class %q, want %q (%v)", r.Phase, top, cat, by)
		}
	}
}

// extract --format kdd --labels writes rows that cnids-train's reader
// reads back, labelled by phase.
func TestExtractLabelled(t *testing.T) {
	lab := shared(t, "pcaps", "lab")
	status, out, errOut := runCmd(t, "extract", "--format", "kdd", "--labels", filepath.Join(lab, "labels.csv"),
		// In time order: several files form one timeline.
		filepath.Join(lab, "normal.pcap"), filepath.Join(lab, "probe-ping-sweep.pcap"), filepath.Join(lab, "r2l-ftp-bruteforce.pcap"))
	if status != 0 {
		t.Fatalf("exit status %d: %s", status, errOut)
	}
	frame, _, err := dataset.Read(strings.NewReader(out), "extract", dataset.Options{Family: "nsl-kdd"})
	if err != nil {
		t.Fatal(err)
	}
	counts := frame.ClassCounts()
	// normal.pcap's 58 connections, the sweep's 10 ICMP packets, the FTP
	// brute force's 12 connections.
	if frame.Len() != 80 || counts[0] != 58 || counts[2] != 10 || counts[3] != 12 {
		t.Fatalf("%d rows, per class %v (%v)", frame.Len(), counts, frame.Classes)
	}
	// CSV with a header and tuple columns.
	status, out, _ = runCmd(t, "extract", "--with-tuple", filepath.Join(lab, "probe-ping-sweep.pcap"))
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if status != 0 || len(lines) != 11 || !strings.HasPrefix(lines[0], "start,end,src_ip,src_port,dest_ip,dest_port,proto,state,duration,protocol_type") {
		t.Fatalf("status %d, %d lines, header %q", status, len(lines), lines[0])
	}
}

func TestUsageAndBadInput(t *testing.T) {
	if s, _, _ := runCmd(t); s != 2 {
		t.Errorf("no command: status %d", s)
	}
	if s, _, _ := runCmd(t, "replay", "--no-such-flag", "x.pcap"); s != 2 {
		t.Errorf("unknown flag: status %d", s)
	}
	s, _, errOut := runCmd(t, "replay", "--log-format", "json", "/nonexistent/x.pcap")
	if s != 1 || !strings.Contains(errOut, "/nonexistent/x.pcap") {
		t.Errorf("missing file: status %d, stderr %s", s, errOut)
	}
	s, _, errOut = runCmd(t, "replay", "--model", "/nonexistent.model", shared(t, "pcaps", "public", "http-get.pcap"))
	if s != 1 || !strings.Contains(errOut, "nonexistent.model") {
		t.Errorf("missing model: status %d, stderr %s", s, errOut)
	}
	// bot-iot runs with its embedded model; an unknown family is a usage
	// error that names it (TestFamilyFlags has the other combinations).
	s, out, errOut := runCmd(t, "replay", "--log-format", "json", "--features", "bot-iot", shared(t, "pcaps", "public", "attack-tcp-scan-ndpi.pcap"))
	if s != 0 || !strings.Contains(out, `"family":"bot-iot"`) || strings.Contains(out, `"family":"nsl-kdd"`) {
		t.Errorf("bot-iot: status %d, stdout %.300s, stderr %s", s, out, errOut)
	}
	s, out, errOut = runCmd(t, "replay", "--features", "unsw-nb15", shared(t, "pcaps", "public", "http-get.pcap"))
	if s != 2 || out != "" || !strings.Contains(errOut, `unknown family "unsw-nb15"`) {
		t.Errorf("unsupported family: status %d, stderr %s", s, errOut)
	}
}
