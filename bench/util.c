/* SPDX-License-Identifier: MIT */
/* util.c - pinned threads, the tick clock's calibration and medians for the benchmarks. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_pvt.h"

static pthread_once_t tick_once = PTHREAD_ONCE_INIT;
static double ns_per_tick = 1.0;

/* Time a 20 ms sleep on both clocks. The two reads of each pair sit next to each other, so the
 * error is a few tens of nanoseconds in 20 ms: about 1e-6. */
static void tick_calibrate(void)
{
	struct timespec nap = { .tv_sec = 0, .tv_nsec = 20 * 1000 * 1000 };
	uint64_t t0 = pc_bench_ticks(), n0 = pc_bench_now_ns();
	uint64_t t1, n1;

	nanosleep(&nap, NULL);
	t1 = pc_bench_ticks();
	n1 = pc_bench_now_ns();
	if (t1 > t0 && n1 > n0)
		ns_per_tick = (double)(n1 - n0) / (double)(t1 - t0);
}

double pc_bench_ns_per_tick(void)
{
	pthread_once(&tick_once, tick_calibrate);
	return ns_per_tick;
}

static int cpu_check(int cpu, const cpu_set_t *allowed, const char *role)
{
	if (cpu < 0 || cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, allowed)) {
		fprintf(stderr, "phonecore bench: %s CPU %d is not available to this process\n",
			role, cpu);
		return -EINVAL;
	}
	return 0;
}

int pc_bench_cpus(const struct pc_bench_opts *o, int *producer, int *consumer)
{
	int p = o->cpu_producer < 0 ? 0 : o->cpu_producer;
	int c = o->cpu_consumer < 0 ? 1 : o->cpu_consumer;
	cpu_set_t allowed;
	int rc;

	rc = sched_getaffinity(0, sizeof(allowed), &allowed);
	if (rc < 0) {
		rc = -errno;
		fprintf(stderr, "phonecore bench: sched_getaffinity: %s\n", strerror(-rc));
		return rc;
	}
	rc = cpu_check(p, &allowed, "producer");
	if (rc == 0)
		rc = cpu_check(c, &allowed, "consumer");
	if (rc < 0)
		return rc;
	/* Two spinning threads on one CPU only progress at each time slice: the figures would
	 * measure the scheduler. */
	if (p == c) {
		fprintf(stderr,
			"phonecore bench: producer and consumer need two CPUs, both are %d\n", p);
		return -EINVAL;
	}
	*producer = p;
	*consumer = c;
	return 0;
}

int pc_bench_thread_start(pthread_t *out, int cpu, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	cpu_set_t set;
	int rc;

	rc = pthread_attr_init(&attr);
	if (rc != 0)
		goto out_fail;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	rc = pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	if (rc == 0)
		rc = pthread_create(out, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	if (rc == 0)
		return 0;
out_fail:
	fprintf(stderr, "phonecore bench: cannot start a thread on CPU %d: %s\n", cpu,
		strerror(rc));
	return -rc;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double pc_bench_median(double *v, unsigned n)
{
	if (n == 0)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

const char *pc_bench_unsteady(const double *a, const double *b, unsigned n)
{
	if (n > 0 && (a[n - 1] > 1.5 * a[0] || (b != NULL && b[n - 1] > 1.5 * b[0])))
		return " - UNSTEADY: trials differ by more than 1.5x, the median is not a steady "
		       "figure";
	return "";
}
