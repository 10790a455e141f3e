package balance

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
)

// naiveKNN is the definition: full squared distances summed in column
// order in float64, sorted by (distance, position).
func naiveKNN(x []float32, cols int, ref, query []int, k int) []int32 {
	out := make([]int32, 0, len(query)*k)
	type cand struct {
		d   float64
		pos int32
	}
	for _, q := range query {
		cs := make([]cand, len(ref))
		for p, r := range ref {
			var d float64
			for j := range cols {
				dd := float64(x[q*cols+j]) - float64(x[r*cols+j])
				d += dd * dd
			}
			cs[p] = cand{d, int32(p)}
		}
		slices.SortFunc(cs, func(a, b cand) int {
			if c := cmp.Compare(a.d, b.d); c != 0 {
				return c
			}
			return cmp.Compare(a.pos, b.pos)
		})
		for _, c := range cs[:k] {
			out = append(out, c.pos)
		}
	}
	return out
}

// gridMatrix makes rows with values on a 1/8 grid (so that every
// distance is computed exactly and ties are exact), some one-hot
// blocks, some two-valued columns and some duplicated rows.
func gridMatrix(rng *rand.Rand, rows, cont, levels int) ([]float32, int) {
	groups := []int{3, 4}
	cols := cont + 2 + groups[0] + groups[1]
	x := make([]float32, rows*cols)
	for i := range rows {
		r := x[i*cols : (i+1)*cols]
		if i > 0 && rng.IntN(6) == 0 {
			src := rng.IntN(i)
			copy(r, x[src*cols:(src+1)*cols])
			continue
		}
		for j := range cont {
			r[j] = float32(rng.IntN(levels)) / 8
		}
		r[cont] = float32(rng.IntN(2))
		r[cont+1] = 0.25 * float32(rng.IntN(2))
		at := cont + 2
		for _, g := range groups {
			r[at+rng.IntN(g)] = 1
			at += g
		}
	}
	return x, cols
}

func TestKNNMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for trial := range 40 {
		rows := 5 + rng.IntN(300)
		cont := rng.IntN(4)
		x, cols := gridMatrix(rng, rows, cont, 1+rng.IntN(4))
		// A random reference subset (ascending) and random queries.
		var ref []int
		for i := range rows {
			if rng.IntN(3) > 0 {
				ref = append(ref, i)
			}
		}
		if len(ref) == 0 {
			ref = []int{0}
		}
		query := make([]int, 1+rng.IntN(rows))
		for i := range query {
			query[i] = rng.IntN(rows)
		}
		k := 1 + rng.IntN(min(len(ref), 12))
		got, err := KNN{Workers: 1 + trial%3}.Neighbors(x, cols, ref, query, k)
		if err != nil {
			t.Fatal(err)
		}
		want := naiveKNN(x, cols, ref, query, k)
		if !slices.Equal(got, want) {
			for qi := range query {
				g, w := got[qi*k:(qi+1)*k], want[qi*k:(qi+1)*k]
				if !slices.Equal(g, w) {
					t.Fatalf("trial %d (rows %d cont %d k %d): query %d (row %d): got %v, want %v", trial, rows, cont, k, qi, query[qi], g, w)
				}
			}
		}
	}
}

// TestKNNContinuous checks general float data (no two-valued columns),
// where the GEMM prefilter does all the pruning.
func TestKNNContinuous(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	rows, cols := 700, 9
	x := make([]float32, rows*cols)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	// Near-duplicates: rows that differ from another by one ulp.
	for i := 1; i < rows; i += 7 {
		copy(x[i*cols:(i+1)*cols], x[(i-1)*cols:i*cols])
		x[i*cols+3] = x[i*cols+3] * (1 + 1e-7)
	}
	all := make([]int, rows)
	for i := range all {
		all[i] = i
	}
	k := 6
	got, err := KNN{}.Neighbors(x, cols, all, all, k)
	if err != nil {
		t.Fatal(err)
	}
	want := naiveKNN(x, cols, all, all, k)
	if !slices.Equal(got, want) {
		t.Fatal("continuous data: neighbours differ from the naive search")
	}
}

// TestKNNHandTies: a hand-made example of ties and duplicates.
func TestKNNHandTies(t *testing.T) {
	// Rows on a line: 0, 1, 1 (duplicate), 2, 0 (duplicate of row 0).
	x := []float32{0, 1, 1, 2, 0}
	all := []int{0, 1, 2, 3, 4}
	got, err := KNN{}.Neighbors(x, 1, all, all, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := []int32{
		0, 4, 1, // row 0: itself, its duplicate 4, then 1 (tie 1,2 -> lower)
		1, 2, 0, // row 1: 1 and 2 at 0; then 0, 3, 4 at 1 -> 0
		1, 2, 0, // row 2: the duplicate with the lower index comes first
		3, 1, 2, // row 3
		0, 4, 1, // row 4: row 0 ties at 0 with a lower index, so comes first
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestKNNErrors(t *testing.T) {
	x := []float32{0, 1, 2, 3}
	if _, err := (KNN{}).Neighbors(x, 2, []int{0, 1}, []int{0}, 3); err == nil {
		t.Error("k > rows: no error")
	}
	if _, err := (KNN{}).Neighbors(x, 2, []int{1, 0}, []int{0}, 1); err == nil {
		t.Error("unsorted reference: no error")
	}
	if _, err := (KNN{}).Neighbors(x, 2, []int{0, 2}, []int{0}, 1); err == nil {
		t.Error("reference out of range: no error")
	}
	if _, err := (KNN{}).Neighbors(x, 3, []int{0}, []int{0}, 1); err == nil {
		t.Error("ragged matrix: no error")
	}
}

// TestHotPathsAllocateNothing: the per-unit neighbour search and the
// synthetic-row interpolation allocate nothing once their buffers exist.
func TestHotPathsAllocateNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	x, cols := gridMatrix(rng, 400, 3, 8)
	m := matrix{x: x, rows: len(x) / cols, cols: cols}
	all := allRows(m.rows)
	p := newPlan(m, all, all, 4)
	s := p.newScratch()
	out := make([]int32, len(all)*4)
	g := p.groups[0]
	qs := g.queries[:min(len(g.queries), qBlock)]
	if a := testing.AllocsPerRun(20, func() { p.search(s, qs, g.order, all, out) }); a != 0 {
		t.Errorf("search allocates %v times per call", a)
	}
	groups := [][]int{{cols - 7, cols - 6, cols - 5}, {cols - 4, cols - 3, cols - 2, cols - 1}}
	y := make([]int32, m.rows)
	for i := range y {
		y[i] = int32(i % 2)
	}
	cs, err := newCatSpec(CatNC, groups, m, y, countOf(y, 2))
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]float32, cols)
	sums := make([]float64, cs.maxGroup())
	nbrs := []int{3, 4, 5}
	if a := testing.AllocsPerRun(50, func() { cs.interpolate(dst, m.row(1), m.row(2), 0.3, m, nbrs, rng, sums) }); a != 0 {
		t.Errorf("interpolate allocates %v times per call", a)
	}
}
