/* SPDX-License-Identifier: MIT */
/*
 * pc_atomic.h - the one place phonecore spells C11 atomics, cache-line layout and CPU hints.
 *
 * Every atomic access in the project goes through these wrappers so that the memory order is
 * written at the call site (the wrapper's name) and never defaulted to seq_cst by accident.
 * Each acquire in the code carries a comment naming the release it pairs with.
 *
 * Thread context: any. Allocates: never.
 */
#ifndef PC_ATOMIC_H
#define PC_ATOMIC_H

#include <stdatomic.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Size of a cache line, and the distance kept between data written by different threads.
 * Two lines, because the adjacent-line prefetchers of x86 (and some Arm cores) pull lines in
 * pairs: one line apart is not far enough to stop false sharing. */
#define PC_CACHE_LINE 64
#define PC_CACHE_GUARD 128

#define pc_likely(x) __builtin_expect(!!(x), 1)
#define pc_unlikely(x) __builtin_expect(!!(x), 0)
#define pc_cold __attribute__((cold, noinline))
#define pc_always_inline inline __attribute__((always_inline))

#define pc_load_relaxed(p) atomic_load_explicit((p), memory_order_relaxed)
#define pc_load_acquire(p) atomic_load_explicit((p), memory_order_acquire)
#define pc_store_relaxed(p, v) atomic_store_explicit((p), (v), memory_order_relaxed)
#define pc_store_release(p, v) atomic_store_explicit((p), (v), memory_order_release)
#define pc_fetch_add_relaxed(p, v) atomic_fetch_add_explicit((p), (v), memory_order_relaxed)
#define pc_fetch_sub_acq_rel(p, v) atomic_fetch_sub_explicit((p), (v), memory_order_acq_rel)
/* Weak CAS used to claim a range. Acquire on both outcomes: the claimant next reads the other
 * side's tail (or a cached copy of it), and that read must not be satisfied before the head it
 * computes with, or a stale tail could meet a newer head (DPDK's C11 ring has the same
 * acquire). What the claimed slots hold is ordered by the acquire/release pairs on the tails. */
#define pc_cas_weak_acquire(p, expected, desired)                                               \
	atomic_compare_exchange_weak_explicit((p), (expected), (desired), memory_order_acquire, \
					      memory_order_acquire)
#define pc_cas_strong_acq_rel(p, expected, desired)                                               \
	atomic_compare_exchange_strong_explicit((p), (expected), (desired), memory_order_acq_rel, \
						memory_order_relaxed)

/* Owner-only counter bump: one writer, any number of readers. A load and a store, not an
 * atomic read-modify-write, because no other thread writes the counter; the atomic type only
 * makes concurrent readers (statistics) well defined. */
#define pc_counter_add(p, v) pc_store_relaxed((p), pc_load_relaxed(p) + (v))

/* Spin-wait hint to the CPU: lets the sibling hyper-thread run and saves power in spin loops. */
#if defined(__x86_64__) || defined(__i386__)
static inline void pc_cpu_pause(void)
{
	__builtin_ia32_pause();
}
#elif defined(__aarch64__)
static inline void pc_cpu_pause(void)
{
	__asm__ volatile("yield" ::: "memory");
}
#else
static inline void pc_cpu_pause(void)
{
	__asm__ volatile("" ::: "memory");
}
#endif

#ifdef __cplusplus
}
#endif

#endif /* PC_ATOMIC_H */
