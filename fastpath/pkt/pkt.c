/* SPDX-License-Identifier: MIT */
/*
 * pkt.c - the packet pool: one mapped region carved at setup into the pool header, the caches,
 * the shared free ring and the buffers. Nothing here runs per packet except the cold paths of
 * the inline functions in pc_pkt.h (cache refill and flush, frees that cross pools).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "pc_pkt.h"
#include "pc_ring.h"

#define PC_HUGEPAGE_SIZE (2u << 20)

struct pc_pkt_pool {
	char name[PC_PKT_NAME_MAX];
	uint32_t count;
	uint32_t data_room;
	uint16_t headroom;
	uint16_t tailroom;
	uint32_t elt_size; /* bytes from one struct pc_pkt to the next */
	uint32_t cache_size;
	uint32_t max_caches;
	uint32_t hugepages; /* 1: MAP_HUGETLB region */
	size_t region_bytes;
	void *region;
	uint8_t *elts;	       /* element 0 (NULL for an external pool) */
	struct pc_pkt **table; /* external pool: index -> buffer */
	uint32_t nadded;       /* external pool: buffers added so far */
	struct pc_ring *free_ring;
	uint8_t *caches; /* max_caches cache structs, cache_stride apart */
	size_t cache_stride;
	_Atomic uint32_t *cache_claimed;
	/* Cacheless path (pc_pkt_pool_*_burst, frees without a cache): any thread, so RMW. */
	_Atomic uint64_t direct_allocs;
	_Atomic uint64_t direct_frees;
	_Atomic uint64_t direct_alloc_fails;
};

static size_t align_up(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static uint32_t pow2_at_least(uint32_t v)
{
	uint32_t p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

/* @base + @off bytes, as void *: every offset used here is aligned for what lives there. */
static void *at_offset(const void *base, size_t off)
{
	return (uint8_t *)base + off;
}

/* Set up one buffer's header and put it on the free ring (setup, one thread: the ring's release
 * publishes the header to whoever dequeues it). The ring holds count: this cannot fail. */
static void pkt_init(struct pc_pkt_pool *pool, struct pc_pkt *pkt, uint8_t *buf, uint16_t buf_len,
		     uint32_t index)
{
	memset(pkt, 0, sizeof(*pkt));
	pkt->buf = buf;
	pkt->pool = pool;
	pkt->data_off = pool->headroom;
	pkt->buf_len = buf_len;
	atomic_init(&pkt->refcnt, 1);
	pkt->index = index;
	pc_ring_mp_enqueue_burst(pool->free_ring, (void *const *)&pkt, 1);
}

static struct pc_pkt_cache *cache_at(const struct pc_pkt_pool *pool, uint32_t i)
{
	return at_offset(pool->caches, (size_t)i * pool->cache_stride);
}

struct pc_pkt *pc_pkt_pool_at(const struct pc_pkt_pool *pool, uint32_t index)
{
	if (pool->table != NULL)
		return index < pool->nadded ? pool->table[index] : NULL;
	if (index >= pool->count)
		return NULL;
	return at_offset(pool->elts, (size_t)index * pool->elt_size);
}

/* Map @bytes: explicit 2 MiB hugepages when reserved (and allowed), else normal pages with
 * transparent-hugepage advice. *@huge tells which; *@bytes is rounded to what was mapped. */
static void *map_region(size_t *bytes, unsigned flags, uint32_t *huge)
{
	void *m;

	if (!(flags & PC_PKT_POOL_F_NO_HUGEPAGE)) {
		size_t hb = align_up(*bytes, PC_HUGEPAGE_SIZE);

		m = mmap(NULL, hb, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1, 0);
		if (m != MAP_FAILED) {
			*bytes = hb;
			*huge = 1;
			return m;
		}
	}
	*bytes = align_up(*bytes, 4096);
	m = mmap(NULL, *bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	(void)madvise(m, *bytes, MADV_HUGEPAGE); /* advice only: fine if THP is off */
	/* Fault every page in now, not on the fast path. */
	memset(m, 0, *bytes);
	*huge = 0;
	return m;
}

int pc_pkt_pool_create(struct pc_pkt_pool **out, const struct pc_pkt_pool_params *p)
{
	struct pc_pkt_pool *pool;
	uint32_t headroom, tailroom, data_room, cache_size, max_caches, ring_size, huge = 0;
	size_t off_claimed, off_caches, cache_stride, off_objs, off_ring, off_elts, elt_size;
	size_t bytes;
	void *region;
	bool external;
	int rc;

	if (out == NULL || p == NULL || p->count == 0 || p->count > PC_RING_SIZE_MAX)
		return -EINVAL;
	external = (p->flags & PC_PKT_POOL_F_EXTERNAL) != 0;
	headroom = p->headroom ? p->headroom : PC_PKT_HEADROOM_MIN;
	tailroom = p->tailroom ? p->tailroom : PC_PKT_TAILROOM_MIN;
	data_room = p->data_room ? p->data_room : PC_PKT_DATA_ROOM_DEFAULT;
	max_caches = p->max_caches ? p->max_caches : PC_PKT_CACHES_DEFAULT;
	cache_size = p->cache_size;
	if (cache_size == 0) {
		/* Default: enough to amortise the ring, small enough that caches cannot hoard a
		 * small pool. */
		cache_size = p->count / 16 ? p->count / 16 : 1;
		if (cache_size > PC_PKT_CACHE_SIZE_DEFAULT)
			cache_size = PC_PKT_CACHE_SIZE_DEFAULT;
	}
	if (headroom < PC_PKT_HEADROOM_MIN || tailroom < PC_PKT_TAILROOM_MIN ||
	    (uint64_t)headroom + data_room + tailroom > UINT16_MAX ||
	    cache_size > PC_PKT_CACHE_SIZE_MAX || max_caches > 1024)
		return -EINVAL;

	/* One region: pool | claim flags | caches | cache arrays | free ring | elements (or, for
	 * an external pool, the index table). */
	ring_size = pow2_at_least(p->count); /* every buffer fits: a free never fails */
	elt_size = align_up(sizeof(struct pc_pkt) + headroom + data_room + tailroom, PC_CACHE_LINE);
	/* An even number of lines (2048 B by default) puts every buffer's header on the same few
	 * L1 sets, and a burst of 16 or more evicts itself: an odd count spreads them over all
	 * sets (DPDK's mempool pads its objects for the same reason). */
	if ((elt_size / PC_CACHE_LINE) % 2 == 0)
		elt_size += PC_CACHE_LINE;
	cache_stride = align_up(sizeof(struct pc_pkt_cache), PC_CACHE_GUARD);
	off_claimed = align_up(sizeof(struct pc_pkt_pool), PC_CACHE_GUARD);
	off_caches = align_up(off_claimed + max_caches * sizeof(_Atomic uint32_t), PC_CACHE_GUARD);
	off_objs = off_caches + max_caches * cache_stride;
	off_ring = align_up(off_objs + (size_t)max_caches * 2 * cache_size * sizeof(void *),
			    PC_CACHE_GUARD);
	off_elts = align_up(off_ring + pc_ring_memsize(ring_size), PC_CACHE_GUARD);
	bytes = off_elts + (size_t)p->count * (external ? sizeof(struct pc_pkt *) : elt_size);

	region = map_region(&bytes, p->flags, &huge);
	if (region == NULL)
		return -ENOMEM;

	pool = region;
	memset(pool, 0, sizeof(*pool));
	snprintf(pool->name, sizeof(pool->name), "%s", p->name ? p->name : "pkt");
	pool->count = p->count;
	pool->data_room = data_room;
	pool->headroom = (uint16_t)headroom;
	pool->tailroom = (uint16_t)tailroom;
	pool->elt_size = (uint32_t)elt_size;
	pool->cache_size = cache_size;
	pool->max_caches = max_caches;
	pool->hugepages = huge;
	pool->region_bytes = bytes;
	pool->region = region;
	if (external)
		pool->table = at_offset(region, off_elts);
	else
		pool->elts = at_offset(region, off_elts);
	pool->caches = (uint8_t *)region + off_caches;
	pool->cache_stride = cache_stride;
	pool->cache_claimed = at_offset(region, off_claimed);
	atomic_init(&pool->direct_allocs, 0);
	atomic_init(&pool->direct_frees, 0);
	atomic_init(&pool->direct_alloc_fails, 0);

	pool->free_ring = at_offset(region, off_ring);
	rc = pc_ring_init(pool->free_ring, ring_size, PC_RING_MPMC, pool->name);
	if (rc < 0)
		goto out_unmap;

	for (uint32_t i = 0; i < max_caches; i++) {
		struct pc_pkt_cache *c = cache_at(pool, i);

		memset(c, 0, sizeof(*c));
		c->size = cache_size;
		c->cap = 2 * cache_size;
		c->headroom = (uint16_t)headroom;
		c->pool = pool;
		c->objs =
			at_offset(region, off_objs + (size_t)i * c->cap * sizeof(struct pc_pkt *));
		atomic_init(&c->allocs, 0);
		atomic_init(&c->frees, 0);
		atomic_init(&c->alloc_fails, 0);
		atomic_init(&c->refills, 0);
		atomic_init(&c->flushes, 0);
		atomic_init(&pool->cache_claimed[i], 0);
	}

	for (uint32_t i = 0; !external && i < p->count; i++) {
		struct pc_pkt *pkt = pc_pkt_pool_at(pool, i);

		pkt_init(pool, pkt, (uint8_t *)(pkt + 1),
			 (uint16_t)(headroom + data_room + tailroom), i);
	}
	*out = pool;
	return 0;

out_unmap:
	munmap(region, bytes);
	return rc;
}

int pc_pkt_pool_add(struct pc_pkt_pool *pool, struct pc_pkt *pkt, uint8_t *buf, uint16_t buf_len)
{
	if (pool->table == NULL || pkt == NULL || buf == NULL ||
	    buf_len < (uint32_t)pool->headroom + pool->data_room + pool->tailroom)
		return -EINVAL;
	if (pool->nadded == pool->count)
		return -ENOSPC;
	pool->table[pool->nadded] = pkt;
	pkt_init(pool, pkt, buf, buf_len, pool->nadded);
	pool->nadded++;
	return 0;
}

void pc_pkt_pool_destroy(struct pc_pkt_pool *pool)
{
	if (pool != NULL)
		munmap(pool->region, pool->region_bytes);
}

uint32_t pc_pkt_pool_count(const struct pc_pkt_pool *pool)
{
	return pool->count;
}

uint32_t pc_pkt_pool_data_room(const struct pc_pkt_pool *pool)
{
	return pool->data_room;
}

int pc_pkt_cache_attach(struct pc_pkt_pool *pool, struct pc_pkt_cache **out)
{
	for (uint32_t i = 0; i < pool->max_caches; i++) {
		uint32_t expected = 0;

		/* acq_rel: the acquire pairs with the release in pc_pkt_cache_detach(), so the
		 * previous owner's last writes to the cache are visible to the new owner. */
		if (pc_cas_strong_acq_rel(&pool->cache_claimed[i], &expected, 1)) {
			*out = cache_at(pool, i);
			return 0;
		}
	}
	return -EBUSY;
}

void pc_pkt_cache_detach(struct pc_pkt_cache *c)
{
	struct pc_pkt_pool *pool = c->pool;
	uint32_t i = (uint32_t)(((uint8_t *)c - pool->caches) / pool->cache_stride);

	if (c->len) {
		pc_ring_mp_enqueue_burst(pool->free_ring, (void *const *)c->objs, c->len);
		pc_counter_add(&c->flushes, 1);
		c->len = 0;
	}
	/* Pairs with the acquire of the next pc_pkt_cache_attach(). */
	pc_store_release(&pool->cache_claimed[i], 0);
}

unsigned pc_pkt__cache_refill(struct pc_pkt_cache *c, unsigned want)
{
	uint32_t target = c->size + want;
	unsigned got;

	if (target > c->cap)
		target = c->cap;
	if (target <= c->len)
		return c->len;
	got = pc_ring_mc_dequeue_burst(c->pool->free_ring, (void **)(c->objs + c->len),
				       target - c->len);
	c->len += got;
	pc_counter_add(&c->refills, 1);
	return c->len;
}

unsigned pc_pkt__alloc_burst_slow(struct pc_pkt_cache *c, struct pc_pkt **pkts, unsigned n)
{
	unsigned got = 0;

	pc_pkt__cache_refill(c, n);
	while (got < n && c->len)
		pkts[got++] = c->objs[--c->len];
	/* A burst larger than the cache holds: take the rest straight from the ring. */
	if (got < n)
		got += pc_ring_mc_dequeue_burst(c->pool->free_ring, (void **)(pkts + got), n - got);
	for (unsigned i = 0; i < got; i++)
		pc_pkt__reset(pkts[i], c->headroom);
	pc_counter_add(&c->allocs, got);
	if (got < n)
		pc_counter_add(&c->alloc_fails, n - got);
	return got;
}

void pc_pkt__free_slow(struct pc_pkt_cache *c, struct pc_pkt *p)
{
	struct pc_pkt_pool *pool = p->pool;

	if (c == NULL || pool != c->pool) {
		/* The ring holds every buffer of its pool, so this cannot fail. */
		pc_ring_mp_enqueue_burst(pool->free_ring, (void *const *)&p, 1);
		pc_fetch_add_relaxed(&pool->direct_frees, 1);
		return;
	}
	/* Full cache: give the top half back to the ring in one burst, keep the rest warm. */
	pc_ring_mp_enqueue_burst(pool->free_ring, (void *const *)(c->objs + c->size),
				 c->len - c->size);
	c->len = c->size;
	pc_counter_add(&c->flushes, 1);
	c->objs[c->len++] = p;
	pc_counter_add(&c->frees, 1);
}

unsigned pc_pkt_pool_alloc_burst(struct pc_pkt_pool *pool, struct pc_pkt **pkts, unsigned n)
{
	unsigned got = pc_ring_mc_dequeue_burst(pool->free_ring, (void **)pkts, n);

	for (unsigned i = 0; i < got; i++)
		pc_pkt__reset(pkts[i], pool->headroom);
	pc_fetch_add_relaxed(&pool->direct_allocs, got);
	if (got < n)
		pc_fetch_add_relaxed(&pool->direct_alloc_fails, n - got);
	return got;
}

void pc_pkt_pool_free_burst(struct pc_pkt_pool *pool, struct pc_pkt **pkts, unsigned n)
{
	(void)pool; /* each packet goes back to its own pool */
	pc_pkt_free_burst(NULL, pkts, n);
}

void pc_pkt_pool_stats(const struct pc_pkt_pool *pool, struct pc_pkt_pool_stats *st)
{
	struct pc_pkt_pool *m = (struct pc_pkt_pool *)pool; /* atomic loads take non-const */
	uint64_t in_use;

	memset(st, 0, sizeof(*st));
	for (uint32_t i = 0; i < pool->max_caches; i++) {
		struct pc_pkt_cache *c = cache_at(pool, i);

		st->allocs += pc_load_relaxed(&c->allocs);
		st->frees += pc_load_relaxed(&c->frees);
		st->alloc_fails += pc_load_relaxed(&c->alloc_fails);
		st->refills += pc_load_relaxed(&c->refills);
		st->flushes += pc_load_relaxed(&c->flushes);
	}
	st->allocs += pc_load_relaxed(&m->direct_allocs);
	st->frees += pc_load_relaxed(&m->direct_frees);
	st->alloc_fails += pc_load_relaxed(&m->direct_alloc_fails);
	/* Counted from allocs and frees (atomics), not from the caches' fill levels, which only
	 * their owners may read. */
	in_use = st->allocs - st->frees;
	st->count = pool->count;
	st->in_use = in_use > pool->count ? pool->count : (uint32_t)in_use;
	st->avail = pool->count - st->in_use;
	st->hugepages = pool->hugepages;
	st->elt_bytes = pool->elt_size;
	st->region_bytes = pool->region_bytes;
}
