/* SPDX-License-Identifier: MIT */
/* sip_txn_test.c - the transaction layer (pc_sip_txn.h) on a clock the tests drive, over a fake
 * transport that records what is sent and can lose messages. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_sip_txn.h"

#define MAX_SENT 256

struct peer {
	int id;
};

struct sent {
	uint64_t at;
	char buf[2048];
	size_t len;
};

struct rig {
	struct pc_sip_txn_layer *layer;
	uint64_t now;
	struct sent sent[MAX_SENT];
	unsigned nsent;
	int fail_send; /* nonzero: the transport returns it */

	/* What the TU saw. */
	unsigned requests, acks_up, responses, strays;
	unsigned last_status;
	struct pc_sip_txn *last_req_txn;
	unsigned terminated;
	enum pc_sip_txn_end last_end;
	/* Auto answer of the TU on a request (0: none). */
	unsigned auto_status;
};

static int fake_send(void *ctx, const void *peer, const void *buf, size_t len)
{
	struct rig *r = ctx;

	(void)peer;
	if (r->fail_send)
		return r->fail_send;
	cr_assert_lt(r->nsent, MAX_SENT);
	cr_assert_lt(len, sizeof(r->sent[0].buf));
	r->sent[r->nsent].at = r->now;
	memcpy(r->sent[r->nsent].buf, buf, len);
	r->sent[r->nsent].buf[len] = 0;
	r->sent[r->nsent].len = len;
	r->nsent++;
	return 0;
}

static char resp_buf[2048];

/* A response to the request @req with @status, a To tag added for finals. */
static size_t make_response(char *out, size_t cap, const struct pc_sip_msg *req, unsigned status)
{
	int n = snprintf(out, cap, "SIP/2.0 %u X\r\n", status);

	for (unsigned i = 0; i < req->nheaders; i++) {
		const struct pc_sip_header *h = &req->headers[i];

		if (h->id == PC_SIP_HDR_VIA || h->id == PC_SIP_HDR_FROM ||
		    h->id == PC_SIP_HDR_CALL_ID || h->id == PC_SIP_HDR_CSEQ)
			n += snprintf(out + n, cap - (size_t)n, "%s: %.*s\r\n",
				      pc_sip_hdr_name(h->id), (int)h->value.len, h->value.p);
		if (h->id == PC_SIP_HDR_TO)
			n += snprintf(out + n, cap - (size_t)n, "To: %.*s%s\r\n", (int)h->value.len,
				      h->value.p, status >= 200 ? ";tag=uas1" : "");
	}
	n += snprintf(out + n, cap - (size_t)n, "Content-Length: 0\r\n\r\n");
	return (size_t)n;
}

static void on_request(void *ctx, struct pc_sip_txn *txn, const struct pc_sip_msg *msg,
		       const void *buf, size_t len, const void *peer)
{
	struct rig *r = ctx;

	(void)buf;
	(void)len;
	(void)peer;
	if (!txn) {
		r->acks_up++;
		return;
	}
	r->requests++;
	r->last_req_txn = txn;
	if (r->auto_status) {
		size_t n = make_response(resp_buf, sizeof(resp_buf), msg, r->auto_status);

		cr_assert_eq(pc_sip_txn_respond(txn, resp_buf, n, r->now), 0);
	}
}

static void on_response(void *ctx, struct pc_sip_txn *txn, void *user, const struct pc_sip_msg *msg,
			const void *buf, size_t len)
{
	struct rig *r = ctx;

	(void)user;
	(void)buf;
	(void)len;
	if (!txn)
		r->strays++;
	else
		r->responses++;
	r->last_status = msg->status;
}

static void on_terminated(void *ctx, struct pc_sip_txn *txn, void *user, enum pc_sip_txn_end why)
{
	struct rig *r = ctx;

	(void)txn;
	(void)user;
	r->terminated++;
	r->last_end = why;
}

static const struct pc_sip_txn_ops rig_ops = {
	.send = fake_send,
	.on_request = on_request,
	.on_response = on_response,
	.on_terminated = on_terminated,
};

static struct rig *rig_new(uint32_t trying_after)
{
	struct rig *r = calloc(1, sizeof(*r));
	struct pc_sip_txn_conf conf = { .peer_size = sizeof(struct peer),
					.trying_after_ms = trying_after };

	cr_assert_not_null(r);
	cr_assert_eq(pc_sip_txn_layer_create(&r->layer, &conf, &rig_ops, r), 0);
	return r;
}

static void rig_free(struct rig *r)
{
	pc_sip_txn_layer_destroy(r->layer);
	free(r);
}

/* Advance the clock to @until, firing timers at their exact due times. */
static void run_until(struct rig *r, uint64_t until)
{
	for (;;) {
		uint64_t due = pc_sip_txn_next_due(r->layer);

		if (due > until)
			break;
		if (due > r->now)
			r->now = due;
		pc_sip_txn_tick(r->layer, r->now);
	}
	r->now = until;
}

static const struct peer P = { 1 };

static char req_buf[2048];

static size_t make_request(const char *method, const char *branch, unsigned cseq)
{
	return (size_t)snprintf(req_buf, sizeof(req_buf),
				"%s sip:bob@example.com SIP/2.0\r\n"
				"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=%s\r\n"
				"Route: <sip:proxy.example.com;lr>\r\n"
				"Max-Forwards: 70\r\n"
				"From: Alice <sip:alice@example.com>;tag=a1\r\n"
				"To: Bob <sip:bob@example.com>\r\n"
				"Call-ID: c1@192.0.2.1\r\n"
				"CSeq: %u %s\r\n"
				"Content-Length: 0\r\n\r\n",
				method, branch, cseq, method);
}

/* Feeds the response @status to the request of the rig's client transaction. */
static void answer(struct rig *r, const char *req, size_t reqlen, unsigned status)
{
	struct pc_sip_msg m;
	char buf[2048];
	size_t n;

	cr_assert_eq(pc_sip_msg_parse(&m, req, reqlen, NULL, 0), 0);
	n = make_response(buf, sizeof(buf), &m, status);
	cr_assert_eq(pc_sip_txn_receive(r->layer, buf, n, &P, false, r->now), 0);
}

static void check_times(const struct rig *r, const uint64_t *want, unsigned n)
{
	cr_assert_eq(r->nsent, n, "sent %u, want %u", r->nsent, n);
	for (unsigned i = 0; i < n; i++)
		cr_expect_eq(r->sent[i].at, want[i], "send %u at %llu, want %llu", i,
			     (unsigned long long)r->sent[i].at, (unsigned long long)want[i]);
}

Test(sip_txn, client_invite_timer_a_then_b)
{
	/* Given an INVITE over UDP that nobody answers */
	struct rig *r = rig_new(0);
	size_t n = make_request("INVITE", "z9hG4bKa1", 1);
	static const uint64_t want[] = { 0, 500, 1500, 3500, 7500, 15500, 31500 };

	cr_assert_eq(pc_sip_txn_client_start(r->layer, NULL, req_buf, n, &P, false, NULL, 0), 0);
	/* When the clock runs past 64*T1 */
	run_until(r, 40000);
	/* Then Timer A doubled without cap, and Timer B ended it at 32 s */
	check_times(r, want, 7);
	cr_assert_eq(r->terminated, 1);
	cr_assert_eq(r->last_end, PC_SIP_TXN_END_TIMEOUT);
	cr_assert_eq(pc_sip_txn_count(r->layer), 0);
	rig_free(r);
}

Test(sip_txn, client_non_invite_timer_e_capped_then_f)
{
	struct rig *r = rig_new(0);
	size_t n = make_request("REGISTER", "z9hG4bKr1", 1);
	static const uint64_t want[] = { 0,	500,   1500,  3500,  7500, 11500,
					 15500, 19500, 23500, 27500, 31500 };

	cr_assert_eq(pc_sip_txn_client_start(r->layer, NULL, req_buf, n, &P, false, NULL, 0), 0);
	run_until(r, 40000);
	check_times(r, want, 11);
	cr_assert_eq(r->last_end, PC_SIP_TXN_END_TIMEOUT);
	rig_free(r);
}

Test(sip_txn, client_non_invite_proceeding_every_t2_then_k)
{
	struct rig *r = rig_new(0);
	size_t n = make_request("REGISTER", "z9hG4bKr2", 1);
	char req[2048];
	struct pc_sip_txn *t = NULL;

	memcpy(req, req_buf, n);
	cr_assert_eq(pc_sip_txn_client_start(r->layer, &t, req, n, &P, false, NULL, 0), 0);
	run_until(r, 700);
	answer(r, req, n, 100);
	cr_assert_eq(pc_sip_txn_state(t), PC_SIP_TXN_PROCEEDING);
	/* E already armed for 1500 fires, then every T2 */
	run_until(r, 6000);
	{
		static const uint64_t want[] = { 0, 500, 1500, 5500 };

		check_times(r, want, 4);
	}
	answer(r, req, n, 200);
	cr_assert_eq(r->responses, 2);
	cr_assert_eq(pc_sip_txn_state(t), PC_SIP_TXN_COMPLETED);
	/* a retransmitted 200 in Completed is absorbed */
	r->now = 8000;
	answer(r, req, n, 200);
	cr_assert_eq(r->responses, 2);
	run_until(r, 10999);
	cr_assert_eq(r->terminated, 0);
	run_until(r, 11000);
	cr_assert_eq(r->terminated, 1);
	cr_assert_eq(r->last_end, PC_SIP_TXN_END_NORMAL);
	cr_assert_eq(r->nsent, 4, "no more retransmissions after the final");
	rig_free(r);
}

Test(sip_txn, client_invite_486_acked_by_layer_and_absorbed)
{
	struct rig *r = rig_new(0);
	size_t n = make_request("INVITE", "z9hG4bKi2", 7);
	char req[2048];
	struct pc_sip_txn *t = NULL;
	const char *ack;

	memcpy(req, req_buf, n);
	cr_assert_eq(pc_sip_txn_client_start(r->layer, &t, req, n, &P, false, NULL, 0), 0);
	r->now = 100;
	answer(r, req, n, 180);
	cr_assert_eq(pc_sip_txn_state(t), PC_SIP_TXN_PROCEEDING);
	run_until(r, 60000); /* Proceeding: no retransmission, no Timer B */
	cr_assert_eq(r->nsent, 1);
	cr_assert_eq(r->terminated, 0);
	answer(r, req, n, 486);
	/* Then the layer sends the ACK itself and passes the 486 up once */
	cr_assert_eq(r->nsent, 2);
	ack = r->sent[1].buf;
	cr_expect(strncmp(ack, "ACK sip:bob@example.com SIP/2.0\r\n", 33) == 0, "%s", ack);
	cr_expect(strstr(ack, "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKi2\r\n"), "%s", ack);
	cr_expect(strstr(ack, "Route: <sip:proxy.example.com;lr>\r\n"), "%s", ack);
	cr_expect(strstr(ack, "To: Bob <sip:bob@example.com>;tag=uas1\r\n"), "%s", ack);
	cr_expect(strstr(ack, "CSeq: 7 ACK\r\n"), "%s", ack);
	cr_expect(strstr(ack, "Call-ID: c1@192.0.2.1\r\n"), "%s", ack);
	cr_assert_eq(r->responses, 2);
	cr_assert_eq(r->last_status, 486);
	/* a retransmitted 486: ACK again, not passed up */
	answer(r, req, n, 486);
	cr_assert_eq(r->nsent, 3);
	cr_assert_eq(r->responses, 2);
	cr_assert_eq(pc_sip_txn_state(t), PC_SIP_TXN_COMPLETED);
	/* Timer D: 32 s */
	run_until(r, 60000 + 31999);
	cr_assert_eq(r->terminated, 0);
	run_until(r, 60000 + 32000);
	cr_assert_eq(r->terminated, 1);
	cr_assert_eq(r->last_end, PC_SIP_TXN_END_NORMAL);
	rig_free(r);
}

Test(sip_txn, client_invite_2xx_accepted_then_timer_m_then_stray)
{
	struct rig *r = rig_new(0);
	size_t n = make_request("INVITE", "z9hG4bKi3", 1);
	char req[2048];
	struct pc_sip_txn *t = NULL;

	memcpy(req, req_buf, n);
	cr_assert_eq(pc_sip_txn_client_start(r->layer, &t, req, n, &P, false, NULL, 0), 0);
	answer(r, req, n, 200);
	cr_assert_eq(pc_sip_txn_state(t), PC_SIP_TXN_ACCEPTED);
	cr_assert_eq(r->nsent, 1, "no ACK for a 2xx from the layer");
	/* RFC 6026: retransmitted 2xx go up for the TU to ACK again */
	r->now = 1000;
	answer(r, req, n, 200);
	cr_assert_eq(r->responses, 2);
	run_until(r, 32000);
	cr_assert_eq(r->terminated, 1);
	answer(r, req, n, 200);
	cr_assert_eq(r->strays, 1);
	rig_free(r);
}

Test(sip_txn, reliable_transport_no_retransmission_and_k_zero)
{
	struct rig *r = rig_new(0);
	size_t n = make_request("OPTIONS", "z9hG4bKo1", 1);
	char req[2048];

	memcpy(req, req_buf, n);
	cr_assert_eq(pc_sip_txn_client_start(r->layer, NULL, req, n, &P, true, NULL, 0), 0);
	run_until(r, 20000);
	cr_assert_eq(r->nsent, 1);
	{
		struct pc_sip_msg m;
		char buf[2048];
		size_t rn;

		cr_assert_eq(pc_sip_msg_parse(&m, req, n, NULL, 0), 0);
		rn = make_response(buf, sizeof(buf), &m, 200);
		cr_assert_eq(pc_sip_txn_receive(r->layer, buf, rn, &P, true, r->now), 0);
	}
	/* Timer K is 0 on a reliable transport: ended at once */
	cr_assert_eq(r->terminated, 1);
	cr_assert_eq(r->last_end, PC_SIP_TXN_END_NORMAL);
	cr_assert_eq(pc_sip_txn_count(r->layer), 0);
	rig_free(r);
}

Test(sip_txn, server_non_invite_absorbs_and_resends_then_j)
{
	struct rig *r = rig_new(0);
	size_t n = make_request("OPTIONS", "z9hG4bKs1", 3);
	struct pc_sip_msg m;
	char resp[2048];
	size_t rn;

	cr_assert_eq(pc_sip_txn_receive(r->layer, req_buf, n, &P, false, 0), 0);
	cr_assert_eq(r->requests, 1);
	/* a retransmission before we answered: absorbed, nothing sent */
	cr_assert_eq(pc_sip_txn_receive(r->layer, req_buf, n, &P, false, 500), 0);
	cr_assert_eq(r->requests, 1);
	cr_assert_eq(r->nsent, 0);
	cr_assert_eq(pc_sip_msg_parse(&m, req_buf, n, NULL, 0), 0);
	rn = make_response(resp, sizeof(resp), &m, 200);
	r->now = 600;
	cr_assert_eq(pc_sip_txn_respond(r->last_req_txn, resp, rn, 600), 0);
	cr_assert_eq(r->nsent, 1);
	cr_assert_eq(pc_sip_txn_respond(r->last_req_txn, resp, rn, 600), -EPROTO);
	/* a retransmission now gets the 200 again */
	cr_assert_eq(pc_sip_txn_receive(r->layer, req_buf, n, &P, false, 1000), 0);
	cr_assert_eq(r->nsent, 2);
	cr_assert_eq(r->requests, 1);
	/* Timer J = 64*T1 */
	run_until(r, 600 + 32000);
	cr_assert_eq(r->terminated, 1);
	/* after J the same request is new again */
	cr_assert_eq(pc_sip_txn_receive(r->layer, req_buf, n, &P, false, r->now), 0);
	cr_assert_eq(r->requests, 2);
	rig_free(r);
}

Test(sip_txn, server_invite_trying_then_486_timer_g_until_ack_then_i)
{
	struct rig *r = rig_new(0);
	size_t n = make_request("INVITE", "z9hG4bKs2", 5);
	struct pc_sip_msg m;
	char req[2048], resp[2048], ack[2048];
	size_t rn, an;

	memcpy(req, req_buf, n);
	cr_assert_eq(pc_sip_txn_receive(r->layer, req, n, &P, false, 0), 0);
	/* Then a 100 Trying went out at once, copying Via, From, To, Call-ID and CSeq */
	cr_assert_eq(r->nsent, 1);
	cr_expect(strncmp(r->sent[0].buf, "SIP/2.0 100 Trying\r\n", 20) == 0);
	cr_expect(strstr(r->sent[0].buf, "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKs2\r\n"));
	cr_expect(strstr(r->sent[0].buf, "CSeq: 5 INVITE\r\n"));
	cr_expect(strstr(r->sent[0].buf, "To: Bob <sip:bob@example.com>\r\n"));
	cr_expect_null(strstr(r->sent[0].buf, "Route:"));
	/* a retransmitted INVITE gets the 100 again */
	r->now = 200;
	cr_assert_eq(pc_sip_txn_receive(r->layer, req, n, &P, false, 200), 0);
	cr_assert_eq(r->nsent, 2);
	cr_assert_eq(r->requests, 1);

	cr_assert_eq(pc_sip_msg_parse(&m, req, n, NULL, 0), 0);
	rn = make_response(resp, sizeof(resp), &m, 486);
	r->now = 1000;
	cr_assert_eq(pc_sip_txn_respond(r->last_req_txn, resp, rn, 1000), 0);
	cr_assert_eq(pc_sip_txn_state(r->last_req_txn), PC_SIP_TXN_COMPLETED);
	/* Timer G: 1500, 2500, 4500, 8500 (then capped at T2) */
	run_until(r, 9000);
	{
		static const uint64_t want[] = { 0, 200, 1000, 1500, 2500, 4500, 8500 };

		check_times(r, want, 7);
	}
	/* The ACK (same branch) confirms; Timer I = T4 absorbs more ACKs */
	an = (size_t)snprintf(ack, sizeof(ack),
			      "ACK sip:bob@example.com SIP/2.0\r\n"
			      "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKs2\r\n"
			      "Max-Forwards: 70\r\nFrom: Alice <sip:alice@example.com>;tag=a1\r\n"
			      "To: Bob <sip:bob@example.com>;tag=uas1\r\nCall-ID: c1@192.0.2.1\r\n"
			      "CSeq: 5 ACK\r\nContent-Length: 0\r\n\r\n");
	cr_assert_eq(pc_sip_txn_receive(r->layer, ack, an, &P, false, 9000), 0);
	cr_assert_eq(pc_sip_txn_state(r->last_req_txn), PC_SIP_TXN_CONFIRMED);
	cr_assert_eq(r->acks_up, 0, "the ACK of a non-2xx stays in the transaction");
	cr_assert_eq(pc_sip_txn_receive(r->layer, ack, an, &P, false, 9100), 0);
	run_until(r, 13999);
	cr_assert_eq(r->nsent, 7, "no retransmission after the ACK");
	cr_assert_eq(r->terminated, 0);
	run_until(r, 14000);
	cr_assert_eq(r->terminated, 1);
	cr_assert_eq(r->last_end, PC_SIP_TXN_END_NORMAL);
	rig_free(r);
}

Test(sip_txn, server_invite_no_ack_timer_h)
{
	struct rig *r = rig_new(0);
	size_t n = make_request("INVITE", "z9hG4bKs3", 5);

	r->auto_status = 603;
	cr_assert_eq(pc_sip_txn_receive(r->layer, req_buf, n, &P, false, 0), 0);
	run_until(r, 31999);
	cr_assert_eq(r->terminated, 0);
	run_until(r, 32000);
	cr_assert_eq(r->terminated, 1);
	cr_assert_eq(r->last_end, PC_SIP_TXN_END_TIMEOUT);
	rig_free(r);
}

Test(sip_txn, server_invite_trying_after_200ms_only_if_tu_silent)
{
	struct rig *r = rig_new(200);
	size_t n = make_request("INVITE", "z9hG4bKs4", 1);
	struct pc_sip_msg m;
	char req[2048], resp[2048];
	size_t rn;

	memcpy(req, req_buf, n);
	cr_assert_eq(pc_sip_txn_receive(r->layer, req, n, &P, false, 0), 0);
	cr_assert_eq(r->nsent, 0);
	run_until(r, 200);
	cr_assert_eq(r->nsent, 1);
	cr_expect(strncmp(r->sent[0].buf, "SIP/2.0 100 Trying", 18) == 0);

	/* another INVITE answered 180 at 50 ms: no 100 from the layer */
	n = make_request("INVITE", "z9hG4bKs5", 1);
	memcpy(req, req_buf, n);
	cr_assert_eq(pc_sip_txn_receive(r->layer, req, n, &P, false, 300), 0);
	cr_assert_eq(pc_sip_msg_parse(&m, req, n, NULL, 0), 0);
	rn = make_response(resp, sizeof(resp), &m, 180);
	r->now = 350;
	cr_assert_eq(pc_sip_txn_respond(r->last_req_txn, resp, rn, 350), 0);
	run_until(r, 1000);
	cr_assert_eq(r->nsent, 2);
	cr_expect(strncmp(r->sent[1].buf, "SIP/2.0 180", 11) == 0);
	rig_free(r);
}

Test(sip_txn, server_invite_2xx_accepted_absorbs_invite_ack_goes_up_then_l)
{
	struct rig *r = rig_new(0);
	size_t n = make_request("INVITE", "z9hG4bKs6", 2);
	char req[2048], ack[2048];
	size_t an;

	memcpy(req, req_buf, n);
	r->auto_status = 200;
	cr_assert_eq(pc_sip_txn_receive(r->layer, req, n, &P, false, 0), 0);
	cr_assert_eq(r->nsent, 2); /* 100, 200 */
	cr_assert_eq(pc_sip_txn_state(r->last_req_txn), PC_SIP_TXN_ACCEPTED);
	/* RFC 6026: a retransmitted INVITE in Accepted is absorbed, not answered by the layer */
	cr_assert_eq(pc_sip_txn_receive(r->layer, req, n, &P, false, 500), 0);
	cr_assert_eq(r->nsent, 2);
	cr_assert_eq(r->requests, 1);
	/* the TU may retransmit its 2xx through the transaction */
	{
		struct pc_sip_msg m;
		char resp[2048];
		size_t rn;

		cr_assert_eq(pc_sip_msg_parse(&m, req, n, NULL, 0), 0);
		rn = make_response(resp, sizeof(resp), &m, 200);
		cr_assert_eq(pc_sip_txn_respond(r->last_req_txn, resp, rn, 500), 0);
		cr_assert_eq(r->nsent, 3);
		rn = make_response(resp, sizeof(resp), &m, 180);
		cr_assert_eq(pc_sip_txn_respond(r->last_req_txn, resp, rn, 500), -EPROTO);
	}
	/* the ACK of the 2xx has its own branch: no transaction, up to the TU */
	an = (size_t)snprintf(ack, sizeof(ack),
			      "ACK sip:bob@192.0.2.2 SIP/2.0\r\n"
			      "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKack6\r\n"
			      "Max-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=a1\r\n"
			      "To: <sip:bob@example.com>;tag=uas1\r\nCall-ID: c1@192.0.2.1\r\n"
			      "CSeq: 2 ACK\r\nContent-Length: 0\r\n\r\n");
	cr_assert_eq(pc_sip_txn_receive(r->layer, ack, an, &P, false, 600), 0);
	cr_assert_eq(r->acks_up, 1);
	run_until(r, 32000);
	cr_assert_eq(r->terminated, 1);
	cr_assert_eq(r->last_end, PC_SIP_TXN_END_NORMAL);
	rig_free(r);
}

Test(sip_txn, cancel_finds_its_invite)
{
	struct rig *r = rig_new(0);
	size_t n = make_request("INVITE", "z9hG4bKc1", 1);
	struct pc_sip_txn *inv;
	struct pc_sip_msg m;

	cr_assert_eq(pc_sip_txn_receive(r->layer, req_buf, n, &P, false, 0), 0);
	inv = r->last_req_txn;
	n = make_request("CANCEL", "z9hG4bKc1", 1);
	cr_assert_eq(pc_sip_msg_parse(&m, req_buf, n, NULL, 0), 0);
	cr_assert_eq(pc_sip_txn_find_cancelled(r->layer, &m), inv);
	/* the CANCEL is its own server transaction */
	cr_assert_eq(pc_sip_txn_receive(r->layer, req_buf, n, &P, false, 10), 0);
	cr_assert_eq(r->requests, 2);
	cr_assert_neq(r->last_req_txn, inv);
	n = make_request("CANCEL", "z9hG4bKother", 1);
	cr_assert_eq(pc_sip_msg_parse(&m, req_buf, n, NULL, 0), 0);
	cr_assert_null(pc_sip_txn_find_cancelled(r->layer, &m));
	rig_free(r);
}

Test(sip_txn, bad_input_and_limits)
{
	struct rig *r = calloc(1, sizeof(*r));
	struct pc_sip_txn_conf conf = { .peer_size = sizeof(struct peer), .max_txns = 2 };
	size_t n;

	cr_assert_eq(pc_sip_txn_layer_create(&r->layer, &conf, &rig_ops, r), 0);
	cr_assert_eq(pc_sip_txn_receive(r->layer, "garbage", 7, &P, false, 0), -EBADMSG);
	/* a client request without the magic cookie */
	n = make_request("OPTIONS", "1234", 1);
	cr_assert_eq(pc_sip_txn_client_start(r->layer, NULL, req_buf, n, &P, false, NULL, 0),
		     -EBADMSG);
	n = make_request("ACK", "z9hG4bKx", 1);
	cr_assert_eq(pc_sip_txn_client_start(r->layer, NULL, req_buf, n, &P, false, NULL, 0),
		     -EINVAL);
	n = make_request("OPTIONS", "z9hG4bK1", 1);
	cr_assert_eq(pc_sip_txn_client_start(r->layer, NULL, req_buf, n, &P, false, NULL, 0), 0);
	cr_assert_eq(pc_sip_txn_client_start(r->layer, NULL, req_buf, n, &P, false, NULL, 0),
		     -EEXIST);
	n = make_request("OPTIONS", "z9hG4bK2", 1);
	cr_assert_eq(pc_sip_txn_client_start(r->layer, NULL, req_buf, n, &P, false, NULL, 0), 0);
	n = make_request("OPTIONS", "z9hG4bK3", 1);
	cr_assert_eq(pc_sip_txn_client_start(r->layer, NULL, req_buf, n, &P, false, NULL, 0),
		     -ENOSPC);
	n = make_request("OPTIONS", "z9hG4bK4", 1);
	cr_assert_eq(pc_sip_txn_receive(r->layer, req_buf, n, &P, false, 0), -ENOSPC);
	/* an RFC 2543 request (no cookie) is still matched as a server transaction */
	pc_sip_txn_layer_destroy(r->layer);
	cr_assert_eq(r->terminated, 2);
	cr_assert_eq(r->last_end, PC_SIP_TXN_END_ABORTED);
	free(r);
}

Test(sip_txn, rfc2543_request_matched_without_cookie)
{
	struct rig *r = rig_new(0);
	size_t n = make_request("OPTIONS", "oldstyle1", 9);

	cr_assert_eq(pc_sip_txn_receive(r->layer, req_buf, n, &P, false, 0), 0);
	cr_assert_eq(pc_sip_txn_receive(r->layer, req_buf, n, &P, false, 100), 0);
	cr_assert_eq(r->requests, 1);
	rig_free(r);
}

Test(sip_txn, transport_failure_ends_transaction)
{
	struct rig *r = rig_new(0);
	size_t n = make_request("INVITE", "z9hG4bKf1", 1);

	cr_assert_eq(pc_sip_txn_client_start(r->layer, NULL, req_buf, n, &P, false, NULL, 0), 0);
	r->fail_send = -ECONNREFUSED;
	run_until(r, 600);
	cr_assert_eq(r->terminated, 1);
	cr_assert_eq(r->last_end, PC_SIP_TXN_END_TRANSPORT);
	cr_assert_eq(pc_sip_txn_next_due(r->layer), UINT64_MAX);
	rig_free(r);
}

/* ---- two layers over a lossy network ------------------------------------------------------ */

#define NET_MAX 64

struct net_msg {
	int to; /* 0 client, 1 server */
	uint64_t at;
	size_t len;
	char buf[1500];
};

struct net {
	struct net_msg q[NET_MAX * 8];
	unsigned n;
	unsigned seed;
	unsigned loss_pct;
	struct pc_sip_txn_layer *side[2];
	uint64_t now;
	unsigned server_requests, client_finals, client_timeouts, dup_finals;
	unsigned finals_per_txn[NET_MAX];
};

struct end {
	struct net *net;
	int me;
};

static unsigned lcg(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return (*s >> 16) & 0x7fff;
}

static int net_send(void *ctx, const void *peer, const void *buf, size_t len)
{
	struct end *e = ctx;
	struct net *net = e->net;

	(void)peer;
	if (lcg(&net->seed) % 100 < net->loss_pct)
		return 0; /* lost on the way */
	cr_assert_lt(net->n, NET_MAX * 8);
	cr_assert_lt(len, sizeof(net->q[0].buf));
	net->q[net->n].to = !e->me;
	net->q[net->n].at = net->now + 5 + lcg(&net->seed) % 40; /* 5-45 ms one way */
	net->q[net->n].len = len;
	memcpy(net->q[net->n].buf, buf, len);
	net->n++;
	return 0;
}

static struct net *g_net;

static void srv_request(void *ctx, struct pc_sip_txn *txn, const struct pc_sip_msg *msg,
			const void *buf, size_t len, const void *peer)
{
	char resp[2048];
	size_t n;

	(void)ctx;
	(void)buf;
	(void)len;
	(void)peer;
	if (!txn)
		return;
	g_net->server_requests++;
	n = make_response(resp, sizeof(resp), msg, 486);
	cr_assert_eq(pc_sip_txn_respond(txn, resp, n, g_net->now), 0);
}

static void cli_response(void *ctx, struct pc_sip_txn *txn, void *user,
			 const struct pc_sip_msg *msg, const void *buf, size_t len)
{
	uintptr_t i = (uintptr_t)user;

	(void)ctx;
	(void)buf;
	(void)len;
	if (!txn || msg->status < 200)
		return;
	g_net->finals_per_txn[i]++;
	g_net->client_finals++;
}

static void cli_terminated(void *ctx, struct pc_sip_txn *txn, void *user, enum pc_sip_txn_end why)
{
	(void)ctx;
	(void)txn;
	(void)user;
	if (why == PC_SIP_TXN_END_TIMEOUT)
		g_net->client_timeouts++;
}

static void unused_request(void *ctx, struct pc_sip_txn *txn, const struct pc_sip_msg *msg,
			   const void *buf, size_t len, const void *peer)
{
	(void)ctx;
	(void)txn;
	(void)msg;
	(void)buf;
	(void)len;
	(void)peer;
}

static void unused_response(void *ctx, struct pc_sip_txn *txn, void *user,
			    const struct pc_sip_msg *msg, const void *buf, size_t len)
{
	(void)ctx;
	(void)txn;
	(void)user;
	(void)msg;
	(void)buf;
	(void)len;
}

Test(sip_txn, invite_over_lossy_path_completes_once)
{
	/* Given 40 INVITEs through a network losing 30% of messages each way, every one answered
	 * 486 by the server TU */
	static struct net net;
	struct end ce = { &net, 0 }, se = { &net, 1 };
	struct pc_sip_txn_conf conf = { .peer_size = sizeof(struct peer) };
	struct pc_sip_txn_ops cops = { .send = net_send,
				       .on_request = unused_request,
				       .on_response = cli_response,
				       .on_terminated = cli_terminated };
	struct pc_sip_txn_ops sops = { .send = net_send,
				       .on_request = srv_request,
				       .on_response = unused_response };
	const unsigned calls = 40;

	memset(&net, 0, sizeof(net));
	net.seed = 12345;
	net.loss_pct = 30;
	g_net = &net;
	cr_assert_eq(pc_sip_txn_layer_create(&net.side[0], &conf, &cops, &ce), 0);
	cr_assert_eq(pc_sip_txn_layer_create(&net.side[1], &conf, &sops, &se), 0);
	for (unsigned i = 0; i < calls; i++) {
		char branch[32];
		size_t n;

		snprintf(branch, sizeof(branch), "z9hG4bKlossy%u", i);
		n = make_request("INVITE", branch, i + 1);
		net.now = i * 10;
		cr_assert_eq(pc_sip_txn_client_start(net.side[0], NULL, req_buf, n, &P, false,
						     (void *)(uintptr_t)i, net.now),
			     0);
	}
	/* When the network and both layers' timers run for 70 s */
	while (net.now < 70000) {
		uint64_t next = 70000;
		unsigned qi = UINT32_MAX;

		for (unsigned i = 0; i < net.n; i++)
			if (net.q[i].at < next) {
				next = net.q[i].at;
				qi = i;
			}
		for (int s = 0; s < 2; s++)
			if (pc_sip_txn_next_due(net.side[s]) < next) {
				next = pc_sip_txn_next_due(net.side[s]);
				qi = UINT32_MAX;
			}
		net.now = next;
		if (qi != UINT32_MAX) {
			struct net_msg m = net.q[qi];

			net.q[qi] = net.q[--net.n];
			cr_assert_eq(pc_sip_txn_receive(net.side[m.to], m.buf, m.len, &P, false,
							net.now),
				     0);
		}
		pc_sip_txn_tick(net.side[0], net.now);
		pc_sip_txn_tick(net.side[1], net.now);
	}
	/* Then the server TU saw each INVITE once, and each client got its final exactly once
	 * (a lost ACK made the server retransmit the 486, which the client absorbed) */
	cr_assert_eq(net.server_requests, calls, "server TU saw %u INVITEs", net.server_requests);
	for (unsigned i = 0; i < calls; i++)
		cr_assert_eq(net.finals_per_txn[i], 1, "call %u got %u finals", i,
			     net.finals_per_txn[i]);
	cr_assert_eq(net.client_timeouts, 0);
	cr_assert_eq(pc_sip_txn_count(net.side[0]), 0);
	cr_assert_eq(pc_sip_txn_count(net.side[1]), 0);
	{
		struct pc_sip_txn_stats cs, ss;

		pc_sip_txn_stats(net.side[0], &cs);
		pc_sip_txn_stats(net.side[1], &ss);
		cr_assert_gt(cs.retransmits, 0, "the loss made the client retransmit");
		cr_assert_gt(ss.absorbed, 0, "and the server absorb retransmissions");
		cr_assert_geq(cs.acks_sent, calls);
	}
	pc_sip_txn_layer_destroy(net.side[0]);
	pc_sip_txn_layer_destroy(net.side[1]);
}

static bool peer_is_two(const void *peer, void *arg)
{
	(void)arg;
	return ((const struct peer *)peer)->id == 2;
}

Test(sip_txn, fail_peer_ends_only_the_transactions_on_that_flow)
{
	struct rig *r = rig_new(0);
	const struct peer p2 = { 2 };
	size_t n;

	n = make_request("INVITE", "z9hG4bKp1", 1);
	cr_assert_eq(pc_sip_txn_client_start(r->layer, NULL, req_buf, n, &P, true, NULL, 0), 0);
	n = make_request("INVITE", "z9hG4bKp2", 1);
	cr_assert_eq(pc_sip_txn_client_start(r->layer, NULL, req_buf, n, &p2, true, NULL, 0), 0);
	cr_assert_eq(pc_sip_txn_fail_peer(r->layer, peer_is_two, NULL), 1);
	cr_assert_eq(r->terminated, 1);
	cr_assert_eq(r->last_end, PC_SIP_TXN_END_TRANSPORT);
	cr_assert_eq(pc_sip_txn_count(r->layer), 1);
	rig_free(r);
}

Test(sip_txn, client_invite_abandoned_after_cancel_ends_64t1_later)
{
	struct rig *r = rig_new(0);
	size_t n = make_request("INVITE", "z9hG4bKab1", 1);
	char req[2048];
	struct pc_sip_txn *t = NULL;

	memcpy(req, req_buf, n);
	cr_assert_eq(pc_sip_txn_client_start(r->layer, &t, req, n, &P, false, NULL, 0), 0);
	r->now = 100;
	answer(r, req, n, 180);
	/* Given a CANCEL sent at 1 s and no final ever (RFC 3261 9.1) */
	cr_assert_eq(pc_sip_txn_abandon(t, 1000), 0);
	run_until(r, 1000 + 31999);
	cr_assert_eq(r->terminated, 0);
	run_until(r, 1000 + 32000);
	cr_assert_eq(r->terminated, 1);
	cr_assert_eq(r->last_end, PC_SIP_TXN_END_TIMEOUT);
	cr_assert_eq(pc_sip_txn_count(r->layer), 0);
	rig_free(r);
}

Test(sip_txn, client_invite_proceeding_forever_ends_by_timer_c)
{
	struct rig *r = rig_new(0);
	size_t n = make_request("INVITE", "z9hG4bKtc1", 1);
	char req[2048];

	memcpy(req, req_buf, n);
	cr_assert_eq(pc_sip_txn_client_start(r->layer, NULL, req, n, &P, false, NULL, 0), 0);
	r->now = 100;
	answer(r, req, n, 180);
	/* each provisional restarts it */
	r->now = 100000;
	answer(r, req, n, 183);
	run_until(r, 100000 + 179999);
	cr_assert_eq(r->terminated, 0);
	run_until(r, 100000 + 180000);
	cr_assert_eq(r->terminated, 1);
	cr_assert_eq(r->last_end, PC_SIP_TXN_END_TIMEOUT);
	rig_free(r);
}
