/* SPDX-License-Identifier: MIT */
/*
 * ring_test.c - single-thread semantics of pc_ring in its four modes (SPSC, MPMC, SP/MC, MP/SC):
 * setup errors, empty and full, FIFO order, wrap-around of the slots and of the 32-bit indices,
 * partial bursts and the count queries. The concurrent behaviour is in ring_stress_test.c.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pc_ring.h"

struct pc_test_mode {
	unsigned flags;
	const char *name;
};

static const struct pc_test_mode pc_test_modes[] = {
	{ PC_RING_SPSC, "SPSC" },
	{ PC_RING_MPMC, "MPMC" },
	{ PC_RING_F_SP, "SP/MC" },
	{ PC_RING_F_SC, "MP/SC" },
};

#define PC_TEST_NMODES (sizeof(pc_test_modes) / sizeof(pc_test_modes[0]))

/* The object carried for sequence number @v: never NULL, so a slot left unwritten shows. */
static void *pc_test_obj(uint32_t v)
{
	return (void *)((uintptr_t)v + 1);
}

static struct pc_ring *pc_test_ring_new(uint32_t size, unsigned flags)
{
	struct pc_ring *r = NULL;
	int rc = pc_ring_create(&r, size, flags, "test");

	cr_assert_eq(rc, 0, "pc_ring_create(size %u, flags %#x) = %d", size, flags, rc);
	cr_assert_not_null(r);
	return r;
}

/* Moves every index and cached index of an idle, empty ring to @v, as if @v objects had gone
 * through it already. Only for a fresh ring, before any other thread sees it. */
static void pc_test_ring_set_indices(struct pc_ring *r, uint32_t v)
{
	pc_store_relaxed(&r->prod_head, v);
	pc_store_relaxed(&r->prod_cached_cons_tail, v);
	pc_store_relaxed(&r->prod_tail, v);
	pc_store_relaxed(&r->cons_head, v);
	pc_store_relaxed(&r->cons_cached_prod_tail, v);
	pc_store_relaxed(&r->cons_tail, v);
}

static void pc_test_assert_count(const struct pc_ring *r, uint32_t n, const char *mode)
{
	uint32_t size = pc_ring_size(r);

	cr_assert_eq(pc_ring_count(r), n, "%s: count %u, expected %u", mode, pc_ring_count(r), n);
	cr_assert_eq(pc_ring_free_count(r), size - n, "%s: free_count %u, expected %u", mode,
		     pc_ring_free_count(r), size - n);
	cr_assert_eq(pc_ring_empty(r), n == 0, "%s: empty() with %u of %u", mode, n, size);
	cr_assert_eq(pc_ring_full(r), n == size, "%s: full() with %u of %u", mode, n, size);
}

/* A small deterministic generator, so that a failing run repeats exactly. */
static uint32_t pc_test_rand(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return (uint32_t)(*state >> 32);
}

/* --- setup ----------------------------------------------------------------------------------- */

Test(ring, memsize_rejects_bad_sizes)
{
	/* Given sizes that are zero, not a power of two, or above PC_RING_SIZE_MAX */
	const uint32_t max = PC_RING_SIZE_MAX;
	const uint32_t bad[] = { 0, 3, 6, 1000, max - 1, max + 1, max << 1, UINT32_MAX };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* When the memory size is asked / Then it is 0 */
		cr_assert_eq(pc_ring_memsize(bad[i]), 0, "memsize(%u)", bad[i]);
	}
}

Test(ring, memsize_covers_slots_and_keeps_alignment)
{
	/* Given every valid size */
	for (uint32_t size = 1; size != 0 && size <= PC_RING_SIZE_MAX; size <<= 1) {
		/* When the memory size is asked */
		size_t bytes = pc_ring_memsize(size);

		/* Then it holds the header and every slot, rounded to PC_CACHE_GUARD */
		cr_assert_geq(bytes,
			      offsetof(struct pc_ring, slots) + (size_t)size * sizeof(void *),
			      "memsize(%u) = %zu", size, bytes);
		cr_assert_eq(bytes % PC_CACHE_GUARD, 0, "memsize(%u) = %zu", size, bytes);
	}
}

Test(ring, init_rejects_bad_size)
{
	/* Given aligned memory large enough for a ring of 1024 slots */
	struct pc_ring *r = aligned_alloc(PC_CACHE_GUARD, pc_ring_memsize(1024));
	const uint32_t bad[] = { 0, 3, 100, 1023, PC_RING_SIZE_MAX << 1, UINT32_MAX };

	cr_assert_not_null(r);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* When a ring of a bad size is set up in it / Then it is refused */
		cr_assert_eq(pc_ring_init(r, bad[i], PC_RING_SPSC, NULL), -EINVAL, "size %u",
			     bad[i]);
	}
	free(r);
}

Test(ring, init_rejects_bad_flags)
{
	/* Given aligned memory for a ring of 16 slots */
	struct pc_ring *r = aligned_alloc(PC_CACHE_GUARD, pc_ring_memsize(16));
	const unsigned bad[] = { 0x4u, 0x8u, PC_RING_SPSC | 0x4u, PC_RING_F_SP | 0x80000000u, ~0u };

	cr_assert_not_null(r);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* When flags other than PC_RING_F_SP and PC_RING_F_SC are given / Then -EINVAL */
		cr_assert_eq(pc_ring_init(r, 16, bad[i], NULL), -EINVAL, "flags %#x", bad[i]);
	}
	/* And every legal combination is accepted and kept */
	for (size_t m = 0; m < PC_TEST_NMODES; m++) {
		cr_assert_eq(pc_ring_init(r, 16, pc_test_modes[m].flags, NULL), 0, "%s",
			     pc_test_modes[m].name);
		cr_assert_eq(r->flags, pc_test_modes[m].flags);
	}
	free(r);
}

Test(ring, init_rejects_misaligned_memory)
{
	/* Given memory aligned to PC_CACHE_GUARD with room to spare */
	size_t bytes = pc_ring_memsize(16) + PC_CACHE_GUARD;
	uint8_t *mem = aligned_alloc(PC_CACHE_GUARD, bytes);
	const size_t offsets[] = { 1, 8, 16, 64, PC_CACHE_GUARD - 8 };

	cr_assert_not_null(mem);
	for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		/* When a ring is set up at an address not aligned to PC_CACHE_GUARD */
		struct pc_ring *r = (struct pc_ring *)(void *)(mem + offsets[i]);

		/* Then it is refused */
		cr_assert_eq(pc_ring_init(r, 16, PC_RING_SPSC, NULL), -EINVAL, "offset %zu",
			     offsets[i]);
	}
	/* And NULL is refused, while the next aligned address is accepted */
	cr_assert_eq(pc_ring_init(NULL, 16, PC_RING_SPSC, NULL), -EINVAL);
	cr_assert_eq(pc_ring_init((struct pc_ring *)(void *)(mem + PC_CACHE_GUARD), 16,
				  PC_RING_SPSC, NULL),
		     0);
	free(mem);
}

Test(ring, create_rejects_bad_arguments_and_leaves_out_alone)
{
	/* Given an output pointer holding a sentinel */
	struct pc_ring *sentinel = (struct pc_ring *)(uintptr_t)0xdead0000u;
	struct pc_ring *r = sentinel;

	/* When create is given a bad size or bad flags / Then -EINVAL and *out is not written */
	cr_assert_eq(pc_ring_create(&r, 0, PC_RING_SPSC, NULL), -EINVAL);
	cr_assert_eq(pc_ring_create(&r, 12, PC_RING_SPSC, NULL), -EINVAL);
	cr_assert_eq(pc_ring_create(&r, PC_RING_SIZE_MAX << 1, PC_RING_SPSC, NULL), -EINVAL);
	cr_assert_eq(pc_ring_create(&r, 16, 0x10u, NULL), -EINVAL);
	cr_assert_eq(r, sentinel);
	/* And a NULL output is refused */
	cr_assert_eq(pc_ring_create(NULL, 16, PC_RING_SPSC, NULL), -EINVAL);
}

Test(ring, create_records_geometry_and_name)
{
	/* Given a name longer than PC_RING_NAME_MAX - 1 */
	const char *long_name = "a-ring-name-that-is-much-longer-than-the-limit";
	struct pc_ring *r;

	/* When rings are created with it, with a short name and with none */
	cr_assert_eq(pc_ring_create(&r, 64, PC_RING_MPMC, long_name), 0);

	/* Then the geometry is as asked and the name is truncated, NUL-terminated */
	cr_assert_eq(pc_ring_size(r), 64);
	cr_assert_eq(r->mask, 63);
	cr_assert_eq(r->flags, PC_RING_MPMC);
	cr_assert_eq(strlen(r->name), PC_RING_NAME_MAX - 1);
	cr_assert_eq(strncmp(r->name, long_name, PC_RING_NAME_MAX - 1), 0);
	cr_assert_eq((uintptr_t)r % PC_CACHE_GUARD, 0, "create returns aligned memory");
	pc_ring_destroy(r);

	cr_assert_eq(pc_ring_create(&r, 1, PC_RING_SPSC, "rx0"), 0);
	cr_assert_str_eq(r->name, "rx0");
	cr_assert_eq(pc_ring_size(r), 1);
	pc_ring_destroy(r);

	cr_assert_eq(pc_ring_create(&r, 2, PC_RING_SPSC, NULL), 0);
	cr_assert_str_eq(r->name, "");
	pc_ring_destroy(r);
}

Test(ring, destroy_ignores_null_and_caller_memory)
{
	/* Given a ring set up in memory the caller owns, holding one object */
	struct pc_ring *r = aligned_alloc(PC_CACHE_GUARD, pc_ring_memsize(8));
	void *obj = NULL;

	cr_assert_not_null(r);
	cr_assert_eq(pc_ring_init(r, 8, PC_RING_SPSC, "mine"), 0);
	cr_assert_eq(pc_ring_enqueue(r, pc_test_obj(7)), 0);

	/* When it and NULL are destroyed */
	pc_ring_destroy(r);
	pc_ring_destroy(NULL);

	/* Then the caller's memory is not freed: the ring still works (and the free below is not
	 * a double free, which ASan would report) */
	cr_assert_eq(pc_ring_dequeue(r, &obj), 0);
	cr_assert_eq(obj, pc_test_obj(7));
	free(r);
}

Test(ring, init_resets_a_used_ring)
{
	/* Given a ring in caller memory that holds objects and whose indices have moved */
	struct pc_ring *r = aligned_alloc(PC_CACHE_GUARD, pc_ring_memsize(8));

	cr_assert_not_null(r);
	cr_assert_eq(pc_ring_init(r, 8, PC_RING_MPMC, "old"), 0);
	for (uint32_t i = 0; i < 13; i++) {
		void *obj;

		cr_assert_eq(pc_ring_enqueue(r, pc_test_obj(i)), 0);
		if (i % 2 == 0)
			cr_assert_eq(pc_ring_dequeue(r, &obj), 0);
	}
	cr_assert_neq(pc_ring_count(r), 0);

	/* When it is set up again in place */
	cr_assert_eq(pc_ring_init(r, 8, PC_RING_SPSC, NULL), 0);

	/* Then it is empty with all slots free, in its new mode, and works */
	pc_test_assert_count(r, 0, "re-init");
	cr_assert_eq(r->flags, PC_RING_SPSC);
	cr_assert_str_eq(r->name, "", "a NULL name is no name, not the old one");
	cr_assert_eq(pc_ring_enqueue(r, pc_test_obj(99)), 0);
	pc_test_assert_count(r, 1, "re-init");
	free(r);
}

/* --- empty and full -------------------------------------------------------------------------- */

Test(ring, new_ring_is_empty)
{
	for (size_t m = 0; m < PC_TEST_NMODES; m++) {
		/* Given a new ring */
		struct pc_ring *r = pc_test_ring_new(16, pc_test_modes[m].flags);
		void *objs[4];
		void *obj;

		/* Then it is empty, and dequeues find nothing */
		pc_test_assert_count(r, 0, pc_test_modes[m].name);
		cr_assert_eq(pc_ring_dequeue(r, &obj), -ENOENT, "%s", pc_test_modes[m].name);
		cr_assert_eq(pc_ring_dequeue_burst(r, objs, 4), 0, "%s", pc_test_modes[m].name);
		pc_test_assert_count(r, 0, pc_test_modes[m].name);
		pc_ring_destroy(r);
	}
}

Test(ring, exactly_size_objects_fit)
{
	const uint32_t sizes[] = { 1, 2, 4, 8, 64, 1024 };

	for (size_t m = 0; m < PC_TEST_NMODES; m++) {
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			const char *mode = pc_test_modes[m].name;
			uint32_t size = sizes[s];
			/* Given an empty ring of `size` slots */
			struct pc_ring *r = pc_test_ring_new(size, pc_test_modes[m].flags);
			void *obj;

			/* When `size` objects are enqueued one by one */
			for (uint32_t i = 0; i < size; i++) {
				cr_assert_eq(pc_ring_enqueue(r, pc_test_obj(i)), 0,
					     "%s size %u: enqueue %u", mode, size, i);
				pc_test_assert_count(r, i + 1, mode);
			}

			/* Then every one fitted, the ring is full and one more is refused */
			cr_assert_eq(pc_ring_enqueue(r, pc_test_obj(size)), -ENOBUFS,
				     "%s size %u: enqueue into a full ring", mode, size);
			cr_assert_eq(pc_ring_enqueue_burst(r, &obj, 1), 0);
			pc_test_assert_count(r, size, mode);

			/* And they come out in order, then the ring is empty */
			for (uint32_t i = 0; i < size; i++) {
				obj = NULL;
				cr_assert_eq(pc_ring_dequeue(r, &obj), 0, "%s size %u: dequeue %u",
					     mode, size, i);
				cr_assert_eq(obj, pc_test_obj(i), "%s size %u: item %u", mode, size,
					     i);
			}
			cr_assert_eq(pc_ring_dequeue(r, &obj), -ENOENT, "%s size %u", mode, size);
			pc_test_assert_count(r, 0, mode);
			pc_ring_destroy(r);
		}
	}
}

Test(ring, full_ring_refuses_until_one_is_taken)
{
	for (size_t m = 0; m < PC_TEST_NMODES; m++) {
		const char *mode = pc_test_modes[m].name;
		/* Given a full ring of 4 slots */
		struct pc_ring *r = pc_test_ring_new(4, pc_test_modes[m].flags);
		void *obj;

		for (uint32_t i = 0; i < 4; i++)
			cr_assert_eq(pc_ring_enqueue(r, pc_test_obj(i)), 0);
		cr_assert_eq(pc_ring_enqueue(r, pc_test_obj(99)), -ENOBUFS, "%s", mode);

		/* When one object is taken */
		cr_assert_eq(pc_ring_dequeue(r, &obj), 0);
		cr_assert_eq(obj, pc_test_obj(0));

		/* Then exactly one more fits, behind the others */
		cr_assert_eq(pc_ring_enqueue(r, pc_test_obj(4)), 0, "%s", mode);
		cr_assert_eq(pc_ring_enqueue(r, pc_test_obj(5)), -ENOBUFS, "%s", mode);
		for (uint32_t i = 1; i <= 4; i++) {
			cr_assert_eq(pc_ring_dequeue(r, &obj), 0);
			cr_assert_eq(obj, pc_test_obj(i), "%s: item %u", mode, i);
		}
		pc_ring_destroy(r);
	}
}

Test(ring, carries_any_pointer_value)
{
	/* Given pointer values at the edges: NULL, all ones, odd */
	void *const vals[] = { NULL, (void *)UINTPTR_MAX, (void *)(uintptr_t)1,
			       (void *)(uintptr_t)0x8000000000000001ull };

	for (size_t m = 0; m < PC_TEST_NMODES; m++) {
		struct pc_ring *r = pc_test_ring_new(4, pc_test_modes[m].flags);
		void *out[4] = { (void *)(uintptr_t)0x55, (void *)(uintptr_t)0x55,
				 (void *)(uintptr_t)0x55, (void *)(uintptr_t)0x55 };

		/* When they go through the ring */
		cr_assert_eq(pc_ring_enqueue(r, vals[0]), 0);
		cr_assert_eq(pc_ring_enqueue_burst(r, vals + 1, 3), 3);

		/* Then they come out bit for bit: NULL is an object like any other */
		cr_assert_eq(pc_ring_dequeue(r, &out[0]), 0);
		cr_assert_eq(pc_ring_dequeue_burst(r, out + 1, 3), 3);
		cr_assert_arr_eq(out, vals, sizeof(vals), "%s", pc_test_modes[m].name);
		pc_ring_destroy(r);
	}
}

/* --- order and wrap-around ------------------------------------------------------------------- */

Test(ring, fifo_order_with_interleaved_operations)
{
	for (size_t m = 0; m < PC_TEST_NMODES; m++) {
		const char *mode = pc_test_modes[m].name;
		/* Given a ring of 32 slots */
		struct pc_ring *r = pc_test_ring_new(32, pc_test_modes[m].flags);
		uint32_t next_in = 0, next_out = 0;

		/* When objects are enqueued three at a time and dequeued two at a time */
		while (next_in < 1000) {
			for (int i = 0; i < 3 && pc_ring_free_count(r) > 0; i++)
				cr_assert_eq(pc_ring_enqueue(r, pc_test_obj(next_in++)), 0);
			for (int i = 0; i < 2; i++) {
				void *obj;

				cr_assert_eq(pc_ring_dequeue(r, &obj), 0);
				/* Then each is the oldest one still in the ring */
				cr_assert_eq(obj, pc_test_obj(next_out), "%s: item %u", mode,
					     next_out);
				next_out++;
			}
			pc_test_assert_count(r, next_in - next_out, mode);
		}
		pc_ring_destroy(r);
	}
}

/* Pushes objects through @r in bursts of random length (0 .. 2 * size) on both sides, checking
 * the order, the partial counts and the queries against a model at each step. */
static void pc_test_random_bursts(struct pc_ring *r, const char *mode, uint32_t rounds,
				  uint64_t seed)
{
	uint32_t size = pc_ring_size(r);
	uint32_t next_in = 0, next_out = 0;
	void **objs = calloc(2 * (size_t)size + 1, sizeof(void *));
	uint64_t rng = seed;

	cr_assert_not_null(objs);
	for (uint32_t round = 0; round < rounds; round++) {
		unsigned n = pc_test_rand(&rng) % (2 * size + 1);
		uint32_t held = next_in - next_out;
		unsigned expect = n < size - held ? n : size - held;
		unsigned got;

		for (unsigned i = 0; i < n; i++)
			objs[i] = pc_test_obj(next_in + i);
		got = pc_ring_enqueue_burst(r, objs, n);
		cr_assert_eq(got, expect, "%s round %u: enqueue burst %u with %u free gave %u",
			     mode, round, n, size - held, got);
		next_in += got;
		pc_test_assert_count(r, next_in - next_out, mode);

		n = pc_test_rand(&rng) % (2 * size + 1);
		held = next_in - next_out;
		expect = n < held ? n : held;
		got = pc_ring_dequeue_burst(r, objs, n);
		cr_assert_eq(got, expect, "%s round %u: dequeue burst %u with %u held gave %u",
			     mode, round, n, held, got);
		for (unsigned i = 0; i < got; i++) {
			cr_assert_eq(objs[i], pc_test_obj(next_out), "%s round %u: item %u", mode,
				     round, next_out);
			next_out++;
		}
		pc_test_assert_count(r, next_in - next_out, mode);
	}
	free(objs);
}

Test(ring, wraps_around_the_slots_many_times)
{
	const uint32_t sizes[] = { 1, 2, 8, 64 };

	for (size_t m = 0; m < PC_TEST_NMODES; m++) {
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			/* Given a ring; When random bursts run its indices round the slots some
			 * thousand times / Then order, burst counts and queries stay exact */
			struct pc_ring *r = pc_test_ring_new(sizes[s], pc_test_modes[m].flags);

			pc_test_random_bursts(r, pc_test_modes[m].name, 20000,
					      0x9e3779b97f4a7c15ull + s);
			pc_ring_destroy(r);
		}
	}
}

Test(ring, burst_wraps_across_the_slot_boundary)
{
	for (size_t m = 0; m < PC_TEST_NMODES; m++) {
		const char *mode = pc_test_modes[m].name;
		/* Given a ring of 8 slots whose indices stand at 6 */
		struct pc_ring *r = pc_test_ring_new(8, pc_test_modes[m].flags);
		void *in[8], *out[8] = { 0 };
		void *obj;

		for (uint32_t i = 0; i < 6; i++) {
			cr_assert_eq(pc_ring_enqueue(r, pc_test_obj(i)), 0);
			cr_assert_eq(pc_ring_dequeue(r, &obj), 0);
		}

		/* When a burst of 8 is enqueued (slots 6, 7, then 0..5) and dequeued */
		for (uint32_t i = 0; i < 8; i++)
			in[i] = pc_test_obj(100 + i);
		cr_assert_eq(pc_ring_enqueue_burst(r, in, 8), 8, "%s", mode);
		pc_test_assert_count(r, 8, mode);
		cr_assert_eq(r->slots[6], in[0], "%s: first object in slot 6", mode);
		cr_assert_eq(r->slots[0], in[2], "%s: third object wraps to slot 0", mode);
		cr_assert_eq(pc_ring_dequeue_burst(r, out, 8), 8, "%s", mode);

		/* Then they come out whole and in order */
		cr_assert_arr_eq(out, in, sizeof(in), "%s", mode);
		pc_test_assert_count(r, 0, mode);
		pc_ring_destroy(r);
	}
}

Test(ring, indices_wrap_past_uint32_max)
{
	for (size_t m = 0; m < PC_TEST_NMODES; m++) {
		const char *mode = pc_test_modes[m].name;
		/* Given a ring of 8 slots whose free-running indices stand 6 short of 2^32 */
		struct pc_ring *r = pc_test_ring_new(8, pc_test_modes[m].flags);
		void *in[8], *out[8] = { 0 };
		void *obj;

		pc_test_ring_set_indices(r, UINT32_MAX - 5);
		pc_test_assert_count(r, 0, mode);
		cr_assert_eq(pc_ring_dequeue(r, &obj), -ENOENT, "%s", mode);

		/* When it is filled: the producer index crosses 2^32 half-way */
		for (uint32_t i = 0; i < 8; i++) {
			in[i] = pc_test_obj(i);
			cr_assert_eq(pc_ring_enqueue(r, in[i]), 0, "%s: enqueue %u", mode, i);
			pc_test_assert_count(r, i + 1, mode);
		}

		/* Then it is exactly full, refuses more, and gives everything back in order */
		cr_assert_eq(pc_ring_enqueue(r, pc_test_obj(8)), -ENOBUFS, "%s", mode);
		cr_assert_eq(pc_ring_enqueue_burst(r, in, 8), 0, "%s", mode);
		cr_assert_eq(pc_ring_dequeue_burst(r, out, 3), 3, "%s", mode);
		pc_test_assert_count(r, 5, mode);
		cr_assert_eq(pc_ring_dequeue_burst(r, out + 3, 16), 5, "%s", mode);
		cr_assert_arr_eq(out, in, sizeof(in), "%s", mode);
		pc_test_assert_count(r, 0, mode);
		cr_assert_eq(pc_ring_dequeue(r, &obj), -ENOENT, "%s", mode);

		/* And the indices did cross zero */
		cr_assert_eq(pc_load_relaxed(&r->prod_tail), 2u, "%s", mode);
		cr_assert_eq(pc_load_relaxed(&r->cons_tail), 2u, "%s", mode);
		pc_ring_destroy(r);
	}
}

Test(ring, random_bursts_across_the_index_wrap)
{
	const uint32_t sizes[] = { 1, 4, 32 };

	for (size_t m = 0; m < PC_TEST_NMODES; m++) {
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			/* Given a ring whose indices stand a few hundred short of 2^32 */
			struct pc_ring *r = pc_test_ring_new(sizes[s], pc_test_modes[m].flags);

			pc_test_ring_set_indices(r, UINT32_MAX - 300);

			/* When random bursts run them past 2^32 / Then nothing changes */
			pc_test_random_bursts(r, pc_test_modes[m].name, 2000, 12345 + s);
			cr_assert_lt(pc_load_relaxed(&r->cons_tail), UINT32_MAX - 300,
				     "%s: the indices wrapped", pc_test_modes[m].name);
			pc_ring_destroy(r);
		}
	}
}

Test(ring, stale_cached_tails_across_the_index_wrap)
{
	for (size_t m = 0; m < PC_TEST_NMODES; m++) {
		const char *mode = pc_test_modes[m].name;
		/* Given a ring of 4 slots whose indices stand at 2^32 - 2 */
		struct pc_ring *r = pc_test_ring_new(4, pc_test_modes[m].flags);
		void *in[4] = { pc_test_obj(3), pc_test_obj(4), pc_test_obj(5), pc_test_obj(6) };
		void *out[4] = { 0 };
		void *obj;

		pc_test_ring_set_indices(r, UINT32_MAX - 1);

		/* When 3 objects go in (the producer tail wraps to 1) and 2 come out (the consumer
		 * tail wraps to 0), leaving the producer's cached consumer tail at 2^32 - 2 */
		for (uint32_t i = 0; i < 3; i++)
			cr_assert_eq(pc_ring_enqueue(r, pc_test_obj(i)), 0, "%s", mode);
		cr_assert_eq(pc_load_relaxed(&r->prod_tail), 1u, "%s", mode);
		for (uint32_t i = 0; i < 2; i++) {
			cr_assert_eq(pc_ring_dequeue(r, &obj), 0, "%s", mode);
			cr_assert_eq(obj, pc_test_obj(i), "%s: item %u", mode, i);
		}
		cr_assert_eq(pc_load_relaxed(&r->cons_tail), 0u, "%s", mode);

		/* Then a burst of 4 finds exactly the 3 free slots, not the 2 the cache shows */
		cr_assert_eq(pc_ring_enqueue_burst(r, in, 4), 3, "%s", mode);
		pc_test_assert_count(r, 4, mode);

		/* And the consumer, whose cached producer tail is stale too, gets all 4 in order */
		cr_assert_eq(pc_ring_dequeue_burst(r, out, 4), 4, "%s", mode);
		cr_assert_eq(out[0], pc_test_obj(2), "%s", mode);
		cr_assert_arr_eq(out + 1, in, 3 * sizeof(void *), "%s", mode);
		pc_test_assert_count(r, 0, mode);
		pc_ring_destroy(r);
	}
}

/* --- bursts ---------------------------------------------------------------------------------- */

Test(ring, enqueue_burst_partial_when_room_is_short)
{
	for (size_t m = 0; m < PC_TEST_NMODES; m++) {
		const char *mode = pc_test_modes[m].name;
		/* Given a ring of 8 slots holding 4 objects */
		struct pc_ring *r = pc_test_ring_new(8, pc_test_modes[m].flags);
		void *in[10], *out[8] = { 0 };

		for (uint32_t i = 0; i < 10; i++)
			in[i] = pc_test_obj(i);
		cr_assert_eq(pc_ring_enqueue_burst(r, in, 4), 4, "%s", mode);

		/* When a burst of 10 is offered for the 4 free slots */
		unsigned got = pc_ring_enqueue_burst(r, in + 4, 6);

		/* Then the first 4 of it are taken and the ring is full */
		cr_assert_eq(got, 4, "%s: enqueued %u", mode, got);
		pc_test_assert_count(r, 8, mode);
		cr_assert_eq(pc_ring_enqueue_burst(r, in + 8, 2), 0, "%s", mode);
		cr_assert_eq(pc_ring_dequeue_burst(r, out, 8), 8, "%s", mode);
		cr_assert_arr_eq(out, in, sizeof(out), "%s", mode);
		pc_ring_destroy(r);
	}
}

Test(ring, enqueue_burst_of_ten_into_four_free_slots)
{
	for (size_t m = 0; m < PC_TEST_NMODES; m++) {
		const char *mode = pc_test_modes[m].name;
		/* Given a ring of 4 empty slots */
		struct pc_ring *r = pc_test_ring_new(4, pc_test_modes[m].flags);
		void *in[10], *out[10] = { 0 };

		for (uint32_t i = 0; i < 10; i++)
			in[i] = pc_test_obj(i);

		/* When a burst of 10 is enqueued */
		/* Then 4 go in; And a dequeue burst of 10 returns those 4 */
		cr_assert_eq(pc_ring_enqueue_burst(r, in, 10), 4, "%s", mode);
		cr_assert_eq(pc_ring_dequeue_burst(r, out, 10), 4, "%s", mode);
		cr_assert_arr_eq(out, in, 4 * sizeof(void *), "%s", mode);
		cr_assert_null(out[4], "%s: the dequeue wrote past what it returned", mode);
		pc_ring_destroy(r);
	}
}

Test(ring, dequeue_burst_larger_than_count_returns_count)
{
	for (size_t m = 0; m < PC_TEST_NMODES; m++) {
		const char *mode = pc_test_modes[m].name;
		/* Given a ring of 64 slots holding 5 objects */
		struct pc_ring *r = pc_test_ring_new(64, pc_test_modes[m].flags);
		void *out[64] = { 0 };

		for (uint32_t i = 0; i < 5; i++)
			cr_assert_eq(pc_ring_enqueue(r, pc_test_obj(i)), 0);

		/* When a burst of 64 is asked for */
		unsigned got = pc_ring_dequeue_burst(r, out, 64);

		/* Then the 5 come out in order, nothing else is written, and the ring is empty */
		cr_assert_eq(got, 5, "%s: dequeued %u", mode, got);
		for (uint32_t i = 0; i < 5; i++)
			cr_assert_eq(out[i], pc_test_obj(i), "%s: item %u", mode, i);
		for (uint32_t i = 5; i < 64; i++)
			cr_assert_null(out[i], "%s: slot %u of the output was written", mode, i);
		pc_test_assert_count(r, 0, mode);
		cr_assert_eq(pc_ring_dequeue_burst(r, out, 64), 0, "%s", mode);
		pc_ring_destroy(r);
	}
}

Test(ring, bursts_of_zero_do_nothing)
{
	for (size_t m = 0; m < PC_TEST_NMODES; m++) {
		const char *mode = pc_test_modes[m].name;
		/* Given an empty ring, then the same ring full */
		struct pc_ring *r = pc_test_ring_new(4, pc_test_modes[m].flags);
		void *objs[4] = { pc_test_obj(0), pc_test_obj(1), pc_test_obj(2), pc_test_obj(3) };

		/* When bursts of 0 are asked for / Then they return 0 and change nothing */
		cr_assert_eq(pc_ring_enqueue_burst(r, objs, 0), 0, "%s", mode);
		cr_assert_eq(pc_ring_dequeue_burst(r, objs, 0), 0, "%s", mode);
		pc_test_assert_count(r, 0, mode);
		cr_assert_eq(pc_ring_enqueue_burst(r, objs, 4), 4, "%s", mode);
		cr_assert_eq(pc_ring_enqueue_burst(r, objs, 0), 0, "%s", mode);
		cr_assert_eq(pc_ring_dequeue_burst(r, objs, 0), 0, "%s", mode);
		pc_test_assert_count(r, 4, mode);
		pc_ring_destroy(r);
	}
}

Test(ring, burst_larger_than_the_ring)
{
	for (size_t m = 0; m < PC_TEST_NMODES; m++) {
		const char *mode = pc_test_modes[m].name;
		/* Given an empty ring of 16 slots and 100 objects */
		struct pc_ring *r = pc_test_ring_new(16, pc_test_modes[m].flags);
		void *in[100], *out[100] = { 0 };

		for (uint32_t i = 0; i < 100; i++)
			in[i] = pc_test_obj(i);

		/* When all 100 are offered at once / Then 16 are taken, and 16 come out */
		cr_assert_eq(pc_ring_enqueue_burst(r, in, 100), 16, "%s", mode);
		pc_test_assert_count(r, 16, mode);
		cr_assert_eq(pc_ring_dequeue_burst(r, out, 100), 16, "%s", mode);
		cr_assert_arr_eq(out, in, 16 * sizeof(void *), "%s", mode);
		pc_ring_destroy(r);
	}
}

Test(ring, single_object_calls_match_the_bursts)
{
	/* Given an SPSC and an MPMC ring, where the fixed-mode calls may be used directly */
	struct pc_ring *spsc = pc_test_ring_new(4, PC_RING_SPSC);
	struct pc_ring *mpmc = pc_test_ring_new(4, PC_RING_MPMC);
	void *in[4] = { pc_test_obj(0), pc_test_obj(1), pc_test_obj(2), pc_test_obj(3) };
	void *out[4] = { 0 };

	/* When each side's explicit variant is called */
	cr_assert_eq(pc_ring_sp_enqueue_burst(spsc, in, 4), 4);
	cr_assert_eq(pc_ring_sp_enqueue_burst(spsc, in, 1), 0);
	cr_assert_eq(pc_ring_sc_dequeue_burst(spsc, out, 4), 4);
	cr_assert_arr_eq(out, in, sizeof(in));
	cr_assert_eq(pc_ring_sc_dequeue_burst(spsc, out, 1), 0);

	memset(out, 0, sizeof(out));
	cr_assert_eq(pc_ring_mp_enqueue_burst(mpmc, in, 4), 4);
	cr_assert_eq(pc_ring_mp_enqueue_burst(mpmc, in, 1), 0);
	cr_assert_eq(pc_ring_mc_dequeue_burst(mpmc, out, 4), 4);
	cr_assert_arr_eq(out, in, sizeof(in));
	cr_assert_eq(pc_ring_mc_dequeue_burst(mpmc, out, 1), 0);

	/* Then they behave as the flag-dispatched calls */
	pc_test_assert_count(spsc, 0, "SPSC");
	pc_test_assert_count(mpmc, 0, "MPMC");
	pc_ring_destroy(spsc);
	pc_ring_destroy(mpmc);
}

Test(ring, rings_placed_back_to_back_stay_apart)
{
	/* Given two rings carved one after the other out of one region, as memsize allows */
	size_t bytes = pc_ring_memsize(8);
	uint8_t *mem = aligned_alloc(PC_CACHE_GUARD, 2 * bytes);
	struct pc_ring *a = (struct pc_ring *)(void *)mem;
	struct pc_ring *b = (struct pc_ring *)(void *)(mem + bytes);
	void *obj;

	cr_assert_not_null(mem);
	cr_assert_eq(pc_ring_init(a, 8, PC_RING_SPSC, "a"), 0);
	cr_assert_eq(pc_ring_init(b, 8, PC_RING_MPMC, "b"), 0);

	/* When the first is filled and the second is used */
	for (uint32_t i = 0; i < 8; i++)
		cr_assert_eq(pc_ring_enqueue(a, pc_test_obj(i)), 0);
	for (uint32_t i = 0; i < 8; i++)
		cr_assert_eq(pc_ring_enqueue(b, pc_test_obj(100 + i)), 0);

	/* Then neither overwrote the other */
	for (uint32_t i = 0; i < 8; i++) {
		cr_assert_eq(pc_ring_dequeue(a, &obj), 0);
		cr_assert_eq(obj, pc_test_obj(i));
		cr_assert_eq(pc_ring_dequeue(b, &obj), 0);
		cr_assert_eq(obj, pc_test_obj(100 + i));
	}
	free(mem);
}
