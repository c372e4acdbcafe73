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
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pc_loop.h"
#include "udp_test_pvt.h"

#define FRAME_BYTES 160u

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
