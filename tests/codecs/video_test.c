/* SPDX-License-Identifier: MIT */
/*
 * video_test.c - H.264 video of pc_video.h: YUYV and NV12 conversion against a per-pixel
 * reference, the test pattern's block code (raw, and through encode + decode at 720p), Y4M round
 * trip and malformed headers, x264 encoding through the offload interface and libavcodec
 * decoding (PSNR, frame order, key frame on request with IDR and with intra refresh,
 * slice-max-size, decoder output equal to x264's reconstruction and to a second decoder, errors
 * and the key-frame indication), and the RFC 6184 path: packetize -> shuffle -> depacketize ->
 * decode (skipped, saying so, while pc_h264_rtp.h's functions are missing or placeholders).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_h264_rtp.h"
#include "pc_hwaccel.h"
#include "pc_video.h"

/* Measured: the 320x240 pattern at 600 kbps, ultrafast, single-frame VBV: 29.3 dB on the frame
 * after the first IDR (the VBV drained by it), 34-57 dB on the others, about 47 dB on average. */
#define PC_TEST_PSNR_MIN 28.0
#define PC_TEST_PSNR_MEAN 40.0

static uint64_t test_rng = 0x9e3779b97f4a7c15ull;

static uint32_t test_rand(void)
{
	test_rng ^= test_rng << 13;
	test_rng ^= test_rng >> 7;
	test_rng ^= test_rng << 17;
	return (uint32_t)(test_rng >> 16);
}

/* --- conversion ------------------------------------------------------------------------------- */

static void test_yuyv_case(uint32_t w, uint32_t h, size_t pad)
{
	size_t stride = 2 * (size_t)w + pad, len = stride * h;
	uint8_t *src = malloc(len);
	struct pc_video_pic pic;

	cr_assert_not_null(src);
	for (size_t i = 0; i < len; i++)
		src[i] = (uint8_t)test_rand();
	cr_assert_eq(pc_video_pic_alloc(&pic, w, h), 0);

	/* When: converted. */
	cr_assert_eq(pc_video_yuyv_to_i420(&pic, src, stride, len), 0);

	/* Then: every sample equals the per-pixel reference. */
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++)
			cr_assert_eq(pic.plane[0][y * pic.stride[0] + x], src[y * stride + 2 * x],
				     "Y(%u,%u) of %ux%u", x, y, w, h);
	for (uint32_t y = 0; y < h / 2; y++) {
		for (uint32_t x = 0; x < w / 2; x++) {
			const uint8_t *a = src + 2 * y * stride + 4 * x, *b = a + stride;

			cr_assert_eq(pic.plane[1][y * pic.stride[1] + x], (a[1] + b[1] + 1) / 2,
				     "U(%u,%u) of %ux%u", x, y, w, h);
			cr_assert_eq(pic.plane[2][y * pic.stride[2] + x], (a[3] + b[3] + 1) / 2,
				     "V(%u,%u) of %ux%u", x, y, w, h);
		}
	}
	/* And: a buffer one byte short is refused. */
	cr_assert_eq(pc_video_yuyv_to_i420(&pic, src, stride, len - pad - 1), -EINVAL);
	pc_video_pic_free(&pic);
	free(src);
}

Test(video, yuyv_to_i420_matches_reference)
{
	/* Given: random YUYV frames, widths with and without a scalar tail, padded rows. */
	test_yuyv_case(64, 4, 0);
	test_yuyv_case(70, 6, 6);
	test_yuyv_case(640, 8, 32);
	test_yuyv_case(2, 2, 0);
}

static void test_nv12_case(uint32_t w, uint32_t h, size_t pad)
{
	size_t ys = w + pad, cs = w + pad + 2, ylen = ys * h, clen = cs * (h / 2);
	uint8_t *y = malloc(ylen), *uv = malloc(clen);
	struct pc_video_pic pic;

	cr_assert(y != NULL && uv != NULL);
	for (size_t i = 0; i < ylen; i++)
		y[i] = (uint8_t)test_rand();
	for (size_t i = 0; i < clen; i++)
		uv[i] = (uint8_t)test_rand();
	cr_assert_eq(pc_video_pic_alloc(&pic, w, h), 0);

	/* When: converted. */
	cr_assert_eq(pc_video_nv12_to_i420(&pic, y, ys, ylen, uv, cs, clen), 0);

	/* Then: luma copied, chroma de-interleaved, per the reference. */
	for (uint32_t r = 0; r < h; r++)
		for (uint32_t x = 0; x < w; x++)
			cr_assert_eq(pic.plane[0][r * pic.stride[0] + x], y[r * ys + x]);
	for (uint32_t r = 0; r < h / 2; r++) {
		for (uint32_t x = 0; x < w / 2; x++) {
			cr_assert_eq(pic.plane[1][r * pic.stride[1] + x], uv[r * cs + 2 * x],
				     "U(%u,%u) of %ux%u", x, r, w, h);
			cr_assert_eq(pic.plane[2][r * pic.stride[2] + x], uv[r * cs + 2 * x + 1],
				     "V(%u,%u) of %ux%u", x, r, w, h);
		}
	}
	/* And: a short chroma plane is refused. */
	cr_assert_eq(pc_video_nv12_to_i420(&pic, y, ys, ylen, uv, cs, clen - pad - 3), -EINVAL);
	pc_video_pic_free(&pic);
	free(y);
	free(uv);
}

Test(video, nv12_to_i420_matches_reference)
{
	/* Given: random NV12 frames of several widths and strides. */
	test_nv12_case(64, 4, 0);
	test_nv12_case(98, 6, 3);
	test_nv12_case(1280, 4, 0);
}

Test(video, pic_alloc_rejects_bad_sizes)
{
	struct pc_video_pic pic;

	/* Given/When/Then: odd, zero and huge sizes are refused. */
	cr_assert_eq(pc_video_pic_alloc(&pic, 321, 240), -EINVAL);
	cr_assert_eq(pc_video_pic_alloc(&pic, 320, 0), -EINVAL);
	cr_assert_eq(pc_video_pic_alloc(&pic, 16384, 16), -EINVAL);
	pc_video_pic_free(NULL);
}

/* --- the block code --------------------------------------------------------------------------- */

Test(video, code_round_trip_raw)
{
	struct pc_video_pic pic;
	uint32_t frame;
	uint64_t t;

	/* Given: a 320x240 pattern frame carrying frame 123456 and a capture time. */
	cr_assert_eq(pc_video_pic_alloc(&pic, 320, 240), 0);
	cr_assert_eq(pc_video_pattern_draw(&pic, 123456, 0xabcdef012345ull), 0);

	/* When: read back. Then: both values come back. */
	cr_assert_eq(pc_video_code_read(&pic, &frame, &t), 0);
	cr_assert_eq(frame, 123456);
	cr_assert_eq(t, 0xabcdef012345ull);
	cr_assert_eq(pic.pts, 123456);

	/* When: a capture time over 48 bits. Then: its low 48 bits, and the age works modulo. */
	cr_assert_eq(pc_video_code_write(&pic, 7, 0x1230000000000005ull), 0);
	cr_assert_eq(pc_video_code_read(&pic, &frame, &t), 0);
	cr_assert_eq(t, 5);
	cr_assert_eq(pc_video_code_age_us(0x1230000000000105ull, t), 0x100);

	/* When: one block is inverted. Then: the CRC catches it. */
	for (uint32_t y = 0; y < PC_VIDEO_CODE_BLOCK; y++)
		for (uint32_t x = 32; x < 48; x++)
			pic.plane[0][y * pic.stride[0] + x] ^= 0xff;
	cr_assert_eq(pc_video_code_read(&pic, &frame, &t), -EBADMSG);

	/* When: a plain picture. Then: no code. */
	pc_video_pic_fill(&pic, 16, 128, 128);
	cr_assert_eq(pc_video_code_read(&pic, &frame, &t), -EBADMSG);
	pc_video_pic_free(&pic);

	/* When: a picture too narrow or too short for the code. Then: -EINVAL. */
	cr_assert_eq(pc_video_pic_alloc(&pic, 112, 240), 0);
	cr_assert_eq(pc_video_code_write(&pic, 1, 1), -EINVAL);
	pc_video_pic_free(&pic);
	cr_assert_eq(pc_video_pic_alloc(&pic, 320, 64), 0);
	cr_assert_eq(pc_video_code_read(&pic, &frame, &t), -EINVAL);
	pc_video_pic_free(&pic);
}

Test(video, pattern_is_deterministic_and_moves)
{
	struct pc_video_pic a, b;

	cr_assert_eq(pc_video_pic_alloc(&a, 640, 360), 0);
	cr_assert_eq(pc_video_pic_alloc(&b, 640, 360), 0);
	/* Given: the same frame drawn twice. Then: identical. */
	cr_assert_eq(pc_video_pattern_draw(&a, 9, 77), 0);
	cr_assert_eq(pc_video_pattern_draw(&b, 9, 77), 0);
	cr_assert(pc_video_pic_equal(&a, &b));
	/* When: the next frame. Then: different (motion), but not entirely (PSNR finite). */
	cr_assert_eq(pc_video_pattern_draw(&b, 10, 77), 0);
	cr_assert_not(pc_video_pic_equal(&a, &b));
	cr_assert_lt(pc_video_psnr(&a, &b, false), 40.0);
	pc_video_pic_free(&a);
	pc_video_pic_free(&b);
}

/* Regression: a wide, short picture (height at most an eighth of the width) drew its bouncing box
 * past the picture's end, or divided by zero when the height equalled the box. */
Test(video, pattern_on_wide_short_pictures_stays_inside)
{
	static const uint32_t sizes[][2] = {
		{ 1024, 128 }, { 1280, 96 }, { 2048, 256 }, { 4096, 512 }, { 1536, 192 }
	};

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct pc_video_pic p;
		uint32_t frame;
		uint64_t us;

		cr_assert_eq(pc_video_pic_alloc(&p, sizes[i][0], sizes[i][1]), 0);
		for (uint32_t f = 0; f < 300; f += 7)
			cr_assert_eq(pc_video_pattern_draw(&p, f, 1000u + f), 0, "%ux%u frame %u",
				     sizes[i][0], sizes[i][1], f);
		/* and the code still reads back */
		cr_assert_eq(pc_video_code_read(&p, &frame, &us), 0);
		cr_assert_eq(frame, 294);
		pc_video_pic_free(&p);
	}
}

/* --- encode and decode helpers ---------------------------------------------------------------- */

struct test_codec {
	struct pc_hw_engine *eng;
	struct pc_video_enc *enc;
	struct pc_video_dec *dec;
	struct pc_video_pic src;
};

static void test_codec_open(struct test_codec *t, const struct pc_video_enc_conf *c)
{
	memset(t, 0, sizeof(*t));
	cr_assert_eq(pc_hw_engine_create(&t->eng, NULL), 0);
	cr_assert_eq(pc_video_enc_create(&t->enc, c), 0);
	cr_assert_eq(pc_video_dec_create(&t->dec, NULL), 0);
	cr_assert_eq(pc_video_pic_alloc(&t->src, c->width, c->height), 0);
}

static void test_codec_close(struct test_codec *t)
{
	pc_video_pic_free(&t->src);
	pc_video_dec_destroy(t->dec);
	pc_video_enc_destroy(t->enc);
	pc_hw_engine_destroy(t->eng);
}

/* Draws and encodes pattern frame @i; the AU in *@job. */
static void test_encode(struct test_codec *t, uint32_t i, struct pc_video_enc_job *job)
{
	cr_assert_eq(pc_video_pattern_draw(&t->src, i, 1000000u + i * 33333u), 0);
	cr_assert_eq(pc_video_enc_encode(t->enc, t->eng, &t->src, job), 0, "frame %u", i);
	cr_assert_gt(job->au_len, 0, "frame %u gave no AU", i);
	cr_assert_eq(job->pts, i);
}

/* Whether @au holds a NAL unit of @type (and, for SEI, a recovery point message). */
static bool test_au_has(const uint8_t *au, size_t len, int type)
{
	const uint8_t *nal;
	size_t pos = 0, n;

	while (pc_video_annexb_next(au, len, &pos, &nal, &n) == 1) {
		if ((nal[0] & 0x1f) != type)
			continue;
		/* SEI: the first message's payload type (6: recovery point) */
		if (type != 6 || (n > 1 && nal[1] == 6))
			return true;
	}
	return false;
}

Test(video, encode_decode_psnr_order_and_recon)
{
	const struct pc_video_enc_conf c = {
		.width = 320,
		.height = 240,
		.bitrate_kbps = 600,
		.keyint = 30,
		.slice_max_size = 1200,
		.recon = true,
	};
	struct pc_video_enc_stats es;
	struct pc_video_dec_stats ds;
	struct test_codec t;
	double psnr_min = 99.0, psnr_sum = 0;

	/* Given: an encoder with reconstruction kept, a decoder. */
	test_codec_open(&t, &c);

	for (uint32_t i = 0; i < 45; i++) {
		struct pc_video_enc_job job;
		struct pc_video_pic out, recon;
		uint32_t frame;
		uint64_t cap;
		double psnr;

		/* When: each frame is encoded and decoded. */
		test_encode(&t, i, &job);
		cr_assert_eq(job.capture_us, 1000000u + i * 33333u);
		cr_assert_eq(pc_video_dec_decode(t.dec, job.au, job.au_len, &out), 1, "frame %u",
			     i);

		/* Then: every frame decodes, in order, close to the source. */
		cr_assert_eq(out.width, 320);
		cr_assert_eq(out.height, 240);
		cr_assert_eq(pc_video_code_read(&out, &frame, &cap), 0, "frame %u", i);
		cr_assert_eq(frame, i);
		cr_assert_eq(cap, 1000000u + i * 33333u);
		psnr = pc_video_psnr(&t.src, &out, false);
		if (psnr < psnr_min)
			psnr_min = psnr;
		psnr_sum += psnr;
		/* And: the decoder's picture is x264's reconstruction, sample for sample. */
		cr_assert_eq(pc_video_enc_recon(t.enc, &recon), 0);
		cr_assert_eq(recon.pts, i);
		cr_assert(pc_video_pic_equal(&out, &recon), "frame %u: decoder != encoder recon",
			  i);
		/* And: key frames on schedule (frame 0 and 30). */
		cr_assert_eq(job.keyframe, i % 30 == 0, "frame %u", i);
		cr_assert_eq(test_au_has(job.au, job.au_len, 5), i % 30 == 0, "frame %u", i);
		cr_assert_eq(test_au_has(job.au, job.au_len, 7), i % 30 == 0, "SPS in frame %u", i);
	}
	cr_assert_gt(psnr_min, PC_TEST_PSNR_MIN, "PSNR %.2f dB", psnr_min);
	cr_assert_gt(psnr_sum / 45, PC_TEST_PSNR_MEAN, "mean PSNR %.2f dB", psnr_sum / 45);
	pc_video_enc_stats(t.enc, &es);
	pc_video_dec_stats(t.dec, &ds);
	cr_assert_eq(es.frames, 45);
	cr_assert_eq(es.aus, 45);
	cr_assert_eq(es.keyframes, 2);
	cr_assert_gt(es.bytes, 0);
	cr_assert_eq(ds.frames, 45);
	cr_assert_eq(ds.errors, 0);
	cr_assert_not(pc_video_dec_keyframe_needed(t.dec));
	cr_log_info("320x240 600 kbps: PSNR min %.2f mean %.2f dB, %.1f kbit/s", psnr_min,
		    psnr_sum / 45, (double)es.bytes * 8 / 1500.0);
	test_codec_close(&t);
}

Test(video, recon_matches_with_slice_threads_and_cabac)
{
	const struct pc_video_enc_conf c = {
		.width = 640,
		.height = 360,
		.bitrate_kbps = 800,
		.preset = "veryfast",
		.profile = "high",
		.threads = 2,
		.recon = true,
	};
	struct test_codec t;

	/* Given: slice threads, CABAC and the 8x8 transform (high profile, veryfast). */
	test_codec_open(&t, &c);
	for (uint32_t i = 0; i < 15; i++) {
		struct pc_video_enc_job job;
		struct pc_video_pic out, recon;

		/* When: encoded and decoded. Then: the decoder's picture is x264's recon. */
		test_encode(&t, i, &job);
		cr_assert_eq(pc_video_dec_decode(t.dec, job.au, job.au_len, &out), 1);
		cr_assert_eq(pc_video_enc_recon(t.enc, &recon), 0);
		cr_assert(pc_video_pic_equal(&out, &recon), "frame %u: decoder != encoder recon",
			  i);
	}
	test_codec_close(&t);
}

Test(video, code_survives_720p_encode)
{
	const struct pc_video_enc_conf c = {
		.width = 1280,
		.height = 720,
		.bitrate_kbps = 2000,
		.slice_max_size = 1200,
	};
	struct test_codec t;

	/* Given: 720p at a modest 2 Mbit/s (the first IDR, held to one frame's VBV, comes out at
	 * 25-30 dB). */
	test_codec_open(&t, &c);
	for (uint32_t i = 0; i < 12; i++) {
		struct pc_video_enc_job job;
		struct pc_video_pic out;
		uint32_t frame;
		uint64_t cap;

		/* When: encoded and decoded. Then: the code reads back exactly. */
		test_encode(&t, i, &job);
		cr_assert_eq(pc_video_dec_decode(t.dec, job.au, job.au_len, &out), 1);
		cr_assert_eq(pc_video_code_read(&out, &frame, &cap), 0, "frame %u", i);
		cr_assert_eq(frame, i);
		cr_assert_eq(cap, 1000000u + i * 33333u);
	}
	test_codec_close(&t);
}

Test(video, keyframe_on_request_idr)
{
	const struct pc_video_enc_conf c = { .width = 320, .height = 240, .bitrate_kbps = 500 };
	struct pc_video_enc_job job;
	struct pc_video_enc_stats es;
	struct test_codec t;

	/* Given: an encoder past its first IDR (keyint 10 s). */
	test_codec_open(&t, &c);
	for (uint32_t i = 0; i < 5; i++) {
		test_encode(&t, i, &job);
		cr_assert_eq(job.keyframe, i == 0);
	}
	cr_assert_not(test_au_has(job.au, job.au_len, 5));

	/* When: a key frame is requested (PLI). Then: the next AU is an IDR with SPS/PPS. */
	pc_video_enc_request_keyframe(t.enc);
	test_encode(&t, 5, &job);
	cr_assert(job.keyframe);
	cr_assert(test_au_has(job.au, job.au_len, 5));
	cr_assert(test_au_has(job.au, job.au_len, 7));
	cr_assert(test_au_has(job.au, job.au_len, 8));
	/* And: once only. */
	test_encode(&t, 6, &job);
	cr_assert_not(job.keyframe);
	pc_video_enc_stats(t.enc, &es);
	cr_assert_eq(es.key_requests, 1);
	cr_assert_eq(es.keyframes, 2);
	test_codec_close(&t);
}

Test(video, keyframe_on_request_intra_refresh)
{
	const struct pc_video_enc_conf c = {
		.width = 320,
		.height = 240,
		.bitrate_kbps = 500,
		.keyint = 60,
		.intra_refresh = true,
	};
	struct pc_video_enc_job job;
	struct test_codec t;
	uint32_t i;

	/* Given: intra refresh, past the first IDR. */
	test_codec_open(&t, &c);
	for (i = 0; i < 8; i++) {
		test_encode(&t, i, &job);
		cr_assert_eq(test_au_has(job.au, job.au_len, 5), i == 0, "frame %u", i);
	}

	/* When: a key frame is requested. Then: no IDR, but a recovery point starts a wave. */
	pc_video_enc_request_keyframe(t.enc);
	test_encode(&t, i, &job);
	cr_assert(job.keyframe);
	cr_assert_not(test_au_has(job.au, job.au_len, 5));
	cr_assert(test_au_has(job.au, job.au_len, 6), "no recovery point SEI");

	/* And: a decoder that joins at that AU (SPS/PPS from the first) shows pictures within
	 * the wave. */
	{
		struct test_codec j;
		struct pc_video_enc_job first;
		struct pc_video_pic out;
		int got = 0;

		test_codec_open(&j, &c);
		test_encode(&j, 0, &first);
		/* Only SPS and PPS of a fresh stream's first AU: the same parameters. */
		{
			const uint8_t *nal;
			size_t pos = 0, n, end = 0;

			while (pc_video_annexb_next(first.au, first.au_len, &pos, &nal, &n) == 1)
				if ((nal[0] & 0x1f) == 7 || (nal[0] & 0x1f) == 8)
					end = (size_t)(nal + n - first.au);
			cr_assert_eq(pc_video_dec_decode(j.dec, first.au, end, &out), 0);
		}
		cr_assert_geq(pc_video_dec_decode(j.dec, job.au, job.au_len, &out), 0);
		for (i = i + 1; i < 9 + 70; i++) {
			test_encode(&t, i, &job);
			if (pc_video_dec_decode(j.dec, job.au, job.au_len, &out) == 1)
				got++;
		}
		cr_assert_gt(got, 0, "no picture after the recovery point");
		test_codec_close(&j);
	}
	test_codec_close(&t);
}

Test(video, slice_max_size_respected)
{
	const struct pc_video_enc_conf c = {
		.width = 640,
		.height = 360,
		.bitrate_kbps = 1500,
		.keyint = 15,
		.slice_max_size = 1000,
	};
	struct test_codec t;
	size_t max = 0;
	uint32_t slices = 0;

	/* Given: slices limited to 1000 bytes at a bitrate that makes large frames. */
	test_codec_open(&t, &c);
	for (uint32_t i = 0; i < 30; i++) {
		struct pc_video_enc_job job;
		const uint8_t *nal;
		size_t pos = 0, n;

		/* When: encoded. Then: every NAL unit (without start code) fits the limit. */
		test_encode(&t, i, &job);
		while (pc_video_annexb_next(job.au, job.au_len, &pos, &nal, &n) == 1) {
			if (n > max)
				max = n;
			slices += (nal[0] & 0x1f) == 1 || (nal[0] & 0x1f) == 5;
			cr_assert_leq(n, c.slice_max_size, "frame %u: NAL of %zu bytes", i, n);
		}
	}
	/* And: the limit was in play (several slices a frame). */
	cr_assert_gt(slices, 30 * 2);
	cr_log_info("slice_max_size 1000: largest NAL %zu, %u slices in 30 frames", max, slices);
	test_codec_close(&t);
}

Test(video, two_decoders_agree)
{
	const struct pc_video_enc_conf c = { .width = 320, .height = 240, .bitrate_kbps = 400 };
	struct pc_video_dec *d2, *d3;
	const struct pc_video_dec_conf sliced = { .threads = 2 };
	struct test_codec t;

	/* Given: a clean stream and two more decoders, one with slice threads. */
	test_codec_open(&t, &c);
	cr_assert_eq(pc_video_dec_create(&d2, NULL), 0);
	cr_assert_eq(pc_video_dec_create(&d3, &sliced), 0);
	for (uint32_t i = 0; i < 20; i++) {
		struct pc_video_enc_job job;
		struct pc_video_pic a, b, e;

		/* When: each AU is decoded by all. Then: identical pictures. */
		test_encode(&t, i, &job);
		cr_assert_eq(pc_video_dec_decode(t.dec, job.au, job.au_len, &a), 1);
		cr_assert_eq(pc_video_dec_decode(d2, job.au, job.au_len, &b), 1);
		cr_assert_eq(pc_video_dec_decode(d3, job.au, job.au_len, &e), 1);
		cr_assert(pc_video_pic_equal(&a, &b), "frame %u", i);
		cr_assert(pc_video_pic_equal(&a, &e), "frame %u (slice threads)", i);
	}
	pc_video_dec_destroy(d3);
	pc_video_dec_destroy(d2);
	test_codec_close(&t);
}

Test(video, decode_error_wants_keyframe)
{
	const struct pc_video_enc_conf c = { .width = 320, .height = 240, .bitrate_kbps = 500 };
	struct pc_video_enc_job job;
	struct pc_video_pic out;
	struct test_codec t;
	uint8_t *bad;
	int rc;

	/* Given: a decoder that decoded the first frames. */
	test_codec_open(&t, &c);
	for (uint32_t i = 0; i < 3; i++) {
		test_encode(&t, i, &job);
		cr_assert_eq(pc_video_dec_decode(t.dec, job.au, job.au_len, &out), 1);
	}

	/* When: a P frame arrives with its slice data garbled. */
	test_encode(&t, 3, &job);
	bad = malloc(job.au_len);
	cr_assert_not_null(bad);
	memcpy(bad, job.au, job.au_len);
	for (size_t k = 8; k < job.au_len; k++)
		bad[k] = (uint8_t)(test_rand() | 0x01); /* no start code emulation */
	rc = pc_video_dec_decode(t.dec, bad, job.au_len, &out);
	free(bad);

	/* Then: an error and the decoder wants a key frame. */
	cr_assert_eq(rc, -EBADMSG);
	cr_assert(pc_video_dec_keyframe_needed(t.dec));

	/* When: an IDR follows. Then: it decodes and the want is gone. */
	pc_video_enc_request_keyframe(t.enc);
	test_encode(&t, 4, &job);
	cr_assert_eq(pc_video_dec_decode(t.dec, job.au, job.au_len, &out), 1);
	cr_assert_not(pc_video_dec_keyframe_needed(t.dec));

	/* And: a decoder joining mid-stream at a P frame shows nothing and wants a key frame. */
	{
		struct pc_video_dec *late;
		const uint8_t *nal;
		size_t pos = 0, n;
		int lrc;

		cr_assert_eq(pc_video_dec_create(&late, NULL), 0);
		/* the parameter sets of the IDR just sent */
		while (pc_video_annexb_next(job.au, job.au_len, &pos, &nal, &n) == 1)
			if ((nal[0] & 0x1f) == 7 || (nal[0] & 0x1f) == 8)
				cr_assert_eq(pc_video_dec_decode(late, nal - 3, n + 3, &out), 0);
		cr_assert_not(pc_video_dec_keyframe_needed(late));
		test_encode(&t, 5, &job);
		cr_assert_not(test_au_has(job.au, job.au_len, 5));
		lrc = pc_video_dec_decode(late, job.au, job.au_len, &out);
		cr_assert(lrc == 0 || lrc == -EBADMSG, "P frame first: %d", lrc);
		cr_assert(pc_video_dec_keyframe_needed(late));
		pc_video_dec_destroy(late);
	}

	/* And: an AU over max_au_bytes is refused. */
	{
		struct pc_video_dec *small;
		const struct pc_video_dec_conf sc = { .max_au_bytes = 16 };

		cr_assert_eq(pc_video_dec_create(&small, &sc), 0);
		cr_assert_eq(pc_video_dec_decode(small, job.au, job.au_len, &out), -EMSGSIZE);
		pc_video_dec_destroy(small);
	}
	test_codec_close(&t);
}

Test(video, encoder_rejects_bad_conf)
{
	struct pc_video_enc *e = NULL;
	struct pc_video_enc_conf c = { .width = 320, .height = 240 };

	/* Given/When/Then: odd sizes and unknown presets or profiles are refused. */
	c.width = 321;
	cr_assert_eq(pc_video_enc_create(&e, &c), -EINVAL);
	c.width = 320;
	c.preset = "warpspeed";
	cr_assert_eq(pc_video_enc_create(&e, &c), -EINVAL);
	c.preset = "3";
	cr_assert_eq(pc_video_enc_create(&e, &c), -EINVAL);
	c.preset = "veryfast";
	c.profile = "nonsense";
	cr_assert_eq(pc_video_enc_create(&e, &c), -EINVAL);
	cr_assert_null(e);
	/* And: recon without the option is not available. */
	c.profile = NULL;
	cr_assert_eq(pc_video_enc_create(&e, &c), 0);
	{
		struct pc_video_pic r;

		cr_assert_eq(pc_video_enc_recon(e, &r), -ENOTSUP);
	}
	pc_video_enc_destroy(e);
}

Test(video, encode_through_the_engine_is_profiled)
{
	const struct pc_video_enc_conf c = { .width = 320, .height = 240 };
	struct pc_hw_prof_row row;
	struct pc_video_enc_job arg;
	struct pc_hw_job job, *done;
	struct test_codec t;

	/* Given: an encode job submitted (not run) on the cpu engine. */
	test_codec_open(&t, &c);
	cr_assert_eq(pc_video_pattern_draw(&t.src, 0, 1), 0);
	pc_video_enc_job_init(&job, &arg, t.enc, &t.src);
	cr_assert_eq(pc_hw_submit(t.eng, &job), 0);

	/* When: polled. Then: it is back, done, with its AU; the profiler has the kernel. */
	cr_assert_eq(pc_hw_poll(t.eng, &done, 1), 1);
	cr_assert_eq(done, &job);
	cr_assert_eq(job.status, 0);
	cr_assert_gt(arg.au_len, 0);
	cr_assert(arg.keyframe);
	cr_assert_eq(pc_hw_profile(t.eng, &row, 1), 1);
	cr_assert_str_eq(row.kernel, "h264_enc");
	cr_assert_eq(row.jobs, 1);

	/* And: a picture of the wrong size fails the job with -EINVAL. */
	{
		struct pc_video_pic small;
		struct pc_video_enc_job a2;

		cr_assert_eq(pc_video_pic_alloc(&small, 160, 120), 0);
		cr_assert_eq(pc_video_enc_encode(t.enc, t.eng, &small, &a2), -EINVAL);
		pc_video_pic_free(&small);
	}
	test_codec_close(&t);
}

/* --- Y4M -------------------------------------------------------------------------------------- */

Test(video, y4m_round_trip)
{
	const struct pc_video_y4m_info info = {
		.width = 192, .height = 160, .fps_num = 30000, .fps_den = 1001
	};
	struct pc_video_y4m_reader *r;
	struct pc_video_pic pic, back;
	FILE *f = tmpfile();

	/* Given: three pattern frames written to a Y4M file. */
	cr_assert_not_null(f);
	cr_assert_eq(pc_video_pic_alloc(&pic, 192, 160), 0);
	cr_assert_eq(pc_video_pic_alloc(&back, 192, 160), 0);
	cr_assert_eq(pc_video_y4m_write_header(f, &info), 0);
	for (uint32_t i = 0; i < 3; i++) {
		cr_assert_eq(pc_video_pattern_draw(&pic, i, i), 0);
		cr_assert_eq(pc_video_y4m_write(f, &pic), 0);
	}
	rewind(f);

	/* When: read back. Then: the header and the same three frames, then the end. */
	cr_assert_eq(pc_video_y4m_reader_create(&r, f), 0);
	cr_assert_eq(pc_video_y4m_reader_info(r)->width, 192);
	cr_assert_eq(pc_video_y4m_reader_info(r)->height, 160);
	cr_assert_eq(pc_video_y4m_reader_info(r)->fps_num, 30000);
	cr_assert_eq(pc_video_y4m_reader_info(r)->fps_den, 1001);
	for (uint32_t i = 0; i < 3; i++) {
		cr_assert_eq(pc_video_y4m_read(r, &back), 1);
		cr_assert_eq(pc_video_pattern_draw(&pic, i, i), 0);
		cr_assert(pc_video_pic_equal(&pic, &back), "frame %u", i);
		cr_assert_eq(back.pts, i);
	}
	cr_assert_eq(pc_video_y4m_read(r, &back), 0);
	pc_video_y4m_reader_destroy(r);
	fclose(f);

	/* And: a truncated frame is an I/O error, a bad FRAME line malformed. */
	f = tmpfile();
	cr_assert_not_null(f);
	fputs("YUV4MPEG2 W192 H160 F30:1\nFRAME\nabc", f);
	rewind(f);
	cr_assert_eq(pc_video_y4m_reader_create(&r, f), 0);
	cr_assert_eq(pc_video_y4m_read(r, &back), -EIO);
	pc_video_y4m_reader_destroy(r);
	fclose(f);
	f = tmpfile();
	cr_assert_not_null(f);
	fputs("YUV4MPEG2 W192 H160 F30:1\nFRAMES\n", f);
	rewind(f);
	cr_assert_eq(pc_video_y4m_reader_create(&r, f), 0);
	cr_assert_eq(pc_video_y4m_read(r, &back), -EBADMSG);
	pc_video_y4m_reader_destroy(r);
	fclose(f);
	pc_video_pic_free(&pic);
	pc_video_pic_free(&back);
}

static int test_y4m_parse(const char *s, struct pc_video_y4m_info *info, size_t *used)
{
	return pc_video_y4m_parse_header((const uint8_t *)s, strlen(s), info, used);
}

Test(video, y4m_header_variants)
{
	struct pc_video_y4m_info info;
	size_t used;

	/* Given: the 4:2:0 colour-space tags, parameters in any order, X tags. Then: accepted. */
	cr_assert_eq(test_y4m_parse("YUV4MPEG2 W320 H240 F25:1 Ip A0:0 C420jpeg\nFRAME", &info,
				    &used),
		     0);
	cr_assert_eq(used, strlen("YUV4MPEG2 W320 H240 F25:1 Ip A0:0 C420jpeg\n"));
	cr_assert_eq(info.width, 320);
	cr_assert_eq(info.fps_num, 25);
	cr_assert_eq(test_y4m_parse("YUV4MPEG2 C420 H4 W2\n", &info, &used), 0);
	cr_assert_eq(info.fps_num, 0);
	cr_assert_eq(test_y4m_parse("YUV4MPEG2 W2 H2 C420mpeg2 XYSCSS=420MPEG2\n", &info, &used),
		     0);
	cr_assert_eq(test_y4m_parse("YUV4MPEG2 W2 H2 C420paldv I?\n", &info, &used), 0);
	/* And: FRAME lines with and without parameters. */
	cr_assert_eq(pc_video_y4m_parse_frame((const uint8_t *)"FRAME\n", 6, &used), 0);
	cr_assert_eq(pc_video_y4m_parse_frame((const uint8_t *)"FRAME Ixyz\n", 11, &used), 0);
	cr_assert_eq(used, 11);
}

Test(video, y4m_malformed_headers_rejected)
{
	static const char *const bad[] = {
		"YUV4MPEG3 W320 H240\n",
		"YUV4MPEG2W320 H240\n",
		"YUV4MPEG2 W320\n",
		"YUV4MPEG2 H240\n",
		"YUV4MPEG2 W0 H240\n",
		"YUV4MPEG2 W-320 H240\n",
		"YUV4MPEG2 W320x H240\n",
		"YUV4MPEG2 W1234567890 H240\n",
		"YUV4MPEG2 W99999 H240\n",
		"YUV4MPEG2 W320 H240 F30\n",
		"YUV4MPEG2 W320 H240 F30:0\n",
		"YUV4MPEG2 W320 H240 F:1\n",
		"YUV4MPEG2 W320 H240 A1\n",
		"YUV4MPEG2 W320 H240 Z9\n",
		"YUV4MPEG2 W320 H240  F30:1\n",
		"YUV4MPEG2 W320 H240 Ipp\n",
		"YUV4MPEG2 W\n",
		"\n",
		"nonsense",
	};
	struct pc_video_y4m_info info;
	uint8_t longline[PC_VIDEO_Y4M_LINE_MAX + 8];
	size_t used;

	/* Given: malformed headers. When: parsed. Then: -EBADMSG each. */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(test_y4m_parse(bad[i], &info, &used), -EBADMSG, "%zu: %s", i, bad[i]);

	/* And: a header line longer than the limit, without '\n', is malformed too. */
	memcpy(longline, "YUV4MPEG2 X", 11);
	memset(longline + 11, 'a', sizeof(longline) - 11);
	cr_assert_eq(pc_video_y4m_parse_header(longline, sizeof(longline), &info, &used), -EBADMSG);
	/* And: a good but incomplete line asks for more. */
	cr_assert_eq(test_y4m_parse("YUV4MPEG2 W320 H2", &info, &used), -EAGAIN);
	cr_assert_eq(pc_video_y4m_parse_header((const uint8_t *)"YUV", 3, &info, &used), -EAGAIN);
	/* And: valid headers of formats we do not take are -ENOTSUP. */
	cr_assert_eq(test_y4m_parse("YUV4MPEG2 W320 H240 C444\n", &info, &used), -ENOTSUP);
	cr_assert_eq(test_y4m_parse("YUV4MPEG2 W320 H240 C420p10\n", &info, &used), -ENOTSUP);
	cr_assert_eq(test_y4m_parse("YUV4MPEG2 W320 H240 It\n", &info, &used), -ENOTSUP);
	cr_assert_eq(test_y4m_parse("YUV4MPEG2 W321 H240\n", &info, &used), -ENOTSUP);
	/* And: bad FRAME lines. */
	cr_assert_eq(pc_video_y4m_parse_frame((const uint8_t *)"FRAMEX\n", 7, &used), -EBADMSG);
	cr_assert_eq(pc_video_y4m_parse_frame((const uint8_t *)"FRAM\n", 5, &used), -EBADMSG);
	cr_assert_eq(pc_video_y4m_parse_frame((const uint8_t *)"FRA", 3, &used), -EAGAIN);
	cr_assert_eq(pc_video_y4m_parse_frame((const uint8_t *)"XRA", 3, &used), -EBADMSG);
}

Test(video, annexb_scanner)
{
	static const uint8_t s[] = { 0, 0, 0, 1, 0x67, 1, 2, 0,	   0, 1, 0x68, 3, 0,
				     0, 0, 0, 1, 0,    0, 1, 0x65, 0, 0, 3,    1, 9 };
	const uint8_t *nal;
	size_t pos = 0, n;

	/* Given: SPS, PPS with trailing zeros, an empty NAL, an IDR with an escape. */
	/* When: scanned. Then: three NAL units with their exact lengths. */
	cr_assert_eq(pc_video_annexb_next(s, sizeof(s), &pos, &nal, &n), 1);
	cr_assert_eq(nal[0], 0x67);
	cr_assert_eq(n, 3);
	cr_assert_eq(pc_video_annexb_next(s, sizeof(s), &pos, &nal, &n), 1);
	cr_assert_eq(nal[0], 0x68);
	cr_assert_eq(n, 2);
	cr_assert_eq(pc_video_annexb_next(s, sizeof(s), &pos, &nal, &n), 1);
	cr_assert_eq(nal[0], 0x65);
	cr_assert_eq(n, 6);
	cr_assert_eq(pc_video_annexb_next(s, sizeof(s), &pos, &nal, &n), 0);
	pos = 0;
	cr_assert_eq(pc_video_annexb_next(s, 3, &pos, &nal, &n), 0);
}

/* --- RFC 6184 --------------------------------------------------------------------------------- */

#define TEST_RTP_MAX 4096u

struct test_rtp_pkt {
	uint16_t seq;
	uint32_t ts;
	bool marker;
	size_t len;
	uint8_t data[1200];
};

Test(video, rtp_packetize_shuffle_depacketize_decode)
{
	const struct pc_video_enc_conf c = {
		.width = 640,
		.height = 360,
		.bitrate_kbps = 1200,
		.keyint = 20,
		.slice_max_size = 1100,
	};
	const struct pc_h264_pack_conf pc = {
		.mode = PC_H264_MODE_NON_INTERLEAVED,
		.max_payload = 1200,
		.stap_a = true,
	};
	struct test_rtp_pkt *pk;
	struct pc_h264_depack *dp;
	struct pc_video_dec *ref;
	struct test_codec t;
	uint32_t npk = 0, decoded = 0, next_frame = 0;
	uint16_t seq = 65500; /* wraps during the test */
	int rc;

	rc = pc_h264_depack_create(&dp, NULL);
	if (rc == -ENOSYS)
		cr_skip_test("pc_h264_depack_create: -ENOSYS (placeholder)");
	cr_assert_eq(rc, 0);
	pk = calloc(TEST_RTP_MAX, sizeof(*pk));
	cr_assert_not_null(pk);
	test_codec_open(&t, &c);
	cr_assert_eq(pc_video_dec_create(&ref, NULL), 0);

	for (uint32_t i = 0; i < 30; i++) {
		struct pc_video_enc_job job;
		struct pc_h264_pack p;
		struct pc_video_pic direct;
		uint32_t first = npk;

		/* Given: each AU packetized in mode 1 at 1200 bytes. */
		test_encode(&t, i, &job);
		cr_assert_eq(pc_video_dec_decode(ref, job.au, job.au_len, &direct), 1);
		rc = pc_h264_pack_init(&p, &pc, job.au, job.au_len);
		if (rc == -ENOSYS)
			cr_skip_test("pc_h264_pack_init: -ENOSYS (placeholder)");
		cr_assert_eq(rc, 0);
		for (;;) {
			struct test_rtp_pkt *q = &pk[npk];

			cr_assert_lt(npk, TEST_RTP_MAX);
			rc = pc_h264_pack_next(&p, q->data, sizeof(q->data), &q->len, &q->marker);
			if (rc == 0)
				break;
			cr_assert_eq(rc, 1, "pack_next: %d", rc);
			cr_assert_leq(q->len, 1200);
			q->seq = seq++;
			q->ts = 90000u * 7 + i * 3000u;
			npk++;
		}
		cr_assert(pk[npk - 1].marker);
		/* When: the AU's packets arrive shuffled. */
		for (uint32_t k = npk - 1; k > first; k--) {
			uint32_t r = first + test_rand() % (k - first + 1);
			struct test_rtp_pkt tmp = pk[k];

			pk[k] = pk[r];
			pk[r] = tmp;
		}
		for (uint32_t k = first; k < npk; k++)
			cr_assert_eq(pc_h264_depack_put(dp, pk[k].seq, pk[k].ts, pk[k].marker,
							pk[k].data, pk[k].len),
				     0);
		npk = first; /* the buffer is reused AU by AU */
		/* Then: the AU comes out whole, and decodes to the direct decode's picture. */
		for (;;) {
			struct pc_h264_au au;
			struct pc_video_pic out;
			uint32_t frame;
			uint64_t cap;

			rc = pc_h264_depack_get(dp, &au);
			if (rc == 0)
				break;
			cr_assert_eq(rc, 1);
			cr_assert_eq(pc_video_dec_decode(t.dec, au.data, au.len, &out), 1);
			cr_assert_eq(pc_video_code_read(&out, &frame, &cap), 0);
			cr_assert_eq(frame, next_frame++);
			cr_assert_eq(au.idr, frame % 20 == 0);
			if (frame == i)
				cr_assert(pc_video_pic_equal(&out, &direct), "frame %u", i);
			decoded++;
		}
	}
	pc_h264_depack_flush(dp);
	{
		struct pc_h264_au au;

		while (pc_h264_depack_get(dp, &au) == 1) {
			struct pc_video_pic out;

			cr_assert_eq(pc_video_dec_decode(t.dec, au.data, au.len, &out), 1);
			decoded++;
		}
	}
	cr_assert_eq(decoded, 30);
	pc_video_dec_destroy(ref);
	test_codec_close(&t);
	pc_h264_depack_destroy(dp);
	free(pk);
}
