// SPDX-License-Identifier: MIT
// aec_webrtc.cc - the aec benchmark's reference: webrtc-audio-processing's AudioProcessing (0.3,
// the legacy AEC) behind the C face of aec_webrtc_pvt.h. Float interface, 10 ms mono frames.
#include <errno.h>
#include <stdlib.h>

#include <webrtc/modules/audio_processing/include/audio_processing.h>

#include "aec_webrtc_pvt.h"

struct pc_bench_apm {
	webrtc::AudioProcessing *apm;
	int rate;
	int n;
	int delay_ms;
	float far[160];
	float mic[160];
};

extern "C" int pc_bench_apm_create(struct pc_bench_apm **out, int rate, int delay_ms)
{
	if (out == nullptr || (rate != 8000 && rate != 16000) || delay_ms < 0 || delay_ms > 500)
		return -EINVAL;
	// malloc, not new: this file then needs nothing from libstdc++ itself (pc_bench is
	// linked by a C linker; webrtc's library brings its own runtime).
	pc_bench_apm *a = static_cast<pc_bench_apm *>(calloc(1, sizeof(*a)));
	if (a == nullptr)
		return -ENOMEM;
	a->rate = rate;
	a->n = rate / 100;
	a->delay_ms = delay_ms;
	a->apm = webrtc::AudioProcessing::Create();
	if (a->apm == nullptr) {
		free(a);
		return -ENOMEM;
	}
	webrtc::EchoCancellation *ec = a->apm->echo_cancellation();
	if (ec->enable_drift_compensation(false) != 0 ||
	    ec->set_suppression_level(webrtc::EchoCancellation::kHighSuppression) != 0 ||
	    ec->Enable(true) != 0) {
		delete a->apm;
		free(a);
		return -EIO;
	}
	*out = a;
	return 0;
}

extern "C" void pc_bench_apm_destroy(struct pc_bench_apm *a)
{
	if (a == nullptr)
		return;
	delete a->apm;
	free(a);
}

extern "C" int pc_bench_apm_process(struct pc_bench_apm *a, const int16_t *mic, const int16_t *far,
				    int16_t *out)
{
	webrtc::StreamConfig cfg(a->rate, 1, false);
	float *fp = a->far, *mp = a->mic;

	for (int i = 0; i < a->n; i++) {
		a->far[i] = far[i] / 32768.0f;
		a->mic[i] = mic[i] / 32768.0f;
	}
	if (a->apm->ProcessReverseStream(&fp, cfg, cfg, &fp) != 0)
		return -EIO;
	if (a->apm->set_stream_delay_ms(a->delay_ms) != 0)
		return -EIO;
	if (a->apm->ProcessStream(&mp, cfg, cfg, &mp) != 0)
		return -EIO;
	for (int i = 0; i < a->n; i++) {
		float v = a->mic[i] * 32768.0f;

		v = v > 32767.0f ? 32767.0f : (v < -32768.0f ? -32768.0f : v);
		out[i] = (int16_t)(v < 0 ? v - 0.5f : v + 0.5f);
	}
	return 0;
}
