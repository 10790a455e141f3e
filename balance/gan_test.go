package balance

import (
	"math"
	"slices"
	"testing"
	"time"
)

// GAN test bounds, measured on the committed 10,000-row KDDTrain+ sample
// (R2L 995 rows, U2R 52) with the configuration of TestGANKDDSample.
const (
	// ganMaxAUC bounds the AUC of a logistic regression telling the
	// GAN's R2L rows from real R2L rows (held-out halves). SMOTE's rows
	// score about 0.5 on this test, rows of uniform noise with valid
	// one-hot blocks about 1.
	ganMaxAUC = 0.95
	// ganMinDist is the floor on the Euclidean distance from a synthetic
	// row to the nearest real row of its class: no synthetic row is a
	// copy or a near-copy of a training row.
	ganMinDist = 1e-3
)

// TestGANToy: on a 2-D Gaussian minority with a one-hot feature, the
// GAN's rows match the means and the category frequencies, and never
// produce a category the class does not have.
func TestGANToy(t *testing.T) {
	rng := seeded(5, 5)
	n := 2000
	x := make([]float32, 0, n*5)
	y := make([]int32, n)
	for i := range n {
		oh := []float32{0, 0, 0}
		if i < 1500 {
			oh[rng.IntN(3)] = 1
			x = append(x, float32(rng.Float64()), float32(rng.Float64()))
		} else {
			y[i] = 1
			if rng.Float64() < 0.7 {
				oh[0] = 1
			} else {
				oh[1] = 1
			}
			x = append(x, float32(0.7+0.05*rng.NormFloat64()), float32(0.2+0.05*rng.NormFloat64()))
		}
		x = append(x, oh...)
	}
	groups := [][]int{{2, 3, 4}}
	steps := 400
	if raceEnabled {
		steps = 100
	}
	g := &GAN{OneHotGroups: groups, Strategy: mustParse(t, "1=1500", nil), Config: GANConfig{Steps: steps, Hidden: 32, Batch: 64}}
	xo, yo, err := g.Resample(dense(x, 5), y, seeded(1, 1))
	if err != nil {
		t.Fatal(err)
	}
	if c := countOf(yo, 2); c[1] != 1500 {
		t.Fatalf("class 1 has %d rows, want 1500", c[1])
	}
	if err := ValidOneHot(xo, groups); err != nil {
		t.Fatal(err)
	}
	xs := xo.Data().([]float32)
	var m0, m1 float64
	var cat [3]float64
	for i := n; i < len(yo); i++ {
		m0 += float64(xs[i*5])
		m1 += float64(xs[i*5+1])
		for j := range 3 {
			cat[j] += float64(xs[i*5+2+j])
		}
	}
	k := float64(len(yo) - n)
	m0, m1 = m0/k, m1/k
	if raceEnabled {
		return // too few steps to match the distribution
	}
	if math.Abs(m0-0.7) > 0.03 || math.Abs(m1-0.2) > 0.03 {
		t.Errorf("synthetic means %.3f %.3f, want 0.7 0.2", m0, m1)
	}
	if f := cat[0] / k; math.Abs(f-0.7) > 0.08 {
		t.Errorf("category A frequency %.3f, want 0.7", f)
	}
	if cat[2] != 0 {
		t.Errorf("%v rows of category C, which class 1 never has", cat[2])
	}
}

// TestGANKDDSample trains the GAN on the committed KDDTrain+ sample to
// add 1,000 R2L and 1,000 U2R rows, and checks validity, the two-sample
// test and the distance floor.
func TestGANKDDSample(t *testing.T) {
	g, x := loadGolden(t)
	cols, y := g.Cols, g.Y
	groups := kddGroups(cols)
	var lines []string
	steps := 2000
	if raceEnabled {
		steps = 150
	}
	gan := &GAN{OneHotGroups: groups, Strategy: mustParse(t, "3=1995,4=1052", nil),
		Config: GANConfig{Steps: steps, Hidden: 64, Batch: 64, Log: func(s string) { lines = append(lines, s) }}}
	start := time.Now()
	xo, yo, err := gan.Resample(dense(x, cols), y, seeded(11, 12))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("GAN: %v (%s)", time.Since(start).Round(time.Millisecond), lines[len(lines)-1])
	before, after := countOf(y, 5), countOf(yo, 5)
	if after[3] != before[3]+1000 || after[4] != before[4]+1000 || after[0] != before[0] {
		t.Fatalf("counts %v -> %v", before, after)
	}
	if err := ValidOneHot(xo, groups); err != nil {
		t.Fatal(err)
	}
	xs := xo.Data().([]float32)
	for i, v := range xs {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Fatalf("value %d is %v", i, v)
		}
	}
	n := len(y)
	for _, c := range []int32{3, 4} {
		var real, syn []float32
		for i, l := range yo {
			switch {
			case l != c:
			case i < n:
				real = append(real, xs[i*cols:(i+1)*cols]...)
			default:
				syn = append(syn, xs[i*cols:(i+1)*cols]...)
			}
		}
		// Distance floor: nearest real row of the class for each
		// synthetic row.
		all := append(slices.Clone(real), syn...)
		nr := len(real) / cols
		q := make([]int, len(syn)/cols)
		for i := range q {
			q[i] = nr + i
		}
		nn, err := KNN{}.Neighbors(all, cols, allRows(nr), q, 1)
		if err != nil {
			t.Fatal(err)
		}
		minD := math.Inf(1)
		for i, p := range nn {
			minD = min(minD, math.Sqrt(sqDist(all[q[i]*cols:(q[i]+1)*cols], all[int(p)*cols:(int(p)+1)*cols])))
		}
		if minD < ganMinDist {
			t.Errorf("class %d: a synthetic row is %.3g from a real row, below the floor %g", c, minD, ganMinDist)
		}
		auc := logisticAUC(real, syn[:min(len(syn), len(real))], cols, seeded(3, 3))
		t.Logf("class %d: nearest real row at >= %.3g; logistic two-sample AUC %.3f", c, minD, auc)
		if c == 3 && auc > ganMaxAUC && !raceEnabled {
			t.Errorf("class %d: two-sample AUC %.3f above %.2f", c, auc, ganMaxAUC)
		}
		if c == 3 {
			// The test bites: rows of uniform noise (valid blocks) are
			// told apart.
			noise := make([]float32, len(real))
			r := seeded(4, 4)
			for i := range nr {
				row := noise[i*cols : (i+1)*cols]
				for j := range row {
					row[j] = float32(r.Float64())
				}
				for _, gr := range groups {
					for _, j := range gr {
						row[j] = 0
					}
					row[gr[r.IntN(len(gr))]] = 1
				}
			}
			a := logisticAUC(real, noise, cols, seeded(3, 3))
			if a < 0.99 {
				t.Errorf("noise rows: AUC %.3f, the test does not bite", a)
			}
			// For scale: SMOTE-NC's rows, which interpolate real rows.
			so, sy, err := (&SMOTE{OneHotGroups: groups, Strategy: mustParse(t, "3=1995", nil)}).Resample(dense(x, cols), y, seeded(5, 5))
			if err != nil {
				t.Fatal(err)
			}
			sx := so.Data().([]float32)
			var smote []float32
			for i := n; i < len(sy); i++ {
				smote = append(smote, sx[i*cols:(i+1)*cols]...)
			}
			sa := logisticAUC(real, smote[:len(real)], cols, seeded(3, 3))
			t.Logf("class %d: AUC of uniform noise rows %.3f, of SMOTE-NC rows %.3f", c, a, sa)
			if sa > 0.7 {
				t.Errorf("SMOTE-NC rows: AUC %.3f, expected near 0.5", sa)
			}
		}
	}
}

// kddGroups are the one-hot groups of the KDDTrain+ encoding (protocol,
// service, flag), as features.Encoder.OneHotGroups gives them.
func kddGroups(cols int) [][]int {
	if cols != 122 {
		return nil
	}
	span := func(a, b int) []int {
		var out []int
		for j := a; j <= b; j++ {
			out = append(out, j)
		}
		return out
	}
	return [][]int{span(38, 40), span(41, 110), span(111, 121)}
}
