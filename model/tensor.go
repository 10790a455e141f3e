package model

import (
	"fmt"

	"gorgonia.org/tensor"
)

// Float is the element type of a network: float32 in production, float64
// for gradient checks.
type Float interface{ float32 | float64 }

// Shape is the shape of one sample's activation: C channels by L
// positions, stored channel-major (C*L values, position fastest), like
// one row of PyTorch's NCL layout. A flat feature vector of F values is
// Shape{F, 1}.
type Shape struct {
	C int `json:"c"`
	L int `json:"l"`
}

// Size is the number of values in one sample, C*L.
func (s Shape) Size() int { return s.C * s.L }

// String formats the shape as "CxL".
func (s Shape) String() string { return fmt.Sprintf("%dx%d", s.C, s.L) }

// Param is one named tensor of a network: a trainable parameter with its
// gradient, or (with Grad nil) a non-trainable buffer such as BatchNorm's
// running statistics. Value and Grad are *tensor.Dense values backed by
// []T; kernels use the backing slices directly (Data, GradData), so the
// tensors must be modified in place and never replaced.
type Param[T Float] struct {
	// Name is unique within a network, e.g. "conv1.weight".
	Name string
	// Value holds the parameter, in PyTorch's shape and order.
	Value *tensor.Dense
	// Grad accumulates the gradient of the loss; nil for buffers.
	Grad *tensor.Dense
	// Decay tells optimisers to apply weight decay: true for the weights
	// of convolutions, dense layers and the LSTM, false for biases,
	// BatchNorm's scale and shift and buffers.
	Decay bool

	v, g []T
}

// newParam allocates a zeroed parameter (and gradient, unless buffer) of
// the given shape.
func newParam[T Float](name string, decay, buffer bool, shape ...int) *Param[T] {
	n := 1
	for _, d := range shape {
		n *= d
	}
	p := &Param[T]{Name: name, Decay: decay, v: make([]T, n)}
	p.Value = tensor.New(tensor.WithShape(shape...), tensor.WithBacking(p.v))
	if !buffer {
		p.g = make([]T, n)
		p.Grad = tensor.New(tensor.WithShape(shape...), tensor.WithBacking(p.g))
	}
	return p
}

// Data returns the backing slice of Value (no allocation).
func (p *Param[T]) Data() []T { return p.v }

// GradData returns the backing slice of Grad, nil for a buffer.
func (p *Param[T]) GradData() []T { return p.g }

// Len is the number of elements.
func (p *Param[T]) Len() int { return len(p.v) }

// Shape is the tensor shape of Value.
func (p *Param[T]) Shape() []int { return []int(p.Value.Shape().Clone()) }

// dtypeOf is the tensor.Dtype of T.
func dtypeOf[T Float]() tensor.Dtype {
	var z T
	if _, ok := any(z).(float32); ok {
		return tensor.Float32
	}
	return tensor.Float64
}

// sliceOf returns the backing slice of a dense tensor of element type T,
// or an error naming what it holds instead.
func sliceOf[T Float](t *tensor.Dense) ([]T, error) {
	if t == nil {
		return nil, fmt.Errorf("nil tensor")
	}
	if t.Dtype() != dtypeOf[T]() {
		return nil, fmt.Errorf("tensor holds %v, want %v", t.Dtype(), dtypeOf[T]())
	}
	if !t.IsNativelyAccessible() || t.IsScalar() {
		return nil, fmt.Errorf("tensor of shape %v is not a plain dense array", t.Shape())
	}
	if t.RequiresIterator() {
		return nil, fmt.Errorf("tensor of shape %v is a strided view; make it contiguous first", t.Shape())
	}
	s, ok := t.Data().([]T)
	if !ok {
		return nil, fmt.Errorf("tensor data is %T", t.Data())
	}
	return s, nil
}
