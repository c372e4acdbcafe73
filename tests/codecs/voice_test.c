/* SPDX-License-Identifier: MIT */
/*
 * voice_test.c - the voice processing of codecs/pc_voice.h: the echo canceller (convergence on
 * a synthetic echo, the bulk delay estimator, near-end preservation in double-talk, the hwaccel
 * kernel), the resampler's quality and the preprocessor's VAD and noise level.
 *
 * Signals are synthetic and seeded: "speech-like" is pink-ish noise (white noise through a
 * one-pole low-pass) switched by a syllabic envelope (about 4 syllables a second with gaps),
 * through a room of exponentially decaying noise (RT60 0.3 s) at -6 dB behind a bulk delay.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pc_hwaccel.h"
#include "pc_voice.h"

#define RATE 16000
#define N 160

static uint64_t rng;

static double uni(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (double)((rng * 0x2545f4914f6cdd1dull) >> 11) / 9007199254740992.0;
}

static double gauss(void)
{
	return sqrt(-2.0 * log(uni() + 1e-300)) * cos(2.0 * M_PI * uni());
}

/* Speech-like: low-passed noise gated by syllables of 120..250 ms with 30..200 ms gaps. */
static void speechlike(float *v, uint32_t len, uint64_t seed, double amp)
{
	double lp = 0.0;
	uint32_t left = 0;
	bool on = false;

	rng = seed;
	for (uint32_t i = 0; i < len; i++) {
		if (left == 0) {
			on = !on;
			left = (uint32_t)((on ? 0.12 + 0.13 * uni() : 0.03 + 0.17 * uni()) * RATE);
		}
		left--;
		lp = 0.9 * lp + 0.1 * gauss();
		v[i] = on ? (float)(amp * 3.0 * lp) : 0.0f;
	}
}

struct scene {
	uint32_t len;
	int16_t *far, *mic;
	float *echo, *near;
};

/* far: speech-like; mic: far through a room with @delay_ms bulk delay at -6 dB, noise at
 * -50 dB of the far end, plus @near (may be NULL). */
static void scene_make(struct scene *s, uint32_t len, uint32_t delay_ms, const float *near)
{
	uint32_t taps = RATE / 5, d = delay_ms * RATE / 1000;
	float *h = calloc(taps + d, sizeof(float)), *x = calloc(len, sizeof(float));
	double e = 0.0, g, far_rms = 0.0;

	cr_assert_not_null(h);
	cr_assert_not_null(x);
	s->len = len;
	s->far = calloc(len, sizeof(int16_t));
	s->mic = calloc(len, sizeof(int16_t));
	s->echo = calloc(len, sizeof(float));
	s->near = calloc(len, sizeof(float));
	cr_assert(s->far && s->mic && s->echo && s->near);
	speechlike(x, len, 11, 3000.0);
	rng = 77;
	for (uint32_t i = 0; i < taps; i++) {
		h[d + i] = (float)(gauss() * exp(-6.9 * i / (0.3 * RATE)));
		e += (double)h[d + i] * h[d + i];
	}
	g = 0.5 / sqrt(e);
	for (uint32_t i = 0; i < len; i++) {
		s->far[i] = (int16_t)lrintf(x[i]);
		far_rms += (double)x[i] * x[i];
	}
	far_rms = sqrt(far_rms / len);
	for (uint32_t i = 0; i < len; i++) {
		double acc = 0.0;

		for (uint32_t k = 0; k < taps + d && k <= i; k++)
			acc += h[k] * x[i - k];
		s->echo[i] = (float)(acc * g);
		if (near != NULL)
			s->near[i] = near[i];
		s->mic[i] = (int16_t)lrint(s->echo[i] + s->near[i] + far_rms * 0.00316 * gauss());
	}
	free(h);
	free(x);
}

static void scene_free(struct scene *s)
{
	free(s->far);
	free(s->mic);
	free(s->echo);
	free(s->near);
}

/* ERLE (dB) over [from, to): mic power over output power on frames with echo and no near. */
static double erle(const struct scene *s, const int16_t *out, uint32_t lat, uint32_t from,
		   uint32_t to)
{
	double dm = 0.0, eo = 0.0;

	for (uint32_t f = from; f + N <= to && f + N + lat <= s->len; f += N) {
		double ep = 0.0, np = 0.0;

		for (uint32_t i = f; i < f + N; i++) {
			ep += (double)s->echo[i] * s->echo[i];
			np += (double)s->near[i] * s->near[i];
		}
		if (ep / N < 1e4 || np > 0.0)
			continue;
		for (uint32_t i = f; i < f + N; i++) {
			dm += (double)s->mic[i] * s->mic[i];
			eo += (double)out[i + lat] * out[i + lat];
		}
	}
	return 10.0 * log10(dm / (eo + 1e-3));
}

static int16_t *run_aec(struct pc_voice_aec *a, const struct scene *s)
{
	int16_t *out = calloc(s->len, sizeof(int16_t));

	cr_assert_not_null(out);
	for (uint32_t f = 0; f + N <= s->len; f += N)
		cr_assert_eq(pc_voice_aec_process(a, s->mic + f, s->far + f, out + f), 0);
	return out;
}

Test(voice, aec_converges_on_synthetic_echo)
{
	struct pc_voice_aec_conf c;
	struct pc_voice_aec *a;
	struct scene s;
	int16_t *out;
	double e1, econv;

	/* Given a speech-like far end through a 200 ms room with a 10 ms bulk delay */
	scene_make(&s, 8 * RATE, 10, NULL);
	pc_voice_aec_conf_default(&c);
	cr_assert_eq(pc_voice_aec_create(&a, &c), 0);
	/* When the canceller runs over 8 s */
	out = run_aec(a, &s);
	/* Then the echo is down 30 dB in the first second and more once converged */
	e1 = erle(&s, out, pc_voice_aec_latency(a), 0, RATE);
	econv = erle(&s, out, pc_voice_aec_latency(a), 4 * RATE, s.len);
	cr_log_info("ERLE first 1 s %.1f dB, 4-8 s %.1f dB", e1, econv);
	cr_expect_geq(e1, 30.0, "first second: %.1f dB", e1);
	cr_expect_geq(econv, 35.0, "converged: %.1f dB", econv);
	/* And the linear stage alone (no residual suppression) converges too */
	pc_voice_aec_destroy(a);
	free(out);
	c.flags |= PC_VOICE_AEC_NO_RES;
	cr_assert_eq(pc_voice_aec_create(&a, &c), 0);
	out = run_aec(a, &s);
	econv = erle(&s, out, pc_voice_aec_latency(a), 4 * RATE, s.len);
	cr_log_info("linear stage alone: ERLE 4-8 s %.1f dB", econv);
	cr_expect_geq(econv, 10.0, "linear stage: %.1f dB", econv);
	pc_voice_aec_destroy(a);
	free(out);
	scene_free(&s);
}

Test(voice, aec_converges_at_8khz)
{
	struct pc_voice_aec_conf c;
	struct pc_voice_aec *a;
	struct scene s;
	uint32_t len;
	int16_t *far, *mic, *out;
	double dm = 0.0, eo = 0.0, e;
	uint32_t lat;

	/* Given the synthetic echo taken down to 8 kHz (every other sample: the speech-like
	 * signal is mostly under 1 kHz, so there is next to nothing to alias) */
	scene_make(&s, 8 * RATE, 10, NULL);
	len = s.len / 2;
	far = calloc(len, sizeof(int16_t));
	mic = calloc(len, sizeof(int16_t));
	out = calloc(len, sizeof(int16_t));
	cr_assert(far && mic && out);
	for (uint32_t i = 0; i < len; i++) {
		far[i] = s.far[2 * i];
		mic[i] = s.mic[2 * i];
	}
	pc_voice_aec_conf_default(&c);
	c.rate = 8000;
	cr_assert_eq(pc_voice_aec_create(&a, &c), 0);
	cr_assert_eq(pc_voice_aec_frame_samples(a), 80);
	/* When it runs through an 8 kHz canceller */
	for (uint32_t f = 0; f + 80 <= len; f += 80)
		cr_assert_eq(pc_voice_aec_process(a, mic + f, far + f, out + f), 0);
	/* Then the echo is removed from 4 s on */
	lat = pc_voice_aec_latency(a);
	cr_expect_eq(lat, 80);
	for (uint32_t i = 4 * 8000; i + lat < len; i++) {
		if (fabsf(s.echo[2 * i]) < 100.0f)
			continue;
		dm += (double)mic[i] * mic[i];
		eo += (double)out[i + lat] * out[i + lat];
	}
	e = 10.0 * log10(dm / (eo + 1e-3));
	cr_log_info("8 kHz: ERLE 4-8 s %.1f dB", e);
	cr_expect_geq(e, 30.0, "ERLE %.1f dB", e);
	pc_voice_aec_destroy(a);
	free(far);
	free(mic);
	free(out);
	scene_free(&s);
}

Test(voice, aec_delay_estimator_finds_bulk_delay)
{
	struct pc_voice_aec_conf c;
	struct pc_voice_aec_stats st;
	struct pc_voice_aec *a;
	struct scene s;
	int16_t *out;
	double econv;

	/* Given an echo path with a 120 ms bulk delay */
	scene_make(&s, 8 * RATE, 120, NULL);
	pc_voice_aec_conf_default(&c);
	c.tail_ms = 200; /* shorter than delay + room: only compensation makes it fit */
	cr_assert_eq(pc_voice_aec_create(&a, &c), 0);
	/* When 8 s run through the canceller */
	out = run_aec(a, &s);
	pc_voice_aec_get_stats(a, &st);
	econv = erle(&s, out, pc_voice_aec_latency(a), 5 * RATE, s.len);
	cr_log_info("delay %d ms (applied %d, confidence %.2f), ERLE 5-8 s %.1f dB", st.delay_ms,
		    st.delay_comp_ms, st.delay_confidence, econv);
	/* Then the estimate is within 15 ms of it and the far end is delayed by a bit less */
	cr_expect(st.delay_ms >= 110 && st.delay_ms <= 135, "delay %d ms", st.delay_ms);
	cr_expect(st.delay_comp_ms >= 80 && st.delay_comp_ms <= 120, "applied %d ms",
		  st.delay_comp_ms);
	cr_expect_geq(econv, 25.0, "ERLE %.1f dB", econv);
	/* And the linear stage alone does far better with the compensation than without: the
	 * 200 ms filter then covers about 90..290 ms instead of 0..200 ms, which misses the
	 * room's first 80 ms (measured: about 35 dB against 17 dB) */
	for (int k = 0; k < 2; k++) {
		double e[2];

		pc_voice_aec_destroy(a);
		free(out);
		c.flags = PC_VOICE_AEC_NO_RES | (k ? PC_VOICE_AEC_NO_DELAY_EST : 0);
		cr_assert_eq(pc_voice_aec_create(&a, &c), 0);
		out = run_aec(a, &s);
		e[k] = erle(&s, out, pc_voice_aec_latency(a), 5 * RATE, s.len);
		pc_voice_aec_get_stats(a, &st);
		cr_log_info("linear stage %s compensation (%d ms): ERLE 5-8 s %.1f dB",
			    k ? "without" : "with", st.delay_comp_ms, e[k]);
		if (k == 0)
			econv = e[0];
		else
			cr_expect_geq(econv - e[1], 10.0);
	}
	pc_voice_aec_destroy(a);
	free(out);
	scene_free(&s);
}

Test(voice, aec_doubletalk_keeps_near_end)
{
	struct pc_voice_aec_conf c;
	struct pc_voice_aec *a;
	struct scene s;
	float *near = calloc(10 * RATE, sizeof(float));
	double so = 0.0, ss = 0.0, g, err = 0.0, sdr;
	int16_t *out;
	uint32_t lat, near_in = 0, near_out = 0;

	/* Given 10 s of echo and, from 6 to 9 s, a near-end talker at the echo's level */
	cr_assert_not_null(near);
	for (uint32_t i = 0; i < 3 * RATE; i++) {
		/* voiced: a 210 Hz buzz, syllabic (4 Hz) */
		double t = (double)i / RATE, env = 0.5 - 0.5 * cos(2 * M_PI * 4 * t), v = 0.0;

		for (int k = 1; k <= 30; k++)
			v += sin(2 * M_PI * 210 * k * t + k) / k;
		near[6 * RATE + i] = (float)(1000.0 * env * v);
	}
	scene_make(&s, 10 * RATE, 10, near);
	pc_voice_aec_conf_default(&c);
	cr_assert_eq(pc_voice_aec_create(&a, &c), 0);
	/* When it runs through the canceller */
	out = calloc(s.len, sizeof(int16_t));
	cr_assert_not_null(out);
	for (uint32_t f = 0; f + N <= s.len; f += N) {
		struct pc_voice_aec_stats st;

		cr_assert_eq(pc_voice_aec_process(a, s.mic + f, s.far + f, out + f), 0);
		pc_voice_aec_get_stats(a, &st);
		if (f >= 6 * RATE && f < 9 * RATE)
			near_in += st.near_active;
		else
			near_out += st.near_active;
	}
	lat = pc_voice_aec_latency(a);
	/* Then the output during double-talk is mostly the near end: SDR after the best gain
	 * (a harsh measure: Speex's filter alone scores about 8 dB here, its DC notch and
	 * residual echo count as distortion; the benchmark fits a 32-tap filter instead) */
	for (uint32_t i = 6 * RATE; i < 9 * RATE; i++) {
		so += (double)out[i + lat] * s.near[i];
		ss += (double)s.near[i] * s.near[i];
	}
	g = so / ss;
	for (uint32_t i = 6 * RATE; i < 9 * RATE; i++) {
		double d = out[i + lat] - g * s.near[i];

		err += d * d;
	}
	sdr = 10.0 * log10(g * g * ss / err);
	{
		struct pc_voice_aec_stats st;

		pc_voice_aec_get_stats(a, &st);
		cr_log_info("double-talk SDR %.1f dB (gain %.2f), %lu frames judged double-talk, "
			    "near end seen in %u/300 frames of it, %u/700 outside",
			    sdr, g, (unsigned long)st.dt_frames, near_in, near_out);
	}
	cr_expect_geq(sdr, 6.0, "SDR %.1f dB", sdr);
	cr_expect_geq(g, 0.7, "near end attenuated to %.2f", g);
	/* And echo is still removed outside of it */
	cr_expect_geq(erle(&s, out, lat, 3 * RATE, 6 * RATE), 30.0);
	pc_voice_aec_destroy(a);
	free(out);
	free(near);
	scene_free(&s);
}

Test(voice, aec_runs_through_hwaccel_cpu_engine)
{
	struct pc_voice_aec_conf c;
	struct pc_voice_aec *a;
	struct pc_hw_engine *e;
	struct pc_hw_prof_row rows[4];
	struct scene s;
	int16_t *out;
	unsigned nrows;
	double econv;

	/* Given a cpu engine and a canceller */
	scene_make(&s, 6 * RATE, 10, NULL);
	out = calloc(s.len, sizeof(int16_t));
	cr_assert_not_null(out);
	cr_assert_eq(pc_hw_engine_create(&e, NULL), 0);
	pc_voice_aec_conf_default(&c);
	cr_assert_eq(pc_voice_aec_create(&a, &c), 0);
	/* When every frame is a job (half through pc_voice_aec_run, half submit/poll) */
	for (uint32_t f = 0; f + N <= s.len; f += N) {
		if ((f / N) & 1) {
			cr_assert_eq(pc_voice_aec_run(e, a, s.mic + f, s.far + f, out + f), 0);
		} else {
			struct pc_voice_aec_frame fr = { s.mic + f, s.far + f, out + f };
			struct pc_hw_job job = { .kernel = &pc_voice_aec_kernel,
						 .state = a,
						 .arg = &fr };
			struct pc_hw_job *done[2];

			cr_assert_eq(pc_hw_submit(e, &job), 0);
			cr_assert_eq(pc_hw_poll(e, done, 2), 1);
			cr_assert_eq(done[0], &job);
			cr_assert_eq(job.status, 0);
		}
	}
	/* Then the echo is removed and the profiler counted one "aec" job per frame */
	econv = erle(&s, out, pc_voice_aec_latency(a), 3 * RATE, s.len);
	cr_expect_geq(econv, 30.0, "ERLE %.1f dB", econv);
	nrows = pc_hw_profile(e, rows, 4);
	cr_assert_geq(nrows, 1);
	cr_expect_str_eq(rows[0].kernel, "aec");
	cr_expect_eq(rows[0].jobs, s.len / N);
	cr_expect_eq(rows[0].errors, 0);
	/* And a job without buffers fails cleanly */
	{
		struct pc_hw_job job = { .kernel = &pc_voice_aec_kernel, .state = a, .arg = NULL };
		struct pc_hw_job *done[1];

		cr_assert_eq(pc_hw_submit(e, &job), 0);
		cr_assert_eq(pc_hw_poll(e, done, 1), 1);
		cr_expect_eq(job.status, -EINVAL);
	}
	pc_voice_aec_destroy(a);
	pc_hw_engine_destroy(e);
	free(out);
	scene_free(&s);
}

Test(voice, aec_rejects_bad_input)
{
	struct pc_voice_aec_conf c;
	struct pc_voice_aec *a;
	int16_t buf[N] = { 0 };

	/* Given bad configurations, Then create refuses them */
	pc_voice_aec_conf_default(&c);
	c.rate = 44100;
	cr_expect_eq(pc_voice_aec_create(&a, &c), -EINVAL);
	pc_voice_aec_conf_default(&c);
	c.tail_ms = 5000;
	cr_expect_eq(pc_voice_aec_create(&a, &c), -EINVAL);
	cr_expect_eq(pc_voice_aec_create(&a, NULL), -EINVAL);
	/* Given an 8 kHz canceller, When a NULL buffer is passed, Then -EINVAL */
	pc_voice_aec_conf_default(&c);
	c.rate = 8000;
	cr_assert_eq(pc_voice_aec_create(&a, &c), 0);
	cr_expect_eq(pc_voice_aec_frame_samples(a), 80);
	cr_expect_eq(pc_voice_aec_process(a, buf, NULL, buf), -EINVAL);
	cr_expect_eq(pc_voice_aec_process(a, buf, buf, buf), 0);
	pc_voice_aec_destroy(a);
	pc_voice_aec_destroy(NULL);
}

/* SNR (dB) of @v (@n samples) against the best-fitting sine of @freq at @rate. */
static double sine_snr(const float *v, uint32_t n, double freq, double rate)
{
	double a11 = 0, a12 = 0, a22 = 0, b1 = 0, b2 = 0, det, ca, cb, sig = 0, err = 0;

	for (uint32_t i = 0; i < n; i++) {
		double s = sin(2 * M_PI * freq * i / rate), c = cos(2 * M_PI * freq * i / rate);

		a11 += s * s;
		a12 += s * c;
		a22 += c * c;
		b1 += s * v[i];
		b2 += c * v[i];
	}
	det = a11 * a22 - a12 * a12;
	ca = (b1 * a22 - b2 * a12) / det;
	cb = (b2 * a11 - b1 * a12) / det;
	for (uint32_t i = 0; i < n; i++) {
		double f =
			ca * sin(2 * M_PI * freq * i / rate) + cb * cos(2 * M_PI * freq * i / rate);

		sig += f * f;
		err += (v[i] - f) * (v[i] - f);
	}
	return 10.0 * log10(sig / err);
}

static double resample_snr(uint32_t in_rate, uint32_t mid_rate, uint32_t out_rate, double freq)
{
	uint32_t n = in_rate, mlen = mid_rate + 64, olen = out_rate + 64, l1 = n, l2 = mlen, l3, l4;
	float *in = calloc(n, sizeof(float)), *mid = calloc(mlen, sizeof(float)),
	      *out = calloc(olen, sizeof(float));
	struct pc_voice_rs *r1, *r2 = NULL;
	double snr;

	cr_assert(in && mid && out);
	for (uint32_t i = 0; i < n; i++)
		in[i] = (float)(16000.0 * sin(2 * M_PI * freq * i / in_rate));
	cr_assert_eq(pc_voice_rs_create(&r1, in_rate, mid_rate, 8), 0);
	cr_assert_eq(pc_voice_rs_process_float(r1, in, &l1, mid, &l2), 0);
	if (out_rate != mid_rate) {
		cr_assert_eq(pc_voice_rs_create(&r2, mid_rate, out_rate, 8), 0);
		l3 = l2;
		l4 = olen;
		cr_assert_eq(pc_voice_rs_process_float(r2, mid, &l3, out, &l4), 0);
	} else {
		memcpy(out, mid, l2 * sizeof(float));
		l4 = l2;
	}
	/* Skip the edges (filter start-up and end). */
	snr = sine_snr(out + out_rate / 10, l4 - out_rate / 5, freq, out_rate);
	pc_voice_rs_destroy(r1);
	pc_voice_rs_destroy(r2);
	free(in);
	free(mid);
	free(out);
	return snr;
}

Test(voice, resampler_quality)
{
	double s1, s2;

	/* Given a 1 kHz sine, When it goes 16k -> 8k -> 16k and 48k -> 16k at quality 8 */
	s1 = resample_snr(16000, 8000, 16000, 1000.0);
	s2 = resample_snr(48000, 16000, 16000, 1000.0);
	cr_log_info("SNR 16k-8k-16k %.1f dB, 48k-16k %.1f dB", s1, s2);
	/* Then the sine comes out clean */
	cr_expect_geq(s1, 60.0, "16k-8k-16k %.1f dB", s1);
	cr_expect_geq(s2, 70.0, "48k-16k %.1f dB", s2);
}

Test(voice, resampler_int_and_bad_input)
{
	struct pc_voice_rs *r;
	int16_t in[320], out[200];
	uint32_t il = 320, ol = 200;

	/* Given bad rates, Then create refuses them */
	cr_expect_eq(pc_voice_rs_create(&r, 0, 8000, 5), -EINVAL);
	cr_expect_eq(pc_voice_rs_create(&r, 16000, 8000, 11), -EINVAL);
	/* Given 20 ms at 16 kHz, When resampled to 8 kHz, Then about 160 samples come out */
	cr_assert_eq(pc_voice_rs_create(&r, 16000, 8000, 5), 0);
	for (int i = 0; i < 320; i++)
		in[i] = (int16_t)(8000 * sin(2 * M_PI * 500 * i / 16000.0));
	cr_assert_eq(pc_voice_rs_process(r, in, &il, out, &ol), 0);
	cr_expect_eq(il, 320);
	cr_expect(ol >= 100 && ol <= 160, "out %u", ol); /* less the filter delay */
	cr_expect_eq(pc_voice_rs_process(r, NULL, &il, out, &ol), -EINVAL);
	pc_voice_rs_destroy(r);
}

Test(voice, vad_marks_speech_and_silence)
{
	struct pc_voice_pre_conf c = { .rate = RATE, .denoise = true, .vad = true };
	struct pc_voice_pre_result res;
	struct pc_voice_pre *p;
	uint32_t len = 8 * RATE, sp_frames = 0, sp_hits = 0, si_frames = 0, si_hits = 0;
	float *v = calloc(len, sizeof(float));
	int16_t frame[N];
	float noise_db = 0.0f;

	cr_assert_not_null(v);
	/* Given 3 s of low noise, then 3 s of voiced speech-like sound (a 150 Hz buzz with
	 * harmonics, syllabic), then 2 s of noise again */
	rng = 5;
	for (uint32_t i = 0; i < len; i++)
		v[i] = (float)(30.0 * gauss());
	for (uint32_t i = 3 * RATE; i < 6 * RATE; i++) {
		double t = (double)i / RATE, env = 0.5 + 0.5 * sin(2 * M_PI * 4 * t), s = 0.0;

		for (int k = 1; k <= 20; k++)
			s += sin(2 * M_PI * 150 * k * t) / k;
		v[i] += (float)(3000.0 * env * s);
	}
	cr_assert_eq(pc_voice_pre_create(&p, &c), 0);
	/* When each frame goes through the preprocessor */
	for (uint32_t f = 0; f + N <= len; f += N) {
		for (uint32_t i = 0; i < N; i++)
			frame[i] = (int16_t)lrintf(v[f + i]);
		cr_assert_eq(pc_voice_pre_process(p, frame, &res), 0);
		if (f >= RATE && f < 3 * RATE) {
			si_frames++;
			si_hits += res.speech;
			noise_db = res.noise_dbov;
		} else if (f >= 3 * RATE + RATE / 10 && f < 6 * RATE) {
			sp_frames++;
			sp_hits += res.speech;
		}
	}
	cr_log_info("speech frames marked %u/%u, silence marked %u/%u, noise %.1f dBov", sp_hits,
		    sp_frames, si_hits, si_frames, noise_db);
	/* Then most speech frames and few silence frames are marked speech */
	cr_expect_geq(sp_hits * 10, sp_frames * 7, "speech %u/%u", sp_hits, sp_frames);
	cr_expect_leq(si_hits * 10, si_frames * 1, "silence %u/%u", si_hits, si_frames);
	/* And the comfort-noise level is the noise's: 30 RMS is -58.7 dBov */
	cr_expect(noise_db > -62.0f && noise_db < -55.0f, "noise %.1f dBov", noise_db);
	cr_expect_eq(pc_voice_pre_process(p, NULL, &res), -EINVAL);
	pc_voice_pre_destroy(p);
	free(v);
}

/* A frame of 20 ms (phonecore.voice.aec.frame_ms) is two 10 ms blocks: the same output as two
 * 10 ms calls, sample for sample. */
Test(voice, frame_of_20ms_equals_two_blocks_of_10ms)
{
	struct pc_voice_aec_conf c10, c20;
	struct pc_voice_aec *a10, *a20;
	int16_t far[320], mic[320], o10[320], o20[320];
	uint32_t seed = 12345;

	pc_voice_aec_conf_default(&c10);
	c20 = c10;
	c20.frame_ms = 20;
	cr_assert_eq(pc_voice_aec_create(&a10, &c10), 0);
	cr_assert_eq(pc_voice_aec_create(&a20, &c20), 0);
	cr_assert_eq(pc_voice_aec_frame_samples(a10), 160);
	cr_assert_eq(pc_voice_aec_frame_samples(a20), 320);
	for (int f = 0; f < 150; f++) {
		/* Given a noise far end and its echo (a short decaying path) plus a little noise */
		for (int i = 0; i < 320; i++) {
			seed = seed * 1103515245u + 12345u;
			far[i] = (int16_t)((int32_t)(seed >> 16) % 8000 - 4000);
		}
		for (int i = 0; i < 320; i++)
			mic[i] = (int16_t)(far[i] / 3 + (i > 0 ? far[i - 1] / 5 : 0) +
					   (int16_t)((seed >> (i % 16)) & 7));
		/* When one runs 20 ms at once and the other two 10 ms calls */
		cr_assert_eq(pc_voice_aec_process(a20, mic, far, o20), 0);
		cr_assert_eq(pc_voice_aec_process(a10, mic, far, o10), 0);
		cr_assert_eq(pc_voice_aec_process(a10, mic + 160, far + 160, o10 + 160), 0);
		/* Then the outputs are identical */
		cr_assert_eq(memcmp(o10, o20, sizeof(o10)), 0, "frame %d differs", f);
	}
	c20.frame_ms = 25;
	cr_assert_eq(pc_voice_aec_create(&a10, &c20), -EINVAL, "not a multiple of 10 ms");
	pc_voice_aec_destroy(a20);
	pc_voice_aec_destroy(a10);
}
