#include "job_depth.h"

static _Thread_local int depth;

void ck_job_enter(void) { depth++; }
void ck_job_leave(void) { depth--; }
int ck_job_depth(void) { return depth; }
