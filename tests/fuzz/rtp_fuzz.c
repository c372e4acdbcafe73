/* SPDX-License-Identifier: MIT */
/*
 * rtp_fuzz.c - libFuzzer target for the RTP and RTCP header checks of fastpath/rtp/pc_rtp.h:
 * pc_rtp_parse(), pc_rtp_is_rtcp() and pc_rtcp_check() (reduced_size false and true).
 *
 * Notes on running it:
 *   - pc_rtp.h is header only: the target needs no other source.
 *     clang -g -O1 -fsanitize=fuzzer,address,undefined -Ifastpath/rtp tests/fuzz/rtp_fuzz.c \
 *         -o /tmp/rtp_fuzz && /tmp/rtp_fuzz -max_total_time=30
 *   - With tests/fuzz/fuzz.cmake: pc_add_fuzz_target(rtp SOURCES <dir>/rtp_fuzz.c INCLUDES
 *     <root>/fastpath/rtp).
 *   - Longer, keeping what it finds: `./rtp_fuzz -max_total_time=600 corpus/`; a crash leaves
 *     crash-<sha1> to replay with `./rtp_fuzz crash-<sha1>`.
 *
 * The input is one datagram, copied into a buffer of exactly its length so that
 * AddressSanitizer catches any read past it. Each function is checked against the contract of
 * its header comment, written out again here as a plain reference (abort on any difference):
 *   pc_rtp_parse   0 exactly when the reference accepts; on success the fields are the bytes'
 *                  (version 2, seq, ts, SSRC, CC, X, P, M, PT), hdr_len >= 12 and is
 *                  12 + 4 CC (+ 4 + 4 * the extension's length field), ext_len is that length
 *                  in bytes, pad_len is the last byte (with P), and
 *                  hdr_len + payload_len + pad_len == len; otherwise -EBADMSG.
 *   pc_rtp_is_rtcp byte 1 in 192..223 (RFC 5761 4), never for fewer than 2 bytes.
 *   pc_rtcp_check  the packet count exactly when the reference accepts (every packet version
 *                  2, type 192..223, inside the datagram, lengths adding up to len, padding
 *                  only on the last; first SR or RR unless reduced_size); otherwise -EBADMSG.
 *                  Whatever passes without reduced size passes with it, with the same count.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pc_rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		abort();
}

static size_t be16(const uint8_t *p)
{
	return (size_t)p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The reference for pc_rtp_parse: the header length, or 0 when the packet is to be refused. */
static size_t ref_rtp_hdr(const uint8_t *b, size_t len)
{
	size_t hdr;

	if (len < 12 || len > UINT16_MAX || b[0] >> 6 != 2)
		return 0;
	hdr = 12 + 4 * (size_t)(b[0] & 0x0f);
	if (b[0] & 0x10) {
		if (len < hdr + 4)
			return 0;
		hdr += 4 + 4 * be16(b + hdr + 2); /* in size_t: 4 * 0xffff does not wrap */
	}
	if (len < hdr)
		return 0;
	if (b[0] & 0x20) {
		size_t pad = b[len - 1];

		if (pad == 0 || pad > len - hdr)
			return 0;
	}
	return hdr;
}

static void fuzz_rtp(const uint8_t *b, size_t len)
{
	struct pc_rtp_hdr_view v;
	size_t ref = ref_rtp_hdr(b, len);
	int rc;

	memset(&v, 0xa5, sizeof(v));
	rc = pc_rtp_parse(b, len, &v);
	check(rc == 0 || rc == -EBADMSG);
	check((rc == 0) == (ref != 0));
	if (rc != 0)
		return;

	/* The invariants of the brief: lengths add up, the header is at least the fixed one. */
	check((size_t)v.hdr_len + v.payload_len + v.pad_len == len);
	check(v.hdr_len >= PC_RTP_HDR_MIN);
	/* And every field is what the bytes say. */
	check(v.hdr_len == ref);
	check(v.version == 2);
	check(v.padding == ((b[0] >> 5) & 1));
	check(v.extension == ((b[0] >> 4) & 1));
	check(v.cc == (b[0] & 0x0f));
	check(v.marker == b[1] >> 7);
	check(v.pt == (b[1] & 0x7f));
	check(v.seq == be16(b + 2));
	check(v.ts == be32(b + 4));
	check(v.ssrc == be32(b + 8));
	if (v.extension) {
		size_t at = 12 + 4 * (size_t)v.cc;

		check(v.ext_profile == be16(b + at));
		check(v.ext_len == 4 * be16(b + at + 2));
		check(v.hdr_len == at + 4 + v.ext_len);
	} else {
		check(v.ext_profile == 0 && v.ext_len == 0);
		check(v.hdr_len == 12 + 4 * (size_t)v.cc);
	}
	check(v.pad_len == (v.padding ? b[len - 1] : 0));
}

/* The reference for pc_rtcp_check: the packet count, or -EBADMSG. */
static int ref_rtcp(const uint8_t *b, size_t len, bool reduced_size)
{
	size_t off = 0;
	int count = 0;

	if (len < 4 || len % 4 != 0)
		return -EBADMSG;
	if (!reduced_size && b[1] != 200 && b[1] != 201)
		return -EBADMSG;
	while (off < len) {
		size_t plen;

		if (len - off < 4 || b[off] >> 6 != 2 || b[off + 1] < 192 || b[off + 1] > 223)
			return -EBADMSG;
		plen = 4 * (be16(b + off + 2) + 1);
		if (plen > len - off)
			return -EBADMSG;
		if ((b[off] & 0x20) && off + plen != len)
			return -EBADMSG;
		off += plen;
		count++;
	}
	return count;
}

static void fuzz_rtcp(const uint8_t *b, size_t len)
{
	int plain = pc_rtcp_check(b, len, false);
	int reduced = pc_rtcp_check(b, len, true);

	check(plain == -EBADMSG || plain > 0);
	check(reduced == -EBADMSG || reduced > 0);
	check(plain == ref_rtcp(b, len, false));
	check(reduced == ref_rtcp(b, len, true));
	if (plain > 0)
		check(reduced == plain);
	/* A compound has at most one packet per 4 bytes. */
	if (reduced > 0)
		check((size_t)reduced <= len / 4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *b = malloc(size ? size : 1);
	bool rtcp;

	if (b == NULL)
		return 0;
	if (size)
		memcpy(b, data, size);

	fuzz_rtp(b, size);
	rtcp = pc_rtp_is_rtcp(b, size);
	check(rtcp == (size >= 2 && b[1] >= 192 && b[1] <= 223));
	fuzz_rtcp(b, size);

	/* Nothing may write to the datagram. */
	check(size == 0 || memcmp(b, data, size) == 0);
	free(b);
	return 0;
}
