#!/usr/bin/env bash
# cli_test.sh PHONECORE - the command line: --version, --help for each command, and clear
# errors (exit 2, one line naming the fault) for unknown commands and options.
set -uo pipefail
bin=$1
fail=0

expect() { # exit-status pattern-in-output -- command...
	local want=$1 pat=$2 out rc
	shift 3
	out=$("$@" 2>&1)
	rc=$?
	if [[ $rc -ne $want ]]; then
		echo "FAIL: '$*' exited $rc, expected $want: $out"
		fail=1
	elif ! grep -qE -- "$pat" <<<"$out"; then
		echo "FAIL: '$*' printed no match for /$pat/: $out"
		fail=1
	fi
}

expect 0 '^phonecore [0-9]+\.[0-9]+\.[0-9]+ ' -- "$bin" --version
expect 0 'commands:' -- "$bin" --help
expect 0 'usage: phonecore bench' -- "$bin" bench --help
expect 0 'usage: phonecore bench' -- "$bin" help bench
expect 0 '^ring ' -- "$bin" bench list
expect 2 "unknown command 'frobnicate'" -- "$bin" frobnicate
expect 2 "unknown option '--frob'" -- "$bin" --frob
expect 2 "unknown option '--frob'" -- "$bin" bench --frob ring
expect 2 "option '--json' needs a value" -- "$bin" bench ring --json
expect 2 "unknown benchmark 'nosuch'" -- "$bin" bench nosuch
expect 2 "--cpus wants A,B" -- "$bin" bench --cpus 1 ring
expect 2 "name one benchmark" -- "$bin" bench
# --isolate refuses a CPU it cannot take (before moving anything), and is checked after the name.
expect 1 "--isolate: cannot isolate CPU 4000" -- "$bin" bench --isolate --cpus 0,4000 ring
expect 2 "unknown benchmark 'nosuch'" -- "$bin" bench --isolate nosuch
expect 2 "usage: phonecore" -- "$bin"

# config: small files in a temporary directory.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '#!version:1.0.0.1\naccount.1.enable = 1\naccount.1.ptime = 30\n' >"$tmp/common.cfg"
printf '\xef\xbb\xbf#!version:1.0.0.1\r\naccount.1.ptime = 40 # mine\r\nlang.gui = English\r\n' \
	>"$tmp/phone.cfg"
printf '#!version:1.0.0.1\n\naccount.1.transport = 7\n' >"$tmp/range.cfg"
printf '#!version:1.0.0.1\naccount.1.label\n' >"$tmp/syntax.cfg"
printf 'account.1.enable = 1\n' >"$tmp/nohdr.cfg"
expect 0 'usage: phonecore config' -- "$bin" config --help
expect 0 'usage: phonecore config' -- "$bin" help config
expect 0 "common\.cfg: ok" -- "$bin" config check "$tmp/common.cfg" "$tmp/phone.cfg"
expect 0 "phone\.cfg:3: warning: unknown key 'lang\.gui'" -- "$bin" config check "$tmp/phone.cfg"
expect 1 "range\.cfg:3: account\.1\.transport = '7': out of range, expected an integer in 0\.\.3" \
	-- "$bin" config check "$tmp/range.cfg"
expect 1 "syntax\.cfg:2: missing '='" -- "$bin" config check "$tmp/common.cfg" "$tmp/syntax.cfg"
expect 1 "nohdr\.cfg:1: the first line must be '#!version:1\.0\.0\.1'" \
	-- "$bin" config check "$tmp/nohdr.cfg"
expect 1 "none\.cfg: cannot open" -- "$bin" config check "$tmp/none.cfg"
expect 0 '^account\.1\.ptime = 40 +# .*/phone\.cfg:2$' \
	-- "$bin" config show "$tmp/common.cfg" "$tmp/phone.cfg"
expect 0 '^account\.1\.enable = 1 +# .*/common\.cfg:2$' \
	-- "$bin" config show "$tmp/common.cfg" "$tmp/phone.cfg"
expect 0 '^phonecore\.media\.io = uring +# default$' -- "$bin" config show
expect 0 '^account\.1\.ptime = 10 +# command line$' \
	-- "$bin" config show "$tmp/common.cfg" --set account.1.ptime=10
expect 0 '^lang\.gui = English +# .*/phone\.cfg:3 \(unknown key\)$' \
	-- "$bin" config show --changed "$tmp/phone.cfg"
expect 1 "range\.cfg:3: account\.1\.transport" -- "$bin" config show "$tmp/range.cfg"
expect 2 "command line: phonecore\.media\.burst = '0': out of range" \
	-- "$bin" config show --set phonecore.media.burst=0
expect 2 "--set wants KEY=VALUE" -- "$bin" config show --set account.1.ptime
expect 2 "option '--set' needs a value" -- "$bin" config show --set
expect 2 "unknown option '--frob'" -- "$bin" config show --frob
expect 2 "unknown option '--frob'" -- "$bin" config --frob
expect 2 "unknown subcommand 'frob'" -- "$bin" config frob
expect 2 "name a subcommand" -- "$bin" config
expect 2 "name one or more files" -- "$bin" config check
expect 2 "--set is for 'show'" -- "$bin" config check --set a=b "$tmp/common.cfg"

# relay (run for real in tests/phone/relay_cmd_test.c) and bench --io.
expect 0 'usage: phonecore relay' -- "$bin" relay --help
expect 0 'relay RTP between pairs' -- "$bin" --help
expect 2 "--io wants backends from sockets,uring,dpdk, not 'frob'" -- "$bin" bench --io frob relay
expect 2 "--io wants backends" -- "$bin" bench --io sockets,,x relay

# sip check: one datagram per file, written to the temporary directory.
sip_hdrs='Via: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nCall-ID: c1\r\n'
printf "OPTIONS sip:b@x SIP/2.0\r\n${sip_hdrs}CSeq: 1 OPTIONS\r\n\r\n" >"$tmp/ok.sip"
printf "OPTIONS sip:b@x SIP/2.0\r\n${sip_hdrs}CSeq: 1 INVITE\r\n\r\n" >"$tmp/mismatch.sip"
expect 0 'usage: phonecore sip check' -- "$bin" sip --help
expect 0 "ok\.sip: ok$" -- "$bin" sip check "$tmp/ok.sip"
expect 1 "mismatch\.sip: error: CSeq method INVITE does not match request method OPTIONS" \
	-- "$bin" sip check "$tmp/ok.sip" "$tmp/mismatch.sip"
expect 1 "none\.sip: error: cannot read" -- "$bin" sip check "$tmp/none.sip"
expect 2 "unknown option '--frob'" -- "$bin" sip check --frob "$tmp/ok.sip"
expect 2 "name one or more files" -- "$bin" sip check
# sip check --uas: the verdict of a UAS after the parse.
printf "FOO sip:b@x SIP/2.0\r\n${sip_hdrs}CSeq: 1 FOO\r\n\r\n" >"$tmp/foo.sip"
expect 0 "ok\.sip: ok process$" -- "$bin" sip check --uas "$tmp/ok.sip" "$tmp/foo.sip"
expect 0 "foo\.sip: ok 501$" -- "$bin" sip check "$tmp/ok.sip" --uas "$tmp/foo.sip"
expect 1 "mismatch\.sip: error 400: CSeq method INVITE does not match" \
	-- "$bin" sip check --uas "$tmp/mismatch.sip"

[[ $fail -eq 0 ]] && echo "cli: all checks passed"
exit $fail
