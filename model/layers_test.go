package model

import (
	"math"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol*(1+math.Abs(b)) }

func requireSlice[T Float](t *testing.T, what string, got []T, want []float64, tol float64) {
	t.Helper()
	if len(got) < len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i, w := range want {
		if !near(float64(got[i]), w, tol) {
			t.Fatalf("%s[%d] = %v, want %v (all: %v)", what, i, got[i], w, got[:len(want)])
		}
	}
}

// TestConv1DHand: 2 channels of 4, one filter of width 2, stride 2,
// padding 1, worked by hand.
func TestConv1DHand(t *testing.T) {
	c := must(NewConv1D[float64]("c", Shape{2, 4}, 1, 2, 2, 1))
	if c.Out() != (Shape{1, 3}) {
		t.Fatalf("out shape %v", c.Out())
	}
	copy(c.weight.v, []float64{1, -1, 0.5, 2}) // w[0,0,:], w[0,1,:]
	c.bias.v[0] = 0.25
	x := []float64{1, 2, 3, 4, 5, 6, 7, 8, -1, -2, -3, -4, -5, -6, -7, -8}
	y := make([]float64, 6)
	s := make([]float64, c.ScratchLen(2))
	c.Forward(x, y, 2, false, s)
	// Padded channel 0: 0 1 2 3 4 0, channel 1: 0 5 6 7 8 0; windows at 0, 2, 4.
	// l=0: (0-1) + (0+10) = 9; l=1: (2-3) + (3+14) = 16; l=2: (4-0) + (4+0) = 8.
	requireSlice(t, "y", y, []float64{9.25, 16.25, 8.25, -8.75, -15.75, -7.75}, 1e-15)
	// Backward with dy = 1 for the first sample's outputs only.
	dy := []float64{1, 1, 1, 0, 0, 0}
	dx := make([]float64, 16)
	g := [][]float64{make([]float64, 4), make([]float64, 1)}
	c.Backward(x, y, dy, dx, 2, false, s, g)
	// dW[0,0,k] = sum over windows of x at tap k: k=0: 0+2+4, k=1: 1+3+0.
	requireSlice(t, "dW", g[0], []float64{6, 4, 0 + 6 + 8, 5 + 7 + 0}, 1e-15)
	requireSlice(t, "db", g[1], []float64{3}, 1e-15)
	// dx: each input position meets exactly one tap.
	requireSlice(t, "dx", dx, []float64{-1, 1, -1, 1, 2, 0.5, 2, 0.5, 0, 0, 0, 0, 0, 0, 0, 0}, 1e-15)
}

func TestMaxPoolTiesFirstWins(t *testing.T) {
	p := must(NewMaxPool1D[float64]("p", Shape{1, 7}, 2, 2))
	x := []float64{3, 3, 1, 2, 5, 5, 9} // the 7th position is in no window
	y := make([]float64, 3)
	p.Forward(x, y, 1, false, nil)
	requireSlice(t, "y", y, []float64{3, 2, 5}, 0)
	dx := make([]float64, 7)
	for i := range dx {
		dx[i] = 42 // must be overwritten
	}
	p.Backward(x, y, []float64{1, 10, 100}, dx, 1, false, nil, nil)
	requireSlice(t, "dx", dx, []float64{1, 0, 0, 10, 100, 0, 0}, 0)

	// Overlapping windows accumulate; ties still go to the first.
	q := must(NewMaxPool1D[float64]("q", Shape{1, 4}, 3, 1))
	x = []float64{1, 4, 4, 2}
	y = make([]float64, 2)
	q.Forward(x, y, 1, false, nil)
	requireSlice(t, "y", y, []float64{4, 4}, 0)
	dx = make([]float64, 4)
	q.Backward(x, y, []float64{1, 2}, dx, 1, false, nil, nil)
	requireSlice(t, "dx", dx, []float64{0, 3, 0, 0}, 0)

	if _, err := NewMaxPool1D[float64]("bad", Shape{2, 1}, 2, 2); err == nil {
		t.Fatal("pooling 1 position by 2 accepted")
	}
}

func TestReLUAndDense(t *testing.T) {
	r := NewReLU[float32](Shape{5, 1})
	x := []float32{-1, 0, 2, float32(math.Copysign(0, -1)), 0.5}
	y := make([]float32, 5)
	r.Forward(x, y, 1, false, nil)
	requireSlice(t, "relu", y, []float64{0, 0, 2, 0, 0.5}, 0)
	dx := make([]float32, 5)
	r.Backward(x, y, []float32{1, 2, 3, 4, 5}, dx, 1, false, nil, nil)
	requireSlice(t, "relu'", dx, []float64{0, 0, 3, 0, 5}, 0)

	d := must(NewDense[float64]("d", Shape{1, 3}, 2))
	copy(d.weight.v, []float64{1, 2, 3, -1, 0, 1})
	copy(d.bias.v, []float64{0.5, -0.5})
	out := make([]float64, 4)
	d.Forward([]float64{1, 1, 1, 2, 0, -1}, out, 2, false, nil)
	requireSlice(t, "dense", out, []float64{6.5, -0.5, -0.5, -3.5}, 0)
}

func TestBatchNormHand(t *testing.T) {
	bn := must(NewBatchNorm[float64]("bn", Shape{1, 2}))
	bn.gamma.v[0], bn.beta.v[0] = 2, 1
	x := []float64{1, 3, 5, 7} // one channel: batch 2 x 2 positions
	y := make([]float64, 4)
	s := make([]float64, bn.ScratchLen(2))
	bn.Forward(x, y, 2, true, s)
	// mean 4, biased variance (9+1+1+9)/4 = 5.
	sd := math.Sqrt(5 + 1e-5)
	requireSlice(t, "y", y, []float64{1 - 6/sd, 1 - 2/sd, 1 + 2/sd, 1 + 6/sd}, 1e-14)
	// Running statistics: momentum 0.1, unbiased variance 20/3.
	requireSlice(t, "running mean", bn.runMean.v, []float64{0.4}, 1e-15)
	requireSlice(t, "running var", bn.runVar.v, []float64{0.9 + 0.1*20.0/3}, 1e-15)
	// Inference uses the running statistics.
	bn.Forward(x, y, 2, false, s)
	rs := math.Sqrt(0.9 + 0.1*20.0/3 + 1e-5)
	requireSlice(t, "y eval", y, []float64{2*(1-0.4)/rs + 1, 2*(3-0.4)/rs + 1, 2*(5-0.4)/rs + 1, 2*(7-0.4)/rs + 1}, 1e-14)
	// Dense features: statistics over the batch only, per feature.
	bf := must(NewBatchNorm[float64]("bf", Shape{2, 1}))
	y = make([]float64, 4)
	bf.Forward([]float64{1, 10, 3, 30}, y, 2, true, make([]float64, bf.ScratchLen(2)))
	requireSlice(t, "y dense", y, []float64{-1 / math.Sqrt(1+1e-5), -10 / math.Sqrt(100+1e-5), 1 / math.Sqrt(1+1e-5), 10 / math.Sqrt(100+1e-5)}, 1e-14)
}

func TestDropout(t *testing.T) {
	d := must(NewDropout[float32](Shape{1000, 1}, 0.3))
	s := make([]float32, d.ScratchLen(2))
	d.Sample(s, 2, newRand(5))
	x := make([]float32, 2000)
	for i := range x {
		x[i] = float32(i%7) + 1
	}
	y := make([]float32, 2000)
	d.Forward(x, y, 2, true, s)
	dropped := 0
	for i, v := range y {
		switch v {
		case 0:
			dropped++
		case x[i] * float32(1/0.7):
		default:
			t.Fatalf("y[%d] = %v from %v", i, v, x[i])
		}
	}
	// 2000 draws at p = 0.3: 600 expected, sd 20.5.
	if dropped < 500 || dropped > 700 {
		t.Fatalf("%d of 2000 dropped at p=0.3", dropped)
	}
	// Same seed, same mask; inference is the identity.
	s2 := make([]float32, len(s))
	d.Sample(s2, 2, newRand(5))
	for i := range s {
		if s[i] != s2[i] {
			t.Fatal("same seed gave a different mask")
		}
	}
	d.Forward(x, y, 2, false, s)
	for i := range x {
		if y[i] != x[i] {
			t.Fatal("dropout is not the identity at inference")
		}
	}
	if _, err := NewDropout[float32](Shape{1, 1}, 1); err == nil {
		t.Fatal("p = 1 accepted")
	}
}

// TestLSTMHand checks two steps of a 1-feature, 1-unit LSTM against the
// equations written out with scalars.
func TestLSTMHand(t *testing.T) {
	l := must(NewLSTM[float64]("l", Shape{1, 2}, 1, true))
	copy(l.wih.v, []float64{0.5, -0.5, 1, 2})
	copy(l.whh.v, []float64{0.1, 0.2, 0.3, 0.4})
	copy(l.bih.v, []float64{0, 1, 0, 0})
	copy(l.bhh.v, []float64{0.1, 0, -0.1, 0})
	sig := func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
	x := []float64{1, 2}
	var h, c float64
	var want []float64
	for _, xt := range x {
		i := sig(0.5*xt + 0.1*h + 0.1)
		f := sig(-0.5*xt + 0.2*h + 1)
		g := math.Tanh(1*xt + 0.3*h - 0.1)
		o := sig(2*xt + 0.4*h)
		c = f*c + i*g
		h = o * math.Tanh(c)
		want = append(want, h)
	}
	y := make([]float64, 2)
	l.Forward(x, y, 1, false, make([]float64, l.ScratchLen(1)))
	requireSlice(t, "h", y, want, 1e-15)
	// The last-state variant returns the final h.
	last := must(NewLSTM[float64]("m", Shape{1, 2}, 1, false))
	copy(last.wih.v, l.wih.v)
	copy(last.whh.v, l.whh.v)
	copy(last.bih.v, l.bih.v)
	copy(last.bhh.v, l.bhh.v)
	y1 := make([]float64, 1)
	last.Forward(x, y1, 1, false, make([]float64, last.ScratchLen(1)))
	requireSlice(t, "h_T", y1, want[1:], 1e-15)
}

func TestLSTMFloat32MatchesFloat64(t *testing.T) {
	in := Shape{5, 9}
	l64 := must(NewLSTM[float64]("l", in, 7, true))
	l32 := must(NewLSTM[float32]("l", in, 7, true))
	l64.Init(Glorot, newRand(3))
	for i, p := range l64.Params() {
		for j, v := range p.v {
			l32.Params()[i].v[j] = float32(v)
		}
	}
	rng := newRand(4)
	x64 := make([]float64, 3*in.Size())
	x32 := make([]float32, len(x64))
	for i := range x64 {
		x32[i] = float32(4 * rng.NormFloat64())
		x64[i] = float64(x32[i])
	}
	y64 := make([]float64, 3*7*9)
	y32 := make([]float32, len(y64))
	l64.Forward(x64, y64, 3, false, make([]float64, l64.ScratchLen(3)))
	l32.Forward(x32, y32, 3, false, make([]float32, l32.ScratchLen(3)))
	worst := 0.0
	for i := range y64 {
		worst = max(worst, math.Abs(float64(y32[i])-y64[i]))
	}
	if worst > 2e-6 {
		t.Fatalf("float32 LSTM differs from float64 by %g", worst)
	}
}

func TestExp32(t *testing.T) {
	worst := 0.0
	for x := -87.0; x <= 88; x += 0.001 {
		got := float64(exp32(float32(x)))
		want := math.Exp(float64(float32(x)))
		worst = max(worst, math.Abs(got-want)/want)
	}
	if worst > 3e-7 {
		t.Fatalf("exp32 relative error %g", worst)
	}
	if v := exp32(float32(math.NaN())); v == v {
		t.Fatal("exp32(NaN) is not NaN")
	}
	if exp32(-1000) <= 0 || exp32(1000) > math.MaxFloat32 {
		t.Fatal("exp32 clamps wrongly")
	}
	xs := []float32{-100, -30, -1, -1e-3, 0, 0.3, 5, 40, 100}
	sg, th := append([]float32(nil), xs...), append([]float32(nil), xs...)
	sigmoidSlice(sg)
	tanhSlice(th)
	for i, v := range xs {
		if math.Abs(float64(sg[i])-1/(1+math.Exp(-float64(v)))) > 1e-7 {
			t.Fatalf("sigmoid(%v) = %v", v, sg[i])
		}
		if math.Abs(float64(th[i])-math.Tanh(float64(v))) > 2e-7 {
			t.Fatalf("tanh(%v) = %v", v, th[i])
		}
	}
}

func TestLossHand(t *testing.T) {
	loss := SoftmaxCrossEntropy[float64]{Weights: []float64{2, 1}}
	logits := []float64{0, math.Log(3), 2, 2} // probabilities (1/4, 3/4) and (1/2, 1/2)
	d := make([]float64, 4)
	got := loss.Loss(logits, []int32{1, 0}, 2, d)
	want := (1*math.Log(4.0/3) + 2*math.Log(2)) / 3
	if !near(got, want, 1e-15) {
		t.Fatalf("loss %v, want %v", got, want)
	}
	requireSlice(t, "dlogits", d, []float64{0.25 / 3, -0.25 / 3, -1.0 / 3, 1.0 / 3}, 1e-15)
	// Unweighted: the plain mean.
	got = SoftmaxCrossEntropy[float64]{}.Loss(logits, []int32{1, 0}, 2, nil)
	if want := (math.Log(4.0/3) + math.Log(2)) / 2; !near(got, want, 1e-15) {
		t.Fatalf("unweighted loss %v, want %v", got, want)
	}
	// Large logits do not overflow.
	if l := (SoftmaxCrossEntropy[float32]{}).Loss([]float32{1000, 0}, []int32{1}, 1, nil); !near(l, 1000, 1e-12) {
		t.Fatalf("loss of a 1000-logit gap = %v", l)
	}
	// All-zero weights: 0, not NaN.
	zero := SoftmaxCrossEntropy[float64]{Weights: []float64{0, 1}}
	if l := zero.Loss(logits[:2], []int32{0}, 1, d); l != 0 || d[0] != 0 || d[1] != 0 {
		t.Fatalf("zero-weight loss %v grad %v", l, d[:2])
	}
	if err := CheckLabels([]int32{0, 1, 5}, 5); err == nil || err.Error() != "model: label 5 of row 2 is outside [0, 5)" {
		t.Fatalf("CheckLabels: %v", err)
	}
	if err := CheckLabels([]int32{0, 4}, 5); err != nil {
		t.Fatal(err)
	}
	probs := make([]float64, 4)
	Softmax(logits, 2, 2, probs)
	requireSlice(t, "softmax", probs, []float64{0.25, 0.75, 0.5, 0.5}, 1e-15)
}
