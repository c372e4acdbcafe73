/* SPDX-License-Identifier: MIT */
/*
 * acodec_opus.c - Opus (RFC 6716, RTP payload RFC 7587) through libopus, in its VoIP mode.
 *
 * The RTP clock is always 48 kHz (RFC 7587 4.1) whatever the PCM rate the instance works at.
 * Loss: opus_decode()'s PLC, or the in-band FEC (LBRR) the next packet carries for the lost
 * one (RFC 6716 2.1.7), decoded with decode_fec = 1; libopus conceals by PLC when that packet
 * carries none, so conceal tries FEC whenever it is given the next packet, whatever our own
 * encoder's FEC setting (the peer's encoder decides what the packets carry).
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <opus.h>

#include "acodec_pvt.h"

struct opus_state {
	OpusEncoder *enc;
	OpusDecoder *dec;
	bool dtx;
};

static void opus_state_free(struct opus_state *s)
{
	if (s->enc != NULL)
		opus_encoder_destroy(s->enc);
	if (s->dec != NULL)
		opus_decoder_destroy(s->dec);
	free(s);
}

static int opus_err(int err)
{
	switch (err) {
	case OPUS_BAD_ARG:
		return -EINVAL;
	case OPUS_BUFFER_TOO_SMALL:
		return -EMSGSIZE;
	case OPUS_INVALID_PACKET:
		return -EBADMSG;
	case OPUS_ALLOC_FAIL:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

static bool opus_rate_ok(uint32_t rate)
{
	return rate == 8000 || rate == 12000 || rate == 16000 || rate == 24000 || rate == 48000;
}

/* Self-test: a tone encodes and decodes to a full frame; then both states are reset. */
static int opus_selftest(struct opus_state *s, const struct pc_acodec_info *info)
{
	int16_t pcm[960 * 2], back[960 * 2];
	uint8_t pkt[PC_ACODEC_MAX_PAYLOAD];
	unsigned n = info->sample_rate / 50; /* 20 ms */
	int len, rc = 0;

	for (unsigned i = 0; i < n * info->channels; i++)
		pcm[i] = (int16_t)((i / 16) % 2 ? 4000 : -4000);
	len = opus_encode(s->enc, pcm, (int)n, pkt, (opus_int32)sizeof(pkt));
	if (len <= 0 || opus_decode(s->dec, pkt, len, back, (int)n, 0) != (int)n)
		rc = -EIO;
	opus_encoder_ctl(s->enc, OPUS_RESET_STATE);
	opus_decoder_ctl(s->dec, OPUS_RESET_STATE);
	return rc;
}

static int opus_init(struct pc_acodec *c, const struct pc_acodec_params *p)
{
	uint32_t bitrate = p->opus_bitrate ? p->opus_bitrate : 24000;
	int complexity = p->opus_complexity ? p->opus_complexity : 10;
	unsigned ptime = c->info.ptime_ms;
	struct opus_state *s;
	int err, rc;

	if (!opus_rate_ok(c->info.sample_rate))
		return -ENOTSUP;
	if ((ptime != 10 && ptime != 20 && ptime != 40 && ptime != 60) || bitrate < 6000 ||
	    bitrate > 510000 || p->opus_loss_pct > 100 || complexity > 10)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	s->dtx = p->opus_dtx;
	s->enc = opus_encoder_create((opus_int32)c->info.sample_rate, c->info.channels,
				     OPUS_APPLICATION_VOIP, &err);
	if (s->enc == NULL) {
		rc = opus_err(err);
		goto out_free;
	}
	s->dec = opus_decoder_create((opus_int32)c->info.sample_rate, c->info.channels, &err);
	if (s->dec == NULL) {
		rc = opus_err(err);
		goto out_free;
	}
	if (opus_encoder_ctl(s->enc, OPUS_SET_BITRATE((opus_int32)bitrate)) != OPUS_OK ||
	    opus_encoder_ctl(s->enc, OPUS_SET_INBAND_FEC(p->opus_fec ? 1 : 0)) != OPUS_OK ||
	    opus_encoder_ctl(s->enc, OPUS_SET_DTX(p->opus_dtx ? 1 : 0)) != OPUS_OK ||
	    opus_encoder_ctl(s->enc, OPUS_SET_PACKET_LOSS_PERC(p->opus_loss_pct)) != OPUS_OK ||
	    opus_encoder_ctl(s->enc, OPUS_SET_COMPLEXITY(complexity)) != OPUS_OK) {
		rc = -EINVAL;
		goto out_free;
	}
	c->info.max_payload = PC_ACODEC_MAX_PAYLOAD;
	c->info.max_samples = c->info.sample_rate / 1000 * 120;
	rc = opus_selftest(s, &c->info);
	if (rc < 0)
		goto out_free;
	c->priv = s;
	return 0;

out_free:
	opus_state_free(s);
	return rc;
}

static void opus_fini(struct pc_acodec *c)
{
	opus_state_free(c->priv);
}

static int opus_encode_op(struct pc_acodec *c, const int16_t *pcm, uint8_t *out, size_t cap)
{
	struct opus_state *s = c->priv;
	int n;

	if (cap > PC_ACODEC_MAX_PAYLOAD)
		cap = PC_ACODEC_MAX_PAYLOAD;
	n = opus_encode(s->enc, pcm, (int)c->info.frame_samples, out, (opus_int32)cap);
	if (n < 0)
		return opus_err(n);
	/* RFC 7587 3.1.3 / libopus: with DTX, a packet of 2 bytes or less need not be sent. */
	if (s->dtx && n <= 2)
		return 0;
	return n;
}

/* The packet's samples per channel at our rate, or -EBADMSG for a TOC and length that
 * disagree (RFC 6716 3.1-3.2; opus_decode checks the frame lengths themselves). */
static int opus_check(const struct pc_acodec *c, const uint8_t *in, size_t len)
{
	int n;

	if (len > PC_ACODEC_MAX_PAYLOAD * 4)
		return -EBADMSG;
	n = opus_packet_get_nb_samples(in, (opus_int32)len, (opus_int32)c->info.sample_rate);
	if (n <= 0 || (unsigned)n > c->info.max_samples)
		return -EBADMSG;
	return n;
}

static int opus_decode_op(struct pc_acodec *c, const uint8_t *in, size_t len, int16_t *pcm,
			  size_t cap)
{
	struct opus_state *s = c->priv;
	int n = opus_check(c, in, len);

	if (n < 0)
		return n;
	if ((size_t)n * c->info.channels > cap)
		return -EMSGSIZE;
	n = opus_decode(s->dec, in, (opus_int32)len, pcm, n, 0);
	return n < 0 ? opus_err(n) : n;
}

static int opus_conceal(struct pc_acodec *c, const uint8_t *next, size_t next_len, int16_t *pcm,
			size_t cap)
{
	struct opus_state *s = c->priv;
	int n;

	(void)cap;
	if (next != NULL) {
		n = opus_check(c, next, next_len);
		if (n < 0)
			return n;
		/* RFC 6716 2.1.7: the lost frame from the LBRR data of the next packet; its
		 * duration is what was lost (one ptime). */
		n = opus_decode(s->dec, next, (opus_int32)next_len, pcm, (int)c->info.frame_samples,
				1);
	} else {
		n = opus_decode(s->dec, NULL, 0, pcm, (int)c->info.frame_samples, 0);
	}
	return n < 0 ? opus_err(n) : n;
}

const struct pc_acodec_ops pc_acodec_opus_ops = {
	.id = PC_ACODEC_OPUS,
	.name = "opus",
	.static_pt = -1,
	.clock_rate = 48000,
	.sample_rate = 48000,
	.init = opus_init,
	.fini = opus_fini,
	.encode = opus_encode_op,
	.decode = opus_decode_op,
	.conceal = opus_conceal,
};
