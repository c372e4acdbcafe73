/* SPDX-License-Identifier: MIT */
/*
 * pc_rtcp.h - RTCP (RFC 3550 6, RFC 4585, RFC 5104, RFC 5506) for the fast path: parse a
 * compound (or reduced-size) packet into a bounded view, build reports and feedback into a
 * buffer with a length, round-trip time, NTP time, and the RTCP transmission interval.
 *
 * Parsing. pc_rtcp_parse() checks the framing as pc_rtcp_check() does (pc_rtp.h), then every
 * packet it knows: SR (sender info, report blocks), RR, SDES (chunks of items), BYE (SSRCs,
 * reason), APP (name, data), RTPFB generic NACK (RFC 4585 6.2.1), PSFB PLI (RFC 4585 6.3.1)
 * and FIR (RFC 5104 4.3.1), XR (RFC 3611: Receiver Reference Time, DLRR, Statistics
 * Summary, VoIP Metrics; other block types skipped by their length and counted). Other types
 * and formats (REMB, transport-cc...) are skipped and counted. A malformed packet anywhere
 * rejects the whole compound (RFC 3550 A.2). The view is bounded (PC_RTCP_VIEW_*): what does
 * not fit is counted in `dropped`, never written past. The view points into the datagram
 * (borrowed): it is valid while the datagram is.
 *
 * Building. struct pc_rtcp_writer appends packets to a buffer with a length; every write
 * fits whole or leaves the buffer as it was (-ENOSPC). pc_rtcp_build() writes a compound in
 * the RFC order (RFC 3550 6.1, RFC 4585 3.1): SR or RR (with more RRs past 31 report
 * blocks), SDES CNAME, XR, feedback (NACK, PLI, FIR), BYE last. Report blocks come from the
 * receive statistics of pc_rtp.h (pc_rtcp_rb_from_source).
 *
 * Thread context: any; a view, a writer, a struct pc_rtp_source belong to the caller's thread
 * (a stream's media thread). Allocates: never. Errors: -EBADMSG bad input, -EINVAL bad
 * arguments, -ENOSPC the output does not fit, -EPROTO packets written out of the RFC order.
 */
#ifndef PC_RTCP_H
#define PC_RTCP_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "pc_rtp.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Packet types (RFC 3550 12.1, RFC 4585 6.1, RFC 3611). */
#define PC_RTCP_SR 200
#define PC_RTCP_RR 201
#define PC_RTCP_SDES 202
#define PC_RTCP_BYE 203
#define PC_RTCP_APP 204
#define PC_RTCP_RTPFB 205
#define PC_RTCP_PSFB 206
#define PC_RTCP_XR 207

/* Feedback message types (FMT). */
#define PC_RTCP_FMT_NACK 1 /* RTPFB: generic NACK, RFC 4585 6.2.1 */
#define PC_RTCP_FMT_PLI 1  /* PSFB: picture loss indication, RFC 4585 6.3.1 */
#define PC_RTCP_FMT_FIR 4  /* PSFB: full intra request, RFC 5104 4.3.1 */

/* SDES item types (RFC 3550 6.5). */
#define PC_RTCP_SDES_END 0
#define PC_RTCP_SDES_CNAME 1
#define PC_RTCP_SDES_NAME 2
#define PC_RTCP_SDES_EMAIL 3
#define PC_RTCP_SDES_PHONE 4
#define PC_RTCP_SDES_LOC 5
#define PC_RTCP_SDES_TOOL 6
#define PC_RTCP_SDES_NOTE 7
#define PC_RTCP_SDES_PRIV 8

#define PC_RTCP_RB_MAX 31u /* report blocks in one SR/RR (5-bit count) */
#define PC_RTCP_RB_SIZE 24u
#define PC_RTCP_LOST_MAX 0x7fffff /* cumulative lost: 24 bits signed */
#define PC_RTCP_LOST_MIN (-0x800000)

/* Bounds of struct pc_rtcp_view. */
#define PC_RTCP_VIEW_PKTS 16
#define PC_RTCP_VIEW_RBS 32
#define PC_RTCP_VIEW_SDES 16
#define PC_RTCP_VIEW_SSRCS 16
#define PC_RTCP_VIEW_NACKS 64
#define PC_RTCP_VIEW_FIRS 16
#define PC_RTCP_VIEW_XRS 16

/* XR report block types (RFC 3611 4). */
#define PC_RTCP_XR_RRTR 4	   /* Receiver Reference Time, 4.4 */
#define PC_RTCP_XR_DLRR 5	   /* DLRR, 4.5: one item per sub-block */
#define PC_RTCP_XR_STATS 6	   /* Statistics Summary, 4.6 */
#define PC_RTCP_XR_VOIP 7	   /* VoIP Metrics, 4.7 */
#define PC_RTCP_XR_UNAVAILABLE 127 /* VoIP Metrics: signal, noise, RERL, R, MOS not known */

/* Statistics Summary flags (the type-specific byte, RFC 3611 4.6). */
#define PC_RTCP_XR_STATS_L 0x80u	/* lost_packets reported */
#define PC_RTCP_XR_STATS_D 0x40u	/* dup_packets reported */
#define PC_RTCP_XR_STATS_J 0x20u	/* the jitter fields reported */
#define PC_RTCP_XR_STATS_TOH_V4 0x00u	/* the TTL fields: IPv4 TTL */
#define PC_RTCP_XR_STATS_TOH_V6 0x08u	/* the TTL fields: IPv6 hop limit */
#define PC_RTCP_XR_STATS_TOH_MASK 0x18u /* 0x10, 0x18: undefined */

/* VoIP Metrics RX config (RFC 3611 4.7.6): PLC (bits 7-6), JBA (5-4), JB rate (3-0). */
#define PC_RTCP_XR_PLC_STANDARD 0xc0u
#define PC_RTCP_XR_PLC_ENHANCED 0x80u
#define PC_RTCP_XR_PLC_DISABLED 0x40u
#define PC_RTCP_XR_JBA_ADAPTIVE 0x30u
#define PC_RTCP_XR_JBA_FIXED 0x20u

/* A report block (RFC 3550 6.4.1). */
struct pc_rtcp_rb {
	uint32_t ssrc;	       /* the source reported on */
	int32_t cum_lost;      /* cumulative lost, 24 bits signed */
	uint32_t ext_max_seq;  /* extended highest sequence number received */
	uint32_t jitter;       /* interarrival jitter, timestamp units */
	uint32_t lsr;	       /* last SR: middle 32 bits of its NTP timestamp; 0: none */
	uint32_t dlsr;	       /* delay since the last SR, 1/65536 s */
	uint8_t fraction_lost; /* fixed point, /256 */
	uint8_t pad0[3];
};

/* The sender info of an SR (RFC 3550 6.4.1). */
struct pc_rtcp_sender_info {
	uint64_t ntp;	  /* NTP timestamp (pc_rtcp_ntp_now) */
	uint32_t rtp_ts;  /* the same instant on the RTP clock */
	uint32_t packets; /* sender's packet count */
	uint32_t octets;  /* sender's payload octet count */
};

/* An SDES item (RFC 3550 6.5); the text (borrowed, in the datagram) is not NUL-terminated. */
struct pc_rtcp_sdes_item {
	const uint8_t *text;
	uint32_t ssrc; /* of the chunk holding it (ignored by pc_rtcp_write_sdes) */
	uint8_t type;  /* PC_RTCP_SDES_CNAME ... PRIV */
	uint8_t len;
};

/* A generic NACK (RFC 4585 6.2.1): @pid lost, and bit i of @blp: pid + i + 1 lost. */
struct pc_rtcp_nack {
	uint16_t pid;
	uint16_t blp;
};

/* A FIR entry (RFC 5104 4.3.1): the media sender asked for a decoder refresh, and the
 * request's sequence number (the same for a repetition, one more for a new request). */
struct pc_rtcp_fir {
	uint32_t ssrc;
	uint8_t seq;
	uint8_t pad0[3];
};

/* A DLRR sub-block (RFC 3611 4.5): the RRTR of @ssrc that we last received (@lrr: the middle
 * 32 bits of its NTP timestamp; 0: none) and the delay since (@dlrr, 1/65536 s). */
struct pc_rtcp_xr_dlrr {
	uint32_t ssrc;
	uint32_t lrr;
	uint32_t dlrr;
};

/* A Statistics Summary block (RFC 3611 4.6) on the packets @begin_seq to @end_seq - 1 of
 * @ssrc; a field is meaningful when its flag (PC_RTCP_XR_STATS_*) says so. */
struct pc_rtcp_xr_stats {
	uint32_t ssrc;
	uint16_t begin_seq, end_seq;
	uint32_t lost, dup;					  /* packets */
	uint32_t min_jitter, max_jitter, mean_jitter, dev_jitter; /* timestamp units */
	uint8_t flags;						  /* L, D, J, ToH */
	uint8_t min_ttl, max_ttl, mean_ttl, dev_ttl;		  /* or hop limit */
	uint8_t pad0[3];
};

/* A VoIP Metrics block (RFC 3611 4.7) on the source @ssrc. Rates and densities are fractions
 * times 256; durations and delays milliseconds; 127 (PC_RTCP_XR_UNAVAILABLE) in the signal,
 * noise, RERL, R factor and MOS fields: not available. */
struct pc_rtcp_xr_voip {
	uint32_t ssrc;
	uint8_t loss_rate;     /* lost in the network since the start, /256 */
	uint8_t discard_rate;  /* discarded (late, early, overflow) since the start, /256 */
	uint8_t burst_density; /* lost or discarded within bursts, /256 */
	uint8_t gap_density;   /* lost or discarded within gaps, /256 */
	uint16_t burst_duration, gap_duration;		/* mean, ms */
	uint16_t round_trip_delay;			/* ms; 0: not known */
	uint16_t end_system_delay;			/* ms; 0: not known */
	int8_t signal_level, noise_level;		/* dBm0 */
	uint8_t rerl;					/* residual echo return loss, dB */
	uint8_t gmin;					/* gap threshold, packets (16) */
	uint8_t r_factor, ext_r_factor, mos_lq, mos_cq; /* MOS times 10 */
	uint8_t rx_config;				/* PC_RTCP_XR_PLC_*, _JBA_*, rate */
	uint8_t pad0;
	uint16_t jb_nominal, jb_max, jb_abs_max; /* ms */
};

/* One XR item: a report block, or one sub-block of a DLRR block. */
struct pc_rtcp_xr_item {
	uint8_t bt;  /* PC_RTCP_XR_RRTR ... VOIP */
	uint8_t tsf; /* the block's type-specific byte (the Statistics Summary flags) */
	uint8_t pad0[6];
	union {
		uint64_t rrtr_ntp; /* RRTR: the NTP timestamp */
		struct pc_rtcp_xr_dlrr dlrr;
		struct pc_rtcp_xr_stats stats;
		struct pc_rtcp_xr_voip voip;
	} u;
};

/* One packet of a compound, as parsed. */
struct pc_rtcp_pkt {
	const uint8_t *raw; /* borrowed: its header, in the datagram */
	uint16_t len;	    /* bytes, header and padding included */
	uint16_t body_len;  /* bytes without the padding */
	uint8_t pt;	    /* PC_RTCP_SR ... */
	uint8_t count;	    /* the 5-bit field: RC, SC, FMT, or the APP subtype */
	uint8_t parsed;	    /* 1: a known type, fields below filled; 0: skipped (unknown) */
	uint8_t pad0;
	uint32_t ssrc;	     /* the sender (SR, RR, APP, RTPFB, PSFB); the first SSRC of an
			      * SDES or BYE (0 when it has none) */
	uint32_t media_ssrc; /* RTPFB, PSFB: the media source */
	uint16_t first;	     /* its first item in the view's array for its type: rbs (SR, RR),
			      * sdes, ssrcs (BYE), nacks, firs, xrs */
	uint16_t n;	     /* items of it held there (fewer than it has when the view filled) */
	union {
		struct pc_rtcp_sender_info sr;
		struct {
			const uint8_t *reason; /* NULL: none */
			uint8_t reason_len;
		} bye;
		struct {
			const uint8_t *data;
			uint16_t data_len;
			char name[4]; /* not NUL-terminated */
		} app;
		struct {
			const uint8_t *fci; /* the feedback control information, any FMT */
			uint16_t fci_len;
		} fb;
		struct {
			uint16_t skipped; /* report blocks of unknown types, skipped */
		} xr;
	} u;
};

/*
 * A parsed compound. Caller's memory (about 3.5 KiB: keep one per media thread, not on every
 * stack frame). Items of all packets share the arrays; a packet's are [first, first + n).
 */
struct pc_rtcp_view {
	uint16_t total;	  /* packets in the compound */
	uint16_t n_pkts;  /* described in pkts (the first PC_RTCP_VIEW_PKTS) */
	uint16_t unknown; /* packets of types or formats not parsed: skipped */
	uint16_t dropped; /* packets and items that did not fit the arrays */
	uint16_t n_rbs, n_sdes, n_ssrcs, n_nacks, n_firs;
	uint16_t n_xrs;
	uint16_t xr_skipped; /* XR blocks of unknown types, all packets */
	uint16_t pad0;
	struct pc_rtcp_pkt pkts[PC_RTCP_VIEW_PKTS];
	struct pc_rtcp_rb rbs[PC_RTCP_VIEW_RBS];
	struct pc_rtcp_sdes_item sdes[PC_RTCP_VIEW_SDES];
	uint32_t ssrcs[PC_RTCP_VIEW_SSRCS];
	struct pc_rtcp_nack nacks[PC_RTCP_VIEW_NACKS];
	struct pc_rtcp_fir firs[PC_RTCP_VIEW_FIRS];
	struct pc_rtcp_xr_item xrs[PC_RTCP_VIEW_XRS];
};

/*
 * pc_rtcp_parse - parse the compound of @len bytes at @buf (borrowed; the view points into
 * it) into *@v. @reduced_size allows a first packet other than SR/RR (RFC 5506 3.1).
 * Returns the number of packets, or -EBADMSG: longer than 65535 bytes (no UDP datagram is);
 * framing as pc_rtcp_check(); padding count 0 or
 * past the packet; SR/RR shorter than their report blocks; an SDES chunk or item running past
 * its packet, unterminated, or chunks not filling it; BYE SSRCs or reason past the end; APP
 * shorter than 12 bytes; a NACK or FIR without whole FCI entries; feedback shorter than 12;
 * XR shorter than 8, a report block header or block running past the packet, an RRTR not of
 * 12 bytes, a DLRR without whole sub-blocks, a Statistics Summary not of 40 bytes, VoIP
 * Metrics not of 36.
 * On error *@v is unspecified.
 */
int pc_rtcp_parse(const uint8_t *buf, size_t len, bool reduced_size, struct pc_rtcp_view *v);

/* pc_rtcp_find_sdes - the first SDES item of @type for @ssrc in @v, or NULL. */
const struct pc_rtcp_sdes_item *pc_rtcp_find_sdes(const struct pc_rtcp_view *v, uint32_t ssrc,
						  uint8_t type);

/*
 * pc_rtcp_nack_expand - the sequence numbers that the @n NACK items at @items (borrowed)
 * report lost, in order, into @seqs (@cap entries). Returns how many were written: at most
 * @cap; 17 * @n is always enough.
 */
unsigned pc_rtcp_nack_expand(const struct pc_rtcp_nack *items, unsigned n, uint16_t *seqs,
			     unsigned cap);

/*
 * pc_rtcp_nack_pack - pack @n lost sequence numbers at @seqs (ascending in serial order,
 * RFC 1982; a repeat is ignored) into NACK items at @items (@cap). Returns the number of
 * items, or -ENOSPC (they need more than @cap items) or -EINVAL (not ascending).
 */
int pc_rtcp_nack_pack(const uint16_t *seqs, unsigned n, struct pc_rtcp_nack *items, unsigned cap);

/* --- building -------------------------------------------------------------------------------- */

/* Appends packets to a buffer. Fill with pc_rtcp_writer_init(). */
struct pc_rtcp_writer {
	uint8_t *buf; /* borrowed */
	size_t cap;
	size_t len;	      /* bytes written: the compound so far */
	uint16_t pkts;	      /* packets written */
	uint8_t reduced_size; /* any packet may come first (RFC 5506) */
	uint8_t bye;	      /* a BYE was written: it is the last */
};

/* pc_rtcp_writer_init - start a compound at @buf (@cap bytes, borrowed). With @reduced_size
 * any packet may come first (RFC 5506); otherwise the first must be an SR or RR. */
void pc_rtcp_writer_init(struct pc_rtcp_writer *w, uint8_t *buf, size_t cap, bool reduced_size);

/*
 * The writes. Each appends one packet and returns 0, -ENOSPC (it does not fit: nothing
 * written), -EINVAL (bad arguments, named at each), or -EPROTO (out of order: a first packet
 * other than SR/RR in a regular compound, anything after a BYE). Pointers are borrowed.
 */
/* SR with @n (0-31) report blocks. */
int pc_rtcp_write_sr(struct pc_rtcp_writer *w, uint32_t ssrc, const struct pc_rtcp_sender_info *si,
		     const struct pc_rtcp_rb *rbs, unsigned n);
/* RR with @n (0-31) report blocks. */
int pc_rtcp_write_rr(struct pc_rtcp_writer *w, uint32_t ssrc, const struct pc_rtcp_rb *rbs,
		     unsigned n);
/* SDES with one chunk for @ssrc: @n items, types 1-8 (their ssrc field is ignored). */
int pc_rtcp_write_sdes(struct pc_rtcp_writer *w, uint32_t ssrc,
		       const struct pc_rtcp_sdes_item *items, unsigned n);
/* SDES with one chunk holding the CNAME of @ssrc (@len 1-255 bytes). */
int pc_rtcp_write_cname(struct pc_rtcp_writer *w, uint32_t ssrc, const char *cname, size_t len);
/* BYE for @n (1-31) SSRCs, with @reason (@reason_len 0-255; NULL: no reason). */
int pc_rtcp_write_bye(struct pc_rtcp_writer *w, const uint32_t *ssrcs, unsigned n,
		      const char *reason, size_t reason_len);
/* APP: @subtype 0-31, @name 4 ASCII bytes, @data_len a multiple of 4. */
int pc_rtcp_write_app(struct pc_rtcp_writer *w, uint8_t subtype, uint32_t ssrc, const char name[4],
		      const uint8_t *data, size_t data_len);
/* RTPFB generic NACK from @sender about @media: @n (>= 1) items. */
int pc_rtcp_write_nack(struct pc_rtcp_writer *w, uint32_t sender, uint32_t media,
		       const struct pc_rtcp_nack *items, unsigned n);
/* PSFB PLI from @sender about @media. */
int pc_rtcp_write_pli(struct pc_rtcp_writer *w, uint32_t sender, uint32_t media);
/* PSFB FIR from @sender with @n (>= 1) entries (the media SSRC field is 0, RFC 5104 4.3.1.2). */
int pc_rtcp_write_fir(struct pc_rtcp_writer *w, uint32_t sender, const struct pc_rtcp_fir *entries,
		      unsigned n);

/* XR from @ssrc with the @n (>= 1) report blocks at @items: RRTR, DLRR (consecutive DLRR
 * items go into one block as its sub-blocks), Statistics Summary, VoIP Metrics; -EINVAL for
 * another type. */
int pc_rtcp_write_xr(struct pc_rtcp_writer *w, uint32_t ssrc, const struct pc_rtcp_xr_item *items,
		     unsigned n);

/* What pc_rtcp_build() writes. Pointers are borrowed. */
struct pc_rtcp_compound {
	uint32_t ssrc;			      /* ours: the sender of every packet */
	const struct pc_rtcp_sender_info *sr; /* non-NULL: SR (we sent since the last
						 * report); NULL: RR */
	const struct pc_rtcp_rb *rbs;	      /* report blocks; past 31, more RRs follow */
	unsigned n_rbs;
	const char *cname; /* SDES CNAME (1-255 bytes); required unless reduced_size */
	size_t cname_len;
	const struct pc_rtcp_xr_item *xrs; /* an XR after the SDES when n_xrs */
	unsigned n_xrs;
	uint32_t fb_media_ssrc; /* the media source of the NACK and the PLI */
	const struct pc_rtcp_nack *nacks;
	unsigned n_nacks;
	const struct pc_rtcp_fir *firs;
	unsigned n_firs;
	const char *bye_reason; /* with bye; NULL: none */
	size_t bye_reason_len;
	uint8_t pli;	      /* add a PLI */
	uint8_t bye;	      /* end with a BYE of ssrc */
	uint8_t reduced_size; /* RFC 5506: the report only when sr or rbs, SDES only with cname */
	uint8_t pad0;
};

/*
 * pc_rtcp_build - write the compound @c into @buf (@cap bytes) in the RFC order. Returns its
 * length in bytes, -ENOSPC (it does not fit; the buffer's contents are unspecified) or
 * -EINVAL (no CNAME in a regular compound, or a part's arguments as for its write).
 */
int pc_rtcp_build(uint8_t *buf, size_t cap, const struct pc_rtcp_compound *c);

/* --- statistics, time ------------------------------------------------------------------------ */

#define PC_NTP_UNIX_OFFSET 2208988800u /* seconds from 1900-01-01 to 1970-01-01 */

/* pc_rtcp_ntp_from_unix_ns - NTP 64-bit time (32.32 seconds since 1900, the era wrapping in
 * 2036) of a time in nanoseconds since 1970. */
static inline uint64_t pc_rtcp_ntp_from_unix_ns(uint64_t ns)
{
	uint32_t sec = (uint32_t)(ns / 1000000000u + PC_NTP_UNIX_OFFSET);
	uint64_t frac = ((ns % 1000000000u) << 32) / 1000000000u;

	return (uint64_t)sec << 32 | frac;
}

/* pc_rtcp_ntp_from_timespec - as above, from a struct timespec of CLOCK_REALTIME. */
static inline uint64_t pc_rtcp_ntp_from_timespec(const struct timespec *ts)
{
	return pc_rtcp_ntp_from_unix_ns((uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec);
}

/* pc_rtcp_ntp_now - the NTP time now, from CLOCK_REALTIME (vDSO: no system call). */
uint64_t pc_rtcp_ntp_now(void);

/* pc_rtcp_ntp_compact - the middle 32 bits (16.16 seconds): the form of LSR, DLSR, RTT. */
static inline uint32_t pc_rtcp_ntp_compact(uint64_t ntp)
{
	return (uint32_t)(ntp >> 16);
}

/* pc_rtcp_compact_to_us - a compact NTP duration (1/65536 s) in microseconds. */
static inline uint64_t pc_rtcp_compact_to_us(uint32_t c)
{
	return ((uint64_t)c * 1000000u) >> 16;
}

/*
 * pc_rtcp_rtt - the round-trip time (RFC 3550 6.4.1: A - LSR - DLSR) from a report block
 * about one of our streams received at @arrival (compact NTP on the clock of our SRs).
 * Writes *@rtt (1/65536 s). Returns 0, -ENODATA (@lsr 0: the peer had no SR from us), or
 * -ERANGE (A before LSR, or A - LSR shorter than DLSR: clocks or the block are wrong).
 */
static inline int pc_rtcp_rtt(uint32_t arrival, uint32_t lsr, uint32_t dlsr, uint32_t *rtt)
{
	uint32_t since = arrival - lsr; /* modulo 2^32: the compact clock wraps every 18 h */

	if (lsr == 0)
		return -ENODATA;
	if (dlsr > since || since >= 0x80000000u)
		return -ERANGE;
	*rtt = since - dlsr;
	return 0;
}

/*
 * pc_rtcp_note_sr - remember, on the statistics of the source that sent it, an SR with NTP
 * timestamp @sr_ntp that arrived at @arrival (compact NTP, our clock): the LSR and the start
 * of the DLSR of the next report block about the source.
 */
static inline void pc_rtcp_note_sr(struct pc_rtp_source *s, uint64_t sr_ntp, uint32_t arrival)
{
	s->lsr = pc_rtcp_ntp_compact(sr_ntp);
	s->lsr_arrival = arrival;
}

/*
 * pc_rtcp_rb_from_source - a report block about @s (its A.3 figures: this starts a new
 * interval for the fraction lost) at @now (compact NTP): LSR from the last SR noted, DLSR the
 * time since it arrived (0 when none). Returns 0, or -EAGAIN (source not valid yet: no block).
 */
int pc_rtcp_rb_from_source(struct pc_rtcp_rb *rb, struct pc_rtp_source *s, uint32_t now);

/* --- transmission interval (RFC 3550 6.2, 6.3, A.7) ------------------------------------------ */

enum pc_rtcp_min_mode {
	PC_RTCP_MIN_DEFAULT = 0, /* 5 s, halved before the first report (A.7) */
	PC_RTCP_MIN_REDUCED,	 /* reduced_min s (RFC 3550 6.2: 360 / session kbit/s), halved
				  * before the first report */
	PC_RTCP_MIN_AVPF,	 /* RFC 4585 (AVPF): 1 s before the first report, 0 after */
};

struct pc_rtcp_interval_params {
	double rtcp_bw;	      /* RTCP bandwidth, octets/s (e.g. 5% of the session's) */
	double avg_rtcp_size; /* octets, with UDP and IP headers (pc_rtcp_avg_size) */
	double reduced_min;   /* seconds, for PC_RTCP_MIN_REDUCED */
	unsigned members;     /* session members, us included */
	unsigned senders;     /* of them, senders */
	uint8_t we_sent;      /* we sent data since the second-to-last report */
	uint8_t initial;      /* no report sent yet */
	uint8_t min_mode;     /* enum pc_rtcp_min_mode */
	uint8_t pad0;
};

/*
 * pc_rtcp_interval - A.7 rtcp_interval(): the seconds until the next report. @rand01 is a
 * random value in [0, 1) from the caller (fixed in tests): the interval is scaled by
 * @rand01 + 0.5, then divided by e - 3/2 to compensate for timer reconsideration.
 */
double pc_rtcp_interval(const struct pc_rtcp_interval_params *p, double rand01);

/* pc_rtcp_avg_size - A.7: the average compound size after one of @sent octets was sent or
 * received: sent / 16 + avg * 15 / 16. */
static inline double pc_rtcp_avg_size(double avg, size_t sent)
{
	return (1. / 16.) * (double)sent + (15. / 16.) * avg;
}

#ifdef __cplusplus
}
#endif

#endif /* PC_RTCP_H */
