//go:build !amd64

package model

// pool2Vector has no vector kernel on this architecture.
func pool2Vector(src, dst []float32, args []uint8, bias float32) int { return 0 }
