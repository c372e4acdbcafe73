#!/usr/bin/env bash
# flows_sipp_ref_test.sh - every VP530 flow of flows.sh played by SIPp alone through Kamailio: each
# party runs its own scenario (sipp/<flow>.<P>.xml), so each scenario phonecore will face is
# checked against the reference scenario of the party phonecore plays, and the other way round.
# Fails on any SIPp failure (exit status or a failed check); the flows run one after the other.
# Usage: flows_sipp_ref_test.sh [FLOW...] (default: every flow)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$PC_IT_DIR/flows.sh"
pc_it_kamailio

flows=("$@")
((${#flows[@]})) || flows=("${PC_FLOWS[@]}")
if ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP the lossy flows: python3 (for lossy_relay.py) not installed"
	for i in "${!flows[@]}"; do
		[[ ${flows[$i]} == lossy_* ]] && unset "flows[$i]"
	done
fi
failed=()
t0=$(pc_flow_ms)
for flow in "${flows[@]}"; do
	PC_FLOW_RUN=$((PC_FLOW_RUN + 1))
	declare -A PC_FLOW_PIDS=() PC_FLOW_DIRS=()
	parties=$(pc_flow_parties "$flow") || pc_it_fail "unknown flow $flow"
	t1=$(pc_flow_ms)
	pc_flow_relay_start "$flow"
	order=()
	while read -r p kind reg args; do
		[[ $reg == reg ]] || continue
		# shellcheck disable=SC2086
		pc_flow_party_start "$flow" "$p" "$kind" "$reg" $args
		order+=("$p")
	done <<<"$parties"
	while read -r p kind reg args; do
		[[ $reg != reg ]] || continue
		# shellcheck disable=SC2086
		pc_flow_party_start "$flow" "$p" "$kind" "$reg" $args
		order+=("$p")
	done <<<"$parties"
	PC_FLOW_WHY=
	for p in "${order[@]}"; do
		pc_flow_sipp_check "$p" || true
	done
	pc_flow_relay_check "$flow" || true
	dt=$(($(pc_flow_ms) - t1))
	if [[ -n $PC_FLOW_WHY ]]; then
		echo "FAIL $flow (${order[*]}) ${dt} ms: $PC_FLOW_WHY"
		failed+=("$flow")
	else
		echo "ok   $flow (${order[*]}) ${dt} ms"
	fi
	unset PC_FLOW_PIDS PC_FLOW_DIRS
done
echo "total $(($(pc_flow_ms) - t0)) ms, ${#failed[@]} failed"
if ((${#failed[@]})); then
	pc_it_fail "flows failed: ${failed[*]} (logs in $PC_IT_TMP)"
fi
