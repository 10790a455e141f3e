package cli

import (
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) string {
		p := filepath.Join(dir, "c.yaml")
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	newFS := func() (*flag.FlagSet, *int, *string, *List) {
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		n := fs.Int("epochs", 1, "")
		s := fs.String("arch", "cnn", "")
		var l List
		fs.Var(&l, "train", "")
		fs.String("config", "", "")
		return fs, n, s, &l
	}
	p := write("epochs: 7\narch: cnn-lstm\ntrain: [a.gz, b.gz]\n")
	fs, n, s, l := newFS()
	if err := Parse(fs, []string{"--config", p, "--arch", "cnn"}, io.Discard); err != nil {
		t.Fatal(err)
	}
	if *n != 7 || *s != "cnn" || strings.Join(*l, ",") != "a.gz,b.gz" {
		t.Fatalf("epochs %d arch %s train %v: the file must set what the command line does not", *n, *s, *l)
	}
	for text, want := range map[string]string{
		"epochs: 7\nbogus: 1\n": "c.yaml:2: unknown setting \"bogus\"",
		"epochs: seven\n":       "c.yaml:1: epochs",
		"- a\n- b\n":            "want a mapping",
		"epochs: {a: 1}\n":      "must be a value or a list",
	} {
		fs, _, _, _ := newFS()
		err := Parse(fs, []string{"--config", write(text)}, io.Discard)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want it to contain %q", text, err, want)
		}
	}
	fs, _, _, _ = newFS()
	if err := Parse(fs, []string{"--nope"}, io.Discard); !errors.Is(err, ErrUsage) {
		t.Errorf("unknown flag: %v", err)
	}
}

func TestParseInterspersed(t *testing.T) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	n := fs.Int("n", 0, "")
	b := fs.Bool("b", false, "")
	if err := Parse(fs, []string{"a.pcap", "-n", "3", "-", "b.pcap", "-b", "--", "-c.pcap"}, io.Discard); err != nil {
		t.Fatal(err)
	}
	if *n != 3 || !*b || strings.Join(fs.Args(), " ") != "a.pcap - b.pcap -c.pcap" {
		t.Fatalf("n %d b %v args %q", *n, *b, fs.Args())
	}
}
