/* The short-inner-dimension product of ckernels.h (ck_gemm_small_k): C = A·B + beta·C with k of
 * at most a few dozen, each row of C accumulating broadcasts of A's row times B's rows in the
 * order p = 0, 1, …, k − 1 with fused multiply-adds. It runs when the selected kernel set is
 * AVX2+FMA or AVX-512 (which share it: the same sums in the same order), so a machine with
 * AVX-512 gives the bytes of one with AVX2 only. */

#include "ckernels.h"

#include "vector_targets.h"

#if CK_X86
/* One row block of 8 vectors (32 columns) of C = A·B + beta·C. */
AVX2 static inline void small_k_block32(const double *ai, ptrdiff_t k, const double *b, ptrdiff_t ldb,
                                        double beta, double *ci) {
    __m256d s[8];
    if (beta == 0) {
        for (int v = 0; v < 8; v++) s[v] = _mm256_setzero_pd();
    } else {
        __m256d bv = _mm256_set1_pd(beta);
        for (int v = 0; v < 8; v++) s[v] = _mm256_mul_pd(bv, _mm256_loadu_pd(ci + 4 * v));
    }
    for (ptrdiff_t p = 0; p < k; p++) {
        __m256d x = _mm256_broadcast_sd(ai + p);
        const double *bp = b + p * ldb;
        for (int v = 0; v < 8; v++) s[v] = _mm256_fmadd_pd(x, _mm256_loadu_pd(bp + 4 * v), s[v]);
    }
    for (int v = 0; v < 8; v++) _mm256_storeu_pd(ci + 4 * v, s[v]);
}

AVX2 static void avx2_gemm_small_k(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const double *a, ptrdiff_t lda,
                                   const double *b, ptrdiff_t ldb, double beta, double *c, ptrdiff_t ldc) {
    for (ptrdiff_t i = 0; i < m; i++) {
        const double *ai = a + i * lda;
        double *ci = c + i * ldc;
        ptrdiff_t j = 0;
        for (; j + 32 <= n; j += 32) small_k_block32(ai, k, b + j, ldb, beta, ci + j);
        for (; j + 4 <= n; j += 4) {
            __m256d s = beta == 0 ? _mm256_setzero_pd() : _mm256_mul_pd(_mm256_set1_pd(beta), _mm256_loadu_pd(ci + j));
            for (ptrdiff_t p = 0; p < k; p++)
                s = _mm256_fmadd_pd(_mm256_broadcast_sd(ai + p), _mm256_loadu_pd(b + p * ldb + j), s);
            _mm256_storeu_pd(ci + j, s);
        }
        for (; j < n; j++) {
            __m128d s = _mm_set_sd(beta == 0 ? 0 : beta * ci[j]);
            for (ptrdiff_t p = 0; p < k; p++)
                s = _mm_fmadd_sd(_mm_set_sd(ai[p]), _mm_set_sd(b[p * ldb + j]), s);
            ci[j] = _mm_cvtsd_f64(s);
        }
    }
}

#endif

int ck_gemm_small_k(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const double *a, ptrdiff_t lda,
                    const double *b, ptrdiff_t ldb, double beta, double *c, ptrdiff_t ldc) {
#if CK_X86
    if (ck_vector_build() > 0) {
        avx2_gemm_small_k(m, n, k, a, lda, b, ldb, beta, c, ldc);
        return 1;
    }
#endif
    (void)m; (void)n; (void)k; (void)a; (void)lda; (void)b; (void)ldb; (void)beta; (void)c; (void)ldc;
    return 0;
}
