/* Softmax along the rows of a block with each row's log-sum-exp (ckernels.h, ck_softmax_rows):
 * a classifier's cross-entropy and its probabilities in three passes over rows × k values:
 *   1. shift_i = max_j z_ij over the numbers of the row (NaN skipped; 0 when the maximum is not
 *      finite), p_ij = z_ij − shift_i;
 *   2. p_ij = exp(p_ij) by the selected exp, over the whole block at once (whole vectors however
 *      short the rows);
 *   3. s_i = Σ_j p_ij in the order j = 0, 1, …, k − 1, lse_i = log(s_i) + shift_i (libm's log),
 *      p_ij = p_ij·(1/s_i).
 * The maximum and the subtraction are exact and the sum's order is fixed, so the bytes are a
 * plain loop's with the same exp (the AVX2+FMA and AVX-512 builds' exps agree bit for bit; the
 * baseline build's may differ in the last bit). Passes 1 and 3 are plain loops on every kernel
 * set: a classifier's rows are short, and vector code with a masked last vector per row ran 2.4×
 * slower on Zen 4 than these loops (a masked store holds up the next row's loads), which take
 * about half the time the same passes took in Swift. */

#include "ckernels.h"

#include <math.h>

/* The row's shift from its maximum m: m, or 0 when m is not finite (a row of −∞ or NaN, or one
 * holding +∞, has a NaN or infinite log-sum-exp whatever the shift, as it should). */
static inline double softmax_shift(double m) { return isfinite(m) ? m : 0; }

/* Pass 3 of one row: the sum in order, its log-sum-exp, and the scaled row (plain loop). */
static inline void softmax_finish_row(double *row, ptrdiff_t k, double shift, double *lse) {
    double s = 0;
    for (ptrdiff_t j = 0; j < k; j++) s += row[j];
    *lse = log(s) + shift;
    double inv = 1 / s;
    for (ptrdiff_t j = 0; j < k; j++) row[j] *= inv;
}

void ck_softmax_rows(const double *z, ptrdiff_t rows, ptrdiff_t k, double *p, double *lse) {
    if (rows <= 0 || k <= 0) return;
    for (ptrdiff_t i = 0; i < rows; i++) {
        const double *row = z + i * k;
        double m = -INFINITY;
        for (ptrdiff_t j = 0; j < k; j++) m = row[j] > m ? row[j] : m;
        double shift = softmax_shift(m);
        lse[i] = shift;
        for (ptrdiff_t j = 0; j < k; j++) p[i * k + j] = row[j] - shift;
    }
    ck_exp_n(p, p, rows * k);
    for (ptrdiff_t i = 0; i < rows; i++) softmax_finish_row(p + i * k, k, lse[i], lse + i);
}
