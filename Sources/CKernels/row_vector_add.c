/* A row vector added to every row of a row-major matrix (ckernels.h, ck_add_row_vector):
 * out[r·width + j] = a[r·width + j] + v[j] (out may be a), a dense layer's bias. One addition an element, so every kernel set
 * gives the bytes of a plain loop; the vector builds only do more elements an instruction. */

#include "ckernels.h"

#include "vector_targets.h"

static void baseline_add_row_vector(const double *a, const double *v, double *out, ptrdiff_t rows, ptrdiff_t width) {
    for (ptrdiff_t r = 0; r < rows; r++) {
        const double *row = a + r * width;
        double *o = out + r * width;
        for (ptrdiff_t j = 0; j < width; j++) o[j] = row[j] + v[j];
    }
}

#if CK_X86
/* The widest row the repeating-pattern form takes: its period, lcm(width, lanes), stays within
 * ROW_PATTERN_MAX values on the stack. */
#define ROW_PATTERN_MAX 512

static ptrdiff_t gcd(ptrdiff_t a, ptrdiff_t b) {
    while (b) { ptrdiff_t t = a % b; a = b; b = t; }
    return a;
}

/* A row whose width is not a whole number of vectors: the block is added to as one flat array,
 * v repeated over lcm(width, lanes) values, so every vector is whole (masked loads and stores
 * per row, a tail in every row of a classifier's 10 outputs, cost more than the additions). */
#define CK_ROW_PATTERN(ATTR, P, VEC, W, LOAD, STORE, ADD)                                              \
    ATTR static int P##_add_row_pattern(const double *a, const double *v, double *out, ptrdiff_t rows,  \
                                        ptrdiff_t width) {                                            \
        ptrdiff_t period = width / gcd(width, W) * W;                                                 \
        if (period > ROW_PATTERN_MAX) return 0;                                                       \
        double pattern[ROW_PATTERN_MAX];                                                              \
        for (ptrdiff_t i = 0; i < period; i++) pattern[i] = v[i % width];                             \
        ptrdiff_t total = rows * width, i = 0, at = 0;                                                \
        for (; i + W <= total; i += W) {                                                              \
            STORE(out + i, ADD(LOAD(a + i), LOAD(pattern + at)));                                     \
            at += W;                                                                                  \
            if (at == period) at = 0;                                                                 \
        }                                                                                             \
        for (; i < total; i++) out[i] = a[i] + v[i % width];                                          \
        return 1;                                                                                     \
    }

CK_ROW_PATTERN(AVX2, avx2, __m256d, 4, _mm256_loadu_pd, _mm256_storeu_pd, _mm256_add_pd)
CK_ROW_PATTERN(AVX512, avx512, __m512d, 8, _mm512_loadu_pd, _mm512_storeu_pd, _mm512_add_pd)

AVX2 static void avx2_add_row_vector(const double *a, const double *v, double *out, ptrdiff_t rows, ptrdiff_t width) {
    if (width % 4 != 0 && avx2_add_row_pattern(a, v, out, rows, width)) return;
    for (ptrdiff_t r = 0; r < rows; r++) {
        const double *row = a + r * width;
        double *o = out + r * width;
        ptrdiff_t j = 0;
        for (; j + 4 <= width; j += 4) _mm256_storeu_pd(o + j, _mm256_add_pd(_mm256_loadu_pd(row + j), _mm256_loadu_pd(v + j)));
        for (; j < width; j++) o[j] = row[j] + v[j];
    }
}

AVX512 static void avx512_add_row_vector(const double *a, const double *v, double *out, ptrdiff_t rows,
                                         ptrdiff_t width) {
    if (width % 8 != 0 && avx512_add_row_pattern(a, v, out, rows, width)) return;
    ptrdiff_t tail = width % 8;
    __mmask8 last = (__mmask8)((1u << tail) - 1);
    for (ptrdiff_t r = 0; r < rows; r++) {
        const double *row = a + r * width;
        double *o = out + r * width;
        ptrdiff_t j = 0;
        for (; j + 8 <= width; j += 8) _mm512_storeu_pd(o + j, _mm512_add_pd(_mm512_loadu_pd(row + j), _mm512_loadu_pd(v + j)));
        if (tail)
            _mm512_mask_storeu_pd(o + j, last, _mm512_add_pd(_mm512_maskz_loadu_pd(last, row + j), _mm512_maskz_loadu_pd(last, v + j)));
    }
}
#endif

void ck_add_row_vector(const double *a, const double *v, double *out, ptrdiff_t rows, ptrdiff_t width) {
    if (rows <= 0 || width <= 0) return;
#if CK_X86
    switch (ck_vector_build()) {
    case 2: avx512_add_row_vector(a, v, out, rows, width); return;
    case 1: avx2_add_row_vector(a, v, out, rows, width); return;
    default: break;
    }
#endif
    baseline_add_row_vector(a, v, out, rows, width);
}
