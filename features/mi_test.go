package features

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat"
)

// digamma at small integers: psi(1) = -gamma, psi(n+1) = psi(n) + 1/n.
const eulerGamma = 0.57721566490153286060651209008240243104215933593992

func TestMutualInfoDiscreteByHand(t *testing.T) {
	y := []int32{0, 0, 0, 0, 1, 1, 1, 1}
	cases := []struct {
		name string
		x    []float64
		want float64
	}{
		// x determines y: MI = H(y) = ln 2.
		{"identical", []float64{0, 0, 0, 0, 1, 1, 1, 1}, math.Ln2},
		// Independent: every cell holds a quarter of the rows.
		{"independent", []float64{0, 0, 1, 1, 0, 0, 1, 1}, 0},
		// Table [[3 1] [1 3]] / 8: 2 * 3/8 ln(3/2) + 2 * 1/8 ln(1/2).
		{"3-1", []float64{0, 0, 0, 1, 1, 1, 1, 0}, 0.75*math.Log(1.5) + 0.25*math.Log(0.5)},
		// A constant column carries nothing.
		{"constant", []float64{4, 4, 4, 4, 4, 4, 4, 4}, 0},
		// Three values, -0 and +0 are one value: table [[2 0] [2 2] [0 2]] / 8:
		// 2/8 ln(2/8 / (2/8 * 4/8)) twice, 2/8 ln(2/8 / (4/8 * 4/8)) twice.
		{"three values", []float64{0, math.Copysign(0, -1), 1, 1, 1, 1, 2, 2}, 0.5 * math.Ln2},
	}
	for _, c := range cases {
		got, err := MutualInfoClassif([][]float64{c.x}, y, []bool{true}, 3, nil)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got[0]-c.want) > 1e-12 {
			t.Errorf("%s: MI %v, want %v", c.name, got[0], c.want)
		}
	}
}

// TestMutualInfoContinuousByHand works Ross's estimator out on tiny
// columns whose neighbour structure no scaling or 1e-10 noise can change.
func TestMutualInfoContinuousByHand(t *testing.T) {
	psi := func(n int) float64 {
		s := -eulerGamma
		for i := 1; i < n; i++ {
			s += 1 / float64(i)
		}
		return s
	}
	// Classes {0, 1, 3} and {10, 11, 13}, n_neighbors 3 -> k = min(3, 3-1)
	// = 2. The 2nd-neighbour distances are 3, 2, 3 in each class; within
	// those radii (exclusive) every point has itself and one other point:
	// m = 2 everywhere. MI = psi(6) + psi(2) - psi(3) - psi(2) = 1/3+1/4+1/5.
	x := []float64{0, 1, 3, 10, 11, 13}
	y := []int32{0, 0, 0, 1, 1, 1}
	want := psi(6) - psi(3)
	if math.Abs(want-47.0/60) > 1e-12 {
		t.Fatalf("psi by hand: %v", want)
	}
	check := func(name string, x []float64, y []int32, k int, want float64) {
		t.Helper()
		for seed := range uint64(5) {
			got, err := MutualInfoClassif([][]float64{x}, y, nil, k, rand.New(rand.NewPCG(seed, 1)))
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got[0]-want) > 1e-12 {
				t.Fatalf("%s (seed %d): MI %v, want %v", name, seed, got[0], want)
			}
		}
	}
	check("two clusters", x, y, 3, want)
	// With k = 1 the radii are 1, 1, 2 and every m is 1: psi(6)+psi(1)-psi(3)-psi(1).
	check("two clusters, k=1", x, y, 1, want)
	// A point alone in its class (5, class 2) is left out entirely: had it
	// been counted, point 3's window (radius 3) would hold it.
	check("singleton", append(slices.Clone(x), 5), append(slices.Clone(y), 2), 3, want)
	// Interleaved classes {0, 2} and {1, 3}, k = 1: radii 2; m = 2, 3, 3, 2.
	// psi(4) + psi(1) - psi(2) - (psi(2)+psi(3))/2 = -5/12 < 0, clipped to 0.
	check("interleaved", []float64{0, 1, 2, 3}, []int32{5, 9, 5, 9}, 1, 0)
	// The unclipped value by hand is indeed negative.
	if v := psi(4) + psi(1) - psi(2) - (psi(2)+psi(3))/2; math.Abs(v+5.0/12) > 1e-12 {
		t.Fatalf("interleaved by hand: %v", v)
	}
	// Every class a singleton: nothing to estimate, 0.
	check("all singletons", []float64{1, 2, 3}, []int32{0, 1, 2}, 3, 0)
}

func TestMutualInfoErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	y := []int32{0, 1, 0}
	cases := []struct {
		name     string
		X        [][]float64
		discrete []bool
		k        int
		rng      *rand.Rand
		want     string
	}{
		{"length", [][]float64{{1, 2}}, nil, 3, rng, "column 0 has 2 values for 3 labels"},
		{"NaN", [][]float64{{1, 2, 3}, {1, math.NaN(), 3}}, nil, 3, rng, "column 1, row 1: value NaN is not finite"},
		{"Inf", [][]float64{{1, math.Inf(1), 3}}, []bool{true}, 3, rng, "not finite"},
		{"flags", [][]float64{{1, 2, 3}}, []bool{true, false}, 3, rng, "2 discrete flags for 1 columns"},
		{"k", [][]float64{{1, 2, 3}}, nil, 0, rng, "n_neighbors is 0"},
		{"rng", [][]float64{{1, 2, 3}}, nil, 3, nil, "need a random source"},
	}
	for _, c := range cases {
		_, err := MutualInfoClassif(c.X, y, c.discrete, c.k, c.rng)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	if _, err := MutualInfoClassif(nil, nil, nil, 3, rng); err == nil {
		t.Error("no rows accepted")
	}
}

// miTolerance is how far a noisy estimate may be from scikit-learn's mean
// over ten random_state values: five standard deviations of those ten, and
// at least 0.02 nats. Where the data have ties the neighbours of tied
// points are decided by the 1e-10 noise, which differs between numpy's
// generator and ours, so only the distribution of the estimate is shared.
func miTolerance(seeds []float64) (mean, tol float64) {
	mean, std := stat.PopMeanStdDev(seeds, nil)
	return mean, max(0.02, 5*std)
}

type miGolden struct {
	Name       string
	Columns    [][]float64
	Y          []int32
	Discrete   []bool
	TieFree    []int `json:"tie_free"`
	NNeighbors int   `json:"n_neighbors"`
	Scores     [][]float64
}

func column(scores [][]float64, j int) []float64 {
	out := make([]float64, len(scores))
	for s := range scores {
		out[s] = scores[s][j]
	}
	return out
}

// TestMutualInfoSmallGolden compares with scikit-learn 1.2.1 on the small
// datasets of testdata/mi_small.json: discrete columns to 1e-9; tie-free
// continuous columns, where the noise moves no neighbour, to 1e-9 as well
// (scikit-learn gives the same value for all ten seeds there); columns with
// ties within miTolerance.
func TestMutualInfoSmallGolden(t *testing.T) {
	var g struct{ Sets []miGolden }
	readGolden(t, "mi_small.json", &g)
	if len(g.Sets) != 3 {
		t.Fatalf("%d sets", len(g.Sets))
	}
	for _, set := range g.Sets {
		got, err := MutualInfoClassif(set.Columns, set.Y, set.Discrete, set.NNeighbors, rand.New(rand.NewPCG(42, 43)))
		if err != nil {
			t.Fatal(err)
		}
		for j := range set.Columns {
			sk := column(set.Scores, j)
			mean, tol := miTolerance(sk)
			exact := set.Discrete[j] || slices.Contains(set.TieFree, j)
			if exact {
				tol = 1e-9
				if slices.Max(sk) != slices.Min(sk) {
					t.Fatalf("%s column %d: sklearn varies with the seed on an exact column", set.Name, j)
				}
			}
			if d := math.Abs(got[j] - mean); d > tol {
				t.Errorf("%s column %d (discrete %v, exact %v): MI %v, sklearn %v (seeds %v), |diff| %.3g > %.3g",
					set.Name, j, set.Discrete[j], exact, got[j], mean, sk, d, tol)
			} else {
				t.Logf("%s column %d: MI %.6f sklearn %.6f |diff| %.2g (tolerance %.2g)", set.Name, j, got[j], mean, d, tol)
			}
		}
	}
}

// TestMutualInfoKDDGolden scores the 5,000-row encoded KDDTrain+ sample of
// testdata/mi_kdd.json (its bytes are checked by TestKDDGoldenSample) and
// compares with scikit-learn: the one-hot and binary columns to 1e-9, the
// continuous ones, full of ties (mostly zeros), within miTolerance.
func TestMutualInfoKDDGolden(t *testing.T) {
	f, e := loadKDDEncoder(t)
	var g struct {
		Rows        []int
		SHA256      string
		Discrete    []bool
		Scores      [][]float64
		Percentiles []float64
		Masks       [][]bool
	}
	readGolden(t, "mi_kdd.json", &g)
	idx := make([]int, len(g.Rows))
	for k, line := range g.Rows {
		idx[k] = line - 1
	}
	sub := f.Subset(idx)
	data, _ := transformData(t, e, sub)
	if float32SHA(data) != g.SHA256 {
		t.Fatal("the encoded sample differs from the reference's")
	}
	w := e.Width()
	cols := make([][]float64, w)
	for j := range cols {
		cols[j] = make([]float64, len(idx))
		for i := range idx {
			cols[j][i] = float64(data[i*w+j])
		}
	}
	got, err := MutualInfoClassif(cols, sub.Y, g.Discrete, 3, rand.New(rand.NewPCG(2024, 6)))
	if err != nil {
		t.Fatal(err)
	}
	worst := 0.0
	for j := range cols {
		sk := column(g.Scores, j)
		mean, tol := miTolerance(sk)
		if g.Discrete[j] {
			tol = 1e-9
		} else {
			worst = max(worst, math.Abs(got[j]-mean))
		}
		if d := math.Abs(got[j] - mean); d > tol {
			t.Errorf("column %d %s: MI %v, sklearn %v (seeds %v), |diff| %.3g > %.3g", j, e.Names()[j], got[j], mean, sk, d, tol)
		}
	}
	t.Logf("largest continuous |diff| %.4f", worst)

	// Given scikit-learn's scores, the masks are SelectPercentile's exactly.
	for k, p := range g.Percentiles {
		mask, err := SelectPercentile(g.Scores[0], p)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(mask, g.Masks[k]) {
			t.Errorf("percentile %v: mask differs from SelectPercentile's", p)
		}
	}
}

// TestSelectPercentileGolden checks masks that scikit-learn computed for
// hand-made scores (ties at the threshold, NaN, short vectors).
func TestSelectPercentileGolden(t *testing.T) {
	var g struct {
		Cases []struct {
			Scores     []*float64
			Percentile float64
			Mask       []bool
		}
	}
	readGolden(t, "select.json", &g)
	if len(g.Cases) < 100 {
		t.Fatalf("%d cases", len(g.Cases))
	}
	for _, c := range g.Cases {
		scores := make([]float64, len(c.Scores))
		for i, s := range c.Scores {
			scores[i] = math.NaN() // null in the golden file
			if s != nil {
				scores[i] = *s
			}
		}
		mask, err := SelectPercentile(scores, c.Percentile)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(mask, c.Mask) {
			t.Errorf("scores %v percentile %v: mask %v, sklearn %v", scores, c.Percentile, mask, c.Mask)
		}
	}
}

func TestSelectPercentileByHand(t *testing.T) {
	cases := []struct {
		scores []float64
		p      float64
		want   []bool
	}{
		// Threshold = percentile(50) = 2.5: the two above it.
		{[]float64{1, 2, 3, 4}, 50, []bool{false, false, true, true}},
		// percentile(60) of 1 2 2 2 3: index 2.4 -> 2; above: 3; ties at 2
		// fill up to int(5*40/100) = 2 in index order.
		{[]float64{1, 2, 2, 2, 3}, 40, []bool{false, true, false, false, true}},
		// percentile(75) of 10 distinct values: index 6.75, between the 7th
		// and 8th; the 3 above are kept although int(10*25/100) = 2.
		{[]float64{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}, 25, []bool{true, true, true, false, false, false, false, false, false, false}},
		// NaN is the lowest score.
		{[]float64{math.NaN(), 1, 2}, 50, []bool{false, false, true}},
		{[]float64{1, 2}, 100, []bool{true, true}},
		{[]float64{1, 2}, 0, []bool{false, false}},
		{nil, 50, []bool{}},
	}
	for _, c := range cases {
		got, err := SelectPercentile(c.scores, c.p)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%v at %v: %v, want %v", c.scores, c.p, got, c.want)
		}
	}
	for _, p := range []float64{-1, 100.5, math.NaN()} {
		if _, err := SelectPercentile([]float64{1}, p); err == nil {
			t.Errorf("percentile %v accepted", p)
		}
	}
}

// TestMutualInfoDeterminism: the result depends on the seed only, not on
// the number of goroutines.
func TestMutualInfoDeterminism(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 11))
	n := 3000
	y := make([]int32, n)
	X := make([][]float64, 6)
	for j := range X {
		X[j] = make([]float64, n)
	}
	for i := range n {
		y[i] = int32(rng.IntN(4))
		for j := range X {
			X[j][i] = math.Round(rng.NormFloat64()*3 + float64(int(y[i])*j%3))
		}
	}
	run := func(procs int) []float64 {
		old := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(old)
		s, err := MutualInfoClassif(X, y, []bool{false, true, false, true, false, false}, 3, rand.New(rand.NewPCG(5, 5)))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b := run(1), run(4)
	if !slices.Equal(a, b) {
		t.Fatalf("GOMAXPROCS changed the result: %v vs %v", a, b)
	}
	c, err := MutualInfoClassif(X, y, []bool{false, true, false, true, false, false}, 3, rand.New(rand.NewPCG(6, 5)))
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(a, c) {
		t.Fatal("another seed gave identical noisy estimates")
	}
	if a[1] != c[1] || a[3] != c[3] {
		t.Fatal("discrete columns depend on the seed")
	}
}

// BenchmarkMutualInfoKDD scores the 122 encoded columns of all of
// KDDTrain+ (125,973 rows).
func BenchmarkMutualInfoKDD(b *testing.B) {
	f, e := loadKDDEncoder(b)
	d, _, err := e.Transform(f)
	if err != nil {
		b.Fatal(err)
	}
	data := d.Data().([]float32)
	w := e.Width()
	cols := make([][]float64, w)
	discrete := make([]bool, w)
	for j := range cols {
		cols[j] = make([]float64, f.Len())
		for i := range f.Len() {
			cols[j][i] = float64(data[i*w+j])
		}
		discrete[j] = j >= 38 || e.schema.Columns[e.num[j].Col].Kind == Binary
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := MutualInfoClassif(cols, f.Y, discrete, 3, rand.New(rand.NewPCG(1, 2))); err != nil {
			b.Fatal(err)
		}
	}
}
