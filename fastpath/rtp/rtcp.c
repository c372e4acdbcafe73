/* SPDX-License-Identifier: MIT */
/*
 * rtcp.c - RTCP compound parsing into a bounded view, building, the report blocks of the
 * receive statistics, NTP time and the transmission interval (RFC 3550, 3611, 4585, 5104,
 * 5506).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "pc_rtcp.h"

#define be16 pc_rtp__be16
#define be32 pc_rtp__be32
#define put16 pc_rtp__put16
#define put32 pc_rtp__put32

/* --- parsing --------------------------------------------------------------------------------- */

/* The 24-bit two's complement cumulative lost of a report block. */
static int32_t lost24(const uint8_t *p)
{
	uint32_t u = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];

	return u & 0x800000u ? (int32_t)u - 0x1000000 : (int32_t)u;
}

/* Where one packet's items go: into the view when it has room and @store, else counted. */
struct parse_ctx {
	struct pc_rtcp_view *v;
	bool store; /* the packet itself has a place in pkts */
};

static bool item_slot(struct parse_ctx *c, uint16_t *n_used, unsigned cap, struct pc_rtcp_pkt *p,
		      uint16_t *idx)
{
	if (!c->store || *n_used >= cap) {
		c->v->dropped++;
		return false;
	}
	if (p->n == 0)
		p->first = *n_used;
	*idx = (*n_used)++;
	p->n++;
	return true;
}

static void parse_rbs(struct parse_ctx *c, struct pc_rtcp_pkt *p, const uint8_t *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++, b += PC_RTCP_RB_SIZE) {
		struct pc_rtcp_rb *rb;
		uint16_t k;

		if (!item_slot(c, &c->v->n_rbs, PC_RTCP_VIEW_RBS, p, &k))
			continue;
		rb = &c->v->rbs[k];
		rb->ssrc = be32(b);
		rb->fraction_lost = b[4];
		rb->cum_lost = lost24(b + 5);
		rb->ext_max_seq = be32(b + 8);
		rb->jitter = be32(b + 12);
		rb->lsr = be32(b + 16);
		rb->dlsr = be32(b + 20);
		memset(rb->pad0, 0, sizeof(rb->pad0));
	}
}

/* RFC 3550 6.5: SC chunks, each an SSRC then items, ended by one or more null octets up to
 * the next 32-bit boundary. The chunks fill the packet. */
static int parse_sdes(struct parse_ctx *c, struct pc_rtcp_pkt *p)
{
	const uint8_t *r = p->raw;
	size_t off = 4, end = p->body_len;

	for (unsigned chunk = 0; chunk < p->count; chunk++) {
		uint32_t ssrc;

		if (end - off < 4)
			return -EBADMSG;
		ssrc = be32(r + off);
		if (chunk == 0)
			p->ssrc = ssrc;
		off += 4;
		for (;;) {
			size_t ilen;
			uint16_t k;

			if (off >= end)
				return -EBADMSG; /* no terminating null octet */
			if (r[off] == PC_RTCP_SDES_END) {
				off = (off + 4) & ~(size_t)3; /* the null, then to the boundary */
				if (off > end)
					return -EBADMSG;
				break;
			}
			if (end - off < 2)
				return -EBADMSG;
			ilen = r[off + 1];
			if (end - off - 2 < ilen)
				return -EBADMSG;
			if (item_slot(c, &c->v->n_sdes, PC_RTCP_VIEW_SDES, p, &k)) {
				struct pc_rtcp_sdes_item *it = &c->v->sdes[k];

				it->ssrc = ssrc;
				it->type = r[off];
				it->len = (uint8_t)ilen;
				it->text = r + off + 2;
			}
			off += 2 + ilen;
		}
	}
	return off == end ? 0 : -EBADMSG;
}

static int parse_bye(struct parse_ctx *c, struct pc_rtcp_pkt *p)
{
	size_t need = 4u + 4u * p->count;

	if (p->body_len < need)
		return -EBADMSG;
	for (unsigned i = 0; i < p->count; i++) {
		uint16_t k;
		uint32_t ssrc = be32(p->raw + 4 + 4 * i);

		if (i == 0)
			p->ssrc = ssrc;
		if (item_slot(c, &c->v->n_ssrcs, PC_RTCP_VIEW_SSRCS, p, &k))
			c->v->ssrcs[k] = ssrc;
	}
	p->u.bye.reason = NULL;
	p->u.bye.reason_len = 0;
	if (p->body_len > need) {
		/* RFC 3550 6.6: a length octet, the text, null padding to 32 bits. */
		size_t rlen = p->raw[need];

		if (1 + rlen > p->body_len - need)
			return -EBADMSG;
		p->u.bye.reason = p->raw + need + 1;
		p->u.bye.reason_len = (uint8_t)rlen;
	}
	return 0;
}

static int parse_fb(struct parse_ctx *c, struct pc_rtcp_pkt *p)
{
	size_t fci_len;
	const uint8_t *fci;

	/* RFC 4585 6.1: header, packet sender SSRC, media source SSRC, FCI. */
	if (p->body_len < 12)
		return -EBADMSG;
	p->ssrc = be32(p->raw + 4);
	p->media_ssrc = be32(p->raw + 8);
	fci = p->raw + 12;
	fci_len = p->body_len - 12u;
	p->u.fb.fci = fci;
	p->u.fb.fci_len = (uint16_t)fci_len;

	if (p->pt == PC_RTCP_RTPFB && p->count == PC_RTCP_FMT_NACK) {
		/* RFC 4585 6.2.1: one or more PID/BLP pairs. */
		if (fci_len == 0 || fci_len % 4)
			return -EBADMSG;
		for (size_t at = 0; at < fci_len; at += 4) {
			uint16_t k;

			if (item_slot(c, &c->v->n_nacks, PC_RTCP_VIEW_NACKS, p, &k)) {
				c->v->nacks[k].pid = be16(fci + at);
				c->v->nacks[k].blp = be16(fci + at + 2);
			}
		}
		return 1;
	}
	if (p->pt == PC_RTCP_PSFB && p->count == PC_RTCP_FMT_PLI)
		return 1; /* RFC 4585 6.3.1: no FCI (any present is ignored) */
	if (p->pt == PC_RTCP_PSFB && p->count == PC_RTCP_FMT_FIR) {
		/* RFC 5104 4.3.1.1: entries of SSRC, seq nr, 24 reserved bits. */
		if (fci_len == 0 || fci_len % 8)
			return -EBADMSG;
		for (size_t at = 0; at < fci_len; at += 8) {
			uint16_t k;

			if (item_slot(c, &c->v->n_firs, PC_RTCP_VIEW_FIRS, p, &k)) {
				struct pc_rtcp_fir *f = &c->v->firs[k];

				f->ssrc = be32(fci + at);
				f->seq = fci[at + 4];
				memset(f->pad0, 0, sizeof(f->pad0));
			}
		}
		return 1;
	}
	return 0; /* another FMT: skipped */
}

/* RFC 3611 4.6: the Statistics Summary after its 4-byte block header (36 bytes). */
static void get_xr_stats(struct pc_rtcp_xr_stats *st, const uint8_t *b, uint8_t flags)
{
	memset(st, 0, sizeof(*st));
	st->ssrc = be32(b);
	st->begin_seq = be16(b + 4);
	st->end_seq = be16(b + 6);
	st->lost = be32(b + 8);
	st->dup = be32(b + 12);
	st->min_jitter = be32(b + 16);
	st->max_jitter = be32(b + 20);
	st->mean_jitter = be32(b + 24);
	st->dev_jitter = be32(b + 28);
	st->min_ttl = b[32];
	st->max_ttl = b[33];
	st->mean_ttl = b[34];
	st->dev_ttl = b[35];
	st->flags = flags;
}

/* RFC 3611 4.7: the VoIP Metrics after its 4-byte block header (32 bytes). */
static void get_xr_voip(struct pc_rtcp_xr_voip *vm, const uint8_t *b)
{
	memset(vm, 0, sizeof(*vm));
	vm->ssrc = be32(b);
	vm->loss_rate = b[4];
	vm->discard_rate = b[5];
	vm->burst_density = b[6];
	vm->gap_density = b[7];
	vm->burst_duration = be16(b + 8);
	vm->gap_duration = be16(b + 10);
	vm->round_trip_delay = be16(b + 12);
	vm->end_system_delay = be16(b + 14);
	vm->signal_level = (int8_t)b[16];
	vm->noise_level = (int8_t)b[17];
	vm->rerl = b[18];
	vm->gmin = b[19];
	vm->r_factor = b[20];
	vm->ext_r_factor = b[21];
	vm->mos_lq = b[22];
	vm->mos_cq = b[23];
	vm->rx_config = b[24];
	/* b[25] reserved */
	vm->jb_nominal = be16(b + 26);
	vm->jb_max = be16(b + 28);
	vm->jb_abs_max = be16(b + 30);
}

/* RFC 3611 2, 3: the sender's SSRC, then report blocks of BT, a type-specific byte and a
 * length in 32-bit words minus one; a block of a type not known is skipped by its length. */
static int parse_xr(struct parse_ctx *c, struct pc_rtcp_pkt *p)
{
	const uint8_t *r = p->raw;
	size_t off = 8, end = p->body_len;

	if (end < 8)
		return -EBADMSG;
	p->ssrc = be32(r + 4);
	p->u.xr.skipped = 0;
	while (off < end) {
		size_t blen;
		uint8_t bt, tsf;
		uint16_t k;

		if (end - off < 4)
			return -EBADMSG;
		bt = r[off];
		tsf = r[off + 1];
		blen = 4u * ((size_t)be16(r + off + 2) + 1);
		if (blen > end - off)
			return -EBADMSG;
		switch (bt) {
		case PC_RTCP_XR_RRTR:
			if (blen != 12)
				return -EBADMSG;
			if (item_slot(c, &c->v->n_xrs, PC_RTCP_VIEW_XRS, p, &k)) {
				struct pc_rtcp_xr_item *it = &c->v->xrs[k];

				memset(it, 0, sizeof(*it));
				it->bt = bt;
				it->tsf = tsf;
				it->u.rrtr_ntp = (uint64_t)be32(r + off + 4) << 32 |
						 be32(r + off + 8);
			}
			break;
		case PC_RTCP_XR_DLRR:
			if ((blen - 4) % 12)
				return -EBADMSG;
			for (size_t at = off + 4; at < off + blen; at += 12) {
				struct pc_rtcp_xr_item *it;

				if (!item_slot(c, &c->v->n_xrs, PC_RTCP_VIEW_XRS, p, &k))
					continue;
				it = &c->v->xrs[k];
				memset(it, 0, sizeof(*it));
				it->bt = bt;
				it->tsf = tsf;
				it->u.dlrr.ssrc = be32(r + at);
				it->u.dlrr.lrr = be32(r + at + 4);
				it->u.dlrr.dlrr = be32(r + at + 8);
			}
			break;
		case PC_RTCP_XR_STATS:
		case PC_RTCP_XR_VOIP:
			if (blen != (bt == PC_RTCP_XR_STATS ? 40u : 36u))
				return -EBADMSG;
			if (item_slot(c, &c->v->n_xrs, PC_RTCP_VIEW_XRS, p, &k)) {
				struct pc_rtcp_xr_item *it = &c->v->xrs[k];

				memset(it, 0, sizeof(*it));
				it->bt = bt;
				it->tsf = tsf;
				if (bt == PC_RTCP_XR_STATS)
					get_xr_stats(&it->u.stats, r + off + 4, tsf);
				else
					get_xr_voip(&it->u.voip, r + off + 4);
			}
			break;
		default:
			p->u.xr.skipped++;
			c->v->xr_skipped++;
			break;
		}
		off += blen;
	}
	return 0;
}

/* One packet at @raw of @plen bytes (framing checked). Returns 1 parsed, 0 skipped, or
 * -EBADMSG. */
static int parse_one(struct parse_ctx *c, struct pc_rtcp_pkt *p, const uint8_t *raw, size_t plen)
{
	memset(p, 0, sizeof(*p));
	p->raw = raw;
	p->len = (uint16_t)plen;
	p->pt = raw[1];
	p->count = raw[0] & 0x1f;
	p->body_len = (uint16_t)plen;
	if (raw[0] & 0x20) {
		/* RFC 3550 6.4.1: the last octet counts the padding, itself included. */
		size_t pad = raw[plen - 1];

		if (pad == 0 || pad > plen - PC_RTCP_HDR_MIN)
			return -EBADMSG;
		p->body_len = (uint16_t)(plen - pad);
	}

	switch (p->pt) {
	case PC_RTCP_SR:
		if (p->body_len < 28u + PC_RTCP_RB_SIZE * p->count)
			return -EBADMSG;
		p->ssrc = be32(raw + 4);
		p->u.sr.ntp = (uint64_t)be32(raw + 8) << 32 | be32(raw + 12);
		p->u.sr.rtp_ts = be32(raw + 16);
		p->u.sr.packets = be32(raw + 20);
		p->u.sr.octets = be32(raw + 24);
		parse_rbs(c, p, raw + 28, p->count);
		return 1;
	case PC_RTCP_RR:
		if (p->body_len < 8u + PC_RTCP_RB_SIZE * p->count)
			return -EBADMSG;
		p->ssrc = be32(raw + 4);
		parse_rbs(c, p, raw + 8, p->count);
		return 1;
	case PC_RTCP_SDES:
		return parse_sdes(c, p) < 0 ? -EBADMSG : 1;
	case PC_RTCP_BYE:
		return parse_bye(c, p) < 0 ? -EBADMSG : 1;
	case PC_RTCP_APP:
		/* RFC 3550 6.7: SSRC, 4-byte name, data. */
		if (p->body_len < 12)
			return -EBADMSG;
		p->ssrc = be32(raw + 4);
		memcpy(p->u.app.name, raw + 8, 4);
		p->u.app.data = raw + 12;
		p->u.app.data_len = (uint16_t)(p->body_len - 12u);
		return 1;
	case PC_RTCP_RTPFB:
	case PC_RTCP_PSFB:
		return parse_fb(c, p);
	case PC_RTCP_XR:
		return parse_xr(c, p) < 0 ? -EBADMSG : 1;
	default:
		return 0;
	}
}

int pc_rtcp_parse(const uint8_t *buf, size_t len, bool reduced_size, struct pc_rtcp_view *v)
{
	int total;
	size_t off = 0;

	/* No UDP datagram is longer; the view's lengths are 16 bits. */
	if (len > UINT16_MAX)
		return -EBADMSG;
	total = pc_rtcp_check(buf, len, reduced_size);
	if (total < 0)
		return total;
	memset(v, 0, offsetof(struct pc_rtcp_view, pkts));
	v->total = (uint16_t)total;
	while (off < len) {
		size_t plen = 4u * ((size_t)pc_rtp__be16(buf + off + 2) + 1);
		struct parse_ctx c = { .v = v, .store = v->n_pkts < PC_RTCP_VIEW_PKTS };
		struct pc_rtcp_pkt scratch;
		struct pc_rtcp_pkt *p = c.store ? &v->pkts[v->n_pkts] : &scratch;
		int rc = parse_one(&c, p, buf + off, plen);

		if (rc < 0)
			return rc;
		p->parsed = (uint8_t)rc;
		if (rc == 0)
			v->unknown++;
		if (c.store)
			v->n_pkts++;
		else
			v->dropped++;
		off += plen;
	}
	return total;
}

const struct pc_rtcp_sdes_item *pc_rtcp_find_sdes(const struct pc_rtcp_view *v, uint32_t ssrc,
						  uint8_t type)
{
	for (unsigned i = 0; i < v->n_sdes; i++)
		if (v->sdes[i].ssrc == ssrc && v->sdes[i].type == type)
			return &v->sdes[i];
	return NULL;
}

unsigned pc_rtcp_nack_expand(const struct pc_rtcp_nack *items, unsigned n, uint16_t *seqs,
			     unsigned cap)
{
	unsigned out = 0;

	for (unsigned i = 0; i < n; i++) {
		/* RFC 4585 6.2.1: PID lost; BLP bit i set: PID + i + 1 lost too. */
		if (out == cap)
			return out;
		seqs[out++] = items[i].pid;
		for (unsigned bit = 0; bit < 16; bit++) {
			if (!(items[i].blp & (1u << bit)))
				continue;
			if (out == cap)
				return out;
			seqs[out++] = (uint16_t)(items[i].pid + bit + 1);
		}
	}
	return out;
}

int pc_rtcp_nack_pack(const uint16_t *seqs, unsigned n, struct pc_rtcp_nack *items, unsigned cap)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++) {
		uint16_t d;

		if (i > 0 && seqs[i] == seqs[i - 1])
			continue;
		if (i > 0 && !pc_rtp_seq_lt(seqs[i - 1], seqs[i]))
			return -EINVAL;
		if (k > 0) {
			d = (uint16_t)(seqs[i] - items[k - 1].pid);
			if (d >= 1 && d <= 16) {
				items[k - 1].blp |= (uint16_t)(1u << (d - 1));
				continue;
			}
		}
		if (k == cap)
			return -ENOSPC;
		items[k].pid = seqs[i];
		items[k].blp = 0;
		k++;
	}
	return (int)k;
}

/* --- building -------------------------------------------------------------------------------- */

void pc_rtcp_writer_init(struct pc_rtcp_writer *w, uint8_t *buf, size_t cap, bool reduced_size)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->pkts = 0;
	w->reduced_size = reduced_size;
	w->bye = 0;
}

/* Room and order for a packet of type @pt with @body bytes after its 4-byte header (a
 * multiple of 4); writes the header. Returns where the body goes, or NULL with *@rc set. */
static uint8_t *w_begin(struct pc_rtcp_writer *w, uint8_t pt, unsigned count, size_t body, int *rc)
{
	uint8_t *h;

	if (w->bye || (!w->reduced_size && w->pkts == 0 && pt != PC_RTCP_SR && pt != PC_RTCP_RR)) {
		*rc = -EPROTO;
		return NULL;
	}
	if (body / 4 > 0xffff) { /* the length field: words minus one */
		*rc = -EINVAL;
		return NULL;
	}
	if (w->cap < w->len || w->cap - w->len < 4 + body) {
		*rc = -ENOSPC;
		return NULL;
	}
	h = w->buf + w->len;
	h[0] = (uint8_t)(2u << 6 | count);
	h[1] = pt;
	put16(h + 2, (uint16_t)(body / 4));
	w->len += 4 + body;
	w->pkts++;
	if (pt == PC_RTCP_BYE)
		w->bye = 1;
	return h + 4;
}

static void put_rb(uint8_t *b, const struct pc_rtcp_rb *rb)
{
	int32_t lost = rb->cum_lost;

	if (lost > PC_RTCP_LOST_MAX)
		lost = PC_RTCP_LOST_MAX;
	else if (lost < PC_RTCP_LOST_MIN)
		lost = PC_RTCP_LOST_MIN;
	put32(b, rb->ssrc);
	/* The fraction, then the 24-bit two's complement of the cumulative lost. */
	put32(b + 4, (uint32_t)rb->fraction_lost << 24 | ((uint32_t)lost & 0xffffffu));
	put32(b + 8, rb->ext_max_seq);
	put32(b + 12, rb->jitter);
	put32(b + 16, rb->lsr);
	put32(b + 20, rb->dlsr);
}

int pc_rtcp_write_sr(struct pc_rtcp_writer *w, uint32_t ssrc, const struct pc_rtcp_sender_info *si,
		     const struct pc_rtcp_rb *rbs, unsigned n)
{
	uint8_t *b;
	int rc;

	if (n > PC_RTCP_RB_MAX)
		return -EINVAL;
	b = w_begin(w, PC_RTCP_SR, n, 24u + PC_RTCP_RB_SIZE * n, &rc);
	if (b == NULL)
		return rc;
	put32(b, ssrc);
	put32(b + 4, (uint32_t)(si->ntp >> 32));
	put32(b + 8, (uint32_t)si->ntp);
	put32(b + 12, si->rtp_ts);
	put32(b + 16, si->packets);
	put32(b + 20, si->octets);
	for (unsigned i = 0; i < n; i++)
		put_rb(b + 24 + PC_RTCP_RB_SIZE * i, &rbs[i]);
	return 0;
}

int pc_rtcp_write_rr(struct pc_rtcp_writer *w, uint32_t ssrc, const struct pc_rtcp_rb *rbs,
		     unsigned n)
{
	uint8_t *b;
	int rc;

	if (n > PC_RTCP_RB_MAX)
		return -EINVAL;
	b = w_begin(w, PC_RTCP_RR, n, 4u + PC_RTCP_RB_SIZE * n, &rc);
	if (b == NULL)
		return rc;
	put32(b, ssrc);
	for (unsigned i = 0; i < n; i++)
		put_rb(b + 4 + PC_RTCP_RB_SIZE * i, &rbs[i]);
	return 0;
}

int pc_rtcp_write_sdes(struct pc_rtcp_writer *w, uint32_t ssrc,
		       const struct pc_rtcp_sdes_item *items, unsigned n)
{
	size_t body = 4, at;
	uint8_t *b;
	int rc;

	for (unsigned i = 0; i < n; i++) {
		if (items[i].type == PC_RTCP_SDES_END || items[i].type > PC_RTCP_SDES_PRIV ||
		    (items[i].len && items[i].text == NULL))
			return -EINVAL;
		body += 2u + items[i].len;
	}
	body = (body + 1 + 3) & ~(size_t)3; /* at least one null octet, to 32 bits */
	b = w_begin(w, PC_RTCP_SDES, 1, body, &rc);
	if (b == NULL)
		return rc;
	put32(b, ssrc);
	at = 4;
	for (unsigned i = 0; i < n; i++) {
		b[at] = items[i].type;
		b[at + 1] = items[i].len;
		if (items[i].len)
			memcpy(b + at + 2, items[i].text, items[i].len);
		at += 2u + items[i].len;
	}
	memset(b + at, 0, body - at);
	return 0;
}

int pc_rtcp_write_cname(struct pc_rtcp_writer *w, uint32_t ssrc, const char *cname, size_t len)
{
	struct pc_rtcp_sdes_item it = { .text = (const uint8_t *)cname,
					.ssrc = ssrc,
					.type = PC_RTCP_SDES_CNAME,
					.len = (uint8_t)len };

	if (cname == NULL || len == 0 || len > 255)
		return -EINVAL;
	return pc_rtcp_write_sdes(w, ssrc, &it, 1);
}

int pc_rtcp_write_bye(struct pc_rtcp_writer *w, const uint32_t *ssrcs, unsigned n,
		      const char *reason, size_t reason_len)
{
	size_t body, rpart = 0;
	uint8_t *b;
	int rc;

	if (n == 0 || n > 31 || (reason && reason_len > 255))
		return -EINVAL;
	if (reason)
		rpart = (1 + reason_len + 3) & ~(size_t)3;
	body = 4u * n + rpart;
	b = w_begin(w, PC_RTCP_BYE, n, body, &rc);
	if (b == NULL)
		return rc;
	for (unsigned i = 0; i < n; i++)
		put32(b + 4 * i, ssrcs[i]);
	if (reason) {
		uint8_t *r = b + 4 * n;

		r[0] = (uint8_t)reason_len;
		memcpy(r + 1, reason, reason_len);
		memset(r + 1 + reason_len, 0, rpart - 1 - reason_len);
	}
	return 0;
}

int pc_rtcp_write_app(struct pc_rtcp_writer *w, uint8_t subtype, uint32_t ssrc, const char name[4],
		      const uint8_t *data, size_t data_len)
{
	uint8_t *b;
	int rc;

	if (subtype > 31 || data_len % 4 || (data_len && data == NULL))
		return -EINVAL;
	b = w_begin(w, PC_RTCP_APP, subtype, 8 + data_len, &rc);
	if (b == NULL)
		return rc;
	put32(b, ssrc);
	memcpy(b + 4, name, 4);
	if (data_len)
		memcpy(b + 8, data, data_len);
	return 0;
}

int pc_rtcp_write_nack(struct pc_rtcp_writer *w, uint32_t sender, uint32_t media,
		       const struct pc_rtcp_nack *items, unsigned n)
{
	uint8_t *b;
	int rc;

	if (n == 0)
		return -EINVAL;
	b = w_begin(w, PC_RTCP_RTPFB, PC_RTCP_FMT_NACK, 8u + 4u * (size_t)n, &rc);
	if (b == NULL)
		return rc;
	put32(b, sender);
	put32(b + 4, media);
	for (unsigned i = 0; i < n; i++) {
		put16(b + 8 + 4 * i, items[i].pid);
		put16(b + 10 + 4 * i, items[i].blp);
	}
	return 0;
}

int pc_rtcp_write_pli(struct pc_rtcp_writer *w, uint32_t sender, uint32_t media)
{
	uint8_t *b;
	int rc;

	b = w_begin(w, PC_RTCP_PSFB, PC_RTCP_FMT_PLI, 8, &rc);
	if (b == NULL)
		return rc;
	put32(b, sender);
	put32(b + 4, media);
	return 0;
}

int pc_rtcp_write_fir(struct pc_rtcp_writer *w, uint32_t sender, const struct pc_rtcp_fir *entries,
		      unsigned n)
{
	uint8_t *b;
	int rc;

	if (n == 0)
		return -EINVAL;
	b = w_begin(w, PC_RTCP_PSFB, PC_RTCP_FMT_FIR, 8u + 8u * (size_t)n, &rc);
	if (b == NULL)
		return rc;
	put32(b, sender);
	put32(b + 4, 0); /* RFC 5104 4.3.1.2: the media source SSRC is unused: 0 */
	for (unsigned i = 0; i < n; i++) {
		put32(b + 8 + 8 * i, entries[i].ssrc);
		put32(b + 12 + 8 * i, (uint32_t)entries[i].seq << 24);
	}
	return 0;
}

/* The bytes of the XR block that starts at @items[i] (DLRR: with the DLRR items after it),
 * and in *@used how many items it takes; 0 for a type not written. */
static size_t xr_block_size(const struct pc_rtcp_xr_item *items, unsigned n, unsigned i,
			    unsigned *used)
{
	unsigned k = i;

	*used = 1;
	switch (items[i].bt) {
	case PC_RTCP_XR_RRTR:
		return 12;
	case PC_RTCP_XR_DLRR:
		while (k < n && items[k].bt == PC_RTCP_XR_DLRR && k - i < 0xffffu / 3)
			k++;
		*used = k - i;
		return 4u + 12u * *used;
	case PC_RTCP_XR_STATS:
		return 40;
	case PC_RTCP_XR_VOIP:
		return 36;
	default:
		return 0;
	}
}

static void put_xr_voip(uint8_t *b, const struct pc_rtcp_xr_voip *vm)
{
	put32(b, vm->ssrc);
	b[4] = vm->loss_rate;
	b[5] = vm->discard_rate;
	b[6] = vm->burst_density;
	b[7] = vm->gap_density;
	put16(b + 8, vm->burst_duration);
	put16(b + 10, vm->gap_duration);
	put16(b + 12, vm->round_trip_delay);
	put16(b + 14, vm->end_system_delay);
	b[16] = (uint8_t)vm->signal_level;
	b[17] = (uint8_t)vm->noise_level;
	b[18] = vm->rerl;
	b[19] = vm->gmin;
	b[20] = vm->r_factor;
	b[21] = vm->ext_r_factor;
	b[22] = vm->mos_lq;
	b[23] = vm->mos_cq;
	b[24] = vm->rx_config;
	b[25] = 0; /* reserved */
	put16(b + 26, vm->jb_nominal);
	put16(b + 28, vm->jb_max);
	put16(b + 30, vm->jb_abs_max);
}

static void put_xr_stats(uint8_t *b, const struct pc_rtcp_xr_stats *st)
{
	put32(b, st->ssrc);
	put16(b + 4, st->begin_seq);
	put16(b + 6, st->end_seq);
	put32(b + 8, st->lost);
	put32(b + 12, st->dup);
	put32(b + 16, st->min_jitter);
	put32(b + 20, st->max_jitter);
	put32(b + 24, st->mean_jitter);
	put32(b + 28, st->dev_jitter);
	b[32] = st->min_ttl;
	b[33] = st->max_ttl;
	b[34] = st->mean_ttl;
	b[35] = st->dev_ttl;
}

int pc_rtcp_write_xr(struct pc_rtcp_writer *w, uint32_t ssrc, const struct pc_rtcp_xr_item *items,
		     unsigned n)
{
	size_t body = 4, at = 4;
	unsigned used;
	uint8_t *b;
	int rc;

	if (n == 0 || items == NULL)
		return -EINVAL;
	for (unsigned i = 0; i < n; i += used) {
		size_t bs = xr_block_size(items, n, i, &used);

		if (bs == 0)
			return -EINVAL;
		body += bs;
		if (body > 4u * 0xffffu)
			return -EINVAL;
	}
	/* RFC 3611 2: the 5-bit field after P is reserved: 0. */
	b = w_begin(w, PC_RTCP_XR, 0, body, &rc);
	if (b == NULL)
		return rc;
	put32(b, ssrc);
	for (unsigned i = 0; i < n; i += used) {
		const struct pc_rtcp_xr_item *it = &items[i];
		size_t bs = xr_block_size(items, n, i, &used);
		uint8_t *h = b + at;

		h[0] = it->bt;
		/* RFC 3611 4.4, 4.5, 4.7: reserved; 4.6: the flags. */
		h[1] = it->bt == PC_RTCP_XR_STATS ? it->u.stats.flags : 0;
		put16(h + 2, (uint16_t)(bs / 4 - 1));
		switch (it->bt) {
		case PC_RTCP_XR_RRTR:
			put32(h + 4, (uint32_t)(it->u.rrtr_ntp >> 32));
			put32(h + 8, (uint32_t)it->u.rrtr_ntp);
			break;
		case PC_RTCP_XR_DLRR:
			for (unsigned k = 0; k < used; k++) {
				put32(h + 4 + 12 * k, it[k].u.dlrr.ssrc);
				put32(h + 8 + 12 * k, it[k].u.dlrr.lrr);
				put32(h + 12 + 12 * k, it[k].u.dlrr.dlrr);
			}
			break;
		case PC_RTCP_XR_STATS:
			put_xr_stats(h + 4, &it->u.stats);
			break;
		default:
			put_xr_voip(h + 4, &it->u.voip);
			break;
		}
		at += bs;
	}
	return 0;
}

int pc_rtcp_build(uint8_t *buf, size_t cap, const struct pc_rtcp_compound *c)
{
	struct pc_rtcp_writer w;
	unsigned done = 0;
	int rc = 0;

	if (!c->reduced_size && c->cname == NULL)
		return -EINVAL; /* RFC 3550 6.1: every compound carries the CNAME */
	pc_rtcp_writer_init(&w, buf, cap, c->reduced_size);

	/* RFC 3550 6.1: SR or RR first; report blocks past 31 in more RRs right after. */
	if (!c->reduced_size || c->sr || c->n_rbs) {
		unsigned n = c->n_rbs < PC_RTCP_RB_MAX ? c->n_rbs : PC_RTCP_RB_MAX;

		rc = c->sr ? pc_rtcp_write_sr(&w, c->ssrc, c->sr, c->rbs, n) :
			     pc_rtcp_write_rr(&w, c->ssrc, c->rbs, n);
		for (done = n; rc == 0 && done < c->n_rbs; done += n) {
			n = c->n_rbs - done < PC_RTCP_RB_MAX ? c->n_rbs - done : PC_RTCP_RB_MAX;
			rc = pc_rtcp_write_rr(&w, c->ssrc, c->rbs + done, n);
		}
	}
	if (rc == 0 && c->cname)
		rc = pc_rtcp_write_cname(&w, c->ssrc, c->cname, c->cname_len);
	if (rc == 0 && c->n_xrs)
		rc = pc_rtcp_write_xr(&w, c->ssrc, c->xrs, c->n_xrs);
	/* RFC 4585 3.1: feedback after the report and the SDES. */
	if (rc == 0 && c->n_nacks)
		rc = pc_rtcp_write_nack(&w, c->ssrc, c->fb_media_ssrc, c->nacks, c->n_nacks);
	if (rc == 0 && c->pli)
		rc = pc_rtcp_write_pli(&w, c->ssrc, c->fb_media_ssrc);
	if (rc == 0 && c->n_firs)
		rc = pc_rtcp_write_fir(&w, c->ssrc, c->firs, c->n_firs);
	/* RFC 3550 6.6: BYE last. */
	if (rc == 0 && c->bye)
		rc = pc_rtcp_write_bye(&w, &c->ssrc, 1, c->bye_reason, c->bye_reason_len);
	if (rc == 0 && w.pkts == 0)
		rc = -EINVAL; /* a reduced-size compound with nothing in it */
	return rc < 0 ? rc : (int)w.len;
}

/* --- statistics, time ------------------------------------------------------------------------ */

uint64_t pc_rtcp_ntp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return pc_rtcp_ntp_from_timespec(&ts);
}

int pc_rtcp_rb_from_source(struct pc_rtcp_rb *rb, struct pc_rtp_source *s, uint32_t now)
{
	struct pc_rtp_source_report r;

	if (pc_rtp_source_report(s, &r) < 0)
		return -EAGAIN;
	rb->ssrc = s->ssrc;
	rb->fraction_lost = r.fraction_lost;
	rb->cum_lost = r.lost;
	rb->ext_max_seq = r.ext_max_seq;
	rb->jitter = r.jitter;
	/* RFC 3550 6.4.1: LSR and DLSR are 0 when no SR has been received. */
	rb->lsr = s->lsr;
	rb->dlsr = s->lsr ? now - s->lsr_arrival : 0;
	memset(rb->pad0, 0, sizeof(rb->pad0));
	return 0;
}

double pc_rtcp_interval(const struct pc_rtcp_interval_params *p, double rand01)
{
	/* RFC 3550 A.7 rtcp_interval(), with its constants. */
	const double sender_bw_fraction = 0.25;
	const double rcvr_bw_fraction = 1 - sender_bw_fraction;
	/* e - 3/2: reconsideration makes the interval come out too short on average. */
	const double compensation = 2.71828 - 1.5;
	double rtcp_min_time, rtcp_bw = p->rtcp_bw, t;
	double n = p->members;

	switch (p->min_mode) {
	case PC_RTCP_MIN_REDUCED:
		rtcp_min_time = p->initial ? p->reduced_min / 2 : p->reduced_min;
		break;
	case PC_RTCP_MIN_AVPF:
		rtcp_min_time = p->initial ? 1.0 : 0.0;
		break;
	default:
		rtcp_min_time = p->initial ? 5.0 / 2 : 5.0;
		break;
	}
	/* Senders get a quarter of the RTCP bandwidth when they are at most a quarter of the
	 * members: their reports then come at the rate the receivers' do. */
	if (p->senders <= p->members * sender_bw_fraction) {
		if (p->we_sent) {
			rtcp_bw *= sender_bw_fraction;
			n = p->senders;
		} else {
			rtcp_bw *= rcvr_bw_fraction;
			n -= p->senders;
		}
	}
	t = rtcp_bw > 0 ? p->avg_rtcp_size * n / rtcp_bw : 0;
	if (t < rtcp_min_time)
		t = rtcp_min_time;
	/* Randomised to [0.5, 1.5] times, so that reports of many members spread out. */
	t = t * (rand01 + 0.5);
	return t / compensation;
}
