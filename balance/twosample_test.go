package balance

import (
	"math"
	"math/rand/v2"
	"slices"
)

// aucOf is the area under the ROC curve of scores for positives (label
// true) against negatives: the Mann-Whitney probability that a random
// positive scores above a random negative, ties counting half.
func aucOf(scores []float64, pos []bool) float64 {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		switch {
		case scores[a] < scores[b]:
			return -1
		case scores[a] > scores[b]:
			return 1
		}
		return 0
	})
	// Average ranks over ties.
	ranks := make([]float64, len(scores))
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		r := float64(i+j+1) / 2
		for t := i; t < j; t++ {
			ranks[idx[t]] = r
		}
		i = j
	}
	var np, nn, sum float64
	for i, p := range pos {
		if p {
			np++
			sum += ranks[i]
		} else {
			nn++
		}
	}
	return (sum - np*(np+1)/2) / (np * nn)
}

// twoSample builds the classifier two-sample test's data: real rows
// (label false) and synthetic rows (label true), each split in half at
// random into a training and a test part. It returns the stacked matrix,
// labels and the two index sets (ascending).
func twoSample(real, synth []float32, cols int, rng *rand.Rand) (x []float32, lab []bool, train, test []int) {
	nr, ns := len(real)/cols, len(synth)/cols
	x = append(slices.Clone(real), synth...)
	lab = make([]bool, nr+ns)
	for i := nr; i < nr+ns; i++ {
		lab[i] = true
	}
	for _, part := range [][2]int{{0, nr}, {nr, nr + ns}} {
		p := rng.Perm(part[1] - part[0])
		for i, v := range p {
			if i < len(p)/2 {
				train = append(train, part[0]+v)
			} else {
				test = append(test, part[0]+v)
			}
		}
	}
	slices.Sort(train)
	slices.Sort(test)
	return x, lab, train, test
}

// knnAUC is the AUC of a k-nearest-neighbour classifier (score: the
// fraction of synthetic rows among the k nearest training rows) telling
// synthetic from real rows on the test half.
func knnAUC(real, synth []float32, cols, k int, rng *rand.Rand) (float64, error) {
	x, lab, train, test := twoSample(real, synth, cols, rng)
	nn, err := KNN{}.Neighbors(x, cols, train, test, k)
	if err != nil {
		return 0, err
	}
	scores := make([]float64, len(test))
	pos := make([]bool, len(test))
	for i, q := range test {
		for _, p := range nn[i*k : (i+1)*k] {
			if lab[train[p]] {
				scores[i]++
			}
		}
		pos[i] = lab[q]
	}
	return aucOf(scores, pos), nil
}

// logisticAUC is the AUC of an L2-regularised logistic regression
// (full-batch gradient descent on columns standardised over the training
// half) telling synthetic from real rows on the test half.
func logisticAUC(real, synth []float32, cols int, rng *rand.Rand) float64 {
	x, lab, train, test := twoSample(real, synth, cols, rng)
	mean := make([]float64, cols)
	sd := make([]float64, cols)
	for _, r := range train {
		for j := range cols {
			mean[j] += float64(x[r*cols+j])
		}
	}
	for j := range mean {
		mean[j] /= float64(len(train))
	}
	for _, r := range train {
		for j := range cols {
			d := float64(x[r*cols+j]) - mean[j]
			sd[j] += d * d
		}
	}
	for j := range sd {
		sd[j] = math.Sqrt(sd[j] / float64(len(train)))
		if sd[j] == 0 {
			sd[j] = 1
		}
	}
	z := make([]float64, len(x)) // standardised rows
	for i := range lab {
		for j := range cols {
			z[i*cols+j] = (float64(x[i*cols+j]) - mean[j]) / sd[j]
		}
	}
	w := make([]float64, cols+1)
	grad := make([]float64, cols+1)
	const lr, l2 = 0.5, 1e-3
	for range 300 {
		clear(grad)
		for _, r := range train {
			zr := z[r*cols : (r+1)*cols]
			s := w[cols]
			for j, v := range zr {
				s += w[j] * v
			}
			t := 0.0
			if lab[r] {
				t = 1
			}
			e := sigmoid(s) - t
			for j, v := range zr {
				grad[j] += e * v
			}
			grad[cols] += e
		}
		for j := range w {
			g := grad[j] / float64(len(train))
			if j < cols {
				g += l2 * w[j]
			}
			w[j] -= lr * g
		}
	}
	scores := make([]float64, len(test))
	pos := make([]bool, len(test))
	for i, r := range test {
		sc := w[cols]
		for j, v := range z[r*cols : (r+1)*cols] {
			sc += w[j] * v
		}
		scores[i] = sc
		pos[i] = lab[r]
	}
	return aucOf(scores, pos)
}
