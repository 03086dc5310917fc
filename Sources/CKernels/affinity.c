/* The affinity mask's processor count (affinity.h): sched_getaffinity and CPU_COUNT are GNU
 * extensions, which Swift's Glibc module does not import. */

#define _GNU_SOURCE
#include "affinity.h"

#include <sched.h>

int ck_affinity_cpu_count(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return -1;
    return CPU_COUNT(&set);
}
