#!/usr/bin/env python3
"""make_flows.py - writes the VP530 flow scenarios tests/integration/sipp/<flow>.<P>.xml (one per
party P of each flow of ../flows.sh) from a few building blocks, so that every scenario builds its
messages (dialog headers, Route sets, SDP, hold checks) the same way. The XML files are checked in
and readable on their own; edit this file and rerun it to change them:
    python3 tests/integration/sipp/make_flows.py
Conventions: a party's own user is the global [$a]/[$b]/[$c]/[$d] (flows.sh sets them); SDP checks
use <ereg check_it> on the body (assign_to="chk"); flags shared between the calls of one SIPp are
globals polled every 50 ms (wait_flag)."""
import os, sys
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
DOM = "phonecore.test"

HOLD_RE = r"a=(sendonly|recvonly|inactive)|c=IN IP4 0\.0\.0\.0"

def sdp(direction="sendrecv", version=1, conn="[media_ip]"):
    return f"""
      v=0
      o=- 1 {version} IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] {conn}
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000
      a=ptime:20
      a={direction}
"""

def body_hdrs(body):
    if body is None:
        return "      Content-Length: 0\n"
    return "      Content-Type: application/sdp\n      Content-Length: [len]\n" + body

def cdata(s):
    return "    <![CDATA[\n" + s + "\n    ]]>\n"

def send(msg, retrans=True, extra=""):
    r = ' retrans="500"' if retrans else ""
    return f"  <send{r}{extra}>\n" + cdata(msg) + "  </send>\n"

# --- checks (SIPp <action> contents) ---
def chk_sdp_active():
    return ('      <ereg regexp="m=audio" search_in="body" check_it="true" assign_to="chk"/>\n'
            f'      <ereg regexp="{HOLD_RE}" search_in="body" check_it_inverse="true" assign_to="chk"/>\n')

def chk_re(regexp, where="body", inverse=False, header=None):
    kind = "check_it_inverse" if inverse else "check_it"
    h = f' header="{header}"' if header else ""
    return f'      <ereg regexp="{regexp}" search_in="{where}"{h} {kind}="true" assign_to="chk"/>\n'

def recv(what, actions="", optional=False, rrs=False, extra=""):
    attr = f'request="{what}"' if not what[0].isdigit() else f'response="{what}"'
    if optional: attr += ' optional="%s"' % ("global" if optional == "global" else "true")
    if rrs: attr += ' rrs="true"'
    attr += extra
    if actions:
        return f"  <recv {attr}>\n    <action>\n{actions}    </action>\n  </recv>\n"
    return f"  <recv {attr}/>\n"

def pause(ms):
    return f'  <pause milliseconds="{ms}"/>\n'

def via():
    return "      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]\n"

def contact(me):
    return f"      Contact: <sip:[${me}]@[local_ip]:[local_port]>\n"

# --- UAC side of a dialog (this SIPp call sent the INVITE) ---
def uac_invite(me, target, tag, body=None, extra_hdrs="", ruri=None, cseq=1, viahdr=None):
    ruri = ruri or f"sip:[${target}]@{DOM}"
    return send(f"""      INVITE {ruri} SIP/2.0
{viahdr or via()}      Max-Forwards: 70
      From: <sip:[${me}]@{DOM}>;tag=[pid]{tag}[call_number]
      To: <sip:[${target}]@{DOM}>
      Call-ID: [call_id]
      CSeq: {cseq} INVITE
{contact(me)}{extra_hdrs}{body_hdrs(sdp() if body is None else body)}""")

def uac_save_dialog():
    # the peer's To (with its tag) for later requests
    return '      <ereg regexp=".*" search_in="hdr" header="To:" assign_to="peer"/>\n'

def uac_ack(me, tag, cseq=1, viahdr=None):
    return send(f"""      ACK [next_url] SIP/2.0
{viahdr or via()}      [routes]
      Max-Forwards: 70
      From: <sip:[${me}]@{DOM}>;tag=[pid]{tag}[call_number]
      To:[$peer]
      Call-ID: [call_id]
      CSeq: {cseq} ACK
{contact(me)}      Content-Length: 0
""", retrans=False)

def uac_req(me, tag, method, cseq, body=None, extra_hdrs="", retrans=True, ctype=None):
    if body is not None and ctype:
        bh = f"      Content-Type: {ctype}\n      Content-Length: [len]\n" + body
    else:
        bh = body_hdrs(body)
    return send(f"""      {method} [next_url] SIP/2.0
{via()}      [routes]
      Max-Forwards: 70
      From: <sip:[${me}]@{DOM}>;tag=[pid]{tag}[call_number]
      To:[$peer]
      Call-ID: [call_id]
      CSeq: {cseq} {method}
{contact(me)}{extra_hdrs}{bh}""", retrans=retrans)

# --- UAS side of a dialog (this SIPp call received the INVITE) ---
def uas_save_dialog():
    return ('      <ereg regexp=".*" search_in="hdr" header="From:" assign_to="peer"/>\n'
            '      <ereg regexp=".*" search_in="hdr" header="To:" assign_to="self"/>\n')

def uas_req(me, tag, method, cseq, body=None, extra_hdrs="", ctype=None, retrans=True):
    if body is not None and ctype:
        bh = f"      Content-Type: {ctype}\n      Content-Length: [len]\n" + body
    else:
        bh = body_hdrs(body)
    return send(f"""      {method} [next_url] SIP/2.0
{via()}      [routes]
      Max-Forwards: 70
      From:[$self];tag=[pid]{tag}[call_number]
      To:[$peer]
      Call-ID: [call_id]
      CSeq: {cseq} {method}
{contact(me)}{extra_hdrs}{bh}""", retrans=retrans)

def uas_ack(me, tag, cseq):
    return send(f"""      ACK [next_url] SIP/2.0
{via()}      [routes]
      Max-Forwards: 70
      From:[$self];tag=[pid]{tag}[call_number]
      To:[$peer]
      Call-ID: [call_id]
      CSeq: {cseq} ACK
{contact(me)}      Content-Length: 0
""", retrans=False)

def resp_initial(me, tag, code, reason, body=None, retrans=False, extra_hdrs=""):
    """A response to the dialog-creating INVITE (adds our To tag)."""
    b = body_hdrs(body) if body is not None else "      Content-Length: 0\n"
    return send(f"""      SIP/2.0 {code} {reason}
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]{tag}[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      [last_Record-Route:]
{contact(me)}{extra_hdrs}{b}""", retrans=retrans)

def resp_in(me, code="200", reason="OK", body=None, retrans=False, ctype=None):
    """A response to a request inside the dialog (its To already has our tag)."""
    if body is not None and ctype:
        b = f"      Content-Type: {ctype}\n      Content-Length: [len]\n" + body
    else:
        b = body_hdrs(body)
    return send(f"""      SIP/2.0 {code} {reason}
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
{contact(me)}{b}""", retrans=retrans)

def scenario(fname, name, comment, globals_, body):
    g = f'  <Global variables="{",".join(globals_)}"/>\n' if globals_ else ""
    txt = ('<?xml version="1.0" encoding="ISO-8859-1" ?>\n<!DOCTYPE scenario SYSTEM "sipp.dtd">\n'
           f"<!-- {fname}\n" + "\n".join("     " + l if l else "" for l in comment.strip().split("\n")) + " -->\n"
           f'<scenario name="{name}">\n{g}{body}' + ('  <Reference variables="chk"/>\n' if 'assign_to="chk"' in body else '') + '</scenario>\n')
    with open(os.path.join(OUT, fname), "w") as f:
        f.write(txt)

def uac_provisional():
    """100/180/183, each optional. "global": a provisional response that arrives after the 200
    (the proxy's two UDP workers may reorder a 180 and a 200 sent back to back) is accepted
    wherever the scenario is, instead of aborting the call as an unexpected message."""
    return recv("100", optional="global") + recv("180", optional="global") + recv("183", optional="global")

def label(l): return f'  <label id="{l}"/>\n'

def wait_flag(flag, lbl, ms=50):
    """Polls the global FLAG until it is 1 (set by another call of this SIPp)."""
    return (label(lbl) + pause(ms) +
            f'  <nop>\n    <action>\n      <test assign_to="notyet" variable="{flag}" compare="not_equal" value="1"/>\n    </action>\n  </nop>\n'
            f'  <nop next="{lbl}" test="notyet"/>\n')

def set_flag(flag):
    return f'  <nop>\n    <action>\n      <assign assign_to="{flag}" value="1"/>\n    </action>\n  </nop>\n'


# ---------------------------------------------------------------- the flows

def notify(side, me, tag, cseq, frag, state):
    body = f"\n      {frag}\n"
    hdrs = f"      Event: refer\n      Subscription-State: {state}\n"
    f = uas_req if side == "uas" else uac_req
    return f(me, tag, "NOTIFY", cseq, body=body, extra_hdrs=hdrs, ctype="message/sipfrag;version=2.0")

def recv_notify(frag_code, final):
    st = "terminated" if final else "active"
    return recv("NOTIFY", chk_re("Event: *refer", "msg") + chk_re(f"^SIP/2.0 {frag_code}", "body")
                + chk_re(f"Subscription-State: *{st}", "msg")
                + chk_re("Content-Type: *message/sipfrag", "msg"))

def resp_in_sdp(me, direction, version):
    return resp_in(me, body=sdp(direction, version), retrans=True)

def ack_nonsuccess(me, target, tag, cseq=1, ruri=None):
    ruri = ruri or f"sip:[${target}]@{DOM}"
    return send(f"""      ACK {ruri} SIP/2.0
      [last_Via:]
      Max-Forwards: 70
      From: <sip:[${me}]@{DOM}>;tag=[pid]{tag}[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: {cseq} ACK
      Content-Length: 0
""", retrans=False)

def callee_answer(me, tag, ring_ms=100, save=False):
    """INVITE in (active SDP), 180, 200 with SDP until the ACK."""
    return (recv("INVITE", chk_sdp_active() + (uas_save_dialog() if save else ""), rrs=True)
            + resp_initial(me, tag, "180", "Ringing") + pause(ring_ms)
            + resp_initial(me, tag, "200", "OK", body=sdp(), retrans=True) + recv("ACK"))

def caller_setup(me, target, tag, viahdr=None, extra=""):
    return (uac_invite(me, target, tag, viahdr=viahdr) + uac_provisional()
            + recv("200", chk_sdp_active() + uac_save_dialog() + extra, rrs=True)
            + uac_ack(me, tag, viahdr=viahdr))

def bye_in(me):
    return recv("BYE") + resp_in(me)

def held_in(me, version):
    """A hold re-INVITE in (a=sendonly, RFC 3264), answered recvonly."""
    return (recv("INVITE", chk_re("m=audio") + chk_re("a=sendonly") + chk_re(r"c=IN IP4 0\.0\.0\.0", inverse=True))
            + resp_in_sdp(me, "recvonly", version) + recv("ACK"))

def resumed_in(me, version):
    return recv("INVITE", chk_sdp_active()) + resp_in_sdp(me, "sendrecv", version) + recv("ACK")

def hold_out(side, me, tag, cseq, version, rfc2543=False):
    f = uas_req if side == "uas" else uac_req
    ack = uas_ack if side == "uas" else (lambda m, t, c: uac_ack(m, t, c))
    body = sdp("sendonly", version, conn="0.0.0.0") if rfc2543 else sdp("sendonly", version)
    if rfc2543:
        body = body.replace("      a=sendonly\n", "")
        check = chk_re("m=audio")
    else:
        check = chk_re("m=audio") + chk_re("a=recvonly")
    return (f(me, tag, "INVITE", cseq, body=body) + recv("100", optional="global")
            + recv("200", check) + ack(me, tag, cseq))

def resume_out(side, me, tag, cseq, version):
    f = uas_req if side == "uas" else uac_req
    ack = uas_ack if side == "uas" else (lambda m, t, c: uac_ack(m, t, c))
    return (f(me, tag, "INVITE", cseq, body=sdp("sendrecv", version)) + recv("100", optional="global")
            + recv("200", chk_sdp_active()) + ack(me, tag, cseq))

def call_is(n, var):
    """Sets the local VAR when this is the N-th call this SIPp started (global counter ncall)."""
    return (f'  <nop>\n    <action>\n      <add assign_to="ncall" value="1"/>\n'
            f'      <test assign_to="{var}" variable="ncall" compare="equal" value="{n}"/>\n    </action>\n  </nop>\n')

def fail_here(lbl):
    """A label where the call fails (waits for a request that never comes)."""
    return label(lbl) + '  <recv request="NEVER" timeout="100"/>\n'


def final_notify_ok():
    """The transferee's wait for the 200 to its final NOTIFY: the transferor sends that 200 and its
    BYE back to back, and the proxy's two UDP workers may hand A the BYE first; the 200 is then
    optional (a late one finds the call gone and is only logged)."""
    return recv("200", optional=True)

def notify_progress(me):
    """The transferor's side after its REFER: 202, NOTIFY sipfrag 100 (active) and NOTIFY sipfrag
    200 (terminated), each answered 200. The 202 may overtake or follow the first NOTIFY (the
    proxy's two UDP workers can reorder two datagrams sent back to back), so it is accepted on
    either side of it; it must come before the final NOTIFY."""
    got = '      <assign assign_to="got202" value="1"/>\n'
    return (recv("202", got, optional=True) + recv_notify("100", False) + resp_in(me)
            + recv("202", got, optional=True) + recv_notify("200", True) + resp_in(me)
            + '  <nop>\n    <action>\n      <test assign_to="has202" variable="got202" compare="equal" value="1"/>\n    </action>\n  </nop>\n'
            + '  <nop next="refer_accepted" test="has202"/>\n'
            + '  <!-- no 202 for the REFER: fail the call -->\n'
            + fail_here("no_202") + label("refer_accepted"))

# ---------------------------------------------------------------- basic, A hangs up
scenario("basic_a_bye.A.xml", "basic_a_bye A", """
Flow: successful setup and disconnect, A hangs up (VP530 appendix). Party A, the caller: plays A
when phonecore is B, and is the reference of what phonecore must send as A.
A INVITEs B through the proxy with an active SDP offer, accepts 100/180/183, expects a 200 whose
SDP answer is active (m=audio; no sendonly/recvonly/inactive, no c=0.0.0.0), ACKs, talks 300 ms,
sends BYE and expects 200.""", ["a", "b"],
    caller_setup("a", "b", "A") + pause(300) + uac_req("a", "A", "BYE", 2) + recv("200"))

scenario("basic_a_bye.B.xml", "basic_a_bye B", """
Flow: successful setup and disconnect, A hangs up. Party B, the callee: plays B when phonecore is
A, and is the reference of what phonecore must send as B.
B expects an INVITE with an active SDP offer, rings (180), answers 200 with SDP (retransmitted
until the ACK), expects the ACK, then A's BYE, and answers it 200.""", ["b"],
    callee_answer("b", "B") + bye_in("b"))

# ---------------------------------------------------------------- basic, B hangs up
scenario("basic_b_bye.A.xml", "basic_b_bye A", """
Flow: successful setup and disconnect, B hangs up. Party A, the caller (phonecore's A reference).
A INVITEs B (active SDP), expects 200 with an active answer, ACKs, then expects B's BYE and
answers 200.""", ["a", "b"],
    caller_setup("a", "b", "A") + bye_in("a"))

scenario("basic_b_bye.B.xml", "basic_b_bye B", """
Flow: successful setup and disconnect, B hangs up. Party B, the callee (phonecore's B reference).
B expects an INVITE with an active offer, 180, 200 with SDP, the ACK; after 300 ms it sends BYE
inside the dialog (Route from the Record-Route, to A's Contact) and expects 200.""", ["b"],
    callee_answer("b", "B", save=True) + pause(300) + uas_req("b", "B", "BYE", 1) + recv("200"))

# ---------------------------------------------------------------- busy
scenario("busy.A.xml", "busy A", """
Flow: called user busy. Party A, the caller (phonecore's A reference).
A INVITEs B, accepts 100/180/183, expects 486 Busy Here and ACKs it (same branch as the INVITE).""",
    ["a", "b"],
    uac_invite("a", "b", "A") + uac_provisional() + recv("486") + ack_nonsuccess("a", "b", "A"))

scenario("busy.B.xml", "busy B", """
Flow: called user busy. Party B, the callee (phonecore's B reference: `reject 1 486`).
B expects an INVITE with an active offer, rings, rejects it with 486 Busy Here and expects the
proxy's ACK.""", ["b"],
    recv("INVITE", chk_sdp_active()) + resp_initial("b", "B", "180", "Ringing") + pause(100)
    + resp_initial("b", "B", "486", "Busy Here") + recv("ACK"))

# ---------------------------------------------------------------- no answer
scenario("noanswer.A.xml", "noanswer A", """
Flow: called user does not answer. Party A, the caller (phonecore's A reference).
A INVITEs B, expects 180 Ringing, gives up after 800 ms with a CANCEL (same Via branch, Call-ID,
From, To and CSeq number as the INVITE), expects 200 for the CANCEL, then 487 Request
Terminated for the INVITE, and ACKs the 487.""", ["a", "b"],
    uac_invite("a", "b", "A") + recv("100", optional="global") + recv("180") + pause(800)
    + send(f"""      CANCEL sip:[$b]@{DOM} SIP/2.0
      [last_Via:]
      Max-Forwards: 70
      From: <sip:[$a]@{DOM}>;tag=[pid]A[call_number]
      To: <sip:[$b]@{DOM}>
      Call-ID: [call_id]
      CSeq: 1 CANCEL
      Content-Length: 0
""") + recv("200", chk_re("CANCEL", "hdr", header="CSeq:")) + recv("487") + ack_nonsuccess("a", "b", "A"))

scenario("noanswer.B.xml", "noanswer B", """
Flow: called user does not answer. Party B, the callee (phonecore's B reference: rings, never
answers). B expects an INVITE with an active offer, rings (180), then expects the CANCEL, answers
it 200, ends the INVITE with 487 Request Terminated and expects the proxy's ACK.""", ["b"],
    recv("INVITE", chk_sdp_active() + uas_save_dialog()
         + '      <ereg regexp=".*" search_in="hdr" header="Via:" occurrence="1" assign_to="via1"/>\n'
         + '      <ereg regexp=".*" search_in="hdr" header="Via:" occurrence="2" assign_to="via2"/>\n')
    + resp_initial("b", "B", "180", "Ringing")
    + recv("CANCEL", '      <ereg regexp="[0-9]+" search_in="hdr" header="CSeq:" assign_to="cseqn"/>\n')
    + resp_initial("b", "B", "200", "OK")
    + send("""      SIP/2.0 487 Request Terminated
      Via:[$via1]
      Via:[$via2]
      From:[$peer]
      To:[$self];tag=[pid]B[call_number]
      Call-ID: [call_id]
      CSeq: [$cseqn] INVITE
      Content-Length: 0
""", retrans=False) + recv("ACK"))

# ---------------------------------------------------------------- DND
scenario("dnd.A.xml", "dnd A", """
Flow: do not disturb. Party A, the caller (phonecore's A reference).
A INVITEs B, accepts 100/180/183, expects 480 Temporarily Unavailable (features.dnd_refuse_code)
and ACKs it.""", ["a", "b"],
    uac_invite("a", "b", "A") + uac_provisional() + recv("480") + ack_nonsuccess("a", "b", "A"))

scenario("dnd.B.xml", "dnd B", """
Flow: do not disturb. Party B, the callee with account.1.dnd.enable = 1 (phonecore's B
reference). B expects an INVITE, refuses it at once with 480 Temporarily Unavailable, without
ringing, and expects the proxy's ACK.""", ["b"],
    recv("INVITE", chk_sdp_active()) + resp_initial("b", "B", "480", "Temporarily Unavailable")
    + recv("ACK"))

# ---------------------------------------------------------------- hold / resume
scenario("hold.A.xml", "hold A", """
Flow: call hold and resume. Party A, who holds (phonecore's A reference).
A calls B (active offer and answer), then re-INVITEs with a=sendonly (RFC 3264 hold) and expects a
200 whose answer is a=recvonly, ACK; then re-INVITEs with a=sendrecv and expects an active answer,
ACK; then BYE, 200.""", ["a", "b"],
    caller_setup("a", "b", "A") + pause(200) + hold_out("uac", "a", "A", 2, 2) + pause(200)
    + resume_out("uac", "a", "A", 3, 3) + pause(100) + uac_req("a", "A", "BYE", 4) + recv("200"))

scenario("hold.B.xml", "hold B", """
Flow: call hold and resume (also 3-way calling's B). Party B, who is held (phonecore's B
reference). B answers A's call (active SDP both ways), expects a re-INVITE with a=sendonly (and
not c=0.0.0.0) and answers a=recvonly, expects a re-INVITE with an active offer and answers
a=sendrecv, then expects A's BYE.""", ["b"],
    callee_answer("b", "B") + held_in("b", 2) + resumed_in("b", 3) + bye_in("b"))

scenario("hold2543.A.xml", "hold2543 A", """
Flow: call hold and resume with sip.rfc2543_hold = 1. Party A, who holds (phonecore's A
reference). As hold.A.xml, but the hold offer is the RFC 2543 one: c=IN IP4 0.0.0.0.""", ["a", "b"],
    caller_setup("a", "b", "A") + pause(200) + hold_out("uac", "a", "A", 2, 2, rfc2543=True) + pause(200)
    + resume_out("uac", "a", "A", 3, 3) + pause(100) + uac_req("a", "A", "BYE", 4) + recv("200"))

scenario("hold2543.B.xml", "hold2543 B", """
Flow: call hold and resume with sip.rfc2543_hold = 1 on A. Party B, who is held (phonecore's B
reference). B answers A's call, expects a hold re-INVITE whose SDP has c=IN IP4 0.0.0.0 and answers
it (a=recvonly), expects an active re-INVITE (the resume) and answers a=sendrecv, then A's BYE.""",
    ["b"],
    callee_answer("b", "B")
    + recv("INVITE", chk_re("m=audio") + chk_re(r"c=IN IP4 0\.0\.0\.0")) + resp_in_sdp("b", "recvonly", 2) + recv("ACK")
    + resumed_in("b", 3) + bye_in("b"))

# ---------------------------------------------------------------- call waiting
scenario("callwaiting.A.xml", "callwaiting A", """
Flow: call waiting. Party A, the first caller (phonecore's A reference).
A calls B (active SDP); when C calls B, B holds A: A expects a re-INVITE with a=sendonly and
answers a=recvonly; 300 ms later A hangs up (BYE, 200).""", ["a", "b"],
    caller_setup("a", "b", "A") + held_in("a", 2) + pause(300) + uac_req("a", "A", "BYE", 2) + recv("200"))

scenario("callwaiting.C.xml", "callwaiting C", """
Flow: call waiting. Party C, the second caller (phonecore's C reference).
600 ms after start (A and B talk by then) C INVITEs B, accepts 100/180/183 (B rings: call waiting),
expects 200 with an active answer once B has held A, ACKs, talks 300 ms, BYE, 200.""", ["c", "b"],
    pause(600) + caller_setup("c", "b", "C") + pause(300) + uac_req("c", "C", "BYE", 2) + recv("200"))

scenario("callwaiting.B.xml", "callwaiting B", """
Flow: call waiting (call_waiting.enable = 1). Party B, called twice (phonecore's B reference).
Runs with -m 2; the call is told apart by the caller's user (a... or c...).
Call from A: 180, 200 (active SDP), ACK; when C's call has arrived, B holds A (re-INVITE with
a=sendonly, expects a=recvonly in the 200, ACK), then expects A's BYE.
Call from C: 180 (B rings during the call with A), waits until A is held, 200 with SDP, ACK, then
expects C's BYE.""", ["b", "c_rings", "a_held"],
    recv("INVITE", chk_sdp_active() + uas_save_dialog()
           + '      <ereg regexp="sip:c[0-9]+@" search_in="hdr" header="From:" assign_to="fromc"/>\n', rrs=True)
    + '  <nop next="from_c" test="fromc"/>\n'
    + resp_initial("b", "B", "180", "Ringing") + pause(100)
    + resp_initial("b", "B", "200", "OK", body=sdp(), retrans=True) + recv("ACK")
    + wait_flag("c_rings", "wait_c") + hold_out("uas", "b", "B", 1, 2) + set_flag("a_held")
    + bye_in("b") + '  <nop next="done"/>\n'
    + label("from_c") + resp_initial("b", "B", "180", "Ringing") + set_flag("c_rings")
    + wait_flag("a_held", "wait_hold") + resp_initial("b", "B", "200", "OK", body=sdp(), retrans=True)
    + recv("ACK") + bye_in("b") + label("done"))

# ---------------------------------------------------------------- blind transfer
scenario("blind.A.xml", "blind A", """
Flow: call transfer without consultation (blind). Party A, the transferee (phonecore's A
reference). Runs with -m 2: call 1 is A-B, call 2 is A-C.
Call 1: A calls B (active SDP); expects B's REFER (Refer-To: C's URI), answers 202 Accepted,
sends NOTIFY (Event: refer, message/sipfrag "SIP/2.0 100 Trying"), expects 200; once C has
answered sends NOTIFY "SIP/2.0 200 OK" (Subscription-State terminated), expects 200 (or B's BYE first:
the 200 is optional there); then expects B's BYE.
Call 2: waits for the REFER, INVITEs the Refer-To URI (active SDP), expects 200, ACKs, talks
300 ms, BYE, 200.""", ["a", "b", "ncall", "target", "referred", "c_up"],
    call_is(2, "second") + '  <nop next="call_c" test="second"/>\n'
    + caller_setup("a", "b", "A")
    + recv("REFER", chk_re("sip:c[0-9]+@", "hdr", header="Refer-To:")
           + '      <ereg regexp="sip:[^>;?]*" search_in="hdr" header="Refer-To:" assign_to="target"/>\n')
    + resp_in("a", "202", "Accepted") + set_flag("referred") + pause(50)
    + notify("uac", "a", "A", 2, "SIP/2.0 100 Trying", "active;expires=60") + recv("200")
    + wait_flag("c_up", "wait_c")
    + notify("uac", "a", "A", 3, "SIP/2.0 200 OK", "terminated;reason=noresource") + final_notify_ok()
    + bye_in("a") + '  <nop next="done"/>\n'
    + label("call_c") + wait_flag("referred", "wait_refer")
    + uac_invite("a", "c", "A", ruri="[$target]").replace("To: <sip:[$c]@phonecore.test>", "To: <[$target]>")
    + uac_provisional() + recv("200", chk_sdp_active() + uac_save_dialog(), rrs=True) + uac_ack("a", "A")
    + set_flag("c_up") + pause(300) + uac_req("a", "A", "BYE", 2) + recv("200") + label("done"))

scenario("blind.B.xml", "blind B", """
Flow: blind transfer. Party B, the transferor (phonecore's B reference: `transfer 1 C`).
B answers A's call (active SDP), after 200 ms sends REFER with Refer-To: <sip:c...@phonecore.test>
inside the dialog, expects 202 (before or after the first NOTIFY), expects NOTIFY (Event: refer, message/sipfrag "SIP/2.0 100", state
active) and answers 200, expects NOTIFY "SIP/2.0 200" (state terminated) and answers 200, then
sends BYE and expects 200.""", ["b", "c"],
    callee_answer("b", "B", save=True) + pause(200)
    + uas_req("b", "B", "REFER", 1, extra_hdrs=f"      Refer-To: <sip:[$c]@{DOM}>\n      Referred-By: <sip:[$b]@{DOM}>\n")
    + notify_progress("b")
    + uas_req("b", "B", "BYE", 2) + recv("200"))

scenario("blind.C.xml", "blind C", """
Flow: blind transfer. Party C, the transfer target (phonecore's C reference).
C expects an INVITE with an active offer (from A, after B's REFER), 180, 200 with SDP, ACK, then
A's BYE.""", ["c"],
    callee_answer("c", "C") + bye_in("c"))

# ---------------------------------------------------------------- 3-way calling
scenario("threeway.A.xml", "threeway A", """
Flow: 3-way calling (local conference). Party A, the host (phonecore's A reference). Runs with
-m 2: call 1 is A-B, call 2 is A-C.
Call 1: A calls B, holds B (re-INVITE a=sendonly, expects a=recvonly), once C answers resumes B
(re-INVITE a=sendrecv, expects an active answer); talks 500 ms; BYE.
Call 2: once B is held A calls C (active SDP, new Call-ID), once B is resumed talks 500 ms; BYE.""",
    ["a", "b", "c", "ncall", "b_held", "c_up", "b_back"],
    call_is(2, "second") + '  <nop next="call_c" test="second"/>\n'
    + caller_setup("a", "b", "A") + pause(100) + hold_out("uac", "a", "A", 2, 2) + set_flag("b_held")
    + wait_flag("c_up", "wait_c") + resume_out("uac", "a", "A", 3, 3) + set_flag("b_back")
    + pause(500) + uac_req("a", "A", "BYE", 4) + recv("200") + '  <nop next="done"/>\n'
    + label("call_c") + wait_flag("b_held", "wait_held") + caller_setup("a", "c", "A") + set_flag("c_up")
    + wait_flag("b_back", "wait_back") + pause(500) + uac_req("a", "A", "BYE", 2) + recv("200") + label("done"))

scenario("threeway.B.xml", "threeway B", """
Flow: 3-way calling. Party B, first called, held, then resumed (phonecore's B reference).
B answers A's call (active SDP), expects a re-INVITE with a=sendonly and answers a=recvonly,
expects a re-INVITE with an active offer and answers a=sendrecv, then expects A's BYE.""", ["b"],
    callee_answer("b", "B") + held_in("b", 2) + resumed_in("b", 3) + bye_in("b"))

scenario("threeway.C.xml", "threeway C", """
Flow: 3-way calling. Party C, called second (phonecore's C reference).
C expects an INVITE with an active offer, 180, 200 with SDP, ACK, then A's BYE.""", ["c"],
    callee_answer("c", "C") + bye_in("c"))

# ---------------------------------------------------------------- forwarding
def fwd_caller(name, flow, pre_ms=0):
    return (pause(pre_ms) if pre_ms else "") + (
        uac_invite("a", "b", "A") + uac_provisional()
        + recv("302", chk_re("sip:c[0-9]+@", "hdr", header="Contact:")
               + '      <ereg regexp="sip:[^>;]*" search_in="hdr" header="Contact:" assign_to="fwd"/>\n')
        + ack_nonsuccess("a", "b", "A")
        + uac_invite("a", "b", "A", ruri="[$fwd]", cseq=2) + uac_provisional()
        + recv("200", chk_sdp_active() + uac_save_dialog(), rrs=True) + uac_ack("a", "A", cseq=2)
        + pause(300) + uac_req("a", "A", "BYE", 3) + recv("200"))

def redirect(code="302"):
    return send(f"""      SIP/2.0 302 Moved Temporarily
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]B[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[$c]@{DOM}>
      Content-Length: 0
""", retrans=False)

for flow, what in (("fwd_always", "always forward (account.1.always_fwd.enable = 1)"),
                   ("fwd_busy", "busy forward (account.1.busy_fwd.enable = 1, B already in a call with D)"),
                   ("fwd_noanswer", "no-answer forward (account.1.timeout_fwd.enable = 1)")):
    scenario(f"{flow}.A.xml", f"{flow} A", f"""
Flow: {what}. Party A, the caller (phonecore's A reference).
{"500 ms after start (B talks to D by then) " if flow == "fwd_busy" else ""}A INVITEs B, accepts 100/180/183, expects 302 Moved Temporarily
whose Contact is C, ACKs it, INVITEs the Contact URI (same Call-ID, next CSeq), expects 200 with an
active answer, ACKs, talks 300 ms, BYE, 200.""", ["a", "b", "fwd"], fwd_caller("a", flow, 500 if flow == "fwd_busy" else 0))
    scenario(f"{flow}.C.xml", f"{flow} C", f"""
Flow: {what}. Party C, the forward target (phonecore's C reference).
C expects A's INVITE (active offer), 180, 200 with SDP, ACK, then A's BYE.""", ["c"],
        callee_answer("c", "C") + bye_in("c"))

scenario("fwd_always.B.xml", "fwd_always B", """
Flow: always forward. Party B, the forwarder (phonecore's B reference with
account.1.always_fwd.enable = 1, .target = C). B answers A's INVITE at once with 302 Moved
Temporarily, Contact: C, and expects the proxy's ACK.""", ["c"],
    recv("INVITE") + redirect() + recv("ACK"))

scenario("fwd_noanswer.B.xml", "fwd_noanswer B", """
Flow: no-answer forward. Party B, the forwarder (phonecore's B reference with
account.1.timeout_fwd.enable = 1, .target = C, .timeout = 1). B rings (180), and when nobody
answers (1 s here) replies 302 Moved Temporarily, Contact: C, and expects the proxy's ACK.""",
    ["b", "c"],
    recv("INVITE") + resp_initial("b", "B", "180", "Ringing") + pause(1000) + redirect() + recv("ACK"))

scenario("fwd_busy.B.xml", "fwd_busy B", """
Flow: busy forward (call_waiting.enable = 0). Party B, the forwarder (phonecore's B reference with
account.1.busy_fwd.enable = 1, .target = C). Runs with -m 2, the call told apart by the caller's
user. Call from D: 180, 200 (active SDP), ACK, then D's BYE. Call from A, while B talks to D:
302 Moved Temporarily, Contact: C, then the proxy's ACK.""", ["b", "c"],
    recv("INVITE", '      <ereg regexp="sip:a[0-9]+@" search_in="hdr" header="From:" assign_to="froma"/>\n')
    + '  <nop next="from_a" test="froma"/>\n'
    + resp_initial("b", "B", "180", "Ringing") + resp_initial("b", "B", "200", "OK", body=sdp(), retrans=True)
    + recv("ACK") + bye_in("b") + '  <nop next="done"/>\n'
    + label("from_a") + redirect() + recv("ACK") + label("done"))

scenario("fwd_busy.D.xml", "fwd_busy D", """
Flow: busy forward. Party D, who keeps B busy (always SIPp).
D calls B (active SDP both ways), stays 1500 ms (A is forwarded meanwhile), BYE, 200.""", ["d", "b"],
    caller_setup("d", "b", "D") + pause(1500) + uac_req("d", "D", "BYE", 2) + recv("200"))

# ---------------------------------------------------------------- lossy path
relay_via = "      Via: SIP/2.0/[transport] 127.0.0.1:[$relay];branch=[branch]\n"
scenario("lossy_ok.A.xml", "lossy_ok A", """
Flow: retransmission over a lossy path, the 200 OK lost. Party A, the caller, talking to the proxy
through tests/integration/lossy_relay.py (its Via names the relay, so responses come back through
it); the relay drops the first 200 OK to the INVITE, so B must retransmit it (RFC 3261 13.3.1.4).
A INVITEs B, expects a 200 (the retransmission), ACKs, talks 300 ms, BYE, 200.""", ["a", "b", "relay"],
    uac_invite("a", "b", "A", viahdr=relay_via) + uac_provisional()
    + recv("200", chk_sdp_active() + uac_save_dialog(), rrs=True) + uac_ack("a", "A", viahdr=relay_via)
    + pause(300)
    + uac_req("a", "A", "BYE", 2).replace(via(), relay_via) + recv("200"))

# ---------------------------------------------------------------- attended transfer
def set_str(var, value):
    return f'  <nop>\n    <action>\n      <assignstr assign_to="{var}" value="{value}"/>\n    </action>\n  </nop>\n'

scenario("attended.A.xml", "attended A", """
Flow: transfer with consultation (attended), VP530.md's table. Party A, the transferor
(phonecore's A reference: `transfer 1 2`). Runs with -m 2: call 1 is A-B, call 2 is A-C.
Call 1 (F1-F14): A calls B, holds B (re-INVITE a=sendonly, expects a=recvonly); once C has
answered (F15-F22) sends REFER (F23) with Refer-To: <C?Replaces=<A-C Call-ID>;to-tag=<C's
tag>;from-tag=<A's tag>> (escaped), expects 202 (F26; before or after the first NOTIFY),
expects NOTIFY sipfrag 100 then 200 (F27-F30) and answers each 200, then BYE, 200 (F31-F34).
Call 2: once B is held calls C (new Call-ID), ACKs the 200, then expects C's BYE for the replaced
dialog (RFC 3891) and answers 200.""",
    ["a", "b", "c", "ncall", "b_held", "c_up", "cid2", "totag2", "fromtag2"],
    call_is(2, "second") + '  <nop next="call_c" test="second"/>\n'
    + caller_setup("a", "b", "A") + pause(100) + hold_out("uac", "a", "A", 2, 2) + set_flag("b_held")
    + wait_flag("c_up", "wait_c")
    + uac_req("a", "A", "REFER", 3, extra_hdrs=
              f"      Refer-To: <sip:[$c]@{DOM}?Replaces=[$cid2]%3Bto-tag%3D[$totag2]%3Bfrom-tag%3D[$fromtag2]>\n"
              f"      Referred-By: <sip:[$a]@{DOM}>\n")
    + notify_progress("a")
    + uac_req("a", "A", "BYE", 4) + recv("200") + '  <nop next="done"/>\n'
    + label("call_c") + wait_flag("b_held", "wait_held")
    + caller_setup("a", "c", "A", extra='      <ereg regexp="tag=([^;]*)" search_in="hdr" header="To:" assign_to="chk,totag2"/>\n')
    + set_str("cid2", "[call_id]") + set_str("fromtag2", "[pid]A[call_number]") + set_flag("c_up")
    + bye_in("a") + label("done"))

scenario("attended.B.in.xml", "attended B (A-B dialog)", """
Flow: attended transfer. Party B, the transferee (phonecore's B reference), its A-B dialog: the
-oocsf scenario of attended.B.xml (SIPp runs it for the INVITE from A).
B answers A's call (active SDP both ways), expects a re-INVITE a=sendonly and answers a=recvonly
(F9-F14), expects REFER whose Refer-To carries Replaces with to-tag and from-tag (F23), keeps its
parts for the INVITE to C (attended.B.xml), answers 202, sends NOTIFY sipfrag 100 (active), expects
200; once C has answered sends NOTIFY sipfrag 200 (terminated), expects 200 (optional: A's BYE
may overtake it); expects A's BYE.""",
    ["b", "referred", "c_up", "ab_done", "rtarget", "rcid", "rcid2", "rto", "rfrom"],
    callee_answer("b", "B", save=True) + held_in("b", 2)
    + recv("REFER", chk_re("Replaces=", "hdr", header="Refer-To:")
           + '      <ereg regexp="sip:[^?>]*" search_in="hdr" header="Refer-To:" assign_to="rtarget"/>\n'
           + '      <ereg regexp="Replaces=([^%&gt;]*)" search_in="hdr" header="Refer-To:" check_it="true" assign_to="chk,rcid"/>\n'
           + '      <ereg regexp="Replaces=[^%&gt;]*%40([^%&gt;]*)" search_in="hdr" header="Refer-To:" assign_to="chk,rcid2"/>\n'
           + '      <ereg regexp="to-tag%3[Dd]([^%&amp;&gt;]*)" search_in="hdr" header="Refer-To:" check_it="true" assign_to="chk,rto"/>\n'
           + '      <ereg regexp="from-tag%3[Dd]([^%&amp;&gt;]*)" search_in="hdr" header="Refer-To:" check_it="true" assign_to="chk,rfrom"/>\n')
    + resp_in("b", "202", "Accepted") + set_flag("referred") + pause(50)
    + notify("uas", "b", "B", 1, "SIP/2.0 100 Trying", "active;expires=60") + recv("200")
    + wait_flag("c_up", "wait_c")
    + notify("uas", "b", "B", 2, "SIP/2.0 200 OK", "terminated;reason=noresource") + final_notify_ok()
    + bye_in("b") + set_flag("ab_done"))

def replaces_invite(hdr):
    return uac_invite("b", "c", "B", ruri="[$rtarget]", extra_hdrs=f"      Replaces: {hdr}\n").replace(
        "To: <sip:[$c]@phonecore.test>", "To: <[$rtarget]>")

scenario("attended.B.xml", "attended B (B-C dialog)", """
Flow: attended transfer. Party B, the transferee (phonecore's B reference), its B-C dialog; the
A-B dialog is attended.B.in.xml (run with -oocsf).
Once A's REFER has come, B INVITEs the Refer-To URI (two copies of the INVITE: with and without
an escaped @ in the Call-ID) with the Replaces header rebuilt from it
(RFC 3891: Call-ID unescaped, to-tag, from-tag), expects 200 with an active answer, ACKs; after the
A-B dialog has ended and 300 ms of talk, BYE, 200.""",
    ["b", "referred", "c_up", "ab_done", "rtarget", "rcid", "rcid2", "rto", "rfrom"],
    wait_flag("referred", "wait_refer") + '  <nop next="at" test="rcid2"/>\n'
    + replaces_invite("[$rcid];to-tag=[$rto];from-tag=[$rfrom]") + uac_provisional()
    + recv("200", chk_sdp_active() + uac_save_dialog(), rrs=True) + uac_ack("b", "B") + '  <nop next="talking"/>\n'
    + label("at") + replaces_invite("[$rcid]@[$rcid2];to-tag=[$rto];from-tag=[$rfrom]") + uac_provisional()
    + recv("200", chk_sdp_active() + uac_save_dialog(), rrs=True) + uac_ack("b", "B")
    + label("talking") + set_flag("c_up")
    + wait_flag("ab_done", "wait_ab") + pause(300) + uac_req("b", "B", "BYE", 2) + recv("200"))

scenario("attended.C.xml", "attended C", """
Flow: attended transfer. Party C, the transfer target (phonecore's C reference). Runs with -m 2,
the calls told apart by a Replaces header.
Call from A (F15-F22): 180, 200 (active SDP), ACK; once B's INVITE has replaced it, BYE to A, 200.
Call from B (RFC 3891): its Replaces must name the A-C dialog (same Call-ID, to-tag = C's tag in
it, a from-tag); answered 200 at once (no ringing), ACK, then B's BYE.""",
    ["c", "cidac", "replaced"],
    recv("INVITE", chk_sdp_active() + uas_save_dialog()
         + '      <ereg regexp="[^; ]+" search_in="hdr" header="Replaces:" assign_to="rcid"/>\n'
         + '      <ereg regexp="to-tag=[0-9]+C1(;|$)" search_in="hdr" header="Replaces:" assign_to="chk,totag_ok"/>\n'
         + '      <ereg regexp="from-tag=[^;]+" search_in="hdr" header="Replaces:" assign_to="fromtag_ok"/>\n', rrs=True)
    + '  <nop next="replacing" test="rcid"/>\n'
    + set_str("cidac", "[call_id]")
    + resp_initial("c", "C", "180", "Ringing") + pause(100)
    + resp_initial("c", "C", "200", "OK", body=sdp(), retrans=True) + recv("ACK")
    + wait_flag("replaced", "wait_replaced") + uas_req("c", "C", "BYE", 1) + recv("200")
    + '  <nop next="done"/>\n'
    + label("replacing")
    + '  <nop>\n    <action>\n      <strcmp assign_to="diff" variable="rcid" variable2="cidac"/>\n'
    + '      <test assign_to="other" variable="diff" compare="not_equal" value="0"/>\n'
    + '    </action>\n  </nop>\n'
    + '  <nop next="wrong_dialog" test="other"/>\n'
    + '  <nop next="totag_checked" test="totag_ok"/>\n' + '  <nop next="wrong_dialog"/>\n' + label("totag_checked")
    + '  <nop next="fromtag_checked" test="fromtag_ok"/>\n' + '  <nop next="wrong_dialog"/>\n' + label("fromtag_checked")
    + resp_initial("c", "C", "200", "OK", body=sdp(), retrans=True) + recv("ACK") + set_flag("replaced")
    + bye_in("c") + '  <nop next="done"/>\n'
    + fail_here("wrong_dialog") + label("done"))


# The lossy flows reuse the basic call's parties (the relay makes the loss).
for link, target in (("lossy_invite.A.xml", "basic_a_bye.A.xml"), ("lossy_invite.B.xml", "basic_a_bye.B.xml"),
                     ("lossy_ok.B.xml", "basic_a_bye.B.xml")):
    path = os.path.join(OUT, link)
    if os.path.lexists(path):
        os.remove(path)
    os.symlink(target, path)
