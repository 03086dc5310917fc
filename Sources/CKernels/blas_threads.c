/* ritz runs OpenBLAS on one thread, set once when the program is loaded, before any BLAS or
 * LAPACK call. The cores are used by ritz's own `Parallel` pieces instead, which cut work by
 * shape alone: OpenBLAS rounds differently for different thread counts, and a count that
 * changed while another thread computed would change its bytes. */

void openblas_set_num_threads(int num_threads);

__attribute__((constructor)) static void ck_blas_single_thread(void) {
    openblas_set_num_threads(1);
}
