/* SPDX-License-Identifier: MIT */
/* hwaccel_test.c - engines, jobs, the cpu backend and the profiler (hwaccel/pc_hwaccel.h). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "pc_hwaccel.h"

/* A kernel that scales a buffer by the state's factor; a negative factor fails with -EINVAL. */
struct scale_state {
	int factor;
	unsigned runs;
};

struct scale_arg {
	int32_t v[8];
	unsigned delay_us; /* busy time, so the profiler sees distinct durations */
};

static int scale_run(void *state, void *arg)
{
	struct scale_state *s = state;
	struct scale_arg *a = arg;
	struct timespec t0, t;

	s->runs++;
	if (s->factor < 0)
		return -EINVAL;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do
		clock_gettime(CLOCK_MONOTONIC, &t);
	while ((t.tv_sec - t0.tv_sec) * 1000000 + (t.tv_nsec - t0.tv_nsec) / 1000 <
	       (long)a->delay_us);
	for (unsigned i = 0; i < 8; i++)
		a->v[i] *= s->factor;
	return 0;
}

static const struct pc_hw_kernel scale_kernel = { "scale", scale_run };
static const struct pc_hw_kernel other_kernel = { "other", scale_run };

Test(hwaccel, backend_names_round_trip)
{
	enum pc_hw_backend b;

	for (unsigned i = 0; i < PC_HW_BACKEND_COUNT; i++) {
		cr_assert_eq(pc_hw_backend_parse(pc_hw_backend_name((enum pc_hw_backend)i), &b), 0);
		cr_assert_eq((unsigned)b, i);
	}
	cr_assert_eq(pc_hw_backend_parse("gpu", &b), -EINVAL);
	cr_assert_str_eq(pc_hw_backend_name(PC_HW_BACKEND_COUNT), "?");
}

Test(hwaccel, backends_not_built_report_enotsup)
{
	struct pc_hw_engine *e = NULL;
	struct pc_hw_conf c = { PC_HW_WORKER, 0, 0 };

	cr_assert_eq(pc_hw_engine_create(&e, &c), -ENOTSUP);
	cr_assert_null(e);
	c.backend = PC_HW_BACKEND_COUNT;
	cr_assert_eq(pc_hw_engine_create(&e, &c), -EINVAL);
}

Test(hwaccel, cpu_jobs_complete_in_order_with_status)
{
	struct pc_hw_engine *e;
	struct scale_state ok = { 3, 0 }, bad = { -1, 0 };
	struct scale_arg args[3] = { { { 1, 2, 3, 4, 5, 6, 7, 8 }, 0 },
				     { { 1 }, 0 },
				     { { 5 }, 0 } };
	struct pc_hw_job jobs[3] = {
		{ .kernel = &scale_kernel, .state = &ok, .arg = &args[0], .user = 10 },
		{ .kernel = &scale_kernel, .state = &bad, .arg = &args[1], .user = 11 },
		{ .kernel = &scale_kernel, .state = &ok, .arg = &args[2], .user = 12 },
	};
	struct pc_hw_job *done[4];

	/* Given a cpu engine */
	cr_assert_eq(pc_hw_engine_create(&e, NULL), 0);
	cr_assert_eq(pc_hw_engine_backend(e), PC_HW_CPU);
	/* When three jobs are submitted, the second failing */
	for (unsigned i = 0; i < 3; i++)
		cr_assert_eq(pc_hw_submit(e, &jobs[i]), 0);
	/* Then all three come back in order with their kernels' status and results */
	cr_assert_eq(pc_hw_poll(e, done, 4), 3);
	for (unsigned i = 0; i < 3; i++) {
		cr_assert_eq(done[i], &jobs[i]);
		cr_assert_eq(done[i]->user, 10 + i);
		cr_assert_geq(done[i]->done_ns, done[i]->submit_ns);
	}
	cr_assert_eq(jobs[0].status, 0);
	cr_assert_eq(jobs[1].status, -EINVAL);
	cr_assert_eq(jobs[2].status, 0);
	cr_assert_eq(args[0].v[7], 24);
	cr_assert_eq(args[2].v[0], 15);
	cr_assert_eq(pc_hw_poll(e, done, 4), 0);
	pc_hw_engine_destroy(e);
}

Test(hwaccel, queue_depth_bounds_jobs_in_flight)
{
	struct pc_hw_engine *e;
	struct pc_hw_conf c = { PC_HW_CPU, 2, 0 };
	struct scale_state s = { 2, 0 };
	struct scale_arg a[3] = { 0 };
	struct pc_hw_job j[3];
	struct pc_hw_job *done[2];

	for (unsigned i = 0; i < 3; i++)
		j[i] = (struct pc_hw_job){ .kernel = &scale_kernel, .state = &s, .arg = &a[i] };
	cr_assert_eq(pc_hw_engine_create(&e, &c), 0);
	cr_assert_eq(pc_hw_submit(e, &j[0]), 0);
	cr_assert_eq(pc_hw_submit(e, &j[1]), 0);
	/* A third job waits until the caller polls: the engine never grows. */
	cr_assert_eq(pc_hw_submit(e, &j[2]), -EBUSY);
	cr_assert_eq(s.runs, 2);
	cr_assert_eq(pc_hw_poll(e, done, 1), 1);
	cr_assert_eq(done[0], &j[0]);
	cr_assert_eq(pc_hw_submit(e, &j[2]), 0);
	cr_assert_eq(pc_hw_poll(e, done, 2), 2);
	cr_assert_eq(done[0], &j[1]);
	cr_assert_eq(done[1], &j[2]);
	pc_hw_engine_destroy(e);
}

Test(hwaccel, run_is_synchronous_and_leaves_earlier_jobs_queued)
{
	struct pc_hw_engine *e;
	struct scale_state s = { 2, 0 };
	struct scale_arg a[2] = { { { 4 }, 0 }, { { 7 }, 0 } };
	struct pc_hw_job j0 = { .kernel = &scale_kernel, .state = &s, .arg = &a[0] };
	struct pc_hw_job j1 = { .kernel = &scale_kernel, .state = &s, .arg = &a[1] };
	struct pc_hw_job *done[2];

	cr_assert_eq(pc_hw_engine_create(&e, NULL), 0);
	cr_assert_eq(pc_hw_submit(e, &j0), 0);
	cr_assert_eq(pc_hw_run(e, &j1), 0);
	cr_assert_eq(a[1].v[0], 14);
	/* Only the job submitted before comes back from poll. */
	cr_assert_eq(pc_hw_poll(e, done, 2), 1);
	cr_assert_eq(done[0], &j0);
	pc_hw_engine_destroy(e);
}

Test(hwaccel, bad_jobs_and_full_kernel_table_are_refused)
{
	struct pc_hw_engine *e;
	struct pc_hw_conf c = { PC_HW_CPU, 8, 1 };
	struct scale_state s = { 1, 0 };
	struct scale_arg a = { 0 };
	struct pc_hw_job j = { .kernel = NULL, .state = &s, .arg = &a };

	cr_assert_eq(pc_hw_engine_create(&e, &c), 0);
	cr_assert_eq(pc_hw_submit(e, &j), -EINVAL);
	j.kernel = &scale_kernel;
	cr_assert_eq(pc_hw_run(e, &j), 0);
	/* The profiler keeps one kernel: a second kind is refused, not silently unprofiled. */
	j.kernel = &other_kernel;
	cr_assert_eq(pc_hw_submit(e, &j), -ENOSPC);
	cr_assert_eq(s.runs, 1);
	pc_hw_engine_destroy(e);
}

Test(hwaccel, profiler_percentiles_follow_job_times)
{
	struct pc_hw_engine *e;
	struct scale_state s = { 1, 0 }, bad = { -1, 0 };
	struct scale_arg a = { { 0 }, 0 };
	struct pc_hw_job j = { .kernel = &scale_kernel, .state = &s, .arg = &a };
	struct pc_hw_prof_row rows[4];

	cr_assert_eq(pc_hw_engine_create(&e, NULL), 0);
	/* Given 98 short jobs (no busy time), one of 2 ms and one failing */
	for (unsigned i = 0; i < 98; i++)
		cr_assert_eq(pc_hw_run(e, &j), 0);
	a.delay_us = 2000;
	cr_assert_eq(pc_hw_run(e, &j), 0);
	j.state = &bad;
	cr_assert_eq(pc_hw_run(e, &j), -EINVAL);
	/* Then the profile has one row: p50 well under the slow job, max at or above 2 ms */
	cr_assert_eq(pc_hw_profile(e, rows, 4), 1);
	cr_assert_str_eq(rows[0].kernel, "scale");
	cr_assert_eq(rows[0].jobs, 100);
	cr_assert_eq(rows[0].errors, 1);
	cr_assert_geq(rows[0].ns_max, 2000000);
	cr_assert_lt(rows[0].ns_p50, 1000000, "p50 %llu ns", (unsigned long long)rows[0].ns_p50);
	cr_assert_geq(rows[0].ns_p999, rows[0].ns_p99);
	cr_assert_geq(rows[0].ns_p99, rows[0].ns_p50);
	cr_assert_geq(rows[0].ns_p999, 1800000, "p99.9 %llu ns",
		      (unsigned long long)rows[0].ns_p999);
	cr_assert_gt(rows[0].ns_mean, 2000000.0 / 100);
	/* And a reset zeroes the counts but keeps the kernel */
	pc_hw_profile_reset(e);
	cr_assert_eq(pc_hw_profile(e, rows, 4), 1);
	cr_assert_eq(rows[0].jobs, 0);
	cr_assert_eq(rows[0].ns_p50, 0);
	pc_hw_engine_destroy(e);
}

static int inprogress_run(void *state, void *arg)
{
	(void)state;
	(void)arg;
	return -EINPROGRESS;
}

static const struct pc_hw_kernel inprogress_kernel = { "inprogress", inprogress_run };

/* Regression: a kernel returning -EINPROGRESS (the in-flight marker) left its job queued after
 * pc_hw_run, so that a later poll handed back a dangling job. */
Test(hwaccel, kernel_returning_einprogress_completes_with_eio)
{
	struct pc_hw_engine *e;
	struct pc_hw_job j = { .kernel = &inprogress_kernel };
	struct pc_hw_job *done[2];

	cr_assert_eq(pc_hw_engine_create(&e, NULL), 0);
	for (unsigned i = 0; i < 100; i++)
		cr_assert_eq(pc_hw_run(e, &j), -EIO);
	cr_assert_eq(pc_hw_poll(e, done, 2), 0, "nothing left queued");
	pc_hw_engine_destroy(e);
}
