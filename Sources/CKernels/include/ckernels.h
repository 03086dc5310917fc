#ifndef RITZ_CKERNELS_H
#define RITZ_CKERNELS_H

#include <stddef.h>

/* The peak of dense float64 products: CPUID features and FMA-chain kernels. */
#include "fma_peak.h"
#include "job_depth.h"
#include "affinity.h"

/* Elementwise exp, tanh, sigmoid, erf and erfc for ritz, chosen once per process by what the CPU supports.
 *
 * Three implementations of the same algorithms: one compiled for AVX-512 (F and DQ, eight
 * lanes), one for AVX2 and FMA (four lanes) and a baseline one for any x86-64 (or other) CPU.
 * The widest one the CPU runs is used, unless the environment variable RITZ_CPU_KERNELS names
 * another one it runs ("avx512", "avx2+fma" or "baseline"; any other value is ignored). Every
 * entry below goes through the one selected implementation, so on a given machine a value never
 * depends on which entry computed it. The AVX-512 and AVX2+FMA builds agree bit for bit (the
 * same fused operations in the same order); the baseline build, without fused operations, may
 * differ from them in the last bit. All stay within 2 ulp of the correctly rounded value
 * (erfc: within 6 ulp of glibc's, whose own error there is a few ulp; see ckernels.c). */

/* The environment variable that forces an implementation (for tests and comparisons). */
#define CK_KERNELS_VARIABLE "RITZ_CPU_KERNELS"

#ifdef __cplusplus
extern "C" {
#endif

/* One implementation: buffer kernels; `x` may equal `y` (and `out`). */
typedef struct ck_kernels {
    const char *name;
    void (*exp_n)(const double *x, double *y, ptrdiff_t n);
    void (*tanh_n)(const double *x, double *y, ptrdiff_t n);
    void (*sigmoid_n)(const double *x, double *y, ptrdiff_t n);
    /* out[i*width + j] = tanh(x[i*width + j] + bias[j]) for a row-major rows × width block. */
    void (*tanh_rows)(const double *x, const double *bias, ptrdiff_t rows, ptrdiff_t width,
                      double *out);
    void (*erf_n)(const double *x, double *y, ptrdiff_t n);
    void (*erfc_n)(const double *x, double *y, ptrdiff_t n);
} ck_kernels;

/* A hint to the CPU inside a spin-wait loop (PAUSE on x86-64, YIELD on arm64). */
static inline void ck_spin_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* The implementation this process uses (selected on first use). */
const ck_kernels *ck_selected(void);
/* The baseline implementation (any CPU). */
const ck_kernels *ck_baseline(void);
/* The AVX2+FMA implementation, or NULL when the CPU lacks either. */
const ck_kernels *ck_avx2_fma(void);
/* The AVX-512 implementation (AVX-512F and DQ), or NULL when the CPU lacks either. */
const ck_kernels *ck_avx512(void);

/* Scalars through the selected implementation. */
double ck_exp(double x);
double ck_tanh(double x);
double ck_sigmoid(double x);
double ck_erf(double x);
double ck_erfc(double x);

/* Buffers through the selected implementation. */
void ck_exp_n(const double *x, double *y, ptrdiff_t n);
void ck_tanh_n(const double *x, double *y, ptrdiff_t n);
void ck_sigmoid_n(const double *x, double *y, ptrdiff_t n);
void ck_erf_n(const double *x, double *y, ptrdiff_t n);
void ck_erfc_n(const double *x, double *y, ptrdiff_t n);
void ck_tanh_rows(const double *x, const double *bias, ptrdiff_t rows, ptrdiff_t width,
                  double *out);

/* C = A·B + beta·C for row-major A (m×k), B (k×n), C (m×n) with a short inner dimension k
 * (a layer with few outputs, backwards): each row of C accumulates broadcasts of A's row times
 * B's rows in the order p = 0, 1, …, k − 1 with fused multiply-adds, so a row's value does not
 * depend on how the rows are split. C is not read when beta is 0. Returns 1 when done, 0 when
 * the selected build has no such kernel (the caller then uses BLAS). */
int ck_gemm_small_k(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const double *a, ptrdiff_t lda,
                    const double *b, ptrdiff_t ldb, double beta, double *c, ptrdiff_t ldc);

/* C = op(A)·op(B) + beta·C for row-major operands (C m×n, inner dimension k; op transposes when
 * trans_a / trans_b is nonzero) when one side is short enough for the kernels of
 * thin_products.c: A upright with m ≥ 8 rows and B (k × n) of at most 16384 values, or A
 * transposed and B upright with C of at most 16384 values and m + n ≤ 320. Each element of C
 * is one chain of fused multiply-adds in the order p = 0, 1, …, k − 1 from beta·C (C not read
 * when beta is 0), so the AVX2+FMA and AVX-512 builds agree bit for bit. Returns 1 when done,
 * 0 when the shapes or the selected build have no such kernel (the caller then uses BLAS). */
int ck_gemm_thin(int trans_a, int trans_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const double *a, ptrdiff_t lda,
                 const double *b, ptrdiff_t ldb, double beta, double *c, ptrdiff_t ldc);

/* dst[j·ldd + i] = src[i·lds + j] for i < rows, j < cols: the transpose of a row-major rows × cols
 * matrix (row strides lds and ldd), in 4 × 4 register blocks on the vector builds. A copy, so the
 * bytes are a plain loop's on every kernel set. */
void ck_transpose(ptrdiff_t rows, ptrdiff_t cols, const double *src, ptrdiff_t lds, double *dst, ptrdiff_t ldd);

/* sums[j] += Σ_r a[r·width + j] for a row-major rows × width matrix: each column's rows in the
 * order r = 0, 1, …, so the result is a plain loop's on every kernel set. */
void ck_add_column_sums(const double *a, ptrdiff_t rows, ptrdiff_t width, double *sums);

/* The operations and operand forms of ck_binary_map. */
#define CK_BINARY_ADD 0
#define CK_BINARY_SUBTRACT 1
#define CK_BINARY_MULTIPLY 2
#define CK_BINARY_DIVIDE 3
#define CK_BINARY_ARRAYS 0
#define CK_BINARY_RIGHT_NUMBER 1
#define CK_BINARY_LEFT_NUMBER 2
/* out[i] = a[i] op b[i] (CK_BINARY_ARRAYS), a[i] op b[0] (CK_BINARY_RIGHT_NUMBER) or a[0] op b[i]
 * (CK_BINARY_LEFT_NUMBER) for i < n, op one of CK_BINARY_ADD, _SUBTRACT, _MULTIPLY, _DIVIDE; out
 * may be a or b. One correctly rounded operation an element, so the bytes are a plain loop's on
 * every kernel set. */
void ck_binary_map(int op, int form, const double *a, const double *b, double *out, ptrdiff_t n);

/* out[r·width + j] = a[r·width + j] + v[j] for a row-major rows × width matrix (a bias added to
 * every row; out may be a): one addition an element, so the bytes are a plain loop's on every
 * kernel set. */
void ck_add_row_vector(const double *a, const double *v, double *out, ptrdiff_t rows, ptrdiff_t width);

/* Softmax along each row of a row-major rows × k block, with each row's log-sum-exp:
 * shift_i = max_j z_ij (NaN skipped; 0 when that is not finite), s_i = Σ_j exp(z_ij − shift_i) in
 * the order j = 0, 1, … (the selected exp), p_ij = exp(z_ij − shift_i)·(1/s_i) and
 * lse[i] = log(s_i) + shift_i. Exact maximum and a fixed order, so the bytes are a plain
 * loop's with the same exp on every kernel set; p may be z. */
void ck_softmax_rows(const double *z, ptrdiff_t rows, ptrdiff_t k, double *p, double *lse);

/* tanh's derivative products, elementwise over n: out = g·(1 − y²); out = ġ·(1 − y²) + (−2·g)·y·ẏ;
 * out = (−2·a)·b·c. The same operations in the same order on every kernel set (no fused
 * multiply-add), so the bytes are a plain loop's; out may be one of the inputs. */
void ck_tanh_backward(const double *g, const double *y, double *out, ptrdiff_t n);
/* out[r·width + j] = (g[r·width + j] + v[j])·(1 − y[r·width + j]²) over a row-major rows × width
 * block: ck_add_row_vector then ck_tanh_backward in one pass, with their bytes. */
void ck_tanh_backward_rows(const double *g, const double *v, const double *y, double *out, ptrdiff_t rows,
                           ptrdiff_t width);
void ck_tanh_backward_tangent(const double *tg, const double *ty, const double *g, const double *y, double *out,
                              ptrdiff_t n);
void ck_tanh_curvature(const double *a, const double *b, const double *c, double *out, ptrdiff_t n);

#ifdef __cplusplus
}
#endif

#endif
