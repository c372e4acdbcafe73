/* SPDX-License-Identifier: MIT */
/*
 * audio_codec_test.c - the audio codecs of codecs/pc_audio_codec.h.
 *
 * G.711 known answers: our table codec against the reference bit-level algorithm written out
 * below (the classic Sun g711.c, as in ITU-T G.191's g711.c: segment search over the decision
 * values of G.711 Tables 1a and 2a) for all 65536 linear inputs and all 256 codes, plus values
 * quoted from the G.711 tables. Round trips for every codec (a tone, a chirp, a speech-like
 * signal) with the SNR after best-lag alignment above thresholds measured here; payload sizes;
 * packet-loss concealment (non-silent and bounded after good frames; our G.711 Appendix I PLC
 * of G.711 and G.722, alone and through the codecs: SNR of a concealed voiced frame against the
 * true one, the fade to silence by 60 ms, no discontinuity after the loss, any block size, the
 * spandsp plc_fillin overlap regression); Opus FEC recovering a lost frame better than PLC
 * alone; Annex B SID frames and Opus DTX; malformed payloads rejected (and random ones never
 * crash); lookup by name and payload type; the RFC 3389 comfort-noise helpers.
 *
 * Measured SNRs (dB, this build, best lag): see the thresholds below; each threshold is the
 * measured value less a margin of about 3 dB (library versions differ in the last bits).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acodec_plc_pvt.h" /* the PLC alone (codecs/, internal) */
#include "pc_audio_codec.h"

#define TEST_FRAMES 100 /* 2 s of 20 ms frames per round trip */

/* --- the G.711 reference (Sun g711.c / ITU-T G.191), bit level -------------------------------- */

static const int16_t ref_seg_aend[8] = { 0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff };
static const int16_t ref_seg_uend[8] = { 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff };

static int ref_search(int val, const int16_t *table, int size)
{
	for (int i = 0; i < size; i++)
		if (val <= table[i])
			return i;
	return size;
}

static uint8_t ref_linear2alaw(int16_t pcm_val)
{
	int mask, seg, v = pcm_val >> 3;
	uint8_t aval;

	if (v >= 0) {
		mask = 0xd5; /* sign (7th) bit = 1 */
	} else {
		mask = 0x55; /* sign bit = 0 */
		v = -v - 1;
	}
	seg = ref_search(v, ref_seg_aend, 8);
	if (seg >= 8)
		return (uint8_t)(0x7f ^ mask);
	aval = (uint8_t)(seg << 4);
	if (seg < 2)
		aval |= (v >> 1) & 0xf;
	else
		aval |= (v >> seg) & 0xf;
	return (uint8_t)(aval ^ mask);
}

static int16_t ref_alaw2linear(uint8_t a_val)
{
	int t, seg;

	a_val ^= 0x55;
	t = (a_val & 0xf) << 4;
	seg = (a_val & 0x70) >> 4;
	switch (seg) {
	case 0:
		t += 8;
		break;
	case 1:
		t += 0x108;
		break;
	default:
		t += 0x108;
		t <<= seg - 1;
	}
	return (int16_t)((a_val & 0x80) ? t : -t);
}

static uint8_t ref_linear2ulaw(int16_t pcm_val)
{
	int mask, seg, v = pcm_val >> 2;

	if (v < 0) {
		v = -v;
		mask = 0x7f;
	} else {
		mask = 0xff;
	}
	if (v > 8159) /* CLIP */
		v = 8159;
	v += 0x84 >> 2; /* BIAS */
	seg = ref_search(v, ref_seg_uend, 8);
	if (seg >= 8)
		return (uint8_t)(0x7f ^ mask);
	return (uint8_t)(((seg << 4) | ((v >> (seg + 1)) & 0xf)) ^ mask);
}

static int16_t ref_ulaw2linear(uint8_t u_val)
{
	int t;

	u_val = (uint8_t)~u_val;
	t = ((u_val & 0xf) << 3) + 0x84;
	t <<= (u_val & 0x70) >> 4;
	return (int16_t)((u_val & 0x80) ? (0x84 - t) : (t - 0x84));
}

Test(g711, all_inputs_match_reference)
{
	static int16_t lin[65536];
	static uint8_t mu[65536], a[65536];

	/* Given every 16-bit linear value */
	for (int i = 0; i < 65536; i++)
		lin[i] = (int16_t)(i - 32768);
	/* When our table codec encodes them all */
	pc_g711_ulaw_encode_buf(mu, lin, 65536);
	pc_g711_alaw_encode_buf(a, lin, 65536);
	/* Then each code is the reference algorithm's */
	for (int i = 0; i < 65536; i++) {
		cr_assert_eq(mu[i], ref_linear2ulaw(lin[i]), "mu-law of %d: %#x, reference %#x",
			     lin[i], mu[i], ref_linear2ulaw(lin[i]));
		cr_assert_eq(a[i], ref_linear2alaw(lin[i]), "A-law of %d: %#x, reference %#x",
			     lin[i], a[i], ref_linear2alaw(lin[i]));
	}
}

Test(g711, all_codes_match_reference)
{
	uint8_t codes[256];
	int16_t mu[256], a[256];

	/* Given every code */
	for (int i = 0; i < 256; i++)
		codes[i] = (uint8_t)i;
	/* When decoded by the buffer functions and read from the tables */
	pc_g711_ulaw_decode_buf(mu, codes, 256);
	pc_g711_alaw_decode_buf(a, codes, 256);
	/* Then each value is the reference decoder's */
	for (int i = 0; i < 256; i++) {
		cr_assert_eq(mu[i], ref_ulaw2linear((uint8_t)i), "mu-law code %#x", i);
		cr_assert_eq(a[i], ref_alaw2linear((uint8_t)i), "A-law code %#x", i);
		cr_assert_eq(pc_g711_ulaw_to_linear[i], mu[i]);
		cr_assert_eq(pc_g711_alaw_to_linear[i], a[i]);
	}
}

/* Values quoted from G.711 Tables 1a (A-law, 13-bit magnitudes: x8 here) and 2a (mu-law, 14-bit:
 * x4 here), as character signals on the wire (A-law with its even bits inverted, mu-law with
 * all bits inverted). */
Test(g711, itu_table_values)
{
	static const struct {
		int16_t lin;
		uint8_t mu, a;
	} enc[] = {
		{ 0, 0xff, 0xd5 },	/* the first interval of either law, positive */
		{ -1, 0x7e, 0x55 },	/* A: -1 is the first negative interval */
		{ 32767, 0x80, 0xaa },	/* overload: mu-law 1000 0000, A-law 1010 1010 */
		{ -32768, 0x00, 0x2a }, /* negative overload */
		{ 4 * 30, 0xf0, 0xd2 }, /* mu 14-bit 30: last step of segment 0 */
		{ 4 * 31, 0xef, 0xd2 }, /* mu 14-bit 31: decision value opening segment 1 */
		{ 8 * 31, 0xe8, 0xda }, /* A 13-bit 31: last step of segment 0 */
		{ 8 * 32, 0xe7, 0xc5 }, /* A 13-bit 32: decision value opening segment 1 */
	};
	static const struct {
		uint8_t code;
		int16_t lin;
		bool alaw;
	} dec[] = {
		{ 0x80, 4 * 8031, false },  /* mu-law: largest decoder output, 8031 */
		{ 0x00, 4 * -8031, false }, /* and its negative */
		{ 0xff, 0, false },	    /* the zero interval */
		{ 0xfe, 4 * 2, false },	    /* next interval: output 2 */
		{ 0xaa, 8 * 4032, true },   /* A-law: largest decoder output, 4032 */
		{ 0x2a, 8 * -4032, true },  /* and its negative */
		{ 0xd5, 8 * 1, true },	    /* the first interval: output 1 */
		{ 0x55, 8 * -1, true },
	};

	for (size_t i = 0; i < sizeof(enc) / sizeof(enc[0]); i++) {
		uint8_t m, a;

		/* Given a quoted linear value, When encoded, Then the quoted codes */
		pc_g711_ulaw_encode_buf(&m, &enc[i].lin, 1);
		pc_g711_alaw_encode_buf(&a, &enc[i].lin, 1);
		cr_expect_eq(m, enc[i].mu, "mu-law of %d: %#x, quoted %#x", enc[i].lin, m,
			     enc[i].mu);
		cr_expect_eq(a, enc[i].a, "A-law of %d: %#x, quoted %#x", enc[i].lin, a, enc[i].a);
	}
	for (size_t i = 0; i < sizeof(dec) / sizeof(dec[0]); i++) {
		int16_t v;

		/* Given a quoted code, When decoded, Then the quoted decoder output */
		if (dec[i].alaw)
			pc_g711_alaw_decode_buf(&v, &dec[i].code, 1);
		else
			pc_g711_ulaw_decode_buf(&v, &dec[i].code, 1);
		cr_expect_eq(v, dec[i].lin, "code %#x: %d, quoted %d", dec[i].code, v, dec[i].lin);
	}
}

/* --- signals and measures --------------------------------------------------------------------- */

enum sig_kind {
	SIG_TONE,   /* 1 kHz (G.729, Opus: 440 Hz) at -10 dBFS */
	SIG_CHIRP,  /* 200 Hz rising to 3.2 kHz over the run */
	SIG_SPEECH, /* harmonics of a gliding pitch under three formants, syllable envelope */
};

/* @n samples at @rate of signal @k; @f_tone the tone's frequency. */
static void make_signal(int16_t *x, size_t n, unsigned rate, enum sig_kind k, double f_tone)
{
	const double pi = 3.14159265358979323846;
	double phase = 0;

	for (size_t i = 0; i < n; i++) {
		double t = (double)i / rate, v = 0;

		switch (k) {
		case SIG_TONE:
			v = 0.3 * sin(2 * pi * f_tone * t);
			break;
		case SIG_CHIRP: {
			double dur = (double)n / rate, f0 = 200, f1 = 3200;

			/* Linear chirp: phase = 2 pi (f0 t + (f1 - f0) t^2 / 2 dur). */
			v = 0.3 * sin(2 * pi * (f0 * t + (f1 - f0) * t * t / (2 * dur)));
			break;
		}
		case SIG_SPEECH: {
			static const double formant[3] = { 600, 1400, 2600 };
			double f0 = 150 + 50 * sin(2 * pi * 1.3 * t), env;

			phase += 2 * pi * f0 / rate;
			for (int h = 1; h * f0 < 3400; h++) {
				double f = h * f0, w = 0;

				for (int j = 0; j < 3; j++)
					w += exp(-(f - formant[j]) * (f - formant[j]) /
						 (2 * 150.0 * 150));
				v += (0.15 + w) / h * sin(h * phase);
			}
			env = 0.25 + 0.75 * fabs(sin(2 * pi * 2.5 * t));
			v *= 0.12 * env;
			break;
		}
		}
		x[i] = (int16_t)lrint(v * 32767);
	}
}

/* SNR (dB) of @y against @x over [@from, @to) of x, y read at lag @lag (y[i + lag] ~ x[i]). */
static double snr_at(const int16_t *x, const int16_t *y, size_t ny, size_t from, size_t to,
		     size_t lag)
{
	double e = 0, d = 0;

	for (size_t i = from; i < to && i + lag < ny; i++) {
		double diff = (double)x[i] - y[i + lag];

		e += (double)x[i] * x[i];
		d += diff * diff;
	}
	if (d == 0)
		return 200;
	return 10 * log10(e / d);
}

/* The best SNR over lags 0..@max_lag, the codec's delay unknown; *@lag_out gets the lag. */
static double snr_best(const int16_t *x, const int16_t *y, size_t n, size_t from, size_t to,
		       size_t max_lag, size_t *lag_out)
{
	double best = -1e9;

	for (size_t lag = 0; lag <= max_lag; lag++) {
		double s = snr_at(x, y, n, from, to, lag);

		if (s > best) {
			best = s;
			if (lag_out != NULL)
				*lag_out = lag;
		}
	}
	return best;
}

static struct pc_acodec *make_codec(const char *name, void (*tweak)(struct pc_acodec_params *))
{
	struct pc_acodec_params p;
	struct pc_acodec *c = NULL;
	int rc;

	pc_acodec_params_init(&p, name);
	if (tweak != NULL)
		tweak(&p);
	rc = pc_acodec_create(&c, &p);
	cr_assert_eq(rc, 0, "pc_acodec_create(%s): %d", name, rc);
	return c;
}

/* Encode @x (@frames ptimes) and decode each payload into @y; returns samples decoded. */
static size_t run_through(struct pc_acodec *c, const int16_t *x, unsigned frames, int16_t *y)
{
	const struct pc_acodec_info *in = pc_acodec_get_info(c);
	uint8_t pl[PC_ACODEC_MAX_PAYLOAD];
	size_t got = 0;

	for (unsigned f = 0; f < frames; f++) {
		int len = pc_acodec_encode(c, x + (size_t)f * in->frame_samples, pl, sizeof(pl));
		int n;

		cr_assert_geq(len, 0, "%s encode: %d", in->name, len);
		cr_assert_leq(len, (int)in->max_payload);
		if (len == 0)
			n = pc_acodec_conceal(c, NULL, 0, y + got, in->frame_samples);
		else
			n = pc_acodec_decode(c, pl, (size_t)len, y + got, in->max_samples);
		cr_assert_eq(n, (int)in->frame_samples, "%s decode: %d", in->name, n);
		got += (size_t)n;
	}
	return got;
}

/* Round trip of @kind through codec @name; the best-lag SNR over the middle of the run. */
static double round_trip(const char *name, void (*tweak)(struct pc_acodec_params *),
			 enum sig_kind kind, double f_tone, size_t *lag)
{
	struct pc_acodec *c = make_codec(name, tweak);
	const struct pc_acodec_info *in = pc_acodec_get_info(c);
	size_t n = (size_t)in->frame_samples * TEST_FRAMES;
	int16_t *x = calloc(n, sizeof(*x)), *y = calloc(n, sizeof(*y));
	double snr;

	cr_assert(x != NULL && y != NULL);
	make_signal(x, n, in->sample_rate, kind, f_tone);
	cr_assert_eq(run_through(c, x, TEST_FRAMES, y), n);
	/* Skip the first 10 frames (start-up); lags up to 30 ms. */
	snr = snr_best(x, y, n, n / 10, n - in->sample_rate / 20, in->sample_rate * 30 / 1000, lag);
	free(x);
	free(y);
	pc_acodec_destroy(c);
	return snr;
}

/* --- round trips ------------------------------------------------------------------------------ */

/* Thresholds: the SNRs measured here (libopus 1.3.1, spandsp 0.0.6, bcg729 1.1.1) less ~3 dB:
 *           chirp measured / threshold   speech-like measured / threshold
 *   PCMU    36.9 / 34                    37.0 / 34
 *   PCMA    36.0 / 33                    37.7 / 34
 *   G722    47.2 / 42                    35.0 / 31
 *   G729    11.8 / 8                      4.7 / 2.5
 *   opus    17.0 / 13 (24 kbit/s, 48 kHz) 10.9 / 7.5
 * G.729 and Opus are not waveform coders; their SNR is low by design and measured so that a
 * broken path (silence, wrong rate, lost sync) fails. */
struct rt_case {
	const char *name;
	double chirp_db, speech_db;
};

static const struct rt_case rt_cases[] = {
	{ "PCMU", 34, 34 }, { "PCMA", 33, 34 },	 { "G722", 42, 31 },
	{ "G729", 8, 2.5 }, { "opus", 13, 7.5 },
};

Test(round_trip, every_codec_chirp_and_speech)
{
	for (size_t i = 0; i < sizeof(rt_cases) / sizeof(rt_cases[0]); i++) {
		size_t lag;
		double s;

		/* Given a chirp, When coded and decoded, Then the SNR at the best lag clears the
		 * codec's threshold */
		s = round_trip(rt_cases[i].name, NULL, SIG_CHIRP, 0, &lag);
		cr_expect_geq(s, rt_cases[i].chirp_db, "%s chirp: %.2f dB (lag %zu)",
			      rt_cases[i].name, s, lag);
		/* And the same for the speech-like signal */
		s = round_trip(rt_cases[i].name, NULL, SIG_SPEECH, 0, &lag);
		cr_expect_geq(s, rt_cases[i].speech_db, "%s speech: %.2f dB (lag %zu)",
			      rt_cases[i].name, s, lag);
	}
}

Test(round_trip, g711_tone_without_delay)
{
	size_t lag = 99;
	double s;

	/* Given a 1 kHz tone at -10 dBFS through mu-law, Then it comes back undelayed at the
	 * SNR of 8-bit log PCM (measured 46.7 dB: the tone's period samples the steps evenly) */
	s = round_trip("PCMU", NULL, SIG_TONE, 1000, &lag);
	cr_expect_geq(s, 35, "PCMU tone %.2f dB", s);
	cr_expect_eq(lag, 0);
	s = round_trip("PCMA", NULL, SIG_TONE, 1000, &lag);
	cr_expect_geq(s, 33, "PCMA tone %.2f dB", s);
	cr_expect_eq(lag, 0);
}

static void opus_16k(struct pc_acodec_params *p)
{
	p->sample_rate = 16000;
}

Test(round_trip, opus_at_16k)
{
	size_t lag;
	double s;

	/* Given Opus working on 16 kHz PCM (measured 22.6 dB on the chirp) */
	s = round_trip("opus", opus_16k, SIG_CHIRP, 0, &lag);
	cr_expect_geq(s, 18, "opus 16k chirp: %.2f dB", s);
}

/* --- info, sizes, lookup ---------------------------------------------------------------------- */

Test(info, rates_payload_types_and_frames)
{
	static const struct {
		const char *name;
		uint32_t rate, clock, frame, ts;
		int pt;
	} want[] = {
		{ "PCMU", 8000, 8000, 160, 160, 0 },	{ "pcma", 8000, 8000, 160, 160, 8 },
		{ "G722", 16000, 8000, 320, 160, 9 },	{ "g729", 8000, 8000, 160, 160, 18 },
		{ "OPUS", 48000, 48000, 960, 960, -1 },
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct pc_acodec *c = make_codec(want[i].name, NULL);
		const struct pc_acodec_info *in = pc_acodec_get_info(c);

		/* Given a codec made by name, Then its rates (G.722's RTP clock 8000, RFC 3551
		 * 4.5.2), static PT and 20 ms frame */
		cr_expect_eq(in->sample_rate, want[i].rate, "%s", want[i].name);
		cr_expect_eq(in->clock_rate, want[i].clock, "%s", want[i].name);
		cr_expect_eq(in->frame_samples, want[i].frame, "%s", want[i].name);
		cr_expect_eq(in->frame_ts, want[i].ts, "%s", want[i].name);
		cr_expect_eq(in->static_pt, want[i].pt, "%s", want[i].name);
		cr_expect_eq(in->ptime_ms, 20);
		cr_expect_eq(in->channels, 1);
		pc_acodec_destroy(c);
	}
}

static unsigned g729_ptime;

static void set_g729_ptime(struct pc_acodec_params *p)
{
	p->ptime_ms = (uint8_t)g729_ptime;
}

Test(sizes, payload_bytes_per_ptime)
{
	static const struct {
		const char *name;
		unsigned ptime, bytes;
	} want[] = {
		{ "PCMU", 20, 160 }, { "PCMA", 20, 160 }, { "PCMU", 30, 240 }, { "G722", 20, 160 },
		{ "G729", 10, 10 },  { "G729", 20, 20 },  { "G729", 60, 60 },
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct pc_acodec *c;
		const struct pc_acodec_info *in;
		int16_t x[960];
		uint8_t pl[PC_ACODEC_MAX_PAYLOAD];
		int len;

		g729_ptime = want[i].ptime;
		c = make_codec(want[i].name, set_g729_ptime);
		in = pc_acodec_get_info(c);
		make_signal(x, in->frame_samples, in->sample_rate, SIG_SPEECH, 0);
		/* Given one ptime of signal, When encoded, Then the RFC 3551 size */
		len = pc_acodec_encode(c, x, pl, sizeof(pl));
		cr_expect_eq(len, (int)want[i].bytes, "%s/%u ms: %d bytes", want[i].name,
			     want[i].ptime, len);
		/* And a cap one byte short is refused */
		cr_expect_eq(pc_acodec_encode(c, x, pl, want[i].bytes - 1), -EMSGSIZE);
		pc_acodec_destroy(c);
	}
}

Test(lookup, by_name_and_payload_type)
{
	/* Given rtpmap names in any case, with and without the clock rate */
	cr_expect_eq(pc_acodec_lookup_name("PCMU", 8000), PC_ACODEC_PCMU);
	cr_expect_eq(pc_acodec_lookup_name("pcma", 0), PC_ACODEC_PCMA);
	cr_expect_eq(pc_acodec_lookup_name("G722", 8000), PC_ACODEC_G722);
	cr_expect_eq(pc_acodec_lookup_name("G722", 16000), -ENOENT); /* RFC 3551: 8000 */
	cr_expect_eq(pc_acodec_lookup_name("g729", 8000), PC_ACODEC_G729);
	cr_expect_eq(pc_acodec_lookup_name("opus", 48000), PC_ACODEC_OPUS);
	cr_expect_eq(pc_acodec_lookup_name("opus", 8000), -ENOENT);
	cr_expect_eq(pc_acodec_lookup_name("GSM", 8000), -ENOENT);
	cr_expect_eq(pc_acodec_lookup_name(NULL, 0), -ENOENT);
	/* And static payload types */
	cr_expect_eq(pc_acodec_lookup_pt(0), PC_ACODEC_PCMU);
	cr_expect_eq(pc_acodec_lookup_pt(8), PC_ACODEC_PCMA);
	cr_expect_eq(pc_acodec_lookup_pt(9), PC_ACODEC_G722);
	cr_expect_eq(pc_acodec_lookup_pt(18), PC_ACODEC_G729);
	cr_expect_eq(pc_acodec_lookup_pt(13), -ENOENT); /* CN is not a codec here */
	cr_expect_eq(pc_acodec_lookup_pt(96), -ENOENT);
	cr_expect_eq(pc_acodec_static_pt(PC_ACODEC_OPUS), -1);
	cr_expect_eq(pc_acodec_static_pt(PC_ACODEC_G729), 18);
	cr_expect_str_eq(pc_acodec_name(PC_ACODEC_OPUS), "opus");
	cr_expect_null(pc_acodec_name(PC_ACODEC_COUNT));
}

static void bad_rate(struct pc_acodec_params *p)
{
	p->clock_rate = 16000;
}

Test(create, rejects_bad_params)
{
	struct pc_acodec_params p;
	struct pc_acodec *c = (struct pc_acodec *)0x1;

	/* Given params the codecs do not have, Then each is refused and *out left alone */
	pc_acodec_params_init(&p, "G729");
	bad_rate(&p);
	cr_expect_eq(pc_acodec_create(&c, &p), -ENOTSUP);
	pc_acodec_params_init(&p, "opus");
	p.ptime_ms = 30;
	cr_expect_eq(pc_acodec_create(&c, &p), -EINVAL);
	pc_acodec_params_init(&p, "opus");
	p.sample_rate = 44100;
	cr_expect_eq(pc_acodec_create(&c, &p), -ENOTSUP);
	pc_acodec_params_init(&p, "opus");
	p.opus_bitrate = 1000;
	cr_expect_eq(pc_acodec_create(&c, &p), -EINVAL);
	pc_acodec_params_init(&p, "PCMU");
	p.channels = 2;
	cr_expect_eq(pc_acodec_create(&c, &p), -EINVAL);
	pc_acodec_params_init(&p, "PCMU");
	p.ptime_ms = 25;
	cr_expect_eq(pc_acodec_create(&c, &p), -EINVAL);
	pc_acodec_params_init(&p, "iLBC");
	cr_expect_eq(pc_acodec_create(&c, &p), -ENOENT);
	cr_expect_eq(pc_acodec_create(&c, NULL), -EINVAL);
	cr_expect_eq(c, (struct pc_acodec *)0x1);
}

/* --- concealment ------------------------------------------------------------------------------ */

static double rms(const int16_t *x, size_t n)
{
	double e = 0;

	for (size_t i = 0; i < n; i++)
		e += (double)x[i] * x[i];
	return sqrt(e / (double)n);
}

static int peak(const int16_t *x, size_t n)
{
	int m = 0;

	for (size_t i = 0; i < n; i++)
		m = abs(x[i]) > m ? abs(x[i]) : m;
	return m;
}

Test(plc, non_silent_and_bounded_after_good_frames)
{
	static const char *const names[] = { "PCMU", "PCMA", "G722", "G729", "opus" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct pc_acodec *c = make_codec(names[i], NULL);
		const struct pc_acodec_info *in = pc_acodec_get_info(c);
		size_t fs = in->frame_samples, n = fs * 10;
		int16_t *x = calloc(n, sizeof(*x)), *y = calloc(n, sizeof(*y));
		int16_t z[PC_ACODEC_MAX_SAMPLES];
		double r_good, r_plc;
		int p_good, p_plc, got;

		cr_assert(x != NULL && y != NULL);
		/* Given ten good frames of a voiced signal decoded */
		make_signal(x, n, in->sample_rate, SIG_TONE, 300);
		run_through(c, x, 10, y);
		r_good = rms(y + n - fs, fs);
		p_good = peak(y + n - fs, fs);
		/* When the next packet is lost */
		got = pc_acodec_conceal(c, NULL, 0, z, sizeof(z) / sizeof(z[0]));
		cr_assert_eq(got, (int)fs, "%s conceal: %d", names[i], got);
		r_plc = rms(z, fs);
		p_plc = peak(z, fs);
		/* Then the fill-in is audible (not silence) and no louder than what came before */
		cr_expect_gt(r_plc, r_good * 0.2, "%s PLC rms %.0f after %.0f", names[i], r_plc,
			     r_good);
		cr_expect_leq(p_plc, p_good * 3 / 2 + 100, "%s PLC peak %d after %d", names[i],
			      p_plc, p_good);
		/* And a cap below one ptime is refused */
		cr_expect_eq(pc_acodec_conceal(c, NULL, 0, z, fs - 1), -EMSGSIZE);
		free(x);
		free(y);
		pc_acodec_destroy(c);
	}
}

/* --- our PLC (ITU-T G.711 Appendix I, codecs/acodec_plc.c) ------------------------------------ */

/* The voiced test signal: a 150 Hz wave rich in harmonics (every harmonic below 3.4 kHz at 1/h,
 * phases spread so that the period is not symmetric), peak about -8 dBFS, at @rate. Its period
 * is 53.3 samples at 8 kHz: the repeated integer period slips, as with real voices. */
static void make_voiced(int16_t *x, size_t n, unsigned rate)
{
	const double pi = 3.14159265358979323846, f0 = 150;

	for (size_t i = 0; i < n; i++) {
		double t = (double)i / rate, v = 0;

		for (int h = 1; h * f0 < 3400; h++)
			v += 1.0 / h * sin(2 * pi * h * f0 * t + 0.7 * h * h);
		x[i] = (int16_t)lrint(0.15 * v * 32767);
	}
}

/* The largest step between neighbouring samples of @x[0..n). */
static int max_step(const int16_t *x, size_t n)
{
	int m = 0;

	for (size_t i = 1; i < n; i++)
		m = abs(x[i] - x[i - 1]) > m ? abs(x[i] - x[i - 1]) : m;
	return m;
}

/*
 * Through the PLC alone: @y is @x received in 20 ms blocks up to @start, then @lost samples
 * concealed (in 20 ms calls), then one 20 ms block received (merged with the concealment).
 */
static void plc_lose(struct pc_acodec_plc *p, const int16_t *x, int16_t *y, size_t start,
		     size_t lost)
{
	size_t fs = p->rate / 50, i;

	memcpy(y, x, (start + lost + fs) * sizeof(*y));
	for (i = 0; i + fs <= start; i += fs)
		pc_acodec_plc_rx(p, y + i, fs);
	if (i < start)
		pc_acodec_plc_rx(p, y + i, start - i);
	for (i = 0; i < lost; i += fs)
		pc_acodec_plc_conceal(p, y + start + i, lost - i < fs ? lost - i : fs);
	pc_acodec_plc_rx(p, y + start + lost, fs);
}

Test(plc_g711a, init_rates)
{
	static struct pc_acodec_plc p;

	/* Given the rates of G.711 and G.722, Then accepted with Appendix I's sizes scaled */
	cr_assert_eq(pc_acodec_plc_init(&p, 8000), 0);
	cr_expect_eq(p.hist_len, 390); /* 48.75 ms */
	cr_expect_eq(p.pitch_min, 40);
	cr_expect_eq(p.pitch_max, 120);
	cr_assert_eq(pc_acodec_plc_init(&p, 16000), 0);
	cr_expect_eq(p.hist_len, 780);
	cr_expect_eq(p.pitch_max, 240);
	/* And rates it was not sized for are refused */
	cr_expect_eq(pc_acodec_plc_init(&p, 0), -ENOTSUP);
	cr_expect_eq(pc_acodec_plc_init(&p, 11025), -ENOTSUP);
	cr_expect_eq(pc_acodec_plc_init(&p, 48000), -ENOTSUP);
}

/* Thresholds measured here over 16 erasure phases (this algorithm / spandsp 0.0.6's plc_t on
 * the same signal and losses, for comparison):
 *   8 kHz  20 ms lost: SNR min 10.1 dB mean 10.2 (spandsp min 7.1 mean 8.6); threshold 7
 *   16 kHz 20 ms lost: SNR min 14.7 dB mean 15.0 (spandsp min 6.0 mean 6.9); threshold 11
 * Repeating silence scores 0 dB. */
Test(plc_g711a, voiced_erasure_20ms_snr)
{
	static const struct {
		unsigned rate, pitch_lo, pitch_hi;
		double min_db;
	} cases[] = { { 8000, 53, 54, 7.0 }, { 16000, 106, 107, 11.0 } };

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		unsigned rate = cases[c].rate;
		size_t fs = rate / 50, n = fs * 14;
		int16_t *x = calloc(n, sizeof(*x)), *y = calloc(n, sizeof(*y));
		double worst = 1e9, sum = 0;

		cr_assert(x != NULL && y != NULL);
		make_voiced(x, n, rate);
		for (unsigned k = 0; k < 16; k++) {
			static struct pc_acodec_plc p;
			size_t start = fs * 10 + k * fs / 16;
			double snr;

			/* Given 200 ms of the voiced wave received, When the next 20 ms are lost
			 * (at 16 phases of the period) */
			cr_assert_eq(pc_acodec_plc_init(&p, rate), 0);
			plc_lose(&p, x, y, start, fs);
			/* Then the pitch found is the wave's period (150 Hz) */
			cr_expect(p.pitch >= cases[c].pitch_lo && p.pitch <= cases[c].pitch_hi,
				  "%u Hz: pitch %u", rate, p.pitch);
			/* And the concealment is close to the true continuation */
			snr = snr_at(x, y, n, start, start + fs, 0);
			worst = snr < worst ? snr : worst;
			sum += snr;
		}
		cr_expect_geq(worst, cases[c].min_db, "%u Hz: concealment SNR %.2f dB", rate,
			      worst);
		cr_log_info("PLC %u Hz, 20 ms lost: SNR min %.2f mean %.2f dB\n", rate, worst,
			    sum / 16);
		free(x);
		free(y);
	}
}

Test(plc_g711a, long_erasure_fades_to_silence_by_60ms)
{
	static const unsigned rates[] = { 8000, 16000 };

	for (size_t c = 0; c < 2; c++) {
		static struct pc_acodec_plc p;
		unsigned rate = rates[c];
		size_t fs = rate / 50, ten = rate / 100, start = fs * 10, lost = ten * 10;
		int16_t *x = calloc(start + lost + fs, sizeof(*x));
		int16_t *y = calloc(start + lost + fs, sizeof(*y));
		double r0 = 0, prev = 1e9;

		cr_assert(x != NULL && y != NULL);
		make_voiced(x, start + lost + fs, rate);
		r0 = rms(x + start - ten, ten);
		/* Given the voiced wave received, When 100 ms are lost */
		cr_assert_eq(pc_acodec_plc_init(&p, rate), 0);
		plc_lose(&p, x, y, start, lost);
		/* Then the first 10 ms keep the level, and each 10 ms after is quieter */
		cr_expect_gt(rms(y + start, ten), 0.7 * r0, "%u Hz", rate);
		for (size_t t = 0; t < 6; t++) {
			double r = rms(y + start + t * ten, ten);

			cr_expect_leq(r, prev * 1.05, "%u Hz, %zu0 ms: rms %.0f after %.0f", rate,
				      t, r, prev);
			prev = r;
		}
		/* And 50..60 ms is faint (the gain ramps 0.2 -> 0) */
		cr_expect_lt(rms(y + start + 5 * ten, ten), 0.2 * r0, "%u Hz", rate);
		/* And from 60 ms on it is silent */
		cr_expect_eq(peak(y + start + 6 * ten, lost - 6 * ten), 0, "%u Hz", rate);
		free(x);
		free(y);
	}
}

/* Discontinuity at the end of an erasure. The wave's own largest step is the reference:
 * measured, the largest step from the last good sample before the loss to the end of the
 * first good block after it is 1.012 times the wave's (8 kHz) and 1.004 (16 kHz), for 10 to
 * 80 ms lost; threshold 1.1. The step from the concealment into the received block, merged,
 * sums to 0.28 (8 kHz) and 0.16 (16 kHz) of what pasting the block would give; threshold a
 * half. */
Test(plc_g711a, no_discontinuity_after_erasure)
{
	static const unsigned rates[] = { 8000, 16000 }, lost_ms[] = { 10, 20, 40, 80 };

	for (size_t c = 0; c < 2; c++) {
		unsigned rate = rates[c];
		size_t fs = rate / 50, n = fs * 16;
		int16_t *x = calloc(n, sizeof(*x)), *y = calloc(n, sizeof(*y));
		int wave_step, worst = 0;
		double merged = 0, pasted = 0;

		cr_assert(x != NULL && y != NULL);
		make_voiced(x, n, rate);
		wave_step = max_step(x, n);
		for (size_t l = 0; l < 4; l++) {
			for (unsigned k = 0; k < 8; k++) {
				static struct pc_acodec_plc p;
				size_t start = fs * 10 + k * fs / 8,
				       lost = rate / 1000 * lost_ms[l];
				size_t j = start + lost;
				int s;

				/* Given the voiced wave, When @lost ms are concealed then a block is
				 * received */
				cr_assert_eq(pc_acodec_plc_init(&p, rate), 0);
				plc_lose(&p, x, y, start, lost);
				/* Then no step through the loss and the next block is much larger
				 * than the wave's own */
				s = max_step(y + start - 1, lost + fs + 1);
				worst = s > worst ? s : worst;
				cr_expect_leq(s, wave_step * 11 / 10,
					      "%u Hz, %u ms lost: step %d, wave %d", rate,
					      lost_ms[l], s, wave_step);
				merged += abs(y[j] - y[j - 1]);
				pasted += abs(x[j] - y[j - 1]);
			}
		}
		/* And the merge softens the join */
		cr_expect_lt(merged, pasted / 2, "%u Hz: join steps %.0f merged, %.0f pasted", rate,
			     merged, pasted);
		cr_log_info(
			"PLC %u Hz: largest step %d (wave %d), join %.0f merged / %.0f pasted\n",
			rate, worst, wave_step, merged, pasted);
		free(x);
		free(y);
	}
}

/* Blocks of any size: the same signal received in 1-, 7- and 500-sample blocks (500: more than
 * the whole history) and concealed sample by sample gives exactly what 20 ms blocks give. */
Test(plc_g711a, any_block_size_same_output)
{
	static struct pc_acodec_plc a, b;
	static const size_t blocks[] = { 1, 7, 500 };
	size_t fs = 160, start = fs * 10, lost = 800, n = start + lost + fs;
	int16_t *x = calloc(n, sizeof(*x)), *ya = calloc(n, sizeof(*ya)), *yb = calloc(n, 2);

	cr_assert(x != NULL && ya != NULL && yb != NULL);
	make_voiced(x, n, 8000);
	cr_assert_eq(pc_acodec_plc_init(&a, 8000), 0);
	plc_lose(&a, x, ya, start, lost);
	for (size_t k = 0; k < 3; k++) {
		size_t i;

		/* Given the wave received in blocks of another size */
		cr_assert_eq(pc_acodec_plc_init(&b, 8000), 0);
		memcpy(yb, x, n * sizeof(*yb));
		for (i = 0; i < start; i += blocks[k])
			pc_acodec_plc_rx(&b, yb + i, start - i < blocks[k] ? start - i : blocks[k]);
		/* When 100 ms are concealed one sample at a time, then 20 ms received */
		for (i = 0; i < lost; i++)
			pc_acodec_plc_conceal(&b, yb + start + i, 1);
		pc_acodec_plc_rx(&b, yb + start + lost, fs);
		/* Then the output is the same, sample for sample */
		cr_expect_eq(memcmp(ya, yb, n * sizeof(*ya)), 0, "blocks of %zu", blocks[k]);
	}
	free(x);
	free(ya);
	free(yb);
}

/* Through the codecs: PCMU, PCMA (8 kHz) and G.722 (16 kHz) conceal a lost 20 ms packet of the
 * voiced wave. Reference: the same payloads all decoded. Measured SNR of the concealed packet
 * against it: PCMU 10.2 dB, PCMA 10.2, G722 16.9; thresholds 7, 7 and 13. The lost packet and
 * the one after: largest step at most 1.1 times the clean decode's largest (measured 0.99,
 * 0.98, 0.96). */
Test(plc_g711a, codecs_conceal_voiced_packet)
{
	static const struct {
		const char *name;
		double min_db;
	} cases[] = { { "PCMU", 7.0 }, { "PCMA", 7.0 }, { "G722", 13.0 } };

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct pc_acodec *enc = make_codec(cases[c].name, NULL);
		struct pc_acodec *clean = make_codec(cases[c].name, NULL);
		struct pc_acodec *lossy = make_codec(cases[c].name, NULL);
		const struct pc_acodec_info *in = pc_acodec_get_info(enc);
		size_t fs = in->frame_samples, n = fs * 14, lost = 10;
		int16_t *x = calloc(n, sizeof(*x)), *yc = calloc(n, sizeof(*yc));
		int16_t *yl = calloc(n, sizeof(*yl));
		uint8_t pl[PC_ACODEC_MAX_PAYLOAD];
		double snr;
		int step_c, step_l;

		cr_assert(x != NULL && yc != NULL && yl != NULL);
		make_voiced(x, n, in->sample_rate);
		/* Given the voiced wave encoded, decoded in full by one decoder */
		for (size_t f = 0; f < 14; f++) {
			int len = pc_acodec_encode(enc, x + f * fs, pl, sizeof(pl));

			cr_assert_gt(len, 0);
			cr_assert_eq(pc_acodec_decode(clean, pl, (size_t)len, yc + f * fs, fs),
				     (int)fs);
			/* When another decoder loses packet 10 */
			if (f == lost)
				cr_assert_eq(pc_acodec_conceal(lossy, NULL, 0, yl + f * fs, fs),
					     (int)fs);
			else
				cr_assert_eq(pc_acodec_decode(lossy, pl, (size_t)len, yl + f * fs,
							      fs),
					     (int)fs);
		}
		/* Then its concealment is close to what the packet held */
		snr = snr_at(yc, yl, n, lost * fs, (lost + 1) * fs, 0);
		cr_expect_geq(snr, cases[c].min_db, "%s: concealed packet %.2f dB", cases[c].name,
			      snr);
		/* And the way back into the real signal has no step the signal does not have */
		step_c = max_step(yc + fs, n - fs);
		step_l = max_step(yl + lost * fs - 1, 2 * fs + 1);
		cr_expect_leq(step_l, step_c * 11 / 10, "%s: step %d, clean %d", cases[c].name,
			      step_l, step_c);
		cr_log_info("%s: concealed packet %.2f dB, step %d (clean %d)\n", cases[c].name,
			    snr, step_l, step_c);
		free(x);
		free(yc);
		free(yl);
		pc_acodec_destroy(enc);
		pc_acodec_destroy(clean);
		pc_acodec_destroy(lossy);
	}
}

/* Regression: spandsp's plc_fillin (normalise_history) memcpy'd overlapping ranges after short
 * blocks had been received (AddressSanitizer memcpy-param-overlap, found by fuzz_acodec). The
 * same pattern, short decodes of every length between concealments, must run clean under the
 * ASan build and keep every output within bounds. */
Test(plc, regression_spandsp_fillin_memcpy_overlap)
{
	static const char *const names[] = { "PCMU", "PCMA", "G722" };

	for (size_t k = 0; k < 3; k++) {
		struct pc_acodec *c = make_codec(names[k], NULL);
		const struct pc_acodec_info *in = pc_acodec_get_info(c);
		int16_t y[PC_ACODEC_MAX_SAMPLES];
		uint8_t pl[400];

		memset(pl, 0x11, sizeof(pl));
		/* Given blocks of 1..400 octets decoded, each followed by a lost packet (and, each
		 * 5th time, four more: an erasure past 60 ms) */
		for (size_t len = 1; len < sizeof(pl); len += 7) {
			int n = pc_acodec_decode(c, pl, len, y, sizeof(y) / sizeof(y[0]));

			cr_assert(n > 0 && (unsigned)n <= in->max_samples, "%s: %d", names[k], n);
			for (unsigned l = 0; l < (len % 5 == 1 ? 5u : 1u); l++)
				cr_assert_eq(pc_acodec_conceal(c, NULL, 0, y, in->frame_samples),
					     (int)in->frame_samples);
		}
		/* When four more packets are lost (100 ms in all) */
		for (unsigned l = 0; l < 4; l++)
			cr_assert_eq(pc_acodec_conceal(c, NULL, 0, y, in->frame_samples),
				     (int)in->frame_samples);
		/* Then (no sanitizer report, and) the last 20 ms are silent */
		cr_expect_eq(peak(y, in->frame_samples), 0, "%s", names[k]);
		pc_acodec_destroy(c);
	}
}

static void opus_fec_on(struct pc_acodec_params *p)
{
	p->opus_bitrate = 32000;
	p->opus_fec = true;
	p->opus_loss_pct = 20;
}

/* Opus in-band FEC: one decoder conceals each lost packet by PLC, another by the FEC in the
 * next packet; over the lost frames FEC must be closer to the signal. */
Test(plc, opus_fec_beats_plc)
{
	struct pc_acodec *enc = make_codec("opus", opus_fec_on);
	struct pc_acodec *dplc = make_codec("opus", opus_fec_on);
	struct pc_acodec *dfec = make_codec("opus", opus_fec_on);
	struct pc_acodec *dref = make_codec("opus", opus_fec_on);
	const struct pc_acodec_info *in = pc_acodec_get_info(enc);
	const unsigned frames = TEST_FRAMES;
	size_t fs = in->frame_samples, n = fs * frames, lag = 0;
	int16_t *x = calloc(n, sizeof(*x)), *yp = calloc(n, sizeof(*yp));
	int16_t *yf = calloc(n, sizeof(*yf)), *yr = calloc(n, sizeof(*yr));
	static uint8_t pl[TEST_FRAMES][PC_ACODEC_MAX_PAYLOAD];
	int len[TEST_FRAMES];
	double ep = 0, ef = 0, es = 0, snr_p, snr_f;

	cr_assert(x != NULL && yp != NULL && yf != NULL && yr != NULL);
	/* Given a speech-like stream encoded with FEC (32 kbit/s, 20 % expected loss) */
	make_signal(x, n, in->sample_rate, SIG_SPEECH, 0);
	for (unsigned f = 0; f < frames; f++) {
		len[f] = pc_acodec_encode(enc, x + f * fs, pl[f], sizeof(pl[f]));
		cr_assert_gt(len[f], 0);
	}
	/* And the codec delay from a clean decode */
	for (unsigned f = 0; f < frames; f++)
		cr_assert_eq(pc_acodec_decode(dref, pl[f], (size_t)len[f], yr + f * fs, fs),
			     (int)fs);
	snr_best(x, yr, n, n / 10, n - fs * 2, fs, &lag);
	/* When every 7th packet from the 10th on is lost */
	for (unsigned f = 0; f < frames; f++) {
		bool lost = f >= 10 && f % 7 == 3 && f + 1 < frames;

		if (lost) {
			cr_assert_eq(pc_acodec_conceal(dplc, NULL, 0, yp + f * fs, fs), (int)fs);
			cr_assert_eq(pc_acodec_conceal(dfec, pl[f + 1], (size_t)len[f + 1],
						       yf + f * fs, fs),
				     (int)fs);
		} else {
			cr_assert_eq(pc_acodec_decode(dplc, pl[f], (size_t)len[f], yp + f * fs, fs),
				     (int)fs);
			cr_assert_eq(pc_acodec_decode(dfec, pl[f], (size_t)len[f], yf + f * fs, fs),
				     (int)fs);
		}
	}
	/* Then over the lost frames (as heard: at the codec delay) FEC's error is smaller */
	for (unsigned f = 10; f + 1 < frames; f++) {
		if (f % 7 != 3)
			continue;
		for (size_t i = f * fs; i < (f + 1) * fs && i >= lag; i++) {
			double s = x[i - lag];

			es += s * s;
			ep += (s - yp[i]) * (s - yp[i]);
			ef += (s - yf[i]) * (s - yf[i]);
		}
	}
	snr_p = 10 * log10(es / ep);
	snr_f = 10 * log10(es / ef);
	cr_expect_gt(snr_f, snr_p + 1.0, "FEC %.2f dB, PLC %.2f dB (lag %zu)", snr_f, snr_p, lag);
	cr_log_info("opus loss: FEC %.2f dB, PLC %.2f dB\n", snr_f, snr_p);
	free(x);
	free(yp);
	free(yf);
	free(yr);
	pc_acodec_destroy(enc);
	pc_acodec_destroy(dplc);
	pc_acodec_destroy(dfec);
	pc_acodec_destroy(dref);
}

/* --- silence: Annex B SID, Opus DTX, RFC 3389 CN ---------------------------------------------- */

static void annexb_on(struct pc_acodec_params *p)
{
	p->g729_annexb = true;
}

Test(silence, g729_annexb_sid_frames)
{
	struct pc_acodec *c = make_codec("G729", annexb_on);
	int16_t x[160 * 50], y[PC_ACODEC_MAX_SAMPLES];
	uint8_t pl[64];
	unsigned voice = 0, sid = 0, none = 0;
	uint8_t last_sid[2] = { 0 };
	struct pc_acodec_cn_gen g;
	struct pc_acodec_cn cn = { .level = 60 };

	/* Given 0.4 s of speech, then 0.6 s of quiet noise (-60 dBov) */
	make_signal(x, 160 * 20, 8000, SIG_SPEECH, 0);
	pc_acodec_cn_gen_init(&g, 7);
	pc_acodec_cn_generate(&g, &cn, x + 160 * 20, 160 * 30);
	/* When encoded with Annex B */
	for (unsigned f = 0; f < 50; f++) {
		int len = pc_acodec_encode(c, x + f * 160, pl, sizeof(pl));
		int n;

		cr_assert_geq(len, 0);
		/* Then every payload is N*10 octets plus at most one 2-octet SID */
		cr_assert(len % 10 == 0 || len % 10 == 2, "payload of %d octets", len);
		if (len == 0) {
			none++;
			continue;
		}
		if (len % 10 == 2) {
			sid++;
			memcpy(last_sid, pl + len - 2, 2);
		} else {
			voice++;
		}
		/* And it decodes to 80 samples per frame, SID included */
		n = pc_acodec_decode(c, pl, (size_t)len, y, sizeof(y) / sizeof(y[0]));
		cr_assert_eq(n, (len / 10 + (len % 10 != 0)) * 80);
	}
	cr_expect_geq(voice, 20, "voice payloads %u", voice);
	cr_expect_geq(sid, 1, "SID payloads %u", sid);
	cr_expect_geq(none, 10, "untransmitted %u", none);
	/* And a SID again decodes to comfort noise: quiet, not silent */
	cr_expect_eq(pc_acodec_decode(c, last_sid, 2, y, sizeof(y) / sizeof(y[0])), 80);
	cr_expect_lt(peak(y, 80), 1000, "CN peak %d", peak(y, 80));
	/* And concealment in the silence continues the noise (CNG), quiet */
	cr_expect_eq(pc_acodec_conceal(c, NULL, 0, y, 160), 160);
	cr_expect_lt(peak(y, 160), 1000, "CNG peak %d", peak(y, 160));
	pc_acodec_destroy(c);
}

static void opus_dtx_on(struct pc_acodec_params *p)
{
	p->opus_dtx = true;
}

Test(silence, opus_dtx_sends_nothing_in_silence)
{
	struct pc_acodec *c = make_codec("opus", opus_dtx_on);
	int16_t x[960] = { 0 }, y[PC_ACODEC_MAX_SAMPLES];
	uint8_t pl[PC_ACODEC_MAX_PAYLOAD];
	unsigned zero = 0;

	/* Given DTX and 2 s of digital silence */
	for (unsigned f = 0; f < 100; f++) {
		int len = pc_acodec_encode(c, x, pl, sizeof(pl));

		cr_assert_geq(len, 0);
		zero += len == 0;
	}
	/* Then most frames need not be sent (a CN update goes every 400 ms) */
	cr_expect_geq(zero, 80, "frames not sent: %u of 100", zero);
	/* And the decoder conceals through the gap */
	cr_expect_eq(pc_acodec_conceal(c, NULL, 0, y, 960), 960);
	pc_acodec_destroy(c);
}

Test(silence, rfc3389_cn_payload)
{
	struct pc_acodec_cn cn = { .level = 42, .order = 3, .coef = { 10, 200, 128 } }, back;
	struct pc_acodec_cn_gen g;
	int16_t sq[160], noise[8000];
	uint8_t pl[16];

	/* Given a CN with three coefficients, When encoded, Then level byte + coefficients */
	cr_assert_eq(pc_acodec_cn_encode(&cn, pl, sizeof(pl)), 4);
	cr_expect_eq(pl[0], 42);
	cr_expect_eq(pl[2], 200);
	/* And decoding gives it back */
	cr_assert_eq(pc_acodec_cn_decode(&back, pl, 4), 0);
	cr_expect_eq(back.level, 42);
	cr_expect_eq(back.order, 3);
	cr_expect_eq(memcmp(back.coef, cn.coef, 3), 0);
	/* And a level-only payload is one byte */
	cn.order = 0;
	cr_expect_eq(pc_acodec_cn_encode(&cn, pl, 1), 1);
	/* And bad input is refused: reserved bit, empty, level > 127, no room */
	pl[0] = 0x80 | 20;
	cr_expect_eq(pc_acodec_cn_decode(&back, pl, 1), -EBADMSG);
	cr_expect_eq(pc_acodec_cn_decode(&back, pl, 0), -EBADMSG);
	cn.level = 128;
	cr_expect_eq(pc_acodec_cn_encode(&cn, pl, sizeof(pl)), -EINVAL);
	cn.level = 30;
	cn.order = 2;
	cr_expect_eq(pc_acodec_cn_encode(&cn, pl, 2), -EMSGSIZE);
	/* Given a full-scale square wave, Then 0 dBov; silence is 127 */
	for (int i = 0; i < 160; i++)
		sq[i] = (i / 4) % 2 ? 32767 : -32768;
	cr_expect_eq(pc_acodec_cn_level(sq, 160), 0);
	memset(sq, 0, sizeof(sq));
	cr_expect_eq(pc_acodec_cn_level(sq, 160), 127);
	/* Given noise generated at -45 dBov, Then it measures -45 dBov within 1 dB */
	cn.level = 45;
	pc_acodec_cn_gen_init(&g, 1);
	pc_acodec_cn_generate(&g, &cn, noise, 8000);
	cr_expect(abs((int)pc_acodec_cn_level(noise, 8000) - 45) <= 1, "level %u",
		  pc_acodec_cn_level(noise, 8000));
}

/* --- malformed payloads ----------------------------------------------------------------------- */

Test(malformed, g729_sizes_rejected)
{
	struct pc_acodec *c = make_codec("G729", NULL);
	static const size_t bad[] = { 1, 3, 9, 11, 13, 19, 21, 131 };
	uint8_t pl[200] = { 0 };
	int16_t y[PC_ACODEC_MAX_SAMPLES];

	/* Given payloads that are not N*10 (+2) octets, or longer than 120 ms */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(pc_acodec_decode(c, pl, bad[i], y, sizeof(y) / sizeof(y[0])), -EBADMSG,
			     "%zu octets", bad[i]);
	/* And an empty one */
	cr_expect_eq(pc_acodec_decode(c, pl, 0, y, 160), -EBADMSG);
	/* And a good one with too small an output buffer */
	cr_expect_eq(pc_acodec_decode(c, pl, 20, y, 159), -EMSGSIZE);
	cr_expect_eq(pc_acodec_decode(c, pl, 22, y, 240), 240);
	pc_acodec_destroy(c);
}

Test(malformed, opus_toc_rejected)
{
	struct pc_acodec *c = make_codec("opus", NULL);
	int16_t y[PC_ACODEC_MAX_SAMPLES];
	static const struct {
		uint8_t b[8];
		size_t len;
	} bad[] = {
		{ { 0x03 }, 1 },		/* code 3 without its frame-count byte */
		{ { 0x03, 0x00 }, 2 },		/* code 3 with zero frames */
		{ { 0x03, 0x30 }, 2 },		/* code 3, 48 frames of 20 ms: > 120 ms */
		{ { 0x01, 1, 2, 3 }, 4 },	/* code 1: two equal frames of an odd total */
		{ { 0x02, 0xfc, 0xff, 1 }, 4 }, /* code 2: first length beyond the packet */
		{ { 0x02 }, 1 },		/* code 2 without the length */
		{ { 0x83, 0x85, 9, 1, 2 }, 5 }, /* code 3 VBR: lengths beyond the packet */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* Given a packet whose TOC and length disagree, Then -EBADMSG */
		cr_expect_eq(pc_acodec_decode(c, bad[i].b, bad[i].len, y, sizeof(y) / sizeof(y[0])),
			     -EBADMSG, "case %zu", i);
		/* And the same packet offered as the next one for FEC */
		cr_expect_eq(pc_acodec_conceal(c, bad[i].b, bad[i].len, y, 960), -EBADMSG,
			     "conceal case %zu", i);
	}
	pc_acodec_destroy(c);
}

Test(malformed, random_payloads_never_crash)
{
	static const char *const names[] = { "PCMU", "PCMA", "G722", "G729", "opus" };
	uint32_t s = 12345;

	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		struct pc_acodec *c = make_codec(names[k], NULL);
		const struct pc_acodec_info *in = pc_acodec_get_info(c);
		int16_t y[PC_ACODEC_MAX_SAMPLES];
		uint8_t pl[400];

		/* Given random payloads of random lengths */
		for (unsigned t = 0; t < 300; t++) {
			size_t len;
			int n;

			for (size_t i = 0; i < sizeof(pl); i++) {
				s = s * 1103515245u + 12345u;
				pl[i] = (uint8_t)(s >> 16);
			}
			len = (s >> 8) % sizeof(pl);
			/* When decoded (or used for FEC), Then a count within bounds or an error */
			n = pc_acodec_decode(c, pl, len, y, sizeof(y) / sizeof(y[0]));
			cr_assert(n == -EBADMSG || (n >= 0 && (unsigned)n <= in->max_samples),
				  "%s: %d for %zu octets", names[k], n, len);
			if (k == 4) {
				n = pc_acodec_conceal(c, pl, len, y, sizeof(y) / sizeof(y[0]));
				cr_assert(n == -EBADMSG || n == (int)in->frame_samples);
			}
		}
		pc_acodec_destroy(c);
	}
}

/* Regression (fuzz_acodec): a G.711 or G.722 payload longer than 120 ms, decoded into a buffer
 * of info.max_samples (which "always suffices"), returned -EMSGSIZE instead of -EBADMSG. */
Test(malformed, overlong_waveform_payload_is_ebadmsg_not_emsgsize)
{
	static const char *const names[] = { "PCMU", "PCMA", "G722" };
	static uint8_t pl[2048];
	int16_t y[PC_ACODEC_MAX_SAMPLES];

	memset(pl, 0x55, sizeof(pl));
	for (size_t k = 0; k < 3; k++) {
		struct pc_acodec *c = make_codec(names[k], NULL);
		const struct pc_acodec_info *in = pc_acodec_get_info(c);
		size_t per_octet = in->id == PC_ACODEC_G722 ? 2 : 1;
		size_t full = in->max_samples / per_octet; /* octets of 120 ms */

		/* Given a payload one octet longer than 120 ms, When decoded with a cap of
		 * max_samples, Then it is malformed, not a small buffer */
		cr_expect_eq(pc_acodec_decode(c, pl, full + 1, y, in->max_samples), -EBADMSG, "%s",
			     names[k]);
		/* And well past it (the fuzz input: 1036 octets) */
		cr_expect_eq(pc_acodec_decode(c, pl, 1036, y, in->max_samples), -EBADMSG, "%s",
			     names[k]);
		/* And exactly 120 ms decodes in full */
		cr_expect_eq(pc_acodec_decode(c, pl, full, y, in->max_samples),
			     (int)in->max_samples, "%s", names[k]);
		/* And a valid payload with too small a buffer is still -EMSGSIZE */
		cr_expect_eq(pc_acodec_decode(c, pl, 160, y, 160 * per_octet - 1), -EMSGSIZE, "%s",
			     names[k]);
		pc_acodec_destroy(c);
	}
}

static void opus_stereo_16k(struct pc_acodec_params *p)
{
	p->channels = 2;
	p->sample_rate = 16000;
	p->ptime_ms = 40;
}

Test(round_trip, opus_stereo_interleaved)
{
	struct pc_acodec *c = make_codec("opus", opus_stereo_16k);
	const struct pc_acodec_info *in = pc_acodec_get_info(c);
	int16_t x[640 * 2], y[PC_ACODEC_MAX_SAMPLES];
	uint8_t pl[PC_ACODEC_MAX_PAYLOAD];
	int len = 0, n = 0;

	/* Given 40 ms stereo frames at 16 kHz: left a tone, right silent */
	cr_assert_eq(in->frame_samples, 640);
	cr_assert_eq(in->frame_ts, 1920); /* RFC 7587: 48 kHz clock whatever the rate */
	for (unsigned i = 0; i < 640; i++) {
		x[2 * i] = (int16_t)(8000 * sin(2 * 3.14159265 * 500 * i / 16000.0));
		x[2 * i + 1] = 0;
	}
	/* When a few frames go through */
	for (unsigned f = 0; f < 5; f++) {
		len = pc_acodec_encode(c, x, pl, sizeof(pl));
		cr_assert_gt(len, 0);
		n = pc_acodec_decode(c, pl, (size_t)len, y, sizeof(y) / sizeof(y[0]));
		cr_assert_eq(n, 640);
	}
	/* Then the left channel carries the tone and the right is much quieter */
	{
		double l = 0, r = 0;

		for (int i = 0; i < n; i++) {
			l += (double)y[2 * i] * y[2 * i];
			r += (double)y[2 * i + 1] * y[2 * i + 1];
		}
		cr_expect_gt(l, 10 * r + 1, "left %.0f right %.0f", l, r);
	}
	/* And an output buffer for one channel only is refused */
	cr_expect_eq(pc_acodec_decode(c, pl, (size_t)len, y, 640), -EMSGSIZE);
	pc_acodec_destroy(c);
}
