package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas/gonum"
)

// naive is the textbook triple loop, in float64, as the reference.
func naive(tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	at := func(i, p int) float64 {
		if tA {
			return a[p*lda+i]
		}
		return a[i*lda+p]
	}
	bt := func(p, j int) float64 {
		if tB {
			return b[j*ldb+p]
		}
		return b[p*ldb+j]
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			s := 0.0
			for p := 0; p < k; p++ {
				s += at(i, p) * bt(p, j)
			}
			c[i*ldc+j] = alpha*s + beta*c[i*ldc+j]
		}
	}
}

func TestGemmAgainstNaive(t *testing.T) {
	t.Logf("backend: %s", Backend())
	rng := rand.New(rand.NewPCG(1, 2))
	shapes := [][3]int{{1, 1, 1}, {3, 5, 7}, {17, 9, 33}, {64, 64, 96}, {5, 3, 0}, {130, 7, 1}}
	for _, sh := range shapes {
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				m, n, k := sh[0], sh[1], sh[2]
				name := fmt.Sprintf("%dx%dx%d/tA=%v/tB=%v", m, n, k, tA, tB)
				lda, ldb := k+2, n+1
				if tA {
					lda = m + 2
				}
				if tB {
					ldb = k + 1
				}
				rowsA, rowsB := m, k
				if tA {
					rowsA = k
				}
				if tB {
					rowsB = n
				}
				a := make([]float64, max(rowsA*lda, 1))
				b := make([]float64, max(rowsB*ldb, 1))
				c := make([]float64, m*(n+3))
				for i := range a {
					a[i] = rng.NormFloat64()
				}
				for i := range b {
					b[i] = rng.NormFloat64()
				}
				for i := range c {
					c[i] = rng.NormFloat64()
				}
				want := append([]float64(nil), c...)
				naive(tA, tB, m, n, k, 0.5, a, lda, b, ldb, 2, want, n+3)
				got := append([]float64(nil), c...)
				Gemm(tA, tB, m, n, k, 0.5, a, lda, b, ldb, 2, got, n+3)
				a32, b32, c32 := f32(a), f32(b), f32(c)
				Gemm(tA, tB, m, n, k, 0.5, a32, lda, b32, ldb, 2, c32, n+3)
				for i := range want {
					if d := math.Abs(got[i] - want[i]); d > 1e-12*(1+math.Abs(want[i]))*float64(k+1) {
						t.Fatalf("%s float64: c[%d] = %g, want %g", name, i, got[i], want[i])
					}
					if d := math.Abs(float64(c32[i]) - want[i]); d > 1e-5*(1+math.Abs(want[i]))*float64(k+1) {
						t.Fatalf("%s float32: c[%d] = %g, want %g", name, i, c32[i], want[i])
					}
				}
			}
		}
	}
}

func f32(x []float64) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(v)
	}
	return out
}

func TestShortSlicePanicsWithMessage(t *testing.T) {
	if !Native() {
		t.Skip("native BLAS not loaded; gonum checks its own arguments")
	}
	defer func() {
		if r := recover(); r == nil {
			t.Fatal("no panic for a short slice")
		}
	}()
	Sgemm(false, false, 4, 4, 4, 1, make([]float32, 15), 4, make([]float32, 16), 4, 0, make([]float32, 16), 4)
}

// BenchmarkSgemm reports GFLOP/s of the shapes the reference CNN uses, for
// the backend in use and for pure-Go gonum.
func BenchmarkSgemm(b *testing.B) {
	shapes := []struct {
		name    string
		m, n, k int
	}{
		{"conv2-fwd-256rows", 256 * 61, 64, 96},
		{"dense1-fwd-256rows", 256, 128, 1920},
		{"square-512", 512, 512, 512},
	}
	for _, sh := range shapes {
		a := make([]float32, sh.m*sh.k)
		bb := make([]float32, sh.k*sh.n)
		c := make([]float32, sh.m*sh.n)
		for i := range a {
			a[i] = float32(i%7) * 0.1
		}
		for i := range bb {
			bb[i] = float32(i%5) * 0.1
		}
		flops := 2 * float64(sh.m) * float64(sh.n) * float64(sh.k)
		b.Run(sh.name+"/"+map[bool]string{true: "native", false: "gonum"}[Native()], func(b *testing.B) {
			for b.Loop() {
				Sgemm(false, false, sh.m, sh.n, sh.k, 1, a, sh.k, bb, sh.n, 0, c, sh.n)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(sh.name+"/gonum", func(b *testing.B) {
			for b.Loop() {
				gonum.Implementation{}.Sgemm('N', 'N', sh.m, sh.n, sh.k, 1, a, sh.k, bb, sh.n, 0, c, sh.n)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
