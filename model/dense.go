package model

import (
	"fmt"
	"math/rand/v2"

	"github.com/cnids/cnids/internal/gemm"
)

// Dense is a fully connected layer, y = x W^T + b, over the flattened
// input (In().Size() features, channel-major as Flatten orders them). The
// weight has PyTorch's Linear shape (out, in).
type Dense[T Float] struct {
	in, out      Shape
	weight, bias *Param[T]
	params       []*Param[T]
}

// NewDense returns a dense layer with outputs features and zeroed weights.
func NewDense[T Float](name string, in Shape, outputs int) (*Dense[T], error) {
	if in.Size() < 1 || outputs < 1 {
		return nil, fmt.Errorf("model: %s: invalid dense layer (input %v, outputs %d)", name, in, outputs)
	}
	d := &Dense[T]{in: in, out: Shape{outputs, 1}}
	d.weight = newParam[T](name+".weight", true, false, outputs, in.Size())
	d.bias = newParam[T](name+".bias", false, false, outputs)
	d.params = []*Param[T]{d.weight, d.bias}
	return d, nil
}

// In is the input shape.
func (d *Dense[T]) In() Shape { return d.in }

// Out is the output shape, {outputs, 1}.
func (d *Dense[T]) Out() Shape { return d.out }

// Params returns weight and bias.
func (d *Dense[T]) Params() []*Param[T] { return d.params }

// Buffers returns nil.
func (d *Dense[T]) Buffers() []*Param[T] { return nil }

// FLOPs per sample.
func (d *Dense[T]) FLOPs() int64 { return 2 * int64(d.in.Size()) * int64(d.out.C) }

// Init draws the weight with the scheme and zeroes the bias.
func (d *Dense[T]) Init(s InitScheme, rng *rand.Rand) {
	fillUniform(d.weight.v, initBound(s, d.in.Size(), d.out.C), rng)
	clear(d.bias.v)
}

// ScratchLen is 0.
func (d *Dense[T]) ScratchLen(batch int) int { return 0 }

// Forward computes x W^T + b.
func (d *Dense[T]) Forward(x, y []T, batch int, train bool, scratch []T) {
	in, out := d.in.Size(), d.out.C
	y = y[:batch*out]
	for n := 0; n < batch; n++ {
		copy(y[n*out:(n+1)*out], d.bias.v)
	}
	gemm.Gemm(false, true, batch, out, in, 1, x, in, d.weight.v, in, 1, y, out)
}

// Backward computes dW += dy^T x, db += column sums of dy, dx = dy W.
func (d *Dense[T]) Backward(x, y, dy, dx []T, batch int, train bool, scratch []T, grads [][]T) {
	in, out := d.in.Size(), d.out.C
	gemm.Gemm(true, false, out, in, batch, 1, dy, out, x, in, 1, grads[0], in)
	db := grads[1]
	for n := 0; n < batch; n++ {
		for j, v := range dy[n*out : (n+1)*out] {
			db[j] += v
		}
	}
	if dx != nil {
		gemm.Gemm(false, false, batch, in, out, 1, dy, out, d.weight.v, in, 0, dx, in)
	}
}
