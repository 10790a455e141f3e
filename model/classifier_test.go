package model

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/cnids/cnids/features"
	"github.com/cnids/cnids/internal/gemm"
)

// testRows returns n NSL-KDD rows with varied values, some repeated.
func testRows(n int, seed uint64) []features.Row {
	s := features.NSLKDD()
	rng := rand.New(rand.NewPCG(seed, 3))
	protos := []string{"tcp", "udp", "icmp"}
	services := []string{"http", "private", "domain_u", "eco_i", "other", "never-seen"}
	flags := []string{"SF", "S0", "REJ"}
	rows := make([]features.Row, n)
	for i := range rows {
		r := features.NewRow(s)
		for j, c := range s.Columns {
			switch c.Name {
			case "protocol_type":
				r.Symbols[j] = protos[rng.IntN(3)]
			case "service":
				r.Symbols[j] = services[rng.IntN(len(services))]
			case "flag":
				r.Symbols[j] = flags[rng.IntN(3)]
			default:
				r.Values[j] = float64(rng.IntN(200))
			}
		}
		if i%3 == 2 { // repeats, as floods have
			copy(r.Values, rows[i-1].Values)
			copy(r.Symbols, rows[i-1].Symbols)
		}
		rows[i] = r
	}
	return rows
}

// A row's verdict depends only on the row and on its index in its batch
// modulo the chunk size, whatever the batch size, the session, and the
// cache, so that the sensor's events are the same whatever the worker
// count.
func TestClassifyIndependentOfBatch(t *testing.T) {
	f := testFile(t)
	c, err := NewClassifier(f, -1)
	if err != nil {
		t.Fatal(err)
	}
	rows := testRows(300, 1)
	classify := func(s *Session, batch int) (probs [][]float32, hits int) {
		out := make([]Verdict, batch)
		for off := 0; off < len(rows); off += batch {
			n := min(batch, len(rows)-off)
			if err := s.Classify(rows[off:off+n], out[:n]); err != nil {
				t.Fatal(err)
			}
			for i := range n {
				probs = append(probs, slices.Clone(out[i].Probs))
				if out[i].Cached {
					hits++
				}
			}
		}
		return probs, hits
	}
	want, _ := classify(c.NewSession(256, 0), 256)
	for _, tc := range []struct {
		name         string
		batch, cache int
	}{
		{"batch 32", 32, 0}, {"batch 96", 96, 0}, {"batch 64 with cache", 64, 128}, {"batch 256 with cache", 256, 4096},
	} {
		s := c.NewSession(tc.batch, tc.cache)
		got, hits := classify(s, tc.batch)
		for i := range want {
			if !slices.Equal(got[i], want[i]) {
				t.Fatalf("%s: row %d: probabilities %v, want %v", tc.name, i, got[i], want[i])
			}
		}
		if s.Stats().CacheHits != uint64(hits) {
			t.Fatalf("%s: %d cache hits (stats %d)", tc.name, hits, s.Stats().CacheHits)
		}
	}
	// A batch of 50 starting at row 0 puts every row at the same position
	// modulo 32 as the batch of 256 does.
	out := make([]Verdict, 50)
	if err := c.NewSession(50, 64).Classify(rows[:50], out); err != nil {
		t.Fatal(err)
	}
	for i := range out {
		if !slices.Equal(out[i].Probs, want[i]) {
			t.Fatalf("batch of 50: row %d differs", i)
		}
	}
	// Replaying the same rows twice through one cached session: the second
	// pass is answered from the cache, bit for bit.
	s := c.NewSession(64, 1024)
	classify(s, 64)
	again, hits := classify(s, 64)
	if hits < 200 { // direct-mapped: some of the 300 keys collide in 1024 slots
		t.Fatalf("second pass: %d of 300 rows from the cache", hits)
	}
	for i := range want {
		if !slices.Equal(again[i], want[i]) {
			t.Fatalf("second cached pass: row %d differs", i)
		}
	}
}

func TestVerdictDecision(t *testing.T) {
	f := testFile(t)
	c, err := NewClassifier(f, 0.3)
	if err != nil {
		t.Fatal(err)
	}
	v := Verdict{Probs: []float32{0.6, 0.1, 0.25, 0.05, 0}}
	c.decide(&v)
	if v.Class != 0 || v.Top != 2 || !v.Alert || v.Score < 0.39 || v.Score > 0.41 {
		t.Fatalf("verdict %+v: class 0, top attack class 2, score 0.4 > 0.3 alerts", v)
	}
	v = Verdict{Probs: []float32{0.75, 0.05, 0.1, 0.05, 0.05}}
	c.decide(&v)
	if v.Alert {
		t.Fatalf("score 0.25 alerted at threshold 0.3")
	}
	if _, err := NewClassifier(f, 1.5); err == nil {
		t.Fatal("threshold 1.5 accepted")
	}
	if c2, _ := NewClassifier(f, -1); c2.Threshold() != f.Header.Threshold {
		t.Fatal("negative threshold does not keep the model's")
	}
}

func TestClassifyErrorsAndAllocs(t *testing.T) {
	f := testFile(t)
	c, _ := NewClassifier(f, -1)
	s := c.NewSession(8, 16)
	rows := testRows(9, 2)
	out := make([]Verdict, 9)
	if err := s.Classify(rows, out); err == nil {
		t.Fatal("9 rows in a session of 8 accepted")
	}
	if err := s.Classify(rows[:3], out[:2]); err == nil {
		t.Fatal("mismatched verdict slice accepted")
	}
	if err := s.Classify(rows[:8], out[:8]); err != nil {
		t.Fatal(err)
	}
	unseen := 0
	for i := range 8 {
		unseen += out[i].Unseen
	}
	if !gemm.Native() {
		t.Log("pure-Go gonum BLAS allocates inside its own calls; allocation check skipped")
		return
	}
	allocs := testing.AllocsPerRun(20, func() {
		if err := s.Classify(rows[:8], out[:8]); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("Classify allocates %.1f times per call", allocs)
	}
	_ = unseen
}
