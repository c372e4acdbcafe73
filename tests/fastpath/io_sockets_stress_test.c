/* SPDX-License-Identifier: MIT */
/*
 * io_sockets_stress_test.c - 10^6 datagrams through the sockets backend each way, over
 * 127.0.0.1: a plain socket sends in batches (sendmmsg) that the backend receives, and the
 * backend sends bursts (through UDP GSO where the sizes allow) that a plain socket receives
 * (recvmmsg). Every datagram carries its sequence number and a size and pattern derived from
 * it, so a loss, a duplicate, a reordering or a corrupted byte shows; at the end every buffer
 * is back in the pool except the ones the backend says it holds (bufs_held).
 * PC_TEST_QUICK (set by the sanitizer builds) divides the counts by 100.
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

#define PC_STRESS_DATAGRAMS 1000000u
#define PC_STRESS_BATCH 32u
#define PC_STRESS_MAX_LEN 256u
#define PC_STRESS_WAIT_MS 2000

static uint64_t pc_stress_count(uint64_t full)
{
	const char *quick = getenv("PC_TEST_QUICK");

	if (quick != NULL && quick[0] != '\0' && strcmp(quick, "0") != 0)
		return full / 100;
	return full;
}

static uint64_t pc_stress_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Datagram @seq: 8 to PC_STRESS_MAX_LEN bytes, the sequence number first, then a pattern. */
static uint16_t pc_stress_len(uint32_t seq)
{
	/* Runs of 8 equal sizes, so that the send side makes GSO runs. */
	return (uint16_t)(8 + ((seq / 8) * 37u) % (PC_STRESS_MAX_LEN - 8));
}

static void pc_stress_fill(uint8_t *d, uint32_t seq)
{
	uint16_t len = pc_stress_len(seq);

	memcpy(d, &seq, 4);
	for (uint16_t i = 4; i < len; i++)
		d[i] = (uint8_t)(seq * 31u + i);
}

/* 0 when @d (@len bytes) is datagram @seq, whole. */
static int pc_stress_check(const uint8_t *d, size_t len, uint32_t seq)
{
	uint32_t got;

	if (len != pc_stress_len(seq) || len < 4)
		return -1;
	memcpy(&got, d, 4);
	if (got != seq)
		return -2;
	for (size_t i = 4; i < len; i++)
		if (d[i] != (uint8_t)(seq * 31u + i))
			return -3;
	return 0;
}

static struct pc_io *pc_stress_io_new(void)
{
	struct pc_io_conf conf = { .backend = PC_IO_SOCKETS, .pkts = 1024, .max_ports = 4 };
	struct pc_io *io = NULL;

	cr_assert_eq(pc_io_create(&io, &conf), 0);
	return io;
}

static int pc_stress_udp(union pc_pkt_addr *bound)
{
	union pc_pkt_addr a;
	socklen_t len = sizeof(*bound);
	int buf = 4 << 20;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	memset(&a, 0, sizeof(a));
	a.in4.sin_family = AF_INET;
	a.in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, &a.sa, sizeof(a.in4)), 0);
	cr_assert_eq(getsockname(fd, &bound->sa, &len), 0);
	return fd;
}

static void pc_stress_assert_no_leak(const struct pc_io *io)
{
	struct pc_pkt_pool_stats ps;
	struct pc_io_stats st;

	pc_io_get_stats(io, &st);
	pc_pkt_pool_stats(pc_io_pool(io), &ps);
	cr_assert_eq(ps.in_use, st.bufs_held, "pool in_use %u, backend holds %llu", ps.in_use,
		     (unsigned long long)st.bufs_held);
}

TestSuite(io_sockets_stress, .timeout = 240);

Test(io_sockets_stress, a_million_datagrams_in)
{
	const uint64_t total = pc_stress_count(PC_STRESS_DATAGRAMS);
	struct pc_io *io = pc_stress_io_new();
	union pc_pkt_addr port_addr, peer, local;
	static uint8_t bufs[PC_STRESS_BATCH][PC_STRESS_MAX_LEN];
	struct mmsghdr msgs[PC_STRESS_BATCH];
	struct iovec iov[PC_STRESS_BATCH];
	struct pc_pkt *pkts[PC_IO_BURST_MAX];
	struct pc_io_stats st;
	uint64_t sent = 0, got = 0, bytes = 0;
	int fd, id;

	memset(&local, 0, sizeof(local));
	local.in4.sin_family = AF_INET;
	local.in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	id = pc_io_port_open(io, &local, &port_addr);
	cr_assert_geq(id, 1);
	fd = pc_stress_udp(&peer);

	/* Given a plain socket that sends 10^6 numbered datagrams in batches of 32 */
	while (got < total) {
		unsigned n = total - sent < PC_STRESS_BATCH ? (unsigned)(total - sent) :
							      PC_STRESS_BATCH;
		uint64_t deadline;
		int k;

		for (unsigned i = 0; i < n; i++) {
			pc_stress_fill(bufs[i], (uint32_t)(sent + i));
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = pc_stress_len((uint32_t)(sent + i));
			memset(&msgs[i], 0, sizeof(msgs[i]));
			msgs[i].msg_hdr.msg_name = &port_addr;
			msgs[i].msg_hdr.msg_namelen = sizeof(port_addr.in4);
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			bytes += iov[i].iov_len;
		}
		k = sendmmsg(fd, msgs, n, 0);
		cr_assert_eq(k, (int)n, "sendmmsg: %d (%s)", k, strerror(errno));
		sent += n;

		/* When the backend receives each batch */
		deadline = pc_stress_now_ms() + PC_STRESS_WAIT_MS;
		while (got < sent) {
			unsigned r = pc_io_rx_burst(io, pkts, PC_IO_BURST_MAX);

			/* Then every datagram comes once, in order, whole, from the sender */
			for (unsigned i = 0; i < r; i++) {
				int bad = pc_stress_check(pc_pkt_data(pkts[i]), pc_pkt_len(pkts[i]),
							  (uint32_t)got);

				cr_assert_eq(bad, 0, "datagram %llu: check %d (len %u)",
					     (unsigned long long)got, bad, pc_pkt_len(pkts[i]));
				cr_assert_eq(pkts[i]->port, id);
				cr_assert_eq(pkts[i]->peer.in4.sin_port, peer.in4.sin_port);
				got++;
			}
			pc_pkt_free_burst(pc_io_cache(io), pkts, r);
			cr_assert_leq(pc_stress_now_ms(), deadline, "stuck at %llu of %llu",
				      (unsigned long long)got, (unsigned long long)sent);
		}
	}

	/* And the counters agree, and every buffer is back */
	pc_io_get_stats(io, &st);
	cr_assert_eq(st.rx_pkts, total);
	cr_assert_eq(st.rx_bytes, bytes);
	cr_assert_eq(st.rx_errors + st.rx_nobuf, 0);
	cr_assert_eq(pc_io_rx_burst(io, pkts, PC_IO_BURST_MAX), 0);
	pc_stress_assert_no_leak(io);
	close(fd);
	pc_io_destroy(io);
}

Test(io_sockets_stress, a_million_datagrams_out)
{
	const uint64_t total = pc_stress_count(PC_STRESS_DATAGRAMS);
	struct pc_io *io = pc_stress_io_new();
	union pc_pkt_addr port_addr, peer, local;
	static uint8_t bufs[PC_IO_BURST_MAX][PC_STRESS_MAX_LEN + 1];
	struct mmsghdr msgs[PC_IO_BURST_MAX];
	struct iovec iov[PC_IO_BURST_MAX];
	struct pc_pkt *pkts[PC_IO_BURST_MAX];
	struct pc_io_stats st;
	uint64_t sent = 0, got = 0, bytes = 0;
	int fd, id;

	memset(&local, 0, sizeof(local));
	local.in4.sin_family = AF_INET;
	local.in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	id = pc_io_port_open(io, &local, &port_addr);
	cr_assert_geq(id, 1);
	fd = pc_stress_udp(&peer);

	/* Given bursts of up to 64 numbered packets (runs of 8 equal sizes) to a plain socket */
	while (got < total) {
		unsigned n = total - sent < PC_IO_BURST_MAX ? (unsigned)(total - sent) :
							      PC_IO_BURST_MAX;
		uint64_t deadline;
		unsigned s;

		n = pc_pkt_alloc_burst(pc_io_cache(io), pkts, n);
		cr_assert_gt(n, 0, "pool empty: a send leaked its buffers");
		for (unsigned i = 0; i < n; i++) {
			uint32_t seq = (uint32_t)(sent + i);
			uint8_t *d = pc_pkt_append(pkts[i], pc_stress_len(seq));

			pc_stress_fill(d, seq);
			pkts[i]->port = (uint16_t)id;
			pkts[i]->peer = peer;
			pkts[i]->peer_len = sizeof(peer.in4);
			bytes += pc_stress_len(seq);
		}

		/* When the backend sends them */
		s = pc_io_tx_burst(io, pkts, n);
		pc_io_flush(io);
		cr_assert_eq(s, n, "burst at %llu: %u of %u sent", (unsigned long long)sent, s, n);
		sent += n;

		/* Then the socket receives each once, in order, whole, from the port */
		deadline = pc_stress_now_ms() + PC_STRESS_WAIT_MS;
		while (got < sent) {
			int k;

			for (unsigned i = 0; i < PC_IO_BURST_MAX; i++) {
				iov[i].iov_base = bufs[i];
				iov[i].iov_len = sizeof(bufs[i]);
				memset(&msgs[i], 0, sizeof(msgs[i]));
				msgs[i].msg_hdr.msg_iov = &iov[i];
				msgs[i].msg_hdr.msg_iovlen = 1;
			}
			k = recvmmsg(fd, msgs, PC_IO_BURST_MAX, MSG_DONTWAIT, NULL);
			if (k < 0) {
				cr_assert(errno == EAGAIN || errno == EWOULDBLOCK, "recvmmsg: %s",
					  strerror(errno));
				struct pollfd pfd = { .fd = fd, .events = POLLIN };

				(void)poll(&pfd, 1, 1);
				cr_assert_leq(pc_stress_now_ms(), deadline, "stuck at %llu of %llu",
					      (unsigned long long)got, (unsigned long long)sent);
				continue;
			}
			for (int i = 0; i < k; i++) {
				int bad = pc_stress_check(bufs[i], msgs[i].msg_len, (uint32_t)got);

				cr_assert_eq(bad, 0, "datagram %llu: check %d (len %u)",
					     (unsigned long long)got, bad, msgs[i].msg_len);
				got++;
			}
		}
	}

	/* And the counters agree, and every buffer is back */
	pc_io_get_stats(io, &st);
	cr_assert_eq(st.tx_pkts, total);
	cr_assert_eq(st.tx_bytes, bytes);
	cr_assert_eq(st.tx_errors + st.tx_drops, 0);
	pc_stress_assert_no_leak(io);
	close(fd);
	pc_io_destroy(io);
}
