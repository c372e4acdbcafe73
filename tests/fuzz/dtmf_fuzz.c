/* SPDX-License-Identifier: MIT */
/*
 * dtmf_fuzz.c - libFuzzer target for the RFC 4733 telephone-event code of
 * fastpath/dtmf/pc_dtmf.h: the payload decoder, the receiver and the sender.
 *
 * Notes on running it:
 *   - Built from tests/fuzz/dtmf.cmake (clang): fuzz_dtmf, CTest test fuzz/dtmf.
 *     By hand: clang -g -O1 -fsanitize=fuzzer,address,undefined -Ifastpath/dtmf \
 *         tests/fuzz/dtmf_fuzz.c fastpath/dtmf/dtmf.c -o /tmp/dtmf_fuzz
 *   - Longer: `./dtmf_fuzz -max_total_time=600 corpus/`; replay a crash with
 *     `./dtmf_fuzz crash-<sha1>`.
 *
 * The input, from a buffer of exactly its length, is used three ways:
 *   1. As a payload: pc_dtmf_decode() takes 4 bytes or more (-EBADMSG below), and encoding
 *      what it read gives the same 4 bytes but for the R bit.
 *   2. As a stream of telephone-event packets (records of SSRC choice, marker and block
 *      count, timestamp step, the payload bytes (4, or several blocks running on into the
 *      next records), arrival step; a zero arrival step polls for the timeout): whatever
 *      comes, the receiver's reports alternate per event: STARTED when none is open,
 *      ENDED only for the open one, with its SSRC, timestamp and event, a duration no shorter
 *      than at its start; at most PC_DTMF_RX_EVENTS_MAX reports a packet.
 *   3. As a script for the sender (start with a length, stop, ticks): one timestamp per
 *      segment, the marker on the first packet only, durations growing within a segment and
 *      never above 0xFFFF, exactly three end copies, then idle; and a receiver fed what it
 *      sends reports each event once, ended (not inferred) with the duration sent.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pc_dtmf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		abort();
}

static void fuzz_payload(const uint8_t *b, size_t len)
{
	struct pc_dtmf_payload ev;
	uint8_t out[4];
	int rc = pc_dtmf_decode(b, len, &ev);

	check(rc == (len < 4 ? -EBADMSG : 0));
	if (rc < 0)
		return;
	check(ev.volume <= 63 && ev.end <= 1);
	check(pc_dtmf_encode(out, sizeof(out), &ev) == 4);
	check(out[0] == b[0] && out[1] == (b[1] & 0xbf) && out[2] == b[2] && out[3] == b[3]);
	if (ev.event <= PC_DTMF_EVENT_FLASH)
		check(pc_dtmf_event_from_char(pc_dtmf_event_to_char(ev.event)) == ev.event);
	else
		check(pc_dtmf_event_to_char(ev.event) == '\0');
}

/* What a consumer of the receiver's reports sees. */
struct tracker {
	bool open;
	struct pc_dtmf_rx_event started;
};

static void track(struct tracker *t, const struct pc_dtmf_rx_event *e)
{
	if (e->kind == PC_DTMF_RX_STARTED) {
		check(!t->open);
		check(e->inferred == 0);
		t->open = true;
		t->started = *e;
		return;
	}
	check(e->kind == PC_DTMF_RX_ENDED);
	check(t->open);
	check(e->ssrc == t->started.ssrc && e->ts == t->started.ts);
	check(e->event == t->started.event);
	check(e->duration >= t->started.duration);
	t->open = false;
}

static void fuzz_rx(const uint8_t *b, size_t len)
{
	struct pc_dtmf_rx rx;
	struct pc_dtmf_rx_event out[PC_DTMF_RX_EVENTS_MAX];
	struct tracker t = { 0 };
	uint32_t ts = 0;
	uint64_t now = 0;

	pc_dtmf_rx_init(&rx, 100000000);
	for (size_t off = 0; off + 8 <= len; off += 8) {
		const uint8_t *r = b + off;
		uint32_t ssrc = r[0] & 3;
		int n;

		/* Timestamps mostly step forward, sometimes back, sometimes by 0xFFFF. */
		if (r[1] == 0xff)
			ts += 0xffff;
		else
			ts += (uint32_t)(int8_t)r[1] * 160;
		now += (uint64_t)r[7] * 4000000u;
		if (r[7] == 0) {
			n = pc_dtmf_rx_poll(&rx, now + 1000000000u, out);
			check(n == 0 || n == 1);
			if (n)
				check(out[0].inferred == 1);
		} else {
			/* Bit 2: the marker; bit 3: several blocks (RFC 4733 2.5.1.5), read on
			 * into the next records. */
			size_t plen = 4;

			if (r[0] & 8) {
				plen = 4u * (1u + (r[0] >> 4));
				if (plen > len - off - 2)
					plen = (len - off - 2) / 4 * 4;
			}
			n = pc_dtmf_rx_input_rtp(&rx, ssrc, ts, r[0] & 4, r + 2, plen, now, out);
			check(n >= 0 && n <= (int)PC_DTMF_RX_EVENTS_MAX);
		}
		for (int i = 0; i < n; i++)
			track(&t, &out[i]);
		check(t.open == (rx.active != 0));
	}
}

static void fuzz_tx(const uint8_t *b, size_t len)
{
	struct pc_dtmf_tx tx;
	struct pc_dtmf_tx_pkt pkt;
	struct pc_dtmf_rx rx;
	struct pc_dtmf_rx_event out[PC_DTMF_RX_EVENTS_MAX];
	struct tracker t = { 0 };
	uint32_t ts = 1000, tick, seg_ts = 0, total = 0, seg_total = 0;
	uint16_t last_dur = 0;
	unsigned ends = 0, pkts = 0, ended = 0, started = 0;
	uint64_t now = 0;

	if (len < 2)
		return;
	tick = 1u + (uint32_t)(b[0] << 8 | b[1]) % 0xffffu;
	check(pc_dtmf_tx_init(&tx, tick) == 0);
	pc_dtmf_rx_init(&rx, 0);
	for (size_t off = 2; off < len; off++) {
		uint8_t op = b[off];

		if (op < 16) {
			/* Start an event lasting op * 3 ticks (0: until stopped). */
			bool was_busy = pc_dtmf_tx_busy(&tx);
			int rc = pc_dtmf_tx_start(&tx, op, (uint8_t)(op * 4), ts, op * 3u * tick);

			check(rc == (was_busy ? -EBUSY : 0));
			if (rc == 0) {
				seg_ts = ts;
				total = seg_total = 0;
				last_dur = 0;
				ends = pkts = 0;
			}
			continue;
		}
		if (op < 32) {
			int rc = pc_dtmf_tx_stop(&tx);

			check(rc == 0 || rc == -EALREADY);
			continue;
		}
		/* A tick. */
		bool busy = pc_dtmf_tx_busy(&tx);
		int n = pc_dtmf_tx_tick(&tx, &pkt);

		check(n == (busy ? 1 : 0));
		ts += tick;
		now += 20000000;
		if (n == 0)
			continue;
		check(pkt.marker == (pkts == 0));
		pkts++;
		if (pkt.ts != seg_ts) {
			/* A new segment: 0xFFFF after the one before, which reached 0xFFFF. */
			check(pkt.ts == seg_ts + 0xffffu && last_dur == 0xffff);
			seg_ts = pkt.ts;
			seg_total += 0xffff;
			last_dur = 0;
		}
		/* Within a segment the duration grows; the end copies repeat the last. */
		check(pkt.duration >= last_dur);
		if (pkt.end && ends > 0)
			check(pkt.duration == last_dur);
		last_dur = pkt.duration;
		total = seg_total + pkt.duration;
		if (pkt.end) {
			ends++;
			check(ends <= 3 && pkt.last == (ends == 3));
		} else {
			check(ends == 0 && !pkt.last);
		}
		int k = pc_dtmf_rx_input(&rx, 0x77, pkt.ts, pkt.payload, 4, now, out);
		check(k >= 0);
		for (int i = 0; i < k; i++) {
			track(&t, &out[i]);
			if (out[i].kind == PC_DTMF_RX_STARTED) {
				started++;
				continue;
			}
			/* Every event sent is heard ending, with the duration sent. */
			check(out[i].inferred == 0 && pkt.end && out[i].duration == total);
			ended++;
		}
		if (pkt.last)
			check(!pc_dtmf_tx_busy(&tx) && ended == started && !t.open);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *b = malloc(size ? size : 1);

	if (b == NULL)
		return 0;
	if (size)
		memcpy(b, data, size);
	fuzz_payload(b, size);
	fuzz_rx(b, size);
	fuzz_tx(b, size);
	check(size == 0 || memcmp(b, data, size) == 0);
	free(b);
	return 0;
}
