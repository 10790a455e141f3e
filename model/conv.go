package model

import (
	"fmt"
	"math/rand/v2"

	"github.com/cnids/cnids/internal/gemm"
)

// Conv1D is a 1-D convolution (cross-correlation, as PyTorch's Conv1d)
// with zero padding: y[n,o,l] = b[o] + sum over c,k of
// w[o,c,k] * x[n,c,l*Stride+k-Padding]. The weight has PyTorch's shape
// (out channels, in channels, kernel).
//
// It is computed as im2col followed by one GEMM per chunk of samples
// (sized to stay in cache): the column matrix has one row per (in
// channel, tap) and one column per (sample, output position), so that
// for stride 1 every row is built from contiguous runs of the input.
type Conv1D[T Float] struct {
	name                    string
	in, out                 Shape
	kernel, stride, padding int
	weight, bias            *Param[T]
	params                  []*Param[T]
}

// NewConv1D returns a convolution of in to filters channels with zeroed
// weights (call Init). It fails when the output would be empty.
func NewConv1D[T Float](name string, in Shape, filters, kernel, stride, padding int) (*Conv1D[T], error) {
	if in.C < 1 || in.L < 1 || filters < 1 || kernel < 1 || stride < 1 || padding < 0 {
		return nil, fmt.Errorf("model: %s: invalid conv1d (input %v, filters %d, kernel %d, stride %d, padding %d)",
			name, in, filters, kernel, stride, padding)
	}
	span := in.L + 2*padding - kernel
	if span < 0 {
		return nil, fmt.Errorf("model: %s: kernel %d is longer than the padded input (%d positions + 2*%d padding)",
			name, kernel, in.L, padding)
	}
	c := &Conv1D[T]{name: name, in: in, out: Shape{filters, span/stride + 1}, kernel: kernel, stride: stride, padding: padding}
	c.weight = newParam[T](name+".weight", true, false, filters, in.C, kernel)
	c.bias = newParam[T](name+".bias", false, false, filters)
	c.params = []*Param[T]{c.weight, c.bias}
	return c, nil
}

// In is the input shape.
func (c *Conv1D[T]) In() Shape { return c.in }

// Out is the output shape.
func (c *Conv1D[T]) Out() Shape { return c.out }

// Params returns weight and bias.
func (c *Conv1D[T]) Params() []*Param[T] { return c.params }

// Buffers returns nil.
func (c *Conv1D[T]) Buffers() []*Param[T] { return nil }

// FLOPs per sample.
func (c *Conv1D[T]) FLOPs() int64 {
	return 2 * int64(c.out.C) * int64(c.out.L) * int64(c.in.C) * int64(c.kernel)
}

// Init draws the weight with the scheme (fan-in C_in*K, fan-out
// C_out*K) and zeroes the bias.
func (c *Conv1D[T]) Init(s InitScheme, rng *rand.Rand) {
	fillUniform(c.weight.v, initBound(s, c.in.C*c.kernel, c.out.C*c.kernel), rng)
	clear(c.bias.v)
}

// convChunk bounds the im2col matrix, the GEMM output and the column
// gradient of one chunk of samples to about this many values (512 KiB in
// float32), so that a chunk's intermediates stay in the core's L2 cache;
// whole-batch intermediates (4 MiB per layer for a batch of 256) went to
// memory and made the passes over them memory-bound.
const convChunk = 128 << 10

// chunkRows is the number of samples convolved at once.
func (c *Conv1D[T]) chunkRows(batch int) int {
	r := convChunk / ((2*c.in.C*c.kernel + c.out.C) * c.out.L)
	return min(max(r, 1), max(batch, 1))
}

// ScratchLen: for one chunk, the column matrix, the GEMM output (reused
// for the output gradient) and the column gradient; and the per-channel
// bias-gradient sums.
func (c *Conv1D[T]) ScratchLen(batch int) int {
	nl := c.chunkRows(batch) * c.out.L
	return 2*c.in.C*c.kernel*nl + c.out.C*nl + c.out.C
}

// split carves a chunk of rows samples out of scratch.
func (c *Conv1D[T]) split(scratch []T, rows int) (col, tmp, dcol, sums []T) {
	nl := rows * c.out.L
	ck := c.in.C * c.kernel
	col, scratch = scratch[:ck*nl], scratch[ck*nl:]
	tmp, scratch = scratch[:c.out.C*nl], scratch[c.out.C*nl:]
	dcol, scratch = scratch[:ck*nl], scratch[ck*nl:]
	return col, tmp, dcol, scratch[:c.out.C]
}

// im2col fills col[(ci*K+k)*NL + n*Lout + l] = x[n, ci, l*S+k-P] (0 in
// the padding).
func (c *Conv1D[T]) im2col(x, col []T, batch int) {
	L, lout, S, P := c.in.L, c.out.L, c.stride, c.padding
	nl := batch * lout
	for ci := 0; ci < c.in.C; ci++ {
		for k := 0; k < c.kernel; k++ {
			row := col[(ci*c.kernel+k)*nl : (ci*c.kernel+k+1)*nl]
			lo, hi := validRange(L, lout, S, k-P)
			for n := 0; n < batch; n++ {
				dst := row[n*lout : (n+1)*lout]
				src := x[(n*c.in.C+ci)*L : (n*c.in.C+ci+1)*L]
				clear(dst[:lo])
				if S == 1 {
					copy(dst[lo:hi], src[lo+k-P:hi+k-P])
				} else {
					for l := lo; l < hi; l++ {
						dst[l] = src[l*S+k-P]
					}
				}
				clear(dst[hi:])
			}
		}
	}
}

// validRange returns the output positions l in [lo, hi) for which
// l*stride+off is inside [0, L).
func validRange(L, lout, stride, off int) (lo, hi int) {
	// l*stride + off >= 0  <=>  l >= ceil(-off/stride)
	if off < 0 {
		lo = (-off + stride - 1) / stride
	}
	// l*stride + off <= L-1  <=>  l <= (L-1-off)/stride
	if L-1-off < 0 {
		hi = 0
	} else {
		hi = (L-1-off)/stride + 1
	}
	hi = min(hi, lout)
	lo = min(lo, hi)
	return lo, hi
}

// Forward computes the convolution, chunk by chunk.
func (c *Conv1D[T]) Forward(x, y []T, batch int, train bool, scratch []T) {
	ch := c.chunkRows(batch)
	lout, cout := c.out.L, c.out.C
	for lo := 0; lo < batch; lo += ch {
		cn := min(ch, batch-lo)
		col, tmp, _, _ := c.split(scratch, cn)
		c.product(x[lo*c.in.Size():], col, tmp, cn)
		nl := cn * lout
		for o := 0; o < cout; o++ {
			b := c.bias.v[o]
			src := tmp[o*nl : (o+1)*nl]
			for n := 0; n < cn; n++ {
				s := src[n*lout : (n+1)*lout]
				d := y[((lo+n)*cout+o)*lout : ((lo+n)*cout+o+1)*lout]
				for l, v := range s {
					d[l] = v + b
				}
			}
		}
	}
}

// product fills col (im2col) and computes tmp = W col, the convolution
// without bias of batch samples, channel-major across them:
// tmp[o*N*Lout + n*Lout + l].
func (c *Conv1D[T]) product(x, col, tmp []T, batch int) {
	c.im2col(x, col, batch)
	nl := batch * c.out.L
	ck := c.in.C * c.kernel
	gemm.Gemm(false, false, c.out.C, nl, ck, 1, c.weight.v, ck, col, nl, 0, tmp, nl)
}

// Backward computes the weight, bias and (when dx != nil) input
// gradients, chunk by chunk, recomputing each chunk's im2col matrix.
func (c *Conv1D[T]) Backward(x, y, dy, dx []T, batch int, train bool, scratch []T, grads [][]T) {
	ch := c.chunkRows(batch)
	lout, cout := c.out.L, c.out.C
	_, _, _, sums := c.split(scratch, ch)
	clear(sums)
	for lo := 0; lo < batch; lo += ch {
		cn := min(ch, batch-lo)
		col, dyc, dcol, _ := c.split(scratch, cn)
		nl := cn * lout
		for o := 0; o < cout; o++ {
			dst := dyc[o*nl : (o+1)*nl]
			sum := sums[o]
			for n := 0; n < cn; n++ {
				s := dy[((lo+n)*cout+o)*lout : ((lo+n)*cout+o+1)*lout]
				d := dst[n*lout : (n+1)*lout]
				for l, v := range s {
					d[l] = v
					sum += v
				}
			}
			sums[o] = sum
		}
		var dxs []T
		if dx != nil {
			dxs = dx[lo*c.in.Size() : (lo+cn)*c.in.Size()]
		}
		c.backwardProduct(x[lo*c.in.Size():], col, dyc, dcol, dxs, cn, grads[0])
	}
	for o, v := range sums {
		grads[1][o] += v
	}
}

// backwardProduct recomputes col from x, adds dW += dyc col^T and, when
// dx != nil, writes dx = col2im(W^T dyc), for batch samples whose output
// gradient dyc is laid out as product's tmp.
func (c *Conv1D[T]) backwardProduct(x, col, dyc, dcol, dx []T, batch int, dw []T) {
	c.im2col(x, col, batch)
	nl := batch * c.out.L
	ck := c.in.C * c.kernel
	cout := c.out.C
	gemm.Gemm(false, true, cout, ck, nl, 1, dyc, nl, col, nl, 1, dw, ck)
	if dx == nil {
		return
	}
	gemm.Gemm(true, false, ck, nl, cout, 1, c.weight.v, ck, dyc, nl, 0, dcol, nl)
	c.col2im(dcol, dx, batch)
}

// col2im is the adjoint of im2col: dx[n, ci, l*S+k-P] += dcol[...].
func (c *Conv1D[T]) col2im(dcol, dx []T, batch int) {
	L, lout, S, P := c.in.L, c.out.L, c.stride, c.padding
	nl := batch * lout
	clear(dx[:batch*c.in.Size()])
	for ci := 0; ci < c.in.C; ci++ {
		for k := 0; k < c.kernel; k++ {
			row := dcol[(ci*c.kernel+k)*nl : (ci*c.kernel+k+1)*nl]
			lo, hi := validRange(L, lout, S, k-P)
			for n := 0; n < batch; n++ {
				src := row[n*lout : (n+1)*lout]
				dst := dx[(n*c.in.C+ci)*L : (n*c.in.C+ci+1)*L]
				if S == 1 {
					d := dst[lo+k-P : hi+k-P]
					s := src[lo:hi]
					for i, v := range s {
						d[i] += v
					}
				} else {
					for l := lo; l < hi; l++ {
						dst[l*S+k-P] += src[l]
					}
				}
			}
		}
	}
}
