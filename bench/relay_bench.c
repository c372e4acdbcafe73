/* SPDX-License-Identifier: MIT */
/*
 * relay_bench.c - benchmark "relay": RTP relaying on one media core, phonecore's loop + relay on
 * each I/O backend against rtpengine (userspace, --table=-1) and a bare recvmmsg/sendmmsg
 * forwarder, all measured in the same run through the same load generator.
 *
 * Generator. On CPU 0 (the relay under test on CPU 1). It sends 172-byte RTP packets (12-byte
 * header, 160 bytes of G.711 payload, 20 ms at 8 kHz) round-robin over the calls, paced in
 * bursts of up to 32 (in the latency and held-call runs never catching up after a stall of its
 * own: what it missed beyond two bursts is skipped and counted, so its preemption is not offered
 * to the relay as a burst), and counts what the relay forwards back. The send time and a trial number
 * ride in the payload: one-way forwarding latency = receive time - send time, into a histogram;
 * packets of an earlier trial are not counted.
 *   - kernel: two UDP sockets on 127.0.0.1, the A side and the B side (the sink), sendmmsg and
 *     recvmmsg. For the sockets and uring backends, the bare forwarder and rtpengine.
 *   - dpdk: the generator owns a phonecore dpdk I/O instance at 10.0.0.2 on one end of a
 *     net_ring pair (two rte_rings crossed: a wire in memory, standing for a kernel-bypass NIC)
 *     for its port and buffers, but sends and counts through the light generator of
 *     relay_dpdk_gen.c: template frames patched per packet, bulk allocation, a sink that reads
 *     fixed offsets. The relay's dpdk instance is on the other end. Each relay instance gets a
 *     new ethdev on the same rings and a new IPv4 address (10.0.1.k), which the generator
 *     resolves afresh by ARP. Its same-run floor is the bare DPDK forwarder of
 *     relay_dpdk_bare.c (rx burst, rewrite for the other leg, tx burst) on the same wire.
 *
 * Max rate. 100 calls, A -> B only (the sink is one socket): the highest rate forwarded with
 * under 0.1% loss (a rising ladder of rates, then a bisection between the last good and the
 * first bad rate, each trial a fixed time); then, on fresh instances, the latency p50/p99/p99.9
 * of every relay at one common rate (half the lowest kernel maximum, so all are compared under
 * the same load), and of each at half its own maximum (its "half load"; the bare DPDK forwarder
 * at relay/dpdk's half load, the floor at the same rate). When the generator cannot send the
 * rate asked (the loopback kernel path costs about 3.4 us a packet here), the figure is a lower
 * bound and is noted so. On the dpdk wire, frames the full ring towards the relay refuses are
 * the relay's loss (its receive queue overflowed), not a shortfall of the generator. Each
 * latency run also records the share of its time the relay and the generator were on a CPU:
 * both poll, so less than 100% means other work preempted them and the tail is the machine's.
 * `phonecore bench --isolate` (bench/isolate.c) gives the relay's CPU to this process alone for
 * the run, and DPDK's memory is on hugepages where some are reserved (bench/eal.c): the two
 * things that decide the latency tail at half load on this machine.
 *
 * Held calls. 1,000 and 10,000 calls at 50 packets/s in each direction (100 per call), both
 * directions through the relay, for a fixed time after a warm-up (latching, ARP): the share of
 * packets delivered, the latency, and the relay's CPU per call (its thread's CPU clock for
 * phonecore, running with the loop's sleep-when-idle policy so that CPU time means work done;
 * utime + stime of the process for rtpengine). The kernel generator sends at most about 300k
 * packets/s here, so 10,000 calls (1M packets/s) run on the dpdk pair only.
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
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "bench_pvt.h"
#include "hist_pvt.h"
#include "pc_loop.h"

#define RELAY_CALLS 100u
#define RELAY_HELD_MAX 10000u
#define RELAY_HELD_PPS_PER_DIR 50u
#define RELAY_PKT_LEN 172u
#define RELAY_BURST 32u
/* The most a paced generator sends late to catch up with its schedule: two bursts. */
#define RELAY_CATCHUP (2u * RELAY_BURST)
#define RELAY_LOSS_MAX 0.001
#define RELAY_RTPE_NG_PORT 22922u
#define RELAY_RTPE_PORT_MIN 31000u
#define RELAY_RTPE_PORT_MAX 39999u
/* The dpdk pair: the generator at 10.0.0.2, relay instance k at 10.0.1.k. */
#define RELAY_DPDK_GEN_IP 0x0a000002u
#define RELAY_DPDK_RELAY_NET 0x0a000100u
#define RELAY_DPDK_RING_SLOTS 8192u
#define RELAY_DPDK_LEG_A_PORT 10000u /* + call: explicit, 20,000 legs exceed the dynamic range */
#define RELAY_DPDK_LEG_B_PORT 30000u

enum relay_impl {
	IMPL_SOCKETS,
	IMPL_URING,
	IMPL_DPDK,
	IMPL_BARE,
	IMPL_RTPENGINE,
	IMPL_BARE_DPDK, /* after IMPL_DPDK: its latency run is at relay/dpdk's half max */
	IMPL_COUNT,
};

static const char *const impl_name[IMPL_COUNT] = {
	[IMPL_SOCKETS] = "phonecore sockets",
	[IMPL_URING] = "phonecore uring",
	[IMPL_DPDK] = "phonecore dpdk (net_ring pair)",
	[IMPL_BARE] = "bare recvmmsg/sendmmsg forwarder (1 socket)",
	[IMPL_RTPENGINE] = "rtpengine (userspace)",
	[IMPL_BARE_DPDK] = "bare DPDK forwarder (net_ring: rx, rewrite, tx)",
};

struct gen {
	/* Kernel generator: [0] the A side, [1] the B side (the sink of A -> B). */
	int fd[2];
	union pc_pkt_addr addr[2];
	/* DPDK generator: an I/O instance on the generator's end of the net_ring pair (its port
	 * and buffers), driven by the light generator dgen. */
	struct pc_io *dpdk;
	struct pc_bench_dgen *dgen;
	uint16_t dport[2];	    /* its ports (pc_io port ids), A and B side */
	union pc_pkt_addr daddr[2]; /* their addresses */
	unsigned relays;	    /* dpdk relay instances made so far (their addresses) */
	const char *dpdk_why;	    /* why there is no dpdk pair, or NULL */
	/* The run under way. */
	bool use_dpdk;
	bool both; /* both directions (held calls); else A -> B only */
	unsigned ncalls;
	union pc_pkt_addr *targets[2]; /* per call: where side s sends (the relay's leg) */
	uint16_t *seq[2];
	unsigned next_call, next_side;
	uint32_t trial; /* rides in every payload: packets of an earlier trial are not counted */
	struct pc_hist *hist;
};

struct trial {
	uint64_t sent, recv;
	/* Packets not sent because the generator itself fell behind (it was preempted): a steady
	 * offered load has no catch-up burst (see gen_run_cpu). */
	uint64_t skipped;
	double achieved_pps;  /* what the generator managed to send */
	uint64_t send_end_ns; /* when sending stopped (the drain follows) */
	uint64_t cpu_end_ns;  /* the relay's CPU clock then (with a probe) */
};

/* Whose CPU time a held-calls run charges (defined below). */
struct cpu_probe;
static uint64_t cpu_probe_ns(const struct cpu_probe *c);

/* --- generator ------------------------------------------------------------------------------ */

static int udp_bound(union pc_pkt_addr *addr)
{
	socklen_t len = sizeof(addr->in4);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), sz = 8 << 20;

	if (fd < 0)
		return -errno;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	memset(addr, 0, sizeof(*addr));
	addr->in4.sin_family = AF_INET;
	addr->in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, &addr->sa, sizeof(addr->in4)) < 0 || getsockname(fd, &addr->sa, &len) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

static union pc_pkt_addr addr4(uint32_t ip, uint16_t port)
{
	union pc_pkt_addr a;

	memset(&a, 0, sizeof(a));
	a.in4.sin_family = AF_INET;
	a.in4.sin_addr.s_addr = htonl(ip);
	a.in4.sin_port = htons(port);
	return a;
}

/* One RTP packet of the next call and side (both directions: A, B, then the next call). */
static unsigned gen_fill(struct gen *g, uint8_t *p, uint64_t now, unsigned *call_out)
{
	unsigned call = g->next_call, side = g->next_side;
	uint16_t seq = g->seq[side][call]++;
	uint32_t ssrc = htonl(2 * call + side + 1), ts = htonl((uint32_t)seq * 160u);

	memset(p, 0xd5, RELAY_PKT_LEN); /* G.711 mu-law silence */
	p[0] = 0x80;			/* RTP v2, PT 0 (PCMU) */
	p[1] = 0;
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	memcpy(p + 4, &ts, 4);
	memcpy(p + 8, &ssrc, 4);
	memcpy(p + 12, &now, sizeof(now));
	memcpy(p + 20, &g->trial, sizeof(g->trial));
	if (g->both && side == 0) {
		g->next_side = 1;
	} else {
		g->next_side = 0;
		g->next_call = call + 1 == g->ncalls ? 0 : call + 1;
	}
	*call_out = call;
	return side;
}

/* Count one received payload and record its latency. */
static bool gen_count(struct gen *g, const uint8_t *d, size_t len, uint64_t now, bool record)
{
	uint64_t sent_ns;
	uint32_t trial;

	if (len < 24)
		return false;
	memcpy(&trial, d + 20, sizeof(trial));
	if (trial != g->trial)
		return false; /* late from an earlier trial: not this one's */
	memcpy(&sent_ns, d + 12, sizeof(sent_ns));
	if (record && now > sent_ns)
		pc_hist_record(g->hist, now - sent_ns);
	return true;
}

static uint64_t gen_receive_fd(struct gen *g, int fd, bool record)
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
		int k = recvmmsg(fd, msgs, 64, MSG_DONTWAIT, NULL);
		uint64_t now;

		if (k <= 0)
			break;
		now = pc_bench_now_ns();
		for (int i = 0; i < k; i++)
			got += gen_count(g, bufs[i], msgs[i].msg_len, now, record);
	}
	return got;
}

/* Drain what came back: count packets, record latencies. */
static uint64_t gen_receive(struct gen *g, bool record)
{
	if (g->use_dpdk)
		return pc_bench_dgen_receive(g->dgen, g->trial, record ? g->hist : NULL);
	return gen_receive_fd(g, g->fd[1], record) +
	       (g->both ? gen_receive_fd(g, g->fd[0], record) : 0);
}

static unsigned gen_send_fd(struct gen *g, unsigned n, uint64_t now)
{
	static uint8_t pkts[RELAY_BURST][RELAY_PKT_LEN];
	struct mmsghdr msgs[2][RELAY_BURST];
	struct iovec iov[2][RELAY_BURST];
	unsigned cnt[2] = { 0, 0 }, sent = 0;

	for (unsigned i = 0; i < n; i++) {
		unsigned call, side = gen_fill(g, pkts[i], now, &call), j = cnt[side]++;

		iov[side][j].iov_base = pkts[i];
		iov[side][j].iov_len = RELAY_PKT_LEN;
		memset(&msgs[side][j].msg_hdr, 0, sizeof(msgs[side][j].msg_hdr));
		msgs[side][j].msg_hdr.msg_iov = &iov[side][j];
		msgs[side][j].msg_hdr.msg_iovlen = 1;
		msgs[side][j].msg_hdr.msg_name = &g->targets[side][call];
		msgs[side][j].msg_hdr.msg_namelen = sizeof(struct sockaddr_in);
	}
	for (unsigned side = 0; side < 2; side++) {
		int k = cnt[side] ? sendmmsg(g->fd[side], msgs[side], cnt[side], MSG_DONTWAIT) : 0;

		sent += k > 0 ? (unsigned)k : 0;
	}
	return sent;
}

/* Send at @pps for @seconds, then drain for 100 ms. @cpu (may be NULL): sampled when sending
 * stops, so that the drain's idle time is not charged to the relay. */
static void gen_run_cpu(struct gen *g, double pps, double seconds, bool record, bool steady,
			struct trial *t, const struct cpu_probe *cpu)
{
	uint64_t start = pc_bench_now_ns(), end = start + (uint64_t)(seconds * 1e9), now;

	memset(t, 0, sizeof(*t));
	g->trial++;
	while ((now = pc_bench_now_ns()) < end) {
		uint64_t due = (uint64_t)((double)(now - start) * pps / 1e9);
		uint64_t behind = due > t->sent + t->skipped ? due - t->sent - t->skipped : 0;
		unsigned n;

		/* Paced. @steady (latency and held-call runs): never catching up: when the
		 * generator is more than a few bursts behind its schedule (its own core was
		 * taken away), the packets it missed are skipped, not sent in one burst. Such a
		 * burst is not the load asked for: it would queue at the relay and charge the
		 * generator's stall to the relay's latency. The skipped packets are counted. The
		 * max-rate trials do catch up: they ask whether the relay keeps up with the
		 * rate, and a generator stall must not pass for the generator's limit. */
		if (steady && behind > RELAY_CATCHUP) {
			t->skipped += behind - RELAY_CATCHUP;
			behind = RELAY_CATCHUP;
		}
		n = behind > RELAY_BURST ? RELAY_BURST : (unsigned)behind;
		if (n > 0)
			t->sent += g->use_dpdk ? pc_bench_dgen_send(g->dgen, n, now, g->trial) :
						 gen_send_fd(g, n, now);
		t->recv += gen_receive(g, record);
	}
	t->achieved_pps = (double)t->sent / seconds;
	t->send_end_ns = pc_bench_now_ns();
	if (cpu != NULL)
		t->cpu_end_ns = cpu_probe_ns(cpu);
	end = pc_bench_now_ns() + 100000000u;
	while (pc_bench_now_ns() < end)
		t->recv += gen_receive(g, record);
}

static void gen_run(struct gen *g, double pps, double seconds, bool record, struct trial *t)
{
	gen_run_cpu(g, pps, seconds, record, false, t, NULL);
}

/* The dpdk generator: EAL, the net_ring pair's generator end, its two ports. NULL reason: up. */
static const char *gen_dpdk_start(struct gen *g)
{
	static char why[160];
	struct pc_io_conf c = {
		.backend = PC_IO_DPDK,
		.pkts = 32768,
		.max_ports = 4,
		/* No eal_args: EAL is the benchmarks' (bench/eal.c: hugepages where reserved),
		 * started below; the port is a net_ring end made by pc_bench_netring_port(). */
		.dpdk_ipv4 = htonl(RELAY_DPDK_GEN_IP),
	};
	int rc, port;

	if (pc_bench_eal_start() < 0) {
		snprintf(why, sizeof(why), "DPDK EAL did not start: %s", pc_bench_eal_error());
		return why;
	}
	port = pc_bench_netring_port("pcb_gen", "pcb_to_gen", "pcb_to_relay",
				     RELAY_DPDK_RING_SLOTS);
	if (port < 0) {
		snprintf(why, sizeof(why), "no net_ring pair: %s", strerror(-port));
		return why;
	}
	c.dpdk_port_id = (uint16_t)port;
	rc = pc_io_create(&g->dpdk, &c);
	if (rc < 0) {
		snprintf(why, sizeof(why), "the generator's dpdk instance: %s", strerror(-rc));
		return why;
	}
	for (unsigned s = 0; s < 2; s++) {
		union pc_pkt_addr local = addr4(RELAY_DPDK_GEN_IP, (uint16_t)(5000 + 2 * s));

		rc = pc_io_port_open(g->dpdk, &local, &g->daddr[s]);
		if (rc < 0) {
			snprintf(why, sizeof(why), "the generator's port: %s", strerror(-rc));
			pc_io_destroy(g->dpdk);
			g->dpdk = NULL;
			return why;
		}
		g->dport[s] = (uint16_t)rc;
	}
	rc = pc_bench_dgen_create(&g->dgen, g->dpdk, (const uint16_t[2]){ 5000, 5002 },
				  RELAY_HELD_MAX);
	if (rc < 0) {
		snprintf(why, sizeof(why), "the light generator: %s", strerror(-rc));
		pc_io_destroy(g->dpdk);
		g->dpdk = NULL;
		return why;
	}
	return NULL;
}

/* The generator's addresses of the run under way. */
static const union pc_pkt_addr *gen_addr(const struct gen *g, unsigned side)
{
	return g->use_dpdk ? &g->daddr[side] : &g->addr[side];
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

/* Create @g->ncalls relays on a running loop bound at @relay_ip (0: 127.0.0.1, any port): leg A
 * learns the generator's A side, leg B sends to its B side. Fills g->targets. */
static int phonecore_setup_calls(struct pc_loop *loop, struct gen *g, uint32_t relay_ip)
{
	unsigned created = 0, next = 0;
	uint64_t deadline = pc_bench_now_ns() + 20000000000ull;

	while (created < g->ncalls) {
		struct pc_loop_msg *m;

		/* Every create is answered by one event: with no more unanswered than the
		 * event channel holds (256), none is dropped. */
		while (next < g->ncalls && next - created < 128 &&
		       (m = pc_loop_cmd_reserve(loop)) != NULL) {
			struct pc_loop_relay_create *c = &m->u.relay;

			m->type = PC_LOOP_CMD_RELAY_CREATE;
			m->stream = next;
			for (unsigned leg = 0; leg < 2; leg++) {
				uint16_t port = (uint16_t)(leg ? RELAY_DPDK_LEG_B_PORT + next :
								 RELAY_DPDK_LEG_A_PORT + next);

				c->local_rtp[leg] = relay_ip ? addr4(relay_ip, port) :
							       addr4(INADDR_LOOPBACK, 0);
				c->leg[leg].flags = PC_RELAY_F_RTCP_MUX;
			}
			c->leg[1].remote_rtp = *gen_addr(g, 1);
			pc_loop_cmd_commit(loop, m);
			next++;
		}
		while ((m = pc_loop_evt_poll(loop)) != NULL) {
			int rc = m->rc;

			if (m->type == PC_LOOP_EVT_CREATED && rc == 0) {
				g->targets[0][m->stream] = m->u.created.rtp[0];
				g->targets[1][m->stream] = m->u.created.rtp[1];
			}
			pc_loop_evt_release(loop, m);
			if (rc < 0) {
				fprintf(stderr, "phonecore bench relay: relay create failed: %s\n",
					strerror(-rc));
				return rc;
			}
			created++;
		}
		if (pc_bench_now_ns() > deadline) {
			fprintf(stderr,
				"phonecore bench relay: %u of %u relays created (%u asked) in 20 s\n",
				created, g->ncalls, next);
			return -ETIMEDOUT;
		}
		if (created < next)
			usleep(20); /* the loop takes one create per iteration */
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

/* Offer from A, answer from B: the offer's reply goes to B (where B sends), the answer's to A. */
static int rtpe_setup_calls(struct rtpe *r, struct gen *g)
{
	char sdp_a[256], sdp_b[256], callid[32], reply[4096];

	snprintf(sdp_a, sizeof(sdp_a),
		 "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
		 "m=audio %u RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
		 ntohs(g->addr[0].in4.sin_port));
	snprintf(sdp_b, sizeof(sdp_b),
		 "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
		 "m=audio %u RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
		 ntohs(g->addr[1].in4.sin_port));
	for (unsigned i = 0; i < g->ncalls; i++) {
		const char *offer[] = { "command",  "offer", "call-id", callid,
					"from-tag", "a",     "sdp",	sdp_a };
		const char *answer[] = { "command", "answer", "call-id", callid, "from-tag",
					 "a",	    "to-tag", "b",	 "sdp",	 sdp_b };
		int rc, port_b = -1, port_a = -1;

		snprintf(callid, sizeof(callid), "pcbench-%u", i);
		rc = rtpe_request(r, offer, 8, reply, sizeof(reply));
		if (rc == 0) {
			port_b = sdp_port(reply);
			rc = rtpe_request(r, answer, 10, reply, sizeof(reply));
		}
		port_a = rc == 0 ? sdp_port(reply) : -1;
		if (port_a <= 0 || port_b <= 0) {
			fprintf(stderr,
				"phonecore bench relay: rtpengine offer/answer of call %u "
				"failed\n",
				i);
			return rc < 0 ? rc : -EPROTO;
		}
		g->targets[0][i] = addr4(INADDR_LOOPBACK, (uint16_t)port_a);
		g->targets[1][i] = addr4(INADDR_LOOPBACK, (uint16_t)port_b);
	}
	return 0;
}

/* utime + stime of a process, all its threads, in nanoseconds; 0 when unreadable. */
static uint64_t proc_cpu_ns(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* the command name may hold blanks */
	if (p == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return 0;
	return (uint64_t)(ut + st) * (1000000000u / (uint64_t)sysconf(_SC_CLK_TCK));
}

static uint64_t thread_cpu_ns(pthread_t t)
{
	clockid_t clk;
	struct timespec ts;

	if (pthread_getcpuclockid(t, &clk) != 0 || clock_gettime(clk, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* --- measuring -------------------------------------------------------------------------------- */

/* Whose CPU time a held-calls run charges: a thread of ours, or a process. */
struct cpu_probe {
	pthread_t tid;
	pid_t pid; /* > 0: the process */
};

static uint64_t cpu_probe_ns(const struct cpu_probe *c)
{
	return c->pid > 0 ? proc_cpu_ns(c->pid) : thread_cpu_ns(c->tid);
}

struct result {
	double max_pps; /* NAN: not measured */
	bool gen_bound; /* the generator could not send more: max_pps is a lower bound */
	uint64_t p50, p99, p999;
	double lat_pps;
	double lat_loss; /* loss during the latency run */
	/* During the latency run: the share of the time the relay (its thread, or rtpengine's
	 * process) and the generator were on a CPU. Both poll, so below 1 means preempted by
	 * other work: the tail latencies then measure the machine, not the relay. */
	double lat_relay_cpu, lat_gen_cpu;
	unsigned lat_runs;  /* the latency run reported: the first, second or third */
	double lat_skipped; /* share of the latency run's packets the generator skipped */
	unsigned retries;   /* max-rate trials run again (see trial_at()) */
};

struct held {
	double delivered;	/* share of the packets sent that came back; NAN: not run */
	double cpu_us_per_call; /* relay CPU microseconds per second per call */
	double cpu_share;	/* of one core */
	double asked_pps, achieved_pps;
	uint64_t p50, p99;
};

static bool trial_ok(const struct trial *t)
{
	return t->sent > 0 && (double)(t->sent - (t->recv < t->sent ? t->recv : t->sent)) <=
				      RELAY_LOSS_MAX * (double)t->sent;
}

static uint64_t self_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The share of its time each side of a run spent on a CPU. The relay's says nothing for
 * rtpengine (it sleeps in epoll when idle): 1 then. */
struct run_cpu {
	uint64_t t0, c0, s0;
	double relay, gen;
};

static void run_cpu_start(struct run_cpu *r, const struct cpu_probe *cpu)
{
	r->t0 = pc_bench_now_ns();
	r->c0 = cpu_probe_ns(cpu);
	r->s0 = self_cpu_ns();
}

static void run_cpu_end(struct run_cpu *r, const struct cpu_probe *cpu, const struct trial *t)
{
	r->relay = cpu->pid > 0 ?
			   1.0 :
			   (double)(t->cpu_end_ns - r->c0) / (double)(t->send_end_ns - r->t0);
	r->gen = (double)(self_cpu_ns() - r->s0) / (double)(pc_bench_now_ns() - r->t0);
}

/* Both sides were on a CPU for 99% of the run or more: nothing else took it from them. */
static bool run_cpu_clean(const struct run_cpu *r)
{
	return r->relay >= 0.99 && r->gen >= 0.99;
}

/*
 * One trial of the max-rate search at @rate. On this shared 2-core VM one descheduling of either
 * thread for a few milliseconds fails a trial of millions of packets and says nothing about the
 * relay's rate, so a trial that fails (loss over the bound, or the generator short of the rate)
 * runs once more, and a third time when the second failure came while the relay or the
 * generator was preempted (off a CPU for more than 1% of it). The last run counts.
 */
static void trial_at(struct gen *g, double rate, double secs, const struct cpu_probe *cpu,
		     struct trial *t, unsigned *retries)
{
	for (unsigned k = 0; k < 3; k++) {
		struct run_cpu rc;

		if (k > 0)
			(*retries)++;
		run_cpu_start(&rc, cpu);
		gen_run_cpu(g, rate, secs, false, false, t, cpu);
		run_cpu_end(&rc, cpu, t);
		if (trial_ok(t) && t->achieved_pps >= 0.97 * rate)
			return;
		if (k == 1 && run_cpu_clean(&rc))
			return;
	}
}

/*
 * Either find the highest rate under the loss bound (@lat_pps == 0), or measure the latency
 * at @lat_pps. The two run on fresh relays: a relay that was overloaded by the search (rtpengine
 * stops reading overloaded sockets) must not spoil the latency run. The latency run is repeated
 * (up to 3 runs, 2 with --quick) while the relay or the generator was preempted during it; the
 * least disturbed run is reported, with its CPU shares (see struct result).
 */
static void measure(struct gen *g, bool quick, double lat_pps, const struct cpu_probe *cpu,
		    struct result *res)
{
	/* The dpdk wire starts higher: its relays forward millions of packets a second. */
	double secs = quick ? 0.25 : 1.0, good = 0, bad = 0, rate = g->use_dpdk ? 100000 : 20000;
	struct trial t;

	gen_run(g, 10000, quick ? 0.1 : 0.3, false, &t); /* warm-up: caches, latching, ARP */
	if (lat_pps > 0) {
		double best = -1;

		for (unsigned k = 0; k < (quick ? 2u : 3u); k++) {
			struct run_cpu rc;
			double worst;

			pc_hist_reset(g->hist);
			run_cpu_start(&rc, cpu);
			gen_run_cpu(g, lat_pps, secs, true, true, &t, cpu);
			run_cpu_end(&rc, cpu, &t);
			worst = rc.relay < rc.gen ? rc.relay : rc.gen;
			if (worst <= best)
				continue;
			best = worst;
			res->lat_runs = k + 1;
			res->lat_relay_cpu = rc.relay;
			res->lat_gen_cpu = rc.gen;
			res->lat_pps = lat_pps;
			res->lat_loss = t.sent ? 1.0 - (double)t.recv / (double)t.sent : 1.0;
			res->lat_skipped =
				t.sent + t.skipped ?
					(double)t.skipped / (double)(t.sent + t.skipped) :
					0.0;
			res->p50 = pc_hist_quantile(g->hist, 0.5);
			res->p99 = pc_hist_quantile(g->hist, 0.99);
			res->p999 = pc_hist_quantile(g->hist, 0.999);
			if (run_cpu_clean(&rc))
				break;
		}
		return;
	}
	res->gen_bound = false;
	for (;;) {
		trial_at(g, rate, secs, cpu, &t, &res->retries);
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

		trial_at(g, mid, secs, cpu, &t, &res->retries);
		if (trial_ok(&t) && t.achieved_pps >= 0.97 * mid)
			good = mid;
		else
			bad = mid;
	}
	res->max_pps = good;
}

/* @g->ncalls calls, both directions at 50 packets/s each, after a warm-up. */
static void measure_held(struct gen *g, bool quick, const struct cpu_probe *cpu, struct held *h)
{
	double secs = quick ? 1.0 : 5.0, pps = (double)g->ncalls * 2 * RELAY_HELD_PPS_PER_DIR;
	uint64_t c0, t0;
	struct trial t;

	gen_run(g, pps, quick ? 0.3 : 1.0, false, &t); /* latching, ARP, caches */
	pc_hist_reset(g->hist);
	t0 = pc_bench_now_ns();
	c0 = cpu_probe_ns(cpu);
	gen_run_cpu(g, pps, secs, true, true, &t, cpu);
	h->asked_pps = pps;
	h->achieved_pps = t.achieved_pps;
	h->delivered = t.sent ? (double)(t.recv < t.sent ? t.recv : t.sent) / (double)t.sent : 0;
	h->cpu_share = (double)(t.cpu_end_ns - c0) / (double)(t.send_end_ns - t0);
	h->cpu_us_per_call = h->cpu_share * 1e6 / (double)g->ncalls;
	h->p50 = pc_hist_quantile(g->hist, 0.5);
	h->p99 = pc_hist_quantile(g->hist, 0.99);
}

/* What one run of a relay is for: the max rate (lat_pps 0), the latency at lat_pps, or held
 * calls (held != NULL). */
struct job {
	bool quick;
	double lat_pps;
	struct result *res;
	struct held *held;
};

/* The dpdk generator: resolve the relay (all its legs have one address) and build the frames
 * of the calls in g->targets. */
static int gen_dpdk_prepare(struct gen *g)
{
	union pc_pkt_addr *const targets[2] = { g->targets[0], g->targets[1] };
	int rc;

	rc = pc_bench_dgen_resolve(g->dgen, g->targets[0][0].in4.sin_addr.s_addr, 2000000000u);
	if (rc < 0) {
		fprintf(stderr, "phonecore bench relay: the dpdk relay at %s did not answer ARP\n",
			inet_ntoa(g->targets[0][0].in4.sin_addr));
		return rc;
	}
	return pc_bench_dgen_select(g->dgen, targets, g->ncalls, g->both);
}

static int run_job(struct gen *g, const struct job *j, const struct cpu_probe *cpu)
{
	if (g->use_dpdk) {
		int rc = gen_dpdk_prepare(g);

		if (rc < 0)
			return rc;
	}
	if (j->held != NULL)
		measure_held(g, j->quick, cpu, j->held);
	else
		measure(g, j->quick, j->lat_pps, cpu, j->res);
	return 0;
}

/* The generator for @impl: the dpdk pair or the kernel sockets. */
static void gen_select(struct gen *g, bool dpdk, unsigned ncalls, bool both)
{
	g->use_dpdk = dpdk;
	g->ncalls = ncalls;
	g->both = both;
	g->next_call = 0;
	g->next_side = 0;
}

static int run_phonecore(struct gen *g, enum pc_io_backend b, int cpu, const struct job *j)
{
	struct pc_io_conf ioc = {
		.backend = b,
		.pkts = 16384,
		.max_ports = 2 * g->ncalls + 8,
		.no_fallback =
			true, /* dpdk: EAL and the port are the generator's (gen_dpdk_start) */
	};
	struct pc_loop_conf lc = { .max_streams = g->ncalls,
				   .idle = j->held ? PC_LOOP_IDLE_SLEEP : PC_LOOP_IDLE_POLL };
	struct media_thread m = { .bare_fd = -1 };
	struct pc_loop_msg *stop;
	struct cpu_probe probe = { 0 };
	uint32_t relay_ip = 0;
	struct pc_io *io;
	int rc;

	if (b == PC_IO_DPDK) {
		char name[32];
		int port;

		if (g->dgen == NULL)
			return -ENOTSUP;
		/* A new ethdev on the same rings, and a new address the generator must resolve. */
		snprintf(name, sizeof(name), "pcb_relay%u", g->relays);
		port = pc_bench_netring_port(name, "pcb_to_relay", "pcb_to_gen",
					     RELAY_DPDK_RING_SLOTS);
		if (port < 0)
			return port;
		relay_ip = RELAY_DPDK_RELAY_NET + 1 + g->relays++;
		ioc.dpdk_port_id = (uint16_t)port;
		ioc.dpdk_ipv4 = htonl(relay_ip);
	}
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
	probe.tid = m.tid;
	rc = phonecore_setup_calls(m.loop, g, relay_ip);
	if (rc == 0)
		rc = run_job(g, j, &probe);
	while ((stop = pc_loop_cmd_reserve(m.loop)) == NULL)
		usleep(1000);
	stop->type = PC_LOOP_CMD_STOP;
	pc_loop_cmd_commit(m.loop, stop);
	pthread_join(m.tid, NULL);
out_loop:
	pc_loop_destroy(m.loop);
out_io:
	/* Frames this instance sent through the rings are its buffers until the generator took
	 * them: drain before the pool goes. */
	if (b == PC_IO_DPDK)
		for (uint64_t end = pc_bench_now_ns() + 50000000u; pc_bench_now_ns() < end;)
			(void)gen_receive(g, false);
	pc_io_destroy(io);
	return rc;
}

static int run_bare(struct gen *g, int cpu, const struct job *j)
{
	struct media_thread m = { .bare_fd = -1 };
	struct cpu_probe probe = { 0 };
	union pc_pkt_addr a;
	int rc;

	m.bare_fd = udp_bound(&a);
	if (m.bare_fd < 0)
		return m.bare_fd;
	m.sink = g->addr[1].in4;
	atomic_init(&m.stop, 0);
	for (unsigned i = 0; i < g->ncalls; i++)
		g->targets[0][i] = a;
	rc = pc_bench_thread_start(&m.tid, cpu, bare_main, &m);
	if (rc == 0) {
		probe.tid = m.tid;
		rc = run_job(g, j, &probe);
		pc_store_relaxed(&m.stop, 1);
		pthread_join(m.tid, NULL);
	}
	close(m.bare_fd);
	return rc;
}

/* The bare DPDK forwarder on a new ethdev of the wire, at a new address (as a relay instance). */
static int run_bare_dpdk(struct gen *g, int cpu, const struct job *j,
			 struct pc_bench_dbare_stats *st)
{
	struct pc_bench_dbare_conf c = {
		.leg_port = { RELAY_DPDK_LEG_A_PORT, RELAY_DPDK_LEG_B_PORT },
		.ncalls = g->ncalls,
		.remote_b = g->daddr[1],
	};
	struct pc_bench_dbare *b;
	struct cpu_probe probe = { 0 };
	uint32_t ip;
	pthread_t tid;
	char name[32];
	int port, rc;

	if (g->dgen == NULL)
		return -ENOTSUP;
	snprintf(name, sizeof(name), "pcb_bare%u", g->relays);
	port = pc_bench_netring_port(name, "pcb_to_relay", "pcb_to_gen", RELAY_DPDK_RING_SLOTS);
	if (port < 0)
		return port;
	ip = RELAY_DPDK_RELAY_NET + 1 + g->relays++;
	c.port_id = (uint16_t)port;
	c.ipv4 = htonl(ip);
	rc = pc_bench_dbare_create(&b, &c);
	if (rc < 0)
		return rc;
	for (unsigned i = 0; i < g->ncalls; i++) {
		g->targets[0][i] = addr4(ip, (uint16_t)(RELAY_DPDK_LEG_A_PORT + i));
		g->targets[1][i] = addr4(ip, (uint16_t)(RELAY_DPDK_LEG_B_PORT + i));
	}
	rc = pc_bench_thread_start(&tid, cpu, pc_bench_dbare_main, b);
	if (rc == 0) {
		probe.tid = tid;
		rc = run_job(g, j, &probe);
		pc_bench_dbare_stop(b);
		pthread_join(tid, NULL);
		pc_bench_dbare_get_stats(b, st);
	}
	/* The frames it forwarded are the generator's buffers: collect them first. */
	for (uint64_t end = pc_bench_now_ns() + 50000000u; pc_bench_now_ns() < end;)
		(void)gen_receive(g, false);
	pc_bench_dbare_destroy(b);
	return rc;
}

static int run_rtpengine(struct gen *g, int cpu, const struct job *j)
{
	struct rtpe r;
	struct cpu_probe probe = { 0 };
	int rc = rtpe_start(&r, cpu);

	if (rc < 0)
		return rc;
	probe.pid = r.pid;
	rc = rtpe_setup_calls(&r, g);
	if (rc == 0)
		rc = run_job(g, j, &probe);
	rtpe_stop(&r);
	return rc;
}

/* Whether --io asked for @impl (the references always run). */
static bool impl_wanted(const struct pc_bench_opts *o, unsigned impl)
{
	static const int backend[IMPL_COUNT] = {
		[IMPL_SOCKETS] = PC_IO_SOCKETS, [IMPL_URING] = PC_IO_URING,
		[IMPL_DPDK] = PC_IO_DPDK,	[IMPL_BARE] = -1,
		[IMPL_RTPENGINE] = -1,		[IMPL_BARE_DPDK] = PC_IO_DPDK
	};

	return o->io_mask == 0 || backend[impl] < 0 || (o->io_mask & (1u << backend[impl]));
}

static int run_impl(struct gen *g, unsigned impl, int cpu, const struct job *j,
		    struct pc_bench_dbare_stats *bare_st)
{
	switch (impl) {
	case IMPL_SOCKETS:
		return run_phonecore(g, PC_IO_SOCKETS, cpu, j);
	case IMPL_URING:
		return run_phonecore(g, PC_IO_URING, cpu, j);
	case IMPL_DPDK:
		return run_phonecore(g, PC_IO_DPDK, cpu, j);
	case IMPL_BARE:
		return run_bare(g, cpu, j);
	case IMPL_BARE_DPDK:
		return run_bare_dpdk(g, cpu, j, bare_st);
	default:
		return run_rtpengine(g, cpu, j);
	}
}

/* --- report ----------------------------------------------------------------------------------- */

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

static void report_held(struct pc_bench_report *rep, unsigned calls, const char *backend,
			const struct held *ours, const struct held *ref)
{
	char name[48];
	const char *ref_name = ref ? impl_name[IMPL_RTPENGINE] : NULL;
	double rd = ref ? ref->delivered * 100 : NAN, rc = ref ? ref->cpu_us_per_call : NAN;
	double r50 = ref && ref->delivered > 0 ? (double)ref->p50 : NAN;
	double r99 = ref && ref->delivered > 0 ? (double)ref->p99 : NAN;
	bool ran = ours->delivered > 0;

	snprintf(name, sizeof(name), "held/%u/%s", calls, backend);
	pc_bench_report_row(rep, name, "delivered", "pct", PC_BENCH_HIGHER_BETTER,
			    ours->delivered * 100, ref_name, rd);
	pc_bench_report_row(rep, name, "cpu_per_call", "us/s", PC_BENCH_LOWER_BETTER,
			    ran ? ours->cpu_us_per_call : NAN, ref_name, rc);
	pc_bench_report_row(rep, name, "latency_p50", "ns", PC_BENCH_LOWER_BETTER,
			    ran ? (double)ours->p50 : NAN, ref_name, r50);
	pc_bench_report_row(rep, name, "latency_p99", "ns", PC_BENCH_LOWER_BETTER,
			    ran ? (double)ours->p99 : NAN, ref_name, r99);
}

static void note_held(struct pc_bench_report *rep, unsigned calls, unsigned impl,
		      const struct held *h)
{
	if (!(h->delivered > 0))
		return;
	pc_bench_report_note(rep,
			     "held %u calls, %s: %.0f pps asked, %.0f sent%s; delivered %.4f%%; "
			     "relay CPU %.1f%% of a core (%.2f us/s per call); latency p50/p99 "
			     "%" PRIu64 "/%" PRIu64 " ns",
			     calls, impl_name[impl], h->asked_pps, h->achieved_pps,
			     h->achieved_pps < 0.97 * h->asked_pps ? " (generator-bound)" : "",
			     h->delivered * 100, h->cpu_share * 100, h->cpu_us_per_call, h->p50,
			     h->p99);
}

/* relay/dpdk against the bare DPDK forwarder: the max rates, and the latencies at relay/dpdk's
 * half max (both measured at that one rate). */
static void report_dpdk_vs_bare(struct pc_bench_report *rep, const struct result *ours,
				const struct result *ours_half, const struct result *bare,
				const struct result *bare_half)
{
	static const char *const metric[3] = { "latency_p50_at_half_max", "latency_p99_at_half_max",
					       "latency_p99.9_at_half_max" };
	const uint64_t ov[3] = { ours_half->p50, ours_half->p99, ours_half->p999 };
	const uint64_t bv[3] = { bare_half->p50, bare_half->p99, bare_half->p999 };
	/* The latencies compare only at one rate. */
	bool same = ours_half->lat_pps > 0 && bare_half->lat_pps == ours_half->lat_pps;

	pc_bench_report_row(rep, "relay/dpdk-vs-bare", "max_rate_loss_under_0.1pct", "pps",
			    PC_BENCH_HIGHER_BETTER, ours->max_pps, impl_name[IMPL_BARE_DPDK],
			    bare->max_pps);
	for (unsigned k = 0; k < 3; k++)
		pc_bench_report_row(rep, "relay/dpdk-vs-bare", metric[k], "ns",
				    PC_BENCH_LOWER_BETTER, lat_of(ours_half, ov[k]),
				    impl_name[IMPL_BARE_DPDK],
				    same ? lat_of(bare_half, bv[k]) : NAN);
}

/* The test for relay/dpdk: p99 under 50 us at half its max, said in so many words. */
static void note_dpdk_half(struct pc_bench_report *rep, const struct result *ours,
			   const struct result *half, const struct result *bare,
			   const struct result *bare_half)
{
	if (bare_half->lat_pps > 0)
		pc_bench_report_note(rep,
				     "%s at %.0f pps (relay/dpdk's half max): latency "
				     "p50/p99/p99.9 %" PRIu64 "/%" PRIu64 "/%" PRIu64
				     " ns, loss %.3f%%; on a CPU %.1f%% of the run (forwarder) and "
				     "%.1f%% (generator), latency run %u",
				     impl_name[IMPL_BARE_DPDK], bare_half->lat_pps, bare_half->p50,
				     bare_half->p99, bare_half->p999, bare_half->lat_loss * 100,
				     bare_half->lat_relay_cpu * 100, bare_half->lat_gen_cpu * 100,
				     bare_half->lat_runs);
	if (!(half->lat_pps > 0))
		return;
	pc_bench_report_note(
		rep,
		"relay/dpdk half-load test (issue: p99 under 50 us at half the max rate): p99 "
		"%.1f us at %.0f pps = %s; loss %.3f%%; on a CPU %.1f%% of the run (relay thread) "
		"and %.1f%% (generator), latency run %u (below 99%% they were preempted by other "
		"work: the tail is then the machine's); generator behind its schedule: %.3f%% of "
		"the packets skipped; max-rate trials run again: %u%s%s",
		(double)half->p99 / 1000, half->lat_pps, half->p99 < 50000 ? "MET" : "NOT MET",
		half->lat_loss * 100, half->lat_relay_cpu * 100, half->lat_gen_cpu * 100,
		half->lat_runs, half->lat_skipped * 100, ours->retries,
		ours->gen_bound ? "; the max rate was generator-bound (a lower bound), so this "
				  "is below the true half load" :
				  "; the max rate was bound by the relay, not the generator",
		bare->max_pps > 0 && bare->gen_bound ?
			"; the bare DPDK forwarder's max was generator-bound: the generator, not "
			"the forwarder, stopped there" :
			"");
}

int pc_bench_relay_run(const struct pc_bench_opts *o)
{
	static const unsigned held_calls[2] = { 1000, RELAY_HELD_MAX };
	struct result res[IMPL_COUNT], half[IMPL_COUNT];
	struct held held[2][IMPL_COUNT];
	struct pc_bench_report *rep = NULL;
	struct pc_bench_dbare_stats bare_st = { 0 };
	struct gen g = { .fd = { -1, -1 } };
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
	for (unsigned s = 0; s < 2; s++) {
		g.targets[s] = calloc(RELAY_HELD_MAX, sizeof(*g.targets[s]));
		g.seq[s] = calloc(RELAY_HELD_MAX, sizeof(*g.seq[s]));
		g.fd[s] = udp_bound(&g.addr[s]);
		if (g.targets[s] == NULL || g.seq[s] == NULL || g.fd[s] < 0) {
			rc = -ENOMEM;
			goto out;
		}
	}
	/* The generator runs here, on its CPU; the caller's affinity (saved above) comes back at
	 * the end: the next benchmark checks which CPUs it may use. */
	{
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu_gen, &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	g.dpdk_why = impl_wanted(o, IMPL_DPDK) ? gen_dpdk_start(&g) : "not asked for (--io)";
	if (g.dpdk_why != NULL && impl_wanted(o, IMPL_DPDK))
		pc_bench_report_note(rep, "%s: not run: %s", impl_name[IMPL_DPDK], g.dpdk_why);
	for (unsigned i = 0; i < IMPL_COUNT; i++) {
		memset(&res[i], 0, sizeof(res[i]));
		memset(&half[i], 0, sizeof(half[i]));
		res[i].max_pps = NAN;
		half[i].max_pps = NAN;
		for (unsigned k = 0; k < 2; k++) {
			memset(&held[k][i], 0, sizeof(held[k][i]));
			held[k][i].delivered = NAN;
		}
	}
	/* Twice through every relay: first the highest rate, then, on a fresh instance, the
	 * latency at one common rate for all: half the lowest maximum among them (so that every
	 * relay is compared under the same load, which none of them finds hard). */
	for (unsigned pass = 0; pass < 3; pass++) {
		for (unsigned i = 0; i < IMPL_COUNT; i++) {
			struct result *r = &res[i];
			bool on_dpdk = i == IMPL_DPDK || i == IMPL_BARE_DPDK;
			/* Pass 2: each at half its own maximum (the "half load"); the bare
			 * DPDK forwarder at relay/dpdk's, the floor under the same load. */
			double half_pps = i == IMPL_BARE_DPDK && res[IMPL_DPDK].max_pps > 0 ?
						  res[IMPL_DPDK].max_pps / 2 :
						  r->max_pps / 2;
			struct job j = { .quick = o->quick,
					 .lat_pps = pass == 2 ? half_pps :
						    pass      ? lat_common :
								0,
					 .res = pass == 2 ? &half[i] : r };

			if ((pass && !(r->max_pps > 0)) || (on_dpdk && g.dgen == NULL) ||
			    (pass == 1 && i == IMPL_BARE_DPDK) || !impl_wanted(o, i))
				continue;
			gen_select(&g, on_dpdk, RELAY_CALLS, false);
			rc = run_impl(&g, i, cpu_relay, &j, &bare_st);
			if (rc < 0 && !pass) {
				r->max_pps = NAN;
				pc_bench_report_note(rep, "%s: could not run: %s", impl_name[i],
						     strerror(-rc));
			} else if (rc < 0) {
				j.res->lat_pps = 0;
				pc_bench_report_note(rep, "%s: latency run failed: %s",
						     impl_name[i], strerror(-rc));
			}
		}
		/* The common rate: from the kernel relays (the dpdk pair is another wire). */
		for (unsigned i = 0; !pass && i < IMPL_COUNT; i++)
			if (i != IMPL_DPDK && i != IMPL_BARE_DPDK && res[i].max_pps > 0 &&
			    (lat_common == 0 || res[i].max_pps / 2 < lat_common))
				lat_common = res[i].max_pps / 2;
	}
	/* Held calls: 1,000 on every relay, 10,000 on the dpdk pair (see the top). */
	for (unsigned k = 0; k < 2; k++) {
		for (unsigned i = 0; i < IMPL_COUNT; i++) {
			struct job j = { .quick = o->quick, .held = &held[k][i] };

			if (i == IMPL_BARE || i == IMPL_BARE_DPDK ||
			    (i == IMPL_DPDK && g.dgen == NULL) ||
			    (held_calls[k] > 1000 && i != IMPL_DPDK) || !impl_wanted(o, i))
				continue;
			gen_select(&g, i == IMPL_DPDK, held_calls[k], true);
			rc = run_impl(&g, i, cpu_relay, &j, NULL);
			if (rc < 0) {
				held[k][i].delivered = NAN;
				pc_bench_report_note(rep, "held %u calls, %s: could not run: %s",
						     held_calls[k], impl_name[i], strerror(-rc));
			}
		}
	}
	rc = 0;

	pc_bench_report_note(
		rep,
		"max rate: %u calls, %u-byte RTP packets (G.711 20 ms) round-robin over the "
		"calls' A-leg ports, forwarded to one sink; generator on CPU %d, relay on CPU "
		"%d; trials of %.2f s; max rate = highest rate with under %.1f%% loss (ladder "
		"x1.5, then bisection; a failed trial is run once more before it counts, twice when the relay or the generator was preempted in the second); a latency run is repeated (up to 3) while either was preempted, the least disturbed one reported; latency of every kernel relay at one rate: half the "
		"lowest kernel max rate; the dpdk relay at that rate too",
		RELAY_CALLS, RELAY_PKT_LEN, cpu_gen, cpu_relay, o->quick ? 0.25 : 1.0,
		RELAY_LOSS_MAX * 100);
	pc_bench_report_note(
		rep, "relay/dpdk: the generator and the relay are on the two ends of a net_ring "
		     "pair (a wire in memory, standing for a kernel-bypass NIC); the generator "
		     "sends template frames (headers built once per call, RTP sequence, "
		     "timestamp, send time and UDP checksum patched per packet) in the buffers "
		     "of a phonecore dpdk instance, so the relay receives them without a copy; "
		     "rtpengine, its reference, pays the kernel's loopback path; the bare DPDK "
		     "forwarder (rx burst, rewrite addresses and ports for the other leg, tx "
		     "burst) on the same wire is its same-run floor");
	if (g.dgen != NULL) {
		struct pc_bench_dgen_stats gs;

		pc_bench_dgen_get_stats(g.dgen, &gs);
		pc_bench_report_note(
			rep,
			"dpdk generator, whole run: %" PRIu64 " frames offered, of which %" PRIu64
			" refused by a full ring towards the relay (counted as the relay's loss); "
			"%" PRIu64 " not made (pool empty); sink: %" PRIu64 " counted, %" PRIu64
			" of an earlier trial, %" PRIu64 " other; ARP: %" PRIu64
			" requests, %" PRIu64 " replies sent",
			gs.offered, gs.tx_full, gs.alloc_fails, gs.rx_counted, gs.rx_stale,
			gs.rx_other, gs.arp_requests_sent, gs.arp_replies_sent);
	}
	if (bare_st.rx > 0)
		pc_bench_report_note(rep,
				     "%s, last run: %" PRIu64 " frames in, %" PRIu64
				     " out, %" PRIu64 " dropped, %" PRIu64
				     " refused by a full ring",
				     impl_name[IMPL_BARE_DPDK], bare_st.rx, bare_st.tx,
				     bare_st.dropped, bare_st.tx_full);
	for (unsigned i = 0; i < IMPL_COUNT; i++)
		if (res[i].max_pps > 0 && !(res[i].lat_pps > 0))
			pc_bench_report_note(
				rep, "%s: max %.0f pps%s", impl_name[i], res[i].max_pps,
				res[i].gen_bound ? " (generator-bound: a lower bound)" : "");
		else if (res[i].max_pps > 0)
			pc_bench_report_note(
				rep,
				"%s: max %.0f pps%s; latency p50/p99/p99.9 %" PRIu64 "/%" PRIu64
				"/%" PRIu64 " ns at %.0f pps (loss %.3f%%)",
				impl_name[i], res[i].max_pps,
				res[i].gen_bound ? " (generator-bound: a lower bound)" : "",
				res[i].p50, res[i].p99, res[i].p999, res[i].lat_pps,
				res[i].lat_loss * 100);
	for (unsigned k = 0; k < 2; k++)
		for (unsigned i = 0; i < IMPL_COUNT; i++)
			note_held(rep, held_calls[k], i, &held[k][i]);
	report_impl(rep, "relay/sockets", &res[IMPL_SOCKETS], &res[IMPL_RTPENGINE],
		    impl_name[IMPL_RTPENGINE]);
	report_impl(rep, "relay/uring", &res[IMPL_URING], &res[IMPL_RTPENGINE],
		    impl_name[IMPL_RTPENGINE]);
	report_impl(rep, "relay/dpdk", &res[IMPL_DPDK], &res[IMPL_RTPENGINE],
		    impl_name[IMPL_RTPENGINE]);
	for (unsigned i = 0; i < IMPL_COUNT; i++) {
		static const char *const hcase[IMPL_COUNT] = { [IMPL_SOCKETS] = "relay/sockets",
							       [IMPL_URING] = "relay/uring",
							       [IMPL_DPDK] = "relay/dpdk" };
		static const char *const metric[3] = { "latency_p50_at_half_max",
						       "latency_p99_at_half_max",
						       "latency_p99.9_at_half_max" };
		const struct result *o2 = &half[i], *r2 = &half[IMPL_RTPENGINE];
		const uint64_t ov[3] = { o2->p50, o2->p99, o2->p999 };
		const uint64_t rv[3] = { r2->p50, r2->p99, r2->p999 };

		if (hcase[i] == NULL)
			continue;
		for (unsigned k = 0; k < 3; k++)
			pc_bench_report_row(rep, hcase[i], metric[k], "ns", PC_BENCH_LOWER_BETTER,
					    lat_of(o2, ov[k]), impl_name[IMPL_RTPENGINE],
					    lat_of(r2, rv[k]));
		if (o2->lat_pps > 0)
			pc_bench_report_note(rep,
					     "%s at half its max (%.0f pps): latency p50/p99/p99.9 "
					     "%" PRIu64 "/%" PRIu64 "/%" PRIu64 " ns, loss %.3f%%",
					     impl_name[i], o2->lat_pps, o2->p50, o2->p99, o2->p999,
					     o2->lat_loss * 100);
	}
	note_dpdk_half(rep, &res[IMPL_DPDK], &half[IMPL_DPDK], &res[IMPL_BARE_DPDK],
		       &half[IMPL_BARE_DPDK]);
	if (half[IMPL_RTPENGINE].lat_pps > 0)
		pc_bench_report_note(rep,
				     "%s at half its max (%.0f pps): latency p50/p99/p99.9 %" PRIu64
				     "/%" PRIu64 "/%" PRIu64 " ns, loss %.3f%%",
				     impl_name[IMPL_RTPENGINE], half[IMPL_RTPENGINE].lat_pps,
				     half[IMPL_RTPENGINE].p50, half[IMPL_RTPENGINE].p99,
				     half[IMPL_RTPENGINE].p999,
				     half[IMPL_RTPENGINE].lat_loss * 100);
	pc_bench_report_row(rep, "relay/sockets-vs-bare", "max_rate_loss_under_0.1pct", "pps",
			    PC_BENCH_HIGHER_BETTER, res[IMPL_SOCKETS].max_pps, impl_name[IMPL_BARE],
			    res[IMPL_BARE].max_pps);
	pc_bench_report_row(rep, "relay/uring-vs-bare", "max_rate_loss_under_0.1pct", "pps",
			    PC_BENCH_HIGHER_BETTER, res[IMPL_URING].max_pps, impl_name[IMPL_BARE],
			    res[IMPL_BARE].max_pps);
	report_dpdk_vs_bare(rep, &res[IMPL_DPDK], &half[IMPL_DPDK], &res[IMPL_BARE_DPDK],
			    &half[IMPL_BARE_DPDK]);
	report_held(rep, 1000, "sockets", &held[0][IMPL_SOCKETS], &held[0][IMPL_RTPENGINE]);
	report_held(rep, 1000, "uring", &held[0][IMPL_URING], &held[0][IMPL_RTPENGINE]);
	report_held(rep, 1000, "dpdk", &held[0][IMPL_DPDK], &held[0][IMPL_RTPENGINE]);
	report_held(rep, RELAY_HELD_MAX, "dpdk", &held[1][IMPL_DPDK], NULL);
	pc_bench_report_note(rep, "held calls: CPU charged while sending (not the drain after): "
				  "phonecore's media loop thread; rtpengine's whole process "
				  "(utime + stime, 10 ms ticks)");
	pc_bench_report_note(rep,
			     "held/%u: rtpengine not run: the kernel generator sends at most "
			     "about 300k packets/s here, %u calls need %u",
			     RELAY_HELD_MAX, RELAY_HELD_MAX,
			     RELAY_HELD_MAX * 2 * RELAY_HELD_PPS_PER_DIR);
	rc = pc_bench_report_finish(rep);
out:
	pthread_setaffinity_np(pthread_self(), sizeof(saved_cpus), &saved_cpus);
	for (unsigned s = 0; s < 2; s++) {
		if (g.fd[s] >= 0)
			close(g.fd[s]);
		free(g.targets[s]);
		free(g.seq[s]);
	}
	pc_bench_dgen_destroy(g.dgen);
	pc_io_destroy(g.dpdk); /* its frames left in the rings are never read again */
	pc_hist_destroy(g.hist);
	pc_bench_report_destroy(rep);
	return rc;
}
