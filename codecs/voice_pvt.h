/* SPDX-License-Identifier: MIT */
/*
 * voice_pvt.h - internals of codecs/voice_*.c: the FFT the echo canceller's residual
 * suppressor uses (Speex DSP does not export its own). Internal to codecs/.
 *
 * Thread context: any (pure functions on caller-owned buffers). Allocates: pc_voice_fft_create.
 */
#ifndef PC_VOICE_PVT_H
#define PC_VOICE_PVT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A complex radix-2 FFT of a fixed power-of-two size. */
struct pc_voice_fft {
	uint32_t n;    /* size */
	uint32_t *rev; /* bit-reversal permutation, n entries */
	float *tw;     /* twiddles: cos, sin of -2 pi k / n, k < n / 2, interleaved */
};

/* pc_voice_fft_init - tables for size @n (a power of two, 4..4096) in @f (borrowed). Returns 0,
 * -EINVAL or -ENOMEM. Allocates. */
int pc_voice_fft_init(struct pc_voice_fft *f, uint32_t n);

/* pc_voice_fft_fini - frees @f's tables. */
void pc_voice_fft_fini(struct pc_voice_fft *f);

/* pc_voice_fft_run - in place on @re/@im (borrowed, n each); @inverse: unscaled inverse. */
void pc_voice_fft_run(const struct pc_voice_fft *f, float *re, float *im, int inverse);

#ifdef __cplusplus
}
#endif

#endif /* PC_VOICE_PVT_H */
