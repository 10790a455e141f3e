#include "textflag.h"

// func pool2AVX2(src, dst *float32, n int, bias float32, args *uint8)
//
// For j < n (a multiple of 8): u0 = src[2j]+bias, u1 = src[2j+1]+bias,
// dst[j] = max(u0, u1, +0) and, when args != nil, args[j] = 1 if u1 > u0
// else 0. Eight outputs per iteration: the 16 inputs are split into even
// and odd lanes (VSHUFPS works within 128-bit halves, so the results come
// out in the order 0 1 4 5 2 3 6 7, which VPERMPD puts right). The eight
// comparison bits become eight 0/1 bytes by multiplication: replicate the
// byte, keep bit i in byte i, carry it to bit 7 and shift down.
TEXT ·pool2AVX2(SB), NOSPLIT, $0-40
	MOVQ         src+0(FP), SI
	MOVQ         dst+8(FP), DI
	MOVQ         n+16(FP), CX
	VBROADCASTSS bias+24(FP), Y7
	MOVQ         args+32(FP), DX
	VXORPS       Y6, Y6, Y6
	MOVQ         $0x0101010101010101, R8
	MOVQ         $0x8040201008040201, R9
	MOVQ         $0x7F7F7F7F7F7F7F7F, R10
	TESTQ        CX, CX
	JZ           done
	TESTQ        DX, DX
	JZ           plain

withargs:
	VADDPS    (SI), Y7, Y0
	VADDPS    32(SI), Y7, Y1
	VSHUFPS   $0x88, Y1, Y0, Y2
	VSHUFPS   $0xDD, Y1, Y0, Y3
	VCMPPS    $0x1E, Y2, Y3, Y4
	VMAXPS    Y3, Y2, Y5
	VMAXPS    Y6, Y5, Y5
	VPERMPD   $0xD8, Y5, Y5
	VPERMPD   $0xD8, Y4, Y4
	VMOVUPS   Y5, (DI)
	VMOVMSKPS Y4, AX
	IMULQ     R8, AX
	ANDQ      R9, AX
	ADDQ      R10, AX
	SHRQ      $7, AX
	ANDQ      R8, AX
	MOVQ      AX, (DX)
	ADDQ      $64, SI
	ADDQ      $32, DI
	ADDQ      $8, DX
	SUBQ      $8, CX
	JNZ       withargs
	JMP       done

plain:
	VADDPS  (SI), Y7, Y0
	VADDPS  32(SI), Y7, Y1
	VSHUFPS $0x88, Y1, Y0, Y2
	VSHUFPS $0xDD, Y1, Y0, Y3
	VMAXPS  Y3, Y2, Y5
	VMAXPS  Y6, Y5, Y5
	VPERMPD $0xD8, Y5, Y5
	VMOVUPS Y5, (DI)
	ADDQ    $64, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JNZ     plain

done:
	VZEROUPPER
	RET
