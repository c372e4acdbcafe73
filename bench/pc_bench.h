/* SPDX-License-Identifier: MIT */
/*
 * pc_bench.h - the benchmarks that `phonecore bench` runs.
 *
 * Each benchmark measures phonecore's component and, where one exists, a reference measured in
 * the same run (DPDK's rte_ring and rte_mempool here), and reports rows:
 *   {"case", "metric", "unit", "phonecore", "reference", "reference_value", "speedup"}
 * where speedup > 1 always means phonecore is better (reference/ours for times, ours/reference
 * for rates). Latencies come from a histogram as p50/p99/p99.9, never a mean alone.
 *
 * Thread context: the calling thread; benchmarks start and join their own pinned threads.
 * Allocates: yes (benchmarks are setup-time code).
 */
#ifndef PC_BENCH_H
#define PC_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pc_bench_opts {
	const char *json_path; /* write the JSON report here; NULL: do not write JSON */
	const char *svg_path;  /* write a bar chart of the speedups here; NULL: none */
	bool quick;	       /* shorter runs (tests); figures are then indicative only */
	int cpu_producer;      /* CPU for the first (producer) thread; -1: 0 */
	int cpu_consumer;      /* CPU for the second (consumer) thread; -1: 1 */
	FILE *out;	       /* human-readable table goes here; NULL: stdout */
	uint32_t io_mask;      /* relay, io: the backends to run, bit (1 << enum pc_io_backend);
				* 0: all */
};

struct pc_bench_desc {
	const char *name;    /* as typed after `phonecore bench` */
	const char *summary; /* one line for --help and `bench list` */
	/* Runs the benchmark; returns 0, or -errno with a one-line reason already printed on
	 * stderr. */
	int (*run)(const struct pc_bench_opts *o);
};

/* pc_bench_list - the table of benchmarks; *@n receives its length. Static storage. */
const struct pc_bench_desc *pc_bench_list(size_t *n);

/* pc_bench_find - the benchmark called @name, or NULL. */
const struct pc_bench_desc *pc_bench_find(const char *name);

/*
 * pc_bench_isolate - give CPU @cpu to this process alone until pc_bench_isolate_end(): every
 * task of other processes that may run elsewhere, the IRQs that may be moved and the unbound
 * workqueues leave it (bench/isolate.c says what stays). Undone at exit and on the signals
 * that end a process. Needs the rights to change other tasks' affinity (root).
 * Returns the number of tasks moved, -EPERM without the rights, -EINVAL for a CPU that is not
 * online or the only one, -EALREADY when isolating already. Allocates.
 */
int pc_bench_isolate(int cpu);

/* pc_bench_isolate_end - put back what pc_bench_isolate() moved; nothing when not isolating. */
void pc_bench_isolate_end(void);

/* pc_bench_isolate_summary - one line on what isolation did, for the reports; NULL when not
 * isolating. Static storage. */
const char *pc_bench_isolate_summary(void);

#ifdef __cplusplus
}
#endif

#endif /* PC_BENCH_H */
