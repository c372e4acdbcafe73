/* SPDX-License-Identifier: MIT */
/*
 * aec_bench.c - benchmark "aec": phonecore's echo canceller (pc_voice_aec, run through a cpu
 * hwaccel engine) against webrtc-audio-processing's (0.3, legacy AEC, high suppression), on the
 * same signals in the same run.
 *
 * Signals, 16 kHz, 10 ms frames (see /work/shared/AEC.md): the far end is speech made by
 * espeak-ng at run time (voice en-us, 150 words a minute), resampled with pc_voice_rs; it goes
 * to the canceller as the reference at a peak of -6 dBFS, and through the room to the mic: a
 * synthetic impulse response of 200 ms (exponentially decaying Gaussian noise, RT60 0.3 s, bulk
 * delay 10 ms) scaled to -6 dB of echo path gain, plus white noise at -50 dB of the far end's
 * RMS. Scenarios:
 *   linear      the path as is
 *   nonlinear   the loudspeaker soft-clips: s(x) = tanh(1.5 x) / tanh(1.5) on the far end at
 *               full scale 1 (peaks compressed by about 3 dB, speech level by about 0.5 dB)
 *   doubletalk  linear, plus a near-end talker (espeak-ng en+f3, another text) for 5 s near
 *               the end, at the echo's RMS level (0 dB signal-to-echo)
 * Each canceller's latency is measured first (near-end speech alone, far end silent: the lag of
 * the output's best correlation with the mic) and outputs are compared after it.
 *
 * Rows per scenario, ours beside webrtc's:
 *   erle_converged  mic power over output power on echo-only frames from 3 s on (frames whose
 *                   echo is within 30 dB of its mean active level, no near end, and not within
 *                   0.2 s of the double-talk segment), in dB; the report's speedup is
 *                   10^((ours - ref) / 10), the ratio of echo power removed. An output of pure
 *                   noise scores
 *                   about 45 dB (ours suppresses the noise too, so it can score more).
 *   erle_first_1s   the same over the first second
 *   time_to_20db, time_to_30db  ms: the end of the first 250 ms window from which every
 *                   window with 5 or more echo-only frames has that ERLE or more (null: never)
 *   sdr_doubletalk  (doubletalk) near-end preservation, dB: the near end as the
 *                   best 32-tap linear filter maps it onto the output, over what else is in the
 *                   output, across the 5 s double-talk segment (higher keeps more of the
 *                   talker; residual echo counts against it)
 *   cpu_p50, cpu_p99  us per 10 ms frame (ours: pc_voice_aec_run on a cpu engine), from a
 *                   histogram
 * --quick shortens the signals from 24 s to 12 s (double-talk then starts at 5 s, before the
 * filters have settled: its SDR is lower than in the full run).
 * Debugging knobs (environment): PC_BENCH_AEC_FLAGS (our pc_voice_aec flags, a number),
 * PC_BENCH_AEC_SEED (another room and noise), PC_BENCH_AEC_SER (near-end to echo ratio, dB),
 * PC_BENCH_AEC_DEBUG=1 (ERLE per 2 s on stderr), PC_BENCH_AEC_DUMP=dir (raw signals, outputs
 * and our per-frame detector state).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_pvt.h"
#include "hist_pvt.h"
#include "pc_hwaccel.h"
#include "pc_voice.h"
#ifdef PC_BENCH_HAVE_WEBRTC_APM
#include "aec_webrtc_pvt.h"
#endif

extern char **environ;

#define AEC_RATE 16000
#define AEC_N 160
#define AEC_DELAY_MS 10
#define AEC_RIR_MS 200
#define AEC_RT60_S 0.3
#define AEC_PATH_DB (-6.0)
#define AEC_NOISE_DB (-50.0)
#define AEC_DT_S 5
#define AEC_CONV_S 3

static const char aec_far_text[] =
	"The quick brown fox jumps over the lazy dog. A journey of a thousand miles begins with a "
	"single step. She sells sea shells by the sea shore, and the shells she sells are surely "
	"sea shells. Peter Piper picked a peck of pickled peppers. How much wood would a "
	"woodchuck chuck if a woodchuck could chuck wood? Every good boy deserves fruit, and "
	"every cloud has a silver lining. The rain in Spain stays mainly in the plain. Please "
	"call me back when you have a minute, I will be at the office until six this evening.";
static const char aec_near_text[] =
	"Hello, can you hear me? I think the line is a little noisy today. Let me check the "
	"numbers again: four, seven, nine, two, one. Yes, that is right, we can meet tomorrow.";

enum aec_scenario { AEC_LINEAR, AEC_NONLINEAR, AEC_DOUBLETALK, AEC_NSCEN };
static const char *const aec_scen_name[AEC_NSCEN] = { "linear", "nonlinear", "doubletalk" };

struct aec_signals {
	uint32_t len;	   /* samples */
	int16_t *far;	   /* reference, as played */
	int16_t *mic;	   /* echo + noise (+ near) */
	float *echo;	   /* the echo alone */
	float *near;	   /* the near end as it reaches the mic (doubletalk) */
	uint32_t dt0, dt1; /* double-talk segment, samples; 0, 0: none */
};

struct aec_result {
	double erle_conv_db, erle_1s_db, t20_ms, t30_ms, sdr_db;
	double cpu_p50_us, cpu_p99_us;
	uint32_t latency;
	int32_t delay_ms; /* ours: the delay estimate */
};

/* --- the canceller under test, behind one face -------------------------------------------- */

struct aec_dut {
	struct pc_voice_aec *ours;
	struct pc_hw_engine *eng;
#ifdef PC_BENCH_HAVE_WEBRTC_APM
	struct pc_bench_apm *apm;
#endif
};

static uint32_t aec_flags(void)
{
	const char *s = getenv("PC_BENCH_AEC_FLAGS");
	struct pc_voice_aec_conf c;

	pc_voice_aec_conf_default(&c);
	/* An override for experiments: the flags of pc_voice.h, as a number. */
	return s != NULL ? (uint32_t)strtoul(s, NULL, 0) : c.flags;
}

/* Flags added to ours for a second look (the run without noise suppression). */
static uint32_t aec_extra_flags;

static int dut_create(struct aec_dut *d, bool ref)
{
	struct pc_voice_aec_conf c;
	int rc;

	memset(d, 0, sizeof(*d));
	if (ref) {
#ifdef PC_BENCH_HAVE_WEBRTC_APM
		return pc_bench_apm_create(&d->apm, AEC_RATE, AEC_DELAY_MS);
#else
		return -ENOTSUP;
#endif
	}
	pc_voice_aec_conf_default(&c);
	c.flags = aec_flags() | aec_extra_flags;
	rc = pc_hw_engine_create(&d->eng, NULL);
	if (rc < 0)
		return rc;
	rc = pc_voice_aec_create(&d->ours, &c);
	if (rc < 0) {
		pc_hw_engine_destroy(d->eng);
		d->eng = NULL;
	}
	return rc;
}

static void dut_destroy(struct aec_dut *d)
{
	pc_voice_aec_destroy(d->ours);
	pc_hw_engine_destroy(d->eng);
#ifdef PC_BENCH_HAVE_WEBRTC_APM
	pc_bench_apm_destroy(d->apm);
#endif
	memset(d, 0, sizeof(*d));
}

static int dut_process(struct aec_dut *d, const int16_t *mic, const int16_t *far, int16_t *out)
{
	if (d->ours != NULL)
		return pc_voice_aec_run(d->eng, d->ours, mic, far, out);
#ifdef PC_BENCH_HAVE_WEBRTC_APM
	return pc_bench_apm_process(d->apm, mic, far, out);
#else
	return -ENOTSUP;
#endif
}

/* --- signals ------------------------------------------------------------------------------- */

static uint64_t aec_rng = 0x9e3779b97f4a7c15ull;

/* The signals' seed: 0, or PC_BENCH_AEC_SEED for a check on other rooms and noises. */
static uint64_t aec_seed(void)
{
	const char *s = getenv("PC_BENCH_AEC_SEED");

	return s != NULL ? strtoull(s, NULL, 0) : 0;
}

static double aec_uniform(void)
{
	/* xorshift64* */
	aec_rng ^= aec_rng >> 12;
	aec_rng ^= aec_rng << 25;
	aec_rng ^= aec_rng >> 27;
	return (double)((aec_rng * 0x2545f4914f6cdd1dull) >> 11) / 9007199254740992.0;
}

static double aec_gauss(void)
{
	double u = aec_uniform(), v = aec_uniform();

	return sqrt(-2.0 * log(u + 1e-300)) * cos(2.0 * M_PI * v);
}

static int run_prog(char *const argv[])
{
	pid_t pid;
	int st, rc;

	rc = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
	if (rc != 0)
		return -rc;
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

static uint32_t rd32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Reads a mono 16-bit PCM WAV file (length-checked), resampled to AEC_RATE into *@out. */
static int wav_read16k(const char *path, float **out, uint32_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long size;
	size_t pos = 12;
	uint32_t rate = 0, bits = 0, chans = 0, dlen = 0, in_len, out_len;
	const uint8_t *data = NULL;
	float *in = NULL, *res = NULL;
	struct pc_voice_rs *rs = NULL;
	int rc = -EBADMSG;

	if (f == NULL)
		return -errno;
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 44 || fseek(f, 0, SEEK_SET) != 0)
		goto out_close;
	buf = malloc((size_t)size);
	if (buf == NULL || fread(buf, 1, (size_t)size, f) != (size_t)size)
		goto out_close;
	if (memcmp(buf, "RIFF", 4) != 0 || memcmp(buf + 8, "WAVE", 4) != 0)
		goto out_close;
	while (pos + 8 <= (size_t)size) {
		uint32_t clen = rd32(buf + pos + 4);
		size_t avail = (size_t)size - pos - 8;

		if (memcmp(buf + pos, "fmt ", 4) == 0 && clen >= 16 && avail >= 16) {
			chans = buf[pos + 10] | (uint32_t)buf[pos + 11] << 8;
			rate = rd32(buf + pos + 12);
			bits = buf[pos + 22] | (uint32_t)buf[pos + 23] << 8;
		} else if (memcmp(buf + pos, "data", 4) == 0) {
			/* A streamed WAV may carry a bogus length: keep what the file has. */
			dlen = clen > avail ? (uint32_t)avail : clen;
			data = buf + pos + 8;
			break;
		}
		if (clen > avail)
			break;
		pos += 8 + clen + (clen & 1);
	}
	if (data == NULL || chans != 1 || bits != 16 || rate < 8000 || rate > 48000)
		goto out_close;
	in_len = dlen / 2;
	in = malloc(in_len * sizeof(float) + 1);
	out_len = (uint32_t)((uint64_t)in_len * AEC_RATE / rate) + 64;
	res = malloc(out_len * sizeof(float));
	rc = -ENOMEM;
	if (in == NULL || res == NULL)
		goto out_close;
	for (uint32_t i = 0; i < in_len; i++)
		in[i] = (float)(int16_t)(data[2 * i] | data[2 * i + 1] << 8);
	rc = pc_voice_rs_create(&rs, rate, AEC_RATE, 10);
	if (rc < 0)
		goto out_close;
	rc = pc_voice_rs_process_float(rs, in, &in_len, res, &out_len);
	pc_voice_rs_destroy(rs);
	if (rc < 0)
		goto out_close;
	*out = res;
	*len = out_len;
	res = NULL;
	rc = 0;
out_close:
	free(res);
	free(in);
	free(buf);
	fclose(f);
	return rc;
}

static int speak(const char *dir, const char *name, const char *voice, const char *text,
		 float **out, uint32_t *len)
{
	char path[256];
	char *argv[] = { "espeak-ng", "-v", (char *)voice, "-s", "150",
			 "-w",	      path, (char *)text,  NULL };
	int rc;

	snprintf(path, sizeof(path), "%s/%s.wav", dir, name);
	rc = run_prog(argv);
	if (rc < 0)
		return rc;
	rc = wav_read16k(path, out, len);
	unlink(path);
	return rc;
}

static double rms(const float *v, uint32_t n)
{
	double s = 0.0;

	for (uint32_t i = 0; i < n; i++)
		s += (double)v[i] * v[i];
	return n ? sqrt(s / n) : 0.0;
}

/* The room: a bulk delay, then Gaussian noise decaying by 60 dB in RT60, at AEC_PATH_DB. */
static float *make_rir(uint32_t *taps)
{
	uint32_t n = AEC_RIR_MS * AEC_RATE / 1000, d = AEC_DELAY_MS * AEC_RATE / 1000;
	float *h = calloc(n, sizeof(float));
	double e = 0.0, g;

	if (h == NULL)
		return NULL;
	for (uint32_t i = d; i < n; i++) {
		double t = (double)(i - d) / AEC_RATE;

		h[i] = (float)(aec_gauss() * exp(-3.0 * log(10.0) * t / AEC_RT60_S));
		e += (double)h[i] * h[i];
	}
	g = pow(10.0, AEC_PATH_DB / 20.0) / sqrt(e);
	for (uint32_t i = 0; i < n; i++)
		h[i] = (float)(h[i] * g);
	*taps = n;
	return h;
}

static void signals_free(struct aec_signals *s)
{
	free(s->far);
	free(s->mic);
	free(s->echo);
	free(s->near);
	memset(s, 0, sizeof(*s));
}

/* Builds scenario @sc from the far speech @fs (@fn samples, full scale 1) and near speech. */
static int signals_make(struct aec_signals *s, enum aec_scenario sc, uint32_t len, const float *fs,
			uint32_t fn, const float *ns, uint32_t nn, const float *h, uint32_t taps)
{
	float *spk = malloc(len * sizeof(float));
	double far_rms, echo_rms, noise_amp, near_gain;
	const double fs_amp = 16384.0; /* far end peak: -6 dBFS */

	memset(s, 0, sizeof(*s));
	s->len = len;
	s->far = calloc(len, sizeof(int16_t));
	s->mic = calloc(len, sizeof(int16_t));
	s->echo = calloc(len, sizeof(float));
	s->near = calloc(len, sizeof(float));
	if (spk == NULL || s->far == NULL || s->mic == NULL || s->echo == NULL || s->near == NULL) {
		free(spk);
		signals_free(s);
		return -ENOMEM;
	}
	aec_rng = 0x9e3779b97f4a7c15ull + (uint64_t)sc + aec_seed() * 7919u;
	for (uint32_t i = 0; i < len; i++) {
		double x = fs[i % fn];

		s->far[i] = (int16_t)lrint(x * fs_amp);
		if (sc == AEC_NONLINEAR)
			x = tanh(1.5 * x) / tanh(1.5);
		spk[i] = (float)(x * fs_amp);
	}
	for (uint32_t i = 0; i < len; i++) {
		double acc = 0.0;
		uint32_t kmax = i + 1 < taps ? i + 1 : taps;

		for (uint32_t k = 0; k < kmax; k++)
			acc += (double)h[k] * spk[i - k];
		s->echo[i] = (float)acc;
	}
	{
		float *tmp = malloc(len * sizeof(float));

		if (tmp == NULL) {
			free(spk);
			signals_free(s);
			return -ENOMEM;
		}
		for (uint32_t i = 0; i < len; i++)
			tmp[i] = (float)(s->far[i]);
		far_rms = rms(tmp, len);
		free(tmp);
	}
	echo_rms = rms(s->echo, len);
	noise_amp = far_rms * pow(10.0, AEC_NOISE_DB / 20.0);
	if (sc == AEC_DOUBLETALK) {
		s->dt1 = len - 2 * AEC_RATE;
		s->dt0 = s->dt1 - AEC_DT_S * AEC_RATE;
		near_gain = echo_rms /
			    (rms(ns, nn < AEC_DT_S * AEC_RATE ? nn : AEC_DT_S * AEC_RATE) + 1e-9);
		/* PC_BENCH_AEC_SER: another near-end to echo ratio (dB), for checks. */
		if (getenv("PC_BENCH_AEC_SER") != NULL)
			near_gain *= pow(10.0, atof(getenv("PC_BENCH_AEC_SER")) / 20.0);
		for (uint32_t i = s->dt0; i < s->dt1; i++)
			s->near[i] = (float)(ns[(i - s->dt0) % nn] * near_gain);
	}
	for (uint32_t i = 0; i < len; i++) {
		double v = s->echo[i] + s->near[i] + noise_amp * aec_gauss();

		v = v > 32767.0 ? 32767.0 : (v < -32768.0 ? -32768.0 : v);
		s->mic[i] = (int16_t)lrint(v);
	}
	free(spk);
	return 0;
}

/* --- measures ---------------------------------------------------------------------------- */

/* The lag (0..50 ms) at which @out best matches @in (normalised cross-correlation). */
static uint32_t best_lag(const int16_t *in, const int16_t *out, uint32_t len)
{
	uint32_t best = 0, maxlag = 50 * AEC_RATE / 1000;
	double bestc = -1.0;

	for (uint32_t l = 0; l <= maxlag; l++) {
		double c = 0.0, e1 = 0.0, e2 = 0.0;

		for (uint32_t i = 0; i + l < len; i++) {
			c += (double)in[i] * out[i + l];
			e1 += (double)in[i] * in[i];
			e2 += (double)out[i + l] * out[i + l];
		}
		c = c / sqrt(e1 * e2 + 1e-9);
		if (c > bestc) {
			bestc = c;
			best = l;
		}
	}
	return best;
}

/* The canceller's latency: near-end speech alone through a fresh instance. */
static int measure_latency(bool ref, const float *ns, uint32_t nn, uint32_t *lat)
{
	uint32_t len = 2 * AEC_RATE / AEC_N * AEC_N;
	int16_t *in = calloc(len, sizeof(int16_t)), *out = calloc(len, sizeof(int16_t));
	int16_t zero[AEC_N] = { 0 };
	struct aec_dut d;
	int rc;

	if (in == NULL || out == NULL) {
		rc = -ENOMEM;
		goto out_free;
	}
	for (uint32_t i = 0; i < len; i++)
		in[i] = (int16_t)lrint(ns[i % nn] * 8000.0);
	rc = dut_create(&d, ref);
	if (rc < 0)
		goto out_free;
	for (uint32_t f = 0; f + AEC_N <= len && rc == 0; f += AEC_N)
		rc = dut_process(&d, in + f, zero, out + f);
	dut_destroy(&d);
	if (rc == 0)
		*lat = best_lag(in, out, len);
out_free:
	free(in);
	free(out);
	return rc;
}

/* Echo-only frame: echo within 30 dB of its mean active level, no near end. */
static bool echo_frame(const struct aec_signals *s, uint32_t f, double thr)
{
	double e = 0.0, nr = 0.0;

	for (uint32_t i = f; i < f + AEC_N; i++) {
		e += (double)s->echo[i] * s->echo[i];
		nr += (double)s->near[i] * s->near[i];
	}
	if (s->dt1 > s->dt0 && f + AEC_N > s->dt0 - AEC_RATE / 5 && f < s->dt1 + AEC_RATE / 5)
		return false;
	return e / AEC_N > thr && nr == 0.0;
}

static double erle_span(const struct aec_signals *s, const int16_t *out, uint32_t lat,
			uint32_t from, uint32_t to, double thr, uint32_t *nframes)
{
	double dm = 0.0, eo = 0.0;
	uint32_t cnt = 0;

	for (uint32_t f = from; f + AEC_N <= to && f + AEC_N + lat <= s->len; f += AEC_N) {
		if (!echo_frame(s, f, thr))
			continue;
		cnt++;
		for (uint32_t i = f; i < f + AEC_N; i++) {
			dm += (double)s->mic[i] * s->mic[i];
			eo += (double)out[i + lat] * out[i + lat];
		}
	}
	if (nframes != NULL)
		*nframes = cnt;
	if (cnt == 0)
		return NAN;
	return 10.0 * log10(dm / (eo + 1e-3));
}

/* Solves the @m x @m system @a x = @b in place (Gaussian elimination, partial pivoting). */
static int solve(double *a, double *b, unsigned m)
{
	for (unsigned c = 0; c < m; c++) {
		unsigned p = c;

		for (unsigned r = c + 1; r < m; r++)
			if (fabs(a[r * m + c]) > fabs(a[p * m + c]))
				p = r;
		if (fabs(a[p * m + c]) < 1e-12)
			return -EDOM;
		if (p != c) {
			for (unsigned k = 0; k < m; k++) {
				double t = a[c * m + k];

				a[c * m + k] = a[p * m + k];
				a[p * m + k] = t;
			}
			double t = b[c];

			b[c] = b[p];
			b[p] = t;
		}
		for (unsigned r = c + 1; r < m; r++) {
			double q = a[r * m + c] / a[c * m + c];

			for (unsigned k = c; k < m; k++)
				a[r * m + k] -= q * a[c * m + k];
			b[r] -= q * b[c];
		}
	}
	for (int c = (int)m - 1; c >= 0; c--) {
		for (unsigned k = (unsigned)c + 1; k < m; k++)
			b[c] -= a[c * m + k] * b[k];
		b[c] /= a[c * m + c];
	}
	return 0;
}

#define SDR_TAPS 32
#define SDR_PRE 8

/* Near-end preservation over the double-talk segment (dB); see the file comment. */
static double sdr_db(const struct aec_signals *s, const int16_t *out, uint32_t lat)
{
	static double a[SDR_TAPS * SDR_TAPS];
	double b[SDR_TAPS], r[SDR_TAPS], sig = 0.0, err = 0.0;
	uint32_t i0 = s->dt0 + SDR_TAPS, i1 = s->dt1;

	if (i1 + lat + SDR_PRE >= s->len)
		i1 = s->len - lat - SDR_PRE - 1;
	/* o[n] ~ sum_j h_j near[n + SDR_PRE - j] */
	for (unsigned j = 0; j < SDR_TAPS; j++) {
		r[j] = 0.0;
		b[j] = 0.0;
		for (uint32_t n = i0; n < i1; n++) {
			r[j] += (double)s->near[n] * s->near[n - j];
			b[j] += (double)out[n + lat] * s->near[n + SDR_PRE - j];
		}
	}
	for (unsigned i = 0; i < SDR_TAPS; i++) {
		for (unsigned j = 0; j < SDR_TAPS; j++) {
			unsigned d = i > j ? i - j : j - i;

			a[i * SDR_TAPS + j] = r[d];
		}
		a[i * SDR_TAPS + i] += r[0] * 1e-6; /* ridge: the near end has silences */
	}
	if (solve(a, b, SDR_TAPS) < 0)
		return NAN;
	for (uint32_t n = i0; n < i1; n++) {
		double t = 0.0, o = out[n + lat];

		for (unsigned j = 0; j < SDR_TAPS; j++)
			t += b[j] * s->near[n + SDR_PRE - j];
		sig += t * t;
		err += (o - t) * (o - t);
	}
	return 10.0 * log10(sig / (err + 1e-9));
}

/* Debugging dumps (PC_BENCH_AEC_DUMP=dir: signals, outputs, our per-frame state): the name of
 * the scenario under way. */
static const char *aec_dump_tag = "";

/*
 * The time (ms) by which the ERLE reached @db for good: the end of the first 250 ms window
 * from which on every window with at least 5 echo-only frames scores @db or more (NAN:
 * never). Windows overlapping the double-talk segment have no echo-only frames.
 */
static double time_to(const struct aec_signals *s, const int16_t *out, uint32_t lat, double thr,
		      double db)
{
	uint32_t win = AEC_RATE / 4, cnt;

	for (uint32_t w0 = 0; w0 + win <= s->len; w0 += win) {
		bool ok = true;

		for (uint32_t w = w0; w + win <= s->len && ok; w += win) {
			double e = erle_span(s, out, lat, w, w + win, thr, &cnt);

			if (cnt >= 5 && !(e >= db))
				ok = false;
		}
		if (ok)
			return (double)(w0 + win) * 1000.0 / AEC_RATE;
	}
	return NAN;
}

static int run_one(const struct aec_signals *s, bool ref, uint32_t lat, struct pc_hist *h,
		   struct aec_result *res)
{
	int16_t *out = calloc(s->len, sizeof(int16_t));
	struct aec_dut d;
	FILE *trace = NULL;
	double thr = 0.0;
	int rc;

	if (out == NULL)
		return -ENOMEM;
	rc = dut_create(&d, ref);
	if (rc < 0)
		goto out_free;
	if (getenv("PC_BENCH_AEC_DUMP") != NULL && !ref) {
		char path[128];

		snprintf(path, sizeof(path), "%s/trace-%s.txt", getenv("PC_BENCH_AEC_DUMP"),
			 aec_dump_tag);
		trace = fopen(path, "w");
	}
	pc_hist_reset(h);
	for (uint32_t f = 0; f + AEC_N <= s->len && rc == 0; f += AEC_N) {
		uint64_t t0 = pc_bench_now_ns();

		rc = dut_process(&d, s->mic + f, s->far + f, out + f);
		pc_hist_record(h, pc_bench_now_ns() - t0);
		if (trace != NULL && d.ours != NULL) {
			struct pc_voice_aec_stats st;

			pc_voice_aec_get_stats(d.ours, &st);
			fprintf(trace, "%u %d %d %.1f %.1f %.1f %.1f\n", f / AEC_N, st.near_active,
				st.double_talk, st.echo_coupling_db, st.res_excess_db,
				st.lin_excess_db, st.mic_excess_db);
		}
	}
	if (trace != NULL)
		fclose(trace);
	res->delay_ms = -1;
	if (d.ours != NULL) {
		struct pc_voice_aec_stats st;

		pc_voice_aec_get_stats(d.ours, &st);
		res->delay_ms = st.delay_ms;
		if (getenv("PC_BENCH_AEC_DEBUG") != NULL)
			fprintf(stderr,
				"ours: dt frames %" PRIu64 " of %" PRIu64
				", coupling %.1f dB, delay %d ms (comp %d, conf %.2f)\n",
				st.dt_frames, st.frames, st.echo_coupling_db, st.delay_ms,
				st.delay_comp_ms, st.delay_confidence);
	}
	dut_destroy(&d);
	if (rc < 0)
		goto out_free;
	res->latency = lat;
	/* The mean echo power over frames with echo; the threshold is 30 dB under it. */
	{
		double e = 0.0;
		uint32_t n = 0;

		for (uint32_t i = 0; i < s->len; i++)
			if (fabsf(s->echo[i]) > 1.0f) {
				e += (double)s->echo[i] * s->echo[i];
				n++;
			}
		thr = n ? e / n * 1e-3 : 1.0;
	}
	res->erle_conv_db = erle_span(s, out, lat, AEC_CONV_S * AEC_RATE, s->len, thr, NULL);
	res->erle_1s_db = erle_span(s, out, lat, 0, AEC_RATE, thr, NULL);
	res->t20_ms = time_to(s, out, lat, thr, 20.0);
	res->t30_ms = time_to(s, out, lat, thr, 30.0);
	if (getenv("PC_BENCH_AEC_DEBUG") != NULL) {
		fprintf(stderr, "%s erle per 2 s:", ref ? "webrtc" : "ours");
		for (uint32_t w = 0; w + 2 * AEC_RATE <= s->len; w += 2 * AEC_RATE)
			fprintf(stderr, " %.1f",
				erle_span(s, out, lat, w, w + 2 * AEC_RATE, thr, NULL));
		fprintf(stderr, "\n");
	}
	res->sdr_db = s->dt1 > s->dt0 ? sdr_db(s, out, lat) : NAN;
	res->cpu_p50_us = (double)pc_hist_quantile(h, 0.5) / 1000.0;
	res->cpu_p99_us = (double)pc_hist_quantile(h, 0.99) / 1000.0;
	if (getenv("PC_BENCH_AEC_DUMP") != NULL) {
		char path[128];
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s-%s.raw", getenv("PC_BENCH_AEC_DUMP"),
			 ref ? "webrtc" : "ours", aec_dump_tag);
		f = fopen(path, "wb");
		if (f != NULL) {
			fwrite(out, sizeof(int16_t), s->len, f);
			fclose(f);
		}
	}
out_free:
	free(out);
	return rc;
}

/* The debugging dumps' signals. */
static void dump_signals(const struct aec_signals *s)
{
	const char *dir = getenv("PC_BENCH_AEC_DUMP");
	char path[128];
	int16_t *v = malloc(s->len * sizeof(int16_t));
	FILE *f;

	if (dir == NULL || v == NULL) {
		free(v);
		return;
	}
	for (int k = 0; k < 3; k++) {
		snprintf(path, sizeof(path), "%s/%s-%s.raw", dir,
			 k == 0 ? "mic" :
			 k == 1 ? "echo" :
				  "near",
			 aec_dump_tag);
		for (uint32_t i = 0; i < s->len; i++)
			v[i] = k == 0 ? s->mic[i] :
					(int16_t)lrintf(k == 1 ? s->echo[i] : s->near[i]);
		f = fopen(path, "wb");
		if (f != NULL) {
			fwrite(v, sizeof(int16_t), s->len, f);
			fclose(f);
		}
	}
	free(v);
}

static int report_rows(struct pc_bench_report *r, const char *scen, const struct aec_result *o,
		       const struct aec_result *w, const char *ref)
{
	char sc[32];
	int rc;

	snprintf(sc, sizeof(sc), "aec/%s", scen);
	rc = pc_bench_report_row(r, sc, "erle_converged", "dB", PC_BENCH_HIGHER_BETTER_DB,
				 o->erle_conv_db, ref, w->erle_conv_db);
	if (rc == 0)
		rc = pc_bench_report_row(r, sc, "erle_first_1s", "dB", PC_BENCH_HIGHER_BETTER_DB,
					 o->erle_1s_db, ref, w->erle_1s_db);
	if (rc == 0)
		rc = pc_bench_report_row(r, sc, "time_to_20db", "ms", PC_BENCH_LOWER_BETTER,
					 o->t20_ms, ref, w->t20_ms);
	if (rc == 0)
		rc = pc_bench_report_row(r, sc, "time_to_30db", "ms", PC_BENCH_LOWER_BETTER,
					 o->t30_ms, ref, w->t30_ms);
	if (rc == 0 && isfinite(o->sdr_db))
		rc = pc_bench_report_row(r, sc, "sdr_doubletalk", "dB", PC_BENCH_HIGHER_BETTER_DB,
					 o->sdr_db, ref, w->sdr_db);
	if (rc == 0)
		rc = pc_bench_report_row(r, sc, "cpu_p50", "us", PC_BENCH_LOWER_BETTER,
					 o->cpu_p50_us, ref, w->cpu_p50_us);
	if (rc == 0)
		rc = pc_bench_report_row(r, sc, "cpu_p99", "us", PC_BENCH_LOWER_BETTER,
					 o->cpu_p99_us, ref, w->cpu_p99_us);
	if (rc == 0)
		rc = pc_bench_report_note(
			r,
			"%s: ours/webrtc ERLE converged %.1f/%.1f dB, first 1 s %.1f/%.1f dB, "
			"to 20 dB %.0f/%.0f ms, to 30 dB %.0f/%.0f ms, SDR %.1f/%.1f dB, cpu p50 "
			"%.1f/%.1f us, latency %u/%u samples, delay estimate %d ms",
			sc, o->erle_conv_db, w->erle_conv_db, o->erle_1s_db, w->erle_1s_db,
			o->t20_ms, w->t20_ms, o->t30_ms, w->t30_ms, o->sdr_db, w->sdr_db,
			o->cpu_p50_us, w->cpu_p50_us, o->latency, w->latency, o->delay_ms);
	return rc;
}

static bool espeak_present(void)
{
	const char *path = getenv("PATH");
	char buf[512];

	while (path != NULL && *path) {
		size_t n = strcspn(path, ":");

		snprintf(buf, sizeof(buf), "%.*s/espeak-ng", (int)n, path);
		if (access(buf, X_OK) == 0)
			return true;
		path += n;
		if (*path == ':')
			path++;
	}
	return false;
}

int pc_bench_aec_run(const struct pc_bench_opts *o)
{
	struct pc_bench_report *r = NULL;
	struct pc_hist *h = NULL;
	float *fs = NULL, *ns = NULL, *rir = NULL;
	uint32_t fn = 0, nn = 0, taps = 0, len, lat_o = 0, lat_w = 0;
	char dir[] = "/tmp/pc-bench-aec.XXXXXX";
	const char *ref = NULL;
	bool have_ref = false;
	int rc;

#ifdef PC_BENCH_HAVE_WEBRTC_APM
	ref = "webrtc-audio-processing 0.3 AEC (high)";
	have_ref = true;
#endif
	if (!espeak_present()) {
		fprintf(stderr, "phonecore bench aec: espeak-ng not installed (Debian: espeak-ng): "
				"no speech to cancel\n");
		return -ENOENT;
	}
	if (mkdtemp(dir) == NULL) {
		rc = -errno;
		fprintf(stderr, "phonecore bench aec: mkdtemp: %s\n", strerror(-rc));
		return rc;
	}
	rc = speak(dir, "far", "en-us", aec_far_text, &fs, &fn);
	if (rc == 0)
		rc = speak(dir, "near", "en+f3", aec_near_text, &ns, &nn);
	rmdir(dir);
	if (rc < 0 || fn < AEC_RATE || nn < AEC_RATE) {
		fprintf(stderr, "phonecore bench aec: espeak-ng failed to make speech: %s\n",
			strerror(rc < 0 ? -rc : EIO));
		rc = rc < 0 ? rc : -EIO;
		goto out_free;
	}
	/* espeak-ng's output peaks near full scale: normalise the peak to 1. */
	{
		float *sigs[2] = { fs, ns };
		uint32_t lens[2] = { fn, nn };

		for (int k = 0; k < 2; k++) {
			float pk = 1.0f;

			for (uint32_t i = 0; i < lens[k]; i++)
				if (fabsf(sigs[k][i]) > pk)
					pk = fabsf(sigs[k][i]);
			for (uint32_t i = 0; i < lens[k]; i++)
				sigs[k][i] /= pk;
		}
	}
	aec_rng = 0x9e3779b97f4a7c15ull ^ (aec_seed() * 104729u);
	rir = make_rir(&taps);
	rc = pc_hist_create(&h);
	if (rc < 0 || rir == NULL) {
		rc = rc < 0 ? rc : -ENOMEM;
		goto out_free;
	}
	rc = pc_bench_report_create(&r, "aec", o);
	if (rc < 0)
		goto out_free;
	len = (o->quick ? 12 : 24) * AEC_RATE;
	rc = measure_latency(false, ns, nn, &lat_o);
	if (rc == 0 && have_ref)
		rc = measure_latency(true, ns, nn, &lat_w);
	if (rc < 0) {
		fprintf(stderr, "phonecore bench aec: latency run failed: %s\n", strerror(-rc));
		goto out_report;
	}
	rc = pc_bench_report_note(
		r,
		"16 kHz, 10 ms frames, %u s per scenario; far end espeak-ng en-us at -6 dBFS peak; "
		"room %d ms, RT60 %.1f s, bulk delay %d ms, path %.0f dB; noise %.0f dB; "
		"double-talk %d s of espeak-ng en+f3 at 0 dB to the echo; ours: pc_voice_aec "
		"flags 0x%x via a cpu hwaccel engine, latency %u samples%s",
		len / AEC_RATE, AEC_RIR_MS, AEC_RT60_S, AEC_DELAY_MS, AEC_PATH_DB, AEC_NOISE_DB,
		AEC_DT_S, aec_flags(), lat_o,
		have_ref ? "" : "; no reference: built without webrtc-audio-processing");
	if (rc < 0)
		goto out_report;
	if (have_ref)
		rc = pc_bench_report_note(
			r,
			"reference: AudioProcessing with echo_cancellation() only, "
			"high suppression, drift off, stream delay %d ms; "
			"latency %u samples",
			AEC_DELAY_MS, lat_w);
	for (int sc = 0; sc < AEC_NSCEN && rc == 0; sc++) {
		struct aec_signals s;
		struct aec_result ro = { 0 }, rw = { 0 };

		rc = signals_make(&s, (enum aec_scenario)sc, len, fs, fn, ns, nn, rir, taps);
		if (rc < 0)
			break;
		aec_dump_tag = aec_scen_name[sc];
		dump_signals(&s);
		rc = run_one(&s, false, lat_o, h, &ro);
		if (rc == 0 && have_ref)
			rc = run_one(&s, true, lat_w, h, &rw);
		if (rc == 0 && !have_ref) {
			rw.erle_conv_db = rw.erle_1s_db = rw.t20_ms = rw.t30_ms = rw.sdr_db = NAN;
			rw.cpu_p50_us = rw.cpu_p99_us = NAN;
		}
		if (rc == 0)
			rc = report_rows(r, aec_scen_name[sc], &ro, &rw, ref);
		/* Ours also suppresses background noise, which lifts its ERLE over an output of
		 * pure noise (webrtc's echo canceller alone does not): the same run without it,
		 * for the notes. */
		if (rc == 0) {
			struct aec_result rn = { 0 };

			aec_extra_flags = PC_VOICE_AEC_NO_NS;
			rc = run_one(&s, false, lat_o, h, &rn);
			aec_extra_flags = 0;
			if (rc == 0)
				rc = pc_bench_report_note(
					r,
					"%s: ours without noise suppression: ERLE "
					"converged %.1f dB, first 1 s %.1f dB, SDR %.1f dB",
					aec_scen_name[sc], rn.erle_conv_db, rn.erle_1s_db,
					rn.sdr_db);
		}
		signals_free(&s);
	}
	if (rc < 0) {
		fprintf(stderr, "phonecore bench aec: %s\n", strerror(-rc));
		goto out_report;
	}
	rc = pc_bench_report_finish(r);
out_report:
	pc_bench_report_destroy(r);
out_free:
	pc_hist_destroy(h);
	free(rir);
	free(fs);
	free(ns);
	return rc;
}
