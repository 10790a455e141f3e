package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cnids/cnids/features"
	"github.com/cnids/cnids/model"
)

// botIoTLines returns a small BoT-IoT file in the public files' 46-column
// layout: Normal/Normal UDP DNS flows, DoS/TCP SYN flood flows and
// Reconnaissance/Service_Scan ICMP echo flows whose ports are hex, as
// the public files write them. The identifiers (addresses, ports, times,
// sequence numbers) are made to give the label away, so that a model
// that used them would not need the other columns.
func botIoTLines(n int) []string {
	lines := []string{string(features.AppendBotIoTHeader(nil, true))}
	for i := range n {
		var proto, state, sport, dport, saddr, label string
		var pkts, bytes, dur float64
		switch i % 3 {
		case 0:
			proto, state, sport, dport, saddr, label = "udp", "CON", fmt.Sprint(40000+i), "53", "192.168.1.10", "0,Normal,Normal"
			pkts, bytes, dur = 2, 180+float64(i%7), 0.01+float64(i%5)/1000
		case 1:
			proto, state, sport, dport, saddr, label = "tcp", "REQ", fmt.Sprint(1024+i), "80", "10.0.0.66", "1,DoS,TCP"
			pkts, bytes, dur = 1+float64(i%2), 60*(1+float64(i%2)), float64(i%2)*0.000001
		default:
			proto, state, sport, dport, saddr, label = "icmp", "ECO", "0x0008", fmt.Sprintf("0x%04x", i), "10.0.0.77", "1,Reconnaissance,Service_Scan"
			pkts, bytes, dur = 2, 84, 0.00004
		}
		protoNum := map[string]int{"tcp": 1, "udp": 3, "icmp": 4}[proto]
		stime := 1528000000 + float64(i)
		fields := []string{fmt.Sprint(i + 1), fmt.Sprint(stime), "e", "1", proto, fmt.Sprint(protoNum), saddr, sport, "192.168.1.1", dport,
			fmt.Sprint(pkts), fmt.Sprint(bytes), state, "2", fmt.Sprint(stime + dur), fmt.Sprint(i + 1), fmt.Sprint(dur),
			fmt.Sprint(dur), "0", fmt.Sprint(dur), fmt.Sprint(dur), fmt.Sprint(dur), "1", fmt.Sprint(pkts - 1),
			fmt.Sprint(bytes / 2), fmt.Sprint(bytes / 2), "0", "0", "0"}
		for range 14 {
			fields = append(fields, fmt.Sprint(pkts*float64(1+i%3)))
		}
		lines = append(lines, strings.Join(fields, ",")+","+label)
	}
	return lines
}

// fit --dataset bot-iot reads the public layout (hex ICMP ports
// included), trains by category and by subcategory, and keeps the
// identifier columns out of the model input.
func TestFitBotIoT(t *testing.T) {
	data := write(t, "bot.csv", botIoTLines(300))
	ids := []string{"pkSeqID", "stime", "ltime", "seq", "saddr", "daddr", "sport", "dport", "flgs_number", "proto_number", "state_number"}
	for _, tc := range []struct {
		labels  string
		classes []string
	}{
		{"", []string{"Normal", "DDoS", "DoS", "Reconnaissance", "Theft"}},
		{"category", []string{"Normal", "DDoS", "DoS", "Reconnaissance", "Theft"}},
		{"subcategory", []string{"Normal", "TCP", "UDP", "HTTP", "Service_Scan", "OS_Fingerprint", "Keylogging", "Data_Exfiltration"}},
		{"binary", []string{"Normal", "attack"}},
	} {
		out := filepath.Join(t.TempDir(), "bot.model")
		args := []string{"fit", "--dataset", "bot-iot", "--train", data, "--test", data, "--epochs", "3", "--batch", "32",
			"--conv", "8:3:2", "--dense", "16", "--seed", "1", "--out", out, "--progress=false"}
		if tc.labels != "" {
			args = append(args, "--labels", tc.labels)
		}
		s, stdout, errOut := runCmd(t, args...)
		if s != 0 {
			t.Fatalf("--labels %q: status %d: %s", tc.labels, s, errOut)
		}
		mf, err := model.Load(out)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(mf.Header.Classes, tc.classes) {
			t.Errorf("--labels %q: classes %v, want %v", tc.labels, mf.Header.Classes, tc.classes)
		}
		if got := mf.Header.Semantics; got.Family != "bot-iot" || got.Compatible(features.BotIoTSemantics()) != nil {
			t.Errorf("--labels %q: semantics %+v, want the sensor's BoT-IoT semantics", tc.labels, got)
		}
		names := mf.Encoder().Names()
		for _, n := range names {
			for _, id := range ids {
				if n == id || strings.HasPrefix(n, id+"=") {
					t.Errorf("--labels %q: identifier %s is a model input (%v)", tc.labels, id, names)
				}
			}
		}
		if !slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, "proto") }) ||
			!slices.Contains(names, "TnBPSrcIP") {
			t.Errorf("--labels %q: proto or TnBPSrcIP missing from the inputs %v", tc.labels, names)
		}
		if !strings.Contains(stdout, "Test (300 rows)") {
			t.Errorf("--labels %q: no test evaluation of the 300 rows:\n%s", tc.labels, stdout)
		}
	}
	// A bad label mode and a bad hex port are named.
	s, _, errOut := runCmd(t, "fit", "--dataset", "bot-iot", "--labels", "attack", "--train", data, "--progress=false")
	if s != 1 || !strings.Contains(errOut, "attack") || !strings.Contains(errOut, "subcategory") {
		t.Errorf("--labels attack: status %d: %s", s, errOut)
	}
	bad := botIoTLines(30)
	bad[3] = strings.Replace(bad[3], ",0x0008,", ",0xzz08,", 1)
	s, _, errOut = runCmd(t, "fit", "--dataset", "bot-iot", "--train", write(t, "bad.csv", bad), "--progress=false")
	if s != 1 || !strings.Contains(errOut, "sport") || !strings.Contains(errOut, ":4") {
		t.Errorf("bad hex port: status %d: %s", s, errOut)
	}
}

// experiments --dataset bot-iot with a test set: a cell whose balancing
// cannot run on the rows (ADASYN on classes that no row of another class
// neighbours) is named in the report with its error, the other cells are
// reported, and the exit status is 1.
func TestExperimentsFailedCell(t *testing.T) {
	// A quarter of the ICMP scan rows: all alike, so that ADASYN finds no
	// row of another class among their neighbours.
	var lines []string
	for i, l := range botIoTLines(300) {
		if i == 0 || !strings.Contains(l, ",icmp,") || i%12 == 0 {
			lines = append(lines, l)
		}
	}
	data := write(t, "bot.csv", lines)
	dir := t.TempDir()
	s, _, errOut := runCmd(t, "experiments", "--dataset", "bot-iot", "--labels", "subcategory", "--train", data, "--test", data,
		"--archs", "cnn", "--methods", "none,adasyn", "--repeats", "1", "--epochs", "2", "--batch", "32",
		"--conv", "8:3:2", "--dense", "16", "--out", dir)
	if s != 1 || !strings.Contains(errOut, "1 of 2 cells failed") {
		t.Fatalf("status %d, stderr:\n%s", s, errOut)
	}
	rep, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(rep), "| cnn | none |") || !strings.Contains(string(rep), "- cnn/adasyn: ") ||
		!strings.Contains(string(rep), "ADASYN") || strings.Contains(string(rep), "| cnn | adasyn |") {
		t.Errorf("report:\n%s", rep)
	}
}
