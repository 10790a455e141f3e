package dataset

import (
	"errors"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestBotIoTSamples(t *testing.T) {
	fh, rep, err := ReadFile("testdata/botiot_header.csv", Options{Family: "bot-iot"})
	if err != nil {
		t.Fatal(err)
	}
	if err := fh.Check(); err != nil {
		t.Fatal(err)
	}
	fn, _, err := ReadFile("testdata/botiot_noheader.csv", Options{Family: "botiot"})
	if err != nil {
		t.Fatal(err)
	}
	compareFrames(t, fh, fn)
	if fh.Len() != 9 {
		t.Fatalf("%d rows, want 9", fh.Len())
	}
	if got, want := countBy(fh), map[string]int{"Normal": 2, "DDoS": 2, "DoS": 1, "Reconnaissance": 2, "Theft": 2}; !maps.Equal(got, want) {
		t.Errorf("categories %v, want %v", got, want)
	}
	wantSub := []string{"Normal", "Normal", "TCP", "UDP", "HTTP", "OS_Fingerprint", "Service_Scan", "Keylogging", "Data_Exfiltration"}
	for i, w := range wantSub {
		if got := fh.AttackNames[fh.Attack[i]]; got != w {
			t.Errorf("row %d raw label %q, want %q", i, got, w)
		}
	}
	sport, dport := col(t, fh, "sport"), col(t, fh, "dport")
	if symbol(fh, sport, 5) != "0x0303" || symbol(fh, dport, 5) != "0x0303" || symbol(fh, sport, 6) != "0xa41c" {
		t.Errorf("hex ports not kept as written: %q %q %q", symbol(fh, sport, 5), symbol(fh, dport, 5), symbol(fh, sport, 6))
	}
	if symbol(fh, sport, 1) != "" || symbol(fh, dport, 1) != "" {
		t.Errorf("empty ARP ports read as %q %q", symbol(fh, sport, 1), symbol(fh, dport, 1))
	}
	if got := symbol(fh, col(t, fh, "flgs"), 4); got != "e s" {
		t.Errorf("flgs %q, want \"e s\" (inner space kept)", got)
	}
	if got := fh.Vocab[col(t, fh, "proto")]; !slices.Equal(got, []string{"udp", "arp", "tcp", "icmp"}) {
		t.Errorf("proto vocabulary %v", got)
	}
	if v := fh.Num[col(t, fh, "stime")][2]; v != 1528102106.53638 {
		t.Errorf("stime %v", v)
	}
	if v := fh.Num[col(t, fh, "bytes")][8]; v != 1640826 {
		t.Errorf("bytes %v", v)
	}
	if !math.IsNaN(fh.Num[col(t, fh, "mean")][7]) || !math.IsNaN(fh.Num[col(t, fh, "stddev")][7]) {
		t.Errorf(`"-" in mean/stddev not stored as NaN`)
	}
	if want := map[string]int{"mean": 1, "stddev": 1}; !maps.Equal(rep.Missing, want) {
		t.Errorf("Missing %v, want %v", rep.Missing, want)
	}
	if fh.Line[0] != 2 || fn.Line[0] != 1 {
		t.Errorf("first data lines %d and %d, want 2 (after the header) and 1", fh.Line[0], fn.Line[0])
	}

	fs, _, err := ReadFile("testdata/botiot_header.csv", Options{Family: "bot-iot", Labels: "subcategory"})
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range wantSub {
		if got := fs.Classes[fs.Y[i]]; got != w {
			t.Errorf("subcategory class of row %d is %q, want %q", i, got, w)
		}
	}
	fb, _, err := ReadFile("testdata/botiot_header.csv", Options{Family: "bot-iot", Labels: "binary"})
	if err != nil {
		t.Fatal(err)
	}
	if got := fb.Y; !slices.Equal(got, []int32{0, 0, 1, 1, 1, 1, 1, 1, 1}) {
		t.Errorf("binary classes %v", got)
	}
}

func TestBotIoTReorderedHeaderAndCase(t *testing.T) {
	text, err := os.ReadFile("testdata/botiot_header.csv")
	if err != nil {
		t.Fatal(err)
	}
	// Swap the first two columns and shout the labels: the header maps
	// columns by name and labels are matched ignoring case.
	var b strings.Builder
	for line := range strings.Lines(string(text)) {
		f := strings.Split(strings.TrimSuffix(line, "\n"), ",")
		f[0], f[1] = f[1], f[0]
		n := len(f)
		f[n-2], f[n-1] = strings.ToUpper(f[n-2]), strings.ToLower(f[n-1])
		b.WriteString(strings.Join(f, ",") + "\n")
	}
	a, _ := mustRead(t, "upper.csv", b.String(), Options{Family: "bot-iot", Labels: "subcategory"})
	want, _, err := ReadFile("testdata/botiot_header.csv", Options{Family: "bot-iot", Labels: "subcategory"})
	if err != nil {
		t.Fatal(err)
	}
	compareFrames(t, a, want)
	if !slices.Equal(a.AttackNames, want.AttackNames) {
		t.Errorf("raw labels %v, want canonical %v", a.AttackNames, want.AttackNames)
	}
}

func TestUNSWSample(t *testing.T) {
	f, rep, err := ReadFile("testdata/unsw_small.csv", Options{Family: "unsw-nb15"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Check(); err != nil {
		t.Fatal(err)
	}
	wantCat := []string{"Normal", "Backdoor", "Exploits", "Fuzzers", "Worms", "Exploits"}
	for i, w := range wantCat {
		if got := f.Classes[f.Y[i]]; got != w {
			t.Errorf("row %d class %q, want %q", i, got, w)
		}
	}
	if got := f.Vocab[col(t, f, "service")]; !slices.Equal(got, []string{"-", "http", "ftp"}) {
		t.Errorf("service vocabulary %v, want [- http ftp]", got)
	}
	if v := f.Num[col(t, f, "stcpb")][2]; v != 3306255269 {
		t.Errorf("stcpb %v", v)
	}
	if v := f.Num[col(t, f, "is_ftp_login")][5]; v != 2 {
		t.Errorf("is_ftp_login %v, want 2 (kept as read)", v)
	}
	if !maps.Equal(rep.NonBinary, map[string]int{"is_ftp_login": 1}) {
		t.Errorf("NonBinary %v", rep.NonBinary)
	}
	fb, _, err := ReadFile("testdata/unsw_small.csv", Options{Family: "unsw", Labels: "binary"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(fb.Y, []int32{0, 1, 1, 1, 1, 1}) || !slices.Equal(fb.Classes, []string{"Normal", "attack"}) ||
		fb.AttackNames[fb.Attack[1]] != "Backdoor" {
		t.Errorf("binary: classes %v, Y %v, raw label %q", fb.Classes, fb.Y, fb.AttackNames[fb.Attack[1]])
	}

	// The same file with a byte-order mark and CRLF line endings, and
	// with its columns in another order, reads the same.
	text, err := os.ReadFile("testdata/unsw_small.csv")
	if err != nil {
		t.Fatal(err)
	}
	crlf := "\xef\xbb\xbf" + strings.ReplaceAll(string(text), "\n", "\r\n")
	g, _ := mustRead(t, "bom-crlf.csv", crlf, Options{Family: "unsw-nb15"})
	compareFrames(t, f, g)
	if symbol(g, col(t, g, "service"), 0) != "-" || g.Num[col(t, g, "id")][0] != 1 {
		t.Errorf("BOM or CR leaked into the first or last field")
	}
	var b strings.Builder
	for line := range strings.Lines(string(text)) {
		fs := strings.Split(strings.TrimSuffix(line, "\n"), ",")
		slices.Reverse(fs)
		b.WriteString(strings.Join(fs, ",") + "\n")
	}
	h, _ := mustRead(t, "reversed.csv", b.String(), Options{Family: "unsw-nb15"})
	compareFrames(t, f, h)
}

func TestMissingAndNonFinite(t *testing.T) {
	kdd := func(dur, src string, svc string) string {
		return dur + ",tcp," + svc + ",SF," + src + ",0,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,2,2,0.00,0.00,0.00,0.00,1.00,0.00,0.00,150,25,0.17,0.03,0.17,0.00,0.00,0.00,0.05,0.00,normal,20\n"
	}
	text := kdd("", "1", "http") + kdd("?", "inf", "") + kdd("nan", "-Infinity", "ftp") + kdd("NaN", "1e999", "http") + "\n  \n" + kdd("7", "2.5", "http")
	f, rep := mustRead(t, "missing.txt", text, Options{Family: "nsl-kdd"})
	dur, src, svc := col(t, f, "duration"), col(t, f, "src_bytes"), col(t, f, "service")
	for i := 0; i < 4; i++ {
		if !math.IsNaN(f.Num[dur][i]) {
			t.Errorf("row %d duration %v, want NaN", i, f.Num[dur][i])
		}
	}
	if got := f.Num[src]; got[0] != 1 || !math.IsInf(got[1], 1) || !math.IsInf(got[2], -1) || !math.IsInf(got[3], 1) || got[4] != 2.5 {
		t.Errorf("src_bytes %v, want [1 +Inf -Inf +Inf 2.5]", got)
	}
	if f.Num[dur][4] != 7 {
		t.Errorf("duration %v, want 7", f.Num[dur][4])
	}
	if symbol(f, svc, 1) != "" {
		t.Errorf("empty service %q, want the symbol \"\"", symbol(f, svc, 1))
	}
	if !maps.Equal(rep.Missing, map[string]int{"duration": 4}) || !maps.Equal(rep.NonFinite, map[string]int{"src_bytes": 3}) {
		t.Errorf("Missing %v NonFinite %v", rep.Missing, rep.NonFinite)
	}
	if rep.Ignored != 2 || f.Line[4] != 7 {
		t.Errorf("ignored %d lines (want 2), last row on line %d (want 7)", rep.Ignored, f.Line[4])
	}
	// "-" is not a missing marker in NSL-KDD.
	_, _, err := Read(strings.NewReader(kdd("-", "1", "http")), "dash.txt", Options{Family: "nsl-kdd"})
	if !errors.Is(err, ErrNotNumber) || !errHas(err, `dash.txt:1: column 1 (duration): "-" is not a number`) {
		t.Errorf("dash in NSL-KDD: %v", err)
	}
	// Missing values in skipped rows are not counted.
	text = kdd("?", "1", "http") + kdd("?", "1", "http")[:20] + "\n"
	_, rep, err = Read(strings.NewReader(text), "skip.txt", Options{Family: "nsl-kdd", SkipBad: true})
	if err != nil || rep.Missing["duration"] != 1 || rep.Skipped != 1 {
		t.Errorf("err %v, missing %v, skipped %d; want 1 missing, 1 skipped", err, rep.Missing, rep.Skipped)
	}
}

func TestParsePort(t *testing.T) {
	good := map[string]int{"0": 0, "80": 80, "0443": 443, "65535": 65535, "0x0303": 771, "0X0303": 771,
		"0xffff": 65535, "0xFFFF": 65535, "0x0": 0, "0xa41c": 0xa41c}
	for s, want := range good {
		if got, err := ParsePort(s); err != nil || got != want {
			t.Errorf("ParsePort(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "-", "0x", "0xZZ", "65536", "0x10000", "-1", "+80", " 80", "8 0", "1e3", "0x-1", "99999999999999999999"} {
		if got, err := ParsePort(s); err == nil || !errors.Is(err, ErrBadValue) || !strings.Contains(err.Error(), s) {
			t.Errorf("ParsePort(%q) = %d, %v; want an ErrBadValue naming it", s, got, err)
		}
	}
}

func TestClassesAndKDDCategory(t *testing.T) {
	cases := []struct {
		family, labels string
		want           []string
	}{
		{"nsl-kdd", "", []string{"normal", "DoS", "Probe", "R2L", "U2R"}},
		{"kdd", "category", []string{"normal", "DoS", "Probe", "R2L", "U2R"}},
		{"nsl-kdd", "binary", []string{"normal", "attack"}},
		{"unsw-nb15", "", []string{"Normal", "Generic", "Exploits", "Fuzzers", "DoS", "Reconnaissance", "Analysis", "Backdoor", "Shellcode", "Worms"}},
		{"unsw-nb15", "binary", []string{"Normal", "attack"}},
		{"bot-iot", "", []string{"Normal", "DDoS", "DoS", "Reconnaissance", "Theft"}},
		{"bot-iot", "subcategory", []string{"Normal", "TCP", "UDP", "HTTP", "Service_Scan", "OS_Fingerprint", "Keylogging", "Data_Exfiltration"}},
		{"bot-iot", "binary", []string{"Normal", "attack"}},
	}
	for _, c := range cases {
		got, err := Classes(c.family, c.labels)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("Classes(%q, %q) = %v, %v; want %v", c.family, c.labels, got, err, c.want)
		}
	}
	attack, err := Classes("nsl-kdd", "attack")
	if err != nil {
		t.Fatal(err)
	}
	train := []string{"back", "buffer_overflow", "ftp_write", "guess_passwd", "imap", "ipsweep", "land", "loadmodule",
		"multihop", "neptune", "nmap", "perl", "phf", "pod", "portsweep", "rootkit", "satan", "smurf", "spy",
		"teardrop", "warezclient", "warezmaster"}
	test := []string{"apache2", "httptunnel", "mailbomb", "mscan", "named", "processtable", "ps", "saint", "sendmail",
		"snmpgetattack", "snmpguess", "sqlattack", "udpstorm", "worm", "xlock", "xsnoop", "xterm"}
	if want := slices.Concat([]string{"normal"}, train, test); !slices.Equal(attack, want) {
		t.Errorf("attack classes %v, want %v", attack, want)
	}
	// The README's mapping, group by group.
	groups := map[string]string{
		"DoS":   "back land neptune pod smurf teardrop apache2 mailbomb processtable udpstorm worm",
		"Probe": "ipsweep nmap portsweep satan mscan saint",
		"R2L":   "ftp_write guess_passwd imap multihop phf spy warezclient warezmaster named sendmail snmpgetattack snmpguess xlock xsnoop",
		"U2R":   "buffer_overflow loadmodule perl rootkit httptunnel ps sqlattack xterm",
	}
	n := 0
	for cat, names := range groups {
		for _, a := range strings.Fields(names) {
			n++
			if got, ok := KDDCategory(a); !ok || got != cat {
				t.Errorf("KDDCategory(%q) = %q, %v; want %q", a, got, ok, cat)
			}
		}
	}
	if n != len(attack)-1 {
		t.Errorf("the README lists %d attacks, the attack classes %d", n, len(attack)-1)
	}
	if c, ok := KDDCategory("normal"); !ok || c != "normal" {
		t.Errorf("KDDCategory(normal) = %q, %v", c, ok)
	}
	if c, ok := KDDCategory("Neptune"); !ok || c != "DoS" {
		t.Errorf("KDDCategory(Neptune) = %q, %v; want DoS (case ignored)", c, ok)
	}
	if _, ok := KDDCategory("neptune."); ok {
		t.Errorf("KDDCategory accepted %q", "neptune.")
	}
	for _, c := range []struct{ family, labels string }{{"nsl-kdd", "subcategory"}, {"unsw-nb15", "category"}, {"bot-iot", "attack"}, {"bot-iot", "attack_cat"}} {
		if _, err := Classes(c.family, c.labels); !errors.Is(err, ErrLabelMode) || !errHas(err, c.labels, c.family) {
			t.Errorf("Classes(%q, %q): %v, want ErrLabelMode", c.family, c.labels, err)
		}
		if _, _, err := Read(strings.NewReader("x"), "x", Options{Family: c.family, Labels: c.labels}); !errors.Is(err, ErrLabelMode) {
			t.Errorf("Read with %q/%q: %v, want ErrLabelMode", c.family, c.labels, err)
		}
	}
	for _, fam := range []string{"", "kdd99", "cicids"} {
		if _, err := Classes(fam, ""); err == nil {
			t.Errorf("Classes(%q) accepted", fam)
		}
	}
	modes, err := LabelModes("unsw")
	if err != nil || !slices.Equal(modes, []string{"attack_cat", "binary"}) {
		t.Errorf("LabelModes(unsw) = %v, %v", modes, err)
	}
}
