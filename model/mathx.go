package model

import "math"

// sigmoidSlice applies 1/(1+exp(-x)) to s in place.
func sigmoidSlice[T Float](s []T) {
	if s32, ok := asF32(s); ok {
		for i, v := range s32 {
			s32[i] = 1 / (1 + expCore(min(max(-v, -87), 88)))
		}
		return
	}
	for i, v := range s {
		s[i] = T(1 / (1 + math.Exp(-float64(v))))
	}
}

// tanhSlice applies tanh to s in place; for float32 as 1-2/(exp(2x)+1)
// (absolute error about 1e-7).
func tanhSlice[T Float](s []T) {
	if s32, ok := asF32(s); ok {
		for i, v := range s32 {
			s32[i] = 1 - 2/(expCore(min(max(2*v, -87), 88))+1)
		}
		return
	}
	for i, v := range s {
		s[i] = T(math.Tanh(float64(v)))
	}
}

// exp32 is exp for float32 to about 2 ulp: Cephes' expf (reduction by
// ln 2 rounded to nearest, degree-6 polynomial).
// It is several times faster than math.Exp through float64, which
// matters because the LSTM evaluates 2.5 million of them per batch of
// 256; math32.Exp (the float32 port of math.Exp that gorgonia's tensor
// package depends on) is no faster than math.Exp. Inputs are clamped to
// [-87, 88], where the result is a normal float32; NaN stays NaN.
func exp32(x float32) float32 { return expCore(min(max(x, -87), 88)) }

// expCore is exp32 without the clamp to [-87, 88], small enough for the
// compiler to inline (exp32 in one piece is not, and a call per value
// cost a third of the LSTM's time).
func expCore(x float32) float32 {
	t := x*1.44269504088896341 + 12582912
	n := t - 12582912
	x = x - n*0.693359375 + n*2.12194440e-4
	y := ((((((1.9875691500e-4*x+1.3981999507e-3)*x+8.3334519073e-3)*x+
		4.1665795894e-2)*x+1.6666665459e-1)*x+5.0000001201e-1)*x*x + x + 1)
	return y * math.Float32frombits((math.Float32bits(t)-(0x4B400000-127))<<23)
}
