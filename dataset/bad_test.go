package dataset

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A valid NSL-KDD row (line 1 of KDDTrain+) and its fields.
const kddRow = "0,tcp,ftp_data,SF,491,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,2,2,0.00,0.00,0.00,0.00,1.00,0.00,0.00,150,25,0.17,0.03,0.17,0.00,0.00,0.00,0.05,0.00,normal,20"

// kddWith returns kddRow with field i (0-based) replaced by v.
func kddWith(i int, v string) string {
	f := strings.Split(kddRow, ",")
	f[i] = v
	return strings.Join(f, ",")
}

// fileLines reads a test file's lines.
func fileLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// replaceField returns line with CSV field i (0-based, no quoting inside
// the replaced field's neighbours assumed) replaced by v.
func replaceField(line string, i int, v string) string {
	f := strings.Split(line, ",")
	f[i] = v
	return strings.Join(f, ",")
}

func TestBadRows(t *testing.T) {
	unsw := fileLines(t, "testdata/unsw_small.csv")
	bot := fileLines(t, "testdata/botiot_header.csv")
	good := func(lines []string) string { return strings.Join(lines, "\n") + "\n" }
	// with returns the good lines with line k (1-based) replaced by bad.
	with := func(lines []string, k int, bad string) string {
		out := append([]string(nil), lines...)
		out[k-1] = bad
		return good(out)
	}
	kdd := []string{kddRow, kddRow, kddRow, kddRow}

	cases := []struct {
		name, family, labels string
		text                 string
		line                 int
		want                 []string // substrings of the error text
		sentinel             error
		goodRows             int // rows left with SkipBad
	}{
		{"kdd 42 fields", "nsl-kdd", "", with(kdd, 3, strings.TrimSuffix(kddRow, ",20")), 3,
			[]string{"kdd.txt:3: has 42 fields, want 43"}, ErrFieldCount, 3},
		{"kdd 44 fields", "nsl-kdd", "", with(kdd, 2, kddRow+",7"), 2,
			[]string{"kdd.txt:2: has 44 fields, want 43"}, ErrFieldCount, 3},
		{"kdd duration", "nsl-kdd", "", with(kdd, 2, kddWith(0, "abc")), 2,
			[]string{`kdd.txt:2: column 1 (duration): "abc" is not a number`}, ErrNotNumber, 3},
		{"kdd rate", "nsl-kdd", "", with(kdd, 4, kddWith(28, "1.0.0")), 4,
			[]string{`kdd.txt:4: column 29 (same_srv_rate): "1.0.0" is not a number`}, ErrNotNumber, 3},
		{"kdd label", "nsl-kdd", "", with(kdd, 2, kddWith(41, "nepture")), 2,
			[]string{`kdd.txt:2: column 42 (label): "nepture"`, "not an NSL-KDD label"}, ErrUnknownLabel, 3},
		{"kdd binary", "nsl-kdd", "", with(kdd, 1, kddWith(6, "2")), 1,
			[]string{`kdd.txt:1: column 7 (land): "2" is not 0 or 1`}, ErrBadValue, 3},
		{"kdd binary inf", "nsl-kdd", "", with(kdd, 1, kddWith(11, "inf")), 1,
			[]string{`kdd.txt:1: column 12 (logged_in): "inf" is not 0 or 1`}, ErrBadValue, 3},
		{"kdd difficulty range", "nsl-kdd", "", with(kdd, 3, kddWith(42, "22")), 3,
			[]string{`kdd.txt:3: column 43 (difficulty): "22" is not a whole number 0..21`}, ErrBadValue, 3},
		{"kdd difficulty text", "nsl-kdd", "", with(kdd, 3, kddWith(42, "x")), 3,
			[]string{`kdd.txt:3: column 43 (difficulty): "x" is not a number`}, ErrNotNumber, 3},
		{"kdd invalid utf8", "nsl-kdd", "", with(kdd, 2, kddWith(2, "ht\xfftp")), 2,
			[]string{`kdd.txt:2: column 3 (service):`, "not valid UTF-8"}, ErrBadValue, 3},
		{"kdd long line", "nsl-kdd", "", with(kdd, 2, strings.Repeat("1,", MaxLineBytes)), 2,
			[]string{"kdd.txt:2: line is longer than"}, ErrBadValue, 3},

		{"unsw sbytes", "unsw-nb15", "", with(unsw, 3, replaceField(unsw[2], 7, "12a")), 3,
			[]string{`unsw.csv:3: column 8 (sbytes): "12a" is not a number`}, ErrNotNumber, 5},
		{"unsw attack_cat", "unsw-nb15", "", with(unsw, 4, replaceField(unsw[3], 43, "Exploit")), 4,
			[]string{`unsw.csv:4: column 44 (attack_cat): "Exploit"`, "not a UNSW-NB15 attack category"}, ErrUnknownLabel, 5},
		{"unsw label value", "unsw-nb15", "", with(unsw, 4, replaceField(unsw[3], 44, "2")), 4,
			[]string{`unsw.csv:4: column 45 (label): "2" is not 0 or 1`}, ErrBadValue, 5},
		{"unsw label mismatch", "unsw-nb15", "", with(unsw, 2, replaceField(unsw[1], 44, "1")), 2,
			[]string{`unsw.csv:2: column 45 (label): "1" disagrees with attack_cat "Normal"`}, ErrLabelMismatch, 5},
		{"unsw attack with label 0", "unsw-nb15", "", with(unsw, 5, replaceField(unsw[4], 44, "0")), 5,
			[]string{`unsw.csv:5: column 45 (label): "0" disagrees with attack_cat "Fuzzers"`}, ErrLabelMismatch, 5},
		{"unsw short row", "unsw-nb15", "", with(unsw, 7, strings.TrimSuffix(unsw[6], ",1")), 7,
			[]string{"unsw.csv:7: has 44 fields, want 45"}, ErrFieldCount, 5},
		{"unsw sm_ips binary", "unsw-nb15", "", with(unsw, 2, replaceField(unsw[1], 42, "3")), 2,
			[]string{`unsw.csv:2: column 43 (is_sm_ips_ports): "3" is not 0 or 1`}, ErrBadValue, 5},
		{"unsw ftp_login fraction", "unsw-nb15", "", with(unsw, 2, replaceField(unsw[1], 37, "0.5")), 2,
			[]string{`unsw.csv:2: column 38 (is_ftp_login): "0.5" is not 0, 1 or a small whole count`}, ErrBadValue, 5},
		{"unsw broken quote", "unsw-nb15", "", with(unsw, 3, replaceField(unsw[2], 2, `"tcp`)), 3,
			[]string{"unsw.csv:3: field 3 (proto) has broken quoting"}, ErrBadValue, 5},

		{"bot port 0xZZ", "bot-iot", "", with(bot, 4, replaceField(bot[3], 7, `"0xZZ"`)), 4,
			[]string{`bot.csv:4: column 8 (sport): "0xZZ" is not a port number`}, ErrBadValue, 8},
		{"bot port too big", "bot-iot", "", with(bot, 4, replaceField(bot[3], 9, `"70000"`)), 4,
			[]string{`bot.csv:4: column 10 (dport): "70000" is not a port number`}, ErrBadValue, 8},
		{"bot category", "bot-iot", "", with(bot, 5, replaceField(bot[4], 44, `"DDOS attack"`)), 5,
			[]string{`bot.csv:5: column 45 (category): "DDOS attack"`, "not a BoT-IoT category"}, ErrUnknownLabel, 8},
		{"bot subcategory", "bot-iot", "", with(bot, 5, replaceField(bot[4], 45, `"SYN"`)), 5,
			[]string{`bot.csv:5: column 46 (subcategory): "SYN"`, "not a BoT-IoT subcategory"}, ErrUnknownLabel, 8},
		{"bot subcategory mismatch", "bot-iot", "", with(bot, 5, replaceField(bot[4], 45, `"Keylogging"`)), 5,
			[]string{`bot.csv:5: column 46 (subcategory): "Keylogging" is not a subcategory of category "DDoS"`}, ErrLabelMismatch, 8},
		{"bot attack mismatch", "bot-iot", "", with(bot, 2, replaceField(bot[1], 43, "1")), 2,
			[]string{`bot.csv:2: column 44 (attack): "1" disagrees with category "Normal"`}, ErrLabelMismatch, 8},
		{"bot pkts", "bot-iot", "", with(bot, 3, replaceField(bot[2], 10, `"two"`)), 3,
			[]string{`bot.csv:3: column 11 (pkts): "two" is not a number`}, ErrNotNumber, 8},
		{"bot text after quote", "bot-iot", "", with(bot, 3, replaceField(bot[2], 4, `"udp"x`)), 3,
			[]string{"bot.csv:3: field 5 (proto) has broken quoting"}, ErrBadValue, 8},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			file := map[string]string{"nsl-kdd": "kdd.txt", "unsw-nb15": "unsw.csv", "bot-iot": "bot.csv"}[c.family]
			opt := Options{Family: c.family, Labels: c.labels}
			f, rep, err := Read(strings.NewReader(c.text), file, opt)
			if f != nil || err == nil {
				t.Fatalf("bad input accepted")
			}
			if !errors.Is(err, c.sentinel) || !errHas(err, c.want...) {
				t.Fatalf("error %q (is %v: %v), want one containing %q", err, c.sentinel, errors.Is(err, c.sentinel), c.want)
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.File != file || pe.Line != c.line {
				t.Fatalf("error %#v, want a *ParseError at %s:%d", err, file, c.line)
			}
			before := c.line - 1
			if c.family != "nsl-kdd" {
				before-- // the header row
			}
			if rep.Rows != before {
				t.Errorf("report says %d rows before the bad line %d, want %d", rep.Rows, c.line, before)
			}

			opt.SkipBad = true
			f, rep, err = Read(strings.NewReader(c.text), file, opt)
			if err != nil {
				t.Fatalf("SkipBad: %v", err)
			}
			if err := f.Check(); err != nil {
				t.Fatal(err)
			}
			if f.Len() != c.goodRows || rep.Rows != c.goodRows || rep.Skipped != 1 || rep.SkippedBy[c.sentinel] != 1 ||
				len(rep.SkippedBy) != 1 || len(rep.Errors) != 1 || rep.Errors[0].Error() != pe.Error() {
				t.Errorf("SkipBad: %d rows (report %d), skipped %d by %v, errors %v; want %d rows, 1 skipped by %v",
					f.Len(), rep.Rows, rep.Skipped, rep.SkippedBy, rep.Errors, c.goodRows, c.sentinel)
			}
			for _, ln := range f.Line {
				if int(ln) == c.line {
					t.Errorf("SkipBad kept the bad line %d", c.line)
				}
			}
			if !strings.Contains(rep.String(), "1 bad rows skipped") || !strings.Contains(rep.String(), pe.Error()) {
				t.Errorf("report text lacks the skip:\n%s", rep)
			}
		})
	}
}

func TestSkipBadKeepsFirstErrors(t *testing.T) {
	var b strings.Builder
	for i := range 20 {
		if i%2 == 0 {
			b.WriteString(kddWith(0, fmt.Sprintf("x%d", i)) + "\n")
		} else {
			b.WriteString(kddRow + "\n")
		}
	}
	b.WriteString(strings.TrimSuffix(kddRow, ",20") + "\n")
	f, rep, err := Read(strings.NewReader(b.String()), "many.txt", Options{Family: "nsl-kdd", SkipBad: true})
	if err != nil {
		t.Fatal(err)
	}
	if f.Len() != 10 || rep.Skipped != 11 || rep.SkippedBy[ErrNotNumber] != 10 || rep.SkippedBy[ErrFieldCount] != 1 {
		t.Errorf("%d rows, skipped %d by %v; want 10 rows, 10 not-a-number and 1 field-count", f.Len(), rep.Skipped, rep.SkippedBy)
	}
	if len(rep.Errors) != MaxReportErrors || rep.Errors[4].Line != 9 || rep.Errors[4].Value != "x8" {
		t.Errorf("kept errors %v, want the first %d (the last on line 9)", rep.Errors, MaxReportErrors)
	}
	// All rows bad: an error, not an empty frame.
	_, rep, err = Read(strings.NewReader("a,b\nc\n"), "allbad.txt", Options{Family: "nsl-kdd", SkipBad: true})
	if err == nil || rep.Skipped != 2 || !errHas(err, "allbad.txt", "no rows read") {
		t.Errorf("all rows bad: %v (skipped %d)", err, rep.Skipped)
	}
}

func TestHeaderErrors(t *testing.T) {
	unsw := fileLines(t, "testdata/unsw_small.csv")
	dropCol := func(lines []string, k int) string {
		var out []string
		for _, l := range lines {
			f := strings.Split(l, ",")
			out = append(out, strings.Join(append(f[:k:k], f[k+1:]...), ","))
		}
		return strings.Join(out, "\n") + "\n"
	}
	cases := []struct {
		name, family, labels, text string
		want                       []string
		sentinel                   error
	}{
		{"unsw missing sbytes", "unsw-nb15", "", dropCol(unsw, 7),
			[]string{`unsw.csv:1: header row lacks column "sbytes"`}, ErrHeader},
		{"unsw missing label", "unsw-nb15", "", dropCol(unsw, 44),
			[]string{`unsw.csv:1: header row lacks column "label"`}, ErrHeader},
		{"unsw no header", "unsw-nb15", "", strings.Join(unsw[1:], "\n"),
			[]string{`unsw.csv:1: header row lacks column "id", "dur"`, "is the header row missing?"}, ErrHeader},
		{"unsw duplicate", "unsw-nb15", "", strings.Replace(strings.Join(unsw, "\n"), "dbytes", "SBYTES", 1),
			[]string{`unsw.csv:1: column 9 (SBYTES): "SBYTES" names a column a second time`}, ErrHeader},
		{"unsw empty", "unsw-nb15", "", "\n\n", []string{"unsw.csv: is empty; a UNSW-NB15 CSV file needs a header row"}, ErrHeader},
		{"bot missing category", "bot-iot", "", `"pkSeqID","stime"` + "\n1,2\n",
			[]string{`bot.csv:1: header row lacks column "flgs"`, `"category"`}, ErrHeader},
		{"arff attribute name", "nsl-kdd", "binary", "@relation x\n@attribute duration real\n@attribute proto {tcp}\n",
			[]string{`arff.txt:3: column 2 (protocol_type): "proto" is not the expected attribute name "protocol_type"`}, ErrHeader},
		{"arff no data", "nsl-kdd", "binary", "% comment\n@relation x\n@attribute duration real\n",
			[]string{"arff.txt:3: the ARFF header ends without an @data line"}, ErrHeader},
		{"arff junk", "nsl-kdd", "binary", "@relation x\nhello\n",
			[]string{`arff.txt:2: "hello" is not an ARFF header line`}, ErrHeader},
		{"arff bad type", "nsl-kdd", "binary", "@relation x\n@attribute duration relational\n",
			[]string{`arff.txt:2: @attribute "duration": type "relational" is not`}, ErrHeader},
		{"arff too few", "nsl-kdd", "binary", "@relation x\n@attribute duration real\n@data\n",
			[]string{"arff.txt:3: the ARFF header declares 1 attributes, want 42"}, ErrHeader},
		{"arff unclosed name", "nsl-kdd", "binary", "@relation x\n@attribute 'duration real\n",
			[]string{"arff.txt:2: @attribute name", "has no closing quote"}, ErrHeader},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			file := map[string]string{"nsl-kdd": "arff.txt", "unsw-nb15": "unsw.csv", "bot-iot": "bot.csv"}[c.family]
			for _, skip := range []bool{false, true} {
				_, _, err := Read(strings.NewReader(c.text), file, Options{Family: c.family, Labels: c.labels, SkipBad: skip})
				if !errors.Is(err, c.sentinel) || !errHas(err, c.want...) {
					t.Errorf("SkipBad %v: error %v, want %v containing %q", skip, err, c.sentinel, c.want)
				}
			}
		})
	}
}

// arffHeader returns the real ARFF file's header, up to and including
// the @data line.
func arffHeader(t *testing.T) string {
	t.Helper()
	rc, err := Open(sharedData(t, "nsl-kdd/KDDTrain+_20Percent.arff.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	head, err := io.ReadAll(io.LimitReader(rc, 8000))
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(head, []byte("@data\n"))
	if i < 0 {
		t.Fatal("no @data line in the first 8000 bytes of the ARFF file")
	}
	return string(head[:i+len("@data\n")])
}

// replaceLine replaces the line of text that starts with prefix.
func replaceLine(text, prefix, line string) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, prefix) {
			lines[i] = line
		}
	}
	return strings.Join(lines, "\n")
}

func TestARFFDetails(t *testing.T) {
	header := arffHeader(t)
	// arffText returns the header with edits applied, then rows.
	arffText := func(_ *testing.T, edit func(string) string, rows ...string) string {
		return edit(header) + strings.Join(rows, "\n") + "\n"
	}
	same := func(h string) string { return h }
	arffRow := "0,tcp,ftp_data,SF,491,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,2,2,0.00,0.00,0.00,0.00,1.00,0.00,0.00,150,25,0.17,0.03,0.17,0.00,0.00,0.00,0.05,0.00"
	// Quoted values, a comment and a blank line in the data, CRLF.
	text := arffText(t, same, arffRow+",normal", "% a comment", "", "0,'tcp',\"private\", 'S0' ,?,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,123,6,1.00,1.00,0.00,0.00,0.05,0.07,0.00,255,26,0.10,0.05,0.00,0.00,1.00,1.00,0.00,0.00,'anomaly'")
	f, rep := mustRead(t, "q.arff", strings.ReplaceAll(text, "\n", "\r\n"), Options{Family: "nsl-kdd", Labels: "binary"})
	if f.Len() != 2 || f.Y[1] != 1 || symbol(f, col(t, f, "service"), 1) != "private" || symbol(f, col(t, f, "flag"), 1) != "S0" ||
		rep.Missing["src_bytes"] != 1 || rep.Ignored != 2 || f.Line[1] != 48 {
		t.Errorf("quoted ARFF row read wrongly: %d rows, Y %v, %q %q, missing %v, ignored %d, line %d",
			f.Len(), f.Y, symbol(f, col(t, f, "service"), 1), symbol(f, col(t, f, "flag"), 1), rep.Missing, rep.Ignored, f.Line[1])
	}
	// Bad ARFF rows.
	for _, c := range []struct {
		row      string
		want     string
		sentinel error
	}{
		{arffRow + ",attack", `bad.arff:45: column 42 (class): "attack" is not an ARFF class (normal or anomaly)`, ErrUnknownLabel},
		{arffRow + ",normal,20", "bad.arff:45: has 43 fields, want 42", ErrFieldCount},
		{"{0 1, 3 SF}", "bad.arff:45: is a sparse ARFF row", ErrBadValue},
		{"0,'tcp,ftp_data,SF", "bad.arff:45: field 2 (protocol_type) has broken quoting", ErrBadValue},
	} {
		_, _, err := Read(strings.NewReader(arffText(t, same, c.row)), "bad.arff", Options{Family: "nsl-kdd", Labels: "binary"})
		if !errors.Is(err, c.sentinel) || !errHas(err, c.want) {
			t.Errorf("row %q: %v, want %v containing %q", c.row, err, c.sentinel, c.want)
		}
	}
	// Header edits.
	for _, c := range []struct {
		edit func(string) string
		want string
	}{
		{func(h string) string { return strings.Replace(h, "'src_bytes' real", "'src_bytes' {'a','b'}", 1) },
			`column 5 (src_bytes): "src_bytes" is declared with the nominal value "a", want numbers`},
		{func(h string) string { return replaceLine(h, "@attribute 'service'", "@attribute 'service' real") },
			`column 3 (service): "service" is declared real, want a {nominal} set or string`},
		{func(h string) string {
			return replaceLine(h, "@attribute 'service'", "@attribute 'service' real %{'http'}")
		},
			`@attribute "service": type "real %{'http'}" is not`},
		{func(h string) string { return strings.Replace(h, "{'normal', 'anomaly'}", "{'normal', 'attack'}", 1) },
			`column 42 (class): "class" is declared nominal ["normal" "attack"], want the nominal set {normal, anomaly}`},
		{func(h string) string { return strings.Replace(h, "'class'", "'label'", 1) },
			`column 42 (class): "label" is not the expected attribute name "class"`},
		{func(h string) string { return strings.Replace(h, "@data", "@data x", 1) }, "has text after @data"},
	} {
		_, _, err := Read(strings.NewReader(arffText(t, c.edit, arffRow+",normal")), "h.arff", Options{Family: "nsl-kdd", Labels: "binary"})
		if !errors.Is(err, ErrHeader) || !errHas(err, "h.arff:", c.want) {
			t.Errorf("header edit: %v, want ErrHeader containing %q", err, c.want)
		}
	}
	// Header variations that are fine: upper-case keywords, double
	// quotes, integer and string types.
	edit := func(h string) string {
		h = strings.Replace(h, "@attribute 'duration' real", "@ATTRIBUTE \"duration\" INTEGER", 1)
		return strings.Replace(h, "@attribute 'service' {", "@attribute service string % {", 1)
	}
	edit2 := func(h string) string {
		return strings.Replace(edit(h), "@attribute service string % {", "@attribute service string\n% {", 1)
	}
	if _, _, err := Read(strings.NewReader(arffText(t, edit, arffRow+",normal")), "ok.arff", Options{Family: "nsl-kdd", Labels: "binary"}); err == nil {
		t.Errorf("type %q accepted", "string % {...}")
	}
	g, _ := mustRead(t, "ok.arff", arffText(t, edit2, arffRow+",normal"), Options{Family: "nsl-kdd", Labels: "binary"})
	if g.Len() != 1 || symbol(g, col(t, g, "service"), 0) != "ftp_data" {
		t.Errorf("varied header: row read wrongly")
	}
}

func TestGzipTruncatedAndCorrupt(t *testing.T) {
	orig, err := os.ReadFile(sharedData(t, "nsl-kdd/KDDTrain+_20Percent.txt.gz"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	trunc := filepath.Join(dir, "trunc.txt.gz")
	if err := os.WriteFile(trunc, orig[:len(orig)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	for _, skip := range []bool{false, true} {
		f, rep, err := ReadFile(trunc, Options{Family: "nsl-kdd", SkipBad: skip})
		var pe *ParseError
		if f != nil || !errors.As(err, &pe) || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("truncated gzip (SkipBad %v): frame %v, error %v; want a ParseError wrapping io.ErrUnexpectedEOF", skip, f != nil, err)
		}
		if pe.File != trunc || pe.Line < 1000 || pe.Line != rep.Rows+1 || !errHas(err, fmt.Sprintf("trunc.txt.gz:%d: reading failed", pe.Line)) {
			t.Errorf("truncated gzip: %v (line %d, %d rows before), want the file and the line reached", err, pe.Line, rep.Rows)
		}
		if rep.Skipped != 0 {
			t.Errorf("truncated gzip: %d rows skipped; the partial last line must not be parsed", rep.Skipped)
		}
	}
	// A header cut inside the gzip header itself.
	short := filepath.Join(dir, "short.gz")
	if err := os.WriteFile(short, orig[:5], 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ReadFile(short, Options{Family: "nsl-kdd"}); !errHas(err, "short.gz", "not a valid gzip stream") {
		t.Errorf("5-byte gzip: %v", err)
	}
	// A flipped byte in the middle: the inflater or the CRC check fails.
	bad := bytes.Clone(orig)
	bad[len(bad)/2] ^= 0xff
	corrupt := filepath.Join(dir, "corrupt.gz")
	if err := os.WriteFile(corrupt, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	if f, _, err := ReadFile(corrupt, Options{Family: "nsl-kdd", SkipBad: true}); f != nil || !errHas(err, "corrupt.gz:", "reading failed") {
		t.Errorf("corrupt gzip: %v", err)
	}
	// A wrong CRC in the trailer: every row decodes, but the read fails.
	bad = bytes.Clone(orig)
	bad[len(bad)-8] ^= 0xff
	crc := filepath.Join(dir, "crc.gz")
	if err := os.WriteFile(crc, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	if f, _, err := ReadFile(crc, Options{Family: "nsl-kdd"}); f != nil || !errors.Is(err, gzip.ErrChecksum) || !errHas(err, "crc.gz:25193:") {
		t.Errorf("bad gzip CRC: %v, want gzip.ErrChecksum at line 25193", err)
	}
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	io.WriteString(zw, kddRow+"\n")
	zw.Close()
	// gzip is detected by content, whatever the name; plain text passes.
	for name, content := range map[string][]byte{"plain.gz": []byte(kddRow + "\n"), "zipped.txt": gz.Bytes()} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, content, 0o600); err != nil {
			t.Fatal(err)
		}
		rc, err := Open(p)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		if err != nil || string(got) != kddRow+"\n" {
			t.Errorf("%s: read %q, %v", name, got, err)
		}
		if err := rc.Close(); err != nil {
			t.Error(err)
		}
	}
	// "-" is standard input.
	rc, err := open("-", bytes.NewReader(gz.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	if err != nil || string(got) != kddRow+"\n" || rc.Close() != nil {
		t.Errorf("stdin: %q, %v", got, err)
	}
	if _, err := Open(filepath.Join(dir, "absent.txt")); !errHas(err, "absent.txt") || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("absent file: %v", err)
	}
	for name, magic := range map[string]string{"a.zip": "PK\x03\x04rest", "a.bz2": "BZh91AY&SY", "a.xz": "\xfd7zXZ\x00\x00", "a.zst": "\x28\xb5\x2f\xfd\x00"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(magic), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(p); !errHas(err, name, "first") {
			t.Errorf("%s: %v, want a refusal saying to unpack it first", name, err)
		}
	}
	// Empty and tiny files are read as (empty) text.
	for _, content := range []string{"", "0"} {
		_, _, err := Read(strings.NewReader(content), "tiny", Options{Family: "nsl-kdd"})
		if content == "" && !errHas(err, "tiny: no data rows") {
			t.Errorf("empty input: %v", err)
		}
		if content == "0" && !errors.Is(err, ErrFieldCount) {
			t.Errorf("one-byte input: %v", err)
		}
	}
}

func TestReadFiles(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.txt")
	b := filepath.Join(dir, "b.txt")
	if err := os.WriteFile(a, []byte(kddRow+"\n"+kddWith(1, "udp")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, []byte(kddWith(1, "icmp")+"\n"+kddWith(41, "smurf")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, rep, err := ReadFiles([]string{a, b}, Options{Family: "nsl-kdd"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Check(); err != nil {
		t.Fatal(err)
	}
	p := col(t, f, "protocol_type")
	if f.Len() != 4 || len(f.Vocab[p]) != 3 || f.Codes[p][3] != 0 || f.Codes[p][2] != 2 {
		t.Errorf("vocabulary %v codes %v, want one shared vocabulary", f.Vocab[p], f.Codes[p])
	}
	if f.Line[2] != 1 || f.Line[3] != 2 || f.Y[3] != 1 || f.Source != a+", "+b || len(rep.Files) != 2 || len(f.Difficulty) != 4 {
		t.Errorf("lines %v, classes %v, source %q, files %v", f.Line, f.Y, f.Source, rep.Files)
	}
	// Files with and without a difficulty column do not mix.
	arff := sharedData(t, "nsl-kdd/KDDTrain+_20Percent.arff.gz")
	for _, paths := range [][]string{{a, arff}, {arff, a}} {
		_, _, err := ReadFiles(paths, Options{Family: "nsl-kdd", Labels: "binary"})
		if !errHas(err, "difficulty column", filepath.Base(paths[1])) {
			t.Errorf("mixing %v: %v", paths, err)
		}
	}
	// An error in the second file names it.
	if err := os.WriteFile(b, []byte(kddWith(4, "many")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ReadFiles([]string{a, b}, Options{Family: "nsl-kdd"}); !errHas(err, b+`:1: column 5 (src_bytes): "many" is not a number`) {
		t.Errorf("error in the second file: %v", err)
	}
	if _, _, err := ReadFiles(nil, Options{Family: "nsl-kdd"}); err == nil {
		t.Errorf("no files accepted")
	}
}
