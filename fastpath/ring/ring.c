/* SPDX-License-Identifier: MIT */
/* ring.c - setup and cold paths of the lock-free rings; the fast path is inline in pc_ring.h. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_ring.h"

size_t pc_ring_memsize(uint32_t size)
{
	if (size == 0 || size > PC_RING_SIZE_MAX || (size & (size - 1)) != 0)
		return 0;
	/* Round up so that rings placed back to back stay aligned. */
	size_t bytes = offsetof(struct pc_ring, slots) + (size_t)size * sizeof(void *);

	return (bytes + PC_CACHE_GUARD - 1) & ~(size_t)(PC_CACHE_GUARD - 1);
}

int pc_ring_init(struct pc_ring *r, uint32_t size, unsigned flags, const char *name)
{
	if (r == NULL || pc_ring_memsize(size) == 0 || (flags & ~PC_RING_SPSC) != 0 ||
	    ((uintptr_t)r & (PC_CACHE_GUARD - 1)) != 0)
		return -EINVAL;

	memset(r, 0, offsetof(struct pc_ring, slots));
	r->size = size;
	r->mask = size - 1;
	r->flags = flags;
	if (name != NULL)
		snprintf(r->name, sizeof(r->name), "%s", name);
	/* Indices start at 0; the ring is published to other threads by whatever hands them the
	 * pointer (thread creation, a release store), which orders these plain stores. */
	atomic_init(&r->prod_head, 0);
	atomic_init(&r->prod_cached_cons_tail, 0);
	atomic_init(&r->prod_tail, 0);
	atomic_init(&r->cons_head, 0);
	atomic_init(&r->cons_cached_prod_tail, 0);
	atomic_init(&r->cons_tail, 0);
	return 0;
}

int pc_ring_create(struct pc_ring **out, uint32_t size, unsigned flags, const char *name)
{
	size_t bytes = pc_ring_memsize(size);
	struct pc_ring *r;
	int rc;

	if (out == NULL || bytes == 0)
		return -EINVAL;
	r = aligned_alloc(PC_CACHE_GUARD, bytes);
	if (r == NULL)
		return -ENOMEM;
	rc = pc_ring_init(r, size, flags, name);
	if (rc < 0)
		goto out_free;
	r->owns_memory = 1;
	*out = r;
	return 0;

out_free:
	free(r);
	return rc;
}

void pc_ring_destroy(struct pc_ring *r)
{
	if (r != NULL && r->owns_memory)
		free(r);
}

pc_cold void pc_ring__yield(void)
{
	sched_yield();
}
