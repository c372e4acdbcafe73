/* SPDX-License-Identifier: MIT */
/*
 * pc_dtmf.h - DTMF as RTP telephone-events (RFC 4733): the payload codec, a sender and a
 * receiver.
 *
 * Payload (RFC 4733 2.3): event (8 bits), E (end), R, volume (6 bits, -dBm0), duration (16
 * bits, RTP timestamp units). Events 0-9 are the digits, 10 '*', 11 '#', 12-15 'A'-'D', 16
 * flash (RFC 4733 3.2).
 *
 * Sender (struct pc_dtmf_tx): pc_dtmf_tx_start() begins an event at an RTP timestamp; then
 * pc_dtmf_tx_tick(), called once per packetisation interval, gives each packet's payload,
 * timestamp and marker: the marker on the first packet, the same timestamp for the whole event,
 * the duration growing by one interval a packet; an event longer than 0xFFFF timestamp units
 * goes on in a new segment whose timestamp is 0xFFFF later (RFC 4733 2.5.1.3). The end packet
 * (E bit, final duration) goes out three times, one per tick (2.5.1.4: end-of-event
 * redundancy).
 *
 * Receiver (struct pc_dtmf_rx): fed every telephone-event packet of a stream, it reports
 * "started" once and "ended" once per event (keyed by SSRC, RTP timestamp and event code),
 * with the final duration; it ignores retransmissions (the repeated end packets, late
 * packets of an event already over). When the end packets are lost, the end is inferred: by a
 * packet of a new event (new timestamp), a new SSRC, or by silence (pc_dtmf_rx_poll() after the
 * timeout), with the longest duration seen.
 *   Several events in one packet (RFC 4733 2.5.1.5, 2.5.2.3): every 4-byte block is taken in
 *   order (at most PC_DTMF_RX_BLOCKS_MAX), block i starting at the RTP timestamp plus the
 *   durations of the blocks before it; blocks of events already reported (redundant copies of
 *   earlier events) are ignored like retransmissions.
 *   Long events (2.5.1.3, 2.5.2.3): a packet of the same event and SSRC whose timestamp is a
 *   whole number (1-PC_DTMF_RX_SEGMENTS_SKIP) of 0xFFFF past the current segment's continues
 *   the event in a new segment (segments lost in between counted as full), even after its end
 *   was inferred by silence (then nothing is reported again: the event stays ended once).
 *   The marker bit (set on an event's first packet; pc_dtmf_rx_input_rtp): a new event, so such
 *   a packet is never taken for the next segment of the current one (the same key pressed
 *   again exactly 0xFFFF later); segments after the first are sent without it.
 *
 * Thread context: a sender or receiver belongs to its stream's media thread. Allocates:
 * never; every struct is the caller's memory. Errors: -EBADMSG bad payload, -EINVAL bad
 * arguments, -ENOSPC output too small, -EBUSY the sender is still sending an event.
 */
#ifndef PC_DTMF_H
#define PC_DTMF_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PC_DTMF_PAYLOAD_LEN 4u
#define PC_DTMF_EVENT_STAR 10
#define PC_DTMF_EVENT_POUND 11
#define PC_DTMF_EVENT_A 12
#define PC_DTMF_EVENT_FLASH 16
#define PC_DTMF_VOLUME_MAX 63u
#define PC_DTMF_DURATION_MAX 0xffffu
#define PC_DTMF_END_COPIES 3u		   /* RFC 4733 2.5.1.4 */
#define PC_DTMF_RX_TIMEOUT_NS 200000000ull /* silence that ends an event: 200 ms */
#define PC_DTMF_RX_BLOCKS_MAX 8u	   /* event blocks taken from one packet */
#define PC_DTMF_RX_SEGMENTS_SKIP 4u	   /* lost 0xFFFF segments bridged in a long event */
/* Reports one packet can give: the inferred end of the event before, then per block a start
 * and an end. */
#define PC_DTMF_RX_EVENTS_MAX (1u + 2u * PC_DTMF_RX_BLOCKS_MAX)

/* One telephone-event payload block. */
struct pc_dtmf_payload {
	uint8_t event;	/* 0-255; 0-16 the DTMF events */
	uint8_t end;	/* E bit */
	uint8_t volume; /* 0-63: -dBm0 */
	uint8_t pad0;
	uint16_t duration; /* RTP timestamp units since the event's (segment's) timestamp */
};

/* pc_dtmf_decode - read the first payload block of the @len bytes at @p into *@ev (the R bit
 * is ignored). Returns 0, or -EBADMSG (@len below 4). */
int pc_dtmf_decode(const uint8_t *p, size_t len, struct pc_dtmf_payload *ev);

/* pc_dtmf_encode - write @ev into @p (@cap bytes). Returns 4, -EINVAL (volume above 63) or
 * -ENOSPC (@cap below 4). */
int pc_dtmf_encode(uint8_t *p, size_t cap, const struct pc_dtmf_payload *ev);

/* pc_dtmf_event_from_char - the event of a key: '0'-'9', '*', '#', 'A'-'D' (or 'a'-'d'), and
 * '!' or 'F' for flash. Returns 0-16, or -EINVAL. */
int pc_dtmf_event_from_char(int c);

/* pc_dtmf_event_to_char - the key of events 0-16 ('!' for flash), or '\0' for other codes. */
char pc_dtmf_event_to_char(unsigned event);

/* --- sender ---------------------------------------------------------------------------------- */

enum pc_dtmf_tx_state {
	PC_DTMF_TX_IDLE = 0,
	PC_DTMF_TX_SENDING, /* the event goes on */
	PC_DTMF_TX_ENDING,  /* sending the end packet's copies */
};

/* A sender. Fields are read-only to callers. */
struct pc_dtmf_tx {
	uint32_t ts;	   /* RTP timestamp of the current segment */
	uint32_t total;	   /* timestamp units reported since the event's start */
	uint32_t seg_base; /* of total, in the segments before the current one */
	uint32_t limit;	   /* length asked for (units); 0: until pc_dtmf_tx_stop() */
	uint32_t tick;	   /* timestamp units per packet */
	uint8_t state;	   /* enum pc_dtmf_tx_state */
	uint8_t event;
	uint8_t volume;
	uint8_t end_left; /* end copies still to send */
	uint8_t sent;	  /* packets sent for the event (saturates at 255) */
	uint8_t pad0[3];
};

/* The packet pc_dtmf_tx_tick() asks for. */
struct pc_dtmf_tx_pkt {
	uint8_t payload[PC_DTMF_PAYLOAD_LEN]; /* encoded */
	uint32_t ts;			      /* the RTP timestamp to send it with */
	uint16_t duration;
	uint8_t marker; /* the RTP marker bit: first packet of the event */
	uint8_t end;	/* E bit set: one of the end copies */
	uint8_t last;	/* the last packet of the event: the sender is idle after it */
	uint8_t pad0[3];
};

/* pc_dtmf_tx_init - an idle sender sending one packet every @tick timestamp units (e.g. 400:
 * 50 ms at 8 kHz; 1-0xFFFF). Returns 0 or -EINVAL. */
int pc_dtmf_tx_init(struct pc_dtmf_tx *tx, uint32_t tick);

/*
 * pc_dtmf_tx_start - begin @event (0-255) at @volume (0-63) with RTP timestamp @ts, lasting
 * @duration timestamp units (rounded up to whole ticks; 0: until pc_dtmf_tx_stop()). The next
 * tick sends its first packet. Returns 0, -EINVAL, or -EBUSY (an event is still being sent,
 * its end copies included).
 */
int pc_dtmf_tx_start(struct pc_dtmf_tx *tx, uint8_t event, uint8_t volume, uint32_t ts,
		     uint32_t duration);

/*
 * pc_dtmf_tx_stop - end the event at the duration reached (at least one tick): the next
 * ticks send the end packet three times. Returns 0, or -EALREADY (idle, or ending already).
 */
int pc_dtmf_tx_stop(struct pc_dtmf_tx *tx);

/*
 * pc_dtmf_tx_tick - one packetisation interval passed: the packet to send now into *@out.
 * Returns 1 (a packet), or 0 (idle: nothing to send).
 */
int pc_dtmf_tx_tick(struct pc_dtmf_tx *tx, struct pc_dtmf_tx_pkt *out);

/* pc_dtmf_tx_busy - whether an event (or its end copies) is still being sent. */
static inline bool pc_dtmf_tx_busy(const struct pc_dtmf_tx *tx)
{
	return tx->state != PC_DTMF_TX_IDLE;
}

/* --- receiver -------------------------------------------------------------------------------- */

enum pc_dtmf_rx_kind {
	PC_DTMF_RX_STARTED = 1,
	PC_DTMF_RX_ENDED,
};

/* What the receiver reports. */
struct pc_dtmf_rx_event {
	uint32_t ssrc;
	uint32_t ts;	   /* RTP timestamp of the event (its first segment) */
	uint32_t duration; /* ENDED: timestamp units, all segments; STARTED: so far */
	uint8_t kind;	   /* enum pc_dtmf_rx_kind */
	uint8_t event;
	uint8_t volume;
	uint8_t inferred; /* ENDED without an end packet: timeout, new event or new SSRC */
};

/* A receiver. Fields are read-only to callers. */
struct pc_dtmf_rx {
	uint64_t timeout_ns; /* silence after which an event without end packet ends */
	uint64_t last_ns;    /* arrival of the current event's last packet */
	uint32_t ssrc;	     /* current event (when active) */
	uint32_t ts;	     /* its first segment's RTP timestamp */
	uint32_t seg_ts;     /* its current segment's */
	uint32_t seg_base;   /* units in its earlier segments */
	uint16_t duration;   /* longest seen in the current segment */
	uint8_t event;
	uint8_t volume;
	uint8_t active;
	uint8_t have_done; /* done_* holds the last event that ended */
	uint8_t done_event;
	uint8_t pad0;
	uint32_t done_ssrc;
	uint32_t done_ts; /* its last segment's timestamp */
	/* Counters. */
	uint32_t events;  /* events started */
	uint32_t ignored; /* retransmissions, late packets and redundant blocks ignored */
	uint32_t inferred_ends;
	uint32_t segments;	 /* long-event segments followed (2.5.1.3) */
	uint32_t blocks_dropped; /* blocks past PC_DTMF_RX_BLOCKS_MAX in a packet */
};

/* pc_dtmf_rx_init - an idle receiver; @timeout_ns 0 takes PC_DTMF_RX_TIMEOUT_NS. */
void pc_dtmf_rx_init(struct pc_dtmf_rx *rx, uint64_t timeout_ns);

/*
 * pc_dtmf_rx_input_rtp - one telephone-event packet from @ssrc with RTP timestamp @ts and
 * marker bit @marker: the @len payload bytes at @payload (borrowed; one or more 4-byte event
 * blocks), arrived at @now_ns (CLOCK_MONOTONIC). Writes what it tells into @out
 * (PC_DTMF_RX_EVENTS_MAX entries), in order. Returns how many, or -EBADMSG (no block, or a
 * length that is not a multiple of 4: ignored, nothing changed).
 */
int pc_dtmf_rx_input_rtp(struct pc_dtmf_rx *rx, uint32_t ssrc, uint32_t ts, bool marker,
			 const uint8_t *payload, size_t len, uint64_t now_ns,
			 struct pc_dtmf_rx_event *out);

/* pc_dtmf_rx_input - pc_dtmf_rx_input_rtp() without the marker bit (taken as clear). */
int pc_dtmf_rx_input(struct pc_dtmf_rx *rx, uint32_t ssrc, uint32_t ts, const uint8_t *payload,
		     size_t len, uint64_t now_ns, struct pc_dtmf_rx_event *out);

/*
 * pc_dtmf_rx_poll - the inferred end of the current event when nothing came for the timeout
 * by @now_ns, into *@out. Returns 1 (an ENDED report) or 0. Call it from the stream's timer.
 */
int pc_dtmf_rx_poll(struct pc_dtmf_rx *rx, uint64_t now_ns, struct pc_dtmf_rx_event *out);

#ifdef __cplusplus
}
#endif

#endif /* PC_DTMF_H */
