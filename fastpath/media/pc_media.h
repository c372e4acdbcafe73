/* SPDX-License-Identifier: MIT */
/*
 * pc_media.h - an RTP endpoint: the phone's side of one media stream (one SSRC each way),
 * run by the media loop. It joins the parts of the media transport:
 *
 *   receive:  SRTP unprotect (pc_srtp) -> RTP checks -> per-source statistics (pc_rtp_source,
 *             RFC 3550 A.1/A.3/A.8) -> telephone-event to the DTMF receiver (RFC 4733), the
 *             rest into the jitter buffer (pc_jb); RTCP: unprotect, parse (pc_rtcp), RTT from
 *             our SRs (LSR/DLSR), PLI/FIR as key-frame requests.
 *   playout:  every ptime, the jitter buffer's frame (a packet trimmed to its payload, or a
 *             loss/silence marker) goes to the consumer (the decoder) on a ring.
 *   send:     payload frames from the producer (the encoder) on a ring get an RTP header in
 *             their headroom (our SSRC, sequence number, timestamp advancing by ptime), are
 *             protected, and leave; DTMF replaces audio while an event is sent (RFC 4733 2.5:
 *             marker on the first packet, end packet three times); nothing is sent on hold
 *             (direction recvonly or inactive).
 *   RTCP:     SR (when we sent since the last report) or RR with a report block on the remote
 *             source, SDES CNAME, at the RFC 3550 A.7 interval (randomised); BYE at the end.
 *   XR:       (PC_MEDIA_F_XR, RFC 3611) a report without SR carries a Receiver Reference Time
 *             block, and an endpoint that got one answers with a DLRR sub-block, so that a
 *             receive-only party learns the round trip too (4.4, 4.5); VoIP Metrics (4.7) on
 *             the remote source ride along: loss and discard rates, the burst/gap figures of
 *             the Gmin (16) model over network losses, round trip, end-system delay (jitter
 *             buffer nominal + ptime), jitter buffer nominal/max/abs max; signal, noise, RERL,
 *             R factor and MOS are sent as 127 (unavailable). The peer's blocks on our stream
 *             come up as PC_MEDIA_EVT_XR_RTT and PC_MEDIA_EVT_XR_VOIP.
 *   NACK:     (PC_MEDIA_F_VIDEO, RFC 4585) the receiver follows sequence gaps of the remote
 *             source (at most PC_MEDIA_NACK_MAX packets), asks for each missing packet with a
 *             generic NACK at once (an early compound: RR, SDES, NACK), again after a round
 *             trip (PC_MEDIA_NACK_RTT_DEFAULT_MS while none is known) up to PC_MEDIA_NACK_TRIES
 *             times, and gives it up (too many tries, older than PC_MEDIA_NACK_AGE_MAX_MS, or
 *             a gap too wide to follow) with a PLI, at most one per PC_MEDIA_PLI_INTERVAL_MS.
 *             The sender copies every RTP packet it sends, before SRTP, into the history lent
 *             in conf.rtx, and answers a NACK on its SSRC by sending the packet again as it
 *             was (same SSRC and sequence number, RFC 4585 plain retransmission), protected
 *             again: with SRTP, its out direction needs PC_SRTP_F_REPEAT_TX, or libsrtp
 *             refuses the index already sent (counted in srtp_drops).
 *
 * The loop gives each endpoint its I/O ports and calls these functions; packets to send and
 * events for the control thread go through the callbacks in struct pc_media_env.
 *
 * Frames on the rings are struct pc_pkt (pc_pkt.h): data = payload; flags = PC_MEDIA_FRAME_*;
 * udata32 = RTP timestamp (playout side). A ring is SPSC, lent by the control thread for the
 * endpoint's life; the consumer frees what it takes (pc_pkt_free). The loop takes producer
 * frames every iteration (within a 1 ms tick when it sleeps idle) and frees what is left on
 * tx_frames when the stream is destroyed; the consumer of rx_frames drains it before
 * destroying the ring.
 *
 * Thread context: the media loop that owns the endpoint. Allocates: never (frames for loss and
 * silence markers come from the packet pool).
 */
#ifndef PC_MEDIA_H
#define PC_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pc_dtmf.h"
#include "pc_jb.h"
#include "pc_pkt.h"
#include "pc_ring.h"
#include "pc_rtcp.h"
#include "pc_rtp.h"
#include "pc_srtp.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Frame flags (pc_pkt.flags) on the rings. */
#define PC_MEDIA_FRAME_AUDIO 0x1u   /* playout: a payload to decode */
#define PC_MEDIA_FRAME_LOSS 0x2u    /* playout: conceal one frame (data_len 0) */
#define PC_MEDIA_FRAME_SILENCE 0x4u /* playout: comfort noise / nothing (data_len 0) */
#define PC_MEDIA_FRAME_MARKER 0x8u  /* send: first frame of a talkspurt (RTP marker bit) */

#define PC_MEDIA_CNAME_MAX 64u

/* Stream flags (pc_media_conf.flags). */
#define PC_MEDIA_F_VIDEO 0x1u /* video: NACK and retransmission, PLI when a packet is given up */
#define PC_MEDIA_F_XR 0x2u    /* RTCP XR (RFC 3611): RRTR/DLRR, VoIP Metrics */

/* NACK (PC_MEDIA_F_VIDEO). */
#define PC_MEDIA_NACK_MAX 64u		  /* missing packets followed at a time */
#define PC_MEDIA_NACK_TRIES 3u		  /* NACKs sent for one missing packet */
#define PC_MEDIA_NACK_RTT_DEFAULT_MS 100u /* retry spacing while no round trip is known */
#define PC_MEDIA_NACK_RTT_MIN_MS 5u	  /* shortest retry spacing */
#define PC_MEDIA_NACK_AGE_MAX_MS 1000u	  /* a packet missing longer is given up */
#define PC_MEDIA_PLI_INTERVAL_MS 500u	  /* at most one PLI per */
#define PC_MEDIA_RTX_SLOT_BYTES 1500u	  /* largest RTP packet kept for retransmission */
#define PC_MEDIA_RTX_SLOTS_MAX 32768u

/* One packet of the send history: the RTP packet as sent, before SRTP. */
struct pc_media_rtx_slot {
	uint64_t sent_ns;
	uint16_t seq;
	uint16_t len; /* 0: empty */
	uint32_t pad0;
	uint8_t data[PC_MEDIA_RTX_SLOT_BYTES];
};

/* The send history of a video stream: the last @slots packets, indexed by sequence number.
 * Caller's memory, pc_media_rtx_memsize() bytes, set up by pc_media_rtx_init(). */
struct pc_media_rtx {
	uint32_t slots; /* a power of two */
	uint32_t pad0;
	struct pc_media_rtx_slot slot[];
};

/* pc_media_rtx_memsize - bytes for a history of @slots packets (a power of two, 1 to
 * PC_MEDIA_RTX_SLOTS_MAX), or 0 for another @slots. */
size_t pc_media_rtx_memsize(unsigned slots);

/* pc_media_rtx_init - an empty history of @slots packets in @mem (pc_media_rtx_memsize()
 * bytes, borrowed for the history's life); writes *@out. Returns 0 or -EINVAL. Control thread;
 * no allocation. */
int pc_media_rtx_init(void *mem, unsigned slots, struct pc_media_rtx **out);

/* RFC 3264 directions, from our side. */
enum pc_media_dir {
	PC_MEDIA_SENDRECV = 0,
	PC_MEDIA_SENDONLY, /* we hold the call: we send (music), ignore what comes */
	PC_MEDIA_RECVONLY, /* held by the peer: we send nothing */
	PC_MEDIA_INACTIVE,
};

struct pc_media_conf {
	uint32_t ssrc;	     /* ours (random, from the control thread) */
	uint32_t clock_rate; /* RTP clock; 0: 8000 */
	uint32_t ptime_ms;   /* frame duration; 0: 20 */
	uint8_t pt;	     /* payload type we send */
	uint8_t dtmf_pt;     /* telephone-event payload type we send and take; 0: none */
	uint8_t direction;   /* enum pc_media_dir */
	uint8_t rtcp_min;    /* enum pc_rtcp_min_mode: PC_RTCP_MIN_AVPF for RTP/AVPF */
	uint32_t session_bw; /* session bandwidth, octets/s, for the RTCP share (5%); 0: 8000 */
	uint32_t flags;	     /* PC_MEDIA_F_* */
	uint32_t jb_max_ms;  /* the jitter buffer's max delay, for XR JB abs max; 0: 300 */
	char cname[PC_MEDIA_CNAME_MAX]; /* SDES CNAME, NUL-terminated; "" : "phonecore" */
	struct pc_srtp *srtp;		/* lent, may be NULL: plain RTP */
	struct pc_jb *jb;		/* lent, may be NULL: frames played as they come */
	struct pc_ring *tx_frames;	/* lent, may be NULL: frames to send (SPSC, pc_pkt *) */
	struct pc_ring *rx_frames;	/* lent, may be NULL: playout frames (SPSC, pc_pkt *) */
	struct pc_media_rtx *rtx;	/* lent, may be NULL: the send history of a video stream
					 * (PC_MEDIA_F_VIDEO); none: NACKs are not answered */
};

/* What the endpoint tells the control thread. */
enum pc_media_evt_type {
	PC_MEDIA_EVT_DTMF = 1, /* u.dtmf */
	PC_MEDIA_EVT_RTCP,     /* u.rtcp: the peer's report on our stream */
	PC_MEDIA_EVT_KEYFRAME, /* the peer asked for a key frame (PLI or FIR) */
	PC_MEDIA_EVT_BYE,      /* the peer left (RTCP BYE) */
	PC_MEDIA_EVT_XR_RTT,   /* u.rtcp.rtt_us: a round trip from the peer's DLRR (RFC 3611) */
	PC_MEDIA_EVT_XR_VOIP,  /* u.xr_voip: the peer's VoIP Metrics on our stream */
};

struct pc_media_evt {
	uint32_t type; /* enum pc_media_evt_type */
	uint32_t pad;
	union {
		struct {
			char key;	  /* '0'-'9', '*', '#', 'A'-'D', '!' (flash) */
			uint8_t ended;	  /* 0: started, 1: ended */
			uint8_t inferred; /* ended without an end packet */
			uint8_t pad;
			uint32_t duration_ms; /* ended: its length */
		} dtmf;
		struct {
			uint32_t fraction_lost_q8; /* of our packets, last interval, /256 */
			int32_t cum_lost;
			uint32_t jitter_us; /* the peer's interarrival jitter of our stream */
			uint32_t rtt_us;    /* round trip; 0: not known yet */
		} rtcp;
		struct pc_rtcp_xr_voip xr_voip;
	} u;
};

/* The loop's services. */
struct pc_media_env {
	void (*send)(void *ctx, struct pc_pkt *pkt); /* transferred: port and peer set */
	void (*event)(void *ctx, uint32_t stream, const struct pc_media_evt *e);
	void *ctx;
	struct pc_pkt_cache *cache; /* the loop thread's cache */
	struct pc_rtcp_view *view;  /* scratch for RTCP parsing, one per loop */
};

struct pc_media_stats {
	uint64_t rx_pkts, rx_bytes; /* RTP received (after SRTP) */
	uint64_t rx_rtcp;	    /* RTCP received */
	uint64_t rx_bad;	    /* not RTP/RTCP, or a payload type we do not take */
	uint64_t rx_dropped_dir;    /* received while the direction says we do not */
	uint64_t srtp_drops;	    /* authentication or replay failures, both ways */
	uint64_t tx_pkts, tx_bytes; /* RTP sent */
	uint64_t tx_rtcp;	    /* RTCP sent */
	uint64_t tx_dropped_dir; /* frames dropped: on hold, DTMF in progress, or no remote address known yet */
	uint64_t playout_dropped;	   /* playout frames the consumer's ring had no room for */
	uint64_t dtmf_sent, dtmf_received; /* events */
	int32_t cum_lost;		   /* of the remote source (A.3) */
	uint32_t jitter_us;		   /* of the remote source (A.8) */
	uint32_t rtt_us;		   /* last computed; 0: none */
	uint32_t remote_ssrc;		   /* 0: none yet */
	uint64_t last_rx_ns;		   /* the last packet received; 0: none */
	/* Video (PC_MEDIA_F_VIDEO): as receiver, then as sender. */
	uint64_t nack_requests;	  /* sequence numbers asked for in NACKs (retries included) */
	uint64_t nack_retries;	  /* of them, asked again */
	uint64_t nack_recovered;  /* missing packets that came after a NACK */
	uint64_t nack_given_up;	  /* missing packets given up (then a key frame is asked for) */
	uint64_t pli_sent;	  /* PLIs sent */
	uint64_t rtx_requested;	  /* sequence numbers the peer asked us for */
	uint64_t rtx_sent;	  /* packets sent again */
	uint64_t rtx_unavailable; /* asked for but not in the history (too old, never sent) */
	/* XR (PC_MEDIA_F_XR). */
	uint64_t xr_sent, xr_received; /* compounds with an XR */
	uint32_t xr_rtt_us;	       /* last round trip from a DLRR; 0: none */
	uint32_t pad0;
	struct pc_jb_stats jb; /* zero without a jitter buffer */
};

/* A missing packet followed for NACK. */
struct pc_media_nack {
	uint64_t first_ns; /* when its gap was seen */
	uint64_t last_ns;  /* when it was last asked for */
	uint32_t ext_seq;  /* extended sequence number */
	uint32_t tries;	   /* NACKs sent for it */
};

struct pc_media {
	struct pc_media_conf conf;
	uint32_t stream;
	uint16_t port_rtp, port_rtcp;
	union pc_pkt_addr remote_rtp, remote_rtcp; /* family 0: learn from the first packet */
	uint64_t frame_ns;			   /* ptime in ns */
	uint32_t frame_ts;			   /* ptime in timestamp units */
	/* Send side. */
	uint16_t seq;
	uint32_t ts;	   /* RTP timestamp of the next frame */
	uint32_t clock_ts; /* the media clock: one frame per tick; ts catches up after a
			    * producer's pause, so events and talkspurts get new timestamps */
	uint32_t last_ts_sent;
	uint64_t last_tx_ns; /* when the packet with last_ts_sent left: the SR's RTP time */
	uint64_t now_ns;     /* of the current call into the endpoint */
	uint32_t sent_pkts, sent_octets; /* for the SR */
	uint8_t sent_since_report;
	uint8_t talkspurt; /* next audio packet starts one (marker) */
	uint8_t have_remote_src;
	uint8_t bye_received;
	struct pc_dtmf_tx dtmf_tx;
	struct pc_dtmf_rx dtmf_rx;
	struct pc_rtp_source src; /* the remote source */
	/* RTCP. */
	uint64_t next_rtcp_ns;
	double avg_rtcp_size;
	uint8_t rtcp_initial;
	uint32_t rand_state;
	/* NACK receiver (video): the missing packets, ascending. */
	struct pc_media_nack nack[PC_MEDIA_NACK_MAX];
	uint32_t n_nack;
	uint32_t rx_hi; /* extended highest sequence number received, for NACK */
	uint8_t rx_hi_valid;
	uint8_t nack_due; /* a new gap: ask at once */
	uint8_t pli_due;  /* a key frame to ask for */
	uint8_t have_lrr; /* XR: an RRTR received */
	uint64_t last_pli_ns;
	/* XR: the last RRTR received (RFC 3611 4.5), for our DLRR. */
	uint32_t lrr_ssrc, lrr, lrr_arrival;
	/* XR: the Gmin burst/gap model (RFC 3611 4.7.2), over network losses. */
	uint32_t xr_pkt;      /* packets received since the last loss */
	uint32_t xr_lost_run; /* losses in the current burst */
	uint64_t xr_c11, xr_c13, xr_c14, xr_c22, xr_c23, xr_c33;
	struct pc_media_stats st;
};

/*
 * pc_media_init - set up @m (caller's memory) for ports already open (@port_rtcp ==
 * @port_rtp: rtcp-mux). @remote_rtp/@remote_rtcp: family 0 to learn from the first packet
 * (RTCP without one: RTP port + 1). Returns 0 or -EINVAL (a ptime that is no whole number of
 * timestamp units, payload types above 127).
 */
int pc_media_init(struct pc_media *m, uint32_t stream, const struct pc_media_conf *c,
		  uint16_t port_rtp, uint16_t port_rtcp, const union pc_pkt_addr *remote_rtp,
		  const union pc_pkt_addr *remote_rtcp, uint64_t now_ns);

/* pc_media_input - one packet (transferred) received on the endpoint's RTP (@rtcp false) or
 * RTCP port. It is consumed: buffered, played, or freed and counted. */
void pc_media_input(struct pc_media *m, const struct pc_media_env *env, struct pc_pkt *pkt,
		    bool rtcp, uint64_t now_ns);

/* pc_media_tick - one ptime passed: play a frame out, send DTMF, send the RTCP report when
 * due. The loop calls it every frame duration. */
void pc_media_tick(struct pc_media *m, const struct pc_media_env *env, uint64_t now_ns);

/* pc_media_send_frames - send what the producer put on tx_frames (at most @max frames).
 * Returns how many were taken. */
unsigned pc_media_send_frames(struct pc_media *m, const struct pc_media_env *env, unsigned max,
			      uint64_t now_ns);

/* pc_media_set_direction - hold and resume (RFC 3264 6.1). */
void pc_media_set_direction(struct pc_media *m, enum pc_media_dir dir);

/* pc_media_set_remote - the remote RTP (and RTCP: family 0 for RTP port + 1) address. */
void pc_media_set_remote(struct pc_media *m, const union pc_pkt_addr *rtp,
			 const union pc_pkt_addr *rtcp);

/* pc_media_dtmf - send the key @key ('0'-'9', '*', '#', 'A'-'D') for @duration_ms (40 ms at
 * least). Returns 0, -EINVAL (no telephone-event payload type, a bad key), -EBUSY (one is being
 * sent). */
int pc_media_dtmf(struct pc_media *m, char key, uint32_t duration_ms);

/* pc_media_bye - send an RTCP BYE now (the stream ends). */
void pc_media_bye(struct pc_media *m, const struct pc_media_env *env);

/* pc_media_get_stats - the counters now (jitter buffer included). */
void pc_media_get_stats(const struct pc_media *m, struct pc_media_stats *st);

#ifdef __cplusplus
}
#endif

#endif /* PC_MEDIA_H */
