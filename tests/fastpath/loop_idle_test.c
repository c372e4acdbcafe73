/* SPDX-License-Identifier: MIT */
/*
 * loop_idle_test.c - sleeping when there is nothing to do: pc_io_wait on the sockets and uring
 * backends (sleeps about the timeout when nothing comes, returns at once when a datagram waits,
 * wakes when one arrives), and the media loop in PC_LOOP_IDLE_SLEEP (an idle loop costs almost
 * no CPU, relays a packet that comes after a long silence, takes commands within a tick).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "pc_loop.h"
#include "udp_test_pvt.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t thread_cpu_ns(pthread_t t)
{
	clockid_t clk;
	struct timespec ts;

	cr_assert_eq(pthread_getcpuclockid(t, &clk), 0);
	cr_assert_eq(clock_gettime(clk, &ts), 0);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int udp_peer(union pc_pkt_addr *bound)
{
	union pc_pkt_addr a = pc_test_loopback(AF_INET, 0);
	socklen_t len = sizeof(*bound);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct timeval tv = { .tv_sec = 2 };

	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, &a.sa, sizeof(a.in4)), 0);
	cr_assert_eq(getsockname(fd, &bound->sa, &len), 0);
	cr_assert_eq(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	return fd;
}

/* An io of @b, or a skip when the backend cannot run here. */
static struct pc_io *io_or_skip(enum pc_io_backend b)
{
	struct pc_io_conf c = { .backend = b, .pkts = 1024, .max_ports = 16, .no_fallback = true };
	struct pc_io *io = NULL;
	int rc = pc_io_create(&io, &c);

	if (rc == -ENOTSUP)
		cr_skip_test("%s cannot run here", pc_io_backend_name(b));
	cr_assert_eq(rc, 0, "pc_io_create(%s) = %d", pc_io_backend_name(b), rc);
	return io;
}

struct late_sender {
	int fd;
	union pc_pkt_addr to;
	unsigned delay_ms;
};

static void *late_send(void *arg)
{
	struct late_sender *s = arg;
	uint8_t b[12] = { 0x80 };

	usleep(s->delay_ms * 1000u);
	sendto(s->fd, b, sizeof(b), 0, &s->to.sa, sizeof(s->to.in4));
	return NULL;
}

static void wait_cases(enum pc_io_backend b)
{
	struct pc_io *io = io_or_skip(b);
	union pc_pkt_addr local = pc_test_loopback(AF_INET, 0), bound, peer;
	struct late_sender ls;
	struct pc_pkt *rx[8];
	uint64_t t0, dt;
	unsigned got = 0;
	pthread_t t;
	int port = pc_io_port_open(io, &local, &bound), fd = udp_peer(&peer);
	uint8_t b12[12] = { 0x80 };

	cr_assert_geq(port, 1);
	/* Nothing comes: it sleeps about the timeout (not a spin, not much longer). */
	(void)pc_io_rx_burst(io, rx, 8); /* first call arms the uring receive */
	t0 = now_ns();
	pc_io_wait(io, 50000000u);
	dt = now_ns() - t0;
	cr_assert_geq(dt, 40000000u, "%s: woke after %lu ns with nothing to read",
		      pc_io_backend_name(b), (unsigned long)dt);
	cr_assert_lt(dt, 1000000000u, "%s: slept %lu ns for a 50 ms timeout", pc_io_backend_name(b),
		     (unsigned long)dt);

	/* A datagram already waits: it returns at once, and the next burst has it. */
	cr_assert_eq(sendto(fd, b12, sizeof(b12), 0, &bound.sa, sizeof(bound.in4)), 12);
	usleep(5000);
	t0 = now_ns();
	pc_io_wait(io, 2000000000u);
	dt = now_ns() - t0;
	cr_assert_lt(dt, 500000000u, "%s: %lu ns with a datagram waiting", pc_io_backend_name(b),
		     (unsigned long)dt);
	for (int i = 0; i < 100 && got == 0; i++)
		got = pc_io_rx_burst(io, rx, 8);
	cr_assert_eq(got, 1);
	pc_pkt_free_burst(pc_io_cache(io), rx, got);

	/* One arrives while it sleeps: it wakes well before the timeout. */
	ls = (struct late_sender){ .fd = fd, .to = bound, .delay_ms = 30 };
	cr_assert_eq(pthread_create(&t, NULL, late_send, &ls), 0);
	t0 = now_ns();
	pc_io_wait(io, 3000000000u);
	dt = now_ns() - t0;
	pthread_join(t, NULL);
	cr_assert_lt(dt, 1500000000u, "%s: slept %lu ns though a datagram came after 30 ms",
		     pc_io_backend_name(b), (unsigned long)dt);
	got = 0;
	for (int i = 0; i < 100 && got == 0; i++)
		got = pc_io_rx_burst(io, rx, 8);
	cr_assert_eq(got, 1);
	pc_pkt_free_burst(pc_io_cache(io), rx, got);
	close(fd);
	pc_io_destroy(io);
}

Test(io_wait, sockets_sleeps_and_wakes)
{
	wait_cases(PC_IO_SOCKETS);
}

Test(io_wait, uring_sleeps_and_wakes)
{
	wait_cases(PC_IO_URING);
}

static void *run_loop(void *arg)
{
	pc_loop_run(arg);
	return NULL;
}

static struct pc_loop_msg *take_evt(struct pc_loop *l, uint32_t type)
{
	uint64_t end = now_ns() + 2000000000u;
	struct pc_loop_msg *m;

	while ((m = pc_loop_evt_poll(l)) == NULL && now_ns() < end)
		usleep(1000);
	cr_assert_not_null(m, "no event %u within 2 s", type);
	cr_assert_eq(m->type, type, "event %u, expected %u", m->type, type);
	return m;
}

static void idle_loop(enum pc_io_backend b)
{
	struct pc_io *io = io_or_skip(b);
	struct pc_loop_conf lc = { .io = io, .max_streams = 4, .idle = PC_LOOP_IDLE_SLEEP };
	struct pc_loop *l;
	struct pc_loop_stats st;
	struct pc_loop_msg *m;
	union pc_pkt_addr a_addr, sink_addr, leg_a;
	uint8_t pkt[172] = { 0x80, 0 }, back[256];
	uint64_t cpu0, cpu1, t0, dt;
	pthread_t t;
	int a = udp_peer(&a_addr), sink = udp_peer(&sink_addr);
	ssize_t k;

	cr_assert_eq(pc_loop_create(&l, &lc), 0);
	cr_assert_eq(pthread_create(&t, NULL, run_loop, l), 0);
	m = pc_loop_cmd_reserve(l);
	m->type = PC_LOOP_CMD_RELAY_CREATE;
	m->stream = 0;
	m->u.relay.local_rtp[0] = pc_test_loopback(AF_INET, 0);
	m->u.relay.local_rtp[1] = pc_test_loopback(AF_INET, 0);
	m->u.relay.leg[0].flags = PC_RELAY_F_RTCP_MUX;
	m->u.relay.leg[1].flags = PC_RELAY_F_RTCP_MUX;
	m->u.relay.leg[1].remote_rtp = sink_addr;
	pc_loop_cmd_commit(l, m);
	m = take_evt(l, PC_LOOP_EVT_CREATED);
	cr_assert_eq(m->rc, 0);
	leg_a = m->u.created.rtp[0];
	pc_loop_evt_release(l, m);

	/* 300 ms of silence: the loop sleeps instead of spinning. */
	usleep(50000);
	cpu0 = thread_cpu_ns(t);
	usleep(300000);
	cpu1 = thread_cpu_ns(t);
	cr_assert_lt(cpu1 - cpu0, 60000000u, "%s: an idle loop used %lu ns of CPU in 300 ms",
		     pc_io_backend_name(b), (unsigned long)(cpu1 - cpu0));
	cr_log_info("%s: idle loop CPU %.1f ms in 300 ms", pc_io_backend_name(b),
		    (double)(cpu1 - cpu0) / 1e6);

	/* A packet after the silence is relayed at once. */
	t0 = now_ns();
	cr_assert_eq(sendto(a, pkt, sizeof(pkt), 0, &leg_a.sa, sizeof(leg_a.in4)),
		     (ssize_t)sizeof(pkt));
	k = recv(sink, back, sizeof(back), 0);
	dt = now_ns() - t0;
	cr_assert_eq(k, (ssize_t)sizeof(pkt), "%s: nothing relayed after the idle time",
		     pc_io_backend_name(b));
	cr_assert_lt(dt, 100000000u, "%s: relayed after %lu ns", pc_io_backend_name(b),
		     (unsigned long)dt);

	/* A command is taken within a few ticks even though the loop sleeps. */
	m = pc_loop_cmd_reserve(l);
	m->type = PC_LOOP_CMD_STOP;
	t0 = now_ns();
	pc_loop_cmd_commit(l, m);
	pthread_join(t, NULL);
	dt = now_ns() - t0;
	cr_assert_lt(dt, 200000000u, "%s: STOP taken after %lu ns", pc_io_backend_name(b),
		     (unsigned long)dt);
	pc_loop_get_stats(l, &st);
	cr_assert_gt(st.sleeps, 10, "%s: %lu sleeps", pc_io_backend_name(b),
		     (unsigned long)st.sleeps);
	pc_loop_destroy(l);
	pc_io_destroy(io);
	close(a);
	close(sink);
}

Test(loop_idle, sockets_sleeps_when_idle)
{
	idle_loop(PC_IO_SOCKETS);
}

Test(loop_idle, uring_sleeps_when_idle)
{
	idle_loop(PC_IO_URING);
}
