#!/usr/bin/env bash
# register_test.sh - phonecore registers through Kamailio with digest authentication, MD5 and
# then SHA-256 (RFC 8760), over UDP and over TCP: Kamailio checks the response, so a
# "registered" line means phonecore computed the right digest with the right algorithm.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
PHONECORE=${PHONECORE:-$PC_IT_DIR/../../build/phonecore}
[[ -x $PHONECORE ]] || pc_it_skip "no phonecore binary at $PHONECORE (set PHONECORE)"

run() { # ALG TRANSPORT(0 udp, 1 tcp) USER
	local alg=$1 tp=$2 user=$3 out
	PC_IT_AUTH_ALG=$alg pc_it_kamailio
	cat >"$PC_IT_TMP/$user.cfg" <<CFG
#!version:1.0.0.1
account.1.enable = 1
account.1.user_name = $user
account.1.password = $PC_IT_PASSWORD
account.1.sip_server_host = 127.0.0.1
account.1.sip_server_port = $PC_IT_KPORT
account.1.sip_listen_port = $(pc_it_port)
account.1.transport = $tp
CFG
	out=$("$PHONECORE" sip ua --config "$PC_IT_TMP/$user.cfg" --trace -e 'register' 2>&1) ||
		pc_it_fail "$alg/$tp: register failed: $out"
	grep -q "^registered account=1 code=200" <<<"$out" || pc_it_fail "$alg/$tp: $out"
	grep -q "<- .* 401 Unauthorized" <<<"$out" || pc_it_fail "$alg/$tp: no challenge seen: $out"
	grep -q "^sip -> $([[ $tp == 1 ]] && echo TCP || echo UDP) " <<<"$out" ||
		pc_it_fail "$alg/$tp: not sent over the configured transport: $out"
	kill -TERM -- "-${PC_IT_PIDS[-1]}" 2>/dev/null || true
	echo "ok: $alg over $([[ $tp == 1 ]] && echo TCP || echo UDP)"
}

run MD5 0 md5u
run SHA-256 0 sha256u
run MD5 1 md5t
run SHA-256 1 sha256t
