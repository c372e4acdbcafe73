/* SPDX-License-Identifier: MIT */
/*
 * voice_pre.c - the preprocessor: Speex DSP's noise suppression, AGC and VAD, and a background
 * noise level for comfort noise (RFC 3389), tracked on the frames the VAD calls silence.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include <speex/speex_preprocess.h>

#include "pc_voice.h"
#include "voice_pvt.h"

struct pc_voice_pre {
	SpeexPreprocessState *st;
	uint32_t n;	   /* samples per frame */
	bool vad;	   /* VAD on */
	bool have_noise;   /* noise_pow holds an estimate */
	double noise_pow;  /* mean square of the input on silent frames, smoothed */
	double min_pow;	   /* slow minimum of the frame power: the noise floor */
	float start, cont; /* VAD thresholds over the floor, power ratios */
	bool in_speech;
	uint32_t hang; /* frames of hangover left */
};

int pc_voice_pre_create(struct pc_voice_pre **out, const struct pc_voice_pre_conf *c)
{
	struct pc_voice_pre *p;
	spx_int32_t v;

	if (out == NULL || c == NULL || (c->rate != 8000 && c->rate != 16000) ||
	    c->noise_suppress_db > 0 || c->agc_level > 32767 || c->vad_start_db > 60 ||
	    c->vad_cont_db > 60)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	p->n = c->rate / 100;
	p->st = speex_preprocess_state_init((int)p->n, (int)c->rate);
	if (p->st == NULL) {
		free(p);
		return -ENOMEM;
	}
	v = c->denoise;
	speex_preprocess_ctl(p->st, SPEEX_PREPROCESS_SET_DENOISE, &v);
	v = c->noise_suppress_db ? c->noise_suppress_db : -15;
	speex_preprocess_ctl(p->st, SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, &v);
	v = c->agc;
	speex_preprocess_ctl(p->st, SPEEX_PREPROCESS_SET_AGC, &v);
	if (c->agc) {
		float lvl = c->agc_level ? (float)c->agc_level : 8000.0f;

		speex_preprocess_ctl(p->st, SPEEX_PREPROCESS_SET_AGC_LEVEL, &lvl);
	}
	/* Speex's VAD is not used: speexdsp 1.2's is a placeholder that calls every frame
	 * speech. Ours compares the frame's level with the tracked noise floor. */
	p->vad = c->vad;
	p->start = powf(10.0f, (float)(c->vad_start_db ? c->vad_start_db : 9) / 10.0f);
	p->cont = powf(10.0f, (float)(c->vad_cont_db ? c->vad_cont_db : 4) / 10.0f);
	p->min_pow = -1.0;
	*out = p;
	return 0;
}

void pc_voice_pre_destroy(struct pc_voice_pre *p)
{
	if (p == NULL)
		return;
	speex_preprocess_state_destroy(p->st);
	free(p);
}

int pc_voice_pre_process(struct pc_voice_pre *p, int16_t *frame, struct pc_voice_pre_result *res)
{
	double pow = 0.0, est;
	int speech;

	if (p == NULL || frame == NULL)
		return -EINVAL;
	for (uint32_t i = 0; i < p->n; i++)
		pow += (double)frame[i] * frame[i];
	pow /= p->n;
	speex_preprocess_run(p->st, frame);
	/* The floor follows a falling level at once and a rising one by 0.05 dB a frame
	 * (5 dB a second): speech does not lift it, a louder room does, in seconds. */
	if (p->min_pow < 0.0 || pow < p->min_pow)
		p->min_pow = pow;
	else
		p->min_pow *= 1.0116;
	if (pow > (p->in_speech ? p->cont : p->start) * (p->min_pow + 1.0)) {
		p->in_speech = true;
		p->hang = 20;
	} else if (p->hang > 0) {
		p->hang--;
	} else {
		p->in_speech = false;
	}
	speech = p->vad ? p->in_speech : 1;
	if (p->vad && !speech) {
		p->noise_pow = p->have_noise ? 0.9 * p->noise_pow + 0.1 * pow : pow;
		p->have_noise = true;
	}
	if (res != NULL) {
		est = p->have_noise ? p->noise_pow : p->min_pow;
		res->speech = speech != 0;
		/* 0 dBov: a full-scale sine, mean square 32767^2 / 2. */
		res->noise_dbov = (float)(10.0 * log10((est + 1e-3) / (32767.0 * 32767.0 / 2.0)));
		if (res->noise_dbov < -127.0f)
			res->noise_dbov = -127.0f;
	}
	return 0;
}
