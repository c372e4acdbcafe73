/* SPDX-License-Identifier: MIT */
/*
 * acodec_g711.c - ITU-T G.711 mu-law (PCMU) and A-law (PCMA), our own, table-driven, and their
 * codec ops (packet-loss concealment by our G.711 Appendix I PLC, acodec_plc.c).
 *
 * Decode: one 256-entry table per law (below, the values of the reference decoders).
 * Encode: G.711 works on the top 14 (mu-law) or 13 (A-law) bits of a 16-bit sample, so a table
 * indexed by those bits (16384 and 8192 bytes) holds every answer: one shift and one load per
 * sample. The tables are filled once at load time (a constructor) from the segment rule of
 * G.711 (Tables 1a/2a), the segment found with count-leading-zeros.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acodec_plc_pvt.h"
#include "acodec_pvt.h"

#define G711_ULAW_BITS 14
#define G711_ALAW_BITS 13

/* Code -> 16-bit linear: ulaw2linear() / alaw2linear() of the reference (Sun g711.c, ITU-T
 * G.191), codes as sent on the wire (mu-law inverted, A-law with even bits inverted). */
const int16_t pc_g711_ulaw_to_linear[256] = {
	-32124, -31100, -30076, -29052, -28028, -27004, -25980, -24956, -23932, -22908, -21884,
	-20860, -19836, -18812, -17788, -16764, -15996, -15484, -14972, -14460, -13948, -13436,
	-12924, -12412, -11900, -11388, -10876, -10364, -9852,	-9340,	-8828,	-8316,	-7932,
	-7676,	-7420,	-7164,	-6908,	-6652,	-6396,	-6140,	-5884,	-5628,	-5372,	-5116,
	-4860,	-4604,	-4348,	-4092,	-3900,	-3772,	-3644,	-3516,	-3388,	-3260,	-3132,
	-3004,	-2876,	-2748,	-2620,	-2492,	-2364,	-2236,	-2108,	-1980,	-1884,	-1820,
	-1756,	-1692,	-1628,	-1564,	-1500,	-1436,	-1372,	-1308,	-1244,	-1180,	-1116,
	-1052,	-988,	-924,	-876,	-844,	-812,	-780,	-748,	-716,	-684,	-652,
	-620,	-588,	-556,	-524,	-492,	-460,	-428,	-396,	-372,	-356,	-340,
	-324,	-308,	-292,	-276,	-260,	-244,	-228,	-212,	-196,	-180,	-164,
	-148,	-132,	-120,	-112,	-104,	-96,	-88,	-80,	-72,	-64,	-56,
	-48,	-40,	-32,	-24,	-16,	-8,	0,	32124,	31100,	30076,	29052,
	28028,	27004,	25980,	24956,	23932,	22908,	21884,	20860,	19836,	18812,	17788,
	16764,	15996,	15484,	14972,	14460,	13948,	13436,	12924,	12412,	11900,	11388,
	10876,	10364,	9852,	9340,	8828,	8316,	7932,	7676,	7420,	7164,	6908,
	6652,	6396,	6140,	5884,	5628,	5372,	5116,	4860,	4604,	4348,	4092,
	3900,	3772,	3644,	3516,	3388,	3260,	3132,	3004,	2876,	2748,	2620,
	2492,	2364,	2236,	2108,	1980,	1884,	1820,	1756,	1692,	1628,	1564,
	1500,	1436,	1372,	1308,	1244,	1180,	1116,	1052,	988,	924,	876,
	844,	812,	780,	748,	716,	684,	652,	620,	588,	556,	524,
	492,	460,	428,	396,	372,	356,	340,	324,	308,	292,	276,
	260,	244,	228,	212,	196,	180,	164,	148,	132,	120,	112,
	104,	96,	88,	80,	72,	64,	56,	48,	40,	32,	24,
	16,	8,	0,
};
const int16_t pc_g711_alaw_to_linear[256] = {
	-5504,	-5248,	-6016,	-5760,	-4480,	-4224,	-4992,	-4736,	-7552,	-7296,	-8064,
	-7808,	-6528,	-6272,	-7040,	-6784,	-2752,	-2624,	-3008,	-2880,	-2240,	-2112,
	-2496,	-2368,	-3776,	-3648,	-4032,	-3904,	-3264,	-3136,	-3520,	-3392,	-22016,
	-20992, -24064, -23040, -17920, -16896, -19968, -18944, -30208, -29184, -32256, -31232,
	-26112, -25088, -28160, -27136, -11008, -10496, -12032, -11520, -8960,	-8448,	-9984,
	-9472,	-15104, -14592, -16128, -15616, -13056, -12544, -14080, -13568, -344,	-328,
	-376,	-360,	-280,	-264,	-312,	-296,	-472,	-456,	-504,	-488,	-408,
	-392,	-440,	-424,	-88,	-72,	-120,	-104,	-24,	-8,	-56,	-40,
	-216,	-200,	-248,	-232,	-152,	-136,	-184,	-168,	-1376,	-1312,	-1504,
	-1440,	-1120,	-1056,	-1248,	-1184,	-1888,	-1824,	-2016,	-1952,	-1632,	-1568,
	-1760,	-1696,	-688,	-656,	-752,	-720,	-560,	-528,	-624,	-592,	-944,
	-912,	-1008,	-976,	-816,	-784,	-880,	-848,	5504,	5248,	6016,	5760,
	4480,	4224,	4992,	4736,	7552,	7296,	8064,	7808,	6528,	6272,	7040,
	6784,	2752,	2624,	3008,	2880,	2240,	2112,	2496,	2368,	3776,	3648,
	4032,	3904,	3264,	3136,	3520,	3392,	22016,	20992,	24064,	23040,	17920,
	16896,	19968,	18944,	30208,	29184,	32256,	31232,	26112,	25088,	28160,	27136,
	11008,	10496,	12032,	11520,	8960,	8448,	9984,	9472,	15104,	14592,	16128,
	15616,	13056,	12544,	14080,	13568,	344,	328,	376,	360,	280,	264,
	312,	296,	472,	456,	504,	488,	408,	392,	440,	424,	88,
	72,	120,	104,	24,	8,	56,	40,	216,	200,	248,	232,
	152,	136,	184,	168,	1376,	1312,	1504,	1440,	1120,	1056,	1248,
	1184,	1888,	1824,	2016,	1952,	1632,	1568,	1760,	1696,	688,	656,
	752,	720,	560,	528,	624,	592,	944,	912,	1008,	976,	816,
	784,	880,	848,
};

static uint8_t g711_ulaw_enc[1u << G711_ULAW_BITS]; /* by (uint16_t)sample >> 2 */
static uint8_t g711_alaw_enc[1u << G711_ALAW_BITS]; /* by (uint16_t)sample >> 3 */

/* bitlen - the number of significant bits of @v (> 0). */
static inline unsigned bitlen(unsigned v)
{
	return 32u - (unsigned)__builtin_clz(v);
}

/* G.711 Table 2a: mu-law of the 14-bit sample @v (-8192..8191). Magnitude biased by 33 (the
 * 0x84 of the 16-bit scale), segment from its bit length, four mantissa bits below the top. */
static uint8_t g711_ulaw_of14(int v)
{
	unsigned mask = v < 0 ? 0x7f : 0xff;
	unsigned mag = (unsigned)(v < 0 ? -v : v), seg;

	if (mag > 8159)
		mag = 8159;
	mag += 33;
	seg = bitlen(mag) - 6; /* 33..63: segment 0 */
	if (seg >= 8)
		return (uint8_t)(0x7f ^ mask);
	return (uint8_t)(((seg << 4) | ((mag >> (seg + 1)) & 0xf)) ^ mask);
}

/* G.711 Table 1a: A-law of the 13-bit sample @v (-4096..4095); negative values are coded as
 * their one's complement, segments 0 and 1 share a step. */
static uint8_t g711_alaw_of13(int v)
{
	unsigned mask = v >= 0 ? 0xd5 : 0x55;
	unsigned mag = (unsigned)(v >= 0 ? v : -v - 1), seg;

	seg = mag < 32 ? 0 : bitlen(mag) - 5;
	return (uint8_t)(((seg << 4) | ((mag >> (seg < 2 ? 1 : seg)) & 0xf)) ^ mask);
}

__attribute__((constructor)) static void g711_tables_init(void)
{
	for (int v = -(1 << (G711_ULAW_BITS - 1)); v < (1 << (G711_ULAW_BITS - 1)); v++)
		g711_ulaw_enc[(unsigned)v & ((1u << G711_ULAW_BITS) - 1)] = g711_ulaw_of14(v);
	for (int v = -(1 << (G711_ALAW_BITS - 1)); v < (1 << (G711_ALAW_BITS - 1)); v++)
		g711_alaw_enc[(unsigned)v & ((1u << G711_ALAW_BITS) - 1)] = g711_alaw_of13(v);
}

void pc_g711_ulaw_encode_buf(uint8_t *restrict out, const int16_t *restrict in, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = g711_ulaw_enc[(uint16_t)in[i] >> (16 - G711_ULAW_BITS)];
}

void pc_g711_alaw_encode_buf(uint8_t *restrict out, const int16_t *restrict in, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = g711_alaw_enc[(uint16_t)in[i] >> (16 - G711_ALAW_BITS)];
}

void pc_g711_ulaw_decode_buf(int16_t *restrict out, const uint8_t *restrict in, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = pc_g711_ulaw_to_linear[in[i]];
}

void pc_g711_alaw_decode_buf(int16_t *restrict out, const uint8_t *restrict in, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = pc_g711_alaw_to_linear[in[i]];
}

/* --- the codec ops ---------------------------------------------------------------------------- */

struct g711_state {
	struct pc_acodec_plc plc;
	bool alaw;
};

/* Known answers (G.711 Tables 1a/2a, classic values): the tables are as built. */
static int g711_selftest(void)
{
	static const int16_t pcm[] = { 0, -1, 32767, -32768, 1000 };
	static const uint8_t mu[] = { 0xff, 0x7e, 0x80, 0x00, 0xce };
	static const uint8_t a[] = { 0xd5, 0x55, 0xaa, 0x2a, 0xfa };
	uint8_t cu[5], ca[5];

	pc_g711_ulaw_encode_buf(cu, pcm, 5);
	pc_g711_alaw_encode_buf(ca, pcm, 5);
	if (memcmp(cu, mu, 5) != 0 || memcmp(ca, a, 5) != 0)
		return -EIO;
	for (unsigned i = 0; i < 256; i++) {
		int16_t x;
		uint8_t y;

		/* Decoding then encoding gives the code back (but mu-law 0x7f, -0, is 0xff). */
		x = pc_g711_ulaw_to_linear[i];
		pc_g711_ulaw_encode_buf(&y, &x, 1);
		if (y != i && !(i == 0x7f && y == 0xff))
			return -EIO;
		x = pc_g711_alaw_to_linear[i];
		pc_g711_alaw_encode_buf(&y, &x, 1);
		if (y != i)
			return -EIO;
	}
	return 0;
}

static int g711_init(struct pc_acodec *c, const struct pc_acodec_params *p)
{
	struct g711_state *s;
	int rc;

	(void)p;
	if (c->info.sample_rate != 8000)
		return -ENOTSUP;
	rc = g711_selftest();
	if (rc < 0)
		return rc;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	rc = pc_acodec_plc_init(&s->plc, c->info.sample_rate);
	if (rc < 0)
		goto out_free;
	s->alaw = c->info.id == PC_ACODEC_PCMA;
	c->info.max_payload = c->info.frame_samples;
	c->info.max_samples = 8 * 120; /* a payload of 120 ms: decode takes any length */
	c->priv = s;
	return 0;

out_free:
	free(s);
	return rc;
}

static void g711_fini(struct pc_acodec *c)
{
	struct g711_state *s = c->priv;

	free(s);
}

static int g711_encode(struct pc_acodec *c, const int16_t *pcm, uint8_t *out, size_t cap)
{
	struct g711_state *s = c->priv;
	size_t n = c->info.frame_samples;

	if (cap < n)
		return -EMSGSIZE;
	if (s->alaw)
		pc_g711_alaw_encode_buf(out, pcm, n);
	else
		pc_g711_ulaw_encode_buf(out, pcm, n);
	return (int)n;
}

static int g711_decode(struct pc_acodec *c, const uint8_t *in, size_t len, int16_t *pcm, size_t cap)
{
	struct g711_state *s = c->priv;

	/* RFC 3551 4.5.14: one octet per sample, any count up to 120 ms. Longer is a malformed
	 * payload whatever @cap is (max_samples always suffices as a cap), so check it first. */
	if (len > c->info.max_samples)
		return -EBADMSG;
	if (len > cap)
		return -EMSGSIZE;
	if (s->alaw)
		pc_g711_alaw_decode_buf(pcm, in, len);
	else
		pc_g711_ulaw_decode_buf(pcm, in, len);
	/* Remember the signal for concealment (smooths the join after a loss, in place). */
	pc_acodec_plc_rx(&s->plc, pcm, len);
	return (int)len;
}

static int g711_conceal(struct pc_acodec *c, const uint8_t *next, size_t next_len, int16_t *pcm,
			size_t cap)
{
	struct g711_state *s = c->priv;

	(void)next;
	(void)next_len;
	(void)cap;
	pc_acodec_plc_conceal(&s->plc, pcm, c->info.frame_samples);
	return (int)c->info.frame_samples;
}

const struct pc_acodec_ops pc_acodec_pcmu_ops = {
	.id = PC_ACODEC_PCMU,
	.name = "PCMU",
	.static_pt = PC_ACODEC_PT_PCMU,
	.clock_rate = 8000,
	.sample_rate = 8000,
	.init = g711_init,
	.fini = g711_fini,
	.encode = g711_encode,
	.decode = g711_decode,
	.conceal = g711_conceal,
};

const struct pc_acodec_ops pc_acodec_pcma_ops = {
	.id = PC_ACODEC_PCMA,
	.name = "PCMA",
	.static_pt = PC_ACODEC_PT_PCMA,
	.clock_rate = 8000,
	.sample_rate = 8000,
	.init = g711_init,
	.fini = g711_fini,
	.encode = g711_encode,
	.decode = g711_decode,
	.conceal = g711_conceal,
};
