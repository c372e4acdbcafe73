#!/usr/bin/env bash
# tls_call_test.sh - a call over SIP/TLS between two phonecore user agents: Bob listens on TLS
# with a certificate made for this run (openssl, EC P-256, CN and subjectAltName 127.0.0.1),
# Alice calls him over TLS verifying that certificate (phonecore.sip.tls_ca); then the same
# with a CA that did not sign it must fail the handshake: the call ends at once with 503.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
PHONECORE=${PHONECORE:-$PC_IT_DIR/../../build/phonecore}
[[ -x $PHONECORE ]] || pc_it_skip "no phonecore binary at $PHONECORE (set PHONECORE)"
pc_it_need openssl

cert() { # NAME: NAME.crt and NAME.key in $PC_IT_TMP
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
		-subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
		-keyout "$PC_IT_TMP/$1.key" -out "$PC_IT_TMP/$1.crt" 2>/dev/null
}
cert bob
cert other

bob_port=$(pc_it_port)
bob_tls=$(pc_it_port)
cat >"$PC_IT_TMP/bob.cfg" <<CFG
#!version:1.0.0.1
account.1.enable = 1
account.1.user_name = bob
account.1.sip_listen_port = $bob_port
phonecore.sip.tls_cert = $PC_IT_TMP/bob.crt
phonecore.sip.tls_key = $PC_IT_TMP/bob.key
phonecore.sip.tls_port = $bob_tls
CFG
alice() { # CA-NAME: Alice's configuration trusting that certificate
	cat >"$PC_IT_TMP/alice.cfg" <<CFG
#!version:1.0.0.1
account.1.enable = 1
account.1.user_name = alice
account.1.sip_server_host = 127.0.0.1
account.1.sip_server_port = $bob_tls
account.1.transport = 2
account.1.sip_listen_port = $(pc_it_port)
phonecore.sip.tls_ca = $PC_IT_TMP/$1.crt
CFG
}

# 1. verified: the call is set up and torn down over TLS
alice bob
"$PHONECORE" sip ua --config "$PC_IT_TMP/bob.cfg" \
	-e 'wait incoming 1 10; answer 1; wait ended 1 10' >"$PC_IT_TMP/bob.out" 2>&1 &
bob=$!
PC_IT_PIDS+=($bob)
sleep 0.3
"$PHONECORE" sip ua --config "$PC_IT_TMP/alice.cfg" --trace \
	-e 'call bob; wait established 1 10; sleep 200; hangup 1; wait ended 1 5' \
	>"$PC_IT_TMP/alice.out" 2>&1 || pc_it_fail "the TLS call failed: $(cat "$PC_IT_TMP/alice.out")"
wait "$bob" || pc_it_fail "bob: $(cat "$PC_IT_TMP/bob.out")"
grep -q "^sip -> TLS .* INVITE " "$PC_IT_TMP/alice.out" || pc_it_fail "the INVITE did not go over TLS"
grep -q "^sip <- TLS .* 200 OK" "$PC_IT_TMP/alice.out" || pc_it_fail "no 200 over TLS"
grep -q "^established call=1" "$PC_IT_TMP/bob.out" || pc_it_fail "bob: $(cat "$PC_IT_TMP/bob.out")"
echo "ok: a call over TLS with the server's certificate verified"

# 2. a certificate Alice's CA did not sign: the handshake fails, no call
alice other
"$PHONECORE" sip ua --config "$PC_IT_TMP/bob.cfg" -e 'serve 3' >"$PC_IT_TMP/bob2.out" 2>&1 &
PC_IT_PIDS+=($!)
sleep 0.3
"$PHONECORE" sip ua --config "$PC_IT_TMP/alice.cfg" -e 'call bob; wait ended 1 3' \
	>"$PC_IT_TMP/alice2.out" 2>&1 || pc_it_fail "the call did not end at once: $(cat "$PC_IT_TMP/alice2.out")"
grep -q "^ended call=1 code=503" "$PC_IT_TMP/alice2.out" ||
	pc_it_fail "expected a 503 (transport failure): $(cat "$PC_IT_TMP/alice2.out")"
grep -q "established" "$PC_IT_TMP/alice2.out" && pc_it_fail "established despite the failed check"
grep -q "incoming" "$PC_IT_TMP/bob2.out" && pc_it_fail "bob saw the INVITE despite the failed check"
echo "ok: an untrusted certificate ends the call at once (503)"
