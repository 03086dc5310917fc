#ifndef RITZ_JOB_DEPTH_H
#define RITZ_JOB_DEPTH_H

/* How many of `Parallel`'s multi-job calls enclose the code running on this thread: a
 * thread-local count, raised around each job of a call with more than one job. Work that
 * would cut itself into parallel pieces asks it, and runs whole inside such a job. */

#ifdef __cplusplus
extern "C" {
#endif

void ck_job_enter(void);
void ck_job_leave(void);
int ck_job_depth(void);

#ifdef __cplusplus
}
#endif

#endif
