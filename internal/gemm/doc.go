// Package gemm computes row-major general matrix products,
// C = alpha*op(A)*op(B) + beta*C, in float32 and float64.
//
// Two backends exist. OpenBLAS is used when its shared library
// (libopenblas.so.0, Debian's libopenblas0) can be loaded at run time; it
// is several times faster than pure Go on this workload (about 70-180
// GFLOP/s against 14 on one core of an AVX-512 machine). Otherwise, or
// with CNIDS_BLAS=gonum in the environment, or in builds without cgo, the
// pure-Go gonum implementation is used.
//
// The library is opened with dlopen rather than linked, so that one cnids
// binary runs with or without OpenBLAS installed and picks the fast path
// where it exists. gonum's own cgo binding (gonum.org/v1/netlib) links
// the library at build time and has not been released for current gonum,
// which is why this small binding is written by hand.
//
// OpenBLAS reads OPENBLAS_CORETYPE when it loads. Older releases (Debian
// 12 ships 0.3.21) do not recognise recent AVX-512 CPUs and fall back to
// AVX2 kernels; when the variable is unset and the CPU has the AVX-512
// subsets that OpenBLAS' SkylakeX kernels need, the package sets it to
// SkylakeX before loading. A value set by the user is left alone.
//
// The backend is chosen once, on first use, and never changes afterwards.
package gemm
