/* SPDX-License-Identifier: MIT */
/* bench.c - the table of benchmarks that `phonecore bench` runs. */
#include <string.h>

#include "bench_pvt.h"

/* One line per benchmark; `phonecore bench all` runs them in this order. */
static const struct pc_bench_desc benches[] = {
	{ "ring", "lock-free rings: SPSC/MPMC throughput and hand-off latency vs DPDK rte_ring",
	  pc_bench_ring_run },
	{ "pool",
	  "packet pool: alloc/free, local and cross-thread, vs DPDK rte_pktmbuf/rte_mempool",
	  pc_bench_pool_run },
	{ "relay",
	  "RTP relay of 100 calls on one core: max rate under 0.1% loss and latency vs rtpengine",
	  pc_bench_relay_run },
	{ "io", "packet I/O per backend: rx/tx rates and echo round trip vs bare recvmmsg/sendmmsg",
	  pc_bench_io_run },
	{ "jitter",
	  "adaptive jitter buffer: added delay and late loss on network traces vs Speex DSP's jitter buffer",
	  pc_bench_jitter_run },
	{ "srtp", "SRTP/SRTCP protect and unprotect per packet vs calling libsrtp directly",
	  pc_bench_srtp_run },
	{ "sip",
	  "SIP parse rate vs libre's sip_msg_decode; UAS calls/s and setup latency under SIPp vs "
	  "baresip",
	  pc_bench_sip_run },
	{ "codecs",
	  "audio codecs: encode and decode time per 20 ms frame (G.711, G.722, G.729, Opus)",
	  pc_bench_codecs_run },
	{ "aec",
	  "echo cancellation: ERLE, time to 20 dB, double-talk preservation and CPU vs "
	  "webrtc-audio-processing",
	  pc_bench_aec_run },
	{ "video",
	  "H.264 video: x264 encode time per frame and encode-packetize-depacketize-decode latency",
	  pc_bench_video_run },
};

const struct pc_bench_desc *pc_bench_list(size_t *n)
{
	*n = sizeof(benches) / sizeof(benches[0]);
	return benches;
}

const struct pc_bench_desc *pc_bench_find(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(benches) / sizeof(benches[0]); i++)
		if (strcmp(benches[i].name, name) == 0)
			return &benches[i];
	return NULL;
}
