/* SPDX-License-Identifier: MIT */
/*
 * sip_thread_test.c - the SIP thread (pc_sip_thread.h). Two phones in this process, each a SIP
 * thread driving its own media loop on its own thread (sockets backend), call each other
 * directly over loopback (no proxy). The test thread is both phones' "phone thread": it sends
 * the commands, drains the events, produces a 20 ms frame per stream on the frame rings and
 * drains the playout. Checked in the loops' counters: RTP both ways after the answer; on hold
 * by A (A sendonly, B recvonly per RFC 3264) B's sent counter stops while A's grows; both grow
 * again after resume; DTMF reaches the other side; after the hang-up the streams are destroyed
 * (events) and their ports are free again. Plain RTP and SDES-SRTP. Then: the command latency
 * through the channel, and the answers to commands that cannot be carried out.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pc_io.h"
#include "pc_loop.h"
#include "pc_pkt.h"
#include "pc_sip_thread.h"

#define FRAME_BYTES 160u
#define MAX_SLOTS 8u
#define MAX_UA_EV 256u

struct slot_view {
	int up, down;
	uint32_t direction;
	uint16_t port;
	struct pc_ring *tx, *rx;
	uint64_t next_frame_ms;
	unsigned produced;
	struct pc_media_stats stats;
	uint32_t stats_req;
	struct pc_media_stats final;
};

struct phone {
	const char *name;
	struct pc_io *io;
	struct pc_loop *loop;
	pthread_t loop_tid;
	struct pc_pkt_cache *cache; /* the test thread's, on this phone's pool */
	struct pc_sip_thread *st;
	char uri[128];
	/* what the test saw */
	struct {
		uint32_t type, call, code;
	} ua[MAX_UA_EV];
	unsigned nua;
	struct {
		uint32_t req, call;
		int32_t rc;
	} res[64];
	unsigned nres;
	struct slot_view slot[MAX_SLOTS];
	unsigned ups, downs, failed_ups, updates;
	unsigned dtmf_started, dtmf_ended;
	unsigned timeouts;
	bool mute; /* the phone produces no frames */
	char dtmf_key;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *run_loop(void *arg)
{
	pc_loop_run(arg);
	return NULL;
}

static void phone_init_to(struct phone *p, const char *name, uint16_t rtp_min, bool srtp,
			  uint32_t timeout_ms)
{
	struct pc_io_conf ioc = { .backend = PC_IO_SOCKETS, .pkts = 2048, .max_ports = 32 };
	struct pc_loop_conf lc = { .max_streams = MAX_SLOTS, .idle = PC_LOOP_IDLE_SLEEP };
	struct pc_sip_thread_conf c;
	struct pc_sip_ua_account_conf *a = &c.ua.account[0];

	memset(p, 0, sizeof(*p));
	memset(&c, 0, sizeof(c));
	p->name = name;
	cr_assert_eq(pc_io_create(&p->io, &ioc), 0, "%s: io", name);
	lc.io = p->io;
	cr_assert_eq(pc_loop_create(&p->loop, &lc), 0, "%s: loop", name);
	cr_assert_eq(pc_pkt_cache_attach(pc_io_pool(p->io), &p->cache), 0);
	cr_assert_eq(pthread_create(&p->loop_tid, NULL, run_loop, p->loop), 0);

	snprintf(c.ua.local_ip, sizeof(c.ua.local_ip), "127.0.0.1");
	c.ua.naccounts = 1;
	c.ua.rtp_port_min = rtp_min; /* each UA its own range: they do not ask the system */
	c.ua.rtp_port_max = (uint16_t)(rtp_min + 40);
	c.ua.t1_ms = 100;
	c.ua.t2_ms = 400;
	c.ua.t4_ms = 500;
	a->enable = true;
	snprintf(a->user, sizeof(a->user), "%s", name);
	a->caps.port[PC_SDP_MEDIA_AUDIO] = 1;
	a->caps.ncodecs = 2;
	a->caps.codecs[0] = (struct pc_sdp_codec){ PC_SDP_MEDIA_AUDIO, 0, "PCMU", 8000, 0, NULL };
	a->caps.codecs[1] = (struct pc_sdp_codec){
		PC_SDP_MEDIA_AUDIO, 101, "telephone-event", 8000, 0, "0-16"
	};
	a->caps.ptime = 20;
	a->caps.dir = PC_SDP_DIR_SENDRECV;
	a->caps.addr = "127.0.0.1";
	if (srtp) {
		a->caps.srtp = PC_SDP_SRTP_MANDATORY;
		a->caps.ncrypto = 1;
		a->caps.crypto[0].suite = PC_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_80;
	}
	if (getenv("PC_TEST_SIP_TRACE"))
		c.ua.trace = stderr;
	c.loop = p->loop;
	c.streams = MAX_SLOTS;
	c.frame_msgs = 64;
	c.jb_delay_ms = 40;
	c.media_timeout_ms = timeout_ms;
	cr_assert_eq(pc_sip_thread_create(&p->st, &c), 0, "%s: sip thread", name);
	snprintf(p->uri, sizeof(p->uri), "sip:%s@127.0.0.1:%u", name, pc_sip_thread_port(p->st));
}

static void phone_init(struct phone *p, const char *name, uint16_t rtp_min, bool srtp)
{
	phone_init_to(p, name, rtp_min, srtp, 0);
}

static void on_event(struct phone *p, const struct pc_sip_thread_event *e)
{
	struct slot_view *sv = e->stream >= 0 && e->stream < (int)MAX_SLOTS ? &p->slot[e->stream] :
									      NULL;

	switch (e->type) {
	case PC_SIP_THREAD_EV_UA:
		if (p->nua < MAX_UA_EV) {
			p->ua[p->nua].type = e->u.ua.type;
			p->ua[p->nua].call = e->call;
			p->ua[p->nua].code = e->u.ua.code;
			p->nua++;
		}
		break;
	case PC_SIP_THREAD_EV_RESULT:
		p->res[p->nres % 64].req = e->req;
		p->res[p->nres % 64].call = e->call;
		p->res[p->nres % 64].rc = e->rc;
		p->nres++;
		break;
	case PC_SIP_THREAD_EV_STREAM_UP:
		if (e->rc < 0 || sv == NULL) {
			p->failed_ups++;
			break;
		}
		cr_assert_eq(sv->up, sv->down, "%s: stream %d up twice", p->name, e->stream);
		sv->up++;
		p->ups++;
		sv->direction = e->u.stream.direction;
		sv->tx = e->u.stream.tx_frames;
		sv->rx = e->u.stream.rx_frames;
		cr_assert_not_null(sv->tx);
		cr_assert_not_null(sv->rx);
		cr_assert_eq(e->u.stream.local_rtp.sa.sa_family, AF_INET);
		sv->port = ntohs(e->u.stream.local_rtp.in4.sin_port);
		sv->next_frame_ms = now_ms();
		break;
	case PC_SIP_THREAD_EV_STREAM_UPDATE:
		cr_assert_not_null(sv);
		sv->direction = e->u.stream.direction;
		p->updates++;
		break;
	case PC_SIP_THREAD_EV_STREAM_DOWN: {
		void *obj;

		cr_assert_not_null(sv);
		sv->down++;
		p->downs++;
		sv->final = e->u.stats;
		/* The loop is done with the rings: drain what is left, give the slot back. */
		while (pc_ring_dequeue(sv->rx, &obj) == 0)
			pc_pkt_free(p->cache, obj);
		while (pc_ring_dequeue(sv->tx, &obj) == 0)
			pc_pkt_free(p->cache, obj);
		cr_assert_gt(pc_sip_thread_release(p->st, (unsigned)e->stream), 0);
		break;
	}
	case PC_SIP_THREAD_EV_STATS:
		cr_assert_not_null(sv);
		sv->stats = e->u.stats;
		sv->stats_req = e->req;
		break;
	case PC_SIP_THREAD_EV_MEDIA_TIMEOUT:
		cr_assert_not_null(sv);
		cr_assert_gt(e->call, 0);
		p->timeouts++;
		break;
	case PC_SIP_THREAD_EV_MEDIA:
		if (e->u.media.type == PC_MEDIA_EVT_DTMF) {
			p->dtmf_key = e->u.media.u.dtmf.key;
			if (e->u.media.u.dtmf.ended)
				p->dtmf_ended++;
			else
				p->dtmf_started++;
		}
		break;
	default:
		break;
	}
}

/* The phone thread's work: events, playout, one frame per 20 ms on each running stream. */
static void phone_pump(struct phone *p)
{
	struct pc_sip_thread_event ev[16];
	unsigned n;
	uint64_t t = now_ms();

	while ((n = pc_sip_thread_events(p->st, ev, 16)) > 0)
		for (unsigned i = 0; i < n; i++)
			on_event(p, &ev[i]);
	for (unsigned s = 0; s < MAX_SLOTS; s++) {
		struct slot_view *sv = &p->slot[s];
		void *obj;

		if (sv->up == sv->down)
			continue;
		while (pc_ring_dequeue(sv->rx, &obj) == 0)
			pc_pkt_free(p->cache, obj);
		while (!p->mute && sv->next_frame_ms <= t) {
			struct pc_pkt *f = pc_pkt_alloc(p->cache);
			uint8_t *d;

			cr_assert_not_null(f, "%s: pool empty", p->name);
			d = pc_pkt_append(f, FRAME_BYTES);
			cr_assert_not_null(d);
			memset(d, 0xd5, FRAME_BYTES);
			if (pc_ring_enqueue(sv->tx, f) < 0)
				pc_pkt_free(p->cache, f); /* the loop is behind: drop */
			sv->produced++;
			sv->next_frame_ms += 20;
		}
	}
}

static void pump_both(struct phone *a, struct phone *b, unsigned ms)
{
	uint64_t end = now_ms() + ms;

	do {
		phone_pump(a);
		phone_pump(b);
		usleep(500);
	} while (now_ms() < end);
}

static int find_ua(const struct phone *p, uint32_t type, uint32_t call, unsigned from)
{
	for (unsigned i = from; i < p->nua; i++)
		if (p->ua[i].type == type && (!call || p->ua[i].call == call))
			return (int)i;
	return -1;
}

static bool wait_ua(struct phone *a, struct phone *b, struct phone *p, uint32_t type, uint32_t call,
		    unsigned from)
{
	uint64_t end = now_ms() + 5000;

	while (find_ua(p, type, call, from) < 0) {
		if (now_ms() > end)
			return false;
		pump_both(a, b, 1);
	}
	return true;
}

static const int32_t *find_res(const struct phone *p, int req, uint32_t *call)
{
	for (unsigned i = 0; i < p->nres && i < 64; i++)
		if (p->res[i].req == (uint32_t)req) {
			if (call)
				*call = p->res[i].call;
			return &p->res[i].rc;
		}
	return NULL;
}

/* Waits for the RESULT of @req; returns its rc. */
static int32_t wait_res(struct phone *a, struct phone *b, struct phone *p, int req, uint32_t *call)
{
	uint64_t end = now_ms() + 5000;
	const int32_t *rc;

	cr_assert_gt(req, 0, "%s: command not queued (%d)", p->name, req);
	while ((rc = find_res(p, req, call)) == NULL) {
		cr_assert_lt(now_ms(), end, "%s: no result for request %d", p->name, req);
		pump_both(a, b, 1);
	}
	return *rc;
}

/* The running stream of @p (the only one in these calls). */
static struct slot_view *live_slot(struct phone *p)
{
	for (unsigned s = 0; s < MAX_SLOTS; s++)
		if (p->slot[s].up > p->slot[s].down)
			return &p->slot[s];
	return NULL;
}

static struct pc_media_stats stats_of(struct phone *a, struct phone *b, struct phone *p,
				      unsigned call)
{
	struct slot_view *sv = live_slot(p);
	uint64_t end = now_ms() + 3000;
	int req;

	cr_assert_not_null(sv, "%s: no stream", p->name);
	req = pc_sip_thread_stats(p->st, call);
	cr_assert_eq(wait_res(a, b, p, req, NULL), 1, "%s: stats of one stream", p->name);
	while (sv->stats_req != (uint32_t)req) {
		cr_assert_lt(now_ms(), end, "%s: no STATS event", p->name);
		pump_both(a, b, 1);
	}
	return sv->stats;
}

static bool port_is_free(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	bool ok;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_geq(fd, 0);
	ok = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

static void phone_fini(struct phone *p)
{
	struct pc_loop_msg *m;
	struct pc_pkt_pool_stats ps;
	struct pc_io_stats ios;

	pc_sip_thread_destroy(p->st);
	/* The loop's control side is ours again. */
	m = pc_loop_cmd_reserve(p->loop);
	cr_assert_not_null(m);
	m->type = PC_LOOP_CMD_STOP;
	pc_loop_cmd_commit(p->loop, m);
	pthread_join(p->loop_tid, NULL);
	pc_loop_destroy(p->loop);
	pc_pkt_cache_detach(p->cache);
	pc_pkt_pool_stats(pc_io_pool(p->io), &ps);
	pc_io_get_stats(p->io, &ios);
	cr_assert_eq(ps.in_use, ios.bufs_held, "%s: %u buffers not returned", p->name,
		     (unsigned)(ps.in_use - ios.bufs_held));
	pc_io_destroy(p->io);
}

static void a_call(uint16_t rtp_base, bool srtp)
{
	struct phone *a, *b;
	struct pc_media_stats sa, sb, sa2, sb2;
	struct slot_view *va, *vb;
	uint16_t port_a, port_b;
	uint32_t call = 0;
	int req;

	a = calloc(1, sizeof(*a));
	b = calloc(1, sizeof(*b));
	cr_assert(a && b);
	phone_init(a, "alice", rtp_base, srtp);
	phone_init(b, "bob", (uint16_t)(rtp_base + 100), srtp);

	/* Given A calls B and B answers */
	req = pc_sip_thread_call(a->st, 1, b->uri);
	cr_assert_eq(wait_res(a, b, a, req, &call), 0);
	cr_assert_eq(call, 1);
	cr_assert(wait_ua(a, b, b, PC_SIP_UA_EV_INCOMING, 1, 0), "B: no INCOMING");
	req = pc_sip_thread_answer(b->st, 1);
	cr_assert_eq(wait_res(a, b, b, req, NULL), 0);
	cr_assert(wait_ua(a, b, a, PC_SIP_UA_EV_ESTABLISHED, 1, 0), "A: not established");
	cr_assert(wait_ua(a, b, b, PC_SIP_UA_EV_ESTABLISHED, 1, 0), "B: not established");
	{
		uint64_t end = now_ms() + 3000;

		while ((a->ups == 0 || b->ups == 0) && now_ms() < end)
			pump_both(a, b, 1);
	}
	cr_assert_eq(a->ups, 1, "A: %u streams up (%u failed)", a->ups, a->failed_ups);
	cr_assert_eq(b->ups, 1, "B: %u streams up (%u failed)", b->ups, b->failed_ups);
	va = live_slot(a);
	vb = live_slot(b);
	cr_assert_eq(va->direction, PC_MEDIA_SENDRECV);
	cr_assert_eq(vb->direction, PC_MEDIA_SENDRECV);
	port_a = va->port;
	port_b = vb->port;
	cr_assert(port_a >= rtp_base && port_a <= rtp_base + 40, "A bound %u", port_a);
	cr_assert(port_b >= rtp_base + 100 && port_b <= rtp_base + 140, "B bound %u", port_b);

	/* Then RTP flows both ways, and keeps flowing */
	pump_both(a, b, 400);
	sa = stats_of(a, b, a, 1);
	sb = stats_of(a, b, b, 1);
	pump_both(a, b, 300);
	sa2 = stats_of(a, b, a, 1);
	sb2 = stats_of(a, b, b, 1);
	cr_log_info("%s call: A tx %lu rx %lu, B tx %lu rx %lu", srtp ? "SRTP" : "RTP",
		    (unsigned long)sa2.tx_pkts, (unsigned long)sa2.rx_pkts,
		    (unsigned long)sb2.tx_pkts, (unsigned long)sb2.rx_pkts);
	cr_assert_gt(sa.tx_pkts, 0, "A sent nothing");
	cr_assert_gt(sb.tx_pkts, 0, "B sent nothing");
	cr_assert_gt(sa.rx_pkts, 0, "A received nothing");
	cr_assert_gt(sb.rx_pkts, 0, "B received nothing");
	cr_assert_gt(sa2.tx_pkts, sa.tx_pkts);
	cr_assert_gt(sb2.tx_pkts, sb.tx_pkts);
	cr_assert_gt(sa2.rx_pkts, sa.rx_pkts);
	cr_assert_gt(sb2.rx_pkts, sb.rx_pkts);
	cr_assert_eq(sa2.srtp_drops + sb2.srtp_drops + sa2.rx_bad + sb2.rx_bad, 0,
		     "srtp drops %lu/%lu, bad %lu/%lu", (unsigned long)sa2.srtp_drops,
		     (unsigned long)sb2.srtp_drops, (unsigned long)sa2.rx_bad,
		     (unsigned long)sb2.rx_bad);

	/* When A holds: A sendonly, B recvonly (RFC 3264 8.4) */
	req = pc_sip_thread_hold(a->st, 1);
	cr_assert_eq(wait_res(a, b, a, req, NULL), 0);
	cr_assert(wait_ua(a, b, a, PC_SIP_UA_EV_HOLD_OK, 1, 0), "A: no HOLD_OK");
	cr_assert(wait_ua(a, b, b, PC_SIP_UA_EV_HELD, 1, 0), "B: no HELD");
	pump_both(a, b, 100); /* frames queued before the direction changed leave */
	cr_assert_eq(va->direction, PC_MEDIA_SENDONLY, "A's stream: direction %u", va->direction);
	cr_assert_eq(vb->direction, PC_MEDIA_RECVONLY, "B's stream: direction %u", vb->direction);
	sa = stats_of(a, b, a, 1);
	sb = stats_of(a, b, b, 1);
	pump_both(a, b, 400);
	sa2 = stats_of(a, b, a, 1);
	sb2 = stats_of(a, b, b, 1);
	/* Then B sends nothing, A keeps sending and B keeps receiving */
	cr_assert_eq(sb2.tx_pkts, sb.tx_pkts, "held B sent %lu RTP packets",
		     (unsigned long)(sb2.tx_pkts - sb.tx_pkts));
	cr_assert_gt(sb2.tx_dropped_dir, sb.tx_dropped_dir, "B's frames were not held back");
	cr_assert_gt(sa2.tx_pkts, sa.tx_pkts, "holding A stopped sending");
	cr_assert_gt(sb2.rx_pkts, sb.rx_pkts, "held B stopped receiving");

	/* When A resumes, both send again */
	req = pc_sip_thread_resume(a->st, 1);
	cr_assert_eq(wait_res(a, b, a, req, NULL), 0);
	cr_assert(wait_ua(a, b, a, PC_SIP_UA_EV_RESUME_OK, 1, 0), "A: no RESUME_OK");
	cr_assert(wait_ua(a, b, b, PC_SIP_UA_EV_RESUMED, 1, 0), "B: no RESUMED");
	pump_both(a, b, 100);
	cr_assert_eq(va->direction, PC_MEDIA_SENDRECV);
	cr_assert_eq(vb->direction, PC_MEDIA_SENDRECV);
	sa = stats_of(a, b, a, 1);
	sb = stats_of(a, b, b, 1);
	pump_both(a, b, 300);
	sa2 = stats_of(a, b, a, 1);
	sb2 = stats_of(a, b, b, 1);
	cr_assert_gt(sa2.tx_pkts, sa.tx_pkts);
	cr_assert_gt(sb2.tx_pkts, sb.tx_pkts, "B did not send again after resume");
	cr_assert_gt(sa2.rx_pkts, sa.rx_pkts, "A did not receive again after resume");
	cr_assert_gt(sb2.rx_pkts, sb.rx_pkts);
	cr_assert_eq(a->failed_ups + b->failed_ups, 0);
	cr_assert_eq(a->ups + b->ups, 2, "a re-INVITE made a new stream");

	/* DTMF: A presses 7, B's loop reports it */
	req = pc_sip_thread_dtmf(a->st, 1, '7', 100);
	cr_assert_eq(wait_res(a, b, a, req, NULL), 0);
	{
		uint64_t end = now_ms() + 3000;

		while (b->dtmf_ended == 0 && now_ms() < end)
			pump_both(a, b, 1);
	}
	cr_assert_eq(b->dtmf_started, 1);
	cr_assert_eq(b->dtmf_ended, 1);
	cr_assert_eq(b->dtmf_key, '7');

	/* When A hangs up: both calls end, both streams go down, their ports are free */
	req = pc_sip_thread_hangup(a->st, 1);
	cr_assert_eq(wait_res(a, b, a, req, NULL), 0);
	cr_assert(wait_ua(a, b, a, PC_SIP_UA_EV_ENDED, 1, 0), "A: not ended");
	cr_assert(wait_ua(a, b, b, PC_SIP_UA_EV_ENDED, 1, 0), "B: not ended");
	{
		uint64_t end = now_ms() + 3000;

		while ((a->downs == 0 || b->downs == 0) && now_ms() < end)
			pump_both(a, b, 1);
	}
	cr_assert_eq(a->downs, 1, "A: %u streams down", a->downs);
	cr_assert_eq(b->downs, 1, "B: %u streams down", b->downs);
	cr_assert_gt(va->final.tx_pkts, 0);
	cr_assert_gt(vb->final.rx_pkts, 0);
	cr_assert(port_is_free(port_a), "A's RTP port %u still open", port_a);
	cr_assert(port_is_free(port_b), "B's RTP port %u still open", port_b);
	cr_assert(port_is_free((uint16_t)(port_a + 1)), "A's RTCP port still open");
	cr_assert(port_is_free((uint16_t)(port_b + 1)), "B's RTCP port still open");
	/* the stats of an ended call: nothing to ask */
	req = pc_sip_thread_stats(a->st, 1);
	cr_assert_eq(wait_res(a, b, a, req, NULL), -ENOENT);
	pump_both(a, b, 20); /* the releases */
	{
		struct pc_sip_thread_stats st;

		pc_sip_thread_get_stats(a->st, &st);
		cr_assert_eq(st.evts_dropped + st.loop_cmds_full, 0);
		cr_assert_eq(st.streams_created, 1);
		cr_assert_eq(st.streams_destroyed, 1);
	}
	phone_fini(a);
	phone_fini(b);
	free(a);
	free(b);
}

Test(sip_thread, call_rtp_hold_resume_dtmf_hangup, .timeout = 60)
{
	a_call(41000, false);
}

Test(sip_thread, call_srtp_hold_resume_dtmf_hangup, .timeout = 60)
{
	a_call(41400, true);
}

/* A stream still up when the SIP thread stops: it hangs up, the loop closes the ports. */
Test(sip_thread, destroy_during_a_call_closes_the_streams, .timeout = 60)
{
	struct phone *a, *b;
	uint16_t port_a;
	uint32_t call = 0;
	int req;

	a = calloc(1, sizeof(*a));
	b = calloc(1, sizeof(*b));
	cr_assert(a && b);
	phone_init(a, "alice", 41800, false);
	phone_init(b, "bob", 41900, false);
	req = pc_sip_thread_call(a->st, 1, b->uri);
	cr_assert_eq(wait_res(a, b, a, req, &call), 0);
	cr_assert(wait_ua(a, b, b, PC_SIP_UA_EV_INCOMING, call, 0));
	cr_assert_eq(wait_res(a, b, b, pc_sip_thread_answer(b->st, call), NULL), 0);
	{
		uint64_t end = now_ms() + 3000;

		while ((a->ups == 0 || b->ups == 0) && now_ms() < end)
			pump_both(a, b, 1);
	}
	cr_assert_eq(a->ups, 1);
	port_a = live_slot(a)->port;
	pump_both(a, b, 100);
	/* The phone stops draining A: A's thread stops with the call up */
	phone_fini(a);
	cr_assert(port_is_free(port_a), "A's port %u still open", port_a);
	{
		uint64_t end = now_ms() + 3000;

		while (find_ua(b, PC_SIP_UA_EV_ENDED, call, 0) < 0 && now_ms() < end) {
			phone_pump(b);
			usleep(1000);
		}
	}
	cr_assert_geq(find_ua(b, PC_SIP_UA_EV_ENDED, call, 0), 0, "B: A's BYE did not come");
	phone_fini(b);
	free(a);
	free(b);
}

/* B answers and says nothing: A's loop reports a media timeout, B's (which hears A) does not. */
Test(sip_thread, silence_from_the_peer_is_a_media_timeout, .timeout = 60)
{
	struct phone *a, *b;
	uint32_t call = 0;
	uint64_t end;
	int req;

	a = calloc(1, sizeof(*a));
	b = calloc(1, sizeof(*b));
	cr_assert(a && b);
	phone_init_to(a, "alice", 42000, false, 300);
	phone_init_to(b, "bob", 42100, false, 300);
	b->mute = true;
	req = pc_sip_thread_call(a->st, 1, b->uri);
	cr_assert_eq(wait_res(a, b, a, req, &call), 0);
	cr_assert(wait_ua(a, b, b, PC_SIP_UA_EV_INCOMING, call, 0));
	cr_assert_eq(wait_res(a, b, b, pc_sip_thread_answer(b->st, call), NULL), 0);
	end = now_ms() + 3000;
	while (a->timeouts == 0 && now_ms() < end)
		pump_both(a, b, 1);
	cr_assert_eq(a->ups + b->ups, 2);
	cr_assert_eq(a->timeouts, 1, "A: %u media timeouts", a->timeouts);
	cr_assert_eq(b->timeouts, 0, "B timed out while A talks");
	cr_assert_eq(wait_res(a, b, a, pc_sip_thread_hangup(a->st, call), NULL), 0);
	cr_assert(wait_ua(a, b, b, PC_SIP_UA_EV_ENDED, call, 0));
	phone_fini(a);
	phone_fini(b);
	free(a);
	free(b);
}

/* A rejected call makes no stream on either side. */
Test(sip_thread, rejected_call_makes_no_stream, .timeout = 60)
{
	struct phone *a, *b;
	uint32_t call = 0;
	int i, req;

	a = calloc(1, sizeof(*a));
	b = calloc(1, sizeof(*b));
	cr_assert(a && b);
	phone_init(a, "alice", 42200, false);
	phone_init(b, "bob", 42300, false);
	req = pc_sip_thread_call(a->st, 1, b->uri);
	cr_assert_eq(wait_res(a, b, a, req, &call), 0);
	cr_assert(wait_ua(a, b, b, PC_SIP_UA_EV_INCOMING, call, 0));
	cr_assert_eq(wait_res(a, b, b, pc_sip_thread_reject(b->st, call, 486), NULL), 0);
	cr_assert(wait_ua(a, b, a, PC_SIP_UA_EV_ENDED, call, 0));
	i = find_ua(a, PC_SIP_UA_EV_ENDED, call, 0);
	cr_assert_eq(a->ua[i].code, 486);
	pump_both(a, b, 100);
	cr_assert_eq(a->ups + b->ups + a->failed_ups + b->failed_ups, 0);
	/* and the call is gone: nothing to answer any more */
	cr_assert_eq(wait_res(a, b, b, pc_sip_thread_answer(b->st, call), NULL), -ENOENT);
	phone_fini(a);
	phone_fini(b);
	free(a);
	free(b);
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

/*
 * The command latency: a PING through the channel, one at a time. Enqueue -> handled on the
 * SIP thread (t_ns - t_cmd_ns) and the round trip to the phone. Each command writes the SIP
 * thread's wake eventfd, which the UA's epoll watches: the SIP thread is woken at once, however
 * long its poll_ms sleep (200 ms here, so that a missing wake-up shows as ~100 ms).
 */
Test(sip_thread, command_latency, .timeout = 60)
{
	enum { N = 500 };
	struct pc_sip_thread_conf c;
	struct pc_sip_thread *t;
	uint64_t *handled = calloc(N, sizeof(uint64_t)), *rtt = calloc(N, sizeof(uint64_t));
	const char *quick = getenv("PC_TEST_QUICK");
	unsigned n = quick && *quick == '1' ? 100 : N;

	const char *poll_env = getenv("PC_TEST_SIP_POLL_MS");
	struct timespec c0, c1;
	uint64_t w0, idle_cpu_ns;

	cr_assert(handled && rtt);
	memset(&c, 0, sizeof(c));
	snprintf(c.ua.local_ip, sizeof(c.ua.local_ip), "127.0.0.1");
	c.ua.naccounts = 1;
	c.ua.account[0].enable = true;
	snprintf(c.ua.account[0].user, sizeof(c.ua.account[0].user), "lat");
	c.ua.account[0].caps.addr = "127.0.0.1";
	c.poll_ms = poll_env ? (uint32_t)atoi(poll_env) : 200;
	cr_assert_eq(pc_sip_thread_create(&t, &c), 0);
	/* What the SIP thread costs while idle: the process's CPU time over 300 ms of sleep */
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	w0 = now_ns();
	usleep(300000);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	idle_cpu_ns = (uint64_t)(c1.tv_sec - c0.tv_sec) * 1000000000u + (uint64_t)c1.tv_nsec -
		      (uint64_t)c0.tv_nsec;
	cr_log_info("idle SIP thread: %.2f%% of a CPU",
		    100.0 * (double)idle_cpu_ns / (double)(now_ns() - w0));
	for (unsigned i = 0; i < n; i++) {
		struct pc_sip_thread_event e;
		int req = pc_sip_thread_ping(t);
		uint64_t end = now_ms() + 2000;

		cr_assert_gt(req, 0);
		for (;;) {
			if (pc_sip_thread_events(t, &e, 1) == 1) {
				cr_assert_eq(e.type, PC_SIP_THREAD_EV_RESULT);
				cr_assert_eq(e.req, (uint32_t)req);
				cr_assert_eq(e.rc, 0);
				handled[i] = e.t_ns - e.t_cmd_ns;
				rtt[i] = now_ns() - e.t_cmd_ns;
				break;
			}
			cr_assert_lt(now_ms(), end, "no answer to ping %u", i);
		}
		/* Commands come at random moments, not in step with the SIP thread's sleep
		 * (which began when it answered). */
		usleep((unsigned)(rand() % 4000));
	}
	qsort(handled, n, sizeof(uint64_t), cmp_u64);
	qsort(rtt, n, sizeof(uint64_t), cmp_u64);
	cr_log_info(
		"command latency over %u pings (poll %s ms): handled p50 %.3f p99 %.3f max %.3f "
		"ms; round trip p50 %.3f p99 %.3f ms",
		n, poll_env ? poll_env : "200", handled[n / 2] / 1e6, handled[n * 99 / 100] / 1e6,
		handled[n - 1] / 1e6, rtt[n / 2] / 1e6, rtt[n * 99 / 100] / 1e6);
	/* Woken at once: a wake-up and a thread switch, plus scheduling on a shared 2-CPU machine
	 * (and sanitizers); a SIP thread left to its 200 ms sleep would be at ~100 ms. */
	cr_assert_lt(handled[n / 2], 3000000u, "median %lu ns", (unsigned long)handled[n / 2]);
	cr_assert_lt(handled[n * 9 / 10], 20000000u, "p90 %lu ns",
		     (unsigned long)handled[n * 9 / 10]);
	pc_sip_thread_destroy(t);
	free(handled);
	free(rtt);
}

/* Commands that cannot be carried out come back with the UA's or the glue's error. */
Test(sip_thread, commands_without_a_call_fail_cleanly)
{
	struct pc_sip_thread_conf c;
	struct pc_sip_thread *t;
	struct pc_sip_thread_event ev[8];
	int reqs[6];
	int32_t want[6] = { -ENOENT, -ENOENT, -ENOENT, -ENOENT, -ENOENT, -EINVAL };
	unsigned got = 0;
	uint64_t end = now_ms() + 3000;
	char long_target[PC_SIP_UA_STR + 8];

	memset(&c, 0, sizeof(c));
	snprintf(c.ua.local_ip, sizeof(c.ua.local_ip), "127.0.0.1");
	c.ua.naccounts = 1;
	c.ua.account[0].enable = true;
	snprintf(c.ua.account[0].user, sizeof(c.ua.account[0].user), "err");
	c.ua.account[0].caps.addr = "127.0.0.1";
	cr_assert_eq(pc_sip_thread_create(&t, &c), 0);
	/* Given no call, and no loop */
	reqs[0] = pc_sip_thread_answer(t, 5);
	reqs[1] = pc_sip_thread_hangup(t, 5);
	reqs[2] = pc_sip_thread_dtmf(t, 5, '1', 100);
	reqs[3] = pc_sip_thread_stats(t, 5);
	reqs[4] = pc_sip_thread_release(t, 0);
	reqs[5] = pc_sip_thread_release(t, 999);
	/* Then bad arguments are refused at once */
	memset(long_target, 'x', sizeof(long_target) - 1);
	long_target[sizeof(long_target) - 1] = '\0';
	cr_assert_eq(pc_sip_thread_call(t, 1, long_target), -EINVAL);
	cr_assert_eq(pc_sip_thread_dtmf(t, 1, 'x', 100), -EINVAL);
	cr_assert_eq(pc_sip_thread_dtmf(t, 1, '1', 10), -EINVAL);
	while (got < 6 && now_ms() < end) {
		unsigned n = pc_sip_thread_events(t, ev, 8);

		for (unsigned i = 0; i < n; i++) {
			cr_assert_eq(ev[i].type, PC_SIP_THREAD_EV_RESULT);
			cr_assert_eq(ev[i].req, (uint32_t)reqs[got], "results in order");
			cr_assert_eq(ev[i].rc, want[got], "request %u: rc %d, want %d", got,
				     ev[i].rc, want[got]);
			got++;
		}
		usleep(500);
	}
	cr_assert_eq(got, 6);
	pc_sip_thread_destroy(t);
}
