// LAPACKE (Debian: liblapacke-dev), which calls into OpenBLAS's LAPACK.
#include <lapacke.h>
