/* SPDX-License-Identifier: MIT */
/*
 * hist_pvt.h - a log-linear latency histogram (in the manner of HdrHistogram) for the
 * benchmarks: record nanosecond samples on the measuring thread, query percentiles afterwards.
 *
 * Buckets: values below 2^PC_HIST_LINEAR_BITS ns (1024 ns) have a bucket each, so sub-
 * microsecond latencies are exact to the nanosecond. Above that every power of two
 * [2^k, 2^(k+1)) is split into 2^PC_HIST_SUB_BITS (128) equal buckets, each 1/128 of 2^k wide:
 * at most 0.78 % relative error, up to 2^PC_HIST_MAX_BITS ns (about 68.7 s). Larger values are
 * counted in the top bucket (and in `clamped`); min and max stay exact.
 *
 * Recording is a count-leading-zeros, two shifts and an increment: cheap enough to run between
 * timed samples. The struct is about 35 KiB; allocate it, do not put it on a thread's stack.
 *
 * Thread context: one thread records into a histogram; merge after joining. Allocates: only
 * pc_hist_create().
 */
#ifndef PC_HIST_PVT_H
#define PC_HIST_PVT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PC_HIST_LINEAR_BITS 10u
#define PC_HIST_SUB_BITS 7u
#define PC_HIST_MAX_BITS 36u
#define PC_HIST_BUCKETS                \
	((1u << PC_HIST_LINEAR_BITS) + \
	 (PC_HIST_MAX_BITS - PC_HIST_LINEAR_BITS) * (1u << PC_HIST_SUB_BITS))

struct pc_hist {
	uint64_t count;	  /* samples recorded */
	uint64_t min;	  /* smallest sample; UINT64_MAX while empty */
	uint64_t max;	  /* largest sample */
	uint64_t clamped; /* samples at or above 2^PC_HIST_MAX_BITS ns */
	double sum;	  /* for the mean, which is reported next to percentiles, never alone */
	uint64_t buckets[PC_HIST_BUCKETS];
};

/* pc_hist_create - allocate an empty histogram; writes *@out. Returns 0 or -ENOMEM. */
int pc_hist_create(struct pc_hist **out);

/* pc_hist_destroy - free it; NULL is ignored. */
void pc_hist_destroy(struct pc_hist *h);

/* pc_hist_reset - empty @h. */
void pc_hist_reset(struct pc_hist *h);

/* pc_hist__index - the bucket of value @v (internal, exposed for the inline record). */
static inline unsigned pc_hist__index(uint64_t v)
{
	unsigned k, sub;

	if (v < (1u << PC_HIST_LINEAR_BITS))
		return (unsigned)v;
	k = 63u - (unsigned)__builtin_clzll(v); /* v in [2^k, 2^(k+1)), k >= LINEAR_BITS */
	if (k >= PC_HIST_MAX_BITS)
		return PC_HIST_BUCKETS - 1;
	/* The top SUB_BITS + 1 bits of v: 1 followed by the sub-bucket number. */
	sub = (unsigned)(v >> (k - PC_HIST_SUB_BITS)) - (1u << PC_HIST_SUB_BITS);
	return (1u << PC_HIST_LINEAR_BITS) + ((k - PC_HIST_LINEAR_BITS) << PC_HIST_SUB_BITS) + sub;
}

/* pc_hist_record - count one sample of @v nanoseconds. The recording thread only. */
static inline void pc_hist_record(struct pc_hist *h, uint64_t v)
{
	h->buckets[pc_hist__index(v)]++;
	h->count++;
	h->sum += (double)v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	if (v >> PC_HIST_MAX_BITS)
		h->clamped++;
}

/* pc_hist_merge - add the samples of @src (borrowed) into @dst. */
void pc_hist_merge(struct pc_hist *dst, const struct pc_hist *src);

/*
 * pc_hist_quantile - the value at quantile @q in [0, 1] (0.5: median, 0.999: p99.9): the
 * highest value of the bucket holding the sample of rank ceil(q * count), as HdrHistogram
 * reports it (so a percentile is never understated), capped at the largest sample.
 * Returns 0 for an empty histogram.
 */
uint64_t pc_hist_quantile(const struct pc_hist *h, double q);

/* pc_hist_mean - the mean in nanoseconds; 0 when empty. */
double pc_hist_mean(const struct pc_hist *h);

#ifdef __cplusplus
}
#endif

#endif /* PC_HIST_PVT_H */
