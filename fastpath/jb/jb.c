/* SPDX-License-Identifier: MIT */
/*
 * jb.c - the adaptive jitter buffer of pc_jb.h.
 *
 * Sequence numbers and timestamps are unwrapped to 64 bits on arrival (relative to the highest
 * seen, RFC 3550 A.1), so that the ring, the playout pointer and every comparison below are
 * plain signed arithmetic. Times are int64 nanoseconds of CLOCK_MONOTONIC. A timestamp t maps
 * to ts_ns(t - ts_base); a packet's transit is arrival - ts_ns(ts - ts_base); the offset of a
 * tick is now - ts_ns(play_ts - ts_base). A packet is on time when its transit is at most the
 * offset of the tick that plays it. Delays (target, buffer delay) are offsets over the floor,
 * the smallest recent transit.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "pc_jb.h"

#define JB_MS 1000000ll
#define JB_BIN_NS JB_MS			 /* delay histogram resolution */
#define JB_FLOOR_BUCKETS 8u		 /* the floor: minimum transit over 8 x 250 ms */
#define JB_FLOOR_BUCKET_NS (250 * JB_MS) /* a bucket's span */
#define JB_MEMORY_MS 4000u	/* the histogram forgets with this time constant (per packet) */
#define JB_WEIGHT_RESCALE 1e100 /* renormalise the growing sample weight past this */
#define JB_WARMUP 5u		/* packets measured before the histogram replaces the start delay */
/* A late packet is still played (the ticks concealed since turn into an expansion) while that
 * puts the offset at most this far above the target; then ACCELERATE brings it back. */
#define JB_WAIT_NS (120 * JB_MS)
#define JB_MAX_DROPOUT 3000 /* RFC 3550 A.1: a sequence jump ahead beyond this resyncs */
#define JB_MAX_MISORDER 100 /* ... and behind beyond this */
#define JB_RESYNC_MIN_NS (1000 * JB_MS)
#define JB_ACC_STREAK 2u     /* accelerate when the target stays a frame lower this many ticks */
#define JB_ACC_GAP 2u	     /* and not more often than every JB_ACC_GAP ticks ... */
#define JB_ACC_FAST_FRAMES 2 /* ... but at every tick from this many frames over */
#define JB_EXP_GAP 4u	     /* expand (with a frame due) at most once every this many ticks */
#define JB_ADDED_BINS 2048u  /* added-delay statistics: 1 ms bins up to 2 s */
#define JB_SEQ_START (1ll << 32) /* unwrapped numbers start here: room below for reordering */
#define JB_TS_START (1ll << 40)

enum jb_slot_state {
	JB_SLOT_EMPTY = 0,
	JB_SLOT_QUEUED, /* holds pkt */
	JB_SLOT_SEEN,	/* its packet was played or freed: a copy is a duplicate */
	JB_SLOT_MISSED, /* skipped before its packet came: if it comes, it is late */
	JB_SLOT_OTHER,	/* taken by a packet routed elsewhere (pc_jb_put_other): not audio */
};

struct jb_slot {
	struct pc_pkt *pkt;
	int64_t seq; /* unwrapped sequence number of the occupant, or of the last one */
	int64_t ts;  /* unwrapped timestamp */
	int64_t arrival_ns;
	uint8_t state; /* enum jb_slot_state */
	uint8_t pt;
	uint8_t marker;
	uint8_t pad[5];
};

_Static_assert(sizeof(struct jb_slot) == 40, "a slot is 40 bytes");

struct pc_jb {
	/* Setup, read-only after create. */
	struct pc_pkt_cache *cache;
	uint32_t rate;
	uint32_t flags;
	int64_t frame_ts; /* samples per frame */
	int64_t frame_ns;
	int64_t min_ns, normal_ns, max_ns;
	int64_t resync_ns;
	double forget; /* per packet */
	int32_t cn_pt;
	int64_t late_cost_ns; /* delay worth 1 % late (pc_jb_params.late_cost_us) */
	uint32_t nslots, mask;
	uint32_t hist_bins;
	struct jb_slot *slots;
	double *hist;	 /* excess transit over the floor, JB_BIN_NS bins, decaying weights */
	uint32_t *added; /* added delay of played packets, 1 ms bins */

	/* The stream. */
	uint8_t started;      /* a first packet came since create or reset */
	uint8_t playing;      /* playout began */
	uint8_t last_cn;      /* the last packet played was comfort noise */
	uint8_t gap;	      /* sequence numbers were lost or overflowed since the last played */
	uint8_t run_underrun; /* the current run of empty ticks was counted as an underrun */
	uint8_t pad1[3];
	uint32_t ssrc;
	uint32_t count;	    /* packets held */
	uint32_t run_ticks; /* consecutive ticks that found the buffer empty */
	int64_t hi_seq, hi_ts;
	int64_t ts_base;
	int64_t next_seq;	/* lowest sequence number still wanted */
	int64_t play_ts;	/* timestamp due at the next tick */
	int64_t last_seq;	/* last played; INT64_MIN: none */
	int64_t last_ts;	/* its timestamp */
	int64_t start_delay_ns; /* delay at which playout starts until the histogram is trusted */
	int64_t last_offset_ns; /* offset of the last tick */

	/* The delay estimate. */
	int64_t bucket_min[JB_FLOOR_BUCKETS];
	int64_t bucket_start_ns;
	uint32_t bucket;
	uint32_t samples;
	int64_t floor_ns;  /* minimum transit of the last JB_FLOOR_BUCKETS buckets */
	int64_t target_ns; /* the delay last aimed at */
	double weight;	   /* weight of the next sample (grows by 1 / forget) */
	double total;	   /* sum of the histogram */

	/* The delay control. */
	uint32_t acc_streak;
	uint32_t since_adjust; /* ticks since the last accelerate or expand */

	struct pc_jb_stats st;
	double added_sum_ns;
};

/* --- helpers ---------------------------------------------------------------------------------- */

/* Nanoseconds of @samples at the stream's clock rate; 128-bit so that hours of 48 kHz media
 * times 10^9 cannot overflow. */
static inline int64_t jb_ts_ns(const struct pc_jb *jb, int64_t samples)
{
	return (int64_t)((__int128)samples * 1000000000 / jb->rate);
}

/* RFC 3550 A.1: the unwrapped value is the one closest to the highest seen. The casts take the
 * difference modulo 2^16 (2^32) as a signed number: two's complement on every target. */
static inline int64_t jb_unwrap_seq(const struct pc_jb *jb, uint16_t seq)
{
	return jb->hi_seq + (int16_t)(uint16_t)(seq - (uint16_t)jb->hi_seq);
}

static inline int64_t jb_unwrap_ts(const struct pc_jb *jb, uint32_t ts)
{
	return jb->hi_ts + (int32_t)(uint32_t)(ts - (uint32_t)jb->hi_ts);
}

static inline struct jb_slot *jb_slot(const struct pc_jb *jb, int64_t seq)
{
	return &jb->slots[(uint64_t)seq & jb->mask];
}

static inline bool jb_adaptive(const struct pc_jb *jb)
{
	return !(jb->flags & PC_JB_F_FIXED);
}

static int64_t jb_floor_div(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

static void jb_free_pkt(struct pc_jb *jb, struct pc_pkt_cache *c, struct jb_slot *s)
{
	pc_pkt_free(c, s->pkt);
	s->pkt = NULL;
	s->state = JB_SLOT_SEEN;
	jb->count--;
}

/* The first held packet from next_seq on, or NULL. Held packets all lie in
 * [next_seq, next_seq + nslots): at most nslots slots are looked at. */
static struct jb_slot *jb_head(const struct pc_jb *jb)
{
	if (jb->count == 0)
		return NULL;
	for (int64_t s = jb->next_seq; s <= jb->hi_seq; s++) {
		struct jb_slot *slot = jb_slot(jb, s);

		if (slot->state == JB_SLOT_QUEUED && slot->seq == s)
			return slot;
	}
	return NULL;
}

/* Move next_seq over the sequence numbers that packets routed elsewhere took (telephone-events):
 * nothing is missing there. */
static void jb_pass_other(struct pc_jb *jb)
{
	for (uint32_t i = 0; i < jb->nslots; i++) {
		const struct jb_slot *slot = jb_slot(jb, jb->next_seq);

		if (slot->state != JB_SLOT_OTHER || slot->seq != jb->next_seq)
			return;
		jb->next_seq++;
	}
}

/* Give up on every sequence number below @upto that is not held: they are lost (or late, if they
 * still come). Held packets below @upto are freed as overflow. */
static void jb_skip_to(struct pc_jb *jb, int64_t upto)
{
	int64_t s = jb->next_seq;

	if (upto - s > (int64_t)jb->nslots) {
		/* Beyond the ring's reach nothing is held: lost, without a slot to remember them. */
		jb->st.lost += (uint64_t)(upto - s - jb->nslots);
		jb->gap = 1;
		s = upto - jb->nslots;
	}
	for (; s < upto; s++) {
		struct jb_slot *slot = jb_slot(jb, s);

		if (slot->state == JB_SLOT_QUEUED) {
			if (slot->seq == s) {
				jb_free_pkt(jb, jb->cache, slot);
				jb->st.overflow++;
				jb->gap = 1;
			}
			continue; /* (another seq held there cannot happen: the window holds) */
		}
		if (slot->state == JB_SLOT_OTHER && slot->seq == s)
			continue; /* an event's sequence number, not audio: not lost */
		slot->seq = s;
		slot->state = JB_SLOT_MISSED;
		jb->st.lost++;
		jb->gap = 1;
	}
	if (upto > jb->next_seq)
		jb->next_seq = upto;
	jb_pass_other(jb);
}

/* The audio paused: every sequence number since the last packet played went to another payload
 * (an RFC 4733 sender usually stops its audio while it sends an event), none is missing. */
static bool jb_paused(const struct pc_jb *jb)
{
	return jb->last_seq != INT64_MIN && jb->next_seq > jb->last_seq + 1 && !jb->gap;
}

/* Free every held packet (counted as flushed) into @c and forget the slots. */
static void jb_flush(struct pc_jb *jb, struct pc_pkt_cache *c)
{
	for (uint32_t i = 0; i < jb->nslots; i++) {
		struct jb_slot *slot = &jb->slots[i];

		if (slot->state == JB_SLOT_QUEUED) {
			jb_free_pkt(jb, c, slot);
			jb->st.flushed++;
		}
		slot->state = JB_SLOT_EMPTY;
		slot->seq = INT64_MIN;
	}
	jb->count = 0;
}

/* --- the delay estimate ------------------------------------------------------------------------ */

static void jb_estimate_clear(struct pc_jb *jb)
{
	memset(jb->hist, 0, sizeof(jb->hist[0]) * jb->hist_bins);
	jb->weight = 1.0;
	jb->total = 0.0;
	jb->samples = 0;
	jb->target_ns = jb_adaptive(jb) ? jb->min_ns : jb->normal_ns;
}

static void jb_floor_reset(struct pc_jb *jb, int64_t transit, int64_t now)
{
	for (uint32_t i = 0; i < JB_FLOOR_BUCKETS; i++)
		jb->bucket_min[i] = INT64_MAX;
	jb->bucket = 0;
	jb->bucket_min[0] = transit;
	jb->bucket_start_ns = now;
	jb->floor_ns = transit;
}

/* Record one packet's transit: the floor's buckets, then the histogram of the excess. */
static void jb_estimate_add(struct pc_jb *jb, int64_t transit, int64_t arrival)
{
	int64_t bins;
	uint32_t b;

	if (arrival - jb->bucket_start_ns >= JB_FLOOR_BUCKET_NS) {
		int64_t n = (arrival - jb->bucket_start_ns) / JB_FLOOR_BUCKET_NS;

		for (int64_t i = 0; i < n && i < JB_FLOOR_BUCKETS; i++) {
			jb->bucket = (jb->bucket + 1) % JB_FLOOR_BUCKETS;
			jb->bucket_min[jb->bucket] = INT64_MAX;
		}
		jb->bucket_start_ns += n * JB_FLOOR_BUCKET_NS;
	}
	if (transit < jb->bucket_min[jb->bucket])
		jb->bucket_min[jb->bucket] = transit;
	jb->floor_ns = INT64_MAX;
	for (uint32_t i = 0; i < JB_FLOOR_BUCKETS; i++)
		if (jb->bucket_min[i] < jb->floor_ns)
			jb->floor_ns = jb->bucket_min[i];

	if (!jb_adaptive(jb))
		return;
	/* Exponential forgetting without touching every bin: each sample weighs 1 / forget more
	 * than the one before, and the weights are scaled down now and then. */
	bins = (transit - jb->floor_ns) / JB_BIN_NS;
	b = bins >= (int64_t)jb->hist_bins ? jb->hist_bins - 1 : (uint32_t)bins;
	jb->hist[b] += jb->weight;
	jb->total += jb->weight;
	jb->weight /= jb->forget;
	if (jb->weight > JB_WEIGHT_RESCALE) {
		for (uint32_t i = 0; i < jb->hist_bins; i++)
			jb->hist[i] /= jb->weight;
		jb->total /= jb->weight;
		jb->weight = 1.0;
	}
	jb->samples++;
}

/*
 * The delay to aim at, among @d_cur + k * @step within [min, max]: the one of least cost
 * d + late share at d * JB_LATE_COST (share of the recent packets, by the decaying histogram,
 * whose excess transit is above d). Only offsets the tick grid can reach are weighed (@step a
 * frame while playing, a bin before), so a quantile is never rounded up to the grid. Ties go to
 * the lower delay. Fixed mode: normal; until JB_WARMUP packets: the start delay.
 */
static int64_t jb_choose(const struct pc_jb *jb, int64_t d_cur, int64_t step)
{
	double price = 100.0 * (double)jb->late_cost_ns; /* ns per unit share */
	double best = 0.0, cum = 0.0;
	int64_t d, best_d = -1;
	uint32_t b = 0;

	if (!jb_adaptive(jb))
		return jb->normal_ns;
	if (jb->samples < JB_WARMUP || jb->total <= 0.0)
		return jb->start_delay_ns;
	d = d_cur - jb_floor_div(d_cur - jb->min_ns, step) * step;
	for (; d <= jb->max_ns; d += step) {
		double cost;

		while (b < jb->hist_bins && (int64_t)(b + 1) * JB_BIN_NS <= d)
			cum += jb->hist[b++];
		cost = (double)d + price * (jb->total - cum) / jb->total;
		if (best_d < 0 || cost < best) {
			best = cost;
			best_d = d;
		}
	}
	return best_d < 0 ? jb->min_ns : best_d;
}

/* --- the stream ------------------------------------------------------------------------------- */

/* Start (or restart) playout with @info's packet as the first, @delay_ns over the floor. */
static void jb_stream_start(struct pc_jb *jb, const struct pc_jb_pkt_info *info, int64_t delay_ns)
{
	jb_flush(jb, jb->cache);
	jb->started = 1;
	jb->playing = 0;
	jb->last_cn = 0;
	jb->gap = 0;
	jb->run_underrun = 0;
	jb->ssrc = info->ssrc;
	jb->hi_seq = JB_SEQ_START + info->seq;
	jb->hi_ts = JB_TS_START + info->ts;
	jb->ts_base = jb->hi_ts;
	jb->next_seq = jb->hi_seq;
	jb->play_ts = jb->hi_ts;
	jb->last_seq = INT64_MIN;
	jb->last_ts = INT64_MIN;
	jb->run_ticks = 0;
	jb->acc_streak = 0;
	jb->since_adjust = 0;
	jb->start_delay_ns = delay_ns;
	jb->target_ns = delay_ns;
	jb->last_offset_ns = (int64_t)info->arrival_ns + delay_ns;
	jb_floor_reset(jb, (int64_t)info->arrival_ns, (int64_t)info->arrival_ns);
}

void pc_jb_params_default(struct pc_jb_params *p)
{
	memset(p, 0, sizeof(*p));
	p->clock_rate = 8000;
	p->ptime_ms = 20;
	p->min_delay_ms = PC_JB_MIN_DELAY_MS_DEFAULT;
	p->normal_delay_ms = PC_JB_NORMAL_DELAY_MS_DEFAULT;
	p->max_delay_ms = PC_JB_MAX_DELAY_MS_DEFAULT;
	p->cn_pt = PC_JB_CN_PT;
}

static uint32_t jb_pow2_at_least(uint32_t v)
{
	uint32_t n = 1;

	while (n < v)
		n <<= 1;
	return n;
}

int pc_jb_create(struct pc_jb **out, const struct pc_jb_params *p)
{
	struct pc_jb *jb;
	uint32_t frames;

	if (out == NULL || p == NULL || p->clock_rate < 1000 || p->clock_rate > 384000 ||
	    p->ptime_ms < PC_JB_PTIME_MIN_MS || p->ptime_ms > PC_JB_PTIME_MAX_MS ||
	    (uint64_t)p->clock_rate * p->ptime_ms % 1000 != 0 ||
	    p->min_delay_ms > p->normal_delay_ms || p->normal_delay_ms > p->max_delay_ms ||
	    p->max_delay_ms > PC_JB_DELAY_LIMIT_MS || p->cn_pt > 127 ||
	    p->late_cost_us > PC_JB_LATE_COST_US_MAX)
		return -EINVAL;
	jb = calloc(1, sizeof(*jb));
	if (jb == NULL)
		return -ENOMEM;
	jb->cache = p->cache;
	jb->rate = p->clock_rate;
	jb->flags = p->flags;
	jb->frame_ts = (int64_t)p->clock_rate * p->ptime_ms / 1000;
	jb->frame_ns = (int64_t)p->ptime_ms * JB_MS;
	jb->min_ns = (int64_t)p->min_delay_ms * JB_MS;
	jb->normal_ns = (int64_t)p->normal_delay_ms * JB_MS;
	jb->max_ns = (int64_t)p->max_delay_ms * JB_MS;
	jb->late_cost_ns =
		(int64_t)(p->late_cost_us ? p->late_cost_us : PC_JB_LATE_COST_US_DEFAULT) * 1000;
	jb->resync_ns = 2 * jb->max_ns > JB_RESYNC_MIN_NS ? 2 * jb->max_ns : JB_RESYNC_MIN_NS;
	jb->forget = 1.0 - (double)p->ptime_ms / JB_MEMORY_MS;
	jb->cn_pt = p->cn_pt;
	/* Room for max delay twice over: the packets that arrive together after a stall, on top
	 * of those already waiting. */
	frames = (p->max_delay_ms + p->ptime_ms - 1) / p->ptime_ms;
	jb->nslots = jb_pow2_at_least(2 * frames + 4);
	jb->mask = jb->nslots - 1;
	jb->hist_bins = p->max_delay_ms + 1;
	jb->slots = calloc(jb->nslots, sizeof(*jb->slots));
	if (jb->slots == NULL)
		goto out_free_jb;
	jb->hist = calloc(jb->hist_bins, sizeof(*jb->hist));
	if (jb->hist == NULL)
		goto out_free_slots;
	jb->added = calloc(JB_ADDED_BINS, sizeof(*jb->added));
	if (jb->added == NULL)
		goto out_free_hist;
	for (uint32_t i = 0; i < jb->nslots; i++)
		jb->slots[i].seq = INT64_MIN;
	jb_estimate_clear(jb);
	*out = jb;
	return 0;

out_free_hist:
	free(jb->hist);
out_free_slots:
	free(jb->slots);
out_free_jb:
	free(jb);
	return -ENOMEM;
}

void pc_jb_destroy(struct pc_jb *jb)
{
	if (jb == NULL)
		return;
	/* The control thread must not touch the media thread's cache: the shared ring. */
	jb_flush(jb, NULL);
	free(jb->added);
	free(jb->hist);
	free(jb->slots);
	free(jb);
}

void pc_jb_reset(struct pc_jb *jb)
{
	jb_flush(jb, jb->cache);
	jb->started = 0;
	jb->playing = 0;
	jb_estimate_clear(jb);
	jb->st.resets++;
}

/* --- put -------------------------------------------------------------------------------------- */

static int jb_drop_now(struct pc_jb *jb, struct pc_pkt *pkt, int rc)
{
	pc_pkt_free(jb->cache, pkt);
	return rc;
}

int pc_jb_put(struct pc_jb *jb, struct pc_pkt *pkt, const struct pc_jb_pkt_info *info)
{
	int64_t arrival = (int64_t)info->arrival_ns;
	int64_t seq, ts, dseq, transit, excess;
	struct jb_slot *slot;

	jb->st.packets_in++;
	if (!jb->started || info->ssrc != jb->ssrc) {
		if (jb->started) {
			/* Another source: reset as pc_jb_reset() does, then start on it. */
			jb_flush(jb, jb->cache);
			jb_estimate_clear(jb);
			jb->st.resets++;
		}
		jb_stream_start(jb, info, jb_adaptive(jb) ? jb->min_ns : jb->normal_ns);
	}
	seq = jb_unwrap_seq(jb, info->seq);
	ts = jb_unwrap_ts(jb, info->ts);
	dseq = seq - jb->hi_seq;
	transit = arrival - jb_ts_ns(jb, ts - jb->ts_base);
	excess = transit - jb->floor_ns;
	/* A jump: far ahead or behind in sequence, or a timestamp that puts the packet seconds
	 * off the floor (the newest packet way in the past, or any packet way in the future). A
	 * silence gap moves timestamp and arrival together and does not show here. */
	if (dseq > JB_MAX_DROPOUT || dseq < -JB_MAX_MISORDER || excess < -jb->resync_ns ||
	    (dseq > 0 && excess > jb->resync_ns)) {
		jb->st.resyncs++;
		jb_stream_start(jb, info, jb->target_ns);
		seq = jb->hi_seq;
		ts = jb->hi_ts;
		transit = arrival;
		dseq = 0;
	}

	if (seq < jb->next_seq && !jb->playing && jb->hi_seq - seq < (int64_t)jb->nslots) {
		/* Reordered before playout began: start from it instead. */
		jb->next_seq = seq;
		jb->play_ts = ts;
	}
	if (seq < jb->next_seq) {
		/* Its slot has passed: a copy of what was played or freed, or late. */
		slot = jb_slot(jb, seq);
		if (slot->seq == seq &&
		    (slot->state == JB_SLOT_SEEN || slot->state == JB_SLOT_OTHER)) {
			jb->st.duplicates++;
			return jb_drop_now(jb, pkt, -EALREADY);
		}
		if (slot->seq == seq && slot->state == JB_SLOT_MISSED) {
			jb->st.lost--; /* it came, too late: late loss, not network loss */
			slot->state = JB_SLOT_SEEN;
		}
		jb_estimate_add(jb, transit, arrival);
		jb->st.late++;
		return jb_drop_now(jb, pkt, -ETIME);
	}
	slot = jb_slot(jb, seq);
	if ((slot->state == JB_SLOT_QUEUED || slot->state == JB_SLOT_OTHER) && slot->seq == seq) {
		jb->st.duplicates++;
		return jb_drop_now(jb, pkt, -EALREADY);
	}
	jb_estimate_add(jb, transit, arrival);
	if (seq >= jb->next_seq + (int64_t)jb->nslots) {
		uint64_t dropped = jb->st.overflow;

		/* No room: give up on the oldest. When held packets go, the pointer moves to the
		 * first timestamp still wanted, as an accelerate would. */
		jb_skip_to(jb, seq - jb->nslots + 1);
		if (jb->st.overflow != dropped) {
			int64_t first = ts - (seq - jb->next_seq) * jb->frame_ts;

			if (first > jb->play_ts)
				jb->play_ts = first;
		}
		slot = jb_slot(jb, seq);
	}
	if (dseq < 0)
		jb->st.reordered++;
	if (dseq > 0)
		jb->hi_seq = seq;
	if (ts > jb->hi_ts)
		jb->hi_ts = ts;
	slot->pkt = pkt;
	slot->seq = seq;
	slot->ts = ts;
	slot->arrival_ns = arrival;
	slot->state = JB_SLOT_QUEUED;
	slot->pt = info->pt;
	slot->marker = info->marker;
	jb->count++;
	return 0;
}

int pc_jb_put_other(struct pc_jb *jb, const struct pc_jb_pkt_info *info)
{
	int64_t seq, dseq;
	struct jb_slot *slot;

	if (!jb->started || info->ssrc != jb->ssrc)
		return -ENOENT;
	seq = jb_unwrap_seq(jb, info->seq);
	dseq = seq - jb->hi_seq;
	if (dseq > JB_MAX_DROPOUT || dseq < -JB_MAX_MISORDER)
		return -ERANGE;
	slot = jb_slot(jb, seq);
	if (seq < jb->next_seq) {
		/* Its number was given up on already: not lost after all. */
		if (slot->seq != seq || slot->state != JB_SLOT_MISSED)
			return -EALREADY;
		jb->st.lost--;
		slot->state = JB_SLOT_OTHER;
		jb->st.others++;
		return 0;
	}
	if (slot->seq == seq && (slot->state == JB_SLOT_QUEUED || slot->state == JB_SLOT_OTHER))
		return -EALREADY;
	if (seq >= jb->next_seq + (int64_t)jb->nslots) {
		/* The events outlast the ring while audio is held: make room as pc_jb_put() does. */
		jb_skip_to(jb, seq - jb->nslots + 1);
		slot = jb_slot(jb, seq);
	}
	if (dseq > 0)
		jb->hi_seq = seq;
	slot->seq = seq;
	slot->state = JB_SLOT_OTHER;
	jb->st.others++;
	jb_pass_other(jb);
	return 0;
}

/* --- get -------------------------------------------------------------------------------------- */

static void jb_out_nothing(struct pc_jb *jb, struct pc_jb_frame *out, enum pc_jb_kind kind,
			   enum pc_jb_hint hint)
{
	out->kind = kind;
	out->hint = hint;
	out->ts = (uint32_t)jb->play_ts;
	if (kind == PC_JB_FRAME_LOSS)
		jb->st.frames_loss++;
	else
		jb->st.frames_silence++;
	if (hint == PC_JB_HINT_EXPAND) {
		jb->st.expanded++;
		jb->since_adjust = 0;
	}
}

static void jb_out_pkt(struct pc_jb *jb, int64_t now, struct jb_slot *h, struct pc_jb_frame *out,
		       enum pc_jb_hint hint)
{
	int64_t added = now > h->arrival_ns ? now - h->arrival_ns : 0;
	uint64_t bin = (uint64_t)added / JB_MS;

	jb_skip_to(jb, h->seq); /* what is missing before it is lost */
	out->kind = PC_JB_FRAME_PKT;
	out->hint = hint;
	out->pkt = h->pkt;
	out->ts = (uint32_t)h->ts;
	out->seq = (uint16_t)h->seq;
	out->pt = h->pt;
	out->marker = h->marker;
	h->pkt = NULL;
	h->state = JB_SLOT_SEEN;
	jb->count--;
	jb->last_seq = h->seq;
	jb->last_ts = h->ts;
	jb->last_cn = jb->cn_pt >= 0 && h->pt == jb->cn_pt;
	jb->next_seq = h->seq + 1;
	jb->play_ts = h->ts + jb->frame_ts;
	jb->run_ticks = 0;
	jb->run_underrun = 0;
	jb->gap = 0;
	jb_pass_other(jb);
	jb->st.played++;
	jb->added[bin < JB_ADDED_BINS ? bin : JB_ADDED_BINS - 1]++;
	jb->added_sum_ns += (double)added;
}

/* The held packet right after @h in sequence (telephone-events aside) and in time, or NULL. */
static struct jb_slot *jb_next_of(const struct pc_jb *jb, const struct jb_slot *h)
{
	int64_t s = h->seq + 1;
	struct jb_slot *n = jb_slot(jb, s);
	int64_t dt;

	/* (over the numbers telephone-events took: audio sent alongside them) */
	while (n->state == JB_SLOT_OTHER && n->seq == s && s - h->seq < (int64_t)jb->nslots)
		n = jb_slot(jb, ++s);
	if (n->state != JB_SLOT_QUEUED || n->seq != s)
		return NULL;
	dt = n->ts - h->ts - jb->frame_ts;
	return dt > -jb->frame_ts / 2 && dt <= jb->frame_ts / 2 ? n : NULL;
}

/*
 * The band the offset is steered into, around @target (absolute, as offsets are): expand below
 * lo, accelerate from hi on, play a late packet if that leaves the offset at most at wait.
 * Adaptive: the target is on the tick grid, so [target, target + frame) holds one grid point;
 * fixed: the target (normal) is not, and the band is normal +- 3/4 frame, which holds the grid
 * point nearest normal and a hysteresis of a quarter frame. Never over max.
 */
struct jb_band {
	int64_t lo, hi, wait;
};

static struct jb_band jb_band(const struct pc_jb *jb, int64_t target)
{
	int64_t top = jb->floor_ns + jb->max_ns;
	struct jb_band b;

	if (jb_adaptive(jb)) {
		b.lo = target;
		b.hi = target + jb->frame_ns;
		b.wait = target + JB_WAIT_NS;
	} else {
		b.lo = target - jb->frame_ns / 2 - jb->frame_ns / 4;
		b.hi = target + jb->frame_ns / 2 + jb->frame_ns / 4;
		b.wait = b.hi;
	}
	if (b.wait > top)
		b.wait = top;
	return b;
}

/*
 * Whether a packet held behind @h (numbers lost in between are passed over) is due now within
 * @band (its offset in [lo, hi)): asked when @h's slot has passed and playing it would leave the offset
 * JB_ACC_FAST_FRAMES or more over the band, as after a stall that ends in a burst. Playing @h
 * would only have the next tick drop every frame up to that one (as many frames lost either
 * way, @h stale and two seams), so @h and the ones up to it are late instead. A packet of the
 * run still under the band (not due yet) says no: playing @h then avoids a concealed tick.
 */
static bool jb_on_time_behind(const struct pc_jb *jb, const struct jb_slot *h, int64_t now,
			      struct jb_band band)
{
	/* Past missing numbers (a packet lost from the burst) and telephone-events, as long as
	 * timestamps follow the numbers (a DTX gap ends the search). */
	for (int64_t s = h->seq + 1; s <= jb->hi_seq && s - h->seq < (int64_t)jb->nslots; s++) {
		const struct jb_slot *n = jb_slot(jb, s);
		int64_t dt, off;

		if (n->state != JB_SLOT_QUEUED || n->seq != s)
			continue;
		dt = n->ts - h->ts - (s - h->seq) * jb->frame_ts;
		if (dt <= -jb->frame_ts / 2 || dt > jb->frame_ts / 2)
			return false;
		off = now - jb_ts_ns(jb, n->ts - jb->ts_base);
		if (off < band.lo)
			return false;
		if (off < band.hi)
			return true;
	}
	return false;
}

/* One playout tick while playing. */
static void jb_tick(struct pc_jb *jb, int64_t now, struct pc_jb_frame *out)
{
	int64_t half = jb->frame_ts / 2;
	int64_t offset = now - jb_ts_ns(jb, jb->play_ts - jb->ts_base);
	struct jb_band band;
	bool waited = false, skipping = false;

	jb->target_ns = jb_choose(jb, offset - jb->floor_ns, jb->frame_ns);
	band = jb_band(jb, jb->floor_ns + jb->target_ns);
	for (;;) {
		struct jb_slot *h = jb_head(jb);
		enum pc_jb_hint hint = PC_JB_HINT_NONE;
		int64_t d, head_offset;
		bool fast;

		/* The offset if the frame due now plays now. */
		offset = now - jb_ts_ns(jb, jb->play_ts - jb->ts_base);
		jb->last_offset_ns = offset;
		if (h == NULL) {
			/* After comfort noise, or while telephone-events replace the audio,
			 * nothing is due: silence, not concealment. */
			bool quiet = jb->last_cn || jb_paused(jb);

			if (jb->run_ticks++ == 0 && !quiet) {
				jb->st.underruns++;
				jb->run_underrun = 1;
			}
			if (!quiet && offset < band.lo) {
				/* Below the band: the packet is not late yet; wait for it. */
				jb_out_nothing(jb, out, PC_JB_FRAME_LOSS, PC_JB_HINT_EXPAND);
				return;
			}
			/* Conceal, and move the pointer on as if the frame were lost; should
			 * the packet still come, it may be played then (below). */
			jb_out_nothing(jb, out, quiet ? PC_JB_FRAME_SILENCE : PC_JB_FRAME_LOSS,
				       PC_JB_HINT_NONE);
			jb->play_ts += jb->frame_ts;
			return;
		}
		d = h->ts - jb->play_ts;
		head_offset = now - jb_ts_ns(jb, h->ts - jb->ts_base);
		if (jb->last_seq != INT64_MIN && h->seq == jb->next_seq && !jb->gap &&
		    h->ts - jb->last_ts > jb->frame_ts + half) {
			/* The first packet after a silence gap (no sequence number missing since
			 * the last played, telephone-events aside): start the talkspurt when its
			 * delay reaches the target, whatever the pointer says. Silence is
			 * inserted or dropped, unheard. The empty ticks before it were that
			 * silence, not an underrun. */
			if (jb->run_underrun) {
				jb->st.underruns--;
				jb->run_underrun = 0;
			}
			if (head_offset < jb->floor_ns + jb_choose(jb, 0, JB_BIN_NS)) {
				jb_out_nothing(jb, out, PC_JB_FRAME_SILENCE, PC_JB_HINT_NONE);
				if (jb->play_ts + jb->frame_ts <= h->ts)
					jb->play_ts += jb->frame_ts;
				return;
			}
			jb->play_ts = h->ts;
			jb->last_offset_ns = head_offset;
			jb_out_pkt(jb, now, h, out, PC_JB_HINT_NONE);
			return;
		}
		if (d < -half) {
			/* Its slot has passed. If only concealment was played since and playing
			 * it now keeps the offset within the band's wait, play it: the ticks
			 * concealed become an expansion (NetEq plays a packet that arrives during
			 * an expand the same way). Otherwise it is late; so is it when frames held
			 * behind it are on time again (jb_on_time_behind), and then the ones
			 * between it and those too. */
			bool skip = false;

			if (skipping ||
			    head_offset >= band.hi + (JB_ACC_FAST_FRAMES - 1) * jb->frame_ns)
				skip = skipping = jb_on_time_behind(jb, h, now, band);
			if (h->ts > jb->last_ts && head_offset <= band.wait && !skip) {
				jb->st.expanded +=
					(uint64_t)((jb->play_ts - h->ts + half) / jb->frame_ts);
				jb->play_ts = h->ts;
				waited = true;
				continue;
			}
			jb_skip_to(jb, h->seq);
			jb_free_pkt(jb, jb->cache, h);
			jb->st.late++;
			jb->next_seq = h->seq + 1;
			jb->gap = 1;
			jb_pass_other(jb);
			continue;
		}
		if (d > half) {
			/* Nothing due now. A packet is missing if the sequence says one is due. */
			if (h->seq > jb->next_seq &&
			    h->ts - (h->seq - jb->next_seq) * jb->frame_ts <= jb->play_ts + half) {
				jb_skip_to(jb, jb->next_seq + 1);
				jb_out_nothing(jb, out, PC_JB_FRAME_LOSS, PC_JB_HINT_NONE);
			} else {
				jb_out_nothing(jb, out, PC_JB_FRAME_SILENCE, PC_JB_HINT_NONE);
			}
			jb->play_ts += jb->frame_ts;
			return;
		}

		/* h is due. A late packet the wait just let in is played as it is: dropping
		 * it in the same tick would only call a late packet accelerated. */
		if (waited) {
			jb->acc_streak = 0;
			jb_out_pkt(jb, now, h, out, hint);
			return;
		}
		/* Steer the offset into the band: a frame at a time, or, from
		 * JB_ACC_FAST_FRAMES over (what a delay spike left), all of it in this tick:
		 * those frames are dropped either way, and shedding one a tick would play the
		 * ones in between late. */
		if (offset >= band.hi || offset - jb->floor_ns > jb->max_ns + jb->frame_ns)
			jb->acc_streak++;
		else
			jb->acc_streak = 0;
		fast = offset >= band.hi + (JB_ACC_FAST_FRAMES - 1) * jb->frame_ns;
		if (fast || (jb->acc_streak >= JB_ACC_STREAK && jb->since_adjust >= JB_ACC_GAP)) {
			struct jb_slot *n;

			while ((n = jb_next_of(jb, h)) != NULL) {
				/* Drop the due frame, play the next in its tick. */
				jb_skip_to(jb, h->seq);
				jb_free_pkt(jb, jb->cache, h);
				jb->next_seq = h->seq + 1;
				jb->st.accelerated++;
				jb->since_adjust = 0;
				jb->acc_streak = 0;
				h = n;
				hint = PC_JB_HINT_ACCELERATE;
				offset -= jb->frame_ns;
				jb->last_offset_ns = offset;
				if (!fast || offset < band.hi)
					break;
			}
		} else if (offset < band.lo && jb->since_adjust >= JB_EXP_GAP) {
			jb_out_nothing(jb, out, PC_JB_FRAME_LOSS, PC_JB_HINT_EXPAND);
			return;
		}
		jb_out_pkt(jb, now, h, out, hint);
		return;
	}
}

int pc_jb_get(struct pc_jb *jb, uint64_t now_ns, struct pc_jb_frame *out)
{
	int64_t now = (int64_t)now_ns;

	memset(out, 0, sizeof(*out));
	if (jb->since_adjust < UINT32_MAX)
		jb->since_adjust++;
	if (!jb->started) {
		jb_out_nothing(jb, out, PC_JB_FRAME_SILENCE, PC_JB_HINT_NONE);
		return 0;
	}
	if (!jb->playing) {
		/* Start when the first packet's delay reaches the target (normal until the
		 * network has been measured). */
		struct jb_slot *h = jb_head(jb);

		if (h != NULL)
			jb->target_ns = jb_choose(jb, 0, JB_BIN_NS);
		if (h == NULL ||
		    now - jb_ts_ns(jb, h->ts - jb->ts_base) < jb->floor_ns + jb->target_ns) {
			jb_out_nothing(jb, out, PC_JB_FRAME_SILENCE, PC_JB_HINT_NONE);
			return 0;
		}
		if (jb_adaptive(jb) && jb->samples >= JB_WARMUP && jb->st.played == 0) {
			/* The first get came after the network was measured (5 packets held):
			 * start at the target, not at the first packet's delay. The packets held
			 * before the one whose offset is nearest the target from above are dropped
			 * (accelerated), as accelerating down from there would drop as many, later
			 * and at a higher delay. Only at the stream's very start: after a resync (a
			 * resumed hold, a jump) the first words of a talkspurt are kept, and the
			 * delay comes down a frame at a time (ACCELERATE, which a decoder smooths). */
			struct jb_slot *n;

			while ((n = jb_next_of(jb, h)) != NULL &&
			       now - jb_ts_ns(jb, n->ts - jb->ts_base) >=
				       jb->floor_ns + jb->target_ns) {
				jb_skip_to(jb, h->seq);
				jb_free_pkt(jb, jb->cache, h);
				jb->next_seq = h->seq + 1;
				jb->st.accelerated++;
				h = n;
			}
		}
		jb->playing = 1;
		jb->play_ts = h->ts;
	}
	jb_tick(jb, now, out);
	return 0;
}

/* --- statistics ------------------------------------------------------------------------------- */

uint64_t pc_jb_added_delay_quantile_ns(const struct pc_jb *jb, double q)
{
	uint64_t rank, cum = 0;

	if (jb->st.played == 0)
		return 0;
	if (q < 0.0)
		q = 0.0;
	if (q > 1.0)
		q = 1.0;
	rank = (uint64_t)(q * (double)jb->st.played + 0.999999);
	if (rank == 0)
		rank = 1;
	for (uint32_t b = 0; b < JB_ADDED_BINS; b++) {
		cum += jb->added[b];
		if (cum >= rank)
			return (uint64_t)(b + 1) * JB_MS;
	}
	return (uint64_t)JB_ADDED_BINS * JB_MS;
}

void pc_jb_stats(const struct pc_jb *jb, struct pc_jb_stats *st)
{
	*st = jb->st;
	st->buffered = jb->count;
	st->target_delay_ns = jb->target_ns;
	st->buffer_delay_ns = jb->started ? jb->last_offset_ns - jb->floor_ns : 0;
	st->added_delay_mean_ns =
		jb->st.played ? (uint64_t)(jb->added_sum_ns / (double)jb->st.played) : 0;
	st->added_delay_p99_ns = pc_jb_added_delay_quantile_ns(jb, 0.99);
}
