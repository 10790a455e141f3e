//go:build cgo

package gemm

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdlib.h>

typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float*, int, const float*, int, float, float*, int);
typedef void (*dgemm_fn)(int, int, int, int, int, int, double, const double*, int, const double*, int, double, double*, int);
typedef void (*set_threads_fn)(int);
typedef char* (*str_fn)(void);

typedef struct {
	sgemm_fn sgemm;
	dgemm_fn dgemm;
	set_threads_fn set_threads;
	str_fn config;
	str_fn corename;
} cnids_blas;

static int cnids_blas_open(const char *path, cnids_blas *b) {
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) return 0;
	b->sgemm = (sgemm_fn)dlsym(h, "cblas_sgemm");
	b->dgemm = (dgemm_fn)dlsym(h, "cblas_dgemm");
	b->set_threads = (set_threads_fn)dlsym(h, "openblas_set_num_threads");
	b->config = (str_fn)dlsym(h, "openblas_get_config");
	b->corename = (str_fn)dlsym(h, "openblas_get_corename");
	if (!b->sgemm || !b->dgemm) { dlclose(h); return 0; }
	return 1;
}

// CblasRowMajor = 101, CblasNoTrans = 111, CblasTrans = 112.
static void cnids_sgemm(cnids_blas *b, int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda, const float *bb, int ldb, float beta, float *c, int ldc) {
	b->sgemm(101, ta ? 112 : 111, tb ? 112 : 111, m, n, k, alpha, a, lda, bb, ldb, beta, c, ldc);
}
static void cnids_dgemm(cnids_blas *b, int ta, int tb, int m, int n, int k, double alpha, const double *a, int lda, const double *bb, int ldb, double beta, double *c, int ldc) {
	b->dgemm(101, ta ? 112 : 111, tb ? 112 : 111, m, n, k, alpha, a, lda, bb, ldb, beta, c, ldc);
}
static void cnids_set_threads(cnids_blas *b, int n) { if (b->set_threads) b->set_threads(n); }
static const char *cnids_config(cnids_blas *b) { return b->config ? b->config() : ""; }
static const char *cnids_corename(cnids_blas *b) { return b->corename ? b->corename() : ""; }
*/
import "C"

import (
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/cpu"
)

type openblas struct {
	b    *C.cnids_blas
	desc string
}

func loadNative() backend {
	if os.Getenv("OPENBLAS_CORETYPE") == "" && cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW &&
		cpu.X86.HasAVX512VL && cpu.X86.HasAVX512DQ && cpu.X86.HasAVX512CD {
		os.Setenv("OPENBLAS_CORETYPE", "SkylakeX")
	}
	b := (*C.cnids_blas)(C.calloc(1, C.size_t(unsafe.Sizeof(C.cnids_blas{}))))
	for _, name := range []string{"libopenblas.so.0", "libopenblas.so"} {
		cs := C.CString(name)
		ok := C.cnids_blas_open(cs, b)
		C.free(unsafe.Pointer(cs))
		if ok != 0 {
			o := &openblas{b: b}
			o.desc = fmt.Sprintf("openblas %s (%s)", C.GoString(C.cnids_config(b)), C.GoString(C.cnids_corename(b)))
			return o
		}
	}
	C.free(unsafe.Pointer(b))
	return nil
}

func cbool(v bool) C.int {
	if v {
		return 1
	}
	return 0
}

// check panics with a clear message on a slice too short for its shape,
// as gonum does; a C library would read out of bounds instead.
func check(what string, t bool, rows, cols, ld, n int) {
	if t {
		rows, cols = cols, rows
	}
	if rows == 0 || cols == 0 {
		return
	}
	if ld < cols || n < (rows-1)*ld+cols {
		panic(fmt.Sprintf("gemm: %s of %d x %d with stride %d needs %d elements, has %d", what, rows, cols, ld, (rows-1)*ld+cols, n))
	}
}

func (o *openblas) sgemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	check("A", tA, m, k, lda, len(a))
	check("B", tB, k, n, ldb, len(b))
	check("C", false, m, n, ldc, len(c))
	pa, pb := &a[0], &b[0]
	C.cnids_sgemm(o.b, cbool(tA), cbool(tB), C.int(m), C.int(n), C.int(k), C.float(alpha),
		(*C.float)(unsafe.Pointer(pa)), C.int(lda), (*C.float)(unsafe.Pointer(pb)), C.int(ldb),
		C.float(beta), (*C.float)(unsafe.Pointer(&c[0])), C.int(ldc))
}

func (o *openblas) dgemm(tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	check("A", tA, m, k, lda, len(a))
	check("B", tB, k, n, ldb, len(b))
	check("C", false, m, n, ldc, len(c))
	pa, pb := &a[0], &b[0]
	C.cnids_dgemm(o.b, cbool(tA), cbool(tB), C.int(m), C.int(n), C.int(k), C.double(alpha),
		(*C.double)(unsafe.Pointer(pa)), C.int(lda), (*C.double)(unsafe.Pointer(pb)), C.int(ldb),
		C.double(beta), (*C.double)(unsafe.Pointer(&c[0])), C.int(ldc))
}

func (o *openblas) setThreads(n int) { C.cnids_set_threads(o.b, C.int(n)) }
func (o *openblas) name() string     { return o.desc }
