package model

import (
	"math/rand/v2"
	"testing"
)

// synthetic makes a separable problem: each of k classes is a bump of
// width 5 at its own place in a row of d values, with noise and a
// random amplitude, half the other values zero as in one-hot data.
func synthetic(rows, d, k int, rng *rand.Rand) ([]float32, []int32) {
	x := make([]float32, rows*d)
	y := make([]int32, rows)
	for n := 0; n < rows; n++ {
		c := rng.IntN(k)
		y[n] = int32(c)
		r := x[n*d : (n+1)*d]
		for j := range r {
			if rng.IntN(2) == 0 {
				r[j] = float32(0.3 * rng.Float64())
			}
		}
		at := (c*d)/k + 2
		a := float32(0.5 + 0.5*rng.Float64())
		for j := at; j < at+5 && j < d; j++ {
			r[j] += a
		}
	}
	return x, y
}

func accuracy(n *Network[float32], x []float32, y []int32) float64 {
	k := n.Classes()
	d := n.Inputs()
	ws := n.NewWorkspace(128)
	probs := make([]float32, 128*k)
	right := 0
	for lo := 0; lo < len(y); lo += 128 {
		b := min(128, len(y)-lo)
		n.Predict(ws, x[lo*d:(lo+b)*d], b, probs)
		for r := 0; r < b; r++ {
			best := 0
			for j := 1; j < k; j++ {
				if probs[r*k+j] > probs[r*k+best] {
					best = j
				}
			}
			if int32(best) == y[lo+r] {
				right++
			}
		}
	}
	return float64(right) / float64(len(y))
}

// train runs epochs of shuffled mini-batches and returns the network.
func trainSynthetic(t *testing.T, seed uint64, shards, epochs int) (*Network[float32], float64) {
	t.Helper()
	const d, k, batch = 32, 4, 64
	data := rand.New(rand.NewPCG(seed, 1))
	x, y := synthetic(640, d, k, data)
	tx, ty := synthetic(400, d, k, data)
	a, _ := DefaultArch("cnn")
	a.Dense = []int{32}
	n, err := Build[float32](a, d, k, rand.New(rand.NewPCG(seed, 2)))
	if err != nil {
		t.Fatal(err)
	}
	ws, err := n.NewParallelWorkspace(batch, shards)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	opt := NewAdam[float32](AdamConfig{LR: 3e-3, WeightDecay: 1e-4, Decoupled: true})
	rng := rand.New(rand.NewPCG(seed, 3))
	xb := make([]float32, batch*d)
	yb := make([]int32, batch)
	loss := SoftmaxCrossEntropy[float32]{Weights: []float32{1, 1, 2, 1}}
	for e := 0; e < epochs; e++ {
		perm := rng.Perm(len(y))
		var sum float64
		for lo := 0; lo+batch <= len(perm); lo += batch {
			for i, p := range perm[lo : lo+batch] {
				copy(xb[i*d:(i+1)*d], x[p*d:(p+1)*d])
				yb[i] = y[p]
			}
			sum += n.TrainStep(ws, xb, yb, batch, loss, opt, 5, rng)
		}
		t.Logf("seed %d shards %d epoch %d: mean loss %.4f", seed, shards, e+1, sum/float64(len(y)/batch))
	}
	return n, accuracy(n, tx, ty)
}

func TestTrainingLearnsAndIsDeterministic(t *testing.T) {
	n1, acc := trainSynthetic(t, 1, 1, 3)
	if acc < 0.95 {
		t.Fatalf("held-out accuracy %.3f after 3 epochs, want > 0.95", acc)
	}
	t.Logf("held-out accuracy %.3f", acc)
	n2, _ := trainSynthetic(t, 1, 1, 3)
	if !sameState(n1, n2) {
		t.Fatal("two runs with the same seed gave different weights")
	}
	// Two shards: deterministic as well (and learning too).
	p1, accP := trainSynthetic(t, 1, 2, 3)
	p2, _ := trainSynthetic(t, 1, 2, 3)
	if !sameState(p1, p2) {
		t.Fatal("two 2-shard runs with the same seed gave different weights")
	}
	if accP < 0.95 {
		t.Fatalf("2-shard held-out accuracy %.3f", accP)
	}
	n3, _ := trainSynthetic(t, 2, 1, 1)
	if sameState(n1, n3) {
		t.Fatal("a different seed gave the same weights")
	}
}
