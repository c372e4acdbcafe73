/* SPDX-License-Identifier: MIT */
/*
 * pc_relay.h - the RTP relay (the gateway's stream): two legs, each an RTP port and an RTCP
 * port (or one port with rtcp-mux); a packet received on one leg leaves on the other from the
 * same buffer.
 *
 * Per leg: the remote address is configured or learned from the first packet (symmetric RTP,
 * "latching"); unless the leg is locked, the peer is followed when it moves, by the rule below,
 * not to whoever sends; PC_RELAY_F_LOCK keeps the first one. Optional SSRC rewriting gives the
 * leg's output one SSRC with continuous sequence numbers and timestamps across source changes.
 * SRTP per leg: a leg given an SRTP session (pc_srtp.h) authenticates and decrypts what
 * arrives on it before anything reads past the first header, and protects what leaves on it
 * after the rewriting: SRTP on one side and RTP on the other, or other keys or suites on each
 * (a leg without a session relays its packets as they are: plain RTP, or SRTP passed through
 * with keys the relay does not know, where SSRC rewriting would break authentication). RTCP
 * is relayed alongside (SSRC fields rewritten to match).
 * Bad packets (not RTP/RTCP, runt, truncated, wrong version) are counted and dropped.
 *
 * Latching and "RTP bleed". A relay that moves its remote to the source of any valid-looking
 * packet hands the call's media to whoever sprays RTP at its ports (CVE-2017-12857 and kin in
 * rtpengine and Asterisk). So, per remote (RTP's; RTCP's without rtcp-mux), a valid packet:
 *  1. when the remote is unknown (family 0): is accepted, and latched at once;
 *  2. from the remote: is accepted and "heard" (the time, and RTP's SSRC and sequence number,
 *     are kept), which also ends any candidate (3b). The common case: one address compare, as
 *     before, then four stores and no branch;
 *  3. from another address: is dropped and counted (foreign), unless the leg is not locked
 *     and it moves the remote (counted: relearned), which takes either
 *     a. the remote's own RTP stream: the SSRC of the last RTP packet heard from the remote,
 *        and a sequence number 1..PC_RELAY_SEQ_WINDOW past that packet's (RFC 3550 A.1 serial
 *        arithmetic). It moves at once: this is the sender behind a NAT that rebound. A
 *        sprayer off the path knows neither number: each packet has 100 chances in 2^48;
 *     b. or learn_pkts valid packets in a row from one candidate: one new address, one SSRC,
 *        each RTP sequence number 1..PC_RELAY_SEQ_WINDOW past the one before; and the remote
 *        silent for learn_quiet_ms (or never heard since it was set). The last of them moves
 *        it: this is a peer that moved with a new SSRC (a restarted stream, another device),
 *        so it no longer sends from the old place. A packet from a third address, with
 *        another SSRC or out of sequence starts the count again, and so does any packet
 *        from the remote. A spray with random SSRCs never counts past one. A forged
 *        consistent stream needs the real sender silent for learn_quiet_ms: a burst between
 *        two of its packets (20-60 ms apart) does not do, however long. What is left, a
 *        sender silent for longer (on hold, DTX) and an attacker who forges a well-formed
 *        stream, is for PC_RELAY_F_LOCK, remotes set from SDP, and SRTP: on a leg with an
 *        SRTP session a packet is authenticated before latching looks at it, so one that
 *        fails moves nothing and counts as an SRTP drop, not as foreign.
 * RTCP without rtcp-mux follows its own remote by the same rule on the sender SSRC (offset 4),
 * by count only (3b; RTCP has no sequence number; a 4-byte packet, without a sender SSRC,
 * starts the count again): RTCP comes every few seconds, so it moves learn_pkts reports after
 * the peer did. With rtcp-mux the RTP rule governs: RTCP is accepted from the RTP remote
 * (neither heard nor ending a candidate: it carries no sequence number) and dropped from
 * anywhere else, and it never moves the remote but when none is known (1).
 * A remote set by configuration or pc_relay_set_remote() counts as never heard: packets from
 * it are accepted, and a peer behind a NAT that announced another address is followed after
 * learn_pkts packets (the first learn_pkts - 1 are dropped; leave the remote unknown to latch
 * the first). The state per remote is small: one candidate (address, SSRC, last sequence
 * number, count) and what was heard last; nothing here allocates.
 *
 * Thread context: the media loop that owns it. Allocates: never.
 */
#ifndef PC_RELAY_H
#define PC_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pc_pkt.h"
#include "pc_srtp.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PC_RELAY_F_LOCK 0x1u	     /* never move the remote address once set or learned */
#define PC_RELAY_F_REWRITE_SSRC 0x2u /* packets leaving on this leg get ssrc_out */
#define PC_RELAY_F_RTCP_MUX 0x4u     /* RTCP shares the RTP port (RFC 5761) */
#define PC_RELAY_F_SRTP_PASS \
	0x8u /* what arrives on this leg is SRTP with keys the relay
				      * does not have (no srtp session): checked by its clear
				      * first header only, relayed unchanged (no rewriting) */

#define PC_RELAY_LEARN_PKTS 5u	     /* default learn_pkts: 100 ms of 20 ms audio */
#define PC_RELAY_LEARN_QUIET_MS 200u /* default learn_quiet_ms: > a talker's gaps (ptime 60) */
#define PC_RELAY_SEQ_WINDOW 100u     /* how far ahead a sequence number continues a stream */

enum pc_relay_kind {
	PC_RELAY_RTP = 0,
	PC_RELAY_RTCP = 1,
};

struct pc_relay_leg_conf {
	union pc_pkt_addr remote_rtp;  /* family 0: learn from the first packet */
	union pc_pkt_addr remote_rtcp; /* family 0: learn (or RTP port + 1 once RTP is known) */
	uint32_t flags;		       /* PC_RELAY_F_* */
	uint32_t ssrc_out;	       /* with PC_RELAY_F_REWRITE_SSRC */
	uint32_t clock_rate;	       /* RTP clock of the payload, for timestamp continuity;
					* 0: 8000 */
	uint32_t learn_pkts;	       /* a new source moves the remote after this many valid
					* packets in a row (3b above); 0: PC_RELAY_LEARN_PKTS;
					* at most 65535 */
	uint32_t learn_quiet_ms;       /* ... and after the remote was silent this long;
					* 0: PC_RELAY_LEARN_QUIET_MS */
	struct pc_srtp *srtp;	       /* borrowed, may be NULL (plain or passed through): its
					* in direction unprotects what arrives on this leg, its
					* out direction protects what leaves on it. Must outlive
					* the relay; used by the media thread only meanwhile */
};

struct pc_relay_leg_stats {
	uint64_t rx_pkts; /* received on this leg (RTP + RTCP) */
	uint64_t rx_bytes;
	uint64_t tx_pkts; /* sent out of this leg */
	uint64_t tx_bytes;
	uint64_t bad;	     /* dropped: not valid RTP or RTCP */
	uint64_t no_peer;    /* dropped: the other leg has no remote address yet */
	uint64_t srtp_drops; /* dropped by SRTP: authentication or replay failure on the way
			      * in, no room for the trailer or a key used up on the way out */
	uint64_t foreign;    /* dropped: from an address other than the remote (locked, or
			      * not, or not yet, a source to follow: see Latching above) */
	uint64_t relearned;  /* times the remote address moved (not the first latch) */
	uint64_t last_rx_ns; /* CLOCK_MONOTONIC of the last packet received; 0: none yet */
};

/* Latching state of one remote (see Latching above). The first 16 bytes are what every packet
 * from the remote writes; the candidate is touched only by packets from elsewhere. */
struct pc_relay_latch {
	uint64_t heard_ns;   /* the last packet from the remote (| 1); 0: none since it was set */
	uint32_t ssrc_be;    /* RTP: SSRC and sequence number of that packet, in network byte */
	uint16_t seq_be;     /* order (copied as they are on the wire: cheaper) */
	uint16_t cand_count; /* the candidate's valid packets in a row; 0: no candidate */
	uint32_t cand_ssrc;  /* its SSRC (RTCP: sender SSRC) */
	uint16_t cand_seq;   /* RTP: its last sequence number */
	uint16_t pad;
	union pc_pkt_addr cand; /* its address */
};
_Static_assert(offsetof(struct pc_relay_latch, cand_ssrc) == 16,
	       "what every packet from the remote writes is one 16-byte block");

/* Per-leg state; part of struct pc_relay, kept here so that the loop can size its tables. */
struct pc_relay_leg {
	uint16_t port_rtp;  /* I/O port ids */
	uint16_t port_rtcp; /* == port_rtp with rtcp-mux */
	uint32_t flags;
	union pc_pkt_addr remote[2];	/* [PC_RELAY_RTP], [PC_RELAY_RTCP]; family 0: unknown */
	struct pc_relay_latch latch[2]; /* same index; with rtcp-mux, [PC_RELAY_RTCP] only takes
					 * the writes of RTCP from the remote, unread */
	uint32_t learn_pkts;		/* 1..65535 */
	uint32_t learn_quiet_ms;
	/* SSRC rewriting of the output (this leg's side). */
	uint32_t ssrc_out;
	uint32_t clock_rate;
	uint32_t src_ssrc; /* the input SSRC the deltas are for */
	uint16_t seq_delta;
	uint16_t last_seq_out;
	uint32_t ts_delta;
	uint32_t last_ts_out;
	uint64_t last_tx_ns;
	uint32_t have_src; /* 1 once a source is mapped */
	uint32_t pad;
	struct pc_srtp *srtp; /* borrowed (pc_relay_leg_conf.srtp); NULL: none */
	struct pc_relay_leg_stats st;
};

struct pc_relay {
	struct pc_relay_leg leg[2];
};

/* pc_relay_init - set up @r (borrowed) for legs already bound to I/O ports (@ports[leg][kind]).
 * @conf: two leg configurations (borrowed). */
void pc_relay_init(struct pc_relay *r, const struct pc_relay_leg_conf conf[2],
		   const uint16_t ports[2][2]);

/* pc_relay_set_remote - set (or with family 0, forget) a leg's remote address for @kind
 * (@addr: borrowed). The remote counts as never heard, and any candidate is forgotten. */
void pc_relay_set_remote(struct pc_relay *r, unsigned leg, enum pc_relay_kind kind,
			 const union pc_pkt_addr *addr);

/*
 * pc_relay_input - handle one packet received on @leg's @kind port.
 * @pkt: transferred. On success it is rewritten for the other leg (port, peer, SSRC) and
 * returned, to be sent; otherwise it is freed into @cache and NULL is returned (counted).
 * A packet from an address other than the remote is dropped unless it moves the remote
 * (Latching above). @now_ns: CLOCK_MONOTONIC.
 */
struct pc_pkt *pc_relay_input(struct pc_relay *r, unsigned leg, enum pc_relay_kind kind,
			      struct pc_pkt *pkt, struct pc_pkt_cache *cache, uint64_t now_ns);

#ifdef __cplusplus
}
#endif

#endif /* PC_RELAY_H */
