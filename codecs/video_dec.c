/* SPDX-License-Identifier: MIT */
/*
 * video_dec.c - the H.264 decoder of pc_video.h: libavcodec in low-delay mode. One access unit
 * in, its picture out at once: AV_CODEC_FLAG_LOW_DELAY (no reorder buffer: our encoder sends no
 * B-frames), no frame threads (they add a frame of delay per thread), slice threads optional.
 *
 * libavcodec copies a packet that is not reference-counted into its own padded buffer, so the
 * caller's access unit needs no AV_INPUT_BUFFER_PADDING_SIZE tail and is only borrowed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>
#include <libavutil/pixfmt.h>

#include "pc_video.h"

#define DEC_MAX_AU_DEFAULT (1u << 20)
#define DEC_MAX_AU_LIMIT (1u << 28) /* AVPacket sizes are int */

struct pc_video_dec {
	AVCodecContext *ctx;
	AVPacket *pkt;
	AVFrame *frame;
	uint32_t max_au;
	bool need_key;
	struct pc_video_dec_stats st;
};

int pc_video_dec_create(struct pc_video_dec **out, const struct pc_video_dec_conf *conf)
{
	const struct pc_video_dec_conf defaults = { 0 };
	const AVCodec *codec;
	struct pc_video_dec *d;
	int rc = -ENOMEM;

	if (conf == NULL)
		conf = &defaults;
	if (conf->threads > 16 || conf->max_au_bytes > DEC_MAX_AU_LIMIT)
		return -EINVAL;
	codec = avcodec_find_decoder(AV_CODEC_ID_H264);
	if (codec == NULL)
		return -EIO;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return -ENOMEM;
	d->max_au = conf->max_au_bytes != 0 ? conf->max_au_bytes : DEC_MAX_AU_DEFAULT;
	d->ctx = avcodec_alloc_context3(codec);
	if (d->ctx == NULL)
		goto out_free;
	d->ctx->flags |= AV_CODEC_FLAG_LOW_DELAY;
	if (conf->fast)
		d->ctx->flags2 |= AV_CODEC_FLAG2_FAST;
	d->ctx->thread_count = conf->threads != 0 ? (int)conf->threads : 1;
	d->ctx->thread_type = FF_THREAD_SLICE;
	d->pkt = av_packet_alloc();
	d->frame = av_frame_alloc();
	if (d->pkt == NULL || d->frame == NULL)
		goto out_free_av;
	if (avcodec_open2(d->ctx, codec, NULL) < 0) {
		rc = -EIO;
		goto out_free_av;
	}
	*out = d;
	return 0;

out_free_av:
	av_frame_free(&d->frame);
	av_packet_free(&d->pkt);
	avcodec_free_context(&d->ctx);
out_free:
	free(d);
	return rc;
}

void pc_video_dec_destroy(struct pc_video_dec *d)
{
	if (d == NULL)
		return;
	av_frame_free(&d->frame);
	av_packet_free(&d->pkt);
	avcodec_free_context(&d->ctx);
	free(d);
}

/* Whether @au holds a coded slice (NAL types 1 to 5). */
static bool dec_has_slice(const uint8_t *au, size_t len)
{
	const uint8_t *nal;
	size_t pos = 0, n;

	while (pc_video_annexb_next(au, len, &pos, &nal, &n) == 1)
		if ((nal[0] & 0x1f) >= 1 && (nal[0] & 0x1f) <= 5)
			return true;
	return false;
}

static int dec_error(struct pc_video_dec *d)
{
	d->st.errors++;
	d->need_key = true;
	return -EBADMSG;
}

int pc_video_dec_decode(struct pc_video_dec *d, const uint8_t *au, size_t len,
			struct pc_video_pic *pic)
{
	AVFrame *f = d->frame;
	int rc;

	if (len > d->max_au)
		return -EMSGSIZE;
	if (len == 0)
		return 0;
	d->st.aus++;
	av_frame_unref(f);	      /* the previous picture's view ends here */
	d->pkt->data = (uint8_t *)au; /* not reference-counted: libavcodec copies it */
	d->pkt->size = (int)len;
	rc = avcodec_send_packet(d->ctx, d->pkt);
	d->pkt->data = NULL;
	d->pkt->size = 0;
	if (rc < 0 && rc != AVERROR(EAGAIN)) {
		/* libavcodec takes parameter sets alone but reports "no frame": not an error. */
		if (!dec_has_slice(au, len)) {
			d->st.skipped++;
			return 0;
		}
		return dec_error(d);
	}
	rc = avcodec_receive_frame(d->ctx, f);
	if (rc == AVERROR(EAGAIN)) {
		/* No picture from a slice: libavcodec waits for a key frame or recovery point
		 * (a stream joined mid-way): ask for one. */
		if (dec_has_slice(au, len))
			d->need_key = true;
		d->st.skipped++;
		return 0;
	}
	if (rc < 0)
		return dec_error(d);
	if (f->decode_error_flags != 0 || (f->flags & AV_FRAME_FLAG_CORRUPT) != 0) {
		av_frame_unref(f);
		return dec_error(d);
	}
	if (f->format != AV_PIX_FMT_YUV420P && f->format != AV_PIX_FMT_YUVJ420P) {
		av_frame_unref(f);
		return -ENOTSUP;
	}
	if (f->key_frame)
		d->need_key = false;
	memset(pic, 0, sizeof(*pic));
	pic->width = (uint32_t)f->width;
	pic->height = (uint32_t)f->height;
	for (int i = 0; i < 3; i++) {
		pic->plane[i] = f->data[i];
		pic->stride[i] = (uint32_t)f->linesize[i];
	}
	pic->pts = (int64_t)d->st.frames; /* output order: the stream carries no pts */
	d->st.frames++;
	return 1;
}

bool pc_video_dec_keyframe_needed(const struct pc_video_dec *d)
{
	return d->need_key;
}

void pc_video_dec_stats(const struct pc_video_dec *d, struct pc_video_dec_stats *st)
{
	*st = d->st;
}
