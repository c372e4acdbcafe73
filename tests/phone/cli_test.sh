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
expect 2 "usage: phonecore" -- "$bin"

[[ $fail -eq 0 ]] && echo "cli: all checks passed"
exit $fail
