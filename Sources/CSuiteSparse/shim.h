// SuiteSparse (Debian: libsuitesparse-dev): CHOLMOD, supernodal sparse Cholesky with its own
// fill-reducing ordering, and UMFPACK, sparse LU with partial pivoting.
#include <suitesparse/cholmod.h>
#include <suitesparse/umfpack.h>
