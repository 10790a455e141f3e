package features

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/mathext"
	"gonum.org/v1/gonum/stat"
)

// The mutual-information estimator below follows scikit-learn 1.2's
// sklearn.feature_selection.mutual_info_classif (_mutual_info.py) step by
// step (see the package documentation for why it is written by hand).
// The k nearest neighbours of a point within its class are contiguous in
// the class's sorted order, and the number of points within a radius is
// found by binary search on the whole sorted column.
//
// Two deliberate differences from scikit-learn's numerics: distances are
// exact differences of the (noised) values, where scikit-learn's
// brute-force search, which it picks for classes with fewer than
// 2*n_neighbors+2 members, computes them as sqrt(x²-2xy+y²) and may count
// a neighbour at the boundary; and gonum's Digamma, accurate to about
// 5e-11 at small integers, stands in for scipy's. Estimates on tie-free
// columns with classes of 8 or more agree with scikit-learn to about
// 1e-10 (testdata/mi_small.json).

// SelectConfig asks the encoder to keep only the encoded columns with the
// highest mutual information with the class, as scikit-learn's
// SelectPercentile(mutual_info_classif, percentile) does.
type SelectConfig struct {
	// Percentile is the percentage of encoded columns to keep, in (0, 100].
	// 100 keeps every column.
	Percentile float64 `json:"percentile"`
	// Neighbors is the k of the k-nearest-neighbour estimator for
	// continuous columns; 0 means scikit-learn's default, 3.
	Neighbors int `json:"neighbors"`
	// Seed seeds the estimator's noise when Fit is given no random source,
	// so that a selection can be repeated from the saved configuration.
	Seed uint64 `json:"seed"`
}

// defaultNeighbors is scikit-learn's default n_neighbors.
const defaultNeighbors = 3

// MutualInfoClassif estimates the mutual information (in nats) between
// each column of X and the class labels y, with the semantics of
// scikit-learn's mutual_info_classif(X, y, discrete_features=discrete,
// n_neighbors=nNeighbors).
//
// X is column-major: X[j] holds column j, one value per row, and every
// column must be as long as y and hold only finite values. discrete[j]
// marks column j as discrete (nil means that every column is continuous,
// scikit-learn's "auto" for dense input). A discrete column's score is the
// mutual information of its contingency table with y (natural log). A
// continuous column is divided by its standard deviation (ddof 0; a
// deviation below 10 machine epsilons counts as 1), receives noise
// 1e-10 * max(1, mean|x|) * N(0, 1) drawn from rng, and is scored with
// Ross's (2014) k-nearest-neighbour estimator, clipped at 0. Points whose
// class has a single member are left out of that estimate, as in
// scikit-learn; a column left with no point scores 0.
//
// rng is needed only when some column is continuous. The noise of each
// continuous column comes from its own generator, seeded from rng in
// column order, so the result does not depend on how many goroutines
// compute it (it uses up to GOMAXPROCS).
func MutualInfoClassif(X [][]float64, y []int32, discrete []bool, nNeighbors int, rng *rand.Rand) ([]float64, error) {
	if discrete != nil && len(discrete) != len(X) {
		return nil, fmt.Errorf("features: mutual information: %d discrete flags for %d columns", len(discrete), len(X))
	}
	for j, col := range X {
		if len(col) != len(y) {
			return nil, fmt.Errorf("features: mutual information: column %d has %d values for %d labels", j, len(col), len(y))
		}
		for i, v := range col {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("features: mutual information: column %d, row %d: value %v is not finite", j, i, v)
			}
		}
	}
	isDiscrete := func(j int) bool { return discrete != nil && discrete[j] }
	fill := func(j int, dst []float64) { copy(dst, X[j]) }
	return mutualInfo(len(X), len(y), fill, isDiscrete, y, nNeighbors, rng)
}

// mutualInfo computes the scores of ncol columns of n rows; fill writes
// column j into dst (len n). It is shared by MutualInfoClassif and the
// encoder, which produces its encoded columns one at a time.
func mutualInfo(ncol, n int, fill func(j int, dst []float64), isDiscrete func(j int) bool, y []int32, nNeighbors int, rng *rand.Rand) ([]float64, error) {
	if nNeighbors < 1 {
		return nil, fmt.Errorf("features: mutual information: n_neighbors is %d, want at least 1", nNeighbors)
	}
	if n == 0 {
		return nil, errors.New("features: mutual information: no rows")
	}
	cls, nClass := denseLabels(y)
	// Seeds for each continuous column's noise, drawn in column order.
	seeds := make([][2]uint64, ncol)
	anyContinuous := false
	for j := range ncol {
		if !isDiscrete(j) {
			if rng == nil {
				return nil, errors.New("features: mutual information: continuous columns need a random source for the estimator's noise")
			}
			seeds[j] = [2]uint64{rng.Uint64(), rng.Uint64()}
			anyContinuous = true
		}
	}
	var psi []float64
	if anyContinuous {
		psi = make([]float64, n+1)
		psi[0] = math.Inf(-1)
		for i := 1; i <= n; i++ {
			psi[i] = mathext.Digamma(float64(i))
		}
	}
	classCount := make([]int, nClass)
	for _, c := range cls {
		classCount[c]++
	}

	scores := make([]float64, ncol)
	workers := min(runtime.GOMAXPROCS(0), ncol)
	var next atomic.Int64 // the next column to score
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &miWorker{col: make([]float64, n), cls: cls, nClass: nClass, classCount: classCount, psi: psi}
			for {
				mine := int(next.Add(1) - 1)
				if mine >= ncol {
					return
				}
				fill(mine, w.col)
				if isDiscrete(mine) {
					scores[mine] = w.discrete()
				} else {
					src := rand.New(rand.NewPCG(seeds[mine][0], seeds[mine][1]))
					scores[mine] = w.continuous(nNeighbors, src)
				}
			}
		}()
	}
	wg.Wait()
	return scores, nil
}

// denseLabels maps labels to 0..K-1 in ascending label order.
func denseLabels(y []int32) ([]int32, int) {
	u := slices.Clone(y)
	slices.Sort(u)
	u = slices.Compact(u)
	out := make([]int32, len(y))
	for i, v := range y {
		k, _ := slices.BinarySearch(u, v)
		out[i] = int32(k)
	}
	return out, len(u)
}

// miWorker holds one goroutine's scratch space.
type miWorker struct {
	col        []float64
	cls        []int32
	nClass     int
	classCount []int
	psi        []float64

	pts    []miPoint
	radius []float64
	sorted []float64
	start  []int
	cell   []int
	codes  []int32
}

type miPoint struct {
	v float64
	c int32
}

// discrete returns the mutual information of the contingency table of
// w.col and the classes, as sklearn.metrics.mutual_info_score computes it.
func (w *miWorker) discrete() float64 {
	n := len(w.col)
	index := make(map[float64]int32)
	if cap(w.codes) < n {
		w.codes = make([]int32, n)
	}
	codes := w.codes[:n]
	for i, v := range w.col {
		c, ok := index[v]
		if !ok {
			c = int32(len(index))
			index[v] = c
		}
		codes[i] = c
	}
	nx, ny := len(index), w.nClass
	if nx == 1 || ny == 1 {
		return 0
	}
	pi := make([]int, nx)
	for _, c := range codes {
		pi[c]++
	}
	// Cells as a dense table when it is small, else a map.
	var cells map[int64]int
	if nx*ny <= 1<<22 {
		if cap(w.cell) < nx*ny {
			w.cell = make([]int, nx*ny)
		}
		w.cell = w.cell[:nx*ny]
		clear(w.cell)
		for i, c := range codes {
			w.cell[int(c)*ny+int(w.cls[i])]++
		}
	} else {
		cells = make(map[int64]int)
		for i, c := range codes {
			cells[int64(c)*int64(ny)+int64(w.cls[i])]++
		}
	}
	N := float64(n)
	logN := math.Log(N)
	eps := math.Nextafter(1, 2) - 1
	term := func(a, b, nij int) float64 {
		cnm := float64(nij) / N
		outer := float64(int64(pi[a]) * int64(w.classCount[b]))
		logOuter := -math.Log(outer) + logN + logN
		t := float64(cnm*(math.Log(float64(nij))-logN)) + float64(cnm*logOuter)
		if math.Abs(t) < eps {
			return 0
		}
		return t
	}
	var mi float64
	if cells == nil {
		for a := range nx {
			for b := range ny {
				if nij := w.cell[a*ny+b]; nij > 0 {
					mi += term(a, b, nij)
				}
			}
		}
	} else {
		keys := make([]int64, 0, len(cells))
		for k := range cells {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			mi += term(int(k/int64(ny)), int(k%int64(ny)), cells[k])
		}
	}
	return max(mi, 0)
}

// continuous returns Ross's estimate of the mutual information between
// w.col (scaled and noised here, in place) and the classes.
func (w *miWorker) continuous(k int, rng *rand.Rand) float64 {
	x := w.col
	n := len(x)
	_, std := stat.PopMeanStdDev(x, nil)
	if std < 10*(math.Nextafter(1, 2)-1) {
		std = 1
	}
	var meanAbs float64
	for i := range x {
		x[i] /= std
		meanAbs += math.Abs(x[i])
	}
	meanAbs /= float64(n)
	amp := 1e-10 * max(1, meanAbs)
	for i := range x {
		x[i] += float64(amp * rng.NormFloat64())
	}

	// Keep the points whose class has more than one member, sorted by value.
	pts := w.pts[:0]
	for i, v := range x {
		if w.classCount[w.cls[i]] > 1 {
			pts = append(pts, miPoint{v, w.cls[i]})
		}
	}
	w.pts = pts
	N := len(pts)
	if N == 0 {
		return 0
	}
	slices.SortFunc(pts, func(a, b miPoint) int {
		// Values are finite: no NaN ordering to care for.
		switch {
		case a.v < b.v:
			return -1
		case a.v > b.v:
			return 1
		}
		return 0
	})
	if cap(w.sorted) < N {
		w.sorted = make([]float64, N)
		w.radius = make([]float64, N)
	}
	sorted, radius := w.sorted[:N], w.radius[:N]
	for i, p := range pts {
		sorted[i] = p.v
	}

	// Group the sorted points by class (a stable counting sort keeps each
	// class in value order), remembering each one's global position.
	if cap(w.start) < w.nClass+1 {
		w.start = make([]int, w.nClass+1)
	}
	start := w.start[:w.nClass+1]
	clear(start)
	for _, p := range pts {
		start[p.c+1]++
	}
	for c := 1; c <= w.nClass; c++ {
		start[c] += start[c-1]
	}
	if cap(w.codes) < N {
		w.codes = make([]int32, N)
	}
	byClass := w.codes[:N] // global positions, grouped by class
	fillAt := slices.Clone(start[:w.nClass])
	for i, p := range pts {
		byClass[fillAt[p.c]] = int32(i)
		fillAt[p.c]++
	}

	var sumK, sumLabel, sumM float64
	for c := range w.nClass {
		members := byClass[start[c]:start[c+1]]
		m := len(members)
		if m < 2 {
			continue // only classes with one member, already dropped
		}
		kc := min(k, m-1)
		sumK += float64(m) * w.psi[kc]
		sumLabel += float64(m) * w.psi[m]
		for a, g := range members {
			// The kc nearest neighbours of member a are contiguous around
			// it: walk outwards, taking the nearer side each time.
			v := sorted[g]
			l, r := a-1, a+1
			var d float64
			for range kc {
				switch {
				case l < 0:
					d = sorted[members[r]] - v
					r++
				case r >= m:
					d = v - sorted[members[l]]
					l--
				default:
					dl, dr := v-sorted[members[l]], sorted[members[r]]-v
					if dl <= dr {
						d = dl
						l--
					} else {
						d = dr
						r++
					}
				}
			}
			radius[g] = math.Nextafter(d, 0)
		}
	}
	for g, v := range sorted {
		R := radius[g]
		// Leftmost index lo <= g with v - sorted[lo] <= R, and first index
		// hi > g with sorted[hi] - v > R; both predicates are monotone.
		lo, hi := 0, g
		for lo < hi {
			mid := int(uint(lo+hi) >> 1)
			if v-sorted[mid] <= R {
				hi = mid
			} else {
				lo = mid + 1
			}
		}
		left := lo
		lo, hi = g+1, N
		for lo < hi {
			mid := int(uint(lo+hi) >> 1)
			if sorted[mid]-v > R {
				hi = mid
			} else {
				lo = mid + 1
			}
		}
		sumM += w.psi[lo-left]
	}
	fN := float64(N)
	mi := w.psi[N] + sumK/fN - sumLabel/fN - sumM/fN
	return max(mi, 0)
}

// SelectPercentile returns which scores scikit-learn's
// SelectPercentile(percentile=percentile) keeps: those above
// numpy.percentile(scores, 100-percentile) (linear interpolation), then
// the scores equal to that threshold in index order until
// int(len(scores)*percentile/100) are kept (Python slice semantics
// included). NaN scores count as the most negative float64. percentile
// must be in [0, 100]; 100 keeps everything and 0 nothing.
func SelectPercentile(scores []float64, percentile float64) ([]bool, error) {
	if !(percentile >= 0 && percentile <= 100) {
		return nil, fmt.Errorf("features: select percentile: percentile %v is outside [0, 100]", percentile)
	}
	n := len(scores)
	mask := make([]bool, n)
	if percentile == 100 {
		for i := range mask {
			mask[i] = true
		}
		return mask, nil
	}
	if percentile == 0 || n == 0 {
		return mask, nil
	}
	clean := slices.Clone(scores)
	for i, s := range clean {
		if math.IsNaN(s) {
			clean[i] = -math.MaxFloat64
		}
	}
	threshold := npPercentile(clean, 100-percentile)
	kept := 0
	var ties []int
	for i, s := range clean {
		if s > threshold {
			mask[i] = true
			kept++
		}
		if s == threshold {
			ties = append(ties, i)
		}
	}
	if len(ties) > 0 {
		maxFeats := int(float64(n) * percentile / 100)
		end := maxFeats - kept // ties[:end], as Python slices it
		if end < 0 {
			end = max(end+len(ties), 0)
		}
		end = min(end, len(ties))
		for _, i := range ties[:end] {
			mask[i] = true
		}
	}
	return mask, nil
}

// npPercentile is numpy.percentile(a, q) with method "linear" (numpy
// 1.24's _quantile and _lerp, operation for operation), for a without NaN.
func npPercentile(a []float64, q float64) float64 {
	s := slices.Clone(a)
	slices.Sort(s)
	n := len(s)
	vi := float64(n-1) * (q / 100)
	prev := math.Floor(vi)
	pi, ni := int(prev), int(prev)+1
	switch {
	case vi >= float64(n-1):
		// numpy uses index -1 (the maximum) for both, and computes gamma
		// against that -1.
		pi, ni, prev = n-1, n-1, -1
	case vi < 0:
		pi, ni, prev = 0, 0, 0
	}
	t := vi - prev
	lo, hi := s[pi], s[ni]
	diff := hi - lo
	if t >= 0.5 {
		return hi - float64(diff*(1-t))
	}
	return lo + float64(diff*t)
}
