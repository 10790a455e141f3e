package model

import (
	"math"
	"runtime"
	"testing"

	"golang.org/x/sys/cpu"
)

// TestPool2VectorMatchesScalar: the AVX2 kernel (where the CPU has it)
// gives the scalar results bit for bit, winners included, on ties,
// signed zeros, negatives and every tail length.
func TestPool2VectorMatchesScalar(t *testing.T) {
	if runtime.GOARCH == "amd64" && cpu.X86.HasAVX2 {
		if k := pool2Vector(make([]float32, 34), make([]float32, 17), nil, 0); k != 16 {
			t.Fatalf("the vector kernel did %d of 17 outputs, want 16", k)
		}
	} else {
		t.Log("no AVX2: only the scalar kernel is tested")
	}
	rng := newRand(12)
	negZero := float32(math.Copysign(0, -1))
	for n := 0; n <= 41; n++ {
		src := make([]float32, 2*n)
		for i := range src {
			switch rng.IntN(6) {
			case 0:
				src[i] = 0
			case 1:
				src[i] = negZero
			case 2:
				if i > 0 {
					src[i] = src[i-1] // ties
				}
			default:
				src[i] = float32(rng.NormFloat64())
			}
		}
		for _, bias := range []float32{0, -0.25, 0.5} {
			want := make([]float32, n)
			wantArgs := make([]uint8, n)
			pool2Scalar32(src, want, wantArgs, bias)
			got := make([]float32, n)
			gotArgs := make([]uint8, n)
			for i := range gotArgs {
				gotArgs[i] = 7
			}
			pool2(src, got, gotArgs, bias)
			noArgs := make([]float32, n)
			pool2(src, noArgs, nil, bias)
			for j := range want {
				if math.Float32bits(got[j]) != math.Float32bits(want[j]) || gotArgs[j] != wantArgs[j] ||
					math.Float32bits(noArgs[j]) != math.Float32bits(want[j]) {
					t.Fatalf("n=%d bias=%v j=%d: got %v/%d (%v without winners), want %v/%d (inputs %v %v)",
						n, bias, j, got[j], gotArgs[j], noArgs[j], want[j], wantArgs[j], src[2*j], src[2*j+1])
				}
			}
		}
	}
}
