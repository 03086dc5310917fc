#ifndef RITZ_AFFINITY_H
#define RITZ_AFFINITY_H

/* The processors this process may run on: the count in its affinity mask (`taskset`, a
 * container's cpuset, an MPI rank bound to a core), or -1 when the mask cannot be read (more
 * processors than a cpu_set_t holds). */

#ifdef __cplusplus
extern "C" {
#endif

int ck_affinity_cpu_count(void);

#ifdef __cplusplus
}
#endif

#endif
