/* SPDX-License-Identifier: MIT */
/*
 * pkt_stress_test.c - the packet pool across threads: buffers allocated on one thread and freed
 * on another (each through its own cache), fan-out of one buffer to two threads by reference
 * count, and several threads allocating and freeing at once through caches and without.
 *
 * Every buffer handed out is tracked by index in an array of atomic flags (or holder counts):
 * a buffer handed out while still held is caught on the spot. At the end, after every cache is
 * detached, the pool must hold every buffer again, with as many frees as allocs.
 * PC_TEST_QUICK (set by the sanitizer builds) divides the packet counts by 100.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pc_pkt.h"
#include "pc_ring.h"

#define PC_PSTRESS_MAX_BURST 32
#define PC_PSTRESS_SPINS_BEFORE_YIELD 64
#define PC_PSTRESS_MAX_THREADS 4
/* Time budget of the test that runs more threads than the machine may have CPUs, in seconds. */
#define PC_PSTRESS_BUDGET 4.0

struct pc_pstress {
	struct pc_pkt_pool *pool;
	uint32_t count;
	uint64_t packets;	   /* to send, or per churning thread at most */
	struct pc_ring *ring[2];   /* producer to consumer 0 and 1 (SPSC) */
	_Atomic uint8_t *held;	   /* per buffer index: holders the test gave it */
	_Atomic int stop;	   /* time budget spent */
	_Atomic unsigned finished; /* churning threads that have stopped */
	_Atomic int failed;
	char why[256]; /* written once, by the thread that set failed; read after the joins */
};

struct pc_pstress_thread {
	struct pc_pstress *s;
	unsigned id;
	uint64_t done; /* packets this thread handled */
	pthread_t tid;
};

static uint64_t pc_pstress_count(uint64_t full)
{
	const char *quick = getenv("PC_TEST_QUICK");

	if (quick != NULL && quick[0] != '\0' && strcmp(quick, "0") != 0)
		return full / 100;
	return full;
}

static uint32_t pc_pstress_rand(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return (uint32_t)(*state >> 32);
}

static double pc_pstress_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

__attribute__((format(printf, 2, 3))) static void pc_pstress_fail(struct pc_pstress *s,
								  const char *fmt, ...)
{
	int expected = 0;
	va_list ap;

	if (!atomic_compare_exchange_strong_explicit(&s->failed, &expected, 1, memory_order_relaxed,
						     memory_order_relaxed))
		return;
	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
}

static bool pc_pstress_failed(struct pc_pstress *s)
{
	return pc_load_relaxed(&s->failed) != 0;
}

static void pc_pstress_backoff(unsigned *spins)
{
	if (++*spins >= PC_PSTRESS_SPINS_BEFORE_YIELD) {
		*spins = 0;
		sched_yield();
	} else {
		pc_cpu_pause();
	}
}

/* The test takes a buffer the pool just handed out: nobody may hold it. */
static bool pc_pstress_take(struct pc_pstress *s, struct pc_pkt *pkt, uint8_t holders)
{
	uint8_t expected = 0;

	if (pkt->index >= s->count || pc_pkt_pool_at(s->pool, pkt->index) != pkt) {
		pc_pstress_fail(s, "the pool handed out %p, index %u: not one of its buffers",
				(void *)pkt, pkt->index);
		return false;
	}
	if (pc_pkt_refcnt(pkt) != 1) {
		pc_pstress_fail(s, "buffer %u handed out with %u references", pkt->index,
				pc_pkt_refcnt(pkt));
		return false;
	}
	if (!atomic_compare_exchange_strong_explicit(&s->held[pkt->index], &expected, holders,
						     memory_order_relaxed, memory_order_relaxed)) {
		pc_pstress_fail(s, "buffer %u handed out while %u holder(s) still had it",
				pkt->index, expected);
		return false;
	}
	return true;
}

/* A holder is about to free the buffer. */
static bool pc_pstress_drop(struct pc_pstress *s, struct pc_pkt *pkt)
{
	uint8_t before = atomic_fetch_sub_explicit(&s->held[pkt->index], 1, memory_order_relaxed);

	if (before == 0) {
		pc_pstress_fail(s, "buffer %u freed by a holder it was never given to", pkt->index);
		return false;
	}
	return true;
}

/* Writes @seq into the packet: in udata64, and as the first 8 bytes of data. */
static void pc_pstress_stamp(struct pc_pkt *pkt, uint64_t seq)
{
	uint8_t *d = pc_pkt_append(pkt, sizeof(seq));

	memcpy(d, &seq, sizeof(seq));
	pkt->udata64 = seq;
}

static bool pc_pstress_check_stamp(struct pc_pstress *s, unsigned who, struct pc_pkt *pkt,
				   uint64_t expect)
{
	uint64_t seq;

	if (pc_pkt_len(pkt) != sizeof(seq) || pc_pkt_headroom(pkt) != PC_PKT_HEADROOM_MIN) {
		pc_pstress_fail(s, "consumer %u: buffer %u has %u B at %u", who, pkt->index,
				pc_pkt_len(pkt), pc_pkt_headroom(pkt));
		return false;
	}
	memcpy(&seq, pc_pkt_data(pkt), sizeof(seq));
	if (seq != expect || pkt->udata64 != expect) {
		pc_pstress_fail(s, "consumer %u: buffer %u carries %llu / %llu, expected %llu", who,
				pkt->index, (unsigned long long)seq,
				(unsigned long long)pkt->udata64, (unsigned long long)expect);
		return false;
	}
	return true;
}

/* Enqueues all of @pkts on @r, waiting for room. */
static void pc_pstress_send(struct pc_pstress *s, struct pc_ring *r, struct pc_pkt **pkts,
			    unsigned n)
{
	unsigned done = 0, spins = 0;

	while (done < n && !pc_pstress_failed(s)) {
		unsigned k = pc_ring_enqueue_burst(r, (void *const *)(pkts + done), n - done);

		done += k;
		if (k == 0)
			pc_pstress_backoff(&spins);
	}
}

/* --- cross-thread free ----------------------------------------------------------------------- */

/* Thread A: allocates through its own cache, stamps and sends everything to consumer 0. */
static void *pc_pstress_alloc_thread(void *arg)
{
	struct pc_pstress_thread *t = arg;
	struct pc_pstress *s = t->s;
	struct pc_pkt_cache *c;
	struct pc_pkt *pkts[PC_PSTRESS_MAX_BURST];
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	unsigned spins = 0;

	if (pc_pkt_cache_attach(s->pool, &c) != 0) {
		pc_pstress_fail(s, "producer: no cache");
		return NULL;
	}
	while (t->done < s->packets && !pc_pstress_failed(s)) {
		unsigned want = 1 + pc_pstress_rand(&rng) % PC_PSTRESS_MAX_BURST;
		unsigned got;

		if (want > s->packets - t->done)
			want = (unsigned)(s->packets - t->done);
		/* Single allocs and bursts both: the burst path has its own slow path. */
		if (want == 1) {
			pkts[0] = pc_pkt_alloc(c);
			got = pkts[0] != NULL;
		} else {
			got = pc_pkt_alloc_burst(c, pkts, want);
		}
		if (got == 0) {
			/* Everything is in flight or in the other cache: wait for frees. */
			pc_pstress_backoff(&spins);
			continue;
		}
		for (unsigned i = 0; i < got; i++) {
			if (!pc_pstress_take(s, pkts[i], 1))
				break;
			pc_pstress_stamp(pkts[i], t->done + i);
		}
		pc_pstress_send(s, s->ring[0], pkts, got);
		t->done += got;
	}
	pc_pkt_cache_detach(c);
	return NULL;
}

/* Thread B: receives, checks order and contents, and frees into its own cache. */
static void *pc_pstress_free_thread(void *arg)
{
	struct pc_pstress_thread *t = arg;
	struct pc_pstress *s = t->s;
	struct pc_pkt_cache *c;
	struct pc_pkt *pkts[PC_PSTRESS_MAX_BURST];
	uint64_t rng = 0xd1b54a32d192ed03ull;
	unsigned spins = 0;

	if (pc_pkt_cache_attach(s->pool, &c) != 0) {
		pc_pstress_fail(s, "consumer: no cache");
		return NULL;
	}
	while (t->done < s->packets && !pc_pstress_failed(s)) {
		unsigned want = 1 + pc_pstress_rand(&rng) % PC_PSTRESS_MAX_BURST;
		unsigned got = pc_ring_dequeue_burst(s->ring[0], (void **)pkts, want);

		if (got == 0) {
			pc_pstress_backoff(&spins);
			continue;
		}
		for (unsigned i = 0; i < got; i++) {
			if (!pc_pstress_check_stamp(s, 0, pkts[i], t->done + i) ||
			    !pc_pstress_drop(s, pkts[i]))
				break;
			/* Alternate single frees and bursts, as the fast path has both. */
			if (i % 2 == 0)
				pc_pkt_free(c, pkts[i]);
			else
				pc_pkt_free_burst(c, &pkts[i], 1);
		}
		t->done += got;
	}
	pc_pkt_cache_detach(c);
	return NULL;
}

/* Asserts the pool is whole: after every cache is detached, all buffers are free and in the
 * shared ring, and every alloc was matched by one free. */
static void pc_pstress_assert_whole(struct pc_pstress *s, uint64_t allocs)
{
	struct pc_pkt_pool_stats st;
	struct pc_pkt **pkts = calloc(s->count, sizeof(*pkts));
	unsigned got;

	pc_pkt_pool_stats(s->pool, &st);
	cr_log_info("pool of %u: %llu allocs, %llu frees, %llu alloc fails, %llu refills, "
		    "%llu flushes",
		    st.count, (unsigned long long)st.allocs, (unsigned long long)st.frees,
		    (unsigned long long)st.alloc_fails, (unsigned long long)st.refills,
		    (unsigned long long)st.flushes);
	cr_assert_eq(st.allocs, allocs, "allocs %llu, expected %llu", (unsigned long long)st.allocs,
		     (unsigned long long)allocs);
	cr_assert_eq(st.frees, st.allocs, "frees %llu != allocs %llu", (unsigned long long)st.frees,
		     (unsigned long long)st.allocs);
	cr_assert_eq(st.avail, s->count);
	cr_assert_eq(st.in_use, 0);
	for (uint32_t i = 0; i < s->count; i++)
		cr_assert_eq(pc_load_relaxed(&s->held[i]), 0, "buffer %u still held", i);

	/* Every buffer is really in the shared ring, once. */
	cr_assert_not_null(pkts);
	got = pc_pkt_pool_alloc_burst(s->pool, pkts, s->count);
	cr_assert_eq(got, s->count, "%u of %u buffers in the ring", got, s->count);
	for (uint32_t i = 0; i < got; i++)
		cr_assert(pc_pstress_take(s, pkts[i], 1), "%s", s->why);
	pc_pkt_pool_free_burst(s->pool, pkts, got);
	free(pkts);
}

static void pc_pstress_setup(struct pc_pstress *s, uint32_t count, uint32_t cache_size,
			     uint32_t ring_size, uint64_t packets)
{
	struct pc_pkt_pool_params p = {
		.name = "stress",
		.count = count,
		.cache_size = cache_size,
		.max_caches = 8,
	};

	memset(s, 0, sizeof(*s));
	s->count = count;
	s->packets = packets;
	cr_assert_eq(pc_pkt_pool_create(&s->pool, &p), 0);
	s->held = calloc(count, sizeof(*s->held));
	cr_assert_not_null(s->held);
	for (int i = 0; i < 2; i++)
		cr_assert_eq(pc_ring_create(&s->ring[i], ring_size, PC_RING_SPSC, "pkt"), 0);
}

static void pc_pstress_teardown(struct pc_pstress *s)
{
	for (int i = 0; i < 2; i++)
		pc_ring_destroy(s->ring[i]);
	free(s->held);
	pc_pkt_pool_destroy(s->pool);
}

static void pc_pstress_cross_thread(uint32_t count, uint32_t cache_size, uint32_t ring_size,
				    uint64_t packets)
{
	struct pc_pstress s;
	struct pc_pstress_thread a = { .s = &s }, b = { .s = &s, .id = 1 };
	double t0;

	/* Given a pool, a ring from thread A to thread B, and a cache on each thread */
	pc_pstress_setup(&s, count, cache_size, ring_size, packets);

	/* When A allocates and B frees `packets` buffers */
	t0 = pc_pstress_now();
	cr_assert_eq(pthread_create(&a.tid, NULL, pc_pstress_alloc_thread, &a), 0);
	cr_assert_eq(pthread_create(&b.tid, NULL, pc_pstress_free_thread, &b), 0);
	cr_assert_eq(pthread_join(a.tid, NULL), 0);
	cr_assert_eq(pthread_join(b.tid, NULL), 0);
	cr_log_info("%llu packets from thread A to thread B in %.2f s", (unsigned long long)packets,
		    pc_pstress_now() - t0);

	/* Then no buffer was handed out twice, each arrived intact and in order */
	cr_assert_eq(pc_load_relaxed(&s.failed), 0, "%s", s.why);
	cr_assert_eq(a.done, packets);
	cr_assert_eq(b.done, packets);
	/* And after both detached the pool is whole */
	pc_pstress_assert_whole(&s, packets);
	pc_pstress_teardown(&s);
}

TestSuite(pkt_stress, .timeout = 120);

Test(pkt_stress, cross_thread_free_roomy_pool)
{
	/* Given 4096 buffers, caches of 64, a ring of 512: the pool never runs dry */
	/* When 5 * 10^6 packets are allocated on A and freed on B / Then the pool is whole */
	pc_pstress_cross_thread(4096, 64, 512, pc_pstress_count(5000000));
}

Test(pkt_stress, cross_thread_free_tight_pool)
{
	/* Given 400 buffers, caches of 64 (128 each at most), a ring of 512: A keeps emptying
	 * the pool and waits for B's cache to flush buffers back */
	/* When 5 * 10^6 packets go from A to B / Then the pool is whole */
	pc_pstress_cross_thread(400, 64, 512, pc_pstress_count(5000000));
}

Test(pkt_stress, cross_thread_free_tiny_caches)
{
	/* Given caches of one buffer: nearly every alloc refills and every other free flushes */
	/* When 2 * 10^6 packets go from A to B / Then the pool is whole */
	pc_pstress_cross_thread(256, 1, 64, pc_pstress_count(2000000));
}

/* --- fan-out --------------------------------------------------------------------------------- */

/* The producer: allocates, stamps, adds a reference and sends the buffer to both consumers. */
static void *pc_pstress_fanout_producer(void *arg)
{
	struct pc_pstress_thread *t = arg;
	struct pc_pstress *s = t->s;
	struct pc_pkt_cache *c;
	struct pc_pkt *pkts[PC_PSTRESS_MAX_BURST];
	uint64_t rng = 0x2545f4914f6cdd1dull;
	unsigned spins = 0;

	if (pc_pkt_cache_attach(s->pool, &c) != 0) {
		pc_pstress_fail(s, "producer: no cache");
		return NULL;
	}
	while (t->done < s->packets && !pc_pstress_failed(s)) {
		unsigned want = 1 + pc_pstress_rand(&rng) % PC_PSTRESS_MAX_BURST;
		unsigned got;

		if (want > s->packets - t->done)
			want = (unsigned)(s->packets - t->done);
		got = pc_pkt_alloc_burst(c, pkts, want);
		if (got == 0) {
			pc_pstress_backoff(&spins);
			continue;
		}
		for (unsigned i = 0; i < got; i++) {
			if (!pc_pstress_take(s, pkts[i], 2))
				break;
			pc_pstress_stamp(pkts[i], t->done + i);
			/* One reference per consumer; the producer's own goes to consumer 0. */
			pc_pkt_ref(pkts[i]);
		}
		pc_pstress_send(s, s->ring[0], pkts, got);
		pc_pstress_send(s, s->ring[1], pkts, got);
		t->done += got;
	}
	pc_pkt_cache_detach(c);
	return NULL;
}

/* A consumer: reads the shared buffer (never writes it) and drops its reference. */
static void *pc_pstress_fanout_consumer(void *arg)
{
	struct pc_pstress_thread *t = arg;
	struct pc_pstress *s = t->s;
	struct pc_pkt_cache *c;
	struct pc_pkt *pkts[PC_PSTRESS_MAX_BURST];
	uint64_t rng = 0x94d049bb133111ebull * (t->id + 1);
	unsigned spins = 0;

	if (pc_pkt_cache_attach(s->pool, &c) != 0) {
		pc_pstress_fail(s, "consumer %u: no cache", t->id);
		return NULL;
	}
	while (t->done < s->packets && !pc_pstress_failed(s)) {
		unsigned want = 1 + pc_pstress_rand(&rng) % PC_PSTRESS_MAX_BURST;
		unsigned got = pc_ring_dequeue_burst(s->ring[t->id], (void **)pkts, want);

		if (got == 0) {
			pc_pstress_backoff(&spins);
			continue;
		}
		for (unsigned i = 0; i < got; i++) {
			uint16_t refs = pc_pkt_refcnt(pkts[i]);

			if (refs == 0 || refs > 2) {
				pc_pstress_fail(s, "consumer %u: buffer %u with %u references",
						t->id, pkts[i]->index, refs);
				break;
			}
			if (!pc_pstress_check_stamp(s, t->id, pkts[i], t->done + i) ||
			    !pc_pstress_drop(s, pkts[i]))
				break;
			pc_pkt_free(c, pkts[i]);
		}
		t->done += got;
	}
	pc_pkt_cache_detach(c);
	return NULL;
}

Test(pkt_stress, fanout_to_two_threads_frees_on_the_last_reference)
{
	struct pc_pstress s;
	struct pc_pstress_thread p = { .s = &s };
	struct pc_pstress_thread c[2] = { { .s = &s, .id = 0 }, { .s = &s, .id = 1 } };
	uint64_t packets = pc_pstress_count(3000000);
	double t0;

	/* Given a pool of 1024 buffers and a producer with a ring to each of two consumers */
	pc_pstress_setup(&s, 1024, 32, 256, packets);

	/* When each packet is referenced once more and sent to both, and each consumer frees it
	 * into its own cache */
	t0 = pc_pstress_now();
	cr_assert_eq(pthread_create(&p.tid, NULL, pc_pstress_fanout_producer, &p), 0);
	for (int i = 0; i < 2; i++)
		cr_assert_eq(pthread_create(&c[i].tid, NULL, pc_pstress_fanout_consumer, &c[i]), 0);
	cr_assert_eq(pthread_join(p.tid, NULL), 0);
	for (int i = 0; i < 2; i++)
		cr_assert_eq(pthread_join(c[i].tid, NULL), 0);
	cr_log_info("%llu packets fanned out to 2 threads in %.2f s", (unsigned long long)packets,
		    pc_pstress_now() - t0);

	/* Then no buffer came back to the pool while a consumer still held it, and both saw
	 * every packet intact */
	cr_assert_eq(pc_load_relaxed(&s.failed), 0, "%s", s.why);
	cr_assert_eq(c[0].done, packets);
	cr_assert_eq(c[1].done, packets);
	/* And each buffer went back once, on its last reference: frees == allocs */
	pc_pstress_assert_whole(&s, packets);
	pc_pstress_teardown(&s);
}

/* --- many threads ---------------------------------------------------------------------------- */

/* A churning thread: allocates bursts (through its cache, or without one for odd ids), holds
 * them for a while, and frees them through its cache, without one, or in a pool burst. */
static void *pc_pstress_churn(void *arg)
{
	struct pc_pstress_thread *t = arg;
	struct pc_pstress *s = t->s;
	struct pc_pkt_cache *c = NULL;
	struct pc_pkt *pkts[PC_PSTRESS_MAX_BURST];
	uint64_t rng = 0x9e3779b97f4a7c15ull * (t->id + 7);
	bool cacheless = t->id % 2 == 1;
	unsigned spins = 0;

	if (!cacheless && pc_pkt_cache_attach(s->pool, &c) != 0) {
		pc_pstress_fail(s, "churn %u: no cache", t->id);
		return NULL;
	}
	while (t->done < s->packets && !pc_load_relaxed(&s->stop) && !pc_pstress_failed(s)) {
		unsigned want = 1 + pc_pstress_rand(&rng) % PC_PSTRESS_MAX_BURST;
		unsigned how = pc_pstress_rand(&rng) % 3;
		unsigned got;

		got = cacheless ? pc_pkt_pool_alloc_burst(s->pool, pkts, want) :
				  pc_pkt_alloc_burst(c, pkts, want);
		if (got == 0) {
			pc_pstress_backoff(&spins);
			continue;
		}
		for (unsigned i = 0; i < got; i++) {
			if (!pc_pstress_take(s, pkts[i], 1))
				break;
			pc_pstress_stamp(pkts[i], t->done + i);
		}
		for (unsigned i = 0; i < got; i++) {
			pc_pstress_check_stamp(s, t->id, pkts[i], t->done + i);
			pc_pstress_drop(s, pkts[i]);
		}
		if (how == 0 && c != NULL)
			pc_pkt_free_burst(c, pkts, got);
		else if (how == 1)
			pc_pkt_free_burst(NULL, pkts, got);
		else
			pc_pkt_pool_free_burst(s->pool, pkts, got);
		t->done += got;
	}
	if (c != NULL)
		pc_pkt_cache_detach(c);
	atomic_fetch_add_explicit(&s->finished, 1, memory_order_relaxed);
	return NULL;
}

Test(pkt_stress, four_threads_churn_with_and_without_caches)
{
	struct pc_pstress s;
	struct pc_pstress_thread t[PC_PSTRESS_MAX_THREADS];
	uint64_t total = 0;
	double t0;

	/* Given a pool of 256 buffers with caches of 16, and 4 threads (two with caches, two
	 * without) on a machine that may have 2 CPUs */
	pc_pstress_setup(&s, 256, 16, 64, pc_pstress_count(5000000));

	/* When each allocates and frees up to 5 * 10^6 buffers, 4 s at most */
	t0 = pc_pstress_now();
	for (unsigned i = 0; i < PC_PSTRESS_MAX_THREADS; i++) {
		t[i] = (struct pc_pstress_thread){ .s = &s, .id = i };
		cr_assert_eq(pthread_create(&t[i].tid, NULL, pc_pstress_churn, &t[i]), 0);
	}
	while (pc_load_relaxed(&s.finished) < PC_PSTRESS_MAX_THREADS &&
	       pc_pstress_now() - t0 < PC_PSTRESS_BUDGET) {
		struct timespec tick = { .tv_nsec = 5 * 1000 * 1000 };

		nanosleep(&tick, NULL);
	}
	pc_store_relaxed(&s.stop, 1);
	for (unsigned i = 0; i < PC_PSTRESS_MAX_THREADS; i++) {
		cr_assert_eq(pthread_join(t[i].tid, NULL), 0);
		total += t[i].done;
	}
	cr_log_info("4 threads churned %llu buffers in %.2f s", (unsigned long long)total,
		    pc_pstress_now() - t0);

	/* Then no buffer was handed out twice, and the pool is whole */
	cr_assert_eq(pc_load_relaxed(&s.failed), 0, "%s", s.why);
	cr_assert_gt(total, 0);
	pc_pstress_assert_whole(&s, total);
	pc_pstress_teardown(&s);
}
