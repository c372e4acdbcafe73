/* SPDX-License-Identifier: MIT */
/*
 * pc_relay.h - the RTP relay (the gateway's stream): two legs, each an RTP port and an RTCP
 * port (or one port with rtcp-mux); a packet received on one leg leaves on the other from the
 * same buffer.
 *
 * Per leg: the remote address is configured or learned from the first packet (symmetric RTP,
 * "latching"); unless the leg is locked, a later packet from another address moves it (the
 * peer's NAT rebinding); PC_RELAY_F_LOCK keeps the first one. Optional SSRC rewriting gives the
 * leg's output one SSRC with continuous sequence numbers and timestamps across source changes.
 * A hook lets SRTP re-protect a packet between legs whose keys differ (RTP on one side, SRTP
 * on the other, or other keys). RTCP is relayed alongside (SSRC fields rewritten to match).
 * Bad packets (not RTP/RTCP, runt, truncated, wrong version) are counted and dropped.
 *
 * Thread context: the media loop that owns it. Allocates: never.
 */
#ifndef PC_RELAY_H
#define PC_RELAY_H

#include <stdbool.h>
#include <stdint.h>

#include "pc_pkt.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PC_RELAY_F_LOCK 0x1u	     /* never move the remote address once set or learned */
#define PC_RELAY_F_REWRITE_SSRC 0x2u /* packets leaving on this leg get ssrc_out */
#define PC_RELAY_F_RTCP_MUX 0x4u     /* RTCP shares the RTP port (RFC 5761) */

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
};

struct pc_relay_leg_stats {
	uint64_t rx_pkts; /* received on this leg (RTP + RTCP) */
	uint64_t rx_bytes;
	uint64_t tx_pkts; /* sent out of this leg */
	uint64_t tx_bytes;
	uint64_t bad;	     /* dropped: not valid RTP or RTCP */
	uint64_t no_peer;    /* dropped: the other leg has no remote address yet */
	uint64_t hook_drops; /* dropped by the SRTP hook (authentication, replay) */
	uint64_t foreign;    /* dropped: from an address other than the locked remote */
	uint64_t relearned;  /* times the remote address moved */
	uint64_t last_rx_ns; /* CLOCK_MONOTONIC of the last packet received; 0: none yet */
};

/* Per-leg state; part of struct pc_relay, kept here so that the loop can size its tables. */
struct pc_relay_leg {
	uint16_t port_rtp;  /* I/O port ids */
	uint16_t port_rtcp; /* == port_rtp with rtcp-mux */
	uint32_t flags;
	union pc_pkt_addr remote[2]; /* [PC_RELAY_RTP], [PC_RELAY_RTCP]; family 0: unknown */
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
	struct pc_relay_leg_stats st;
};

/*
 * The SRTP hook: called for every packet between its two legs, before it is sent, with the
 * packet's data at pc_pkt_data(). It may change the packet in place (unprotect with one leg's
 * keys, protect with the other's, using the tailroom for the tag). Returns 0 to send, or a
 * negative errno (-EACCES: authentication or replay failure) to drop and count it.
 */
typedef int (*pc_relay_hook_h)(void *ctx, struct pc_pkt *pkt, unsigned from_leg,
			       enum pc_relay_kind kind);

struct pc_relay {
	struct pc_relay_leg leg[2];
	pc_relay_hook_h hook;
	void *hook_ctx;
};

/* pc_relay_init - set up @r (borrowed) for legs already bound to I/O ports (@ports[leg][kind]).
 * @conf: two leg configurations (borrowed). */
void pc_relay_init(struct pc_relay *r, const struct pc_relay_leg_conf conf[2],
		   const uint16_t ports[2][2]);

/* pc_relay_set_remote - set (or with family 0, forget) a leg's remote address for @kind. */
void pc_relay_set_remote(struct pc_relay *r, unsigned leg, enum pc_relay_kind kind,
			 const union pc_pkt_addr *addr);

/*
 * pc_relay_input - handle one packet received on @leg's @kind port.
 * @pkt: transferred. On success it is rewritten for the other leg (port, peer, SSRC) and
 * returned, to be sent; otherwise it is freed into @cache and NULL is returned (counted).
 * @now_ns: CLOCK_MONOTONIC.
 */
struct pc_pkt *pc_relay_input(struct pc_relay *r, unsigned leg, enum pc_relay_kind kind,
			      struct pc_pkt *pkt, struct pc_pkt_cache *cache, uint64_t now_ns);

#ifdef __cplusplus
}
#endif

#endif /* PC_RELAY_H */
