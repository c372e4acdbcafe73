/* SPDX-License-Identifier: MIT */
/*
 * ring_stress_test.c - pc_ring under real concurrency: producers push distinct values through
 * one ring in random-sized bursts (1..32) while consumers pull them in random-sized bursts, and
 * every value is checked on arrival.
 *
 * A value is ((producer + 1) << 40 | sequence), carried as a pointer. Every consumer checks that
 * each producer's sequence only grows in what it receives (with one producer and one consumer:
 * that it is exactly the next one); a shared bitmap per producer catches duplicates on arrival
 * and losses at the end; a sum over all values catches corrupted ones.
 *
 * The indices start at most 2^20 values short of 2^32, so that the 32-bit wrap is crossed
 * under concurrency.
 *
 * The machine may have only 2 CPUs. The suite runs its tests one at a time, waiting threads
 * yield, and the tests with more threads than CPUs on a multi-threaded side have a time budget
 * as well as an item count: a thread preempted between its claim and its publish holds up
 * every thread that claimed after it, and on an oversubscribed machine the ring can fall into
 * a convoy where it moves a few hundred thousand values a second instead of tens of millions.
 * Producers then stop early; every value sent must still arrive exactly once.
 * PC_TEST_QUICK (set by the sanitizer builds) divides the item counts by 100.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pc_ring.h"

#define PC_STRESS_SEQ_BITS 40
#define PC_STRESS_SEQ_MASK ((UINT64_C(1) << PC_STRESS_SEQ_BITS) - 1)
#define PC_STRESS_MAX_THREADS 8
#define PC_STRESS_MAX_BURST 32
/* Failed attempts (ring full or empty) a thread spins through before it yields the CPU. */
#define PC_STRESS_SPINS_BEFORE_YIELD 64
/* Time budget of the oversubscribed tests, in seconds. */
#define PC_STRESS_BUDGET 4.0

struct pc_stress {
	struct pc_ring *ring;
	unsigned producers;
	unsigned consumers;
	uint64_t items; /* per producer, at most */
	bool strict;	/* one producer, one consumer: each value is exactly the next one */
	_Atomic uint64_t *seen[PC_STRESS_MAX_THREADS]; /* per producer, one bit per sequence */
	uint64_t sent[PC_STRESS_MAX_THREADS]; /* per producer, written before producers_done */
	_Atomic uint64_t total_sent;
	/* Producers that have finished; the release of each increment publishes its sent[] and
	 * total_sent to the consumers' acquire. */
	_Atomic unsigned producers_done;
	_Atomic int stop;	   /* time budget spent: producers finish their burst */
	_Atomic uint64_t consumed; /* values taken by all consumers */
	_Atomic uint64_t sum;	   /* consumers add their sums at the end */
	_Atomic unsigned ready;	   /* threads started: all go together */
	_Atomic int failed;
	char why[256]; /* written once, by the thread that set failed; read after the joins */
};

struct pc_stress_thread {
	struct pc_stress *s;
	unsigned id;
	pthread_t tid;
};

/* Item counts: the full figure, or a hundredth of it when PC_TEST_QUICK is set. */
static uint64_t pc_stress_items(uint64_t full)
{
	const char *quick = getenv("PC_TEST_QUICK");

	if (quick != NULL && quick[0] != '\0' && strcmp(quick, "0") != 0)
		return full / 100;
	return full;
}

static uint32_t pc_stress_rand(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return (uint32_t)(*state >> 32);
}

static double pc_stress_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *pc_stress_value(unsigned producer, uint64_t seq)
{
	return (void *)(uintptr_t)(((uint64_t)(producer + 1) << PC_STRESS_SEQ_BITS) | seq);
}

__attribute__((format(printf, 2, 3))) static void pc_stress_fail(struct pc_stress *s,
								 const char *fmt, ...)
{
	int expected = 0;
	va_list ap;

	/* The first failure is the one reported; the others only stop their threads. */
	if (!atomic_compare_exchange_strong_explicit(&s->failed, &expected, 1, memory_order_relaxed,
						     memory_order_relaxed))
		return;
	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
}

static bool pc_stress_failed(struct pc_stress *s)
{
	return pc_load_relaxed(&s->failed) != 0;
}

/* Start line: every thread waits here until all have started, so that they really overlap. */
static void pc_stress_start(struct pc_stress *s)
{
	unsigned all = s->producers + s->consumers;

	atomic_fetch_add_explicit(&s->ready, 1, memory_order_relaxed);
	while (pc_load_relaxed(&s->ready) < all)
		sched_yield();
}

static void pc_stress_backoff(unsigned *spins)
{
	if (++*spins >= PC_STRESS_SPINS_BEFORE_YIELD) {
		*spins = 0;
		sched_yield();
	} else {
		pc_cpu_pause();
	}
}

static void *pc_stress_producer(void *arg)
{
	struct pc_stress_thread *t = arg;
	struct pc_stress *s = t->s;
	uint64_t rng = 0x9e3779b97f4a7c15ull * (t->id + 1);
	void *burst[PC_STRESS_MAX_BURST];
	uint64_t seq = 0;
	unsigned spins = 0;

	pc_stress_start(s);
	while (seq < s->items && !pc_load_relaxed(&s->stop) && !pc_stress_failed(s)) {
		unsigned n = 1 + pc_stress_rand(&rng) % PC_STRESS_MAX_BURST;
		unsigned done = 0;

		if (n > s->items - seq)
			n = (unsigned)(s->items - seq);
		for (unsigned i = 0; i < n; i++)
			burst[i] = pc_stress_value(t->id, seq + i);
		/* A partial burst leaves the rest at the front of the next attempt. */
		while (done < n && !pc_stress_failed(s)) {
			unsigned k = pc_ring_enqueue_burst(s->ring, burst + done, n - done);

			if (k > n - done) {
				pc_stress_fail(s, "producer %u: enqueue of %u returned %u", t->id,
					       n - done, k);
				break;
			}
			done += k;
			if (k == 0)
				pc_stress_backoff(&spins);
		}
		seq += done;
	}
	s->sent[t->id] = seq;
	atomic_fetch_add_explicit(&s->total_sent, seq, memory_order_relaxed);
	/* Pairs with the consumers' load-acquire: sent[] and total_sent are final. */
	atomic_fetch_add_explicit(&s->producers_done, 1, memory_order_release);
	return NULL;
}

static bool pc_stress_check(struct pc_stress *s, unsigned consumer, uint64_t *next, void *obj)
{
	uint64_t v = (uint64_t)(uintptr_t)obj;
	uint64_t p = (v >> PC_STRESS_SEQ_BITS) - 1;
	uint64_t seq = v & PC_STRESS_SEQ_MASK;
	uint64_t bit;

	if ((v >> PC_STRESS_SEQ_BITS) == 0 || p >= s->producers || seq >= s->items) {
		pc_stress_fail(s, "consumer %u: corrupt value %#llx", consumer,
			       (unsigned long long)v);
		return false;
	}
	if (s->strict ? seq != next[p] : seq < next[p]) {
		pc_stress_fail(s, "consumer %u: producer %llu sequence %llu after %llu (%s)",
			       consumer, (unsigned long long)p, (unsigned long long)seq,
			       (unsigned long long)next[p] - 1,
			       s->strict ? "not the next one" : "out of order");
		return false;
	}
	next[p] = seq + 1;
	bit = atomic_fetch_or_explicit(&s->seen[p][seq / 64], UINT64_C(1) << (seq % 64),
				       memory_order_relaxed);
	if (bit & (UINT64_C(1) << (seq % 64))) {
		pc_stress_fail(s, "consumer %u: producer %llu sequence %llu arrived twice",
			       consumer, (unsigned long long)p, (unsigned long long)seq);
		return false;
	}
	return true;
}

/* True once every producer has finished and everything it sent has been taken. */
static bool pc_stress_drained(struct pc_stress *s)
{
	/* Pairs with the producers' release increment of producers_done. */
	if (atomic_load_explicit(&s->producers_done, memory_order_acquire) < s->producers)
		return false;
	return pc_load_relaxed(&s->consumed) >= pc_load_relaxed(&s->total_sent);
}

static void *pc_stress_consumer(void *arg)
{
	struct pc_stress_thread *t = arg;
	struct pc_stress *s = t->s;
	uint64_t rng = 0xd1b54a32d192ed03ull * (t->id + 1);
	uint64_t next[PC_STRESS_MAX_THREADS] = { 0 };
	void *burst[PC_STRESS_MAX_BURST];
	uint64_t sum = 0;
	unsigned spins = 0;

	pc_stress_start(s);
	while (!pc_stress_failed(s)) {
		unsigned n = 1 + pc_stress_rand(&rng) % PC_STRESS_MAX_BURST;
		unsigned k = pc_ring_dequeue_burst(s->ring, burst, n);

		if (k > n) {
			pc_stress_fail(s, "consumer %u: dequeue of %u returned %u", t->id, n, k);
			break;
		}
		if (k == 0) {
			if (pc_stress_drained(s))
				break;
			pc_stress_backoff(&spins);
			continue;
		}
		for (unsigned i = 0; i < k; i++) {
			if (!pc_stress_check(s, t->id, next, burst[i]))
				break;
			sum += (uint64_t)(uintptr_t)burst[i];
		}
		atomic_fetch_add_explicit(&s->consumed, k, memory_order_relaxed);
	}
	atomic_fetch_add_explicit(&s->sum, sum, memory_order_relaxed);
	return NULL;
}

/*
 * Runs @producers and @consumers threads over a ring of @size slots with @flags, up to @items
 * values per producer (fewer when @budget seconds, if not 0, run out first), and asserts that
 * every value sent arrived exactly once, in order per producer and consumer.
 */
static void pc_stress_run(unsigned flags, uint32_t size, unsigned producers, unsigned consumers,
			  uint64_t items, double budget)
{
	struct pc_stress s = { .producers = producers, .consumers = consumers, .items = items };
	struct pc_stress_thread threads[2 * PC_STRESS_MAX_THREADS];
	unsigned nthreads = producers + consumers;
	size_t words = (size_t)(items + 63) / 64;
	/* Short of 2^32 by half the values, or by 2^20 when that is less (a run cut short by its
	 * time budget must cross too): the 32-bit indices wrap under concurrency. */
	uint64_t half = items * producers / 2;
	uint32_t start = (uint32_t)0 - (uint32_t)(half < (1u << 20) ? half : 1u << 20);
	uint64_t expect_sum = 0, total;
	double t0, elapsed;

	cr_assert(producers >= 1 && producers <= PC_STRESS_MAX_THREADS);
	cr_assert(consumers >= 1 && consumers <= PC_STRESS_MAX_THREADS);
	cr_assert(items >= 1 && items <= PC_STRESS_SEQ_MASK);
	s.strict = producers == 1 && consumers == 1;
	cr_assert_eq(pc_ring_create(&s.ring, size, flags, "stress"), 0);
	pc_store_relaxed(&s.ring->prod_head, start);
	pc_store_relaxed(&s.ring->prod_cached_cons_tail, start);
	pc_store_relaxed(&s.ring->prod_tail, start);
	pc_store_relaxed(&s.ring->cons_head, start);
	pc_store_relaxed(&s.ring->cons_cached_prod_tail, start);
	pc_store_relaxed(&s.ring->cons_tail, start);
	for (unsigned p = 0; p < producers; p++) {
		s.seen[p] = calloc(words, sizeof(*s.seen[p]));
		cr_assert_not_null(s.seen[p]);
	}

	/* When the threads run, until done or out of time */
	t0 = pc_stress_now();
	for (unsigned i = 0; i < nthreads; i++) {
		bool producer = i < producers;

		threads[i].s = &s;
		threads[i].id = producer ? i : i - producers;
		cr_assert_eq(pthread_create(&threads[i].tid, NULL,
					    producer ? pc_stress_producer : pc_stress_consumer,
					    &threads[i]),
			     0);
	}
	while (budget > 0 && pc_load_relaxed(&s.producers_done) < producers) {
		struct timespec tick = { .tv_nsec = 5 * 1000 * 1000 };

		if (pc_stress_now() - t0 > budget) {
			pc_store_relaxed(&s.stop, 1);
			break;
		}
		nanosleep(&tick, NULL);
	}
	for (unsigned i = 0; i < nthreads; i++)
		cr_assert_eq(pthread_join(threads[i].tid, NULL), 0);
	elapsed = pc_stress_now() - t0;
	total = pc_load_relaxed(&s.total_sent);
	cr_log_info("%u producer(s), %u consumer(s), ring of %u, flags %#x: %llu values in %.2f s "
		    "(%.1f M/s)%s",
		    producers, consumers, size, flags, (unsigned long long)total, elapsed,
		    (double)total / elapsed / 1e6,
		    pc_load_relaxed(&s.stop) ? ", stopped by the time budget" : "");

	/* Then no thread saw a wrong, late or repeated value */
	cr_assert_eq(pc_load_relaxed(&s.failed), 0, "%s", s.why);
	/* And every value sent arrived: all its bits set, none beyond; counts and sums match */
	for (unsigned p = 0; p < producers; p++) {
		uint64_t sent = s.sent[p];

		for (uint64_t seq = 0; seq < items; seq++) {
			uint64_t word = pc_load_relaxed(&s.seen[p][seq / 64]);
			bool seen = word & (UINT64_C(1) << (seq % 64));

			cr_assert_eq(seen, seq < sent,
				     "producer %u sequence %llu (of %llu sent) %s", p,
				     (unsigned long long)seq, (unsigned long long)sent,
				     seen ? "arrived but was never sent" : "never arrived");
		}
		expect_sum += ((uint64_t)(p + 1) << PC_STRESS_SEQ_BITS) * sent +
			      sent * (sent - 1) / 2; /* 0 when sent is 0 */
		free(s.seen[p]);
	}
	if (budget == 0)
		cr_assert_eq(total, items * producers, "a run without a time budget sends all");
	cr_assert_gt(total, 0, "nothing went through the ring in %.1f s", elapsed);
	cr_assert_eq(pc_load_relaxed(&s.consumed), total);
	cr_assert_eq(pc_load_relaxed(&s.sum), expect_sum, "checksum");
	cr_assert(pc_ring_empty(s.ring), "%u values left in the ring", pc_ring_count(s.ring));
	cr_assert_eq(pc_load_relaxed(&s.ring->prod_head), pc_load_relaxed(&s.ring->prod_tail));
	cr_assert_eq(pc_load_relaxed(&s.ring->cons_head), pc_load_relaxed(&s.ring->cons_tail));
	cr_assert_eq(pc_load_relaxed(&s.ring->prod_tail), (uint32_t)(start + total));
	pc_ring_destroy(s.ring);
}

TestSuite(ring_stress, .timeout = 120);

Test(ring_stress, spsc_one_to_one_keeps_order_and_sum)
{
	/* Given an SPSC ring of 256 slots, one producer and one consumer thread */
	/* When 10^8 values go through in random bursts of 1..32 */
	/* Then each arrives exactly once, right after the one before it */
	pc_stress_run(PC_RING_SPSC, 256, 1, 1, pc_stress_items(100000000), 0);
}

Test(ring_stress, spsc_tiny_ring_keeps_order)
{
	/* Given an SPSC ring of 4 slots: almost every call finds it full or empty */
	/* When 10^7 values go through / Then each arrives exactly once, in order */
	pc_stress_run(PC_RING_SPSC, 4, 1, 1, pc_stress_items(10000000), 0);
}

Test(ring_stress, mpmc_one_to_one_keeps_order_and_sum)
{
	/* Given an MPMC ring used by one producer and one consumer thread */
	/* When 10^8 values go through / Then each arrives exactly once, in order */
	pc_stress_run(PC_RING_MPMC, 256, 1, 1, pc_stress_items(100000000), 0);
}

Test(ring_stress, mpmc_four_to_four_delivers_each_once)
{
	/* Given an MPMC ring of 256 slots, 4 producer and 4 consumer threads on 2 CPUs */
	/* When up to 4 x 2.5 * 10^7 values go through in random bursts (4 s at most) */
	/* Then each arrives exactly once, and each consumer sees each producer's values in
	 * order */
	pc_stress_run(PC_RING_MPMC, 256, 4, 4, pc_stress_items(25000000), PC_STRESS_BUDGET);
}

Test(ring_stress, mpmc_four_to_four_small_ring)
{
	/* Given an MPMC ring of 16 slots: claims collide, producers and consumers wait on each
	 * other's tails, often with the thread they wait for preempted */
	/* When up to 4 x 5 * 10^6 values go through / Then each arrives exactly once, in order */
	pc_stress_run(PC_RING_MPMC, 16, 4, 4, pc_stress_items(5000000), PC_STRESS_BUDGET);
}

Test(ring_stress, mp_sc_four_to_one_delivers_each_once)
{
	/* Given a multi-producer, single-consumer ring, 4 producers and one consumer */
	/* When up to 4 x 2.5 * 10^7 values go through / Then each arrives once, in order per
	 * producer */
	pc_stress_run(PC_RING_F_SC, 256, 4, 1, pc_stress_items(25000000), PC_STRESS_BUDGET);
}

Test(ring_stress, sp_mc_one_to_four_delivers_each_once)
{
	/* Given a single-producer, multi-consumer ring, one producer and 4 consumers */
	/* When up to 10^8 values go through / Then each arrives once, in order per consumer */
	pc_stress_run(PC_RING_F_SP, 256, 1, 4, pc_stress_items(100000000), PC_STRESS_BUDGET);
}

Test(ring_stress, mp_sc_two_to_one_keeps_order)
{
	/* Given a multi-producer, single-consumer ring of 64 slots with two producers */
	/* When up to 2 x 10^7 values go through / Then each arrives once, in order per producer */
	pc_stress_run(PC_RING_F_SC, 64, 2, 1, pc_stress_items(10000000), PC_STRESS_BUDGET);
}

Test(ring_stress, sp_mc_one_to_two_keeps_order)
{
	/* Given a single-producer, multi-consumer ring of 64 slots with two consumers */
	/* When up to 2 * 10^7 values go through / Then each arrives once, in order per consumer */
	pc_stress_run(PC_RING_F_SP, 64, 1, 2, pc_stress_items(20000000), PC_STRESS_BUDGET);
}

/* --- throughput with more threads than CPUs ---------------------------------------------------- */

#define PC_CHURN_RING 1024
#define PC_CHURN_OBJS 512

struct pc_churn {
	struct pc_ring *ring;
	unsigned nthreads;
	_Atomic unsigned ready;
	_Atomic int go;
	_Atomic int stop;
	_Atomic uint64_t moved;
};

/* Takes a burst out of the ring and puts it back, as threads sharing a free list do. */
static void *pc_churn_thread(void *arg)
{
	struct pc_churn *ch = arg;
	uint64_t rng = 0x9e3779b97f4a7c15ull ^ (uintptr_t)&rng;
	void *objs[PC_STRESS_MAX_BURST];
	uint64_t moved = 0;

	atomic_fetch_add_explicit(&ch->ready, 1, memory_order_relaxed);
	while (!pc_load_relaxed(&ch->go))
		sched_yield();
	while (!pc_load_relaxed(&ch->stop)) {
		unsigned n = 1 + pc_stress_rand(&rng) % PC_STRESS_MAX_BURST;
		unsigned k = pc_ring_dequeue_burst(ch->ring, objs, n);
		unsigned done = 0;

		/* At most PC_CHURN_OBJS of PC_CHURN_RING slots are ever used: room is certain. */
		while (done < k)
			done += pc_ring_enqueue_burst(ch->ring, objs + done, k - done);
		moved += k;
	}
	atomic_fetch_add_explicit(&ch->moved, moved, memory_order_relaxed);
	return NULL;
}

/* Objects per second that @nthreads threads, thread i pinned to CPU @cpus[i % @ncpus], move
 * through one MPMC ring in @seconds. Also checks that the ring still holds each object once at
 * the end. */
static double pc_churn_rate(unsigned nthreads, const int *cpus, unsigned ncpus, double seconds)
{
	struct pc_churn ch = { .nthreads = nthreads };
	pthread_t tids[PC_STRESS_MAX_THREADS];
	pthread_attr_t attr;
	void *objs[PC_CHURN_OBJS];
	uint8_t seen[PC_CHURN_OBJS] = { 0 };
	double t0, elapsed;

	cr_assert_eq(pc_ring_create(&ch.ring, PC_CHURN_RING, PC_RING_MPMC, "churn"), 0);
	for (uintptr_t i = 0; i < PC_CHURN_OBJS; i++)
		cr_assert_eq(pc_ring_enqueue(ch.ring, (void *)(i + 1)), 0);
	for (unsigned i = 0; i < nthreads; i++) {
		cpu_set_t cpu;

		CPU_ZERO(&cpu);
		CPU_SET(cpus[i % ncpus], &cpu);
		cr_assert_eq(pthread_attr_init(&attr), 0);
		cr_assert_eq(pthread_attr_setaffinity_np(&attr, sizeof(cpu), &cpu), 0);
		cr_assert_eq(pthread_create(&tids[i], &attr, pc_churn_thread, &ch), 0);
		pthread_attr_destroy(&attr);
	}
	while (pc_load_relaxed(&ch.ready) < nthreads)
		sched_yield();
	t0 = pc_stress_now();
	pc_store_relaxed(&ch.go, 1);
	while (pc_stress_now() - t0 < seconds) {
		struct timespec tick = { .tv_nsec = 10 * 1000 * 1000 };

		nanosleep(&tick, NULL);
	}
	pc_store_relaxed(&ch.stop, 1);
	for (unsigned i = 0; i < nthreads; i++)
		cr_assert_eq(pthread_join(tids[i], NULL), 0);
	elapsed = pc_stress_now() - t0;

	cr_assert_eq(pc_ring_dequeue_burst(ch.ring, objs, PC_CHURN_OBJS), PC_CHURN_OBJS);
	for (unsigned i = 0; i < PC_CHURN_OBJS; i++) {
		uintptr_t v = (uintptr_t)objs[i];

		cr_assert(v >= 1 && v <= PC_CHURN_OBJS && !seen[v - 1], "object %#lx",
			  (unsigned long)v);
		seen[v - 1] = 1;
	}
	pc_ring_destroy(ch.ring);
	return (double)pc_load_relaxed(&ch.moved) / elapsed;
}

Test(ring_stress, mpmc_keeps_moving_with_more_threads_than_cpus)
{
	cpu_set_t allowed;
	int cpus[2];
	unsigned ncpus = 0;
	double base, over;

#ifdef PC_SANITIZED
	cr_skip_test("a throughput ratio means nothing under a sanitizer");
#endif
	/* Given two CPUs (or the one this test may use) */
	cr_assert_eq(sched_getaffinity(0, sizeof(allowed), &allowed), 0);
	for (int cpu = 0; cpu < CPU_SETSIZE && ncpus < 2; cpu++) {
		if (CPU_ISSET(cpu, &allowed))
			cpus[ncpus++] = cpu;
	}
	cr_assert_gt(ncpus, 0);

	/* When one thread pinned on each CPU, then one thread more (two on the first CPU),
	 * share an MPMC ring as a free list */
	base = pc_churn_rate(ncpus, cpus, ncpus, 1.0);
	over = pc_churn_rate(ncpus + 1, cpus, ncpus, 2.0);
	cr_log_info("MPMC ring: %.2f M objects/s with %u thread(s) on %u CPU(s), %.2f M/s with %u",
		    base / 1e6, ncpus, ncpus, over / 1e6, ncpus + 1);

	/* Then one preempted thread costs a share of the throughput, not nearly all of it (the
	 * bar is low: 2% of it): a thread preempted between its claim and its publish must not
	 * turn the ring into a convoy in which every call waits for a descheduled thread */
	cr_assert_geq(over, base / 50,
		      "%u threads on %u CPU(s) move %.2f M objects/s, %.0fx less than %u threads "
		      "(%.2f M/s)",
		      ncpus + 1, ncpus, over / 1e6, base / over, ncpus, base / 1e6);
}
