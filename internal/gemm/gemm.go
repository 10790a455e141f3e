package gemm

import (
	"os"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Float is the element type of the products.
type Float interface{ float32 | float64 }

// backend is the native implementation, when one could be loaded.
type backend interface {
	sgemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
	dgemm(tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int)
	setThreads(n int)
	name() string
}

var native = sync.OnceValue(func() backend {
	if os.Getenv("CNIDS_BLAS") == "gonum" {
		return nil
	}
	return loadNative()
})

func trans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

// Sgemm computes C = alpha*op(A)*op(B) + beta*C for row-major float32
// matrices, where op(A) is m x k, op(B) is k x n and C is m x n; tA and tB
// select the transposes. lda, ldb and ldc are the row strides.
func Sgemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		scale(m, n, beta, c, ldc)
		return
	}
	if nb := native(); nb != nil {
		nb.sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	gonum.Implementation{}.Sgemm(trans(tA), trans(tB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Dgemm is Sgemm for float64.
func Dgemm(tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		scale(m, n, beta, c, ldc)
		return
	}
	if nb := native(); nb != nil {
		nb.dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	gonum.Implementation{}.Dgemm(trans(tA), trans(tB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// scale sets C = beta*C, the whole product when the inner dimension is 0.
func scale[T Float](m, n int, beta T, c []T, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		for j := range row {
			if beta == 0 {
				row[j] = 0
			} else {
				row[j] *= beta
			}
		}
	}
}

// Gemm dispatches to Sgemm or Dgemm by element type.
func Gemm[T Float](tA, tB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	switch a := any(a).(type) {
	case []float32:
		Sgemm(tA, tB, m, n, k, float32(alpha), a, lda, any(b).([]float32), ldb, float32(beta), any(c).([]float32), ldc)
	case []float64:
		Dgemm(tA, tB, m, n, k, float64(alpha), a, lda, any(b).([]float64), ldb, float64(beta), any(c).([]float64), ldc)
	default:
		panic("gemm: element type must be float32 or float64, not a named type")
	}
}

// Backend describes the implementation in use, for logs and benchmarks:
// "openblas <config> (<core>)" or "gonum (pure Go)".
func Backend() string {
	if nb := native(); nb != nil {
		return nb.name()
	}
	return "gonum (pure Go)"
}

// Native reports whether a native BLAS is in use.
func Native() bool { return native() != nil }

// SetThreads sets the number of threads the native BLAS uses per call.
// It is process-wide; the pure-Go backend is single-threaded per call and
// ignores it. Inference workers that call Gemm concurrently want 1.
func SetThreads(n int) {
	if nb := native(); nb != nil && n > 0 {
		nb.setThreads(n)
	}
}
