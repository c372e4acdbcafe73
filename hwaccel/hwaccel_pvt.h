/* SPDX-License-Identifier: MIT */
/* hwaccel_pvt.h - the backends' ops table and the engine they share (hwaccel.c). */
#ifndef PC_HWACCEL_PVT_H
#define PC_HWACCEL_PVT_H

#include <stdint.h>

#include "pc_hwaccel.h"

/* Profiler histogram: log-linear, 16 sub-buckets per power of two of nanoseconds (6% wide). */
#define PC_HW_HIST_SUB 16
#define PC_HW_HIST_BUCKETS (64 * PC_HW_HIST_SUB)

struct pc_hw_prof {
	const struct pc_hw_kernel *kernel;
	uint64_t jobs, errors, ns_sum, ns_max;
	uint32_t hist[PC_HW_HIST_BUCKETS];
};

struct pc_hw_engine;

/* A backend. */
struct pc_hw_ops {
	const char *name;
	/* Checks the backend can run here (its self-test); 0 or -errno (-ENOTSUP: not here). */
	int (*probe)(void);
	/* Starts the work of @job (already counted in flight). The backend completes it, now or
	 * later, with pc_hw_complete(). 0 or -errno (the job was not started). */
	int (*start)(struct pc_hw_engine *e, struct pc_hw_job *job);
	/* Makes progress on jobs in flight without blocking (NULL: nothing to do). */
	void (*progress)(struct pc_hw_engine *e);
	/* Blocks until at least one more job completes (NULL: jobs complete in start). */
	void (*wait)(struct pc_hw_engine *e);
};

extern const struct pc_hw_ops pc_hw_cpu_ops;

/* pc_hw_complete - a backend's report that @job ran with @status (engine thread). */
void pc_hw_complete(struct pc_hw_engine *e, struct pc_hw_job *job, int status);

/* pc_hw_now_ns - CLOCK_MONOTONIC in nanoseconds. */
uint64_t pc_hw_now_ns(void);

#endif /* PC_HWACCEL_PVT_H */
