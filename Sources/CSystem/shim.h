// glibc declarations that Swift's Glibc module does not import.
#include <malloc.h>
