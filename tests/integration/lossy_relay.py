#!/usr/bin/env python3
"""lossy_relay.py - a UDP relay in front of Kamailio that loses chosen SIP messages, for the
"INVITE retransmission over a lossy path" flows (tests/integration/flows.sh).

Datagrams from anyone but the upstream go to 127.0.0.1:<upstream>; datagrams from the upstream go
back to the last sender seen. The first --count datagrams (either direction) that match --drop (a
Python regular expression searched in the message, MULTILINE) are dropped; every datagram is
logged to --log as "<verdict> <direction> <first line>", verdict pass, drop or pass-after-drop
(a matching datagram passed after one was dropped: the retransmission came).
Deterministic, unlike SIPp's -lost, which loses at random."""
import argparse
import re
import select
import socket
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", type=int, required=True)
    ap.add_argument("--upstream", type=int, required=True)
    ap.add_argument("--drop", required=True)
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--log", required=True)
    args = ap.parse_args()

    rule = re.compile(args.drop.encode(), re.MULTILINE)
    up = ("127.0.0.1", args.upstream)
    front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    front.bind(("127.0.0.1", args.listen))
    log = open(args.log, "w", buffering=1)
    log.write("listening %d upstream %d drop %r x%d\n" % (args.listen, args.upstream, args.drop, args.count))
    client = None
    dropped = 0
    while True:
        r, _, _ = select.select([front], [], [], 1.0)
        if not r:
            continue
        data, src = front.recvfrom(65535)
        if src == up:
            direction, dst = "up->client", client
        else:
            client = src
            direction, dst = "client->up", up
        first = data.split(b"\r\n", 1)[0].decode("latin-1")
        verdict = "pass"
        if rule.search(data.replace(b"\r\n", b"\n")):
            if dropped < args.count:
                dropped += 1
                verdict = "drop"
            else:
                verdict = "pass-after-drop"
        log.write("%s %s %s\n" % (verdict, direction, first))
        if verdict != "drop" and dst is not None:
            front.sendto(data, dst)


if __name__ == "__main__":
    sys.exit(main())
