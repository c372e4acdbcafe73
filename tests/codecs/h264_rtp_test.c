/* SPDX-License-Identifier: MIT */
/*
 * h264_rtp_test.c - the RFC 6184 payload format of codecs/pc_h264_rtp.h.
 *
 * Synthetic streams (SPS, PPS, IDR and non-IDR slices of many sizes, NAL units with emulation
 * prevention bytes, 3- and 4-byte start codes, trailing zero bytes) go through the packetizer
 * (mode 0, mode 1 with and without STAP-A) and back through the depacketizer: each AU must come
 * back byte for byte as its NAL units behind 4-byte start codes. Then the byte layouts of
 * RFC 6184 5.7.1 (STAP-A) and 5.8 (FU-A), reordering within AUs and across them, the loss of
 * each single packet of a stream (exactly its AU dropped, one key-frame request, the rest
 * delivered), duplicates, late packets, sequence wrap, window overflow, max_au_bytes, every
 * kind of malformed payload, and the packetizer's errors.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pc_h264_rtp.h"

#define T_AU_MAX (1u << 16)
#define T_PKT_MAX 1500u
#define T_PKTS_MAX 1024u
#define T_AUS_MAX 16u

struct t_au {
	uint8_t in[T_AU_MAX]; /* Annex B as an encoder writes it */
	size_t in_len;
	uint8_t exp[T_AU_MAX]; /* what the depacketizer must give back */
	size_t exp_len;
	uint32_t ts;
	bool idr;
	int nals;
};

struct t_pkt {
	uint8_t b[T_PKT_MAX];
	size_t len;
	uint16_t seq;
	uint32_t ts;
	bool marker;
	int au;
};

struct t_stream {
	struct t_au au[T_AUS_MAX];
	int naus;
	struct t_pkt pkt[T_PKTS_MAX];
	int npkts;
};

static uint32_t t_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Appends a NAL unit of @n bytes (header @hdr) to @a. Bytes are never 0 but for one emulation
 * prevention sequence (00 00 03) in the longer ones; a slice starts with first_mb_in_slice 0
 * (bit 7 of its second byte) when @first. Alternates 4- and 3-byte start codes and sometimes
 * ends with zero bytes (trailing_zero_8bits). */
static void t_au_add(struct t_au *a, uint8_t hdr, size_t n, bool first, uint32_t *rng)
{
	uint8_t *b;
	uint8_t type = hdr & 0x1f;

	cr_assert_lt(a->in_len + n + 8, T_AU_MAX);
	if (a->nals % 2 == 0)
		a->in[a->in_len++] = 0;
	memcpy(a->in + a->in_len, "\0\0\1", 3);
	a->in_len += 3;
	b = a->in + a->in_len;
	b[0] = hdr;
	for (size_t i = 1; i < n; i++)
		b[i] = (uint8_t)(1 + t_rand(rng) % 255);
	if ((type == 1 || type == 5) && n > 1)
		b[1] = first ? (uint8_t)(b[1] | 0x80) : (uint8_t)((b[1] & 0x7f) | 0x01);
	if (n > 20) {
		b[10] = 0;
		b[11] = 0;
		b[12] = 3;
	}
	a->in_len += n;
	if (a->nals % 3 == 1) {
		memset(a->in + a->in_len, 0, 2);
		a->in_len += 2;
	}
	memcpy(a->exp + a->exp_len, "\0\0\0\1", 4);
	memcpy(a->exp + a->exp_len + 4, b, n);
	a->exp_len += 4 + n;
	if (type == 5)
		a->idr = true;
	a->nals++;
}

/* A stream of @naus AUs: IDR ones (SPS, PPS, slices) at 0 and 5, the others non-IDR: a single
 * small slice, slices needing FU-A, three small slices (a STAP-A), slices at the max_payload
 * boundary (@mp, @mp + 1 and the STAP-A limit) when @mp is given. */
static void t_stream_build(struct t_stream *st, int naus, size_t mp, bool big, uint32_t seed,
			   bool mode0)
{
	uint32_t rng = seed;

	memset(st, 0, sizeof(*st));
	st->naus = naus;
	for (int i = 0; i < naus; i++) {
		struct t_au *a = &st->au[i];

		a->ts = 1000u + 3000u * (uint32_t)i;
		switch (i % 8) {
		case 0:
		case 5:
			t_au_add(a, 0x67, 12, false, &rng);
			t_au_add(a, 0x68, 5, false, &rng);
			t_au_add(a, 0x65, big ? 20000 : 900, true, &rng);
			t_au_add(a, 0x65, 1000, false, &rng);
			break;
		case 1:
			t_au_add(a, 0x41, 300, true, &rng);
			break;
		case 2:
			t_au_add(a, 0x41, big ? 2500 : 600, true, &rng);
			break;
		case 3:
			t_au_add(a, 0x41, 400, true, &rng);
			t_au_add(a, 0x21, 300, false, &rng);
			t_au_add(a, 0x01, 200, false, &rng);
			break;
		case 4:
			t_au_add(a, 0x41, mp ? mp : 80, true, &rng);
			t_au_add(a, 0x41, mp ? (mode0 ? mp - 1 : mp + 1) : 90, false, &rng);
			break;
		case 6:
			/* two that fill a STAP-A exactly: 1 + 2 + x + 2 + 40 = mp */
			t_au_add(a, 0x41, mp ? mp - 45 : 100, true, &rng);
			t_au_add(a, 0x41, 40, false, &rng);
			break;
		default:
			t_au_add(a, 0x41, 80, true, &rng);
			break;
		}
	}
}

/* Packetizes every AU of @st, sequence numbers from @seq0. */
static void t_stream_pack(struct t_stream *st, const struct pc_h264_pack_conf *conf, uint16_t seq0)
{
	st->npkts = 0;
	for (int i = 0; i < st->naus; i++) {
		struct pc_h264_pack p;
		int r;

		cr_assert_eq(pc_h264_pack_init(&p, conf, st->au[i].in, st->au[i].in_len), 0);
		for (;;) {
			struct t_pkt *k = &st->pkt[st->npkts];

			cr_assert_lt(st->npkts, (int)T_PKTS_MAX);
			r = pc_h264_pack_next(&p, k->b, sizeof(k->b), &k->len, &k->marker);
			cr_assert_geq(r, 0, "AU %d: %d", i, r);
			if (r == 0)
				break;
			cr_assert_leq(k->len, conf->max_payload);
			k->seq = (uint16_t)(seq0 + st->npkts);
			k->ts = st->au[i].ts;
			k->au = i;
			st->npkts++;
		}
		cr_assert(st->pkt[st->npkts - 1].marker, "AU %d: marker on its last packet", i);
	}
}

struct t_got {
	int n;
	uint32_t ts[64];
	bool idr[64];
	bool ok[64]; /* byte-exact with the AU of that timestamp */
};

/* Takes every available AU, checking each against the stream's AU of its timestamp. */
static void t_drain(struct pc_h264_depack *d, const struct t_stream *st, struct t_got *g)
{
	struct pc_h264_au au;

	while (pc_h264_depack_get(d, &au) == 1) {
		int i;

		cr_assert_lt(g->n, 64);
		for (i = 0; i < st->naus; i++)
			if (st->au[i].ts == au.rtp_ts)
				break;
		cr_assert_lt(i, st->naus, "unknown timestamp %u", au.rtp_ts);
		g->ts[g->n] = au.rtp_ts;
		g->idr[g->n] = au.idr;
		g->ok[g->n] = au.len == st->au[i].exp_len &&
			      !memcmp(au.data, st->au[i].exp, au.len);
		g->n++;
	}
}

/* Feeds the packets in the order @order (@n of them; NULL: in order), draining after each. */
static void t_feed(struct pc_h264_depack *d, const struct t_stream *st, const int *order, int n,
		   struct t_got *g)
{
	for (int j = 0; j < n; j++) {
		const struct t_pkt *k = &st->pkt[order ? order[j] : j];
		int r = pc_h264_depack_put(d, k->seq, k->ts, k->marker, k->b, k->len);

		cr_assert_eq(r, 0, "packet %d (seq %u): %d", order ? order[j] : j, k->seq, r);
		t_drain(d, st, g);
	}
}

/* Every AU of the stream came out, in order, byte-exact, with its IDR flag. */
static void t_expect_all(const struct t_stream *st, const struct t_got *g)
{
	cr_assert_eq(g->n, st->naus);
	for (int i = 0; i < st->naus; i++) {
		cr_expect_eq(g->ts[i], st->au[i].ts, "AU %d in order", i);
		cr_expect(g->ok[i], "AU %d byte-exact", i);
		cr_expect_eq(g->idr[i], st->au[i].idr, "AU %d idr flag", i);
	}
}

static struct t_stream *t_new_stream(void)
{
	struct t_stream *st = malloc(sizeof(*st));

	cr_assert_not_null(st);
	return st;
}

static void t_roundtrip(const struct pc_h264_pack_conf *conf, bool big, uint16_t seq0)
{
	struct t_stream *st = t_new_stream();
	struct pc_h264_depack *d;
	struct pc_h264_depack_stats s;
	struct t_got g = { 0 };

	/* Given a stream packetized with @conf */
	t_stream_build(st, 10, conf->max_payload, big, 7, conf->mode == PC_H264_MODE_SINGLE);
	t_stream_pack(st, conf, seq0);
	cr_assert_eq(pc_h264_depack_create(&d, NULL), 0);

	/* When its packets are depacketized in order */
	t_feed(d, st, NULL, st->npkts, &g);

	/* Then every AU comes back as it went in, without a flush, and nothing was dropped */
	t_expect_all(st, &g);
	pc_h264_depack_stats(d, &s);
	cr_expect_eq(s.packets, (uint64_t)st->npkts);
	cr_expect_eq(s.aus, (uint64_t)st->naus);
	cr_expect_eq(s.aus_dropped + s.bad + s.duplicates + s.late + s.keyframe_requests, 0);
	cr_expect_not(pc_h264_depack_keyframe_needed(d));
	pc_h264_depack_destroy(d);
	free(st);
}

Test(h264_rtp, mode0_roundtrip)
{
	struct pc_h264_pack_conf c = { .mode = PC_H264_MODE_SINGLE, .max_payload = 1400 };
	struct t_stream *st = t_new_stream();
	int pk = 0;

	t_roundtrip(&c, false, 100);

	/* And: one packet per NAL unit, each exactly the NAL unit, the marker on the last */
	t_stream_build(st, 10, c.max_payload, false, 7, true);
	t_stream_pack(st, &c, 0);
	for (int i = 0; i < st->naus; i++) {
		int base = pk;

		pk += st->au[i].nals;
		for (int j = base; j < pk; j++)
			cr_expect_eq(st->pkt[j].marker, j == pk - 1);
	}
	cr_expect_eq(pk, st->npkts);
	cr_expect_eq(st->pkt[0].len, 12);
	cr_expect_eq(st->pkt[0].b[0], 0x67);
	free(st);
}

Test(h264_rtp, mode1_roundtrip_fu_a)
{
	struct pc_h264_pack_conf c = { .mode = PC_H264_MODE_NON_INTERLEAVED, .max_payload = 1200 };

	t_roundtrip(&c, true, 0);
	c.max_payload = 100; /* many fragments: 20000 bytes in 98-byte pieces */
	t_roundtrip(&c, true, 5);
}

Test(h264_rtp, mode1_roundtrip_stap_a)
{
	struct pc_h264_pack_conf c = { .mode = PC_H264_MODE_NON_INTERLEAVED,
				       .max_payload = 1200,
				       .stap_a = true };
	struct t_stream *st = t_new_stream();

	t_roundtrip(&c, true, 0);
	c.max_payload = 500;
	t_roundtrip(&c, false, 65000);

	/* And: SPS and PPS share the first packet; the three small slices of AU 3 share one; the
	 * two of AU 6 fill one to the byte */
	c.max_payload = 1200;
	t_stream_build(st, 8, c.max_payload, false, 7, false);
	t_stream_pack(st, &c, 0);
	cr_expect_eq(st->pkt[0].b[0], 0x78);
	cr_expect_eq(st->pkt[0].len, 1 + 2 + 12 + 2 + 5 + 2 + 900);
	for (int j = 0; j < st->npkts; j++) {
		if (st->pkt[j].au == 3) {
			cr_expect_eq(st->pkt[j].b[0] & 0x1f, 24);
			cr_expect_eq(st->pkt[j].b[0] & 0x60, 0x40, "NRI: max of 2, 1, 0");
			cr_expect_eq(st->pkt[j].len, 3 + 400 + 2 + 300 + 2 + 200);
			cr_expect(st->pkt[j].marker);
		}
		if (st->pkt[j].au == 6)
			cr_expect_eq(st->pkt[j].len, 1200);
	}
	free(st);
}

Test(h264_rtp, rfc6184_stap_a_layout)
{
	/* Given SPS, PPS and an SEI (NRI 3, 3, 0; the SEI with F set) behind mixed start codes */
	static const uint8_t au[] = { 0, 0, 0,	  1,	0x67, 0x42, 0x80, 0x1e, 0,
				      0, 1, 0x68, 0xce, 0x38, 0x80, 0,	  0,	0,
				      0, 1, 0x86, 0x05, 0xff, 0,    0 };
	static const uint8_t want[] = { 0xf8, 0x00, 0x04, 0x67, 0x42, 0x80, 0x1e, 0x00, 0x04,
					0x68, 0xce, 0x38, 0x80, 0x00, 0x03, 0x86, 0x05, 0xff };
	struct pc_h264_pack_conf c = { .mode = PC_H264_MODE_NON_INTERLEAVED,
				       .max_payload = 64,
				       .stap_a = true };
	struct pc_h264_pack p;
	uint8_t out[64];
	size_t len;
	bool m;

	/* When packetized in mode 1 with STAP-A */
	cr_assert_eq(pc_h264_pack_init(&p, &c, au, sizeof(au)), 0);
	cr_assert_eq(pc_h264_pack_next(&p, out, sizeof(out), &len, &m), 1);

	/* Then one STAP-A (RFC 6184 Figure 7): header F=1 (OR), NRI=3 (max), type 24, then
	 * 16-bit sizes in network order before each NAL unit, the marker set */
	cr_assert_eq(len, sizeof(want));
	for (size_t i = 0; i < len; i++)
		cr_expect_eq(out[i], want[i], "byte %zu: %02x, want %02x", i, out[i], want[i]);
	cr_expect(m);
	cr_expect_eq(pc_h264_pack_next(&p, out, sizeof(out), &len, &m), 0);
}

Test(h264_rtp, rfc6184_fu_a_layout)
{
	/* Given an IDR NAL unit of 10 bytes (header 0x65: NRI 3, type 5), max_payload 6 */
	static const uint8_t au[] = { 0, 0, 1, 0x65, 0x88, 2, 3, 4, 5, 6, 7, 8, 9 };
	static const uint8_t want[3][6] = { { 0x7c, 0x85, 0x88, 2, 3, 4 },
					    { 0x7c, 0x05, 5, 6, 7, 8 },
					    { 0x7c, 0x45, 9 } };
	static const size_t want_len[3] = { 6, 6, 3 };
	struct pc_h264_pack_conf c = { .mode = PC_H264_MODE_NON_INTERLEAVED, .max_payload = 6 };
	struct pc_h264_pack p;
	struct pc_h264_depack *d;
	struct pc_h264_au a;
	uint8_t out[3][8];
	size_t len[3];
	bool m[3];

	cr_assert_eq(pc_h264_pack_init(&p, &c, au, sizeof(au)), 0);
	cr_assert_eq(pc_h264_depack_create(&d, NULL), 0);

	/* When packetized */
	for (int i = 0; i < 3; i++)
		cr_assert_eq(pc_h264_pack_next(&p, out[i], sizeof(out[i]), &len[i], &m[i]), 1);
	cr_assert_eq(pc_h264_pack_next(&p, out[0], sizeof(out[0]), &len[0], &m[0]), 0);

	/* Then three FU-A (RFC 6184 Figure 14): indicator F|NRI|28 = 0x7c, FU header S (0x80) on
	 * the first, E (0x40) on the last, the type 5 in each; the header byte not repeated */
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(len[i], want_len[i]);
		for (size_t j = 0; j < len[i]; j++)
			cr_expect_eq(out[i][j], want[i][j], "packet %d byte %zu", i, j);
		cr_expect_eq(m[i], i == 2);
	}

	/* And: reassembled, the header is rebuilt from indicator and FU header (a stream that
	 * starts with an IDR slice, nothing after it: the flush lets it out) */
	for (int i = 0; i < 3; i++)
		cr_assert_eq(pc_h264_depack_put(d, (uint16_t)(7 + i), 90, m[i], out[i], len[i]), 0);
	pc_h264_depack_flush(d);
	cr_assert_eq(pc_h264_depack_get(d, &a), 1);
	cr_assert_eq(a.len, 4 + 10);
	cr_expect_eq(memcmp(a.data, "\0\0\0\1", 4), 0);
	cr_expect_eq(memcmp(a.data + 4, au + 3, 10), 0);
	cr_expect(a.idr);
	cr_expect_eq(a.rtp_ts, 90);
	pc_h264_depack_destroy(d);
}

Test(h264_rtp, depack_hand_made_stap_a)
{
	/* Given a STAP-A as another stack writes it (SPS, PPS) and a single NAL slice */
	static const uint8_t stap[] = { 0x78, 0, 3, 0x67, 0x42, 0x80, 0, 2, 0x68, 0xce };
	static const uint8_t slice[] = { 0x41, 0x9a, 0x02 };
	static const uint8_t want[] = { 0, 0,	 0,    1, 0x67, 0x42, 0x80, 0,	  0,	0,
					1, 0x68, 0xce, 0, 0,	0,    1,    0x41, 0x9a, 0x02 };
	struct pc_h264_depack *d;
	struct pc_h264_au a;

	cr_assert_eq(pc_h264_depack_create(&d, NULL), 0);
	/* When both are put, the second with the marker */
	cr_assert_eq(pc_h264_depack_put(d, 65535, 5, false, stap, sizeof(stap)), 0);
	cr_assert_eq(pc_h264_depack_get(d, &a), 0);
	cr_assert_eq(pc_h264_depack_put(d, 0, 5, true, slice, sizeof(slice)), 0);
	/* Then the AU is the three NAL units behind 4-byte start codes, not IDR */
	cr_assert_eq(pc_h264_depack_get(d, &a), 1);
	cr_assert_eq(a.len, sizeof(want));
	cr_expect_eq(memcmp(a.data, want, sizeof(want)), 0);
	cr_expect_not(a.idr);
	cr_expect_eq(pc_h264_depack_get(d, &a), 0);
	pc_h264_depack_destroy(d);
}

/* Fisher-Yates over order[from, to). */
static void t_shuffle(int *order, int from, int to, uint32_t *rng)
{
	for (int i = to - 1; i > from; i--) {
		int j = from + (int)(t_rand(rng) % (uint32_t)(i - from + 1)), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
}

Test(h264_rtp, reorder_within_aus)
{
	struct pc_h264_pack_conf c = { .mode = PC_H264_MODE_NON_INTERLEAVED,
				       .max_payload = 1000,
				       .stap_a = true };
	struct t_stream *st = t_new_stream();
	int order[T_PKTS_MAX];
	uint32_t rng = 99;

	t_stream_build(st, 12, 0, true, 3, false);
	t_stream_pack(st, &c, 65500);
	for (int round = 0; round < 20; round++) {
		struct pc_h264_depack *d;
		struct pc_h264_depack_conf dc = { .window = 64 };
		struct pc_h264_depack_stats s;
		struct t_got g = { 0 };
		int from = 0;

		/* Given each AU's packets in a random order (the order a burst may arrive in) */
		for (int j = 0; j < st->npkts; j++)
			order[j] = j;
		for (int j = 1; j <= st->npkts; j++) {
			if (j == st->npkts || st->pkt[j].au != st->pkt[from].au) {
				t_shuffle(order, from, j, &rng);
				from = j;
			}
		}
		cr_assert_eq(pc_h264_depack_create(&d, &dc), 0);
		/* When depacketized */
		t_feed(d, st, order, st->npkts, &g);
		/* Then the output is the in-order one, nothing dropped, without a flush */
		t_expect_all(st, &g);
		pc_h264_depack_stats(d, &s);
		cr_expect_eq(s.aus_dropped, 0);
		pc_h264_depack_destroy(d);
	}
	free(st);
}

Test(h264_rtp, reorder_across_aus)
{
	struct pc_h264_pack_conf c = { .mode = PC_H264_MODE_NON_INTERLEAVED, .max_payload = 800 };
	struct t_stream *st = t_new_stream();
	int order[T_PKTS_MAX], key[T_PKTS_MAX];
	uint32_t rng = 5;

	t_stream_build(st, 16, 0, false, 11, false);
	t_stream_pack(st, &c, 65520);
	for (int round = 0; round < 20; round++) {
		struct pc_h264_depack_conf dc = { .window = 32, .reorder_frames = 1000 };
		struct pc_h264_depack *d;
		struct pc_h264_depack_stats s;
		struct t_got g = { 0 };

		/* Given packets displaced by up to 15 places across AU boundaries (the first AU in
		 * order: the stream's start is not known to the receiver) */
		for (int j = 0; j < st->npkts; j++) {
			order[j] = j;
			key[j] = st->pkt[j].au == 0 ? j - 1000 : j + (int)(t_rand(&rng) % 16);
		}
		for (int i = 1; i < st->npkts; i++)
			for (int j = i; j > 0 && key[order[j - 1]] > key[order[j]]; j--) {
				int t = order[j];

				order[j] = order[j - 1];
				order[j - 1] = t;
			}
		cr_assert_eq(pc_h264_depack_create(&d, &dc), 0);
		/* When depacketized with a receiver that waits for reordering across AUs */
		t_feed(d, st, order, st->npkts, &g);
		/* Then the output is the in-order one */
		t_expect_all(st, &g);
		pc_h264_depack_stats(d, &s);
		cr_expect_eq(s.aus_dropped + s.late + s.duplicates, 0);
		pc_h264_depack_destroy(d);
	}
	free(st);
}

static void t_each_single_loss(const struct pc_h264_pack_conf *c, uint16_t seq0)
{
	struct t_stream *st = t_new_stream();
	int order[T_PKTS_MAX];

	t_stream_build(st, 10, 0, false, 21, false);
	t_stream_pack(st, c, seq0);
	for (int lost = 0; lost < st->npkts; lost++) {
		struct pc_h264_depack *d;
		struct pc_h264_depack_stats s;
		struct t_got g = { 0 };
		int n = 0, la = st->pkt[lost].au, k = 0;

		/* a whole AU lost at the very end leaves no trace: nothing to test */
		if (lost == st->npkts - 1 && st->pkt[lost - 1].marker)
			continue;
		/* the stream's first packet when it holds all the parameter sets: the IDR slice
		 * that comes first is taken as the start (sprop-parameter-sets may have them) */
		if (lost == 0 && st->pkt[0].b[0] == 0x78)
			continue;

		/* Given the stream without packet @lost */
		for (int j = 0; j < st->npkts; j++)
			if (j != lost)
				order[n++] = j;
		cr_assert_eq(pc_h264_depack_create(&d, NULL), 0);

		/* When it is depacketized */
		t_feed(d, st, order, n, &g);

		/* Then every other AU came out before any flush, but for those of the last AU
		 * when it is the one hit (nothing after it shows the loss) */
		cr_assert_eq(g.n, st->naus - 1, "lost %d (AU %d): %d AUs before the flush", lost,
			     la, g.n);
		pc_h264_depack_flush(d);
		t_drain(d, st, &g);
		cr_assert_eq(g.n, st->naus - 1, "lost packet %d (AU %d)", lost, la);
		for (int i = 0; i < st->naus; i++) {
			if (i == la)
				continue;
			cr_expect_eq(g.ts[k], st->au[i].ts, "lost %d: AU %d", lost, i);
			cr_expect(g.ok[k], "lost %d: AU %d byte-exact", lost, i);
			k++;
		}
		/* And: exactly one AU dropped, one key-frame request, reported once */
		pc_h264_depack_stats(d, &s);
		cr_expect_eq(s.aus_dropped, 1, "lost %d (AU %d): %lu dropped", lost, la,
			     (unsigned long)s.aus_dropped);
		cr_expect_eq(s.keyframe_requests, 1, "lost %d", lost);
		cr_expect(pc_h264_depack_keyframe_needed(d), "lost %d", lost);
		cr_expect_not(pc_h264_depack_keyframe_needed(d));
		cr_expect_eq(s.aus, (uint64_t)st->naus - 1);
		pc_h264_depack_destroy(d);
	}
	free(st);
}

Test(h264_rtp, single_loss_mode0)
{
	struct pc_h264_pack_conf c = { .mode = PC_H264_MODE_SINGLE, .max_payload = 1400 };

	t_each_single_loss(&c, 65530);
}

Test(h264_rtp, single_loss_mode1)
{
	struct pc_h264_pack_conf c = { .mode = PC_H264_MODE_NON_INTERLEAVED, .max_payload = 500 };

	t_each_single_loss(&c, 65530);
}

Test(h264_rtp, single_loss_mode1_stap_a)
{
	struct pc_h264_pack_conf c = { .mode = PC_H264_MODE_NON_INTERLEAVED,
				       .max_payload = 700,
				       .stap_a = true };

	t_each_single_loss(&c, 0);
}

Test(h264_rtp, loss_shows_at_the_next_complete_au)
{
	struct pc_h264_pack_conf c = { .mode = PC_H264_MODE_NON_INTERLEAVED, .max_payload = 500 };
	struct t_stream *st = t_new_stream();
	struct pc_h264_depack *d;
	struct t_got g = { 0 };
	int order[T_PKTS_MAX], n = 0, last2 = -1;

	/* Given AU 2 (600 bytes: two FU-A) losing its first fragment */
	t_stream_build(st, 4, 0, false, 1, false);
	t_stream_pack(st, &c, 10);
	for (int j = 0; j < st->npkts; j++) {
		if (st->pkt[j].au == 2 && last2 < 0) {
			last2 = j;
			continue;
		}
		order[n++] = j;
	}
	cr_assert_eq(pc_h264_depack_create(&d, NULL), 0);

	/* When the packets up to AU 3's are put */
	for (int j = 0; j < n; j++) {
		const struct t_pkt *k = &st->pkt[order[j]];

		cr_assert_eq(pc_h264_depack_put(d, k->seq, k->ts, k->marker, k->b, k->len), 0);
		t_drain(d, st, &g);
		/* Then the key-frame request comes once AU 3 (one packet) is complete */
		if (k->au < 3)
			cr_expect_not(pc_h264_depack_keyframe_needed(d));
	}
	cr_expect(pc_h264_depack_keyframe_needed(d));
	cr_assert_eq(g.n, 3);
	cr_expect_eq(g.ts[2], st->au[3].ts);
	pc_h264_depack_destroy(d);
	free(st);
}

Test(h264_rtp, window_overflow_declares_loss)
{
	struct pc_h264_pack_conf c = { .mode = PC_H264_MODE_NON_INTERLEAVED, .max_payload = 1200 };
	struct pc_h264_depack_conf dc = { .window = 8, .reorder_frames = 1000 };
	struct t_stream *st = t_new_stream();
	struct pc_h264_depack *d;
	struct pc_h264_depack_stats s;
	struct t_got g = { 0 };
	int order[T_PKTS_MAX], n = 0, lost = -1;

	/* Given a receiver that never counts later AUs, a window of 8, one packet of AU 1 lost */
	t_stream_build(st, 16, 0, false, 1, false);
	t_stream_pack(st, &c, 0);
	for (int j = 0; j < st->npkts; j++) {
		if (st->pkt[j].au == 1 && lost < 0) {
			lost = j;
			continue;
		}
		order[n++] = j;
	}
	cr_assert_eq(pc_h264_depack_create(&d, &dc), 0);

	/* When 7 packets follow the loss, nothing comes out; at the 8th the loss is declared */
	for (int j = 0; j < n; j++) {
		const struct t_pkt *k = &st->pkt[order[j]];

		cr_assert_eq(pc_h264_depack_put(d, k->seq, k->ts, k->marker, k->b, k->len), 0);
		t_drain(d, st, &g);
		if (k->seq == (uint16_t)(lost + 7))
			cr_expect_eq(g.n, 1, "AU 0 only while within the window");
		if (k->seq == (uint16_t)(lost + 8))
			cr_expect_gt(g.n, 1, "AUs after the lost one, at the window");
	}
	/* Then all but AU 1 came out, without a flush */
	cr_expect_eq(g.n, st->naus - 1);
	pc_h264_depack_stats(d, &s);
	cr_expect_eq(s.aus_dropped, 1);
	pc_h264_depack_destroy(d);
	free(st);
}

Test(h264_rtp, unmarked_end_completes_at_next_timestamp)
{
	/* (this test said the opposite before: an AU without its marker was dropped at the next
	 * timestamp, although RFC 6184 5.1 says a receiver must not rely on the marker) */
	static const uint8_t a1[] = { 0x65, 0x88, 1 }, a2[] = { 0x65, 0x01, 2 },
			     b1[] = { 0x41, 0x9a, 3 }, f1[] = { 0x7c, 0x81, 4 };
	struct pc_h264_depack *d;
	struct pc_h264_depack_stats s;
	struct pc_h264_au a;

	cr_assert_eq(pc_h264_depack_create(&d, NULL), 0);
	/* Given an AU whose last packet came without its marker */
	cr_assert_eq(pc_h264_depack_put(d, 1, 100, false, a1, sizeof(a1)), 0);
	cr_assert_eq(pc_h264_depack_put(d, 2, 100, false, a2, sizeof(a2)), 0);
	cr_assert_eq(pc_h264_depack_get(d, &a), 0);
	/* When the next timestamp starts right after it */
	cr_assert_eq(pc_h264_depack_put(d, 3, 200, true, b1, sizeof(b1)), 0);
	/* Then both AUs come out whole, nothing dropped, no key-frame request */
	cr_assert_eq(pc_h264_depack_get(d, &a), 1);
	cr_expect_eq(a.rtp_ts, 100);
	cr_expect_eq(a.len, 2 * (4 + 3));
	cr_expect(a.idr);
	cr_assert_eq(pc_h264_depack_get(d, &a), 1);
	cr_expect_eq(a.rtp_ts, 200);
	cr_expect_not(pc_h264_depack_keyframe_needed(d));
	pc_h264_depack_stats(d, &s);
	cr_expect_eq(s.aus_dropped, 0);
	/* And: a copy of the first AU's packet is late */
	cr_expect_eq(pc_h264_depack_put(d, 2, 100, true, a2, sizeof(a2)), -EALREADY);
	pc_h264_depack_stats(d, &s);
	cr_expect_eq(s.late, 1);

	/* And: an open FU-A with nothing after it is dropped on the flush (its end is lost) */
	cr_assert_eq(pc_h264_depack_put(d, 4, 300, false, f1, sizeof(f1)), 0);
	pc_h264_depack_flush(d);
	cr_expect_eq(pc_h264_depack_get(d, &a), 0);
	cr_expect(pc_h264_depack_keyframe_needed(d));
	pc_h264_depack_stats(d, &s);
	cr_expect_eq(s.aus_dropped, 1);
	pc_h264_depack_destroy(d);
}

/* Clears the marker of every packet (a sender or a gateway that leaves M at 0). */
static void t_stream_unmark(struct t_stream *st)
{
	for (int j = 0; j < st->npkts; j++)
		st->pkt[j].marker = false;
}

static void t_no_marker(const struct pc_h264_pack_conf *c, bool shuffle)
{
	struct t_stream *st = t_new_stream();
	struct pc_h264_depack *d;
	struct pc_h264_depack_stats s;
	struct t_got g = { 0 };
	int order[T_PKTS_MAX], from = 0;
	uint32_t rng = 17;

	/* Given 10 AUs (several packets each: FU-A in mode 1, one per NAL unit in mode 0) sent
	 * without any marker, each AU's packets in order or shuffled */
	t_stream_build(st, 10, 0, false, 9, c->mode == PC_H264_MODE_SINGLE);
	t_stream_pack(st, c, 65530);
	t_stream_unmark(st);
	for (int j = 0; j < st->npkts; j++)
		order[j] = j;
	for (int j = 1; shuffle && j <= st->npkts; j++) {
		if (j == st->npkts || st->pkt[j].au != st->pkt[from].au) {
			t_shuffle(order, from, j, &rng);
			from = j;
		}
	}
	cr_assert_gt(st->npkts, 2 * st->naus);
	cr_assert_eq(pc_h264_depack_create(&d, NULL), 0);

	/* When depacketized */
	t_feed(d, st, order, st->npkts, &g);

	/* Then each AU came out once the next one's first packet was in: all but the last */
	cr_expect_eq(g.n, st->naus - 1);
	/* And: the last one on the flush; all in order and byte-exact, nothing dropped */
	pc_h264_depack_flush(d);
	t_drain(d, st, &g);
	t_expect_all(st, &g);
	pc_h264_depack_stats(d, &s);
	cr_expect_eq(s.aus_dropped + s.bad + s.late + s.duplicates + s.keyframe_requests, 0);
	cr_expect_not(pc_h264_depack_keyframe_needed(d));
	pc_h264_depack_destroy(d);
	free(st);
}

Test(h264_rtp, no_marker_stream_delivers_every_au)
{
	struct pc_h264_pack_conf c0 = { .mode = PC_H264_MODE_SINGLE, .max_payload = 1400 };
	struct pc_h264_pack_conf c1 = { .mode = PC_H264_MODE_NON_INTERLEAVED, .max_payload = 300 };

	t_no_marker(&c1, false);
	t_no_marker(&c0, false);
	/* And: reordering inside each AU costs nothing either */
	t_no_marker(&c1, true);
	t_no_marker(&c0, true);
}

Test(h264_rtp, no_marker_stream_loss_drops_its_au)
{
	struct pc_h264_pack_conf c = { .mode = PC_H264_MODE_NON_INTERLEAVED, .max_payload = 300 };
	struct t_stream *st = t_new_stream();
	struct pc_h264_depack *d;
	struct pc_h264_depack_stats s;
	struct t_got g = { 0 };
	int order[T_PKTS_MAX], n = 0, lost = -1;

	/* Given a stream without markers losing the middle packet of AU 3 (three FU-A) */
	t_stream_build(st, 8, 0, false, 9, false);
	t_stream_pack(st, &c, 0);
	t_stream_unmark(st);
	for (int j = 0; j < st->npkts; j++) {
		if (st->pkt[j].au == 3 && lost < 0 && j + 1 < st->npkts && st->pkt[j + 1].au == 3 &&
		    j > 0 && st->pkt[j - 1].au == 3) {
			lost = j;
			continue;
		}
		order[n++] = j;
	}
	cr_assert_geq(lost, 0);
	cr_assert_eq(pc_h264_depack_create(&d, NULL), 0);
	/* When depacketized and flushed */
	t_feed(d, st, order, n, &g);
	pc_h264_depack_flush(d);
	t_drain(d, st, &g);
	/* Then AU 3 alone is dropped, with one key-frame request */
	cr_assert_eq(g.n, st->naus - 1);
	for (int i = 0, k = 0; i < st->naus; i++) {
		if (i == 3)
			continue;
		cr_expect_eq(g.ts[k], st->au[i].ts, "AU %d", i);
		cr_expect(g.ok[k], "AU %d byte-exact", i);
		k++;
	}
	pc_h264_depack_stats(d, &s);
	cr_expect_eq(s.aus_dropped, 1);
	cr_expect_eq(s.keyframe_requests, 1);
	pc_h264_depack_destroy(d);
	free(st);
}

Test(h264_rtp, no_marker_au_dropped_open_then_idr)
{
	static uint8_t big[3000];
	static const uint8_t p[] = { 0x41, 0x9a, 1 }, idr[] = { 0x65, 0x88, 2 };
	struct pc_h264_depack_conf dc = { .max_au_bytes = 4000 };
	struct pc_h264_depack *d;
	struct pc_h264_depack_stats s;
	struct pc_h264_au au;
	int n = 0;

	big[0] = 0x41;
	memset(big + 1, 0x5a, sizeof(big) - 1);
	cr_assert_eq(pc_h264_depack_create(&d, &dc), 0);
	/* Given a stream without markers: AU 1 a slice, AU 2 three slices of 3000 bytes (more
	 * than the 8000 bytes held: dropped while open, its last one late) */
	cr_assert_eq(pc_h264_depack_put(d, 1, 1, false, p, sizeof(p)), 0);
	for (uint16_t i = 0; i < 3; i++) {
		int r = pc_h264_depack_put(d, (uint16_t)(2 + i), 2, false, big, sizeof(big));

		cr_assert(r == 0 || (i == 2 && r == -EALREADY), "slice %u: %d", i, r);
		while (pc_h264_depack_get(d, &au) == 1)
			n++;
	}
	/* When AU 3, led by an IDR slice, and AU 4 follow */
	cr_assert_eq(pc_h264_depack_put(d, 5, 3, false, idr, sizeof(idr)), 0);
	cr_assert_eq(pc_h264_depack_put(d, 6, 4, false, p, sizeof(p)), 0);
	/* Then AU 3 comes out (the timestamp change after AU 2's last packet shows its start) */
	cr_assert_eq(pc_h264_depack_get(d, &au), 1);
	cr_expect_eq(au.rtp_ts, 3);
	cr_expect(au.idr);
	/* And: AU 4 on the flush; AU 1 came out before, AU 2 alone was dropped */
	pc_h264_depack_flush(d);
	cr_assert_eq(pc_h264_depack_get(d, &au), 1);
	cr_expect_eq(au.rtp_ts, 4);
	pc_h264_depack_stats(d, &s);
	cr_expect_eq(s.aus, 3);
	cr_expect_eq(s.aus_dropped, 1);
	cr_expect_eq(n, 1);
	pc_h264_depack_destroy(d);
}

/* AU 0 a slice; AUs 1 to 5 a NAL unit of type @prefix (SEI, SPS or AUD) before a first non-IDR
 * slice of @slice bytes (FU-A in mode 1 when above max_payload). */
static void t_prefixed_stream(struct t_stream *st, uint8_t prefix, size_t slice)
{
	uint32_t rng = 31;

	memset(st, 0, sizeof(*st));
	st->naus = 6;
	for (int i = 0; i < st->naus; i++) {
		struct t_au *a = &st->au[i];

		a->ts = 500u + 3000u * (uint32_t)i;
		if (i)
			t_au_add(a, prefix, prefix == 0x09 ? 2 : 12, false, &rng);
		t_au_add(a, 0x41, slice, true, &rng);
	}
}

static void t_prefix_swap(const struct pc_h264_pack_conf *c, uint8_t prefix, size_t slice,
			  uint16_t reorder_frames, bool past_next)
{
	struct t_stream *st = t_new_stream();
	struct pc_h264_depack_conf dc = { .reorder_frames = reorder_frames };
	struct pc_h264_depack *d;
	struct pc_h264_depack_stats s;
	struct t_got g = { 0 };
	int order[T_PKTS_MAX], first[T_AUS_MAX], n = 0;

	/* Given AUs 1 to 5 whose first packet (the prefix NAL unit) comes after the AU's last
	 * one (its first slice, with the marker), or after the next AU's last one */
	t_prefixed_stream(st, prefix, slice);
	t_stream_pack(st, c, 65533);
	for (int j = 0; j < st->npkts; j++)
		if (j == 0 || st->pkt[j - 1].au != st->pkt[j].au)
			first[st->pkt[j].au] = j;
	for (int a = 0; a < st->naus; a++) {
		for (int j = 0; j < st->npkts; j++)
			if (st->pkt[j].au == a && (a == 0 || j != first[a]))
				order[n++] = j;
		if (past_next && a > 1)
			order[n++] = first[a - 1];
		if ((!past_next || a == st->naus - 1) && a > 0)
			order[n++] = first[a];
	}
	cr_assert_eq(n, st->npkts);
	cr_assert_eq(pc_h264_depack_create(&d, &dc), 0);

	/* When depacketized */
	t_feed(d, st, order, n, &g);

	/* Then every AU comes out whole before any flush, nothing dropped, no key-frame request */
	t_expect_all(st, &g);
	pc_h264_depack_stats(d, &s);
	cr_expect_eq(s.aus_dropped + s.late + s.keyframe_requests, 0, "prefix %02x", prefix);
	cr_expect_not(pc_h264_depack_keyframe_needed(d));
	pc_h264_depack_destroy(d);
	free(st);
}

/* Each prefix NAL type (SEI, SPS, AUD) swapped with the first slice, over @n cases of t_prefix_swap()'s
 * slice size, reorder depth and "across the next AU". */
struct t_swap_case {
	size_t slice_len;
	uint16_t reorder_frames;
	bool past_next;
};

static void t_prefix_swaps(const struct pc_h264_pack_conf *c, const struct t_swap_case *k, size_t n)
{
	static const uint8_t prefix[] = { 0x06, 0x67, 0x09 };

	for (size_t i = 0; i < sizeof(prefix); i++)
		for (size_t j = 0; j < n; j++)
			t_prefix_swap(c, prefix[i], k[j].slice_len, k[j].reorder_frames,
				      k[j].past_next);
}

Test(h264_rtp, swap_of_prefix_and_first_slice_mode0)
{
	struct pc_h264_pack_conf c = { .mode = PC_H264_MODE_SINGLE, .max_payload = 1400 };
	/* with no reordering allowed, two AUs of it, and two across the next AU as well */
	static const struct t_swap_case k[] = { { 300, 0, false },
						{ 300, 2, false },
						{ 300, 2, true } };

	t_prefix_swaps(&c, k, sizeof(k) / sizeof(k[0]));
}

Test(h264_rtp, swap_of_prefix_and_first_slice_mode1)
{
	struct pc_h264_pack_conf c = { .mode = PC_H264_MODE_NON_INTERLEAVED, .max_payload = 500 };
	/* a single NAL slice, and one in three FU-A */
	static const struct t_swap_case k[] = { { 300, 0, false },
						{ 1200, 0, false },
						{ 1200, 2, true } };

	t_prefix_swaps(&c, k, sizeof(k) / sizeof(k[0]));
}

Test(h264_rtp, lost_au_before_first_slice_waits_one_au)
{
	static const uint8_t p[] = { 0x41, 0x9a, 1 }, sps[] = { 0x67, 0x42, 0x80 };
	struct pc_h264_depack *d;
	struct pc_h264_depack_stats s;
	struct pc_h264_au au;

	cr_assert_eq(pc_h264_depack_create(&d, NULL), 0);
	/* Given AU 1 taken, AU 2 (one packet) lost, AU 3 a first P slice with the marker */
	cr_assert_eq(pc_h264_depack_put(d, 1, 1, true, p, sizeof(p)), 0);
	cr_assert_eq(pc_h264_depack_get(d, &au), 1);
	cr_assert_eq(pc_h264_depack_put(d, 3, 3, true, p, sizeof(p)), 0);
	/* Then AU 3 waits: packet 2 may be an SEI or an SPS of its own, arriving late */
	cr_expect_eq(pc_h264_depack_get(d, &au), 0);
	cr_expect_not(pc_h264_depack_keyframe_needed(d));
	/* When AU 4 (an SPS, then a slice) is complete */
	cr_assert_eq(pc_h264_depack_put(d, 4, 4, false, sps, sizeof(sps)), 0);
	cr_assert_eq(pc_h264_depack_put(d, 5, 4, true, p, sizeof(p)), 0);
	/* Then packet 2 is lost (one AU), AUs 3 and 4 come out */
	cr_assert_eq(pc_h264_depack_get(d, &au), 1);
	cr_expect_eq(au.rtp_ts, 3);
	cr_assert_eq(pc_h264_depack_get(d, &au), 1);
	cr_expect_eq(au.rtp_ts, 4);
	cr_expect(pc_h264_depack_keyframe_needed(d));
	pc_h264_depack_stats(d, &s);
	cr_expect_eq(s.aus_dropped, 1);
	/* And: the same with a flush in place of AU 4 */
	cr_assert_eq(pc_h264_depack_put(d, 7, 7, true, p, sizeof(p)), 0);
	cr_expect_eq(pc_h264_depack_get(d, &au), 0);
	pc_h264_depack_flush(d);
	cr_assert_eq(pc_h264_depack_get(d, &au), 1);
	cr_expect_eq(au.rtp_ts, 7);
	pc_h264_depack_stats(d, &s);
	cr_expect_eq(s.aus_dropped, 2);
	cr_expect_eq(s.keyframe_requests, 2);
	pc_h264_depack_destroy(d);
}

Test(h264_rtp, duplicates_and_late)
{
	struct pc_h264_pack_conf c = { .mode = PC_H264_MODE_NON_INTERLEAVED, .max_payload = 300 };
	struct t_stream *st = t_new_stream();
	struct pc_h264_depack *d;
	struct pc_h264_depack_stats s;
	struct t_got g = { 0 };
	const struct t_pkt *k;

	t_stream_build(st, 4, 0, false, 2, false);
	t_stream_pack(st, &c, 65534);
	cr_assert_eq(pc_h264_depack_create(&d, NULL), 0);

	/* Given every packet put twice in a row (the second before its AU is complete) */
	for (int j = 0; j < st->npkts; j++) {
		k = &st->pkt[j];
		cr_assert_eq(pc_h264_depack_put(d, k->seq, k->ts, k->marker, k->b, k->len), 0);
		if (!k->marker)
			cr_expect_eq(pc_h264_depack_put(d, k->seq, k->ts, k->marker, k->b, k->len),
				     -EALREADY);
		t_drain(d, st, &g);
	}
	/* When the first packet comes again after its AU was emitted */
	k = &st->pkt[0];
	cr_expect_eq(pc_h264_depack_put(d, k->seq, k->ts, k->marker, k->b, k->len), -EALREADY);

	/* Then the output is unchanged; the counts say which was which */
	t_expect_all(st, &g);
	pc_h264_depack_stats(d, &s);
	cr_expect_gt(s.duplicates, 0);
	cr_expect_eq(s.late, 1);
	cr_expect_eq(s.aus_dropped, 0);
	pc_h264_depack_destroy(d);
	free(st);
}

Test(h264_rtp, sequence_wrap_and_start_reordered)
{
	struct pc_h264_pack_conf c = { .mode = PC_H264_MODE_NON_INTERLEAVED, .max_payload = 400 };
	struct t_stream *st = t_new_stream();
	struct pc_h264_depack *d;
	struct t_got g = { 0 };
	int order[T_PKTS_MAX];

	/* Given a stream crossing 65535 -> 0 whose first three packets come backwards */
	t_stream_build(st, 10, 0, true, 4, false);
	t_stream_pack(st, &c, 65533);
	for (int j = 0; j < st->npkts; j++)
		order[j] = j;
	order[0] = 2;
	order[2] = 0;
	cr_assert_eq(pc_h264_depack_create(&d, NULL), 0);
	/* When depacketized */
	t_feed(d, st, order, st->npkts, &g);
	/* Then everything comes out in order */
	t_expect_all(st, &g);
	pc_h264_depack_destroy(d);
	free(st);
}

Test(h264_rtp, max_au_bytes_drops_large_au)
{
	struct pc_h264_pack_conf c = { .mode = PC_H264_MODE_NON_INTERLEAVED, .max_payload = 1200 };
	struct pc_h264_depack_conf dc = { .max_au_bytes = 4000 };
	struct t_stream *st = t_new_stream();
	struct pc_h264_depack *d;
	struct pc_h264_depack_stats s;
	struct t_got g = { 0 };

	/* Given AUs 0 and 5 of 21 KB and 6.7 KB with max_au_bytes 4000 */
	t_stream_build(st, 8, 0, true, 8, false);
	t_stream_pack(st, &c, 0);
	cr_assert_eq(pc_h264_depack_create(&d, &dc), 0);
	/* When depacketized (the rest of a dropped AU is late) */
	for (int j = 0; j < st->npkts; j++) {
		const struct t_pkt *k = &st->pkt[j];
		int r = pc_h264_depack_put(d, k->seq, k->ts, k->marker, k->b, k->len);

		cr_assert(r == 0 || (r == -EALREADY && (k->au == 0 || k->au == 5)), "%d: %d", j, r);
		t_drain(d, st, &g);
	}
	/* Then both are dropped with a key-frame request, the others come out */
	pc_h264_depack_stats(d, &s);
	cr_expect_eq(s.aus_dropped, 2);
	cr_expect_eq(s.keyframe_requests, 2);
	cr_expect(pc_h264_depack_keyframe_needed(d));
	cr_assert_eq(g.n, 6);
	for (int i = 0; i < g.n; i++)
		cr_expect(g.ok[i]);
	cr_expect_eq(g.ts[0], st->au[1].ts);

	/* And: a payload above max_au_bytes is taken but its AU dropped */
	{
		static uint8_t big[5000];
		struct pc_h264_au a;

		big[0] = 0x41;
		memset(big + 1, 0x55, sizeof(big) - 1);
		cr_expect_eq(
			pc_h264_depack_put(d, (uint16_t)st->npkts, 999, true, big, sizeof(big)), 0);
		cr_expect_eq(pc_h264_depack_get(d, &a), 0);
		pc_h264_depack_stats(d, &s);
		cr_expect_eq(s.aus_dropped, 3);
	}
	pc_h264_depack_destroy(d);
	free(st);
}

/* Feeds every packet of @st in order, -EALREADY allowed for those of AU @late_au. */
static void t_feed_late(struct pc_h264_depack *d, const struct t_stream *st, int late_au,
			struct t_got *g)
{
	for (int j = 0; j < st->npkts; j++) {
		const struct t_pkt *k = &st->pkt[j];
		int r = pc_h264_depack_put(d, k->seq, k->ts, k->marker, k->b, k->len);

		cr_assert(r == 0 || (r == -EALREADY && k->au == late_au), "%d: %d", j, r);
		t_drain(d, st, g);
	}
}

Test(h264_rtp, ring_holds_aus_of_small_packets)
{
	struct pc_h264_pack_conf c = { .mode = PC_H264_MODE_NON_INTERLEAVED, .max_payload = 100 };
	struct pc_h264_depack_conf dc = { .max_au_bytes = 1u << 16 };
	struct t_stream *st = t_new_stream();
	struct pc_h264_depack *d;
	struct pc_h264_depack_stats s;
	struct t_got g = { 0 };
	uint32_t rng = 3;

	/* Given max_au_bytes 64 KiB and an AU of 60000 bytes in FU-A of 100 bytes (613 packets;
	 * the ring used to hold window + max_au_bytes / 512 = 256) between two small ones */
	memset(st, 0, sizeof(*st));
	st->naus = 3;
	for (int i = 0; i < 3; i++)
		st->au[i].ts = 9000u * (uint32_t)(i + 1);
	t_au_add(&st->au[0], 0x41, 80, true, &rng);
	t_au_add(&st->au[1], 0x65, 60000, true, &rng);
	t_au_add(&st->au[2], 0x41, 80, true, &rng);
	t_stream_pack(st, &c, 40000);
	cr_assert_gt(st->npkts, 600);
	cr_assert_eq(pc_h264_depack_create(&d, &dc), 0);
	/* When depacketized */
	t_feed(d, st, NULL, st->npkts, &g);
	/* Then all three come out without a flush, nothing dropped */
	t_expect_all(st, &g);
	pc_h264_depack_stats(d, &s);
	cr_expect_eq(s.aus_dropped + s.keyframe_requests, 0);
	pc_h264_depack_destroy(d);

	/* And: with the ring set to 300 packets, the large AU is dropped (its rest late), the
	 * others come out, one key-frame request */
	memset(&g, 0, sizeof(g));
	dc.max_packets = 300;
	cr_assert_eq(pc_h264_depack_create(&d, &dc), 0);
	t_feed_late(d, st, 1, &g);
	cr_assert_eq(g.n, 2);
	cr_expect_eq(g.ts[0], st->au[0].ts);
	cr_expect_eq(g.ts[1], st->au[2].ts);
	pc_h264_depack_stats(d, &s);
	cr_expect_eq(s.aus_dropped, 1);
	cr_expect_eq(s.keyframe_requests, 1);
	pc_h264_depack_destroy(d);

	/* And: max_packets above 2^24 is refused */
	dc.max_packets = (1u << 24) + 1;
	d = NULL;
	cr_expect_eq(pc_h264_depack_create(&d, &dc), -EINVAL);
	cr_expect_null(d);
	free(st);
}

Test(h264_rtp, first_au_held_across_two_large_aus)
{
	struct pc_h264_pack_conf c = { .mode = PC_H264_MODE_NON_INTERLEAVED, .max_payload = 100 };
	struct pc_h264_depack_conf dc = { .max_au_bytes = 1u << 16, .reorder_frames = 2 };
	struct t_stream *st = t_new_stream();
	struct pc_h264_depack *d;
	struct pc_h264_depack_stats s;
	struct t_got g = { 0 };
	uint32_t rng = 4;

	/* Given a stream led by an IDR slice (held until two later AUs are complete: its SPS may
	 * still come), then two IDR AUs of 20000 bytes in FU-A of 100 bytes (410 packets) */
	memset(st, 0, sizeof(*st));
	st->naus = 4;
	for (int i = 0; i < 4; i++)
		st->au[i].ts = 100u + 3000u * (uint32_t)i;
	t_au_add(&st->au[0], 0x65, 50, true, &rng);
	t_au_add(&st->au[1], 0x65, 20000, true, &rng);
	t_au_add(&st->au[2], 0x65, 20000, true, &rng);
	t_au_add(&st->au[3], 0x41, 50, true, &rng);
	t_stream_pack(st, &c, 7);
	cr_assert_gt(st->npkts, 400);
	cr_assert_eq(pc_h264_depack_create(&d, &dc), 0);
	/* When depacketized */
	t_feed(d, st, NULL, st->npkts, &g);
	/* Then the first AU is still there when they are complete: all come out */
	t_expect_all(st, &g);
	pc_h264_depack_stats(d, &s);
	cr_expect_eq(s.aus_dropped + s.keyframe_requests, 0);
	pc_h264_depack_destroy(d);
	free(st);
}

static void t_bad(struct pc_h264_depack *d, uint16_t seq, bool marker, const uint8_t *b, size_t len,
		  const char *what)
{
	cr_expect_eq(pc_h264_depack_put(d, seq, 77, marker, b, len), -EBADMSG, "%s", what);
}

Test(h264_rtp, malformed_payloads)
{
	static const uint8_t t0[] = { 0x00, 1 }, t25[] = { 0x19, 1, 2 }, t26[] = { 0x1a, 1, 2 },
			     t27[] = { 0x1b, 1, 2 }, t29[] = { 0x1d, 0x85, 2 }, t30[] = { 0x1e, 1 },
			     t31[] = { 0x1f, 1 };
	static const uint8_t stap_empty[] = { 0x78 }, stap_size0[] = { 0x78, 0, 0 },
			     stap_over[] = { 0x78, 0, 5, 0x67, 1 },
			     stap_tail[] = { 0x78, 0, 1, 0x67, 0 },
			     stap_nest[] = { 0x78, 0, 2, 0x7c, 0x85 },
			     stap_t0[] = { 0x78, 0, 1, 0x00 };
	static const uint8_t fu_short[] = { 0x7c, 0x85 }, fu_se[] = { 0x7c, 0xc5, 1 },
			     fu_t0[] = { 0x7c, 0x80, 1 }, fu_t28[] = { 0x7c, 0x9c, 1 };
	static const uint8_t fu_s[] = { 0x7c, 0x85, 1 }, fu_m[] = { 0x7c, 0x05, 2 },
			     fu_m1[] = { 0x7c, 0x01, 2 }, fu_e[] = { 0x7c, 0x45, 3 },
			     single[] = { 0x41, 0x9a, 4 };
	struct pc_h264_depack *d;
	struct pc_h264_depack_stats s;
	struct pc_h264_au a;

	cr_assert_eq(pc_h264_depack_create(&d, NULL), 0);
	/* Given every kind of payload RFC 6184 mode 0/1 does not allow */
	t_bad(d, 1, true, t0, 0, "empty");
	t_bad(d, 1, true, NULL, 0, "NULL");
	t_bad(d, 1, true, t0, sizeof(t0), "type 0");
	t_bad(d, 1, true, t25, sizeof(t25), "STAP-B");
	t_bad(d, 1, true, t26, sizeof(t26), "MTAP16");
	t_bad(d, 1, true, t27, sizeof(t27), "MTAP24");
	t_bad(d, 1, true, t29, sizeof(t29), "FU-B");
	t_bad(d, 1, true, t30, sizeof(t30), "type 30");
	t_bad(d, 1, true, t31, sizeof(t31), "type 31");
	t_bad(d, 1, true, stap_empty, sizeof(stap_empty), "STAP-A without units");
	t_bad(d, 1, true, stap_size0, sizeof(stap_size0), "STAP-A size 0");
	t_bad(d, 1, true, stap_over, sizeof(stap_over), "STAP-A size past the end");
	t_bad(d, 1, true, stap_tail, sizeof(stap_tail), "STAP-A one byte left over");
	t_bad(d, 1, true, stap_nest, sizeof(stap_nest), "STAP-A holding an FU-A");
	t_bad(d, 1, true, stap_t0, sizeof(stap_t0), "STAP-A holding type 0");
	t_bad(d, 1, true, fu_short, sizeof(fu_short), "FU-A without data");
	t_bad(d, 1, false, fu_se, sizeof(fu_se), "FU-A with S and E");
	t_bad(d, 1, false, fu_t0, sizeof(fu_t0), "FU-A of type 0");
	t_bad(d, 1, false, fu_t28, sizeof(fu_t28), "FU-A of an FU-A");
	t_bad(d, 1, true, fu_s, sizeof(fu_s), "FU-A start with the marker");
	t_bad(d, 1, true, fu_m, sizeof(fu_m), "FU-A middle with the marker");

	/* And: an AU, then a continuation right after it (no start), an FU start then a
	 * single NAL packet, an FU continuation of another type */
	cr_assert_eq(pc_h264_depack_put(d, 10, 100, true, single, sizeof(single)), 0);
	cr_assert_eq(pc_h264_depack_get(d, &a), 1);
	t_bad(d, 11, false, fu_m, sizeof(fu_m), "FU-A continuation without a start");
	t_bad(d, 11, true, fu_e, sizeof(fu_e), "FU-A end without a start");
	cr_assert_eq(pc_h264_depack_put(d, 11, 200, false, fu_s, sizeof(fu_s)), 0);
	t_bad(d, 12, true, single, sizeof(single), "single NAL inside an FU-A");
	t_bad(d, 12, false, fu_m1, sizeof(fu_m1), "FU-A continuation of another type");
	cr_expect_eq(pc_h264_depack_put(d, 12, 201, true, fu_e, sizeof(fu_e)), -EBADMSG,
		     "FU-A continuation of another timestamp");
	t_bad(d, 12, false, fu_s, sizeof(fu_s), "a start before the open one's end");

	/* Then all were counted, nothing kept: the open AU still completes */
	cr_assert_eq(pc_h264_depack_put(d, 12, 200, false, fu_m, sizeof(fu_m)), 0);
	cr_assert_eq(pc_h264_depack_put(d, 13, 200, true, fu_e, sizeof(fu_e)), 0);
	cr_assert_eq(pc_h264_depack_get(d, &a), 1);
	cr_expect_eq(a.len, 4 + 4);
	cr_expect_eq(a.data[4], 0x65);
	pc_h264_depack_stats(d, &s);
	cr_expect_eq(s.bad, 27);
	cr_expect_eq(s.aus, 2);
	cr_expect_eq(s.aus_dropped, 0);
	pc_h264_depack_destroy(d);
}

Test(h264_rtp, packetizer_errors)
{
	static const uint8_t au[] = { 0, 0, 0, 1, 0x65, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	static const uint8_t no_nal[] = { 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0 };
	static const uint8_t stap_in[] = { 0, 0, 1, 0x78, 1, 2 };
	struct pc_h264_pack_conf c = { .mode = PC_H264_MODE_SINGLE, .max_payload = 8 };
	struct pc_h264_pack p;
	uint8_t out[64];
	size_t len;
	bool m;

	/* Given mode 0 and a NAL unit of 11 bytes over max_payload 8: -EMSGSIZE, every time */
	cr_assert_eq(pc_h264_pack_init(&p, &c, au, sizeof(au)), 0);
	cr_expect_eq(pc_h264_pack_next(&p, out, sizeof(out), &len, &m), -EMSGSIZE);
	cr_expect_eq(pc_h264_pack_next(&p, out, sizeof(out), &len, &m), -EMSGSIZE);
	/* And: at exactly max_payload it fits */
	c.max_payload = 11;
	cr_assert_eq(pc_h264_pack_init(&p, &c, au, sizeof(au)), 0);
	cr_expect_eq(pc_h264_pack_next(&p, out, 10, &len, &m), -EMSGSIZE, "cap below max_payload");
	cr_expect_eq(pc_h264_pack_next(&p, out, sizeof(out), &len, &m), 1);
	cr_expect_eq(len, 11);
	cr_expect(m);
	/* bad confs, no NAL unit, a NAL type a receiver would misread */
	c.mode = 2;
	cr_expect_eq(pc_h264_pack_init(&p, &c, au, sizeof(au)), -EINVAL);
	c.mode = PC_H264_MODE_NON_INTERLEAVED;
	c.max_payload = 2;
	cr_expect_eq(pc_h264_pack_init(&p, &c, au, sizeof(au)), -EINVAL);
	c.max_payload = 60;
	cr_expect_eq(pc_h264_pack_init(&p, &c, no_nal, sizeof(no_nal)), -EBADMSG);
	cr_expect_eq(pc_h264_pack_init(&p, &c, no_nal, 0), -EBADMSG);
	cr_assert_eq(pc_h264_pack_init(&p, &c, stap_in, sizeof(stap_in)), 0);
	cr_expect_eq(pc_h264_pack_next(&p, out, sizeof(out), &len, &m), -EBADMSG);
	/* a depacketizer conf out of range */
	{
		struct pc_h264_depack_conf dc = { .max_au_bytes = 0xffffffffu };
		struct pc_h264_depack *d = NULL;

		cr_expect_eq(pc_h264_depack_create(&d, &dc), -EINVAL);
		cr_expect_null(d);
	}
}

Test(h264_rtp, flush_delivers_complete_and_drops_open)
{
	static const uint8_t a[] = { 0x41, 0x9a, 1 }, b[] = { 0x7c, 0x81, 0x9a };
	struct pc_h264_depack_conf dc = { .reorder_frames = 4 };
	struct pc_h264_depack *d;
	struct pc_h264_depack_stats s;
	struct pc_h264_au au;

	cr_assert_eq(pc_h264_depack_create(&d, &dc), 0);
	/* Given AU 10 without its marker packet (2), a complete AU 30 behind it, an open FU-A */
	cr_assert_eq(pc_h264_depack_put(d, 1, 10, false, a, sizeof(a)), 0);
	cr_assert_eq(pc_h264_depack_put(d, 3, 30, true, a, sizeof(a)), 0);
	cr_assert_eq(pc_h264_depack_put(d, 4, 40, false, b, sizeof(b)), 0);
	cr_expect_eq(pc_h264_depack_get(d, &au), 0, "waits for packet 2");
	/* When flushed */
	pc_h264_depack_flush(d);
	/* Then AU 30 comes out, AUs 10 and 40 are dropped with a key-frame request */
	cr_assert_eq(pc_h264_depack_get(d, &au), 1);
	cr_expect_eq(au.rtp_ts, 30);
	cr_expect_eq(pc_h264_depack_get(d, &au), 0);
	cr_expect(pc_h264_depack_keyframe_needed(d));
	pc_h264_depack_stats(d, &s);
	cr_expect_eq(s.aus_dropped, 2);
	/* And: packet 2 is now late */
	cr_expect_eq(pc_h264_depack_put(d, 2, 10, true, a, sizeof(a)), -EALREADY);
	pc_h264_depack_destroy(d);
}

Test(h264_rtp, stream_start_unrecognised_first_nal)
{
	static const uint8_t p1[] = { 0x65, 0x01, 1 }, p2[] = { 0x06, 0x05, 1 },
			     p3[] = { 0x41, 0x9a, 2 }, p4[] = { 0x65, 0x88, 1 },
			     sps[] = { 0x67, 0x42, 0x80 }, pps[] = { 0x68, 0xce };
	struct pc_h264_depack *d;
	struct pc_h264_au au;

	/* Given a stream starting with an IDR slice that is not the picture's first */
	cr_assert_eq(pc_h264_depack_create(&d, NULL), 0);
	cr_assert_eq(pc_h264_depack_put(d, 100, 1, true, p1, sizeof(p1)), 0);
	/* Then it is held: an earlier packet may still come */
	cr_expect_eq(pc_h264_depack_get(d, &au), 0);
	/* When flushed, it comes out: no later packet can show a loss */
	pc_h264_depack_flush(d);
	cr_assert_eq(pc_h264_depack_get(d, &au), 1);
	cr_expect_eq(au.rtp_ts, 1);
	cr_expect(au.idr);
	cr_expect_not(pc_h264_depack_keyframe_needed(d));
	pc_h264_depack_destroy(d);

	/* Given a stream starting with an SEI and an IDR slice (parameter sets out of band) */
	cr_assert_eq(pc_h264_depack_create(&d, NULL), 0);
	cr_assert_eq(pc_h264_depack_put(d, 7, 1, false, p2, sizeof(p2)), 0);
	cr_assert_eq(pc_h264_depack_put(d, 8, 1, true, p4, sizeof(p4)), 0);
	/* Then it is held (an SPS and a PPS may still come before it) */
	cr_expect_eq(pc_h264_depack_get(d, &au), 0);
	/* When the next AU is complete, both come out, nothing dropped */
	cr_assert_eq(pc_h264_depack_put(d, 9, 2, true, p3, sizeof(p3)), 0);
	cr_assert_eq(pc_h264_depack_get(d, &au), 1);
	cr_expect_eq(au.len, 14);
	cr_expect(au.idr);
	cr_assert_eq(pc_h264_depack_get(d, &au), 1);
	cr_expect_eq(au.rtp_ts, 2);
	cr_expect_not(pc_h264_depack_keyframe_needed(d));
	pc_h264_depack_destroy(d);

	/* Given the first AU's packets backwards: IDR slice (first_mb 0, marker), PPS, SPS */
	cr_assert_eq(pc_h264_depack_create(&d, NULL), 0);
	cr_assert_eq(pc_h264_depack_put(d, 3, 1, true, p4, sizeof(p4)), 0);
	cr_expect_eq(pc_h264_depack_get(d, &au), 0, "not without what may precede it");
	cr_assert_eq(pc_h264_depack_put(d, 2, 1, false, pps, sizeof(pps)), 0);
	cr_expect_eq(pc_h264_depack_get(d, &au), 0);
	cr_assert_eq(pc_h264_depack_put(d, 1, 1, false, sps, sizeof(sps)), 0);
	/* Then it comes out whole once the SPS is in */
	cr_assert_eq(pc_h264_depack_get(d, &au), 1);
	cr_expect_eq(au.len, 4 + 3 + 4 + 2 + 4 + 3);
	pc_h264_depack_destroy(d);
}

Test(h264_rtp, sequence_jump_starts_over)
{
	static const uint8_t p1[] = { 0x41, 0x9a, 1 }, p2[] = { 0x41, 0x88, 2 };
	struct pc_h264_depack *d;
	struct pc_h264_depack_stats s;
	struct pc_h264_au au;

	cr_assert_eq(pc_h264_depack_create(&d, NULL), 0);
	/* Given an AU at 100 taken */
	cr_assert_eq(pc_h264_depack_put(d, 100, 1, true, p1, sizeof(p1)), 0);
	cr_assert_eq(pc_h264_depack_get(d, &au), 1);
	cr_expect_not(pc_h264_depack_keyframe_needed(d));
	/* When the sender jumps 30000 numbers ahead, then 30000 back */
	cr_assert_eq(pc_h264_depack_put(d, 30100, 2, true, p2, sizeof(p2)), 0);
	/* Then each time its AU comes out and a key-frame request is raised */
	cr_assert_eq(pc_h264_depack_get(d, &au), 1);
	cr_expect_eq(au.rtp_ts, 2);
	cr_expect(pc_h264_depack_keyframe_needed(d));
	cr_assert_eq(pc_h264_depack_put(d, 101, 3, true, p1, sizeof(p1)), 0);
	cr_assert_eq(pc_h264_depack_get(d, &au), 1);
	cr_expect_eq(au.rtp_ts, 3);
	cr_expect(pc_h264_depack_keyframe_needed(d));
	pc_h264_depack_stats(d, &s);
	cr_expect_eq(s.keyframe_requests, 2);
	cr_expect_eq(s.aus, 3);
	cr_expect_eq(s.aus_dropped, 0);
	pc_h264_depack_destroy(d);
}
