/* SPDX-License-Identifier: MIT */
/*
 * acodec_pvt.h - inside the audio codec layer: the ops table each codec file fills
 * (acodec_g711.c, acodec_g722.c, acodec_g729.c, acodec_opus.c) and the instance they share.
 * Internal to codecs/.
 *
 * acodec.c checks the arguments (sizes, caps, NULLs) before dispatching: the ops see a
 * non-empty payload, a @cap of at least what the call may write, and @pcm of frame size.
 */
#ifndef PC_ACODEC_PVT_H
#define PC_ACODEC_PVT_H

#include <stddef.h>
#include <stdint.h>

#include "pc_audio_codec.h"

struct pc_acodec_ops {
	enum pc_acodec_id id;
	const char *name;     /* canonical rtpmap name */
	int16_t static_pt;    /* -1: dynamic */
	uint32_t clock_rate;  /* the one RTP clock rate it has */
	uint32_t sample_rate; /* its PCM rate when params say 0 */
	/* Checks the codec's own params (rates, ptime), fills c->info's codec fields
	 * (sample_rate, max_payload, max_samples; frame_samples and frame_ts are set before)
	 * and makes c->priv. Returns 0 or -errno; on failure nothing is left to free. */
	int (*init)(struct pc_acodec *c, const struct pc_acodec_params *p);
	void (*fini)(struct pc_acodec *c);
	int (*encode)(struct pc_acodec *c, const int16_t *pcm, uint8_t *out, size_t cap);
	int (*decode)(struct pc_acodec *c, const uint8_t *in, size_t len, int16_t *pcm, size_t cap);
	int (*conceal)(struct pc_acodec *c, const uint8_t *next, size_t next_len, int16_t *pcm,
		       size_t cap);
};

struct pc_acodec {
	const struct pc_acodec_ops *ops;
	struct pc_acodec_info info;
	void *priv; /* the codec file's state, owned by it (fini frees it) */
};

extern const struct pc_acodec_ops pc_acodec_pcmu_ops;
extern const struct pc_acodec_ops pc_acodec_pcma_ops;
extern const struct pc_acodec_ops pc_acodec_g722_ops;
extern const struct pc_acodec_ops pc_acodec_g729_ops;
extern const struct pc_acodec_ops pc_acodec_opus_ops;

/* G.729 sizes (ITU-T G.729 / RFC 3551 4.5.6). */
#define PC_G729_FRAME_SAMPLES 80
#define PC_G729_FRAME_BYTES 10
#define PC_G729_SID_BYTES 2

#endif /* PC_ACODEC_PVT_H */
