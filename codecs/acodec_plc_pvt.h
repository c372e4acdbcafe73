/* SPDX-License-Identifier: MIT */
/*
 * acodec_plc_pvt.h - packet-loss concealment for the waveform codecs (G.711 at 8 kHz, G.722 at
 * 16 kHz): the ITU-T G.711 Appendix I algorithm, sample-rate generic. Internal to codecs/.
 *
 * The decoder hands every decoded block to pc_acodec_plc_rx() (which also smooths, in place,
 * the first block after an erasure into the concealed signal) and asks pc_acodec_plc_conceal()
 * for the samples of a lost packet. Sizes below are G.711 Appendix I's at 8 kHz, scaled by
 * rate / 8000:
 *   history 48.75 ms (390 samples): three periods of the longest pitch plus a quarter of one;
 *   pitch 5..15 ms (40..120), found by normalised cross-correlation over the last 20 ms (160),
 *   a coarse search on every other lag (every 4th at 16 kHz) refined around the best one;
 *   the last pitch period is repeated, then the last two (from 10 ms), then three (from 20 ms),
 *   each switch overlap-added over a quarter period; from 10 ms the output fades by 20 % per
 *   10 ms, silent at 60 ms; the first good block after an erasure is overlap-added with the
 *   synthetic continuation over a quarter period + 4 ms per 10 ms of erasure beyond the first
 *   (at most 10 ms).
 *
 * One departure, so that decoding stays undelayed: Appendix I delays its output by a quarter
 * of the longest period (3.75 ms) to cross-fade the last real quarter period into the one before
 * the repeated period; here that quarter period has already been played, so the repeated
 * period's first quarter is cross-faded instead, from the period shifted to end on the last
 * real sample to the period itself. The join to the real signal and every wrap of the period
 * are then continuous.
 *
 * Memory: the state is a plain struct sized for PC_ACODEC_PLC_MAX_RATE, embedded in the
 * codec's state. No call allocates. History moves with memmove (never memcpy on overlapping
 * ranges). Thread context: the owning codec instance's thread.
 */
#ifndef PC_ACODEC_PLC_PVT_H
#define PC_ACODEC_PLC_PVT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PC_ACODEC_PLC_MAX_RATE 16000
/* 48.75 ms of history at the highest rate (390 samples at 8 kHz). */
#define PC_ACODEC_PLC_HIST_MAX (390 * (PC_ACODEC_PLC_MAX_RATE / 8000))

struct pc_acodec_plc {
	/* Sizes at this rate (G.711 Appendix I's 8 kHz values times rate / 8000). */
	uint32_t rate;
	uint32_t hist_len;  /* 48.75 ms */
	uint32_t frame;	    /* 10 ms: the unit of the period switches and of the fade */
	uint32_t pitch_min; /* 5 ms */
	uint32_t pitch_max; /* 15 ms */
	uint32_t corr_len;  /* 20 ms correlated */
	uint32_t ndec;	    /* coarse search lag step */
	uint32_t end_incr;  /* 4 ms more of end overlap per 10 ms erased */
	float min_power;    /* floor of the correlation's energy normaliser */

	/* The erasure in progress (erased == 0: none). */
	uint32_t erased;      /* samples concealed so far */
	uint32_t pitch;	      /* repeated period, samples */
	uint32_t overlap;     /* pitch / 4 */
	uint32_t periods;     /* 1..3 periods repeated */
	uint32_t pos;	      /* read position in the repeated periods, < periods * pitch */
	uint32_t old_periods; /* during a switch's cross-fade: the previous count, else 0 */
	uint32_t old_pos;     /* read position in the previous periods */
	uint32_t xfade;	      /* samples of the switch's cross-fade done */
	float join[3];	      /* per period count k: last sample less the one k periods before */

	int16_t hist[PC_ACODEC_PLC_HIST_MAX]; /* the last hist_len samples output, oldest first */
	float snap[PC_ACODEC_PLC_HIST_MAX];   /* hist at the start of the erasure */
};

/*
 * pc_acodec_plc_init - set up @p (borrowed, caller's memory) for PCM at @rate Hz: 8000 or
 * 16000 (any multiple of 8000 up to PC_ACODEC_PLC_MAX_RATE). History starts silent.
 * Returns 0 or -ENOTSUP. No allocation.
 */
int pc_acodec_plc_init(struct pc_acodec_plc *p, uint32_t rate);

/*
 * pc_acodec_plc_rx - @n decoded samples @pcm (borrowed, modified in place) were received: if
 * they end an erasure their start is overlap-added with the concealed continuation, then they
 * join the history. Any @n (0 is a no-op). No allocation.
 */
void pc_acodec_plc_rx(struct pc_acodec_plc *p, int16_t *pcm, size_t n);

/*
 * pc_acodec_plc_conceal - write @n samples of concealment into @pcm (borrowed) for lost
 * audio, continuing the erasure in progress if there is one. Any @n; calls for one erasure
 * follow on from each other. No allocation.
 */
void pc_acodec_plc_conceal(struct pc_acodec_plc *p, int16_t *pcm, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* PC_ACODEC_PLC_PVT_H */
