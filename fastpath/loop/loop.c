/* SPDX-License-Identifier: MIT */
/* loop.c - the media loop of pc_loop.h: channels, the stream table, one iteration. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pc_loop.h"
#include "pc_ring.h"
#include "pc_timer.h"

#define PC_LOOP_TICK_NS 1000000u /* the timer wheel's tick, and the longest idle sleep */

/* A one-way channel of fixed-size messages: filled messages travel sender -> receiver on
 * `full`, and come back on `free` once released. Both rings are SPSC. */
struct chan {
	struct pc_ring *full;
	struct pc_ring *free;
	struct pc_loop_msg *msgs;
};

/*
 * The ports a create command brings along, prepared by the control thread in
 * pc_loop_cmd_commit/send (sockets made and bound there) and adopted by the loop. One per
 * command message, at the message's index: it belongs to whoever holds the message, and
 * travels with it (the command ring's release/acquire orders it like the message itself).
 */
struct loop_prep {
	int32_t rc; /* 0, or why preparing failed: the loop answers CREATED with it */
	uint32_t pad;
	struct pc_io_port_prep port[2][2]; /* [leg][PC_RELAY_RTP, PC_RELAY_RTCP]; media: leg 0 */
	/* rc < 0: where the ports made before the failure were bound (closed again), for the
	 * CREATED event, as when the loop opened them itself */
	union pc_pkt_addr failed[2][2];
};

enum stream_kind {
	STREAM_RELAY = 0,
	STREAM_MEDIA,
};

struct loop_stream {
	uint32_t in_use;
	uint32_t id;
	uint32_t timeout_ms;
	uint32_t timed_out[2]; /* 1 once reported, until packets come again */
	uint32_t kind;	       /* enum stream_kind */
	uint32_t media_slot;   /* STREAM_MEDIA: its index in the loop's media list */
	uint64_t created_ns;
	uint64_t next_tick_ns; /* STREAM_MEDIA: the next playout tick */
	struct pc_loop *loop;
	struct pc_timer timer; /* media timeout */
	struct pc_timer tick;  /* STREAM_MEDIA: every ptime */
	union {
		struct pc_relay relay;
		struct pc_media media;
	};
};

/* What a port leads to: stream index + 1 (0: none), the leg and the kind. */
struct port_map {
	uint32_t stream1;
	uint8_t leg;
	uint8_t kind;
	uint16_t pad;
};

struct pc_loop {
	struct pc_io *io;
	struct pc_pkt_cache *cache;
	struct pc_timer_wheel *wheel;
	struct loop_stream *streams;
	struct port_map *ports; /* index: I/O port id */
	uint32_t max_streams;
	uint32_t max_ports;
	uint32_t burst;
	uint32_t cmds_per_iter;
	uint32_t idle;
	uint32_t idle_polls;
	uint32_t stopped;
	struct chan cmd;
	struct chan evt;
	struct loop_prep *prep;	       /* one per command message (see struct loop_prep) */
	struct pc_loop_msg *cmd_spare; /* control thread: a command pc_loop_cmd_send kept back */
	struct pc_loop_stats st;
	/* Packets to send, flushed after each stage of an iteration. */
	struct pc_pkt *txq[PC_IO_BURST_MAX];
	uint32_t ntxq;
	/* The endpoints, whose send rings each iteration polls. */
	uint32_t *media_ids;
	uint32_t n_media;
	struct pc_media_env menv;
	struct pc_rtcp_view *rtcp_view;
};

static void txq_flush(struct pc_loop *l)
{
	unsigned sent;

	if (l->ntxq == 0)
		return;
	sent = pc_io_tx_burst(l->io, l->txq, l->ntxq);
	l->st.tx_pkts += l->ntxq;
	l->st.tx_dropped += l->ntxq - sent;
	l->ntxq = 0;
}

static inline void loop_send(struct pc_loop *l, struct pc_pkt *pkt)
{
	if (pc_unlikely(l->ntxq == PC_IO_BURST_MAX))
		txq_flush(l);
	l->txq[l->ntxq++] = pkt;
}

static struct pc_loop_msg *evt_reserve(struct pc_loop *l, uint32_t type, uint32_t stream, int rc);
static void chan_commit(struct chan *c, struct pc_loop_msg *m);

/* The endpoints' services (struct pc_media_env). */
static void media_send(void *ctx, struct pc_pkt *pkt)
{
	loop_send(ctx, pkt);
}

static void media_event(void *ctx, uint32_t stream, const struct pc_media_evt *e)
{
	struct pc_loop *l = ctx;
	struct pc_loop_msg *m = evt_reserve(l, PC_LOOP_EVT_MEDIA, stream, 0);

	if (m != NULL) {
		m->u.media_evt = *e;
		chan_commit(&l->evt, m);
	}
}

uint64_t pc_loop_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int chan_init(struct chan *c, uint32_t n)
{
	int rc;

	c->msgs = calloc(n, sizeof(*c->msgs));
	if (c->msgs == NULL)
		return -ENOMEM;
	rc = pc_ring_create(&c->full, n, PC_RING_SPSC, "chan-full");
	if (rc < 0)
		goto out_free_msgs;
	rc = pc_ring_create(&c->free, n, PC_RING_SPSC, "chan-free");
	if (rc < 0)
		goto out_free_full;
	for (uint32_t i = 0; i < n; i++)
		pc_ring_enqueue(c->free, &c->msgs[i]);
	return 0;

out_free_full:
	pc_ring_destroy(c->full);
out_free_msgs:
	free(c->msgs);
	return rc;
}

static void chan_fini(struct chan *c)
{
	pc_ring_destroy(c->full);
	pc_ring_destroy(c->free);
	free(c->msgs);
}

static struct pc_loop_msg *chan_reserve(struct chan *c)
{
	void *m;

	if (pc_ring_dequeue(c->free, &m) < 0)
		return NULL;
	memset(m, 0, sizeof(struct pc_loop_msg));
	return m;
}

static void chan_commit(struct chan *c, struct pc_loop_msg *m)
{
	/* Cannot fail: there are as many slots as messages. */
	pc_ring_enqueue(c->full, m);
}

static struct pc_loop_msg *chan_poll(struct chan *c)
{
	void *m;

	return pc_ring_dequeue(c->full, &m) == 0 ? m : NULL;
}

static void chan_release(struct chan *c, struct pc_loop_msg *m)
{
	pc_ring_enqueue(c->free, m);
}

static bool is_create(uint32_t type)
{
	return type == PC_LOOP_CMD_RELAY_CREATE || type == PC_LOOP_CMD_MEDIA_CREATE;
}

static struct loop_prep *prep_of(struct pc_loop *l, const struct pc_loop_msg *m)
{
	return &l->prep[m - l->cmd.msgs];
}

static void prep_discard(struct loop_prep *lp)
{
	for (unsigned leg = 0; leg < 2; leg++)
		for (unsigned k = 0; k < 2; k++)
			pc_io_port_discard(&lp->port[leg][k]);
}

/*
 * Control thread: make and bind the ports create command @m asks for (RTP, then RTCP: where
 * asked, on the RTP port when muxed, else the RTP port + 1 when free, else any), so that the
 * loop only adopts them. Returns 0, or -errno with nothing held.
 */
static int cmd_prepare(struct pc_loop *l, const struct pc_loop_msg *m, struct loop_prep *lp)
{
	bool relay = m->type == PC_LOOP_CMD_RELAY_CREATE;
	int rc = 0;

	memset(lp, 0, sizeof(*lp));
	for (unsigned leg = 0; leg < (relay ? 2u : 1u); leg++) {
		const union pc_pkt_addr *rtp = relay ? &m->u.relay.local_rtp[leg] :
						       &m->u.media.local_rtp;
		const union pc_pkt_addr *rtcp = relay ? &m->u.relay.local_rtcp[leg] :
							&m->u.media.local_rtcp;
		bool mux = relay ? (m->u.relay.leg[leg].flags & PC_RELAY_F_RTCP_MUX) != 0 :
				   m->u.media.rtcp_mux != 0;
		struct pc_io_port_prep *p = lp->port[leg];

		rc = pc_io_port_prepare(l->io, rtp, &p[PC_RELAY_RTP]);
		if (rc < 0)
			break;
		if (mux)
			continue;
		if (rtcp->sa.sa_family != 0)
			rc = pc_io_port_prepare(l->io, rtcp, &p[PC_RELAY_RTCP]);
		else
			rc = pc_io_port_prepare_next(l->io, &p[PC_RELAY_RTP], &p[PC_RELAY_RTCP]);
		if (rc < 0)
			break;
	}
	if (rc < 0) {
		for (unsigned leg = 0; leg < 2; leg++)
			for (unsigned k = 0; k < 2; k++)
				if (lp->port[leg][k].io != NULL)
					lp->failed[leg][k] = lp->port[leg][k].local;
		prep_discard(lp);
	}
	return rc;
}

struct pc_loop_msg *pc_loop_cmd_reserve(struct pc_loop *l)
{
	struct pc_loop_msg *m = l->cmd_spare;

	if (m == NULL)
		return chan_reserve(&l->cmd);
	l->cmd_spare = NULL;
	memset(m, 0, sizeof(*m));
	return m;
}

void pc_loop_cmd_commit(struct pc_loop *l, struct pc_loop_msg *m)
{
	if (m == l->cmd_spare) /* sent after all, without a new reserve */
		l->cmd_spare = NULL;
	if (is_create(m->type)) {
		struct loop_prep *lp = prep_of(l, m);

		/* A bad stream id is answered by the loop (-EINVAL): nothing to prepare. */
		memset(lp, 0, sizeof(*lp));
		if (m->stream < l->max_streams)
			lp->rc = cmd_prepare(l, m, lp);
	}
	chan_commit(&l->cmd, m);
}

int pc_loop_cmd_send(struct pc_loop *l, struct pc_loop_msg *m)
{
	if (m == l->cmd_spare)
		l->cmd_spare = NULL;
	if (is_create(m->type)) {
		struct loop_prep *lp = prep_of(l, m);
		int rc = m->stream < l->max_streams ? cmd_prepare(l, m, lp) : -EINVAL;

		if (rc < 0) {
			/* Not sent: the message waits for the next reserve (the free ring has
			 * one producer, the loop, so it does not go back there). */
			l->cmd_spare = m;
			return rc;
		}
	}
	chan_commit(&l->cmd, m);
	return 0;
}

struct pc_loop_msg *pc_loop_evt_poll(struct pc_loop *l)
{
	return chan_poll(&l->evt);
}

void pc_loop_evt_release(struct pc_loop *l, struct pc_loop_msg *m)
{
	chan_release(&l->evt, m);
}

int pc_loop_create(struct pc_loop **out, const struct pc_loop_conf *conf)
{
	struct pc_loop *l;
	uint32_t nmsg;
	int rc;

	if (out == NULL || conf == NULL || conf->io == NULL)
		return -EINVAL;
	nmsg = conf->channel_msgs ? conf->channel_msgs : 256;
	if ((nmsg & (nmsg - 1)) != 0)
		return -EINVAL;
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return -ENOMEM;
	l->io = conf->io;
	l->cache = pc_io_cache(conf->io);
	l->max_streams = conf->max_streams ? conf->max_streams : 1024;
	l->max_ports = pc_io_max_ports(conf->io);
	l->burst = conf->burst ? conf->burst : 32;
	if (l->burst > PC_IO_BURST_MAX)
		l->burst = PC_IO_BURST_MAX;
	l->cmds_per_iter = conf->cmds_per_iter ? conf->cmds_per_iter : 8;
	l->idle = conf->idle == PC_LOOP_IDLE_SLEEP ? PC_LOOP_IDLE_SLEEP : PC_LOOP_IDLE_POLL;
	l->idle_polls = conf->idle_polls ? conf->idle_polls : 64;

	rc = -ENOMEM;
	l->streams = calloc(l->max_streams, sizeof(*l->streams));
	if (l->streams == NULL)
		goto out_free_loop;
	l->ports = calloc((size_t)l->max_ports + 1, sizeof(*l->ports));
	if (l->ports == NULL)
		goto out_free_streams;
	l->media_ids = calloc(l->max_streams, sizeof(*l->media_ids));
	l->rtcp_view = calloc(1, sizeof(*l->rtcp_view));
	l->prep = calloc(nmsg, sizeof(*l->prep));
	if (l->media_ids == NULL || l->rtcp_view == NULL || l->prep == NULL)
		goto out_free_ports;
	l->menv = (struct pc_media_env){ .send = media_send,
					 .event = media_event,
					 .ctx = l,
					 .cache = l->cache,
					 .view = l->rtcp_view };
	rc = pc_timer_wheel_create(&l->wheel, 4096, PC_LOOP_TICK_NS, pc_loop_now_ns());
	if (rc < 0)
		goto out_free_ports;
	rc = chan_init(&l->cmd, nmsg);
	if (rc < 0)
		goto out_free_wheel;
	rc = chan_init(&l->evt, nmsg);
	if (rc < 0)
		goto out_fini_cmd;
	*out = l;
	return 0;

out_fini_cmd:
	chan_fini(&l->cmd);
out_free_wheel:
	pc_timer_wheel_destroy(l->wheel);
out_free_ports:
	free(l->prep);
	free(l->media_ids);
	free(l->rtcp_view);
	free(l->ports);
out_free_streams:
	free(l->streams);
out_free_loop:
	free(l);
	return rc;
}

static void stream_close_ports(struct pc_loop *l, struct loop_stream *s)
{
	for (unsigned leg = 0; leg < 2; leg++) {
		uint16_t p[2] = { s->relay.leg[leg].port_rtp, s->relay.leg[leg].port_rtcp };

		if (s->kind == STREAM_MEDIA) {
			if (leg == 1)
				break;
			p[0] = s->media.port_rtp;
			p[1] = s->media.port_rtcp;
		}

		for (unsigned k = 0; k < 2; k++) {
			if (p[k] == 0 || (k == 1 && p[1] == p[0]))
				continue;
			pc_io_port_close(l->io, p[k]);
			l->ports[p[k]].stream1 = 0;
		}
	}
}

void pc_loop_destroy(struct pc_loop *l)
{
	struct pc_loop_msg *m;

	if (l == NULL)
		return;
	for (uint32_t i = 0; i < l->max_streams; i++)
		if (l->streams[i].in_use)
			stream_close_ports(l, &l->streams[i]);
	/* Creates the loop never took still hold their prepared sockets. */
	while ((m = chan_poll(&l->cmd)) != NULL)
		if (is_create(m->type))
			prep_discard(prep_of(l, m));
	chan_fini(&l->evt);
	chan_fini(&l->cmd);
	pc_timer_wheel_destroy(l->wheel);
	free(l->prep);
	free(l->media_ids);
	free(l->rtcp_view);
	free(l->ports);
	free(l->streams);
	free(l);
}

/* Loop side: send an event, or count it when the control thread is not keeping up. */
static struct pc_loop_msg *evt_reserve(struct pc_loop *l, uint32_t type, uint32_t stream, int rc)
{
	struct pc_loop_msg *m = chan_reserve(&l->evt);

	if (m == NULL) {
		l->st.evts_dropped++;
		return NULL;
	}
	m->type = type;
	m->stream = stream;
	m->rc = rc;
	return m;
}

static void evt_simple(struct pc_loop *l, uint32_t type, uint32_t stream, int rc)
{
	struct pc_loop_msg *m = evt_reserve(l, type, stream, rc);

	if (m != NULL)
		chan_commit(&l->evt, m);
}

static void stream_timeout(struct pc_timer *t, void *arg, uint64_t now_ns)
{
	struct loop_stream *s = arg;
	uint64_t limit = (uint64_t)s->timeout_ms * 1000000u;

	for (unsigned leg = 0; leg < (s->kind == STREAM_MEDIA ? 1u : 2u); leg++) {
		uint64_t last = s->kind == STREAM_MEDIA ? s->media.st.last_rx_ns :
							  s->relay.leg[leg].st.last_rx_ns;

		if (last == 0)
			last = s->created_ns;
		if (now_ns - last < limit) {
			s->timed_out[leg] = 0;
			continue;
		}
		if (!s->timed_out[leg]) {
			struct pc_loop_msg *m = evt_reserve(s->loop, PC_LOOP_EVT_TIMEOUT, s->id, 0);

			if (m != NULL) {
				m->u.timeout.leg = leg;
				chan_commit(&s->loop->evt, m);
				s->timed_out[leg] = 1;
			}
		}
	}
	/* Check again a tenth of the timeout from now (at least every millisecond). */
	pc_timer_arm(s->loop->wheel, t, now_ns + (limit / 10 ? limit / 10 : 1000000));
}

/*
 * Loop thread: put the ports the control thread prepared for leg @leg into the I/O instance's
 * port table (no socket call, no allocation: pc_io_port_adopt). ports[] gets their ids
 * (RTCP = RTP when muxed), rtp_b and rtcp_b their addresses. Returns 0 or -errno; on failure
 * what it adopted is in ports[] for the caller to close, and the rest is left in @lp to discard.
 */
static int adopt_leg(struct pc_loop *l, struct loop_prep *lp, unsigned leg, bool mux,
		     uint16_t ports[2], union pc_pkt_addr *rtp_b, union pc_pkt_addr *rtcp_b)
{
	int rc = pc_io_port_adopt(l->io, &lp->port[leg][PC_RELAY_RTP], rtp_b);

	if (rc < 0)
		return rc;
	ports[PC_RELAY_RTP] = (uint16_t)rc;
	if (mux) {
		ports[PC_RELAY_RTCP] = ports[PC_RELAY_RTP];
		*rtcp_b = *rtp_b;
		return 0;
	}
	rc = pc_io_port_adopt_next(l->io, &lp->port[leg][PC_RELAY_RTCP], ports[PC_RELAY_RTP],
				   rtcp_b);
	if (rc < 0)
		return rc;
	ports[PC_RELAY_RTCP] = (uint16_t)rc;
	return 0;
}

static void cmd_relay_create(struct pc_loop *l, struct pc_loop_msg *cmd, uint64_t now_ns)
{
	const struct pc_loop_relay_create *c = &cmd->u.relay;
	struct loop_stream *s = &l->streams[cmd->stream];
	struct loop_prep *lp = prep_of(l, cmd);
	union pc_pkt_addr rtp_b[2] = { 0 }, rtcp_b[2] = { 0 };
	uint16_t ports[2][2] = { { 0 } };
	struct pc_loop_msg *m;
	int rc = lp->rc;

	for (unsigned leg = 0; leg < 2 && rc < 0; leg++) {
		rtp_b[leg] = lp->failed[leg][PC_RELAY_RTP];
		rtcp_b[leg] = lp->failed[leg][PC_RELAY_RTCP];
	}
	if (rc == 0 && s->in_use)
		rc = -EEXIST;
	for (unsigned leg = 0; leg < 2 && rc == 0; leg++)
		rc = adopt_leg(l, lp, leg, (c->leg[leg].flags & PC_RELAY_F_RTCP_MUX) != 0,
			       ports[leg], &rtp_b[leg], &rtcp_b[leg]);
	prep_discard(lp); /* what was not adopted */
	if (rc < 0) {
		for (unsigned leg = 0; leg < 2; leg++)
			for (unsigned k = 0; k < 2; k++)
				if (ports[leg][k] && (k == 0 || ports[leg][1] != ports[leg][0]))
					pc_io_port_close(l->io, ports[leg][k]);
		goto out_event;
	}

	memset(s, 0, sizeof(*s));
	s->in_use = 1;
	s->id = cmd->stream;
	s->loop = l;
	s->created_ns = now_ns;
	pc_relay_init(&s->relay, c->leg, (const uint16_t(*)[2])ports);
	for (unsigned leg = 0; leg < 2; leg++) {
		for (unsigned k = 0; k < 2; k++) {
			struct port_map *pm = &l->ports[ports[leg][k]];

			pm->stream1 = cmd->stream + 1;
			pm->leg = (uint8_t)leg;
			pm->kind = (uint8_t)k;
		}
	}
	pc_timer_init(&s->timer, stream_timeout, s);
	s->timeout_ms = c->timeout_ms;
	if (s->timeout_ms)
		pc_timer_arm(l->wheel, &s->timer, now_ns + (uint64_t)s->timeout_ms * 1000000u);

out_event:
	m = evt_reserve(l, PC_LOOP_EVT_CREATED, cmd->stream, rc);
	if (m == NULL)
		return;
	for (unsigned leg = 0; leg < 2; leg++) {
		m->u.created.rtp[leg] = rtp_b[leg];
		m->u.created.rtcp[leg] = rtcp_b[leg];
	}
	chan_commit(&l->evt, m);
}

static void stream_stats_event(struct pc_loop *l, uint32_t type, struct loop_stream *s)
{
	struct pc_loop_msg *m = evt_reserve(l, type, s->id, 0);

	if (m == NULL)
		return;
	if (s->kind == STREAM_MEDIA) {
		pc_media_get_stats(&s->media, &m->u.media_stats);
	} else {
		m->u.stats[0] = s->relay.leg[0].st;
		m->u.stats[1] = s->relay.leg[1].st;
	}
	chan_commit(&l->evt, m);
}

/* --- endpoints --------------------------------------------------------------------------- */

static void media_tick(struct pc_timer *t, void *arg, uint64_t now_ns)
{
	struct loop_stream *s = arg;
	uint64_t frame = s->media.frame_ns;

	pc_media_tick(&s->media, &s->loop->menv, now_ns);
	/* On the frame grid; after a stall of more than a few frames, from now. */
	s->next_tick_ns += frame;
	if (s->next_tick_ns + 4 * frame < now_ns)
		s->next_tick_ns = now_ns + frame;
	pc_timer_arm(s->loop->wheel, t, s->next_tick_ns);
}

static void cmd_media_create(struct pc_loop *l, struct pc_loop_msg *cmd, uint64_t now_ns)
{
	const struct pc_loop_media_create *c = &cmd->u.media;
	struct loop_stream *s = &l->streams[cmd->stream];
	struct loop_prep *lp = prep_of(l, cmd);
	union pc_pkt_addr rtp_b = { 0 }, rtcp_b = { 0 };
	uint16_t ports[2] = { 0, 0 };
	struct pc_loop_msg *m;
	int rc = lp->rc;

	if (rc < 0) {
		rtp_b = lp->failed[0][PC_RELAY_RTP];
		rtcp_b = lp->failed[0][PC_RELAY_RTCP];
	}
	if (rc == 0 && s->in_use)
		rc = -EEXIST;
	if (rc == 0)
		rc = adopt_leg(l, lp, 0, c->rtcp_mux != 0, ports, &rtp_b, &rtcp_b);
	prep_discard(lp); /* what was not adopted */
	if (rc < 0)
		goto out_close;
	memset(s, 0, sizeof(*s));
	rc = pc_media_init(&s->media, cmd->stream, &c->conf, ports[0], ports[1], &c->remote_rtp,
			   &c->remote_rtcp, now_ns);
	if (rc < 0)
		goto out_close;
	s->in_use = 1;
	s->kind = STREAM_MEDIA;
	s->id = cmd->stream;
	s->loop = l;
	s->created_ns = now_ns;
	for (unsigned k = 0; k < 2; k++) {
		struct port_map *pm = &l->ports[ports[k]];

		pm->stream1 = cmd->stream + 1;
		pm->leg = 0;
		pm->kind = (uint8_t)k;
	}
	s->media_slot = l->n_media;
	l->media_ids[l->n_media++] = cmd->stream;
	pc_timer_init(&s->tick, media_tick, s);
	s->next_tick_ns = now_ns + s->media.frame_ns;
	pc_timer_arm(l->wheel, &s->tick, s->next_tick_ns);
	pc_timer_init(&s->timer, stream_timeout, s);
	s->timeout_ms = c->timeout_ms;
	if (s->timeout_ms)
		pc_timer_arm(l->wheel, &s->timer, now_ns + (uint64_t)s->timeout_ms * 1000000u);
	goto out_event;

out_close:
	if (ports[0])
		pc_io_port_close(l->io, ports[0]);
	if (ports[1] && ports[1] != ports[0])
		pc_io_port_close(l->io, ports[1]);
out_event:
	m = evt_reserve(l, PC_LOOP_EVT_CREATED, cmd->stream, rc);
	if (m == NULL)
		return;
	m->u.created.rtp[0] = rtp_b;
	m->u.created.rtcp[0] = rtcp_b;
	chan_commit(&l->evt, m);
}

static void media_destroy(struct pc_loop *l, struct loop_stream *s)
{
	uint32_t last;

	/* The BYE leaves before the ports close. */
	pc_media_bye(&s->media, &l->menv);
	txq_flush(l);
	pc_io_flush(l->io);
	pc_timer_cancel(l->wheel, &s->tick);
	/* Frames the producer queued and nobody will send: back to the pool. */
	if (s->media.conf.tx_frames != NULL) {
		void *obj;

		while (pc_ring_dequeue(s->media.conf.tx_frames, &obj) == 0)
			pc_pkt_free(l->cache, obj);
	}
	last = l->media_ids[--l->n_media];
	l->media_ids[s->media_slot] = last;
	l->streams[last].media_slot = s->media_slot;
}

static void handle_cmd(struct pc_loop *l, struct pc_loop_msg *cmd, uint64_t now_ns)
{
	struct loop_stream *s;

	l->st.cmds++;
	if (cmd->type == PC_LOOP_CMD_STOP) {
		l->stopped = 1;
		return;
	}
	if (cmd->stream >= l->max_streams) {
		/* A create is answered by CREATED, so that what it lent comes back (it has no
		 * prepared ports: commit prepares none for a bad stream id). */
		evt_simple(l, is_create(cmd->type) ? PC_LOOP_EVT_CREATED : PC_LOOP_EVT_ERROR,
			   cmd->stream, -EINVAL);
		return;
	}
	s = &l->streams[cmd->stream];
	switch (cmd->type) {
	case PC_LOOP_CMD_RELAY_CREATE:
		cmd_relay_create(l, cmd, now_ns);
		return;
	case PC_LOOP_CMD_MEDIA_CREATE:
		cmd_media_create(l, cmd, now_ns);
		return;
	case PC_LOOP_CMD_RELAY_REMOTE:
		if (!s->in_use || cmd->u.remote.leg > 1 || cmd->u.remote.kind > 1)
			break;
		if (s->kind == STREAM_MEDIA) {
			if (cmd->u.remote.leg != 0)
				break;
			/* A new RTP remote forgets the RTCP one (the peer moved); RTCP's
			 * own follows, when given. */
			if (cmd->u.remote.kind == PC_RELAY_RTP)
				pc_media_set_remote(&s->media, &cmd->u.remote.addr, NULL);
			else
				s->media.remote_rtcp = cmd->u.remote.addr;
			return;
		}
		pc_relay_set_remote(&s->relay, cmd->u.remote.leg,
				    (enum pc_relay_kind)cmd->u.remote.kind, &cmd->u.remote.addr);
		return;
	case PC_LOOP_CMD_MEDIA_DIRECTION:
		if (!s->in_use || s->kind != STREAM_MEDIA || cmd->u.direction > PC_MEDIA_INACTIVE)
			break;
		pc_media_set_direction(&s->media, (enum pc_media_dir)cmd->u.direction);
		return;
	case PC_LOOP_CMD_MEDIA_DTMF: {
		int rc;

		if (!s->in_use || s->kind != STREAM_MEDIA)
			break;
		rc = pc_media_dtmf(&s->media, cmd->u.dtmf.key, cmd->u.dtmf.duration_ms);
		if (rc < 0)
			evt_simple(l, PC_LOOP_EVT_ERROR, cmd->stream, rc);
		return;
	}
	case PC_LOOP_CMD_STREAM_STATS:
		if (!s->in_use)
			break;
		stream_stats_event(l, PC_LOOP_EVT_STATS, s);
		return;
	case PC_LOOP_CMD_STREAM_DESTROY:
		if (!s->in_use)
			break;
		if (s->kind == STREAM_MEDIA)
			media_destroy(l, s);
		stream_close_ports(l, s);
		pc_timer_cancel(l->wheel, &s->timer);
		stream_stats_event(l, PC_LOOP_EVT_DESTROYED, s);
		s->in_use = 0;
		return;
	default:
		break;
	}
	evt_simple(l, PC_LOOP_EVT_ERROR, cmd->stream, s->in_use ? -EINVAL : -ENOENT);
}

int pc_loop_poll(struct pc_loop *l, uint64_t now_ns)
{
	struct pc_pkt *rx[PC_IO_BURST_MAX];
	unsigned n;

	if (l->stopped)
		return -ECANCELED;
	if (now_ns == 0)
		now_ns = pc_loop_now_ns();

	n = pc_io_rx_burst(l->io, rx, l->burst);
	for (unsigned i = 0; i < n; i++) {
		struct pc_pkt *pkt = rx[i];
		const struct port_map *pm = &l->ports[pkt->port <= l->max_ports ? pkt->port : 0];
		struct loop_stream *s;
		struct pc_pkt *out;

		if (pc_unlikely(pm->stream1 == 0)) {
			l->st.unknown_port++;
			pc_pkt_free(l->cache, pkt);
			continue;
		}
		s = &l->streams[pm->stream1 - 1];
		if (pc_unlikely(s->kind == STREAM_MEDIA)) {
			pc_media_input(&s->media, &l->menv, pkt, pm->kind == PC_RELAY_RTCP, now_ns);
			continue;
		}
		out = pc_relay_input(&s->relay, pm->leg, (enum pc_relay_kind)pm->kind, pkt,
				     l->cache, now_ns);
		if (out != NULL)
			loop_send(l, out);
	}
	l->st.rx_pkts += n;
	/* What the producers (encoders) queued for the endpoints. */
	for (uint32_t i = 0; i < l->n_media; i++)
		pc_media_send_frames(&l->streams[l->media_ids[i]].media, &l->menv, l->burst,
				     now_ns);
	txq_flush(l);

	l->st.timers_fired += pc_timer_wheel_advance(l->wheel, now_ns);
	txq_flush(l);
	pc_io_flush(l->io);

	for (uint32_t i = 0; i < l->cmds_per_iter; i++) {
		struct pc_loop_msg *cmd = chan_poll(&l->cmd);
		uint32_t type;

		if (cmd == NULL)
			break;
		type = cmd->type;
		handle_cmd(l, cmd, now_ns);
		chan_release(&l->cmd, cmd);
		/* Creating a stream sets up its endpoint or relay and adopts its ports (the
		 * control thread made the sockets; sockets still makes one epoll_ctl per port):
		 * one per iteration, so that the packets of running streams wait for at most
		 * one. */
		if (is_create(type))
			break;
	}
	l->st.iterations++;
	return l->stopped ? -ECANCELED : (int)n;
}

void pc_loop_run(struct pc_loop *l)
{
	uint64_t cmds = l->st.cmds;
	uint32_t empty = 0;
	int n;

	while ((n = pc_loop_poll(l, 0)) != -ECANCELED) {
		if (l->idle == PC_LOOP_IDLE_POLL)
			continue;
		/* An iteration that received nothing and took no command is empty. */
		if (n > 0 || l->st.cmds != cmds) {
			cmds = l->st.cmds;
			empty = 0;
		} else if (++empty >= l->idle_polls) {
			/* Spin a while after work (packets come in bursts), then sleep; once
			 * asleep, the next empty iteration sleeps again straight away. */
			pc_io_wait(l->io, PC_LOOP_TICK_NS);
			l->st.sleeps++;
			empty = l->idle_polls - 1;
		}
	}
}

void pc_loop_get_stats(const struct pc_loop *l, struct pc_loop_stats *st)
{
	*st = l->st;
}
