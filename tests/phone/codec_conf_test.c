/* SPDX-License-Identifier: MIT */
/*
 * codec_conf_test.c - the codec settings of the configuration (pc_codec_conf.h): the
 * phonecore.audio.opus.* keys and the VP530's voice.vad, read from a configuration file the test
 * writes, mapped onto the audio codec parameters; what the mapping leaves alone; and that a
 * codec made from the result works.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pc_audio_codec.h"
#include "pc_codec_conf.h"
#include "pc_config.h"
#include "phone_test_pvt.h"
#include "pc_video.h"
#include "pc_voice.h"

Test(codec_conf, defaults_make_a_working_opus_and_leave_the_stream_fields)
{
	/* Given a configuration that sets none of the codec keys */
	struct pc_config *cfg = pc_test_cfg_file("voice.cng = 1\n");
	struct pc_acodec_params p;
	struct pc_acodec *c = NULL;
	char err[128];

	pc_acodec_params_init(&p, "opus");
	p.ptime_ms = 40;
	/* When it is mapped */
	cr_assert_eq(pc_codec_conf_audio(cfg, &p, err, sizeof(err)), 0, "%s", err);
	/* Then Opus gets the defaults, the ptime is the call's, and the codec is made */
	cr_assert_str_empty(err);
	cr_assert_eq(p.opus_bitrate, 24000);
	cr_assert(p.opus_fec);
	cr_assert_not(p.opus_dtx);
	cr_assert_eq(p.opus_loss_pct, 10);
	cr_assert_eq(p.opus_complexity, 10);
	cr_assert_eq(p.sample_rate, 48000);
	cr_assert_not(p.g729_annexb);
	cr_assert_eq(p.ptime_ms, 40);
	cr_assert_eq(pc_acodec_create(&c, &p), 0);
	cr_assert_eq(pc_acodec_get_info(c)->sample_rate, 48000);
	pc_acodec_destroy(c);
	pc_config_destroy(cfg);
}

Test(codec_conf, keys_and_vad_map_and_other_codecs_keep_their_rate)
{
	/* Given every Opus key set, and voice activity detection on */
	struct pc_config *cfg = pc_test_cfg_file("phonecore.audio.opus.bitrate = 32000\n"
						 "phonecore.audio.opus.fec = 0\n"
						 "phonecore.audio.opus.loss_pct = 3\n"
						 "phonecore.audio.opus.complexity = 5\n"
						 "phonecore.audio.opus.pcm_rate = 16000\n"
						 "voice.vad = 1\n");
	struct pc_acodec_params p;
	struct pc_acodec *c = NULL;

	pc_acodec_params_init(&p, "OPUS");
	cr_assert_eq(pc_codec_conf_audio(cfg, &p, NULL, 0), 0);
	cr_assert_eq(p.opus_bitrate, 32000);
	cr_assert_not(p.opus_fec);
	cr_assert_eq(p.opus_loss_pct, 3);
	cr_assert_eq(p.opus_complexity, 5);
	cr_assert_eq(p.sample_rate, 16000);
	cr_assert(p.opus_dtx, "voice.vad turns Opus DTX on");
	cr_assert_eq(pc_acodec_create(&c, &p), 0);
	cr_assert_eq(pc_acodec_get_info(c)->sample_rate, 16000);
	pc_acodec_destroy(c);
	/* And G.729 takes Annex B from voice.vad; G.722 keeps its 16 kHz */
	pc_acodec_params_init(&p, "G729");
	cr_assert_eq(pc_codec_conf_audio(cfg, &p, NULL, 0), 0);
	cr_assert(p.g729_annexb);
	cr_assert_eq(pc_acodec_create(&c, &p), 0);
	pc_acodec_destroy(c);
	pc_acodec_params_init(&p, "G722");
	cr_assert_eq(pc_codec_conf_audio(cfg, &p, NULL, 0), 0);
	cr_assert_eq(pc_acodec_create(&c, &p), 0);
	cr_assert_eq(pc_acodec_get_info(c)->sample_rate, 16000);
	pc_acodec_destroy(c);
	pc_config_destroy(cfg);
}

Test(codec_conf, values_out_of_range_are_refused_when_loaded)
{
	char path[] = "/tmp/pc_codec_conf_test_XXXXXX";
	char err[PC_CONFIG_ERR_MAX];
	struct pc_config *cfg = NULL;
	int fd = mkstemp(path);
	FILE *f;

	/* Given an Opus bitrate below what Opus takes and a PCM rate it does not have */
	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	fprintf(f, "%s\nphonecore.audio.opus.bitrate = 100\n", PC_CONFIG_HEADER);
	fclose(f);
	cr_assert_eq(pc_config_create(&cfg, NULL, NULL), 0);
	/* Then the load says which key, and why */
	cr_assert_lt(pc_config_load_file(cfg, path, err, sizeof(err)), 0);
	cr_assert_not_null(strstr(err, "phonecore.audio.opus.bitrate"), "%s", err);
	f = fopen(path, "w");
	fprintf(f, "%s\nphonecore.audio.opus.pcm_rate = 44100\n", PC_CONFIG_HEADER);
	fclose(f);
	cr_assert_lt(pc_config_load_file(cfg, path, err, sizeof(err)), 0);
	cr_assert_not_null(strstr(err, "phonecore.audio.opus.pcm_rate"), "%s", err);
	unlink(path);
	pc_config_destroy(cfg);
}

Test(codec_conf, video_defaults_and_keys_make_an_encoder)
{
	/* Given a configuration with a smaller picture, 2 threads and intra refresh */
	struct pc_config *cfg = pc_test_cfg_file("phonecore.video.width = 640\n"
						 "phonecore.video.height = 360\n"
						 "phonecore.video.bitrate = 800\n"
						 "phonecore.video.preset = veryfast\n"
						 "phonecore.video.threads = 2\n"
						 "phonecore.video.intra_refresh = 1\n"
						 "phonecore.video.decoder_threads = 2\n");
	struct pc_video_enc_conf enc;
	struct pc_video_dec_conf dec;
	struct pc_video_enc *e = NULL;
	char err[160];

	memset(&enc, 0, sizeof(enc));
	memset(&dec, 0, sizeof(dec));
	enc.recon = true; /* left alone by the mapping */
	/* When it is mapped */
	cr_assert_eq(pc_codec_conf_video(cfg, &enc, &dec, err, sizeof(err)), 0, "%s", err);
	/* Then the keys and the defaults are in, and x264 takes them */
	cr_assert_eq(enc.width, 640);
	cr_assert_eq(enc.height, 360);
	cr_assert_eq(enc.fps_num, 30);
	cr_assert_eq(enc.fps_den, 1);
	cr_assert_eq(enc.bitrate_kbps, 800);
	cr_assert_str_eq(enc.preset, "veryfast");
	cr_assert_str_eq(enc.profile, "baseline");
	cr_assert_eq(enc.threads, 2);
	cr_assert_eq(enc.keyint, 300);
	cr_assert(enc.intra_refresh);
	cr_assert_eq(enc.slice_max_size, 1200);
	cr_assert_eq(enc.vbv_frames, 1);
	cr_assert(enc.recon);
	cr_assert_eq(dec.threads, 2);
	cr_assert_eq(pc_video_enc_create(&e, &enc), 0);
	pc_video_enc_destroy(e);
	pc_config_destroy(cfg);
}

Test(codec_conf, odd_picture_size_is_refused)
{
	struct pc_config *cfg = pc_test_cfg_file("phonecore.video.width = 641\n");
	struct pc_video_enc_conf enc;
	char err[160];

	memset(&enc, 0, sizeof(enc));
	cr_assert_eq(pc_codec_conf_video(cfg, &enc, NULL, err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "must be even"), "%s", err);
	cr_assert_eq(enc.width, 0, "nothing written on error");
	pc_config_destroy(cfg);
}

Test(codec_conf, voice_keys_make_a_canceller_and_a_preprocessor)
{
	/* Given 8 kHz, a shorter tail, VAD on and comfort noise off */
	struct pc_config *cfg = pc_test_cfg_file("phonecore.voice.rate = 8000\n"
						 "phonecore.voice.aec.tail_ms = 128\n"
						 "phonecore.voice.aec.frame_ms = 20\n"
						 "voice.vad = 1\n"
						 "voice.cng = 0\n"
						 "phonecore.voice.agc = 1\n");
	struct pc_voice_aec_conf aec;
	struct pc_voice_pre_conf pre;
	struct pc_voice_aec *a = NULL;
	struct pc_voice_pre *p = NULL;
	bool aec_on = false, cng_on = true;
	char err[160];

	pc_voice_aec_conf_default(&aec);
	memset(&pre, 0, sizeof(pre));
	/* When it is mapped */
	cr_assert_eq(pc_codec_conf_voice(cfg, &aec, &pre, &aec_on, &cng_on, err, sizeof(err)), 0,
		     "%s", err);
	/* Then the keys are in, the defaults elsewhere, and both objects are made */
	cr_assert(aec_on, "voice.echo_cancellation is 1 by default");
	cr_assert_not(cng_on);
	cr_assert_eq(aec.rate, 8000);
	cr_assert_eq(aec.tail_ms, 128);
	cr_assert_eq(aec.frame_ms, 20);
	cr_assert_eq(aec.max_delay_ms, 320);
	cr_assert_eq(aec.echo_suppress_db, -50);
	cr_assert_eq(aec.echo_suppress_dt_db, -25);
	cr_assert_eq(aec.noise_suppress_db, -15);
	cr_assert_eq(pre.rate, 8000);
	cr_assert(pre.vad);
	cr_assert(pre.agc);
	cr_assert(pre.denoise);
	cr_assert_eq(pc_voice_aec_create(&a, &aec), 0);
	cr_assert_eq(pc_voice_aec_frame_samples(a), 160, "20 ms at 8 kHz");
	cr_assert_eq(pc_voice_pre_create(&p, &pre), 0);
	pc_voice_pre_destroy(p);
	pc_voice_aec_destroy(a);
	pc_config_destroy(cfg);
}
