/* SPDX-License-Identifier: MIT */
/* hwaccel.c - engines: the in-flight queue, dispatch to a backend's ops, and the profiler. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hwaccel_pvt.h"

struct pc_hw_engine {
	const struct pc_hw_ops *ops;
	enum pc_hw_backend backend;
	uint32_t depth;	      /* queue capacity */
	uint32_t head, count; /* jobs in flight, oldest at head */
	uint32_t done;	      /* of those, how many from head are complete */
	struct pc_hw_job **q;
	uint32_t max_kernels, nkernels;
	struct pc_hw_prof *prof;
};

static const char *const backend_names[PC_HW_BACKEND_COUNT] = { "cpu", "worker", "v4l2m2m" };

/* Backends this build has; NULL: reports -ENOTSUP. */
static const struct pc_hw_ops *const backends[PC_HW_BACKEND_COUNT] = { &pc_hw_cpu_ops, NULL, NULL };

uint64_t pc_hw_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

const char *pc_hw_backend_name(enum pc_hw_backend b)
{
	if ((unsigned)b >= PC_HW_BACKEND_COUNT)
		return "?";
	return backend_names[b];
}

int pc_hw_backend_parse(const char *name, enum pc_hw_backend *out)
{
	if (name == NULL)
		return -EINVAL;
	for (unsigned i = 0; i < PC_HW_BACKEND_COUNT; i++) {
		if (strcmp(name, backend_names[i]) == 0) {
			*out = (enum pc_hw_backend)i;
			return 0;
		}
	}
	return -EINVAL;
}

int pc_hw_engine_create(struct pc_hw_engine **out, const struct pc_hw_conf *conf)
{
	struct pc_hw_conf c = { PC_HW_CPU, 0, 0 };
	struct pc_hw_engine *e;
	int rc;

	if (conf != NULL)
		c = *conf;
	if ((unsigned)c.backend >= PC_HW_BACKEND_COUNT || c.queue_depth > (1u << 20) ||
	    c.max_kernels > 1024)
		return -EINVAL;
	if (backends[c.backend] == NULL)
		return -ENOTSUP;
	rc = backends[c.backend]->probe();
	if (rc != 0)
		return rc;
	if (c.queue_depth == 0)
		c.queue_depth = 64;
	if (c.max_kernels == 0)
		c.max_kernels = 16;

	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return -ENOMEM;
	e->q = calloc(c.queue_depth, sizeof(*e->q));
	if (e->q == NULL)
		goto out_free_e;
	e->prof = calloc(c.max_kernels, sizeof(*e->prof));
	if (e->prof == NULL)
		goto out_free_q;
	e->ops = backends[c.backend];
	e->backend = c.backend;
	e->depth = c.queue_depth;
	e->max_kernels = c.max_kernels;
	*out = e;
	return 0;

out_free_q:
	free(e->q);
out_free_e:
	free(e);
	return -ENOMEM;
}

void pc_hw_engine_destroy(struct pc_hw_engine *e)
{
	if (e == NULL)
		return;
	free(e->prof);
	free(e->q);
	free(e);
}

enum pc_hw_backend pc_hw_engine_backend(const struct pc_hw_engine *e)
{
	return e->backend;
}

static struct pc_hw_prof *prof_of(struct pc_hw_engine *e, const struct pc_hw_kernel *k)
{
	for (uint32_t i = 0; i < e->nkernels; i++)
		if (e->prof[i].kernel == k)
			return &e->prof[i];
	if (e->nkernels == e->max_kernels)
		return NULL;
	e->prof[e->nkernels].kernel = k;
	return &e->prof[e->nkernels++];
}

/* Log-linear bucket of @ns: values below PC_HW_HIST_SUB are exact. */
static uint32_t hist_bucket(uint64_t ns)
{
	unsigned msb, shift;

	if (ns < PC_HW_HIST_SUB)
		return (uint32_t)ns;
	msb = 63u - (unsigned)__builtin_clzll(ns);
	shift = msb - 4u; /* keep 5 significant bits: the leading 1 and 4 below it */
	return (shift + 1u) * PC_HW_HIST_SUB + (uint32_t)((ns >> shift) - PC_HW_HIST_SUB);
}

/* The upper bound of bucket @b (a percentile reads as "at most this"). */
static uint64_t hist_upper(uint32_t b)
{
	uint32_t shift;

	if (b < PC_HW_HIST_SUB)
		return b;
	shift = b / PC_HW_HIST_SUB - 1u;
	return (((uint64_t)(b % PC_HW_HIST_SUB) + PC_HW_HIST_SUB + 1u) << shift) - 1u;
}

void pc_hw_complete(struct pc_hw_engine *e, struct pc_hw_job *job, int status)
{
	struct pc_hw_prof *p;
	uint64_t ns;

	/* -EINPROGRESS marks a job in flight: a kernel may not hand it back as its result. */
	job->status = status == -EINPROGRESS ? -EIO : status;
	job->done_ns = pc_hw_now_ns();
	ns = job->done_ns - job->submit_ns;
	p = prof_of(e, job->kernel); /* found: submit registered the kernel */
	if (p != NULL) {
		p->jobs++;
		if (status < 0)
			p->errors++;
		p->ns_sum += ns;
		if (ns > p->ns_max)
			p->ns_max = ns;
		p->hist[hist_bucket(ns)]++;
	}
	/* Completions are in order for the backends so far; mark the oldest not-done job. */
	e->done++;
}

int pc_hw_submit(struct pc_hw_engine *e, struct pc_hw_job *job)
{
	int rc;

	if (job == NULL || job->kernel == NULL || job->kernel->run == NULL)
		return -EINVAL;
	if (e->count == e->depth)
		return -EBUSY;
	if (prof_of(e, job->kernel) == NULL)
		return -ENOSPC;
	job->status = -EINPROGRESS;
	job->submit_ns = pc_hw_now_ns();
	job->done_ns = 0;
	e->q[(e->head + e->count) % e->depth] = job;
	e->count++;
	rc = e->ops->start(e, job);
	if (rc != 0) {
		e->count--;
		return rc;
	}
	return 0;
}

unsigned pc_hw_poll(struct pc_hw_engine *e, struct pc_hw_job **done, unsigned max)
{
	unsigned n = 0;

	if (e->ops->progress != NULL)
		e->ops->progress(e);
	while (n < max && e->done > 0) {
		done[n++] = e->q[e->head];
		e->head = (e->head + 1) % e->depth;
		e->count--;
		e->done--;
	}
	return n;
}

int pc_hw_run(struct pc_hw_engine *e, struct pc_hw_job *job)
{
	int rc = pc_hw_submit(e, job);

	if (rc != 0)
		return rc;
	while (job->status == -EINPROGRESS) {
		if (e->ops->wait == NULL)
			return -EIO; /* a backend without wait must complete in start */
		e->ops->wait(e);
	}
	/* Hand @job back now; jobs before it stay queued for pc_hw_poll. */
	if (e->q[(e->head + e->count - 1) % e->depth] == job && e->done == e->count) {
		e->count--;
		e->done--;
	}
	return job->status;
}

unsigned pc_hw_profile(const struct pc_hw_engine *e, struct pc_hw_prof_row *rows, unsigned max)
{
	unsigned n = 0;

	for (uint32_t i = 0; i < e->nkernels && n < max; i++, n++) {
		const struct pc_hw_prof *p = &e->prof[i];
		const double q[3] = { 0.5, 0.99, 0.999 };
		uint64_t out[3] = { 0, 0, 0 }, seen = 0;
		unsigned qi = 0;

		for (uint32_t b = 0; b < PC_HW_HIST_BUCKETS && qi < 3 && p->jobs > 0; b++) {
			seen += p->hist[b];
			while (qi < 3 && (double)seen >= q[qi] * (double)p->jobs) {
				out[qi] = hist_upper(b);
				if (out[qi] > p->ns_max)
					out[qi] = p->ns_max;
				qi++;
			}
		}
		rows[n] = (struct pc_hw_prof_row){
			.kernel = p->kernel->name,
			.jobs = p->jobs,
			.errors = p->errors,
			.ns_p50 = out[0],
			.ns_p99 = out[1],
			.ns_p999 = out[2],
			.ns_max = p->ns_max,
			.ns_mean = p->jobs ? (double)p->ns_sum / (double)p->jobs : 0.0,
		};
	}
	return n;
}

void pc_hw_profile_reset(struct pc_hw_engine *e)
{
	for (uint32_t i = 0; i < e->nkernels; i++) {
		const struct pc_hw_kernel *k = e->prof[i].kernel;

		memset(&e->prof[i], 0, sizeof(e->prof[i]));
		e->prof[i].kernel = k;
	}
}
