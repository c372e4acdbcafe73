/* SPDX-License-Identifier: MIT */
/*
 * pc_timer.h - a hashed timer wheel for the media loop.
 *
 * Time is CLOCK_MONOTONIC nanoseconds cut into ticks (1 ms by default). A timer sits in slot
 * (expiry tick mod slots) of the wheel; advancing the wheel to now visits each tick's slot once
 * and fires the timers whose tick has come (a timer further out than one turn of the wheel
 * waits in its slot for its turn). Arming and cancelling are O(1) and allocate nothing: timers
 * are embedded in their owners (intrusive), the wheel only links them.
 *
 * Thread context: the wheel's owner thread only. Allocates: pc_timer_wheel_create() only.
 */
#ifndef PC_TIMER_H
#define PC_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pc_timer;
struct pc_timer_wheel;

/* Called when @t expires, from pc_timer_wheel_advance(); it may re-arm @t or arm others. */
typedef void (*pc_timer_h)(struct pc_timer *t, void *arg, uint64_t now_ns);

struct pc_timer {
	struct pc_timer *next; /* slot list; NULL/unused when not armed */
	struct pc_timer *prev;
	uint64_t expire_tick;
	pc_timer_h fn;
	void *arg;
	uint32_t armed; /* 1 while in the wheel */
};

/*
 * pc_timer_wheel_create - a wheel of @slots (a power of two; 0: 4096) ticks of @tick_ns
 * (0: 1 ms) starting at @now_ns. Returns 0, -EINVAL or -ENOMEM; writes *@out on success.
 */
int pc_timer_wheel_create(struct pc_timer_wheel **out, uint32_t slots, uint64_t tick_ns,
			  uint64_t now_ns);
/* pc_timer_wheel_destroy - free the wheel; armed timers are forgotten (not fired). */
void pc_timer_wheel_destroy(struct pc_timer_wheel *w);

/* pc_timer_init - prepare @t (borrowed: it must outlive its arming) to call @fn(@t, @arg). */
void pc_timer_init(struct pc_timer *t, pc_timer_h fn, void *arg);

/* pc_timer_arm - fire @t at @expire_ns (at the first tick at or after it; a time already past
 * fires on the next advance; armed so from a timer callback, on the next tick). Re-arming an
 * armed timer moves it. */
void pc_timer_arm(struct pc_timer_wheel *w, struct pc_timer *t, uint64_t expire_ns);

/* pc_timer_cancel - disarm @t if armed. */
void pc_timer_cancel(struct pc_timer_wheel *w, struct pc_timer *t);

static inline bool pc_timer_armed(const struct pc_timer *t)
{
	return t->armed != 0;
}

/* pc_timer_wheel_advance - fire every timer due at or before @now_ns. Returns how many fired. */
unsigned pc_timer_wheel_advance(struct pc_timer_wheel *w, uint64_t now_ns);

/* pc_timer_wheel_count - timers armed. */
uint32_t pc_timer_wheel_count(const struct pc_timer_wheel *w);

#ifdef __cplusplus
}
#endif

#endif /* PC_TIMER_H */
