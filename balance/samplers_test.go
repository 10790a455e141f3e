package balance

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gorgonia.org/tensor"
)

func seeded(a, b uint64) *rand.Rand { return rand.New(rand.NewPCG(a, b)) }

// column returns column j of rows from..len(y) of a result.
func resultRows(t *testing.T, x *tensor.Dense) ([]float32, int) {
	t.Helper()
	sh := x.Shape()
	return x.Data().([]float32), sh[1]
}

// onSegment reports whether p lies on the segment [a, b] (float32
// arithmetic tolerance), returning the step.
func onSegment(p, a, b []float32) (float64, bool) {
	var num, den float64
	for j := range a {
		d := float64(b[j]) - float64(a[j])
		num += (float64(p[j]) - float64(a[j])) * d
		den += d * d
	}
	u := 0.0
	if den > 0 {
		u = num / den
	}
	if u < -1e-6 || u > 1+1e-6 {
		return u, false
	}
	for j := range a {
		want := float64(a[j]) + u*(float64(b[j])-float64(a[j]))
		if math.Abs(float64(p[j])-want) > 1e-5*(1+math.Abs(want)) {
			return u, false
		}
	}
	return u, true
}

// TestSMOTEOnSegments: every synthetic row lies on a segment between a
// row of its class and one of that row's k nearest neighbours within the
// class (computed here by brute force), and the counts are as the
// strategy says.
func TestSMOTEOnSegments(t *testing.T) {
	rng := seeded(1, 2)
	cols := 3
	var x []float32
	var y []int32
	for i := range 60 {
		c := int32(0)
		if i%4 == 0 {
			c = 1
		}
		if i%10 == 3 {
			c = 2
		}
		for range cols {
			x = append(x, float32(rng.Float64()+float64(c)))
		}
		y = append(y, c)
	}
	counts := countOf(y, 3)
	k := 3
	s := &SMOTE{K: k}
	xo, yo, err := s.Resample(dense(x, cols), y, seeded(3, 4))
	if err != nil {
		t.Fatal(err)
	}
	got := countOf(yo, 3)
	if got[0] != counts[0] || got[1] != counts[0] || got[2] != counts[0] {
		t.Fatalf("counts %v from %v, want every class at %d", got, counts, counts[0])
	}
	xs, _ := resultRows(t, xo)
	if !slices.Equal(xs[:len(x)], x) || !slices.Equal(yo[:len(y)], y) {
		t.Fatal("the original rows are not kept first, in order")
	}
	rows := classRows(y, 3)
	for i := len(y); i < len(yo); i++ {
		c := yo[i]
		p := xs[i*cols : (i+1)*cols]
		found := false
		for _, a := range rows[c] {
			nn := naiveKNN(x, cols, rows[c], []int{a}, k+1)[1:]
			for _, q := range nn {
				b := rows[c][q]
				if _, ok := onSegment(p, x[a*cols:(a+1)*cols], x[b*cols:(b+1)*cols]); ok {
					found = true
				}
			}
		}
		if !found {
			t.Fatalf("synthetic row %d (class %d) %v is on no segment to a %d-nearest neighbour", i, c, p, k)
		}
	}
}

// TestSMOTEHand: class 1 on a line at 0, 1, 3 and 10 with k = 1: the
// nearest neighbours are 0-1, 1-0, 3-1 and 10-3, so every synthetic value
// lies in [0, 1], [1, 3] or [3, 10] and never in (3, 10) from 0 or 1.
func TestSMOTEHand(t *testing.T) {
	x := []float32{0, 1, 3, 10, 50, 51, 52, 53, 54, 55, 56, 57}
	y := []int32{1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0}
	xo, yo, err := (&SMOTE{K: 1}).Resample(dense(x, 1), y, seeded(5, 6))
	if err != nil {
		t.Fatal(err)
	}
	if c := countOf(yo, 2); c[1] != 8 || c[0] != 8 {
		t.Fatalf("counts %v, want [8 8]", c)
	}
	xs, _ := resultRows(t, xo)
	for _, v := range xs[len(x):] {
		if v < 0 || v > 10 {
			t.Errorf("synthetic value %v outside [0, 10]", v)
		}
	}
	nn, err := KNN{}.Neighbors(x, 1, []int{0, 1, 2, 3}, []int{0, 1, 2, 3}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got := dropFirst(nn, 2); !slices.Equal(got, []int32{1, 0, 1, 2}) {
		t.Errorf("neighbours %v, want [1 0 1 2]", got)
	}
}

// TestADASYNHand checks g_i on a hand-computed 1-D example with k = 2.
//
// Class 0: 0..7 (rows 0-7). Class 1: 0.4 (row 8), 7.6 (9), 11 (10), 12 (11).
// Among all rows, the 2 nearest neighbours of 0.4 are 0 and 1 (class 0:
// r = 1), of 7.6 are 7 and 6 (r = 1), of 11 are 12 and 7.6 (r = 0), of 12
// are 11 and 7.6 (r = 0). With n = 5 asked ("1=9"), g = rint(5 * [0.5,
// 0.5, 0, 0]) = [2, 2, 0, 0] (NumPy's rint rounds 2.5 to even), so 4 rows
// are made, not 5, as in imbalanced-learn.
func TestADASYNHand(t *testing.T) {
	x := []float32{0, 1, 2, 3, 4, 5, 6, 7, 0.4, 7.6, 11, 12}
	y := []int32{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1}
	m, counts, err := input(dense(x, 1), y)
	if err != nil {
		t.Fatal(err)
	}
	r := &synthRun{p: smoteParams{k: 2}, m: m, space: m, y: y, counts: counts, rows: classRows(y, 2)}
	g, err := r.adasynPlan(1, 5)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(g, []int{2, 2, 0, 0}) {
		t.Fatalf("g = %v, want [2 2 0 0]", g)
	}
	st := mustParse(t, "1=9", nil)
	xo, yo, err := (&ADASYN{K: 2, Strategy: st}).Resample(dense(x, 1), y, seeded(1, 1))
	if err != nil {
		t.Fatal(err)
	}
	if c := countOf(yo, 2); c[1] != 8 {
		t.Fatalf("class 1 has %d rows, want 4 + 4", c[1])
	}
	// Rows from 0.4 go towards its 2 nearest class rows (7.6 and 11),
	// rows from 7.6 towards 11 and 12: all in [0.4, 12] and, from 0.4,
	// never below it.
	xs, _ := resultRows(t, xo)
	for _, v := range xs[len(x):] {
		if v < 0.4 || v > 12 {
			t.Errorf("synthetic value %v outside [0.4, 12]", v)
		}
	}
}

func TestADASYNNoOtherClass(t *testing.T) {
	// Two far-apart clusters: no class-1 row has a class-0 neighbour.
	x := []float32{0, 0.1, 0.2, 0.3, 0.4, 0.5, 100, 100.1, 100.2}
	y := []int32{0, 0, 0, 0, 0, 0, 1, 1, 1}
	_, _, err := (&ADASYN{K: 2}).Resample(dense(x, 1), y, seeded(1, 1))
	if err == nil || !strings.Contains(err.Error(), "ADASYN does not suit") {
		t.Fatalf("error %v, want ADASYN's division by zero", err)
	}
}

// TestNumpySum compares with numpy.sum (NumPy 1.24) on vectors where
// pairwise summation and a running sum differ in the last bits.
func TestNumpySum(t *testing.T) {
	for _, c := range []struct {
		n          int
		numpy, seq float64
	}{
		{300, 139.26933333333335, 139.26933333333355},
		{1000, 465.4133333333333, 465.41333333333415},
		{77, 36.388000000000005, 36.388},
	} {
		a := make([]float64, c.n)
		for i := range a {
			f := 1.0
			if i%3 != 0 {
				f = 0.37
			}
			a[i] = float64(i%5+1) / 5.0 * f * float64(1+i%7) / 3.0
		}
		var seq float64
		for _, v := range a {
			seq += v
		}
		if seq != c.seq {
			t.Fatalf("n=%d: running sum %v, want %v (the vector differs from the Python one)", c.n, seq, c.seq)
		}
		if got := numpySum(a); got != c.numpy {
			t.Errorf("n=%d: numpySum %v, numpy.sum %v", c.n, got, c.numpy)
		}
	}
}

// cleanData: class 0 at 0, 1, 2, 3 (rows 0-3); class 1 at 2.2, 10, 11,
// 12 (rows 4-7).
func cleanData() ([]float32, []int32) {
	return []float32{0, 1, 2, 3, 2.2, 10, 11, 12}, []int32{0, 0, 0, 0, 1, 1, 1, 1}
}

// TestENNHand: with k = 1 the nearest neighbours are 0->1, 1->0 (a tie
// with 2, to the lower index), 2->4, 3->4, 4->2, 5->6, 6->5 (a tie with 7),
// 7->6. Rows 2, 3 and 4 have a neighbour of another class. "auto" lets
// only the non-minority class lose rows; with equal counts the minority
// is class 0 (the lower index), so only row 4 goes.
func TestENNHand(t *testing.T) {
	x, y := cleanData()
	for _, c := range []struct {
		strategy string
		want     []int
	}{
		{"auto", []int{0, 1, 2, 3, 5, 6, 7}},
		{"all", []int{0, 1, 5, 6, 7}},
		{"0", []int{0, 1, 4, 5, 6, 7}},
	} {
		keep, err := (&ENN{K: 1, Strategy: mustParse(t, c.strategy, nil)}).Keep(dense(x, 1), y)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(keep, c.want) {
			t.Errorf("ENN %q keeps %v, want %v", c.strategy, keep, c.want)
		}
	}
	// k = 3, kind_sel mode: row 3 (3) has neighbours 2.2, 2, 1: labels 1,
	// 0, 0, mode 0: kept; row 4 (2.2) has 2, 3, 1: mode 0: removed.
	keep, err := (&ENN{K: 3, KindSel: "mode", Strategy: Strategy{Form: All}}).Keep(dense(x, 1), y)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(keep, []int{0, 1, 2, 3, 5, 6, 7}) {
		t.Errorf("ENN mode keeps %v", keep)
	}
	xo, yo, err := (&ENN{K: 1, Strategy: Strategy{Form: All}}).Resample(dense(x, 1), y, seeded(1, 1))
	if err != nil {
		t.Fatal(err)
	}
	xs, _ := resultRows(t, xo)
	if !slices.Equal(xs, []float32{0, 1, 10, 11, 12}) || !slices.Equal(yo, []int32{0, 0, 1, 1, 1}) {
		t.Errorf("ENN output %v %v", xs, yo)
	}
}

// TestTomekHand: rows 2 (class 0, at 2) and 4 (class 1, at 2.2) are each
// other's nearest neighbour: a Tomek link. Row 3's nearest is 4, but 4's
// is 2: no link.
func TestTomekHand(t *testing.T) {
	x, y := cleanData()
	for _, c := range []struct {
		strategy string
		want     []int
	}{
		{"auto", []int{0, 1, 2, 3, 5, 6, 7}},
		{"all", []int{0, 1, 3, 5, 6, 7}},
	} {
		keep, err := (&Tomek{Strategy: mustParse(t, c.strategy, nil)}).Keep(dense(x, 1), y)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(keep, c.want) {
			t.Errorf("Tomek %q keeps %v, want %v", c.strategy, keep, c.want)
		}
	}
	// Identical rows of different classes: row 1 (class 1) and row 2
	// (class 0) at 5. Row 1's two nearest are 1 and 2 (tied at 0, lower
	// index first): its "nearest" is 2. Row 2's are 1 and 2: its nearest
	// is itself, so no link, as imbalanced-learn's first-column rule
	// gives with this tie order.
	x2 := []float32{0, 5, 5, 9}
	y2 := []int32{0, 1, 0, 1}
	keep, err := (&Tomek{Strategy: Strategy{Form: All}}).Keep(dense(x2, 1), y2)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(keep, []int{0, 1, 2, 3}) {
		t.Errorf("Tomek with duplicates keeps %v", keep)
	}
}

// TestBorderlineDanger: class 0 at 0..4, class 1 at 0.5, 4.6, 5.0, 8,
// 8.5 (rows 5-9), m = 2. The 2 nearest of 0.5 are 0 and 1 (both class
// 0: noise); of 4.6 are 5.0 and 4 (one of 2: danger); of 5.0 are 4.6
// and 4 (danger); of 8 and 8.5 only class 1 (safe). The danger set is
// rows 6 and 7, and every borderline-1 row starts from 4.6 or 5.0.
func TestBorderlineDanger(t *testing.T) {
	x := []float32{0, 1, 2, 3, 4, 0.5, 4.6, 5.0, 8, 8.5}
	y := []int32{0, 0, 0, 0, 0, 1, 1, 1, 1, 1}
	m, counts, _ := input(dense(x, 1), y)
	r := &synthRun{p: smoteParams{k: 2}, m: m, space: m, y: y, counts: counts, rows: classRows(y, 2)}
	d, err := r.dangerRows(1, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d, []int{1, 2}) {
		t.Fatalf("danger positions %v, want [1 2]", d)
	}
	st := mustParse(t, "1=25", nil)
	xo, yo, err := (&BorderlineSMOTE{K: 2, M: 2, Strategy: st}).Resample(dense(x, 1), y, seeded(2, 2))
	if err != nil {
		t.Fatal(err)
	}
	if c := countOf(yo, 2); c[1] != 25 {
		t.Fatalf("class 1 has %d rows, want 25", c[1])
	}
	// Within class 1, the 2 nearest of 4.6 are 5.0 and 0.5... no: 5.0
	// (0.4) and 8 (3.4); of 5.0 are 4.6 and 8. So rows lie in [4.6, 8].
	xs, _ := resultRows(t, xo)
	for _, v := range xs[len(x):] {
		if v < 4.6 || v > 8 {
			t.Errorf("borderline-1 value %v outside [4.6, 8]", v)
		}
	}
	// Borderline-2 adds rows towards class 0 (at most half way to 4, the
	// nearest class-0 row of both): all in [4.3, 8].
	xo, yo, err = (&BorderlineSMOTE{Kind: 2, K: 2, M: 2, Strategy: st}).Resample(dense(x, 1), y, seeded(2, 2))
	if err != nil {
		t.Fatal(err)
	}
	if c := countOf(yo, 2); c[1] != 25 {
		t.Fatalf("borderline-2: class 1 has %d rows, want 25", c[1])
	}
	xs, _ = resultRows(t, xo)
	below := 0
	for _, v := range xs[len(x):] {
		if v < 3 || v > 8 {
			t.Errorf("borderline-2 value %v outside [3, 8]", v)
		}
		if v < 4.6 {
			below++
		}
	}
	if below == 0 {
		t.Error("borderline-2 made no row towards the other class")
	}
}

// TestSMOTENC: two clusters of class 1, each with a majority category;
// with SMOTE-NC every synthetic row takes its cluster's majority
// category (the mode among its 3 neighbours, the other rows of its
// cluster), and every block is valid.
func TestSMOTENC(t *testing.T) {
	// Columns: value, then a group of three categories A, B, C.
	row := func(v float32, cat int) []float32 {
		r := []float32{v, 0, 0, 0}
		r[1+cat] = 1
		return r
	}
	var x []float32
	var y []int32
	for _, r := range [][]float32{row(0, 0), row(0.1, 0), row(0.2, 0), row(0.3, 1),
		row(100, 2), row(100.1, 2), row(100.2, 2), row(100.3, 1)} {
		x = append(x, r...)
		y = append(y, 1)
	}
	for i := range 20 {
		x = append(x, row(float32(40+i), i%3)...)
		y = append(y, 0)
	}
	groups := [][]int{{1, 2, 3}}
	xo, yo, err := (&SMOTE{K: 3, OneHotGroups: groups}).Resample(dense(x, 4), y, seeded(9, 9))
	if err != nil {
		t.Fatal(err)
	}
	if err := ValidOneHot(xo, groups); err != nil {
		t.Fatal(err)
	}
	xs, _ := resultRows(t, xo)
	for i := len(y); i < len(yo); i++ {
		r := xs[i*4 : (i+1)*4]
		want := 0
		if r[0] > 50 {
			want = 2
		}
		if r[1+want] != 1 {
			t.Errorf("synthetic row %v: category is not the cluster's mode %d", r, want)
		}
	}
	// Snap keeps blocks valid too; plain interpolation does not.
	xo, _, err = (&SMOTE{K: 3, OneHotGroups: groups, Categorical: CatSnap}).Resample(dense(x, 4), y, seeded(9, 9))
	if err != nil {
		t.Fatal(err)
	}
	if err := ValidOneHot(xo, groups); err != nil {
		t.Errorf("snap: %v", err)
	}
	xo, _, err = (&SMOTE{K: 3, OneHotGroups: groups, Categorical: CatNone}).Resample(dense(x, 4), y, seeded(9, 9))
	if err != nil {
		t.Fatal(err)
	}
	if err := ValidOneHot(xo, groups); err == nil {
		t.Error("plain interpolation across a block gave valid rows (expected fractional blocks)")
	}
	// median_std: the minority class 1's value column has population
	// standard deviation 50.0000... (values 0..0.3 and 100..100.3).
	m, counts, _ := input(dense(x, 4), y)
	cs, err := newCatSpec("", groups, m, y, counts)
	if err != nil {
		t.Fatal(err)
	}
	var mean, sd float64
	for _, v := range []float64{0, 0.1, 0.2, 0.3, 100, 100.1, 100.2, 100.3} {
		mean += v / 8
	}
	for _, v := range []float64{0, 0.1, 0.2, 0.3, 100, 100.1, 100.2, 100.3} {
		sd += (v - mean) * (v - mean) / 8
	}
	if want := math.Sqrt(sd); math.Abs(cs.medianStd-want) > 1e-5 {
		t.Errorf("median_std %v, want %v", cs.medianStd, want)
	}
}

func TestValidOneHot(t *testing.T) {
	groups := [][]int{{0, 1}, {2, 3, 4}}
	ok := []float32{1, 0, 0, 0, 1, 0, 1, 0, 0, 0} // second row: empty second block (unseen value)
	if err := ValidOneHot(dense(ok, 5), groups); err != nil {
		t.Error(err)
	}
	for _, c := range []struct {
		x   []float32
		msg string
	}{
		{[]float32{1, 1, 0, 0, 1}, "row 0: one-hot group 0 has a second one at column 1"},
		{[]float32{0.4, 0.6, 0, 0, 1}, "row 0: one-hot group 0 column 0 is 0.4"},
	} {
		err := ValidOneHot(dense(c.x, 5), groups)
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%v: error %v, want %q", c.x, err, c.msg)
		}
	}
	if err := ValidOneHot(dense(ok, 5), [][]int{{0, 5}}); err == nil {
		t.Error("a column out of range: no error")
	}
	if err := ValidOneHot(dense(ok, 5), [][]int{{0, 1}, {1, 2}}); err == nil {
		t.Error("overlapping groups: no error")
	}
}

// TestSmallClassFallback: a class of 3 rows is SMOTEd with k = 2 and a
// warning; a class of 1 row is over-sampled by copies with a warning.
func TestSmallClassFallback(t *testing.T) {
	x := []float32{0, 1, 2, 3, 4, 5, 6, 7, 20, 21, 23, 50}
	y := []int32{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 2}
	var warns []string
	s := &SMOTE{Warn: func(w string) { warns = append(warns, w) }}
	xo, yo, err := s.Resample(dense(x, 1), y, seeded(1, 1))
	if err != nil {
		t.Fatal(err)
	}
	if c := countOf(yo, 3); !slices.Equal(c, []int{8, 8, 8}) {
		t.Fatalf("counts %v", c)
	}
	if len(warns) != 2 || !strings.Contains(warns[0], "class 1 has 3 rows, too few for 5 neighbours: using 2") ||
		!strings.Contains(warns[1], "class 2 has 1 row") {
		t.Errorf("warnings %q", warns)
	}
	xs, _ := resultRows(t, xo)
	for i, c := range yo {
		switch {
		case i < len(y):
		case c == 1 && (xs[i] < 20 || xs[i] > 23):
			t.Errorf("class 1 synthetic value %v outside [20, 23]", xs[i])
		case c == 2 && xs[i] != 50:
			t.Errorf("class 2 copy %v, want 50", xs[i])
		}
	}
}

// TestROSRUS: counts, copies and subsets.
func TestROSRUS(t *testing.T) {
	x := []float32{0, 1, 2, 3, 4, 5, 10, 11, 20}
	y := []int32{0, 0, 0, 0, 0, 0, 1, 1, 2}
	xo, yo, err := (&ROS{}).Resample(dense(x, 1), y, seeded(1, 1))
	if err != nil {
		t.Fatal(err)
	}
	if c := countOf(yo, 3); !slices.Equal(c, []int{6, 6, 6}) {
		t.Fatalf("ROS counts %v", c)
	}
	xs, _ := resultRows(t, xo)
	for i := len(y); i < len(yo); i++ {
		if (yo[i] == 1 && xs[i] != 10 && xs[i] != 11) || (yo[i] == 2 && xs[i] != 20) {
			t.Errorf("ROS row %d = %v (class %d) is not a copy of its class", i, xs[i], yo[i])
		}
	}
	keep, err := (&RUS{}).Keep(dense(x, 1), y, seeded(1, 1))
	if err != nil {
		t.Fatal(err)
	}
	if c := countOf(pick(y, keep), 3); !slices.Equal(c, []int{1, 1, 1}) || !slices.IsSorted(keep) {
		t.Fatalf("RUS keeps %v", keep)
	}
	keep, err = (&RUS{Strategy: mustParse(t, "0=4,1=1", nil)}).Keep(dense(x, 1), y, seeded(1, 1))
	if err != nil {
		t.Fatal(err)
	}
	if c := countOf(pick(y, keep), 3); !slices.Equal(c, []int{4, 1, 1}) {
		t.Fatalf("RUS 0=4,1=1 keeps %v", keep)
	}
}

func pick(y []int32, idx []int) []int32 {
	out := make([]int32, len(idx))
	for i, j := range idx {
		out[i] = y[j]
	}
	return out
}

// TestReproducible: every method gives the same bits for the same seed,
// and over-samplers give different rows for another seed.
func TestReproducible(t *testing.T) {
	rng := seeded(4, 4)
	cols := 6
	var x []float32
	var y []int32
	for i := range 120 {
		c := int32(i % 3)
		if i%7 == 0 {
			c = 3
		}
		r := []float32{float32(rng.NormFloat64()) + float32(c), float32(rng.Float64()), 0, 0, 0, float32(rng.IntN(2))}
		r[2+rng.IntN(3)] = 1
		x = append(x, r...)
		y = append(y, c)
	}
	groups := [][]int{{2, 3, 4}}
	for _, name := range Methods() {
		opt := Options{OneHotGroups: groups, GAN: GANConfig{Steps: 20, Hidden: 16, Batch: 16}}
		rs, err := New(name, opt)
		if err != nil {
			t.Fatal(err)
		}
		x1, y1, err := rs.Resample(dense(slices.Clone(x), cols), y, seeded(7, 7))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		x2, y2, err := rs.Resample(dense(slices.Clone(x), cols), y, seeded(7, 7))
		if err != nil {
			t.Fatal(err)
		}
		a, b := x1.Data().([]float32), x2.Data().([]float32)
		if !slices.Equal(y1, y2) || len(a) != len(b) {
			t.Fatalf("%s: not reproducible", name)
		}
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
				t.Fatalf("%s: value %d differs between runs with one seed", name, i)
			}
		}
		if err := ValidOneHot(x1, groups); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		x3, _, err := rs.Resample(dense(slices.Clone(x), cols), y, seeded(8, 8))
		if err != nil {
			t.Fatal(err)
		}
		if len(a) > len(x) && slices.Equal(a, x3.Data().([]float32)) && name != "enn" && name != "tomek" {
			t.Errorf("%s: another seed gave the same output", name)
		}
	}
}

func TestInputErrors(t *testing.T) {
	x := []float32{0, 1, 2, 3, 4, 5}
	y := []int32{0, 0, 1}
	s := &SMOTE{}
	for _, c := range []struct {
		x   *tensor.Dense
		y   []int32
		rng *rand.Rand
		msg string
	}{
		{dense(x, 2), y, nil, "rng is nil"},
		{dense(x, 2), []int32{0, 1}, seeded(1, 1), "3 rows but y has 2 labels"},
		{dense(x, 2), []int32{0, -1, 1}, seeded(1, 1), "label of row 1 is -1"},
		{dense([]float32{0, 1, float32(math.NaN()), 3, 4, 5}, 2), y, seeded(1, 1), "row 1 column 0 is NaN"},
		{dense([]float32{0, 1, 2, 3, 4, float32(math.Inf(1))}, 2), y, seeded(1, 1), "row 2 column 1 is +Inf"},
		{tensor.New(tensor.WithShape(3, 2), tensor.WithBacking([]float64{0, 1, 2, 3, 4, 5})), y, seeded(1, 1), "float64"},
		{dense(x, 2), []int32{0, 0, 0}, seeded(1, 1), "more than 1 class"},
		{nil, y, seeded(1, 1), "x is nil"},
	} {
		_, _, err := s.Resample(c.x, c.y, c.rng)
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("error %v, want one containing %q", err, c.msg)
		}
	}
	if _, err := New("smote-x", Options{}); err == nil {
		t.Error("unknown method: no error")
	}
	if _, err := New("SMOTE_ENN", Options{}); err != nil {
		t.Errorf("alias: %v", err)
	}
	if _, err := New("smote", Options{Strategy: "bogus=1"}); err == nil {
		t.Error("bad strategy: no error")
	}
	if _, _, err := (&SMOTE{OneHotGroups: [][]int{{0, 9}}}).Resample(dense(x, 2), y, seeded(1, 1)); err == nil ||
		!strings.Contains(err.Error(), "column 9 is outside") {
		t.Errorf("bad group: %v", err)
	}
}

// Every method satisfies the trainer's Balancer (train.Balancer has the
// method set of Resampler).
var (
	_ Resampler = (*ROS)(nil)
	_ Resampler = (*RUS)(nil)
	_ Resampler = (*SMOTE)(nil)
	_ Resampler = (*BorderlineSMOTE)(nil)
	_ Resampler = (*ADASYN)(nil)
	_ Resampler = (*ENN)(nil)
	_ Resampler = (*Tomek)(nil)
	_ Resampler = (*SMOTEENN)(nil)
	_ Resampler = (*SMOTETomek)(nil)
	_ Resampler = (*GAN)(nil)
)

// TestHybrids: New's SMOTE-ENN and SMOTE-Tomek are SMOTE followed by
// ENN or Tomek links with the strategy "all" (imbalanced-learn's
// defaults), on the same rng stream.
func TestHybrids(t *testing.T) {
	rng := seeded(6, 6)
	var x []float32
	var y []int32
	for i := range 90 {
		c := int32(i % 3)
		if c == 2 && i%2 == 0 {
			c = 1
		}
		x = append(x, float32(rng.NormFloat64())+float32(c)*0.8, float32(rng.NormFloat64()))
		y = append(y, c)
	}
	for _, c := range []struct {
		name  string
		clean Resampler
	}{
		{"smote-enn", &ENN{Strategy: Strategy{Form: All}}},
		{"smote-tomek", &Tomek{Strategy: Strategy{Form: All}}},
	} {
		h, err := New(c.name, Options{})
		if err != nil {
			t.Fatal(err)
		}
		xh, yh, err := h.Resample(dense(x, 2), y, seeded(1, 2))
		if err != nil {
			t.Fatal(err)
		}
		r := seeded(1, 2)
		xs, ys, err := (&SMOTE{}).Resample(dense(x, 2), y, r)
		if err != nil {
			t.Fatal(err)
		}
		xw, yw, err := c.clean.Resample(xs, ys, r)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(yh, yw) || !slices.Equal(xh.Data().([]float32), xw.Data().([]float32)) {
			t.Errorf("%s differs from SMOTE then its cleaner", c.name)
		}
		if len(yh) >= len(ys) {
			t.Errorf("%s removed no row (%d -> %d)", c.name, len(ys), len(yh))
		}
	}
}
