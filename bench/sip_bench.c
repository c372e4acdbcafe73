/* SPDX-License-Identifier: MIT */
/*
 * sip_bench.c - benchmark "sip": the SIP stack's message parser and its user agent as UAS, each
 * against a reference measured in the same run.
 *
 *   sip/parse/invite, sip/parse/200ok  pc_sip_msg_parse() on a realistic INVITE and a 200 OK,
 *       both with SDP (two Vias, Route / Record-Route, Contact, Allow, Supported...), against
 *       libre's sip_msg_decode() (baresip's parser, Debian libre-dev) on the same bytes. A trial
 *       is a batch of parses of one message; ours and libre's alternate trial by trial on one
 *       pinned CPU; ns per message is the median trial's, messages per second its inverse (one
 *       core). libre's figure includes what its decode costs by design: it allocates the message
 *       and every header (mem_zalloc) and the caller frees them (mem_deref) - both timed.
 *   sip/uas/cps  calls per second answered with no failed call: SIPp (on the producer CPU) runs a
 *       UAC scenario (INVITE with SDP, 100/180 optional, 200, ACK, no pause, BYE, 200) at a
 *       ladder of rates (doubling from SIP_RATE_START, each step SIP_STEP_S seconds, 1 s with
 *       --quick, x4 per step), against phonecore's UA in a thread of this process (pinned to the
 *       consumer CPU, pc_sip_ua_poll() in a loop) and against baresip (Debian, answermode=auto,
 *       pinned to the same CPU), a fresh instance of each per step. A step passes when SIPp
 *       exits 0, every call succeeded and SIPp finished within 10% (+0.5 s) of the step's length.
 *       The full run adds one step at 1.5x the last rate passed. Max = the highest rate passed.
 *   sip/uas/setup_latency  INVITE sent to 200 received, p50/p99, from SIPp's short message trace
 *       (microsecond timestamps; its own response times are whole milliseconds), at the highest
 *       ladder rate both passed, so both UAs carry the same load.
 *
 * phonecore's UA has auto_answer on (0 ms), but it auto-answers only a call that arrives while
 * no other call is up; the calls it leaves ringing (they overlap under load) are answered by the
 * bench with pc_sip_ua_answer() right after pc_sip_ua_poll() returns. Its transaction table is
 * sized for the step's rate (max_txns = 64 x rate: each call keeps two server transactions 32 s).
 * Per step the notes give each side's CPU time, SIPp's retransmissions and the datagrams the
 * UAS's socket dropped (/proc/net/udp), to tell a saturated UAS from a preempted one.
 *
 * External programs (SIPp, baresip) are started with fork/exec, die with this process
 * (PR_SET_PDEATHSIG) and are stopped (SIGTERM, then SIGKILL) on every path; their files live in
 * a temporary folder removed at the end (kept, with every log, when PC_BENCH_SIP_KEEP=1).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#ifdef PC_BENCH_HAVE_LIBRE
#include <re.h>
#endif

#include "bench_pvt.h"
#include "hist_pvt.h"
#include "pc_sip_msg.h"
#include "pc_sip_ua.h"

/* Listed in bench.c's table. */
int pc_bench_sip_run(const struct pc_bench_opts *o);

#define SIP_PARSE_BATCH 1000u
#define SIP_PARSE_TRIALS 101u
#define SIP_PARSE_TRIALS_QUICK 21u
#define SIP_PARSE_WARMUP 5u
#define SIP_MSG_MAX 2048u

#define SIP_RATE_START 50u
#define SIP_RATE_MAX 12800u
#define SIP_STEP_S 5u
#define SIP_STEP_S_QUICK 1u
#define SIP_MAX_STEPS 10u
#define SIP_UA_MAX_CALLS 4096u
#define SIP_RECV_TIMEOUT_MS 2000u /* a call waiting longer for a response fails */
#define SIP_RECV_TIMEOUT_MS_QUICK 1000u
#define SIP_CPS_BUDGET_S 45.0 /* per UAS, full run; the ladder stops when it is spent */
#define SIP_CPS_BUDGET_S_QUICK 7.0
#define SIP_ANSWER_Q 16384u /* power of two */

static const char *const ref_parse = "libre sip_msg_decode";
static const char *const ref_uas = "baresip (UAS, answermode=auto)";

/* --- the messages parsed ---------------------------------------------------------------------- */

static const char invite_sdp[] = "v=0\r\n"
				 "o=alice 2890844526 2890844526 IN IP4 192.0.2.101\r\n"
				 "s=-\r\n"
				 "c=IN IP4 192.0.2.101\r\n"
				 "t=0 0\r\n"
				 "m=audio 49170 RTP/AVP 0 8 101\r\n"
				 "a=rtpmap:0 PCMU/8000\r\n"
				 "a=rtpmap:8 PCMA/8000\r\n"
				 "a=rtpmap:101 telephone-event/8000\r\n"
				 "a=fmtp:101 0-16\r\n"
				 "a=ptime:20\r\n"
				 "a=sendrecv\r\n";

static const char ok_sdp[] = "v=0\r\n"
			     "o=bob 2808844564 2808844564 IN IP4 192.0.2.201\r\n"
			     "s=-\r\n"
			     "c=IN IP4 192.0.2.201\r\n"
			     "t=0 0\r\n"
			     "m=audio 3456 RTP/AVP 0 101\r\n"
			     "a=rtpmap:0 PCMU/8000\r\n"
			     "a=rtpmap:101 telephone-event/8000\r\n"
			     "a=fmtp:101 0-16\r\n"
			     "a=ptime:20\r\n"
			     "a=sendrecv\r\n";

/* An INVITE as a proxy forwards it: two Vias, Route and Record-Route, a GRUU-style Contact. */
static size_t make_invite(char *buf, size_t size)
{
	int n = snprintf(
		buf, size,
		"INVITE sip:bob@biloxi.example.com;transport=udp SIP/2.0\r\n"
		"Via: SIP/2.0/UDP proxy1.atlanta.example.com:5060;branch=z9hG4bK2d4790.1;rport\r\n"
		"Via: SIP/2.0/UDP 192.0.2.101:5060;received=192.0.2.101;branch=z9hG4bK74bf9\r\n"
		"Max-Forwards: 69\r\n"
		"Route: <sip:proxy2.biloxi.example.com;lr>\r\n"
		"Record-Route: <sip:proxy1.atlanta.example.com;lr;ftag=9fxced76sl>\r\n"
		"From: \"Alice Liddell\" <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
		"To: \"Bob\" <sip:bob@biloxi.example.com>\r\n"
		"Call-ID: 3848276298220188511@atlanta.example.com\r\n"
		"CSeq: 31862 INVITE\r\n"
		"Contact: <sip:alice@192.0.2.101:5060;transport=udp>\r\n"
		"Allow: INVITE, ACK, CANCEL, BYE, REFER, OPTIONS, NOTIFY, INFO, UPDATE\r\n"
		"Supported: replaces\r\n"
		"User-Agent: Yealink SIP-VP530 23.70.0.40\r\n"
		"Content-Type: application/sdp\r\n"
		"Content-Length: %zu\r\n"
		"\r\n"
		"%s",
		sizeof(invite_sdp) - 1, invite_sdp);

	return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

/* Its 200 OK as the caller receives it. */
static size_t make_ok(char *buf, size_t size)
{
	int n = snprintf(
		buf, size,
		"SIP/2.0 200 OK\r\n"
		"Via: SIP/2.0/UDP proxy1.atlanta.example.com:5060;branch=z9hG4bK2d4790.1;rport=5060\r\n"
		"Via: SIP/2.0/UDP 192.0.2.101:5060;received=192.0.2.101;branch=z9hG4bK74bf9\r\n"
		"Record-Route: <sip:proxy2.biloxi.example.com;lr>\r\n"
		"Record-Route: <sip:proxy1.atlanta.example.com;lr;ftag=9fxced76sl>\r\n"
		"From: \"Alice Liddell\" <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
		"To: \"Bob\" <sip:bob@biloxi.example.com>;tag=8321234356\r\n"
		"Call-ID: 3848276298220188511@atlanta.example.com\r\n"
		"CSeq: 31862 INVITE\r\n"
		"Contact: <sip:bob@192.0.2.201:5060;transport=udp>\r\n"
		"Allow: INVITE, ACK, CANCEL, BYE, REFER, OPTIONS, NOTIFY, INFO, UPDATE\r\n"
		"Supported: replaces, timer\r\n"
		"Server: phonecore-bench\r\n"
		"Content-Type: application/sdp\r\n"
		"Content-Length: %zu\r\n"
		"\r\n"
		"%s",
		sizeof(ok_sdp) - 1, ok_sdp);

	return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

/* --- the parser ------------------------------------------------------------------------------- */

struct parse_case {
	const char *name;
	char buf[SIP_MSG_MAX];
	size_t len;
	struct pc_sip_msg *msg;
#ifdef PC_BENCH_HAVE_LIBRE
	struct mbuf *mb;
#endif
};

struct parse_ctx {
	struct pc_bench_report *report;
	unsigned trials;
	int rc;
};

/* @n parses of the case's message by ours; returns ns per message, NAN if one failed. */
static double parse_ours(struct parse_case *c, unsigned n)
{
	unsigned bad = 0;
	uint64_t t0, t1;

	t0 = pc_bench_now_ns();
	for (unsigned i = 0; i < n; i++)
		bad += pc_sip_msg_parse(c->msg, c->buf, c->len, NULL, 0) != 0;
	t1 = pc_bench_now_ns();
	return bad ? NAN : (double)(t1 - t0) / n;
}

#ifdef PC_BENCH_HAVE_LIBRE
static double parse_libre(struct parse_case *c, unsigned n)
{
	unsigned bad = 0;
	uint64_t t0, t1;

	t0 = pc_bench_now_ns();
	for (unsigned i = 0; i < n; i++) {
		struct sip_msg *m = NULL;

		c->mb->pos = 0;
		if (sip_msg_decode(&m, c->mb) != 0)
			bad++;
		mem_deref(m);
	}
	t1 = pc_bench_now_ns();
	return bad ? NAN : (double)(t1 - t0) / n;
}

static int libre_case_init(struct parse_case *c)
{
	c->mb = mbuf_alloc(c->len);
	if (c->mb == NULL)
		return -ENOMEM;
	if (mbuf_write_mem(c->mb, (const uint8_t *)c->buf, c->len) != 0)
		return -ENOMEM;
	return 0;
}

static void libre_case_fini(struct parse_case *c)
{
	mem_deref(c->mb);
	c->mb = NULL;
}
#else
static double parse_libre(struct parse_case *c, unsigned n)
{
	(void)c;
	(void)n;
	return NAN;
}

static int libre_case_init(struct parse_case *c)
{
	(void)c;
	return 0;
}

static void libre_case_fini(struct parse_case *c)
{
	(void)c;
}
#endif

static int parse_case_run(struct parse_ctx *ctx, struct parse_case *c)
{
	double o[SIP_PARSE_TRIALS], r[SIP_PARSE_TRIALS];
	unsigned n = ctx->trials, q = n / 4;
	char name[64], err[PC_SIP_ERR_MAX];
	bool have_ref = false;
	double mo, mr;
	int rc;

	snprintf(name, sizeof(name), "sip/parse/%s", c->name);
	/* Both must accept the message before anything is timed. */
	rc = pc_sip_msg_parse(c->msg, c->buf, c->len, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "phonecore bench sip: pc_sip_msg_parse refuses the %s: %s\n",
			c->name, err);
		return rc;
	}
	rc = libre_case_init(c);
	if (rc < 0)
		return rc;
	have_ref = isfinite(parse_libre(c, 1));
#ifdef PC_BENCH_HAVE_LIBRE
	if (!have_ref)
		fprintf(stderr, "phonecore bench sip: sip_msg_decode refuses the %s\n", c->name);
#endif
	for (unsigned w = 0; w < SIP_PARSE_WARMUP; w++) {
		(void)parse_ours(c, SIP_PARSE_BATCH);
		if (have_ref)
			(void)parse_libre(c, SIP_PARSE_BATCH);
	}
	for (unsigned t = 0; t < n; t++) {
		if (t % 2 == 0) {
			o[t] = parse_ours(c, SIP_PARSE_BATCH);
			r[t] = have_ref ? parse_libre(c, SIP_PARSE_BATCH) : NAN;
		} else {
			r[t] = have_ref ? parse_libre(c, SIP_PARSE_BATCH) : NAN;
			o[t] = parse_ours(c, SIP_PARSE_BATCH);
		}
	}
	libre_case_fini(c);
	mo = pc_bench_median(o, n);
	mr = have_ref ? pc_bench_median(r, n) : NAN;
	rc = pc_bench_report_row(ctx->report, name, "ns_per_msg", "ns", PC_BENCH_LOWER_BETTER, mo,
				 ref_parse, mr);
	if (rc == 0)
		rc = pc_bench_report_row(ctx->report, name, "msgs_per_s_one_core", "msgs/s",
					 PC_BENCH_HIGHER_BETTER, 1e9 / mo, ref_parse,
					 have_ref ? 1e9 / mr : NAN);
	if (rc == 0 && have_ref)
		rc = pc_bench_report_note(ctx->report,
					  "%s: %zu octets, %u headers; trials p25-p75 %.0f-%.0f ns "
					  "(ours), %.0f-%.0f ns (%s)%s",
					  name, c->len, c->msg->nheaders, o[q], o[n - 1 - q], r[q],
					  r[n - 1 - q], ref_parse,
					  pc_bench_unsteady(o + q, r + q, n - 2 * q));
	else if (rc == 0)
		rc = pc_bench_report_note(
			ctx->report, "%s: %zu octets, %u headers; trials p25-p75 %.0f-%.0f ns%s",
			name, c->len, c->msg->nheaders, o[q], o[n - 1 - q],
			pc_bench_unsteady(o + q, NULL, n - 2 * q));
	return rc;
}

static void *parse_thread(void *arg)
{
	struct parse_ctx *ctx = arg;
	struct parse_case *c = calloc(1, sizeof(*c));

	if (c == NULL || (c->msg = malloc(sizeof(*c->msg))) == NULL) {
		ctx->rc = -ENOMEM;
		goto out;
	}
	c->name = "invite";
	c->len = make_invite(c->buf, sizeof(c->buf));
	ctx->rc = parse_case_run(ctx, c);
	if (ctx->rc < 0)
		goto out;
	c->name = "200ok";
	c->len = make_ok(c->buf, sizeof(c->buf));
	ctx->rc = parse_case_run(ctx, c);
out:
	if (c != NULL)
		free(c->msg);
	free(c);
	return NULL;
}

/* --- child processes -------------------------------------------------------------------------- */

/* Start @argv (a program on PATH) in @dir with stdout and stderr to @log, pinned to @cpu, killed
 * when this process dies. Returns the pid or -errno. */
static pid_t child_start(char *const argv[], const char *dir, const char *log, int cpu)
{
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		cpu_set_t set;
		int fd;

		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(127);
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		(void)sched_setaffinity(0, sizeof(set), &set);
		if (chdir(dir) != 0)
			_exit(127);
		fd = open("/dev/null", O_RDONLY);
		if (fd >= 0)
			dup2(fd, 0);
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static double ru_cpu_s(const struct rusage *ru)
{
	return (double)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) +
	       (double)(ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1e6;
}

/* Wait for *@pid until @deadline_ns; then SIGTERM, and SIGKILL a second later. *@pid is 0 after.
 * *@cpu_s (may be NULL) receives the CPU time it used (user + system, all its threads).
 * Returns the exit status (0-255), -1 when it was killed here or died of a signal. */
static int child_wait(pid_t *pid, uint64_t deadline_ns, double *cpu_s)
{
	struct rusage ru;
	int st, code = -1;
	bool termed = false;
	uint64_t kill_at = 0;

	if (*pid <= 0)
		return -1;
	for (;;) {
		pid_t w = wait4(*pid, &st, WNOHANG, &ru);

		if (w == *pid) {
			if (WIFEXITED(st) && !termed)
				code = WEXITSTATUS(st);
			if (cpu_s != NULL)
				*cpu_s = ru_cpu_s(&ru);
			break;
		}
		if (w < 0 && errno != EINTR)
			break;
		if (!termed && pc_bench_now_ns() >= deadline_ns) {
			kill(*pid, SIGTERM);
			termed = true;
			kill_at = pc_bench_now_ns() + 1000000000u;
		} else if (termed && pc_bench_now_ns() >= kill_at) {
			kill(*pid, SIGKILL);
			if (wait4(*pid, NULL, 0, &ru) == *pid && cpu_s != NULL)
				*cpu_s = ru_cpu_s(&ru);
			break;
		}
		usleep(2000);
	}
	*pid = 0;
	return code;
}

static void child_stop(pid_t *pid, double *cpu_s)
{
	if (*pid > 0)
		(void)child_wait(pid, 0, cpu_s);
}

/* --- sockets ---------------------------------------------------------------------------------- */

/* A loopback port free for UDP and TCP now (baresip listens on both). Returns it, or 0. */
static uint16_t free_port(void)
{
	for (int attempt = 0; attempt < 50; attempt++) {
		struct sockaddr_in a = { .sin_family = AF_INET };
		socklen_t alen = sizeof(a);
		int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		int t = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		uint16_t port = 0;

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (u >= 0 && t >= 0 && bind(u, (struct sockaddr *)&a, sizeof(a)) == 0 &&
		    getsockname(u, (struct sockaddr *)&a, &alen) == 0 &&
		    bind(t, (struct sockaddr *)&a, sizeof(a)) == 0)
			port = ntohs(a.sin_port);
		if (u >= 0)
			close(u);
		if (t >= 0)
			close(t);
		if (port != 0)
			return port;
	}
	return 0;
}

/* OPTIONS to 127.0.0.1:@port until any response comes, for up to @timeout_ms: is the UAS up? */
static bool sip_ping(uint16_t port, unsigned timeout_ms)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct sockaddr_in me = { .sin_family = AF_INET };
	socklen_t mlen = sizeof(me);
	uint64_t deadline = pc_bench_now_ns() + (uint64_t)timeout_ms * 1000000u;
	char req[512], resp[2048];
	bool ok = false;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return false;
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&me, sizeof(me)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&me, &mlen) != 0)
		goto out;
	for (unsigned k = 1; !ok && pc_bench_now_ns() < deadline; k++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int n = snprintf(req, sizeof(req),
				 "OPTIONS sip:bench@127.0.0.1:%u SIP/2.0\r\n"
				 "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK-pcping-%u\r\n"
				 "From: <sip:ping@127.0.0.1>;tag=pcping%u\r\n"
				 "To: <sip:bench@127.0.0.1:%u>\r\n"
				 "Call-ID: pcping-%u-%u@127.0.0.1\r\n"
				 "CSeq: %u OPTIONS\r\n"
				 "Max-Forwards: 70\r\n"
				 "Content-Length: 0\r\n\r\n",
				 port, ntohs(me.sin_port), k, k, port, k, (unsigned)getpid(), k);

		(void)sendto(fd, req, (size_t)n, 0, (struct sockaddr *)&to, sizeof(to));
		if (poll(&p, 1, 100) == 1) {
			ssize_t r = recv(fd, resp, sizeof(resp), 0);

			ok = r > 8 && memcmp(resp, "SIP/2.0 ", 8) == 0;
		}
	}
out:
	close(fd);
	return ok;
}

/* Datagrams dropped so far by the UDP socket bound to 127.0.0.1:@port (receive buffer full),
 * from /proc/net/udp; -1 when it is not found. */
static long udp_drops(uint16_t port)
{
	char line[512], want[16];
	long drops = -1;
	FILE *f = fopen("/proc/net/udp", "r");

	if (f == NULL)
		return -1;
	snprintf(want, sizeof(want), "0100007F:%04X", port);
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = strchr(line, ':'), *last;

		if (p == NULL || strncmp(p + 2, want, strlen(want)) != 0)
			continue;
		last = strrchr(line, ' ');
		while (last != NULL && last > line && (last[1] == '\0' || last[1] == '\n')) {
			*last = '\0';
			last = strrchr(line, ' ');
		}
		if (last != NULL)
			drops = strtol(last + 1, NULL, 10);
		break;
	}
	fclose(f);
	return drops;
}

/* --- a ladder step ---------------------------------------------------------------------------- */

enum uas_kind {
	UAS_PC,
	UAS_BARESIP,
};

struct step {
	unsigned rate;
	bool passed;
	uint64_t expected, outgoing, successful, failed;
	double elapsed_s;
	int sipp_code;
	uint64_t retrans;    /* SIPp's retransmissions (of INVITE and BYE) */
	long uas_drops;	     /* datagrams the UAS's socket dropped (/proc/net/udp), -1: unknown */
	double gen_cpu_s;    /* SIPp's CPU time */
	double uas_cpu_s;    /* the UA thread's, or baresip's whole process (start-up included) */
	struct pc_hist *lat; /* setup latency of the calls that got their 200 */
	char why[256];
};

struct uas_result {
	struct step steps[SIP_MAX_STEPS];
	unsigned nsteps;
	unsigned best;	  /* highest rate passed, 0: none */
	int best_ladder;  /* index of the highest ladder (non-refinement) step passed, -1: none */
	char detail[256]; /* what limited it */
};

/* The phonecore UA on its pinned thread. */
struct pc_uas {
	pthread_t thread;
	_Atomic uint32_t ready; /* 1: created (or failed: rc) */
	_Atomic uint32_t stop;
	int rc;
	unsigned rate; /* the step's call rate: sizes the transaction table */
	uint16_t port;
	/* The UA thread only: incoming calls the UA did not auto-answer (see pc_uas_event). */
	unsigned q[SIP_ANSWER_Q];
	uint32_t qhead, qtail;
	uint64_t q_overflow, bench_answered, incoming, ended_not_200;
	double cpu_s; /* the thread's CPU time, UA create and destroy included */
	struct pc_sip_ua_stats st;
};

struct sip_ctx {
	const struct pc_bench_opts *o;
	struct pc_bench_report *report;
	int cpu_gen, cpu_uas;
	char dir[64];
	unsigned step_s;
	unsigned nrun; /* SIPp runs so far: names their files */
	pid_t sipp_pid, baresip_pid;
	char baresip_version[64];
	bool have_sipp, have_baresip;
	bool keep; /* PC_BENCH_SIP_KEEP=1: keep the folder and every log, for a look after */
};

/*
 * The UA auto-answers only when it has no other call (sip_ua.c incoming_invite(): auto-answer
 * is armed when active_calls() == 0, else the call rings as a waiting call). Under load calls
 * overlap, so the bench answers the ones left ringing, right after pc_sip_ua_poll() returns: the
 * way a phone's UI would, and never from inside the callback.
 */
static void pc_uas_event(void *arg, const struct pc_sip_ua_event *ev)
{
	struct pc_uas *u = arg;

	if (ev->type == PC_SIP_UA_EV_INCOMING) {
		u->incoming++;
		if (u->qtail - u->qhead < SIP_ANSWER_Q)
			u->q[u->qtail++ & (SIP_ANSWER_Q - 1)] = ev->call;
		else
			u->q_overflow++;
	} else if (ev->type == PC_SIP_UA_EV_ENDED && ev->code != 200) {
		u->ended_not_200++;
	}
}

static void *pc_uas_main(void *arg)
{
	struct pc_uas *u = arg;
	struct pc_sip_ua_conf *c = calloc(1, sizeof(*c));
	struct pc_sip_ua_account_conf *a;
	struct pc_sip_ua *ua = NULL;
	struct timespec ts;
	int rc;

	if (c == NULL) {
		u->rc = -ENOMEM;
		pc_store_release(&u->ready, 1);
		return NULL;
	}
	a = &c->account[0];
	snprintf(c->local_ip, sizeof(c->local_ip), "127.0.0.1");
	c->naccounts = 1;
	c->call_waiting = true; /* else a second concurrent call is answered 486 */
	c->max_calls = SIP_UA_MAX_CALLS;
	/* Each call keeps its INVITE and BYE server transactions 64 x T1 = 32 s (Timers L and
	 * J): sized for the step's rate as pc_sip_ua.h advises (64 x the call rate). */
	c->max_txns = 64u * (u->rate > 256 ? u->rate : 256);
	c->rtp_port_min = 40000;
	c->rtp_port_max = 48000;
	c->user_agent = "phonecore-bench";
	c->on_event = pc_uas_event;
	c->arg = u;
	a->enable = true;
	snprintf(a->user, sizeof(a->user), "bench");
	a->auto_answer = true;
	a->auto_answer_ms = 0;
	a->caps.port[PC_SDP_MEDIA_AUDIO] = 1;
	a->caps.ncodecs = 3;
	a->caps.codecs[0] = (struct pc_sdp_codec){ PC_SDP_MEDIA_AUDIO, 0, "PCMU", 8000, 0, NULL };
	a->caps.codecs[1] = (struct pc_sdp_codec){ PC_SDP_MEDIA_AUDIO, 8, "PCMA", 8000, 0, NULL };
	a->caps.codecs[2] = (struct pc_sdp_codec){
		PC_SDP_MEDIA_AUDIO, 101, "telephone-event", 8000, 0, "0-16"
	};
	a->caps.ptime = 20;
	a->caps.dir = PC_SDP_DIR_SENDRECV;
	a->caps.addr = "127.0.0.1";
	rc = pc_sip_ua_create(&ua, c);
	free(c);
	if (rc < 0) {
		u->rc = rc;
		pc_store_release(&u->ready, 1);
		return NULL;
	}
	u->port = pc_sip_ua_port(ua);
	/* Pairs with the acquire load of the starting thread: port is visible with ready. */
	pc_store_release(&u->ready, 1);
	while (!pc_load_acquire(&u->stop)) {
		rc = pc_sip_ua_poll(ua, 5);
		if (rc < 0 && u->rc == 0)
			u->rc = rc;
		while (u->qhead != u->qtail) {
			unsigned num = u->q[u->qhead++ & (SIP_ANSWER_Q - 1)];

			/* -EPROTO when auto-answer took it or it ended: nothing to do. */
			if (pc_sip_ua_answer(ua, num) == 0)
				u->bench_answered++;
		}
	}
	pc_sip_ua_stats(ua, &u->st);
	pc_sip_ua_destroy(ua);
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0)
		u->cpu_s = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	return NULL;
}

/* Columns @names of the last line of SIPp's statistics file (-trace_stat). */
static int sipp_stats(const char *path, const char *const *names, uint64_t *vals, unsigned n)
{
	char *line = NULL, *head = NULL, *last = NULL;
	size_t cap = 0;
	int found = 0;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		if (head == NULL) {
			head = strdup(line);
		} else if (line[0] != '\n') {
			free(last);
			last = strdup(line);
		}
	}
	fclose(f);
	free(line);
	if (head != NULL && last != NULL) {
		/* Both lines have the same columns, some of them empty (in either): split by hand. */
		const char *h = head, *v = last;

		while (h != NULL && v != NULL) {
			const char *hend = strpbrk(h, ";\n"), *vend = strchr(v, ';');
			size_t hlen = hend ? (size_t)(hend - h) : strlen(h);

			for (unsigned i = 0; i < n; i++)
				if (hlen == strlen(names[i]) && memcmp(h, names[i], hlen) == 0) {
					vals[i] = strtoull(v, NULL, 10);
					found++;
				}
			h = hend != NULL && *hend == ';' ? hend + 1 : NULL;
			v = vend != NULL ? vend + 1 : NULL;
		}
	}
	free(head);
	free(last);
	return found == (int)n ? 0 : -EBADMSG;
}

/*
 * Setup latencies from SIPp's short message trace: per call (Call-ID "N-pid@..."), the first
 * INVITE sent to the first 200 to CSeq 1 INVITE received, in nanoseconds (the trace has
 * microseconds). Returns the calls that had no 200, or -errno.
 */
static long sipp_latency(const char *path, uint64_t ncalls, struct pc_hist *h)
{
	uint64_t *sent = calloc(ncalls + 1, sizeof(*sent));
	char *line = NULL;
	size_t cap = 0;
	long missing = 0;
	FILE *f;

	if (sent == NULL)
		return -ENOMEM;
	f = fopen(path, "r");
	if (f == NULL) {
		free(sent);
		return -errno;
	}
	while (getline(&line, &cap, f) > 0) {
		char *fld[7], *s = line, *save;
		unsigned nf = 0;
		unsigned long long sec, usec, call;
		uint64_t t;

		for (char *tok = strtok_r(s, "\t", &save); tok && nf < 7;
		     tok = strtok_r(NULL, "\t", &save))
			fld[nf++] = tok;
		if (nf < 7 || strcmp(fld[5], "CSeq:1 INVITE") != 0)
			continue;
		if (sscanf(fld[2], "%llu.%llu", &sec, &usec) != 2)
			continue;
		call = strtoull(fld[4], NULL, 10);
		if (call == 0 || call > ncalls)
			continue;
		t = (uint64_t)sec * 1000000000u + (uint64_t)usec * 1000u;
		if (fld[3][0] == 'S' && strncmp(fld[6], "INVITE ", 7) == 0) {
			if (sent[call] == 0)
				sent[call] = t;
		} else if (fld[3][0] == 'R' && strncmp(fld[6], "SIP/2.0 200", 11) == 0) {
			if (sent[call] != 0 && sent[call] != UINT64_MAX && t >= sent[call]) {
				pc_hist_record(h, t - sent[call]);
				sent[call] = UINT64_MAX; /* retransmitted 200s are not calls */
			}
		}
	}
	fclose(f);
	free(line);
	for (uint64_t i = 1; i <= ncalls; i++)
		missing += sent[i] != UINT64_MAX;
	free(sent);
	return missing;
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int rc = 0;

	if (f == NULL)
		return -errno;
	if (fputs(text, f) < 0)
		rc = -EIO;
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	return rc;
}

/* The UAC scenario: INVITE with SDP, 100/180/183 optional, 200, ACK, BYE at once, its 200. */
static const char uac_xml[] =
	"<?xml version=\"1.0\" encoding=\"ISO-8859-1\" ?>\n"
	"<scenario name=\"phonecore bench uac\">\n"
	"  <send retrans=\"500\" start_rtd=\"1\"><![CDATA[\n"
	"INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0\n"
	"Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]\n"
	"From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]\n"
	"To: <sip:[service]@[remote_ip]:[remote_port]>\n"
	"Call-ID: [call_id]\n"
	"CSeq: 1 INVITE\n"
	"Contact: <sip:sipp@[local_ip]:[local_port]>\n"
	"Max-Forwards: 70\n"
	"Subject: phonecore bench\n"
	"Content-Type: application/sdp\n"
	"Content-Length: [len]\n"
	"\n"
	"v=0\n"
	"o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]\n"
	"s=-\n"
	"c=IN IP[media_ip_type] [media_ip]\n"
	"t=0 0\n"
	"m=audio [media_port] RTP/AVP 0 8 101\n"
	"a=rtpmap:0 PCMU/8000\n"
	"a=rtpmap:8 PCMA/8000\n"
	"a=rtpmap:101 telephone-event/8000\n"
	"a=fmtp:101 0-16\n"
	"a=ptime:20\n"
	"a=sendrecv\n"
	"\n"
	"  ]]></send>\n"
	"  <recv response=\"100\" optional=\"true\"/>\n"
	"  <recv response=\"180\" optional=\"true\"/>\n"
	"  <recv response=\"183\" optional=\"true\"/>\n"
	"  <recv response=\"200\" rtd=\"1\" rrs=\"true\"/>\n"
	"  <send><![CDATA[\n"
	"ACK [next_url] SIP/2.0\n"
	"Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]\n"
	"From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]\n"
	"[last_To:]\n"
	"Call-ID: [call_id]\n"
	"CSeq: 1 ACK\n"
	"[routes]\n"
	"Contact: <sip:sipp@[local_ip]:[local_port]>\n"
	"Max-Forwards: 70\n"
	"Content-Length: 0\n"
	"\n"
	"  ]]></send>\n"
	"  <send retrans=\"500\"><![CDATA[\n"
	"BYE [next_url] SIP/2.0\n"
	"Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]\n"
	"From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]\n"
	"[last_To:]\n"
	"Call-ID: [call_id]\n"
	"CSeq: 2 BYE\n"
	"[routes]\n"
	"Contact: <sip:sipp@[local_ip]:[local_port]>\n"
	"Max-Forwards: 70\n"
	"Content-Length: 0\n"
	"\n"
	"  ]]></send>\n"
	"  <recv response=\"200\" crlf=\"true\"/>\n"
	"</scenario>\n";

static void path_in(const struct sip_ctx *ctx, char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", ctx->dir, name);
}

/* One SIPp run at @rate for the step's length against 127.0.0.1:@port; fills @st. */
static void sipp_step(struct sip_ctx *ctx, uint16_t port, struct step *st)
{
	static const char *const cols[] = { "OutgoingCall(C)", "SuccessfulCall(C)", "FailedCall(C)",
					    "Retransmissions(C)" };
	char a_rate[16], a_m[24], a_p[16], a_to[32], a_rt[16], a_timeout[16], stf[96], smf[96];
	char logf[96], statp[160], shortp[160], errf[96];
	uint64_t vals[4] = { 0, 0, 0, 0 }, t0;
	uint16_t lport = free_port();
	unsigned k = ++ctx->nrun;
	long missing;

	st->expected = (uint64_t)st->rate * ctx->step_s;
	snprintf(a_rate, sizeof(a_rate), "%u", st->rate);
	snprintf(a_m, sizeof(a_m), "%" PRIu64, st->expected);
	snprintf(a_p, sizeof(a_p), "%u", lport);
	snprintf(a_to, sizeof(a_to), "127.0.0.1:%u", port);
	snprintf(a_rt, sizeof(a_rt), "%u",
		 ctx->o->quick ? SIP_RECV_TIMEOUT_MS_QUICK : SIP_RECV_TIMEOUT_MS);
	/* SIPp's own bound, then ours (a failing step ends by the receive timeouts). */
	snprintf(a_timeout, sizeof(a_timeout), "%us", ctx->step_s + (ctx->o->quick ? 2 : 4));
	snprintf(stf, sizeof(stf), "stat-%u.csv", k);
	snprintf(smf, sizeof(smf), "short-%u.log", k);
	snprintf(errf, sizeof(errf), "errors-%u.log", k);
	snprintf(logf, sizeof(logf), "%s/sipp-%u.log", ctx->dir, k);
	char *argv[] = { "sipp",
			 "-nostdin",
			 "-sf",
			 "uac.xml",
			 "-i",
			 "127.0.0.1",
			 "-p",
			 a_p,
			 "-s",
			 "bench",
			 a_to,
			 "-r",
			 a_rate,
			 "-m",
			 a_m,
			 "-l",
			 "100000",
			 "-recv_timeout",
			 a_rt,
			 "-timeout",
			 a_timeout,
			 "-timeout_error",
			 "-trace_stat",
			 "-stf",
			 stf,
			 "-fd",
			 "1",
			 "-trace_shortmsg",
			 "-shortmessage_file",
			 smf,
			 "-trace_err",
			 "-error_file",
			 errf,
			 NULL };

	if (lport == 0) {
		snprintf(st->why, sizeof(st->why), "no free port for SIPp");
		return;
	}
	t0 = pc_bench_now_ns();
	ctx->sipp_pid = child_start(argv, ctx->dir, logf, ctx->cpu_gen);
	if (ctx->sipp_pid < 0) {
		ctx->sipp_pid = 0;
		snprintf(st->why, sizeof(st->why), "cannot start SIPp");
		return;
	}
	st->sipp_code = child_wait(&ctx->sipp_pid, t0 + (uint64_t)(ctx->step_s + 5) * 1000000000u,
				   &st->gen_cpu_s);
	st->elapsed_s = (double)(pc_bench_now_ns() - t0) / 1e9;
	path_in(ctx, statp, sizeof(statp), stf);
	path_in(ctx, shortp, sizeof(shortp), smf);
	st->uas_drops = udp_drops(port);
	if (sipp_stats(statp, cols, vals, 4) < 0) {
		snprintf(st->why, sizeof(st->why), "SIPp exited %d without statistics",
			 st->sipp_code);
		return;
	}
	st->outgoing = vals[0];
	st->successful = vals[1];
	st->failed = vals[2];
	st->retrans = vals[3];
	missing = sipp_latency(shortp, st->expected, st->lat);
	if (!ctx->keep) {
		(void)unlink(shortp); /* tens of MB at the top rates */
		(void)unlink(statp);
		(void)unlink(logf);
		path_in(ctx, statp, sizeof(statp), errf);
		(void)unlink(statp);
	}
	if (st->sipp_code != 0 || st->failed != 0 || st->successful != st->expected)
		snprintf(st->why, sizeof(st->why),
			 "%" PRIu64 " of %" PRIu64 " calls failed, %" PRIu64
			 " succeeded (SIPp exit %d, %ld without a 200)",
			 st->failed, st->expected, st->successful, st->sipp_code, missing);
	else if (st->elapsed_s > 1.1 * ctx->step_s + 0.5)
		snprintf(st->why, sizeof(st->why),
			 "no call failed but the %u s step took %.1f s: rate not sustained",
			 ctx->step_s, st->elapsed_s);
	else
		st->passed = true;
}

static void pc_step(struct sip_ctx *ctx, struct step *st, char *detail, size_t dlen)
{
	struct pc_uas *u = calloc(1, sizeof(*u));
	uint64_t deadline;

	if (u == NULL) {
		snprintf(st->why, sizeof(st->why), "out of memory");
		return;
	}
	u->rate = st->rate;
	atomic_init(&u->ready, 0);
	atomic_init(&u->stop, 0);
	if (pc_bench_thread_start(&u->thread, ctx->cpu_uas, pc_uas_main, u) < 0) {
		snprintf(st->why, sizeof(st->why), "cannot start the UA thread");
		free(u);
		return;
	}
	deadline = pc_bench_now_ns() + 3000000000u;
	while (!pc_load_acquire(&u->ready) && pc_bench_now_ns() < deadline)
		usleep(1000);
	if (!pc_load_acquire(&u->ready) || u->rc < 0)
		snprintf(st->why, sizeof(st->why), "pc_sip_ua_create: %s", strerror(-u->rc));
	else if (!sip_ping(u->port, 2000))
		snprintf(st->why, sizeof(st->why), "the UA does not answer OPTIONS");
	else
		sipp_step(ctx, u->port, st);
	pc_store_release(&u->stop, 1);
	pthread_join(u->thread, NULL);
	st->uas_cpu_s = u->cpu_s;
	snprintf(detail, dlen,
		 "UA: %" PRIu64 " INVITEs, %" PRIu64 " answered (%" PRIu64 " by the bench: "
		 "auto-answer skips calls that arrive during another), rx %" PRIu64 " tx %" PRIu64
		 " msgs, %" PRIu64 " bad, %" PRIu64 " stateless replies, %" PRIu64
		 " calls ended not 200",
		 u->incoming, u->st.calls_answered, u->bench_answered, u->st.rx_msgs, u->st.tx_msgs,
		 u->st.rx_bad, u->st.stateless_replies, u->ended_not_200);
	free(u);
}

static int baresip_config(struct sip_ctx *ctx, uint16_t port)
{
	char path[160], text[1024];
	int rc;

	snprintf(text, sizeof(text),
		 "poll_method\t\tepoll\n"
		 "sip_listen\t\t127.0.0.1:%u\n"
		 "call_local_timeout\t120\n"
		 "call_max_calls\t\t%u\n"
		 "audio_player\t\t\n"
		 "audio_alert\t\t\n"
		 /* Some source must start or no 200 is sent; ausine only does 48 kHz stereo. */
		 "audio_source\t\tausine,440\n"
		 "ausrc_srate\t\t48000\n"
		 "ausrc_channels\t\t2\n"
		 "rtp_stats\t\tno\n"
		 "module_path\t\t/usr/lib/baresip/modules\n"
		 "module\t\t\tg711.so\n"
		 "module\t\t\tausine.so\n"
		 "module_tmp\t\taccount.so\n"
		 /* menu does the auto-answer of answermode=auto */
		 "module_app\t\tmenu.so\n",
		 port, SIP_UA_MAX_CALLS);
	path_in(ctx, path, sizeof(path), "bs/config");
	rc = write_file(path, text);
	if (rc == 0) {
		path_in(ctx, path, sizeof(path), "bs/accounts");
		rc = write_file(path, "<sip:bench@127.0.0.1>;regint=0;answermode=auto\n");
	}
	return rc;
}

static void baresip_step(struct sip_ctx *ctx, struct step *st, char *detail, size_t dlen)
{
	char cfgdir[96], logf[96];
	uint16_t port = free_port();
	char *argv[] = { "baresip", "-f", cfgdir, NULL };

	detail[0] = '\0';
	path_in(ctx, cfgdir, sizeof(cfgdir), "bs");
	snprintf(logf, sizeof(logf), "%s/baresip-%u.log", ctx->dir, ctx->nrun + 1);
	if (port == 0 || baresip_config(ctx, port) < 0) {
		snprintf(st->why, sizeof(st->why), "cannot write baresip's configuration");
		return;
	}
	ctx->baresip_pid = child_start(argv, ctx->dir, logf, ctx->cpu_uas);
	if (ctx->baresip_pid < 0) {
		ctx->baresip_pid = 0;
		snprintf(st->why, sizeof(st->why), "cannot start baresip");
		return;
	}
	if (!sip_ping(port, 3000))
		snprintf(st->why, sizeof(st->why), "baresip did not answer OPTIONS");
	else
		sipp_step(ctx, port, st);
	child_stop(&ctx->baresip_pid, &st->uas_cpu_s);
	if (ctx->baresip_version[0] == '\0') {
		/* Its first line: "baresip v1.0.0 Copyright (C) ..." */
		FILE *f = fopen(logf, "r");

		if (f != NULL) {
			if (fgets(ctx->baresip_version, sizeof(ctx->baresip_version), f) != NULL) {
				char *c = strstr(ctx->baresip_version, " Copyright");

				if (c != NULL)
					*c = '\0';
				ctx->baresip_version[strcspn(ctx->baresip_version, "\n")] = '\0';
			}
			fclose(f);
		}
	}
	if (!st->passed) {
		/* What baresip said it did. */
		FILE *f = fopen(logf, "r");
		unsigned answering = 0, established = 0, errors = 0;
		char line[512];

		while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
			answering += strstr(line, "answering call") != NULL;
			established += strstr(line, "Call established") != NULL;
			errors += strstr(line, "\x1b[31m") != NULL; /* its error lines are red */
		}
		if (f != NULL)
			fclose(f);
		snprintf(detail, dlen,
			 "baresip's log: %u calls answered, %u established, %u error lines",
			 answering, established, errors);
	}
	if (!ctx->keep)
		(void)unlink(logf);
}

/* The ladder of one UAS: doubling (x4 quick) from SIP_RATE_START until a step fails or the
 * budget is spent, then (full run) one step at 1.5x the last rate passed. */
static void uas_ladder(struct sip_ctx *ctx, enum uas_kind kind, struct uas_result *res)
{
	const unsigned factor = ctx->o->quick ? 4 : 2;
	const double budget = ctx->o->quick ? SIP_CPS_BUDGET_S_QUICK : SIP_CPS_BUDGET_S;
	uint64_t t0 = pc_bench_now_ns();
	unsigned failed_rate = 0;
	char detail[512];

	res->best = 0;
	res->best_ladder = -1;
	for (unsigned rate = SIP_RATE_START; rate <= SIP_RATE_MAX && res->nsteps < SIP_MAX_STEPS;
	     rate *= factor) {
		struct step *st = &res->steps[res->nsteps++];

		st->rate = rate;
		if (kind == UAS_PC)
			pc_step(ctx, st, detail, sizeof(detail));
		else
			baresip_step(ctx, st, detail, sizeof(detail));
		if (!st->passed) {
			failed_rate = rate;
			snprintf(res->detail, sizeof(res->detail), "%u calls/s: %s", rate, st->why);
			if (detail[0])
				(void)pc_bench_report_note(ctx->report, "%s at %u calls/s: %s",
							   kind == UAS_PC ? "phonecore" : "baresip",
							   rate, detail);
			break;
		}
		res->best = rate;
		res->best_ladder = (int)res->nsteps - 1;
		if ((double)(pc_bench_now_ns() - t0) / 1e9 + 2.0 * ctx->step_s + 1.0 > budget) {
			snprintf(res->detail, sizeof(res->detail),
				 "the ladder's time budget ran out after %u calls/s", rate);
			break;
		}
	}
	if (!ctx->o->quick && failed_rate != 0 && res->best != 0 && res->nsteps < SIP_MAX_STEPS) {
		struct step *st = &res->steps[res->nsteps++];

		st->rate = res->best * 3 / 2;
		if (kind == UAS_PC)
			pc_step(ctx, st, detail, sizeof(detail));
		else
			baresip_step(ctx, st, detail, sizeof(detail));
		if (st->passed)
			res->best = st->rate;
		else if (detail[0])
			(void)pc_bench_report_note(ctx->report, "%s at %u calls/s: %s",
						   kind == UAS_PC ? "phonecore" : "baresip",
						   st->rate, detail);
	}
}

static void uas_notes(struct sip_ctx *ctx, const char *who, const struct uas_result *res)
{
	char line[3072];
	size_t off = 0;

	off += (size_t)snprintf(line + off, sizeof(line) - off, "%s steps:", who);
	for (unsigned i = 0; i < res->nsteps && off < sizeof(line); i++) {
		const struct step *st = &res->steps[i];

		off += (size_t)snprintf(line + off, sizeof(line) - off,
					" %u/s %s (%" PRIu64 "/%" PRIu64
					" ok, p50 %.0f us, %.1f s, cpu UAS %.2f s SIPp %.2f s, "
					"%" PRIu64 " retrans, UAS socket drops %ld)%s",
					st->rate, st->passed ? "ok" : "FAIL", st->successful,
					st->expected, (double)pc_hist_quantile(st->lat, 0.5) / 1e3,
					st->elapsed_s, st->uas_cpu_s, st->gen_cpu_s, st->retrans,
					st->uas_drops, i + 1 < res->nsteps ? ";" : "");
	}
	(void)pc_bench_report_note(ctx->report, "%s", line);
	if (res->detail[0])
		(void)pc_bench_report_note(ctx->report, "%s limit: %s", who, res->detail);
}

/* Remove the temporary folder and what SIPp and baresip left in it. */
static void dir_remove(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char sub[512];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		struct stat sb;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		if (lstat(sub, &sb) == 0 && S_ISDIR(sb.st_mode))
			dir_remove(sub);
		else
			(void)unlink(sub);
	}
	closedir(d);
	(void)rmdir(path);
}

static bool on_path(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[512];

	while (path != NULL && *path) {
		size_t n = strcspn(path, ":");

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, path, prog);
		if (access(buf, X_OK) == 0)
			return true;
		path += n;
		if (*path == ':')
			path++;
	}
	return false;
}

static int cps_run(struct sip_ctx *ctx)
{
	struct uas_result *pc = calloc(1, sizeof(*pc)), *bs = calloc(1, sizeof(*bs));
	double p50[2] = { NAN, NAN }, p99[2] = { NAN, NAN };
	unsigned common_rate = 0;
	char path[160];
	int rc = -ENOMEM;

	if (pc == NULL || bs == NULL)
		goto out;
	for (unsigned i = 0; i < SIP_MAX_STEPS; i++) {
		if (pc_hist_create(&pc->steps[i].lat) < 0 || pc_hist_create(&bs->steps[i].lat) < 0)
			goto out;
	}
	path_in(ctx, path, sizeof(path), "uac.xml");
	rc = write_file(path, uac_xml);
	if (rc == 0) {
		path_in(ctx, path, sizeof(path), "bs");
		if (mkdir(path, 0700) != 0)
			rc = -errno;
	}
	if (rc < 0) {
		fprintf(stderr, "phonecore bench sip: cannot write in %s: %s\n", ctx->dir,
			strerror(-rc));
		goto out;
	}
	if (ctx->have_sipp)
		uas_ladder(ctx, UAS_PC, pc);
	if (ctx->have_sipp && ctx->have_baresip)
		uas_ladder(ctx, UAS_BARESIP, bs);

	/* Latency at the highest ladder rate both passed: the same load on both. */
	if (pc->best_ladder >= 0 && bs->best_ladder >= 0) {
		int i = pc->best_ladder < bs->best_ladder ? pc->best_ladder : bs->best_ladder;
		const struct pc_hist *hs[2] = { pc->steps[i].lat, bs->steps[i].lat };

		common_rate = pc->steps[i].rate;
		for (unsigned s = 0; s < 2; s++) {
			p50[s] = (double)pc_hist_quantile(hs[s], 0.5) / 1e3;
			p99[s] = (double)pc_hist_quantile(hs[s], 0.99) / 1e3;
		}
	} else if (pc->best_ladder >= 0) {
		/* No reference figure: ours at our highest ladder rate. */
		const struct pc_hist *h = pc->steps[pc->best_ladder].lat;

		common_rate = pc->steps[pc->best_ladder].rate;
		p50[0] = (double)pc_hist_quantile(h, 0.5) / 1e3;
		p99[0] = (double)pc_hist_quantile(h, 0.99) / 1e3;
	}
	rc = pc_bench_report_row(ctx->report, "sip/uas/cps", "max_cps_0_failed", "calls/s",
				 PC_BENCH_HIGHER_BETTER, pc->best ? (double)pc->best : NAN, ref_uas,
				 bs->best ? (double)bs->best : NAN);
	if (rc == 0)
		rc = pc_bench_report_row(ctx->report, "sip/uas/setup_latency", "p50", "us",
					 PC_BENCH_LOWER_BETTER, p50[0], ref_uas, p50[1]);
	if (rc == 0)
		rc = pc_bench_report_row(ctx->report, "sip/uas/setup_latency", "p99", "us",
					 PC_BENCH_LOWER_BETTER, p99[0], ref_uas, p99[1]);
	if (rc < 0)
		goto out;
	(void)pc_bench_report_note(
		ctx->report,
		"cps: SIPp on CPU %d (INVITE+SDP, 100/180 optional, 200, ACK, BYE at once, 200), "
		"UAS on CPU %d, loopback UDP; ladder x%u from %u calls/s, %u s a step, a fresh UAS "
		"per step; pass = SIPp exit 0, no failed call, done within 10%% + 0.5 s",
		ctx->cpu_gen, ctx->cpu_uas, ctx->o->quick ? 4 : 2, SIP_RATE_START, ctx->step_s);
	(void)pc_bench_report_note(
		ctx->report,
		"setup latency: INVITE sent to 200 received per call, from SIPp's short message "
		"trace (microseconds), at %u calls/s (the highest ladder rate both passed)",
		common_rate);
	(void)pc_bench_report_note(
		ctx->report,
		"phonecore: pc_sip_ua in one thread, max_calls %u, call_waiting on, auto_answer "
		"(0 ms; it only answers a call arriving while no other is up, the bench answers the "
		"rest), RFC default T1, max_txns 64 x the step's rate (Timers L and J keep each "
		"call's INVITE and BYE server transactions 32 s)",
		SIP_UA_MAX_CALLS);
	(void)pc_bench_report_note(
		ctx->report,
		"baresip: %s, modules g711 ausine (48 kHz stereo source, "
		"resampled: some audio source must start or it sends no 200) "
		"menu (auto-answer), call_max_calls %u; it starts media per call, "
		"phonecore's UA does signaling only",
		ctx->baresip_version[0] ? ctx->baresip_version : "baresip", SIP_UA_MAX_CALLS);
	if (ctx->have_sipp)
		uas_notes(ctx, "phonecore", pc);
	if (ctx->have_sipp && ctx->have_baresip)
		uas_notes(ctx, "baresip", bs);
out:
	for (unsigned i = 0; i < SIP_MAX_STEPS; i++) {
		if (pc != NULL)
			pc_hist_destroy(pc->steps[i].lat);
		if (bs != NULL)
			pc_hist_destroy(bs->steps[i].lat);
	}
	free(pc);
	free(bs);
	return rc;
}

int pc_bench_sip_run(const struct pc_bench_opts *o)
{
	struct sip_ctx ctx = { .o = o };
	struct parse_ctx pctx = { 0 };
	pthread_t t;
	int rc;

	rc = pc_bench_cpus(o, &ctx.cpu_gen, &ctx.cpu_uas);
	if (rc < 0)
		return rc;
	ctx.step_s = o->quick ? SIP_STEP_S_QUICK : SIP_STEP_S;
	ctx.keep = getenv("PC_BENCH_SIP_KEEP") != NULL &&
		   strcmp(getenv("PC_BENCH_SIP_KEEP"), "1") == 0;
	ctx.have_sipp = on_path("sipp");
	ctx.have_baresip = on_path("baresip") &&
			   access("/usr/lib/baresip/modules/ausine.so", R_OK) == 0;
	rc = pc_bench_report_create(&ctx.report, "sip", o);
	if (rc < 0)
		return rc;
	snprintf(ctx.dir, sizeof(ctx.dir), "/tmp/pc-bench-sip.XXXXXX");
	if (mkdtemp(ctx.dir) == NULL) {
		rc = -errno;
		fprintf(stderr, "phonecore bench sip: mkdtemp: %s\n", strerror(-rc));
		goto out_report;
	}

	/* The parser, on the UAS's CPU. */
	pctx.report = ctx.report;
	pctx.trials = o->quick ? SIP_PARSE_TRIALS_QUICK : SIP_PARSE_TRIALS;
#ifdef PC_BENCH_HAVE_LIBRE
	rc = pc_bench_report_note(
		ctx.report,
		"parse: one thread on CPU %d, %u trials of %u parses per side and "
		"message, alternating; median; libre %s (sip_msg_decode allocates "
		"the message and its headers; the mem_deref is timed too)",
		ctx.cpu_uas, pctx.trials, SIP_PARSE_BATCH, sys_libre_version_get());
#else
	rc = pc_bench_report_note(ctx.report,
				  "parse: one thread on CPU %d, %u trials of %u parses; median; no "
				  "reference: built without libre (Debian libre-dev)",
				  ctx.cpu_uas, pctx.trials, SIP_PARSE_BATCH);
#endif
	if (rc < 0)
		goto out_dir;
	rc = pc_bench_thread_start(&t, ctx.cpu_uas, parse_thread, &pctx);
	if (rc < 0)
		goto out_dir;
	pthread_join(t, NULL);
	rc = pctx.rc;
	if (rc < 0)
		goto out_dir;

	if (!ctx.have_sipp)
		fprintf(stderr, "phonecore bench sip: sipp not installed (Debian: sip-tester): the "
				"cps rows are null\n");
	else if (!ctx.have_baresip)
		fprintf(stderr, "phonecore bench sip: baresip not installed (Debian: baresip): "
				"its reference rows are null\n");
	rc = cps_run(&ctx);
	if (rc == 0)
		rc = pc_bench_report_finish(ctx.report);
out_dir:
	child_stop(&ctx.sipp_pid, NULL);
	child_stop(&ctx.baresip_pid, NULL);
	if (ctx.keep)
		fprintf(stderr, "phonecore bench sip: files kept in %s\n", ctx.dir);
	else
		dir_remove(ctx.dir);
out_report:
	pc_bench_report_destroy(ctx.report);
	return rc;
}
