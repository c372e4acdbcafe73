/* SPDX-License-Identifier: MIT */
/*
 * timer_test.c - the hashed timer wheel of pc_timer.h: a timer fires at its tick (never early,
 * on the first advance at or after it), cancel and re-arm, a callback that re-arms itself or
 * cancels another timer due in the same tick, timers more than one turn of the wheel out, and
 * 10^5 timers at random expiries that must all fire, once, in order of expiry tick.
 *
 * Time is simulated: the tests pass their own clock to create and advance.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pc_timer.h"

#define PC_TEST_MS 1000000ull /* nanoseconds in a millisecond: the default tick */

/* What a timer's callback saw. */
struct pc_test_fire {
	unsigned fired;
	uint64_t now_ns; /* the last firing's clock */
	uint64_t expire_ns;
	uint64_t period_ns; /* > 0: re-arm at expire_ns + period_ns */
	struct pc_timer_wheel *w;
	struct pc_timer *victim; /* cancelled by the callback */
};

static void pc_test_cb(struct pc_timer *t, void *arg, uint64_t now_ns)
{
	struct pc_test_fire *f = arg;

	cr_assert_not(pc_timer_armed(t), "a timer is disarmed when its callback runs");
	f->fired++;
	f->now_ns = now_ns;
	if (f->victim != NULL)
		pc_timer_cancel(f->w, f->victim);
	if (f->period_ns) {
		f->expire_ns += f->period_ns;
		pc_timer_arm(f->w, t, f->expire_ns);
	}
}

static struct pc_timer_wheel *pc_test_wheel_new(uint32_t slots, uint64_t tick_ns, uint64_t now_ns)
{
	struct pc_timer_wheel *w = NULL;
	int rc = pc_timer_wheel_create(&w, slots, tick_ns, now_ns);

	cr_assert_eq(rc, 0, "pc_timer_wheel_create(%u, %llu) = %d", slots,
		     (unsigned long long)tick_ns, rc);
	cr_assert_not_null(w);
	return w;
}

/* --- setup ----------------------------------------------------------------------------------- */

Test(timer, create_rejects_bad_slot_counts)
{
	struct pc_timer_wheel *sentinel = (struct pc_timer_wheel *)(uintptr_t)0xdead0000u;
	struct pc_timer_wheel *w = sentinel;

	/* Given slot counts that are not powers of two, or above 2^24 / When a wheel is created /
	 * Then -EINVAL and *out untouched */
	cr_assert_eq(pc_timer_wheel_create(&w, 3, 0, 0), -EINVAL);
	cr_assert_eq(pc_timer_wheel_create(&w, 1000, 0, 0), -EINVAL);
	cr_assert_eq(pc_timer_wheel_create(&w, 1u << 25, 0, 0), -EINVAL);
	cr_assert_eq(w, sentinel);
}

Test(timer, create_with_defaults_is_empty)
{
	/* Given a wheel with the default slots and tick / Then nothing is armed and advancing
	 * fires nothing */
	struct pc_timer_wheel *w = pc_test_wheel_new(0, 0, 123 * PC_TEST_MS);

	cr_assert_eq(pc_timer_wheel_count(w), 0);
	cr_assert_eq(pc_timer_wheel_advance(w, 10000 * PC_TEST_MS), 0);
	pc_timer_wheel_destroy(w);
}

/* --- one timer ------------------------------------------------------------------------------- */

Test(timer, fires_at_its_tick_never_early)
{
	struct pc_timer_wheel *w = pc_test_wheel_new(64, PC_TEST_MS, 0);
	struct pc_test_fire f = { 0 };
	struct pc_timer t;

	/* Given a timer armed for 5 ms */
	pc_timer_init(&t, pc_test_cb, &f);
	cr_assert_not(pc_timer_armed(&t));
	pc_timer_arm(w, &t, 5 * PC_TEST_MS);
	cr_assert(pc_timer_armed(&t));
	cr_assert_eq(pc_timer_wheel_count(w), 1);

	/* When the wheel advances in steps up to 1 ns before / Then nothing fires */
	cr_assert_eq(pc_timer_wheel_advance(w, 1 * PC_TEST_MS), 0);
	cr_assert_eq(pc_timer_wheel_advance(w, 4 * PC_TEST_MS), 0);
	cr_assert_eq(pc_timer_wheel_advance(w, 5 * PC_TEST_MS - 1), 0);
	cr_assert_eq(f.fired, 0);

	/* When it advances to exactly 5 ms / Then the timer fires, with that clock, once */
	cr_assert_eq(pc_timer_wheel_advance(w, 5 * PC_TEST_MS), 1);
	cr_assert_eq(f.fired, 1);
	cr_assert_eq(f.now_ns, 5 * PC_TEST_MS);
	cr_assert_not(pc_timer_armed(&t));
	cr_assert_eq(pc_timer_wheel_count(w), 0);
	cr_assert_eq(pc_timer_wheel_advance(w, 50 * PC_TEST_MS), 0);
	cr_assert_eq(f.fired, 1);
	pc_timer_wheel_destroy(w);
}

Test(timer, expiry_between_ticks_fires_at_the_next_tick)
{
	struct pc_timer_wheel *w = pc_test_wheel_new(64, PC_TEST_MS, 0);
	struct pc_test_fire f = { 0 };
	struct pc_timer t;

	/* Given a timer for 5.5 ms on a 1 ms wheel */
	pc_timer_init(&t, pc_test_cb, &f);
	pc_timer_arm(w, &t, 5 * PC_TEST_MS + PC_TEST_MS / 2);

	/* When the wheel reaches 5.4 ms / Then nothing (it is not due) */
	cr_assert_eq(pc_timer_wheel_advance(w, 5 * PC_TEST_MS + 400000), 0);
	/* When it reaches 5.9 ms / Then still nothing: the first tick at or after 5.5 ms is 6 */
	cr_assert_eq(pc_timer_wheel_advance(w, 5 * PC_TEST_MS + 900000), 0);
	/* When it reaches 6 ms / Then it fires */
	cr_assert_eq(pc_timer_wheel_advance(w, 6 * PC_TEST_MS), 1);
	cr_assert_geq(f.now_ns, 5 * PC_TEST_MS + PC_TEST_MS / 2);
	pc_timer_wheel_destroy(w);
}

Test(timer, late_advance_fires_everything_due_at_once)
{
	struct pc_timer_wheel *w = pc_test_wheel_new(64, PC_TEST_MS, 0);
	struct pc_test_fire f[3] = { { 0 } };
	struct pc_timer t[3];

	/* Given timers at 2, 7 and 40 ms */
	for (unsigned i = 0; i < 3; i++)
		pc_timer_init(&t[i], pc_test_cb, &f[i]);
	pc_timer_arm(w, &t[0], 2 * PC_TEST_MS);
	pc_timer_arm(w, &t[1], 7 * PC_TEST_MS);
	pc_timer_arm(w, &t[2], 40 * PC_TEST_MS);

	/* When the first advance comes at 30 ms / Then the two due fire in it, and the third
	 * waits */
	cr_assert_eq(pc_timer_wheel_advance(w, 30 * PC_TEST_MS), 2);
	cr_assert_eq(f[0].fired, 1);
	cr_assert_eq(f[1].fired, 1);
	cr_assert_eq(f[2].fired, 0);
	cr_assert_eq(f[0].now_ns, 30 * PC_TEST_MS);
	cr_assert_eq(pc_timer_wheel_count(w), 1);
	cr_assert_eq(pc_timer_wheel_advance(w, 40 * PC_TEST_MS), 1);
	cr_assert_eq(f[2].fired, 1);
	pc_timer_wheel_destroy(w);
}

Test(timer, past_due_timer_fires_on_the_next_advance)
{
	struct pc_timer_wheel *w = pc_test_wheel_new(64, PC_TEST_MS, 0);
	struct pc_test_fire f = { 0 };
	struct pc_timer t;

	/* Given a wheel advanced to 10.2 ms and a timer armed for 3 ms, already past */
	cr_assert_eq(pc_timer_wheel_advance(w, 10 * PC_TEST_MS + 200000), 0);
	pc_timer_init(&t, pc_test_cb, &f);
	pc_timer_arm(w, &t, 3 * PC_TEST_MS);

	/* When the wheel advances again, to 10.7 ms / Then the timer fires (pc_timer.h: "a time
	 * already past fires on the next advance") */
	cr_expect_eq(pc_timer_wheel_advance(w, 10 * PC_TEST_MS + 700000), 1,
		     "a timer armed for a time already past did not fire on the next advance");
	cr_expect_eq(f.fired, 1);
	pc_timer_wheel_destroy(w);
}

Test(timer, past_due_timer_fires_by_the_next_tick)
{
	struct pc_timer_wheel *w = pc_test_wheel_new(64, PC_TEST_MS, 0);
	struct pc_test_fire f = { 0 };
	struct pc_timer t;

	/* Given a wheel at 10 ms and a timer armed for 3 ms, then one for 10 ms (now) */
	cr_assert_eq(pc_timer_wheel_advance(w, 10 * PC_TEST_MS), 0);
	pc_timer_init(&t, pc_test_cb, &f);
	pc_timer_arm(w, &t, 3 * PC_TEST_MS);

	/* When the wheel reaches the next tick / Then it has fired, once */
	cr_assert_eq(pc_timer_wheel_advance(w, 11 * PC_TEST_MS), 1);
	pc_timer_arm(w, &t, 11 * PC_TEST_MS);
	cr_assert_eq(pc_timer_wheel_advance(w, 12 * PC_TEST_MS), 1);
	cr_assert_eq(f.fired, 2);
	cr_assert_eq(pc_timer_wheel_count(w), 0);
	pc_timer_wheel_destroy(w);
}

Test(timer, farthest_expiry_never_fires_early)
{
	struct pc_timer_wheel *w = pc_test_wheel_new(64, PC_TEST_MS, 0);
	struct pc_test_fire f = { 0 };
	struct pc_timer t;

	/* Given a timer armed for the farthest expiry the type can say (UINT64_MAX: "never") */
	pc_timer_init(&t, pc_test_cb, &f);
	pc_timer_arm(w, &t, UINT64_MAX);

	/* When the wheel advances a second / Then it has not fired: it is not due for 584 years
	 * (rounding the expiry up to a tick must not wrap around) */
	cr_expect_eq(pc_timer_wheel_advance(w, 1000 * PC_TEST_MS), 0,
		     "a timer armed for UINT64_MAX ns fired at 1 s");
	cr_expect_eq(f.fired, 0);
	pc_timer_wheel_destroy(w);
}

Test(timer, cancel)
{
	struct pc_timer_wheel *w = pc_test_wheel_new(64, PC_TEST_MS, 0);
	struct pc_test_fire f = { 0 };
	struct pc_timer t, u;

	/* Given two timers armed for 5 ms */
	pc_timer_init(&t, pc_test_cb, &f);
	pc_timer_init(&u, pc_test_cb, &f);
	pc_timer_arm(w, &t, 5 * PC_TEST_MS);
	pc_timer_arm(w, &u, 5 * PC_TEST_MS);
	cr_assert_eq(pc_timer_wheel_count(w), 2);

	/* When one is cancelled (twice: the second is a no-op) / Then it is disarmed and only
	 * the other fires */
	pc_timer_cancel(w, &t);
	cr_assert_not(pc_timer_armed(&t));
	cr_assert_eq(pc_timer_wheel_count(w), 1);
	pc_timer_cancel(w, &t);
	cr_assert_eq(pc_timer_wheel_count(w), 1);
	cr_assert_eq(pc_timer_wheel_advance(w, 100 * PC_TEST_MS), 1);
	cr_assert_eq(f.fired, 1);

	/* And cancelling a timer never armed, or one that fired, changes nothing */
	pc_timer_cancel(w, &u);
	cr_assert_eq(pc_timer_wheel_count(w), 0);
	pc_timer_wheel_destroy(w);
}

Test(timer, rearm_moves_the_timer)
{
	struct pc_timer_wheel *w = pc_test_wheel_new(64, PC_TEST_MS, 0);
	struct pc_test_fire f = { 0 };
	struct pc_timer t;

	/* Given a timer armed for 5 ms, re-armed for 20 ms */
	pc_timer_init(&t, pc_test_cb, &f);
	pc_timer_arm(w, &t, 5 * PC_TEST_MS);
	pc_timer_arm(w, &t, 20 * PC_TEST_MS);

	/* Then it counts once and does not fire at 5 ms, but at 20 ms */
	cr_assert_eq(pc_timer_wheel_count(w), 1);
	cr_assert_eq(pc_timer_wheel_advance(w, 19 * PC_TEST_MS), 0);
	cr_assert_eq(pc_timer_wheel_advance(w, 20 * PC_TEST_MS), 1);

	/* Given it armed for 40 ms, then moved earlier, to 25 ms / Then it fires at 25 ms, once */
	pc_timer_arm(w, &t, 40 * PC_TEST_MS);
	pc_timer_arm(w, &t, 25 * PC_TEST_MS);
	cr_assert_eq(pc_timer_wheel_advance(w, 24 * PC_TEST_MS), 0);
	cr_assert_eq(pc_timer_wheel_advance(w, 25 * PC_TEST_MS), 1);
	cr_assert_eq(pc_timer_wheel_advance(w, 60 * PC_TEST_MS), 0);
	cr_assert_eq(f.fired, 2);
	pc_timer_wheel_destroy(w);
}

Test(timer, periodic_callback_rearms_itself)
{
	struct pc_timer_wheel *w = pc_test_wheel_new(16, PC_TEST_MS, 0);
	struct pc_test_fire f = { .expire_ns = 10 * PC_TEST_MS, .period_ns = 10 * PC_TEST_MS };
	struct pc_timer t;

	/* Given a timer every 10 ms that re-arms itself from its callback */
	f.w = w;
	pc_timer_init(&t, pc_test_cb, &f);
	pc_timer_arm(w, &t, f.expire_ns);

	/* When the wheel advances 1 ms at a time to 100 ms / Then it fires at 10, 20 .. 100 */
	for (uint64_t ms = 1; ms <= 100; ms++) {
		unsigned n = pc_timer_wheel_advance(w, ms * PC_TEST_MS);

		cr_assert_eq(n, ms % 10 == 0 ? 1u : 0u, "at %llu ms: %u fired",
			     (unsigned long long)ms, n);
		if (n)
			cr_assert_eq(f.now_ns, ms * PC_TEST_MS);
	}
	cr_assert_eq(f.fired, 10);
	cr_assert_eq(pc_timer_wheel_count(w), 1);

	/* When one advance covers 100 ms more / Then the ten periods fire in it */
	cr_assert_eq(pc_timer_wheel_advance(w, 200 * PC_TEST_MS), 10);
	cr_assert_eq(f.fired, 20);
	pc_timer_cancel(w, &t);
	pc_timer_wheel_destroy(w);
}

Test(timer, callback_cancels_another_timer_due_in_the_same_tick)
{
	static const unsigned arm_order[5] = { 2, 0, 3, 1, 4 };
	struct pc_timer_wheel *w = pc_test_wheel_new(64, PC_TEST_MS, 0);
	struct pc_test_fire f[5] = { { 0 } };
	struct pc_timer t[5];
	unsigned n;

	/* Given five timers due at 5 ms (one slot, armed interleaved), of which 0 and 1 cancel
	 * each other from their callbacks */
	for (unsigned i = 0; i < 5; i++) {
		f[i].w = w;
		pc_timer_init(&t[i], pc_test_cb, &f[i]);
	}
	f[0].victim = &t[1];
	f[1].victim = &t[0];
	for (unsigned i = 0; i < 5; i++)
		pc_timer_arm(w, &t[arm_order[i]], 5 * PC_TEST_MS);

	/* When the wheel reaches 5 ms */
	n = pc_timer_wheel_advance(w, 5 * PC_TEST_MS);

	/* Then exactly one of the pair fired (the other was cancelled before its turn), the
	 * three others fired once each, and nothing is left */
	cr_assert_eq(f[0].fired + f[1].fired, 1, "timer 0 fired %u, timer 1 fired %u", f[0].fired,
		     f[1].fired);
	for (unsigned i = 2; i < 5; i++)
		cr_assert_eq(f[i].fired, 1, "timer %u fired %u times", i, f[i].fired);
	cr_assert_eq(n, 4);
	cr_assert_eq(pc_timer_wheel_count(w), 0);
	cr_assert_eq(pc_timer_wheel_advance(w, 100 * PC_TEST_MS), 0);
	pc_timer_wheel_destroy(w);
}

static void pc_test_cb_arms_past(struct pc_timer *t, void *arg, uint64_t now_ns)
{
	struct pc_test_fire *f = arg;

	(void)t;
	f->fired++;
	f->now_ns = now_ns;
	/* Arm the victim for a time already past: it must not loop forever in this tick. */
	pc_timer_arm(f->w, f->victim, 1);
}

Test(timer, callback_arming_a_past_time_does_not_spin)
{
	struct pc_timer_wheel *w = pc_test_wheel_new(64, PC_TEST_MS, 0);
	struct pc_test_fire f = { 0 }, g = { 0 };
	struct pc_timer t, u;

	/* Given a callback at 5 ms that arms another timer for 1 ns (long past) */
	f.w = w;
	f.victim = &u;
	pc_timer_init(&t, pc_test_cb_arms_past, &f);
	pc_timer_init(&u, pc_test_cb, &g);
	pc_timer_arm(w, &t, 5 * PC_TEST_MS);

	/* When the wheel reaches 5 ms / Then the callback runs once and the other timer fires by
	 * the next tick, not earlier than its own (past) time */
	cr_assert_eq(pc_timer_wheel_advance(w, 5 * PC_TEST_MS), 1);
	cr_assert_eq(f.fired, 1);
	cr_assert(pc_timer_armed(&u));
	cr_assert_eq(pc_timer_wheel_advance(w, 6 * PC_TEST_MS), 1);
	cr_assert_eq(g.fired, 1);
	pc_timer_wheel_destroy(w);
}

/* --- more than one turn of the wheel --------------------------------------------------------- */

Test(timer, timers_turns_out_fire_at_their_time_not_a_turn_early)
{
	/* Given a wheel of 16 slots of 1 ms (a turn is 16 ms), and timers at 5 ms, 21 ms (the same
	 * slot, one turn later), 16 ms (exactly a turn) and 5 + 3 * 16 = 53 ms */
	struct pc_timer_wheel *w = pc_test_wheel_new(16, PC_TEST_MS, 0);
	static const uint64_t at_ms[] = { 5, 21, 16, 53 };
	struct pc_test_fire f[4] = { { 0 } };
	struct pc_timer t[4];

	for (unsigned i = 0; i < 4; i++) {
		pc_timer_init(&t[i], pc_test_cb, &f[i]);
		pc_timer_arm(w, &t[i], at_ms[i] * PC_TEST_MS);
	}

	/* When the wheel advances 1 ms at a time to 60 ms / Then each fires exactly at its own
	 * millisecond */
	for (uint64_t ms = 1; ms <= 60; ms++) {
		pc_timer_wheel_advance(w, ms * PC_TEST_MS);
		for (unsigned i = 0; i < 4; i++)
			cr_assert_eq(f[i].fired, ms >= at_ms[i] ? 1u : 0u,
				     "timer for %llu ms: fired %u times at %llu ms",
				     (unsigned long long)at_ms[i], f[i].fired,
				     (unsigned long long)ms);
	}
	for (unsigned i = 0; i < 4; i++)
		cr_assert_eq(f[i].now_ns, at_ms[i] * PC_TEST_MS);
	pc_timer_wheel_destroy(w);
}

Test(timer, timer_turns_out_survives_a_big_jump_short_of_it)
{
	struct pc_timer_wheel *w = pc_test_wheel_new(16, PC_TEST_MS, 0);
	struct pc_test_fire f = { 0 };
	struct pc_timer t;

	/* Given a timer 10 turns out (165 ms on a 16 ms wheel) */
	pc_timer_init(&t, pc_test_cb, &f);
	pc_timer_arm(w, &t, 165 * PC_TEST_MS);

	/* When one advance jumps to 164 ms, past its slot 10 times / Then it has not fired */
	cr_assert_eq(pc_timer_wheel_advance(w, 164 * PC_TEST_MS), 0);
	cr_assert(pc_timer_armed(&t));
	/* When the wheel reaches 165 ms / Then it fires */
	cr_assert_eq(pc_timer_wheel_advance(w, 165 * PC_TEST_MS), 1);
	pc_timer_wheel_destroy(w);
}

Test(timer, wheel_created_late_in_time)
{
	/* Given a wheel that starts at an arbitrary clock (10^6 s into the boot, not tick
	 * aligned) with a 20 ms tick */
	const uint64_t start = 1000000ull * 1000000000ull + 12345;
	const uint64_t tick = 20 * PC_TEST_MS;
	struct pc_timer_wheel *w = pc_test_wheel_new(256, tick, start);
	struct pc_test_fire f = { 0 };
	struct pc_timer t;

	/* And a timer 1 s out */
	pc_timer_init(&t, pc_test_cb, &f);
	pc_timer_arm(w, &t, start + 1000 * PC_TEST_MS);

	/* When the wheel advances tick by tick / Then it fires at the first tick at or after the
	 * expiry, never before */
	for (uint64_t now = start; f.fired == 0; now += tick / 4) {
		pc_timer_wheel_advance(w, now);
		cr_assert_lt(now, start + 2000 * PC_TEST_MS, "never fired");
	}
	cr_assert_geq(f.now_ns, start + 1000 * PC_TEST_MS);
	cr_assert_lt(f.now_ns, start + 1000 * PC_TEST_MS + tick + tick / 4);
	pc_timer_wheel_destroy(w);
}

/* --- many timers ----------------------------------------------------------------------------- */

#define PC_TEST_MANY 100000u

struct pc_test_many {
	struct pc_timer t[PC_TEST_MANY];
	uint64_t expire_ns[PC_TEST_MANY];
	uint32_t fired[PC_TEST_MANY];
	uint64_t tick_ns;
	uint64_t prev_now;  /* the clock of the previous advance */
	uint64_t last_tick; /* expiry tick of the last timer fired */
	uint64_t nfired;
	uint64_t bad_order, early, late;
};

static uint32_t pc_test_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s >> 32);
}

static void pc_test_many_cb(struct pc_timer *t, void *arg, uint64_t now_ns)
{
	struct pc_test_many *m = arg;
	size_t i = (size_t)(t - m->t);
	uint64_t tick = (m->expire_ns[i] + m->tick_ns - 1) / m->tick_ns;

	m->fired[i]++;
	m->nfired++;
	if (tick < m->last_tick)
		m->bad_order++;
	m->last_tick = tick;
	if (now_ns < m->expire_ns[i])
		m->early++;
	/* The first advance at or after the expiry tick fires it: the previous one was short. */
	if (m->prev_now >= tick * m->tick_ns)
		m->late++;
}

Test(timer, many_random_timers_fire_once_in_order)
{
	struct pc_test_many *m = calloc(1, sizeof(*m));
	struct pc_timer_wheel *w;
	uint64_t seed = 0x9e3779b97f4a7c15ull, now = 0, end = 0;
	uint64_t armed;

	cr_assert_not_null(m);
	m->tick_ns = PC_TEST_MS;
	/* Given a wheel of 1024 slots and 10^5 timers at random times over 10 s (ten turns),
	 * some cancelled and some moved */
	w = pc_test_wheel_new(1024, m->tick_ns, 0);
	for (uint32_t i = 0; i < PC_TEST_MANY; i++) {
		m->expire_ns[i] = 1 + (uint64_t)pc_test_rand(&seed) % (10000 * PC_TEST_MS);
		pc_timer_init(&m->t[i], pc_test_many_cb, m);
		pc_timer_arm(w, &m->t[i], m->expire_ns[i]);
		if (m->expire_ns[i] > end)
			end = m->expire_ns[i];
	}
	cr_assert_eq(pc_timer_wheel_count(w), PC_TEST_MANY);
	armed = PC_TEST_MANY;
	for (uint32_t i = 0; i < PC_TEST_MANY; i += 97) {
		m->expire_ns[i] = 1 + (uint64_t)pc_test_rand(&seed) % (10000 * PC_TEST_MS);
		pc_timer_arm(w, &m->t[i], m->expire_ns[i]); /* moved: still counted once */
		if (m->expire_ns[i] > end)
			end = m->expire_ns[i];
	}
	cr_assert_eq(pc_timer_wheel_count(w), armed);

	/* When the wheel advances in random steps of 0 to 50 ms until past the last expiry */
	while (now < end + PC_TEST_MS) {
		unsigned n;
		uint64_t before = m->nfired;

		now += (uint64_t)pc_test_rand(&seed) % (50 * PC_TEST_MS);
		n = pc_timer_wheel_advance(w, now);
		cr_assert_eq(n, m->nfired - before);
		cr_assert_eq(pc_timer_wheel_count(w), armed - m->nfired);
		m->prev_now = now;
	}

	/* Then every timer fired exactly once, none early, none an advance late, in
	 * non-decreasing order of expiry tick */
	cr_assert_eq(m->nfired, armed);
	cr_assert_eq(pc_timer_wheel_count(w), 0);
	cr_assert_eq(m->early, 0, "%llu fired early", (unsigned long long)m->early);
	cr_assert_eq(m->late, 0, "%llu fired an advance late", (unsigned long long)m->late);
	cr_assert_eq(m->bad_order, 0, "%llu out of order", (unsigned long long)m->bad_order);
	for (uint32_t i = 0; i < PC_TEST_MANY; i++)
		cr_assert_eq(m->fired[i], 1, "timer %u fired %u times", i, m->fired[i]);
	pc_timer_wheel_destroy(w);
	free(m);
}

Test(timer, count_follows_arm_cancel_and_fire)
{
	struct pc_timer_wheel *w = pc_test_wheel_new(8, PC_TEST_MS, 0);
	struct pc_test_fire f = { 0 };
	struct pc_timer t[20];

	/* Given 20 timers at 1..20 ms on an 8-slot wheel */
	for (unsigned i = 0; i < 20; i++) {
		pc_timer_init(&t[i], pc_test_cb, &f);
		pc_timer_arm(w, &t[i], (i + 1) * PC_TEST_MS);
		cr_assert_eq(pc_timer_wheel_count(w), i + 1);
	}
	/* When 5 are cancelled and 5 re-armed / Then the count says 15 */
	for (unsigned i = 0; i < 5; i++)
		pc_timer_cancel(w, &t[i * 4]);
	for (unsigned i = 0; i < 5; i++)
		pc_timer_arm(w, &t[i * 4 + 1], 30 * PC_TEST_MS);
	cr_assert_eq(pc_timer_wheel_count(w), 15);
	/* When the wheel reaches 10 ms / Then the count drops by what fired */
	unsigned n = pc_timer_wheel_advance(w, 10 * PC_TEST_MS);

	cr_assert_eq(pc_timer_wheel_count(w), 15 - n);
	cr_assert_eq(f.fired, n);
	cr_assert_eq(pc_timer_wheel_advance(w, 30 * PC_TEST_MS), 15 - n);
	cr_assert_eq(pc_timer_wheel_count(w), 0);
	/* And destroying a wheel with timers armed forgets them */
	pc_timer_arm(w, &t[0], 100 * PC_TEST_MS);
	pc_timer_wheel_destroy(w);
}
