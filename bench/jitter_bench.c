/* SPDX-License-Identifier: MIT */
/*
 * jitter_bench.c - benchmark "jitter": phonecore's adaptive jitter buffer (pc_jb) against Speex
 * DSP's (speex_jitter.h), on the same generated network traces.
 *
 * A trace is one G.711 stream, 20 ms frames at 8000 Hz (160 samples), 60 s long (15 s with
 * --quick), sent at t = 1 s + i * 20 ms of the sender's clock and carried by a simulated
 * network: 40 ms of base delay plus the trace's jitter, in order (a path is a FIFO: a packet
 * never overtakes the one before it), some packets lost. The traces (seeded PRNG, the same
 * every run):
 *   clean       jitter uniform in [0, 1] ms
 *   pareto      jitter Lomax (Pareto II) with shape 2.5 and scale 15 ms: mean 10 ms, 1.8 %
 *               over 60 ms, 0.13 % over 200 ms
 *   gilbert     Gilbert-Elliott loss: good -> bad 2 %, bad -> good 30 % per packet, 80 % lost
 *               in bad, 0.2 % in good; jitter Lomax shape 3, scale 10 ms (mean 5 ms)
 *   spike       jitter uniform in [0, 5] ms and a 200 ms stall at 15, 30 and 45 s (5 s with
 *               --quick): what is sent during it arrives in one burst at its end
 *   drift+1%    the sender's clock 1 % fast (a packet every 19.8 ms of ours); jitter as gilbert
 *   drift-1%    1 % slow (every 20.2 ms)
 * Both buffers see identical arrivals. Each runs on a simulated clock: the arrivals up to a
 * playout tick are put, then one frame is taken; ticks come every 20 ms of the receiver's clock
 * at a phase of 7.3 ms from the sender's. Speex is driven the usual way: jitter_buffer_init(160)
 * with its defaults, jitter_buffer_put() on arrival, jitter_buffer_get(160) then
 * jitter_buffer_tick() at each tick (auto-adjust on); packets are passed by reference (a
 * destroy callback); a get that returns no packet (MISSING, or an INSERTION, even one Speex
 * sized at several frames, which is rare) is one concealed frame, as the speex_jitter_get()
 * wrapper of Speex's own speex_jitter.h plays it. Ours runs with the VP530 defaults (adaptive,
 * 0/120/300 ms) on pc_pkt buffers from a pool, whose in-use count must be back to 0 at the end.
 *
 * Metrics per trace, over the packets that arrived (network losses excluded):
 *   added_delay_mean, added_delay_p99: for each played packet, the tick that played it minus its
 *     arrival: playout time - send time - network delay of that packet, the time it spent in
 *     the buffer. Lower is better; speedup = reference / ours.
 *   late_loss: percent of the arrived packets not played because they came after their playout
 *     time (ours: counted by pc_jb as late; Speex: the playout pointer returned by the last get
 *     was already past the packet's timestamp when it was put). Lower is better; its speedup
 *     is not defined when ours is 0, hence:
 *   on_time_pct: 100 - late_loss, higher better: speedup = (100 - late_ref) / (100 - late_ours).
 *   played_pct: percent of the arrived packets played at all: also counts the frames each
 *     buffer dropped to cut its delay (ours: ACCELERATE; Speex: its pointer skipping ahead),
 *     the complete account of what was not heard. Higher is better.
 * Both play a stream's first packet at the first tick after it comes; the notes also give the
 * mean delay from the second second on.
 *
 * The trade-off curve. A jitter buffer trades delay for loss, and the two buffers settle at
 * different points of that trade (Speex runs at 15 ms and 10 % late on drift-1%, at 165 ms on
 * drift+1%, letting its delay grow rather than drop the frames a fast clock sends in excess).
 * So ours runs again at each late cost of a ladder (pc_jb_params.late_cost_us, the one knob of
 * its adaptive target; 10 ms per 1 % by default), and three rows compare the curve with
 * Speex's point:
 *   played_pct_at_ref_delay, late_loss_at_ref_delay: of our points whose mean delay is at most
 *     Speex's, the one that plays the most: its played share and late loss, against Speex's.
 *   added_delay_at_ref_played: the least mean delay of our points that play at least Speex's
 *     share, against Speex's delay.
 * A row is null when no point of the ladder qualifies (said in the notes, with every point).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <speex/speex_jitter.h>

#include "bench_pvt.h"
#include "hist_pvt.h"
#include "pc_jb.h"
#include "pc_pkt.h"

#define JIT_MS 1000000ll
#define JIT_RATE 8000u
#define JIT_PTIME_MS 20u
#define JIT_FRAME_TS 160u
#define JIT_FRAME_NS (20 * JIT_MS)
#define JIT_SECONDS 60u
#define JIT_SECONDS_QUICK 15u
#define JIT_START_NS (1000 * JIT_MS)
#define JIT_BASE_NS (40 * JIT_MS)
#define JIT_TICK_PHASE_NS 7300000ll
#define JIT_DRAIN_NS (1000 * JIT_MS) /* ticks after the last arrival */
#define JIT_SEED 0x6a09e667f3bcc908ull
/* Far from 0 in both directions: Speex's pointer is 0 before its first get and after a reset,
 * and must not then look ahead of every packet. Ours is tested across the wrap in its suite. */
#define JIT_TS0 0x40000000u
#define JIT_SEQ0 65000u /* the sequence numbers wrap early in every trace */
#define JIT_POOL_BUFS 512u
#define JIT_SPIKE_NS (200 * JIT_MS)
#define JIT_STEADY_FROM 100u /* the notes also give the mean from the 101st packet (2 s) on */

static const char *const ref_name = "Speex DSP jitter buffer";

enum jit_kind {
	JIT_CLEAN,
	JIT_PARETO,
	JIT_GILBERT,
	JIT_SPIKE,
	JIT_DRIFT_FAST,
	JIT_DRIFT_SLOW,
	JIT_KINDS,
};

static const char *const jit_names[JIT_KINDS] = {
	"clean", "pareto", "gilbert", "spike", "drift+1%", "drift-1%",
};

struct jit_pkt {
	int64_t send_ns; /* on the receiver's clock */
	int64_t arrival_ns;
	uint32_t ts;
	uint16_t seq;
	uint8_t lost;
	uint8_t late; /* Speex: put after its pointer had passed */
	uint8_t played;
};

struct jit_trace {
	enum jit_kind kind;
	uint32_t n;	  /* packets sent */
	uint32_t arrived; /* not lost */
	struct jit_pkt *pkts;
	uint32_t *order; /* indexes of the arrived packets by arrival time */
	int64_t end_ns;	 /* last tick */
};

/* What one buffer did with one trace. */
struct jit_result {
	struct pc_hist *h; /* added delay, ns */
	uint64_t played;
	uint64_t late;
	uint64_t dropped;     /* arrived in time, not played: dropped to cut delay or for room */
	uint64_t concealed;   /* frames concealed or inserted */
	uint64_t expanded;    /* ours: frames of delay added */
	uint64_t misordered;  /* played out of sequence order: must be 0 */
	double steady_sum_ns; /* added delay of the packets from JIT_STEADY_FROM on */
	uint64_t steady_n;
};

static void jit_played(struct jit_result *res, uint32_t i, int64_t added_ns)
{
	pc_hist_record(res->h, (uint64_t)added_ns);
	if (i >= JIT_STEADY_FROM) {
		res->steady_sum_ns += (double)added_ns;
		res->steady_n++;
	}
}

/* --- the traces ------------------------------------------------------------------------------- */

static uint64_t jit_rand(uint64_t *s)
{
	/* splitmix64 */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in (0, 1). */
static double jit_uniform(uint64_t *s)
{
	return ((double)(jit_rand(s) >> 11) + 0.5) / 9007199254740992.0;
}

/* Lomax (Pareto type II) with @shape and @scale_ns: heavy-tailed, from 0. */
static int64_t jit_lomax(uint64_t *s, double shape, double scale_ns)
{
	return (int64_t)(scale_ns * (pow(jit_uniform(s), -1.0 / shape) - 1.0));
}

static int jit_cmp_arrival(const void *a, const void *b, void *arg)
{
	const struct jit_pkt *p = arg;
	uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;

	if (p[i].arrival_ns != p[j].arrival_ns)
		return p[i].arrival_ns < p[j].arrival_ns ? -1 : 1;
	return i < j ? -1 : (i > j);
}

static int jit_trace_make(struct jit_trace *t, enum jit_kind kind, bool quick)
{
	uint32_t seconds = quick ? JIT_SECONDS_QUICK : JIT_SECONDS;
	double drift = kind == JIT_DRIFT_FAST ? 0.01 : kind == JIT_DRIFT_SLOW ? -0.01 : 0.0;
	uint64_t seed = JIT_SEED + (uint64_t)kind * 0x100000001b3ull;
	int64_t prev = 0, last = 0;
	bool bad = false;

	memset(t, 0, sizeof(*t));
	t->kind = kind;
	t->n = seconds * 1000u / JIT_PTIME_MS;
	t->pkts = calloc(t->n, sizeof(*t->pkts));
	t->order = calloc(t->n, sizeof(*t->order));
	if (t->pkts == NULL || t->order == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < t->n; i++) {
		struct jit_pkt *p = &t->pkts[i];
		int64_t jitter = 0;

		/* The sender's 20 ms are (1 + drift) times shorter on our clock. */
		p->send_ns = JIT_START_NS + (int64_t)((double)i * JIT_FRAME_NS / (1.0 + drift));
		p->ts = JIT_TS0 + i * JIT_FRAME_TS;
		p->seq = (uint16_t)(JIT_SEQ0 + i);
		switch (kind) {
		case JIT_CLEAN:
			jitter = (int64_t)(jit_uniform(&seed) * JIT_MS);
			break;
		case JIT_PARETO:
			jitter = jit_lomax(&seed, 2.5, 15.0 * JIT_MS);
			break;
		case JIT_SPIKE:
			jitter = (int64_t)(jit_uniform(&seed) * 5 * JIT_MS);
			break;
		case JIT_GILBERT:
		case JIT_DRIFT_FAST:
		case JIT_DRIFT_SLOW:
		case JIT_KINDS:
			jitter = jit_lomax(&seed, 3.0, 10.0 * JIT_MS);
			break;
		}
		p->arrival_ns = p->send_ns + JIT_BASE_NS + jitter;
		if (kind == JIT_SPIKE) {
			/* Stalls at 15, 30, 45 s (5 s when quick): held until the stall ends. */
			for (uint32_t k = 1; k <= 3; k++) {
				int64_t at =
					JIT_START_NS + (int64_t)k * (quick ? 5000 : 15000) * JIT_MS;

				if (p->send_ns >= at && p->send_ns < at + JIT_SPIKE_NS &&
				    p->arrival_ns < at + JIT_SPIKE_NS + JIT_BASE_NS)
					p->arrival_ns = at + JIT_SPIKE_NS + JIT_BASE_NS;
			}
		}
		if (kind == JIT_GILBERT) {
			double u = jit_uniform(&seed);

			bad = bad ? u >= 0.30 : u < 0.02;
			p->lost = jit_uniform(&seed) < (bad ? 0.80 : 0.002);
		}
		if (p->lost)
			continue;
		/* FIFO: not before the packet ahead of it. */
		if (p->arrival_ns < prev)
			p->arrival_ns = prev;
		prev = p->arrival_ns;
		last = p->arrival_ns;
		t->order[t->arrived++] = i;
	}
	qsort_r(t->order, t->arrived, sizeof(*t->order), jit_cmp_arrival, t->pkts);
	t->end_ns = last + JIT_DRAIN_NS;
	return 0;
}

static void jit_trace_free(struct jit_trace *t)
{
	free(t->pkts);
	free(t->order);
}

static int64_t jit_tick_ns(uint64_t k)
{
	return JIT_TICK_PHASE_NS + (int64_t)k * JIT_FRAME_NS;
}

/* --- ours ------------------------------------------------------------------------------------- */

static int jit_run_ours(struct jit_trace *t, struct pc_pkt_pool *pool, uint32_t late_cost_us,
			struct jit_result *res, struct pc_jb_stats *st)
{
	struct pc_jb_params p;
	struct pc_pkt_pool_stats ps;
	struct pc_pkt_cache *c;
	struct pc_jb *jb;
	uint32_t next = 0;
	int64_t last_seq = -1;
	int rc;

	rc = pc_pkt_cache_attach(pool, &c);
	if (rc < 0)
		return rc;
	pc_jb_params_default(&p);
	p.cache = c;
	p.late_cost_us = late_cost_us;
	rc = pc_jb_create(&jb, &p);
	if (rc < 0)
		goto out_detach;
	for (uint64_t k = 0; jit_tick_ns(k) <= t->end_ns; k++) {
		int64_t now = jit_tick_ns(k);
		struct pc_jb_frame f;

		while (next < t->arrived && t->pkts[t->order[next]].arrival_ns <= now) {
			uint32_t i = t->order[next++];
			struct pc_jb_pkt_info info = {
				.arrival_ns = (uint64_t)t->pkts[i].arrival_ns,
				.ts = t->pkts[i].ts,
				.ssrc = 0x11223344u,
				.seq = t->pkts[i].seq,
				.pt = 0,
			};
			struct pc_pkt *pkt = pc_pkt_alloc(c);

			if (pkt == NULL) {
				rc = -ENOBUFS;
				goto out_destroy;
			}
			pkt->udata64 = i;
			pc_jb_put(jb, pkt, &info);
		}
		pc_jb_get(jb, (uint64_t)now, &f);
		if (f.kind == PC_JB_FRAME_PKT) {
			uint32_t i = (uint32_t)f.pkt->udata64;

			res->played++;
			if ((int64_t)i <= last_seq)
				res->misordered++;
			last_seq = i;
			jit_played(res, i, now - t->pkts[i].arrival_ns);
			pc_pkt_free(c, f.pkt);
		}
	}
	pc_jb_stats(jb, st);
	res->late = st->late;
	res->dropped = st->accelerated + st->overflow + st->flushed + st->buffered;
	res->concealed = st->frames_loss;
	res->expanded = st->expanded;
out_destroy:
	pc_jb_destroy(jb);
out_detach:
	pc_pkt_cache_detach(c);
	pc_pkt_pool_stats(pool, &ps);
	if (rc == 0 && ps.in_use != 0) {
		fprintf(stderr, "phonecore bench: jitter: %u packet buffers not returned\n",
			ps.in_use);
		rc = -EPROTO;
	}
	return rc;
}

/* --- Speex ------------------------------------------------------------------------------------ */

static void jit_spx_release(void *data)
{
	(void)data; /* the packets are the trace's: nothing to free */
}

static int jit_run_speex(struct jit_trace *t, struct jit_result *res)
{
	JitterBuffer *jb = jitter_buffer_init(JIT_FRAME_TS);
	uint32_t next = 0, pointer = 0;
	int64_t last_seq = -1;

	if (jb == NULL)
		return -ENOMEM;
	jitter_buffer_ctl(jb, JITTER_BUFFER_SET_DESTROY_CALLBACK, (void *)jit_spx_release);
	for (uint32_t i = 0; i < t->n; i++)
		t->pkts[i].late = t->pkts[i].played = 0;
	for (uint64_t k = 0; jit_tick_ns(k) <= t->end_ns; k++) {
		int64_t now = jit_tick_ns(k);
		JitterBufferPacket out = { 0 };
		int ret;

		while (next < t->arrived && t->pkts[t->order[next]].arrival_ns <= now) {
			uint32_t i = t->order[next++];
			JitterBufferPacket in = {
				.data = (char *)&t->pkts[i],
				.len = 1,
				.timestamp = t->pkts[i].ts,
				.span = JIT_FRAME_TS,
				.sequence = t->pkts[i].seq,
				.user_data = i,
			};

			/* Late: the last get had moved the pointer past it already. */
			t->pkts[i].late = (int32_t)(t->pkts[i].ts - pointer) < 0;
			jitter_buffer_put(jb, &in);
		}
		ret = jitter_buffer_get(jb, &out, JIT_FRAME_TS, NULL);
		pointer = (uint32_t)jitter_buffer_get_pointer_timestamp(jb);
		if (ret == JITTER_BUFFER_OK) {
			uint32_t i = out.user_data;

			res->played++;
			if ((int64_t)i <= last_seq)
				res->misordered++;
			last_seq = i;
			t->pkts[i].played = 1;
			jit_played(res, i, now - t->pkts[i].arrival_ns);
		} else {
			res->concealed++;
		}
		jitter_buffer_tick(jb);
	}
	jitter_buffer_destroy(jb);
	for (uint32_t k = 0; k < t->arrived; k++) {
		const struct jit_pkt *p = &t->pkts[t->order[k]];

		if (p->played)
			continue;
		if (p->late)
			res->late++;
		else
			res->dropped++;
	}
	return 0;
}

/* --- the benchmark ---------------------------------------------------------------------------- */

static double jit_pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : NAN;
}

static int jit_report(struct pc_bench_report *r, const struct jit_trace *t,
		      const struct jit_result *o, const struct jit_result *s,
		      const struct pc_jb_stats *st)
{
	char name[64];
	double late_o = jit_pct(o->late, t->arrived), late_s = jit_pct(s->late, t->arrived);
	int rc;

	snprintf(name, sizeof(name), "jitter/%s", jit_names[t->kind]);
	rc = pc_bench_report_row(r, name, "added_delay_mean", "ms", PC_BENCH_LOWER_BETTER,
				 pc_hist_mean(o->h) / 1e6, ref_name, pc_hist_mean(s->h) / 1e6);
	if (rc == 0)
		rc = pc_bench_report_row(r, name, "added_delay_p99", "ms", PC_BENCH_LOWER_BETTER,
					 (double)pc_hist_quantile(o->h, 0.99) / 1e6, ref_name,
					 (double)pc_hist_quantile(s->h, 0.99) / 1e6);
	if (rc == 0)
		rc = pc_bench_report_row(r, name, "late_loss", "%", PC_BENCH_LOWER_BETTER, late_o,
					 ref_name, late_s);
	if (rc == 0)
		rc = pc_bench_report_row(r, name, "on_time_pct", "%", PC_BENCH_HIGHER_BETTER,
					 100.0 - late_o, ref_name, 100.0 - late_s);
	if (rc == 0)
		rc = pc_bench_report_row(r, name, "played_pct", "%", PC_BENCH_HIGHER_BETTER,
					 jit_pct(o->played, t->arrived), ref_name,
					 jit_pct(s->played, t->arrived));
	if (rc == 0)
		rc = pc_bench_report_note(
			r,
			"%s: %u packets sent, %u arrived (network loss %.2f %%); ours: %" PRIu64
			" late, %" PRIu64 " dropped to cut delay, %" PRIu64
			" frames of delay added, %" PRIu64 " frames concealed, target %.0f ms at "
			"the end; Speex: %" PRIu64 " late, %" PRIu64 " skipped, %" PRIu64
			" frames missing or inserted",
			name, t->n, t->arrived, jit_pct(t->n - t->arrived, t->n), o->late,
			o->dropped, o->expanded, o->concealed, (double)st->target_delay_ns / 1e6,
			s->late, s->dropped, s->concealed);
	if (rc == 0)
		rc = pc_bench_report_note(r,
					  "%s: added delay mean from the 2nd second on (past the "
					  "start): ours %.2f ms, Speex %.2f ms",
					  name, o->steady_sum_ns / (double)o->steady_n / 1e6,
					  s->steady_sum_ns / (double)s->steady_n / 1e6);
	if (rc == 0 && (o->misordered || s->misordered))
		rc = pc_bench_report_note(r,
					  "WARNING: %s: played out of order: ours %" PRIu64
					  ", Speex %" PRIu64,
					  name, o->misordered, s->misordered);
	return rc;
}

/*
 * The trade-off curve: ours again at each late cost of the ladder (pc_jb_params.late_cost_us,
 * the one knob of the adaptive target), to compare with Speex at equal delay and at equal
 * loss. A jitter buffer trades delay for loss; one operating point beating the other on one
 * axis says little, the curve passing below the reference's point says it is better.
 */
static const uint32_t jit_ladder_us[] = { 250,	 500,	1000,  2000,   4000,   8000,
					  16000, 32000, 64000, 128000, 256000, 1000000 };
#define JIT_LADDER (sizeof(jit_ladder_us) / sizeof(jit_ladder_us[0]))

struct jit_point {
	uint32_t cost_us;
	double delay_ms, late_pct, played_pct;
};

static int jit_ladder(struct pc_bench_report *r, struct jit_trace *t, struct pc_pkt_pool *pool,
		      const struct jit_result *s)
{
	double s_delay = pc_hist_mean(s->h) / 1e6, s_played = jit_pct(s->played, t->arrived);
	double s_late = jit_pct(s->late, t->arrived);
	const struct jit_point *at_delay = NULL, *at_played = NULL;
	struct jit_point pts[JIT_LADDER];
	char name[64];
	int rc = 0;

	for (size_t k = 0; k < JIT_LADDER && rc == 0; k++) {
		struct jit_result x = { 0 };
		struct pc_jb_stats st;

		rc = pc_hist_create(&x.h);
		if (rc == 0)
			rc = jit_run_ours(t, pool, jit_ladder_us[k], &x, &st);
		if (rc == 0)
			pts[k] = (struct jit_point){ jit_ladder_us[k], pc_hist_mean(x.h) / 1e6,
						     jit_pct(x.late, t->arrived),
						     jit_pct(x.played, t->arrived) };
		pc_hist_destroy(x.h);
	}
	if (rc != 0)
		return rc;
	/* At Speex's delay or less: the point that plays the most (then the fewest late).
	 * At Speex's played share or more: the point of least delay. */
	for (size_t k = 0; k < JIT_LADDER; k++) {
		const struct jit_point *p = &pts[k];

		if (p->delay_ms <= s_delay &&
		    (at_delay == NULL || p->played_pct > at_delay->played_pct ||
		     (p->played_pct == at_delay->played_pct && p->late_pct < at_delay->late_pct)))
			at_delay = p;
		if (p->played_pct >= s_played &&
		    (at_played == NULL || p->delay_ms < at_played->delay_ms))
			at_played = p;
	}
	snprintf(name, sizeof(name), "jitter/%s", jit_names[t->kind]);
	rc = pc_bench_report_row(r, name, "played_pct_at_ref_delay", "%", PC_BENCH_HIGHER_BETTER,
				 at_delay ? at_delay->played_pct : NAN, ref_name, s_played);
	if (rc == 0)
		rc = pc_bench_report_row(r, name, "late_loss_at_ref_delay", "%",
					 PC_BENCH_LOWER_BETTER, at_delay ? at_delay->late_pct : NAN,
					 ref_name, s_late);
	if (rc == 0)
		rc = pc_bench_report_row(r, name, "added_delay_at_ref_played", "ms",
					 PC_BENCH_LOWER_BETTER,
					 at_played ? at_played->delay_ms : NAN, ref_name, s_delay);
	if (rc == 0)
		rc = pc_bench_report_note(
			r, "%s: trade-off (late cost us: mean delay ms / late %% / played %%):%s%s",
			name, at_delay ? "" : " none of the ladder at Speex's delay or less;",
			at_played ? "" : " none of the ladder plays as much as Speex;");
	for (size_t k = 0; k < JIT_LADDER && rc == 0; k++)
		rc = pc_bench_report_note(
			r, "  %s: %u us: %.2f / %.3f / %.2f%s%s", name, pts[k].cost_us,
			pts[k].delay_ms, pts[k].late_pct, pts[k].played_pct,
			&pts[k] == at_delay ? "  <- at Speex's delay" : "",
			&pts[k] == at_played ? "  <- at Speex's played share" : "");
	return rc;
}

static int jit_case(struct pc_bench_report *r, struct pc_pkt_pool *pool, enum jit_kind kind,
		    bool quick)
{
	struct jit_result o = { 0 }, s = { 0 };
	struct pc_jb_stats st;
	struct jit_trace t;
	int rc;

	rc = jit_trace_make(&t, kind, quick);
	if (rc == 0)
		rc = pc_hist_create(&o.h);
	if (rc == 0)
		rc = pc_hist_create(&s.h);
	if (rc == 0)
		rc = jit_run_ours(&t, pool, 0, &o, &st);
	if (rc == 0)
		rc = jit_run_speex(&t, &s);
	if (rc == 0)
		rc = jit_report(r, &t, &o, &s, &st);
	if (rc == 0)
		rc = jit_ladder(r, &t, pool, &s);
	pc_hist_destroy(s.h);
	pc_hist_destroy(o.h);
	jit_trace_free(&t);
	return rc;
}

int pc_bench_jitter_run(const struct pc_bench_opts *o)
{
	struct pc_pkt_pool_params pp = {
		.name = "pcb-jitter",
		.count = JIT_POOL_BUFS,
		.flags = PC_PKT_POOL_F_NO_HUGEPAGE,
	};
	struct pc_bench_report *r = NULL;
	struct pc_pkt_pool *pool = NULL;
	uint64_t t_start = pc_bench_now_ns();
	int rc;

	rc = pc_bench_report_create(&r, "jitter", o);
	if (rc < 0) {
		fprintf(stderr, "phonecore bench: jitter: %s\n", strerror(-rc));
		return rc;
	}
	rc = pc_pkt_pool_create(&pool, &pp);
	if (rc < 0)
		fprintf(stderr, "phonecore bench: jitter: pc_pkt_pool_create: %s\n", strerror(-rc));
	if (rc == 0)
		rc = pc_bench_report_note(
			r,
			"traces: G.711, 20 ms frames, %u s each, 40 ms base delay + jitter, FIFO, "
			"seeded PRNG; playout ticks every 20 ms on a simulated clock, arrivals up to "
			"a tick put before its get; ours: VP530 defaults (adaptive, min/normal/max "
			"0/120/300 ms); Speex: jitter_buffer_init(160), get(160) + tick() per tick",
			o->quick ? JIT_SECONDS_QUICK : JIT_SECONDS);
	if (rc == 0)
		rc = pc_bench_report_note(
			r,
			"added delay = playout tick - arrival of each played packet; late_loss = "
			"arrived after its playout time; on_time_pct = 100 - late_loss (its ratio "
			"is defined when ours is 0); played_pct also counts frames dropped to cut "
			"delay; all over arrived packets (network loss in the notes below)");
	for (int k = 0; rc == 0 && k < JIT_KINDS; k++)
		rc = jit_case(r, pool, (enum jit_kind)k, o->quick);
	if (rc == 0)
		rc = pc_bench_report_note(r, "run time %.1f s",
					  (double)(pc_bench_now_ns() - t_start) / 1e9);
	if (rc == 0)
		rc = pc_bench_report_finish(r);
	else if (rc == -ENOMEM)
		fprintf(stderr, "phonecore bench: jitter: out of memory\n");
	else if (rc == -EPROTO || rc == -ENOBUFS)
		fprintf(stderr, "phonecore bench: jitter: packet accounting failed (%s)\n",
			strerror(-rc));
	pc_pkt_pool_destroy(pool);
	pc_bench_report_destroy(r);
	return rc;
}
