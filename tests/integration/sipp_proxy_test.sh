#!/usr/bin/env bash
# sipp_proxy_test.sh - the integration rig itself: Kamailio from kamailio.cfg challenges a
# REGISTER (SIPp answers the digest), then routes a call from one SIPp to the registered one
# through its record-routing proxy. If this fails, every phonecore flow test would too.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
pc_it_kamailio

uas_port=$(pc_it_port)
pc_it_sipp_bg uas -sn uas -p "$uas_port" -m 1
uas=$PC_IT_LAST_PID
pc_it_sipp register -sf "$PC_IT_DIR/sipp/register_auth.xml" -s bob -au bob \
	-ap "$PC_IT_PASSWORD" -set contact "127.0.0.1:$uas_port" -m 1 "127.0.0.1:$PC_IT_KPORT" ||
	pc_it_fail "REGISTER with digest failed: $(tail -5 "$PC_IT_TMP/register/stdout.log")"
grep -q "WWW-Authenticate: Digest" "$PC_IT_TMP"/register/*_messages.log ||
	pc_it_fail "the proxy did not challenge the REGISTER"

pc_it_sipp call -sn uac -s bob -m 1 "127.0.0.1:$PC_IT_KPORT" ||
	pc_it_fail "call through the proxy failed: $(tail -5 "$PC_IT_TMP/call/stdout.log")"
grep -q "^Record-Route: <sip:127.0.0.1:$PC_IT_KPORT;lr" "$PC_IT_TMP"/uas/*_messages.log ||
	pc_it_fail "the proxy did not record-route"
wait "$uas" || pc_it_fail "the SIPp UAS did not complete its call"
echo "ok: digest REGISTER and a call through Kamailio on port $PC_IT_KPORT"
