/* SPDX-License-Identifier: MIT */
/* hist.c - the log-linear latency histogram: setup, merge and percentile queries. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hist_pvt.h"

_Static_assert(PC_HIST_BUCKETS == 1024u + 26u * 128u, "bucket layout as documented");

int pc_hist_create(struct pc_hist **out)
{
	struct pc_hist *h = malloc(sizeof(*h));

	if (h == NULL)
		return -ENOMEM;
	pc_hist_reset(h);
	*out = h;
	return 0;
}

void pc_hist_destroy(struct pc_hist *h)
{
	free(h);
}

void pc_hist_reset(struct pc_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

void pc_hist_merge(struct pc_hist *dst, const struct pc_hist *src)
{
	for (unsigned i = 0; i < PC_HIST_BUCKETS; i++)
		dst->buckets[i] += src->buckets[i];
	dst->count += src->count;
	dst->sum += src->sum;
	dst->clamped += src->clamped;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

/* The highest value that falls into bucket @i: the inverse of pc_hist__index(). */
static uint64_t bucket_top(unsigned i)
{
	unsigned k, sub;

	if (i < (1u << PC_HIST_LINEAR_BITS))
		return i;
	i -= 1u << PC_HIST_LINEAR_BITS;
	k = PC_HIST_LINEAR_BITS + (i >> PC_HIST_SUB_BITS);
	sub = i & ((1u << PC_HIST_SUB_BITS) - 1);
	/* Bucket [(2^SUB + sub) << (k - SUB), (2^SUB + sub + 1) << (k - SUB)). */
	return (((uint64_t)(1u << PC_HIST_SUB_BITS) + sub + 1) << (k - PC_HIST_SUB_BITS)) - 1;
}

uint64_t pc_hist_quantile(const struct pc_hist *h, double q)
{
	uint64_t rank, seen = 0;

	if (h->count == 0)
		return 0;
	if (q <= 0.0)
		return h->min;
	if (q >= 1.0)
		return h->max;
	rank = (uint64_t)ceil(q * (double)h->count);
	if (rank == 0)
		rank = 1;
	for (unsigned i = 0; i < PC_HIST_BUCKETS; i++) {
		seen += h->buckets[i];
		if (seen >= rank) {
			uint64_t top = bucket_top(i);

			return top < h->max ? top : h->max;
		}
	}
	return h->max;
}

double pc_hist_mean(const struct pc_hist *h)
{
	return h->count ? h->sum / (double)h->count : 0.0;
}
