/* ritz runs OpenBLAS on one thread, set once when the program is loaded, before any BLAS or
 * LAPACK call. The cores are used by ritz's own `Parallel` pieces instead, which cut work by
 * shape alone: OpenBLAS rounds differently for different thread counts, and a count that
 * changed while another thread computed would change its bytes.
 *
 * OpenBLAS starts its helper threads when it is loaded (one per further core), and each waits
 * for work by spinning for about 2^28 cycles before it sleeps: a tenth of a second of every
 * core at every start of ritz, taken from ritz's own threads on a small machine. With one
 * thread they never get work, so they are stopped at once (OpenBLAS's own shutdown, the one it
 * runs before a fork; a call that wanted threads again would restart them). */

void openblas_set_num_threads(int num_threads);
/* Weak: Debian's serial build of OpenBLAS (libopenblas0-serial, one of the variants
 * update-alternatives switches between) starts no threads and has no such function, and ritz
 * must load with it as with the pthread and OpenMP builds. */
int blas_thread_shutdown_(void) __attribute__((weak));

__attribute__((constructor)) static void ck_blas_single_thread(void) {
    openblas_set_num_threads(1);
    if (blas_thread_shutdown_) blas_thread_shutdown_();
}
