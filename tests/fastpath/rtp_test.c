/* SPDX-License-Identifier: MIT */
/*
 * rtp_test.c - the RTP and RTCP header checks of pc_rtp.h: known packets parsed field by field
 * (minimal header, CSRCs, a one-byte-header extension, padding), every malformed case of the
 * header's contract rejected with -EBADMSG, RTP told from RTCP on a muxed port (RFC 5761 4), and
 * the framing of RTCP compounds (RFC 3550 A.2, reduced size per RFC 5506).
 *
 * Then what the media transport adds: headers built in place (into a buffer and into a pc_pkt's
 * headroom), CSRCs, padding, RFC 8285 header extensions (one- and two-byte forms, iterated
 * within their length and written), extended sequence numbers across the wrap, and the
 * receive statistics of RFC 3550 A.1/A.3/A.8 on known sequences (loss, duplicates, reordering,
 * wrap at 65535, a big jump and its resync, jitter from known transit times).
 *
 * Every packet is checked from a heap copy of exactly its length, so that a read past the end
 * shows under AddressSanitizer.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pc_pkt.h"
#include "pc_rtp.h"

#define PC_TEST_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A heap copy of exactly @len bytes (at least one byte is allocated, so that @len 0 works). */
static uint8_t *pc_test_dup(const uint8_t *bytes, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	cr_assert_not_null(p);
	if (len)
		memcpy(p, bytes, len);
	return p;
}

static int pc_test_parse(const uint8_t *bytes, size_t len, struct pc_rtp_hdr_view *v)
{
	uint8_t *p = pc_test_dup(bytes, len);
	int rc = pc_rtp_parse(p, len, v);

	free(p);
	return rc;
}

static int pc_test_rtcp(const uint8_t *bytes, size_t len, bool reduced_size)
{
	uint8_t *p = pc_test_dup(bytes, len);
	int rc = pc_rtcp_check(p, len, reduced_size);

	free(p);
	return rc;
}

static bool pc_test_is_rtcp(const uint8_t *bytes, size_t len)
{
	uint8_t *p = pc_test_dup(bytes, len);
	bool r = pc_rtp_is_rtcp(p, len);

	free(p);
	return r;
}

/* The lengths of a parsed packet add up to the datagram. */
static void pc_test_assert_lengths(const struct pc_rtp_hdr_view *v, size_t len)
{
	cr_assert_geq(v->hdr_len, PC_RTP_HDR_MIN);
	cr_assert_eq((size_t)v->hdr_len + v->payload_len + v->pad_len, len,
		     "hdr %u + payload %u + pad %u != len %zu", v->hdr_len, v->payload_len,
		     v->pad_len, len);
}

/* --- known packets --------------------------------------------------------------------------- */

Test(rtp, minimal_12_byte_header)
{
	/* Given the smallest RTP packet: V=2, PT 0, seq 1, ts 160, SSRC 0xdeadbeef, no payload */
	static const uint8_t pkt[] = { 0x80, 0x00, 0x00, 0x01, 0x00, 0x00,
				       0x00, 0xa0, 0xde, 0xad, 0xbe, 0xef };
	struct pc_rtp_hdr_view v;

	/* When it is parsed */
	cr_assert_eq(pc_test_parse(pkt, sizeof(pkt), &v), 0);

	/* Then every field is read, and the payload is empty right after the fixed header */
	cr_assert_eq(v.version, 2);
	cr_assert_eq(v.padding, 0);
	cr_assert_eq(v.extension, 0);
	cr_assert_eq(v.cc, 0);
	cr_assert_eq(v.marker, 0);
	cr_assert_eq(v.pt, 0);
	cr_assert_eq(v.seq, 1);
	cr_assert_eq(v.ts, 160);
	cr_assert_eq(v.ssrc, 0xdeadbeefu);
	cr_assert_eq(v.ext_profile, 0);
	cr_assert_eq(v.ext_len, 0);
	cr_assert_eq(v.hdr_len, 12);
	cr_assert_eq(v.payload_len, 0);
	cr_assert_eq(v.pad_len, 0);
}

Test(rtp, marker_dynamic_pt_and_payload)
{
	/* Given M=1, PT 111 (Opus), seq 0xfffe, ts 0x89abcdef, and 5 payload bytes */
	static const uint8_t pkt[] = { 0x80, 0x80 | 111, 0xff, 0xfe, 0x89, 0xab, 0xcd, 0xef, 0x01,
				       0x02, 0x03,	 0x04, 'o',  'p',  'u',	 's',  '!' };
	struct pc_rtp_hdr_view v;

	/* When it is parsed */
	cr_assert_eq(pc_test_parse(pkt, sizeof(pkt), &v), 0);

	/* Then the marker is apart from the payload type, and the payload follows the header */
	cr_assert_eq(v.marker, 1);
	cr_assert_eq(v.pt, 111);
	cr_assert_eq(v.seq, 0xfffe);
	cr_assert_eq(v.ts, 0x89abcdefu);
	cr_assert_eq(v.ssrc, 0x01020304u);
	cr_assert_eq(v.hdr_len, 12);
	cr_assert_eq(v.payload_len, 5);
	cr_assert_eq(memcmp(pkt + v.hdr_len, "opus!", 5), 0);
	pc_test_assert_lengths(&v, sizeof(pkt));
}

Test(rtp, csrc_list)
{
	/* Given CC=2 (a mixer's output): two CSRCs, then 3 payload bytes */
	static const uint8_t pkt[] = { 0x82, 8,	   0x12, 0x34, 0,    0,	   0,	 80,
				       0xaa, 0xbb, 0xcc, 0xdd, 0x11, 0x11, 0x11, 0x11,
				       0x22, 0x22, 0x22, 0x22, 'p',  'c',  'm' };
	struct pc_rtp_hdr_view v;

	/* When it is parsed */
	cr_assert_eq(pc_test_parse(pkt, sizeof(pkt), &v), 0);

	/* Then the CSRCs belong to the header: the payload starts after them */
	cr_assert_eq(v.cc, 2);
	cr_assert_eq(v.pt, 8);
	cr_assert_eq(v.seq, 0x1234);
	cr_assert_eq(v.ssrc, 0xaabbccddu);
	cr_assert_eq(v.hdr_len, 12 + 2 * 4);
	cr_assert_eq(v.payload_len, 3);
	cr_assert_eq(memcmp(pkt + v.hdr_len, "pcm", 3), 0);
	pc_test_assert_lengths(&v, sizeof(pkt));
}

Test(rtp, fifteen_csrcs_fill_the_list)
{
	/* Given the largest CSRC list (CC=15) and no payload */
	uint8_t pkt[12 + 15 * 4] = { 0x8f, 96 };
	struct pc_rtp_hdr_view v;

	/* When it is parsed / Then the header is 72 bytes long and the payload empty */
	cr_assert_eq(pc_test_parse(pkt, sizeof(pkt), &v), 0);
	cr_assert_eq(v.cc, 15);
	cr_assert_eq(v.hdr_len, 72);
	cr_assert_eq(v.payload_len, 0);
}

Test(rtp, one_byte_header_extension)
{
	/* Given X=1 and an RFC 8285 one-byte-header extension (profile 0xBEDE, 1 word: an
	 * audio level element), then 4 payload bytes */
	static const uint8_t pkt[] = { 0x90, 0,	   0,	 7,    0,    0,	   0,	 1,
				       0x0b, 0x0b, 0x0b, 0x0b, 0xbe, 0xde, 0x00, 0x01,
				       0x10, 0x7f, 0x00, 0x00, 'a',  'b',  'c',	 'd' };
	struct pc_rtp_hdr_view v;

	/* When it is parsed */
	cr_assert_eq(pc_test_parse(pkt, sizeof(pkt), &v), 0);

	/* Then the extension's profile and length (in bytes, without its 4-byte header) are read
	 * and the payload starts after it */
	cr_assert_eq(v.extension, 1);
	cr_assert_eq(v.ext_profile, 0xbede);
	cr_assert_eq(v.ext_len, 4);
	cr_assert_eq(v.hdr_len, 12 + 4 + 4);
	cr_assert_eq(v.payload_len, 4);
	cr_assert_eq(memcmp(pkt + v.hdr_len, "abcd", 4), 0);
	pc_test_assert_lengths(&v, sizeof(pkt));
}

Test(rtp, empty_extension_after_csrcs)
{
	/* Given CC=1 and an extension of length 0 (only its header), and 2 payload bytes */
	static const uint8_t pkt[] = { 0x91, 0, 0, 7, 0, 0,    0,    1,	   1,	 2,    3,
				       4,    9, 9, 9, 9, 0x10, 0x00, 0x00, 0x00, 0xee, 0xff };
	struct pc_rtp_hdr_view v;

	/* When it is parsed / Then the extension sits after the CSRC list */
	cr_assert_eq(pc_test_parse(pkt, sizeof(pkt), &v), 0);
	cr_assert_eq(v.cc, 1);
	cr_assert_eq(v.ext_profile, 0x1000);
	cr_assert_eq(v.ext_len, 0);
	cr_assert_eq(v.hdr_len, 12 + 4 + 4);
	cr_assert_eq(v.payload_len, 2);
	pc_test_assert_lengths(&v, sizeof(pkt));
}

Test(rtp, padding)
{
	/* Given P=1: 4 payload bytes, then 4 padding bytes whose last counts them (RFC 3550 5.1) */
	static const uint8_t pkt[] = { 0xa0, 0, 0,   7,	  0,   0,   0, 1, 1, 2,
				       3,    4, 'd', 'a', 't', 'a', 0, 0, 0, 4 };
	struct pc_rtp_hdr_view v;

	/* When it is parsed */
	cr_assert_eq(pc_test_parse(pkt, sizeof(pkt), &v), 0);

	/* Then the padding is apart from the payload */
	cr_assert_eq(v.padding, 1);
	cr_assert_eq(v.pad_len, 4);
	cr_assert_eq(v.hdr_len, 12);
	cr_assert_eq(v.payload_len, 4);
	pc_test_assert_lengths(&v, sizeof(pkt));
}

Test(rtp, padding_may_fill_everything_after_the_header)
{
	/* Given P=1 and 3 padding bytes right after a header with an extension: no payload */
	static const uint8_t pkt[] = { 0xb0, 0,	   0, 7, 0,    0, 0, 1, 1, 2, 3, 4,
				       0xbe, 0xde, 0, 1, 0x10, 0, 0, 0, 0, 0, 3 };
	struct pc_rtp_hdr_view v;

	/* When it is parsed / Then the payload is empty and the padding takes the rest */
	cr_assert_eq(pc_test_parse(pkt, sizeof(pkt), &v), 0);
	cr_assert_eq(v.hdr_len, 20);
	cr_assert_eq(v.pad_len, 3);
	cr_assert_eq(v.payload_len, 0);
	pc_test_assert_lengths(&v, sizeof(pkt));
}

/* --- malformed packets ----------------------------------------------------------------------- */

Test(rtp, shorter_than_the_fixed_header)
{
	static const uint8_t pkt[12] = { 0x80, 0, 0, 1, 0, 0, 0, 1, 1, 2, 3, 4 };
	struct pc_rtp_hdr_view v;

	/* Given every prefix of a valid header shorter than 12 bytes / When parsed / Then
	 * -EBADMSG */
	for (size_t len = 0; len < sizeof(pkt); len++)
		cr_assert_eq(pc_test_parse(pkt, len, &v), -EBADMSG, "len %zu", len);
	/* And the full 12 bytes are fine */
	cr_assert_eq(pc_test_parse(pkt, sizeof(pkt), &v), 0);
}

Test(rtp, version_other_than_2)
{
	uint8_t pkt[16] = { 0x80, 0, 0, 1, 0, 0, 0, 1, 1, 2, 3, 4, 'x', 'y', 'z', 'w' };
	struct pc_rtp_hdr_view v;

	/* Given versions 0 (e.g. STUN's first bits), 1 and 3 / When parsed / Then -EBADMSG */
	for (unsigned ver = 0; ver < 4; ver++) {
		pkt[0] = (uint8_t)(ver << 6);
		cr_assert_eq(pc_test_parse(pkt, sizeof(pkt), &v), ver == 2 ? 0 : -EBADMSG,
			     "version %u", ver);
	}
}

Test(rtp, csrc_count_beyond_the_end)
{
	/* Given CC=3 (24-byte header) in packets of 12 to 23 bytes / When parsed / Then
	 * -EBADMSG */
	uint8_t pkt[24] = { 0x83, 0, 0, 1, 0, 0, 0, 1, 1, 2, 3, 4 };
	struct pc_rtp_hdr_view v;

	for (size_t len = 12; len < sizeof(pkt); len++)
		cr_assert_eq(pc_test_parse(pkt, len, &v), -EBADMSG, "len %zu", len);
	/* And at 24 bytes the header is complete */
	cr_assert_eq(pc_test_parse(pkt, sizeof(pkt), &v), 0);
	cr_assert_eq(v.hdr_len, 24);

	/* And CC=15 on a bare 12-byte packet too */
	pkt[0] = 0x8f;
	cr_assert_eq(pc_test_parse(pkt, 12, &v), -EBADMSG);
}

Test(rtp, extension_header_beyond_the_end)
{
	/* Given X=1 (and CC=1) where the 4-byte extension header is cut: 16 to 19 bytes / When
	 * parsed / Then -EBADMSG */
	uint8_t pkt[20] = { 0x91, 0, 0, 1, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 0xbe, 0xde, 0, 0 };
	struct pc_rtp_hdr_view v;

	for (size_t len = 12; len < sizeof(pkt); len++)
		cr_assert_eq(pc_test_parse(pkt, len, &v), -EBADMSG, "len %zu", len);
	cr_assert_eq(pc_test_parse(pkt, sizeof(pkt), &v), 0);
}

Test(rtp, extension_length_beyond_the_end)
{
	/* Given X=1 with a length of 2 words but only 1 word of extension data present */
	static const uint8_t pkt[] = { 0x90, 0, 0,    1,    0, 0, 0,	1, 1, 2,
				       3,    4, 0xbe, 0xde, 0, 2, 0x10, 0, 0, 0 };
	struct pc_rtp_hdr_view v;

	/* When parsed / Then -EBADMSG */
	cr_assert_eq(pc_test_parse(pkt, sizeof(pkt), &v), -EBADMSG);
}

Test(rtp, extension_length_of_16k_words_or_more_is_not_cut_to_16_bits)
{
	/* Given X=1 with a length field of 0x4001 words (65540 bytes: far past the end) in a
	 * 24-byte packet. 4 * 0x4001 = 0x10004 does not fit the 16-bit ext_len: cut to 16 bits it
	 * reads as 4 bytes, which would fit. */
	static const uint8_t pkt[] = { 0x90, 0,	   0,	 1,    0,    0, 0, 1, 1,   2,	3,   4,
				       0xbe, 0xde, 0x40, 0x01, 0x10, 0, 0, 0, 'a', 'b', 'c', 'd' };
	struct pc_rtp_hdr_view v;

	/* When parsed / Then -EBADMSG: the extension runs past the end */
	cr_assert_eq(pc_test_parse(pkt, sizeof(pkt), &v), -EBADMSG,
		     "an extension of 0x4001 words in a 24-byte packet was accepted (hdr_len %u, "
		     "ext_len %u)",
		     v.hdr_len, v.ext_len);
}

Test(rtp, padding_count_of_zero)
{
	/* Given P=1 and a last byte of 0 / When parsed / Then -EBADMSG */
	static const uint8_t pkt[] = { 0xa0, 0, 0, 1, 0, 0, 0, 1, 1, 2, 3, 4, 'a', 'b', 'c', 0 };
	struct pc_rtp_hdr_view v;

	cr_assert_eq(pc_test_parse(pkt, sizeof(pkt), &v), -EBADMSG);
}

Test(rtp, padding_longer_than_the_payload_area)
{
	/* Given P=1, 4 bytes after the header, and a padding count of 5 / When parsed / Then
	 * -EBADMSG */
	uint8_t pkt[] = { 0xa0, 0, 0, 1, 0, 0, 0, 1, 1, 2, 3, 4, 'a', 'b', 'c', 5 };
	struct pc_rtp_hdr_view v;

	cr_assert_eq(pc_test_parse(pkt, sizeof(pkt), &v), -EBADMSG);
	/* And a count of 255 (reaching back into the header) too */
	pkt[15] = 255;
	cr_assert_eq(pc_test_parse(pkt, sizeof(pkt), &v), -EBADMSG);
	/* And a count of 4, exactly what follows the header, is fine */
	pkt[15] = 4;
	cr_assert_eq(pc_test_parse(pkt, sizeof(pkt), &v), 0);
	cr_assert_eq(v.payload_len, 0);
}

Test(rtp, padding_bit_on_a_bare_header)
{
	/* Given P=1 on a 12-byte packet: nothing follows the header, so no padding fits; the
	 * last header byte (SSRC) must not be taken for a count */
	static const uint8_t pkt[] = { 0xa0, 0, 0, 1, 0, 0, 0, 1, 1, 2, 3, 1 };
	struct pc_rtp_hdr_view v;

	/* When parsed / Then -EBADMSG */
	cr_assert_eq(pc_test_parse(pkt, sizeof(pkt), &v), -EBADMSG);
}

Test(rtp, padding_reaching_into_the_extension)
{
	/* Given X=1 with one word of extension, 2 bytes after it, and a padding count of 3 */
	static const uint8_t pkt[] = { 0xb0, 0,	   0,	 1, 0, 0,    0,	   1, 1, 2, 3,
				       4,    0xbe, 0xde, 0, 1, 0x10, 0x7f, 0, 0, 0, 3 };
	struct pc_rtp_hdr_view v;

	/* When parsed / Then -EBADMSG */
	cr_assert_eq(pc_test_parse(pkt, sizeof(pkt), &v), -EBADMSG);
}

/* --- RTP or RTCP on a muxed port ------------------------------------------------------------- */

Test(rtp, is_rtcp_by_packet_type)
{
	uint8_t pkt[8] = { 0x80 };

	/* Given RTCP packet types SR 200 .. PSFB 206 / When classified / Then RTCP */
	for (unsigned pt = 200; pt <= 206; pt++) {
		pkt[1] = (uint8_t)pt;
		cr_assert(pc_test_is_rtcp(pkt, sizeof(pkt)), "PT %u", pt);
	}
	/* And the edges of RFC 5761's range 192..223 */
	pkt[1] = 192;
	cr_assert(pc_test_is_rtcp(pkt, sizeof(pkt)));
	pkt[1] = 223;
	cr_assert(pc_test_is_rtcp(pkt, sizeof(pkt)));
	pkt[1] = 191;
	cr_assert_not(pc_test_is_rtcp(pkt, sizeof(pkt)));
	pkt[1] = 224;
	cr_assert_not(pc_test_is_rtcp(pkt, sizeof(pkt)));
}

Test(rtp, is_not_rtcp_for_audio_and_video_payload_types)
{
	static const unsigned pts[] = { 0, 8, 96, 111 };
	uint8_t pkt[12] = { 0x80 };

	/* Given RTP with PT 0 (PCMU), 8 (PCMA), 96 and 111 (dynamic), marker clear and set /
	 * When classified / Then RTP */
	for (unsigned i = 0; i < PC_TEST_ARRAY_LEN(pts); i++) {
		for (unsigned m = 0; m < 2; m++) {
			pkt[1] = (uint8_t)(m << 7 | pts[i]);
			cr_assert_not(pc_test_is_rtcp(pkt, sizeof(pkt)), "PT %u marker %u", pts[i],
				      m);
		}
	}
}

Test(rtp, is_rtcp_needs_two_bytes)
{
	static const uint8_t pkt[2] = { 0x80, 200 };

	/* Given fewer than 2 bytes / When classified / Then not RTCP (and nothing read beyond) */
	cr_assert_not(pc_test_is_rtcp(pkt, 0));
	cr_assert_not(pc_test_is_rtcp(pkt, 1));
	cr_assert(pc_test_is_rtcp(pkt, 2));
}

/* --- RTCP compounds -------------------------------------------------------------------------- */

/* SR without report blocks (28 bytes), then SDES with one CNAME chunk (16 bytes). */
static const uint8_t pc_test_sr_sdes[] = {
	/* SR: V=2 RC=0 PT=200 length 6 */
	0x80, 200, 0x00, 0x06, 0x11, 0x22, 0x33, 0x44,	/* SSRC */
	0xe1, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00, /* NTP */
	0x00, 0x00, 0x10, 0x00,				/* RTP ts */
	0x00, 0x00, 0x00, 0x0a,				/* packets */
	0x00, 0x00, 0x06, 0x40,				/* octets */
	/* SDES: V=2 SC=1 PT=202 length 3 */
	0x81, 202, 0x00, 0x03, 0x11, 0x22, 0x33, 0x44, /* SSRC */
	0x01, 0x04, 'a', 'b', 'c', 'd', 0x00, 0x00,    /* CNAME "abcd", end, pad */
};

#define PC_TEST_SDES_OFF 28

Test(rtp, rtcp_sr_and_sdes)
{
	/* Given SR + SDES / When checked, plain or reduced size / Then a compound of 2 */
	cr_assert_eq(pc_test_rtcp(pc_test_sr_sdes, sizeof(pc_test_sr_sdes), false), 2);
	cr_assert_eq(pc_test_rtcp(pc_test_sr_sdes, sizeof(pc_test_sr_sdes), true), 2);
}

Test(rtp, rtcp_rr_alone)
{
	/* Given an empty RR (8 bytes), and an RR with one report block (32 bytes) */
	static const uint8_t rr[] = { 0x80, 201, 0x00, 0x01, 0xaa, 0xbb, 0xcc, 0xdd };
	uint8_t rr1[32] = { 0x81, 201, 0x00, 0x07, 0xaa, 0xbb, 0xcc, 0xdd, 0x11, 0x22, 0x33, 0x44 };

	/* When checked / Then a compound of one packet each */
	cr_assert_eq(pc_test_rtcp(rr, sizeof(rr), false), 1);
	cr_assert_eq(pc_test_rtcp(rr1, sizeof(rr1), false), 1);
}

Test(rtp, rtcp_reduced_size_only_when_allowed)
{
	/* Given a PLI (PSFB, PT 206, FMT 1) alone: a reduced-size packet (RFC 5506) */
	static const uint8_t pli[] = { 0x81, 206,  0x00, 0x02, 0xaa, 0xbb,
				       0xcc, 0xdd, 0x11, 0x22, 0x33, 0x44 };
	/* And an SDES first */
	static const uint8_t sdes[] = { 0x81, 202,  0x00, 0x03, 0x11, 0x22, 0x33, 0x44,
					0x01, 0x04, 'a',  'b',	'c',  'd',  0x00, 0x00 };

	/* When checked without reduced size / Then -EBADMSG (the first must be SR or RR) */
	cr_assert_eq(pc_test_rtcp(pli, sizeof(pli), false), -EBADMSG);
	cr_assert_eq(pc_test_rtcp(sdes, sizeof(sdes), false), -EBADMSG);
	/* When checked with reduced size / Then accepted */
	cr_assert_eq(pc_test_rtcp(pli, sizeof(pli), true), 1);
	cr_assert_eq(pc_test_rtcp(sdes, sizeof(sdes), true), 1);
}

Test(rtp, rtcp_length_field_past_the_end)
{
	uint8_t pkt[sizeof(pc_test_sr_sdes)];

	/* Given the SR's length field one word too long (the SR alone, 28 bytes) */
	memcpy(pkt, pc_test_sr_sdes, sizeof(pkt));
	pkt[3] = 7;
	/* When checked / Then -EBADMSG */
	cr_assert_eq(pc_test_rtcp(pkt, PC_TEST_SDES_OFF, false), -EBADMSG);

	/* Given the second packet (SDES) claiming one word more than the datagram holds */
	memcpy(pkt, pc_test_sr_sdes, sizeof(pkt));
	pkt[PC_TEST_SDES_OFF + 3] = 4;
	cr_assert_eq(pc_test_rtcp(pkt, sizeof(pkt), false), -EBADMSG);

	/* Given a length of 0xffff words / Then -EBADMSG too */
	memcpy(pkt, pc_test_sr_sdes, sizeof(pkt));
	pkt[PC_TEST_SDES_OFF + 2] = 0xff;
	pkt[PC_TEST_SDES_OFF + 3] = 0xff;
	cr_assert_eq(pc_test_rtcp(pkt, sizeof(pkt), true), -EBADMSG);
}

Test(rtp, rtcp_lengths_not_adding_up)
{
	uint8_t pkt[sizeof(pc_test_sr_sdes) + 4];

	/* Given SR + SDES followed by 4 bytes of zeros that are no RTCP header / When checked /
	 * Then -EBADMSG */
	memcpy(pkt, pc_test_sr_sdes, sizeof(pc_test_sr_sdes));
	memset(pkt + sizeof(pc_test_sr_sdes), 0, 4);
	cr_assert_eq(pc_test_rtcp(pkt, sizeof(pkt), false), -EBADMSG);

	/* Given the SR's length one word short: the next "packet" starts inside the sender info
	 * (the octet count, 0x00000640: version 0) / Then -EBADMSG */
	memcpy(pkt, pc_test_sr_sdes, sizeof(pc_test_sr_sdes));
	pkt[3] = 5;
	cr_assert_eq(pc_test_rtcp(pkt, sizeof(pc_test_sr_sdes), false), -EBADMSG);
}

Test(rtp, rtcp_padding_only_on_the_last_packet)
{
	uint8_t pkt[sizeof(pc_test_sr_sdes)];

	/* Given P set on the SR, which is not the last packet / When checked / Then -EBADMSG */
	memcpy(pkt, pc_test_sr_sdes, sizeof(pkt));
	pkt[0] |= 0x20;
	cr_assert_eq(pc_test_rtcp(pkt, sizeof(pkt), false), -EBADMSG);

	/* Given P set on the SDES, the last packet / Then accepted */
	memcpy(pkt, pc_test_sr_sdes, sizeof(pkt));
	pkt[PC_TEST_SDES_OFF] |= 0x20;
	pkt[sizeof(pkt) - 1] = 2;
	cr_assert_eq(pc_test_rtcp(pkt, sizeof(pkt), false), 2);
}

Test(rtp, rtcp_length_not_a_multiple_of_4)
{
	uint8_t pkt[sizeof(pc_test_sr_sdes) + 3] = { 0 };

	memcpy(pkt, pc_test_sr_sdes, sizeof(pc_test_sr_sdes));
	/* Given SR + SDES with 1 to 3 extra bytes, and shorter than a header / When checked /
	 * Then -EBADMSG */
	for (size_t extra = 1; extra <= 3; extra++)
		cr_assert_eq(pc_test_rtcp(pkt, sizeof(pc_test_sr_sdes) + extra, true), -EBADMSG,
			     "%zu extra bytes", extra);
	for (size_t len = 0; len < PC_RTCP_HDR_MIN; len++)
		cr_assert_eq(pc_test_rtcp(pkt, len, true), -EBADMSG, "len %zu", len);
	/* And the SR cut to a multiple of 4 inside its own length: -EBADMSG */
	cr_assert_eq(pc_test_rtcp(pkt, 24, false), -EBADMSG);
}

Test(rtp, rtcp_wrong_version_in_the_second_packet)
{
	uint8_t pkt[sizeof(pc_test_sr_sdes)];

	/* Given SR + SDES whose SDES has version 1, then 3, then 0 / When checked / Then
	 * -EBADMSG */
	for (unsigned ver = 0; ver < 4; ver++) {
		if (ver == 2)
			continue;
		memcpy(pkt, pc_test_sr_sdes, sizeof(pkt));
		pkt[PC_TEST_SDES_OFF] = (uint8_t)((pkt[PC_TEST_SDES_OFF] & 0x3f) | ver << 6);
		cr_assert_eq(pc_test_rtcp(pkt, sizeof(pkt), true), -EBADMSG, "version %u", ver);
	}
	/* And version 1 on the first packet too */
	memcpy(pkt, pc_test_sr_sdes, sizeof(pkt));
	pkt[0] = (uint8_t)((pkt[0] & 0x3f) | 1 << 6);
	cr_assert_eq(pc_test_rtcp(pkt, sizeof(pkt), false), -EBADMSG);
}

Test(rtp, rtcp_type_outside_192_to_223_in_the_second_packet)
{
	uint8_t pkt[sizeof(pc_test_sr_sdes)];

	/* Given SR + a second packet of type 191, then 224 (RTP-like) / When checked / Then
	 * -EBADMSG */
	memcpy(pkt, pc_test_sr_sdes, sizeof(pkt));
	pkt[PC_TEST_SDES_OFF + 1] = 191;
	cr_assert_eq(pc_test_rtcp(pkt, sizeof(pkt), true), -EBADMSG);
	pkt[PC_TEST_SDES_OFF + 1] = 224;
	cr_assert_eq(pc_test_rtcp(pkt, sizeof(pkt), true), -EBADMSG);
}

Test(rtp, rtcp_header_only_packets_count)
{
	/* Given RR with length 0 (header only is 4 bytes: legal framing), twice / When checked /
	 * Then a compound of 2 */
	static const uint8_t pkt[] = { 0x80, 201, 0x00, 0x00, 0x80, 202, 0x00, 0x00 };

	cr_assert_eq(pc_test_rtcp(pkt, sizeof(pkt), false), 2);
}

/* --- building headers ------------------------------------------------------------------------ */

Test(rtp, write_minimal_header_parses_back)
{
	/* Given the fields of a PCMU packet */
	struct pc_rtp_hdr_params h = {
		.ssrc = 0xdeadbeef, .ts = 160, .seq = 1, .pt = 0, .marker = 1
	};
	uint8_t buf[12 + 4];
	struct pc_rtp_hdr_view v;

	/* When written into a buffer with room for the header and 4 payload bytes */
	cr_assert_eq(pc_rtp_hdr_size(&h), 12);
	cr_assert_eq(pc_rtp_write(buf, sizeof(buf), &h), 12);
	memcpy(buf + 12, "pcmu", 4);

	/* Then the bytes are RFC 3550 5.1's, and they parse back to the same fields */
	static const uint8_t want[12] = { 0x80, 0x80, 0, 1, 0, 0, 0, 160, 0xde, 0xad, 0xbe, 0xef };
	cr_assert_eq(memcmp(buf, want, 12), 0);
	cr_assert_eq(pc_test_parse(buf, sizeof(buf), &v), 0);
	cr_assert_eq(v.marker, 1);
	cr_assert_eq(v.seq, 1);
	cr_assert_eq(v.ts, 160);
	cr_assert_eq(v.ssrc, 0xdeadbeefu);
	cr_assert_eq(v.payload_len, 4);
}

Test(rtp, write_csrcs_and_extension)
{
	/* Given 3 CSRCs and an extension block with an audio level (id 1) and a two-byte mid
	 * (id 3) in the one-byte form */
	static const uint32_t csrc[3] = { 0x11111111, 0x22222222, 0x33333333 };
	uint8_t ext[32], buf[128];
	struct pc_rtp_ext_writer w;
	struct pc_rtp_hdr_params h = { .ssrc = 7, .ts = 0x01020304, .seq = 0xffff, .pt = 111 };
	struct pc_rtp_hdr_view v;
	size_t ext_len;

	cr_assert_eq(pc_rtp_ext_writer_init(&w, ext, sizeof(ext), PC_RTP_EXT_ONE_BYTE), 0);
	cr_assert_eq(pc_rtp_ext_write(&w, 1, "\x85", 1), 0);
	cr_assert_eq(pc_rtp_ext_write(&w, 3, "m0", 2), 0);
	ext_len = pc_rtp_ext_writer_finish(&w);
	/* 4-byte header, 2 + 3 bytes of elements, 3 bytes of padding: 12 */
	cr_assert_eq(ext_len, 12);
	static const uint8_t want_ext[12] = {
		0xbe, 0xde, 0, 2, 0x10, 0x85, 0x31, 'm', '0', 0, 0, 0
	};
	cr_assert_eq(memcmp(ext, want_ext, 12), 0);
	h.cc = 3;
	h.csrc = csrc;
	h.ext = ext;
	h.ext_len = (uint16_t)ext_len;

	/* When the header is written */
	cr_assert_eq(pc_rtp_write(buf, sizeof(buf), &h), 12 + 12 + 12);

	/* Then it parses with X and CC set, the CSRCs in order, the extension after them */
	cr_assert_eq(pc_test_parse(buf, 36, &v), 0);
	cr_assert_eq(v.cc, 3);
	cr_assert_eq(v.extension, 1);
	cr_assert_eq(v.pt, 111);
	cr_assert_eq(v.seq, 0xffff);
	cr_assert_eq(v.ext_profile, 0xbede);
	cr_assert_eq(v.ext_len, 8);
	cr_assert_eq(v.hdr_len, 36);
	for (unsigned i = 0; i < 3; i++)
		cr_assert_eq(pc_rtp__be32(buf + 12 + 4 * i), csrc[i]);
	cr_assert_eq(memcmp(buf + 24, want_ext, 12), 0);
}

Test(rtp, write_extension_built_in_place)
{
	/* Given an extension block built right where the header will hold it (after 1 CSRC) */
	static const uint32_t csrc = 0xabcdef01;
	uint8_t buf[64];
	struct pc_rtp_ext_writer w;
	struct pc_rtp_hdr_params h = { .ssrc = 1, .seq = 2, .ts = 3, .pt = 96, .cc = 1 };
	struct pc_rtp_ext_elem e;
	struct pc_rtp_hdr_view v;

	h.csrc = &csrc;
	cr_assert_eq(pc_rtp_ext_writer_init(&w, buf + 16, sizeof(buf) - 16, PC_RTP_EXT_TWO_BYTE),
		     0);
	cr_assert_eq(pc_rtp_ext_write(&w, 200, "abc", 3), 0);
	h.ext = buf + 16;
	h.ext_len = (uint16_t)pc_rtp_ext_writer_finish(&w);

	/* When the header is written around it */
	cr_assert_eq(pc_rtp_write(buf, sizeof(buf), &h), 16 + 4 + 8);

	/* Then the element is found by id */
	cr_assert_eq(pc_test_parse(buf, 28, &v), 0);
	cr_assert_eq(v.ext_profile, 0x1000);
	cr_assert_eq(pc_rtp_ext_find(buf, &v, 200, &e), 0);
	cr_assert_eq(e.len, 3);
	cr_assert_eq(memcmp(e.data, "abc", 3), 0);
	cr_assert_eq(pc_rtp_ext_find(buf, &v, 201, &e), -ENOENT);
}

Test(rtp, write_rejects_bad_fields_and_short_buffers)
{
	uint8_t buf[64];
	uint8_t ext[8] = { 0xbe, 0xde, 0, 1, 0x10, 1, 0, 0 };
	struct pc_rtp_hdr_params h = { .ssrc = 1, .pt = 0 };

	/* Given a payload type above 127, CC above 15, a marker of 2 / Then -EINVAL */
	h.pt = 128;
	cr_assert_eq(pc_rtp_write(buf, sizeof(buf), &h), -EINVAL);
	h.pt = 0;
	h.cc = 16;
	cr_assert_eq(pc_rtp_write(buf, sizeof(buf), &h), -EINVAL);
	h.cc = 0;
	h.marker = 2;
	cr_assert_eq(pc_rtp_write(buf, sizeof(buf), &h), -EINVAL);
	h.marker = 0;

	/* Given extension blocks whose length is not a whole number of words, or disagrees with
	 * their length field / Then -EINVAL */
	h.ext = ext;
	h.ext_len = 6;
	cr_assert_eq(pc_rtp_write(buf, sizeof(buf), &h), -EINVAL);
	h.ext_len = 4;
	cr_assert_eq(pc_rtp_write(buf, sizeof(buf), &h), -EINVAL);
	h.ext_len = 8;
	cr_assert_eq(pc_rtp_write(buf, sizeof(buf), &h), 20);

	/* Given every buffer shorter than the header / Then -ENOSPC and nothing written */
	for (size_t cap = 0; cap < 20; cap++) {
		memset(buf, 0x5a, sizeof(buf));
		cr_assert_eq(pc_rtp_write(buf, cap, &h), -ENOSPC, "cap %zu", cap);
		cr_assert_eq(buf[0], 0x5a);
	}
}

Test(rtp, padding_is_added_and_parsed)
{
	/* Given a 12-byte header and 5 payload bytes, in a buffer with room for 8 more */
	uint8_t buf[12 + 5 + 8];
	struct pc_rtp_hdr_params h = { .ssrc = 9, .seq = 10, .ts = 11, .pt = 8 };
	struct pc_rtp_hdr_view v;

	cr_assert_eq(pc_rtp_write(buf, sizeof(buf), &h), 12);
	memcpy(buf + 12, "hello", 5);

	/* When 3 bytes of padding are added (to a multiple of 4, as for a block cipher) */
	cr_assert_eq(pc_rtp_add_padding(buf, 17, sizeof(buf), 3), 20);

	/* Then the P bit is set, the last byte counts 3, and the payload is unchanged */
	cr_assert_eq(pc_test_parse(buf, 20, &v), 0);
	cr_assert_eq(v.padding, 1);
	cr_assert_eq(v.pad_len, 3);
	cr_assert_eq(v.payload_len, 5);
	cr_assert_eq(buf[17], 0);
	cr_assert_eq(buf[19], 3);

	/* And padding twice, 0 bytes, or more than the room is refused */
	cr_assert_eq(pc_rtp_add_padding(buf, 20, sizeof(buf), 1), -EINVAL);
	buf[0] &= (uint8_t)~0x20;
	cr_assert_eq(pc_rtp_add_padding(buf, 17, sizeof(buf), 0), -EINVAL);
	cr_assert_eq(pc_rtp_add_padding(buf, 17, sizeof(buf), 9), -ENOSPC);
	cr_assert_eq(pc_rtp_add_padding(buf, 17, sizeof(buf), 256), -EINVAL);
}

Test(rtp, header_prepended_into_pkt_headroom)
{
	/* Given a packet from a pool holding a 20-byte payload at its headroom */
	struct pc_pkt_pool_params pp = { .name = "rtp",
					 .count = 4,
					 .flags = PC_PKT_POOL_F_NO_HUGEPAGE };
	struct pc_pkt_pool *pool = NULL;
	struct pc_pkt *pkt;
	static const uint32_t csrc[2] = { 0xc1, 0xc2 };
	struct pc_rtp_hdr_params h = {
		.ssrc = 0x1234, .seq = 77, .ts = 8000, .pt = 9, .marker = 1, .cc = 2, .csrc = csrc
	};
	struct pc_rtp_hdr_view v;
	uint16_t headroom;
	uint8_t *pay;

	cr_assert_eq(pc_pkt_pool_create(&pool, &pp), 0);
	cr_assert_eq(pc_pkt_pool_alloc_burst(pool, &pkt, 1), 1);
	headroom = pc_pkt_headroom(pkt);
	pay = pc_pkt_append(pkt, 20);
	cr_assert_not_null(pay);
	memset(pay, 0x77, 20);

	/* When the RTP header is prepended, then 4 bytes of padding appended */
	cr_assert_eq(pc_rtp_pkt_prepend(pkt, &h), 20);
	cr_assert_eq(pc_rtp_pkt_add_padding(pkt, 4), 0);

	/* Then the data grew at the front into the headroom (no copy of the payload) and at the
	 * end into the tailroom, and parses as RTP */
	cr_assert_eq(pc_pkt_headroom(pkt), headroom - 20);
	cr_assert_eq(pc_pkt_len(pkt), 20 + 20 + 4);
	cr_assert_eq(pc_pkt_data(pkt) + 20, pay);
	cr_assert_eq(pc_rtp_parse(pc_pkt_data(pkt), pc_pkt_len(pkt), &v), 0);
	cr_assert_eq(v.hdr_len, 20);
	cr_assert_eq(v.payload_len, 20);
	cr_assert_eq(v.pad_len, 4);
	cr_assert_eq(v.marker, 1);
	cr_assert_eq(v.cc, 2);

	/* And a header longer than the headroom is refused with nothing changed */
	struct pc_rtp_hdr_params big = h;
	uint8_t ext[4 + 4 * 64] = { 0xbe, 0xde, 0, 64 };

	big.ext = ext;
	big.ext_len = sizeof(ext);
	cr_assert_eq(pc_rtp_pkt_prepend(pkt, &big), -ENOSPC);
	cr_assert_eq(pc_pkt_len(pkt), 44);
	cr_assert_eq(pc_pkt_headroom(pkt), headroom - 20);

	pc_pkt_pool_free_burst(pool, &pkt, 1);
	pc_pkt_pool_destroy(pool);
}

/* --- header extensions (RFC 8285) ------------------------------------------------------------ */

/* Parse @pkt and collect its extension elements: ids into @ids, lengths into @lens; returns
 * the count, and the iterator's last result in *@last. */
static unsigned pc_test_ext_collect(const uint8_t *pkt, size_t len, uint8_t *ids, uint8_t *lens,
				    int *last)
{
	uint8_t *p = pc_test_dup(pkt, len);
	struct pc_rtp_hdr_view v;
	struct pc_rtp_ext_iter it;
	struct pc_rtp_ext_elem e;
	unsigned n = 0;
	int rc;

	cr_assert_eq(pc_rtp_parse(p, len, &v), 0);
	cr_assert_eq(pc_rtp_ext_iter_init(&it, p, &v), 0);
	while ((rc = pc_rtp_ext_next(&it, &e)) > 0) {
		cr_assert(e.data >= p + 16 && e.data + e.len <= p + v.hdr_len,
			  "element %u outside the extension", n);
		ids[n] = e.id;
		lens[n] = e.len;
		n++;
	}
	*last = rc;
	/* And the end is sticky */
	cr_assert_eq(pc_rtp_ext_next(&it, &e), rc);
	free(p);
	return n;
}

Test(rtp, one_byte_extension_elements_and_padding)
{
	/* Given a one-byte extension of 3 words: id 1 len 1, two padding bytes, id 2 len 4,
	 * id 14 len 2, then padding (RFC 8285 4.2) */
	static const uint8_t pkt[] = { 0x90, 0, 0,    1,    0, 0,    0,	   1,	 1,    2,
				       3,    4, 0xbe, 0xde, 0, 3,    0x10, 0xaa, 0x00, 0x00,
				       0x23, 1, 2,    3,    4, 0xe1, 9,	   9,	 'p',  'l' };
	uint8_t ids[8], lens[8];
	int last;

	/* When iterated / Then three elements, padding skipped, and a clean end */
	cr_assert_eq(pc_test_ext_collect(pkt, sizeof(pkt), ids, lens, &last), 3);
	cr_assert_eq(last, 0);
	cr_assert_eq(ids[0], 1);
	cr_assert_eq(lens[0], 1);
	cr_assert_eq(ids[1], 2);
	cr_assert_eq(lens[1], 4);
	cr_assert_eq(ids[2], 14);
	cr_assert_eq(lens[2], 2);
}

Test(rtp, one_byte_extension_id_0_with_a_length_is_one_padding_byte)
{
	/* Regression (found by fuzz/rtp): a byte 0x01 (id 0, length nibble 1) was returned as
	 * an element with id 0, which no writer can write. Given 0x01 then id 1 len 2 */
	static const uint8_t pkt[] = { 0x90, 0, 0,    1,    0, 0, 0,	1,    1, 2,
				       3,    4, 0xbe, 0xde, 0, 1, 0x01, 0x11, 7, 8 };
	uint8_t ids[4], lens[4];
	int last;

	/* When iterated / Then the id-0 byte is skipped alone (RFC 8285: id 0 is padding) and
	 * the element after it is read */
	cr_assert_eq(pc_test_ext_collect(pkt, sizeof(pkt), ids, lens, &last), 1);
	cr_assert_eq(last, 0);
	cr_assert_eq(ids[0], 1);
	cr_assert_eq(lens[0], 2);
}

Test(rtp, one_byte_extension_id_15_stops_processing)
{
	/* Given id 1, then id 15 (reserved: "stop processing", RFC 8285 4.2) with a length that
	 * would run past the end, then what looks like another element */
	static const uint8_t pkt[] = { 0x90, 0, 0,    1,    0, 0, 0,	1, 1,	 2,
				       3,    4, 0xbe, 0xde, 0, 1, 0x10, 5, 0xff, 0x20 };
	uint8_t ids[4], lens[4];
	int last;

	/* When iterated / Then only id 1, and no error */
	cr_assert_eq(pc_test_ext_collect(pkt, sizeof(pkt), ids, lens, &last), 1);
	cr_assert_eq(last, 0);
	cr_assert_eq(ids[0], 1);
}

Test(rtp, one_byte_extension_element_past_the_end)
{
	/* Given id 1 len 1, then id 2 claiming 16 bytes in a 1-word extension */
	static const uint8_t pkt[] = { 0x90, 0, 0,    1,    0, 0, 0,	1, 1,	 2,
				       3,    4, 0xbe, 0xde, 0, 1, 0x10, 5, 0x2f, 0 };
	uint8_t ids[4], lens[4];
	int last;

	/* When iterated / Then id 1 is returned whole, then -EBADMSG */
	cr_assert_eq(pc_test_ext_collect(pkt, sizeof(pkt), ids, lens, &last), 1);
	cr_assert_eq(last, -EBADMSG);
}

Test(rtp, two_byte_extension_elements)
{
	/* Given a two-byte extension (0x1000, appbits 0x5): id 1 len 0, padding, id 255 len 3,
	 * then padding (RFC 8285 4.3) */
	static const uint8_t pkt[] = {
		0x90, 0,    0, 1, 0,	0,    0,    1,	  1,	2,   3,	  4,
		0x10, 0x05, 0, 2, 0x01, 0x00, 0x00, 0xff, 0x03, 'a', 'b', 'c'
	};
	uint8_t ids[4], lens[4];
	int last;

	/* When iterated / Then the empty element and the 3-byte one */
	cr_assert_eq(pc_test_ext_collect(pkt, sizeof(pkt), ids, lens, &last), 2);
	cr_assert_eq(last, 0);
	cr_assert_eq(ids[0], 1);
	cr_assert_eq(lens[0], 0);
	cr_assert_eq(ids[1], 255);
	cr_assert_eq(lens[1], 3);
}

Test(rtp, two_byte_extension_cut_inside_an_element)
{
	/* Given an element header with no room for its length byte, then one whose length runs
	 * past the extension */
	static const uint8_t cut_hdr[] = { 0x90, 0, 0,	  1,	0, 0, 0,    1,	  1,   2,
					   3,	 4, 0x10, 0x00, 0, 1, 0x01, 0x01, 'x', 0x07 };
	static const uint8_t cut_data[] = { 0x90, 0, 0,	   1,	 0, 0, 0,    1,	   1,	2,
					    3,	  4, 0x10, 0x00, 0, 1, 0x07, 0x03, 'x', 'y' };
	uint8_t ids[4], lens[4];
	int last;

	/* When iterated / Then -EBADMSG after the whole elements */
	cr_assert_eq(pc_test_ext_collect(cut_hdr, sizeof(cut_hdr), ids, lens, &last), 1);
	cr_assert_eq(last, -EBADMSG);
	cr_assert_eq(pc_test_ext_collect(cut_data, sizeof(cut_data), ids, lens, &last), 0);
	cr_assert_eq(last, -EBADMSG);
}

Test(rtp, extension_iterator_refuses_other_profiles_and_no_extension)
{
	/* Given a packet without X, and one with a non-RFC 8285 profile */
	static const uint8_t plain[] = { 0x80, 0, 0, 1, 0, 0, 0, 1, 1, 2, 3, 4 };
	static const uint8_t other[] = { 0x90, 0, 0, 1, 0, 0, 0, 1, 1, 2, 3, 4, 0xab, 0xcd, 0, 0 };
	struct pc_rtp_hdr_view v;
	struct pc_rtp_ext_iter it;
	struct pc_rtp_ext_elem e;

	cr_assert_eq(pc_rtp_parse(plain, sizeof(plain), &v), 0);
	cr_assert_eq(pc_rtp_ext_iter_init(&it, plain, &v), -ENOENT);
	cr_assert_eq(pc_rtp_ext_find(plain, &v, 1, &e), -ENOENT);
	cr_assert_eq(pc_rtp_parse(other, sizeof(other), &v), 0);
	cr_assert_eq(pc_rtp_ext_iter_init(&it, other, &v), -ENOTSUP);
}

Test(rtp, extension_writer_limits)
{
	uint8_t buf[12];
	struct pc_rtp_ext_writer w;
	uint8_t data[256] = { 0 };

	/* Given a one-byte writer / Then id 0, id 15, length 0 and length 17 are refused */
	cr_assert_eq(pc_rtp_ext_writer_init(&w, buf, sizeof(buf), 0xabcd), -EINVAL);
	cr_assert_eq(pc_rtp_ext_writer_init(&w, buf, 3, PC_RTP_EXT_ONE_BYTE), -ENOSPC);
	cr_assert_eq(pc_rtp_ext_writer_init(&w, buf, sizeof(buf), PC_RTP_EXT_ONE_BYTE), 0);
	cr_assert_eq(pc_rtp_ext_write(&w, 0, data, 1), -EINVAL);
	cr_assert_eq(pc_rtp_ext_write(&w, 15, data, 1), -EINVAL);
	cr_assert_eq(pc_rtp_ext_write(&w, 1, data, 0), -EINVAL);
	cr_assert_eq(pc_rtp_ext_write(&w, 1, data, 17), -EINVAL);
	/* And elements fill the 8 bytes after the header, then -ENOSPC */
	cr_assert_eq(pc_rtp_ext_write(&w, 1, data, 4), 0);
	cr_assert_eq(pc_rtp_ext_write(&w, 2, data, 3), -ENOSPC, "5 + 4 > 8");
	cr_assert_eq(pc_rtp_ext_write(&w, 2, data, 2), 0);
	cr_assert_eq(pc_rtp_ext_writer_finish(&w), 12);
	cr_assert_eq(pc_rtp__be16(buf + 2), 2);

	/* Given a two-byte writer / Then length 0 and 255 and id 255 are fine, 256 is not */
	uint8_t big[4 + 260];
	cr_assert_eq(pc_rtp_ext_writer_init(&w, big, sizeof(big), PC_RTP_EXT_TWO_BYTE | 0xf), 0);
	cr_assert_eq(pc_rtp__be16(big), 0x100f);
	cr_assert_eq(pc_rtp_ext_write(&w, 255, NULL, 0), 0);
	cr_assert_eq(pc_rtp_ext_write(&w, 1, data, 256), -EINVAL);
	cr_assert_eq(pc_rtp_ext_write(&w, 1, data, 255), 0);
	cr_assert_eq(pc_rtp_ext_writer_finish(&w), 4 + 260);
}

/* --- sequence numbers and receive statistics ------------------------------------------------- */

Test(rtp, extended_sequence_numbers_across_the_wrap)
{
	/* Given a highest extended number just before the first wrap */
	uint32_t ref = 0xfffe;

	/* Then the next ones count into the second cycle, and late ones stay in the first */
	cr_assert_eq(pc_rtp_seq_extend(ref, 0xffff), 0xffffu);
	cr_assert_eq(pc_rtp_seq_extend(ref, 0), 0x10000u);
	cr_assert_eq(pc_rtp_seq_extend(ref, 5), 0x10005u);
	cr_assert_eq(pc_rtp_seq_extend(0x10003, 0xfffd), 0xfffdu);
	cr_assert_eq(pc_rtp_seq_extend(0x30000, 0x7fff), 0x37fffu);
	cr_assert_eq(pc_rtp_seq_extend(0x30000, 0x8001), 0x28001u);
	cr_assert(pc_rtp_seq_lt(0xffff, 0));
	cr_assert(!pc_rtp_seq_lt(0, 0xffff));
	cr_assert(!pc_rtp_seq_lt(7, 7));
}

/* Feed @seq with RTP timestamp 160 * seq and a steady arrival: no jitter. */
static enum pc_rtp_seq_verdict pc_test_feed(struct pc_rtp_source *s, uint16_t seq)
{
	return pc_rtp_source_update(s, seq, 160u * seq, 160u * seq + 1000);
}

Test(rtp, stats_probation_before_a_source_is_valid)
{
	struct pc_rtp_source s;
	struct pc_rtp_source_report r;

	/* Given a new source with the default probation (2 in sequence) */
	pc_rtp_source_init(&s, 0x5555, 0);
	cr_assert_eq(pc_rtp_source_report(&s, &r), -EAGAIN);

	/* When a packet comes, then one out of sequence, then two in sequence */
	cr_assert_eq(pc_test_feed(&s, 10), PC_RTP_SEQ_PROBATION);
	cr_assert_eq(pc_test_feed(&s, 50), PC_RTP_SEQ_PROBATION);
	cr_assert(!pc_rtp_source_valid(&s));
	cr_assert_eq(pc_test_feed(&s, 51), PC_RTP_SEQ_OK);

	/* Then it is valid from the second of the pair on: base 51, one received */
	cr_assert(pc_rtp_source_valid(&s));
	cr_assert_eq(pc_rtp_source_report(&s, &r), 0);
	cr_assert_eq(r.ext_max_seq, 51);
	cr_assert_eq(r.expected, 1);
	cr_assert_eq(r.received, 1);
	cr_assert_eq(r.lost, 0);
}

Test(rtp, stats_loss_duplicates_and_reordering)
{
	struct pc_rtp_source s;
	struct pc_rtp_source_report r;
	/* Given 100-109 where 103 and 107 are lost, 104 comes after 106, and 105 twice */
	static const uint16_t seqs[] = { 100, 101, 102, 105, 106, 104, 105, 108, 109 };
	static const enum pc_rtp_seq_verdict want[] = {
		PC_RTP_SEQ_OK,	      PC_RTP_SEQ_OK, PC_RTP_SEQ_OK,
		PC_RTP_SEQ_OK,	      PC_RTP_SEQ_OK, PC_RTP_SEQ_REORDERED,
		PC_RTP_SEQ_DUPLICATE, PC_RTP_SEQ_OK, PC_RTP_SEQ_OK,
	};

	pc_rtp_source_init(&s, 1, 1);
	for (unsigned i = 0; i < PC_TEST_ARRAY_LEN(seqs); i++)
		cr_assert_eq(pc_test_feed(&s, seqs[i]), want[i], "packet %u (seq %u)", i, seqs[i]);

	/* When reported */
	cr_assert_eq(pc_rtp_source_report(&s, &r), 0);

	/* Then (A.3) expected 10, received 9 (the duplicate counts, RFC 3550 6.4.1), so 1 lost
	 * although 2 were: fraction 1/10 of 256 = 25 */
	cr_assert_eq(r.ext_max_seq, 109);
	cr_assert_eq(r.expected, 10);
	cr_assert_eq(r.received, 9);
	cr_assert_eq(r.lost, 1);
	cr_assert_eq(r.fraction_lost, 25);
	cr_assert_eq(s.duplicates, 1);
	cr_assert_eq(s.reordered, 1);

	/* Given the next interval: 110-119 without 115 */
	for (uint16_t q = 110; q < 120; q++)
		if (q != 115)
			cr_assert_eq(pc_test_feed(&s, q), PC_RTP_SEQ_OK);
	/* When reported / Then the interval's own fraction, the cumulative loss grows */
	cr_assert_eq(pc_rtp_source_report(&s, &r), 0);
	cr_assert_eq(r.expected_interval, 10);
	cr_assert_eq(r.received_interval, 9);
	cr_assert_eq(r.fraction_lost, 25);
	cr_assert_eq(r.lost, 2);

	/* And an interval with nothing new reports a fraction of 0 */
	cr_assert_eq(pc_rtp_source_report(&s, &r), 0);
	cr_assert_eq(r.expected_interval, 0);
	cr_assert_eq(r.fraction_lost, 0);
}

Test(rtp, stats_duplicates_more_than_64_behind)
{
	struct pc_rtp_source s;

	/* Given 0-99 received in order */
	pc_rtp_source_init(&s, 1, 1);
	for (uint16_t q = 0; q < 100; q++)
		cr_assert_eq(pc_test_feed(&s, q), PC_RTP_SEQ_OK);
	/* When 1 (98 behind), 30 and 99 come again / Then duplicates: the window is 128 wide */
	cr_assert_eq(pc_test_feed(&s, 1), PC_RTP_SEQ_DUPLICATE);
	cr_assert_eq(pc_test_feed(&s, 30), PC_RTP_SEQ_DUPLICATE);
	cr_assert_eq(pc_test_feed(&s, 99), PC_RTP_SEQ_DUPLICATE);
	cr_assert_eq(s.duplicates, 3);
	cr_assert_eq(s.reordered, 0);
}

Test(rtp, stats_wrap_at_65535)
{
	struct pc_rtp_source s;
	struct pc_rtp_source_report r;

	/* Given 65533, 65534, 0, 1, 65535 (late, across the wrap), 2 */
	pc_rtp_source_init(&s, 1, 1);
	cr_assert_eq(pc_test_feed(&s, 65533), PC_RTP_SEQ_OK);
	cr_assert_eq(pc_test_feed(&s, 65534), PC_RTP_SEQ_OK);
	cr_assert_eq(pc_test_feed(&s, 0), PC_RTP_SEQ_OK);
	cr_assert_eq(pc_test_feed(&s, 1), PC_RTP_SEQ_OK);
	cr_assert_eq(pc_test_feed(&s, 65535), PC_RTP_SEQ_REORDERED);
	cr_assert_eq(pc_test_feed(&s, 65535), PC_RTP_SEQ_DUPLICATE);
	cr_assert_eq(pc_test_feed(&s, 2), PC_RTP_SEQ_OK);

	/* Then one cycle is counted; the extended highest is 65536 + 2; 6 expected, 7 received
	 * with the duplicate: lost -1 (RFC 3550 6.4.1: negative with duplicates) */
	cr_assert_eq(s.cycles, 65536u);
	cr_assert_eq(pc_rtp_source_report(&s, &r), 0);
	cr_assert_eq(r.ext_max_seq, 65538u);
	cr_assert_eq(r.expected, 6);
	cr_assert_eq(r.received, 7);
	cr_assert_eq(r.lost, -1);
	cr_assert_eq(r.fraction_lost, 0);
}

Test(rtp, stats_big_jump_resync)
{
	struct pc_rtp_source s;
	struct pc_rtp_source_report r;

	/* Given 1000-1002, then one stray packet 20000 (a jump beyond MAX_DROPOUT) */
	pc_rtp_source_init(&s, 1, 1);
	for (uint16_t q = 1000; q <= 1002; q++)
		pc_test_feed(&s, q);
	cr_assert_eq(pc_test_feed(&s, 20000), PC_RTP_SEQ_BAD);
	/* When the stream goes on at 1003 / Then nothing changed: the stray was dropped */
	cr_assert_eq(pc_test_feed(&s, 1003), PC_RTP_SEQ_OK);
	cr_assert_eq(pc_rtp_source_ext_max(&s), 1003);

	/* Given the sender restarting at 40000: two sequential packets */
	cr_assert_eq(pc_test_feed(&s, 40000), PC_RTP_SEQ_BAD);
	cr_assert_eq(pc_test_feed(&s, 40001), PC_RTP_SEQ_RESTART);
	cr_assert_eq(pc_test_feed(&s, 40002), PC_RTP_SEQ_OK);

	/* Then statistics restart at 40001 (A.1 init_seq) */
	cr_assert_eq(pc_rtp_source_report(&s, &r), 0);
	cr_assert_eq(r.ext_max_seq, 40002);
	cr_assert_eq(r.expected, 2);
	cr_assert_eq(r.received, 2);
	cr_assert_eq(r.lost, 0);
	cr_assert_eq(s.bad, 2);
	cr_assert_eq(s.restarts, 1);
}

Test(rtp, stats_dropout_and_misorder_limits)
{
	struct pc_rtp_source s;
	struct pc_rtp_source_report r;

	/* Given 5000, then 7999 (a gap of 2999, under MAX_DROPOUT 3000): a gap, all lost */
	pc_rtp_source_init(&s, 1, 1);
	cr_assert_eq(pc_test_feed(&s, 5000), PC_RTP_SEQ_OK);
	cr_assert_eq(pc_test_feed(&s, 7999), PC_RTP_SEQ_OK);
	cr_assert_eq(pc_rtp_source_report(&s, &r), 0);
	cr_assert_eq(r.lost, 2998);
	cr_assert_eq(r.fraction_lost, (2998u * 256) / 3000);
	/* Then 3000 ahead is a jump */
	cr_assert_eq(pc_test_feed(&s, 10999), PC_RTP_SEQ_BAD);
	/* And 99 behind is reordering, 100 behind a jump (A.1: udelta <= MOD - MAX_MISORDER) */
	cr_assert_eq(pc_test_feed(&s, 7900), PC_RTP_SEQ_REORDERED);
	cr_assert_eq(pc_test_feed(&s, 7899), PC_RTP_SEQ_BAD);
}

Test(rtp, stats_cumulative_lost_clamps_to_24_bits)
{
	struct pc_rtp_source s;
	struct pc_rtp_source_report r;

	/* Given a source whose loss went past 2^23 - 1: forced through the state, as sending
	 * 8 million gaps would take long */
	pc_rtp_source_init(&s, 1, 1);
	pc_test_feed(&s, 0);
	s.cycles = 200u << 16; /* 200 cycles: 13 million expected, 1 received */

	/* When reported / Then the cumulative lost is clamped to 0x7fffff */
	cr_assert_eq(pc_rtp_source_report(&s, &r), 0);
	cr_assert_eq(r.lost, 0x7fffff);
	cr_assert_eq(r.fraction_lost, 255);

	/* And with far more received than expected (duplicates): clamped to -0x800000 */
	s.cycles = 0;
	s.received = 0x900000;
	cr_assert_eq(pc_rtp_source_report(&s, &r), 0);
	cr_assert_eq(r.lost, -0x800000);
}

Test(rtp, stats_jitter_from_known_transit_times)
{
	struct pc_rtp_source s;
	/* Given 8 kHz packets 160 apart arriving with transit times 1000, 1010, 990, 1020 (in
	 * timestamp units): |D| = 10, 20, 30 */
	static const uint32_t arrival[] = { 1000, 1170, 1310, 1500 };
	double j = 0;

	pc_rtp_source_init(&s, 1, 1);
	for (unsigned i = 0; i < 4; i++) {
		cr_assert_eq(pc_rtp_source_update(&s, (uint16_t)i, 160u * i, arrival[i]),
			     PC_RTP_SEQ_OK);
		if (i > 0) {
			/* A.8: J += (|D| - J) / 16 */
			double d = (double)(int32_t)((arrival[i] - 160u * i) -
						     (arrival[i - 1] - 160u * (i - 1)));

			j += ((d < 0 ? -d : d) - j) / 16;
		}
	}

	/* Then the integer state follows the RFC's integer form: 10, 10 + 20 - 1 = 29,
	 * 29 + 30 - 2 = 57 (times 16), and the jitter is 3, the formula's 3.596 rounded down */
	cr_assert_eq(s.jitter_q4, 57);
	cr_assert_eq(pc_rtp_source_jitter(&s), 3);
	cr_assert_eq(pc_rtp_source_jitter(&s), (uint32_t)j, "double formula %f", j);

	/* Given a steady delay then: the jitter decays toward 0 */
	for (unsigned i = 4; i < 200; i++)
		pc_rtp_source_update(&s, (uint16_t)i, 160u * i, 160u * i + 1020);
	cr_assert_eq(pc_rtp_source_jitter(&s), 0);
}

Test(rtp, stats_jitter_converges_to_a_constant_deviation)
{
	struct pc_rtp_source s;

	/* Given transit times alternating 0 and 80 units: |D| = 80 every packet */
	pc_rtp_source_init(&s, 1, 1);
	for (uint32_t i = 0; i < 400; i++)
		pc_rtp_source_update(&s, (uint16_t)i, 160u * i, 160u * i + (i & 1) * 80u);

	/* Then the jitter converges to 80 (within the integer form's rounding) */
	cr_assert_geq(pc_rtp_source_jitter(&s), 79);
	cr_assert_leq(pc_rtp_source_jitter(&s), 80);
}

Test(rtp, arrival_time_in_timestamp_units)
{
	/* 1.5 s at 8 kHz and 90 kHz; a time far beyond 2^64 / clock rate does not overflow */
	cr_assert_eq(pc_rtp_ts_from_ns(1500000000ull, 8000), 12000);
	cr_assert_eq(pc_rtp_ts_from_ns(1500000000ull, 90000), 135000);
	cr_assert_eq(pc_rtp_ts_from_ns(10000000000000000000ull, 90000),
		     (uint32_t)(10000000000ull * 90000ull));
}
