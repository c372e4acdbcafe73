/* SPDX-License-Identifier: MIT */
/*
 * ring_bench.c - benchmark "ring": phonecore's pc_ring against DPDK's rte_ring, between two
 * threads pinned to different CPUs.
 *
 * Throughput: the producer enqueues a fixed number of items in bursts of B (1, 8, 32), the
 * consumer dequeues bursts of up to B and checks that every item arrives once and in order.
 * A trial's time runs from when both threads leave their start line to when the last one ends.
 * Each case runs one warm-up per ring, then trials in which ours and rte_ring alternate (and
 * alternate which goes first), so that drift in the machine touches both; the median trial is
 * reported.
 *
 * Latency: a ping-pong of one item over two rings; each sample is one round trip timed on the
 * TSC, halved: the one-way hand-off latency, into a histogram read at p50/p99/p99.9.
 *
 * Both rings run the same loops, compiled in this one file with the same flags (DPDK's, which
 * include -march=corei7), spin with a pause when full or empty, and have 1024 slots (an
 * rte_ring of count 1024 holds 1023 items, pc_ring 1024).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_ring.h>

#include "bench_pvt.h"
#include "hist_pvt.h"
#include "pc_ring.h"

#define RING_SLOTS 1024u
#define RING_BURST_MAX 32u
#define RING_TRIALS 7u
#define RING_TRIALS_QUICK 3u
#define LAT_SAMPLES 200000u /* per trial and ring: about 0.1 s at 250 ns per round trip */
#define LAT_SAMPLES_QUICK 20000u
#define LAT_WARMUP 2000u /* round trips before recording: caches and branch predictors warm */

enum ring_impl {
	IMPL_PC_SPSC,
	IMPL_PC_MPMC,
	IMPL_RTE_SPSC,
	IMPL_RTE_MPMC,
	IMPL_COUNT,
};

static const char *const impl_name[IMPL_COUNT] = {
	[IMPL_PC_SPSC] = "pc_ring SPSC",
	[IMPL_PC_MPMC] = "pc_ring MPMC",
	[IMPL_RTE_SPSC] = "rte_ring SP/SC",
	[IMPL_RTE_MPMC] = "rte_ring MP/MC",
};

static const unsigned bursts[] = { 1, 8, 32 };
/* Items per trial for each burst: 0.1 to 0.5 s a trial at DESIGN.md's rte_ring rates. */
static const uint64_t burst_items[] = { 4000000, 10000000, 20000000 };
#define QUICK_DIVISOR 20u
#define NBURSTS (sizeof(bursts) / sizeof(bursts[0]))

/*
 * The one switch on the implementation. Every caller is an always-inline loop instantiated
 * with a constant @impl (see RING_THREADS), so the switch folds away and each ring's burst call
 * is inlined into its own loop, as it would be in an application.
 */
static pc_always_inline unsigned ring_enq(enum ring_impl impl, void *r, void *const *objs,
					  unsigned n)
{
	switch (impl) {
	case IMPL_PC_SPSC:
		return pc_ring_sp_enqueue_burst(r, objs, n);
	case IMPL_PC_MPMC:
		return pc_ring_mp_enqueue_burst(r, objs, n);
	case IMPL_RTE_SPSC:
		return rte_ring_sp_enqueue_burst(r, objs, n, NULL);
	case IMPL_RTE_MPMC:
		return rte_ring_mp_enqueue_burst(r, objs, n, NULL);
	default:
		return 0;
	}
}

static pc_always_inline unsigned ring_deq(enum ring_impl impl, void *r, void **objs, unsigned n)
{
	switch (impl) {
	case IMPL_PC_SPSC:
		return pc_ring_sc_dequeue_burst(r, objs, n);
	case IMPL_PC_MPMC:
		return pc_ring_mc_dequeue_burst(r, objs, n);
	case IMPL_RTE_SPSC:
		return rte_ring_sc_dequeue_burst(r, objs, n, NULL);
	case IMPL_RTE_MPMC:
		return rte_ring_mc_dequeue_burst(r, objs, n, NULL);
	default:
		return 0;
	}
}

/* --- throughput ------------------------------------------------------------------------------- */

struct tp_run {
	void *ring;
	unsigned burst;
	uint64_t items;
	struct pc_bench_start_line start;
	/* Each thread writes only its own line pair. */
	alignas(PC_CACHE_GUARD) uint64_t prod_t0, prod_t1;
	alignas(PC_CACHE_GUARD) uint64_t cons_t0, cons_t1, cons_bad;
};

static pc_always_inline void tp_produce(struct tp_run *run, enum ring_impl impl)
{
	void *objs[RING_BURST_MAX];
	uintptr_t seq = 1; /* item values 1, 2, 3...: the consumer checks the order */
	uint64_t left = run->items;
	unsigned burst = run->burst;

	if (!pc_bench_start_line_wait(&run->start))
		return;
	run->prod_t0 = pc_bench_now_ns();
	while (left > 0) {
		unsigned n = left < burst ? (unsigned)left : burst, done = 0;

		for (unsigned i = 0; i < n; i++)
			objs[i] = (void *)(seq + i);
		/* A burst call may take part of the burst when the ring is nearly full. */
		while (done < n) {
			unsigned k = ring_enq(impl, run->ring, objs + done, n - done);

			if (k == 0)
				pc_cpu_pause();
			done += k;
		}
		seq += n;
		left -= n;
	}
	run->prod_t1 = pc_bench_now_ns();
}

static pc_always_inline void tp_consume(struct tp_run *run, enum ring_impl impl)
{
	void *objs[RING_BURST_MAX];
	uintptr_t next = 1;
	uint64_t got = 0, bad = 0;
	unsigned burst = run->burst;

	if (!pc_bench_start_line_wait(&run->start))
		return;
	run->cons_t0 = pc_bench_now_ns();
	while (got < run->items) {
		unsigned k = ring_deq(impl, run->ring, objs, burst);

		if (k == 0) {
			pc_cpu_pause();
			continue;
		}
		/* Counted without a branch: the check costs both rings the same. */
		for (unsigned i = 0; i < k; i++)
			bad += (uintptr_t)objs[i] != next++;
		got += k;
	}
	run->cons_t1 = pc_bench_now_ns();
	run->cons_bad = bad;
}

/* --- latency ---------------------------------------------------------------------------------- */

struct lat_run {
	void *ping; /* first thread -> second */
	void *pong; /* second -> first */
	uint64_t warmup;
	uint64_t samples;
	double ns_per_tick;
	struct pc_hist *hist; /* written by the first thread only */
	struct pc_bench_start_line start;
};

static pc_always_inline void lat_ping(struct lat_run *l, enum ring_impl impl)
{
	void *obj = l, *back;

	if (!pc_bench_start_line_wait(&l->start))
		return;
	for (uint64_t i = 0; i < l->warmup + l->samples; i++) {
		uint64_t t0 = pc_bench_ticks(), t1;

		while (ring_enq(impl, l->ping, &obj, 1) == 0)
			pc_cpu_pause();
		while (ring_deq(impl, l->pong, &back, 1) == 0)
			pc_cpu_pause();
		t1 = pc_bench_ticks();
		/* One way is half the round trip; recorded outside the timed window. */
		if (i >= l->warmup)
			pc_hist_record(l->hist,
				       (uint64_t)((double)(t1 - t0) * l->ns_per_tick * 0.5 + 0.5));
	}
}

static pc_always_inline void lat_pong(struct lat_run *l, enum ring_impl impl)
{
	void *obj;

	if (!pc_bench_start_line_wait(&l->start))
		return;
	for (uint64_t i = 0; i < l->warmup + l->samples; i++) {
		while (ring_deq(impl, l->ping, &obj, 1) == 0)
			pc_cpu_pause();
		while (ring_enq(impl, l->pong, &obj, 1) == 0)
			pc_cpu_pause();
	}
}

/* The thread bodies, one set per implementation, each with its loops specialised. */
#define RING_THREADS(impl)                         \
	static void *tp_producer_##impl(void *arg) \
	{                                          \
		tp_produce(arg, impl);             \
		return NULL;                       \
	}                                          \
	static void *tp_consumer_##impl(void *arg) \
	{                                          \
		tp_consume(arg, impl);             \
		return NULL;                       \
	}                                          \
	static void *lat_pinger_##impl(void *arg)  \
	{                                          \
		lat_ping(arg, impl);               \
		return NULL;                       \
	}                                          \
	static void *lat_ponger_##impl(void *arg)  \
	{                                          \
		lat_pong(arg, impl);               \
		return NULL;                       \
	}

RING_THREADS(IMPL_PC_SPSC)
RING_THREADS(IMPL_PC_MPMC)
RING_THREADS(IMPL_RTE_SPSC)
RING_THREADS(IMPL_RTE_MPMC)

struct impl_threads {
	void *(*first)(void *);
	void *(*second)(void *);
};

static const struct impl_threads tp_threads[IMPL_COUNT] = {
	[IMPL_PC_SPSC] = { tp_producer_IMPL_PC_SPSC, tp_consumer_IMPL_PC_SPSC },
	[IMPL_PC_MPMC] = { tp_producer_IMPL_PC_MPMC, tp_consumer_IMPL_PC_MPMC },
	[IMPL_RTE_SPSC] = { tp_producer_IMPL_RTE_SPSC, tp_consumer_IMPL_RTE_SPSC },
	[IMPL_RTE_MPMC] = { tp_producer_IMPL_RTE_MPMC, tp_consumer_IMPL_RTE_MPMC },
};

static const struct impl_threads lat_threads[IMPL_COUNT] = {
	[IMPL_PC_SPSC] = { lat_pinger_IMPL_PC_SPSC, lat_ponger_IMPL_PC_SPSC },
	[IMPL_PC_MPMC] = { lat_pinger_IMPL_PC_MPMC, lat_ponger_IMPL_PC_MPMC },
	[IMPL_RTE_SPSC] = { lat_pinger_IMPL_RTE_SPSC, lat_ponger_IMPL_RTE_SPSC },
	[IMPL_RTE_MPMC] = { lat_pinger_IMPL_RTE_MPMC, lat_ponger_IMPL_RTE_MPMC },
};

/* --- running ---------------------------------------------------------------------------------- */

struct ring_ctx {
	int cpu_first;
	int cpu_second;
	unsigned trials;
	bool quick;
	bool eal_ok;
	struct pc_bench_report *report;
};

/* Start the two threads of one run on their CPUs and wait for both. */
static int run_pair(const struct ring_ctx *ctx, const struct impl_threads *t, void *arg,
		    struct pc_bench_start_line *start)
{
	pthread_t a, b;
	int rc;

	rc = pc_bench_thread_start(&a, ctx->cpu_first, t->first, arg);
	if (rc < 0)
		return rc;
	rc = pc_bench_thread_start(&b, ctx->cpu_second, t->second, arg);
	if (rc < 0) {
		/* The first thread waits at its start line for a partner that never comes. */
		pc_bench_start_line_abort(start);
		pthread_join(a, NULL);
		return rc;
	}
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	return 0;
}

/* One throughput run; *@ns receives its elapsed time. */
static int tp_once(const struct ring_ctx *ctx, enum ring_impl impl, void *ring, unsigned burst,
		   uint64_t items, double *ns)
{
	struct tp_run run = {
		.ring = ring,
		.burst = burst,
		.items = items,
	};
	uint64_t t0, t1;
	int rc;

	pc_bench_start_line_init(&run.start, 2);
	rc = run_pair(ctx, &tp_threads[impl], &run, &run.start);
	if (rc < 0)
		return rc;
	if (run.cons_bad != 0) {
		fprintf(stderr,
			"phonecore bench: ring: %s delivered %" PRIu64 " of %" PRIu64
			" items out of order or not at all (burst %u)\n",
			impl_name[impl], run.cons_bad, items, burst);
		return -EPROTO;
	}
	t0 = run.prod_t0 < run.cons_t0 ? run.prod_t0 : run.cons_t0;
	t1 = run.prod_t1 > run.cons_t1 ? run.prod_t1 : run.cons_t1;
	*ns = (double)(t1 - t0);
	return 0;
}

static int tp_case(const struct ring_ctx *ctx, const char *mode, enum ring_impl ours_impl,
		   void *ours, enum ring_impl ref_impl, void *ref, unsigned burst, uint64_t items)
{
	double ours_ns[RING_TRIALS], ref_ns[RING_TRIALS], scratch, o_ns, r_ns = NAN;
	char case_name[32];
	int rc;

	/* Warm-up: page faults, caches, branch predictors, CPU frequency. */
	rc = tp_once(ctx, ours_impl, ours, burst, items / 10, &scratch);
	if (rc == 0 && ref != NULL)
		rc = tp_once(ctx, ref_impl, ref, burst, items / 10, &scratch);
	for (unsigned t = 0; rc == 0 && t < ctx->trials; t++) {
		bool ref_first = ref != NULL && t % 2 == 1;

		if (ref_first)
			rc = tp_once(ctx, ref_impl, ref, burst, items, &ref_ns[t]);
		if (rc == 0)
			rc = tp_once(ctx, ours_impl, ours, burst, items, &ours_ns[t]);
		if (rc == 0 && ref != NULL && !ref_first)
			rc = tp_once(ctx, ref_impl, ref, burst, items, &ref_ns[t]);
	}
	if (rc < 0)
		return rc;
	o_ns = pc_bench_median(ours_ns, ctx->trials);
	if (ref != NULL)
		r_ns = pc_bench_median(ref_ns, ctx->trials);

	snprintf(case_name, sizeof(case_name), "%s/burst%u", mode, burst);
	rc = pc_bench_report_row(ctx->report, case_name, "throughput", "Mitems/s",
				 PC_BENCH_HIGHER_BETTER, (double)items / o_ns * 1e3,
				 impl_name[ref_impl], (double)items / r_ns * 1e3);
	if (rc == 0)
		rc = pc_bench_report_row(ctx->report, case_name, "ns_per_item", "ns",
					 PC_BENCH_LOWER_BETTER, o_ns / (double)items,
					 impl_name[ref_impl], r_ns / (double)items);
	/* The spread of the trials (sorted by the medians above), so that a reader can tell a
	 * steady figure from a noisy one. */
	if (rc == 0 && ref != NULL)
		rc = pc_bench_report_note(
			ctx->report,
			"%s: trials from %.1f to %.1f Mitems/s ours, %.1f to %.1f %s%s", case_name,
			(double)items / ours_ns[ctx->trials - 1] * 1e3,
			(double)items / ours_ns[0] * 1e3,
			(double)items / ref_ns[ctx->trials - 1] * 1e3,
			(double)items / ref_ns[0] * 1e3, impl_name[ref_impl],
			pc_bench_unsteady(ours_ns, ref_ns, ctx->trials));
	else if (rc == 0)
		rc = pc_bench_report_note(ctx->report,
					  "%s: trials from %.1f to %.1f Mitems/s ours%s", case_name,
					  (double)items / ours_ns[ctx->trials - 1] * 1e3,
					  (double)items / ours_ns[0] * 1e3,
					  pc_bench_unsteady(ours_ns, NULL, ctx->trials));
	return rc;
}

static int lat_once(const struct ring_ctx *ctx, enum ring_impl impl, void *ping, void *pong,
		    uint64_t samples, struct pc_hist *hist)
{
	struct lat_run run = {
		.ping = ping,
		.pong = pong,
		.warmup = LAT_WARMUP,
		.samples = samples,
		.ns_per_tick = pc_bench_ns_per_tick(),
		.hist = hist,
	};

	pc_bench_start_line_init(&run.start, 2);
	return run_pair(ctx, &lat_threads[impl], &run, &run.start);
}

static int lat_case(const struct ring_ctx *ctx, const char *mode, enum ring_impl ours_impl,
		    void *ours[2], enum ring_impl ref_impl, void *ref[2])
{
	static const struct {
		const char *metric;
		double q;
	} pcts[] = { { "latency_p50", 0.5 }, { "latency_p99", 0.99 }, { "latency_p99.9", 0.999 } };
	uint64_t samples = ctx->quick ? LAT_SAMPLES_QUICK : LAT_SAMPLES;
	struct pc_hist *ho = NULL, *hr = NULL;
	char case_name[32];
	int rc;

	rc = pc_hist_create(&ho);
	if (rc == 0)
		rc = pc_hist_create(&hr);
	for (unsigned t = 0; rc == 0 && t < ctx->trials; t++) {
		bool ref_first = ref[0] != NULL && t % 2 == 1;

		if (ref_first)
			rc = lat_once(ctx, ref_impl, ref[0], ref[1], samples, hr);
		if (rc == 0)
			rc = lat_once(ctx, ours_impl, ours[0], ours[1], samples, ho);
		if (rc == 0 && ref[0] != NULL && !ref_first)
			rc = lat_once(ctx, ref_impl, ref[0], ref[1], samples, hr);
	}
	snprintf(case_name, sizeof(case_name), "%s/latency", mode);
	for (size_t i = 0; rc == 0 && i < sizeof(pcts) / sizeof(pcts[0]); i++)
		rc = pc_bench_report_row(ctx->report, case_name, pcts[i].metric, "ns",
					 PC_BENCH_LOWER_BETTER,
					 (double)pc_hist_quantile(ho, pcts[i].q),
					 impl_name[ref_impl],
					 ref[0] ? (double)pc_hist_quantile(hr, pcts[i].q) : NAN);
	/* The mean and the worst sample, for the notes only: the rows are percentiles. */
	if (rc == 0 && ref[0] != NULL)
		rc = pc_bench_report_note(ctx->report,
					  "%s: one-way latency mean %.1f ns (max %" PRIu64
					  " ns) ours, %.1f ns (max %" PRIu64 " ns) %s",
					  case_name, pc_hist_mean(ho), ho->max, pc_hist_mean(hr),
					  hr->max, impl_name[ref_impl]);
	else if (rc == 0)
		rc = pc_bench_report_note(ctx->report,
					  "%s: one-way latency mean %.1f ns (max %" PRIu64
					  " ns) ours",
					  case_name, pc_hist_mean(ho), ho->max);
	pc_hist_destroy(hr);
	pc_hist_destroy(ho);
	return rc;
}

/* One mode (SPSC or MPMC): its rings, then the throughput and latency cases. */
static int ring_mode(const struct ring_ctx *ctx, const char *mode, unsigned pc_flags,
		     unsigned rte_flags, enum ring_impl ours_impl, enum ring_impl ref_impl)
{
	struct pc_ring *ours[3] = { NULL, NULL, NULL };
	struct rte_ring *ref[3] = { NULL, NULL, NULL };
	char name[RTE_RING_NAMESIZE];
	int rc = 0;

	/* Ring 0 carries the throughput runs; 1 and 2 the latency ping-pong. */
	for (unsigned i = 0; rc == 0 && i < 3; i++) {
		snprintf(name, sizeof(name), "pcb-%s-%u", mode, i);
		rc = pc_ring_create(&ours[i], RING_SLOTS, pc_flags, name);
		if (rc < 0) {
			fprintf(stderr, "phonecore bench: pc_ring_create: %s\n", strerror(-rc));
			goto out_free;
		}
		if (!ctx->eal_ok)
			continue;
		ref[i] = rte_ring_create(name, RING_SLOTS, SOCKET_ID_ANY, rte_flags);
		if (ref[i] == NULL) {
			rc = -rte_errno;
			fprintf(stderr, "phonecore bench: rte_ring_create: %s\n",
				rte_strerror(rte_errno));
			goto out_free;
		}
	}

	for (unsigned b = 0; rc == 0 && b < NBURSTS; b++) {
		uint64_t items = burst_items[b] / (ctx->quick ? QUICK_DIVISOR : 1u);

		rc = tp_case(ctx, mode, ours_impl, ours[0], ref_impl, ref[0], bursts[b], items);
	}
	if (rc == 0)
		rc = lat_case(ctx, mode, ours_impl, (void *[2]){ ours[1], ours[2] }, ref_impl,
			      (void *[2]){ ref[1], ref[2] });

out_free:
	for (unsigned i = 0; i < 3; i++) {
		rte_ring_free(ref[i]);
		pc_ring_destroy(ours[i]);
	}
	return rc;
}

/* What one pc_bench_ticks() costs, and the smallest step it moves by (the TSC of a virtual
 * machine may advance in steps of several ticks), in nanoseconds: both go into the notes. */
static void tick_props(double *cost_ns, double *step_ns)
{
	enum { READS = 100000 };
	uint64_t step = UINT64_MAX, prev = pc_bench_ticks(), first = prev;

	for (int i = 0; i < READS; i++) {
		uint64_t t = pc_bench_ticks();

		if (t != prev && t - prev < step)
			step = t - prev;
		prev = t;
	}
	*cost_ns = (double)(prev - first) * pc_bench_ns_per_tick() / READS;
	*step_ns = step == UINT64_MAX ? NAN : (double)step * pc_bench_ns_per_tick();
}

int pc_bench_ring_run(const struct pc_bench_opts *o)
{
	struct ring_ctx ctx = { .quick = o->quick };
	uint64_t t_start = pc_bench_now_ns();
	double tick_cost, tick_step;
	int rc;

	rc = pc_bench_cpus(o, &ctx.cpu_first, &ctx.cpu_second);
	if (rc < 0)
		return rc;
	ctx.trials = o->quick ? RING_TRIALS_QUICK : RING_TRIALS;
	ctx.eal_ok = pc_bench_eal_start() == 0;
	rc = pc_bench_report_create(&ctx.report, "ring", o);
	if (rc < 0) {
		fprintf(stderr, "phonecore bench: ring: %s\n", strerror(-rc));
		return rc;
	}
	{
		unsigned div = o->quick ? QUICK_DIVISOR : 1u;

		rc = pc_bench_report_note(
			ctx.report,
			"setup: producer/ping thread on CPU %d, consumer/pong thread on CPU %d "
			"(pinned); rings of %u slots; items per trial %" PRIu64 "/%" PRIu64
			"/%" PRIu64 " at bursts 1/8/32; median of %u trials, ours and rte_ring "
			"alternating trial by trial after one warm-up each; latency: ping-pong of "
			"one item over two rings, %u x %u samples, one-way = round trip / 2; "
			"%s; EAL: %s",
			ctx.cpu_first, ctx.cpu_second, RING_SLOTS, burst_items[0] / div,
			burst_items[1] / div, burst_items[2] / div, ctx.trials, ctx.trials,
			o->quick ? LAT_SAMPLES_QUICK : LAT_SAMPLES, pc_bench_dpdk_version(),
			ctx.eal_ok ? pc_bench_eal_args() : pc_bench_eal_error());
	}
	tick_props(&tick_cost, &tick_step);
	if (rc == 0)
		rc = pc_bench_report_note(
			ctx.report,
			"both rings spin with a pause when full or empty; rte_ring of count %u "
			"holds %u items; timestamps: TSC at %.4f GHz, %.1f ns per read, advancing "
			"in steps of %.1f ns (one-way latencies are quantised to half of that)",
			RING_SLOTS, RING_SLOTS - 1, 1.0 / pc_bench_ns_per_tick(), tick_cost,
			tick_step);
	if (rc == 0 && !ctx.eal_ok)
		rc = pc_bench_report_note(ctx.report,
					  "rte_ring not measured: DPDK EAL did not start (%s)",
					  pc_bench_eal_error());
	if (rc == 0)
		rc = ring_mode(&ctx, "spsc", PC_RING_SPSC, RING_F_SP_ENQ | RING_F_SC_DEQ,
			       IMPL_PC_SPSC, IMPL_RTE_SPSC);
	if (rc == 0)
		rc = ring_mode(&ctx, "mpmc", PC_RING_MPMC, 0, IMPL_PC_MPMC, IMPL_RTE_MPMC);
	if (rc == 0)
		rc = pc_bench_report_note(ctx.report, "run time %.1f s",
					  (double)(pc_bench_now_ns() - t_start) / 1e9);
	if (rc == 0)
		rc = pc_bench_report_finish(ctx.report);
	else if (rc == -ENOMEM)
		fprintf(stderr, "phonecore bench: ring: out of memory\n");
	pc_bench_report_destroy(ctx.report);
	return rc;
}
