/* SPDX-License-Identifier: MIT */
/*
 * io_uring_test.c - the io_uring I/O backend (fastpath/io/io_uring.c) through the public API:
 * backend choice and fallback, datagrams over IPv4 and IPv6 loopback with contents and
 * addresses checked, relaying in both directions, exact packet accounting over 10^6 datagrams,
 * UDP GSO runs (and no_gso), more sends queued than the SQ holds, bad input (oversized and
 * empty datagrams, bad destinations), ports closed with datagrams in flight and port churn,
 * pool exhaustion, zero-copy sends, and a backend created on one thread and run on another.
 * Every test skips, saying why, where io_uring (kernel 6.0 or later) cannot run.
 *
 * Accounting: whenever a test holds no packet, the pool's in_use must equal what the backend
 * says it holds (pc_io_stats.bufs_held); at the end, white-box (io_pvt.h), the backend's fini
 * runs first, then the pool must have every buffer back (in_use == 0), then the rest of
 * pc_io_destroy().
 *
 * PC_TEST_QUICK (set by the sanitizer runs) divides the datagram counts by 100.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io_pvt.h"
#include "pc_io.h"

#define PC_TEST_BURST 32u
#define PC_TEST_TIMEOUT_NS (2ull * 1000 * 1000 * 1000)

/* --- helpers --------------------------------------------------------------------------------- */

static uint64_t pc_test_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t pc_test_count(uint64_t full)
{
	const char *quick = getenv("PC_TEST_QUICK");

	return quick != NULL && quick[0] != '\0' && quick[0] != '0' ? full / 100 : full;
}

/* Skips the test unless the kernel can run the backend: io_uring set up, and SEND_ZC known,
 * which says kernel 6.0 or later (multishot recvmsg and provided-buffer rings). */
static void pc_test_need_uring(void)
{
	struct io_uring_probe *probe;
	struct io_uring ring;
	bool ok;
	int rc = io_uring_queue_init(4, &ring, 0);

	if (rc < 0)
		cr_skip_test("io_uring cannot be set up here: %s", strerror(-rc));
	probe = io_uring_get_probe_ring(&ring);
	ok = probe != NULL && io_uring_opcode_supported(probe, IORING_OP_SEND_ZC);
	if (probe != NULL)
		io_uring_free_probe(probe);
	io_uring_queue_exit(&ring);
	if (!ok)
		cr_skip_test("io_uring here predates kernel 6.0 (no multishot recvmsg)");
}

static struct pc_io *pc_test_io_conf(struct pc_io_conf *conf)
{
	struct pc_io *io = NULL;
	int rc;

	pc_test_need_uring();
	conf->backend = PC_IO_URING;
	conf->no_fallback = true;
	rc = pc_io_create(&io, conf);
	cr_assert_eq(rc, 0, "pc_io_create(uring) = %d (%s)", rc, strerror(-rc));
	cr_assert_eq(pc_io_backend(io), PC_IO_URING);
	return io;
}

static struct pc_io *pc_test_io(void)
{
	struct pc_io_conf conf = { .burst = PC_TEST_BURST };

	return pc_test_io_conf(&conf);
}

static union pc_pkt_addr pc_test_addr4(uint16_t port)
{
	union pc_pkt_addr a = { .in4 = { .sin_family = AF_INET,
					 .sin_port = htons(port),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) } };
	return a;
}

static union pc_pkt_addr pc_test_addr6(uint16_t port)
{
	union pc_pkt_addr a = { .in6 = { .sin6_family = AF_INET6,
					 .sin6_port = htons(port),
					 .sin6_addr = IN6ADDR_LOOPBACK_INIT } };
	return a;
}

static uint16_t pc_test_open(struct pc_io *io, const union pc_pkt_addr *local,
			     union pc_pkt_addr *bound)
{
	int port = pc_io_port_open(io, local, bound);

	cr_assert_geq(port, 1, "pc_io_port_open = %d (%s)", port, strerror(-port));
	return (uint16_t)port;
}

static bool pc_test_same_addr(const union pc_pkt_addr *a, const union pc_pkt_addr *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET)
		return a->in4.sin_port == b->in4.sin_port &&
		       a->in4.sin_addr.s_addr == b->in4.sin_addr.s_addr;
	return a->in6.sin6_port == b->in6.sin6_port &&
	       memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, 16) == 0;
}

/* A packet from @c leaving @port for @to with @len bytes: byte i is (seq + i) & 0xff. */
static struct pc_pkt *pc_test_pkt(struct pc_pkt_cache *c, uint16_t port,
				  const union pc_pkt_addr *to, uint32_t seq, uint16_t len)
{
	struct pc_pkt *p = pc_pkt_alloc(c);
	uint8_t *d;

	cr_assert_not_null(p, "pool empty");
	d = pc_pkt_append(p, len);
	cr_assert_not_null(d);
	for (uint16_t i = 0; i < len; i++)
		d[i] = (uint8_t)(seq + i);
	if (len >= 4)
		memcpy(d, &seq, 4);
	p->port = port;
	p->peer = *to;
	p->peer_len = pc_io__addr_len(to);
	return p;
}

static uint32_t pc_test_seq(const struct pc_pkt *p)
{
	uint32_t seq;

	memcpy(&seq, pc_pkt_data(p), 4);
	return seq;
}

static void pc_test_check_payload(const struct pc_pkt *p, uint32_t seq, uint16_t len)
{
	const uint8_t *d = pc_pkt_data(p);

	cr_assert_eq(pc_pkt_len(p), len, "length %u, expected %u", pc_pkt_len(p), len);
	cr_assert_eq(pc_test_seq(p), seq, "sequence %u, expected %u", pc_test_seq(p), seq);
	for (uint16_t i = 4; i < len; i++)
		cr_assert_eq(d[i], (uint8_t)(seq + i), "byte %u of datagram %u", i, seq);
}

/* Polls (rx_burst + flush, as the media loop does) until @want packets came or the timeout;
 * returns how many were written to @pkts. */
static unsigned pc_test_rx(struct pc_io *io, struct pc_pkt **pkts, unsigned want)
{
	uint64_t deadline = pc_test_now_ns() + PC_TEST_TIMEOUT_NS;
	unsigned got = 0;

	while (got < want && pc_test_now_ns() < deadline) {
		got += pc_io_rx_burst(io, pkts + got, want - got);
		pc_io_flush(io);
	}
	return got;
}

/* Polls for a quiet while and frees whatever comes; returns how many. */
static unsigned pc_test_rx_drain(struct pc_io *io, struct pc_pkt_cache *c, uint64_t quiet_ns)
{
	struct pc_pkt *pkts[PC_IO_BURST_MAX];
	uint64_t until = pc_test_now_ns() + quiet_ns;
	unsigned total = 0;

	while (pc_test_now_ns() < until) {
		unsigned k = pc_io_rx_burst(io, pkts, PC_IO_BURST_MAX);

		pc_io_flush(io);
		pc_pkt_free_burst(c, pkts, k);
		total += k;
		if (k > 0)
			until = pc_test_now_ns() + quiet_ns;
	}
	return total;
}

/* The test holds no buffer: whatever the pool has out, the backend says it holds (pc_io.h,
 * bufs_held). */
static void pc_test_assert_no_leak(struct pc_io *io)
{
	struct pc_pkt_pool_stats ps;
	struct pc_io_stats st;

	pc_io_get_stats(io, &st);
	pc_pkt_pool_stats(pc_io_pool(io), &ps);
	cr_assert_eq(ps.in_use, st.bufs_held, "pool in_use %u, backend holds %llu", ps.in_use,
		     (unsigned long long)st.bufs_held);
}

static void pc_test_noop_fini(struct pc_io *io)
{
	(void)io;
}

/* Checks bufs_held, closes every port, runs the backend's fini, asserts that every buffer is
 * back in the pool, then lets pc_io_destroy() finish (without a second fini). The test holds
 * no packet; @c is detached first. */
static void pc_test_destroy_checked(struct pc_io *io, struct pc_pkt_cache *c)
{
	static struct pc_io_ops ops;
	struct pc_pkt_pool_stats st;

	if (c != NULL)
		pc_pkt_cache_detach(c);
	pc_test_assert_no_leak(io);
	for (uint32_t i = 0; i < io->conf.max_ports; i++)
		if (io->ports[i].id)
			cr_assert_eq(pc_io_port_close(io, io->ports[i].id), 0);
	io->ops->fini(io);
	pc_pkt_pool_stats(io->pool, &st);
	cr_assert_eq(st.in_use, 0, "%u buffers not back after fini (allocs %llu, frees %llu)",
		     st.in_use, (unsigned long long)st.allocs, (unsigned long long)st.frees);
	ops = *io->ops;
	ops.fini = pc_test_noop_fini;
	io->ops = &ops;
	pc_io_destroy(io);
}

static struct pc_pkt_cache *pc_test_cache(struct pc_io *io)
{
	struct pc_pkt_cache *c = NULL;

	cr_assert_eq(pc_pkt_cache_attach(pc_io_pool(io), &c), 0);
	return c;
}

static struct pc_io_stats pc_test_stats(struct pc_io *io)
{
	struct pc_io_stats st;

	pc_io_get_stats(io, &st);
	return st;
}

/* A plain UDP socket on 127.0.0.1, for traffic the backend could not send itself. */
static int pc_test_raw_socket(union pc_pkt_addr *bound)
{
	union pc_pkt_addr lo = pc_test_addr4(0);
	socklen_t len = sizeof(*bound);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, &lo.sa, sizeof(lo.in4)), 0);
	cr_assert_eq(getsockname(fd, &bound->sa, &len), 0);
	return fd;
}

/* --- backend choice -------------------------------------------------------------------------- */

Test(io_uring, create_with_no_fallback_runs_uring)
{
	struct pc_io *io = pc_test_io();

	cr_assert_str_eq(pc_io_backend_name(pc_io_backend(io)), "uring");
	pc_test_destroy_checked(io, NULL);
}

Test(io_uring, force_fallback_falls_back_to_sockets)
{
	struct pc_io_conf conf = { .backend = PC_IO_URING, .force_fallback = true };
	struct pc_io *io = NULL;

	/* Given io_uring refused (forced), When created, Then sockets run instead. */
	cr_assert_eq(pc_io_create(&io, &conf), 0);
	cr_assert_eq(pc_io_backend(io), PC_IO_SOCKETS);
	pc_io_destroy(io);

	/* And with no_fallback the creation fails with -ENOTSUP. */
	io = NULL;
	conf.no_fallback = true;
	cr_assert_eq(pc_io_create(&io, &conf), -ENOTSUP);
	cr_assert_null(io);
}

Test(io_uring, pool_too_small_falls_back)
{
	struct pc_io_conf conf = { .backend = PC_IO_URING, .pkts = 4 };
	struct pc_io *io = NULL;

	pc_test_need_uring();
	cr_assert_eq(pc_io_create(&io, &conf), 0);
	cr_assert_eq(pc_io_backend(io), PC_IO_SOCKETS);
	pc_io_destroy(io);
}

Test(io_uring, destroy_before_the_first_poll_leaks_nothing)
{
	struct pc_io *io = pc_test_io();
	union pc_pkt_addr lo = pc_test_addr4(0);

	/* Ports opened, never polled: their receives are only queued. */
	pc_test_open(io, &lo, NULL);
	pc_test_open(io, &lo, NULL);
	pc_test_destroy_checked(io, NULL);
}

/* --- datagrams -------------------------------------------------------------------------------- */

static void pc_test_loopback(const union pc_pkt_addr *lo)
{
	struct pc_io *io = pc_test_io();
	struct pc_pkt_cache *c = pc_test_cache(io);
	union pc_pkt_addr a_addr, b_addr;
	uint16_t a = pc_test_open(io, lo, &a_addr);
	uint16_t b = pc_test_open(io, lo, &b_addr);
	struct pc_pkt *pkts[100];
	struct pc_io_stats st;
	unsigned got, total = 0;

	/* Given two ports, When 100 datagrams of growing size go from a to b in bursts, */
	for (uint32_t i = 0; i < 100; i += 10) {
		struct pc_pkt *out[10];

		for (uint32_t j = 0; j < 10; j++)
			out[j] = pc_test_pkt(c, a, &b_addr, i + j, (uint16_t)(4 + 13 * (i + j)));
		cr_assert_eq(pc_io_tx_burst(io, out, 10), 10);
		pc_io_flush(io);
	}
	got = pc_test_rx(io, pkts, 100);

	/* Then b gets them all, in order, intact, from a's address. */
	cr_assert_eq(got, 100, "received %u of 100", got);
	for (uint32_t i = 0; i < got; i++) {
		cr_assert_eq(pkts[i]->port, b);
		cr_assert(pc_test_same_addr(&pkts[i]->peer, &a_addr), "peer is not port a");
		cr_assert_eq(pkts[i]->peer_len, pc_io__addr_len(&a_addr));
		pc_test_check_payload(pkts[i], i, (uint16_t)(4 + 13 * i));
		total += pc_pkt_len(pkts[i]);
	}
	pc_pkt_free_burst(c, pkts, got);
	pc_test_assert_no_leak(io);
	st = pc_test_stats(io);
	cr_assert_eq(st.rx_pkts, 100);
	cr_assert_eq(st.rx_bytes, total);
	cr_assert_eq(st.tx_pkts, 100);
	cr_assert_eq(st.tx_bytes, total);
	cr_assert_eq(st.rx_errors + st.rx_nobuf + st.tx_errors + st.tx_drops, 0);
	pc_test_destroy_checked(io, c);
}

Test(io_uring, loopback_ipv4)
{
	union pc_pkt_addr lo = pc_test_addr4(0);

	pc_test_loopback(&lo);
}

Test(io_uring, loopback_ipv6)
{
	union pc_pkt_addr lo = pc_test_addr6(0);
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);
	bool ok = fd >= 0 && bind(fd, &lo.sa, sizeof(lo.in6)) == 0;

	if (fd >= 0)
		close(fd);
	if (!ok)
		cr_skip_test("no IPv6 loopback ([::1]) here");
	pc_test_loopback(&lo);
}

/*
 * Relay in both directions, as the gateway does: endpoint x talks to leg rx, endpoint y to leg
 * ry; what comes in on one leg leaves on the other in the same buffer.
 */
Test(io_uring, relay_echo_both_directions)
{
	struct pc_io *io = pc_test_io();
	struct pc_pkt_cache *c = pc_test_cache(io);
	union pc_pkt_addr lo = pc_test_addr4(0), xa, ya, rxa, rya;
	uint16_t x = pc_test_open(io, &lo, &xa), y = pc_test_open(io, &lo, &ya);
	uint16_t rx = pc_test_open(io, &lo, &rxa), ry = pc_test_open(io, &lo, &rya);
	const uint32_t rounds = 200;
	unsigned at_x = 0, at_y = 0;
	uint64_t deadline = pc_test_now_ns() + PC_TEST_TIMEOUT_NS;

	for (uint32_t r = 0; r < rounds; r++) {
		struct pc_pkt *out[2] = {
			pc_test_pkt(c, x, &rxa, 2 * r, 160),	  /* x -> rx -> ry -> y */
			pc_test_pkt(c, y, &rya, 2 * r + 1, 1200), /* y -> ry -> rx -> x */
		};

		cr_assert_eq(pc_io_tx_burst(io, out, 2), 2);
		pc_io_flush(io);
	}
	while ((at_x < rounds || at_y < rounds) && pc_test_now_ns() < deadline) {
		struct pc_pkt *in[PC_TEST_BURST], *fwd[PC_TEST_BURST];
		unsigned k = pc_io_rx_burst(io, in, PC_TEST_BURST), nf = 0;

		for (unsigned i = 0; i < k; i++) {
			struct pc_pkt *p = in[i];

			if (p->port == rx || p->port == ry) {
				/* Relay leg: forward in place, out of the other leg. */
				p->peer = p->port == rx ? ya : xa;
				p->port = p->port == rx ? ry : rx;
				fwd[nf++] = p;
				continue;
			}
			if (p->port == y) {
				cr_assert(pc_test_same_addr(&p->peer, &rya));
				pc_test_check_payload(p, 2 * at_y, 160);
				at_y++;
			} else {
				cr_assert_eq(p->port, x);
				cr_assert(pc_test_same_addr(&p->peer, &rxa));
				pc_test_check_payload(p, 2 * at_x + 1, 1200);
				at_x++;
			}
			pc_pkt_free(c, p);
		}
		pc_io_tx_burst(io, fwd, nf);
		pc_io_flush(io);
	}
	cr_assert_eq(at_y, rounds, "y got %u of %u", at_y, rounds);
	cr_assert_eq(at_x, rounds, "x got %u of %u", at_x, rounds);
	cr_assert_eq(pc_test_stats(io).tx_pkts, 4 * rounds);
	pc_test_destroy_checked(io, c);
}

/*
 * 10^6 datagrams through the backend in bursts, at most a window in flight (so that the
 * kernel's socket buffer never overflows: its drops would not be ours to count), half of them
 * in GSO runs. Every datagram arrives or is counted as dropped, every buffer comes back.
 */
Test(io_uring, million_datagrams_exact_accounting, .timeout = 120)
{
	struct pc_io *io = pc_test_io();
	struct pc_pkt_cache *c = pc_test_cache(io);
	union pc_pkt_addr lo = pc_test_addr4(0), ba;
	uint16_t a = pc_test_open(io, &lo, NULL), b = pc_test_open(io, &lo, &ba);
	const uint64_t total = pc_test_count(1000000);
	uint64_t sent = 0, queued = 0, received = 0, bytes = 0, t0 = pc_test_now_ns(), t1;
	uint64_t deadline = t0 + 100ull * 1000 * 1000 * 1000;
	uint32_t expect = 0;
	struct pc_io_stats st;

	while ((sent < total || received + pc_test_stats(io).tx_drops < queued) &&
	       pc_test_now_ns() < deadline) {
		struct pc_pkt *pkts[PC_TEST_BURST];
		unsigned k;

		if (sent < total && queued - received < 512) {
			unsigned n = total - sent < PC_TEST_BURST ? (unsigned)(total - sent) :
								    PC_TEST_BURST;

			/* Every other burst of one size (GSO runs), the others of mixed sizes. */
			for (unsigned i = 0; i < n; i++)
				pkts[i] = pc_test_pkt(
					c, a, &ba, (uint32_t)(sent + i),
					(uint16_t)((sent / PC_TEST_BURST) % 2 ? 64 + i % 3 : 64));
			queued += pc_io_tx_burst(io, pkts, n);
			sent += n;
		}
		pc_io_flush(io);
		k = pc_io_rx_burst(io, pkts, PC_TEST_BURST);
		for (unsigned i = 0; i < k; i++) {
			cr_assert_eq(pkts[i]->port, b);
			/* In order, except where a datagram was dropped (counted). */
			cr_assert_geq(pc_test_seq(pkts[i]), expect);
			expect = pc_test_seq(pkts[i]) + 1;
			bytes += pc_pkt_len(pkts[i]);
		}
		pc_pkt_free_burst(c, pkts, k);
		received += k;
	}
	t1 = pc_test_now_ns();
	st = pc_test_stats(io);
	cr_log_info("%llu datagrams in %.2f s: %.0f per second (send + receive on one thread)",
		    (unsigned long long)received, (double)(t1 - t0) / 1e9,
		    (double)received * 1e9 / (double)(t1 - t0));
	cr_assert_eq(sent, total);
	cr_assert_eq(received + st.tx_drops + st.tx_errors, total,
		     "received %llu + dropped %llu + errors %llu != %llu",
		     (unsigned long long)received, (unsigned long long)st.tx_drops,
		     (unsigned long long)st.tx_errors, (unsigned long long)total);
	cr_assert_eq(st.rx_pkts, received);
	cr_assert_eq(st.rx_bytes, bytes);
	cr_assert_eq(st.tx_pkts, received);
	pc_test_destroy_checked(io, c);
}

/* Runs of equal-sized datagrams to one peer go as UDP GSO sends (one SQE each, at most 64
 * datagrams and 64 KiB); mixed sizes and peers break the runs. All arrive, whole, in order;
 * the same with GSO off (no_gso). */
static void pc_test_runs(bool no_gso)
{
	struct pc_io_conf conf = { .burst = PC_IO_BURST_MAX, .no_gso = no_gso };
	struct pc_io *io = pc_test_io_conf(&conf);
	struct pc_pkt_cache *c = pc_test_cache(io);
	union pc_pkt_addr lo = pc_test_addr4(0), ba, ca;
	uint16_t a = pc_test_open(io, &lo, NULL), b = pc_test_open(io, &lo, &ba);
	uint16_t cp = pc_test_open(io, &lo, &ca);
	static const uint16_t sizes[] = {
		1200, 1200, 1200, 1200, 1200, 1200, 1200, 1200, 1200, 1200, 1200, 1200, 1200,
		1200, 1200, 1200, 1200, 1200, 1200, 1200, 1200, 1200, 1200, 1200, 1200, 1200,
		1200, 1200, 1200, 1200, 1200, 1200, 1200, 1200, 1200, 1200, 1200, 1200, 1200,
		1200, 1200, 1200, 1200, 1200, 1200, 1200, 1200, 1200, 1200, 1200, 1200, 1200,
		1200, 1200, 1200, 1200, 1200, 1200, 500,  1200, 1200, 60,   60,	  1600
	};
	const unsigned n = sizeof(sizes) / sizeof(sizes[0]);
	struct pc_pkt *out[PC_IO_BURST_MAX], *in[PC_IO_BURST_MAX];
	unsigned got_b = 0, got_c = 0, got;
	uint64_t bytes = 0;

	cr_assert_eq(n, PC_IO_BURST_MAX);
	for (unsigned r = 0; r < 10; r++) {
		for (unsigned i = 0; i < n; i++) {
			/* Every 7th of the last ten goes to the other port: breaks a run. */
			bool to_c = i >= 54 && i % 7 == 0;

			out[i] = pc_test_pkt(c, a, to_c ? &ca : &ba, r * n + i, sizes[i]);
			bytes += sizes[i];
		}
		cr_assert_eq(pc_io_tx_burst(io, out, n), n);
		pc_io_flush(io);
		got = pc_test_rx(io, in, n);
		cr_assert_eq(got, n, "round %u: %u of %u", r, got, n);
		for (unsigned i = 0, jb = 0, jc = 0; i < n; i++) {
			bool to_c = i >= 54 && i % 7 == 0;
			struct pc_pkt *p = NULL;

			/* Per destination, in order. */
			for (unsigned k = 0, seen = 0; k < got; k++) {
				if (in[k]->port != (to_c ? cp : b))
					continue;
				if (seen++ == (to_c ? jc : jb)) {
					p = in[k];
					break;
				}
			}
			cr_assert_not_null(p);
			pc_test_check_payload(p, r * n + i, sizes[i]);
			if (to_c)
				jc++;
			else
				jb++;
		}
		for (unsigned k = 0; k < got; k++) {
			got_b += in[k]->port == b;
			got_c += in[k]->port == cp;
		}
		pc_pkt_free_burst(c, in, got);
	}
	cr_assert_eq(got_b + got_c, 10 * n);
	cr_assert_eq(pc_test_stats(io).tx_pkts, 10 * n);
	cr_assert_eq(pc_test_stats(io).tx_bytes, bytes);
	cr_assert_eq(pc_test_stats(io).tx_errors + pc_test_stats(io).tx_drops, 0);
	pc_test_destroy_checked(io, c);
}

Test(io_uring, gso_runs_arrive_whole_and_in_order)
{
	pc_test_runs(false);
}

Test(io_uring, no_gso_sends_one_by_one)
{
	pc_test_runs(true);
}

/* Many bursts queued before one flush: the SQ (256 entries) fills, tx_burst submits once to
 * make room; whatever cannot be queued is counted as dropped, nothing is lost unaccounted. */
Test(io_uring, many_bursts_before_a_flush)
{
	struct pc_io_conf conf = { .burst = PC_IO_BURST_MAX };
	struct pc_io *io = pc_test_io_conf(&conf);
	struct pc_pkt_cache *c = pc_test_cache(io);
	union pc_pkt_addr lo = pc_test_addr4(0), ba;
	uint16_t a = pc_test_open(io, &lo, NULL);
	unsigned queued = 0, got;
	struct pc_io_stats st;

	pc_test_open(io, &lo, &ba);
	for (unsigned r = 0; r < 16; r++) {
		struct pc_pkt *out[PC_IO_BURST_MAX];

		/* Sizes all different: one SQE per datagram. */
		for (unsigned i = 0; i < PC_IO_BURST_MAX; i++)
			out[i] =
				pc_test_pkt(c, a, &ba, r * PC_IO_BURST_MAX + i, (uint16_t)(20 + i));
		queued += pc_io_tx_burst(io, out, PC_IO_BURST_MAX);
	}
	pc_io_flush(io);
	got = pc_test_rx_drain(io, c, 50 * 1000 * 1000);
	st = pc_test_stats(io);
	cr_assert_eq(queued + st.tx_drops, 16 * PC_IO_BURST_MAX);
	cr_assert_eq(st.tx_pkts + st.tx_errors, queued);
	cr_assert_eq(got, st.tx_pkts, "sent %llu, received %u", (unsigned long long)st.tx_pkts,
		     got);
	pc_test_destroy_checked(io, c);
}

/* --- bad input -------------------------------------------------------------------------------- */

Test(io_uring, oversized_datagram_counted_and_dropped)
{
	struct pc_io *io = pc_test_io();
	struct pc_pkt_cache *c = pc_test_cache(io);
	union pc_pkt_addr lo = pc_test_addr4(0), ba, raw_addr;
	uint16_t b = pc_test_open(io, &lo, &ba);
	uint32_t room = pc_pkt_pool_data_room(pc_io_pool(io));
	int fd = pc_test_raw_socket(&raw_addr);
	static uint8_t big[4096];
	struct pc_pkt *pkts[4];
	unsigned got;

	cr_assert_lt(room + 1, sizeof(big));
	memset(big, 0xa5, sizeof(big));
	pc_io_flush(io); /* arm the receive */
	/* Given a datagram one byte over the data room, one exactly the room, one empty, */
	cr_assert_eq(sendto(fd, big, room + 1, 0, &ba.sa, sizeof(ba.in4)), (ssize_t)room + 1);
	cr_assert_eq(sendto(fd, big, room, 0, &ba.sa, sizeof(ba.in4)), (ssize_t)room);
	cr_assert_eq(sendto(fd, big, 0, 0, &ba.sa, sizeof(ba.in4)), 0);
	got = pc_test_rx(io, pkts, 2);

	/* Then the oversized one is counted and dropped, the others arrive whole. */
	cr_assert_eq(got, 2);
	cr_assert_eq(pc_pkt_len(pkts[0]), room);
	cr_assert_eq(pc_pkt_data(pkts[0])[room - 1], 0xa5);
	cr_assert_eq(pc_pkt_len(pkts[1]), 0, "the empty datagram is delivered as length 0");
	cr_assert(pc_test_same_addr(&pkts[1]->peer, &raw_addr));
	cr_assert_eq(pkts[1]->port, b);
	pc_pkt_free_burst(c, pkts, got);
	cr_assert_eq(pc_test_rx_drain(io, c, 20 * 1000 * 1000), 0);
	cr_assert_eq(pc_test_stats(io).rx_errors, 1);
	cr_assert_eq(pc_test_stats(io).rx_pkts, 2);
	close(fd);
	pc_test_destroy_checked(io, c);
}

Test(io_uring, bad_destinations_counted_and_freed)
{
	struct pc_io *io = pc_test_io();
	struct pc_pkt_cache *c = pc_test_cache(io);
	union pc_pkt_addr lo = pc_test_addr4(0), ba, none = { .sa = { .sa_family = AF_UNIX } };
	uint16_t a = pc_test_open(io, &lo, NULL);
	struct pc_pkt *out[3];

	pc_test_open(io, &lo, &ba);
	out[0] = pc_test_pkt(c, (uint16_t)(a + 100), &ba, 0, 10); /* no such port */
	out[1] = pc_test_pkt(c, a, &none, 1, 10);		  /* no such family */
	out[2] = pc_test_pkt(c, a, &ba, 2, 10);
	cr_assert_eq(pc_io_tx_burst(io, out, 3), 1);
	pc_io_flush(io);
	cr_assert_eq(pc_test_rx_drain(io, c, 20 * 1000 * 1000), 1);
	cr_assert_eq(pc_test_stats(io).tx_errors, 2);
	cr_assert_eq(pc_test_stats(io).tx_pkts, 1);
	pc_test_destroy_checked(io, c);
}

/* --- ports ------------------------------------------------------------------------------------- */

Test(io_uring, close_port_with_datagrams_in_flight_loses_no_buffer)
{
	struct pc_io *io = pc_test_io();
	struct pc_pkt_cache *c = pc_test_cache(io);
	union pc_pkt_addr lo = pc_test_addr4(0), ba, again;
	uint16_t a = pc_test_open(io, &lo, NULL), b = pc_test_open(io, &lo, &ba), b2;
	struct pc_pkt *pkts[PC_TEST_BURST];
	unsigned k;

	/* Given datagrams to b queued, submitted, some received by the kernel but not read, */
	for (uint32_t r = 0; r < 8; r++) {
		for (unsigned i = 0; i < PC_TEST_BURST; i++)
			pkts[i] = pc_test_pkt(c, a, &ba, r * PC_TEST_BURST + i, 100);
		cr_assert_eq(pc_io_tx_burst(io, pkts, PC_TEST_BURST), PC_TEST_BURST);
		pc_io_flush(io);
	}
	for (unsigned i = 0; i < PC_TEST_BURST; i++)
		pkts[i] = pc_test_pkt(c, a, &ba, 1000 + i, 100);
	cr_assert_eq(pc_io_tx_burst(io, pkts, PC_TEST_BURST), PC_TEST_BURST);
	/* When b closes (with those last sends still queued), */
	cr_assert_eq(pc_io_port_close(io, b), 0);

	/* Then nothing more is delivered for it, the address can be bound again at once, and the
	 * new port gets only its own traffic. */
	cr_assert_eq(pc_test_rx_drain(io, c, 20 * 1000 * 1000), 0);
	b2 = pc_test_open(io, &ba, &again);
	cr_assert(pc_test_same_addr(&ba, &again));
	pkts[0] = pc_test_pkt(c, a, &ba, 7, 100);
	cr_assert_eq(pc_io_tx_burst(io, pkts, 1), 1);
	k = pc_test_rx(io, pkts, 1);
	cr_assert_eq(k, 1);
	cr_assert_eq(pkts[0]->port, b2);
	pc_test_check_payload(pkts[0], 7, 100);
	pc_pkt_free(c, pkts[0]);
	pc_test_destroy_checked(io, c);
}

Test(io_uring, many_ports_open_close_churn)
{
	struct pc_io_conf conf = { .burst = PC_TEST_BURST, .max_ports = 64 };
	struct pc_io *io = pc_test_io_conf(&conf);
	struct pc_pkt_cache *c = pc_test_cache(io);
	union pc_pkt_addr lo = pc_test_addr4(0), addr[64];
	uint16_t src = pc_test_open(io, &lo, NULL), ports[64];
	unsigned delivered = 0;

	for (unsigned i = 0; i < 63; i++)
		ports[i] = pc_test_open(io, &lo, &addr[i]);
	for (unsigned round = 0; round < 20; round++) {
		struct pc_pkt *pkts[63];

		for (unsigned i = 0; i < 63; i++)
			pkts[i] = pc_test_pkt(c, src, &addr[i], i, 40);
		pc_io_tx_burst(io, pkts, 63);
		pc_io_flush(io);
		/* Close and reopen a third of them, on new ephemeral ports. */
		for (unsigned i = round % 3; i < 63; i += 3) {
			cr_assert_eq(pc_io_port_close(io, ports[i]), 0);
			ports[i] = pc_test_open(io, &lo, &addr[i]);
		}
		delivered += pc_test_rx_drain(io, c, 2 * 1000 * 1000);
	}
	delivered += pc_test_rx_drain(io, c, 20 * 1000 * 1000);
	cr_assert_gt(delivered, 0);
	cr_assert_eq(pc_test_stats(io).rx_pkts, delivered);
	pc_test_destroy_checked(io, c);
}

/* The pool runs dry while the application holds what it received: the kernel runs out of
 * buffers (-ENOBUFS, counted), the datagrams wait in the socket, and the receive re-arms once
 * buffers come back. */
Test(io_uring, pool_exhaustion_recovers)
{
	struct pc_io_conf conf = { .burst = PC_TEST_BURST, .pkts = 128 };
	struct pc_io *io = pc_test_io_conf(&conf);
	struct pc_pkt_cache *c = pc_test_cache(io);
	union pc_pkt_addr lo = pc_test_addr4(0), ba, raw_addr;
	static struct pc_pkt *held[128];
	unsigned nheld = 0;
	int fd = pc_test_raw_socket(&raw_addr);
	uint8_t buf[64] = { 0 };
	struct pc_pkt *pkts[PC_TEST_BURST];

	pc_test_open(io, &lo, &ba);
	pc_io_flush(io);
	/* Given 200 datagrams and an application that keeps everything it gets, */
	for (uint32_t i = 0; i < 200; i++) {
		memcpy(buf, &i, 4);
		cr_assert_eq(sendto(fd, buf, sizeof(buf), 0, &ba.sa, sizeof(ba.in4)), 64);
	}
	while (nheld < 128) {
		unsigned got = pc_test_rx(io, held + nheld, 128 - nheld);

		cr_assert_gt(got, 0, "stuck at %u received with the pool not yet empty", nheld);
		nheld += got;
	}
	/* Then it gets the whole pool, in order, and the kernel, out of buffers, says so; */
	for (unsigned i = 0; i < 10; i++) {
		cr_assert_eq(pc_io_rx_burst(io, pkts, PC_TEST_BURST), 0);
		pc_io_flush(io);
	}
	cr_assert_gt(pc_test_stats(io).rx_nobuf, 0);
	for (unsigned i = 0; i < nheld; i++)
		cr_assert_eq(pc_test_seq(held[i]), i);
	/* And once it lets go, the rest arrives, in order, nothing lost. */
	pc_pkt_free_burst(c, held, nheld);
	for (uint32_t next = nheld; next < 200; next++) {
		cr_assert_eq(pc_test_rx(io, pkts, 1), 1, "datagram %u did not come", next);
		cr_assert_eq(pc_test_seq(pkts[0]), next);
		pc_pkt_free(c, pkts[0]);
	}
	close(fd);
	pc_test_destroy_checked(io, c);
}

/* --- zero-copy and threads ---------------------------------------------------------------------- */

Test(io_uring, zero_copy_sends_free_after_notification)
{
	struct pc_io *io;
	struct pc_pkt_cache *c;
	union pc_pkt_addr lo = pc_test_addr4(0), ba;
	uint16_t a;
	struct pc_pkt *pkts[PC_TEST_BURST];
	unsigned got = 0;

	/* Given SENDMSG_ZC from 1000 bytes, When 1200- and 200-byte datagrams go, */
	setenv("PC_IO_URING_ZC_MIN", "1000", 1);
	io = pc_test_io();
	unsetenv("PC_IO_URING_ZC_MIN");
	c = pc_test_cache(io);
	a = pc_test_open(io, &lo, NULL);
	pc_test_open(io, &lo, &ba);
	for (uint32_t r = 0; r < 20; r++) {
		for (unsigned i = 0; i < PC_TEST_BURST; i++)
			pkts[i] = pc_test_pkt(c, a, &ba, r * PC_TEST_BURST + i, i % 2 ? 1200 : 200);
		cr_assert_eq(pc_io_tx_burst(io, pkts, PC_TEST_BURST), PC_TEST_BURST);
		pc_io_flush(io);
		got += pc_test_rx_drain(io, c, 1000 * 1000);
	}
	got += pc_test_rx_drain(io, c, 20 * 1000 * 1000);

	/* Then all arrive and every buffer comes back (freed at the notification). */
	cr_assert_eq(got, 20 * PC_TEST_BURST);
	cr_assert_eq(pc_test_stats(io).tx_pkts, 20 * PC_TEST_BURST);
	cr_assert_eq(pc_test_stats(io).tx_zc, 20 * PC_TEST_BURST / 2, "the 1200-byte ones");
	pc_test_destroy_checked(io, c);
}

Test(io_uring, zero_copy_threshold_from_the_configuration)
{
	struct pc_io_conf conf = { .backend = PC_IO_URING, .uring_zc_min = 1000 };
	struct pc_io *io = pc_test_io_conf(&conf);
	struct pc_pkt_cache *c = pc_test_cache(io);
	union pc_pkt_addr lo = pc_test_addr4(0), ba;
	struct pc_pkt *pkts[2];
	uint16_t a = pc_test_open(io, &lo, NULL);

	/* Given a threshold set in the configuration (no environment variable) */
	pc_test_open(io, &lo, &ba);
	pkts[0] = pc_test_pkt(c, a, &ba, 0, 1200);
	pkts[1] = pc_test_pkt(c, a, &ba, 1, 200);
	/* When a large and a small datagram go, Then only the large one uses SEND_ZC */
	cr_assert_eq(pc_io_tx_burst(io, pkts, 2), 2);
	pc_io_flush(io);
	cr_assert_eq(pc_test_rx_drain(io, c, 20 * 1000 * 1000), 2);
	cr_assert_eq(pc_test_stats(io).tx_zc, 1);
	pc_test_destroy_checked(io, c);
}

struct pc_test_thread_arg {
	struct pc_io *io;
	uint16_t a;
	union pc_pkt_addr b_addr;
	unsigned got;
};

static void *pc_test_loop_thread(void *arg)
{
	struct pc_test_thread_arg *t = arg;
	struct pc_pkt_cache *c = NULL;
	struct pc_pkt *pkts[PC_TEST_BURST];

	if (pc_pkt_cache_attach(pc_io_pool(t->io), &c) < 0)
		return NULL;
	for (unsigned i = 0; i < PC_TEST_BURST; i++)
		pkts[i] = pc_test_pkt(c, t->a, &t->b_addr, i, 300);
	pc_io_tx_burst(t->io, pkts, PC_TEST_BURST);
	pc_io_flush(t->io);
	t->got = pc_test_rx(t->io, pkts, PC_TEST_BURST);
	pc_pkt_free_burst(c, pkts, t->got);
	pc_pkt_cache_detach(c);
	return NULL;
}

/* Created (and ports opened) on one thread, run on another: the ring belongs to the thread of
 * the first fast-path call (IORING_SETUP_SINGLE_ISSUER), and destroyed on the first again. */
Test(io_uring, created_on_one_thread_run_on_another)
{
	struct pc_test_thread_arg t = { .io = pc_test_io() };
	union pc_pkt_addr lo = pc_test_addr4(0);
	pthread_t th;

	t.a = pc_test_open(t.io, &lo, NULL);
	pc_test_open(t.io, &lo, &t.b_addr);
	cr_assert_eq(pthread_create(&th, NULL, pc_test_loop_thread, &t), 0);
	cr_assert_eq(pthread_join(th, NULL), 0);
	cr_assert_eq(t.got, PC_TEST_BURST);
	pc_test_destroy_checked(t.io, NULL);
}

/* --- prepare and adopt ------------------------------------------------------------------------ */

struct pc_test_preparer {
	struct pc_io *io;
	struct pc_io_port_prep prep[2];
	int rc[2];
};

static void *pc_test_prepare_thread(void *arg)
{
	struct pc_test_preparer *t = arg;
	union pc_pkt_addr lo = pc_test_addr4(0);

	t->rc[0] = pc_io_port_prepare(t->io, &lo, &t->prep[0]);
	t->rc[1] = t->rc[0] < 0 ? t->rc[0] :
				  pc_io_port_prepare_next(t->io, &t->prep[0], &t->prep[1]);
	return NULL;
}

/* Ports made on another thread while the ring runs (it has had its first call here), adopted by
 * the ring's thread: a datagram sent to one before adopt is received after. */
Test(io_uring, prepared_on_another_thread_adopted_by_the_owner)
{
	struct pc_test_preparer t = { .io = pc_test_io() };
	struct pc_pkt_cache *c = pc_test_cache(t.io);
	union pc_pkt_addr lo = pc_test_addr4(0), a_addr, bound[2], prepared[2];
	struct pc_pkt *pkts[4];
	uint16_t a = pc_test_open(t.io, &lo, &a_addr), id[2];
	pthread_t th;

	/* Given a running ring (first fast-path call made here) and two ports prepared on
	 * another thread, the second the first's port + 1 or any */
	pc_io_flush(t.io);
	cr_assert_eq(pthread_create(&th, NULL, pc_test_prepare_thread, &t), 0);
	cr_assert_eq(pthread_join(th, NULL), 0);
	cr_assert_eq(t.rc[0], 0, "prepare: %d", t.rc[0]);
	cr_assert_eq(t.rc[1], 0, "prepare_next: %d", t.rc[1]);
	cr_assert_geq(t.prep[0].fd, 0);
	cr_assert_geq(t.prep[1].fd, 0);
	cr_assert_eq(t.prep[1].flags, 0u, "uring decides at prepare");
	prepared[0] = t.prep[0].local;
	prepared[1] = t.prep[1].local;

	/* When a datagram is sent to the first before it is adopted, and both are adopted */
	pkts[0] = pc_test_pkt(c, a, &prepared[0], 1, 100);
	cr_assert_eq(pc_io_tx_burst(t.io, pkts, 1), 1);
	pc_io_flush(t.io);
	id[0] = (uint16_t)pc_io_port_adopt(t.io, &t.prep[0], &bound[0]);
	id[1] = (uint16_t)pc_io_port_adopt_next(t.io, &t.prep[1], id[0], &bound[1]);

	/* Then they are ports where they were prepared, and it comes in on the first */
	cr_assert_geq(id[0], 1);
	cr_assert_geq(id[1], 1);
	cr_assert(pc_test_same_addr(&bound[0], &prepared[0]));
	cr_assert(pc_test_same_addr(&bound[1], &prepared[1]));
	cr_assert_eq(t.prep[0].fd, -1, "an adopted prep is left empty");
	cr_assert_eq(pc_test_rx(t.io, pkts, 1), 1);
	cr_assert_eq(pkts[0]->port, id[0]);
	pc_test_check_payload(pkts[0], 1, 100);
	pc_pkt_free(c, pkts[0]);
	/* And the second receives too */
	pkts[0] = pc_test_pkt(c, a, &bound[1], 2, 60);
	cr_assert_eq(pc_io_tx_burst(t.io, pkts, 1), 1);
	pc_io_flush(t.io);
	cr_assert_eq(pc_test_rx(t.io, pkts, 1), 1);
	cr_assert_eq(pkts[0]->port, id[1]);
	pc_pkt_free(c, pkts[0]);
	pc_test_destroy_checked(t.io, c);
}
