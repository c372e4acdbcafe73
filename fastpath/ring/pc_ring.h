/* SPDX-License-Identifier: MIT */
/*
 * pc_ring.h - bounded lock-free rings of pointers.
 *
 * A ring carries object pointers (packets, messages) between threads without locks. Its size is
 * a power of two fixed at setup; all `size` slots are usable. Each side is single- or
 * multi-threaded, chosen per ring at setup: PC_RING_F_SP (one producer thread) and
 * PC_RING_F_SC (one consumer thread); without them a side is safe for any number of threads.
 *
 * Layout: the ring has four hot words, each on its own pair of cache lines:
 *   prod_head (+ a cached copy of cons_tail)  written by producers only
 *   prod_tail                                 written by producers, read by consumers
 *   cons_head (+ a cached copy of prod_tail)  written by consumers only
 *   cons_tail                                 written by consumers, read by producers
 * A side reads the other side's tail only when its cached copy says there is not enough room
 * (or not enough items), so a producer that runs ahead of a consumer, or the reverse, does not
 * pull the other side's cache line on every call. That is what lets it beat DPDK's rte_ring,
 * which reads the opposite tail on every call.
 *
 * Indices are free-running 32-bit counters; slot = index & mask. Differences are taken modulo
 * 2^32, which is exact as long as size <= 2^31.
 *
 * Multi-producer (multi-consumer) sides claim a range with a CAS on head, fill (drain) it, then
 * wait until every earlier claim is published before moving tail past theirs, so tails advance
 * in claim order. A thread preempted between claim and publish delays the threads that claimed
 * after it; after PC_RING_SPINS_BEFORE_YIELD spins they yield the CPU. Single-threaded sides
 * never wait and never make a system call.
 *
 * Thread context: as the flags say. Allocates: only pc_ring_create().
 */
#ifndef PC_RING_H
#define PC_RING_H

#include <errno.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pc_atomic.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PC_RING_F_SP 0x1u /* exactly one thread enqueues */
#define PC_RING_F_SC 0x2u /* exactly one thread dequeues */
#define PC_RING_SPSC (PC_RING_F_SP | PC_RING_F_SC)
#define PC_RING_MPMC 0u

#define PC_RING_SIZE_MAX (1u << 30)
#define PC_RING_NAME_MAX 32
/* A thread that waits for an earlier claim to be published spins this many pauses (about
 * 40 ns each here), then yields the CPU. An earlier claimant that is running publishes within
 * a few pauses (it copies at most a burst of pointers); one that takes longer has probably been
 * preempted, and spinning longer only holds up the CPU it needs. Measured with 3 threads on 2
 * CPUs: 4096 spins moved 0.8 M objects/s, 32 spins 10 M/s, 4 spins 16 M/s
 * (ring_stress::mpmc_keeps_moving_with_more_threads_than_cpus). */
#ifndef PC_RING_SPINS_BEFORE_YIELD
#define PC_RING_SPINS_BEFORE_YIELD 8u
#endif

struct pc_ring {
	/* Read-only after init: shared by all threads in every core's cache. */
	uint32_t size;	      /* number of slots, a power of two */
	uint32_t mask;	      /* size - 1 */
	uint32_t flags;	      /* PC_RING_F_* */
	uint32_t owns_memory; /* 1 when pc_ring_create() allocated it */
	char name[PC_RING_NAME_MAX];

	/* Producer-private: next index to claim, and the last cons_tail a producer saw. */
	alignas(PC_CACHE_GUARD) _Atomic uint32_t prod_head;
	_Atomic uint32_t prod_cached_cons_tail;
	/* Published by producers: slots below it hold objects. */
	alignas(PC_CACHE_GUARD) _Atomic uint32_t prod_tail;

	/* Consumer-private: next index to take, and the last prod_tail a consumer saw. */
	alignas(PC_CACHE_GUARD) _Atomic uint32_t cons_head;
	_Atomic uint32_t cons_cached_prod_tail;
	/* Published by consumers: slots below it are free again. */
	alignas(PC_CACHE_GUARD) _Atomic uint32_t cons_tail;

	alignas(PC_CACHE_GUARD) void *slots[];
};

_Static_assert(offsetof(struct pc_ring, prod_tail) - offsetof(struct pc_ring, prod_head) >=
		       PC_CACHE_GUARD,
	       "producer head and tail must not share a cache-line pair");
_Static_assert(offsetof(struct pc_ring, cons_head) - offsetof(struct pc_ring, prod_tail) >=
		       PC_CACHE_GUARD,
	       "producer and consumer state must not share a cache-line pair");
_Static_assert(offsetof(struct pc_ring, cons_tail) - offsetof(struct pc_ring, cons_head) >=
		       PC_CACHE_GUARD,
	       "consumer head and tail must not share a cache-line pair");
_Static_assert(offsetof(struct pc_ring, slots) % PC_CACHE_GUARD == 0, "slots start aligned");

/*
 * pc_ring_memsize - bytes of memory a ring of @size slots needs (for pc_ring_init()).
 * Returns 0 when @size is not a power of two in [1, PC_RING_SIZE_MAX].
 */
size_t pc_ring_memsize(uint32_t size);

/*
 * pc_ring_init - set up a ring in caller-supplied memory.
 * @r:     borrowed; at least pc_ring_memsize(@size) bytes aligned to PC_CACHE_GUARD. The caller
 *         keeps ownership and must keep it alive while the ring is used.
 * @size:  slots, a power of two <= PC_RING_SIZE_MAX.
 * @flags: PC_RING_F_SP and/or PC_RING_F_SC, or 0 (PC_RING_MPMC).
 * @name:  borrowed, copied (truncated to PC_RING_NAME_MAX - 1); may be NULL.
 * Returns 0, or -EINVAL for a bad size, flag or alignment. Not thread-safe; no allocation.
 */
int pc_ring_init(struct pc_ring *r, uint32_t size, unsigned flags, const char *name);

/*
 * pc_ring_create - allocate (cache-aligned) and initialise a ring; writes *@out on success.
 * Returns 0, -EINVAL (as pc_ring_init) or -ENOMEM. Allocates; call at setup only.
 */
int pc_ring_create(struct pc_ring **out, uint32_t size, unsigned flags, const char *name);

/* pc_ring_destroy - free a ring made by pc_ring_create(); does nothing for pc_ring_init() memory
 * or NULL. The ring must be idle. Objects still in it are not touched. */
void pc_ring_destroy(struct pc_ring *r);

/* Cold path of the multi-thread wait: gives the CPU away (sched_yield). Internal. */
void pc_ring__yield(void);

/* --- internal helpers of the inline fast path ---------------------------------------------- */

static pc_always_inline void pc_ring__copy_in(struct pc_ring *r, uint32_t head, void *const *objs,
					      unsigned n)
{
	uint32_t idx = head & r->mask;
	void **slots = r->slots;

	if (pc_likely(idx + n <= r->size)) {
		for (unsigned i = 0; i < n; i++)
			slots[idx + i] = objs[i];
	} else {
		unsigned first = r->size - idx; /* wrap-around: fill to the end, then from 0 */
		for (unsigned i = 0; i < first; i++)
			slots[idx + i] = objs[i];
		for (unsigned i = first; i < n; i++)
			slots[i - first] = objs[i];
	}
}

static pc_always_inline void pc_ring__copy_out(const struct pc_ring *r, uint32_t head, void **objs,
					       unsigned n)
{
	uint32_t idx = head & r->mask;
	void *const *slots = r->slots;

	if (pc_likely(idx + n <= r->size)) {
		for (unsigned i = 0; i < n; i++)
			objs[i] = slots[idx + i];
	} else {
		unsigned first = r->size - idx;
		for (unsigned i = 0; i < first; i++)
			objs[i] = slots[idx + i];
		for (unsigned i = first; i < n; i++)
			objs[i] = slots[i - first];
	}
}

/* Wait until @tail reaches @expect: the threads that claimed before us have published.
 * The acquire pairs with their store-release of the tail, so their slot accesses happen before
 * our own store-release, which then covers them for the other side. */
static pc_always_inline void pc_ring__wait_tail(_Atomic uint32_t *tail, uint32_t expect)
{
	unsigned spins = 0;

	while (pc_load_acquire(tail) != expect) {
		pc_cpu_pause();
		if (pc_unlikely(++spins == PC_RING_SPINS_BEFORE_YIELD)) {
			spins = 0;
			pc_ring__yield();
		}
	}
}

/* --- enqueue --------------------------------------------------------------------------------- */

/*
 * pc_ring_sp_enqueue_burst - enqueue up to @n objects; only for a ring with PC_RING_F_SP,
 * from its one producer thread.
 * @objs: borrowed array of @n pointers; the pointed-to objects change owner to the consumer.
 * Returns how many were enqueued, from the front of @objs (0 when full).
 */
static pc_always_inline unsigned pc_ring_sp_enqueue_burst(struct pc_ring *r, void *const *objs,
							  unsigned n)
{
	uint32_t head = pc_load_relaxed(&r->prod_head);
	uint32_t free_slots = r->size - (head - pc_load_relaxed(&r->prod_cached_cons_tail));

	if (pc_unlikely(free_slots < n)) {
		/* Pairs with the consumer's store-release of cons_tail: the slots below it have
		 * been read and may be overwritten. */
		uint32_t ct = pc_load_acquire(&r->cons_tail);

		pc_store_relaxed(&r->prod_cached_cons_tail, ct);
		free_slots = r->size - (head - ct);
		if (n > free_slots)
			n = free_slots;
		if (n == 0)
			return 0;
	}
	pc_ring__copy_in(r, head, objs, n);
	pc_store_relaxed(&r->prod_head, head + n);
	/* Pairs with the consumer's load-acquire of prod_tail: the slots are written. */
	pc_store_release(&r->prod_tail, head + n);
	return n;
}

/*
 * pc_ring_mp_enqueue_burst - enqueue up to @n objects from any number of producer threads.
 * Same contract as pc_ring_sp_enqueue_burst(); the objects of one call stay contiguous and in
 * order.
 */
static pc_always_inline unsigned pc_ring_mp_enqueue_burst(struct pc_ring *r, void *const *objs,
							  unsigned n)
{
	/* Acquire: the tail reads below must not move before this read of head (see the CAS). */
	uint32_t head = pc_load_acquire(&r->prod_head);
	unsigned k;

	for (;;) {
		/* Pairs with the store-release of the cache below by whichever producer refreshed
		 * it: that producer's acquire of cons_tail then covers us too. */
		uint32_t ct = pc_load_acquire(&r->prod_cached_cons_tail);
		int32_t used = (int32_t)(head - ct);

		k = n;
		/* The cache may be stale (underestimates room: refresh); head may be stale (CAS
		 * will fail); a negative distance means head is older than the cache. */
		if (pc_unlikely(used < 0 || (uint64_t)(uint32_t)used + n > r->size)) {
			/* Pairs with the consumers' store-release of cons_tail. */
			ct = pc_load_acquire(&r->cons_tail);
			pc_store_release(&r->prod_cached_cons_tail, ct);
			used = (int32_t)(head - ct);
			if (used < 0) { /* our head is stale: another producer moved on */
				head = pc_load_acquire(&r->prod_head);
				continue;
			}
			if (k > r->size - (uint32_t)used)
				k = r->size - (uint32_t)used;
			if (k == 0)
				return 0;
		}
		if (pc_cas_weak_acquire(&r->prod_head, &head, head + k))
			break;
	}
	pc_ring__copy_in(r, head, objs, k);
	pc_ring__wait_tail(&r->prod_tail, head);
	/* Pairs with the consumers' load-acquire of prod_tail. */
	pc_store_release(&r->prod_tail, head + k);
	return k;
}

/* pc_ring_enqueue_burst - enqueue up to @n objects, by the ring's producer mode. */
static pc_always_inline unsigned pc_ring_enqueue_burst(struct pc_ring *r, void *const *objs,
						       unsigned n)
{
	if (r->flags & PC_RING_F_SP)
		return pc_ring_sp_enqueue_burst(r, objs, n);
	return pc_ring_mp_enqueue_burst(r, objs, n);
}

/* pc_ring_enqueue - enqueue one object (transferred on success).
 * Returns 0, or -ENOBUFS when the ring is full. */
static pc_always_inline int pc_ring_enqueue(struct pc_ring *r, void *obj)
{
	return pc_ring_enqueue_burst(r, &obj, 1) ? 0 : -ENOBUFS;
}

/* --- dequeue --------------------------------------------------------------------------------- */

/*
 * pc_ring_sc_dequeue_burst - dequeue up to @n objects; only for a ring with PC_RING_F_SC, from
 * its one consumer thread.
 * @objs: borrowed array with room for @n pointers; the objects written there become the
 *        caller's.
 * Returns how many were dequeued (0 when empty), in enqueue order.
 */
static pc_always_inline unsigned pc_ring_sc_dequeue_burst(struct pc_ring *r, void **objs,
							  unsigned n)
{
	uint32_t head = pc_load_relaxed(&r->cons_head);
	uint32_t avail = pc_load_relaxed(&r->cons_cached_prod_tail) - head;

	if (pc_unlikely(avail < n)) {
		/* Pairs with the producer's store-release of prod_tail: slots below it hold
		 * objects. */
		uint32_t pt = pc_load_acquire(&r->prod_tail);

		pc_store_relaxed(&r->cons_cached_prod_tail, pt);
		avail = pt - head;
		if (n > avail)
			n = avail;
		if (n == 0)
			return 0;
	}
	pc_ring__copy_out(r, head, objs, n);
	pc_store_relaxed(&r->cons_head, head + n);
	/* Pairs with the producer's load-acquire of cons_tail: the slots are read. */
	pc_store_release(&r->cons_tail, head + n);
	return n;
}

/*
 * pc_ring_mc_dequeue_burst - dequeue up to @n objects from any number of consumer threads.
 * Same contract as pc_ring_sc_dequeue_burst().
 */
static pc_always_inline unsigned pc_ring_mc_dequeue_burst(struct pc_ring *r, void **objs,
							  unsigned n)
{
	/* Acquire: the tail reads below must not move before this read of head (see the CAS). */
	uint32_t head = pc_load_acquire(&r->cons_head);
	unsigned k;

	for (;;) {
		/* Pairs with the store-release of the cache below by the consumer that refreshed
		 * it last. */
		int32_t avail = (int32_t)(pc_load_acquire(&r->cons_cached_prod_tail) - head);

		k = n;
		/* A stale cache (or a stale head) only makes avail look smaller: refresh. */
		if (pc_unlikely(avail < (int32_t)n)) {
			/* Pairs with the producers' store-release of prod_tail. */
			uint32_t pt = pc_load_acquire(&r->prod_tail);

			pc_store_release(&r->cons_cached_prod_tail, pt);
			avail = (int32_t)(pt - head);
			if (pc_unlikely(avail < 0)) {
				/* pt is read after head (acquire), so this cannot happen; if it
				 * ever did, claiming would take unpublished slots: read again. */
				head = pc_load_acquire(&r->cons_head);
				continue;
			}
			if (k > (uint32_t)avail)
				k = (uint32_t)avail;
			if (k == 0)
				return 0;
		}
		if (pc_cas_weak_acquire(&r->cons_head, &head, head + k))
			break;
	}
	pc_ring__copy_out(r, head, objs, k);
	pc_ring__wait_tail(&r->cons_tail, head);
	/* Pairs with the producers' load-acquire of cons_tail. */
	pc_store_release(&r->cons_tail, head + k);
	return k;
}

/* pc_ring_dequeue_burst - dequeue up to @n objects, by the ring's consumer mode. */
static pc_always_inline unsigned pc_ring_dequeue_burst(struct pc_ring *r, void **objs, unsigned n)
{
	if (r->flags & PC_RING_F_SC)
		return pc_ring_sc_dequeue_burst(r, objs, n);
	return pc_ring_mc_dequeue_burst(r, objs, n);
}

/* pc_ring_dequeue - dequeue one object into *@obj (which becomes the caller's).
 * Returns 0, or -ENOENT when the ring is empty. */
static pc_always_inline int pc_ring_dequeue(struct pc_ring *r, void **obj)
{
	return pc_ring_dequeue_burst(r, obj, 1) ? 0 : -ENOENT;
}

/* --- queries: snapshots, exact only while the ring is idle ------------------------------------ */

static inline uint32_t pc_ring_size(const struct pc_ring *r)
{
	return r->size;
}

static inline uint32_t pc_ring_count(const struct pc_ring *r)
{
	struct pc_ring *m = (struct pc_ring *)r; /* atomic loads take non-const pointers */
	/* cons_tail first: prod_tail, read after it, is then never behind it. */
	uint32_t ct = pc_load_acquire(&m->cons_tail);
	uint32_t pt = pc_load_acquire(&m->prod_tail);
	uint32_t n = pt - ct;

	return n > r->size ? r->size : n;
}

static inline uint32_t pc_ring_free_count(const struct pc_ring *r)
{
	return r->size - pc_ring_count(r);
}

static inline bool pc_ring_empty(const struct pc_ring *r)
{
	return pc_ring_count(r) == 0;
}

static inline bool pc_ring_full(const struct pc_ring *r)
{
	return pc_ring_count(r) == r->size;
}

#ifdef __cplusplus
}
#endif

#endif /* PC_RING_H */
