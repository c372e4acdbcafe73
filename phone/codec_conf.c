/* SPDX-License-Identifier: MIT */
/* codec_conf.c - the configuration's codec keys onto the codec layer's parameters. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pc_audio_codec.h"
#include "pc_codec_conf.h"
#include "pc_config.h"
#include "pc_video.h"
#include "pc_voice.h"

static int codec_conf_err(char *err, size_t errlen, const char *key, int rc)
{
	if (errlen > 0)
		snprintf(err, errlen, "%s: %s", key, rc == -ENODATA ? "no value" : strerror(-rc));
	return rc;
}

static int codec_conf_int(const struct pc_config *cfg, const char *key, int64_t *v, char *err,
			  size_t errlen)
{
	int rc = pc_config_get_int(cfg, key, v);

	return rc < 0 ? codec_conf_err(err, errlen, key, rc) : 0;
}

static int codec_conf_bool(const struct pc_config *cfg, const char *key, bool *v, char *err,
			   size_t errlen)
{
	int rc = pc_config_get_bool(cfg, key, v);

	return rc < 0 ? codec_conf_err(err, errlen, key, rc) : 0;
}

int pc_codec_conf_audio(const struct pc_config *cfg, struct pc_acodec_params *p, char *err,
			size_t errlen)
{
	int64_t bitrate, loss, complexity, rate;
	bool fec, dtx, vad;
	int rc;

	if (errlen > 0)
		err[0] = '\0';
	rc = codec_conf_int(cfg, "phonecore.audio.opus.bitrate", &bitrate, err, errlen);
	if (rc == 0)
		rc = codec_conf_int(cfg, "phonecore.audio.opus.loss_pct", &loss, err, errlen);
	if (rc == 0)
		rc = codec_conf_int(cfg, "phonecore.audio.opus.complexity", &complexity, err,
				    errlen);
	if (rc == 0)
		rc = codec_conf_int(cfg, "phonecore.audio.opus.pcm_rate", &rate, err, errlen);
	if (rc == 0)
		rc = codec_conf_bool(cfg, "phonecore.audio.opus.fec", &fec, err, errlen);
	if (rc == 0)
		rc = codec_conf_bool(cfg, "phonecore.audio.opus.dtx", &dtx, err, errlen);
	if (rc == 0)
		rc = codec_conf_bool(cfg, "voice.vad", &vad, err, errlen);
	if (rc < 0)
		return rc;
	/* The configuration checked each key at load and at set; checked again here all the same,
	 * since the codec would refuse what is off. */
	if ((rate != 8000 && rate != 12000 && rate != 16000 && rate != 24000 && rate != 48000) ||
	    bitrate < 6000 || bitrate > 510000 || loss < 0 || loss > 100 || complexity < 1 ||
	    complexity > 10) {
		if (errlen > 0)
			snprintf(err, errlen, "phonecore.audio.opus.*: value out of range");
		return -EINVAL;
	}
	p->opus_bitrate = (uint32_t)bitrate;
	p->opus_fec = fec;
	p->opus_loss_pct = (uint8_t)loss;
	p->opus_complexity = (uint8_t)complexity;
	p->opus_dtx = dtx || vad;
	p->g729_annexb = vad;
	/* Opus's PCM rate; the other codecs keep theirs (8000, G.722 16000). */
	if (p->name != NULL && pc_acodec_lookup_name(p->name, 0) == PC_ACODEC_OPUS)
		p->sample_rate = (uint32_t)rate;
	return 0;
}

int pc_codec_conf_video(const struct pc_config *cfg, struct pc_video_enc_conf *enc,
			struct pc_video_dec_conf *dec, char *err, size_t errlen)
{
	static const char *const ints[] = { "phonecore.video.width",
					    "phonecore.video.height",
					    "phonecore.video.fps",
					    "phonecore.video.bitrate",
					    "phonecore.video.threads",
					    "phonecore.video.keyint",
					    "phonecore.video.slice_max_size",
					    "phonecore.video.vbv_frames",
					    "phonecore.video.decoder_threads" };
	int64_t v[sizeof(ints) / sizeof(ints[0])];
	const char *preset, *profile;
	bool intra;
	int rc = 0;

	if (errlen > 0)
		err[0] = '\0';
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]) && rc == 0; i++)
		rc = codec_conf_int(cfg, ints[i], &v[i], err, errlen);
	if (rc == 0)
		rc = codec_conf_bool(cfg, "phonecore.video.intra_refresh", &intra, err, errlen);
	if (rc == 0) {
		rc = pc_config_get_str(cfg, "phonecore.video.preset", &preset);
		if (rc < 0)
			codec_conf_err(err, errlen, "phonecore.video.preset", rc);
	}
	if (rc == 0) {
		rc = pc_config_get_str(cfg, "phonecore.video.profile", &profile);
		if (rc < 0)
			codec_conf_err(err, errlen, "phonecore.video.profile", rc);
	}
	if (rc < 0)
		return rc;
	if (v[0] % 2 != 0 || v[1] % 2 != 0) {
		if (errlen > 0)
			snprintf(err, errlen,
				 "phonecore.video.width/height = %lld x %lld: must be even (4:2:0)",
				 (long long)v[0], (long long)v[1]);
		return -EINVAL;
	}
	if (enc != NULL) {
		enc->width = (uint32_t)v[0];
		enc->height = (uint32_t)v[1];
		enc->fps_num = (uint32_t)v[2];
		enc->fps_den = 1;
		enc->bitrate_kbps = (uint32_t)v[3];
		enc->preset = preset;
		enc->profile = profile;
		enc->threads = (uint32_t)v[4];
		enc->keyint = (uint32_t)v[5];
		enc->intra_refresh = intra;
		enc->slice_max_size = (uint32_t)v[6];
		enc->vbv_frames = (uint32_t)v[7];
	}
	if (dec != NULL)
		dec->threads = (uint32_t)v[8];
	return 0;
}

int pc_codec_conf_voice(const struct pc_config *cfg, struct pc_voice_aec_conf *aec,
			struct pc_voice_pre_conf *pre, bool *aec_on, bool *cng_on, char *err,
			size_t errlen)
{
	static const char *const ints[] = {
		"phonecore.voice.rate",
		"phonecore.voice.aec.tail_ms",
		"phonecore.voice.aec.max_delay_ms",
		"phonecore.voice.aec.suppress_db",
		"phonecore.voice.aec.suppress_dt_db",
		"phonecore.voice.noise_suppress_db",
		"phonecore.voice.aec.frame_ms",
	};
	static const char *const bools[] = { "voice.echo_cancellation", "voice.vad", "voice.cng",
					     "phonecore.voice.agc" };
	int64_t v[sizeof(ints) / sizeof(ints[0])];
	bool b[sizeof(bools) / sizeof(bools[0])];
	int rc = 0;

	if (errlen > 0)
		err[0] = '\0';
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]) && rc == 0; i++)
		rc = codec_conf_int(cfg, ints[i], &v[i], err, errlen);
	for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]) && rc == 0; i++)
		rc = codec_conf_bool(cfg, bools[i], &b[i], err, errlen);
	if (rc < 0)
		return rc;
	if ((v[0] != 8000 && v[0] != 16000) || v[1] < 20 || v[1] > 500 || v[2] < 0 || v[2] > 500 ||
	    v[3] >= 0 || v[4] >= 0 || v[5] >= 0 || v[6] < 10 || v[6] > 60 || v[6] % 10 != 0) {
		if (errlen > 0)
			snprintf(err, errlen, "phonecore.voice.*: value out of range");
		return -EINVAL;
	}
	if (aec != NULL) {
		aec->rate = (uint32_t)v[0];
		aec->tail_ms = (uint32_t)v[1];
		aec->max_delay_ms = (uint32_t)v[2];
		aec->echo_suppress_db = (int32_t)v[3];
		aec->echo_suppress_dt_db = (int32_t)v[4];
		aec->noise_suppress_db = (int32_t)v[5];
		aec->frame_ms = (uint32_t)v[6];
	}
	if (pre != NULL) {
		pre->rate = (uint32_t)v[0];
		pre->denoise = true;
		pre->noise_suppress_db = (int32_t)v[5];
		pre->agc = b[3];
		pre->vad = b[1];
	}
	if (aec_on != NULL)
		*aec_on = b[0];
	if (cng_on != NULL)
		*cng_on = b[2];
	return 0;
}
