package model

import (
	"math"
	"strings"
	"testing"
)

// params2 makes a decayed weight and an undecayed bias with gradients.
func params2(w, gw, b, gb float64) []*Param[float64] {
	p := newParam[float64]("w", true, false, 1)
	q := newParam[float64]("b", false, false, 1)
	p.v[0], p.g[0], q.v[0], q.g[0] = w, gw, b, gb
	return []*Param[float64]{p, q}
}

func TestSGDHand(t *testing.T) {
	// Plain SGD with weight decay 0.1 on the weight only.
	ps := params2(2, 0.5, 3, 0.5)
	NewSGD[float64](SGDConfig{LR: 0.1, WeightDecay: 0.1}).Step(ps)
	requireSlice(t, "w", ps[0].v, []float64{2 - 0.1*(0.5+0.2)}, 1e-15)
	requireSlice(t, "b", ps[1].v, []float64{3 - 0.1*0.5}, 1e-15)

	// Momentum 0.9: b1 = g1, b2 = 0.9 b1 + g2.
	ps = params2(1, 1, 0, 0)
	o := NewSGD[float64](SGDConfig{LR: 0.1, Momentum: 0.9})
	o.Step(ps) // w = 1 - 0.1*1 = 0.9
	ps[0].g[0] = 2
	o.Step(ps) // buf = 0.9 + 2 = 2.9, w = 0.9 - 0.29
	requireSlice(t, "momentum w", ps[0].v, []float64{0.61}, 1e-15)

	// Nesterov: direction g + μ buf.
	ps = params2(1, 1, 0, 0)
	o = NewSGD[float64](SGDConfig{LR: 0.1, Momentum: 0.9, Nesterov: true})
	o.Step(ps) // buf = 1, d = 1 + 0.9 = 1.9, w = 0.81
	ps[0].g[0] = 2
	o.Step(ps) // buf = 2.9, d = 2 + 2.61 = 4.61, w = 0.81 - 0.461
	requireSlice(t, "nesterov w", ps[0].v, []float64{0.349}, 1e-14)

	// Dampening scales the new gradient after the first step.
	ps = params2(1, 1, 0, 0)
	o = NewSGD[float64](SGDConfig{LR: 1, Momentum: 0.5, Dampening: 0.5})
	o.Step(ps) // buf = 1, w = 0
	o.Step(ps) // buf = 0.5 + 0.5*1 = 1, w = -1
	requireSlice(t, "dampened w", ps[0].v, []float64{-1}, 1e-15)

	o.SetLR(0.25)
	if o.LR() != 0.25 {
		t.Fatal("SetLR")
	}
	if err := (SGDConfig{LR: 0.1, Nesterov: true}).Validate(); err == nil {
		t.Fatal("Nesterov without momentum accepted")
	}
	if err := (SGDConfig{LR: -1}).Validate(); err == nil {
		t.Fatal("negative learning rate accepted")
	}
}

func TestAdamHand(t *testing.T) {
	// First step: m̂ = g, v̂ = g², update lr*g/(|g|+eps).
	ps := params2(1, 0.5, 2, -4)
	o := NewAdam[float64](AdamConfig{LR: 0.01})
	o.Step(ps)
	requireSlice(t, "w", ps[0].v, []float64{1 - 0.01*0.5/(0.5+1e-8)}, 1e-15)
	requireSlice(t, "b", ps[1].v, []float64{2 + 0.01*4/(4+1e-8)}, 1e-15)
	// Second step with gradient 1: m = 0.9*0.05+0.1 = 0.145 -> m̂ = 0.145/0.19;
	// v = 0.999*0.00025+0.001 = 0.00124975 -> v̂ = v/(1-0.999²).
	ps[0].g[0] = 1
	w := ps[0].v[0]
	o.Step(ps)
	mh := 0.145 / (1 - 0.81)
	vh := 0.00124975 / (1 - 0.999*0.999)
	requireSlice(t, "w2", ps[0].v, []float64{w - 0.01*mh/(math.Sqrt(vh)+1e-8)}, 1e-12)

	// L2 decay (Adam) enters the gradient of decayed params only;
	// decoupled decay (AdamW) shrinks the weight by lr*wd first.
	ps = params2(2, 0, 2, 0)
	NewAdam[float64](AdamConfig{LR: 0.01, WeightDecay: 0.5}).Step(ps)
	// g = 0.5*2 = 1 -> a full lr step; the bias has g = 0, no step.
	requireSlice(t, "adam-l2", []float64{ps[0].v[0], ps[1].v[0]}, []float64{2 - 0.01*1/(1+1e-8), 2}, 1e-15)
	ps = params2(2, 0, 2, 0)
	NewAdam[float64](AdamConfig{LR: 0.01, WeightDecay: 0.5, Decoupled: true}).Step(ps)
	requireSlice(t, "adamw", []float64{ps[0].v[0], ps[1].v[0]}, []float64{2 * (1 - 0.005), 2}, 1e-15)

	for _, bad := range []AdamConfig{{LR: math.NaN()}, {LR: 1, Beta1: 1}, {LR: 1, Beta2: -0.1}, {LR: 1, WeightDecay: -1}} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	if err := (AdamConfig{LR: 1e-3}).Validate(); err != nil {
		t.Error(err)
	}
}

func TestClipGradNorm(t *testing.T) {
	ps := params2(0, 3, 0, 4) // norm 5
	if n := ClipGradNorm(ps, 10); n != 5 || ps[0].g[0] != 3 {
		t.Fatalf("no clipping expected: norm %v g %v", n, ps[0].g[0])
	}
	if n := ClipGradNorm(ps, 1); n != 5 {
		t.Fatalf("norm %v", n)
	}
	s := 1 / (5 + 1e-6)
	requireSlice(t, "clipped", []float64{ps[0].g[0], ps[1].g[0]}, []float64{3 * s, 4 * s}, 1e-15)
	if n := ClipGradNorm(ps, 0); math.Abs(n-5*s) > 1e-12 {
		t.Fatalf("measuring only: %v", n)
	}
	// Buffers (no gradient) are skipped everywhere.
	buf := newParam[float64]("rm", false, true, 2)
	ps = append(ps, buf)
	ClipGradNorm(ps, 1)
	NewAdam[float64](AdamConfig{LR: 1}).Step(ps)
	NewSGD[float64](SGDConfig{LR: 1, Momentum: 0.5}).Step(ps)
	if buf.v[0] != 0 || buf.v[1] != 0 {
		t.Fatal("an optimiser touched a buffer")
	}
	if !strings.HasSuffix(buf.Name, "rm") || buf.Grad != nil {
		t.Fatal("buffer has a gradient")
	}
}
