package dataset

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/cnids/cnids/features"
)

// fuzzRead reads data with opt (and with SkipBad) and checks that the
// outcome is consistent: either an error and no frame, or a frame that
// passes Check and agrees with the report.
func fuzzRead(t *testing.T, data []byte, opt Options) {
	for _, skip := range []bool{false, true} {
		opt.SkipBad = skip
		f, rep, err := Read(bytes.NewReader(data), "fuzz", opt)
		if rep == nil {
			t.Fatalf("nil report (err %v)", err)
		}
		if err != nil {
			if f != nil {
				t.Fatalf("frame and error %v", err)
			}
			var pe *ParseError
			if errors.As(err, &pe) && (pe.File != "fuzz" || pe.Err == nil) {
				t.Fatalf("malformed ParseError %#v", pe)
			}
			continue
		}
		if err := f.Check(); err != nil {
			t.Fatal(err)
		}
		if f.Len() != rep.Rows || f.Len() == 0 || len(f.Line) != f.Len() || len(f.Attack) != f.Len() {
			t.Fatalf("frame of %d rows, report %d, %d lines, %d raw labels", f.Len(), rep.Rows, len(f.Line), len(f.Attack))
		}
		if f.Difficulty != nil && len(f.Difficulty) != f.Len() {
			t.Fatalf("%d difficulties for %d rows", len(f.Difficulty), f.Len())
		}
		if !skip && rep.Skipped != 0 {
			t.Fatalf("rows skipped without SkipBad")
		}
		if len(rep.Errors) > MaxReportErrors || len(rep.Errors) > rep.Skipped {
			t.Fatalf("%d errors kept for %d skipped", len(rep.Errors), rep.Skipped)
		}
		for i := 1; i < f.Len(); i++ {
			if f.Line[i] <= f.Line[i-1] {
				t.Fatalf("line numbers not increasing: %v", f.Line)
			}
		}
		_ = rep.String()
	}
}

// seedLines adds the first n lines of a test file as seeds, and each of
// them alone.
func seedFile(f *testing.F, path string, n int) {
	b, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	f.Add([]byte(strings.Join(lines[:min(n, len(lines))], "")))
}

func FuzzKDDText(f *testing.F) {
	f.Add([]byte(kddRow + "\n"))
	f.Add([]byte(kddRow + "\r\n" + kddWith(0, "?") + "\n\n" + kddWith(41, "Neptune")))
	f.Add([]byte(kddWith(4, "1e999") + "\n" + kddWith(2, "") + "\n" + kddRow[:40]))
	f.Add([]byte("\xef\xbb\xbf" + kddRow))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRead(t, data, Options{Family: "nsl-kdd", Labels: "attack"})
		fuzzRead(t, data, Options{Family: "nsl-kdd"})
	})
}

func FuzzARFF(f *testing.F) {
	// A compact header (the real one, with its 70 services, makes the
	// fuzzer's minimiser crawl); TestARFFMatchesText covers the real one.
	var h strings.Builder
	h.WriteString("% seed\n@relation 'r'\n")
	for _, c := range features.NSLKDD().Columns {
		switch {
		case features.IsSymbolic(c):
			fmt.Fprintf(&h, "@attribute '%s' {'tcp', 'SF'}\n", c.Name)
		case c.Kind == features.Binary:
			fmt.Fprintf(&h, "@attribute %s {'0','1'}\n", c.Name)
		default:
			fmt.Fprintf(&h, "@attribute \"%s\" real\n", c.Name)
		}
	}
	h.WriteString("@attribute 'class' {'normal', 'anomaly'}\n@data\n")
	row := strings.TrimSuffix(kddRow, ",normal,20")
	for _, seed := range []string{
		h.String() + row + ",normal\n",
		h.String() + "% c\n\n" + strings.Replace(row, "tcp", "'tcp'", 1) + ",'anomaly'\r\n",
	} {
		if _, _, err := Read(strings.NewReader(seed), "seed", Options{Family: "nsl-kdd", Labels: "binary"}); err != nil {
			f.Fatalf("seed does not read: %v", err)
		}
		f.Add([]byte(seed))
	}
	f.Add([]byte("@relation r\n@attribute duration date \"yyyy\"\n@data\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRead(t, data, Options{Family: "nsl-kdd", Labels: "binary"})
	})
}

func FuzzUNSW(f *testing.F) {
	seedFile(f, "testdata/unsw_small.csv", 3)
	seedFile(f, "testdata/unsw_small.csv", 7)
	f.Add([]byte("\xef\xbb\xbfid,label,attack_cat\r\n1,0,Normal\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRead(t, data, Options{Family: "unsw-nb15"})
		fuzzRead(t, data, Options{Family: "unsw-nb15", Labels: "binary"})
	})
}

func FuzzBotIoT(f *testing.F) {
	seedFile(f, "testdata/botiot_header.csv", 3)
	seedFile(f, "testdata/botiot_noheader.csv", 2)
	f.Add([]byte(`"pkSeqID","a""b",` + "\n" + `1,"x""y",""` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRead(t, data, Options{Family: "bot-iot", Labels: "subcategory"})
	})
}

func FuzzParsePort(f *testing.F) {
	for _, s := range []string{"0", "80", "0x0303", "0xZZ", "65536", "0x", "-", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// Reference semantics: strconv on the digits after an optional 0x.
		var want uint64
		var err error
		if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
			want, err = strconv.ParseUint(s[2:], 16, 64)
		} else {
			want, err = strconv.ParseUint(s, 10, 64)
		}
		ok := err == nil && want <= 65535
		p, perr := ParsePort(s)
		if ok != (perr == nil) || (ok && uint64(p) != want) {
			t.Fatalf("ParsePort(%q) = %d, %v; strconv says %d, %v", s, p, perr, want, err)
		}
	})
}

// FuzzParseLabels: a labels file either parses into ranges with ordered,
// finite times and valid addresses, or fails with an error naming the
// file; it never panics.
func FuzzParseLabels(f *testing.F) {
	f.Add([]byte("phase,start_epoch,end_epoch,attacker_ips,victim_ip,nsl_kdd_category,botiot_category,botiot_subcategory\n" +
		"syn,1795402708.6,1795402708.9,\"10.99.0.1 10.99.0.3\",10.99.0.2,DoS,DoS,TCP\n" +
		"normal,1795402696,1795402704,10.99.0.1,10.99.0.2,normal,Normal,Normal\n"))
	f.Add([]byte("phase,start_epoch,end_epoch,attacker_ips,victim_ip,nsl_kdd_category\nx,2,1,::1,::2,R2L (closest; guess)\n"))
	f.Add([]byte("\ufeffphase,start_epoch,end_epoch,attacker_ips,victim_ip,nsl_kdd_category\r\ny,NaN,1e400,1.2.3,,-\r\n"))
	if data, err := os.ReadFile("../../shared/pcaps/lab/labels.csv"); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := ParseLabels(bytes.NewReader(data), "fuzz.csv")
		if err != nil {
			if l != nil {
				t.Fatalf("labels and error %v", err)
			}
			if !strings.Contains(err.Error(), "fuzz.csv") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for _, r := range l.Ranges {
			if r.End < r.Start {
				t.Fatalf("range %q ends before it starts: %d < %d", r.Phase, r.End, r.Start)
			}
		}
	})
}
