/* exp, tanh, sigmoid, erf and erfc with runtime dispatch between an AVX-512, an AVX2+FMA and a baseline
 * build (RITZ_CPU_KERNELS can force one the CPU runs; see ckernels.h).
 *
 * Algorithms (shared by all three implementations):
 *   exp: table-driven (Tang 1989). x = (32m + j)·ln2/32 + r, |r| ≤ ln2/64, Cody–Waite split of
 *        ln2/32 (fdlibm's split of ln 2); e^r − 1 ≈ r + r²(1/2 + r/6 + r²/24 + r³/120 + r⁴/720)
 *        (truncation below r⁷/7! < 3e-18); result S + S·(e^r − 1), S = 2^m·2^(j/32). Inside
 *        [−700, 708] S is built by integer addition into the exponent field; outside, x is
 *        clamped to [−746, 710] and 2^m applied in two halves so subnormal results round once
 *        and large x overflows to infinity. NaN propagates. Within 2 ulp everywhere.
 *   tanh: |x| < 0.625: x + x·y·P(y)/Q(y), y = x², Cephes tanh.c (Moshier; 2.5e-16 peak relative
 *        error there); otherwise (e − 1)/(e + 1), e = e^{2|x|} with 2|x| clamped at 40 (tanh is 1
 *        in double precision beyond |x| = 19.1), sign restored. Odd, exact at 0, within 2 ulp.
 *        A NaN x takes the rational branch, where each operation has a single NaN operand (or
 *        two copies of one), so tanh(NaN) is x quieted, whatever operand order the compiler
 *        picks for a fused operation (the other branch could meet two different NaNs, and
 *        which of them propagates depends on that order, hence on the optimisation level).
 *   sigmoid: 1/(1 + e^−x); e^−x = ∞ gives 0.
 *   erf, erfc: fdlibm's s_erf.c (Sun Microsystems 1993, public domain; the ranges and rational
 *        approximations, code written anew). With a = |x| and d = P(t)/Q(t) from the range's
 *        rational (erf_num, erf_den): a < 0.84375, t = x²: erf = x + x·d, erfc = 1 − erf below
 *        a = 1/4, else ½ − (x·d + (x − ½)); a < 1.25, t = a − 1: erf = ±(erx + d), erfc =
 *        (1 − erx) − d or 1 + (erx + d) for x < 0; beyond, t = 1/a²: erfc a = e^(−z² − 0.5625)·
 *        e^((z − a)(z + a) + d)/a, z = a with its low 32 bits cleared (so z² is exact), both exps
 *        by the exp above; erf = ±(1 − erfc a), erfc x = 2 − erfc a for x < 0. a is clamped at 28,
 *        where erfc a underflows to 0 and erf is ±1, so ±∞ give erf ±1, erfc 0 and 2. The vector
 *        builds evaluate one Horner rational with each lane's coefficients permuted in by range
 *        and run the two exps only when some lane is at a ≥ 1.25. NaN is returned as is. Against
 *        glibc: erf within 1 ulp, erfc within 5 ulp in its tail (the two exps' errors add up;
 *        glibc's erfc is itself a few ulp off there), subnormal results within a few units of
 *        the smallest subnormal.
 * The AVX2 build uses fused multiply-adds in the reduction and the polynomials, so its results
 * may differ in the last bit from the baseline build; each stays within 2 ulp of libm (erfc: 6; see above).
 * The AVX-512 build performs the AVX2 build's operations, fused ones included, in the same order
 * on eight lanes instead of four (only table lookups and tail handling differ, and those do not
 * round), so the two agree bit for bit on every input: a machine with AVX-512 gives the same
 * bytes as one with only AVX2+FMA. The tests check this over every range of every function. */

#include "ckernels.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vector_targets.h"

#define LN2BY32_HI (6.93147180369123816490e-01 / 32)
#define LN2BY32_LO (1.90821492927058770002e-10 / 32)
#define LOG2E_TIMES_32 (32 * 1.44269504088896338700e+00)
/* 1.5·2^52: adding and subtracting it rounds to the nearest integer, whose two's complement
 * the low bits of the sum then hold. */
#define ROUND_MAGIC 6755399441055744.0
#define CORE_LOW (-700.0)
#define CORE_HIGH 708.0
/* tanh x = x + x·y·P(y)/Q(y), y = x², for |x| < 0.625 (Cephes tanh.c): P(y) = P2·y² + P1·y + P0,
 * Q(y) = y³ + Q2·y² + Q1·y + Q0. */
#define TANH_P2 (-9.64399179425052238628e-1)
#define TANH_P1 (-9.92877231001918586564e1)
#define TANH_P0 (-1.61468768441708447952e3)
#define TANH_Q2 1.12811678491632931402e2
#define TANH_Q1 2.23548839060100448583e3
#define TANH_Q0 4.84406305325125486048e3

/* erf and erfc (fdlibm s_erf.c): the range limits of |x|, and erx = (float)0.84506291151. */
#define ERF_MID 0.84375
#define ERF_TAIL 1.25
#define ERF_FAR (1 / 0.35)
#define ERF_CLAMP 28.0
#define ERF_ERX 8.45062911510467529297e-01

/* The rational approximations of s_erf.c, one column per range of |x|: P(t)/Q(t) with
 * P(t) = Σ erf_num[k]·t^k and Q(t) = 1 + Σ erf_den[k]·t^(k+1), zero-padded to the longest, so
 * one Horner evaluation with coefficients picked by range serves every lane (a zero leading
 * coefficient leaves the value unchanged: 0·t + c = c). Columns: |x| < 0.84375, t = x²
 * (pp, qq); < 1.25, t = |x| − 1 (pa, qa); < 1/0.35, t = 1/x² (ra, sa); beyond, t = 1/x² (rb, sb). */
static const double erf_num[8][4] __attribute__((aligned(32))) = {
    {1.28379167095512558561e-01, -2.36211856075265944077e-03, -9.86494403484714822705e-03, -9.86494292470009928597e-03},
    {-3.25042107247001499370e-01, 4.14856118683748331666e-01, -6.93858572707181764372e-01, -7.99283237680523006574e-01},
    {-2.84817495755985104766e-02, -3.72207876035701323847e-01, -1.05586262253232909814e+01, -1.77579549177547519889e+01},
    {-5.77027029648944159157e-03, 3.18346619901161753674e-01, -6.23753324503260060396e+01, -1.60636384855821916062e+02},
    {-2.37630166566501626084e-05, -1.10894694282396677476e-01, -1.62396669462573470355e+02, -6.37566443368389627722e+02},
    {0, 3.54783043256182359371e-02, -1.84605092906711035994e+02, -1.02509513161107724954e+03},
    {0, -2.16637559486879084300e-03, -8.12874355063065934246e+01, -4.83519191608651397019e+02},
    {0, 0, -9.81432934416914548592e+00, 0},
};
static const double erf_den[8][4] __attribute__((aligned(32))) = {
    {3.97917223959155352819e-01, 1.06420880400844228286e-01, 1.96512716674392571292e+01, 3.03380607434824582924e+01},
    {6.50222499887672944485e-02, 5.40397917702171048937e-01, 1.37657754143519042600e+02, 3.25792512996573918826e+02},
    {5.08130628187576562776e-03, 7.18286544141962662868e-02, 4.34565877475229228821e+02, 1.53672958608443695994e+03},
    {1.32494738004321644526e-04, 1.26171219808761642112e-01, 6.45387271733267880336e+02, 3.19985821950859553908e+03},
    {-3.96022827877536812320e-06, 1.36370839120290507362e-02, 4.29008140027567833386e+02, 2.55305040643316442583e+03},
    {0, 1.19844998467991074170e-02, 1.08635005541779435134e+02, 4.74528541206955367215e+02},
    {0, 0, 6.57024977031928170135e+00, -2.24409524465858183362e+01},
    {0, 0, -6.04244152148580987438e-02, 0},
};

/* 2^(j/32), j = 0..<32, correctly rounded (Python: float(Decimal(2) ** (Decimal(j) / 32)) at
 * 60 digits). */
static const double table[32] = {
    0x1.0000000000000p+0, 0x1.059b0d3158574p+0, 0x1.0b5586cf9890fp+0, 0x1.11301d0125b51p+0,
    0x1.172b83c7d517bp+0, 0x1.1d4873168b9aap+0, 0x1.2387a6e756238p+0, 0x1.29e9df51fdee1p+0,
    0x1.306fe0a31b715p+0, 0x1.371a7373aa9cbp+0, 0x1.3dea64c123422p+0, 0x1.44e086061892dp+0,
    0x1.4bfdad5362a27p+0, 0x1.5342b569d4f82p+0, 0x1.5ab07dd485429p+0, 0x1.6247eb03a5585p+0,
    0x1.6a09e667f3bcdp+0, 0x1.71f75e8ec5f74p+0, 0x1.7a11473eb0187p+0, 0x1.82589994cce13p+0,
    0x1.8ace5422aa0dbp+0, 0x1.93737b0cdc5e5p+0, 0x1.9c49182a3f090p+0, 0x1.a5503b23e255dp+0,
    0x1.ae89f995ad3adp+0, 0x1.b7f76f2fb5e47p+0, 0x1.c199bdd85529cp+0, 0x1.cb720dcef9069p+0,
    0x1.d5818dcfba487p+0, 0x1.dfc97337b9b5fp+0, 0x1.ea4afa2a490dap+0, 0x1.f50765b6e4540p+0,
};

/* The bits of 2^(j/32) minus j·2^47, so that adding k·2^47 (k = 32m + j) gives the bits of
 * 2^m·2^(j/32). Filled once by table_bits(). */
static int64_t table_bits_storage[32];
static int table_bits_ready;

static const int64_t *table_bits(void) {
    if (!__atomic_load_n(&table_bits_ready, __ATOMIC_ACQUIRE)) {
        for (int j = 0; j < 32; j++) {
            uint64_t b;
            memcpy(&b, &table[j], 8);
            int64_t v = (int64_t)(b - ((uint64_t)j << 47));
            __atomic_store_n(&table_bits_storage[j], v, __ATOMIC_RELAXED);
        }
        __atomic_store_n(&table_bits_ready, 1, __ATOMIC_RELEASE);
    }
    return table_bits_storage;
}

static inline uint64_t bits_of(double x) { uint64_t b; memcpy(&b, &x, 8); return b; }
static inline double double_of(uint64_t b) { double x; memcpy(&x, &b, 8); return x; }

/* ---------------------------------------------------------------------------------------------
 * Baseline: one element at a time, no fused operations. */

#pragma STDC FP_CONTRACT OFF

static inline double base_poly(double r) {
    double r2 = r * r;
    double c0 = 0.5 + r * (1.0 / 6);
    double c1 = (1.0 / 24) + r * (1.0 / 120);
    double c2 = (1.0 / 720) * r2;
    double poly = c0 + r2 * (c1 + c2);
    return r + r2 * poly;
}

static inline double base_exp_core(double x, const int64_t *tb) {
    double shifted = x * LOG2E_TIMES_32 + ROUND_MAGIC;
    double n = shifted - ROUND_MAGIC;
    double r = (x - n * LN2BY32_HI) - n * LN2BY32_LO;
    double q = base_poly(r);
    uint64_t k = bits_of(shifted);
    uint64_t scale_bits = (uint64_t)tb[k & 31] + (k << 47);
    double scale = double_of(scale_bits);
    return scale + scale * q;
}

static double base_exp_wide(double x) {
    if (x != x) return x;
    if (x > 710) x = 710;
    if (x < -746) x = -746;
    double shifted = x * LOG2E_TIMES_32 + ROUND_MAGIC;
    double n = shifted - ROUND_MAGIC;
    double r = (x - n * LN2BY32_HI) - n * LN2BY32_LO;
    double q = base_poly(r);
    int64_t k = (int64_t)n;
    int64_t j = k & 31;
    int64_t m = (k - j) / 32;
    int64_t m1 = m >= 0 ? m / 2 : -((-m + 1) / 2); /* floor(m / 2) */
    int64_t m2 = m - m1;
    double s1 = double_of((uint64_t)(m1 + 1023) << 52);
    double s2 = double_of((uint64_t)(m2 + 1023) << 52);
    double tj = table[j];
    return ((tj + tj * q) * s1) * s2;
}

static inline double base_exp1(double x, const int64_t *tb) {
    if (x >= CORE_LOW && x <= CORE_HIGH) return base_exp_core(x, tb);
    return base_exp_wide(x);
}

static inline double base_tanh1(double x, const int64_t *tb) {
    uint64_t b = bits_of(x);
    uint64_t sign = b & 0x8000000000000000ULL;
    double ax = double_of(b & 0x7FFFFFFFFFFFFFFFULL);
    double magnitude;
    if (!(ax >= 0.625)) { /* NaN too: see the tanh note in the header comment */
        double y = ax * ax;
        double p = TANH_P2;
        p = p * y + TANH_P1;
        p = p * y + TANH_P0;
        double q = y + TANH_Q2;
        q = q * y + TANH_Q1;
        q = q * y + TANH_Q0;
        magnitude = ax + ((ax * y) * p) / q;
    } else {
        double twice = ax > 20 ? 40 : ax + ax;
        double e = base_exp_core(twice, tb);
        magnitude = (e - 1) / (e + 1);
    }
    return double_of(bits_of(magnitude) | sign);
}

/* erf x (complement 0) or erfc x (complement 1), fdlibm's ranges; see the header comment. */
static inline double base_erf1(double x, const int64_t *tb, int complement) {
    if (x != x) return x;
    double a = double_of(bits_of(x) & 0x7FFFFFFFFFFFFFFFULL);
    int range = (a >= ERF_MID) + (a >= ERF_TAIL) + (a >= ERF_FAR);
    double clamped = a > ERF_CLAMP ? ERF_CLAMP : a;
    double t = range == 0 ? x * x : range == 1 ? a - 1 : 1 / (clamped * clamped);
    double p = erf_num[7][range], q = erf_den[7][range];
    for (int k = 6; k >= 0; k--) {
        p = p * t + erf_num[k][range];
        q = q * t + erf_den[k][range];
    }
    q = q * t + 1;
    double d = p / q;
    int negative = x < 0;
    if (range == 0) {
        double e = x + x * d;
        if (!complement) return e;
        return a < 0.25 ? 1 - e : 0.5 - (x * d + (x - 0.5));
    }
    if (range == 1) {
        if (!complement) return negative ? -(ERF_ERX + d) : ERF_ERX + d;
        return negative ? 1 + (ERF_ERX + d) : (1 - ERF_ERX) - d;
    }
    double z = double_of(bits_of(clamped) & 0xFFFFFFFF00000000ULL);
    double r = base_exp1(-z * z - 0.5625, tb) * base_exp1((z - clamped) * (z + clamped) + d, tb);
    double tail = r / clamped; /* erfc |x| */
    if (!complement) return negative ? tail - 1 : 1 - tail;
    return negative ? 2 - tail : tail;
}

static void base_erf_n(const double *x, double *y, ptrdiff_t n) {
    const int64_t *tb = table_bits();
    for (ptrdiff_t i = 0; i < n; i++) y[i] = base_erf1(x[i], tb, 0);
}

static void base_erfc_n(const double *x, double *y, ptrdiff_t n) {
    const int64_t *tb = table_bits();
    for (ptrdiff_t i = 0; i < n; i++) y[i] = base_erf1(x[i], tb, 1);
}

static void base_exp_n(const double *x, double *y, ptrdiff_t n) {
    const int64_t *tb = table_bits();
    for (ptrdiff_t i = 0; i < n; i++) y[i] = base_exp1(x[i], tb);
}

static void base_tanh_n(const double *x, double *y, ptrdiff_t n) {
    const int64_t *tb = table_bits();
    for (ptrdiff_t i = 0; i < n; i++) y[i] = base_tanh1(x[i], tb);
}

static void base_sigmoid_n(const double *x, double *y, ptrdiff_t n) {
    const int64_t *tb = table_bits();
    for (ptrdiff_t i = 0; i < n; i++) y[i] = 1 / (1 + base_exp1(-x[i], tb));
}

static void base_tanh_rows(const double *x, const double *bias, ptrdiff_t rows, ptrdiff_t width,
                           double *out) {
    const int64_t *tb = table_bits();
    for (ptrdiff_t r = 0; r < rows; r++) {
        const double *xr = x + r * width;
        double *o = out + r * width;
        for (ptrdiff_t j = 0; j < width; j++) o[j] = base_tanh1(xr[j] + bias[j], tb);
    }
}

static const ck_kernels baseline_kernels = {
    "baseline", base_exp_n, base_tanh_n, base_sigmoid_n, base_tanh_rows, base_erf_n, base_erfc_n,
};

/* ---------------------------------------------------------------------------------------------
 * AVX2 + FMA: four lanes; tails and scalars go through the same lane function on a padded
 * vector, and lanes never interact, so every entry gives the same bits. */

#if CK_X86

/* The arithmetic both vector builds share, written once so that the AVX2 and AVX-512 builds
 * perform the same operations in the same order: P##_poly, e^r − 1 on the reduced argument;
 * P##_reduce, the range reduction (returns q = e^r − 1 and the bits of the shifted 32·x/ln2);
 * P##_tanh_pq, tanh's P(y) and Q(y); P##_erf_ratio, erf's rational d = P(t)/Q(t) with each lane's
 * coefficients (P##_erf_coefficient, defined before). MM is the intrinsics' prefix (_mm256,
 * _mm512), VD and VI the double and integer vector types, CAST the bit cast between them. */
#define CK_DEFINE_ARITHMETIC(ATTR, MM, VD, VI, CAST, P)                                          \
    ATTR static inline VD P##_poly(VD r) {                                                       \
        VD r2 = MM##_mul_pd(r, r);                                                               \
        VD c0 = MM##_fmadd_pd(r, MM##_set1_pd(1.0 / 6), MM##_set1_pd(0.5));                      \
        VD c1 = MM##_fmadd_pd(r, MM##_set1_pd(1.0 / 120), MM##_set1_pd(1.0 / 24));               \
        VD c2 = MM##_mul_pd(MM##_set1_pd(1.0 / 720), r2);                                        \
        VD poly = MM##_fmadd_pd(r2, MM##_add_pd(c1, c2), c0);                                    \
        return MM##_fmadd_pd(r2, poly, r);                                                       \
    }                                                                                            \
    ATTR static inline VD P##_reduce(VD x, VI *k) {                                              \
        const VD magic = MM##_set1_pd(ROUND_MAGIC);                                              \
        VD shifted = MM##_fmadd_pd(x, MM##_set1_pd(LOG2E_TIMES_32), magic);                      \
        VD n = MM##_sub_pd(shifted, magic);                                                      \
        VD r = MM##_fnmadd_pd(n, MM##_set1_pd(LN2BY32_HI), x);                                   \
        r = MM##_fnmadd_pd(n, MM##_set1_pd(LN2BY32_LO), r);                                      \
        *k = CAST(shifted);                                                                      \
        return P##_poly(r);                                                                      \
    }                                                                                            \
    ATTR static inline void P##_tanh_pq(VD y, VD *p, VD *q) {                                    \
        *p = MM##_fmadd_pd(MM##_set1_pd(TANH_P2), y, MM##_set1_pd(TANH_P1));                     \
        *p = MM##_fmadd_pd(*p, y, MM##_set1_pd(TANH_P0));                                        \
        *q = MM##_add_pd(y, MM##_set1_pd(TANH_Q2));                                              \
        *q = MM##_fmadd_pd(*q, y, MM##_set1_pd(TANH_Q1));                                        \
        *q = MM##_fmadd_pd(*q, y, MM##_set1_pd(TANH_Q0));                                        \
    }                                                                                            \
    ATTR static inline VD P##_erf_ratio(VD t, VI index) {                                        \
        VD p = P##_erf_coefficient(erf_num[7], index), q = P##_erf_coefficient(erf_den[7], index); \
        for (int k = 6; k >= 0; k--) {                                                           \
            p = MM##_fmadd_pd(p, t, P##_erf_coefficient(erf_num[k], index));                     \
            q = MM##_fmadd_pd(q, t, P##_erf_coefficient(erf_den[k], index));                     \
        }                                                                                        \
        q = MM##_fmadd_pd(q, t, MM##_set1_pd(1));                                                \
        return MM##_div_pd(p, q);                                                                \
    }

/* erf's coefficient row k for each lane's range (0–3 in each 64-bit lane): a permute of the
 * four 32-bit pairs holding the row, `pairs` the pair indices 2·range, 2·range + 1. */
AVX2 static inline __m256d v_erf_coefficient(const double *row, __m256i pairs) {
    return _mm256_castps_pd(_mm256_permutevar8x32_ps(_mm256_castpd_ps(_mm256_load_pd(row)), pairs));
}

CK_DEFINE_ARITHMETIC(AVX2, _mm256, __m256d, __m256i, _mm256_castpd_si256, v)

AVX2 static inline __m256d v_exp_core(__m256d x, const int64_t *tb) {
    __m256i k;
    __m256d q = v_reduce(x, &k);
    __m256i j = _mm256_and_si256(k, _mm256_set1_epi64x(31));
    __m256i tail = _mm256_i64gather_epi64((const long long *)tb, j, 8);
    __m256d scale = _mm256_castsi256_pd(_mm256_add_epi64(tail, _mm256_slli_epi64(k, 47)));
    return _mm256_fmadd_pd(scale, q, scale);
}

AVX2 __attribute__((noinline)) static __m256d v_exp_wide(__m256d xin, const int64_t *tb) {
    __m256d in_core = _mm256_and_pd(_mm256_cmp_pd(xin, _mm256_set1_pd(CORE_LOW), _CMP_GE_OQ),
                                    _mm256_cmp_pd(xin, _mm256_set1_pd(CORE_HIGH), _CMP_LE_OQ));
    __m256d core = v_exp_core(_mm256_blendv_pd(_mm256_setzero_pd(), xin, in_core), tb);
    __m256d x = _mm256_blendv_pd(xin, _mm256_set1_pd(710), _mm256_cmp_pd(xin, _mm256_set1_pd(710), _CMP_GT_OQ));
    x = _mm256_blendv_pd(x, _mm256_set1_pd(-746), _mm256_cmp_pd(xin, _mm256_set1_pd(-746), _CMP_LT_OQ));
    __m256d nan = _mm256_cmp_pd(xin, xin, _CMP_UNORD_Q);
    x = _mm256_blendv_pd(x, _mm256_setzero_pd(), nan);
    __m256i kb;
    __m256d q = v_reduce(x, &kb);
    /* k = 32m + j in [−34440, 32780]; AVX2 has no 64-bit arithmetic shift, so floor divisions
     * are done on k + 65536 ≥ 0 and the offset removed. */
    __m256i k = _mm256_sub_epi64(kb, _mm256_set1_epi64x((long long)bits_of(ROUND_MAGIC)));
    __m256i j = _mm256_and_si256(k, _mm256_set1_epi64x(31));
    __m256d tj = _mm256_i64gather_pd(table, j, 8);
    __m256i m = _mm256_sub_epi64(_mm256_srli_epi64(_mm256_add_epi64(k, _mm256_set1_epi64x(65536)), 5),
                                 _mm256_set1_epi64x(2048));
    __m256i m1 = _mm256_sub_epi64(_mm256_srli_epi64(_mm256_add_epi64(m, _mm256_set1_epi64x(2048)), 1),
                                  _mm256_set1_epi64x(1024));
    __m256i m2 = _mm256_sub_epi64(m, m1);
    __m256i bias = _mm256_set1_epi64x(1023);
    __m256d s1 = _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_add_epi64(m1, bias), 52));
    __m256d s2 = _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_add_epi64(m2, bias), 52));
    __m256d result = _mm256_mul_pd(_mm256_mul_pd(_mm256_fmadd_pd(tj, q, tj), s1), s2);
    result = _mm256_blendv_pd(result, xin, nan);
    return _mm256_blendv_pd(result, core, in_core);
}

AVX2 static inline __m256d v_exp(__m256d x, const int64_t *tb) {
    __m256d ok = _mm256_and_pd(_mm256_cmp_pd(x, _mm256_set1_pd(CORE_LOW), _CMP_GE_OQ),
                               _mm256_cmp_pd(x, _mm256_set1_pd(CORE_HIGH), _CMP_LE_OQ));
    if (__builtin_expect(_mm256_movemask_pd(ok) == 0xF, 1)) return v_exp_core(x, tb);
    return v_exp_wide(x, tb);
}

AVX2 static inline __m256d v_tanh(__m256d x, const int64_t *tb) {
    const __m256d sign_mask = _mm256_set1_pd(-0.0);
    __m256d sign = _mm256_and_pd(x, sign_mask);
    __m256d ax = _mm256_andnot_pd(sign_mask, x);
    /* NaN takes the rational branch (|x| < 0.625 or unordered), where every operation has
     * one NaN operand or two equal ones, so the result is x's NaN whatever the operand order. */
    __m256d small = _mm256_cmp_pd(ax, _mm256_set1_pd(0.625), _CMP_NGE_UQ);
    __m256d twice = _mm256_blendv_pd(_mm256_add_pd(ax, ax), _mm256_set1_pd(40),
                                     _mm256_cmp_pd(ax, _mm256_set1_pd(20), _CMP_GT_OQ));
    __m256d e = v_exp_core(twice, tb);
    __m256d y = _mm256_mul_pd(ax, ax);
    __m256d p, q;
    v_tanh_pq(y, &p, &q);
    const __m256d one = _mm256_set1_pd(1);
    __m256d num = _mm256_blendv_pd(_mm256_sub_pd(e, one), _mm256_mul_pd(_mm256_mul_pd(ax, y), p), small);
    __m256d den = _mm256_blendv_pd(_mm256_add_pd(e, one), q, small);
    __m256d magnitude = _mm256_add_pd(_mm256_and_pd(ax, small), _mm256_div_pd(num, den));
    return _mm256_or_pd(magnitude, sign);
}

AVX2 static inline __m256d v_sigmoid(__m256d x, const int64_t *tb) {
    const __m256d one = _mm256_set1_pd(1);
    __m256d e = v_exp(_mm256_xor_pd(x, _mm256_set1_pd(-0.0)), tb);
    return _mm256_div_pd(one, _mm256_add_pd(one, e));
}

/* erf x (complement 0) or erfc x (complement 1) on four lanes; see the header comment. The
 * exps of the tail run only when some lane is in it. */
AVX2 static inline __m256d v_erf_any(__m256d x, const int64_t *tb, int complement) {
    const __m256d sign_mask = _mm256_set1_pd(-0.0);
    const __m256d one = _mm256_set1_pd(1);
    __m256d sign = _mm256_and_pd(x, sign_mask);
    __m256d a = _mm256_andnot_pd(sign_mask, x);
    __m256d mid = _mm256_cmp_pd(a, _mm256_set1_pd(ERF_MID), _CMP_GE_OQ);
    __m256d tail = _mm256_cmp_pd(a, _mm256_set1_pd(ERF_TAIL), _CMP_GE_OQ);
    __m256d far = _mm256_cmp_pd(a, _mm256_set1_pd(ERF_FAR), _CMP_GE_OQ);
    /* Each true comparison is −1 as an integer: range = −(mid + tail + far). */
    __m256i range = _mm256_sub_epi64(_mm256_setzero_si256(),
                                     _mm256_add_epi64(_mm256_add_epi64(_mm256_castpd_si256(mid), _mm256_castpd_si256(tail)),
                                                      _mm256_castpd_si256(far)));
    __m256i low = _mm256_slli_epi64(range, 1);
    __m256i pairs = _mm256_or_si256(low, _mm256_slli_epi64(_mm256_add_epi64(low, _mm256_set1_epi64x(1)), 32));
    int any_tail = _mm256_movemask_pd(tail) != 0;
    __m256d clamped = _mm256_min_pd(a, _mm256_set1_pd(ERF_CLAMP));
    __m256d t = _mm256_blendv_pd(_mm256_mul_pd(x, x), _mm256_sub_pd(a, one), mid);
    if (any_tail) t = _mm256_blendv_pd(t, _mm256_div_pd(one, _mm256_mul_pd(clamped, clamped)), tail);
    __m256d d = v_erf_ratio(t, pairs);
    __m256d erx = _mm256_set1_pd(ERF_ERX);
    __m256d small_erf = _mm256_fmadd_pd(x, d, x);
    __m256d result;
    if (!complement) {
        result = _mm256_add_pd(erx, d);
    } else {
        __m256d half = _mm256_set1_pd(0.5);
        __m256d below_quarter = _mm256_cmp_pd(a, _mm256_set1_pd(0.25), _CMP_LT_OQ);
        __m256d small = _mm256_blendv_pd(_mm256_sub_pd(half, _mm256_fmadd_pd(x, d, _mm256_sub_pd(x, half))),
                                         _mm256_sub_pd(one, small_erf), below_quarter);
        __m256d middle = _mm256_blendv_pd(_mm256_sub_pd(_mm256_set1_pd(1 - ERF_ERX), d),
                                          _mm256_add_pd(one, _mm256_add_pd(erx, d)), x);
        result = _mm256_blendv_pd(small, middle, mid);
    }
    if (any_tail) {
        __m256d z = _mm256_and_pd(clamped, _mm256_castsi256_pd(_mm256_set1_epi64x((long long)0xFFFFFFFF00000000ULL)));
        __m256d e1 = v_exp(_mm256_fnmsub_pd(z, z, _mm256_set1_pd(0.5625)), tb);
        __m256d e2 = v_exp(_mm256_fmadd_pd(_mm256_sub_pd(z, clamped), _mm256_add_pd(z, clamped), d), tb);
        __m256d tail_value = _mm256_div_pd(_mm256_mul_pd(e1, e2), clamped); /* erfc |x| */
        __m256d far_value = complement
            ? _mm256_blendv_pd(tail_value, _mm256_sub_pd(_mm256_set1_pd(2), tail_value), x)
            : _mm256_sub_pd(one, tail_value);
        result = _mm256_blendv_pd(result, far_value, tail);
    }
    if (!complement) result = _mm256_blendv_pd(small_erf, _mm256_or_pd(result, sign), mid);
    return _mm256_blendv_pd(result, x, _mm256_cmp_pd(x, x, _CMP_UNORD_Q));
}

AVX2 static inline __m256d v_erf(__m256d x, const int64_t *tb) { return v_erf_any(x, tb, 0); }
AVX2 static inline __m256d v_erfc(__m256d x, const int64_t *tb) { return v_erf_any(x, tb, 1); }

/* Loads the last n < 4 values into a zero-padded vector. */
AVX2 static inline __m256d v_load_tail(const double *x, ptrdiff_t n) {
    double t[4] = {0, 0, 0, 0};
    for (ptrdiff_t i = 0; i < n; i++) t[i] = x[i];
    return _mm256_loadu_pd(t);
}

AVX2 static inline void v_store_tail(__m256d v, double *y, ptrdiff_t n) {
    double t[4];
    _mm256_storeu_pd(t, v);
    for (ptrdiff_t i = 0; i < n; i++) y[i] = t[i];
}

#define CK_MAP(NAME, LANE)                                                                       \
    AVX2 static void NAME(const double *x, double *y, ptrdiff_t n) {                            \
        const int64_t *tb = table_bits();                                                        \
        ptrdiff_t i = 0;                                                                         \
        for (; i + 4 <= n; i += 4) _mm256_storeu_pd(y + i, LANE(_mm256_loadu_pd(x + i), tb));    \
        if (i < n) v_store_tail(LANE(v_load_tail(x + i, n - i), tb), y + i, n - i);              \
    }

CK_MAP(avx2_exp_n, v_exp)
CK_MAP(avx2_tanh_n, v_tanh)
CK_MAP(avx2_sigmoid_n, v_sigmoid)
CK_MAP(avx2_erf_n, v_erf)
CK_MAP(avx2_erfc_n, v_erfc)

AVX2 static void avx2_tanh_rows(const double *x, const double *bias, ptrdiff_t rows, ptrdiff_t width,
                                double *out) {
    const int64_t *tb = table_bits();
    for (ptrdiff_t r = 0; r < rows; r++) {
        const double *xr = x + r * width;
        double *o = out + r * width;
        ptrdiff_t j = 0;
        for (; j + 4 <= width; j += 4) {
            __m256d v = _mm256_add_pd(_mm256_loadu_pd(xr + j), _mm256_loadu_pd(bias + j));
            _mm256_storeu_pd(o + j, v_tanh(v, tb));
        }
        if (j < width) {
            __m256d v = _mm256_add_pd(v_load_tail(xr + j, width - j), v_load_tail(bias + j, width - j));
            v_store_tail(v_tanh(v, tb), o + j, width - j);
        }
    }
}

static const ck_kernels avx2_kernels = {
    "avx2+fma", avx2_exp_n, avx2_tanh_n, avx2_sigmoid_n, avx2_tanh_rows, avx2_erf_n, avx2_erfc_n,
};

static int cpu_has_avx2_fma(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

/* ---------------------------------------------------------------------------------------------
 * AVX-512 (F + DQ): eight lanes, the AVX2 build's operations in the same order on wider
 * registers, so every lane rounds exactly as it does there. Two things change, neither of them a
 * rounding: the table lookups are register permutes instead of gathers (the 32 entries sit in
 * four zmm registers; two two-source permutes pick by bits 0–3 of the index and a blend by bit 4
 * chooses between them), and tails are masked loads and stores of one padded vector. */

/* A 32-entry table of 64-bit values in four registers: entries 0–7, 8–15, 16–23 and 24–31. */
typedef struct z_table {
    __m512i part[4];
} z_table;

AVX512 static inline z_table z_table_load(const void *entries) {
    const int64_t *e = (const int64_t *)entries;
    z_table t;
    for (int p = 0; p < 4; p++) t.part[p] = _mm512_loadu_si512((const void *)(e + 8 * p));
    return t;
}

/* t[index mod 32] in each lane (only bits 0–4 of the index are read). */
AVX512 static inline __m512i z_lookup(z_table t, __m512i index) {
    __m512i low = _mm512_permutex2var_epi64(t.part[0], index, t.part[1]);
    __m512i high = _mm512_permutex2var_epi64(t.part[2], index, t.part[3]);
    __mmask8 upper = _mm512_test_epi64_mask(index, _mm512_set1_epi64(16));
    return _mm512_mask_blend_epi64(upper, low, high);
}

/* erf's coefficient row k for each lane's range (0–3). */
AVX512 static inline __m512d z_erf_coefficient(const double *row, __m512i range) {
    return _mm512_permutexvar_pd(range, _mm512_broadcast_f64x4(_mm256_load_pd(row)));
}

CK_DEFINE_ARITHMETIC(AVX512, _mm512, __m512d, __m512i, _mm512_castpd_si512, z)

/* e^x inside [CORE_LOW, CORE_HIGH]; `bits` holds table_bits(). */
AVX512 static inline __m512d z_exp_core(__m512d x, z_table bits) {
    __m512i k;
    __m512d q = z_reduce(x, &k);
    __m512i tail = z_lookup(bits, k);
    __m512d scale = _mm512_castsi512_pd(_mm512_add_epi64(tail, _mm512_slli_epi64(k, 47)));
    return _mm512_fmadd_pd(scale, q, scale);
}

AVX512 __attribute__((noinline)) static __m512d z_exp_wide(__m512d xin, z_table bits) {
    __mmask8 in_core = _mm512_cmp_pd_mask(xin, _mm512_set1_pd(CORE_LOW), _CMP_GE_OQ)
                     & _mm512_cmp_pd_mask(xin, _mm512_set1_pd(CORE_HIGH), _CMP_LE_OQ);
    __m512d core = z_exp_core(_mm512_maskz_mov_pd(in_core, xin), bits);
    __m512d x = _mm512_mask_mov_pd(xin, _mm512_cmp_pd_mask(xin, _mm512_set1_pd(710), _CMP_GT_OQ),
                                   _mm512_set1_pd(710));
    x = _mm512_mask_mov_pd(x, _mm512_cmp_pd_mask(xin, _mm512_set1_pd(-746), _CMP_LT_OQ), _mm512_set1_pd(-746));
    __mmask8 nan = _mm512_cmp_pd_mask(xin, xin, _CMP_UNORD_Q);
    x = _mm512_mask_mov_pd(x, nan, _mm512_setzero_pd());
    __m512i kb;
    __m512d q = z_reduce(x, &kb);
    /* k = 32m + j; arithmetic shifts give m = floor(k/32) and m1 = floor(m/2), the integers the
     * AVX2 build forms with offsets. */
    __m512i k = _mm512_sub_epi64(kb, _mm512_set1_epi64((long long)bits_of(ROUND_MAGIC)));
    __m512d tj = _mm512_castsi512_pd(z_lookup(z_table_load(table), k));
    __m512i m = _mm512_srai_epi64(k, 5);
    __m512i m1 = _mm512_srai_epi64(m, 1);
    __m512i m2 = _mm512_sub_epi64(m, m1);
    __m512i bias = _mm512_set1_epi64(1023);
    __m512d s1 = _mm512_castsi512_pd(_mm512_slli_epi64(_mm512_add_epi64(m1, bias), 52));
    __m512d s2 = _mm512_castsi512_pd(_mm512_slli_epi64(_mm512_add_epi64(m2, bias), 52));
    __m512d result = _mm512_mul_pd(_mm512_mul_pd(_mm512_fmadd_pd(tj, q, tj), s1), s2);
    result = _mm512_mask_mov_pd(result, nan, xin);
    return _mm512_mask_mov_pd(result, in_core, core);
}

AVX512 static inline __m512d z_exp(__m512d x, z_table bits) {
    __mmask8 ok = _mm512_cmp_pd_mask(x, _mm512_set1_pd(CORE_LOW), _CMP_GE_OQ)
                & _mm512_cmp_pd_mask(x, _mm512_set1_pd(CORE_HIGH), _CMP_LE_OQ);
    if (__builtin_expect(ok == 0xFF, 1)) return z_exp_core(x, bits);
    return z_exp_wide(x, bits);
}

AVX512 static inline __m512d z_tanh(__m512d x, z_table bits) {
    const __m512d sign_mask = _mm512_set1_pd(-0.0);
    __m512d sign = _mm512_and_pd(x, sign_mask);
    __m512d ax = _mm512_andnot_pd(sign_mask, x);
    /* NaN takes the rational branch, as in the AVX2 build. */
    __mmask8 small = _mm512_cmp_pd_mask(ax, _mm512_set1_pd(0.625), _CMP_NGE_UQ);
    __m512d twice = _mm512_mask_mov_pd(_mm512_add_pd(ax, ax), _mm512_cmp_pd_mask(ax, _mm512_set1_pd(20), _CMP_GT_OQ),
                                       _mm512_set1_pd(40));
    __m512d e = z_exp_core(twice, bits);
    __m512d y = _mm512_mul_pd(ax, ax);
    __m512d p, q;
    z_tanh_pq(y, &p, &q);
    const __m512d one = _mm512_set1_pd(1);
    /* One division serves both branches: the rational form's P/Q or (e − 1)/(e + 1). */
    __m512d num = _mm512_mask_mov_pd(_mm512_sub_pd(e, one), small, _mm512_mul_pd(_mm512_mul_pd(ax, y), p));
    __m512d den = _mm512_mask_mov_pd(_mm512_add_pd(e, one), small, q);
    __m512d magnitude = _mm512_add_pd(_mm512_maskz_mov_pd(small, ax), _mm512_div_pd(num, den));
    return _mm512_or_pd(magnitude, sign);
}

AVX512 static inline __m512d z_sigmoid(__m512d x, z_table bits) {
    const __m512d one = _mm512_set1_pd(1);
    __m512d e = z_exp(_mm512_xor_pd(x, _mm512_set1_pd(-0.0)), bits);
    return _mm512_div_pd(one, _mm512_add_pd(one, e));
}

/* erf or erfc on eight lanes: v_erf_any's operations in the same order. */
AVX512 static inline __m512d z_erf_any(__m512d x, z_table bits, int complement) {
    const __m512d sign_mask = _mm512_set1_pd(-0.0);
    const __m512d one = _mm512_set1_pd(1);
    __m512d sign = _mm512_and_pd(x, sign_mask);
    __m512d a = _mm512_andnot_pd(sign_mask, x);
    __mmask8 mid = _mm512_cmp_pd_mask(a, _mm512_set1_pd(ERF_MID), _CMP_GE_OQ);
    __mmask8 tail = _mm512_cmp_pd_mask(a, _mm512_set1_pd(ERF_TAIL), _CMP_GE_OQ);
    __mmask8 far = _mm512_cmp_pd_mask(a, _mm512_set1_pd(ERF_FAR), _CMP_GE_OQ);
    const __m512i step = _mm512_set1_epi64(1);
    __m512i range = _mm512_maskz_mov_epi64(mid, step);
    range = _mm512_mask_add_epi64(range, tail, range, step);
    range = _mm512_mask_add_epi64(range, far, range, step);
    __m512d clamped = _mm512_min_pd(a, _mm512_set1_pd(ERF_CLAMP));
    __m512d t = _mm512_mask_mov_pd(_mm512_mul_pd(x, x), mid, _mm512_sub_pd(a, one));
    if (tail) t = _mm512_mask_mov_pd(t, tail, _mm512_div_pd(one, _mm512_mul_pd(clamped, clamped)));
    __m512d d = z_erf_ratio(t, range);
    __m512d erx = _mm512_set1_pd(ERF_ERX);
    __m512d small_erf = _mm512_fmadd_pd(x, d, x);
    __mmask8 negative = _mm512_movepi64_mask(_mm512_castpd_si512(x));
    __m512d result;
    if (!complement) {
        result = _mm512_add_pd(erx, d);
    } else {
        __m512d half = _mm512_set1_pd(0.5);
        __mmask8 below_quarter = _mm512_cmp_pd_mask(a, _mm512_set1_pd(0.25), _CMP_LT_OQ);
        __m512d small = _mm512_mask_mov_pd(_mm512_sub_pd(half, _mm512_fmadd_pd(x, d, _mm512_sub_pd(x, half))),
                                           below_quarter, _mm512_sub_pd(one, small_erf));
        __m512d middle = _mm512_mask_mov_pd(_mm512_sub_pd(_mm512_set1_pd(1 - ERF_ERX), d), negative,
                                            _mm512_add_pd(one, _mm512_add_pd(erx, d)));
        result = _mm512_mask_mov_pd(small, mid, middle);
    }
    if (tail) {
        __m512d z = _mm512_and_pd(clamped, _mm512_castsi512_pd(_mm512_set1_epi64((long long)0xFFFFFFFF00000000ULL)));
        __m512d e1 = z_exp(_mm512_fnmsub_pd(z, z, _mm512_set1_pd(0.5625)), bits);
        __m512d e2 = z_exp(_mm512_fmadd_pd(_mm512_sub_pd(z, clamped), _mm512_add_pd(z, clamped), d), bits);
        __m512d tail_value = _mm512_div_pd(_mm512_mul_pd(e1, e2), clamped);
        __m512d far_value = complement
            ? _mm512_mask_mov_pd(tail_value, negative, _mm512_sub_pd(_mm512_set1_pd(2), tail_value))
            : _mm512_sub_pd(one, tail_value);
        result = _mm512_mask_mov_pd(result, tail, far_value);
    }
    if (!complement) result = _mm512_mask_mov_pd(small_erf, mid, _mm512_or_pd(result, sign));
    return _mm512_mask_mov_pd(result, _mm512_cmp_pd_mask(x, x, _CMP_UNORD_Q), x);
}

AVX512 static inline __m512d z_erf(__m512d x, z_table bits) { return z_erf_any(x, bits, 0); }
AVX512 static inline __m512d z_erfc(__m512d x, z_table bits) { return z_erf_any(x, bits, 1); }

/* The lanes of a tail of n < 8 values. */
static inline __mmask8 z_tail_mask(ptrdiff_t n) { return (__mmask8)((1u << n) - 1); }

#define CK_ZMAP(NAME, LANE)                                                                      \
    AVX512 static void NAME(const double *x, double *y, ptrdiff_t n) {                          \
        z_table bits = z_table_load(table_bits());                                               \
        ptrdiff_t i = 0;                                                                         \
        for (; i + 8 <= n; i += 8) _mm512_storeu_pd(y + i, LANE(_mm512_loadu_pd(x + i), bits));  \
        if (i < n) {                                                                             \
            __mmask8 m = z_tail_mask(n - i);                                                     \
            _mm512_mask_storeu_pd(y + i, m, LANE(_mm512_maskz_loadu_pd(m, x + i), bits));        \
        }                                                                                        \
    }

CK_ZMAP(avx512_exp_n, z_exp)
CK_ZMAP(avx512_tanh_n, z_tanh)
CK_ZMAP(avx512_sigmoid_n, z_sigmoid)
CK_ZMAP(avx512_erf_n, z_erf)
CK_ZMAP(avx512_erfc_n, z_erfc)

AVX512 static void avx512_tanh_rows(const double *x, const double *bias, ptrdiff_t rows, ptrdiff_t width,
                                    double *out) {
    z_table bits = z_table_load(table_bits());
    ptrdiff_t full = width - width % 8;
    __mmask8 m = z_tail_mask(width - full);
    for (ptrdiff_t r = 0; r < rows; r++) {
        const double *xr = x + r * width;
        double *o = out + r * width;
        for (ptrdiff_t j = 0; j < full; j += 8) {
            __m512d v = _mm512_add_pd(_mm512_loadu_pd(xr + j), _mm512_loadu_pd(bias + j));
            _mm512_storeu_pd(o + j, z_tanh(v, bits));
        }
        if (m) {
            __m512d v = _mm512_add_pd(_mm512_maskz_loadu_pd(m, xr + full), _mm512_maskz_loadu_pd(m, bias + full));
            _mm512_mask_storeu_pd(o + full, m, z_tanh(v, bits));
        }
    }
}

static const ck_kernels avx512_kernels = {
    "avx512", avx512_exp_n, avx512_tanh_n, avx512_sigmoid_n, avx512_tanh_rows, avx512_erf_n, avx512_erfc_n,
};

static int cpu_has_avx512(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
}

#endif /* CK_X86 */

/* ---------------------------------------------------------------------------------------------
 * Dispatch. */

static const ck_kernels *selected_kernels;

const ck_kernels *ck_baseline(void) { return &baseline_kernels; }

const ck_kernels *ck_avx2_fma(void) {
#if CK_X86
    if (cpu_has_avx2_fma()) return &avx2_kernels;
#endif
    return NULL;
}

const ck_kernels *ck_avx512(void) {
#if CK_X86
    if (cpu_has_avx512()) return &avx512_kernels;
#endif
    return NULL;
}

/* The widest set this CPU runs, unless RITZ_CPU_KERNELS names another one it runs. */
static const ck_kernels *choose_kernels(void) {
    const ck_kernels *runnable[] = {ck_avx512(), ck_avx2_fma(), &baseline_kernels};
    const size_t count = sizeof runnable / sizeof runnable[0];
    const char *wanted = getenv(CK_KERNELS_VARIABLE);
    if (wanted != NULL && wanted[0] != 0) {
        for (size_t i = 0; i < count; i++)
            if (runnable[i] != NULL && strcmp(runnable[i]->name, wanted) == 0) return runnable[i];
    }
    for (size_t i = 0; i < count; i++)
        if (runnable[i] != NULL) return runnable[i];
    return &baseline_kernels;
}

const ck_kernels *ck_selected(void) {
    const ck_kernels *k = __atomic_load_n(&selected_kernels, __ATOMIC_ACQUIRE);
    if (__builtin_expect(k == NULL, 0)) {
        k = choose_kernels();
        __atomic_store_n(&selected_kernels, k, __ATOMIC_RELEASE);
    }
    return k;
}

double ck_exp(double x) { double y; ck_selected()->exp_n(&x, &y, 1); return y; }
double ck_tanh(double x) { double y; ck_selected()->tanh_n(&x, &y, 1); return y; }
double ck_sigmoid(double x) { double y; ck_selected()->sigmoid_n(&x, &y, 1); return y; }
double ck_erf(double x) { double y; ck_selected()->erf_n(&x, &y, 1); return y; }
double ck_erfc(double x) { double y; ck_selected()->erfc_n(&x, &y, 1); return y; }

void ck_exp_n(const double *x, double *y, ptrdiff_t n) { ck_selected()->exp_n(x, y, n); }
void ck_tanh_n(const double *x, double *y, ptrdiff_t n) { ck_selected()->tanh_n(x, y, n); }
void ck_sigmoid_n(const double *x, double *y, ptrdiff_t n) { ck_selected()->sigmoid_n(x, y, n); }
void ck_erf_n(const double *x, double *y, ptrdiff_t n) { ck_selected()->erf_n(x, y, n); }
void ck_erfc_n(const double *x, double *y, ptrdiff_t n) { ck_selected()->erfc_n(x, y, n); }
void ck_tanh_rows(const double *x, const double *bias, ptrdiff_t rows, ptrdiff_t width,
                  double *out) {
    ck_selected()->tanh_rows(x, bias, rows, width, out);
}
