package model

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// pool2AVX2 is pool2's float32 kernel for n (a multiple of 8) outputs,
// in pool2_amd64.s.
//
//go:noescape
func pool2AVX2(src, dst *float32, n int, bias float32, args *uint8)

// pool2Vector runs as much of pool2 as the vector kernel can (a multiple
// of 8 outputs, when the CPU has AVX2) and returns how many outputs it
// did. src holds 2*len(dst) values; args is nil or len(dst) long.
func pool2Vector(src, dst []float32, args []uint8, bias float32) int {
	n := len(dst) &^ 7
	if n == 0 || !cpu.X86.HasAVX2 {
		return 0
	}
	_ = src[2*n-1]
	var a *uint8
	if args != nil {
		_ = args[n-1]
		a = unsafe.SliceData(args)
	}
	pool2AVX2(unsafe.SliceData(src), unsafe.SliceData(dst), n, bias, a)
	return n
}
