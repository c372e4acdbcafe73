/* SPDX-License-Identifier: MIT */
/*
 * loop_ports_test.c - where a stream's ports are made: the control thread prepares them
 * (socket(), bind(): pc_io_port_prepare) when it commits or sends a create command, and the
 * media loop only adopts them (pc_io_port_adopt).
 *
 * - The loop thread makes no socket call: it runs under a seccomp filter of its own that fails
 *   socket(), bind(), setsockopt(), getsockname() and epoll_ctl(EPOLL_CTL_ADD), and still
 *   creates relays and endpoints that work (sockets and uring backends). Skips where seccomp
 *   filters cannot be installed.
 * - Prepared sockets never leak: a create that cannot be sent (pc_loop_cmd_send), one the
 *   loop refuses (bad RTCP address, stream in use), and creates the loop never took before
 *   pc_loop_destroy() all leave the process with the descriptors it had (/proc/self/fd).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "pc_loop.h"
#include "udp_test_pvt.h"

#define WAIT_MS 2000
/* What the filter makes a forbidden call fail with: an errno no socket call returns. */
#define DENIED_ERRNO EHWPOISON

#if defined(__x86_64__)
#define PC_TEST_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define PC_TEST_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

/* --- helpers --------------------------------------------------------------------------------- */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Open descriptors of this process, the directory's own not counted. */
static int fd_count(void)
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

/* A plain UDP socket on 127.0.0.1 (port 0: any); -errno when the address is taken. */
static int udp_at(const union pc_pkt_addr *want, union pc_pkt_addr *bound)
{
	socklen_t len = sizeof(*bound);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	if (bind(fd, &want->sa, sizeof(want->in4)) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	cr_assert_eq(getsockname(fd, &bound->sa, &len), 0);
	return fd;
}

static struct pc_io *io_new(enum pc_io_backend b)
{
	struct pc_io_conf c = { .backend = b, .pkts = 1024, .max_ports = 32, .no_fallback = true };
	struct pc_io *io = NULL;
	int rc = pc_io_create(&io, &c);

	if (rc < 0 && b == PC_IO_URING)
		cr_skip_test("io_uring cannot run here: %d", rc);
	cr_assert_eq(rc, 0, "pc_io_create(%s) = %d", pc_io_backend_name(b), rc);
	return io;
}

static struct pc_loop *loop_new(struct pc_io *io, uint32_t msgs)
{
	struct pc_loop_conf c = { .io = io, .max_streams = 8, .channel_msgs = msgs };
	struct pc_loop *l = NULL;

	cr_assert_eq(pc_loop_create(&l, &c), 0);
	return l;
}

static struct pc_loop_msg *cmd(struct pc_loop *l, uint32_t type, uint32_t stream)
{
	struct pc_loop_msg *m = pc_loop_cmd_reserve(l);

	cr_assert_not_null(m, "command channel full");
	m->type = type;
	m->stream = stream;
	return m;
}

/* A relay on the loopback, any ports, RTCP on its own ports. */
static struct pc_loop_msg *relay_cmd(struct pc_loop *l, uint32_t stream)
{
	struct pc_loop_msg *m = cmd(l, PC_LOOP_CMD_RELAY_CREATE, stream);

	for (unsigned leg = 0; leg < 2; leg++)
		m->u.relay.local_rtp[leg] = pc_test_loopback(AF_INET, 0);
	return m;
}

/* A plain RTP endpoint (no SRTP, no jitter buffer, no frame rings) on the loopback. */
static struct pc_loop_msg *media_cmd(struct pc_loop *l, uint32_t stream)
{
	struct pc_loop_msg *m = cmd(l, PC_LOOP_CMD_MEDIA_CREATE, stream);

	m->u.media.conf.ssrc = 0x5eed0000u + stream;
	m->u.media.local_rtp = pc_test_loopback(AF_INET, 0);
	return m;
}

/* Waits for event @type of @stream (others are dropped), polling the loop itself when @poll. */
static bool take_evt(struct pc_loop *l, bool poll, uint32_t type, uint32_t stream,
		     struct pc_loop_msg *out)
{
	uint64_t end = now_ms() + WAIT_MS;

	do {
		struct pc_loop_msg *m;

		if (poll)
			(void)pc_loop_poll(l, 0);
		while ((m = pc_loop_evt_poll(l)) != NULL) {
			bool match = m->type == type && m->stream == stream;

			if (match)
				*out = *m;
			pc_loop_evt_release(l, m);
			if (match)
				return true;
		}
		if (!poll)
			usleep(200);
	} while (now_ms() < end);
	return false;
}

/* --- the loop thread makes no socket call ----------------------------------------------------- */

struct jail {
	struct pc_loop *loop;
	atomic_int state; /* 0 starting, 1 filter on and running, -1 no filter (why says) */
	char why[128];
};

#ifdef PC_TEST_AUDIT_ARCH
/* This thread only (no SECCOMP_FILTER_FLAG_TSYNC): the calls that make or bind a socket, and
 * epoll_ctl(EPOLL_CTL_ADD) (it allocates in the kernel), fail with DENIED_ERRNO. */
static int jail_install(char *why, size_t why_len)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PC_TEST_AUDIT_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 6, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_bind, 5, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_setsockopt, 4, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_getsockname, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_epoll_ctl, 0, 3),
		/* epoll_ctl: its op, the low half of the second argument (little-endian) */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, EPOLL_CTL_ADD, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | DENIED_ERRNO),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = (unsigned short)(sizeof(f) / sizeof(f[0])), .filter = f };
	int fd;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(why, why_len, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return -1;
	}
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
		snprintf(why, why_len, "seccomp(SET_MODE_FILTER): %s", strerror(errno));
		return -1;
	}
	/* The filter works: socket() fails here with its errno. */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd >= 0 || errno != DENIED_ERRNO) {
		snprintf(why, why_len, "the filter did not stop socket() (%d, %s)", fd,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return 0;
}
#else
static int jail_install(char *why, size_t why_len)
{
	snprintf(why, why_len, "no seccomp filter written for this architecture");
	return -1;
}
#endif

static void *jailed_loop(void *arg)
{
	struct jail *j = arg;

	if (jail_install(j->why, sizeof(j->why)) < 0) {
		atomic_store_explicit(&j->state, -1, memory_order_release);
		return NULL;
	}
	atomic_store_explicit(&j->state, 1, memory_order_release);
	pc_loop_run(j->loop);
	return NULL;
}

/* An RTP packet (V=2, PT 0) with sequence @seq and 160 bytes of payload. */
static size_t rtp_packet(uint8_t *b, uint16_t seq)
{
	memset(b, 0xd5, 172);
	b[0] = 0x80;
	b[1] = 0;
	b[2] = (uint8_t)(seq >> 8);
	b[3] = (uint8_t)seq;
	memset(b + 4, 0, 4);
	b[8] = 0x12;
	b[9] = 0x34;
	b[10] = 0x56;
	b[11] = 0x78;
	return 172;
}

static void assert_bound(const union pc_pkt_addr *a, const char *what)
{
	union pc_pkt_addr b;
	int fd = udp_at(a, &b);

	cr_assert_eq(fd, -EADDRINUSE, "%s (port %u) is not bound: %d", what, pc_test_port_of(a),
		     fd);
}

static void no_socket_calls_on_the_loop_thread(enum pc_io_backend backend)
{
	struct pc_io *io = io_new(backend);
	struct jail j = { .loop = loop_new(io, 64) };
	union pc_pkt_addr lo = pc_test_loopback(AF_INET, 0), pa, pb, from;
	struct pc_loop_msg *m, e;
	uint8_t pkt[200], got[200];
	pthread_t th;
	ssize_t n = -1;
	int a, b, base, st;

	/* Given the loop running on a thread where socket calls fail */
	cr_assert_eq(pthread_create(&th, NULL, jailed_loop, &j), 0);
	while ((st = atomic_load_explicit(&j.state, memory_order_acquire)) == 0)
		usleep(100);
	if (st < 0) {
		pthread_join(th, NULL);
		pc_loop_destroy(j.loop);
		pc_io_destroy(io);
		cr_skip_test("cannot filter the loop thread's system calls: %s", j.why);
	}
	a = udp_at(&lo, &pa);
	b = udp_at(&lo, &pb);
	cr_assert_geq(a, 0);
	cr_assert_geq(b, 0);
	base = fd_count();

	/* When a relay (4 ports) and an endpoint (2 ports) are created */
	pc_loop_cmd_commit(j.loop, relay_cmd(j.loop, 0));
	cr_assert(take_evt(j.loop, false, PC_LOOP_EVT_CREATED, 0, &e), "no CREATED (relay)");

	/* Then they are: the sockets were made on this thread, the loop only adopted them */
	cr_assert_neq(e.rc, -DENIED_ERRNO, "the loop thread made a socket call to create a relay");
	cr_assert_eq(e.rc, 0, "relay create: %d", e.rc);
	for (unsigned leg = 0; leg < 2; leg++) {
		assert_bound(&e.u.created.rtp[leg], "a relay's RTP port");
		assert_bound(&e.u.created.rtcp[leg], "a relay's RTCP port");
	}
	/* And the relay forwards: A -> leg 0, out of leg 1 to B */
	m = cmd(j.loop, PC_LOOP_CMD_RELAY_REMOTE, 0);
	m->u.remote.leg = 1;
	m->u.remote.kind = PC_RELAY_RTP;
	m->u.remote.addr = pb;
	pc_loop_cmd_commit(j.loop, m);
	for (uint16_t seq = 1; seq < 200 && n < 0; seq++) {
		socklen_t fl = sizeof(from);
		size_t len = rtp_packet(pkt, seq);

		cr_assert_eq(sendto(a, pkt, len, 0, &e.u.created.rtp[0].sa,
				    sizeof(struct sockaddr_in)),
			     (ssize_t)len);
		usleep(5000);
		n = recvfrom(b, got, sizeof(got), MSG_DONTWAIT, &from.sa, &fl);
	}
	cr_assert_eq(n, 172, "nothing relayed from leg 0 to leg 1 (%zd)", n);
	cr_assert(pc_pkt_addr_equal(&from, &e.u.created.rtp[1]), "not from leg 1's RTP port");

	pc_loop_cmd_commit(j.loop, media_cmd(j.loop, 1));
	cr_assert(take_evt(j.loop, false, PC_LOOP_EVT_CREATED, 1, &e), "no CREATED (endpoint)");
	cr_assert_neq(e.rc, -DENIED_ERRNO, "the loop thread made a socket call for an endpoint");
	cr_assert_eq(e.rc, 0, "endpoint create: %d", e.rc);
	assert_bound(&e.u.created.rtp[0], "an endpoint's RTP port");
	assert_bound(&e.u.created.rtcp[0], "an endpoint's RTCP port");
	cr_assert_eq(fd_count(), base + 6);

	/* And once destroyed, every descriptor is back */
	for (uint32_t s = 0; s < 2; s++) {
		pc_loop_cmd_commit(j.loop, cmd(j.loop, PC_LOOP_CMD_STREAM_DESTROY, s));
		cr_assert(take_evt(j.loop, false, PC_LOOP_EVT_DESTROYED, s, &e), "no DESTROYED");
	}
	cr_assert_eq(fd_count(), base);
	pc_loop_cmd_commit(j.loop, cmd(j.loop, PC_LOOP_CMD_STOP, 0));
	cr_assert_eq(pthread_join(th, NULL), 0);
	close(a);
	close(b);
	pc_loop_destroy(j.loop);
	pc_io_destroy(io);
}

Test(loop_ports, loop_thread_makes_no_socket_calls_sockets)
{
	no_socket_calls_on_the_loop_thread(PC_IO_SOCKETS);
}

Test(loop_ports, loop_thread_makes_no_socket_calls_uring)
{
	no_socket_calls_on_the_loop_thread(PC_IO_URING);
}

/* --- prepared sockets never leak -------------------------------------------------------------- */

Test(loop_ports, send_that_cannot_prepare_discards_and_posts_nothing)
{
	struct pc_io *io = io_new(PC_IO_SOCKETS);
	struct pc_loop *l = loop_new(io, 4);
	union pc_pkt_addr lo = pc_test_loopback(AF_INET, 0), taken;
	struct pc_loop_msg *m, *again, *held[4], e;
	int blocker = udp_at(&lo, &taken), base = fd_count();

	/* Given a relay whose leg 1 RTCP is asked on a taken address (three ports are made
	 * before that one fails) */
	cr_assert_geq(blocker, 0);
	m = relay_cmd(l, 0);
	m->u.relay.local_rtcp[1] = taken;

	/* When sent / Then -EADDRINUSE, and no socket stays open */
	cr_assert_eq(pc_loop_cmd_send(l, m), -EADDRINUSE);
	cr_assert_eq(fd_count(), base, "prepared sockets left open after a failed send");
	/* And nothing reached the loop */
	cr_assert_eq(pc_loop_poll(l, 0), 0);
	cr_assert_null(pc_loop_evt_poll(l), "a create that was not sent was answered");

	/* And the message comes back, zeroed, from the next reserve: none is lost */
	again = pc_loop_cmd_reserve(l);
	cr_assert_eq(again, m);
	cr_assert_eq(again->type, 0u);
	held[0] = again;
	for (unsigned i = 1; i < 4; i++)
		cr_assert_not_null(held[i] = pc_loop_cmd_reserve(l), "message %u of 4", i);
	cr_assert_null(pc_loop_cmd_reserve(l));

	/* Given an endpoint with the same trouble, and a create for a stream id out of range /
	 * Then refused as well, with no socket made */
	*held[0] = (struct pc_loop_msg){ .type = PC_LOOP_CMD_MEDIA_CREATE, .stream = 1 };
	held[0]->u.media.local_rtp = lo;
	held[0]->u.media.local_rtcp = taken;
	cr_assert_eq(pc_loop_cmd_send(l, held[0]), -EADDRINUSE);
	cr_assert_eq(fd_count(), base);
	cr_assert_eq(pc_loop_cmd_reserve(l), held[0]);
	*held[0] = (struct pc_loop_msg){ .type = PC_LOOP_CMD_RELAY_CREATE, .stream = 8 };
	cr_assert_eq(pc_loop_cmd_send(l, held[0]), -EINVAL);
	cr_assert_eq(pc_loop_cmd_reserve(l), held[0]);

	/* When one that can be made is sent / Then 0, and the loop creates it */
	*held[0] = (struct pc_loop_msg){ .type = PC_LOOP_CMD_RELAY_CREATE, .stream = 2 };
	for (unsigned leg = 0; leg < 2; leg++)
		held[0]->u.relay.local_rtp[leg] = lo;
	cr_assert_eq(pc_loop_cmd_send(l, held[0]), 0);
	cr_assert_eq(fd_count(), base + 4, "made on the sending thread");
	cr_assert(take_evt(l, true, PC_LOOP_EVT_CREATED, 2, &e));
	cr_assert_eq(e.rc, 0);
	for (unsigned i = 1; i < 4; i++) {
		held[i]->type = PC_LOOP_CMD_STREAM_STATS;
		pc_loop_cmd_commit(l, held[i]);
	}
	close(blocker);
	pc_loop_destroy(l);
	cr_assert_eq(fd_count(), base - 1, "the relay's sockets closed with the loop");
	pc_io_destroy(io);
}

Test(loop_ports, commit_that_cannot_prepare_is_answered_and_leaks_nothing)
{
	struct pc_io *io = io_new(PC_IO_SOCKETS);
	struct pc_loop *l = loop_new(io, 16);
	union pc_pkt_addr lo = pc_test_loopback(AF_INET, 0), taken;
	struct pc_loop_msg *m, e;
	int blocker = udp_at(&lo, &taken), base = fd_count();

	/* Given a relay whose leg 1 RTCP is asked on a taken address / When committed */
	cr_assert_geq(blocker, 0);
	m = relay_cmd(l, 0);
	m->u.relay.local_rtcp[1] = taken;
	pc_loop_cmd_commit(l, m);

	/* Then no socket stays open, and the loop answers CREATED with -EADDRINUSE and where
	 * leg 0's ports had been bound (as when it opened them itself) */
	cr_assert_eq(fd_count(), base);
	cr_assert(take_evt(l, true, PC_LOOP_EVT_CREATED, 0, &e));
	cr_assert_eq(e.rc, -EADDRINUSE);
	cr_assert_neq(pc_test_port_of(&e.u.created.rtp[0]), 0);
	cr_assert_neq(pc_test_port_of(&e.u.created.rtcp[0]), 0);

	/* Given stream 0 created / When created again / Then -EEXIST, and the second create's
	 * sockets (made at commit) are closed by the loop */
	pc_loop_cmd_commit(l, relay_cmd(l, 0));
	cr_assert(take_evt(l, true, PC_LOOP_EVT_CREATED, 0, &e));
	cr_assert_eq(e.rc, 0);
	cr_assert_eq(fd_count(), base + 4);
	pc_loop_cmd_commit(l, media_cmd(l, 0));
	cr_assert_eq(fd_count(), base + 6, "an endpoint's two ports, made at commit");
	cr_assert(take_evt(l, true, PC_LOOP_EVT_CREATED, 0, &e));
	cr_assert_eq(e.rc, -EEXIST);
	cr_assert_eq(fd_count(), base + 4);

	/* And a bad stream id is answered -EINVAL with nothing made */
	pc_loop_cmd_commit(l, relay_cmd(l, 8));
	cr_assert_eq(fd_count(), base + 4);
	cr_assert(take_evt(l, true, PC_LOOP_EVT_CREATED, 8, &e));
	cr_assert_eq(e.rc, -EINVAL);
	close(blocker);
	pc_loop_destroy(l);
	pc_io_destroy(io);
}

Test(loop_ports, destroy_closes_the_sockets_of_creates_never_taken)
{
	struct pc_io *io = io_new(PC_IO_SOCKETS);
	struct pc_loop *l = loop_new(io, 16);
	int base = fd_count();

	/* Given two relays and an endpoint committed to a loop that never polls */
	pc_loop_cmd_commit(l, relay_cmd(l, 0));
	pc_loop_cmd_commit(l, relay_cmd(l, 1));
	pc_loop_cmd_commit(l, media_cmd(l, 2));
	cr_assert_eq(fd_count(), base + 10, "ports are made at commit");

	/* When the loop is destroyed / Then their sockets are closed */
	pc_loop_destroy(l);
	cr_assert_eq(fd_count(), base);
	pc_io_destroy(io);
}
