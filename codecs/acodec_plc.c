/* SPDX-License-Identifier: MIT */
/*
 * acodec_plc.c - packet-loss concealment of ITU-T G.711 Appendix I ("A high quality
 * low-complexity algorithm for packet loss concealment with G.711"), for any rate that is a
 * multiple of 8000 up to PC_ACODEC_PLC_MAX_RATE; used by G.711 (8 kHz) and G.722 (16 kHz).
 * See acodec_plc_pvt.h for the algorithm's outline and the one place it departs from the
 * reference (no 3.75 ms output delay).
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "acodec_plc_pvt.h"

/* G.711 Appendix I: 20 % less gain per 10 ms after the first 10 ms, so silent after 60 ms. */
#define PLC_ATTEN_STEPS 5    /* 10 ms steps of fading: 1.0 -> 0 */
#define PLC_MAX_PERIODS 3    /* pitch periods repeated at most */
#define PLC_MIN_POWER_8K 250 /* CORRMINPOWER of the reference, 8 kHz */

/* Appendix I's sizes at 8 kHz (HISTORYLEN, FRAMESZ, PITCH_MIN, PITCH_MAX, CORRLEN, NDEC,
 * EOVERLAPINCR); other rates scale them by rate / 8000. */
#define PLC_HIST_8K 390
#define PLC_FRAME_8K 80
#define PLC_PITCH_MIN_8K 40
#define PLC_PITCH_MAX_8K 120
#define PLC_CORR_8K 160
#define PLC_NDEC_8K 2
#define PLC_END_INCR_8K 32

/* The pitch search reads corr_len + pitch_max samples back; the joins one sample before
 * three periods of the longest pitch. */
_Static_assert(PLC_HIST_8K >= PLC_CORR_8K + PLC_PITCH_MAX_8K, "history too short to search");
_Static_assert(PLC_HIST_8K > PLC_MAX_PERIODS * PLC_PITCH_MAX_8K, "history too short to repeat");
_Static_assert(PC_ACODEC_PLC_HIST_MAX == PLC_HIST_8K * (PC_ACODEC_PLC_MAX_RATE / 8000),
	       "history buffer size");

int pc_acodec_plc_init(struct pc_acodec_plc *p, uint32_t rate)
{
	uint32_t m;

	if (rate < 8000 || rate % 8000 != 0 || rate > PC_ACODEC_PLC_MAX_RATE)
		return -ENOTSUP;
	m = rate / 8000;
	memset(p, 0, sizeof(*p));
	p->rate = rate;
	p->hist_len = PLC_HIST_8K * m;
	p->frame = PLC_FRAME_8K * m;
	p->pitch_min = PLC_PITCH_MIN_8K * m;
	p->pitch_max = PLC_PITCH_MAX_8K * m;
	p->corr_len = PLC_CORR_8K * m;
	p->ndec = PLC_NDEC_8K * m;
	p->end_incr = PLC_END_INCR_8K * m;
	p->min_power = (float)(PLC_MIN_POWER_8K * m);
	return 0;
}

static inline int16_t plc_sat(float v)
{
	if (v >= 32767.0f)
		return 32767;
	if (v <= -32768.0f)
		return -32768;
	return (int16_t)lrintf(v);
}

/* hist_push - the @n samples @pcm join the end of the history (oldest samples leave). */
static void plc_hist_push(struct pc_acodec_plc *p, const int16_t *pcm, size_t n)
{
	if (n >= p->hist_len) {
		memcpy(p->hist, pcm + (n - p->hist_len), p->hist_len * sizeof(p->hist[0]));
		return;
	}
	/* The kept part overlaps its old place: memmove. */
	memmove(p->hist, p->hist + n, (p->hist_len - n) * sizeof(p->hist[0]));
	memcpy(p->hist + (p->hist_len - n), pcm, n * sizeof(p->hist[0]));
}

/* Normalised cross-correlation of @r with @l over @len samples taking every @step-th. */
static double plc_ncorr(const float *l, const float *r, uint32_t len, uint32_t step,
			double min_power)
{
	double corr = 0, energy = 0;

	for (uint32_t i = 0; i < len; i += step) {
		corr += (double)r[i] * l[i];
		energy += (double)r[i] * r[i];
	}
	if (energy < min_power)
		energy = min_power;
	return corr / sqrt(energy);
}

/*
 * find_pitch - G.711 Appendix I findpitch(): the lag in pitch_min..pitch_max whose segment
 * best matches the last corr_len samples of the snapshot, by normalised cross-correlation; a
 * coarse search on every ndec-th lag (and sample), then every lag within ndec - 1 of the best.
 */
static uint32_t plc_find_pitch(const struct pc_acodec_plc *p)
{
	const float *l = p->snap + p->hist_len - p->corr_len;
	const float *r = l - p->pitch_max; /* r + j is pitch_max - j samples before l */
	uint32_t diff = p->pitch_max - p->pitch_min, best = 0, lo, hi;
	double best_corr, c;

	best_corr = plc_ncorr(l, r, p->corr_len, p->ndec, p->min_power);
	for (uint32_t j = p->ndec; j <= diff; j += p->ndec) {
		c = plc_ncorr(l, r + j, p->corr_len, p->ndec, p->min_power);
		if (c >= best_corr) {
			best_corr = c;
			best = j;
		}
	}
	lo = best >= p->ndec - 1 ? best - (p->ndec - 1) : 0;
	hi = best + (p->ndec - 1) <= diff ? best + (p->ndec - 1) : diff;
	best = lo;
	best_corr = plc_ncorr(l, r + lo, p->corr_len, 1, p->min_power);
	for (uint32_t j = lo + 1; j <= hi; j++) {
		c = plc_ncorr(l, r + j, p->corr_len, 1, p->min_power);
		if (c > best_corr) {
			best_corr = c;
			best = j;
		}
	}
	return p->pitch_max - best;
}

/* Start of an erasure: snapshot the history, find the pitch, measure the joins. */
static void plc_start(struct pc_acodec_plc *p)
{
	uint32_t end = p->hist_len;

	for (uint32_t i = 0; i < end; i++)
		p->snap[i] = p->hist[i];
	p->pitch = plc_find_pitch(p);
	p->overlap = p->pitch / 4;
	p->periods = 1;
	p->pos = 0;
	p->old_periods = 0;
	p->xfade = 0;
	/* hist_len > 3 * pitch_max (static_assert above): every index below is in the snapshot. */
	for (uint32_t k = 1; k <= PLC_MAX_PERIODS; k++)
		p->join[k - 1] = p->snap[end - 1] - p->snap[end - k * p->pitch - 1];
}

/*
 * The repeated signal: the last @k periods of the snapshot, read at @pos. Its first quarter
 * period is cross-faded from the periods raised by join[k - 1] (so that it continues the last
 * real sample, which the plain periods would continue only if the signal were exactly
 * periodic) to the plain periods: the start of the concealment and every wrap are continuous.
 * This stands for Appendix I's overlap-add of the buffer's last quarter period with the one
 * before the buffer, which needs the output delayed by a quarter of the longest period.
 */
static float plc_sample(const struct pc_acodec_plc *p, uint32_t k, uint32_t pos)
{
	float v = p->snap[p->hist_len - k * p->pitch + pos];

	if (pos < p->overlap)
		v += p->join[k - 1] * (float)(p->overlap - pos) / (float)p->overlap;
	return v;
}

/* Lengthen the repeated signal by one period (at 10 and 20 ms): Appendix I keeps the phase
 * (the read position modulo the pitch) and cross-fades from the old buffer over a quarter
 * period. */
static void plc_add_period(struct pc_acodec_plc *p)
{
	p->old_periods = p->periods;
	p->old_pos = p->pos;
	p->xfade = 0;
	p->pos %= p->pitch;
	p->periods++;
}

/* The next sample of the synthetic signal, before the fade. */
static float plc_next(struct pc_acodec_plc *p)
{
	float v = plc_sample(p, p->periods, p->pos);

	if (++p->pos == p->periods * p->pitch)
		p->pos = 0;
	if (p->old_periods != 0) {
		float w = (float)(p->xfade + 1) / (float)p->overlap;
		float o = plc_sample(p, p->old_periods, p->old_pos);

		if (++p->old_pos == p->old_periods * p->pitch)
			p->old_pos = 0;
		v = w * v + (1.0f - w) * o;
		if (++p->xfade == p->overlap)
			p->old_periods = 0;
	}
	return v;
}

/* The fade at @erased samples into the erasure: 1 for 10 ms, then down 20 % per 10 ms. */
static float plc_gain(const struct pc_acodec_plc *p, uint32_t erased)
{
	float g;

	if (erased < p->frame)
		return 1.0f;
	if (erased >= (PLC_ATTEN_STEPS + 1) * p->frame)
		return 0.0f;
	g = 1.0f - (float)(erased - p->frame) / (float)(PLC_ATTEN_STEPS * p->frame);
	return g > 0.0f ? g : 0.0f;
}

void pc_acodec_plc_conceal(struct pc_acodec_plc *p, int16_t *pcm, size_t n)
{
	const uint32_t silent_at = (PLC_ATTEN_STEPS + 1) * p->frame;

	for (size_t i = 0; i < n; i++) {
		if (p->erased >= silent_at) {
			pcm[i] = 0;
			if (p->erased < UINT32_MAX)
				p->erased++;
			continue;
		}
		if (p->erased == 0)
			plc_start(p);
		else if (p->periods < PLC_MAX_PERIODS && p->erased == p->periods * p->frame)
			plc_add_period(p);
		pcm[i] = plc_sat(plc_next(p) * plc_gain(p, p->erased));
		p->erased++;
	}
	plc_hist_push(p, pcm, n);
}

void pc_acodec_plc_rx(struct pc_acodec_plc *p, int16_t *pcm, size_t n)
{
	if (n == 0)
		return;
	if (p->erased != 0) {
		/* Appendix I addtohistory(): longer erasures get a longer overlap (a quarter
		 * period, then 4 ms more per 10 ms lost, at most 10 ms), the synthetic side at
		 * the gain the concealment had reached. */
		uint64_t tens = ((uint64_t)p->erased + p->frame - 1) / p->frame;
		uint64_t len = p->overlap + (tens - 1) * p->end_incr;
		float g = plc_gain(p, p->erased), incr, lw, rw;
		bool synth = p->erased < (PLC_ATTEN_STEPS + 1) * p->frame;

		if (len > p->frame)
			len = p->frame;
		if (len > n)
			len = n;
		incr = 1.0f / (float)len;
		lw = (1.0f - incr) * g;
		rw = incr;
		for (uint64_t i = 0; i < len; i++) {
			float f = synth ? plc_next(p) : 0.0f;

			pcm[i] = plc_sat(lw * f + rw * pcm[i]);
			lw -= incr * g;
			rw += incr;
		}
		p->erased = 0;
	}
	plc_hist_push(p, pcm, n);
}
