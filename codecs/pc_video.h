/* SPDX-License-Identifier: MIT */
/*
 * pc_video.h - H.264 video: I420 pictures and camera-format conversion (YUYV, NV12), a moving
 * test pattern that carries its frame number and capture time as a block code readable from a
 * decoded picture, Y4M (YUV4MPEG2) files, the x264 encoder behind the offload interface
 * (pc_hwaccel.h: one job = one picture in, one access unit out) and the libavcodec decoder in
 * low-delay mode.
 *
 * Pictures are planar 4:2:0, 8 bits (I420: Y, then U and V at half width and height), even
 * width and height. Access units are Annex B byte streams (each NAL unit after a start code),
 * the form pc_h264_rtp.h packetizes.
 *
 * Thread context: an encoder, a decoder, a Y4M reader belong to one thread each (an encoder
 * belongs to the engine while a job of it is in flight); pc_video_enc_request_keyframe() may be
 * called from any thread. Conversion, pattern and code functions are pure on their arguments.
 * Allocates: the *_create and pc_video_pic_alloc functions only (setup time); encoding,
 * decoding, conversion and the pattern never allocate on our side (x264 and libavcodec manage
 * their own pools).
 */
#ifndef PC_VIDEO_H
#define PC_VIDEO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pc_hwaccel.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --- pictures --------------------------------------------------------------------------------- */

/* An I420 picture. The planes are either owned (pc_video_pic_alloc: @mem set) or borrowed (a
 * view of someone else's memory, e.g. a decoder's frame: @mem NULL, lifetime as documented by
 * whoever filled it in). */
struct pc_video_pic {
	uint32_t width, height; /* luma samples; both even */
	uint8_t *plane[3];	/* Y, U (Cb), V (Cr) */
	uint32_t stride[3];	/* bytes per row of each plane */
	int64_t pts;		/* presentation time, the caller's units (e.g. 90 kHz or frames) */
	uint64_t capture_us;	/* CLOCK_MONOTONIC microseconds at capture; 0: unknown */
	void *mem;		/* private: the allocation behind the planes; NULL when borrowed */
};

/* pc_video_pic_alloc - allocates the planes of a @width x @height picture (even sizes, at most
 * 8192 x 8192) into *@pic, rows aligned to 64 bytes, contents zeroed (black is not zero: see
 * pc_video_pic_fill). Returns 0, -EINVAL, -ENOMEM. Allocates: setup time. */
int pc_video_pic_alloc(struct pc_video_pic *pic, uint32_t width, uint32_t height);

/* pc_video_pic_free - frees planes allocated by pc_video_pic_alloc (borrowed ones are left
 * alone) and clears *@pic. NULL ok. */
void pc_video_pic_free(struct pc_video_pic *pic);

/* pc_video_pic_fill - paints @pic in one colour (@y, @u, @v). */
void pc_video_pic_fill(struct pc_video_pic *pic, uint8_t y, uint8_t u, uint8_t v);

/* pc_video_pic_copy - copies the samples, pts and capture time of @src (borrowed) into @dst
 * (same size). Returns 0 or -EINVAL for a size mismatch. */
int pc_video_pic_copy(struct pc_video_pic *dst, const struct pc_video_pic *src);

/* pc_video_pic_equal - true when the visible samples of @a and @b are identical. */
bool pc_video_pic_equal(const struct pc_video_pic *a, const struct pc_video_pic *b);

/* pc_video_psnr - the PSNR of @b against @a in dB over all three planes (sum of squared errors
 * of Y, U and V together, peak 255); 99.0 for identical pictures, a negative value (-EINVAL)
 * for a size mismatch. @y_only: luma only. */
double pc_video_psnr(const struct pc_video_pic *a, const struct pc_video_pic *b, bool y_only);

/*
 * pc_video_yuyv_to_i420 - converts a packed 4:2:2 YUYV (Y0 U Y1 V) camera frame into @dst
 * (its size gives the frame's): @src (borrowed) holds @dst->height rows of @src_stride bytes
 * (at least 2 * width), @src_len bytes in all. Chroma is subsampled vertically by averaging
 * each pair of rows (rounded up). Returns 0, -EINVAL when @src_len is too short.
 */
int pc_video_yuyv_to_i420(struct pc_video_pic *dst, const uint8_t *src, size_t src_stride,
			  size_t src_len);

/*
 * pc_video_nv12_to_i420 - converts an NV12 frame (a luma plane, then one plane of interleaved
 * U V at half height) into @dst: @y and @uv (borrowed) with their strides and lengths in bytes.
 * Returns 0, -EINVAL when a plane is too short.
 */
int pc_video_nv12_to_i420(struct pc_video_pic *dst, const uint8_t *y, size_t y_stride, size_t y_len,
			  const uint8_t *uv, size_t uv_stride, size_t uv_len);

/* --- the test pattern and its block code ------------------------------------------------------ */

/*
 * The block code: PC_VIDEO_CODE_BITS bits drawn as black (16) or white (235) luma blocks of
 * PC_VIDEO_CODE_BLOCK x PC_VIDEO_CODE_BLOCK samples, macroblock-aligned, row by row from the
 * top-left corner (as many per row as the width holds), chroma neutral: a 32-bit frame number,
 * the low 48 bits of the capture time in microseconds and a CRC-16 over both, most significant
 * bit first. The reader thresholds the mean of each block's centre, so it survives H.264 at
 * ordinary bitrates. The code needs width >= 8 blocks and rows enough: 96 bits take 1 row of
 * blocks at 1536 wide, 2 at 720p, 5 at 320.
 */
#define PC_VIDEO_CODE_BLOCK 16u
#define PC_VIDEO_CODE_BITS 96u

/* pc_video_code_rows - the luma rows the code of a @width-wide picture covers (0: too narrow). */
uint32_t pc_video_code_rows(uint32_t width);

/* pc_video_code_write - draws @frame and @capture_us into the top rows of @pic. Returns 0, or
 * -EINVAL when the picture is too small for the code. */
int pc_video_code_write(struct pc_video_pic *pic, uint32_t frame, uint64_t capture_us);

/* pc_video_code_read - reads the code back from @pic (borrowed; e.g. a decoded picture) into
 * *@frame and *@capture_us (the low 48 bits; see pc_video_code_age_us). Returns 0, -EINVAL for a
 * picture too small, -EBADMSG when the CRC does not match (no code, or damaged). */
int pc_video_code_read(const struct pc_video_pic *pic, uint32_t *frame, uint64_t *capture_us);

/* pc_video_code_age_us - @now_us minus a capture time read back (48 bits), modulo 2^48. */
static inline uint64_t pc_video_code_age_us(uint64_t now_us, uint64_t capture_us)
{
	return (now_us - capture_us) & ((1ull << 48) - 1);
}

/* pc_video_now_us - CLOCK_MONOTONIC in microseconds: the clock of capture times. */
uint64_t pc_video_now_us(void);

/*
 * pc_video_pattern_draw - draws test pattern frame @frame into @pic: colour bars scrolling
 * sideways, a diagonal gradient moving the other way, a bouncing box with a textured inside,
 * then the code (@frame, @capture_us) on top; sets @pic's pts to @frame and its capture_us.
 * Deterministic: the same frame number draws the same picture. Returns 0 or -EINVAL (see
 * pc_video_code_write).
 */
int pc_video_pattern_draw(struct pc_video_pic *pic, uint32_t frame, uint64_t capture_us);

/* --- Y4M (YUV4MPEG2) -------------------------------------------------------------------------- */

/* A Y4M stream header: only 4:2:0 8-bit (C420jpeg, C420, C420mpeg2, C420paldv, or no C tag). */
struct pc_video_y4m_info {
	uint32_t width, height;	   /* even, at most 8192 */
	uint32_t fps_num, fps_den; /* F tag; 0/0 when absent */
};

#define PC_VIDEO_Y4M_LINE_MAX 256u /* longest stream or frame header line accepted */

/* pc_video_y4m_parse_header - parses the stream header line at @buf (@len bytes: need not be
 * terminated; read no further than the first '\n') into *@info and its length with the '\n' into
 * *@hdr_len. Returns 0, -EAGAIN when @len holds no complete line yet (shorter than
 * PC_VIDEO_Y4M_LINE_MAX), -EBADMSG for a malformed header or one longer than that, -ENOTSUP for
 * a colour space or interlacing other than 4:2:0 progressive. */
int pc_video_y4m_parse_header(const uint8_t *buf, size_t len, struct pc_video_y4m_info *info,
			      size_t *hdr_len);

/* pc_video_y4m_parse_frame - parses a FRAME header line at @buf (@len bytes) and writes its
 * length with the '\n' into *@hdr_len. Returns 0, -EAGAIN (incomplete), -EBADMSG. */
int pc_video_y4m_parse_frame(const uint8_t *buf, size_t len, size_t *hdr_len);

/* pc_video_y4m_frame_size - bytes of one frame's samples (without its header). */
size_t pc_video_y4m_frame_size(const struct pc_video_y4m_info *info);

/* A Y4M reader over a FILE*. */
struct pc_video_y4m_reader;

/* pc_video_y4m_reader_create - reads and parses the stream header from @f (borrowed: stays
 * open, the caller closes it after destroying the reader). Returns 0 and *@out, -EBADMSG,
 * -ENOTSUP (see parse_header), -EIO on a read error or early end, -ENOMEM. Allocates. */
int pc_video_y4m_reader_create(struct pc_video_y4m_reader **out, FILE *f);

/* pc_video_y4m_reader_info - the stream's header. */
const struct pc_video_y4m_info *pc_video_y4m_reader_info(const struct pc_video_y4m_reader *r);

/* pc_video_y4m_read - reads the next frame into @pic (allocated by the caller at the stream's
 * size); its pts becomes the frame's index. Returns 1 for a frame, 0 at the end of the stream,
 * -EBADMSG for a malformed FRAME header, -EIO for a truncated frame or read error, -EINVAL for a
 * picture of another size. */
int pc_video_y4m_read(struct pc_video_y4m_reader *r, struct pc_video_pic *pic);

/* pc_video_y4m_reader_destroy - frees @r (not its FILE). NULL ok. */
void pc_video_y4m_reader_destroy(struct pc_video_y4m_reader *r);

/* pc_video_y4m_write_header - writes a stream header for @info (C420jpeg, progressive, square
 * pixels) to @f. Returns 0, -EINVAL, -EIO. */
int pc_video_y4m_write_header(FILE *f, const struct pc_video_y4m_info *info);

/* pc_video_y4m_write - writes one FRAME of @pic (borrowed) to @f. Returns 0 or -EIO. */
int pc_video_y4m_write(FILE *f, const struct pc_video_pic *pic);

/* --- the encoder (x264) ----------------------------------------------------------------------- */

struct pc_video_enc_conf {
	/* Picture size (even) and frame rate (1 to 1000000 fps; 0/0: 30/1). */
	uint32_t width, height;
	uint32_t fps_num, fps_den;
	/* ABR target, also the VBV max rate; 0: 1000; at most 1000000. */
	uint32_t bitrate_kbps;
	/* x264 preset: "ultrafast", "superfast", "veryfast", ...; NULL: ultrafast. Borrowed (read
	 * by create only). */
	const char *preset;
	/* "baseline" (constrained baseline: the phones' profile-level-id 42e0xx), "main", "high";
	 * NULL: baseline. Borrowed. */
	const char *profile;
	/* Encoding threads; 0: 1. Above 1, slice threads (they add no frame of delay). */
	uint32_t threads;
	/* Frames between key frames (or intra refresh waves) at most; 0: 10 s of frames. */
	uint32_t keyint;
	/* Periodic intra refresh instead of IDR frames (after the first). */
	bool intra_refresh;
	/* Bytes per slice NAL unit at most (e.g. 1200: one RTP packet); 0: no limit. */
	uint32_t slice_max_size;
	/* VBV buffer in frames at the bitrate; 0: 1, a single frame: no AU much over bitrate / fps,
	 * at the price of starved key frames (25-30 dB at 720p 2 Mbit/s); at most 1000. */
	uint32_t vbv_frames;
	/* SPS/PPS in the first AU only (default: before every key frame, so that a receiver
	 * joining late can start). */
	bool no_repeat_headers;
	/* Keep x264's full reconstruction (b_full_recon) for pc_video_enc_recon. */
	bool recon;
};

/* The encoder's counters. */
struct pc_video_enc_stats {
	uint64_t frames;       /* pictures encoded */
	uint64_t aus;	       /* access units produced (a frame may give none: dropped) */
	uint64_t keyframes;    /* IDR or recovery-point AUs */
	uint64_t bytes;	       /* Annex B bytes produced */
	uint64_t nals;	       /* NAL units produced */
	uint64_t max_nal;      /* largest NAL unit, bytes with its start code */
	uint64_t max_au;       /* largest access unit */
	uint64_t key_requests; /* pc_video_enc_request_keyframe calls served */
	uint64_t errors;       /* encoder failures */
};

struct pc_video_enc;

/* pc_video_enc_create - an x264 encoder for @conf (borrowed): tune zerolatency (no B-frames, no
 * lookahead, slice threads), ABR at bitrate_kbps with a VBV of vbv_frames frames, Annex B
 * output, the profile's tools only (baseline: no CABAC, no 8x8 transform). Returns 0 and *@out,
 * -EINVAL for a bad conf (odd size, unknown preset), -ENOMEM, -EIO when x264 refuses it.
 * Allocates. */
int pc_video_enc_create(struct pc_video_enc **out, const struct pc_video_enc_conf *conf);

/* pc_video_enc_destroy - frees @e (no job of it may be in flight). NULL ok. */
void pc_video_enc_destroy(struct pc_video_enc *e);

/* The encode kernel ("h264_enc"): state = struct pc_video_enc, arg = struct pc_video_enc_job. */
extern const struct pc_hw_kernel pc_video_enc_kernel;

/* One encode job's buffers. */
struct pc_video_enc_job {
	const struct pc_video_pic *pic; /* in, borrowed until the job completes: the picture */
	/* out: the access unit (Annex B), owned by the encoder, valid until its next job; len 0
	 * when the encoder produced nothing for this picture. */
	const uint8_t *au;
	size_t au_len;
	bool keyframe;	     /* out: an IDR, or a recovery point (intra refresh) */
	int64_t pts;	     /* out: the AU's picture's pts */
	uint64_t capture_us; /* out: its capture time */
};

/* pc_video_enc_job_init - prepares @job (the engine's) and @arg to encode @pic on @e (all
 * borrowed: keep them until the job is polled back). */
void pc_video_enc_job_init(struct pc_hw_job *job, struct pc_video_enc_job *arg,
			   struct pc_video_enc *e, const struct pc_video_pic *pic);

/* pc_video_enc_encode - the synchronous form: encodes @pic on @e through @eng (pc_hw_run; all
 * borrowed, @eng required) into *@arg. Returns 0, -EINVAL for a picture of another size, -EIO
 * when x264 fails, or the engine's error. */
int pc_video_enc_encode(struct pc_video_enc *e, struct pc_hw_engine *eng,
			const struct pc_video_pic *pic, struct pc_video_enc_job *arg);

/* pc_video_enc_request_keyframe - the next picture encoded becomes a key frame: an IDR; or, with
 * intra refresh, a refresh wave starts with the next picture, or when one is under way as soon
 * as it finishes (x264_encoder_intra_refresh): the picture is whole again within two waves
 * (2 * keyint frames at most). For PLI/FIR. Any thread (an atomic flag). */
void pc_video_enc_request_keyframe(struct pc_video_enc *e);

/* pc_video_enc_recon - a view of the encoder's reconstruction of the last AU's picture (conf
 * recon set): @out's planes belong to the encoder and stay valid until its next job. Returns 0,
 * -ENOTSUP without conf recon, -ENODATA before the first AU. */
int pc_video_enc_recon(const struct pc_video_enc *e, struct pc_video_pic *out);

/* pc_video_enc_stats - copies the counters into *@st. */
void pc_video_enc_stats(const struct pc_video_enc *e, struct pc_video_enc_stats *st);

/* --- the decoder (libavcodec) ----------------------------------------------------------------- */

struct pc_video_dec_conf {
	uint32_t threads;      /* slice threads; 0: 1 */
	uint32_t max_au_bytes; /* largest access unit taken (libavcodec copies it into a padded
				* buffer); 0: 1 MiB; at most 256 MiB */
	bool fast;	       /* AV_CODEC_FLAG2_FAST: non-spec-compliant speedups */
};

struct pc_video_dec_stats {
	uint64_t aus;	  /* access units given */
	uint64_t frames;  /* pictures out */
	uint64_t errors;  /* AUs that failed or gave a damaged picture */
	uint64_t skipped; /* AUs that gave no picture (waiting for a key frame) */
};

struct pc_video_dec;

/* pc_video_dec_create - an H.264 decoder, low delay (one AU in, its picture out, no
 * reordering). @conf borrowed, NULL: defaults. Returns 0 and *@out, -EINVAL, -ENOMEM, -EIO when
 * libavcodec lacks H.264. Allocates. */
int pc_video_dec_create(struct pc_video_dec **out, const struct pc_video_dec_conf *conf);

/* pc_video_dec_destroy - frees @d. NULL ok. */
void pc_video_dec_destroy(struct pc_video_dec *d);

/*
 * pc_video_dec_decode - decodes the access unit @au (@len bytes, Annex B; borrowed, copied) and
 * writes its picture into *@pic as a view of the decoder's frame (planes owned by the decoder,
 * valid until its next decode or destroy; @pic's mem stays NULL; its pts counts the pictures
 * output, capture_us is 0: read the test pattern's code for it). Returns 1 with a picture, 0
 * when the AU gave none (parameter sets alone, or waiting for a key frame after errors),
 * -EBADMSG for a damaged AU or a picture decoded with errors (then the decoder wants a key
 * frame), -EMSGSIZE for an AU over max_au_bytes, -ENOTSUP for a stream that is not 4:2:0 8-bit.
 */
int pc_video_dec_decode(struct pc_video_dec *d, const uint8_t *au, size_t len,
			struct pc_video_pic *pic);

/* pc_video_dec_keyframe_needed - true from a decode error (or a slice that gave no picture: a
 * stream joined mid-way) until a key frame (IDR or recovery point) decodes cleanly: the caller
 * sends PLI/FIR (rate-limited on its side). */
bool pc_video_dec_keyframe_needed(const struct pc_video_dec *d);

/* pc_video_dec_stats - copies the counters into *@st. */
void pc_video_dec_stats(const struct pc_video_dec *d, struct pc_video_dec_stats *st);

/* --- Annex B helpers -------------------------------------------------------------------------- */

/* pc_video_annexb_next - finds the next NAL unit in @buf (@len bytes) from *@pos: writes its
 * first byte (the NAL header, after the start code) into *@nal and its length (without start
 * code or trailing zero bytes) into *@nal_len, and advances *@pos past it. Returns 1 for a NAL
 * unit, 0 at the end. */
int pc_video_annexb_next(const uint8_t *buf, size_t len, size_t *pos, const uint8_t **nal,
			 size_t *nal_len);

#ifdef __cplusplus
}
#endif

#endif /* PC_VIDEO_H */
