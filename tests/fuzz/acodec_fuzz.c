/* SPDX-License-Identifier: MIT */
/*
 * acodec_fuzz.c - libFuzzer target for the audio codecs' payload decoders (codecs/
 * pc_audio_codec.h): each input is an RTP payload handed to pc_acodec_decode() of every codec
 * (PCMU, PCMA, G722, G729, Opus mono and stereo), then to pc_acodec_conceal() as the packet
 * after a lost one (Opus FEC), and to pc_acodec_cn_decode() as an RFC 3389 comfort-noise
 * payload.
 *
 * Notes on running it:
 *   - tests/fuzz/acodec.cmake builds it from codecs/acodec*.c with the codec libraries;
 *     ./build-fuzz/tests/acodec_fuzz -max_total_time=60 runs it longer.
 *
 * The input is copied into a buffer of exactly its length, so that AddressSanitizer catches any
 * read past it. Checked (abort on any difference): decode returns -EBADMSG or a sample count
 * within the output buffer; conceal returns a count or -EBADMSG; the output buffer's guard
 * samples past what decode said it wrote stay untouched; the CN decode returns 0 or -EBADMSG
 * with a level of 0..127.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pc_audio_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_CODECS 6
#define FZ_GUARD 64
#define FZ_MAX_PCM (5760 * 2) /* 120 ms of 48 kHz stereo: the largest Opus packet */

static struct pc_acodec *codecs[FZ_CODECS];
static int16_t pcm[FZ_MAX_PCM + FZ_GUARD];

static void fz_init(void)
{
	static const char *const names[FZ_CODECS] = {
		"PCMU", "PCMA", "G722", "G729", "opus", "opus"
	};

	for (int i = 0; i < FZ_CODECS; i++) {
		struct pc_acodec_params p;

		pc_acodec_params_init(&p, names[i]);
		if (i == 3)
			p.g729_annexb = true;
		if (i == 5)
			p.channels = 2;
		if (pc_acodec_create(&codecs[i], &p) != 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *in = malloc(size ? size : 1);
	struct pc_acodec_cn cn;
	int rc;

	if (codecs[0] == NULL)
		fz_init();
	if (in == NULL)
		return 0;
	memcpy(in, data, size);
	for (int i = 0; i < FZ_CODECS; i++) {
		const struct pc_acodec_info *info = pc_acodec_get_info(codecs[i]);
		size_t cap = (size_t)info->max_samples * info->channels;

		if (cap > FZ_MAX_PCM)
			abort();
		for (int g = 0; g < FZ_GUARD; g++)
			pcm[cap + (size_t)g] = 0x5a5a;
		rc = pc_acodec_decode(codecs[i], in, size, pcm, cap);
		if (rc != -EBADMSG && (rc < 0 || (size_t)rc * info->channels > cap))
			abort();
		for (int g = 0; g < FZ_GUARD; g++)
			if (pcm[cap + (size_t)g] != 0x5a5a)
				abort();
		rc = pc_acodec_conceal(codecs[i], in, size, pcm, cap);
		if (rc != -EBADMSG && (rc < 0 || (size_t)rc * info->channels > cap))
			abort();
	}
	rc = pc_acodec_cn_decode(&cn, in, size);
	if (rc != 0 && rc != -EBADMSG)
		abort();
	if (rc == 0 && cn.level > 127)
		abort();
	free(in);
	return 0;
}
