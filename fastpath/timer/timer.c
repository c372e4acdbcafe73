/* SPDX-License-Identifier: MIT */
/* timer.c - the hashed timer wheel of pc_timer.h. */
#include <errno.h>
#include <stdlib.h>

#include "pc_timer.h"

struct pc_timer_wheel {
	uint64_t tick_ns;
	uint64_t cur_tick; /* every tick up to this one has been processed */
	uint32_t mask;
	uint32_t count;
	uint32_t in_advance;	  /* 1 while pc_timer_wheel_advance() runs callbacks */
	struct pc_timer *slots[]; /* heads of doubly linked lists */
};

int pc_timer_wheel_create(struct pc_timer_wheel **out, uint32_t slots, uint64_t tick_ns,
			  uint64_t now_ns)
{
	struct pc_timer_wheel *w;

	if (slots == 0)
		slots = 4096;
	if (tick_ns == 0)
		tick_ns = 1000000;
	if ((slots & (slots - 1)) != 0 || slots > (1u << 24))
		return -EINVAL;
	w = calloc(1, sizeof(*w) + slots * sizeof(w->slots[0]));
	if (w == NULL)
		return -ENOMEM;
	w->tick_ns = tick_ns;
	w->cur_tick = now_ns / tick_ns;
	w->mask = slots - 1;
	*out = w;
	return 0;
}

void pc_timer_wheel_destroy(struct pc_timer_wheel *w)
{
	free(w);
}

void pc_timer_init(struct pc_timer *t, pc_timer_h fn, void *arg)
{
	t->next = t->prev = NULL;
	t->expire_tick = 0;
	t->fn = fn;
	t->arg = arg;
	t->armed = 0;
}

static void unlink_timer(struct pc_timer_wheel *w, struct pc_timer *t)
{
	if (t->prev != NULL)
		t->prev->next = t->next;
	else
		w->slots[t->expire_tick & w->mask] = t->next;
	if (t->next != NULL)
		t->next->prev = t->prev;
	t->next = t->prev = NULL;
	t->armed = 0;
	w->count--;
}

void pc_timer_arm(struct pc_timer_wheel *w, struct pc_timer *t, uint64_t expire_ns)
{
	/* Round up (without overflow near UINT64_MAX): a timer never fires before its time. */
	uint64_t tick = expire_ns / w->tick_ns + (expire_ns % w->tick_ns != 0);
	struct pc_timer **head;

	if (t->armed)
		unlink_timer(w, t);
	/* Already due: outside an advance, into the current tick's slot, which the next advance
	 * looks at first; from a callback, into the next tick's, so that a callback re-arming
	 * in the past cannot keep one advance going forever. */
	if (tick <= w->cur_tick)
		tick = w->in_advance ? w->cur_tick + 1 : w->cur_tick;
	t->expire_tick = tick;
	head = &w->slots[tick & w->mask];
	t->prev = NULL;
	t->next = *head;
	if (*head != NULL)
		(*head)->prev = t;
	*head = t;
	t->armed = 1;
	w->count++;
}

void pc_timer_cancel(struct pc_timer_wheel *w, struct pc_timer *t)
{
	if (t->armed)
		unlink_timer(w, t);
}

/* Fire the due timers of slot @tick one at a time, looking again from the head after each
 * callback: a callback may cancel or arm any timer, including ones in this slot, so no pointer
 * into the list survives it. Timers a turn or more out share the slot and are skipped. */
static unsigned fire_slot(struct pc_timer_wheel *w, uint64_t tick, uint64_t now_ns)
{
	unsigned fired = 0;

	for (;;) {
		struct pc_timer *t;

		for (t = w->slots[tick & w->mask]; t != NULL; t = t->next)
			if (t->expire_tick <= tick)
				break;
		if (t == NULL)
			return fired;
		unlink_timer(w, t);
		t->fn(t, t->arg, now_ns);
		fired++;
	}
}

unsigned pc_timer_wheel_advance(struct pc_timer_wheel *w, uint64_t now_ns)
{
	uint64_t now_tick = now_ns / w->tick_ns;
	unsigned fired;

	w->in_advance = 1;
	/* Timers armed for a past time since the last advance wait in the current slot. */
	fired = fire_slot(w, w->cur_tick, now_ns);
	while (w->cur_tick < now_tick) {
		w->cur_tick++;
		fired += fire_slot(w, w->cur_tick, now_ns);
		if (w->count == 0) {
			w->cur_tick = now_tick; /* nothing armed: skip the empty ticks */
			break;
		}
	}
	w->in_advance = 0;
	return fired;
}

uint32_t pc_timer_wheel_count(const struct pc_timer_wheel *w)
{
	return w->count;
}
