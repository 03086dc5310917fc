/* What each kernel file needs for its vector builds: whether this is x86-64, the intrinsics,
 * and the target attributes of the AVX2+FMA and AVX-512 (F + DQ) builds. Which build runs is
 * chosen at run time (ck_selected in ckernels.c), never at compile time. */

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

#endif
