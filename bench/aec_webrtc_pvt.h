/* SPDX-License-Identifier: MIT */
/*
 * aec_webrtc_pvt.h - the aec benchmark's reference: a plain C face over webrtc-audio-processing's
 * AudioProcessing (C++), implemented in aec_webrtc.cc. Internal to bench/; only built with
 * PC_BENCH_HAVE_WEBRTC_APM.
 *
 * Thread context: one instance on one thread. Allocates: create only.
 */
#ifndef PC_BENCH_AEC_WEBRTC_PVT_H
#define PC_BENCH_AEC_WEBRTC_PVT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pc_bench_apm;

/*
 * pc_bench_apm_create - an AudioProcessing at @rate Hz (8000 or 16000), mono, with only the echo
 * canceller on (high suppression, drift compensation off), told a render-to-capture delay of
 * @delay_ms at every frame. Returns 0 and *@out, -EINVAL, -ENOMEM or -EIO (the library refused
 * the setup).
 */
int pc_bench_apm_create(struct pc_bench_apm **out, int rate, int delay_ms);

/* pc_bench_apm_destroy - frees @a; NULL ok. */
void pc_bench_apm_destroy(struct pc_bench_apm *a);

/* pc_bench_apm_process - one 10 ms frame: @far (borrowed) into ProcessReverseStream, then @mic
 * (borrowed) through ProcessStream into @out (borrowed, may be @mic). Returns 0 or -EIO. */
int pc_bench_apm_process(struct pc_bench_apm *a, const int16_t *mic, const int16_t *far,
			 int16_t *out);

#ifdef __cplusplus
}
#endif

#endif /* PC_BENCH_AEC_WEBRTC_PVT_H */
