/* SPDX-License-Identifier: MIT */
/*
 * pool_bench.c - benchmark "pool": phonecore's packet pool (pc_pkt, per-thread caches in front
 * of a shared pc_ring) against DPDK's mbuf pool (rte_pktmbuf over rte_mempool, per-lcore caches
 * in front of an rte_ring).
 *
 * Both pools hold 8192 buffers with 128 bytes of headroom, 1728 of data and 64 of tailroom
 * behind a 128-byte header, and caches of 256 buffers. Every buffer allocated gets 8 bytes of
 * payload appended and written (pc_pkt_append / rte_pktmbuf_append), so neither pool is timed
 * doing less than the other.
 *
 *   pool/local          one pinned thread: alloc, touch, free one buffer per iteration.
 *   pool/local-burst32  the same with the burst calls, 32 buffers at a time.
 *   pool/cross-thread   thread A allocates bursts of 32 and hands them through an SPSC pc_ring
 *                       (the same hand-off for both pools, so only the pool differs) to thread
 *                       B on the other CPU, which reads the payload and frees them into its own
 *                       cache: the media-path pattern of rx on one core, tx on another.
 *   pool/footprint      memory each pool reserves for its buffers, caches and free ring.
 *
 * The DPDK threads are registered EAL threads (rte_thread_register()) with an lcore id, so
 * their allocations and frees go through their own mempool caches, as ours go through ours.
 * Runs alternate between the pools trial by trial; the median trial is reported.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_pool_ops.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "bench_pvt.h"
#include "pc_pkt.h"
#include "pc_ring.h"

#define POOL_BUFS 8192u
#define POOL_CACHE 256u
#define POOL_DATA_ROOM PC_PKT_DATA_ROOM_DEFAULT
/* DPDK's data room counts the headroom; ours keeps the tailroom apart. Same bytes in both. */
#define RTE_DATA_ROOM (RTE_PKTMBUF_HEADROOM + POOL_DATA_ROOM + PC_PKT_TAILROOM_MIN)
#define PAYLOAD 8u
#define BURST 32u
#define HANDOFF_SLOTS 1024u
#define POOL_TRIALS 7u
#define POOL_TRIALS_QUICK 3u
#define LOCAL_OPS 10000000u /* buffers per trial: about 0.1-0.3 s */
#define CROSS_BUFS 10000000u
#define QUICK_DIVISOR 20u

_Static_assert(RTE_PKTMBUF_HEADROOM == PC_PKT_HEADROOM_MIN, "both pools: the same headroom");
_Static_assert(sizeof(struct rte_mbuf) == sizeof(struct pc_pkt), "both: a 128-byte header");

enum pool_impl {
	POOL_PC,
	POOL_RTE,
	POOL_IMPLS,
};

static const char *const ref_name = "rte_mempool (rte_pktmbuf)";

struct pool_ctx {
	int cpu_a;
	int cpu_b;
	unsigned trials;
	bool quick;
	struct pc_pkt_pool *pc;
	struct rte_mempool *mp; /* NULL: the reference cannot be measured */
	struct pc_ring *handoff;
	struct pc_bench_report *report;
	/* The lcore ids the DPDK threads got: evidence that they used their mempool caches. */
	int lcore_local, lcore_a, lcore_b;
};

/* --- per-thread setup: a cache of ours, or a registered lcore and its mempool cache ----------- */

struct side {
	struct pc_pkt_cache *c;
	struct rte_mempool_cache *mc;
	int lcore;
};

static int side_open(enum pool_impl impl, const struct pool_ctx *ctx, struct side *s)
{
	int rc;

	if (impl == POOL_PC) {
		rc = pc_pkt_cache_attach(ctx->pc, &s->c);
		if (rc < 0)
			fprintf(stderr, "phonecore bench: pool: pc_pkt_cache_attach: %s\n",
				strerror(-rc));
		return rc;
	}
	s->lcore = pc_bench_eal_thread_register();
	if (s->lcore < 0)
		return s->lcore;
	s->mc = rte_mempool_default_cache(ctx->mp, (unsigned)s->lcore);
	if (s->mc == NULL) {
		fprintf(stderr, "phonecore bench: pool: lcore %d has no mempool cache\n", s->lcore);
		pc_bench_eal_thread_unregister();
		return -ENOTSUP;
	}
	return 0;
}

/* Give the cache's buffers back, so that every run starts from the same state and the counts
 * checked at the end add up. Not timed. */
static void side_close(enum pool_impl impl, const struct pool_ctx *ctx, struct side *s)
{
	if (impl == POOL_PC) {
		pc_pkt_cache_detach(s->c);
		return;
	}
	rte_mempool_cache_flush(s->mc, ctx->mp);
	pc_bench_eal_thread_unregister();
}

/* --- pool/local ------------------------------------------------------------------------------- */

struct local_run {
	const struct pool_ctx *ctx;
	uint64_t ops;
	uint64_t t0, t1;
	uint64_t fails;
	int rc;
	int lcore;
};

static void *local_pc(void *arg)
{
	struct local_run *run = arg;
	struct side s;
	uint64_t fails = 0;

	run->rc = side_open(POOL_PC, run->ctx, &s);
	if (run->rc < 0)
		return NULL;
	run->t0 = pc_bench_now_ns();
	for (uint64_t i = 0; i < run->ops; i++) {
		struct pc_pkt *p = pc_pkt_alloc(s.c);
		uint8_t *d;

		if (p == NULL) {
			fails++;
			continue;
		}
		d = pc_pkt_append(p, PAYLOAD);
		if (d != NULL)
			memcpy(d, &i, PAYLOAD);
		else
			fails++;
		pc_pkt_free(s.c, p);
	}
	run->t1 = pc_bench_now_ns();
	side_close(POOL_PC, run->ctx, &s);
	run->fails = fails;
	return NULL;
}

static void *local_rte(void *arg)
{
	struct local_run *run = arg;
	struct rte_mempool *mp = run->ctx->mp;
	struct side s;
	uint64_t fails = 0;

	run->rc = side_open(POOL_RTE, run->ctx, &s);
	if (run->rc < 0)
		return NULL;
	run->lcore = s.lcore;
	run->t0 = pc_bench_now_ns();
	for (uint64_t i = 0; i < run->ops; i++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
		char *d;

		if (m == NULL) {
			fails++;
			continue;
		}
		d = rte_pktmbuf_append(m, PAYLOAD);
		if (d != NULL)
			memcpy(d, &i, PAYLOAD);
		else
			fails++;
		rte_pktmbuf_free(m);
	}
	run->t1 = pc_bench_now_ns();
	side_close(POOL_RTE, run->ctx, &s);
	run->fails = fails;
	return NULL;
}

static void *local_burst_pc(void *arg)
{
	struct local_run *run = arg;
	struct pc_pkt *pkts[BURST];
	struct side s;
	uint64_t fails = 0, seq = 0;

	run->rc = side_open(POOL_PC, run->ctx, &s);
	if (run->rc < 0)
		return NULL;
	run->t0 = pc_bench_now_ns();
	for (uint64_t i = 0; i < run->ops / BURST; i++) {
		unsigned got = pc_pkt_alloc_burst(s.c, pkts, BURST);

		fails += BURST - got;
		for (unsigned k = 0; k < got; k++, seq++) {
			uint8_t *d = pc_pkt_append(pkts[k], PAYLOAD);

			if (d != NULL)
				memcpy(d, &seq, PAYLOAD);
			else
				fails++;
		}
		pc_pkt_free_burst(s.c, pkts, got);
	}
	run->t1 = pc_bench_now_ns();
	side_close(POOL_PC, run->ctx, &s);
	run->fails = fails;
	return NULL;
}

static void *local_burst_rte(void *arg)
{
	struct local_run *run = arg;
	struct rte_mempool *mp = run->ctx->mp;
	struct rte_mbuf *ms[BURST];
	struct side s;
	uint64_t fails = 0, seq = 0;

	run->rc = side_open(POOL_RTE, run->ctx, &s);
	if (run->rc < 0)
		return NULL;
	run->lcore = s.lcore;
	run->t0 = pc_bench_now_ns();
	for (uint64_t i = 0; i < run->ops / BURST; i++) {
		/* All or nothing, unlike ours, which may return fewer. */
		if (rte_pktmbuf_alloc_bulk(mp, ms, BURST) != 0) {
			fails += BURST;
			continue;
		}
		for (unsigned k = 0; k < BURST; k++, seq++) {
			char *d = rte_pktmbuf_append(ms[k], PAYLOAD);

			if (d != NULL)
				memcpy(d, &seq, PAYLOAD);
			else
				fails++;
		}
		rte_pktmbuf_free_bulk(ms, BURST);
	}
	run->t1 = pc_bench_now_ns();
	side_close(POOL_RTE, run->ctx, &s);
	run->fails = fails;
	return NULL;
}

static void *(*const local_fn[2][POOL_IMPLS])(void *) = {
	{ local_pc, local_rte },
	{ local_burst_pc, local_burst_rte },
};

/* One local run; *@ns_per_op receives the time per buffer (alloc + touch + free). */
static int local_once(struct pool_ctx *ctx, enum pool_impl impl, bool burst, uint64_t ops,
		      double *ns_per_op)
{
	struct local_run run = { .ctx = ctx, .ops = ops };
	pthread_t t;
	int rc;

	rc = pc_bench_thread_start(&t, ctx->cpu_a, local_fn[burst][impl], &run);
	if (rc < 0)
		return rc;
	pthread_join(t, NULL);
	if (run.rc < 0)
		return run.rc;
	if (impl == POOL_RTE)
		ctx->lcore_local = run.lcore;
	if (run.fails != 0) {
		fprintf(stderr,
			"phonecore bench: pool: %s: %" PRIu64 " of %" PRIu64
			" allocations failed in a pool that cannot run dry here\n",
			impl == POOL_PC ? "pc_pkt" : ref_name, run.fails, ops);
		return -EPROTO;
	}
	*ns_per_op = (double)(run.t1 - run.t0) / (double)(burst ? ops / BURST * BURST : ops);
	return 0;
}

/* --- pool/cross-thread ------------------------------------------------------------------------ */

struct cross_run {
	const struct pool_ctx *ctx;
	uint64_t bufs;
	struct pc_bench_start_line start;
	/* Each thread writes only its own line pair. */
	alignas(PC_CACHE_GUARD) uint64_t a_t0, a_t1, a_fails;
	int a_rc, a_lcore;
	alignas(PC_CACHE_GUARD) uint64_t b_t0, b_t1, b_sum;
	int b_rc, b_lcore;
};

/* Hand @n buffers to the other thread, waiting while the hand-off ring is full. */
static pc_always_inline void handoff_put(struct pc_ring *r, void **objs, unsigned n)
{
	unsigned done = 0;

	while (done < n) {
		unsigned k = pc_ring_sp_enqueue_burst(r, objs + done, n - done);

		if (k == 0)
			pc_cpu_pause();
		done += k;
	}
}

static void *cross_a_pc(void *arg)
{
	struct cross_run *run = arg;
	struct pc_pkt *pkts[BURST];
	uint64_t sent = 0, fails = 0;
	struct side s;

	run->a_rc = side_open(POOL_PC, run->ctx, &s);
	if (run->a_rc < 0) {
		pc_bench_start_line_abort(&run->start);
		return NULL;
	}
	if (!pc_bench_start_line_wait(&run->start))
		goto out;
	run->a_t0 = pc_bench_now_ns();
	while (sent < run->bufs) {
		unsigned n = run->bufs - sent < BURST ? (unsigned)(run->bufs - sent) : BURST;
		unsigned got = pc_pkt_alloc_burst(s.c, pkts, n);

		if (got < n)
			fails++; /* cannot happen: the hand-off holds far fewer than the pool */
		for (unsigned k = 0; k < got; k++) {
			uint64_t seq = sent + k;

			memcpy(pc_pkt_append(pkts[k], PAYLOAD), &seq, PAYLOAD);
		}
		handoff_put(run->ctx->handoff, (void **)pkts, got);
		sent += got;
	}
	run->a_t1 = pc_bench_now_ns();
out:
	side_close(POOL_PC, run->ctx, &s);
	run->a_fails = fails;
	return NULL;
}

static void *cross_a_rte(void *arg)
{
	struct cross_run *run = arg;
	struct rte_mempool *mp = run->ctx->mp;
	struct rte_mbuf *ms[BURST];
	uint64_t sent = 0, fails = 0;
	struct side s;

	run->a_rc = side_open(POOL_RTE, run->ctx, &s);
	if (run->a_rc < 0) {
		pc_bench_start_line_abort(&run->start);
		return NULL;
	}
	run->a_lcore = s.lcore;
	if (!pc_bench_start_line_wait(&run->start))
		goto out;
	run->a_t0 = pc_bench_now_ns();
	while (sent < run->bufs) {
		unsigned n = run->bufs - sent < BURST ? (unsigned)(run->bufs - sent) : BURST;

		if (rte_pktmbuf_alloc_bulk(mp, ms, n) != 0) {
			fails++; /* cannot happen: the hand-off holds far fewer than the pool */
			pc_cpu_pause();
			continue;
		}
		for (unsigned k = 0; k < n; k++) {
			uint64_t seq = sent + k;

			memcpy(rte_pktmbuf_append(ms[k], PAYLOAD), &seq, PAYLOAD);
		}
		handoff_put(run->ctx->handoff, (void **)ms, n);
		sent += n;
	}
	run->a_t1 = pc_bench_now_ns();
out:
	side_close(POOL_RTE, run->ctx, &s);
	run->a_fails = fails;
	return NULL;
}

static void *cross_b_pc(void *arg)
{
	struct cross_run *run = arg;
	struct pc_pkt *pkts[BURST];
	uint64_t got = 0, sum = 0;
	struct side s;

	run->b_rc = side_open(POOL_PC, run->ctx, &s);
	if (run->b_rc < 0) {
		pc_bench_start_line_abort(&run->start);
		return NULL;
	}
	if (!pc_bench_start_line_wait(&run->start))
		goto out;
	run->b_t0 = pc_bench_now_ns();
	while (got < run->bufs) {
		unsigned k = pc_ring_sc_dequeue_burst(run->ctx->handoff, (void **)pkts, BURST);

		if (k == 0) {
			pc_cpu_pause();
			continue;
		}
		for (unsigned i = 0; i < k; i++) {
			uint64_t v;

			memcpy(&v, pc_pkt_data(pkts[i]), PAYLOAD);
			sum += v;
		}
		pc_pkt_free_burst(s.c, pkts, k);
		got += k;
	}
	run->b_t1 = pc_bench_now_ns();
out:
	side_close(POOL_PC, run->ctx, &s);
	run->b_sum = sum;
	return NULL;
}

static void *cross_b_rte(void *arg)
{
	struct cross_run *run = arg;
	struct rte_mbuf *ms[BURST];
	uint64_t got = 0, sum = 0;
	struct side s;

	run->b_rc = side_open(POOL_RTE, run->ctx, &s);
	if (run->b_rc < 0) {
		pc_bench_start_line_abort(&run->start);
		return NULL;
	}
	run->b_lcore = s.lcore;
	if (!pc_bench_start_line_wait(&run->start))
		goto out;
	run->b_t0 = pc_bench_now_ns();
	while (got < run->bufs) {
		unsigned k = pc_ring_sc_dequeue_burst(run->ctx->handoff, (void **)ms, BURST);

		if (k == 0) {
			pc_cpu_pause();
			continue;
		}
		for (unsigned i = 0; i < k; i++) {
			uint64_t v;

			memcpy(&v, rte_pktmbuf_mtod(ms[i], const void *), PAYLOAD);
			sum += v;
		}
		rte_pktmbuf_free_bulk(ms, k);
		got += k;
	}
	run->b_t1 = pc_bench_now_ns();
out:
	side_close(POOL_RTE, run->ctx, &s);
	run->b_sum = sum;
	return NULL;
}

static void *(*const cross_fn[POOL_IMPLS][2])(void *) = {
	[POOL_PC] = { cross_a_pc, cross_b_pc },
	[POOL_RTE] = { cross_a_rte, cross_b_rte },
};

/* One cross-thread run; *@ns receives its elapsed time. */
static int cross_once(struct pool_ctx *ctx, enum pool_impl impl, uint64_t bufs, double *ns)
{
	struct cross_run run = { .ctx = ctx, .bufs = bufs };
	uint64_t t0, t1;
	pthread_t a, b;
	int rc;

	pc_bench_start_line_init(&run.start, 2);
	rc = pc_bench_thread_start(&a, ctx->cpu_a, cross_fn[impl][0], &run);
	if (rc < 0)
		return rc;
	rc = pc_bench_thread_start(&b, ctx->cpu_b, cross_fn[impl][1], &run);
	if (rc < 0) {
		pc_bench_start_line_abort(&run.start);
		pthread_join(a, NULL);
		return rc;
	}
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	if (run.a_rc < 0 || run.b_rc < 0)
		return run.a_rc < 0 ? run.a_rc : run.b_rc;
	if (impl == POOL_RTE) {
		ctx->lcore_a = run.a_lcore;
		ctx->lcore_b = run.b_lcore;
	}
	/* Sequence numbers 0 .. bufs-1 went out; they must all come back intact. */
	if (run.a_fails != 0 || run.b_sum != bufs * (bufs - 1) / 2) {
		fprintf(stderr,
			"phonecore bench: pool: %s: cross-thread hand-off lost or corrupted "
			"payloads (%" PRIu64 " failed allocations)\n",
			impl == POOL_PC ? "pc_pkt" : ref_name, run.a_fails);
		return -EPROTO;
	}
	t0 = run.a_t0 < run.b_t0 ? run.a_t0 : run.b_t0;
	t1 = run.a_t1 > run.b_t1 ? run.a_t1 : run.b_t1;
	*ns = (double)(t1 - t0);
	return 0;
}

/* --- the cases -------------------------------------------------------------------------------- */

enum case_kind {
	CASE_LOCAL,
	CASE_LOCAL_BURST,
	CASE_CROSS,
};

static int case_once(struct pool_ctx *ctx, enum case_kind kind, enum pool_impl impl, uint64_t n,
		     double *v)
{
	if (kind == CASE_CROSS)
		return cross_once(ctx, impl, n, v);
	return local_once(ctx, impl, kind == CASE_LOCAL_BURST, n, v);
}

/*
 * Run a case for ours and (when it can be measured) the reference, alternating trial by trial
 * after a warm-up each; *@ours and *@ref receive the medians (*@ref NAN when not measured).
 * A reference that fails is reported as not measured, with the reason in the notes; a failure
 * of ours ends the benchmark.
 */
static int case_trials(struct pool_ctx *ctx, enum case_kind kind, uint64_t n, const char *name,
		       double *ours, double *ref)
{
	double o[POOL_TRIALS], r[POOL_TRIALS], scratch;
	/* Trial figures are in ns per buffer for the local cases, ns per run across threads. */
	double per = kind == CASE_CROSS ? (double)n : 1.0;
	const char *unit = "ns per buffer";
	bool with_ref = ctx->mp != NULL;
	int rc;

	rc = case_once(ctx, kind, POOL_PC, n / 10, &scratch);
	if (rc == 0 && with_ref && case_once(ctx, kind, POOL_RTE, n / 10, &scratch) < 0)
		with_ref = false;
	for (unsigned t = 0; rc == 0 && t < ctx->trials; t++) {
		bool ref_first = t % 2 == 1;

		if (with_ref && ref_first && case_once(ctx, kind, POOL_RTE, n, &r[t]) < 0)
			with_ref = false;
		rc = case_once(ctx, kind, POOL_PC, n, &o[t]);
		if (rc == 0 && with_ref && !ref_first &&
		    case_once(ctx, kind, POOL_RTE, n, &r[t]) < 0)
			with_ref = false;
	}
	if (rc < 0)
		return rc;
	if (ctx->mp != NULL && !with_ref) {
		rc = pc_bench_report_note(ctx->report, "%s: %s not measured: see the error above",
					  name, ref_name);
		if (rc < 0)
			return rc;
	}
	*ours = pc_bench_median(o, ctx->trials);
	*ref = with_ref ? pc_bench_median(r, ctx->trials) : NAN;
	/* The spread of the trials (sorted by the medians), to tell steady figures from noisy. */
	if (with_ref)
		return pc_bench_report_note(
			ctx->report,
			"%s: trials from %.2f to %.2f (ours), %.2f to %.2f (DPDK) "
			"%s%s",
			name, o[0] / per, o[ctx->trials - 1] / per, r[0] / per,
			r[ctx->trials - 1] / per, unit, pc_bench_unsteady(o, r, ctx->trials));
	return pc_bench_report_note(ctx->report, "%s: trials from %.2f to %.2f (ours) %s%s", name,
				    o[0] / per, o[ctx->trials - 1] / per, unit,
				    pc_bench_unsteady(o, NULL, ctx->trials));
}

static int local_cases(struct pool_ctx *ctx)
{
	uint64_t ops = LOCAL_OPS / (ctx->quick ? QUICK_DIVISOR : 1u);
	static const struct {
		const char *name;
		enum case_kind kind;
	} cases[] = { { "pool/local", CASE_LOCAL }, { "pool/local-burst32", CASE_LOCAL_BURST } };
	double ours, ref;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = case_trials(ctx, cases[i].kind, ops, cases[i].name, &ours, &ref);
		if (rc == 0)
			rc = pc_bench_report_row(ctx->report, cases[i].name, "ns_per_op", "ns",
						 PC_BENCH_LOWER_BETTER, ours, ref_name, ref);
	}
	return rc;
}

static int cross_case(struct pool_ctx *ctx)
{
	uint64_t bufs = CROSS_BUFS / (ctx->quick ? QUICK_DIVISOR : 1u);
	double ours, ref;
	int rc;

	rc = case_trials(ctx, CASE_CROSS, bufs, "pool/cross-thread", &ours, &ref);
	if (rc == 0)
		rc = pc_bench_report_row(ctx->report, "pool/cross-thread", "throughput",
					 "Mbuffers/s", PC_BENCH_HIGHER_BETTER,
					 (double)bufs / ours * 1e3, ref_name,
					 (double)bufs / ref * 1e3);
	if (rc == 0)
		rc = pc_bench_report_row(ctx->report, "pool/cross-thread", "ns_per_buffer", "ns",
					 PC_BENCH_LOWER_BETTER, ours / (double)bufs, ref_name,
					 ref / (double)bufs);
	return rc;
}

/* --- footprint and sanity --------------------------------------------------------------------- */

static void mem_chunk_bytes(struct rte_mempool *mp, void *opaque, struct rte_mempool_memhdr *memhdr,
			    unsigned mem_idx)
{
	(void)mp;
	(void)mem_idx;
	*(size_t *)opaque += memhdr->len;
}

/* What DPDK reserved for the pool: the header memzone (with a cache for each of RTE_MAX_LCORE
 * lcores), the object chunks, and the free ring when the pool runs on the ring driver. */
static double rte_pool_bytes(struct rte_mempool *mp, bool *with_ring)
{
	size_t bytes = mp->mz != NULL ? mp->mz->len : 0;
	const struct rte_mempool_ops *ops = rte_mempool_get_ops(mp->ops_index);

	rte_mempool_mem_iter(mp, mem_chunk_bytes, &bytes);
	*with_ring = strncmp(ops->name, "ring_", 5) == 0 && mp->pool_data != NULL;
	if (*with_ring) {
		ssize_t rs = rte_ring_get_memsize(rte_ring_get_size(mp->pool_data));

		if (rs > 0)
			bytes += (size_t)rs;
	}
	return (double)bytes;
}

static int footprint_case(struct pool_ctx *ctx)
{
	struct pc_pkt_pool_stats st;
	bool with_ring = false;
	double ref = ctx->mp ? rte_pool_bytes(ctx->mp, &with_ring) : NAN;
	int rc;

	pc_pkt_pool_stats(ctx->pc, &st);
	rc = pc_bench_report_row(ctx->report, "pool/footprint", "memory", "KiB",
				 PC_BENCH_LOWER_BETTER, (double)st.region_bytes / 1024.0, ref_name,
				 ref / 1024.0);
	if (rc == 0 && ctx->mp != NULL)
		rc = pc_bench_report_note(
			ctx->report,
			"pool/footprint: ours = the mapped region (%u buffers of %u B, caches for "
			"%u threads, free ring); DPDK = mempool header with caches for %d lcores + "
			"object memory (%u B per buffer)%s",
			st.count, st.elt_bytes, PC_PKT_CACHES_DEFAULT, RTE_MAX_LCORE,
			ctx->mp->header_size + ctx->mp->elt_size + ctx->mp->trailer_size,
			with_ring ? " + free ring" : "");
	return rc;
}

/* Every buffer must be back in its pool once all caches are flushed. */
static int check_pools(struct pool_ctx *ctx)
{
	struct pc_pkt_pool_stats st;
	int rc = 0;

	pc_pkt_pool_stats(ctx->pc, &st);
	if (st.avail != st.count || st.alloc_fails != 0) {
		fprintf(stderr,
			"phonecore bench: pool: pc_pkt pool has %u of %u buffers back, "
			"%" PRIu64 " failed allocations\n",
			st.avail, st.count, st.alloc_fails);
		rc = pc_bench_report_note(ctx->report,
					  "WARNING: pc_pkt pool has %u of %u buffers "
					  "back after the runs",
					  st.avail, st.count);
	}
	if (rc == 0 && ctx->mp != NULL && rte_mempool_avail_count(ctx->mp) != POOL_BUFS) {
		fprintf(stderr, "phonecore bench: pool: rte_mempool has %u of %u buffers back\n",
			rte_mempool_avail_count(ctx->mp), POOL_BUFS);
		rc = pc_bench_report_note(ctx->report,
					  "WARNING: rte_mempool has %u of %u buffers "
					  "back after the runs",
					  rte_mempool_avail_count(ctx->mp), POOL_BUFS);
	}
	if (rc == 0 && ctx->mp != NULL)
		rc = pc_bench_report_note(
			ctx->report,
			"DPDK threads ran as registered lcores (rte_thread_register): "
			"%d in the local cases, %d (alloc) and %d (free) across threads, "
			"each through its own mempool cache",
			ctx->lcore_local, ctx->lcore_a, ctx->lcore_b);
	if (rc == 0)
		rc = pc_bench_report_note(ctx->report,
					  "pc_pkt pool: %" PRIu64 " refills, %" PRIu64
					  " flushes of caches; region %s",
					  st.refills, st.flushes,
					  st.hugepages ? "on 2 MiB hugepages" :
							 "on 4 KiB pages (THP advised)");
	return rc;
}

/* --- the benchmark ---------------------------------------------------------------------------- */

/*
 * The mbuf pool, built as rte_pktmbuf_pool_create() builds it but with objects packed as they
 * are on hugepages. Without hugepages (as here) rte_pktmbuf_pool_create() asks for objects
 * that do not cross a 4 KiB page, which puts one 2112-byte mbuf on each page: twice the memory,
 * and every mbuf at the same page offset, so that a burst of them fights over the same L1 sets
 * (measured here: 25.6 instead of 6.1 ns per buffer at bursts of 32). No device DMAs into
 * these mbufs, so they need no IOVA-contiguous objects. Returns NULL with rte_errno set.
 */
static struct rte_mempool *rte_pool_create(void)
{
	struct rte_pktmbuf_pool_private priv = {
		.mbuf_data_room_size = RTE_DATA_ROOM,
		.mbuf_priv_size = 0,
	};
	struct rte_mempool *mp;
	int rc;

	mp = rte_mempool_create_empty("pcb-pool", POOL_BUFS,
				      sizeof(struct rte_mbuf) + RTE_DATA_ROOM, POOL_CACHE,
				      sizeof(priv), SOCKET_ID_ANY, RTE_MEMPOOL_F_NO_IOVA_CONTIG);
	if (mp == NULL)
		return NULL;
	rc = rte_mempool_set_ops_byname(mp, rte_mbuf_best_mempool_ops(), NULL);
	if (rc < 0)
		goto out_free;
	rte_pktmbuf_pool_init(mp, &priv);
	rc = rte_mempool_populate_default(mp);
	if (rc < 0)
		goto out_free;
	rte_mempool_obj_iter(mp, rte_pktmbuf_init, NULL);
	return mp;

out_free:
	rte_mempool_free(mp);
	rte_errno = -rc;
	return NULL;
}

static int pool_setup(struct pool_ctx *ctx, bool eal_ok)
{
	struct pc_pkt_pool_params p = {
		.name = "pcb-pool",
		.count = POOL_BUFS,
		.data_room = POOL_DATA_ROOM,
		.cache_size = POOL_CACHE,
	};
	int rc;

	rc = pc_pkt_pool_create(&ctx->pc, &p);
	if (rc < 0) {
		fprintf(stderr, "phonecore bench: pool: pc_pkt_pool_create: %s\n", strerror(-rc));
		return rc;
	}
	rc = pc_ring_create(&ctx->handoff, HANDOFF_SLOTS, PC_RING_SPSC, "pcb-handoff");
	if (rc < 0) {
		fprintf(stderr, "phonecore bench: pool: pc_ring_create: %s\n", strerror(-rc));
		goto out_pool;
	}
	if (!eal_ok)
		return pc_bench_report_note(ctx->report,
					    "%s not measured: DPDK EAL did not start (%s)",
					    ref_name, pc_bench_eal_error());
	ctx->mp = rte_pool_create();
	if (ctx->mp == NULL) {
		/* Ours is still measured; the reference rows say null, and why. */
		fprintf(stderr, "phonecore bench: pool: creating the mbuf pool: %s\n",
			rte_strerror(rte_errno));
		return pc_bench_report_note(ctx->report,
					    "%s not measured: creating the mbuf pool: %s", ref_name,
					    rte_strerror(rte_errno));
	}
	return pc_bench_report_note(ctx->report,
				    "mbuf pool: rte_pktmbuf_pool_create()'s steps with "
				    "RTE_MEMPOOL_F_NO_IOVA_CONTIG, ops %s, so that without "
				    "hugepages its objects are packed as on hugepages, not one per "
				    "4 KiB page (no device DMAs into them)",
				    rte_mempool_get_ops(ctx->mp->ops_index)->name);

out_pool:
	pc_pkt_pool_destroy(ctx->pc);
	ctx->pc = NULL;
	return rc;
}

int pc_bench_pool_run(const struct pc_bench_opts *o)
{
	struct pool_ctx ctx = { .quick = o->quick };
	uint64_t t_start = pc_bench_now_ns();
	unsigned div = o->quick ? QUICK_DIVISOR : 1u;
	bool eal_ok;
	int rc;

	rc = pc_bench_cpus(o, &ctx.cpu_a, &ctx.cpu_b);
	if (rc < 0)
		return rc;
	ctx.trials = o->quick ? POOL_TRIALS_QUICK : POOL_TRIALS;
	eal_ok = pc_bench_eal_start() == 0;
	rc = pc_bench_report_create(&ctx.report, "pool", o);
	if (rc < 0) {
		fprintf(stderr, "phonecore bench: pool: %s\n", strerror(-rc));
		return rc;
	}
	rc = pc_bench_report_note(
		ctx.report,
		"setup: local cases on CPU %d; cross-thread: allocating thread on CPU %d, freeing "
		"thread on CPU %d (pinned), hand-off through one SPSC pc_ring of %u slots for both "
		"pools, bursts of %u; %u buffers, caches of %u, data room %u B (+%u headroom, %u "
		"tailroom), %u B payload written per buffer; %u buffers per local trial, %u per "
		"cross-thread trial; median of %u trials alternating ours and DPDK after one "
		"warm-up each; %s; EAL: %s",
		ctx.cpu_a, ctx.cpu_a, ctx.cpu_b, HANDOFF_SLOTS, BURST, POOL_BUFS, POOL_CACHE,
		POOL_DATA_ROOM, PC_PKT_HEADROOM_MIN, PC_PKT_TAILROOM_MIN, PAYLOAD, LOCAL_OPS / div,
		CROSS_BUFS / div, ctx.trials, pc_bench_dpdk_version(),
		eal_ok ? pc_bench_eal_args() : pc_bench_eal_error());
	if (rc == 0)
		rc = pc_bench_report_note(ctx.report,
					  "ns_per_op: one buffer allocated, 8 B written, freed; in "
					  "the burst case per buffer of a 32-buffer burst");
	if (rc == 0)
		rc = pool_setup(&ctx, eal_ok);
	if (rc == 0)
		rc = local_cases(&ctx);
	if (rc == 0)
		rc = cross_case(&ctx);
	if (rc == 0)
		rc = footprint_case(&ctx);
	if (rc == 0)
		rc = check_pools(&ctx);
	if (rc == 0)
		rc = pc_bench_report_note(ctx.report, "run time %.1f s",
					  (double)(pc_bench_now_ns() - t_start) / 1e9);
	if (rc == 0)
		rc = pc_bench_report_finish(ctx.report);
	else if (rc == -ENOMEM)
		fprintf(stderr, "phonecore bench: pool: out of memory\n");

	rte_mempool_free(ctx.mp);
	pc_ring_destroy(ctx.handoff);
	pc_pkt_pool_destroy(ctx.pc);
	pc_bench_report_destroy(ctx.report);
	return rc;
}
