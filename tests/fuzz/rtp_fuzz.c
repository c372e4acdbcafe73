/* SPDX-License-Identifier: MIT */
/*
 * rtp_fuzz.c - libFuzzer target for the RTP and RTCP header checks of fastpath/rtp/pc_rtp.h:
 * pc_rtp_parse(), pc_rtp_is_rtcp() and pc_rtcp_check() (reduced_size false and true), the RFC
 * 8285 header extension iterator and writer, and the header writer.
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
 *   pc_rtp_ext_*   on a parsed packet with an extension: -ENOTSUP exactly for a profile that
 *                  is neither 0xBEDE nor 0x100X; otherwise the elements and the end (0, or
 *                  -EBADMSG) are those of a reference walk, every element inside the
 *                  extension; written again with pc_rtp_ext_writer_*, they iterate the same.
 *   pc_rtp_write   the fields of a parsed packet written again (CSRCs, the extension block
 *                  verbatim), followed by its payload and padding, give the same bytes.
 *   pc_rtp_add_padding  on a parsed packet without P: parses with the padding added.
 * Each input is checked as it is, then once more with V=2, X=1 and an RFC 8285 profile forced
 * into it, so that the extension code is reached without a seed corpus.
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

/* The reference walk of RFC 8285 elements: fills ids/lens/offs, returns the count; *end is 0
 * for a clean end (or id 15), -EBADMSG for an element past the end. */
static unsigned ref_ext(const uint8_t *p, size_t len, bool two, uint8_t *ids, uint8_t *lens,
			size_t *offs, int *end)
{
	size_t off = 0;
	unsigned n = 0;

	*end = 0;
	while (off < len) {
		size_t id, elen, hdr = two ? 2 : 1;

		if (p[off] == 0 || (!two && p[off] >> 4 == 0)) {
			off++;
			continue;
		}
		if (two) {
			if (len - off < 2) {
				*end = -EBADMSG;
				return n;
			}
			id = p[off];
			elen = p[off + 1];
		} else {
			id = p[off] >> 4;
			elen = (size_t)(p[off] & 15) + 1;
			if (id == 15)
				return n;
		}
		if (off + hdr + elen > len) {
			*end = -EBADMSG;
			return n;
		}
		ids[n] = (uint8_t)id;
		lens[n] = (uint8_t)elen;
		offs[n] = off + hdr;
		n++;
		off += hdr + elen;
	}
	return n;
}

static void fuzz_ext(const uint8_t *b, const struct pc_rtp_hdr_view *v)
{
	/* An extension of up to 65519 bytes holds at most that many elements. */
	static uint8_t ids[65536], lens[65536], out[65536 + 8];
	static size_t offs[65536];
	const uint8_t *ext = b + v->hdr_len - v->ext_len;
	struct pc_rtp_ext_iter it;
	struct pc_rtp_ext_elem e;
	struct pc_rtp_ext_writer w;
	unsigned n, i = 0;
	int end, rc;
	bool two = v->ext_profile != PC_RTP_EXT_ONE_BYTE;

	rc = pc_rtp_ext_iter_init(&it, b, v);
	if (!v->extension) {
		check(rc == -ENOENT);
		return;
	}
	if (v->ext_profile != 0xbede && (v->ext_profile & 0xfff0) != 0x1000) {
		check(rc == -ENOTSUP);
		return;
	}
	check(rc == 0);
	n = ref_ext(ext, v->ext_len, two, ids, lens, offs, &end);
	while ((rc = pc_rtp_ext_next(&it, &e)) > 0) {
		check(i < n);
		check(e.id == ids[i] && e.len == lens[i] && e.data == ext + offs[i]);
		check(e.data >= ext && e.data + e.len <= ext + v->ext_len);
		check(e.id != 0 && (two || (e.id <= 14 && e.len >= 1 && e.len <= 16)));
		i++;
	}
	check(i == n && rc == end);
	check(pc_rtp_ext_next(&it, &e) == end); /* the end is sticky */

	/* Written again, the same elements come back. */
	check(pc_rtp_ext_writer_init(&w, out, (size_t)v->ext_len + 8, v->ext_profile) == 0);
	for (i = 0; i < n; i++)
		check(pc_rtp_ext_write(&w, ids[i], ext + offs[i], lens[i]) == 0);
	size_t blen = pc_rtp_ext_writer_finish(&w);
	check(blen % 4 == 0 && blen >= 4 && blen <= (size_t)v->ext_len + 8);
	check(pc_rtp__be16(out) == v->ext_profile);
	check(4 + 4 * (size_t)pc_rtp__be16(out + 2) == blen);
	check(pc_rtp_ext_iter_init_raw(&it, v->ext_profile, out + 4, blen - 4) == 0);
	for (i = 0; (rc = pc_rtp_ext_next(&it, &e)) > 0; i++) {
		check(i < n && e.id == ids[i] && e.len == lens[i]);
		check(memcmp(e.data, ext + offs[i], e.len) == 0);
	}
	check(rc == 0 && i == n);
}

static void fuzz_write(const uint8_t *b, size_t len, const struct pc_rtp_hdr_view *v)
{
	uint32_t csrc[15];
	struct pc_rtp_hdr_params h = {
		.ssrc = v->ssrc,
		.ts = v->ts,
		.seq = v->seq,
		.pt = v->pt,
		.marker = v->marker,
		.cc = v->cc,
		.csrc = csrc,
	};
	uint8_t *out = malloc(len + 255);
	struct pc_rtp_hdr_view v2;
	int rc;

	if (out == NULL)
		return;
	for (unsigned i = 0; i < v->cc; i++)
		csrc[i] = be32(b + 12 + 4 * i);
	if (v->extension) {
		h.ext = b + 12 + 4 * v->cc;
		h.ext_len = (uint16_t)(v->ext_len + 4);
	}
	check(pc_rtp_hdr_size(&h) == v->hdr_len);
	/* Too small a buffer is refused, the exact one written. */
	check(pc_rtp_write(out, v->hdr_len - 1, &h) == -ENOSPC);
	rc = pc_rtp_write(out, len, &h);
	check(rc == v->hdr_len);
	memcpy(out + rc, b + rc, len - (size_t)rc);
	if (v->padding)
		out[0] |= 0x20;
	check(memcmp(out, b, len) == 0);

	/* Padding added to a packet without it parses back. */
	if (!v->padding) {
		unsigned pad = (unsigned)(b[len - 1] % 255) + 1;

		rc = pc_rtp_add_padding(out, len, len + 255, pad);
		if (len + pad <= UINT16_MAX) {
			check(rc == (int)(len + pad));
			check(pc_rtp_parse(out, len + pad, &v2) == 0);
			check(v2.pad_len == pad && v2.payload_len == v->payload_len);
		} else {
			check(rc == -ENOSPC);
		}
	}
	free(out);
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

	fuzz_ext(b, &v);
	fuzz_write(b, len, &v);
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

	/* The same bytes again as an RTP packet with an RFC 8285 extension: V=2 and X forced,
	 * the profile 0xBEDE or 0x100X (chosen by the P bit's neighbour) written where the
	 * extension starts, so that the extension paths are reached from any input. */
	if (size >= 16 && 16 + 4 * (size_t)(b[0] & 0x0f) <= size) {
		size_t at = 12 + 4 * (size_t)(b[0] & 0x0f);

		b[0] = (uint8_t)(0x90 | (b[0] & 0x2f));
		if (b[1] & 0x40) {
			b[at] = 0xbe;
			b[at + 1] = 0xde;
		} else {
			b[at] = 0x10;
			b[at + 1] &= 0x0f;
		}
		fuzz_rtp(b, size);
	}
	free(b);
	return 0;
}
