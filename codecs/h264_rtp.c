/* SPDX-License-Identifier: MIT */
/*
 * h264_rtp.c - RFC 6184 H.264 RTP payload format: packetizer (modes 0 and 1: single NAL unit,
 * STAP-A, FU-A) and a reorder-safe depacketizer. See pc_h264_rtp.h for the model.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pc_h264_rtp.h"

/* RFC 6184 5.2: payload structure types in the NAL unit header's type field. */
#define PC_H264_STAP_A 24
#define PC_H264_FU_A 28
#define PC_H264_TYPE(b) ((uint8_t)((b)&0x1f))
#define PC_H264_FU_S 0x80
#define PC_H264_FU_E 0x40

/* A NAL unit type a single NAL unit packet (or a STAP-A entry, or an FU-A) may carry. */
static bool h264_type_ok(uint8_t t)
{
	return t >= 1 && t <= 23;
}

/* --- packetizer --------------------------------------------------------------------------- */

/* The first 00 00 01 at or after @from in @b, or @len when there is none. */
static size_t h264_find_sc(const uint8_t *b, size_t len, size_t from)
{
	size_t i = from;

	while (i + 3 <= len) {
		const uint8_t *q = memchr(b + i + 2, 1, len - i - 2);
		size_t k;

		if (!q)
			return len;
		k = (size_t)(q - b); /* k >= i + 2 */
		if (b[k - 1] == 0 && b[k - 2] == 0)
			return k - 2;
		i = k - 1; /* the next 01 could be at k + 1 */
	}
	return len;
}

/* The NAL unit after the first start code at or after @from: *start, *nlen (zero bytes ending
 * it dropped: trailing_zero_8bits, or the first byte of a 4-byte start code), and in *next where
 * its successor's start code is. Empty NAL units are skipped. false when none is left. */
static bool h264_next_nal(const uint8_t *b, size_t len, size_t from, size_t *start, size_t *nlen,
			  size_t *next)
{
	size_t sc = h264_find_sc(b, len, from);

	while (sc < len) {
		size_t s = sc + 3, e = h264_find_sc(b, len, s), end = e;

		while (end > s && b[end - 1] == 0)
			end--;
		if (end > s) {
			*start = s;
			*nlen = end - s;
			*next = e;
			return true;
		}
		sc = e;
	}
	return false;
}

/* Moves to the NAL unit after the current one (nal_len 0 when there is none). */
static void h264_pack_advance(struct pc_h264_pack *p)
{
	size_t s, n, next;

	p->frag_off = 0;
	if (h264_next_nal(p->au, p->au_len, p->pos, &s, &n, &next)) {
		p->nal_start = s;
		p->nal_len = n;
		p->pos = next;
	} else {
		p->nal_len = 0;
		p->pos = p->au_len;
	}
}

int pc_h264_pack_init(struct pc_h264_pack *p, const struct pc_h264_pack_conf *conf,
		      const uint8_t *au, size_t len)
{
	if (!p || !conf || (!au && len))
		return -EINVAL;
	if (conf->mode == PC_H264_MODE_SINGLE) {
		if (conf->max_payload < 1)
			return -EINVAL;
	} else if (conf->mode == PC_H264_MODE_NON_INTERLEAVED) {
		if (conf->max_payload < 3)
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	memset(p, 0, sizeof(*p));
	p->conf = *conf;
	p->au = au;
	p->au_len = len;
	h264_pack_advance(p);
	return p->nal_len ? 0 : -EBADMSG;
}

/* RFC 6184 5.7.1: as many NAL units from the current one as fit max_payload together, in one
 * STAP-A. Returns its length, or 0 when fewer than two fit (then it is not worth it). */
static size_t h264_pack_stap_a(struct pc_h264_pack *p, uint8_t *out)
{
	size_t mp = p->conf.max_payload, o = 3 + p->nal_len, pos = p->pos, s, n, next, count = 1;
	uint8_t hdr = p->au[p->nal_start], f = hdr & 0x80, nri = hdr & 0x60;

	if (p->nal_len > 0xffff || o > mp)
		return 0;
	while (h264_next_nal(p->au, p->au_len, pos, &s, &n, &next)) {
		uint8_t h = p->au[s];

		if (n > 0xffff || o + 2 + n > mp || !h264_type_ok(PC_H264_TYPE(h)))
			break;
		o += 2 + n;
		count++;
		pos = next;
	}
	if (count < 2)
		return 0;

	/* Write them: the current NAL unit, then the ones that fit, moving along as we go. */
	o = 1;
	for (size_t i = 0; i < count; i++) {
		const uint8_t *nal = p->au + p->nal_start;

		/* 5.7: F is the OR of the aggregated F bits, NRI their maximum */
		f |= nal[0] & 0x80;
		if ((nal[0] & 0x60) > nri)
			nri = nal[0] & 0x60;
		out[o] = (uint8_t)(p->nal_len >> 8);
		out[o + 1] = (uint8_t)p->nal_len;
		memcpy(out + o + 2, nal, p->nal_len);
		o += 2 + p->nal_len;
		h264_pack_advance(p);
	}
	out[0] = (uint8_t)(f | nri | PC_H264_STAP_A);
	return o;
}

int pc_h264_pack_next(struct pc_h264_pack *p, uint8_t *out, size_t cap, size_t *out_len,
		      bool *marker)
{
	size_t mp = p->conf.max_payload, n = p->nal_len, len;
	const uint8_t *nal;

	if (!n)
		return 0;
	if (cap < mp)
		return -EMSGSIZE;
	nal = p->au + p->nal_start;
	if (!h264_type_ok(PC_H264_TYPE(nal[0])))
		return -EBADMSG;

	if (p->frag_off == 0 && n <= mp) {
		len = 0;
		if (p->conf.mode == PC_H264_MODE_NON_INTERLEAVED && p->conf.stap_a)
			len = h264_pack_stap_a(p, out);
		if (!len) {
			memcpy(out, nal, n);
			len = n;
			h264_pack_advance(p);
		}
	} else if (p->conf.mode == PC_H264_MODE_SINGLE) {
		return -EMSGSIZE;
	} else {
		/* RFC 6184 5.8: the NAL header is not sent; F and NRI go in the FU indicator,
		 * the type in the FU header. frag_off counts the body bytes (after the header)
		 * already sent. */
		size_t body = n - 1, chunk = body - p->frag_off;
		uint8_t fuh = PC_H264_TYPE(nal[0]);

		if (chunk > mp - 2)
			chunk = mp - 2;
		if (p->frag_off == 0)
			fuh |= PC_H264_FU_S;
		if (p->frag_off + chunk == body)
			fuh |= PC_H264_FU_E;
		out[0] = (uint8_t)((nal[0] & 0xe0) | PC_H264_FU_A);
		out[1] = fuh;
		memcpy(out + 2, nal + 1 + p->frag_off, chunk);
		len = 2 + chunk;
		p->frag_off += chunk;
		if (fuh & PC_H264_FU_E)
			h264_pack_advance(p);
	}
	*out_len = len;
	*marker = p->nal_len == 0;
	return 1;
}

/* --- depacketizer ------------------------------------------------------------------------- */

enum h264_kind {
	PC_H264_K_SINGLE = 1,
	PC_H264_K_STAP,
	PC_H264_K_FU_S,
	PC_H264_K_FU_M,
	PC_H264_K_FU_E
};

struct pc_h264_slot {
	uint64_t ext; /* extended sequence number */
	uint32_t ts;
	uint32_t off; /* payload in the arena */
	uint32_t len;
	uint8_t present;
	uint8_t marker;
	uint8_t kind;	  /* enum h264_kind */
	uint8_t fu_type;  /* FU-A: the fragmented NAL unit's type */
	uint8_t start;	  /* the first NAL unit starts an AU: PC_H264_START_* */
	uint8_t oversize; /* payload above max_au_bytes, not kept: its AU is dropped */
};

struct pc_h264_depack {
	struct pc_h264_slot *slots; /* ring, indexed by ext & mask */
	uint32_t *order;	    /* compaction scratch, one per slot */
	uint8_t *arena;		    /* held payloads */
	uint8_t *out;		    /* the AU handed out by get */
	uint64_t cap, mask;
	uint64_t jump; /* a packet this far ahead of highest or behind ready starts over */
	size_t arena_size, top, max_au;
	uint32_t window, reorder_frames;
	/* head <= ready <= highest + 1: [head, ready) holds complete AUs for get (and cleared
	 * slots of dropped ones), [ready, highest] packets not resolved yet. Everything below
	 * ready is final: a packet for it is a duplicate or late. */
	uint64_t head, ready, highest;
	uint64_t gap;  /* no missing packet in [ready, gap) */
	uint64_t walk; /* [ready, walk): present, one timestamp, no marker */
	bool started;
	bool anchored;	  /* an AU was resolved: ready no longer moves back */
	bool ready_clean; /* ready is known to start an AU */
	bool drop_open;	  /* the last AU dropped had not ended: its packets at ready are late */
	bool flushing;	  /* in pc_h264_depack_flush(): nothing more is coming */
	bool marks;	  /* the sender sets the marker (one was seen since the start) */
	uint32_t drop_ts; /* that AU's timestamp */
	bool keyframe;
	struct pc_h264_depack_stats st;
};

#define PC_H264_EXT_BASE (1ull << 32)	    /* first extended number: room to move back */
#define PC_H264_MAX_PACKETS (1u << 24)	    /* conf max_packets at most */
#define PC_H264_MAX_PACKETS_AUTO (1u << 20) /* the ring derived from max_au_bytes at most */
#define PC_H264_JUMP 4096u		    /* a sequence jump, when the window is below half */

/* What the first NAL unit of a packet says about the AU start (H.264 7.4.1.2.3: an AUD, when
 * present, is an AU's first NAL unit; SPS, PPS and SEI, in that order, may precede its first
 * slice). */
#define PC_H264_START_SURE 1 /* an access unit delimiter: nothing comes before it */
/* PC_H264_START_LIKELY: an SPS, or a non-IDR slice with first_mb_in_slice 0: first unless an
 * AUD, an SPS, a PPS or an SEI came before it. Taken as the start once the packet before it is
 * known to be lost (or nothing before it is known), never while it may still come. */
#define PC_H264_START_LIKELY 2
/* PC_H264_START_MAYBE: an IDR slice with first_mb_in_slice 0, or an SEI: first when the
 * parameter sets came out of band (sprop-parameter-sets), but the AU may also have begun with an
 * SPS and a PPS not here yet. */
#define PC_H264_START_MAYBE 3

static struct pc_h264_slot *h264_slot(const struct pc_h264_depack *d, uint64_t i)
{
	struct pc_h264_slot *s = &d->slots[i & d->mask];

	return s->present && s->ext == i ? s : NULL;
}

static void h264_set_ready(struct pc_h264_depack *d, uint64_t x, bool clean)
{
	d->ready = x;
	d->walk = x;
	if (d->gap < x)
		d->gap = x;
	d->ready_clean = clean;
}

static void h264_drop_event(struct pc_h264_depack *d, uint64_t aus)
{
	d->st.aus_dropped += aus;
	d->st.keyframe_requests++;
	d->keyframe = true;
}

/* What is known of packet @i as the neighbour of a later one. */
enum h264_nb { PC_H264_NB_MISSING, PC_H264_NB_PRESENT, PC_H264_NB_ENDED, PC_H264_NB_UNKNOWN };

static enum h264_nb h264_neighbour(const struct pc_h264_depack *d, uint64_t i,
				   const struct pc_h264_slot **sp)
{
	if (i < d->ready)
		return i + 1 == d->ready && d->ready_clean ? PC_H264_NB_ENDED : PC_H264_NB_UNKNOWN;
	*sp = h264_slot(d, i);
	return *sp ? PC_H264_NB_PRESENT : PC_H264_NB_MISSING;
}

static bool h264_fu_open(uint8_t kind)
{
	return kind == PC_H264_K_FU_S || kind == PC_H264_K_FU_M;
}

static bool h264_fu_cont(uint8_t kind)
{
	return kind == PC_H264_K_FU_M || kind == PC_H264_K_FU_E;
}

/* Whether present packet @s at @i, the first of its run of one timestamp, starts its AU.
 * Missing i - 1 is an AU's last packet when i - 2 is an earlier AU's packet without the marker
 * and the sender sets markers (that AU needs its marker packet, and only i - 1 is left for it),
 * or when i - 2 is an open FU-A. Otherwise (i - 2 carries a marker, or the sender sets none),
 * i - 1 may be a whole AU lost or the first packet of ours (an AUD, SPS, PPS or SEI before our
 * first slice): only an AUD tells at once. A first slice or an SPS tells only when @lost (i - 1
 * is being declared lost: it cannot be ours any more, RFC 6184 5.1 leaves it to the window);
 * an IDR slice is never enough (its SPS and PPS may have been in i - 1). With nothing before
 * @i known (the stream's start, a sequence jump, right after an AU dropped unfinished), an AUD,
 * an SPS or a first non-IDR slice is taken; on a flush or when @lost, before anything was
 * resolved, anything leading its run is (no later packet can show a loss); h264_resolve() also
 * takes a first AU led by an IDR slice or an SEI once a later AU is complete. */
static bool h264_confirmed(const struct pc_h264_depack *d, uint64_t i, const struct pc_h264_slot *s,
			   bool lost)
{
	const struct pc_h264_slot *p = NULL;
	bool likely = s->start == PC_H264_START_SURE || (lost && s->start == PC_H264_START_LIKELY);

	switch (h264_neighbour(d, i - 1, &p)) {
	case PC_H264_NB_PRESENT:
		return p->marker || p->ts != s->ts;
	case PC_H264_NB_ENDED:
		return true;
	case PC_H264_NB_UNKNOWN:
		return s->start == PC_H264_START_SURE || s->start == PC_H264_START_LIKELY ||
		       (!d->anchored && (d->flushing || (lost && s->start)));
	case PC_H264_NB_MISSING:
		break;
	}
	switch (h264_neighbour(d, i - 2, &p)) {
	case PC_H264_NB_PRESENT:
		if (p->ts == s->ts)
			return false;
		return (!p->marker && (d->marks || h264_fu_open(p->kind))) || likely;
	default:
		/* i - 2 ended an AU, or is missing or unknown too: whatever i - 1 was, an AUD
		 * starts ours, and once i - 1 is lost a first slice or an SPS is the best start */
		return likely;
	}
}

/* Whether present packet @s at @i ends its AU: it carries the marker, or the next packet is here
 * with another timestamp and @s is not an open FU-A (RFC 6184 5.1: the marker may be missing, a
 * decoder must not rely on it; the timestamp change shows the end as well). */
static bool h264_ends(const struct pc_h264_depack *d, uint64_t i, const struct pc_h264_slot *s)
{
	const struct pc_h264_slot *n;

	if (s->marker)
		return true;
	n = h264_slot(d, i + 1);
	return n && n->ts != s->ts && !h264_fu_open(s->kind);
}

static void h264_free(struct pc_h264_slot *s)
{
	s->present = 0;
}

/* Drops the packets in [ready, x) (the AUs they belong to: a run of missing numbers after an
 * AU's end counts as one more AU) and moves ready to @x. */
static void h264_drop_pending(struct pc_h264_depack *d, uint64_t x, bool clean)
{
	uint64_t n = 0;
	bool in = false, known = false;
	uint32_t ts = 0;

	for (uint64_t i = d->ready; i < x; i++) {
		struct pc_h264_slot *s = h264_slot(d, i);

		if (!s) {
			if (!in) {
				n++;
				in = true;
				known = false;
			}
			continue;
		}
		if (!in || (known && s->ts != ts))
			n++;
		in = !s->marker;
		known = true;
		ts = s->ts;
		h264_free(s);
	}
	if (d->head == d->ready)
		d->head = x;
	h264_set_ready(d, x, clean);
	d->anchored = true;
	d->drop_open = in && known && x > d->highest;
	d->drop_ts = ts;
	h264_drop_event(d, n ? n : 1);
}

/* The AU at ready: 1 complete through *last (its marker packet, or the packet before the next
 * timestamp, or on a flush the last one held), 0 all present so far, -1 a packet missing, -2 a
 * new timestamp starts at walk after an open FU-A (its end is lost; put() refuses that pair, so
 * this is a guard). RFC 6184 5.1: the marker is not needed, a receiver must not rely on it. */
static int h264_head_au(struct pc_h264_depack *d, uint64_t *last)
{
	const struct pc_h264_slot *s0 = h264_slot(d, d->ready), *p;

	if (!s0)
		return -1;
	for (uint64_t i = d->walk; i <= d->highest; i++) {
		const struct pc_h264_slot *s = h264_slot(d, i);

		if (!s)
			return -1;
		if (s->ts != s0->ts) {
			/* i > ready: i - 1 is present (walk only moves over present packets) */
			if (h264_fu_open(h264_slot(d, i - 1)->kind))
				return -2;
			*last = i - 1;
			return 1;
		}
		if (s->marker) {
			*last = i;
			return 1;
		}
		d->walk = i + 1;
	}
	/* nothing more is coming: the run held is the AU unless it ends inside a NAL unit */
	p = h264_slot(d, d->highest);
	if (d->flushing && p && !h264_fu_open(p->kind)) {
		*last = d->highest;
		return 1;
	}
	return 0;
}

/* The first packet after ready that starts a run of one timestamp (after a gap, a marker or
 * another timestamp). */
static bool h264_run_start(const struct pc_h264_depack *d, uint64_t i, const struct pc_h264_slot *s)
{
	const struct pc_h264_slot *p = h264_slot(d, i - 1);

	return !(p && p->ts == s->ts && !p->marker);
}

/* Looks past ready for reorder_frames complete AUs whose start is sure without declaring a
 * missing packet lost (an AU led by a first slice after a missing packet could still be
 * missing its first packet: reordering inside an AU must not count it). When found, *x is where
 * a drop of what is before them ends: the first run from ready + 1 that starts an AU once the
 * missing packets are taken as lost (at the latest the first AU found). */
static bool h264_find_later(const struct pc_h264_depack *d, uint64_t *x)
{
	uint64_t end = 0, found = 0;
	bool ok = false;

	for (uint64_t i = d->ready + 1; i <= d->highest; i++) {
		const struct pc_h264_slot *s = h264_slot(d, i);

		if (!s) {
			ok = false;
			continue;
		}
		if (h264_run_start(d, i, s)) {
			ok = h264_confirmed(d, i, s, false);
			if (!end && (ok || h264_confirmed(d, i, s, true)))
				end = i;
		}
		if (ok && h264_ends(d, i, s)) {
			if (++found >= d->reorder_frames) {
				*x = end;
				return true;
			}
			ok = false;
		}
	}
	return false;
}

/* Where a forced drop of the AU at ready ends: the next confirmed AU start, else the next run
 * with another timestamp (its start unsure), else past everything. */
static uint64_t h264_forced_end(const struct pc_h264_depack *d, bool *clean)
{
	const struct pc_h264_slot *s0 = h264_slot(d, d->ready);
	uint64_t alt = 0;
	bool known = s0 != NULL;
	uint32_t ts = s0 ? s0->ts : 0;

	for (uint64_t i = d->ready + 1; i <= d->highest; i++) {
		const struct pc_h264_slot *s = h264_slot(d, i);

		if (!s || !h264_run_start(d, i, s))
			continue;
		if (h264_confirmed(d, i, s, true)) {
			*clean = true;
			return i;
		}
		if (!alt && known && s->ts != ts)
			alt = i;
		if (!known) {
			known = true;
			ts = s->ts;
		}
	}
	*clean = false;
	return alt ? alt : d->highest + 1;
}

/* Moves ready over every AU that can be decided: complete ones become available, broken ones
 * are dropped; below @force_to everything is decided (an AU not complete is dropped). */
static void h264_resolve(struct pc_h264_depack *d, uint64_t force_to)
{
	for (;;) {
		const struct pc_h264_slot *s0;
		uint64_t last = 0, x;
		bool clean;
		int r;

		if (d->ready > d->highest)
			return;
		r = h264_head_au(d, &last);
		s0 = h264_slot(d, d->ready);
		/* the stream's first AU led by an IDR slice or an SEI is taken once a later AU is
		 * complete (an SPS before it would have come by then), or when forced */
		if (r == 1 && (h264_confirmed(d, d->ready, s0, false) ||
			       (d->ready < force_to && h264_confirmed(d, d->ready, s0, true)) ||
			       (!d->anchored && s0->start && h264_find_later(d, &x)))) {
			h264_set_ready(d, last + 1, true);
			d->anchored = true;
			d->drop_open = false;
			continue;
		}
		if (r == -2) {
			/* the packet at walk has another timestamp after our open FU-A */
			h264_drop_pending(d, d->walk, true);
			continue;
		}
		if (r != 0 && h264_find_later(d, &x)) {
			h264_drop_pending(d, x, true);
			continue;
		}
		if (d->ready >= force_to)
			return;
		x = h264_forced_end(d, &clean);
		h264_drop_pending(d, x, clean);
	}
}

/* The last packet of the available AU starting at @first (its marker packet, or the last
 * before another timestamp). */
static uint64_t h264_ready_last(const struct pc_h264_depack *d, uint64_t first)
{
	uint64_t i = first;

	while (i + 1 < d->ready) {
		const struct pc_h264_slot *s = h264_slot(d, i);

		if (!s || h264_ends(d, i, s))
			break;
		i++;
	}
	return i;
}

/* Drops the oldest available AU (a caller that does not drain get, or a full arena). */
static bool h264_evict_ready(struct pc_h264_depack *d)
{
	uint64_t last;

	while (d->head < d->ready && !h264_slot(d, d->head))
		d->head++;
	if (d->head >= d->ready)
		return false;
	last = h264_ready_last(d, d->head);
	for (uint64_t i = d->head; i <= last; i++) {
		struct pc_h264_slot *s = h264_slot(d, i);

		if (s)
			h264_free(s);
	}
	d->head = last + 1;
	h264_drop_event(d, 1);
	return true;
}

/* Heap sort of slot indices by arena offset (no allocation, unlike qsort in some libcs). */
static void h264_sift(uint32_t *a, const struct pc_h264_slot *sl, size_t root, size_t n)
{
	for (;;) {
		size_t c = 2 * root + 1;
		uint32_t t;

		if (c >= n)
			return;
		if (c + 1 < n && sl[a[c + 1]].off > sl[a[c]].off)
			c++;
		if (sl[a[root]].off >= sl[a[c]].off)
			return;
		t = a[root];
		a[root] = a[c];
		a[c] = t;
		root = c;
	}
}

/* Moves the held payloads down to the arena's start, in arena order (so memmove never
 * overwrites one not yet moved). */
static void h264_compact(struct pc_h264_depack *d)
{
	size_t n = 0, top = 0;

	for (uint64_t i = d->head; i <= d->highest; i++) {
		const struct pc_h264_slot *s = h264_slot(d, i);

		if (s && s->len)
			d->order[n++] = (uint32_t)(i & d->mask);
	}
	for (size_t i = n / 2; i-- > 0;)
		h264_sift(d->order, d->slots, i, n);
	for (size_t end = n; end-- > 1;) {
		uint32_t t = d->order[0];

		d->order[0] = d->order[end];
		d->order[end] = t;
		h264_sift(d->order, d->slots, 0, end);
	}
	for (size_t k = 0; k < n; k++) {
		struct pc_h264_slot *s = &d->slots[d->order[k]];

		if (s->off != top)
			memmove(d->arena + top, d->arena + s->off, s->len);
		s->off = (uint32_t)top;
		top += s->len;
	}
	d->top = top;
}

/* Makes room for @len payload bytes: compaction, then the oldest AUs go. */
static void h264_room(struct pc_h264_depack *d, size_t len)
{
	while (d->arena_size - d->top < len) {
		h264_compact(d);
		if (d->arena_size - d->top >= len)
			return;
		if (h264_evict_ready(d))
			continue;
		if (d->ready > d->highest)
			return; /* nothing held: cannot happen, len <= max_au < arena_size */
		h264_resolve(d, d->ready + 1);
	}
}

/* Drops everything and starts over at @ext (a sequence jump: a new sender, a restart, a long
 * outage). What follows may refer to pictures never seen: a key-frame request. */
static void h264_resync(struct pc_h264_depack *d, uint64_t ext)
{
	h264_resolve(d, d->highest + 1);
	while (h264_evict_ready(d))
		;
	d->st.keyframe_requests++;
	d->keyframe = true;
	d->head = ext;
	d->highest = ext;
	d->gap = ext;
	h264_set_ready(d, ext, false);
	d->anchored = false;
	d->drop_open = false;
	d->marks = false;
	d->top = 0;
}

/* What a packet holds, from its payload alone. */
struct h264_info {
	uint8_t kind, fu_type, start;
};

/* Whether a NAL unit (header @h, then @n bytes at @b) starts an AU: an access unit delimiter
 * surely; an SPS, or a slice whose first_mb_in_slice (ue(v), first in the slice header: a 1 bit
 * for 0) is 0, or an SEI, unless something came before it. PC_H264_START_* or 0. */
static uint8_t h264_au_start(uint8_t h, const uint8_t *b, size_t n)
{
	uint8_t t = PC_H264_TYPE(h);

	if (t == 9)
		return PC_H264_START_SURE;
	if (t == 7)
		return PC_H264_START_LIKELY;
	if (t == 6)
		return PC_H264_START_MAYBE;
	if ((t == 1 || t == 5) && n >= 1 && (b[0] & 0x80))
		return t == 1 ? PC_H264_START_LIKELY : PC_H264_START_MAYBE;
	return 0;
}

/* RFC 6184 5.2-5.8: the packet's structure, or -EBADMSG. */
static int h264_parse(const uint8_t *b, size_t len, struct h264_info *in)
{
	uint8_t t;

	if (!b || len < 1)
		return -EBADMSG;
	t = PC_H264_TYPE(b[0]);
	memset(in, 0, sizeof(*in));
	if (h264_type_ok(t)) {
		in->kind = PC_H264_K_SINGLE;
		in->start = h264_au_start(b[0], b + 1, len - 1);
		return 0;
	}
	if (t == PC_H264_STAP_A) {
		size_t off = 1, count = 0;

		while (off < len) {
			size_t sz;

			if (len - off < 2)
				return -EBADMSG;
			sz = (size_t)b[off] << 8 | b[off + 1];
			off += 2;
			if (sz == 0 || sz > len - off || !h264_type_ok(PC_H264_TYPE(b[off])))
				return -EBADMSG;
			if (count++ == 0)
				in->start = h264_au_start(b[off], b + off + 1, sz - 1);
			off += sz;
		}
		if (!count)
			return -EBADMSG;
		in->kind = PC_H264_K_STAP;
		return 0;
	}
	if (t == PC_H264_FU_A) {
		uint8_t fuh;

		if (len < 3)
			return -EBADMSG;
		fuh = b[1];
		if ((fuh & PC_H264_FU_S) && (fuh & PC_H264_FU_E))
			return -EBADMSG;
		if (!h264_type_ok(PC_H264_TYPE(fuh)))
			return -EBADMSG;
		in->fu_type = PC_H264_TYPE(fuh);
		if (fuh & PC_H264_FU_S) {
			in->kind = PC_H264_K_FU_S;
			in->start = h264_au_start(fuh, b + 2, len - 2);
		} else {
			in->kind = fuh & PC_H264_FU_E ? PC_H264_K_FU_E : PC_H264_K_FU_M;
		}
		return 0;
	}
	return -EBADMSG; /* 0, 25-27 (STAP-B, MTAP16, MTAP24), 29 (FU-B), 30, 31 */
}

/* RFC 6184 5.8: the fragments of one NAL unit go in consecutive packets, in order. */
static bool h264_follows(uint8_t pkind, uint8_t pfu, uint32_t pts, uint8_t kind, uint8_t fu,
			 uint32_t ts)
{
	if (h264_fu_open(pkind))
		return h264_fu_cont(kind) && fu == pfu && ts == pts;
	return !h264_fu_cont(kind);
}

int pc_h264_depack_create(struct pc_h264_depack **out, const struct pc_h264_depack_conf *conf)
{
	struct pc_h264_depack *d;
	uint64_t max_au = conf && conf->max_au_bytes ? conf->max_au_bytes : 1u << 20;
	uint64_t window = conf && conf->window ? conf->window : 64;
	uint64_t want = conf ? conf->max_packets : 0, cap = 64;
	int err = -ENOMEM;

	if (!out || max_au > (1u << 30) || want > PC_H264_MAX_PACKETS)
		return -EINVAL;
	/* the ring holds the reorder window and an AU of max_au_bytes in packets of 64 bytes on
	 * average (a sender's max_payload is rarely below 500), at least the window twice over */
	if (!want) {
		want = window + max_au / 64;
		if (want > PC_H264_MAX_PACKETS_AUTO)
			want = PC_H264_MAX_PACKETS_AUTO;
	}
	if (want < 2 * window)
		want = 2 * window;
	while (cap < want)
		cap <<= 1;

	d = calloc(1, sizeof(*d));
	if (!d)
		goto out;
	d->slots = calloc(cap, sizeof(*d->slots));
	if (!d->slots)
		goto out_free_d;
	d->order = calloc(cap, sizeof(*d->order));
	if (!d->order)
		goto out_free_slots;
	d->arena_size = 2 * max_au;
	d->arena = malloc(d->arena_size);
	if (!d->arena)
		goto out_free_order;
	d->out = malloc(max_au);
	if (!d->out)
		goto out_free_arena;
	d->cap = cap;
	/* a sequence jump is a step of this many, whatever the ring holds (RFC 3550 A.1 takes
	 * 3000 ahead as a restart) */
	d->jump = 2 * window > PC_H264_JUMP ? 2 * window : PC_H264_JUMP;
	if (d->jump > cap)
		d->jump = cap;
	d->mask = cap - 1;
	d->max_au = max_au;
	d->window = (uint32_t)window;
	d->reorder_frames = conf && conf->reorder_frames ? conf->reorder_frames : 1;
	*out = d;
	return 0;

out_free_arena:
	free(d->arena);
out_free_order:
	free(d->order);
out_free_slots:
	free(d->slots);
out_free_d:
	free(d);
out:
	return err;
}

void pc_h264_depack_destroy(struct pc_h264_depack *d)
{
	if (!d)
		return;
	free(d->out);
	free(d->arena);
	free(d->order);
	free(d->slots);
	free(d);
}

int pc_h264_depack_put(struct pc_h264_depack *d, uint16_t seq, uint32_t ts, bool marker,
		       const uint8_t *payload, size_t len)
{
	const struct pc_h264_slot *p = NULL;
	struct pc_h264_slot *s;
	struct h264_info in;
	bool oversize = len > d->max_au, after_open;
	uint64_t ext;

	d->st.packets++;
	if (h264_parse(payload, len, &in) < 0 || (marker && h264_fu_open(in.kind))) {
		d->st.bad++;
		return -EBADMSG;
	}

	if (!d->started) {
		d->started = true;
		ext = PC_H264_EXT_BASE + seq;
		d->head = ext;
		d->highest = ext;
		d->gap = ext;
		h264_set_ready(d, ext, false);
	} else {
		/* RFC 3550 A.1: the nearest extension of seq to the highest number seen */
		ext = d->highest +
		      (uint64_t)(int64_t)(int16_t)(uint16_t)(seq - (uint16_t)d->highest);
		if (ext < d->ready) {
			if (d->ready - ext >= d->jump) {
				h264_resync(d, ext); /* far behind: the sender restarted */
			} else if (!d->anchored && d->head == d->ready &&
				   d->highest - ext < d->window) {
				/* nothing resolved yet: the stream may start earlier */
				d->head = ext;
				d->gap = ext;
				h264_set_ready(d, ext, false);
			} else {
				if (h264_slot(d, ext))
					d->st.duplicates++;
				else
					d->st.late++;
				return -EALREADY;
			}
		} else if (ext > d->highest && ext - d->highest >= d->jump) {
			h264_resync(d, ext); /* far ahead: a restart, or an outage */
		} else if (ext > d->highest && ext - d->head >= d->cap) {
			/* the ring is full: what is below ext - cap goes */
			h264_resolve(d, ext - d->cap + 1);
			while (ext - d->head >= d->cap && h264_evict_ready(d))
				;
		}
	}

	if (!oversize)
		h264_room(d, len);
	if (ext < d->ready) {
		d->st.late++; /* its AU went to make room */
		return -EALREADY;
	}
	after_open = d->drop_open && ext == d->ready;
	if (after_open && ts == d->drop_ts) {
		/* the rest of an AU dropped while open (too large, pushed out): late, and its
		 * marker packet, or the next one here with another timestamp, shows where the
		 * next AU starts */
		bool ended;

		p = h264_slot(d, ext + 1);
		ended = marker || (p && p->ts != ts);
		d->st.late++;
		if (d->head == d->ready)
			d->head = ext + 1;
		if (ext > d->highest)
			d->highest = ext;
		h264_set_ready(d, ext + 1, ended);
		d->drop_open = !ended;
		h264_resolve(d, 0); /* what follows may be complete now */
		return -EALREADY;
	}
	if (h264_slot(d, ext)) {
		d->st.duplicates++;
		return -EALREADY;
	}
	if (after_open && h264_fu_cont(in.kind))
		goto bad; /* another timestamp than the open AU's: not its continuation */
	switch (h264_neighbour(d, ext - 1, &p)) {
	case PC_H264_NB_PRESENT:
		if (!h264_follows(p->kind, p->fu_type, p->ts, in.kind, in.fu_type, ts))
			goto bad;
		break;
	case PC_H264_NB_ENDED:
		if (h264_fu_cont(in.kind))
			goto bad;
		break;
	default:
		break;
	}
	p = h264_slot(d, ext + 1);
	if (p && !h264_follows(in.kind, in.fu_type, ts, p->kind, p->fu_type, p->ts))
		goto bad;

	if (after_open) {
		/* ready - 1 was that AU's packet: another timestamp after it starts an AU (RFC
		 * 6184 5.1: the marker is not needed to tell) */
		d->ready_clean = true;
		d->drop_open = false;
	}
	s = &d->slots[ext & d->mask];
	s->ext = ext;
	s->ts = ts;
	s->present = 1;
	s->marker = marker;
	s->kind = in.kind;
	s->fu_type = in.fu_type;
	s->start = in.start;
	s->oversize = oversize;
	s->off = 0;
	s->len = 0;
	if (!oversize) {
		memcpy(d->arena + d->top, payload, len);
		s->off = (uint32_t)d->top;
		s->len = (uint32_t)len;
		d->top += len;
	}
	if (ext > d->highest)
		d->highest = ext;
	if (marker)
		d->marks = true;

	/* A missing packet window numbers behind the highest is lost. */
	for (;;) {
		if (d->gap < d->ready)
			d->gap = d->ready;
		while (d->gap <= d->highest && h264_slot(d, d->gap))
			d->gap++;
		if (d->gap > d->highest || d->highest - d->gap < d->window)
			break;
		h264_resolve(d, d->gap + 1);
	}
	h264_resolve(d, 0);
	return 0;

bad:
	d->st.bad++;
	return -EBADMSG;
}

/* Appends a start code and @n bytes (the first one @hdr) to the output AU. */
static int h264_emit(struct pc_h264_depack *d, size_t *o, uint8_t hdr, const uint8_t *b, size_t n,
		     bool *idr)
{
	if (d->max_au - *o < 5 + n)
		return -EMSGSIZE;
	memcpy(d->out + *o, "\0\0\0\1", 4);
	d->out[*o + 4] = hdr;
	memcpy(d->out + *o + 5, b, n);
	*o += 5 + n;
	if (PC_H264_TYPE(hdr) == 5)
		*idr = true;
	return 0;
}

/* The AU [first, last] into d->out, as Annex B. */
static int h264_assemble(struct pc_h264_depack *d, uint64_t first, uint64_t last,
			 struct pc_h264_au *au)
{
	size_t o = 0;
	bool open = false, idr = false;
	int err;

	for (uint64_t i = first; i <= last; i++) {
		const struct pc_h264_slot *s = h264_slot(d, i);
		const uint8_t *b;

		if (!s)
			return -EBADMSG;
		if (s->oversize)
			return -EMSGSIZE;
		b = d->arena + s->off;
		if (open != h264_fu_cont(s->kind))
			return -EBADMSG;
		switch (s->kind) {
		case PC_H264_K_SINGLE:
			err = h264_emit(d, &o, b[0], b + 1, s->len - 1, &idr);
			break;
		case PC_H264_K_STAP:
			err = 0;
			for (size_t off = 1; off < s->len && !err;) {
				size_t sz = (size_t)b[off] << 8 | b[off + 1];

				err = h264_emit(d, &o, b[off + 2], b + off + 3, sz - 1, &idr);
				off += 2 + sz;
			}
			break;
		case PC_H264_K_FU_S:
			/* RFC 6184 5.8: the header is F and NRI of the indicator, the type of
			 * the FU header */
			err = h264_emit(d, &o, (uint8_t)((b[0] & 0xe0) | PC_H264_TYPE(b[1])), b + 2,
					s->len - 2, &idr);
			open = true;
			break;
		default:
			err = -EMSGSIZE;
			if (d->max_au - o >= s->len - 2) {
				memcpy(d->out + o, b + 2, s->len - 2);
				o += s->len - 2;
				err = 0;
			}
			open = s->kind == PC_H264_K_FU_M;
			break;
		}
		if (err)
			return err;
	}
	if (open)
		return -EBADMSG;
	au->data = d->out;
	au->len = o;
	au->rtp_ts = h264_slot(d, first)->ts;
	au->idr = idr;
	return 0;
}

int pc_h264_depack_get(struct pc_h264_depack *d, struct pc_h264_au *au)
{
	for (;;) {
		uint64_t first, last;
		int r;

		while (d->head < d->ready && !h264_slot(d, d->head))
			d->head++;
		if (d->head >= d->ready)
			return 0;
		first = d->head;
		last = h264_ready_last(d, first);
		r = h264_assemble(d, first, last, au);
		for (uint64_t i = first; i <= last; i++) {
			struct pc_h264_slot *s = h264_slot(d, i);

			if (s)
				h264_free(s);
		}
		d->head = last + 1;
		if (r == 0) {
			d->st.aus++;
			return 1;
		}
		if (r == -EBADMSG)
			d->st.bad++;
		h264_drop_event(d, 1);
	}
}

void pc_h264_depack_flush(struct pc_h264_depack *d)
{
	if (!d->started)
		return;
	d->flushing = true;
	h264_resolve(d, d->highest + 1);
	d->flushing = false;
}

bool pc_h264_depack_keyframe_needed(struct pc_h264_depack *d)
{
	bool k = d->keyframe;

	d->keyframe = false;
	return k;
}

void pc_h264_depack_stats(const struct pc_h264_depack *d, struct pc_h264_depack_stats *st)
{
	*st = d->st;
}
