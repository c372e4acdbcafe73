/* SPDX-License-Identifier: MIT */
/*
 * io_sockets_test.c - the I/O layer (pc_io.h) on its sockets backend, over loopback (127.0.0.1
 * and ::1) against plain UDP sockets: create, port open/close and their errors (-EMFILE,
 * -EADDRINUSE, -ENOENT), receive (contents, port, sender), send (contents, source port), runs of
 * equal-size datagrams to one peer (sent with UDP GSO) arriving as separate datagrams in order,
 * oversize and zero-length datagrams, sends to a port that is not open, an empty pool, and the
 * buffer accounting after each: once the test has freed what it holds, the pool's in_use equals
 * what the backend says it holds (bufs_held). 10^6 datagrams go through in
 * io_sockets_stress_test.c.
 *
 * Every wait is a poll with a deadline; IPv6 cases skip when ::1 cannot be bound.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pc_io.h"
#include "udp_test_pvt.h"

#define PC_TEST_WAIT_MS 2000 /* how long a datagram that should come may take */
#define PC_TEST_QUIET_MS 50  /* how long to watch for one that should not */

/* --- helpers --------------------------------------------------------------------------------- */

static uint64_t pc_test_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void pc_test_nap(void)
{
	struct timespec ts = { 0, 100000 }; /* 100 us */

	nanosleep(&ts, NULL);
}

static struct pc_io *pc_test_io_new_conf(const struct pc_io_conf *conf)
{
	struct pc_io *io = NULL;
	int rc = pc_io_create(&io, conf);

	cr_assert_eq(rc, 0, "pc_io_create(sockets) = %d", rc);
	cr_assert_not_null(io);
	cr_assert_eq(pc_io_backend(io), PC_IO_SOCKETS);
	return io;
}

static struct pc_io *pc_test_io_new(uint32_t pkts, uint32_t max_ports, uint32_t burst)
{
	struct pc_io_conf conf = {
		.backend = PC_IO_SOCKETS,
		.pkts = pkts,
		.max_ports = max_ports,
		.burst = burst,
	};

	return pc_test_io_new_conf(&conf);
}

/* A plain non-blocking UDP socket bound to @local (NULL: loopback of @family, any port). */
static int pc_test_udp_at(int family, const union pc_pkt_addr *local, union pc_pkt_addr *bound)
{
	union pc_pkt_addr want = local ? *local : pc_test_loopback(family, 0);
	socklen_t len = sizeof(*bound);
	int buf = 4 << 20;
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	if (bind(fd, &want.sa, pc_test_addr_len(&want)) < 0) {
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
	int fd = pc_test_udp_at(family, NULL, bound);

	cr_assert_geq(fd, 0, "plain UDP socket: %s", strerror(-fd));
	return fd;
}

/* Skips the test when the loopback of @family cannot be bound (no IPv6 here). */
static void pc_test_need(int family)
{
	union pc_pkt_addr a;
	int fd = pc_test_udp_at(family, NULL, &a);

	if (fd < 0)
		cr_skip_test("%s loopback unavailable: %s",
			     family == AF_INET6 ? "::1" : "127.0.0.1", strerror(-fd));
	close(fd);
}

static void pc_test_sendto(int fd, const void *buf, size_t len, const union pc_pkt_addr *to)
{
	ssize_t n = sendto(fd, buf, len, 0, &to->sa, pc_test_addr_len(to));

	cr_assert_eq(n, (ssize_t)len, "sendto %zu bytes: %zd (%s)", len, n, strerror(errno));
}

/* Receives one datagram within @timeout_ms; returns its length (MSG_TRUNC: its full length) or
 * -1 when none came. */
static ssize_t pc_test_recv(int fd, void *buf, size_t cap, union pc_pkt_addr *from, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	socklen_t flen = sizeof(*from);

	if (poll(&pfd, 1, timeout_ms) <= 0)
		return -1;
	return recvfrom(fd, buf, cap, MSG_DONTWAIT | MSG_TRUNC, &from->sa, &flen);
}

/* Receives through the backend until @want packets came or @timeout_ms passed. */
static unsigned pc_test_rx(struct pc_io *io, struct pc_pkt **pkts, unsigned want, int timeout_ms)
{
	uint64_t deadline = pc_test_now_ms() + (uint64_t)timeout_ms;
	unsigned got = 0;

	while (got < want) {
		got += pc_io_rx_burst(io, pkts + got, want - got);
		if (got == want || pc_test_now_ms() > deadline)
			break;
		pc_test_nap();
	}
	return got;
}

/* A packet of @len bytes, byte i = @seed + i, to leave from @port for @to. */
static struct pc_pkt *pc_test_pkt(struct pc_io *io, uint16_t port, const union pc_pkt_addr *to,
				  uint16_t len, uint8_t seed)
{
	struct pc_pkt *p = pc_pkt_alloc(pc_io_cache(io));
	uint8_t *d;

	cr_assert_not_null(p);
	d = pc_pkt_append(p, len);
	cr_assert(len == 0 || d != NULL, "append %u", len);
	for (uint16_t i = 0; i < len; i++)
		d[i] = (uint8_t)(seed + i);
	p->port = port;
	p->peer = *to;
	p->peer_len = pc_test_addr_len(to);
	return p;
}

static void pc_test_fill(uint8_t *buf, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(seed + i);
}

static struct pc_io_stats pc_test_io_stats(const struct pc_io *io)
{
	struct pc_io_stats st;

	pc_io_get_stats(io, &st);
	return st;
}

/* The test holds no buffer: whatever the pool has out, the backend holds (pc_io.h,
 * bufs_held). */
static void pc_test_assert_no_leak(const struct pc_io *io)
{
	struct pc_pkt_pool_stats ps;
	struct pc_io_stats st = pc_test_io_stats(io);

	pc_pkt_pool_stats(pc_io_pool(io), &ps);
	cr_assert_eq(ps.in_use, st.bufs_held, "pool in_use %u, backend holds %llu: %lld leaked",
		     ps.in_use, (unsigned long long)st.bufs_held,
		     (long long)ps.in_use - (long long)st.bufs_held);
}

static int pc_test_open(struct pc_io *io, int family, union pc_pkt_addr *bound)
{
	union pc_pkt_addr local = pc_test_loopback(family, 0);
	int id = pc_io_port_open(io, &local, bound);

	cr_assert_geq(id, 1, "pc_io_port_open: %d", id);
	return id;
}

/* --- create ---------------------------------------------------------------------------------- */

Test(io_sockets, create_sockets_backend_with_defaults)
{
	/* Given the default configuration of the sockets backend / When created */
	struct pc_io *io = pc_test_io_new(0, 0, 0);
	struct pc_io_stats st = pc_test_io_stats(io);
	enum pc_io_backend b;

	/* Then it runs sockets, with 1024 ports, a pool of 8192 packets and zero counters */
	cr_assert_str_eq(pc_io_backend_name(pc_io_backend(io)), "sockets");
	cr_assert_eq(pc_io_max_ports(io), 1024);
	cr_assert_not_null(pc_io_pool(io));
	cr_assert_not_null(pc_io_cache(io));
	cr_assert_eq(pc_pkt_pool_count(pc_io_pool(io)), 8192);
	cr_assert_eq(st.rx_pkts + st.tx_pkts + st.rx_errors + st.tx_errors + st.tx_drops, 0);
	/* And the names parse back */
	cr_assert_eq(pc_io_backend_parse("sockets", &b), 0);
	cr_assert_eq(b, PC_IO_SOCKETS);
	cr_assert_eq(pc_io_backend_parse("carrier-pigeon", &b), -EINVAL);
	pc_io_destroy(io);
	pc_io_destroy(NULL);
}

Test(io_sockets, create_rejects_a_bad_configuration)
{
	struct pc_io *sentinel = (struct pc_io *)(uintptr_t)0xdead0000u;
	struct pc_io *io = sentinel;
	struct pc_io_conf conf = { .backend = PC_IO_SOCKETS };

	/* Given a burst above PC_IO_BURST_MAX, too many ports, an unknown backend / When
	 * created / Then -EINVAL and *out untouched */
	conf.burst = PC_IO_BURST_MAX + 1;
	cr_assert_eq(pc_io_create(&io, &conf), -EINVAL);
	conf.burst = 0;
	conf.max_ports = PC_IO_PORTS_MAX + 1;
	cr_assert_eq(pc_io_create(&io, &conf), -EINVAL);
	conf.max_ports = 0;
	conf.backend = PC_IO_BACKENDS;
	cr_assert_eq(pc_io_create(&io, &conf), -EINVAL);
	cr_assert_eq(pc_io_create(&io, NULL), -EINVAL);
	cr_assert_eq(io, sentinel);
}

/* --- ports ----------------------------------------------------------------------------------- */

static void pc_test_open_binds_a_real_port(int family)
{
	struct pc_io *io;
	union pc_pkt_addr b1, b2, probe;
	int id1, id2, fd;

	pc_test_need(family);
	io = pc_test_io_new(256, 8, 0);

	/* Given two ports opened on the loopback at port 0 */
	id1 = pc_test_open(io, family, &b1);
	id2 = pc_test_open(io, family, &b2);

	/* Then each has its own id and a real port on the loopback address */
	cr_assert_neq(id1, id2);
	cr_assert_leq(id1, 8);
	cr_assert_leq(id2, 8);
	cr_assert_eq(b1.sa.sa_family, family);
	cr_assert_neq(pc_test_port_of(&b1), 0);
	cr_assert_neq(pc_test_port_of(&b2), 0);
	cr_assert_neq(pc_test_port_of(&b1), pc_test_port_of(&b2));
	cr_assert(pc_pkt_addr_equal(&b1, &b1));
	if (family == AF_INET)
		cr_assert_eq(b1.in4.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	else
		cr_assert_eq(memcmp(&b1.in6.sin6_addr, &in6addr_loopback, 16), 0);

	/* And the port really is bound: nobody else can bind it */
	fd = pc_test_udp_at(family, &b1, &probe);
	cr_assert_eq(fd, -EADDRINUSE, "binding the port again: %d", fd);
	pc_io_destroy(io);
}

Test(io_sockets, open_ipv4_port_zero_binds_a_real_port)
{
	pc_test_open_binds_a_real_port(AF_INET);
}

Test(io_sockets, open_ipv6_port_zero_binds_a_real_port)
{
	pc_test_open_binds_a_real_port(AF_INET6);
}

Test(io_sockets, open_rejects_an_address_that_is_not_ip)
{
	struct pc_io *io = pc_test_io_new(256, 8, 0);
	union pc_pkt_addr a;

	/* Given an address of family 0, and NULL / When opened / Then -EINVAL */
	memset(&a, 0, sizeof(a));
	cr_assert_eq(pc_io_port_open(io, &a, NULL), -EINVAL);
	cr_assert_eq(pc_io_port_open(io, NULL, NULL), -EINVAL);
	/* And a good one still opens, without bound (may be NULL) */
	a = pc_test_loopback(AF_INET, 0);
	cr_assert_geq(pc_io_port_open(io, &a, NULL), 1);
	pc_io_destroy(io);
}

Test(io_sockets, emfile_past_max_ports)
{
	struct pc_io *io = pc_test_io_new(256, 4, 0);
	union pc_pkt_addr local = pc_test_loopback(AF_INET, 0), b;
	int ids[4];

	/* Given max_ports 4, all open */
	for (unsigned i = 0; i < 4; i++)
		ids[i] = pc_test_open(io, AF_INET, &b);

	/* When a fifth is opened / Then -EMFILE */
	cr_assert_eq(pc_io_port_open(io, &local, &b), -EMFILE);

	/* When one is closed / Then one more opens, and only one */
	cr_assert_eq(pc_io_port_close(io, (uint16_t)ids[2]), 0);
	cr_assert_geq(pc_io_port_open(io, &local, &b), 1);
	cr_assert_eq(pc_io_port_open(io, &local, &b), -EMFILE);
	pc_io_destroy(io);
}

Test(io_sockets, eaddrinuse_for_a_taken_port)
{
	struct pc_io *io = pc_test_io_new(256, 2, 0);
	union pc_pkt_addr taken, b;
	int fd = pc_test_udp(AF_INET, &taken);
	int id;

	/* Given a port held by a plain socket / When the backend opens it / Then -EADDRINUSE */
	cr_assert_eq(pc_io_port_open(io, &taken, &b), -EADDRINUSE);
	close(fd);

	/* Given a port the backend holds itself / When opened again / Then -EADDRINUSE */
	id = pc_test_open(io, AF_INET, &b);
	cr_assert_eq(pc_io_port_open(io, &b, NULL), -EADDRINUSE);

	/* And the failures took no slot: the second of max_ports 2 still opens */
	cr_assert_geq(pc_test_open(io, AF_INET, &b), 1);
	cr_assert_eq(pc_io_port_close(io, (uint16_t)id), 0);
	pc_io_destroy(io);
}

Test(io_sockets, close_of_a_port_that_is_not_open)
{
	struct pc_io *io = pc_test_io_new(256, 4, 0);
	union pc_pkt_addr b;
	int id = pc_test_open(io, AF_INET, &b);

	/* Given one open port / When ids that are not open are closed / Then -ENOENT */
	cr_assert_eq(pc_io_port_close(io, 0), -ENOENT);
	cr_assert_eq(pc_io_port_close(io, (uint16_t)(id == 1 ? 2 : 1)), -ENOENT);
	cr_assert_eq(pc_io_port_close(io, 5), -ENOENT);
	cr_assert_eq(pc_io_port_close(io, 65535), -ENOENT);
	/* And closing the open one works once */
	cr_assert_eq(pc_io_port_close(io, (uint16_t)id), 0);
	cr_assert_eq(pc_io_port_close(io, (uint16_t)id), -ENOENT);
	pc_io_destroy(io);
}

/* --- prepare and adopt (a port made on one thread, taken by the owner) ---------------------- */

/* Open descriptors of this process (/proc/self/fd), the directory's own not counted. */
static int pc_test_fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		cr_skip_test("no /proc/self/fd to count descriptors: %s", strerror(errno));
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;
}

struct pc_test_preparer {
	struct pc_io *io;
	union pc_pkt_addr local;
	struct pc_io_port_prep prep;
	int rc;
};

static void *pc_test_prepare_thread(void *arg)
{
	struct pc_test_preparer *t = arg;

	t->rc = pc_io_port_prepare(t->io, &t->local, &t->prep);
	return NULL;
}

/* A port prepared on another thread, with @others ports open already (more than two: the
 * backend polls through epoll; at most two: each socket directly). */
static void pc_test_prepare_elsewhere_then_adopt(unsigned others)
{
	struct pc_io *io = pc_test_io_new(256, 8, 0);
	struct pc_test_preparer t = { .io = io, .local = pc_test_loopback(AF_INET, 0) };
	union pc_pkt_addr b, from, probe, prepared;
	struct pc_pkt *pkts[4];
	uint8_t msg[20];
	pthread_t th;
	unsigned got;
	int fd, id, probe_fd;

	for (unsigned i = 0; i < others; i++)
		(void)pc_test_open(io, AF_INET, &b);
	fd = pc_test_udp(AF_INET, &from);

	/* Given a port prepared on another thread */
	cr_assert_eq(pthread_create(&th, NULL, pc_test_prepare_thread, &t), 0);
	cr_assert_eq(pthread_join(th, NULL), 0);
	cr_assert_eq(t.rc, 0, "pc_io_port_prepare on another thread: %d", t.rc);
	cr_assert_eq(t.prep.io, io);
	cr_assert_geq(t.prep.fd, 0);
	cr_assert_neq(pc_test_port_of(&t.prep.local), 0);
	/* Then its address is bound already */
	probe_fd = pc_test_udp_at(AF_INET, &t.prep.local, &probe);
	cr_assert_eq(probe_fd, -EADDRINUSE, "binding a prepared port: %d", probe_fd);

	/* When a datagram comes before it is adopted / Then the owner sees nothing yet */
	pc_test_fill(msg, sizeof(msg), 7);
	pc_test_sendto(fd, msg, sizeof(msg), &t.prep.local);
	cr_assert_eq(pc_test_rx(io, pkts, 1, PC_TEST_QUIET_MS), 0);
	cr_assert_eq(pc_test_io_stats(io).rx_errors, 0);

	/* When the owner adopts it */
	prepared = t.prep.local;
	id = pc_io_port_adopt(io, &t.prep, &b);

	/* Then it is a port like another, bound where it was prepared, and the datagram that
	 * waited comes in on it */
	cr_assert_geq(id, 1, "pc_io_port_adopt: %d", id);
	cr_assert(pc_pkt_addr_equal(&b, &prepared), "bound where it was prepared");
	cr_assert_null(t.prep.io, "an adopted prep is left empty");
	cr_assert_eq(t.prep.fd, -1);
	got = pc_test_rx(io, pkts, 1, PC_TEST_WAIT_MS);
	cr_assert_eq(got, 1, "the datagram sent before adopt: %u", got);
	cr_assert_eq(pkts[0]->port, id);
	cr_assert_eq(pc_pkt_len(pkts[0]), sizeof(msg));
	cr_assert_eq(memcmp(pc_pkt_data(pkts[0]), msg, sizeof(msg)), 0);
	cr_assert(pc_pkt_addr_equal(&pkts[0]->peer, &from));
	pc_pkt_free(pc_io_cache(io), pkts[0]);
	/* And discarding the emptied prep closes nothing: the port still receives */
	pc_io_port_discard(&t.prep);
	pc_test_sendto(fd, msg, sizeof(msg), &b);
	cr_assert_eq(pc_test_rx(io, pkts, 1, PC_TEST_WAIT_MS), 1);
	cr_assert_eq(pkts[0]->port, id);
	pc_pkt_free(pc_io_cache(io), pkts[0]);
	pc_test_assert_no_leak(io);
	close(fd);
	pc_io_destroy(io);
}

Test(io_sockets, prepared_on_another_thread_adopted_by_the_owner_direct)
{
	pc_test_prepare_elsewhere_then_adopt(0);
}

Test(io_sockets, prepared_on_another_thread_adopted_by_the_owner_epoll)
{
	pc_test_prepare_elsewhere_then_adopt(3);
}

Test(io_sockets, discard_closes_the_prepared_socket)
{
	struct pc_io *io = pc_test_io_new(256, 8, 0);
	union pc_pkt_addr local = pc_test_loopback(AF_INET, 0), probe;
	struct pc_io_port_prep prep[4], empty;
	int before = pc_test_fd_count(), fd;

	/* Given four prepared ports */
	for (unsigned i = 0; i < 4; i++)
		cr_assert_eq(pc_io_port_prepare(io, &local, &prep[i]), 0);
	cr_assert_eq(pc_test_fd_count(), before + 4);

	/* When discarded / Then their sockets are closed, their addresses free, and they are
	 * empty (a second discard does nothing) */
	for (unsigned i = 0; i < 4; i++) {
		union pc_pkt_addr a = prep[i].local;

		pc_io_port_discard(&prep[i]);
		cr_assert_null(prep[i].io);
		cr_assert_eq(prep[i].fd, -1);
		pc_io_port_discard(&prep[i]);
		fd = pc_test_udp_at(AF_INET, &a, &probe);
		cr_assert_geq(fd, 0, "a discarded port's address is still bound: %d", fd);
		close(fd);
	}
	cr_assert_eq(pc_test_fd_count(), before);

	/* And an all-zero prep (fd 0) is empty: discarding it closes nothing */
	memset(&empty, 0, sizeof(empty));
	pc_io_port_discard(&empty);
	pc_io_port_discard(NULL);
	cr_assert_eq(pc_test_fd_count(), before);
	/* And nothing was put in the port table */
	cr_assert_eq(pc_io_port_close(io, 1), -ENOENT);
	pc_io_destroy(io);
}

Test(io_sockets, prepare_errors_leave_the_prep_empty)
{
	struct pc_io *io = pc_test_io_new(256, 8, 0);
	union pc_pkt_addr a, taken;
	struct pc_io_port_prep prep;
	int before = pc_test_fd_count(), fd = pc_test_udp(AF_INET, &taken);

	/* Given a non-IP address, NULL, and an address a plain socket holds / When prepared /
	 * Then -EINVAL, -EINVAL, -EADDRINUSE, each with the prep empty and no socket left */
	memset(&a, 0, sizeof(a));
	cr_assert_eq(pc_io_port_prepare(io, &a, &prep), -EINVAL);
	cr_assert_null(prep.io);
	cr_assert_eq(pc_io_port_prepare(io, NULL, &prep), -EINVAL);
	cr_assert_eq(pc_io_port_prepare(io, &taken, &prep), -EADDRINUSE);
	cr_assert_null(prep.io);
	cr_assert_eq(prep.fd, -1);
	cr_assert_eq(pc_io_port_adopt(io, &prep, NULL), -EINVAL, "adopting an empty prep");
	close(fd);
	cr_assert_eq(pc_test_fd_count(), before);
	pc_io_destroy(io);
}

Test(io_sockets, prepare_next_takes_the_port_after_when_free)
{
	struct pc_io *io = pc_test_io_new(256, 8, 0);
	union pc_pkt_addr local, b, probe;
	struct pc_io_port_prep rtp, rtcp;
	uint16_t p = 0;
	int blocker, id;

	/* Given an RTP port P whose P + 1 is free (found by trying) */
	for (int tries = 0; tries < 50 && p == 0; tries++) {
		local = pc_test_loopback(AF_INET, 0);
		cr_assert_eq(pc_io_port_prepare(io, &local, &rtp), 0);
		probe = rtp.local;
		probe.in4.sin_port = htons((uint16_t)(pc_test_port_of(&rtp.local) + 1));
		blocker = pc_test_udp_at(AF_INET, &probe, &b);
		if (blocker >= 0) {
			close(blocker);
			p = pc_test_port_of(&rtp.local);
		} else {
			pc_io_port_discard(&rtp);
		}
	}
	cr_assert_neq(p, 0, "no port with a free successor in 50 tries");

	/* When the next is prepared / Then it is P + 1 */
	cr_assert_eq(pc_io_port_prepare_next(io, &rtp, &rtcp), 0);
	cr_assert_eq(pc_test_port_of(&rtcp.local), p + 1);
	cr_assert_eq(rtcp.flags, 0u, "sockets decides at prepare");
	/* And both adopt (adopt_next is adopt when nothing is left to decide) */
	id = pc_io_port_adopt(io, &rtp, NULL);
	cr_assert_geq(id, 1);
	cr_assert_geq(pc_io_port_adopt_next(io, &rtcp, (uint16_t)id, &b), 1);
	cr_assert_eq(pc_test_port_of(&b), p + 1);
	pc_io_destroy(io);
}

Test(io_sockets, prepare_next_takes_any_port_when_the_next_is_taken)
{
	struct pc_io *io = pc_test_io_new(256, 8, 0), *io2 = pc_test_io_new(256, 8, 0);
	union pc_pkt_addr local = pc_test_loopback(AF_INET, 0), next, b;
	struct pc_io_port_prep rtp, rtcp, other;
	int blocker;
	uint16_t p;

	/* Given an RTP port P whose P + 1 a plain socket holds */
	cr_assert_eq(pc_io_port_prepare(io, &local, &rtp), 0);
	p = pc_test_port_of(&rtp.local);
	next = rtp.local;
	next.in4.sin_port = htons((uint16_t)(p + 1));
	blocker = pc_test_udp_at(AF_INET, &next, &b);
	if (blocker < 0)
		cr_skip_test("port %u + 1 is not free to hold: %s", p, strerror(-blocker));

	/* When the next is prepared / Then it is another port on the same address */
	cr_assert_eq(pc_io_port_prepare_next(io, &rtp, &rtcp), 0);
	cr_assert_neq(pc_test_port_of(&rtcp.local), p + 1);
	cr_assert_neq(pc_test_port_of(&rtcp.local), p);
	cr_assert_eq(rtcp.local.in4.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	/* And a prep of another instance, or none, is refused */
	cr_assert_eq(pc_io_port_prepare_next(io, NULL, &other), -EINVAL);
	cr_assert_eq(pc_io_port_prepare_next(io2, &rtp, &other), -EINVAL);
	cr_assert_null(other.io);
	pc_io_port_discard(&rtp);
	pc_io_port_discard(&rtcp);
	close(blocker);
	pc_io_destroy(io2);
	pc_io_destroy(io);
}

Test(io_sockets, adopt_failure_leaves_the_prep_to_the_caller)
{
	struct pc_io *io = pc_test_io_new(256, 1, 0), *io2 = pc_test_io_new(256, 1, 0);
	union pc_pkt_addr local = pc_test_loopback(AF_INET, 0), b;
	struct pc_io_port_prep prep;
	int id, before;

	/* Given max_ports 1, taken, and a port prepared */
	id = pc_test_open(io, AF_INET, &b);
	before = pc_test_fd_count();
	cr_assert_eq(pc_io_port_prepare(io, &local, &prep), 0);

	/* When adopted into a full table, or into another instance / Then -EMFILE, -EINVAL, and
	 * the prep still holds its socket */
	cr_assert_eq(pc_io_port_adopt(io, &prep, &b), -EMFILE);
	cr_assert_eq(pc_io_port_adopt(io2, &prep, &b), -EINVAL);
	cr_assert_eq(prep.io, io);
	cr_assert_eq(pc_test_fd_count(), before + 1);

	/* When a slot frees / Then it adopts, in that slot */
	cr_assert_eq(pc_io_port_close(io, (uint16_t)id), 0);
	cr_assert_eq(pc_io_port_adopt(io, &prep, &b), 1);
	cr_assert_eq(pc_test_fd_count(), before);
	pc_io_destroy(io2);
	pc_io_destroy(io);
}

/* --- receive --------------------------------------------------------------------------------- */

static void pc_test_rx_from_a_plain_socket(int family)
{
	struct pc_io *io;
	union pc_pkt_addr b1, b2, peer;
	struct pc_pkt *pkts[4];
	struct pc_io_stats st;
	int id1, id2, fd;

	pc_test_need(family);
	io = pc_test_io_new(256, 8, 0);
	id1 = pc_test_open(io, family, &b1);
	id2 = pc_test_open(io, family, &b2);
	fd = pc_test_udp(family, &peer);

	/* Given "hello" sent to the first port and "world!" to the second from a plain socket */
	pc_test_sendto(fd, "hello", 5, &b1);
	pc_test_sendto(fd, "world!", 6, &b2);

	/* When the backend receives */
	cr_assert_eq(pc_test_rx(io, pkts, 2, PC_TEST_WAIT_MS), 2);

	/* Then each packet has its bytes, the port it came in on and the sender's address */
	for (unsigned i = 0; i < 2; i++) {
		struct pc_pkt *p = pkts[i];
		bool first = p->port == id1;

		cr_assert(p->port == id1 || p->port == id2, "port %u", p->port);
		cr_assert_eq(pc_pkt_len(p), first ? 5 : 6);
		cr_assert_eq(memcmp(pc_pkt_data(p), first ? "hello" : "world!", pc_pkt_len(p)), 0);
		cr_assert(pc_pkt_addr_equal(&p->peer, &peer), "peer is not the sender");
		cr_assert_eq(p->peer_len, pc_test_addr_len(&peer));
		cr_assert_eq(pc_pkt_refcnt(p), 1);
	}
	cr_assert_neq(pkts[0]->port, pkts[1]->port);
	st = pc_test_io_stats(io);
	cr_assert_eq(st.rx_pkts, 2);
	cr_assert_eq(st.rx_bytes, 11);
	cr_assert_eq(st.rx_errors, 0);

	/* And nothing more comes; once freed, no buffer is missing */
	cr_assert_eq(pc_io_rx_burst(io, pkts, 4), 0);
	pc_pkt_free_burst(pc_io_cache(io), pkts, 2);
	pc_test_assert_no_leak(io);
	close(fd);
	pc_io_destroy(io);
}

Test(io_sockets, rx_from_a_plain_socket_ipv4)
{
	pc_test_rx_from_a_plain_socket(AF_INET);
}

Test(io_sockets, rx_from_a_plain_socket_ipv6)
{
	pc_test_rx_from_a_plain_socket(AF_INET6);
}

Test(io_sockets, rx_keeps_the_order_of_one_sender)
{
	struct pc_io *io = pc_test_io_new(512, 4, 16);
	union pc_pkt_addr b, peer;
	struct pc_pkt *pkts[100];
	uint8_t buf[64];
	int fd;

	pc_test_open(io, AF_INET, &b);
	fd = pc_test_udp(AF_INET, &peer);
	/* Given 100 datagrams of 1 to 64 bytes, numbered in their first byte */
	for (unsigned i = 0; i < 100; i++) {
		pc_test_fill(buf, sizeof(buf), (uint8_t)i);
		pc_test_sendto(fd, buf, 1 + i % 64, &b);
	}

	/* When received in bursts of at most 16 (the configured burst caps a larger ask) */
	unsigned got = 0;
	uint64_t deadline = pc_test_now_ms() + PC_TEST_WAIT_MS;

	while (got < 100 && pc_test_now_ms() < deadline) {
		unsigned n = pc_io_rx_burst(io, pkts + got, 100 - got);

		cr_assert_leq(n, 16, "a burst of %u with burst 16", n);
		got += n;
	}

	/* Then they came in order with their lengths */
	cr_assert_eq(got, 100);
	for (unsigned i = 0; i < 100; i++) {
		cr_assert_eq(pc_pkt_len(pkts[i]), 1 + i % 64);
		cr_assert_eq(pc_pkt_data(pkts[i])[0], (uint8_t)i, "datagram %u out of order", i);
	}
	pc_pkt_free_burst(pc_io_cache(io), pkts, 100);
	pc_test_assert_no_leak(io);
	close(fd);
	pc_io_destroy(io);
}

/* Sends one datagram to each of @n ports and checks that each arrives, on its port. */
static void pc_test_rx_on_each(struct pc_io *io, int fd, const int *ids,
			       const union pc_pkt_addr *addrs, unsigned n)
{
	struct pc_pkt *pkts[8];
	unsigned seen = 0;

	cr_assert_leq(n, 8);
	for (unsigned i = 0; i < n; i++)
		pc_test_sendto(fd, &i, sizeof(i), &addrs[i]);
	cr_assert_eq(pc_test_rx(io, pkts, n, PC_TEST_WAIT_MS), n, "with %u ports open", n);
	for (unsigned k = 0; k < n; k++) {
		unsigned i;

		cr_assert_eq(pc_pkt_len(pkts[k]), sizeof(i));
		memcpy(&i, pc_pkt_data(pkts[k]), sizeof(i));
		cr_assert_lt(i, n);
		cr_assert_eq(pkts[k]->port, ids[i], "datagram for port %d came in on %u", ids[i],
			     pkts[k]->port);
		seen |= 1u << i;
	}
	cr_assert_eq(seen, (1u << n) - 1);
	pc_pkt_free_burst(pc_io_cache(io), pkts, n);
}

Test(io_sockets, rx_on_every_port_as_ports_come_and_go)
{
	struct pc_io *io = pc_test_io_new(256, 8, 0);
	union pc_pkt_addr a[5], peer;
	int id[5], fd = pc_test_udp(AF_INET, &peer);
	int ids[4];
	union pc_pkt_addr addrs[4];

	/* Given one port, then two, then three, four (the backend may poll few ports directly
	 * and many through epoll) / Then a datagram to each arrives on it every time */
	for (unsigned n = 0; n < 4; n++) {
		id[n] = pc_test_open(io, AF_INET, &a[n]);
		pc_test_rx_on_each(io, fd, id, a, n + 1);
	}

	/* When ports close down to one, and new ones open / Then the same */
	cr_assert_eq(pc_io_port_close(io, (uint16_t)id[0]), 0);
	cr_assert_eq(pc_io_port_close(io, (uint16_t)id[2]), 0);
	ids[0] = id[1];
	ids[1] = id[3];
	addrs[0] = a[1];
	addrs[1] = a[3];
	pc_test_rx_on_each(io, fd, ids, addrs, 2);
	cr_assert_eq(pc_io_port_close(io, (uint16_t)id[1]), 0);
	pc_test_rx_on_each(io, fd, &id[3], &a[3], 1);
	id[4] = pc_test_open(io, AF_INET, &a[4]);
	ids[0] = id[3];
	ids[1] = id[4];
	addrs[0] = a[3];
	addrs[1] = a[4];
	pc_test_rx_on_each(io, fd, ids, addrs, 2);
	id[0] = pc_test_open(io, AF_INET, &a[0]);
	ids[2] = id[0];
	addrs[2] = a[0];
	pc_test_rx_on_each(io, fd, ids, addrs, 3);
	pc_test_assert_no_leak(io);
	close(fd);
	pc_io_destroy(io);
}

Test(io_sockets, zero_length_datagram_is_delivered_empty)
{
	struct pc_io *io = pc_test_io_new(256, 4, 0);
	union pc_pkt_addr b, peer;
	struct pc_pkt *p;
	int id = pc_test_open(io, AF_INET, &b);
	int fd = pc_test_udp(AF_INET, &peer);

	/* Given a datagram of no bytes / When received */
	pc_test_sendto(fd, "", 0, &b);
	cr_assert_eq(pc_test_rx(io, &p, 1, PC_TEST_WAIT_MS), 1);

	/* Then it is a packet of length 0 from the sender, on the port */
	cr_assert_eq(pc_pkt_len(p), 0);
	cr_assert_eq(p->port, id);
	cr_assert(pc_pkt_addr_equal(&p->peer, &peer));
	pc_pkt_free(pc_io_cache(io), p);
	pc_test_assert_no_leak(io);
	close(fd);
	pc_io_destroy(io);
}

Test(io_sockets, datagram_larger_than_the_data_room_is_counted_and_dropped)
{
	struct pc_io *io = pc_test_io_new(256, 4, 0);
	uint32_t room = pc_pkt_pool_data_room(pc_io_pool(io));
	uint8_t *big = malloc(room + 1);
	union pc_pkt_addr b, peer;
	struct pc_pkt *pkts[4];
	int fd;

	cr_assert_not_null(big);
	pc_test_open(io, AF_INET, &b);
	fd = pc_test_udp(AF_INET, &peer);
	pc_test_fill(big, room + 1, 7);

	/* Given a datagram one byte larger than the data room, then one exactly as large, then
	 * a small one */
	pc_test_sendto(fd, big, room + 1, &b);
	pc_test_sendto(fd, big, room, &b);
	pc_test_sendto(fd, "tail", 4, &b);

	/* When the backend receives */
	cr_assert_eq(pc_test_rx(io, pkts, 2, PC_TEST_WAIT_MS), 2);
	cr_assert_eq(pc_test_rx(io, pkts + 2, 1, PC_TEST_QUIET_MS), 0);

	/* Then the oversize one is dropped and counted, never cut; the others come whole */
	cr_assert_eq(pc_pkt_len(pkts[0]), room);
	cr_assert_eq(memcmp(pc_pkt_data(pkts[0]), big, room), 0);
	cr_assert_eq(pc_pkt_len(pkts[1]), 4);
	cr_assert_eq(memcmp(pc_pkt_data(pkts[1]), "tail", 4), 0);
	cr_assert_eq(pc_test_io_stats(io).rx_errors, 1);
	cr_assert_eq(pc_test_io_stats(io).rx_pkts, 2);

	/* And its buffer went back to the pool */
	pc_pkt_free_burst(pc_io_cache(io), pkts, 2);
	pc_test_assert_no_leak(io);
	free(big);
	close(fd);
	pc_io_destroy(io);
}

Test(io_sockets, port_close_with_datagrams_pending_loses_no_buffer)
{
	struct pc_io *io = pc_test_io_new(256, 4, 0);
	union pc_pkt_addr b, b2, peer;
	struct pc_pkt *pkts[16];
	int id, id2, fd;

	id = pc_test_open(io, AF_INET, &b);
	fd = pc_test_udp(AF_INET, &peer);
	/* Given 10 datagrams queued on a port, 2 of them received (the port stays ready) */
	for (unsigned i = 0; i < 10; i++)
		pc_test_sendto(fd, "pending", 7, &b);
	cr_assert_eq(pc_test_rx(io, pkts, 2, PC_TEST_WAIT_MS), 2);

	/* When the port is closed */
	cr_assert_eq(pc_io_port_close(io, (uint16_t)id), 0);

	/* Then the packets already received stay valid, nothing more comes from that port, and
	 * no buffer is lost */
	cr_assert_eq(memcmp(pc_pkt_data(pkts[0]), "pending", 7), 0);
	cr_assert_eq(pc_io_rx_burst(io, pkts + 2, 14), 0);
	pc_pkt_free_burst(pc_io_cache(io), pkts, 2);
	pc_test_assert_no_leak(io);

	/* And a port opened next (perhaps with the same id) receives only its own datagrams */
	id2 = pc_test_open(io, AF_INET, &b2);
	pc_test_sendto(fd, "fresh", 5, &b2);
	cr_assert_eq(pc_test_rx(io, pkts, 1, PC_TEST_WAIT_MS), 1);
	cr_assert_eq(pkts[0]->port, id2);
	cr_assert_eq(pc_pkt_len(pkts[0]), 5);
	cr_assert_eq(memcmp(pc_pkt_data(pkts[0]), "fresh", 5), 0);
	cr_assert_eq(pc_test_rx(io, pkts + 1, 1, PC_TEST_QUIET_MS), 0);
	pc_pkt_free(pc_io_cache(io), pkts[0]);
	pc_test_assert_no_leak(io);
	close(fd);
	pc_io_destroy(io);
}

Test(io_sockets, empty_pool_loses_no_datagram)
{
	/* Given a pool of 64 packets, and 100 datagrams queued on a port */
	struct pc_io *io = pc_test_io_new(64, 4, 32);
	union pc_pkt_addr b, peer;
	struct pc_pkt *held[100];
	uint8_t buf[32];
	unsigned got = 0;
	int fd;

	pc_test_open(io, AF_INET, &b);
	fd = pc_test_udp(AF_INET, &peer);
	for (unsigned i = 0; i < 100; i++) {
		pc_test_fill(buf, sizeof(buf), (uint8_t)i);
		pc_test_sendto(fd, buf, sizeof(buf), &b);
	}

	/* When the test holds every packet it receives until the pool runs dry */
	got = pc_test_rx(io, held, 100, PC_TEST_QUIET_MS * 4);

	/* Then it got at most the pool, and the shortage is counted */
	cr_assert_leq(got, 64);
	cr_assert_lt(got, 100);
	cr_assert_geq(pc_test_io_stats(io).rx_nobuf, 1);

	/* When it frees them and receives again / Then the rest come, none lost, in order */
	for (unsigned i = 0; i < got; i++)
		cr_assert_eq(pc_pkt_data(held[i])[0], (uint8_t)i);
	pc_pkt_free_burst(pc_io_cache(io), held, got);
	for (unsigned i = got; i < 100;) {
		unsigned n = pc_test_rx(io, held, 32 < 100 - i ? 32 : 100 - i, PC_TEST_WAIT_MS);

		cr_assert_gt(n, 0, "datagram %u never came", i);
		for (unsigned k = 0; k < n; k++)
			cr_assert_eq(pc_pkt_data(held[k])[0], (uint8_t)(i + k));
		pc_pkt_free_burst(pc_io_cache(io), held, n);
		i += n;
	}
	cr_assert_eq(pc_test_io_stats(io).rx_pkts, 100);
	pc_test_assert_no_leak(io);
	close(fd);
	pc_io_destroy(io);
}

/* --- send ------------------------------------------------------------------------------------ */

static void pc_test_tx_to_a_plain_socket(int family)
{
	struct pc_io *io;
	union pc_pkt_addr b, peer, from;
	struct pc_pkt *p;
	uint8_t buf[256], want[100];
	struct pc_io_stats st;
	int id, fd;

	pc_test_need(family);
	io = pc_test_io_new(256, 4, 0);
	id = pc_test_open(io, family, &b);
	fd = pc_test_udp(family, &peer);

	/* Given a packet of 100 bytes to leave from the port for a plain socket */
	p = pc_test_pkt(io, (uint16_t)id, &peer, 100, 3);
	pc_test_fill(want, sizeof(want), 3);

	/* When it is sent */
	cr_assert_eq(pc_io_tx_burst(io, &p, 1), 1);
	pc_io_flush(io);

	/* Then the socket gets its bytes from the port's bound address */
	cr_assert_eq(pc_test_recv(fd, buf, sizeof(buf), &from, PC_TEST_WAIT_MS), 100);
	cr_assert_eq(memcmp(buf, want, 100), 0);
	cr_assert(pc_pkt_addr_equal(&from, &b), "source port %u, the port is bound to %u",
		  pc_test_port_of(&from), pc_test_port_of(&b));
	st = pc_test_io_stats(io);
	cr_assert_eq(st.tx_pkts, 1);
	cr_assert_eq(st.tx_bytes, 100);
	cr_assert_eq(st.tx_errors + st.tx_drops, 0);
	/* And the packet went back to the pool */
	pc_test_assert_no_leak(io);
	close(fd);
	pc_io_destroy(io);
}

Test(io_sockets, tx_to_a_plain_socket_ipv4)
{
	pc_test_tx_to_a_plain_socket(AF_INET);
}

Test(io_sockets, tx_to_a_plain_socket_ipv6)
{
	pc_test_tx_to_a_plain_socket(AF_INET6);
}

/* Sends @n packets of @len bytes (byte 0 = index) from one port to one plain socket in one
 * burst, and checks that @n separate datagrams arrive, in order, whole. */
static void pc_test_equal_size_burst(int family, unsigned n, uint16_t len, bool no_gso)
{
	struct pc_io *io;
	union pc_pkt_addr b, peer, from;
	struct pc_pkt *pkts[PC_IO_BURST_MAX];
	uint8_t *buf = malloc(65536);
	struct pc_io_stats st;
	unsigned sent;
	int id, fd;

	cr_assert_not_null(buf);
	pc_test_need(family);
	io = pc_test_io_new_conf(&(struct pc_io_conf){
		.backend = PC_IO_SOCKETS, .pkts = 1024, .max_ports = 4, .no_gso = no_gso });
	id = pc_test_open(io, family, &b);
	fd = pc_test_udp(family, &peer);

	/* Given a burst of @n datagrams of @len bytes from one port to one peer */
	for (unsigned i = 0; i < n; i++)
		pkts[i] = pc_test_pkt(io, (uint16_t)id, &peer, len, (uint8_t)i);

	/* When it is sent */
	sent = pc_io_tx_burst(io, pkts, n);
	pc_io_flush(io);
	st = pc_test_io_stats(io);

	/* Then all are sent, and arrive as @n datagrams of @len bytes, in order */
	cr_assert_eq(sent, n, "%u of %u sent (tx_errors %llu, tx_drops %llu)", sent, n,
		     (unsigned long long)st.tx_errors, (unsigned long long)st.tx_drops);
	for (unsigned i = 0; i < n; i++) {
		ssize_t got = pc_test_recv(fd, buf, 65536, &from, PC_TEST_WAIT_MS);

		cr_assert_eq(got, (ssize_t)len, "datagram %u of %u: %zd bytes, expected %u", i, n,
			     got, len);
		if (len > 0) {
			cr_assert_eq(buf[0], (uint8_t)i, "datagram %u out of order", i);
			cr_assert_eq(buf[len - 1], (uint8_t)(i + len - 1));
		}
		cr_assert(pc_pkt_addr_equal(&from, &b));
	}
	cr_assert_eq(pc_test_recv(fd, buf, 65536, &from, PC_TEST_QUIET_MS), -1,
		     "more datagrams than sent");
	cr_assert_eq(st.tx_pkts, n);
	cr_assert_eq(st.tx_bytes, (uint64_t)n * len);
	pc_test_assert_no_leak(io);
	free(buf);
	close(fd);
	pc_io_destroy(io);
}

Test(io_sockets, equal_size_burst_to_one_peer_arrives_separately_in_order_ipv4)
{
	pc_test_equal_size_burst(AF_INET, 32, 200, false);
}

Test(io_sockets, equal_size_burst_to_one_peer_arrives_separately_in_order_ipv6)
{
	pc_test_equal_size_burst(AF_INET6, 32, 200, false);
}

Test(io_sockets, equal_size_burst_without_gso)
{
	pc_test_equal_size_burst(AF_INET, 32, 200, true);
}

Test(io_sockets, burst_of_64_datagrams_of_1200_bytes_to_one_peer)
{
	/* 64 x 1200 = 76800 bytes: more than one UDP send may carry (64 KiB), GSO or not */
	pc_test_equal_size_burst(AF_INET, PC_IO_BURST_MAX, 1200, false);
}

Test(io_sockets, burst_of_64_datagrams_of_the_full_data_room_to_one_peer)
{
	pc_test_equal_size_burst(AF_INET, PC_IO_BURST_MAX, PC_PKT_DATA_ROOM_DEFAULT, false);
}

Test(io_sockets, burst_of_zero_length_datagrams_to_one_peer)
{
	/* Three empty datagrams must stay three datagrams */
	pc_test_equal_size_burst(AF_INET, 3, 0, false);
}

Test(io_sockets, mixed_burst_keeps_sizes_peers_and_order)
{
	static const uint16_t sizes[] = { 100, 100, 100, 60, 100, 100, 20, 20, 100, 100, 100, 1 };
	const unsigned n = sizeof(sizes) / sizeof(sizes[0]);
	struct pc_io *io = pc_test_io_new(256, 4, 0);
	union pc_pkt_addr b1, b2, peer[2], from;
	struct pc_pkt *pkts[sizeof(sizes) / sizeof(sizes[0])];
	uint8_t buf[256];
	int id1, id2, fd[2];

	id1 = pc_test_open(io, AF_INET, &b1);
	id2 = pc_test_open(io, AF_INET, &b2);
	fd[0] = pc_test_udp(AF_INET, &peer[0]);
	fd[1] = pc_test_udp(AF_INET, &peer[1]);

	/* Given a burst mixing sizes, two peers and two source ports: packet i goes to peer
	 * (i / 3) % 2, from port 1 for the first half and port 2 for the rest */
	for (unsigned i = 0; i < n; i++)
		pkts[i] = pc_test_pkt(io, (uint16_t)(i < n / 2 ? id1 : id2), &peer[(i / 3) % 2],
				      sizes[i], (uint8_t)i);

	/* When it is sent */
	cr_assert_eq(pc_io_tx_burst(io, pkts, n), n);

	/* Then each peer gets its datagrams in order, with their sizes, from the right port */
	for (unsigned i = 0; i < n; i++) {
		unsigned k = (i / 3) % 2;
		ssize_t got = pc_test_recv(fd[k], buf, sizeof(buf), &from, PC_TEST_WAIT_MS);

		cr_assert_eq(got, sizes[i], "datagram %u: %zd bytes, expected %u", i, got,
			     sizes[i]);
		cr_assert_eq(buf[0], (uint8_t)i, "datagram %u out of order", i);
		cr_assert(pc_pkt_addr_equal(&from, i < n / 2 ? &b1 : &b2));
	}
	pc_test_assert_no_leak(io);
	close(fd[0]);
	close(fd[1]);
	pc_io_destroy(io);
}

Test(io_sockets, tx_to_a_port_that_is_not_open_is_counted_and_freed)
{
	struct pc_io *io = pc_test_io_new(256, 4, 0);
	union pc_pkt_addr b, peer, from;
	struct pc_pkt *pkts[5];
	uint8_t buf[64];
	int id, fd;

	id = pc_test_open(io, AF_INET, &b);
	fd = pc_test_udp(AF_INET, &peer);

	/* Given packets for port 0, a port never opened, and a port beyond max_ports */
	pkts[0] = pc_test_pkt(io, 0, &peer, 10, 0);
	pkts[1] = pc_test_pkt(io, (uint16_t)(id == 3 ? 4 : 3), &peer, 10, 0);
	pkts[2] = pc_test_pkt(io, 999, &peer, 10, 0);

	/* When they are sent / Then none is, each counts as a tx error and is freed */
	cr_assert_eq(pc_io_tx_burst(io, pkts, 3), 0);
	cr_assert_eq(pc_test_io_stats(io).tx_errors, 3);
	cr_assert_eq(pc_test_io_stats(io).tx_pkts, 0);
	pc_test_assert_no_leak(io);

	/* Given a burst of good, bad, good / When sent / Then the two good arrive */
	pkts[0] = pc_test_pkt(io, (uint16_t)id, &peer, 10, 1);
	pkts[1] = pc_test_pkt(io, 999, &peer, 10, 2);
	pkts[2] = pc_test_pkt(io, (uint16_t)id, &peer, 10, 3);
	cr_assert_eq(pc_io_tx_burst(io, pkts, 3), 2);
	cr_assert_eq(pc_test_recv(fd, buf, sizeof(buf), &from, PC_TEST_WAIT_MS), 10);
	cr_assert_eq(buf[0], 1);
	cr_assert_eq(pc_test_recv(fd, buf, sizeof(buf), &from, PC_TEST_WAIT_MS), 10);
	cr_assert_eq(buf[0], 3);
	cr_assert_eq(pc_test_io_stats(io).tx_errors, 4);
	pc_test_assert_no_leak(io);
	close(fd);
	pc_io_destroy(io);
}

Test(io_sockets, tx_to_a_closed_port_is_counted_and_freed)
{
	struct pc_io *io = pc_test_io_new(256, 4, 0);
	union pc_pkt_addr b, peer;
	struct pc_pkt *p;
	int id, fd;

	/* Given a port opened, then closed */
	id = pc_test_open(io, AF_INET, &b);
	fd = pc_test_udp(AF_INET, &peer);
	cr_assert_eq(pc_io_port_close(io, (uint16_t)id), 0);

	/* When a packet is sent from it / Then it is counted and freed */
	p = pc_test_pkt(io, (uint16_t)id, &peer, 10, 0);
	cr_assert_eq(pc_io_tx_burst(io, &p, 1), 0);
	cr_assert_eq(pc_test_io_stats(io).tx_errors, 1);
	pc_test_assert_no_leak(io);
	close(fd);
	pc_io_destroy(io);
}

Test(io_sockets, tx_to_an_address_the_port_cannot_reach_is_counted_and_freed)
{
	struct pc_io *io = pc_test_io_new(256, 4, 0);
	union pc_pkt_addr b, peer, from, nowhere;
	struct pc_pkt *pkts[3];
	uint8_t buf[64];
	int id, fd;

	id = pc_test_open(io, AF_INET, &b);
	fd = pc_test_udp(AF_INET, &peer);
	memset(&nowhere, 0, sizeof(nowhere));

	/* Given, from an IPv4 port, a packet for an IPv6 address, one with no address at all,
	 * then a good one */
	pkts[0] = pc_test_pkt(io, (uint16_t)id, &peer, 10, 0);
	pkts[0]->peer = pc_test_loopback(AF_INET6, 9);
	pkts[1] = pc_test_pkt(io, (uint16_t)id, &nowhere, 10, 0);
	pkts[2] = pc_test_pkt(io, (uint16_t)id, &peer, 10, 42);

	/* When sent / Then the two bad ones count as errors, the good one arrives, and all three
	 * buffers are back */
	cr_assert_eq(pc_io_tx_burst(io, pkts, 3), 1);
	cr_assert_eq(pc_test_io_stats(io).tx_errors, 2);
	cr_assert_eq(pc_test_recv(fd, buf, sizeof(buf), &from, PC_TEST_WAIT_MS), 10);
	cr_assert_eq(buf[0], 42);
	pc_test_assert_no_leak(io);
	close(fd);
	pc_io_destroy(io);
}

Test(io_sockets, loopback_through_two_ports)
{
	struct pc_io *io = pc_test_io_new(256, 4, 0);
	union pc_pkt_addr b1, b2;
	struct pc_pkt *p;
	int id1 = pc_test_open(io, AF_INET, &b1);
	int id2 = pc_test_open(io, AF_INET, &b2);

	/* Given a packet from port 1 to port 2's address / When sent and received */
	p = pc_test_pkt(io, (uint16_t)id1, &b2, 33, 9);
	cr_assert_eq(pc_io_tx_burst(io, &p, 1), 1);
	cr_assert_eq(pc_test_rx(io, &p, 1, PC_TEST_WAIT_MS), 1);

	/* Then it arrives on port 2 from port 1, intact */
	cr_assert_eq(p->port, id2);
	cr_assert(pc_pkt_addr_equal(&p->peer, &b1));
	cr_assert_eq(pc_pkt_len(p), 33);
	cr_assert_eq(pc_pkt_data(p)[32], (uint8_t)(9 + 32));
	pc_pkt_free(pc_io_cache(io), p);
	pc_test_assert_no_leak(io);
	pc_io_destroy(io);
}
