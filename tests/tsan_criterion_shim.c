/* SPDX-License-Identifier: MIT */
/*
 * tsan_criterion_shim.c - lets Criterion start under ThreadSanitizer; linked into the test
 * executables of PC_SANITIZE=thread builds only.
 *
 * Criterion's sandbox (BoxFort) maps its shared arena with MAP_FIXED at
 *   0x200000000000 + (rand_r() & 0x3fffff) * 16 MiB,
 * an address that almost always falls outside the ranges where ThreadSanitizer lets a program
 * map memory, and Criterion then aborts with "Could not initialize inheritable arena"
 * (Criterion issue #274). On x86-64 the only such range inside BoxFort's window is
 * [0x550000000000, 0x568000000000): this rand_r() replaces the C library's for the whole test
 * program, which uses no other rand_r(), and returns values that land there. BoxFort probes
 * each candidate and draws again when it is taken, so the values still vary.
 */
#include <stdlib.h>

#define PC_TSAN_ARENA_FIRST 0x350000u /* (0x550000000000 - 0x200000000000) >> 24 */
#define PC_TSAN_ARENA_SPAN 0x18000u   /* (0x568000000000 - 0x550000000000) >> 24 */

/* Default visibility: the test targets build with -fvisibility=hidden, and Criterion's library
 * must bind to this definition instead of the C library's. */
__attribute__((visibility("default"))) int rand_r(unsigned int *seed)
{
	/* Numerical Recipes LCG: any sequence that varies will do. */
	*seed = *seed * 1664525u + 1013904223u;
	return (int)(PC_TSAN_ARENA_FIRST + (*seed >> 8) % PC_TSAN_ARENA_SPAN);
}
