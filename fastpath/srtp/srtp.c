/* SPDX-License-Identifier: MIT */
/*
 * srtp.c - SRTP/SRTCP sessions of pc_srtp.h on libsrtp2: one srtp_t per direction, in place on
 * struct pc_pkt.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <srtp2/srtp.h>

#include "pc_srtp.h"
#include "srtp_pvt.h"

#define PC_SRTP_F_ALL (PC_SRTP_F_ANY_SSRC | PC_SRTP_F_REPEAT_TX)
#define SRTCP_INDEX_MAX (1ull << 31) /* RFC 3711 3.4: a 31-bit index */

/* One direction: a libsrtp session holding its streams (one per SSRC) and, with
 * PC_SRTP_F_ANY_SSRC, the template new SSRCs are cloned from. */
struct pc_srtp_dir {
	srtp_t ctx;
	enum pc_srtp_way way;
	uint32_t flags;
	uint16_t trailer[2]; /* [0] SRTP, [1] SRTCP */
	uint32_t last_ssrc;  /* network order: the SSRC of the last packet handled */
	uint32_t have_last;  /* 1 once last_ssrc is set */
	uint32_t pad;
	uint64_t limit[2]; /* packets the key may still handle: SRTP, SRTCP */
	uint64_t used[2];
};

/* Counters: written by the owner (media) thread only, read by anyone (pc_srtp_stats). */
struct pc_srtp_counters {
	_Atomic uint64_t protected;
	_Atomic uint64_t unprotected;
	_Atomic uint64_t auth_fail;
	_Atomic uint64_t replay_fail;
	_Atomic uint64_t errors;
	_Atomic uint64_t new_ssrc;
};

struct pc_srtp {
	struct pc_srtp_dir *dir[2]; /* [PC_SRTP_OUT], [PC_SRTP_IN] */
	struct pc_srtp_counters st;
};

/* --- once per process ------------------------------------------------------------------------ */

static pthread_once_t srtp_once = PTHREAD_ONCE_INIT;
static int srtp_init_rc;

static void srtp_init_once(void)
{
	int rc;

	if (srtp_init() != srtp_err_status_ok) {
		srtp_init_rc = -EPROTO;
		return;
	}
	/* Before any session exists (sessions keep the auth type they were made with): our
	 * HMAC-SHA1 allocates nothing per packet, libsrtp's on OpenSSL 3.0 does (pc_srtp.h).
	 * libsrtp runs RFC 2202 through it first and refuses it on a wrong answer: that is a
	 * failed self-test like a cipher's in srtp_init, so -EPROTO. On NSS (-ENOTSUP) libsrtp's
	 * own stays. */
	rc = pc_srtp_hmac_register();
	srtp_init_rc = rc == -ENOTSUP ? 0 : rc;
}

int pc_srtp_init(void)
{
	/* pthread_once orders srtp_init_rc's store before every return from it. */
	pthread_once(&srtp_once, srtp_init_once);
	return srtp_init_rc;
}

/* --- setup ----------------------------------------------------------------------------------- */

/* The libsrtp crypto policies of a suite, SRTP and SRTCP. */
static void suite_policy(enum pc_srtp_suite suite, srtp_crypto_policy_t *rtp,
			 srtp_crypto_policy_t *rtcp)
{
	switch (suite) {
	case PC_SRTP_AES_CM_128_HMAC_SHA1_80:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(rtcp);
		break;
	case PC_SRTP_AES_CM_128_HMAC_SHA1_32:
		/* RFC 4568 6.2.2: SRTCP keeps the 80-bit tag. */
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(rtcp);
		break;
	case PC_SRTP_AEAD_AES_128_GCM:
		srtp_crypto_policy_set_aes_gcm_128_16_auth(rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(rtcp);
		break;
	case PC_SRTP_AEAD_AES_256_GCM:
	default:
		srtp_crypto_policy_set_aes_gcm_256_16_auth(rtp);
		srtp_crypto_policy_set_aes_gcm_256_16_auth(rtcp);
		break;
	}
}

static int dir_conf_check(const struct pc_srtp_dir_conf *c)
{
	const struct pc_srtp_suite_info *si;

	if (c->key == NULL)
		return -EINVAL;
	si = pc_srtp_suite_info(c->key->suite);
	if (si == NULL || c->n_ssrcs > PC_SRTP_SSRC_MAX || (c->n_ssrcs != 0 && c->ssrcs == NULL) ||
	    (c->flags & ~PC_SRTP_F_ALL) != 0)
		return -EINVAL;
	if (c->n_ssrcs == 0 && !(c->flags & PC_SRTP_F_ANY_SSRC))
		return -EINVAL;
	if (c->window != 0 && (c->window < PC_SRTP_WINDOW_MIN || c->window > PC_SRTP_WINDOW_MAX))
		return -EINVAL;
	if (c->key->lifetime > PC_SRTP_LIFETIME_MAX)
		return -EINVAL;
	if (c->key->mki_len != 0)
		return -ENOTSUP;
	return 0;
}

int pc_srtp_dir_create(struct pc_srtp_dir **out, enum pc_srtp_way way,
		       const struct pc_srtp_dir_conf *c)
{
	srtp_policy_t pol[PC_SRTP_SSRC_MAX + 1];
	uint8_t master[PC_SRTP_KEY_MAX + PC_SRTP_SALT_MAX];
	const struct pc_srtp_suite_info *si;
	struct pc_srtp_dir *d;
	unsigned n = 0;
	int rc;

	if (way != PC_SRTP_OUT && way != PC_SRTP_IN)
		return -EINVAL;
	rc = dir_conf_check(c);
	if (rc < 0)
		return rc;
	rc = pc_srtp_init();
	if (rc < 0)
		return rc;
	si = pc_srtp_suite_info(c->key->suite);
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return -ENOMEM;
	d->way = way;
	d->flags = c->flags;
	d->trailer[0] = si->rtp_trailer;
	d->trailer[1] = si->rtcp_trailer;
	/* RFC 4568 6.1: the lifetime bounds SRTP and SRTCP packets each; SRTCP's index stops at
	 * 2^31 anyway (RFC 3711 9.2). */
	d->limit[0] = c->key->lifetime != 0 ? c->key->lifetime : PC_SRTP_LIFETIME_MAX;
	d->limit[1] = d->limit[0] < SRTCP_INDEX_MAX ? d->limit[0] : SRTCP_INDEX_MAX;

	/* libsrtp takes the master key and salt as one string, key first. */
	memcpy(master, c->key->key, si->key_len);
	memcpy(master + si->key_len, c->key->salt, si->salt_len);
	memset(pol, 0, sizeof(pol));
	for (unsigned i = 0; i < c->n_ssrcs; i++) {
		pol[n].ssrc.type = ssrc_specific;
		pol[n].ssrc.value = c->ssrcs[i];
		n++;
	}
	if (c->flags & PC_SRTP_F_ANY_SSRC) {
		pol[n].ssrc.type = way == PC_SRTP_OUT ? ssrc_any_outbound : ssrc_any_inbound;
		n++;
	}
	for (unsigned i = 0; i < n; i++) {
		suite_policy(c->key->suite, &pol[i].rtp, &pol[i].rtcp);
		pol[i].key = master;
		pol[i].window_size = c->window != 0 ? c->window : PC_SRTP_WINDOW_DEFAULT;
		pol[i].allow_repeat_tx = (c->flags & PC_SRTP_F_REPEAT_TX) != 0;
		pol[i].next = i + 1 < n ? &pol[i + 1] : NULL;
	}
	switch (srtp_create(&d->ctx, pol)) {
	case srtp_err_status_ok:
		rc = 0;
		break;
	case srtp_err_status_alloc_fail:
		rc = -ENOMEM;
		break;
	case srtp_err_status_bad_param:
		rc = -EINVAL; /* e.g. an SSRC listed twice */
		break;
	default:
		rc = -EPROTO;
		break;
	}
	explicit_bzero(master, sizeof(master));
	if (rc < 0)
		goto out_free_dir;
	*out = d;
	return 0;

out_free_dir:
	free(d);
	return rc;
}

void pc_srtp_dir_destroy(struct pc_srtp_dir *d)
{
	if (d == NULL)
		return;
	/* srtp_dealloc wipes the session keys of every stream. */
	srtp_dealloc(d->ctx);
	free(d);
}

int pc_srtp_create(struct pc_srtp **out, const struct pc_srtp_conf *c)
{
	struct pc_srtp *s;
	int rc = 0;

	if (c->out.key == NULL && c->in.key == NULL)
		return -EINVAL;
	/* Check both before making either, so that a bad inbound half costs no srtp_create. */
	if (c->out.key != NULL)
		rc = dir_conf_check(&c->out);
	if (rc == 0 && c->in.key != NULL)
		rc = dir_conf_check(&c->in);
	if (rc < 0)
		return rc;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	if (c->out.key != NULL) {
		rc = pc_srtp_dir_create(&s->dir[PC_SRTP_OUT], PC_SRTP_OUT, &c->out);
		if (rc < 0)
			goto out_free_session;
	}
	if (c->in.key != NULL) {
		rc = pc_srtp_dir_create(&s->dir[PC_SRTP_IN], PC_SRTP_IN, &c->in);
		if (rc < 0)
			goto out_destroy_out;
	}
	*out = s;
	return 0;

out_destroy_out:
	pc_srtp_dir_destroy(s->dir[PC_SRTP_OUT]);
out_free_session:
	free(s);
	return rc;
}

void pc_srtp_destroy(struct pc_srtp *s)
{
	if (s == NULL)
		return;
	pc_srtp_dir_destroy(s->dir[PC_SRTP_OUT]);
	pc_srtp_dir_destroy(s->dir[PC_SRTP_IN]);
	free(s);
}

int pc_srtp_dir_swap(struct pc_srtp *s, struct pc_srtp_dir *d, struct pc_srtp_dir **old)
{
	if (d == NULL)
		return -EINVAL;
	*old = s->dir[d->way];
	s->dir[d->way] = d;
	return 0;
}

unsigned pc_srtp_trailer_len(const struct pc_srtp *s, enum pc_srtp_way way, bool rtcp)
{
	const struct pc_srtp_dir *d = (unsigned)way < 2 ? s->dir[way] : NULL;

	return d != NULL ? d->trailer[rtcp] : 0;
}

void pc_srtp_stats(const struct pc_srtp *s, struct pc_srtp_stats *st)
{
	struct pc_srtp_counters *c = (struct pc_srtp_counters *)&s->st;

	st->protected = pc_load_relaxed(&c->protected);
	st->unprotected = pc_load_relaxed(&c->unprotected);
	st->auth_fail = pc_load_relaxed(&c->auth_fail);
	st->replay_fail = pc_load_relaxed(&c->replay_fail);
	st->errors = pc_load_relaxed(&c->errors);
	st->new_ssrc = pc_load_relaxed(&c->new_ssrc);
}

/* --- the media path -------------------------------------------------------------------------- */

/*
 * Whether the @len bytes at @b hold a whole RTP header (RFC 3550 5.1, 5.3.1): version 2, the
 * CSRCs and the extension inside @len. libsrtp 2.5 checks this too (srtp_validate_rtp_header);
 * checking here refuses before any libsrtp state is looked at, with the same errno whichever
 * libsrtp is linked.
 */
static inline bool rtp_header_ok(const uint8_t *b, size_t len)
{
	size_t hdr = 12;

	if (pc_unlikely(len < 12 || (b[0] >> 6) != 2))
		return false;
	hdr += 4u * (b[0] & 0x0f);
	if (b[0] & 0x10) {
		if (len < hdr + 4)
			return false;
		hdr += 4u + 4u * ((size_t)b[hdr + 2] << 8 | b[hdr + 3]);
	}
	return hdr <= len;
}

static inline bool rtcp_header_ok(const uint8_t *b, size_t len)
{
	return len >= 8 && (b[0] >> 6) == 2;
}

/* libsrtp's verdicts as errnos (pc_srtp.h), counted. */
static pc_cold int srtp_fail(struct pc_srtp *s, srtp_err_status_t st)
{
	switch (st) {
	case srtp_err_status_auth_fail:
	/* SRTCP whose E bit says other than the suite: it cannot be authenticated as sent. */
	case srtp_err_status_cant_check:
		pc_counter_add(&s->st.auth_fail, 1);
		return -EACCES;
	case srtp_err_status_replay_fail:
	case srtp_err_status_replay_old:
		pc_counter_add(&s->st.replay_fail, 1);
		return -EALREADY;
	default:
		break;
	}
	pc_counter_add(&s->st.errors, 1);
	switch (st) {
	case srtp_err_status_no_ctx:
		return -ESRCH;
	case srtp_err_status_bad_param:
	case srtp_err_status_parse_err:
		return -EBADMSG;
	case srtp_err_status_key_expired:
		return -EKEYEXPIRED;
	case srtp_err_status_alloc_fail:
		return -ENOMEM;
	default:
		return -EPROTO;
	}
}

static pc_cold int count_error(struct pc_srtp *s, int err)
{
	pc_counter_add(&s->st.errors, 1);
	return err;
}

/*
 * With PC_SRTP_F_ANY_SSRC, whether the packet's SSRC (network order, at @ssrc_at) has no stream
 * yet, so that libsrtp will clone one (allocate) if the packet goes through. Asked only when the
 * SSRC differs from the last packet's: one lookup in libsrtp's stream list per change.
 */
static inline bool ssrc_is_new(struct pc_srtp_dir *d, const uint8_t *ssrc_at)
{
	uint32_t ssrc, roc;

	memcpy(&ssrc, ssrc_at, sizeof(ssrc));
	if (pc_likely(ssrc == d->last_ssrc && d->have_last) || !(d->flags & PC_SRTP_F_ANY_SSRC))
		return false;
	return srtp_get_stream_roc(d->ctx, ntohl(ssrc), &roc) != srtp_err_status_ok;
}

static inline void note_ssrc(struct pc_srtp *s, struct pc_srtp_dir *d, const uint8_t *ssrc_at,
			     bool was_new)
{
	memcpy(&d->last_ssrc, ssrc_at, sizeof(d->last_ssrc));
	d->have_last = 1;
	if (pc_unlikely(was_new))
		pc_counter_add(&s->st.new_ssrc, 1);
}

static inline int do_protect(struct pc_srtp *s, struct pc_pkt *pkt, bool rtcp)
{
	struct pc_srtp_dir *d = s->dir[PC_SRTP_OUT];
	uint8_t *data = pc_pkt_data(pkt);
	int len = pc_pkt_len(pkt);
	srtp_err_status_t st;
	bool was_new;

	if (pc_unlikely(d == NULL))
		return count_error(s, -ENOKEY);
	if (pc_unlikely(pc_pkt_is_shared(pkt)))
		return count_error(s, -EBUSY);
	if (pc_unlikely(pc_pkt_tailroom(pkt) < d->trailer[rtcp]))
		return count_error(s, -ENOSPC);
	if (pc_unlikely(rtcp ? !rtcp_header_ok(data, (size_t)len) :
			       !rtp_header_ok(data, (size_t)len)))
		return count_error(s, -EBADMSG);
	if (pc_unlikely(d->used[rtcp] >= d->limit[rtcp]))
		return count_error(s, -EKEYEXPIRED);
	was_new = ssrc_is_new(d, data + (rtcp ? 4 : 8));
	/* libsrtp writes the trailer after the packet: the tailroom checked above. */
	st = rtcp ? srtp_protect_rtcp(d->ctx, data, &len) : srtp_protect(d->ctx, data, &len);
	if (pc_unlikely(st != srtp_err_status_ok))
		return srtp_fail(s, st);
	pkt->data_len = (uint16_t)len;
	d->used[rtcp]++;
	note_ssrc(s, d, data + (rtcp ? 4 : 8), was_new);
	pc_counter_add(&s->st.protected, 1);
	return 0;
}

static inline int do_unprotect(struct pc_srtp *s, struct pc_pkt *pkt, bool rtcp)
{
	struct pc_srtp_dir *d = s->dir[PC_SRTP_IN];
	uint8_t *data = pc_pkt_data(pkt);
	int len = pc_pkt_len(pkt);
	srtp_err_status_t st;
	bool was_new;

	if (pc_unlikely(d == NULL))
		return count_error(s, -ENOKEY);
	if (pc_unlikely(pc_pkt_is_shared(pkt)))
		return count_error(s, -EBUSY);
	if (pc_unlikely(rtcp ? !rtcp_header_ok(data, (size_t)len) || len < 8 + d->trailer[1] :
			       !rtp_header_ok(data, (size_t)len) || len < 12 + d->trailer[0]))
		return count_error(s, -EBADMSG);
	if (pc_unlikely(d->used[rtcp] >= d->limit[rtcp]))
		return count_error(s, -EKEYEXPIRED);
	was_new = ssrc_is_new(d, data + (rtcp ? 4 : 8));
	/* RFC 3711 3.3.2: libsrtp updates the replay list only after authentication. */
	st = rtcp ? srtp_unprotect_rtcp(d->ctx, data, &len) : srtp_unprotect(d->ctx, data, &len);
	if (pc_unlikely(st != srtp_err_status_ok))
		return srtp_fail(s, st);
	pkt->data_len = (uint16_t)len;
	d->used[rtcp]++;
	note_ssrc(s, d, data + (rtcp ? 4 : 8), was_new);
	pc_counter_add(&s->st.unprotected, 1);
	return 0;
}

int pc_srtp_protect(struct pc_srtp *s, struct pc_pkt *pkt)
{
	return do_protect(s, pkt, false);
}

int pc_srtp_unprotect(struct pc_srtp *s, struct pc_pkt *pkt)
{
	return do_unprotect(s, pkt, false);
}

int pc_srtp_protect_rtcp(struct pc_srtp *s, struct pc_pkt *pkt)
{
	return do_protect(s, pkt, true);
}

int pc_srtp_unprotect_rtcp(struct pc_srtp *s, struct pc_pkt *pkt)
{
	return do_unprotect(s, pkt, true);
}

int pc_srtp_reprotect(struct pc_srtp *in, struct pc_srtp *out, struct pc_pkt *pkt, bool rtcp)
{
	int rc;

	if (in != NULL) {
		/* The trailer the packet will have at the end, checked before the inbound side
		 * takes the packet into its replay window. */
		if (out != NULL && out->dir[PC_SRTP_OUT] != NULL && in->dir[PC_SRTP_IN] != NULL) {
			unsigned have = pc_pkt_tailroom(pkt) + in->dir[PC_SRTP_IN]->trailer[rtcp];

			if (pc_unlikely(have < out->dir[PC_SRTP_OUT]->trailer[rtcp]))
				return count_error(out, -ENOSPC);
		}
		rc = do_unprotect(in, pkt, rtcp);
		if (rc < 0)
			return rc;
	}
	if (out != NULL)
		return do_protect(out, pkt, rtcp);
	return 0;
}
