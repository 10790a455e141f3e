package train

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// classGroups holds the row indices of y grouped by class: the rows of the
// i-th smallest label are idx[start[i]:start[i+1]], in ascending order.
type classGroups struct {
	labels []int32
	start  []int
	idx    []int
}

// groupByClass groups the rows of y by label, labels in ascending order.
func groupByClass(y []int32) classGroups {
	counts := make(map[int32]int)
	for _, v := range y {
		counts[v]++
	}
	g := classGroups{labels: make([]int32, 0, len(counts))}
	for v := range counts {
		g.labels = append(g.labels, v)
	}
	slices.Sort(g.labels)
	g.start = make([]int, len(g.labels)+1)
	pos := make(map[int32]int, len(g.labels))
	for i, v := range g.labels {
		pos[v] = g.start[i]
		g.start[i+1] = g.start[i] + counts[v]
	}
	g.idx = make([]int, len(y))
	for i, v := range y {
		g.idx[pos[v]] = i
		pos[v]++
	}
	return g
}

// class returns the row indices of the i-th class.
func (g classGroups) class(i int) []int { return g.idx[g.start[i]:g.start[i+1]] }

// shuffle shuffles each class's rows independently, classes in label
// order, so the result depends only on y and the state of rng.
func (g classGroups) shuffle(rng *rand.Rand) {
	for i := range g.labels {
		rows := g.class(i)
		rng.Shuffle(len(rows), func(a, b int) { rows[a], rows[b] = rows[b], rows[a] })
	}
}

// StratifiedSplit splits the rows of y (class labels, any int32 values)
// into train and test index lists with each class represented in
// proportion. For each class with n_c rows, in ascending label order, the
// rows are shuffled with rng and the first round(testFrac·n_c) go to test
// (math.Round: halves away from zero), clamped so that a class with at
// least 2 rows keeps at least 1 row on each side; a class with a single row
// puts it in train (a class the model never saw cannot be learnt, and one
// test row says little). Both lists are sorted ascending. The result is a
// function of y, testFrac and the state of rng. testFrac must be in (0, 1).
func StratifiedSplit(y []int32, testFrac float64, rng *rand.Rand) (train, test []int, err error) {
	if !(testFrac > 0 && testFrac < 1) {
		return nil, nil, fmt.Errorf("train: stratified split: test fraction %v out of range (0, 1)", testFrac)
	}
	if rng == nil {
		return nil, nil, errors.New("train: stratified split: nil random source")
	}
	g := groupByClass(y)
	g.shuffle(rng)
	for i := range g.labels {
		rows := g.class(i)
		nc := len(rows)
		nt := int(math.Round(testFrac * float64(nc)))
		if nc >= 2 {
			nt = min(max(nt, 1), nc-1)
		} else {
			nt = 0
		}
		test = append(test, rows[:nt]...)
		train = append(train, rows[nt:]...)
	}
	slices.Sort(train)
	slices.Sort(test)
	return train, test, nil
}

// StratifiedKFold partitions the rows of y into k folds and returns the
// test indices of each fold, sorted ascending. Each class's rows are
// shuffled with rng and the classes, in ascending label order, are laid
// end to end and dealt to the folds in turn (row j of that sequence goes to
// fold j mod k). So every fold's count of each class differs from every
// other fold's by at most 1, and fold sizes differ by at most 1, as with
// scikit-learn's StratifiedKFold(shuffle=True) (the random streams differ).
// A class with fewer than k rows is allowed: some folds then hold none of
// it, and a model trained on the complement of such a fold still sees the
// class while one validated on it cannot score it. Callers that need every
// class in every fold should check the class counts against k first. k
// must be in [2, len(y)].
func StratifiedKFold(y []int32, k int, rng *rand.Rand) ([][]int, error) {
	if k < 2 {
		return nil, fmt.Errorf("train: stratified k-fold: k = %d, want at least 2", k)
	}
	if k > len(y) {
		return nil, fmt.Errorf("train: stratified k-fold: k = %d exceeds the %d rows", k, len(y))
	}
	if rng == nil {
		return nil, errors.New("train: stratified k-fold: nil random source")
	}
	g := groupByClass(y)
	g.shuffle(rng)
	folds := make([][]int, k)
	for f := range folds {
		folds[f] = make([]int, 0, len(y)/k+1)
	}
	for j, row := range g.idx {
		folds[j%k] = append(folds[j%k], row)
	}
	for _, f := range folds {
		slices.Sort(f)
	}
	return folds, nil
}

// TrainIndices returns the training rows of fold fold: the union of all
// other folds, sorted ascending.
func TrainIndices(fold int, folds [][]int) ([]int, error) {
	if fold < 0 || fold >= len(folds) {
		return nil, fmt.Errorf("train: train indices: fold %d out of range [0, %d)", fold, len(folds))
	}
	n := 0
	for f, rows := range folds {
		if f != fold {
			n += len(rows)
		}
	}
	out := make([]int, 0, n)
	for f, rows := range folds {
		if f != fold {
			out = append(out, rows...)
		}
	}
	slices.Sort(out)
	return out, nil
}

// RepeatedStratifiedKFold returns repeats independent StratifiedKFold
// partitions of y, drawn one after the other from rng: result[r][f] is the
// test indices of fold f in repetition r.
func RepeatedStratifiedKFold(y []int32, k, repeats int, rng *rand.Rand) ([][][]int, error) {
	if repeats < 1 {
		return nil, fmt.Errorf("train: repeated stratified k-fold: repeats = %d, want at least 1", repeats)
	}
	out := make([][][]int, repeats)
	for r := range out {
		folds, err := StratifiedKFold(y, k, rng)
		if err != nil {
			return nil, fmt.Errorf("train: repeated stratified k-fold: repetition %d: %w", r, err)
		}
		out[r] = folds
	}
	return out, nil
}
