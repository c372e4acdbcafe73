/* SPDX-License-Identifier: MIT */
/*
 * rtcp_fuzz.c - libFuzzer target for the RTCP parser and builder of fastpath/rtp/pc_rtcp.h and
 * the RTP receive statistics that feed its report blocks (fastpath/rtp/rtp.c).
 *
 * Notes on running it:
 *   - Built from tests/fuzz/rtcp.cmake (clang): fuzz_rtcp, CTest test fuzz/rtcp.
 *     By hand: clang -g -O1 -fsanitize=fuzzer,address,undefined -Ifastpath/rtp \
 *         tests/fuzz/rtcp_fuzz.c fastpath/rtp/rtcp.c fastpath/rtp/rtp.c -o /tmp/rtcp_fuzz
 *   - Longer, keeping what it finds: `./rtcp_fuzz -max_total_time=600 corpus/`; a crash
 *     leaves crash-<sha1> to replay with `./rtcp_fuzz crash-<sha1>`.
 *
 * The input is used twice, each time from a buffer of exactly its length (AddressSanitizer
 * catches a read past it):
 *   1. As one RTCP datagram: pc_rtcp_parse() with reduced_size false and true. It returns
 *      the packet count or -EBADMSG; it accepts only what pc_rtcp_check() accepts, with the
 *      same count; accepted without reduced size means accepted with it. In the view every
 *      pointer lies in the datagram, every packet's items in the arrays' used part, counts
 *      add up (described + dropped packets = total). Every packet parsed, written again by
 *      the pc_rtcp_write_* of its type, parses to the same fields. NACK expansion never
 *      writes past its output.
 *   2. As a sequence of RTP arrivals (2 bytes sequence number, 1 byte of timestamp step, 1 of
 *      arrival jitter): pc_rtp_source_update() and pc_rtp_source_report() keep the A.1/A.3
 *      invariants (verdicts in range, fraction 0-255, lost clamped to 24 bits, the extended
 *      highest sequence number = cycles + max_seq), and the report block built from them goes
 *      through an RR and back unchanged.
 *   3. As a script for the writer (when its first byte is odd): a compound built packet by
 *      packet from the input (SR, RR, SDES, BYE, APP, NACK, PLI, FIR, XR, an unknown type, padding
 *      at the end), checked to parse to exactly what was written, then with a few bytes
 *      changed by the input's tail, fed to 1. Valid compounds of every type are then reached
 *      without a seed corpus, and so are the near misses around them.
 * Nothing may write to the datagram.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pc_rtcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		abort();
}

static struct pc_rtcp_view view, again;

static bool inside(const uint8_t *p, size_t n, const uint8_t *b, size_t len)
{
	return p >= b && p <= b + len && n <= (size_t)(b + len - p);
}

static void check_view(const struct pc_rtcp_view *v, const uint8_t *b, size_t len, int count)
{
	unsigned pkts_dropped = (unsigned)count - v->n_pkts;

	check(v->total == count);
	check(v->n_pkts <= PC_RTCP_VIEW_PKTS && v->n_pkts <= v->total);
	check(v->n_rbs <= PC_RTCP_VIEW_RBS && v->n_sdes <= PC_RTCP_VIEW_SDES);
	check(v->n_ssrcs <= PC_RTCP_VIEW_SSRCS && v->n_nacks <= PC_RTCP_VIEW_NACKS);
	check(v->n_firs <= PC_RTCP_VIEW_FIRS && v->n_xrs <= PC_RTCP_VIEW_XRS);
	check(v->unknown <= v->total && v->dropped >= pkts_dropped);
	for (unsigned i = 0; i < v->n_pkts; i++) {
		const struct pc_rtcp_pkt *p = &v->pkts[i];
		uint16_t used = 0;

		check(inside(p->raw, p->len, b, len));
		check(p->body_len <= p->len && p->body_len >= 4 && p->len % 4 == 0);
		check(p->pt == p->raw[1] && p->count == (p->raw[0] & 0x1f));
		check(p->parsed <= 1);
		if (!p->parsed)
			continue;
		switch (p->pt) {
		case PC_RTCP_SR:
		case PC_RTCP_RR:
			used = v->n_rbs;
			check(p->n <= p->count);
			break;
		case PC_RTCP_SDES:
			used = v->n_sdes;
			for (unsigned k = p->first; k < p->first + p->n; k++)
				check(inside(v->sdes[k].text, v->sdes[k].len, p->raw, p->body_len));
			break;
		case PC_RTCP_BYE:
			used = v->n_ssrcs;
			check(p->n <= p->count);
			if (p->u.bye.reason)
				check(inside(p->u.bye.reason, p->u.bye.reason_len, p->raw,
					     p->body_len));
			break;
		case PC_RTCP_APP:
			check(inside(p->u.app.data, p->u.app.data_len, p->raw, p->body_len));
			break;
		case PC_RTCP_RTPFB:
			used = v->n_nacks;
			check(inside(p->u.fb.fci, p->u.fb.fci_len, p->raw, p->body_len));
			check(p->n <= p->u.fb.fci_len / 4);
			break;
		case PC_RTCP_PSFB:
			used = v->n_firs;
			check(inside(p->u.fb.fci, p->u.fb.fci_len, p->raw, p->body_len));
			if (p->count == PC_RTCP_FMT_PLI)
				check(p->n == 0);
			break;
		case PC_RTCP_XR:
			used = v->n_xrs;
			check(p->u.xr.skipped <= (p->body_len - 8) / 4);
			for (unsigned k = p->first; k < p->first + p->n; k++)
				check(v->xrs[k].bt >= PC_RTCP_XR_RRTR &&
				      v->xrs[k].bt <= PC_RTCP_XR_VOIP);
			break;
		default:
			check(0); /* other types are never parsed */
		}
		if (p->n)
			check((unsigned)p->first + p->n <= used);
	}
}

/* Write the parsed packet @p of @v again, alone, and check it parses to the same fields. */
static void round_trip(const struct pc_rtcp_view *v, const struct pc_rtcp_pkt *p)
{
	static uint8_t buf[70000];
	static struct pc_rtcp_sdes_item items[PC_RTCP_VIEW_SDES];
	struct pc_rtcp_writer w;
	const struct pc_rtcp_pkt *q;
	int rc = -1;

	pc_rtcp_writer_init(&w, buf, sizeof(buf), true);
	switch (p->pt) {
	case PC_RTCP_SR:
		rc = pc_rtcp_write_sr(&w, p->ssrc, &p->u.sr, v->rbs + p->first, p->n);
		break;
	case PC_RTCP_RR:
		rc = pc_rtcp_write_rr(&w, p->ssrc, v->rbs + p->first, p->n);
		break;
	case PC_RTCP_SDES:
		/* One chunk per item, so that every item keeps its SSRC. */
		for (unsigned k = 0; k < p->n; k++) {
			items[k] = v->sdes[p->first + k];
			if (items[k].type > PC_RTCP_SDES_PRIV)
				return; /* types the writer does not know */
			check(pc_rtcp_write_sdes(&w, items[k].ssrc, &items[k], 1) == 0);
		}
		if (p->n == 0)
			return;
		check(pc_rtcp_parse(buf, w.len, true, &again) == p->n);
		for (unsigned k = 0; k < p->n; k++) {
			check(again.sdes[k].ssrc == items[k].ssrc);
			check(again.sdes[k].type == items[k].type);
			check(again.sdes[k].len == items[k].len);
			check(memcmp(again.sdes[k].text, items[k].text, items[k].len) == 0);
		}
		return;
	case PC_RTCP_BYE:
		if (p->n == 0)
			return;
		rc = pc_rtcp_write_bye(&w, v->ssrcs + p->first, p->n, (const char *)p->u.bye.reason,
				       p->u.bye.reason_len);
		break;
	case PC_RTCP_APP:
		if (p->u.app.data_len % 4)
			return;
		rc = pc_rtcp_write_app(&w, p->count, p->ssrc, p->u.app.name, p->u.app.data,
				       p->u.app.data_len);
		break;
	case PC_RTCP_RTPFB:
		rc = pc_rtcp_write_nack(&w, p->ssrc, p->media_ssrc, v->nacks + p->first, p->n);
		break;
	case PC_RTCP_PSFB:
		rc = p->count == PC_RTCP_FMT_PLI ?
			     pc_rtcp_write_pli(&w, p->ssrc, p->media_ssrc) :
			     pc_rtcp_write_fir(&w, p->ssrc, v->firs + p->first, p->n);
		break;
	case PC_RTCP_XR:
		/* Unknown blocks are not written again, empty DLRRs vanish: the items remain. */
		if (p->n == 0)
			return;
		check(pc_rtcp_write_xr(&w, p->ssrc, v->xrs + p->first, p->n) == 0);
		check(pc_rtcp_parse(buf, w.len, true, &again) == 1);
		check(again.pkts[0].ssrc == p->ssrc && again.n_xrs == p->n);
		for (unsigned k = 0; k < p->n; k++) {
			const struct pc_rtcp_xr_item *a = &again.xrs[k], *o = &v->xrs[p->first + k];

			check(a->bt == o->bt);
			/* Reserved bits are written as 0: compare the fields. */
			switch (a->bt) {
			case PC_RTCP_XR_RRTR:
				check(a->u.rrtr_ntp == o->u.rrtr_ntp);
				break;
			case PC_RTCP_XR_DLRR:
				check(memcmp(&a->u.dlrr, &o->u.dlrr, sizeof(a->u.dlrr)) == 0);
				break;
			case PC_RTCP_XR_STATS:
				check(memcmp(&a->u.stats, &o->u.stats, sizeof(a->u.stats)) == 0);
				break;
			default:
				check(memcmp(&a->u.voip, &o->u.voip, sizeof(a->u.voip)) == 0);
				break;
			}
		}
		return;
	default:
		return;
	}
	check(rc == 0);
	check(pc_rtcp_parse(buf, w.len, true, &again) == 1);
	q = &again.pkts[0];
	check(q->pt == p->pt && q->parsed == 1 && q->ssrc == p->ssrc && q->n == p->n);
	switch (p->pt) {
	case PC_RTCP_SR:
		check(q->u.sr.ntp == p->u.sr.ntp && q->u.sr.rtp_ts == p->u.sr.rtp_ts);
		check(q->u.sr.packets == p->u.sr.packets && q->u.sr.octets == p->u.sr.octets);
		__attribute__((fallthrough));
	case PC_RTCP_RR:
		for (unsigned k = 0; k < p->n; k++)
			check(memcmp(&again.rbs[k], &v->rbs[p->first + k], sizeof(again.rbs[k])) ==
			      0);
		break;
	case PC_RTCP_BYE:
		check(memcmp(again.ssrcs, v->ssrcs + p->first, 4 * (size_t)p->n) == 0);
		check(q->u.bye.reason_len == p->u.bye.reason_len);
		check((q->u.bye.reason == NULL) == (p->u.bye.reason == NULL));
		break;
	case PC_RTCP_APP:
		check(q->count == p->count && memcmp(q->u.app.name, p->u.app.name, 4) == 0);
		check(q->u.app.data_len == p->u.app.data_len);
		break;
	case PC_RTCP_RTPFB:
		check(q->media_ssrc == p->media_ssrc);
		check(memcmp(again.nacks, v->nacks + p->first, 4 * (size_t)p->n) == 0);
		break;
	case PC_RTCP_PSFB:
		check(q->count == p->count);
		if (p->count == PC_RTCP_FMT_PLI)
			check(q->media_ssrc == p->media_ssrc);
		for (unsigned k = 0; k < p->n; k++)
			check(again.firs[k].ssrc == v->firs[p->first + k].ssrc &&
			      again.firs[k].seq == v->firs[p->first + k].seq);
		break;
	}
}

static void fuzz_parse(const uint8_t *b, size_t len)
{
	static uint16_t seqs[17 * PC_RTCP_VIEW_NACKS + 1];
	int plain = pc_rtcp_parse(b, len, false, &view);
	int reduced;

	check(plain == -EBADMSG || plain > 0);
	if (plain > 0)
		check(pc_rtcp_check(b, len, false) == plain);
	reduced = pc_rtcp_parse(b, len, true, &view);
	check(reduced == -EBADMSG || reduced > 0);
	if (pc_rtcp_check(b, len, true) < 0)
		check(reduced == -EBADMSG);
	if (plain > 0)
		check(reduced == plain);
	if (reduced < 0)
		return;
	check(pc_rtcp_check(b, len, true) == reduced);
	check_view(&view, b, len, reduced);

	/* NACK expansion: bounded by its output, 17 per item at most. */
	seqs[17 * PC_RTCP_VIEW_NACKS] = 0x5a5a;
	unsigned n = pc_rtcp_nack_expand(view.nacks, view.n_nacks, seqs, 17 * PC_RTCP_VIEW_NACKS);
	check(n >= view.n_nacks && n <= 17u * view.n_nacks);
	check(seqs[17 * PC_RTCP_VIEW_NACKS] == 0x5a5a);
	if (view.n_nacks)
		check(pc_rtcp_nack_expand(view.nacks, view.n_nacks, seqs, n / 2) == n / 2);

	for (unsigned i = 0; i < view.n_pkts; i++)
		if (view.pkts[i].parsed && view.dropped == 0)
			round_trip(&view, &view.pkts[i]);
}

/* A reader of the input's bytes, giving zeros once they run out. */
struct script {
	const uint8_t *b;
	size_t len, off;
};

static uint8_t next8(struct script *sc)
{
	return sc->off < sc->len ? sc->b[sc->off++] : 0;
}

static uint32_t next32(struct script *sc)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v = v << 8 | next8(sc);
	return v;
}

/* Append 4 bytes of padding (zeros, then the count) to the packet at @last, the compound's
 * last, of the compound of *@len bytes at @buf. */
static void put_pad(uint8_t *buf, size_t *len, size_t last)
{
	uint16_t words = pc_rtp__be16(buf + last + 2);

	memset(buf + *len, 0, 3);
	buf[*len + 3] = 4;
	*len += 4;
	pc_rtp__put16(buf + last + 2, (uint16_t)(words + 1));
}

static void fuzz_built(const uint8_t *in, size_t size)
{
	static uint8_t buf[8192], cbuf[2048];
	static struct pc_rtcp_rb rbs[PC_RTCP_RB_MAX];
	static struct pc_rtcp_nack nacks[64];
	static struct pc_rtcp_fir firs[16];
	static struct pc_rtcp_xr_item xrs[8];
	static struct pc_rtcp_sdes_item items[8];
	static uint8_t text[8][32];
	static uint32_t ssrcs[31];
	struct script sc = { .b = in, .len = size, .off = 1 };
	struct pc_rtcp_writer w;
	struct pc_rtcp_sender_info si = { 0 };
	unsigned pkts = 0, nops, nmut;
	uint8_t *copy;
	int rc;

	if (size < 2 || !(in[0] & 1))
		return;
	pc_rtcp_writer_init(&w, buf, sizeof(buf) - 256, in[0] & 2);
	nops = 1 + next8(&sc) % 8;
	for (unsigned op = 0; op < nops; op++) {
		uint8_t kind = next8(&sc) % 10, n = next8(&sc);
		uint32_t ssrc = next32(&sc);

		switch (kind) {
		case 0:
		case 1:
			n %= PC_RTCP_RB_MAX + 1;
			for (unsigned i = 0; i < n; i++) {
				rbs[i] = (struct pc_rtcp_rb){
					.ssrc = next32(&sc),
					.fraction_lost = next8(&sc),
					.cum_lost = (int32_t)(next32(&sc) << 8) >> 8,
					.ext_max_seq = next32(&sc),
					.jitter = next32(&sc),
					.lsr = next32(&sc),
					.dlsr = next32(&sc),
				};
			}
			si = (struct pc_rtcp_sender_info){ .ntp = (uint64_t)next32(&sc) << 32,
							   .rtp_ts = next32(&sc) };
			rc = kind == 0 ? pc_rtcp_write_sr(&w, ssrc, &si, rbs, n) :
					 pc_rtcp_write_rr(&w, ssrc, rbs, n);
			break;
		case 2:
			n %= 8;
			for (unsigned i = 0; i < n; i++) {
				uint8_t l = next8(&sc) % 32;

				for (unsigned k = 0; k < l; k++)
					text[i][k] = next8(&sc);
				items[i] = (struct pc_rtcp_sdes_item){
					.text = text[i],
					.type = (uint8_t)(1 + next8(&sc) % 8),
					.len = l
				};
			}
			rc = pc_rtcp_write_sdes(&w, ssrc, items, n);
			break;
		case 3:
			n = (uint8_t)(1 + n % 31);
			for (unsigned i = 0; i < n; i++)
				ssrcs[i] = next32(&sc);
			rc = pc_rtcp_write_bye(&w, ssrcs, n, (const char *)text[0],
					       next8(&sc) & 1 ? next8(&sc) % 32 : 0);
			break;
		case 4:
			rc = pc_rtcp_write_app(&w, n % 32, ssrc, "PCFZ", text[0], 4u * (n % 8));
			break;
		case 5:
			n = (uint8_t)(1 + n % 64);
			for (unsigned i = 0; i < n; i++)
				nacks[i] = (struct pc_rtcp_nack){ .pid = (uint16_t)next32(&sc),
								  .blp = (uint16_t)next32(&sc) };
			rc = pc_rtcp_write_nack(&w, ssrc, next32(&sc), nacks, n);
			break;
		case 6:
			rc = pc_rtcp_write_pli(&w, ssrc, next32(&sc));
			break;
		case 7:
			n = (uint8_t)(1 + n % 16);
			for (unsigned i = 0; i < n; i++)
				firs[i] = (struct pc_rtcp_fir){ .ssrc = next32(&sc),
								.seq = next8(&sc) };
			rc = pc_rtcp_write_fir(&w, ssrc, firs, n);
			break;
		case 8:
			/* XR: up to 8 blocks of the known types, bytes from the input. */
			n = (uint8_t)(1 + n % 8);
			for (unsigned i = 0; i < n; i++) {
				struct pc_rtcp_xr_item *x = &xrs[i];

				memset(x, 0, sizeof(*x));
				x->bt = (uint8_t)(PC_RTCP_XR_RRTR + next8(&sc) % 4);
				x->u.voip.ssrc = next32(&sc); /* the first word of each */
				x->u.voip.loss_rate = next8(&sc);
				x->u.voip.jb_abs_max = (uint16_t)next32(&sc);
				if (x->bt == PC_RTCP_XR_STATS)
					x->u.stats.flags = next8(&sc);
			}
			rc = pc_rtcp_write_xr(&w, ssrc, xrs, n);
			break;
		default:
			/* An unknown type (XR of unknown blocks, or a feedback FMT not parsed): raw
			 * words; an XR's are a block of type 0 and length 0. */
			if (w.cap - w.len < 12 || (w.pkts == 0 && !w.reduced_size) || w.bye) {
				rc = -1;
				break;
			}
			buf[w.len] = (uint8_t)(0x80 | (n & 1 ? 15 : 0));
			buf[w.len + 1] = n & 2 ? PC_RTCP_XR :
						 (n & 4 ? PC_RTCP_PSFB : PC_RTCP_RTPFB);
			buf[w.len + 2] = 0;
			buf[w.len + 3] = 2;
			memcpy(buf + w.len + 4, &ssrc, 4);
			memset(buf + w.len + 8, buf[w.len + 1] == PC_RTCP_XR ? 0 : n, 4);
			w.len += 12;
			w.pkts++;
			rc = 0;
			break;
		}
		if (rc == 0)
			pkts++;
	}
	if (pkts == 0)
		return;
	/* Padding on the last packet: P set, 4 bytes, the count last (RFC 3550 6.4.1). */
	if (next8(&sc) & 1) {
		size_t last = 0;

		for (size_t off = 0; off < w.len; off += 4u * (pc_rtp__be16(buf + off + 2) + 1u))
			last = off;
		buf[last] |= 0x20;
		put_pad(buf, &w.len, last);
	}
	check(pc_rtcp_parse(buf, w.len, true, &view) == (int)pkts);
	if (!w.reduced_size)
		check(pc_rtcp_parse(buf, w.len, false, &view) == (int)pkts);
	for (unsigned i = 0; i < view.n_sdes; i++) {
		const struct pc_rtcp_sdes_item *it =
			pc_rtcp_find_sdes(&view, view.sdes[i].ssrc, view.sdes[i].type);

		check(it != NULL && it <= &view.sdes[i]);
	}
	/* Each NACK item expands to ascending numbers that pack back into it. */
	for (unsigned i = 0; i < view.n_nacks; i++) {
		uint16_t seqs[17];
		struct pc_rtcp_nack back;
		unsigned n = pc_rtcp_nack_expand(&view.nacks[i], 1, seqs, 17);

		check(pc_rtcp_nack_pack(seqs, n, &back, 1) == 1);
		check(back.pid == view.nacks[i].pid && back.blp == view.nacks[i].blp);
	}

	/* A whole compound from pc_rtcp_build() with the same parts: it fits, or -ENOSPC. */
	if (xrs[0].bt < PC_RTCP_XR_RRTR || xrs[0].bt > PC_RTCP_XR_VOIP)
		xrs[0] = (struct pc_rtcp_xr_item){ .bt = PC_RTCP_XR_RRTR, .u.rrtr_ntp = 1 };
	struct pc_rtcp_compound c = {
		.ssrc = next32(&sc),
		.sr = next8(&sc) & 1 ? &si : NULL,
		.rbs = rbs,
		.n_rbs = next8(&sc) % (PC_RTCP_RB_MAX + 1),
		.cname = (const char *)text[1],
		.cname_len = 1 + next8(&sc) % 31,
		.fb_media_ssrc = next32(&sc),
		.nacks = nacks,
		.n_nacks = next8(&sc) % 3,
		.firs = firs,
		.n_firs = next8(&sc) % 2,
		.pli = next8(&sc) & 1,
		.bye = next8(&sc) & 1,
		.xrs = xrs,
		.n_xrs = next8(&sc) % 2,
	};
	size_t cap = (size_t)(next8(&sc) << 8 | next8(&sc)) % 2048;
	unsigned want = 2u + (c.n_nacks > 0) + c.pli + (c.n_firs > 0) + c.bye + (c.n_xrs > 0);

	rc = pc_rtcp_build(cbuf, cap, &c);
	check(rc == -ENOSPC || (rc > 0 && (size_t)rc <= cap));
	if (rc > 0)
		check(pc_rtcp_parse(cbuf, (size_t)rc, false, &view) == (int)want);

	/* A few bytes changed by the rest of the input, then through the checks of 1. */
	copy = malloc(w.len);
	if (copy == NULL)
		return;
	memcpy(copy, buf, w.len);
	nmut = next8(&sc) % 4;
	for (unsigned i = 0; i < nmut; i++) {
		size_t at = (size_t)(next8(&sc) << 8 | next8(&sc)) % w.len;

		copy[at] ^= next8(&sc);
	}
	fuzz_parse(copy, w.len);
	free(copy);
}

static void fuzz_stats(const uint8_t *b, size_t len)
{
	struct pc_rtp_source s;
	struct pc_rtp_source_report r;
	struct pc_rtcp_rb rb;
	uint8_t buf[64];
	struct pc_rtcp_writer w;
	uint32_t ts = 0, arrival = 0;

	if (len < 1)
		return;
	pc_rtp_source_init(&s, 0x1234, b[0] % 4);
	for (size_t off = 1; off + 4 <= len; off += 4) {
		uint16_t seq = (uint16_t)(b[off] << 8 | b[off + 1]);
		enum pc_rtp_seq_verdict vd;

		ts += 160u * b[off + 2];
		arrival += 160u * b[off + 2] + b[off + 3];
		vd = pc_rtp_source_update(&s, seq, ts, arrival);
		check(vd <= PC_RTP_SEQ_RESTART);
		check(pc_rtp_source_ext_max(&s) == s.cycles + s.max_seq);
		if (vd == PC_RTP_SEQ_OK || vd == PC_RTP_SEQ_RESTART)
			check(s.max_seq == seq);
		if (b[off + 3] & 0x80)
			continue;
		/* Now and then a report, with a report block through an RR and back. */
		if (pc_rtcp_rb_from_source(&rb, &s, arrival) < 0) {
			check(!pc_rtp_source_valid(&s));
			continue;
		}
		check(rb.cum_lost >= PC_RTCP_LOST_MIN && rb.cum_lost <= PC_RTCP_LOST_MAX);
		check(rb.ext_max_seq == pc_rtp_source_ext_max(&s));
		check(pc_rtp_source_report(&s, &r) == 0);
		check(r.expected_interval == 0 && r.fraction_lost == 0);
		pc_rtcp_writer_init(&w, buf, sizeof(buf), false);
		check(pc_rtcp_write_rr(&w, 1, &rb, 1) == 0);
		check(pc_rtcp_parse(buf, w.len, false, &again) == 1);
		check(memcmp(&again.rbs[0], &rb, sizeof(rb)) == 0);
	}
}

static void fuzz_interval(const uint8_t *b, size_t len)
{
	struct pc_rtcp_interval_params p;
	double t;

	if (len < 8)
		return;
	p = (struct pc_rtcp_interval_params){
		.rtcp_bw = 1 + b[0] * 100.0,
		.avg_rtcp_size = 28 + b[1] * 4.0,
		.reduced_min = b[2] / 100.0,
		.members = 1u + (unsigned)(b[3] << 8 | b[4]),
		.we_sent = b[6] & 1,
		.initial = (b[6] >> 1) & 1,
		.min_mode = b[6] % 3,
	};
	p.senders = b[5] % (p.members + 1);
	t = pc_rtcp_interval(&p, b[7] / 256.0);
	check(isfinite(t) && t >= 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *b = malloc(size ? size : 1);

	if (b == NULL)
		return 0;
	if (size)
		memcpy(b, data, size);
	fuzz_parse(b, size);
	fuzz_stats(b, size);
	fuzz_interval(b, size);
	fuzz_built(b, size);
	check(size == 0 || memcmp(b, data, size) == 0);
	free(b);
	return 0;
}
