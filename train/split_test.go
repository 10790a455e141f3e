package train

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// labelsWithCounts returns labels with the given per-class counts, rows
// shuffled.
func labelsWithCounts(counts map[int32]int, rng *rand.Rand) []int32 {
	var y []int32
	keys := make([]int32, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for range counts[k] {
			y = append(y, k)
		}
	}
	rng.Shuffle(len(y), func(i, j int) { y[i], y[j] = y[j], y[i] })
	return y
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

func countByClass(y []int32, idx []int) map[int32]int {
	m := map[int32]int{}
	for _, i := range idx {
		m[y[i]]++
	}
	return m
}

func TestStratifiedSplit(t *testing.T) {
	// Classes: 0 → 1000 rows, 1 → 250, 2 → 7, 3 → 2, 4 → 1, -5 → 3.
	counts := map[int32]int{0: 1000, 1: 250, 2: 7, 3: 2, 4: 1, -5: 3}
	y := labelsWithCounts(counts, newRand(1))
	train, test, err := StratifiedSplit(y, 0.2, newRand(2))
	if err != nil {
		t.Fatal(err)
	}
	// Expected test counts: round(0.2·n), clamped to [1, n−1] for n ≥ 2:
	//   1000 → 200, 250 → 50, 7 → round(1.4) = 1, 2 → round(0.4) = 0 → 1,
	//   1 → 0 (single row stays in train), 3 → round(0.6) = 1.
	want := map[int32]int{0: 200, 1: 50, 2: 1, 3: 1, -5: 1}
	got := countByClass(y, test)
	for c, n := range want {
		if got[c] != n {
			t.Errorf("class %d: %d test rows, want %d", c, got[c], n)
		}
	}
	if got[4] != 0 {
		t.Errorf("single-row class in test")
	}
	if !slices.IsSorted(train) || !slices.IsSorted(test) {
		t.Error("index lists not sorted")
	}
	checkPartition(t, len(y), [][]int{train, test})
	// Determinism and seed sensitivity.
	train2, test2, _ := StratifiedSplit(y, 0.2, newRand(2))
	if !slices.Equal(train, train2) || !slices.Equal(test, test2) {
		t.Error("same seed, different split")
	}
	_, test3, _ := StratifiedSplit(y, 0.2, newRand(3))
	if slices.Equal(test, test3) {
		t.Error("different seeds, same split")
	}
	// Rounding halves away from zero: 0.25·10 = 2.5 → 3.
	y10 := make([]int32, 10)
	_, test, _ = StratifiedSplit(y10, 0.25, newRand(4))
	if len(test) != 3 {
		t.Errorf("0.25 of 10 rows: %d test rows, want 3", len(test))
	}
	// A large fraction still leaves one training row per class.
	y3 := []int32{7, 7, 7}
	train, test, _ = StratifiedSplit(y3, 0.99, newRand(5))
	if len(train) != 1 || len(test) != 2 {
		t.Errorf("0.99 of 3 rows: train %v test %v", train, test)
	}
	// Errors.
	for _, f := range []float64{0, 1, -0.1, 1.5} {
		if _, _, err := StratifiedSplit(y, f, newRand(1)); err == nil || !strings.Contains(err.Error(), "test fraction") {
			t.Errorf("testFrac %v: err = %v", f, err)
		}
	}
	if _, _, err := StratifiedSplit(y, 0.2, nil); err == nil {
		t.Error("nil rng accepted")
	}
	// Empty input: two empty lists.
	train, test, err = StratifiedSplit(nil, 0.2, newRand(1))
	if err != nil || len(train) != 0 || len(test) != 0 {
		t.Errorf("empty: %v %v %v", train, test, err)
	}
}

// checkPartition checks that parts are disjoint and cover 0..n−1.
func checkPartition(t *testing.T, n int, parts [][]int) {
	t.Helper()
	seen := make([]int, n)
	for _, p := range parts {
		for _, i := range p {
			if i < 0 || i >= n {
				t.Fatalf("index %d out of range", i)
			}
			seen[i]++
		}
	}
	for i, s := range seen {
		if s != 1 {
			t.Fatalf("row %d appears %d times", i, s)
		}
	}
}

// checkFolds checks the stratification property: per class, the fold
// counts differ by at most 1; fold sizes differ by at most 1.
func checkFolds(t *testing.T, y []int32, folds [][]int) {
	t.Helper()
	checkPartition(t, len(y), folds)
	classes := map[int32]bool{}
	for _, v := range y {
		classes[v] = true
	}
	for c := range classes {
		lo, hi := len(y), 0
		for _, f := range folds {
			n := countByClass(y, f)[c]
			lo, hi = min(lo, n), max(hi, n)
		}
		if hi-lo > 1 {
			t.Errorf("class %d: fold counts range %d..%d", c, lo, hi)
		}
	}
	lo, hi := len(y), 0
	for _, f := range folds {
		lo, hi = min(lo, len(f)), max(hi, len(f))
		if !slices.IsSorted(f) {
			t.Error("fold not sorted")
		}
	}
	if hi-lo > 1 {
		t.Errorf("fold sizes range %d..%d", lo, hi)
	}
}

func TestStratifiedKFold(t *testing.T) {
	// NSL-KDD-like: U2R has 52 of ~126k rows; scaled: 6737/4593/1166/100/5.
	counts := map[int32]int{0: 6737, 1: 4593, 2: 1166, 3: 100, 4: 5}
	y := labelsWithCounts(counts, newRand(10))
	for _, k := range []int{2, 3, 5, 10} {
		folds, err := StratifiedKFold(y, k, newRand(11))
		if err != nil {
			t.Fatal(err)
		}
		if len(folds) != k {
			t.Fatalf("%d folds, want %d", len(folds), k)
		}
		checkFolds(t, y, folds)
		// Class with 5 rows and k = 10: five folds hold one, five none.
		if k == 10 {
			with := 0
			for _, f := range folds {
				with += countByClass(y, f)[4]
			}
			if with != 5 {
				t.Errorf("rare class rows across folds = %d", with)
			}
		}
		for f := range folds {
			tr, err := TrainIndices(f, folds)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.IsSorted(tr) || len(tr)+len(folds[f]) != len(y) {
				t.Fatalf("fold %d: train has %d rows", f, len(tr))
			}
			checkPartition(t, len(y), [][]int{tr, folds[f]})
		}
	}
	a, _ := StratifiedKFold(y, 5, newRand(12))
	b, _ := StratifiedKFold(y, 5, newRand(12))
	c, _ := StratifiedKFold(y, 5, newRand(13))
	if !slices.EqualFunc(a, b, slices.Equal) {
		t.Error("same seed, different folds")
	}
	if slices.EqualFunc(a, c, slices.Equal) {
		t.Error("different seeds, same folds")
	}
	// Hand-checked small case: y = [0 0 0 1 1], k = 2. Sequence: class 0's
	// three rows then class 1's two, dealt 0,1,0,1,0 → fold 0 gets two
	// class-0 rows and one class-1 row, fold 1 one and one.
	small := []int32{1, 0, 0, 1, 0}
	folds, err := StratifiedKFold(small, 2, newRand(14))
	if err != nil {
		t.Fatal(err)
	}
	f0, f1 := countByClass(small, folds[0]), countByClass(small, folds[1])
	if f0[0] != 2 || f0[1] != 1 || f1[0] != 1 || f1[1] != 1 {
		t.Errorf("small case folds %v: %v %v", folds, f0, f1)
	}
	// k = number of rows: leave-one-out.
	folds, err = StratifiedKFold(small, 5, newRand(15))
	if err != nil {
		t.Fatal(err)
	}
	checkFolds(t, small, folds)
	// Errors.
	for _, k := range []int{-1, 0, 1, 6} {
		if _, err := StratifiedKFold(small, k, newRand(1)); err == nil || !strings.Contains(err.Error(), "k = ") {
			t.Errorf("k = %d: err = %v", k, err)
		}
	}
	if _, err := StratifiedKFold(small, 2, nil); err == nil {
		t.Error("nil rng accepted")
	}
	if _, err := StratifiedKFold(nil, 2, newRand(1)); err == nil {
		t.Error("empty y accepted")
	}
	if _, err := TrainIndices(2, folds[:2]); err == nil {
		t.Error("fold out of range accepted")
	}
	if _, err := TrainIndices(-1, folds); err == nil {
		t.Error("negative fold accepted")
	}
}

func TestRepeatedStratifiedKFold(t *testing.T) {
	y := labelsWithCounts(map[int32]int{0: 300, 1: 40, 2: 3}, newRand(20))
	reps, err := RepeatedStratifiedKFold(y, 5, 3, newRand(21))
	if err != nil {
		t.Fatal(err)
	}
	if len(reps) != 3 {
		t.Fatalf("%d repetitions", len(reps))
	}
	for _, folds := range reps {
		checkFolds(t, y, folds)
	}
	if slices.EqualFunc(reps[0], reps[1], slices.Equal) || slices.EqualFunc(reps[1], reps[2], slices.Equal) {
		t.Error("repetitions are not independently shuffled")
	}
	again, _ := RepeatedStratifiedKFold(y, 5, 3, newRand(21))
	for r := range reps {
		if !slices.EqualFunc(reps[r], again[r], slices.Equal) {
			t.Errorf("repetition %d not deterministic", r)
		}
	}
	// The first repetition equals a plain StratifiedKFold from the same
	// source state.
	first, _ := StratifiedKFold(y, 5, newRand(21))
	if !slices.EqualFunc(first, reps[0], slices.Equal) {
		t.Error("first repetition differs from StratifiedKFold")
	}
	if _, err := RepeatedStratifiedKFold(y, 5, 0, newRand(1)); err == nil {
		t.Error("repeats = 0 accepted")
	}
	if _, err := RepeatedStratifiedKFold(y, 1, 2, newRand(1)); err == nil || !strings.Contains(err.Error(), "repetition 0") {
		t.Errorf("k = 1: err = %v", err)
	}
}

// FuzzStratifiedKFold checks the fold properties on arbitrary labels.
func FuzzStratifiedKFold(f *testing.F) {
	f.Add([]byte{0, 0, 1, 1, 2, 0, 0, 3}, uint8(3), uint64(1))
	f.Add([]byte{5}, uint8(2), uint64(2))
	f.Add([]byte{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 9}, uint8(10), uint64(3))
	f.Fuzz(func(t *testing.T, data []byte, kb uint8, seed uint64) {
		y := make([]int32, len(data))
		for i, b := range data {
			y[i] = int32(b%7) - 2
		}
		k := int(kb % 16)
		folds, err := StratifiedKFold(y, k, newRand(seed))
		if err != nil {
			if k >= 2 && k <= len(y) {
				t.Fatalf("valid k = %d for %d rows rejected: %v", k, len(y), err)
			}
			return
		}
		checkFolds(t, y, folds)
		if len(y) >= 1 {
			tr, te, err := StratifiedSplit(y, 0.3, newRand(seed))
			if err != nil {
				t.Fatal(err)
			}
			checkPartition(t, len(y), [][]int{tr, te})
		}
	})
}

func BenchmarkStratifiedKFold(b *testing.B) {
	y := labelsWithCounts(map[int32]int{0: 67343, 1: 45927, 2: 11656, 3: 995, 4: 52}, newRand(1))
	rng := newRand(2)
	b.ResetTimer()
	for b.Loop() {
		if _, err := StratifiedKFold(y, 10, rng); err != nil {
			b.Fatal(err)
		}
	}
}
