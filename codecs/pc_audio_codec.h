/* SPDX-License-Identifier: MIT */
/*
 * pc_audio_codec.h - the audio codecs behind one interface: G.711 mu-law and A-law (PCMU, PCMA:
 * our own, table-driven), G.722 (spandsp), G.729 with Annex B (bcg729) and Opus (libopus).
 *
 * An instance is an encoder and a decoder for one negotiated codec (rtpmap name, clock rate,
 * ptime and the codec's options), made by pc_acodec_create(). Each call works on one packet's
 * worth of audio: encode takes exactly info.frame_samples samples per channel (the ptime) and
 * writes one RTP payload; decode takes one RTP payload and writes the samples it carries;
 * conceal makes up one ptime of audio for a packet that did not arrive.
 *
 * Packet-loss concealment: Opus by its decoder's PLC, or from the in-band FEC (LBRR) of the
 * next packet when the caller has it and FEC is on; G.729 by bcg729's frame erasure; G.711 and
 * G.722 by our ITU-T G.711 Appendix I PLC (codecs/acodec_plc.c: pitch-period repetition with
 * overlap-add, fading to silence over 60 ms; at 16 kHz for G.722; without the Appendix's
 * 3.75 ms output delay). Silence suppression: G.729 Annex B (VAD in the encoder, SID frames of
 * 2 bytes decoded into comfort noise) and Opus DTX; encode returns 0 for a frame that need not
 * be sent. For G.711 and G.722, the RFC 3389 comfort-noise payload (PT 13) helpers below
 * (pc_acodec_cn_*) measure, code and regenerate the noise level: the VAD that decides when to
 * send them is the caller's (voice.vad / voice.cng).
 *
 * G.711's buffer converters are exported as plain functions (pc_g711_*_buf): a loop over a
 * whole frame in one call, each sample one table load (16 KiB mu-law, 8 KiB A-law encode
 * tables indexed by the top 14 / 13 bits of the sample, as G.711 works on 14 / 13 bits), is the
 * hot path; a per-sample inline would have to expose the tables and bought nothing measurable.
 *
 * Thread context: an instance belongs to one thread (the media thread); distinct instances may
 * be used on distinct threads. The lookup, G.711 and CN helpers are reentrant.
 * Allocates: pc_acodec_create only (the library states live as long as the instance). Encode,
 * decode, conceal and the helpers never allocate.
 */
#ifndef PC_AUDIO_CODEC_H
#define PC_AUDIO_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum pc_acodec_id {
	PC_ACODEC_PCMU,
	PC_ACODEC_PCMA,
	PC_ACODEC_G722,
	PC_ACODEC_G729,
	PC_ACODEC_OPUS,
	PC_ACODEC_COUNT
};

/* RFC 3551 static payload types; dynamic codecs (Opus) have none. */
#define PC_ACODEC_PT_PCMU 0
#define PC_ACODEC_PT_PCMA 8
#define PC_ACODEC_PT_G722 9
#define PC_ACODEC_PT_CN 13 /* RFC 3389 comfort noise */
#define PC_ACODEC_PT_G729 18

/* Opus sizes (RFC 7587): at most 120 ms of 48 kHz stereo decoded, 1275 bytes per frame. */
#define PC_ACODEC_MAX_SAMPLES (5760 * 2) /* the largest decode, any codec, all channels */
#define PC_ACODEC_MAX_PAYLOAD 1500	 /* no encode writes more than this */

/*
 * What to create. Zeroed fields take the defaults named; pc_acodec_params_init() writes them.
 * The Opus and G.729 fields are ignored by the other codecs.
 */
struct pc_acodec_params {
	const char *name;     /* rtpmap encoding name, any case: "PCMU" "PCMA" "G722" "G729"
			       * "opus"; borrowed for the call */
	uint32_t clock_rate;  /* rtpmap clock rate: 8000 (G.722 too, RFC 3551 4.5.2), Opus
			       * 48000; 0: that default; another value: -ENOTSUP */
	uint32_t sample_rate; /* PCM rate of encode input and decode output: G.711 and G.729
			       * 8000, G.722 16000, Opus 8000/12000/16000/24000/48000; 0: the
			       * codec's own (Opus: 48000) */
	uint8_t channels;     /* PCM channels, interleaved: 1, or 2 for Opus only; 0: 1. (Opus's
			       * rtpmap always says /2, RFC 7587 7: pass what you want decoded) */
	uint8_t ptime_ms;     /* samples per encode / per conceal: 10..120 in steps of 10; Opus
			       * 10, 20, 40 or 60; 0: 20 */
	/* Opus (RFC 7587 7: maxaveragebitrate, useinbandfec, usedtx) */
	uint32_t opus_bitrate;	 /* bit/s, 6000..510000; 0: 24000 */
	bool opus_fec;		 /* encode in-band FEC (LBRR) for the previous frame */
	bool opus_dtx;		 /* discontinuous transmission: encode returns 0 in silence */
	uint8_t opus_loss_pct;	 /* expected packet loss, 0..100: how much FEC to spend */
	uint8_t opus_complexity; /* 1..10; 0: 10 (libopus's default) */
	/* G.729 */
	bool g729_annexb; /* Annex B: VAD in the encoder, SID frames, encode returns 0 in
			   * silence (SDP annexb=yes, RFC 4856 / RFC 3551 4.5.6) */
};

/* What an instance is; fixed for its life. */
struct pc_acodec_info {
	enum pc_acodec_id id;
	const char *name;	/* canonical rtpmap name ("PCMU", ..., "opus"); static */
	uint32_t sample_rate;	/* PCM samples per second per channel, in and out */
	uint32_t clock_rate;	/* RTP timestamp rate (G.722: 8000 though it samples 16 kHz) */
	int16_t static_pt;	/* 0, 8, 9 or 18; -1 for a dynamic payload type (Opus) */
	uint8_t channels;	/* PCM channels, interleaved */
	uint8_t ptime_ms;	/* per encode and conceal */
	uint32_t frame_samples; /* samples per channel per ptime: encode's input */
	uint32_t frame_ts;	/* RTP timestamp increment per ptime */
	uint32_t max_payload;	/* bytes one encode may write at most: the cap to give it */
	uint32_t max_samples;	/* samples per channel one decode may write at most */
};

struct pc_acodec;

/* pc_acodec_params_init - @p filled with the defaults (name, clock rate, ptime 20, mono). */
void pc_acodec_params_init(struct pc_acodec_params *p, const char *name);

/*
 * pc_acodec_create - an encoder and decoder for @p (borrowed, read during the call). Writes
 * *@out on success only. Returns 0, -EINVAL (no params, bad ptime / channels / bitrate),
 * -ENOENT (unknown name), -ENOTSUP (a clock or sample rate the codec does not have), -ENOMEM,
 * or -EIO (the codec's self-test at init failed). Allocates. Any thread.
 */
int pc_acodec_create(struct pc_acodec **out, const struct pc_acodec_params *p);

/* pc_acodec_destroy - free the instance and its library states; NULL is ignored. */
void pc_acodec_destroy(struct pc_acodec *c);

/* pc_acodec_get_info - the instance's description; valid as long as the instance. */
const struct pc_acodec_info *pc_acodec_get_info(const struct pc_acodec *c);

/*
 * pc_acodec_encode - encode one ptime of PCM, @pcm (borrowed: info.frame_samples *
 * info.channels samples, interleaved), into the RTP payload @out (@cap bytes; info.max_payload
 * always suffices). Returns the payload length; 0 when nothing need be sent (G.729 Annex B
 * non-transmitted frames, Opus DTX: the packet's timestamp still advances by info.frame_ts);
 * -EMSGSIZE when @cap is too small; -EIO when the library failed. No allocation.
 *
 * G.729: one 10-byte frame per 10 ms. With Annex B, the packet is the voice frames of the
 * ptime followed by at most one 2-byte SID frame (RFC 3551 4.5.6: a SID frame comes last). A
 * talkspurt that starts inside the ptime sends its voice frames alone (the silent part before
 * them is dropped, a few ms of noise), since a SID may not come before a voice frame.
 */
int pc_acodec_encode(struct pc_acodec *c, const int16_t *pcm, uint8_t *out, size_t cap);

/*
 * pc_acodec_decode - decode the RTP payload @in (@len bytes, borrowed; never read past @len)
 * into @pcm (@cap samples, all channels counted; info.max_samples * info.channels always
 * suffices). Returns the samples per channel written: the payload's duration, which may differ
 * from the ptime (G.729: 80 per 10-byte frame and 80 for a SID frame; Opus: what its TOC
 * says). -EBADMSG for a malformed payload (empty; G.729 not N*10 or N*10+2 bytes; an Opus
 * packet its TOC or frame lengths contradict), -EMSGSIZE when @cap is too small, -EIO when the
 * library failed. No allocation.
 */
int pc_acodec_decode(struct pc_acodec *c, const uint8_t *in, size_t len, int16_t *pcm, size_t cap);

/*
 * pc_acodec_conceal - make up one ptime (info.frame_samples per channel) for a packet that was
 * lost, into @pcm (@cap samples, all channels). @next (borrowed, may be NULL) is the packet
 * after the lost one when the jitter buffer holds it: Opus decodes the lost frame from @next's
 * in-band FEC (LBRR, present when the peer's encoder has FEC on: our opus_fec param is the
 * sending side's), libopus falling back to its PLC when @next carries none; the other codecs
 * ignore @next. Call once per lost packet, in order, then decode @next as usual.
 * During a DTX / Annex B silence, conceal continues the comfort noise (G.729, Opus).
 * Returns the samples per channel written, -EMSGSIZE, -EBADMSG (@next malformed: PLC is
 * not attempted, call again without it), or -EIO. No allocation.
 */
int pc_acodec_conceal(struct pc_acodec *c, const uint8_t *next, size_t next_len, int16_t *pcm,
		      size_t cap);

/* --- lookup ----------------------------------------------------------------------------------- */

/*
 * pc_acodec_lookup_name - the codec of rtpmap name @name (any case; borrowed) at @clock_rate
 * (0: any). Returns its enum pc_acodec_id, or -ENOENT.
 */
int pc_acodec_lookup_name(const char *name, uint32_t clock_rate);

/* pc_acodec_lookup_pt - the codec of static payload type @pt (0, 8, 9, 18), or -ENOENT. */
int pc_acodec_lookup_pt(unsigned pt);

/* pc_acodec_name - canonical rtpmap name of @id ("PCMU", ..., "opus"); NULL when unknown. */
const char *pc_acodec_name(enum pc_acodec_id id);

/* pc_acodec_static_pt - the static payload type of @id, -1 when it has none, or -ENOENT. */
int pc_acodec_static_pt(enum pc_acodec_id id);

/* --- G.711, our own --------------------------------------------------------------------------- */

/*
 * Convert @n samples. ITU-T G.711 on the top 14 (mu-law) or 13 (A-law) bits of each 16-bit
 * sample (an arithmetic shift), bit-exact with the classic Sun g711.c for all 65536 inputs;
 * decode gives that reference's 16-bit values (mu-law +-32124, A-law +-32256). A-law also
 * equals ITU-T G.191's alaw_compress. Negative mu-law samples that are not a multiple of 4
 * are where implementations part: Sun takes -(x >> 2), G.191 (~x) >> 2, spandsp -x >> 2, so a
 * sample next to a decision value may be coded one step apart (inaudible, but payloads are
 * not byte-identical across them). Buffers borrowed; @in and @out must not overlap. No
 * allocation, any thread.
 */
void pc_g711_ulaw_encode_buf(uint8_t *out, const int16_t *in, size_t n);
void pc_g711_alaw_encode_buf(uint8_t *out, const int16_t *in, size_t n);
void pc_g711_ulaw_decode_buf(int16_t *out, const uint8_t *in, size_t n);
void pc_g711_alaw_decode_buf(int16_t *out, const uint8_t *in, size_t n);

/* The 256-entry decode tables (code -> 16-bit linear), for per-sample use and for tests. */
extern const int16_t pc_g711_ulaw_to_linear[256];
extern const int16_t pc_g711_alaw_to_linear[256];

/* --- RFC 3389 comfort noise ------------------------------------------------------------------- */

#define PC_ACODEC_CN_MAX_ORDER 10 /* reflection coefficients we keep */

/* One CN payload: the noise level and, optionally, its spectrum. */
struct pc_acodec_cn {
	uint8_t level;			      /* RFC 3389 3.1: noise level in -dBov, 0..127 */
	uint8_t order;			      /* reflection coefficients present, 0 = level only */
	uint8_t coef[PC_ACODEC_CN_MAX_ORDER]; /* RFC 3389 3.2: quantized, 0..255 */
};

/*
 * pc_acodec_cn_level - the RFC 3389 level of @n samples (borrowed): -dBov, 0 dBov being a
 * full-scale 16-bit square wave (RFC 3389 3.1), clamped to 0..127 (127: digital silence).
 */
uint8_t pc_acodec_cn_level(const int16_t *pcm, size_t n);

/*
 * pc_acodec_cn_encode - write the CN payload of @cn (borrowed) into @out (@cap bytes).
 * Returns its length (1 + order), -EINVAL (level > 127 or order too large), -EMSGSIZE.
 */
int pc_acodec_cn_encode(const struct pc_acodec_cn *cn, uint8_t *out, size_t cap);

/*
 * pc_acodec_cn_decode - parse the CN payload @in (@len bytes, borrowed) into *@cn. Returns 0,
 * or -EBADMSG (empty, level byte with its reserved top bit set). Coefficients beyond
 * PC_ACODEC_CN_MAX_ORDER are ignored (RFC 3389 3.2 lets a receiver use fewer).
 */
int pc_acodec_cn_decode(struct pc_acodec_cn *cn, const uint8_t *in, size_t len);

/* The state of a comfort-noise generator: a plain struct to keep anywhere. */
struct pc_acodec_cn_gen {
	uint32_t seed;
	int32_t lp; /* one-pole low-pass state, so the noise is not harsh white */
};

/* pc_acodec_cn_gen_init - seed a generator (@seed 0 is replaced by a fixed non-zero value). */
void pc_acodec_cn_gen_init(struct pc_acodec_cn_gen *g, uint32_t seed);

/*
 * pc_acodec_cn_generate - @n samples of noise at the level of @cn (borrowed; the spectrum is
 * not shaped by the coefficients: a fixed gentle low-pass), into @pcm. No allocation.
 */
void pc_acodec_cn_generate(struct pc_acodec_cn_gen *g, const struct pc_acodec_cn *cn, int16_t *pcm,
			   size_t n);

#ifdef __cplusplus
}
#endif

#endif /* PC_AUDIO_CODEC_H */
