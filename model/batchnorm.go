package model

import (
	"fmt"
	"math"
)

// BatchNorm normalises each channel: over the batch and all positions for
// conv outputs (C x L samples, as PyTorch's BatchNorm1d on NCL input), and
// over the batch for flat features (F x 1 samples, BatchNorm1d on NC
// input). In training it uses the batch mean and biased variance and
// updates the running statistics, r = (1-Momentum)*r + Momentum*batch,
// with the unbiased variance for the running variance, as PyTorch does;
// at inference it uses the running statistics.
type BatchNorm[T Float] struct {
	shape           Shape
	eps, momentum   float64
	gamma, beta     *Param[T]
	runMean, runVar *Param[T]
	params, buffers []*Param[T]
}

// NewBatchNorm returns a batch normalisation layer with PyTorch's
// defaults: eps 1e-5, momentum 0.1, scale 1, shift 0, running mean 0 and
// running variance 1.
func NewBatchNorm[T Float](name string, shape Shape) (*BatchNorm[T], error) {
	if shape.C < 1 || shape.L < 1 {
		return nil, fmt.Errorf("model: %s: invalid batch norm shape %v", name, shape)
	}
	b := &BatchNorm[T]{shape: shape, eps: 1e-5, momentum: 0.1}
	b.gamma = newParam[T](name+".weight", false, false, shape.C)
	b.beta = newParam[T](name+".bias", false, false, shape.C)
	b.runMean = newParam[T](name+".running_mean", false, true, shape.C)
	b.runVar = newParam[T](name+".running_var", false, true, shape.C)
	for i := range b.gamma.v {
		b.gamma.v[i] = 1
		b.runVar.v[i] = 1
	}
	b.params = []*Param[T]{b.gamma, b.beta}
	b.buffers = []*Param[T]{b.runMean, b.runVar}
	return b, nil
}

// In is the input shape.
func (b *BatchNorm[T]) In() Shape { return b.shape }

// Out is the output shape, equal to In.
func (b *BatchNorm[T]) Out() Shape { return b.shape }

// Params returns the scale (weight) and shift (bias).
func (b *BatchNorm[T]) Params() []*Param[T] { return b.params }

// Buffers returns the running mean and variance.
func (b *BatchNorm[T]) Buffers() []*Param[T] { return b.buffers }

// FLOPs per sample (one multiply-add per value at inference).
func (b *BatchNorm[T]) FLOPs() int64 { return 2 * int64(b.shape.Size()) }

// ScratchLen holds the normalised input and the per-channel 1/std.
func (b *BatchNorm[T]) ScratchLen(batch int) int { return batch*b.shape.Size() + b.shape.C }

// Forward normalises x.
func (b *BatchNorm[T]) Forward(x, y []T, batch int, train bool, scratch []T) {
	C, L := b.shape.C, b.shape.L
	xhat := scratch[:batch*C*L]
	inv := scratch[batch*C*L : batch*C*L+C]
	m := float64(batch * L)
	for c := 0; c < C; c++ {
		var mean, variance float64
		if train {
			var s float64
			for n := 0; n < batch; n++ {
				for _, v := range x[(n*C+c)*L : (n*C+c+1)*L] {
					s += float64(v)
				}
			}
			mean = s / m
			var q float64
			for n := 0; n < batch; n++ {
				for _, v := range x[(n*C+c)*L : (n*C+c+1)*L] {
					d := float64(v) - mean
					q += d * d
				}
			}
			variance = q / m
			unbiased := variance
			if m > 1 {
				unbiased = q / (m - 1)
			}
			mo := b.momentum
			b.runMean.v[c] = T((1-mo)*float64(b.runMean.v[c]) + mo*mean)
			b.runVar.v[c] = T((1-mo)*float64(b.runVar.v[c]) + mo*unbiased)
		} else {
			mean, variance = float64(b.runMean.v[c]), float64(b.runVar.v[c])
		}
		is := T(1 / math.Sqrt(variance+b.eps))
		inv[c] = is
		mu, g, be := T(mean), b.gamma.v[c], b.beta.v[c]
		for n := 0; n < batch; n++ {
			off := (n*C + c) * L
			xs, hs, ys := x[off:off+L], xhat[off:off+L], y[off:off+L]
			for l, v := range xs {
				h := (v - mu) * is
				hs[l] = h
				ys[l] = g*h + be
			}
		}
	}
}

// Backward computes the scale, shift and input gradients.
func (b *BatchNorm[T]) Backward(x, y, dy, dx []T, batch int, train bool, scratch []T, grads [][]T) {
	C, L := b.shape.C, b.shape.L
	xhat := scratch[:batch*C*L]
	inv := scratch[batch*C*L : batch*C*L+C]
	m := float64(batch * L)
	for c := 0; c < C; c++ {
		var sdy, sdyx float64
		for n := 0; n < batch; n++ {
			off := (n*C + c) * L
			hs := xhat[off : off+L]
			for l, g := range dy[off : off+L] {
				sdy += float64(g)
				sdyx += float64(g) * float64(hs[l])
			}
		}
		grads[0][c] += T(sdyx)
		grads[1][c] += T(sdy)
		if dx == nil {
			continue
		}
		k := b.gamma.v[c] * inv[c]
		if !train {
			for n := 0; n < batch; n++ {
				off := (n*C + c) * L
				for l, g := range dy[off : off+L] {
					dx[off+l] = k * g
				}
			}
			continue
		}
		mdy, mdyx := T(sdy/m), T(sdyx/m)
		for n := 0; n < batch; n++ {
			off := (n*C + c) * L
			hs := xhat[off : off+L]
			for l, g := range dy[off : off+L] {
				dx[off+l] = k * (g - mdy - hs[l]*mdyx)
			}
		}
	}
}
