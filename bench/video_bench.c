/* SPDX-License-Identifier: MIT */
/*
 * video_bench.c - benchmark "video": H.264 encoding through phonecore's wrapper (pc_video.h:
 * x264 behind the offload interface, cpu engine) and the frame latency of the whole path, each
 * against the same libraries called directly in the same run.
 *
 * Encode cases, video/<res>/<preset>/t<threads>: 720p30 at 2 Mbit/s and 1080p30 at 4 Mbit/s,
 * presets ultrafast and veryfast, 1 and 2 threads (slice threads), tune zerolatency, single-frame
 * VBV, slice-max-size 1200, constrained baseline, key frame every 10 s. The source is the moving
 * test pattern (pc_video_pattern_draw: scrolling bars, a moving gradient, a bouncing textured
 * box), drawn before each frame outside the timed region. After VB_WARMUP untimed frames (the
 * first IDR among them; the timed run of 300 frames holds the next, at 10 s), each frame is
 * encoded by ours (pc_video_enc_encode: pc_hw_run on a cpu engine) and by the reference,
 * libx264 called directly with the same parameters on the same picture, the order alternating
 * frame by frame. Rows:
 * encode_p50/p99/p99.9 (ms per frame, from a histogram) and kbps (bitrate achieved).
 *
 * Latency case, video/720p30/e2e/ultrafast/t<threads>: capture time stamped into the picture's
 * block code (pc_video_code_write, CLOCK_MONOTONIC us) just before encoding; then encode,
 * RFC 6184 packetize (mode 1, 1200-byte payloads, STAP-A), depacketize, decode with libavcodec
 * (pc_video_dec), read the code back from the decoded picture: the latency is now minus the
 * capture time read. No network, no pacing: the pipeline's own cost. The reference is
 * libx264 + libavcodec called directly, without RTP. Rows: latency_p50/p99/p99.9 (ms).
 *
 * The goals: 720p30 ultrafast encode p99 under 5 ms; 720p encode-to-decode p99 under
 * 10 ms. The notes say whether this run met them.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <x264.h>
#include <libavcodec/avcodec.h>
#include <libavutil/log.h>

#include "bench_pvt.h"
#include "hist_pvt.h"
#include "pc_h264_rtp.h"
#include "pc_hwaccel.h"
#include "pc_video.h"

#define VB_FPS 30u
#define VB_FRAMES 300u	     /* per case: 10 s of video */
#define VB_FRAMES_QUICK 30u  /* --quick */
#define VB_WARMUP 5u	     /* frames encoded untimed first (buffers faulted in, rate settled) */
#define VB_SLICE_MAX 1200u   /* bytes per slice NAL: one RTP packet */
#define VB_PAYLOAD_MAX 1200u /* RTP payload */
#define VB_MS 1e6

static const char *const ref_enc = "libx264 direct";
static const char *const ref_e2e = "libx264 + libavcodec direct (no RTP)";

struct vb_res {
	const char *name;
	uint32_t w, h, kbps;
};

static const struct vb_res vb_res[] = {
	{ "720p30", 1280, 720, 2000 },
	{ "1080p30", 1920, 1080, 4000 },
};

static const char *const vb_presets[] = { "ultrafast", "veryfast" };
static const uint32_t vb_threads[] = { 1, 2 };

/* --- the reference: libx264 and libavcodec called directly ----------------------------------- */

/* The same settings as pc_video_enc_create() makes of the conf the cases use. */
static x264_t *vb_ref_open(const struct vb_res *r, const char *preset, uint32_t threads)
{
	x264_param_t p;

	if (x264_param_default_preset(&p, preset, "zerolatency") < 0)
		return NULL;
	p.i_log_level = X264_LOG_NONE;
	p.i_width = (int)r->w;
	p.i_height = (int)r->h;
	p.i_csp = X264_CSP_I420;
	p.i_fps_num = VB_FPS;
	p.i_fps_den = 1;
	p.b_vfr_input = 0;
	p.i_threads = (int)threads;
	p.b_sliced_threads = 1;
	p.i_lookahead_threads = 1;
	p.i_sync_lookahead = 0;
	p.rc.i_lookahead = 0;
	p.i_bframe = 0;
	p.rc.b_mb_tree = 0;
	p.rc.i_rc_method = X264_RC_ABR;
	p.rc.i_bitrate = (int)r->kbps;
	p.rc.i_vbv_max_bitrate = (int)r->kbps;
	p.rc.i_vbv_buffer_size = (int)(r->kbps / VB_FPS);
	p.i_keyint_max = 10 * VB_FPS;
	p.i_scenecut_threshold = 0;
	p.i_slice_max_size = VB_SLICE_MAX;
	p.b_repeat_headers = 1;
	p.b_annexb = 1;
	p.b_aud = 0;
	if (x264_param_apply_profile(&p, "baseline") < 0)
		return NULL;
	return x264_encoder_open(&p);
}

/* One picture through libx264; the AU (x264's memory) in *@au. Returns its size or -EIO. */
static int vb_ref_encode(x264_t *x, const struct pc_video_pic *pic, const uint8_t **au)
{
	x264_picture_t in, out;
	x264_nal_t *nal;
	int nnal, size;

	x264_picture_init(&in);
	in.img.i_csp = X264_CSP_I420;
	in.img.i_plane = 3;
	for (int i = 0; i < 3; i++) {
		in.img.plane[i] = pic->plane[i];
		in.img.i_stride[i] = (int)pic->stride[i];
	}
	in.i_pts = pic->pts;
	size = x264_encoder_encode(x, &nal, &nnal, &in, &out);
	if (size < 0)
		return -EIO;
	*au = size > 0 ? nal[0].p_payload : NULL;
	return size;
}

struct vb_ref_dec {
	AVCodecContext *ctx;
	AVPacket *pkt;
	AVFrame *frame;
};

static int vb_ref_dec_open(struct vb_ref_dec *d)
{
	const AVCodec *codec = avcodec_find_decoder(AV_CODEC_ID_H264);

	memset(d, 0, sizeof(*d));
	if (codec == NULL)
		return -EIO;
	d->ctx = avcodec_alloc_context3(codec);
	d->pkt = av_packet_alloc();
	d->frame = av_frame_alloc();
	if (d->ctx == NULL || d->pkt == NULL || d->frame == NULL)
		return -ENOMEM;
	d->ctx->flags |= AV_CODEC_FLAG_LOW_DELAY;
	d->ctx->thread_count = 1;
	if (avcodec_open2(d->ctx, codec, NULL) < 0)
		return -EIO;
	return 0;
}

static void vb_ref_dec_close(struct vb_ref_dec *d)
{
	av_frame_free(&d->frame);
	av_packet_free(&d->pkt);
	avcodec_free_context(&d->ctx);
}

/* Decodes @au; the picture as a view into *@pic. Returns 1, 0 (none) or -EBADMSG. */
static int vb_ref_decode(struct vb_ref_dec *d, const uint8_t *au, size_t len,
			 struct pc_video_pic *pic)
{
	av_frame_unref(d->frame);
	d->pkt->data = (uint8_t *)au;
	d->pkt->size = (int)len;
	if (avcodec_send_packet(d->ctx, d->pkt) < 0)
		return -EBADMSG;
	if (avcodec_receive_frame(d->ctx, d->frame) < 0)
		return 0;
	memset(pic, 0, sizeof(*pic));
	pic->width = (uint32_t)d->frame->width;
	pic->height = (uint32_t)d->frame->height;
	for (int i = 0; i < 3; i++) {
		pic->plane[i] = d->frame->data[i];
		pic->stride[i] = (uint32_t)d->frame->linesize[i];
	}
	return 1;
}

/* --- encode cases ----------------------------------------------------------------------------- */

/* The calling thread's CPU time: an encode's own cost, without the time other processes took the
 * CPU from it (this machine's CPUs may be shared). */
static uint64_t vb_thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int vb_rows(struct pc_bench_report *r, const char *name, const char *what,
		   const struct pc_hist *o, const struct pc_hist *ref, const char *ref_name,
		   bool have_ours)
{
	static const double q[3] = { 0.5, 0.99, 0.999 };
	static const char *const qn[3] = { "p50", "p99", "p99.9" };
	char metric[32];
	int rc = 0;

	for (int i = 0; i < 3 && rc == 0; i++) {
		snprintf(metric, sizeof(metric), "%s_%s", what, qn[i]);
		rc = pc_bench_report_row(
			r, name, metric, "ms", PC_BENCH_LOWER_BETTER,
			have_ours ? (double)pc_hist_quantile(o, q[i]) / VB_MS : NAN, ref_name,
			ref->count ? (double)pc_hist_quantile(ref, q[i]) / VB_MS : NAN);
	}
	return rc;
}

static int vb_encode_case(struct pc_bench_report *r, struct pc_hw_engine *eng,
			  const struct vb_res *res, const char *preset, uint32_t threads,
			  uint32_t frames)
{
	const struct pc_video_enc_conf conf = {
		.width = res->w,
		.height = res->h,
		.fps_num = VB_FPS,
		.fps_den = 1,
		.bitrate_kbps = res->kbps,
		.preset = preset,
		.threads = threads,
		.keyint = 10 * VB_FPS,
		.slice_max_size = VB_SLICE_MAX,
	};
	struct pc_hist *ho = NULL, *hr = NULL, *hc = NULL;
	struct pc_video_enc *enc = NULL;
	struct pc_video_enc_stats st;
	struct pc_video_pic pic = { 0 };
	uint64_t ref_bytes = 0, base_bytes;
	x264_t *ref = NULL;
	char name[64];
	double secs;
	int rc;

	snprintf(name, sizeof(name), "video/%s/%s/t%u", res->name, preset, threads);
	rc = pc_hist_create(&ho);
	if (rc == 0)
		rc = pc_hist_create(&hr);
	if (rc == 0)
		rc = pc_hist_create(&hc);
	if (rc == 0)
		rc = pc_video_pic_alloc(&pic, res->w, res->h);
	if (rc == 0)
		rc = pc_video_enc_create(&enc, &conf);
	if (rc == 0) {
		ref = vb_ref_open(res, preset, threads);
		if (ref == NULL)
			rc = -EIO;
	}
	if (rc != 0) {
		fprintf(stderr, "bench video: %s: setup failed: %s\n", name, strerror(-rc));
		goto out;
	}
	for (uint32_t i = 0; i < VB_WARMUP && rc == 0; i++) {
		struct pc_video_enc_job job;
		const uint8_t *au;

		pc_video_pattern_draw(&pic, i, pc_video_now_us());
		rc = pc_video_enc_encode(enc, eng, &pic, &job);
		if (rc == 0 && vb_ref_encode(ref, &pic, &au) < 0)
			rc = -EIO;
	}
	pc_video_enc_stats(enc, &st);
	base_bytes = st.bytes;
	for (uint32_t i = VB_WARMUP; i < VB_WARMUP + frames && rc == 0; i++) {
		struct pc_video_enc_job job;
		const uint8_t *au;
		uint64_t t0, t1, t2, c0, c1;
		int size = 0;

		pc_video_pattern_draw(&pic, i, pc_video_now_us());
		/* Alternate which side goes first: neither always finds the caches warm. */
		if (i & 1) {
			t0 = pc_bench_now_ns();
			size = vb_ref_encode(ref, &pic, &au);
			t1 = pc_bench_now_ns();
			c0 = vb_thread_cpu_ns();
			rc = pc_video_enc_encode(enc, eng, &pic, &job);
			c1 = vb_thread_cpu_ns();
			t2 = pc_bench_now_ns();
			pc_hist_record(hr, t1 - t0);
			pc_hist_record(ho, t2 - t1);
		} else {
			t0 = pc_bench_now_ns();
			c0 = vb_thread_cpu_ns();
			rc = pc_video_enc_encode(enc, eng, &pic, &job);
			c1 = vb_thread_cpu_ns();
			t1 = pc_bench_now_ns();
			size = vb_ref_encode(ref, &pic, &au);
			t2 = pc_bench_now_ns();
			pc_hist_record(ho, t1 - t0);
			pc_hist_record(hr, t2 - t1);
		}
		pc_hist_record(hc, c1 - c0);
		if (size < 0)
			rc = size;
		else
			ref_bytes += (uint64_t)size;
	}
	if (rc != 0) {
		fprintf(stderr, "bench video: %s: encoding failed: %s\n", name, strerror(-rc));
		goto out;
	}
	pc_video_enc_stats(enc, &st);
	secs = (double)frames / VB_FPS;
	rc = vb_rows(r, name, "encode", ho, hr, ref_enc, true);
	if (rc == 0)
		rc = pc_bench_report_row(r, name, "kbps", "kbit/s", PC_BENCH_LOWER_BETTER,
					 (double)(st.bytes - base_bytes) * 8 / 1000 / secs, ref_enc,
					 (double)ref_bytes * 8 / 1000 / secs);
	if (rc == 0)
		rc = pc_bench_report_note(
			r,
			"%s: encode mean %.2f ms (ours) %.2f ms (ref), max %.2f / %.2f ms; "
			"calling thread's CPU time p50 %.2f p99 %.2f ms%s; largest AU %llu B, "
			"NAL %llu B",
			name, pc_hist_mean(ho) / VB_MS, pc_hist_mean(hr) / VB_MS,
			(double)ho->max / VB_MS, (double)hr->max / VB_MS,
			(double)pc_hist_quantile(hc, 0.5) / VB_MS,
			(double)pc_hist_quantile(hc, 0.99) / VB_MS,
			threads > 1 ? " (slice threads not counted)" : " (no preemption counted)",
			(unsigned long long)st.max_au, (unsigned long long)st.max_nal);
	if (rc == 0 && res->w == 1280 && strcmp(preset, "ultrafast") == 0)
		rc = pc_bench_report_note(
			r, "%s: goal encode p99 < 5 ms: %s (%.2f ms)", name,
			(double)pc_hist_quantile(ho, 0.99) < 5 * VB_MS ? "met" : "NOT met",
			(double)pc_hist_quantile(ho, 0.99) / VB_MS);
out:
	if (ref != NULL)
		x264_encoder_close(ref);
	pc_video_enc_destroy(enc);
	pc_video_pic_free(&pic);
	pc_hist_destroy(ho);
	pc_hist_destroy(hr);
	pc_hist_destroy(hc);
	return rc;
}

/* --- the latency case ------------------------------------------------------------------------- */

struct vb_e2e {
	struct pc_video_enc *enc;
	struct pc_video_dec *dec;
	struct pc_h264_depack *dp;
	x264_t *ref;
	struct vb_ref_dec rdec;
	uint16_t seq;
	uint64_t unread_ours, unread_ref, packets, aus;
};

/* Ours: encode, packetize, depacketize, decode, read the code. Returns the latency in us, or
 * a negative errno; -ENODATA when the code could not be read. */
static int64_t vb_e2e_ours(struct vb_e2e *c, struct pc_hw_engine *eng, struct pc_video_pic *pic,
			   uint32_t i)
{
	const struct pc_h264_pack_conf pconf = {
		.mode = PC_H264_MODE_NON_INTERLEAVED,
		.max_payload = VB_PAYLOAD_MAX,
		.stap_a = true,
	};
	uint8_t buf[VB_PAYLOAD_MAX];
	struct pc_video_enc_job job;
	struct pc_h264_pack p;
	struct pc_h264_au au;
	struct pc_video_pic out;
	uint64_t cap = pc_video_now_us(), got;
	uint32_t frame;
	int64_t lat = -ENODATA;
	int rc;

	pc_video_code_write(pic, i, cap);
	rc = pc_video_enc_encode(c->enc, eng, pic, &job);
	if (rc != 0)
		return rc;
	rc = pc_h264_pack_init(&p, &pconf, job.au, job.au_len);
	if (rc != 0)
		return rc;
	for (;;) {
		size_t len;
		bool marker;

		rc = pc_h264_pack_next(&p, buf, sizeof(buf), &len, &marker);
		if (rc <= 0)
			break;
		c->packets++;
		rc = pc_h264_depack_put(c->dp, c->seq++, i * (90000u / VB_FPS), marker, buf, len);
		if (rc != 0)
			return rc;
	}
	if (rc < 0)
		return rc;
	while (pc_h264_depack_get(c->dp, &au) == 1) {
		c->aus++;
		if (pc_video_dec_decode(c->dec, au.data, au.len, &out) != 1)
			continue;
		if (pc_video_code_read(&out, &frame, &got) == 0 && frame == i)
			lat = (int64_t)pc_video_code_age_us(pc_video_now_us(), got);
	}
	return lat;
}

/* The reference: libx264, libavcodec, the code; no RTP. */
static int64_t vb_e2e_ref(struct vb_e2e *c, struct pc_video_pic *pic, uint32_t i)
{
	uint64_t cap = pc_video_now_us(), got;
	struct pc_video_pic out;
	const uint8_t *au;
	uint32_t frame;
	int size;

	pc_video_code_write(pic, i, cap);
	size = vb_ref_encode(c->ref, pic, &au);
	if (size < 0)
		return size;
	if (size == 0 || vb_ref_decode(&c->rdec, au, (size_t)size, &out) != 1)
		return -ENODATA;
	if (pc_video_code_read(&out, &frame, &got) != 0 || frame != i)
		return -ENODATA;
	return (int64_t)pc_video_code_age_us(pc_video_now_us(), got);
}

static int vb_e2e_case(struct pc_bench_report *r, struct pc_hw_engine *eng, uint32_t threads,
		       uint32_t frames)
{
	const struct vb_res *res = &vb_res[0];
	const struct pc_video_enc_conf conf = {
		.width = res->w,
		.height = res->h,
		.fps_num = VB_FPS,
		.fps_den = 1,
		.bitrate_kbps = res->kbps,
		.preset = "ultrafast",
		.threads = threads,
		.keyint = 10 * VB_FPS,
		.slice_max_size = VB_SLICE_MAX,
	};
	bool have_rtp = true; /* until pc_h264_* say -ENOSYS */
	struct pc_hist *ho = NULL, *hr = NULL;
	struct pc_video_pic pic = { 0 };
	struct vb_e2e c;
	char name[64];
	int rc;

	memset(&c, 0, sizeof(c));
	snprintf(name, sizeof(name), "video/%s/e2e/ultrafast/t%u", res->name, threads);
	rc = pc_hist_create(&ho);
	if (rc == 0)
		rc = pc_hist_create(&hr);
	if (rc == 0)
		rc = pc_video_pic_alloc(&pic, res->w, res->h);
	if (rc == 0)
		rc = pc_video_enc_create(&c.enc, &conf);
	if (rc == 0)
		rc = pc_video_dec_create(&c.dec, NULL);
	if (rc == 0)
		rc = vb_ref_dec_open(&c.rdec);
	if (rc == 0) {
		c.ref = vb_ref_open(res, "ultrafast", threads);
		if (c.ref == NULL)
			rc = -EIO;
	}
	if (rc == 0 && have_rtp) {
		int drc = pc_h264_depack_create(&c.dp, NULL);

		if (drc != 0) {
			have_rtp = false;
			c.dp = NULL;
			if (drc != -ENOSYS)
				rc = drc;
		}
	}
	if (rc != 0) {
		fprintf(stderr, "bench video: %s: setup failed: %s\n", name, strerror(-rc));
		goto out;
	}
	for (uint32_t i = 0; i < frames; i++) {
		int64_t lo = -ENODATA, lr;

		pc_video_pattern_draw(&pic, i, 0);
		if (have_rtp) {
			lo = vb_e2e_ours(&c, eng, &pic, i);
			if (lo == -ENOSYS) {
				have_rtp = false;
			} else if (lo == -ENODATA) {
				c.unread_ours++;
			} else if (lo < 0) {
				rc = (int)lo;
				fprintf(stderr, "bench video: %s: frame %u: %s\n", name, i,
					strerror(-rc));
				goto out;
			} else {
				pc_hist_record(ho, (uint64_t)lo * 1000u);
			}
		}
		lr = vb_e2e_ref(&c, &pic, i);
		if (lr == -ENODATA)
			c.unread_ref++;
		else if (lr >= 0)
			pc_hist_record(hr, (uint64_t)lr * 1000u);
	}
	rc = vb_rows(r, name, "latency", ho, hr, ref_e2e, have_rtp && ho->count > 0);
	if (rc != 0)
		goto out;
	if (!have_rtp) {
		rc = pc_bench_report_note(r,
					  "%s: RFC 6184 functions missing or placeholders "
					  "(codecs/h264_rtp.c): no figure for ours",
					  name);
		goto out;
	}
	rc = pc_bench_report_note(
		r,
		"%s: capture time read from the decoded picture (us); %llu of %u frames unreadable "
		"(ours), %llu (ref); %.1f RTP packets per frame; goal p99 < 10 ms: %s (%.2f ms)",
		name, (unsigned long long)c.unread_ours, frames, (unsigned long long)c.unread_ref,
		(double)c.packets / frames,
		(double)pc_hist_quantile(ho, 0.99) < 10 * VB_MS ? "met" : "NOT met",
		(double)pc_hist_quantile(ho, 0.99) / VB_MS);
out:
	if (c.dp != NULL)
		pc_h264_depack_destroy(c.dp);
	if (c.ref != NULL)
		x264_encoder_close(c.ref);
	vb_ref_dec_close(&c.rdec);
	pc_video_dec_destroy(c.dec);
	pc_video_enc_destroy(c.enc);
	pc_video_pic_free(&pic);
	pc_hist_destroy(ho);
	pc_hist_destroy(hr);
	return rc;
}

int pc_bench_video_run(const struct pc_bench_opts *o)
{
	uint32_t frames = o->quick ? VB_FRAMES_QUICK : VB_FRAMES;
	struct pc_bench_report *r = NULL;
	struct pc_hw_engine *eng = NULL;
	uint64_t t0 = pc_bench_now_ns();
	int rc;

	av_log_set_level(AV_LOG_ERROR);
	rc = pc_bench_report_create(&r, "video", o);
	if (rc == 0)
		rc = pc_hw_engine_create(&eng, NULL);
	if (rc != 0) {
		fprintf(stderr, "bench video: setup failed: %s\n", strerror(-rc));
		goto out;
	}
	rc = pc_bench_report_note(
		r,
		"x264 build %d, libavcodec %s; %u frames per case, the calling thread unpinned; "
		"tune zerolatency, single-frame VBV, slice-max-size %u, constrained baseline; "
		"ours = pc_video_enc on a cpu engine (pc_hw_run), ref = the same x264 parameters "
		"called directly, alternating frame by frame",
		X264_BUILD, av_version_info(), frames, VB_SLICE_MAX);
	for (size_t ri = 0; ri < sizeof(vb_res) / sizeof(vb_res[0]) && rc == 0; ri++)
		for (size_t pi = 0; pi < 2 && rc == 0; pi++)
			for (size_t ti = 0; ti < 2 && rc == 0; ti++)
				rc = vb_encode_case(r, eng, &vb_res[ri], vb_presets[pi],
						    vb_threads[ti], frames);
	for (size_t ti = 0; ti < 2 && rc == 0; ti++)
		rc = vb_e2e_case(r, eng, vb_threads[ti], frames);
	if (rc == 0) {
		struct pc_hw_prof_row row;

		if (pc_hw_profile(eng, &row, 1) == 1)
			rc = pc_bench_report_note(
				r,
				"engine profiler, kernel %s over all cases: %llu jobs, p99 %.2f ms",
				row.kernel, (unsigned long long)row.jobs,
				(double)row.ns_p99 / VB_MS);
	}
	if (rc == 0)
		rc = pc_bench_report_note(r, "run time %.1f s",
					  (double)(pc_bench_now_ns() - t0) / 1e9);
	if (rc == 0)
		rc = pc_bench_report_finish(r);
out:
	pc_hw_engine_destroy(eng);
	pc_bench_report_destroy(r);
	return rc;
}
