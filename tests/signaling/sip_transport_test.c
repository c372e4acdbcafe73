/* SPDX-License-Identifier: MIT */
/*
 * sip_transport_test.c - the SIP transports (signaling/pc_sip_transport.h) over loopback: the
 * stream framer alone (pure), the received/rport helper, then two transports in this process
 * (or a transport and plain sockets) talking UDP, TCP and TLS on 127.0.0.1 and ::1: datagrams
 * both families, a message split byte by byte and three in one write, connection reuse both
 * ways, a malformed stream closing only its connection, TLS with a self-signed certificate made
 * here with the OpenSSL API (verification on, off, failing on the CA and on the name), ping/pong
 * keep-alives, the keep-alive hook, the bounded output queue, the idle timeout and a refused
 * connect.
 *
 * Single-threaded: the test pumps both transports' polls until a condition holds or a deadline
 * passes. IPv6 cases skip when ::1 cannot be bound.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "pc_sip_msg.h"
#include "pc_sip_transport.h"

#define WAIT_MS 3000 /* how long something that should happen may take */
#define MAX_KEEP 16  /* received messages a test peer keeps */

/* --- helpers --------------------------------------------------------------------------------- */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* A transport and what its handlers saw. */
struct peer {
	struct pc_sip_transport *t;
	unsigned nrx;
	char *rx[MAX_KEEP];
	size_t rxlen[MAX_KEEP];
	struct pc_sip_rx rxinfo[MAX_KEEP];
	unsigned ncl;
	int cl_reason;
	uint32_t cl_conn;
	unsigned nka;
	int ka_ret;	 /* what the keepalive handler returns */
	bool reply;	 /* answer each request over its connection with "SIP/2.0 200 OK" */
	bool reply_addr; /* ... by address (send, not send_conn) */
	int reply_rc;
	uint32_t reply_conn;
};

static void on_recv(void *arg, const struct pc_sip_rx *rx);
static void on_close(void *arg, uint32_t conn, enum pc_sip_tp tp, const union pc_sip_addr *peer,
		     int reason);
static int on_keepalive(void *arg, enum pc_sip_tp tp, const union pc_sip_addr *peer);

static char *msg_new(const char *method_or_status, const char *body, size_t *len);

static void on_recv(void *arg, const struct pc_sip_rx *rx)
{
	struct peer *p = arg;
	size_t rlen;
	char *resp;

	if (p->nrx < MAX_KEEP) {
		p->rx[p->nrx] = malloc(rx->len + 1);
		cr_assert_not_null(p->rx[p->nrx]);
		memcpy(p->rx[p->nrx], rx->buf, rx->len);
		p->rx[p->nrx][rx->len] = '\0';
		p->rxlen[p->nrx] = rx->len;
		p->rxinfo[p->nrx] = *rx;
	}
	p->nrx++;
	if ((p->reply || p->reply_addr) && strncmp(rx->buf, "SIP/2.0", 7) != 0) {
		resp = msg_new("SIP/2.0 200 OK", "", &rlen);
		if (p->reply_addr)
			p->reply_rc = pc_sip_transport_send(p->t, rx->tp, &rx->src, NULL, resp,
							    rlen, &p->reply_conn);
		else
			p->reply_rc = pc_sip_transport_send_conn(p->t, rx->conn, resp, rlen);
		free(resp);
	}
}

static void on_close(void *arg, uint32_t conn, enum pc_sip_tp tp, const union pc_sip_addr *peer,
		     int reason)
{
	struct peer *p = arg;

	(void)tp;
	(void)peer;
	p->ncl++;
	p->cl_reason = reason;
	p->cl_conn = conn;
}

static int on_keepalive(void *arg, enum pc_sip_tp tp, const union pc_sip_addr *peer)
{
	struct peer *p = arg;

	(void)tp;
	(void)peer;
	p->nka++;
	return p->ka_ret;
}

static void conf_init(struct pc_sip_transport_conf *c, struct peer *p)
{
	memset(c, 0, sizeof(*c));
	c->on_recv = on_recv;
	c->on_close = on_close;
	c->on_keepalive = on_keepalive;
	c->arg = p;
}

static void peer_init(struct peer *p, const struct pc_sip_transport_conf *conf)
{
	struct pc_sip_transport_conf c;
	int rc;

	memset(p, 0, sizeof(*p));
	p->ka_ret = -ENOSYS;
	if (conf) {
		c = *conf;
		c.arg = p;
	} else {
		conf_init(&c, p);
	}
	rc = pc_sip_transport_create(&p->t, &c);
	cr_assert_eq(rc, 0, "pc_sip_transport_create = %d", rc);
}

static void peer_fini(struct peer *p)
{
	unsigned i;

	pc_sip_transport_destroy(p->t);
	for (i = 0; i < MAX_KEEP && i < p->nrx; i++)
		free(p->rx[i]);
	memset(p, 0, sizeof(*p));
}

static bool have_ipv6(void)
{
	union pc_sip_addr a;
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);
	bool ok;

	if (fd < 0)
		return false;
	pc_sip_addr_parse(&a, "::1", 0);
	ok = bind(fd, &a.sa, sizeof(a.in6)) == 0;
	close(fd);
	return ok;
}

/* Listen on @ip, port 0; returns the bound address. */
static union pc_sip_addr peer_listen(struct peer *p, enum pc_sip_tp tp, const char *ip)
{
	union pc_sip_addr a, bound;
	int rc;

	cr_assert_eq(pc_sip_addr_parse(&a, ip, 0), 0);
	rc = pc_sip_transport_listen(p->t, tp, &a, &bound);
	cr_assert_geq(rc, 0, "listen %s %s = %d", pc_sip_tp_name(tp), ip, rc);
	cr_assert_eq(bound.sa.sa_family, a.sa.sa_family);
	cr_assert_neq(ntohs(bound.sa.sa_family == AF_INET ? bound.in4.sin_port :
							    bound.in6.sin6_port),
		      0, "port 0 was not replaced by the bound port");
	return bound;
}

/* Poll @a and @b (either may be NULL) until *@count >= @want or WAIT_MS pass. */
static bool pump_until(struct peer *a, struct peer *b, const unsigned *count, unsigned want)
{
	uint64_t end = now_ms() + WAIT_MS;

	while (*count < want && now_ms() < end) {
		if (a)
			cr_assert_geq(pc_sip_transport_poll(a->t, b ? 1 : 5), 0);
		if (b)
			cr_assert_geq(pc_sip_transport_poll(b->t, 1), 0);
	}
	return *count >= want;
}

/* Poll for @ms whatever happens. */
static void pump_for(struct peer *a, struct peer *b, unsigned ms)
{
	uint64_t end = now_ms() + ms;

	while (now_ms() < end) {
		if (a)
			pc_sip_transport_poll(a->t, 1);
		if (b)
			pc_sip_transport_poll(b->t, 1);
	}
}

/* A small valid SIP message: a request (method) or a response (a status line). malloc'd. */
static char *msg_new(const char *what, const char *body, size_t *len)
{
	size_t blen = strlen(body), cap = 512 + blen;
	char *m = malloc(cap);
	bool resp = strncmp(what, "SIP/2.0 ", 8) == 0;
	int n;

	cr_assert_not_null(m);
	n = snprintf(m, cap,
		     "%s%s\r\n"
		     "Via: SIP/2.0/TCP client.example.com;branch=z9hG4bK776asdhds\r\n"
		     "Max-Forwards: 70\r\n"
		     "To: <sip:bob@example.com>\r\n"
		     "From: <sip:alice@example.com>;tag=1928301774\r\n"
		     "Call-ID: a84b4c76e66710@pc33.example.com\r\n"
		     "CSeq: 314159 %s\r\n"
		     "Content-Length: %zu\r\n\r\n%s",
		     what, resp ? "" : " sip:bob@example.com SIP/2.0", resp ? "INVITE" : what, blen,
		     body);
	cr_assert(n > 0 && (size_t)n < cap);
	*len = (size_t)n;
	return m;
}

/* A plain blocking TCP socket connected to @a. */
static int raw_connect(const union pc_sip_addr *a)
{
	int fd = socket(a->sa.sa_family, SOCK_STREAM, 0), one = 1;

	cr_assert_geq(fd, 0);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	cr_assert_eq(connect(fd, &a->sa, pc_sip_addr_len(a)), 0, "connect: %s", strerror(errno));
	return fd;
}

/* Read from @fd into @buf (up to @cap) while the peers are pumped, until @want octets came or
 * the peer closed or WAIT_MS passed. Returns the octets read, or -1 if the peer closed first. */
static ssize_t raw_read(int fd, struct peer *p, char *buf, size_t cap, size_t want)
{
	uint64_t end = now_ms() + WAIT_MS;
	size_t got = 0;

	while (got < want && now_ms() < end) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (p)
			pc_sip_transport_poll(p->t, 1);
		if (poll(&pf, 1, p ? 0 : 5) <= 0)
			continue;
		r = recv(fd, buf + got, cap - got, MSG_DONTWAIT);
		if (r == 0 || (r < 0 && errno != EAGAIN))
			return got ? (ssize_t)got : -1;
		if (r > 0)
			got += (size_t)r;
	}
	return (ssize_t)got;
}

/* --- the framer ------------------------------------------------------------------------------ */

static int frame(const char *s, size_t *skip, size_t *mlen, char *err)
{
	size_t scan = 0;

	return pc_sip_stream_frame(s, strlen(s), 0, skip, &scan, mlen, err, PC_SIP_ERR_MAX);
}

Test(sip_stream_frame, one_message_with_a_body)
{
	const char *m = "MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 5\r\n\r\nhelloNEXT";
	size_t skip, mlen;
	char err[PC_SIP_ERR_MAX];

	cr_assert_eq(frame(m, &skip, &mlen, err), 1, "%s", err);
	cr_expect_eq(skip, 0);
	cr_expect_eq(mlen, strlen(m) - 4);
	cr_expect_str_eq(err, "");
}

Test(sip_stream_frame, compact_l_folded_and_leading_crlfs)
{
	const char *m = "\r\n\r\n\r\nINFO sip:a@b SIP/2.0\r\nX: y\r\nl:\r\n  3\r\n\r\nabc";
	size_t skip, mlen;
	char err[PC_SIP_ERR_MAX];

	cr_assert_eq(frame(m, &skip, &mlen, err), 1, "%s", err);
	cr_expect_eq(skip, 6);
	cr_expect_eq(mlen, strlen(m) - 6);
}

Test(sip_stream_frame, need_more_then_complete)
{
	const char *m = "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 4\r\n\r\nbody";
	size_t len = strlen(m), i, skip, mlen, scan = 0, scan0;
	char err[PC_SIP_ERR_MAX];
	int rc;

	/* Given every prefix, fed in order with the scan hint kept and also without it */
	for (i = 0; i < len; i++) {
		rc = pc_sip_stream_frame(m, i, 0, &skip, &scan, &mlen, err, sizeof(err));
		cr_assert_eq(rc, 0, "prefix %zu: %d %s", i, rc, err);
		scan0 = 0;
		rc = pc_sip_stream_frame(m, i, 0, &skip, &scan0, &mlen, err, sizeof(err));
		cr_assert_eq(rc, 0, "prefix %zu without hint: %d", i, rc);
	}
	/* Then the whole message is complete, found through the hint */
	cr_assert_eq(pc_sip_stream_frame(m, len, 0, &skip, &scan, &mlen, err, sizeof(err)), 1);
	cr_expect_eq(mlen, len);
}

Test(sip_stream_frame, rejects_what_cannot_be_framed)
{
	size_t skip, mlen;
	char err[PC_SIP_ERR_MAX];

	cr_expect_eq(frame("INVITE sip:a@b SIP/2.0\r\nCSeq: 1 INVITE\r\n\r\n", &skip, &mlen, err),
		     -EPROTO);
	cr_expect(strstr(err, "Content-Length") != NULL, "reason: %s", err);
	cr_expect_eq(frame("A sip:a SIP/2.0\r\nContent-Length: 1x\r\n\r\n", &skip, &mlen, err),
		     -EBADMSG);
	cr_expect_eq(frame("A sip:a SIP/2.0\r\nContent-Length:\r\n\r\n", &skip, &mlen, err),
		     -EBADMSG);
	cr_expect_eq(frame("A sip:a SIP/2.0\r\nl: 1\r\nContent-Length: 2\r\n\r\nab", &skip, &mlen,
			   err),
		     -EPROTO);
	cr_expect_eq(frame("A sip:a SIP/2.0\r\nl: 2\r\nContent-Length: 2\r\n\r\nab", &skip, &mlen,
			   err),
		     1, "equal repeated lengths frame: %s", err);
	cr_expect_eq(frame("A sip:a SIP/2.0\r\nContent-Length: 99999999999999999999\r\n\r\n", &skip,
			   &mlen, err),
		     -E2BIG);
	cr_expect_eq(frame("A sip:a SIP/2.0\r\nContent-Length: 65535\r\n\r\n", &skip, &mlen, err),
		     -E2BIG);
	cr_expect_eq(frame("\r\n\rX", &skip, &mlen, err), -EBADMSG);
	cr_expect_eq(skip, 2);
	cr_expect_eq(frame("\nINVITE", &skip, &mlen, err), -EBADMSG);
	cr_expect(err[0] && !strchr(err, '\n'), "one-line reason: %s", err);
}

Test(sip_stream_frame, crlf_only_and_a_lone_cr)
{
	size_t skip, mlen;
	char err[PC_SIP_ERR_MAX];

	cr_expect_eq(frame("\r\n\r\n", &skip, &mlen, err), 0);
	cr_expect_eq(skip, 4);
	cr_expect_eq(frame("\r\n\r", &skip, &mlen, err), 0);
	cr_expect_eq(skip, 2, "the lone CR waits for its LF");
	cr_expect_eq(frame("", &skip, &mlen, err), 0);
	cr_expect_eq(skip, 0);
}

Test(sip_stream_frame, no_end_of_headers_within_the_limit)
{
	size_t n = 200, skip, mlen, scan = 0;
	char *m = malloc(n), err[PC_SIP_ERR_MAX];

	memset(m, 'a', n);
	cr_expect_eq(pc_sip_stream_frame(m, 99, 100, &skip, &scan, &mlen, err, sizeof(err)), 0);
	cr_expect_eq(pc_sip_stream_frame(m, 100, 100, &skip, &scan, &mlen, err, sizeof(err)),
		     -E2BIG);
	free(m);
}

Test(sip_stream_frame, three_messages_back_to_back)
{
	char buf[2048];
	size_t len = 0, off = 0, skip, mlen, l1;
	char *m = msg_new("OPTIONS", "", &l1);
	int k;

	for (k = 0; k < 3; k++) {
		memcpy(buf + len, "\r\n", 2);
		memcpy(buf + len + 2, m, l1);
		len += l1 + 2;
	}
	for (k = 0; k < 3; k++) {
		cr_assert_eq(pc_sip_stream_frame(buf + off, len - off, 0, &skip, NULL, &mlen, NULL,
						 0),
			     1);
		cr_expect_eq(skip, 2);
		cr_expect_eq(mlen, l1);
		off += skip + mlen;
	}
	cr_expect_eq(off, len);
	free(m);
}

/* --- received / rport ------------------------------------------------------------------------ */

Test(sip_via, rport_and_received_for_a_name)
{
	const char *via = "SIP/2.0/UDP pc33.example.com:5066;branch=z9hG4bK1;rport";
	union pc_sip_addr src;
	char params[80], out[256];
	int n;

	pc_sip_addr_parse(&src, "192.0.2.4", 40123);
	n = pc_sip_via_received(via, strlen(via), &src, params, sizeof(params), out, sizeof(out));
	cr_assert_gt(n, 0, "%d", n);
	cr_expect_str_eq(params, ";received=192.0.2.4;rport=40123");
	cr_expect_eq((size_t)n, strlen(params));
	cr_expect_str_eq(out, "SIP/2.0/UDP pc33.example.com:5066;branch=z9hG4bK1"
			      ";received=192.0.2.4;rport=40123");
}

Test(sip_via, nothing_when_sent_by_is_the_source_without_rport)
{
	const char *via = "SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bK1";
	union pc_sip_addr src;
	char params[80], out[256];

	pc_sip_addr_parse(&src, "192.0.2.4", 5060);
	cr_expect_eq(pc_sip_via_received(via, strlen(via), &src, params, sizeof(params), out,
					 sizeof(out)),
		     0);
	cr_expect_str_eq(params, "");
	cr_expect_str_eq(out, via);
}

Test(sip_via, rport_forces_received_even_when_equal_and_keeps_the_rest)
{
	const char *via = "SIP/2.0/TCP 192.0.2.4;rport;branch=z9hG4bK1 , SIP/2.0/UDP p.example";
	union pc_sip_addr src;
	char out[256];

	pc_sip_addr_parse(&src, "192.0.2.4", 5999);
	cr_assert_gt(pc_sip_via_received(via, strlen(via), &src, NULL, 0, out, sizeof(out)), 0);
	cr_expect_str_eq(out, "SIP/2.0/TCP 192.0.2.4;branch=z9hG4bK1;received=192.0.2.4"
			      ";rport=5999 , SIP/2.0/UDP p.example");
}

Test(sip_via, ipv6_source_replaces_an_old_received)
{
	const char *via = "SIP/2.0/UDP [2001:db8::9]:5060;received=10.0.0.1;branch=z9hG4bK1";
	union pc_sip_addr src;
	char params[80], out[256];

	pc_sip_addr_parse(&src, "2001:db8::1", 5060);
	cr_assert_gt(pc_sip_via_received(via, strlen(via), &src, params, sizeof(params), out,
					 sizeof(out)),
		     0);
	cr_expect_str_eq(params, ";received=2001:db8::1");
	cr_expect_str_eq(out, "SIP/2.0/UDP [2001:db8::9]:5060;branch=z9hG4bK1"
			      ";received=2001:db8::1");
	/* And the bracketed sent-by equal to the source adds nothing */
	pc_sip_addr_parse(&src, "2001:db8::9", 5060);
	cr_expect_eq(pc_sip_via_received("SIP/2.0/UDP [2001:db8::9]", 25, &src, NULL, 0, NULL, 0),
		     0);
}

Test(sip_via, errors)
{
	union pc_sip_addr src;
	char small[8];
	const char *via = "SIP/2.0/UDP h;rport";

	pc_sip_addr_parse(&src, "192.0.2.4", 1);
	cr_expect_eq(pc_sip_via_received("SIP/2.0/UDP", 11, &src, NULL, 0, NULL, 0), -EBADMSG);
	cr_expect_eq(pc_sip_via_received("SIP/2.0 h", 9, &src, NULL, 0, NULL, 0), -EBADMSG);
	cr_expect_eq(pc_sip_via_received("SIP/2.0/UDP h;", 14, &src, NULL, 0, NULL, 0), -EBADMSG);
	cr_expect_eq(pc_sip_via_received(via, strlen(via), &src, small, sizeof(small), NULL, 0),
		     -ENOSPC);
	cr_expect_eq(pc_sip_via_received(via, strlen(via), &src, NULL, 0, small, sizeof(small)),
		     -ENOSPC);
}

/* --- UDP ------------------------------------------------------------------------------------- */

static void udp_round_trip(const char *ip)
{
	struct peer a, b;
	union pc_sip_addr ba;
	size_t len;
	char *m = msg_new("OPTIONS", "", &len);
	struct pc_sip_transport_stats st;

	/* Given two transports with a UDP listener each */
	peer_init(&a, NULL);
	peer_init(&b, NULL);
	peer_listen(&a, PC_SIP_TP_UDP, ip);
	ba = peer_listen(&b, PC_SIP_TP_UDP, ip);
	b.reply_addr = true;
	/* When A sends a request to B, and B answers to the source address */
	cr_assert_eq(pc_sip_transport_send(a.t, PC_SIP_TP_UDP, &ba, NULL, m, len, NULL), 0);
	cr_assert(pump_until(&a, &b, &a.nrx, 1), "no answer");
	/* Then B got the request whole, from A's listener, and A got the answer */
	cr_expect_eq(b.nrx, 1);
	cr_expect_eq(b.rxlen[0], len);
	cr_expect_eq(memcmp(b.rx[0], m, len), 0);
	cr_expect_eq(b.rxinfo[0].tp, PC_SIP_TP_UDP);
	cr_expect_eq(b.rxinfo[0].conn, 0);
	cr_expect(pc_sip_addr_equal(&b.rxinfo[0].local, &ba));
	cr_expect_eq(b.reply_rc, 0);
	cr_expect(strncmp(a.rx[0], "SIP/2.0 200 OK\r\n", 16) == 0);
	pc_sip_transport_stats(b.t, &st);
	cr_expect_eq(st.rx_msgs, 1);
	cr_expect_eq(st.tx_msgs, 1);
	free(m);
	peer_fini(&a);
	peer_fini(&b);
}

Test(sip_transport, udp_ipv4)
{
	udp_round_trip("127.0.0.1");
}

Test(sip_transport, udp_ipv6)
{
	if (!have_ipv6())
		cr_skip_test("::1 cannot be bound here");
	udp_round_trip("::1");
}

Test(sip_transport, udp_answer_leaves_from_the_listener_the_request_came_to)
{
	struct peer a, b;
	union pc_sip_addr b1, b2, src;
	size_t len;
	char *m = msg_new("OPTIONS", "", &len);
	int id2;

	/* Given B with two UDP listeners, the first being its default source */
	peer_init(&a, NULL);
	peer_init(&b, NULL);
	peer_listen(&a, PC_SIP_TP_UDP, "127.0.0.1");
	b1 = peer_listen(&b, PC_SIP_TP_UDP, "127.0.0.1");
	pc_sip_addr_parse(&src, "127.0.0.1", 0);
	id2 = pc_sip_transport_listen(b.t, PC_SIP_TP_UDP, &src, &b2);
	cr_assert_eq(id2, 1);
	/* When A sends to the second, and B answers from the listener it came through */
	cr_assert_eq(pc_sip_transport_send(a.t, PC_SIP_TP_UDP, &b2, NULL, m, len, NULL), 0);
	cr_assert(pump_until(&a, &b, &b.nrx, 1));
	cr_expect_eq(b.rxinfo[0].listener, id2);
	cr_expect(pc_sip_addr_equal(&b.rxinfo[0].local, &b2));
	cr_assert_eq(
		pc_sip_transport_send_from(b.t, b.rxinfo[0].listener, &b.rxinfo[0].src, m, len), 0);
	cr_assert(pump_until(&a, &b, &a.nrx, 1));
	/* Then it comes from the second listener's port, not the first's */
	cr_expect(pc_sip_addr_equal(&a.rxinfo[0].src, &b2));
	cr_expect_not(pc_sip_addr_equal(&a.rxinfo[0].src, &b1));
	cr_expect_eq(pc_sip_transport_send_from(b.t, 7, &b1, m, len), -EINVAL);
	free(m);
	peer_fini(&a);
	peer_fini(&b);
}

Test(sip_transport, udp_crlf_datagram_is_a_keepalive_and_no_listener_is_an_error)
{
	struct peer a, b;
	union pc_sip_addr ba, v6;
	struct pc_sip_transport_stats st;

	peer_init(&a, NULL);
	peer_init(&b, NULL);
	peer_listen(&a, PC_SIP_TP_UDP, "127.0.0.1");
	ba = peer_listen(&b, PC_SIP_TP_UDP, "127.0.0.1");
	cr_assert_eq(pc_sip_transport_send(a.t, PC_SIP_TP_UDP, &ba, NULL, "\r\n\r\n", 4, NULL), 0);
	pump_for(&a, &b, 50);
	pc_sip_transport_stats(b.t, &st);
	cr_expect_eq(b.nrx, 0, "a CRLF datagram is not a message");
	cr_expect_eq(st.rx_keepalives, 1);
	/* An empty datagram is dropped and counted */
	{
		int fd = socket(AF_INET, SOCK_DGRAM, 0);

		cr_assert_eq(sendto(fd, "", 0, 0, &ba.sa, sizeof(ba.in4)), 0);
		pump_for(&a, &b, 30);
		close(fd);
	}
	pc_sip_transport_stats(b.t, &st);
	cr_expect_eq(st.rx_dgram_dropped, 1);
	cr_expect_eq(b.nrx, 0);
	pc_sip_addr_parse(&v6, "::1", 5060);
	cr_expect_eq(pc_sip_transport_send(a.t, PC_SIP_TP_UDP, &v6, NULL, "x", 1, NULL),
		     -EADDRNOTAVAIL);
	cr_expect_eq(pc_sip_transport_send(a.t, PC_SIP_TP_UDP, &ba, NULL, "x", 0, NULL), -EINVAL);
	peer_fini(&a);
	peer_fini(&b);
}

/* --- TCP ------------------------------------------------------------------------------------- */

static void tcp_byte_by_byte(const char *ip)
{
	struct peer b;
	union pc_sip_addr ba;
	size_t len, i;
	char *m = msg_new("INVITE", "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n", &len);
	int fd;

	/* Given a TCP listener and a plain client */
	peer_init(&b, NULL);
	ba = peer_listen(&b, PC_SIP_TP_TCP, ip);
	fd = raw_connect(&ba);
	/* When a message with a body comes one byte per segment, B polled after each */
	for (i = 0; i < len; i++) {
		cr_assert_eq(send(fd, m + i, 1, 0), 1);
		pc_sip_transport_poll(b.t, 1);
		if (i + 1 < len)
			cr_assert_eq(b.nrx, 0, "delivered early, at byte %zu", i);
	}
	/* Then it is delivered once, whole, with its connection */
	cr_assert(pump_until(&b, NULL, &b.nrx, 1));
	cr_expect_eq(b.rxlen[0], len);
	cr_expect_eq(memcmp(b.rx[0], m, len), 0);
	cr_expect_eq(b.rxinfo[0].tp, PC_SIP_TP_TCP);
	cr_expect_neq(b.rxinfo[0].conn, 0);
	cr_expect_eq(b.rxinfo[0].listener, 0);
	close(fd);
	free(m);
	peer_fini(&b);
}

Test(sip_transport, tcp_message_split_byte_by_byte_ipv4)
{
	tcp_byte_by_byte("127.0.0.1");
}

Test(sip_transport, tcp_message_split_byte_by_byte_ipv6)
{
	if (!have_ipv6())
		cr_skip_test("::1 cannot be bound here");
	tcp_byte_by_byte("::1");
}

Test(sip_transport, tcp_three_messages_in_one_write)
{
	struct peer b;
	union pc_sip_addr ba;
	size_t l1, l2, l3;
	char *m1 = msg_new("OPTIONS", "", &l1), *m2 = msg_new("MESSAGE", "hello", &l2),
	     *m3 = msg_new("SIP/2.0 180 Ringing", "", &l3), buf[4096];
	int fd;

	peer_init(&b, NULL);
	ba = peer_listen(&b, PC_SIP_TP_TCP, "127.0.0.1");
	fd = raw_connect(&ba);
	/* Given three messages (a CRLF keep-alive between two of them) in one write */
	memcpy(buf, m1, l1);
	memcpy(buf + l1, m2, l2);
	memcpy(buf + l1 + l2, "\r\n", 2);
	memcpy(buf + l1 + l2 + 2, m3, l3);
	cr_assert_eq(send(fd, buf, l1 + l2 + l3 + 2, 0), (ssize_t)(l1 + l2 + l3 + 2));
	/* Then they come up as three messages, in order, each whole, on one connection */
	cr_assert(pump_until(&b, NULL, &b.nrx, 3), "got %u", b.nrx);
	cr_expect_eq(b.rxlen[0], l1);
	cr_expect_eq(b.rxlen[1], l2);
	cr_expect_eq(b.rxlen[2], l3);
	cr_expect_eq(memcmp(b.rx[1], m2, l2), 0);
	cr_expect_eq(memcmp(b.rx[2], m3, l3), 0);
	cr_expect_eq(b.rxinfo[0].conn, b.rxinfo[2].conn);
	close(fd);
	free(m1);
	free(m2);
	free(m3);
	peer_fini(&b);
}

Test(sip_transport, tcp_connection_reuse)
{
	struct peer a, b;
	union pc_sip_addr ba;
	struct pc_sip_transport_stats sa, sb;
	uint32_t c1 = 0, c2 = 0;
	size_t len;
	char *m = msg_new("OPTIONS", "", &len);

	/* Given A (no listener at all) and B listening on TCP, answering over the connection */
	peer_init(&a, NULL);
	peer_init(&b, NULL);
	ba = peer_listen(&b, PC_SIP_TP_TCP, "127.0.0.1");
	b.reply = true;
	/* When A sends two requests to B's address */
	cr_assert_eq(pc_sip_transport_send(a.t, PC_SIP_TP_TCP, &ba, NULL, m, len, &c1), 0);
	cr_assert_neq(c1, 0);
	cr_assert(pump_until(&a, &b, &a.nrx, 1), "no response to the first");
	cr_assert_eq(pc_sip_transport_send(a.t, PC_SIP_TP_TCP, &ba, NULL, m, len, &c2), 0);
	cr_assert(pump_until(&a, &b, &a.nrx, 2), "no response to the second");
	/* Then the second used the same connection, B accepted one, and both responses came
	 * back over it (A, which cannot accept, got them) */
	cr_expect_eq(c1, c2);
	cr_expect_eq(pc_sip_transport_conn_find(a.t, PC_SIP_TP_TCP, &ba), c1);
	cr_expect_eq(a.rxinfo[0].conn, c1);
	cr_expect_eq(a.rxinfo[1].conn, c1);
	cr_expect_eq(a.rxinfo[0].listener, -1, "an outbound connection has no listener");
	cr_expect_eq(b.rxinfo[0].conn, b.rxinfo[1].conn);
	cr_expect_eq(b.reply_rc, 0);
	pc_sip_transport_stats(a.t, &sa);
	pc_sip_transport_stats(b.t, &sb);
	cr_expect_eq(sa.conns_opened, 1);
	cr_expect_eq(sb.conns_accepted, 1);
	cr_expect_eq(sb.conns_opened, 0);
	cr_expect_eq(sb.conns_open, 1);
	free(m);
	peer_fini(&a);
	peer_fini(&b);
}

Test(sip_transport, tcp_send_by_address_reuses_the_inbound_connection)
{
	struct peer a, b;
	union pc_sip_addr ba, src;
	struct pc_sip_transport_stats sb;
	enum pc_sip_tp tp;
	size_t len;
	char *m = msg_new("OPTIONS", "", &len);

	peer_init(&a, NULL);
	peer_init(&b, NULL);
	ba = peer_listen(&b, PC_SIP_TP_TCP, "127.0.0.1");
	b.reply_addr = true; /* B answers with send(TCP, source address) */
	cr_assert_eq(pc_sip_transport_send(a.t, PC_SIP_TP_TCP, &ba, NULL, m, len, NULL), 0);
	cr_assert(pump_until(&a, &b, &a.nrx, 1));
	cr_expect_eq(b.reply_rc, 0);
	cr_expect_eq(b.reply_conn, b.rxinfo[0].conn, "B opened a new connection");
	cr_assert_eq(pc_sip_transport_conn_peer(b.t, b.reply_conn, &src, &tp), 0);
	cr_expect(pc_sip_addr_equal(&src, &b.rxinfo[0].src));
	cr_expect_eq(tp, PC_SIP_TP_TCP);
	pc_sip_transport_stats(b.t, &sb);
	cr_expect_eq(sb.conns_opened, 0);
	free(m);
	peer_fini(&a);
	peer_fini(&b);
}

Test(sip_transport, tcp_malformed_stream_closes_only_that_connection)
{
	struct peer b;
	union pc_sip_addr ba;
	struct pc_sip_transport_stats st;
	size_t len;
	char *m = msg_new("OPTIONS", "", &len), buf[64];
	const char *bad = "INVITE sip:b@example.com SIP/2.0\r\nCSeq: 1 INVITE\r\n\r\n";
	int good, evil;

	/* Given two clients on B's TCP listener */
	peer_init(&b, NULL);
	ba = peer_listen(&b, PC_SIP_TP_TCP, "127.0.0.1");
	good = raw_connect(&ba);
	evil = raw_connect(&ba);
	cr_assert_eq(send(good, m, len, 0), (ssize_t)len);
	cr_assert(pump_until(&b, NULL, &b.nrx, 1));
	/* When one sends a frame without Content-Length */
	cr_assert_eq(send(evil, bad, strlen(bad), 0), (ssize_t)strlen(bad));
	/* Then B closes that connection (the client sees the end), with the reason */
	cr_expect_eq(raw_read(evil, &b, buf, sizeof(buf), 1), -1);
	cr_assert(pump_until(&b, NULL, &b.ncl, 1));
	cr_expect_eq(b.cl_reason, -EPROTO);
	pc_sip_transport_stats(b.t, &st);
	cr_expect_eq(st.frame_errors, 1);
	cr_expect_eq(st.conns_open, 1);
	/* And the other connection still works */
	cr_assert_eq(send(good, m, len, 0), (ssize_t)len);
	cr_assert(pump_until(&b, NULL, &b.nrx, 2));
	cr_expect_eq(b.rxinfo[0].conn, b.rxinfo[1].conn);
	cr_expect_neq(b.cl_conn, b.rxinfo[0].conn);
	close(good);
	close(evil);
	free(m);
	peer_fini(&b);
}

Test(sip_transport, tcp_oversize_frame_closes_the_connection)
{
	struct peer b;
	union pc_sip_addr ba;
	char *junk = malloc(PC_SIP_MAX_MSG + 10);
	int fd;

	peer_init(&b, NULL);
	ba = peer_listen(&b, PC_SIP_TP_TCP, "127.0.0.1");
	fd = raw_connect(&ba);
	memset(junk, 'a', PC_SIP_MAX_MSG + 10);
	memcpy(junk, "INVITE sip:b SIP/2.0\r\nX: ", 25);
	cr_assert_eq(send(fd, junk, PC_SIP_MAX_MSG + 10, MSG_DONTWAIT), PC_SIP_MAX_MSG + 10);
	cr_assert(pump_until(&b, NULL, &b.ncl, 1));
	cr_expect_eq(b.cl_reason, -E2BIG);
	cr_expect_eq(b.nrx, 0);
	close(fd);
	free(junk);
	peer_fini(&b);
}

Test(sip_transport, tcp_ping_gets_a_pong_and_outbound_keepalive)
{
	struct peer a, b;
	struct pc_sip_transport_conf ca;
	union pc_sip_addr ba;
	struct pc_sip_transport_stats sa, sb;
	char buf[16];
	size_t len;
	char *m = msg_new("OPTIONS", "", &len);
	uint64_t pongs_before;
	int fd;

	peer_init(&b, NULL);
	ba = peer_listen(&b, PC_SIP_TP_TCP, "127.0.0.1");
	/* Given a client that sends a double-CRLF ping */
	fd = raw_connect(&ba);
	cr_assert_eq(send(fd, "\r\n\r\n", 4, 0), 4);
	/* Then it gets exactly one CRLF back, and nothing is delivered */
	cr_assert_eq(raw_read(fd, &b, buf, sizeof(buf), 2), 2);
	cr_expect_eq(memcmp(buf, "\r\n", 2), 0);
	/* A ping split across two segments is still one ping */
	cr_assert_eq(send(fd, "\r\n", 2, 0), 2);
	pump_for(&b, NULL, 20);
	cr_assert_eq(send(fd, "\r\n", 2, 0), 2);
	cr_assert_eq(raw_read(fd, &b, buf, sizeof(buf), 2), 2);
	cr_expect_eq(b.nrx, 0);
	pc_sip_transport_stats(b.t, &sb);
	cr_expect_eq(sb.rx_keepalives, 2);
	/* (the first half of the split ping was counted as a pong when it came alone) */
	pongs_before = sb.rx_pongs;
	close(fd);

	/* Given A pinging every 50 ms on the connections it opens */
	conf_init(&ca, &a);
	ca.keepalive_ms = 50;
	peer_init(&a, &ca);
	cr_assert_eq(pc_sip_transport_send(a.t, PC_SIP_TP_TCP, &ba, NULL, m, len, NULL), 0);
	/* When two pongs have come back (or WAIT_MS passed) */
	{
		uint64_t end = now_ms() + WAIT_MS;

		do {
			pump_for(&a, &b, 10);
			pc_sip_transport_stats(a.t, &sa);
		} while (sa.rx_pongs < 2 && now_ms() < end);
	}
	/* Then B saw pings and A saw pongs, and the message still came through */
	pc_sip_transport_stats(a.t, &sa);
	pc_sip_transport_stats(b.t, &sb);
	cr_expect_eq(b.nrx, 1);
	cr_expect_geq(sa.tx_keepalives, 2, "A sent %lu pings", (unsigned long)sa.tx_keepalives);
	cr_expect_geq(sb.rx_keepalives, 4);
	cr_expect_geq(sa.rx_pongs, 2);
	/* And A never took two pongs for a ping: B got no CRLF answer from it */
	cr_expect_eq(sb.rx_pongs, pongs_before);
	cr_expect_eq(sa.rx_keepalives, 0);
	free(m);
	peer_fini(&a);
	peer_fini(&b);
}

Test(sip_transport, keepalive_flow_asks_the_hook_then_sends_crlf)
{
	struct peer a, b;
	union pc_sip_addr ba;
	struct pc_sip_transport_stats sb;

	peer_init(&a, NULL);
	peer_init(&b, NULL);
	peer_listen(&a, PC_SIP_TP_UDP, "127.0.0.1");
	ba = peer_listen(&b, PC_SIP_TP_UDP, "127.0.0.1");
	/* Given a UDP flow kept alive every 20 ms, the hook declining */
	cr_assert_eq(pc_sip_transport_keepalive(a.t, PC_SIP_TP_UDP, &ba, 20), 0);
	cr_assert(pump_until(&a, &b, &a.nka, 2));
	pump_for(&a, &b, 10);
	pc_sip_transport_stats(b.t, &sb);
	/* Then CRLF datagrams arrive and are not messages */
	cr_expect_geq(sb.rx_keepalives, 1);
	cr_expect_eq(b.nrx, 0);
	/* When the hook takes care of it (an OPTIONS, say), nothing more is sent */
	a.ka_ret = 0;
	pump_for(&a, &b, 20);
	pc_sip_transport_stats(b.t, &sb);
	{
		uint64_t before = sb.rx_keepalives;
		unsigned nka = a.nka;

		pump_for(&a, &b, 80);
		pc_sip_transport_stats(b.t, &sb);
		cr_expect_eq(sb.rx_keepalives, before);
		cr_expect_gt(a.nka, nka);
	}
	/* And the flow can be removed, once */
	cr_expect_eq(pc_sip_transport_keepalive(a.t, PC_SIP_TP_UDP, &ba, 0), 0);
	cr_expect_eq(pc_sip_transport_keepalive(a.t, PC_SIP_TP_UDP, &ba, 0), -ENOENT);
	peer_fini(&a);
	peer_fini(&b);
}

Test(sip_transport, queue_full_gives_enobufs)
{
	struct peer a;
	struct pc_sip_transport_conf ca;
	union pc_sip_addr la;
	struct pc_sip_transport_stats sa;
	socklen_t alen = sizeof(la);
	char msg[1000];
	int lfd, small = 4096, rc = 0, i;

	/* Given a listener that never accepts nor reads, with a small receive buffer */
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	pc_sip_addr_parse(&la, "127.0.0.1", 0);
	cr_assert_eq(bind(lfd, &la.sa, sizeof(la.in4)), 0);
	cr_assert_eq(listen(lfd, 4), 0);
	getsockname(lfd, &la.sa, &alen);
	/* And A with the smallest output queue */
	conf_init(&ca, &a);
	ca.out_queue_max = PC_SIP_MAX_MSG;
	peer_init(&a, &ca);
	memset(msg, 'x', sizeof(msg));
	/* When A sends until something gives */
	for (i = 0; i < 100000; i++) {
		rc = pc_sip_transport_send(a.t, PC_SIP_TP_TCP, &la, NULL, msg, sizeof(msg), NULL);
		if (rc)
			break;
		if (i % 64 == 0)
			pc_sip_transport_poll(a.t, 0);
	}
	/* Then it is -ENOBUFS, counted, and the connection is still there */
	cr_expect_eq(rc, -ENOBUFS, "after %d sends: %d", i, rc);
	pc_sip_transport_stats(a.t, &sa);
	cr_expect_eq(sa.tx_nobufs, 1);
	cr_expect_neq(pc_sip_transport_conn_find(a.t, PC_SIP_TP_TCP, &la), 0);
	cr_expect_eq(a.ncl, 0);
	peer_fini(&a);
	close(lfd);
}

Test(sip_transport, idle_connection_closes_and_refused_connect_is_reported)
{
	struct peer a, b;
	struct pc_sip_transport_conf ca;
	union pc_sip_addr ba, dead;
	struct pc_sip_transport_stats sa;
	uint32_t c = 0;
	size_t len;
	char *m = msg_new("OPTIONS", "", &len);
	int fd;

	conf_init(&ca, &a);
	ca.idle_timeout_ms = 100;
	peer_init(&a, &ca);
	peer_init(&b, NULL);
	ba = peer_listen(&b, PC_SIP_TP_TCP, "127.0.0.1");
	cr_assert_eq(pc_sip_transport_send(a.t, PC_SIP_TP_TCP, &ba, NULL, m, len, &c), 0);
	cr_assert(pump_until(&a, &b, &b.nrx, 1));
	/* When nothing passes for longer than the idle timeout */
	cr_assert(pump_until(&a, &b, &a.ncl, 1), "not closed");
	/* Then A closed it (reason 0) and B saw the peer go */
	cr_expect_eq(a.cl_reason, 0);
	cr_expect_eq(a.cl_conn, c);
	cr_assert(pump_until(&a, &b, &b.ncl, 1));
	cr_expect_eq(b.cl_reason, -ECONNRESET);
	pc_sip_transport_stats(a.t, &sa);
	cr_expect_eq(sa.conns_idle, 1);
	cr_expect_eq(sa.conns_open, 0);
	cr_expect_eq(pc_sip_transport_send_conn(a.t, c, m, len), -ENOTCONN);

	/* Given a port where nobody listens (bound, not listening) */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	pc_sip_addr_parse(&dead, "127.0.0.1", 0);
	cr_assert_eq(bind(fd, &dead.sa, sizeof(dead.in4)), 0);
	{
		socklen_t alen = sizeof(dead);

		getsockname(fd, &dead.sa, &alen);
	}
	cr_assert_eq(pc_sip_transport_send(a.t, PC_SIP_TP_TCP, &dead, NULL, m, len, &c), 0);
	cr_assert(pump_until(&a, NULL, &a.ncl, 2));
	cr_expect_eq(a.cl_reason, -ECONNREFUSED);
	cr_expect_eq(a.cl_conn, c);
	close(fd);
	free(m);
	peer_fini(&a);
	peer_fini(&b);
}

static void on_recv_close(void *arg, const struct pc_sip_rx *rx)
{
	struct peer *p = arg;

	on_recv(arg, rx);
	cr_assert_eq(pc_sip_transport_close(p->t, rx->conn), 0);
	cr_assert_eq(pc_sip_transport_close(p->t, rx->conn), -ENOTCONN);
}

Test(sip_transport, handler_closing_its_connection_mid_batch)
{
	struct peer b;
	struct pc_sip_transport_conf cb;
	union pc_sip_addr ba;
	size_t l1;
	char *m = msg_new("OPTIONS", "", &l1), buf[4096];
	int fd;

	/* Given a recv handler that closes the connection of the message it gets */
	conf_init(&cb, &b);
	cb.on_recv = on_recv_close;
	peer_init(&b, &cb);
	ba = peer_listen(&b, PC_SIP_TP_TCP, "127.0.0.1");
	fd = raw_connect(&ba);
	/* When three messages arrive in one read */
	memcpy(buf, m, l1);
	memcpy(buf + l1, m, l1);
	memcpy(buf + 2 * l1, m, l1);
	cr_assert_eq(send(fd, buf, 3 * l1, 0), (ssize_t)(3 * l1));
	/* Then only the first is delivered, and the close is reported once, with reason 0 */
	cr_assert(pump_until(&b, NULL, &b.ncl, 1));
	pump_for(&b, NULL, 20);
	cr_expect_eq(b.nrx, 1);
	cr_expect_eq(b.ncl, 1);
	cr_expect_eq(b.cl_reason, 0);
	cr_expect_eq(b.cl_conn, b.rxinfo[0].conn);
	cr_expect_eq(raw_read(fd, &b, buf, sizeof(buf), 1), -1);
	close(fd);
	free(m);
	peer_fini(&b);
}

Test(sip_transport, full_connection_table_refuses_inbound)
{
	struct peer b;
	struct pc_sip_transport_conf cb;
	union pc_sip_addr ba;
	struct pc_sip_transport_stats sb;
	char buf[8];
	int f1, f2;

	conf_init(&cb, &b);
	cb.max_conns = 1;
	peer_init(&b, &cb);
	ba = peer_listen(&b, PC_SIP_TP_TCP, "127.0.0.1");
	f1 = raw_connect(&ba);
	pump_for(&b, NULL, 20);
	f2 = raw_connect(&ba);
	/* The second is accepted by the kernel, then closed by the transport */
	cr_expect_eq(raw_read(f2, &b, buf, sizeof(buf), 1), -1);
	pc_sip_transport_stats(b.t, &sb);
	cr_expect_eq(sb.conns_refused, 1);
	cr_expect_eq(sb.conns_open, 1);
	close(f1);
	close(f2);
	peer_fini(&b);
}

/* --- TLS ------------------------------------------------------------------------------------- */

struct tls_files {
	char cert[64], key[64];
};

static void write_pem(char *path, size_t len, const char *what, EVP_PKEY *pk, X509 *x)
{
	FILE *f;
	int fd;

	snprintf(path, len, "/tmp/pc_sip_tp_%s_XXXXXX", what);
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	cr_assert_not_null(f);
	if (x)
		cr_assert_eq(PEM_write_X509(f, x), 1);
	else
		cr_assert_eq(PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
}

/* A self-signed P-256 certificate for CN=localhost, SAN localhost, 127.0.0.1 and ::1, made
 * now (no key is kept in the repository). */
static void tls_make(struct tls_files *tf)
{
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name;
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	cr_assert(pk && x);
	cr_assert_eq(X509_set_version(x, 2), 1);
	ASN1_INTEGER_set(X509_get_serialNumber(x), (long)(now_ms() & 0x7fffffff));
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	cr_assert_eq(X509_set_pubkey(x, pk), 1);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1,
				   -1, 0);
	cr_assert_eq(X509_set_issuer_name(x, name), 1);
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name,
				  "DNS:localhost,IP:127.0.0.1,IP:::1");
	cr_assert_not_null(ext);
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	cr_assert_gt(X509_sign(x, pk, EVP_sha256()), 0);
	write_pem(tf->cert, sizeof(tf->cert), "cert", pk, x);
	write_pem(tf->key, sizeof(tf->key), "key", pk, NULL);
	X509_free(x);
	EVP_PKEY_free(pk);
}

static void tls_unlink(struct tls_files *tf)
{
	unlink(tf->cert);
	unlink(tf->key);
}

/* B: a TLS listener on @ip with @srv's certificate; A: a client verifying (or not) against
 * @ca. A sends one OPTIONS naming @host. Returns with both peers set up. */
static void tls_pair(struct peer *a, struct peer *b, const struct tls_files *srv, const char *ca,
		     bool verify, const char *ip, const char *host, uint32_t *conn)
{
	struct pc_sip_transport_conf c;
	union pc_sip_addr ba;
	size_t len;
	char *m = msg_new("OPTIONS", "", &len);

	conf_init(&c, b);
	c.tls_cert_file = srv->cert;
	c.tls_key_file = srv->key;
	peer_init(b, &c);
	ba = peer_listen(b, PC_SIP_TP_TLS, ip);
	b->reply = true;
	conf_init(&c, a);
	c.tls_verify_server = verify;
	c.tls_ca_file = ca;
	peer_init(a, &c);
	cr_assert_eq(pc_sip_transport_send(a->t, PC_SIP_TP_TLS, &ba, host, m, len, conn), 0);
	free(m);
}

Test(sip_transport, tls_verified_round_trip_and_reuse)
{
	struct tls_files tf;
	struct peer a, b;
	struct pc_sip_transport_stats sa, sb;
	uint32_t c1 = 0, c2 = 0;
	union pc_sip_addr ba;
	enum pc_sip_tp tp;
	size_t len;
	char *m = msg_new("MESSAGE", "over TLS", &len);

	/* Given a server with a fresh self-signed certificate, and a client trusting it */
	tls_make(&tf);
	tls_pair(&a, &b, &tf, tf.cert, true, "127.0.0.1", "localhost", &c1);
	/* Then the request goes through the handshake and the answer comes back */
	cr_assert(pump_until(&a, &b, &a.nrx, 1), "no answer over TLS");
	cr_expect_eq(b.rxinfo[0].tp, PC_SIP_TP_TLS);
	cr_expect_eq(a.rxinfo[0].conn, c1);
	/* And a second message (after a peer-address lookup) reuses the connection */
	cr_assert_eq(pc_sip_transport_conn_peer(a.t, c1, &ba, &tp), 0);
	cr_expect_eq(tp, PC_SIP_TP_TLS);
	cr_assert_eq(pc_sip_transport_send(a.t, PC_SIP_TP_TLS, &ba, "localhost", m, len, &c2), 0);
	cr_expect_eq(c1, c2);
	cr_assert(pump_until(&a, &b, &b.nrx, 2));
	cr_expect_eq(b.rxlen[1], len);
	cr_expect_eq(memcmp(b.rx[1], m, len), 0);
	pc_sip_transport_stats(a.t, &sa);
	pc_sip_transport_stats(b.t, &sb);
	cr_expect_eq(sa.conns_opened, 1);
	cr_expect_eq(sb.conns_accepted, 1);
	cr_expect_eq(sa.tls_failures + sb.tls_failures, 0);
	free(m);
	peer_fini(&a);
	peer_fini(&b);
	tls_unlink(&tf);
}

Test(sip_transport, tls_verified_by_address_ipv6)
{
	struct tls_files tf;
	struct peer a, b;

	if (!have_ipv6())
		cr_skip_test("::1 cannot be bound here");
	tls_make(&tf);
	/* No host name: the certificate must carry the address (IP:::1) */
	tls_pair(&a, &b, &tf, tf.cert, true, "::1", NULL, NULL);
	cr_assert(pump_until(&a, &b, &a.nrx, 1), "no answer over TLS/IPv6");
	peer_fini(&a);
	peer_fini(&b);
	tls_unlink(&tf);
}

Test(sip_transport, tls_without_verification)
{
	struct tls_files tf;
	struct peer a, b;

	tls_make(&tf);
	/* The client trusts nothing in particular and checks nothing; a wrong name passes */
	tls_pair(&a, &b, &tf, NULL, false, "127.0.0.1", "wrong.example", NULL);
	cr_assert(pump_until(&a, &b, &a.nrx, 1), "no answer over unverified TLS");
	cr_expect_eq(b.nrx, 1);
	peer_fini(&a);
	peer_fini(&b);
	tls_unlink(&tf);
}

Test(sip_transport, tls_verification_fails_on_an_unknown_ca)
{
	struct tls_files tf, other;
	struct peer a, b;
	struct pc_sip_transport_stats sa;
	uint32_t c = 0;

	tls_make(&tf);
	tls_make(&other);
	/* Given a client that trusts another certificate only */
	tls_pair(&a, &b, &tf, other.cert, true, "127.0.0.1", "localhost", &c);
	/* Then the handshake fails, the connection is closed with -EACCES, nothing arrives */
	cr_assert(pump_until(&a, &b, &a.ncl, 1), "no close");
	cr_expect_eq(a.cl_reason, -EACCES);
	cr_expect_eq(a.cl_conn, c);
	pump_for(&a, &b, 20);
	cr_expect_eq(b.nrx, 0);
	pc_sip_transport_stats(a.t, &sa);
	cr_expect_eq(sa.tls_failures, 1);
	peer_fini(&a);
	peer_fini(&b);
	tls_unlink(&tf);
	tls_unlink(&other);
}

Test(sip_transport, tls_verification_fails_on_the_name)
{
	struct tls_files tf;
	struct peer a, b;

	tls_make(&tf);
	tls_pair(&a, &b, &tf, tf.cert, true, "127.0.0.1", "sip.example.org", NULL);
	cr_assert(pump_until(&a, &b, &a.ncl, 1), "no close");
	cr_expect_eq(a.cl_reason, -EACCES);
	cr_expect_eq(b.nrx, 0);
	peer_fini(&a);
	peer_fini(&b);
	tls_unlink(&tf);
}

Test(sip_transport, tls_client_certificate_required)
{
	struct tls_files tf;
	struct peer a, b, c;
	struct pc_sip_transport_conf conf;
	union pc_sip_addr ba;
	size_t len;
	char *m = msg_new("OPTIONS", "", &len);

	/* Given a server that requires a client certificate from its CA (the same self-signed
	 * one), a client that shows it, and one that has none */
	tls_make(&tf);
	conf_init(&conf, &b);
	conf.tls_cert_file = tf.cert;
	conf.tls_key_file = tf.key;
	conf.tls_ca_file = tf.cert;
	conf.tls_verify_client = true;
	peer_init(&b, &conf);
	ba = peer_listen(&b, PC_SIP_TP_TLS, "127.0.0.1");
	conf.tls_verify_client = false;
	conf.tls_verify_server = true;
	peer_init(&a, &conf);
	conf_init(&conf, &c);
	peer_init(&c, &conf);
	cr_assert_eq(pc_sip_transport_send(a.t, PC_SIP_TP_TLS, &ba, "localhost", m, len, NULL), 0);
	cr_assert_eq(pc_sip_transport_send(c.t, PC_SIP_TP_TLS, &ba, NULL, m, len, NULL), 0);
	/* Then the first one's message arrives and the second's connection is refused */
	cr_assert(pump_until(&a, &b, &b.nrx, 1));
	cr_assert(pump_until(&c, &b, &b.ncl, 1), "B did not close the certificate-less client");
	pump_for(&c, &b, 20);
	cr_expect_eq(b.nrx, 1);
	cr_expect_eq(a.ncl, 0);
	free(m);
	peer_fini(&a);
	peer_fini(&b);
	peer_fini(&c);
	tls_unlink(&tf);
}

/* A message near the size limit, A to B over @tp (B with a TLS certificate when @tf). */
static void large_message(enum pc_sip_tp tp, const struct tls_files *tf)
{
	struct peer a, b;
	struct pc_sip_transport_conf c;
	union pc_sip_addr ba;
	size_t blen = PC_SIP_MAX_MSG - 600, len, i;
	char *body = malloc(blen + 1), *m;

	for (i = 0; i < blen; i++)
		body[i] = (char)('a' + i % 26);
	body[blen] = '\0';
	m = msg_new("MESSAGE", body, &len);
	cr_assert_leq(len, PC_SIP_MAX_MSG);
	conf_init(&c, &b);
	if (tf) {
		c.tls_cert_file = tf->cert;
		c.tls_key_file = tf->key;
	}
	peer_init(&b, &c);
	ba = peer_listen(&b, tp, "127.0.0.1");
	peer_init(&a, NULL);
	/* When two such messages go one after the other (several TLS records, partial writes) */
	cr_assert_eq(pc_sip_transport_send(a.t, tp, &ba, NULL, m, len, NULL), 0);
	cr_assert_eq(pc_sip_transport_send(a.t, tp, &ba, NULL, m, len, NULL), 0);
	/* Then both arrive whole */
	cr_assert(pump_until(&a, &b, &b.nrx, 2), "got %u", b.nrx);
	cr_expect_eq(b.rxlen[0], len);
	cr_expect_eq(b.rxlen[1], len);
	cr_expect_eq(memcmp(b.rx[1], m, len), 0);
	free(body);
	free(m);
	peer_fini(&a);
	peer_fini(&b);
}

Test(sip_transport, tcp_large_messages)
{
	large_message(PC_SIP_TP_TCP, NULL);
}

Test(sip_transport, tls_large_messages)
{
	struct tls_files tf;

	tls_make(&tf);
	large_message(PC_SIP_TP_TLS, &tf);
	tls_unlink(&tf);
}

Test(sip_transport, tls_handshake_times_out_on_a_silent_server)
{
	struct peer a;
	struct pc_sip_transport_conf c;
	union pc_sip_addr la;
	socklen_t alen = sizeof(la);
	struct pc_sip_transport_stats st;
	uint32_t conn = 0;
	int lfd = socket(AF_INET, SOCK_STREAM, 0);

	/* Given a TCP listener that completes connections (the kernel does) but never speaks */
	pc_sip_addr_parse(&la, "127.0.0.1", 0);
	cr_assert_eq(bind(lfd, &la.sa, sizeof(la.in4)), 0);
	cr_assert_eq(listen(lfd, 4), 0);
	getsockname(lfd, &la.sa, &alen);
	conf_init(&c, &a);
	c.connect_timeout_ms = 100;
	peer_init(&a, &c);
	/* When A opens TLS to it */
	cr_assert_eq(pc_sip_transport_send(a.t, PC_SIP_TP_TLS, &la, NULL, "x", 1, &conn), 0);
	/* Then the handshake gives up after the connect timeout */
	cr_assert(pump_until(&a, NULL, &a.ncl, 1));
	cr_expect_eq(a.cl_reason, -ETIMEDOUT);
	cr_expect_eq(a.cl_conn, conn);
	pc_sip_transport_stats(a.t, &st);
	cr_expect_eq(st.tls_failures, 1);
	peer_fini(&a);
	close(lfd);
}

Test(sip_transport, tls_listener_needs_a_certificate_and_bad_files_fail)
{
	struct peer a;
	struct pc_sip_transport_conf c;
	struct pc_sip_transport *t = NULL;
	union pc_sip_addr la;

	peer_init(&a, NULL);
	pc_sip_addr_parse(&la, "127.0.0.1", 0);
	cr_expect_eq(pc_sip_transport_listen(a.t, PC_SIP_TP_TLS, &la, NULL), -EINVAL);
	peer_fini(&a);
	conf_init(&c, &a);
	c.tls_cert_file = "/nonexistent/cert.pem";
	c.tls_key_file = "/nonexistent/key.pem";
	cr_expect_eq(pc_sip_transport_create(&t, &c), -EIO);
	cr_expect_null(t);
	c.tls_cert_file = c.tls_key_file = NULL;
	c.on_recv = NULL;
	cr_expect_eq(pc_sip_transport_create(&t, &c), -EINVAL);
}
