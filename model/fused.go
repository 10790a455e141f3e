package model

import "math"

// convBlock runs Conv1D, ReLU and (optionally) MaxPool1D as one step.
// Networks use it wherever those layers follow each other; it computes
// exactly what the three layers compute one after another (same values
// and, for non-overlapping pools, bit-identical gradients), with two
// passes over the convolution output instead of six and without storing
// the intermediate activations:
//
//   - forward: per chunk of samples (see Conv1D), im2col and one GEMM give
//     the pre-activations, channel-major across the chunk; one pass (AVX2
//     for 2-wide pools of float32) adds the bias, takes each window's
//     maximum, applies the ReLU (max and ReLU commute) and writes the
//     pooled output, recording which position of each window won (first
//     maximum, as MaxPool1D).
//   - backward: one pass routes each pooled gradient to its window's
//     winner when the output is positive, straight into the layout the
//     weight-gradient GEMM reads, summing the bias gradient on the way.
type convBlock[T Float] struct {
	conv *Conv1D[T]
	pool *MaxPool1D[T] // nil for Conv1D + ReLU
}

// blockScratch is a convBlock's per-workspace state: the convolution's
// scratch for one chunk of samples and the winner of every window.
type blockScratch[T Float] struct {
	conv []T
	arg  []uint8
}

func (b *convBlock[T]) newScratch(rows int) *blockScratch[T] {
	s := &blockScratch[T]{conv: make([]T, b.conv.ScratchLen(rows))}
	if b.pool != nil {
		s.arg = make([]uint8, rows*b.pool.out.Size())
	}
	return s
}

// forward computes the block; keep records the window winners for a
// backward pass (Predict, which has none, skips them).
func (b *convBlock[T]) forward(x, y []T, batch int, keep bool, s *blockScratch[T]) {
	c := b.conv
	ch := c.chunkRows(batch)
	for lo := 0; lo < batch; lo += ch {
		cn := min(ch, batch-lo)
		col, tmp, _, _ := c.split(s.conv, cn)
		c.product(x[lo*c.in.Size():], col, tmp, cn)
		var args []uint8
		if keep && b.pool != nil {
			args = s.arg[lo*b.pool.out.Size() : (lo+cn)*b.pool.out.Size()]
		}
		b.pass(tmp, y[lo*c.out.C*b.outL():], cn, args)
	}
}

// outL is the number of output positions per channel.
func (b *convBlock[T]) outL() int {
	if b.pool != nil {
		return b.pool.out.L
	}
	return b.conv.out.L
}

// pass turns the pre-activations tmp of rows samples (as product lays
// them out) into the block's output y: bias, ReLU, pooling, and the
// winner of each window into args unless it is nil.
func (b *convBlock[T]) pass(tmp, y []T, rows int, args []uint8) {
	c := b.conv
	lout, cout := c.out.L, c.out.C
	nl := rows * lout
	if b.pool == nil {
		for o := 0; o < cout; o++ {
			bias := c.bias.v[o]
			row := tmp[o*nl : (o+1)*nl]
			for n := 0; n < rows; n++ {
				src := row[n*lout : (n+1)*lout]
				dst := y[(n*cout+o)*lout : (n*cout+o+1)*lout]
				for l, v := range src {
					dst[l] = max(v+bias, 0)
				}
			}
		}
		return
	}
	p := b.pool
	lp := p.out.L
	for o := 0; o < cout; o++ {
		bias := c.bias.v[o]
		row := tmp[o*nl : (o+1)*nl]
		for n := 0; n < rows; n++ {
			off := (n*cout + o) * lp
			var a []uint8
			if args != nil {
				a = args[off : off+lp]
			}
			poolRow(row[n*lout:(n+1)*lout], y[off:off+lp], a, bias, p.kernel, p.stride)
		}
	}
}

// poolRow writes dst[j] = max(0, max over i < K of src[j*S+i]+bias) and
// the first maximum's i into args (unless nil).
func poolRow[T Float](src, dst []T, args []uint8, bias T, K, S int) {
	if K == 2 && S == 2 {
		pool2(src, dst, args, bias)
		return
	}
	for j := range dst {
		w := src[j*S : j*S+K]
		m, k := w[0]+bias, 0
		for i := 1; i < K; i++ {
			if u := w[i] + bias; u > m {
				m, k = u, i
			}
		}
		if args != nil {
			args[j] = uint8(k)
		}
		dst[j] = max(m, 0)
	}
}

// backward computes the gradients of the block, chunk by chunk.
func (b *convBlock[T]) backward(x, y, dy, dx []T, batch int, s *blockScratch[T], grads [][]T) {
	c := b.conv
	ch := c.chunkRows(batch)
	lout, cout := c.out.L, c.out.C
	_, _, _, sums := c.split(s.conv, ch)
	clear(sums)
	for lo := 0; lo < batch; lo += ch {
		cn := min(ch, batch-lo)
		col, dyc, dcol, _ := c.split(s.conv, cn)
		nl := cn * lout
		if b.pool == nil {
			for o := 0; o < cout; o++ {
				row := dyc[o*nl : (o+1)*nl]
				sum := sums[o]
				for n := 0; n < cn; n++ {
					off := ((lo+n)*cout + o) * lout
					dst, g, ys := row[n*lout:(n+1)*lout], dy[off:off+lout], y[off:off+lout]
					for l, v := range ys {
						gv := pick(v > 0, g[l])
						dst[l] = gv
						sum += gv
					}
				}
				sums[o] = sum
			}
		} else {
			p := b.pool
			lp, K, S := p.out.L, p.kernel, p.stride
			clear(dyc[:cout*nl])
			for o := 0; o < cout; o++ {
				row := dyc[o*nl : (o+1)*nl]
				sum := sums[o]
				for n := 0; n < cn; n++ {
					off := ((lo+n)*cout + o) * lp
					dst := row[n*lout : (n+1)*lout]
					g, ys, args := dy[off:off+lp], y[off:off+lp], s.arg[off:off+lp]
					if K == 2 && S == 2 {
						dst = dst[:2*lp]
						for j, v := range ys {
							gv := pick(v > 0, g[j])
							dst[2*j+int(args[j])] = gv
							sum += gv
						}
						continue
					}
					for j, v := range ys {
						gv := pick(v > 0, g[j])
						dst[j*S+int(args[j])] += gv
						sum += gv
					}
				}
				sums[o] = sum
			}
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

// pick returns v when c holds and 0 otherwise, without a branch (the
// condition is random on real activations).
func pick[T Float](c bool, v T) T {
	k := 0
	if c {
		k = 1
	}
	return [2]T{0, v}[k]
}

// pool2 writes dst[j] = max(src[2j]+bias, src[2j+1]+bias, 0) and, when
// args is not nil, which of the two is the first maximum. For float32 the
// ReLU and the maximum work on the bit patterns: after the ReLU both
// values are non-negative, where integer order is float order, so the
// maximum is an integer conditional move instead of float max's NaN and
// signed-zero handling (it gives the same value, NaN included).
//
// With AVX2 (amd64) a vector kernel does all but the last len(dst)%8
// outputs; it gives the same results (tested bit for bit), except that a
// NaN input may come out as 0 instead of NaN.
func pool2[T Float](src, dst []T, args []uint8, bias T) {
	src = src[:2*len(dst)]
	if s32, ok := asF32(src); ok {
		d32, _ := asF32(dst)
		b := float32(bias)
		if k := pool2Vector(s32, d32, args, b); k > 0 {
			s32, d32 = s32[2*k:], d32[k:]
			if args != nil {
				args = args[k:]
			}
			if len(d32) == 0 {
				return
			}
		}
		pool2Scalar32(s32, d32, args, b)
		return
	}
	for j := range dst {
		u0, u1 := src[2*j]+bias, src[2*j+1]+bias
		if args != nil {
			var k uint8
			if u1 > u0 {
				k = 1
			}
			args[j] = k
		}
		dst[j] = max(u0, u1, 0)
	}
}

// pool2Scalar32 is pool2 for float32 without the vector kernel.
func pool2Scalar32(s32, d32 []float32, args []uint8, b float32) {
	s32 = s32[:2*len(d32)]
	if args == nil {
		for j := range d32 {
			u0, u1 := math.Float32bits(s32[2*j]+b), math.Float32bits(s32[2*j+1]+b)
			r0 := u0 &^ uint32(int32(u0)>>31)
			r1 := u1 &^ uint32(int32(u1)>>31)
			d32[j] = math.Float32frombits(max(r0, r1))
		}
		return
	}
	args = args[:len(d32)]
	for j := range d32 {
		f0, f1 := s32[2*j]+b, s32[2*j+1]+b
		var k uint8
		if f1 > f0 {
			k = 1
		}
		args[j] = k
		u0, u1 := math.Float32bits(f0), math.Float32bits(f1)
		r0 := u0 &^ uint32(int32(u0)>>31)
		r1 := u1 &^ uint32(int32(u1)>>31)
		d32[j] = math.Float32frombits(max(r0, r1))
	}
}
