/* SPDX-License-Identifier: MIT */
/* sip_ua.c - the SIP user agent core (see pc_sip_ua.h): accounts, calls and their dialogs, SDP
 * offer/answer per call, hold, transfer, forward, session timers. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pc_sdp.h"
#include "pc_sip_auth.h"
#include "pc_sip_hdr.h"
#include "pc_sip_msg.h"
#include "pc_sip_print.h"
#include "pc_sip_transport.h"
#include "pc_sip_txn.h"
#include "pc_sip_ua.h"

#define UA_MSG_MAX 16384
/* Requests larger than this get 513: every answer must fit UA_MSG_MAX (it copies the Vias). */
#define UA_REQ_MAX 8192
#define UA_TAG 24
#define UA_CALLID 256
#define UA_MAX_ROUTES 16
/* A dialog's URIs (RFC 4475's long request has a 560-octet From) and route entries. */
#define UA_URI 1024
#define UA_ROUTE 512
#define NEVER UINT64_MAX
#define UA_ALLOW "INVITE, ACK, BYE, CANCEL, OPTIONS, REFER, NOTIFY, UPDATE, INFO"
#define UA_SUPPORTED "replaces, timer"

struct ua_peer {
	enum pc_sip_tp tp;
	uint32_t conn;
	union pc_sip_addr addr;
};

/* A dialog, or the dialog-like state of a registration (RFC 3261 12). */
struct dlg {
	char call_id[UA_CALLID];
	char ltag[UA_TAG];
	char rtag[256];
	uint32_t lcseq;
	uint32_t rcseq;
	bool rcseq_set;
	char luri[UA_URI];   /* our URI (From of our requests) */
	char ruri[UA_URI];   /* the remote party's URI (To of our requests) */
	char target[UA_URI]; /* remote target: Request-URI of in-dialog requests */
	unsigned nroutes;
	char routes[UA_MAX_ROUTES][UA_ROUTE]; /* route set, name-addr text, in order */
	bool confirmed;
};

enum req_kind {
	RK_REGISTER,
	RK_INVITE,
	RK_REINVITE,
	RK_BYE,
	RK_CANCEL,
	RK_REFER,
	RK_NOTIFY,
	RK_OPTIONS, /* keep-alive */
};

/* What a client transaction was for (its user pointer). */
struct uac_req {
	bool used;
	enum req_kind kind;
	unsigned call; /* call number, 0 for a registration */
	unsigned acct; /* 0-based */
	bool had_creds;
	unsigned auth_tries;
	bool hold; /* RK_REINVITE: a hold (true) or resume/refresh */
	bool refresh;
};

enum call_state {
	CS_FREE = 0,
	CS_CALLING,
	CS_RINGING,
	CS_INCOMING,
	CS_ACTIVE,
	CS_ENDING,
};

struct call {
	enum call_state state;
	unsigned num;
	/* Lookup chains: by number, and by Call-ID once it has one. */
	struct call *num_next;
	struct call *cid_next;
	uint32_t cid_hash;
	bool cid_linked;
	struct call *free_next;
	unsigned acct;
	bool outgoing;
	struct dlg d;
	char peer[UA_URI];

	/* The INVITE transaction: client (ours) or server (theirs). */
	struct pc_sip_txn *inv_ctx; /* client INVITE transaction while pending */
	struct pc_sip_txn *inv_stx; /* server INVITE transaction while not final */
	char *inv_req;		    /* our last INVITE (for CANCEL), owned */
	size_t inv_req_len;
	bool got_provisional;
	bool cancel_pending;
	bool reinvite_pending; /* a re-INVITE of ours waits for its final */
	bool inv_has_offer;    /* the INVITE received carried an offer */
	bool offer_in_2xx;     /* our 2xx carried an offer: the answer comes in the ACK */

	/* UAS 2xx retransmission (RFC 3261 13.3.1.4) until the ACK. */
	bool bye_after_ack; /* hung up before the ACK came: BYE when it does (15) */
	char *ok_msg;
	size_t ok_len;
	struct ua_peer ok_peer;
	uint64_t ok_retx_at, ok_interval, ok_giveup_at;
	uint32_t ok_cseq;

	/* Our ACK of the 2xx (resent when the 2xx comes again). */
	char *ack_msg;
	size_t ack_len;

	/* Media. */
	struct pc_sdp_caps caps;
	uint16_t rtp_taken[PC_SDP_MEDIA__COUNT]; /* our RTP ports, given back when the call ends */
	struct pc_sdp_neg *neg;
	bool local_hold, remote_hold;
	bool sdp_started;

	/* Timers. */
	uint64_t answer_at;   /* auto-answer */
	uint64_t noanswer_at; /* no-answer forward */
	uint64_t se_refresh_at, se_expire_at;
	uint32_t se_secs;
	uint32_t se_min; /* Min-SE a 422 asked for */
	bool se_we_refresh;
	uint64_t glare_at;
	bool glare_hold, glare_refresh;
	uint64_t end_at; /* slot free after ENDING without an answer */

	/* Transfer. */
	unsigned refer_parent;	/* we were REFERed: report to this call's dialog */
	bool refer_sent;	/* we sent a REFER on this call */
	bool notify_active;	/* we owe the referrer NOTIFYs */
	unsigned replaces_call; /* INVITE with Replaces: the call to end when answered */
	char replaces_hdr[512]; /* Replaces header to put in our INVITE */
	unsigned redirects;
};

struct acct {
	struct pc_sip_ua_account_conf c;
	struct dlg reg;
	bool registered, reg_pending;
	uint64_t reg_at; /* next REGISTER (refresh or retry) */
	uint32_t expires;
	struct ua_peer proxy;
	bool proxy_ok;
	char aor_host[160]; /* host of our URIs: the domain, or our own address without one */
	/* The last challenge our REGISTER answered: refreshes reuse its nonce with the next nc
	 * (RFC 7616 3.4.5) instead of drawing a 401 every time. */
	char chal[1024];
	size_t chal_len;
	bool chal_proxy;
};

struct pc_sip_ua {
	struct pc_sip_ua_conf conf;
	struct pc_sip_transport *tp;
	struct pc_sip_txn_layer *txn;
	struct pc_sip_auth_client *auth;
	uint16_t port;
	uint16_t tls_port; /* 0: no TLS listener */
	struct acct acct[PC_SIP_UA_MAX_ACCOUNTS];
	struct call *calls;
	unsigned ncalls;
	struct call *free_calls; /* free slots (a stack) */
	unsigned nlive;		 /* slots in use */
	struct call **num_buckets, **cid_buckets;
	uint32_t nbuckets; /* a power of two */
	unsigned next_call;
	struct uac_req *reqs;
	unsigned nreqs;
	uint16_t next_rtp;
	uint64_t rtp_used[65536 / 64]; /* RTP ports of live calls (even: the pair's RTP) */
	struct pc_sip_ua_stats stats;
	char buf[UA_MSG_MAX];
	char body[UA_MSG_MAX];
	uint64_t now;
	/* The earliest UA timer (registration, call timers): the calls are scanned only when it
	 * is due, so that a poll costs nothing per idle call. */
	uint64_t timers_due;
	/* Scratch views, one per use that can be live at the same time (no function statics:
	 * several UAs may run on several threads). */
	struct pc_sip_msg rx_msg;  /* the message being received */
	struct pc_sip_msg req_msg; /* a kept request parsed again (answer, reject, 487, 302) */
	struct pc_sdp *sdp;	   /* a remote offer or answer (64 KiB: allocated) */
};

/* ---- small helpers ---------------------------------------------------------------------- */

static uint64_t t1_ms(const struct pc_sip_ua *ua)
{
	return ua->conf.t1_ms ? ua->conf.t1_ms : 500;
}

static uint64_t t2_ms(const struct pc_sip_ua *ua)
{
	return ua->conf.t2_ms ? ua->conf.t2_ms : 4000;
}

/* A UA timer was set to @at: make sure the next scan is no later. */
static void arm(struct pc_sip_ua *ua, uint64_t at)
{
	if (at < ua->timers_due)
		ua->timers_due = at;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void rand_hex(char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[32];
	size_t i;

	if (n > sizeof(r))
		n = sizeof(r);
	if (RAND_bytes(r, (int)n) != 1)
		for (i = 0; i < n; i++)
			r[i] = (unsigned char)rand();
	for (i = 0; i < n; i++)
		out[i] = hex[r[i] & 15];
	out[n] = 0;
}

static bool sl_ieq(struct pc_sip_slice s, const char *lit)
{
	size_t n = strlen(lit);

	return s.len == n && strncasecmp(s.p, lit, n) == 0;
}

static bool sl_eq_str(struct pc_sip_slice s, const char *str)
{
	size_t n = strlen(str);

	return s.len == n && (n == 0 || memcmp(s.p, str, n) == 0);
}

static void sl_copy(char *dst, size_t size, struct pc_sip_slice s)
{
	size_t n = s.len < size - 1 ? s.len : size - 1;

	if (n)
		memcpy(dst, s.p, n); /* an empty slice may have a NULL pointer */
	dst[n] = 0;
}

static void emit(struct pc_sip_ua *ua, enum pc_sip_ua_ev_type type, struct call *c, unsigned code,
		 const char *reason)
{
	struct pc_sip_ua_event ev = { .type = type, .code = code, .reason = reason ? reason : "" };

	if (c) {
		ev.call = c->num;
		ev.account = c->acct + 1;
		ev.peer = c->peer;
	}
	if (ua->conf.on_event)
		ua->conf.on_event(ua->conf.arg, &ev);
}

static void trace(struct pc_sip_ua *ua, const char *dir, const struct ua_peer *p, const char *buf,
		  size_t len)
{
	FILE *f = ua->conf.trace;
	char a[PC_SIP_ADDR_STRLEN];
	size_t line = 0;

	if (!f)
		return;
	while (line < len && buf[line] != '\r' && buf[line] != '\n')
		line++;
	fprintf(f, "sip %s %s %s %.*s\n", dir, pc_sip_tp_name(p->tp),
		pc_sip_addr_format(&p->addr, a, sizeof(a)), (int)line, buf);
	fflush(f);
}

static uint32_t cid_hash(const char *p, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 16777619u;
	}
	return h;
}

static struct call *call_by_num(struct pc_sip_ua *ua, unsigned num)
{
	for (struct call *c = ua->num_buckets[num & (ua->nbuckets - 1)]; c; c = c->num_next)
		if (c->num == num && c->state != CS_FREE)
			return c;
	return NULL;
}

/* Links @c by its Call-ID (set once the dialog has one). */
static void call_link_cid(struct pc_sip_ua *ua, struct call *c)
{
	struct call **b;

	if (c->cid_linked)
		return;
	c->cid_hash = cid_hash(c->d.call_id, strlen(c->d.call_id));
	b = &ua->cid_buckets[c->cid_hash & (ua->nbuckets - 1)];
	c->cid_next = *b;
	*b = c;
	c->cid_linked = true;
}

static void unlink_from(struct call **head, struct call *c, bool by_num)
{
	for (struct call **pp = head; *pp; pp = by_num ? &(*pp)->num_next : &(*pp)->cid_next) {
		if (*pp == c) {
			*pp = by_num ? c->num_next : c->cid_next;
			return;
		}
	}
}

/* Returns the slot of @c to the free stack (its lookups gone). */
static bool rtp_port_used(const struct pc_sip_ua *ua, uint16_t p)
{
	return ua->rtp_used[p / 64] >> (p % 64) & 1u;
}

static void rtp_port_mark(struct pc_sip_ua *ua, uint16_t p, bool used)
{
	if (used)
		ua->rtp_used[p / 64] |= 1ull << (p % 64);
	else
		ua->rtp_used[p / 64] &= ~(1ull << (p % 64));
}

/* Whether UDP port @p of our media address @addr (an IPv4 or IPv6 literal) can be bound now:
 * another program may hold it. */
static bool rtp_port_bindable(const char *addr, uint16_t p)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = htons(p) };
	struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = htons(p) };
	const struct sockaddr *sa = (const struct sockaddr *)&s4;
	socklen_t len = sizeof(s4);
	int fd;
	bool ok;

	if (inet_pton(AF_INET, addr, &s4.sin_addr) != 1) {
		if (inet_pton(AF_INET6, addr, &s6.sin6_addr) != 1)
			return true; /* not a literal: the media bind will tell */
		sa = (const struct sockaddr *)&s6;
		len = sizeof(s6);
	}
	fd = socket(sa->sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return true;
	ok = bind(fd, sa, len) == 0 || errno != EADDRINUSE;
	close(fd);
	return ok;
}

/*
 * The next RTP/RTCP port pair of the range (network.port.min/max_rtpport) not held by a live call
 * of ours nor bound by another program, round robin; -EADDRINUSE when every pair is taken.
 */
static int rtp_port_take(struct pc_sip_ua *ua, const char *addr, uint16_t *out)
{
	unsigned pairs = (unsigned)(ua->conf.rtp_port_max - ua->conf.rtp_port_min + 1) / 2;

	for (unsigned i = 0; i < pairs; i++) {
		uint16_t p = ua->next_rtp;
		unsigned next = (unsigned)p + 2u; /* unsigned: a range up to 65535 must not wrap */

		if (next + 1u > ua->conf.rtp_port_max)
			next = (ua->conf.rtp_port_min + 1u) & ~1u;
		ua->next_rtp = (uint16_t)next;
		if (rtp_port_used(ua, p) || !rtp_port_bindable(addr, p) ||
		    !rtp_port_bindable(addr, (uint16_t)(p + 1)))
			continue;
		rtp_port_mark(ua, p, true);
		*out = p;
		return 0;
	}
	return -EADDRINUSE;
}

static void call_free(struct pc_sip_ua *ua, struct call *c)
{
	for (unsigned m = 0; m < PC_SDP_MEDIA__COUNT; m++) {
		if (c->rtp_taken[m])
			rtp_port_mark(ua, c->rtp_taken[m], false);
		c->rtp_taken[m] = 0;
	}
	unlink_from(&ua->num_buckets[c->num & (ua->nbuckets - 1)], c, true);
	if (c->cid_linked)
		unlink_from(&ua->cid_buckets[c->cid_hash & (ua->nbuckets - 1)], c, false);
	c->cid_linked = false;
	if (c->inv_stx)
		pc_sip_txn_set_user(c->inv_stx, NULL);
	c->inv_stx = NULL;
	c->state = CS_FREE;
	c->free_next = ua->free_calls;
	ua->free_calls = c;
	ua->nlive--;
}

/* The calls with Call-ID @cid: iterate from the bucket, checking the id. */
static struct call *cid_first(struct pc_sip_ua *ua, struct pc_sip_slice cid)
{
	return ua->cid_buckets[cid_hash(cid.p, cid.len) & (ua->nbuckets - 1)];
}

/* The calls alive besides @except (one hanging up counts until its BYE or CANCEL is done). */
static unsigned active_calls(const struct pc_sip_ua *ua, const struct call *except)
{
	return ua->nlive - (except && except->state != CS_FREE ? 1 : 0);
}

/* "user" -> sip:user@domain; "user@host" -> sip:user@host; a URI stays. */
static int target_uri(const struct acct *a, const char *target, char *out, size_t size)
{
	int n;

	if (!target || !*target)
		return -EINVAL;
	if (!strncasecmp(target, "sip:", 4) || !strncasecmp(target, "sips:", 5) ||
	    !strncasecmp(target, "tel:", 4))
		n = snprintf(out, size, "%s", target);
	else if (strchr(target, '@'))
		n = snprintf(out, size, "sip:%s", target);
	else
		n = snprintf(out, size, "sip:%s@%s", target, a->aor_host);
	return n > 0 && (size_t)n < size ? 0 : -EINVAL;
}

/* Resolves a host (literal or name) and port into @out. */
static int resolve(const char *host, uint16_t port, union pc_sip_addr *out)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM };
	struct addrinfo *res = NULL;
	char h[128];
	size_t n = strlen(host);

	if (n >= sizeof(h))
		return -EINVAL;
	if (host[0] == '[' && n > 2 && host[n - 1] == ']') {
		memcpy(h, host + 1, n - 2);
		h[n - 2] = 0;
	} else {
		memcpy(h, host, n + 1);
	}
	if (pc_sip_addr_parse(out, h, port) == 0)
		return 0;
	/* A name: the resolver blocks the signaling thread; fine for a phone's few lookups. */
	if (getaddrinfo(h, NULL, &hints, &res) != 0 || !res)
		return -EHOSTUNREACH;
	memset(out, 0, sizeof(*out));
	memcpy(out, res->ai_addr, res->ai_addrlen);
	if (out->sa.sa_family == AF_INET)
		out->in4.sin_port = htons(port);
	else
		out->in6.sin6_port = htons(port);
	freeaddrinfo(res);
	return 0;
}

/* Where a URI points (host, port; transport= or the account's). */
static int uri_dest(const struct acct *a, const char *uri_s, struct ua_peer *out)
{
	struct pc_sip_uri u;
	char host[128];

	if (pc_sip_uri_parse(&u, uri_s, strlen(uri_s), NULL, 0) < 0 || u.host.len == 0)
		return -EINVAL;
	sl_copy(host, sizeof(host), u.host);
	memset(out, 0, sizeof(*out));
	out->tp = a->c.tp;
	if (u.transport == PC_SIP_TRANSPORT_TCP)
		out->tp = PC_SIP_TP_TCP;
	else if (u.transport == PC_SIP_TRANSPORT_UDP)
		out->tp = PC_SIP_TP_UDP;
	else if (u.transport == PC_SIP_TRANSPORT_TLS || u.scheme == PC_SIP_SCHEME_SIPS)
		out->tp = PC_SIP_TP_TLS;
	return resolve(host,
		       u.port > 0 ? (uint16_t)u.port : (out->tp == PC_SIP_TP_TLS ? 5061 : 5060),
		       &out->addr);
}

/*
 * The next hop of a request (RFC 3261 8.1.2, 12.2.1.1): an explicit outbound proxy when one is
 * configured; in a dialog, the first route of its route set, else its remote target; out of a
 * dialog, the account's server (the registrar acts as the proxy of a VP530-style phone).
 */
static int next_hop(struct acct *a, const struct dlg *d, const char *ruri, struct ua_peer *out)
{
	if (a->proxy_ok && (a->c.outbound[0] || !d || !d->target[0])) {
		*out = a->proxy;
		return 0;
	}
	if (d && d->nroutes) {
		struct pc_sip_name_addr na;
		char uri[UA_ROUTE];

		if (pc_sip_name_addr_parse(&na, d->routes[0], strlen(d->routes[0]), NULL, 0) < 0)
			return -EINVAL;
		sl_copy(uri, sizeof(uri), na.uri_s);
		return uri_dest(a, uri, out);
	}
	return uri_dest(a, d && d->target[0] ? d->target : ruri, out);
}

/* ---- sending ---------------------------------------------------------------------------- */

static int send_to(struct pc_sip_ua *ua, const struct ua_peer *p, const void *buf, size_t len)
{
	int rc;

	trace(ua, "->", p, buf, len);
	ua->stats.tx_msgs++;
	if (p->tp != PC_SIP_TP_UDP && p->conn) {
		rc = pc_sip_transport_send_conn(ua->tp, p->conn, buf, len);
		if (rc != -ENOTCONN)
			return rc;
	}
	return pc_sip_transport_send(ua->tp, p->tp, &p->addr, NULL, buf, len, NULL);
}

static int txn_send(void *ctx, const void *peer, const void *buf, size_t len)
{
	return send_to(ctx, peer, buf, len);
}

static void put_via(struct pc_sip_ua *ua, struct pc_sip_pb *pb, enum pc_sip_tp tp,
		    const char *branch)
{
	pc_sip_pb_printf(pb, "Via: SIP/2.0/%s %s:%u;branch=%s;rport\r\n", pc_sip_tp_name(tp),
			 ua->conf.local_ip, ua->port, branch);
}

/* Our Contact for a message over @tp: the UDP/TCP port, or the TLS listener's (without one,
 * the peer reaches us back only over the connection we opened: RFC 5626's case). */
static void put_contact(struct pc_sip_ua *ua, struct pc_sip_pb *pb, const struct acct *a,
			enum pc_sip_tp tp)
{
	pc_sip_pb_printf(pb, "Contact: <sip:%s@%s:%u%s>\r\n", a->c.user, ua->conf.local_ip,
			 tp == PC_SIP_TP_TLS && ua->tls_port ? ua->tls_port : ua->port,
			 tp == PC_SIP_TP_TCP ? ";transport=tcp" :
			 tp == PC_SIP_TP_TLS ? ";transport=tls" :
					       "");
}

static void put_from_to(struct pc_sip_pb *pb, const struct acct *a, const struct dlg *d,
			bool we_are_caller)
{
	(void)we_are_caller;
	if (a->c.display[0])
		pc_sip_pb_printf(pb, "From: \"%s\" <%s>;tag=%s\r\n", a->c.display, d->luri,
				 d->ltag);
	else
		pc_sip_pb_printf(pb, "From: <%s>;tag=%s\r\n", d->luri, d->ltag);
	if (d->rtag[0])
		pc_sip_pb_printf(pb, "To: <%s>;tag=%s\r\n", d->ruri, d->rtag);
	else
		pc_sip_pb_printf(pb, "To: <%s>\r\n", d->ruri);
}

struct req_args {
	const char *method;
	const char *ruri;  /* NULL: the dialog's target */
	uint32_t cseq;	   /* 0: ++lcseq */
	const char *extra; /* more header lines, CRLF-terminated, or NULL */
	const char *ctype; /* body type or NULL */
	const char *body;
	size_t bodylen;
	bool contact;
	const char *auth_hdr; /* "Authorization: ..." line without CRLF, or NULL */
};

/* The headers every request and response of ours ends with (Allow, Supported, our name as
 * @agent_hdr: User-Agent or Server, then @extra and the body's type), and the body: finishes
 * @pb, *@len its length. */
static int finish_msg(struct pc_sip_ua *ua, struct pc_sip_pb *pb, const char *agent_hdr,
		      const char *extra, const char *ctype, const char *body, size_t bodylen,
		      size_t *len)
{
	pc_sip_pb_printf(pb, "Allow: %s\r\nSupported: %s\r\n%s: %s\r\n", UA_ALLOW, UA_SUPPORTED,
			 agent_hdr, ua->conf.user_agent ? ua->conf.user_agent : "phonecore");
	if (extra)
		pc_sip_pb_printf(pb, "%s", extra);
	if (ctype)
		pc_sip_pb_printf(pb, "Content-Type: %s\r\n", ctype);
	return pc_sip_pb_finish(pb, (struct pc_sip_slice){ body, body ? bodylen : 0 }, len);
}

/* Builds a request of dialog @d into ua->buf; *@len its length. */
static int build_request(struct pc_sip_ua *ua, struct acct *a, struct dlg *d,
			 const struct req_args *r, enum pc_sip_tp tp, size_t *len)
{
	struct pc_sip_pb pb;
	char branch[40];
	uint32_t cseq = r->cseq ? r->cseq : ++d->lcseq;

	memcpy(branch, PC_SIP_BRANCH_COOKIE, 7);
	rand_hex(branch + 7, 20);
	pc_sip_pb_init(&pb, ua->buf, sizeof(ua->buf));
	pc_sip_pb_printf(&pb, "%s %s SIP/2.0\r\n", r->method,
			 r->ruri ? r->ruri : (d->target[0] ? d->target : d->ruri));
	put_via(ua, &pb, tp, branch);
	for (unsigned i = 0; i < d->nroutes; i++)
		pc_sip_pb_printf(&pb, "Route: %s\r\n", d->routes[i]);
	pc_sip_pb_printf(&pb, "Max-Forwards: 70\r\n");
	put_from_to(&pb, a, d, true);
	pc_sip_pb_printf(&pb, "Call-ID: %s\r\nCSeq: %u %s\r\n", d->call_id, (unsigned)cseq,
			 r->method);
	if (r->contact)
		put_contact(ua, &pb, a, tp);
	if (r->auth_hdr)
		pc_sip_pb_printf(&pb, "%s\r\n", r->auth_hdr);
	return finish_msg(ua, &pb, "User-Agent", r->extra, r->ctype, r->body, r->bodylen, len);
}

static struct uac_req *req_new(struct pc_sip_ua *ua, enum req_kind kind, unsigned call,
			       unsigned acct)
{
	for (unsigned i = 0; i < ua->nreqs; i++) {
		if (!ua->reqs[i].used) {
			ua->reqs[i] = (struct uac_req){
				.used = true, .kind = kind, .call = call, .acct = acct
			};
			return &ua->reqs[i];
		}
	}
	return NULL;
}

/* Sends the request in ua->buf in a new client transaction for @rq. */
static int start_client(struct pc_sip_ua *ua, struct uac_req *rq, size_t len,
			const struct ua_peer *hop, struct pc_sip_txn **out)
{
	int rc = pc_sip_txn_client_start(ua->txn, out, ua->buf, len, hop, hop->tp != PC_SIP_TP_UDP,
					 rq, ua->now);

	if (rc < 0)
		rq->used = false;
	return rc;
}

/* Sends a request of the call's dialog (BYE, re-INVITE, REFER, NOTIFY...). */
static int dialog_request(struct pc_sip_ua *ua, struct call *c, enum req_kind kind,
			  const struct req_args *r, struct pc_sip_txn **out)
{
	struct acct *a = &ua->acct[c->acct];
	struct ua_peer hop;
	struct uac_req *rq;
	size_t len;
	int rc;

	rc = next_hop(a, &c->d, c->d.target, &hop);
	if (rc < 0)
		return rc;
	rc = build_request(ua, a, &c->d, r, hop.tp, &len);
	if (rc < 0)
		return rc;
	rq = req_new(ua, kind, c->num, c->acct);
	if (!rq)
		return -ENOSPC;
	return start_client(ua, rq, len, &hop, out);
}

/* ---- responses (UAS) -------------------------------------------------------------------- */

struct resp_args {
	unsigned code;
	const char *reason;
	const char *totag; /* added to To when it has none; NULL: none */
	bool contact;
	const struct acct *a;
	const char *extra;
	const char *ctype;
	const char *body;
	size_t bodylen;
	bool record_route; /* copy Record-Route (dialog-creating responses) */
	enum pc_sip_tp tp; /* the transport of the request (for our Contact) */
};

static const char *reason_of(unsigned code)
{
	switch (code) {
	case 100:
		return "Trying";
	case 180:
		return "Ringing";
	case 183:
		return "Session Progress";
	case 200:
		return "OK";
	case 202:
		return "Accepted";
	case 302:
		return "Moved Temporarily";
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 406:
		return "Not Acceptable";
	case 408:
		return "Request Timeout";
	case 415:
		return "Unsupported Media Type";
	case 416:
		return "Unsupported URI Scheme";
	case 420:
		return "Bad Extension";
	case 422:
		return "Session Interval Too Small";
	case 423:
		return "Interval Too Brief";
	case 480:
		return "Temporarily Unavailable";
	case 481:
		return "Call/Transaction Does Not Exist";
	case 486:
		return "Busy Here";
	case 487:
		return "Request Terminated";
	case 488:
		return "Not Acceptable Here";
	case 489:
		return "Bad Event";
	case 491:
		return "Request Pending";
	case 500:
		return "Server Internal Error";
	case 501:
		return "Not Implemented";
	case 503:
		return "Service Unavailable";
	case 505:
		return "Version Not Supported";
	case 513:
		return "Message Too Large";
	case 603:
		return "Decline";
	default:
		return code < 300 ? "OK" : "Error";
	}
}

/* A response to @m into ua->buf. */
static int build_response(struct pc_sip_ua *ua, const struct pc_sip_msg *m,
			  const struct resp_args *r, size_t *len)
{
	struct pc_sip_pb pb;

	pc_sip_pb_init(&pb, ua->buf, sizeof(ua->buf));
	pc_sip_pb_printf(&pb, "SIP/2.0 %u %s\r\n", r->code,
			 r->reason ? r->reason : reason_of(r->code));
	for (unsigned i = 0; i < m->nheaders; i++) {
		const struct pc_sip_header *h = &m->headers[i];

		switch (h->id) {
		case PC_SIP_HDR_VIA:
		case PC_SIP_HDR_FROM:
		case PC_SIP_HDR_CALL_ID:
		case PC_SIP_HDR_CSEQ:
			pc_sip_pb_printf(&pb, "%s: %.*s\r\n", pc_sip_hdr_name(h->id),
					 (int)h->value.len, h->value.p);
			break;
		case PC_SIP_HDR_RECORD_ROUTE:
			if (r->record_route)
				pc_sip_pb_printf(&pb, "Record-Route: %.*s\r\n", (int)h->value.len,
						 h->value.p);
			break;
		case PC_SIP_HDR_TO: {
			struct pc_sip_name_addr na;
			bool has_tag = pc_sip_name_addr_parse(&na, h->value.p, h->value.len, NULL,
							      0) == 0 &&
				       na.has_tag;

			pc_sip_pb_printf(&pb, "To: %.*s", (int)h->value.len, h->value.p);
			/* 8.2.6.2: a final (or dialog-creating) answer to a request without a To
			 * tag gets one: the dialog's, or a fresh one outside a dialog. */
			if (!has_tag && r->code > 100) {
				char fresh[UA_TAG];

				if (!r->totag)
					rand_hex(fresh, 12);
				pc_sip_pb_printf(&pb, ";tag=%s", r->totag ? r->totag : fresh);
			}
			pc_sip_pb_printf(&pb, "\r\n");
			break;
		}
		default:
			break;
		}
	}
	if (r->contact && r->a)
		put_contact(ua, &pb, r->a, r->tp);
	return finish_msg(ua, &pb, "Server", r->extra, r->ctype, r->body, r->bodylen, len);
}

static int respond(struct pc_sip_ua *ua, struct pc_sip_txn *t, const struct pc_sip_msg *m,
		   const struct resp_args *r)
{
	size_t len;
	int rc = build_response(ua, m, r, &len);

	if (rc < 0)
		return rc;
	return pc_sip_txn_respond(t, ua->buf, len, ua->now);
}

static int respond_simple(struct pc_sip_ua *ua, struct pc_sip_txn *t, const struct pc_sip_msg *m,
			  unsigned code, const char *totag)
{
	struct resp_args r = { .code = code, .totag = totag };

	return respond(ua, t, m, &r);
}

/* ---- calls ------------------------------------------------------------------------------ */

/* The transport a call's messages use: ours to the proxy (outgoing), or the one its INVITE came
 * over (incoming). */
static enum pc_sip_tp call_tp(const struct pc_sip_ua *ua, const struct call *c)
{
	return c->outgoing ? ua->acct[c->acct].c.tp : c->ok_peer.tp;
}

static struct call *call_new(struct pc_sip_ua *ua, unsigned acct, bool outgoing)
{
	struct call *c = ua->free_calls;
	struct pc_sdp_neg *neg;
	struct call **b;

	if (!c)
		return NULL;
	/* The SDP state (64 KiB) is allocated on the slot's first use and kept with it. */
	neg = c->neg ? c->neg : malloc(sizeof(*neg));
	if (!neg)
		return NULL;
	ua->free_calls = c->free_next;
	free(c->inv_req);
	free(c->ok_msg);
	free(c->ack_msg);
	memset(c, 0, sizeof(*c));
	c->neg = neg;
	c->num = ++ua->next_call;
	ua->nlive++;
	b = &ua->num_buckets[c->num & (ua->nbuckets - 1)];
	c->num_next = *b;
	*b = c;
	c->acct = acct;
	c->outgoing = outgoing;
	c->answer_at = c->noanswer_at = c->ok_retx_at = c->ok_giveup_at = NEVER;
	c->se_refresh_at = c->se_expire_at = c->glare_at = c->end_at = NEVER;
	rand_hex(c->d.ltag, 12);
	c->d.lcseq = 1 + ((unsigned)rand() & 0xfff);
	/* Media: our port pair and fresh SRTP keys for this call. */
	c->caps = ua->acct[acct].c.caps;
	for (unsigned m = 0; m < PC_SDP_MEDIA__COUNT; m++) {
		uint16_t port;

		if (!c->caps.port[m])
			continue;
		/* Probed where the media binds: the account's media address, else ours. */
		if (rtp_port_take(ua, c->caps.addr ? c->caps.addr : ua->conf.local_ip, &port) < 0) {
			ua->stats.rtp_ports_exhausted++;
			call_free(ua, c);
			return NULL;
		}
		c->caps.port[m] = c->rtp_taken[m] = port;
	}
	for (unsigned k = 0; k < c->caps.ncrypto; k++)
		RAND_bytes(c->caps.crypto[k].key, sizeof(c->caps.crypto[k].key));
	c->state = outgoing ? CS_CALLING : CS_INCOMING;
	if (pc_sdp_neg_init(c->neg, &c->caps, (uint64_t)time(NULL) + c->num, NULL, 0) < 0) {
		call_free(ua, c);
		return NULL;
	}
	return c;
}

static int send_cancel(struct pc_sip_ua *ua, struct call *c);

/* The call is over for the phone: ENDED is emitted with the call still readable (state ENDING, so
 * that an action the callback tries on it is refused), then the slot is freed. A pending INVITE
 * of ours is cancelled and left to end by itself (RFC 3261 9.1: 64*T1 at most). */
static void call_end(struct pc_sip_ua *ua, struct call *c, unsigned code, const char *why)
{
	if (c->state == CS_FREE)
		return;
	if (c->inv_ctx) {
		if (c->got_provisional)
			send_cancel(ua, c);
		pc_sip_txn_abandon(c->inv_ctx, ua->now);
		c->inv_ctx = NULL;
	}
	c->state = CS_ENDING;
	emit(ua, PC_SIP_UA_EV_ENDED, c, code, why);
	call_free(ua, c);
}

static int media_event(struct pc_sip_ua *ua, struct call *c, const struct pc_sdp_result *res)
{
	struct pc_sip_ua_event ev = { .type = PC_SIP_UA_EV_MEDIA,
				      .call = c->num,
				      .account = c->acct + 1,
				      .peer = c->peer,
				      .reason = "",
				      .media = res,
				      .local = &c->caps };
	bool remote_hold = false;
	unsigned active = 0;

	if (ua->conf.on_event)
		ua->conf.on_event(ua->conf.arg, &ev);
	/* The remote holds us when no active stream lets us send while we did not ask for it. */
	for (unsigned i = 0; i < res->nstreams; i++) {
		if (!res->s[i].active)
			continue;
		active++;
		if (!res->s[i].send)
			remote_hold = true;
	}
	if (!active)
		return 0;
	if (c->local_hold)
		return 0;
	if (remote_hold != c->remote_hold) {
		c->remote_hold = remote_hold;
		emit(ua, remote_hold ? PC_SIP_UA_EV_HELD : PC_SIP_UA_EV_RESUMED, c, 0, NULL);
	}
	return 0;
}

/* Our SDP answer to the offer in @m's body into ua->body. */
static int sdp_answer(struct pc_sip_ua *ua, struct call *c, const struct pc_sip_msg *m, size_t *len,
		      bool *ok)
{
	struct pc_sdp *offer = ua->sdp;
	struct pc_sdp_result res;
	int rc;

	*ok = false;
	if (pc_sdp_parse(offer, m->body.p, m->body.len, NULL, 0) < 0)
		return -EBADMSG;
	rc = pc_sdp_neg_answer(c->neg, offer, ua->body, sizeof(ua->body), len, &res, NULL, 0);
	if (rc < 0)
		return rc;
	for (unsigned i = 0; i < res.nstreams; i++)
		if (res.s[i].active)
			*ok = true;
	c->sdp_started = true;
	media_event(ua, c, &res);
	return 0;
}

static int sdp_complete(struct pc_sip_ua *ua, struct call *c, const struct pc_sip_msg *m)
{
	struct pc_sdp *answer = ua->sdp;
	struct pc_sdp_result res;
	int rc;

	if (m->body.len == 0)
		return -ENOENT;
	if (pc_sdp_parse(answer, m->body.p, m->body.len, NULL, 0) < 0)
		return -EBADMSG;
	rc = pc_sdp_neg_complete(c->neg, answer, &res, NULL, 0);
	if (rc < 0)
		return rc;
	media_event(ua, c, &res);
	return 0;
}

static bool has_sdp(const struct pc_sip_msg *m)
{
	const struct pc_sip_header *h = pc_sip_msg_find(m, PC_SIP_HDR_CONTENT_TYPE, NULL);

	return m->body.len > 0 && h && h->value.len >= 15 &&
	       strncasecmp(h->value.p, "application/sdp", 15) == 0;
}

static const char *hdr_value(const struct pc_sip_msg *m, const char *name, size_t *len)
{
	for (unsigned i = 0; i < m->nheaders; i++)
		if (sl_ieq(m->headers[i].name, name)) {
			*len = m->headers[i].value.len;
			return m->headers[i].value.p;
		}
	return NULL;
}

/* Learns the dialog from a 2xx/1xx-with-tag (UAC) or from the request (UAS). */
/* Copies @s into @dst (@size octets with the NUL); false, leaving @dst alone, when it does not
 * fit: a field the dialog cannot hold whole is refused, never cut (a cut Call-ID or tag would
 * match nothing later). */
static bool fit_copy(char *dst, size_t size, struct pc_sip_slice s)
{
	if (s.len >= size)
		return false;
	sl_copy(dst, size, s);
	return true;
}

/* The route set from the Record-Route of @m, in order (@reverse: a UAC reverses it, 12.1.2).
 * False when it has more entries than we keep or one is too long. */
static bool route_set(struct dlg *d, const struct pc_sip_msg *m, bool reverse)
{
	char tmp[UA_MAX_ROUTES][UA_ROUTE];
	struct pc_sip_hdr_iter it;
	struct pc_sip_slice e;
	unsigned n = 0;
	int rc;

	pc_sip_hdr_iter_init(&it, m, PC_SIP_HDR_RECORD_ROUTE);
	while ((rc = pc_sip_hdr_iter_next(&it, &e, NULL, 0)) == 1) {
		if (n == UA_MAX_ROUTES || !fit_copy(tmp[n], UA_ROUTE, e))
			return false;
		n++;
	}
	if (rc < 0)
		return false;
	d->nroutes = n;
	for (unsigned i = 0; i < n; i++)
		memcpy(d->routes[i], tmp[reverse ? n - 1 - i : i], UA_ROUTE);
	return true;
}

/* The remote target from @m's Contact (12.1.1/12.1.2, and target refreshes 12.2): false when
 * it is unusable ('*', too long). Without a Contact (an RFC 2543 peer) the target is the
 * remote URI, as RFC 2543 had it. */
static bool remote_target(struct dlg *d, const struct pc_sip_msg *m)
{
	struct pc_sip_name_addr na;
	int rc = pc_sip_msg_name_addr(m, PC_SIP_HDR_CONTACT, &na, NULL, 0);

	if (rc == -ENOENT) {
		memcpy(d->target, d->ruri, sizeof(d->target));
		return d->target[0] != 0;
	}
	return rc == 0 && !na.star && fit_copy(d->target, sizeof(d->target), na.uri_s);
}

/* Learns the dialog from the 2xx of our INVITE. False when it cannot be held. */
static bool dialog_from_response(struct call *c, const struct pc_sip_msg *m)
{
	struct pc_sip_name_addr na;

	if (pc_sip_msg_name_addr(m, PC_SIP_HDR_TO, &na, NULL, 0) < 0 || !na.has_tag ||
	    !fit_copy(c->d.rtag, sizeof(c->d.rtag), na.tag))
		return false;
	return remote_target(&c->d, m) && route_set(&c->d, m, true);
}

/* Learns the dialog from an INVITE received. False when it cannot be held (then 400). */
static bool dialog_from_request(struct call *c, const struct pc_sip_msg *m)
{
	struct pc_sip_name_addr na;

	if (!fit_copy(c->d.call_id, sizeof(c->d.call_id), m->call_id))
		return false;
	if (pc_sip_msg_name_addr(m, PC_SIP_HDR_FROM, &na, NULL, 0) < 0 ||
	    !fit_copy(c->d.rtag, sizeof(c->d.rtag), na.tag) ||
	    !fit_copy(c->d.ruri, sizeof(c->d.ruri), na.uri_s))
		return false;
	sl_copy(c->peer, sizeof(c->peer), na.uri_s);
	if (pc_sip_msg_name_addr(m, PC_SIP_HDR_TO, &na, NULL, 0) < 0 ||
	    !fit_copy(c->d.luri, sizeof(c->d.luri), na.uri_s))
		return false;
	c->d.rcseq = m->cseq;
	c->d.rcseq_set = true;
	return remote_target(&c->d, m) && route_set(&c->d, m, false);
}

/* Replaces *@dst (owned) with a copy of the @len octets just built in ua->buf. */
static int keep_copy(struct pc_sip_ua *ua, char **dst, size_t *dstlen, size_t len)
{
	char *copy = malloc(len);

	if (!copy)
		return -ENOMEM;
	memcpy(copy, ua->buf, len);
	free(*dst);
	*dst = copy;
	*dstlen = len;
	return 0;
}

/* The 2xx to an INVITE (in ua->buf, @len octets) went out: the UAS core retransmits it, T1
 * doubling up to T2, until the ACK of CSeq @cseq, and gives up after 64*T1 (RFC 3261 13.3.1.4). */
static void start_2xx_retx(struct pc_sip_ua *ua, struct call *c, size_t len, uint32_t cseq)
{
	if (keep_copy(ua, &c->ok_msg, &c->ok_len, len) < 0)
		return; /* no copy: the peer's INVITE retransmissions still get the transaction's */
	c->ok_cseq = cseq;
	c->ok_interval = t1_ms(ua);
	c->ok_retx_at = ua->now + c->ok_interval;
	arm(ua, c->ok_retx_at);
	c->ok_giveup_at = ua->now + 64 * t1_ms(ua);
	arm(ua, c->ok_giveup_at);
}

/* Sends the ACK of a 2xx (RFC 3261 13.2.2.4): a new transaction-less request. */
static int send_ack(struct pc_sip_ua *ua, struct call *c, uint32_t cseq, const char *body,
		    size_t bodylen)
{
	struct acct *a = &ua->acct[c->acct];
	struct req_args r = { .method = "ACK", .cseq = cseq };
	struct ua_peer hop;
	size_t len;
	int rc;

	if (body) {
		r.ctype = "application/sdp";
		r.body = body;
		r.bodylen = bodylen;
	}
	rc = next_hop(a, &c->d, c->d.target, &hop);
	if (rc < 0)
		return rc;
	rc = build_request(ua, a, &c->d, &r, hop.tp, &len);
	if (rc < 0)
		return rc;
	keep_copy(ua, &c->ack_msg, &c->ack_len, len); /* resent when the 2xx comes again */
	return send_to(ua, &hop, ua->buf, len);
}

static int send_bye(struct pc_sip_ua *ua, struct call *c)
{
	struct req_args r = { .method = "BYE" };

	c->state = CS_ENDING;
	c->end_at = ua->now + 32000;
	arm(ua, c->end_at);
	return dialog_request(ua, c, RK_BYE, &r, NULL);
}

static void session_timer_start(struct pc_sip_ua *ua, struct call *c, uint32_t secs, bool we)
{
	c->se_secs = secs;
	c->se_we_refresh = we;
	if (!secs) {
		c->se_refresh_at = c->se_expire_at = NEVER;
		return;
	}
	c->se_refresh_at = we ? ua->now + secs * 500ull : NEVER;
	arm(ua, c->se_refresh_at);
	/* RFC 4028 10: without a refresh, BYE at expiry minus min(32, expiry/3). */
	c->se_expire_at = we ? NEVER :
			       ua->now + secs * 1000ull - (secs / 3 < 32 ? secs / 3 : 32) * 1000ull;
	arm(ua, c->se_expire_at);
}

/* Reads Session-Expires of a 2xx (UAC) and starts the timer. */
static void session_timer_from_2xx(struct pc_sip_ua *ua, struct call *c, const struct pc_sip_msg *m)
{
	struct pc_sip_session_expires se;
	size_t n;
	const char *v = hdr_value(m, "Session-Expires", &n);

	if (!v)
		v = hdr_value(m, "x", &n);
	if (!v || pc_sip_session_expires_parse(&se, v, n, NULL, 0) < 0)
		return;
	session_timer_start(ua, c, se.delta, se.refresher != PC_SIP_REFRESHER_UAS);
}

static void send_notify_frag(struct pc_sip_ua *ua, struct call *referrer, unsigned code, bool final)
{
	char body[80], extra[160];
	struct req_args r = { .method = "NOTIFY",
			      .ctype = "message/sipfrag;version=2.0",
			      .contact = true };

	snprintf(body, sizeof(body), "SIP/2.0 %u %s\r\n", code, reason_of(code));
	snprintf(extra, sizeof(extra), "Event: refer\r\nSubscription-State: %s\r\n",
		 final ? "terminated;reason=noresource" : "active;expires=60");
	r.body = body;
	r.bodylen = strlen(body);
	r.extra = extra;
	dialog_request(ua, referrer, RK_NOTIFY, &r, NULL);
	if (final)
		referrer->notify_active = false;
}

/* A call we made on a REFER reached a final state: tell the referrer. */
static void refer_outcome(struct pc_sip_ua *ua, struct call *c, unsigned code)
{
	struct call *p;

	if (!c->refer_parent)
		return;
	p = call_by_num(ua, c->refer_parent);
	c->refer_parent = 0;
	if (!p || !p->notify_active)
		return;
	send_notify_frag(ua, p, code, true);
	if (code >= 200 && code < 300)
		emit(ua, PC_SIP_UA_EV_TRANSFERRED, p, code, "transferred");
}

/* ---- outgoing calls --------------------------------------------------------------------- */

static int send_invite(struct pc_sip_ua *ua, struct call *c, const char *auth_hdr,
		       struct uac_req *old)
{
	struct acct *a = &ua->acct[c->acct];
	struct req_args r = { .method = "INVITE",
			      .contact = true,
			      .ctype = "application/sdp",
			      .auth_hdr = auth_hdr };
	char extra[700] = "";
	struct ua_peer hop;
	struct uac_req *rq;
	size_t len, blen;
	int rc;

	rc = pc_sdp_neg_offer(c->neg, false, ua->body, sizeof(ua->body), &blen, NULL, 0);
	if (rc < 0)
		return rc;
	c->sdp_started = true;
	r.body = ua->body;
	r.bodylen = blen;
	if (a->c.session_timer) {
		uint32_t se = a->c.session_expires_s ? a->c.session_expires_s : 1800;

		if (c->se_min > se) /* a 422 asked for more (RFC 4028 7.3) */
			se = c->se_min;
		snprintf(extra, sizeof(extra), "Session-Expires: %u%s\r\n", (unsigned)se,
			 a->c.refresher_uas ? ";refresher=uas" : "");
	}
	if (c->replaces_hdr[0]) {
		size_t n = strlen(extra);

		snprintf(extra + n, sizeof(extra) - n, "Replaces: %s\r\nRequire: replaces\r\n",
			 c->replaces_hdr);
	}
	r.extra = extra;
	rc = next_hop(a, &c->d, c->d.ruri, &hop);
	if (rc < 0)
		return rc;
	rc = build_request(ua, a, &c->d, &r, hop.tp, &len);
	if (rc < 0)
		return rc;
	rc = keep_copy(ua, &c->inv_req, &c->inv_req_len, len); /* for a CANCEL */
	if (rc < 0)
		return rc;
	rq = req_new(ua, RK_INVITE, c->num, c->acct);
	if (!rq)
		return -ENOSPC;
	if (old) {
		rq->auth_tries = old->auth_tries;
		rq->had_creds = auth_hdr != NULL;
	}
	c->got_provisional = false;
	return start_client(ua, rq, len, &hop, &c->inv_ctx);
}

int pc_sip_ua_call(struct pc_sip_ua *ua, unsigned account, const char *target, unsigned *num)
{
	struct acct *a;
	struct call *c;
	int rc;

	if (!ua || account < 1 || account > ua->conf.naccounts)
		return -EINVAL;
	a = &ua->acct[account - 1];
	ua->now = mono_ms();
	c = call_new(ua, account - 1, true);
	if (!c)
		return -ENOSPC;
	rand_hex(c->d.call_id, 24);
	call_link_cid(ua, c);
	snprintf(c->d.luri, sizeof(c->d.luri), "sip:%s@%s", a->c.user, a->aor_host);
	rc = target_uri(a, target, c->d.ruri, sizeof(c->d.ruri));
	if (rc < 0)
		goto fail;
	memcpy(c->peer, c->d.ruri, sizeof(c->peer));
	c->d.target[0] = 0;
	rc = send_invite(ua, c, NULL, NULL);
	if (rc < 0)
		goto fail;
	ua->stats.calls_out++;
	if (num)
		*num = c->num;
	return 0;
fail:
	call_free(ua, c);
	return rc;
}

/* Re-sends the request of @t with credentials for the challenge in @m. */
static int authenticate(struct pc_sip_ua *ua, struct uac_req *rq, struct pc_sip_txn *t,
			const struct pc_sip_msg *m)
{
	struct acct *a = &ua->acct[rq->acct];
	struct pc_sip_auth_challenge ch;
	struct pc_sip_auth_account acc;
	struct pc_sip_msg orig;
	char value[1024], hdr[1100];
	const void *req;
	size_t reqlen;
	bool proxy = m->status == 407;
	const char *user = a->c.auth_user[0] ? a->c.auth_user : a->c.user;

	if (rq->auth_tries >= 2)
		return -EACCES;
	unsigned idx = 0;

	if (pc_sip_auth_pick_msg(m, proxy, PC_SIP_AUTH_ALG_ALL, (struct pc_sip_slice){ NULL, 0 },
				 &ch, &idx, NULL, 0) < 0)
		return -EACCES;
	if (rq->kind == RK_REGISTER) {
		/* Keep the chosen challenge (the idx-th of its kind) for the refreshes. */
		const char *want = proxy ? "Proxy-Authenticate" : "WWW-Authenticate";
		unsigned k = 0;

		a->chal_len = 0;
		for (unsigned i = 0; i < m->nheaders; i++) {
			const struct pc_sip_header *h = &m->headers[i];

			if (!sl_ieq(h->name, want))
				continue;
			if (k++ == idx && h->value.len < sizeof(a->chal)) {
				memcpy(a->chal, h->value.p, h->value.len);
				a->chal_len = h->value.len;
				a->chal_proxy = proxy;
			}
		}
	}
	if (!pc_sip_auth_retry(&ch, rq->had_creds))
		return -EACCES;
	req = pc_sip_txn_request(t, &reqlen);
	if (pc_sip_msg_parse(&orig, req, reqlen, NULL, 0) < 0)
		return -EBADMSG;
	acc.username = pc_sip_cstr(user);
	acc.password = pc_sip_cstr(a->c.password);
	if (pc_sip_auth_client_authorize(ua->auth, &ch, &acc, orig.method, orig.uri, orig.body, 0,
					 value, sizeof(value), NULL) < 0)
		return -EACCES;
	snprintf(hdr, sizeof(hdr), "%s: %s", proxy ? "Proxy-Authorization" : "Authorization",
		 value);
	rq->auth_tries++;

	if (rq->kind == RK_REGISTER) {
		struct pc_sip_ua *u = ua;
		struct req_args r = { .method = "REGISTER", .contact = true, .auth_hdr = hdr };
		char extra[64], ruri[PC_SIP_UA_STR];
		struct uac_req *nrq;
		size_t len;

		snprintf(extra, sizeof(extra), "Expires: %u\r\n", a->expires);
		snprintf(ruri, sizeof(ruri), "sip:%s", a->c.domain);
		r.extra = extra;
		r.ruri = ruri;
		if (build_request(u, a, &a->reg, &r, a->proxy.tp, &len) < 0)
			return -ENOSPC;
		nrq = req_new(ua, RK_REGISTER, 0, rq->acct);
		if (!nrq)
			return -ENOSPC;
		nrq->auth_tries = rq->auth_tries;
		nrq->had_creds = true;
		return start_client(ua, nrq, len, &a->proxy, NULL);
	}
	if (rq->kind == RK_INVITE) {
		struct call *c = call_by_num(ua, rq->call);

		if (!c)
			return -ENOENT;
		return send_invite(ua, c, hdr, rq);
	}
	return -EACCES;
}

/*
 * RFC 3261 9.1: CANCEL the pending INVITE of @c: its Request-URI, top Via (the same branch),
 * Route, From, To, Call-ID and CSeq number, in a client transaction of its own.
 */
static int send_cancel(struct pc_sip_ua *ua, struct call *c)
{
	struct pc_sip_msg inv;
	struct pc_sip_pb pb;
	struct pc_sip_via via;
	struct ua_peer hop;
	struct uac_req *crq;
	size_t len;
	int rc;

	if (!c->inv_req || pc_sip_msg_parse(&inv, c->inv_req, c->inv_req_len, NULL, 0) < 0 ||
	    pc_sip_msg_top_via(&inv, &via, NULL, 0) < 0)
		return -EBADMSG;
	pc_sip_pb_init(&pb, ua->buf, sizeof(ua->buf));
	pc_sip_pb_printf(&pb, "CANCEL %.*s SIP/2.0\r\nVia: ", (int)inv.uri.len, inv.uri.p);
	pc_sip_pb_via(&pb, &via);
	pc_sip_pb_printf(&pb, "\r\n");
	for (const struct pc_sip_header *h = pc_sip_msg_find(&inv, PC_SIP_HDR_ROUTE, NULL); h;
	     h = pc_sip_msg_find(&inv, PC_SIP_HDR_ROUTE, h))
		pc_sip_pb_printf(&pb, "Route: %.*s\r\n", (int)h->value.len, h->value.p);
	pc_sip_pb_printf(&pb,
			 "Max-Forwards: 70\r\nFrom: %.*s\r\nTo: %.*s\r\nCall-ID: %.*s\r\n"
			 "CSeq: %u CANCEL\r\n",
			 (int)inv.from.len, inv.from.p, (int)inv.to.len, inv.to.p,
			 (int)inv.call_id.len, inv.call_id.p, (unsigned)inv.cseq);
	rc = pc_sip_pb_finish(&pb, (struct pc_sip_slice){ NULL, 0 }, &len);
	if (rc == 0)
		rc = next_hop(&ua->acct[c->acct], &c->d, c->d.ruri, &hop);
	if (rc < 0)
		return rc;
	crq = req_new(ua, RK_CANCEL, c->num, c->acct);
	if (!crq)
		return -ENOSPC;
	return start_client(ua, crq, len, &hop, NULL);
}

/* A 2xx for an INVITE of ours whose dialog is confirmed already: the same To tag is a
 * retransmission (our ACK again), another is a second fork answering (ACK and BYE it, RFC 3261
 * 13.2.2.4: only one dialog lives). */
static void fork_or_retransmission(struct pc_sip_ua *ua, struct call *c, const struct pc_sip_msg *m)
{
	struct acct *a = &ua->acct[c->acct];
	struct pc_sip_name_addr to;
	struct ua_peer hop;
	struct dlg fork;
	struct uac_req *rq;
	size_t len;

	if (pc_sip_msg_name_addr(m, PC_SIP_HDR_TO, &to, NULL, 0) < 0 || !to.has_tag)
		return;
	if (sl_eq_str(to.tag, c->d.rtag)) {
		if (c->ack_msg && next_hop(a, &c->d, c->d.target, &hop) == 0)
			send_to(ua, &hop, c->ack_msg, c->ack_len);
		return;
	}
	fork = c->d;
	if (!fit_copy(fork.rtag, sizeof(fork.rtag), to.tag) || !remote_target(&fork, m) ||
	    !route_set(&fork, m, true) || next_hop(a, &fork, fork.target, &hop) < 0)
		return;
	if (build_request(ua, a, &fork, &(struct req_args){ .method = "ACK", .cseq = m->cseq },
			  hop.tp, &len) == 0)
		send_to(ua, &hop, ua->buf, len);
	if (build_request(ua, a, &fork, &(struct req_args){ .method = "BYE" }, hop.tp, &len) == 0) {
		rq = req_new(ua, RK_OPTIONS, 0, c->acct); /* its answer needs no handling */
		if (rq)
			start_client(ua, rq, len, &hop, NULL);
	}
}

static void invite_response(struct pc_sip_ua *ua, struct uac_req *rq, struct pc_sip_txn *t,
			    const struct pc_sip_msg *m)
{
	struct call *c = call_by_num(ua, rq->call);
	unsigned code = m->status;

	if (!c)
		return;
	if (code < 200) {
		if (code == 100)
			return;
		c->got_provisional = true;
		{
			/* The early dialog's tag (RFC 3261 12.1.2): a semi-attended transfer
			 * replaces it while the target still rings. */
			struct pc_sip_name_addr to;

			if (!c->d.rtag[0] &&
			    pc_sip_msg_name_addr(m, PC_SIP_HDR_TO, &to, NULL, 0) == 0 && to.has_tag)
				fit_copy(c->d.rtag, sizeof(c->d.rtag), to.tag);
		}
		if (m->body.len && has_sdp(m))
			(void)0; /* early media: the answer comes again in the 2xx */
		if (c->state == CS_CALLING) {
			c->state = CS_RINGING;
			emit(ua, PC_SIP_UA_EV_RINGING, c, code, NULL);
		}
		if (c->cancel_pending) {
			c->cancel_pending = false;
			if (c->inv_ctx)
				pc_sip_txn_abandon(c->inv_ctx, ua->now);
			send_cancel(ua, c);
		}
		return;
	}
	c->inv_ctx = NULL;
	if (code < 300) {
		bool was_confirmed = c->d.confirmed;

		if (was_confirmed) {
			/* A 2xx again: a retransmission (RFC 6026 passes them up: ACK again) or
			 * another fork's answer (13.2.2.4: ACK it, then BYE that dialog). */
			fork_or_retransmission(ua, c, m);
			return;
		}
		if (!dialog_from_response(c, m)) {
			/* A dialog we cannot hold (no Contact, a tag or route set too large):
			 * the UAS gives up on its own after 64*T1. */
			call_end(ua, c, 502, "unusable 2xx");
			return;
		}
		c->d.confirmed = true;
		if (has_sdp(m))
			sdp_complete(ua, c, m);
		send_ack(ua, c, m->cseq, NULL, 0);
		if (c->state == CS_ENDING || c->cancel_pending) {
			/* Hung up while it was being answered: end it properly. */
			c->cancel_pending = false;
			send_bye(ua, c);
			return;
		}
		c->state = CS_ACTIVE;
		if (!was_confirmed) {
			session_timer_from_2xx(ua, c, m);
			emit(ua, PC_SIP_UA_EV_ESTABLISHED, c, code, NULL);
			refer_outcome(ua, c, code);
			if (c->replaces_call) {
				/* not for the caller side */
			}
		}
		return;
	}
	if ((code == 401 || code == 407) && authenticate(ua, rq, t, m) == 0)
		return;
	if (code == 422 && !c->se_min) {
		/* RFC 4028 7.3: once more, with the Min-SE the UAS wants. */
		uint32_t min_se = 0;
		size_t n;
		const char *v = hdr_value(m, "Min-SE", &n);

		if (v && pc_sip_delta_parse(v, n, UINT32_MAX, &min_se, NULL, 0) == 0 && min_se &&
		    min_se <= 86400) {
			c->se_min = min_se;
			pc_sdp_neg_init(c->neg, &c->caps, (uint64_t)time(NULL) + c->num, NULL, 0);
			if (send_invite(ua, c, NULL, NULL) == 0)
				return;
		}
	}
	if (code >= 300 && code < 400 && c->redirects < 3) {
		struct pc_sip_name_addr na;

		/* Follow the first Contact of a 3xx (call forward at the far end). */
		if (pc_sip_msg_name_addr(m, PC_SIP_HDR_CONTACT, &na, NULL, 0) == 0 && !na.star) {
			c->redirects++;
			sl_copy(c->d.ruri, sizeof(c->d.ruri), na.uri_s);
			sl_copy(c->peer, sizeof(c->peer), na.uri_s);
			c->d.target[0] = 0;
			c->d.rtag[0] = 0;
			c->state = CS_CALLING;
			emit(ua, PC_SIP_UA_EV_REDIRECTED, c, code, NULL);
			/* The offer starts over with the new target. */
			pc_sdp_neg_init(c->neg, &c->caps, (uint64_t)time(NULL) + c->num, NULL, 0);
			if (send_invite(ua, c, NULL, NULL) == 0)
				return;
		}
	}
	refer_outcome(ua, c, code);
	call_end(ua, c, code, reason_of(code));
}

static void reinvite_response(struct pc_sip_ua *ua, struct uac_req *rq, struct pc_sip_txn *t,
			      const struct pc_sip_msg *m)
{
	struct call *c = call_by_num(ua, rq->call);
	unsigned code = m->status;

	(void)t;
	if (!c || code < 200)
		return;
	c->reinvite_pending = false;
	if (code < 300) {
		/* 12.2.1.2: a 2xx to a re-INVITE refreshes the remote target. */
		remote_target(&c->d, m);
		if (has_sdp(m))
			sdp_complete(ua, c, m);
		send_ack(ua, c, m->cseq, NULL, 0);
		if (rq->refresh) {
			session_timer_start(ua, c, c->se_secs, true);
			return;
		}
		c->local_hold = rq->hold;
		emit(ua, rq->hold ? PC_SIP_UA_EV_HOLD_OK : PC_SIP_UA_EV_RESUME_OK, c, code, NULL);
		return;
	}
	if (code == 491) {
		/* 14.1: glare; try again after 2.1-4 s (we own the Call-ID) or 0-2 s. */
		c->glare_at = ua->now + (c->outgoing ? 2100 + (unsigned)rand() % 1900 :
						       (unsigned)rand() % 2000);
		arm(ua, c->glare_at);
		c->glare_hold = rq->hold;
		c->glare_refresh = rq->refresh;
		return;
	}
	if (code == 408 || code == 481) {
		/* 14.1: the dialog is gone. */
		send_bye(ua, c);
	}
}

static int send_register(struct pc_sip_ua *ua, unsigned i, uint32_t expires);

/* Whether a Contact URI is ours: our address and port. */
static bool contact_is_ours(const struct pc_sip_ua *ua, const struct pc_sip_uri *u)
{
	size_t n = strlen(ua->conf.local_ip);

	return u->host.len == n && memcmp(u->host.p, ua->conf.local_ip, n) == 0 &&
	       (u->port == ua->port || (ua->tls_port && u->port == ua->tls_port));
}

static void on_response(void *ctx, struct pc_sip_txn *t, void *user, const struct pc_sip_msg *m,
			const void *buf, size_t len)
{
	struct pc_sip_ua *ua = ctx;
	struct uac_req *rq = user;

	(void)buf;
	(void)len;
	if (!t) {
		/* A 2xx retransmitted after the INVITE transaction: ACK it again (13.2.2.4). */
		if (m->status >= 200 && m->status < 300 && sl_ieq(m->cseq_method, "INVITE")) {
			for (struct call *c = cid_first(ua, m->call_id); c; c = c->cid_next) {
				if (c->state != CS_FREE && c->ack_msg &&
				    sl_eq_str(m->call_id, c->d.call_id)) {
					struct ua_peer hop;

					if (next_hop(&ua->acct[c->acct], &c->d, c->d.target,
						     &hop) == 0)
						send_to(ua, &hop, c->ack_msg, c->ack_len);
				}
			}
		}
		return;
	}
	if (!rq)
		return;
	switch (rq->kind) {
	case RK_REGISTER: {
		struct acct *a = &ua->acct[rq->acct];
		unsigned code = m->status;

		if (code < 200)
			return;
		if (code < 300) {
			struct pc_sip_name_addr na;
			uint32_t exp = a->expires;
			size_t n;
			const char *v;

			struct pc_sip_hdr_iter it;
			struct pc_sip_slice e;
			bool mine = false;

			/* 10.2.4: the registrar lists every binding of the AOR (other phones of
			 * the user too): ours is the Contact with our address. */
			pc_sip_hdr_iter_init(&it, m, PC_SIP_HDR_CONTACT);
			while (!mine && pc_sip_hdr_iter_next(&it, &e, NULL, 0) == 1) {
				if (pc_sip_name_addr_parse(&na, e.p, e.len, NULL, 0) < 0 || na.star)
					continue;
				if (contact_is_ours(ua, &na.uri)) {
					mine = true;
					if (na.expires >= 0)
						exp = (uint32_t)na.expires;
				}
			}
			if ((!mine || na.expires < 0) && (v = hdr_value(m, "Expires", &n)) != NULL)
				pc_sip_delta_parse(v, n, UINT32_MAX, &exp, NULL, 0);
			a->reg_pending = false;
			if (exp == 0) {
				a->registered = false;
				a->reg_at = NEVER;
				return;
			}
			a->registered = true;
			if (a->c.keepalive_s)
				pc_sip_transport_keepalive(ua->tp, a->proxy.tp, &a->proxy.addr,
							   a->c.keepalive_s * 1000u);
			/* Refresh before expiry: at half, or 30 s before for long ones; never
			 * sooner than in a second (a registrar granting 1 s is no reason to spin). */
			a->reg_at = ua->now + (exp > 120 ?
						       (exp - 30) * 1000ull :
						       (exp * 500ull > 1000 ? exp * 500ull : 1000));
			arm(ua, a->reg_at);
			{
				struct pc_sip_ua_event ev = { .type = PC_SIP_UA_EV_REGISTERED,
							      .account = rq->acct + 1,
							      .code = code,
							      .expires = exp,
							      .peer = a->reg.luri,
							      .reason = "" };

				if (ua->conf.on_event)
					ua->conf.on_event(ua->conf.arg, &ev);
			}
			return;
		}
		if ((code == 401 || code == 407) && authenticate(ua, rq, t, m) == 0)
			return;
		if (code == 423) {
			/* 10.2.8: too brief; again with the registrar's Min-Expires. */
			uint32_t min = 0;
			size_t n;
			const char *v = hdr_value(m, "Min-Expires", &n);

			if (v && pc_sip_delta_parse(v, n, UINT32_MAX, &min, NULL, 0) == 0 &&
			    min > a->expires && min <= 86400) {
				a->reg_pending = false;
				if (send_register(ua, rq->acct, min) == 0)
					return;
			}
		}
		a->reg_pending = false;
		a->registered = false;
		a->reg_at = ua->now + (a->c.retry_s ? a->c.retry_s : 30) * 1000ull;
		arm(ua, a->reg_at);
		{
			struct pc_sip_ua_event ev = { .type = PC_SIP_UA_EV_REG_FAILED,
						      .account = rq->acct + 1,
						      .code = code,
						      .peer = a->reg.luri,
						      .reason = reason_of(code) };

			if (ua->conf.on_event)
				ua->conf.on_event(ua->conf.arg, &ev);
		}
		return;
	}
	case RK_INVITE:
		invite_response(ua, rq, t, m);
		return;
	case RK_REINVITE:
		reinvite_response(ua, rq, t, m);
		return;
	case RK_BYE: {
		struct call *c = call_by_num(ua, rq->call);

		if (c && m->status >= 200)
			call_end(ua, c, 200, "hung up");
		return;
	}
	case RK_REFER: {
		struct call *c = call_by_num(ua, rq->call);

		if (c && m->status >= 300)
			emit(ua, PC_SIP_UA_EV_NOTIFY, c, m->status, "REFER refused");
		return;
	}
	case RK_CANCEL:
	case RK_NOTIFY:
	case RK_OPTIONS:
		return;
	}
}

static void on_terminated(void *ctx, struct pc_sip_txn *t, void *user, enum pc_sip_txn_end why)
{
	struct pc_sip_ua *ua = ctx;
	struct uac_req *rq = user;

	if (why == PC_SIP_TXN_END_ABORTED) {
		/* The UA is going away: nobody to tell. */
		if (rq)
			rq->used = false;
		return;
	}
	if (pc_sip_txn_kind(t) == PC_SIP_TXN_SERVER_INVITE ||
	    pc_sip_txn_kind(t) == PC_SIP_TXN_SERVER_NON_INVITE) {
		/* A server transaction: its user is the call it started, if any. */
		struct call *c = user;

		if (c && c->inv_stx == t) {
			c->inv_stx = NULL;
			/* Ended before we answered (its flow failed): nothing can answer it now. */
			if (c->state == CS_INCOMING)
				call_end(ua, c, why == PC_SIP_TXN_END_TRANSPORT ? 503 : 408,
					 "the caller's transaction ended");
		}
		return;
	}
	if (!rq || !rq->used)
		return;
	if (why != PC_SIP_TXN_END_NORMAL) {
		struct call *c = rq->call ? call_by_num(ua, rq->call) : NULL;

		switch (rq->kind) {
		case RK_REGISTER: {
			struct acct *a = &ua->acct[rq->acct];
			struct pc_sip_ua_event ev = { .type = PC_SIP_UA_EV_REG_FAILED,
						      .account = rq->acct + 1,
						      .code = 408,
						      .peer = a->reg.luri,
						      .reason = "no answer from the registrar" };

			a->reg_pending = false;
			a->registered = false;
			a->reg_at = ua->now + (a->c.retry_s ? a->c.retry_s : 30) * 1000ull;
			arm(ua, a->reg_at);
			if (ua->conf.on_event)
				ua->conf.on_event(ua->conf.arg, &ev);
			break;
		}
		case RK_INVITE:
			if (c && c->inv_ctx == t) {
				/* 8.1.3.1: a transport failure counts as a 503. */
				unsigned code = why == PC_SIP_TXN_END_TRANSPORT ? 503 : 408;

				c->inv_ctx = NULL;
				refer_outcome(ua, c, code);
				call_end(ua, c, code,
					 code == 503 ? "transport failed" : "no answer");
			}
			break;
		case RK_BYE:
			if (c)
				call_end(ua, c, 408, "BYE not answered");
			break;
		case RK_REINVITE:
			/* 14.1: no answer to a re-INVITE (or its flow died): the dialog is as
			 * good as gone; end the call. */
			if (c) {
				c->reinvite_pending = false;
				if (c->state == CS_ACTIVE)
					send_bye(ua, c);
			}
			break;
		default:
			break;
		}
	} else if (rq->kind == RK_INVITE) {
		struct call *c = call_by_num(ua, rq->call);

		if (c && c->inv_ctx == t)
			c->inv_ctx = NULL;
	}
	rq->used = false;
}

/* ---- incoming requests ------------------------------------------------------------------ */

static struct acct *acct_for(struct pc_sip_ua *ua, const struct pc_sip_msg *m)
{
	struct pc_sip_uri u;

	if (pc_sip_uri_parse(&u, m->uri.p, m->uri.len, NULL, 0) == 0 && u.has_user) {
		for (unsigned i = 0; i < ua->conf.naccounts; i++)
			if (ua->acct[i].c.enable && sl_eq_str(u.user, ua->acct[i].c.user))
				return &ua->acct[i];
	}
	for (unsigned i = 0; i < ua->conf.naccounts; i++)
		if (ua->acct[i].c.enable)
			return &ua->acct[i];
	return NULL;
}

/* The call of an in-dialog request: Call-ID, To tag = ours, From tag = theirs. */
static struct call *call_for_request(struct pc_sip_ua *ua, const struct pc_sip_msg *m)
{
	struct pc_sip_name_addr from, to;

	if (pc_sip_msg_name_addr(m, PC_SIP_HDR_FROM, &from, NULL, 0) < 0 ||
	    pc_sip_msg_name_addr(m, PC_SIP_HDR_TO, &to, NULL, 0) < 0)
		return NULL;
	for (struct call *c = cid_first(ua, m->call_id); c; c = c->cid_next) {
		if (c->state == CS_FREE || !sl_eq_str(m->call_id, c->d.call_id))
			continue;
		if (to.has_tag && !sl_eq_str(to.tag, c->d.ltag))
			continue;
		if (from.has_tag && c->d.rtag[0] && !sl_eq_str(from.tag, c->d.rtag))
			continue;
		return c;
	}
	return NULL;
}

static void forward_302(struct pc_sip_ua *ua, struct pc_sip_txn *t, const struct pc_sip_msg *m,
			struct call *c, const char *target)
{
	struct acct *a = &ua->acct[c->acct];
	char uri[PC_SIP_UA_STR], extra[PC_SIP_UA_STR + 32];
	struct resp_args r = { .code = 302, .totag = c->d.ltag };

	if (target_uri(a, target, uri, sizeof(uri)) < 0) {
		respond_simple(ua, t, m, 480, c->d.ltag);
		call_end(ua, c, 480, "bad forward target");
		return;
	}
	snprintf(extra, sizeof(extra), "Contact: <%s>\r\n", uri);
	r.extra = extra;
	respond(ua, t, m, &r);
	c->inv_stx = NULL;
	{
		struct pc_sip_ua_event ev = { .type = PC_SIP_UA_EV_FORWARDED,
					      .call = c->num,
					      .account = c->acct + 1,
					      .code = 302,
					      .peer = uri,
					      .reason = "" };

		if (ua->conf.on_event)
			ua->conf.on_event(ua->conf.arg, &ev);
	}
	call_end(ua, c, 302, "forwarded");
}

static int answer_call(struct pc_sip_ua *ua, struct call *c)
{
	struct acct *a = &ua->acct[c->acct];
	struct pc_sip_msg *mp = &ua->req_msg;
	struct resp_args r = { .code = 200,
			       .contact = true,
			       .a = a,
			       .tp = c->ok_peer.tp,
			       .record_route = true,
			       .ctype = "application/sdp" };
	const void *req;
	size_t reqlen, blen, len;
	char extra[128] = "";
	bool ok;
	int rc;

	if (c->state != CS_INCOMING || !c->inv_stx)
		return -EPROTO;
	req = pc_sip_txn_request(c->inv_stx, &reqlen);
	if (pc_sip_msg_parse(mp, req, reqlen, NULL, 0) < 0)
		return -EBADMSG;
	if (c->inv_has_offer) {
		rc = sdp_answer(ua, c, mp, &blen, &ok);
		if (rc < 0 || !ok) {
			respond_simple(ua, c->inv_stx, mp, 488, c->d.ltag);
			call_end(ua, c, 488, "no common media");
			return rc < 0 ? rc : -EPROTO;
		}
	} else {
		/* Late offer: we offer in the 2xx, the answer comes in the ACK. */
		rc = pc_sdp_neg_offer(c->neg, false, ua->body, sizeof(ua->body), &blen, NULL, 0);
		if (rc < 0)
			return rc;
	}
	{
		struct pc_sip_session_expires se;
		size_t n;
		const char *v = hdr_value(mp, "Session-Expires", &n);

		if (!v)
			v = hdr_value(mp, "x", &n);
		if (v && pc_sip_session_expires_parse(&se, v, n, NULL, 0) == 0 && se.delta) {
			const struct pc_sip_header *sup =
				pc_sip_msg_find(mp, PC_SIP_HDR_SUPPORTED, NULL);
			bool uac_timer = false, uac_refreshes;

			for (; sup; sup = pc_sip_msg_find(mp, PC_SIP_HDR_SUPPORTED, sup))
				if (pc_sip_list_has_token(sup->value.p, sup->value.len, "timer"))
					uac_timer = true;
			/* RFC 4028 9: a caller without "timer" support cannot refresh (a proxy put
			 * the header in): we refresh, and require nothing of it. */
			uac_refreshes = uac_timer && se.refresher != PC_SIP_REFRESHER_UAS;
			snprintf(extra, sizeof(extra), "Session-Expires: %u;refresher=%s\r\n%s",
				 (unsigned)se.delta, uac_refreshes ? "uac" : "uas",
				 uac_timer ? "Require: timer\r\n" : "");
			session_timer_start(ua, c, se.delta, !uac_refreshes);
		}
	}
	r.extra = extra;
	r.totag = c->d.ltag;
	r.body = ua->body;
	r.bodylen = blen;
	rc = build_response(ua, mp, &r, &len);
	if (rc < 0)
		return rc;
	rc = pc_sip_txn_respond(c->inv_stx, ua->buf, len, ua->now);
	if (rc < 0)
		return rc;
	c->inv_stx = NULL; /* answered: the transaction absorbs what follows by itself */
	start_2xx_retx(ua, c, len, mp->cseq);
	c->offer_in_2xx = !c->inv_has_offer;
	c->state = CS_ACTIVE;
	c->answer_at = c->noanswer_at = NEVER;
	ua->stats.calls_answered++;
	return 0;
}

static void incoming_invite(struct pc_sip_ua *ua, struct pc_sip_txn *t, const struct pc_sip_msg *m,
			    const struct ua_peer *peer)
{
	struct acct *a = acct_for(ua, m);
	struct call *c, *replaced = NULL;
	char scratch[512];
	size_t n;
	const char *v;

	if (!a) {
		respond_simple(ua, t, m, 404, NULL);
		return;
	}
	/* RFC 3891: an INVITE with Replaces takes over one of our dialogs. */
	v = hdr_value(m, "Replaces", &n);
	if (v) {
		struct pc_sip_replaces rp;

		if (n >= sizeof(scratch) || pc_sip_replaces_parse(&rp, v, n, NULL, 0) < 0) {
			respond_simple(ua, t, m, 400, NULL);
			return;
		}
		for (struct call *o = cid_first(ua, rp.call_id); o; o = o->cid_next) {
			if (o->state == CS_FREE || !sl_eq_str(rp.call_id, o->d.call_id) ||
			    !sl_eq_str(rp.to_tag, o->d.ltag) || !sl_eq_str(rp.from_tag, o->d.rtag))
				continue;
			replaced = o;
		}
		/* RFC 3891 3: 481 when no dialog matches, or it is an early dialog we did not
		 * start (ringing here); 486 for early-only once it is confirmed. */
		if (!replaced || replaced->state == CS_ENDING || replaced->state == CS_INCOMING) {
			respond_simple(ua, t, m, 481, NULL);
			return;
		}
		if (rp.early_only && replaced->state == CS_ACTIVE) {
			respond_simple(ua, t, m, 486, NULL);
			return;
		}
	}
	c = call_new(ua, (unsigned)(a - ua->acct), false);
	if (!c) {
		respond_simple(ua, t, m, 486, NULL);
		return;
	}
	ua->stats.calls_in++;
	c->inv_stx = t;
	pc_sip_txn_set_user(t, c); /* a server transaction's user is its call */
	if (!dialog_from_request(c, m)) {
		/* No usable Contact (none, '*'), or a Call-ID, tag, URI or route set larger
		 * than a dialog keeps: refused rather than kept cut. */
		respond_simple(ua, t, m, 400, NULL);
		call_end(ua, c, 400, "unusable INVITE");
		return;
	}
	call_link_cid(ua, c);
	c->d.confirmed = false;
	{
		/* RFC 4028 5: an interval below our Min-SE is refused with 422. */
		struct pc_sip_session_expires se;
		uint32_t min_se = a->c.min_se_s ? a->c.min_se_s : 90;
		size_t sn;
		const char *sv = hdr_value(m, "Session-Expires", &sn);

		if (!sv)
			sv = hdr_value(m, "x", &sn);
		if (sv && pc_sip_session_expires_parse(&se, sv, sn, NULL, 0) == 0 &&
		    se.delta < min_se) {
			char extra[40];

			snprintf(extra, sizeof(extra), "Min-SE: %u\r\n", (unsigned)min_se);
			respond(ua, t, m,
				&(struct resp_args){
					.code = 422, .totag = c->d.ltag, .extra = extra });
			call_end(ua, c, 422, "session interval too small");
			return;
		}
	}
	c->inv_has_offer = has_sdp(m);
	c->ok_peer = *peer; /* our 2xx is retransmitted where the INVITE came from */

	if (replaced) {
		c->replaces_call = replaced->num;
		respond_simple(ua, t, m, 180, c->d.ltag);
		emit(ua, PC_SIP_UA_EV_INCOMING, c, 0, "replaces");
		if (answer_call(ua, c) == 0) {
			struct pc_sip_ua_event ev = { .type = PC_SIP_UA_EV_REPLACED,
						      .call = replaced->num,
						      .account = replaced->acct + 1,
						      .other_call = c->num,
						      .peer = c->peer,
						      .reason = "" };

			if (ua->conf.on_event)
				ua->conf.on_event(ua->conf.arg, &ev);
			if (replaced->state == CS_ACTIVE)
				send_bye(ua, replaced);
			else
				call_end(ua, replaced, 200, "replaced");
		}
		return;
	}
	if (a->c.always_fwd[0]) {
		forward_302(ua, t, m, c, a->c.always_fwd);
		return;
	}
	if (a->c.dnd) {
		unsigned code = a->c.dnd_code ? a->c.dnd_code : 480;

		respond_simple(ua, t, m, code, c->d.ltag);
		call_end(ua, c, code, "do not disturb");
		return;
	}
	if (active_calls(ua, c) > 0 && !ua->conf.call_waiting) {
		unsigned code = a->c.busy_code ? a->c.busy_code : 486;

		if (a->c.busy_fwd[0]) {
			forward_302(ua, t, m, c, a->c.busy_fwd);
			return;
		}
		respond_simple(ua, t, m, code, c->d.ltag);
		call_end(ua, c, code, "busy");
		return;
	}
	respond_simple(ua, t, m, 180, c->d.ltag);
	emit(ua, PC_SIP_UA_EV_INCOMING, c, 0, active_calls(ua, c) ? "waiting" : NULL);
	if (a->c.auto_answer && active_calls(ua, c) == 0)
		c->answer_at = ua->now + a->c.auto_answer_ms;
	arm(ua, c->answer_at);
	if (a->c.noanswer_fwd[0])
		c->noanswer_at = ua->now + (a->c.noanswer_ms ? a->c.noanswer_ms : 12000);
	arm(ua, c->noanswer_at);
}

static void incoming_reinvite(struct pc_sip_ua *ua, struct call *c, struct pc_sip_txn *t,
			      const struct pc_sip_msg *m, const struct ua_peer *peer)
{
	struct acct *a = &ua->acct[c->acct];
	struct resp_args r = {
		.code = 200, .contact = true, .a = a, .totag = c->d.ltag, .tp = peer->tp
	};
	size_t blen = 0, len;
	bool ok = true;

	if (c->reinvite_pending || c->inv_stx || c->state != CS_ACTIVE) {
		/* 14.2: one offer at a time (an early dialog's offer is pending too). */
		respond_simple(ua, t, m, 491, NULL);
		return;
	}
	if (pc_sip_msg_find(m, PC_SIP_HDR_CONTACT, NULL) && !remote_target(&c->d, m)) {
		respond_simple(ua, t, m, 400, NULL); /* Contact '*' or too long */
		return;
	}
	if (has_sdp(m)) {
		if (sdp_answer(ua, c, m, &blen, &ok) < 0 || !ok) {
			respond_simple(ua, t, m, 488, NULL);
			return;
		}
	} else {
		/* A refresh without an offer: offer the same session again. */
		if (pc_sdp_neg_offer(c->neg, c->local_hold, ua->body, sizeof(ua->body), &blen, NULL,
				     0) < 0)
			blen = 0;
	}
	r.ctype = blen ? "application/sdp" : NULL;
	r.body = ua->body;
	r.bodylen = blen;
	if (build_response(ua, m, &r, &len) == 0 &&
	    pc_sip_txn_respond(t, ua->buf, len, ua->now) == 0) {
		start_2xx_retx(ua, c, len, m->cseq);
		c->ok_peer = *peer;
		c->offer_in_2xx = !has_sdp(m) && blen > 0;
	}
	if (c->se_secs)
		session_timer_start(ua, c, c->se_secs, c->se_we_refresh);
}

static void incoming_refer(struct pc_sip_ua *ua, struct call *c, struct pc_sip_txn *t,
			   const struct pc_sip_msg *m)
{
	struct pc_sip_refer_to rt;
	char scratch[512];
	struct call *n;
	size_t len;
	const struct pc_sip_header *h = pc_sip_msg_find(m, PC_SIP_HDR_REFER_TO, NULL);
	struct acct *a = &ua->acct[c->acct];

	if (!h || pc_sip_refer_to_parse(&rt, h->value.p, h->value.len, scratch, sizeof(scratch),
					NULL, 0) < 0) {
		respond_simple(ua, t, m, 400, NULL);
		return;
	}
	if (rt.target.uri.scheme != PC_SIP_SCHEME_SIP &&
	    rt.target.uri.scheme != PC_SIP_SCHEME_SIPS) {
		/* We can only be referred to SIP: anything else is refused up front. */
		respond_simple(ua, t, m, 416, NULL);
		return;
	}
	respond(ua, t, m,
		&(struct resp_args){ .code = 202,
				     .contact = true,
				     .a = a,
				     .totag = c->d.ltag,
				     .tp = call_tp(ua, c) });
	c->notify_active = true;
	send_notify_frag(ua, c, 100, false);

	n = call_new(ua, c->acct, true);
	if (!n) {
		send_notify_frag(ua, c, 503, true);
		return;
	}
	rand_hex(n->d.call_id, 24);
	call_link_cid(ua, n);
	snprintf(n->d.luri, sizeof(n->d.luri), "sip:%s@%s", a->c.user, a->aor_host);
	/* The target URI without its headers (Replaces goes in a header of its own). */
	len = rt.target.uri_s.len;
	for (size_t i = 0; i < rt.target.uri_s.len; i++)
		if (rt.target.uri_s.p[i] == '?') {
			len = i;
			break;
		}
	sl_copy(n->d.ruri, sizeof(n->d.ruri), (struct pc_sip_slice){ rt.target.uri_s.p, len });
	memcpy(n->peer, n->d.ruri, sizeof(n->peer));
	if (rt.has_replaces)
		snprintf(n->replaces_hdr, sizeof(n->replaces_hdr), "%.*s;to-tag=%.*s;from-tag=%.*s",
			 (int)rt.replaces.call_id.len, rt.replaces.call_id.p,
			 (int)rt.replaces.to_tag.len, rt.replaces.to_tag.p,
			 (int)rt.replaces.from_tag.len, rt.replaces.from_tag.p);
	n->refer_parent = c->num;
	{
		struct pc_sip_ua_event ev = { .type = PC_SIP_UA_EV_TRANSFER_REQ,
					      .call = c->num,
					      .account = c->acct + 1,
					      .other_call = n->num,
					      .peer = n->peer,
					      .reason = rt.has_replaces ? "attended" : "blind" };

		if (ua->conf.on_event)
			ua->conf.on_event(ua->conf.arg, &ev);
	}
	if (send_invite(ua, n, NULL, NULL) < 0) {
		n->refer_parent = 0;
		call_end(ua, n, 503, "cannot call the transfer target");
		send_notify_frag(ua, c, 503, true);
		return;
	}
	ua->stats.calls_out++;
}

static void incoming_notify(struct pc_sip_ua *ua, struct call *c, struct pc_sip_txn *t,
			    const struct pc_sip_msg *m)
{
	struct pc_sip_substate_hdr ss;
	unsigned code = 0;
	size_t n;
	const char *v;
	bool terminated = false;
	const struct pc_sip_header *eh = pc_sip_msg_find(m, PC_SIP_HDR_EVENT, NULL);
	struct pc_sip_event ev;

	/* RFC 6665 8.2.1 / RFC 3515: only the implicit subscription of a REFER we sent. */
	if (!eh || pc_sip_event_parse(&ev, eh->value.p, eh->value.len, NULL, 0) < 0 ||
	    !sl_ieq(ev.package, "refer") || !c->refer_sent) {
		respond_simple(ua, t, m, 489, NULL);
		return;
	}
	respond_simple(ua, t, m, 200, NULL);
	/* The body is a sipfrag status line: "SIP/2.0 200 OK". */
	if (m->body.len >= 12 && strncasecmp(m->body.p, "SIP/2.0 ", 8) == 0 &&
	    m->body.p[8] >= '1' && m->body.p[8] <= '6' && m->body.p[9] >= '0' &&
	    m->body.p[9] <= '9' && m->body.p[10] >= '0' && m->body.p[10] <= '9')
		code = (unsigned)(m->body.p[8] - '0') * 100 + (unsigned)(m->body.p[9] - '0') * 10 +
		       (unsigned)(m->body.p[10] - '0');
	v = hdr_value(m, "Subscription-State", &n);
	if (v && pc_sip_substate_parse(&ss, v, n, NULL, 0) == 0)
		terminated = ss.state == PC_SIP_SUBSTATE_TERMINATED;
	emit(ua, PC_SIP_UA_EV_NOTIFY, c, code, terminated ? "terminated" : "active");
	if (c->refer_sent && code >= 200 && code < 300) {
		c->refer_sent = false;
		emit(ua, PC_SIP_UA_EV_TRANSFERRED, c, code, "transferred");
		/* VP530: the transferor leaves once the target answered. */
		if (c->state == CS_ACTIVE)
			send_bye(ua, c);
	}
}

static void send_stateless(struct pc_sip_ua *ua, const struct pc_sip_msg *m, unsigned code,
			   const struct ua_peer *peer, const char *extra)
{
	struct resp_args r = { .code = code, .extra = extra };
	char tag[UA_TAG];
	size_t len;

	rand_hex(tag, 12);
	r.totag = tag;
	if (build_response(ua, m, &r, &len) == 0)
		send_to(ua, peer, ua->buf, len);
	ua->stats.stateless_replies++;
}

static void on_request(void *ctx, struct pc_sip_txn *t, const struct pc_sip_msg *m, const void *buf,
		       size_t len, const void *peerp)
{
	struct pc_sip_ua *ua = ctx;
	const struct ua_peer *peer = peerp;
	struct pc_sip_name_addr to;
	bool has_totag;
	struct call *c;

	(void)buf;
	(void)len;
	has_totag = pc_sip_msg_name_addr(m, PC_SIP_HDR_TO, &to, NULL, 0) == 0 && to.has_tag;

	if (!t) {
		/* An ACK outside any transaction: the ACK of our 2xx. */
		c = call_for_request(ua, m);
		if (!c)
			return;
		if (m->cseq == c->ok_cseq) {
			c->ok_retx_at = c->ok_giveup_at = NEVER;
			if (c->bye_after_ack) {
				/* Hung up already: the BYE the ACK was awaited for, and no media
				 * or ESTABLISHED for a call the phone has left. */
				c->bye_after_ack = false;
				c->offer_in_2xx = false;
				c->d.confirmed = true;
				send_bye(ua, c);
				return;
			}
			if (c->offer_in_2xx && has_sdp(m))
				sdp_complete(ua, c, m);
			c->offer_in_2xx = false;
			if (!c->d.confirmed) {
				c->d.confirmed = true;
				emit(ua, PC_SIP_UA_EV_ESTABLISHED, c, 200, NULL);
			}
		}
		return;
	}

	if (sl_ieq(m->method, "CANCEL")) {
		struct pc_sip_txn *inv = pc_sip_txn_find_cancelled(ua->txn, m);

		if (!inv) {
			respond_simple(ua, t, m, 481, NULL);
			return;
		}
		respond_simple(ua, t, m, 200, NULL);
		c = pc_sip_txn_user(inv);
		{
			if (c && c->state == CS_INCOMING && c->inv_stx == inv) {
				const void *req;
				size_t rl;
				struct pc_sip_msg *im = &ua->req_msg;

				req = pc_sip_txn_request(inv, &rl);
				if (pc_sip_msg_parse(im, req, rl, NULL, 0) == 0)
					respond_simple(ua, inv, im, 487, c->d.ltag);
				call_end(ua, c, 487, "cancelled");
			}
		}
		return;
	}
	if (sl_ieq(m->method, "OPTIONS")) {
		respond(ua, t, m,
			&(struct resp_args){ .code = 200, .extra = "Accept: application/sdp\r\n" });
		return;
	}

	if (!has_totag) {
		if (sl_ieq(m->method, "INVITE")) {
			incoming_invite(ua, t, m, peer);
			return;
		}
		if (sl_ieq(m->method, "MESSAGE")) {
			respond_simple(ua, t, m, 200, NULL);
			return;
		}
		if (sl_ieq(m->method, "REGISTER")) {
			respond_simple(ua, t, m, 405, NULL);
			return;
		}
		respond_simple(ua, t, m, 481, NULL);
		return;
	}

	c = call_for_request(ua, m);
	if (!c) {
		respond_simple(ua, t, m, 481, NULL);
		return;
	}
	/* 12.2.2: a CSeq lower than the last one is out of order. */
	if (c->d.rcseq_set && m->cseq < c->d.rcseq) {
		respond_simple(ua, t, m, 500, NULL);
		return;
	}
	c->d.rcseq = m->cseq;
	c->d.rcseq_set = true;
	if (sl_ieq(m->method, "BYE")) {
		respond_simple(ua, t, m, 200, NULL);
		if (c->state == CS_INCOMING && c->inv_stx) {
			const void *req;
			size_t rl;
			struct pc_sip_msg *im = &ua->req_msg;

			req = pc_sip_txn_request(c->inv_stx, &rl);
			if (pc_sip_msg_parse(im, req, rl, NULL, 0) == 0)
				respond_simple(ua, c->inv_stx, im, 487, c->d.ltag);
		}
		call_end(ua, c, 200, "remote hung up");
		return;
	}
	if (sl_ieq(m->method, "INVITE")) {
		incoming_reinvite(ua, c, t, m, peer);
		return;
	}
	if (sl_ieq(m->method, "UPDATE")) {
		struct resp_args r = {
			.code = 200, .contact = true, .a = &ua->acct[c->acct], .tp = peer->tp
		};
		size_t blen = 0;
		bool ok = true;

		/* RFC 3311: an UPDATE may carry an offer (answered in the 200) and refreshes
		 * the target. */
		if (c->reinvite_pending) {
			respond_simple(ua, t, m, 491, NULL);
			return;
		}
		if (pc_sip_msg_find(m, PC_SIP_HDR_CONTACT, NULL) && !remote_target(&c->d, m)) {
			respond_simple(ua, t, m, 400, NULL);
			return;
		}
		if (has_sdp(m) && (sdp_answer(ua, c, m, &blen, &ok) < 0 || !ok)) {
			respond_simple(ua, t, m, 488, NULL);
			return;
		}
		if (blen) {
			r.ctype = "application/sdp";
			r.body = ua->body;
			r.bodylen = blen;
		}
		respond(ua, t, m, &r);
		if (c->se_secs)
			session_timer_start(ua, c, c->se_secs, c->se_we_refresh);
		return;
	}
	if (sl_ieq(m->method, "REFER")) {
		incoming_refer(ua, c, t, m);
		return;
	}
	if (sl_ieq(m->method, "NOTIFY")) {
		incoming_notify(ua, c, t, m);
		return;
	}
	if (sl_ieq(m->method, "INFO") || sl_ieq(m->method, "MESSAGE")) {
		respond_simple(ua, t, m, 200, NULL);
		return;
	}
	respond_simple(ua, t, m, 405, NULL);
}

/* ---- the transport's receive handler ---------------------------------------------------- */

/* The parts of a request the UA reads, checked against their grammar (the message parser checks
 * framing and the single-value headers): the Request-URI, From, To and every Contact. */
static bool request_grammar_ok(const struct pc_sip_msg *m)
{
	struct pc_sip_uri u;
	struct pc_sip_name_addr na;
	struct pc_sip_hdr_iter it;
	struct pc_sip_slice e;
	int rc;

	if (pc_sip_uri_parse(&u, m->uri.p, m->uri.len, NULL, 0) < 0)
		return false;
	/* 19.1.5: headers belong in a URI one sends to, never in a Request-URI. */
	if (u.nheaders > 0)
		return false;
	if (pc_sip_msg_name_addr(m, PC_SIP_HDR_FROM, &na, NULL, 0) < 0 ||
	    pc_sip_msg_name_addr(m, PC_SIP_HDR_TO, &na, NULL, 0) < 0)
		return false;
	pc_sip_hdr_iter_init(&it, m, PC_SIP_HDR_CONTACT);
	while ((rc = pc_sip_hdr_iter_next(&it, &e, NULL, 0)) == 1)
		if (pc_sip_name_addr_parse(&na, e.p, e.len, NULL, 0) < 0)
			return false;
	return rc == 0;
}

static void on_recv(void *arg, const struct pc_sip_rx *rx)
{
	struct pc_sip_ua *ua = arg;
	struct pc_sip_msg *mp = &ua->rx_msg;
	struct pc_sip_uas_verdict v;
	struct ua_peer peer = { .tp = rx->tp, .conn = rx->conn, .addr = rx->src };
	int rc;

	ua->stats.rx_msgs++;
	trace(ua, "<-", &peer, rx->buf, rx->len);
	rc = pc_sip_msg_parse(mp, rx->buf, rx->len, NULL, 0);
	if (pc_sip_uas_verdict(mp, rc, &v) < 0)
		return;
	switch (v.action) {
	case PC_SIP_UAS_PROCESS:
		break;
	case PC_SIP_UAS_NOT_REQUEST:
		if (rc < 0) {
			ua->stats.rx_bad++;
			return;
		}
		break;
	case PC_SIP_UAS_DROP:
		if (rc == 0 && mp->is_request && sl_ieq(mp->method, "ACK"))
			break; /* a good ACK goes to its dialog */
		ua->stats.rx_bad++;
		return;
	case PC_SIP_UAS_RESPOND: {
		char extra[512] = "";
		struct pc_sip_pb pb;

		/* Bounded: the tags come from the peer (a Require of long unknown tags); room for
		 * the final CRLF and NUL is kept out of the builder. */
		pc_sip_pb_init(&pb, extra, sizeof(extra) - 3);
		if (v.accept)
			pc_sip_pb_printf(&pb, "Accept: %s\r\n", v.accept);
		if (v.status == 420 && v.nunsupported) {
			pc_sip_pb_printf(&pb, "Unsupported: ");
			for (unsigned i = 0; i < v.nunsupported && i < PC_SIP_UAS_MAX_UNSUPPORTED;
			     i++) {
				struct pc_sip_pb save = pb;

				if (pc_sip_pb_printf(&pb, "%s%.*s", i ? ", " : "",
						     (int)v.unsupported[i].len,
						     v.unsupported[i].p) < 0) {
					pb = save; /* the tags that fit; the rest left out */
					break;
				}
			}
			if (!pb.err) {
				memcpy(extra + pb.len, "\r\n", 2);
				pb.len += 2;
			}
		}
		extra[pb.err ? 0 : pb.len] = 0;
		if (rc < 0)
			ua->stats.rx_bad++;
		send_stateless(ua, mp, v.status, &peer, extra[0] ? extra : NULL);
		return;
	}
	}
	if (mp->is_request && mp->msg_len > UA_REQ_MAX) {
		ua->stats.rx_bad++;
		if (!sl_ieq(mp->method, "ACK"))
			send_stateless(ua, mp, 513, &peer, NULL);
		return;
	}
	if (mp->is_request && !request_grammar_ok(mp)) {
		/* RFC 3261 8.2 / 21.4.1: a request whose URIs or name-addrs break the grammar. */
		ua->stats.rx_bad++;
		if (!sl_ieq(mp->method, "ACK"))
			send_stateless(ua, mp, 400, &peer, NULL);
		return;
	}
	rc = pc_sip_txn_receive_msg(ua->txn, mp, rx->buf, mp->msg_len ? mp->msg_len : rx->len,
				    &peer, rx->tp != PC_SIP_TP_UDP, ua->now);
	if (rc == -ENOSPC)
		send_stateless(ua, mp, 503, &peer, NULL);
	else if (rc == -EBADMSG && mp->is_request && !sl_ieq(mp->method, "ACK"))
		send_stateless(ua, mp, 400, &peer, NULL);
}

/* ---- registration ----------------------------------------------------------------------- */

static int send_register(struct pc_sip_ua *ua, unsigned i, uint32_t expires)
{
	struct acct *a = &ua->acct[i];
	struct req_args r = { .method = "REGISTER", .contact = true };
	char extra[64], ruri[PC_SIP_UA_STR], auth_value[1024], auth_hdr[1100];
	struct uac_req *rq;
	size_t len;
	int rc;

	if (!a->proxy_ok)
		return -EHOSTUNREACH;
	if (!a->reg.call_id[0]) {
		rand_hex(a->reg.call_id, 24);
		rand_hex(a->reg.ltag, 12);
		a->reg.lcseq = 1;
		char aor[UA_URI];

		snprintf(aor, sizeof(aor), "sip:%s@%s", a->c.user, a->aor_host);
		memcpy(a->reg.luri, aor, sizeof(aor));
		memcpy(a->reg.ruri, aor, sizeof(aor));
	}
	a->expires = expires;
	snprintf(extra, sizeof(extra), "Expires: %u\r\n", expires);
	snprintf(ruri, sizeof(ruri), "sip:%s", a->c.domain);
	r.extra = extra;
	r.ruri = ruri;
	if (a->chal_len) {
		/* Reuse the last nonce with the next nonce count; a registrar that wants a new one
		 * answers 401 (stale or not), and that is answered as usual. */
		struct pc_sip_auth_challenge ch;
		struct pc_sip_auth_account acc = { pc_sip_cstr(a->c.auth_user[0] ? a->c.auth_user :
										   a->c.user),
						   pc_sip_cstr(a->c.password) };

		if (pc_sip_auth_challenge_parse(&ch, a->chal, a->chal_len, NULL, 0) == 0 &&
		    pc_sip_auth_client_authorize(ua->auth, &ch, &acc, pc_sip_cstr("REGISTER"),
						 pc_sip_cstr(ruri),
						 (struct pc_sip_slice){ NULL, 0 }, 0, auth_value,
						 sizeof(auth_value), NULL) == 0) {
			snprintf(auth_hdr, sizeof(auth_hdr), "%s: %s",
				 a->chal_proxy ? "Proxy-Authorization" : "Authorization",
				 auth_value);
			r.auth_hdr = auth_hdr;
		}
	}
	rc = build_request(ua, a, &a->reg, &r, a->proxy.tp, &len);
	if (rc < 0)
		return rc;
	rq = req_new(ua, RK_REGISTER, 0, i);
	if (!rq)
		return -ENOSPC;
	a->reg_pending = true;
	a->reg_at = NEVER;
	rc = start_client(ua, rq, len, &a->proxy, NULL);
	if (rc < 0) {
		/* No timer may stay in the past: try again after the retry interval. */
		a->reg_pending = false;
		a->reg_at = ua->now + (a->c.retry_s ? a->c.retry_s : 30) * 1000ull;
		arm(ua, a->reg_at);
	}
	return rc;
}

int pc_sip_ua_register(struct pc_sip_ua *ua, unsigned account)
{
	if (!ua || account < 1 || account > ua->conf.naccounts)
		return -EINVAL;
	ua->now = mono_ms();
	return send_register(ua, account - 1,
			     ua->acct[account - 1].c.expires_s ? ua->acct[account - 1].c.expires_s :
								 3600);
}

int pc_sip_ua_unregister(struct pc_sip_ua *ua, unsigned account)
{
	if (!ua || account < 1 || account > ua->conf.naccounts)
		return -EINVAL;
	ua->now = mono_ms();
	return send_register(ua, account - 1, 0);
}

/* ---- actions ---------------------------------------------------------------------------- */

int pc_sip_ua_answer(struct pc_sip_ua *ua, unsigned num)
{
	struct call *c = ua ? call_by_num(ua, num) : NULL;

	if (!c)
		return -ENOENT;
	ua->now = mono_ms();
	return answer_call(ua, c);
}

int pc_sip_ua_reject(struct pc_sip_ua *ua, unsigned num, unsigned code)
{
	struct call *c = ua ? call_by_num(ua, num) : NULL;
	struct pc_sip_msg *mp;
	const void *req;
	size_t len;

	if (!c)
		return -ENOENT;
	mp = &ua->req_msg;
	if (c->state != CS_INCOMING || !c->inv_stx)
		return -EPROTO;
	if (code < 300 || code > 699)
		code = 486;
	ua->now = mono_ms();
	req = pc_sip_txn_request(c->inv_stx, &len);
	if (pc_sip_msg_parse(mp, req, len, NULL, 0) == 0)
		respond_simple(ua, c->inv_stx, mp, code, c->d.ltag);
	call_end(ua, c, code, "rejected");
	return 0;
}

int pc_sip_ua_hangup(struct pc_sip_ua *ua, unsigned num)
{
	struct call *c = ua ? call_by_num(ua, num) : NULL;

	if (!c)
		return -ENOENT;
	ua->now = mono_ms();
	switch (c->state) {
	case CS_INCOMING:
		return pc_sip_ua_reject(ua, num, 486);
	case CS_CALLING:
	case CS_RINGING:
		/* 9.1: CANCEL once a provisional came; before that, when it comes. */
		c->cancel_pending = true;
		c->state = CS_ENDING;
		c->end_at = ua->now + 64000;
		arm(ua, c->end_at);
		if (c->got_provisional) {
			c->cancel_pending = false;
			if (c->inv_ctx)
				pc_sip_txn_abandon(c->inv_ctx, ua->now);
			return send_cancel(ua, c);
		}
		return 0;
	case CS_ACTIVE:
		if (c->ok_msg && c->ok_retx_at != NEVER) {
			/* RFC 3261 15: no BYE before the ACK of our 2xx, or before its
			 * retransmissions give up (which then sends the BYE). Ending from
			 * now on: no other action is taken on it. */
			c->bye_after_ack = true;
			c->state = CS_ENDING;
			return 0;
		}
		return send_bye(ua, c);
	default:
		return -EPROTO;
	}
}

static int reinvite(struct pc_sip_ua *ua, struct call *c, bool hold, bool refresh)
{
	struct req_args r = { .method = "INVITE", .contact = true, .ctype = "application/sdp" };
	struct acct *a = &ua->acct[c->acct];
	struct ua_peer hop;
	struct uac_req *rq;
	size_t blen, len;
	int rc;

	if (c->state != CS_ACTIVE)
		return -EPROTO;
	if (c->reinvite_pending || c->inv_stx)
		return -EBUSY;
	rc = pc_sdp_neg_offer(c->neg, hold, ua->body, sizeof(ua->body), &blen, NULL, 0);
	if (rc < 0)
		return rc;
	r.body = ua->body;
	r.bodylen = blen;
	char se_hdr[96];

	if (c->se_secs) {
		/* RFC 4028 7.4: every re-INVITE keeps the session timer going; the refresher
		 * stays who it was (uac: the sender of this request). */
		snprintf(se_hdr, sizeof(se_hdr), "Session-Expires: %u;refresher=%s\r\n",
			 (unsigned)c->se_secs, c->se_we_refresh ? "uac" : "uas");
		r.extra = se_hdr;
	}
	rc = next_hop(a, &c->d, c->d.target, &hop);
	if (rc < 0)
		return rc;
	rc = build_request(ua, a, &c->d, &r, hop.tp, &len);
	if (rc < 0)
		return rc;
	rq = req_new(ua, RK_REINVITE, c->num, c->acct);
	if (!rq)
		return -ENOSPC;
	rq->hold = hold;
	rq->refresh = refresh;
	c->reinvite_pending = true;
	rc = start_client(ua, rq, len, &hop, NULL);
	if (rc < 0)
		c->reinvite_pending = false;
	return rc;
}

int pc_sip_ua_hold(struct pc_sip_ua *ua, unsigned num)
{
	struct call *c = ua ? call_by_num(ua, num) : NULL;

	if (!c)
		return -ENOENT;
	ua->now = mono_ms();
	return reinvite(ua, c, true, false);
}

int pc_sip_ua_resume(struct pc_sip_ua *ua, unsigned num)
{
	struct call *c = ua ? call_by_num(ua, num) : NULL;

	if (!c)
		return -ENOENT;
	ua->now = mono_ms();
	return reinvite(ua, c, false, false);
}

static int send_refer(struct pc_sip_ua *ua, struct call *c, const char *refer_to)
{
	struct acct *a = &ua->acct[c->acct];
	char extra[2600];
	struct req_args r = { .method = "REFER", .contact = true };

	snprintf(extra, sizeof(extra), "Refer-To: %s\r\nReferred-By: <sip:%s@%s>\r\n", refer_to,
		 a->c.user, a->aor_host);
	r.extra = extra;
	c->refer_sent = true;
	return dialog_request(ua, c, RK_REFER, &r, NULL);
}

int pc_sip_ua_transfer(struct pc_sip_ua *ua, unsigned num, const char *target)
{
	struct call *c = ua ? call_by_num(ua, num) : NULL;
	char uri[PC_SIP_UA_STR], refer_to[PC_SIP_UA_STR + 4];

	if (!c)
		return -ENOENT;
	if (c->state != CS_ACTIVE)
		return -EPROTO;
	ua->now = mono_ms();
	if (target_uri(&ua->acct[c->acct], target, uri, sizeof(uri)) < 0)
		return -EINVAL;
	snprintf(refer_to, sizeof(refer_to), "<%s>", uri);
	return send_refer(ua, c, refer_to);
}

/* Appends @s %-escaped as a URI header value (RFC 3261 25.1 hnv-unreserved / unreserved). */
static void escape_hvalue(char *out, size_t size, const char *s)
{
	size_t n = strlen(out);

	for (; *s && n + 4 < size; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-_.!~*'()[]/?:+$", ch)) {
			out[n++] = (char)ch;
		} else {
			snprintf(out + n, size - n, "%%%02X", ch);
			n += 3;
		}
	}
	out[n] = 0;
}

int pc_sip_ua_transfer_replace(struct pc_sip_ua *ua, unsigned num, unsigned other)
{
	struct call *c = ua ? call_by_num(ua, num) : NULL;
	struct call *o = ua ? call_by_num(ua, other) : NULL;
	char rep[640], refer_to[2400];

	if (!c || !o)
		return -ENOENT;
	if (c->state != CS_ACTIVE || (o->state != CS_ACTIVE && o->state != CS_RINGING))
		return -EPROTO;
	/* Replaces names the target's dialog by its tag: not known before the target answers
	 * with a tag (a 180 without one leaves nothing to replace yet). */
	if (!o->d.rtag[0])
		return -EAGAIN;
	ua->now = mono_ms();
	/* RFC 3891: to-tag and from-tag as the target sees its dialog: its tag is our remote. */
	snprintf(rep, sizeof(rep), "%s;to-tag=%s;from-tag=%s", o->d.call_id, o->d.rtag, o->d.ltag);
	snprintf(refer_to, sizeof(refer_to), "<%s?Replaces=", o->d.ruri);
	escape_hvalue(refer_to, sizeof(refer_to) - 2, rep);
	strncat(refer_to, ">", sizeof(refer_to) - strlen(refer_to) - 1);
	return send_refer(ua, c, refer_to);
}

enum pc_sip_ua_call_state pc_sip_ua_call_state(const struct pc_sip_ua *ua, unsigned num)
{
	const struct call *c = ua ? call_by_num((struct pc_sip_ua *)ua, num) : NULL;

	if (c) {
		switch (c->state) {
		case CS_CALLING:
			return PC_SIP_UA_CALL_CALLING;
		case CS_RINGING:
			return PC_SIP_UA_CALL_RINGING;
		case CS_INCOMING:
			return PC_SIP_UA_CALL_INCOMING;
		case CS_ACTIVE:
			return PC_SIP_UA_CALL_ACTIVE;
		case CS_ENDING:
			return PC_SIP_UA_CALL_ENDING;
		default:
			break;
		}
	}
	return num && ua && num <= ua->next_call ? PC_SIP_UA_CALL_ENDED : PC_SIP_UA_CALL_NONE;
}

const char *pc_sip_ua_ev_name(enum pc_sip_ua_ev_type t)
{
	static const char *const names[] = {
		[PC_SIP_UA_EV_REGISTERED] = "registered",
		[PC_SIP_UA_EV_REG_FAILED] = "reg-failed",
		[PC_SIP_UA_EV_INCOMING] = "incoming",
		[PC_SIP_UA_EV_RINGING] = "ringing",
		[PC_SIP_UA_EV_ESTABLISHED] = "established",
		[PC_SIP_UA_EV_MEDIA] = "media",
		[PC_SIP_UA_EV_HELD] = "held",
		[PC_SIP_UA_EV_RESUMED] = "resumed",
		[PC_SIP_UA_EV_HOLD_OK] = "hold-ok",
		[PC_SIP_UA_EV_RESUME_OK] = "resume-ok",
		[PC_SIP_UA_EV_REDIRECTED] = "redirected",
		[PC_SIP_UA_EV_FORWARDED] = "forwarded",
		[PC_SIP_UA_EV_TRANSFER_REQ] = "transfer-req",
		[PC_SIP_UA_EV_NOTIFY] = "notify",
		[PC_SIP_UA_EV_TRANSFERRED] = "transferred",
		[PC_SIP_UA_EV_REPLACED] = "replaced",
		[PC_SIP_UA_EV_ENDED] = "ended",
	};

	return (unsigned)t < sizeof(names) / sizeof(names[0]) && names[t] ? names[t] : "?";
}

void pc_sip_ua_stats(const struct pc_sip_ua *ua, struct pc_sip_ua_stats *out)
{
	if (ua && out)
		*out = ua->stats;
}

int pc_sip_ua_watch_wake(struct pc_sip_ua *ua, int fd)
{
	return ua ? pc_sip_transport_watch_wake(ua->tp, fd) : -EINVAL;
}

uint16_t pc_sip_ua_port(const struct pc_sip_ua *ua)
{
	return ua ? ua->port : 0;
}

/* ---- timers ----------------------------------------------------------------------------- */

static uint64_t ua_timers(struct pc_sip_ua *ua)
{
	uint64_t next = NEVER;

	if (ua->now < ua->timers_due)
		return ua->timers_due;
	ua->timers_due = NEVER;

	for (unsigned i = 0; i < ua->conf.naccounts; i++) {
		struct acct *a = &ua->acct[i];

		if (a->reg_at <= ua->now && !a->reg_pending &&
		    send_register(ua, i, a->c.expires_s ? a->c.expires_s : 3600) < 0 &&
		    a->reg_at <= ua->now) {
			a->reg_at = ua->now + (a->c.retry_s ? a->c.retry_s : 30) * 1000ull;
			arm(ua, a->reg_at);
		}
		if (a->reg_at < next)
			next = a->reg_at;
	}
	for (unsigned i = 0; i < ua->ncalls; i++) {
		struct call *c = &ua->calls[i];

		if (c->state == CS_FREE)
			continue;
		if (c->answer_at <= ua->now) {
			c->answer_at = NEVER;
			answer_call(ua, c);
		}
		if (c->noanswer_at <= ua->now) {
			struct pc_sip_msg *m = &ua->req_msg;
			const void *req;
			size_t len;

			c->noanswer_at = NEVER; /* whatever happens below: never due again */
			if (c->state != CS_INCOMING || !c->inv_stx)
				continue;
			req = pc_sip_txn_request(c->inv_stx, &len);
			if (pc_sip_msg_parse(m, req, len, NULL, 0) == 0)
				forward_302(ua, c->inv_stx, m, c, ua->acct[c->acct].c.noanswer_fwd);
			continue;
		}
		if (c->ok_retx_at <= ua->now && c->ok_msg) {
			/* 13.3.1.4: T1, doubling up to T2, until the ACK. */
			if (c->ok_giveup_at <= ua->now) {
				c->ok_retx_at = c->ok_giveup_at = NEVER;
				c->bye_after_ack = false;
				send_bye(ua, c);
				continue;
			}
			send_to(ua, &c->ok_peer, c->ok_msg, c->ok_len);
			c->ok_interval = c->ok_interval * 2 > t2_ms(ua) ? t2_ms(ua) :
									  c->ok_interval * 2;
			c->ok_retx_at = ua->now + c->ok_interval;
			arm(ua, c->ok_retx_at);
		}
		if (c->glare_at <= ua->now) {
			c->glare_at = NEVER;
			reinvite(ua, c, c->glare_hold, c->glare_refresh);
		}
		if (c->se_refresh_at <= ua->now) {
			c->se_refresh_at = NEVER;
			if (reinvite(ua, c, c->local_hold, true) == -EBUSY) {
				/* Another offer is pending: refresh once it is done. */
				c->se_refresh_at = ua->now + 1000;
				arm(ua, c->se_refresh_at);
			}
		}
		if (c->se_expire_at <= ua->now) {
			c->se_expire_at = NEVER;
			send_bye(ua, c);
		}
		if (c->end_at <= ua->now) {
			call_end(ua, c, 408, "no answer to BYE or CANCEL");
			continue;
		}
		uint64_t t[] = { c->answer_at,	   c->noanswer_at,  c->ok_retx_at, c->glare_at,
				 c->se_refresh_at, c->se_expire_at, c->end_at };
		for (unsigned k = 0; k < sizeof(t) / sizeof(t[0]); k++)
			if (t[k] < next)
				next = t[k];
	}
	/* Timers set during the scan (a BYE's end_at) lowered timers_due already. */
	arm(ua, next);
	return ua->timers_due;
}

int pc_sip_ua_poll(struct pc_sip_ua *ua, int max_wait_ms)
{
	uint64_t next, due;
	int wait, rc;

	if (!ua)
		return -EINVAL;
	ua->now = mono_ms();
	pc_sip_txn_tick(ua->txn, ua->now);
	next = ua_timers(ua);
	due = pc_sip_txn_next_due(ua->txn);
	if (due < next)
		next = due;
	wait = max_wait_ms;
	if (next != NEVER) {
		uint64_t d = next > ua->now ? next - ua->now : 0;

		if (wait < 0 || d < (uint64_t)wait)
			wait = (int)d;
	}
	rc = pc_sip_transport_poll(ua->tp, wait);
	ua->now = mono_ms();
	pc_sip_txn_tick(ua->txn, ua->now);
	ua_timers(ua);
	return rc == -EINTR ? 0 : rc;
}

/* The transport asks for a keep-alive on (@tp, @peer): OPTIONS to the proxy when the account
 * wants it (VP530 nat.udp_update_enable = 2), else the transport's CRLF ping. */
static int on_keepalive(void *arg, enum pc_sip_tp tp, const union pc_sip_addr *peer)
{
	struct pc_sip_ua *ua = arg;

	for (unsigned i = 0; i < ua->conf.naccounts; i++) {
		struct acct *a = &ua->acct[i];
		struct req_args r = { .method = "OPTIONS" };
		struct dlg d;
		struct uac_req *rq;
		size_t len;

		if (!a->c.keepalive_options || !a->proxy_ok || a->proxy.tp != tp ||
		    !pc_sip_addr_equal(&a->proxy.addr, peer))
			continue;
		memset(&d, 0, sizeof(d));
		rand_hex(d.call_id, 24);
		rand_hex(d.ltag, 12);
		d.lcseq = 1;
		memcpy(d.luri, a->reg.luri, sizeof(d.luri));
		snprintf(d.ruri, sizeof(d.ruri), "sip:%s", a->c.domain);
		if (build_request(ua, a, &d, &r, tp, &len) < 0)
			return -ENOSYS;
		rq = req_new(ua, RK_OPTIONS, 0, i); /* its answer needs no handling */
		if (!rq || start_client(ua, rq, len, &a->proxy, NULL) < 0)
			return -ENOSYS;
		return 0;
	}
	return -ENOSYS;
}

struct closed_flow {
	uint32_t conn;
	enum pc_sip_tp tp;
	const union pc_sip_addr *peer;
};

static bool on_flow(const void *peerp, void *arg)
{
	const struct ua_peer *p = peerp;
	const struct closed_flow *f = arg;

	if (p->tp != f->tp)
		return false;
	return (p->conn && p->conn == f->conn) || (f->peer && pc_sip_addr_equal(&p->addr, f->peer));
}

/* A TCP/TLS connection closed or could not be made: the transactions on it fail now (a failed
 * TLS verification ends the call at once instead of after Timer B). */
static void on_close(void *arg, uint32_t conn, enum pc_sip_tp tp, const union pc_sip_addr *peer,
		     int reason)
{
	struct pc_sip_ua *ua = arg;
	struct closed_flow f = { .conn = conn, .tp = tp, .peer = reason ? peer : NULL };

	/* A clean close (idle, or ours) fails nothing still waiting for another connection. */
	if (reason == 0)
		f.peer = NULL;
	ua->now = mono_ms();
	pc_sip_txn_fail_peer(ua->txn, on_flow, &f);
}

/* ---- create / destroy ------------------------------------------------------------------- */

int pc_sip_ua_create(struct pc_sip_ua **out, const struct pc_sip_ua_conf *conf)
{
	struct pc_sip_transport_conf tc = { .on_recv = on_recv,
					    .on_keepalive = on_keepalive,
					    .on_close = on_close };
	struct pc_sip_txn_conf xc = { .peer_size = sizeof(struct ua_peer) };
	struct pc_sip_txn_ops ops = { .send = txn_send,
				      .on_request = on_request,
				      .on_response = on_response,
				      .on_terminated = on_terminated };
	union pc_sip_addr local, bound;
	struct pc_sip_ua *ua;
	int rc;

	if (!out || !conf || conf->naccounts == 0 || conf->naccounts > PC_SIP_UA_MAX_ACCOUNTS)
		return -EINVAL;
	ua = calloc(1, sizeof(*ua));
	if (!ua)
		return -ENOMEM;
	ua->conf = *conf;
	if (!ua->conf.local_ip[0])
		snprintf(ua->conf.local_ip, sizeof(ua->conf.local_ip), "127.0.0.1");
	if (!ua->conf.max_calls)
		ua->conf.max_calls = 8;
	if (!ua->conf.rtp_port_min || ua->conf.rtp_port_max < ua->conf.rtp_port_min + 2) {
		ua->conf.rtp_port_min = 11780;
		ua->conf.rtp_port_max = 11800;
	}
	/* Even RTP ports (RFC 3550 11), RTCP on the odd one above, both within the range. */
	ua->next_rtp = (uint16_t)((ua->conf.rtp_port_min + 1) & ~1u);
	ua->timers_due = NEVER;
	ua->ncalls = ua->conf.max_calls;
	ua->sdp = malloc(sizeof(*ua->sdp));
	ua->calls = calloc(ua->ncalls, sizeof(*ua->calls));
	ua->nreqs = ua->ncalls * 4 + PC_SIP_UA_MAX_ACCOUNTS * 2;
	ua->reqs = calloc(ua->nreqs, sizeof(*ua->reqs));
	rc = -ENOMEM;
	if (!ua->calls || !ua->reqs || !ua->sdp)
		goto fail;
	ua->nbuckets = 16;
	while (ua->nbuckets < 2 * ua->ncalls)
		ua->nbuckets *= 2;
	ua->num_buckets = calloc(ua->nbuckets, sizeof(*ua->num_buckets));
	ua->cid_buckets = calloc(ua->nbuckets, sizeof(*ua->cid_buckets));
	if (!ua->num_buckets || !ua->cid_buckets)
		goto fail;
	for (unsigned i = ua->ncalls; i-- > 0;) {
		ua->calls[i].free_next = ua->free_calls;
		ua->free_calls = &ua->calls[i];
	}
	/* The media capabilities are checked once here (each call starts its SDP from them). */
	{
		struct pc_sdp_neg *probe = malloc(sizeof(*probe));

		rc = probe ? 0 : -ENOMEM;
		for (unsigned i = 0; rc == 0 && i < conf->naccounts; i++)
			if (conf->account[i].enable)
				rc = pc_sdp_neg_init(probe, &conf->account[i].caps, 1, NULL, 0);
		free(probe);
		if (rc < 0)
			goto fail;
	}

	tc.arg = ua;
	tc.tls_cert_file = conf->tls_cert_file;
	tc.tls_key_file = conf->tls_key_file;
	tc.tls_ca_file = conf->tls_ca_file;
	tc.tls_verify_server = conf->tls_verify;
	rc = pc_sip_transport_create(&ua->tp, &tc);
	if (rc < 0)
		goto fail;
	rc = pc_sip_addr_parse(&local, ua->conf.local_ip, conf->port);
	if (rc < 0)
		goto fail;
	rc = pc_sip_transport_listen(ua->tp, PC_SIP_TP_UDP, &local, &bound);
	if (rc < 0)
		goto fail;
	ua->port = ntohs(bound.sa.sa_family == AF_INET ? bound.in4.sin_port : bound.in6.sin6_port);
	if (conf->listen_tcp) {
		rc = pc_sip_addr_parse(&local, ua->conf.local_ip, ua->port);
		if (rc == 0)
			rc = pc_sip_transport_listen(ua->tp, PC_SIP_TP_TCP, &local, NULL);
		if (rc < 0)
			goto fail;
	}
	if (conf->tls_cert_file && conf->tls_key_file) {
		rc = pc_sip_addr_parse(&local, ua->conf.local_ip,
				       conf->tls_port ? conf->tls_port : (uint16_t)(ua->port + 1));
		if (rc == 0)
			rc = pc_sip_transport_listen(ua->tp, PC_SIP_TP_TLS, &local, &bound);
		if (rc < 0)
			goto fail;
		ua->tls_port = ntohs(bound.sa.sa_family == AF_INET ? bound.in4.sin_port :
								     bound.in6.sin6_port);
	}
	xc.t1_ms = conf->t1_ms;
	xc.t2_ms = conf->t2_ms;
	xc.t4_ms = conf->t4_ms;
	xc.trying_after_ms = 0;
	xc.max_txns = conf->max_txns ? conf->max_txns : 16384;
	rc = pc_sip_txn_layer_create(&ua->txn, &xc, &ops, ua);
	if (rc < 0)
		goto fail;
	rc = pc_sip_auth_client_create(&ua->auth, NULL, NULL);
	if (rc < 0)
		goto fail;
	for (unsigned i = 0; i < conf->naccounts; i++) {
		struct acct *a = &ua->acct[i];
		const char *host;
		uint16_t port;

		a->c = conf->account[i];
		a->reg_at = NEVER;
		{
			/* Through a local buffer: GCC cannot tell the fields of *ua apart. */
			char host_buf[sizeof(a->aor_host)];
			int n = a->c.domain[0] ? snprintf(host_buf, sizeof(host_buf), "%.127s",
							  a->c.domain) :
						 snprintf(host_buf, sizeof(host_buf), "%.63s:%u",
							  ua->conf.local_ip, ua->port);

			if (n < 0)
				host_buf[0] = 0;
			memcpy(a->aor_host, host_buf, sizeof(host_buf));
		}
		if (!a->c.enable)
			continue;
		host = a->c.outbound[0] ? a->c.outbound : a->c.domain;
		port = a->c.outbound[0] ? a->c.outbound_port : a->c.port;
		if (!port)
			port = a->c.tp == PC_SIP_TP_TLS ? 5061 : 5060;
		a->proxy.tp = a->c.tp;
		if (host[0] && resolve(host, port, &a->proxy.addr) == 0)
			a->proxy_ok = true;
	}
	*out = ua;
	return 0;
fail:
	pc_sip_ua_destroy(ua);
	return rc;
}

void pc_sip_ua_destroy(struct pc_sip_ua *ua)
{
	if (!ua)
		return;
	/* Calls hung up before the ACK of our 2xx came: the BYE now, early rather than never
	 * (the peer would keep the call up). */
	for (unsigned i = 0; ua->calls && i < ua->ncalls; i++) {
		struct call *c = &ua->calls[i];

		if (c->state != CS_FREE && c->bye_after_ack) {
			c->bye_after_ack = false;
			ua->now = mono_ms();
			send_bye(ua, c);
		}
	}
	pc_sip_txn_layer_destroy(ua->txn);
	pc_sip_transport_destroy(ua->tp);
	pc_sip_auth_client_destroy(ua->auth);
	for (unsigned i = 0; ua->calls && i < ua->ncalls; i++) {
		free(ua->calls[i].neg);
		free(ua->calls[i].inv_req);
		free(ua->calls[i].ok_msg);
		free(ua->calls[i].ack_msg);
	}
	free(ua->calls);
	free(ua->num_buckets);
	free(ua->cid_buckets);
	free(ua->reqs);
	free(ua->sdp);
	free(ua);
}
