/* SPDX-License-Identifier: MIT */
/*
 * pkt_test.c - single-thread behaviour of the packet pool and of packet buffers: setup errors,
 * buffer geometry, the prepend/append/trim edge cases, exhaustion (never growth), reference
 * counts, per-thread caches and the pool's accounting. The cross-thread behaviour is in
 * pkt_stress_test.c.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pc_pkt.h"

#define PC_TEST_MAX_PKTS 4096

static struct pc_pkt_pool *pc_test_pool_new(uint32_t count, uint32_t cache_size,
					    uint32_t max_caches)
{
	struct pc_pkt_pool_params p = {
		.name = "test",
		.count = count,
		.cache_size = cache_size,
		.max_caches = max_caches,
		.flags = PC_PKT_POOL_F_NO_HUGEPAGE,
	};
	struct pc_pkt_pool *pool = NULL;
	int rc = pc_pkt_pool_create(&pool, &p);

	cr_assert_eq(rc, 0, "pc_pkt_pool_create(count %u) = %d", count, rc);
	cr_assert_not_null(pool);
	return pool;
}

static struct pc_pkt_cache *pc_test_attach(struct pc_pkt_pool *pool)
{
	struct pc_pkt_cache *c = NULL;

	cr_assert_eq(pc_pkt_cache_attach(pool, &c), 0);
	cr_assert_not_null(c);
	return c;
}

static struct pc_pkt_pool_stats pc_test_stats(const struct pc_pkt_pool *pool)
{
	struct pc_pkt_pool_stats st;

	pc_pkt_pool_stats(pool, &st);
	return st;
}

/* Asserts that the pool, idle, has @in_use buffers out and the rest available. */
static void pc_test_assert_in_use(const struct pc_pkt_pool *pool, uint32_t in_use)
{
	struct pc_pkt_pool_stats st = pc_test_stats(pool);

	cr_assert_eq(st.in_use, in_use, "in_use %u, expected %u", st.in_use, in_use);
	cr_assert_eq(st.avail, st.count - in_use, "avail %u with %u of %u in use", st.avail, in_use,
		     st.count);
	cr_assert_eq(st.allocs - st.frees, in_use, "allocs %llu - frees %llu, expected %u",
		     (unsigned long long)st.allocs, (unsigned long long)st.frees, in_use);
}

/* Takes every buffer still in the shared ring, without a cache, checks that they are distinct,
 * gives them back and returns how many there were. Buffers held in caches are out of its reach
 * and each one counts as an alloc failure. */
static unsigned pc_test_drain_ring(struct pc_pkt_pool *pool)
{
	static struct pc_pkt *pkts[PC_TEST_MAX_PKTS];
	static uint8_t taken[PC_TEST_MAX_PKTS];
	uint32_t count = pc_pkt_pool_count(pool);
	struct pc_pkt_pool_stats before = pc_test_stats(pool);
	unsigned got;

	cr_assert_leq(count, PC_TEST_MAX_PKTS);
	memset(taken, 0, sizeof(taken));
	got = pc_pkt_pool_alloc_burst(pool, pkts, count);
	for (unsigned i = 0; i < got; i++) {
		cr_assert_lt(pkts[i]->index, count);
		cr_assert_eq(taken[pkts[i]->index], 0, "buffer %u twice in the ring",
			     pkts[i]->index);
		taken[pkts[i]->index] = 1;
	}
	pc_pkt_pool_free_burst(pool, pkts, got);
	cr_assert_eq(pc_test_stats(pool).in_use, before.in_use);
	return got;
}

/* --- setup ----------------------------------------------------------------------------------- */

Test(pkt, create_rejects_bad_parameters)
{
	struct pc_pkt_pool *sentinel = (struct pc_pkt_pool *)(uintptr_t)0xdead0000u;
	struct pc_pkt_pool *pool = sentinel;
	struct pc_pkt_pool_params ok = { .count = 16, .flags = PC_PKT_POOL_F_NO_HUGEPAGE };
	struct pc_pkt_pool_params p;

	/* Given parameters that are each wrong in one way / When a pool is created / Then
	 * -EINVAL, and *out is not written */
	p = ok;
	p.count = 0;
	cr_assert_eq(pc_pkt_pool_create(&pool, &p), -EINVAL, "count 0");
	p = ok;
	p.headroom = PC_PKT_HEADROOM_MIN - 1;
	cr_assert_eq(pc_pkt_pool_create(&pool, &p), -EINVAL, "headroom 127");
	p.headroom = 1;
	cr_assert_eq(pc_pkt_pool_create(&pool, &p), -EINVAL, "headroom 1");
	p = ok;
	p.tailroom = PC_PKT_TAILROOM_MIN - 1;
	cr_assert_eq(pc_pkt_pool_create(&pool, &p), -EINVAL, "tailroom 63");
	p.tailroom = 1;
	cr_assert_eq(pc_pkt_pool_create(&pool, &p), -EINVAL, "tailroom 1");
	p = ok;
	p.cache_size = PC_PKT_CACHE_SIZE_MAX + 1;
	cr_assert_eq(pc_pkt_pool_create(&pool, &p), -EINVAL, "cache_size above the maximum");
	cr_assert_eq(pool, sentinel);

	/* And NULL arguments are refused */
	cr_assert_eq(pc_pkt_pool_create(NULL, &ok), -EINVAL);
	cr_assert_eq(pc_pkt_pool_create(&pool, NULL), -EINVAL);
	cr_assert_eq(pool, sentinel);
}

Test(pkt, create_rejects_a_buffer_longer_than_buf_len_can_say)
{
	/* Given rooms that add up to one byte more than the 16-bit buf_len can hold */
	struct pc_pkt_pool_params p = {
		.count = 1,
		.headroom = PC_PKT_HEADROOM_MIN,
		.tailroom = PC_PKT_TAILROOM_MIN,
		.data_room = UINT16_MAX - PC_PKT_HEADROOM_MIN - PC_PKT_TAILROOM_MIN + 1,
		.flags = PC_PKT_POOL_F_NO_HUGEPAGE,
	};
	struct pc_pkt_pool *pool = NULL;
	struct pc_pkt *pkt;

	/* When the pool is created / Then it is refused */
	cr_assert_eq(pc_pkt_pool_create(&pool, &p), -EINVAL);

	/* And one byte less is accepted, with buf_len exactly UINT16_MAX */
	p.data_room--;
	cr_assert_eq(pc_pkt_pool_create(&pool, &p), 0);
	pkt = pc_pkt_pool_at(pool, 0);
	cr_assert_eq(pkt->buf_len, UINT16_MAX);
	cr_assert_eq(pc_pkt_pool_data_room(pool), p.data_room);
	pc_pkt_pool_destroy(pool);
}

Test(pkt, create_accepts_the_minimum_rooms_and_the_defaults)
{
	/* Given the smallest legal rooms, then all defaults (zeros) */
	struct pc_pkt_pool_params p = {
		.count = 4,
		.headroom = PC_PKT_HEADROOM_MIN,
		.tailroom = PC_PKT_TAILROOM_MIN,
		.data_room = 1,
		.cache_size = PC_PKT_CACHE_SIZE_MAX,
		.flags = PC_PKT_POOL_F_NO_HUGEPAGE,
	};
	struct pc_pkt_pool_params defaults = { .count = 4, .flags = PC_PKT_POOL_F_NO_HUGEPAGE };
	struct pc_pkt_pool *pool;
	struct pc_pkt *pkt;

	/* When pools are created / Then they are, with the rooms asked or the documented
	 * defaults */
	cr_assert_eq(pc_pkt_pool_create(&pool, &p), 0);
	pkt = pc_pkt_pool_at(pool, 0);
	cr_assert_eq(pkt->buf_len, PC_PKT_HEADROOM_MIN + 1 + PC_PKT_TAILROOM_MIN);
	pc_pkt_pool_destroy(pool);

	cr_assert_eq(pc_pkt_pool_create(&pool, &defaults), 0);
	cr_assert_eq(pc_pkt_pool_data_room(pool), PC_PKT_DATA_ROOM_DEFAULT);
	pkt = pc_pkt_pool_at(pool, 3);
	cr_assert_eq(pkt->buf_len,
		     PC_PKT_HEADROOM_MIN + PC_PKT_DATA_ROOM_DEFAULT + PC_PKT_TAILROOM_MIN);
	cr_assert_eq(pkt->data_off, PC_PKT_HEADROOM_MIN);
	pc_pkt_pool_destroy(pool);
	pc_pkt_pool_destroy(NULL);
}

Test(pkt, fresh_buffer_geometry)
{
	/* Given a pool with 256 B of headroom, 1500 B of data room and 100 B of tailroom */
	struct pc_pkt_pool_params p = {
		.count = 8,
		.headroom = 256,
		.data_room = 1500,
		.tailroom = 100,
		.flags = PC_PKT_POOL_F_NO_HUGEPAGE,
	};
	struct pc_pkt_pool *pool;
	struct pc_pkt_cache *c;
	struct pc_pkt *fresh[2];

	cr_assert_eq(pc_pkt_pool_create(&pool, &p), 0);
	cr_assert_eq(pc_pkt_pool_count(pool), 8);
	cr_assert_eq(pc_pkt_pool_data_room(pool), 1500);
	c = pc_test_attach(pool);

	/* When buffers are taken through a cache and without one */
	fresh[0] = pc_pkt_alloc(c);
	cr_assert_eq(pc_pkt_pool_alloc_burst(pool, &fresh[1], 1), 1);

	for (int i = 0; i < 2; i++) {
		struct pc_pkt *pkt = fresh[i];

		/* Then each is empty at the headroom, with one reference, owned by the pool */
		cr_assert_not_null(pkt);
		cr_assert_eq(pkt->pool, pool);
		cr_assert_eq(pc_pkt_refcnt(pkt), 1);
		cr_assert_not(pc_pkt_is_shared(pkt));
		cr_assert_eq(pc_pkt_len(pkt), 0);
		cr_assert_eq(pc_pkt_headroom(pkt), 256);
		cr_assert_geq(pc_pkt_headroom(pkt), PC_PKT_HEADROOM_MIN);
		cr_assert_eq(pkt->buf_len, 256 + 1500 + 100);
		cr_assert_eq(pc_pkt_data(pkt), pkt->buf + 256);
		/* And the buffer starts right after the header, which is cache-line aligned */
		cr_assert_eq(pkt->buf, (uint8_t *)(pkt + 1));
		cr_assert_eq((uintptr_t)pkt % PC_CACHE_LINE, 0, "header at %p", (void *)pkt);
		/* And when the data room is filled the tailroom asked for is left */
		cr_assert_eq(pc_pkt_tailroom(pkt), 1500 + 100);
		cr_assert_eq(pc_pkt_set_len(pkt, 1500), 0);
		cr_assert_eq(pc_pkt_tailroom(pkt), 100);
		cr_assert_geq(pc_pkt_tailroom(pkt), PC_PKT_TAILROOM_MIN);
	}
	pc_pkt_free(c, fresh[0]);
	pc_pkt_free(NULL, fresh[1]);
	pc_pkt_cache_detach(c);
	pc_pkt_pool_destroy(pool);
}

Test(pkt, buffers_do_not_overlap_and_keep_their_index)
{
	/* Given a pool of 64 buffers with the default rooms */
	struct pc_pkt_pool *pool = pc_test_pool_new(64, 0, 0);
	uint16_t buf_len = pc_pkt_pool_at(pool, 0)->buf_len;

	/* When every buffer is filled to the last byte with its index */
	for (uint32_t i = 0; i < 64; i++) {
		struct pc_pkt *pkt = pc_pkt_pool_at(pool, i);

		cr_assert_not_null(pkt);
		cr_assert_eq(pkt->index, i);
		cr_assert_eq(pkt->pool, pool);
		memset(pkt->buf, (int)i, buf_len);
	}

	/* Then no buffer ran into another one's header or bytes */
	for (uint32_t i = 0; i < 64; i++) {
		struct pc_pkt *pkt = pc_pkt_pool_at(pool, i);

		cr_assert_eq(pkt->index, i, "header %u overwritten", i);
		cr_assert_eq(pkt->buf_len, buf_len, "header %u overwritten", i);
		cr_assert_eq(pkt->pool, pool, "header %u overwritten", i);
		for (uint32_t j = 0; j < buf_len; j++)
			cr_assert_eq(pkt->buf[j], (uint8_t)i, "buffer %u byte %u", i, j);
		if (i > 0) {
			struct pc_pkt *prev = pc_pkt_pool_at(pool, i - 1);

			cr_assert_geq((uintptr_t)pkt, (uintptr_t)(prev->buf + buf_len));
		}
	}
	pc_pkt_pool_destroy(pool);
}

Test(pkt, index_maps_back_to_the_buffer)
{
	/* Given a pool of 100 buffers */
	struct pc_pkt_pool *pool = pc_test_pool_new(100, 0, 0);
	struct pc_pkt *pkts[100];
	uint8_t seen[100] = { 0 };

	/* When all of them are taken */
	cr_assert_eq(pc_pkt_pool_alloc_burst(pool, pkts, 100), 100);

	/* Then each index is a distinct number below count, and pc_pkt_pool_at() maps it back */
	for (int i = 0; i < 100; i++) {
		uint32_t idx = pkts[i]->index;

		cr_assert_lt(idx, 100);
		cr_assert_eq(seen[idx], 0, "index %u handed out twice", idx);
		seen[idx] = 1;
		cr_assert_eq(pc_pkt_pool_at(pool, idx), pkts[i]);
	}
	pc_pkt_pool_free_burst(pool, pkts, 100);
	pc_pkt_pool_destroy(pool);
}

/* --- data edges ------------------------------------------------------------------------------ */

static struct pc_pkt *pc_test_snapshot(const struct pc_pkt *pkt, struct pc_pkt *copy)
{
	memcpy(copy, pkt, sizeof(*copy));
	return copy;
}

static void pc_test_assert_unchanged(const struct pc_pkt *pkt, const struct pc_pkt *before)
{
	cr_assert_eq(pkt->data_off, before->data_off, "data_off changed");
	cr_assert_eq(pkt->data_len, before->data_len, "data_len changed");
	cr_assert_eq(pkt->buf_len, before->buf_len, "buf_len changed");
}

Test(pkt, prepend_exact_fit_and_one_byte_more)
{
	/* Given a fresh buffer with 128 B of headroom */
	struct pc_pkt_pool *pool = pc_test_pool_new(2, 0, 0);
	struct pc_pkt *pkt, before;

	cr_assert_eq(pc_pkt_pool_alloc_burst(pool, &pkt, 1), 1);
	cr_assert_eq(pc_pkt_headroom(pkt), PC_PKT_HEADROOM_MIN);

	/* When one byte more than the headroom is prepended / Then NULL, nothing changed */
	pc_test_snapshot(pkt, &before);
	cr_assert_null(pc_pkt_prepend(pkt, PC_PKT_HEADROOM_MIN + 1));
	pc_test_assert_unchanged(pkt, &before);

	/* When 100 B and then exactly the remaining 28 B are prepended / Then both succeed and
	 * the data starts at the very beginning of the buffer */
	cr_assert_eq(pc_pkt_prepend(pkt, 100), pkt->buf + 28);
	cr_assert_eq(pc_pkt_len(pkt), 100);
	cr_assert_eq(pc_pkt_prepend(pkt, 28), pkt->buf);
	cr_assert_eq(pc_pkt_headroom(pkt), 0);
	cr_assert_eq(pc_pkt_len(pkt), PC_PKT_HEADROOM_MIN);
	cr_assert_eq(pc_pkt_data(pkt), pkt->buf);

	/* And one more byte is refused, while 0 bytes are fine */
	pc_test_snapshot(pkt, &before);
	cr_assert_null(pc_pkt_prepend(pkt, 1));
	pc_test_assert_unchanged(pkt, &before);
	cr_assert_eq(pc_pkt_prepend(pkt, 0), pkt->buf);
	pc_test_assert_unchanged(pkt, &before);

	pc_pkt_free(NULL, pkt);
	pc_pkt_pool_destroy(pool);
}

Test(pkt, append_exact_fit_and_one_byte_more)
{
	/* Given a fresh buffer: data room plus tailroom after the (empty) data */
	struct pc_pkt_pool *pool = pc_test_pool_new(2, 0, 0);
	uint16_t room = PC_PKT_DATA_ROOM_DEFAULT + PC_PKT_TAILROOM_MIN;
	struct pc_pkt *pkt, before;
	uint8_t *tail;

	cr_assert_eq(pc_pkt_pool_alloc_burst(pool, &pkt, 1), 1);
	cr_assert_eq(pc_pkt_tailroom(pkt), room);

	/* When one byte more than the tailroom is appended / Then NULL, nothing changed */
	pc_test_snapshot(pkt, &before);
	cr_assert_null(pc_pkt_append(pkt, room + 1));
	pc_test_assert_unchanged(pkt, &before);

	/* When 12 B, then exactly the rest are appended / Then both land right after the data */
	tail = pc_pkt_append(pkt, 12);
	cr_assert_eq(tail, pc_pkt_data(pkt));
	memset(tail, 0xab, 12);
	tail = pc_pkt_append(pkt, room - 12);
	cr_assert_eq(tail, pc_pkt_data(pkt) + 12);
	cr_assert_eq(pc_pkt_len(pkt), room);
	cr_assert_eq(pc_pkt_tailroom(pkt), 0);
	cr_assert_eq(pc_pkt_data(pkt) + pc_pkt_len(pkt), pkt->buf + pkt->buf_len);
	memset(tail, 0xcd, room - 12); /* the last byte of the buffer is writable */

	/* And one byte more is refused */
	pc_test_snapshot(pkt, &before);
	cr_assert_null(pc_pkt_append(pkt, 1));
	pc_test_assert_unchanged(pkt, &before);
	cr_assert_eq(pc_pkt_data(pkt)[0], 0xab);

	pc_pkt_free(NULL, pkt);
	pc_pkt_pool_destroy(pool);
}

Test(pkt, trim_front_and_back_exact_fit_and_one_byte_more)
{
	/* Given a buffer holding 40 B */
	struct pc_pkt_pool *pool = pc_test_pool_new(2, 0, 0);
	struct pc_pkt *pkt, before;
	uint8_t *data;

	cr_assert_eq(pc_pkt_pool_alloc_burst(pool, &pkt, 1), 1);
	data = pc_pkt_append(pkt, 40);
	for (int i = 0; i < 40; i++)
		data[i] = (uint8_t)i;

	/* When 41 B are trimmed at either end / Then -EINVAL, nothing changed */
	pc_test_snapshot(pkt, &before);
	cr_assert_eq(pc_pkt_trim_front(pkt, 41), -EINVAL);
	pc_test_assert_unchanged(pkt, &before);
	cr_assert_eq(pc_pkt_trim_back(pkt, 41), -EINVAL);
	pc_test_assert_unchanged(pkt, &before);

	/* When a 12 B header is consumed and a 10 B tag dropped / Then the middle is left */
	cr_assert_eq(pc_pkt_trim_front(pkt, 12), 0);
	cr_assert_eq(pc_pkt_trim_back(pkt, 10), 0);
	cr_assert_eq(pc_pkt_len(pkt), 18);
	cr_assert_eq(pc_pkt_data(pkt)[0], 12);
	cr_assert_eq(pc_pkt_data(pkt)[17], 29);
	cr_assert_eq(pc_pkt_headroom(pkt), PC_PKT_HEADROOM_MIN + 12);

	/* And exactly the rest can be trimmed at the front, leaving empty data */
	cr_assert_eq(pc_pkt_trim_front(pkt, 19), -EINVAL);
	cr_assert_eq(pc_pkt_trim_front(pkt, 18), 0);
	cr_assert_eq(pc_pkt_len(pkt), 0);
	cr_assert_eq(pc_pkt_trim_front(pkt, 1), -EINVAL);
	cr_assert_eq(pc_pkt_trim_back(pkt, 1), -EINVAL);
	cr_assert_eq(pc_pkt_trim_back(pkt, 0), 0);

	/* And exactly all can be trimmed at the back */
	cr_assert_not_null(pc_pkt_append(pkt, 5));
	cr_assert_eq(pc_pkt_trim_back(pkt, 5), 0);
	cr_assert_eq(pc_pkt_len(pkt), 0);

	pc_pkt_free(NULL, pkt);
	pc_pkt_pool_destroy(pool);
}

Test(pkt, set_len_exact_fit_and_one_byte_more)
{
	/* Given a fresh buffer */
	struct pc_pkt_pool *pool = pc_test_pool_new(2, 0, 0);
	uint16_t room = PC_PKT_DATA_ROOM_DEFAULT + PC_PKT_TAILROOM_MIN;
	struct pc_pkt *pkt, before;

	cr_assert_eq(pc_pkt_pool_alloc_burst(pool, &pkt, 1), 1);

	/* When the length is set past the end of the buffer / Then -EINVAL, nothing changed */
	pc_test_snapshot(pkt, &before);
	cr_assert_eq(pc_pkt_set_len(pkt, room + 1), -EINVAL);
	pc_test_assert_unchanged(pkt, &before);

	/* When it is set to exactly the room after data_off / Then it is accepted */
	cr_assert_eq(pc_pkt_set_len(pkt, room), 0);
	cr_assert_eq(pc_pkt_len(pkt), room);
	cr_assert_eq(pc_pkt_tailroom(pkt), 0);
	cr_assert_eq(pc_pkt_set_len(pkt, 0), 0);

	/* And after a prepend the room grows by what was prepended */
	cr_assert_not_null(pc_pkt_prepend(pkt, 8));
	cr_assert_eq(pc_pkt_set_len(pkt, room + 8), 0);
	cr_assert_eq(pc_pkt_set_len(pkt, room + 9), -EINVAL);

	pc_pkt_free(NULL, pkt);
	pc_pkt_pool_destroy(pool);
}

Test(pkt, headers_and_tag_wrap_the_payload_in_place)
{
	/* Given a 160 B payload received at the headroom */
	struct pc_pkt_pool *pool = pc_test_pool_new(2, 0, 0);
	struct pc_pkt *pkt;
	uint8_t *rtp, *ip, *tag;

	cr_assert_eq(pc_pkt_pool_alloc_burst(pool, &pkt, 1), 1);
	memset(pc_pkt_data(pkt), 0x55, 160);
	cr_assert_eq(pc_pkt_set_len(pkt, 160), 0);

	/* When a 12 B RTP header and 28 B of IP/UDP are prepended and a 10 B tag appended */
	rtp = pc_pkt_prepend(pkt, 12);
	memset(rtp, 0x80, 12);
	ip = pc_pkt_prepend(pkt, 28);
	memset(ip, 0x45, 28);
	tag = pc_pkt_append(pkt, 10);
	memset(tag, 0xee, 10);

	/* Then the packet is one contiguous run: headers, payload, tag */
	cr_assert_eq(pc_pkt_len(pkt), 28 + 12 + 160 + 10);
	cr_assert_eq(pc_pkt_data(pkt), ip);
	cr_assert_eq(ip + 28, rtp);
	cr_assert_eq(rtp + 12 + 160, tag);
	cr_assert_eq(pc_pkt_data(pkt)[40], 0x55);
	cr_assert_eq(pc_pkt_data(pkt)[199], 0x55);

	pc_pkt_free(NULL, pkt);
	pc_pkt_pool_destroy(pool);
}

Test(pkt, alloc_resets_what_the_last_holder_changed)
{
	/* Given a pool of one buffer, taken and changed by its holder, then freed */
	struct pc_pkt_pool *pool = pc_test_pool_new(1, 0, 0);
	struct pc_pkt_cache *c = pc_test_attach(pool);
	struct pc_pkt *pkt = pc_pkt_alloc(c), *again;

	for (int pass = 0; pass < 2; pass++) {
		cr_assert_not_null(pkt);
		cr_assert_not_null(pc_pkt_prepend(pkt, 20));
		cr_assert_not_null(pc_pkt_append(pkt, 300));
		pkt->port = 3;
		pkt->flags = 0x7;
		pkt->stream = 42;
		if (pass == 0)
			pc_pkt_free(c, pkt);
		else
			pc_pkt_free(NULL, pkt);

		/* When it is taken again, through the cache, then without one */
		if (pass == 0) {
			again = pc_pkt_alloc(c);
		} else {
			pc_pkt_cache_detach(c);
			cr_assert_eq(pc_pkt_pool_alloc_burst(pool, &again, 1), 1);
		}

		/* Then it is the same buffer, reset to empty data at the headroom */
		cr_assert_eq(again, pkt);
		cr_assert_eq(pc_pkt_headroom(again), PC_PKT_HEADROOM_MIN);
		cr_assert_eq(pc_pkt_len(again), 0);
		cr_assert_eq(again->port, 0);
		cr_assert_eq(again->flags, 0);
		cr_assert_eq(again->stream, 0);
		cr_assert_eq(pc_pkt_refcnt(again), 1);
	}
	pc_pkt_pool_free_burst(pool, &pkt, 1);
	pc_pkt_pool_destroy(pool);
}

/* --- exhaustion ------------------------------------------------------------------------------ */

static void pc_test_exhaust_through_cache(uint32_t count, uint32_t cache_size)
{
	/* Given a pool of `count` buffers and a cache */
	struct pc_pkt_pool *pool = pc_test_pool_new(count, cache_size, 0);
	struct pc_pkt_cache *c = pc_test_attach(pool);
	struct pc_pkt **pkts = calloc(count, sizeof(*pkts));
	uint8_t *seen = calloc(count, 1);
	struct pc_pkt_pool_stats st;
	struct pc_pkt *last;

	cr_assert_not_null(pkts);
	cr_assert_not_null(seen);

	/* When all `count` buffers are taken one by one */
	for (uint32_t i = 0; i < count; i++) {
		pkts[i] = pc_pkt_alloc(c);
		cr_assert_not_null(pkts[i], "alloc %u of %u failed", i, count);
		cr_assert_eq(seen[pkts[i]->index], 0, "buffer %u handed out twice", pkts[i]->index);
		seen[pkts[i]->index] = 1;
	}
	pc_test_assert_in_use(pool, count);

	/* Then the next ones fail, are counted, and the pool does not grow */
	cr_assert_null(pc_pkt_alloc(c));
	cr_assert_null(pc_pkt_alloc(c));
	cr_assert_eq(pc_pkt_alloc_burst(c, pkts, 0), 0);
	st = pc_test_stats(pool);
	cr_assert_eq(st.alloc_fails, 2);
	cr_assert_eq(st.count, count);
	cr_assert_eq(st.avail, 0);
	cr_assert_eq(st.allocs, count);
	cr_assert_eq(pc_pkt_pool_count(pool), count);

	/* And freeing one makes exactly one allocatable again */
	last = pkts[count - 1];
	pc_pkt_free(c, last);
	pc_test_assert_in_use(pool, count - 1);
	pkts[count - 1] = pc_pkt_alloc(c);
	cr_assert_eq(pkts[count - 1], last);
	cr_assert_null(pc_pkt_alloc(c));
	cr_assert_eq(pc_test_stats(pool).alloc_fails, 3);

	/* And once all are back, all are available */
	pc_pkt_free_burst(c, pkts, count);
	pc_test_assert_in_use(pool, 0);
	pc_pkt_cache_detach(c);
	pc_test_assert_in_use(pool, 0);
	cr_assert_eq(pc_test_drain_ring(pool), count);
	free(seen);
	free(pkts);
	pc_pkt_pool_destroy(pool);
}

Test(pkt, exhaustion_through_a_cache_larger_than_the_pool)
{
	pc_test_exhaust_through_cache(50, 64);
}

Test(pkt, exhaustion_through_a_cache_with_default_size)
{
	pc_test_exhaust_through_cache(1000, 0);
}

Test(pkt, exhaustion_through_a_small_cache)
{
	pc_test_exhaust_through_cache(1000, 8);
}

Test(pkt, exhaustion_without_a_cache)
{
	/* Given a pool of 100 buffers */
	struct pc_pkt_pool *pool = pc_test_pool_new(100, 0, 0);
	struct pc_pkt *pkts[100], *extra[5];
	struct pc_pkt_pool_stats st;

	/* When all are taken without a cache */
	cr_assert_eq(pc_pkt_pool_alloc_burst(pool, pkts, 60), 60);
	cr_assert_eq(pc_pkt_pool_alloc_burst(pool, pkts + 60, 40), 40);
	pc_test_assert_in_use(pool, 100);

	/* Then more fail, each buffer asked for counted, and the pool does not grow */
	cr_assert_eq(pc_pkt_pool_alloc_burst(pool, extra, 1), 0);
	cr_assert_eq(pc_pkt_pool_alloc_burst(pool, extra, 5), 0);
	st = pc_test_stats(pool);
	cr_assert_eq(st.alloc_fails, 6);
	cr_assert_eq(st.count, 100);
	cr_assert_eq(st.avail, 0);

	/* And freeing one makes one allocatable again */
	pc_pkt_pool_free_burst(pool, pkts + 99, 1);
	cr_assert_eq(pc_pkt_pool_alloc_burst(pool, extra, 5), 1);
	cr_assert_eq(extra[0], pkts[99]);
	cr_assert_eq(pc_test_stats(pool).alloc_fails, 10);

	pc_pkt_pool_free_burst(pool, pkts, 100);
	pc_test_assert_in_use(pool, 0);
	cr_assert_eq(pc_test_drain_ring(pool), 100);
	pc_pkt_pool_destroy(pool);
}

Test(pkt, exhaustion_while_another_cache_holds_buffers)
{
	/* Given a pool of 64 with cache size 8, where cache A has taken and freed 8 buffers */
	struct pc_pkt_pool *pool = pc_test_pool_new(64, 8, 0);
	struct pc_pkt_cache *a = pc_test_attach(pool);
	struct pc_pkt_cache *b = pc_test_attach(pool);
	struct pc_pkt *pkts[64];
	unsigned got = 0;

	cr_assert_eq(pc_pkt_alloc_burst(a, pkts, 8), 8);
	pc_pkt_free_burst(a, pkts, 8);
	cr_assert_geq(a->len, 8);

	/* When cache B takes all it can */
	while (got < 64 && (pkts[got] = pc_pkt_alloc(b)) != NULL)
		got++;

	/* Then it gets exactly what A does not hold, and fails after that */
	cr_assert_eq(got, 64 - a->len, "B got %u with %u in A", got, a->len);
	cr_assert_eq(pc_test_stats(pool).alloc_fails, 1);
	pc_test_assert_in_use(pool, got);

	/* And once A is detached its buffers become B's to take */
	pc_pkt_cache_detach(a);
	while (got < 64 && (pkts[got] = pc_pkt_alloc(b)) != NULL)
		got++;
	cr_assert_eq(got, 64);
	pc_pkt_free_burst(b, pkts, 64);
	pc_pkt_cache_detach(b);
	pc_test_assert_in_use(pool, 0);
	cr_assert_eq(pc_test_drain_ring(pool), 64);
	pc_pkt_pool_destroy(pool);
}

Test(pkt, alloc_burst_partial_when_the_pool_runs_low)
{
	/* Given a pool of 10 buffers and a cache */
	struct pc_pkt_pool *pool = pc_test_pool_new(10, 0, 0);
	struct pc_pkt_cache *c = pc_test_attach(pool);
	struct pc_pkt *pkts[16];

	/* When 16 are asked for in one burst */
	unsigned got = pc_pkt_alloc_burst(c, pkts, 16);

	/* Then all 10 come, and the 6 missing are counted as failures */
	cr_assert_eq(got, 10, "alloc_burst(16) from a pool of 10 gave %u", got);
	cr_assert_eq(pc_test_stats(pool).alloc_fails, 6);
	cr_assert_eq(pc_pkt_alloc_burst(c, pkts + got, 1), 0);
	cr_assert_eq(pc_test_stats(pool).alloc_fails, 7);
	pc_test_assert_in_use(pool, got);

	pc_pkt_free_burst(c, pkts, got);
	pc_pkt_cache_detach(c);
	pc_test_assert_in_use(pool, 0);
	pc_pkt_pool_destroy(pool);
}

Test(pkt, pool_alloc_burst_partial_when_the_pool_runs_low)
{
	/* Given a pool of 10 buffers of which 7 are taken */
	struct pc_pkt_pool *pool = pc_test_pool_new(10, 0, 0);
	struct pc_pkt *pkts[10];

	cr_assert_eq(pc_pkt_pool_alloc_burst(pool, pkts, 7), 7);

	/* When 5 more are asked for without a cache / Then 3 come and 2 are counted missing */
	cr_assert_eq(pc_pkt_pool_alloc_burst(pool, pkts + 7, 5), 3);
	cr_assert_eq(pc_test_stats(pool).alloc_fails, 2);
	pc_test_assert_in_use(pool, 10);

	pc_pkt_pool_free_burst(pool, pkts, 10);
	pc_test_assert_in_use(pool, 0);
	pc_pkt_pool_destroy(pool);
}

Test(pkt, alloc_burst_larger_than_the_cache_is_not_cut_short)
{
	/* Given a pool of 1024 buffers and a cache of 16 (it holds at most 32) */
	struct pc_pkt_pool *pool = pc_test_pool_new(1024, 16, 0);
	struct pc_pkt_cache *c = pc_test_attach(pool);
	struct pc_pkt *pkts[200];

	/* When 200 are asked for in one burst, from an empty and then from a warm cache */
	unsigned got = pc_pkt_alloc_burst(c, pkts, 200);

	/* Then all 200 come, since the pool has plenty: nothing counts as a failure */
	cr_assert_eq(got, 200, "alloc_burst(200) with 1024 free gave %u", got);
	cr_assert_eq(pc_test_stats(pool).alloc_fails, 0);
	pc_pkt_free_burst(c, pkts, got);
	got = pc_pkt_alloc_burst(c, pkts, 200);
	cr_assert_eq(got, 200, "alloc_burst(200) with 1024 free gave %u", got);
	cr_assert_eq(pc_test_stats(pool).alloc_fails, 0);

	pc_pkt_free_burst(c, pkts, got);
	pc_pkt_cache_detach(c);
	pc_test_assert_in_use(pool, 0);
	cr_assert_eq(pc_test_drain_ring(pool), 1024);
	pc_pkt_pool_destroy(pool);
}

/* --- references ------------------------------------------------------------------------------ */

static void pc_test_fanout(bool with_cache)
{
	/* Given a pool of one buffer, taken, and referenced twice for two more holders */
	struct pc_pkt_pool *pool = pc_test_pool_new(1, 0, 0);
	struct pc_pkt_cache *c = with_cache ? pc_test_attach(pool) : NULL;
	struct pc_pkt *pkt, *other = NULL;
	struct pc_pkt_pool_stats st;

	cr_assert_eq(pc_pkt_pool_alloc_burst(pool, &pkt, 1), 1);
	cr_assert_eq(pc_pkt_ref(pkt), pkt);
	cr_assert_eq(pc_pkt_ref(pkt), pkt);
	cr_assert_eq(pc_pkt_refcnt(pkt), 3);
	cr_assert(pc_pkt_is_shared(pkt));

	/* When the first two holders free it */
	pc_pkt_free(c, pkt);
	cr_assert_eq(pc_pkt_refcnt(pkt), 2);
	pc_test_assert_in_use(pool, 1);
	pc_pkt_free(c, pkt);
	cr_assert_eq(pc_pkt_refcnt(pkt), 1);
	cr_assert_not(pc_pkt_is_shared(pkt));

	/* Then it is still out: the pool has nothing to give */
	pc_test_assert_in_use(pool, 1);
	cr_assert_eq(pc_pkt_pool_alloc_burst(pool, &other, 1), 0);
	if (c != NULL)
		cr_assert_null(pc_pkt_alloc(c));

	/* When the last holder frees it / Then it is back, counted as one free */
	pc_pkt_free(c, pkt);
	st = pc_test_stats(pool);
	cr_assert_eq(st.frees, 1);
	cr_assert_eq(st.in_use, 0);
	cr_assert_eq(st.avail, 1);
	if (c != NULL)
		other = pc_pkt_alloc(c);
	else
		cr_assert_eq(pc_pkt_pool_alloc_burst(pool, &other, 1), 1);
	cr_assert_eq(other, pkt);
	cr_assert_eq(pc_pkt_refcnt(other), 1, "a reused buffer starts with one reference");

	pc_pkt_free(c, other);
	if (c != NULL)
		pc_pkt_cache_detach(c);
	pc_test_assert_in_use(pool, 0);
	pc_pkt_pool_destroy(pool);
}

Test(pkt, fanout_returns_the_buffer_on_the_last_free)
{
	pc_test_fanout(true);
}

Test(pkt, fanout_returns_the_buffer_on_the_last_free_without_a_cache)
{
	pc_test_fanout(false);
}

/* --- caches ---------------------------------------------------------------------------------- */

Test(pkt, cache_attach_stops_at_max_caches)
{
	/* Given a pool that allows 3 caches */
	struct pc_pkt_pool *pool = pc_test_pool_new(64, 4, 3);
	struct pc_pkt_cache *c[3];
	struct pc_pkt_cache *sentinel = (struct pc_pkt_cache *)(uintptr_t)0xdead0000u;
	struct pc_pkt_cache *extra = sentinel;

	/* When 3 are attached / Then they are distinct caches of this pool */
	for (int i = 0; i < 3; i++) {
		c[i] = pc_test_attach(pool);
		cr_assert_eq(c[i]->pool, pool);
		cr_assert_eq(c[i]->len, 0);
		for (int j = 0; j < i; j++)
			cr_assert_neq(c[i], c[j]);
	}

	/* And a fourth is refused with -EBUSY, *out untouched */
	cr_assert_eq(pc_pkt_cache_attach(pool, &extra), -EBUSY);
	cr_assert_eq(extra, sentinel);

	/* And after one is detached, one can be attached again */
	pc_pkt_cache_detach(c[1]);
	cr_assert_eq(pc_pkt_cache_attach(pool, &extra), 0);
	cr_assert_neq(extra, sentinel);
	cr_assert_eq(pc_pkt_cache_attach(pool, &extra), -EBUSY);
	pc_pkt_pool_destroy(pool);
}

Test(pkt, default_max_caches)
{
	/* Given a pool with max_caches left at 0 */
	struct pc_pkt_pool *pool = pc_test_pool_new(64, 0, 0);
	struct pc_pkt_cache *c;

	/* When caches are attached / Then PC_PKT_CACHES_DEFAULT are allowed */
	for (unsigned i = 0; i < PC_PKT_CACHES_DEFAULT; i++)
		cr_assert_eq(pc_pkt_cache_attach(pool, &c), 0, "cache %u", i);
	cr_assert_eq(pc_pkt_cache_attach(pool, &c), -EBUSY);
	pc_pkt_pool_destroy(pool);
}

Test(pkt, detach_returns_the_cached_buffers_to_the_ring)
{
	/* Given a pool of 64 and a cache of 16 that has refilled and holds buffers */
	struct pc_pkt_pool *pool = pc_test_pool_new(64, 16, 0);
	struct pc_pkt_cache *c = pc_test_attach(pool);
	struct pc_pkt *pkt = pc_pkt_alloc(c);
	uint32_t held;

	cr_assert_not_null(pkt);
	pc_pkt_free(c, pkt);
	held = c->len;
	cr_assert_gt(held, 0);

	/* Then while attached they are out of the shared ring's reach, though counted free */
	pc_test_assert_in_use(pool, 0);
	cr_assert_eq(pc_test_drain_ring(pool), 64 - held);

	/* When the cache is detached */
	pc_pkt_cache_detach(c);

	/* Then every buffer is in the shared ring again */
	cr_assert_eq(pc_test_drain_ring(pool), 64);
	pc_test_assert_in_use(pool, 0);

	/* And a cache attached in its place starts empty and still works */
	c = pc_test_attach(pool);
	cr_assert_eq(c->len, 0);
	pkt = pc_pkt_alloc(c);
	cr_assert_not_null(pkt);
	pc_pkt_free(c, pkt);
	pc_pkt_cache_detach(c);
	cr_assert_eq(pc_test_drain_ring(pool), 64);
	pc_pkt_pool_destroy(pool);
}

Test(pkt, cache_flushes_when_full_and_refills_when_empty)
{
	/* Given a pool of 256 and a cache of 8 (it holds at most 16) */
	struct pc_pkt_pool *pool = pc_test_pool_new(256, 8, 0);
	struct pc_pkt_cache *c = pc_test_attach(pool);
	struct pc_pkt *pkts[100];
	struct pc_pkt_pool_stats st;

	/* When 100 are taken one by one and freed one by one */
	for (int i = 0; i < 100; i++) {
		pkts[i] = pc_pkt_alloc(c);
		cr_assert_not_null(pkts[i]);
		cr_assert_leq(c->len, c->cap);
	}
	st = pc_test_stats(pool);
	cr_assert_gt(st.refills, 0);
	for (int i = 0; i < 100; i++) {
		pc_pkt_free(c, pkts[i]);
		cr_assert_leq(c->len, c->cap);
	}

	/* Then the cache refilled and flushed in bursts and never held more than its cap */
	st = pc_test_stats(pool);
	cr_assert_gt(st.flushes, 0);
	cr_assert_lt(st.refills, 100, "the cache refills in bursts, not per buffer");
	cr_assert_lt(st.flushes, 100, "the cache flushes in bursts, not per buffer");
	cr_assert_eq(c->cap, 2 * c->size);
	cr_assert_eq(c->size, 8);
	pc_test_assert_in_use(pool, 0);
	cr_assert_eq(pc_test_drain_ring(pool), 256 - c->len);
	pc_pkt_cache_detach(c);
	cr_assert_eq(pc_test_drain_ring(pool), 256);
	pc_pkt_pool_destroy(pool);
}

Test(pkt, free_into_a_cache_of_another_pool_goes_home)
{
	/* Given two pools, a cache of the first and a buffer of the second */
	struct pc_pkt_pool *a = pc_test_pool_new(16, 4, 0);
	struct pc_pkt_pool *b = pc_test_pool_new(16, 4, 0);
	struct pc_pkt_cache *ca = pc_test_attach(a);
	struct pc_pkt *pkt;
	uint32_t held;

	cr_assert_eq(pc_pkt_pool_alloc_burst(b, &pkt, 1), 1);
	cr_assert_eq(pkt->pool, b);
	held = ca->len;

	/* When it is freed into the first pool's cache */
	pc_pkt_free(ca, pkt);

	/* Then it went back to its own pool, not into the cache */
	cr_assert_eq(ca->len, held);
	pc_test_assert_in_use(b, 0);
	pc_test_assert_in_use(a, 0);
	cr_assert_eq(pc_test_drain_ring(b), 16);
	cr_assert_eq(pc_test_stats(a).frees, 0);

	pc_pkt_cache_detach(ca);
	pc_pkt_pool_destroy(a);
	pc_pkt_pool_destroy(b);
}

Test(pkt, buffers_cross_caches_and_all_come_back)
{
	/* Given a pool of 512 with two caches */
	struct pc_pkt_pool *pool = pc_test_pool_new(512, 16, 0);
	struct pc_pkt_cache *a = pc_test_attach(pool);
	struct pc_pkt_cache *b = pc_test_attach(pool);
	struct pc_pkt *pkts[300];
	struct pc_pkt_pool_stats st;

	/* When A allocates, B frees, then B allocates and A frees, mixed with cacheless calls */
	for (int round = 0; round < 20; round++) {
		unsigned n = pc_pkt_alloc_burst(a, pkts, 100);

		cr_assert_eq(n, 100);
		n += pc_pkt_pool_alloc_burst(pool, pkts + 100, 50);
		cr_assert_eq(n, 150);
		pkts[n] = pc_pkt_alloc(b);
		cr_assert_not_null(pkts[n]);
		n++;
		pc_test_assert_in_use(pool, n);
		pc_pkt_free_burst(b, pkts, 60);
		pc_pkt_pool_free_burst(pool, pkts + 60, 30);
		for (unsigned i = 90; i < n; i++)
			pc_pkt_free(a, pkts[i]);
		pc_test_assert_in_use(pool, 0);
	}

	/* Then after both detach every buffer is free and in the ring, and the books balance */
	pc_pkt_cache_detach(a);
	pc_pkt_cache_detach(b);
	st = pc_test_stats(pool);
	cr_assert_eq(st.avail, st.count);
	cr_assert_eq(st.allocs, st.frees);
	cr_assert_eq(st.allocs, 20 * 151);
	cr_assert_eq(st.alloc_fails, 0);
	cr_assert_eq(pc_test_drain_ring(pool), 512);
	pc_pkt_pool_destroy(pool);
}

Test(pkt, stats_describe_the_region)
{
	/* Given a pool of 100 default buffers */
	struct pc_pkt_pool *pool = pc_test_pool_new(100, 0, 0);
	struct pc_pkt_pool_stats st = pc_test_stats(pool);

	/* Then the statistics describe an idle pool in a region that holds every buffer */
	cr_assert_eq(st.count, 100);
	cr_assert_eq(st.avail, 100);
	cr_assert_eq(st.in_use, 0);
	cr_assert_eq(st.allocs, 0);
	cr_assert_eq(st.frees, 0);
	cr_assert_eq(st.alloc_fails, 0);
	cr_assert_eq(st.hugepages, 0, "PC_PKT_POOL_F_NO_HUGEPAGE was asked for");
	cr_assert_geq(st.region_bytes, 100ull * (sizeof(struct pc_pkt) + PC_PKT_HEADROOM_MIN +
						 PC_PKT_DATA_ROOM_DEFAULT + PC_PKT_TAILROOM_MIN));
	pc_pkt_pool_destroy(pool);
}

Test(pkt, pool_with_hugepages_allowed_works_either_way)
{
	/* Given a pool created without PC_PKT_POOL_F_NO_HUGEPAGE (hugepages if reserved) */
	struct pc_pkt_pool_params p = { .count = 256 };
	struct pc_pkt_pool *pool;
	struct pc_pkt *pkts[256];
	struct pc_pkt_pool_stats st;

	cr_assert_eq(pc_pkt_pool_create(&pool, &p), 0);
	st = pc_test_stats(pool);
	cr_log_info("pool region %llu bytes, hugepages %u", (unsigned long long)st.region_bytes,
		    st.hugepages);

	/* When every buffer is taken and written / Then the whole region is usable */
	cr_assert_eq(pc_pkt_pool_alloc_burst(pool, pkts, 256), 256);
	for (int i = 0; i < 256; i++)
		memset(pkts[i]->buf, 0x5a, pkts[i]->buf_len);
	pc_pkt_pool_free_burst(pool, pkts, 256);
	pc_test_assert_in_use(pool, 0);
	pc_pkt_pool_destroy(pool);
}
