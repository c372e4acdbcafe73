/* SPDX-License-Identifier: MIT */
/*
 * dtmf_test.c - RFC 4733 telephone-events of pc_dtmf.h: the payload codec on known bytes, the
 * key mapping, the sender's packet sequence (marker, one timestamp, growing duration, the end
 * sent three times, an event stopped early, a long event split into 0xFFFF segments), and the
 * receiver (one "started" and one "ended" per event, duplicates and retransmissions ignored,
 * the end inferred when end packets are lost, a start inferred when the first ones are;
 * several events in one packet, redundant copies of earlier events, long events across
 * segments, lost segments and the marker bit).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pc_dtmf.h"

#define PC_TEST_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define PC_TEST_MS 1000000ull

/* --- payload --------------------------------------------------------------------------------- */

Test(dtmf, decode_known_payload)
{
	/* Given digit 5, E set, volume 10, duration 800 (RFC 4733 2.3) */
	static const uint8_t bytes[] = { 0x05, 0x8a, 0x03, 0x20 };
	struct pc_dtmf_payload ev;
	uint8_t *p = malloc(4);

	cr_assert_not_null(p);
	memcpy(p, bytes, 4);
	/* When decoded from exactly 4 bytes / Then every field */
	cr_assert_eq(pc_dtmf_decode(p, 4, &ev), 0);
	cr_assert_eq(ev.event, 5);
	cr_assert_eq(ev.end, 1);
	cr_assert_eq(ev.volume, 10);
	cr_assert_eq(ev.duration, 800);
	/* And the R bit is ignored */
	p[1] = 0xca;
	cr_assert_eq(pc_dtmf_decode(p, 4, &ev), 0);
	cr_assert_eq(ev.end, 1);
	cr_assert_eq(ev.volume, 10);
	/* And fewer than 4 bytes are refused */
	for (size_t len = 0; len < 4; len++)
		cr_assert_eq(pc_dtmf_decode(p, len, &ev), -EBADMSG, "len %zu", len);
	free(p);
}

Test(dtmf, encode_round_trips_every_event)
{
	uint8_t buf[4];
	struct pc_dtmf_payload in = { 0 }, out;

	/* Given events 0-16 with varied E, volume and duration / Then encode -> decode is the
	 * identity, and the R bit is sent as 0 */
	for (unsigned e = 0; e <= PC_DTMF_EVENT_FLASH; e++) {
		in.event = (uint8_t)e;
		in.end = e & 1;
		in.volume = (uint8_t)(e * 3);
		in.duration = (uint16_t)(e * 4001);
		cr_assert_eq(pc_dtmf_encode(buf, sizeof(buf), &in), 4);
		cr_assert_eq(buf[1] & 0x40, 0);
		cr_assert_eq(pc_dtmf_decode(buf, sizeof(buf), &out), 0);
		cr_assert_eq(out.event, in.event);
		cr_assert_eq(out.end, in.end);
		cr_assert_eq(out.volume, in.volume);
		cr_assert_eq(out.duration, in.duration);
	}
	/* And the bytes of a known one */
	in = (struct pc_dtmf_payload){ .event = 11, .end = 1, .volume = 63, .duration = 0xffff };
	cr_assert_eq(pc_dtmf_encode(buf, sizeof(buf), &in), 4);
	cr_assert_eq(memcmp(buf, "\x0b\xbf\xff\xff", 4), 0);
	/* And a volume above 63 or a short buffer is refused */
	in.volume = 64;
	cr_assert_eq(pc_dtmf_encode(buf, sizeof(buf), &in), -EINVAL);
	in.volume = 1;
	cr_assert_eq(pc_dtmf_encode(buf, 3, &in), -ENOSPC);
}

Test(dtmf, keys_and_events)
{
	static const char keys[] = "0123456789*#ABCD";

	for (int i = 0; i < 16; i++) {
		cr_assert_eq(pc_dtmf_event_from_char(keys[i]), i, "key %c", keys[i]);
		cr_assert_eq(pc_dtmf_event_to_char((unsigned)i), keys[i]);
	}
	cr_assert_eq(pc_dtmf_event_from_char('a'), 12);
	cr_assert_eq(pc_dtmf_event_from_char('d'), 15);
	cr_assert_eq(pc_dtmf_event_from_char('!'), PC_DTMF_EVENT_FLASH);
	cr_assert_eq(pc_dtmf_event_from_char('F'), PC_DTMF_EVENT_FLASH);
	cr_assert_eq(pc_dtmf_event_to_char(PC_DTMF_EVENT_FLASH), '!');
	cr_assert_eq(pc_dtmf_event_from_char('E'), -EINVAL);
	cr_assert_eq(pc_dtmf_event_from_char('\0'), -EINVAL);
	cr_assert_eq(pc_dtmf_event_to_char(17), '\0');
	cr_assert_eq(pc_dtmf_event_to_char(255), '\0');
}

/* --- sender ---------------------------------------------------------------------------------- */

/* Run @tx to idle, at most @max packets into @pkts; returns how many. */
static unsigned pc_test_drain(struct pc_dtmf_tx *tx, struct pc_dtmf_tx_pkt *pkts, unsigned max)
{
	unsigned n = 0;

	while (n < max && pc_dtmf_tx_tick(tx, &pkts[n]) == 1)
		n++;
	cr_assert(!pc_dtmf_tx_busy(tx), "still busy after %u packets", n);
	return n;
}

Test(dtmf, sender_full_event_with_end_sent_thrice)
{
	/* Given 20 ms packets at 8 kHz (160 units) and digit 5 at volume 10 for 100 ms (800) */
	struct pc_dtmf_tx tx;
	struct pc_dtmf_tx_pkt pkts[16];
	static const uint16_t durations[] = { 160, 320, 480, 640, 800, 800, 800 };
	struct pc_dtmf_payload ev;
	unsigned n;

	cr_assert_eq(pc_dtmf_tx_init(&tx, 160), 0);
	cr_assert_eq(pc_dtmf_tx_tick(&tx, &pkts[0]), 0, "idle: nothing to send");
	cr_assert_eq(pc_dtmf_tx_start(&tx, 5, 10, 48000, 800), 0);

	/* When ticked to the end */
	n = pc_test_drain(&tx, pkts, 16);

	/* Then 4 growing packets, then the end (duration 800) three times; all at timestamp
	 * 48000; the marker on the first only; "last" on the third end copy */
	cr_assert_eq(n, 7);
	for (unsigned i = 0; i < n; i++) {
		cr_assert_eq(pkts[i].ts, 48000, "packet %u", i);
		cr_assert_eq(pkts[i].marker, i == 0, "packet %u", i);
		cr_assert_eq(pkts[i].end, i >= 4, "packet %u", i);
		cr_assert_eq(pkts[i].last, i == 6, "packet %u", i);
		cr_assert_eq(pkts[i].duration, durations[i], "packet %u", i);
		cr_assert_eq(pc_dtmf_decode(pkts[i].payload, 4, &ev), 0);
		cr_assert_eq(ev.event, 5);
		cr_assert_eq(ev.volume, 10);
		cr_assert_eq(ev.end, pkts[i].end);
		cr_assert_eq(ev.duration, durations[i]);
	}
	cr_assert_eq(memcmp(pkts[4].payload, "\x05\x8a\x03\x20", 4), 0);
	/* And idle again: a new event may start */
	cr_assert_eq(pc_dtmf_tx_tick(&tx, &pkts[0]), 0);
	cr_assert_eq(pc_dtmf_tx_start(&tx, 6, 10, 60000, 160), 0);
}

Test(dtmf, sender_duration_rounds_up_to_ticks)
{
	struct pc_dtmf_tx tx;
	struct pc_dtmf_tx_pkt pkts[8];

	/* Given 90 units with a tick of 160 / Then one packet, marker and E, sent thrice */
	cr_assert_eq(pc_dtmf_tx_init(&tx, 160), 0);
	cr_assert_eq(pc_dtmf_tx_start(&tx, 1, 0, 0, 90), 0);
	cr_assert_eq(pc_test_drain(&tx, pkts, 8), 3);
	cr_assert_eq(pkts[0].marker, 1);
	cr_assert_eq(pkts[0].end, 1);
	cr_assert_eq(pkts[0].duration, 160);
	cr_assert_eq(pkts[1].marker, 0);
	cr_assert_eq(pkts[2].duration, 160);
}

Test(dtmf, sender_stop_ends_an_open_event)
{
	struct pc_dtmf_tx tx;
	struct pc_dtmf_tx_pkt pkts[8];

	/* Given an open-ended '#' (no duration) after 3 ticks */
	cr_assert_eq(pc_dtmf_tx_init(&tx, 400), 0);
	cr_assert_eq(pc_dtmf_tx_start(&tx, PC_DTMF_EVENT_POUND, 7, 1000, 0), 0);
	for (unsigned i = 0; i < 3; i++)
		cr_assert_eq(pc_dtmf_tx_tick(&tx, &pkts[i]), 1);
	cr_assert_eq(pkts[2].duration, 1200);
	cr_assert_eq(pc_dtmf_tx_start(&tx, 1, 7, 5000, 0), -EBUSY);

	/* When stopped / Then the end with the duration reached (1200), three times */
	cr_assert_eq(pc_dtmf_tx_stop(&tx), 0);
	cr_assert_eq(pc_dtmf_tx_stop(&tx), 0, "stopping twice before the next tick is harmless");
	cr_assert_eq(pc_dtmf_tx_start(&tx, 1, 7, 5000, 0), -EBUSY);
	cr_assert_eq(pc_test_drain(&tx, pkts, 8), 3);
	for (unsigned i = 0; i < 3; i++) {
		cr_assert_eq(pkts[i].end, 1);
		cr_assert_eq(pkts[i].duration, 1200);
		cr_assert_eq(pkts[i].ts, 1000);
		cr_assert_eq(pkts[i].marker, 0);
	}
	cr_assert_eq(pc_dtmf_tx_stop(&tx), -EALREADY);
}

Test(dtmf, sender_stop_before_the_first_packet)
{
	struct pc_dtmf_tx tx;
	struct pc_dtmf_tx_pkt pkts[8];

	/* Given an event stopped before any tick / Then one tick long: M and E on the first */
	cr_assert_eq(pc_dtmf_tx_init(&tx, 160), 0);
	cr_assert_eq(pc_dtmf_tx_start(&tx, 0, 0, 0, 0), 0);
	cr_assert_eq(pc_dtmf_tx_stop(&tx), 0);
	cr_assert_eq(pc_test_drain(&tx, pkts, 8), 3);
	cr_assert_eq(pkts[0].marker, 1);
	cr_assert_eq(pkts[0].end, 1);
	cr_assert_eq(pkts[0].duration, 160);
}

Test(dtmf, sender_rejects_bad_arguments)
{
	struct pc_dtmf_tx tx;

	cr_assert_eq(pc_dtmf_tx_init(&tx, 0), -EINVAL);
	cr_assert_eq(pc_dtmf_tx_init(&tx, 0x10000), -EINVAL);
	cr_assert_eq(pc_dtmf_tx_init(&tx, 160), 0);
	cr_assert_eq(pc_dtmf_tx_start(&tx, 1, 64, 0, 0), -EINVAL);
	cr_assert_eq(pc_dtmf_tx_start(&tx, 1, 0, 0, UINT32_MAX), -EINVAL);
	cr_assert_eq(pc_dtmf_tx_stop(&tx), -EALREADY);
}

/* Feed every packet of @pkts to @rx, 20 ms apart from @t0; collect its reports into @ev
 * (@max); returns how many. */
static unsigned pc_test_rx_feed(struct pc_dtmf_rx *rx, uint32_t ssrc,
				const struct pc_dtmf_tx_pkt *pkts, unsigned n, uint64_t t0,
				struct pc_dtmf_rx_event *ev, unsigned max)
{
	unsigned got = 0;

	for (unsigned i = 0; i < n; i++) {
		struct pc_dtmf_rx_event out[PC_DTMF_RX_EVENTS_MAX];
		int k = pc_dtmf_rx_input(rx, ssrc, pkts[i].ts, pkts[i].payload, 4,
					 t0 + i * 20 * PC_TEST_MS, out);

		cr_assert_geq(k, 0);
		for (int j = 0; j < k; j++) {
			cr_assert_lt(got, max);
			ev[got++] = out[j];
		}
	}
	return got;
}

Test(dtmf, sender_long_event_split_into_segments)
{
	/* Given 1 s packets at 8 kHz (8000 units) and an event of 17 s (136000 units): more than
	 * twice 0xFFFF */
	struct pc_dtmf_tx tx;
	struct pc_dtmf_tx_pkt pkts[32];
	struct pc_dtmf_rx rx;
	struct pc_dtmf_rx_event ev[8];
	unsigned n, segs = 0;

	cr_assert_eq(pc_dtmf_tx_init(&tx, 8000), 0);
	cr_assert_eq(pc_dtmf_tx_start(&tx, 9, 5, 0xffff0000u, 136000), 0);

	/* When ticked to the end */
	n = pc_test_drain(&tx, pkts, 32);

	/* Then (RFC 4733 2.5.1.3) packets 1-8 grow to 64000; packet 9 closes the first
	 * segment at 0xFFFF without E; the second segment, 0xFFFF later, grows from 14465
	 * (72000 - 65535) and closes at 0xFFFF at packet 17; the third ends at 4930 (136000 -
	 * 131070), three times. The marker only on the very first packet. */
	cr_assert_eq(n, 17 + 1 + 2);
	for (unsigned i = 0; i < n; i++) {
		uint32_t seg_ts = 0xffff0000u + 0xffffu * (i < 8 ? 0 : i < 16 ? 1 : 2);

		if (i == 8 || i == 16) {
			segs++;
			cr_assert_eq(pkts[i].duration, 0xffff, "packet %u", i);
			cr_assert_eq(pkts[i].end, 0, "packet %u", i);
			seg_ts -= 0xffffu; /* still the segment it closes */
		}
		cr_assert_eq(pkts[i].ts, seg_ts, "packet %u ts %u", i, pkts[i].ts);
		cr_assert_eq(pkts[i].marker, i == 0, "packet %u", i);
	}
	cr_assert_eq(segs, 2);
	cr_assert_eq(pkts[7].duration, 64000);
	cr_assert_eq(pkts[9].duration, 72000 - 65535 + 8000);
	cr_assert_eq(pkts[17].end, 1);
	cr_assert_eq(pkts[17].duration, 136000 - 2 * 65535);
	cr_assert_eq(pkts[19].duration, 136000 - 2 * 65535);

	/* And a receiver sees one event lasting 136000 */
	pc_dtmf_rx_init(&rx, 0);
	cr_assert_eq(pc_test_rx_feed(&rx, 7, pkts, n, 0, ev, 8), 2);
	cr_assert_eq(ev[0].kind, PC_DTMF_RX_STARTED);
	cr_assert_eq(ev[0].ts, 0xffff0000u);
	cr_assert_eq(ev[1].kind, PC_DTMF_RX_ENDED);
	cr_assert_eq(ev[1].duration, 136000);
	cr_assert_eq(ev[1].inferred, 0);
	cr_assert_eq(ev[1].ts, 0xffff0000u);
}

/* --- receiver -------------------------------------------------------------------------------- */

/* The packets of digit @event at @ts over @ticks ticks of 160 units (end copies included). */
static unsigned pc_test_event(uint8_t event, uint32_t ts, uint32_t ticks,
			      struct pc_dtmf_tx_pkt *pkts, unsigned max)
{
	struct pc_dtmf_tx tx;

	cr_assert_eq(pc_dtmf_tx_init(&tx, 160), 0);
	cr_assert_eq(pc_dtmf_tx_start(&tx, event, 10, ts, ticks * 160), 0);
	return pc_test_drain(&tx, pkts, max);
}

Test(dtmf, receiver_reports_start_and_end_once)
{
	struct pc_dtmf_tx_pkt pkts[16];
	struct pc_dtmf_rx rx;
	struct pc_dtmf_rx_event ev[8];
	unsigned n = pc_test_event(5, 1000, 5, pkts, 16);

	/* Given the 7 packets of a 100 ms '5' / When received */
	pc_dtmf_rx_init(&rx, 0);
	cr_assert_eq(pc_test_rx_feed(&rx, 0x42, pkts, n, 0, ev, 8), 2);

	/* Then one start (event, volume, timestamp) and one end with the final duration; the
	 * 2 other end copies are ignored */
	cr_assert_eq(ev[0].kind, PC_DTMF_RX_STARTED);
	cr_assert_eq(ev[0].event, 5);
	cr_assert_eq(ev[0].volume, 10);
	cr_assert_eq(ev[0].ssrc, 0x42);
	cr_assert_eq(ev[0].ts, 1000);
	cr_assert_eq(ev[0].duration, 160);
	cr_assert_eq(ev[1].kind, PC_DTMF_RX_ENDED);
	cr_assert_eq(ev[1].duration, 800);
	cr_assert_eq(ev[1].inferred, 0);
	cr_assert_eq(rx.ignored, 2);
	cr_assert_eq(rx.events, 1);

	/* And the whole event again (a retransmission) tells nothing, nor does a timeout */
	cr_assert_eq(pc_test_rx_feed(&rx, 0x42, pkts, n, 200 * PC_TEST_MS, ev, 8), 0);
	cr_assert_eq(pc_dtmf_rx_poll(&rx, 10000 * PC_TEST_MS, ev), 0);
}

Test(dtmf, receiver_duplicates_and_reordering)
{
	struct pc_dtmf_tx_pkt pkts[16], mixed[16];
	struct pc_dtmf_rx rx;
	struct pc_dtmf_rx_event ev[8];

	/* Given the packets of a 5-tick event delivered as 0, 0, 2, 1, 3, 3, 4(end), 4 */
	pc_test_event(3, 500, 5, pkts, 16);
	static const unsigned order[] = { 0, 0, 2, 1, 3, 3, 4, 4 };
	for (unsigned i = 0; i < PC_TEST_ARRAY_LEN(order); i++)
		mixed[i] = pkts[order[i]];

	/* When received / Then one start, one end with 800: a late shorter duration does not
	 * shorten it */
	pc_dtmf_rx_init(&rx, 0);
	cr_assert_eq(pc_test_rx_feed(&rx, 1, mixed, PC_TEST_ARRAY_LEN(order), 0, ev, 8), 2);
	cr_assert_eq(ev[0].kind, PC_DTMF_RX_STARTED);
	cr_assert_eq(ev[1].kind, PC_DTMF_RX_ENDED);
	cr_assert_eq(ev[1].duration, 800);
}

Test(dtmf, receiver_lost_start_packets)
{
	struct pc_dtmf_tx_pkt pkts[16];
	struct pc_dtmf_rx rx;
	struct pc_dtmf_rx_event ev[8];
	unsigned n = pc_test_event(7, 3000, 5, pkts, 16);

	/* Given the first two packets lost (the marker among them) / When the rest come */
	pc_dtmf_rx_init(&rx, 0);
	cr_assert_eq(pc_test_rx_feed(&rx, 1, pkts + 2, n - 2, 0, ev, 8), 2);

	/* Then the start is reported at the first packet seen, with the event's timestamp */
	cr_assert_eq(ev[0].kind, PC_DTMF_RX_STARTED);
	cr_assert_eq(ev[0].ts, 3000);
	cr_assert_eq(ev[0].duration, 480);
	cr_assert_eq(ev[1].kind, PC_DTMF_RX_ENDED);
	cr_assert_eq(ev[1].duration, 800);

	/* Given only an end copy of another event / Then started and ended at once */
	n = pc_test_event(8, 9000, 2, pkts, 16);
	cr_assert_eq(pc_test_rx_feed(&rx, 1, pkts + n - 1, 1, 0, ev, 8), 2);
	cr_assert_eq(ev[0].kind, PC_DTMF_RX_STARTED);
	cr_assert_eq(ev[0].event, 8);
	cr_assert_eq(ev[1].kind, PC_DTMF_RX_ENDED);
	cr_assert_eq(ev[1].duration, 320);
	cr_assert_eq(ev[1].inferred, 0);
}

Test(dtmf, receiver_end_lost_then_new_event)
{
	struct pc_dtmf_tx_pkt a[16], b[16];
	struct pc_dtmf_rx rx;
	struct pc_dtmf_rx_event ev[8];
	unsigned nb;

	/* Given '1' whose three end copies are all lost, then '2' at a later timestamp */
	pc_test_event(1, 1000, 5, a, 16);
	nb = pc_test_event(2, 3000, 3, b, 16);
	pc_dtmf_rx_init(&rx, 0);
	cr_assert_eq(pc_test_rx_feed(&rx, 1, a, 4, 0, ev, 8), 1);
	cr_assert_eq(ev[0].kind, PC_DTMF_RX_STARTED);

	/* When the first packet of '2' comes / Then '1' ends (inferred, at the longest duration
	 * seen: 640) and '2' starts, in that order */
	cr_assert_eq(pc_test_rx_feed(&rx, 1, b, 1, 100 * PC_TEST_MS, ev, 8), 2);
	cr_assert_eq(ev[0].kind, PC_DTMF_RX_ENDED);
	cr_assert_eq(ev[0].event, 1);
	cr_assert_eq(ev[0].duration, 640);
	cr_assert_eq(ev[0].inferred, 1);
	cr_assert_eq(ev[1].kind, PC_DTMF_RX_STARTED);
	cr_assert_eq(ev[1].event, 2);
	cr_assert_eq(rx.inferred_ends, 1);

	/* And a late end copy of '1' then is ignored */
	cr_assert_eq(pc_test_rx_feed(&rx, 1, a + 4, 1, 120 * PC_TEST_MS, ev, 8), 0);
	/* And '2' finishes normally */
	cr_assert_eq(pc_test_rx_feed(&rx, 1, b + 1, nb - 1, 140 * PC_TEST_MS, ev, 8), 1);
	cr_assert_eq(ev[0].kind, PC_DTMF_RX_ENDED);
	cr_assert_eq(ev[0].duration, 480);
	cr_assert_eq(ev[0].inferred, 0);
}

Test(dtmf, receiver_end_inferred_by_silence)
{
	struct pc_dtmf_tx_pkt pkts[16];
	struct pc_dtmf_rx rx;
	struct pc_dtmf_rx_event ev[8];
	unsigned n = pc_test_event(4, 1000, 5, pkts, 16);

	/* Given the 3 first packets (the last at 40 ms), then silence; a 200 ms timeout */
	pc_dtmf_rx_init(&rx, 200 * PC_TEST_MS);
	cr_assert_eq(pc_test_rx_feed(&rx, 1, pkts, 3, 0, ev, 8), 1);

	/* When polled before the timeout / Then nothing */
	cr_assert_eq(pc_dtmf_rx_poll(&rx, 239 * PC_TEST_MS, ev), 0);
	/* When polled at 240 ms / Then the end, inferred, with 480 */
	cr_assert_eq(pc_dtmf_rx_poll(&rx, 240 * PC_TEST_MS, ev), 1);
	cr_assert_eq(ev[0].kind, PC_DTMF_RX_ENDED);
	cr_assert_eq(ev[0].duration, 480);
	cr_assert_eq(ev[0].inferred, 1);
	cr_assert_eq(pc_dtmf_rx_poll(&rx, 999 * PC_TEST_MS, ev), 0);

	/* And the late rest of the event (end copies included) is ignored: no second end */
	cr_assert_eq(pc_test_rx_feed(&rx, 1, pkts + 3, n - 3, 300 * PC_TEST_MS, ev, 8), 0);
	cr_assert_eq(rx.ignored, n - 3);
}

Test(dtmf, receiver_new_ssrc_and_old_packets)
{
	struct pc_dtmf_tx_pkt a[16], b[16], c[16];
	struct pc_dtmf_rx rx;
	struct pc_dtmf_rx_event ev[8];

	pc_test_event(1, 5000, 5, a, 16);
	pc_test_event(1, 9000, 5, b, 16);
	pc_test_event(6, 2000, 5, c, 16);
	pc_dtmf_rx_init(&rx, 0);

	/* Given '1' going on from SSRC 1 / When SSRC 2 starts '1' (a new source after a
	 * transfer) / Then the first ends inferred and the second starts */
	cr_assert_eq(pc_test_rx_feed(&rx, 1, a, 2, 0, ev, 8), 1);
	cr_assert_eq(pc_test_rx_feed(&rx, 2, b, 1, 0, ev, 8), 2);
	cr_assert_eq(ev[0].kind, PC_DTMF_RX_ENDED);
	cr_assert_eq(ev[0].ssrc, 1);
	cr_assert_eq(ev[0].inferred, 1);
	cr_assert_eq(ev[1].kind, PC_DTMF_RX_STARTED);
	cr_assert_eq(ev[1].ssrc, 2);

	/* Given a packet of SSRC 2 older than its current event (timestamp 2000 < 9000) / Then
	 * ignored */
	cr_assert_eq(pc_test_rx_feed(&rx, 2, c, 1, 0, ev, 8), 0);

	/* Given a bad payload / Then -EBADMSG, nothing changes */
	struct pc_dtmf_rx_event out[PC_DTMF_RX_EVENTS_MAX];
	cr_assert_eq(pc_dtmf_rx_input(&rx, 2, 9000, b[1].payload, 3, 0, out), -EBADMSG);
	cr_assert_eq(rx.active, 1);
}

/* --- several events in a packet, long events, the marker (RFC 4733 2.5.1.3, 2.5.1.5, 2.5.2.3) */

/* Write event blocks {event, end, duration} into @p; returns the payload length. */
static size_t pc_test_blocks(uint8_t *p, const struct pc_dtmf_payload *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		cr_assert_eq(pc_dtmf_encode(p + 4 * i, 4, &b[i]), 4);
	return 4u * n;
}

Test(dtmf, receiver_several_events_in_one_packet)
{
	/* Given one packet at timestamp 1000 with '1' (ended, 800 units), '2' (ended, 800) and
	 * '3' going on (400): RFC 4733 2.5.1.5, consecutive events */
	const struct pc_dtmf_payload b[] = {
		{ .event = 1, .end = 1, .volume = 10, .duration = 800 },
		{ .event = 2, .end = 1, .volume = 10, .duration = 800 },
		{ .event = 3, .volume = 10, .duration = 400 }
	};
	uint8_t buf[16];
	size_t len = pc_test_blocks(buf, b, 3);
	uint8_t *p = malloc(len);
	struct pc_dtmf_rx rx;
	struct pc_dtmf_rx_event out[PC_DTMF_RX_EVENTS_MAX];
	int n;

	cr_assert_not_null(p);
	memcpy(p, buf, len);
	pc_dtmf_rx_init(&rx, 0);

	/* When received */
	n = pc_dtmf_rx_input_rtp(&rx, 7, 1000, true, p, len, 0, out);

	/* Then '1' started and ended at 1000, '2' at 1800, '3' started at 2600, in order */
	cr_assert_eq(n, 5);
	cr_assert_eq(out[0].kind, PC_DTMF_RX_STARTED);
	cr_assert_eq(out[0].event, 1);
	cr_assert_eq(out[0].ts, 1000);
	cr_assert_eq(out[1].kind, PC_DTMF_RX_ENDED);
	cr_assert_eq(out[1].event, 1);
	cr_assert_eq(out[1].duration, 800);
	cr_assert_eq(out[1].inferred, 0);
	cr_assert_eq(out[2].kind, PC_DTMF_RX_STARTED);
	cr_assert_eq(out[2].event, 2);
	cr_assert_eq(out[2].ts, 1800);
	cr_assert_eq(out[3].kind, PC_DTMF_RX_ENDED);
	cr_assert_eq(out[3].event, 2);
	cr_assert_eq(out[4].kind, PC_DTMF_RX_STARTED);
	cr_assert_eq(out[4].event, 3);
	cr_assert_eq(out[4].ts, 2600);
	cr_assert_eq(rx.events, 3);

	/* When the next packet repeats '2' (redundancy) and carries '3' ended at 800, with the
	 * timestamp of its first block (1800) / Then '2' is ignored and '3' ends, once */
	const struct pc_dtmf_payload b2[] = {
		{ .event = 2, .end = 1, .volume = 10, .duration = 800 },
		{ .event = 3, .end = 1, .volume = 10, .duration = 800 }
	};
	len = pc_test_blocks(p, b2, 2);
	n = pc_dtmf_rx_input_rtp(&rx, 7, 1800, false, p, len, 20 * PC_TEST_MS, out);
	cr_assert_eq(n, 1);
	cr_assert_eq(out[0].kind, PC_DTMF_RX_ENDED);
	cr_assert_eq(out[0].event, 3);
	cr_assert_eq(out[0].ts, 2600);
	cr_assert_eq(out[0].duration, 800);
	/* And the same packet again (an end copy) tells nothing */
	cr_assert_eq(pc_dtmf_rx_input_rtp(&rx, 7, 1800, false, p, len, 40 * PC_TEST_MS, out), 0);
	cr_assert_eq(rx.events, 3);
	free(p);
}

Test(dtmf, receiver_blocks_bounded_and_lengths_checked)
{
	/* Given 10 blocks, each a 100-unit ended event of another code */
	struct pc_dtmf_payload b[10];
	uint8_t buf[40];
	struct pc_dtmf_rx rx;
	struct pc_dtmf_rx_event out[PC_DTMF_RX_EVENTS_MAX];

	for (unsigned i = 0; i < 10; i++)
		b[i] = (struct pc_dtmf_payload){ .event = (uint8_t)i, .end = 1, .duration = 100 };
	pc_test_blocks(buf, b, 10);
	pc_dtmf_rx_init(&rx, 0);

	/* When received / Then the first 8 are reported (a start and an end each), 2 counted */
	cr_assert_eq(pc_dtmf_rx_input_rtp(&rx, 1, 0, true, buf, 40, 0, out),
		     (int)(2 * PC_DTMF_RX_BLOCKS_MAX));
	cr_assert_eq(rx.blocks_dropped, 2);
	cr_assert_eq(out[15].event, 7);
	cr_assert_eq(out[15].ts, 700);

	/* And a length that is not a multiple of 4, or 0, is refused with nothing changed */
	cr_assert_eq(pc_dtmf_rx_input_rtp(&rx, 1, 9000, false, buf, 5, 0, out), -EBADMSG);
	cr_assert_eq(pc_dtmf_rx_input_rtp(&rx, 1, 9000, false, buf, 0, 0, out), -EBADMSG);
	cr_assert_eq(rx.events, 8);
}

Test(dtmf, receiver_long_event_with_a_lost_segment)
{
	/* Given a '9' at timestamp 0xfffffff0 (it wraps) in segments of 0xFFFF: packets of the
	 * first, none of the second (lost), then the third ending at 1000 */
	uint8_t p[4];
	struct pc_dtmf_payload b = { .event = 9, .volume = 3, .duration = 8000 };
	struct pc_dtmf_rx rx;
	struct pc_dtmf_rx_event out[PC_DTMF_RX_EVENTS_MAX];
	uint32_t t0 = 0xfffffff0u;

	pc_dtmf_rx_init(&rx, 0);
	pc_test_blocks(p, &b, 1);
	cr_assert_eq(pc_dtmf_rx_input_rtp(&rx, 5, t0, true, p, 4, 0, out), 1);
	b.duration = 0xffff;
	pc_test_blocks(p, &b, 1);
	cr_assert_eq(pc_dtmf_rx_input_rtp(&rx, 5, t0, false, p, 4, 0, out), 0);

	/* When the third segment's packets come (no marker) / Then it is the same event, the
	 * lost segment counted as full: one end with 2 * 0xFFFF + 1000 */
	b.duration = 500;
	pc_test_blocks(p, &b, 1);
	cr_assert_eq(pc_dtmf_rx_input_rtp(&rx, 5, t0 + 2 * 0xffffu, false, p, 4, 0, out), 0);
	b.duration = 1000;
	b.end = 1;
	pc_test_blocks(p, &b, 1);
	cr_assert_eq(pc_dtmf_rx_input_rtp(&rx, 5, t0 + 2 * 0xffffu, false, p, 4, 0, out), 1);
	cr_assert_eq(out[0].kind, PC_DTMF_RX_ENDED);
	cr_assert_eq(out[0].ts, t0);
	cr_assert_eq(out[0].duration, 2 * 0xffffu + 1000);
	cr_assert_eq(out[0].inferred, 0);
	cr_assert_eq(rx.events, 1);
	cr_assert_eq(rx.segments, 1);
	/* And a late packet of the first segment is ignored */
	b.end = 0;
	pc_test_blocks(p, &b, 1);
	cr_assert_eq(pc_dtmf_rx_input_rtp(&rx, 5, t0, false, p, 4, 0, out), 0);
}

Test(dtmf, receiver_marker_starts_a_new_event)
{
	/* Given '5' going on at timestamp 1000 */
	uint8_t p[4];
	struct pc_dtmf_payload b = { .event = 5, .duration = 400 };
	struct pc_dtmf_rx rx;
	struct pc_dtmf_rx_event out[PC_DTMF_RX_EVENTS_MAX];

	pc_dtmf_rx_init(&rx, 0);
	pc_test_blocks(p, &b, 1);
	cr_assert_eq(pc_dtmf_rx_input_rtp(&rx, 5, 1000, true, p, 4, 0, out), 1);

	/* When a '5' comes exactly 0xFFFF later with the marker set / Then it is a new press:
	 * the first ends (inferred) and a second starts, not a second segment */
	cr_assert_eq(pc_dtmf_rx_input_rtp(&rx, 5, 1000 + 0xffffu, true, p, 4, 0, out), 2);
	cr_assert_eq(out[0].kind, PC_DTMF_RX_ENDED);
	cr_assert_eq(out[0].inferred, 1);
	cr_assert_eq(out[0].duration, 400);
	cr_assert_eq(out[1].kind, PC_DTMF_RX_STARTED);
	cr_assert_eq(out[1].ts, 1000 + 0xffffu);
	cr_assert_eq(rx.segments, 0);

	/* And without the marker the same packet would have continued it */
	pc_dtmf_rx_init(&rx, 0);
	cr_assert_eq(pc_dtmf_rx_input_rtp(&rx, 5, 1000, true, p, 4, 0, out), 1);
	cr_assert_eq(pc_dtmf_rx_input_rtp(&rx, 5, 1000 + 0xffffu, false, p, 4, 0, out), 0);
	cr_assert_eq(rx.segments, 1);
}

Test(dtmf, receiver_segment_after_an_inferred_end_is_not_a_new_press)
{
	/* Given a long '0' whose end was inferred by silence (its next segment delayed) */
	uint8_t p[4];
	struct pc_dtmf_payload b = { .event = 0, .duration = 0xffff };
	struct pc_dtmf_rx rx;
	struct pc_dtmf_rx_event out[PC_DTMF_RX_EVENTS_MAX];

	pc_dtmf_rx_init(&rx, 200 * PC_TEST_MS);
	pc_test_blocks(p, &b, 1);
	cr_assert_eq(pc_dtmf_rx_input_rtp(&rx, 5, 0, true, p, 4, 0, out), 1);
	cr_assert_eq(pc_dtmf_rx_poll(&rx, 300 * PC_TEST_MS, out), 1);
	cr_assert_eq(out[0].inferred, 1);

	/* When the next segment's packets and its end come / Then nothing more is reported:
	 * the press was reported started and ended once */
	b.duration = 800;
	pc_test_blocks(p, &b, 1);
	cr_assert_eq(pc_dtmf_rx_input_rtp(&rx, 5, 0xffff, false, p, 4, 400 * PC_TEST_MS, out), 0);
	b.end = 1;
	pc_test_blocks(p, &b, 1);
	cr_assert_eq(pc_dtmf_rx_input_rtp(&rx, 5, 0xffff, false, p, 4, 420 * PC_TEST_MS, out), 0);
	cr_assert_eq(rx.events, 1);
	cr_assert_eq(pc_dtmf_rx_poll(&rx, 2000 * PC_TEST_MS, out), 0);

	/* And a real new '0' after it (marker, later timestamp) is reported */
	b.end = 0;
	pc_test_blocks(p, &b, 1);
	cr_assert_eq(pc_dtmf_rx_input_rtp(&rx, 5, 0xffff + 20000, true, p, 4, 0, out), 1);
	cr_assert_eq(out[0].kind, PC_DTMF_RX_STARTED);
}

Test(dtmf, sender_long_event_through_the_receiver)
{
	/* Given a 20 s event from the sender at 8 kHz, 50 ms packets, its 2nd segment's packets
	 * all lost / When the rest are received / Then one start, one end of 160000 units */
	static struct pc_dtmf_tx_pkt pkts[512];
	struct pc_dtmf_tx tx;
	struct pc_dtmf_rx rx;
	struct pc_dtmf_rx_event out[PC_DTMF_RX_EVENTS_MAX];
	unsigned n, started = 0, ended = 0;
	uint32_t dur = 0;

	cr_assert_eq(pc_dtmf_tx_init(&tx, 400), 0);
	cr_assert_eq(pc_dtmf_tx_start(&tx, 11, 10, 123456, 160000), 0);
	n = pc_test_drain(&tx, pkts, 512);
	cr_assert_lt(n, 512u);
	pc_dtmf_rx_init(&rx, 10000 * PC_TEST_MS);
	for (unsigned i = 0; i < n; i++) {
		int k;

		if (pkts[i].ts == 123456u + 0xffffu)
			continue; /* the second segment */
		k = pc_dtmf_rx_input_rtp(&rx, 9, pkts[i].ts, pkts[i].marker, pkts[i].payload, 4,
					 i * 50 * PC_TEST_MS, out);
		cr_assert_geq(k, 0);
		for (int j = 0; j < k; j++) {
			started += out[j].kind == PC_DTMF_RX_STARTED;
			if (out[j].kind == PC_DTMF_RX_ENDED) {
				ended++;
				dur = out[j].duration;
				cr_assert_eq(out[j].inferred, 0);
			}
		}
	}
	cr_assert_eq(started, 1);
	cr_assert_eq(ended, 1);
	cr_assert_eq(dur, 160000u);
}
