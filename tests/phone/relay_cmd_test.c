/* SPDX-License-Identifier: MIT */
/*
 * relay_cmd_test.c - `phonecore relay` as a user runs it: the binary started with --pair
 * endpoints on loopback, RTP sent through it both ways by two peers, the counters printed when
 * it is stopped by SIGTERM; the backend chosen by --io and by a configuration file; bad command
 * lines refused with exit status 2.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#ifndef PC_TEST_PHONECORE
#error "PC_TEST_PHONECORE: the path of the phonecore binary"
#endif

struct child {
	pid_t pid;
	int out; /* its stdout */
	char buf[8192];
	size_t len;
};

static void spawn(struct child *c, char *const argv[])
{
	int fds[2];

	cr_assert_eq(pipe(fds), 0);
	c->pid = fork();
	cr_assert_geq(c->pid, 0);
	if (c->pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		execv(PC_TEST_PHONECORE, argv);
		_exit(127);
	}
	close(fds[1]);
	c->out = fds[0];
	c->len = 0;
	c->buf[0] = '\0';
}

/* Read the child's output until @want appears or @ms pass. */
static bool read_until(struct child *c, const char *want, int ms)
{
	while (strstr(c->buf, want) == NULL) {
		struct pollfd p = { .fd = c->out, .events = POLLIN };
		ssize_t k;

		if (poll(&p, 1, ms) <= 0)
			return false;
		k = read(c->out, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
		if (k <= 0)
			return strstr(c->buf, want) != NULL;
		c->len += (size_t)k;
		c->buf[c->len] = '\0';
	}
	return true;
}

static int finish(struct child *c)
{
	int st;

	kill(c->pid, SIGTERM);
	(void)read_until(c, "\n<eof>", 3000); /* everything until it closes */
	cr_assert_eq(waitpid(c->pid, &st, 0), c->pid);
	close(c->out);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int udp(struct sockaddr_in *a)
{
	socklen_t len = sizeof(*a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct timeval tv = { .tv_sec = 2 };

	cr_assert_geq(fd, 0);
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)a, sizeof(*a)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)a, &len), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Two free consecutive-ish ports: bind, read, close (a race with other tests is unlikely). */
static uint16_t free_port(void)
{
	struct sockaddr_in a;
	int fd = udp(&a);

	close(fd);
	return ntohs(a.sin_port);
}

static void send_rtp(int fd, uint16_t port, uint16_t seq)
{
	uint8_t p[172] = { 0x80, 0, (uint8_t)(seq >> 8), (uint8_t)seq, 0, 0, 0, 0, 1, 2, 3, 4 };
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	cr_assert_eq(sendto(fd, p, sizeof(p), 0, (struct sockaddr *)&to, sizeof(to)),
		     (ssize_t)sizeof(p));
}

static void expect_rtp(int fd, uint16_t seq, const char *what)
{
	uint8_t b[256];
	ssize_t k = recv(fd, b, sizeof(b), 0);

	cr_assert_eq(k, 172, "%s: nothing relayed (%zd, %s)", what, k, strerror(errno));
	cr_assert_eq((b[2] << 8) | b[3], seq, "%s: sequence number", what);
}

/* Peers X (leg A's side) and Y (leg B's): Y latches B, X's packet reaches Y, Y's reaches X. */
static void relay_both_ways(const char *io_arg, const char *cfg_path, const char *backend)
{
	char pair[64], io_opt[32], cfg_opt[300];
	uint16_t pa = free_port(), pb = free_port();
	char *argv[12] = { "phonecore", "relay", "--pair", pair };
	struct sockaddr_in xa, ya;
	int x = udp(&xa), y = udp(&ya), n = 4, rc;
	struct child c;
	char expect[64];

	snprintf(pair, sizeof(pair), "127.0.0.1:%u,127.0.0.1:%u", pa, pb);
	if (io_arg) {
		snprintf(io_opt, sizeof(io_opt), "--io=%s", io_arg);
		argv[n++] = io_opt;
	}
	if (cfg_path) {
		snprintf(cfg_opt, sizeof(cfg_opt), "--config=%s", cfg_path);
		argv[n++] = cfg_opt;
	}
	argv[n++] = "--duration=20";
	argv[n] = NULL;
	spawn(&c, argv);
	snprintf(expect, sizeof(expect), "on %s\n", backend);
	cr_assert(read_until(&c, "pair 1: A", 5000), "no start line: %s", c.buf);
	if (strstr(c.buf, expect) == NULL) {
		(void)finish(&c);
		if (strcmp(backend, "uring") == 0 && strstr(c.buf, "on sockets"))
			cr_skip_test("io_uring fell back to sockets here");
		cr_assert_fail("not running on %s: %s", backend, c.buf);
	}
	send_rtp(y, pb, 7); /* latches B (dropped: A has no remote yet) */
	usleep(20000);
	send_rtp(x, pa, 1);
	expect_rtp(y, 1, "A -> B");
	send_rtp(y, pb, 8);
	expect_rtp(x, 8, "B -> A");
	rc = finish(&c);
	cr_assert_eq(rc, 0, "exit status %d: %s", rc, c.buf);
	cr_assert(strstr(c.buf, "pair 1 final: A rx 1 tx 1 bad 0 no_peer 0") != NULL,
		  "final counters of A: %s", c.buf);
	cr_assert(strstr(c.buf, "B rx 2 tx 1 bad 0 no_peer 1") != NULL, "final counters of B: %s",
		  c.buf);
	close(x);
	close(y);
}

Test(relay_cmd, sockets_relays_both_ways_and_reports)
{
	relay_both_ways("sockets", NULL, "sockets");
}

Test(relay_cmd, uring_relays_both_ways_and_reports)
{
	relay_both_ways("uring", NULL, "uring");
}

Test(relay_cmd, backend_from_the_configuration_file)
{
	char path[] = "/tmp/pc-relay-cfg-XXXXXX";
	int fd = mkstemp(path);
	static const char text[] = "#!version:1.0.0.1\nphonecore.media.io = sockets\n"
				   "phonecore.media.idle = poll\n";

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	relay_both_ways(NULL, path, "sockets");
	unlink(path);
}

static void refused(char *const argv[], const char *why)
{
	int fds[2], st;
	char buf[1024] = "";
	ssize_t k;
	pid_t pid;

	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 2);
		close(fds[0]);
		execv(PC_TEST_PHONECORE, argv);
		_exit(127);
	}
	close(fds[1]);
	k = read(fds[0], buf, sizeof(buf) - 1);
	buf[k > 0 ? k : 0] = '\0';
	close(fds[0]);
	waitpid(pid, &st, 0);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2, "%s: status %d", argv[2], st);
	cr_assert(strstr(buf, why) != NULL, "expected '%s' in: %s", why, buf);
}

Test(relay_cmd, bad_command_lines_are_refused)
{
	refused((char *[]){ "phonecore", "relay", NULL }, "give at least one --pair");
	refused((char *[]){ "phonecore", "relay", "--pair", "127.0.0.1:1", NULL }, "--pair wants");
	refused((char *[]){ "phonecore", "relay", "--pair", "-,127.0.0.1:2", NULL },
		"--pair wants");
	refused((char *[]){ "phonecore", "relay", "--pair", "127.0.0.1:99999,127.0.0.1:2", NULL },
		"--pair wants");
	refused((char *[]){ "phonecore", "relay", "--pair", "127.0.0.1:1,127.0.0.1:2", "--io",
			    "carrier-pigeon", NULL },
		"unknown I/O backend");
	refused((char *[]){ "phonecore", "relay", "--frob", NULL }, "unknown option '--frob'");
	refused((char *[]){ "phonecore", "relay", "--timeout", "x", "--pair",
			    "127.0.0.1:1,127.0.0.1:2", NULL },
		"--timeout wants");
	refused((char *[]){ "phonecore", "relay", "--set", "phonecore.media.burst=900", "--pair",
			    "127.0.0.1:1,127.0.0.1:2", NULL },
		"phonecore.media.burst");
}
