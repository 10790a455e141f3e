package model

import (
	"fmt"
	"math/rand/v2"
)

// ReLU is max(x, 0) elementwise; its gradient at 0 is 0, as PyTorch's.
type ReLU[T Float] struct{ shape Shape }

// NewReLU returns a ReLU over samples of the given shape.
func NewReLU[T Float](shape Shape) *ReLU[T] { return &ReLU[T]{shape} }

// In is the input shape.
func (r *ReLU[T]) In() Shape { return r.shape }

// Out is the output shape, equal to In.
func (r *ReLU[T]) Out() Shape { return r.shape }

// Params returns nil.
func (r *ReLU[T]) Params() []*Param[T] { return nil }

// Buffers returns nil.
func (r *ReLU[T]) Buffers() []*Param[T] { return nil }

// FLOPs is 0.
func (r *ReLU[T]) FLOPs() int64 { return 0 }

// ScratchLen is 0.
func (r *ReLU[T]) ScratchLen(batch int) int { return 0 }

// Forward computes y = max(x, 0).
func (r *ReLU[T]) Forward(x, y []T, batch int, train bool, scratch []T) {
	relu(x[:batch*r.shape.Size()], y)
}

// Backward passes dy where y > 0.
func (r *ReLU[T]) Backward(x, y, dy, dx []T, batch int, train bool, scratch []T, grads [][]T) {
	if dx == nil {
		return
	}
	reluBackward(y[:batch*r.shape.Size()], dy, dx)
}

// Dropout zeroes each value with probability P in training and scales the
// rest by 1/(1-P) (inverted dropout), so that it is the identity at
// inference. The mask is drawn by Sample from the rng of the training
// step; Forward in training mode applies the mask last drawn into its
// scratch.
type Dropout[T Float] struct {
	shape Shape
	p     float64
}

// NewDropout returns a dropout layer; p must be in [0, 1).
func NewDropout[T Float](shape Shape, p float64) (*Dropout[T], error) {
	if !(p >= 0 && p < 1) {
		return nil, fmt.Errorf("model: dropout probability %v is outside [0, 1)", p)
	}
	return &Dropout[T]{shape: shape, p: p}, nil
}

// P is the drop probability.
func (d *Dropout[T]) P() float64 { return d.p }

// In is the input shape.
func (d *Dropout[T]) In() Shape { return d.shape }

// Out is the output shape, equal to In.
func (d *Dropout[T]) Out() Shape { return d.shape }

// Params returns nil.
func (d *Dropout[T]) Params() []*Param[T] { return nil }

// Buffers returns nil.
func (d *Dropout[T]) Buffers() []*Param[T] { return nil }

// FLOPs is 0.
func (d *Dropout[T]) FLOPs() int64 { return 0 }

// ScratchLen holds the mask: 0 or 1/(1-P) per value.
func (d *Dropout[T]) ScratchLen(batch int) int { return batch * d.shape.Size() }

// Sample draws the mask of batch samples: each value is kept when
// rng.Float64() >= P, one draw per value in order.
func (d *Dropout[T]) Sample(scratch []T, batch int, rng *rand.Rand) {
	keep := T(1 / (1 - d.p))
	m := scratch[:batch*d.shape.Size()]
	for i := range m {
		if rng.Float64() >= d.p {
			m[i] = keep
		} else {
			m[i] = 0
		}
	}
}

// Forward multiplies by the mask in training and copies at inference.
func (d *Dropout[T]) Forward(x, y []T, batch int, train bool, scratch []T) {
	n := batch * d.shape.Size()
	if !train {
		copy(y[:n], x[:n])
		return
	}
	m := scratch[:n]
	y = y[:n]
	for i, v := range x[:n] {
		y[i] = v * m[i]
	}
}

// Backward multiplies dy by the mask in training and copies at inference.
func (d *Dropout[T]) Backward(x, y, dy, dx []T, batch int, train bool, scratch []T, grads [][]T) {
	if dx == nil {
		return
	}
	n := batch * d.shape.Size()
	if !train {
		copy(dx[:n], dy[:n])
		return
	}
	m := scratch[:n]
	dx = dx[:n]
	for i, v := range dy[:n] {
		dx[i] = v * m[i]
	}
}

// Flatten turns a C x L sample into C*L features in channel-major order,
// as torch.flatten(1) does on NCL data. Since samples are stored
// channel-major already it moves no data: networks give it its input
// buffer as output.
type Flatten[T Float] struct{ in Shape }

// NewFlatten returns a flatten layer.
func NewFlatten[T Float](in Shape) *Flatten[T] { return &Flatten[T]{in} }

func (f *Flatten[T]) isView() {}

// In is the input shape.
func (f *Flatten[T]) In() Shape { return f.in }

// Out is {C*L, 1}.
func (f *Flatten[T]) Out() Shape { return Shape{f.in.Size(), 1} }

// Params returns nil.
func (f *Flatten[T]) Params() []*Param[T] { return nil }

// Buffers returns nil.
func (f *Flatten[T]) Buffers() []*Param[T] { return nil }

// FLOPs is 0.
func (f *Flatten[T]) FLOPs() int64 { return 0 }

// ScratchLen is 0.
func (f *Flatten[T]) ScratchLen(batch int) int { return 0 }

// Forward copies x to y (nothing when they are the same buffer).
func (f *Flatten[T]) Forward(x, y []T, batch int, train bool, scratch []T) {
	n := batch * f.in.Size()
	if &x[0] != &y[0] {
		copy(y[:n], x[:n])
	}
}

// Backward copies dy to dx (nothing when they are the same buffer).
func (f *Flatten[T]) Backward(x, y, dy, dx []T, batch int, train bool, scratch []T, grads [][]T) {
	n := batch * f.in.Size()
	if dx != nil && &dx[0] != &dy[0] {
		copy(dx[:n], dy[:n])
	}
}
