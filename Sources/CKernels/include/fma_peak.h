#ifndef RITZ_FMA_PEAK_H
#define RITZ_FMA_PEAK_H

/* What the CPU can do for dense float64 products, read from CPUID and measured.
 *
 * The peak of a core is (FMA units) × (SIMD lanes of float64) × 2 flops × clock. CPUID tells
 * the SIMD width and whether FMA exists; the number of FMA units is measured by running many
 * independent chains of fused multiply-adds (more chains than units × latency, so every unit
 * issues one each cycle) and dividing the rate by the clock. */

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* CPU identification and the vector features of this core, each 1 only when the CPU has it and
 * the operating system saves the registers it needs (XGETBV), as CPUID leaves 1 and 7 and
 * XCR0 report them. All zero on a CPU that is not x86-64. */
typedef struct ck_cpu_features {
    int family;      /* display family (base + extended), CPUID leaf 1 EAX */
    int model;       /* display model (extended model folded in) */
    int stepping;
    int sse2;        /* leaf 1 EDX bit 26 */
    int avx;         /* leaf 1 ECX bit 28, with XCR0 bits 1-2 (XMM, YMM state) */
    int fma;         /* leaf 1 ECX bit 12, with the YMM state */
    int avx2;        /* leaf 7 EBX bit 5, with the YMM state */
    int avx512f;     /* leaf 7 EBX bit 16, with XCR0 bits 5-7 (opmask, ZMM state) */
    int avx512dq;    /* leaf 7 EBX bit 17 */
    int avx512bw;    /* leaf 7 EBX bit 30 */
    int avx512vl;    /* leaf 7 EBX bit 31 */
} ck_cpu_features;

/* Reads the features of the calling core. */
ck_cpu_features ck_cpu_features_read(void);

/* Writes the CPU's vendor string (CPUID leaf 0, e.g. "GenuineIntel") and brand string (leaves
 * 0x80000002-4) into the buffers, NUL-terminated and truncated to their lengths; empty strings
 * when CPUID is not available. */
void ck_cpu_names(char *vendor, size_t vendor_len, char *brand, size_t brand_len);

/* Runs `iterations` iterations of `ck_clock_chain_adds_per_iteration()` dependent integer
 * additions (one cycle each), so adds / seconds of thread CPU time is the core's clock while it
 * runs (turbo included, which /proc/cpuinfo does not show on every machine). Returns the chain's
 * value, or 0 on a CPU that is not x86-64 or when `iterations` < 1. */
long ck_clock_chain(long iterations);

/* Dependent additions per iteration of `ck_clock_chain` (0 where it does not run). */
int ck_clock_chain_adds_per_iteration(void);

/* The vector widths that `ck_fma_chains` can run. */
typedef enum ck_fma_isa {
    CK_FMA_AVX2 = 256,   /* 256-bit vfmadd231pd on ymm registers: 4 float64 lanes */
    CK_FMA_AVX512 = 512, /* 512-bit vfmadd231pd on zmm registers: 8 float64 lanes */
} ck_fma_isa;

/* float64 lanes of one instruction of `isa`, or 0 when this CPU (or build) cannot run it. */
int ck_fma_lanes(ck_fma_isa isa);

/* Independent FMA chains one iteration of `ck_fma_chains` advances (one instruction each). */
int ck_fma_chains_per_iteration(ck_fma_isa isa);

/* Runs `iterations` iterations of `ck_fma_chains_per_iteration(isa)` independent vector FMA
 * chains (acc_i ← acc_i + m·c, the loop written in assembly so the chains stay in registers at
 * any optimisation level). Flops done: iterations × chains × lanes × 2.
 *
 * Returns the sum of the accumulators' lanes (so the work cannot be dropped), or 0 when the
 * CPU cannot run `isa` or `iterations` < 1. */
double ck_fma_chains(ck_fma_isa isa, long iterations);

#ifdef __cplusplus
}
#endif

#endif
