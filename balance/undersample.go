package balance

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"

	"gorgonia.org/tensor"
)

// RUS is random under-sampling (imbalanced-learn's RandomUnderSampler
// without replacement): each targeted class keeps a uniformly drawn
// subset of its rows of the target size. Kept rows stay in their
// original order (imbalanced-learn groups them by class).
type RUS struct {
	// Strategy is the sampling strategy; the zero value is "auto" (every
	// class but the minority is cut to the minority's count).
	Strategy Strategy
	// Warn, when not nil, receives warnings.
	Warn func(string)
}

// Keep returns the indices of the rows RUS keeps, ascending.
func (s *RUS) Keep(x *tensor.Dense, y []int32, rng *rand.Rand) ([]int, error) {
	_, counts, err := input(x, y)
	if err != nil {
		return nil, err
	}
	return s.keep(y, counts, rng)
}

func (s *RUS) keep(y []int32, counts []int, rng *rand.Rand) ([]int, error) {
	if rng == nil {
		return nil, errNilRand
	}
	targets, err := s.Strategy.Targets(counts, UnderSampling, s.Warn)
	if err != nil {
		return nil, err
	}
	rows := classRows(y, len(counts))
	var keep []int
	for c, n := range targets {
		if n < 0 {
			keep = append(keep, rows[c]...)
			continue
		}
		// A partial Fisher-Yates shuffle draws n rows without
		// replacement.
		r := slices.Clone(rows[c])
		for i := range n {
			j := i + rng.IntN(len(r)-i)
			r[i], r[j] = r[j], r[i]
		}
		keep = append(keep, r[:n]...)
	}
	slices.Sort(keep)
	return keep, nil
}

// Resample implements the trainer's Balancer.
func (s *RUS) Resample(x *tensor.Dense, y []int32, rng *rand.Rand) (*tensor.Dense, []int32, error) {
	m, counts, err := input(x, y)
	if err != nil {
		return nil, nil, err
	}
	keep, err := s.keep(y, counts, rng)
	if err != nil {
		return nil, nil, err
	}
	return keepOutput(m, y, keep)
}

func keepOutput(m matrix, y []int32, keep []int) (*tensor.Dense, []int32, error) {
	if len(keep) == 0 {
		return nil, nil, errors.New("balance: resampling removed every row")
	}
	xo, yo := output(m, y, keep, nil, nil)
	return xo, yo, nil
}

// ENN is edited nearest neighbours (imbalanced-learn's
// EditedNearestNeighbours): a row of a class the strategy targets is
// removed when its K nearest neighbours among all rows disagree with its
// class: any of them (KindSel "all", the default) or their most
// frequent class (KindSel "mode"; ties go to the lower class index, as
// scipy's mode). Kept rows stay in their original order
// (imbalanced-learn groups them by class).
type ENN struct {
	// Strategy names the classes that may lose rows; the zero value is
	// "auto" (every class but the minority).
	Strategy Strategy
	// K is the number of neighbours (n_neighbors); 0 means 3.
	K int
	// KindSel is "all" (the default when empty) or "mode".
	KindSel string
	// KNN configures the neighbour search.
	KNN KNN
	// Warn, when not nil, receives warnings.
	Warn func(string)
}

// Keep returns the indices of the rows ENN keeps, ascending.
func (s *ENN) Keep(x *tensor.Dense, y []int32) ([]int, error) {
	return keepRows(s, x, y)
}

func (s *ENN) keep(m matrix, y []int32, counts []int) ([]int, error) {
	k := orDefault(s.K, 3)
	if k < 1 {
		return nil, fmt.Errorf("balance: ENN k = %d neighbours, want >= 1", s.K)
	}
	sel := s.KindSel
	if sel == "" {
		sel = "all"
	}
	if sel != "all" && sel != "mode" {
		return nil, fmt.Errorf("balance: ENN kind_sel %q, want all or mode", s.KindSel)
	}
	targets, err := s.Strategy.Targets(counts, CleanSampling, s.Warn)
	if err != nil {
		return nil, err
	}
	if m.rows <= k {
		if s.Warn != nil {
			s.Warn(fmt.Sprintf("ENN: %d rows, too few for %d neighbours: using %d", m.rows, k, m.rows-1))
		}
		k = m.rows - 1
	}
	var query []int
	for i, c := range y {
		if targets[c] >= 0 {
			query = append(query, i)
		}
	}
	nn, err := s.KNN.neighbors(m, allRows(m.rows), query, k+1)
	if err != nil {
		return nil, err
	}
	nn = dropFirst(nn, k+1)
	remove := make([]bool, m.rows)
	votes := make([]int, len(counts))
	for qi, i := range query {
		c := y[i]
		nb := nn[qi*k : (qi+1)*k]
		switch sel {
		case "all":
			for _, p := range nb {
				if y[p] != c {
					remove[i] = true
					break
				}
			}
		case "mode":
			clear(votes)
			for _, p := range nb {
				votes[y[p]]++
			}
			best := 0
			for l, v := range votes {
				if v > votes[best] {
					best = l
				}
			}
			remove[i] = int32(best) != c
		}
	}
	var keep []int
	for i, r := range remove {
		if !r {
			keep = append(keep, i)
		}
	}
	return keep, nil
}

// Resample implements the trainer's Balancer.
func (s *ENN) Resample(x *tensor.Dense, y []int32, rng *rand.Rand) (*tensor.Dense, []int32, error) {
	return resampleClean(s, x, y)
}

// Tomek removes Tomek links (imbalanced-learn's TomekLinks): two rows of
// different classes that are each other's nearest neighbour. The row of
// the pair whose class the strategy targets is removed ("auto": every
// class but the minority; "all": both rows). The nearest neighbour of a
// row is the second of its two nearest rows, as imbalanced-learn takes
// it: the row itself, unless an identical row with a lower index comes
// first. Kept rows stay in their original order.
type Tomek struct {
	// Strategy names the classes that may lose rows; the zero value is
	// "auto".
	Strategy Strategy
	// KNN configures the neighbour search.
	KNN KNN
	// Warn, when not nil, receives warnings.
	Warn func(string)
}

// Keep returns the indices of the rows Tomek keeps, ascending.
func (s *Tomek) Keep(x *tensor.Dense, y []int32) ([]int, error) {
	return keepRows(s, x, y)
}

func (s *Tomek) keep(m matrix, y []int32, counts []int) ([]int, error) {
	targets, err := s.Strategy.Targets(counts, CleanSampling, s.Warn)
	if err != nil {
		return nil, err
	}
	all := allRows(m.rows)
	nn, err := s.KNN.neighbors(m, all, all, 2)
	if err != nil {
		return nil, err
	}
	nn = dropFirst(nn, 2)
	var keep []int
	for i, c := range y {
		j := nn[i]
		if targets[c] >= 0 && y[j] != c && int(nn[j]) == i {
			continue
		}
		keep = append(keep, i)
	}
	return keep, nil
}

// Resample implements the trainer's Balancer.
func (s *Tomek) Resample(x *tensor.Dense, y []int32, rng *rand.Rand) (*tensor.Dense, []int32, error) {
	return resampleClean(s, x, y)
}

// SMOTEENN over-samples with SMOTE, then cleans the result with ENN, as
// imbalanced-learn's SMOTEENN (whose ENN uses the strategy "all").
type SMOTEENN struct {
	// SMOTE is the over-sampling step.
	SMOTE SMOTE
	// ENN is the cleaning step; its zero Strategy is "auto", so set it to
	// All for imbalanced-learn's default (New does).
	ENN ENN
}

// Resample implements the trainer's Balancer.
func (s *SMOTEENN) Resample(x *tensor.Dense, y []int32, rng *rand.Rand) (*tensor.Dense, []int32, error) {
	xs, ys, err := s.SMOTE.Resample(x, y, rng)
	if err != nil {
		return nil, nil, err
	}
	return s.ENN.Resample(xs, ys, rng)
}

// SMOTETomek over-samples with SMOTE, then removes Tomek links, as
// imbalanced-learn's SMOTETomek (whose Tomek step uses the strategy
// "all").
type SMOTETomek struct {
	// SMOTE is the over-sampling step.
	SMOTE SMOTE
	// Tomek is the cleaning step; set its Strategy to All for
	// imbalanced-learn's default (New does).
	Tomek Tomek
}

// Resample implements the trainer's Balancer.
func (s *SMOTETomek) Resample(x *tensor.Dense, y []int32, rng *rand.Rand) (*tensor.Dense, []int32, error) {
	xs, ys, err := s.SMOTE.Resample(x, y, rng)
	if err != nil {
		return nil, nil, err
	}
	return s.Tomek.Resample(xs, ys, rng)
}

// cleaner is a rule that keeps some rows of a class-labelled matrix (ENN,
// Tomek links).
type cleaner interface {
	keep(m matrix, y []int32, counts []int) ([]int, error)
}

// keepRows validates the input and returns the rows c keeps.
func keepRows(c cleaner, x *tensor.Dense, y []int32) ([]int, error) {
	m, counts, err := input(x, y)
	if err != nil {
		return nil, err
	}
	return c.keep(m, y, counts)
}

// resampleClean returns the rows c keeps, as a new matrix and labels.
func resampleClean(c cleaner, x *tensor.Dense, y []int32) (*tensor.Dense, []int32, error) {
	m, counts, err := input(x, y)
	if err != nil {
		return nil, nil, err
	}
	keep, err := c.keep(m, y, counts)
	if err != nil {
		return nil, nil, err
	}
	return keepOutput(m, y, keep)
}
