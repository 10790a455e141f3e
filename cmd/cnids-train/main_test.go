package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnids/cnids/internal/sharedtest"
)

func shared(t testing.TB, parts ...string) string { return sharedtest.Path(t, parts...) }

func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var o, e bytes.Buffer
	s := run(context.Background(), args, &o, &e)
	return s, o.String(), e.String()
}

// kddLines returns the first n lines of the 20% NSL-KDD training file.
func kddLines(t *testing.T, n int) []string {
	t.Helper()
	f, err := os.Open(shared(t, "datasets", "nsl-kdd", "KDDTrain+_20Percent.txt.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[:n]
}

func write(t *testing.T, name string, lines []string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// fit, then eval of the written model on the same file with --json: the
// model file carries everything eval needs, and the two agree.
func TestFitEvalRoundTrip(t *testing.T) {
	lines := kddLines(t, 4000)
	train := write(t, "train.txt", lines)
	dir := t.TempDir()
	modelPath := filepath.Join(dir, "m.model")
	s, out, errOut := runCmd(t, "fit", "--train", train, "--test", train, "--epochs", "2", "--batch", "64",
		"--conv", "8:3:2", "--dense", "16", "--out", modelPath, "--report", filepath.Join(dir, "report"), "--json", "--progress=false")
	if s != 0 {
		t.Fatalf("fit: status %d: %s", s, errOut)
	}
	var fr struct {
		Validation struct {
			Accuracy float64 `json:"accuracy"`
		} `json:"validation"`
		Test struct {
			Metrics struct {
				Accuracy float64 `json:"accuracy"`
				Total    int     `json:"total"`
			} `json:"metrics"`
		} `json:"test"`
	}
	if err := json.Unmarshal([]byte(out), &fr); err != nil {
		t.Fatalf("fit --json: %v\n%s", err, out)
	}
	if fr.Validation.Accuracy < 0.8 || fr.Test.Metrics.Total != 4000 {
		t.Fatalf("fit: validation accuracy %v, test rows %d", fr.Validation.Accuracy, fr.Test.Metrics.Total)
	}
	for _, png := range []string{"learning-curves.png", "confusion-validation.png", "confusion-test.png", "class-distribution.png"} {
		if st, err := os.Stat(filepath.Join(dir, "report", png)); err != nil || st.Size() < 1000 {
			t.Errorf("report %s: %v", png, err)
		}
	}
	s, out, errOut = runCmd(t, "eval", "--model", modelPath, "--test", train, "--json")
	if s != 0 {
		t.Fatalf("eval: status %d: %s", s, errOut)
	}
	var ev struct {
		Metrics struct {
			Accuracy float64 `json:"accuracy"`
		} `json:"metrics"`
	}
	if err := json.Unmarshal([]byte(out), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Metrics.Accuracy != fr.Test.Metrics.Accuracy {
		t.Fatalf("eval after load: accuracy %v, fit's test evaluation %v", ev.Metrics.Accuracy, fr.Test.Metrics.Accuracy)
	}

	// An unseen service at inference is encoded as a zero block and
	// counted, not an error.
	odd := append([]string(nil), lines[:50]...)
	f := strings.Split(odd[0], ",")
	f[2] = "no_such_service"
	odd[0] = strings.Join(f, ",")
	s, out, errOut = runCmd(t, "eval", "--model", modelPath, "--test", write(t, "odd.txt", odd))
	if s != 0 || !strings.Contains(out, "unseen symbols map[service:1]") {
		t.Fatalf("unseen service: status %d\n%s\n%s", s, out, errOut)
	}

	// A corrupted model file is refused with a clear error.
	data, err := os.ReadFile(modelPath)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x40
	bad := filepath.Join(dir, "bad.model")
	if err := os.WriteFile(bad, data, 0o644); err != nil {
		t.Fatal(err)
	}
	s, _, errOut = runCmd(t, "eval", "--model", bad, "--test", train)
	if s != 1 || !strings.Contains(errOut, "bad.model") || !strings.Contains(errOut, "checksum mismatch") {
		t.Fatalf("corrupted model: status %d: %s", s, errOut)
	}
}

func TestBadInput(t *testing.T) {
	lines := kddLines(t, 20)
	gz := func() string {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(strings.Join(lines, "\n")))
		zw.Close()
		p := filepath.Join(t.TempDir(), "cut.txt.gz")
		os.WriteFile(p, b.Bytes()[:b.Len()/2], 0o644)
		return p
	}
	short := append([]string(nil), lines...)
	short[4] = strings.TrimSuffix(short[4], ","+strings.Split(short[4], ",")[42])
	nonNum := append([]string(nil), lines...)
	nonNum[6] = "abc" + nonNum[6][strings.Index(nonNum[6], ","):]
	for _, c := range []struct {
		name, file string
		want       []string
	}{
		{"truncated gzip", gz(), []string{"cut.txt.gz", "unexpected EOF"}},
		{"42 fields", write(t, "short.txt", short), []string{"short.txt:5", "has 42 fields, want 43"}},
		{"non-numeric duration", write(t, "nonnum.txt", nonNum), []string{"nonnum.txt:7", "column 1 (duration)", "not a number"}},
	} {
		s, _, errOut := runCmd(t, "fit", "--train", c.file, "--epochs", "1", "--out", filepath.Join(t.TempDir(), "x.model"), "--progress=false")
		if s != 1 {
			t.Errorf("%s: status %d", c.name, s)
		}
		for _, w := range c.want {
			if !strings.Contains(errOut, w) {
				t.Errorf("%s: error %q lacks %q", c.name, errOut, w)
			}
		}
	}
	// --skip-bad skips and reports.
	s, _, errOut := runCmd(t, "explore", "--skip-bad", "--out", t.TempDir(), write(t, "short.txt", short))
	if s != 0 || !strings.Contains(errOut, "1 bad rows skipped") {
		t.Errorf("--skip-bad: status %d: %s", s, errOut)
	}
	if s, _, _ := runCmd(t, "fit"); s != 2 {
		t.Errorf("fit without --train: status %d", s)
	}
}
