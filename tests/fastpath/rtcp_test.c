/* SPDX-License-Identifier: MIT */
/*
 * rtcp_test.c - the RTCP parser and builder of pc_rtcp.h: every packet type parsed from
 * hand-written bytes (SR, RR, SDES, BYE, APP, generic NACK, PLI, FIR, RFC 3611 XR blocks,
 * and unknown types skipped), malformed compounds rejected, the view's bounds, build -> parse round trips, the
 * writer's order and room checks, NACK expansion and packing, report blocks from the receive
 * statistics, round-trip time (RFC 3550 6.4.1's example), NTP time, and the A.7 transmission
 * interval against values worked out by hand.
 *
 * Every datagram is parsed from a heap copy of exactly its length, so that a read past the
 * end shows under AddressSanitizer.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pc_rtcp.h"

#define PC_TEST_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* One view for the whole suite: it is 3.5 KiB. Criterion runs each test in its own process. */
static struct pc_rtcp_view pc_test_view;
static uint8_t *pc_test_copy;

static void pc_test_free_copy(void)
{
	free(pc_test_copy);
	pc_test_copy = NULL;
}

/* Parse a heap copy of exactly @len bytes; the copy lives until the test ends (the view points
 * into it). */
static int pc_test_parse(const uint8_t *bytes, size_t len, bool reduced)
{
	pc_test_free_copy();
	pc_test_copy = malloc(len ? len : 1);
	cr_assert_not_null(pc_test_copy);
	if (len)
		memcpy(pc_test_copy, bytes, len);
	memset(&pc_test_view, 0xa5, sizeof(pc_test_view));
	return pc_rtcp_parse(pc_test_copy, len, reduced, &pc_test_view);
}

TestSuite(rtcp, .fini = pc_test_free_copy);

/* --- every packet type from hand-written bytes ----------------------------------------------- */

/* SR from 0x11223344 with one report block, then SDES with its CNAME "user@host". */
static const uint8_t pc_test_sr_sdes[] = {
	/* SR: V=2 RC=1, PT 200, length 12 words (52 bytes) */
	0x81, 200, 0x00, 0x0c, 0x11, 0x22, 0x33, 0x44,
	/* NTP 0xe7a1b2c3.80000000, RTP ts 0x00012345, 10 packets, 1600 octets */
	0xe7, 0xa1, 0xb2, 0xc3, 0x80, 0x00, 0x00, 0x00, 0x00, 0x01, 0x23, 0x45, 0x00, 0x00, 0x00,
	0x0a, 0x00, 0x00, 0x06, 0x40,
	/* report block about 0xaabbccdd: fraction 0x40, cumulative lost -2, ext highest 0x1ffff,
	 * jitter 32, LSR 0xa1b2c380, DLSR 0x00018000 (1.5 s) */
	0xaa, 0xbb, 0xcc, 0xdd, 0x40, 0xff, 0xff, 0xfe, 0x00, 0x01, 0xff, 0xff, 0x00, 0x00, 0x00,
	0x20, 0xa1, 0xb2, 0xc3, 0x80, 0x00, 0x01, 0x80, 0x00,
	/* SDES: SC=1, length 4 words: SSRC, CNAME (9 bytes), one null octet */
	0x81, 202, 0x00, 0x04, 0x11, 0x22, 0x33, 0x44, 0x01, 0x09, 'u', 's', 'e', 'r', '@', 'h',
	'o', 's', 't', 0x00
};

Test(rtcp, sr_with_report_block_and_sdes)
{
	const struct pc_rtcp_view *v = &pc_test_view;

	/* Given SR + SDES / When parsed */
	cr_assert_eq(pc_test_parse(pc_test_sr_sdes, sizeof(pc_test_sr_sdes), false), 2);

	/* Then the SR's sender info and block are read field by field */
	cr_assert_eq(v->total, 2);
	cr_assert_eq(v->n_pkts, 2);
	cr_assert_eq(v->unknown, 0);
	cr_assert_eq(v->dropped, 0);
	const struct pc_rtcp_pkt *sr = &v->pkts[0];
	cr_assert_eq(sr->pt, PC_RTCP_SR);
	cr_assert_eq(sr->parsed, 1);
	cr_assert_eq(sr->count, 1);
	cr_assert_eq(sr->len, 52);
	cr_assert_eq(sr->ssrc, 0x11223344u);
	cr_assert_eq(sr->u.sr.ntp, 0xe7a1b2c380000000ull);
	cr_assert_eq(sr->u.sr.rtp_ts, 0x12345);
	cr_assert_eq(sr->u.sr.packets, 10);
	cr_assert_eq(sr->u.sr.octets, 1600);
	cr_assert_eq(sr->n, 1);
	const struct pc_rtcp_rb *rb = &v->rbs[sr->first];
	cr_assert_eq(rb->ssrc, 0xaabbccddu);
	cr_assert_eq(rb->fraction_lost, 0x40);
	cr_assert_eq(rb->cum_lost, -2);
	cr_assert_eq(rb->ext_max_seq, 0x1ffff);
	cr_assert_eq(rb->jitter, 32);
	cr_assert_eq(rb->lsr, 0xa1b2c380u);
	cr_assert_eq(rb->dlsr, 0x18000);

	/* And the SDES's CNAME points into the datagram */
	const struct pc_rtcp_pkt *sdes = &v->pkts[1];
	cr_assert_eq(sdes->pt, PC_RTCP_SDES);
	cr_assert_eq(sdes->ssrc, 0x11223344u);
	cr_assert_eq(sdes->n, 1);
	const struct pc_rtcp_sdes_item *cname =
		pc_rtcp_find_sdes(v, 0x11223344, PC_RTCP_SDES_CNAME);
	cr_assert_not_null(cname);
	cr_assert_eq(cname->len, 9);
	cr_assert_eq(memcmp(cname->text, "user@host", 9), 0);
	cr_assert(cname->text > pc_test_copy &&
		  cname->text < pc_test_copy + sizeof(pc_test_sr_sdes));
	cr_assert_null(pc_rtcp_find_sdes(v, 0x11223344, PC_RTCP_SDES_NAME));
}

Test(rtcp, rr_with_two_blocks)
{
	/* Given an RR from 0x01020304 with two blocks: lost +0x7fffff and -0x800000 */
	static const uint8_t rr[] = { 0x82, 201, 0x00, 0x0d, 0x01, 0x02, 0x03, 0x04,
				      /* block 1 */
				      0x00, 0x00, 0x00, 0x01, 0xff, 0x7f, 0xff, 0xff, 0x00, 0x00,
				      0x00, 0x64, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
				      0x00, 0x00, 0x00, 0x00,
				      /* block 2 */
				      0x00, 0x00, 0x00, 0x02, 0x00, 0x80, 0x00, 0x00, 0x00, 0x03,
				      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x12, 0x34, 0x56, 0x78,
				      0x00, 0x00, 0x00, 0x10 };
	const struct pc_rtcp_view *v = &pc_test_view;

	/* When parsed */
	cr_assert_eq(pc_test_parse(rr, sizeof(rr), false), 1);

	/* Then both blocks, with the 24-bit signed cumulative lost extended */
	cr_assert_eq(v->pkts[0].pt, PC_RTCP_RR);
	cr_assert_eq(v->pkts[0].ssrc, 0x01020304u);
	cr_assert_eq(v->pkts[0].n, 2);
	cr_assert_eq(v->n_rbs, 2);
	cr_assert_eq(v->rbs[0].ssrc, 1);
	cr_assert_eq(v->rbs[0].fraction_lost, 0xff);
	cr_assert_eq(v->rbs[0].cum_lost, 0x7fffff);
	cr_assert_eq(v->rbs[0].ext_max_seq, 100);
	cr_assert_eq(v->rbs[0].jitter, 256);
	cr_assert_eq(v->rbs[0].lsr, 0);
	cr_assert_eq(v->rbs[1].ssrc, 2);
	cr_assert_eq(v->rbs[1].cum_lost, -0x800000);
	cr_assert_eq(v->rbs[1].ext_max_seq, 0x30000);
	cr_assert_eq(v->rbs[1].lsr, 0x12345678u);
	cr_assert_eq(v->rbs[1].dlsr, 16);
}

Test(rtcp, sdes_two_chunks_several_items)
{
	/* Given RR (no blocks) then SDES with 2 chunks: (0xa: CNAME "ab", NAME "Bob", PRIV
	 * "p"), (0xb: nothing but the terminator) */
	static const uint8_t pkt[] = {
		0x80, 201, 0x00, 0x01, 0x00, 0x00, 0x00, 0x0a,
		/* SDES SC=2, 32 bytes (length 7): header; chunk 0xa: SSRC, 4 + 5 + 3 bytes of items,
		 * a null octet and 3 more to 32 bits; chunk 0xb: SSRC, a null octet and 3 more */
		0x82, 202, 0x00, 0x07, 0x00, 0x00, 0x00, 0x0a, 0x01, 0x02, 'a', 'b', 0x02, 0x03,
		'B', 'o', 'b', 0x08, 0x01, 'p', 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0b,
		0x00, 0x00, 0x00, 0x00
	};
	const struct pc_rtcp_view *v = &pc_test_view;

	/* When parsed */
	cr_assert_eq(pc_test_parse(pkt, sizeof(pkt), false), 2);

	/* Then three items of chunk 0xa; chunk 0xb has none */
	cr_assert_eq(v->pkts[1].count, 2);
	cr_assert_eq(v->pkts[1].n, 3);
	cr_assert_eq(v->sdes[0].type, PC_RTCP_SDES_CNAME);
	cr_assert_eq(v->sdes[1].type, PC_RTCP_SDES_NAME);
	cr_assert_eq(v->sdes[1].len, 3);
	cr_assert_eq(memcmp(v->sdes[1].text, "Bob", 3), 0);
	cr_assert_eq(v->sdes[2].type, PC_RTCP_SDES_PRIV);
	cr_assert_eq(v->sdes[2].ssrc, 0xa);
	cr_assert_null(pc_rtcp_find_sdes(v, 0xb, PC_RTCP_SDES_CNAME));
}

Test(rtcp, bye_with_and_without_reason)
{
	/* Given RR, then BYE of two SSRCs with the reason "gone" */
	static const uint8_t pkt[] = { 0x80, 201,  0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x82, 203,
				       0x00, 0x04, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
				       0x04, 'g',  'o',	 'n',  'e',  0x00, 0x00, 0x00 };
	/* And a reduced-size BYE with no reason */
	static const uint8_t bare[] = { 0x81, 203, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef };
	const struct pc_rtcp_view *v = &pc_test_view;

	cr_assert_eq(pc_test_parse(pkt, sizeof(pkt), false), 2);
	cr_assert_eq(v->pkts[1].pt, PC_RTCP_BYE);
	cr_assert_eq(v->pkts[1].n, 2);
	cr_assert_eq(v->ssrcs[v->pkts[1].first], 1);
	cr_assert_eq(v->ssrcs[v->pkts[1].first + 1], 2);
	cr_assert_eq(v->pkts[1].u.bye.reason_len, 4);
	cr_assert_eq(memcmp(v->pkts[1].u.bye.reason, "gone", 4), 0);

	cr_assert_eq(pc_test_parse(bare, sizeof(bare), true), 1);
	cr_assert_eq(v->pkts[0].ssrc, 0xdeadbeefu);
	cr_assert_null(v->pkts[0].u.bye.reason);
}

Test(rtcp, app_packet)
{
	/* Given APP subtype 5 from 0x77 named "PCOR" with 8 data bytes (reduced size) */
	static const uint8_t pkt[] = { 0x85, 204, 0x00, 0x04, 0x00, 0x00, 0x00, 0x77, 'P', 'C',
				       'O',  'R', 1,	2,    3,    4,	  5,	6,    7,   8 };
	const struct pc_rtcp_pkt *p = &pc_test_view.pkts[0];

	cr_assert_eq(pc_test_parse(pkt, sizeof(pkt), true), 1);
	cr_assert_eq(p->pt, PC_RTCP_APP);
	cr_assert_eq(p->count, 5);
	cr_assert_eq(p->ssrc, 0x77);
	cr_assert_eq(memcmp(p->u.app.name, "PCOR", 4), 0);
	cr_assert_eq(p->u.app.data_len, 8);
	cr_assert_eq(p->u.app.data[7], 8);
}

Test(rtcp, generic_nack_expands_to_lost_sequence_numbers)
{
	/* Given a generic NACK from 0x1 about 0x2 with two FCI: PID 100 BLP 0x8005 (101, 103,
	 * 116 too), PID 65535 BLP 0x0001 (0 too: across the wrap) */
	static const uint8_t pkt[] = { 0x81, 205,  0x00, 0x04, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
				       0x00, 0x02, 0x00, 0x64, 0x80, 0x05, 0xff, 0xff, 0x00, 0x01 };
	const struct pc_rtcp_view *v = &pc_test_view;
	uint16_t seqs[40];
	static const uint16_t want[] = { 100, 101, 103, 116, 65535, 0 };

	/* When parsed (reduced size) and expanded */
	cr_assert_eq(pc_test_parse(pkt, sizeof(pkt), true), 1);
	cr_assert_eq(v->pkts[0].pt, PC_RTCP_RTPFB);
	cr_assert_eq(v->pkts[0].count, PC_RTCP_FMT_NACK);
	cr_assert_eq(v->pkts[0].parsed, 1);
	cr_assert_eq(v->pkts[0].ssrc, 1);
	cr_assert_eq(v->pkts[0].media_ssrc, 2);
	cr_assert_eq(v->pkts[0].n, 2);
	unsigned n = pc_rtcp_nack_expand(v->nacks + v->pkts[0].first, v->pkts[0].n, seqs,
					 PC_TEST_ARRAY_LEN(seqs));

	/* Then the 6 lost sequence numbers, in order */
	cr_assert_eq(n, PC_TEST_ARRAY_LEN(want));
	for (unsigned i = 0; i < n; i++)
		cr_assert_eq(seqs[i], want[i], "seq %u", i);
	/* And a short output is filled, never overrun */
	cr_assert_eq(pc_rtcp_nack_expand(v->nacks, 2, seqs, 3), 3);
	cr_assert_eq(seqs[2], 103);
	cr_assert_eq(pc_rtcp_nack_expand(v->nacks, 2, seqs, 0), 0);
}

Test(rtcp, nack_of_a_full_blp_gives_17)
{
	struct pc_rtcp_nack item = { .pid = 65530, .blp = 0xffff };
	uint16_t seqs[17];

	cr_assert_eq(pc_rtcp_nack_expand(&item, 1, seqs, 17), 17);
	for (unsigned i = 0; i < 17; i++)
		cr_assert_eq(seqs[i], (uint16_t)(65530 + i));
}

Test(rtcp, nack_pack_groups_by_16)
{
	/* Given lost 100, 101, 105, 116, 117, 200, and a repeat of 200 */
	static const uint16_t lost[] = { 100, 101, 105, 116, 117, 200, 200 };
	struct pc_rtcp_nack items[4];
	uint16_t back[40];

	/* When packed / Then 100 takes 101, 105, 116 in its BLP; 117 and 200 start new items */
	cr_assert_eq(pc_rtcp_nack_pack(lost, PC_TEST_ARRAY_LEN(lost), items, 4), 3);
	cr_assert_eq(items[0].pid, 100);
	cr_assert_eq(items[0].blp, (1u << 0) | (1u << 4) | (1u << 15));
	cr_assert_eq(items[1].pid, 117);
	cr_assert_eq(items[1].blp, 0);
	cr_assert_eq(items[2].pid, 200);
	/* And they expand back to the list */
	cr_assert_eq(pc_rtcp_nack_expand(items, 3, back, 40), 6);
	for (unsigned i = 0; i < 6; i++)
		cr_assert_eq(back[i], lost[i]);

	/* Given a wrap 65534, 65535, 0, 1 / Then one item */
	static const uint16_t wrap[] = { 65534, 65535, 0, 1 };
	cr_assert_eq(pc_rtcp_nack_pack(wrap, 4, items, 1), 1);
	cr_assert_eq(items[0].pid, 65534);
	cr_assert_eq(items[0].blp, 0x7);

	/* Given too small an output, or a list not ascending / Then refused */
	cr_assert_eq(pc_rtcp_nack_pack(lost, PC_TEST_ARRAY_LEN(lost), items, 2), -ENOSPC);
	static const uint16_t down[] = { 10, 9 };
	cr_assert_eq(pc_rtcp_nack_pack(down, 2, items, 4), -EINVAL);
}

Test(rtcp, pli_and_fir)
{
	/* Given RR, PLI from 1 about 2, FIR from 1 with entries (0x10, seq 7), (0x20, seq 255) */
	static const uint8_t pkt[] = { 0x80, 201,  0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x81, 206,
				       0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
				       0x84, 206,  0x00, 0x06, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
				       0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x07, 0x00, 0x00, 0x00,
				       0x00, 0x00, 0x00, 0x20, 0xff, 0x00, 0x00, 0x00 };
	const struct pc_rtcp_view *v = &pc_test_view;

	cr_assert_eq(pc_test_parse(pkt, sizeof(pkt), false), 3);
	cr_assert_eq(v->pkts[1].pt, PC_RTCP_PSFB);
	cr_assert_eq(v->pkts[1].count, PC_RTCP_FMT_PLI);
	cr_assert_eq(v->pkts[1].parsed, 1);
	cr_assert_eq(v->pkts[1].media_ssrc, 2);
	cr_assert_eq(v->pkts[2].count, PC_RTCP_FMT_FIR);
	cr_assert_eq(v->pkts[2].n, 2);
	cr_assert_eq(v->firs[0].ssrc, 0x10);
	cr_assert_eq(v->firs[0].seq, 7);
	cr_assert_eq(v->firs[1].ssrc, 0x20);
	cr_assert_eq(v->firs[1].seq, 255);
}

Test(rtcp, unknown_types_are_skipped_and_counted)
{
	/* Given RR, an XR (207) holding only a block of unknown type 42, a REMB-like PSFB FMT
	 * 15, a transport-cc RTPFB FMT 15, and a type 195 (IJ) */
	static const uint8_t pkt[] = { 0x80, 201,  0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x80, 207,
				       0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 42,	 0x00, 0x00, 0x00,
				       0x8f, 206,  0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
				       0x00, 0x00, 'R',	 'E',  'M',  'B',  0x8f, 205,  0x00, 0x02,
				       0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x09, 0x81, 195,
				       0x00, 0x01, 0x00, 0x00, 0x00, 0x05 };
	const struct pc_rtcp_view *v = &pc_test_view;

	/* When parsed / Then all 5 are there, 3 of them skipped; the XR is parsed, its block
	 * skipped by its length and counted; the FB ones keep their FCI */
	cr_assert_eq(pc_test_parse(pkt, sizeof(pkt), false), 5);
	cr_assert_eq(v->unknown, 3);
	cr_assert_eq(v->n_pkts, 5);
	cr_assert_eq(v->pkts[1].parsed, 1);
	cr_assert_eq(v->pkts[1].pt, PC_RTCP_XR);
	cr_assert_eq(v->pkts[1].n, 0);
	cr_assert_eq(v->pkts[1].u.xr.skipped, 1);
	cr_assert_eq(v->xr_skipped, 1);
	cr_assert_eq(v->pkts[2].parsed, 0);
	cr_assert_eq(v->pkts[2].u.fb.fci_len, 4);
	cr_assert_eq(memcmp(v->pkts[2].u.fb.fci, "REMB", 4), 0);
	cr_assert_eq(v->pkts[3].parsed, 0);
	cr_assert_eq(v->pkts[4].pt, 195);
}

Test(rtcp, padding_on_the_last_packet)
{
	/* Given RR + BYE whose P bit covers 4 bytes of padding (count 4 in the last byte) */
	static const uint8_t pkt[] = { 0x80, 201,  0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0xa1, 203,
				       0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x04 };
	uint8_t bad[sizeof(pkt)];
	const struct pc_rtcp_view *v = &pc_test_view;

	/* When parsed / Then the BYE's body stops before the padding: no reason */
	cr_assert_eq(pc_test_parse(pkt, sizeof(pkt), false), 2);
	cr_assert_eq(v->pkts[1].len, 12);
	cr_assert_eq(v->pkts[1].body_len, 8);
	cr_assert_null(v->pkts[1].u.bye.reason);

	/* Given a padding count of 0, and one larger than the packet's body / Then -EBADMSG */
	memcpy(bad, pkt, sizeof(pkt));
	bad[sizeof(bad) - 1] = 0;
	cr_assert_eq(pc_test_parse(bad, sizeof(bad), false), -EBADMSG);
	bad[sizeof(bad) - 1] = 9;
	cr_assert_eq(pc_test_parse(bad, sizeof(bad), false), -EBADMSG);
	/* And padding that eats the BYE's SSRC: -EBADMSG (its SSRC list is cut) */
	bad[sizeof(bad) - 1] = 8;
	cr_assert_eq(pc_test_parse(bad, sizeof(bad), false), -EBADMSG);
}

/* --- malformed compounds --------------------------------------------------------------------- */

Test(rtcp, framing_errors_as_pc_rtcp_check)
{
	uint8_t pkt[sizeof(pc_test_sr_sdes)];

	/* Given the length field of the SDES past the end / Then -EBADMSG */
	memcpy(pkt, pc_test_sr_sdes, sizeof(pkt));
	pkt[52 + 3] = 5;
	cr_assert_eq(pc_test_parse(pkt, sizeof(pkt), false), -EBADMSG);
	/* Given version 1 on the SDES / Then -EBADMSG */
	memcpy(pkt, pc_test_sr_sdes, sizeof(pkt));
	pkt[52] = 0x41;
	cr_assert_eq(pc_test_parse(pkt, sizeof(pkt), false), -EBADMSG);
	/* Given the compound cut anywhere / Then -EBADMSG */
	for (size_t len = 0; len < sizeof(pkt); len++)
		cr_assert_eq(pc_test_parse(pc_test_sr_sdes, len, false), len == 52 ? 1 : -EBADMSG,
			     "len %zu", len);
	/* Given an SDES first, not in reduced size / Then -EBADMSG */
	cr_assert_eq(pc_test_parse(pc_test_sr_sdes + 52, 20, false), -EBADMSG);
	cr_assert_eq(pc_test_parse(pc_test_sr_sdes + 52, 20, true), 1);
}

Test(rtcp, truncated_report_blocks)
{
	uint8_t pkt[52];

	/* Given the SR with RC=2 but room for one block / Then -EBADMSG */
	memcpy(pkt, pc_test_sr_sdes, sizeof(pkt));
	pkt[0] = 0x82;
	cr_assert_eq(pc_test_parse(pkt, sizeof(pkt), false), -EBADMSG);
	/* Given an SR too short for its sender info: length 5 words (24 bytes) / Then -EBADMSG */
	pkt[0] = 0x80;
	pkt[3] = 5;
	cr_assert_eq(pc_test_parse(pkt, 24, false), -EBADMSG);
	/* Given an RR with RC=1 and no block / Then -EBADMSG */
	static const uint8_t rr[] = { 0x81, 201, 0x00, 0x01, 0, 0, 0, 1 };
	cr_assert_eq(pc_test_parse(rr, sizeof(rr), false), -EBADMSG);
	/* Given an RR without even its SSRC / Then -EBADMSG */
	static const uint8_t rr0[] = { 0x80, 201, 0x00, 0x00 };
	cr_assert_eq(pc_test_parse(rr0, sizeof(rr0), false), -EBADMSG);
}

Test(rtcp, malformed_sdes)
{
	/* Given an item whose length runs past the packet */
	static const uint8_t past[] = { 0x81, 202, 0x00, 0x02, 0, 0, 0, 1, 0x01, 0x09, 'a', 'b' };
	/* An item list without its null terminator */
	static const uint8_t unterminated[] = { 0x81, 202, 0x00, 0x02, 0,   0,
						0,    1,   0x01, 0x02, 'a', 'b' };
	/* SC=2 with one chunk present */
	static const uint8_t missing_chunk[] = { 0x82, 202, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 0 };
	/* SC=1 and a second chunk's worth of bytes after it */
	static const uint8_t extra[] = { 0x81, 202, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2 };
	/* A chunk with no items: its SSRC and the terminator */
	static const uint8_t empty_chunk[] = { 0x81, 202, 0x00, 0x02, 0,    0,
					       0,    1,	  0x00, 0x00, 0x00, 0x00 };

	/* When parsed (reduced size) / Then -EBADMSG, except the last which is a clean chunk */
	cr_assert_eq(pc_test_parse(past, sizeof(past), true), -EBADMSG);
	cr_assert_eq(pc_test_parse(unterminated, sizeof(unterminated), true), -EBADMSG);
	cr_assert_eq(pc_test_parse(missing_chunk, sizeof(missing_chunk), true), -EBADMSG);
	cr_assert_eq(pc_test_parse(extra, sizeof(extra), true), -EBADMSG);
	cr_assert_eq(pc_test_parse(empty_chunk, sizeof(empty_chunk), true), 1);
}

Test(rtcp, malformed_bye_app_and_feedback)
{
	/* BYE with SC=2 and one SSRC */
	static const uint8_t bye_ssrcs[] = { 0x82, 203, 0x00, 0x01, 0, 0, 0, 1 };
	/* BYE whose reason length runs past the end */
	static const uint8_t bye_reason[] = {
		0x81, 203, 0x00, 0x02, 0, 0, 0, 1, 0x04, 'a', 'b', 'c'
	};
	/* APP without its name */
	static const uint8_t app[] = { 0x80, 204, 0x00, 0x01, 0, 0, 0, 1 };
	/* NACK without FCI; PLI without the media SSRC; FIR with half an entry */
	static const uint8_t nack0[] = { 0x81, 205, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2 };
	static const uint8_t pli_short[] = { 0x81, 206, 0x00, 0x01, 0, 0, 0, 1 };
	static const uint8_t fir_half[] = { 0x84, 206, 0x00, 0x03, 0, 0, 0, 1,
					    0,	  0,   0,    0,	   0, 0, 0, 9 };

	cr_assert_eq(pc_test_parse(bye_ssrcs, sizeof(bye_ssrcs), true), -EBADMSG);
	cr_assert_eq(pc_test_parse(bye_reason, sizeof(bye_reason), true), -EBADMSG);
	cr_assert_eq(pc_test_parse(app, sizeof(app), true), -EBADMSG);
	cr_assert_eq(pc_test_parse(nack0, sizeof(nack0), true), -EBADMSG);
	cr_assert_eq(pc_test_parse(pli_short, sizeof(pli_short), true), -EBADMSG);
	cr_assert_eq(pc_test_parse(fir_half, sizeof(fir_half), true), -EBADMSG);
}

Test(rtcp, a_malformed_packet_rejects_the_whole_compound)
{
	/* Given a valid SR + SDES followed by a NACK without FCI */
	uint8_t pkt[sizeof(pc_test_sr_sdes) + 12];
	static const uint8_t nack0[] = { 0x81, 205, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2 };

	memcpy(pkt, pc_test_sr_sdes, sizeof(pc_test_sr_sdes));
	memcpy(pkt + sizeof(pc_test_sr_sdes), nack0, sizeof(nack0));
	/* When parsed / Then -EBADMSG (RFC 3550 A.2: the compound is checked as a whole) */
	cr_assert_eq(pc_test_parse(pkt, sizeof(pkt), false), -EBADMSG);
}

Test(rtcp, the_view_is_bounded)
{
	/* Given RR with 31 blocks, RR with 9 blocks (40 > 32), then 18 BYEs (20 packets > 16) */
	uint8_t buf[2048];
	struct pc_rtcp_writer w;
	struct pc_rtcp_rb rbs[31];
	const struct pc_rtcp_view *v = &pc_test_view;

	memset(rbs, 0, sizeof(rbs));
	for (unsigned i = 0; i < 31; i++)
		rbs[i].ssrc = i + 1;
	pc_rtcp_writer_init(&w, buf, sizeof(buf), true);
	cr_assert_eq(pc_rtcp_write_rr(&w, 7, rbs, 31), 0);
	cr_assert_eq(pc_rtcp_write_rr(&w, 7, rbs, 9), 0);
	/* BYE must be last: APPs stand for the many packets, then one BYE */
	for (unsigned i = 0; i < 17; i++)
		cr_assert_eq(pc_rtcp_write_app(&w, 0, i, "TEST", NULL, 0), 0);
	uint32_t one = 1;
	cr_assert_eq(pc_rtcp_write_bye(&w, &one, 1, NULL, 0), 0);

	/* When parsed */
	cr_assert_eq(pc_test_parse(buf, w.len, true), 20);

	/* Then 16 packets and 32 blocks are described, the rest counted as dropped: the 8
	 * blocks past 32, and the last 4 packets (the BYE's one SSRC with them) */
	cr_assert_eq(v->total, 20);
	cr_assert_eq(v->n_pkts, PC_RTCP_VIEW_PKTS);
	cr_assert_eq(v->n_rbs, PC_RTCP_VIEW_RBS);
	cr_assert_eq(v->pkts[1].n, 1);
	cr_assert_eq(v->n_ssrcs, 0);
	cr_assert_eq(v->dropped, 8 + 4 + 1);
}

/* --- building ---------------------------------------------------------------------------- */

Test(rtcp, build_parse_round_trip)
{
	/* Given a full compound: SR with 2 blocks, CNAME, NACK, PLI, FIR, BYE with a reason */
	struct pc_rtcp_sender_info si = {
		.ntp = 0xe7a1b2c3d4e5f607ull, .rtp_ts = 123456, .packets = 500, .octets = 80000
	};
	struct pc_rtcp_rb rbs[2] = {
		{ .ssrc = 0xa,
		  .fraction_lost = 12,
		  .cum_lost = 345,
		  .ext_max_seq = 0x10005,
		  .jitter = 77,
		  .lsr = 0xb7052000,
		  .dlsr = 0x54000 },
		{ .ssrc = 0xb, .fraction_lost = 0, .cum_lost = -3, .ext_max_seq = 9 },
	};
	struct pc_rtcp_nack nacks[2] = { { 10, 0x0003 }, { 40, 0 } };
	struct pc_rtcp_fir firs[1] = { { .ssrc = 0xf00d, .seq = 3 } };
	struct pc_rtcp_compound c = {
		.ssrc = 0x5eed,
		.sr = &si,
		.rbs = rbs,
		.n_rbs = 2,
		.cname = "phone@10.0.0.1",
		.cname_len = 14,
		.fb_media_ssrc = 0xb0b,
		.nacks = nacks,
		.n_nacks = 2,
		.firs = firs,
		.n_firs = 1,
		.pli = 1,
		.bye = 1,
		.bye_reason = "hangup",
		.bye_reason_len = 6,
	};
	uint8_t buf[512];
	const struct pc_rtcp_view *v = &pc_test_view;
	int len;

	/* When built */
	len = pc_rtcp_build(buf, sizeof(buf), &c);
	/* SR 8+20+48, SDES 4+4+2+14+1 -> 28, NACK 12+8, PLI 12, FIR 12+8, BYE 4+4+8 */
	cr_assert_eq(len, 76 + 28 + 20 + 12 + 20 + 16);
	cr_assert_eq(pc_rtcp_check(buf, (size_t)len, false), 6);

	/* Then it parses back to the same fields, in the RFC order */
	cr_assert_eq(pc_test_parse(buf, (size_t)len, false), 6);
	static const uint8_t order[] = { PC_RTCP_SR,   PC_RTCP_SDES, PC_RTCP_RTPFB,
					 PC_RTCP_PSFB, PC_RTCP_PSFB, PC_RTCP_BYE };
	for (unsigned i = 0; i < 6; i++) {
		cr_assert_eq(v->pkts[i].pt, order[i], "packet %u", i);
		cr_assert_eq(v->pkts[i].parsed, 1);
	}
	cr_assert_eq(v->pkts[0].ssrc, 0x5eed);
	cr_assert_eq(v->pkts[0].u.sr.ntp, si.ntp);
	cr_assert_eq(v->pkts[0].u.sr.rtp_ts, si.rtp_ts);
	cr_assert_eq(v->pkts[0].u.sr.packets, si.packets);
	cr_assert_eq(v->pkts[0].u.sr.octets, si.octets);
	for (unsigned i = 0; i < 2; i++) {
		cr_assert_eq(v->rbs[i].ssrc, rbs[i].ssrc);
		cr_assert_eq(v->rbs[i].fraction_lost, rbs[i].fraction_lost);
		cr_assert_eq(v->rbs[i].cum_lost, rbs[i].cum_lost);
		cr_assert_eq(v->rbs[i].ext_max_seq, rbs[i].ext_max_seq);
		cr_assert_eq(v->rbs[i].jitter, rbs[i].jitter);
		cr_assert_eq(v->rbs[i].lsr, rbs[i].lsr);
		cr_assert_eq(v->rbs[i].dlsr, rbs[i].dlsr);
	}
	const struct pc_rtcp_sdes_item *cn = pc_rtcp_find_sdes(v, 0x5eed, PC_RTCP_SDES_CNAME);
	cr_assert_not_null(cn);
	cr_assert_eq(cn->len, 14);
	cr_assert_eq(memcmp(cn->text, "phone@10.0.0.1", 14), 0);
	cr_assert_eq(v->pkts[2].media_ssrc, 0xb0b);
	cr_assert_eq(v->n_nacks, 2);
	cr_assert_eq(v->nacks[0].pid, 10);
	cr_assert_eq(v->nacks[0].blp, 3);
	cr_assert_eq(v->pkts[3].count, PC_RTCP_FMT_PLI);
	cr_assert_eq(v->pkts[3].media_ssrc, 0xb0b);
	cr_assert_eq(v->pkts[4].count, PC_RTCP_FMT_FIR);
	cr_assert_eq(v->pkts[4].media_ssrc, 0);
	cr_assert_eq(v->firs[0].ssrc, 0xf00d);
	cr_assert_eq(v->firs[0].seq, 3);
	cr_assert_eq(v->ssrcs[0], 0x5eed);
	cr_assert_eq(v->pkts[5].u.bye.reason_len, 6);
	cr_assert_eq(memcmp(v->pkts[5].u.bye.reason, "hangup", 6), 0);

	/* And every smaller buffer gives -ENOSPC */
	for (size_t cap = 0; cap < (size_t)len; cap++)
		cr_assert_eq(pc_rtcp_build(buf, cap, &c), -ENOSPC, "cap %zu", cap);
}

Test(rtcp, build_rr_with_more_than_31_blocks)
{
	/* Given 40 report blocks and no SR */
	struct pc_rtcp_rb rbs[40];
	struct pc_rtcp_compound c = {
		.ssrc = 1, .rbs = rbs, .n_rbs = 40, .cname = "x", .cname_len = 1
	};
	uint8_t buf[2048];
	const struct pc_rtcp_view *v = &pc_test_view;
	int len;

	memset(rbs, 0, sizeof(rbs));
	for (unsigned i = 0; i < 40; i++)
		rbs[i].ssrc = 100 + i;

	/* When built / Then RR(31), RR(9), SDES */
	len = pc_rtcp_build(buf, sizeof(buf), &c);
	cr_assert_gt(len, 0);
	cr_assert_eq(pc_test_parse(buf, (size_t)len, false), 3);
	cr_assert_eq(v->pkts[0].pt, PC_RTCP_RR);
	cr_assert_eq(v->pkts[0].count, 31);
	cr_assert_eq(v->pkts[1].pt, PC_RTCP_RR);
	cr_assert_eq(v->pkts[1].count, 9);
	cr_assert_eq(v->pkts[2].pt, PC_RTCP_SDES);
	cr_assert_eq(v->rbs[31].ssrc, 131);
}

Test(rtcp, build_reduced_size_pli_alone)
{
	/* Given a reduced-size compound with only a PLI */
	struct pc_rtcp_compound c = { .ssrc = 1, .fb_media_ssrc = 2, .pli = 1, .reduced_size = 1 };
	uint8_t buf[64];
	static const uint8_t want[] = { 0x81, 206, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2 };

	/* When built / Then exactly the 12-byte PLI */
	cr_assert_eq(pc_rtcp_build(buf, sizeof(buf), &c), 12);
	cr_assert_eq(memcmp(buf, want, 12), 0);
	/* And a regular compound requires the CNAME; an empty reduced one is refused */
	c.reduced_size = 0;
	cr_assert_eq(pc_rtcp_build(buf, sizeof(buf), &c), -EINVAL);
	struct pc_rtcp_compound empty = { .reduced_size = 1 };
	cr_assert_eq(pc_rtcp_build(buf, sizeof(buf), &empty), -EINVAL);
}

Test(rtcp, writer_order_and_arguments)
{
	uint8_t buf[256];
	struct pc_rtcp_writer w;
	struct pc_rtcp_rb rbs[32];
	struct pc_rtcp_sender_info si = { 0 };
	uint32_t ssrc = 1;
	char long_name[256];

	memset(rbs, 0, sizeof(rbs));
	memset(long_name, 'n', sizeof(long_name));
	/* Given a regular compound / Then the first packet must be SR or RR */
	pc_rtcp_writer_init(&w, buf, sizeof(buf), false);
	cr_assert_eq(pc_rtcp_write_pli(&w, 1, 2), -EPROTO);
	cr_assert_eq(pc_rtcp_write_cname(&w, 1, "a", 1), -EPROTO);
	cr_assert_eq(w.len, 0);
	/* And 32 blocks in one packet are too many */
	cr_assert_eq(pc_rtcp_write_sr(&w, 1, &si, rbs, 32), -EINVAL);
	cr_assert_eq(pc_rtcp_write_rr(&w, 1, rbs, 0), 0);
	/* And a CNAME of 0 or 256 bytes, a BYE of 0 SSRCs, an empty NACK are refused */
	cr_assert_eq(pc_rtcp_write_cname(&w, 1, long_name, 0), -EINVAL);
	cr_assert_eq(pc_rtcp_write_cname(&w, 1, long_name, 256), -EINVAL);
	cr_assert_eq(pc_rtcp_write_cname(&w, 1, long_name, 255), -ENOSPC, "268 > 248");
	cr_assert_eq(pc_rtcp_write_bye(&w, &ssrc, 0, NULL, 0), -EINVAL);
	cr_assert_eq(pc_rtcp_write_nack(&w, 1, 2, NULL, 0), -EINVAL);
	cr_assert_eq(pc_rtcp_write_fir(&w, 1, NULL, 0), -EINVAL);
	cr_assert_eq(pc_rtcp_write_app(&w, 32, 1, "ABCD", NULL, 0), -EINVAL);
	cr_assert_eq(pc_rtcp_write_app(&w, 1, 1, "ABCD", (const uint8_t *)"xy", 2), -EINVAL);
	/* And after a BYE nothing more */
	cr_assert_eq(pc_rtcp_write_bye(&w, &ssrc, 1, "", 0), 0);
	cr_assert_eq(pc_rtcp_write_pli(&w, 1, 2), -EPROTO);
	/* The compound is an RR and a BYE with an empty reason (1 byte, padded to 4) */
	cr_assert_eq(w.len, 8 + 12);
	cr_assert_eq(pc_test_parse(buf, w.len, false), 2);
	cr_assert_eq(pc_test_view.pkts[1].u.bye.reason_len, 0);
	cr_assert_not_null(pc_test_view.pkts[1].u.bye.reason);
}

Test(rtcp, writer_leaves_the_buffer_as_it_was_when_full)
{
	uint8_t buf[40];
	struct pc_rtcp_writer w;

	/* Given a writer holding an RR (8 bytes) with 32 bytes left */
	memset(buf, 0xee, sizeof(buf));
	pc_rtcp_writer_init(&w, buf, sizeof(buf), false);
	cr_assert_eq(pc_rtcp_write_rr(&w, 1, NULL, 0), 0);
	/* When a 36-byte SDES is written / Then -ENOSPC, nothing written after the RR */
	cr_assert_eq(pc_rtcp_write_cname(&w, 1, "0123456789abcdefghijklm", 23), -ENOSPC);
	cr_assert_eq(w.len, 8);
	cr_assert_eq(w.pkts, 1);
	cr_assert_eq(buf[8], 0xee);
	/* And one that fits exactly (32 bytes: 4 + 4 + 2 + 21 + 1) is written */
	cr_assert_eq(pc_rtcp_write_cname(&w, 1, "0123456789abcdefghijk", 21), 0);
	cr_assert_eq(w.len, 40);
	cr_assert_eq(pc_test_parse(buf, w.len, false), 2);
}

/* --- report blocks from the receive statistics, RTT, NTP ------------------------------------- */

Test(rtcp, report_block_from_rtp_statistics)
{
	struct pc_rtp_source s;
	struct pc_rtcp_rb rb;
	uint8_t buf[128];
	struct pc_rtcp_writer w;

	/* Given a source 0xabc that sent 0-9 with 3 and 4 lost, and an SR from it with NTP
	 * 0x0000_1234_5678_0000 arriving at compact time 0x1234_0000 + 2.5 s */
	pc_rtp_source_init(&s, 0xabc, 1);
	for (uint16_t q = 0; q < 10; q++)
		if (q != 3 && q != 4)
			pc_rtp_source_update(&s, q, 160u * q, 160u * q);
	pc_rtcp_note_sr(&s, 0x0000123456780000ull, 0x12340000u + 0x28000u);

	/* When a block is made at compact time 0x12340000 + 4 s */
	cr_assert_eq(pc_rtcp_rb_from_source(&rb, &s, 0x12340000u + 0x40000u), 0);

	/* Then: fraction 2/10 of 256 = 51, 2 lost, highest 9, LSR the SR's middle 32 bits,
	 * DLSR 1.5 s (0x18000) */
	cr_assert_eq(rb.ssrc, 0xabc);
	cr_assert_eq(rb.fraction_lost, 51);
	cr_assert_eq(rb.cum_lost, 2);
	cr_assert_eq(rb.ext_max_seq, 9);
	cr_assert_eq(rb.jitter, 0);
	cr_assert_eq(rb.lsr, 0x12345678u);
	cr_assert_eq(rb.dlsr, 0x18000u);

	/* And it goes into an RR that parses back */
	pc_rtcp_writer_init(&w, buf, sizeof(buf), false);
	cr_assert_eq(pc_rtcp_write_rr(&w, 0x5eed, &rb, 1), 0);
	cr_assert_eq(pc_test_parse(buf, w.len, false), 1);
	cr_assert_eq(pc_test_view.rbs[0].fraction_lost, 51);
	cr_assert_eq(pc_test_view.rbs[0].cum_lost, 2);
	cr_assert_eq(pc_test_view.rbs[0].dlsr, 0x18000u);

	/* And a source with no SR gets LSR = DLSR = 0; one still in probation no block */
	struct pc_rtp_source fresh;
	pc_rtp_source_init(&fresh, 0xdef, 0);
	cr_assert_eq(pc_rtcp_rb_from_source(&rb, &fresh, 5), -EAGAIN);
	pc_rtp_source_update(&fresh, 1, 0, 0);
	pc_rtp_source_update(&fresh, 2, 0, 0);
	cr_assert_eq(pc_rtcp_rb_from_source(&rb, &fresh, 5), 0);
	cr_assert_eq(rb.lsr, 0);
	cr_assert_eq(rb.dlsr, 0);
}

Test(rtcp, round_trip_time_rfc3550_example)
{
	uint32_t rtt = 0;

	/* Given RFC 3550 6.4.1's figure: A = 0xb710_8000 (46864.500 s), LSR = 0xb705_2000
	 * (46853.125 s), DLSR = 0x0005_4000 (5.250 s) */
	/* When computed / Then 0x0006_2000: 6.125 s */
	cr_assert_eq(pc_rtcp_rtt(0xb7108000u, 0xb7052000u, 0x00054000u, &rtt), 0);
	cr_assert_eq(rtt, 0x00062000u);
	cr_assert_eq(pc_rtcp_compact_to_us(rtt), 6125000u);

	/* Given no LSR / Then -ENODATA; a DLSR longer than A - LSR, or A before LSR: -ERANGE */
	cr_assert_eq(pc_rtcp_rtt(0xb7108000u, 0, 0, &rtt), -ENODATA);
	cr_assert_eq(pc_rtcp_rtt(0xb7108000u, 0xb7052000u, 0x000b7000u, &rtt), -ERANGE);
	cr_assert_eq(pc_rtcp_rtt(0xb7000000u, 0xb7052000u, 0, &rtt), -ERANGE);
	/* And across the wrap of the compact clock */
	cr_assert_eq(pc_rtcp_rtt(0x00010000u, 0xffff0000u, 0x00008000u, &rtt), 0);
	cr_assert_eq(rtt, 0x18000u);
}

Test(rtcp, ntp_time)
{
	struct timespec ts;
	uint64_t ntp, now;

	/* The Unix epoch is NTP second 2208988800; half a second is 0x80000000 */
	cr_assert_eq(pc_rtcp_ntp_from_unix_ns(0), (uint64_t)2208988800u << 32);
	cr_assert_eq(pc_rtcp_ntp_from_unix_ns(1500000000ull),
		     ((uint64_t)2208988801u << 32) | 0x80000000u);
	ts.tv_sec = 1;
	ts.tv_nsec = 250000000;
	cr_assert_eq(pc_rtcp_ntp_from_timespec(&ts), ((uint64_t)2208988801u << 32) | 0x40000000u);
	/* The compact form is the middle 32 bits */
	cr_assert_eq(pc_rtcp_ntp_compact(0x1122334455667788ull), 0x33445566u);
	/* Era 1 starts in 2036: seconds wrap modulo 2^32 */
	cr_assert_eq(pc_rtcp_ntp_from_unix_ns((4294967296ull - 2208988800ull) * 1000000000ull), 0);

	/* Now is CLOCK_REALTIME in NTP form, within a second */
	clock_gettime(CLOCK_REALTIME, &ts);
	ntp = pc_rtcp_ntp_from_timespec(&ts);
	now = pc_rtcp_ntp_now();
	cr_assert_geq(now, ntp);
	cr_assert_lt(now - ntp, (uint64_t)1 << 32);
}

/* --- transmission interval (A.7) ------------------------------------------------------------- */

#define PC_TEST_COMP (2.71828 - 1.5) /* A.7's COMPENSATION */

Test(rtcp, interval_two_party_call)
{
	/* Given a two-party call, both sending: 64 kbit/s, RTCP 5% = 400 octets/s, average
	 * compound 100 octets. Senders (2) are more than a quarter of the members (2): no
	 * split, n = 2: 100 * 2 / 400 = 0.5 s, below the 5 s minimum. */
	struct pc_rtcp_interval_params p = {
		.rtcp_bw = 400, .avg_rtcp_size = 100, .members = 2, .senders = 2, .we_sent = 1
	};

	/* Then 5 s times (r + 0.5) over e - 3/2: 5 / 1.21828 = 4.10414... for r = 0.5 */
	cr_assert_float_eq(pc_rtcp_interval(&p, 0.5), 4.1041468299569885, 1e-9);
	cr_assert_float_eq(pc_rtcp_interval(&p, 0.0), 2.0520734149784943, 1e-9);
	cr_assert_float_eq(pc_rtcp_interval(&p, 0.999), 6.152116098105527, 1e-9);
	/* And the first report: half the minimum, 2.5 s */
	p.initial = 1;
	cr_assert_float_eq(pc_rtcp_interval(&p, 0.5), 2.0520734149784943, 1e-9);
}

Test(rtcp, interval_large_session_senders_and_receivers)
{
	/* Given 100 members of whom 1 sends, RTCP 1000 octets/s, average 2000 octets */
	struct pc_rtcp_interval_params p = {
		.rtcp_bw = 1000, .avg_rtcp_size = 2000, .members = 100, .senders = 1, .we_sent = 1
	};

	/* Then the sender shares a quarter among 1: 2000 * 1 / 250 = 8 s; r = 0.99: 8 * 1.49 /
	 * 1.21828 = 9.7842... */
	cr_assert_float_eq(pc_rtcp_interval(&p, 0.99), 8 * 1.49 / PC_TEST_COMP, 1e-9);
	cr_assert_float_eq(pc_rtcp_interval(&p, 0.99), 9.78428604261746, 1e-9);
	/* And a receiver shares three quarters among 99: 2000 * 99 / 750 = 264 s; r = 0:
	 * 132 / 1.21828 = 108.3495... */
	p.we_sent = 0;
	cr_assert_float_eq(pc_rtcp_interval(&p, 0.0), 108.34947631086449, 1e-9);
}

Test(rtcp, interval_reduced_and_avpf_minimums)
{
	/* Given a 1 Mbit/s video call: RTCP 6250 octets/s, average 100, 2 members sending: 200
	 * / 6250 = 0.032 s */
	struct pc_rtcp_interval_params p = { .rtcp_bw = 6250,
					     .avg_rtcp_size = 100,
					     .members = 2,
					     .senders = 2,
					     .we_sent = 1,
					     .min_mode = PC_RTCP_MIN_REDUCED,
					     .reduced_min = 360.0 / 1000 };

	/* Then the reduced minimum 360 / 1000 kbit/s = 0.36 s applies: 0.36 / 1.21828 */
	cr_assert_float_eq(pc_rtcp_interval(&p, 0.5), 0.29549857175690314, 1e-9);
	p.initial = 1;
	cr_assert_float_eq(pc_rtcp_interval(&p, 0.5), 0.18 / PC_TEST_COMP, 1e-9);

	/* And AVPF: 1 s before the first report, then no minimum: 0.032 / 1.21828 */
	p.min_mode = PC_RTCP_MIN_AVPF;
	cr_assert_float_eq(pc_rtcp_interval(&p, 0.5), 1.0 / PC_TEST_COMP, 1e-9);
	p.initial = 0;
	cr_assert_float_eq(pc_rtcp_interval(&p, 0.5), 0.026266539711724726, 1e-9);
}

Test(rtcp, average_compound_size)
{
	/* A.7: avg = sent / 16 + avg * 15 / 16 */
	cr_assert_float_eq(pc_rtcp_avg_size(100, 260), 110.0, 1e-12);
	cr_assert_float_eq(pc_rtcp_avg_size(0, 16), 1.0, 1e-12);
}

/* --- RFC 3611 extended reports ---------------------------------------------------------------- */

/* RR from 0x01020304 (no blocks), then an XR from it with, in the layouts of RFC 3611: an
 * RRTR (4.4), a DLRR of two sub-blocks (4.5), a block of unknown type 99 with one word, a
 * Statistics Summary (4.6) and VoIP Metrics (4.7). */
static const uint8_t pc_test_xr[] = {
	0x80, 201, 0x00, 0x01, 0x01, 0x02, 0x03, 0x04,
	/* XR: length 1 + 3 + 7 + 2 + 10 + 9 = 32 words after the header */
	0x80, 207, 0x00, 0x20, 0x01, 0x02, 0x03, 0x04,
	/* RRTR: BT 4, reserved, block length 2; NTP 0xe7a1b2c3.d4e5f607 */
	4, 0, 0x00, 0x02, 0xe7, 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 0x07,
	/* DLRR: BT 5, block length 6; {0xaabbccdd, LRR 0xb2c3d4e5, DLRR 0x00018000 (1.5 s)},
	 * {0x11111111, 0, 0} */
	5, 0, 0x00, 0x06, 0xaa, 0xbb, 0xcc, 0xdd, 0xb2, 0xc3, 0xd4, 0xe5, 0x00, 0x01, 0x80, 0x00,
	0x11, 0x11, 0x11, 0x11, 0, 0, 0, 0, 0, 0, 0, 0,
	/* unknown BT 99, block length 1: skipped */
	99, 0x5a, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef,
	/* Statistics Summary: BT 6, flags L D J ToH=1 (0xe8), block length 9; source
	 * 0xaabbccdd, seq 1000-1100, 3 lost, 1 dup, jitter min 2 max 90 mean 17 dev 11, hop
	 * limit min 60 max 64 mean 62 dev 1 */
	6, 0xe8, 0x00, 0x09, 0xaa, 0xbb, 0xcc, 0xdd, 0x03, 0xe8, 0x04, 0x4c, 0, 0, 0, 3, 0, 0, 0, 1,
	0, 0, 0, 2, 0, 0, 0, 90, 0, 0, 0, 17, 0, 0, 0, 11, 60, 64, 62, 1,
	/* VoIP Metrics: BT 7, block length 8; source 0xaabbccdd; loss 12/256, discard 5/256,
	 * burst density 0x80, gap density 3; burst 120 ms, gap 4000 ms; RTT 85 ms, end system
	 * 140 ms; signal -20 dBm0, noise -70, RERL 127, Gmin 16; R 127, ext R 127, MOS-LQ 127,
	 * MOS-CQ 127; RX config PLC standard, JBA adaptive, rate 2 (0xf2), reserved; JB
	 * nominal 60, maximum 120, abs max 300 */
	7, 0, 0x00, 0x08, 0xaa, 0xbb, 0xcc, 0xdd, 12, 5, 0x80, 3, 0x00, 120, 0x0f, 0xa0, 0x00, 85,
	0x00, 140, 0xec, 0xba, 127, 16, 127, 127, 127, 127, 0xf2, 0, 0x00, 60, 0x00, 120, 0x01, 0x2c
};

Test(rtcp, xr_blocks_from_rfc3611_layouts)
{
	const struct pc_rtcp_view *v = &pc_test_view;
	const struct pc_rtcp_pkt *p;
	const struct pc_rtcp_xr_item *x;

	/* Given the bytes above / When parsed */
	cr_assert_eq(sizeof(pc_test_xr), 8 + 4 + 4 * 32);
	cr_assert_eq(pc_test_parse(pc_test_xr, sizeof(pc_test_xr), false), 2);

	/* Then the XR is parsed into 5 items (the DLRR gives two), the unknown block skipped */
	p = &v->pkts[1];
	cr_assert_eq(p->pt, PC_RTCP_XR);
	cr_assert_eq(p->parsed, 1);
	cr_assert_eq(p->ssrc, 0x01020304u);
	cr_assert_eq(p->n, 5);
	cr_assert_eq(p->u.xr.skipped, 1);
	cr_assert_eq(v->xr_skipped, 1);
	cr_assert_eq(v->unknown, 0);
	x = &v->xrs[p->first];
	cr_assert_eq(x[0].bt, PC_RTCP_XR_RRTR);
	cr_assert_eq(x[0].u.rrtr_ntp, 0xe7a1b2c3d4e5f607ull);
	cr_assert_eq(x[1].bt, PC_RTCP_XR_DLRR);
	cr_assert_eq(x[1].u.dlrr.ssrc, 0xaabbccddu);
	cr_assert_eq(x[1].u.dlrr.lrr, 0xb2c3d4e5u);
	cr_assert_eq(x[1].u.dlrr.dlrr, 0x18000u);
	cr_assert_eq(x[2].bt, PC_RTCP_XR_DLRR);
	cr_assert_eq(x[2].u.dlrr.ssrc, 0x11111111u);
	cr_assert_eq(x[2].u.dlrr.lrr, 0);
	cr_assert_eq(x[3].bt, PC_RTCP_XR_STATS);
	cr_assert_eq(x[3].u.stats.flags, 0xe8);
	cr_assert_eq(x[3].u.stats.flags & PC_RTCP_XR_STATS_TOH_MASK, PC_RTCP_XR_STATS_TOH_V6);
	cr_assert_eq(x[3].u.stats.ssrc, 0xaabbccddu);
	cr_assert_eq(x[3].u.stats.begin_seq, 1000);
	cr_assert_eq(x[3].u.stats.end_seq, 1100);
	cr_assert_eq(x[3].u.stats.lost, 3);
	cr_assert_eq(x[3].u.stats.dup, 1);
	cr_assert_eq(x[3].u.stats.min_jitter, 2);
	cr_assert_eq(x[3].u.stats.max_jitter, 90);
	cr_assert_eq(x[3].u.stats.mean_jitter, 17);
	cr_assert_eq(x[3].u.stats.dev_jitter, 11);
	cr_assert_eq(x[3].u.stats.min_ttl, 60);
	cr_assert_eq(x[3].u.stats.max_ttl, 64);
	cr_assert_eq(x[3].u.stats.mean_ttl, 62);
	cr_assert_eq(x[3].u.stats.dev_ttl, 1);
	cr_assert_eq(x[4].bt, PC_RTCP_XR_VOIP);
	cr_assert_eq(x[4].u.voip.ssrc, 0xaabbccddu);
	cr_assert_eq(x[4].u.voip.loss_rate, 12);
	cr_assert_eq(x[4].u.voip.discard_rate, 5);
	cr_assert_eq(x[4].u.voip.burst_density, 0x80);
	cr_assert_eq(x[4].u.voip.gap_density, 3);
	cr_assert_eq(x[4].u.voip.burst_duration, 120);
	cr_assert_eq(x[4].u.voip.gap_duration, 4000);
	cr_assert_eq(x[4].u.voip.round_trip_delay, 85);
	cr_assert_eq(x[4].u.voip.end_system_delay, 140);
	cr_assert_eq(x[4].u.voip.signal_level, -20);
	cr_assert_eq(x[4].u.voip.noise_level, -70);
	cr_assert_eq(x[4].u.voip.rerl, PC_RTCP_XR_UNAVAILABLE);
	cr_assert_eq(x[4].u.voip.gmin, 16);
	cr_assert_eq(x[4].u.voip.r_factor, PC_RTCP_XR_UNAVAILABLE);
	cr_assert_eq(x[4].u.voip.mos_cq, PC_RTCP_XR_UNAVAILABLE);
	cr_assert_eq(x[4].u.voip.rx_config, PC_RTCP_XR_PLC_STANDARD | PC_RTCP_XR_JBA_ADAPTIVE | 2u);
	cr_assert_eq(x[4].u.voip.jb_nominal, 60);
	cr_assert_eq(x[4].u.voip.jb_max, 120);
	cr_assert_eq(x[4].u.voip.jb_abs_max, 300);
}

Test(rtcp, xr_written_byte_for_byte)
{
	/* Given the items parsed from the RFC layouts (the unknown block left out) */
	struct pc_rtcp_xr_item items[5];
	uint8_t expect[sizeof(pc_test_xr) - 8];
	uint8_t out[sizeof(pc_test_xr)];
	struct pc_rtcp_writer w;

	cr_assert_eq(pc_test_parse(pc_test_xr, sizeof(pc_test_xr), false), 2);
	memcpy(items, &pc_test_view.xrs[pc_test_view.pkts[1].first], sizeof(items));
	/* What the writer must give: the same bytes without the unknown block (two words) */
	memcpy(expect, pc_test_xr, 8 + 8 + 12 + 28);
	memcpy(expect + 56, pc_test_xr + 64, sizeof(pc_test_xr) - 64);
	expect[11] = 0x1e;

	/* When RR + XR are written */
	pc_rtcp_writer_init(&w, out, sizeof(out), false);
	cr_assert_eq(pc_rtcp_write_rr(&w, 0x01020304u, NULL, 0), 0);
	cr_assert_eq(pc_rtcp_write_xr(&w, 0x01020304u, items, 5), 0);

	/* Then byte for byte the RFC layout, consecutive DLRR items in one block */
	cr_assert_eq(w.len, sizeof(expect));
	cr_assert_eq(memcmp(out, expect, sizeof(expect)), 0);
}

Test(rtcp, xr_in_a_built_compound)
{
	/* Given an RR compound with an RRTR */
	struct pc_rtcp_xr_item rrtr = { .bt = PC_RTCP_XR_RRTR,
					.u.rrtr_ntp = 0x0123456789abcdefull };
	struct pc_rtcp_compound c = {
		.ssrc = 7,
		.cname = "a@b",
		.cname_len = 3,
		.xrs = &rrtr,
		.n_xrs = 1,
		.pli = 1,
		.fb_media_ssrc = 9,
	};
	uint8_t buf[256];
	const struct pc_rtcp_view *v = &pc_test_view;
	int len = pc_rtcp_build(buf, sizeof(buf), &c);

	/* Then RR, SDES, XR, PLI in that order and the RRTR back */
	cr_assert_gt(len, 0);
	cr_assert_eq(pc_test_parse(buf, (size_t)len, false), 4);
	cr_assert_eq(v->pkts[0].pt, PC_RTCP_RR);
	cr_assert_eq(v->pkts[1].pt, PC_RTCP_SDES);
	cr_assert_eq(v->pkts[2].pt, PC_RTCP_XR);
	cr_assert_eq(v->pkts[3].pt, PC_RTCP_PSFB);
	cr_assert_eq(v->n_xrs, 1);
	cr_assert_eq(v->xrs[0].u.rrtr_ntp, 0x0123456789abcdefull);
	/* And a type the writer does not know is refused */
	rrtr.bt = 42;
	cr_assert_eq(pc_rtcp_build(buf, sizeof(buf), &c), -EINVAL);
}

Test(rtcp, malformed_xr)
{
	/* RR, then an XR whose only block is described by the bytes below (patched per case) */
	uint8_t pkt[8 + 8 + 40];
	struct {
		uint8_t bt;
		uint16_t words; /* the block length field */
		uint16_t xr_words;
		int rc;
	} cases[] = {
		{ PC_RTCP_XR_RRTR, 2, 1 + 3, 2 },	 /* a good RRTR */
		{ PC_RTCP_XR_RRTR, 1, 1 + 2, -EBADMSG }, /* RRTR of 8 bytes */
		{ PC_RTCP_XR_RRTR, 3, 1 + 3, -EBADMSG }, /* block past the packet */
		{ PC_RTCP_XR_DLRR, 2, 1 + 3, -EBADMSG }, /* DLRR of 8 bytes: no whole sub-block */
		{ PC_RTCP_XR_DLRR, 0, 1 + 1, 2 },	 /* an empty DLRR: allowed */
		{ PC_RTCP_XR_STATS, 8, 1 + 9, -EBADMSG },
		{ PC_RTCP_XR_STATS, 9, 1 + 10, 2 },
		{ PC_RTCP_XR_VOIP, 9, 1 + 10, -EBADMSG },
		{ PC_RTCP_XR_VOIP, 8, 1 + 9, 2 },
		{ 200, 8, 1 + 9, 2 }, /* unknown: skipped whatever its size */
		/* VoIP Metrics then 4 zero bytes: a block of type 0, length 0: skipped */
		{ PC_RTCP_XR_VOIP, 8, 1 + 10, 2 },
	};

	for (unsigned i = 0; i < PC_TEST_ARRAY_LEN(cases); i++) {
		size_t len = 8 + 4 + 4u * cases[i].xr_words;
		int want = cases[i].rc;

		memset(pkt, 0, sizeof(pkt));
		pkt[0] = 0x80;
		pkt[1] = PC_RTCP_RR;
		pkt[3] = 1;
		pkt[8] = 0x80;
		pkt[9] = PC_RTCP_XR;
		pkt[11] = (uint8_t)cases[i].xr_words;
		pkt[16] = cases[i].bt;
		pkt[19] = (uint8_t)cases[i].words;
		cr_assert_eq(pc_test_parse(pkt, len, false), want, "case %u", i);
	}
	/* XR shorter than its SSRC; a block header cut by the end of the packet */
	{
		static const uint8_t short_xr[] = { 0x80, 201, 0, 1, 0, 0, 0, 1, 0x80, 207, 0, 0 };
		static const uint8_t cut[] = { 0x80, 201, 0, 1, 0, 0, 0,    1, 0xa0, 207,
					       0,    2,	  0, 0, 0, 1, 0x00, 0, 0,    0x02 };

		cr_assert_eq(pc_test_parse(short_xr, sizeof(short_xr), false), -EBADMSG);
		/* padding of 2 leaves 2 bytes of block header: cut */
		cr_assert_eq(pc_test_parse(cut, sizeof(cut), false), -EBADMSG);
	}
}

Test(rtcp, xr_view_is_bounded)
{
	/* Given an XR with a DLRR of 20 sub-blocks (the view holds 16 XR items) */
	struct pc_rtcp_xr_item items[20];
	uint8_t buf[512];
	struct pc_rtcp_writer w;

	for (unsigned i = 0; i < 20; i++)
		items[i] = (struct pc_rtcp_xr_item){
			.bt = PC_RTCP_XR_DLRR, .u.dlrr = { .ssrc = i + 1, .lrr = i, .dlrr = 1 }
		};
	pc_rtcp_writer_init(&w, buf, sizeof(buf), true);
	cr_assert_eq(pc_rtcp_write_xr(&w, 5, items, 20), 0);
	cr_assert_eq(w.len, 8u + 4 + 12 * 20);
	/* When parsed / Then 16 held, 4 counted as dropped, nothing written past */
	cr_assert_eq(pc_test_parse(buf, w.len, true), 1);
	cr_assert_eq(pc_test_view.n_xrs, PC_RTCP_VIEW_XRS);
	cr_assert_eq(pc_test_view.pkts[0].n, PC_RTCP_VIEW_XRS);
	cr_assert_eq(pc_test_view.dropped, 4);
	cr_assert_eq(pc_test_view.xrs[15].u.dlrr.ssrc, 16);
}
