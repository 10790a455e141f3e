package balance

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/stat/distuv"
	"gorgonia.org/tensor"
)

// ADASYN is adaptive synthetic sampling as imbalanced-learn's ADASYN:
// rows of a class with more neighbours from other classes get more
// synthetic rows. For each row i of the class, r_i is the fraction of its
// K nearest neighbours among all rows that belong to another class;
// g_i = rint(n * r_i / sum(r)) rows are generated from row i (NumPy's
// rint: half to even; the sum is NumPy's pairwise sum, so that g_i match
// imbalanced-learn exactly), each between row i and one of its K nearest
// neighbours within the class drawn uniformly, with a uniform step. The
// number of rows generated is sum(g_i), which rounding can make differ
// from the target n, as in imbalanced-learn.
type ADASYN struct {
	// Strategy is the sampling strategy; the zero value is "auto".
	Strategy Strategy
	// K is the number of neighbours (n_neighbors); 0 means 5.
	K int
	// OneHotGroups are one-hot column groups (see SMOTE).
	OneHotGroups [][]int
	// Categorical is the handling of OneHotGroups (see SMOTE).
	Categorical string
	// KNN configures the neighbour search.
	KNN KNN
	// Warn, when not nil, receives warnings.
	Warn func(string)
}

func (s *ADASYN) params() smoteParams {
	return smoteParams{s.Strategy, orDefault(s.K, 5), s.OneHotGroups, s.Categorical, s.KNN, s.Warn}
}

// Resample implements the trainer's Balancer.
func (s *ADASYN) Resample(x *tensor.Dense, y []int32, rng *rand.Rand) (*tensor.Dense, []int32, error) {
	return overSample(x, y, rng, s.params(), adasynClass)
}

// adasynCounts returns ADASYN's g_i for the rows of class c, given the
// labels of their k nearest neighbours over all rows (k per row).
func adasynCounts(nnLabels []int32, c int32, k, n int) ([]int, error) {
	rows := len(nnLabels) / k
	ratio := make([]float64, rows)
	for i := range rows {
		other := 0
		for _, l := range nnLabels[i*k : (i+1)*k] {
			if l != c {
				other++
			}
		}
		ratio[i] = float64(other) / float64(k)
	}
	sum := numpySum(ratio)
	if sum == 0 {
		return nil, errors.New("ADASYN: no neighbour of any row of the class belongs to another class (division by zero); ADASYN does not suit this class, use SMOTE")
	}
	g := make([]int, rows)
	total := 0
	for i, v := range ratio {
		g[i] = int(math.RoundToEven(v / sum * float64(n)))
		total += g[i]
	}
	if total == 0 {
		return nil, fmt.Errorf("ADASYN: rounding leaves no rows to generate for a target of %d", n)
	}
	return g, nil
}

// numpySum is numpy.sum of a contiguous float64 vector: 0 plus NumPy's
// pairwise summation (blocks of up to 128 summed with 8 accumulators,
// larger vectors split in halves rounded down to a multiple of 8).
func numpySum(a []float64) float64 {
	return 0 + pairwiseSum(a)
}

func pairwiseSum(a []float64) float64 {
	n := len(a)
	switch {
	case n < 8:
		var s float64
		for _, v := range a {
			s += v
		}
		return s
	case n <= 128:
		var r [8]float64
		copy(r[:], a[:8])
		i := 8
		for ; i < n-n%8; i += 8 {
			for j := range 8 {
				r[j] += a[i+j]
			}
		}
		s := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			s += a[i]
		}
		return s
	}
	n2 := n / 2
	n2 -= n2 % 8
	return pairwiseSum(a[:n2]) + pairwiseSum(a[n2:])
}

// allNeighbours returns the k nearest neighbours among all rows of the
// rows of class c (row indices into the input; the first of k+1 dropped,
// as imbalanced-learn), in the run's distance space.
func (r *synthRun) allNeighbours(c, k int) ([]int32, error) {
	if r.m.rows <= k {
		return nil, fmt.Errorf("%d rows in all, too few for %d neighbours", r.m.rows, k)
	}
	nn, err := r.p.knn.neighbors(r.space, allRows(r.m.rows), r.rows[c], k+1)
	if err != nil {
		return nil, err
	}
	return dropFirst(nn, k+1), nil
}

// allRows returns 0..n-1.
func allRows(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// adasynPlan computes ADASYN's g_i for class c with target n.
func (r *synthRun) adasynPlan(c, n int) ([]int, error) {
	k := r.p.k
	if r.m.rows <= k {
		k = r.m.rows - 1
		r.warnf("%d rows in all, too few for %d neighbours in ADASYN's ratios: using %d", r.m.rows, r.p.k, k)
	}
	nn, err := r.allNeighbours(c, k)
	if err != nil {
		return nil, err
	}
	labels := make([]int32, len(nn))
	for i, p := range nn {
		labels[i] = r.y[p]
	}
	return adasynCounts(labels, int32(c), k, n)
}

func adasynClass(r *synthRun, c, n int, dst []float32) ([]float32, error) {
	g, err := r.adasynPlan(c, n)
	if err != nil {
		return dst, err
	}
	rows := r.rows[c]
	nn, k, err := r.classNeighbours(c)
	if err != nil {
		return dst, err
	}
	nbrs := make([]int, 0, k)
	for i, gi := range g {
		for range gi {
			if k == 0 {
				dst = append(dst, r.m.row(rows[0])...)
				continue
			}
			j := r.rng.IntN(k)
			step := r.rng.Float64()
			nbrs = rowsOf(rows, nn[i*k:(i+1)*k], nbrs)
			dst = r.emit(dst, rows[i], rows[nn[i*k+j]], step, nbrs)
		}
	}
	return dst, nil
}

// BorderlineSMOTE is Borderline-SMOTE (Han et al. 2005) as
// imbalanced-learn's BorderlineSMOTE: only rows "in danger" are used as
// bases, those with at least M/2 but fewer than M of their M nearest
// neighbours (among all rows) in other classes. Kind 1 interpolates
// towards the K nearest neighbours within the class; kind 2 generates a
// Beta(10, 10) fraction f of the rows that way (int(f*(n+1)) of them) and
// the rest towards the K nearest rows of the other classes with a step
// in [0, 0.5).
type BorderlineSMOTE struct {
	// Kind is 1 or 2 (borderline-1 or borderline-2); 0 means 1.
	Kind int
	// Strategy is the sampling strategy; the zero value is "auto".
	Strategy Strategy
	// K is the number of neighbours for interpolation (k_neighbors); 0
	// means 5.
	K int
	// M is the number of neighbours for the danger rule (m_neighbors); 0
	// means 10.
	M int
	// OneHotGroups are one-hot column groups (see SMOTE).
	OneHotGroups [][]int
	// Categorical is the handling of OneHotGroups (see SMOTE).
	Categorical string
	// KNN configures the neighbour search.
	KNN KNN
	// Warn, when not nil, receives warnings (a class with no row in
	// danger gets no synthetic rows, as in imbalanced-learn).
	Warn func(string)
}

// Resample implements the trainer's Balancer.
func (s *BorderlineSMOTE) Resample(x *tensor.Dense, y []int32, rng *rand.Rand) (*tensor.Dense, []int32, error) {
	kind := orDefault(s.Kind, 1)
	if kind != 1 && kind != 2 {
		return nil, nil, fmt.Errorf("balance: borderline-SMOTE kind %d, want 1 or 2", s.Kind)
	}
	mm := orDefault(s.M, 10)
	if mm < 1 {
		return nil, nil, fmt.Errorf("balance: borderline-SMOTE m = %d neighbours, want >= 1", s.M)
	}
	p := smoteParams{s.Strategy, orDefault(s.K, 5), s.OneHotGroups, s.Categorical, s.KNN, s.Warn}
	return overSample(x, y, rng, p, func(r *synthRun, c, n int, dst []float32) ([]float32, error) {
		return borderlineClass(r, c, n, dst, kind, mm)
	})
}

// dangerRows returns the positions within class c of its rows in
// danger: with nMaj of their m nearest neighbours over all rows in
// another class, m/2 <= nMaj < m.
func (r *synthRun) dangerRows(c, m int) ([]int, error) {
	if r.m.rows <= m {
		m = r.m.rows - 1
		r.warnf("%d rows in all, too few for %d neighbours in the danger rule: using %d", r.m.rows, m+1, m)
	}
	nn, err := r.allNeighbours(c, m)
	if err != nil {
		return nil, err
	}
	var danger []int
	for i := range r.rows[c] {
		nMaj := 0
		for _, p := range nn[i*m : (i+1)*m] {
			if r.y[p] != int32(c) {
				nMaj++
			}
		}
		if float64(nMaj) >= float64(m)/2 && nMaj < m {
			danger = append(danger, i)
		}
	}
	return danger, nil
}

func borderlineClass(r *synthRun, c, n int, dst []float32, kind, mm int) ([]float32, error) {
	danger, err := r.dangerRows(c, mm)
	if err != nil {
		return dst, err
	}
	if len(danger) == 0 {
		r.warnf("class %d: no row in danger, no rows generated (as imbalanced-learn)", c)
		return dst, nil
	}
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
	n1 := n
	if kind == 2 {
		f := distuv.Beta{Alpha: 10, Beta: 10, Src: r.rng}.Rand()
		n1 = min(n, int(f*float64(n+1)))
	}
	nbrs := make([]int, 0, k)
	for range n1 {
		s := r.rng.IntN(len(danger) * k)
		i, j := danger[s/k], s%k
		step := r.rng.Float64()
		nbrs = rowsOf(rows, nn[i*k:(i+1)*k], nbrs)
		dst = r.emit(dst, rows[i], rows[nn[i*k+j]], step, nbrs)
	}
	if n1 == n {
		return dst, nil
	}
	// Borderline-2's second part: towards the nearest rows of the other
	// classes, at most half way.
	var other []int
	for i, l := range r.y {
		if l != int32(c) {
			other = append(other, i)
		}
	}
	k2 := min(k, len(other))
	q := make([]int, len(danger))
	for t, i := range danger {
		q[t] = rows[i]
	}
	nn2, err := r.p.knn.neighbors(r.space, other, q, k2)
	if err != nil {
		return dst, err
	}
	for range n - n1 {
		s := r.rng.IntN(len(danger) * k2)
		t, j := s/k2, s%k2
		i := danger[t]
		step := 0.5 * r.rng.Float64()
		nbrs = rowsOf(rows, nn[i*k:(i+1)*k], nbrs)
		dst = r.emit(dst, rows[i], other[nn2[t*k2+j]], step, nbrs)
	}
	return dst, nil
}
