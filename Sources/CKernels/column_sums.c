/* Column sums of a row-major matrix (ckernels.h, ck_add_column_sums): sums[j] += Σ_r a[r·width + j],
 * each column's rows added in the order r = 0, 1, …, rows − 1. The vector widths differ only in
 * how many columns advance together, never in the order of one column's additions, and there is
 * no fused multiply-add, so every kernel set gives the bytes of a plain loop. Many columns are
 * held in registers at once (64 with AVX-512, 32 with AVX2, 16 otherwise), so the additions of
 * one row to different columns overlap instead of each column waiting on its own last sum. */

#include "ckernels.h"

#include "vector_targets.h"

/* Columns j0 ..< j0 + count one at a time (the remainder of the vector blocks). */
static void columns_one_by_one(const double *a, ptrdiff_t rows, ptrdiff_t width, ptrdiff_t j0, ptrdiff_t count,
                               double *sums) {
    for (ptrdiff_t j = j0; j < j0 + count; j++) {
        double s = sums[j];
        for (ptrdiff_t r = 0; r < rows; r++) s += a[r * width + j];
        sums[j] = s;
    }
}

static void baseline_add_column_sums(const double *a, ptrdiff_t rows, ptrdiff_t width, double *sums) {
    ptrdiff_t j = 0;
    for (; j + 16 <= width; j += 16) {
        double s[16];
        for (int l = 0; l < 16; l++) s[l] = sums[j + l];
        for (ptrdiff_t r = 0; r < rows; r++) {
            const double *row = a + r * width + j;
            for (int l = 0; l < 16; l++) s[l] += row[l];
        }
        for (int l = 0; l < 16; l++) sums[j + l] = s[l];
    }
    columns_one_by_one(a, rows, width, j, width - j, sums);
}

#if CK_X86
AVX2 static void avx2_add_column_sums(const double *a, ptrdiff_t rows, ptrdiff_t width, double *sums) {
    ptrdiff_t j = 0;
    for (; j + 32 <= width; j += 32) {
        __m256d s[8];
        for (int v = 0; v < 8; v++) s[v] = _mm256_loadu_pd(sums + j + 4 * v);
        for (ptrdiff_t r = 0; r < rows; r++) {
            const double *row = a + r * width + j;
            for (int v = 0; v < 8; v++) s[v] = _mm256_add_pd(s[v], _mm256_loadu_pd(row + 4 * v));
        }
        for (int v = 0; v < 8; v++) _mm256_storeu_pd(sums + j + 4 * v, s[v]);
    }
    for (; j + 4 <= width; j += 4) {
        __m256d s = _mm256_loadu_pd(sums + j);
        for (ptrdiff_t r = 0; r < rows; r++) s = _mm256_add_pd(s, _mm256_loadu_pd(a + r * width + j));
        _mm256_storeu_pd(sums + j, s);
    }
    columns_one_by_one(a, rows, width, j, width - j, sums);
}

/* Columns sums[0 ..< 8·vectors] (the last vector masked to `last`) over all rows, the vectors'
 * sums in registers: called with a constant `vectors`, so the loops unroll. */
AVX512 static inline void avx512_block(const double *a, ptrdiff_t rows, ptrdiff_t width, double *sums, int vectors,
                                       __mmask8 last) {
    __m512d s[8];
    for (int v = 0; v < vectors; v++) s[v] = _mm512_maskz_loadu_pd(v == vectors - 1 ? last : 0xff, sums + 8 * v);
    for (ptrdiff_t r = 0; r < rows; r++) {
        const double *row = a + r * width;
        for (int v = 0; v < vectors; v++)
            s[v] = _mm512_add_pd(s[v], _mm512_maskz_loadu_pd(v == vectors - 1 ? last : 0xff, row + 8 * v));
    }
    for (int v = 0; v < vectors; v++) _mm512_mask_storeu_pd(sums + 8 * v, v == vectors - 1 ? last : 0xff, s[v]);
}

AVX512 static void avx512_add_column_sums(const double *a, ptrdiff_t rows, ptrdiff_t width, double *sums) {
    ptrdiff_t j = 0;
    for (; j + 64 <= width; j += 64) avx512_block(a + j, rows, width, sums + j, 8, 0xff);
    ptrdiff_t left = width - j;
    if (left == 0) return;
    /* The rest, eight columns a vector (the last one masked), all in flight together. */
    __mmask8 last = (__mmask8)((1u << (left - 8 * ((left - 1) / 8))) - 1);
    switch ((left + 7) / 8) {
    case 1: avx512_block(a + j, rows, width, sums + j, 1, last); break;
    case 2: avx512_block(a + j, rows, width, sums + j, 2, last); break;
    case 3: avx512_block(a + j, rows, width, sums + j, 3, last); break;
    case 4: avx512_block(a + j, rows, width, sums + j, 4, last); break;
    case 5: avx512_block(a + j, rows, width, sums + j, 5, last); break;
    case 6: avx512_block(a + j, rows, width, sums + j, 6, last); break;
    case 7: avx512_block(a + j, rows, width, sums + j, 7, last); break;
    default: avx512_block(a + j, rows, width, sums + j, 8, last); break;
    }
}
#endif

void ck_add_column_sums(const double *a, ptrdiff_t rows, ptrdiff_t width, double *sums) {
    if (rows <= 0 || width <= 0) return;
#if CK_X86
    switch (ck_vector_build()) {
    case 2: avx512_add_column_sums(a, rows, width, sums); return;
    case 1: avx2_add_column_sums(a, rows, width, sums); return;
    default: break;
    }
#endif
    baseline_add_column_sums(a, rows, width, sums);
}
