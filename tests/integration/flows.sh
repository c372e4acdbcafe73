# shellcheck shell=bash
# tests/integration/flows.sh - the VP530 call flows (/work/shared/VP530.md) as sets of parties,
# shared by flows_sipp_ref_test.sh (every party is SIPp) and flows_test.sh (phonecore plays one
# party, SIPp the others). Sourced after lib.sh, with Kamailio already started.
#
# Every party of a flow has its own scenario, sipp/<flow>.<P>.xml (P = A, B, C, D as in VP530.md;
# <flow>.<P>.in.xml is the scenario a client-mode party runs for the requests that open dialogs
# towards it, SIPp's -oocsf). A scenario checks what the other parties must send, message sequence
# and SDP direction, so sipp/<flow>.<R>.xml is at the same time the reference of what phonecore must
# send when it plays R: the reference run plays every party with SIPp, the phonecore run replaces
# party R by `phonecore sip ua`.
#
# Users: each run registers fresh users (a<run>, b<run>, ...) so that no binding from an earlier
# run is still in Kamailio's location table. Scenarios get them as the global variables a, b, c,
# d (and relay, the lossy relay's port), set with -set for the variables a scenario declares.

PC_FLOW_RUN=0

# Every flow, in the order the runners play them.
# shellcheck disable=SC2034 # used by the runners
PC_FLOWS=(register basic_a_bye basic_b_bye busy noanswer dnd hold hold2543 callwaiting blind
	attended fwd_always fwd_busy fwd_noanswer threeway lossy_invite lossy_ok)

# pc_flow_parties FLOW: one line per party, "P KIND REG SIPP-ARGS...": KIND uas (SIPp server
# mode) or uac (client mode); REG reg when the party registers (with register_auth.xml: it receives
# calls), - when it does not. The parties that register start first (and register), then
# phonecore if it plays, then the others in the order of their lines.
pc_flow_parties() {
	case $1 in
	register) echo "A uac - -m 1" ;;
	basic_a_bye | basic_b_bye | busy | noanswer | dnd | hold | hold2543)
		echo "B uas reg -m 1"
		echo "A uac - -m 1"
		;;
	callwaiting)
		echo "B uas reg -m 2"
		echo "A uac - -m 1"
		echo "C uac - -m 1"
		;;
	blind | threeway)
		echo "B uas reg -m 1"
		echo "C uas reg -m 1"
		echo "A uac - -m 2 -l 2 -r 10"
		;;
	attended)
		echo "C uas reg -m 2"
		echo "B uac reg -m 1 -oocsf @in"
		echo "A uac - -m 2 -l 2 -r 10"
		;;
	fwd_always | fwd_noanswer)
		echo "B uas reg -m 1"
		echo "C uas reg -m 1"
		echo "A uac - -m 1"
		;;
	fwd_busy)
		echo "B uas reg -m 2"
		echo "C uas reg -m 1"
		echo "D uac - -m 1"
		echo "A uac - -m 1"
		;;
	lossy_invite)
		echo "B uas reg -m 1"
		echo "A uac - -m 1 @relay"
		;;
	lossy_ok)
		echo "B uas reg -m 1"
		echo "A uac - -m 1 @relay"
		;;
	*) return 1 ;;
	esac
}

# pc_flow_relay_rule FLOW: the message the lossy relay drops once (a Python regex), none if the
# flow has no relay.
pc_flow_relay_rule() {
	case $1 in
	lossy_invite) echo '^INVITE ' ;;
	lossy_ok) printf '%s\n' '^SIP/2.0 200 (?s:.*)\nCSeq: *\d+ INVITE' ;;
	*) return 1 ;;
	esac
}

# pc_flow_scenario FLOW P: the scenario party P plays (register's A is the rig's own).
pc_flow_scenario() {
	if [[ $1 == register ]]; then
		echo "$PC_IT_DIR/sipp/register_auth.xml"
	else
		echo "$PC_IT_DIR/sipp/$1.$2.xml"
	fi
}

# pc_flow_user P: the user name party P has in the current run.
pc_flow_user() {
	echo "${1,,}$PC_FLOW_RUN"
}

# pc_flow_sipp_vars FILE: the -set options for the global variables FILE declares.
pc_flow_sipp_vars() {
	local decl v
	decl=$(sed -n 's/.*<Global variables="\([^"]*\)".*/\1/p' "$1" | tr ',' ' ')
	for v in $decl; do
		case $v in
		a | b | c | d) printf -- '-set %s %s ' "$v" "$(pc_flow_user "${v^^}")" ;;
		relay) printf -- '-set relay %s ' "$PC_FLOW_RELAY_PORT" ;;
		*) ;; # the scenario's own (flags shared between its calls)
		esac
	done
}

# pc_flow_party_start FLOW P KIND REG ARGS...: starts SIPp as party P of FLOW in the background
# (pid in PC_FLOW_PIDS[P]), registering it first when REG is reg.
pc_flow_party_start() {
	local flow=$1 p=$2 kind=$3 reg=$4
	shift 4
	local sf port name target args=() a
	sf=$(pc_flow_scenario "$flow" "$p")
	port=$(pc_it_port)
	name="$flow.$PC_FLOW_RUN.$p"
	target="127.0.0.1:$PC_IT_KPORT"
	for a in "$@"; do
		case $a in
		@in) args+=("$PC_IT_DIR/sipp/$flow.$p.in.xml") ;;
		@relay) target="127.0.0.1:$PC_FLOW_RELAY_PORT" ;;
		*) args+=("$a") ;;
		esac
	done
	if [[ $flow == register ]]; then
		args+=(-s "$(pc_flow_user "$p")" -au "$(pc_flow_user "$p")" -ap "$PC_IT_PASSWORD"
			-set contact "127.0.0.1:$port")
	fi
	if [[ $reg == reg ]]; then
		pc_it_sipp "$name.reg" -sf "$PC_IT_DIR/sipp/register_auth.xml" -s "$(pc_flow_user "$p")" \
			-au "$(pc_flow_user "$p")" -ap "$PC_IT_PASSWORD" -set contact "127.0.0.1:$port" \
			-m 1 "$target" || pc_it_fail "$flow: party $p could not register"
	fi
	# shellcheck disable=SC2046
	pc_it_sipp_bg "$name" -p "$port" -sf "$sf" $(pc_flow_sipp_vars "$sf") -cid_str "%u-%p-pcit" \
		-timeout "${PC_FLOW_TIMEOUT:-20}s" -timeout_error "${args[@]}" "$target"
	# PC_FLOW_PIDS and PC_FLOW_DIRS: associative arrays (declare -A) of the runner, by party
	# shellcheck disable=SC2004
	PC_FLOW_PIDS[$p]=$PC_IT_LAST_PID
	# shellcheck disable=SC2004
	PC_FLOW_DIRS[$p]="$PC_IT_TMP/$name"
	[[ $kind == uas ]] && sleep 0.05
	return 0
}

# pc_flow_relay_start FLOW: starts the lossy relay in front of Kamailio when FLOW has one.
pc_flow_relay_start() {
	local rule
	PC_FLOW_RELAY_PORT=
	rule=$(pc_flow_relay_rule "$1") || return 0
	pc_it_need python3
	PC_FLOW_RELAY_PORT=$(pc_it_port)
	PC_FLOW_RELAY_LOG="$PC_IT_TMP/$1.$PC_FLOW_RUN.relay.log"
	setsid python3 "$PC_IT_DIR/lossy_relay.py" --listen "$PC_FLOW_RELAY_PORT" \
		--upstream "$PC_IT_KPORT" --drop "$rule" --count 1 --log "$PC_FLOW_RELAY_LOG" &
	PC_IT_PIDS+=($!)
	PC_FLOW_RELAY_PID=$!
	local _
	for _ in $(seq 1 50); do
		[[ -s $PC_FLOW_RELAY_LOG ]] && return 0
		sleep 0.05
	done
	pc_it_fail "$1: the lossy relay did not start"
}

# pc_flow_relay_check FLOW: after the run, the relay must have dropped its message once and then
# passed a retransmission of it. Appends the reason to PC_FLOW_WHY and returns 1 if not.
pc_flow_relay_check() {
	[[ -n $PC_FLOW_RELAY_PORT ]] || return 0
	kill "$PC_FLOW_RELAY_PID" 2>/dev/null || true
	if ! grep -q '^drop ' "$PC_FLOW_RELAY_LOG"; then
		PC_FLOW_WHY+="the relay dropped nothing; "
		return 1
	fi
	if ! grep -q '^pass-after-drop ' "$PC_FLOW_RELAY_LOG"; then
		PC_FLOW_WHY+="no retransmission of the dropped message came through the relay; "
		return 1
	fi
}

# pc_flow_sipp_check P: waits for party P's SIPp; if it failed (a non-zero exit status, or a failed
# check in its error log) appends why to PC_FLOW_WHY and returns 1.
pc_flow_sipp_check() {
	local p=$1 rc=0 dir=${PC_FLOW_DIRS[$1]} pat='Failed regexp match|Regexp matched but should not|Aborting call|unexpected|Unexpected|timed out'
	wait "${PC_FLOW_PIDS[$p]}" || rc=$?
	if ((rc != 0)) || grep -q -E 'Failed regexp match|Regexp matched but should not|Aborting call' "$dir"/*_errors.log 2>/dev/null; then
		PC_FLOW_WHY+="party $p: SIPp status $rc: $(grep -h -m2 -E "$pat" "$dir"/*_errors.log 2>/dev/null | cut -c1-200 | tr '\n' ' '); "
		return 1
	fi
	return 0
}

# pc_flow_ms: milliseconds since the epoch.
pc_flow_ms() {
	echo $(($(date +%s%N) / 1000000))
}
