/* The elementwise products of tanh's derivatives (ckernels.h): a tanh layer's backward pass
 * g·(1 − y²) (also with a row vector added to g first, a dense layer's bias tangent), its
 * tangent ġ·(1 − y²) + (−2·g)·y·ẏ, and the second-derivative term (−2·a)·b·c.
 * Each element is computed with the same operations in the same order at every vector width and
 * without fused multiply-adds (contraction is off in this file), so every kernel set gives the
 * bytes of the plain loops; `out` may be one of the inputs (each element is read before it is
 * written). */

#include "ckernels.h"

#pragma STDC FP_CONTRACT OFF

#include "vector_targets.h"

static inline double backward_1(double g, double y) { return g * (1 - y * y); }
static inline double backward_row_1(double g, double v, double y) { return (g + v) * (1 - y * y); }
static inline double tangent_1(double tg, double ty, double g, double y) {
    return tg * (1 - y * y) + -2 * g * y * ty;
}
static inline double curvature_1(double a, double b, double c) { return -2 * a * b * c; }

/* The three kernels for one vector type: W lanes, with its load, store, multiply, subtract,
 * add and broadcast; the scalar forms finish the tail. */
#define CK_TANH_DERIVATIVES(ATTR, P, VEC, W, LOAD, STORE, MUL, SUB, ADD, SET1)                          \
    ATTR static void P##_tanh_backward(const double *g, const double *y, double *out, ptrdiff_t n) {   \
        const VEC one = SET1(1.0);                                                                     \
        ptrdiff_t i = 0;                                                                               \
        for (; i + W <= n; i += W) {                                                                   \
            VEC yv = LOAD(y + i);                                                                      \
            STORE(out + i, MUL(LOAD(g + i), SUB(one, MUL(yv, yv))));                                   \
        }                                                                                              \
        for (; i < n; i++) out[i] = backward_1(g[i], y[i]);                                            \
    }                                                                                                  \
    ATTR static void P##_tanh_backward_rows(const double *g, const double *v, const double *y, double *out,  \
                                            ptrdiff_t rows, ptrdiff_t width) {                        \
        const VEC one = SET1(1.0);                                                                     \
        for (ptrdiff_t r = 0; r < rows; r++) {                                                         \
            const double *gr = g + r * width, *yr = y + r * width;                                     \
            double *o = out + r * width;                                                               \
            ptrdiff_t j = 0;                                                                           \
            for (; j + W <= width; j += W) {                                                           \
                VEC yv = LOAD(yr + j);                                                                 \
                STORE(o + j, MUL(ADD(LOAD(gr + j), LOAD(v + j)), SUB(one, MUL(yv, yv))));              \
            }                                                                                          \
            for (; j < width; j++) o[j] = backward_row_1(gr[j], v[j], yr[j]);                          \
        }                                                                                              \
    }                                                                                                  \
    ATTR static void P##_tanh_backward_tangent(const double *tg, const double *ty, const double *g,    \
                                               const double *y, double *out, ptrdiff_t n) {            \
        const VEC one = SET1(1.0), minus2 = SET1(-2.0);                                                \
        ptrdiff_t i = 0;                                                                               \
        for (; i + W <= n; i += W) {                                                                   \
            VEC yv = LOAD(y + i);                                                                      \
            VEC first = MUL(LOAD(tg + i), SUB(one, MUL(yv, yv)));                                      \
            VEC second = MUL(MUL(MUL(minus2, LOAD(g + i)), yv), LOAD(ty + i));                         \
            STORE(out + i, ADD(first, second));                                                        \
        }                                                                                              \
        for (; i < n; i++) out[i] = tangent_1(tg[i], ty[i], g[i], y[i]);                               \
    }                                                                                                  \
    ATTR static void P##_tanh_curvature(const double *a, const double *b, const double *c, double *out, \
                                        ptrdiff_t n) {                                                 \
        const VEC minus2 = SET1(-2.0);                                                                 \
        ptrdiff_t i = 0;                                                                               \
        for (; i + W <= n; i += W) STORE(out + i, MUL(MUL(MUL(minus2, LOAD(a + i)), LOAD(b + i)), LOAD(c + i))); \
        for (; i < n; i++) out[i] = curvature_1(a[i], b[i], c[i]);                                     \
    }

#if CK_X86
CK_TANH_DERIVATIVES(AVX2, avx2, __m256d, 4, _mm256_loadu_pd, _mm256_storeu_pd, _mm256_mul_pd, _mm256_sub_pd,
                    _mm256_add_pd, _mm256_set1_pd)
CK_TANH_DERIVATIVES(AVX512, avx512, __m512d, 8, _mm512_loadu_pd, _mm512_storeu_pd, _mm512_mul_pd, _mm512_sub_pd,
                    _mm512_add_pd, _mm512_set1_pd)
#endif

void ck_tanh_backward(const double *g, const double *y, double *out, ptrdiff_t n) {
#if CK_X86
    switch (ck_vector_build()) {
    case 2: avx512_tanh_backward(g, y, out, n); return;
    case 1: avx2_tanh_backward(g, y, out, n); return;
    default: break;
    }
#endif
    for (ptrdiff_t i = 0; i < n; i++) out[i] = backward_1(g[i], y[i]);
}

void ck_tanh_backward_rows(const double *g, const double *v, const double *y, double *out, ptrdiff_t rows,
                           ptrdiff_t width) {
    if (rows <= 0 || width <= 0) return;
#if CK_X86
    switch (ck_vector_build()) {
    case 2: avx512_tanh_backward_rows(g, v, y, out, rows, width); return;
    case 1: avx2_tanh_backward_rows(g, v, y, out, rows, width); return;
    default: break;
    }
#endif
    for (ptrdiff_t r = 0; r < rows; r++)
        for (ptrdiff_t j = 0; j < width; j++) out[r * width + j] = backward_row_1(g[r * width + j], v[j], y[r * width + j]);
}

void ck_tanh_backward_tangent(const double *tg, const double *ty, const double *g, const double *y, double *out,
                              ptrdiff_t n) {
#if CK_X86
    switch (ck_vector_build()) {
    case 2: avx512_tanh_backward_tangent(tg, ty, g, y, out, n); return;
    case 1: avx2_tanh_backward_tangent(tg, ty, g, y, out, n); return;
    default: break;
    }
#endif
    for (ptrdiff_t i = 0; i < n; i++) out[i] = tangent_1(tg[i], ty[i], g[i], y[i]);
}

void ck_tanh_curvature(const double *a, const double *b, const double *c, double *out, ptrdiff_t n) {
#if CK_X86
    switch (ck_vector_build()) {
    case 2: avx512_tanh_curvature(a, b, c, out, n); return;
    case 1: avx2_tanh_curvature(a, b, c, out, n); return;
    default: break;
    }
#endif
    for (ptrdiff_t i = 0; i < n; i++) out[i] = curvature_1(a[i], b[i], c[i]);
}
