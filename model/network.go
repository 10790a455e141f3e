package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// Network is a stack of layers from a 1 x inputs (or any C x L) sample to
// one logit per class. Its parameters are read-only during inference, so
// one Network serves any number of goroutines, each with its own
// Workspace; training (Forward with train, Backward, optimiser steps)
// is for one goroutine at a time.
type Network[T Float] struct {
	arch    Arch
	in      Shape
	classes int
	layers  []Layer[T]
	names   []string
	params  []*Param[T]
	buffers []*Param[T]
	pfirst  []int // index in params of each layer's first parameter
	hasBN   bool
	ops     []op[T] // execution plan: layers, or fused conv blocks
}

// op is one step of a network's execution: layers [first, last], run
// one by one (block nil, first == last) or fused as a convBlock.
type op[T Float] struct {
	first, last int
	block       *convBlock[T]
}

// plan groups the layers into ops, fusing Conv1D, ReLU and MaxPool1D
// (pool windows of at most 255) and Conv1D, ReLU unless fuse is false.
func plan[T Float](layers []Layer[T], fuse bool) []op[T] {
	var ops []op[T]
	for i := 0; i < len(layers); i++ {
		if c, ok := layers[i].(*Conv1D[T]); ok && fuse && i+1 < len(layers) {
			if _, ok := layers[i+1].(*ReLU[T]); ok {
				b := &convBlock[T]{conv: c}
				last := i + 1
				if i+2 < len(layers) {
					if p, ok := layers[i+2].(*MaxPool1D[T]); ok && p.kernel <= 255 {
						b.pool = p
						last = i + 2
					}
				}
				ops = append(ops, op[T]{first: i, last: last, block: b})
				i = last
				continue
			}
		}
		ops = append(ops, op[T]{first: i, last: i})
	}
	return ops
}

// NewNetwork chains layers into a network taking in-shaped samples. Each
// layer's In must equal the previous Out, the last Out is the logits
// (classes = its Size()), and parameter names must be unique. The layers
// keep their current weights.
func NewNetwork[T Float](in Shape, layers ...Layer[T]) (*Network[T], error) {
	if len(layers) == 0 {
		return nil, fmt.Errorf("model: a network needs at least one layer")
	}
	n := &Network[T]{in: in}
	s := in
	seen := map[string]bool{}
	for i, l := range layers {
		if l.In() != s {
			return nil, fmt.Errorf("model: layer %d (%T) takes %v, previous output is %v", i, l, l.In(), s)
		}
		s = l.Out()
		n.pfirst = append(n.pfirst, len(n.params))
		for _, p := range l.Params() {
			if seen[p.Name] {
				return nil, fmt.Errorf("model: parameter name %q is used twice", p.Name)
			}
			seen[p.Name] = true
			n.params = append(n.params, p)
		}
		for _, p := range l.Buffers() {
			if seen[p.Name] {
				return nil, fmt.Errorf("model: buffer name %q is used twice", p.Name)
			}
			seen[p.Name] = true
			n.buffers = append(n.buffers, p)
		}
		if _, ok := l.(*BatchNorm[T]); ok {
			n.hasBN = true
		}
	}
	n.layers = layers
	n.classes = s.Size()
	n.ops = plan(layers, true)
	return n, nil
}

// Build makes the network an Arch describes for inputs features and
// classes classes, with weights drawn from rng: He-uniform for layers
// followed by ReLU (convolutions and hidden dense layers), Glorot-uniform
// for the LSTM and the output layer, biases 0 (the LSTM's forget gate 1).
// It fails with a clear error on an invalid architecture, such as one
// that pools a short input down to nothing.
func Build[T Float](a Arch, inputs, classes int, rng *rand.Rand) (*Network[T], error) {
	if _, err := a.NumParams(inputs, classes); err != nil {
		return nil, err
	}
	if rng == nil {
		return nil, fmt.Errorf("model: Build needs a seeded *rand.Rand")
	}
	var layers []Layer[T]
	s := Shape{1, inputs}
	add := func(l Layer[T]) { layers = append(layers, l); s = l.Out() }
	for i, b := range a.Conv {
		c, err := NewConv1D[T](fmt.Sprintf("conv%d", i+1), s, b.Filters, b.Kernel, b.Stride, b.Padding)
		if err != nil {
			return nil, err
		}
		c.Init(He, rng)
		add(c)
		if a.BatchNorm {
			bn, err := NewBatchNorm[T](fmt.Sprintf("bn%d", i+1), s)
			if err != nil {
				return nil, err
			}
			add(bn)
		}
		add(NewReLU[T](s))
		if b.Pool > 1 {
			p, err := NewMaxPool1D[T](fmt.Sprintf("pool%d", i+1), s, b.Pool, b.Pool)
			if err != nil {
				return nil, err
			}
			add(p)
		}
	}
	if a.LSTMHidden > 0 {
		l, err := NewLSTM[T]("lstm", s, a.LSTMHidden, a.LSTMSequence)
		if err != nil {
			return nil, err
		}
		l.Init(Glorot, rng)
		add(l)
	}
	if s.L > 1 {
		add(NewFlatten[T](s))
	}
	for i, w := range a.Dense {
		d, err := NewDense[T](fmt.Sprintf("dense%d", i+1), s, w)
		if err != nil {
			return nil, err
		}
		d.Init(He, rng)
		add(d)
		if a.DenseBatchNorm {
			bn, err := NewBatchNorm[T](fmt.Sprintf("dense%d_bn", i+1), s)
			if err != nil {
				return nil, err
			}
			add(bn)
		}
		add(NewReLU[T](s))
		if a.Dropout > 0 {
			dr, err := NewDropout[T](s, a.Dropout)
			if err != nil {
				return nil, err
			}
			add(dr)
		}
	}
	out, err := NewDense[T](fmt.Sprintf("dense%d", len(a.Dense)+1), s, classes)
	if err != nil {
		return nil, err
	}
	out.Init(Glorot, rng)
	add(out)
	n, err := NewNetwork(Shape{1, inputs}, layers...)
	if err != nil {
		return nil, err
	}
	n.arch = a
	return n, nil
}

// Arch is the architecture the network was built from (zero for
// NewNetwork).
func (n *Network[T]) Arch() Arch { return n.arch }

// Layers returns the layers in order.
func (n *Network[T]) Layers() []Layer[T] { return n.layers }

// InputShape is the shape of one input sample.
func (n *Network[T]) InputShape() Shape { return n.in }

// Inputs is the number of input values per sample.
func (n *Network[T]) Inputs() int { return n.in.Size() }

// Classes is the number of outputs per sample.
func (n *Network[T]) Classes() int { return n.classes }

// Params returns the trainable parameters in a stable order: layer by
// layer, each layer's in its own order (weight before bias, PyTorch's
// order within the LSTM).
func (n *Network[T]) Params() []*Param[T] { return n.params }

// Buffers returns the non-trainable state that must be saved with the
// parameters (BatchNorm's running mean and variance), in layer order.
func (n *Network[T]) Buffers() []*Param[T] { return n.buffers }

// State returns Params followed by Buffers: everything a model file
// stores, in the order LoadState expects.
func (n *Network[T]) State() []*Param[T] {
	s := make([]*Param[T], 0, len(n.params)+len(n.buffers))
	return append(append(s, n.params...), n.buffers...)
}

// NumParams is the number of trainable values.
func (n *Network[T]) NumParams() int {
	c := 0
	for _, p := range n.params {
		c += len(p.v)
	}
	return c
}

// FLOPs is the forward cost of one sample: 2 per multiply-add.
func (n *Network[T]) FLOPs() int64 {
	var f int64
	for _, l := range n.layers {
		f += l.FLOPs()
	}
	return f
}

// ZeroGrad sets every gradient to 0.
func (n *Network[T]) ZeroGrad() {
	for _, p := range n.params {
		clear(p.g)
	}
}

// LoadState sets parameters and buffers from float32 values in State
// order, as a model file stores them. It checks the number of tensors,
// each length, that every value is finite and every running variance
// non-negative, and changes nothing on error.
func (n *Network[T]) LoadState(values [][]float32) error {
	st := n.State()
	if len(values) != len(st) {
		return fmt.Errorf("model: state has %d tensors, the network needs %d", len(values), len(st))
	}
	for i, p := range st {
		if len(values[i]) != len(p.v) {
			return fmt.Errorf("model: tensor %d (%s) has %d values, want %d (shape %v)", i, p.Name, len(values[i]), len(p.v), p.Value.Shape())
		}
		variance := strings.HasSuffix(p.Name, ".running_var")
		for j, v := range values[i] {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return fmt.Errorf("model: tensor %d (%s) value %d is %v", i, p.Name, j, v)
			}
			if variance && v < 0 {
				return fmt.Errorf("model: tensor %d (%s) value %d is a negative variance, %v", i, p.Name, j, v)
			}
		}
	}
	for i, p := range st {
		for j, v := range values[i] {
			p.v[j] = T(v)
		}
	}
	return nil
}

// StateFloat32 returns copies of the State tensors as float32, the form
// LoadState reads.
func (n *Network[T]) StateFloat32() [][]float32 {
	st := n.State()
	out := make([][]float32, len(st))
	for i, p := range st {
		out[i] = make([]float32, len(p.v))
		for j, v := range p.v {
			out[i][j] = float32(v)
		}
	}
	return out
}

// CopyParamsFrom copies parameters and buffers from src, which must have
// the same state layout (names and sizes).
func (n *Network[T]) CopyParamsFrom(src *Network[T]) error { return CopyState(n, src) }

// CopyState copies parameters and buffers between networks of possibly
// different element types (e.g. float64 to float32) with the same state
// layout (names and sizes).
func CopyState[T, U Float](dst *Network[T], src *Network[U]) error {
	d, s := dst.State(), src.State()
	if len(d) != len(s) {
		return fmt.Errorf("model: copy state: %d tensors into %d", len(s), len(d))
	}
	for i := range d {
		if d[i].Name != s[i].Name || len(d[i].v) != len(s[i].v) {
			return fmt.Errorf("model: copy state: tensor %d is %s[%d] in the source and %s[%d] in the destination",
				i, s[i].Name, len(s[i].v), d[i].Name, len(d[i].v))
		}
	}
	for i := range d {
		for j, v := range s[i].v {
			d[i].v[j] = T(v)
		}
	}
	return nil
}
