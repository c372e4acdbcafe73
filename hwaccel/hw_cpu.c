/* SPDX-License-Identifier: MIT */
/* hw_cpu.c - the inline CPU backend: a job runs on the submitting thread, inside pc_hw_submit. */
#include <errno.h>
#include <stddef.h>

#include "hwaccel_pvt.h"

/* The self-test's kernel: sums a known array. */
struct cpu_selftest {
	const uint32_t *v;
	size_t n;
	uint64_t sum;
};

static int cpu_selftest_run(void *state, void *arg)
{
	struct cpu_selftest *t = state;

	(void)arg;
	t->sum = 0;
	for (size_t i = 0; i < t->n; i++)
		t->sum += t->v[i];
	return 0;
}

static int cpu_probe(void)
{
	static const uint32_t v[] = { 1, 2, 3, 5, 8, 13, 21, 34 };
	static const struct pc_hw_kernel k = { "selftest", cpu_selftest_run };
	struct cpu_selftest t = { v, sizeof(v) / sizeof(v[0]), 0 };

	if (k.run(&t, NULL) != 0 || t.sum != 87)
		return -EIO;
	return 0;
}

static int cpu_start(struct pc_hw_engine *e, struct pc_hw_job *job)
{
	pc_hw_complete(e, job, job->kernel->run(job->state, job->arg));
	return 0;
}

const struct pc_hw_ops pc_hw_cpu_ops = {
	.name = "cpu",
	.probe = cpu_probe,
	.start = cpu_start,
	.progress = NULL,
	.wait = NULL,
};
