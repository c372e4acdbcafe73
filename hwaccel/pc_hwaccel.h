/* SPDX-License-Identifier: MIT */
/*
 * pc_hwaccel.h - the offload interface: codec work (echo cancellation of a frame, H.264 encoding of
 * a picture) is submitted as jobs to an engine and collected when done, so that the work can move
 * from the calling thread to a worker thread, a V4L2 M2M device or SIMD kernels without changing
 * the callers.
 *
 * A kernel is one kind of work and its CPU implementation (struct pc_hw_kernel, provided by
 * codecs/). A job names a kernel, the kernel's instance state (an echo canceller, an encoder) and
 * the job's arguments (its buffers). The caller submits jobs and polls for completed ones; jobs
 * complete in submission order per engine.
 *
 * Backends (enum pc_hw_backend), one file each behind an ops table: `cpu` runs the kernel inline,
 * inside pc_hw_submit (the job is complete when submit returns, and the next poll hands it back).
 * Others (worker thread, V4L2 M2M, SIMD) come later and report -ENOTSUP until then.
 *
 * The profiler: every engine times each job (submit to completion, CLOCK_MONOTONIC) per kernel in
 * a log-linear histogram; pc_hw_profile() reads p50/p99/p99.9 per kernel.
 *
 * Thread context: an engine belongs to one thread (its owner submits and polls). The kernels' own
 * state belongs to the engine while a job on it is in flight.
 * Allocates: pc_hw_engine_create only; submit and poll never allocate.
 */
#ifndef PC_HWACCEL_H
#define PC_HWACCEL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One kind of offloadable work. Static storage, provided by the module that owns the work. */
struct pc_hw_kernel {
	const char *name; /* "aec", "h264_enc": the profiler's rows */
	/* The CPU implementation: runs one job on @state with @arg (both borrowed); returns 0 or
	 * -errno, which becomes the job's status (-EINPROGRESS, which marks jobs in flight, becomes
	 * -EIO). */
	int (*run)(void *state, void *arg);
};

/* One unit of work. Owned by the caller; lent to the engine from pc_hw_submit until pc_hw_poll
 * hands it back (the caller must keep it, its state and its buffers alive until then). */
struct pc_hw_job {
	const struct pc_hw_kernel *kernel; /* set by the caller */
	void *state;			   /* the kernel's instance; set by the caller */
	void *arg;			   /* the job's buffers; set by the caller */
	uint64_t user;			   /* the caller's tag, untouched */
	int status;			   /* set by the engine: the kernel's return */
	uint64_t submit_ns;		   /* set by the engine: CLOCK_MONOTONIC at submit */
	uint64_t done_ns;		   /* set by the engine: CLOCK_MONOTONIC at completion */
};

enum pc_hw_backend {
	PC_HW_CPU = 0, /* inline on the calling thread */
	PC_HW_WORKER,  /* a worker thread: later (-ENOTSUP) */
	PC_HW_V4L2M2M, /* V4L2 memory-to-memory codec device: later (-ENOTSUP) */
	PC_HW_BACKEND_COUNT
};

struct pc_hw_conf {
	enum pc_hw_backend backend;
	uint32_t queue_depth; /* jobs in flight at most (submitted, not yet polled); 0: 64 */
	uint32_t max_kernels; /* distinct kernels the profiler keeps; 0: 16 */
};

struct pc_hw_engine;

/* pc_hw_engine_create - an engine on @conf's backend (borrowed; NULL: cpu, defaults). The
 * backend runs its self-test first. Returns 0 and *@out, -ENOTSUP for a backend this build or
 * machine lacks, -EINVAL for a bad conf, -ENOMEM. Allocates. */
int pc_hw_engine_create(struct pc_hw_engine **out, const struct pc_hw_conf *conf);

/* pc_hw_engine_destroy - frees @e; jobs still in flight are abandoned (not run by cpu). NULL ok. */
void pc_hw_engine_destroy(struct pc_hw_engine *e);

/* pc_hw_backend_name - "cpu", "worker", "v4l2m2m"; "?" otherwise. Static storage. */
const char *pc_hw_backend_name(enum pc_hw_backend b);

/* pc_hw_backend_parse - the backend called @name; -EINVAL for an unknown name. */
int pc_hw_backend_parse(const char *name, enum pc_hw_backend *out);

/* pc_hw_engine_backend - the backend @e runs on. */
enum pc_hw_backend pc_hw_engine_backend(const struct pc_hw_engine *e);

/* pc_hw_submit - lends @job (transferred until polled back) to @e. Returns 0, -EBUSY when
 * queue_depth jobs are in flight (poll first), -ENOSPC when the profiler's kernel table is full,
 * -EINVAL for a job without kernel. The job's status says how the work went. */
int pc_hw_submit(struct pc_hw_engine *e, struct pc_hw_job *job);

/* pc_hw_poll - hands back up to @max completed jobs in submission order into @done; returns their
 * count (0: none ready). */
unsigned pc_hw_poll(struct pc_hw_engine *e, struct pc_hw_job **done, unsigned max);

/* pc_hw_run - submits @job and waits for it (the synchronous form, for callers with nothing else
 * to do meanwhile); returns the job's status, or submit's error. Jobs submitted before @job are
 * completed first and stay queued for pc_hw_poll. */
int pc_hw_run(struct pc_hw_engine *e, struct pc_hw_job *job);

/* One profiler row: a kernel's jobs and their submit-to-done times. */
struct pc_hw_prof_row {
	const char *kernel; /* the kernel's name (static storage) */
	uint64_t jobs;	    /* completed */
	uint64_t errors;    /* completed with status < 0 */
	uint64_t ns_p50, ns_p99, ns_p999, ns_max;
	double ns_mean;
};

/* pc_hw_profile - up to @max rows, one per kernel seen, in first-seen order; returns the count. */
unsigned pc_hw_profile(const struct pc_hw_engine *e, struct pc_hw_prof_row *rows, unsigned max);

/* pc_hw_profile_reset - zeroes the profiler's counts (the kernels stay known). */
void pc_hw_profile_reset(struct pc_hw_engine *e);

#ifdef __cplusplus
}
#endif

#endif /* PC_HWACCEL_H */
