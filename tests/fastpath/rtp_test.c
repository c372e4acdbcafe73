/* SPDX-License-Identifier: MIT */
/*
 * rtp_test.c - the RTP and RTCP header checks of pc_rtp.h: known packets parsed field by field
 * (minimal header, CSRCs, a one-byte-header extension, padding), every malformed case of the
 * header's contract rejected with -EBADMSG, RTP told from RTCP on a muxed port (RFC 5761 4), and
 * the framing of RTCP compounds (RFC 3550 A.2, reduced size per RFC 5506).
 *
 * Every packet is checked from a heap copy of exactly its length, so that a read past the end
 * shows under AddressSanitizer.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
