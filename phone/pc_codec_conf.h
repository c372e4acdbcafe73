/* SPDX-License-Identifier: MIT */
/*
 * pc_codec_conf.h - the codec settings of the phone's configuration (pc_config.h), mapped onto
 * the codec layer's parameters (codecs/pc_audio_codec.h).
 *
 * Audio codecs (phonecore's own keys; the VP530 has none for them):
 *   phonecore.audio.opus.bitrate     bit/s, 6000..510000 (24000)  -> opus_bitrate
 *   phonecore.audio.opus.fec         in-band FEC (1)               -> opus_fec
 *   phonecore.audio.opus.loss_pct    expected loss %, what FEC costs (10) -> opus_loss_pct
 *   phonecore.audio.opus.dtx         discontinuous transmission (0) -> opus_dtx
 *   phonecore.audio.opus.complexity  1..10 (10)                    -> opus_complexity
 *   phonecore.audio.opus.pcm_rate    8000/12000/16000/24000/48000 (48000): the PCM rate Opus
 *                                    works at (16000 when the voice path runs at 16 kHz)
 *   voice.vad                        VP530: voice activity detection -> g729_annexb (G.729
 *                                    Annex B silence suppression), and Opus DTX as well
 * The stream's fields (name, clock rate, ptime, channels) come from the negotiated SDP.
 *
 * Video (phonecore's own keys):
 *   phonecore.video.width, .height   picture size, even (1280 x 720)   -> width, height
 *   phonecore.video.fps              frames per second (30)            -> fps_num / 1
 *   phonecore.video.bitrate          kbit/s, also the VBV rate (2000)  -> bitrate_kbps
 *   phonecore.video.preset           x264 preset (ultrafast)           -> preset
 *   phonecore.video.profile          baseline, main, high (baseline)   -> profile
 *   phonecore.video.threads          encoder slice threads (1)         -> threads
 *   phonecore.video.keyint           frames between key frames (300)   -> keyint
 *   phonecore.video.intra_refresh    periodic intra refresh (0)        -> intra_refresh
 *   phonecore.video.slice_max_size   bytes per NAL unit (1200: one RTP packet) -> slice_max_size
 *   phonecore.video.vbv_frames       VBV buffer in frames (1)          -> vbv_frames
 *   phonecore.video.decoder_threads  decoder slice threads (1)        -> pc_video_dec_conf.threads
 *
 * Voice processing (VP530 keys, and phonecore's own):
 *   voice.echo_cancellation          VP530: echo canceller on (1)      -> *aec_on
 *   voice.vad                        VP530: voice activity detection (0) -> pre.vad
 *   voice.cng                        VP530: comfort noise (1)          -> *cng_on
 *   phonecore.voice.rate             8000 or 16000 Hz, the voice path's rate (16000)
 *   phonecore.voice.aec.tail_ms      echo path length modelled, 20..500 ms (250) -> tail_ms
 *   phonecore.voice.aec.max_delay_ms bulk delay searched, 0..500 ms (320) -> max_delay_ms
 *   phonecore.voice.aec.frame_ms     one canceller job's frame, 10..60 ms in steps of 10 (10)
 *   phonecore.voice.aec.suppress_db  residual echo suppression, near end silent (-50)
 *   phonecore.voice.aec.suppress_dt_db  ... in double-talk (-25)
 *   phonecore.voice.noise_suppress_db   noise suppression, AEC and preprocessor (-15)
 *   phonecore.voice.agc              automatic gain control (0)         -> pre.agc
 * The canceller runs a frame (one offload job) as 10 ms blocks.
 *
 * Thread context: reads the configuration with its getters (not while it is being loaded or
 * set). No allocation.
 */
#ifndef PC_CODEC_CONF_H
#define PC_CODEC_CONF_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pc_config;
struct pc_acodec_params;
struct pc_video_enc_conf;
struct pc_video_dec_conf;
struct pc_voice_aec_conf;
struct pc_voice_pre_conf;

/*
 * pc_codec_conf_audio - set the fields of *@p the configuration decides (the Opus options, G.729
 * Annex B); the others are left as they are: start from pc_acodec_params_init() with the
 * negotiated codec's name and set clock rate, ptime and channels from the SDP.
 * @cfg: borrowed. @p: borrowed, written only on success.
 * @err: @errlen bytes (may be NULL when @errlen is 0): on error one line naming the key; "" on
 * success.
 * Returns 0, -EINVAL when a key is not of its type, or what the getter returned.
 */
int pc_codec_conf_audio(const struct pc_config *cfg, struct pc_acodec_params *p, char *err,
			size_t errlen);

/*
 * pc_codec_conf_video - set *@enc and *@dec (either may be NULL) from the video keys; the fields
 * no key decides (recon, no_repeat_headers, max_au_bytes, fast) are left as they are. The preset
 * and profile strings are borrowed from @cfg (valid until its next load or set; the encoder reads
 * them in create only). @cfg borrowed; @enc, @dec written only on success.
 * Returns 0, -EINVAL (an odd width or height, or a key of another type), or the getter's error;
 * @err as for pc_codec_conf_audio.
 */
int pc_codec_conf_video(const struct pc_config *cfg, struct pc_video_enc_conf *enc,
			struct pc_video_dec_conf *dec, char *err, size_t errlen);

/*
 * pc_codec_conf_voice - set *@aec (from pc_voice_aec_conf_default()'s fields: rate, tail,
 * delay, suppression levels; flags kept) and *@pre (rate, denoise, its level, AGC, VAD) from the
 * voice keys, and whether the canceller and comfort noise are on (*@aec_on, *@cng_on). Any
 * pointer may be NULL. @cfg borrowed; the outputs written only on success.
 * Returns 0, -EINVAL, or the getter's error; @err as for pc_codec_conf_audio.
 */
int pc_codec_conf_voice(const struct pc_config *cfg, struct pc_voice_aec_conf *aec,
			struct pc_voice_pre_conf *pre, bool *aec_on, bool *cng_on, char *err,
			size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* PC_CODEC_CONF_H */
