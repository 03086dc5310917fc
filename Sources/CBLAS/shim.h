// CBLAS from OpenBLAS (Debian: libopenblas-dev), found through pkg-config "openblas".
#include <cblas.h>
