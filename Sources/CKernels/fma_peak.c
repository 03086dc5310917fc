/* The hardware peak of dense float64 products: CPUID features and a kernel of independent FMA
 * chains (see fma_peak.h).
 *
 * Each chain is acc ← acc + m·c with m·c = 1e-10, one vfmadd231pd per chain and iteration. An
 * FMA has a latency of about 4 cycles and a core has 1 or 2 FMA units, so at most 8 chains are
 * in flight; 12 chains (AVX2, 16 ymm registers) and 24 chains (AVX-512, 32 zmm registers) keep
 * every unit busy on any current x86-64 core. The loop is one assembly block, so the chains live
 * in registers whatever the compiler's optimisation level, and nothing but the FMAs, one
 * decrement and one branch run per iteration. */

#include "fma_peak.h"

#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#define CK_FMA_X86 1
#else
#define CK_FMA_X86 0
#endif

#if CK_FMA_X86

/* XCR0, the register state the operating system saves (0 when XGETBV is not enabled). */
static unsigned long long xcr0(int osxsave) {
    if (!osxsave) return 0;
    unsigned int lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

ck_cpu_features ck_cpu_features_read(void) {
    ck_cpu_features f;
    memset(&f, 0, sizeof f);
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return f;
    int base_family = (eax >> 8) & 0xf, ext_family = (eax >> 20) & 0xff;
    int base_model = (eax >> 4) & 0xf, ext_model = (eax >> 16) & 0xf;
    f.family = base_family == 0xf ? base_family + ext_family : base_family;
    f.model = (base_family == 0x6 || base_family == 0xf) ? (ext_model << 4) + base_model : base_model;
    f.stepping = eax & 0xf;
    f.sse2 = (edx >> 26) & 1;
    unsigned long long xcr = xcr0((ecx >> 27) & 1);
    int ymm_state = (xcr & 0x6) == 0x6;
    int zmm_state = ymm_state && (xcr & 0xe0) == 0xe0;
    f.avx = ((ecx >> 28) & 1) && ymm_state;
    f.fma = ((ecx >> 12) & 1) && ymm_state;
    if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) {
        f.avx2 = ((ebx >> 5) & 1) && ymm_state;
        f.avx512f = ((ebx >> 16) & 1) && zmm_state;
        f.avx512dq = ((ebx >> 17) & 1) && zmm_state;
        f.avx512bw = ((ebx >> 30) & 1) && zmm_state;
        f.avx512vl = ((ebx >> 31) & 1) && zmm_state;
    }
    return f;
}

void ck_cpu_names(char *vendor, size_t vendor_len, char *brand, size_t brand_len) {
    char v[13] = {0}, b[49] = {0};
    unsigned int r[4];
    if (__get_cpuid(0, &r[0], &r[1], &r[2], &r[3])) {
        memcpy(v, &r[1], 4); memcpy(v + 4, &r[3], 4); memcpy(v + 8, &r[2], 4);
    }
    if (__get_cpuid(0x80000000, &r[0], &r[1], &r[2], &r[3]) && r[0] >= 0x80000004) {
        for (unsigned int leaf = 0; leaf < 3; leaf++) {
            __get_cpuid(0x80000002 + leaf, &r[0], &r[1], &r[2], &r[3]);
            memcpy(b + 16 * leaf, r, 16);
        }
    }
    /* The brand string is padded with leading spaces on some CPUs. */
    const char *start = b;
    while (*start == ' ') start++;
    if (vendor_len > 0) { strncpy(vendor, v, vendor_len - 1); vendor[vendor_len - 1] = 0; }
    if (brand_len > 0) { strncpy(brand, start, brand_len - 1); brand[brand_len - 1] = 0; }
}

#define CLOCK_CHAIN_ADDS 50
#define CK_STR_(x) #x
#define CK_STR(x) CK_STR_(x)

/* One dependent chain of register additions: each add waits for the previous one, and an
 * integer add has a latency of exactly one cycle on every x86-64 core (Intel and AMD
 * optimisation manuals), so the chain runs at one add per cycle of the core's actual clock. */
long ck_clock_chain(long iterations) {
    if (iterations < 1) return 0;
    long a = 0, b = 1;
    __asm__ volatile(
        "1:\n\t"
        ".rept " CK_STR(CLOCK_CHAIN_ADDS) "\n\t"
        "add %[b], %[a]\n\t"
        ".endr\n\t"
        "dec %[n]\n\t"
        "jnz 1b\n\t"
        : [a] "+r"(a), [n] "+r"(iterations)
        : [b] "r"(b)
        : "cc");
    return a;
}

int ck_clock_chain_adds_per_iteration(void) { return CLOCK_CHAIN_ADDS; }

#define AVX2_CHAINS 12
#define AVX512_CHAINS 24

__attribute__((target("avx2,fma"))) static double avx2_chains(long n) {
    __m256d a[AVX2_CHAINS];
    for (int i = 0; i < AVX2_CHAINS; i++) a[i] = _mm256_set1_pd(1.0 + i);
    __m256d m = _mm256_set1_pd(1e-5), c = _mm256_set1_pd(1e-5);
    __asm__ volatile(
        "1:\n\t"
            "vfmadd231pd %[m], %[c], %[a0]\n\t"
            "vfmadd231pd %[m], %[c], %[a1]\n\t"
            "vfmadd231pd %[m], %[c], %[a2]\n\t"
            "vfmadd231pd %[m], %[c], %[a3]\n\t"
            "vfmadd231pd %[m], %[c], %[a4]\n\t"
            "vfmadd231pd %[m], %[c], %[a5]\n\t"
            "vfmadd231pd %[m], %[c], %[a6]\n\t"
            "vfmadd231pd %[m], %[c], %[a7]\n\t"
            "vfmadd231pd %[m], %[c], %[a8]\n\t"
            "vfmadd231pd %[m], %[c], %[a9]\n\t"
            "vfmadd231pd %[m], %[c], %[a10]\n\t"
            "vfmadd231pd %[m], %[c], %[a11]\n\t"
            "dec %[n]\n\t"
            "jnz 1b\n\t"
        : [a0] "+x"(a[0]), [a1] "+x"(a[1]), [a2] "+x"(a[2]), [a3] "+x"(a[3]), [a4] "+x"(a[4]), [a5] "+x"(a[5]), [a6] "+x"(a[6]), [a7] "+x"(a[7]), [a8] "+x"(a[8]), [a9] "+x"(a[9]), [a10] "+x"(a[10]), [a11] "+x"(a[11]), [n] "+r"(n)
        : [m] "x"(m), [c] "x"(c)
        : "cc");
    __m256d s = a[0];
    for (int i = 1; i < AVX2_CHAINS; i++) s = _mm256_add_pd(s, a[i]);
    double lanes[4];
    _mm256_storeu_pd(lanes, s);
    return lanes[0] + lanes[1] + lanes[2] + lanes[3];
}

__attribute__((target("avx512f"))) static double avx512_chains(long n) {
    __m512d a[AVX512_CHAINS];
    for (int i = 0; i < AVX512_CHAINS; i++) a[i] = _mm512_set1_pd(1.0 + i);
    __m512d m = _mm512_set1_pd(1e-5), c = _mm512_set1_pd(1e-5);
    __asm__ volatile(
        "1:\n\t"
            "vfmadd231pd %[m], %[c], %[a0]\n\t"
            "vfmadd231pd %[m], %[c], %[a1]\n\t"
            "vfmadd231pd %[m], %[c], %[a2]\n\t"
            "vfmadd231pd %[m], %[c], %[a3]\n\t"
            "vfmadd231pd %[m], %[c], %[a4]\n\t"
            "vfmadd231pd %[m], %[c], %[a5]\n\t"
            "vfmadd231pd %[m], %[c], %[a6]\n\t"
            "vfmadd231pd %[m], %[c], %[a7]\n\t"
            "vfmadd231pd %[m], %[c], %[a8]\n\t"
            "vfmadd231pd %[m], %[c], %[a9]\n\t"
            "vfmadd231pd %[m], %[c], %[a10]\n\t"
            "vfmadd231pd %[m], %[c], %[a11]\n\t"
            "vfmadd231pd %[m], %[c], %[a12]\n\t"
            "vfmadd231pd %[m], %[c], %[a13]\n\t"
            "vfmadd231pd %[m], %[c], %[a14]\n\t"
            "vfmadd231pd %[m], %[c], %[a15]\n\t"
            "vfmadd231pd %[m], %[c], %[a16]\n\t"
            "vfmadd231pd %[m], %[c], %[a17]\n\t"
            "vfmadd231pd %[m], %[c], %[a18]\n\t"
            "vfmadd231pd %[m], %[c], %[a19]\n\t"
            "vfmadd231pd %[m], %[c], %[a20]\n\t"
            "vfmadd231pd %[m], %[c], %[a21]\n\t"
            "vfmadd231pd %[m], %[c], %[a22]\n\t"
            "vfmadd231pd %[m], %[c], %[a23]\n\t"
            "dec %[n]\n\t"
            "jnz 1b\n\t"
        : [a0] "+v"(a[0]), [a1] "+v"(a[1]), [a2] "+v"(a[2]), [a3] "+v"(a[3]), [a4] "+v"(a[4]), [a5] "+v"(a[5]), [a6] "+v"(a[6]), [a7] "+v"(a[7]), [a8] "+v"(a[8]), [a9] "+v"(a[9]), [a10] "+v"(a[10]), [a11] "+v"(a[11]), [a12] "+v"(a[12]), [a13] "+v"(a[13]), [a14] "+v"(a[14]), [a15] "+v"(a[15]), [a16] "+v"(a[16]), [a17] "+v"(a[17]), [a18] "+v"(a[18]), [a19] "+v"(a[19]), [a20] "+v"(a[20]), [a21] "+v"(a[21]), [a22] "+v"(a[22]), [a23] "+v"(a[23]), [n] "+r"(n)
        : [m] "v"(m), [c] "v"(c)
        : "cc");
    __m512d s = a[0];
    for (int i = 1; i < AVX512_CHAINS; i++) s = _mm512_add_pd(s, a[i]);
    return _mm512_reduce_add_pd(s);
}

int ck_fma_lanes(ck_fma_isa isa) {
    ck_cpu_features f = ck_cpu_features_read();
    switch (isa) {
    case CK_FMA_AVX2: return f.avx2 && f.fma ? 4 : 0;
    case CK_FMA_AVX512: return f.avx512f ? 8 : 0;
    }
    return 0;
}

int ck_fma_chains_per_iteration(ck_fma_isa isa) {
    switch (isa) {
    case CK_FMA_AVX2: return AVX2_CHAINS;
    case CK_FMA_AVX512: return AVX512_CHAINS;
    }
    return 0;
}

double ck_fma_chains(ck_fma_isa isa, long iterations) {
    if (iterations < 1 || ck_fma_lanes(isa) == 0) return 0;
    switch (isa) {
    case CK_FMA_AVX2: return avx2_chains(iterations);
    case CK_FMA_AVX512: return avx512_chains(iterations);
    }
    return 0;
}

#else /* not x86-64: no CPUID, and no kernel */

ck_cpu_features ck_cpu_features_read(void) {
    ck_cpu_features f;
    memset(&f, 0, sizeof f);
    return f;
}

void ck_cpu_names(char *vendor, size_t vendor_len, char *brand, size_t brand_len) {
    if (vendor_len > 0) vendor[0] = 0;
    if (brand_len > 0) brand[0] = 0;
}

long ck_clock_chain(long iterations) { (void)iterations; return 0; }
int ck_clock_chain_adds_per_iteration(void) { return 0; }
int ck_fma_lanes(ck_fma_isa isa) { (void)isa; return 0; }
int ck_fma_chains_per_iteration(ck_fma_isa isa) { (void)isa; return 0; }
double ck_fma_chains(ck_fma_isa isa, long iterations) { (void)isa; (void)iterations; return 0; }

#endif
