/* SPDX-License-Identifier: MIT */
/* sip_txn.c - SIP transactions (RFC 3261 17, RFC 6026); see pc_sip_txn.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_sip_hdr.h"
#include "pc_sip_txn.h"

#define DEFAULT_T1 500u
#define DEFAULT_T2 4000u
#define DEFAULT_T4 5000u
#define DEFAULT_TIMER_D 32000u
#define DEFAULT_MAX_TXNS 4096u
#define DEFAULT_TIMER_C 180000u
#define NEVER UINT64_MAX

/* Which timer guards the state (named as in RFC 3261 table 4, for the stats and tests). */
enum state_timer {
	TM_NONE,
	TM_B,
	TM_C,
	TM_D,
	TM_F,
	TM_H,
	TM_I,
	TM_J,
	TM_K,
	TM_L,
	TM_M,
	TM_ABANDON
};

struct pc_sip_txn {
	struct pc_sip_txn_layer *layer;
	enum pc_sip_txn_kind kind;
	enum pc_sip_txn_state state;
	bool reliable;
	bool live;
	unsigned status;
	void *user;

	/* Matching: the key (17.1.3 / 17.2.3, in the block of the request copy) and the hash
	 * chain. */
	char *key;
	size_t keylen;
	uint32_t hash;
	struct pc_sip_txn *hnext;

	unsigned char peer[PC_SIP_TXN_PEER_MAX];

	/* Owned copies: the request (client: retransmitted; both: for the ACK and the 100; one
	 * allocation with the key), the last response sent (server) and the ACK of a non-2xx
	 * final (client INVITE). */
	char *req;
	size_t reqlen;
	char *resp;
	size_t resplen;
	char *ack;
	size_t acklen;

	/* Timers: retransmission (A, E, G), the state's timer, the server's own 100. */
	uint64_t retx_at, retx_interval;
	uint64_t state_at;
	enum state_timer state_timer;
	uint64_t trying_at;
	uint64_t due; /* min of the three: the heap key */
	size_t heap_idx;

	struct pc_sip_txn *next_free;
};

struct pc_sip_txn_layer {
	struct pc_sip_txn_conf conf;
	struct pc_sip_txn_ops ops;
	void *ctx;

	struct pc_sip_txn *txns;
	struct pc_sip_txn *free_list;
	/* Ended during a call into the layer; freed when the outermost call returns, so that no
	 * handle a caller still holds is reused under it. */
	struct pc_sip_txn *zombies;
	unsigned depth;
	unsigned live;

	struct pc_sip_txn **buckets;
	uint32_t nbuckets; /* a power of two */

	struct pc_sip_txn **heap;
	size_t heap_len;

	struct pc_sip_txn_stats stats;
};

/* ---- small helpers ---------------------------------------------------------------------- */

static bool slice_ieq(struct pc_sip_slice s, const char *lit)
{
	size_t n = strlen(lit);

	if (s.len != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char a = s.p[i], b = lit[i];

		if (a >= 'A' && a <= 'Z')
			a = (char)(a - 'A' + 'a');
		if (b >= 'A' && b <= 'Z')
			b = (char)(b - 'A' + 'a');
		if (a != b)
			return false;
	}
	return true;
}

static uint32_t fnv1a(const char *p, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 16777619u;
	}
	return h;
}

/* Appends @n octets of @p to the key; false when it does not fit. */
static bool key_add(char *key, size_t *len, const char *p, size_t n)
{
	if (n == 0)
		return true; /* an absent slice may have a NULL pointer */
	if (n > PC_SIP_TXN_KEY_MAX - *len)
		return false;
	memcpy(key + *len, p, n);
	*len += n;
	return true;
}

static bool key_add_lower(char *key, size_t *len, const char *p, size_t n)
{
	if (n > PC_SIP_TXN_KEY_MAX - *len)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];

		key[*len + i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	*len += n;
	return true;
}

/*
 * The matching key of a message, for the client side (17.1.3: the top Via's branch and the CSeq
 * method) or the server side (17.2.3: branch, sent-by and the method, ACK counted as INVITE).
 * A server request whose branch lacks the magic cookie (an RFC 2543 peer) is keyed by what
 * 17.2.3 lists for it instead: Call-ID, CSeq number, From tag and the top Via as written
 * (Request-URI and To tag left out: the ACK of a non-2xx carries the To tag the INVITE lacked).
 * Return: 0, -EBADMSG (no usable Via), -E2BIG (key too long).
 */
static int make_key(const struct pc_sip_msg *m, bool server, char *key, size_t *keylen)
{
	struct pc_sip_via via;
	struct pc_sip_slice method = m->cseq_method;
	size_t len = 0;
	char port[8];
	int rc;

	rc = pc_sip_msg_top_via(m, &via, NULL, 0);
	if (rc < 0)
		return -EBADMSG;
	if (server && slice_ieq(method, "ACK"))
		method = (struct pc_sip_slice){ "INVITE", 6 };

	if (!server) {
		if (!via.has_branch || !pc_sip_via_is_rfc3261(&via))
			return -EBADMSG;
		if (!key_add(key, &len, "C", 1) ||
		    !key_add(key, &len, via.branch.p, via.branch.len) ||
		    !key_add(key, &len, "|", 1) || !key_add(key, &len, method.p, method.len))
			return -E2BIG;
		*keylen = len;
		return 0;
	}
	if (via.has_branch && pc_sip_via_is_rfc3261(&via)) {
		snprintf(port, sizeof(port), "%d", via.port);
		if (!key_add(key, &len, "S", 1) ||
		    !key_add(key, &len, via.branch.p, via.branch.len) ||
		    !key_add(key, &len, "|", 1) ||
		    !key_add_lower(key, &len, via.host.p, via.host.len) ||
		    !key_add(key, &len, ":", 1) || !key_add(key, &len, port, strlen(port)) ||
		    !key_add(key, &len, "|", 1) || !key_add(key, &len, method.p, method.len))
			return -E2BIG;
		*keylen = len;
		return 0;
	}
	{
		struct pc_sip_name_addr from;
		char cseq[16];
		const struct pc_sip_header *vh = pc_sip_msg_find(m, PC_SIP_HDR_VIA, NULL);

		rc = pc_sip_msg_name_addr(m, PC_SIP_HDR_FROM, &from, NULL, 0);
		if (rc < 0 || !vh)
			return -EBADMSG;
		snprintf(cseq, sizeof(cseq), "%u", (unsigned)m->cseq);
		if (!key_add(key, &len, "2", 1) ||
		    !key_add(key, &len, m->call_id.p, m->call_id.len) ||
		    !key_add(key, &len, "|", 1) || !key_add(key, &len, cseq, strlen(cseq)) ||
		    !key_add(key, &len, "|", 1) || !key_add(key, &len, from.tag.p, from.tag.len) ||
		    !key_add(key, &len, "|", 1) ||
		    !key_add(key, &len, vh->value.p, vh->value.len) ||
		    !key_add(key, &len, "|", 1) || !key_add(key, &len, method.p, method.len))
			return -E2BIG;
	}
	*keylen = len;
	return 0;
}

/* ---- hash table ------------------------------------------------------------------------- */

static struct pc_sip_txn *lookup(const struct pc_sip_txn_layer *l, const char *key, size_t len)
{
	uint32_t h = fnv1a(key, len);

	for (struct pc_sip_txn *t = l->buckets[h & (l->nbuckets - 1)]; t; t = t->hnext)
		if (t->hash == h && t->keylen == len && memcmp(t->key, key, len) == 0)
			return t;
	return NULL;
}

static void hash_insert(struct pc_sip_txn_layer *l, struct pc_sip_txn *t)
{
	struct pc_sip_txn **b;

	t->hash = fnv1a(t->key, t->keylen);
	b = &l->buckets[t->hash & (l->nbuckets - 1)];
	t->hnext = *b;
	*b = t;
}

static void hash_remove(struct pc_sip_txn_layer *l, struct pc_sip_txn *t)
{
	for (struct pc_sip_txn **pp = &l->buckets[t->hash & (l->nbuckets - 1)]; *pp;
	     pp = &(*pp)->hnext) {
		if (*pp == t) {
			*pp = t->hnext;
			t->hnext = NULL;
			return;
		}
	}
}

/* ---- timer heap (min-heap on txn->due) ----------------------------------------------------- */

static void heap_swap(struct pc_sip_txn_layer *l, size_t a, size_t b)
{
	struct pc_sip_txn *t = l->heap[a];

	l->heap[a] = l->heap[b];
	l->heap[b] = t;
	l->heap[a]->heap_idx = a;
	l->heap[b]->heap_idx = b;
}

static void heap_up(struct pc_sip_txn_layer *l, size_t i)
{
	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (l->heap[parent]->due <= l->heap[i]->due)
			break;
		heap_swap(l, i, parent);
		i = parent;
	}
}

static void heap_down(struct pc_sip_txn_layer *l, size_t i)
{
	for (;;) {
		size_t left = 2 * i + 1, right = left + 1, m = i;

		if (left < l->heap_len && l->heap[left]->due < l->heap[m]->due)
			m = left;
		if (right < l->heap_len && l->heap[right]->due < l->heap[m]->due)
			m = right;
		if (m == i)
			return;
		heap_swap(l, i, m);
		i = m;
	}
}

static void heap_remove(struct pc_sip_txn_layer *l, struct pc_sip_txn *t)
{
	size_t i = t->heap_idx;

	if (i == SIZE_MAX)
		return;
	l->heap_len--;
	if (i != l->heap_len) {
		l->heap[i] = l->heap[l->heap_len];
		l->heap[i]->heap_idx = i;
		heap_down(l, i);
		heap_up(l, i);
	}
	t->heap_idx = SIZE_MAX;
}

/* Recomputes t->due from its timers and places it in the heap (or out of it). */
static void reschedule(struct pc_sip_txn *t)
{
	struct pc_sip_txn_layer *l = t->layer;
	uint64_t due = t->retx_at;

	if (t->state_at < due)
		due = t->state_at;
	if (t->trying_at < due)
		due = t->trying_at;
	t->due = due;
	if (due == NEVER) {
		heap_remove(l, t);
		return;
	}
	if (t->heap_idx == SIZE_MAX) {
		t->heap_idx = l->heap_len;
		l->heap[l->heap_len++] = t;
		heap_up(l, t->heap_idx);
		return;
	}
	heap_down(l, t->heap_idx);
	heap_up(l, t->heap_idx);
}

/* ---- life cycle ------------------------------------------------------------------------- */

static void enter(struct pc_sip_txn_layer *l)
{
	l->depth++;
}

static void release(struct pc_sip_txn *t)
{
	free(t->key); /* the request copy lives in the same block */
	free(t->resp);
	free(t->ack);
	t->key = t->req = t->resp = t->ack = NULL;
	t->reqlen = t->resplen = t->acklen = 0;
}

static void leave(struct pc_sip_txn_layer *l)
{
	if (--l->depth > 0)
		return;
	while (l->zombies) {
		struct pc_sip_txn *t = l->zombies;

		l->zombies = t->next_free;
		release(t);
		t->next_free = l->free_list;
		l->free_list = t;
	}
}

static void terminate(struct pc_sip_txn *t, enum pc_sip_txn_end why)
{
	struct pc_sip_txn_layer *l = t->layer;

	if (!t->live)
		return;
	t->live = false;
	t->state = PC_SIP_TXN_TERMINATED;
	hash_remove(l, t);
	heap_remove(l, t);
	l->live--;
	l->stats.terminated++;
	if (why == PC_SIP_TXN_END_TIMEOUT)
		l->stats.timeouts++;
	if (why == PC_SIP_TXN_END_TRANSPORT)
		l->stats.transport_errors++;
	t->next_free = l->zombies;
	l->zombies = t;
	if (l->ops.on_terminated)
		l->ops.on_terminated(l->ctx, t, t->user, why);
}

/* A transaction for the request @buf/@len (copied, with its key, in one allocation). NULL with
 * *@err -ENOSPC (max_txns live) or -ENOMEM. */
static struct pc_sip_txn *txn_new(struct pc_sip_txn_layer *l, enum pc_sip_txn_kind kind,
				  const char *key, size_t keylen, const void *peer, bool reliable,
				  const void *buf, size_t len, int *err)
{
	struct pc_sip_txn *t = l->free_list;
	char *mem;

	*err = -ENOSPC;
	if (!t)
		return NULL;
	*err = -ENOMEM;
	mem = malloc(keylen + len + 1);
	if (!mem)
		return NULL;
	l->free_list = t->next_free;
	t->key = mem;
	t->req = mem + keylen;
	memcpy(t->req, buf, len);
	t->reqlen = len;
	t->next_free = NULL;
	t->layer = l;
	t->kind = kind;
	t->state = PC_SIP_TXN_TRYING;
	t->reliable = reliable;
	t->live = true;
	t->status = 0;
	t->user = NULL;
	memcpy(t->key, key, keylen);
	t->keylen = keylen;
	memcpy(t->peer, peer, l->conf.peer_size);
	t->retx_at = t->state_at = t->trying_at = t->due = NEVER;
	t->retx_interval = 0;
	t->state_timer = TM_NONE;
	t->heap_idx = SIZE_MAX;
	hash_insert(l, t);
	l->live++;
	l->stats.created++;
	return t;
}

static char *dup_bytes(const void *p, size_t n)
{
	char *d = malloc(n ? n : 1);

	if (d)
		memcpy(d, p, n);
	return d;
}

/* Sends through the transport; a failure ends @t with END_TRANSPORT. */
static int txn_send(struct pc_sip_txn *t, const void *buf, size_t len)
{
	struct pc_sip_txn_layer *l = t->layer;
	int rc = l->ops.send(l->ctx, t->peer, buf, len);

	if (rc < 0)
		terminate(t, PC_SIP_TXN_END_TRANSPORT);
	return rc < 0 ? rc : 0;
}

static uint64_t t1(const struct pc_sip_txn_layer *l)
{
	return l->conf.t1_ms;
}

/* Sets the state's timer; a zero duration (reliable transports) ends the transaction now. */
static void set_state_timer(struct pc_sip_txn *t, enum state_timer which, uint64_t after,
			    uint64_t now)
{
	t->state_timer = which;
	t->state_at = now + after;
	if (after == 0) {
		terminate(t, PC_SIP_TXN_END_NORMAL);
		return;
	}
	reschedule(t);
}

/* ---- building the ACK of a non-2xx and the 100 Trying ---------------------------------------- */

struct out {
	char *p;
	size_t len, cap;
	bool overflow;
};

static void out_add(struct out *o, const char *p, size_t n)
{
	if (o->overflow || n > o->cap - o->len) {
		o->overflow = true;
		return;
	}
	memcpy(o->p + o->len, p, n);
	o->len += n;
}

static void out_str(struct out *o, const char *s)
{
	out_add(o, s, strlen(s));
}

static void out_hdr(struct out *o, const char *name, struct pc_sip_slice v)
{
	out_str(o, name);
	out_str(o, ": ");
	out_add(o, v.p, v.len);
	out_str(o, "\r\n");
}

/*
 * RFC 3261 17.1.1.3: the ACK of a non-2xx final response: the INVITE's Request-URI, its top Via
 * only, its Route headers, From, Call-ID and CSeq number, the To of the response (with the tag).
 */
static int build_ack(struct pc_sip_txn *t, const struct pc_sip_msg *resp)
{
	struct pc_sip_msg req;
	struct pc_sip_hdr_iter it;
	struct pc_sip_slice top_via;
	const struct pc_sip_header *h;
	struct out o;
	char num[16];
	int rc;

	rc = pc_sip_msg_parse(&req, t->req, t->reqlen, NULL, 0);
	if (rc < 0)
		return rc;
	pc_sip_hdr_iter_init(&it, &req, PC_SIP_HDR_VIA);
	if (pc_sip_hdr_iter_next(&it, &top_via, NULL, 0) != 1)
		return -EBADMSG;
	o.cap = t->reqlen + resp->to.len + 64;
	o.p = malloc(o.cap);
	o.len = 0;
	o.overflow = false;
	if (!o.p)
		return -ENOMEM;
	out_str(&o, "ACK ");
	out_add(&o, req.uri.p, req.uri.len);
	out_str(&o, " SIP/2.0\r\n");
	out_hdr(&o, "Via", top_via);
	for (h = pc_sip_msg_find(&req, PC_SIP_HDR_ROUTE, NULL); h;
	     h = pc_sip_msg_find(&req, PC_SIP_HDR_ROUTE, h))
		out_hdr(&o, "Route", h->value);
	out_str(&o, "Max-Forwards: 70\r\n");
	out_hdr(&o, "From", req.from);
	out_hdr(&o, "To", resp->to);
	out_hdr(&o, "Call-ID", req.call_id);
	snprintf(num, sizeof(num), "%u", (unsigned)req.cseq);
	out_str(&o, "CSeq: ");
	out_str(&o, num);
	out_str(&o, " ACK\r\nContent-Length: 0\r\n\r\n");
	if (o.overflow) {
		free(o.p);
		return -E2BIG;
	}
	free(t->ack);
	t->ack = o.p;
	t->acklen = o.len;
	return 0;
}

/* RFC 3261 8.2.6: a 100 Trying copies Via (all, in order), From, To, Call-ID, CSeq and a
 * Timestamp, adds no To tag. */
static int build_trying(const struct pc_sip_txn *t, char **out, size_t *outlen)
{
	struct pc_sip_msg req;
	struct out o;
	int rc;

	rc = pc_sip_msg_parse(&req, t->req, t->reqlen, NULL, 0);
	if (rc < 0)
		return rc;
	o.cap = t->reqlen + 64;
	o.p = malloc(o.cap);
	o.len = 0;
	o.overflow = false;
	if (!o.p)
		return -ENOMEM;
	out_str(&o, "SIP/2.0 100 Trying\r\n");
	for (unsigned i = 0; i < req.nheaders; i++) {
		const struct pc_sip_header *h = &req.headers[i];

		switch (h->id) {
		case PC_SIP_HDR_VIA:
		case PC_SIP_HDR_FROM:
		case PC_SIP_HDR_TO:
		case PC_SIP_HDR_CALL_ID:
		case PC_SIP_HDR_CSEQ:
			out_hdr(&o, pc_sip_hdr_name(h->id), h->value);
			break;
		case PC_SIP_HDR_OTHER:
			if (slice_ieq(h->name, "Timestamp"))
				out_hdr(&o, "Timestamp", h->value);
			break;
		default:
			break;
		}
	}
	out_str(&o, "Content-Length: 0\r\n\r\n");
	if (o.overflow) {
		free(o.p);
		return -E2BIG;
	}
	*out = o.p;
	*outlen = o.len;
	return 0;
}

/* ---- the layer -------------------------------------------------------------------------- */

int pc_sip_txn_layer_create(struct pc_sip_txn_layer **out, const struct pc_sip_txn_conf *conf,
			    const struct pc_sip_txn_ops *ops, void *ctx)
{
	struct pc_sip_txn_layer *l;
	uint32_t nb = 16;

	if (!out || !conf || !ops || !ops->send || !ops->on_request || !ops->on_response)
		return -EINVAL;
	if (conf->peer_size == 0 || conf->peer_size > PC_SIP_TXN_PEER_MAX)
		return -EINVAL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->conf = *conf;
	if (!l->conf.t1_ms)
		l->conf.t1_ms = DEFAULT_T1;
	if (!l->conf.t2_ms)
		l->conf.t2_ms = DEFAULT_T2;
	if (!l->conf.t4_ms)
		l->conf.t4_ms = DEFAULT_T4;
	if (!l->conf.timer_d_ms)
		l->conf.timer_d_ms = DEFAULT_TIMER_D;
	if (!l->conf.max_txns)
		l->conf.max_txns = DEFAULT_MAX_TXNS;
	if (!l->conf.timer_c_ms)
		l->conf.timer_c_ms = DEFAULT_TIMER_C;
	if (l->conf.t1_ms > l->conf.t2_ms || l->conf.max_txns > (1u << 24))
		goto out_inval;
	l->ops = *ops;
	l->ctx = ctx;
	while (nb < 2 * l->conf.max_txns)
		nb *= 2;
	l->nbuckets = nb;
	l->txns = calloc(l->conf.max_txns, sizeof(*l->txns));
	l->buckets = calloc(nb, sizeof(*l->buckets));
	l->heap = calloc(l->conf.max_txns, sizeof(*l->heap));
	if (!l->txns || !l->buckets || !l->heap)
		goto out_nomem;
	for (unsigned i = l->conf.max_txns; i-- > 0;) {
		l->txns[i].heap_idx = SIZE_MAX;
		l->txns[i].next_free = l->free_list;
		l->free_list = &l->txns[i];
	}
	*out = l;
	return 0;

out_nomem:
	free(l->txns);
	free(l->buckets);
	free(l->heap);
	free(l);
	return -ENOMEM;
out_inval:
	free(l);
	return -EINVAL;
}

void pc_sip_txn_layer_destroy(struct pc_sip_txn_layer *l)
{
	if (!l)
		return;
	enter(l);
	for (unsigned i = 0; i < l->conf.max_txns; i++)
		if (l->txns[i].live)
			terminate(&l->txns[i], PC_SIP_TXN_END_ABORTED);
	leave(l);
	for (unsigned i = 0; i < l->conf.max_txns; i++)
		release(&l->txns[i]);
	free(l->txns);
	free(l->buckets);
	free(l->heap);
	free(l);
}

/* ---- client side ------------------------------------------------------------------------ */

int pc_sip_txn_client_start(struct pc_sip_txn_layer *l, struct pc_sip_txn **out, const void *buf,
			    size_t len, const void *peer, bool reliable, void *user, uint64_t now)
{
	struct pc_sip_msg m;
	struct pc_sip_txn *t;
	char key[PC_SIP_TXN_KEY_MAX];
	size_t keylen;
	bool invite;
	int rc;

	if (!l || !buf || !peer)
		return -EINVAL;
	rc = pc_sip_msg_parse(&m, buf, len, NULL, 0);
	if (rc < 0)
		return -EBADMSG;
	if (!m.is_request || slice_ieq(m.method, "ACK"))
		return -EINVAL;
	rc = make_key(&m, false, key, &keylen);
	if (rc < 0)
		return rc == -E2BIG ? -EBADMSG : rc;
	if (lookup(l, key, keylen))
		return -EEXIST;
	invite = slice_ieq(m.method, "INVITE");

	enter(l);
	t = txn_new(l, invite ? PC_SIP_TXN_CLIENT_INVITE : PC_SIP_TXN_CLIENT_NON_INVITE, key,
		    keylen, peer, reliable, buf, len, &rc);
	if (!t)
		goto out;
	t->user = user;
	t->state = invite ? PC_SIP_TXN_CALLING : PC_SIP_TXN_TRYING;
	/* 17.1.1.2 / 17.1.2.2: Timer A or E at T1 on unreliable transports; B or F at 64*T1. */
	if (!reliable) {
		t->retx_interval = t1(l);
		t->retx_at = now + t->retx_interval;
	}
	t->state_timer = invite ? TM_B : TM_F;
	t->state_at = now + 64 * t1(l);
	reschedule(t);
	rc = txn_send(t, buf, len);
	if (rc == 0 && out)
		*out = t;
out:
	leave(l);
	return rc;
}

static void client_response(struct pc_sip_txn *t, const struct pc_sip_msg *m, const void *buf,
			    size_t len, uint64_t now)
{
	struct pc_sip_txn_layer *l = t->layer;
	unsigned code = m->status;

	if (t->kind == PC_SIP_TXN_CLIENT_INVITE) {
		switch (t->state) {
		case PC_SIP_TXN_CALLING:
		case PC_SIP_TXN_PROCEEDING:
			t->status = code;
			if (code < 200) {
				/* 17.1.1.2: no more retransmissions once a provisional came;
				 * Timer B guards Calling only. */
				t->state = PC_SIP_TXN_PROCEEDING;
				t->retx_at = NEVER;
				/* Timer B guards Calling only; in Proceeding a safety timer (Timer
				 * C of RFC 3261 16.6, restarted by every provisional) ends a
				 * transaction whose final never comes, unless abandoned sooner. */
				if (t->state_timer != TM_ABANDON) {
					t->state_timer = TM_C;
					t->state_at = now + l->conf.timer_c_ms;
				}
				reschedule(t);
				l->ops.on_response(l->ctx, t, t->user, m, buf, len);
				return;
			}
			t->retx_at = NEVER;
			if (code < 300) {
				/* RFC 6026 7.2: Accepted, Timer M; 2xx retransmissions go up. */
				t->state = PC_SIP_TXN_ACCEPTED;
				l->ops.on_response(l->ctx, t, t->user, m, buf, len);
				if (t->live)
					set_state_timer(t, TM_M, 64 * t1(l), now);
				return;
			}
			t->state = PC_SIP_TXN_COMPLETED;
			if (build_ack(t, m) == 0) {
				l->stats.acks_sent++;
				if (txn_send(t, t->ack, t->acklen) < 0)
					return;
			}
			l->ops.on_response(l->ctx, t, t->user, m, buf, len);
			if (t->live)
				set_state_timer(t, TM_D, t->reliable ? 0 : l->conf.timer_d_ms, now);
			return;
		case PC_SIP_TXN_ACCEPTED:
			if (code >= 200 && code < 300) {
				l->ops.on_response(l->ctx, t, t->user, m, buf, len);
				return;
			}
			l->stats.absorbed++;
			return;
		case PC_SIP_TXN_COMPLETED:
			/* 17.1.1.2: a retransmitted final: ACK again, not passed up. */
			l->stats.absorbed++;
			if (code >= 300 && t->ack) {
				l->stats.acks_sent++;
				txn_send(t, t->ack, t->acklen);
			}
			return;
		default:
			l->stats.absorbed++;
			return;
		}
	}

	/* Non-INVITE, 17.1.2.2. */
	switch (t->state) {
	case PC_SIP_TXN_TRYING:
	case PC_SIP_TXN_PROCEEDING:
		t->status = code;
		if (code < 200) {
			/* In Proceeding, Timer E keeps firing, every T2 (see fire()). */
			t->state = PC_SIP_TXN_PROCEEDING;
			l->ops.on_response(l->ctx, t, t->user, m, buf, len);
			return;
		}
		t->state = PC_SIP_TXN_COMPLETED;
		t->retx_at = NEVER;
		l->ops.on_response(l->ctx, t, t->user, m, buf, len);
		if (t->live)
			set_state_timer(t, TM_K, t->reliable ? 0 : l->conf.t4_ms, now);
		return;
	default:
		l->stats.absorbed++;
		return;
	}
}

/* ---- server side ------------------------------------------------------------------------ */

static void server_retransmitted(struct pc_sip_txn *t, const struct pc_sip_msg *m, const void *buf,
				 size_t len, uint64_t now)
{
	struct pc_sip_txn_layer *l = t->layer;
	bool ack = slice_ieq(m->method, "ACK");

	if (t->kind == PC_SIP_TXN_SERVER_INVITE && ack) {
		switch (t->state) {
		case PC_SIP_TXN_COMPLETED:
			/* 17.2.1: the ACK of our non-2xx: Confirmed, Timer I absorbs more. */
			t->state = PC_SIP_TXN_CONFIRMED;
			t->retx_at = NEVER;
			set_state_timer(t, TM_I, t->reliable ? 0 : l->conf.t4_ms, now);
			return;
		case PC_SIP_TXN_ACCEPTED:
			/* An ACK of our 2xx that shares the INVITE's branch (an RFC 2543 peer):
			 * it belongs to the dialog. */
			l->ops.on_request(l->ctx, NULL, m, buf, len, t->peer);
			return;
		default:
			l->stats.absorbed++;
			return;
		}
	}
	if (ack) {
		l->stats.absorbed++;
		return;
	}
	/* A retransmitted request: resend the last response, if any (17.2.1, 17.2.2); in
	 * Accepted the TU retransmits its 2xx itself (RFC 6026 8.5). */
	l->stats.absorbed++;
	if (t->resp && t->state != PC_SIP_TXN_ACCEPTED && t->state != PC_SIP_TXN_CONFIRMED) {
		l->stats.retransmits++;
		txn_send(t, t->resp, t->resplen);
	}
}

int pc_sip_txn_respond(struct pc_sip_txn *t, const void *buf, size_t len, uint64_t now)
{
	struct pc_sip_txn_layer *l;
	struct pc_sip_msg m;
	char *copy;
	unsigned code;
	int rc;

	if (!t || !buf)
		return -EINVAL;
	if (!t->live)
		return -ESRCH;
	l = t->layer;
	if (t->kind != PC_SIP_TXN_SERVER_INVITE && t->kind != PC_SIP_TXN_SERVER_NON_INVITE)
		return -EINVAL;
	rc = pc_sip_msg_parse(&m, buf, len, NULL, 0);
	if (rc < 0 || m.is_request)
		return -EBADMSG;
	code = m.status;
	switch (t->state) {
	case PC_SIP_TXN_TRYING:
	case PC_SIP_TXN_PROCEEDING:
		break;
	case PC_SIP_TXN_ACCEPTED:
		if (code >= 200 && code < 300)
			break; /* the TU retransmitting its 2xx (RFC 6026 8.5) */
		return -EPROTO;
	default:
		return -EPROTO;
	}

	copy = dup_bytes(buf, len);
	if (!copy)
		return -ENOMEM;
	enter(l);
	free(t->resp);
	t->resp = copy;
	t->resplen = len;
	t->status = code;
	t->trying_at = NEVER;
	rc = txn_send(t, buf, len);
	if (rc < 0 || !t->live)
		goto out;

	if (code < 200) {
		t->state = PC_SIP_TXN_PROCEEDING;
		reschedule(t);
	} else if (t->kind == PC_SIP_TXN_SERVER_INVITE) {
		if (code < 300) {
			if (t->state != PC_SIP_TXN_ACCEPTED) {
				t->state = PC_SIP_TXN_ACCEPTED;
				set_state_timer(t, TM_L, 64 * t1(l), now);
			}
		} else {
			/* 17.2.1: Completed; Timer G retransmits (unreliable), H waits the ACK. */
			t->state = PC_SIP_TXN_COMPLETED;
			if (!t->reliable) {
				t->retx_interval = t1(l);
				t->retx_at = now + t->retx_interval;
			}
			set_state_timer(t, TM_H, 64 * t1(l), now);
		}
	} else {
		t->state = PC_SIP_TXN_COMPLETED;
		set_state_timer(t, TM_J, t->reliable ? 0 : 64 * t1(l), now);
	}
out:
	leave(l);
	return rc;
}

static int server_request(struct pc_sip_txn_layer *l, const struct pc_sip_msg *m, const char *key,
			  size_t keylen, const void *buf, size_t len, const void *peer,
			  bool reliable, uint64_t now)
{
	bool invite = slice_ieq(m->method, "INVITE");
	struct pc_sip_txn *t;
	int rc;

	if (slice_ieq(m->method, "ACK")) {
		/* No transaction: the ACK of a 2xx, for the dialog (17.2.3, RFC 6026). */
		l->ops.on_request(l->ctx, NULL, m, buf, len, peer);
		return 0;
	}
	t = txn_new(l, invite ? PC_SIP_TXN_SERVER_INVITE : PC_SIP_TXN_SERVER_NON_INVITE, key,
		    keylen, peer, reliable, buf, len, &rc);
	if (!t) {
		l->stats.dropped++;
		return rc;
	}
	t->state = invite ? PC_SIP_TXN_PROCEEDING : PC_SIP_TXN_TRYING;
	if (invite) {
		if (l->conf.trying_after_ms == 0) {
			char *trying;
			size_t tlen;

			if (build_trying(t, &trying, &tlen) == 0) {
				l->stats.trying_sent++;
				t->resp = trying;
				t->resplen = tlen;
				t->status = 100;
				if (txn_send(t, trying, tlen) < 0)
					return 0;
			}
		} else {
			t->trying_at = now + l->conf.trying_after_ms;
			reschedule(t);
		}
	}
	l->ops.on_request(l->ctx, t, m, buf, len, peer);
	return 0;
}

int pc_sip_txn_receive(struct pc_sip_txn_layer *l, const void *buf, size_t len, const void *peer,
		       bool reliable, uint64_t now)
{
	struct pc_sip_msg m;

	if (!l || !buf || !peer)
		return -EINVAL;
	if (pc_sip_msg_parse(&m, buf, len, NULL, 0) < 0) {
		l->stats.dropped++;
		return -EBADMSG;
	}
	return pc_sip_txn_receive_msg(l, &m, buf, len, peer, reliable, now);
}

int pc_sip_txn_receive_msg(struct pc_sip_txn_layer *l, const struct pc_sip_msg *m, const void *buf,
			   size_t len, const void *peer, bool reliable, uint64_t now)
{
	struct pc_sip_txn *t;
	char key[PC_SIP_TXN_KEY_MAX];
	size_t keylen;
	int rc;

	if (!l || !m || !buf || !peer)
		return -EINVAL;
	rc = make_key(m, m->is_request, key, &keylen);
	enter(l);
	if (!m->is_request) {
		t = rc == 0 ? lookup(l, key, keylen) : NULL;
		if (t) {
			client_response(t, m, buf, len, now);
		} else {
			/* 17.1.3: no match: to the core (a 2xx retransmission after Timer M). */
			l->stats.stray_responses++;
			l->ops.on_response(l->ctx, NULL, NULL, m, buf, len);
		}
		rc = 0;
		goto out;
	}
	if (rc < 0) {
		l->stats.dropped++;
		rc = -EBADMSG;
		goto out;
	}
	t = lookup(l, key, keylen);
	if (t)
		server_retransmitted(t, m, buf, len, now);
	else
		rc = server_request(l, m, key, keylen, buf, len, peer, reliable, now);
out:
	leave(l);
	return rc;
}

/* ---- timers ----------------------------------------------------------------------------- */

static void fire(struct pc_sip_txn *t, uint64_t now)
{
	struct pc_sip_txn_layer *l = t->layer;

	if (t->trying_at <= now) {
		char *trying;
		size_t tlen;

		t->trying_at = NEVER;
		reschedule(t);
		if (!t->resp && build_trying(t, &trying, &tlen) == 0) {
			l->stats.trying_sent++;
			t->resp = trying;
			t->resplen = tlen;
			t->status = 100;
			if (txn_send(t, trying, tlen) < 0)
				return;
		}
	}
	if (t->retx_at <= now) {
		/* A and E double (E and G capped at T2, 17.1.2.2 / 17.2.1); in Proceeding a
		 * non-INVITE request repeats every T2. */
		bool cap = t->kind != PC_SIP_TXN_CLIENT_INVITE;
		uint64_t next = t->retx_interval * 2;

		if (t->kind == PC_SIP_TXN_CLIENT_NON_INVITE && t->state == PC_SIP_TXN_PROCEEDING)
			next = l->conf.t2_ms;
		if (cap && next > l->conf.t2_ms)
			next = l->conf.t2_ms;
		t->retx_interval = next;
		t->retx_at = now + next;
		reschedule(t);
		l->stats.retransmits++;
		if (t->kind == PC_SIP_TXN_SERVER_INVITE) {
			if (txn_send(t, t->resp, t->resplen) < 0)
				return;
		} else if (txn_send(t, t->req, t->reqlen) < 0) {
			return;
		}
	}
	if (t->state_at <= now) {
		enum state_timer which = t->state_timer;

		t->state_at = NEVER;
		switch (which) {
		case TM_B:	 /* no final response to the INVITE */
		case TM_C:	 /* no final response after the provisional (safety) */
		case TM_ABANDON: /* 9.1: no final 64*T1 after the CANCEL */
		case TM_F:	 /* nor to the non-INVITE */
		case TM_H:	 /* no ACK for our non-2xx final */
			terminate(t, PC_SIP_TXN_END_TIMEOUT);
			break;
		default: /* D, I, J, K, L, M: the absorbing state is over */
			terminate(t, PC_SIP_TXN_END_NORMAL);
			break;
		}
	}
}

unsigned pc_sip_txn_tick(struct pc_sip_txn_layer *l, uint64_t now)
{
	unsigned fired = 0;

	if (!l)
		return 0;
	enter(l);
	while (l->heap_len > 0 && l->heap[0]->due <= now) {
		struct pc_sip_txn *t = l->heap[0];

		fire(t, now);
		fired++;
		/* A timer that rescheduled in the past would loop forever; every branch of
		 * fire() moves due past now or removes the entry. */
	}
	leave(l);
	return fired;
}

uint64_t pc_sip_txn_next_due(const struct pc_sip_txn_layer *l)
{
	if (!l || l->heap_len == 0)
		return NEVER;
	return l->heap[0]->due;
}

/* ---- the rest --------------------------------------------------------------------------- */

struct pc_sip_txn *pc_sip_txn_find_cancelled(struct pc_sip_txn_layer *l,
					     const struct pc_sip_msg *msg)
{
	struct pc_sip_msg inv;
	char key[PC_SIP_TXN_KEY_MAX];
	size_t keylen;

	if (!l || !msg || !msg->is_request || !slice_ieq(msg->method, "CANCEL"))
		return NULL;
	/* 9.2: the key of the INVITE the CANCEL names: the same Via, method INVITE. */
	inv = *msg;
	inv.method = (struct pc_sip_slice){ "INVITE", 6 };
	inv.cseq_method = inv.method;
	if (make_key(&inv, true, key, &keylen) < 0)
		return NULL;
	struct pc_sip_txn *t = lookup(l, key, keylen);

	return t && t->kind == PC_SIP_TXN_SERVER_INVITE ? t : NULL;
}

int pc_sip_txn_abandon(struct pc_sip_txn *t, uint64_t now)
{
	uint64_t at;

	if (!t || !t->live)
		return -ESRCH;
	if (t->kind != PC_SIP_TXN_CLIENT_INVITE ||
	    (t->state != PC_SIP_TXN_CALLING && t->state != PC_SIP_TXN_PROCEEDING))
		return -EPROTO;
	at = now + 64 * t1(t->layer);
	if (t->state_at > at || t->state_timer == TM_C) {
		t->state_timer = TM_ABANDON;
		t->state_at = at;
		reschedule(t);
	}
	return 0;
}

unsigned pc_sip_txn_fail_peer(struct pc_sip_txn_layer *l,
			      bool (*match)(const void *peer, void *arg), void *arg)
{
	unsigned n = 0;

	if (!l || !match)
		return 0;
	enter(l);
	for (unsigned i = 0; i < l->conf.max_txns; i++) {
		struct pc_sip_txn *t = &l->txns[i];

		if (t->live && match(t->peer, arg)) {
			terminate(t, PC_SIP_TXN_END_TRANSPORT);
			n++;
		}
	}
	leave(l);
	return n;
}

void pc_sip_txn_transport_error(struct pc_sip_txn *t)
{
	if (!t || !t->live)
		return;
	enter(t->layer);
	terminate(t, PC_SIP_TXN_END_TRANSPORT);
	leave(t->layer);
}

enum pc_sip_txn_kind pc_sip_txn_kind(const struct pc_sip_txn *t)
{
	return t->kind;
}

enum pc_sip_txn_state pc_sip_txn_state(const struct pc_sip_txn *t)
{
	return t->state;
}

unsigned pc_sip_txn_status(const struct pc_sip_txn *t)
{
	return t->status;
}

void *pc_sip_txn_user(const struct pc_sip_txn *t)
{
	return t->user;
}

void pc_sip_txn_set_user(struct pc_sip_txn *t, void *user)
{
	t->user = user;
}

const void *pc_sip_txn_request(const struct pc_sip_txn *t, size_t *len)
{
	if (len)
		*len = t->reqlen;
	return t->req;
}

unsigned pc_sip_txn_count(const struct pc_sip_txn_layer *l)
{
	return l ? l->live : 0;
}

const char *pc_sip_txn_state_name(enum pc_sip_txn_state s)
{
	static const char *const names[] = {
		[PC_SIP_TXN_CALLING] = "Calling",	[PC_SIP_TXN_TRYING] = "Trying",
		[PC_SIP_TXN_PROCEEDING] = "Proceeding", [PC_SIP_TXN_ACCEPTED] = "Accepted",
		[PC_SIP_TXN_COMPLETED] = "Completed",	[PC_SIP_TXN_CONFIRMED] = "Confirmed",
		[PC_SIP_TXN_TERMINATED] = "Terminated",
	};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

void pc_sip_txn_stats(const struct pc_sip_txn_layer *l, struct pc_sip_txn_stats *out)
{
	if (l && out)
		*out = l->stats;
}
