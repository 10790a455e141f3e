package model

import (
	"fmt"
	"math/rand/v2"

	"github.com/cnids/cnids/internal/gemm"
)

// LSTM is a one-layer LSTM over the positions of its input: a C x L
// sample is read as L time steps of C features (PyTorch's
// nn.LSTM(C, H, batch_first=True) applied to x.transpose(1, 2)). The
// output is the last hidden state (H x 1), or with Sequence the hidden
// state of every step as an H x L sample, channel-major like every other
// activation. The initial hidden and cell states are zero.
//
// Gates follow PyTorch's order and equations, with W_ih (4H x C), W_hh
// (4H x H) and two biases b_ih, b_hh split as [i f g o]:
//
//	i = σ(W_ii x + b_ii + W_hi h + b_hi)   f = σ(...)   g = tanh(...)   o = σ(...)
//	c' = f*c + i*g                          h' = o*tanh(c')
//
// Backward is full backpropagation through time. The input projection of
// all steps is one GEMM; each step adds h W_hh^T with one GEMM.
type LSTM[T Float] struct {
	in, out            Shape
	hidden             int
	sequence           bool
	wih, whh, bih, bhh *Param[T]
	params             []*Param[T]
}

// NewLSTM returns an LSTM with hidden units over in (C features, L steps);
// sequence selects the full output sequence instead of the last state.
func NewLSTM[T Float](name string, in Shape, hidden int, sequence bool) (*LSTM[T], error) {
	if in.C < 1 || in.L < 1 || hidden < 1 {
		return nil, fmt.Errorf("model: %s: invalid LSTM (input %v, hidden %d)", name, in, hidden)
	}
	l := &LSTM[T]{in: in, hidden: hidden, sequence: sequence, out: Shape{hidden, 1}}
	if sequence {
		l.out.L = in.L
	}
	l.wih = newParam[T](name+".weight_ih", true, false, 4*hidden, in.C)
	l.whh = newParam[T](name+".weight_hh", true, false, 4*hidden, hidden)
	l.bih = newParam[T](name+".bias_ih", false, false, 4*hidden)
	l.bhh = newParam[T](name+".bias_hh", false, false, 4*hidden)
	l.params = []*Param[T]{l.wih, l.whh, l.bih, l.bhh}
	return l, nil
}

// In is the input shape.
func (l *LSTM[T]) In() Shape { return l.in }

// Out is {H, 1}, or {H, L} with Sequence.
func (l *LSTM[T]) Out() Shape { return l.out }

// Params returns weight_ih, weight_hh, bias_ih, bias_hh (PyTorch's names
// and shapes).
func (l *LSTM[T]) Params() []*Param[T] { return l.params }

// Buffers returns nil.
func (l *LSTM[T]) Buffers() []*Param[T] { return nil }

// FLOPs per sample: the two matrix products of every step.
func (l *LSTM[T]) FLOPs() int64 {
	h := int64(l.hidden)
	return 2 * int64(l.in.L) * 4 * h * (int64(l.in.C) + h)
}

// Init draws each gate's block of both weights with the scheme (fan-in the
// block's columns, fan-out H), zeroes the biases and sets the forget-gate
// part of bias_ih to 1, so that the cell keeps its state early in
// training (Jozefowicz et al., 2015). PyTorch's default initialisation
// differs (uniform ±1/sqrt(H) everywhere).
func (l *LSTM[T]) Init(s InitScheme, rng *rand.Rand) {
	h := l.hidden
	for g := 0; g < 4; g++ {
		fillUniform(l.wih.v[g*h*l.in.C:(g+1)*h*l.in.C], initBound(s, l.in.C, h), rng)
	}
	for g := 0; g < 4; g++ {
		fillUniform(l.whh.v[g*h*h:(g+1)*h*h], initBound(s, h, h), rng)
	}
	clear(l.bih.v)
	clear(l.bhh.v)
	for j := h; j < 2*h; j++ {
		l.bih.v[j] = 1
	}
}

// lstmScratch is the per-call state, time-major ([t][n][...]).
type lstmScratch[T Float] struct {
	xt    []T // inputs, T*N*C (reused for their gradient)
	gates []T // gate activations [i f g o], T*N*4H (then their gradients)
	cs    []T // cell states, T*N*H
	tc    []T // tanh of the cell states, T*N*H
	hs    []T // hidden states, T*N*H
	dh    []T // N*H
	dc    []T // N*H
	dg    []T // gradients of the gate pre-activations, T*N*4H
}

// ScratchLen is the size of all per-step state.
func (l *LSTM[T]) ScratchLen(batch int) int {
	steps, h := l.in.L, l.hidden
	return steps*batch*(l.in.C+8*h+3*h) + 2*batch*h
}

func (l *LSTM[T]) split(s []T, batch int) lstmScratch[T] {
	steps, h := l.in.L, l.hidden
	tn := steps * batch
	var r lstmScratch[T]
	take := func(n int) []T {
		p := s[:n:n]
		s = s[n:]
		return p
	}
	r.xt = take(tn * l.in.C)
	r.gates = take(tn * 4 * h)
	r.cs = take(tn * h)
	r.tc = take(tn * h)
	r.hs = take(tn * h)
	r.dg = take(tn * 4 * h)
	r.dh = take(batch * h)
	r.dc = take(batch * h)
	return r
}

// Forward runs the recurrence over all steps.
func (l *LSTM[T]) Forward(x, y []T, batch int, train bool, scratch []T) {
	s := l.split(scratch, batch)
	C, steps, H := l.in.C, l.in.L, l.hidden
	H4 := 4 * H
	// Transpose x (N, C, T) into xt (T, N, C), writing contiguously and
	// reading within one sample.
	for n := 0; n < batch; n++ {
		xn := x[n*C*steps : (n+1)*C*steps]
		for t := 0; t < steps; t++ {
			dst := s.xt[(t*batch+n)*C : (t*batch+n+1)*C]
			for c := range dst {
				dst[c] = xn[c*steps+t]
			}
		}
	}
	tn := steps * batch
	b0 := s.gates[:H4]
	for j := range b0 {
		b0[j] = l.bih.v[j] + l.bhh.v[j]
	}
	for r := 1; r < tn; r++ {
		copy(s.gates[r*H4:(r+1)*H4], b0)
	}
	gemm.Gemm(false, true, tn, H4, C, 1, s.xt, C, l.wih.v, C, 1, s.gates, H4)
	nh := batch * H
	for t := 0; t < steps; t++ {
		g := s.gates[t*batch*H4 : (t+1)*batch*H4]
		if t > 0 {
			gemm.Gemm(false, true, batch, H4, H, 1, s.hs[(t-1)*nh:t*nh], H, l.whh.v, H, 1, g, H4)
		}
		cs, tc, hs := s.cs[t*nh:(t+1)*nh], s.tc[t*nh:(t+1)*nh], s.hs[t*nh:(t+1)*nh]
		for n := 0; n < batch; n++ {
			gn := g[n*H4 : (n+1)*H4]
			sigmoidSlice(gn[:2*H])
			tanhSlice(gn[2*H : 3*H])
			sigmoidSlice(gn[3*H:])
			gi, gf, gg, go_ := gn[:H], gn[H:2*H], gn[2*H:3*H], gn[3*H:4*H]
			c, th, h := cs[n*H:(n+1)*H], tc[n*H:(n+1)*H], hs[n*H:(n+1)*H]
			for j := range c {
				c[j] = gi[j] * gg[j]
			}
			if t > 0 {
				cp := s.cs[(t-1)*nh+n*H : (t-1)*nh+(n+1)*H]
				for j := range c {
					c[j] += gf[j] * cp[j]
				}
			}
			copy(th, c)
			tanhSlice(th)
			for j := range h {
				h[j] = go_[j] * th[j]
			}
		}
	}
	if !l.sequence {
		copy(y[:nh], s.hs[(steps-1)*nh:steps*nh])
		return
	}
	for n := 0; n < batch; n++ {
		for t := 0; t < steps; t++ {
			hs := s.hs[t*nh+n*H : t*nh+(n+1)*H]
			for j, v := range hs {
				y[(n*H+j)*steps+t] = v
			}
		}
	}
}

// Backward is backpropagation through time.
func (l *LSTM[T]) Backward(x, y, dy, dx []T, batch int, train bool, scratch []T, grads [][]T) {
	s := l.split(scratch, batch)
	C, steps, H := l.in.C, l.in.L, l.hidden
	H4 := 4 * H
	nh := batch * H
	clear(s.dc)
	if l.sequence {
		clear(s.dh)
	} else {
		copy(s.dh, dy[:nh])
	}
	for t := steps - 1; t >= 0; t-- {
		if l.sequence {
			for n := 0; n < batch; n++ {
				for j := 0; j < H; j++ {
					s.dh[n*H+j] += dy[(n*H+j)*steps+t]
				}
			}
		}
		g := s.gates[t*batch*H4 : (t+1)*batch*H4]
		dg := s.dg[t*batch*H4 : (t+1)*batch*H4]
		tc := s.tc[t*nh : (t+1)*nh]
		for n := 0; n < batch; n++ {
			gn, dn := g[n*H4:(n+1)*H4], dg[n*H4:(n+1)*H4]
			dh, dc, th := s.dh[n*H:(n+1)*H], s.dc[n*H:(n+1)*H], tc[n*H:(n+1)*H]
			for j := 0; j < H; j++ {
				i, f, gv, o := gn[j], gn[H+j], gn[2*H+j], gn[3*H+j]
				tcv := th[j]
				dcv := dc[j] + dh[j]*o*(1-tcv*tcv)
				var cprev T
				if t > 0 {
					cprev = s.cs[(t-1)*nh+n*H+j]
				}
				dn[j] = dcv * gv * i * (1 - i)
				dn[H+j] = dcv * cprev * f * (1 - f)
				dn[2*H+j] = dcv * i * (1 - gv*gv)
				dn[3*H+j] = dh[j] * tcv * o * (1 - o)
				dc[j] = dcv * f
			}
		}
		if t > 0 {
			gemm.Gemm(false, false, batch, H, H4, 1, dg, H4, l.whh.v, H, 0, s.dh, H)
		}
	}
	tn := steps * batch
	// Parameter gradients over all steps at once.
	gemm.Gemm(true, false, H4, C, tn, 1, s.dg, H4, s.xt, C, 1, grads[0], C)
	if steps > 1 {
		gemm.Gemm(true, false, H4, H, (steps-1)*batch, 1, s.dg[batch*H4:], H4, s.hs, H, 1, grads[1], H)
	}
	dbi, dbh := grads[2], grads[3]
	for r := 0; r < tn; r++ {
		for j, v := range s.dg[r*H4 : (r+1)*H4] {
			dbi[j] += v
			dbh[j] += v
		}
	}
	if dx == nil {
		return
	}
	gemm.Gemm(false, false, tn, C, H4, 1, s.dg, H4, l.wih.v, C, 0, s.xt, C)
	for n := 0; n < batch; n++ {
		dn := dx[n*C*steps : (n+1)*C*steps]
		for t := 0; t < steps; t++ {
			src := s.xt[(t*batch+n)*C : (t*batch+n+1)*C]
			for c, v := range src {
				dn[c*steps+t] = v
			}
		}
	}
}
