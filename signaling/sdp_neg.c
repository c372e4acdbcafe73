/* SPDX-License-Identifier: MIT */
/* sdp_neg.c - SDP offer/answer (RFC 3264) over the parser and printer of sdp.c (pc_sdp.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pc_sdp.h"

typedef struct pc_sip_slice slice_t;

static const char *const media_names[] = { "audio", "video" };

__attribute__((format(printf, 4, 5))) static int nfail(char *err, size_t errlen, int rc,
						       const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static slice_t cstr(const char *s)
{
	return (slice_t){ s, s ? strlen(s) : 0 };
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool ieq(slice_t s, const char *lit)
{
	size_t n = strlen(lit);

	if (s.len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(s.p[i]) != lower(lit[i]))
			return false;
	return true;
}

static bool is_te(const char *name)
{
	return ieq(cstr(name), "telephone-event");
}

static bool is_h264(const char *name)
{
	return ieq(cstr(name), "H264");
}

static bool dir_sends(enum pc_sdp_dir d)
{
	return d == PC_SDP_DIR_SENDRECV || d == PC_SDP_DIR_SENDONLY || d == PC_SDP_DIR_NONE;
}

static bool dir_recvs(enum pc_sdp_dir d)
{
	return d == PC_SDP_DIR_SENDRECV || d == PC_SDP_DIR_RECVONLY || d == PC_SDP_DIR_NONE;
}

static enum pc_sdp_dir dir_of(bool send, bool recv)
{
	if (send && recv)
		return PC_SDP_DIR_SENDRECV;
	if (send)
		return PC_SDP_DIR_SENDONLY;
	if (recv)
		return PC_SDP_DIR_RECVONLY;
	return PC_SDP_DIR_INACTIVE;
}

/* Our direction: the preferred one, and on hold no receiving (RFC 3264 8.4). */
static enum pc_sdp_dir our_dir(const struct pc_sdp_neg *neg)
{
	enum pc_sdp_dir d = neg->caps->dir == PC_SDP_DIR_NONE ? PC_SDP_DIR_SENDRECV :
								neg->caps->dir;

	if (neg->hold)
		d = dir_of(dir_sends(d), false);
	return d;
}

/* Text that the built SDP points to, kept in neg->text. Empty slice when it is full. */
__attribute__((format(printf, 2, 3))) static slice_t ntext(struct pc_sdp_neg *neg, const char *fmt,
							   ...)
{
	size_t room = sizeof(neg->text) - neg->text_used;
	char *p = neg->text + neg->text_used;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(p, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		return (slice_t){ NULL, 0 };
	neg->text_used += (size_t)n + 1;
	return (slice_t){ p, (size_t)n };
}

int pc_sdp_neg_init(struct pc_sdp_neg *neg, const struct pc_sdp_caps *caps, uint64_t sess_id,
		    char *err, size_t errlen)
{
	uint8_t ip[16];

	if (!neg || !caps)
		return nfail(err, errlen, -EINVAL, "no state or no caps");
	memset(neg, 0, sizeof(*neg));
	if (err && errlen)
		err[0] = '\0';
	if (!caps->addr)
		return nfail(err, errlen, -EINVAL, "caps: no address");
	if (inet_pton(AF_INET, caps->addr, ip) == 1)
		neg->addrtype = PC_SDP_ADDR_IP4;
	else if (inet_pton(AF_INET6, caps->addr, ip) == 1)
		neg->addrtype = PC_SDP_ADDR_IP6;
	else
		return nfail(err, errlen, -EINVAL, "caps: address is no IPv4 or IPv6 literal");
	if (caps->ncodecs > PC_SDP_CAPS_MAX_CODECS || caps->ncrypto > PC_SDP_CAPS_MAX_CRYPTO)
		return nfail(err, errlen, -EINVAL, "caps: too many codecs or crypto suites");
	for (unsigned i = 0; i < caps->ncodecs; i++) {
		const struct pc_sdp_codec *c = &caps->codecs[i];
		slice_t fmtp = cstr(c->fmtp);

		if (!c->name || !c->name[0] || c->clock == 0 || c->pt > 127 ||
		    (c->type != PC_SDP_MEDIA_AUDIO && c->type != PC_SDP_MEDIA_VIDEO))
			return nfail(err, errlen, -EINVAL, "caps: codec %u is incomplete", i);
		if (is_h264(c->name) && pc_sdp_h264_params(&neg->h264[i], fmtp) != 0)
			return nfail(err, errlen, -EINVAL, "caps: bad H264 fmtp '%s'", c->fmtp);
		neg->events[i] = 0xffff;
		if (is_te(c->name) && fmtp.len && pc_sdp_te_events(&neg->events[i], fmtp) != 0)
			return nfail(err, errlen, -EINVAL, "caps: bad telephone-event fmtp");
	}
	for (unsigned i = 0; i < caps->ncrypto; i++)
		if (pc_sdp_crypto_key_len(caps->crypto[i].suite) == 0)
			return nfail(err, errlen, -EINVAL, "caps: crypto suite %u unknown", i);
	if (caps->srtp != PC_SDP_SRTP_OFF && caps->ncrypto == 0)
		return nfail(err, errlen, -EINVAL, "caps: SRTP wanted without a crypto suite");
	neg->caps = caps;
	neg->sess_id = sess_id;
	neg->sess_version = sess_id;
	return 0;
}

/* The session part of our SDP: o=, s=, c=, t=. */
static void build_session(struct pc_sdp_neg *neg)
{
	const struct pc_sdp_caps *caps = neg->caps;
	struct pc_sdp *l = &neg->local;

	memset(l, 0, sizeof(*l));
	neg->text_used = 0;
	l->o_username = cstr(caps->username ? caps->username : "-");
	l->sess_id = neg->sess_id;
	l->o_addrtype = neg->addrtype;
	l->o_addr = cstr(caps->addr);
	l->session_name = cstr(caps->session_name ? caps->session_name : "-");
	l->conn.addrtype = neg->addrtype;
	l->conn.addr = cstr(caps->addr);
	l->conn.naddr = 1;
	/* RFC 3264 8.4 and RFC 2543: hold also by an unspecified address, as an option. */
	if (neg->hold && caps->hold_c0)
		l->conn.addr = cstr(neg->addrtype == PC_SDP_ADDR_IP6 ? "::" : "0.0.0.0");
}

/* An m-line with port 0: rejected or disabled (RFC 3264 6: still one format). */
static void build_rejected(struct pc_sdp_media *m, const struct pc_sdp_media *offered,
			   enum pc_sdp_media_type type)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	if (offered) {
		m->type_name = offered->type_name;
		m->proto = offered->proto;
		m->proto_name = offered->proto_name;
		m->fmt_text = offered->fmt_text;
		m->nfmt = offered->nfmt ? 1 : 0;
		m->fmt[0].pt = offered->fmt[0].pt;
		m->mid = offered->mid;
	} else {
		m->type_name = cstr(type < 2 ? media_names[type] : "audio");
		m->proto = PC_SDP_PROTO_RTP_AVP;
		m->nfmt = 1;
	}
}

static void add_fmt(struct pc_sdp_media *m, uint8_t pt, const struct pc_sdp_codec *c, slice_t fmtp)
{
	struct pc_sdp_fmt *f = &m->fmt[m->nfmt++];

	memset(f, 0, sizeof(*f));
	f->pt = pt;
	f->has_rtpmap = true;
	f->encoding = cstr(c->name);
	f->clock = c->clock;
	f->channels = c->channels > 1 ? c->channels : 0;
	f->has_fmtp = fmtp.len != 0;
	f->fmtp = fmtp;
}

static void add_fb(struct pc_sdp_media *m, int16_t pt, unsigned kinds, uint32_t trr_int)
{
	for (unsigned bit = PC_SDP_FB_NACK; bit <= PC_SDP_FB_GOOG_REMB; bit <<= 1) {
		if (!(kinds & bit) || m->nrtcpfb >= PC_SDP_MAX_RTCPFB)
			continue;
		m->rtcpfb[m->nrtcpfb++] =
			(struct pc_sdp_rtcpfb){ .pt = pt, .kind = bit, .trr_int = trr_int };
	}
}

static void add_crypto(struct pc_sdp_media *m, uint32_t tag, const struct pc_sdp_caps_crypto *cc)
{
	struct pc_sdp_crypto *cr = &m->crypto[m->ncrypto++];

	memset(cr, 0, sizeof(*cr));
	cr->tag = tag;
	cr->suite = cc->suite;
	cr->nkeys = 1;
	cr->keys[0].len = (uint8_t)pc_sdp_crypto_key_len(cc->suite);
	memcpy(cr->keys[0].key, cc->key, cr->keys[0].len);
}

static bool has_codecs(const struct pc_sdp_caps *caps, enum pc_sdp_media_type type)
{
	for (unsigned i = 0; i < caps->ncodecs; i++)
		if (caps->codecs[i].type == type && !is_te(caps->codecs[i].name))
			return true;
	return false;
}

static bool can_use(const struct pc_sdp_caps *caps, enum pc_sdp_media_type type)
{
	return (type == PC_SDP_MEDIA_AUDIO || type == PC_SDP_MEDIA_VIDEO) && caps->port[type] &&
	       has_codecs(caps, type);
}

static void build_offer_media(struct pc_sdp_neg *neg, struct pc_sdp_media *m,
			      enum pc_sdp_media_type type)
{
	const struct pc_sdp_caps *caps = neg->caps;
	bool fb = type == PC_SDP_MEDIA_VIDEO && caps->rtcp_fb;
	bool savp = caps->srtp == PC_SDP_SRTP_MANDATORY;

	memset(m, 0, sizeof(*m));
	m->type = type;
	m->type_name = cstr(media_names[type]);
	m->port = caps->port[type];
	if (fb && caps->avpf)
		m->proto = savp ? PC_SDP_PROTO_RTP_SAVPF : PC_SDP_PROTO_RTP_AVPF;
	else
		m->proto = savp ? PC_SDP_PROTO_RTP_SAVP : PC_SDP_PROTO_RTP_AVP;
	for (unsigned i = 0; i < caps->ncodecs && m->nfmt < PC_SDP_MAX_FMT; i++) {
		const struct pc_sdp_codec *c = &caps->codecs[i];

		if (c->type == type && !pc_sdp_find_fmt(m, c->pt))
			add_fmt(m, c->pt, c, cstr(c->fmtp));
	}
	if (fb)
		add_fb(m, -1, caps->rtcp_fb, caps->trr_int);
	if (type == PC_SDP_MEDIA_AUDIO)
		m->ptime = caps->ptime;
	m->rtcp_mux = caps->rtcp_mux;
	if (caps->srtp != PC_SDP_SRTP_OFF)
		for (unsigned i = 0; i < caps->ncrypto && i < PC_SDP_MAX_CRYPTO; i++)
			add_crypto(m, i + 1, &caps->crypto[i]);
	m->dir = our_dir(neg);
}

/* FNV-1a over @n octets. */
static uint64_t hash(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ull;
	}
	return h ? h : 1;
}

/* Prints neg->local; RFC 3264 8: sess-version goes up by one when the SDP changed. */
static int print_local(struct pc_sdp_neg *neg, char *buf, size_t size, size_t *len, char *err,
		       size_t errlen)
{
	uint64_t h;
	size_t n;
	int rc;

	neg->local.sess_version = 0;
	rc = pc_sdp_print(&neg->local, buf, size, &n);
	if (rc)
		return nfail(err, errlen, rc,
			     rc == -ENOSPC ? "SDP buffer too small" : "SDP unprintable");
	h = hash(buf, n);
	if (neg->last_hash && h != neg->last_hash)
		neg->sess_version++;
	neg->local.sess_version = neg->sess_version;
	rc = pc_sdp_print(&neg->local, buf, size, len);
	if (rc)
		return nfail(err, errlen, rc,
			     rc == -ENOSPC ? "SDP buffer too small" : "SDP unprintable");
	neg->last_hash = h;
	return 0;
}

int pc_sdp_neg_offer(struct pc_sdp_neg *neg, bool hold, char *buf, size_t size, size_t *len,
		     char *err, size_t errlen)
{
	const struct pc_sdp_caps *caps = neg->caps;
	struct pc_sdp *l = &neg->local;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (!caps)
		return nfail(err, errlen, -EINVAL, "not initialised");
	neg->hold = hold;
	build_session(neg);
	if (neg->nm == 0) {
		for (unsigned t = PC_SDP_MEDIA_AUDIO; t <= PC_SDP_MEDIA_VIDEO; t++) {
			if (!can_use(caps, (enum pc_sdp_media_type)t))
				continue;
			neg->mtype[neg->nm] = (enum pc_sdp_media_type)t;
			neg->mrejected[neg->nm] = false;
			neg->nm++;
		}
		if (neg->nm == 0)
			return nfail(err, errlen, -EINVAL, "no media to offer");
	}
	/* RFC 3264 8: a re-offer keeps every m-line of the session, in order. */
	l->nmedia = neg->nm;
	for (unsigned i = 0; i < neg->nm; i++) {
		if (neg->mrejected[i] || !can_use(caps, neg->mtype[i]))
			build_rejected(&l->media[i], NULL, neg->mtype[i]);
		else
			build_offer_media(neg, &l->media[i], neg->mtype[i]);
	}
	rc = print_local(neg, buf, size, len, err, errlen);
	if (rc)
		return rc;
	neg->offer_pending = true;
	return 0;
}

/* The caps codec index that offered format @f is, or -1 (telephone-event excluded). */
static int match_codec(const struct pc_sdp_neg *neg, enum pc_sdp_media_type type,
		       const struct pc_sdp_fmt *f, const bool *used)
{
	const struct pc_sdp_caps *caps = neg->caps;

	for (unsigned i = 0; i < caps->ncodecs; i++) {
		const struct pc_sdp_codec *c = &caps->codecs[i];

		if (c->type != type || is_te(c->name) || (used && used[i]))
			continue;
		if (f->has_rtpmap) {
			unsigned fch = f->channels ? f->channels : 1;
			unsigned cch = c->channels ? c->channels : 1;

			if (!ieq(f->encoding, c->name) || f->clock != c->clock ||
			    (type == PC_SDP_MEDIA_AUDIO && fch != cch))
				continue;
		} else if (f->pt >= 96 || c->pt != f->pt) {
			continue; /* a dynamic type needs its rtpmap; a static one its number */
		}
		/* RFC 6184 8.2.2: same profile and packetization-mode; the level may go down. */
		if (is_h264(c->name) &&
		    (f->h264.profile_idc != neg->h264[i].profile_idc ||
		     f->h264.packetization_mode != neg->h264[i].packetization_mode))
			continue;
		return (int)i;
	}
	return -1;
}

/* The caps telephone-event at @clock, or -1. */
static int match_te(const struct pc_sdp_caps *caps, enum pc_sdp_media_type type, uint32_t clock)
{
	for (unsigned i = 0; i < caps->ncodecs; i++)
		if (caps->codecs[i].type == type && is_te(caps->codecs[i].name) &&
		    caps->codecs[i].clock == clock)
			return (int)i;
	return -1;
}

static uint8_t min8(uint8_t a, uint8_t b)
{
	return a < b ? a : b;
}

/* Remote address, ports and RTCP from media @i of @sdp (RFC 3605, RFC 5761). */
static void fill_remote(struct pc_sdp_stream *s, const struct pc_sdp *sdp, unsigned i, bool mux)
{
	const struct pc_sdp_media *m = &sdp->media[i];
	const struct pc_sdp_conn *c = pc_sdp_media_conn(sdp, i);

	s->addrtype = c->addrtype;
	memcpy(s->remote_ip, c->ip, sizeof(s->remote_ip));
	s->remote_addr = c->addr;
	s->remote_hold = c->hold;
	s->remote_port = m->port;
	s->rtcp_mux = mux;
	memcpy(s->remote_rtcp_ip, c->ip, sizeof(s->remote_rtcp_ip));
	if (mux)
		s->remote_rtcp_port = m->port;
	else if (m->has_rtcp)
		s->remote_rtcp_port = m->rtcp_port;
	else
		s->remote_rtcp_port = m->port < 65535 ? (uint16_t)(m->port + 1) : 0;
	if (!mux && m->has_rtcp && m->rtcp_conn.addrtype != PC_SDP_ADDR_NONE)
		memcpy(s->remote_rtcp_ip, m->rtcp_conn.ip, sizeof(s->remote_rtcp_ip));
}

static bool is_savp(enum pc_sdp_proto p)
{
	return p == PC_SDP_PROTO_RTP_SAVP || p == PC_SDP_PROTO_RTP_SAVPF;
}

/* The first offered crypto line with a suite we have (RFC 4568 7.1.1), or -1; *cc ours. */
static int pick_crypto(const struct pc_sdp_caps *caps, const struct pc_sdp_media *om,
		       const struct pc_sdp_caps_crypto **cc)
{
	for (unsigned i = 0; i < om->ncrypto; i++) {
		const struct pc_sdp_crypto *cr = &om->crypto[i];

		if (cr->suite == PC_SDP_CRYPTO_UNKNOWN || cr->nkeys == 0)
			continue;
		for (unsigned k = 0; k < caps->ncrypto; k++) {
			if (caps->crypto[k].suite == cr->suite) {
				*cc = &caps->crypto[k];
				return (int)i;
			}
		}
	}
	return -1;
}

static void set_srtp(struct pc_sdp_stream *s, const struct pc_sdp_crypto *remote,
		     const struct pc_sdp_caps_crypto *ours)
{
	const struct pc_sdp_crypto_key *k = &remote->keys[0];

	s->srtp_suite = remote->suite;
	s->crypto_tag = remote->tag;
	s->key_len = k->len;
	memcpy(s->remote_key, k->key, k->len);
	memcpy(s->local_key, ours->key, k->len);
	s->remote_has_mki = k->has_mki;
	s->remote_mki = k->mki;
	s->remote_mki_len = k->mki_len;
}

/* Answers offered m-line @i into am; fills @s. Returns 0 or -ENOSPC (text room). */
static int answer_media(struct pc_sdp_neg *neg, const struct pc_sdp *offer, unsigned i,
			struct pc_sdp_media *am, struct pc_sdp_stream *s)
{
	const struct pc_sdp_caps *caps = neg->caps;
	const struct pc_sdp_media *om = &offer->media[i];
	const struct pc_sdp_conn *oc = pc_sdp_media_conn(offer, i);
	const struct pc_sdp_caps_crypto *cc = NULL;
	const struct pc_sdp_fmt *prim = NULL;
	bool used[PC_SDP_CAPS_MAX_CODECS] = { false };
	enum pc_sdp_dir od, d;
	int ci = -1, te;
	unsigned fb;

	memset(s, 0, sizeof(*s));
	s->type = om->type;
	s->te_pt = -1;
	build_rejected(am, om, om->type);
	if (om->port == 0 || om->proto == PC_SDP_PROTO_OTHER ||
	    om->proto == PC_SDP_PROTO_UDP_TLS_RTP_SAVPF || !can_use(caps, om->type))
		return 0;
	/* SRTP (RFC 4568): an RTP/SAVP stream needs a suite we have; best-effort SRTP takes
	 * crypto offered over RTP/AVP when we do SRTP at all. */
	if (caps->srtp != PC_SDP_SRTP_OFF) {
		ci = pick_crypto(caps, om, &cc);
		if (ci < 0 && (is_savp(om->proto) || caps->srtp == PC_SDP_SRTP_MANDATORY))
			return 0;
	} else if (is_savp(om->proto)) {
		return 0;
	}

	/* Codecs in the offer's order, with its payload type numbers (RFC 3264 6.1). */
	am->nfmt = 0;
	for (unsigned k = 0; k < om->nfmt && s->ncodecs < PC_SDP_CAPS_MAX_CODECS; k++) {
		const struct pc_sdp_fmt *f = &om->fmt[k];
		int c = match_codec(neg, om->type, f, used);
		slice_t fmtp;

		if (c < 0)
			continue;
		used[c] = true;
		fmtp = cstr(caps->codecs[c].fmtp);
		if (is_h264(caps->codecs[c].name)) {
			const struct pc_sdp_h264 *ours = &neg->h264[c];

			fmtp = ntext(neg, "profile-level-id=%02x%02x%02x;packetization-mode=%u",
				     f->h264.profile_idc, f->h264.profile_iop,
				     min8(f->h264.level_idc, ours->level_idc),
				     f->h264.packetization_mode);
			if (!fmtp.len)
				return -ENOSPC;
		}
		add_fmt(am, f->pt, &caps->codecs[c], fmtp);
		s->pt[s->ncodecs] = f->pt;
		s->codec[s->ncodecs] = &caps->codecs[c];
		if (!prim) {
			prim = f;
			s->h264 = f->h264;
			if (is_h264(caps->codecs[c].name))
				s->h264.level_idc = min8(f->h264.level_idc, neg->h264[c].level_idc);
		}
		s->ncodecs++;
	}
	if (!prim) {
		build_rejected(am, om, om->type);
		s->ncodecs = 0;
		return 0;
	}
	s->clock = s->codec[0]->clock;
	s->channels = s->codec[0]->channels ? s->codec[0]->channels : 1;

	/* RFC 4733: telephone-event at the primary codec's clock rate. */
	te = match_te(caps, om->type, s->clock);
	for (unsigned k = 0; te >= 0 && k < om->nfmt; k++) {
		const struct pc_sdp_fmt *f = &om->fmt[k];

		if (!f->has_rtpmap || !ieq(f->encoding, "telephone-event") || f->clock != s->clock)
			continue;
		add_fmt(am, f->pt, &caps->codecs[te], cstr(caps->codecs[te].fmtp));
		s->te_pt = f->pt;
		s->te_events = f->events & neg->events[te];
		break;
	}

	am->port = caps->port[om->type];
	am->fmt_text = (slice_t){ NULL, 0 };
	if (om->type == PC_SDP_MEDIA_AUDIO) {
		am->ptime = caps->ptime;
		s->ptime = om->ptime ? om->ptime : caps->ptime;
	}

	/* RFC 3264 6.1: sendonly -> recvonly, recvonly -> sendonly, inactive -> inactive,
	 * sendrecv -> our preference. An offer with c=0.0.0.0 (RFC 2543 hold) receives nothing. */
	od = pc_sdp_media_dir(offer, i);
	od = dir_of(dir_sends(od), dir_recvs(od) && !oc->hold);
	d = our_dir(neg);
	am->dir = dir_of(dir_recvs(od) && dir_sends(d), dir_sends(od) && dir_recvs(d));
	s->send = dir_sends(am->dir);
	s->recv = dir_recvs(am->dir);

	/* RFC 5761 5.1.1: a=rtcp-mux answered when offered and wanted. */
	am->rtcp_mux = om->rtcp_mux && caps->rtcp_mux;
	fill_remote(s, offer, i, am->rtcp_mux);

	/* RFC 4585 4.2: the feedback both want, for the primary payload type. */
	if (om->type == PC_SDP_MEDIA_VIDEO) {
		fb = pc_sdp_fb_flags(om, prim->pt) & caps->rtcp_fb;
		for (unsigned k = 0; k < om->nrtcpfb; k++)
			if (om->rtcpfb[k].kind == PC_SDP_FB_TRR_INT &&
			    (om->rtcpfb[k].pt < 0 || om->rtcpfb[k].pt == prim->pt))
				s->trr_int = om->rtcpfb[k].trr_int;
		add_fb(am, prim->pt, fb, s->trr_int);
		s->rtcp_fb = fb;
	}

	/* RFC 4568 7.1.1: answer the chosen line under its tag, with our own key. */
	if (ci >= 0) {
		add_crypto(am, om->crypto[ci].tag, cc);
		set_srtp(s, &om->crypto[ci], cc);
	}
	s->active = true;
	return 0;
}

int pc_sdp_neg_answer(struct pc_sdp_neg *neg, const struct pc_sdp *offer, char *buf, size_t size,
		      size_t *len, struct pc_sdp_result *res, char *err, size_t errlen)
{
	struct pc_sdp *l = &neg->local;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (!neg->caps)
		return nfail(err, errlen, -EINVAL, "not initialised");
	if (offer->nmedia > PC_SDP_MAX_MEDIA)
		return nfail(err, errlen, -EPROTO, "offer with %u m-lines", offer->nmedia);
	/* RFC 3264 8: m-lines are never removed, and a live one keeps its type. */
	if (offer->nmedia < neg->nm)
		return nfail(err, errlen, -EPROTO, "offer has %u m-lines, the session %u",
			     offer->nmedia, neg->nm);
	for (unsigned i = 0; i < neg->nm; i++)
		if (!neg->mrejected[i] && offer->media[i].type != neg->mtype[i])
			return nfail(err, errlen, -EPROTO, "offer changes the type of m-line %u",
				     i + 1);
	neg->hold = neg->hold && neg->nm; /* a new session starts off hold */
	build_session(neg);
	l->nmedia = offer->nmedia;
	res->nstreams = offer->nmedia;
	for (unsigned i = 0; i < offer->nmedia; i++) {
		rc = answer_media(neg, offer, i, &l->media[i], &res->s[i]);
		if (rc)
			return nfail(err, errlen, rc, "no room for the answer's text");
	}
	rc = print_local(neg, buf, size, len, err, errlen);
	if (rc)
		return rc;
	neg->nm = offer->nmedia;
	for (unsigned i = 0; i < offer->nmedia; i++) {
		neg->mtype[i] = offer->media[i].type;
		neg->mrejected[i] = !res->s[i].active;
	}
	neg->offer_pending = false;
	return 0;
}

int pc_sdp_neg_complete(struct pc_sdp_neg *neg, const struct pc_sdp *answer,
			struct pc_sdp_result *res, char *err, size_t errlen)
{
	const struct pc_sdp_caps *caps = neg->caps;
	const struct pc_sdp *l = &neg->local;

	if (err && errlen)
		err[0] = '\0';
	if (!caps || !neg->offer_pending)
		return nfail(err, errlen, -EPROTO, "no offer of ours waits for an answer");
	if (answer->nmedia != l->nmedia)
		return nfail(err, errlen, -EPROTO, "answer has %u m-lines, our offer %u",
			     answer->nmedia, l->nmedia);
	for (unsigned i = 0; i < l->nmedia; i++)
		if (answer->media[i].type != l->media[i].type)
			return nfail(err, errlen, -EPROTO, "answer changes the type of m-line %u",
				     i + 1);
	res->nstreams = l->nmedia;
	for (unsigned i = 0; i < l->nmedia; i++) {
		const struct pc_sdp_media *lm = &l->media[i], *am = &answer->media[i];
		struct pc_sdp_stream *s = &res->s[i];
		const struct pc_sdp_fmt *prim = NULL;
		enum pc_sdp_dir ad;
		bool hold;

		memset(s, 0, sizeof(*s));
		s->type = lm->type;
		s->te_pt = -1;
		if (lm->port == 0 || am->port == 0)
			continue;
		/* RFC 3264 6.1: the answer lists formats of the offer only. */
		for (unsigned k = 0; k < am->nfmt; k++) {
			const struct pc_sdp_fmt *f = &am->fmt[k], *of = pc_sdp_find_fmt(lm, f->pt);
			const struct pc_sdp_codec *c = NULL;
			int ci = -1;

			if (!of)
				return nfail(err, errlen, -EPROTO,
					     "answer m-line %u: payload type %u was not offered",
					     i + 1, f->pt);
			for (unsigned j = 0; j < caps->ncodecs; j++)
				if (caps->codecs[j].type == lm->type &&
				    caps->codecs[j].pt == f->pt) {
					c = &caps->codecs[j];
					ci = (int)j;
					break;
				}
			if (!c || (f->has_rtpmap && !ieq(f->encoding, c->name)))
				continue;
			if (is_te(c->name)) {
				if (s->te_pt < 0 && prim && c->clock == s->clock) {
					s->te_pt = f->pt;
					s->te_events = (f->has_rtpmap ? f->events : 0xffff) &
						       neg->events[ci];
				}
				continue;
			}
			if (is_h264(c->name) &&
			    (f->h264.packetization_mode != neg->h264[ci].packetization_mode ||
			     (f->h264.has_profile_level_id &&
			      f->h264.profile_idc != neg->h264[ci].profile_idc)))
				continue;
			if (s->ncodecs >= PC_SDP_CAPS_MAX_CODECS)
				break;
			s->pt[s->ncodecs] = f->pt;
			s->codec[s->ncodecs] = c;
			if (!prim) {
				prim = f;
				s->clock = c->clock;
				s->channels = c->channels ? c->channels : 1;
				if (is_h264(c->name)) {
					s->h264 = f->has_rtpmap ? f->h264 : neg->h264[ci];
					s->h264.profile_idc = neg->h264[ci].profile_idc;
					s->h264.level_idc =
						min8(s->h264.level_idc, neg->h264[ci].level_idc);
				}
			}
			s->ncodecs++;
		}
		/* telephone-event may come before the codec in the answer's list. */
		for (unsigned k = 0; prim && s->te_pt < 0 && k < am->nfmt; k++) {
			const struct pc_sdp_fmt *f = &am->fmt[k];
			int te = match_te(caps, lm->type, s->clock);

			if (te >= 0 && f->pt == caps->codecs[te].pt &&
			    (!f->has_rtpmap || f->clock == s->clock)) {
				s->te_pt = f->pt;
				s->te_events = (f->has_rtpmap ? f->events : 0xffff) &
					       neg->events[te];
			}
		}
		if (!prim) {
			s->ncodecs = 0;
			s->te_pt = -1;
			continue;
		}

		/* SRTP: the answer takes one of our tags with its suite (RFC 4568 7.1.2). */
		if (lm->ncrypto && am->ncrypto) {
			const struct pc_sdp_crypto *cr = &am->crypto[0], *ours = NULL;
			const struct pc_sdp_caps_crypto *cc = NULL;

			for (unsigned k = 0; k < lm->ncrypto; k++)
				if (lm->crypto[k].tag == cr->tag &&
				    lm->crypto[k].suite == cr->suite)
					ours = &lm->crypto[k];
			if (!ours || cr->nkeys == 0)
				return nfail(err, errlen, -EPROTO,
					     "answer m-line %u: crypto tag %u was not offered",
					     i + 1, cr->tag);
			for (unsigned k = 0; k < caps->ncrypto && !cc; k++)
				if (caps->crypto[k].suite == cr->suite)
					cc = &caps->crypto[k];
			if (!cc)
				return nfail(err, errlen, -EPROTO,
					     "answer m-line %u: suite no longer in our caps",
					     i + 1);
			set_srtp(s, cr, cc);
		} else if (is_savp(lm->proto)) {
			return nfail(err, errlen, -EPROTO,
				     "answer m-line %u: no crypto for RTP/SAVP", i + 1);
		}

		fill_remote(s, answer, i, lm->rtcp_mux && am->rtcp_mux);
		ad = pc_sdp_media_dir(answer, i);
		hold = s->remote_hold;
		s->send = dir_sends(lm->dir) && dir_recvs(ad) && !hold;
		s->recv = dir_recvs(lm->dir) && dir_sends(ad);
		if (lm->type == PC_SDP_MEDIA_AUDIO)
			s->ptime = am->ptime ? am->ptime : caps->ptime;
		if (lm->type == PC_SDP_MEDIA_VIDEO) {
			s->rtcp_fb = pc_sdp_fb_flags(am, prim->pt) & caps->rtcp_fb;
			s->trr_int = caps->trr_int;
			for (unsigned k = 0; k < am->nrtcpfb; k++)
				if (am->rtcpfb[k].kind == PC_SDP_FB_TRR_INT &&
				    (am->rtcpfb[k].pt < 0 || am->rtcpfb[k].pt == prim->pt))
					s->trr_int = am->rtcpfb[k].trr_int;
		}
		s->active = true;
	}
	for (unsigned i = 0; i < l->nmedia; i++)
		neg->mrejected[i] = !res->s[i].active;
	neg->offer_pending = false;
	return 0;
}
