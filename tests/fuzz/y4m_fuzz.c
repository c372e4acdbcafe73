/* SPDX-License-Identifier: MIT */
/*
 * y4m_fuzz.c - libFuzzer target for the Y4M (YUV4MPEG2) parsers of codecs/pc_video.h, the
 * Annex B scanner and the block-code reader: pc_video_y4m_parse_header() and
 * pc_video_y4m_parse_frame() on the input; the Y4M reader over the input as a FILE (fmemopen),
 * reading every frame of a small stream; pc_video_annexb_next() over the input; the input as
 * the luma of a small picture for pc_video_code_read().
 *
 * Notes on running it:
 *   - It needs codecs/video_img.c only (no x264, no libavcodec):
 *     clang -g -O1 -fsanitize=fuzzer,address,undefined -Icodecs -Ihwaccel \
 *         tests/fuzz/y4m_fuzz.c codecs/video_img.c -lm -o /tmp/y4m_fuzz && \
 *         /tmp/y4m_fuzz -max_total_time=30
 *   - tests/fuzz/y4m.cmake writes seeds into the build's corpus.
 *
 * The input is copied into a buffer of exactly its length, so that AddressSanitizer catches any
 * read past it. Checked (abort on any difference):
 *   - the parsers return 0, -EAGAIN, -EBADMSG or -ENOTSUP; on 0 the header length is within
 *     the input and ends in '\n', the sizes are even and non-zero, at most 8192;
 *   - a header that parses is read again by the reader to the same sizes; the reader returns
 *     1, 0, -EBADMSG or -EIO per frame, and never more frames than the input can hold;
 *   - the Annex B scanner's NAL units lie inside the input, are non-empty, come in order;
 *   - the code reader returns 0 or -EBADMSG.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_video.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_PIXELS (64u * 64u) /* read frames of small streams only */

static void fuzz_reader(const uint8_t *buf, size_t size, const struct pc_video_y4m_info *want)
{
	struct pc_video_y4m_reader *r;
	struct pc_video_pic pic;
	FILE *f = fmemopen((void *)buf, size, "rb");
	unsigned frames = 0;
	int rc;

	if (f == NULL)
		return;
	if (pc_video_y4m_reader_create(&r, f) != 0) {
		fclose(f);
		return;
	}
	if (pc_video_y4m_reader_info(r)->width != want->width ||
	    pc_video_y4m_reader_info(r)->height != want->height)
		abort();
	if (want->width * want->height <= FUZZ_MAX_PIXELS &&
	    pc_video_pic_alloc(&pic, want->width, want->height) == 0) {
		while ((rc = pc_video_y4m_read(r, &pic)) == 1) {
			frames++;
			if (frames * pc_video_y4m_frame_size(want) > size)
				abort();
		}
		if (rc != 0 && rc != -EBADMSG && rc != -EIO)
			abort();
		pc_video_pic_free(&pic);
	}
	pc_video_y4m_reader_destroy(r);
	fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1);
	struct pc_video_y4m_info info;
	const uint8_t *nal, *prev_end;
	size_t used = 0, pos = 0, n;
	int rc;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);

	rc = pc_video_y4m_parse_header(buf, size, &info, &used);
	if (rc != 0 && rc != -EAGAIN && rc != -EBADMSG && rc != -ENOTSUP)
		abort();
	if (rc == 0) {
		if (used == 0 || used > size || buf[used - 1] != '\n')
			abort();
		if (info.width == 0 || info.height == 0 || (info.width | info.height) & 1 ||
		    info.width > 8192 || info.height > 8192)
			abort();
		fuzz_reader(buf, size, &info);
	}

	rc = pc_video_y4m_parse_frame(buf, size, &used);
	if (rc != 0 && rc != -EAGAIN && rc != -EBADMSG)
		abort();
	if (rc == 0 && (used < 6 || used > size || buf[used - 1] != '\n'))
		abort();

	prev_end = buf;
	while (pc_video_annexb_next(buf, size, &pos, &nal, &n) == 1) {
		if (n == 0 || nal < prev_end || nal + n > buf + size || pos > size)
			abort();
		prev_end = nal + n;
	}

	if (size >= 256) {
		/* 256x96: the code's 6 rows of 16 blocks; rows overlap to fit the input. */
		struct pc_video_pic pic = { .width = 256, .height = 96 };
		uint32_t frame;
		uint64_t t;

		pic.plane[0] = buf;
		pic.stride[0] = (uint32_t)((size - 256) / 95);
		rc = pc_video_code_read(&pic, &frame, &t);
		if (rc != 0 && rc != -EBADMSG)
			abort();
	}
	free(buf);
	return 0;
}
