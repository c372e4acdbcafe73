/* SPDX-License-Identifier: MIT */
/*
 * acodec.c - the audio codec interface of pc_audio_codec.h: lookup by rtpmap name and static
 * payload type, the checks every call shares, dispatch through the codec's ops table, and the
 * RFC 3389 comfort-noise helpers.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acodec_pvt.h"

static const struct pc_acodec_ops *const acodec_table[PC_ACODEC_COUNT] = {
	[PC_ACODEC_PCMU] = &pc_acodec_pcmu_ops, [PC_ACODEC_PCMA] = &pc_acodec_pcma_ops,
	[PC_ACODEC_G722] = &pc_acodec_g722_ops, [PC_ACODEC_G729] = &pc_acodec_g729_ops,
	[PC_ACODEC_OPUS] = &pc_acodec_opus_ops,
};

int pc_acodec_lookup_name(const char *name, uint32_t clock_rate)
{
	if (name == NULL)
		return -ENOENT;
	for (int i = 0; i < PC_ACODEC_COUNT; i++) {
		const struct pc_acodec_ops *ops = acodec_table[i];

		if (strcasecmp(name, ops->name) == 0 &&
		    (clock_rate == 0 || clock_rate == ops->clock_rate))
			return i;
	}
	return -ENOENT;
}

int pc_acodec_lookup_pt(unsigned pt)
{
	for (int i = 0; i < PC_ACODEC_COUNT; i++)
		if (acodec_table[i]->static_pt >= 0 && (unsigned)acodec_table[i]->static_pt == pt)
			return i;
	return -ENOENT;
}

const char *pc_acodec_name(enum pc_acodec_id id)
{
	if ((unsigned)id >= PC_ACODEC_COUNT)
		return NULL;
	return acodec_table[id]->name;
}

int pc_acodec_static_pt(enum pc_acodec_id id)
{
	if ((unsigned)id >= PC_ACODEC_COUNT)
		return -ENOENT;
	return acodec_table[id]->static_pt;
}

void pc_acodec_params_init(struct pc_acodec_params *p, const char *name)
{
	int id = pc_acodec_lookup_name(name, 0);

	memset(p, 0, sizeof(*p));
	p->name = name;
	p->channels = 1;
	p->ptime_ms = 20;
	if (id >= 0) {
		p->clock_rate = acodec_table[id]->clock_rate;
		p->sample_rate = acodec_table[id]->sample_rate;
	}
	p->opus_bitrate = 24000;
	p->opus_complexity = 10;
}

int pc_acodec_create(struct pc_acodec **out, const struct pc_acodec_params *p)
{
	const struct pc_acodec_ops *ops;
	struct pc_acodec *c;
	unsigned ptime;
	int id, rc;

	if (out == NULL || p == NULL)
		return -EINVAL;
	id = pc_acodec_lookup_name(p->name, 0);
	if (id < 0)
		return -ENOENT;
	ops = acodec_table[id];
	if (p->clock_rate != 0 && p->clock_rate != ops->clock_rate)
		return -ENOTSUP;
	ptime = p->ptime_ms ? p->ptime_ms : 20;
	if (ptime % 10 != 0 || ptime > 120)
		return -EINVAL;
	if (p->channels > 2 || (p->channels == 2 && id != PC_ACODEC_OPUS))
		return -EINVAL;

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->ops = ops;
	c->info.id = (enum pc_acodec_id)id;
	c->info.name = ops->name;
	c->info.clock_rate = ops->clock_rate;
	c->info.static_pt = ops->static_pt;
	c->info.channels = p->channels ? p->channels : 1;
	c->info.ptime_ms = (uint8_t)ptime;
	c->info.sample_rate = p->sample_rate ? p->sample_rate : ops->sample_rate;
	c->info.frame_samples = c->info.sample_rate / 1000 * ptime;
	c->info.frame_ts = ops->clock_rate / 1000 * ptime;
	rc = ops->init(c, p);
	if (rc < 0)
		goto out_free;
	*out = c;
	return 0;

out_free:
	free(c);
	return rc;
}

void pc_acodec_destroy(struct pc_acodec *c)
{
	if (c == NULL)
		return;
	c->ops->fini(c);
	free(c);
}

const struct pc_acodec_info *pc_acodec_get_info(const struct pc_acodec *c)
{
	return &c->info;
}

int pc_acodec_encode(struct pc_acodec *c, const int16_t *pcm, uint8_t *out, size_t cap)
{
	if (pcm == NULL || out == NULL)
		return -EINVAL;
	return c->ops->encode(c, pcm, out, cap);
}

int pc_acodec_decode(struct pc_acodec *c, const uint8_t *in, size_t len, int16_t *pcm, size_t cap)
{
	if (in == NULL || len == 0)
		return -EBADMSG;
	if (pcm == NULL)
		return -EINVAL;
	return c->ops->decode(c, in, len, pcm, cap);
}

int pc_acodec_conceal(struct pc_acodec *c, const uint8_t *next, size_t next_len, int16_t *pcm,
		      size_t cap)
{
	if (pcm == NULL)
		return -EINVAL;
	if (cap < (size_t)c->info.frame_samples * c->info.channels)
		return -EMSGSIZE;
	if (next != NULL && next_len == 0)
		next = NULL;
	return c->ops->conceal(c, next, next_len, pcm, cap);
}

/* --- RFC 3389 comfort noise ------------------------------------------------------------------- */

uint8_t pc_acodec_cn_level(const int16_t *pcm, size_t n)
{
	double e = 0, dbov;

	for (size_t i = 0; i < n; i++)
		e += (double)pcm[i] * pcm[i];
	if (n == 0 || e == 0)
		return 127;
	/* RFC 3389 3.1: dBov relative to the overload point; a full-scale square wave (mean
	 * square 32768^2) is 0 dBov. */
	dbov = 10.0 * log10(e / (double)n / (32768.0 * 32768.0));
	if (dbov >= 0)
		return 0;
	if (dbov <= -127)
		return 127;
	return (uint8_t)lround(-dbov);
}

int pc_acodec_cn_encode(const struct pc_acodec_cn *cn, uint8_t *out, size_t cap)
{
	if (cn == NULL || out == NULL || cn->level > 127 || cn->order > PC_ACODEC_CN_MAX_ORDER)
		return -EINVAL;
	if (cap < 1u + cn->order)
		return -EMSGSIZE;
	/* RFC 3389 3: the first byte's top bit is 0, then the level; then one byte per
	 * reflection coefficient. */
	out[0] = cn->level;
	memcpy(out + 1, cn->coef, cn->order);
	return 1 + cn->order;
}

int pc_acodec_cn_decode(struct pc_acodec_cn *cn, const uint8_t *in, size_t len)
{
	size_t order;

	if (cn == NULL || in == NULL || len == 0 || (in[0] & 0x80))
		return -EBADMSG;
	order = len - 1;
	if (order > PC_ACODEC_CN_MAX_ORDER)
		order = PC_ACODEC_CN_MAX_ORDER;
	memset(cn, 0, sizeof(*cn));
	cn->level = in[0];
	cn->order = (uint8_t)order;
	memcpy(cn->coef, in + 1, order);
	return 0;
}

void pc_acodec_cn_gen_init(struct pc_acodec_cn_gen *g, uint32_t seed)
{
	g->seed = seed ? seed : 0x9e3779b9u;
	g->lp = 0;
}

void pc_acodec_cn_generate(struct pc_acodec_cn_gen *g, const struct pc_acodec_cn *cn, int16_t *pcm,
			   size_t n)
{
	/* Target RMS from the level; uniform noise has RMS 1/sqrt(3) of its peak and the
	 * low-pass y += (x - y) / 2 keeps 1/3 of white noise's power: peak = 3 * RMS. */
	double rms = 32768.0 * pow(10.0, -(double)(cn->level > 127 ? 127 : cn->level) / 20.0);
	int32_t peak = (int32_t)lround(rms * 3.0);
	uint32_t s = g->seed;
	int32_t y = g->lp;

	if (peak > 32767)
		peak = 32767;
	for (size_t i = 0; i < n; i++) {
		int32_t x;

		/* xorshift32 */
		s ^= s << 13;
		s ^= s >> 17;
		s ^= s << 5;
		x = (int32_t)(((int64_t)(int32_t)s * peak) >> 31);
		y += (x - y) / 2;
		pcm[i] = (int16_t)(y > 32767 ? 32767 : y < -32768 ? -32768 : y);
	}
	g->seed = s;
	g->lp = y;
}
