/* SPDX-License-Identifier: MIT */
/*
 * cli_relay.c - `phonecore relay`: the media gateway with static legs. Each --pair names two
 * local UDP endpoints, leg A and leg B; what arrives on one leaves from the other to that leg's
 * remote, learnt from the first packet (symmetric RTP) unless given. One media loop on the
 * backend the configuration (phonecore.media.*) or --io chooses; this thread is its control
 * thread: it creates the relays, prints media timeouts and statistics, and stops on SIGINT or
 * SIGTERM (or after --duration), printing each pair's final counters.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "cli_pvt.h"
#include "pc_config.h"
#include "pc_loop.h"

#define RELAY_PAIRS_MAX 4096u

struct relay_pair {
	union pc_pkt_addr local[2];
	union pc_pkt_addr remote[2]; /* family 0: learn */
};

struct relay_cli {
	struct relay_pair *pairs;
	unsigned npairs;
	uint32_t flags; /* PC_RELAY_F_* for every leg */
	uint32_t timeout_ms;
	double duration_s; /* 0: until a signal */
	double stats_s;	   /* 0: only at the end */
	int cpu;
};

void pc_cli_relay_help(FILE *f)
{
	fprintf(f,
		"usage: phonecore relay [options] --pair A,B[,RA,RB] [--pair ...]\n\n"
		"Relays RTP and RTCP between pairs of local UDP ports: what arrives on leg A leaves\n"
		"from leg B to B's remote, and the reverse. A remote is learnt from the first packet\n"
		"the leg receives (symmetric RTP), or given. Stops on SIGINT/SIGTERM and prints each\n"
		"pair's counters.\n\n"
		"  --pair A,B[,RA,RB]  local endpoints of legs A and B (ADDR:PORT, [IPv6]:PORT),\n"
		"                      optionally their remotes ('-': learn)\n"
		"  --io BACKEND        sockets, uring or dpdk (default: phonecore.media.io)\n"
		"  --config FILE       load a configuration file (VP530 format; may repeat)\n"
		"  --set KEY=VALUE     set a configuration key (after the files)\n"
		"  --lock              never move a remote once learnt\n"
		"  --rtcp-port         RTCP on its own port (RTP port + 1) instead of rtcp-mux\n"
		"  --timeout MS        report a leg that received nothing for MS milliseconds\n"
		"  --stats SECONDS     print the counters every SECONDS\n"
		"  --duration SECONDS  stop after SECONDS\n"
		"  -h, --help          this text\n\n"
		"configuration keys used: phonecore.media.io, .idle, .cpu, .burst, .pool_pkts,\n"
		".uring_zc_min, .max_streams, .dpdk.eal_args, .dpdk.ipv4\n");
}

/* "1.2.3.4:5", "[::1]:5" or "-" (family 0). */
static int parse_endpoint(const char *s, size_t len, union pc_pkt_addr *a)
{
	char host[64], *end;
	const char *colon;
	unsigned long port;

	memset(a, 0, sizeof(*a));
	if (len == 1 && s[0] == '-')
		return 0;
	if (len == 0 || len >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, len);
	host[len] = '\0';
	colon = strrchr(host, ':');
	if (colon == NULL || colon[1] == '\0')
		return -EINVAL;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || port > 65535)
		return -EINVAL;
	host[colon - host] = '\0';
	if (host[0] == '[') {
		size_t hl = strlen(host);

		if (hl < 3 || host[hl - 1] != ']')
			return -EINVAL;
		host[hl - 1] = '\0';
		a->in6.sin6_family = AF_INET6;
		a->in6.sin6_port = htons((uint16_t)port);
		return inet_pton(AF_INET6, host + 1, &a->in6.sin6_addr) == 1 ? 0 : -EINVAL;
	}
	a->in4.sin_family = AF_INET;
	a->in4.sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &a->in4.sin_addr) == 1 ? 0 : -EINVAL;
}

/* "A,B" or "A,B,RA,RB". */
static int parse_pair(const char *s, struct relay_pair *p)
{
	union pc_pkt_addr *slot[4] = { &p->local[0], &p->local[1], &p->remote[0], &p->remote[1] };
	unsigned n = 0;

	for (const char *tok = s;; n++) {
		const char *comma = strchr(tok, ',');
		size_t len = comma ? (size_t)(comma - tok) : strlen(tok);

		if (n >= 4 || parse_endpoint(tok, len, slot[n]) < 0)
			return -EINVAL;
		if (comma == NULL)
			break;
		tok = comma + 1;
	}
	if (n != 1 && n != 3)
		return -EINVAL;
	for (unsigned i = 0; i < 2; i++)
		if (p->local[i].sa.sa_family == 0)
			return -EINVAL; /* a local endpoint cannot be learnt */
	return 0;
}

static const char *addr_str(const union pc_pkt_addr *a, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (a->sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &a->in6.sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(a->in6.sin6_port));
	} else if (a->sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &a->in4.sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(a->in4.sin_port));
	} else {
		snprintf(buf, len, "(learning)");
	}
	return buf;
}

static void *loop_main(void *arg)
{
	pc_loop_run(arg);
	return NULL;
}

static double now_s(void)
{
	return (double)pc_loop_now_ns() / 1e9;
}

static void print_stats(unsigned pair, const struct pc_relay_leg_stats st[2], const char *when)
{
	printf("pair %u %s:", pair + 1, when);
	for (unsigned leg = 0; leg < 2; leg++)
		printf(" %c rx %" PRIu64 " tx %" PRIu64 " bad %" PRIu64 " no_peer %" PRIu64
		       " foreign %" PRIu64 " relearned %" PRIu64 "%s",
		       leg ? 'B' : 'A', st[leg].rx_pkts, st[leg].tx_pkts, st[leg].bad,
		       st[leg].no_peer, st[leg].foreign, st[leg].relearned, leg ? "\n" : ";");
	fflush(stdout);
}

/* One event from the loop; returns -1 for a failed create, 1 for a final DESTROYED, else 0. */
static int handle_evt(const struct relay_cli *rc, struct pc_loop_msg *m)
{
	char a[80], b[80];
	unsigned s = m->stream;

	switch (m->type) {
	case PC_LOOP_EVT_CREATED:
		if (m->rc < 0) {
			fprintf(stderr, "phonecore relay: pair %u (%s, %s): %s\n", s + 1,
				addr_str(&rc->pairs[s].local[0], a, sizeof(a)),
				addr_str(&rc->pairs[s].local[1], b, sizeof(b)), strerror(-m->rc));
			return -1;
		}
		printf("pair %u: A %s <-> B %s\n", s + 1,
		       addr_str(&m->u.created.rtp[0], a, sizeof(a)),
		       addr_str(&m->u.created.rtp[1], b, sizeof(b)));
		fflush(stdout);
		return 0;
	case PC_LOOP_EVT_STATS:
		print_stats(s, m->u.stats, "stats");
		return 0;
	case PC_LOOP_EVT_DESTROYED:
		print_stats(s, m->u.stats, "final");
		return 1;
	case PC_LOOP_EVT_TIMEOUT:
		printf("pair %u: leg %c received nothing for %u ms\n", s + 1,
		       m->u.timeout.leg ? 'B' : 'A', rc->timeout_ms);
		fflush(stdout);
		return 0;
	default:
		fprintf(stderr, "phonecore relay: pair %u: command failed: %s\n", s + 1,
			strerror(m->rc < 0 ? -m->rc : EINVAL));
		return 0;
	}
}

/* Send one command (waiting for room); the loop is running. */
static struct pc_loop_msg *cmd_wait(struct pc_loop *l)
{
	struct pc_loop_msg *m;

	while ((m = pc_loop_cmd_reserve(l)) == NULL)
		usleep(200);
	return m;
}

/* Ask every pair for @type (stats or destroy) and print the answers as they come. */
static int all_pairs(const struct relay_cli *rc, struct pc_loop *l, uint32_t type)
{
	unsigned asked = 0, answered = 0;
	double deadline = now_s() + 5;

	while (answered < rc->npairs && now_s() < deadline) {
		struct pc_loop_msg *m;

		while (asked < rc->npairs && asked - answered < 128 &&
		       (m = pc_loop_cmd_reserve(l)) != NULL) {
			m->type = type;
			m->stream = asked++;
			pc_loop_cmd_commit(l, m);
		}
		while ((m = pc_loop_evt_poll(l)) != NULL) {
			if (m->type == PC_LOOP_EVT_STATS || m->type == PC_LOOP_EVT_DESTROYED ||
			    m->type == PC_LOOP_EVT_ERROR)
				answered++;
			(void)handle_evt(rc, m);
			pc_loop_evt_release(l, m);
		}
		usleep(200);
	}
	return answered == rc->npairs ? 0 : -ETIMEDOUT;
}

static int create_pairs(const struct relay_cli *rc, struct pc_loop *l)
{
	unsigned asked = 0, answered = 0;
	int status = 0;

	while (answered < rc->npairs) {
		struct pc_loop_msg *m;

		while (asked < rc->npairs && asked - answered < 128 &&
		       (m = pc_loop_cmd_reserve(l)) != NULL) {
			struct pc_loop_relay_create *c = &m->u.relay;
			const struct relay_pair *p = &rc->pairs[asked];

			m->type = PC_LOOP_CMD_RELAY_CREATE;
			m->stream = asked++;
			c->timeout_ms = rc->timeout_ms;
			for (unsigned leg = 0; leg < 2; leg++) {
				c->local_rtp[leg] = p->local[leg];
				c->leg[leg].flags = rc->flags;
				c->leg[leg].remote_rtp = p->remote[leg];
			}
			pc_loop_cmd_commit(l, m);
		}
		while ((m = pc_loop_evt_poll(l)) != NULL) {
			if (m->type == PC_LOOP_EVT_CREATED) {
				answered++;
				if (handle_evt(rc, m) < 0)
					status = -1;
			} else {
				(void)handle_evt(rc, m);
			}
			pc_loop_evt_release(l, m);
		}
		usleep(100);
	}
	return status;
}

/* The I/O configuration from the configuration keys (and --io). */
static int io_conf_from(const struct pc_config *cfg, const char *io_opt, struct pc_io_conf *ioc,
			uint32_t *idle, uint32_t *max_streams, int *cpu)
{
	const char *s;
	int64_t v;

	memset(ioc, 0, sizeof(*ioc));
	if (io_opt == NULL && pc_config_get_str(cfg, "phonecore.media.io", &io_opt) < 0)
		return -EINVAL;
	if (pc_io_backend_parse(io_opt, &ioc->backend) < 0) {
		fprintf(stderr,
			"phonecore relay: unknown I/O backend '%s' (sockets, uring, dpdk)\n",
			io_opt);
		return -EINVAL;
	}
	if (pc_config_get_int(cfg, "phonecore.media.pool_pkts", &v) == 0)
		ioc->pkts = (uint32_t)v;
	if (pc_config_get_int(cfg, "phonecore.media.burst", &v) == 0)
		ioc->burst = (uint32_t)v;
	if (pc_config_get_int(cfg, "phonecore.media.uring_zc_min", &v) == 0)
		ioc->uring_zc_min = (uint32_t)v;
	if (pc_config_get_int(cfg, "phonecore.media.max_streams", &v) == 0)
		*max_streams = (uint32_t)v;
	if (pc_config_get_int(cfg, "phonecore.media.cpu", &v) == 0)
		*cpu = (int)v;
	if (pc_config_get_str(cfg, "phonecore.media.idle", &s) == 0)
		*idle = strcmp(s, "poll") == 0 ? PC_LOOP_IDLE_POLL : PC_LOOP_IDLE_SLEEP;
	if (ioc->backend == PC_IO_DPDK) {
		struct in_addr ip;

		if (pc_config_get_str(cfg, "phonecore.media.dpdk.eal_args", &ioc->eal_args) < 0 ||
		    pc_config_get_str(cfg, "phonecore.media.dpdk.ipv4", &s) < 0 ||
		    inet_pton(AF_INET, s, &ip) != 1)
			return -EINVAL;
		ioc->dpdk_ipv4 = ip.s_addr;
		ioc->dpdk_port_id = PC_IO_DPDK_PORT_BY_VDEV;
	}
	return 0;
}

static void cfg_warn(const char *msg, void *arg)
{
	(void)arg;
	fprintf(stderr, "phonecore relay: %s\n", msg);
}

/* Run the relays until a signal or the duration; returns an exit status. */
static int relay_run(struct relay_cli *rc, const struct pc_io_conf *ioc, uint32_t idle,
		     uint32_t max_streams)
{
	struct pc_loop_conf lc = { .max_streams = max_streams, .idle = idle };
	struct pc_io_conf c = *ioc;
	struct pc_loop *l = NULL;
	struct pc_io *io = NULL;
	struct pc_loop_msg *m;
	struct timespec tick = { 0, 20000000 };
	sigset_t sigs;
	pthread_t tid;
	double start, next_stats;
	int status = PC_EXIT_OK, err;

	if (rc->npairs > max_streams) {
		fprintf(stderr, "phonecore relay: %u pairs, phonecore.media.max_streams is %u\n",
			rc->npairs, max_streams);
		return PC_EXIT_USAGE;
	}
	/* Two ports per pair with rtcp-mux, four without, and some room. */
	c.max_ports = rc->npairs * ((rc->flags & PC_RELAY_F_RTCP_MUX) ? 2 : 4) + 8;
	/* Room for an answer per pair and a timeout per leg at once. */
	while (lc.channel_msgs < 4 * rc->npairs + 256)
		lc.channel_msgs = lc.channel_msgs ? 2 * lc.channel_msgs : 256;
	/* SIGINT and SIGTERM are taken here with sigtimedwait; every other thread blocks them
	 * (DPDK starts its control threads in pc_io_create: they inherit the mask). */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	err = pc_io_create(&io, &c); /* prints why it failed */
	if (err < 0)
		return PC_EXIT_FAIL;
	lc.io = io;
	err = pc_loop_create(&l, &lc);
	if (err < 0) {
		fprintf(stderr, "phonecore relay: media loop: %s\n", strerror(-err));
		pc_io_destroy(io);
		return PC_EXIT_FAIL;
	}
	err = pthread_create(&tid, NULL, loop_main, l);
	if (err != 0) {
		fprintf(stderr, "phonecore relay: media thread: %s\n", strerror(err));
		pc_loop_destroy(l);
		pc_io_destroy(io);
		return PC_EXIT_FAIL;
	}
	if (rc->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(rc->cpu, &set);
		err = pthread_setaffinity_np(tid, sizeof(set), &set);
		if (err != 0)
			fprintf(stderr,
				"phonecore relay: cannot pin the media thread to CPU %d: %s\n",
				rc->cpu, strerror(err));
	}
	printf("relay: %u pair%s on %s\n", rc->npairs, rc->npairs == 1 ? "" : "s",
	       pc_io_backend_name(pc_io_backend(io)));
	if (create_pairs(rc, l) < 0)
		status = PC_EXIT_FAIL;
	start = now_s();
	next_stats = rc->stats_s > 0 ? start + rc->stats_s : 0;
	while (status == PC_EXIT_OK) {
		int sig = sigtimedwait(&sigs, NULL, &tick);

		if (sig == SIGINT || sig == SIGTERM)
			break;
		while ((m = pc_loop_evt_poll(l)) != NULL) {
			(void)handle_evt(rc, m);
			pc_loop_evt_release(l, m);
		}
		if (rc->duration_s > 0 && now_s() - start >= rc->duration_s)
			break;
		if (next_stats > 0 && now_s() >= next_stats) {
			(void)all_pairs(rc, l, PC_LOOP_CMD_STREAM_STATS);
			next_stats += rc->stats_s;
		}
	}
	if (all_pairs(rc, l, PC_LOOP_CMD_STREAM_DESTROY) < 0 && status == PC_EXIT_OK) {
		fprintf(stderr, "phonecore relay: the media loop did not answer\n");
		status = PC_EXIT_FAIL;
	}
	m = cmd_wait(l);
	m->type = PC_LOOP_CMD_STOP;
	pc_loop_cmd_commit(l, m);
	pthread_join(tid, NULL);
	pc_loop_destroy(l);
	pc_io_destroy(io);
	return status;
}

static int parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v > 0) || v > 1e7)
		return -EINVAL;
	*out = v;
	return 0;
}

int pc_cli_relay_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pair", required_argument, NULL, 'p' },
		{ "io", required_argument, NULL, 'i' },
		{ "config", required_argument, NULL, 'c' },
		{ "set", required_argument, NULL, 's' },
		{ "lock", no_argument, NULL, 'l' },
		{ "rtcp-port", no_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 't' },
		{ "stats", required_argument, NULL, 'S' },
		{ "duration", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct relay_cli rc = { .flags = PC_RELAY_F_RTCP_MUX, .cpu = -1 };
	struct pc_config *cfg = NULL;
	struct pc_io_conf ioc;
	const char *io_opt = NULL;
	char err[PC_CONFIG_ERR_MAX];
	uint32_t idle = PC_LOOP_IDLE_SLEEP, max_streams = 1024;
	int status = PC_EXIT_USAGE, c;

	if (pc_config_create(&cfg, cfg_warn, NULL) < 0) {
		fprintf(stderr, "phonecore relay: out of memory\n");
		return PC_EXIT_FAIL;
	}
	rc.pairs = calloc(RELAY_PAIRS_MAX, sizeof(*rc.pairs));
	if (rc.pairs == NULL) {
		fprintf(stderr, "phonecore relay: out of memory\n");
		pc_config_destroy(cfg);
		return PC_EXIT_FAIL;
	}
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		char *eq, *end;
		unsigned long v;

		switch (c) {
		case 'p':
			if (rc.npairs == RELAY_PAIRS_MAX) {
				fprintf(stderr, "phonecore relay: at most %u pairs\n",
					RELAY_PAIRS_MAX);
				goto out;
			}
			if (parse_pair(optarg, &rc.pairs[rc.npairs]) < 0) {
				fprintf(stderr,
					"phonecore relay: --pair wants A,B or A,B,RA,RB with "
					"ADDR:PORT endpoints ('-' for a remote to learn), not '%s'\n",
					optarg);
				goto out;
			}
			rc.npairs++;
			break;
		case 'i':
			io_opt = optarg;
			break;
		case 'c':
			if (pc_config_load_file(cfg, optarg, err, sizeof(err)) < 0) {
				fprintf(stderr, "phonecore relay: %s\n", err);
				status = PC_EXIT_FAIL;
				goto out;
			}
			break;
		case 's':
			eq = strchr(optarg, '=');
			if (eq == NULL) {
				fprintf(stderr,
					"phonecore relay: --set wants KEY=VALUE, not '%s'\n",
					optarg);
				goto out;
			}
			*eq = '\0';
			if (pc_config_set(cfg, optarg, eq + 1, err, sizeof(err)) < 0) {
				fprintf(stderr, "phonecore relay: %s\n", err);
				goto out;
			}
			break;
		case 'l':
			rc.flags |= PC_RELAY_F_LOCK;
			break;
		case 'r':
			rc.flags &= ~PC_RELAY_F_RTCP_MUX;
			break;
		case 't':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' || v == 0 || v > 3600000) {
				fprintf(stderr,
					"phonecore relay: --timeout wants milliseconds (1-3600000), "
					"not '%s'\n",
					optarg);
				goto out;
			}
			rc.timeout_ms = (uint32_t)v;
			break;
		case 'S':
		case 'd':
			if (parse_seconds(optarg, c == 'S' ? &rc.stats_s : &rc.duration_s) < 0) {
				fprintf(stderr, "phonecore relay: --%s wants seconds, not '%s'\n",
					c == 'S' ? "stats" : "duration", optarg);
				goto out;
			}
			break;
		case 'h':
			pc_cli_relay_help(stdout);
			status = PC_EXIT_OK;
			goto out;
		case ':':
			fprintf(stderr, "phonecore relay: option '%s' needs a value\n",
				argv[optind - 1]);
			goto out;
		default:
			fprintf(stderr,
				"phonecore relay: unknown option '%s' (see 'phonecore relay "
				"--help')\n",
				argv[optind - 1]);
			goto out;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "phonecore relay: unexpected argument '%s'\n", argv[optind]);
		goto out;
	}
	if (rc.npairs == 0) {
		fprintf(stderr, "phonecore relay: give at least one --pair A,B\n");
		goto out;
	}
	if (io_conf_from(cfg, io_opt, &ioc, &idle, &max_streams, &rc.cpu) < 0)
		goto out;
	status = relay_run(&rc, &ioc, idle, max_streams);
out:
	free(rc.pairs);
	pc_config_destroy(cfg);
	return status;
}
