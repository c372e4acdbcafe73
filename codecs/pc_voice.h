/* SPDX-License-Identifier: MIT */
/*
 * pc_voice.h - voice processing of 10 ms frames of 16-bit mono PCM at 8000 or 16000 Hz: the
 * acoustic echo canceller (AEC), the preprocessor (noise suppression, AGC, VAD, comfort-noise
 * level) and the resampler between device and codec rates. Speex DSP does the core work (its
 * MDF echo canceller, preprocessor and resampler); Speex stays private to codecs/.
 *
 * The echo canceller (pc_voice_aec_*)
 *   The caller feeds, in step, each far-end frame as it is played out and each mic frame as it
 *   is captured (the "aligned" reference: frame i of the far end is what went to the speaker
 *   while frame i of the mic was recorded, give or take the device's fixed latency). Per frame:
 *   1. Bulk delay: a delay estimator correlates the differenced log envelopes (2.5 ms blocks)
 *      of far end and mic over 0..max_delay_ms (time constant about 4 s, far-end activity
 *      only); once a peak has held for 0.5 s, the far end is delayed by its leading edge less
 *      12.5 ms before the linear filter (delays under 20 ms are left to the filter), and the
 *      filter starts over. A 120 ms delay locks in about 1.3 s.
 *   2. Linear echo: Speex's MDF adaptive filter (tail_ms long), optionally a second one in
 *      series on the first's output (PC_VOICE_AEC_SERIES).
 *   3. Speex's preprocessor with the echo state attached (its own residual echo and noise
 *      suppression) when PC_VOICE_AEC_SPEEX_PP is set.
 *   4. Residual echo suppression of our own, in a 20 ms sqrt-Hann windowed FFT domain (512
 *      points, 257 bins at 16 kHz; 50 % overlap). The power of what the linear stage left is
 *      modelled per bin as an FIR over the past far-end power spectra (tail_ms + 20 ms long),
 *      plus three broadband terms (the far end's overall power, and its square and cube over
 *      their long-term mean: a loudspeaker's distortion spreads across frequency and grows
 *      faster than the level). NLMS learns it on the residual: downwards always, upwards
 *      only while no near end is hinted at. The model follows whatever the linear filter
 *      misses, a loudspeaker's distortion or a filter that has not converged yet, and starts
 *      from a 0 dB coupling prior, so suppression is strong from the first frame and fades
 *      as the model learns the real leak. A Wiener-like gain (decision-directed) removes the
 *      modelled echo times an over-subtraction factor (x32, more in passages louder than
 *      usual; x1 in double-talk), floored at the suppressed background noise's level (no
 *      holes cut) and at echo_suppress_db (echo_suppress_dt_db in double-talk).
 *   Double-talk detection takes three witnesses, none enough alone: the residual over the
 *   modelled echo and noise (speech band), the linear stage's output/mic ratio over its
 *   far-only floor (near-end speech does not cancel), and the mic over a broadband model of
 *   its echo (which the linear filter's state does not affect). A hint (3 dB, 9 dB, 0.5 dB)
 *   freezes upward learning; only a clear case (6 dB, 12 dB, 2 dB) makes suppression gentle,
 *   held 160 ms. The background noise is the minimum of the smoothed residual power, x2.
 *   The cleaned output lags the mic by pc_voice_aec_latency() samples (the FFT stage's hop,
 *   10 ms, and the Speex preprocessor's when enabled).
 *   Measured (bench aec, 16 kHz espeak-ng speech, 200 ms room): 50-59 dB ERLE once converged,
 *   over 50 dB in the first second, near-end SDR about 20 dB in double-talk; 85 us a frame.
 *   Known weak spot: after loud double-talk (near end 6 dB over the echo) Speex's filter is
 *   set back and the residual leaks for a second or two (PC_VOICE_AEC_SERIES helps there).
 *
 * Offload: the canceller is a hwaccel kernel (pc_voice_aec_kernel): one job is one frame, with
 * the canceller as its state and a struct pc_voice_aec_frame as its argument.
 *
 * Thread context: an instance belongs to one thread at a time (or to an engine while a job on
 * it is in flight). Allocates: the create functions only; process/run never allocate.
 */
#ifndef PC_VOICE_H
#define PC_VOICE_H

#include <stdbool.h>
#include <stdint.h>

#include "pc_hwaccel.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --- echo canceller -------------------------------------------------------------------------- */

enum pc_voice_aec_flags {
	PC_VOICE_AEC_NO_DELAY_EST = 1u << 0, /* no bulk delay estimation/compensation */
	PC_VOICE_AEC_NO_RES = 1u << 1,	     /* no residual echo suppression of our own */
	PC_VOICE_AEC_SERIES = 1u << 2,	     /* a second Speex canceller in series */
	PC_VOICE_AEC_SPEEX_PP = 1u << 3,     /* Speex's preprocessor, echo state attached */
	PC_VOICE_AEC_NO_NS = 1u << 4,	     /* our FFT stage does not suppress noise */
};

struct pc_voice_aec_conf {
	uint32_t rate;		     /* 8000 or 16000 Hz */
	uint32_t tail_ms;	     /* linear filter and echo model length; 0: 250 (20..500) */
	uint32_t max_delay_ms;	     /* bulk delay searched; 0: 320 (at most 500) */
	int32_t echo_suppress_db;    /* residual echo suppression with the near end silent
				      * (negative dB); 0: -50 */
	int32_t echo_suppress_dt_db; /* ...in double-talk; 0: -25 */
	int32_t noise_suppress_db;   /* background noise suppression; 0: -15 */
	uint32_t flags;		     /* enum pc_voice_aec_flags */
	uint32_t frame_ms;	     /* one job's frame: 10..60 in steps of 10, run as 10 ms
				      * blocks; 0: 10 */
};

/* The defaults (what a zeroed conf means, at 16000 Hz). Flags 0: Speex's preprocessor on the
 * echo state measured worse than our suppressor alone (aec bench: 36 vs 45 dB linear) and adds
 * 10 ms; it stays available as PC_VOICE_AEC_SPEEX_PP. */
void pc_voice_aec_conf_default(struct pc_voice_aec_conf *c);

struct pc_voice_aec;

/* pc_voice_aec_create - a canceller for @conf (borrowed). Returns 0 and *@out, -EINVAL for a
 * bad conf, -ENOMEM. Allocates. Setup thread. */
int pc_voice_aec_create(struct pc_voice_aec **out, const struct pc_voice_aec_conf *conf);

/* pc_voice_aec_destroy - frees @a; NULL ok. */
void pc_voice_aec_destroy(struct pc_voice_aec *a);

/* pc_voice_aec_reset - forgets everything learnt (filters, delay, echo model). */
void pc_voice_aec_reset(struct pc_voice_aec *a);

/* pc_voice_aec_frame_samples - samples per frame (frame_ms: 80 or 160 per 10 ms). */
uint32_t pc_voice_aec_frame_samples(const struct pc_voice_aec *a);

/* pc_voice_aec_latency - samples by which the output lags the mic input. */
uint32_t pc_voice_aec_latency(const struct pc_voice_aec *a);

/*
 * pc_voice_aec_process - one frame: @mic (captured) and @far (played out in the same frame_ms),
 * both borrowed, frame_samples long, into @out (borrowed; may be @mic), processed as 10 ms
 * blocks in order. Returns 0 or -EINVAL (a NULL buffer). No allocation.
 */
int pc_voice_aec_process(struct pc_voice_aec *a, const int16_t *mic, const int16_t *far,
			 int16_t *out);

struct pc_voice_aec_stats {
	uint64_t frames;	/* 10 ms blocks processed */
	int32_t delay_ms;	/* bulk delay estimated (-1: none yet) */
	int32_t delay_comp_ms;	/* far-end delay applied before the filter */
	uint32_t delay_changes; /* times the applied delay changed */
	float delay_confidence; /* peak normalised envelope correlation, 0..1 */
	float echo_coupling_db; /* modelled residual echo over far-end power (all bins) */
	/* The double-talk detector's witnesses in the last frame (dB): the residual over the
	 * modelled residual echo and noise (speech band), the linear stage's output/mic ratio
	 * over its far-only floor, the mic over its modelled echo and noise. */
	float res_excess_db, lin_excess_db, mic_excess_db;
	bool near_active;   /* near-end speech in the last frame */
	bool double_talk;   /* near-end and far-end both active in the last frame */
	uint64_t dt_frames; /* frames judged double-talk */
};

/* pc_voice_aec_get_stats - copies @a's counters into @st (borrowed). */
void pc_voice_aec_get_stats(const struct pc_voice_aec *a, struct pc_voice_aec_stats *st);

/* The offload kernel "aec": state is a struct pc_voice_aec, arg a struct pc_voice_aec_frame. */
extern const struct pc_hw_kernel pc_voice_aec_kernel;

/* One job's buffers, all borrowed for the job's lifetime (frame_samples each). */
struct pc_voice_aec_frame {
	const int16_t *mic;
	const int16_t *far;
	int16_t *out;
};

/*
 * pc_voice_aec_run - runs one frame through engine @e (borrowed) synchronously: builds the job
 * on the stack, pc_hw_run()s it. Returns the job's status or the engine's error. No allocation.
 */
int pc_voice_aec_run(struct pc_hw_engine *e, struct pc_voice_aec *a, const int16_t *mic,
		     const int16_t *far, int16_t *out);

/* --- preprocessor ---------------------------------------------------------------------------- */

struct pc_voice_pre_conf {
	uint32_t rate;		   /* 8000 or 16000 Hz */
	bool denoise;		   /* noise suppression */
	int32_t noise_suppress_db; /* its maximum attenuation (negative dB); 0: -15 */
	bool agc;		   /* automatic gain control */
	uint32_t agc_level;	   /* its target RMS level (1..32767); 0: 8000 */
	bool vad;		   /* voice activity detection (level over the tracked noise
				    * floor, with hysteresis and 200 ms hangover; Speex's own
				    * VAD of speexdsp 1.2 marks every frame speech) */
	uint32_t vad_start_db;	   /* frame level over the noise to enter speech; 0: 9 */
	uint32_t vad_cont_db;	   /* ...to stay in speech; 0: 4 */
};

struct pc_voice_pre;

/* The result of one frame. */
struct pc_voice_pre_result {
	bool speech;	  /* VAD: speech in this frame (true when VAD is off) */
	float noise_dbov; /* comfort-noise level: background noise estimate in dBov
			   * (0 dBov: a full-scale sine), for RFC 3389 CN (-dBov) */
};

/* pc_voice_pre_create - a preprocessor for @conf (borrowed). Returns 0 and *@out, -EINVAL,
 * -ENOMEM. Allocates. */
int pc_voice_pre_create(struct pc_voice_pre **out, const struct pc_voice_pre_conf *conf);

/* pc_voice_pre_destroy - frees @p; NULL ok. */
void pc_voice_pre_destroy(struct pc_voice_pre *p);

/* pc_voice_pre_process - processes one 10 ms @frame (borrowed) in place; @res (borrowed, may be
 * NULL) receives the VAD decision and noise level. Returns 0 or -EINVAL. No allocation. */
int pc_voice_pre_process(struct pc_voice_pre *p, int16_t *frame, struct pc_voice_pre_result *res);

/* --- resampler ------------------------------------------------------------------------------- */

struct pc_voice_rs;

/* pc_voice_rs_create - mono resampler from @in_rate to @out_rate Hz (1000..192000), @quality
 * 0 (fast) .. 10 (best). Returns 0 and *@out, -EINVAL, -ENOMEM. Allocates. */
int pc_voice_rs_create(struct pc_voice_rs **out, uint32_t in_rate, uint32_t out_rate, int quality);

/* pc_voice_rs_destroy - frees @r; NULL ok. */
void pc_voice_rs_destroy(struct pc_voice_rs *r);

/*
 * pc_voice_rs_process - resamples up to *@in_len samples of @in (borrowed) into at most
 * *@out_len of @out (borrowed); on return *@in_len holds the samples consumed and *@out_len the
 * samples written. Returns 0 or -EINVAL. No allocation.
 */
int pc_voice_rs_process(struct pc_voice_rs *r, const int16_t *in, uint32_t *in_len, int16_t *out,
			uint32_t *out_len);

/* pc_voice_rs_process_float - the same on float samples (full scale +-32768). */
int pc_voice_rs_process_float(struct pc_voice_rs *r, const float *in, uint32_t *in_len, float *out,
			      uint32_t *out_len);

/* pc_voice_rs_latency - the filter's delay, in output samples. */
uint32_t pc_voice_rs_latency(const struct pc_voice_rs *r);

/* pc_voice_rs_reset - clears the filter memory (a new stream). */
void pc_voice_rs_reset(struct pc_voice_rs *r);

#ifdef __cplusplus
}
#endif

#endif /* PC_VOICE_H */
