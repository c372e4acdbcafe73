/* SPDX-License-Identifier: MIT */
/*
 * media_test.c - two RTP endpoints (pc_media.h) on one media loop over loopback sockets, as a
 * call between two phones runs: SRTP both ways with different keys, frames from a producer
 * ring through RTP, the jitter buffer and the consumer ring byte for byte; RTCP reports with a
 * round-trip time; DTMF (RFC 4733) from one to the other; hold (no RTP leaves) and resume; the
 * BYE on destroy; every buffer back in the pool.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pc_loop.h"
#include "pc_media.h"
#include "udp_test_pvt.h"

#define FRAME_BYTES 160u
#define PC_TEST_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct side {
	struct pc_srtp *srtp;
	struct pc_jb *jb;
	struct pc_ring *tx, *rx;
	union pc_pkt_addr rtp; /* bound */
	/* what the test saw */
	unsigned audio, loss, silence, next_expected;
	unsigned loss_base, loss_in_stream; /* LOSS frames between the first and last audio */
	unsigned rtcp_reports, rtt_reports, dtmf_started, dtmf_ended, byes;
	char dtmf_key;
	uint32_t dtmf_ms, rtt_us;
	int32_t cum_lost; /* in the peer's last report on our stream */
};

struct call {
	struct pc_io *io;
	struct pc_loop *loop;
	pthread_t tid;
	struct pc_pkt_cache *cache; /* the test thread's, on the io pool */
	struct side s[2];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void *run_loop(void *arg)
{
	pc_loop_run(arg);
	return NULL;
}

static void on_event(struct call *c, struct pc_loop_msg *m)
{
	struct side *sd;

	cr_assert_lt(m->stream, 2u);
	sd = &c->s[m->stream];
	if (m->type != PC_LOOP_EVT_MEDIA)
		return;
	switch (m->u.media_evt.type) {
	case PC_MEDIA_EVT_RTCP:
		sd->rtcp_reports++;
		sd->cum_lost = m->u.media_evt.u.rtcp.cum_lost;
		if (m->u.media_evt.u.rtcp.rtt_us) {
			sd->rtt_reports++;
			sd->rtt_us = m->u.media_evt.u.rtcp.rtt_us;
		}
		break;
	case PC_MEDIA_EVT_DTMF:
		sd->dtmf_key = m->u.media_evt.u.dtmf.key;
		if (m->u.media_evt.u.dtmf.ended) {
			sd->dtmf_ended++;
			sd->dtmf_ms = m->u.media_evt.u.dtmf.duration_ms;
			cr_assert_eq(m->u.media_evt.u.dtmf.inferred, 0, "end packet lost?");
		} else {
			sd->dtmf_started++;
		}
		break;
	case PC_MEDIA_EVT_BYE:
		sd->byes++;
		break;
	default:
		break;
	}
}

/* Drain events (and the playout rings) until @end (ms). */
static void pump_until(struct call *c, uint64_t end)
{
	do {
		struct pc_loop_msg *m;
		void *obj;

		while ((m = pc_loop_evt_poll(c->loop)) != NULL) {
			on_event(c, m);
			pc_loop_evt_release(c->loop, m);
		}
		for (unsigned i = 0; i < 2; i++) {
			while (pc_ring_dequeue(c->s[i].rx, &obj) == 0) {
				struct pc_pkt *f = obj;

				if (f->flags & PC_MEDIA_FRAME_AUDIO) {
					uint32_t idx;

					cr_assert_eq(pc_pkt_len(f), FRAME_BYTES);
					memcpy(&idx, pc_pkt_data(f), sizeof(idx));
					cr_assert_geq(idx, c->s[i].next_expected,
						      "frame %u after %u", idx,
						      c->s[i].next_expected);
					cr_assert_eq(pc_pkt_data(f)[FRAME_BYTES - 1],
						     (uint8_t)(idx * 7u), "payload bytes changed");
					c->s[i].next_expected = idx + 1;
					if (c->s[i].audio++ == 0)
						c->s[i].loss_base = c->s[i].loss;
					c->s[i].loss_in_stream = c->s[i].loss - c->s[i].loss_base;
				} else if (f->flags & PC_MEDIA_FRAME_LOSS) {
					c->s[i].loss++;
				} else {
					c->s[i].silence++;
				}
				pc_pkt_free(c->cache, f);
			}
		}
		usleep(500);
	} while (now_ms() < end);
}

static void pump(struct call *c, unsigned ms)
{
	pump_until(c, now_ms() + ms);
}

static struct pc_loop_msg *cmd(struct call *c, uint32_t type, uint32_t stream)
{
	struct pc_loop_msg *m = pc_loop_cmd_reserve(c->loop);

	cr_assert_not_null(m);
	m->type = type;
	m->stream = stream;
	return m;
}

static void call_init(struct call *c, bool mux)
{
	struct pc_io_conf ioc = { .backend = PC_IO_SOCKETS, .pkts = 4096, .max_ports = 16 };
	struct pc_loop_conf lc = { .max_streams = 4, .idle = PC_LOOP_IDLE_SLEEP };
	struct pc_srtp_key k[2];
	struct pc_jb_params jp;

	memset(c, 0, sizeof(*c));
	cr_assert_eq(pc_io_create(&c->io, &ioc), 0);
	lc.io = c->io;
	cr_assert_eq(pc_loop_create(&c->loop, &lc), 0);
	cr_assert_eq(pc_pkt_cache_attach(pc_io_pool(c->io), &c->cache), 0);
	/* A sends with k[0] and receives with k[1]; B the reverse. Different suites. */
	cr_assert_eq(pc_srtp_key_random(&k[0], PC_SRTP_AES_CM_128_HMAC_SHA1_80), 0);
	cr_assert_eq(pc_srtp_key_random(&k[1], PC_SRTP_AES_CM_128_HMAC_SHA1_80), 0);
	for (unsigned i = 0; i < 2; i++) {
		struct pc_srtp_conf sc = {
			.out = { .key = &k[i], .flags = PC_SRTP_F_ANY_SSRC },
			.in = { .key = &k[!i], .flags = PC_SRTP_F_ANY_SSRC },
		};

		cr_assert_eq(pc_srtp_create(&c->s[i].srtp, &sc), 0);
		pc_jb_params_default(&jp);
		jp.normal_delay_ms = 40;
		cr_assert_eq(pc_jb_create(&c->s[i].jb, &jp), 0);
		cr_assert_eq(pc_ring_create(&c->s[i].tx, 256, PC_RING_SPSC, "tx"), 0);
		cr_assert_eq(pc_ring_create(&c->s[i].rx, 256, PC_RING_SPSC, "rx"), 0);
	}
	cr_assert_eq(pthread_create(&c->tid, NULL, run_loop, c->loop), 0);
	/* Two endpoints; each learns the other's address from the first packet: A is told B's. */
	for (unsigned i = 0; i < 2; i++) {
		struct pc_loop_msg *m = cmd(c, PC_LOOP_CMD_MEDIA_CREATE, i);
		struct pc_loop_media_create *mc = &m->u.media;
		uint64_t end = now_ms() + 2000;

		mc->conf.ssrc = 0x1000u + i;
		mc->conf.pt = 0;
		mc->conf.dtmf_pt = 101;
		mc->conf.rtcp_min = PC_RTCP_MIN_AVPF;
		snprintf(mc->conf.cname, sizeof(mc->conf.cname), "side%u@test", i);
		mc->conf.srtp = c->s[i].srtp;
		mc->conf.jb = c->s[i].jb;
		mc->conf.tx_frames = c->s[i].tx;
		mc->conf.rx_frames = c->s[i].rx;
		mc->local_rtp = pc_test_loopback(AF_INET, 0);
		mc->rtcp_mux = mux;
		if (i == 1)
			mc->remote_rtp = c->s[0].rtp;
		pc_loop_cmd_commit(c->loop, m);
		while ((m = pc_loop_evt_poll(c->loop)) == NULL && now_ms() < end)
			usleep(1000);
		cr_assert_not_null(m);
		cr_assert_eq(m->type, PC_LOOP_EVT_CREATED);
		cr_assert_eq(m->rc, 0);
		c->s[i].rtp = m->u.created.rtp[0];
		pc_loop_evt_release(c->loop, m);
	}
	/* A, the caller, learns B's address from B's answer (SDP): by command. */
	{
		struct pc_loop_msg *m = cmd(c, PC_LOOP_CMD_RELAY_REMOTE, 0);

		m->u.remote.leg = 0;
		m->u.remote.kind = PC_RELAY_RTP;
		m->u.remote.addr = c->s[1].rtp;
		pc_loop_cmd_commit(c->loop, m);
	}
	pump(c, 50);
}

/* The producer: @n frames into @from's send ring, one per 20 ms (on the clock: a sender that
 * drifted would starve the jitter buffer). */
static void produce(struct call *c, unsigned from, unsigned first, unsigned n)
{
	uint64_t t0 = now_ms();

	for (unsigned i = first; i < first + n; i++) {
		struct pc_pkt *f = pc_pkt_alloc(c->cache);
		uint8_t *d;

		cr_assert_not_null(f);
		uint8_t frame[FRAME_BYTES];

		memset(frame, 0xd5, sizeof(frame));
		memcpy(frame, &i, sizeof(i));
		frame[FRAME_BYTES - 1] = (uint8_t)(i * 7u);
		d = pc_pkt_append(f, FRAME_BYTES);
		cr_assert_not_null(d);
		memcpy(d, frame, sizeof(frame));
		cr_assert_eq(pc_ring_enqueue(c->s[from].tx, f), 0);
		pump_until(c, t0 + 20u * (i - first + 1));
	}
}

static struct pc_media_stats stats(struct call *c, unsigned i)
{
	struct pc_loop_msg *m = cmd(c, PC_LOOP_CMD_STREAM_STATS, i);
	struct pc_media_stats st;
	uint64_t end = now_ms() + 2000;

	pc_loop_cmd_commit(c->loop, m);
	for (;;) {
		m = pc_loop_evt_poll(c->loop);
		if (m != NULL && m->type == PC_LOOP_EVT_STATS) {
			st = m->u.media_stats;
			pc_loop_evt_release(c->loop, m);
			return st;
		}
		if (m != NULL) {
			on_event(c, m);
			pc_loop_evt_release(c->loop, m);
		}
		cr_assert_lt(now_ms(), end, "no STATS event");
		usleep(1000);
	}
}

static void a_call(bool mux)
{
	struct call c;
	struct pc_media_stats sa, sb, sb2;
	struct pc_pkt_pool_stats ps;
	struct pc_io_stats ios;
	struct pc_loop_msg *m;
	unsigned audio_b;

	call_init(&c, mux);
	/* A talks for 1.2 s, then B answers for 1.2 s (B learnt A's address from A's packets). */
	produce(&c, 0, 0, 60);
	pump(&c, 300);
	produce(&c, 1, 0, 60);
	pump(&c, 300);
	sa = stats(&c, 0);
	sb = stats(&c, 1);
	cr_log_info("A: tx %lu rtcp %lu; B: rx %lu audio %u loss %u jb delay %.1f ms rtt %u us",
		    (unsigned long)sa.tx_pkts, (unsigned long)sa.tx_rtcp, (unsigned long)sb.rx_pkts,
		    c.s[1].audio, c.s[1].loss, (double)sb.jb.buffer_delay_ns / 1e6, c.s[0].rtt_us);
	cr_assert_eq(sa.tx_pkts, 60, "A sent %lu RTP packets", (unsigned long)sa.tx_pkts);
	cr_assert_eq(sb.rx_pkts, 60, "B took %lu", (unsigned long)sb.rx_pkts);
	/* Every frame played in order, or dropped by the jitter buffer to cut its delay
	 * (accelerate); none late, none concealed in the middle of the talkspurt. */
	cr_assert_eq(c.s[1].audio + sb.jb.accelerated, 60,
		     "B played %u frames of A's 60 (%lu "
		     "accelerated)",
		     c.s[1].audio, (unsigned long)sb.jb.accelerated);
	cr_assert_eq(c.s[0].audio + sa.jb.accelerated, 60, "A played %u frames of B's 60",
		     c.s[0].audio);
	cr_assert_geq(c.s[1].audio, 50);
	cr_assert_eq(sb.jb.late + sa.jb.late + sb.jb.overflow + sa.jb.overflow, 0);
	cr_assert_eq(c.s[1].loss_in_stream + c.s[0].loss_in_stream, 0, "frames concealed");
	cr_assert_eq(sa.srtp_drops + sb.srtp_drops + sa.rx_bad + sb.rx_bad, 0);
	cr_assert_gt(sa.tx_rtcp, 0, "A sent no RTCP in 3 s");
	cr_assert_gt(sb.tx_rtcp, 0, "B sent no RTCP in 3 s");
	/* A's SRs reached B, whose reports came back with LSR/DLSR: a round trip on loopback */
	cr_assert_gt(c.s[0].rtt_reports, 0, "A got %u reports from B, none with an RTT",
		     c.s[0].rtcp_reports);
	cr_assert_lt(c.s[0].rtt_us, 100000u, "RTT %u us on loopback", c.s[0].rtt_us);

	/* DTMF: A sends '5' for 120 ms; B reports it started, then ended, about that long */
	m = cmd(&c, PC_LOOP_CMD_MEDIA_DTMF, 0);
	m->u.dtmf.key = '5';
	m->u.dtmf.duration_ms = 120;
	pc_loop_cmd_commit(c.loop, m);
	pump(&c, 500);
	cr_assert_eq(c.s[1].dtmf_started, 1);
	cr_assert_eq(c.s[1].dtmf_ended, 1);
	cr_assert_eq(c.s[1].dtmf_key, '5');
	cr_assert(c.s[1].dtmf_ms >= 120 && c.s[1].dtmf_ms <= 160, "DTMF of %u ms", c.s[1].dtmf_ms);
	/* The same key again with no audio in between: a new event (a new RTP timestamp),
	 * not taken for a retransmission of the first */
	m = cmd(&c, PC_LOOP_CMD_MEDIA_DTMF, 0);
	m->u.dtmf.key = '5';
	m->u.dtmf.duration_ms = 60;
	pc_loop_cmd_commit(c.loop, m);
	pump(&c, 500);
	cr_assert_eq(c.s[1].dtmf_started, 2, "the second '5' was not reported");
	cr_assert_eq(c.s[1].dtmf_ended, 2);
	/* The telephone-events used A's sequence numbers: B's next reports count no loss */
	{
		unsigned reports = c.s[0].rtcp_reports;
		uint64_t end = now_ms() + 4000;

		while (c.s[0].rtcp_reports < reports + 2 && now_ms() < end)
			pump(&c, 50);
		cr_assert_geq(c.s[0].rtcp_reports, reports + 2, "no RTCP report from B");
		cr_assert_eq(c.s[0].cum_lost, 0, "B reports %d of A's packets lost",
			     c.s[0].cum_lost);
	}

	/* Hold: A is held by B (recvonly): frames A's producer queues do not leave */
	m = cmd(&c, PC_LOOP_CMD_MEDIA_DIRECTION, 0);
	m->u.direction = PC_MEDIA_RECVONLY;
	pc_loop_cmd_commit(c.loop, m);
	pump(&c, 50);
	audio_b = c.s[1].audio;
	sb = stats(&c, 1);
	sa = stats(&c, 0);
	produce(&c, 0, 100, 20);
	pump(&c, 200);
	sb2 = stats(&c, 1);
	cr_assert_eq(sb2.rx_pkts, sb.rx_pkts, "B received %lu RTP packets from a held A",
		     (unsigned long)(sb2.rx_pkts - sb.rx_pkts));
	cr_assert_eq(c.s[1].audio, audio_b, "B played %u frames sent on hold",
		     c.s[1].audio - audio_b);
	cr_assert_eq(stats(&c, 0).tx_dropped_dir, sa.tx_dropped_dir + 20);
	/* Resume: they flow again */
	m = cmd(&c, PC_LOOP_CMD_MEDIA_DIRECTION, 0);
	m->u.direction = PC_MEDIA_SENDRECV;
	pc_loop_cmd_commit(c.loop, m);
	pump(&c, 50);
	sb = stats(&c, 1);
	produce(&c, 0, 200, 20);
	pump(&c, 300);
	sb2 = stats(&c, 1);
	/* All 20 reach B; each is played, or dropped by the jitter buffer to cut its delay */
	cr_assert_eq(sb2.rx_pkts, sb.rx_pkts + 20, "B received %lu of 20 after resume",
		     (unsigned long)(sb2.rx_pkts - sb.rx_pkts));
	cr_assert_eq(c.s[1].audio - audio_b + (sb2.jb.accelerated - sb.jb.accelerated), 20,
		     "B played %u frames after resume (%lu accelerated)", c.s[1].audio - audio_b,
		     (unsigned long)(sb2.jb.accelerated - sb.jb.accelerated));
	cr_assert_geq(c.s[1].audio - audio_b, 17);

	/* Hang up A: B hears the BYE */
	m = cmd(&c, PC_LOOP_CMD_STREAM_DESTROY, 0);
	pc_loop_cmd_commit(c.loop, m);
	pump(&c, 200);
	cr_assert_eq(c.s[1].byes, 1, "B got %u BYEs", c.s[1].byes);
	m = cmd(&c, PC_LOOP_CMD_STREAM_DESTROY, 1);
	pc_loop_cmd_commit(c.loop, m);
	pump(&c, 100);
	m = cmd(&c, PC_LOOP_CMD_STOP, 0);
	pc_loop_cmd_commit(c.loop, m);
	pthread_join(c.tid, NULL);
	pc_loop_destroy(c.loop);
	for (unsigned i = 0; i < 2; i++) {
		void *obj;

		while (pc_ring_dequeue(c.s[i].rx, &obj) == 0)
			pc_pkt_free(c.cache, obj);
		while (pc_ring_dequeue(c.s[i].tx, &obj) == 0)
			pc_pkt_free(c.cache, obj);
		pc_jb_destroy(c.s[i].jb);
		pc_srtp_destroy(c.s[i].srtp);
		pc_ring_destroy(c.s[i].tx);
		pc_ring_destroy(c.s[i].rx);
	}
	pc_pkt_cache_detach(c.cache);
	pc_pkt_pool_stats(pc_io_pool(c.io), &ps);
	pc_io_get_stats(c.io, &ios);
	cr_assert_eq(ps.in_use, ios.bufs_held, "%u buffers not returned",
		     (unsigned)(ps.in_use - ios.bufs_held));
	pc_io_destroy(c.io);
}

Test(media, a_call_with_rtcp_mux, .timeout = 60)
{
	a_call(true);
}

Test(media, a_call_with_rtcp_ports, .timeout = 60)
{
	a_call(false);
}

/* --- two endpoints over a simulated network --------------------------------------------------- */

#define NET_Q 4096u
#define NET_MS 1000000ull

struct net;

struct net_ep {
	struct pc_media m;
	struct pc_media_env env;
	struct net *net;
	unsigned idx;
	struct pc_srtp *srtp;
	struct pc_jb *jb;
	struct pc_ring *tx, *rx;
	struct pc_media_rtx *rtx;
	void *rtx_mem;
	/* what it was told */
	unsigned keyframes, xr_rtts, xr_voips;
	uint64_t keyframe_ns[8];
	uint32_t xr_rtt_us;
	struct pc_rtcp_xr_voip voip;
	/* frames played: bit i for frame i */
	uint8_t got[512];
	unsigned frames;
};

struct net {
	struct pc_pkt_pool *pool;
	struct pc_pkt_cache *cache;
	struct pc_rtcp_view view;
	struct net_ep ep[2];
	struct {
		struct pc_pkt *pkt;
		unsigned to;
	} q[NET_Q];
	unsigned qh, qt;
	uint64_t now;
	/* Loss on RTP from endpoint 0: sequence numbers and how many of their sends to drop. */
	uint16_t drop_seq[16];
	unsigned drop_times[16], drop_seen[16], n_drop;
	unsigned dropped;
	/* Reordering on RTP from endpoint 0: the packet with this sequence number goes after
	 * the next one. */
	struct pc_pkt *held;
	uint16_t hold_seq;
	bool hold;
};

static void net_send(void *ctx, struct pc_pkt *pkt)
{
	struct net_ep *ep = ctx;
	struct net *n = ep->net;
	const uint8_t *d = pc_pkt_data(pkt);

	if (ep->idx == 0 && !pc_rtp_is_rtcp(d, pc_pkt_len(pkt))) {
		uint16_t seq = (uint16_t)(d[2] << 8 | d[3]); /* in clear under SRTP */

		for (unsigned i = 0; i < n->n_drop; i++) {
			if (n->drop_seq[i] == seq && n->drop_seen[i]++ < n->drop_times[i]) {
				n->dropped++;
				pc_pkt_free(n->cache, pkt);
				return;
			}
		}
		if (n->hold && seq == n->hold_seq && n->held == NULL) {
			n->held = pkt;
			n->hold = false;
			return;
		}
		if (n->held != NULL) {
			struct pc_pkt *h = n->held;

			n->held = NULL;
			net_send(ctx, pkt);
			net_send(ctx, h);
			return;
		}
	}
	cr_assert_lt(n->qt - n->qh, NET_Q);
	n->q[n->qt % NET_Q].pkt = pkt;
	n->q[n->qt % NET_Q].to = !ep->idx;
	n->qt++;
}

static void net_event(void *ctx, uint32_t stream, const struct pc_media_evt *e)
{
	struct net_ep *ep = ctx;

	cr_assert_eq(stream, ep->idx);
	switch (e->type) {
	case PC_MEDIA_EVT_KEYFRAME:
		if (ep->keyframes < 8)
			ep->keyframe_ns[ep->keyframes] = ep->net->now;
		ep->keyframes++;
		break;
	case PC_MEDIA_EVT_XR_RTT:
		ep->xr_rtts++;
		ep->xr_rtt_us = e->u.rtcp.rtt_us;
		break;
	case PC_MEDIA_EVT_XR_VOIP:
		ep->xr_voips++;
		ep->voip = e->u.xr_voip;
		break;
	default:
		break;
	}
}

/* Deliver everything in flight (answers included: the path takes no time), and drain the
 * playout rings. */
static void net_deliver(struct net *n)
{
	while (n->qh != n->qt) {
		struct pc_pkt *pkt = n->q[n->qh % NET_Q].pkt;
		struct net_ep *to = &n->ep[n->q[n->qh % NET_Q].to];

		n->qh++;
		pkt->rx_ns = n->now;
		pc_media_input(&to->m, &to->env, pkt, false, n->now);
	}
	for (unsigned i = 0; i < 2; i++) {
		void *obj;

		while (n->ep[i].rx != NULL && pc_ring_dequeue(n->ep[i].rx, &obj) == 0) {
			struct pc_pkt *f = obj;
			uint32_t idx;

			if ((f->flags & PC_MEDIA_FRAME_AUDIO) && pc_pkt_len(f) >= 4) {
				memcpy(&idx, pc_pkt_data(f), 4);
				cr_assert_lt(idx, 512u * 8);
				n->ep[i].got[idx / 8] |= (uint8_t)(1u << (idx % 8));
				n->ep[i].frames++;
			}
			pc_pkt_free(n->cache, f);
		}
	}
}

struct net_opts {
	uint32_t flags;	    /* PC_MEDIA_F_* of both */
	bool srtp;	    /* both ways, endpoint 0's out direction with PC_SRTP_F_REPEAT_TX */
	bool jb;	    /* a jitter buffer at endpoint 1 */
	uint8_t dir1;	    /* endpoint 1's direction */
	uint32_t rate;	    /* clock rate */
	uint32_t payload;   /* bytes per frame */
	unsigned rtx_slots; /* endpoint 0's history; 0: none */
};

static void net_init(struct net *n, const struct net_opts *o)
{
	struct pc_pkt_pool_params pp = { .name = "net", .count = 2048 };
	struct pc_srtp_key k[2];

	memset(n, 0, sizeof(*n));
	cr_assert_eq(pc_pkt_pool_create(&n->pool, &pp), 0);
	cr_assert_eq(pc_pkt_cache_attach(n->pool, &n->cache), 0);
	if (o->srtp) {
		cr_assert_eq(pc_srtp_key_random(&k[0], PC_SRTP_AES_CM_128_HMAC_SHA1_80), 0);
		cr_assert_eq(pc_srtp_key_random(&k[1], PC_SRTP_AEAD_AES_128_GCM), 0);
	}
	n->now = 1000 * NET_MS;
	for (unsigned i = 0; i < 2; i++) {
		struct net_ep *ep = &n->ep[i];
		struct pc_media_conf c = {
			.ssrc = 0xabc0u + i,
			.clock_rate = o->rate,
			.pt = 96,
			.direction = i == 1 ? o->dir1 : PC_MEDIA_SENDRECV,
			.rtcp_min = PC_RTCP_MIN_AVPF,
			.session_bw = 100000,
			.flags = o->flags,
		};
		union pc_pkt_addr peer = { .in4 = { .sin_family = AF_INET,
						    .sin_port = htons((uint16_t)(5000 + 2 * !i)),
						    .sin_addr.s_addr = htonl(0x7f000001) } };

		ep->net = n;
		ep->idx = i;
		if (o->srtp) {
			struct pc_srtp_conf sc = {
				.out = { .key = &k[i],
					 .flags = PC_SRTP_F_ANY_SSRC |
						  (i == 0 ? PC_SRTP_F_REPEAT_TX : 0) },
				.in = { .key = &k[!i], .flags = PC_SRTP_F_ANY_SSRC },
			};

			cr_assert_eq(pc_srtp_create(&ep->srtp, &sc), 0);
		}
		if (i == 1 && o->jb) {
			struct pc_jb_params jp;

			pc_jb_params_default(&jp);
			jp.clock_rate = o->rate;
			jp.cache = n->cache;
			cr_assert_eq(pc_jb_create(&ep->jb, &jp), 0);
		}
		if (i == 0 && o->rtx_slots) {
			ep->rtx_mem = malloc(pc_media_rtx_memsize(o->rtx_slots));
			cr_assert_not_null(ep->rtx_mem);
			cr_assert_eq(pc_media_rtx_init(ep->rtx_mem, o->rtx_slots, &ep->rtx), 0);
		}
		cr_assert_eq(pc_ring_create(&ep->tx, 1024, PC_RING_SPSC, "tx"), 0);
		cr_assert_eq(pc_ring_create(&ep->rx, 1024, PC_RING_SPSC, "rx"), 0);
		c.srtp = ep->srtp;
		c.jb = ep->jb;
		c.rtx = ep->rtx;
		c.tx_frames = ep->tx;
		c.rx_frames = ep->rx;
		snprintf(c.cname, sizeof(c.cname), "ep%u@net", i);
		ep->env = (struct pc_media_env){ .send = net_send,
						 .event = net_event,
						 .ctx = ep,
						 .cache = n->cache,
						 .view = &n->view };
		cr_assert_eq(pc_media_init(&ep->m, i, &c, 1, 1, &peer, NULL, n->now), 0);
	}
}

static void net_fini(struct net *n)
{
	struct pc_pkt_pool_stats ps;

	net_deliver(n);
	for (unsigned i = 0; i < 2; i++) {
		struct net_ep *ep = &n->ep[i];
		void *obj;

		while (pc_ring_dequeue(ep->tx, &obj) == 0)
			pc_pkt_free(n->cache, obj);
		while (pc_ring_dequeue(ep->rx, &obj) == 0)
			pc_pkt_free(n->cache, obj);
		pc_ring_destroy(ep->tx);
		pc_ring_destroy(ep->rx);
		pc_jb_destroy(ep->jb);
		pc_srtp_destroy(ep->srtp);
		free(ep->rtx_mem);
	}
	pc_pkt_cache_detach(n->cache);
	pc_pkt_pool_stats(n->pool, &ps);
	cr_assert_eq(ps.in_use, 0, "%u buffers not returned", ps.in_use);
	pc_pkt_pool_destroy(n->pool);
}

/* @frames frames from endpoint 0 (frame i carries i), one per 20 ms, then @idle_ms of
 * ticks; every endpoint ticks every 20 ms. */
static void net_run(struct net *n, unsigned first, unsigned frames, unsigned idle_ms,
		    uint32_t payload)
{
	unsigned steps = frames + idle_ms / 20;

	for (unsigned s = 0; s < steps; s++) {
		n->now += 20 * NET_MS;
		if (s < frames) {
			struct pc_pkt *f = pc_pkt_alloc(n->cache);
			uint32_t idx = first + s;
			uint8_t *d;

			cr_assert_not_null(f);
			d = pc_pkt_append(f, (uint16_t)payload);
			cr_assert_not_null(d);
			memset(d, 0x5a, payload);
			memcpy(d, &idx, 4);
			cr_assert_eq(pc_ring_enqueue(n->ep[0].tx, f), 0);
			cr_assert_eq(pc_media_send_frames(&n->ep[0].m, &n->ep[0].env, 8, n->now),
				     1);
		}
		net_deliver(n);
		for (unsigned i = 0; i < 2; i++) {
			pc_media_tick(&n->ep[i].m, &n->ep[i].env, n->now);
			net_deliver(n);
		}
	}
}

/* Drop the first @times sends of the packet that will carry frame @frame from endpoint 0. */
static void net_drop(struct net *n, unsigned frame, unsigned times)
{
	cr_assert_lt(n->n_drop, 16u);
	n->drop_seq[n->n_drop] = (uint16_t)(n->ep[0].m.seq + frame);
	n->drop_times[n->n_drop] = times;
	n->n_drop++;
}

static bool net_got(const struct net_ep *ep, unsigned frame)
{
	return ep->got[frame / 8] & (1u << (frame % 8));
}

Test(media, rtx_history_memory)
{
	uint8_t mem[sizeof(struct pc_media_rtx) + 2 * sizeof(struct pc_media_rtx_slot)];
	struct pc_media_rtx *h = NULL;

	cr_assert_eq(pc_media_rtx_memsize(0), 0);
	cr_assert_eq(pc_media_rtx_memsize(3), 0);
	cr_assert_eq(pc_media_rtx_memsize(PC_MEDIA_RTX_SLOTS_MAX * 2), 0);
	cr_assert_eq(pc_media_rtx_memsize(2), sizeof(mem));
	cr_assert_eq(pc_media_rtx_init(mem, 3, &h), -EINVAL);
	cr_assert_null(h);
	cr_assert_eq(pc_media_rtx_init(mem, 2, &h), 0);
	cr_assert_eq(h->slots, 2);
	cr_assert_eq(h->slot[1].len, 0);
}

Test(media, init_rejects_unknown_flags)
{
	struct pc_media m;
	struct pc_media_conf c = { .ssrc = 1, .flags = 0x80 };

	cr_assert_eq(pc_media_init(&m, 0, &c, 1, 1, NULL, NULL, 0), -EINVAL);
	c.flags = PC_MEDIA_F_VIDEO | PC_MEDIA_F_XR;
	cr_assert_eq(pc_media_init(&m, 0, &c, 1, 1, NULL, NULL, 0), 0);
}

Test(media, video_nack_recovers_lost_packets_with_srtp, .timeout = 30)
{
	static struct net n;
	struct net_opts o = { .flags = PC_MEDIA_F_VIDEO,
			      .srtp = true,
			      .rate = 90000,
			      .payload = 1100,
			      .rtx_slots = 256 };
	static const unsigned lost[] = { 10, 11, 12, 40, 77, 100, 101, 150, 151, 152, 153, 199 };

	/* Given a video stream over SRTP where the first send of 12 packets is lost (bursts of
	 * 3 and 4 among them) */
	net_init(&n, &o);
	for (unsigned i = 0; i < PC_TEST_ARRAY_LEN(lost); i++)
		net_drop(&n, lost[i], 1);

	/* When 250 frames are sent, then a second of ticks */
	net_run(&n, 0, 250, 1000, o.payload);

	/* Then each lost one was asked for once, sent again once and came: every frame played */
	cr_assert_eq(n.dropped, PC_TEST_ARRAY_LEN(lost));
	for (unsigned i = 0; i < 250; i++)
		cr_assert(net_got(&n.ep[1], i), "frame %u never came", i);
	cr_assert_eq(n.ep[1].frames, 250);
	cr_assert_eq(n.ep[1].m.st.nack_requests, PC_TEST_ARRAY_LEN(lost));
	cr_assert_eq(n.ep[1].m.st.nack_recovered, PC_TEST_ARRAY_LEN(lost));
	cr_assert_eq(n.ep[1].m.st.nack_retries, 0);
	cr_assert_eq(n.ep[1].m.st.nack_given_up, 0);
	cr_assert_eq(n.ep[1].m.st.pli_sent, 0);
	cr_assert_eq(n.ep[1].m.n_nack, 0);
	cr_assert_eq(n.ep[0].m.st.rtx_requested, PC_TEST_ARRAY_LEN(lost));
	cr_assert_eq(n.ep[0].m.st.rtx_sent, PC_TEST_ARRAY_LEN(lost));
	cr_assert_eq(n.ep[0].m.st.rtx_unavailable, 0);
	cr_assert_eq(n.ep[0].m.st.srtp_drops + n.ep[1].m.st.srtp_drops, 0);
	cr_assert_eq(n.ep[0].m.st.tx_pkts, 250, "retransmissions are not new packets");
	cr_assert_eq(n.ep[0].keyframes, 0);
	/* And the receive statistics count nothing lost */
	{
		struct pc_rtp_source_report r;

		cr_assert_eq(pc_rtp_source_report(&n.ep[1].m.src, &r), 0);
		cr_assert_eq(r.lost, 0, "%d lost", r.lost);
	}
	net_fini(&n);
}

Test(media, video_nack_reordered_packet_played_once, .timeout = 30)
{
	static struct net n;
	struct net_opts o = {
		.flags = PC_MEDIA_F_VIDEO, .rate = 90000, .payload = 300, .rtx_slots = 128
	};

	/* Given a packet that arrives after the one behind it: the gap makes the receiver ask
	 * for it at once, then the original comes, then the retransmission */
	net_init(&n, &o);
	n.hold_seq = (uint16_t)(n.ep[0].m.seq + 30);
	n.hold = true;

	/* When 60 frames are sent */
	net_run(&n, 0, 60, 500, o.payload);

	/* Then it was asked for once, struck off when it came, and played once: the
	 * retransmission is a duplicate, dropped */
	cr_assert_null(n.held);
	cr_assert_eq(n.ep[1].frames, 60);
	for (unsigned i = 0; i < 60; i++)
		cr_assert(net_got(&n.ep[1], i), "frame %u never came", i);
	cr_assert_eq(n.ep[1].m.st.nack_requests, 1);
	cr_assert_eq(n.ep[1].m.st.nack_recovered, 1);
	cr_assert_eq(n.ep[1].m.st.nack_given_up, 0);
	cr_assert_eq(n.ep[1].m.src.duplicates, 1);
	cr_assert_eq(n.ep[1].m.src.reordered, 1);
	cr_assert_eq(n.ep[0].m.st.rtx_sent, 1);
	cr_assert_eq(n.ep[1].m.st.pli_sent, 0);
	net_fini(&n);
}

Test(media, video_nack_retries_then_gives_up_with_a_rate_limited_pli, .timeout = 30)
{
	static struct net n;
	struct net_opts o = {
		.flags = PC_MEDIA_F_VIDEO, .rate = 90000, .payload = 800, .rtx_slots = 64
	};

	/* Given two packets 200 ms apart that never get through (nor their retransmissions),
	 * and one lost once */
	net_init(&n, &o);
	net_drop(&n, 50, ~0u);
	net_drop(&n, 60, ~0u);
	net_drop(&n, 70, 1);

	/* When 150 frames are sent */
	net_run(&n, 0, 150, 1000, o.payload);

	/* Then each of the two was asked for PC_MEDIA_NACK_TRIES times, spaced by a round trip
	 * (none known: the default), then given up; the third recovered */
	cr_assert(!net_got(&n.ep[1], 50) && !net_got(&n.ep[1], 60));
	cr_assert(net_got(&n.ep[1], 70));
	cr_assert_eq(n.ep[0].m.st.rtx_requested, 2 * PC_MEDIA_NACK_TRIES + 1);
	cr_assert_eq(n.ep[0].m.st.rtx_sent, 2 * PC_MEDIA_NACK_TRIES + 1);
	cr_assert_eq(n.ep[1].m.st.nack_requests, 2 * PC_MEDIA_NACK_TRIES + 1);
	cr_assert_eq(n.ep[1].m.st.nack_retries, 2 * (PC_MEDIA_NACK_TRIES - 1));
	cr_assert_eq(n.ep[1].m.st.nack_given_up, 2);
	cr_assert_eq(n.ep[1].m.st.nack_recovered, 1);
	/* And a key frame was asked for twice: the second PLI held back to 500 ms after the
	 * first (the two give-ups came 200 ms apart) */
	cr_assert_eq(n.ep[1].m.st.pli_sent, 2);
	cr_assert_eq(n.ep[0].keyframes, 2);
	cr_assert_geq(n.ep[0].keyframe_ns[1] - n.ep[0].keyframe_ns[0],
		      PC_MEDIA_PLI_INTERVAL_MS * NET_MS);
	cr_assert_lt(n.ep[0].keyframe_ns[1] - n.ep[0].keyframe_ns[0],
		     (PC_MEDIA_PLI_INTERVAL_MS + 40) * NET_MS);
	/* The first PLI: 3 tries at 100 ms spacing after the loss, so about 300 ms later */
	cr_assert_geq(n.ep[0].keyframe_ns[0],
		      1000 * NET_MS + 51 * 20 * NET_MS +
			      PC_MEDIA_NACK_TRIES * PC_MEDIA_NACK_RTT_DEFAULT_MS * NET_MS);
	net_fini(&n);
}

Test(media, video_nack_without_history_and_wide_gaps, .timeout = 30)
{
	static struct net n;
	struct net_opts o = { .flags = PC_MEDIA_F_VIDEO, .rate = 90000, .payload = 200 };

	/* Given no send history at the sender, a packet lost once, and later a run of 70
	 * sequence numbers that never arrive (wider than the PC_MEDIA_NACK_MAX followed) */
	net_init(&n, &o);
	net_drop(&n, 20, 1);
	net_run(&n, 0, 100, 0, o.payload);
	n.ep[0].m.seq += 70; /* a sender that skipped them: a gap as wide as a loss */
	net_run(&n, 100, 30, 1000, o.payload);

	/* Then the NACK for 20 could not be answered; the wide gap was given up at once with a
	 * PLI, never asked for */
	cr_assert_geq(n.ep[0].m.st.rtx_unavailable, 1);
	cr_assert_eq(n.ep[0].m.st.rtx_sent, 0);
	cr_assert_geq(n.ep[1].m.st.nack_given_up, 70 + 1);
	cr_assert_geq(n.ep[1].m.st.pli_sent, 1);
	cr_assert_geq(n.ep[0].keyframes, 1);
	cr_assert_leq(n.ep[1].m.st.nack_requests, PC_MEDIA_NACK_TRIES);
	net_fini(&n);
}

Test(media, xr_rtt_for_a_receive_only_party_and_voip_metrics, .timeout = 30)
{
	static struct net n;
	struct net_opts o = { .flags = PC_MEDIA_F_XR,
			      .jb = true,
			      .dir1 = PC_MEDIA_RECVONLY,
			      .rate = 8000,
			      .payload = 160 };

	/* Given an audio stream to a receive-only party (held) with XR, where a burst of 5
	 * packets is lost out of 200 */
	net_init(&n, &o);
	for (unsigned i = 0; i < 5; i++)
		net_drop(&n, 100 + i, 1);

	/* When it runs 4 s, then 3 s of reports only */
	net_run(&n, 0, 200, 3000, o.payload);

	/* Then an audio stream asked for nothing again (NACK is for video) */
	cr_assert_eq(n.ep[1].m.st.nack_requests, 0);
	cr_assert_eq(n.ep[1].m.st.pli_sent, 0);
	cr_assert_eq(n.ep[0].m.st.rtx_requested, 0);
	/* And the receive-only party learnt the round trip through RRTR/DLRR (it sends no SR,
	 * so report blocks give it none) */
	cr_assert_eq(n.ep[1].m.st.tx_pkts, 0);
	cr_assert_eq(n.ep[1].m.st.rtt_us, 0);
	cr_assert_gt(n.ep[1].xr_rtts, 0, "no DLRR came back");
	cr_assert_gt(n.ep[1].m.st.xr_rtt_us, 0);
	cr_assert_lt(n.ep[1].m.st.xr_rtt_us, 1000000u);
	cr_assert_gt(n.ep[1].m.st.xr_sent, 0);
	cr_assert_gt(n.ep[0].m.st.xr_received, 0);
	/* And the sender got VoIP Metrics on its stream: 5 of 200 lost in one burst of 100 ms,
	 * no loss in the gaps */
	cr_assert_gt(n.ep[0].xr_voips, 0);
	cr_assert_eq(n.ep[0].voip.ssrc, n.ep[0].m.conf.ssrc);
	cr_assert_eq(n.ep[0].voip.loss_rate, 5 * 256 / 200);
	cr_assert_eq(n.ep[0].voip.burst_density, 255);
	cr_assert_eq(n.ep[0].voip.burst_duration, 100);
	cr_assert_eq(n.ep[0].voip.gap_density, 0);
	cr_assert_eq(n.ep[0].voip.gap_duration, (195 + 1) * 20);
	cr_assert_eq(n.ep[0].voip.gmin, 16);
	cr_assert_eq(n.ep[0].voip.r_factor, PC_RTCP_XR_UNAVAILABLE);
	cr_assert_eq(n.ep[0].voip.mos_lq, PC_RTCP_XR_UNAVAILABLE);
	cr_assert_eq(n.ep[0].voip.signal_level, PC_RTCP_XR_UNAVAILABLE);
	cr_assert_eq(n.ep[0].voip.rx_config & 0x30, PC_RTCP_XR_JBA_ADAPTIVE);
	cr_assert_eq(n.ep[0].voip.jb_abs_max, PC_JB_MAX_DELAY_MS_DEFAULT);
	cr_assert_leq(n.ep[0].voip.jb_nominal, n.ep[0].voip.jb_max);
	cr_assert_eq(n.ep[0].voip.end_system_delay, n.ep[0].voip.jb_nominal + 20);
	/* And the sender, silent in the last 3 s (RRs, no SR), sent RRTRs as well and got its
	 * own round trips from the receiver's DLRRs */
	cr_assert_gt(n.ep[0].xr_rtts, 0);
	net_fini(&n);
}
