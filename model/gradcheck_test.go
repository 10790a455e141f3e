package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// Gradient checks: analytic gradients (float64) against central
// differences with step 1e-6, max relative error
// |a-n|/max(|a|,|n|,floor) < 1e-6. The floor keeps the measure meaningful
// for components that are zero: central differences carry an absolute
// rounding error of about 1e-16*|terms of the loss|/1e-6, near 1e-10 for
// one layer and a few 1e-9 through a whole network (e.g. the gradient of
// a conv bias followed by BatchNorm is exactly 0 and measures 3e-9). So
// the floor is 1e-3 for single layers and 1e-2 for whole networks, whose
// cross-entropy gradients are mostly 1e-2..1: an absolute error below
// 1e-9 or 1e-8 for the smallest components, relative 1e-6 above.
const (
	gcStep       = 1e-6
	gcTol        = 1e-6
	gcFloor      = 1e-3
	gcFloorWhole = 1e-2
)

// gcReport is the worst mismatch found by checkGrad.
type gcReport struct {
	maxRel  float64
	where   string
	checked int
}

func (r *gcReport) add(rel float64, where string) {
	r.checked++
	if rel > r.maxRel || math.IsNaN(rel) {
		r.maxRel, r.where = rel, where
	}
}

// checkGrad perturbs vals[i] for each i in idx, evaluates f at +-gcStep,
// and compares the central difference with analytic[i].
func checkGrad(r *gcReport, name string, vals, analytic []float64, idx []int, floor float64, f func() float64) {
	for _, i := range idx {
		v := vals[i]
		vals[i] = v + gcStep
		fp := f()
		vals[i] = v - gcStep
		fm := f()
		vals[i] = v
		num := (fp - fm) / (2 * gcStep)
		a := analytic[i]
		rel := math.Abs(a-num) / math.Max(math.Max(math.Abs(a), math.Abs(num)), floor)
		r.add(rel, fmt.Sprintf("%s[%d]: analytic %.12g numeric %.12g", name, i, a, num))
	}
}

// sample returns all indices of n when n <= k, else k distinct ones.
func sample(n, k int, rng *rand.Rand) []int {
	if n <= k {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	return rng.Perm(n)[:k]
}

// netCheck is a gradient check of a whole network (or one layer wrapped
// in a network) under the loss L = sum(r * logits), or the softmax
// cross-entropy when ce is set.
type netCheck struct {
	net     *Network[float64]
	ws      *Workspace[float64]
	x       []float64
	batch   int
	train   bool
	seed    uint64 // dropout masks: a fresh rng with this seed per forward
	r       []float64
	ce      *SoftmaxCrossEntropy[float64]
	labels  []int32
	perTens int     // entries checked per tensor (all when smaller)
	floor   float64 // see gcFloor; 0 means gcFloor
	// corrupt, when set, alters the analytic gradients before comparing
	// (to prove that the checker fails on a wrong backward pass).
	corrupt func(params [][]float64, dx []float64)
}

func (c *netCheck) loss() float64 {
	logits := c.net.Forward(c.ws, c.x, c.batch, c.train, rand.New(rand.NewPCG(c.seed, 7)))
	if c.ce != nil {
		return c.ce.Loss(logits, c.labels, c.batch, nil)
	}
	var s float64
	for i, v := range logits {
		s += c.r[i] * v
	}
	return s
}

func (c *netCheck) run() gcReport {
	rng := rand.New(rand.NewPCG(c.seed, 99))
	if c.ws == nil {
		c.ws = c.net.NewWorkspace(c.batch)
	}
	k := c.net.Classes()
	if c.r == nil && c.ce == nil {
		c.r = make([]float64, c.batch*k)
		for i := range c.r {
			c.r[i] = rng.NormFloat64()
		}
	}
	c.net.ZeroGrad()
	logits := c.net.Forward(c.ws, c.x, c.batch, c.train, rand.New(rand.NewPCG(c.seed, 7)))
	dl := make([]float64, len(logits))
	if c.ce != nil {
		c.ce.Loss(logits, c.labels, c.batch, dl)
	} else {
		copy(dl, c.r)
	}
	dx := make([]float64, len(c.x))
	c.net.BackwardInput(c.ws, dl, dx)
	grads := make([][]float64, len(c.net.Params()))
	for i, p := range c.net.Params() {
		grads[i] = append([]float64(nil), p.GradData()...)
	}
	if c.corrupt != nil {
		c.corrupt(grads, dx)
	}
	per := c.perTens
	if per == 0 {
		per = 1 << 30
	}
	floor := c.floor
	if floor == 0 {
		floor = gcFloor
	}
	var rep gcReport
	for i, p := range c.net.Params() {
		checkGrad(&rep, p.Name, p.Data(), grads[i], sample(p.Len(), per, rng), floor, c.loss)
	}
	checkGrad(&rep, "input", c.x, dx, sample(len(c.x), per, rng), floor, c.loss)
	return rep
}

func requireGrad(t *testing.T, rep gcReport) {
	t.Helper()
	if rep.checked == 0 {
		t.Fatal("no gradient entries checked")
	}
	if !(rep.maxRel < gcTol) {
		t.Fatalf("gradient check failed: max relative error %.3g at %s (%d entries)", rep.maxRel, rep.where, rep.checked)
	}
	t.Logf("%d entries, max relative error %.3g", rep.checked, rep.maxRel)
}

func randSlice(n int, rng *rand.Rand, scale float64) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = scale * rng.NormFloat64()
	}
	return s
}

// randomizeParams fills every parameter with N(0, scale²), and BatchNorm
// scale parameters with 1+N(0, 0.1²) so that none is near zero.
func randomizeParams(n *Network[float64], rng *rand.Rand, scale float64) {
	for _, p := range n.Params() {
		for i := range p.Data() {
			p.Data()[i] = scale * rng.NormFloat64()
		}
	}
	for _, l := range n.Layers() {
		if bn, ok := l.(*BatchNorm[float64]); ok {
			for i := range bn.gamma.v {
				bn.gamma.v[i] = 1 + 0.1*rng.NormFloat64()
				bn.runMean.v[i] = 0.1 * rng.NormFloat64()
				bn.runVar.v[i] = 0.5 + rng.Float64()
			}
		}
	}
}

func single(t *testing.T, in Shape, layers ...Layer[float64]) *Network[float64] {
	t.Helper()
	n, err := NewNetwork(in, layers...)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func must[L any](l L, err error) L {
	if err != nil {
		panic(err)
	}
	return l
}

func TestGradConv1D(t *testing.T) {
	cases := []struct {
		in                   Shape
		f, k, stride, pad, b int
	}{
		{Shape{3, 11}, 4, 3, 2, 2, 3}, // stride > 1 with padding
		{Shape{2, 9}, 3, 4, 3, 1, 2},
		{Shape{1, 12}, 5, 3, 1, 1, 3}, // the first conv of the cnn
		{Shape{4, 7}, 2, 2, 1, 0, 2},
		{Shape{2, 5}, 3, 5, 1, 3, 2}, // padding wider than the input
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%v_f%d_k%d_s%d_p%d", c.in, c.f, c.k, c.stride, c.pad), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			conv := must(NewConv1D[float64]("c", c.in, c.f, c.k, c.stride, c.pad))
			n := single(t, c.in, conv)
			randomizeParams(n, rng, 0.5)
			requireGrad(t, (&netCheck{net: n, x: randSlice(c.b*c.in.Size(), rng, 1), batch: c.b, seed: 3}).run())
		})
	}
}

func TestGradMaxPool1D(t *testing.T) {
	cases := []struct {
		in        Shape
		k, stride int
	}{
		{Shape{3, 10}, 2, 2}, {Shape{2, 11}, 2, 2}, {Shape{2, 11}, 3, 2}, {Shape{2, 12}, 2, 3}, {Shape{1, 9}, 4, 1},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%v_k%d_s%d", c.in, c.k, c.stride), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, 6))
			p := must(NewMaxPool1D[float64]("p", c.in, c.k, c.stride))
			n := single(t, c.in, p)
			// Distinct values at least 0.01 apart, shuffled: no near-ties.
			x := make([]float64, 3*c.in.Size())
			for i, j := range rng.Perm(len(x)) {
				x[i] = 0.01*float64(j) - 0.3
			}
			requireGrad(t, (&netCheck{net: n, x: x, batch: 3, seed: 1}).run())
		})
	}
}

func TestGradDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	in := Shape{3, 4}
	d := must(NewDense[float64]("d", in, 5))
	n := single(t, in, d)
	randomizeParams(n, rng, 0.5)
	requireGrad(t, (&netCheck{net: n, x: randSlice(4*in.Size(), rng, 1), batch: 4, seed: 1}).run())
}

func TestGradReLU(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	in := Shape{2, 6}
	x := randSlice(3*in.Size(), rng, 1)
	for i, v := range x { // keep away from the kink at 0
		if math.Abs(v) < 0.05 {
			x[i] = 0.05 + v
		}
	}
	requireGrad(t, (&netCheck{net: single(t, in, NewReLU[float64](in)), x: x, batch: 3, seed: 1}).run())
}

func TestGradDropoutFixedMask(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	in := Shape{4, 3}
	d := must(NewDropout[float64](in, 0.4))
	c := &netCheck{net: single(t, in, d), x: randSlice(5*in.Size(), rng, 1), batch: 5, train: true, seed: 21}
	requireGrad(t, c.run())
	// The mask is the one seed 21 draws: some values dropped, the rest
	// scaled by 1/(1-0.4).
	m := c.ws.shards[0].scratch[0][:5*in.Size()]
	zeros := 0
	for _, v := range m {
		switch v {
		case 0:
			zeros++
		case 1 / 0.6:
		default:
			t.Fatalf("mask value %v", v)
		}
	}
	if zeros == 0 || zeros == len(m) {
		t.Fatalf("mask has %d zeros of %d", zeros, len(m))
	}
}

func TestGradBatchNorm(t *testing.T) {
	for _, c := range []struct {
		name  string
		in    Shape
		train bool
	}{
		{"conv-train", Shape{3, 5}, true},
		{"dense-train", Shape{4, 1}, true},
		{"conv-eval", Shape{3, 5}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(13, 14))
			bn := must(NewBatchNorm[float64]("bn", c.in))
			n := single(t, c.in, bn)
			randomizeParams(n, rng, 0.5)
			requireGrad(t, (&netCheck{net: n, x: randSlice(4*c.in.Size(), rng, 2), batch: 4, train: c.train, seed: 1}).run())
		})
	}
}

func TestGradFlatten(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	in := Shape{3, 4}
	// Flatten then Dense, so that the view is inside a network.
	d := must(NewDense[float64]("d", Shape{12, 1}, 3))
	n := single(t, in, NewFlatten[float64](in), d)
	randomizeParams(n, rng, 0.5)
	requireGrad(t, (&netCheck{net: n, x: randSlice(2*in.Size(), rng, 1), batch: 2, seed: 1}).run())
	// Alone, as the only layer, too.
	requireGrad(t, (&netCheck{net: single(t, in, NewFlatten[float64](in)), x: randSlice(2*in.Size(), rng, 1), batch: 2, seed: 1}).run())
}

func TestGradLSTM(t *testing.T) {
	for _, seq := range []bool{false, true} {
		t.Run(fmt.Sprintf("sequence=%v", seq), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(17, 18))
			in := Shape{3, 6} // 3 features, 6 time steps
			l := must(NewLSTM[float64]("lstm", in, 4, seq))
			n := single(t, in, l)
			randomizeParams(n, rng, 0.6)
			requireGrad(t, (&netCheck{net: n, x: randSlice(3*in.Size(), rng, 1), batch: 3, seed: 1}).run())
		})
	}
}

func TestGradLossWeighted(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	k, batch := 4, 6
	logits := randSlice(batch*k, rng, 2)
	y := []int32{0, 3, 1, 1, 2, 3}
	loss := SoftmaxCrossEntropy[float64]{Weights: []float64{0.5, 2, 1, 3}}
	d := make([]float64, len(logits))
	loss.Loss(logits, y, batch, d)
	var rep gcReport
	checkGrad(&rep, "logits", logits, d, sample(len(logits), 1000, rng), gcFloor, func() float64 { return loss.Loss(logits, y, batch, nil) })
	requireGrad(t, rep)
}

// unfused returns a view of n that runs every layer on its own (no
// fused conv blocks), so that every intermediate activation is kept.
func unfused[T Float](n *Network[T]) *Network[T] {
	p := *n
	p.ops = plan(n.layers, false)
	return &p
}

// kinkFree runs n (unfused) on x and reports whether it kept every ReLU input
// at least margin away from 0 and every max-pool window's maximum at
// least margin above the runner-up (windows of zeros after a ReLU are
// exempt: their gradient is 0 on both sides).
func kinkFree(net *Network[float64], x []float64, batch int, train bool, seed uint64, margin float64) bool {
	n := unfused(net)
	ws := n.NewWorkspace(batch)
	n.Forward(ws, x, batch, train, rand.New(rand.NewPCG(seed, 7)))
	s := ws.shards[0]
	for i, l := range n.Layers() {
		switch p := l.(type) {
		case *ReLU[float64]:
			for _, v := range s.ins[i][:s.n*l.In().Size()] {
				if math.Abs(v) < margin {
					return false
				}
			}
		case *MaxPool1D[float64]:
			x := s.ins[i]
			rows, L := s.n*p.in.C, p.in.L
			for r := 0; r < rows; r++ {
				for j := 0; j < p.out.L; j++ {
					w := x[r*L+j*p.stride : r*L+j*p.stride+p.kernel]
					a, b := math.Inf(-1), math.Inf(-1)
					for _, v := range w {
						if v > a {
							a, b = v, a
						} else if v > b {
							b = v
						}
					}
					if a > margin && a-b < margin {
						return false
					}
				}
			}
		}
	}
	return true
}

// checkNetwork gradient-checks a built architecture end to end under the
// weighted cross-entropy, in training mode with fixed dropout masks,
// redrawing the input until no ReLU or pool is near a kink.
func checkNetwork(t *testing.T, a Arch, inputs, batch, perTensor int) {
	t.Helper()
	for seed := uint64(1); seed < 40; seed++ {
		rng := rand.New(rand.NewPCG(seed, 1000))
		n, err := Build[float64](a, inputs, 5, rng)
		if err != nil {
			t.Fatal(err)
		}
		// Biases are 0 after Build; give them values so their gradients
		// and the kink margins are exercised.
		for _, p := range n.Params() {
			if !p.Decay {
				for i := range p.Data() {
					p.Data()[i] += 0.1 * rng.NormFloat64()
				}
			}
		}
		x := make([]float64, batch*inputs)
		for i := range x {
			if rng.IntN(3) > 0 {
				x[i] = rng.Float64()
			}
		}
		c := &netCheck{net: n, x: x, batch: batch, train: true, seed: seed, perTens: perTensor, floor: gcFloorWhole,
			ce:     &SoftmaxCrossEntropy[float64]{Weights: []float64{1, 2, 0.5, 3, 1.5}},
			labels: []int32{0, 1, 2, 3, 4, 1, 2, 3}[:batch]}
		if !kinkFree(n, x, batch, true, seed, 1e-4) {
			t.Logf("seed %d: an activation is within 1e-4 of a kink; redrawing", seed)
			continue
		}
		rep := c.run()
		if !kinkFree(n, x, batch, true, seed, 1e-4) {
			t.Fatal("kink margins changed during the check")
		}
		requireGrad(t, rep)
		return
	}
	t.Fatal("no kink-free draw found")
}

func TestGradNetworkCNN(t *testing.T) {
	a, _ := DefaultArch("cnn")
	checkNetwork(t, a, 122, 2, 60)
}

func TestGradNetworkCNNLSTM(t *testing.T) {
	a, _ := DefaultArch("cnn-lstm")
	checkNetwork(t, a, 122, 2, 60)
}

func TestGradNetworkBatchNormVariant(t *testing.T) {
	a, _ := DefaultArch("cnn")
	a.BatchNorm, a.DenseBatchNorm = true, true
	a.Conv[1].Stride = 2
	a.Conv = append(a.Conv, ConvBlock{Filters: 8, Kernel: 4, Stride: 1, Padding: 0, Pool: 3})
	a.Dense = []int{16, 12}
	checkNetwork(t, a, 64, 4, 40)
}

// TestGradCheckerBites proves that the checker fails on wrong gradients:
// one analytic gradient entry off by 1e-4 relative, and a backward pass
// that forgets the bias gradient.
func TestGradCheckerBites(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	in := Shape{2, 7}
	conv := must(NewConv1D[float64]("c", in, 3, 3, 2, 1))
	n := single(t, in, conv)
	randomizeParams(n, rng, 0.5)
	x := randSlice(2*in.Size(), rng, 1)
	good := (&netCheck{net: n, x: x, batch: 2, seed: 3}).run()
	if !(good.maxRel < gcTol) {
		t.Fatalf("the correct gradient fails: %.3g at %s", good.maxRel, good.where)
	}
	for name, corrupt := range map[string]func([][]float64, []float64){
		"weight entry +1e-4 relative": func(g [][]float64, dx []float64) { g[0][4] *= 1 + 1e-4 },
		"bias gradient dropped":       func(g [][]float64, dx []float64) { clear(g[1]) },
		"input gradient of one tap":   func(g [][]float64, dx []float64) { dx[3] += 1e-3 },
	} {
		rep := (&netCheck{net: n, x: x, batch: 2, seed: 3, corrupt: corrupt}).run()
		if rep.maxRel < gcTol {
			t.Errorf("%s: checker passed a wrong gradient (max relative error %.3g)", name, rep.maxRel)
		} else {
			t.Logf("%s: caught, max relative error %.3g at %s", name, rep.maxRel, rep.where)
		}
	}
}
