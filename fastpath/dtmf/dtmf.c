/* SPDX-License-Identifier: MIT */
/*
 * dtmf.c - RFC 4733 telephone-events: the payload codec, the sender's packet sequence and the
 * receiver's deduplication into one "started" and one "ended" per event.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "pc_dtmf.h"

/* --- payload --------------------------------------------------------------------------------- */

int pc_dtmf_decode(const uint8_t *p, size_t len, struct pc_dtmf_payload *ev)
{
	/* RFC 4733 2.3: event | E R volume(6) | duration(16). Blocks after the first (2.5.1.5:
	 * several events in one packet) are left to the caller. */
	if (len < PC_DTMF_PAYLOAD_LEN)
		return -EBADMSG;
	ev->event = p[0];
	ev->end = p[1] >> 7;
	ev->volume = p[1] & 0x3f;
	ev->pad0 = 0;
	ev->duration = (uint16_t)(p[2] << 8 | p[3]);
	return 0;
}

int pc_dtmf_encode(uint8_t *p, size_t cap, const struct pc_dtmf_payload *ev)
{
	if (ev->volume > PC_DTMF_VOLUME_MAX || ev->end > 1)
		return -EINVAL;
	if (cap < PC_DTMF_PAYLOAD_LEN)
		return -ENOSPC;
	p[0] = ev->event;
	p[1] = (uint8_t)(ev->end << 7 | ev->volume); /* R (bit 6) is 0 on send */
	p[2] = (uint8_t)(ev->duration >> 8);
	p[3] = (uint8_t)ev->duration;
	return PC_DTMF_PAYLOAD_LEN;
}

static const char dtmf_keys[] = "0123456789*#ABCD!";

int pc_dtmf_event_from_char(int c)
{
	if (c >= 'a' && c <= 'd')
		c -= 'a' - 'A';
	if (c == 'F')
		c = '!';
	for (int i = 0; dtmf_keys[i]; i++)
		if (dtmf_keys[i] == c)
			return i;
	return -EINVAL;
}

char pc_dtmf_event_to_char(unsigned event)
{
	return event <= PC_DTMF_EVENT_FLASH ? dtmf_keys[event] : '\0';
}

/* --- sender ---------------------------------------------------------------------------------- */

int pc_dtmf_tx_init(struct pc_dtmf_tx *tx, uint32_t tick)
{
	if (tick == 0 || tick > PC_DTMF_DURATION_MAX)
		return -EINVAL;
	memset(tx, 0, sizeof(*tx));
	tx->tick = tick;
	return 0;
}

int pc_dtmf_tx_start(struct pc_dtmf_tx *tx, uint8_t event, uint8_t volume, uint32_t ts,
		     uint32_t duration)
{
	uint64_t limit;

	if (tx->state != PC_DTMF_TX_IDLE)
		return -EBUSY;
	if (volume > PC_DTMF_VOLUME_MAX || tx->tick == 0)
		return -EINVAL;
	/* Whole ticks: every packet but a segment's last adds one tick to the duration. */
	limit = ((uint64_t)duration + tx->tick - 1) / tx->tick * tx->tick;
	if (limit > UINT32_MAX - (uint64_t)tx->tick)
		return -EINVAL;
	tx->ts = ts;
	tx->total = 0;
	tx->seg_base = 0;
	tx->limit = (uint32_t)limit;
	tx->event = event;
	tx->volume = volume;
	tx->end_left = 0;
	tx->sent = 0;
	tx->state = PC_DTMF_TX_SENDING;
	return 0;
}

int pc_dtmf_tx_stop(struct pc_dtmf_tx *tx)
{
	if (tx->state != PC_DTMF_TX_SENDING)
		return -EALREADY;
	/* The duration reached is final; an event stopped before its first packet lasts one
	 * tick (its single packet carries both the marker and the E bit). */
	tx->limit = tx->total ? tx->total : tx->tick;
	return 0;
}

static int tx_emit(struct pc_dtmf_tx *tx, struct pc_dtmf_tx_pkt *out, uint32_t duration, bool end)
{
	struct pc_dtmf_payload p = {
		.event = tx->event,
		.end = end,
		.volume = tx->volume,
		.duration = (uint16_t)duration,
	};

	memset(out, 0, sizeof(*out));
	pc_dtmf_encode(out->payload, sizeof(out->payload), &p);
	out->ts = tx->ts;
	out->duration = (uint16_t)duration;
	out->marker = tx->sent == 0; /* RFC 4733 2.3.1: the first packet of the event */
	out->end = end;
	if (tx->sent < UINT8_MAX)
		tx->sent++;
	return 1;
}

int pc_dtmf_tx_tick(struct pc_dtmf_tx *tx, struct pc_dtmf_tx_pkt *out)
{
	uint32_t seg;
	bool ending;

	switch (tx->state) {
	case PC_DTMF_TX_SENDING:
		ending = tx->limit && tx->total >= tx->limit;
		if (!ending) {
			/* One more interval; an open-ended event stops growing short of 2^32. */
			if (tx->total <= UINT32_MAX - 2 * tx->tick)
				tx->total += tx->tick;
			if (tx->limit && tx->total >= tx->limit) {
				tx->total = tx->limit;
				ending = true;
			}
		}
		seg = tx->total - tx->seg_base;
		if (seg > PC_DTMF_DURATION_MAX || (seg == PC_DTMF_DURATION_MAX && !ending)) {
			/* RFC 4733 2.5.1.3: the duration field is full. This segment ends at
			 * 0xFFFF without the E bit; the event goes on in a new segment whose
			 * timestamp is this one's plus 0xFFFF. */
			tx_emit(tx, out, PC_DTMF_DURATION_MAX, false);
			tx->seg_base += PC_DTMF_DURATION_MAX;
			tx->ts += PC_DTMF_DURATION_MAX;
			return 1;
		}
		if (!ending)
			return tx_emit(tx, out, seg, false);
		tx->state = PC_DTMF_TX_ENDING;
		tx->end_left = PC_DTMF_END_COPIES;
		/* The first end copy now. */
		__attribute__((fallthrough));
	case PC_DTMF_TX_ENDING:
		/* RFC 4733 2.5.1.4: the end packet three times, same timestamp and duration. */
		tx_emit(tx, out, tx->total - tx->seg_base, true);
		if (--tx->end_left == 0) {
			tx->state = PC_DTMF_TX_IDLE;
			out->last = 1;
		}
		return 1;
	default:
		return 0;
	}
}

/* --- receiver -------------------------------------------------------------------------------- */

void pc_dtmf_rx_init(struct pc_dtmf_rx *rx, uint64_t timeout_ns)
{
	memset(rx, 0, sizeof(*rx));
	rx->timeout_ns = timeout_ns ? timeout_ns : PC_DTMF_RX_TIMEOUT_NS;
}

static void rx_report(const struct pc_dtmf_rx *rx, struct pc_dtmf_rx_event *e, uint8_t kind,
		      bool inferred)
{
	e->ssrc = rx->ssrc;
	e->ts = rx->ts;
	e->duration = rx->seg_base + rx->duration;
	e->kind = kind;
	e->event = rx->event;
	e->volume = rx->volume;
	e->inferred = inferred;
}

/* The current event is over: report it and remember it, so that its retransmissions and late
 * packets are recognised. */
static void rx_finish(struct pc_dtmf_rx *rx, struct pc_dtmf_rx_event *e, bool inferred)
{
	rx_report(rx, e, PC_DTMF_RX_ENDED, inferred);
	if (inferred)
		rx->inferred_ends++;
	rx->active = 0;
	rx->have_done = 1;
	rx->done_ssrc = rx->ssrc;
	rx->done_ts = rx->seg_ts;
	rx->done_event = rx->event;
}

/* Whether @ts lies a whole number 1..PC_DTMF_RX_SEGMENTS_SKIP of 0xFFFF after @seg_ts: a
 * later segment of a long event (RFC 4733 2.5.1.3). Returns that number, or 0. */
static uint32_t rx_segments_after(uint32_t seg_ts, uint32_t ts)
{
	uint32_t d = ts - seg_ts; /* modulo 2^32: timestamps wrap */

	if (d == 0 || d % PC_DTMF_DURATION_MAX ||
	    d / PC_DTMF_DURATION_MAX > PC_DTMF_RX_SEGMENTS_SKIP)
		return 0;
	return d / PC_DTMF_DURATION_MAX;
}

/* One event block @ev starting at @ts. Appends its reports at @out + *@n. */
static void rx_block(struct pc_dtmf_rx *rx, uint32_t ssrc, uint32_t ts, bool marker,
		     const struct pc_dtmf_payload *ev, uint64_t now_ns,
		     struct pc_dtmf_rx_event *out, int *n)
{
	uint32_t k;

	if (rx->have_done && ssrc == rx->done_ssrc) {
		/* A retransmission of the event that ended (its end copies, or a redundant copy
		 * in a later packet), or a block older than the event we know of from this source
		 * (serial order of timestamps). */
		if ((ts == rx->done_ts && ev->event == rx->done_event) ||
		    (int32_t)(ts - rx->done_ts) < 0) {
			rx->ignored++;
			return;
		}
		/* A later segment of the long event whose end was inferred (silence): it stays
		 * ended; remember the segment so its packets are known. */
		if (!rx->active && !marker && ev->event == rx->done_event &&
		    rx_segments_after(rx->done_ts, ts)) {
			rx->done_ts = ts;
			rx->segments++;
			rx->ignored++;
			return;
		}
	}
	if (rx->active && ssrc == rx->ssrc) {
		if (!marker && ev->event == rx->event &&
		    (k = rx_segments_after(rx->seg_ts, ts)) != 0) {
			/* RFC 4733 2.5.1.3: the next segment of a long event; segments lost in
			 * between were full. */
			rx->seg_base += k * PC_DTMF_DURATION_MAX;
			rx->seg_ts = ts;
			rx->duration = 0;
			rx->segments++;
		}
		if ((int32_t)(ts - rx->seg_ts) < 0) {
			rx->ignored++; /* late: an earlier segment */
			return;
		}
		if (ts == rx->seg_ts && ev->event == rx->event) {
			if (ev->duration > rx->duration)
				rx->duration = ev->duration;
			rx->last_ns = now_ns;
			if (ev->end)
				rx_finish(rx, &out[(*n)++], false);
			return;
		}
	}
	/* Another event: the current one, if any, ended without its end packets. */
	if (rx->active)
		rx_finish(rx, &out[(*n)++], true);
	rx->active = 1;
	rx->ssrc = ssrc;
	rx->ts = ts;
	rx->seg_ts = ts;
	rx->seg_base = 0;
	rx->duration = ev->duration;
	rx->event = ev->event;
	rx->volume = ev->volume;
	rx->last_ns = now_ns;
	rx->events++;
	rx_report(rx, &out[(*n)++], PC_DTMF_RX_STARTED, false);
	if (ev->end)
		rx_finish(rx, &out[(*n)++], false); /* its start was lost: all in one */
}

int pc_dtmf_rx_input_rtp(struct pc_dtmf_rx *rx, uint32_t ssrc, uint32_t ts, bool marker,
			 const uint8_t *payload, size_t len, uint64_t now_ns,
			 struct pc_dtmf_rx_event *out)
{
	size_t blocks = len / PC_DTMF_PAYLOAD_LEN;
	uint32_t start = ts;
	int n = 0;

	if (blocks == 0 || len % PC_DTMF_PAYLOAD_LEN)
		return -EBADMSG;
	if (blocks > PC_DTMF_RX_BLOCKS_MAX) {
		rx->blocks_dropped += (uint32_t)(blocks - PC_DTMF_RX_BLOCKS_MAX);
		blocks = PC_DTMF_RX_BLOCKS_MAX;
	}
	for (size_t i = 0; i < blocks; i++) {
		struct pc_dtmf_payload ev;

		(void)pc_dtmf_decode(payload + PC_DTMF_PAYLOAD_LEN * i, PC_DTMF_PAYLOAD_LEN, &ev);
		/* RFC 4733 2.5.1.5: events in one packet are consecutive; each starts where the
		 * one before ended. */
		rx_block(rx, ssrc, start, marker, &ev, now_ns, out, &n);
		start += ev.duration;
	}
	return n;
}

int pc_dtmf_rx_input(struct pc_dtmf_rx *rx, uint32_t ssrc, uint32_t ts, const uint8_t *payload,
		     size_t len, uint64_t now_ns, struct pc_dtmf_rx_event *out)
{
	return pc_dtmf_rx_input_rtp(rx, ssrc, ts, false, payload, len, now_ns, out);
}

int pc_dtmf_rx_poll(struct pc_dtmf_rx *rx, uint64_t now_ns, struct pc_dtmf_rx_event *out)
{
	if (!rx->active || now_ns - rx->last_ns < rx->timeout_ns)
		return 0;
	rx_finish(rx, out, true);
	return 1;
}
