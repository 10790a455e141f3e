package balance

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gorgonia.org/tensor"
)

// Categorical handling of one-hot groups by the SMOTE family.
const (
	// CatNC is SMOTE-NC's handling (the default when one-hot groups are
	// given): distances see a differing category as a difference of
	// median_std/2 in each of the two columns involved, continuous
	// columns are interpolated, and each group of a synthetic row is set
	// to the category most frequent among the base row's k nearest
	// neighbours (ties broken at random).
	CatNC = "nc"
	// CatSnap interpolates every column, one-hot columns included, with
	// plain Euclidean distances, then sets each group of a synthetic row
	// to a one at its largest entry (the first one on a tie) and zeros
	// elsewhere.
	CatSnap = "snap"
	// CatNone interpolates every column, one-hot columns included, and
	// leaves the blocks fractional: synthetic rows are then not valid
	// one-hot rows. Only on request.
	CatNone = "none"
)

// ValidOneHot checks that every row of x (rows x columns, float32) has,
// in each one-hot group (column indices, as features.Encoder.OneHotGroups
// returns), only zeros and ones and at most one one. A row with no one in
// a group encodes a value unseen in training, as the encoder does. The
// error names the first bad row, group and column.
func ValidOneHot(x *tensor.Dense, groups [][]int) error {
	if x == nil {
		return errors.New("balance: x is nil")
	}
	sh := x.Shape()
	if len(sh) != 2 || x.Dtype() != tensor.Float32 {
		return fmt.Errorf("balance: x has shape %v and type %v, want float32 (rows, columns)", sh, x.Dtype())
	}
	data, ok := x.Data().([]float32)
	if !ok || len(data) != sh[0]*sh[1] {
		return fmt.Errorf("balance: x holds %d values for shape %v", len(data), sh)
	}
	if err := checkGroups(groups, sh[1]); err != nil {
		return err
	}
	return validOneHot(matrix{x: data, rows: sh[0], cols: sh[1]}, groups, 0)
}

// validOneHot checks rows from..rows-1 of m.
func validOneHot(m matrix, groups [][]int, from int) error {
	for i := from; i < m.rows; i++ {
		row := m.row(i)
		for g, cols := range groups {
			ones := 0
			for _, j := range cols {
				switch row[j] {
				case 0:
				case 1:
					ones++
					if ones > 1 {
						return fmt.Errorf("balance: row %d: one-hot group %d has a second one at column %d", i, g, j)
					}
				default:
					return fmt.Errorf("balance: row %d: one-hot group %d column %d is %v, not 0 or 1", i, g, j, row[j])
				}
			}
		}
	}
	return nil
}

// checkGroups validates one-hot groups against a column count: every
// group non-empty, every column in range and in at most one group.
func checkGroups(groups [][]int, cols int) error {
	seen := make(map[int]int)
	for g, cs := range groups {
		if len(cs) == 0 {
			return fmt.Errorf("balance: one-hot group %d is empty", g)
		}
		for _, j := range cs {
			if j < 0 || j >= cols {
				return fmt.Errorf("balance: one-hot group %d: column %d is outside [0, %d)", g, j, cols)
			}
			if h, ok := seen[j]; ok {
				return fmt.Errorf("balance: column %d is in one-hot groups %d and %d", j, h, g)
			}
			seen[j] = g
		}
	}
	return nil
}

// catSpec is the validated categorical handling of a SMOTE-family run.
type catSpec struct {
	mode   string  // CatNC, CatSnap or CatNone
	groups [][]int // one-hot groups
	isCat  []bool  // per column: in a group
	// medianStd is SMOTE-NC's median over continuous columns of their
	// standard deviation in the minority class.
	medianStd float64
}

// newCatSpec validates the categorical options for a matrix.
func newCatSpec(mode string, groups [][]int, m matrix, y []int32, counts []int) (*catSpec, error) {
	if len(groups) == 0 {
		switch mode {
		case "", CatNone:
			return &catSpec{mode: CatNone}, nil
		case CatNC, CatSnap:
			return nil, fmt.Errorf("balance: categorical handling %q needs one-hot groups", mode)
		}
		return nil, fmt.Errorf("balance: unknown categorical handling %q (want nc, snap or none)", mode)
	}
	if mode == "" {
		mode = CatNC
	}
	if mode != CatNC && mode != CatSnap && mode != CatNone {
		return nil, fmt.Errorf("balance: unknown categorical handling %q (want nc, snap or none)", mode)
	}
	if err := checkGroups(groups, m.cols); err != nil {
		return nil, err
	}
	cs := &catSpec{mode: mode, groups: groups, isCat: make([]bool, m.cols)}
	for _, g := range groups {
		for _, j := range g {
			cs.isCat[j] = true
		}
	}
	if mode == CatNC {
		var cont []int
		for j, c := range cs.isCat {
			if !c {
				cont = append(cont, j)
			}
		}
		if len(cont) == 0 {
			return nil, errors.New("balance: SMOTE-NC needs at least one continuous column; every column is in a one-hot group (use categorical handling snap)")
		}
		_, minority := majorityMinority(counts)
		cs.medianStd = medianStd(m, y, int32(minority), cont)
	}
	return cs, nil
}

// medianStd returns the median over columns cont of the population
// standard deviation of the rows of class c (imbalanced-learn's
// SMOTENC.median_std_).
func medianStd(m matrix, y []int32, c int32, cont []int) float64 {
	stds := make([]float64, len(cont))
	n := 0
	for i, l := range y {
		if l != c {
			continue
		}
		n++
		row := m.row(i)
		for t, j := range cont {
			stds[t] += float64(row[j])
		}
	}
	means := make([]float64, len(cont))
	for t := range means {
		means[t] = stds[t] / float64(n)
		stds[t] = 0
	}
	for i, l := range y {
		if l != c {
			continue
		}
		row := m.row(i)
		for t, j := range cont {
			d := float64(row[j]) - means[t]
			stds[t] += d * d
		}
	}
	for t := range stds {
		stds[t] = math.Sqrt(stds[t] / float64(n))
	}
	slices.Sort(stds)
	h := len(stds) / 2
	if len(stds)%2 == 1 {
		return stds[h]
	}
	return (stds[h-1] + stds[h]) / 2
}

// space returns the matrix distances are measured in: m itself, or for
// SMOTE-NC a copy whose one-hot columns are scaled by median_std/2 (a
// differing category then adds 2*(median_std/2)^2 to a squared distance,
// as in imbalanced-learn; with median_std 0 categories are ignored).
func (cs *catSpec) space(m matrix) matrix {
	if cs.mode != CatNC {
		return m
	}
	s := float32(cs.medianStd / 2)
	x := slices.Clone(m.x)
	for i := range m.rows {
		row := x[i*m.cols : (i+1)*m.cols]
		for _, g := range cs.groups {
			for _, j := range g {
				row[j] *= s
			}
		}
	}
	return matrix{x: x, rows: m.rows, cols: m.cols}
}

// interpolate writes base + step*(nb - base) into dst, computed as
// imbalanced-learn does on float32 data: the difference in float32, the
// step and the sum in float64, rounded to float32. Group columns are then
// fixed according to the mode: nbrs are the rows whose most frequent
// category SMOTE-NC takes; sums is scratch of maxGroup() values.
func (cs *catSpec) interpolate(dst, base, nb []float32, step float64, m matrix, nbrs []int, rng randIntN, sums []float64) {
	for j, b := range base {
		diff := nb[j] - b
		dst[j] = float32(float64(b) + float64(step*float64(diff)))
	}
	switch cs.mode {
	case CatSnap:
		for _, g := range cs.groups {
			at, best := -1, float32(0)
			for _, j := range g {
				if dst[j] > best {
					at, best = j, dst[j]
				}
			}
			for _, j := range g {
				dst[j] = 0
			}
			if at >= 0 {
				dst[at] = 1
			}
		}
	case CatNC:
		for _, g := range cs.groups {
			sums := sums[:len(g)]
			var best float64
			ties := 0
			for t, j := range g {
				var s float64
				for _, r := range nbrs {
					s += float64(m.x[r*m.cols+j])
				}
				sums[t] = s
				switch {
				case s > best:
					best, ties = s, 1
				case s == best && s > 0:
					ties++
				}
			}
			for _, j := range g {
				dst[j] = 0
			}
			if ties == 0 {
				continue // every neighbour has an empty block
			}
			pick := 0
			if ties > 1 {
				pick = rng.IntN(ties)
			}
			for t, j := range g {
				if sums[t] == best {
					if pick == 0 {
						dst[j] = 1
						break
					}
					pick--
				}
			}
		}
	}
}

// maxGroup returns the size of the largest group (the length of
// interpolate's scratch).
func (cs *catSpec) maxGroup() int {
	n := 0
	for _, g := range cs.groups {
		n = max(n, len(g))
	}
	return n
}

// randIntN is the part of *rand.Rand that interpolate needs.
type randIntN interface{ IntN(n int) int }
