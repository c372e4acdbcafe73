/* SPDX-License-Identifier: MIT */
/*
 * voice_aec.c - the acoustic echo canceller: bulk delay estimation, Speex DSP's MDF filter (one
 * or two in series), optionally Speex's preprocessor on the echo state, and a residual echo
 * suppressor of our own in a windowed FFT domain. See pc_voice.h for the design.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <speex/speex_echo.h>
#include <speex/speex_preprocess.h>

#include "pc_voice.h"
#include "voice_pvt.h"

/* --- the FFT --------------------------------------------------------------------------------- */

int pc_voice_fft_init(struct pc_voice_fft *f, uint32_t n)
{
	uint32_t bits = 0;

	if (n < 4 || n > 4096 || (n & (n - 1)) != 0)
		return -EINVAL;
	while ((1u << bits) < n)
		bits++;
	f->n = n;
	f->rev = malloc(n * sizeof(*f->rev));
	f->tw = malloc(n * sizeof(*f->tw));
	if (f->rev == NULL || f->tw == NULL) {
		free(f->rev);
		free(f->tw);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++) {
		uint32_t r = 0;

		for (uint32_t b = 0; b < bits; b++)
			r |= ((i >> b) & 1u) << (bits - 1 - b);
		f->rev[i] = r;
	}
	for (uint32_t k = 0; k < n / 2; k++) {
		f->tw[2 * k] = (float)cos(-2.0 * M_PI * k / n);
		f->tw[2 * k + 1] = (float)sin(-2.0 * M_PI * k / n);
	}
	return 0;
}

void pc_voice_fft_fini(struct pc_voice_fft *f)
{
	free(f->rev);
	free(f->tw);
	f->rev = NULL;
	f->tw = NULL;
}

void pc_voice_fft_run(const struct pc_voice_fft *f, float *re, float *im, int inverse)
{
	uint32_t n = f->n;
	float sgn = inverse ? -1.0f : 1.0f;

	for (uint32_t i = 0; i < n; i++) {
		uint32_t j = f->rev[i];

		if (j > i) {
			float t = re[i];

			re[i] = re[j];
			re[j] = t;
			t = im[i];
			im[i] = im[j];
			im[j] = t;
		}
	}
	for (uint32_t len = 2; len <= n; len <<= 1) {
		uint32_t half = len >> 1, step = n / len;

		for (uint32_t i = 0; i < n; i += len) {
			for (uint32_t k = 0; k < half; k++) {
				float wr = f->tw[2 * k * step], wi = sgn * f->tw[2 * k * step + 1];
				uint32_t a = i + k, b = a + half;
				float tr = re[b] * wr - im[b] * wi;
				float ti = re[b] * wi + im[b] * wr;

				re[b] = re[a] - tr;
				im[b] = im[a] - ti;
				re[a] += tr;
				im[a] += ti;
			}
		}
	}
}

/* --- the canceller --------------------------------------------------------------------------- */

#define AEC_BLOCKS_PER_FRAME 4u	  /* delay estimator: envelope blocks of 2.5 ms */
#define AEC_DELAY_MARGIN_BLOCKS 5 /* compensate 12.5 ms less than the estimate */
#define AEC_DELAY_MIN_COMP_MS 20  /* smaller delays are left to the filter */
#define AEC_DELAY_HYST_MS 10	  /* the applied delay moves only by this much or more */
#define AEC_DELAY_STABLE 50	  /* frames a new peak must hold before it is applied */
#define AEC_NEAR_HANGOVER 16	  /* frames near-end activity is held after it was seen */
#define AEC_FAR_ACTIVE 1000.0	  /* far-end mean square of a talking frame (about -60 dBFS) */

struct aec_delay_est {
	uint32_t blk;	   /* samples per envelope block */
	uint32_t nlags;	   /* lags searched, in blocks */
	uint32_t pos;	   /* next write in xenv */
	float *xenv;	   /* far-end envelope history, nlags */
	double *cxy;	   /* per-lag covariance far (lagged) x mic */
	double cxx, cyy;   /* variances */
	double mx, my;	   /* slow means of the envelopes */
	uint64_t updates;  /* blocks averaged */
	int32_t cand;	   /* peak lag of the last frames */
	uint32_t cand_run; /* frames it held */
	int32_t est;	   /* accepted estimate (blocks), -1 none */
	int32_t onset;	   /* its leading edge (blocks): where the correlation first reaches half
			    * the peak; the room's tail drags the peak late, never the edge */
	int32_t cand_onset;
	float px[AEC_BLOCKS_PER_FRAME], py[AEC_BLOCKS_PER_FRAME]; /* the last frame's envelopes */
	float conf;						  /* normalised peak correlation */
};

struct pc_voice_aec {
	struct pc_voice_aec_conf c;
	uint32_t n;	 /* samples per 10 ms block */
	uint32_t blocks; /* blocks per frame (frame_ms / 10) */
	uint32_t tail;	 /* filter length, samples */
	SpeexEchoState *ec, *ec2;
	SpeexPreprocessState *pp;

	/* far-end delay line */
	int16_t *line;
	uint32_t line_len, line_pos; /* ring of line_len samples; pos: next write */
	uint32_t comp;		     /* applied delay, samples */
	uint32_t delay_changes;
	struct aec_delay_est de;

	/* residual echo suppressor */
	struct pc_voice_fft fft;
	uint32_t nfft, nbins, nwin, taps;
	float *win;	    /* sqrt-Hann, nwin */
	float *ebuf, *xbuf; /* analysis history: previous + current frame, nwin each */
	float *ola;	    /* synthesis overlap, n */
	float *re, *im;	    /* FFT work, nfft each */
	float *xh;	    /* far power history, taps x nbins, ring by frame */
	float *w;	    /* echo power model, taps x nbins */
	float *xpow, *epow; /* this frame's far and residual power per bin */
	float *noise;	    /* residual's background noise per bin */
	float *psm, *nmin;  /* the residual's smoothed power, and its minimum */
	float *pecho;	    /* modelled echo power per bin */
	/* the broadband terms: the far end's overall power xb (decaying as a room does), and
	 * xb2 = xb^2 / xbm, xb3 = xb^3 / xbm^2 over its long-term mean xbm; a loudspeaker's
	 * distortion spreads across frequency (no bin's own far power predicts it) and grows
	 * faster than the level. Their weights per bin: */
	float *wb, *wb2, *wb3;
	float xb, xb2, xb3, xbm;
	float *prev_clean;  /* previous frame's |G E|^2 (decision-directed) */
	float *prev_interf; /* previous frame's interference */
	float *gain;	    /* this frame's gains */
	uint32_t xh_pos;    /* newest row of xh */

	/* double-talk detection */
	uint32_t near_hold; /* hangover of near-end activity */
	uint32_t hint_hold; /* hangover of a hint of it (upward learning frozen) */
	float lin_ratio;    /* linear stage's output / mic power, this frame (smoothed) */
	float lin_floor;    /* its slow minimum with the far end talking: far-only level */
	float *fph, *gd;    /* far frame power history and the mic's broadband echo model */
	uint32_t fph_pos;
	float mic_excess;    /* mic power over modelled echo + noise */
	float res_excess_db; /* residual over modelled echo + noise, speech band (stats) */
	uint32_t far_quiet;  /* frames since the far end last talked */
	float mic_noise;     /* the mic's noise power (smoothed minimum) */
	float mic_sm;	     /* the mic's smoothed power */
	bool far_active;
	bool noise_init;
	bool near_active, dt;
	uint64_t frames, dt_frames;
	float coupling_db;

	int16_t *tmp, *tmp2, *fard; /* frames: stage buffers and the delayed far end */
};

void pc_voice_aec_conf_default(struct pc_voice_aec_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->rate = 16000;
	c->tail_ms = 250;
	c->max_delay_ms = 320;
	c->echo_suppress_db = -50;
	c->echo_suppress_dt_db = -25;
	c->noise_suppress_db = -15;
	c->flags = 0;
}

static void aec_model_prior(struct pc_voice_aec *a)
{
	/* A 0 dB coupling prior, spread over the taps as a room with an RT60 of 0.3 s would
	 * (power falling 2 dB per 10 ms): the model starts by overestimating, so the start is
	 * suppressed hard and learning goes downwards. */
	float sum = 0.0f, d = powf(10.0f, -0.2f);
	float v = 1.0f;

	for (uint32_t l = 0; l < a->taps; l++, v *= d)
		sum += v;
	v = 1.0f / sum;
	for (uint32_t l = 0; l < a->taps; l++, v *= d)
		for (uint32_t k = 0; k < a->nbins; k++)
			a->w[l * a->nbins + k] = v;
	memset(a->wb, 0, a->nbins * sizeof(float));
	a->xb = 0.0f;
	a->xb2 = 0.0f;
	a->xbm = 0.0f;
	memset(a->wb2, 0, a->nbins * sizeof(float));
	memset(a->wb3, 0, a->nbins * sizeof(float));
	a->xb3 = 0.0f;
}

static void aec_clear(struct pc_voice_aec *a)
{
	struct aec_delay_est *de = &a->de;

	memset(a->line, 0, a->line_len * sizeof(*a->line));
	a->line_pos = 0;
	a->comp = 0;
	a->delay_changes = 0;
	memset(de->xenv, 0, de->nlags * sizeof(*de->xenv));
	memset(de->cxy, 0, de->nlags * sizeof(*de->cxy));
	de->pos = 0;
	de->cxx = de->cyy = de->mx = de->my = 0.0;
	de->updates = 0;
	de->cand = -1;
	de->cand_run = 0;
	de->est = -1;
	de->onset = -1;
	de->cand_onset = -1;
	memset(de->px, 0, sizeof(de->px));
	memset(de->py, 0, sizeof(de->py));
	de->conf = 0.0f;
	memset(a->ebuf, 0, a->nwin * sizeof(float));
	memset(a->xbuf, 0, a->nwin * sizeof(float));
	memset(a->ola, 0, a->n * sizeof(float));
	memset(a->xh, 0, a->taps * a->nbins * sizeof(float));
	memset(a->prev_clean, 0, a->nbins * sizeof(float));
	memset(a->prev_interf, 0, a->nbins * sizeof(float));
	memset(a->noise, 0, a->nbins * sizeof(float));
	aec_model_prior(a);
	a->xh_pos = 0;
	a->near_hold = 0;
	a->hint_hold = 0;
	a->lin_ratio = 1.0f;
	a->far_quiet = UINT32_MAX / 2;
	memset(a->fph, 0, a->taps * sizeof(float));
	a->fph_pos = 0;
	/* The mic's echo model starts at the same 0 dB prior as the residual's. */
	for (uint32_t l = 0; l < a->taps; l++)
		a->gd[l] = a->w[(size_t)l * a->nbins];
	a->mic_excess = 1.0f;
	a->mic_noise = -1.0f;
	a->mic_sm = 0.0f;
	a->lin_floor = 1.0f;
	a->far_active = false;
	a->noise_init = false;
	a->near_active = a->dt = false;
	a->frames = a->dt_frames = 0;
	a->coupling_db = 0.0f;
}

void pc_voice_aec_destroy(struct pc_voice_aec *a)
{
	if (a == NULL)
		return;
	if (a->pp != NULL)
		speex_preprocess_state_destroy(a->pp);
	if (a->ec2 != NULL)
		speex_echo_state_destroy(a->ec2);
	if (a->ec != NULL)
		speex_echo_state_destroy(a->ec);
	pc_voice_fft_fini(&a->fft);
	free(a->line);
	free(a->de.xenv);
	free(a->de.cxy);
	free(a->win);
	free(a->ebuf);
	free(a->xbuf);
	free(a->ola);
	free(a->re);
	free(a->im);
	free(a->xh);
	free(a->w);
	free(a->xpow);
	free(a->epow);
	free(a->noise);
	free(a->psm);
	free(a->nmin);
	free(a->pecho);
	free(a->wb);
	free(a->fph);
	free(a->gd);
	free(a->wb2);
	free(a->wb3);
	free(a->prev_clean);
	free(a->prev_interf);
	free(a->gain);
	free(a->tmp);
	free(a->tmp2);
	free(a->fard);
	free(a);
}

int pc_voice_aec_create(struct pc_voice_aec **out, const struct pc_voice_aec_conf *conf)
{
	struct pc_voice_aec *a;
	struct pc_voice_aec_conf c;
	int rc = -ENOMEM;
	spx_int32_t v;

	if (out == NULL || conf == NULL)
		return -EINVAL;
	c = *conf;
	if (c.rate != 8000 && c.rate != 16000)
		return -EINVAL;
	if (c.tail_ms == 0)
		c.tail_ms = 250;
	if (c.max_delay_ms == 0)
		c.max_delay_ms = 320;
	if (c.echo_suppress_db == 0)
		c.echo_suppress_db = -50;
	if (c.echo_suppress_dt_db == 0)
		c.echo_suppress_dt_db = -25;
	if (c.noise_suppress_db == 0)
		c.noise_suppress_db = -15;
	if (c.frame_ms == 0)
		c.frame_ms = 10;
	if (c.frame_ms % 10 != 0 || c.frame_ms > 60)
		return -EINVAL;
	if (c.tail_ms < 20 || c.tail_ms > 500 || c.max_delay_ms > 500 || c.echo_suppress_db > 0 ||
	    c.echo_suppress_dt_db > 0 || c.noise_suppress_db > 0 || c.echo_suppress_db < -90 ||
	    c.echo_suppress_dt_db < -90 || c.noise_suppress_db < -90)
		return -EINVAL;
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return -ENOMEM;
	a->c = c;
	a->n = c.rate / 100;
	a->blocks = c.frame_ms / 10;
	a->tail = c.tail_ms * c.rate / 1000;
	a->line_len = c.max_delay_ms * c.rate / 1000 + 2 * a->n;
	a->de.blk = a->n / AEC_BLOCKS_PER_FRAME;
	a->de.nlags = c.max_delay_ms * AEC_BLOCKS_PER_FRAME / 10 + 1;
	a->nwin = 2 * a->n;
	a->nfft = c.rate == 16000 ? 512 : 256;
	a->nbins = a->nfft / 2 + 1;
	a->taps = c.tail_ms / 10 + 2;

	a->line = calloc(a->line_len, sizeof(*a->line));
	a->de.xenv = calloc(a->de.nlags, sizeof(*a->de.xenv));
	a->de.cxy = calloc(a->de.nlags, sizeof(*a->de.cxy));
	a->win = calloc(a->nwin, sizeof(float));
	a->ebuf = calloc(a->nwin, sizeof(float));
	a->xbuf = calloc(a->nwin, sizeof(float));
	a->ola = calloc(a->n, sizeof(float));
	a->re = calloc(a->nfft, sizeof(float));
	a->im = calloc(a->nfft, sizeof(float));
	a->xh = calloc((size_t)a->taps * a->nbins, sizeof(float));
	a->w = calloc((size_t)a->taps * a->nbins, sizeof(float));
	a->xpow = calloc(a->nbins, sizeof(float));
	a->epow = calloc(a->nbins, sizeof(float));
	a->noise = calloc(a->nbins, sizeof(float));
	a->psm = calloc(a->nbins, sizeof(float));
	a->nmin = calloc(a->nbins, sizeof(float));
	a->pecho = calloc(a->nbins, sizeof(float));
	a->wb = calloc(a->nbins, sizeof(float));
	a->fph = calloc(a->taps, sizeof(float));
	a->gd = calloc(a->taps, sizeof(float));
	a->wb2 = calloc(a->nbins, sizeof(float));
	a->wb3 = calloc(a->nbins, sizeof(float));
	a->prev_clean = calloc(a->nbins, sizeof(float));
	a->prev_interf = calloc(a->nbins, sizeof(float));
	a->gain = calloc(a->nbins, sizeof(float));
	a->tmp = calloc(a->n, sizeof(int16_t));
	a->tmp2 = calloc(a->n, sizeof(int16_t));
	a->fard = calloc(a->n, sizeof(int16_t));
	if (a->line == NULL || a->de.xenv == NULL || a->de.cxy == NULL || a->win == NULL ||
	    a->ebuf == NULL || a->xbuf == NULL || a->ola == NULL || a->re == NULL ||
	    a->im == NULL || a->xh == NULL || a->w == NULL || a->xpow == NULL || a->epow == NULL ||
	    a->noise == NULL || a->pecho == NULL || a->wb == NULL || a->wb2 == NULL ||
	    a->wb3 == NULL || a->fph == NULL || a->gd == NULL || a->prev_clean == NULL ||
	    a->prev_interf == NULL || a->gain == NULL || a->tmp == NULL || a->tmp2 == NULL ||
	    a->fard == NULL)
		goto out_free;
	rc = pc_voice_fft_init(&a->fft, a->nfft);
	if (rc < 0)
		goto out_free;
	rc = -ENOMEM;
	/* sqrt-Hann analysis and synthesis: their product overlap-adds to 1 at 50 %. */
	for (uint32_t i = 0; i < a->nwin; i++)
		a->win[i] = (float)sqrt(0.5 - 0.5 * cos(2.0 * M_PI * (i + 0.5) / a->nwin));

	a->ec = speex_echo_state_init((int)a->n, (int)a->tail);
	if (a->ec == NULL)
		goto out_free;
	v = (spx_int32_t)c.rate;
	/* Left at its default of 8000, the DC notch of a 16 kHz stream cuts the near end's
	 * low end (AEC.md). */
	speex_echo_ctl(a->ec, SPEEX_ECHO_SET_SAMPLING_RATE, &v);
	if (c.flags & PC_VOICE_AEC_SERIES) {
		a->ec2 = speex_echo_state_init((int)a->n, (int)a->tail);
		if (a->ec2 == NULL)
			goto out_free;
		speex_echo_ctl(a->ec2, SPEEX_ECHO_SET_SAMPLING_RATE, &v);
	}
	if (c.flags & PC_VOICE_AEC_SPEEX_PP) {
		a->pp = speex_preprocess_state_init((int)a->n, (int)c.rate);
		if (a->pp == NULL)
			goto out_free;
		/* The echo suppression works only with the denoiser on. */
		v = 1;
		speex_preprocess_ctl(a->pp, SPEEX_PREPROCESS_SET_DENOISE, &v);
		v = c.noise_suppress_db;
		speex_preprocess_ctl(a->pp, SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, &v);
		speex_preprocess_ctl(a->pp, SPEEX_PREPROCESS_SET_ECHO_STATE,
				     a->ec2 != NULL ? a->ec2 : a->ec);
	}
	aec_clear(a);
	*out = a;
	return 0;

out_free:
	pc_voice_aec_destroy(a);
	return rc;
}

void pc_voice_aec_reset(struct pc_voice_aec *a)
{
	speex_echo_state_reset(a->ec);
	if (a->ec2 != NULL)
		speex_echo_state_reset(a->ec2);
	aec_clear(a);
}

uint32_t pc_voice_aec_frame_samples(const struct pc_voice_aec *a)
{
	return a->n * a->blocks;
}

uint32_t pc_voice_aec_latency(const struct pc_voice_aec *a)
{
	uint32_t l = 0;

	if (!(a->c.flags & PC_VOICE_AEC_NO_RES))
		l += a->n;
	if (a->pp != NULL)
		l += a->n;
	return l;
}

void pc_voice_aec_get_stats(const struct pc_voice_aec *a, struct pc_voice_aec_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->frames = a->frames;
	st->delay_ms = a->de.est < 0 ? -1 : a->de.est * 10 / (int32_t)AEC_BLOCKS_PER_FRAME;
	st->delay_comp_ms = (int32_t)(a->comp * 1000 / a->c.rate);
	st->delay_changes = a->delay_changes;
	st->delay_confidence = a->de.conf;
	st->echo_coupling_db = a->coupling_db;
	st->res_excess_db = a->res_excess_db;
	st->lin_excess_db = (float)(10.0 * log10((a->lin_ratio + 1e-12) / (a->lin_floor + 1e-12)));
	st->mic_excess_db = (float)(10.0 * log10(a->mic_excess + 1e-12));
	st->near_active = a->near_active;
	st->double_talk = a->dt;
	st->dt_frames = a->dt_frames;
}

/* The envelope of a block: log of its mean square (level differences become offsets). */
static float aec_env(const int16_t *s, uint32_t n)
{
	double p = 0.0;

	for (uint32_t i = 0; i < n; i++)
		p += (double)s[i] * s[i];
	return (float)log10(p / n + 1.0);
}

/*
 * The delay estimator: per 2.5 ms block, the covariance of the mic's log envelope with the far
 * end's at every lag, exponentially averaged over about 4 s of far-end activity; the lag of the
 * largest normalised peak, once it held for AEC_DELAY_STABLE frames, is the estimate.
 */
static void aec_delay_update(struct pc_voice_aec *a, const int16_t *mic, const int16_t *far)
{
	struct aec_delay_est *de = &a->de;
	double far_pow = 0.0, best = -1.0, mean = 0.0;
	int32_t best_l = -1;

	for (uint32_t i = 0; i < a->n; i++)
		far_pow += (double)far[i] * far[i];
	far_pow /= a->n;
	for (uint32_t b = 0; b < AEC_BLOCKS_PER_FRAME; b++) {
		float xl = aec_env(far + b * de->blk, de->blk);
		float yl = aec_env(mic + b * de->blk, de->blk);
		/* Differences of the log envelopes: onsets line up at the direct path, where
		 * the reverberation would smear plain envelopes (and their peak) late. */
		float xe = xl - de->px[b], ye = yl - de->py[b]; /* over 10 ms */
		double lam, lm = 0.999, y;

		de->xenv[de->pos] = xe;
		/* Learn only while the far end talks (about -60 dBFS or more): in silence the
		 * correlation would be the noise's. */
		if (far_pow > 1000.0) {
			de->updates++;
			lam = 1.0 - 1.0 / (double)(de->updates < 1600 ? de->updates + 1 : 1600);
			if (de->updates == 1) {
				de->mx = xe;
				de->my = ye;
			}
			de->mx = lm * de->mx + (1.0 - lm) * xe;
			de->my = lm * de->my + (1.0 - lm) * ye;
			y = ye - de->my;
			de->cyy = lam * de->cyy + (1.0 - lam) * y * y;
			de->cxx = lam * de->cxx + (1.0 - lam) * (xe - de->mx) * (xe - de->mx);
			for (uint32_t l = 0; l < de->nlags; l++) {
				uint32_t idx = (de->pos + de->nlags - l) % de->nlags;

				de->cxy[l] = lam * de->cxy[l] +
					     (1.0 - lam) * (de->xenv[idx] - de->mx) * y;
			}
		}
		de->pos = (de->pos + 1) % de->nlags;
		de->px[b] = xl;
		de->py[b] = yl;
	}
	if (de->updates < 200 || de->cxx <= 0.0 || de->cyy <= 0.0)
		return;
	for (uint32_t l = 0; l < de->nlags; l++) {
		double r = de->cxy[l] / sqrt(de->cxx * de->cyy);

		mean += r;
		if (r > best) {
			best = r;
			best_l = (int32_t)l;
		}
	}
	mean /= de->nlags;
	de->conf = (float)best;
	if (best < 0.3 || best - mean < 0.05) {
		de->cand_run = 0;
		return;
	}
	{
		int32_t on = best_l;

		/* At most 20 ms before the peak: a broad correlation (a stationary far end)
		 * must not walk the edge back to nothing. */
		while (on > 0 && on > best_l - 8 &&
		       de->cxy[on - 1] / sqrt(de->cxx * de->cyy) >= 0.5 * best)
			on--;
		de->cand_onset = on;
	}
	if (de->cand >= 0 && abs(best_l - de->cand) <= 4) { /* within 10 ms: the same path */
		de->cand = best_l;
		de->cand_run++;
	} else {
		de->cand = best_l;
		de->cand_run = 1;
	}
	if (de->cand_run >= AEC_DELAY_STABLE) {
		de->est = de->cand;
		de->onset = de->cand_onset;
	}
}

/* Applies the delay estimate to the far end's delay line (with hysteresis). */
static void aec_delay_apply(struct pc_voice_aec *a)
{
	int32_t want_blocks, want, have = (int32_t)a->comp;

	if (a->de.est < 0 || (a->c.flags & PC_VOICE_AEC_NO_DELAY_EST))
		return;
	want_blocks = a->de.onset - AEC_DELAY_MARGIN_BLOCKS;
	want = want_blocks > 0 ? want_blocks * (int32_t)a->de.blk : 0;
	if (want < (int32_t)(AEC_DELAY_MIN_COMP_MS * a->c.rate / 1000))
		want = 0;
	if (abs(want - have) < (int32_t)(AEC_DELAY_HYST_MS * a->c.rate / 1000))
		return;
	a->comp = (uint32_t)want;
	a->delay_changes++;
	/* The filters and the echo model were learnt for the old alignment. Speex's filter
	 * starts over (after converging it adapts cautiously, and would take many seconds to
	 * follow the shift); the echo model restarts from its prior (suppressing hard) rather
	 * than underestimate while it relearns. */
	speex_echo_state_reset(a->ec);
	if (a->ec2 != NULL)
		speex_echo_state_reset(a->ec2);
	aec_model_prior(a);
}

/* Two real frames through one complex FFT (windowed, zero-padded): @x into (xr, xi), @y into
 * (yr, yi), bins 0..nfft/2. */
static void aec_fft2(struct pc_voice_aec *s, const float *x, const float *y, float *xr, float *xi,
		     float *yr, float *yi)
{
	uint32_t n = s->nfft;

	for (uint32_t i = 0; i < n; i++) {
		s->re[i] = i < s->nwin ? x[i] * s->win[i] : 0.0f;
		s->im[i] = i < s->nwin ? y[i] * s->win[i] : 0.0f;
	}
	pc_voice_fft_run(&s->fft, s->re, s->im, 0);
	for (uint32_t k = 0; k < s->nbins; k++) {
		uint32_t m = (n - k) & (n - 1);
		float zr = s->re[k], zi = s->im[k], cr = s->re[m], ci = -s->im[m];

		/* X = (Z(k) + conj Z(n-k)) / 2, Y = (Z(k) - conj Z(n-k)) / 2j */
		xr[k] = 0.5f * (zr + cr);
		xi[k] = 0.5f * (zi + ci);
		yr[k] = 0.5f * (zi - ci);
		yi[k] = -0.5f * (zr - cr);
	}
}

/* The linear stage's output over its input, and that ratio's floor while the far end talks. */
static void aec_lin_track(struct pc_voice_aec *a, const int16_t *mic, const int16_t *e,
			  const int16_t *far)
{
	double pm = 0.0, pe = 0.0, pf = 0.0;
	bool was;
	float r;

	for (uint32_t i = 0; i < a->n; i++) {
		pm += (double)mic[i] * mic[i];
		pe += (double)e[i] * e[i];
		pf += (double)far[i] * far[i];
	}
	was = a->far_active;
	a->far_active = pf / a->n > AEC_FAR_ACTIVE;
	a->far_quiet = a->far_active ? 0 : a->far_quiet + 1;
	r = (float)((pe + 1.0) / (pm + 1.0));
	/* Smoothed while the far end talks; at its onset the pause's ratio (about 1: nothing
	 * to cancel) must not carry over, or the onset passes for double-talk. */
	a->lin_ratio = was ? 0.5f * a->lin_ratio + 0.5f * r : r;

	/* The mic's broadband echo: an FIR over the far end's frame powers, learnt (NLMS)
	 * while no near end is hinted at. It does not depend on the linear filter, so a filter
	 * set back by double-talk does not make the echo that follows pass for a talker. */
	{
		uint32_t L = a->taps;
		float pred = 0.0f, norm = 1.0f, err, fp = (float)(pf / a->n),
		      mp = (float)(pm / a->n);

		a->fph_pos = (a->fph_pos + 1) % L;
		a->fph[a->fph_pos] = fp;
		for (uint32_t l = 0; l < L; l++) {
			float v = a->fph[(a->fph_pos + L - l) % L];

			pred += a->gd[l] * v;
			norm += v * v;
		}
		a->mic_sm = a->mic_noise < 0.0f ? mp : 0.8f * a->mic_sm + 0.2f * mp;
		if (a->mic_noise < 0.0f || a->mic_sm < a->mic_noise)
			a->mic_noise = a->mic_sm;
		else
			a->mic_noise *= 1.0007f;
		a->mic_excess = mp / (pred + 2.0f * a->mic_noise + 1.0f);
		err = mp - 2.0f * a->mic_noise - pred;
		if (err < 0.0f || a->hint_hold == 0) {
			if (err > 4.0f * pred + 100.0f)
				err = 4.0f * pred + 100.0f;
			for (uint32_t l = 0; l < L; l++) {
				float *g = &a->gd[l];

				*g += 0.3f * err * a->fph[(a->fph_pos + L - l) % L] / norm;
				if (*g < 0.0f)
					*g = 0.0f;
			}
		}
	}
	if (!a->far_active)
		return;
	/* Down at once (smoothed), up by 0.05 dB a frame (5 dB a second). */
	if (a->lin_ratio < a->lin_floor)
		a->lin_floor = 0.5f * a->lin_floor + 0.5f * a->lin_ratio;
	else
		a->lin_floor *= 1.0116f;
	if (a->lin_floor > 1.0f)
		a->lin_floor = 1.0f;
}

/* The residual echo suppressor: @e (the linear stage's output) and @x (the far end as the
 * filter saw it), one frame each, into @out, one frame late. */
static void aec_res(struct pc_voice_aec *a, const int16_t *e, const int16_t *x, int16_t *out)
{
	uint32_t n = a->n, K = a->nbins, L = a->taps;
	float er[257], ei[257], xr[257], xi[257];
	float g_echo = powf(10.0f, (float)a->c.echo_suppress_db / 20.0f);
	float g_dt = powf(10.0f, (float)a->c.echo_suppress_dt_db / 20.0f);
	float g_ns = (a->c.flags & PC_VOICE_AEC_NO_NS) ?
			     1.0f :
			     powf(10.0f, (float)a->c.noise_suppress_db / 20.0f);
	double se = 0.0, si = 0.0, sx = 0.0, sp = 0.0;
	uint32_t klo = 300 * a->nfft / a->c.rate, khi = 3400 * a->nfft / a->c.rate;
	float *row, beta, gmin;
	bool near, hint;

	memmove(a->ebuf, a->ebuf + n, n * sizeof(float));
	memmove(a->xbuf, a->xbuf + n, n * sizeof(float));
	for (uint32_t i = 0; i < n; i++) {
		a->ebuf[n + i] = e[i];
		a->xbuf[n + i] = x[i];
	}
	aec_fft2(a, a->ebuf, a->xbuf, er, ei, xr, xi);

	/* Far power, lightly smoothed across frequency (a loudspeaker's distortion and the
	 * window spread the echo of one bin into its neighbours), into the history. */
	for (uint32_t k = 0; k < K; k++) {
		a->epow[k] = er[k] * er[k] + ei[k] * ei[k];
		a->re[k] = xr[k] * xr[k] + xi[k] * xi[k];
	}
	a->xh_pos = (a->xh_pos + 1) % L;
	row = a->xh + (size_t)a->xh_pos * K;
	for (uint32_t k = 0; k < K; k++) {
		float l = a->re[k > 0 ? k - 1 : k], r = a->re[k + 1 < K ? k + 1 : k];

		row[k] = 0.5f * a->re[k] + 0.25f * (l + r);
		a->xpow[k] = row[k];
	}

	/* Background noise of the residual: the minimum of its power smoothed over about 5
	 * frames, falling at once and rising by 0.3 dB a second, times 2: a periodogram's
	 * minimum sits well under its mean (about 3 dB once smoothed so), and a noise floor
	 * biased low makes every pause look like near-end speech. */
	for (uint32_t k = 0; k < K; k++) {
		a->psm[k] = a->noise_init ? 0.8f * a->psm[k] + 0.2f * a->epow[k] : a->epow[k];
		if (!a->noise_init || a->psm[k] < a->nmin[k])
			a->nmin[k] = a->psm[k];
		else
			a->nmin[k] *= 1.0007f;
		a->noise[k] = 2.0f * a->nmin[k];
	}
	a->noise_init = true;

	/* The modelled echo: an FIR over the past far-end power spectra, plus the broadband
	 * terms. */
	{
		double m = 0.0;

		for (uint32_t k = 0; k < K; k++)
			m += row[k];
		a->xb = 0.63f * a->xb + (float)(m / K);
		if (a->far_active)
			a->xbm = a->xbm > 0.0f ? 0.995f * a->xbm + 0.005f * a->xb : a->xb;
		a->xb2 = a->xbm > 0.0f ? a->xb * (a->xb / a->xbm) : 0.0f;
		a->xb3 = a->xb2 * (a->xbm > 0.0f ? a->xb / a->xbm : 0.0f);
	}
	for (uint32_t k = 0; k < K; k++)
		a->pecho[k] = a->wb[k] * a->xb + a->wb2[k] * a->xb2 + a->wb3[k] * a->xb3;
	for (uint32_t l = 0; l < L; l++) {
		const float *xrow = a->xh + (size_t)((a->xh_pos + L - l) % L) * K;
		const float *wrow = a->w + (size_t)l * K;

		for (uint32_t k = 0; k < K; k++)
			a->pecho[k] += wrow[k] * xrow[k];
	}

	/* Near-end activity. Three witnesses must agree while the echo may ring (the far end
	 * talks, or did within the tail): the residual over the modelled echo and noise over
	 * the speech band, the linear stage's output/mic ratio over its far-only floor
	 * (near-end speech does not cancel), and the mic over its broadband echo model (which
	 * a linear filter set back by double-talk does not fool). At two strengths: a hint
	 * (3 dB, 9 dB, 0.5 dB) freezes upward learning, so that a near-end talker is not
	 * learnt as echo; only a clear case (6 dB, 12 dB, 2 dB) makes the suppression gentle,
	 * so that a loudspeaker's distortion at a loud onset, which raises the first two, is
	 * still suppressed hard. With the far end silent for longer, the residual alone. */
	for (uint32_t k = klo; k <= khi; k++) {
		se += a->epow[k];
		si += a->pecho[k] + a->noise[k];
		sx += a->xpow[k];
		sp += a->pecho[k];
	}
	if (a->far_active || a->far_quiet < a->taps) {
		hint = se > 2.0 * si && a->lin_ratio > 8.0f * a->lin_floor && a->mic_excess > 1.12f;
		near = se > 4.0 * si && a->lin_ratio > 16.0f * a->lin_floor && a->mic_excess > 1.6f;
	} else {
		hint = near = se > 4.0 * si;
	}
	a->res_excess_db = (float)(10.0 * log10((se + 1e-3) / (si + 1e-3)));
	if (near)
		a->near_hold = AEC_NEAR_HANGOVER;
	else if (a->near_hold > 0)
		a->near_hold--;
	if (hint || near)
		a->hint_hold = AEC_NEAR_HANGOVER;
	else if (a->hint_hold > 0)
		a->hint_hold--;
	a->near_active = a->near_hold > 0;
	/* Far-end activity: its modelled echo above the noise. */
	a->dt = a->near_active && sp > 0.5 * (si - sp);
	if (a->dt)
		a->dt_frames++;
	if (sx > 0.0 && sp > 0.0)
		a->coupling_db = (float)(10.0 * log10(sp / sx));

	/* Learning: NLMS on the echo part of the residual power. Downwards always; upwards
	 * only while no near end is hinted at, and by at most 4 times the current model a
	 * frame, so that near-end speech the detector missed (its onsets, its quiet parts)
	 * cannot pull the model up quickly. Loops run over taps outside, bins inside (they
	 * vectorise); a->re holds the norms, a->im the steps. */
	for (uint32_t k = 0; k < K; k++)
		a->re[k] = 1e8f + a->xb * a->xb + a->xb2 * a->xb2 + a->xb3 * a->xb3;
	for (uint32_t l = 0; l < L; l++) {
		const float *xrow = a->xh + (size_t)((a->xh_pos + L - l) % L) * K;

		for (uint32_t k = 0; k < K; k++)
			a->re[k] += xrow[k] * xrow[k];
	}
	for (uint32_t k = 0; k < K; k++) {
		float target = a->epow[k] - a->noise[k], err, mu = 0.3f;

		if (target < 0.0f)
			target = 0.0f;
		err = target - a->pecho[k];
		if (err > 0.0f) {
			mu = a->hint_hold > 0 ? 0.0f : 0.3f;
			if (err > 4.0f * a->pecho[k] + 1e3f)
				err = 4.0f * a->pecho[k] + 1e3f;
		}
		a->im[k] = mu * err / a->re[k];
		a->wb[k] = fmaxf(a->wb[k] + a->im[k] * a->xb, 0.0f);
		a->wb2[k] = fmaxf(a->wb2[k] + a->im[k] * a->xb2, 0.0f);
		a->wb3[k] = fmaxf(a->wb3[k] + a->im[k] * a->xb3, 0.0f);
	}
	for (uint32_t l = 0; l < L; l++) {
		const float *xrow = a->xh + (size_t)((a->xh_pos + L - l) % L) * K;
		float *wrow = a->w + (size_t)l * K;

		for (uint32_t k = 0; k < K; k++)
			wrow[k] = fmaxf(wrow[k] + a->im[k] * xrow[k], 0.0f);
	}

	/* Gains: Wiener-like on the interference (over-subtracted echo, noise) with
	 * decision-directed smoothing, floored at the suppressed noise's level and at the
	 * echo suppression limit. */
	beta = a->dt ? 1.0f : 32.0f;
	/* A loudspeaker's distortion grows faster than the far end's level: passages louder
	 * than usual are where the model falls short, so the margin grows with the level
	 * there (far-end alone: no talker to lose). */
	if (!a->dt && a->xbm > 0.0f && a->xb > a->xbm)
		beta *= fminf(a->xb / a->xbm, 16.0f);
	gmin = a->dt ? g_dt : g_echo;
	for (uint32_t k = 0; k < K; k++) {
		float interf = beta * a->pecho[k] + (g_ns < 1.0f ? a->noise[k] : 0.0f) + 1e-3f;
		float post = a->epow[k] / interf, prio, g, gfl;

		prio = 0.7f * a->prev_clean[k] / (a->prev_interf[k] + 1e-3f) +
		       0.3f * (post > 1.0f ? post - 1.0f : 0.0f);
		g = prio / (1.0f + prio);
		gfl = sqrtf(g_ns * g_ns * a->noise[k] / (a->epow[k] + 1e-3f));
		if (gfl > 1.0f)
			gfl = 1.0f;
		if (g < gfl)
			g = gfl;
		if (g < gmin)
			g = gmin;
		a->gain[k] = g;
		a->prev_clean[k] = g * g * a->epow[k];
		a->prev_interf[k] = interf;
	}

	/* Synthesis: the gained spectrum back, windowed, overlap-added. */
	for (uint32_t k = 0; k < K; k++) {
		a->re[k] = er[k] * a->gain[k];
		a->im[k] = ei[k] * a->gain[k];
	}
	for (uint32_t k = K; k < a->nfft; k++) {
		a->re[k] = a->re[a->nfft - k];
		a->im[k] = -a->im[a->nfft - k];
	}
	pc_voice_fft_run(&a->fft, a->re, a->im, 1);
	for (uint32_t i = 0; i < n; i++) {
		float v = a->ola[i] + a->re[i] * a->win[i] / (float)a->nfft;

		v = v > 32767.0f ? 32767.0f : (v < -32768.0f ? -32768.0f : v);
		out[i] = (int16_t)lrintf(v);
		a->ola[i] = a->re[n + i] * a->win[n + i] / (float)a->nfft;
	}
}

/* One 10 ms block. */
static void aec_block(struct pc_voice_aec *a, const int16_t *mic, const int16_t *far, int16_t *out)
{
	uint32_t n = a->n, start;

	/* The far end into its delay line, then the frame comp samples back out of it. */
	for (uint32_t i = 0; i < n; i++)
		a->line[(a->line_pos + i) % a->line_len] = far[i];
	a->line_pos = (a->line_pos + n) % a->line_len;
	if (!(a->c.flags & PC_VOICE_AEC_NO_DELAY_EST)) {
		aec_delay_update(a, mic, far);
		aec_delay_apply(a);
	}
	start = (a->line_pos + a->line_len - n - a->comp) % a->line_len;
	for (uint32_t i = 0; i < n; i++)
		a->fard[i] = a->line[(start + i) % a->line_len];

	speex_echo_cancellation(a->ec, mic, a->fard, a->tmp);
	if (a->ec2 != NULL) {
		speex_echo_cancellation(a->ec2, a->tmp, a->fard, a->tmp2);
		memcpy(a->tmp, a->tmp2, n * sizeof(int16_t));
	}
	aec_lin_track(a, mic, a->tmp, a->fard);
	if (a->pp != NULL)
		speex_preprocess_run(a->pp, a->tmp);
	if (a->c.flags & PC_VOICE_AEC_NO_RES)
		memcpy(out, a->tmp, n * sizeof(int16_t));
	else
		aec_res(a, a->tmp, a->fard, out);
	a->frames++;
}

int pc_voice_aec_process(struct pc_voice_aec *a, const int16_t *mic, const int16_t *far,
			 int16_t *out)
{
	if (a == NULL || mic == NULL || far == NULL || out == NULL)
		return -EINVAL;
	for (uint32_t b = 0; b < a->blocks; b++)
		aec_block(a, mic + b * a->n, far + b * a->n, out + b * a->n);
	return 0;
}

static int aec_kernel_run(void *state, void *arg)
{
	struct pc_voice_aec_frame *f = arg;

	if (f == NULL)
		return -EINVAL;
	return pc_voice_aec_process(state, f->mic, f->far, f->out);
}

const struct pc_hw_kernel pc_voice_aec_kernel = { "aec", aec_kernel_run };

int pc_voice_aec_run(struct pc_hw_engine *e, struct pc_voice_aec *a, const int16_t *mic,
		     const int16_t *far, int16_t *out)
{
	struct pc_voice_aec_frame f = { mic, far, out };
	struct pc_hw_job job = { .kernel = &pc_voice_aec_kernel, .state = a, .arg = &f };

	if (e == NULL || a == NULL)
		return -EINVAL;
	return pc_hw_run(e, &job);
}
