/* SPDX-License-Identifier: MIT */
/*
 * io_bench.c - benchmark "io": what one core moves through each packet I/O backend, against
 * bare recvmmsg/sendmmsg on a plain socket, measured in the same run.
 *
 *   io/<backend>/rx       a blaster on the other CPU sends 172-byte datagrams to one port as
 *                         fast as it can; the backend receives in bursts and frees: packets
 *                         per second received on one core.
 *   io/<backend>/tx172    the backend sends 172-byte datagrams (G.711 RTP size) to one sink
 *   io/<backend>/tx1200   ... and 1200-byte ones (video RTP size): packets per second the
 *                         kernel accepted on one core (the sink drains on the other CPU).
 *   io/<backend>/echo     one datagram bounced off the backend: round trip through the kernel
 *                         twice, p50/p99/p99.9.
 * "sockets-nogso" is the sockets backend with UDP GSO off: what GSO buys on the tx cases.
 * The reference for each is the same work done with recvmmsg/sendmmsg on a bare socket in a
 * thread pinned like the backend's. dpdk is not in this benchmark: it has no kernel socket to
 * compare with (see the relay benchmark).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_pvt.h"
#include "hist_pvt.h"
#include "pc_io.h"

#define IO_BURST 32u
#define IO_ECHO_SAMPLES 20000u

struct io_side {
	pthread_t tid;
	int cpu;
	enum pc_io_backend backend; /* PC_IO_BACKENDS: the bare socket */
	bool no_gso;
	unsigned mode; /* 0 rx, 1 tx, 2 echo */
	uint16_t len;  /* tx datagram size */
	double seconds;
	struct sockaddr_in peer;  /* tx/echo: where to send */
	struct sockaddr_in bound; /* the port the backend (or bare socket) bound */
	_Atomic uint32_t ready;
	_Atomic uint32_t stop;
	uint64_t count; /* packets received (rx) or accepted (tx) */
	double elapsed;
	int rc;
};

static int bare_socket(struct sockaddr_in *a)
{
	socklen_t len = sizeof(*a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), sz = 8 << 20;

	if (fd < 0)
		return -errno;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)a, sizeof(*a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)a, &len) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

/* The bare reference: the same loop over recvmmsg/sendmmsg on one socket. */
static void bare_run(struct io_side *s)
{
	static uint8_t bufs[IO_BURST][2048];
	struct mmsghdr msgs[IO_BURST];
	struct iovec iov[IO_BURST];
	struct sockaddr_in from[IO_BURST];
	int fd = bare_socket(&s->bound);
	uint64_t start;

	if (fd < 0) {
		s->rc = fd;
		pc_store_release(&s->ready, 1);
		return;
	}
	pc_store_release(&s->ready, 1);
	start = pc_bench_now_ns();
	while (!pc_load_acquire(&s->stop)) {
		int k;

		for (unsigned i = 0; i < IO_BURST; i++) {
			memset(&msgs[i].msg_hdr, 0, sizeof(msgs[i].msg_hdr));
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = s->mode == 1 ? s->len : sizeof(bufs[i]);
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_name = s->mode == 1 ? (void *)&s->peer :
								  (void *)&from[i];
			msgs[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_in);
		}
		if (s->mode == 1) {
			k = sendmmsg(fd, msgs, IO_BURST, MSG_DONTWAIT);
		} else {
			k = recvmmsg(fd, msgs, IO_BURST, MSG_DONTWAIT, NULL);
			if (k > 0 && s->mode == 2) {
				for (int i = 0; i < k; i++)
					iov[i].iov_len = msgs[i].msg_len;
				(void)sendmmsg(fd, msgs, (unsigned)k, MSG_DONTWAIT);
			}
		}
		if (k > 0)
			s->count += (uint64_t)k;
	}
	s->elapsed = (double)(pc_bench_now_ns() - start) / 1e9;
	close(fd);
}

static void backend_run(struct io_side *s)
{
	struct pc_io_conf c = {
		.backend = s->backend, .no_fallback = true, .max_ports = 4, .no_gso = s->no_gso
	};
	union pc_pkt_addr local = { 0 }, bound;
	struct pc_pkt *pkts[IO_BURST];
	struct pc_pkt_cache *cache;
	struct pc_io *io;
	uint64_t start;
	int port;

	s->rc = pc_io_create(&io, &c);
	if (s->rc < 0) {
		pc_store_release(&s->ready, 1);
		return;
	}
	cache = pc_io_cache(io);
	local.in4.sin_family = AF_INET;
	local.in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	port = pc_io_port_open(io, &local, &bound);
	if (port < 0) {
		s->rc = port;
		pc_io_destroy(io);
		pc_store_release(&s->ready, 1);
		return;
	}
	s->bound = bound.in4;
	pc_store_release(&s->ready, 1);
	start = pc_bench_now_ns();
	while (!pc_load_acquire(&s->stop)) {
		unsigned n;

		if (s->mode == 1) {
			n = pc_pkt_alloc_burst(cache, pkts, IO_BURST);
			for (unsigned i = 0; i < n; i++) {
				uint8_t *d = pc_pkt_append(pkts[i], s->len);

				d[0] = 0x80;
				pkts[i]->port = (uint16_t)port;
				pkts[i]->peer.in4 = s->peer;
				pkts[i]->peer_len = sizeof(s->peer);
			}
			s->count += pc_io_tx_burst(io, pkts, n);
		} else {
			n = pc_io_rx_burst(io, pkts, IO_BURST);
			if (s->mode == 2) {
				/* Echo: back to the sender, from the same port, same buffer. */
				s->count += pc_io_tx_burst(io, pkts, n);
			} else {
				pc_pkt_free_burst(cache, pkts, n);
				s->count += n;
			}
		}
		pc_io_flush(io);
	}
	s->elapsed = (double)(pc_bench_now_ns() - start) / 1e9;
	pc_io_destroy(io);
}

static void *side_main(void *arg)
{
	struct io_side *s = arg;

	if (s->backend == PC_IO_BACKENDS)
		bare_run(s);
	else
		backend_run(s);
	return NULL;
}

/* The other CPU's part: blast (rx), drain (tx), or ping (echo, into @hist). */
static int driver(struct io_side *s, struct pc_hist *hist)
{
	static uint8_t buf[IO_BURST][2048];
	struct mmsghdr msgs[IO_BURST];
	struct iovec iov[IO_BURST];
	struct sockaddr_in me;
	uint64_t end;
	int fd = bare_socket(&me);

	if (fd < 0)
		return fd;
	s->peer = me;
	if (pc_bench_thread_start(&s->tid, s->cpu, side_main, s) < 0) {
		close(fd);
		return -EAGAIN;
	}
	while (!pc_load_acquire(&s->ready))
		usleep(100);
	if (s->rc < 0)
		goto out_join;
	for (unsigned i = 0; i < IO_BURST; i++) {
		memset(buf[i], 0x80, 172);
		iov[i].iov_base = buf[i];
		iov[i].iov_len = s->mode == 0 ? 172 : sizeof(buf[i]);
		memset(&msgs[i].msg_hdr, 0, sizeof(msgs[i].msg_hdr));
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &s->bound;
		msgs[i].msg_hdr.msg_namelen = sizeof(s->bound);
	}
	end = pc_bench_now_ns() + (uint64_t)(s->seconds * 1e9);
	if (s->mode == 2) {
		uint64_t lost = 0;

		for (unsigned i = 0; i < IO_ECHO_SAMPLES && pc_bench_now_ns() < end + 5000000000ull;
		     i++) {
			uint64_t t0 = pc_bench_now_ns(), deadline = t0 + 100000000u;
			ssize_t k;

			iov[0].iov_len = 172;
			if (sendmsg(fd, &msgs[0].msg_hdr, 0) < 0)
				break;
			while ((k = recv(fd, buf[1], sizeof(buf[1]), MSG_DONTWAIT)) < 0 &&
			       pc_bench_now_ns() < deadline)
				pc_cpu_pause();
			if (k < 0)
				lost++;
			else
				pc_hist_record(hist, (pc_bench_now_ns() - t0));
		}
		(void)lost;
	} else {
		while (pc_bench_now_ns() < end) {
			if (s->mode == 0)
				(void)sendmmsg(fd, msgs, IO_BURST, MSG_DONTWAIT);
			else
				(void)recvmmsg(fd, msgs, IO_BURST, MSG_DONTWAIT, NULL);
		}
	}
out_join:
	pc_store_release(&s->stop, 1);
	pthread_join(s->tid, NULL);
	close(fd);
	return s->rc;
}

static double rate(const struct io_side *s)
{
	return s->rc < 0 || s->elapsed <= 0 ? NAN : (double)s->count / s->elapsed / 1e6;
}

int pc_bench_io_run(const struct pc_bench_opts *o)
{
	static const struct {
		enum pc_io_backend b;
		bool no_gso;
		const char *label;
	} backends[] = { { PC_IO_SOCKETS, false, "sockets" },
			 { PC_IO_SOCKETS, true, "sockets-nogso" },
			 { PC_IO_URING, false, "uring" } };
	static const char *const ref = "bare recvmmsg/sendmmsg";
	struct pc_bench_report *rep = NULL;
	struct pc_hist *hist = NULL;
	double secs = o->quick ? 0.3 : 2.0;
	int cpu_drv, cpu_io, rc;
	cpu_set_t saved_cpus;

	rc = pc_bench_cpus(o, &cpu_drv, &cpu_io);
	if (rc < 0)
		return rc;
	pthread_getaffinity_np(pthread_self(), sizeof(saved_cpus), &saved_cpus);
	rc = pc_bench_report_create(&rep, "io", o);
	if (rc < 0)
		return rc;
	rc = pc_hist_create(&hist);
	if (rc < 0)
		goto out;
	/* The generator runs here, on its CPU; the caller's affinity (saved above) comes back at
	 * the end: the next benchmark checks which CPUs it may use. */
	{
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu_drv, &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	pc_bench_report_note(rep,
			     "driver (blaster, sink or pinger: a bare socket) on CPU %d, the "
			     "backend under test on CPU %d; %.1f s per rate case",
			     cpu_drv, cpu_io, secs);
	for (unsigned b = 0; b < sizeof(backends) / sizeof(backends[0]); b++) {
		static const struct {
			const char *name;
			unsigned mode;
			uint16_t len;
		} cases[] = { { "rx", 0, 172 }, { "tx172", 1, 172 }, { "tx1200", 1, 1200 } };
		const char *bn = backends[b].label;
		char cname[64];

		if (o->io_mask && !(o->io_mask & (1u << backends[b].b)))
			continue; /* not asked for (--io) */

		for (unsigned c = 0; c < 3; c++) {
			struct io_side ours = { .cpu = cpu_io,
						.backend = backends[b].b,
						.no_gso = backends[b].no_gso,
						.mode = cases[c].mode,
						.len = cases[c].len,
						.seconds = secs };
			struct io_side bare = ours;

			bare.backend = PC_IO_BACKENDS;
			atomic_init(&ours.ready, 0);
			atomic_init(&ours.stop, 0);
			atomic_init(&bare.ready, 0);
			atomic_init(&bare.stop, 0);
			(void)driver(&ours, NULL);
			(void)driver(&bare, NULL);
			snprintf(cname, sizeof(cname), "io/%s/%s", bn, cases[c].name);
			pc_bench_report_row(rep, cname, "rate", "Mpps", PC_BENCH_HIGHER_BETTER,
					    rate(&ours), ref, rate(&bare));
		}
		{
			struct io_side ours = { .cpu = cpu_io,
						.backend = backends[b].b,
						.no_gso = backends[b].no_gso,
						.mode = 2,
						.seconds = o->quick ? 0.2 : 1.0 };
			struct io_side bare = ours;
			static const char *const q[3] = { "rtt_p50", "rtt_p99", "rtt_p99.9" };
			static const double qv[3] = { 0.5, 0.99, 0.999 };
			double ov[3], rv[3];
			int orc, rrc;

			bare.backend = PC_IO_BACKENDS;
			atomic_init(&ours.ready, 0);
			atomic_init(&ours.stop, 0);
			atomic_init(&bare.ready, 0);
			atomic_init(&bare.stop, 0);
			pc_hist_reset(hist);
			orc = driver(&ours, hist);
			for (unsigned i = 0; i < 3; i++)
				ov[i] = orc < 0 || hist->count == 0 ?
						NAN :
						(double)pc_hist_quantile(hist, qv[i]);
			pc_hist_reset(hist);
			rrc = driver(&bare, hist);
			for (unsigned i = 0; i < 3; i++)
				rv[i] = rrc < 0 || hist->count == 0 ?
						NAN :
						(double)pc_hist_quantile(hist, qv[i]);
			snprintf(cname, sizeof(cname), "io/%s/echo", bn);
			for (unsigned i = 0; i < 3; i++)
				pc_bench_report_row(rep, cname, q[i], "ns", PC_BENCH_LOWER_BETTER,
						    ov[i], ref, rv[i]);
		}
	}
	rc = pc_bench_report_finish(rep);
out:
	pthread_setaffinity_np(pthread_self(), sizeof(saved_cpus), &saved_cpus);
	pc_hist_destroy(hist);
	pc_bench_report_destroy(rep);
	return rc;
}
