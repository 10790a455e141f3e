package dataset

import (
	"errors"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"testing"
)

// The expected counts below are those of shared/datasets/README.md; the
// sums were computed independently with Python's gzip and csv modules.

func TestKDDTrainPlus(t *testing.T) {
	path := sharedData(t, "nsl-kdd/KDDTrain+.txt.gz")
	f, rep, err := ReadFile(path, Options{Family: "nsl-kdd"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Check(); err != nil {
		t.Fatal(err)
	}
	if f.Len() != 125973 || rep.Rows != 125973 || rep.Skipped != 0 {
		t.Fatalf("rows: frame %d, report %d (skipped %d), want 125973", f.Len(), rep.Rows, rep.Skipped)
	}
	wantCat := map[string]int{"normal": 67343, "DoS": 45927, "Probe": 11656, "R2L": 995, "U2R": 52}
	if got := countBy(f); !maps.Equal(got, wantCat) {
		t.Errorf("categories %v, want %v", got, wantCat)
	}
	if want := []string{"normal", "DoS", "Probe", "R2L", "U2R"}; !slices.Equal(f.Classes, want) {
		t.Errorf("classes %v, want %v", f.Classes, want)
	}
	wantLabels := map[string]int{"normal": 67343, "neptune": 41214, "satan": 3633, "ipsweep": 3599,
		"portsweep": 2931, "smurf": 2646, "nmap": 1493, "back": 956, "teardrop": 892, "warezclient": 890,
		"pod": 201, "guess_passwd": 53, "buffer_overflow": 30, "warezmaster": 20, "land": 18, "imap": 11,
		"rootkit": 10, "loadmodule": 9, "ftp_write": 8, "multihop": 7, "phf": 4, "perl": 3, "spy": 2}
	if got := attackCounts(f); !maps.Equal(got, wantLabels) {
		t.Errorf("raw labels %v, want %v", got, wantLabels)
	}
	if len(f.AttackNames) != 23 {
		t.Errorf("%d raw labels, want 23", len(f.AttackNames))
	}
	for name, want := range map[string]int{"protocol_type": 3, "service": 70, "flag": 11} {
		if got := len(f.Vocab[col(t, f, name)]); got != want {
			t.Errorf("%s vocabulary has %d values, want %d", name, got, want)
		}
	}
	if got, want := f.Vocab[col(t, f, "protocol_type")], []string{"tcp", "udp", "icmp"}; !slices.Equal(got, want) {
		t.Errorf("protocol_type vocabulary %v, want %v (order of first appearance)", got, want)
	}
	if got, want := f.Vocab[col(t, f, "flag")], []string{"SF", "S0", "REJ", "RSTR", "SH", "RSTO", "S1", "RSTOS0", "S3", "S2", "OTH"}; !slices.Equal(got, want) {
		t.Errorf("flag vocabulary %v, want %v", got, want)
	}
	for i, v := range f.Num[col(t, f, "num_outbound_cmds")] {
		if v != 0 {
			t.Fatalf("num_outbound_cmds is %v at line %d, want 0 everywhere", v, f.Line[i])
		}
	}
	sums := map[string]float64{"duration": 36172473, "src_bytes": 5740179316, "dst_bytes": 2491634381}
	for name, want := range sums {
		var s float64
		for _, v := range f.Num[col(t, f, name)] {
			s += v
		}
		if s != want {
			t.Errorf("sum of %s = %.0f, want %.0f", name, s, want)
		}
	}
	if len(rep.Missing) != 0 || len(rep.NonFinite) != 0 {
		t.Errorf("missing %v, non-finite %v; KDDTrain+ has neither", rep.Missing, rep.NonFinite)
	}
	if len(f.Difficulty) != f.Len() {
		t.Fatalf("%d difficulties for %d rows", len(f.Difficulty), f.Len())
	}
	var dsum int
	for _, d := range f.Difficulty {
		dsum += int(d)
	}
	if dsum != 2456985 {
		t.Errorf("sum of difficulty %d, want 2456985", dsum)
	}
	// Line 17: 0,tcp,http,SF,300,13788,...,0.22,91,255,...,normal,21
	const i = 16
	if f.Line[i] != 17 || symbol(f, col(t, f, "service"), i) != "http" ||
		f.Num[col(t, f, "src_bytes")][i] != 300 || f.Num[col(t, f, "dst_bytes")][i] != 13788 ||
		f.Num[col(t, f, "srv_diff_host_rate")][i] != 0.22 || f.Num[col(t, f, "dst_host_count")][i] != 91 ||
		f.Difficulty[i] != 21 || f.AttackNames[f.Attack[i]] != "normal" || f.Y[i] != 0 {
		t.Errorf("row 17 read wrongly")
	}
	// The frame is sized from the gzip trailer: its columns end within
	// 5% of their length, without append's slack.
	if n := f.Len(); cap(f.Y) > n+n/20 || cap(f.Num[0]) > n+n/20 || cap(f.Codes[1]) > n+n/20 {
		t.Errorf("capacity %d/%d/%d for %d rows", cap(f.Y), cap(f.Num[0]), cap(f.Codes[1]), n)
	}
	if f.Source != path {
		t.Errorf("Source %q, want %q", f.Source, path)
	}

	// The 20% file is exactly the first 25,192 lines of KDDTrain+.
	f20, _, err := ReadFile(sharedData(t, "nsl-kdd/KDDTrain+_20Percent.txt.gz"), Options{Family: "kdd"})
	if err != nil {
		t.Fatal(err)
	}
	if f20.Len() != 25192 {
		t.Fatalf("20%% file: %d rows, want 25192", f20.Len())
	}
	first := make([]int, 25192)
	for i := range first {
		first[i] = i
	}
	compareFrames(t, f20, f.Subset(first))
	want20 := map[string]int{"normal": 13449, "DoS": 9234, "Probe": 2289, "R2L": 209, "U2R": 11}
	if got := countBy(f20); !maps.Equal(got, want20) {
		t.Errorf("20%% categories %v, want %v", got, want20)
	}
	if n := len(f20.AttackNames); n != 22 {
		t.Errorf("20%% file: %d raw labels, want 22", n)
	}
}

func TestKDDAttackMode(t *testing.T) {
	f, _, err := ReadFile(sharedData(t, "nsl-kdd/KDDTrain+_20Percent.txt.gz"), Options{Family: "nsl-kdd", Labels: "attack"})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Classes) != 40 {
		t.Fatalf("%d classes, want 40", len(f.Classes))
	}
	want := map[string]int{"normal": 13449, "neptune": 8282, "ipsweep": 710, "satan": 691, "portsweep": 587,
		"smurf": 529, "nmap": 301, "back": 196, "teardrop": 188, "warezclient": 181, "pod": 38,
		"guess_passwd": 10, "warezmaster": 7, "buffer_overflow": 6, "imap": 5, "rootkit": 4, "multihop": 2,
		"phf": 2, "ftp_write": 1, "land": 1, "loadmodule": 1, "spy": 1}
	if got := countBy(f); !maps.Equal(got, want) {
		t.Errorf("attack classes %v, want %v", got, want)
	}
	for i, y := range f.Y {
		if f.Classes[y] != f.AttackNames[f.Attack[i]] {
			t.Fatalf("line %d: class %q but raw label %q", f.Line[i], f.Classes[y], f.AttackNames[f.Attack[i]])
		}
	}
}

func TestARFFMatchesText(t *testing.T) {
	arff := sharedData(t, "nsl-kdd/KDDTrain+_20Percent.arff.gz")
	fa, rep, err := ReadFile(arff, Options{Family: "nsl-kdd", Labels: "binary"})
	if err != nil {
		t.Fatal(err)
	}
	if err := fa.Check(); err != nil {
		t.Fatal(err)
	}
	if fa.Len() != 25192 {
		t.Fatalf("ARFF: %d rows, want 25192", fa.Len())
	}
	if got, want := attackCounts(fa), map[string]int{"normal": 13449, "anomaly": 11743}; !maps.Equal(got, want) {
		t.Errorf("ARFF raw labels %v, want %v", got, want)
	}
	if got, want := countBy(fa), map[string]int{"normal": 13449, "attack": 11743}; !maps.Equal(got, want) {
		t.Errorf("ARFF classes %v, want %v", got, want)
	}
	if fa.Difficulty != nil {
		t.Errorf("ARFF frame has difficulties")
	}
	if fa.Line[0] != 45 || fa.Line[fa.Len()-1] != 45+25191 {
		t.Errorf("ARFF data lines %d..%d, want 45..%d (44 header lines)", fa.Line[0], fa.Line[fa.Len()-1], 45+25191)
	}
	if rep.Ignored != 0 {
		t.Errorf("ARFF: %d ignored lines, want 0", rep.Ignored)
	}
	ft, _, err := ReadFile(sharedData(t, "nsl-kdd/KDDTrain+_20Percent.txt.gz"), Options{Family: "nsl-kdd", Labels: "binary"})
	if err != nil {
		t.Fatal(err)
	}
	compareFrames(t, fa, ft)

	for _, mode := range []string{"", "category", "attack"} {
		_, _, err := ReadFile(arff, Options{Family: "nsl-kdd", Labels: mode})
		if !errors.Is(err, ErrLabelMode) || !errHas(err, filepath.Base(arff), "binary") {
			t.Errorf("ARFF with label mode %q: error %v, want ErrLabelMode naming the file and the binary mode", mode, err)
		}
	}
}

func TestUNSWPartA(t *testing.T) {
	path := sharedData(t, "unsw-nb15/UNSW_NB15_part-A.csv.gz")
	f, rep, err := ReadFile(path, Options{Family: "unsw-nb15"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Check(); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"Normal": 22200, "Generic": 11323, "Exploits": 6679, "Fuzzers": 3637, "DoS": 2453,
		"Reconnaissance": 2098, "Analysis": 406, "Backdoor": 350, "Shellcode": 227, "Worms": 26}
	if f.Len() != 49399 {
		t.Fatalf("%d rows, want 49399", f.Len())
	}
	if got := countBy(f); !maps.Equal(got, want) {
		t.Errorf("attack_cat %v, want %v", got, want)
	}
	if got := attackCounts(f); !maps.Equal(got, want) {
		t.Errorf("raw labels %v, want %v", got, want)
	}
	if want := unswCategories(); !slices.Equal(f.Classes, want) {
		t.Errorf("classes %v, want %v", f.Classes, want)
	}
	svc := col(t, f, "service")
	if symbol(f, svc, 0) != "-" || f.Vocab[svc][0] != "-" {
		t.Errorf("service of the first row is %q, want the category \"-\"", symbol(f, svc, 0))
	}
	for name, n := range map[string]int{"proto": 131, "service": 13, "state": 5} {
		if got := len(f.Vocab[col(t, f, name)]); got != n {
			t.Errorf("%s vocabulary has %d values, want %d", name, got, n)
		}
	}
	var sb float64
	for _, v := range f.Num[col(t, f, "sbytes")] {
		sb += v
	}
	if sb != 388432618 {
		t.Errorf("sum of sbytes %.0f, want 388432618", sb)
	}
	// is_ftp_login holds 2 in four published rows; they are kept and counted.
	if got := rep.NonBinary; !maps.Equal(got, map[string]int{"is_ftp_login": 4}) {
		t.Errorf("NonBinary %v, want is_ftp_login: 4", got)
	}
	// Last row: 82332,0.000009,udp,-,INT,2,0,104,0,111111.1072,...,Normal,0
	last := f.Len() - 1
	if f.Num[col(t, f, "id")][last] != 82332 || f.Num[col(t, f, "dur")][last] != 0.000009 ||
		f.Num[col(t, f, "rate")][last] != 111111.1072 || f.Num[col(t, f, "sbytes")][last] != 104 ||
		symbol(f, col(t, f, "proto"), last) != "udp" || f.Line[last] != 49400 || f.Y[last] != 0 {
		t.Errorf("last row read wrongly")
	}
	for j, c := range f.Schema.Columns {
		if f.Num[j] == nil {
			continue
		}
		for i, v := range f.Num[j] {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("column %s line %d: %v; part-A has no missing values", c.Name, f.Line[i], v)
			}
		}
	}
}
