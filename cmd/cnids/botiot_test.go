package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cnids/cnids/dataset"
	"github.com/cnids/cnids/features"
)

// famEvent is the part of an alert line the family tests read.
type famEvent struct {
	EventType string `json:"event_type"`
	SrcPort   int    `json:"src_port"`
	Alert     struct {
		Class     string `json:"class"`
		Signature string `json:"signature"`
		Model     string `json:"model"`
		Family    string `json:"family"`
	} `json:"alert"`
}

func parseFamEvents(t *testing.T, out string) []famEvent {
	t.Helper()
	var evs []famEvent
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var e famEvent
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("invalid JSON line %q: %v", l, err)
		}
		evs = append(evs, e)
	}
	return evs
}

// extract --features bot-iot --labels writes the public files' 46
// columns, labels each flow with its phase's BoT-IoT category and
// subcategory, skips the flows of a phase BoT-IoT has no class for, and
// cnids-train's reader reads the rows back.
func TestExtractBotIoT(t *testing.T) {
	lab := shared(t, "pcaps", "lab")
	files := []string{filepath.Join(lab, "normal.pcap"), filepath.Join(lab, "probe-ping-sweep.pcap"),
		filepath.Join(lab, "r2l-ftp-bruteforce.pcap"), filepath.Join(lab, "theft-exfiltration.pcap")}
	status, out, errOut := runCmd(t, append([]string{"extract", "--features", "bot-iot", "--per-file", "--labels", filepath.Join(lab, "labels.csv")}, files...)...)
	if status != 0 {
		t.Fatalf("exit status %d: %s", status, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if want := string(features.AppendBotIoTHeader(nil, true)); lines[0] != want {
		t.Fatalf("header %q, want %q", lines[0], want)
	}
	head := strings.Split(lines[0], ",")
	if len(head) != 46 || head[0] != "pkSeqID" || head[7] != "sport" || head[43] != "attack" || head[45] != "subcategory" {
		t.Fatalf("header %v", head)
	}
	count := map[string]int{}
	hexPort := false
	for i, l := range lines[1:] {
		f := strings.Split(l, ",")
		if len(f) != 46 {
			t.Fatalf("row %d has %d columns: %s", i+1, len(f), l)
		}
		if f[0] != strconv.Itoa(i+1) {
			t.Errorf("row %d: pkSeqID %s", i+1, f[0])
		}
		count[f[43]+"/"+f[44]+"/"+f[45]]++
		if f[4] == "icmp" && strings.HasPrefix(f[7], "0x") {
			hexPort = true
		}
	}
	// normal.pcap makes 49 flows, the sweep 5 ICMP echo flows (one per
	// address), the exfiltration one TCP flow; the FTP brute force has no
	// BoT-IoT class and is skipped.
	want := map[string]int{"0/Normal/Normal": 49, "1/Reconnaissance/Service_Scan": 5, "1/Theft/Data_Exfiltration": 1}
	if len(count) != len(want) {
		t.Errorf("labels %v, want %v", count, want)
	}
	for k, n := range want {
		if count[k] != n {
			t.Errorf("%s: %d rows, want %d (all %v)", k, count[k], n, count)
		}
	}
	if !hexPort {
		t.Error("no ICMP row with a hex sport")
	}
	if !strings.Contains(errOut, "skipped 12 flows of phase r2l-ftp-bruteforce") {
		t.Errorf("stderr does not report the skipped FTP phase:\n%s", errOut)
	}
	for _, mode := range []string{"category", "subcategory"} {
		frame, _, err := dataset.Read(strings.NewReader(out), "extract", dataset.Options{Family: "bot-iot", Labels: mode})
		if err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		if frame.Len() != 55 {
			t.Errorf("%s: read back %d rows, want 55", mode, frame.Len())
		}
	}
	// A labels file without BoT-IoT columns is refused, not read as all
	// skipped.
	recs, err := csv.NewReader(strings.NewReader(mustRead(t, filepath.Join(lab, "labels.csv")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var buf strings.Builder
	cw := csv.NewWriter(&buf)
	for _, r := range recs {
		cw.Write(r[:13]) // up to nsl_kdd_closest_attack
	}
	cw.Flush()
	noBot := filepath.Join(t.TempDir(), "labels.csv")
	if err := os.WriteFile(noBot, []byte(buf.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	status, out, errOut = runCmd(t, "extract", "--features", "bot-iot", "--labels", noBot, filepath.Join(lab, "probe-ping-sweep.pcap"))
	if status != 1 || out != "" || !strings.Contains(errOut, "botiot_category") {
		t.Errorf("labels without BoT-IoT columns: status %d, stdout %q, stderr %s", status, out, errOut)
	}
	// Without labels: the 43 feature columns.
	status, out, errOut = runCmd(t, "extract", "--features", "bot-iot", filepath.Join(lab, "probe-ping-sweep.pcap"))
	lines = strings.Split(strings.TrimSpace(out), "\n")
	if status != 0 || len(lines) != 6 || len(strings.Split(lines[0], ",")) != 43 || len(strings.Split(lines[1], ",")) != 43 {
		t.Fatalf("no labels: status %d, %d lines: %q\n%s", status, len(lines), lines[0], errOut)
	}
}

// The embedded BoT-IoT model detects the lab's flood phases: at least
// 90% of each phase's flows alert, and the most frequent alert class is
// the phase's BoT-IoT category. Every alert names the bot-iot family and
// the embedded model.
func TestReplayBotIoTFloods(t *testing.T) {
	lab := shared(t, "pcaps", "lab")
	for phase, cat := range map[string]string{"dos-synflood": "DoS", "dos-udpflood": "DoS", "dos-httpflood": "DoS", "ddos-synflood": "DDoS"} {
		status, out, errOut := runCmd(t, "replay", "--log-format", "json", "--features", "bot-iot", "--emit", "all", filepath.Join(lab, phase+".pcap"))
		if status != 0 {
			t.Fatalf("%s: exit status %d: %s", phase, status, errOut)
		}
		evs := parseFamEvents(t, out)
		by := map[string]int{}
		alerts := 0
		for _, e := range evs {
			if e.Alert.Family != "bot-iot" || !strings.HasPrefix(e.Alert.Model, "bot-iot-cnn@") {
				t.Fatalf("%s: event of family %q, model %q", phase, e.Alert.Family, e.Alert.Model)
			}
			if e.EventType == "alert" {
				alerts++
				by[e.Alert.Class]++
				if !strings.HasPrefix(e.Alert.Signature, "cnids BoT-IoT ") {
					t.Fatalf("%s: signature %q", phase, e.Alert.Signature)
				}
			}
		}
		top := ""
		for c, n := range by {
			if n > by[top] || (n == by[top] && c < top) {
				top = c
			}
		}
		t.Logf("%s: %d flows, %d alerts, by class %v", phase, len(evs), alerts, by)
		if len(evs) == 0 || float64(alerts) < 0.9*float64(len(evs)) {
			t.Errorf("%s: %d of %d flows alerted, want at least 90%%", phase, alerts, len(evs))
		}
		if top != cat {
			t.Errorf("%s: top alert class %q, want %q (%v)", phase, top, cat, by)
		}
	}
}

// --features nsl-kdd,bot-iot runs both families in one pass: each
// connection of a SYN scan raises an NSL-KDD alert and a BoT-IoT alert,
// each naming its family and its model (the embedded one, or the file
// given with --bot-iot-model).
func TestReplayBothFamilies(t *testing.T) {
	pcap := filepath.Join(shared(t, "pcaps", "lab"), "probe-nmap-syn.pcap")
	botCopy := filepath.Join(t.TempDir(), "site-bot.model")
	data, err := embeddedModels.ReadFile("models/bot-iot-cnn.model")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(botCopy, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args     []string
		botModel string
	}{
		{nil, "bot-iot-cnn@"},
		{[]string{"--bot-iot-model", botCopy}, "site-bot@"},
	} {
		args := append([]string{"replay", "--log-format", "json", "--features", "nsl-kdd,bot-iot"}, tc.args...)
		status, out, errOut := runCmd(t, append(args, pcap)...)
		if status != 0 {
			t.Fatalf("%v: exit status %d: %s", tc.args, status, errOut)
		}
		by := map[string]int{}
		for _, e := range parseFamEvents(t, out) {
			switch {
			case e.Alert.Family == "nsl-kdd" && strings.HasPrefix(e.Alert.Model, "nsl-kdd-cnn@") && strings.HasPrefix(e.Alert.Signature, "cnids NSL-KDD "):
			case e.Alert.Family == "bot-iot" && strings.HasPrefix(e.Alert.Model, tc.botModel) && strings.HasPrefix(e.Alert.Signature, "cnids BoT-IoT "):
			default:
				t.Fatalf("%v: alert of family %q, model %q, signature %q", tc.args, e.Alert.Family, e.Alert.Model, e.Alert.Signature)
			}
			by[e.Alert.Family+" "+e.Alert.Class]++
		}
		t.Logf("%v: alerts %v", tc.args, by)
		// 1024 scanned ports: most connections alert in each family.
		if by["nsl-kdd Probe"] < 900 || by["bot-iot Reconnaissance"] < 900 {
			t.Errorf("%v: alerts by family and class %v, want at least 900 NSL-KDD Probe and 900 BoT-IoT Reconnaissance", tc.args, by)
		}
		if !strings.Contains(errOut, `"family":"bot-iot"`) || !strings.Contains(errOut, `"family":"nsl-kdd"`) {
			t.Errorf("%v: the start log does not name both families:\n%s", tc.args, errOut)
		}
	}
}

// Flag combinations that cannot work stop the command before any input
// is read: exit status 2 and a message naming the flags; a model of the
// wrong family is an error (status 1) naming both families.
func TestFamilyFlags(t *testing.T) {
	pcap := filepath.Join(shared(t, "pcaps", "lab"), "probe-ping-sweep.pcap")
	kddModel := filepath.Join("models", "nsl-kdd-cnn.model")
	for _, tc := range []struct {
		args   []string
		status int
		msg    []string
	}{
		{[]string{"replay", "--features", "ddos"}, 2, []string{"unknown family", "ddos"}},
		{[]string{"replay", "--features", "nsl-kdd,nsl-kdd"}, 2, []string{"nsl-kdd given twice"}},
		{[]string{"replay", "--features", "nsl-kdd", "--bot-iot-model", "x.model"}, 2, []string{"--bot-iot-model", "need the bot-iot family"}},
		{[]string{"replay", "--bot-iot-threshold", "0.5"}, 2, []string{"--bot-iot-threshold"}},
		{[]string{"replay", "--features", "bot-iot", "--model", "a.model", "--bot-iot-model", "b.model"}, 2, []string{"give the BoT-IoT model once"}},
		{[]string{"replay", "--features", "bot-iot", "--threshold", "0.5", "--bot-iot-threshold", "0.5"}, 2, []string{"threshold once"}},
		{[]string{"replay", "--features", "nsl-kdd,bot-iot", "--event-features"}, 2, []string{"--event-features", "single feature family"}},
		{[]string{"sniff", "-i", "no-such-if0", "--features", "bot-iot,foo"}, 2, []string{"unknown family", "foo"}},
		{[]string{"replay", "--features", "bot-iot", "--model", kddModel}, 1, []string{"nsl-kdd model", "bot-iot family needs a bot-iot model"}},
		{[]string{"replay", "--features", "nsl-kdd,bot-iot", "--bot-iot-model", kddModel}, 1, []string{"--bot-iot-model", "nsl-kdd model"}},
		{[]string{"replay", "--features", "nsl-kdd,bot-iot", "--bot-iot-model", "/nonexistent/b.model"}, 1, []string{"--bot-iot-model", "/nonexistent/b.model"}},
		{[]string{"extract", "--features", "nsl-kdd,bot-iot"}, 2, []string{"one family"}},
		{[]string{"extract", "--features", "bot-iot", "--format", "kdd", "--labels", "x.csv"}, 2, []string{"--format kdd", "bot-iot"}},
		{[]string{"extract", "--features", "bot-iot", "--with-tuple"}, 2, []string{"--with-tuple"}},
	} {
		args := tc.args
		if args[0] != "sniff" {
			args = append(args, pcap)
		}
		status, out, errOut := runCmd(t, args...)
		if status != tc.status || out != "" {
			t.Errorf("%v: exit status %d, want %d; stdout %q", tc.args, status, tc.status, out)
		}
		for _, m := range tc.msg {
			if !strings.Contains(errOut, m) {
				t.Errorf("%v: stderr does not say %q:\n%s", tc.args, m, errOut)
			}
		}
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
