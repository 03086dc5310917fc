/* What each kernel file needs for its vector builds: whether this is x86-64, the intrinsics,
 * the target attributes of the AVX2+FMA and AVX-512 (F + DQ) builds, and which of them runs.
 * That is chosen at run time (ck_selected in ckernels.c), never at compile time; include
 * ckernels.h first. */

#ifndef CK_VECTOR_TARGETS_H
#define CK_VECTOR_TARGETS_H

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CK_X86 1
#define AVX2 __attribute__((target("avx2,fma")))
#define AVX512 __attribute__((target("avx512f,avx512dq")))
#else
#define CK_X86 0
#endif

/* Which vector build the selected kernel set (ckernels.h) runs: 2 AVX-512, 1 AVX2+FMA, 0 neither. */
static inline int ck_vector_build(void) {
#if CK_X86
    const ck_kernels *selected = ck_selected();
    if (selected == ck_avx512()) return 2;
    if (selected == ck_avx2_fma()) return 1;
#endif
    return 0;
}

#endif
