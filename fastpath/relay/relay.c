/* SPDX-License-Identifier: MIT */
/* relay.c - the RTP relay of pc_relay.h: checks, latching, SSRC rewriting, SRTP per leg. */
#include <string.h>

#include "pc_atomic.h"
#include "pc_relay.h"
#include "pc_rtp.h"

/* What a packet from an address other than the remote does (pc_relay.h, Latching). */
enum latch_verdict {
	LATCH_NONE = 0,	 /* nothing moves (from latch_other(): dropped, counted foreign) */
	LATCH_FIRST = 1, /* the remote was unknown: latch it (rule 1) */
	LATCH_MOVE = 2,	 /* move the remote to it (rule 3a or 3b) */
};

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static bool addr_known(const union pc_pkt_addr *a)
{
	return a->sa.sa_family == AF_INET || a->sa.sa_family == AF_INET6;
}

static uint32_t addr_len(const union pc_pkt_addr *a)
{
	return a->sa.sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
					     sizeof(struct sockaddr_in);
}

void pc_relay_init(struct pc_relay *r, const struct pc_relay_leg_conf conf[2],
		   const uint16_t ports[2][2])
{
	memset(r, 0, sizeof(*r));
	for (unsigned i = 0; i < 2; i++) {
		struct pc_relay_leg *l = &r->leg[i];

		l->flags = conf[i].flags;
		l->port_rtp = ports[i][PC_RELAY_RTP];
		l->port_rtcp = (l->flags & PC_RELAY_F_RTCP_MUX) ? l->port_rtp :
								  ports[i][PC_RELAY_RTCP];
		l->remote[PC_RELAY_RTP] = conf[i].remote_rtp;
		l->remote[PC_RELAY_RTCP] = conf[i].remote_rtcp;
		l->ssrc_out = conf[i].ssrc_out;
		l->srtp = conf[i].srtp;
		l->clock_rate = conf[i].clock_rate ? conf[i].clock_rate : 8000;
		l->learn_pkts = conf[i].learn_pkts ? conf[i].learn_pkts : PC_RELAY_LEARN_PKTS;
		if (l->learn_pkts > UINT16_MAX)
			l->learn_pkts = UINT16_MAX; /* what cand_count reaches */
		l->learn_quiet_ms = conf[i].learn_quiet_ms ? conf[i].learn_quiet_ms :
							     PC_RELAY_LEARN_QUIET_MS;
	}
}

void pc_relay_set_remote(struct pc_relay *r, unsigned leg, enum pc_relay_kind kind,
			 const union pc_pkt_addr *addr)
{
	struct pc_relay_leg *l = &r->leg[leg & 1];

	l->remote[kind & 1] = *addr;
	/* Never heard, no candidate: what was heard was about another address. */
	memset(&l->latch[kind & 1], 0, sizeof(l->latch[kind & 1]));
}

/* Whether @seq is 1..PC_RELAY_SEQ_WINDOW past @last, modulo 2^16 (RFC 3550 A.1): the
 * difference less one, as a uint16_t, is below the window; @seq == @last wraps to 0xffff. */
static bool seq_ahead(uint16_t seq, uint16_t last)
{
	return (uint16_t)(seq - last - 1u) < PC_RELAY_SEQ_WINDOW;
}

/* Make @peer the remote @k of @in, heard now. With rtcp-mux, an RTCP packet (@kind != @k)
 * latches the address but is not heard: it has no RTP SSRC and sequence number to keep. */
static void latch_move(struct pc_relay_leg *in, unsigned k, enum pc_relay_kind kind,
		       const union pc_pkt_addr *peer, const struct pc_rtp_hdr_view *v,
		       uint64_t now_ns, enum latch_verdict verdict)
{
	struct pc_relay_latch *lt = &in->latch[k];

	in->remote[k] = *peer;
	memset(lt, 0, sizeof(*lt));
	if (kind == k) {
		lt->heard_ns = now_ns | 1;
		lt->ssrc_be = htonl(v->ssrc);
		lt->seq_be = htons(v->seq);
	}
	if (verdict == LATCH_MOVE)
		in->st.relearned++;
}

/*
 * A valid packet of @kind from @pkt->peer, which is not remote @k (@k: RTP with rtcp-mux,
 * else @kind). Applies rules 1 and 3 of pc_relay.h's Latching and says what to do; the caller
 * moves the remote (latch_move) once the packet is accepted. Counts the drops.
 */
static pc_cold enum latch_verdict latch_other(struct pc_relay_leg *in, unsigned k,
					      enum pc_relay_kind kind, const struct pc_pkt *pkt,
					      const uint8_t *d, size_t len,
					      const struct pc_rtp_hdr_view *v, uint64_t now_ns)
{
	struct pc_relay_latch *lt = &in->latch[k];
	uint32_t ssrc;

	/* 1: nothing known yet, the first valid packet latches. */
	if (!addr_known(&in->remote[k]))
		return LATCH_FIRST;
	/* Locked, or RTCP on a muxed port: only the RTP rule moves a muxed remote. */
	if ((in->flags & PC_RELAY_F_LOCK) || kind != k)
		goto foreign;
	if (kind == PC_RELAY_RTP) {
		/* 3a: the remote's own stream, from a new address (a NAT rebinding). */
		if (lt->heard_ns != 0 && v->ssrc == ntohl(lt->ssrc_be) &&
		    seq_ahead(v->seq, ntohs(lt->seq_be)))
			return LATCH_MOVE;
		ssrc = v->ssrc;
	} else {
		/* RTCP: the sender SSRC; without one (a 4-byte packet) nothing counts. */
		if (len < 8) {
			lt->cand_count = 0;
			goto foreign;
		}
		ssrc = pc_rtp__be32(d + 4);
	}

	/* 3b: the candidate's next packet (same address, same SSRC, RTP in sequence), or a new
	 * candidate. cand_count is 0 after any packet from the remote. */
	if (lt->cand_count != 0 && ssrc == lt->cand_ssrc &&
	    (kind == PC_RELAY_RTCP || seq_ahead(v->seq, lt->cand_seq)) &&
	    pc_pkt_addr_equal(&lt->cand, &pkt->peer)) {
		if (lt->cand_count < UINT16_MAX)
			lt->cand_count++;
	} else {
		lt->cand = pkt->peer;
		lt->cand_ssrc = ssrc;
		lt->cand_count = 1;
	}
	lt->cand_seq = v->seq;
	/* Silent since heard_ns: both sides | 1, so that a packet in the same burst (the same
	 * now_ns) as the remote's last one counts 0, not -1; signed, so that a clock read
	 * earlier than heard_ns is not silence either. */
	if (lt->cand_count >= in->learn_pkts &&
	    (lt->heard_ns == 0 ||
	     (int64_t)((now_ns | 1) - lt->heard_ns) >= (int64_t)in->learn_quiet_ms * 1000000))
		return LATCH_MOVE;
foreign:
	in->st.foreign++;
	return LATCH_NONE;
}

/* Where packets of @kind leave @out for: its known remote; for RTCP without one, the RTP
 * remote's port + 1 (RFC 3550 11, the convention when SDP gives no a=rtcp). NULL: unknown. */
static const union pc_pkt_addr *out_dest(struct pc_relay_leg *out, enum pc_relay_kind kind,
					 union pc_pkt_addr *scratch)
{
	const union pc_pkt_addr *rtp = &out->remote[PC_RELAY_RTP];

	if (out->flags & PC_RELAY_F_RTCP_MUX)
		return addr_known(rtp) ? rtp : NULL;
	if (addr_known(&out->remote[kind]))
		return &out->remote[kind];
	if (kind == PC_RELAY_RTCP && addr_known(rtp)) {
		*scratch = *rtp;
		if (rtp->sa.sa_family == AF_INET)
			scratch->in4.sin_port = htons((uint16_t)(ntohs(rtp->in4.sin_port) + 1));
		else
			scratch->in6.sin6_port = htons((uint16_t)(ntohs(rtp->in6.sin6_port) + 1));
		return scratch;
	}
	return NULL;
}

/* RTP leaving on @out with SSRC rewriting: one SSRC, and sequence numbers and timestamps that
 * continue across a change of source (RFC 3550 8.2: a receiver would otherwise see a new
 * source; RFC 7667 3.2.1.2 "media-switching mixer" behaviour). */
static void rewrite_rtp(struct pc_relay_leg *out, uint8_t *d, const struct pc_rtp_hdr_view *v,
			uint64_t now_ns)
{
	uint16_t seq_out;
	uint32_t ts_out;

	if (!out->have_src || v->ssrc != out->src_ssrc) {
		uint16_t next_seq = v->seq;
		uint32_t next_ts = v->ts;

		if (out->have_src) {
			/* Continue one after the last sequence number sent, and the timestamp by
			 * the time elapsed since the last packet (at least one tick). */
			uint64_t dt = now_ns - out->last_tx_ns;
			/* In two parts: dt * rate alone overflows after some 57 hours at 90 kHz. */
			uint64_t ticks = dt / 1000000u * out->clock_rate / 1000u +
					 dt % 1000000u * out->clock_rate / 1000000000u;

			next_seq = (uint16_t)(out->last_seq_out + 1);
			next_ts = out->last_ts_out + (uint32_t)(ticks ? ticks : 1);
		}
		out->seq_delta = (uint16_t)(next_seq - v->seq);
		out->ts_delta = next_ts - v->ts;
		out->src_ssrc = v->ssrc;
		out->have_src = 1;
		out->last_seq_out = (uint16_t)(next_seq - 1);
	}
	seq_out = (uint16_t)(v->seq + out->seq_delta);
	ts_out = v->ts + out->ts_delta;
	put_be16(d + 2, seq_out);
	put_be32(d + 4, ts_out);
	put_be32(d + 8, out->ssrc_out);
	/* Keep the newest packet sent (serial arithmetic): reordered packets do not pull the
	 * sequence number or the timestamp a source switch continues from back. */
	if ((int16_t)(seq_out - out->last_seq_out) > 0) {
		out->last_seq_out = seq_out;
		out->last_ts_out = ts_out;
		out->last_tx_ns = now_ns;
	}
}

/* RTCP across a leg with SSRC rewriting. Leaving on @out: the sender SSRC (and an SR's RTP
 * timestamp) of the mapped source becomes ssrc_out. Arriving on @in: report blocks about
 * ssrc_out are about the source behind it, so they get its SSRC back. */
static void rewrite_rtcp(struct pc_relay_leg *in, struct pc_relay_leg *out, uint8_t *d, size_t len)
{
	for (size_t off = 0; off + 8 <= len;) {
		uint8_t pt = d[off + 1];
		size_t plen = 4u * ((size_t)pc_rtp__be16(d + off + 2) + 1);
		unsigned rc = d[off] & 0x1f;
		size_t blocks = off + (pt == 200 ? 28 : 8); /* SR: sender info, 20 bytes more */

		if (plen > len - off)
			break; /* checked before; stay safe */
		/* An SDES or BYE with no items is a legal 4-byte packet: offset 4 is then the
		 * next packet's header. */
		if (plen >= 8 && (out->flags & PC_RELAY_F_REWRITE_SSRC) && out->have_src &&
		    pc_rtp__be32(d + off + 4) == out->src_ssrc) {
			put_be32(d + off + 4, out->ssrc_out);
			if (pt == 200 && plen >= 20)
				put_be32(d + off + 16, pc_rtp__be32(d + off + 16) + out->ts_delta);
		}
		if ((pt == 200 || pt == 201) && (in->flags & PC_RELAY_F_REWRITE_SSRC) &&
		    in->have_src) {
			for (unsigned b = 0; b < rc && blocks + 24 <= off + plen;
			     b++, blocks += 24) {
				uint32_t ext;

				if (pc_rtp__be32(d + blocks) != in->ssrc_out)
					continue;
				/* RFC 3550 6.4.1: the block's extended highest sequence number
				 * (offset 8) is in the rewritten space too: map it back. */
				ext = pc_rtp__be32(d + blocks + 8);
				put_be32(d + blocks, in->src_ssrc);
				put_be32(d + blocks + 8,
					 (ext & 0xffff0000u) | (uint16_t)(ext - in->seq_delta));
			}
		}
		off += plen;
	}
}

/* The rest of pc_relay_input() for a packet accepted on @leg: on to the other leg's remote,
 * through the rewriting and the out leg's SRTP. Returns @pkt to send, or NULL (freed, counted).
 * Forced inline: called out of line, it costs the common case some 3 ns a packet (18 -> 21
 * ns for alloc, fill, relay and free of one packet, gcc 12 -O2). */
static pc_always_inline struct pc_pkt *relay_forward(struct pc_relay *r, unsigned leg,
						     enum pc_relay_kind kind, struct pc_pkt *pkt,
						     struct pc_pkt_cache *cache,
						     const struct pc_rtp_hdr_view *v, bool opaque,
						     uint64_t now_ns)
{
	struct pc_relay_leg *in = &r->leg[leg & 1], *out = &r->leg[(leg & 1) ^ 1];
	uint8_t *d = pc_pkt_data(pkt);
	size_t len = pc_pkt_len(pkt);
	union pc_pkt_addr scratch;
	const union pc_pkt_addr *dst;

	in->st.last_rx_ns = now_ns;
	dst = out_dest(out, kind, &scratch);
	if (dst == NULL) {
		in->st.no_peer++;
		goto drop;
	}
	/* Passed-through SRTP is never rewritten: it would fail authentication. */
	if (!opaque && kind == PC_RELAY_RTP && (out->flags & PC_RELAY_F_REWRITE_SSRC))
		rewrite_rtp(out, d, v, now_ns);
	else if (!opaque && kind == PC_RELAY_RTCP)
		rewrite_rtcp(in, out, d, len);
	/* Passed-through SRTP is protected already: it leaves as it came. */
	if (out->srtp != NULL && !opaque &&
	    (kind == PC_RELAY_RTP ? pc_srtp_protect(out->srtp, pkt) :
				    pc_srtp_protect_rtcp(out->srtp, pkt)) < 0) {
		in->st.srtp_drops++;
		goto drop;
	}
	pkt->port = kind == PC_RELAY_RTP ? out->port_rtp : out->port_rtcp;
	pkt->peer = *dst;
	pkt->peer_len = addr_len(dst);
	out->st.tx_pkts++;
	out->st.tx_bytes += pc_pkt_len(pkt);
	return pkt;

drop:
	pc_pkt_free(cache, pkt);
	return NULL;
}

/* pc_relay_input() for a valid packet from an address other than remote @k: dropped, or
 * forwarded with the remote moved to its source (pc_relay.h, Latching). */
static pc_cold struct pc_pkt *relay_input_other(struct pc_relay *r, unsigned leg, unsigned k,
						enum pc_relay_kind kind, struct pc_pkt *pkt,
						struct pc_pkt_cache *cache,
						const struct pc_rtp_hdr_view *v, bool opaque,
						uint64_t now_ns)
{
	struct pc_relay_leg *in = &r->leg[leg & 1];
	union pc_pkt_addr src = pkt->peer;
	enum latch_verdict move;

	move = latch_other(in, k, kind, pkt, pc_pkt_data(pkt), pc_pkt_len(pkt), v, now_ns);
	if (move == LATCH_NONE) {
		pc_pkt_free(cache, pkt);
		return NULL;
	}
	/* On a leg with SRTP the packet was authenticated already: the move is safe. */
	latch_move(in, k, kind, &src, v, now_ns, move);
	return relay_forward(r, leg, kind, pkt, cache, v, opaque, now_ns);
}

struct pc_pkt *pc_relay_input(struct pc_relay *r, unsigned leg, enum pc_relay_kind kind,
			      struct pc_pkt *pkt, struct pc_pkt_cache *cache, uint64_t now_ns)
{
	struct pc_relay_leg *in = &r->leg[leg & 1];
	uint8_t *d = pc_pkt_data(pkt);
	size_t len = pc_pkt_len(pkt);
	struct pc_rtp_hdr_view v = { 0 };
	static const uint8_t no_hdr[PC_RTP_HDR_MIN]; /* RTCP's stand-in for an RTP header */
	const uint8_t *hdr = no_hdr;
	struct pc_relay_latch *lt;
	bool opaque;
	unsigned k;

	in->st.rx_pkts++;
	in->st.rx_bytes += len;
	if (in->flags & PC_RELAY_F_RTCP_MUX)
		kind = pc_rtp_is_rtcp(d, len) ? PC_RELAY_RTCP : PC_RELAY_RTP;
	opaque = in->srtp == NULL && (in->flags & PC_RELAY_F_SRTP_PASS);
	if (in->srtp != NULL || opaque) {
		/* SRTP/SRTCP: only the first header is in clear. With keys, authenticate and
		 * decrypt in place before anything reads further (RTP's padding length is the
		 * last byte: under SRTP, part of the tag); without, that header is all there is
		 * to check. */
		if (len < (kind == PC_RELAY_RTP ? PC_RTP_HDR_MIN : 8u) || (d[0] >> 6) != 2 ||
		    (kind == PC_RELAY_RTP) == pc_rtp_is_rtcp(d, len))
			goto drop_bad;
		if (!opaque) {
			int rc = kind == PC_RELAY_RTP ? pc_srtp_unprotect(in->srtp, pkt) :
							pc_srtp_unprotect_rtcp(in->srtp, pkt);

			if (rc == -EBADMSG)
				goto drop_bad;
			if (rc < 0) {
				in->st.srtp_drops++;
				pc_pkt_free(cache, pkt);
				return NULL;
			}
			d = pc_pkt_data(pkt);
			len = pc_pkt_len(pkt);
		}
	}
	if (pc_unlikely(opaque)) {
		v.version = 2;
		if (kind == PC_RELAY_RTP) { /* RTCP's 8 clear bytes hold no sequence number */
			v.seq = pc_rtp__be16(d + 2);
			v.ssrc = pc_rtp__be32(d + 8);
			hdr = d;
		}
	} else if (kind == PC_RELAY_RTP) {
		/* RFC 5761 4: payload types 64-95 (second byte 192-223) are RTCP's, never RTP. */
		if (pc_rtp_is_rtcp(d, len) || pc_rtp_parse(d, len, &v) < 0)
			goto drop_bad;
		hdr = d;
	} else if (pc_rtcp_check(d, len, true) < 0) {
		goto drop_bad;
	}

	/* Symmetric RTP (pc_relay.h, Latching): the remote is RTP's with rtcp-mux. */
	k = (in->flags & PC_RELAY_F_RTCP_MUX) ? PC_RELAY_RTP : kind;
	if (!pc_pkt_addr_equal(&in->remote[k], &pkt->peer))
		return relay_input_other(r, leg, k, kind, pkt, cache, &v, opaque, now_ns);
	/* The common case: from the remote, heard (| 1: 0 means never). Without a branch, and
	 * with the SSRC and sequence number copied as they are on the wire: storing v's costs
	 * their decoding, which the compiler otherwise leaves to the rare rewrite_rtp(). RTCP
	 * copies zeros (no_hdr); with rtcp-mux (kind != k) it lands in latch[PC_RELAY_RTCP],
	 * which nothing reads on such a leg, so the RTP stream's numbers stay. */
	lt = &in->latch[kind];
	lt->heard_ns = now_ns | 1;
	lt->cand_count = 0;
	memcpy(&lt->ssrc_be, hdr + 8, sizeof(lt->ssrc_be));
	memcpy(&lt->seq_be, hdr + 2, sizeof(lt->seq_be));
	return relay_forward(r, leg, kind, pkt, cache, &v, opaque, now_ns);

drop_bad:
	in->st.bad++;
	pc_pkt_free(cache, pkt);
	return NULL;
}
