/* SPDX-License-Identifier: MIT */
/*
 * codecs_bench.c - benchmark "codecs": encode and decode time per 20 ms frame of each audio
 * codec behind pc_audio_codec.h, on a synthesized speech-like signal (harmonics of a gliding
 * 100-200 Hz pitch under three formants, a syllable envelope at 2.5 Hz: 5 s, cycled).
 *
 *   codecs/<codec>/<encode|decode>  p50, p99, p99.9 of the time of one call (one 20 ms frame),
 *                                   from a histogram of every call timed; and ns_per_frame, the
 *                                   median over trials of the mean time per frame.
 *
 * References, measured in the same run on the same frames:
 *   PCMU, PCMA  our table codec against spandsp's G.711 (g711_encode / g711_decode on a
 *               g711_state_t), reference "spandsp g711", on every row.
 *   G722, G729, opus  the codec is the library (spandsp, bcg729, libopus): the latency rows have
 *               no reference; ns_per_frame compares our interface (pc_acodec_encode / decode,
 *               its checks and ops-table dispatch) with calling the library directly on a state
 *               of its own configured alike, reference "<library> direct": the goal is a
 *               speedup of 0.95 or more (the wrapper costs within 5 %).
 * Opus runs at 16 and 32 kbit/s, and at 24 kbit/s with in-band FEC on (10 % expected loss),
 * 48 kHz, complexity 10, VoIP mode.
 *
 * One thread pinned to a CPU; a trial is 50 frames, ours and the reference's alternating trial
 * by trial (which goes first alternating too), so both meet the same load on shared CPUs. Each
 * call is timed alone with pc_bench_ticks() (the TSC: a few ns of its own in every figure).
 * Decode times the payloads each side's encoder made in its encode trials.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bcg729/decoder.h>
#include <bcg729/encoder.h>
#include <opus/opus.h>
#include <spandsp/telephony.h>
#include <spandsp/g711.h>
#include <spandsp/g722.h>

#include "bench_pvt.h"
#include "hist_pvt.h"
#include "pc_audio_codec.h"

#define CB_FRAMES 250u /* 5 s of signal, cycled */
#define CB_BATCH 50u   /* frames per trial */
#define CB_TRIALS 200u /* per side, direction and case: 10000 frames */
#define CB_TRIALS_QUICK 12u
#define CB_WARMUP 2u
#define CB_MAX_RATE 48000u
#define CB_MAX_FRAME (CB_MAX_RATE / 50)

enum cb_kind {
	CB_PCMU,
	CB_PCMA,
	CB_G722,
	CB_G729,
	CB_OPUS,
};

struct cb_case_desc {
	const char *label; /* in the case name */
	const char *name;  /* rtpmap name */
	enum cb_kind kind;
	uint32_t bitrate;  /* Opus */
	bool fec;	   /* Opus */
	const char *ref;   /* reference name */
	bool ref_is_codec; /* the reference is another implementation: on the latency rows too */
};

static const struct cb_case_desc cb_cases[] = {
	{ "pcmu", "PCMU", CB_PCMU, 0, false, "spandsp g711", true },
	{ "pcma", "PCMA", CB_PCMA, 0, false, "spandsp g711", true },
	{ "g722", "G722", CB_G722, 0, false, "spandsp g722 direct", false },
	{ "g729", "G729", CB_G729, 0, false, "bcg729 direct", false },
	{ "opus16k", "opus", CB_OPUS, 16000, false, "libopus direct", false },
	{ "opus24k_fec", "opus", CB_OPUS, 24000, true, "libopus direct", false },
	{ "opus32k", "opus", CB_OPUS, 32000, false, "libopus direct", false },
};

enum cb_side {
	SIDE_PC,
	SIDE_REF,
};

/* One case's state, both sides. */
struct cb_case {
	const struct cb_case_desc *d;
	struct pc_acodec *pc;
	const struct pc_acodec_info *info;
	/* The reference's states. */
	g711_state_t *g711_enc, *g711_dec;
	g722_encode_state_t *g722_enc;
	g722_decode_state_t *g722_dec;
	bcg729EncoderChannelContextStruct *g729_enc;
	bcg729DecoderChannelContextStruct *g729_dec;
	OpusEncoder *opus_enc;
	OpusDecoder *opus_dec;
	/* The signal and each side's payloads of it. */
	int16_t *pcm;	/* CB_FRAMES * frame_samples */
	uint8_t *pl[2]; /* CB_FRAMES * stride */
	size_t stride;	/* the codec's largest payload, in whole cache lines */
	uint16_t len[2][CB_FRAMES];
	int16_t out[PC_ACODEC_MAX_SAMPLES];
	unsigned next[2]; /* next frame each side encodes / decodes */
	unsigned bad;	  /* calls that failed */
};

struct cb_ctx {
	const struct pc_bench_opts *o;
	struct pc_bench_report *report;
	unsigned trials;
	int cpu;
	int rc;
	double ns_per_tick;
	unsigned g711_same[2], g711_total[2]; /* PCMU, PCMA: our codes equal to spandsp's */
};

/* --- the signal ------------------------------------------------------------------------------- */

static void cb_signal(int16_t *x, size_t n, unsigned rate)
{
	static const double formant[3] = { 600, 1400, 2600 };
	const double pi = 3.14159265358979323846;
	double phase = 0;

	for (size_t i = 0; i < n; i++) {
		double t = (double)i / rate, f0 = 150 + 50 * sin(2 * pi * 1.3 * t), v = 0, env;

		phase += 2 * pi * f0 / rate;
		for (int h = 1; h * f0 < 3400; h++) {
			double f = h * f0, w = 0;

			for (int j = 0; j < 3; j++)
				w += exp(-(f - formant[j]) * (f - formant[j]) / (2 * 150.0 * 150));
			v += (0.15 + w) / h * sin(h * phase);
		}
		env = 0.25 + 0.75 * fabs(sin(2 * pi * 2.5 * t));
		x[i] = (int16_t)lrint(0.12 * env * v * 32767);
	}
}

/* --- setup ------------------------------------------------------------------------------------ */

static void case_fini(struct cb_case *c)
{
	pc_acodec_destroy(c->pc);
	if (c->g711_enc != NULL)
		g711_free(c->g711_enc);
	if (c->g711_dec != NULL)
		g711_free(c->g711_dec);
	if (c->g722_enc != NULL)
		g722_encode_free(c->g722_enc);
	if (c->g722_dec != NULL)
		g722_decode_free(c->g722_dec);
	if (c->g729_enc != NULL)
		closeBcg729EncoderChannel(c->g729_enc);
	if (c->g729_dec != NULL)
		closeBcg729DecoderChannel(c->g729_dec);
	if (c->opus_enc != NULL)
		opus_encoder_destroy(c->opus_enc);
	if (c->opus_dec != NULL)
		opus_decoder_destroy(c->opus_dec);
	free(c->pcm);
	free(c->pl[0]);
	free(c->pl[1]);
	memset(c, 0, sizeof(*c));
}

static int case_init(struct cb_case *c, const struct cb_case_desc *d)
{
	struct pc_acodec_params p;
	int rc, err = 0;

	memset(c, 0, sizeof(*c));
	c->d = d;
	pc_acodec_params_init(&p, d->name);
	if (d->kind == CB_OPUS) {
		p.opus_bitrate = d->bitrate;
		p.opus_fec = d->fec;
		p.opus_loss_pct = d->fec ? 10 : 0;
	}
	rc = pc_acodec_create(&c->pc, &p);
	if (rc < 0) {
		fprintf(stderr, "phonecore bench: codecs: pc_acodec_create(%s): %s\n", d->name,
			strerror(-rc));
		return rc;
	}
	c->info = pc_acodec_get_info(c->pc);
	switch (d->kind) {
	case CB_PCMU:
	case CB_PCMA:
		c->g711_enc = g711_init(NULL, d->kind == CB_PCMU ? G711_ULAW : G711_ALAW);
		c->g711_dec = g711_init(NULL, d->kind == CB_PCMU ? G711_ULAW : G711_ALAW);
		rc = c->g711_enc && c->g711_dec ? 0 : -ENOMEM;
		break;
	case CB_G722:
		c->g722_enc = g722_encode_init(NULL, 64000, 0);
		c->g722_dec = g722_decode_init(NULL, 64000, 0);
		rc = c->g722_enc && c->g722_dec ? 0 : -ENOMEM;
		break;
	case CB_G729:
		c->g729_enc = initBcg729EncoderChannel(0);
		c->g729_dec = initBcg729DecoderChannel();
		rc = c->g729_enc && c->g729_dec ? 0 : -ENOMEM;
		break;
	case CB_OPUS:
		/* Configured as acodec_opus.c configures its own. */
		c->opus_enc = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &err);
		c->opus_dec = opus_decoder_create(48000, 1, &err);
		rc = c->opus_enc && c->opus_dec ? 0 : -ENOMEM;
		if (rc == 0 &&
		    (opus_encoder_ctl(c->opus_enc, OPUS_SET_BITRATE((opus_int32)d->bitrate)) ||
		     opus_encoder_ctl(c->opus_enc, OPUS_SET_INBAND_FEC(d->fec ? 1 : 0)) ||
		     opus_encoder_ctl(c->opus_enc, OPUS_SET_DTX(0)) ||
		     opus_encoder_ctl(c->opus_enc, OPUS_SET_PACKET_LOSS_PERC(d->fec ? 10 : 0)) ||
		     opus_encoder_ctl(c->opus_enc, OPUS_SET_COMPLEXITY(10))))
			rc = -EINVAL;
		break;
	}
	if (rc < 0) {
		fprintf(stderr, "phonecore bench: codecs: %s: cannot set up the reference\n",
			d->ref);
		goto fail;
	}
	c->pcm = malloc((size_t)CB_FRAMES * c->info->frame_samples * sizeof(*c->pcm));
	c->stride = (c->info->max_payload + 63u) & ~(size_t)63;
	c->pl[0] = aligned_alloc(64, (size_t)CB_FRAMES * c->stride);
	c->pl[1] = aligned_alloc(64, (size_t)CB_FRAMES * c->stride);
	if (c->pcm == NULL || c->pl[0] == NULL || c->pl[1] == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	/* Touched now, so that no timed call takes a page fault. */
	memset(c->pl[0], 0, (size_t)CB_FRAMES * c->stride);
	memset(c->pl[1], 0, (size_t)CB_FRAMES * c->stride);
	cb_signal(c->pcm, (size_t)CB_FRAMES * c->info->frame_samples, c->info->sample_rate);
	return 0;

fail:
	case_fini(c);
	return rc;
}

/* --- the timed calls -------------------------------------------------------------------------- */

/* The reference's encode of frame @pcm into @out; the payload length, or < 0. */
static inline int ref_encode(struct cb_case *c, const int16_t *pcm, uint8_t *out)
{
	const int n = (int)c->info->frame_samples;

	switch (c->d->kind) {
	case CB_PCMU:
	case CB_PCMA:
		return g711_encode(c->g711_enc, out, pcm, n);
	case CB_G722:
		return g722_encode(c->g722_enc, out, pcm, n);
	case CB_G729: {
		uint8_t l0 = 0, l1 = 0;

		bcg729Encoder(c->g729_enc, pcm, out, &l0);
		bcg729Encoder(c->g729_enc, pcm + 80, out + l0, &l1);
		return l0 + l1;
	}
	case CB_OPUS:
		return opus_encode(c->opus_enc, pcm, n, out, (opus_int32)c->stride);
	}
	return -EINVAL;
}

static inline int ref_decode(struct cb_case *c, const uint8_t *in, int len, int16_t *out)
{
	switch (c->d->kind) {
	case CB_PCMU:
	case CB_PCMA:
		return g711_decode(c->g711_dec, out, in, len);
	case CB_G722:
		return g722_decode(c->g722_dec, out, in, len);
	case CB_G729:
		for (int k = 0; k < len / 10; k++)
			bcg729Decoder(c->g729_dec, in + 10 * k, 10, 0, 0, 0, out + 80 * k);
		return len / 10 * 80;
	case CB_OPUS:
		return opus_decode(c->opus_dec, in, len, out, PC_ACODEC_MAX_SAMPLES / 2, 0);
	}
	return -EINVAL;
}

/* One trial of @n frames by @side, each call timed into @h; returns the total ticks. */
static uint64_t run_encode(struct cb_case *c, enum cb_side side, unsigned n, struct pc_hist *h)
{
	const size_t fs = c->info->frame_samples;
	uint64_t total = 0;

	for (unsigned i = 0; i < n; i++) {
		unsigned f = c->next[side];
		const int16_t *pcm = c->pcm + f * fs;
		uint8_t *out = c->pl[side] + (size_t)f * c->stride;
		uint64_t t0, t1;
		int len;

		if (side == SIDE_PC) {
			t0 = pc_bench_ticks();
			len = pc_acodec_encode(c->pc, pcm, out, c->stride);
			t1 = pc_bench_ticks();
		} else {
			t0 = pc_bench_ticks();
			len = ref_encode(c, pcm, out);
			t1 = pc_bench_ticks();
		}
		if (h != NULL)
			pc_hist_record(h, t1 - t0);
		total += t1 - t0;
		c->bad += len <= 0;
		c->len[side][f] = (uint16_t)(len > 0 ? len : 0);
		c->next[side] = (f + 1) % CB_FRAMES;
	}
	return total;
}

static uint64_t run_decode(struct cb_case *c, enum cb_side side, unsigned n, struct pc_hist *h)
{
	const int fs = (int)c->info->frame_samples;
	uint64_t total = 0;

	for (unsigned i = 0; i < n; i++) {
		unsigned f = c->next[side];
		const uint8_t *in = c->pl[side] + (size_t)f * c->stride;
		int len = c->len[side][f], got;
		uint64_t t0, t1;

		if (side == SIDE_PC) {
			t0 = pc_bench_ticks();
			got = pc_acodec_decode(c->pc, in, (size_t)len, c->out,
					       PC_ACODEC_MAX_SAMPLES);
			t1 = pc_bench_ticks();
		} else {
			t0 = pc_bench_ticks();
			got = ref_decode(c, in, len, c->out);
			t1 = pc_bench_ticks();
		}
		if (h != NULL)
			pc_hist_record(h, t1 - t0);
		total += t1 - t0;
		c->bad += got != fs;
		c->next[side] = (f + 1) % CB_FRAMES;
	}
	return total;
}

/* --- the cases -------------------------------------------------------------------------------- */

static int case_report(struct cb_ctx *ctx, const struct cb_case *c, const char *dir,
		       struct pc_hist *h[2], double *o, double *r)
{
	static const struct {
		const char *metric;
		double q;
	} pcts[] = { { "p50", 0.5 }, { "p99", 0.99 }, { "p99.9", 0.999 } };
	const double k = ctx->ns_per_tick;
	unsigned n = ctx->trials, q = n / 4;
	char name[64];
	int rc = 0;

	snprintf(name, sizeof(name), "codecs/%s/%s", c->d->label, dir);
	for (size_t i = 0; rc == 0 && i < sizeof(pcts) / sizeof(pcts[0]); i++) {
		double ours = (double)pc_hist_quantile(h[SIDE_PC], pcts[i].q) * k;
		double ref = (double)pc_hist_quantile(h[SIDE_REF], pcts[i].q) * k;

		rc = pc_bench_report_row(ctx->report, name, pcts[i].metric, "ns",
					 PC_BENCH_LOWER_BETTER, ours,
					 c->d->ref_is_codec ? c->d->ref : NULL,
					 c->d->ref_is_codec ? ref : NAN);
	}
	if (rc == 0)
		rc = pc_bench_report_row(ctx->report, name, "ns_per_frame", "ns",
					 PC_BENCH_LOWER_BETTER, pc_bench_median(o, n) * k,
					 c->d->ref, pc_bench_median(r, n) * k);
	if (rc == 0 && !c->d->ref_is_codec)
		rc = pc_bench_report_note(ctx->report, "%s: %s p50/p99/p99.9 %.0f/%.0f/%.0f ns%s",
					  name, c->d->ref,
					  (double)pc_hist_quantile(h[SIDE_REF], 0.5) * k,
					  (double)pc_hist_quantile(h[SIDE_REF], 0.99) * k,
					  (double)pc_hist_quantile(h[SIDE_REF], 0.999) * k,
					  pc_bench_unsteady(o + q, r + q, n - 2 * q));
	return rc;
}

static int case_run(struct cb_ctx *ctx, struct cb_case *c)
{
	double *o = NULL, *r = NULL;
	struct pc_hist *h[2] = { NULL, NULL };
	unsigned n = ctx->trials;
	int rc;

	o = calloc(n, sizeof(*o));
	r = calloc(n, sizeof(*r));
	rc = o && r ? 0 : -ENOMEM;
	if (rc == 0)
		rc = pc_hist_create(&h[0]);
	if (rc == 0)
		rc = pc_hist_create(&h[1]);
	if (rc < 0)
		goto out;

	/* Encode: warm-up, then trials alternating which side goes first. */
	for (unsigned w = 0; w < CB_WARMUP; w++) {
		run_encode(c, SIDE_PC, CB_BATCH, NULL);
		run_encode(c, SIDE_REF, CB_BATCH, NULL);
	}
	for (unsigned t = 0; t < n; t++) {
		enum cb_side first = t % 2 ? SIDE_REF : SIDE_PC;
		enum cb_side second = t % 2 ? SIDE_PC : SIDE_REF;
		double a = (double)run_encode(c, first, CB_BATCH, h[first]) / CB_BATCH;
		double b = (double)run_encode(c, second, CB_BATCH, h[second]) / CB_BATCH;

		o[t] = first == SIDE_PC ? a : b;
		r[t] = first == SIDE_PC ? b : a;
	}
	/* Every frame has been encoded by both sides now (n * CB_BATCH >= CB_FRAMES). */
	if (c->d->kind == CB_PCMU || c->d->kind == CB_PCMA) {
		for (unsigned f = 0; f < CB_FRAMES; f++) {
			const uint8_t *a = c->pl[0] + (size_t)f * c->stride;
			const uint8_t *b = c->pl[1] + (size_t)f * c->stride;

			for (unsigned i = 0; i < c->len[0][f] && i < c->len[1][f]; i++)
				ctx->g711_same[c->d->kind] += a[i] == b[i];
			ctx->g711_total[c->d->kind] += c->len[0][f];
		}
	}
	rc = case_report(ctx, c, "encode", h, o, r);
	if (rc < 0)
		goto out;

	/* Decode the payloads each side made, from the first frame. */
	pc_hist_reset(h[0]);
	pc_hist_reset(h[1]);
	c->next[0] = c->next[1] = 0;
	for (unsigned w = 0; w < CB_WARMUP; w++) {
		run_decode(c, SIDE_PC, CB_BATCH, NULL);
		run_decode(c, SIDE_REF, CB_BATCH, NULL);
	}
	for (unsigned t = 0; t < n; t++) {
		enum cb_side first = t % 2 ? SIDE_REF : SIDE_PC;
		enum cb_side second = t % 2 ? SIDE_PC : SIDE_REF;
		double a = (double)run_decode(c, first, CB_BATCH, h[first]) / CB_BATCH;
		double b = (double)run_decode(c, second, CB_BATCH, h[second]) / CB_BATCH;

		o[t] = first == SIDE_PC ? a : b;
		r[t] = first == SIDE_PC ? b : a;
	}
	rc = case_report(ctx, c, "decode", h, o, r);
	if (rc == 0 && c->bad != 0) {
		fprintf(stderr, "phonecore bench: codecs: %s: %u calls failed\n", c->d->label,
			c->bad);
		rc = -EIO;
	}
out:
	pc_hist_destroy(h[0]);
	pc_hist_destroy(h[1]);
	free(o);
	free(r);
	return rc;
}

static void *cb_thread(void *arg)
{
	struct cb_ctx *ctx = arg;
	struct cb_case *c = malloc(sizeof(*c));

	if (c == NULL) {
		ctx->rc = -ENOMEM;
		return NULL;
	}
	ctx->ns_per_tick = pc_bench_ns_per_tick();
	for (size_t i = 0; ctx->rc == 0 && i < sizeof(cb_cases) / sizeof(cb_cases[0]); i++) {
		ctx->rc = case_init(c, &cb_cases[i]);
		if (ctx->rc < 0)
			break;
		ctx->rc = case_run(ctx, c);
		case_fini(c);
	}
	free(c);
	return NULL;
}

int pc_bench_codecs_run(const struct pc_bench_opts *o)
{
	struct cb_ctx ctx = { .o = o };
	int cpu_b, rc;
	pthread_t t;

	ctx.trials = o->quick ? CB_TRIALS_QUICK : CB_TRIALS;
	rc = pc_bench_cpus(o, &ctx.cpu, &cpu_b);
	if (rc < 0)
		return rc;
	rc = pc_bench_report_create(&ctx.report, "codecs", o);
	if (rc < 0)
		return rc;
	rc = pc_bench_report_note(
		ctx.report,
		"one thread pinned to CPU %d; per case, direction and side %u trials of %u "
		"frames of 20 ms (a 5 s speech-like signal, cycled), the sides alternating; "
		"each call timed alone (TSC)",
		ctx.cpu, ctx.trials, CB_BATCH);
	if (rc == 0)
		rc = pc_bench_report_note(ctx.report,
					  "%s; spandsp (G.711 reference, G.722); bcg729 (G.729); "
					  "Opus 48 kHz mono, VoIP, complexity 10",
					  opus_get_version_string());
	if (rc < 0)
		goto out_report;
	rc = pc_bench_thread_start(&t, ctx.cpu, cb_thread, &ctx);
	if (rc < 0)
		goto out_report;
	pthread_join(t, NULL);
	rc = ctx.rc;
	if (rc == 0)
		rc = pc_bench_report_note(
			ctx.report,
			"G.711: our codes equal spandsp's for %u of %u samples (mu-law), %u of %u "
			"(A-law); mu-law differs on negative samples only: ours (Sun g711.c) "
			"takes their 14-bit magnitude as -(x >> 2), spandsp as (-x) >> 2",
			ctx.g711_same[CB_PCMU], ctx.g711_total[CB_PCMU], ctx.g711_same[CB_PCMA],
			ctx.g711_total[CB_PCMA]);
	if (rc == 0)
		rc = pc_bench_report_finish(ctx.report);
out_report:
	pc_bench_report_destroy(ctx.report);
	return rc;
}
