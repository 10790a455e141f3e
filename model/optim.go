package model

import (
	"fmt"
	"math"
)

// Optimizer updates parameters from their accumulated gradients.
// Optimisers keep per-parameter state (moments) keyed by the *Param, so
// a step must always be given the same parameters.
type Optimizer[T Float] interface {
	// Step applies one update to every parameter with a gradient.
	Step(params []*Param[T])
	// SetLR sets the learning rate for the following steps (schedules).
	SetLR(lr float64)
	// LR is the current learning rate.
	LR() float64
}

// SGDConfig configures stochastic gradient descent with momentum, as
// PyTorch's torch.optim.SGD.
type SGDConfig struct {
	// LR is the learning rate.
	LR float64 `json:"lr"`
	// Momentum is the momentum factor (0 for plain SGD).
	Momentum float64 `json:"momentum"`
	// Dampening scales the new gradient in the momentum buffer by
	// (1-Dampening); PyTorch's default is 0.
	Dampening float64 `json:"dampening"`
	// Nesterov selects Nesterov momentum.
	Nesterov bool `json:"nesterov"`
	// WeightDecay adds WeightDecay*p to the gradient of parameters whose
	// Decay flag is set (L2 regularisation).
	WeightDecay float64 `json:"weight_decay"`
}

// AdamConfig configures Adam, as PyTorch's torch.optim.Adam (and AdamW
// with Decoupled).
type AdamConfig struct {
	// LR is the learning rate (PyTorch's default is 1e-3).
	LR float64 `json:"lr"`
	// Beta1 and Beta2 are the moment decay rates; 0 means PyTorch's
	// defaults 0.9 and 0.999.
	Beta1 float64 `json:"beta1"`
	Beta2 float64 `json:"beta2"`
	// Eps is added to the denominator; 0 means 1e-8.
	Eps float64 `json:"eps"`
	// WeightDecay applies to parameters whose Decay flag is set (weights,
	// not biases or BatchNorm): added to the gradient as WeightDecay*p
	// (Adam's L2 form), or with Decoupled applied directly as
	// p -= LR*WeightDecay*p before the Adam update (AdamW).
	WeightDecay float64 `json:"weight_decay"`
	// Decoupled selects AdamW-style decoupled weight decay.
	Decoupled bool `json:"decoupled"`
}

// Validate reports a meaningless configuration.
func (c SGDConfig) Validate() error {
	switch {
	case !(c.LR >= 0) || math.IsInf(c.LR, 0):
		return fmt.Errorf("model: sgd: learning rate %v must be a finite number >= 0", c.LR)
	case !(c.Momentum >= 0):
		return fmt.Errorf("model: sgd: momentum %v must be >= 0", c.Momentum)
	case !(c.WeightDecay >= 0):
		return fmt.Errorf("model: sgd: weight decay %v must be >= 0", c.WeightDecay)
	case c.Nesterov && (c.Momentum <= 0 || c.Dampening != 0):
		return fmt.Errorf("model: sgd: Nesterov momentum requires a momentum and zero dampening")
	}
	return nil
}

// Validate reports a meaningless configuration.
func (c AdamConfig) Validate() error {
	switch {
	case !(c.LR >= 0) || math.IsInf(c.LR, 0):
		return fmt.Errorf("model: adam: learning rate %v must be a finite number >= 0", c.LR)
	case !(c.Beta1 >= 0 && c.Beta1 < 1):
		return fmt.Errorf("model: adam: beta1 %v is outside [0, 1)", c.Beta1)
	case !(c.Beta2 >= 0 && c.Beta2 < 1):
		return fmt.Errorf("model: adam: beta2 %v is outside [0, 1)", c.Beta2)
	case !(c.Eps >= 0):
		return fmt.Errorf("model: adam: eps %v must be >= 0", c.Eps)
	case !(c.WeightDecay >= 0):
		return fmt.Errorf("model: adam: weight decay %v must be >= 0", c.WeightDecay)
	}
	return nil
}

// sgd implements Optimizer with momentum buffers.
type sgd[T Float] struct {
	cfg SGDConfig
	buf map[*Param[T]][]T
}

// NewSGD returns SGD with PyTorch's semantics: with weight decay wd,
// momentum μ and dampening τ, g = grad + wd*p; b = g on the first step and
// b = μ*b + (1-τ)*g after; the update direction is g + μ*b with Nesterov,
// b otherwise (g without momentum); p -= lr*direction. Call
// cfg.Validate first; NewSGD uses the values as they are.
func NewSGD[T Float](cfg SGDConfig) Optimizer[T] {
	return &sgd[T]{cfg: cfg, buf: map[*Param[T]][]T{}}
}

// SetLR sets the learning rate.
func (o *sgd[T]) SetLR(lr float64) { o.cfg.LR = lr }

// LR is the learning rate.
func (o *sgd[T]) LR() float64 { return o.cfg.LR }

// Step updates every parameter that has a gradient.
func (o *sgd[T]) Step(params []*Param[T]) {
	lr, mu, damp := T(o.cfg.LR), T(o.cfg.Momentum), T(1-o.cfg.Dampening)
	for _, p := range params {
		if p.g == nil {
			continue
		}
		wd := T(0)
		if p.Decay {
			wd = T(o.cfg.WeightDecay)
		}
		if mu == 0 {
			for i, g := range p.g {
				p.v[i] -= lr * (g + wd*p.v[i])
			}
			continue
		}
		b, ok := o.buf[p]
		if !ok {
			b = make([]T, len(p.v))
			o.buf[p] = b
		}
		for i, g := range p.g {
			g += wd * p.v[i]
			if ok {
				b[i] = mu*b[i] + damp*g
			} else {
				b[i] = g
			}
			d := b[i]
			if o.cfg.Nesterov {
				d = g + mu*b[i]
			}
			p.v[i] -= lr * d
		}
	}
}

// adam implements Optimizer.
type adam[T Float] struct {
	cfg  AdamConfig
	m, v map[*Param[T]][]T
	t    map[*Param[T]]int
}

// NewAdam returns Adam with PyTorch's semantics (torch.optim.Adam, or
// AdamW with cfg.Decoupled): per parameter, with step count t,
// m = β1 m + (1-β1) g, v = β2 v + (1-β2) g², and
// p -= lr/(1-β1^t) * m / (sqrt(v)/sqrt(1-β2^t) + eps). Weight decay
// applies only to parameters with Decay set (see AdamConfig). Zero
// Beta1, Beta2 and Eps take PyTorch's defaults. Call cfg.Validate first.
func NewAdam[T Float](cfg AdamConfig) Optimizer[T] {
	if cfg.Beta1 == 0 {
		cfg.Beta1 = 0.9
	}
	if cfg.Beta2 == 0 {
		cfg.Beta2 = 0.999
	}
	if cfg.Eps == 0 {
		cfg.Eps = 1e-8
	}
	return &adam[T]{cfg: cfg, m: map[*Param[T]][]T{}, v: map[*Param[T]][]T{}, t: map[*Param[T]]int{}}
}

// SetLR sets the learning rate.
func (o *adam[T]) SetLR(lr float64) { o.cfg.LR = lr }

// LR is the learning rate.
func (o *adam[T]) LR() float64 { return o.cfg.LR }

// Step updates every parameter that has a gradient.
func (o *adam[T]) Step(params []*Param[T]) {
	b1, b2 := o.cfg.Beta1, o.cfg.Beta2
	for _, p := range params {
		if p.g == nil {
			continue
		}
		m, ok := o.m[p]
		if !ok {
			m = make([]T, len(p.v))
			o.m[p] = m
			o.v[p] = make([]T, len(p.v))
		}
		v := o.v[p]
		o.t[p]++
		t := float64(o.t[p])
		bc1 := 1 - math.Pow(b1, t)
		bc2 := 1 - math.Pow(b2, t)
		step := T(o.cfg.LR / bc1)
		sq := T(math.Sqrt(bc2))
		eps := T(o.cfg.Eps)
		wd := T(0)
		if p.Decay {
			wd = T(o.cfg.WeightDecay)
		}
		decay := T(1)
		if o.cfg.Decoupled {
			decay = T(1 - o.cfg.LR*float64(wd))
			wd = 0
		}
		cb1, cb2 := T(1-b1), T(1-b2)
		tb2 := T(b2)
		for i, g := range p.g {
			w := p.v[i]
			g += wd * w
			mi := m[i] + cb1*(g-m[i])
			vi := tb2*v[i] + cb2*g*g
			m[i], v[i] = mi, vi
			p.v[i] = w*decay - step*(mi/(sqrtT(vi)/sq+eps))
		}
	}
}

// ClipGradNorm scales all gradients so that their global L2 norm is at
// most maxNorm, as torch.nn.utils.clip_grad_norm_ (scale
// maxNorm/(norm+1e-6) when norm > maxNorm), and returns the norm before
// clipping. maxNorm <= 0 only measures. The sum of squares runs in
// float64.
func ClipGradNorm[T Float](params []*Param[T], maxNorm float64) float64 {
	var ss float64
	for _, p := range params {
		for _, g := range p.g {
			ss += float64(g) * float64(g)
		}
	}
	norm := math.Sqrt(ss)
	if maxNorm > 0 && norm > maxNorm {
		s := T(maxNorm / (norm + 1e-6))
		for _, p := range params {
			for i := range p.g {
				p.g[i] *= s
			}
		}
	}
	return norm
}

// sqrtT is the square root in T's precision.
func sqrtT[T Float](x T) T { return T(math.Sqrt(float64(x))) }
