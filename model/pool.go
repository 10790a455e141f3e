package model

import "fmt"

// MaxPool1D takes the maximum over windows of Kernel positions, Stride
// apart, in each channel, without padding; the output has
// (L-Kernel)/Stride+1 positions (the floor, as PyTorch's MaxPool1d).
// On ties the first maximum in the window wins, in the forward pass and in
// the routing of the gradient, as in PyTorch.
type MaxPool1D[T Float] struct {
	in, out        Shape
	kernel, stride int
}

// NewMaxPool1D returns a pooling layer; stride 0 means stride = kernel.
func NewMaxPool1D[T Float](name string, in Shape, kernel, stride int) (*MaxPool1D[T], error) {
	if stride == 0 {
		stride = kernel
	}
	if in.C < 1 || in.L < 1 || kernel < 1 || stride < 1 {
		return nil, fmt.Errorf("model: %s: invalid max pool (input %v, kernel %d, stride %d)", name, in, kernel, stride)
	}
	if in.L < kernel {
		return nil, fmt.Errorf("model: %s: max pool of %d needs at least %d positions, input has %d", name, kernel, kernel, in.L)
	}
	return &MaxPool1D[T]{in: in, out: Shape{in.C, (in.L-kernel)/stride + 1}, kernel: kernel, stride: stride}, nil
}

// In is the input shape.
func (p *MaxPool1D[T]) In() Shape { return p.in }

// Out is the output shape.
func (p *MaxPool1D[T]) Out() Shape { return p.out }

// Params returns nil.
func (p *MaxPool1D[T]) Params() []*Param[T] { return nil }

// Buffers returns nil.
func (p *MaxPool1D[T]) Buffers() []*Param[T] { return nil }

// FLOPs is 0: pooling has no multiply-adds.
func (p *MaxPool1D[T]) FLOPs() int64 { return 0 }

// ScratchLen is 0: the backward pass finds the maxima again from x and y.
func (p *MaxPool1D[T]) ScratchLen(batch int) int { return 0 }

// Forward takes the window maxima.
func (p *MaxPool1D[T]) Forward(x, y []T, batch int, train bool, scratch []T) {
	rows := batch * p.in.C
	L, lo, K, S := p.in.L, p.out.L, p.kernel, p.stride
	if K == 2 && S == 2 {
		for r := 0; r < rows; r++ {
			src := x[r*L : r*L+2*lo]
			dst := y[r*lo : (r+1)*lo]
			for j := range dst {
				dst[j] = max(src[2*j], src[2*j+1])
			}
		}
		return
	}
	for r := 0; r < rows; r++ {
		src := x[r*L : (r+1)*L]
		dst := y[r*lo : (r+1)*lo]
		for j := range dst {
			w := src[j*S : j*S+K]
			m := w[0]
			for _, v := range w[1:] {
				if v > m {
					m = v
				}
			}
			dst[j] = m
		}
	}
}

// Backward routes each output gradient to the first maximum of its window.
func (p *MaxPool1D[T]) Backward(x, y, dy, dx []T, batch int, train bool, scratch []T, grads [][]T) {
	if dx == nil {
		return
	}
	rows := batch * p.in.C
	L, lo, K, S := p.in.L, p.out.L, p.kernel, p.stride
	if K == 2 && S == 2 {
		for r := 0; r < rows; r++ {
			src := x[r*L : (r+1)*L]
			d := dx[r*L : (r+1)*L]
			g := dy[r*lo : (r+1)*lo]
			for j, gv := range g {
				// Branch-free (a conditional move): pooled values are
				// random, so a branch would mispredict half the time.
				k := 0
				if src[2*j+1] > src[2*j] {
					k = 1
				}
				d[2*j+k], d[2*j+1-k] = gv, 0
			}
			clear(d[2*lo:])
		}
		return
	}
	clear(dx[:rows*L])
	for r := 0; r < rows; r++ {
		src := x[r*L : (r+1)*L]
		d := dx[r*L : (r+1)*L]
		g := dy[r*lo : (r+1)*lo]
		for j, gv := range g {
			w := src[j*S : j*S+K]
			arg := 0
			for i := 1; i < K; i++ {
				if w[i] > w[arg] {
					arg = i
				}
			}
			d[j*S+arg] += gv
		}
	}
}
