package balance

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"

	"gorgonia.org/tensor"
)

// ROS is random over-sampling (imbalanced-learn's RandomOverSampler
// without shrinkage): each class to grow gets copies of its rows drawn
// uniformly with replacement, appended after the original rows in class
// order.
type ROS struct {
	// Strategy is the sampling strategy; the zero value is "auto" (every
	// class but the majority is raised to the majority's count).
	Strategy Strategy
	// Warn, when not nil, receives warnings.
	Warn func(string)
}

// Resample implements the trainer's Balancer.
func (s *ROS) Resample(x *tensor.Dense, y []int32, rng *rand.Rand) (*tensor.Dense, []int32, error) {
	m, counts, err := input(x, y)
	if err != nil {
		return nil, nil, err
	}
	if rng == nil {
		return nil, nil, errNilRand
	}
	targets, err := s.Strategy.Targets(counts, OverSampling, s.Warn)
	if err != nil {
		return nil, nil, err
	}
	rows := classRows(y, len(counts))
	total := 0
	for _, n := range targets {
		total += max(n, 0)
	}
	// Write the copies straight after the original rows, in one allocation.
	xs := make([]float32, (m.rows+total)*m.cols)
	ys := make([]int32, m.rows, m.rows+total)
	copy(xs, m.x)
	copy(ys, y)
	off := len(m.x)
	for c, n := range targets {
		for range max(n, 0) {
			r := rows[c][rng.IntN(len(rows[c]))]
			off += copy(xs[off:], m.row(r))
			ys = append(ys, int32(c))
		}
	}
	return tensor.New(tensor.WithShape(m.rows+total, m.cols), tensor.WithBacking(xs)), ys, nil
}

// errNilRand reports a missing random source.
var errNilRand = errors.New("balance: rng is nil; every resample takes a seeded *rand.Rand")

// smoteParams are the options shared by the SMOTE family.
type smoteParams struct {
	strategy    Strategy
	k           int
	groups      [][]int
	categorical string
	knn         KNN
	warn        func(string)
}

// SMOTE is the Synthetic Minority Over-sampling Technique as
// imbalanced-learn's SMOTE (and SMOTENC when one-hot groups are given):
// each synthetic row lies on the segment between a row of the class and
// one of its K nearest neighbours within the class, both drawn uniformly.
type SMOTE struct {
	// Strategy is the sampling strategy; the zero value is "auto".
	Strategy Strategy
	// K is the number of neighbours (k_neighbors); 0 means 5.
	K int
	// OneHotGroups are the column groups of one-hot encoded categorical
	// features (features.Encoder.OneHotGroups).
	OneHotGroups [][]int
	// Categorical is the handling of OneHotGroups: CatNC (the default
	// when groups are given), CatSnap or CatNone.
	Categorical string
	// KNN configures the neighbour search.
	KNN KNN
	// Warn, when not nil, receives warnings (such as a class too small
	// for K neighbours).
	Warn func(string)
}

func (s *SMOTE) params() smoteParams {
	return smoteParams{s.Strategy, orDefault(s.K, 5), s.OneHotGroups, s.Categorical, s.KNN, s.Warn}
}

// Resample implements the trainer's Balancer.
func (s *SMOTE) Resample(x *tensor.Dense, y []int32, rng *rand.Rand) (*tensor.Dense, []int32, error) {
	return overSample(x, y, rng, s.params(), smoteClass)
}

// orDefault returns v, or def when v is 0.
func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// synthRun is the state of one SMOTE-family resample.
type synthRun struct {
	p      smoteParams
	m      matrix  // the input
	space  matrix  // the matrix distances are measured in
	y      []int32 // labels
	counts []int
	rows   [][]int // rows of each class
	cat    *catSpec
	rng    *rand.Rand
	sums   []float64 // interpolate's scratch
}

func (r *synthRun) warnf(format string, args ...any) {
	if r.p.warn != nil {
		r.p.warn(fmt.Sprintf(format, args...))
	}
}

// classGen generates n rows of class c, appending them to dst.
type classGen func(r *synthRun, c, n int, dst []float32) ([]float32, error)

// overSample runs a SMOTE-family generator over the classes the strategy
// targets, in class order.
func overSample(x *tensor.Dense, y []int32, rng *rand.Rand, p smoteParams, gen classGen) (*tensor.Dense, []int32, error) {
	m, counts, err := input(x, y)
	if err != nil {
		return nil, nil, err
	}
	if rng == nil {
		return nil, nil, errNilRand
	}
	if p.k < 1 {
		return nil, nil, fmt.Errorf("balance: k = %d neighbours, want >= 1", p.k)
	}
	targets, err := p.strategy.Targets(counts, OverSampling, p.warn)
	if err != nil {
		return nil, nil, err
	}
	cat, err := newCatSpec(p.categorical, p.groups, m, y, counts)
	if err != nil {
		return nil, nil, err
	}
	r := &synthRun{p: p, m: m, y: y, counts: counts, rows: classRows(y, len(counts)), cat: cat, rng: rng}
	r.sums = make([]float64, cat.maxGroup())
	r.space = cat.space(m)
	total := 0
	for _, n := range targets {
		total += max(n, 0)
	}
	extra := make([]float32, 0, total*m.cols)
	extraY := make([]int32, 0, total)
	for c, n := range targets {
		if n <= 0 {
			continue
		}
		before := len(extra)
		if extra, err = gen(r, c, n, extra); err != nil {
			return nil, nil, fmt.Errorf("balance: class %d: %w", c, err)
		}
		for range (len(extra) - before) / m.cols {
			extraY = append(extraY, int32(c))
		}
	}
	xo, yo := output(m, y, nil, extra, extraY)
	return xo, yo, nil
}

// classNeighbours returns the k nearest neighbours within class c of
// each of its rows (positions into r.rows[c], the row itself excluded as
// imbalanced-learn excludes it: k+1 are found and the first dropped),
// with k reduced to the class size - 1 for small classes. k is 0 for a
// class of one row.
func (r *synthRun) classNeighbours(c int) (nn []int32, k int, err error) {
	rows := r.rows[c]
	k = r.p.k
	if len(rows) <= k {
		k = len(rows) - 1
		if k == 0 {
			r.warnf("class %d has 1 row: no neighbours, over-sampling it by copies of that row", c)
			return nil, 0, nil
		}
		r.warnf("class %d has %d rows, too few for %d neighbours: using %d", c, len(rows), r.p.k, k)
	}
	nn, err = r.p.knn.neighbors(r.space, rows, rows, k+1)
	if err != nil {
		return nil, 0, err
	}
	return dropFirst(nn, k+1), k, nil
}

// dropFirst removes the first column of a table of k1 columns.
func dropFirst(nn []int32, k1 int) []int32 {
	n := len(nn) / k1
	out := make([]int32, 0, n*(k1-1))
	for i := range n {
		out = append(out, nn[i*k1+1:(i+1)*k1]...)
	}
	return out
}

// emit appends one synthetic row between row base and row nb of the
// input (step in [0, 1)), with the categorical handling of the run;
// nbrs are the rows whose most frequent category SMOTE-NC takes.
func (r *synthRun) emit(dst []float32, base, nb int, step float64, nbrs []int) []float32 {
	at := len(dst)
	dst = slices.Grow(dst, r.m.cols)[:at+r.m.cols]
	r.cat.interpolate(dst[at:], r.m.row(base), r.m.row(nb), step, r.m, nbrs, r.rng, r.sums)
	return dst
}

// rowsOf maps positions within class c's rows to row indices.
func rowsOf(rows []int, pos []int32, dst []int) []int {
	dst = dst[:0]
	for _, p := range pos {
		dst = append(dst, rows[p])
	}
	return dst
}

// smoteClass is SMOTE's generator: n draws of a (row, neighbour) pair
// uniformly among the class's rows times k neighbours, and a step
// uniform in [0, 1).
func smoteClass(r *synthRun, c, n int, dst []float32) ([]float32, error) {
	rows := r.rows[c]
	nn, k, err := r.classNeighbours(c)
	if err != nil {
		return dst, err
	}
	if k == 0 {
		for range n {
			dst = append(dst, r.m.row(rows[0])...)
		}
		return dst, nil
	}
	nbrs := make([]int, 0, k)
	for range n {
		s := r.rng.IntN(len(rows) * k)
		i, j := s/k, s%k
		step := r.rng.Float64()
		nbrs = rowsOf(rows, nn[i*k:(i+1)*k], nbrs)
		dst = r.emit(dst, rows[i], rows[nn[i*k+j]], step, nbrs)
	}
	return dst, nil
}
