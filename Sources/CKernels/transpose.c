/* The transpose of a row-major matrix (ckernels.h, ck_transpose): dst[j·ldd + i] = src[i·lds + j].
 * A copy, so every kernel set gives the same bytes. The AVX2 build (which AVX-512 machines run
 * too) transposes 4 × 4 blocks in registers (two unpacks and a lane permute per output row:
 * whole-vector loads and stores instead of one strided element at a time) in tiles of 32 × 32
 * that stay in the first-level cache; the baseline build copies the same tiles element by
 * element. A scalar loop was a fifth of a small training step's bookkeeping (a 64 × 64 weight
 * transposed for x·wᵀ in every forward pass). */

#include "ckernels.h"

#include "vector_targets.h"

/* Rows and columns of a tile. */
#define TRANSPOSE_TILE 32

/* Rows i0 ..< i1 and columns j0 ..< j1 element by element. */
static void transpose_elements(const double *src, ptrdiff_t lds, double *dst, ptrdiff_t ldd, ptrdiff_t i0, ptrdiff_t i1,
                               ptrdiff_t j0, ptrdiff_t j1) {
    for (ptrdiff_t j = j0; j < j1; j++)
        for (ptrdiff_t i = i0; i < i1; i++) dst[j * ldd + i] = src[i * lds + j];
}

static void baseline_transpose(ptrdiff_t rows, ptrdiff_t cols, const double *src, ptrdiff_t lds, double *dst,
                               ptrdiff_t ldd) {
    for (ptrdiff_t i0 = 0; i0 < rows; i0 += TRANSPOSE_TILE)
        for (ptrdiff_t j0 = 0; j0 < cols; j0 += TRANSPOSE_TILE) {
            ptrdiff_t i1 = i0 + TRANSPOSE_TILE < rows ? i0 + TRANSPOSE_TILE : rows;
            ptrdiff_t j1 = j0 + TRANSPOSE_TILE < cols ? j0 + TRANSPOSE_TILE : cols;
            transpose_elements(src, lds, dst, ldd, i0, i1, j0, j1);
        }
}

#if CK_X86
/* The 4 × 4 block at src (rows a, b, c, d) written as its transpose at dst. */
AVX2 static inline void transpose_4x4(const double *src, ptrdiff_t lds, double *dst, ptrdiff_t ldd) {
    __m256d r0 = _mm256_loadu_pd(src), r1 = _mm256_loadu_pd(src + lds);
    __m256d r2 = _mm256_loadu_pd(src + 2 * lds), r3 = _mm256_loadu_pd(src + 3 * lds);
    __m256d t0 = _mm256_unpacklo_pd(r0, r1); /* a0 b0 a2 b2 */
    __m256d t1 = _mm256_unpackhi_pd(r0, r1); /* a1 b1 a3 b3 */
    __m256d t2 = _mm256_unpacklo_pd(r2, r3); /* c0 d0 c2 d2 */
    __m256d t3 = _mm256_unpackhi_pd(r2, r3); /* c1 d1 c3 d3 */
    _mm256_storeu_pd(dst, _mm256_permute2f128_pd(t0, t2, 0x20));
    _mm256_storeu_pd(dst + ldd, _mm256_permute2f128_pd(t1, t3, 0x20));
    _mm256_storeu_pd(dst + 2 * ldd, _mm256_permute2f128_pd(t0, t2, 0x31));
    _mm256_storeu_pd(dst + 3 * ldd, _mm256_permute2f128_pd(t1, t3, 0x31));
}

AVX2 static void avx2_transpose(ptrdiff_t rows, ptrdiff_t cols, const double *src, ptrdiff_t lds, double *dst,
                                ptrdiff_t ldd) {
    for (ptrdiff_t i0 = 0; i0 < rows; i0 += TRANSPOSE_TILE)
        for (ptrdiff_t j0 = 0; j0 < cols; j0 += TRANSPOSE_TILE) {
            ptrdiff_t i1 = i0 + TRANSPOSE_TILE < rows ? i0 + TRANSPOSE_TILE : rows;
            ptrdiff_t j1 = j0 + TRANSPOSE_TILE < cols ? j0 + TRANSPOSE_TILE : cols;
            /* The tile's whole 4 × 4 blocks, then its ragged right and bottom edges. */
            ptrdiff_t i4 = i0 + (i1 - i0) / 4 * 4, j4 = j0 + (j1 - j0) / 4 * 4;
            for (ptrdiff_t i = i0; i < i4; i += 4)
                for (ptrdiff_t j = j0; j < j4; j += 4) transpose_4x4(src + i * lds + j, lds, dst + j * ldd + i, ldd);
            transpose_elements(src, lds, dst, ldd, i0, i4, j4, j1);
            transpose_elements(src, lds, dst, ldd, i4, i1, j0, j1);
        }
}
#endif

void ck_transpose(ptrdiff_t rows, ptrdiff_t cols, const double *src, ptrdiff_t lds, double *dst, ptrdiff_t ldd) {
#if CK_X86
    if (ck_vector_build() > 0) {
        avx2_transpose(rows, cols, src, lds, dst, ldd);
        return;
    }
#endif
    baseline_transpose(rows, cols, src, lds, dst, ldd);
}
