#!/usr/bin/env bash
# flows_test.sh - every VP530 flow of flows.sh with phonecore in one role (A, then B, then C where
# the flow has one) and SIPp in the others, through Kamailio: `phonecore sip ua` plays its role
# from a script of steps (register, call, wait, answer, hold, transfer...) and a VP530 config file
# written into $PC_IT_TMP; the SIPp parties check what it sends (sequence and SDP direction), the
# script's waits check what it sees, and a few flows check the final code it prints.
# Skips (77) while `phonecore sip ua` does not exist.
# Usage: flows_test.sh [FLOW[:ROLE]...] (default: every flow, every role); PHONECORE is the
# binary (default: phonecore on PATH, else build/phonecore).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$PC_IT_DIR/flows.sh"

if [[ -z ${PHONECORE:-} ]]; then
	PHONECORE=$(command -v phonecore || echo "$PC_IT_DIR/../../build/phonecore")
fi
[[ -x $PHONECORE ]] || pc_it_skip "no phonecore binary at $PHONECORE (set PHONECORE)"
"$PHONECORE" sip ua --help >/dev/null 2>&1 ||
	pc_it_skip "'$PHONECORE sip ua' does not exist yet (sip ua --help fails)"

# The roles phonecore plays in each flow.
pc_flow_roles() {
	case $1 in
	register | lossy_invite) echo A ;;
	lossy_ok) echo B ;;
	basic_a_bye | basic_b_bye | busy | noanswer | dnd | hold | hold2543) echo A B ;;
	*) echo A B C ;;
	esac
}

# pc_flow_pc_script FLOW ROLE: phonecore's steps after `register` ({A} {B} {C} stand for the
# parties' users), then a | and the --set options of that role (space separated), then a | and
# the start of a line its output must hold (empty: none). A request never follows an ACK at once
# (`sleep` first): the proxy's two UDP workers may reorder them, which SIPp takes as a failure. The SIPp parties' timing is in their scenarios.
pc_flow_pc_script() {
	local est='wait incoming 1 10; answer 1; wait established 1 5'
	case $1:$2 in
	register:A) printf '%s||%s' 'sleep 100' 'registered' ;;
	basic_a_bye:A | lossy_invite:A)
		printf '%s' 'call {B}; wait established 1 10; sleep 300; hangup 1; wait ended 1 5'
		if [[ $1 == lossy_invite ]]; then printf '|%s' "account.1.sip_server_port=$PC_FLOW_RELAY_PORT"; fi
		;;
	basic_a_bye:B | lossy_ok:B) printf '%s' "$est; wait ended 1 10" ;;
	basic_b_bye:A) printf '%s' 'call {B}; wait established 1 10; wait ended 1 10' ;;
	basic_b_bye:B) printf '%s' "$est; sleep 300; hangup 1; wait ended 1 5" ;;
	busy:A) printf '%s||%s' 'call {B}; wait ended 1 10' 'ended call=1 code=486' ;;
	busy:B) printf '%s' 'wait incoming 1 10; reject 1 486; wait ended 1 5' ;;
	noanswer:A)
		printf '%s||%s' 'call {B}; wait ringing 1 10; sleep 800; hangup 1; wait ended 1 5' \
			'ended call=1 code=487'
		;;
	noanswer:B) printf '%s' 'wait incoming 1 10; wait ended 1 10' ;;
	dnd:A) printf '%s||%s' 'call {B}; wait ended 1 10' 'ended call=1 code=480' ;;
	dnd:B) printf '%s|%s' 'serve 2' 'account.1.dnd.enable=1' ;;
	hold:A | hold2543:A)
		printf '%s' 'call {B}; wait established 1 10; sleep 200; hold 1; wait hold-ok 1 5; sleep 200; resume 1; wait resume-ok 1 5; sleep 100; hangup 1; wait ended 1 5'
		if [[ $1 == hold2543 ]]; then printf '|%s' 'sip.rfc2543_hold=1'; fi
		;;
	hold:B | hold2543:B) printf '%s' "$est; wait held 1 10; wait resumed 1 10; wait ended 1 10" ;;
	callwaiting:A) printf '%s' 'call {B}; wait established 1 10; wait held 1 10; sleep 300; hangup 1; wait ended 1 5' ;;
	callwaiting:B)
		printf '%s|%s' "$est; wait incoming 2 10; hold 1; wait hold-ok 1 5; answer 2; wait established 2 5; wait ended 1 10; wait ended 2 10" \
			'call_waiting.enable=1'
		;;
	callwaiting:C) printf '%s' 'sleep 600; call {B}; wait established 1 10; sleep 300; hangup 1; wait ended 1 5' ;;
	blind:A) printf '%s' 'call {B}; wait established 1 10; wait transfer-req 1 10; wait established 2 10; wait ended 1 10; sleep 300; hangup 2; wait ended 2 5' ;;
	blind:B) printf '%s' "$est; sleep 200; transfer 1 {C}; wait transferred 1 10; wait ended 1 5" ;;
	blind:C | threeway:C | fwd_always:C | fwd_busy:C | fwd_noanswer:C) printf '%s' "$est; wait ended 1 10" ;;
	attended:A) printf '%s' 'call {B}; wait established 1 10; sleep 200; hold 1; wait hold-ok 1 5; call {C}; wait established 2 10; transfer 1 2; wait transferred 1 10; wait ended 1 5; wait ended 2 10' ;;
	attended:B) printf '%s' "$est; wait held 1 10; wait transfer-req 1 10; wait established 2 10; wait ended 1 10; sleep 300; hangup 2; wait ended 2 5" ;;
	attended:C) printf '%s' "$est; wait incoming 2 10; wait ended 1 10; wait ended 2 10" ;;
	fwd_always:A | fwd_noanswer:A) printf '%s' 'call {B}; wait established 1 15; sleep 300; hangup 1; wait ended 1 5' ;;
	fwd_busy:A) printf '%s' 'sleep 500; call {B}; wait established 1 15; sleep 300; hangup 1; wait ended 1 5' ;;
	fwd_always:B) printf '%s|%s' 'serve 2' 'account.1.always_fwd.enable=1 account.1.always_fwd.target={C}' ;;
	fwd_busy:B)
		printf '%s|%s' "$est; wait ended 1 10" \
			'call_waiting.enable=0 account.1.busy_fwd.enable=1 account.1.busy_fwd.target={C}'
		;;
	fwd_noanswer:B)
		printf '%s|%s' 'wait incoming 1 10; wait ended 1 15' \
			'account.1.timeout_fwd.enable=1 account.1.timeout_fwd.target={C} account.1.timeout_fwd.timeout=1 phonecore.sip.ring_ms=1000'
		;;
	threeway:A) printf '%s' 'call {B}; wait established 1 10; sleep 200; hold 1; wait hold-ok 1 5; call {C}; wait established 2 10; resume 1; wait resume-ok 1 5; sleep 500; hangup 1; hangup 2; wait ended 1 5; wait ended 2 5' ;;
	threeway:B) printf '%s' "$est; wait held 1 10; wait resumed 1 10; wait ended 1 10" ;;
	*) return 1 ;;
	esac
}

# pc_flow_users TEXT: TEXT with {A} {B} {C} {D} replaced by the current run's users.
pc_flow_users() {
	local t=$1 p
	for p in A B C D; do
		t=${t//\{$p\}/$(pc_flow_user "$p")}
	done
	echo "$t"
}

# pc_flow_pc_start FLOW ROLE: writes the config, starts phonecore as party ROLE, waits until it
# has registered.
pc_flow_pc_start() {
	local flow=$1 role=$2 spec steps sets dir cfg port rtp user i s
	spec=$(pc_flow_pc_script "$flow" "$role") || pc_it_fail "no phonecore script for $flow:$role"
	IFS='|' read -r steps sets PC_FLOW_EXPECT <<<"$spec"
	steps=$(pc_flow_users "register; $steps")
	sets=$(pc_flow_users "$sets")
	user=$(pc_flow_user "$role")
	dir="$PC_IT_TMP/$flow.$PC_FLOW_RUN.$role.phonecore"
	mkdir -p "$dir"
	cfg="$dir/phone.cfg"
	port=$(pc_it_port)
	rtp=$(pc_it_port)
	cat >"$cfg" <<-EOF
		#!version:1.0.0.1
		# $flow, phonecore as $role (written by flows_test.sh)
		account.1.enable = 1
		account.1.label = $user
		account.1.display_name = $user
		account.1.user_name = $user
		account.1.auth_name = $user
		account.1.password = $PC_IT_PASSWORD
		account.1.sip_server_host = 127.0.0.1
		account.1.sip_server_port = $PC_IT_KPORT
		account.1.sip_listen_port = $port
		account.1.transport = 0
		account.1.expires = 600
		account.1.auto_answer = 0
		network.port.min_rtpport = $rtp
		network.port.max_rtpport = $((rtp + 20))
		phonecore.sip.listen_ip = 127.0.0.1
	EOF
	local args=(sip ua --config "$cfg")
	for s in $sets; do
		args+=(--set "$s")
	done
	args+=(-e "$steps")
	printf '%q ' "$PHONECORE" "${args[@]}" >"$dir/command"
	(cd "$dir" && exec setsid timeout 60 "$PHONECORE" "${args[@]}" >stdout.log 2>stderr.log) &
	PC_FLOW_PC_PID=$!
	PC_IT_PIDS+=($!)
	PC_FLOW_PC_DIR=$dir
	for i in $(seq 1 100); do
		grep -q '^registered' "$dir/stdout.log" 2>/dev/null && return 0
		kill -0 "$PC_FLOW_PC_PID" 2>/dev/null || break
		sleep 0.05
	done
	PC_FLOW_WHY+="phonecore did not register: $(tail -3 "$dir/stderr.log" | tr '\n' ' '); "
	return 1
}

# pc_flow_pc_check: waits for phonecore; appends why it failed to PC_FLOW_WHY.
pc_flow_pc_check() {
	local rc=0
	wait "$PC_FLOW_PC_PID" || rc=$?
	if ((rc != 0)); then
		PC_FLOW_WHY+="phonecore: exit status $rc: $(tail -2 "$PC_FLOW_PC_DIR/stderr.log" | tr '\n' ' '); "
		return 1
	fi
	if [[ -n $PC_FLOW_EXPECT ]] && ! grep -q "^$PC_FLOW_EXPECT" "$PC_FLOW_PC_DIR/stdout.log"; then
		PC_FLOW_WHY+="phonecore: no '$PC_FLOW_EXPECT' line in its output; "
		return 1
	fi
}

pc_it_kamailio
pairs=("$@")
if ((${#pairs[@]} == 0)); then
	for flow in "${PC_FLOWS[@]}"; do
		for role in $(pc_flow_roles "$flow"); do
			pairs+=("$flow:$role")
		done
	done
fi

if ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP the lossy flows: python3 (for lossy_relay.py) not installed"
	for i in "${!pairs[@]}"; do
		[[ ${pairs[$i]} == lossy_* ]] && unset "pairs[$i]"
	done
fi
failed=()
t0=$(pc_flow_ms)
for pair in "${pairs[@]}"; do
	flow=${pair%%:*}
	roles=${pair#*:}
	[[ $roles == "$pair" ]] && roles=$(pc_flow_roles "$flow")
	for role in $roles; do
		PC_FLOW_RUN=$((PC_FLOW_RUN + 1))
		declare -A PC_FLOW_PIDS=() PC_FLOW_DIRS=()
		PC_FLOW_WHY=
		parties=$(pc_flow_parties "$flow") || pc_it_fail "unknown flow $flow"
		t1=$(pc_flow_ms)
		pc_flow_relay_start "$flow"
		order=()
		while read -r p kind reg args; do
			[[ $reg == reg && $p != "$role" ]] || continue
			# shellcheck disable=SC2086
			pc_flow_party_start "$flow" "$p" "$kind" "$reg" $args
			order+=("$p")
		done <<<"$parties"
		if pc_flow_pc_start "$flow" "$role"; then
			while read -r p kind reg args; do
				[[ $reg != reg && $p != "$role" ]] || continue
				# shellcheck disable=SC2086
				pc_flow_party_start "$flow" "$p" "$kind" "$reg" $args
				order+=("$p")
			done <<<"$parties"
		else
			# no point in letting the SIPp parties wait for their timeout
			for p in "${order[@]}"; do
				kill -TERM -- "-${PC_FLOW_PIDS[$p]}" 2>/dev/null || true
			done
		fi
		for p in "${order[@]}"; do
			pc_flow_sipp_check "$p" || true
		done
		pc_flow_pc_check || true
		pc_flow_relay_check "$flow" || true
		dt=$(($(pc_flow_ms) - t1))
		if [[ -n $PC_FLOW_WHY ]]; then
			echo "FAIL $flow phonecore=$role (SIPp: ${order[*]}) ${dt} ms: $PC_FLOW_WHY"
			failed+=("$flow:$role")
		else
			echo "ok   $flow phonecore=$role (SIPp: ${order[*]}) ${dt} ms"
		fi
		unset PC_FLOW_PIDS PC_FLOW_DIRS
	done
done
echo "total $(($(pc_flow_ms) - t0)) ms, ${#failed[@]} failed"
if ((${#failed[@]})); then
	pc_it_fail "flows failed: ${failed[*]} (logs in $PC_IT_TMP)"
fi
