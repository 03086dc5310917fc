/* Products with one short side (ckernels.h, ck_gemm_thin): C = op(A)·op(B) + beta·C where the
 * side that is not streamed fits in the cache — a dense layer's forward pass and input
 * gradient (many rows times a small weight matrix), and its weight gradient (a small matrix
 * summed over many rows). OpenBLAS packs both operands of every product into its own layout
 * first, which for these shapes costs about a fifth of the product; these kernels read the
 * operands where they lie and keep a block of C in registers:
 *   A not transposed: C[i][j..] accumulates A[i][p]·B[p][j..] (B transposed is first copied
 *     upright), blocks of MR rows × NR vectors of C, rows taken in panels of 48 so each
 *     panel's rows of A stay in the first-level cache while every column slab passes over them;
 *   A transposed: C[i][j..] accumulates A[p][i]·B[p][j..] over the rows p of both operands,
 *     128 rows at a time (their slices stay in cache while every block of C passes over them;
 *     a block's partial sums wait in C between chunks).
 * Every element of C is one chain of fused multiply-adds in the order p = 0, 1, …, k − 1,
 * starting from beta·C (from 0 when beta is 0, and C is then not read), whatever the blocking,
 * the vector width or how a caller splits the rows or columns: the AVX2+FMA and AVX-512 builds
 * give the same bytes, which a scalar loop of fused multiply-adds reproduces (the tests compare
 * with one), and ck_gemm_small_k's chains are the same. The baseline build has no such kernel
 * (0 is returned and the caller uses BLAS). Measured against OpenBLAS 0.3.21's Cooperlake
 * kernels on one Zen 4 core: the AVX-512 build 1.25× as fast on 899×64·(64×64)ᵀ and
 * (899×64)ᵀ·899×64 (55 GFLOP/s, 95% of the core's peak), 1.4× on 899×64·(10×64)ᵀ (a
 * classifier's logits), 1.15–1.3× on a transformer's 4096×64·(256×64)ᵀ-like shapes; the AVX2
 * build about level with OpenBLAS. In the AVX-512 build a slab whose last 2 or 4 columns do not
 * fill a vector keeps them in 2- or 4-lane vectors (the 10 logits: 8 + 2), 1.2× as fast as a
 * masked 8-lane vector on Zen 4, which runs 8 lanes as two halves. */

#include "ckernels.h"

#include <stdlib.h>

#include "vector_targets.h"

/* Rows of A taken at a time by the upright kernels: a multiple of every block height below. */
#define THIN_PANEL 48
/* Rows of both operands taken at a time by the transposed kernels (64 reloaded C too often and
 * 1024 left the chunk in no cache: both were 3% slower in the digits mlp's GD step). */
#define THIN_CHUNK 128
/* Limits of the shapes taken (outside them OpenBLAS's blocking wins): the upright kernels keep
 * B (k × n values) in the second-level cache; the transposed ones keep C (m × n) there and a
 * chunk of A and B (128 × (m + n)) in the first two levels. */
#define THIN_MAX_B 16384
#define THIN_MAX_C 16384
#define THIN_MAX_SIDES 320
/* Values of a transposed B copied upright on the stack rather than the heap. */
#define THIN_STACK_COPY 4096

#if CK_X86
/* Expands the arguments (lists such as Z_ARGS) before `macro` sees them. */
#define CK_THIN_EXPAND(macro, ...) macro(__VA_ARGS__)
/* The loops over a block's rows and vectors are unrolled whatever the optimisation level, so its
 * accumulators live in registers: at -O2 (SwiftPM's release level) clang kept the 12 × 2 block's
 * on the stack, and a 10-column product ran at a third of its speed. */
#define CK_THIN_UNROLL _Pragma("clang loop unroll(full)")

/* Vector v of the row at p; in a tail slab (TAIL) the last one masked to the slab's width. */
#define CK_THIN_LOAD_VECTOR(TAIL, NR, v, p, L, LOAD, MLOAD, last)                                                   \
    (TAIL && (v) == NR - 1 ? MLOAD(last, (p) + L * (v)) : LOAD((p) + L * (v)))
/* A block's accumulators s[r][v]: beta·C (0 when beta is 0, C unread), or the partial sums in
 * C unless `first`. */
#define CK_THIN_BLOCK_INIT(V, NR, MR, TAIL, first, beta, c, ldc, L, LOAD, MLOAD, ZERO, MUL, SET1, last)             \
    V s[MR][NR];                                                                                                    \
    CK_THIN_UNROLL for (int r = 0; r < MR; r++)                                                                                    \
        CK_THIN_UNROLL for (int v = 0; v < NR; v++)                                                                                \
            s[r][v] = !(first) ? CK_THIN_LOAD_VECTOR(TAIL, NR, v, c + r * ldc, L, LOAD, MLOAD, last)                \
                      : (beta) == 0 ? ZERO()                                                                        \
                      : MUL(SET1(beta), CK_THIN_LOAD_VECTOR(TAIL, NR, v, c + r * ldc, L, LOAD, MLOAD, last));

#define CK_THIN_BLOCK_STORE(NR, MR, TAIL, c, ldc, L, STORE, MSTORE, last)                                           \
    CK_THIN_UNROLL for (int r = 0; r < MR; r++) {                                                                                  \
        CK_THIN_UNROLL for (int v = 0; v < NR - 1; v++) STORE(c + r * ldc + L * v, s[r][v]);                                       \
        if (TAIL) MSTORE(c + r * ldc + L * (NR - 1), last, s[r][NR - 1]);                                           \
        else STORE(c + r * ldc + L * (NR - 1), s[r][NR - 1]);                                                       \
    }

/* An upright block: C[MR rows × NR vectors] from A's MR rows (stride lda) and B's k rows. */
#define CK_THIN_UPRIGHT(P, ATTR, V, M, L, NR, MR, TAIL, LOAD, MLOAD, STORE, MSTORE, FMA, SET1, ZERO, MUL)           \
    ATTR static void P##_upright_##NR##_##MR##_##TAIL(ptrdiff_t k, const double *a, ptrdiff_t lda, const double *b, \
                                             ptrdiff_t ldb, double beta, double *c, ptrdiff_t ldc, M last) {        \
        CK_THIN_BLOCK_INIT(V, NR, MR, TAIL, 1, beta, c, ldc, L, LOAD, MLOAD, ZERO, MUL, SET1, last)                 \
        for (ptrdiff_t p = 0; p < k; p++) {                                                                         \
            V bv[NR];                                                                                               \
            CK_THIN_UNROLL for (int v = 0; v < NR; v++) bv[v] = CK_THIN_LOAD_VECTOR(TAIL, NR, v, b + p * ldb, L, LOAD, MLOAD, last); \
            CK_THIN_UNROLL for (int r = 0; r < MR; r++) {                                                                          \
                V x = SET1(a[r * lda + p]);                                                                         \
                CK_THIN_UNROLL for (int v = 0; v < NR; v++) s[r][v] = FMA(x, bv[v], s[r][v]);                                      \
            }                                                                                                       \
        }                                                                                                           \
        CK_THIN_BLOCK_STORE(NR, MR, TAIL, c, ldc, L, STORE, MSTORE, last)                                           \
    }

/* An upright block of NR − 1 whole vectors and a narrow tail held in vectors of its own width
 * (TV: 2 or 4 lanes), unmasked: on a core that splits wide operations in two (Zen 4 runs an
 * 8-lane operation as two 4-lane halves), a 2-lane tail in a masked 8-lane vector cost as much as
 * a whole one. The broadcast of A's element is the wide one's low lanes (TLOW). */
#define CK_THIN_UPRIGHT_NARROW(P, ATTR, V, M, L, NR, MR, TNAME, TV, LOAD, STORE, FMA, SET1, ZERO, MUL, TLOAD,   \
                               TSTORE, TFMA, TZERO, TMUL, TSET1, TLOW, WIDE_BROADCAST)                               \
    ATTR static void P##_upright_##NR##_##MR##_##TNAME(ptrdiff_t k, const double *a, ptrdiff_t lda, const double *b,  \
                                                       ptrdiff_t ldb, double beta, double *c, ptrdiff_t ldc,        \
                                                       M unused_mask) {                                             \
        (void)unused_mask;                                                                                          \
        V s[MR][NR - 1];                                                                                            \
        TV t[MR];                                                                                                   \
        CK_THIN_UNROLL for (int r = 0; r < MR; r++) {                                                               \
            CK_THIN_UNROLL for (int v = 0; v < NR - 1; v++)                                                         \
                s[r][v] = (beta) == 0 ? ZERO() : MUL(SET1(beta), LOAD(c + r * ldc + L * v));                        \
            t[r] = (beta) == 0 ? TZERO() : TMUL(TSET1(beta), TLOAD(c + r * ldc + L * (NR - 1)));                    \
        }                                                                                                           \
        for (ptrdiff_t p = 0; p < k; p++) {                                                                         \
            V bv[NR - 1];                                                                                           \
            CK_THIN_UNROLL for (int v = 0; v < NR - 1; v++) bv[v] = LOAD(b + p * ldb + L * v);                      \
            TV bt = TLOAD(b + p * ldb + L * (NR - 1));                                                              \
            CK_THIN_UNROLL for (int r = 0; r < MR; r++) {                                                           \
                V x = WIDE_BROADCAST(a + r * lda + p);                                                              \
                CK_THIN_UNROLL for (int v = 0; v < NR - 1; v++) s[r][v] = FMA(x, bv[v], s[r][v]);                   \
                t[r] = TFMA(TLOW(x), bt, t[r]);                                                                     \
            }                                                                                                       \
        }                                                                                                           \
        CK_THIN_UNROLL for (int r = 0; r < MR; r++) {                                                               \
            CK_THIN_UNROLL for (int v = 0; v < NR - 1; v++) STORE(c + r * ldc + L * v, s[r][v]);                    \
            TSTORE(c + r * ldc + L * (NR - 1), t[r]);                                                               \
        }                                                                                                           \
    }

/* A transposed block: C[MR × NR vectors] (its partial sums in C unless `first`) plus
 * Σ_p A[p][0..MR)ᵀ·B[p][..] over k rows. */
#define CK_THIN_TRANSPOSED(P, ATTR, V, M, L, NR, MR, TAIL, LOAD, MLOAD, STORE, MSTORE, FMA, SET1, ZERO, MUL)        \
    ATTR static void P##_transposed_##NR##_##MR##_##TAIL(int first, ptrdiff_t k, const double *a, ptrdiff_t lda,    \
                                                const double *b, ptrdiff_t ldb, double beta, double *c,             \
                                                ptrdiff_t ldc, M last) {                                            \
        CK_THIN_BLOCK_INIT(V, NR, MR, TAIL, first, beta, c, ldc, L, LOAD, MLOAD, ZERO, MUL, SET1, last)             \
        for (ptrdiff_t p = 0; p < k; p++) {                                                                         \
            V bv[NR];                                                                                               \
            CK_THIN_UNROLL for (int v = 0; v < NR; v++) bv[v] = CK_THIN_LOAD_VECTOR(TAIL, NR, v, b + p * ldb, L, LOAD, MLOAD, last); \
            const double *ap = a + p * lda;                                                                         \
            CK_THIN_UNROLL for (int r = 0; r < MR; r++) {                                                                          \
                V x = SET1(ap[r]);                                                                                  \
                CK_THIN_UNROLL for (int v = 0; v < NR; v++) s[r][v] = FMA(x, bv[v], s[r][v]);                                      \
            }                                                                                                       \
        }                                                                                                           \
        CK_THIN_BLOCK_STORE(NR, MR, TAIL, c, ldc, L, STORE, MSTORE, last)                                           \
    }

/* A build's function types, P##_upright_fn and P##_transposed_fn, with M its tail-mask type. */
#define CK_THIN_TYPES(P, M)                                                                                         \
    typedef void (*P##_upright_fn)(ptrdiff_t, const double *, ptrdiff_t, const double *, ptrdiff_t, double,         \
                                   double *, ptrdiff_t, M);                                                         \
    typedef void (*P##_transposed_fn)(int, ptrdiff_t, const double *, ptrdiff_t, const double *, ptrdiff_t,         \
                                      double, double *, ptrdiff_t, M);

/* One kernel of each tail kind (whole last vector, masked), and its table entry. U names the
 * build's U##_ARGS and U##_OPS, pasted only here so the lists stay one argument until then. */
#define CK_THIN_TAILS(KIND, P, U, NR, MR)                                                                           \
    CK_THIN_EXPAND(KIND, P, U##_ARGS, NR, MR, 0, U##_OPS) CK_THIN_EXPAND(KIND, P, U##_ARGS, NR, MR, 1, U##_OPS)
#define CK_THIN_ENTRY(P, NAME, NR, MR) {P##_##NAME##_##NR##_##MR##_0, P##_##NAME##_##NR##_##MR##_1}

/* The upright kernels for NR vectors per row: the full block of MR rows and the one-row block. */
#define CK_THIN_UPRIGHTS(P, U, NR, MR)                                                                              \
    CK_THIN_TAILS(CK_THIN_UPRIGHT, P, U, NR, MR) CK_THIN_TAILS(CK_THIN_UPRIGHT, P, U, NR, 1)
#define CK_THIN_UPRIGHT_ROW(P, NR, MR) {CK_THIN_ENTRY(P, upright, NR, MR), CK_THIN_ENTRY(P, upright, NR, 1)}

/* The transposed kernels for NR vectors per row and every block height up to 6 (and up to 8). */
#define CK_THIN_TRANSPOSED_6(P, U, NR)                                                                              \
    CK_THIN_TAILS(CK_THIN_TRANSPOSED, P, U, NR, 1) CK_THIN_TAILS(CK_THIN_TRANSPOSED, P, U, NR, 2)                   \
    CK_THIN_TAILS(CK_THIN_TRANSPOSED, P, U, NR, 3) CK_THIN_TAILS(CK_THIN_TRANSPOSED, P, U, NR, 4)                   \
    CK_THIN_TAILS(CK_THIN_TRANSPOSED, P, U, NR, 5) CK_THIN_TAILS(CK_THIN_TRANSPOSED, P, U, NR, 6)
#define CK_THIN_TRANSPOSED_8(P, U, NR)                                                                              \
    CK_THIN_TRANSPOSED_6(P, U, NR)                                                                                  \
    CK_THIN_TAILS(CK_THIN_TRANSPOSED, P, U, NR, 7) CK_THIN_TAILS(CK_THIN_TRANSPOSED, P, U, NR, 8)
#define CK_THIN_HEIGHTS_6(P, NR)                                                                                    \
    CK_THIN_ENTRY(P, transposed, NR, 1), CK_THIN_ENTRY(P, transposed, NR, 2), CK_THIN_ENTRY(P, transposed, NR, 3),  \
    CK_THIN_ENTRY(P, transposed, NR, 4), CK_THIN_ENTRY(P, transposed, NR, 5), CK_THIN_ENTRY(P, transposed, NR, 6)
#define CK_THIN_TRANSPOSED_ROW_6(P, NR) {CK_THIN_HEIGHTS_6(P, NR)}
#define CK_THIN_TRANSPOSED_ROW_8(P, NR)                                                                             \
    {CK_THIN_HEIGHTS_6(P, NR), CK_THIN_ENTRY(P, transposed, NR, 7), CK_THIN_ENTRY(P, transposed, NR, 8)}

/* The AVX-512 build: 8 lanes, 32 registers; column slabs of 4 vectors (32 columns) upright, 3 transposed. */
#define Z_LOAD(p) _mm512_loadu_pd(p)
#define Z_MLOAD(m, p) _mm512_maskz_loadu_pd(m, p)
#define Z_STORE(p, v) _mm512_storeu_pd(p, v)
#define Z_MSTORE(p, m, v) _mm512_mask_storeu_pd(p, m, v)
#define Z_ARGS AVX512, __m512d, __mmask8, 8
#define Z_OPS Z_LOAD, Z_MLOAD, Z_STORE, Z_MSTORE, _mm512_fmadd_pd, _mm512_set1_pd, _mm512_setzero_pd, _mm512_mul_pd
CK_THIN_TYPES(z, __mmask8)
CK_THIN_UPRIGHTS(z, Z, 1, 16)
CK_THIN_UPRIGHTS(z, Z, 2, 12)
CK_THIN_UPRIGHTS(z, Z, 3, 8)
CK_THIN_UPRIGHTS(z, Z, 4, 6)
CK_THIN_TRANSPOSED_8(z, Z, 1)
CK_THIN_TRANSPOSED_8(z, Z, 2)
CK_THIN_TRANSPOSED_8(z, Z, 3)
/* A broadcast from memory that the compiler cannot take apart: given both a wide broadcast and
 * its low lanes, clang loaded the narrow one and widened it with a shuffle, which occupies a
 * multiply-add pipe on Zen 4 and cancelled the gain. */
AVX512 static inline __m512d z_broadcast_load(const double *p) {
    __m512d v;
    __asm__("vbroadcastsd %1, %0" : "=v"(v) : "m"(*p));
    return v;
}
/* Narrow tails of 2 lanes (a classifier's 10 outputs: 8 + 2) and 4 lanes, for 2–4 vectors per row. */
#define Z_NARROW_WIDE _mm512_loadu_pd, _mm512_storeu_pd, _mm512_fmadd_pd, _mm512_set1_pd, _mm512_setzero_pd, _mm512_mul_pd
#define Z_NARROW_2 x2, __m128d, Z_NARROW_WIDE, _mm_loadu_pd, _mm_storeu_pd, _mm_fmadd_pd, _mm_setzero_pd, _mm_mul_pd, \
    _mm_set1_pd, _mm512_castpd512_pd128, z_broadcast_load
#define Z_NARROW_4 y4, __m256d, Z_NARROW_WIDE, _mm256_loadu_pd, _mm256_storeu_pd, _mm256_fmadd_pd, _mm256_setzero_pd, \
    _mm256_mul_pd, _mm256_set1_pd, _mm512_castpd512_pd256, z_broadcast_load
#define Z_NARROWS(NR, MR)                                                                                          \
    CK_THIN_EXPAND(CK_THIN_UPRIGHT_NARROW, z, AVX512, __m512d, __mmask8, 8, NR, MR, Z_NARROW_2)                    \
    CK_THIN_EXPAND(CK_THIN_UPRIGHT_NARROW, z, AVX512, __m512d, __mmask8, 8, NR, 1, Z_NARROW_2)                     \
    CK_THIN_EXPAND(CK_THIN_UPRIGHT_NARROW, z, AVX512, __m512d, __mmask8, 8, NR, MR, Z_NARROW_4)                    \
    CK_THIN_EXPAND(CK_THIN_UPRIGHT_NARROW, z, AVX512, __m512d, __mmask8, 8, NR, 1, Z_NARROW_4)
#define Z_NARROW_ROW(NR, MR)                                                                                       \
    {{z_upright_##NR##_##MR##_x2, z_upright_##NR##_1_x2}, {z_upright_##NR##_##MR##_y4, z_upright_##NR##_1_y4}}
Z_NARROWS(2, 12)
Z_NARROWS(3, 8)
Z_NARROWS(4, 6)
/* Narrow-tail kernels by vectors per row (2–4), [2 lanes, 4 lanes], [full block, one row]. */
static const z_upright_fn z_narrow[3][2][2] = {Z_NARROW_ROW(2, 12), Z_NARROW_ROW(3, 8), Z_NARROW_ROW(4, 6)};
/* Upright kernels by vectors per row, [full block, one row], [whole last vector, masked]. */
static const z_upright_fn z_upright[4][2][2] = {
    CK_THIN_UPRIGHT_ROW(z, 1, 16), CK_THIN_UPRIGHT_ROW(z, 2, 12), CK_THIN_UPRIGHT_ROW(z, 3, 8),
    CK_THIN_UPRIGHT_ROW(z, 4, 6)};
static const int z_upright_rows[4] = {16, 12, 8, 6};
/* Transposed kernels by vectors per row, block height 1–8, [whole last vector, masked]. */
static const z_transposed_fn z_transposed[3][8][2] = {
    CK_THIN_TRANSPOSED_ROW_8(z, 1), CK_THIN_TRANSPOSED_ROW_8(z, 2), CK_THIN_TRANSPOSED_ROW_8(z, 3)};

/* The AVX2+FMA build: 4 lanes, 16 registers; column slabs of 2 vectors (8 columns) upright, 2 transposed. */
#define V_LOAD(p) _mm256_loadu_pd(p)
#define V_MLOAD(m, p) _mm256_maskload_pd(p, m)
#define V_STORE(p, v) _mm256_storeu_pd(p, v)
#define V_MSTORE(p, m, v) _mm256_maskstore_pd(p, m, v)
#define V_ARGS AVX2, __m256d, __m256i, 4
#define V_OPS V_LOAD, V_MLOAD, V_STORE, V_MSTORE, _mm256_fmadd_pd, _mm256_set1_pd, _mm256_setzero_pd, _mm256_mul_pd
CK_THIN_TYPES(v, __m256i)
CK_THIN_UPRIGHTS(v, V, 1, 12)
CK_THIN_UPRIGHTS(v, V, 2, 6)
CK_THIN_TRANSPOSED_6(v, V, 1)
CK_THIN_TRANSPOSED_6(v, V, 2)
static const v_upright_fn v_upright[2][2][2] = {CK_THIN_UPRIGHT_ROW(v, 1, 12), CK_THIN_UPRIGHT_ROW(v, 2, 6)};
static const int v_upright_rows[2] = {12, 6};
static const v_transposed_fn v_transposed[2][6][2] = {CK_THIN_TRANSPOSED_ROW_6(v, 1), CK_THIN_TRANSPOSED_ROW_6(v, 2)};

static inline __mmask8 z_mask(ptrdiff_t n) { return (__mmask8)((1u << n) - 1); }
AVX2 static inline __m256i v_mask(ptrdiff_t n) {
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x((long long)n), _mm256_setr_epi64x(0, 1, 2, 3));
}

/* The drivers, one per build: column slabs of SLAB (upright) or TSLAB (transposed) vectors, the
 * last slab narrower with its last vector masked when the width is not a whole number of
 * vectors (upright, NARROW may put narrow-tail kernels in place of the masked ones); blocks of
 * rows within panels (upright) or within chunks of rows (transposed). */
#define CK_THIN_DRIVERS(P, ATTR, M, L, SLAB, MASK, UPRIGHT, UPRIGHT_ROWS, NARROW, TSLAB, TRANSPOSED, TRANSPOSED_ROWS) \
    ATTR static void P##_thin_upright(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const double *a, ptrdiff_t lda,        \
                                      const double *b, ptrdiff_t ldb, double beta, double *c, ptrdiff_t ldc) {      \
        for (ptrdiff_t i0 = 0; i0 < m; i0 += THIN_PANEL) {                                                          \
            ptrdiff_t i1 = m - i0 < THIN_PANEL ? m : i0 + THIN_PANEL;                                               \
            for (ptrdiff_t j = 0; j < n; j += SLAB * L) {                                                           \
                ptrdiff_t w = n - j < SLAB * L ? n - j : SLAB * L;                                                  \
                int nr = (int)((w + L - 1) / L);                                                                    \
                ptrdiff_t width = w - (ptrdiff_t)L * (nr - 1);                                                      \
                M last = MASK(width);                                                                               \
                int tail = width < L;                                                                               \
                P##_upright_fn block = UPRIGHT[nr - 1][0][tail], row = UPRIGHT[nr - 1][1][tail];                  \
                if (tail) NARROW(nr, width, &block, &row);                                                          \
                int mr = UPRIGHT_ROWS[nr - 1];                                                                      \
                ptrdiff_t i = i0;                                                                                   \
                for (; i + mr <= i1; i += mr) block(k, a + i * lda, lda, b + j, ldb, beta, c + i * ldc + j, ldc, last); \
                for (; i < i1; i++) row(k, a + i * lda, lda, b + j, ldb, beta, c + i * ldc + j, ldc, last);         \
            }                                                                                                       \
        }                                                                                                           \
    }                                                                                                               \
    ATTR static void P##_thin_transposed(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const double *a,                    \
                                         ptrdiff_t lda, const double *b, ptrdiff_t ldb, double beta,                \
                                         double *c, ptrdiff_t ldc) {                                                \
        for (ptrdiff_t p0 = 0; p0 < k; p0 += THIN_CHUNK) {                                                          \
            ptrdiff_t kc = k - p0 < THIN_CHUNK ? k - p0 : THIN_CHUNK;                                               \
            for (ptrdiff_t j = 0; j < n; j += TSLAB * L) {                                                          \
                ptrdiff_t w = n - j < TSLAB * L ? n - j : TSLAB * L;                                                \
                int nr = (int)((w + L - 1) / L);                                                                    \
                ptrdiff_t width = w - (ptrdiff_t)L * (nr - 1);                                                      \
                M last = MASK(width);                                                                               \
                int tail = width < L;                                                                               \
                for (ptrdiff_t i = 0; i < m; i += TRANSPOSED_ROWS) {                                                \
                    int mr = m - i < TRANSPOSED_ROWS ? (int)(m - i) : TRANSPOSED_ROWS;                              \
                    TRANSPOSED[nr - 1][mr - 1][tail](p0 == 0, kc, a + p0 * lda + i, lda, b + p0 * ldb + j, ldb,     \
                                               beta, c + i * ldc + j, ldc, last);                                   \
                }                                                                                                   \
            }                                                                                                       \
        }                                                                                                           \
    }

/* The narrow-tail kernels in place of the masked ones, for a slab of nr vectors whose last has
 * `width` lanes, when there are such kernels for it. */
static inline void z_narrow_kernels(int nr, ptrdiff_t width, z_upright_fn *block, z_upright_fn *row) {
    if (nr < 2 || (width != 2 && width != 4)) return;
    *block = z_narrow[nr - 2][width == 4][0];
    *row = z_narrow[nr - 2][width == 4][1];
}
/* The AVX2 build has none: its vectors are already the width a core executes in one go. */
#define V_NO_NARROW(...) ((void)0)

CK_THIN_DRIVERS(z, AVX512, __mmask8, 8, 4, z_mask, z_upright, z_upright_rows, z_narrow_kernels, 3, z_transposed, 8)
CK_THIN_DRIVERS(v, AVX2, __m256i, 4, 2, v_mask, v_upright, v_upright_rows, V_NO_NARROW, 2, v_transposed, 6)
#endif

int ck_gemm_thin(int trans_a, int trans_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const double *a, ptrdiff_t lda,
                 const double *b, ptrdiff_t ldb, double beta, double *c, ptrdiff_t ldc) {
#if CK_X86
    int build = ck_vector_build();
    if (build == 0 || m <= 0 || n <= 0 || k <= 0) return 0;
    if (!trans_a) {
        if (k > THIN_MAX_B || n > THIN_MAX_B || k * n > THIN_MAX_B || m < 8) return 0;
        const double *upright = b;
        /* A transposed B is copied upright: on the stack up to 32 KiB (a 64 × 64 layer's
         * weights), else on the heap. */
        double local[THIN_STACK_COPY];
        double *copy = NULL;
        ptrdiff_t ld = ldb;
        if (trans_b) {
            copy = k * n <= THIN_STACK_COPY ? local : malloc(sizeof(double) * (size_t)(k * n));
            if (!copy) return 0;
            ck_transpose(n, k, b, ldb, copy, n);
            upright = copy;
            ld = n;
        }
        if (build == 2) z_thin_upright(m, n, k, a, lda, upright, ld, beta, c, ldc);
        else v_thin_upright(m, n, k, a, lda, upright, ld, beta, c, ldc);
        if (copy != local) free(copy);
        return 1;
    }
    if (trans_b || m > THIN_MAX_C || n > THIN_MAX_C || m * n > THIN_MAX_C || m + n > THIN_MAX_SIDES) return 0;
    /* Cᵀ = Bᵀ·A when C's rows fill fewer vector lanes than its columns would (a classifier's
     * 64 × 10 weight gradient fills 10 of 16 lanes a row, its transpose 64 of 64: a third
     * faster), computed in a scratch copy and transposed back. The same chains of products, so
     * the same bytes. */
    ptrdiff_t lanes = build == 2 ? 8 : 4;
    ptrdiff_t slots = m * ((n + lanes - 1) / lanes), swapped_slots = n * ((m + lanes - 1) / lanes);
    if (swapped_slots < slots) {
        double local[THIN_STACK_COPY];
        double *ct = m * n <= THIN_STACK_COPY ? local : malloc(sizeof(double) * (size_t)(m * n));
        if (!ct) return 0;
        if (beta != 0) ck_transpose(m, n, c, ldc, ct, m);
        if (build == 2) z_thin_transposed(n, m, k, b, ldb, a, lda, beta, ct, m);
        else v_thin_transposed(n, m, k, b, ldb, a, lda, beta, ct, m);
        ck_transpose(n, m, ct, m, c, ldc);
        if (ct != local) free(ct);
        return 1;
    }
    if (build == 2) z_thin_transposed(m, n, k, a, lda, b, ldb, beta, c, ldc);
    else v_thin_transposed(m, n, k, a, lda, b, ldb, beta, c, ldc);
    return 1;
#else
    (void)trans_a; (void)trans_b; (void)m; (void)n; (void)k; (void)a; (void)lda; (void)b; (void)ldb;
    (void)beta; (void)c; (void)ldc;
    return 0;
#endif
}
