# tests/integration/lib.sh - what the integration tests share (sourced, bash): a scratch folder,
# free loopback ports, Kamailio started with tests/integration/kamailio.cfg, SIPp runs, and
# cleanup of everything they started when the test exits.
# A test that cannot run here (Kamailio or SIPp missing) prints "SKIP: <why>" and exits 77,
# which CTest reports as skipped (SKIP_RETURN_CODE 77).

PC_IT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PC_IT_PASSWORD=${PC_IT_PASSWORD:-pc-secret-42}
PC_IT_REALM=phonecore.test
PC_IT_TMP=$(mktemp -d /tmp/pc-it.XXXXXX)
PC_IT_PIDS=()

pc_it_cleanup() {
	local p
	for p in "${PC_IT_PIDS[@]}"; do
		kill -TERM -- "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null || true
	done
	sleep 0.2
	for p in "${PC_IT_PIDS[@]}"; do
		kill -KILL -- "-$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null || true
	done
	if [[ ${PC_IT_KEEP:-0} == 1 || ${PC_IT_FAILED:-0} == 1 ]]; then
		echo "logs kept in $PC_IT_TMP" >&2
	else
		rm -rf "$PC_IT_TMP"
	fi
}
trap pc_it_cleanup EXIT

pc_it_skip() {
	echo "SKIP: $*"
	exit 77
}

pc_it_fail() {
	PC_IT_FAILED=1
	echo "FAIL: $*" >&2
	exit 1
}

pc_it_need() { # what: skips unless every named command is on PATH
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || pc_it_skip "$c not installed (scripts/bootstrap installs it)"
	done
}

# pc_it_port: a loopback UDP+TCP port nobody listens on (printed).
pc_it_port() {
	local port i
	for i in $(seq 1 200); do
		port=$((20000 + RANDOM % 40000))
		if ! ss -Hlun "sport = :$port" | grep -q . && ! ss -Hltn "sport = :$port" | grep -q .; then
			echo "$port"
			return 0
		fi
	done
	return 1
}

# pc_it_kamailio: starts Kamailio on 127.0.0.1:$PC_IT_KPORT (UDP and TCP) in its own process
# group, waits until it answers OPTIONS, logs to $PC_IT_TMP/kamailio.log.
pc_it_kamailio() {
	pc_it_need kamailio sipp
	PC_IT_KPORT=$(pc_it_port)
	mkdir -p "$PC_IT_TMP/kamailio"
	setsid kamailio -DD -E -f "$PC_IT_DIR/kamailio.cfg" -Y "$PC_IT_TMP/kamailio" \
		-w "$PC_IT_TMP/kamailio" -m 64 -M 8 \
		-A PC_PORT="$PC_IT_KPORT" -A PC_PASSWORD="\"$PC_IT_PASSWORD\"" \
		-A PC_REALM="\"$PC_IT_REALM\"" -A PC_AUTH_ALG="\"${PC_IT_AUTH_ALG:-MD5}\"" \
		>"$PC_IT_TMP/kamailio.log" 2>&1 &
	PC_IT_PIDS+=($!)
	local i
	for i in $(seq 1 50); do
		if ss -Hlun "sport = :$PC_IT_KPORT" | grep -q .; then
			return 0
		fi
		sleep 0.1
	done
	cat "$PC_IT_TMP/kamailio.log" >&2
	pc_it_fail "kamailio did not start on port $PC_IT_KPORT"
}

# pc_it_sipp NAME ARGS...: runs SIPp in the foreground against the proxy with its trace files in
# $PC_IT_TMP/NAME; returns SIPp's status (0: every call succeeded).
pc_it_sipp() {
	local name=$1
	shift
	mkdir -p "$PC_IT_TMP/$name"
	[[ " $* " == *" -p "* ]] || set -- -p "$(pc_it_port)" "$@"
	(cd "$PC_IT_TMP/$name" && sipp -nostdin -i 127.0.0.1 -trace_err -trace_msg \
		-timeout 30s -timeout_error "$@" >stdout.log 2>&1)
}

# pc_it_sipp_bg NAME ARGS...: the same in the background (its pid appended to PC_IT_PIDS and
# printed in $PC_IT_LAST_PID).
pc_it_sipp_bg() {
	local name=$1
	shift
	mkdir -p "$PC_IT_TMP/$name"
	[[ " $* " == *" -p "* ]] || set -- -p "$(pc_it_port)" "$@"
	(cd "$PC_IT_TMP/$name" && exec setsid sipp -nostdin -i 127.0.0.1 -trace_err -trace_msg \
		"$@" >stdout.log 2>&1) &
	PC_IT_LAST_PID=$!
	PC_IT_PIDS+=($!)
}
