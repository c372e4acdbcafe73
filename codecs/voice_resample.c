/* SPDX-License-Identifier: MIT */
/* voice_resample.c - the resampler between device and codec rates: Speex DSP's. */
#include <errno.h>
#include <stdlib.h>

#include <speex/speex_resampler.h>

#include "pc_voice.h"
#include "voice_pvt.h"

struct pc_voice_rs {
	SpeexResamplerState *st;
};

int pc_voice_rs_create(struct pc_voice_rs **out, uint32_t in_rate, uint32_t out_rate, int quality)
{
	struct pc_voice_rs *r;
	int err = 0, rc;

	if (out == NULL || in_rate < 1000 || in_rate > 192000 || out_rate < 1000 ||
	    out_rate > 192000 || quality < 0 || quality > 10)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	r->st = speex_resampler_init(1, in_rate, out_rate, quality, &err);
	if (r->st == NULL || err != RESAMPLER_ERR_SUCCESS) {
		rc = err == RESAMPLER_ERR_ALLOC_FAILED ? -ENOMEM : -EINVAL;
		goto out_free;
	}
	/* Without this the first latency's worth of output is the filter's zeroed history. */
	speex_resampler_skip_zeros(r->st);
	*out = r;
	return 0;

out_free:
	if (r->st != NULL)
		speex_resampler_destroy(r->st);
	free(r);
	return rc;
}

void pc_voice_rs_destroy(struct pc_voice_rs *r)
{
	if (r == NULL)
		return;
	speex_resampler_destroy(r->st);
	free(r);
}

int pc_voice_rs_process(struct pc_voice_rs *r, const int16_t *in, uint32_t *in_len, int16_t *out,
			uint32_t *out_len)
{
	if (r == NULL || in == NULL || in_len == NULL || out == NULL || out_len == NULL)
		return -EINVAL;
	if (speex_resampler_process_int(r->st, 0, in, in_len, out, out_len) != 0)
		return -EINVAL;
	return 0;
}

int pc_voice_rs_process_float(struct pc_voice_rs *r, const float *in, uint32_t *in_len, float *out,
			      uint32_t *out_len)
{
	if (r == NULL || in == NULL || in_len == NULL || out == NULL || out_len == NULL)
		return -EINVAL;
	if (speex_resampler_process_float(r->st, 0, in, in_len, out, out_len) != 0)
		return -EINVAL;
	return 0;
}

uint32_t pc_voice_rs_latency(const struct pc_voice_rs *r)
{
	int l = speex_resampler_get_output_latency(r->st);

	return l > 0 ? (uint32_t)l : 0;
}

void pc_voice_rs_reset(struct pc_voice_rs *r)
{
	speex_resampler_reset_mem(r->st);
	speex_resampler_skip_zeros(r->st);
}
