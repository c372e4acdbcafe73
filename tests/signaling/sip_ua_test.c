/* SPDX-License-Identifier: MIT */
/* sip_ua_test.c - the user agent (pc_sip_ua.h): two or three UAs in this process on loopback,
 * calling each other directly (no proxy; the Kamailio flows are the integration tests), through
 * every VP530 call flow, checking the events each side sees and the SDP directions; then every
 * torture message sent to a running UA gets the answer EXPECTED.tsv gives, and a call still
 * completes afterwards. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pc_sip_ua.h"
#include "sip_test_pvt.h"

#define MAX_EV 128

struct party {
	const char *name;
	struct pc_sip_ua *ua;
	struct pc_sip_ua_event ev[MAX_EV];
	unsigned nev;
	/* the direction of the first stream in the last media event, per call (1..15) */
	int send[16], recv[16];
	char uri[128];
};

static void on_event(void *arg, const struct pc_sip_ua_event *ev)
{
	struct party *p = arg;

	if (ev->type == PC_SIP_UA_EV_MEDIA && ev->media && ev->call < 16 &&
	    ev->media->nstreams > 0) {
		p->send[ev->call] = ev->media->s[0].send;
		p->recv[ev->call] = ev->media->s[0].recv;
	}
	if (p->nev < MAX_EV) {
		p->ev[p->nev] = *ev;
		p->ev[p->nev].peer = NULL;
		p->ev[p->nev].reason = NULL;
		p->ev[p->nev].media = NULL;
		p->nev++;
	}
}

static void party_init(struct party *p, const char *name, void (*tweak)(struct pc_sip_ua_conf *))
{
	static struct pc_sip_ua_conf c;
	struct pc_sip_ua_account_conf *a = &c.account[0];

	memset(&c, 0, sizeof(c));
	memset(p, 0, sizeof(*p));
	p->name = name;
	snprintf(c.local_ip, sizeof(c.local_ip), "127.0.0.1");
	c.naccounts = 1;
	c.call_waiting = true;
	c.rtp_port_min = 30000;
	c.rtp_port_max = 30100;
	c.t1_ms = 100; /* quick retransmissions, so that a lost datagram costs little time */
	c.t2_ms = 400;
	c.t4_ms = 500;
	c.on_event = on_event;
	c.arg = p;
	a->enable = true;
	snprintf(a->user, sizeof(a->user), "%s", name);
	a->caps.port[PC_SDP_MEDIA_AUDIO] = 1;
	a->caps.ncodecs = 3;
	a->caps.codecs[0] = (struct pc_sdp_codec){ PC_SDP_MEDIA_AUDIO, 0, "PCMU", 8000, 0, NULL };
	a->caps.codecs[1] = (struct pc_sdp_codec){ PC_SDP_MEDIA_AUDIO, 8, "PCMA", 8000, 0, NULL };
	a->caps.codecs[2] = (struct pc_sdp_codec){
		PC_SDP_MEDIA_AUDIO, 101, "telephone-event", 8000, 0, "0-16"
	};
	a->caps.ptime = 20;
	a->caps.dir = PC_SDP_DIR_SENDRECV;
	a->caps.addr = "127.0.0.1";
	a->min_se_s = 1; /* the session timer cases use 2 s intervals */
	if (tweak)
		tweak(&c);
	cr_assert_eq(pc_sip_ua_create(&p->ua, &c), 0, "%s: create", name);
	snprintf(p->uri, sizeof(p->uri), "sip:%s@127.0.0.1:%u", name, pc_sip_ua_port(p->ua));
}

static void party_fini(struct party *p)
{
	pc_sip_ua_destroy(p->ua);
}

static uint64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int find_ev(const struct party *p, enum pc_sip_ua_ev_type t, unsigned call, unsigned from)
{
	for (unsigned i = from; i < p->nev; i++)
		if (p->ev[i].type == t && (!call || p->ev[i].call == call))
			return (int)i;
	return -1;
}

/* Polls every party until @p has seen event @t for @call (0: any), or @ms pass. */
static int pump_until(struct party **ps, unsigned n, struct party *p, enum pc_sip_ua_ev_type t,
		      unsigned call, unsigned ms)
{
	uint64_t end = ms_now() + ms;

	for (;;) {
		int i = p ? find_ev(p, t, call, 0) : -1;

		if (i >= 0)
			return i;
		if (ms_now() >= end)
			return -1;
		for (unsigned k = 0; k < n; k++)
			pc_sip_ua_poll(ps[k]->ua, 0);
		usleep(500);
	}
}

#define WAIT(p, t, call)                                                                        \
	cr_assert_geq(pump_until(all, nall, (p), (t), (call), 3000), 0, "%s: no %s on call %u", \
		      (p)->name, pc_sip_ua_ev_name(t), (unsigned)(call))

Test(sip_ua, basic_call_and_disconnect)
{
	struct party a, b;
	struct party *all[] = { &a, &b };
	unsigned nall = 2, call;

	party_init(&a, "alice", NULL);
	party_init(&b, "bob", NULL);
	cr_assert_eq(pc_sip_ua_call(a.ua, 1, b.uri, &call), 0);
	cr_assert_eq(call, 1);
	WAIT(&b, PC_SIP_UA_EV_INCOMING, 1);
	WAIT(&a, PC_SIP_UA_EV_RINGING, 1);
	cr_assert_eq(pc_sip_ua_call_state(b.ua, 1), PC_SIP_UA_CALL_INCOMING);
	cr_assert_eq(pc_sip_ua_answer(b.ua, 1), 0);
	WAIT(&a, PC_SIP_UA_EV_ESTABLISHED, 1);
	WAIT(&b, PC_SIP_UA_EV_ESTABLISHED, 1);
	/* both directions sendrecv */
	cr_assert(a.send[1] && a.recv[1] && b.send[1] && b.recv[1]);
	cr_assert_eq(pc_sip_ua_hangup(a.ua, 1), 0);
	WAIT(&b, PC_SIP_UA_EV_ENDED, 1);
	WAIT(&a, PC_SIP_UA_EV_ENDED, 1);
	cr_assert_eq(pc_sip_ua_call_state(a.ua, 1), PC_SIP_UA_CALL_ENDED);
	party_fini(&a);
	party_fini(&b);
}

Test(sip_ua, busy_486)
{
	struct party a, b;
	struct party *all[] = { &a, &b };
	unsigned nall = 2, call;
	int i;

	party_init(&a, "alice", NULL);
	party_init(&b, "bob", NULL);
	cr_assert_eq(pc_sip_ua_call(a.ua, 1, b.uri, &call), 0);
	WAIT(&b, PC_SIP_UA_EV_INCOMING, 1);
	cr_assert_eq(pc_sip_ua_reject(b.ua, 1, 486), 0);
	i = pump_until(all, nall, &a, PC_SIP_UA_EV_ENDED, 1, 3000);
	cr_assert_geq(i, 0);
	cr_assert_eq(a.ev[i].code, 486);
	party_fini(&a);
	party_fini(&b);
}

static void dnd_on(struct pc_sip_ua_conf *c)
{
	c->account[0].dnd = true;
	c->account[0].dnd_code = 480;
}

Test(sip_ua, dnd_480)
{
	struct party a, b;
	struct party *all[] = { &a, &b };
	unsigned nall = 2, call;
	int i;

	party_init(&a, "alice", NULL);
	party_init(&b, "bob", dnd_on);
	cr_assert_eq(pc_sip_ua_call(a.ua, 1, b.uri, &call), 0);
	i = pump_until(all, nall, &a, PC_SIP_UA_EV_ENDED, 1, 3000);
	cr_assert_geq(i, 0);
	cr_assert_eq(a.ev[i].code, 480);
	cr_assert_lt(find_ev(&b, PC_SIP_UA_EV_INCOMING, 0, 0), 0, "DND does not ring");
	party_fini(&a);
	party_fini(&b);
}

Test(sip_ua, no_answer_cancel_487)
{
	struct party a, b;
	struct party *all[] = { &a, &b };
	unsigned nall = 2, call;
	int i;

	party_init(&a, "alice", NULL);
	party_init(&b, "bob", NULL);
	cr_assert_eq(pc_sip_ua_call(a.ua, 1, b.uri, &call), 0);
	WAIT(&a, PC_SIP_UA_EV_RINGING, 1);
	cr_assert_eq(pc_sip_ua_hangup(a.ua, 1), 0); /* CANCEL */
	i = pump_until(all, nall, &b, PC_SIP_UA_EV_ENDED, 1, 3000);
	cr_assert_geq(i, 0);
	cr_assert_eq(b.ev[i].code, 487);
	i = pump_until(all, nall, &a, PC_SIP_UA_EV_ENDED, 1, 3000);
	cr_assert_geq(i, 0);
	cr_assert_eq(a.ev[i].code, 487);
	party_fini(&a);
	party_fini(&b);
}

static void connect_ab(struct party **all, unsigned nall, struct party *a, struct party *b,
		       unsigned acall, unsigned bcall)
{
	unsigned call;

	cr_assert_eq(pc_sip_ua_call(a->ua, 1, b->uri, &call), 0);
	cr_assert_eq(call, acall);
	WAIT(b, PC_SIP_UA_EV_INCOMING, bcall);
	cr_assert_eq(pc_sip_ua_answer(b->ua, bcall), 0);
	WAIT(a, PC_SIP_UA_EV_ESTABLISHED, acall);
	WAIT(b, PC_SIP_UA_EV_ESTABLISHED, bcall);
}

Test(sip_ua, hold_and_resume_directions)
{
	struct party a, b;
	struct party *all[] = { &a, &b };
	unsigned nall = 2;

	party_init(&a, "alice", NULL);
	party_init(&b, "bob", NULL);
	connect_ab(all, nall, &a, &b, 1, 1);
	cr_assert_eq(pc_sip_ua_hold(a.ua, 1), 0);
	WAIT(&a, PC_SIP_UA_EV_HOLD_OK, 1);
	WAIT(&b, PC_SIP_UA_EV_HELD, 1);
	/* RFC 3264: A offered sendonly, B answered recvonly */
	cr_assert(a.send[1] && !a.recv[1], "A sends only while holding");
	cr_assert(!b.send[1] && b.recv[1], "B receives only (no RTP from B)");
	cr_assert_eq(pc_sip_ua_resume(a.ua, 1), 0);
	WAIT(&a, PC_SIP_UA_EV_RESUME_OK, 1);
	WAIT(&b, PC_SIP_UA_EV_RESUMED, 1);
	cr_assert(a.send[1] && a.recv[1] && b.send[1] && b.recv[1]);
	party_fini(&a);
	party_fini(&b);
}

static char g_target[128];

static void fwd_always(struct pc_sip_ua_conf *c)
{
	snprintf(c->account[0].always_fwd, sizeof(c->account[0].always_fwd), "%s", g_target);
}

static void auto_answer(struct pc_sip_ua_conf *c)
{
	c->account[0].auto_answer = true;
	c->account[0].auto_answer_ms = 10;
}

Test(sip_ua, always_forward_302_followed)
{
	struct party a, b, c;
	struct party *all[] = { &a, &b, &c };
	unsigned nall = 3, call;

	party_init(&c, "carol", auto_answer);
	snprintf(g_target, sizeof(g_target), "%s", c.uri);
	party_init(&a, "alice", NULL);
	party_init(&b, "bob", fwd_always);
	cr_assert_eq(pc_sip_ua_call(a.ua, 1, b.uri, &call), 0);
	WAIT(&b, PC_SIP_UA_EV_FORWARDED, 1);
	WAIT(&a, PC_SIP_UA_EV_REDIRECTED, 1);
	WAIT(&a, PC_SIP_UA_EV_ESTABLISHED, 1);
	WAIT(&c, PC_SIP_UA_EV_ESTABLISHED, 1);
	party_fini(&a);
	party_fini(&b);
	party_fini(&c);
}

static void fwd_noanswer(struct pc_sip_ua_conf *c)
{
	snprintf(c->account[0].noanswer_fwd, sizeof(c->account[0].noanswer_fwd), "%s", g_target);
	c->account[0].noanswer_ms = 300;
}

Test(sip_ua, no_answer_forward_after_ring_timeout)
{
	struct party a, b, c;
	struct party *all[] = { &a, &b, &c };
	unsigned nall = 3, call;

	party_init(&c, "carol", auto_answer);
	snprintf(g_target, sizeof(g_target), "%s", c.uri);
	party_init(&a, "alice", NULL);
	party_init(&b, "bob", fwd_noanswer);
	cr_assert_eq(pc_sip_ua_call(a.ua, 1, b.uri, &call), 0);
	WAIT(&b, PC_SIP_UA_EV_INCOMING, 1);
	WAIT(&b, PC_SIP_UA_EV_FORWARDED, 1);
	WAIT(&a, PC_SIP_UA_EV_ESTABLISHED, 1);
	WAIT(&c, PC_SIP_UA_EV_ESTABLISHED, 1);
	party_fini(&a);
	party_fini(&b);
	party_fini(&c);
}

Test(sip_ua, call_waiting_hold_first_answer_second)
{
	struct party a, b, c;
	struct party *all[] = { &a, &b, &c };
	unsigned nall = 3, call;

	party_init(&a, "alice", NULL);
	party_init(&b, "bob", NULL);
	party_init(&c, "carol", NULL);
	connect_ab(all, nall, &a, &b, 1, 1);
	cr_assert_eq(pc_sip_ua_call(c.ua, 1, b.uri, &call), 0);
	WAIT(&b, PC_SIP_UA_EV_INCOMING, 2);
	cr_assert_eq(pc_sip_ua_hold(b.ua, 1), 0);
	WAIT(&b, PC_SIP_UA_EV_HOLD_OK, 1);
	WAIT(&a, PC_SIP_UA_EV_HELD, 1);
	cr_assert_eq(pc_sip_ua_answer(b.ua, 2), 0);
	WAIT(&c, PC_SIP_UA_EV_ESTABLISHED, 1);
	WAIT(&b, PC_SIP_UA_EV_ESTABLISHED, 2);
	cr_assert_eq(pc_sip_ua_call_state(b.ua, 1), PC_SIP_UA_CALL_ACTIVE);
	party_fini(&a);
	party_fini(&b);
	party_fini(&c);
}

static void no_waiting(struct pc_sip_ua_conf *c)
{
	c->call_waiting = false;
}

Test(sip_ua, busy_when_call_waiting_off)
{
	struct party a, b, c;
	struct party *all[] = { &a, &b, &c };
	unsigned nall = 3, call;
	int i;

	party_init(&a, "alice", NULL);
	party_init(&b, "bob", no_waiting);
	party_init(&c, "carol", NULL);
	connect_ab(all, nall, &a, &b, 1, 1);
	cr_assert_eq(pc_sip_ua_call(c.ua, 1, b.uri, &call), 0);
	i = pump_until(all, nall, &c, PC_SIP_UA_EV_ENDED, 1, 3000);
	cr_assert_geq(i, 0);
	cr_assert_eq(c.ev[i].code, 486);
	party_fini(&a);
	party_fini(&b);
	party_fini(&c);
}

Test(sip_ua, blind_transfer_refer_notify_bye)
{
	struct party a, b, c;
	struct party *all[] = { &a, &b, &c };
	unsigned nall = 3;
	int i;

	party_init(&a, "alice", NULL);
	party_init(&b, "bob", NULL);
	party_init(&c, "carol", auto_answer);
	connect_ab(all, nall, &a, &b, 1, 1);
	/* B transfers A to C (VP530: B sends REFER to A, A sends NOTIFY, B sends BYE) */
	cr_assert_eq(pc_sip_ua_transfer(b.ua, 1, c.uri), 0);
	i = pump_until(all, nall, &a, PC_SIP_UA_EV_TRANSFER_REQ, 1, 3000);
	cr_assert_geq(i, 0);
	cr_assert_eq(a.ev[i].other_call, 2);
	WAIT(&a, PC_SIP_UA_EV_ESTABLISHED, 2);
	WAIT(&c, PC_SIP_UA_EV_ESTABLISHED, 1);
	WAIT(&b, PC_SIP_UA_EV_TRANSFERRED, 1);
	WAIT(&b, PC_SIP_UA_EV_ENDED, 1);
	WAIT(&a, PC_SIP_UA_EV_ENDED, 1);
	i = find_ev(&b, PC_SIP_UA_EV_NOTIFY, 1, 0);
	cr_assert_geq(i, 0);
	cr_assert_eq(b.ev[i].code, 100, "the first NOTIFY carries 100 Trying");
	cr_assert_eq(pc_sip_ua_call_state(a.ua, 2), PC_SIP_UA_CALL_ACTIVE);
	party_fini(&a);
	party_fini(&b);
	party_fini(&c);
}

Test(sip_ua, attended_transfer_with_replaces)
{
	struct party a, b, c;
	struct party *all[] = { &a, &b, &c };
	unsigned nall = 3, call;
	int i;

	party_init(&a, "alice", NULL);
	party_init(&b, "bob", NULL);
	party_init(&c, "carol", NULL);
	/* F1-F14: A calls B, holds B */
	connect_ab(all, nall, &a, &b, 1, 1);
	cr_assert_eq(pc_sip_ua_hold(a.ua, 1), 0);
	WAIT(&b, PC_SIP_UA_EV_HELD, 1);
	WAIT(&a, PC_SIP_UA_EV_HOLD_OK, 1);
	/* F15-F22: A calls C (consultation) */
	cr_assert_eq(pc_sip_ua_call(a.ua, 1, c.uri, &call), 0);
	cr_assert_eq(call, 2);
	WAIT(&c, PC_SIP_UA_EV_INCOMING, 1);
	cr_assert_eq(pc_sip_ua_answer(c.ua, 1), 0);
	WAIT(&a, PC_SIP_UA_EV_ESTABLISHED, 2);
	/* F23-F34: REFER B with Replaces of the A-C dialog; B INVITEs C with Replaces */
	cr_assert_eq(pc_sip_ua_transfer_replace(a.ua, 1, 2), 0);
	WAIT(&b, PC_SIP_UA_EV_TRANSFER_REQ, 1);
	WAIT(&c, PC_SIP_UA_EV_REPLACED, 1);
	WAIT(&b, PC_SIP_UA_EV_ESTABLISHED, 2);
	WAIT(&c, PC_SIP_UA_EV_ESTABLISHED, 2);
	/* C hangs up the replaced A-C call; A leaves the A-B call */
	WAIT(&a, PC_SIP_UA_EV_ENDED, 2);
	WAIT(&a, PC_SIP_UA_EV_TRANSFERRED, 1);
	WAIT(&a, PC_SIP_UA_EV_ENDED, 1);
	WAIT(&b, PC_SIP_UA_EV_ENDED, 1);
	i = find_ev(&c, PC_SIP_UA_EV_INCOMING, 2, 0);
	cr_assert_geq(i, 0);
	cr_assert_eq(pc_sip_ua_call_state(b.ua, 2), PC_SIP_UA_CALL_ACTIVE);
	cr_assert_eq(pc_sip_ua_call_state(c.ua, 2), PC_SIP_UA_CALL_ACTIVE);
	party_fini(&a);
	party_fini(&b);
	party_fini(&c);
}

Test(sip_ua, three_way_hold_call_resume)
{
	struct party a, b, c;
	struct party *all[] = { &a, &b, &c };
	unsigned nall = 3, call;

	party_init(&a, "alice", NULL);
	party_init(&b, "bob", NULL);
	party_init(&c, "carol", auto_answer);
	connect_ab(all, nall, &a, &b, 1, 1);
	cr_assert_eq(pc_sip_ua_hold(a.ua, 1), 0);
	WAIT(&a, PC_SIP_UA_EV_HOLD_OK, 1);
	cr_assert_eq(pc_sip_ua_call(a.ua, 1, c.uri, &call), 0);
	WAIT(&a, PC_SIP_UA_EV_ESTABLISHED, 2);
	cr_assert_eq(pc_sip_ua_resume(a.ua, 1), 0);
	WAIT(&a, PC_SIP_UA_EV_RESUME_OK, 1);
	WAIT(&b, PC_SIP_UA_EV_RESUMED, 1);
	/* both calls of A send and receive: the mixer has both */
	cr_assert(a.send[1] && a.recv[1] && a.send[2] && a.recv[2]);
	party_fini(&a);
	party_fini(&b);
	party_fini(&c);
}

static void session_timer_2s(struct pc_sip_ua_conf *c)
{
	c->account[0].session_timer = true;
	c->account[0].session_expires_s = 2; /* below RFC 4028's Min-SE, to keep the test short */
}

static void session_timer_2s_uas_refreshes(struct pc_sip_ua_conf *c)
{
	session_timer_2s(c);
	c->account[0].refresher_uas = true;
}

/* Without refreshes the UAS would hang up at 2 s (RFC 4028 10); the refresher's re-INVITE at
 * half the interval keeps the call up, whichever side refreshes. */
static void session_timer_case(void (*tweak)(struct pc_sip_ua_conf *))
{
	struct party a, b;
	struct party *all[] = { &a, &b };
	unsigned nall = 2;
	struct pc_sip_ua_stats before, after;

	party_init(&a, "alice", tweak);
	party_init(&b, "bob", NULL);
	connect_ab(all, nall, &a, &b, 1, 1);
	pc_sip_ua_stats(b.ua, &before);
	cr_assert_lt(pump_until(all, nall, &a, PC_SIP_UA_EV_ENDED, 1, 4500), 0,
		     "the call ended: no refresh");
	cr_assert_eq(pc_sip_ua_call_state(b.ua, 1), PC_SIP_UA_CALL_ACTIVE);
	pc_sip_ua_stats(b.ua, &after);
	/* at least 3 refreshes (re-INVITE or its 200, and the ACK) went by */
	cr_assert_geq(after.rx_msgs + after.tx_msgs - before.rx_msgs - before.tx_msgs, 6);
	party_fini(&a);
	party_fini(&b);
}

Test(sip_ua, session_timer_uac_refreshes, .timeout = 30)
{
	session_timer_case(session_timer_2s);
}

Test(sip_ua, session_timer_uas_refreshes, .timeout = 30)
{
	session_timer_case(session_timer_2s_uas_refreshes);
}

/* ---- registration against a registrar played by the test -------------------------------- */

static int g_reg_port;

static void to_registrar(struct pc_sip_ua_conf *c)
{
	snprintf(c->account[0].domain, sizeof(c->account[0].domain), "127.0.0.1");
	c->account[0].port = (uint16_t)g_reg_port;
	snprintf(c->account[0].password, sizeof(c->account[0].password), "pw");
	c->account[0].expires_s = 60;
	c->account[0].retry_s = 1;
}

/* Waits up to @ms for a request on @fd; returns its length (0: none), the source in @from. */
static size_t recv_req(int fd, char *buf, size_t cap, struct sockaddr_in *from, unsigned ms,
		       struct party *p)
{
	uint64_t end = ms_now() + ms;
	socklen_t fl = sizeof(*from);

	while (ms_now() < end) {
		ssize_t n = recvfrom(fd, buf, cap - 1, MSG_DONTWAIT, (struct sockaddr *)from, &fl);

		if (n > 0) {
			buf[n] = 0;
			return (size_t)n;
		}
		pc_sip_ua_poll(p->ua, 2);
	}
	return 0;
}

/* Answers the request in @req with @status and @extra headers (CRLF-ended lines). */
static void reply(int fd, const char *req, size_t len, const struct sockaddr_in *to,
		  unsigned status, const char *extra)
{
	struct pc_sip_msg m;
	char out[4096];
	int n;

	cr_assert_eq(pc_sip_msg_parse(&m, req, len, NULL, 0), 0);
	n = snprintf(out, sizeof(out), "SIP/2.0 %u X\r\n", status);
	for (unsigned i = 0; i < m.nheaders; i++) {
		const struct pc_sip_header *h = &m.headers[i];

		if (h->id == PC_SIP_HDR_VIA || h->id == PC_SIP_HDR_FROM ||
		    h->id == PC_SIP_HDR_CALL_ID || h->id == PC_SIP_HDR_CSEQ)
			n += snprintf(out + n, sizeof(out) - (size_t)n, "%s: %.*s\r\n",
				      pc_sip_hdr_name(h->id), (int)h->value.len, h->value.p);
		if (h->id == PC_SIP_HDR_TO)
			n += snprintf(out + n, sizeof(out) - (size_t)n, "To: %.*s;tag=reg1\r\n",
				      (int)h->value.len, h->value.p);
	}
	n += snprintf(out + n, sizeof(out) - (size_t)n, "%sContent-Length: 0\r\n\r\n",
		      extra ? extra : "");
	cr_assert_eq(sendto(fd, out, (size_t)n, 0, (const struct sockaddr *)to, sizeof(*to)), n);
}

Test(sip_ua, register_digest_refresh_before_expiry_and_retry_after_failure, .timeout = 30)
{
	struct sockaddr_in me = { .sin_family = AF_INET }, from;
	socklen_t ml = sizeof(me);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	static char req[8192];
	struct party a;
	size_t n;
	uint64_t t0;
	int i;

	me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&me, sizeof(me)), 0);
	getsockname(fd, (struct sockaddr *)&me, &ml);
	g_reg_port = ntohs(me.sin_port);
	party_init(&a, "alice", to_registrar);
	cr_assert_eq(pc_sip_ua_register(a.ua, 1), 0);

	/* Given a digest challenge (SHA-256 and MD5 offered), the UA answers the stronger */
	n = recv_req(fd, req, sizeof(req), &from, 2000, &a);
	cr_assert_gt(n, 0);
	cr_assert(strncmp(req, "REGISTER sip:127.0.0.1 SIP/2.0", 30) == 0, "%s", req);
	cr_assert(strstr(req, "Expires: 60"), "%s", req);
	reply(fd, req, n, &from, 401,
	      "WWW-Authenticate: Digest realm=\"t\", nonce=\"n1\", qop=\"auth\", algorithm=MD5\r\n"
	      "WWW-Authenticate: Digest realm=\"t\", nonce=\"n2\", qop=\"auth\", "
	      "algorithm=SHA-256\r\n");
	n = recv_req(fd, req, sizeof(req), &from, 2000, &a);
	cr_assert_gt(n, 0);
	cr_assert(strstr(req, "Authorization: Digest "), "%s", req);
	cr_assert(strstr(req, "algorithm=SHA-256"), "%s", req);
	cr_assert(strstr(req, "nonce=\"n2\""), "%s", req);
	cr_assert(strstr(req, "nc=00000001"), "%s", req);
	/* When the registrar grants 4 s */
	{
		/* another phone's binding first (3500 s): ours is the one with our address */
		char contacts[256];

		snprintf(contacts, sizeof(contacts),
			 "Contact: <sip:alice@192.0.2.9:5060>;expires=3500\r\n"
			 "Contact: <sip:alice@127.0.0.1:%u>;expires=4\r\n",
			 pc_sip_ua_port(a.ua));
		reply(fd, req, n, &from, 200, contacts);
	}
	t0 = ms_now();
	i = pump_until((struct party *[]){ &a }, 1, &a, PC_SIP_UA_EV_REGISTERED, 0, 1000);
	cr_assert_geq(i, 0);
	cr_assert_eq(a.ev[i].expires, 4);
	/* Then it refreshes before expiry (at half the lifetime), the same Call-ID */
	n = recv_req(fd, req, sizeof(req), &from, 4000, &a);
	cr_assert_gt(n, 0);
	cr_assert_geq(ms_now() - t0, 1500);
	cr_assert_lt(ms_now() - t0, 3500, "refresh after %llu ms",
		     (unsigned long long)(ms_now() - t0));
	cr_assert(strncmp(req, "REGISTER ", 9) == 0);
	/* reusing the nonce with the next count (RFC 7616 3.4.5), not waiting for a 401 */
	cr_assert(strstr(req, "nonce=\"n2\""), "%s", req);
	cr_assert(strstr(req, "nc=00000002"), "%s", req);
	/* When the refresh fails (503), Then reg-failed and a retry after retry_s (1 s) */
	reply(fd, req, n, &from, 503, NULL);
	t0 = ms_now();
	i = pump_until((struct party *[]){ &a }, 1, &a, PC_SIP_UA_EV_REG_FAILED, 0, 1000);
	cr_assert_geq(i, 0);
	cr_assert_eq(a.ev[i].code, 503);
	n = recv_req(fd, req, sizeof(req), &from, 3000, &a);
	cr_assert_gt(n, 0, "no retry");
	cr_assert_geq(ms_now() - t0, 800);
	party_fini(&a);
	close(fd);
}

static void two_accounts(struct pc_sip_ua_conf *c)
{
	c->naccounts = 2;
	c->account[1] = c->account[0];
	snprintf(c->account[1].user, sizeof(c->account[1].user), "bob2");
}

Test(sip_ua, several_accounts_incoming_goes_to_the_called_one)
{
	struct party a, b;
	struct party *all[] = { &a, &b };
	unsigned nall = 2, call;
	char uri[160];
	int i;

	party_init(&a, "alice", NULL);
	party_init(&b, "bob", two_accounts);
	snprintf(uri, sizeof(uri), "sip:bob2@127.0.0.1:%u", pc_sip_ua_port(b.ua));
	cr_assert_eq(pc_sip_ua_call(a.ua, 1, uri, &call), 0);
	i = pump_until(all, nall, &b, PC_SIP_UA_EV_INCOMING, 1, 3000);
	cr_assert_geq(i, 0);
	cr_assert_eq(b.ev[i].account, 2);
	cr_assert_eq(pc_sip_ua_call(a.ua, 1, b.uri, &call), 0);
	i = pump_until(all, nall, &b, PC_SIP_UA_EV_INCOMING, 2, 3000);
	cr_assert_geq(i, 0);
	cr_assert_eq(b.ev[i].account, 1);
	/* and an outgoing call from account 2 is from bob2 */
	cr_assert_eq(pc_sip_ua_call(b.ua, 2, a.uri, &call), 0);
	i = pump_until(all, nall, &a, PC_SIP_UA_EV_INCOMING, 0, 3000);
	cr_assert_geq(i, 0);
	party_fini(&a);
	party_fini(&b);
}

/* ---- hostile but parseable requests (regressions of review findings) ------------------------- */

/* Sends @msg to @p's UA from a fresh socket and returns the first final (or 180) answer's text
 * in @out (empty: none within @ms). */
static void raw_exchange(struct party *p, const char *msg, char *out, size_t cap, unsigned ms)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	uint64_t end = ms_now() + ms;

	to.sin_port = htons(pc_sip_ua_port(p->ua));
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	out[0] = 0;
	cr_assert_eq(sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&to, sizeof(to)),
		     (ssize_t)strlen(msg));
	while (ms_now() < end) {
		ssize_t n;

		pc_sip_ua_poll(p->ua, 2);
		n = recv(fd, out, cap - 1, MSG_DONTWAIT);
		if (n > 12) {
			out[n] = 0;
			if (strncmp(out, "SIP/2.0 100 ", 12) != 0)
				break;
		}
		out[0] = 0;
	}
	close(fd);
}

static char g_big[70000], g_ans[70000];

Test(sip_ua, require_with_long_unknown_tags_gets_420_without_overflow)
{
	struct party b;
	int n;

	party_init(&b, "bob", NULL);
	n = snprintf(g_big, sizeof(g_big),
		     "OPTIONS %s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKreq1\r\n"
		     "From: <sip:x@127.0.0.1>;tag=1\r\nTo: <%s>\r\nCall-ID: req1\r\n"
		     "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nRequire: ",
		     b.uri, b.uri);
	for (int i = 0; i < 8; i++) {
		n += snprintf(g_big + n, sizeof(g_big) - (size_t)n, "%stag%d", i ? ", " : "", i);
		for (int k = 0; k < 100; k++)
			g_big[n++] = 'x';
	}
	snprintf(g_big + n, sizeof(g_big) - (size_t)n, "\r\nContent-Length: 0\r\n\r\n");
	raw_exchange(&b, g_big, g_ans, sizeof(g_ans), 1000);
	cr_assert(strncmp(g_ans, "SIP/2.0 420 ", 12) == 0, "%.60s", g_ans);
	cr_assert(strstr(g_ans, "Unsupported: tag0"), "%.300s", g_ans);
	party_fini(&b);
}

static void invite_with(char *out, size_t cap, const struct party *b, const char *callid,
			const char *contact)
{
	snprintf(out, cap,
		 "INVITE %s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK%.20s\r\n"
		 "From: <sip:x@127.0.0.1>;tag=1\r\nTo: <%s>\r\nCall-ID: %s\r\n"
		 "CSeq: 1 INVITE\r\nMax-Forwards: 70\r\n%s\r\nContent-Length: 0\r\n\r\n",
		 b->uri, callid, b->uri, callid, contact);
}

Test(sip_ua, long_call_id_kept_whole_too_long_refused_contact_star_refused)
{
	struct party b;
	char cid[400];

	party_init(&b, "bob", NULL);
	/* 200 octets: held whole (the dialog matches it later) */
	memset(cid, 'c', 200);
	cid[200] = 0;
	invite_with(g_big, sizeof(g_big), &b, cid, "Contact: <sip:x@127.0.0.1:9>");
	raw_exchange(&b, g_big, g_ans, sizeof(g_ans), 1000);
	cr_assert(strncmp(g_ans, "SIP/2.0 180 ", 12) == 0, "%.60s", g_ans);
	cr_assert(strstr(g_ans, cid), "the Call-ID comes back whole");
	/* 300 octets: more than a dialog keeps: 400, not a cut copy */
	memset(cid, 'd', 300);
	cid[300] = 0;
	invite_with(g_big, sizeof(g_big), &b, cid, "Contact: <sip:x@127.0.0.1:9>");
	raw_exchange(&b, g_big, g_ans, sizeof(g_ans), 1000);
	cr_assert(strncmp(g_ans, "SIP/2.0 400 ", 12) == 0, "%.60s", g_ans);
	/* Contact '*' in an INVITE: 400 */
	invite_with(g_big, sizeof(g_big), &b, "star1", "Contact: *");
	raw_exchange(&b, g_big, g_ans, sizeof(g_ans), 1000);
	cr_assert(strncmp(g_ans, "SIP/2.0 400 ", 12) == 0, "%.60s", g_ans);
	party_fini(&b);
}

Test(sip_ua, out_of_dialog_answers_carry_a_to_tag)
{
	struct party b;

	party_init(&b, "bob", NULL);
	snprintf(g_big, sizeof(g_big),
		 "OPTIONS %s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKopt1\r\n"
		 "From: <sip:x@127.0.0.1>;tag=1\r\nTo: <%s>\r\nCall-ID: opt1\r\n"
		 "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
		 b.uri, b.uri);
	raw_exchange(&b, g_big, g_ans, sizeof(g_ans), 1000);
	cr_assert(strncmp(g_ans, "SIP/2.0 200 ", 12) == 0, "%.60s", g_ans);
	cr_assert(strstr(g_ans, ">;tag="), "%.400s", g_ans);
	party_fini(&b);
}

static void min_se_90(struct pc_sip_ua_conf *c)
{
	c->account[0].min_se_s = 90;
}

Test(sip_ua, session_interval_below_min_se_gets_422_and_the_caller_retries)
{
	struct party a, b;
	struct party *all[] = { &a, &b };
	unsigned nall = 2;
	struct pc_sip_ua_stats before, after;

	party_init(&a, "alice", session_timer_2s);
	party_init(&b, "bob", min_se_90);
	/* B's call 1 is the INVITE it refused with 422; the retry is its call 2 */
	connect_ab(all, nall, &a, &b, 1, 2);
	cr_assert_geq(find_ev(&b, PC_SIP_UA_EV_ENDED, 1, 0), 0);
	cr_assert_eq(b.ev[find_ev(&b, PC_SIP_UA_EV_ENDED, 1, 0)].code, 422);
	/* with the 90 s the 422 imposed, no refresh comes in the next 2.5 s (2 s would: 4+) */
	pc_sip_ua_stats(b.ua, &before);
	cr_assert_lt(pump_until(all, nall, &a, PC_SIP_UA_EV_ENDED, 1, 2500), 0);
	pc_sip_ua_stats(b.ua, &after);
	cr_assert_lt(after.rx_msgs - before.rx_msgs, 2, "refreshes came: %llu",
		     (unsigned long long)(after.rx_msgs - before.rx_msgs));
	party_fini(&a);
	party_fini(&b);
}

/* ---- robustness: the torture messages to a running UA --------------------------------------- */

/* The status of the best response on @fd within @ms, 0 for none: a 100 is kept only until a 180
 * or a final comes. Each message goes out from a socket of its own, so that answers to earlier
 * ones (a 481 that Timer G retransmits) cannot be taken for its answer. Only the status line is
 * read: a stateless answer to a broken request copies what it could. */
static unsigned read_status(int fd, unsigned ms)
{
	static char buf[70000];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t end = ms_now() + ms;
	unsigned status = 0;

	while (ms_now() < end) {
		unsigned code;
		ssize_t n;

		if (poll(&p, 1, 5) != 1)
			continue;
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n < 12 || strncmp(buf, "SIP/2.0 ", 8) != 0)
			continue;
		buf[n] = 0;
		code = (unsigned)strtoul(buf + 8, NULL, 10);
		if (code >= 180)
			return code;
		status = code;
	}
	return status;
}

static struct party g_b;

static void *ua_thread(void *arg)
{
	volatile int *stop = arg;

	while (!*stop)
		pc_sip_ua_poll(g_b.ua, 5);
	return NULL;
}

Test(sip_ua, torture_messages_answered_as_expected_then_a_call_works, .timeout = 60)
{
	char path[512], line[512];
	FILE *tsv;
	struct sockaddr_in to = { .sin_family = AF_INET };
	int fd;
	unsigned checked = 0, mismatches = 0;
	pthread_t th;
	volatile int stop = 0;

	snprintf(path, sizeof(path), "%s/EXPECTED.tsv", PC_TEST_SIP_DATA);
	tsv = fopen(path, "r");
	if (!tsv)
		cr_skip_test("no torture data at %s", PC_TEST_SIP_DATA);
	party_init(&g_b, "bob", NULL);
	to.sin_port = htons(pc_sip_ua_port(g_b.ua));
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(pthread_create(&th, NULL, ua_thread, (void *)&stop), 0);
	while (fgets(line, sizeof(line), tsv)) {
		char file[256], parse[16], uas[16];
		unsigned got, want;
		size_t len;
		char *msg;

		if (line[0] == '#' || sscanf(line, "%255s %15s %15s", file, parse, uas) != 3)
			continue;
		snprintf(path, sizeof(path), "%s/%s", PC_TEST_SIP_DATA, file);
		msg = read_all(path, &len);
		cr_assert_not_null(msg, "%s", path);
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		cr_assert_geq(fd, 0);
		cr_assert_eq(sendto(fd, msg, len, 0, (struct sockaddr *)&to, sizeof(to)),
			     (ssize_t)len);
		free(msg);
		got = read_status(fd, !strcmp(uas, "drop") || !strcmp(uas, "-") ? 150 : 1000);
		close(fd);
		checked++;
		cr_log_info("%s: want %s, got %u", file, uas, got);
		if (!strcmp(uas, "drop") || !strcmp(uas, "-")) {
			if (got) {
				mismatches++;
				cr_log_error("%s: expected no answer, got %u", file, got);
			}
			continue;
		}
		if (!strcmp(uas, "process")) {
			/* handled: no answer from the verdict's list (an ACK gets none) */
			if (got == 400 || got == 415 || got == 416 || got == 420 || got == 501 ||
			    got == 505) {
				mismatches++;
				cr_log_error("%s: expected it processed, got %u", file, got);
			}
			continue;
		}
		want = (unsigned)strtoul(uas, NULL, 10);
		if (got != want) {
			mismatches++;
			cr_log_error("%s: expected %u, got %u", file, want, got);
		}
	}
	fclose(tsv);
	stop = 1;
	pthread_join(th, NULL);
	cr_assert_gt(checked, 50);
	cr_assert_eq(mismatches, 0, "%u of %u torture answers differ", mismatches, checked);

	/* the ringing calls the torture INVITEs made: reject them, then a real call works */
	for (unsigned n = 1; n < 64; n++)
		if (pc_sip_ua_call_state(g_b.ua, n) == PC_SIP_UA_CALL_INCOMING)
			pc_sip_ua_reject(g_b.ua, n, 486);
	{
		struct party a;
		struct party *all[] = { &a, &g_b };
		unsigned nall = 2, call, bcall;
		int i;

		party_init(&a, "alice", NULL);
		g_b.nev = 0; /* forget the torture calls' events */
		cr_assert_eq(pc_sip_ua_call(a.ua, 1, g_b.uri, &call), 0);
		i = pump_until(all, nall, &g_b, PC_SIP_UA_EV_INCOMING, 0, 3000);
		cr_assert_geq(i, 0);
		bcall = g_b.ev[i].call;
		cr_assert_eq(pc_sip_ua_answer(g_b.ua, bcall), 0);
		WAIT(&a, PC_SIP_UA_EV_ESTABLISHED, call);
		party_fini(&a);
	}
	party_fini(&g_b);
}

/* Reads what arrives on @fd for @ms while polling @p; appends the datagrams' first lines
 * ("INVITE sip:..", "SIP/2.0 200 OK") to @lines (one per line); the last 200 OK, whole, into
 * @ok when not NULL. */
static void raw_collect(struct party *p, int fd, unsigned ms, char *lines, size_t cap, char *ok,
			size_t okcap)
{
	uint64_t end = ms_now() + ms;
	char buf[4096];

	while (ms_now() < end) {
		ssize_t n;

		pc_sip_ua_poll(p->ua, 2);
		while ((n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) > 0) {
			size_t used = strlen(lines);
			char *eol;

			buf[n] = 0;
			eol = strstr(buf, "\r\n");
			if (eol)
				snprintf(lines + used, cap - used, "%.*s\n", (int)(eol - buf), buf);
			if (ok && strncmp(buf, "SIP/2.0 200 ", 12) == 0)
				snprintf(ok, okcap, "%s", buf);
		}
	}
}

/* A raw UDP peer on loopback calling @b: its socket (bound, in *@fd), @b's address in *@to, and
 * its INVITE (with an SDP offer, Call-ID @cid) sent; returns the call number bob sees ringing. */
static unsigned raw_call_in(struct party *b, const char *cid, int *fd, struct sockaddr_in *to,
			    unsigned *my_port)
{
	struct sockaddr_in me = { .sin_family = AF_INET };
	socklen_t ml = sizeof(me);
	static char lines[16384], msg[2048];
	const char *sdp = "v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
			  "t=0 0\r\nm=audio 40000 RTP/AVP 0\r\n";
	int i;

	*fd = socket(AF_INET, SOCK_DGRAM, 0);
	me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(*fd, (struct sockaddr *)&me, sizeof(me)), 0);
	cr_assert_eq(getsockname(*fd, (struct sockaddr *)&me, &ml), 0);
	*my_port = ntohs(me.sin_port);
	memset(to, 0, sizeof(*to));
	to->sin_family = AF_INET;
	to->sin_port = htons(pc_sip_ua_port(b->ua));
	to->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	snprintf(msg, sizeof(msg),
		 "INVITE %s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK%s1\r\n"
		 "From: <sip:x@127.0.0.1>;tag=xa\r\nTo: <%s>\r\nCall-ID: %s\r\n"
		 "CSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContact: <sip:x@127.0.0.1:%u>\r\n"
		 "Content-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s",
		 b->uri, *my_port, cid, b->uri, cid, *my_port, strlen(sdp), sdp);
	cr_assert_gt(sendto(*fd, msg, strlen(msg), 0, (struct sockaddr *)to, sizeof(*to)), 0);
	lines[0] = 0;
	raw_collect(b, *fd, 200, lines, sizeof(lines), NULL, 0);
	i = find_ev(b, PC_SIP_UA_EV_INCOMING, 0, 0);
	cr_assert_geq(i, 0, "bob saw no incoming call: %s", lines);
	return b->ev[i].call;
}

Test(sip_ua, hangup_before_the_ack_sends_bye_only_after_it)
{
	static char lines[16384], ok[4096], msg[2048];
	struct sockaddr_in to;
	char totag[64] = "";
	unsigned call, port;
	const char *tp;
	struct party b;
	int fd;

	/* Given a call from a raw UDP peer that bob answers, and whose ACK is held back */
	party_init(&b, "bob", NULL);
	call = raw_call_in(&b, "bye-after-ack", &fd, &to, &port);
	cr_assert_eq(pc_sip_ua_answer(b.ua, call), 0);
	raw_collect(&b, fd, 50, lines, sizeof(lines), ok, sizeof(ok));
	cr_assert(ok[0], "no 200 OK: %s", lines);
	tp = strstr(ok, "\r\nTo:");
	cr_assert_not_null(tp);
	tp = strstr(tp, ";tag=");
	cr_assert_not_null(tp);
	sscanf(tp + 5, "%63[^;>\r\n ]", totag);
	/* When bob hangs up before the ACK */
	cr_assert_eq(pc_sip_ua_hangup(b.ua, call), 0);
	lines[0] = 0;
	raw_collect(&b, fd, 450, lines, sizeof(lines), NULL, 0);
	/* Then no BYE goes out, only the 2xx again (T1 = 100 ms: at 100, 300 ms) ... */
	cr_assert_null(strstr(lines, "BYE "), "BYE before the ACK: %s", lines);
	cr_assert_not_null(strstr(lines, "SIP/2.0 200 "), "2xx not retransmitted: %s", lines);
	/* ... and once the ACK comes, the BYE follows */
	snprintf(msg, sizeof(msg),
		 "ACK %s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKbya2\r\n"
		 "From: <sip:x@127.0.0.1>;tag=xa\r\nTo: <%s>;tag=%s\r\nCall-ID: bye-after-ack\r\n"
		 "CSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
		 b.uri, port, b.uri, totag);
	cr_assert_gt(sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&to, sizeof(to)), 0);
	lines[0] = 0;
	raw_collect(&b, fd, 300, lines, sizeof(lines), NULL, 0);
	cr_assert_not_null(strstr(lines, "BYE sip:x@127.0.0.1:"), "no BYE after the ACK: %s",
			   lines);
	/* ... and the phone, which hung up, is not told the call is established */
	cr_assert_lt(find_ev(&b, PC_SIP_UA_EV_ESTABLISHED, 0, 0), 0);
	close(fd);
	party_fini(&b);
}

Test(sip_ua, hangup_before_the_ack_then_shutdown_still_sends_the_bye)
{
	static char lines[16384];
	struct sockaddr_in to;
	unsigned call, port;
	struct party b;
	char buf[4096];
	uint64_t end;
	int fd;

	/* Given a call bob answered and hung up before its ACK */
	party_init(&b, "bob", NULL);
	call = raw_call_in(&b, "bye-at-shutdown", &fd, &to, &port);
	cr_assert_eq(pc_sip_ua_answer(b.ua, call), 0);
	cr_assert_eq(pc_sip_ua_hangup(b.ua, call), 0);
	/* When his UA shuts down before the ACK comes */
	party_fini(&b);
	/* Then the BYE goes out all the same */
	lines[0] = 0;
	end = ms_now() + 500;
	while (ms_now() < end && !strstr(lines, "BYE ")) {
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

		if (n > 0) {
			buf[n] = 0;
			snprintf(lines + strlen(lines), sizeof(lines) - strlen(lines), "%.20s\n",
				 buf);
		}
	}
	cr_assert_not_null(strstr(lines, "BYE "), "no BYE at shutdown: %s", lines);
	close(fd);
}

static void small_rtp_range(struct pc_sip_ua_conf *c)
{
	c->rtp_port_min = 31000;
	c->rtp_port_max = 31003; /* two pairs: 31000/1 and 31002/3 */
}

/* Waits up to @ms for an INVITE on @fd (polling @p); returns its m=audio port, the request in
 * @req, the sender in @from. */
static int raw_wait_invite(struct party *p, int fd, unsigned ms, char *req, size_t cap,
			   struct sockaddr_in *from)
{
	uint64_t end = ms_now() + ms;

	while (ms_now() < end) {
		socklen_t fl = sizeof(*from);
		ssize_t n;

		pc_sip_ua_poll(p->ua, 2);
		n = recvfrom(fd, req, cap - 1, MSG_DONTWAIT, (struct sockaddr *)from, &fl);
		if (n > 7 && strncmp(req, "INVITE ", 7) == 0) {
			const char *m;

			req[n] = 0;
			m = strstr(req, "m=audio ");
			return m ? atoi(m + 8) : -1;
		}
	}
	return -1;
}

/* Header @name's line of @req (without its CRLF) into @out. */
static const char *hdr_line(const char *req, const char *name, char *out, size_t cap)
{
	const char *h = strstr(req, name), *e = h ? strstr(h + 2, "\r\n") : NULL;

	out[0] = 0;
	if (h && e)
		snprintf(out, cap, "%.*s", (int)(e - h - 2), h + 2);
	return out;
}

Test(sip_ua, rtp_ports_skip_live_calls_and_bound_ports_and_run_out_cleanly)
{
	struct sockaddr_in peer = { .sin_family = AF_INET }, from,
			   taken = { .sin_family = AF_INET };
	socklen_t pl = sizeof(peer);
	int fd = socket(AF_INET, SOCK_DGRAM, 0), other = socket(AF_INET, SOCK_DGRAM, 0);
	static char req[8192], ans[8192];
	struct pc_sip_ua_stats st;
	char target[64];
	unsigned call, call2;
	struct party a;
	struct party *all[] = { &a };
	int port, i;

	/* Given alice with two RTP port pairs, the first bound by another program, and a raw
	 * UDP peer to call */
	party_init(&a, "alice", small_rtp_range);
	taken.sin_port = htons(31000);
	taken.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(other, (struct sockaddr *)&taken, sizeof(taken)), 0);
	peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&peer, sizeof(peer)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&peer, &pl), 0);
	snprintf(target, sizeof(target), "sip:raw@127.0.0.1:%u", ntohs(peer.sin_port));
	/* When she calls: the offer takes the pair nobody holds */
	cr_assert_eq(pc_sip_ua_call(a.ua, 1, target, &call), 0);
	port = raw_wait_invite(&a, fd, 1000, req, sizeof(req), &from);
	cr_assert_eq(port, 31002, "offered port %d", port);
	/* And a second call while the first lives finds no pair: refused, counted */
	cr_assert_eq(pc_sip_ua_call(a.ua, 1, target, &call2), -ENOSPC);
	pc_sip_ua_stats(a.ua, &st);
	cr_assert_eq(st.rtp_ports_exhausted, 1);
	/* When the first call ends (486) and the other program lets its port go */
	{
		char via[512], fr[256], to[256], cid[256], cseq[64];

		snprintf(ans, sizeof(ans),
			 "SIP/2.0 486 Busy Here\r\n%s\r\n%s\r\n%s;tag=r1\r\n%s\r\n%s\r\n"
			 "Content-Length: 0\r\n\r\n",
			 hdr_line(req, "\r\nVia:", via, sizeof(via)),
			 hdr_line(req, "\r\nFrom:", fr, sizeof(fr)),
			 hdr_line(req, "\r\nTo:", to, sizeof(to)),
			 hdr_line(req, "\r\nCall-ID:", cid, sizeof(cid)),
			 hdr_line(req, "\r\nCSeq:", cseq, sizeof(cseq)));
	}
	cr_assert_gt(sendto(fd, ans, strlen(ans), 0, (struct sockaddr *)&from, sizeof(from)), 0);
	i = pump_until(all, 1, &a, PC_SIP_UA_EV_ENDED, call, 2000);
	cr_assert_geq(i, 0, "the call did not end: %s", ans);
	cr_assert_eq(a.ev[i].code, 486);
	close(other);
	/* Then both pairs are free again: two calls at once get one each */
	cr_assert_eq(pc_sip_ua_call(a.ua, 1, target, &call), 0);
	cr_assert_eq(pc_sip_ua_call(a.ua, 1, target, &call2), 0);
	{
		int p1 = raw_wait_invite(&a, fd, 1000, req, sizeof(req), &from);
		int p2 = raw_wait_invite(&a, fd, 1000, req, sizeof(req), &from);

		cr_assert(p1 != p2 && (p1 == 31000 || p1 == 31002) && (p2 == 31000 || p2 == 31002),
			  "ports %d and %d", p1, p2);
	}
	close(fd);
	party_fini(&a);
}

static void top_rtp_range(struct pc_sip_ua_conf *c)
{
	c->rtp_port_min = 65532;
	c->rtp_port_max = 65535; /* two pairs at the very top: the next one must not wrap to 0 */
}

Test(sip_ua, rtp_range_at_the_top_of_the_port_space_runs_out_without_wrapping)
{
	struct sockaddr_in peer = { .sin_family = AF_INET }, from;
	socklen_t pl = sizeof(peer);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	static char req[8192];
	struct pc_sip_ua_stats st;
	unsigned call[3];
	char target[64];
	struct party a;
	int p1, p2;

	party_init(&a, "alice", top_rtp_range);
	peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&peer, sizeof(peer)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&peer, &pl), 0);
	snprintf(target, sizeof(target), "sip:raw@127.0.0.1:%u", ntohs(peer.sin_port));
	cr_assert_eq(pc_sip_ua_call(a.ua, 1, target, &call[0]), 0);
	cr_assert_eq(pc_sip_ua_call(a.ua, 1, target, &call[1]), 0);
	p1 = raw_wait_invite(&a, fd, 1000, req, sizeof(req), &from);
	p2 = raw_wait_invite(&a, fd, 1000, req, sizeof(req), &from);
	cr_assert(p1 != p2 && (p1 == 65532 || p1 == 65534) && (p2 == 65532 || p2 == 65534),
		  "ports %d and %d", p1, p2);
	/* The third finds the range full: refused and counted, not offered port 0 or 2 */
	cr_assert_eq(pc_sip_ua_call(a.ua, 1, target, &call[2]), -ENOSPC);
	pc_sip_ua_stats(a.ua, &st);
	cr_assert_eq(st.rtp_ports_exhausted, 1);
	close(fd);
	party_fini(&a);
}
