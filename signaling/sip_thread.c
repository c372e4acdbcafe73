/* SPDX-License-Identifier: MIT */
/* sip_thread.c - the SIP thread of pc_sip_thread.h: the UA behind two channels, and the glue
 * that turns its SDP results into media loop commands. */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "pc_atomic.h"
#include "pc_jb.h"
#include "pc_loop.h"
#include "pc_media.h"
#include "pc_ring.h"
#include "pc_sip_thread.h"
#include "pc_srtp.h"

#define ST_DEFAULT_CMDS 64u
#define ST_DEFAULT_EVTS 256u
#define ST_DEFAULT_STREAMS 16u
#define ST_DEFAULT_POLL_MS 2u
#define ST_SHUTDOWN_MS 1000u

/* One command, phone -> SIP thread. */
struct st_cmd {
	uint32_t type; /* enum pc_sip_thread_cmd_type */
	uint32_t req;
	uint64_t t_ns;
	uint32_t call, other, account, code;
	uint32_t duration_ms;
	char key;
	char target[PC_SIP_UA_STR];
};

/* A one-way channel of fixed-size messages: filled ones travel sender -> receiver on `full`
 * and come back on `free` once read (as in the media loop). Both rings are SPSC: the sender
 * enqueues on full and dequeues from free, the receiver the reverse. */
struct st_chan {
	struct pc_ring *full;
	struct pc_ring *free;
	void *msgs;
};

enum st_slot_state {
	SLOT_FREE = 0,
	SLOT_LIVE,	   /* create sent (CREATED may not have come yet) */
	SLOT_DYING,	   /* destroy sent or to send; waiting for DESTROYED (or ERROR) */
	SLOT_WAIT_RELEASE, /* down; the phone still has its frame rings */
};

/* A stream slot: loop stream id = its index. Owned by the SIP thread; the rings are lent. */
struct st_slot {
	uint32_t state;
	uint8_t created;	/* CREATED rc 0 seen */
	uint8_t create_failed;	/* CREATED rc < 0 seen */
	uint8_t destroy_unsent; /* the loop's command channel was full: retry */
	uint8_t pad;
	unsigned call, mline;
	uint32_t stats_req;
	struct pc_sip_thread_stream info; /* what the phone was told */
	/* What the stream was made with, to tell an update from a new stream. */
	uint8_t srtp_suite, key_len;
	uint8_t local_key[PC_SDP_KEY_MAX], remote_key[PC_SDP_KEY_MAX];
	int16_t te_pt;
	struct pc_srtp *srtp; /* lent to the loop while LIVE/DYING */
	struct pc_jb *jb;
	struct pc_ring *tx, *rx;
};

/* A call the UA told us of. */
struct st_call {
	unsigned num; /* 0: free entry */
	unsigned account;
	int16_t slot[PC_SIP_THREAD_MEDIA_MAX]; /* per m-line, -1 none */
};

struct pc_sip_thread {
	struct pc_sip_thread_conf conf;
	struct pc_sip_ua *ua;
	uint16_t port;
	pthread_t tid;
	/* Written by the phone thread after each command, watched by the UA's transport: a
	 * command wakes the SIP thread at once instead of at its next poll_ms. */
	int wake_fd;
	struct st_chan cmd, evt;
	uint32_t ncmd, nevt;
	/* Phone thread only. */
	uint32_t next_req;
	/* SIP thread only. */
	struct st_slot *slots;
	struct st_call *calls;
	uint32_t nslots, ncalls;
	uint32_t rand_state;
	/* Set by destroy (store-release), read by the SIP thread (load-acquire). */
	_Atomic uint32_t stop;
	/* Written by the SIP thread, read anywhere (relaxed). */
	_Atomic uint64_t st_cmds, st_evts_dropped, st_loop_full, st_created, st_destroyed,
		st_failed, st_polls;
	/* Written by the phone thread (the commands' one producer), read anywhere (relaxed). */
	_Atomic uint64_t st_wake_failed;
};

static uint64_t st_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- channels ---------------------------------------------------------------------------- */

static int chan_init(struct st_chan *c, uint32_t n, size_t msg_size, const char *name)
{
	int rc;

	c->msgs = calloc(n, msg_size);
	if (c->msgs == NULL)
		return -ENOMEM;
	rc = pc_ring_create(&c->full, n, PC_RING_SPSC, name);
	if (rc < 0)
		goto out_free_msgs;
	rc = pc_ring_create(&c->free, n, PC_RING_SPSC, name);
	if (rc < 0)
		goto out_free_full;
	for (uint32_t i = 0; i < n; i++)
		pc_ring_enqueue(c->free, (char *)c->msgs + i * msg_size);
	return 0;

out_free_full:
	pc_ring_destroy(c->full);
out_free_msgs:
	free(c->msgs);
	c->msgs = NULL;
	return rc;
}

static void chan_fini(struct st_chan *c)
{
	pc_ring_destroy(c->full);
	pc_ring_destroy(c->free);
	free(c->msgs);
}

static void *chan_reserve(struct st_chan *c)
{
	void *m;

	return pc_ring_dequeue(c->free, &m) == 0 ? m : NULL;
}

/* Cannot fail: there are as many slots as messages. */
static void chan_commit(struct st_chan *c, void *m)
{
	pc_ring_enqueue(c->full, m);
}

static void *chan_poll(struct st_chan *c)
{
	void *m;

	return pc_ring_dequeue(c->full, &m) == 0 ? m : NULL;
}

static void chan_release(struct st_chan *c, void *m)
{
	pc_ring_enqueue(c->free, m);
}

/* ---- events to the phone (SIP thread) ------------------------------------------------------ */

static struct pc_sip_thread_event *evt_new(struct pc_sip_thread *t, uint32_t type, unsigned call,
					   int stream)
{
	struct pc_sip_thread_event *e = chan_reserve(&t->evt);

	if (e == NULL) {
		pc_counter_add(&t->st_evts_dropped, 1);
		return NULL;
	}
	/* All of it: a reused message must not carry the last one's fields (about 1 KiB). */
	memset(e, 0, sizeof(*e));
	e->type = type;
	e->call = call;
	e->stream = stream;
	e->t_ns = st_now_ns();
	return e;
}

static void evt_send(struct pc_sip_thread *t, struct pc_sip_thread_event *e)
{
	chan_commit(&t->evt, e);
}

/* ---- calls and slots (SIP thread) ---------------------------------------------------------- */

static struct st_call *call_find(struct pc_sip_thread *t, unsigned num, bool add)
{
	struct st_call *free_c = NULL;

	if (num == 0) /* no call has number 0: it marks a free entry */
		return NULL;
	for (uint32_t i = 0; i < t->ncalls; i++) {
		if (t->calls[i].num == num)
			return &t->calls[i];
		if (t->calls[i].num == 0 && free_c == NULL)
			free_c = &t->calls[i];
	}
	if (!add || free_c == NULL)
		return NULL;
	free_c->num = num;
	free_c->account = 1;
	for (unsigned m = 0; m < PC_SIP_THREAD_MEDIA_MAX; m++)
		free_c->slot[m] = -1;
	return free_c;
}

static int slot_alloc(struct pc_sip_thread *t)
{
	for (uint32_t i = 0; i < t->nslots; i++)
		if (t->slots[i].state == SLOT_FREE)
			return (int)i;
	return -1;
}

static struct pc_loop_msg *loop_cmd(struct pc_sip_thread *t, uint32_t type, uint32_t stream)
{
	struct pc_loop_msg *m = pc_loop_cmd_reserve(t->conf.loop);

	if (m == NULL) {
		pc_counter_add(&t->st_loop_full, 1);
		return NULL;
	}
	m->type = type;
	m->stream = stream;
	return m;
}

/* The per-stream objects lent to the loop: back to us (after DESTROYED or a failed CREATED). */
static void slot_free_objects(struct st_slot *s)
{
	pc_srtp_destroy(s->srtp);
	s->srtp = NULL;
	pc_jb_destroy(s->jb);
	s->jb = NULL;
}

/* The loop is done with the slot: the phone keeps its frame rings until it releases them. */
static void slot_down(struct pc_sip_thread *t, struct st_slot *s)
{
	slot_free_objects(s);
	s->state = s->tx != NULL ? SLOT_WAIT_RELEASE : SLOT_FREE;
	s->created = 0;
	s->create_failed = 0;
	s->destroy_unsent = 0;
	(void)t;
}

static void slot_send_destroy(struct pc_sip_thread *t, uint32_t id)
{
	struct st_slot *s = &t->slots[id];
	struct pc_loop_msg *m = loop_cmd(t, PC_LOOP_CMD_STREAM_DESTROY, id);

	if (m == NULL) {
		s->destroy_unsent = 1; /* retried every iteration */
		return;
	}
	s->destroy_unsent = 0;
	pc_loop_cmd_commit(t->conf.loop, m);
}

/* Detach slot @id from its call and have the loop destroy it. */
static void slot_destroy(struct pc_sip_thread *t, uint32_t id)
{
	struct st_slot *s = &t->slots[id];
	struct st_call *c = call_find(t, s->call, false);

	if (c != NULL && s->mline < PC_SIP_THREAD_MEDIA_MAX && c->slot[s->mline] == (int16_t)id)
		c->slot[s->mline] = -1;
	if (s->state != SLOT_LIVE)
		return;
	s->state = SLOT_DYING;
	if (s->create_failed) {
		/* Nothing to destroy in the loop: it answered the create with an error. */
		slot_down(t, s);
		return;
	}
	slot_send_destroy(t, id);
}

static void call_drop_streams(struct pc_sip_thread *t, struct st_call *c)
{
	for (unsigned m = 0; m < PC_SIP_THREAD_MEDIA_MAX; m++)
		if (c->slot[m] >= 0)
			slot_destroy(t, (uint32_t)c->slot[m]);
}

/* ---- SDP result -> loop commands (SIP thread) ---------------------------------------------- */

static enum pc_media_dir dir_of(const struct pc_sdp_stream *s)
{
	if (s->send && s->recv)
		return PC_MEDIA_SENDRECV;
	if (s->send)
		return PC_MEDIA_SENDONLY;
	if (s->recv)
		return PC_MEDIA_RECVONLY;
	return PC_MEDIA_INACTIVE;
}

static bool ip_is_zero(const uint8_t *ip, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (ip[i])
			return false;
	return true;
}

/* @ip in @type at @port as a socket address; family 0 when unknown (no port, 0.0.0.0, FQDN). */
static union pc_pkt_addr addr_of(enum pc_sdp_addrtype type, const uint8_t *ip, uint16_t port)
{
	union pc_pkt_addr a;

	memset(&a, 0, sizeof(a));
	if (port == 0)
		return a;
	if (type == PC_SDP_ADDR_IP4 && !ip_is_zero(ip, 4)) {
		a.in4.sin_family = AF_INET;
		a.in4.sin_port = htons(port);
		memcpy(&a.in4.sin_addr, ip, 4);
	} else if (type == PC_SDP_ADDR_IP6 && !ip_is_zero(ip, 16)) {
		a.in6.sin6_family = AF_INET6;
		a.in6.sin6_port = htons(port);
		memcpy(&a.in6.sin6_addr, ip, 16);
	}
	return a;
}

/* Our side: the caps' address literal at @port. */
static union pc_pkt_addr local_addr(const char *addr, uint16_t port)
{
	union pc_pkt_addr a;

	memset(&a, 0, sizeof(a));
	if (addr != NULL && inet_pton(AF_INET, addr, &a.in4.sin_addr) == 1) {
		a.in4.sin_family = AF_INET;
		a.in4.sin_port = htons(port);
	} else if (addr != NULL && inet_pton(AF_INET6, addr, &a.in6.sin6_addr) == 1) {
		a.in6.sin6_family = AF_INET6;
		a.in6.sin6_port = htons(port);
	} else {
		a.in4.sin_family = AF_INET; /* any address */
		a.in4.sin_port = htons(port);
	}
	return a;
}

static int srtp_suite_of(enum pc_sdp_crypto_suite s, enum pc_srtp_suite *out)
{
	switch (s) {
	case PC_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_80:
		*out = PC_SRTP_AES_CM_128_HMAC_SHA1_80;
		return 0;
	case PC_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_32:
		*out = PC_SRTP_AES_CM_128_HMAC_SHA1_32;
		return 0;
	case PC_SDP_CRYPTO_AEAD_AES_128_GCM:
		*out = PC_SRTP_AEAD_AES_128_GCM;
		return 0;
	case PC_SDP_CRYPTO_AEAD_AES_256_GCM:
		*out = PC_SRTP_AEAD_AES_256_GCM;
		return 0;
	default:
		return -ENOTSUP;
	}
}

/* RFC 4568 6.1: our key protects what we send, the peer's what we receive. */
static int srtp_make(const struct pc_sdp_stream *ss, bool video, struct pc_srtp **out)
{
	const struct pc_srtp_suite_info *si;
	struct pc_srtp_key kout, kin;
	enum pc_srtp_suite suite;
	int rc = srtp_suite_of(ss->srtp_suite, &suite);

	if (rc < 0)
		return rc;
	si = pc_srtp_suite_info(suite);
	if (si == NULL || ss->key_len != si->key_len + si->salt_len)
		return -EINVAL;
	memset(&kout, 0, sizeof(kout));
	memset(&kin, 0, sizeof(kin));
	kout.suite = kin.suite = suite;
	memcpy(kout.key, ss->local_key, si->key_len);
	memcpy(kout.salt, ss->local_key + si->key_len, si->salt_len);
	memcpy(kin.key, ss->remote_key, si->key_len);
	memcpy(kin.salt, ss->remote_key + si->key_len, si->salt_len);
	struct pc_srtp_conf sc = {
		.out = { .key = &kout,
			 .flags = PC_SRTP_F_ANY_SSRC | (video ? PC_SRTP_F_REPEAT_TX : 0) },
		.in = { .key = &kin, .flags = PC_SRTP_F_ANY_SSRC },
	};
	rc = pc_srtp_create(out, &sc);
	memset(&kout, 0, sizeof(kout));
	memset(&kin, 0, sizeof(kin));
	return rc;
}

static uint32_t st_rand(struct pc_sip_thread *t)
{
	uint32_t r;

	if (getrandom(&r, sizeof(r), 0) == (ssize_t)sizeof(r))
		return r;
	/* xorshift32 fallback */
	t->rand_state ^= t->rand_state << 13;
	t->rand_state ^= t->rand_state >> 17;
	t->rand_state ^= t->rand_state << 5;
	return t->rand_state;
}

static void stream_up_failed(struct pc_sip_thread *t, unsigned call, int id, uint32_t mline, int rc)
{
	struct pc_sip_thread_event *e = evt_new(t, PC_SIP_THREAD_EV_STREAM_UP, call, id);

	pc_counter_add(&t->st_failed, 1);
	if (e == NULL)
		return;
	e->rc = rc;
	e->u.stream.mline = mline;
	evt_send(t, e);
}

/* A new stream for m-line @i of call @c. Returns the slot or -errno (the phone is told). */
static int stream_create(struct pc_sip_thread *t, struct st_call *c, unsigned i,
			 const struct pc_sdp_stream *ss, const struct pc_sdp_caps *local)
{
	bool video = ss->type == PC_SDP_MEDIA_VIDEO;
	int id = slot_alloc(t);
	struct pc_loop_media_create *mc;
	struct pc_loop_msg *m;
	struct st_slot *s;
	int rc;

	if (id < 0) {
		stream_up_failed(t, c->num, -1, i, -ENOSPC);
		return -ENOSPC;
	}
	s = &t->slots[id];
	s->srtp = NULL;
	s->jb = NULL;
	memset(&s->info, 0, sizeof(s->info));
	s->info.mline = i;
	s->info.type = ss->type;
	s->info.direction = dir_of(ss);
	s->info.pt = ss->ncodecs ? ss->pt[0] : 0;
	s->info.clock = ss->clock ? ss->clock : 8000;
	s->info.ptime_ms = ss->ptime ? ss->ptime : 20;
	s->info.remote_rtp = addr_of(ss->addrtype, ss->remote_ip, ss->remote_port);
	s->info.tx_frames = s->tx;
	s->info.rx_frames = s->rx;
	s->srtp_suite = (uint8_t)ss->srtp_suite;
	s->key_len = ss->key_len;
	memcpy(s->local_key, ss->local_key, sizeof(s->local_key));
	memcpy(s->remote_key, ss->remote_key, sizeof(s->remote_key));
	s->te_pt = ss->te_pt;

	if (ss->srtp_suite != PC_SDP_CRYPTO_UNKNOWN) {
		rc = srtp_make(ss, video, &s->srtp);
		if (rc < 0)
			goto out_fail;
	}
	if (!video && !t->conf.no_jb) {
		struct pc_jb_params jp;

		pc_jb_params_default(&jp);
		jp.clock_rate = s->info.clock;
		jp.ptime_ms = s->info.ptime_ms;
		if (t->conf.jb_delay_ms)
			jp.normal_delay_ms = t->conf.jb_delay_ms;
		rc = pc_jb_create(&s->jb, &jp);
		if (rc < 0)
			goto out_fail;
	}
	m = loop_cmd(t, PC_LOOP_CMD_MEDIA_CREATE, (uint32_t)id);
	if (m == NULL) {
		rc = -EAGAIN;
		goto out_fail;
	}
	mc = &m->u.media;
	mc->conf.ssrc = st_rand(t);
	mc->conf.clock_rate = s->info.clock;
	mc->conf.ptime_ms = s->info.ptime_ms;
	mc->conf.pt = (uint8_t)s->info.pt;
	mc->conf.dtmf_pt = ss->te_pt > 0 ? (uint8_t)ss->te_pt : 0;
	mc->conf.direction = (uint8_t)s->info.direction;
	mc->conf.rtcp_min = ss->rtcp_fb ? PC_RTCP_MIN_AVPF : PC_RTCP_MIN_DEFAULT;
	mc->conf.flags = video ? PC_MEDIA_F_VIDEO : 0;
	/* RFC 3550 6.5.1: user@host; cut to fit (a CNAME need only be unique). */
	snprintf(mc->conf.cname, sizeof(mc->conf.cname), "%.20s@%.40s",
		 t->conf.ua
			 .account[c->account && c->account <= PC_SIP_UA_MAX_ACCOUNTS ?
					  c->account - 1 :
					  0]
			 .user,
		 local->addr ? local->addr : t->conf.ua.local_ip);
	mc->conf.srtp = s->srtp;
	mc->conf.jb = s->jb;
	mc->conf.tx_frames = s->tx;
	mc->conf.rx_frames = s->rx;
	mc->local_rtp =
		local_addr(local->addr ? local->addr : t->conf.ua.local_ip, local->port[ss->type]);
	mc->remote_rtp = s->info.remote_rtp;
	if (!ss->rtcp_mux)
		mc->remote_rtcp = addr_of(ss->addrtype, ss->remote_rtcp_ip, ss->remote_rtcp_port);
	mc->rtcp_mux = ss->rtcp_mux;
	mc->timeout_ms = t->conf.media_timeout_ms;
	s->state = SLOT_LIVE;
	s->created = 0;
	s->create_failed = 0;
	s->destroy_unsent = 0;
	s->call = c->num;
	s->mline = i;
	s->stats_req = 0;
	c->slot[i] = (int16_t)id;
	pc_loop_cmd_commit(t->conf.loop, m);
	return id;

out_fail:
	slot_free_objects(s);
	stream_up_failed(t, c->num, -1, i, rc);
	return rc;
}

/* An update of a running stream: direction, remote address. A new codec, clock, telephone-event
 * or keys make a new stream. */
static void stream_update(struct pc_sip_thread *t, struct st_call *c, unsigned i,
			  const struct pc_sdp_stream *ss, const struct pc_sdp_caps *local)
{
	uint32_t id = (uint32_t)c->slot[i];
	struct st_slot *s = &t->slots[id];
	union pc_pkt_addr remote = addr_of(ss->addrtype, ss->remote_ip, ss->remote_port);
	enum pc_media_dir dir = dir_of(ss);
	bool changed = false;
	struct pc_loop_msg *m;

	if ((ss->ncodecs && ss->pt[0] != s->info.pt) ||
	    (ss->clock ? ss->clock : 8000) != s->info.clock || ss->te_pt != s->te_pt ||
	    (uint8_t)ss->srtp_suite != s->srtp_suite ||
	    (ss->srtp_suite != PC_SDP_CRYPTO_UNKNOWN &&
	     (memcmp(ss->local_key, s->local_key, ss->key_len) != 0 ||
	      memcmp(ss->remote_key, s->remote_key, ss->key_len) != 0))) {
		slot_destroy(t, id);
		stream_create(t, c, i, ss, local);
		return;
	}
	if (dir != s->info.direction) {
		m = loop_cmd(t, PC_LOOP_CMD_MEDIA_DIRECTION, id);
		if (m != NULL) {
			m->u.direction = dir;
			pc_loop_cmd_commit(t->conf.loop, m);
			s->info.direction = dir;
			changed = true;
		}
	}
	/* A held peer (c=0.0.0.0) keeps its old address: only a known new one moves us. */
	if (remote.sa.sa_family != 0 && !pc_pkt_addr_equal(&remote, &s->info.remote_rtp)) {
		m = loop_cmd(t, PC_LOOP_CMD_RELAY_REMOTE, id);
		if (m != NULL) {
			m->u.remote.leg = 0;
			m->u.remote.kind = PC_RELAY_RTP;
			m->u.remote.addr = remote;
			pc_loop_cmd_commit(t->conf.loop, m);
			s->info.remote_rtp = remote;
			changed = true;
		}
		union pc_pkt_addr rtcp =
			addr_of(ss->addrtype, ss->remote_rtcp_ip, ss->remote_rtcp_port);

		if (!ss->rtcp_mux && rtcp.sa.sa_family != 0) {
			m = loop_cmd(t, PC_LOOP_CMD_RELAY_REMOTE, id);
			if (m != NULL) {
				m->u.remote.leg = 0;
				m->u.remote.kind = PC_RELAY_RTCP;
				m->u.remote.addr = rtcp;
				pc_loop_cmd_commit(t->conf.loop, m);
			}
		}
	}
	if (changed) {
		struct pc_sip_thread_event *e =
			evt_new(t, PC_SIP_THREAD_EV_STREAM_UPDATE, c->num, (int)id);

		if (e != NULL) {
			e->u.stream = s->info;
			evt_send(t, e);
		}
	}
}

static void media_glue(struct pc_sip_thread *t, struct st_call *c, const struct pc_sdp_result *res,
		       const struct pc_sdp_caps *local)
{
	for (unsigned i = 0; i < res->nstreams && i < PC_SIP_THREAD_MEDIA_MAX; i++) {
		const struct pc_sdp_stream *ss = &res->s[i];
		bool want = ss->active && ss->ncodecs > 0 &&
			    (ss->type == PC_SDP_MEDIA_AUDIO || ss->type == PC_SDP_MEDIA_VIDEO);

		if (!want) {
			if (c->slot[i] >= 0)
				slot_destroy(t, (uint32_t)c->slot[i]);
			continue;
		}
		if (c->slot[i] >= 0)
			stream_update(t, c, i, ss, local);
		else
			stream_create(t, c, i, ss, local);
	}
}

static void summarise(struct pc_sip_thread_event *e, const struct st_call *c,
		      const struct pc_sdp_result *res, const struct pc_sdp_caps *local)
{
	e->u.ua.nmedia = res->nstreams < PC_SIP_THREAD_MEDIA_MAX ? res->nstreams :
								   PC_SIP_THREAD_MEDIA_MAX;
	for (unsigned i = 0; i < e->u.ua.nmedia; i++) {
		const struct pc_sdp_stream *ss = &res->s[i];
		struct pc_sip_thread_media *sm = &e->u.ua.media[i];

		memset(sm, 0, sizeof(*sm));
		sm->type = (uint8_t)ss->type;
		sm->stream = c != NULL ? c->slot[i] : -1;
		sm->te_pt = -1;
		if (!ss->active)
			continue;
		sm->active = 1;
		sm->send = ss->send;
		sm->recv = ss->recv;
		sm->pt = ss->ncodecs ? ss->pt[0] : 0;
		sm->te_pt = (int8_t)ss->te_pt;
		sm->srtp = (uint8_t)ss->srtp_suite;
		sm->rtcp_mux = ss->rtcp_mux;
		sm->clock = ss->clock;
		sm->ptime = ss->ptime;
		if (ss->ncodecs && ss->codec[0] && ss->codec[0]->name)
			snprintf(sm->codec, sizeof(sm->codec), "%s", ss->codec[0]->name);
		sm->remote_rtp = addr_of(ss->addrtype, ss->remote_ip, ss->remote_port);
		sm->remote_rtcp = addr_of(ss->addrtype, ss->remote_rtcp_ip, ss->remote_rtcp_port);
		if (ss->type < PC_SDP_MEDIA__COUNT)
			sm->local_port = local->port[ss->type];
	}
}

/* The UA's callback: on the SIP thread, inside pc_sip_ua_poll() or an action. */
static void on_ua_event(void *arg, const struct pc_sip_ua_event *ev)
{
	struct pc_sip_thread *t = arg;
	struct st_call *c = NULL;
	struct pc_sip_thread_event *e;

	if (ev->call != 0) {
		/* A call enters the table with its first event; events that can come after
		 * ENDED (NOTIFY, TRANSFERRED...) only look it up, so no entry is left behind. */
		bool add = ev->type == PC_SIP_UA_EV_INCOMING || ev->type == PC_SIP_UA_EV_RINGING ||
			   ev->type == PC_SIP_UA_EV_ESTABLISHED || ev->type == PC_SIP_UA_EV_MEDIA;

		c = call_find(t, ev->call, add);
		if (c != NULL && ev->account)
			c->account = ev->account;
	}
	if (ev->type == PC_SIP_UA_EV_MEDIA && ev->media != NULL && ev->local != NULL &&
	    t->conf.loop != NULL) {
		if (c != NULL)
			media_glue(t, c, ev->media, ev->local);
		else
			stream_up_failed(t, ev->call, -1, 0, -ENOSPC); /* call table full */
	}
	e = evt_new(t, PC_SIP_THREAD_EV_UA, ev->call, -1);
	if (e != NULL) {
		e->u.ua.type = ev->type;
		e->u.ua.account = ev->account;
		e->u.ua.code = ev->code;
		e->u.ua.other_call = ev->other_call;
		e->u.ua.expires = ev->expires;
		snprintf(e->u.ua.peer, sizeof(e->u.ua.peer), "%s", ev->peer ? ev->peer : "");
		snprintf(e->u.ua.reason, sizeof(e->u.ua.reason), "%s",
			 ev->reason ? ev->reason : "");
		e->u.ua.nmedia = 0;
		if (ev->type == PC_SIP_UA_EV_MEDIA && ev->media != NULL && ev->local != NULL)
			summarise(e, c, ev->media, ev->local);
		evt_send(t, e);
	}
	if (ev->type == PC_SIP_UA_EV_ENDED && c != NULL) {
		call_drop_streams(t, c);
		c->num = 0;
	}
}

/* ---- loop events (SIP thread) -------------------------------------------------------------- */

static void on_loop_event(struct pc_sip_thread *t, const struct pc_loop_msg *m)
{
	struct pc_sip_thread_event *e;
	struct st_slot *s;

	if (m->stream >= t->nslots)
		return;
	s = &t->slots[m->stream];
	switch (m->type) {
	case PC_LOOP_EVT_CREATED:
		if (m->rc < 0) {
			s->create_failed = 1;
			if (s->state == SLOT_LIVE) {
				struct st_call *c = call_find(t, s->call, false);

				if (c != NULL && c->slot[s->mline] == (int16_t)m->stream)
					c->slot[s->mline] = -1;
				stream_up_failed(t, s->call, (int)m->stream, s->mline, m->rc);
				slot_down(t, s);
			} else if (s->state == SLOT_DYING) {
				/* Its destroy (sent behind the create) comes back as ERROR. */
				stream_up_failed(t, s->call, (int)m->stream, s->mline, m->rc);
			}
			return;
		}
		s->created = 1;
		pc_counter_add(&t->st_created, 1);
		s->info.local_rtp = m->u.created.rtp[0];
		e = evt_new(t, PC_SIP_THREAD_EV_STREAM_UP, s->call, (int)m->stream);
		if (e != NULL) {
			e->u.stream = s->info;
			evt_send(t, e);
		}
		return;
	case PC_LOOP_EVT_DESTROYED:
		pc_counter_add(&t->st_destroyed, 1);
		e = evt_new(t, PC_SIP_THREAD_EV_STREAM_DOWN, s->call, (int)m->stream);
		if (e != NULL) {
			e->rc = m->rc;
			e->u.stats = m->u.media_stats;
			evt_send(t, e);
		}
		if (s->state == SLOT_DYING)
			slot_down(t, s);
		return;
	case PC_LOOP_EVT_ERROR:
		if (s->state == SLOT_DYING && s->create_failed) {
			slot_down(t, s);
			return;
		}
		e = evt_new(t, PC_SIP_THREAD_EV_MEDIA_ERROR, s->call, (int)m->stream);
		if (e != NULL) {
			e->rc = m->rc;
			evt_send(t, e);
		}
		return;
	case PC_LOOP_EVT_STATS:
		e = evt_new(t, PC_SIP_THREAD_EV_STATS, s->call, (int)m->stream);
		if (e != NULL) {
			e->rc = m->rc;
			e->req = s->stats_req;
			e->u.stats = m->u.media_stats;
			evt_send(t, e);
		}
		return;
	case PC_LOOP_EVT_TIMEOUT:
		e = evt_new(t, PC_SIP_THREAD_EV_MEDIA_TIMEOUT, s->call, (int)m->stream);
		if (e != NULL)
			evt_send(t, e);
		return;
	case PC_LOOP_EVT_MEDIA:
		e = evt_new(t, PC_SIP_THREAD_EV_MEDIA, s->call, (int)m->stream);
		if (e != NULL) {
			e->u.media = m->u.media_evt;
			evt_send(t, e);
		}
		return;
	default:
		return;
	}
}

static unsigned drain_loop(struct pc_sip_thread *t)
{
	struct pc_loop_msg *m;
	unsigned n = 0;

	if (t->conf.loop == NULL)
		return 0;
	while ((m = pc_loop_evt_poll(t->conf.loop)) != NULL) {
		on_loop_event(t, m);
		pc_loop_evt_release(t->conf.loop, m);
		n++;
	}
	for (uint32_t i = 0; i < t->nslots; i++)
		if (t->slots[i].destroy_unsent)
			slot_send_destroy(t, i);
	return n;
}

/* ---- commands (SIP thread) ----------------------------------------------------------------- */

static int audio_slot(struct pc_sip_thread *t, unsigned call)
{
	struct st_call *c = call_find(t, call, false);

	if (c == NULL)
		return -1;
	for (unsigned m = 0; m < PC_SIP_THREAD_MEDIA_MAX; m++) {
		int id = c->slot[m];

		if (id >= 0 && t->slots[id].state == SLOT_LIVE &&
		    t->slots[id].info.type == PC_SDP_MEDIA_AUDIO)
			return id;
	}
	return -1;
}

static int cmd_dtmf(struct pc_sip_thread *t, const struct st_cmd *cmd)
{
	int id = t->conf.loop ? audio_slot(t, cmd->call) : -1;
	struct pc_loop_msg *m;

	if (id < 0)
		return -ENOENT;
	m = loop_cmd(t, PC_LOOP_CMD_MEDIA_DTMF, (uint32_t)id);
	if (m == NULL)
		return -EAGAIN;
	m->u.dtmf.key = cmd->key;
	m->u.dtmf.duration_ms = cmd->duration_ms;
	pc_loop_cmd_commit(t->conf.loop, m);
	return 0;
}

static int cmd_stats(struct pc_sip_thread *t, const struct st_cmd *cmd)
{
	struct st_call *c = t->conf.loop ? call_find(t, cmd->call, false) : NULL;
	int n = 0;

	if (c == NULL)
		return -ENOENT;
	for (unsigned i = 0; i < PC_SIP_THREAD_MEDIA_MAX; i++) {
		int id = c->slot[i];
		struct pc_loop_msg *m;

		if (id < 0 || t->slots[id].state != SLOT_LIVE)
			continue;
		m = loop_cmd(t, PC_LOOP_CMD_STREAM_STATS, (uint32_t)id);
		if (m == NULL)
			return n ? n : -EAGAIN;
		t->slots[id].stats_req = cmd->req;
		pc_loop_cmd_commit(t->conf.loop, m);
		n++;
	}
	return n ? n : -ENOENT;
}

static int cmd_release(struct pc_sip_thread *t, const struct st_cmd *cmd)
{
	struct st_slot *s;

	if (cmd->call >= t->nslots)
		return -EINVAL;
	s = &t->slots[cmd->call];
	if (s->state != SLOT_WAIT_RELEASE)
		return s->state == SLOT_FREE ? -ENOENT : -EBUSY;
	s->state = SLOT_FREE;
	return 0;
}

static void handle_cmd(struct pc_sip_thread *t, const struct st_cmd *cmd)
{
	struct pc_sip_thread_event *e;
	unsigned call = cmd->call;
	int rc;

	switch (cmd->type) {
	case PC_SIP_THREAD_CMD_CALL:
		call = 0;
		rc = pc_sip_ua_call(t->ua, cmd->account, cmd->target, &call);
		if (rc == 0) {
			struct st_call *c = call_find(t, call, true);

			if (c != NULL)
				c->account = cmd->account;
		}
		break;
	case PC_SIP_THREAD_CMD_ANSWER:
		rc = pc_sip_ua_answer(t->ua, cmd->call);
		break;
	case PC_SIP_THREAD_CMD_REJECT:
		rc = pc_sip_ua_reject(t->ua, cmd->call, cmd->code);
		break;
	case PC_SIP_THREAD_CMD_HANGUP:
		rc = pc_sip_ua_hangup(t->ua, cmd->call);
		break;
	case PC_SIP_THREAD_CMD_HOLD:
		rc = pc_sip_ua_hold(t->ua, cmd->call);
		break;
	case PC_SIP_THREAD_CMD_RESUME:
		rc = pc_sip_ua_resume(t->ua, cmd->call);
		break;
	case PC_SIP_THREAD_CMD_TRANSFER:
		rc = pc_sip_ua_transfer(t->ua, cmd->call, cmd->target);
		break;
	case PC_SIP_THREAD_CMD_TRANSFER_REPLACE:
		rc = pc_sip_ua_transfer_replace(t->ua, cmd->call, cmd->other);
		break;
	case PC_SIP_THREAD_CMD_REGISTER:
		rc = pc_sip_ua_register(t->ua, cmd->account);
		break;
	case PC_SIP_THREAD_CMD_DTMF:
		rc = cmd_dtmf(t, cmd);
		break;
	case PC_SIP_THREAD_CMD_STATS:
		rc = cmd_stats(t, cmd);
		break;
	case PC_SIP_THREAD_CMD_RELEASE:
		call = 0;
		rc = cmd_release(t, cmd);
		break;
	case PC_SIP_THREAD_CMD_PING:
		rc = 0;
		break;
	default:
		rc = -EINVAL;
		break;
	}
	pc_counter_add(&t->st_cmds, 1);
	e = evt_new(t, PC_SIP_THREAD_EV_RESULT, call, -1);
	if (e != NULL) {
		e->req = cmd->req;
		e->rc = rc;
		e->t_cmd_ns = cmd->t_ns;
		evt_send(t, e);
	}
}

static unsigned take_cmds(struct pc_sip_thread *t)
{
	struct st_cmd *cmd;
	unsigned n = 0;

	/* At most a channel's worth per iteration, so that SIP keeps being served. */
	while (n < t->ncmd && (cmd = chan_poll(&t->cmd)) != NULL) {
		handle_cmd(t, cmd);
		chan_release(&t->cmd, cmd);
		n++;
	}
	return n;
}

/* ---- the thread ---------------------------------------------------------------------------- */

static bool slots_busy(const struct pc_sip_thread *t)
{
	for (uint32_t i = 0; i < t->nslots; i++)
		if (t->slots[i].state == SLOT_LIVE || t->slots[i].state == SLOT_DYING)
			return true;
	return false;
}

static void shutdown_calls(struct pc_sip_thread *t)
{
	uint64_t end;
	bool any = false;

	/* Hang up what is still up; give the BYEs and CANCELs a moment to leave. */
	for (uint32_t i = 0; i < t->ncalls; i++) {
		if (t->calls[i].num == 0)
			continue;
		if (pc_sip_ua_hangup(t->ua, t->calls[i].num) == 0)
			any = true;
		call_drop_streams(t, &t->calls[i]);
	}
	end = st_now_ns() + (uint64_t)ST_SHUTDOWN_MS * 1000000u;
	if (any)
		pc_sip_ua_poll(t->ua, 20);
	/* Streams: wait for the loop to give back what it borrowed. */
	for (uint32_t i = 0; i < t->nslots; i++)
		if (t->slots[i].state == SLOT_LIVE)
			slot_destroy(t, i);
	while (t->conf.loop != NULL && slots_busy(t) && st_now_ns() < end) {
		if (drain_loop(t) == 0) {
			struct timespec ts = { 0, 500000 };

			nanosleep(&ts, NULL);
		}
	}
}

static void *sip_thread_main(void *arg)
{
	struct pc_sip_thread *t = arg;
	int wait = (int)t->conf.poll_ms;

	/* Pairs with the store-release in pc_sip_thread_destroy(). */
	while (!pc_load_acquire(&t->stop)) {
		unsigned work = take_cmds(t);

		work += drain_loop(t);
		/* Commands just handled may have queued more to do at once (an answer sent,
		 * a loop reply due): look again without sleeping. */
		pc_sip_ua_poll(t->ua, work ? 0 : wait);
		pc_counter_add(&t->st_polls, 1);
	}
	take_cmds(t);
	shutdown_calls(t);
	drain_loop(t);
	pc_sip_ua_destroy(t->ua);
	t->ua = NULL;
	return NULL;
}

/* ---- phone side ---------------------------------------------------------------------------- */

static bool pow2(uint32_t n)
{
	return n && (n & (n - 1)) == 0;
}

int pc_sip_thread_create(struct pc_sip_thread **out, const struct pc_sip_thread_conf *conf)
{
	struct pc_sip_thread *t;
	uint32_t i;
	int rc;

	if (out == NULL || conf == NULL)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	t->conf = *conf;
	t->ncmd = conf->cmd_msgs ? conf->cmd_msgs : ST_DEFAULT_CMDS;
	t->nevt = conf->evt_msgs ? conf->evt_msgs : ST_DEFAULT_EVTS;
	t->nslots = conf->streams ? conf->streams : ST_DEFAULT_STREAMS;
	t->ncalls = t->nslots;
	if (!t->conf.poll_ms)
		t->conf.poll_ms = ST_DEFAULT_POLL_MS;
	t->rand_state = 0x9e3779b9u;
	rc = -EINVAL;
	if (!pow2(t->ncmd) || !pow2(t->nevt) || (conf->frame_msgs && !pow2(conf->frame_msgs)) ||
	    t->conf.poll_ms > 1000)
		goto out_free;
	rc = -ENOMEM;
	t->slots = calloc(t->nslots, sizeof(*t->slots));
	t->calls = calloc(t->ncalls, sizeof(*t->calls));
	if (t->slots == NULL || t->calls == NULL)
		goto out_free;
	rc = chan_init(&t->cmd, t->ncmd, sizeof(struct st_cmd), "sip-cmd");
	if (rc < 0)
		goto out_free;
	rc = chan_init(&t->evt, t->nevt, sizeof(struct pc_sip_thread_event), "sip-evt");
	if (rc < 0)
		goto out_cmd;
	for (i = 0; conf->frame_msgs && conf->loop && i < t->nslots; i++) {
		rc = pc_ring_create(&t->slots[i].tx, conf->frame_msgs, PC_RING_SPSC, "frames-tx");
		if (rc < 0)
			goto out_rings;
		rc = pc_ring_create(&t->slots[i].rx, conf->frame_msgs, PC_RING_SPSC, "frames-rx");
		if (rc < 0)
			goto out_rings;
	}
	t->conf.ua.on_event = on_ua_event;
	t->conf.ua.arg = t;
	rc = pc_sip_ua_create(&t->ua, &t->conf.ua);
	if (rc < 0)
		goto out_rings;
	t->port = pc_sip_ua_port(t->ua);
	t->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (t->wake_fd < 0) {
		rc = -errno;
		goto out_ua;
	}
	rc = pc_sip_ua_watch_wake(t->ua, t->wake_fd);
	if (rc < 0)
		goto out_wake;
	/* From here the UA and the loop's control side belong to the new thread: pthread_create
	 * orders everything above before it. */
	rc = -pthread_create(&t->tid, NULL, sip_thread_main, t);
	if (rc < 0)
		goto out_wake;
	*out = t;
	return 0;

out_wake:
	pc_sip_ua_destroy(t->ua);
	t->ua = NULL;
	close(t->wake_fd);
out_ua:
	pc_sip_ua_destroy(t->ua);
out_rings:
	for (i = 0; i < t->nslots; i++) {
		pc_ring_destroy(t->slots[i].tx);
		pc_ring_destroy(t->slots[i].rx);
	}
	chan_fini(&t->evt);
out_cmd:
	chan_fini(&t->cmd);
out_free:
	free(t->slots);
	free(t->calls);
	free(t);
	return rc;
}

static void ring_drain_free(struct pc_ring *r)
{
	void *obj;

	while (r != NULL && pc_ring_dequeue(r, &obj) == 0)
		pc_pkt_free(NULL, obj);
}

/* Ends the SIP thread's wait in pc_sip_ua_poll (phone thread; an eventfd write never blocks:
 * the counter saturating would only mean it is readable already). */
static void st_wake(struct pc_sip_thread *t)
{
	uint64_t one = 1;

	if (write(t->wake_fd, &one, sizeof(one)) < 0)
		pc_counter_add(&t->st_wake_failed, 1);
}

void pc_sip_thread_destroy(struct pc_sip_thread *t)
{
	if (t == NULL)
		return;
	/* Pairs with the load-acquire in sip_thread_main(). */
	pc_store_release(&t->stop, 1u);
	st_wake(t);
	pthread_join(t->tid, NULL);
	close(t->wake_fd); /* the thread destroyed the UA, which watched it */
	for (uint32_t i = 0; i < t->nslots; i++) {
		/* A stream the loop still runs (it did not answer in time) keeps what it
		 * borrowed: leak it rather than free it under the loop. */
		if (t->slots[i].state == SLOT_LIVE || t->slots[i].state == SLOT_DYING)
			continue;
		ring_drain_free(t->slots[i].tx);
		ring_drain_free(t->slots[i].rx);
		pc_ring_destroy(t->slots[i].tx);
		pc_ring_destroy(t->slots[i].rx);
	}
	chan_fini(&t->evt);
	chan_fini(&t->cmd);
	free(t->slots);
	free(t->calls);
	free(t);
}

uint16_t pc_sip_thread_port(const struct pc_sip_thread *t)
{
	return t ? t->port : 0;
}

static struct st_cmd *cmd_new(struct pc_sip_thread *t, uint32_t type)
{
	struct st_cmd *c = chan_reserve(&t->cmd);

	if (c == NULL)
		return NULL;
	memset(c, 0, offsetof(struct st_cmd, target));
	c->target[0] = '\0';
	c->type = type;
	if (++t->next_req > (uint32_t)INT32_MAX)
		t->next_req = 1;
	c->req = t->next_req;
	return c;
}

static int cmd_send(struct pc_sip_thread *t, struct st_cmd *c)
{
	c->t_ns = st_now_ns();
	chan_commit(&t->cmd, c);
	st_wake(t);
	return (int)c->req;
}

static int cmd_simple(struct pc_sip_thread *t, uint32_t type, unsigned call)
{
	struct st_cmd *c;

	if (t == NULL)
		return -EINVAL;
	c = cmd_new(t, type);
	if (c == NULL)
		return -EAGAIN;
	c->call = call;
	return cmd_send(t, c);
}

static int cmd_target(struct pc_sip_thread *t, uint32_t type, unsigned n, const char *target)
{
	struct st_cmd *c;
	size_t len;

	if (t == NULL || target == NULL)
		return -EINVAL;
	len = strlen(target);
	if (len >= sizeof(c->target))
		return -EINVAL;
	c = cmd_new(t, type);
	if (c == NULL)
		return -EAGAIN;
	c->call = n;
	c->account = n;
	memcpy(c->target, target, len + 1);
	return cmd_send(t, c);
}

int pc_sip_thread_call(struct pc_sip_thread *t, unsigned account, const char *target)
{
	return cmd_target(t, PC_SIP_THREAD_CMD_CALL, account, target);
}

int pc_sip_thread_answer(struct pc_sip_thread *t, unsigned call)
{
	return cmd_simple(t, PC_SIP_THREAD_CMD_ANSWER, call);
}

int pc_sip_thread_reject(struct pc_sip_thread *t, unsigned call, unsigned code)
{
	struct st_cmd *c;

	if (t == NULL)
		return -EINVAL;
	c = cmd_new(t, PC_SIP_THREAD_CMD_REJECT);
	if (c == NULL)
		return -EAGAIN;
	c->call = call;
	c->code = code;
	return cmd_send(t, c);
}

int pc_sip_thread_hangup(struct pc_sip_thread *t, unsigned call)
{
	return cmd_simple(t, PC_SIP_THREAD_CMD_HANGUP, call);
}

int pc_sip_thread_hold(struct pc_sip_thread *t, unsigned call)
{
	return cmd_simple(t, PC_SIP_THREAD_CMD_HOLD, call);
}

int pc_sip_thread_resume(struct pc_sip_thread *t, unsigned call)
{
	return cmd_simple(t, PC_SIP_THREAD_CMD_RESUME, call);
}

int pc_sip_thread_transfer(struct pc_sip_thread *t, unsigned call, const char *target)
{
	return cmd_target(t, PC_SIP_THREAD_CMD_TRANSFER, call, target);
}

int pc_sip_thread_transfer_replace(struct pc_sip_thread *t, unsigned call, unsigned other)
{
	struct st_cmd *c;

	if (t == NULL)
		return -EINVAL;
	c = cmd_new(t, PC_SIP_THREAD_CMD_TRANSFER_REPLACE);
	if (c == NULL)
		return -EAGAIN;
	c->call = call;
	c->other = other;
	return cmd_send(t, c);
}

int pc_sip_thread_register(struct pc_sip_thread *t, unsigned account)
{
	struct st_cmd *c;

	if (t == NULL)
		return -EINVAL;
	c = cmd_new(t, PC_SIP_THREAD_CMD_REGISTER);
	if (c == NULL)
		return -EAGAIN;
	c->account = account;
	return cmd_send(t, c);
}

int pc_sip_thread_dtmf(struct pc_sip_thread *t, unsigned call, char key, uint32_t duration_ms)
{
	struct st_cmd *c;

	if (t == NULL || key == '\0' || strchr("0123456789*#ABCD", key) == NULL || duration_ms < 40)
		return -EINVAL;
	c = cmd_new(t, PC_SIP_THREAD_CMD_DTMF);
	if (c == NULL)
		return -EAGAIN;
	c->call = call;
	c->key = key;
	c->duration_ms = duration_ms;
	return cmd_send(t, c);
}

int pc_sip_thread_stats(struct pc_sip_thread *t, unsigned call)
{
	return cmd_simple(t, PC_SIP_THREAD_CMD_STATS, call);
}

int pc_sip_thread_release(struct pc_sip_thread *t, unsigned stream)
{
	return cmd_simple(t, PC_SIP_THREAD_CMD_RELEASE, stream);
}

int pc_sip_thread_ping(struct pc_sip_thread *t)
{
	return cmd_simple(t, PC_SIP_THREAD_CMD_PING, 0);
}

unsigned pc_sip_thread_events(struct pc_sip_thread *t, struct pc_sip_thread_event *evs, unsigned n)
{
	unsigned k = 0;

	if (t == NULL || evs == NULL)
		return 0;
	while (k < n) {
		struct pc_sip_thread_event *e = chan_poll(&t->evt);

		if (e == NULL)
			break;
		evs[k++] = *e;
		chan_release(&t->evt, e);
	}
	return k;
}

void pc_sip_thread_get_stats(const struct pc_sip_thread *t, struct pc_sip_thread_stats *st)
{
	if (t == NULL || st == NULL)
		return;
	st->cmds = pc_load_relaxed(&t->st_cmds);
	st->evts_dropped = pc_load_relaxed(&t->st_evts_dropped);
	st->loop_cmds_full = pc_load_relaxed(&t->st_loop_full);
	st->streams_created = pc_load_relaxed(&t->st_created);
	st->streams_destroyed = pc_load_relaxed(&t->st_destroyed);
	st->stream_failures = pc_load_relaxed(&t->st_failed);
	st->polls = pc_load_relaxed(&t->st_polls);
}
