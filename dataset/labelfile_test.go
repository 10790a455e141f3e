package dataset

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/cnids/cnids/internal/sharedtest"
)

func TestReadLabelsLab(t *testing.T) {
	ls, err := ReadLabels(sharedtest.Path(t, "pcaps", "lab", "labels.csv"))
	if err != nil {
		t.Fatal(err)
	}
	byPhase := map[string]*LabelRange{}
	for i := range ls.Ranges {
		byPhase[ls.Ranges[i].Phase] = &ls.Ranges[i]
	}
	if len(ls.Ranges) != 16 {
		t.Fatalf("%d phases, want 16", len(ls.Ranges))
	}
	for phase, want := range map[string][3]string{
		"normal":             {"normal", "Normal", "Normal"},
		"dos-synflood":       {"DoS", "DoS", "TCP"},
		"probe-nmap-os":      {"Probe", "Reconnaissance", "OS_Fingerprint"},
		"theft-exfiltration": {"R2L", "Theft", "Data_Exfiltration"},
		"r2l-ftp-bruteforce": {"R2L", "", ""},
	} {
		r := byPhase[phase]
		if r == nil || r.KDD != want[0] || r.BotCategory != want[1] || r.BotSubcategory != want[2] {
			t.Errorf("%s: %+v, want %v", phase, r, want)
		}
	}
	ddos := byPhase["ddos-synflood"]
	if len(ddos.Attackers) != 4 || ddos.Pcap != "ddos-synflood.pcap" {
		t.Fatalf("ddos: %+v", ddos)
	}
	a, v := netip.MustParseAddr("10.99.0.13"), netip.MustParseAddr("10.99.0.2")
	mid := (ddos.Start + ddos.End) / 2
	if m := ls.Match(v, a, mid, mid); m != ddos {
		t.Fatalf("a bot's SYN to the victim matched %+v", m)
	}
	if m := ls.Match(v, a, ddos.End+10e9, ddos.End+11e9); m != nil {
		t.Fatalf("a connection 10 s after the phase matched %s", m.Phase)
	}
	if m := ls.Match(netip.MustParseAddr("192.0.2.1"), v, mid, mid); m != nil {
		t.Fatalf("a stranger matched %s", m.Phase)
	}
}

func TestParseLabelsErrors(t *testing.T) {
	head := "phase,start_epoch,end_epoch,attacker_ips,victim_ip,nsl_kdd_category\n"
	for text, want := range map[string]string{
		"phase,start_epoch\n":                     "no \"end_epoch\" column",
		head + "a,1,x,10.0.0.1,10.0.0.2,DoS\n":    "l.csv:2: column 3 (end_epoch)",
		head + "a,2,1,10.0.0.1,10.0.0.2,DoS\n":    "ends before it starts",
		head + "a,1,2,10.0.0.300,10.0.0.2,DoS\n":  "column 4 (attacker_ips)",
		head + "a,1,2,10.0.0.1,10.0.0.2,Spying\n": "not an NSL-KDD category",
		head: "no phases",
	} {
		_, err := ParseLabels(strings.NewReader(text), "l.csv")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", text, err, want)
		}
	}
}

// Rows labelled by category (as cnids extract --labels writes them) read
// in the category and binary modes, and are refused in the attack mode.
func TestCategoryLabels(t *testing.T) {
	row := "0,tcp,http,SF,200,1000,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,1,1,0.00,0.00,0.00,0.00,1.00,0.00,0.00,1,1,1.00,0.00,1.00,0.00,0.00,0.00,0.00,0.00,"
	text := row + "DoS,21\n" + row + "r2l,21\n" + row + "normal,21\n"
	f, _, err := Read(strings.NewReader(text), "x", Options{Family: "nsl-kdd"})
	if err != nil {
		t.Fatal(err)
	}
	if f.Y[0] != 1 || f.Y[1] != 3 || f.Y[2] != 0 {
		t.Fatalf("classes %v", f.Y)
	}
	f, _, err = Read(strings.NewReader(text), "x", Options{Family: "nsl-kdd", Labels: "binary"})
	if err != nil || f.Y[0] != 1 || f.Y[1] != 1 || f.Y[2] != 0 {
		t.Fatalf("binary: %v %v", f, err)
	}
	if _, _, err := Read(strings.NewReader(text), "x", Options{Family: "nsl-kdd", Labels: "attack"}); !errors.Is(err, ErrUnknownLabel) {
		t.Fatalf("attack mode accepted a category label: %v", err)
	}
}
