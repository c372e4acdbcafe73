/* SPDX-License-Identifier: MIT */
/*
 * acodec_g729.c - ITU-T G.729 (and Annex B silence suppression) through bcg729.
 *
 * RFC 3551 4.5.6: a G729 payload is zero or more 10-octet frames of 10 ms, followed by zero or
 * one 2-octet Annex B SID frame. Frame erasure (bcg729's own concealment, G.729 4.4) makes up
 * lost frames; after a SID it continues the comfort noise.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <bcg729/decoder.h>
#include <bcg729/encoder.h>

#include "acodec_pvt.h"

/* The largest payload decoded: 120 ms of frames and a SID. */
#define G729_MAX_FRAMES 12u

struct g729_state {
	bcg729EncoderChannelContextStruct *enc;
	bcg729DecoderChannelContextStruct *dec;
};

static void g729_free(struct g729_state *s)
{
	if (s->enc != NULL)
		closeBcg729EncoderChannel(s->enc);
	if (s->dec != NULL)
		closeBcg729DecoderChannel(s->dec);
	free(s);
}

/* Self-test on states of its own: a tone's frames are 10 octets and decode to a signal of
 * comparable power (bcg729 linked and working). */
static int g729_selftest(void)
{
	bcg729EncoderChannelContextStruct *enc = initBcg729EncoderChannel(0);
	bcg729DecoderChannelContextStruct *dec = initBcg729DecoderChannel();
	int16_t pcm[PC_G729_FRAME_SAMPLES], back[PC_G729_FRAME_SAMPLES];
	uint8_t bits[PC_G729_FRAME_BYTES], len = 0;
	double e = 0, d = 0;
	int rc = -ENOMEM;

	if (enc == NULL || dec == NULL)
		goto out;
	for (unsigned i = 0; i < PC_G729_FRAME_SAMPLES; i++)
		pcm[i] = (int16_t)((i / 8) % 2 ? 6000 : -6000); /* 500 Hz square */
	rc = -EIO;
	for (unsigned k = 0; k < 8; k++) {
		bcg729Encoder(enc, pcm, bits, &len);
		if (len != PC_G729_FRAME_BYTES)
			goto out;
		bcg729Decoder(dec, bits, len, 0, 0, 0, back);
	}
	for (unsigned i = 0; i < PC_G729_FRAME_SAMPLES; i++) {
		e += (double)pcm[i] * pcm[i];
		d += (double)back[i] * back[i];
	}
	if (d > e / 20 && d < e * 20)
		rc = 0;
out:
	if (enc != NULL)
		closeBcg729EncoderChannel(enc);
	if (dec != NULL)
		closeBcg729DecoderChannel(dec);
	return rc;
}

static int g729_init(struct pc_acodec *c, const struct pc_acodec_params *p)
{
	struct g729_state *s;
	int rc;

	if (c->info.sample_rate != 8000)
		return -ENOTSUP;
	rc = g729_selftest();
	if (rc < 0)
		return rc;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	s->enc = initBcg729EncoderChannel(p->g729_annexb ? 1 : 0);
	s->dec = initBcg729DecoderChannel();
	if (s->enc == NULL || s->dec == NULL) {
		rc = -ENOMEM;
		goto out_free;
	}
	c->info.max_payload = c->info.ptime_ms / 10 * PC_G729_FRAME_BYTES;
	c->info.max_samples = (G729_MAX_FRAMES + 1) * PC_G729_FRAME_SAMPLES;
	c->priv = s;
	return 0;

out_free:
	g729_free(s);
	return rc;
}

static void g729_fini(struct pc_acodec *c)
{
	g729_free(c->priv);
}

static int g729_encode(struct pc_acodec *c, const int16_t *pcm, uint8_t *out, size_t cap)
{
	struct g729_state *s = c->priv;
	unsigned frames = c->info.ptime_ms / 10, pos = 0;
	uint8_t bits[PC_G729_FRAME_BYTES], sid[PC_G729_SID_BYTES];
	bool have_sid = false;

	if (cap < c->info.max_payload)
		return -EMSGSIZE;
	for (unsigned k = 0; k < frames; k++) {
		uint8_t len = 0;

		bcg729Encoder(s->enc, pcm + k * PC_G729_FRAME_SAMPLES, bits, &len);
		if (len == PC_G729_FRAME_BYTES) {
			/* RFC 3551 4.5.6: no SID before a voice frame; a talkspurt starting
			 * here drops the SID of the silence before it. */
			have_sid = false;
			memcpy(out + pos, bits, PC_G729_FRAME_BYTES);
			pos += PC_G729_FRAME_BYTES;
		} else if (len == PC_G729_SID_BYTES) {
			memcpy(sid, bits, PC_G729_SID_BYTES);
			have_sid = true;
		} else if (len != 0) {
			return -EIO;
		}
	}
	if (have_sid) {
		memcpy(out + pos, sid, PC_G729_SID_BYTES);
		pos += PC_G729_SID_BYTES;
	}
	return (int)pos;
}

static int g729_decode(struct pc_acodec *c, const uint8_t *in, size_t len, int16_t *pcm, size_t cap)
{
	struct g729_state *s = c->priv;
	size_t frames = len / PC_G729_FRAME_BYTES, rem = len % PC_G729_FRAME_BYTES;
	size_t samples = (frames + (rem != 0)) * PC_G729_FRAME_SAMPLES;

	if ((rem != 0 && rem != PC_G729_SID_BYTES) || frames > G729_MAX_FRAMES)
		return -EBADMSG;
	if (samples > cap)
		return -EMSGSIZE;
	for (size_t k = 0; k < frames; k++)
		bcg729Decoder(s->dec, in + k * PC_G729_FRAME_BYTES, PC_G729_FRAME_BYTES, 0, 0, 0,
			      pcm + k * PC_G729_FRAME_SAMPLES);
	if (rem != 0)
		bcg729Decoder(s->dec, in + frames * PC_G729_FRAME_BYTES, PC_G729_SID_BYTES, 0, 1, 0,
			      pcm + frames * PC_G729_FRAME_SAMPLES);
	return (int)samples;
}

static int g729_conceal(struct pc_acodec *c, const uint8_t *next, size_t next_len, int16_t *pcm,
			size_t cap)
{
	static const uint8_t erased[PC_G729_FRAME_BYTES];
	struct g729_state *s = c->priv;
	unsigned frames = c->info.ptime_ms / 10;

	(void)next;
	(void)next_len;
	(void)cap;
	for (unsigned k = 0; k < frames; k++)
		bcg729Decoder(s->dec, erased, PC_G729_FRAME_BYTES, 1, 0, 0,
			      pcm + k * PC_G729_FRAME_SAMPLES);
	return (int)c->info.frame_samples;
}

const struct pc_acodec_ops pc_acodec_g729_ops = {
	.id = PC_ACODEC_G729,
	.name = "G729",
	.static_pt = PC_ACODEC_PT_G729,
	.clock_rate = 8000,
	.sample_rate = 8000,
	.init = g729_init,
	.fini = g729_fini,
	.encode = g729_encode,
	.decode = g729_decode,
	.conceal = g729_conceal,
};
