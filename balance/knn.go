package balance

import (
	"cmp"
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/cnids/cnids/internal/gemm"
)

// Block sizes of the distance computation: queries and reference rows
// per GEMM call. A block of dot products (qBlock x rBlock float64, 512 KiB)
// stays in the L2 cache between the GEMM that writes it and the scan that
// reads it.
const (
	qBlock = 128
	rBlock = 512
)

// unitRound is half the unit roundoff of float64, 2^-53.
const unitRound = 0x1p-53

// KNN finds exact nearest neighbours by Euclidean distance, with the
// semantics of scikit-learn's brute-force NearestNeighbors.kneighbors
// (see the package documentation for the exactness argument and the tie
// rule). The zero value is ready to use.
type KNN struct {
	// Workers is the number of goroutines; 0 means runtime.GOMAXPROCS(0).
	Workers int
}

// Neighbors returns, for each query row, the k nearest rows among the
// reference rows: positions into ref, k per query, nearest first, ties
// in distance going to the lower position. x is a row-major matrix of
// cols columns; ref and query are row indices into x, ref ascending
// (positions in ref are then in row order, as the indices of a matrix
// built from those rows). A query row that is also a reference row is
// its own neighbour at distance 0, as in scikit-learn when the query
// matrix is passed explicitly; callers that want imbalanced-learn's
// self-exclusion ask for k+1 and drop the first column.
func (kn KNN) Neighbors(x []float32, cols int, ref, query []int, k int) ([]int32, error) {
	if cols <= 0 {
		return nil, fmt.Errorf("balance: knn: %d columns", cols)
	}
	if len(x)%cols != 0 {
		return nil, fmt.Errorf("balance: knn: %d values do not make rows of %d columns", len(x), cols)
	}
	m := matrix{x: x, rows: len(x) / cols, cols: cols}
	for i, r := range ref {
		if r < 0 || r >= m.rows {
			return nil, fmt.Errorf("balance: knn: reference %d is row %d, outside [0, %d)", i, r, m.rows)
		}
		if i > 0 && r <= ref[i-1] {
			return nil, fmt.Errorf("balance: knn: reference rows are not strictly ascending at position %d", i)
		}
	}
	for i, q := range query {
		if q < 0 || q >= m.rows {
			return nil, fmt.Errorf("balance: knn: query %d is row %d, outside [0, %d)", i, q, m.rows)
		}
	}
	if err := checkFinite(m); err != nil {
		return nil, err
	}
	return kn.neighbors(m, ref, query, k)
}

// knnPlan is the search structure over one reference set.
type knnPlan struct {
	m      matrix
	k      int
	cont   []int     // continuous columns
	binW   []float64 // weight (hi-lo)^2 of each binary column, in column order
	binCol []int     // binary columns
	binHi  []float32 // the larger value of each binary column
	words  int       // uint64 words per signature

	// Reference rows in bucket order.
	bucketSig   [][]uint64
	bucketStart []int     // bucket b is [bucketStart[b], bucketStart[b+1])
	refPos      []int32   // position in ref of each row in bucket order
	refCont     []float64 // continuous values, row-major, bucket order
	refNorm     []float64 // squared norm of the continuous part
	refAbs      []float64 // its square root

	// Query groups: queries sharing a signature.
	groups []qGroup
}

type qGroup struct {
	queries []int        // indices into the query list
	order   []bucketDist // reference buckets by binary distance
}

type bucketDist struct {
	b    int32
	dist float64
}

func (kn KNN) workers() int {
	if kn.Workers > 0 {
		return kn.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// neighbors is Neighbors on a validated matrix.
func (kn KNN) neighbors(m matrix, ref, query []int, k int) ([]int32, error) {
	if k <= 0 {
		return nil, fmt.Errorf("balance: knn: k = %d, want >= 1", k)
	}
	if k > len(ref) {
		return nil, fmt.Errorf("balance: knn: %d neighbours asked among %d rows", k, len(ref))
	}
	out := make([]int32, len(query)*k)
	if len(query) == 0 {
		return out, nil
	}
	p := newPlan(m, ref, query, k)
	// Work units: chunks of at most qBlock queries of one group.
	type unit struct{ g, lo, hi int }
	var units []unit
	for g, gr := range p.groups {
		for lo := 0; lo < len(gr.queries); lo += qBlock {
			units = append(units, unit{g, lo, min(lo+qBlock, len(gr.queries))})
		}
	}
	// Big groups first, so that the last units to finish are small.
	slices.SortStableFunc(units, func(a, b unit) int {
		return cmp.Compare(len(p.groups[b.g].queries), len(p.groups[a.g].queries))
	})
	w := min(kn.workers(), len(units))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := p.newScratch()
			for {
				u := int(next.Add(1)) - 1
				if u >= len(units) {
					return
				}
				un := units[u]
				p.search(s, p.groups[un.g].queries[un.lo:un.hi], p.groups[un.g].order, query, out)
			}
		}()
	}
	wg.Wait()
	return out, nil
}

// newPlan classifies columns, buckets the reference rows by the
// signature of their two-valued columns and orders, for each query
// signature, the buckets by their binary distance.
func newPlan(m matrix, ref, query []int, k int) *knnPlan {
	d := m.cols
	// Column classes over the rows involved: constant (contributes 0),
	// two-valued ("binary") or continuous.
	v0 := make([]float32, d)
	v1 := make([]float32, d)
	nv := make([]uint8, d)
	scan := func(rows []int) {
		for _, r := range rows {
			row := m.row(r)
			for j, v := range row {
				switch nv[j] {
				case 0:
					v0[j], nv[j] = v, 1
				case 1:
					if v != v0[j] {
						v1[j], nv[j] = v, 2
					}
				case 2:
					if v != v0[j] && v != v1[j] {
						nv[j] = 3
					}
				}
			}
		}
	}
	scan(ref)
	scan(query)
	p := &knnPlan{m: m, k: k}
	for j := range d {
		switch nv[j] {
		case 2:
			lo, hi := min(v0[j], v1[j]), max(v0[j], v1[j])
			dd := float64(hi) - float64(lo)
			p.binCol = append(p.binCol, j)
			p.binHi = append(p.binHi, hi)
			p.binW = append(p.binW, float64(dd*dd))
		case 3:
			p.cont = append(p.cont, j)
		}
	}
	p.words = (len(p.binCol) + 63) / 64
	sigOf := func(r int, dst []uint64) {
		clear(dst)
		row := m.row(r)
		for b, j := range p.binCol {
			if row[j] == p.binHi[b] {
				dst[b>>6] |= 1 << (b & 63)
			}
		}
	}
	key := func(s []uint64) string {
		buf := make([]byte, 0, 8*len(s))
		for _, w := range s {
			for i := range 8 {
				buf = append(buf, byte(w>>(8*i)))
			}
		}
		return string(buf)
	}
	// Reference buckets.
	ids := map[string]int32{}
	sig := make([]uint64, p.words)
	refBucket := make([]int32, len(ref))
	var sizes []int
	for i, r := range ref {
		sigOf(r, sig)
		kk := key(sig)
		b, ok := ids[kk]
		if !ok {
			b = int32(len(p.bucketSig))
			ids[kk] = b
			p.bucketSig = append(p.bucketSig, slices.Clone(sig))
			sizes = append(sizes, 0)
		}
		refBucket[i] = b
		sizes[b]++
	}
	nb := len(p.bucketSig)
	p.bucketStart = make([]int, nb+1)
	for b := range nb {
		p.bucketStart[b+1] = p.bucketStart[b] + sizes[b]
	}
	fill := slices.Clone(p.bucketStart[:nb])
	mc := len(p.cont)
	p.refPos = make([]int32, len(ref))
	p.refCont = make([]float64, len(ref)*mc)
	p.refNorm = make([]float64, len(ref))
	p.refAbs = make([]float64, len(ref))
	for i, r := range ref {
		at := fill[refBucket[i]]
		fill[refBucket[i]]++
		p.refPos[at] = int32(i)
		row := m.row(r)
		dst := p.refCont[at*mc : (at+1)*mc]
		var n float64
		for c, j := range p.cont {
			v := float64(row[j])
			dst[c] = v
			n += float64(v * v)
		}
		p.refNorm[at] = n
		p.refAbs[at] = math.Sqrt(n)
	}
	// Query groups by signature, each with its bucket order.
	qids := map[string]int{}
	for qi, r := range query {
		sigOf(r, sig)
		kk := key(sig)
		g, ok := qids[kk]
		if !ok {
			g = len(p.groups)
			qids[kk] = g
			p.groups = append(p.groups, qGroup{order: p.bucketOrder(sig)})
		}
		p.groups[g].queries = append(p.groups[g].queries, qi)
	}
	return p
}

// bucketOrder returns the reference buckets ordered by their binary
// distance from signature s: the sum, in column order, of (hi-lo)^2 over
// the two-valued columns where the signatures differ. It is exactly the
// binary part of every distance between a row of signature s and a row
// of the bucket.
func (p *knnPlan) bucketOrder(s []uint64) []bucketDist {
	out := make([]bucketDist, len(p.bucketSig))
	for b, bs := range p.bucketSig {
		var d float64
		for w := range p.words {
			x := s[w] ^ bs[w]
			for x != 0 {
				t := bits.TrailingZeros64(x)
				x &= x - 1
				d += p.binW[w*64+t]
			}
		}
		out[b] = bucketDist{int32(b), d}
	}
	slices.SortStableFunc(out, func(a, b bucketDist) int { return cmp.Compare(a.dist, b.dist) })
	return out
}

// scratch is one worker's buffers.
type scratch struct {
	qc     []float64 // active queries' continuous rows
	qn, qa []float64 // their squared norms and norms
	dots   []float64
	act    []int // active query slots
	best   []float64
	bpos   []int32
	cnt    []int
}

func (p *knnPlan) newScratch() *scratch {
	mc := len(p.cont)
	return &scratch{
		qc:   make([]float64, qBlock*mc),
		qn:   make([]float64, qBlock),
		qa:   make([]float64, qBlock),
		dots: make([]float64, qBlock*rBlock),
		act:  make([]int, 0, qBlock),
		best: make([]float64, qBlock*p.k),
		bpos: make([]int32, qBlock*p.k),
		cnt:  make([]int, qBlock),
	}
}

// search finds the neighbours of the queries qs (indices into query, at
// most qBlock of them, all of one signature) by visiting the buckets in
// order of binary distance, and writes them into out.
func (p *knnPlan) search(s *scratch, qs []int, order []bucketDist, query []int, out []int32) {
	k, mc := p.k, len(p.cont)
	// eps bounds |approx - exact| relative to (|q|+|r|)^2; see the
	// package documentation.
	eps := 4 * float64(mc+4) * unitRound
	for i := range qs {
		s.cnt[i] = 0
	}
	act := s.act[:0]
	for i := range qs {
		act = append(act, i)
	}
	gathered := -1 // number of active queries whose rows are in s.qc
	for _, bd := range order {
		// Drop queries that cannot improve: a full list whose k-th
		// distance is below the bucket's binary distance.
		keep := act[:0]
		for _, i := range act {
			if s.cnt[i] < k || s.best[i*k+k-1] >= bd.dist {
				keep = append(keep, i)
			}
		}
		if len(keep) != len(act) {
			gathered = -1
		}
		act = keep
		if len(act) == 0 {
			break
		}
		if gathered != len(act) {
			for a, i := range act {
				row := p.m.row(query[qs[i]])
				dst := s.qc[a*mc : (a+1)*mc]
				var n float64
				for c, j := range p.cont {
					v := float64(row[j])
					dst[c] = v
					n += float64(v * v)
				}
				s.qn[a] = n
				s.qa[a] = math.Sqrt(n)
			}
			gathered = len(act)
		}
		na := len(act)
		for lo := p.bucketStart[bd.b]; lo < p.bucketStart[bd.b+1]; lo += rBlock {
			hi := min(lo+rBlock, p.bucketStart[bd.b+1])
			nr := hi - lo
			dots := s.dots[:na*nr]
			if mc > 0 {
				gemm.Dgemm(false, true, na, nr, mc, 1, s.qc[:na*mc], mc, p.refCont[lo*mc:hi*mc], mc, 0, dots, nr)
			} else {
				clear(dots)
			}
			rn := p.refNorm[lo:hi]
			var maxAbs float64
			for _, v := range p.refAbs[lo:hi] {
				maxAbs = max(maxAbs, v)
			}
			for a, i := range act {
				best := s.best[i*k : (i+1)*k]
				bpos := s.bpos[i*k : (i+1)*k]
				qn := s.qn[a]
				e := eps * (s.qa[a] + maxAbs) * (s.qa[a] + maxAbs)
				lim := p.limit(s.cnt[i], best, bd.dist, e)
				drow := dots[a*nr : (a+1)*nr]
				qc := s.qc[a*mc : (a+1)*mc]
				for j, g := range drow {
					if qn+rn[j]-2*g > lim {
						continue
					}
					rc := p.refCont[(lo+j)*mc : (lo+j+1)*mc]
					var c float64
					for t, v := range qc {
						dd := v - rc[t]
						c += float64(dd * dd)
					}
					dist := bd.dist + c
					pos := p.refPos[lo+j]
					if insert(best, bpos, &s.cnt[i], dist, pos) {
						lim = p.limit(s.cnt[i], best, bd.dist, e)
					}
				}
			}
		}
	}
	for i, qi := range qs {
		copy(out[qi*k:(qi+1)*k], s.bpos[i*k:(i+1)*k])
	}
}

// limit returns the largest approximate continuous distance that can
// still enter a query's list: +Inf while the list is not full; else the
// k-th distance tau minus the bucket's binary distance b, widened by the
// error bound e of the approximation and by slack for the roundings of
// tau - b and of b + c (see the package documentation).
func (p *knnPlan) limit(cnt int, best []float64, b, e float64) float64 {
	if cnt < len(best) {
		return math.Inf(1)
	}
	tau := best[len(best)-1]
	thr := (tau - b) + 4*unitRound*(tau+b)
	l := thr + e
	return l + 4*unitRound*math.Abs(l)
}

// insert adds (dist, pos) to a list sorted by (distance, position) of at
// most len(best) entries, cnt of them filled, if it belongs there. It
// reports whether the list changed.
func insert(best []float64, bpos []int32, cnt *int, dist float64, pos int32) bool {
	k := len(best)
	n := *cnt
	if n == k {
		if dist > best[k-1] || (dist == best[k-1] && pos > bpos[k-1]) {
			return false
		}
		n--
	} else {
		*cnt = n + 1
	}
	// n entries stay; shift the larger ones right.
	i := n
	for i > 0 && (best[i-1] > dist || (best[i-1] == dist && bpos[i-1] > pos)) {
		best[i] = best[i-1]
		bpos[i] = bpos[i-1]
		i--
	}
	best[i] = dist
	bpos[i] = pos
	return true
}

// exactDist is the canonical squared distance between rows a and b of
// m that the search ranks by, computed directly (for tests and checks):
// the binary part summed in column order over the columns where the
// rows differ, plus the continuous part summed in column order, with the
// column classes of plan p.
func (p *knnPlan) exactDist(a, b int) float64 {
	ra, rb := p.m.row(a), p.m.row(b)
	var bin float64
	for t, j := range p.binCol {
		if (ra[j] == p.binHi[t]) != (rb[j] == p.binHi[t]) {
			bin += p.binW[t]
		}
	}
	var c float64
	for _, j := range p.cont {
		dd := float64(ra[j]) - float64(rb[j])
		c += float64(dd * dd)
	}
	return bin + c
}
