//go:build !cgo

package gemm

func loadNative() backend { return nil }
