package model

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Layer is one stage of a network. A layer holds only parameters (and
// buffers); everything that depends on a call — activations, masks,
// im2col matrices, LSTM gate values — lives in the caller's scratch, so
// one layer serves many goroutines at once, each with its own scratch.
//
// Activations are batches of samples laid out one after another, each
// sample channel-major (In().C channels of In().L positions, position
// fastest). x holds batch*In().Size() values, y batch*Out().Size().
type Layer[T Float] interface {
	// In and Out are the per-sample input and output shapes.
	In() Shape
	Out() Shape
	// Params lists the trainable parameters in a stable order.
	Params() []*Param[T]
	// Buffers lists the non-trainable state that must be saved.
	Buffers() []*Param[T]
	// FLOPs is the forward cost per sample: 2 per multiply-add.
	FLOPs() int64
	// ScratchLen is the scratch a call on batch samples needs.
	ScratchLen(batch int) int
	// Forward computes y from x. train selects training behaviour
	// (batch statistics, dropout) and may update buffers; with train
	// false the layer reads its parameters only.
	Forward(x, y []T, batch int, train bool, scratch []T)
	// Backward takes dy, the gradient of the loss with respect to y, and
	// adds the gradients of the parameters into grads (one slice per
	// Params() entry, same order). When dx is not nil it also writes the
	// gradient with respect to x into dx. x, y, train and scratch must be
	// those of the Forward call it follows.
	Backward(x, y, dy, dx []T, batch int, train bool, scratch []T, grads [][]T)
}

// Sampler is implemented by layers that draw random numbers in training
// (Dropout). The network calls Sample serially, in layer order and for
// the rows in order, before the (possibly parallel) training Forward, so
// that the draws do not depend on how the batch is split.
type Sampler[T Float] interface {
	// Sample draws the random state for rows [0, batch) into scratch.
	Sample(scratch []T, batch int, rng *rand.Rand)
}

// InitScheme selects a weight initialisation.
type InitScheme int

const (
	// Glorot is Glorot/Xavier uniform: U(-b, b), b = sqrt(6/(fanIn+fanOut)).
	Glorot InitScheme = iota
	// He is Kaiming uniform for ReLU: U(-b, b), b = sqrt(6/fanIn).
	He
)

// String names the scheme.
func (s InitScheme) String() string {
	switch s {
	case Glorot:
		return "glorot-uniform"
	case He:
		return "he-uniform"
	}
	return fmt.Sprintf("InitScheme(%d)", int(s))
}

// Initializer is implemented by layers with weights. Init redraws the
// weights from rng with the scheme and sets biases to 0 (the LSTM's
// forget-gate bias to 1).
type Initializer interface {
	Init(scheme InitScheme, rng *rand.Rand)
}

// fillUniform draws w from U(-bound, bound).
func fillUniform[T Float](w []T, bound float64, rng *rand.Rand) {
	for i := range w {
		w[i] = T((2*rng.Float64() - 1) * bound)
	}
}

// initBound is the uniform bound of a scheme.
func initBound(s InitScheme, fanIn, fanOut int) float64 {
	if s == He {
		return math.Sqrt(6 / float64(fanIn))
	}
	return math.Sqrt(6 / float64(fanIn+fanOut))
}

// view is implemented by layers whose output is their input unchanged
// (Flatten); networks let such a layer share its input buffer.
type view interface{ isView() }

// checkLen panics with a clear message when a buffer is too short; it
// guards the exported entry points against caller bugs, which are not
// data errors.
func checkLen(what string, got, want int) {
	if got < want {
		panic(fmt.Sprintf("model: %s has %d values, need %d", what, got, want))
	}
}
