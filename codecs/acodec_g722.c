/* SPDX-License-Identifier: MIT */
/*
 * acodec_g722.c - ITU-T G.722 at 64 kbit/s through spandsp (g722_encode / g722_decode), with
 * our G.711 Appendix I PLC (acodec_plc.c, run at 16 kHz) for lost packets.
 *
 * RFC 3551 4.5.2: the RTP clock is 8000 Hz although G.722 samples at 16 kHz (an error of the
 * original RFC 1890 kept for compatibility): 20 ms is 320 samples, 160 octets, timestamp +160.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <spandsp/telephony.h>
#include <spandsp/g722.h>

#include "acodec_plc_pvt.h"
#include "acodec_pvt.h"

struct g722_state {
	g722_encode_state_t *enc;
	g722_decode_state_t *dec;
	struct pc_acodec_plc plc;
};

static void g722_free(struct g722_state *s)
{
	if (s->enc != NULL)
		g722_encode_free(s->enc);
	if (s->dec != NULL)
		g722_decode_free(s->dec);
	free(s);
}

/* Self-test: a 1 kHz tone survives a round trip (spandsp linked and working). */
static int g722_selftest(struct g722_state *s)
{
	int16_t pcm[320], back[320];
	uint8_t code[160];
	double e = 0, d = 0;

	for (unsigned i = 0; i < 320; i++)
		pcm[i] = (int16_t)((i / 8) % 2 ? 8000 : -8000); /* a 1 kHz square wave */
	for (unsigned k = 0; k < 4; k++) {
		if (g722_encode(s->enc, code, pcm, 320) != 160 ||
		    g722_decode(s->dec, back, code, 160) != 320)
			return -EIO;
	}
	for (unsigned i = 64; i < 320; i++) {
		e += (double)pcm[i] * pcm[i];
		d += (double)back[i] * back[i];
	}
	/* The decoded power is of the same order (the waveform is delayed and band-limited). */
	if (d < e / 10 || d > e * 10)
		return -EIO;
	/* Start the instance from fresh states. */
	g722_encode_init(s->enc, 64000, 0);
	g722_decode_init(s->dec, 64000, 0);
	return 0;
}

static int g722_init(struct pc_acodec *c, const struct pc_acodec_params *p)
{
	struct g722_state *s;
	int rc;

	(void)p;
	if (c->info.sample_rate != 16000)
		return -ENOTSUP;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	s->enc = g722_encode_init(NULL, 64000, 0);
	s->dec = g722_decode_init(NULL, 64000, 0);
	if (s->enc == NULL || s->dec == NULL) {
		rc = -ENOMEM;
		goto out_free;
	}
	rc = pc_acodec_plc_init(&s->plc, c->info.sample_rate);
	if (rc < 0)
		goto out_free;
	rc = g722_selftest(s);
	if (rc < 0)
		goto out_free;
	c->info.max_payload = c->info.frame_samples / 2;
	c->info.max_samples = 16 * 120;
	c->priv = s;
	return 0;

out_free:
	g722_free(s);
	return rc;
}

static void g722_fini(struct pc_acodec *c)
{
	g722_free(c->priv);
}

static int g722_encode_op(struct pc_acodec *c, const int16_t *pcm, uint8_t *out, size_t cap)
{
	struct g722_state *s = c->priv;
	int n;

	if (cap < c->info.frame_samples / 2)
		return -EMSGSIZE;
	n = g722_encode(s->enc, out, pcm, (int)c->info.frame_samples);
	return n == (int)c->info.frame_samples / 2 ? n : -EIO;
}

static int g722_decode_op(struct pc_acodec *c, const uint8_t *in, size_t len, int16_t *pcm,
			  size_t cap)
{
	struct g722_state *s = c->priv;
	int n;

	/* One octet per two 16 kHz samples (a low- and a high-band code), any count up to 120 ms.
	 * Longer is malformed whatever @cap is (max_samples always suffices): checked first. */
	if (len > c->info.max_samples / 2)
		return -EBADMSG;
	if (len * 2 > cap)
		return -EMSGSIZE;
	n = g722_decode(s->dec, pcm, in, (int)len);
	if (n != (int)len * 2)
		return -EIO;
	pc_acodec_plc_rx(&s->plc, pcm, (size_t)n);
	return n;
}

static int g722_conceal(struct pc_acodec *c, const uint8_t *next, size_t next_len, int16_t *pcm,
			size_t cap)
{
	struct g722_state *s = c->priv;

	(void)next;
	(void)next_len;
	(void)cap;
	pc_acodec_plc_conceal(&s->plc, pcm, c->info.frame_samples);
	return (int)c->info.frame_samples;
}

const struct pc_acodec_ops pc_acodec_g722_ops = {
	.id = PC_ACODEC_G722,
	.name = "G722",
	.static_pt = PC_ACODEC_PT_G722,
	.clock_rate = 8000,
	.sample_rate = 16000,
	.init = g722_init,
	.fini = g722_fini,
	.encode = g722_encode_op,
	.decode = g722_decode_op,
	.conceal = g722_conceal,
};
