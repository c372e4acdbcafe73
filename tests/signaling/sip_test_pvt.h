/* SPDX-License-Identifier: MIT */
/* sip_test_pvt.h - what the signaling suites share: the torture data folder, a buffer that ends
 * just before an unmapped page, and reading a file whole. */
#ifndef PC_SIP_TEST_PVT_H
#define PC_SIP_TEST_PVT_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef PC_TEST_SIP_DATA
#define PC_TEST_SIP_DATA "/work/shared/testdata/sip"
#endif

/* A buffer whose last byte sits just before a PROT_NONE page: any read past it faults. */
struct guarded {
	char *map;
	size_t maplen;
	char *buf;
};

static inline void guarded_init(struct guarded *g, const void *data, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t pages = (len + page - 1) / page + 1;

	g->maplen = (pages + 1) * page;
	g->map = mmap(NULL, g->maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(g->map, MAP_FAILED);
	cr_assert_eq(mprotect(g->map + pages * page, page, PROT_NONE), 0);
	g->buf = g->map + pages * page - len;
	memcpy(g->buf, data, len);
}

static inline void guarded_fini(struct guarded *g)
{
	munmap(g->map, g->maplen);
}

/* The file at @path whole (binary), malloc'd; *@len its size. NULL when it cannot be read. */
static inline char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = n >= 0 ? (size_t)n : 0;
	return buf;
}

#endif /* PC_SIP_TEST_PVT_H */
