package sensor

import (
	"bytes"
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/cnids/cnids/internal/sharedtest"

	"github.com/cnids/cnids/alert"
	"github.com/cnids/cnids/capture"
	"github.com/cnids/cnids/dataset"
	"github.com/cnids/cnids/features"
	"github.com/cnids/cnids/flow"
	"github.com/cnids/cnids/model"
)

func shared(t testing.TB, parts ...string) string { return sharedtest.Path(t, parts...) }

// testClassifier returns a classifier with an encoder fitted on NSL-KDD
// rows and untrained, seeded weights: enough to exercise the pipeline.
func testClassifier(t testing.TB, threshold float64) *model.Classifier {
	t.Helper()
	frame, _, err := dataset.ReadFile(shared(t, "datasets", "nsl-kdd", "KDDTrain+_20Percent.txt.gz"), dataset.Options{Family: "nsl-kdd"})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	enc, err := features.Fit(frame, features.EncoderConfig{Scale: "minmax", Log1p: true, Clip: true}, rng)
	if err != nil {
		t.Fatal(err)
	}
	arch := model.Arch{Name: "cnn", Conv: []model.ConvBlock{{Filters: 8, Kernel: 3, Stride: 1, Padding: 1, Pool: 2}}, Dense: []int{16}}
	net, err := model.Build[float32](arch, enc.Width(), len(frame.Classes), rng)
	if err != nil {
		t.Fatal(err)
	}
	f := &model.File{Net: net, Header: model.Header{Classes: frame.Classes, Threshold: 0.5, Encoder: enc, Semantics: features.KDDSemantics()}}
	c, err := model.NewClassifier(f, threshold)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// replay runs the pipeline over files and returns the JSON lines written.
func replay(t *testing.T, cfg Config, stop context.Context, speed float64, files ...string) (string, Stats) {
	t.Helper()
	var buf bytes.Buffer
	sink, err := alert.NewWriterSink(&buf, alert.EncoderOptions{FeatureNames: features.NSLKDD().Names()})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Sink = sink
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	src, err := capture.OpenFiles(files, capture.FileOptions{Speed: speed})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	st, err := p.Run(stop, src)
	if err != nil {
		t.Fatal(err)
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String(), st
}

// The same input, flags and model give the same events, byte for byte,
// whatever the worker and shard counts.
func TestDeterministicAcrossWorkers(t *testing.T) {
	clf := testClassifier(t, 0.5)
	files := []string{
		shared(t, "pcaps", "lab", "probe-nmap-syn.pcap"),
		shared(t, "pcaps", "lab", "normal.pcap"),
		shared(t, "pcaps", "public", "ftp-ipv4.pcap"),
	}
	var first string
	for _, wc := range []struct{ workers, shards int }{{1, 1}, {4, 2}, {3, 4}} {
		cfg := Config{Classifier: clf, Workers: wc.workers, Batch: 64, Emit: EmitAll, Features: true,
			Flow: flow.Config{Shards: wc.shards}}
		out, st := replay(t, cfg, context.Background(), 0, files...)
		lines := strings.Count(out, "\n")
		if uint64(lines) != st.Rows || st.Rows < 1000 || st.Alerts+st.Flows != st.Rows {
			t.Fatalf("%d workers: %d lines for %d rows (%d alerts, %d flows)", wc.workers, lines, st.Rows, st.Alerts, st.Flows)
		}
		if first == "" {
			first = out
			continue
		}
		if out != first {
			a, b := strings.Split(first, "\n"), strings.Split(out, "\n")
			for i := range a {
				if i >= len(b) || a[i] != b[i] {
					t.Fatalf("%d workers, %d shards: line %d differs:\n%s\n%s", wc.workers, wc.shards, i+1, a[i], b[min(i, len(b)-1)])
				}
			}
		}
	}
}

// Cancelling the stop context drains the pipeline: open flows are
// flushed with reason shutdown and classified, and every event is written.
func TestGracefulStop(t *testing.T) {
	clf := testClassifier(t, 0.5)
	stop, cancel := context.WithCancel(context.Background())
	time.AfterFunc(700*time.Millisecond, cancel)
	start := time.Now()
	// Three minutes of telnet brute force, replayed in real time.
	out, st := replay(t, Config{Classifier: clf, Emit: EmitAll}, stop, 1, shared(t, "pcaps", "lab", "r2l-telnet-bruteforce.pcap"))
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("stopping took %v", d)
	}
	if st.Flow.FlowsShutdown == 0 || st.Rows == 0 || strings.Count(out, "\n") != int(st.Rows) {
		t.Fatalf("after stop: %d rows, %d flushed at shutdown, %d lines", st.Rows, st.Flow.FlowsShutdown, strings.Count(out, "\n"))
	}
	if !strings.Contains(out, `"reason":"shutdown"`) {
		t.Fatal("no event with reason shutdown")
	}
}

func TestConfigErrors(t *testing.T) {
	clf := testClassifier(t, 0.5)
	for name, cfg := range map[string]Config{
		"nothing to do":    {},
		"no sink":          {Classifier: clf},
		"negative workers": {Classifier: clf, Sink: alert.NewMulti(), Workers: -1},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// A model trained for other semantics is refused.
	other := clf.File()
	h := other.Header
	h.Semantics.HostWindow = 100
	f2 := &model.File{Net: other.Net, Header: h}
	c2, err := model.NewClassifier(f2, -1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{Classifier: c2, Sink: alert.NewMulti()}); err == nil || !strings.Contains(err.Error(), "host window") {
		t.Fatalf("model with another host window: %v", err)
	}
}

// Extraction mode hands every row, in order, to the row function.
func TestRowsMode(t *testing.T) {
	var n int
	var last int64
	p, err := New(Config{Rows: func(c *flow.Conn, r *features.Row) error {
		n++
		if c.Finish < last {
			t.Errorf("row %d finished at %d, before the previous row (%d)", n, c.Finish, last)
		}
		last = c.Finish
		if r.Symbols[1] == "" {
			t.Errorf("row %d has no protocol_type", n)
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	src, err := capture.OpenFiles([]string{shared(t, "pcaps", "public", "icmp-5-pings.pcap")}, capture.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := p.Run(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	if n != 10 || st.Rows != 10 {
		t.Fatalf("%d rows (stats %d); icmp-5-pings has 10 ICMP packets, each its own connection", n, st.Rows)
	}
}
