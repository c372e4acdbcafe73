/* SPDX-License-Identifier: MIT */
/*
 * h264_rtp_fuzz.c - libFuzzer target for the RFC 6184 payload format of codecs/pc_h264_rtp.h.
 *
 * Notes on running it:
 *   - Built from tests/fuzz/h264_rtp.cmake (clang): fuzz_h264_rtp, CTest test fuzz/h264_rtp.
 *     By hand: clang -g -O1 -fsanitize=fuzzer,address,undefined -Icodecs \
 *         tests/fuzz/h264_rtp_fuzz.c codecs/h264_rtp.c -o /tmp/h264_rtp_fuzz
 *   - Longer: `./h264_rtp_fuzz -max_total_time=600 corpus/`; replay a crash with
 *     `./h264_rtp_fuzz crash-<sha1>`.
 *
 * The input, from a buffer of exactly its length, is used two ways:
 *   1. As a packet stream for the depacketizer: 3 bytes of conf (max_au_bytes, window,
 *      reorder_frames and max_packets), then records of a 3-byte header (sequence step as
 *      int8, flags: bit 0 marker, bit 1 next timestamp, bit 2 flush after, bits 4-7 length /
 *      256; length % 256) and the payload (cut at the input's end). After each put every AU
 *      is taken with get: each is Annex B with 4-byte start codes, at most max_au_bytes, and
 *      the counters add up.
 *   2. As one access unit for the packetizer (the conf from its first byte: mode, STAP-A,
 *      max_payload): every payload at most max_payload, the marker on the last one only;
 *      depacketized in order (from a sequence number near the wrap), the AU comes back as its
 *      NAL units (found by a separate, naive Annex B split) behind 4-byte start codes. An error
 *      from the packetizer must match the split: -EBADMSG only for a NAL unit of type 0 or
 *      24-31, -EMSGSIZE only in mode 0 for one above max_payload. The same packets go through
 *      again without any marker (RFC 6184 5.1: the AU must come out, on the flush), and, after a
 *      one-packet AU, with the AU's first packet last (reordering inside an AU: the AU must come
 *      out whole, nothing dropped; skipped when a later packet leads with an AUD, which only an
 *      AU's first NAL unit may be). Any mismatch aborts.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pc_h264_rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define F_MAX_AU (1u << 16)
#define F_MAX_PKTS 8192u

static void check(int cond)
{
	if (!cond)
		abort();
}

static void drain(struct pc_h264_depack *d, uint32_t max_au, uint64_t *got)
{
	struct pc_h264_au au;

	while (pc_h264_depack_get(d, &au) == 1) {
		check(au.len >= 5 && au.len <= max_au);
		check(!memcmp(au.data, "\0\0\0\1", 4));
		(*got)++;
	}
}

static void fuzz_stream(const uint8_t *data, size_t size)
{
	struct pc_h264_depack_conf conf = { 0 };
	struct pc_h264_depack_stats st;
	struct pc_h264_depack *d;
	uint64_t got = 0, puts = 0;
	uint16_t seq = 0xfff0;
	uint32_t ts = 0;
	size_t off = 3;

	if (size < 3)
		return;
	conf.max_au_bytes = 16u + 64u * data[0];
	conf.window = (uint16_t)(1 + data[1] % 80);
	conf.reorder_frames = (uint16_t)(data[2] % 4);
	conf.max_packets = (uint32_t)(data[2] >> 2) * 8u; /* 0: the default; small rings fill */
	if (pc_h264_depack_create(&d, &conf))
		return;
	while (size - off >= 3) {
		const uint8_t *h = data + off;
		size_t len = (size_t)(h[1] >> 4) << 8 | h[2];
		int r;

		off += 3;
		if (len > size - off)
			len = size - off;
		seq = (uint16_t)(seq + (int8_t)h[0]);
		if (h[1] & 2)
			ts += 3000;
		r = pc_h264_depack_put(d, seq, ts, h[1] & 1, data + off, len);
		check(r == 0 || r == -EBADMSG || r == -EALREADY);
		puts++;
		off += len;
		drain(d, conf.max_au_bytes, &got);
		if (h[1] & 4) {
			pc_h264_depack_flush(d);
			drain(d, conf.max_au_bytes, &got);
		}
	}
	pc_h264_depack_flush(d);
	drain(d, conf.max_au_bytes, &got);
	pc_h264_depack_stats(d, &st);
	check(st.packets == puts && st.aus == got);
	check(st.bad + st.duplicates + st.late <= st.packets + st.aus_dropped);
	check(!pc_h264_depack_keyframe_needed(d) || st.keyframe_requests > 0);
	check(!pc_h264_depack_keyframe_needed(d));
	pc_h264_depack_destroy(d);
}

/* The naive split: NAL units between 00 00 01 start codes, zero bytes at their end dropped,
 * empty ones skipped. Writes the expected AU into @exp; *bad_type, *max_nal as found. */
static size_t ref_split(const uint8_t *b, size_t n, uint8_t *exp, bool *bad_type, size_t *max_nal)
{
	size_t i = 0, o = 0;

	*bad_type = false;
	*max_nal = 0;
	/* the first start code */
	while (i + 3 <= n && !(b[i] == 0 && b[i + 1] == 0 && b[i + 2] == 1))
		i++;
	if (i + 3 > n)
		return 0;
	i += 3;
	while (i <= n) {
		size_t j = i, end;

		while (j + 3 <= n && !(b[j] == 0 && b[j + 1] == 0 && b[j + 2] == 1))
			j++;
		if (j + 3 > n)
			j = n;
		end = j;
		while (end > i && b[end - 1] == 0)
			end--;
		if (end > i) {
			uint8_t t = b[i] & 0x1f;

			if (t == 0 || t >= 24)
				*bad_type = true;
			if (end - i > *max_nal)
				*max_nal = end - i;
			memcpy(exp + o, "\0\0\0\1", 4);
			memcpy(exp + o + 4, b + i, end - i);
			o += 4 + end - i;
		}
		if (j == n)
			break;
		i = j + 3;
	}
	return o;
}

static uint8_t pkt_buf[4 * F_MAX_AU + 2 * F_MAX_PKTS];
static size_t pkt_off[F_MAX_PKTS], pkt_len[F_MAX_PKTS];
static bool pkt_marker[F_MAX_PKTS];
static uint8_t exp_buf[2 * F_MAX_AU];

/* Whether a packet after the first leads with an access unit delimiter (a single NAL unit, the
 * first of a STAP-A or an FU-A start of type 9). */
static bool aud_after_first(size_t n)
{
	for (size_t i = 1; i < n; i++) {
		const uint8_t *b = pkt_buf + pkt_off[i];
		uint8_t t = b[0] & 0x1f;

		if (t == 24)
			t = b[3] & 0x1f;
		else if (t == 28)
			t = b[1] & 0x80 ? b[1] & 0x1f : 0;
		if (t == 9)
			return true;
	}
	return false;
}

/* The packets of the AU through a depacketizer: pass 0 in order, 1 in order without markers,
 * 2 after a one-packet AU (taken first) with the AU's first packet last. The AU must come out
 * once, byte-exact, without a drop. */
static void depack_pass(const struct pc_h264_depack_conf *dc, uint8_t seq_off, size_t n, int pass,
			size_t exp_len)
{
	static const uint8_t lead[] = { 0x41, 0x9a, 0x01 };
	struct pc_h264_depack_stats st;
	struct pc_h264_depack *d;
	struct pc_h264_au au;
	uint16_t seq0 = (uint16_t)(0xfffau + seq_off);
	int got = 0;

	check(pc_h264_depack_create(&d, dc) == 0);
	if (pass == 2) {
		check(pc_h264_depack_put(d, (uint16_t)(seq0 - 1), 1000, true, lead, sizeof(lead)) ==
		      0);
		check(pc_h264_depack_get(d, &au) == 1 && au.rtp_ts == 1000);
	}
	for (size_t j = 0; j < n; j++) {
		size_t i = pass == 2 ? (j + 1) % n : j;
		uint16_t seq = (uint16_t)(seq0 + i);

		check(pc_h264_depack_put(d, seq, 1234, pass != 1 && pkt_marker[i],
					 pkt_buf + pkt_off[i], pkt_len[i]) == 0);
		while (pc_h264_depack_get(d, &au) == 1) {
			check(pass != 1);
			check(au.len == exp_len && !memcmp(au.data, exp_buf, exp_len));
			check(au.rtp_ts == 1234);
			got++;
		}
	}
	pc_h264_depack_flush(d);
	while (pc_h264_depack_get(d, &au) == 1) {
		check(au.len == exp_len && !memcmp(au.data, exp_buf, exp_len));
		got++;
	}
	check(got == 1);
	check(!pc_h264_depack_keyframe_needed(d));
	pc_h264_depack_stats(d, &st);
	check(st.aus_dropped == 0 && st.late == 0);
	pc_h264_depack_destroy(d);
}

static void fuzz_roundtrip(const uint8_t *data, size_t size)
{
	struct pc_h264_pack_conf c = { 0 };
	struct pc_h264_depack_conf dc = { 0 };
	struct pc_h264_pack p;
	size_t exp_len, max_nal, n = 0, used = 0, total = 0;
	bool bad_type, marker;
	int r;

	if (size < 2 || size > F_MAX_AU)
		return;
	c.mode = data[0] & 1 ? PC_H264_MODE_NON_INTERLEAVED : PC_H264_MODE_SINGLE;
	c.stap_a = data[0] & 2;
	c.max_payload = 3u + (data[0] >> 2) * (data[0] & 0x80 ? 23u : 1u);
	exp_len = ref_split(data, size, exp_buf, &bad_type, &max_nal);
	r = pc_h264_pack_init(&p, &c, data, size);
	if (!exp_len) {
		check(r == -EBADMSG);
		return;
	}
	check(r == 0);
	for (;;) {
		size_t len = 0;

		check(n < F_MAX_PKTS && used + c.max_payload <= sizeof(pkt_buf));
		r = pc_h264_pack_next(&p, pkt_buf + used, c.max_payload, &len, &marker);
		if (r <= 0)
			break;
		check(len >= 1 && len <= c.max_payload);
		if (n)
			check(!pkt_marker[n - 1]);
		pkt_off[n] = used;
		pkt_len[n] = len;
		pkt_marker[n] = marker;
		used += len;
		total += len;
		n++;
	}
	if (r == -EBADMSG) {
		check(bad_type);
		return;
	}
	if (r == -EMSGSIZE) {
		check(c.mode == PC_H264_MODE_SINGLE && max_nal > c.max_payload);
		return;
	}
	check(r == 0 && n > 0 && pkt_marker[n - 1] && !bad_type);

	/* room for the AU and every payload held; a window over all the packets */
	dc.max_au_bytes = (uint32_t)(exp_len > total ? exp_len : total) + 64;
	dc.window = (uint16_t)(n + 2 < 30000 ? n + 2 : 30000);
	for (int pass = 0; pass < 3; pass++) {
		if (pass == 2 && (n < 2 || n + 2 > dc.window || aud_after_first(n)))
			break;
		depack_pass(&dc, data[1], n, pass, exp_len);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_stream(data, size);
	fuzz_roundtrip(data, size);
	return 0;
}
