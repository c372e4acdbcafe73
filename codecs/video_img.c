/* SPDX-License-Identifier: MIT */
/*
 * video_img.c - I420 pictures, camera-format conversion, the test pattern and its block code,
 * Y4M files and the Annex B scanner (pc_video.h).
 *
 * The conversion loops work on chunks of 16 output samples with GCC/clang vector extensions
 * (16-byte vectors, __builtin_shufflevector): gcc's default -O2 vectorizer ("very cheap" cost
 * model) leaves the plain per-pixel loops scalar (unknown trip counts need an epilogue), so the
 * vectors are spelt out; they compile to SSE2 on x86-64 and NEON on ARM. The row's tail is
 * scalar.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pc_video.h"

#define PIC_MAX_DIM 8192u
#define PIC_ALIGN 64u
#define CHUNK 16u

static uint32_t align_up(uint32_t v, uint32_t a)
{
	return (v + a - 1) / a * a;
}

/* --- pictures --------------------------------------------------------------------------------- */

int pc_video_pic_alloc(struct pc_video_pic *pic, uint32_t width, uint32_t height)
{
	uint32_t ys, cs;
	size_t ysize, csize;
	uint8_t *mem;

	if (width == 0 || height == 0 || (width | height) & 1 || width > PIC_MAX_DIM ||
	    height > PIC_MAX_DIM)
		return -EINVAL;
	ys = align_up(width, PIC_ALIGN);
	cs = align_up(width / 2, PIC_ALIGN);
	ysize = (size_t)ys * height;
	csize = (size_t)cs * (height / 2);
	mem = aligned_alloc(PIC_ALIGN, ysize + 2 * csize);
	if (mem == NULL)
		return -ENOMEM;
	memset(mem, 0, ysize + 2 * csize);
	memset(pic, 0, sizeof(*pic));
	pic->width = width;
	pic->height = height;
	pic->plane[0] = mem;
	pic->plane[1] = mem + ysize;
	pic->plane[2] = mem + ysize + csize;
	pic->stride[0] = ys;
	pic->stride[1] = cs;
	pic->stride[2] = cs;
	pic->mem = mem;
	return 0;
}

void pc_video_pic_free(struct pc_video_pic *pic)
{
	if (pic == NULL)
		return;
	free(pic->mem);
	memset(pic, 0, sizeof(*pic));
}

static uint32_t plane_w(const struct pc_video_pic *p, int i)
{
	return i == 0 ? p->width : p->width / 2;
}

static uint32_t plane_h(const struct pc_video_pic *p, int i)
{
	return i == 0 ? p->height : p->height / 2;
}

void pc_video_pic_fill(struct pc_video_pic *pic, uint8_t y, uint8_t u, uint8_t v)
{
	const uint8_t val[3] = { y, u, v };

	for (int i = 0; i < 3; i++)
		for (uint32_t r = 0; r < plane_h(pic, i); r++)
			memset(pic->plane[i] + (size_t)r * pic->stride[i], val[i], plane_w(pic, i));
}

int pc_video_pic_copy(struct pc_video_pic *dst, const struct pc_video_pic *src)
{
	if (dst->width != src->width || dst->height != src->height)
		return -EINVAL;
	for (int i = 0; i < 3; i++)
		for (uint32_t r = 0; r < plane_h(src, i); r++)
			memcpy(dst->plane[i] + (size_t)r * dst->stride[i],
			       src->plane[i] + (size_t)r * src->stride[i], plane_w(src, i));
	dst->pts = src->pts;
	dst->capture_us = src->capture_us;
	return 0;
}

bool pc_video_pic_equal(const struct pc_video_pic *a, const struct pc_video_pic *b)
{
	if (a->width != b->width || a->height != b->height)
		return false;
	for (int i = 0; i < 3; i++)
		for (uint32_t r = 0; r < plane_h(a, i); r++)
			if (memcmp(a->plane[i] + (size_t)r * a->stride[i],
				   b->plane[i] + (size_t)r * b->stride[i], plane_w(a, i)) != 0)
				return false;
	return true;
}

double pc_video_psnr(const struct pc_video_pic *a, const struct pc_video_pic *b, bool y_only)
{
	double sse = 0, n = 0;

	if (a->width != b->width || a->height != b->height)
		return -EINVAL;
	for (int i = 0; i < (y_only ? 1 : 3); i++) {
		for (uint32_t r = 0; r < plane_h(a, i); r++) {
			const uint8_t *pa = a->plane[i] + (size_t)r * a->stride[i];
			const uint8_t *pb = b->plane[i] + (size_t)r * b->stride[i];
			uint64_t row = 0;

			for (uint32_t x = 0; x < plane_w(a, i); x++) {
				int d = pa[x] - pb[x];

				row += (uint64_t)(d * d);
			}
			sse += (double)row;
		}
		n += (double)plane_w(a, i) * plane_h(a, i);
	}
	if (sse == 0)
		return 99.0;
	return 10.0 * log10(255.0 * 255.0 * n / sse);
}

/* --- conversion ------------------------------------------------------------------------------- */

/* 16 bytes as one vector (GCC and clang vector extensions): the compilers map the operations
 * and shuffles below onto SSE2/NEON. Loads and stores go through memcpy (any alignment). */
typedef uint8_t v16u8 __attribute__((vector_size(16)));

static inline v16u8 v_load(const uint8_t *p)
{
	v16u8 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void v_store(uint8_t *p, v16u8 v)
{
	memcpy(p, &v, sizeof(v));
}

/* The even and odd bytes of the 32 of two vectors. */
#define V_EVEN 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30
#define V_ODD 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31

/* (a + b + 1) >> 1 per byte without widening. */
static inline v16u8 v_avg(v16u8 a, v16u8 b)
{
	return (a | b) - ((a ^ b) >> 1);
}

/* 16 pixel pairs of one YUYV row (64 bytes at @s): 32 luma into @y, the 16 U V pairs
 * (interleaved) into *@uv_lo and *@uv_hi. */
static inline void yuyv_split(const uint8_t *s, uint8_t *y, v16u8 *uv_lo, v16u8 *uv_hi)
{
	v16u8 s0 = v_load(s), s1 = v_load(s + 16), s2 = v_load(s + 32), s3 = v_load(s + 48);

	v_store(y, __builtin_shufflevector(s0, s1, V_EVEN));
	v_store(y + 16, __builtin_shufflevector(s2, s3, V_EVEN));
	*uv_lo = __builtin_shufflevector(s0, s1, V_ODD);
	*uv_hi = __builtin_shufflevector(s2, s3, V_ODD);
}

/* One pair of YUYV rows into two luma rows and one row of each chroma plane, @n pixel pairs. */
static void yuyv_rows(const uint8_t *s0, const uint8_t *s1, uint8_t *y0, uint8_t *y1, uint8_t *u,
		      uint8_t *v, uint32_t n)
{
	uint32_t x = 0;

	for (; x + CHUNK <= n; x += CHUNK) {
		v16u8 a_lo, a_hi, b_lo, b_hi, lo, hi;

		yuyv_split(s0 + 4 * x, y0 + 2 * x, &a_lo, &a_hi);
		yuyv_split(s1 + 4 * x, y1 + 2 * x, &b_lo, &b_hi);
		lo = v_avg(a_lo, b_lo);
		hi = v_avg(a_hi, b_hi);
		v_store(u + x, __builtin_shufflevector(lo, hi, V_EVEN));
		v_store(v + x, __builtin_shufflevector(lo, hi, V_ODD));
	}
	for (; x < n; x++) {
		y0[2 * x] = s0[4 * x];
		y0[2 * x + 1] = s0[4 * x + 2];
		y1[2 * x] = s1[4 * x];
		y1[2 * x + 1] = s1[4 * x + 2];
		u[x] = (uint8_t)((s0[4 * x + 1] + s1[4 * x + 1] + 1) >> 1);
		v[x] = (uint8_t)((s0[4 * x + 3] + s1[4 * x + 3] + 1) >> 1);
	}
}

int pc_video_yuyv_to_i420(struct pc_video_pic *dst, const uint8_t *src, size_t src_stride,
			  size_t src_len)
{
	uint32_t w = dst->width, h = dst->height;

	if (h == 0 || src_stride < 2 * (size_t)w || src_len < src_stride * (h - 1) + 2 * (size_t)w)
		return -EINVAL;
	for (uint32_t r = 0; r < h; r += 2) {
		const uint8_t *s0 = src + (size_t)r * src_stride;

		yuyv_rows(s0, s0 + src_stride, dst->plane[0] + (size_t)r * dst->stride[0],
			  dst->plane[0] + (size_t)(r + 1) * dst->stride[0],
			  dst->plane[1] + (size_t)(r / 2) * dst->stride[1],
			  dst->plane[2] + (size_t)(r / 2) * dst->stride[2], w / 2);
	}
	return 0;
}

/* One row of interleaved U V into a U row and a V row, @n samples each. */
static void nv12_row(const uint8_t *s, uint8_t *u, uint8_t *v, uint32_t n)
{
	uint32_t x = 0;

	for (; x + CHUNK <= n; x += CHUNK) {
		v16u8 a = v_load(s + 2 * x), b = v_load(s + 2 * x + 16);

		v_store(u + x, __builtin_shufflevector(a, b, V_EVEN));
		v_store(v + x, __builtin_shufflevector(a, b, V_ODD));
	}
	for (; x < n; x++) {
		u[x] = s[2 * x];
		v[x] = s[2 * x + 1];
	}
}

int pc_video_nv12_to_i420(struct pc_video_pic *dst, const uint8_t *y, size_t y_stride, size_t y_len,
			  const uint8_t *uv, size_t uv_stride, size_t uv_len)
{
	uint32_t w = dst->width, h = dst->height;

	if (h == 0 || y_stride < w || uv_stride < w || y_len < y_stride * (h - 1) + w ||
	    uv_len < uv_stride * (h / 2 - 1) + w)
		return -EINVAL;
	for (uint32_t r = 0; r < h; r++)
		memcpy(dst->plane[0] + (size_t)r * dst->stride[0], y + (size_t)r * y_stride, w);
	for (uint32_t r = 0; r < h / 2; r++)
		nv12_row(uv + (size_t)r * uv_stride, dst->plane[1] + (size_t)r * dst->stride[1],
			 dst->plane[2] + (size_t)r * dst->stride[2], w / 2);
	return 0;
}

/* --- the block code --------------------------------------------------------------------------- */

#define CODE_BLACK 16u
#define CODE_WHITE 235u
#define CODE_BYTES (PC_VIDEO_CODE_BITS / 8u)

/* CRC-16/CCITT-FALSE (poly 0x1021, init 0xffff). */
static uint16_t code_crc16(const uint8_t *p, size_t n)
{
	uint16_t crc = 0xffff;

	for (size_t i = 0; i < n; i++) {
		crc ^= (uint16_t)(p[i] << 8);
		for (int b = 0; b < 8; b++)
			crc = (uint16_t)(crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1);
	}
	return crc;
}

uint32_t pc_video_code_rows(uint32_t width)
{
	uint32_t per_row = width / PC_VIDEO_CODE_BLOCK;

	if (per_row < 8)
		return 0;
	return (PC_VIDEO_CODE_BITS + per_row - 1) / per_row * PC_VIDEO_CODE_BLOCK;
}

static bool code_fits(const struct pc_video_pic *pic)
{
	uint32_t rows = pc_video_code_rows(pic->width);

	return rows != 0 && rows <= pic->height;
}

int pc_video_code_write(struct pc_video_pic *pic, uint32_t frame, uint64_t capture_us)
{
	const uint32_t bs = PC_VIDEO_CODE_BLOCK, per_row = pic->width / bs;
	uint8_t msg[CODE_BYTES];
	uint16_t crc;

	if (!code_fits(pic))
		return -EINVAL;
	for (int i = 0; i < 4; i++)
		msg[i] = (uint8_t)(frame >> (24 - 8 * i));
	for (int i = 0; i < 6; i++)
		msg[4 + i] = (uint8_t)(capture_us >> (40 - 8 * i));
	crc = code_crc16(msg, 10);
	msg[10] = (uint8_t)(crc >> 8);
	msg[11] = (uint8_t)crc;

	for (uint32_t i = 0; i < PC_VIDEO_CODE_BITS; i++) {
		uint32_t bx = (i % per_row) * bs, by = (i / per_row) * bs;
		uint8_t val = msg[i / 8] >> (7 - i % 8) & 1 ? CODE_WHITE : CODE_BLACK;

		for (uint32_t r = 0; r < bs; r++)
			memset(pic->plane[0] + (size_t)(by + r) * pic->stride[0] + bx, val, bs);
		for (int p = 1; p < 3; p++)
			for (uint32_t r = 0; r < bs / 2; r++)
				memset(pic->plane[p] + (size_t)(by / 2 + r) * pic->stride[p] +
					       bx / 2,
				       128, bs / 2);
	}
	return 0;
}

int pc_video_code_read(const struct pc_video_pic *pic, uint32_t *frame, uint64_t *capture_us)
{
	const uint32_t bs = PC_VIDEO_CODE_BLOCK, per_row = pic->width / bs, q = bs / 4;
	uint8_t msg[CODE_BYTES];
	uint32_t f = 0;
	uint64_t t = 0;

	if (!code_fits(pic))
		return -EINVAL;
	memset(msg, 0, sizeof(msg));
	for (uint32_t i = 0; i < PC_VIDEO_CODE_BITS; i++) {
		uint32_t bx = (i % per_row) * bs, by = (i / per_row) * bs, sum = 0;

		/* The centre half of the block: its edges carry the ringing. */
		for (uint32_t r = by + q; r < by + bs - q; r++)
			for (uint32_t x = bx + q; x < bx + bs - q; x++)
				sum += pic->plane[0][(size_t)r * pic->stride[0] + x];
		if (sum > (CODE_BLACK + CODE_WHITE) / 2 * (bs / 2) * (bs / 2))
			msg[i / 8] |= (uint8_t)(0x80 >> (i % 8));
	}
	if (code_crc16(msg, 10) != (uint16_t)(msg[10] << 8 | msg[11]))
		return -EBADMSG;
	for (int i = 0; i < 4; i++)
		f = f << 8 | msg[i];
	for (int i = 0; i < 6; i++)
		t = t << 8 | msg[4 + i];
	*frame = f;
	*capture_us = t;
	return 0;
}

uint64_t pc_video_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* --- the test pattern ------------------------------------------------------------------------- */

/* 75 % colour bars (BT.601, video range): white, yellow, cyan, green, magenta, red, blue, black. */
static const uint8_t bars[8][3] = {
	{ 180, 128, 128 }, { 162, 44, 142 }, { 131, 156, 44 }, { 112, 72, 58 },
	{ 84, 184, 198 },  { 65, 100, 212 }, { 35, 212, 114 }, { 16, 128, 128 },
};

static uint32_t pattern_hash(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	x *= 0x846ca68bu;
	x ^= x >> 16;
	return x;
}

int pc_video_pattern_draw(struct pc_video_pic *pic, uint32_t frame, uint64_t capture_us)
{
	const uint32_t w = pic->width, h = pic->height, split = h * 2 / 3;
	/* The box: an eighth of the width, but at most half the height (a wide, short picture). */
	const uint32_t shift = frame * 4, box = (w / 8 < h / 2 ? w / 8 : h / 2) & ~1u;
	uint32_t bx, by, span_x, span_y, px, py;

	if (!code_fits(pic))
		return -EINVAL;
	/* Top two thirds: bars scrolling left, 4 luma samples a frame. */
	for (uint32_t y = 0; y < split; y++) {
		uint8_t *row = pic->plane[0] + (size_t)y * pic->stride[0];

		for (uint32_t x = 0; x < w; x++)
			row[x] = bars[(uint64_t)((x + shift) % w) * 8 / w][0];
	}
	for (uint32_t y = 0; y < split / 2; y++) {
		uint8_t *u = pic->plane[1] + (size_t)y * pic->stride[1];
		uint8_t *v = pic->plane[2] + (size_t)y * pic->stride[2];

		for (uint32_t x = 0; x < w / 2; x++) {
			uint32_t bar = (uint32_t)((uint64_t)((2 * x + shift) % w) * 8 / w);

			u[x] = bars[bar][1];
			v[x] = bars[bar][2];
		}
	}
	/* Bottom third: a diagonal gradient moving right, with chroma ramps. */
	for (uint32_t y = split; y < h; y++) {
		uint8_t *row = pic->plane[0] + (size_t)y * pic->stride[0];

		for (uint32_t x = 0; x < w; x++)
			row[x] = (uint8_t)(16 + ((x + y - frame * 3) & 255) * 219 / 255);
	}
	for (uint32_t y = split / 2; y < h / 2; y++) {
		uint8_t *u = pic->plane[1] + (size_t)y * pic->stride[1];
		uint8_t *v = pic->plane[2] + (size_t)y * pic->stride[2];

		for (uint32_t x = 0; x < w / 2; x++) {
			u[x] = (uint8_t)(16 + (x * 224 / (w / 2)));
			v[x] = (uint8_t)(16 + ((y + frame) & 127) * 224 / 128);
		}
	}
	/* A box bouncing across the picture, textured with a slowly changing dither (box < w and
	 * box <= h / 2, so both spans are positive). */
	span_x = w - box;
	span_y = h - box;
	px = (frame * 6) % (2 * span_x);
	py = (frame * 4) % (2 * span_y);
	bx = (px < span_x ? px : 2 * span_x - px) & ~1u;
	by = (py < span_y ? py : 2 * span_y - py) & ~1u;
	for (uint32_t y = 0; y < box; y++) {
		uint8_t *row = pic->plane[0] + (size_t)(by + y) * pic->stride[0] + bx;

		for (uint32_t x = 0; x < box; x++) {
			uint32_t cell = ((x / 8) ^ (y / 8)) & 1;

			row[x] = (uint8_t)((cell ? 200 : 60) +
					   (pattern_hash((y * box + x) ^ (frame / 8) << 20) & 15));
		}
	}
	for (uint32_t y = 0; y < box / 2; y++) {
		memset(pic->plane[1] + (size_t)(by / 2 + y) * pic->stride[1] + bx / 2, 90, box / 2);
		memset(pic->plane[2] + (size_t)(by / 2 + y) * pic->stride[2] + bx / 2, 200,
		       box / 2);
	}
	pic->pts = frame;
	pic->capture_us = capture_us;
	return pc_video_code_write(pic, frame, capture_us);
}

/* --- Y4M -------------------------------------------------------------------------------------- */

static const char y4m_magic[] = "YUV4MPEG2";

/* The length of the line at @buf up to and with its '\n': 0 when incomplete (-EAGAIN) or
 * too long (-EBADMSG), written into *@rc. */
static size_t y4m_line(const uint8_t *buf, size_t len, int *rc)
{
	size_t n = len < PC_VIDEO_Y4M_LINE_MAX ? len : PC_VIDEO_Y4M_LINE_MAX;
	const uint8_t *nl = memchr(buf, '\n', n);

	if (nl != NULL) {
		*rc = 0;
		return (size_t)(nl - buf) + 1;
	}
	*rc = len < PC_VIDEO_Y4M_LINE_MAX ? -EAGAIN : -EBADMSG;
	return 0;
}

/* A decimal number of @s[0, n): 1..9 digits, no sign. */
static int y4m_uint(const uint8_t *s, size_t n, uint32_t *out)
{
	uint32_t v = 0;

	if (n == 0 || n > 9)
		return -EBADMSG;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EBADMSG;
		v = v * 10 + (uint32_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* "N:D" of @s[0, n). */
static int y4m_ratio(const uint8_t *s, size_t n, uint32_t *num, uint32_t *den)
{
	const uint8_t *colon = memchr(s, ':', n);

	if (colon == NULL)
		return -EBADMSG;
	if (y4m_uint(s, (size_t)(colon - s), num) != 0 ||
	    y4m_uint(colon + 1, n - (size_t)(colon - s) - 1, den) != 0)
		return -EBADMSG;
	return 0;
}

static bool y4m_tag_is(const uint8_t *s, size_t n, const char *word)
{
	return strlen(word) == n && memcmp(s, word, n) == 0;
}

int pc_video_y4m_parse_header(const uint8_t *buf, size_t len, struct pc_video_y4m_info *info,
			      size_t *hdr_len)
{
	const size_t ml = sizeof(y4m_magic) - 1;
	struct pc_video_y4m_info in = { 0 };
	bool have_w = false, have_h = false, unsupported = false;
	size_t line, pos, end;
	int rc;

	line = y4m_line(buf, len, &rc);
	if (line == 0) {
		/* A wrong start fails early, even before the line is complete. */
		if (rc == -EAGAIN && memcmp(buf, y4m_magic, len < ml ? len : ml) != 0)
			return -EBADMSG;
		return rc;
	}
	end = line - 1; /* the '\n' */
	if (end < ml || memcmp(buf, y4m_magic, ml) != 0)
		return -EBADMSG;
	pos = ml;
	while (pos < end) {
		const uint8_t *tag;
		size_t n;

		if (buf[pos] != ' ')
			return -EBADMSG;
		pos++;
		tag = buf + pos;
		while (pos < end && buf[pos] != ' ')
			pos++;
		n = (size_t)(buf + pos - tag);
		if (n < 1)
			return -EBADMSG;
		switch (tag[0]) {
		case 'W':
			if (y4m_uint(tag + 1, n - 1, &in.width) != 0)
				return -EBADMSG;
			have_w = true;
			break;
		case 'H':
			if (y4m_uint(tag + 1, n - 1, &in.height) != 0)
				return -EBADMSG;
			have_h = true;
			break;
		case 'F':
			if (y4m_ratio(tag + 1, n - 1, &in.fps_num, &in.fps_den) != 0 ||
			    in.fps_num == 0 || in.fps_den == 0)
				return -EBADMSG;
			break;
		case 'A': {
			uint32_t an, ad;

			if (y4m_ratio(tag + 1, n - 1, &an, &ad) != 0)
				return -EBADMSG;
			break;
		}
		case 'I':
			if (n != 2)
				return -EBADMSG;
			if (tag[1] != 'p' && tag[1] != '?')
				unsupported = true;
			break;
		case 'C':
			if (!y4m_tag_is(tag + 1, n - 1, "420jpeg") &&
			    !y4m_tag_is(tag + 1, n - 1, "420") &&
			    !y4m_tag_is(tag + 1, n - 1, "420mpeg2") &&
			    !y4m_tag_is(tag + 1, n - 1, "420paldv"))
				unsupported = true;
			break;
		case 'X':
			break; /* application data: ignored */
		default:
			return -EBADMSG;
		}
	}
	if (!have_w || !have_h || in.width == 0 || in.height == 0 || in.width > PIC_MAX_DIM ||
	    in.height > PIC_MAX_DIM)
		return -EBADMSG;
	if (unsupported || (in.width | in.height) & 1)
		return -ENOTSUP;
	*info = in;
	*hdr_len = line;
	return 0;
}

int pc_video_y4m_parse_frame(const uint8_t *buf, size_t len, size_t *hdr_len)
{
	size_t line;
	int rc;

	line = y4m_line(buf, len, &rc);
	if (line == 0) {
		if (rc == -EAGAIN && memcmp(buf, "FRAME", len < 5 ? len : 5) != 0)
			return -EBADMSG;
		return rc;
	}
	/* "FRAME", then nothing or a space and parameters, which we ignore. */
	if (line < 6 || memcmp(buf, "FRAME", 5) != 0 || (line > 6 && buf[5] != ' '))
		return -EBADMSG;
	*hdr_len = line;
	return 0;
}

size_t pc_video_y4m_frame_size(const struct pc_video_y4m_info *info)
{
	return (size_t)info->width * info->height * 3 / 2;
}

struct pc_video_y4m_reader {
	FILE *f;
	struct pc_video_y4m_info info;
	int64_t index;
};

/* Reads one line (with its '\n') of at most PC_VIDEO_Y4M_LINE_MAX bytes into @line; returns
 * its length, 0 at a clean end of file, -EIO, or -EBADMSG for a line too long. */
static int y4m_read_line(FILE *f, uint8_t *line)
{
	int n = 0, c;

	while (n < (int)PC_VIDEO_Y4M_LINE_MAX) {
		c = getc(f);
		if (c == EOF)
			return n == 0 && !ferror(f) ? 0 : -EIO;
		line[n++] = (uint8_t)c;
		if (c == '\n')
			return n;
	}
	return -EBADMSG;
}

int pc_video_y4m_reader_create(struct pc_video_y4m_reader **out, FILE *f)
{
	uint8_t line[PC_VIDEO_Y4M_LINE_MAX];
	struct pc_video_y4m_reader *r;
	size_t used;
	int n, rc;

	n = y4m_read_line(f, line);
	if (n <= 0)
		return n == 0 ? -EIO : n;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	rc = pc_video_y4m_parse_header(line, (size_t)n, &r->info, &used);
	if (rc != 0)
		goto out_free;
	r->f = f;
	*out = r;
	return 0;

out_free:
	free(r);
	return rc == -EAGAIN ? -EBADMSG : rc;
}

const struct pc_video_y4m_info *pc_video_y4m_reader_info(const struct pc_video_y4m_reader *r)
{
	return &r->info;
}

int pc_video_y4m_read(struct pc_video_y4m_reader *r, struct pc_video_pic *pic)
{
	uint8_t line[PC_VIDEO_Y4M_LINE_MAX];
	size_t used;
	int n, rc;

	if (pic->width != r->info.width || pic->height != r->info.height)
		return -EINVAL;
	n = y4m_read_line(r->f, line);
	if (n <= 0)
		return n;
	rc = pc_video_y4m_parse_frame(line, (size_t)n, &used);
	if (rc != 0)
		return -EBADMSG;
	for (int i = 0; i < 3; i++)
		for (uint32_t y = 0; y < plane_h(pic, i); y++)
			if (fread(pic->plane[i] + (size_t)y * pic->stride[i], 1, plane_w(pic, i),
				  r->f) != plane_w(pic, i))
				return -EIO;
	pic->pts = r->index++;
	pic->capture_us = 0;
	return 1;
}

void pc_video_y4m_reader_destroy(struct pc_video_y4m_reader *r)
{
	free(r);
}

int pc_video_y4m_write_header(FILE *f, const struct pc_video_y4m_info *info)
{
	uint32_t num = info->fps_num, den = info->fps_den;

	if (info->width == 0 || info->height == 0 || (info->width | info->height) & 1)
		return -EINVAL;
	if (num == 0 || den == 0) {
		num = 30;
		den = 1;
	}
	if (fprintf(f, "%s W%u H%u F%u:%u Ip A1:1 C420jpeg\n", y4m_magic, info->width, info->height,
		    num, den) < 0)
		return -EIO;
	return 0;
}

int pc_video_y4m_write(FILE *f, const struct pc_video_pic *pic)
{
	if (fputs("FRAME\n", f) == EOF)
		return -EIO;
	for (int i = 0; i < 3; i++)
		for (uint32_t y = 0; y < plane_h(pic, i); y++)
			if (fwrite(pic->plane[i] + (size_t)y * pic->stride[i], 1, plane_w(pic, i),
				   f) != plane_w(pic, i))
				return -EIO;
	return 0;
}

/* --- Annex B ---------------------------------------------------------------------------------- */

int pc_video_annexb_next(const uint8_t *buf, size_t len, size_t *pos, const uint8_t **nal,
			 size_t *nal_len)
{
	size_t i = *pos, start, end;

	for (;;) {
		/* The next start code 00 00 01. */
		while (i + 3 <= len && !(buf[i] == 0 && buf[i + 1] == 0 && buf[i + 2] == 1))
			i++;
		if (i + 3 > len) {
			*pos = len;
			return 0;
		}
		start = i + 3;
		/* Up to the next 00 00 00 or 00 00 01, or the end. */
		for (end = start; end + 3 <= len; end++)
			if (buf[end] == 0 && buf[end + 1] == 0 && buf[end + 2] <= 1)
				break;
		if (end + 3 > len)
			end = len;
		i = end;
		while (end > start && buf[end - 1] == 0)
			end--;
		if (end > start)
			break; /* else an empty NAL unit: skip it */
	}
	*pos = i;
	*nal = buf + start;
	*nal_len = end - start;
	return 1;
}
