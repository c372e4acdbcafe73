/* SPDX-License-Identifier: MIT */
/*
 * relay_test.c - the RTP relay (pc_relay.h) driven through the media loop (pc_loop.h) on the
 * sockets backend, over 127.0.0.1 and ::1, with plain UDP sockets as the two peers A (leg 0)
 * and B (leg 1). The test thread is both the control thread (commands, events) and the loop
 * thread (pc_loop_poll): every wait pumps the loop with a deadline.
 *
 * Covered: stream creation and the bound ports (RTCP on RTP + 1 when free), forwarding both
 * ways with identical bytes from the other leg's port, no forwarding before the far peer is
 * known (learned, or set by command), RTCP on the RTCP ports and with rtcp-mux, latching and
 * PC_RELAY_F_LOCK, SSRC rewriting across a change of source (RTP and RTCP), bad input counted
 * and dropped, the statistics event, destroy (ports closed), the media timeout, STOP, command
 * errors, a full event channel, and at the end of every test the buffer accounting (pool in_use
 * == what the backend holds).
 *
 * Latching against "RTP bleed" (pc_relay.h, Latching), on pc_relay directly with a clock of
 * the test's own: sprays with random SSRCs never move a remote; a consistent forged stream
 * moves it only after learn_pkts packets and learn_quiet_ms of the sender's silence, never
 * while the sender keeps sending; a NAT rebinding of the sender's own stream moves it at once;
 * RTCP without mux by count; RTCP with mux never; locked legs never; configured remotes. Over
 * the loop: a spray is dropped.
 *
 * SRTP per leg, on pc_relay directly with real sessions (pc_srtp.h): SRTP on one leg and RTP on
 * the other, re-protection between suites, RTP and RTCP both ways, checked by the peers'
 * own sessions; tampering, replay and a forged stream dropped (counted, moving nothing); SRTP
 * passed through without keys relayed byte for byte.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pc_io.h"
#include "udp_test_pvt.h"
#include "pc_loop.h"
#include "pc_rtp.h"
#include "pc_relay.h"

#define PC_TEST_WAIT_MS 2000 /* how long something that should happen may take */
#define PC_TEST_QUIET_MS 30  /* how long to watch for something that should not */
#define PC_TEST_EVTS_MAX 256
#define PC_TEST_STREAMS_MAX 16

/* A peer: an RTP socket and an RTCP socket on the next port (RFC 3550 11). */
struct pc_test_peer {
	int rtp, rtcp;
	union pc_pkt_addr rtp_addr, rtcp_addr;
};

/* One stream as created. */
struct pc_test_stream {
	uint32_t id;
	int live;
	union pc_pkt_addr rtp[2], rtcp[2]; /* the legs' bound addresses */
};

struct pc_test_fx {
	struct pc_io *io;
	struct pc_loop *loop;
	int family;
	int stopping;				   /* a STOP was sent: -ECANCELED is expected */
	struct pc_loop_msg evts[PC_TEST_EVTS_MAX]; /* events taken; type 0 once consumed */
	unsigned nevts;
	struct pc_test_stream *streams[PC_TEST_STREAMS_MAX];
};

/* --- clocks, addresses, sockets -------------------------------------------------------------- */

static uint64_t pc_test_now_ms(void)
{
	return pc_loop_now_ns() / 1000000u;
}

static void pc_test_sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void pc_test_set_port(union pc_pkt_addr *a, uint16_t port)
{
	if (a->sa.sa_family == AF_INET6)
		a->in6.sin6_port = htons(port);
	else
		a->in4.sin_port = htons(port);
}

/* A plain non-blocking UDP socket bound to @want; returns the fd or -errno. */
static int pc_test_udp_at(const union pc_pkt_addr *want, union pc_pkt_addr *bound)
{
	socklen_t len = sizeof(*bound);
	int fd = socket(want->sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1, buf = 1 << 20;

	if (fd < 0)
		return -errno;
	if (want->sa.sa_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (bind(fd, &want->sa, pc_test_addr_len(want)) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	memset(bound, 0, sizeof(*bound));
	cr_assert_eq(getsockname(fd, &bound->sa, &len), 0);
	return fd;
}

static int pc_test_udp(int family, union pc_pkt_addr *bound)
{
	union pc_pkt_addr want = pc_test_loopback(family, 0);
	int fd = pc_test_udp_at(&want, bound);

	cr_assert_geq(fd, 0, "plain UDP socket: %s", strerror(-fd));
	return fd;
}

static void pc_test_need(int family)
{
	union pc_pkt_addr want = pc_test_loopback(family, 0), b;
	int fd = pc_test_udp_at(&want, &b);

	if (fd < 0)
		cr_skip_test("%s unavailable: %s", family == AF_INET6 ? "::1" : "127.0.0.1",
			     strerror(-fd));
	close(fd);
}

/* A free port P with P + 1 free too, both released again (another process may take them, so
 * the tests that use it re-check what they got). */
static uint16_t pc_test_free_pair(int family)
{
	for (unsigned tries = 0; tries < 200; tries++) {
		union pc_pkt_addr a, b, want;
		int fd = pc_test_udp(family, &a);
		int fd2;
		uint16_t p = pc_test_port_of(&a);

		if (p == 65535) {
			close(fd);
			continue;
		}
		want = pc_test_loopback(family, (uint16_t)(p + 1));
		fd2 = pc_test_udp_at(&want, &b);
		close(fd);
		if (fd2 >= 0) {
			close(fd2);
			return p;
		}
	}
	cr_assert_fail("no free pair of ports");
	return 0;
}

/* A peer with its RTCP socket on its RTP port + 1. */
static void pc_test_peer_new(int family, struct pc_test_peer *p)
{
	for (unsigned tries = 0; tries < 200; tries++) {
		union pc_pkt_addr want;
		uint16_t port;

		p->rtp = pc_test_udp(family, &p->rtp_addr);
		port = pc_test_port_of(&p->rtp_addr);
		if (port != 65535) {
			want = pc_test_loopback(family, (uint16_t)(port + 1));
			p->rtcp = pc_test_udp_at(&want, &p->rtcp_addr);
			if (p->rtcp >= 0)
				return;
		}
		close(p->rtp);
	}
	cr_assert_fail("no free pair of ports for a peer");
}

static void pc_test_peer_close(struct pc_test_peer *p)
{
	close(p->rtp);
	close(p->rtcp);
}

static void pc_test_send(int fd, const void *buf, size_t len, const union pc_pkt_addr *to)
{
	ssize_t n = sendto(fd, buf, len, 0, &to->sa, pc_test_addr_len(to));

	cr_assert_eq(n, (ssize_t)len, "sendto: %zd (%s)", n, strerror(errno));
}

/* --- packets --------------------------------------------------------------------------------- */

static void pc_test_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void pc_test_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint16_t pc_test_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t pc_test_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* An RTP packet (PT 0) with @payload bytes of a pattern; returns its length. */
static size_t pc_test_rtp(uint8_t *b, uint16_t seq, uint32_t ts, uint32_t ssrc, size_t payload)
{
	b[0] = 0x80;
	b[1] = 0;
	pc_test_put16(b + 2, seq);
	pc_test_put32(b + 4, ts);
	pc_test_put32(b + 8, ssrc);
	for (size_t i = 0; i < payload; i++)
		b[12 + i] = (uint8_t)(seq + i * 7);
	return 12 + payload;
}

/* An SR without report blocks (28 bytes). */
static size_t pc_test_sr(uint8_t *b, uint32_t ssrc, uint32_t rtp_ts)
{
	memset(b, 0, 28);
	b[0] = 0x80;
	b[1] = 200;
	b[3] = 6;
	pc_test_put32(b + 4, ssrc);
	pc_test_put32(b + 8, 0xe1234567u); /* NTP */
	pc_test_put32(b + 12, 0x89abcdefu);
	pc_test_put32(b + 16, rtp_ts);
	pc_test_put32(b + 20, 10);   /* packets */
	pc_test_put32(b + 24, 1600); /* octets */
	return 28;
}

/* An RR from @ssrc with one report block about @about (32 bytes). */
static size_t pc_test_rr(uint8_t *b, uint32_t ssrc, uint32_t about)
{
	memset(b, 0, 32);
	b[0] = 0x81;
	b[1] = 201;
	b[3] = 7;
	pc_test_put32(b + 4, ssrc);
	pc_test_put32(b + 8, about);
	pc_test_put32(b + 16, 1234); /* extended highest sequence number */
	return 32;
}

/* --- the loop -------------------------------------------------------------------------------- */

static void pc_test_fx_init(struct pc_test_fx *fx, int family, uint32_t burst, uint32_t chan)
{
	struct pc_io_conf ioc = {
		.backend = PC_IO_SOCKETS,
		.pkts = 1024,
		.max_ports = 64,
		.burst = burst,
	};
	struct pc_loop_conf lc = {
		.max_streams = PC_TEST_STREAMS_MAX,
		.channel_msgs = chan,
		.burst = burst,
	};
	int rc;

	pc_test_need(family);
	memset(fx, 0, sizeof(*fx));
	fx->family = family;
	rc = pc_io_create(&fx->io, &ioc);
	cr_assert_eq(rc, 0, "pc_io_create: %d", rc);
	lc.io = fx->io;
	rc = pc_loop_create(&fx->loop, &lc);
	cr_assert_eq(rc, 0, "pc_loop_create: %d", rc);
}

static struct pc_loop_stats pc_test_loop_stats(const struct pc_test_fx *fx)
{
	struct pc_loop_stats st;

	pc_loop_get_stats(fx->loop, &st);
	return st;
}

/* One iteration of the loop, then every event into fx->evts. */
static void pc_test_pump(struct pc_test_fx *fx)
{
	struct pc_loop_msg *m;
	int rc = pc_loop_poll(fx->loop, 0);

	if (!fx->stopping)
		cr_assert_geq(rc, 0, "pc_loop_poll: %d", rc);
	while ((m = pc_loop_evt_poll(fx->loop)) != NULL) {
		cr_assert_lt(fx->nevts, PC_TEST_EVTS_MAX, "too many events");
		fx->evts[fx->nevts++] = *m;
		pc_loop_evt_release(fx->loop, m);
	}
}

/* Takes the first event of @type for @stream, pumping the loop for up to @timeout_ms. */
static bool pc_test_take_evt(struct pc_test_fx *fx, uint32_t type, uint32_t stream, int timeout_ms,
			     struct pc_loop_msg *out)
{
	uint64_t deadline = pc_test_now_ms() + (uint64_t)timeout_ms;

	for (;;) {
		for (unsigned i = 0; i < fx->nevts; i++) {
			if (fx->evts[i].type == type && fx->evts[i].stream == stream) {
				if (out != NULL)
					*out = fx->evts[i];
				fx->evts[i].type = 0;
				return true;
			}
		}
		if (pc_test_now_ms() > deadline)
			return false;
		pc_test_pump(fx);
	}
}

static unsigned pc_test_count_evts(const struct pc_test_fx *fx, uint32_t type, uint32_t stream)
{
	unsigned n = 0;

	for (unsigned i = 0; i < fx->nevts; i++)
		n += fx->evts[i].type == type && fx->evts[i].stream == stream;
	return n;
}

static struct pc_loop_msg *pc_test_cmd(struct pc_test_fx *fx, uint32_t type, uint32_t stream)
{
	struct pc_loop_msg *m = pc_loop_cmd_reserve(fx->loop);

	cr_assert_not_null(m, "command channel full");
	cr_assert_eq(m->type, 0, "reserve returns a zeroed message");
	m->type = type;
	m->stream = stream;
	return m;
}

/* The default request: both legs on the loopback, any port, RTCP on RTP + 1, no flags. */
static struct pc_loop_relay_create pc_test_relay_conf(const struct pc_test_fx *fx)
{
	struct pc_loop_relay_create c;

	memset(&c, 0, sizeof(c));
	for (unsigned leg = 0; leg < 2; leg++)
		c.local_rtp[leg] = pc_test_loopback(fx->family, 0);
	return c;
}

/* Sends RELAY_CREATE and waits for CREATED; returns its rc, fills @s on success. */
static int pc_test_try_create(struct pc_test_fx *fx, uint32_t stream,
			      const struct pc_loop_relay_create *c, struct pc_test_stream *s,
			      struct pc_loop_msg *evt)
{
	struct pc_loop_msg *m = pc_test_cmd(fx, PC_LOOP_CMD_RELAY_CREATE, stream);
	struct pc_loop_msg e;

	m->u.relay = *c;
	pc_loop_cmd_commit(fx->loop, m);
	cr_assert(pc_test_take_evt(fx, PC_LOOP_EVT_CREATED, stream, PC_TEST_WAIT_MS, &e),
		  "no CREATED event");
	if (evt != NULL)
		*evt = e;
	if (e.rc == 0 && s != NULL) {
		memset(s, 0, sizeof(*s));
		s->id = stream;
		s->live = 1;
		for (unsigned leg = 0; leg < 2; leg++) {
			s->rtp[leg] = e.u.created.rtp[leg];
			s->rtcp[leg] = e.u.created.rtcp[leg];
		}
		fx->streams[stream] = s;
	}
	return e.rc;
}

static void pc_test_create(struct pc_test_fx *fx, uint32_t stream,
			   const struct pc_loop_relay_create *c, struct pc_test_stream *s)
{
	int rc = pc_test_try_create(fx, stream, c, s, NULL);

	cr_assert_eq(rc, 0, "CREATED rc %d", rc);
	for (unsigned leg = 0; leg < 2; leg++) {
		cr_assert_eq(s->rtp[leg].sa.sa_family, fx->family);
		cr_assert_neq(pc_test_port_of(&s->rtp[leg]), 0);
		cr_assert_neq(pc_test_port_of(&s->rtcp[leg]), 0);
	}
}

static void pc_test_stats(struct pc_test_fx *fx, uint32_t stream, struct pc_relay_leg_stats st[2])
{
	struct pc_loop_msg e;

	pc_loop_cmd_commit(fx->loop, pc_test_cmd(fx, PC_LOOP_CMD_STREAM_STATS, stream));
	cr_assert(pc_test_take_evt(fx, PC_LOOP_EVT_STATS, stream, PC_TEST_WAIT_MS, &e),
		  "no STATS event");
	cr_assert_eq(e.rc, 0);
	st[0] = e.u.stats[0];
	st[1] = e.u.stats[1];
}

static void pc_test_destroy(struct pc_test_fx *fx, struct pc_test_stream *s,
			    struct pc_relay_leg_stats st[2])
{
	struct pc_loop_msg e;

	pc_loop_cmd_commit(fx->loop, pc_test_cmd(fx, PC_LOOP_CMD_STREAM_DESTROY, s->id));
	cr_assert(pc_test_take_evt(fx, PC_LOOP_EVT_DESTROYED, s->id, PC_TEST_WAIT_MS, &e),
		  "no DESTROYED event");
	cr_assert_eq(e.rc, 0);
	if (st != NULL) {
		st[0] = e.u.stats[0];
		st[1] = e.u.stats[1];
	}
	s->live = 0;
	fx->streams[s->id] = NULL;
}

static void pc_test_set_remote(struct pc_test_fx *fx, uint32_t stream, uint32_t leg,
			       enum pc_relay_kind kind, const union pc_pkt_addr *a)
{
	struct pc_loop_msg *m = pc_test_cmd(fx, PC_LOOP_CMD_RELAY_REMOTE, stream);

	m->u.remote.leg = leg;
	m->u.remote.kind = kind;
	m->u.remote.addr = *a;
	pc_loop_cmd_commit(fx->loop, m);
	pc_test_pump(fx); /* the command is taken in this iteration */
}

/* The buffer accounting, then teardown: destroy what is left, the loop, the I/O. */
static void pc_test_fx_fini(struct pc_test_fx *fx)
{
	struct pc_pkt_pool_stats ps;
	struct pc_io_stats ios;
	struct pc_loop_stats ls;

	for (unsigned i = 0; i < PC_TEST_STREAMS_MAX; i++)
		if (fx->streams[i] != NULL && fx->streams[i]->live)
			pc_test_destroy(fx, fx->streams[i], NULL);
	for (unsigned i = 0; i < 3; i++)
		pc_test_pump(fx);
	ls = pc_test_loop_stats(fx);
	cr_assert_eq(ls.unknown_port, 0,
		     "unknown_port %llu: the sockets backend has no port "
		     "without a stream",
		     (unsigned long long)ls.unknown_port);
	pc_io_get_stats(fx->io, &ios);
	pc_pkt_pool_stats(pc_io_pool(fx->io), &ps);
	cr_assert_eq(ps.in_use, ios.bufs_held, "pool in_use %u, backend holds %llu", ps.in_use,
		     (unsigned long long)ios.bufs_held);
	pc_loop_destroy(fx->loop);
	pc_io_destroy(fx->io);
}

/* Pumps until the loop has received @n packets in all (since create). */
static void pc_test_pump_rx(struct pc_test_fx *fx, uint64_t n)
{
	uint64_t deadline = pc_test_now_ms() + PC_TEST_WAIT_MS;

	while (pc_test_loop_stats(fx).rx_pkts < n) {
		cr_assert_leq(pc_test_now_ms(), deadline, "the loop received %llu of %llu",
			      (unsigned long long)pc_test_loop_stats(fx).rx_pkts,
			      (unsigned long long)n);
		pc_test_pump(fx);
	}
	pc_test_pump(fx);
}

/* Receives one datagram on @fd, pumping the loop; returns its length or -1 after the wait. */
static ssize_t pc_test_relay_recv(struct pc_test_fx *fx, int fd, uint8_t *buf, size_t cap,
				  union pc_pkt_addr *from, int timeout_ms)
{
	uint64_t deadline = pc_test_now_ms() + (uint64_t)timeout_ms;
	union pc_pkt_addr dummy;

	if (from == NULL)
		from = &dummy;
	for (;;) {
		socklen_t flen = sizeof(*from);
		ssize_t n = recvfrom(fd, buf, cap, MSG_DONTWAIT, &from->sa, &flen);

		if (n >= 0)
			return n;
		cr_assert(errno == EAGAIN || errno == EWOULDBLOCK, "recvfrom: %s", strerror(errno));
		if (pc_test_now_ms() > deadline)
			return -1;
		pc_test_pump(fx);
	}
}

/* Nothing is waiting on @fd, after the loop had a few more turns. */
static void pc_test_assert_quiet(struct pc_test_fx *fx, int fd, const char *what)
{
	uint8_t buf[2048];

	cr_assert_eq(pc_test_relay_recv(fx, fd, buf, sizeof(buf), NULL, PC_TEST_QUIET_MS), -1,
		     "%s: a datagram arrived", what);
}

/* Sends @len bytes from @fd to @to and checks that @rfd receives them unchanged from @src. */
static void pc_test_relayed(struct pc_test_fx *fx, int fd, const uint8_t *pkt, size_t len,
			    const union pc_pkt_addr *to, int rfd, const union pc_pkt_addr *src)
{
	uint8_t buf[2048];
	union pc_pkt_addr from;
	ssize_t n;

	pc_test_send(fd, pkt, len, to);
	n = pc_test_relay_recv(fx, rfd, buf, sizeof(buf), &from, PC_TEST_WAIT_MS);
	cr_assert_eq(n, (ssize_t)len, "relayed %zd bytes, sent %zu", n, len);
	cr_assert_eq(memcmp(buf, pkt, len), 0, "the bytes changed on the way");
	cr_assert(pc_pkt_addr_equal(&from, src), "from port %u, expected the leg's port %u",
		  pc_test_port_of(&from), pc_test_port_of(src));
}

/* --- creation -------------------------------------------------------------------------------- */

static void pc_test_created_ports(int family)
{
	struct pc_test_fx fx;
	struct pc_test_stream s;
	struct pc_loop_relay_create c;

	pc_test_fx_init(&fx, family, 0, 0);
	c = pc_test_relay_conf(&fx);

	/* Given a relay asked for on the loopback, any port / When created */
	pc_test_create(&fx, 3, &c, &s);

	/* Then the event has four distinct bound ports on the loopback, really bound */
	for (unsigned leg = 0; leg < 2; leg++) {
		union pc_pkt_addr lo = pc_test_loopback(family, 0), b;

		pc_test_set_port(&lo, pc_test_port_of(&s.rtp[leg]));
		cr_assert(pc_pkt_addr_equal(&s.rtp[leg], &lo), "leg %u not on the loopback", leg);
		cr_assert_neq(pc_test_port_of(&s.rtp[leg]), pc_test_port_of(&s.rtcp[leg]));
		cr_assert_eq(pc_test_udp_at(&s.rtp[leg], &b), -EADDRINUSE);
		cr_assert_eq(pc_test_udp_at(&s.rtcp[leg], &b), -EADDRINUSE);
	}
	cr_assert_neq(pc_test_port_of(&s.rtp[0]), pc_test_port_of(&s.rtp[1]));
	pc_test_fx_fini(&fx);
}

Test(relay, created_event_reports_bound_ports_ipv4)
{
	pc_test_created_ports(AF_INET);
}

Test(relay, created_event_reports_bound_ports_ipv6)
{
	pc_test_created_ports(AF_INET6);
}

Test(relay, rtcp_port_is_rtp_plus_one_when_free)
{
	struct pc_test_fx fx;
	struct pc_test_stream s;
	struct pc_loop_relay_create c;
	uint16_t p;

	pc_test_fx_init(&fx, AF_INET, 0, 0);
	c = pc_test_relay_conf(&fx);
	/* Given leg 0's RTP on a port P whose P + 1 is free */
	p = pc_test_free_pair(AF_INET);
	pc_test_set_port(&c.local_rtp[0], p);

	/* When created / Then leg 0's RTCP port is P + 1 */
	pc_test_create(&fx, 0, &c, &s);
	cr_assert_eq(pc_test_port_of(&s.rtp[0]), p);
	cr_assert_eq(pc_test_port_of(&s.rtcp[0]), p + 1);
	pc_test_fx_fini(&fx);
}

Test(relay, rtcp_port_falls_back_when_rtp_plus_one_is_taken)
{
	struct pc_test_fx fx;
	struct pc_test_stream s;
	struct pc_loop_relay_create c;
	union pc_pkt_addr want, b;
	uint16_t p;
	int blocker;

	pc_test_fx_init(&fx, AF_INET, 0, 0);
	c = pc_test_relay_conf(&fx);
	/* Given leg 0's RTP on a port P whose P + 1 someone else holds */
	p = pc_test_free_pair(AF_INET);
	want = pc_test_loopback(AF_INET, (uint16_t)(p + 1));
	blocker = pc_test_udp_at(&want, &b);
	cr_assert_geq(blocker, 0);
	pc_test_set_port(&c.local_rtp[0], p);

	/* When created / Then it still is, with RTCP on another port */
	pc_test_create(&fx, 0, &c, &s);
	cr_assert_eq(pc_test_port_of(&s.rtp[0]), p);
	cr_assert_neq(pc_test_port_of(&s.rtcp[0]), p + 1);
	cr_assert_neq(pc_test_port_of(&s.rtcp[0]), p);
	close(blocker);
	pc_test_fx_fini(&fx);
}

Test(relay, create_failure_releases_the_ports_already_open)
{
	struct pc_test_fx fx;
	struct pc_test_stream s;
	struct pc_loop_relay_create c;
	struct pc_loop_msg e;
	union pc_pkt_addr taken, b;
	int blocker, fd;

	pc_test_fx_init(&fx, AF_INET, 0, 0);
	c = pc_test_relay_conf(&fx);
	/* Given leg 1's RTP asked on a port a plain socket holds */
	blocker = pc_test_udp(AF_INET, &taken);
	c.local_rtp[1] = taken;

	/* When created / Then CREATED says -EADDRINUSE */
	cr_assert_eq(pc_test_try_create(&fx, 1, &c, NULL, &e), -EADDRINUSE);

	/* And leg 0's ports, opened before the failure, are closed again */
	cr_assert_neq(pc_test_port_of(&e.u.created.rtp[0]), 0);
	fd = pc_test_udp_at(&e.u.created.rtp[0], &b);
	cr_assert_geq(fd, 0, "leg 0's RTP port is still bound: %d", fd);
	close(fd);
	fd = pc_test_udp_at(&e.u.created.rtcp[0], &b);
	cr_assert_geq(fd, 0, "leg 0's RTCP port is still bound: %d", fd);
	close(fd);
	close(blocker);

	/* And the stream id is free for a create that works */
	c = pc_test_relay_conf(&fx);
	pc_test_create(&fx, 1, &c, &s);
	pc_test_fx_fini(&fx);
}

Test(relay, command_errors)
{
	struct pc_test_fx fx;
	struct pc_test_stream s;
	struct pc_loop_relay_create c;
	struct pc_loop_msg e, *m;

	pc_test_fx_init(&fx, AF_INET, 0, 0);
	c = pc_test_relay_conf(&fx);
	pc_test_create(&fx, 2, &c, &s);

	/* Given a stream 2 / When created again / Then CREATED -EEXIST, and it still works */
	cr_assert_eq(pc_test_try_create(&fx, 2, &c, NULL, &e), -EEXIST);

	/* When a stream id past max_streams is used / Then ERROR -EINVAL */
	pc_loop_cmd_commit(fx.loop,
			   pc_test_cmd(&fx, PC_LOOP_CMD_STREAM_STATS, PC_TEST_STREAMS_MAX));
	cr_assert(
		pc_test_take_evt(&fx, PC_LOOP_EVT_ERROR, PC_TEST_STREAMS_MAX, PC_TEST_WAIT_MS, &e));
	cr_assert_eq(e.rc, -EINVAL);

	/* When a stream that does not exist is asked for / Then ERROR -ENOENT */
	pc_loop_cmd_commit(fx.loop, pc_test_cmd(&fx, PC_LOOP_CMD_STREAM_STATS, 5));
	cr_assert(pc_test_take_evt(&fx, PC_LOOP_EVT_ERROR, 5, PC_TEST_WAIT_MS, &e));
	cr_assert_eq(e.rc, -ENOENT);
	pc_loop_cmd_commit(fx.loop, pc_test_cmd(&fx, PC_LOOP_CMD_STREAM_DESTROY, 5));
	cr_assert(pc_test_take_evt(&fx, PC_LOOP_EVT_ERROR, 5, PC_TEST_WAIT_MS, &e));
	cr_assert_eq(e.rc, -ENOENT);

	/* When an unknown command, or a remote for leg 2, is sent / Then ERROR -EINVAL */
	pc_loop_cmd_commit(fx.loop, pc_test_cmd(&fx, 99, 2));
	cr_assert(pc_test_take_evt(&fx, PC_LOOP_EVT_ERROR, 2, PC_TEST_WAIT_MS, &e));
	cr_assert_eq(e.rc, -EINVAL);
	m = pc_test_cmd(&fx, PC_LOOP_CMD_RELAY_REMOTE, 2);
	m->u.remote.leg = 2;
	m->u.remote.addr = pc_test_loopback(AF_INET, 9);
	pc_loop_cmd_commit(fx.loop, m);
	cr_assert(pc_test_take_evt(&fx, PC_LOOP_EVT_ERROR, 2, PC_TEST_WAIT_MS, &e));
	cr_assert_eq(e.rc, -EINVAL);
	pc_test_fx_fini(&fx);
}

/* --- forwarding ------------------------------------------------------------------------------ */

static void pc_test_both_ways(int family)
{
	struct pc_test_fx fx;
	struct pc_test_stream s;
	struct pc_loop_relay_create c;
	struct pc_test_peer a, b;
	struct pc_relay_leg_stats st[2];
	uint8_t pkt[1500];
	uint64_t a_bytes = 0, b_bytes = 0;
	size_t len;

	pc_test_fx_init(&fx, family, 0, 0);
	c = pc_test_relay_conf(&fx);
	pc_test_create(&fx, 0, &c, &s);
	pc_test_peer_new(family, &a);
	pc_test_peer_new(family, &b);

	/* Given A sending 3 RTP packets before anything is known of B */
	for (unsigned i = 0; i < 3; i++) {
		len = pc_test_rtp(pkt, (uint16_t)i, 160 * i, 0xa0a0a0a0u, 160);
		pc_test_send(a.rtp, pkt, len, &s.rtp[0]);
		a_bytes += len;
	}
	pc_test_pump_rx(&fx, 3);

	/* Then B gets nothing: no peer on leg 1 (counted on leg 0) */
	pc_test_assert_quiet(&fx, b.rtp, "before B is known");
	pc_test_stats(&fx, 0, st);
	cr_assert_eq(st[0].rx_pkts, 3);
	cr_assert_eq(st[0].no_peer, 3);
	cr_assert_eq(st[1].tx_pkts, 0);

	/* When B sends / Then A gets B's packet, unchanged, from leg 0's RTP port (A was learned
	 * from its first packet) */
	len = pc_test_rtp(pkt, 500, 8000, 0xb0b0b0b0u, 20);
	pc_test_relayed(&fx, b.rtp, pkt, len, &s.rtp[1], a.rtp, &s.rtp[0]);
	b_bytes += len;

	/* When A sends packets of several sizes / Then B gets each, unchanged, from leg 1's RTP
	 * port */
	for (unsigned i = 0; i < 5; i++) {
		len = pc_test_rtp(pkt, (uint16_t)(3 + i), 160 * (3 + i), 0xa0a0a0a0u, 1 + i * 300);
		pc_test_relayed(&fx, a.rtp, pkt, len, &s.rtp[0], b.rtp, &s.rtp[1]);
		a_bytes += len;
	}
	/* And back, twice */
	for (unsigned i = 0; i < 2; i++) {
		len = pc_test_rtp(pkt, (uint16_t)(501 + i), 8160, 0xb0b0b0b0u, 160);
		pc_test_relayed(&fx, b.rtp, pkt, len, &s.rtp[1], a.rtp, &s.rtp[0]);
		b_bytes += len;
	}

	/* Then the statistics event counts exactly that */
	pc_test_stats(&fx, 0, st);
	cr_assert_eq(st[0].rx_pkts, 8);
	cr_assert_eq(st[0].rx_bytes, a_bytes);
	cr_assert_eq(st[0].no_peer, 3);
	cr_assert_eq(st[0].tx_pkts, 3);
	cr_assert_eq(st[0].tx_bytes, b_bytes);
	cr_assert_eq(st[1].rx_pkts, 3);
	cr_assert_eq(st[1].rx_bytes, b_bytes);
	cr_assert_eq(st[1].tx_pkts, 5);
	cr_assert_eq(st[1].no_peer, 0);
	for (unsigned leg = 0; leg < 2; leg++) {
		cr_assert_eq(st[leg].bad + st[leg].foreign + st[leg].relearned + st[leg].srtp_drops,
			     0, "leg %u", leg);
		cr_assert_neq(st[leg].last_rx_ns, 0);
		cr_assert_leq(st[leg].last_rx_ns, pc_loop_now_ns());
	}
	cr_assert_eq(pc_test_loop_stats(&fx).rx_pkts, 11);
	pc_test_peer_close(&a);
	pc_test_peer_close(&b);
	pc_test_fx_fini(&fx);
}

Test(relay, rtp_waits_for_b_then_flows_both_ways_ipv4)
{
	pc_test_both_ways(AF_INET);
}

Test(relay, rtp_waits_for_b_then_flows_both_ways_ipv6)
{
	pc_test_both_ways(AF_INET6);
}

Test(relay, remote_set_by_command_lets_a_reach_b_first)
{
	struct pc_test_fx fx;
	struct pc_test_stream s;
	struct pc_loop_relay_create c;
	struct pc_test_peer a, b;
	struct pc_relay_leg_stats st[2];
	union pc_pkt_addr unknown;
	uint8_t pkt[200];
	size_t len;

	pc_test_fx_init(&fx, AF_INET, 0, 0);
	c = pc_test_relay_conf(&fx);
	pc_test_create(&fx, 0, &c, &s);
	pc_test_peer_new(AF_INET, &a);
	pc_test_peer_new(AF_INET, &b);

	/* Given B's RTP address set on leg 1 by command (as from SDP) */
	pc_test_set_remote(&fx, 0, 1, PC_RELAY_RTP, &b.rtp_addr);

	/* When A sends first / Then B gets it */
	len = pc_test_rtp(pkt, 1, 160, 0x01020304u, 100);
	pc_test_relayed(&fx, a.rtp, pkt, len, &s.rtp[0], b.rtp, &s.rtp[1]);

	/* And RTCP, with no RTCP address known for B, goes to B's RTP port + 1 */
	len = pc_test_sr(pkt, 0x01020304u, 160);
	pc_test_relayed(&fx, a.rtcp, pkt, len, &s.rtcp[0], b.rtcp, &s.rtcp[1]);

	/* When B's address is forgotten (family 0) / Then A's packets stop, counted as no peer */
	memset(&unknown, 0, sizeof(unknown));
	pc_test_set_remote(&fx, 0, 1, PC_RELAY_RTP, &unknown);
	len = pc_test_rtp(pkt, 2, 320, 0x01020304u, 100);
	pc_test_send(a.rtp, pkt, len, &s.rtp[0]);
	pc_test_pump_rx(&fx, 3);
	pc_test_assert_quiet(&fx, b.rtp, "B after its address was forgotten");
	pc_test_stats(&fx, 0, st);
	cr_assert_eq(st[0].no_peer, 1);
	cr_assert_eq(st[1].tx_pkts, 2);
	pc_test_peer_close(&a);
	pc_test_peer_close(&b);
	pc_test_fx_fini(&fx);
}

Test(relay, configured_remote_in_create)
{
	struct pc_test_fx fx;
	struct pc_test_stream s;
	struct pc_loop_relay_create c;
	struct pc_test_peer a, b;
	uint8_t pkt[200];
	size_t len;

	pc_test_fx_init(&fx, AF_INET, 0, 0);
	pc_test_peer_new(AF_INET, &a);
	pc_test_peer_new(AF_INET, &b);
	/* Given B's addresses in leg 1's configuration */
	c = pc_test_relay_conf(&fx);
	c.leg[1].remote_rtp = b.rtp_addr;
	c.leg[1].remote_rtcp = b.rtcp_addr;
	pc_test_create(&fx, 0, &c, &s);

	/* When A sends RTP and RTCP / Then B gets both */
	len = pc_test_rtp(pkt, 1, 160, 0x01020304u, 100);
	pc_test_relayed(&fx, a.rtp, pkt, len, &s.rtp[0], b.rtp, &s.rtp[1]);
	len = pc_test_sr(pkt, 0x01020304u, 160);
	pc_test_relayed(&fx, a.rtcp, pkt, len, &s.rtcp[0], b.rtcp, &s.rtcp[1]);
	pc_test_peer_close(&a);
	pc_test_peer_close(&b);
	pc_test_fx_fini(&fx);
}

Test(relay, rtcp_relayed_on_the_rtcp_ports)
{
	struct pc_test_fx fx;
	struct pc_test_stream s;
	struct pc_loop_relay_create c;
	struct pc_test_peer a, b;
	struct pc_relay_leg_stats st[2];
	uint8_t pkt[200];
	size_t len;

	pc_test_fx_init(&fx, AF_INET, 0, 0);
	c = pc_test_relay_conf(&fx);
	pc_test_create(&fx, 0, &c, &s);
	pc_test_peer_new(AF_INET, &a);
	pc_test_peer_new(AF_INET, &b);

	/* Given RTP learned both ways */
	len = pc_test_rtp(pkt, 1, 160, 0xb0b0b0b0u, 20);
	pc_test_send(b.rtp, pkt, len, &s.rtp[1]);
	pc_test_pump_rx(&fx, 1);
	len = pc_test_rtp(pkt, 1, 160, 0xa0a0a0a0u, 20);
	pc_test_relayed(&fx, a.rtp, pkt, len, &s.rtp[0], b.rtp, &s.rtp[1]);

	/* When B sends an RR on its RTCP socket to leg 1's RTCP port / Then A's RTCP socket (A's
	 * RTP port + 1: nothing learned yet) gets it from leg 0's RTCP port */
	len = pc_test_rr(pkt, 0xb0b0b0b0u, 0xa0a0a0a0u);
	pc_test_relayed(&fx, b.rtcp, pkt, len, &s.rtcp[1], a.rtcp, &s.rtcp[0]);

	/* When A sends SR + SDES / Then B's RTCP socket gets it from leg 1's RTCP port */
	len = pc_test_sr(pkt, 0xa0a0a0a0u, 320);
	memcpy(pkt + len,
	       "\x81\xca\x00\x03\xa0\xa0\xa0\xa0\x01\x04"
	       "abcd\x00\x00",
	       16);
	len += 16;
	pc_test_relayed(&fx, a.rtcp, pkt, len, &s.rtcp[0], b.rtcp, &s.rtcp[1]);

	/* And no RTCP came out on an RTP socket */
	pc_test_assert_quiet(&fx, a.rtp, "A's RTP socket");
	pc_test_assert_quiet(&fx, b.rtp, "B's RTP socket");
	pc_test_stats(&fx, 0, st);
	cr_assert_eq(st[0].rx_pkts, 2);
	cr_assert_eq(st[1].rx_pkts, 2);
	cr_assert_eq(st[0].bad + st[1].bad, 0);
	pc_test_peer_close(&a);
	pc_test_peer_close(&b);
	pc_test_fx_fini(&fx);
}

static void pc_test_rtcp_mux(int family)
{
	struct pc_test_fx fx;
	struct pc_test_stream s;
	struct pc_loop_relay_create c;
	struct pc_test_peer a, b;
	struct pc_relay_leg_stats st[2];
	uint8_t pkt[200];
	size_t len;

	pc_test_fx_init(&fx, family, 0, 0);
	c = pc_test_relay_conf(&fx);
	/* Given both legs with rtcp-mux */
	c.leg[0].flags = PC_RELAY_F_RTCP_MUX;
	c.leg[1].flags = PC_RELAY_F_RTCP_MUX;
	pc_test_create(&fx, 0, &c, &s);
	pc_test_peer_new(family, &a);
	pc_test_peer_new(family, &b);

	/* Then each leg has one port for both */
	cr_assert(pc_pkt_addr_equal(&s.rtp[0], &s.rtcp[0]));
	cr_assert(pc_pkt_addr_equal(&s.rtp[1], &s.rtcp[1]));

	/* When B sends RTP and A RTP, then SR, and B an RR, all on the RTP ports / Then each
	 * arrives unchanged on the other's RTP socket */
	len = pc_test_rtp(pkt, 1, 160, 0xb0b0b0b0u, 20);
	pc_test_send(b.rtp, pkt, len, &s.rtp[1]);
	pc_test_pump_rx(&fx, 1);
	len = pc_test_rtp(pkt, 7, 160, 0xa0a0a0a0u, 20);
	pc_test_relayed(&fx, a.rtp, pkt, len, &s.rtp[0], b.rtp, &s.rtp[1]);
	len = pc_test_sr(pkt, 0xa0a0a0a0u, 320);
	pc_test_relayed(&fx, a.rtp, pkt, len, &s.rtp[0], b.rtp, &s.rtp[1]);
	len = pc_test_rr(pkt, 0xb0b0b0b0u, 0xa0a0a0a0u);
	pc_test_relayed(&fx, b.rtp, pkt, len, &s.rtp[1], a.rtp, &s.rtp[0]);
	/* And a payload type 72 + marker (byte 200, which RFC 5761 keeps out of RTP) goes as
	 * RTCP framing: it is not valid RTCP, so it is dropped as bad */
	len = pc_test_rtp(pkt, 8, 320, 0xa0a0a0a0u, 21);
	pkt[1] = 0x80 | 72;
	pc_test_send(a.rtp, pkt, len, &s.rtp[0]);
	pc_test_pump_rx(&fx, 5);

	/* And nothing went to the RTCP sockets, nothing was bad but that last one */
	pc_test_assert_quiet(&fx, a.rtcp, "A's RTCP socket");
	pc_test_assert_quiet(&fx, b.rtcp, "B's RTCP socket");
	pc_test_stats(&fx, 0, st);
	cr_assert_eq(st[0].rx_pkts, 3);
	cr_assert_eq(st[0].bad, 1);
	cr_assert_eq(st[1].rx_pkts, 2);
	cr_assert_eq(st[1].bad, 0);
	cr_assert_eq(st[1].tx_pkts, 2);
	pc_test_peer_close(&a);
	pc_test_peer_close(&b);
	pc_test_fx_fini(&fx);
}

Test(relay, rtcp_mux_on_the_rtp_port_ipv4)
{
	pc_test_rtcp_mux(AF_INET);
}

Test(relay, rtcp_mux_on_the_rtp_port_ipv6)
{
	pc_test_rtcp_mux(AF_INET6);
}

/* --- latching -------------------------------------------------------------------------------- */

/* Creates stream 0 with leg 0's @flags and learns A and B on RTP. */
static void pc_test_latched(struct pc_test_fx *fx, struct pc_test_stream *s, uint32_t flags0,
			    struct pc_test_peer *a, struct pc_test_peer *b)
{
	struct pc_loop_relay_create c = pc_test_relay_conf(fx);
	uint8_t pkt[64];
	size_t len;

	c.leg[0].flags = flags0;
	pc_test_create(fx, 0, &c, s);
	pc_test_peer_new(fx->family, a);
	pc_test_peer_new(fx->family, b);
	len = pc_test_rtp(pkt, 1, 160, 0xb0b0b0b0u, 20);
	pc_test_send(b->rtp, pkt, len, &s->rtp[1]);
	pc_test_pump_rx(fx, 1);
	len = pc_test_rtp(pkt, 1, 160, 0xa0a0a0a0u, 20);
	pc_test_relayed(fx, a->rtp, pkt, len, &s->rtp[0], b->rtp, &s->rtp[1]);
}

Test(relay, latching_follows_a_new_source_port)
{
	struct pc_test_fx fx;
	struct pc_test_stream s;
	struct pc_test_peer a, b;
	struct pc_relay_leg_stats st[2];
	union pc_pkt_addr a2_addr;
	uint8_t pkt[64];
	size_t len;
	int a2;

	pc_test_fx_init(&fx, AF_INET, 0, 0);
	pc_test_latched(&fx, &s, 0, &a, &b);

	/* Given A moving to a new source port (a NAT rebinding) */
	a2 = pc_test_udp(AF_INET, &a2_addr);

	/* When it sends from there, its own stream (same SSRC, next sequence number) / Then B
	 * gets it at once, and the relay follows: B's reply goes to the new port, not the old
	 * one */
	len = pc_test_rtp(pkt, 2, 320, 0xa0a0a0a0u, 20);
	pc_test_relayed(&fx, a2, pkt, len, &s.rtp[0], b.rtp, &s.rtp[1]);
	len = pc_test_rtp(pkt, 2, 320, 0xb0b0b0b0u, 20);
	pc_test_relayed(&fx, b.rtp, pkt, len, &s.rtp[1], a2, &s.rtp[0]);
	pc_test_assert_quiet(&fx, a.rtp, "A's old port");

	/* Then the move is counted */
	pc_test_stats(&fx, 0, st);
	cr_assert_eq(st[0].relearned, 1);
	cr_assert_eq(st[0].foreign, 0);
	close(a2);
	pc_test_peer_close(&a);
	pc_test_peer_close(&b);
	pc_test_fx_fini(&fx);
}

Test(relay, lock_keeps_the_first_address)
{
	struct pc_test_fx fx;
	struct pc_test_stream s;
	struct pc_test_peer a, b;
	struct pc_relay_leg_stats st[2];
	union pc_pkt_addr a2_addr;
	uint8_t pkt[64];
	size_t len;
	int a2;

	pc_test_fx_init(&fx, AF_INET, 0, 0);
	/* Given leg 0 locked, A learned */
	pc_test_latched(&fx, &s, PC_RELAY_F_LOCK, &a, &b);
	a2 = pc_test_udp(AF_INET, &a2_addr);

	/* When another source sends to leg 0 / Then it is dropped and counted as foreign */
	len = pc_test_rtp(pkt, 2, 320, 0xa0a0a0a0u, 20);
	pc_test_send(a2, pkt, len, &s.rtp[0]);
	pc_test_pump_rx(&fx, 3);
	pc_test_assert_quiet(&fx, b.rtp, "B after a foreign source");

	/* And B's reply still goes to A */
	len = pc_test_rtp(pkt, 2, 320, 0xb0b0b0b0u, 20);
	pc_test_relayed(&fx, b.rtp, pkt, len, &s.rtp[1], a.rtp, &s.rtp[0]);
	pc_test_assert_quiet(&fx, a2, "the foreign source");
	/* And A itself still gets through */
	len = pc_test_rtp(pkt, 3, 480, 0xa0a0a0a0u, 20);
	pc_test_relayed(&fx, a.rtp, pkt, len, &s.rtp[0], b.rtp, &s.rtp[1]);

	pc_test_stats(&fx, 0, st);
	cr_assert_eq(st[0].foreign, 1);
	cr_assert_eq(st[0].relearned, 0);
	close(a2);
	pc_test_peer_close(&a);
	pc_test_peer_close(&b);
	pc_test_fx_fini(&fx);
}

Test(relay, rtp_bleed_spray_over_the_loop_is_dropped)
{
	struct pc_test_fx fx;
	struct pc_test_stream s;
	struct pc_test_peer a, b;
	struct pc_relay_leg_stats st[2];
	union pc_pkt_addr x_addr;
	uint8_t pkt[64];
	uint64_t rx, seed = 0x9e3779b97f4a7c15ull;
	size_t len;
	int x;

	pc_test_fx_init(&fx, AF_INET, 0, 0);
	/* Given leg 0 not locked, A and B learned */
	pc_test_latched(&fx, &s, 0, &a, &b);
	x = pc_test_udp(AF_INET, &x_addr);
	rx = pc_test_loop_stats(&fx).rx_pkts;

	/* When an attacker sprays 30 valid RTP packets with random SSRCs at leg 0 */
	for (unsigned i = 0; i < 30; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		len = pc_test_rtp(pkt, (uint16_t)(seed >> 32), (uint32_t)seed,
				  (uint32_t)(seed >> 16) | 1u, 20);
		pc_test_send(x, pkt, len, &s.rtp[0]);
	}
	pc_test_pump_rx(&fx, rx + 30);

	/* Then B gets none of them, B's reply still goes to A, and all 30 are counted */
	pc_test_assert_quiet(&fx, b.rtp, "B after the spray");
	len = pc_test_rtp(pkt, 2, 320, 0xb0b0b0b0u, 20);
	pc_test_relayed(&fx, b.rtp, pkt, len, &s.rtp[1], a.rtp, &s.rtp[0]);
	pc_test_assert_quiet(&fx, x, "the attacker");
	pc_test_stats(&fx, 0, st);
	cr_assert_eq(st[0].foreign, 30);
	cr_assert_eq(st[0].relearned, 0);
	cr_assert_eq(st[1].tx_pkts, 1, "only A's first packet reached B");
	close(x);
	pc_test_peer_close(&a);
	pc_test_peer_close(&b);
	pc_test_fx_fini(&fx);
}

/* --- SSRC rewriting -------------------------------------------------------------------------- */

Test(relay, ssrc_rewrite_keeps_sequence_and_timestamps_continuous)
{
	const uint32_t ssrc_out = 0x5eed5eedu, x = 0xaaaa0001u, y = 0xbbbb0002u;
	struct pc_test_fx fx;
	struct pc_test_stream s;
	struct pc_loop_relay_create c;
	struct pc_test_peer a, b;
	uint8_t pkt[256], buf[256];
	uint16_t seq[10];
	uint32_t ts[10], ts_in_last = 0;
	size_t len;

	pc_test_fx_init(&fx, AF_INET, 0, 0);
	c = pc_test_relay_conf(&fx);
	/* Given leg 1 (B's side) rewriting to one SSRC, B's addresses known */
	c.leg[1].flags = PC_RELAY_F_REWRITE_SSRC;
	c.leg[1].ssrc_out = ssrc_out;
	c.leg[1].clock_rate = 8000;
	pc_test_peer_new(AF_INET, &a);
	pc_test_peer_new(AF_INET, &b);
	c.leg[1].remote_rtp = b.rtp_addr;
	pc_test_create(&fx, 0, &c, &s);

	/* When A sends 5 packets as SSRC X (seq 1000.., ts +160), pauses 20 ms, then 5 as SSRC Y
	 * (seq 60000.., ts from 5000000) */
	for (unsigned i = 0; i < 10; i++) {
		bool second = i >= 5;
		uint16_t sq = second ? (uint16_t)(60000 + i - 5) : (uint16_t)(1000 + i);
		uint32_t t = second ? 5000000u + 160 * (i - 5) : 8000u + 160 * i;
		ssize_t n;

		if (i == 5)
			pc_test_sleep_ms(20);
		len = pc_test_rtp(pkt, sq, t, second ? y : x, 160);
		pc_test_send(a.rtp, pkt, len, &s.rtp[0]);
		n = pc_test_relay_recv(&fx, b.rtp, buf, sizeof(buf), NULL, PC_TEST_WAIT_MS);
		cr_assert_eq(n, (ssize_t)len, "packet %u: %zd bytes", i, n);
		seq[i] = pc_test_get16(buf + 2);
		ts[i] = pc_test_get32(buf + 4);
		ts_in_last = t;

		/* Then B sees one SSRC and the payload unchanged */
		cr_assert_eq(pc_test_get32(buf + 8), ssrc_out, "packet %u: SSRC %#x", i,
			     pc_test_get32(buf + 8));
		cr_assert_eq(memcmp(buf + 12, pkt + 12, 160), 0);
		cr_assert_eq(buf[0], pkt[0]);
		cr_assert_eq(buf[1], pkt[1]);
	}

	/* And sequence numbers continue by one across the change, timestamps keep growing,
	 * and inside each source the timestamp steps are kept */
	for (unsigned i = 1; i < 10; i++) {
		cr_assert_eq((uint16_t)(seq[i] - seq[i - 1]), 1, "seq %u after %u (packet %u)",
			     seq[i], seq[i - 1], i);
		cr_assert_gt((int32_t)(ts[i] - ts[i - 1]), 0, "ts %u after %u (packet %u)", ts[i],
			     ts[i - 1], i);
		if (i != 5)
			cr_assert_eq(ts[i] - ts[i - 1], 160);
	}

	/* When A sends an SR as Y / Then B sees it as ssrc_out, with its RTP timestamp moved
	 * like the packets' */
	len = pc_test_sr(pkt, y, ts_in_last + 80);
	pc_test_send(a.rtcp, pkt, len, &s.rtcp[0]);
	cr_assert_eq(pc_test_relay_recv(&fx, b.rtcp, buf, sizeof(buf), NULL, PC_TEST_WAIT_MS),
		     (ssize_t)len);
	cr_assert_eq(pc_test_get32(buf + 4), ssrc_out, "SR SSRC %#x", pc_test_get32(buf + 4));
	cr_assert_eq(pc_test_get32(buf + 16), ts[9] + 80, "SR RTP timestamp %u, packets at %u",
		     pc_test_get32(buf + 16), ts[9]);

	/* When B reports on ssrc_out in an RR / Then A sees the report about Y, its own SSRC */
	len = pc_test_rr(pkt, 0xb0b0b0b0u, ssrc_out);
	pc_test_send(b.rtcp, pkt, len, &s.rtcp[1]);
	cr_assert_eq(pc_test_relay_recv(&fx, a.rtcp, buf, sizeof(buf), NULL, PC_TEST_WAIT_MS),
		     (ssize_t)len);
	cr_assert_eq(pc_test_get32(buf + 4), 0xb0b0b0b0u);
	cr_assert_eq(pc_test_get32(buf + 8), y, "report block about %#x", pc_test_get32(buf + 8));
	pc_test_peer_close(&a);
	pc_test_peer_close(&b);
	pc_test_fx_fini(&fx);
}

/* --- bad input ------------------------------------------------------------------------------- */

Test(relay, bad_input_is_counted_and_dropped)
{
	struct pc_test_fx fx;
	struct pc_test_stream s;
	struct pc_test_peer a, b;
	struct pc_relay_leg_stats st[2];
	union pc_pkt_addr a3_addr;
	uint8_t pkt[256], buf[256];
	uint64_t seed = 0x2545f4914f6cdd1dull;
	uint64_t rx;
	size_t len;
	int a3;

	pc_test_fx_init(&fx, AF_INET, 0, 0);
	pc_test_latched(&fx, &s, 0, &a, &b);
	rx = pc_test_loop_stats(&fx).rx_pkts;

	/* Given, on leg 0's RTP port: a 3-byte runt, version 1, a CSRC list cut short (CC=4 in 16
	 * bytes), and 64 random bytes of version 3 */
	pc_test_send(a.rtp, "\x80\x00\x01", 3, &s.rtp[0]);
	len = pc_test_rtp(pkt, 9, 0, 1, 0);
	pkt[0] = 0x40;
	pc_test_send(a.rtp, pkt, len, &s.rtp[0]);
	len = pc_test_rtp(pkt, 9, 0, 1, 4);
	pkt[0] = 0x84;
	pc_test_send(a.rtp, pkt, len, &s.rtp[0]);
	for (unsigned i = 0; i < 64; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		pkt[i] = (uint8_t)seed;
	}
	pkt[0] |= 0xc0;
	pc_test_send(a.rtp, pkt, 64, &s.rtp[0]);
	/* And on leg 0's RTCP port: RTP, and RTCP of 10 bytes */
	len = pc_test_rtp(pkt, 9, 0, 1, 8);
	pc_test_send(a.rtcp, pkt, len, &s.rtcp[0]);
	len = pc_test_rr(pkt, 1, 2);
	pc_test_send(a.rtcp, pkt, 10, &s.rtcp[0]);
	/* And from a third address: a runt, which must not move the learned A */
	a3 = pc_test_udp(AF_INET, &a3_addr);
	pc_test_send(a3, "\x80", 1, &s.rtp[0]);

	/* When the loop has taken all 7 */
	pc_test_pump_rx(&fx, rx + 7);

	/* Then nothing reached B, all 7 are counted bad on leg 0, and the loop runs on: a good
	 * packet follows, and B's reply still goes to A */
	pc_test_assert_quiet(&fx, b.rtp, "B's RTP socket");
	pc_test_assert_quiet(&fx, b.rtcp, "B's RTCP socket");
	len = pc_test_rtp(pkt, 10, 1600, 0xa0a0a0a0u, 40);
	pc_test_relayed(&fx, a.rtp, pkt, len, &s.rtp[0], b.rtp, &s.rtp[1]);
	len = pc_test_rtp(pkt, 10, 1600, 0xb0b0b0b0u, 40);
	pc_test_relayed(&fx, b.rtp, pkt, len, &s.rtp[1], a.rtp, &s.rtp[0]);
	cr_assert_eq(pc_test_relay_recv(&fx, a3, buf, sizeof(buf), NULL, 0), -1);
	pc_test_stats(&fx, 0, st);
	cr_assert_eq(st[0].bad, 7);
	cr_assert_eq(st[0].relearned, 0);
	cr_assert_eq(st[1].bad, 0);
	cr_assert_eq(st[1].tx_pkts, 2); /* the first learned packet and the good one */
	close(a3);
	pc_test_peer_close(&a);
	pc_test_peer_close(&b);
	pc_test_fx_fini(&fx);
}

/* --- a burst as large as the loop takes ------------------------------------------------------ */

Test(relay, burst_of_48_large_packets_is_relayed_whole)
{
	struct pc_test_fx fx;
	struct pc_test_stream s;
	struct pc_loop_relay_create c;
	struct pc_test_peer a, b;
	static uint8_t pkts[48][1400];
	struct mmsghdr msgs[48];
	struct iovec iov[48];
	uint8_t buf[2048];
	unsigned got = 0;

	/* Given a loop and backend that take bursts of 64, B's address known */
	pc_test_fx_init(&fx, AF_INET, PC_IO_BURST_MAX, 0);
	pc_test_peer_new(AF_INET, &a);
	pc_test_peer_new(AF_INET, &b);
	c = pc_test_relay_conf(&fx);
	c.leg[1].remote_rtp = b.rtp_addr;
	pc_test_create(&fx, 0, &c, &s);

	/* When A sends 48 RTP packets of 1400 bytes at once (a video frame) */
	memset(msgs, 0, sizeof(msgs));
	for (unsigned i = 0; i < 48; i++) {
		pc_test_rtp(pkts[i], (uint16_t)i, 90000, 0xa0a0a0a0u, 1400 - 12);
		iov[i].iov_base = pkts[i];
		iov[i].iov_len = 1400;
		msgs[i].msg_hdr.msg_name = &s.rtp[0];
		msgs[i].msg_hdr.msg_namelen = pc_test_addr_len(&s.rtp[0]);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	cr_assert_eq(sendmmsg(a.rtp, msgs, 48, 0), 48);

	/* Then B gets all 48, in order */
	while (got < 48) {
		ssize_t n = pc_test_relay_recv(&fx, b.rtp, buf, sizeof(buf), NULL, PC_TEST_WAIT_MS);
		struct pc_io_stats ios;

		pc_io_get_stats(fx.io, &ios);
		cr_assert_eq(n, 1400, "packet %u of 48 never came (tx_errors %llu, tx_drops %llu)",
			     got, (unsigned long long)ios.tx_errors,
			     (unsigned long long)ios.tx_drops);
		cr_assert_eq(pc_test_get16(buf + 2), got);
		got++;
	}
	pc_test_peer_close(&a);
	pc_test_peer_close(&b);
	pc_test_fx_fini(&fx);
}

/* --- destroy, timeout, stop ------------------------------------------------------------------ */

Test(relay, destroy_closes_the_ports)
{
	struct pc_test_fx fx;
	struct pc_test_stream s, s2;
	struct pc_loop_relay_create c;
	struct pc_test_peer a, b;
	struct pc_relay_leg_stats st[2];
	struct pc_loop_msg e;
	union pc_pkt_addr bound;
	uint8_t pkt[64];
	uint64_t rx;
	size_t len;

	pc_test_fx_init(&fx, AF_INET, 0, 0);
	pc_test_latched(&fx, &s, 0, &a, &b);

	/* When the stream is destroyed / Then the event carries its final counters */
	pc_test_destroy(&fx, &s, st);
	cr_assert_eq(st[0].rx_pkts, 1);
	cr_assert_eq(st[1].rx_pkts, 1);
	cr_assert_eq(st[1].tx_pkts, 1);

	/* And what A sends to leg 0 now reaches neither the loop nor B */
	rx = pc_test_loop_stats(&fx).rx_pkts;
	len = pc_test_rtp(pkt, 5, 800, 0xa0a0a0a0u, 20);
	pc_test_send(a.rtp, pkt, len, &s.rtp[0]);
	pc_test_assert_quiet(&fx, b.rtp, "B after destroy");
	cr_assert_eq(pc_test_loop_stats(&fx).rx_pkts, rx);

	/* And the four ports are free for anyone */
	for (unsigned leg = 0; leg < 2; leg++) {
		int fd = pc_test_udp_at(&s.rtp[leg], &bound);

		cr_assert_geq(fd, 0, "leg %u RTP port still bound", leg);
		close(fd);
		fd = pc_test_udp_at(&s.rtcp[leg], &bound);
		cr_assert_geq(fd, 0, "leg %u RTCP port still bound", leg);
		close(fd);
	}

	/* And the stream is gone: statistics say -ENOENT; its id can be created again */
	pc_loop_cmd_commit(fx.loop, pc_test_cmd(&fx, PC_LOOP_CMD_STREAM_STATS, 0));
	cr_assert(pc_test_take_evt(&fx, PC_LOOP_EVT_ERROR, 0, PC_TEST_WAIT_MS, &e));
	cr_assert_eq(e.rc, -ENOENT);
	c = pc_test_relay_conf(&fx);
	pc_test_create(&fx, 0, &c, &s2);
	pc_test_stats(&fx, 0, st);
	cr_assert_eq(st[0].rx_pkts + st[1].rx_pkts, 0, "a new stream starts from zero");
	pc_test_peer_close(&a);
	pc_test_peer_close(&b);
	pc_test_fx_fini(&fx);
}

Test(relay, media_timeout_reports_the_silent_leg_once)
{
	struct pc_test_fx fx;
	struct pc_test_stream s;
	struct pc_loop_relay_create c;
	struct pc_test_peer a;
	struct pc_loop_msg e;
	uint8_t pkt[64];
	uint64_t t0, end, next_send, seen_ms = 0;
	uint16_t seq = 0;
	size_t len;

	pc_test_fx_init(&fx, AF_INET, 0, 0);
	pc_test_peer_new(AF_INET, &a);
	c = pc_test_relay_conf(&fx);
	/* Given a stream with a media timeout of 50 ms */
	c.timeout_ms = 50;
	t0 = pc_test_now_ms();
	pc_test_create(&fx, 4, &c, &s);

	/* When A sends every 5 ms on leg 0 and nobody sends on leg 1, for 250 ms */
	end = pc_test_now_ms() + 250;
	next_send = 0;
	while (pc_test_now_ms() < end) {
		uint64_t now = pc_test_now_ms();

		if (now >= next_send) {
			len = pc_test_rtp(pkt, seq, 160u * seq, 0xa0a0a0a0u, 20);
			seq++;
			pc_test_send(a.rtp, pkt, len, &s.rtp[0]);
			next_send = now + 5;
		}
		pc_test_pump(&fx);
		if (seen_ms == 0 && pc_test_count_evts(&fx, PC_LOOP_EVT_TIMEOUT, 4) > 0)
			seen_ms = pc_test_now_ms();
	}

	/* Then exactly one TIMEOUT came, for leg 1, not before 50 ms */
	cr_assert_eq(pc_test_count_evts(&fx, PC_LOOP_EVT_TIMEOUT, 4), 1, "%u TIMEOUT events",
		     pc_test_count_evts(&fx, PC_LOOP_EVT_TIMEOUT, 4));
	cr_assert(pc_test_take_evt(&fx, PC_LOOP_EVT_TIMEOUT, 4, 0, &e));
	cr_assert_eq(e.u.timeout.leg, 1, "the timeout is for leg %u", e.u.timeout.leg);
	cr_assert_geq(seen_ms, t0 + 50, "timed out after %llu ms",
		      (unsigned long long)(seen_ms - t0));
	cr_assert_gt(pc_test_loop_stats(&fx).timers_fired, 1);
	pc_test_peer_close(&a);
	pc_test_fx_fini(&fx);
}

Test(relay, stop_makes_poll_return_ecanceled)
{
	struct pc_test_fx fx;
	int rc = 0;

	pc_test_fx_init(&fx, AF_INET, 0, 0);
	cr_assert_geq(pc_loop_poll(fx.loop, 0), 0);

	/* When STOP is sent / Then the poll that takes it, and every one after, returns
	 * -ECANCELED */
	pc_loop_cmd_commit(fx.loop, pc_test_cmd(&fx, PC_LOOP_CMD_STOP, 0));
	for (unsigned i = 0; i < 10 && rc != -ECANCELED; i++)
		rc = pc_loop_poll(fx.loop, 0);
	cr_assert_eq(rc, -ECANCELED);
	cr_assert_eq(pc_loop_poll(fx.loop, 0), -ECANCELED);
	/* And pc_loop_run returns at once */
	pc_loop_run(fx.loop);
	fx.stopping = 1;
	pc_test_fx_fini(&fx);
}

Test(relay, full_event_channel_counts_dropped_events)
{
	struct pc_test_fx fx;
	struct pc_test_stream s;
	struct pc_loop_relay_create c;
	struct pc_loop_msg *held[4];
	unsigned n = 0;

	/* Given channels of 4 messages and a stream */
	pc_test_fx_init(&fx, AF_INET, 0, 4);
	c = pc_test_relay_conf(&fx);
	pc_test_create(&fx, 0, &c, &s);

	/* When the control thread reserves commands / Then the fifth finds the channel full */
	for (unsigned i = 0; i < 4; i++)
		held[i] = pc_test_cmd(&fx, PC_LOOP_CMD_STREAM_STATS, 0);
	cr_assert_null(pc_loop_cmd_reserve(fx.loop), "a fifth message from a channel of 4");

	/* When those 4, then 2 more statistics are asked for and no event is taken */
	for (unsigned i = 0; i < 4; i++)
		pc_loop_cmd_commit(fx.loop, held[i]);
	cr_assert_geq(pc_loop_poll(fx.loop, 0), 0);
	for (unsigned i = 0; i < 2; i++)
		pc_loop_cmd_commit(fx.loop, pc_test_cmd(&fx, PC_LOOP_CMD_STREAM_STATS, 0));
	cr_assert_geq(pc_loop_poll(fx.loop, 0), 0);

	/* Then 4 events wait and 2 are counted as dropped */
	cr_assert_eq(pc_test_loop_stats(&fx).evts_dropped, 2);
	while (n < 4 && (held[n] = pc_loop_evt_poll(fx.loop)) != NULL)
		n++;
	cr_assert_eq(n, 4);
	cr_assert_null(pc_loop_evt_poll(fx.loop));
	for (unsigned i = 0; i < n; i++) {
		cr_assert_eq(held[i]->type, PC_LOOP_EVT_STATS);
		pc_loop_evt_release(fx.loop, held[i]);
	}
	pc_test_fx_fini(&fx);
}

/* --- latching against RTP bleed, on pc_relay directly ---------------------------------------- */

#define PC_TEST_SSRC_A 0xa0a0a0a0u /* the real sender's stream */
#define PC_TEST_SSRC_X 0x0bad0badu /* the attacker's forged one */

/* A relay with its pool; time is the test's own, in milliseconds. */
struct pc_test_direct {
	struct pc_pkt_pool *pool;
	struct pc_pkt_cache *cache;
	struct pc_relay r;
	union pc_pkt_addr b; /* leg 1's remote, set */
};

static union pc_pkt_addr pc_test_v4(uint32_t host, uint16_t port)
{
	union pc_pkt_addr a;

	memset(&a, 0, sizeof(a));
	a.in4.sin_family = AF_INET;
	a.in4.sin_addr.s_addr = htonl(host);
	a.in4.sin_port = htons(port);
	return a;
}

/* Given a relay with @conf0 on leg 0 (NULL: all defaults), defaults on leg 1, and B's RTP
 * address set on leg 1. */
static void pc_test_direct_init(struct pc_test_direct *t, const struct pc_relay_leg_conf *conf0)
{
	struct pc_pkt_pool_params pp = { .count = 16, .flags = PC_PKT_POOL_F_NO_HUGEPAGE };
	const uint16_t ports[2][2] = { { 1, 2 }, { 3, 4 } };
	struct pc_relay_leg_conf conf[2];

	memset(t, 0, sizeof(*t));
	cr_assert_eq(pc_pkt_pool_create(&t->pool, &pp), 0);
	cr_assert_eq(pc_pkt_cache_attach(t->pool, &t->cache), 0);
	memset(conf, 0, sizeof(conf));
	if (conf0 != NULL)
		conf[0] = *conf0;
	pc_relay_init(&t->r, conf, ports);
	t->b = pc_test_v4(0x7f000001u, 5000);
	pc_relay_set_remote(&t->r, 1, PC_RELAY_RTP, &t->b);
}

/* Then every buffer is back in the pool. */
static void pc_test_direct_fini(struct pc_test_direct *t)
{
	struct pc_pkt_pool_stats ps;

	pc_pkt_pool_stats(t->pool, &ps);
	cr_assert_eq(ps.in_use, 0);
	pc_pkt_cache_detach(t->cache);
	pc_pkt_pool_destroy(t->pool);
}

/* @len bytes at @b from @from into @leg's @kind port at @ms. Returns whether they were relayed
 * (the packet sent is freed; *@to, if given, says where it went). */
static bool pc_test_direct_in(struct pc_test_direct *t, unsigned leg, enum pc_relay_kind kind,
			      const union pc_pkt_addr *from, const uint8_t *b, size_t len,
			      uint64_t ms, union pc_pkt_addr *to)
{
	struct pc_pkt *p = pc_pkt_alloc(t->cache), *out;
	uint8_t *d;

	cr_assert_not_null(p);
	d = pc_pkt_append(p, (uint16_t)len);
	cr_assert_not_null(d);
	memcpy(d, b, len);
	p->peer = *from;
	out = pc_relay_input(&t->r, leg, kind, p, t->cache, ms * 1000000u);
	if (out == NULL)
		return false;
	if (to != NULL)
		*to = out->peer;
	pc_pkt_free(t->cache, out);
	return true;
}

/* An RTP packet of @ssrc, @seq from @from into leg 0 at @ms; relayed? */
static bool pc_test_direct_rtp(struct pc_test_direct *t, const union pc_pkt_addr *from,
			       uint16_t seq, uint32_t ssrc, uint64_t ms)
{
	uint8_t b[64];
	size_t len = pc_test_rtp(b, seq, 160u * seq, ssrc, 20);

	return pc_test_direct_in(t, 0, PC_RELAY_RTP, from, b, len, ms, NULL);
}

/* An SR of @ssrc from @from into leg 0's RTCP port at @ms; relayed? */
static bool pc_test_direct_sr(struct pc_test_direct *t, const union pc_pkt_addr *from,
			      uint32_t ssrc, uint64_t ms)
{
	uint8_t b[64];
	size_t len = pc_test_sr(b, ssrc, 1000);

	return pc_test_direct_in(t, 0, PC_RELAY_RTCP, from, b, len, ms, NULL);
}

/* Where B's reply goes: B's next RTP packet on leg 1 at @ms, relayed to leg 0's remote. */
static union pc_pkt_addr pc_test_direct_reply_to(struct pc_test_direct *t, uint64_t ms)
{
	static uint16_t seq;
	union pc_pkt_addr to;
	uint8_t b[64];
	size_t len;

	seq++;
	len = pc_test_rtp(b, seq, 160u * seq, 0xb0b0b0b0u, 20);

	cr_assert(pc_test_direct_in(t, 1, PC_RELAY_RTP, &t->b, b, len, ms, &to),
		  "B's reply was not relayed");
	return to;
}

static uint64_t pc_test_xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

Test(relay, rtp_bleed_spray_with_random_ssrcs_never_moves_the_remote)
{
	struct pc_test_direct t;
	union pc_pkt_addr a = pc_test_v4(0x0a000001u, 4000), x = pc_test_v4(0xc0000201u, 6000);
	union pc_pkt_addr to;
	uint64_t seed = 0x2545f4914f6cdd1dull, ms = 1000;
	unsigned sprayed = 0;

	/* Given leg 0 not locked, latched on A (3 packets of its stream), then A silent */
	pc_test_direct_init(&t, NULL);
	for (uint16_t i = 0; i < 3; i++)
		cr_assert(
			pc_test_direct_rtp(&t, &a, (uint16_t)(1000 + i), PC_TEST_SSRC_A, ms += 20));

	/* When an attacker sprays 4 x 1000 valid packets, 10 ms apart, for 40 s: from one
	 * address with random SSRCs and sequence numbers; from random addresses with one SSRC
	 * in sequence; from random addresses with random SSRCs; from one address with one SSRC
	 * and random sequence numbers */
	for (unsigned phase = 0; phase < 4; phase++) {
		for (unsigned i = 0; i < 1000; i++) {
			uint64_t rnd = pc_test_xorshift(&seed);
			uint32_t ssrc = phase % 2 ? PC_TEST_SSRC_X : (uint32_t)rnd;
			uint16_t seq = phase == 1 ? (uint16_t)i : (uint16_t)(rnd >> 32);
			union pc_pkt_addr from =
				phase % 3 == 0 ? x :
						 pc_test_v4(0xc6336400u | (uint32_t)(rnd >> 56),
							    (uint16_t)(1024 + (rnd >> 40) % 60000));

			if (ssrc == PC_TEST_SSRC_A)
				continue; /* a guess of the SSRC is for the next test */
			cr_assert(!pc_test_direct_rtp(&t, &from, seq, ssrc, ms += 10),
				  "phase %u, packet %u (SSRC %#x, seq %u) was relayed", phase, i,
				  ssrc, seq);
			sprayed++;
		}
	}

	/* Then none got through, each is counted, the remote never moved: B's reply goes to A,
	 * and A's next packet, 40 s later, is relayed */
	cr_assert_eq(t.r.leg[0].st.foreign, sprayed);
	cr_assert_eq(t.r.leg[0].st.relearned, 0);
	to = pc_test_direct_reply_to(&t, ms += 1);
	cr_assert(pc_pkt_addr_equal(&to, &a), "B's reply goes to port %u", pc_test_port_of(&to));
	cr_assert(pc_test_direct_rtp(&t, &a, 1003, PC_TEST_SSRC_A, ms += 20));
	cr_assert_eq(t.r.leg[1].st.tx_pkts, 4);
	pc_test_direct_fini(&t);
}

/* Given leg 0 with learn_pkts @conf_pkts (0: the default), latched on A, whose last packet
 * came at 1100 ms; when X sends one consistent stream from 2000 ms, 20 ms apart / then the
 * remote moves on X's @expect_n-th packet, not before. */
static void pc_test_consistent_stream_moves_after(uint32_t conf_pkts, unsigned expect_n)
{
	struct pc_relay_leg_conf conf = { .learn_pkts = conf_pkts };
	struct pc_test_direct t;
	union pc_pkt_addr a = pc_test_v4(0x0a000001u, 4000), x = pc_test_v4(0xc0000201u, 6000);
	union pc_pkt_addr to;
	uint64_t ms = 1000;

	pc_test_direct_init(&t, &conf);
	for (uint16_t i = 0; i < 6; i++)
		cr_assert(pc_test_direct_rtp(&t, &a, (uint16_t)(1000 + i), PC_TEST_SSRC_A, ms));
	ms = 2000;

	/* The first expect_n - 1 are dropped, and B's reply still goes to A */
	for (unsigned i = 1; i < expect_n; i++) {
		cr_assert(!pc_test_direct_rtp(&t, &x, (uint16_t)(40000 + i), PC_TEST_SSRC_X,
					      ms += 20),
			  "X's packet %u of %u was relayed", i, expect_n);
		to = pc_test_direct_reply_to(&t, ms);
		cr_assert(pc_pkt_addr_equal(&to, &a));
	}
	cr_assert_eq(t.r.leg[0].st.foreign, expect_n - 1);
	cr_assert_eq(t.r.leg[0].st.relearned, 0);

	/* The expect_n-th is relayed, the move counted, B's reply goes to X */
	cr_assert(pc_test_direct_rtp(&t, &x, (uint16_t)(40000 + expect_n), PC_TEST_SSRC_X,
				     ms += 20),
		  "X's packet %u was not relayed", expect_n);
	cr_assert_eq(t.r.leg[0].st.relearned, 1);
	to = pc_test_direct_reply_to(&t, ms);
	cr_assert(pc_pkt_addr_equal(&to, &x));
	/* And A, from its old address, is now the one dropped (another SSRC than the stream
	 * followed: it starts as a candidate) */
	cr_assert(!pc_test_direct_rtp(&t, &a, 1006, PC_TEST_SSRC_A, ms += 1));
	cr_assert(
		pc_test_direct_rtp(&t, &x, (uint16_t)(40001 + expect_n), PC_TEST_SSRC_X, ms += 19));
	pc_test_direct_fini(&t);
}

Test(relay, rtp_bleed_consistent_stream_moves_only_after_learn_pkts)
{
	pc_test_consistent_stream_moves_after(0, PC_RELAY_LEARN_PKTS);
	pc_test_consistent_stream_moves_after(3, 3);
	pc_test_consistent_stream_moves_after(1, 1);
	pc_test_consistent_stream_moves_after(12, 12);
}

Test(relay, rtp_bleed_candidate_waits_for_the_quiet_time)
{
	struct pc_test_direct t;
	union pc_pkt_addr a = pc_test_v4(0x0a000001u, 4000), x = pc_test_v4(0xc0000201u, 6000);
	uint64_t ms = 1000, a_last;
	unsigned n = 0;

	/* Given leg 0 latched on A, whose last packet comes at a_last */
	pc_test_direct_init(&t, NULL);
	for (uint16_t i = 0; i < 5; i++)
		cr_assert(
			pc_test_direct_rtp(&t, &a, (uint16_t)(1000 + i), PC_TEST_SSRC_A, ms += 20));
	a_last = ms;

	/* When X's consistent stream starts 20 ms later, a packet every 20 ms / Then it takes
	 * the remote with the first packet at least learn_quiet_ms after A's last, not with its
	 * learn_pkts-th */
	for (;;) {
		ms += 20;
		n++;
		if (pc_test_direct_rtp(&t, &x, (uint16_t)(7 + n), PC_TEST_SSRC_X, ms))
			break;
		cr_assert_lt(ms, a_last + PC_RELAY_LEARN_QUIET_MS, "still dropped at +%llu ms",
			     (unsigned long long)(ms - a_last));
	}
	cr_assert_geq(ms, a_last + PC_RELAY_LEARN_QUIET_MS);
	cr_assert_gt(n, PC_RELAY_LEARN_PKTS);
	cr_assert_eq(t.r.leg[0].st.foreign, n - 1);
	cr_assert_eq(t.r.leg[0].st.relearned, 1);
	pc_test_direct_fini(&t);
}

Test(relay, rtp_bleed_consistent_stream_never_moves_while_the_sender_keeps_sending)
{
	struct pc_test_direct t;
	union pc_pkt_addr a = pc_test_v4(0x0a000001u, 4000), x = pc_test_v4(0xc0000201u, 6000);
	union pc_pkt_addr to;
	uint64_t ms = 1000;
	uint16_t x_seq = 30000;
	unsigned x_sent = 0, a_sent = 0;

	/* Given leg 0 latched on A */
	pc_test_direct_init(&t, NULL);

	/* When A sends every 20 ms for 20 s, and X one consistent stream in between: for the
	 * first 10 s 4 packets in each gap (never learn_pkts in a row), then bursts of 40 in
	 * each gap (learn_pkts many times over, never learn_quiet_ms after A) */
	for (unsigned i = 0; i < 1000; i++) {
		unsigned burst = i < 500 ? 4 : 40;

		cr_assert(pc_test_direct_rtp(&t, &a, (uint16_t)(60000 + i), PC_TEST_SSRC_A, ms),
			  "A's packet %u was dropped", i);
		a_sent++;
		for (unsigned j = 0; j < burst; j++) {
			uint64_t at = ms + 1 + j * 18 / burst;

			cr_assert(!pc_test_direct_rtp(&t, &x, ++x_seq, PC_TEST_SSRC_X, at),
				  "X's packet in gap %u was relayed", i);
			x_sent++;
		}
		ms += 20;
	}

	/* Then every packet of A's went through, none of X's, and the remote never moved */
	cr_assert_eq(t.r.leg[1].st.tx_pkts, a_sent);
	cr_assert_eq(t.r.leg[0].st.foreign, x_sent);
	cr_assert_eq(t.r.leg[0].st.relearned, 0);
	to = pc_test_direct_reply_to(&t, ms);
	cr_assert(pc_pkt_addr_equal(&to, &a));
	pc_test_direct_fini(&t);
}

Test(relay, nat_rebinding_of_the_sender_moves_at_once)
{
	struct pc_test_direct t;
	union pc_pkt_addr a = pc_test_v4(0x0a000001u, 4000), a1 = pc_test_v4(0x0a000001u, 4001),
			  a2 = pc_test_v4(0x0a000001u, 4002), a3 = pc_test_v4(0x0a000002u, 9),
			  a4 = pc_test_v4(0x0a000002u, 10);
	union pc_pkt_addr a6 = pc_test_loopback(AF_INET6, 4000),
			  a7 = pc_test_loopback(AF_INET6, 4001);
	union pc_pkt_addr to;
	uint64_t ms = 1000;

	/* Given leg 0 latched on A, its stream at sequence number 1000 */
	pc_test_direct_init(&t, NULL);
	for (uint16_t s = 998; s <= 1000; s++)
		cr_assert(pc_test_direct_rtp(&t, &a, s, PC_TEST_SSRC_A, ms += 20));

	/* When the stream continues from another port (seq 1001) / Then it is relayed at once,
	 * the move counted, and B's reply goes there */
	cr_assert(pc_test_direct_rtp(&t, &a1, 1001, PC_TEST_SSRC_A, ms += 20));
	cr_assert_eq(t.r.leg[0].st.relearned, 1);
	to = pc_test_direct_reply_to(&t, ms);
	cr_assert(pc_pkt_addr_equal(&to, &a1));

	/* When the stream shows up elsewhere 101 ahead of the last / Then not at once; 100 ahead
	 * / Then at once (the window) */
	cr_assert(!pc_test_direct_rtp(&t, &a2, 1001 + 101, PC_TEST_SSRC_A, ms += 20));
	cr_assert(pc_test_direct_rtp(&t, &a2, 1001 + 100, PC_TEST_SSRC_A, ms += 1));
	cr_assert_eq(t.r.leg[0].st.relearned, 2);

	/* When another address sends the next sequence number with another SSRC, or A's SSRC
	 * with the last sequence number again or one behind / Then it is dropped */
	cr_assert(!pc_test_direct_rtp(&t, &a3, 1102, PC_TEST_SSRC_X, ms += 20));
	cr_assert(!pc_test_direct_rtp(&t, &a4, 1101, PC_TEST_SSRC_A, ms += 1));
	cr_assert(!pc_test_direct_rtp(&t, &a4, 1100, PC_TEST_SSRC_A, ms += 1));
	cr_assert_eq(t.r.leg[0].st.relearned, 2);
	cr_assert_eq(t.r.leg[0].st.foreign, 4);
	to = pc_test_direct_reply_to(&t, ms);
	cr_assert(pc_pkt_addr_equal(&to, &a2));

	/* When the stream moves across the sequence number wrap (65530, then 3), over IPv6 /
	 * Then at once too */
	pc_relay_set_remote(&t.r, 0, PC_RELAY_RTP, &(union pc_pkt_addr){ 0 });
	cr_assert(pc_test_direct_rtp(&t, &a6, 65530, PC_TEST_SSRC_A, ms += 20));
	cr_assert(pc_test_direct_rtp(&t, &a7, 3, PC_TEST_SSRC_A, ms += 20));
	cr_assert_eq(t.r.leg[0].st.relearned, 3);
	to = pc_test_direct_reply_to(&t, ms);
	cr_assert(pc_pkt_addr_equal(&to, &a7));
	pc_test_direct_fini(&t);
}

Test(relay, rtcp_without_mux_follows_the_count_rule)
{
	struct pc_relay_leg_conf conf = { .learn_quiet_ms = 1 };
	struct pc_test_direct t;
	union pc_pkt_addr a = pc_test_v4(0x0a000001u, 4000), a_rtcp = pc_test_v4(0x0a000001u, 4001);
	union pc_pkt_addr x = pc_test_v4(0xc0000201u, 6001), y = pc_test_v4(0xc0000202u, 6001);
	uint64_t seed = 0x1234567887654321ull, ms = 1000;
	const uint8_t sdes_empty[4] = { 0x80, 202, 0, 0 }; /* an SDES with no chunk: no SSRC */

	/* Given leg 0 without rtcp-mux (quiet time 1 ms, to see the count alone), A's RTP and
	 * RTCP latched */
	pc_test_direct_init(&t, &conf);
	cr_assert(pc_test_direct_rtp(&t, &a, 1, PC_TEST_SSRC_A, ms += 20));
	cr_assert(pc_test_direct_sr(&t, &a_rtcp, PC_TEST_SSRC_A, ms += 20));

	/* When X sprays 500 reports with random sender SSRCs / Then none goes through */
	for (unsigned i = 0; i < 500; i++)
		cr_assert(!pc_test_direct_sr(&t, &x, (uint32_t)pc_test_xorshift(&seed), ms += 10));
	cr_assert_eq(t.r.leg[0].st.foreign, 500);

	/* When Y sends 4 reports as one sender, A one, Y 4 more / Then the count started over */
	for (unsigned i = 0; i < 9; i++) {
		const union pc_pkt_addr *from = i == 4 ? &a_rtcp : &y;

		cr_assert_eq(pc_test_direct_sr(&t, from, i == 4 ? PC_TEST_SSRC_A : PC_TEST_SSRC_X,
					       ms += 10),
			     i == 4, "report %u", i);
	}
	/* And a report without a sender SSRC from Y starts it over too */
	cr_assert(!pc_test_direct_in(&t, 0, PC_RELAY_RTCP, &y, sdes_empty, sizeof(sdes_empty),
				     ms += 10, NULL));
	for (unsigned i = 0; i < 4; i++)
		cr_assert(!pc_test_direct_sr(&t, &y, PC_TEST_SSRC_X, ms += 10), "report %u", i);
	cr_assert_eq(t.r.leg[0].st.relearned, 0);

	/* When Y sends its 5th in a row / Then RTCP follows Y; RTP stays on A */
	cr_assert(pc_test_direct_sr(&t, &y, PC_TEST_SSRC_X, ms += 10));
	cr_assert_eq(t.r.leg[0].st.relearned, 1);
	cr_assert(pc_pkt_addr_equal(&t.r.leg[0].remote[PC_RELAY_RTCP], &y));
	cr_assert(pc_pkt_addr_equal(&t.r.leg[0].remote[PC_RELAY_RTP], &a));
	cr_assert(pc_test_direct_rtp(&t, &a, 2, PC_TEST_SSRC_A, ms += 10));
	cr_assert(!pc_test_direct_sr(&t, &a_rtcp, PC_TEST_SSRC_A, ms += 10));
	pc_test_direct_fini(&t);
}

Test(relay, rtcp_mux_rtcp_from_elsewhere_never_moves_the_remote)
{
	struct pc_relay_leg_conf conf = { .flags = PC_RELAY_F_RTCP_MUX };
	struct pc_test_direct t;
	union pc_pkt_addr a = pc_test_v4(0x0a000001u, 4000), x = pc_test_v4(0xc0000201u, 6000);
	uint64_t ms = 1000;
	uint8_t rr[64];
	size_t len;

	/* Given leg 0 with rtcp-mux latched on A's RTP; A's RTCP (on the same port) goes
	 * through */
	pc_test_direct_init(&t, &conf);
	cr_assert(pc_test_direct_rtp(&t, &a, 1, PC_TEST_SSRC_A, ms += 20));
	cr_assert(pc_test_direct_sr(&t, &a, PC_TEST_SSRC_A, ms += 20));

	/* When X sends 50 reports as one sender, long after A fell silent / Then none goes
	 * through, and the remote stays A */
	ms += 10000;
	len = pc_test_rr(rr, PC_TEST_SSRC_X, PC_TEST_SSRC_A);
	for (unsigned i = 0; i < 50; i++)
		cr_assert(!pc_test_direct_in(&t, 0, PC_RELAY_RTP, &x, rr, len, ms += 100, NULL));
	cr_assert_eq(t.r.leg[0].st.foreign, 50);
	cr_assert_eq(t.r.leg[0].st.relearned, 0);
	cr_assert(pc_pkt_addr_equal(&t.r.leg[0].remote[PC_RELAY_RTP], &a));

	/* When X then sends an RTP stream / Then the RTP rule governs: it moves on the
	 * learn_pkts-th, and X's RTCP goes through after, A's not */
	for (unsigned i = 1; i < PC_RELAY_LEARN_PKTS; i++)
		cr_assert(
			!pc_test_direct_rtp(&t, &x, (uint16_t)(500 + i), PC_TEST_SSRC_X, ms += 20));
	cr_assert(pc_test_direct_rtp(&t, &x, 500 + PC_RELAY_LEARN_PKTS, PC_TEST_SSRC_X, ms += 20));
	cr_assert_eq(t.r.leg[0].st.relearned, 1);
	cr_assert(pc_test_direct_in(&t, 0, PC_RELAY_RTP, &x, rr, len, ms += 1, NULL));
	cr_assert(!pc_test_direct_sr(&t, &a, PC_TEST_SSRC_A, ms += 1));
	pc_test_direct_fini(&t);
}

Test(relay, lock_never_moves_not_even_for_the_same_stream)
{
	struct pc_relay_leg_conf conf = { .flags = PC_RELAY_F_LOCK };
	struct pc_test_direct t;
	union pc_pkt_addr a = pc_test_v4(0x0a000001u, 4000), a1 = pc_test_v4(0x0a000001u, 4001);
	union pc_pkt_addr x = pc_test_v4(0xc0000201u, 6000), to;
	uint64_t ms = 1000;

	/* Given leg 0 locked, latched on A */
	pc_test_direct_init(&t, &conf);
	cr_assert(pc_test_direct_rtp(&t, &a, 1000, PC_TEST_SSRC_A, ms += 20));

	/* When A's stream continues from another port, and 10 s later X sends 50 packets of one
	 * stream / Then all are dropped as foreign and the remote stays A */
	cr_assert(!pc_test_direct_rtp(&t, &a1, 1001, PC_TEST_SSRC_A, ms += 20));
	ms += 10000;
	for (unsigned i = 0; i < 50; i++)
		cr_assert(!pc_test_direct_rtp(&t, &x, (uint16_t)i, PC_TEST_SSRC_X, ms += 20));
	cr_assert_eq(t.r.leg[0].st.foreign, 51);
	cr_assert_eq(t.r.leg[0].st.relearned, 0);
	to = pc_test_direct_reply_to(&t, ms);
	cr_assert(pc_pkt_addr_equal(&to, &a));
	cr_assert(pc_test_direct_rtp(&t, &a, 1002, PC_TEST_SSRC_A, ms += 20));
	pc_test_direct_fini(&t);
}

Test(relay, configured_remote_never_heard_is_followed_after_learn_pkts)
{
	struct pc_relay_leg_conf conf;
	struct pc_test_direct t;
	union pc_pkt_addr sdp = pc_test_v4(0xc0a8010au, 4000), nat = pc_test_v4(0xcb007105u, 34567);
	union pc_pkt_addr nat2 = pc_test_v4(0xcb007105u, 34568), to;
	uint64_t ms = 1000;

	/* Given leg 0's remote configured (a private address from SDP, never heard from) */
	memset(&conf, 0, sizeof(conf));
	conf.remote_rtp = sdp;
	pc_test_direct_init(&t, &conf);
	to = pc_test_direct_reply_to(&t, ms);
	cr_assert(pc_pkt_addr_equal(&to, &sdp));

	/* When the peer's stream comes from its NAT's address / Then the remote moves on the
	 * learn_pkts-th packet, with no wait (nothing was heard to fall silent) */
	for (unsigned i = 1; i < PC_RELAY_LEARN_PKTS; i++)
		cr_assert(!pc_test_direct_rtp(&t, &nat, (uint16_t)i, PC_TEST_SSRC_A, ms += 20));
	cr_assert(pc_test_direct_rtp(&t, &nat, PC_RELAY_LEARN_PKTS, PC_TEST_SSRC_A, ms += 20));
	to = pc_test_direct_reply_to(&t, ms);
	cr_assert(pc_pkt_addr_equal(&to, &nat));

	/* When the remote is set again (a re-INVITE) / Then what was heard is forgotten: the
	 * old stream's next packet from elsewhere does not move it at once */
	pc_relay_set_remote(&t.r, 0, PC_RELAY_RTP, &sdp);
	cr_assert(
		!pc_test_direct_rtp(&t, &nat2, PC_RELAY_LEARN_PKTS + 1, PC_TEST_SSRC_A, ms += 20));
	/* And a packet from the configured address is accepted and heard */
	cr_assert(pc_test_direct_rtp(&t, &sdp, 1, PC_TEST_SSRC_X, ms += 1));
	cr_assert_eq(t.r.leg[0].st.relearned, 1);
	pc_test_direct_fini(&t);
}

/* --- SRTP per leg, on pc_relay directly -------------------------------------------------------- */

/* Keys: leg 0's peer sends with k_a (the relay's leg 0 in) and receives with k_b (leg 0 out). */
struct pc_test_srtp {
	struct pc_pkt_pool *pool;
	struct pc_pkt_cache *cache;
	struct pc_relay r;
	struct pc_srtp *leg[2];	 /* the relay's sessions (NULL: plain) */
	struct pc_srtp *peer[2]; /* each leg's peer: out = the leg's in key, in = its out key */
	union pc_pkt_addr a, b;
};

static struct pc_srtp *pc_test_session(const struct pc_srtp_key *out, const struct pc_srtp_key *in)
{
	struct pc_srtp_conf c = {
		.out = { .key = out, .flags = PC_SRTP_F_ANY_SSRC },
		.in = { .key = in, .flags = PC_SRTP_F_ANY_SSRC },
	};
	struct pc_srtp *s = NULL;

	cr_assert_eq(pc_srtp_create(&s, &c), 0);
	return s;
}

/* @suite[leg]: the suite of each leg, or -1 for a plain leg. */
static void pc_test_srtp_init(struct pc_test_srtp *t, const int suite[2], uint32_t flags)
{
	struct pc_pkt_pool_params pp = { .count = 32, .flags = PC_PKT_POOL_F_NO_HUGEPAGE };
	const uint16_t ports[2][2] = { { 1, 2 }, { 3, 4 } };
	struct pc_relay_leg_conf conf[2];

	memset(t, 0, sizeof(*t));
	memset(conf, 0, sizeof(conf));
	cr_assert_eq(pc_pkt_pool_create(&t->pool, &pp), 0);
	cr_assert_eq(pc_pkt_cache_attach(t->pool, &t->cache), 0);
	for (unsigned leg = 0; leg < 2; leg++) {
		struct pc_srtp_key k_in, k_out;

		conf[leg].flags = flags | PC_RELAY_F_RTCP_MUX;
		if (suite[leg] < 0)
			continue;
		cr_assert_eq(pc_srtp_key_random(&k_in, (enum pc_srtp_suite)suite[leg]), 0);
		cr_assert_eq(pc_srtp_key_random(&k_out, (enum pc_srtp_suite)suite[leg]), 0);
		t->leg[leg] = pc_test_session(&k_out, &k_in);
		t->peer[leg] = pc_test_session(&k_in, &k_out);
		conf[leg].srtp = t->leg[leg];
	}
	pc_relay_init(&t->r, conf, ports);
	t->a = pc_test_v4(0x0a000001u, 4000);
	t->b = pc_test_v4(0x0a000002u, 5000);
	pc_relay_set_remote(&t->r, 0, PC_RELAY_RTP, &t->a);
	pc_relay_set_remote(&t->r, 1, PC_RELAY_RTP, &t->b);
}

static void pc_test_srtp_fini(struct pc_test_srtp *t)
{
	struct pc_pkt_pool_stats ps;

	for (unsigned leg = 0; leg < 2; leg++) {
		pc_srtp_destroy(t->leg[leg]);
		pc_srtp_destroy(t->peer[leg]);
	}
	pc_pkt_pool_stats(t->pool, &ps);
	cr_assert_eq(ps.in_use, 0, "%u buffers not returned", (unsigned)ps.in_use);
	pc_pkt_cache_detach(t->cache);
	pc_pkt_pool_destroy(t->pool);
}

/* A packet of @len bytes (@b) from @leg's peer as it would arrive: protected when the leg has
 * SRTP (RTP or RTCP by its type byte). */
static struct pc_pkt *pc_test_srtp_from_peer(struct pc_test_srtp *t, unsigned leg, const uint8_t *b,
					     size_t len)
{
	struct pc_pkt *p = pc_pkt_alloc(t->cache);

	cr_assert_not_null(p);
	memcpy(pc_pkt_append(p, (uint16_t)len), b, len);
	p->peer = leg ? t->b : t->a;
	if (t->peer[leg] != NULL)
		cr_assert_eq(pc_rtp_is_rtcp(b, len) ? pc_srtp_protect_rtcp(t->peer[leg], p) :
						      pc_srtp_protect(t->peer[leg], p),
			     0);
	return p;
}

/* What left the relay on @leg, as its peer reads it: unprotected when the leg has SRTP. */
static void pc_test_srtp_to_peer(struct pc_test_srtp *t, unsigned leg, struct pc_pkt *out,
				 const uint8_t *want, size_t len)
{
	cr_assert_not_null(out, "nothing relayed to leg %u", leg);
	cr_assert(pc_pkt_addr_equal(&out->peer, leg ? &t->b : &t->a));
	if (t->peer[leg] != NULL) {
		cr_assert_gt(pc_pkt_len(out), len, "leg %u: no SRTP trailer", leg);
		cr_assert_eq(pc_rtp_is_rtcp(want, len) ? pc_srtp_unprotect_rtcp(t->peer[leg], out) :
							 pc_srtp_unprotect(t->peer[leg], out),
			     0, "leg %u's peer cannot unprotect what the relay sent", leg);
	}
	cr_assert_eq(pc_pkt_len(out), len);
	cr_assert_eq(memcmp(pc_pkt_data(out), want, len), 0, "leg %u: other bytes", leg);
	pc_pkt_free(t->cache, out);
}

static void pc_test_srtp_both_ways(const int suite[2])
{
	struct pc_test_srtp t;
	uint8_t rtp[200], rr[64];
	size_t n;

	pc_test_srtp_init(&t, suite, 0);
	for (uint16_t i = 0; i < 4; i++) {
		unsigned from = i & 1;

		/* RTP each way, 172 bytes: what leaves is what went in, under the other keys */
		n = pc_test_rtp(rtp, (uint16_t)(100 + i), 160u * i, 0x1111u + from, 160);
		pc_test_srtp_to_peer(&t, !from,
				     pc_relay_input(&t.r, from, PC_RELAY_RTP,
						    pc_test_srtp_from_peer(&t, from, rtp, n),
						    t.cache, 1000 + i),
				     rtp, n);
		/* RTCP (a receiver report) each way, on the muxed port */
		n = pc_test_rr(rr, 0x2222u + from, 0x1111u + !from);
		pc_test_srtp_to_peer(&t, !from,
				     pc_relay_input(&t.r, from, PC_RELAY_RTP,
						    pc_test_srtp_from_peer(&t, from, rr, n),
						    t.cache, 2000 + i),
				     rr, n);
	}
	cr_assert_eq(t.r.leg[0].st.srtp_drops + t.r.leg[1].st.srtp_drops, 0);
	cr_assert_eq(t.r.leg[0].st.bad + t.r.leg[1].st.bad, 0);
	pc_test_srtp_fini(&t);
}

Test(relay, srtp_on_one_leg_plain_on_the_other)
{
	pc_test_srtp_both_ways((const int[2]){ PC_SRTP_AES_CM_128_HMAC_SHA1_80, -1 });
	pc_test_srtp_both_ways((const int[2]){ -1, PC_SRTP_AEAD_AES_128_GCM });
}

Test(relay, srtp_reprotected_between_suites)
{
	pc_test_srtp_both_ways(
		(const int[2]){ PC_SRTP_AES_CM_128_HMAC_SHA1_32, PC_SRTP_AEAD_AES_256_GCM });
	pc_test_srtp_both_ways(
		(const int[2]){ PC_SRTP_AEAD_AES_128_GCM, PC_SRTP_AES_CM_128_HMAC_SHA1_80 });
}

Test(relay, srtp_tamper_replay_and_forgery_are_dropped_and_move_nothing)
{
	struct pc_test_srtp t;
	uint8_t rtp[200];
	struct pc_pkt *p, *dup;
	union pc_pkt_addr x = pc_test_v4(0xc0000201u, 6000);
	size_t n = pc_test_rtp(rtp, 7, 160, 0x1111u, 160);
	uint64_t ms = 1000;

	pc_test_srtp_init(&t, (const int[2]){ PC_SRTP_AES_CM_128_HMAC_SHA1_80, -1 }, 0);
	/* A tampered payload byte: dropped, counted, nothing sent */
	p = pc_test_srtp_from_peer(&t, 0, rtp, n);
	pc_pkt_data(p)[40] ^= 1;
	cr_assert_null(pc_relay_input(&t.r, 0, PC_RELAY_RTP, p, t.cache, ms++));
	cr_assert_eq(t.r.leg[0].st.srtp_drops, 1);
	/* The same packet twice: the second is a replay */
	n = pc_test_rtp(rtp, 8, 320, 0x1111u, 160);
	p = pc_test_srtp_from_peer(&t, 0, rtp, n);
	dup = pc_pkt_alloc(t.cache);
	memcpy(pc_pkt_append(dup, pc_pkt_len(p)), pc_pkt_data(p), pc_pkt_len(p));
	dup->peer = p->peer;
	pc_test_srtp_to_peer(&t, 1, pc_relay_input(&t.r, 0, PC_RELAY_RTP, p, t.cache, ms++), rtp,
			     n);
	cr_assert_null(pc_relay_input(&t.r, 0, PC_RELAY_RTP, dup, t.cache, ms++));
	cr_assert_eq(t.r.leg[0].st.srtp_drops, 2);
	/* A forged consistent stream from X, long after A fell silent (it would move the remote
	 * after learn_pkts packets of plain RTP): every packet fails authentication, so it
	 * never moves, and none counts as foreign */
	ms += 10000;
	for (uint16_t i = 0; i < 2 * PC_RELAY_LEARN_PKTS; i++) {
		struct pc_srtp_key k;
		struct pc_srtp *forger;

		cr_assert_eq(pc_srtp_key_random(&k, PC_SRTP_AES_CM_128_HMAC_SHA1_80), 0);
		forger = pc_test_session(&k, &k);
		p = pc_pkt_alloc(t.cache);
		n = pc_test_rtp(rtp, (uint16_t)(9 + i), 160u * i, 0x1111u, 160);
		memcpy(pc_pkt_append(p, (uint16_t)n), rtp, n);
		cr_assert_eq(pc_srtp_protect(forger, p), 0);
		p->peer = x;
		cr_assert_null(pc_relay_input(&t.r, 0, PC_RELAY_RTP, p, t.cache, ms += 20));
		pc_srtp_destroy(forger);
	}
	cr_assert_eq(t.r.leg[0].st.relearned, 0);
	cr_assert_eq(t.r.leg[0].st.foreign, 0);
	cr_assert_eq(t.r.leg[0].st.srtp_drops, 2 + 2 * PC_RELAY_LEARN_PKTS);
	cr_assert(pc_pkt_addr_equal(&t.r.leg[0].remote[PC_RELAY_RTP], &t.a));
	pc_test_srtp_fini(&t);
}

Test(relay, srtp_passed_through_without_keys_is_relayed_unchanged)
{
	struct pc_test_srtp t;
	uint8_t b[256];
	size_t n;

	/* Given legs that pass SRTP through (keys between the peers; none here) */
	pc_test_srtp_init(&t, (const int[2]){ -1, -1 }, PC_RELAY_F_SRTP_PASS);
	/* An SRTP packet with the P bit whose last byte (a tag byte) is no padding length, and an
	 * SRTCP packet whose encrypted part is no compound: both leave byte for byte */
	n = pc_test_rtp(b, 9, 1440, 0x3333u, 160);
	b[0] |= 0x20;
	memset(b + n, 0xee, 10);
	n += 10;
	pc_test_srtp_to_peer(&t, 1,
			     pc_relay_input(&t.r, 0, PC_RELAY_RTP,
					    pc_test_srtp_from_peer(&t, 0, b, n), t.cache, 1000),
			     b, n);
	n = pc_test_rr(b, 0x4444u, 0x3333u);
	memset(b + 8, 0x5a, n - 8);
	memset(b + n, 0x80, 14); /* E + index, then a tag */
	n += 14;
	pc_test_srtp_to_peer(&t, 0,
			     pc_relay_input(&t.r, 1, PC_RELAY_RTP,
					    pc_test_srtp_from_peer(&t, 1, b, n), t.cache, 1001),
			     b, n);
	cr_assert_eq(t.r.leg[0].st.bad + t.r.leg[1].st.bad, 0);
	/* Without the flag the same SRTCP is no valid RTCP: dropped as bad */
	t.r.leg[1].flags &= ~PC_RELAY_F_SRTP_PASS;
	cr_assert_null(pc_relay_input(&t.r, 1, PC_RELAY_RTP, pc_test_srtp_from_peer(&t, 1, b, n),
				      t.cache, 1002));
	cr_assert_eq(t.r.leg[1].st.bad, 1);
	pc_test_srtp_fini(&t);
}
