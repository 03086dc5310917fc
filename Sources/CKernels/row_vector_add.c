/* A row vector added to every row of a row-major matrix (ckernels.h, ck_add_row_vector):
 * a[r·width + j] += v[j], a dense layer's bias. One addition an element, so every kernel set
 * gives the bytes of a plain loop; the vector builds only do more columns an instruction. */

#include "ckernels.h"

#include "vector_targets.h"

static void baseline_add_row_vector(double *a, const double *v, ptrdiff_t rows, ptrdiff_t width) {
    for (ptrdiff_t r = 0; r < rows; r++) {
        double *row = a + r * width;
        for (ptrdiff_t j = 0; j < width; j++) row[j] += v[j];
    }
}

#if CK_X86
AVX2 static void avx2_add_row_vector(double *a, const double *v, ptrdiff_t rows, ptrdiff_t width) {
    for (ptrdiff_t r = 0; r < rows; r++) {
        double *row = a + r * width;
        ptrdiff_t j = 0;
        for (; j + 4 <= width; j += 4) _mm256_storeu_pd(row + j, _mm256_add_pd(_mm256_loadu_pd(row + j), _mm256_loadu_pd(v + j)));
        for (; j < width; j++) row[j] += v[j];
    }
}

AVX512 static void avx512_add_row_vector(double *a, const double *v, ptrdiff_t rows, ptrdiff_t width) {
    ptrdiff_t tail = width % 8;
    __mmask8 last = (__mmask8)((1u << tail) - 1);
    for (ptrdiff_t r = 0; r < rows; r++) {
        double *row = a + r * width;
        ptrdiff_t j = 0;
        for (; j + 8 <= width; j += 8) _mm512_storeu_pd(row + j, _mm512_add_pd(_mm512_loadu_pd(row + j), _mm512_loadu_pd(v + j)));
        if (tail)
            _mm512_mask_storeu_pd(row + j, last, _mm512_add_pd(_mm512_maskz_loadu_pd(last, row + j), _mm512_maskz_loadu_pd(last, v + j)));
    }
}
#endif

void ck_add_row_vector(double *a, const double *v, ptrdiff_t rows, ptrdiff_t width) {
    if (rows <= 0 || width <= 0) return;
#if CK_X86
    switch (ck_vector_build()) {
    case 2: avx512_add_row_vector(a, v, rows, width); return;
    case 1: avx2_add_row_vector(a, v, rows, width); return;
    default: break;
    }
#endif
    baseline_add_row_vector(a, v, rows, width);
}
