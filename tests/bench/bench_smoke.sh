#!/usr/bin/env bash
# bench_smoke.sh PHONECORE - every benchmark runs (--quick) and writes the JSON rows it must:
# the named cases, each with a number for phonecore, the reference and the speedup. A reference
# that could not be measured (null: DPDK, rtpengine) fails the test: CI must compare against it.
set -euo pipefail
bin=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

"$bin" bench all --quick --dir "$dir" >"$dir/out.txt" 2>&1 || {
	cat "$dir/out.txt"
	echo "FAIL: phonecore bench all --quick exited non-zero"
	exit 1
}

fail=0
check_case() { # file case metric
	local f=$1 c=$2 m=$3 line
	line=$(grep -F "\"case\": \"$c\", \"metric\": \"$m\"" "$f" || true)
	if [[ -z "$line" ]]; then
		echo "FAIL: $f has no row $c / $m"
		fail=1
		return
	fi
	if grep -qE '"(phonecore|reference_value|speedup)": null' <<<"$line"; then
		echo "FAIL: $f row $c / $m has a null figure: $line"
		fail=1
	fi
}

check_ours() { # file case metric: phonecore's figure only (no reference exists)
	local f=$1 c=$2 m=$3 line
	line=$(grep -F "\"case\": \"$c\", \"metric\": \"$m\"" "$f" || true)
	if [[ -z "$line" ]] || grep -qE '"phonecore": null' <<<"$line"; then
		echo "FAIL: $f has no figure for $c / $m: $line"
		fail=1
	fi
}

for f in ring pool relay srtp jitter sip codecs video aec; do
	[[ -s "$dir/$f.json" ]] || { echo "FAIL: no $f.json"; fail=1; continue; }
	grep -q "\"bench\": \"$f\"" "$dir/$f.json" || { echo "FAIL: $f.json names another bench"; fail=1; }
	[[ -s "$dir/$f.svg" ]] || { echo "FAIL: no $f.svg"; fail=1; }
done
for c in spsc/burst1 spsc/burst8 spsc/burst32 mpmc/burst1 mpmc/burst8 mpmc/burst32; do
	check_case "$dir/ring.json" "$c" throughput
	check_case "$dir/ring.json" "$c" ns_per_item
done
for m in latency_p50 latency_p99 latency_p99.9; do
	check_case "$dir/ring.json" spsc/latency "$m"
	check_case "$dir/ring.json" mpmc/latency "$m"
done
check_case "$dir/pool.json" pool/local ns_per_op
check_case "$dir/pool.json" pool/cross-thread throughput
# The relay against rtpengine and the bare forwarder, on the sockets backend (always here).
check_case "$dir/relay.json" relay/sockets max_rate_loss_under_0.1pct
check_case "$dir/relay.json" relay/sockets latency_p99
check_case "$dir/relay.json" relay/sockets-vs-bare max_rate_loss_under_0.1pct
# The dpdk relay on its net_ring pair, and calls held at 50 packets/s per direction.
check_case "$dir/relay.json" relay/dpdk max_rate_loss_under_0.1pct
check_case "$dir/relay.json" relay/dpdk latency_p99
check_case "$dir/relay.json" relay/dpdk latency_p99_at_half_max
# Its same-run floor: the bare DPDK forwarder on the same wire, at the same rate for latency.
check_case "$dir/relay.json" relay/dpdk-vs-bare max_rate_loss_under_0.1pct
check_case "$dir/relay.json" relay/dpdk-vs-bare latency_p99_at_half_max
for b in sockets dpdk; do
	check_case "$dir/relay.json" "held/1000/$b" delivered
	check_case "$dir/relay.json" "held/1000/$b" cpu_per_call
done
check_ours "$dir/relay.json" held/10000/dpdk delivered
check_ours "$dir/relay.json" held/10000/dpdk cpu_per_call
# SRTP against libsrtp called directly; the jitter buffer against Speex DSP's.
for suite in AES_CM_128_HMAC_SHA1_80 AEAD_AES_256_GCM; do
	check_case "$dir/srtp.json" "srtp/$suite/160/protect" ns_per_packet
	check_case "$dir/srtp.json" "srtp/$suite/1200/unprotect" ns_per_packet
done
for t in clean pareto gilbert spike; do
	check_case "$dir/jitter.json" "jitter/$t" added_delay_mean
	check_case "$dir/jitter.json" "jitter/$t" on_time_pct
done
# ... and its trade-off curve against Speex's point (the traces are the same every run).
for t in clean pareto gilbert spike drift+1% drift-1%; do
	check_case "$dir/jitter.json" "jitter/$t" played_pct_at_ref_delay
	check_ours "$dir/jitter.json" "jitter/$t" late_loss_at_ref_delay
done
check_case "$dir/jitter.json" "jitter/drift-1%" added_delay_at_ref_played
# Audio codecs: our G.711 against spandsp's; the library codecs against calling them directly.
for c in pcmu pcma g722 g729 opus32k; do
	check_case "$dir/codecs.json" "codecs/$c/encode" ns_per_frame
	check_case "$dir/codecs.json" "codecs/$c/decode" ns_per_frame
done
check_ours "$dir/codecs.json" codecs/opus32k/encode p99
# Video: x264 through our encoder against x264 called directly; the frame latency end to end.
check_case "$dir/video.json" video/720p30/ultrafast/t1 encode_p99
check_ours "$dir/video.json" video/720p30/ultrafast/t1 kbps
check_ours "$dir/video.json" video/720p30/e2e/ultrafast/t1 latency_p99
# Echo cancellation against webrtc-audio-processing on the same signals (espeak-ng speech).
for sc in linear nonlinear doubletalk; do
	check_case "$dir/aec.json" "aec/$sc" erle_converged
	check_case "$dir/aec.json" "aec/$sc" erle_first_1s
	check_case "$dir/aec.json" "aec/$sc" cpu_p50
done
check_case "$dir/aec.json" aec/doubletalk sdr_doubletalk
# SIP: the parser against libre's sip_msg_decode; the UAS under SIPp against baresip.
for c in sip/parse/invite sip/parse/200ok; do
	check_case "$dir/sip.json" "$c" ns_per_msg
	check_case "$dir/sip.json" "$c" msgs_per_s_one_core
done
check_case "$dir/sip.json" sip/uas/cps max_cps_0_failed
for m in p50 p99; do
	check_case "$dir/sip.json" sip/uas/setup_latency "$m"
done

if [[ $fail -ne 0 ]]; then
	cat "$dir/out.txt"
	exit 1
fi
echo "bench smoke: ring, pool, relay (dpdk with its bare floor, held calls too), srtp, jitter, sip, codecs, video and aec wrote every row with its same-run reference"
