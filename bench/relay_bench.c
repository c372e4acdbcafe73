/* SPDX-License-Identifier: MIT */
/*
 * relay_bench.c - benchmark "relay": RTP relaying of N calls on one media core, phonecore's
 * loop + relay on each I/O backend against rtpengine (userspace, --table=-1) and a bare
 * recvmmsg/sendmmsg forwarder, all measured in the same run through the same load generator.
 *
 * The generator (CPU 0) sends 172-byte RTP packets (12-byte header, 160 bytes of G.711
 * payload, 20 ms at 8 kHz) round-robin over the N calls' A-leg ports from one socket, paced
 * in bursts of up to 32 with sendmmsg, and reads what the relay forwards to one sink socket
 * (the B side of every call) with recvmmsg. The send time rides in the payload: one-way
 * forwarding latency = receive time - send time, into a histogram.
 * The relay under test runs on CPU 1: phonecore's media loop in a pinned thread, the bare
 * forwarder in a pinned thread, rtpengine as a process pinned with its one worker thread.
 *
 * For each relay: the highest rate forwarded with under 0.1% loss (a rising ladder of rates,
 * then a bisection between the last good and the first bad rate, each trial a fixed time),
 * then, on fresh instances, the latency p50/p99/p99.9 of every relay at one common rate (half
 * the lowest maximum, so all are compared under the same load). When the generator cannot send the
 * rate asked (the loopback kernel path costs about 3.4 us a packet here), the figure is a
 * lower bound and is noted so.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_pvt.h"
#include "hist_pvt.h"
#include "pc_loop.h"

#define RELAY_CALLS 100u
#define RELAY_PKT_LEN 172u
#define RELAY_BURST 32u
#define RELAY_LOSS_MAX 0.001
#define RELAY_RTPE_NG_PORT 22922u
#define RELAY_RTPE_PORT_MIN 31000u
#define RELAY_RTPE_PORT_MAX 39999u

enum relay_impl {
	IMPL_SOCKETS,
	IMPL_URING,
	IMPL_BARE,
	IMPL_RTPENGINE,
	IMPL_COUNT,
};

static const char *const impl_name[IMPL_COUNT] = {
	[IMPL_SOCKETS] = "phonecore sockets",
	[IMPL_URING] = "phonecore uring",
	[IMPL_BARE] = "bare recvmmsg/sendmmsg forwarder (1 socket)",
	[IMPL_RTPENGINE] = "rtpengine (userspace)",
};

struct gen {
	int tx_fd, rx_fd;
	struct sockaddr_in rx_addr;  /* the sink: every call's B side */
	struct sockaddr_in tx_addr;  /* the A side of every call */
	struct sockaddr_in *targets; /* per call: where A sends (the relay's A-leg port) */
	unsigned ncalls;
	uint32_t trial; /* rides in every payload: packets of an earlier trial are not counted */
	uint16_t *seq;
	struct pc_hist *hist;
};

struct trial {
	uint64_t sent, recv;
	double achieved_pps; /* what the generator managed to send */
};

/* --- sockets ----------------------------------------------------------------------------- */

static int udp_bound(struct sockaddr_in *addr)
{
	socklen_t len = sizeof(*addr);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), sz = 8 << 20;

	if (fd < 0)
		return -errno;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)addr, sizeof(*addr)) < 0 ||
	    getsockname(fd, (struct sockaddr *)addr, &len) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

/* Drain the sink: count packets, record latencies from the send times in their payloads. */
static uint64_t gen_receive(struct gen *g, bool record)
{
	static uint8_t bufs[64][256];
	struct mmsghdr msgs[64];
	struct iovec iov[64];
	uint64_t got = 0;

	for (unsigned i = 0; i < 64; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = sizeof(bufs[i]);
		memset(&msgs[i].msg_hdr, 0, sizeof(msgs[i].msg_hdr));
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	for (;;) {
		int k = recvmmsg(g->rx_fd, msgs, 64, MSG_DONTWAIT, NULL);
		uint64_t now;

		if (k <= 0)
			break;
		now = pc_bench_now_ns();
		for (int i = 0; i < k; i++) {
			uint64_t sent_ns;

			uint32_t trial;

			if (msgs[i].msg_len < 24)
				continue;
			memcpy(&trial, bufs[i] + 20, sizeof(trial));
			if (trial != g->trial)
				continue; /* late from an earlier trial: not this one's */
			memcpy(&sent_ns, bufs[i] + 12, sizeof(sent_ns));
			if (record && now > sent_ns)
				pc_hist_record(g->hist, now - sent_ns);
			got++;
		}
	}
	return got;
}

/* Send at @pps for @seconds, then drain for 100 ms. */
static void gen_run(struct gen *g, double pps, double seconds, bool record, struct trial *t)
{
	static uint8_t pkts[RELAY_BURST][RELAY_PKT_LEN];
	struct mmsghdr msgs[RELAY_BURST];
	struct iovec iov[RELAY_BURST];
	uint64_t start = pc_bench_now_ns(), end = start + (uint64_t)(seconds * 1e9), now;
	unsigned call = 0;

	memset(t, 0, sizeof(*t));
	memset(msgs, 0, sizeof(msgs));
	g->trial++;
	for (unsigned i = 0; i < RELAY_BURST; i++) {
		memset(pkts[i], 0xd5, RELAY_PKT_LEN); /* G.711 mu-law silence */
		pkts[i][0] = 0x80;		      /* RTP v2, PT 0 (PCMU) */
		pkts[i][1] = 0;
		iov[i].iov_base = pkts[i];
		iov[i].iov_len = RELAY_PKT_LEN;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_in);
	}
	while ((now = pc_bench_now_ns()) < end) {
		uint64_t due = (uint64_t)((double)(now - start) * pps / 1e9);
		unsigned n = due > t->sent ? (unsigned)(due - t->sent) : 0;

		if (n > RELAY_BURST)
			n = RELAY_BURST;
		for (unsigned i = 0; i < n; i++) {
			uint16_t seq = g->seq[call]++;
			uint32_t ssrc = htonl(call + 1), ts = htonl((uint32_t)seq * 160u);

			pkts[i][2] = (uint8_t)(seq >> 8);
			pkts[i][3] = (uint8_t)seq;
			memcpy(pkts[i] + 4, &ts, 4);
			memcpy(pkts[i] + 8, &ssrc, 4);
			memcpy(pkts[i] + 12, &now, sizeof(now));
			memcpy(pkts[i] + 20, &g->trial, sizeof(g->trial));
			msgs[i].msg_hdr.msg_name = &g->targets[call];
			call = call + 1 == g->ncalls ? 0 : call + 1;
		}
		if (n > 0) {
			int k = sendmmsg(g->tx_fd, msgs, n, MSG_DONTWAIT);

			if (k > 0)
				t->sent += (uint64_t)k;
		}
		t->recv += gen_receive(g, record);
	}
	t->achieved_pps = (double)t->sent / seconds;
	end = pc_bench_now_ns() + 100000000u;
	while (pc_bench_now_ns() < end)
		t->recv += gen_receive(g, record);
}

/* --- relays under test ---------------------------------------------------------------------- */

struct media_thread {
	pthread_t tid;
	struct pc_loop *loop; /* phonecore */
	int bare_fd;	      /* bare forwarder */
	struct sockaddr_in sink;
	_Atomic uint32_t stop;
};

static void *loop_main(void *arg)
{
	struct media_thread *m = arg;

	pc_loop_run(m->loop);
	return NULL;
}

/* The bare forwarder: what the kernel path allows, with no per-packet work at all. */
static void *bare_main(void *arg)
{
	static uint8_t bufs[RELAY_BURST][2048];
	struct media_thread *m = arg;
	struct mmsghdr msgs[RELAY_BURST];
	struct iovec iov[RELAY_BURST];

	for (unsigned i = 0; i < RELAY_BURST; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = sizeof(bufs[i]);
	}
	while (!pc_load_relaxed(&m->stop)) {
		int k;

		for (unsigned i = 0; i < RELAY_BURST; i++) {
			memset(&msgs[i].msg_hdr, 0, sizeof(msgs[i].msg_hdr));
			iov[i].iov_len = sizeof(bufs[i]);
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		k = recvmmsg(m->bare_fd, msgs, RELAY_BURST, MSG_DONTWAIT, NULL);
		if (k <= 0)
			continue;
		for (int i = 0; i < k; i++) {
			iov[i].iov_len = msgs[i].msg_len;
			msgs[i].msg_hdr.msg_name = &m->sink;
			msgs[i].msg_hdr.msg_namelen = sizeof(m->sink);
		}
		(void)sendmmsg(m->bare_fd, msgs, (unsigned)k, MSG_DONTWAIT);
	}
	return NULL;
}

/* Create @g->ncalls relays on a running loop: leg A learns the generator, leg B sends to the
 * sink. Fills g->targets with the A-leg ports. */
static int phonecore_setup_calls(struct pc_loop *loop, struct gen *g)
{
	unsigned created = 0, next = 0;
	uint64_t deadline = pc_bench_now_ns() + 20000000000ull;

	while (created < g->ncalls) {
		struct pc_loop_msg *m;

		while (next < g->ncalls && (m = pc_loop_cmd_reserve(loop)) != NULL) {
			struct pc_loop_relay_create *c = &m->u.relay;

			m->type = PC_LOOP_CMD_RELAY_CREATE;
			m->stream = next++;
			for (unsigned leg = 0; leg < 2; leg++) {
				c->local_rtp[leg].in4.sin_family = AF_INET;
				c->local_rtp[leg].in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
				c->leg[leg].flags = PC_RELAY_F_RTCP_MUX;
			}
			c->leg[1].remote_rtp.in4 = g->rx_addr;
			pc_loop_cmd_commit(loop, m);
		}
		while ((m = pc_loop_evt_poll(loop)) != NULL) {
			int rc = m->rc;

			if (m->type == PC_LOOP_EVT_CREATED && rc == 0)
				g->targets[m->stream] = m->u.created.rtp[0].in4;
			pc_loop_evt_release(loop, m);
			if (rc < 0) {
				fprintf(stderr, "phonecore bench relay: relay create failed: %s\n",
					strerror(-rc));
				return rc;
			}
			created++;
		}
		if (pc_bench_now_ns() > deadline)
			return -ETIMEDOUT;
	}
	return 0;
}

/* --- rtpengine: started here, driven over its ng control protocol (bencode over UDP) ------- */

struct rtpe {
	pid_t pid;
	int ng_fd;
	struct sockaddr_in ng;
	unsigned cookie;
};

/* Append a bencoded string. */
static size_t benc_str(char *p, size_t room, const char *s)
{
	int k = snprintf(p, room, "%zu:%s", strlen(s), s);

	return k > 0 && (size_t)k < room ? (size_t)k : room;
}

/* One ng request: "cookie d<pairs>e"; waits up to 2 s for the reply into @reply. */
static int rtpe_request(struct rtpe *r, const char *const *kv, unsigned nkv, char *reply,
			size_t reply_len)
{
	char req[4096], cookie[32];
	size_t off;
	uint64_t deadline = pc_bench_now_ns() + 2000000000u;

	snprintf(cookie, sizeof(cookie), "pc%u", ++r->cookie);
	off = (size_t)snprintf(req, sizeof(req), "%s d", cookie);
	for (unsigned i = 0; i < nkv && off < sizeof(req); i++)
		off += benc_str(req + off, sizeof(req) - off, kv[i]);
	if (off + 2 >= sizeof(req))
		return -E2BIG;
	req[off++] = 'e';
	if (sendto(r->ng_fd, req, off, 0, (struct sockaddr *)&r->ng, sizeof(r->ng)) < 0)
		return -errno;
	while (pc_bench_now_ns() < deadline) {
		ssize_t k = recv(r->ng_fd, reply, reply_len - 1, 0);

		if (k > 0) {
			reply[k] = '\0';
			if (strncmp(reply, cookie, strlen(cookie)) == 0)
				return 0;
			continue;
		}
		usleep(1000);
	}
	return -ETIMEDOUT;
}

static void rtpe_stop(struct rtpe *r)
{
	if (r->pid > 0) {
		kill(r->pid, SIGTERM);
		for (int i = 0; i < 200; i++) {
			if (waitpid(r->pid, NULL, WNOHANG) == r->pid) {
				r->pid = 0;
				break;
			}
			usleep(10000);
		}
		if (r->pid > 0) {
			kill(r->pid, SIGKILL);
			waitpid(r->pid, NULL, 0);
		}
	}
	if (r->ng_fd >= 0)
		close(r->ng_fd);
	r->pid = 0;
	r->ng_fd = -1;
}

static int rtpe_start(struct rtpe *r, int cpu)
{
	char ng[64], pmin[32], pmax[32], reply[512];
	const char *ping[] = { "command", "ping" };
	int devnull;

	memset(r, 0, sizeof(*r));
	r->ng_fd = -1;
	if (access("/usr/bin/rtpengine", X_OK) != 0) {
		fprintf(stderr, "phonecore bench relay: rtpengine not installed (Debian: "
				"rtpengine-daemon): reference rows are null\n");
		return -ENOENT;
	}
	snprintf(ng, sizeof(ng), "--listen-ng=127.0.0.1:%u", RELAY_RTPE_NG_PORT);
	snprintf(pmin, sizeof(pmin), "--port-min=%u", RELAY_RTPE_PORT_MIN);
	snprintf(pmax, sizeof(pmax), "--port-max=%u", RELAY_RTPE_PORT_MAX);
	r->pid = fork();
	if (r->pid < 0)
		return -errno;
	if (r->pid == 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
		devnull = open("/dev/null", O_WRONLY);
		if (devnull >= 0) {
			dup2(devnull, 1);
			dup2(devnull, 2);
		}
		execl("/usr/bin/rtpengine", "rtpengine", "--table=-1", "--interface=127.0.0.1", ng,
		      pmin, pmax, "--foreground", "--log-stderr", "--log-level=3",
		      "--num-threads=1", "--delete-delay=0", "--no-redis-required", (char *)NULL);
		_exit(127);
	}
	r->ng_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (r->ng_fd < 0)
		goto out_fail;
	r->ng.sin_family = AF_INET;
	r->ng.sin_port = htons(RELAY_RTPE_NG_PORT);
	r->ng.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int i = 0; i < 50; i++) {
		if (rtpe_request(r, ping, 2, reply, sizeof(reply)) == 0 && strstr(reply, "pong"))
			return 0;
		if (waitpid(r->pid, NULL, WNOHANG) == r->pid) {
			r->pid = 0;
			break;
		}
		usleep(100000);
	}
out_fail:
	fprintf(stderr, "phonecore bench relay: rtpengine did not start or answer: reference "
			"rows are null\n");
	rtpe_stop(r);
	return -ECONNREFUSED;
}

/* The port rtpengine put in the SDP of its reply ("m=audio PORT "). */
static int sdp_port(const char *reply)
{
	const char *m = strstr(reply, "m=audio ");

	return m ? atoi(m + 8) : -1;
}

static int rtpe_setup_calls(struct rtpe *r, struct gen *g)
{
	char sdp_a[256], sdp_b[256], callid[32], reply[4096];

	snprintf(sdp_a, sizeof(sdp_a),
		 "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
		 "m=audio %u RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
		 ntohs(g->tx_addr.sin_port));
	snprintf(sdp_b, sizeof(sdp_b),
		 "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
		 "m=audio %u RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
		 ntohs(g->rx_addr.sin_port));
	for (unsigned i = 0; i < g->ncalls; i++) {
		const char *offer[] = { "command",  "offer", "call-id", callid,
					"from-tag", "a",     "sdp",	sdp_a };
		const char *answer[] = { "command", "answer", "call-id", callid, "from-tag",
					 "a",	    "to-tag", "b",	 "sdp",	 sdp_b };
		int rc, port;

		snprintf(callid, sizeof(callid), "pcbench-%u", i);
		rc = rtpe_request(r, offer, 8, reply, sizeof(reply));
		if (rc == 0)
			rc = rtpe_request(r, answer, 10, reply, sizeof(reply));
		port = rc == 0 ? sdp_port(reply) : -1;
		if (port <= 0) {
			fprintf(stderr,
				"phonecore bench relay: rtpengine offer/answer of call %u "
				"failed\n",
				i);
			return rc < 0 ? rc : -EPROTO;
		}
		/* The answer's SDP goes to A: the port A sends to. */
		g->targets[i].sin_family = AF_INET;
		g->targets[i].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		g->targets[i].sin_port = htons((uint16_t)port);
	}
	return 0;
}

/* --- measuring -------------------------------------------------------------------------------- */

struct result {
	double max_pps; /* NAN: not measured */
	bool gen_bound; /* the generator could not send more: max_pps is a lower bound */
	uint64_t p50, p99, p999;
	double lat_pps;
	double lat_loss; /* loss during the latency run */
};

static bool trial_ok(const struct trial *t)
{
	return t->sent > 0 && (double)(t->sent - (t->recv < t->sent ? t->recv : t->sent)) <=
				      RELAY_LOSS_MAX * (double)t->sent;
}

/* Either find the highest rate under the loss bound (@lat_pps == 0), or measure the latency
 * at @lat_pps. The two run on fresh relays: a relay that was overloaded by the search (rtpengine
 * stops reading overloaded sockets) must not spoil the latency run. */
static void measure(struct gen *g, bool quick, double lat_pps, struct result *res)
{
	double secs = quick ? 0.25 : 1.0, good = 0, bad = 0, rate = 20000;
	struct trial t;

	gen_run(g, 10000, quick ? 0.1 : 0.3, false, &t); /* warm-up: caches, latching */
	if (lat_pps > 0) {
		pc_hist_reset(g->hist);
		gen_run(g, lat_pps, secs, true, &t);
		res->lat_pps = lat_pps;
		res->lat_loss = t.sent ? 1.0 - (double)t.recv / (double)t.sent : 1.0;
		res->p50 = pc_hist_quantile(g->hist, 0.5);
		res->p99 = pc_hist_quantile(g->hist, 0.99);
		res->p999 = pc_hist_quantile(g->hist, 0.999);
		return;
	}
	res->gen_bound = false;
	for (;;) {
		gen_run(g, rate, secs, false, &t);
		if (t.achieved_pps < 0.97 * rate) {
			res->gen_bound = trial_ok(&t);
			if (res->gen_bound)
				good = t.achieved_pps;
			else
				bad = rate;
			break;
		}
		if (!trial_ok(&t)) {
			bad = rate;
			break;
		}
		good = rate;
		rate *= 1.5;
	}
	for (unsigned i = 0; bad > 0 && i < (quick ? 2u : 5u); i++) {
		double mid = (good + bad) / 2;

		gen_run(g, mid, secs, false, &t);
		if (trial_ok(&t) && t.achieved_pps >= 0.97 * mid)
			good = mid;
		else
			bad = mid;
	}
	res->max_pps = good;
}

static int run_phonecore(struct gen *g, enum pc_io_backend b, int cpu, bool quick, double lat_pps,
			 struct result *res)
{
	struct pc_io_conf ioc = {
		.backend = b, .pkts = 16384, .max_ports = 4 * RELAY_CALLS + 8, .no_fallback = true
	};
	struct pc_loop_conf lc = { .max_streams = RELAY_CALLS };
	struct media_thread m = { .bare_fd = -1 };
	struct pc_loop_msg *stop;
	struct pc_io *io;
	int rc;

	rc = pc_io_create(&io, &ioc);
	if (rc < 0)
		return rc;
	lc.io = io;
	rc = pc_loop_create(&m.loop, &lc);
	if (rc < 0)
		goto out_io;
	rc = pc_bench_thread_start(&m.tid, cpu, loop_main, &m);
	if (rc < 0)
		goto out_loop;
	rc = phonecore_setup_calls(m.loop, g);
	if (rc == 0)
		measure(g, quick, lat_pps, res);
	while ((stop = pc_loop_cmd_reserve(m.loop)) == NULL)
		usleep(1000);
	stop->type = PC_LOOP_CMD_STOP;
	pc_loop_cmd_commit(m.loop, stop);
	pthread_join(m.tid, NULL);
out_loop:
	pc_loop_destroy(m.loop);
out_io:
	pc_io_destroy(io);
	return rc;
}

static int run_bare(struct gen *g, int cpu, bool quick, double lat_pps, struct result *res)
{
	struct media_thread m = { .bare_fd = -1 };
	struct sockaddr_in a;
	int rc;

	m.bare_fd = udp_bound(&a);
	if (m.bare_fd < 0)
		return m.bare_fd;
	m.sink = g->rx_addr;
	atomic_init(&m.stop, 0);
	for (unsigned i = 0; i < g->ncalls; i++)
		g->targets[i] = a;
	rc = pc_bench_thread_start(&m.tid, cpu, bare_main, &m);
	if (rc == 0) {
		measure(g, quick, lat_pps, res);
		pc_store_relaxed(&m.stop, 1);
		pthread_join(m.tid, NULL);
	}
	close(m.bare_fd);
	return rc;
}

static int run_rtpengine(struct gen *g, int cpu, bool quick, double lat_pps, struct result *res)
{
	struct rtpe r;
	int rc = rtpe_start(&r, cpu);

	if (rc < 0)
		return rc;
	rc = rtpe_setup_calls(&r, g);
	if (rc == 0)
		measure(g, quick, lat_pps, res);
	rtpe_stop(&r);
	return rc;
}

/* A latency that was not measured is NAN (written as null), never 0. */
static double lat_of(const struct result *r, uint64_t v)
{
	return r->lat_pps > 0 ? (double)v : NAN;
}

static void report_impl(struct pc_bench_report *rep, const char *case_name,
			const struct result *ours, const struct result *ref, const char *ref_name)
{
	static const char *const metric[3] = { "latency_p50", "latency_p99", "latency_p99.9" };
	const uint64_t ov[3] = { ours->p50, ours->p99, ours->p999 };
	const uint64_t rv[3] = { ref->p50, ref->p99, ref->p999 };

	pc_bench_report_row(rep, case_name, "max_rate_loss_under_0.1pct", "pps",
			    PC_BENCH_HIGHER_BETTER, ours->max_pps, ref_name, ref->max_pps);
	for (unsigned i = 0; i < 3; i++)
		pc_bench_report_row(rep, case_name, metric[i], "ns", PC_BENCH_LOWER_BETTER,
				    lat_of(ours, ov[i]), ref_name, lat_of(ref, rv[i]));
}

int pc_bench_relay_run(const struct pc_bench_opts *o)
{
	struct result res[IMPL_COUNT];
	struct pc_bench_report *rep = NULL;
	struct gen g = { .tx_fd = -1, .rx_fd = -1, .ncalls = RELAY_CALLS };
	struct rlimit rl;
	int cpu_gen, cpu_relay, rc;
	cpu_set_t saved_cpus;
	double lat_common = 0;

	rc = pc_bench_cpus(o, &cpu_gen, &cpu_relay);
	if (rc < 0)
		return rc;
	pthread_getaffinity_np(pthread_self(), sizeof(saved_cpus), &saved_cpus);
	/* Every call holds sockets: lift the soft limit on open files to the hard one. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	rc = pc_bench_report_create(&rep, "relay", o);
	if (rc < 0)
		return rc;
	rc = pc_hist_create(&g.hist);
	if (rc < 0)
		goto out;
	g.targets = calloc(g.ncalls, sizeof(*g.targets));
	g.seq = calloc(g.ncalls, sizeof(*g.seq));
	g.tx_fd = udp_bound(&g.tx_addr);
	g.rx_fd = udp_bound(&g.rx_addr);
	if (g.targets == NULL || g.seq == NULL || g.tx_fd < 0 || g.rx_fd < 0) {
		rc = -ENOMEM;
		goto out;
	}
	/* The generator runs here, on its CPU; the caller's affinity (saved above) comes back at
	 * the end: the next benchmark checks which CPUs it may use. */
	{
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu_gen, &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	for (unsigned i = 0; i < IMPL_COUNT; i++) {
		memset(&res[i], 0, sizeof(res[i]));
		res[i].max_pps = NAN;
	}
	/* Twice through every relay: first the highest rate, then, on a fresh instance, the
	 * latency at one common rate for all: half the lowest maximum among them (so that every
	 * relay is compared under the same load, which none of them finds hard). */
	for (unsigned pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < IMPL_COUNT; i++) {
			struct result *r = &res[i];
			double lat = pass ? lat_common : 0;

			if (pass && !(r->max_pps > 0))
				continue;
			if (i == IMPL_SOCKETS || i == IMPL_URING)
				rc = run_phonecore(&g,
						   i == IMPL_SOCKETS ? PC_IO_SOCKETS : PC_IO_URING,
						   cpu_relay, o->quick, lat, r);
			else if (i == IMPL_BARE)
				rc = run_bare(&g, cpu_relay, o->quick, lat, r);
			else
				rc = run_rtpengine(&g, cpu_relay, o->quick, lat, r);
			if (rc < 0 && !pass) {
				r->max_pps = NAN;
				pc_bench_report_note(rep, "%s: could not run: %s", impl_name[i],
						     strerror(-rc));
			} else if (rc < 0) {
				r->lat_pps = 0;
				pc_bench_report_note(rep, "%s: latency run failed: %s",
						     impl_name[i], strerror(-rc));
			}
		}
		for (unsigned i = 0; !pass && i < IMPL_COUNT; i++)
			if (res[i].max_pps > 0 &&
			    (lat_common == 0 || res[i].max_pps / 2 < lat_common))
				lat_common = res[i].max_pps / 2;
	}
	rc = 0;

	pc_bench_report_note(
		rep,
		"setup: %u calls, %u-byte RTP packets (G.711 20 ms) from one socket "
		"round-robin over the calls' A-leg ports, forwarded to one sink socket; "
		"generator on CPU %d, relay on CPU %d; trials of %.2f s; max rate = "
		"highest rate with under %.1f%% loss (ladder x1.5, then bisection); "
		"latency of every relay at one rate: half the lowest max rate",
		RELAY_CALLS, RELAY_PKT_LEN, cpu_gen, cpu_relay, o->quick ? 0.25 : 1.0,
		RELAY_LOSS_MAX * 100);
	for (unsigned i = 0; i < IMPL_COUNT; i++)
		if (res[i].max_pps > 0)
			pc_bench_report_note(
				rep,
				"%s: max %.0f pps%s; latency p50/p99/p99.9 %" PRIu64 "/%" PRIu64
				"/%" PRIu64 " ns at %.0f pps (loss %.3f%%)",
				impl_name[i], res[i].max_pps,
				res[i].gen_bound ? " (generator-bound: a lower bound)" : "",
				res[i].p50, res[i].p99, res[i].p999, res[i].lat_pps,
				res[i].lat_loss * 100);
	report_impl(rep, "relay/sockets", &res[IMPL_SOCKETS], &res[IMPL_RTPENGINE],
		    impl_name[IMPL_RTPENGINE]);
	report_impl(rep, "relay/uring", &res[IMPL_URING], &res[IMPL_RTPENGINE],
		    impl_name[IMPL_RTPENGINE]);
	pc_bench_report_row(rep, "relay/sockets-vs-bare", "max_rate_loss_under_0.1pct", "pps",
			    PC_BENCH_HIGHER_BETTER, res[IMPL_SOCKETS].max_pps, impl_name[IMPL_BARE],
			    res[IMPL_BARE].max_pps);
	pc_bench_report_row(rep, "relay/uring-vs-bare", "max_rate_loss_under_0.1pct", "pps",
			    PC_BENCH_HIGHER_BETTER, res[IMPL_URING].max_pps, impl_name[IMPL_BARE],
			    res[IMPL_BARE].max_pps);
	pc_bench_report_note(rep, "relay/dpdk: not measured yet (needs the DPDK generator on the "
				  "other side of a net_ring pair)");
	rc = pc_bench_report_finish(rep);
out:
	pthread_setaffinity_np(pthread_self(), sizeof(saved_cpus), &saved_cpus);
	if (g.tx_fd >= 0)
		close(g.tx_fd);
	if (g.rx_fd >= 0)
		close(g.rx_fd);
	free(g.targets);
	free(g.seq);
	pc_hist_destroy(g.hist);
	pc_bench_report_destroy(rep);
	return rc;
}
