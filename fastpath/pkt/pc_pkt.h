/* SPDX-License-Identifier: MIT */
/*
 * pc_pkt.h - packet buffers and the fixed packet pool.
 *
 * A pool carves `count` buffers out of one region mapped at setup (2 MiB hugepages when the
 * system has them reserved, otherwise ordinary pages with transparent-hugepage advice, all
 * pre-faulted). It never grows: an empty pool makes alloc return NULL and counts the failure.
 *
 * Each buffer is one element:
 *
 *   | struct pc_pkt (128 B) | headroom | data ... | tailroom |
 *                           ^buf       ^buf+data_off
 *
 * Headroom (>= 128 B) takes headers prepended later (Ethernet/IP/UDP, RTP, extensions) and
 * tailroom (>= 64 B) the SRTP authentication tag, so packetizing and SRTP work in place.
 *
 * Free buffers sit in a shared multi-producer/multi-consumer pc_ring. In front of it each
 * thread that allocates or frees often attaches a pc_pkt_cache: a plain LIFO array that only
 * its owner touches, refilled from and flushed to the ring in bursts. A packet may be freed on
 * any thread, into that thread's cache: a cross-thread free costs the same as a local one, and
 * the buffers flow back to the shared ring in bursts.
 *
 * Ownership: a packet has one holder per reference. pc_pkt_ref() adds one (for fan-out to
 * several legs); pc_pkt_free() drops one and returns the buffer to the pool with the last.
 * A packet whose reference count is above 1 is shared: read it, do not write it.
 *
 * Thread context: a pool is shared by all threads; a cache belongs to the one thread that
 * attached it. Allocates: only pc_pkt_pool_create().
 */
#ifndef PC_PKT_H
#define PC_PKT_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "pc_atomic.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PC_PKT_HEADROOM_MIN 128u
#define PC_PKT_TAILROOM_MIN 64u
#define PC_PKT_DATA_ROOM_DEFAULT 1728u /* element of 2 KiB with the default rooms */
#define PC_PKT_CACHE_SIZE_DEFAULT 256u
#define PC_PKT_CACHE_SIZE_MAX 4096u
#define PC_PKT_CACHES_DEFAULT 8u
#define PC_PKT_NAME_MAX 32

#define PC_PKT_POOL_F_NO_HUGEPAGE 0x1u /* do not try MAP_HUGETLB */
/* The buffers live elsewhere (an I/O backend's memory, e.g. DPDK mbufs whose private area holds
 * the struct pc_pkt): the pool carves none and takes them one by one with pc_pkt_pool_add(). */
#define PC_PKT_POOL_F_EXTERNAL 0x2u

struct pc_pkt_pool;

/* A peer address as the I/O backends record it on receive and read it on send. */
union pc_pkt_addr {
	struct sockaddr sa;
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
};

struct pc_pkt {
	/* Line 0: what every layer touches. */
	uint8_t *buf;		  /* start of the buffer; headroom begins here */
	struct pc_pkt_pool *pool; /* the pool the buffer returns to */
	uint16_t data_off;	  /* first data byte, from buf */
	uint16_t data_len;	  /* data bytes */
	uint16_t buf_len;	  /* headroom + data room + tailroom */
	_Atomic uint16_t refcnt;  /* references held; 1 while in the pool */
	uint16_t port;		  /* I/O port (leg) it came in on or goes out of */
	uint16_t flags;		  /* PC_PKT_F_* for the layers above */
	uint32_t stream;	  /* stream id set by the classifier */
	uint64_t rx_ns;		  /* receive time, CLOCK_MONOTONIC nanoseconds */
	uint32_t index;		  /* position in the pool: a stable id (io_uring buffer id) */
	uint32_t udata32;	  /* free for the current holder */
	uint64_t udata64;	  /* free for the current holder */
	uint64_t reserved0;
	/* Line 1: addressing, written by the I/O backend. */
	union pc_pkt_addr peer; /* remote address (source on receive, destination on send) */
	uint32_t peer_len;
	uint32_t reserved1;
	uint64_t reserved2[3];
};

_Static_assert(offsetof(struct pc_pkt, peer) == PC_CACHE_LINE, "addressing starts on line 1");

/* pc_pkt_addr_equal - same family, address and port (IPv4 or IPv6; false for anything else). */
static inline bool pc_pkt_addr_equal(const union pc_pkt_addr *a, const union pc_pkt_addr *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET)
		return a->in4.sin_port == b->in4.sin_port &&
		       a->in4.sin_addr.s_addr == b->in4.sin_addr.s_addr;
	if (a->sa.sa_family == AF_INET6)
		return a->in6.sin6_port == b->in6.sin6_port &&
		       __builtin_memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr,
					sizeof(a->in6.sin6_addr)) == 0;
	return false;
}
_Static_assert(sizeof(struct pc_pkt) == 2 * PC_CACHE_LINE, "packet header is two cache lines");

struct pc_pkt_pool_params {
	const char *name;    /* borrowed, copied; may be NULL */
	uint32_t count;	     /* buffers, >= 1 */
	uint32_t data_room;  /* data bytes between headroom and tailroom; 0: default */
	uint16_t headroom;   /* 0: PC_PKT_HEADROOM_MIN; otherwise >= it */
	uint16_t tailroom;   /* 0: PC_PKT_TAILROOM_MIN; otherwise >= it */
	uint32_t cache_size; /* buffers a cache keeps between bursts; 0: default */
	uint32_t max_caches; /* caches that threads may attach; 0: default */
	unsigned flags;	     /* PC_PKT_POOL_F_* */
};

/* A per-thread cache: only its owner thread reads or writes it (statistics excepted). */
struct pc_pkt_cache {
	uint32_t len;	   /* buffers held in objs */
	uint32_t size;	   /* refill up to this; flush down to this */
	uint32_t cap;	   /* 2 * size: a free that finds it full flushes */
	uint16_t headroom; /* the pool's, for the inline reset */
	uint16_t pad0;
	struct pc_pkt_pool *pool; /* the pool this cache fronts */
	/* Statistics: written by the owner only, read by anyone (pc_pkt_pool_stats). */
	_Atomic uint64_t allocs;
	_Atomic uint64_t frees;
	_Atomic uint64_t alloc_fails; /* buffers asked for and not delivered: pool empty */
	_Atomic uint64_t refills;
	_Atomic uint64_t flushes;
	struct pc_pkt **objs; /* cap entries, in the pool's region */
};

struct pc_pkt_pool_stats {
	uint64_t allocs;      /* buffers handed out */
	uint64_t frees;	      /* buffers given back (last reference dropped) */
	uint64_t alloc_fails; /* buffers asked for while the pool was empty */
	uint64_t refills;     /* cache refills from the shared ring */
	uint64_t flushes;     /* cache flushes to the shared ring */
	uint32_t count;	      /* buffers in the pool */
	uint32_t avail;	      /* free buffers now (ring + caches): exact when idle */
	uint32_t in_use;      /* count - avail */
	uint32_t hugepages;   /* 1 when the region is backed by explicit hugepages */
	uint32_t elt_bytes;   /* bytes per buffer: header, rooms and padding */
	uint64_t region_bytes;
};

/* --- setup ----------------------------------------------------------------------------------- */

/*
 * pc_pkt_pool_create - map and carve a pool; writes *@out on success.
 * @p: borrowed. Returns 0, -EINVAL for bad parameters (count 0 or above PC_RING_SIZE_MAX,
 * headroom or tailroom below the minimum, a buffer above 64 KiB, cache_size or max_caches above
 * their maximum), or -ENOMEM. Allocates; call at setup.
 */
int pc_pkt_pool_create(struct pc_pkt_pool **out, const struct pc_pkt_pool_params *p);

/*
 * pc_pkt_pool_add - give an external buffer to a pool made with PC_PKT_POOL_F_EXTERNAL: @pkt
 * (its header, 128 bytes) describes @buf (@buf_len bytes: the headroom,
 * data room and tailroom of the pool's parameters, or more). The buffer gets the next index and
 * goes onto the free ring. Both stay the caller's memory (borrowed): they must outlive the pool.
 * Returns 0, -EINVAL (not an external pool, buffer too small) or
 * -ENOSPC (count buffers added already). Setup only, one thread.
 */
int pc_pkt_pool_add(struct pc_pkt_pool *pool, struct pc_pkt *pkt, uint8_t *buf, uint16_t buf_len);

/* pc_pkt_pool_destroy - unmap the pool. Every buffer is gone with it; NULL is ignored. */
void pc_pkt_pool_destroy(struct pc_pkt_pool *pool);

/*
 * pc_pkt_cache_attach - claim one of the pool's per-thread caches for the calling thread;
 * writes *@out. Returns 0, or -EBUSY when all max_caches are attached. No allocation.
 */
int pc_pkt_cache_attach(struct pc_pkt_pool *pool, struct pc_pkt_cache **out);

/* pc_pkt_cache_detach - flush the cache's buffers to the shared ring and release it.
 * Called by its owner thread. Its statistics stay in the pool's totals. */
void pc_pkt_cache_detach(struct pc_pkt_cache *c);

/* pc_pkt_pool_stats - a snapshot of the pool's counters (sum of all caches). Any thread. */
void pc_pkt_pool_stats(const struct pc_pkt_pool *pool, struct pc_pkt_pool_stats *st);

/* Pool geometry. Any thread. */
uint32_t pc_pkt_pool_count(const struct pc_pkt_pool *pool);
uint32_t pc_pkt_pool_data_room(const struct pc_pkt_pool *pool);
/* pc_pkt_pool_at - the buffer with pool index @index, whatever its state; NULL when @index is
 * not below count. */
struct pc_pkt *pc_pkt_pool_at(const struct pc_pkt_pool *pool, uint32_t index);

/* --- out-of-line paths of the inline functions (internal) ----------------------------------- */
unsigned pc_pkt__cache_refill(struct pc_pkt_cache *c, unsigned want);
unsigned pc_pkt__alloc_burst_slow(struct pc_pkt_cache *c, struct pc_pkt **pkts, unsigned n);
void pc_pkt__free_slow(struct pc_pkt_cache *c, struct pc_pkt *p);

/*
 * pc_pkt_pool_alloc_burst / pc_pkt_pool_free_burst - cacheless access to the shared ring, for
 * threads that handle packets rarely (setup, the SIP thread). Any thread. Alloc returns how
 * many of @n it wrote into @pkts (fewer when the pool runs low; the shortfall is counted).
 */
unsigned pc_pkt_pool_alloc_burst(struct pc_pkt_pool *pool, struct pc_pkt **pkts, unsigned n);
void pc_pkt_pool_free_burst(struct pc_pkt_pool *pool, struct pc_pkt **pkts, unsigned n);

/* --- the fast path --------------------------------------------------------------------------- */

static pc_always_inline void pc_pkt__reset(struct pc_pkt *p, uint16_t headroom)
{
	p->data_off = headroom;
	p->data_len = 0;
	p->port = 0;
	p->flags = 0;
	p->stream = 0;
}

/*
 * pc_pkt_alloc - take one buffer through the calling thread's cache.
 * @c: the caller's own cache (borrowed).
 * Returns a buffer with one reference, empty data at the headroom; or NULL when the pool is
 * empty (counted in alloc_fails). Never allocates memory, never blocks.
 */
static pc_always_inline struct pc_pkt *pc_pkt_alloc(struct pc_pkt_cache *c)
{
	struct pc_pkt *p;

	if (pc_unlikely(c->len == 0) && pc_pkt__cache_refill(c, 1) == 0) {
		pc_counter_add(&c->alloc_fails, 1);
		return NULL;
	}
	p = c->objs[--c->len];
	pc_pkt__reset(p, c->headroom);
	pc_counter_add(&c->allocs, 1);
	return p;
}

/*
 * pc_pkt_alloc_burst - take up to @n buffers through the caller's cache into @pkts (borrowed
 * array). Returns how many; fewer than @n only when the pool runs low (the shortfall is
 * counted in alloc_fails).
 */
static pc_always_inline unsigned pc_pkt_alloc_burst(struct pc_pkt_cache *c, struct pc_pkt **pkts,
						    unsigned n)
{
	if (pc_unlikely(c->len < n))
		return pc_pkt__alloc_burst_slow(c, pkts, n);
	for (unsigned i = 0; i < n; i++) {
		struct pc_pkt *p = c->objs[--c->len];

		pc_pkt__reset(p, c->headroom);
		pkts[i] = p;
	}
	pc_counter_add(&c->allocs, n);
	return n;
}

/*
 * pc_pkt_ref - add a reference for another holder (fan-out); @p must already be held by the
 * caller. Returns @p. Any thread.
 */
static inline struct pc_pkt *pc_pkt_ref(struct pc_pkt *p)
{
	/* Relaxed: the caller's own reference keeps the buffer alive; nothing is published. */
	pc_fetch_add_relaxed(&p->refcnt, 1);
	return p;
}

static inline uint16_t pc_pkt_refcnt(const struct pc_pkt *p)
{
	return pc_load_relaxed(&((struct pc_pkt *)p)->refcnt);
}

/* pc_pkt_is_shared - true while more than one holder has the packet: do not write to it. */
static inline bool pc_pkt_is_shared(const struct pc_pkt *p)
{
	return pc_pkt_refcnt(p) > 1;
}

/*
 * pc_pkt_free - drop the caller's reference (transferred); with the last one the buffer goes
 * into @c, the calling thread's cache, or to the shared ring when @c is NULL or fronts another
 * pool. Any thread; never blocks.
 */
static pc_always_inline void pc_pkt_free(struct pc_pkt_cache *c, struct pc_pkt *p)
{
	/* A count of 1 means we are the only holder and nobody can add one. The acquire pairs
	 * with the acq_rel decrement of a holder that dropped out before us, so its last reads
	 * of the buffer happen before the buffer is reused. */
	if (pc_unlikely(pc_load_acquire(&p->refcnt) != 1)) {
		if (pc_fetch_sub_acq_rel(&p->refcnt, 1) != 1)
			return;			 /* others still hold it */
		pc_store_relaxed(&p->refcnt, 1); /* a buffer in the pool has a count of 1 */
	}
	if (pc_unlikely(c == NULL || p->pool != c->pool || c->len == c->cap)) {
		pc_pkt__free_slow(c, p);
		return;
	}
	c->objs[c->len++] = p;
	pc_counter_add(&c->frees, 1);
}

/* pc_pkt_free_burst - pc_pkt_free() on each of @n packets in @pkts. */
static inline void pc_pkt_free_burst(struct pc_pkt_cache *c, struct pc_pkt **pkts, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		pc_pkt_free(c, pkts[i]);
}

/* --- data access: the holder's thread only --------------------------------------------------- */

static inline uint8_t *pc_pkt_data(const struct pc_pkt *p)
{
	return p->buf + p->data_off;
}

static inline uint16_t pc_pkt_len(const struct pc_pkt *p)
{
	return p->data_len;
}

static inline uint16_t pc_pkt_headroom(const struct pc_pkt *p)
{
	return p->data_off;
}

static inline uint16_t pc_pkt_tailroom(const struct pc_pkt *p)
{
	return (uint16_t)(p->buf_len - p->data_off - p->data_len);
}

/* pc_pkt_prepend - grow the data by @n bytes at the front, into the headroom.
 * Returns the new start of the data, or NULL (nothing changed) when the headroom is short. */
static inline uint8_t *pc_pkt_prepend(struct pc_pkt *p, uint16_t n)
{
	if (pc_unlikely(n > p->data_off))
		return NULL;
	p->data_off -= n;
	p->data_len += n;
	return p->buf + p->data_off;
}

/* pc_pkt_append - grow the data by @n bytes at the end, into the tailroom.
 * Returns where the new bytes go, or NULL (nothing changed) when the tailroom is short. */
static inline uint8_t *pc_pkt_append(struct pc_pkt *p, uint16_t n)
{
	uint8_t *tail;

	if (pc_unlikely(n > pc_pkt_tailroom(p)))
		return NULL;
	tail = p->buf + p->data_off + p->data_len;
	p->data_len += n;
	return tail;
}

/* pc_pkt_trim_front - drop @n bytes from the front of the data (a header consumed).
 * Returns 0, or -EINVAL (nothing changed) when the data is shorter than @n. */
static inline int pc_pkt_trim_front(struct pc_pkt *p, uint16_t n)
{
	if (pc_unlikely(n > p->data_len))
		return -EINVAL;
	p->data_off += n;
	p->data_len -= n;
	return 0;
}

/* pc_pkt_trim_back - drop @n bytes from the end of the data (padding, an auth tag).
 * Returns 0, or -EINVAL (nothing changed) when the data is shorter than @n. */
static inline int pc_pkt_trim_back(struct pc_pkt *p, uint16_t n)
{
	if (pc_unlikely(n > p->data_len))
		return -EINVAL;
	p->data_len -= n;
	return 0;
}

/* pc_pkt_set_len - set the data length after a receive wrote into the buffer at the headroom.
 * Returns 0, or -EINVAL when @len exceeds the room after data_off. */
static inline int pc_pkt_set_len(struct pc_pkt *p, uint16_t len)
{
	if (pc_unlikely(len > p->buf_len - p->data_off))
		return -EINVAL;
	p->data_len = len;
	return 0;
}

#ifdef __cplusplus
}
#endif

#endif /* PC_PKT_H */
