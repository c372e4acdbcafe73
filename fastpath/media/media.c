/* SPDX-License-Identifier: MIT */
/* media.c - the RTP endpoint of pc_media.h: receive, playout, send, DTMF, RTCP. */
#include <errno.h>
#include <string.h>

#include "pc_media.h"

#define MEDIA_CN_PT 13u		 /* RFC 3389 comfort noise */
#define MEDIA_UDP_IP_OVERHEAD 28 /* IPv4 + UDP, for the RTCP average size (A.7) */
#define MEDIA_RTCP_ROOM 512u	 /* our compounds: SR/RR, one block, CNAME, BYE */

static uint32_t media_rand(struct pc_media *m)
{
	/* xorshift32: the RTCP interval's randomisation needs no more. */
	uint32_t x = m->rand_state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	m->rand_state = x ? x : 0x9e3779b9u;
	return m->rand_state;
}

static bool addr_known(const union pc_pkt_addr *a)
{
	return a->sa.sa_family == AF_INET || a->sa.sa_family == AF_INET6;
}

static uint32_t addr_len(const union pc_pkt_addr *a)
{
	return a->sa.sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
					     sizeof(struct sockaddr_in);
}

/* Where RTCP goes: the RTCP remote, else (rtcp-mux) the RTP remote, else RTP port + 1. */
static bool rtcp_dest(const struct pc_media *m, union pc_pkt_addr *to)
{
	if (addr_known(&m->remote_rtcp)) {
		*to = m->remote_rtcp;
		return true;
	}
	if (!addr_known(&m->remote_rtp))
		return false;
	*to = m->remote_rtp;
	if (m->port_rtcp == m->port_rtp)
		return true;
	if (to->sa.sa_family == AF_INET)
		to->in4.sin_port = htons((uint16_t)(ntohs(to->in4.sin_port) + 1));
	else
		to->in6.sin6_port = htons((uint16_t)(ntohs(to->in6.sin6_port) + 1));
	return true;
}

static void rtcp_schedule(struct pc_media *m, uint64_t now_ns)
{
	struct pc_rtcp_interval_params p = {
		.rtcp_bw = (double)(m->conf.session_bw ? m->conf.session_bw : 8000u) * 0.05,
		.avg_rtcp_size = m->avg_rtcp_size,
		.members = m->have_remote_src ? 2u : 1u,
		.senders = (m->sent_since_report ? 1u : 0u) + (m->have_remote_src ? 1u : 0u),
		.we_sent = m->sent_since_report,
		.initial = m->rtcp_initial,
		.min_mode = m->conf.rtcp_min,
	};
	double s = pc_rtcp_interval(&p, (double)(media_rand(m) >> 8) / 16777216.0);

	m->next_rtcp_ns = now_ns + (uint64_t)(s * 1e9);
}

int pc_media_init(struct pc_media *m, uint32_t stream, const struct pc_media_conf *c,
		  uint16_t port_rtp, uint16_t port_rtcp, const union pc_pkt_addr *remote_rtp,
		  const union pc_pkt_addr *remote_rtcp, uint64_t now_ns)
{
	uint32_t rate = c->clock_rate ? c->clock_rate : 8000u;
	uint32_t ptime = c->ptime_ms ? c->ptime_ms : 20u;

	if (c->pt > 127 || c->dtmf_pt > 127 || (uint64_t)rate * ptime % 1000 != 0 || ptime > 200 ||
	    c->direction > PC_MEDIA_INACTIVE)
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	m->conf = *c;
	m->conf.clock_rate = rate;
	m->conf.ptime_ms = ptime;
	m->conf.cname[PC_MEDIA_CNAME_MAX - 1] = '\0';
	if (m->conf.cname[0] == '\0')
		memcpy(m->conf.cname, "phonecore", sizeof("phonecore"));
	m->stream = stream;
	m->port_rtp = port_rtp;
	m->port_rtcp = port_rtcp;
	if (remote_rtp != NULL)
		m->remote_rtp = *remote_rtp;
	if (remote_rtcp != NULL)
		m->remote_rtcp = *remote_rtcp;
	m->frame_ns = (uint64_t)ptime * 1000000u;
	m->frame_ts = rate / 1000u * ptime;
	/* Random starts (RFC 3550 5.1) from the SSRC, itself random. */
	m->rand_state = c->ssrc ^ 0x5bd1e995u;
	m->seq = (uint16_t)media_rand(m);
	m->ts = media_rand(m);
	m->clock_ts = m->ts;
	m->talkspurt = 1;
	(void)pc_dtmf_tx_init(&m->dtmf_tx, m->frame_ts);
	pc_dtmf_rx_init(&m->dtmf_rx, 0);
	m->avg_rtcp_size = 128;
	m->rtcp_initial = 1;
	rtcp_schedule(m, now_ns);
	return 0;
}

void pc_media_set_direction(struct pc_media *m, enum pc_media_dir dir)
{
	if (dir <= PC_MEDIA_INACTIVE)
		m->conf.direction = (uint8_t)dir;
}

void pc_media_set_remote(struct pc_media *m, const union pc_pkt_addr *rtp,
			 const union pc_pkt_addr *rtcp)
{
	m->remote_rtp = *rtp;
	if (rtcp != NULL)
		m->remote_rtcp = *rtcp;
	else
		memset(&m->remote_rtcp, 0, sizeof(m->remote_rtcp));
}

static bool sends(const struct pc_media *m)
{
	return m->conf.direction == PC_MEDIA_SENDRECV || m->conf.direction == PC_MEDIA_SENDONLY;
}

static bool receives(const struct pc_media *m)
{
	return m->conf.direction == PC_MEDIA_SENDRECV || m->conf.direction == PC_MEDIA_RECVONLY;
}

static void drop(const struct pc_media_env *env, struct pc_pkt *pkt, uint64_t *counter)
{
	if (counter != NULL)
		(*counter)++;
	pc_pkt_free(env->cache, pkt);
}

/* --- playout ------------------------------------------------------------------------------- */

/* Hand one frame to the consumer; a marker (loss, silence) is an empty pool packet. */
static void playout(struct pc_media *m, const struct pc_media_env *env, struct pc_pkt *pkt,
		    uint16_t flags, uint32_t ts)
{
	if (m->conf.rx_frames == NULL) {
		if (pkt != NULL)
			pc_pkt_free(env->cache, pkt);
		return;
	}
	if (pkt == NULL && (pkt = pc_pkt_alloc(env->cache)) == NULL) {
		m->st.playout_dropped++;
		return;
	}
	pkt->flags = flags;
	pkt->udata32 = ts;
	pkt->stream = m->stream;
	if (pc_ring_enqueue(m->conf.rx_frames, pkt) < 0)
		drop(env, pkt, &m->st.playout_dropped);
}

/* --- receive ------------------------------------------------------------------------------- */

static void dtmf_events(struct pc_media *m, const struct pc_media_env *env,
			const struct pc_dtmf_rx_event *ev, int n)
{
	for (int i = 0; i < n; i++) {
		struct pc_media_evt e = { .type = PC_MEDIA_EVT_DTMF };

		e.u.dtmf.key = pc_dtmf_event_to_char(ev[i].event);
		e.u.dtmf.ended = ev[i].kind == PC_DTMF_RX_ENDED;
		e.u.dtmf.inferred = ev[i].inferred;
		e.u.dtmf.duration_ms =
			(uint32_t)((uint64_t)ev[i].duration * 1000u / m->conf.clock_rate);
		if (ev[i].kind == PC_DTMF_RX_STARTED)
			m->st.dtmf_received++;
		env->event(env->ctx, m->stream, &e);
	}
}

static void rx_rtp(struct pc_media *m, const struct pc_media_env *env, struct pc_pkt *pkt,
		   uint64_t now_ns)
{
	struct pc_rtp_hdr_view v;
	enum pc_rtp_seq_verdict verdict;
	struct pc_dtmf_payload ev;
	uint8_t *d = pc_pkt_data(pkt);
	size_t len = pc_pkt_len(pkt);
	uint32_t media_ts;
	bool is_dtmf;

	if (pc_rtp_is_rtcp(d, len) || pc_rtp_parse(d, len, &v) < 0) {
		drop(env, pkt, &m->st.rx_bad);
		return;
	}
	m->st.last_rx_ns = now_ns; /* authenticated (with SRTP) and well formed */
	if (!addr_known(&m->remote_rtp))
		m->remote_rtp = pkt->peer; /* symmetric RTP: answer where it came from */
	if (!receives(m)) {
		drop(env, pkt, &m->st.rx_dropped_dir);
		return;
	}
	is_dtmf = m->conf.dtmf_pt && v.pt == m->conf.dtmf_pt;
	if (!is_dtmf && v.pt != m->conf.pt && v.pt != MEDIA_CN_PT) {
		drop(env, pkt, &m->st.rx_bad);
		return;
	}
	m->st.rx_pkts++;
	m->st.rx_bytes += len;
	if (!m->have_remote_src || v.ssrc != m->src.ssrc) {
		pc_rtp_source_init(&m->src, v.ssrc, 0);
		m->have_remote_src = 1;
		m->st.remote_ssrc = v.ssrc;
	}
	/* Telephone-events share the source's sequence numbers: they count (or our reports
	 * would call them lost). Their timestamp is the event's start for every packet; the
	 * event's media time is start + duration, which keeps the A.8 jitter honest. */
	media_ts = v.ts;
	if (is_dtmf && pc_dtmf_decode(d + v.hdr_len, v.payload_len, &ev) == 0)
		media_ts = v.ts + ev.duration;
	verdict = pc_rtp_source_update(&m->src, v.seq, media_ts,
				       pc_rtp_ts_from_ns(now_ns, m->conf.clock_rate));
	if (is_dtmf) {
		struct pc_dtmf_rx_event events[PC_DTMF_RX_EVENTS_MAX];
		int n = pc_dtmf_rx_input(&m->dtmf_rx, v.ssrc, v.ts, d + v.hdr_len, v.payload_len,
					 now_ns, events);

		if (n > 0)
			dtmf_events(m, env, events, n);
		drop(env, pkt, NULL);
		return;
	}
	if (verdict == PC_RTP_SEQ_DUPLICATE || verdict == PC_RTP_SEQ_BAD) {
		drop(env, pkt, NULL);
		return;
	}
	/* The payload alone goes on: trim the header and the padding. */
	(void)pc_pkt_trim_front(pkt, v.hdr_len);
	(void)pc_pkt_set_len(pkt, v.payload_len);
	if (m->conf.jb != NULL) {
		struct pc_jb_pkt_info info = {
			.arrival_ns = now_ns,
			.ts = v.ts,
			.ssrc = v.ssrc,
			.seq = v.seq,
			.pt = v.pt,
			.marker = v.marker,
		};

		(void)pc_jb_put(m->conf.jb, pkt, &info);
		return;
	}
	playout(m, env, pkt, PC_MEDIA_FRAME_AUDIO, v.ts);
}

static void rtcp_report_block(struct pc_media *m, const struct pc_media_env *env,
			      const struct pc_rtcp_rb *rb, uint32_t arrival)
{
	struct pc_media_evt e = { .type = PC_MEDIA_EVT_RTCP };
	uint32_t rtt;

	e.u.rtcp.fraction_lost_q8 = rb->fraction_lost;
	e.u.rtcp.cum_lost = rb->cum_lost;
	e.u.rtcp.jitter_us = (uint32_t)((uint64_t)rb->jitter * 1000000u / m->conf.clock_rate);
	if (pc_rtcp_rtt(arrival, rb->lsr, rb->dlsr, &rtt) == 0) {
		m->st.rtt_us = (uint32_t)pc_rtcp_compact_to_us(rtt);
		e.u.rtcp.rtt_us = m->st.rtt_us ? m->st.rtt_us : 1;
	}
	env->event(env->ctx, m->stream, &e);
}

static void rx_rtcp(struct pc_media *m, const struct pc_media_env *env, struct pc_pkt *pkt,
		    uint64_t now_ns)
{
	const struct pc_rtcp_view *v = env->view;
	uint32_t arrival = pc_rtcp_ntp_compact(pc_rtcp_ntp_now());
	bool keyframe = false;

	if (pc_rtcp_parse(pc_pkt_data(pkt), pc_pkt_len(pkt), true, env->view) < 0) {
		drop(env, pkt, &m->st.rx_bad);
		return;
	}
	m->st.last_rx_ns = now_ns;
	m->st.rx_rtcp++;
	m->avg_rtcp_size = pc_rtcp_avg_size(m->avg_rtcp_size,
					    (double)(pc_pkt_len(pkt) + MEDIA_UDP_IP_OVERHEAD));
	if (!addr_known(&m->remote_rtcp) && m->port_rtcp != m->port_rtp)
		m->remote_rtcp = pkt->peer;
	for (unsigned i = 0; i < v->n_pkts; i++) {
		const struct pc_rtcp_pkt *p = &v->pkts[i];

		if (!p->parsed)
			continue;
		switch (p->pt) {
		case PC_RTCP_SR:
			if (m->have_remote_src && p->ssrc == m->src.ssrc)
				pc_rtcp_note_sr(&m->src, p->u.sr.ntp, arrival);
			__attribute__((fallthrough)); /* to its report blocks */
		case PC_RTCP_RR:
			for (unsigned k = 0; k < p->n; k++)
				if (v->rbs[p->first + k].ssrc == m->conf.ssrc)
					rtcp_report_block(m, env, &v->rbs[p->first + k], arrival);
			break;
		case PC_RTCP_PSFB:
			if ((p->count == PC_RTCP_FMT_PLI && p->media_ssrc == m->conf.ssrc) ||
			    p->count == PC_RTCP_FMT_FIR)
				keyframe = true;
			break;
		case PC_RTCP_BYE:
			if (!m->bye_received) {
				struct pc_media_evt e = { .type = PC_MEDIA_EVT_BYE };

				m->bye_received = 1;
				env->event(env->ctx, m->stream, &e);
			}
			break;
		default:
			break;
		}
	}
	if (keyframe) {
		struct pc_media_evt e = { .type = PC_MEDIA_EVT_KEYFRAME };

		env->event(env->ctx, m->stream, &e);
	}
	pc_pkt_free(env->cache, pkt);
}

void pc_media_input(struct pc_media *m, const struct pc_media_env *env, struct pc_pkt *pkt,
		    bool rtcp, uint64_t now_ns)
{
	m->now_ns = now_ns;
	uint8_t *d = pc_pkt_data(pkt);
	size_t len = pc_pkt_len(pkt);

	if (m->port_rtcp == m->port_rtp)
		rtcp = pc_rtp_is_rtcp(d, len);
	if (m->conf.srtp != NULL) {
		int rc;

		/* Only the first header is in clear: check it, then authenticate and decrypt
		 * before anything reads further. */
		if (len < (rtcp ? 8u : PC_RTP_HDR_MIN) || (d[0] >> 6) != 2 ||
		    rtcp != pc_rtp_is_rtcp(d, len)) {
			drop(env, pkt, &m->st.rx_bad);
			return;
		}
		rc = rtcp ? pc_srtp_unprotect_rtcp(m->conf.srtp, pkt) :
			    pc_srtp_unprotect(m->conf.srtp, pkt);
		if (rc < 0) {
			drop(env, pkt, rc == -EBADMSG ? &m->st.rx_bad : &m->st.srtp_drops);
			return;
		}
	}
	if (rtcp)
		rx_rtcp(m, env, pkt, now_ns);
	else
		rx_rtp(m, env, pkt, now_ns);
}

/* --- send ---------------------------------------------------------------------------------- */

/* Header (in the headroom), protection, address: out it goes. */
static void send_rtp(struct pc_media *m, const struct pc_media_env *env, struct pc_pkt *pkt,
		     uint8_t pt, uint32_t ts, bool marker)
{
	struct pc_rtp_hdr_params h = {
		.ssrc = m->conf.ssrc, .ts = ts, .seq = m->seq, .pt = pt, .marker = marker
	};
	uint16_t payload = pc_pkt_len(pkt);

	if (!addr_known(&m->remote_rtp) || pc_rtp_pkt_prepend(pkt, &h) < 0) {
		drop(env, pkt, &m->st.tx_dropped_dir);
		return;
	}
	if (m->conf.srtp != NULL && pc_srtp_protect(m->conf.srtp, pkt) < 0) {
		drop(env, pkt, &m->st.srtp_drops);
		return;
	}
	m->seq++;
	m->last_ts_sent = ts;
	m->last_tx_ns = m->now_ns;
	m->sent_pkts++;
	m->sent_octets += payload;
	m->sent_since_report = 1;
	m->st.tx_pkts++;
	m->st.tx_bytes += pc_pkt_len(pkt);
	pkt->port = m->port_rtp;
	pkt->peer = m->remote_rtp;
	pkt->peer_len = addr_len(&m->remote_rtp);
	env->send(env->ctx, pkt);
}

unsigned pc_media_send_frames(struct pc_media *m, const struct pc_media_env *env, unsigned max,
			      uint64_t now_ns)
{
	unsigned n = 0;
	void *obj;

	m->now_ns = now_ns;
	if (m->conf.tx_frames == NULL)
		return 0;
	while (n < max && pc_ring_dequeue(m->conf.tx_frames, &obj) == 0) {
		struct pc_pkt *f = obj;
		uint32_t ts = m->ts;

		n++;
		/* Media time goes on whether or not the frame leaves. */
		m->ts += m->frame_ts;
		if (!sends(m) || pc_dtmf_tx_busy(&m->dtmf_tx)) {
			m->talkspurt = 1;
			drop(env, f, &m->st.tx_dropped_dir);
			continue;
		}
		send_rtp(m, env, f, m->conf.pt, ts,
			 m->talkspurt || (f->flags & PC_MEDIA_FRAME_MARKER));
		m->talkspurt = 0;
	}
	return n;
}

int pc_media_dtmf(struct pc_media *m, char key, uint32_t duration_ms)
{
	int ev = pc_dtmf_event_from_char((unsigned char)key);

	if (m->conf.dtmf_pt == 0 || ev < 0)
		return -EINVAL;
	if (duration_ms < 40)
		duration_ms = 40;
	/* An event starts at the media clock's now, never at an earlier event's timestamp
	 * (a receiver takes a repeated timestamp for a retransmission). */
	if ((int32_t)(m->clock_ts - m->ts) > 0)
		m->ts = m->clock_ts;
	return pc_dtmf_tx_start(&m->dtmf_tx, (uint8_t)ev, 10, m->ts,
				duration_ms * (m->conf.clock_rate / 1000u));
}

static void send_dtmf(struct pc_media *m, const struct pc_media_env *env)
{
	struct pc_dtmf_tx_pkt tp;
	struct pc_pkt *pkt;

	if (!pc_dtmf_tx_busy(&m->dtmf_tx) || pc_dtmf_tx_tick(&m->dtmf_tx, &tp) != 1)
		return;
	if (tp.marker)
		m->st.dtmf_sent++;
	if (!sends(m) || (pkt = pc_pkt_alloc(env->cache)) == NULL)
		return;
	memcpy(pc_pkt_append(pkt, PC_DTMF_PAYLOAD_LEN), tp.payload, PC_DTMF_PAYLOAD_LEN);
	send_rtp(m, env, pkt, m->conf.dtmf_pt, tp.ts, tp.marker);
	if (tp.last) {
		uint32_t end = tp.ts + tp.duration + m->frame_ts;

		/* Audio after the event continues past it. */
		if ((int32_t)(end - m->ts) > 0)
			m->ts = end;
		m->talkspurt = 1;
	}
}

/* --- RTCP ---------------------------------------------------------------------------------- */

static void send_rtcp(struct pc_media *m, const struct pc_media_env *env, bool bye)
{
	struct pc_rtcp_sender_info si;
	struct pc_rtcp_rb rb;
	uint64_t ntp = pc_rtcp_ntp_now();
	struct pc_rtcp_compound c = {
		.ssrc = m->conf.ssrc,
		.cname = m->conf.cname,
		.cname_len = strlen(m->conf.cname),
		.bye = bye,
	};
	union pc_pkt_addr to;
	struct pc_pkt *pkt;
	int len;

	if (!rtcp_dest(m, &to) || (pkt = pc_pkt_alloc(env->cache)) == NULL)
		return;
	if (m->sent_since_report) {
		/* The RTP clock now: the last packet's timestamp, moved on by the time since. */
		si = (struct pc_rtcp_sender_info){
			.ntp = ntp,
			.rtp_ts = m->last_ts_sent +
				  pc_rtp_ts_from_ns(m->now_ns - m->last_tx_ns, m->conf.clock_rate),
			.packets = m->sent_pkts,
			.octets = m->sent_octets
		};
		c.sr = &si;
	}
	if (m->have_remote_src &&
	    pc_rtcp_rb_from_source(&rb, &m->src, pc_rtcp_ntp_compact(ntp)) == 0) {
		c.rbs = &rb;
		c.n_rbs = 1;
		m->st.cum_lost = rb.cum_lost;
	}
	len = pc_rtcp_build(pc_pkt_data(pkt),
			    pc_pkt_tailroom(pkt) < MEDIA_RTCP_ROOM ? pc_pkt_tailroom(pkt) :
								     MEDIA_RTCP_ROOM,
			    &c);
	if (len <= 0 || pc_pkt_append(pkt, (uint16_t)len) == NULL) {
		drop(env, pkt, NULL);
		return;
	}
	if (m->conf.srtp != NULL && pc_srtp_protect_rtcp(m->conf.srtp, pkt) < 0) {
		drop(env, pkt, &m->st.srtp_drops);
		return;
	}
	m->avg_rtcp_size = pc_rtcp_avg_size(m->avg_rtcp_size,
					    (double)(pc_pkt_len(pkt) + MEDIA_UDP_IP_OVERHEAD));
	m->sent_since_report = 0;
	m->rtcp_initial = 0;
	m->st.tx_rtcp++;
	pkt->port = m->port_rtcp;
	pkt->peer = to;
	pkt->peer_len = addr_len(&to);
	env->send(env->ctx, pkt);
}

void pc_media_bye(struct pc_media *m, const struct pc_media_env *env)
{
	send_rtcp(m, env, true);
}

void pc_media_tick(struct pc_media *m, const struct pc_media_env *env, uint64_t now_ns)
{
	struct pc_dtmf_rx_event ev;

	m->now_ns = now_ns;
	/* The media clock; after a producer's pause of more than two frames, the send
	 * timestamps jump to it (a new talkspurt). */
	m->clock_ts += m->frame_ts;
	if ((int32_t)(m->clock_ts - m->ts) > (int32_t)(2 * m->frame_ts)) {
		m->ts = m->clock_ts;
		m->talkspurt = 1;
	}
	if (m->conf.jb != NULL) {
		struct pc_jb_frame f;

		(void)pc_jb_get(m->conf.jb, now_ns, &f);
		if (f.kind == PC_JB_FRAME_PKT)
			playout(m, env, f.pkt, PC_MEDIA_FRAME_AUDIO, f.ts);
		else
			playout(m, env, NULL,
				f.kind == PC_JB_FRAME_LOSS ? PC_MEDIA_FRAME_LOSS :
							     PC_MEDIA_FRAME_SILENCE,
				f.ts);
	}
	if (pc_dtmf_rx_poll(&m->dtmf_rx, now_ns, &ev) == 1)
		dtmf_events(m, env, &ev, 1);
	send_dtmf(m, env);
	if (now_ns >= m->next_rtcp_ns) {
		send_rtcp(m, env, false);
		rtcp_schedule(m, now_ns);
	}
}

void pc_media_get_stats(const struct pc_media *m, struct pc_media_stats *st)
{
	*st = m->st;
	if (m->have_remote_src)
		st->jitter_us = (uint32_t)((uint64_t)pc_rtp_source_jitter(&m->src) * 1000000u /
					   m->conf.clock_rate);
	if (m->conf.jb != NULL)
		pc_jb_stats(m->conf.jb, &st->jb);
	else
		memset(&st->jb, 0, sizeof(st->jb));
}
