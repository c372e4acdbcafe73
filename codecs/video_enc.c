/* SPDX-License-Identifier: MIT */
/*
 * video_enc.c - the H.264 encoder of pc_video.h: x264 behind the offload interface. The x264
 * instance is the kernel's state; one job encodes one picture into one access unit.
 *
 * Low delay: tune zerolatency (no B-frames, no lookahead, no frame threads: threads above 1 are
 * slice threads, which add no frame of delay), single-frame VBV, so every picture gives its
 * access unit at once and no access unit is much larger than bitrate / fps.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h> /* before x264.h, which needs it */
#include <stdlib.h>
#include <string.h>

#include <x264.h>

#include "pc_video.h"

#define ENC_CAPTURE_RING 64u /* capture times of pictures in flight inside x264 */

struct pc_video_enc {
	x264_t *x264;
	struct pc_video_enc_conf conf;
	bool recon_on;
	bool have_recon;
	struct pc_video_pic recon; /* I420 copy of x264's NV12 reconstruction */
	uint64_t seq;		   /* pictures given to x264 */
	uint64_t capture[ENC_CAPTURE_RING];
	struct pc_video_enc_stats st;
	/* Set by pc_video_enc_request_keyframe (any thread), taken by the kernel. Relaxed: the
	 * flag publishes no other data. */
	atomic_bool key_req;
};

static bool enc_preset_known(const char *name)
{
	for (int i = 0; x264_preset_names[i] != NULL; i++)
		if (strcmp(name, x264_preset_names[i]) == 0)
			return true;
	return false;
}

static int enc_param(x264_param_t *p, const struct pc_video_enc_conf *c)
{
	const char *preset = c->preset != NULL ? c->preset : "ultrafast";
	const char *profile = c->profile != NULL ? c->profile : "baseline";
	uint32_t fps_num = c->fps_num, fps_den = c->fps_den;
	uint32_t kbps = c->bitrate_kbps != 0 ? c->bitrate_kbps : 1000;
	uint32_t vbv_frames = c->vbv_frames != 0 ? c->vbv_frames : 1;
	uint64_t vbv;

	if (c->width == 0 || c->height == 0 || (c->width | c->height) & 1 || c->width > 8192 ||
	    c->height > 8192 || !enc_preset_known(preset) || c->threads > 64)
		return -EINVAL;
	/* 8-bit 4:2:0 profiles only; checked here, as x264 logs what it refuses. */
	if (strcmp(profile, "baseline") != 0 && strcmp(profile, "main") != 0 &&
	    strcmp(profile, "high") != 0)
		return -EINVAL;
	if (fps_num == 0 || fps_den == 0) {
		fps_num = 30;
		fps_den = 1;
	}
	/* Bounds that keep the int fields of x264_param_t and the VBV product in range. */
	if (fps_num < fps_den || fps_num > 1000000 || kbps > 1000000 || vbv_frames > 1000 ||
	    c->keyint > X264_KEYINT_MAX_INFINITE || c->slice_max_size > (1u << 20))
		return -EINVAL;
	if (x264_param_default_preset(p, preset, "zerolatency") < 0)
		return -EINVAL;
	p->i_log_level = X264_LOG_NONE;
	p->i_width = (int)c->width;
	p->i_height = (int)c->height;
	p->i_csp = X264_CSP_I420;
	p->i_fps_num = fps_num;
	p->i_fps_den = fps_den;
	p->b_vfr_input = 0;
	p->i_threads = c->threads != 0 ? (int)c->threads : 1;
	p->b_sliced_threads = 1;
	p->i_lookahead_threads = 1;
	p->i_sync_lookahead = 0;
	p->rc.i_lookahead = 0;
	p->i_bframe = 0;
	p->rc.b_mb_tree = 0;
	p->rc.i_rc_method = X264_RC_ABR;
	p->rc.i_bitrate = (int)kbps;
	p->rc.i_vbv_max_bitrate = (int)kbps;
	/* A buffer of vbv_frames frames at the bitrate: no frame much over bitrate / fps. */
	vbv = (uint64_t)kbps * vbv_frames * fps_den / fps_num;
	p->rc.i_vbv_buffer_size = vbv != 0 ? (int)vbv : 1;
	p->i_keyint_max = c->keyint != 0 ? (int)c->keyint : (int)(10 * fps_num / fps_den);
	p->i_scenecut_threshold = 0; /* key frames on schedule or request only */
	p->b_intra_refresh = c->intra_refresh;
	p->i_slice_max_size = (int)c->slice_max_size;
	p->b_repeat_headers = !c->no_repeat_headers;
	p->b_annexb = 1;
	p->b_aud = 0;
	p->b_full_recon = c->recon;
	if (x264_param_apply_profile(p, profile) < 0)
		return -EINVAL;
	return 0;
}

int pc_video_enc_create(struct pc_video_enc **out, const struct pc_video_enc_conf *conf)
{
	struct pc_video_enc *e;
	x264_param_t p;
	int rc;

	rc = enc_param(&p, conf);
	if (rc != 0)
		return rc;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return -ENOMEM;
	e->conf = *conf;
	e->conf.preset = NULL; /* borrowed: not kept */
	e->conf.profile = NULL;
	atomic_init(&e->key_req, false);
	if (conf->recon) {
		rc = pc_video_pic_alloc(&e->recon, conf->width, conf->height);
		if (rc != 0)
			goto out_free;
		e->recon_on = true;
	}
	e->x264 = x264_encoder_open(&p);
	if (e->x264 == NULL) {
		rc = -EIO;
		goto out_free_recon;
	}
	*out = e;
	return 0;

out_free_recon:
	pc_video_pic_free(&e->recon);
out_free:
	free(e);
	return rc;
}

void pc_video_enc_destroy(struct pc_video_enc *e)
{
	if (e == NULL)
		return;
	x264_encoder_close(e->x264);
	pc_video_pic_free(&e->recon);
	free(e);
}

/* Keeps x264's reconstruction (@img: NV12, or I420) of the picture just output. */
static void enc_keep_recon(struct pc_video_enc *e, const x264_image_t *img)
{
	struct pc_video_pic *r = &e->recon;
	int csp = img->i_csp & X264_CSP_MASK;

	if (csp == X264_CSP_NV12 && img->i_plane >= 2) {
		size_t ys = (size_t)img->i_stride[0], cs = (size_t)img->i_stride[1];

		e->have_recon = pc_video_nv12_to_i420(r, img->plane[0], ys, ys * r->height,
						      img->plane[1], cs, cs * r->height / 2) == 0;
	} else if (csp == X264_CSP_I420 && img->i_plane >= 3) {
		struct pc_video_pic v = { .width = r->width, .height = r->height };

		for (int i = 0; i < 3; i++) {
			v.plane[i] = img->plane[i];
			v.stride[i] = (uint32_t)img->i_stride[i];
		}
		e->have_recon = pc_video_pic_copy(r, &v) == 0;
	} else {
		e->have_recon = false;
	}
}

static int enc_run(void *state, void *arg)
{
	struct pc_video_enc *e = state;
	struct pc_video_enc_job *j = arg;
	const struct pc_video_pic *pic = j->pic;
	x264_picture_t in, out;
	x264_nal_t *nal;
	int nnal = 0, size;

	j->au = NULL;
	j->au_len = 0;
	j->keyframe = false;
	if (pic->width != e->conf.width || pic->height != e->conf.height)
		return -EINVAL;
	x264_picture_init(&in);
	in.img.i_csp = X264_CSP_I420;
	in.img.i_plane = 3;
	for (int i = 0; i < 3; i++) {
		in.img.plane[i] = pic->plane[i];
		in.img.i_stride[i] = (int)pic->stride[i];
	}
	in.i_pts = pic->pts;
	e->capture[e->seq % ENC_CAPTURE_RING] = pic->capture_us;
	in.opaque = (void *)(uintptr_t)e->seq;
	e->seq++;
	if (atomic_exchange_explicit(&e->key_req, false, memory_order_relaxed)) {
		e->st.key_requests++;
		if (e->conf.intra_refresh)
			x264_encoder_intra_refresh(e->x264);
		else
			in.i_type = X264_TYPE_IDR;
	}
	e->st.frames++;
	size = x264_encoder_encode(e->x264, &nal, &nnal, &in, &out);
	if (size < 0) {
		e->st.errors++;
		return -EIO;
	}
	if (size == 0 || nnal == 0)
		return 0;
	/* x264: the payloads of one call's NAL units are contiguous, each with its start code. */
	j->au = nal[0].p_payload;
	j->au_len = (size_t)size;
	j->keyframe = out.b_keyframe != 0;
	j->pts = out.i_pts;
	j->capture_us = e->capture[(uintptr_t)out.opaque % ENC_CAPTURE_RING];
	e->st.aus++;
	e->st.bytes += (uint64_t)size;
	e->st.nals += (uint64_t)nnal;
	e->st.keyframes += j->keyframe;
	if ((uint64_t)size > e->st.max_au)
		e->st.max_au = (uint64_t)size;
	for (int i = 0; i < nnal; i++)
		if ((uint64_t)nal[i].i_payload > e->st.max_nal)
			e->st.max_nal = (uint64_t)nal[i].i_payload;
	if (e->recon_on) {
		enc_keep_recon(e, &out.img);
		e->recon.pts = j->pts;
		e->recon.capture_us = j->capture_us;
	}
	return 0;
}

const struct pc_hw_kernel pc_video_enc_kernel = {
	.name = "h264_enc",
	.run = enc_run,
};

void pc_video_enc_job_init(struct pc_hw_job *job, struct pc_video_enc_job *arg,
			   struct pc_video_enc *e, const struct pc_video_pic *pic)
{
	memset(arg, 0, sizeof(*arg));
	arg->pic = pic;
	memset(job, 0, sizeof(*job));
	job->kernel = &pc_video_enc_kernel;
	job->state = e;
	job->arg = arg;
}

int pc_video_enc_encode(struct pc_video_enc *e, struct pc_hw_engine *eng,
			const struct pc_video_pic *pic, struct pc_video_enc_job *arg)
{
	struct pc_hw_job job;

	pc_video_enc_job_init(&job, arg, e, pic);
	return pc_hw_run(eng, &job);
}

void pc_video_enc_request_keyframe(struct pc_video_enc *e)
{
	atomic_store_explicit(&e->key_req, true, memory_order_relaxed);
}

int pc_video_enc_recon(const struct pc_video_enc *e, struct pc_video_pic *out)
{
	if (!e->recon_on)
		return -ENOTSUP;
	if (!e->have_recon)
		return -ENODATA;
	*out = e->recon;
	out->mem = NULL; /* a view: the encoder keeps the planes */
	return 0;
}

void pc_video_enc_stats(const struct pc_video_enc *e, struct pc_video_enc_stats *st)
{
	*st = e->st;
}
