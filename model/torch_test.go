package model

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"
)

// Equivalence with PyTorch: testdata/torch_golden.json holds what
// torch-reference.py's network computes on fixed formula weights
// (testdata/torch_golden.py says how to regenerate it), so CI needs no
// Python.

type goldenSummary struct {
	Sum   float64   `json:"sum"`
	SumSq float64   `json:"sumsq"`
	Idx   []int     `json:"idx"`
	Vals  []float64 `json:"vals"`
}

type goldenNet struct {
	Params []struct {
		Name  string  `json:"name"`
		Shape []int   `json:"shape"`
		Scale float64 `json:"scale"`
	} `json:"params"`
	Input        []float64       `json:"input"`
	Labels       []int32         `json:"labels"`
	ClassWeights []float64       `json:"class_weights"`
	LogitsF64    []float64       `json:"logits_f64"`
	LogitsF32    []float64       `json:"logits_f32"`
	Loss         float64         `json:"loss"`
	Grads        []goldenSummary `json:"grads"`
	Steps        map[string]struct {
		Losses []float64       `json:"losses"`
		Params []goldenSummary `json:"params"`
	} `json:"steps"`
}

func loadGolden(t *testing.T) map[string]goldenNet {
	t.Helper()
	b, err := os.ReadFile("testdata/torch_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g map[string]json.RawMessage
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	out := map[string]goldenNet{}
	for _, k := range []string{"cnn", "cnn-lstm"} {
		var n goldenNet
		if err := json.Unmarshal(g[k], &n); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		out[k] = n
	}
	return out
}

// goldenNetwork builds the arch and fills it with the script's formula.
func goldenNetwork[T Float](t *testing.T, arch string, g goldenNet) *Network[T] {
	t.Helper()
	a, err := DefaultArch(arch)
	if err != nil {
		t.Fatal(err)
	}
	n, err := Build[T](a, 122, 5, newRand(1))
	if err != nil {
		t.Fatal(err)
	}
	if len(n.Params()) != len(g.Params) || len(n.Buffers()) != 0 {
		t.Fatalf("%d params and %d buffers; PyTorch has %d params", len(n.Params()), len(n.Buffers()), len(g.Params))
	}
	for i, p := range n.Params() {
		if fmt.Sprint(p.Shape()) != fmt.Sprint(g.Params[i].Shape) {
			t.Fatalf("param %d %s has shape %v, PyTorch's %s has %v", i, p.Name, p.Shape(), g.Params[i].Name, g.Params[i].Shape)
		}
		for j := range p.Data() {
			p.Data()[j] = T((float64((j*7919+i*104729+13)%2003)/2003 - 0.5) * 2 * g.Params[i].Scale)
		}
	}
	return n
}

func toT[T Float](x []float64) []T {
	out := make([]T, len(x))
	for i, v := range x {
		out[i] = T(v)
	}
	return out
}

func closeTo(got, want, rel, abs float64) bool {
	return math.Abs(got-want) <= abs+rel*math.Abs(want)
}

func checkSummary(t *testing.T, what string, data []float64, s goldenSummary, rel, abs float64) {
	t.Helper()
	var sum, sq float64
	for _, v := range data {
		sum += v
		sq += v * v
	}
	if !closeTo(sum, s.Sum, rel, abs*math.Sqrt(float64(len(data)))) || !closeTo(sq, s.SumSq, rel, abs) {
		t.Errorf("%s: sum %.15g sumsq %.15g, PyTorch %.15g %.15g", what, sum, sq, s.Sum, s.SumSq)
	}
	for k, i := range s.Idx {
		if !closeTo(data[i], s.Vals[k], rel, abs) {
			t.Errorf("%s[%d] = %.15g, PyTorch %.15g", what, i, data[i], s.Vals[k])
		}
	}
}

func TestTorchEquivalenceLogits(t *testing.T) {
	golden := loadGolden(t)
	for _, arch := range []string{"cnn", "cnn-lstm"} {
		t.Run(arch, func(t *testing.T) {
			g := golden[arch]
			batch := len(g.Labels)
			n64 := goldenNetwork[float64](t, arch, g)
			got := n64.Forward(n64.NewWorkspace(batch), toT[float64](g.Input), batch, false, nil)
			worst := 0.0
			for i, w := range g.LogitsF64 {
				worst = max(worst, math.Abs(got[i]-w))
				if !closeTo(got[i], w, 1e-12, 1e-13) {
					t.Errorf("float64 logit %d = %.17g, PyTorch %.17g", i, got[i], w)
				}
			}
			t.Logf("float64: max |diff| %.3g", worst)
			n32 := goldenNetwork[float32](t, arch, g)
			for _, path := range []string{"Forward", "Predict"} {
				ws := n32.NewWorkspace(batch)
				var got32 []float32
				if path == "Forward" {
					got32 = n32.Forward(ws, toT[float32](g.Input), batch, false, nil)
				} else {
					probs := make([]float32, batch*5)
					n32.Predict(ws, toT[float32](g.Input), batch, probs)
					got32 = ws.logits[:batch*5]
				}
				worst = 0
				for i, w := range g.LogitsF32 {
					worst = max(worst, math.Abs(float64(got32[i])-w))
					if !closeTo(float64(got32[i]), w, 1e-5, 1e-5) {
						t.Errorf("float32 %s logit %d = %.9g, PyTorch %.9g", path, i, got32[i], w)
					}
				}
				t.Logf("float32 %s: max |diff| %.3g", path, worst)
			}
		})
	}
}

func TestTorchEquivalenceGradientsAndOptimizers(t *testing.T) {
	golden := loadGolden(t)
	for _, arch := range []string{"cnn", "cnn-lstm"} {
		t.Run(arch, func(t *testing.T) {
			g := golden[arch]
			batch := len(g.Labels)
			x := toT[float64](g.Input)
			loss := SoftmaxCrossEntropy[float64]{Weights: g.ClassWeights}
			n := goldenNetwork[float64](t, arch, g)
			ws := n.NewWorkspace(batch)
			// Eval mode (no dropout), as the script's backward.
			step := func() float64 {
				n.ZeroGrad()
				logits := n.Forward(ws, x, batch, false, nil)
				d := make([]float64, len(logits))
				l := loss.Loss(logits, g.Labels, batch, d)
				n.Backward(ws, d)
				return l
			}
			l := step()
			if !closeTo(l, g.Loss, 1e-12, 0) {
				t.Errorf("loss %.15g, PyTorch %.15g", l, g.Loss)
			}
			for i, p := range n.Params() {
				checkSummary(t, "grad "+p.Name, p.GradData(), g.Grads[i], 1e-9, 1e-13)
			}
			opts := map[string]struct {
				opt  Optimizer[float64]
				clip float64
			}{
				"adam":              {NewAdam[float64](AdamConfig{LR: 1e-3, WeightDecay: 0.01}), 0},
				"adamw":             {NewAdam[float64](AdamConfig{LR: 2e-3, WeightDecay: 0.05, Decoupled: true}), 0},
				"sgd_nesterov_clip": {NewSGD[float64](SGDConfig{LR: 0.05, Momentum: 0.9, Nesterov: true, WeightDecay: 0.001}), 0.5},
			}
			for name, o := range opts {
				want := g.Steps[name]
				n := goldenNetwork[float64](t, arch, g)
				ws = n.NewWorkspace(batch)
				var losses []float64
				for s := 0; s < 3; s++ {
					n.ZeroGrad()
					logits := n.Forward(ws, x, batch, false, nil)
					d := make([]float64, len(logits))
					losses = append(losses, loss.Loss(logits, g.Labels, batch, d))
					n.Backward(ws, d)
					if o.clip > 0 {
						losses = append(losses, ClipGradNorm(n.Params(), o.clip))
					}
					o.opt.Step(n.Params())
				}
				for i := range want.Losses {
					if !closeTo(losses[i], want.Losses[i], 1e-9, 0) {
						t.Errorf("%s: loss/norm %d = %.15g, PyTorch %.15g", name, i, losses[i], want.Losses[i])
					}
				}
				for i, p := range n.Params() {
					checkSummary(t, name+" "+p.Name, p.Data(), want.Params[i], 1e-9, 1e-12)
				}
			}
		})
	}
}
