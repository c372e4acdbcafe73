/* SPDX-License-Identifier: MIT */
/*
 * sip_transport.c - SIP transports: UDP/TCP/TLS listeners and connections on one epoll set, the
 * stream framer, address and rport helpers (see pc_sip_transport.h).
 *
 * Layout: the pure helpers first (addresses, the framer, received/rport), then TLS setup (the
 * contexts and a socket BIO that sends with MSG_NOSIGNAL, so that a peer's reset never raises
 * SIGPIPE in the process), then the connection table, the event handlers and the timers.
 *
 * A connection is a slot of a table sized at create. Closing one (an error, a malformed frame,
 * the idle timer, the API) shuts its socket at once and marks it CLOSING: its buffers live on
 * until the end of the current poll (a recv handler may be reading them), when it is reaped, the
 * slot freed and the close handler called.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "pc_sip_msg.h"
#include "pc_sip_transport.h"

#define TP_DEF_MAX_CONNS 256u
#define TP_DEF_OUT_QUEUE (256u * 1024u)
#define TP_DEF_IDLE_MS (600u * 1000u)
#define TP_DEF_CONNECT_MS (32u * 1000u)
#define TP_DEF_KEEPALIVES 32u
#define TP_EVENTS 64
#define TP_DGRAM_BURST 64 /* datagrams read per readiness event, for fairness */
#define TP_READ_BURST 16  /* stream reads per readiness event */

static const char tp_ping[] = "\r\n\r\n";
static const char tp_pong[] = "\r\n";

/* --- pure helpers: addresses ----------------------------------------------------------------- */

const char *pc_sip_tp_name(enum pc_sip_tp tp)
{
	switch (tp) {
	case PC_SIP_TP_UDP:
		return "UDP";
	case PC_SIP_TP_TCP:
		return "TCP";
	case PC_SIP_TP_TLS:
		return "TLS";
	default:
		return "?";
	}
}

socklen_t pc_sip_addr_len(const union pc_sip_addr *a)
{
	if (!a)
		return 0;
	if (a->sa.sa_family == AF_INET)
		return sizeof(a->in4);
	if (a->sa.sa_family == AF_INET6)
		return sizeof(a->in6);
	return 0;
}

int pc_sip_addr_parse(union pc_sip_addr *out, const char *ip, uint16_t port)
{
	union pc_sip_addr a;

	if (!out || !ip)
		return -EINVAL;
	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, ip, &a.in4.sin_addr) == 1) {
		a.in4.sin_family = AF_INET;
		a.in4.sin_port = htons(port);
	} else if (inet_pton(AF_INET6, ip, &a.in6.sin6_addr) == 1) {
		a.in6.sin6_family = AF_INET6;
		a.in6.sin6_port = htons(port);
	} else {
		return -EINVAL;
	}
	*out = a;
	return 0;
}

static const char *addr_ip(const union pc_sip_addr *a, char *buf, size_t len)
{
	const void *src = a->sa.sa_family == AF_INET6 ? (const void *)&a->in6.sin6_addr :
							(const void *)&a->in4.sin_addr;

	if (!inet_ntop(a->sa.sa_family, src, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

static uint16_t addr_port(const union pc_sip_addr *a)
{
	return ntohs(a->sa.sa_family == AF_INET6 ? a->in6.sin6_port : a->in4.sin_port);
}

char *pc_sip_addr_format(const union pc_sip_addr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (!buf || !len)
		return buf;
	if (!a || !pc_sip_addr_len(a)) {
		snprintf(buf, len, "?");
		return buf;
	}
	addr_ip(a, ip, sizeof(ip));
	if (a->sa.sa_family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", ip, addr_port(a));
	else
		snprintf(buf, len, "%s:%u", ip, addr_port(a));
	return buf;
}

bool pc_sip_addr_equal(const union pc_sip_addr *a, const union pc_sip_addr *b)
{
	if (!a || !b || a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET)
		return a->in4.sin_port == b->in4.sin_port &&
		       a->in4.sin_addr.s_addr == b->in4.sin_addr.s_addr;
	if (a->sa.sa_family == AF_INET6)
		return a->in6.sin6_port == b->in6.sin6_port &&
		       a->in6.sin6_scope_id == b->in6.sin6_scope_id &&
		       memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, sizeof(a->in6.sin6_addr)) == 0;
	return false;
}

/* --- pure helpers: the stream framer (RFC 3261 18.3) ----------------------------------------- */

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t';
}

/* RFC 3261 25.1 token characters. */
static bool is_token(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("-.!%*_+`'~", c) != NULL;
}

static bool name_is(const char *p, size_t n, const char *name)
{
	size_t i;

	if (n != strlen(name))
		return false;
	for (i = 0; i < n; i++) {
		char c = p[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != name[i])
			return false;
	}
	return true;
}

/* The next CRLF at or after @i in @b[0..@len), or @len. */
static size_t find_crlf(const char *b, size_t len, size_t i)
{
	const char *p;

	while (i < len) {
		p = memchr(b + i, '\r', len - i);
		if (!p)
			return len;
		i = (size_t)(p - b);
		if (i + 1 < len && b[i + 1] == '\n')
			return i;
		i++;
	}
	return len;
}

/*
 * Content-Length of the header block @b[0..@hdr_end) (it ends with CRLF CRLF). Returns 1 found
 * (*@cl), 0 absent, < 0 an error. The start line is skipped; a line that is not "name: value"
 * is left to the message parser.
 */
static int frame_content_length(const char *b, size_t hdr_end, size_t max, size_t *cl, char *err,
				size_t errlen)
{
	size_t i = find_crlf(b, hdr_end, 0) + 2; /* after the start line */
	size_t end = hdr_end - 2;		 /* the empty line's CRLF */
	bool found = false;
	size_t value = 0;

	while (i < end) {
		size_t ls = i, le = find_crlf(b, hdr_end, i), n, v;
		bool digits = false, big = false;

		/* RFC 3261 7.3.1: a line starting with SP or HTAB continues the previous one. */
		while (le + 2 < end && is_ws(b[le + 2]))
			le = find_crlf(b, hdr_end, le + 2);
		i = le + 2;
		if (is_ws(b[ls]))
			continue; /* folding right after the start line: the parser's business */
		if ((b[ls] | 0x20) != 'c' && (b[ls] | 0x20) != 'l')
			continue; /* neither Content-Length nor l: most lines stop here */
		for (n = ls; n < le && is_token((unsigned char)b[n]); n++)
			;
		if (!name_is(b + ls, n - ls, "content-length") && !name_is(b + ls, n - ls, "l"))
			continue;
		while (n < le && is_ws(b[n]))
			n++;
		if (n >= le || b[n] != ':')
			continue;
		n++;
		/* The value: LWS, 1*DIGIT, LWS (CR LF inside a logical line precede SP/HT). */
		while (n < le && (is_ws(b[n]) || b[n] == '\r' || b[n] == '\n'))
			n++;
		v = 0;
		while (n < le && b[n] >= '0' && b[n] <= '9') {
			digits = true;
			if (v > max)
				big = true;
			else
				v = v * 10 + (size_t)(b[n] - '0');
			n++;
		}
		while (n < le && (is_ws(b[n]) || b[n] == '\r' || b[n] == '\n'))
			n++;
		if (!digits || n != le)
			return fail(err, errlen, -EBADMSG, "Content-Length is not a number");
		if (big || v > max)
			return fail(err, errlen, -E2BIG, "Content-Length over the limit of %zu",
				    max);
		if (found && v != value)
			return fail(err, errlen, -EPROTO,
				    "Content-Length repeated with different values (%zu, %zu)",
				    value, v);
		found = true;
		value = v;
	}
	*cl = value;
	return found ? 1 : 0;
}

int pc_sip_stream_frame(const void *buf, size_t len, size_t max, size_t *skip, size_t *scan,
			size_t *msg_len, char *err, size_t errlen)
{
	const char *b = buf, *p;
	size_t s = 0, from, start, limit, hdr_end, cl = 0;
	int rc;

	if (!skip || !msg_len || (!b && len))
		return fail(err, errlen, -EINVAL, "invalid arguments");
	if (err && errlen)
		err[0] = '\0';
	if (max == 0 || max > PC_SIP_MAX_MSG)
		max = PC_SIP_MAX_MSG;
	*msg_len = 0;
	/* RFC 3261 7.5: CRLFs before the start line are ignored (RFC 5626 4.4.1 keep-alives). */
	while (s + 2 <= len && b[s] == '\r' && b[s + 1] == '\n')
		s += 2;
	*skip = s;
	b += s;
	len -= s;
	if (len == 0)
		return 0;
	if (b[0] == '\r') {
		if (len == 1)
			return 0; /* the first half of a CRLF */
		return fail(err, errlen, -EBADMSG, "stray CR before the start line");
	}
	if (b[0] == '\n')
		return fail(err, errlen, -EBADMSG, "stray LF before the start line");

	from = scan ? *scan : 0;
	if (from > len)
		from = len;
	limit = len < max ? len : max;
	if (from > limit)
		from = limit;
	start = from >= 3 ? from - 3 : 0; /* a CRLF CRLF may straddle the last search's end */
	p = limit - start >= 4 ? memmem(b + start, limit - start, "\r\n\r\n", 4) : NULL;
	if (!p) {
		if (scan)
			*scan = limit;
		if (len >= max)
			return fail(err, errlen, -E2BIG, "no end of headers within %zu octets",
				    max);
		return 0;
	}
	hdr_end = (size_t)(p - b) + 4;
	if (scan)
		*scan = hdr_end - 1; /* finds the same end at once next time */

	rc = frame_content_length(b, hdr_end, max, &cl, err, errlen);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return fail(err, errlen, -EPROTO, "no Content-Length on a stream (RFC 3261 18.3)");
	if (cl > max - hdr_end)
		return fail(err, errlen, -E2BIG, "message of %zu octets over the limit of %zu",
			    hdr_end + cl, max);
	if (len < hdr_end + cl)
		return 0;
	*msg_len = hdr_end + cl;
	if (scan)
		*scan = 0;
	return 1;
}

/* --- pure helpers: received and rport (RFC 3261 18.2.1, RFC 3581) ---------------------------- */

static size_t skip_lws(const char *v, size_t len, size_t i)
{
	while (i < len) {
		if (is_ws(v[i]))
			i++;
		else if (v[i] == '\r' && i + 2 < len && v[i + 1] == '\n' && is_ws(v[i + 2]))
			i += 3;
		else
			break;
	}
	return i;
}

static size_t skip_token(const char *v, size_t len, size_t i)
{
	while (i < len && is_token((unsigned char)v[i]))
		i++;
	return i;
}

struct via_parse {
	size_t host, host_len; /* sent-by host, brackets stripped */
	size_t parm_end;       /* end of the first via-parm's last parameter */
	size_t recv_s, recv_e; /* an existing received parameter: [';' .. end) */
	size_t rport_s, rport_e;
	bool has_received, has_rport, rport_empty;
};

static int via_parse_first(const char *v, size_t len, struct via_parse *vp)
{
	size_t i = skip_lws(v, len, 0), j;
	int k;

	memset(vp, 0, sizeof(*vp));
	/* sent-protocol: name SLASH version SLASH transport */
	for (k = 0; k < 3; k++) {
		j = skip_token(v, len, i);
		if (j == i)
			return -EBADMSG;
		i = skip_lws(v, len, j);
		if (k < 2) {
			if (i >= len || v[i] != '/')
				return -EBADMSG;
			i = skip_lws(v, len, i + 1);
		}
	}
	if (i == j)
		return -EBADMSG; /* LWS required before sent-by */
	/* sent-by: host [ COLON port ] */
	if (i < len && v[i] == '[') {
		const char *e = memchr(v + i, ']', len - i);

		if (!e)
			return -EBADMSG;
		vp->host = i + 1;
		vp->host_len = (size_t)(e - v) - vp->host;
		i = (size_t)(e - v) + 1;
	} else {
		vp->host = i;
		while (i < len && !is_ws(v[i]) && v[i] != ':' && v[i] != ';' && v[i] != ',' &&
		       v[i] != '\r')
			i++;
		vp->host_len = i - vp->host;
	}
	if (vp->host_len == 0)
		return -EBADMSG;
	vp->parm_end = i;
	j = skip_lws(v, len, i);
	if (j < len && v[j] == ':') {
		i = skip_lws(v, len, j + 1);
		j = i;
		while (j < len && v[j] >= '0' && v[j] <= '9')
			j++;
		if (j == i)
			return -EBADMSG;
		i = vp->parm_end = j;
	}
	/* *( SEMI via-params ) */
	for (;;) {
		size_t ps, ns, ne;
		bool has_value = false;

		j = skip_lws(v, len, i);
		if (j >= len || v[j] != ';')
			break;
		ps = j;
		ns = skip_lws(v, len, j + 1);
		ne = skip_token(v, len, ns);
		if (ne == ns)
			return -EBADMSG;
		i = ne;
		j = skip_lws(v, len, ne);
		if (j < len && v[j] == '=') {
			has_value = true;
			j = skip_lws(v, len, j + 1);
			if (j < len && v[j] == '"') {
				for (j++; j < len && v[j] != '"'; j++)
					if (v[j] == '\\')
						j++;
				if (j >= len)
					return -EBADMSG;
				j++;
			} else if (j < len && v[j] == '[') {
				const char *e = memchr(v + j, ']', len - j);

				if (!e)
					return -EBADMSG;
				j = (size_t)(e - v) + 1;
			} else {
				size_t t = skip_token(v, len, j);

				/* IPv6 received values (RFC 5118) carry ':' outside brackets. */
				while (t < len && (is_token((unsigned char)v[t]) || v[t] == ':'))
					t++;
				if (t == j)
					return -EBADMSG;
				j = t;
			}
			i = j;
		}
		if (name_is(v + ns, ne - ns, "received")) {
			vp->has_received = true;
			vp->recv_s = ps;
			vp->recv_e = i;
		} else if (name_is(v + ns, ne - ns, "rport")) {
			vp->has_rport = true;
			vp->rport_empty = !has_value;
			vp->rport_s = ps;
			vp->rport_e = i;
		}
		vp->parm_end = i;
	}
	j = skip_lws(v, len, i);
	if (j < len && v[j] != ',')
		return -EBADMSG;
	return 0;
}

static bool via_host_is(const char *h, size_t hlen, const union pc_sip_addr *src)
{
	char tmp[INET6_ADDRSTRLEN + 1];
	unsigned char bin[sizeof(struct in6_addr)];

	if (hlen >= sizeof(tmp))
		return false;
	memcpy(tmp, h, hlen);
	tmp[hlen] = '\0';
	if (src->sa.sa_family == AF_INET)
		return inet_pton(AF_INET, tmp, bin) == 1 &&
		       memcmp(bin, &src->in4.sin_addr, sizeof(src->in4.sin_addr)) == 0;
	return inet_pton(AF_INET6, tmp, bin) == 1 &&
	       memcmp(bin, &src->in6.sin6_addr, sizeof(src->in6.sin6_addr)) == 0;
}

/* Append @n octets of @s to @out (room @cap, used *@used); false when it does not fit. */
static bool put(char *out, size_t cap, size_t *used, const char *s, size_t n)
{
	if (*used + n >= cap)
		return false;
	memcpy(out + *used, s, n);
	*used += n;
	out[*used] = '\0';
	return true;
}

int pc_sip_via_received(const char *via, size_t via_len, const union pc_sip_addr *src, char *params,
			size_t plen, char *via_out, size_t vlen)
{
	struct via_parse vp;
	char text[64], ip[INET6_ADDRSTRLEN];
	size_t tlen = 0, used = 0;
	bool add_received, add_rport;
	int rc, n;

	if (!via || !src || !pc_sip_addr_len(src))
		return -EINVAL;
	rc = via_parse_first(via, via_len, &vp);
	if (rc)
		return rc;
	/* RFC 3581 4: with rport, received is added even when it equals sent-by. */
	add_received = vp.has_rport || !via_host_is(via + vp.host, vp.host_len, src);
	add_rport = vp.has_rport && vp.rport_empty;
	text[0] = '\0';
	if (add_received) {
		n = snprintf(text, sizeof(text), ";received=%s", addr_ip(src, ip, sizeof(ip)));
		tlen = (size_t)n;
	}
	if (add_rport) {
		n = snprintf(text + tlen, sizeof(text) - tlen, ";rport=%u", addr_port(src));
		tlen += (size_t)n;
	}
	if (params) {
		if (plen <= tlen)
			return -ENOSPC;
		memcpy(params, text, tlen + 1);
	}
	if (via_out) {
		size_t i = 0, cut_s[2], cut_e[2], nc = 0, c;

		if (!vlen)
			return -ENOSPC;
		via_out[0] = '\0';
		/* Copy the first via-parm without the parameters that are written again. */
		if (add_received && vp.has_received) {
			cut_s[nc] = vp.recv_s;
			cut_e[nc++] = vp.recv_e;
		}
		if (add_rport) {
			cut_s[nc] = vp.rport_s;
			cut_e[nc++] = vp.rport_e;
		}
		if (nc == 2 && cut_s[1] < cut_s[0]) {
			size_t ts = cut_s[0], te = cut_e[0];

			cut_s[0] = cut_s[1];
			cut_e[0] = cut_e[1];
			cut_s[1] = ts;
			cut_e[1] = te;
		}
		for (c = 0; c < nc; c++) {
			if (!put(via_out, vlen, &used, via + i, cut_s[c] - i))
				return -ENOSPC;
			i = cut_e[c];
		}
		if (!put(via_out, vlen, &used, via + i, vp.parm_end - i) ||
		    !put(via_out, vlen, &used, text, tlen) ||
		    !put(via_out, vlen, &used, via + vp.parm_end, via_len - vp.parm_end))
			return -ENOSPC;
	}
	return (int)tlen;
}

/* --- the transport --------------------------------------------------------------------------- */

enum conn_state {
	CONN_FREE = 0,
	CONN_CONNECTING, /* outbound, connect() in progress */
	CONN_HANDSHAKE,	 /* TLS handshake in progress */
	CONN_OPEN,
	CONN_CLOSING, /* socket closed, slot not yet reaped */
};

struct tp_conn {
	int fd;
	enum conn_state state;
	enum pc_sip_tp tp;
	int listener; /* accepted through; -1 outbound */
	bool outbound;
	bool ssl_want_write; /* the last TLS call wants the socket writable (each TLS call
			      * clears it first, sets it on SSL_ERROR_WANT_WRITE) */
	bool pong_counted;   /* crlf_run == 1 already counted as a pong */
	uint16_t gen;
	uint32_t events; /* the epoll interest set now */
	int close_reason;
	unsigned crlf_run; /* CRLF pairs in a row before a start line (2: a ping) */
	SSL *ssl;
	union pc_sip_addr peer, local;
	char *rx; /* PC_SIP_MAX_MSG octets */
	size_t rx_len, rx_scan;
	char *out; /* out_cap octets: [out_head, out_tail) waits */
	size_t out_head, out_tail;
	uint64_t last_ms, ka_ms, deadline_ms;
};

struct tp_listener {
	int fd;
	enum pc_sip_tp tp;
	union pc_sip_addr local;
};

struct tp_flow {
	bool used;
	enum pc_sip_tp tp;
	union pc_sip_addr dst;
	uint32_t interval_ms;
	uint64_t next_ms;
};

struct pc_sip_transport {
	struct pc_sip_transport_conf conf; /* defaults applied; the TLS paths not kept */
	int epfd;
	int wake_fd; /* pc_sip_transport_watch_wake: an eventfd, borrowed; -1: none */
	unsigned nlisteners;
	struct tp_listener listeners[PC_SIP_TP_MAX_LISTENERS];
	struct tp_conn *conns;
	struct tp_flow *flows;
	char *dgram; /* PC_SIP_MAX_MSG + 1: one datagram */
	SSL_CTX *srv_ctx, *cli_ctx;
	BIO_METHOD *bio_meth;
	bool reap; /* a connection is CLOSING */
	struct pc_sip_transport_stats st;
};

enum { TAG_LISTENER = 1, TAG_CONN = 2, TAG_WAKE = 3 };

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint32_t conn_handle(const struct pc_sip_transport *t, const struct tp_conn *c)
{
	return ((uint32_t)c->gen << 16) | (uint32_t)(c - t->conns + 1);
}

static struct tp_conn *conn_get(const struct pc_sip_transport *t, uint32_t h)
{
	uint32_t slot = (h & 0xffffu);
	struct tp_conn *c;

	if (slot == 0 || slot > t->conf.max_conns)
		return NULL;
	c = &t->conns[slot - 1];
	if (c->gen != (uint16_t)(h >> 16) || c->state == CONN_FREE || c->state == CONN_CLOSING)
		return NULL;
	return c;
}

static const char *conn_name(const struct tp_conn *c, char *buf, size_t len)
{
	char a[PC_SIP_ADDR_STRLEN];

	snprintf(buf, len, "%s %s %s", pc_sip_tp_name(c->tp), c->outbound ? "to" : "from",
		 pc_sip_addr_format(&c->peer, a, sizeof(a)));
	return buf;
}

/* --- TLS: a socket BIO that never raises SIGPIPE --------------------------------------------- */

static int tp_bio_write(BIO *b, const char *buf, int len)
{
	ssize_t n = send((int)(intptr_t)BIO_get_data(b), buf, (size_t)len, MSG_NOSIGNAL);

	BIO_clear_retry_flags(b);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		BIO_set_retry_write(b);
	return (int)n;
}

static int tp_bio_read(BIO *b, char *buf, int len)
{
	ssize_t n = recv((int)(intptr_t)BIO_get_data(b), buf, (size_t)len, 0);

	BIO_clear_retry_flags(b);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		BIO_set_retry_read(b);
	return (int)n;
}

static long tp_bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b;
	(void)num;
	(void)ptr;
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int tp_bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

/* The first error of OpenSSL's queue as text (and the queue emptied). */
static const char *ssl_err(char *buf, size_t len)
{
	unsigned long e = ERR_get_error();

	if (!e)
		snprintf(buf, len, "no detail");
	else
		ERR_error_string_n(e, buf, len);
	ERR_clear_error();
	return buf;
}

static int tls_load_ca(SSL_CTX *ctx, const char *ca)
{
	char eb[160];

	if (ca) {
		if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
			fprintf(stderr, "sip tls: cannot load CA file %s: %s\n", ca,
				ssl_err(eb, sizeof(eb)));
			return -EIO;
		}
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		fprintf(stderr, "sip tls: cannot load the system's CAs: %s\n",
			ssl_err(eb, sizeof(eb)));
		return -EIO;
	}
	return 0;
}

static int tls_load_cert(SSL_CTX *ctx, const char *cert, const char *key)
{
	char eb[160];

	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		fprintf(stderr, "sip tls: cannot load certificate %s: %s\n", cert,
			ssl_err(eb, sizeof(eb)));
		return -EIO;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		fprintf(stderr, "sip tls: cannot load private key %s: %s\n", key,
			ssl_err(eb, sizeof(eb)));
		return -EIO;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		fprintf(stderr, "sip tls: private key %s does not match certificate %s\n", key,
			cert);
		ERR_clear_error();
		return -EIO;
	}
	return 0;
}

static int tls_setup(struct pc_sip_transport *t, const struct pc_sip_transport_conf *conf)
{
	static const unsigned char sid_ctx[] = "phonecore-sip";
	const long mode = SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER;
	bool have_cert = conf->tls_cert_file && conf->tls_key_file;
	int rc;

	t->bio_meth = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "pc_sip_socket");
	if (!t->bio_meth || BIO_meth_set_write(t->bio_meth, tp_bio_write) != 1 ||
	    BIO_meth_set_read(t->bio_meth, tp_bio_read) != 1 ||
	    BIO_meth_set_ctrl(t->bio_meth, tp_bio_ctrl) != 1 ||
	    BIO_meth_set_create(t->bio_meth, tp_bio_create) != 1)
		return -ENOMEM;

	t->cli_ctx = SSL_CTX_new(TLS_client_method());
	if (!t->cli_ctx)
		return -ENOMEM;
	SSL_CTX_set_min_proto_version(t->cli_ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(t->cli_ctx, mode);
	if (conf->tls_verify_server) {
		SSL_CTX_set_verify(t->cli_ctx, SSL_VERIFY_PEER, NULL);
		rc = tls_load_ca(t->cli_ctx, conf->tls_ca_file);
		if (rc)
			return rc;
	} else {
		SSL_CTX_set_verify(t->cli_ctx, SSL_VERIFY_NONE, NULL);
	}
	if (have_cert) {
		rc = tls_load_cert(t->cli_ctx, conf->tls_cert_file, conf->tls_key_file);
		if (rc)
			return rc;
	}
	if (!have_cert)
		return 0;

	t->srv_ctx = SSL_CTX_new(TLS_server_method());
	if (!t->srv_ctx)
		return -ENOMEM;
	SSL_CTX_set_min_proto_version(t->srv_ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(t->srv_ctx, mode);
	SSL_CTX_set_session_id_context(t->srv_ctx, sid_ctx, sizeof(sid_ctx) - 1);
	rc = tls_load_cert(t->srv_ctx, conf->tls_cert_file, conf->tls_key_file);
	if (rc)
		return rc;
	if (conf->tls_verify_client) {
		SSL_CTX_set_verify(t->srv_ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
				   NULL);
		rc = tls_load_ca(t->srv_ctx, conf->tls_ca_file);
		if (rc)
			return rc;
		if (conf->tls_ca_file) {
			STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(conf->tls_ca_file);

			if (names)
				SSL_CTX_set_client_CA_list(t->srv_ctx, names);
		}
	}
	return 0;
}

/* --- create, destroy, listen ----------------------------------------------------------------- */

int pc_sip_transport_create(struct pc_sip_transport **out, const struct pc_sip_transport_conf *conf)
{
	struct pc_sip_transport *t;
	int rc;

	if (!out || !conf || !conf->on_recv || conf->max_conns > 65535u)
		return -EINVAL;
	if (conf->out_queue_max && conf->out_queue_max < PC_SIP_MAX_MSG)
		return -EINVAL;
	if (conf->tls_verify_client && !(conf->tls_cert_file && conf->tls_key_file))
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->conf = *conf;
	t->conf.tls_cert_file = t->conf.tls_key_file = t->conf.tls_ca_file = NULL;
	if (!t->conf.max_conns)
		t->conf.max_conns = TP_DEF_MAX_CONNS;
	if (!t->conf.out_queue_max)
		t->conf.out_queue_max = TP_DEF_OUT_QUEUE;
	if (!t->conf.idle_timeout_ms)
		t->conf.idle_timeout_ms = TP_DEF_IDLE_MS;
	if (!t->conf.connect_timeout_ms)
		t->conf.connect_timeout_ms = TP_DEF_CONNECT_MS;
	if (!t->conf.max_keepalives)
		t->conf.max_keepalives = TP_DEF_KEEPALIVES;
	t->epfd = -1;
	t->wake_fd = -1;

	rc = -ENOMEM;
	t->conns = calloc(t->conf.max_conns, sizeof(*t->conns));
	t->flows = calloc(t->conf.max_keepalives, sizeof(*t->flows));
	t->dgram = malloc(PC_SIP_MAX_MSG + 1);
	if (!t->conns || !t->flows || !t->dgram)
		goto out_free;
	t->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (t->epfd < 0) {
		rc = -errno;
		goto out_free;
	}
	rc = tls_setup(t, conf);
	if (rc)
		goto out_free;
	*out = t;
	return 0;

out_free:
	pc_sip_transport_destroy(t);
	return rc;
}

static void conn_release(struct tp_conn *c)
{
	if (c->ssl)
		SSL_free(c->ssl);
	c->ssl = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->rx);
	free(c->out);
	c->rx = c->out = NULL;
}

void pc_sip_transport_destroy(struct pc_sip_transport *t)
{
	unsigned i;

	if (!t)
		return;
	for (i = 0; t->conns && i < t->conf.max_conns; i++)
		if (t->conns[i].state != CONN_FREE)
			conn_release(&t->conns[i]);
	for (i = 0; i < t->nlisteners; i++)
		close(t->listeners[i].fd);
	if (t->epfd >= 0)
		close(t->epfd);
	SSL_CTX_free(t->srv_ctx);
	SSL_CTX_free(t->cli_ctx);
	if (t->bio_meth)
		BIO_meth_free(t->bio_meth);
	free(t->conns);
	free(t->flows);
	free(t->dgram);
	free(t);
}

int pc_sip_transport_listen(struct pc_sip_transport *t, enum pc_sip_tp tp,
			    const union pc_sip_addr *local, union pc_sip_addr *bound)
{
	struct tp_listener *l;
	struct epoll_event ev;
	socklen_t alen = pc_sip_addr_len(local);
	int fd, one = 1, rc;

	if (!t || !alen || (unsigned)tp >= PC_SIP_TP__COUNT)
		return -EINVAL;
	if (tp == PC_SIP_TP_TLS && !t->srv_ctx)
		return -EINVAL;
	if (t->nlisteners >= PC_SIP_TP_MAX_LISTENERS)
		return -EMFILE;
	fd = socket(local->sa.sa_family,
		    (tp == PC_SIP_TP_UDP ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return -errno;
	if (local->sa.sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (tp != PC_SIP_TP_UDP)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (tp == PC_SIP_TP_UDP) {
		/* A burst of requests (a proxy's failover, a load test) must wait in the kernel
		 * while the thread is preempted, not be dropped: ask for 4 MiB (the kernel caps
		 * it at net.core.rmem_max; the default 208 KiB overflows above ~1600 calls/s). */
		int rcvbuf = 4 << 20;

		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	}
	l = &t->listeners[t->nlisteners];
	if (bind(fd, &local->sa, alen) < 0 || (tp != PC_SIP_TP_UDP && listen(fd, 128) < 0))
		goto out_errno;
	alen = sizeof(l->local);
	if (getsockname(fd, &l->local.sa, &alen) < 0)
		goto out_errno;
	ev.events = EPOLLIN;
	ev.data.u64 = ((uint64_t)TAG_LISTENER << 32) | t->nlisteners;
	if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		goto out_errno;
	l->fd = fd;
	l->tp = tp;
	if (bound)
		*bound = l->local;
	return (int)t->nlisteners++;

out_errno:
	rc = -errno;
	close(fd);
	return rc;
}

/* --- connections ----------------------------------------------------------------------------- */

static void conn_close(struct pc_sip_transport *t, struct tp_conn *c, int reason)
{
	if (c->state == CONN_FREE || c->state == CONN_CLOSING)
		return;
	epoll_ctl(t->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	/* Our own close of an open TLS connection: a best-effort close_notify (non-blocking). */
	if (c->ssl && c->state == CONN_OPEN && reason == 0) {
		SSL_shutdown(c->ssl);
		ERR_clear_error();
	}
	if (c->ssl)
		SSL_free(c->ssl);
	c->ssl = NULL;
	close(c->fd);
	c->fd = -1;
	c->state = CONN_CLOSING;
	c->close_reason = reason;
	t->reap = true;
	t->st.conns_closed++;
	t->st.conns_open--;
}

/* Free the slots of closed connections and tell the layer above. */
static void conn_reap(struct pc_sip_transport *t)
{
	uint32_t i;

	if (!t->reap)
		return;
	t->reap = false;
	for (i = 0; i < t->conf.max_conns; i++) {
		struct tp_conn *c = &t->conns[i];
		union pc_sip_addr peer;
		enum pc_sip_tp tp;
		uint32_t h;
		int reason;

		if (c->state != CONN_CLOSING)
			continue;
		h = conn_handle(t, c);
		peer = c->peer;
		tp = c->tp;
		reason = c->close_reason;
		conn_release(c);
		c->state = CONN_FREE;
		if (t->conf.on_close)
			t->conf.on_close(t->conf.arg, h, tp, &peer, reason);
	}
}

static struct tp_conn *conn_alloc(struct pc_sip_transport *t, int fd, enum pc_sip_tp tp,
				  const union pc_sip_addr *peer, bool outbound)
{
	struct tp_conn *c = NULL;
	uint32_t i;

	for (i = 0; i < t->conf.max_conns; i++) {
		if (t->conns[i].state == CONN_FREE) {
			c = &t->conns[i];
			break;
		}
	}
	if (!c)
		return NULL;
	c->rx = malloc(PC_SIP_MAX_MSG);
	c->out = malloc(t->conf.out_queue_max);
	if (!c->rx || !c->out) {
		free(c->rx);
		free(c->out);
		c->rx = c->out = NULL;
		return NULL;
	}
	c->fd = fd;
	c->tp = tp;
	c->listener = -1;
	c->outbound = outbound;
	c->gen++;
	c->events = 0;
	c->close_reason = 0;
	c->ssl_want_write = false;
	c->pong_counted = false;
	c->crlf_run = 0;
	c->ssl = NULL;
	c->peer = *peer;
	memset(&c->local, 0, sizeof(c->local));
	c->rx_len = c->rx_scan = 0;
	c->out_head = c->out_tail = 0;
	c->last_ms = now_ms();
	c->deadline_ms = c->last_ms + t->conf.connect_timeout_ms;
	c->ka_ms = c->last_ms + t->conf.keepalive_ms;
	return c;
}

static uint32_t conn_want(const struct tp_conn *c)
{
	switch (c->state) {
	case CONN_CONNECTING:
		return EPOLLOUT;
	case CONN_HANDSHAKE:
		return EPOLLIN | (c->ssl_want_write ? EPOLLOUT : 0u);
	case CONN_OPEN:
		return EPOLLIN | (c->ssl_want_write || c->out_head != c->out_tail ? EPOLLOUT : 0u);
	default:
		return 0;
	}
}

static int conn_arm(struct pc_sip_transport *t, struct tp_conn *c)
{
	struct epoll_event ev;
	uint32_t want = conn_want(c);

	if (want == c->events)
		return 0;
	ev.events = want;
	/* The handle, not the slot: an event left over from a connection closed earlier in the
	 * same batch never reaches the one that took its slot. */
	ev.data.u64 = ((uint64_t)TAG_CONN << 32) | conn_handle(t, c);
	if (epoll_ctl(t->epfd, c->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &ev) < 0)
		return -errno;
	c->events = want;
	return 0;
}

/* Write what waits. Returns 0, or < 0 after closing the connection. */
static int conn_flush(struct pc_sip_transport *t, struct tp_conn *c)
{
	char nm[80], eb[160];
	int rc;

	while (c->state == CONN_OPEN && c->out_head < c->out_tail) {
		size_t n = c->out_tail - c->out_head;

		if (c->ssl) {
			int w = n > INT32_MAX ? INT32_MAX : (int)n;

			ERR_clear_error();
			rc = SSL_write(c->ssl, c->out + c->out_head, w);
			c->ssl_want_write = false;
			if (rc <= 0) {
				int e = SSL_get_error(c->ssl, rc);

				if (e == SSL_ERROR_WANT_WRITE) {
					c->ssl_want_write = true;
					break;
				}
				if (e == SSL_ERROR_WANT_READ)
					break;
				fprintf(stderr, "sip tls: write on %s failed: %s\n",
					conn_name(c, nm, sizeof(nm)), ssl_err(eb, sizeof(eb)));
				conn_close(t, c, -ECONNRESET);
				return -ECONNRESET;
			}
			c->out_head += (size_t)rc;
		} else {
			ssize_t w = send(c->fd, c->out + c->out_head, n, MSG_NOSIGNAL);

			if (w < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
					break;
				rc = -errno;
				conn_close(t, c, rc);
				return rc;
			}
			c->out_head += (size_t)w;
		}
	}
	if (c->out_head == c->out_tail)
		c->out_head = c->out_tail = 0;
	if (c->state != CONN_CLOSING && (rc = conn_arm(t, c)) < 0) {
		conn_close(t, c, rc);
		return rc;
	}
	return 0;
}

/* Queue @len octets whole on @c (and try to write them). */
static int conn_queue(struct pc_sip_transport *t, struct tp_conn *c, const void *buf, size_t len)
{
	size_t cap = t->conf.out_queue_max;

	if (c->out_tail - c->out_head + len > cap) {
		t->st.tx_nobufs++;
		return -ENOBUFS;
	}
	if (c->out_tail + len > cap) {
		memmove(c->out, c->out + c->out_head, c->out_tail - c->out_head);
		c->out_tail -= c->out_head;
		c->out_head = 0;
	}
	memcpy(c->out + c->out_tail, buf, len);
	c->out_tail += len;
	if (c->state == CONN_OPEN)
		conn_flush(t, c);
	return 0;
}

/* Deliver a message (or log and count a drop). */
static void deliver(struct pc_sip_transport *t, const char *buf, size_t len, enum pc_sip_tp tp,
		    const union pc_sip_addr *src, const union pc_sip_addr *local, uint32_t conn,
		    int listener)
{
	struct pc_sip_rx rx;

	rx.listener = listener;
	rx.buf = buf;
	rx.len = len;
	rx.tp = tp;
	rx.src = *src;
	rx.local = *local;
	rx.conn = conn;
	t->st.rx_msgs++;
	t->st.rx_bytes += len;
	t->conf.on_recv(t->conf.arg, &rx);
}

/* Cut and deliver the messages in @c's receive buffer. Returns the count; stops when the
 * connection closes (a malformed frame, or the handler closed it). */
static int conn_frames(struct pc_sip_transport *t, struct tp_conn *c)
{
	size_t pos = 0;
	int n = 0;

	while (c->state == CONN_OPEN) {
		size_t skip = 0, mlen = 0, rest, pairs;
		char err[PC_SIP_ERR_MAX], nm[80];
		int rc;

		rc = pc_sip_stream_frame(c->rx + pos, c->rx_len - pos, PC_SIP_MAX_MSG, &skip,
					 &c->rx_scan, &mlen, err, sizeof(err));
		/* RFC 5626 4.4.1: the flow's initiator pings (CRLF CRLF), the other end answers
		 * with one CRLF (a pong). On a connection we opened every CRLF is a pong, never
		 * answered (two pongs a while apart are not a ping). On one we accepted, pairs
		 * in a row make pings even when a read cuts them; a lone pair left over is a pong
		 * (to a ping sent by pc_sip_transport_keepalive over it). */
		pairs = skip / 2;
		if (c->outbound) {
			t->st.rx_pongs += pairs;
			pairs = 0;
		}
		for (; pairs; pairs--) {
			if (++c->crlf_run == 2) {
				c->crlf_run = 0;
				c->pong_counted = false;
				t->st.rx_keepalives++;
				t->st.tx_keepalives++;
				conn_queue(t, c, tp_pong, sizeof(tp_pong) - 1);
			}
		}
		if (c->crlf_run == 1 && !c->pong_counted) {
			t->st.rx_pongs++;
			c->pong_counted = true;
		}
		rest = c->rx_len - pos - skip;
		if (rc != 0 || (rest > 0 && !(rest == 1 && c->rx[pos + skip] == '\r'))) {
			c->crlf_run = 0;
			c->pong_counted = false;
		}
		pos += skip;
		if (c->state != CONN_OPEN)
			break;
		if (rc < 0) {
			fprintf(stderr, "sip %s: malformed frame, closing: %s\n",
				conn_name(c, nm, sizeof(nm)), err);
			t->st.frame_errors++;
			conn_close(t, c, rc);
			break;
		}
		if (rc == 0)
			break;
		deliver(t, c->rx + pos, mlen, c->tp, &c->peer, &c->local, conn_handle(t, c),
			c->listener);
		n++;
		pos += mlen;
		c->rx_scan = 0;
	}
	if (c->state == CONN_OPEN && pos) {
		memmove(c->rx, c->rx + pos, c->rx_len - pos);
		c->rx_len -= pos;
	}
	return n;
}

/* Read what the socket has (up to a burst) and deliver it. */
static int conn_read(struct pc_sip_transport *t, struct tp_conn *c)
{
	char nm[80], eb[160];
	int n = 0, i;

	/* TLS reads on until OpenSSL wants the socket: records it holds decrypted do not make
	 * the socket readable again. Plain TCP reads a burst; level-triggered epoll brings the
	 * rest. */
	for (i = 0; (c->ssl || i < TP_READ_BURST) && c->state == CONN_OPEN; i++) {
		size_t room = PC_SIP_MAX_MSG - c->rx_len;
		ssize_t r;

		if (c->ssl) {
			int e;

			ERR_clear_error();
			c->ssl_want_write = false;
			r = SSL_read(c->ssl, c->rx + c->rx_len, (int)room);
			if (r <= 0) {
				e = SSL_get_error(c->ssl, (int)r);
				if (e == SSL_ERROR_WANT_READ)
					break;
				if (e == SSL_ERROR_WANT_WRITE) {
					c->ssl_want_write = true;
					conn_arm(t, c);
					break;
				}
				if (e != SSL_ERROR_ZERO_RETURN && e != SSL_ERROR_SYSCALL)
					fprintf(stderr, "sip tls: read on %s failed: %s\n",
						conn_name(c, nm, sizeof(nm)),
						ssl_err(eb, sizeof(eb)));
				ERR_clear_error();
				conn_close(t, c, -ECONNRESET);
				break;
			}
		} else {
			r = recv(c->fd, c->rx + c->rx_len, room, 0);
			if (r < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
					break;
				conn_close(t, c, -errno);
				break;
			}
			if (r == 0) {
				conn_close(t, c, -ECONNRESET);
				break;
			}
		}
		c->rx_len += (size_t)r;
		c->last_ms = now_ms();
		n += conn_frames(t, c);
		if (c->ssl && c->state == CONN_OPEN && conn_arm(t, c) < 0)
			conn_close(t, c, -EIO);
		/* A short plain read drained the socket; TLS may hold more in its record. */
		if (!c->ssl && (size_t)r < room)
			break;
	}
	return n;
}

static void conn_opened(struct pc_sip_transport *t, struct tp_conn *c)
{
	c->state = CONN_OPEN;
	c->last_ms = now_ms();
	c->ka_ms = c->last_ms + t->conf.keepalive_ms;
	conn_flush(t, c);
}

/* Drive the TLS handshake one step. */
static void conn_handshake(struct pc_sip_transport *t, struct tp_conn *c)
{
	char nm[80], eb[160];
	long vr;
	int rc, e;

	ERR_clear_error();
	rc = SSL_do_handshake(c->ssl);
	c->ssl_want_write = false;
	if (rc == 1) {
		conn_opened(t, c);
		return;
	}
	e = SSL_get_error(c->ssl, rc);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		c->ssl_want_write = e == SSL_ERROR_WANT_WRITE;
		if ((rc = conn_arm(t, c)) < 0)
			conn_close(t, c, rc);
		return;
	}
	t->st.tls_failures++;
	vr = SSL_get_verify_result(c->ssl);
	if (vr != X509_V_OK) {
		fprintf(stderr, "sip tls: handshake %s failed: certificate: %s\n",
			conn_name(c, nm, sizeof(nm)), X509_verify_cert_error_string(vr));
		ERR_clear_error();
		conn_close(t, c, -EACCES);
		return;
	}
	fprintf(stderr, "sip tls: handshake %s failed: %s\n", conn_name(c, nm, sizeof(nm)),
		e == SSL_ERROR_SYSCALL && !ERR_peek_error() ? "connection closed" :
							      ssl_err(eb, sizeof(eb)));
	ERR_clear_error();
	conn_close(t, c, -EPROTO);
}

/* The SSL object of @c: its socket BIO, the side, and for outbound connections SNI and what the
 * server's certificate must match (@host, or the peer's address when @host is NULL). */
static int conn_tls_setup(struct pc_sip_transport *t, struct tp_conn *c, const char *host)
{
	BIO *bio;

	c->ssl = SSL_new(c->outbound ? t->cli_ctx : t->srv_ctx);
	bio = c->ssl ? BIO_new(t->bio_meth) : NULL;
	if (!bio)
		return -ENOMEM;
	BIO_set_data(bio, (void *)(intptr_t)c->fd);
	SSL_set_bio(c->ssl, bio, bio);
	if (!c->outbound) {
		SSL_set_accept_state(c->ssl);
	} else {
		struct in6_addr tmp;
		bool literal = host && (inet_pton(AF_INET, host, &tmp) == 1 ||
					inet_pton(AF_INET6, host, &tmp) == 1);

		SSL_set_connect_state(c->ssl);
		/* RFC 6066 3: SNI carries names only, never address literals. */
		if (host && !literal && SSL_set_tlsext_host_name(c->ssl, host) != 1)
			return -EINVAL;
		if (t->conf.tls_verify_server) {
			char ip[INET6_ADDRSTRLEN];
			int ok;

			if (host && !literal)
				ok = SSL_set1_host(c->ssl, host);
			else
				ok = X509_VERIFY_PARAM_set1_ip_asc(
					SSL_get0_param(c->ssl),
					host ? host : addr_ip(&c->peer, ip, sizeof(ip)));
			if (ok != 1)
				return -EINVAL;
		}
	}
	ERR_clear_error();
	return 0;
}

static void conn_tls_start(struct pc_sip_transport *t, struct tp_conn *c)
{
	c->state = CONN_HANDSHAKE;
	c->deadline_ms = now_ms() + t->conf.connect_timeout_ms;
	conn_handshake(t, c);
}

/* The TCP connection is up: open it, or start its TLS handshake. */
static void conn_connected(struct pc_sip_transport *t, struct tp_conn *c)
{
	socklen_t alen = sizeof(c->local);

	getsockname(c->fd, &c->local.sa, &alen);
	if (c->ssl)
		conn_tls_start(t, c);
	else
		conn_opened(t, c);
}

static struct tp_conn *conn_find(const struct pc_sip_transport *t, enum pc_sip_tp tp,
				 const union pc_sip_addr *dst)
{
	uint32_t i;

	for (i = 0; i < t->conf.max_conns; i++) {
		struct tp_conn *c = &t->conns[i];

		if (c->state != CONN_FREE && c->state != CONN_CLOSING && c->tp == tp &&
		    pc_sip_addr_equal(&c->peer, dst))
			return c;
	}
	return NULL;
}

/* A new outbound connection to @dst (non-blocking connect). On failure nothing is left and the
 * close handler is not called: the caller gets the error. */
static int conn_open(struct pc_sip_transport *t, enum pc_sip_tp tp, const union pc_sip_addr *dst,
		     const char *host, struct tp_conn **out)
{
	struct tp_conn *c;
	int fd, one = 1, rc;

	if (tp == PC_SIP_TP_TLS && !t->cli_ctx)
		return -ENOTSUP;
	fd = socket(dst->sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c = conn_alloc(t, fd, tp, dst, true);
	if (!c) {
		close(fd);
		t->st.tx_nobufs++;
		return -ENOBUFS;
	}
	c->state = CONN_CONNECTING;
	if (tp == PC_SIP_TP_TLS && (rc = conn_tls_setup(t, c, host)) < 0)
		goto out_free;
	if (connect(fd, &dst->sa, pc_sip_addr_len(dst)) < 0 && errno != EINPROGRESS) {
		rc = -errno;
		goto out_free;
	}
	/* Completion (at once or later) is reported as writability. */
	rc = conn_arm(t, c);
	if (rc)
		goto out_free;
	t->st.conns_opened++;
	t->st.conns_open++;
	*out = c;
	return 0;

out_free:
	ERR_clear_error();
	conn_release(c);
	c->state = CONN_FREE;
	return rc;
}

static void conn_accept(struct pc_sip_transport *t, struct tp_listener *l)
{
	int i;

	for (i = 0; i < TP_DGRAM_BURST; i++) {
		union pc_sip_addr peer;
		socklen_t alen = sizeof(peer);
		struct tp_conn *c;
		int fd, one = 1, rc;

		fd = accept4(l->fd, &peer.sa, &alen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return; /* EAGAIN, or an aborted connection: nothing to do */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = conn_alloc(t, fd, l->tp, &peer, false);
		if (!c) {
			char a[PC_SIP_ADDR_STRLEN];

			fprintf(stderr, "sip %s: connection from %s refused: table full\n",
				pc_sip_tp_name(l->tp), pc_sip_addr_format(&peer, a, sizeof(a)));
			close(fd);
			t->st.conns_refused++;
			continue;
		}
		alen = sizeof(c->local);
		getsockname(fd, &c->local.sa, &alen);
		c->listener = (int)(l - t->listeners);
		c->state = CONN_OPEN;
		t->st.conns_accepted++;
		t->st.conns_open++;
		rc = conn_arm(t, c);
		if (!rc && l->tp == PC_SIP_TP_TLS) {
			rc = conn_tls_setup(t, c, NULL);
			if (!rc)
				conn_tls_start(t, c);
		}
		if (rc)
			conn_close(t, c, rc);
	}
}

static int udp_read(struct pc_sip_transport *t, struct tp_listener *l)
{
	int i, n = 0;

	for (i = 0; i < TP_DGRAM_BURST; i++) {
		union pc_sip_addr src;
		socklen_t alen = sizeof(src);
		ssize_t r;
		size_t k;

		r = recvfrom(l->fd, t->dgram, PC_SIP_MAX_MSG + 1, MSG_TRUNC, &src.sa, &alen);
		if (r < 0)
			break; /* EAGAIN; errors of earlier sends (ICMP) come here too */
		if (r == 0 || r > PC_SIP_MAX_MSG) {
			t->st.rx_dgram_dropped++;
			continue;
		}
		for (k = 0; k < (size_t)r && (t->dgram[k] == '\r' || t->dgram[k] == '\n'); k++)
			;
		if (k == (size_t)r) {
			t->st.rx_keepalives++; /* a CRLF-only keep-alive datagram */
			continue;
		}
		deliver(t, t->dgram, (size_t)r, PC_SIP_TP_UDP, &src, &l->local, 0,
			(int)(l - t->listeners));
		n++;
	}
	return n;
}

static int conn_event(struct pc_sip_transport *t, struct tp_conn *c, uint32_t ev)
{
	int n = 0, err = 0;
	socklen_t elen = sizeof(err);

	switch (c->state) {
	case CONN_CONNECTING:
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
			err = errno;
		if (err) {
			char nm[80];

			fprintf(stderr, "sip %s: connect failed: %s\n",
				conn_name(c, nm, sizeof(nm)), strerror(err));
			conn_close(t, c, -err);
			return 0;
		}
		conn_connected(t, c);
		return 0;
	case CONN_HANDSHAKE:
		conn_handshake(t, c);
		/* Application data may have come with the last handshake flight. */
		if (c->state == CONN_OPEN)
			n = conn_read(t, c);
		return n;
	case CONN_OPEN:
		if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP))
			n = conn_read(t, c);
		if (c->state == CONN_OPEN && (ev & EPOLLOUT)) {
			conn_flush(t, c);
			/* A TLS read may have waited for writability (SSL_ERROR_WANT_WRITE): read
			 * again; it costs one recv() that finds nothing otherwise. */
			if (c->ssl && c->state == CONN_OPEN)
				n += conn_read(t, c);
		}
		if (c->state == CONN_OPEN && (ev & (EPOLLERR | EPOLLHUP)) && !(ev & EPOLLIN))
			conn_close(t, c, -ECONNRESET);
		return n;
	default:
		return 0;
	}
}

/* --- sending --------------------------------------------------------------------------------- */

static int udp_sendto(struct pc_sip_transport *t, const struct tp_listener *l,
		      const union pc_sip_addr *dst, const void *buf, size_t len)
{
	if (sendto(l->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL, &dst->sa, pc_sip_addr_len(dst)) <
	    0) {
		t->st.tx_errors++;
		return -errno;
	}
	return 0;
}

static int udp_send(struct pc_sip_transport *t, const union pc_sip_addr *dst, const void *buf,
		    size_t len)
{
	unsigned i;

	for (i = 0; i < t->nlisteners; i++) {
		const struct tp_listener *l = &t->listeners[i];

		if (l->tp == PC_SIP_TP_UDP && l->local.sa.sa_family == dst->sa.sa_family)
			return udp_sendto(t, l, dst, buf, len);
	}
	return -EADDRNOTAVAIL;
}

int pc_sip_transport_send_from(struct pc_sip_transport *t, int listener,
			       const union pc_sip_addr *dst, const void *buf, size_t len)
{
	const struct tp_listener *l;
	int rc;

	if (!t || listener < 0 || (unsigned)listener >= t->nlisteners || !buf || !len ||
	    len > PC_SIP_MAX_MSG || !pc_sip_addr_len(dst))
		return -EINVAL;
	l = &t->listeners[listener];
	if (l->tp != PC_SIP_TP_UDP || l->local.sa.sa_family != dst->sa.sa_family)
		return -EINVAL;
	rc = udp_sendto(t, l, dst, buf, len);
	if (rc)
		return rc;
	t->st.tx_msgs++;
	t->st.tx_bytes += len;
	return 0;
}

static int tp_send(struct pc_sip_transport *t, enum pc_sip_tp tp, const union pc_sip_addr *dst,
		   const char *host, const void *buf, size_t len, uint32_t *conn_out)
{
	struct tp_conn *c;
	int rc;

	if (tp == PC_SIP_TP_UDP) {
		if (conn_out)
			*conn_out = 0;
		return udp_send(t, dst, buf, len);
	}
	c = conn_find(t, tp, dst);
	if (!c) {
		rc = conn_open(t, tp, dst, host, &c);
		if (rc)
			return rc;
	}
	if (conn_out)
		*conn_out = conn_handle(t, c);
	c->last_ms = now_ms();
	return conn_queue(t, c, buf, len);
}

int pc_sip_transport_send(struct pc_sip_transport *t, enum pc_sip_tp tp,
			  const union pc_sip_addr *dst, const char *host, const void *buf,
			  size_t len, uint32_t *conn_out)
{
	int rc;

	if (!t || !buf || !len || len > PC_SIP_MAX_MSG || (unsigned)tp >= PC_SIP_TP__COUNT ||
	    !pc_sip_addr_len(dst))
		return -EINVAL;
	rc = tp_send(t, tp, dst, host, buf, len, conn_out);
	if (rc)
		return rc;
	t->st.tx_msgs++;
	t->st.tx_bytes += len;
	return 0;
}

int pc_sip_transport_send_conn(struct pc_sip_transport *t, uint32_t conn, const void *buf,
			       size_t len)
{
	struct tp_conn *c;
	int rc;

	if (!t || !buf || !len || len > PC_SIP_MAX_MSG)
		return -EINVAL;
	c = conn_get(t, conn);
	if (!c)
		return -ENOTCONN;
	c->last_ms = now_ms();
	rc = conn_queue(t, c, buf, len);
	if (rc)
		return rc;
	t->st.tx_msgs++;
	t->st.tx_bytes += len;
	return 0;
}

int pc_sip_transport_close(struct pc_sip_transport *t, uint32_t conn)
{
	struct tp_conn *c = t ? conn_get(t, conn) : NULL;

	if (!c)
		return -ENOTCONN;
	conn_close(t, c, 0);
	return 0;
}

int pc_sip_transport_conn_peer(const struct pc_sip_transport *t, uint32_t conn,
			       union pc_sip_addr *peer, enum pc_sip_tp *tp)
{
	const struct tp_conn *c = t ? conn_get(t, conn) : NULL;

	if (!c)
		return -ENOTCONN;
	if (peer)
		*peer = c->peer;
	if (tp)
		*tp = c->tp;
	return 0;
}

uint32_t pc_sip_transport_conn_find(const struct pc_sip_transport *t, enum pc_sip_tp tp,
				    const union pc_sip_addr *dst)
{
	const struct tp_conn *c;

	if (!t || !pc_sip_addr_len(dst))
		return 0;
	c = conn_find(t, tp, dst);
	return c ? conn_handle(t, c) : 0;
}

int pc_sip_transport_keepalive(struct pc_sip_transport *t, enum pc_sip_tp tp,
			       const union pc_sip_addr *dst, uint32_t interval_ms)
{
	struct tp_flow *free_flow = NULL;
	uint32_t i;

	if (!t || (unsigned)tp >= PC_SIP_TP__COUNT || !pc_sip_addr_len(dst))
		return -EINVAL;
	for (i = 0; i < t->conf.max_keepalives; i++) {
		struct tp_flow *f = &t->flows[i];

		if (!f->used) {
			if (!free_flow)
				free_flow = f;
			continue;
		}
		if (f->tp == tp && pc_sip_addr_equal(&f->dst, dst)) {
			if (!interval_ms) {
				f->used = false;
				return 0;
			}
			f->interval_ms = interval_ms;
			f->next_ms = now_ms() + interval_ms;
			return 0;
		}
	}
	if (!interval_ms)
		return -ENOENT;
	if (!free_flow)
		return -ENOBUFS;
	free_flow->used = true;
	free_flow->tp = tp;
	free_flow->dst = *dst;
	free_flow->interval_ms = interval_ms;
	free_flow->next_ms = now_ms() + interval_ms;
	return 0;
}

/* --- the loop -------------------------------------------------------------------------------- */

int pc_sip_transport_fd(const struct pc_sip_transport *t)
{
	return t ? t->epfd : -EINVAL;
}

int pc_sip_transport_watch_wake(struct pc_sip_transport *t, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN };

	if (!t || fd < 0)
		return -EINVAL;
	if (t->wake_fd >= 0)
		return -EBUSY;
	ev.data.u64 = (uint64_t)TAG_WAKE << 32;
	if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	t->wake_fd = fd;
	return 0;
}

static void deadline_min(uint64_t *next, uint64_t at)
{
	if (at < *next)
		*next = at;
}

int pc_sip_transport_timeout(const struct pc_sip_transport *t)
{
	uint64_t next = UINT64_MAX, now;
	uint32_t i;

	if (!t)
		return -1;
	for (i = 0; i < t->conf.max_conns; i++) {
		const struct tp_conn *c = &t->conns[i];

		if (c->state == CONN_CONNECTING || c->state == CONN_HANDSHAKE)
			deadline_min(&next, c->deadline_ms);
		if (c->state != CONN_OPEN)
			continue;
		if (t->conf.idle_timeout_ms != UINT32_MAX)
			deadline_min(&next, c->last_ms + t->conf.idle_timeout_ms);
		if (t->conf.keepalive_ms && c->outbound)
			deadline_min(&next, c->ka_ms);
	}
	for (i = 0; i < t->conf.max_keepalives; i++)
		if (t->flows[i].used)
			deadline_min(&next, t->flows[i].next_ms);
	if (t->reap)
		return 0;
	if (next == UINT64_MAX)
		return -1;
	now = now_ms();
	if (next <= now)
		return 0;
	return next - now > INT32_MAX ? INT32_MAX : (int)(next - now);
}

static void run_timers(struct pc_sip_transport *t)
{
	uint64_t now = now_ms();
	uint32_t i;

	for (i = 0; i < t->conf.max_conns; i++) {
		struct tp_conn *c = &t->conns[i];
		char nm[80];

		if ((c->state == CONN_CONNECTING || c->state == CONN_HANDSHAKE) &&
		    now >= c->deadline_ms) {
			fprintf(stderr, "sip %s: %s timed out\n", conn_name(c, nm, sizeof(nm)),
				c->state == CONN_CONNECTING ? "connect" : "TLS handshake");
			if (c->state == CONN_HANDSHAKE)
				t->st.tls_failures++;
			conn_close(t, c, -ETIMEDOUT);
			continue;
		}
		if (c->state != CONN_OPEN)
			continue;
		if (t->conf.idle_timeout_ms != UINT32_MAX &&
		    now - c->last_ms >= t->conf.idle_timeout_ms) {
			t->st.conns_idle++;
			conn_close(t, c, 0);
			continue;
		}
		if (t->conf.keepalive_ms && c->outbound && now >= c->ka_ms) {
			c->ka_ms = now + t->conf.keepalive_ms;
			if (conn_queue(t, c, tp_ping, sizeof(tp_ping) - 1) == 0)
				t->st.tx_keepalives++;
		}
	}
	for (i = 0; i < t->conf.max_keepalives; i++) {
		struct tp_flow *f = &t->flows[i];
		union pc_sip_addr dst;

		if (!f->used || now < f->next_ms)
			continue;
		f->next_ms = now + f->interval_ms;
		dst = f->dst;
		if (t->conf.on_keepalive && t->conf.on_keepalive(t->conf.arg, f->tp, &dst) == 0)
			continue;
		/* The handler may have removed flows: @f is still a valid slot either way. A
		 * stream flow is pinged over its connection only: when that is gone the close
		 * handler has said so, and the UA registers again (RFC 5626 4.4.1). */
		if (f->tp == PC_SIP_TP_UDP) {
			if (udp_send(t, &dst, tp_ping, sizeof(tp_ping) - 1) == 0)
				t->st.tx_keepalives++;
		} else {
			struct tp_conn *c = conn_find(t, f->tp, &dst);

			if (c && conn_queue(t, c, tp_ping, sizeof(tp_ping) - 1) == 0)
				t->st.tx_keepalives++;
		}
	}
}

int pc_sip_transport_poll(struct pc_sip_transport *t, int timeout_ms)
{
	struct epoll_event evs[TP_EVENTS];
	int n, i, delivered = 0, tt;

	if (!t)
		return -EINVAL;
	conn_reap(t);
	tt = pc_sip_transport_timeout(t);
	if (tt >= 0 && (timeout_ms < 0 || tt < timeout_ms))
		timeout_ms = tt;
	n = epoll_wait(t->epfd, evs, TP_EVENTS, timeout_ms);
	if (n < 0)
		return -errno;
	for (i = 0; i < n; i++) {
		uint32_t tag = (uint32_t)(evs[i].data.u64 >> 32);
		uint32_t idx = (uint32_t)evs[i].data.u64;

		if (tag == TAG_LISTENER) {
			struct tp_listener *l = &t->listeners[idx];

			if (l->tp == PC_SIP_TP_UDP)
				delivered += udp_read(t, l);
			else
				conn_accept(t, l);
		} else if (tag == TAG_CONN) {
			struct tp_conn *c = conn_get(t, idx);

			if (c)
				delivered += conn_event(t, c, evs[i].events);
		} else if (tag == TAG_WAKE) {
			uint64_t count;

			/* Only the wake-up matters: the count goes, the fd stays watched. */
			if (read(t->wake_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
				t->st.wake_errors++;
		}
	}
	run_timers(t);
	conn_reap(t);
	return delivered;
}

void pc_sip_transport_stats(const struct pc_sip_transport *t, struct pc_sip_transport_stats *st)
{
	if (t && st)
		*st = t->st;
}
