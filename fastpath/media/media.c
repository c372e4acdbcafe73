/* SPDX-License-Identifier: MIT */
/* media.c - the RTP endpoint of pc_media.h: receive, playout, send, DTMF, RTCP. */
#include <errno.h>
#include <string.h>

#include "pc_media.h"

#define MEDIA_CN_PT 13u		 /* RFC 3389 comfort noise */
#define MEDIA_UDP_IP_OVERHEAD 28 /* IPv4 + UDP, for the RTCP average size (A.7) */
#define MEDIA_RTCP_ROOM 768u	 /* our compounds: SR/RR, one block, CNAME, XR, NACK, PLI, BYE */
#define MEDIA_XR_GMIN 16u	 /* RFC 3611 4.7.2: the gap threshold */
#define MEDIA_MS 1000000ull

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

size_t pc_media_rtx_memsize(unsigned slots)
{
	if (slots == 0 || slots > PC_MEDIA_RTX_SLOTS_MAX || (slots & (slots - 1)))
		return 0;
	return sizeof(struct pc_media_rtx) + (size_t)slots * sizeof(struct pc_media_rtx_slot);
}

int pc_media_rtx_init(void *mem, unsigned slots, struct pc_media_rtx **out)
{
	struct pc_media_rtx *h = mem;
	size_t size = pc_media_rtx_memsize(slots);

	if (mem == NULL || size == 0)
		return -EINVAL;
	memset(h, 0, size);
	h->slots = slots;
	*out = h;
	return 0;
}

static bool video(const struct pc_media *m)
{
	return (m->conf.flags & PC_MEDIA_F_VIDEO) != 0;
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
	    c->direction > PC_MEDIA_INACTIVE ||
	    (c->flags & ~(uint32_t)(PC_MEDIA_F_VIDEO | PC_MEDIA_F_XR)) ||
	    (c->rtx != NULL && pc_media_rtx_memsize(c->rtx->slots) == 0))
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

/* --- NACK receiver (RFC 4585 6.2.1) and the XR loss model ------------------------------------ */

/* A new remote source: nothing to ask for from the old one, a new loss model. */
static void nack_reset(struct pc_media *m)
{
	m->n_nack = 0;
	m->rx_hi_valid = 0;
	m->nack_due = 0;
	m->xr_pkt = 0;
	m->xr_lost_run = 0;
	m->xr_c11 = m->xr_c13 = m->xr_c14 = m->xr_c22 = m->xr_c23 = m->xr_c33 = 0;
}

/* A packet given up: its frame cannot be decoded; the decoder needs a key frame. */
static void nack_give_up(struct pc_media *m, uint64_t n)
{
	m->st.nack_given_up += n;
	m->pli_due = 1;
}

static void nack_add(struct pc_media *m, uint32_t ext_seq, uint64_t now_ns)
{
	if (m->n_nack == PC_MEDIA_NACK_MAX) {
		/* Full: the oldest goes. */
		memmove(&m->nack[0], &m->nack[1], (PC_MEDIA_NACK_MAX - 1) * sizeof(m->nack[0]));
		m->n_nack--;
		nack_give_up(m, 1);
	}
	m->nack[m->n_nack++] = (struct pc_media_nack){ .first_ns = now_ns, .ext_seq = ext_seq };
	m->nack_due = 1;
}

/* RFC 3611 4.7.2 (the counters of its sample code): @lost packets lost, then one received. */
static void xr_model(struct pc_media *m, uint32_t lost)
{
	for (uint32_t i = 0; i < lost; i++) {
		if (m->xr_pkt >= MEDIA_XR_GMIN) {
			/* A loss after a gap: a burst starts (a lone loss counts in the gap). */
			if (m->xr_lost_run == 1)
				m->xr_c14++;
			else
				m->xr_c13++;
			m->xr_lost_run = 1;
			m->xr_c11 += m->xr_pkt;
		} else {
			m->xr_lost_run++;
			if (m->xr_pkt == 0) {
				m->xr_c33++;
			} else {
				m->xr_c23++;
				m->xr_c22 += m->xr_pkt - 1;
			}
		}
		m->xr_pkt = 0;
	}
	m->xr_pkt++;
}

/* One RTP packet of the remote source with sequence number @seq and the statistics' verdict:
 * new gaps become missing packets (video), a missing one that comes is struck off. */
static void rx_seq(struct pc_media *m, uint16_t seq, enum pc_rtp_seq_verdict vd, uint64_t now_ns)
{
	uint32_t ext, gap;

	if (vd == PC_RTP_SEQ_BAD || vd == PC_RTP_SEQ_DUPLICATE)
		return;
	if (!m->rx_hi_valid || vd == PC_RTP_SEQ_RESTART) {
		/* The first packet, or the source restarted (RFC 3550 A.1): nothing to ask for
		 * from before. Ext numbers start one cycle up so that a packet just before is
		 * still below. */
		if (m->rx_hi_valid && m->n_nack)
			nack_give_up(m, m->n_nack);
		m->n_nack = 0;
		m->rx_hi = 0x10000u + seq;
		m->rx_hi_valid = 1;
		m->xr_pkt++;
		return;
	}
	ext = pc_rtp_seq_extend(m->rx_hi, seq);
	if ((int32_t)(ext - m->rx_hi) <= 0) {
		/* Older than the highest: a reordered packet or a retransmission. */
		for (uint32_t i = 0; i < m->n_nack; i++) {
			if (m->nack[i].ext_seq != ext)
				continue;
			if (m->nack[i].tries)
				m->st.nack_recovered++;
			memmove(&m->nack[i], &m->nack[i + 1],
				(m->n_nack - i - 1) * sizeof(m->nack[0]));
			m->n_nack--;
			break;
		}
		return;
	}
	gap = ext - m->rx_hi - 1;
	m->rx_hi = ext;
	xr_model(m, gap);
	if (!video(m) || gap == 0)
		return;
	if (gap > PC_MEDIA_NACK_MAX) {
		/* Too many to ask for one by one: a key frame repairs it sooner. */
		nack_give_up(m, gap);
		return;
	}
	for (uint32_t k = ext - gap; k != ext; k++)
		nack_add(m, k, now_ns);
}

/* The retry spacing: a round trip, or a default while none is known. */
static uint64_t nack_spacing_ns(const struct pc_media *m)
{
	uint32_t rtt_us = m->st.rtt_us ? m->st.rtt_us : m->st.xr_rtt_us;
	uint64_t ns = rtt_us ? (uint64_t)rtt_us * 1000u : PC_MEDIA_NACK_RTT_DEFAULT_MS * MEDIA_MS;

	return ns < PC_MEDIA_NACK_RTT_MIN_MS * MEDIA_MS ? PC_MEDIA_NACK_RTT_MIN_MS * MEDIA_MS : ns;
}

/* Give up what is too old or was asked for enough; collect in @seqs (PC_MEDIA_NACK_MAX) the
 * sequence numbers to ask for now, when @take (their tries counted). Returns how many. */
static unsigned nack_scan(struct pc_media *m, uint64_t now_ns, bool take, uint16_t *seqs)
{
	uint64_t spacing = nack_spacing_ns(m);
	unsigned n = 0, keep = 0;

	for (uint32_t i = 0; i < m->n_nack; i++) {
		struct pc_media_nack *e = &m->nack[i];
		bool due = e->tries == 0 || now_ns - e->last_ns >= spacing;

		if (now_ns - e->first_ns > PC_MEDIA_NACK_AGE_MAX_MS * MEDIA_MS ||
		    (due && e->tries >= PC_MEDIA_NACK_TRIES)) {
			nack_give_up(m, 1);
			continue;
		}
		if (due && take) {
			if (e->tries)
				m->st.nack_retries++;
			e->tries++;
			e->last_ns = now_ns;
			seqs[n++] = (uint16_t)e->ext_seq;
		} else if (due) {
			n++;
		}
		m->nack[keep++] = *e;
	}
	m->n_nack = keep;
	return n;
}

/* Whether a PLI may go now (rate limit). */
static bool pli_allowed(const struct pc_media *m, uint64_t now_ns)
{
	return m->pli_due && (m->st.pli_sent == 0 ||
			      now_ns - m->last_pli_ns >= PC_MEDIA_PLI_INTERVAL_MS * MEDIA_MS);
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
		nack_reset(m);
	}
	/* Telephone-events share the source's sequence numbers: they count (or our reports
	 * would call them lost). Their timestamp is the event's start for every packet; the
	 * event's media time is start + duration, which keeps the A.8 jitter honest. */
	media_ts = v.ts;
	if (is_dtmf && pc_dtmf_decode(d + v.hdr_len, v.payload_len, &ev) == 0)
		media_ts = v.ts + ev.duration;
	verdict = pc_rtp_source_update(&m->src, v.seq, media_ts,
				       pc_rtp_ts_from_ns(now_ns, m->conf.clock_rate));
	rx_seq(m, v.seq, verdict, now_ns);
	if (is_dtmf) {
		struct pc_dtmf_rx_event events[PC_DTMF_RX_EVENTS_MAX];
		int n = pc_dtmf_rx_input_rtp(&m->dtmf_rx, v.ssrc, v.ts, v.marker, d + v.hdr_len,
					     v.payload_len, now_ns, events);

		if (n > 0)
			dtmf_events(m, env, events, n);
		if (m->conf.jb != NULL) {
			/* The event took a sequence number of the audio's source: not a loss,
			 * and the audio pause it makes is silence, not concealment. */
			struct pc_jb_pkt_info info = {
				.arrival_ns = now_ns,
				.ts = v.ts,
				.ssrc = v.ssrc,
				.seq = v.seq,
				.pt = v.pt,
				.marker = v.marker,
			};

			(void)pc_jb_put_other(m->conf.jb, &info);
		}
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

/* forward */
static void send_rtcp(struct pc_media *m, const struct pc_media_env *env, bool bye);

/* The peer asked for @seq again (RFC 4585 6.2.1): send it from the history as it was. */
static void rtx_one(struct pc_media *m, const struct pc_media_env *env, uint16_t seq)
{
	const struct pc_media_rtx_slot *sl;
	struct pc_pkt *pkt;
	uint8_t *d;

	m->st.rtx_requested++;
	if (m->conf.rtx == NULL) {
		m->st.rtx_unavailable++;
		return;
	}
	sl = &m->conf.rtx->slot[seq & (m->conf.rtx->slots - 1)];
	if (sl->len == 0 || sl->seq != seq) {
		m->st.rtx_unavailable++;
		return;
	}
	if (!sends(m) || !addr_known(&m->remote_rtp) || (pkt = pc_pkt_alloc(env->cache)) == NULL) {
		m->st.rtx_unavailable++;
		return;
	}
	d = pc_pkt_append(pkt, sl->len);
	if (d == NULL) {
		drop(env, pkt, &m->st.rtx_unavailable);
		return;
	}
	memcpy(d, sl->data, sl->len);
	/* The same index again: the SRTP out direction must allow it (PC_SRTP_F_REPEAT_TX). */
	if (m->conf.srtp != NULL && pc_srtp_protect(m->conf.srtp, pkt) < 0) {
		drop(env, pkt, &m->st.srtp_drops);
		return;
	}
	m->st.rtx_sent++;
	m->st.tx_bytes += pc_pkt_len(pkt);
	pkt->port = m->port_rtp;
	pkt->peer = m->remote_rtp;
	pkt->peer_len = addr_len(&m->remote_rtp);
	env->send(env->ctx, pkt);
}

static void rtcp_nack(struct pc_media *m, const struct pc_media_env *env,
		      const struct pc_rtcp_view *v, const struct pc_rtcp_pkt *p)
{
	uint16_t seqs[17];

	for (unsigned k = 0; k < p->n; k++) {
		unsigned n = pc_rtcp_nack_expand(&v->nacks[p->first + k], 1, seqs, 17);

		for (unsigned i = 0; i < n; i++)
			rtx_one(m, env, seqs[i]);
	}
}

static void rtcp_xr(struct pc_media *m, const struct pc_media_env *env,
		    const struct pc_rtcp_view *v, const struct pc_rtcp_pkt *p, uint32_t arrival)
{
	m->st.xr_received++;
	for (unsigned k = 0; k < p->n; k++) {
		const struct pc_rtcp_xr_item *x = &v->xrs[p->first + k];
		struct pc_media_evt e = { 0 };
		uint32_t rtt;

		switch (x->bt) {
		case PC_RTCP_XR_RRTR:
			/* RFC 3611 4.5: remembered for the DLRR of our next report. */
			m->lrr_ssrc = p->ssrc;
			m->lrr = pc_rtcp_ntp_compact(x->u.rrtr_ntp);
			m->lrr_arrival = arrival;
			m->have_lrr = 1;
			break;
		case PC_RTCP_XR_DLRR:
			/* RFC 3611 4.5: RTT = A - LRR - DLRR, as with LSR/DLSR. */
			if (x->u.dlrr.ssrc != m->conf.ssrc ||
			    pc_rtcp_rtt(arrival, x->u.dlrr.lrr, x->u.dlrr.dlrr, &rtt) < 0)
				break;
			m->st.xr_rtt_us = (uint32_t)pc_rtcp_compact_to_us(rtt);
			if (m->st.xr_rtt_us == 0)
				m->st.xr_rtt_us = 1;
			e.type = PC_MEDIA_EVT_XR_RTT;
			e.u.rtcp.rtt_us = m->st.xr_rtt_us;
			env->event(env->ctx, m->stream, &e);
			break;
		case PC_RTCP_XR_VOIP:
			if (x->u.voip.ssrc != m->conf.ssrc)
				break;
			e.type = PC_MEDIA_EVT_XR_VOIP;
			e.u.xr_voip = x->u.voip;
			env->event(env->ctx, m->stream, &e);
			break;
		default:
			break;
		}
	}
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
		case PC_RTCP_RTPFB:
			if (p->count == PC_RTCP_FMT_NACK && p->media_ssrc == m->conf.ssrc &&
			    video(m))
				rtcp_nack(m, env, v, p);
			break;
		case PC_RTCP_XR:
			if (m->conf.flags & PC_MEDIA_F_XR)
				rtcp_xr(m, env, v, p, arrival);
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
	if (rtcp) {
		rx_rtcp(m, env, pkt, now_ns);
		return;
	}
	rx_rtp(m, env, pkt, now_ns);
	/* RFC 4585 3.5: a new gap is reported at once in an early compound (AVPF). */
	if (m->nack_due || pli_allowed(m, now_ns))
		send_rtcp(m, env, false);
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
	if (video(m) && m->conf.rtx != NULL) {
		/* The packet as it is now, before SRTP, for a retransmission (RFC 4585). */
		struct pc_media_rtx_slot *sl =
			&m->conf.rtx->slot[m->seq & (m->conf.rtx->slots - 1)];
		uint16_t len = pc_pkt_len(pkt);

		sl->seq = m->seq;
		sl->sent_ns = m->now_ns;
		sl->len = len <= PC_MEDIA_RTX_SLOT_BYTES ? len : 0;
		if (sl->len)
			memcpy(sl->data, pc_pkt_data(pkt), len);
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

/* The VoIP Metrics block on the remote source (RFC 3611 4.7). Returns false when the source
 * is not valid yet. */
static bool xr_voip(const struct pc_media *m, struct pc_rtcp_xr_voip *vm)
{
	const struct pc_rtp_source *s = &m->src;
	struct pc_jb_stats jb;
	uint64_t expected, lost = 0, discarded = 0;
	uint64_t c11 = m->xr_c11 + m->xr_pkt, c13 = m->xr_c13, c14 = m->xr_c14;
	uint64_t c22 = m->xr_c22, c23 = m->xr_c23, c33 = m->xr_c33, c31, c32, ctotal;
	uint32_t frame_ms = m->conf.ptime_ms, jb_abs = m->conf.jb_max_ms;

	if (!m->have_remote_src || !pc_rtp_source_valid(s))
		return false;
	memset(vm, 0, sizeof(*vm));
	vm->ssrc = s->ssrc;
	expected = (uint64_t)pc_rtp_source_ext_max(s) - s->base_seq + 1;
	if (expected > s->received)
		lost = expected - s->received;
	if (m->conf.jb != NULL) {
		pc_jb_stats(m->conf.jb, &jb);
		discarded = jb.late + jb.overflow;
	} else {
		memset(&jb, 0, sizeof(jb));
	}
	/* 4.7.1: fractions since the start, times 256, saturating. */
	vm->loss_rate = (uint8_t)(lost * 256 / expected > 255 ? 255 : lost * 256 / expected);
	vm->discard_rate =
		(uint8_t)(discarded * 256 / expected > 255 ? 255 : discarded * 256 / expected);
	/* 4.7.2: burst and gap from the Gmin model's transition counts. */
	c31 = c13;
	c32 = c23;
	ctotal = c11 + c14 + c13 + c22 + c23 + c31 + c32 + c33;
	if (c13 == 0) {
		vm->gap_duration = (uint16_t)(c11 * frame_ms > 0xffff ? 0xffff : c11 * frame_ms);
	} else {
		double p32 = (double)c32 / (double)(c31 + c32 + c33);
		double p23 = c22 + c23 < 1 ? 1.0 : 1.0 - (double)c22 / (double)(c22 + c23);
		double bd = 256.0 * p23 / (p23 + p32);
		double gd = c11 + c14 ? 256.0 * (double)c14 / (double)(c11 + c14) : 0;
		double gap_ms = (double)(c11 + c14 + c13) * frame_ms / (double)c13;
		double burst_ms = (double)ctotal * frame_ms / (double)c13 - gap_ms;

		vm->burst_density = (uint8_t)(bd > 255 ? 255 : bd);
		vm->gap_density = (uint8_t)(gd > 255 ? 255 : gd);
		vm->gap_duration = (uint16_t)(gap_ms > 65535 ? 65535 : gap_ms);
		vm->burst_duration = (uint16_t)(burst_ms > 65535 ? 65535 :
						burst_ms < 0	 ? 0 :
								   burst_ms);
	}
	/* 4.7.3: round trip; end-system delay: the jitter buffer's and a frame. */
	{
		uint32_t rtt_us = m->st.rtt_us ? m->st.rtt_us : m->st.xr_rtt_us;

		vm->round_trip_delay =
			(uint16_t)(rtt_us / 1000u > 0xffff ? 0xffff : rtt_us / 1000u);
	}
	vm->signal_level = PC_RTCP_XR_UNAVAILABLE;
	vm->noise_level = PC_RTCP_XR_UNAVAILABLE;
	vm->rerl = PC_RTCP_XR_UNAVAILABLE;
	vm->gmin = MEDIA_XR_GMIN;
	vm->r_factor = PC_RTCP_XR_UNAVAILABLE;
	vm->ext_r_factor = PC_RTCP_XR_UNAVAILABLE;
	vm->mos_lq = PC_RTCP_XR_UNAVAILABLE;
	vm->mos_cq = PC_RTCP_XR_UNAVAILABLE;
	if (m->conf.jb != NULL) {
		int64_t nominal = jb.target_delay_ns / 1000000, now = jb.buffer_delay_ns / 1000000;

		if (nominal < 0)
			nominal = 0;
		if (now < nominal)
			now = nominal;
		vm->rx_config = PC_RTCP_XR_JBA_ADAPTIVE;
		vm->jb_nominal = (uint16_t)(nominal > 0xffff ? 0xffff : nominal);
		vm->jb_max = (uint16_t)(now > 0xffff ? 0xffff : now);
		vm->jb_abs_max = (uint16_t)(jb_abs ? jb_abs : PC_JB_MAX_DELAY_MS_DEFAULT);
		vm->end_system_delay = (uint16_t)(vm->jb_nominal + frame_ms);
	}
	return true;
}

static void send_rtcp(struct pc_media *m, const struct pc_media_env *env, bool bye)
{
	struct pc_rtcp_sender_info si;
	struct pc_rtcp_rb rb;
	struct pc_rtcp_xr_item xrs[3];
	uint16_t seqs[PC_MEDIA_NACK_MAX];
	struct pc_rtcp_nack nacks[PC_MEDIA_NACK_MAX];
	unsigned n_seqs = 0;
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
	if (m->conf.flags & PC_MEDIA_F_XR) {
		/* RFC 3611 4.4: without an SR of ours the peer cannot time a round trip for us:
		 * an RRTR; 4.5: the DLRR answering the peer's last RRTR; 4.7: VoIP Metrics. */
		if (c.sr == NULL)
			xrs[c.n_xrs++] = (struct pc_rtcp_xr_item){ .bt = PC_RTCP_XR_RRTR,
								   .u.rrtr_ntp = ntp };
		if (m->have_lrr)
			xrs[c.n_xrs++] = (struct pc_rtcp_xr_item){
				.bt = PC_RTCP_XR_DLRR,
				.u.dlrr = { .ssrc = m->lrr_ssrc,
					    .lrr = m->lrr,
					    .dlrr = pc_rtcp_ntp_compact(ntp) - m->lrr_arrival }
			};
		if (xr_voip(m, &xrs[c.n_xrs].u.voip))
			xrs[c.n_xrs++].bt = PC_RTCP_XR_VOIP;
		c.xrs = xrs;
	}
	if (video(m) && m->have_remote_src && !bye) {
		int k;

		n_seqs = nack_scan(m, m->now_ns, true, seqs);
		k = n_seqs ? pc_rtcp_nack_pack(seqs, n_seqs, nacks, PC_MEDIA_NACK_MAX) : 0;
		if (k > 0) {
			c.nacks = nacks;
			c.n_nacks = (unsigned)k;
		}
		m->nack_due = 0;
		if (pli_allowed(m, m->now_ns)) {
			c.pli = 1;
			m->pli_due = 0;
			m->last_pli_ns = m->now_ns;
			m->st.pli_sent++;
		}
		c.fb_media_ssrc = m->src.ssrc;
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
	m->st.nack_requests += n_seqs;
	if (c.n_xrs)
		m->st.xr_sent++;
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
	} else if (video(m) && m->have_remote_src) {
		/* NACK retries and give-ups, and a PLI held back by its rate limit: early. */
		uint16_t seqs[PC_MEDIA_NACK_MAX];

		if (nack_scan(m, now_ns, false, seqs) || pli_allowed(m, now_ns))
			send_rtcp(m, env, false);
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
