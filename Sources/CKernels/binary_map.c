/* Elementwise arithmetic of two arrays, or of an array and one number (ckernels.h,
 * ck_binary_map): out[i] = a[i] op b[i], a[i] op b[0] or a[0] op b[i], op one of + − × ÷. One
 * correctly rounded operation an element, so every kernel set gives the bytes of a plain loop;
 * the vector builds only take more elements an instruction. */

#include "ckernels.h"

#include "vector_targets.h"

/* The three operand forms of one operation: VOP on vectors of W lanes (W = 1: scalars), the
 * scalar operator SOP for the tail. out may be a or b (each element is read before written). */
#define CK_BINARY_FORMS(VEC, W, LOAD, STORE, SET1, VOP, SOP)                                    \
    do {                                                                                        \
        ptrdiff_t i = 0;                                                                        \
        if (form == CK_BINARY_ARRAYS) {                                                         \
            for (; i + W <= n; i += W) STORE(out + i, VOP(LOAD(a + i), LOAD(b + i)));           \
            for (; i < n; i++) out[i] = a[i] SOP b[i];                                          \
        } else if (form == CK_BINARY_RIGHT_NUMBER) {                                            \
            const double s = b[0];                                                              \
            const VEC c = SET1(s);                                                              \
            for (; i + W <= n; i += W) STORE(out + i, VOP(LOAD(a + i), c));                     \
            for (; i < n; i++) out[i] = a[i] SOP s;                                             \
        } else {                                                                                \
            const double s = a[0];                                                              \
            const VEC c = SET1(s);                                                              \
            for (; i + W <= n; i += W) STORE(out + i, VOP(c, LOAD(b + i)));                     \
            for (; i < n; i++) out[i] = s SOP b[i];                                             \
        }                                                                                       \
    } while (0)

#define CK_BINARY_MAP(ATTR, P, VEC, W, LOAD, STORE, SET1, ADD, SUB, MUL, DIV)                    \
    ATTR static void P##_binary_map(int op, int form, const double *a, const double *b, double *out, \
                                    ptrdiff_t n) {                                              \
        switch (op) {                                                                           \
        case CK_BINARY_ADD: CK_BINARY_FORMS(VEC, W, LOAD, STORE, SET1, ADD, +); break;          \
        case CK_BINARY_SUBTRACT: CK_BINARY_FORMS(VEC, W, LOAD, STORE, SET1, SUB, -); break;     \
        case CK_BINARY_MULTIPLY: CK_BINARY_FORMS(VEC, W, LOAD, STORE, SET1, MUL, *); break;     \
        default: CK_BINARY_FORMS(VEC, W, LOAD, STORE, SET1, DIV, /); break;                     \
        }                                                                                       \
    }

#define BASE_LOAD(p) (*(p))
#define BASE_STORE(p, v) (*(p) = (v))
#define BASE_SET1(s) (s)
#define BASE_ADD(x, y) ((x) + (y))
#define BASE_SUB(x, y) ((x) - (y))
#define BASE_MUL(x, y) ((x) * (y))
#define BASE_DIV(x, y) ((x) / (y))
CK_BINARY_MAP(, baseline, double, 1, BASE_LOAD, BASE_STORE, BASE_SET1, BASE_ADD, BASE_SUB, BASE_MUL, BASE_DIV)

#if CK_X86
CK_BINARY_MAP(AVX2, avx2, __m256d, 4, _mm256_loadu_pd, _mm256_storeu_pd, _mm256_set1_pd, _mm256_add_pd,
              _mm256_sub_pd, _mm256_mul_pd, _mm256_div_pd)
CK_BINARY_MAP(AVX512, avx512, __m512d, 8, _mm512_loadu_pd, _mm512_storeu_pd, _mm512_set1_pd, _mm512_add_pd,
              _mm512_sub_pd, _mm512_mul_pd, _mm512_div_pd)
#endif

void ck_binary_map(int op, int form, const double *a, const double *b, double *out, ptrdiff_t n) {
    if (n <= 0) return;
#if CK_X86
    switch (ck_vector_build()) {
    case 2: avx512_binary_map(op, form, a, b, out, n); return;
    case 1: avx2_binary_map(op, form, a, b, out, n); return;
    default: break;
    }
#endif
    baseline_binary_map(op, form, a, b, out, n);
}
