/* SPDX-License-Identifier: MIT */
/*
 * jb_test.c - the adaptive jitter buffer of pc_jb.h, driven on a simulated clock: packets are
 * put at their arrival times and a frame is taken every ptime, as the media loop does.
 *
 * Scenarios: a clean stream (the delay converges near min, nothing lost; the first packets are
 * a probe and playout starts at the target), burst loss (each lost frame signalled once, in its
 * place), in-window reordering, duplicates, a 200 ms delay spike (and the delay it left shed a
 * frame per tick),
 * 1 % clock drift both ways over minutes, a DTX gap with and without comfort noise, sequence
 * and timestamp jumps, an SSRC change, fixed mode, sequence and timestamp wrap-around, overflow,
 * a late straggler, other frame sizes and clock rates, RFC 4733 telephone-events taking the
 * audio's sequence numbers (pc_jb_put_other: neither loss nor concealment) and DTX gaps (no
 * loss, no underrun once the next talkspurt shows the gap), and the accounting: every packet handed
 * in comes back from pc_jb_get() or is freed (the pool's in_use count), and the counters add up.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pc_jb.h"
#include "pc_pkt.h"

#define PC_TEST_MS 1000000ull
#define PC_TEST_SSRC 0x5eed1234u
#define PC_TEST_POOL 1024u

/* One packet as the network delivers it. */
struct pc_test_ev {
	uint64_t arrival_ns;
	uint32_t ts;
	uint32_t ssrc;
	uint16_t seq;
	uint8_t pt;
	uint8_t marker;
	uint8_t other; /* a telephone-event: handed to pc_jb_put_other(), not put */
	uint32_t id;   /* position in the sender's stream */
};

/* One frame as pc_jb_get() gave it. */
struct pc_test_out {
	uint64_t now_ns;
	enum pc_jb_kind kind;
	enum pc_jb_hint hint;
	uint32_t ts;
	uint16_t seq;
	uint8_t pt;
	int64_t id;	     /* PKT: the event's id; -1 otherwise */
	int64_t buffer_ms;   /* stats after the tick */
	uint64_t underruns;  /* stats after the tick */
	uint64_t arrival_ns; /* PKT: its arrival */
};

struct pc_test_sim {
	struct pc_pkt_pool *pool;
	struct pc_pkt_cache *c;
	struct pc_jb *jb;
	struct pc_test_out *out;
	size_t nout, cap;
	int put_rc[8];	 /* counts of 0, -EALREADY, -ETIME */
	int other_rc[2]; /* pc_jb_put_other(): counts of 0, other */
};

static void pc_test_sim_init(struct pc_test_sim *s, const struct pc_jb_params *p0)
{
	struct pc_pkt_pool_params pp = {
		.name = "jb-test",
		.count = PC_TEST_POOL,
		.flags = PC_PKT_POOL_F_NO_HUGEPAGE,
	};
	struct pc_jb_params p;

	memset(s, 0, sizeof(*s));
	cr_assert_eq(pc_pkt_pool_create(&s->pool, &pp), 0);
	cr_assert_eq(pc_pkt_cache_attach(s->pool, &s->c), 0);
	if (p0 != NULL)
		p = *p0;
	else
		pc_jb_params_default(&p);
	p.cache = s->c;
	cr_assert_eq(pc_jb_create(&s->jb, &p), 0);
}

static uint32_t pc_test_in_use(const struct pc_test_sim *s)
{
	struct pc_pkt_pool_stats st;

	pc_pkt_pool_stats(s->pool, &st);
	return st.in_use;
}

static void pc_test_sim_fini(struct pc_test_sim *s)
{
	pc_jb_destroy(s->jb);
	pc_pkt_cache_detach(s->c);
	cr_assert_eq(pc_test_in_use(s), 0, "%u packets neither returned nor freed",
		     pc_test_in_use(s));
	pc_pkt_pool_destroy(s->pool);
	free(s->out);
}

static struct pc_jb_stats pc_test_stats(const struct pc_test_sim *s)
{
	struct pc_jb_stats st;

	pc_jb_stats(s->jb, &st);
	return st;
}

static int pc_test_put(struct pc_test_sim *s, const struct pc_test_ev *e)
{
	struct pc_jb_pkt_info info = {
		.arrival_ns = e->arrival_ns,
		.ts = e->ts,
		.ssrc = e->ssrc,
		.seq = e->seq,
		.pt = e->pt,
		.marker = e->marker,
	};
	struct pc_pkt *pkt;
	int rc;

	if (e->other) {
		rc = pc_jb_put_other(s->jb, &info);
		s->other_rc[rc == 0 ? 0 : 1]++;
		return rc;
	}
	pkt = pc_pkt_alloc(s->c);
	cr_assert_not_null(pkt, "pool empty: the buffer holds on to packets");
	pkt->udata64 = e->id;
	pkt->rx_ns = e->arrival_ns;
	rc = pc_jb_put(s->jb, pkt, &info);
	cr_assert(rc == 0 || rc == -EALREADY || rc == -ETIME, "pc_jb_put = %d", rc);
	s->put_rc[rc == 0 ? 0 : rc == -EALREADY ? 1 : 2]++;
	return rc;
}

static void pc_test_get(struct pc_test_sim *s, uint64_t now)
{
	struct pc_jb_frame f;
	struct pc_jb_stats st;
	struct pc_test_out *o;

	cr_assert_eq(pc_jb_get(s->jb, now, &f), 0);
	if (s->nout == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 4096;
		s->out = realloc(s->out, s->cap * sizeof(*s->out));
		cr_assert_not_null(s->out);
	}
	pc_jb_stats(s->jb, &st);
	o = &s->out[s->nout++];
	memset(o, 0, sizeof(*o));
	o->now_ns = now;
	o->kind = f.kind;
	o->hint = f.hint;
	o->ts = f.ts;
	o->id = -1;
	o->buffer_ms = st.buffer_delay_ns / (int64_t)PC_TEST_MS;
	o->underruns = st.underruns;
	if (f.kind == PC_JB_FRAME_PKT) {
		cr_assert_not_null(f.pkt);
		o->id = (int64_t)f.pkt->udata64;
		o->seq = f.seq;
		o->pt = f.pt;
		o->arrival_ns = f.pkt->rx_ns;
		pc_pkt_free(s->c, f.pkt);
	} else {
		cr_assert_null(f.pkt);
	}
}

static int pc_test_cmp_arrival(const void *a, const void *b)
{
	const struct pc_test_ev *x = a, *y = b;

	if (x->arrival_ns != y->arrival_ns)
		return x->arrival_ns < y->arrival_ns ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Deliver @evs (sorted here by arrival) and tick every @tick_ns from @t0 until @t_end. */
static void pc_test_run(struct pc_test_sim *s, struct pc_test_ev *evs, size_t n, uint64_t t0,
			uint64_t tick_ns, uint64_t t_end)
{
	size_t i = 0;

	qsort(evs, n, sizeof(*evs), pc_test_cmp_arrival);
	for (uint64_t now = t0; now <= t_end; now += tick_ns) {
		while (i < n && evs[i].arrival_ns <= now)
			pc_test_put(s, &evs[i++]);
		pc_test_get(s, now);
	}
	cr_assert_eq(i, n, "events after the end of the run");
}

static uint64_t pc_test_rand(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, @max_ns). */
static uint64_t pc_test_jitter(uint64_t *x, uint64_t max_ns)
{
	return max_ns ? pc_test_rand(x) % max_ns : 0;
}

/*
 * A G.711 stream of @n 20 ms packets sent from @start_ns: arrival = send + @delay_ns + jitter
 * uniform in [0, @jitter_ns), in order (FIFO); the sender's clock runs (1 + @drift) times ours.
 */
static struct pc_test_ev *pc_test_stream(size_t n, uint64_t start_ns, uint64_t delay_ns,
					 uint64_t jitter_ns, double drift, uint64_t seed)
{
	struct pc_test_ev *evs = calloc(n, sizeof(*evs));
	uint64_t prev = 0;

	cr_assert_not_null(evs);
	for (size_t i = 0; i < n; i++) {
		uint64_t send =
			start_ns + (uint64_t)((double)i * 20.0 * PC_TEST_MS / (1.0 + drift));
		uint64_t a = send + delay_ns + pc_test_jitter(&seed, jitter_ns);

		if (a < prev)
			a = prev;
		prev = a;
		evs[i] = (struct pc_test_ev){
			.arrival_ns = a,
			.ts = 1000u + (uint32_t)i * 160u,
			.ssrc = PC_TEST_SSRC,
			.seq = (uint16_t)(100u + i),
			.id = (uint32_t)i,
		};
	}
	return evs;
}

/* The first output at or after @t_ns. */
static size_t pc_test_at(const struct pc_test_sim *s, uint64_t t_ns)
{
	size_t k = 0;

	while (k < s->nout && s->out[k].now_ns < t_ns)
		k++;
	return k;
}

/* Underruns counted up to the tick at or after @t_ns (the last arrival: the run of empty ticks
 * once a stream has ended is one too). */
static uint64_t pc_test_underruns_at(const struct pc_test_sim *s, uint64_t t_ns)
{
	size_t k = pc_test_at(s, t_ns);

	cr_assert_lt(k, s->nout);
	return s->out[k].underruns;
}

/* Longest run of consecutive LOSS frames in outputs [@from, @to). */
static size_t pc_test_longest_loss_run(const struct pc_test_sim *s, size_t from, size_t to)
{
	size_t run = 0, best = 0;

	for (size_t k = from; k < to; k++) {
		run = s->out[k].kind == PC_JB_FRAME_LOSS ? run + 1 : 0;
		if (run > best)
			best = run;
	}
	return best;
}

/* The packets played come out in sending order, each once. */
static void pc_test_assert_in_order(const struct pc_test_sim *s)
{
	int64_t last = -1;

	for (size_t k = 0; k < s->nout; k++) {
		if (s->out[k].id < 0)
			continue;
		cr_assert_gt(s->out[k].id, last, "packet %lld played after %lld",
			     (long long)s->out[k].id, (long long)last);
		last = s->out[k].id;
	}
}

/* packets_in = played + late + duplicates + overflow + accelerated + flushed + buffered */
static void pc_test_assert_accounts(const struct pc_test_sim *s)
{
	struct pc_jb_stats st = pc_test_stats(s);
	uint64_t out = st.played + st.late + st.duplicates + st.overflow + st.accelerated +
		       st.flushed + st.buffered;

	cr_assert_eq(st.packets_in, out,
		     "in %llu != played %llu + late %llu + dup %llu + overflow %llu + "
		     "accelerated %llu + flushed %llu + buffered %u",
		     (unsigned long long)st.packets_in, (unsigned long long)st.played,
		     (unsigned long long)st.late, (unsigned long long)st.duplicates,
		     (unsigned long long)st.overflow, (unsigned long long)st.accelerated,
		     (unsigned long long)st.flushed, st.buffered);
	cr_assert_eq(pc_test_in_use(s), st.buffered, "pool in_use %u, buffer holds %u",
		     pc_test_in_use(s), st.buffered);
}

#define PC_TEST_T0 (1000 * PC_TEST_MS)
#define PC_TEST_PHASE (7 * PC_TEST_MS)

/* --- setup ----------------------------------------------------------------------------------- */

Test(jb, create_rejects_bad_params)
{
	struct pc_jb *sentinel = (struct pc_jb *)(uintptr_t)0xdead0000u;
	struct pc_jb *jb = sentinel;
	struct pc_jb_params p;

	/* Given parameters out of range / When created / Then -EINVAL and *out untouched */
	pc_jb_params_default(&p);
	p.ptime_ms = 5;
	cr_assert_eq(pc_jb_create(&jb, &p), -EINVAL);
	pc_jb_params_default(&p);
	p.ptime_ms = 70;
	cr_assert_eq(pc_jb_create(&jb, &p), -EINVAL);
	pc_jb_params_default(&p);
	p.clock_rate = 11025; /* 10 ms is not a whole number of samples */
	p.ptime_ms = 10;
	cr_assert_eq(pc_jb_create(&jb, &p), -EINVAL);
	pc_jb_params_default(&p);
	p.min_delay_ms = 200; /* over normal */
	cr_assert_eq(pc_jb_create(&jb, &p), -EINVAL);
	pc_jb_params_default(&p);
	p.max_delay_ms = PC_JB_DELAY_LIMIT_MS + 1;
	cr_assert_eq(pc_jb_create(&jb, &p), -EINVAL);
	pc_jb_params_default(&p);
	p.clock_rate = 0;
	cr_assert_eq(pc_jb_create(&jb, &p), -EINVAL);
	pc_jb_params_default(&p);
	p.late_cost_us = PC_JB_LATE_COST_US_MAX + 1;
	cr_assert_eq(pc_jb_create(&jb, &p), -EINVAL);
	cr_assert_eq(jb, sentinel);
	pc_jb_destroy(NULL);
}

Test(jb, defaults_are_the_vp530s)
{
	struct pc_jb_params p;

	pc_jb_params_default(&p);
	cr_assert_eq(p.clock_rate, 8000);
	cr_assert_eq(p.ptime_ms, 20);
	cr_assert_eq(p.min_delay_ms, 0);
	cr_assert_eq(p.normal_delay_ms, 120);
	cr_assert_eq(p.max_delay_ms, 300);
	cr_assert_eq(p.flags & PC_JB_F_FIXED, 0, "adaptive");
	cr_assert_eq(p.cn_pt, 13);
}

Test(jb, nothing_in_gives_silence)
{
	struct pc_test_sim s;

	pc_test_sim_init(&s, NULL);
	for (int k = 0; k < 10; k++)
		pc_test_get(&s, PC_TEST_T0 + (uint64_t)k * 20 * PC_TEST_MS);
	for (size_t k = 0; k < s.nout; k++)
		cr_assert_eq(s.out[k].kind, PC_JB_FRAME_SILENCE);
	pc_test_sim_fini(&s);
}

/* --- clean stream ----------------------------------------------------------------------------- */

Test(jb, clean_stream_converges_near_min_without_loss)
{
	struct pc_test_sim s;
	struct pc_test_ev *evs =
		pc_test_stream(1500, PC_TEST_T0, 30 * PC_TEST_MS, PC_TEST_MS, 0, 1);
	struct pc_jb_stats st;
	size_t from;

	/* Given 30 s of packets with 30 ms of delay and under 1 ms of jitter */
	pc_test_sim_init(&s, NULL);
	/* When played out every 20 ms */
	pc_test_run(&s, evs, 1500, PC_TEST_T0 + PC_TEST_PHASE, 20 * PC_TEST_MS,
		    evs[1499].arrival_ns + 500 * PC_TEST_MS);
	st = pc_test_stats(&s);
	/* Then the first frames are silence until the first packet comes ... */
	cr_assert_eq(s.out[0].kind, PC_JB_FRAME_SILENCE);
	/* ... and after the first seconds the delay sits within a frame of min (0), nothing is
	 * lost or late, every frame is a packet */
	from = pc_test_at(&s, PC_TEST_T0 + 3000 * PC_TEST_MS);
	for (size_t k = from; k < pc_test_at(&s, evs[1499].arrival_ns); k++) {
		cr_assert_eq(s.out[k].kind, PC_JB_FRAME_PKT, "frame %zu is not a packet", k);
		cr_assert_leq(s.out[k].buffer_ms, 20, "buffer delay %lld ms at frame %zu",
			      (long long)s.out[k].buffer_ms, k);
	}
	cr_assert_eq(st.late, 0);
	cr_assert_eq(st.lost, 0);
	cr_assert_leq(st.accelerated, 6);
	cr_assert_leq(st.target_delay_ns, 20 * (int64_t)PC_TEST_MS);
	cr_assert_leq(st.added_delay_p99_ns, 120 * PC_TEST_MS);
	pc_test_assert_in_order(&s);
	pc_test_assert_accounts(&s);
	free(evs);
	pc_test_sim_fini(&s);
}

Test(jb, first_packet_plays_at_once_and_none_is_dropped_at_the_start)
{
	struct pc_test_sim s;
	struct pc_test_ev *evs =
		pc_test_stream(500, PC_TEST_T0, 30 * PC_TEST_MS, PC_TEST_MS, 0, 15);
	struct pc_jb_stats st;
	size_t first = 0;

	/* Given a stream with under 1 ms of jitter */
	pc_test_sim_init(&s, NULL);
	pc_test_run(&s, evs, 500, PC_TEST_T0 + PC_TEST_PHASE, 20 * PC_TEST_MS,
		    evs[499].arrival_ns + 500 * PC_TEST_MS);
	st = pc_test_stats(&s);
	while (first < s.nout && s.out[first].kind != PC_JB_FRAME_PKT)
		first++;
	cr_assert_lt(first, s.nout);
	/* Then the first packet (the callee's first word) is played at the first tick after it
	 * came, not held for a warm-up nor dropped as a probe ... */
	cr_assert_eq(s.out[first].id, 0);
	cr_assert_lt(
		s.out[first].now_ns - s.out[first].arrival_ns, 20 * PC_TEST_MS,
		"first packet played %llu ms after its arrival",
		(unsigned long long)((s.out[first].now_ns - s.out[first].arrival_ns) / PC_TEST_MS));
	/* ... and from there every frame is the next packet, with no accelerate or expand */
	for (size_t k = first; k < pc_test_at(&s, evs[499].arrival_ns); k++) {
		cr_assert_eq(s.out[k].kind, PC_JB_FRAME_PKT, "frame %zu is not a packet", k);
		cr_assert_eq(s.out[k].hint, PC_JB_HINT_NONE, "frame %zu hint %d", k, s.out[k].hint);
		cr_assert_eq(s.out[k].id, (int64_t)(k - first));
	}
	cr_assert_eq(st.accelerated, 0);
	cr_assert_eq(st.late, 0);
	cr_assert_eq(st.lost, 0);
	pc_test_assert_in_order(&s);
	pc_test_assert_accounts(&s);
	free(evs);
	pc_test_sim_fini(&s);
}

/* --- loss, reordering, duplicates ------------------------------------------------------------- */

Test(jb, burst_loss_is_signalled_exactly_and_playout_continues)
{
	struct pc_test_sim s;
	struct pc_test_ev *evs =
		pc_test_stream(1000, PC_TEST_T0, 40 * PC_TEST_MS, 2 * PC_TEST_MS, 0, 2);
	struct pc_test_ev *kept = calloc(1000, sizeof(*kept));
	size_t n = 0, losses = 0, from;
	uint32_t prev_ts = 0;
	bool lost[1000] = { false };
	struct pc_jb_stats st;

	/* Given bursts of 5 and 2 packets lost, and one alone */
	for (size_t i = 0; i < 1000; i++) {
		lost[i] = (i >= 300 && i < 305) || i == 500 || i == 501 || i == 700;
		if (!lost[i])
			kept[n++] = evs[i];
	}
	pc_test_sim_init(&s, NULL);
	pc_test_run(&s, kept, n, PC_TEST_T0 + PC_TEST_PHASE, 20 * PC_TEST_MS,
		    evs[999].arrival_ns + 500 * PC_TEST_MS);
	st = pc_test_stats(&s);
	/* Then each lost frame comes out once as LOSS, at its own timestamp, and the timestamps
	 * of the frames advance by one frame per tick throughout */
	from = pc_test_at(&s, PC_TEST_T0 + 3000 * PC_TEST_MS);
	for (size_t k = from; k < s.nout && s.out[k].now_ns < evs[999].arrival_ns; k++) {
		const struct pc_test_out *o = &s.out[k];

		if (k > from)
			cr_assert_eq(o->ts, prev_ts + 160, "frame %zu: ts %u after %u", k, o->ts,
				     prev_ts);
		prev_ts = o->ts;
		if (o->kind == PC_JB_FRAME_LOSS) {
			uint32_t i = (o->ts - 1000u) / 160u;

			cr_assert(lost[i], "frame %u concealed, but it was not lost", i);
			losses++;
		} else {
			cr_assert_eq(o->kind, PC_JB_FRAME_PKT);
			cr_assert_eq((uint32_t)o->id, (o->ts - 1000u) / 160u);
		}
	}
	cr_assert_eq(losses, 8);
	cr_assert_eq(st.lost, 8);
	cr_assert_eq(st.late, 0);
	pc_test_assert_in_order(&s);
	pc_test_assert_accounts(&s);
	free(kept);
	free(evs);
	pc_test_sim_fini(&s);
}

Test(jb, reordering_in_the_window_is_played_in_order)
{
	struct pc_test_sim s;
	struct pc_test_ev *evs = pc_test_stream(1000, PC_TEST_T0, 40 * PC_TEST_MS, 0, 0, 3);
	struct pc_jb_params p;
	struct pc_jb_stats st;
	size_t swapped = 0;

	/* Given a 40 ms window (voice.jib.min = 40) and every 10th packet overtaken by the next
	 * one (arriving 5 ms after it: 25 ms late) */
	for (size_t i = 50; i + 1 < 1000; i += 10) {
		uint64_t a = evs[i].arrival_ns;

		evs[i].arrival_ns = evs[i + 1].arrival_ns + 5 * PC_TEST_MS;
		evs[i + 1].arrival_ns = a;
		swapped++;
	}
	pc_jb_params_default(&p);
	p.min_delay_ms = 40;
	pc_test_sim_init(&s, &p);
	pc_test_run(&s, evs, 1000, PC_TEST_T0 + PC_TEST_PHASE, 20 * PC_TEST_MS,
		    PC_TEST_T0 + 21000 * PC_TEST_MS);
	st = pc_test_stats(&s);
	/* Then all are played, in order, none lost or late */
	pc_test_assert_in_order(&s);
	cr_assert_eq(st.reordered, swapped, "%llu reordered, %zu swapped, %llu late",
		     (unsigned long long)st.reordered, swapped, (unsigned long long)st.late);
	cr_assert_eq(st.lost, 0);
	cr_assert_eq(st.late, 0);
	cr_assert_eq(st.played + st.accelerated, 1000);
	pc_test_assert_accounts(&s);
	free(evs);
	pc_test_sim_fini(&s);
}

Test(jb, duplicates_are_freed_and_counted)
{
	struct pc_test_sim s;
	struct pc_test_ev *evs = pc_test_stream(600, PC_TEST_T0, 40 * PC_TEST_MS, PC_TEST_MS, 0, 4);
	struct pc_test_ev *all = calloc(1200, sizeof(*all));
	size_t n = 0, dups = 0;
	struct pc_jb_stats st;

	/* Given every 7th packet twice: once right behind itself, and every 11th again 100 ms
	 * later (after it was played) */
	for (size_t i = 0; i < 600; i++) {
		all[n++] = evs[i];
		if (i % 7 == 0) {
			all[n] = evs[i];
			all[n++].arrival_ns += PC_TEST_MS / 2;
			dups++;
		}
		if (i % 11 == 0) {
			all[n] = evs[i];
			all[n++].arrival_ns += 300 * PC_TEST_MS;
			dups++;
		}
	}
	pc_test_sim_init(&s, NULL);
	pc_test_run(&s, all, n, PC_TEST_T0 + PC_TEST_PHASE, 20 * PC_TEST_MS,
		    PC_TEST_T0 + 13000 * PC_TEST_MS);
	st = pc_test_stats(&s);
	/* Then the copies are dropped with -EALREADY, and each packet plays once, in order */
	cr_assert_eq(st.duplicates, dups);
	cr_assert_eq(s.put_rc[1], (int)dups);
	cr_assert_eq(st.late, 0);
	cr_assert_eq(st.played + st.accelerated, 600);
	pc_test_assert_in_order(&s);
	pc_test_assert_accounts(&s);
	free(all);
	free(evs);
	pc_test_sim_fini(&s);
}

Test(jb, late_straggler_is_freed_and_counted_as_late_not_lost)
{
	struct pc_test_sim s;
	struct pc_test_ev *evs = pc_test_stream(600, PC_TEST_T0, 40 * PC_TEST_MS, PC_TEST_MS, 0, 5);
	struct pc_jb_stats st;

	/* Given one packet that overtakes nobody but arrives 800 ms late (the next ones on time) */
	evs[300].arrival_ns += 800 * PC_TEST_MS;
	pc_test_sim_init(&s, NULL);
	pc_test_run(&s, evs, 600, PC_TEST_T0 + PC_TEST_PHASE, 20 * PC_TEST_MS,
		    PC_TEST_T0 + 13000 * PC_TEST_MS);
	st = pc_test_stats(&s);
	/* Then its frame is concealed, and when it comes it is late, not lost */
	cr_assert_eq(st.late, 1);
	cr_assert_eq(st.lost, 0);
	cr_assert_eq(s.put_rc[2], 1, "put said -ETIME");
	pc_test_assert_in_order(&s);
	pc_test_assert_accounts(&s);
	free(evs);
	pc_test_sim_fini(&s);
}

/* --- delay spike and drift -------------------------------------------------------------------- */

/* A 200 ms stall at 15 s whose burst (what was sent during it, and the packets just after it,
 * on time) arrives at its end; @hole: one packet of the burst (the 6th) lost as well. */
static void pc_test_stall_burst(bool hole)
{
	struct pc_test_sim s;
	struct pc_test_ev *evs =
		pc_test_stream(1500, PC_TEST_T0, 40 * PC_TEST_MS, 2 * PC_TEST_MS, 0, 6);
	uint64_t stall = PC_TEST_T0 + 15000 * PC_TEST_MS;
	int64_t before = 0, peak = 0, last_id = -1;
	struct pc_jb_stats st;
	size_t k;

	/* Given a 200 ms stall at 15 s: what is sent during it arrives in a burst at its end,
	 * together with the packets sent just after it, which are on time */
	for (size_t i = 0; i < 1500; i++) {
		uint64_t send = PC_TEST_T0 + i * 20 * PC_TEST_MS;

		if (send >= stall && send < stall + 200 * PC_TEST_MS &&
		    evs[i].arrival_ns < stall + 240 * PC_TEST_MS)
			evs[i].arrival_ns = stall + 240 * PC_TEST_MS;
	}
	if (hole) {
		/* lost: the 6th packet sent during the stall (the events are in send order) */
		size_t lost = (size_t)((stall - PC_TEST_T0) / (20 * PC_TEST_MS)) + 5;

		memmove(&evs[lost], &evs[lost + 1], (1499 - lost) * sizeof(evs[0]));
	}
	pc_test_sim_init(&s, NULL);
	pc_test_run(&s, evs, hole ? 1499 : 1500, PC_TEST_T0 + PC_TEST_PHASE, 20 * PC_TEST_MS,
		    evs[1499].arrival_ns + 500 * PC_TEST_MS);
	st = pc_test_stats(&s);
	for (k = pc_test_at(&s, stall - 2000 * PC_TEST_MS); k < pc_test_at(&s, stall); k++) {
		if (s.out[k].buffer_ms > before)
			before = s.out[k].buffer_ms;
		if (s.out[k].kind == PC_JB_FRAME_PKT)
			last_id = s.out[k].id;
	}
	for (k = pc_test_at(&s, stall); k < pc_test_at(&s, stall + 1000 * PC_TEST_MS); k++)
		if (s.out[k].buffer_ms > peak)
			peak = s.out[k].buffer_ms;
	/* Then the stalled packets are late (at most the 10 sent during it), playout goes on
	 * from the first packet on time after the concealment (one seam, not a stale frame and
	 * a second seam), nothing is dropped to cut delay, and the delay never grew */
	cr_assert_leq(st.late + st.lost, 10, "%llu late, %llu lost", (unsigned long long)st.late,
		      (unsigned long long)st.lost);
	cr_assert_eq(st.accelerated, 0, "%llu accelerated", (unsigned long long)st.accelerated);
	cr_assert_eq(st.lost, hole ? 1u : 0u);
	for (k = pc_test_at(&s, stall); s.out[k].kind == PC_JB_FRAME_PKT; k++)
		last_id = s.out[k].id;
	for (; s.out[k].kind != PC_JB_FRAME_PKT; k++)
		cr_assert_eq(s.out[k].kind, PC_JB_FRAME_LOSS, "frame %zu", k);
	cr_assert_eq(s.out[k].hint, PC_JB_HINT_NONE);
	cr_assert_eq(s.out[k].id, last_id + 1 + (int64_t)(st.late + st.lost),
		     "resumed at %lld after %lld", (long long)s.out[k].id, (long long)last_id);
	cr_assert_leq(peak, before, "delay %lld ms before, %lld ms after the stall",
		      (long long)before, (long long)peak);
	pc_test_assert_in_order(&s);
	pc_test_assert_accounts(&s);
	free(evs);
	pc_test_sim_fini(&s);
}

Test(jb, stall_of_200ms_ending_in_a_burst_plays_on_from_the_packets_on_time)
{
	pc_test_stall_burst(false);
}

/* Regression: a packet lost from the burst hid the frames on time behind it (one stale frame
 * played 120 ms late, then the rest dropped by ACCELERATE, two on-time frames never heard). */
Test(jb, stall_burst_with_a_packet_lost_from_it_plays_on_from_the_packets_on_time)
{
	pc_test_stall_burst(true);
}

Test(jb, delay_left_by_a_spike_is_shed_in_one_tick)
{
	struct pc_test_sim s;
	struct pc_test_ev *evs =
		pc_test_stream(600, PC_TEST_T0, 40 * PC_TEST_MS, 2 * PC_TEST_MS, 0, 16);
	uint64_t stall = PC_TEST_T0 + 6000 * PC_TEST_MS;
	size_t peak_k = 0, k;
	int64_t base, peak = 0;
	uint64_t prev = 0;
	struct pc_jb_stats st;

	/* Given a 200 ms stall at 6 s whose queue drains slowly: what is sent during it arrives
	 * from its end a packet every 10 ms, and what follows keeps its order behind them */
	for (size_t i = 0; i < 600; i++) {
		uint64_t send = PC_TEST_T0 + i * 20 * PC_TEST_MS;

		if (send >= stall && send < stall + 200 * PC_TEST_MS)
			evs[i].arrival_ns = stall + 240 * PC_TEST_MS + (send - stall) / 2;
		if (evs[i].arrival_ns < prev)
			evs[i].arrival_ns = prev;
		prev = evs[i].arrival_ns;
	}
	pc_test_sim_init(&s, NULL);
	pc_test_run(&s, evs, 600, PC_TEST_T0 + PC_TEST_PHASE, 20 * PC_TEST_MS,
		    evs[599].arrival_ns + 500 * PC_TEST_MS);
	st = pc_test_stats(&s);
	base = s.out[pc_test_at(&s, stall - 100 * PC_TEST_MS)].buffer_ms;
	for (k = pc_test_at(&s, stall); k < pc_test_at(&s, stall + 1000 * PC_TEST_MS); k++)
		if (s.out[k].buffer_ms > peak) {
			peak = s.out[k].buffer_ms;
			peak_k = k;
		}
	cr_assert_geq(peak, base + 60, "delay %lld ms before, peak %lld ms", (long long)base,
		      (long long)peak);
	/* Then the late packet the wait let in is played as it is (not dropped in its own tick,
	 * which would count a late packet as accelerated) ... */
	cr_assert_eq(s.out[peak_k].kind, PC_JB_FRAME_PKT);
	cr_assert_eq(s.out[peak_k].hint, PC_JB_HINT_NONE);
	/* ... and at the next tick the delay is back within a frame of where it was: the frames
	 * in between dropped at once, not one a tick */
	k = peak_k + 1;
	cr_assert_eq(s.out[k].kind, PC_JB_FRAME_PKT, "frame %zu", k);
	cr_assert_eq(s.out[k].hint, PC_JB_HINT_ACCELERATE);
	cr_assert_leq(s.out[k].buffer_ms, base + 20, "delay %lld ms before, %lld ms after",
		      (long long)base, (long long)s.out[k].buffer_ms);
	cr_assert_geq(s.out[k].id - s.out[peak_k].id - 1, (peak - base - 20) / 20);
	cr_assert_leq(st.accelerated, (uint64_t)(s.out[k].id - s.out[peak_k].id - 1) + 6,
		      "%llu accelerated", (unsigned long long)st.accelerated);
	/* ... and none of it moves again */
	for (k = peak_k + 2; k < pc_test_at(&s, stall + 2000 * PC_TEST_MS); k++) {
		cr_assert_eq(s.out[k].kind, PC_JB_FRAME_PKT, "frame %zu", k);
		cr_assert_eq(s.out[k].id, s.out[k - 1].id + 1, "frame %zu", k);
	}
	pc_test_assert_in_order(&s);
	pc_test_assert_accounts(&s);
	free(evs);
	pc_test_sim_fini(&s);
}

/* Mean added delay (playout - arrival), ms, of the packets played in [@from_ns, @to_ns). */
static double pc_test_mean_added_ms(const struct pc_test_sim *s, uint64_t from_ns, uint64_t to_ns)
{
	double sum = 0.0;
	size_t n = 0;

	for (size_t k = pc_test_at(s, from_ns); k < pc_test_at(s, to_ns); k++)
		if (s->out[k].kind == PC_JB_FRAME_PKT) {
			sum += (double)(s->out[k].now_ns - s->out[k].arrival_ns) /
			       (double)PC_TEST_MS;
			n++;
		}
	cr_assert_gt(n, 0);
	return sum / (double)n;
}

Test(jb, late_cost_trades_delay_for_late_packets)
{
	const uint32_t costs[2] = { 250, 100000 };
	double delay[2];
	uint64_t unplayed[2];

	for (int c = 0; c < 2; c++) {
		struct pc_test_ev *evs =
			pc_test_stream(3000, PC_TEST_T0, 40 * PC_TEST_MS, 60 * PC_TEST_MS, 0, 21);
		struct pc_jb_params p;
		struct pc_test_sim s;
		struct pc_jb_stats st;

		/* Given 60 s with up to 60 ms of jitter, and a cheap or a dear late packet */
		pc_jb_params_default(&p);
		p.late_cost_us = costs[c];
		pc_test_sim_init(&s, &p);
		pc_test_run(&s, evs, 3000, PC_TEST_T0 + PC_TEST_PHASE, 20 * PC_TEST_MS,
			    evs[2999].arrival_ns + 500 * PC_TEST_MS);
		st = pc_test_stats(&s);
		delay[c] = pc_test_mean_added_ms(&s, PC_TEST_T0, evs[2999].arrival_ns);
		unplayed[c] = st.late + st.accelerated;
		pc_test_assert_in_order(&s);
		pc_test_assert_accounts(&s);
		free(evs);
		pc_test_sim_fini(&s);
	}
	/* Then the dear late packet buys fewer frames lost with more delay */
	cr_assert_lt(delay[0] + 10.0, delay[1], "mean delay %.1f ms vs %.1f ms", delay[0],
		     delay[1]);
	cr_assert_lt(unplayed[1] * 2, unplayed[0], "%llu vs %llu not played",
		     (unsigned long long)unplayed[1], (unsigned long long)unplayed[0]);
}

static void pc_test_drift(double drift)
{
	/* Three minutes of a sender whose clock is off by @drift, 10 ms of jitter */
	const size_t n = 9000;
	struct pc_test_sim s;
	struct pc_test_ev *evs =
		pc_test_stream(n, PC_TEST_T0, 40 * PC_TEST_MS, 10 * PC_TEST_MS, drift, 7);
	struct pc_jb_stats st;
	int64_t lo = INT64_MAX, hi = 0;
	size_t from, to, run;
	double early, late;

	pc_test_sim_init(&s, NULL);
	pc_test_run(&s, evs, n, PC_TEST_T0 + PC_TEST_PHASE, 20 * PC_TEST_MS,
		    evs[n - 1].arrival_ns + 500 * PC_TEST_MS);
	st = pc_test_stats(&s);
	from = pc_test_at(&s, PC_TEST_T0 + 5000 * PC_TEST_MS);
	to = pc_test_at(&s, evs[n - 1].arrival_ns); /* then the stream ends: it runs dry */
	for (size_t k = from; k < to; k++) {
		if (s.out[k].buffer_ms < lo)
			lo = s.out[k].buffer_ms;
		if (s.out[k].buffer_ms > hi)
			hi = s.out[k].buffer_ms;
	}
	/* Then the buffer stays near its target, never grows without bound nor runs dry
	 * tick after tick, and one frame in a hundred is dropped (fast) or inserted (slow) */
	cr_assert_leq(hi, 100, "buffer delay reached %lld ms", (long long)hi);
	cr_assert_geq(lo, -20, "buffer delay fell to %lld ms", (long long)lo);
	run = pc_test_longest_loss_run(&s, from, to);
	cr_assert_leq(run, 2, "a run of %zu underruns", run);
	cr_assert_leq(st.late, n / 200, "%llu late", (unsigned long long)st.late);
	cr_assert_eq(st.lost, 0);
	/* ... and the delay packets wait does not creep up: the last minute's mean is within 10 ms
	 * of the first's */
	early = pc_test_mean_added_ms(&s, PC_TEST_T0 + 5000 * PC_TEST_MS,
				      PC_TEST_T0 + 65000 * PC_TEST_MS);
	late = pc_test_mean_added_ms(&s, evs[n - 1].arrival_ns - 60000 * PC_TEST_MS,
				     evs[n - 1].arrival_ns);
	cr_assert_leq(late, early + 10.0, "mean added delay %.1f ms, then %.1f ms", early, late);
	if (drift > 0)
		cr_assert(st.accelerated >= n / 200 && st.accelerated <= n / 25,
			  "%llu accelerated of %zu", (unsigned long long)st.accelerated, n);
	else
		cr_assert(st.expanded >= n / 200 && st.expanded <= n / 25, "%llu expanded of %zu",
			  (unsigned long long)st.expanded, n);
	pc_test_assert_in_order(&s);
	pc_test_assert_accounts(&s);
	free(evs);
	pc_test_sim_fini(&s);
}

Test(jb, sender_clock_1pct_fast_keeps_the_buffer_bounded)
{
	pc_test_drift(0.01);
}

Test(jb, sender_clock_1pct_slow_keeps_the_buffer_bounded)
{
	pc_test_drift(-0.01);
}

/* --- silence, jumps, SSRC --------------------------------------------------------------------- */

static void pc_test_dtx(bool with_cn)
{
	/* Given a talkspurt of 2 s, [a comfort noise packet,] 3 s of nothing, another talkspurt
	 * (marker bit) whose first packet follows in sequence */
	struct pc_test_ev evs[250];
	struct pc_test_sim s;
	struct pc_jb_stats st;
	size_t n = 0, gap_loss = 0, silence = 0;
	uint32_t seq = 40000;
	uint64_t gap_from, gap_to;

	for (uint32_t i = 0; i < 100; i++, seq++, n++)
		evs[n] = (struct pc_test_ev){ .arrival_ns = PC_TEST_T0 + i * 20 * PC_TEST_MS +
							    40 * PC_TEST_MS,
					      .ts = i * 160u,
					      .ssrc = PC_TEST_SSRC,
					      .seq = (uint16_t)seq,
					      .id = (uint32_t)n };
	if (with_cn) {
		evs[n] = (struct pc_test_ev){ .arrival_ns = PC_TEST_T0 + 100 * 20 * PC_TEST_MS +
							    40 * PC_TEST_MS,
					      .ts = 100 * 160u,
					      .ssrc = PC_TEST_SSRC,
					      .seq = (uint16_t)seq++,
					      .pt = PC_JB_CN_PT,
					      .id = (uint32_t)n };
		n++;
	}
	for (uint32_t i = 250; i < 350; i++, seq++, n++)
		evs[n] = (struct pc_test_ev){ .arrival_ns = PC_TEST_T0 + i * 20 * PC_TEST_MS +
							    40 * PC_TEST_MS,
					      .ts = i * 160u,
					      .ssrc = PC_TEST_SSRC,
					      .seq = (uint16_t)seq,
					      .marker = i == 250,
					      .id = (uint32_t)n };
	pc_test_sim_init(&s, NULL);
	pc_test_run(&s, evs, n, PC_TEST_T0 + PC_TEST_PHASE, 20 * PC_TEST_MS,
		    PC_TEST_T0 + 8000 * PC_TEST_MS);
	st = pc_test_stats(&s);
	/* Then no loss is counted, every packet plays, and with comfort noise the gap is
	 * silence (without, the decoder conceals then fades: LOSS frames but no lost packet) */
	cr_assert_eq(st.lost, 0);
	cr_assert_eq(st.late, 0);
	cr_assert_eq(st.played + st.accelerated, n);
	/* (without comfort noise the empty ticks looked like an underrun while they lasted: taken
	 * back once the next talkspurt showed they were silence; and no delay was added) */
	cr_assert_eq(pc_test_underruns_at(&s, evs[n - 1].arrival_ns), 0);
	cr_assert_eq(st.expanded, 0, "%llu frames of delay added", (unsigned long long)st.expanded);
	gap_from = PC_TEST_T0 + 2400 * PC_TEST_MS;
	gap_to = PC_TEST_T0 + 4800 * PC_TEST_MS;
	for (size_t k = pc_test_at(&s, gap_from); k < pc_test_at(&s, gap_to); k++) {
		gap_loss += s.out[k].kind == PC_JB_FRAME_LOSS;
		silence += s.out[k].kind == PC_JB_FRAME_SILENCE;
	}
	if (with_cn) {
		cr_assert_eq(gap_loss, 0, "%zu LOSS frames in a CN gap", gap_loss);
		cr_assert_gt(silence, 100, "%zu SILENCE frames in a 2.4 s gap", silence);
	} else {
		cr_assert_gt(gap_loss, 0);
	}
	/* The second talkspurt starts at the target, not at the old pointer */
	for (size_t k = 0; k < s.nout; k++)
		if (s.out[k].id == (int64_t)n - 100) {
			cr_assert_leq(s.out[k].now_ns - s.out[k].arrival_ns, 40 * PC_TEST_MS);
			break;
		}
	pc_test_assert_in_order(&s);
	pc_test_assert_accounts(&s);
	pc_test_sim_fini(&s);
}

Test(jb, dtx_gap_with_comfort_noise_is_silence_not_loss)
{
	pc_test_dtx(true);
}

Test(jb, dtx_gap_without_comfort_noise_is_not_loss)
{
	pc_test_dtx(false);
}

Test(jb, short_dtx_gap_is_silence_when_the_next_packet_is_held)
{
	/* Given a 60 ms floor of delay, and talkspurts of 1 s separated by timestamp jumps of 1
	 * or 2 frames with consecutive sequence numbers (silence suppression), 3 ms of jitter:
	 * the packet after each gap is held before the gap's first tick */
	struct pc_jb_params p;
	struct pc_test_ev evs[600];
	struct pc_test_sim s;
	struct pc_jb_stats st;
	uint64_t seed = 21, t_end;
	uint32_t slot = 0;
	size_t n = 0, from;

	for (uint32_t i = 0; i < 600; i++, slot++) {
		if (i > 0 && i % 50 == 0)
			slot += 1 + i / 50 % 2; /* 1 or 2 frames not sent */
		evs[n] = (struct pc_test_ev){ .arrival_ns = PC_TEST_T0 + slot * 20 * PC_TEST_MS +
							    40 * PC_TEST_MS +
							    pc_test_jitter(&seed, 3 * PC_TEST_MS),
					      .ts = 5000u + slot * 160u,
					      .ssrc = PC_TEST_SSRC,
					      .seq = (uint16_t)(65500u + i),
					      .marker = i % 50 == 0,
					      .id = i };
		n++;
	}
	t_end = evs[n - 1].arrival_ns + 500 * PC_TEST_MS;
	pc_jb_params_default(&p);
	p.min_delay_ms = 60;
	pc_test_sim_init(&s, &p);
	pc_test_run(&s, evs, n, PC_TEST_T0 + PC_TEST_PHASE, 20 * PC_TEST_MS, t_end);
	st = pc_test_stats(&s);
	/* Then no packet is lost or late, none counted as an underrun, and every gap plays as
	 * SILENCE: not a single LOSS frame (no concealment through a gap the buffer can see) */
	cr_assert_eq(st.lost, 0);
	cr_assert_eq(st.late, 0);
	cr_assert_eq(pc_test_underruns_at(&s, evs[n - 1].arrival_ns), 0);
	from = pc_test_at(&s, evs[4].arrival_ns);
	for (size_t k = from; k < pc_test_at(&s, evs[n - 1].arrival_ns); k++)
		cr_assert_neq(s.out[k].kind, PC_JB_FRAME_LOSS, "frame %zu concealed", k);
	cr_assert_eq(st.played + st.accelerated, n);
	pc_test_assert_in_order(&s);
	pc_test_assert_accounts(&s);
	pc_test_sim_fini(&s);
}

/*
 * A talkspurt of 100 packets, an RFC 4733 event of @nev packets (25 every 20 ms, then the end
 * packet sent three times) that takes the next sequence numbers while the audio stops, then
 * the audio again (100 packets, timestamps at the media clock: a jump) after @pause_frames of
 * nothing. Events are handed to pc_jb_put_other() when @tell, else not at all.
 */
static size_t pc_test_dtmf_stream(struct pc_test_ev *evs, bool tell, bool alongside)
{
	size_t n = 0;
	uint16_t seq = 65530; /* wraps during the event */
	uint32_t i;

	for (i = 0; i < 100; i++)
		evs[n++] = (struct pc_test_ev){ .arrival_ns = PC_TEST_T0 + i * 20 * PC_TEST_MS +
							      40 * PC_TEST_MS,
						.ts = 7000u + i * 160u,
						.ssrc = PC_TEST_SSRC,
						.seq = seq++,
						.id = i };
	for (uint32_t e = 0; e < 28; e++) {
		uint32_t at = 100 + (e < 25 ? e : 24);

		if (alongside && e < 25)
			evs[n++] = (struct pc_test_ev){
				.arrival_ns = PC_TEST_T0 + at * 20 * PC_TEST_MS + 40 * PC_TEST_MS,
				.ts = 7000u + at * 160u,
				.ssrc = PC_TEST_SSRC,
				.seq = seq++,
				.id = at
			};
		if (tell)
			evs[n++] = (struct pc_test_ev){ .arrival_ns = PC_TEST_T0 +
								      at * 20 * PC_TEST_MS +
								      (40 + 1 + e % 3) * PC_TEST_MS,
							.ts = 7000u + 100u * 160u, /* its start */
							.ssrc = PC_TEST_SSRC,
							.seq = seq,
							.pt = 101,
							.other = 1,
							.id = 1000 + e };
		seq++;
	}
	for (i = alongside ? 125 : 130; i < 230; i++)
		evs[n++] = (struct pc_test_ev){ .arrival_ns = PC_TEST_T0 + i * 20 * PC_TEST_MS +
							      40 * PC_TEST_MS,
						.ts = 7000u + i * 160u,
						.ssrc = PC_TEST_SSRC,
						.seq = seq++,
						.marker = i == 130,
						.id = i };
	return n;
}

Test(jb, telephone_events_take_sequence_numbers_without_loss_or_concealment)
{
	struct pc_test_ev evs[300];
	size_t n = pc_test_dtmf_stream(evs, true, false), audio = n - 28, k, first2 = 0;
	uint64_t ev_from = PC_TEST_T0 + 100 * 20 * PC_TEST_MS + 40 * PC_TEST_MS;
	struct pc_test_sim s;
	struct pc_jb_stats st;

	/* Given a DTMF event between two talkspurts, its packets handed to pc_jb_put_other() */
	pc_test_sim_init(&s, NULL);
	pc_test_run(&s, evs, n, PC_TEST_T0 + PC_TEST_PHASE, 20 * PC_TEST_MS,
		    PC_TEST_T0 + 5500 * PC_TEST_MS);
	st = pc_test_stats(&s);
	/* Then all 28 numbers are accounted for, none is lost, nothing is late or an underrun */
	cr_assert_eq(s.other_rc[0], 28);
	cr_assert_eq(st.others, 28);
	cr_assert_eq(st.lost, 0, "%llu lost", (unsigned long long)st.lost);
	cr_assert_eq(st.late, 0);
	cr_assert_eq(pc_test_underruns_at(&s, evs[n - 1].arrival_ns), 0);
	cr_assert_eq(st.played + st.accelerated, audio);
	/* ... the event and the pause after it play as SILENCE, never LOSS nor EXPAND ... */
	for (k = pc_test_at(&s, ev_from); k < s.nout && s.out[k].id != 130; k++) {
		cr_assert_neq(s.out[k].kind, PC_JB_FRAME_LOSS, "frame %zu concealed", k);
		cr_assert_neq(s.out[k].hint, PC_JB_HINT_EXPAND, "frame %zu", k);
	}
	cr_assert_lt(k, s.nout, "the second talkspurt never played");
	first2 = k;
	/* ... and the second talkspurt starts at the target, as after DTX */
	cr_assert_leq(s.out[first2].now_ns - s.out[first2].arrival_ns, 40 * PC_TEST_MS);
	for (k = first2; k < pc_test_at(&s, evs[n - 1].arrival_ns); k++)
		cr_assert_eq(s.out[k].kind, PC_JB_FRAME_PKT, "frame %zu", k);
	pc_test_assert_in_order(&s);
	pc_test_assert_accounts(&s);
	pc_test_sim_fini(&s);
}

Test(jb, telephone_events_not_told_are_lost_numbers)
{
	struct pc_test_ev evs[300];
	size_t n = pc_test_dtmf_stream(evs, false, false);
	struct pc_test_sim s;
	struct pc_jb_stats st;

	/* Given the same stream, the events routed away without telling the buffer */
	pc_test_sim_init(&s, NULL);
	pc_test_run(&s, evs, n, PC_TEST_T0 + PC_TEST_PHASE, 20 * PC_TEST_MS,
		    PC_TEST_T0 + 5500 * PC_TEST_MS);
	st = pc_test_stats(&s);
	/* Then their 28 numbers are a sequence gap: lost (why the caller must tell) */
	cr_assert_eq(st.others, 0);
	cr_assert_eq(st.lost, 28, "%llu lost", (unsigned long long)st.lost);
	pc_test_assert_in_order(&s);
	pc_test_assert_accounts(&s);
	pc_test_sim_fini(&s);
}

Test(jb, telephone_events_alongside_audio_are_not_loss)
{
	struct pc_test_ev evs[300];
	size_t n = pc_test_dtmf_stream(evs, true, true), audio = n - 28;
	struct pc_test_sim s;
	struct pc_jb_stats st;
	size_t from;

	/* Given a sender that keeps the audio going during the event: numbers interleaved */
	pc_test_sim_init(&s, NULL);
	pc_test_run(&s, evs, n, PC_TEST_T0 + PC_TEST_PHASE, 20 * PC_TEST_MS,
		    PC_TEST_T0 + 5500 * PC_TEST_MS);
	st = pc_test_stats(&s);
	/* Then the audio plays on, frame after frame, nothing lost, concealed or silent */
	cr_assert_eq(st.others, 28);
	cr_assert_eq(st.lost, 0);
	cr_assert_eq(st.late, 0);
	cr_assert_eq(st.played + st.accelerated, audio);
	from = pc_test_at(&s, PC_TEST_T0 + 1000 * PC_TEST_MS);
	for (size_t k = from; k < pc_test_at(&s, evs[n - 1].arrival_ns); k++) {
		cr_assert_eq(s.out[k].kind, PC_JB_FRAME_PKT, "frame %zu", k);
		cr_assert_eq(s.out[k].id, s.out[k - 1].id + 1, "frame %zu", k);
	}
	pc_test_assert_in_order(&s);
	pc_test_assert_accounts(&s);
	pc_test_sim_fini(&s);
}

Test(jb, put_other_outside_the_stream_is_refused)
{
	struct pc_test_sim s;
	struct pc_test_ev a = { .arrival_ns = PC_TEST_T0, .ts = 0, .ssrc = PC_TEST_SSRC, .seq = 10 };
	struct pc_jb_pkt_info other = { .arrival_ns = PC_TEST_T0, .ssrc = PC_TEST_SSRC, .seq = 11 };
	struct pc_jb_stats st;

	pc_test_sim_init(&s, NULL);
	/* Before any audio: nothing to account against */
	cr_assert_eq(pc_jb_put_other(s.jb, &other), -ENOENT);
	pc_test_put(&s, &a);
	/* Another source, a jump, a copy, a number audio holds: refused */
	other.ssrc = PC_TEST_SSRC + 1;
	cr_assert_eq(pc_jb_put_other(s.jb, &other), -ENOENT);
	other.ssrc = PC_TEST_SSRC;
	other.seq = 10 + 5000;
	cr_assert_eq(pc_jb_put_other(s.jb, &other), -ERANGE);
	other.seq = 11;
	cr_assert_eq(pc_jb_put_other(s.jb, &other), 0);
	cr_assert_eq(pc_jb_put_other(s.jb, &other), -EALREADY);
	other.seq = 10;
	cr_assert_eq(pc_jb_put_other(s.jb, &other), -EALREADY);
	st = pc_test_stats(&s);
	cr_assert_eq(st.others, 1);
	cr_assert_eq(st.packets_in, 1);
	pc_test_sim_fini(&s);
}

/* Frames that are not packets from output @k on, until the first packet with id >= @id. */
static size_t pc_test_gap_before(const struct pc_test_sim *s, int64_t id)
{
	size_t k = 0, gap = 0;

	while (k < s->nout && s->out[k].id < id)
		k++;
	while (k > 0 && s->out[k - 1].kind != PC_JB_FRAME_PKT) {
		gap++;
		k--;
	}
	return gap;
}

Test(jb, sequence_jump_resyncs)
{
	struct pc_test_sim s;
	struct pc_test_ev *evs = pc_test_stream(600, PC_TEST_T0, 40 * PC_TEST_MS, PC_TEST_MS, 0, 8);
	struct pc_jb_stats st;

	/* Given a sender whose sequence numbers jump by 20000 at packet 300 */
	for (size_t i = 300; i < 600; i++)
		evs[i].seq = (uint16_t)(evs[i].seq + 20000);
	pc_test_sim_init(&s, NULL);
	pc_test_run(&s, evs, 600, PC_TEST_T0 + PC_TEST_PHASE, 20 * PC_TEST_MS,
		    PC_TEST_T0 + 13000 * PC_TEST_MS);
	st = pc_test_stats(&s);
	/* Then it resynchronises once, counts no loss for the jump, and plays on after a gap of
	 * a few frames at most */
	cr_assert_eq(st.resyncs, 1);
	cr_assert_leq(st.lost, 0);
	cr_assert_leq(pc_test_gap_before(&s, 300), 3);
	pc_test_assert_in_order(&s);
	pc_test_assert_accounts(&s);
	free(evs);
	pc_test_sim_fini(&s);
}

Test(jb, timestamp_jump_resyncs)
{
	struct pc_test_sim s;
	struct pc_test_ev *evs = pc_test_stream(600, PC_TEST_T0, 40 * PC_TEST_MS, PC_TEST_MS, 0, 9);
	struct pc_jb_stats st;

	/* Given timestamps that leap 1,000,000 (125 s) ahead at packet 300, sequence unbroken */
	for (size_t i = 300; i < 600; i++)
		evs[i].ts += 1000000u;
	pc_test_sim_init(&s, NULL);
	pc_test_run(&s, evs, 600, PC_TEST_T0 + PC_TEST_PHASE, 20 * PC_TEST_MS,
		    PC_TEST_T0 + 13000 * PC_TEST_MS);
	st = pc_test_stats(&s);
	/* Then it resynchronises instead of waiting 125 s for "silence" to end */
	cr_assert_eq(st.resyncs, 1);
	cr_assert_eq(st.lost, 0);
	cr_assert_leq(pc_test_gap_before(&s, 300), 3);
	cr_assert_geq(st.played + st.accelerated, 590);
	pc_test_assert_in_order(&s);
	pc_test_assert_accounts(&s);
	free(evs);
	pc_test_sim_fini(&s);
}

Test(jb, ssrc_change_resets)
{
	struct pc_test_sim s;
	struct pc_test_ev *evs =
		pc_test_stream(600, PC_TEST_T0, 40 * PC_TEST_MS, PC_TEST_MS, 0, 10);
	struct pc_jb_stats st;

	/* Given a new source (SSRC, sequence and timestamp bases) from packet 300 on, as after a
	 * transfer */
	for (size_t i = 300; i < 600; i++) {
		evs[i].ssrc = 0xabcdef01u;
		evs[i].seq = (uint16_t)(7 + i);
		evs[i].ts = 0x80000000u + (uint32_t)i * 160u;
	}
	pc_test_sim_init(&s, NULL);
	pc_test_run(&s, evs, 600, PC_TEST_T0 + PC_TEST_PHASE, 20 * PC_TEST_MS,
		    PC_TEST_T0 + 13000 * PC_TEST_MS);
	st = pc_test_stats(&s);
	/* Then the buffer resets (what the old source left is flushed) and starts the new one
	 * at the normal delay */
	cr_assert_eq(st.resets, 1);
	cr_assert_eq(st.lost, 0);
	cr_assert_leq(pc_test_gap_before(&s, 300), 120 / 20 + 2);
	cr_assert_geq(st.played + st.accelerated + st.flushed, 598);
	pc_test_assert_in_order(&s);
	pc_test_assert_accounts(&s);
	free(evs);
	pc_test_sim_fini(&s);
}

/* --- fixed mode, wrap-around, overflow, other formats ---------------------------------------- */

Test(jb, fixed_mode_keeps_its_delay)
{
	struct pc_test_sim s;
	struct pc_test_ev *evs =
		pc_test_stream(1500, PC_TEST_T0, 40 * PC_TEST_MS, 40 * PC_TEST_MS, 0, 11);
	struct pc_jb_params p;
	struct pc_jb_stats st;

	/* Given adaptive off (delay = normal, 120 ms) and up to 40 ms of jitter */
	pc_jb_params_default(&p);
	p.flags = PC_JB_F_FIXED;
	pc_test_sim_init(&s, &p);
	pc_test_run(&s, evs, 1500, PC_TEST_T0 + PC_TEST_PHASE, 20 * PC_TEST_MS,
		    evs[1499].arrival_ns + 500 * PC_TEST_MS);
	st = pc_test_stats(&s);
	/* Then the delay stays at normal (to 3/4 of a frame either way), with no adjustment
	 * once there */
	for (size_t k = pc_test_at(&s, PC_TEST_T0 + 3000 * PC_TEST_MS);
	     k < pc_test_at(&s, evs[1499].arrival_ns); k++)
		cr_assert(s.out[k].buffer_ms >= 105 && s.out[k].buffer_ms <= 135,
			  "buffer delay %lld ms at frame %zu", (long long)s.out[k].buffer_ms, k);
	cr_assert_eq(st.target_delay_ns, 120 * (int64_t)PC_TEST_MS);
	cr_assert_eq(st.late, 0);
	cr_assert_eq(st.lost, 0);
	cr_assert_leq(st.accelerated + st.expanded, 1);
	pc_test_assert_in_order(&s);
	pc_test_assert_accounts(&s);
	free(evs);
	pc_test_sim_fini(&s);
}

Test(jb, sequence_and_timestamp_wrap_around)
{
	struct pc_test_sim s;
	struct pc_test_ev *evs =
		pc_test_stream(500, PC_TEST_T0, 40 * PC_TEST_MS, PC_TEST_MS, 0, 12);
	struct pc_jb_stats st;

	/* Given sequence numbers from 65400 and timestamps from 2^32 - 16000: both wrap */
	for (size_t i = 0; i < 500; i++) {
		evs[i].seq = (uint16_t)(65400u + i);
		evs[i].ts = 0xffffc180u + (uint32_t)i * 160u;
	}
	pc_test_sim_init(&s, NULL);
	pc_test_run(&s, evs, 500, PC_TEST_T0 + PC_TEST_PHASE, 20 * PC_TEST_MS,
		    PC_TEST_T0 + 11000 * PC_TEST_MS);
	st = pc_test_stats(&s);
	/* Then nothing notices */
	cr_assert_eq(st.resyncs, 0);
	cr_assert_eq(st.lost, 0);
	cr_assert_eq(st.late, 0);
	cr_assert_eq(st.played + st.accelerated, 500);
	pc_test_assert_in_order(&s);
	pc_test_assert_accounts(&s);
	free(evs);
	pc_test_sim_fini(&s);
}

Test(jb, overflow_frees_the_oldest)
{
	struct pc_test_sim s;
	struct pc_test_ev e = { .ssrc = PC_TEST_SSRC };
	struct pc_jb_stats st;

	/* Given 200 packets at once and nobody taking frames */
	pc_test_sim_init(&s, NULL);
	for (uint32_t i = 0; i < 200; i++) {
		e.arrival_ns = PC_TEST_T0;
		e.seq = (uint16_t)i;
		e.ts = i * 160u;
		e.id = i;
		cr_assert_eq(pc_test_put(&s, &e), 0);
	}
	st = pc_test_stats(&s);
	/* Then the ring keeps the newest it can hold and frees the rest as overflow */
	cr_assert_eq(st.overflow + st.buffered, 200);
	cr_assert_gt(st.overflow, 0);
	cr_assert_eq(pc_test_in_use(&s), st.buffered);
	pc_test_assert_accounts(&s);
	/* And destroy frees what is held */
	pc_test_sim_fini(&s);
}

Test(jb, other_frame_sizes_and_rates)
{
	static const struct {
		uint32_t rate, ptime;
	} fmts[] = { { 8000, 10 }, { 16000, 30 }, { 48000, 20 }, { 8000, 60 } };

	for (size_t f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++) {
		uint32_t frame = fmts[f].rate / 1000 * fmts[f].ptime;
		uint64_t period = fmts[f].ptime * PC_TEST_MS, seed = 13 + f;
		size_t n = 20000 / fmts[f].ptime; /* 20 s */
		struct pc_test_ev *evs = calloc(n, sizeof(*evs));
		struct pc_jb_params p;
		struct pc_jb_stats st;
		struct pc_test_sim s;

		/* Given a stream of that format with 5 ms of jitter */
		for (size_t i = 0; i < n; i++)
			evs[i] = (struct pc_test_ev){
				.arrival_ns = PC_TEST_T0 + i * period + 30 * PC_TEST_MS +
					      pc_test_jitter(&seed, 5 * PC_TEST_MS),
				.ts = 77u + (uint32_t)i * frame,
				.ssrc = PC_TEST_SSRC,
				.seq = (uint16_t)(9 + i),
				.id = (uint32_t)i
			};
		pc_jb_params_default(&p);
		p.clock_rate = fmts[f].rate;
		p.ptime_ms = fmts[f].ptime;
		pc_test_sim_init(&s, &p);
		pc_test_run(&s, evs, n, PC_TEST_T0 + PC_TEST_PHASE, period,
			    PC_TEST_T0 + 21000 * PC_TEST_MS);
		st = pc_test_stats(&s);
		/* Then it plays them all in order with a delay well under normal */
		cr_assert_eq(st.lost, 0, "%u Hz, %u ms", fmts[f].rate, fmts[f].ptime);
		cr_assert_eq(st.late, 0, "%u Hz, %u ms", fmts[f].rate, fmts[f].ptime);
		cr_assert_eq(st.played + st.accelerated, n);
		cr_assert_leq(st.target_delay_ns, 60 * (int64_t)PC_TEST_MS);
		pc_test_assert_in_order(&s);
		pc_test_assert_accounts(&s);
		free(evs);
		pc_test_sim_fini(&s);
	}
}

/* --- accounting ------------------------------------------------------------------------------- */

Test(jb, every_packet_is_returned_or_freed)
{
	const size_t n = 6000;
	struct pc_test_ev *evs =
		pc_test_stream(n, PC_TEST_T0, 40 * PC_TEST_MS, 30 * PC_TEST_MS, 0.003, 14);
	struct pc_test_ev *all = calloc(2 * n, sizeof(*all));
	uint64_t seed = 99;
	size_t m = 0;
	struct pc_test_sim s;

	/* Given a mess: 3 % lost, 3 % duplicated, 2 % straggling up to 400 ms, a sequence jump
	 * at 2000, a timestamp jump at 3000, a new SSRC at 4000, a reset by the owner at 5000 */
	for (size_t i = 0; i < n; i++) {
		struct pc_test_ev e = evs[i];
		uint64_t r = pc_test_rand(&seed) % 100;

		if (i >= 2000)
			e.seq = (uint16_t)(e.seq + 30000);
		if (i >= 3000)
			e.ts += 50000000u;
		if (i >= 4000)
			e.ssrc = 0x0badf00du;
		if (r < 3)
			continue;
		if (r < 5)
			e.arrival_ns += pc_test_jitter(&seed, 400 * PC_TEST_MS);
		all[m++] = e;
		if (r >= 97) {
			all[m] = e;
			all[m++].arrival_ns += pc_test_jitter(&seed, 200 * PC_TEST_MS);
		}
	}
	pc_test_sim_init(&s, NULL);
	qsort(all, m, sizeof(*all), pc_test_cmp_arrival);
	{
		size_t i = 0;
		bool reset_done = false;

		for (uint64_t now = PC_TEST_T0 + PC_TEST_PHASE;
		     now <= all[m - 1].arrival_ns + 1000 * PC_TEST_MS; now += 20 * PC_TEST_MS) {
			while (i < m && all[i].arrival_ns <= now)
				pc_test_put(&s, &all[i++]);
			if (!reset_done && i < m && all[i].id >= 5000) {
				pc_jb_reset(s.jb);
				reset_done = true;
			}
			pc_test_get(&s, now);
			pc_test_assert_accounts(&s);
		}
		cr_assert(reset_done);
	}
	/* Then at every tick the counters add up and the pool holds exactly what the buffer
	 * holds; at the end it is drained, and destroy leaves nothing in use */
	cr_assert_eq(pc_test_stats(&s).buffered, 0);
	cr_assert_geq(pc_test_stats(&s).resyncs, 2);
	cr_assert_geq(pc_test_stats(&s).resets, 2);
	free(all);
	free(evs);
	pc_test_sim_fini(&s);
}
