package balance

import (
	"math"
	"testing"
)

// FuzzParseStrategy: any string either fails to parse or parses to a
// strategy whose String form parses back to the same strategy, and whose
// targets, for every sampler kind, are an error or consistent with the
// class counts.
func FuzzParseStrategy(f *testing.F) {
	for _, s := range []string{"", "auto", "not minority", "minority", "0.5", "1.0", "DoS=5000,U2R=1000",
		"1=3,2=4", "normal,DoS", "0,2", "u2r=1", "1e-1", "=", ",", "DoS=", "NaN", "-0.5", "0x1p-2", "3=9999999999999999999"} {
		f.Add(s)
	}
	classes := []string{"normal", "DoS", "Probe", "R2L", "U2R"}
	counts := []int{50, 20, 0, 7, 3}
	f.Fuzz(func(t *testing.T, s string) {
		st, err := ParseStrategy(s, classes)
		if err != nil {
			return
		}
		again, err := ParseStrategy(st.String(), classes)
		if err != nil || again.String() != st.String() {
			t.Fatalf("%q parsed to %q, which parses to %q, %v", s, st.String(), again.String(), err)
		}
		for _, k := range []Kind{OverSampling, UnderSampling, CleanSampling} {
			tg, err := st.Targets(counts, k, nil)
			if err != nil {
				continue
			}
			if len(tg) != len(counts) {
				t.Fatalf("%q %v: %d targets for %d classes", s, k, len(tg), len(counts))
			}
			for c, n := range tg {
				switch {
				case n < -1:
					t.Fatalf("%q %v: class %d target %d", s, k, c, n)
				case n >= 0 && counts[c] == 0:
					t.Fatalf("%q %v: absent class %d targeted", s, k, c)
				case k == UnderSampling && n > counts[c]:
					t.Fatalf("%q %v: class %d kept %d of %d", s, k, c, n, counts[c])
				}
			}
		}
	})
}

// fuzzMatrix decodes bytes into a small labelled matrix: the first byte
// picks the method, the second the column count (1-4), the third the
// number of classes (2-4); then each row takes a label byte and one byte
// per column, values on a coarse grid so that duplicates and ties are
// common. A one-hot group of 2 columns is appended.
func fuzzMatrix(b []byte) (method int, x []float32, y []int32, cols int, ok bool) {
	if len(b) < 3 {
		return 0, nil, nil, 0, false
	}
	method, cols, nc := int(b[0]), 1+int(b[1])%4, 2+int(b[2])%3
	b = b[3:]
	width := 1 + cols
	for len(b) >= width && len(y) < 40 {
		y = append(y, int32(int(b[0])%nc))
		for j := range cols {
			x = append(x, float32(int(b[1+j])%7)/4)
		}
		if b[0]&0x80 != 0 {
			x = append(x, 1, 0)
		} else {
			x = append(x, 0, 1)
		}
		b = b[width:]
	}
	return method, x, y, cols + 2, len(y) >= 2
}

// FuzzResample runs every method on small random matrices: no panic, no
// NaN, valid one-hot blocks (for methods that keep them), and the class
// counts each method promises.
func FuzzResample(f *testing.F) {
	f.Add([]byte{2, 1, 0, 0, 1, 2, 0, 3, 4, 1, 5, 6, 1, 1, 1, 0, 0, 0, 1, 2, 2, 0, 4, 4})
	f.Add([]byte{5, 3, 1, 0, 1, 2, 3, 4, 1, 1, 1, 1, 1, 2, 6, 6, 6, 6, 0, 0, 0, 0, 0, 2, 3, 3, 3, 3})
	f.Add([]byte{7, 0, 2, 0, 0, 0, 0, 1, 0, 2, 0, 1, 1, 3, 3})
	f.Add([]byte{9, 2, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 2, 2, 2, 0, 3, 3, 3})
	f.Add([]byte{10, 1, 0, 0, 1, 2, 128, 1, 2, 1, 5, 5, 129, 6, 6, 0, 0, 0, 1, 3, 3})
	names := Methods()
	groups := [][]int{{0, 0}} // replaced per input
	f.Fuzz(func(t *testing.T, b []byte) {
		mi, x, y, cols, ok := fuzzMatrix(b)
		if !ok {
			return
		}
		name := names[mi%len(names)]
		groups[0] = []int{cols - 2, cols - 1}
		rs, err := New(name, Options{K: 2, M: 3, OneHotGroups: groups, GAN: GANConfig{Steps: 3, Hidden: 4, Batch: 4, Noise: 2}})
		if err != nil {
			t.Fatal(err)
		}
		xo, yo, err := rs.Resample(dense(x, cols), y, seeded(uint64(len(b)), 1))
		if err != nil {
			return // errors (one class, ADASYN's division by zero...) are fine; panics are not
		}
		out := xo.Data().([]float32)
		if len(out) != len(yo)*cols {
			t.Fatalf("%s: %d values for %d rows", name, len(out), len(yo))
		}
		for i, v := range out {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("%s: value %d is %v", name, i, v)
			}
		}
		if err := ValidOneHot(xo, groups); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		before, after := countOf(y, 8), countOf(yo, 8)
		targets, err := (Strategy{}).Targets(before, OverSampling, nil)
		if err != nil {
			t.Fatal(err)
		}
		for c := range before {
			switch name {
			case "ros", "smote", "gan":
				if want := before[c] + max(targets[c], 0); after[c] != want {
					t.Fatalf("%s: class %d has %d rows, want %d", name, c, after[c], want)
				}
			case "borderline-smote1", "borderline-smote2":
				if after[c] != before[c] && after[c] != before[c]+max(targets[c], 0) {
					t.Fatalf("%s: class %d has %d rows from %d", name, c, after[c], before[c])
				}
			case "adasyn":
				if after[c] < before[c] {
					t.Fatalf("%s: class %d shrank", name, c)
				}
			case "rus", "enn", "tomek":
				if after[c] > before[c] {
					t.Fatalf("%s: class %d grew", name, c)
				}
			}
		}
	})
}
