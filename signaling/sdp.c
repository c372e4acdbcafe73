/* SPDX-License-Identifier: MIT */
/* sdp.c - SDP parser and printer (RFC 4566, RFC 4568 crypto; see pc_sdp.h for what it reads). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "pc_sdp.h"

typedef struct pc_sip_slice slice_t;

static const char *const suite_names[PC_SDP_CRYPTO__COUNT] = {
	[PC_SDP_CRYPTO_UNKNOWN] = "",
	[PC_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_80] = "AES_CM_128_HMAC_SHA1_80",
	[PC_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_32] = "AES_CM_128_HMAC_SHA1_32",
	[PC_SDP_CRYPTO_AEAD_AES_128_GCM] = "AEAD_AES_128_GCM",
	[PC_SDP_CRYPTO_AEAD_AES_256_GCM] = "AEAD_AES_256_GCM",
};

/* RFC 3711 8.2 and RFC 7714 12: master key || master salt. */
static const unsigned suite_key_len[PC_SDP_CRYPTO__COUNT] = {
	[PC_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_80] = 30,
	[PC_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_32] = 30,
	[PC_SDP_CRYPTO_AEAD_AES_128_GCM] = 28,
	[PC_SDP_CRYPTO_AEAD_AES_256_GCM] = 44,
};

static const char *const media_names[PC_SDP_MEDIA__COUNT] = {
	"audio", "video", "text", "application", "message", "",
};

static const char *const proto_names[] = {
	[PC_SDP_PROTO_RTP_AVP] = "RTP/AVP",
	[PC_SDP_PROTO_RTP_SAVP] = "RTP/SAVP",
	[PC_SDP_PROTO_RTP_AVPF] = "RTP/AVPF",
	[PC_SDP_PROTO_RTP_SAVPF] = "RTP/SAVPF",
	[PC_SDP_PROTO_UDP_TLS_RTP_SAVPF] = "UDP/TLS/RTP/SAVPF",
	[PC_SDP_PROTO_OTHER] = "",
};

static const char *const dir_names[] = {
	[PC_SDP_DIR_NONE] = "",
	[PC_SDP_DIR_SENDRECV] = "sendrecv",
	[PC_SDP_DIR_SENDONLY] = "sendonly",
	[PC_SDP_DIR_RECVONLY] = "recvonly",
	[PC_SDP_DIR_INACTIVE] = "inactive",
};

const char *pc_sdp_crypto_suite_name(enum pc_sdp_crypto_suite suite)
{
	if ((unsigned)suite >= PC_SDP_CRYPTO__COUNT)
		return "";
	return suite_names[suite];
}

unsigned pc_sdp_crypto_key_len(enum pc_sdp_crypto_suite suite)
{
	if ((unsigned)suite >= PC_SDP_CRYPTO__COUNT)
		return 0;
	return suite_key_len[suite];
}

enum pc_sdp_dir pc_sdp_media_dir(const struct pc_sdp *sdp, unsigned i)
{
	if (i < sdp->nmedia && sdp->media[i].dir != PC_SDP_DIR_NONE)
		return sdp->media[i].dir;
	if (sdp->dir != PC_SDP_DIR_NONE)
		return sdp->dir;
	return PC_SDP_DIR_SENDRECV;
}

const struct pc_sdp_conn *pc_sdp_media_conn(const struct pc_sdp *sdp, unsigned i)
{
	if (i < sdp->nmedia && sdp->media[i].conn.addrtype != PC_SDP_ADDR_NONE)
		return &sdp->media[i].conn;
	return &sdp->conn;
}

const struct pc_sdp_fmt *pc_sdp_find_fmt(const struct pc_sdp_media *m, unsigned pt)
{
	for (unsigned i = 0; i < m->nfmt && i < PC_SDP_MAX_FMT; i++)
		if (m->fmt[i].pt == pt)
			return &m->fmt[i];
	return NULL;
}

unsigned pc_sdp_fb_flags(const struct pc_sdp_media *m, unsigned pt)
{
	unsigned f = 0;

	for (unsigned i = 0; i < m->nrtcpfb && i < PC_SDP_MAX_RTCPFB; i++)
		if (m->rtcpfb[i].pt < 0 || (unsigned)m->rtcpfb[i].pt == pt)
			f |= m->rtcpfb[i].kind;
	return f;
}

/* ---- Lexing helpers ---- */

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int hexval(unsigned char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool s_eq(slice_t s, const char *lit)
{
	size_t n = strlen(lit);

	return s.len == n && memcmp(s.p, lit, n) == 0;
}

static bool s_ieq(slice_t s, const char *lit)
{
	size_t n = strlen(lit);

	if (s.len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(s.p[i]) != lower(lit[i]))
			return false;
	return true;
}

static slice_t s_trim(slice_t s)
{
	while (s.len && (s.p[0] == ' ' || s.p[0] == '\t')) {
		s.p++;
		s.len--;
	}
	while (s.len && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t'))
		s.len--;
	return s;
}

/* Splits at the first @sep: *head before it, returns the rest after it (len 0 and p NULL when
 * @sep is absent, *head then the whole slice). */
static slice_t s_split(slice_t s, char sep, slice_t *head, bool *found)
{
	const char *q = s.len ? memchr(s.p, sep, s.len) : NULL;

	if (!q) {
		*head = s;
		if (found)
			*found = false;
		return (slice_t){ s.p + s.len, 0 };
	}
	*head = (slice_t){ s.p, (size_t)(q - s.p) };
	if (found)
		*found = true;
	return (slice_t){ q + 1, s.len - (size_t)(q - s.p) - 1 };
}

/* The next token separated by spaces (one or more SP/HTAB tolerated); false at the end. */
static bool s_tok(slice_t *s, slice_t *tok)
{
	size_t i = 0, start;

	while (i < s->len && (s->p[i] == ' ' || s->p[i] == '\t'))
		i++;
	if (i == s->len) {
		s->p += s->len;
		s->len = 0;
		return false;
	}
	start = i;
	while (i < s->len && s->p[i] != ' ' && s->p[i] != '\t')
		i++;
	*tok = (slice_t){ s->p + start, i - start };
	s->p += i;
	s->len -= i;
	return true;
}

/* 1*DIGIT up to @max: 0, -EBADMSG (empty or not digits), -ERANGE. */
static int s_uint(slice_t s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (s.len == 0)
		return -EBADMSG;
	for (size_t i = 0; i < s.len; i++) {
		unsigned d;

		if (!is_digit((unsigned char)s.p[i]))
			return -EBADMSG;
		d = (unsigned)(s.p[i] - '0');
		if (d > max || v > (max - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* Copies a slice for an error message: printable ASCII kept, anything else as '?', cut. */
static const char *shown(char *out, size_t outlen, slice_t s)
{
	size_t n = 0;

	for (size_t i = 0; i < s.len && n + 4 < outlen; i++) {
		unsigned char c = (unsigned char)s.p[i];
		out[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (n < s.len && n + 3 < outlen) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
	return out;
}

struct ctx {
	char *err;
	size_t errlen;
	unsigned line;
	char show[48];
};

__attribute__((format(printf, 3, 4))) static int fail(struct ctx *c, int rc, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (c->err && c->errlen > 0) {
		if (c->line)
			n = snprintf(c->err, c->errlen, "line %u: ", c->line);
		if (n < 0 || (size_t)n >= c->errlen)
			return rc;
		va_start(ap, fmt);
		vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static int num(struct ctx *c, slice_t s, uint64_t max, uint64_t *out, const char *what)
{
	int rc = s_uint(s, max, out);

	if (rc == -EBADMSG)
		return fail(c, rc, "bad %s '%s'", what, shown(c->show, sizeof(c->show), s));
	if (rc == -ERANGE)
		return fail(c, rc, "%s '%s' out of range (max %llu)", what,
			    shown(c->show, sizeof(c->show), s), (unsigned long long)max);
	return 0;
}

/* ---- base64 (RFC 4648 4; padding optional, as RFC 4568 key-salt often omits it) ---- */

static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (is_digit(c))
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* 0, -EBADMSG (bad character or length, data after padding), -E2BIG (more than @cap). */
static int b64_decode(slice_t s, uint8_t *out, size_t cap, size_t *outlen)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t n = 0, len = s.len, pad = 0;

	while (len && s.p[len - 1] == '=' && pad < 2) {
		len--;
		pad++;
	}
	if (len == 0 || (len + pad) % 4 == 1 || (pad && (len + pad) % 4 != 0))
		return -EBADMSG;
	for (size_t i = 0; i < len; i++) {
		int v = b64val((unsigned char)s.p[i]);

		if (v < 0)
			return -EBADMSG;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == cap)
				return -E2BIG;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	/* The leftover bits of the last quantum must be zero (canonical encoding). */
	if (acc & ((1u << bits) - 1))
		return -EBADMSG;
	*outlen = n;
	return 0;
}

/* ---- Line parsers ---- */

static bool is_rtp_proto(enum pc_sdp_proto p)
{
	return p != PC_SDP_PROTO_OTHER;
}

/* An address in c=, o= or a=rtcp: literal of the given type, else an FQDN. */
static int parse_addr(struct ctx *c, struct pc_sdp_conn *conn, slice_t a)
{
	char buf[64];

	if (a.len == 0)
		return fail(c, -EBADMSG, "empty address");
	if (a.len < sizeof(buf)) {
		memcpy(buf, a.p, a.len);
		buf[a.len] = '\0';
		if (inet_pton(conn->addrtype == PC_SDP_ADDR_IP6 ? AF_INET6 : AF_INET, buf,
			      conn->ip) == 1) {
			conn->addr = a;
			if (conn->addrtype == PC_SDP_ADDR_IP4)
				conn->hold = memcmp(conn->ip, "\0\0\0\0", 4) == 0;
			return 0;
		}
	}
	/* RFC 4566 9: unicast-address / FQDN. A literal that failed above is no name. */
	for (size_t i = 0; i < a.len; i++) {
		unsigned char ch = (unsigned char)a.p[i];

		if (!is_alnum(ch) && ch != '-' && ch != '.')
			return fail(c, -EBADMSG, "bad %s address '%s'",
				    conn->addrtype == PC_SDP_ADDR_IP6 ? "IP6" : "IP4",
				    shown(c->show, sizeof(c->show), a));
	}
	if (a.len > 255)
		return fail(c, -EBADMSG, "address longer than 255 octets");
	/* A name whose last label is all digits is a mistyped IPv4 literal (no numeric TLD). */
	for (size_t i = a.len; i > 0 && a.p[i - 1] != '.'; i--) {
		if (!is_digit((unsigned char)a.p[i - 1]))
			break;
		if (i == 1 || a.p[i - 2] == '.')
			return fail(c, -EBADMSG, "bad %s address '%s'",
				    conn->addrtype == PC_SDP_ADDR_IP6 ? "IP6" : "IP4",
				    shown(c->show, sizeof(c->show), a));
	}
	conn->addr = a;
	conn->is_fqdn = true;
	return 0;
}

static int parse_addrtype(struct ctx *c, slice_t nettype, slice_t at, enum pc_sdp_addrtype *out)
{
	if (!s_eq(nettype, "IN"))
		return fail(c, -EBADMSG, "network type '%s' is not IN",
			    shown(c->show, sizeof(c->show), nettype));
	if (s_eq(at, "IP4"))
		*out = PC_SDP_ADDR_IP4;
	else if (s_eq(at, "IP6"))
		*out = PC_SDP_ADDR_IP6;
	else
		return fail(c, -EBADMSG, "address type '%s' is not IP4 or IP6",
			    shown(c->show, sizeof(c->show), at));
	return 0;
}

/* c=IN IP4 addr[/ttl[/n]] | IN IP6 addr[/n] */
static int parse_c(struct ctx *c, struct pc_sdp_conn *conn, slice_t v)
{
	slice_t nettype, at, addr, rest, a, x;
	uint64_t n;
	bool slash;
	int rc;

	if (conn->addrtype != PC_SDP_ADDR_NONE)
		return fail(c, -EBADMSG, "second c= line at this level");
	if (!s_tok(&v, &nettype) || !s_tok(&v, &at) || !s_tok(&v, &addr) || s_tok(&v, &x))
		return fail(c, -EBADMSG, "c= is not '<nettype> <addrtype> <address>'");
	rc = parse_addrtype(c, nettype, at, &conn->addrtype);
	if (rc)
		return rc;
	conn->naddr = 1;
	rest = s_split(addr, '/', &a, &slash);
	rc = parse_addr(c, conn, a);
	if (rc)
		return rc;
	if (slash) {
		slice_t first, second;
		bool two;

		second = s_split(rest, '/', &first, &two);
		if (conn->addrtype == PC_SDP_ADDR_IP4) {
			rc = num(c, first, 255, &n, "TTL");
			if (rc)
				return rc;
			conn->ttl = (uint16_t)n;
			if (two) {
				rc = num(c, second, 65535, &n, "address count");
				if (rc)
					return rc;
				conn->naddr = (uint16_t)n;
			}
		} else {
			if (two)
				return fail(c, -EBADMSG, "IP6 c= takes no TTL");
			rc = num(c, first, 65535, &n, "address count");
			if (rc)
				return rc;
			conn->naddr = (uint16_t)n;
		}
		if (conn->naddr == 0)
			return fail(c, -EBADMSG, "address count 0");
	}
	return 0;
}

static int parse_o(struct ctx *c, struct pc_sdp *sdp, slice_t v)
{
	slice_t user, id, ver, nettype, at, addr, x;
	struct pc_sdp_conn conn = { 0 };
	int rc;

	if (!s_tok(&v, &user) || !s_tok(&v, &id) || !s_tok(&v, &ver) || !s_tok(&v, &nettype) ||
	    !s_tok(&v, &at) || !s_tok(&v, &addr) || s_tok(&v, &x))
		return fail(c, -EBADMSG,
			    "o= is not '<username> <sess-id> <sess-version> "
			    "<nettype> <addrtype> <address>'");
	sdp->o_username = user;
	rc = num(c, id, UINT64_MAX, &sdp->sess_id, "sess-id");
	if (!rc)
		rc = num(c, ver, UINT64_MAX, &sdp->sess_version, "sess-version");
	if (!rc)
		rc = parse_addrtype(c, nettype, at, &sdp->o_addrtype);
	if (rc)
		return rc;
	conn.addrtype = sdp->o_addrtype;
	rc = parse_addr(c, &conn, addr);
	if (rc)
		return rc;
	sdp->o_addr = addr;
	return 0;
}

static int parse_b(struct ctx *c, unsigned *nbw, struct pc_sdp_bw *bw, slice_t v)
{
	slice_t type, val;
	uint64_t n;
	bool found;
	int rc;

	val = s_split(v, ':', &type, &found);
	if (!found || type.len == 0)
		return fail(c, -EBADMSG, "b= is not '<bwtype>:<bandwidth>'");
	for (size_t i = 0; i < type.len; i++)
		if (!is_alnum((unsigned char)type.p[i]) && type.p[i] != '-' && type.p[i] != '_')
			return fail(c, -EBADMSG, "bad bwtype");
	rc = num(c, val, UINT32_MAX, &n, "bandwidth");
	if (rc)
		return rc;
	if (*nbw >= PC_SDP_MAX_BW)
		return fail(c, -E2BIG, "more than %d b= lines at one level", PC_SDP_MAX_BW);
	bw[*nbw].type = type;
	bw[*nbw].value = (uint32_t)n;
	(*nbw)++;
	return 0;
}

static int parse_t(struct ctx *c, struct pc_sdp *sdp, slice_t v, bool first)
{
	slice_t a, b, x;
	uint64_t start, stop;
	int rc;

	if (!s_tok(&v, &a) || !s_tok(&v, &b) || s_tok(&v, &x))
		return fail(c, -EBADMSG, "t= is not '<start-time> <stop-time>'");
	rc = num(c, a, UINT64_MAX, &start, "start time");
	if (!rc)
		rc = num(c, b, UINT64_MAX, &stop, "stop time");
	if (rc)
		return rc;
	if (first) {
		sdp->t_start = start;
		sdp->t_stop = stop;
	}
	return 0;
}

static void media_type_of(struct pc_sdp_media *m, slice_t t)
{
	m->type = PC_SDP_MEDIA_OTHER;
	for (unsigned i = 0; i < PC_SDP_MEDIA_OTHER; i++)
		if (s_eq(t, media_names[i]))
			m->type = (enum pc_sdp_media_type)i;
	m->type_name = t;
}

/* m=<media> <port>[/<number of ports>] <proto> <fmt> ... */
static int parse_m(struct ctx *c, struct pc_sdp_media *m, slice_t v)
{
	slice_t type, portn, proto, fmt, port, rest;
	uint64_t n;
	bool slash;
	int rc;

	if (!s_tok(&v, &type) || !s_tok(&v, &portn) || !s_tok(&v, &proto))
		return fail(c, -EBADMSG, "m= is not '<media> <port> <proto> <fmt> ...'");
	for (size_t i = 0; i < type.len; i++)
		if (!is_alnum((unsigned char)type.p[i]) && type.p[i] != '-')
			return fail(c, -EBADMSG, "bad media type '%s'",
				    shown(c->show, sizeof(c->show), type));
	media_type_of(m, type);
	rest = s_split(portn, '/', &port, &slash);
	rc = num(c, port, 65535, &n, "port");
	if (rc)
		return rc;
	m->port = (uint16_t)n;
	m->nports = 1;
	if (slash) {
		rc = num(c, rest, 65535, &n, "number of ports");
		if (rc)
			return rc;
		if (n == 0)
			return fail(c, -EBADMSG, "number of ports 0");
		m->nports = (uint16_t)n;
	}
	m->proto = PC_SDP_PROTO_OTHER;
	for (unsigned i = 0; i < PC_SDP_PROTO_OTHER; i++)
		if (s_eq(proto, proto_names[i]))
			m->proto = (enum pc_sdp_proto)i;
	m->proto_name = proto;
	for (size_t i = 0; i < proto.len; i++) {
		unsigned char ch = (unsigned char)proto.p[i];

		if (!is_alnum(ch) && ch != '/' && ch != '-' && ch != '_' && ch != '.')
			return fail(c, -EBADMSG, "bad proto '%s'",
				    shown(c->show, sizeof(c->show), proto));
	}
	m->fmt_text = s_trim(v);
	if (m->fmt_text.len == 0)
		return fail(c, -EBADMSG, "m= has no format");
	if (!is_rtp_proto(m->proto))
		return 0;
	while (s_tok(&v, &fmt)) {
		rc = num(c, fmt, 127, &n, "payload type");
		if (rc)
			return rc;
		if (pc_sdp_find_fmt(m, (unsigned)n))
			return fail(c, -EBADMSG, "payload type %u listed twice", (unsigned)n);
		if (m->nfmt >= PC_SDP_MAX_FMT)
			return fail(c, -E2BIG, "more than %d formats in one m= line",
				    PC_SDP_MAX_FMT);
		m->fmt[m->nfmt].pt = (uint8_t)n;
		m->fmt[m->nfmt].opus = (struct pc_sdp_opus){ -1, -1, -1, -1, -1, 0, 0, 0 };
		m->nfmt++;
	}
	return 0;
}

static int add_attr(struct ctx *c, unsigned *nattr, struct pc_sdp_attr *attr, slice_t name,
		    bool has_value, slice_t value)
{
	if (*nattr >= PC_SDP_MAX_ATTR)
		return fail(c, -E2BIG, "more than %d other attributes at one level",
			    PC_SDP_MAX_ATTR);
	attr[*nattr] = (struct pc_sdp_attr){ name, has_value, value };
	(*nattr)++;
	return 0;
}

static struct pc_sdp_fmt *fmt_of(struct pc_sdp_media *m, slice_t pt)
{
	uint64_t n;

	if (s_uint(pt, 127, &n) != 0)
		return NULL;
	return (struct pc_sdp_fmt *)pc_sdp_find_fmt(m, (unsigned)n);
}

/* rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>] */
static int parse_rtpmap(struct ctx *c, struct pc_sdp_media *m, slice_t v, bool *kept)
{
	slice_t pt, map, name, clock, chans, rest;
	struct pc_sdp_fmt *f;
	uint64_t n;
	bool found, two;
	int rc;

	*kept = false;
	if (!s_tok(&v, &pt) || !s_tok(&v, &map) || s_tok(&v, &rest))
		return fail(c, -EBADMSG, "rtpmap is not '<pt> <name>/<clock>[/<params>]'");
	rc = num(c, pt, 127, &n, "rtpmap payload type");
	if (rc)
		return rc;
	f = fmt_of(m, pt);
	if (!f)
		return 0; /* not in the m= line: kept as an other attribute */
	if (f->has_rtpmap)
		return fail(c, -EBADMSG, "second rtpmap for payload type %u", f->pt);
	rest = s_split(map, '/', &name, &found);
	if (!found || name.len == 0)
		return fail(c, -EBADMSG, "rtpmap '%s' has no clock rate",
			    shown(c->show, sizeof(c->show), map));
	chans = s_split(rest, '/', &clock, &two);
	rc = num(c, clock, UINT32_MAX, &n, "clock rate");
	if (rc)
		return rc;
	if (n == 0)
		return fail(c, -ERANGE, "clock rate 0");
	f->clock = (uint32_t)n;
	if (two) {
		rc = num(c, chans, 255, &n, "encoding parameters");
		if (rc)
			return rc;
		f->channels = (uint8_t)n;
	}
	f->encoding = name;
	f->has_rtpmap = true;
	*kept = true;
	return 0;
}

/* Splits fmtp parameters "a=b; c=d" one at a time. */
static bool next_param(slice_t *s, slice_t *name, slice_t *value)
{
	slice_t item;
	bool eq;

	while (s->len) {
		*s = s_split(*s, ';', &item, NULL);
		item = s_trim(item);
		if (item.len == 0)
			continue;
		*value = s_trim(s_split(item, '=', name, &eq));
		*name = s_trim(*name);
		if (!eq)
			*value = (slice_t){ item.p + item.len, 0 };
		return true;
	}
	return false;
}

static int decode_h264(struct ctx *c, struct pc_sdp_h264 *h, slice_t s)
{
	slice_t name, value;
	uint64_t n;
	int rc;

	*h = (struct pc_sdp_h264){ .profile_idc = 0x42, .level_idc = 0x0a };
	while (next_param(&s, &name, &value)) {
		if (s_ieq(name, "profile-level-id")) {
			int d[6];

			if (value.len != 6)
				return fail(c, -EBADMSG, "bad profile-level-id '%s'",
					    shown(c->show, sizeof(c->show), value));
			for (int i = 0; i < 6; i++) {
				d[i] = hexval((unsigned char)value.p[i]);
				if (d[i] < 0)
					return fail(c, -EBADMSG, "bad profile-level-id '%s'",
						    shown(c->show, sizeof(c->show), value));
			}
			h->has_profile_level_id = true;
			h->profile_idc = (uint8_t)(d[0] << 4 | d[1]);
			h->profile_iop = (uint8_t)(d[2] << 4 | d[3]);
			h->level_idc = (uint8_t)(d[4] << 4 | d[5]);
		} else if (s_ieq(name, "packetization-mode")) {
			rc = num(c, value, 2, &n, "packetization-mode");
			if (rc)
				return rc;
			h->packetization_mode = (uint8_t)n;
		} else if (s_ieq(name, "max-fs") || s_ieq(name, "max-mbps") ||
			   s_ieq(name, "max-br")) {
			rc = num(c, value, UINT32_MAX, &n, "H.264 parameter");
			if (rc)
				return rc;
			if (s_ieq(name, "max-fs"))
				h->max_fs = (uint32_t)n;
			else if (s_ieq(name, "max-mbps"))
				h->max_mbps = (uint32_t)n;
			else
				h->max_br = (uint32_t)n;
		}
	}
	return 0;
}

static int decode_opus(struct ctx *c, struct pc_sdp_fmt *f)
{
	static const char *const flags[] = { "stereo", "sprop-stereo", "useinbandfec", "usedtx",
					     "cbr" };
	slice_t s = f->fmtp, name, value;
	int8_t *flag_out[] = { &f->opus.stereo, &f->opus.sprop_stereo, &f->opus.useinbandfec,
			       &f->opus.usedtx, &f->opus.cbr };
	uint64_t n;
	int rc;

	while (next_param(&s, &name, &value)) {
		for (unsigned i = 0; i < 5; i++) {
			if (!s_ieq(name, flags[i]))
				continue;
			rc = num(c, value, 1, &n, "opus flag");
			if (rc)
				return rc;
			*flag_out[i] = (int8_t)n;
		}
		if (s_ieq(name, "maxplaybackrate") || s_ieq(name, "maxaveragebitrate") ||
		    s_ieq(name, "minptime")) {
			rc = num(c, value, UINT32_MAX, &n, "opus parameter");
			if (rc)
				return rc;
			if (s_ieq(name, "maxplaybackrate"))
				f->opus.maxplaybackrate = (uint32_t)n;
			else if (s_ieq(name, "maxaveragebitrate"))
				f->opus.maxaveragebitrate = (uint32_t)n;
			else
				f->opus.minptime = (uint32_t)n;
		}
	}
	return 0;
}

/* RFC 4733 7.1.1: events = event-list ("0-15,66,70"); bits kept for 0-16. */
static int decode_events(struct ctx *c, uint32_t *events, slice_t s)
{
	slice_t item, lo, hi;
	uint64_t a, b;
	bool range;
	int rc;

	s = s_trim(s);
	*events = 0;
	while (s.len) {
		s = s_split(s, ',', &item, NULL);
		hi = s_split(s_trim(item), '-', &lo, &range);
		rc = num(c, lo, 255, &a, "telephone-event");
		if (rc)
			return rc;
		b = a;
		if (range) {
			rc = num(c, hi, 255, &b, "telephone-event");
			if (rc)
				return rc;
		}
		if (b < a)
			return fail(c, -EBADMSG, "telephone-event range %u-%u backwards",
				    (unsigned)a, (unsigned)b);
		for (uint64_t e = a; e <= b && e <= 16; e++)
			*events |= 1u << e;
	}
	return 0;
}

int pc_sdp_h264_params(struct pc_sdp_h264 *out, struct pc_sip_slice fmtp)
{
	struct ctx c = { 0 };

	return decode_h264(&c, out, fmtp);
}

int pc_sdp_te_events(uint32_t *mask, struct pc_sip_slice fmtp)
{
	struct ctx c = { 0 };

	return decode_events(&c, mask, fmtp);
}

/* Decodes the fmtp of every format of @m (after the whole m-section: rtpmap may follow). */
static int finish_media(struct ctx *c, struct pc_sdp_media *m)
{
	int rc = 0;

	for (unsigned i = 0; i < m->nfmt; i++) {
		struct pc_sdp_fmt *f = &m->fmt[i];

		if (f->has_rtpmap && s_ieq(f->encoding, "telephone-event"))
			f->events = 0xffff; /* RFC 4733 7.1.1: 0-15 when no fmtp */
		if (f->has_rtpmap && s_ieq(f->encoding, "H264")) {
			f->h264.profile_idc = 0x42;
			f->h264.level_idc = 0x0a;
		}
		if (!f->has_fmtp || !f->has_rtpmap)
			continue;
		if (s_ieq(f->encoding, "H264"))
			rc = decode_h264(c, &f->h264, f->fmtp);
		else if (s_ieq(f->encoding, "opus"))
			rc = decode_opus(c, f);
		else if (s_ieq(f->encoding, "telephone-event"))
			rc = decode_events(c, &f->events, f->fmtp);
		if (rc)
			return rc;
	}
	return 0;
}

static int parse_fmtp(struct ctx *c, struct pc_sdp_media *m, slice_t v, bool *kept)
{
	slice_t pt, params;
	struct pc_sdp_fmt *f;

	*kept = false;
	params = s_split(v, ' ', &pt, NULL);
	f = fmt_of(m, pt);
	if (!f)
		return 0;
	if (f->has_fmtp)
		return fail(c, -EBADMSG, "second fmtp for payload type %u", f->pt);
	f->has_fmtp = true;
	f->fmtp = s_trim(params);
	*kept = true;
	return 0;
}

/* rtcp-fb:<pt|*> <type> [<param>] */
static int parse_rtcpfb(struct ctx *c, struct pc_sdp_media *m, slice_t v)
{
	struct pc_sdp_rtcpfb *fb;
	slice_t pt, type, param, x;
	uint64_t n;
	int rc;

	if (!s_tok(&v, &pt) || !s_tok(&v, &type))
		return fail(c, -EBADMSG, "rtcp-fb is not '<pt> <type> [<param>]'");
	if (m->nrtcpfb >= PC_SDP_MAX_RTCPFB)
		return fail(c, -E2BIG, "more than %d rtcp-fb in one m= section", PC_SDP_MAX_RTCPFB);
	fb = &m->rtcpfb[m->nrtcpfb];
	*fb = (struct pc_sdp_rtcpfb){ .pt = -1 };
	if (!s_eq(pt, "*")) {
		rc = num(c, pt, 127, &n, "rtcp-fb payload type");
		if (rc)
			return rc;
		fb->pt = (int16_t)n;
	}
	fb->text = s_trim((slice_t){ type.p, (size_t)(v.p + v.len - type.p) });
	if (!s_tok(&v, &param))
		param.len = 0;
	if (param.len && s_tok(&v, &x))
		param.len = 0; /* nack with more than one token: not one we know */
	if (s_eq(type, "nack"))
		fb->kind = param.len == 0     ? PC_SDP_FB_NACK :
			   s_eq(param, "pli") ? PC_SDP_FB_NACK_PLI :
						PC_SDP_FB_OTHER;
	else if (s_eq(type, "ccm"))
		fb->kind = s_eq(param, "fir") ? PC_SDP_FB_CCM_FIR : PC_SDP_FB_OTHER;
	else if (s_eq(type, "trr-int")) {
		rc = num(c, param, UINT32_MAX, &n, "trr-int");
		if (rc)
			return rc;
		fb->kind = PC_SDP_FB_TRR_INT;
		fb->trr_int = (uint32_t)n;
	} else if (s_eq(type, "goog-remb"))
		fb->kind = PC_SDP_FB_GOOG_REMB;
	else
		fb->kind = PC_SDP_FB_OTHER;
	m->nrtcpfb++;
	return 0;
}

/* rtcp:<port> [<nettype> <addrtype> <address>] (RFC 3605) */
static int parse_rtcp(struct ctx *c, struct pc_sdp_media *m, slice_t v)
{
	slice_t port;
	uint64_t n;
	int rc;

	if (m->has_rtcp)
		return fail(c, -EBADMSG, "second a=rtcp");
	if (!s_tok(&v, &port))
		return fail(c, -EBADMSG, "a=rtcp without a port");
	rc = num(c, port, 65535, &n, "rtcp port");
	if (rc)
		return rc;
	m->has_rtcp = true;
	m->rtcp_port = (uint16_t)n;
	if (s_trim(v).len)
		return parse_c(c, &m->rtcp_conn, v);
	return 0;
}

/* One key-param: inline:<key||salt>[|<lifetime>][|<MKI>:<length>] (RFC 4568 9.2). */
static int parse_key(struct ctx *c, struct pc_sdp_crypto *cr, struct pc_sdp_crypto_key *k,
		     slice_t s)
{
	slice_t method, info, key, field;
	size_t len = 0;
	uint64_t n;
	bool found;
	int rc;

	info = s_split(s, ':', &method, &found);
	if (!found || !s_eq(method, "inline"))
		return fail(c, -EBADMSG, "crypto key method is not 'inline'");
	info = s_split(info, '|', &key, &found);
	rc = b64_decode(key, k->key, sizeof(k->key), &len);
	if (rc == -E2BIG)
		return fail(c, -EBADMSG, "crypto key longer than %d octets", PC_SDP_KEY_MAX);
	if (rc)
		return fail(c, -EBADMSG, "bad base64 in crypto key '%s'",
			    shown(c->show, sizeof(c->show), key));
	if (cr->suite != PC_SDP_CRYPTO_UNKNOWN && len != suite_key_len[cr->suite])
		return fail(c, -EBADMSG, "crypto key of %zu octets, %s takes %u", len,
			    suite_names[cr->suite], suite_key_len[cr->suite]);
	k->len = (uint8_t)len;
	for (int i = 0; found && i < 2; i++) {
		slice_t mki, mlen;
		bool colon;

		info = s_split(info, '|', &field, &found);
		mlen = s_split(field, ':', &mki, &colon);
		if (colon) {
			if (k->has_mki)
				return fail(c, -EBADMSG, "second MKI in a crypto key");
			rc = num(c, mki, UINT64_MAX, &k->mki, "MKI");
			if (!rc)
				rc = num(c, mlen, 128, &n, "MKI length");
			if (rc)
				return rc;
			if (n == 0)
				return fail(c, -EBADMSG, "MKI length 0");
			k->mki_len = (uint8_t)n;
			k->has_mki = true;
		} else {
			if (k->has_lifetime || k->has_mki)
				return fail(c, -EBADMSG, "lifetime out of place in a crypto key");
			if (field.len > 2 && field.p[0] == '2' && field.p[1] == '^') {
				rc = num(c, (slice_t){ field.p + 2, field.len - 2 }, 63, &n,
					 "lifetime exponent");
				if (rc)
					return rc;
				k->lifetime_log2 = (uint8_t)n;
				k->lifetime = 1ull << n;
			} else {
				rc = num(c, field, UINT64_MAX, &k->lifetime, "lifetime");
				if (rc)
					return rc;
			}
			k->has_lifetime = true;
		}
	}
	if (found)
		return fail(c, -EBADMSG, "too many '|' fields in a crypto key");
	return 0;
}

/* crypto:<tag> <crypto-suite> <key-params> [<session-params>] (RFC 4568 9.1) */
static int parse_crypto(struct ctx *c, struct pc_sdp_media *m, slice_t v)
{
	struct pc_sdp_crypto *cr;
	slice_t tag, suite, keys, key;
	uint64_t n;
	bool more = true;
	int rc;

	if (!s_tok(&v, &tag) || !s_tok(&v, &suite) || !s_tok(&v, &keys))
		return fail(c, -EBADMSG, "crypto is not '<tag> <suite> <key-params>'");
	if (tag.len > 9)
		return fail(c, -EBADMSG, "crypto tag longer than 9 digits");
	rc = num(c, tag, 999999999, &n, "crypto tag");
	if (rc)
		return rc;
	for (unsigned i = 0; i < m->ncrypto; i++)
		if (m->crypto[i].tag == n)
			return fail(c, -EBADMSG, "crypto tag %u used twice", (unsigned)n);
	if (m->ncrypto >= PC_SDP_MAX_CRYPTO)
		return fail(c, -E2BIG, "more than %d crypto lines in one m= section",
			    PC_SDP_MAX_CRYPTO);
	cr = &m->crypto[m->ncrypto];
	memset(cr, 0, sizeof(*cr));
	cr->tag = (uint32_t)n;
	cr->suite_name = suite;
	for (unsigned i = 1; i < PC_SDP_CRYPTO__COUNT; i++)
		if (s_eq(suite, suite_names[i]))
			cr->suite = (enum pc_sdp_crypto_suite)i;
	while (more) {
		keys = s_split(keys, ';', &key, &more);
		if (cr->nkeys >= PC_SDP_MAX_CRYPTO_KEYS)
			return fail(c, -E2BIG, "more than %d keys in one crypto line",
				    PC_SDP_MAX_CRYPTO_KEYS);
		rc = parse_key(c, cr, &cr->keys[cr->nkeys], key);
		if (rc)
			return rc;
		cr->nkeys++;
	}
	cr->session_params = s_trim(v);
	m->ncrypto++;
	return 0;
}

static int parse_dir(struct ctx *c, enum pc_sdp_dir *dir, enum pc_sdp_dir d)
{
	if (*dir != PC_SDP_DIR_NONE)
		return fail(c, -EBADMSG, "second direction attribute at one level");
	*dir = d;
	return 0;
}

static enum pc_sdp_dir dir_of(slice_t name)
{
	for (unsigned d = PC_SDP_DIR_SENDRECV; d <= PC_SDP_DIR_INACTIVE; d++)
		if (s_eq(name, dir_names[d]))
			return (enum pc_sdp_dir)d;
	return PC_SDP_DIR_NONE;
}

static int parse_a(struct ctx *c, struct pc_sdp *sdp, struct pc_sdp_media *m, slice_t v)
{
	slice_t name, value;
	enum pc_sdp_dir d;
	bool has_value, kept = true;
	uint64_t n;
	int rc = 0;

	value = s_split(v, ':', &name, &has_value);
	if (name.len == 0)
		return fail(c, -EBADMSG, "attribute without a name");
	for (size_t i = 0; i < name.len; i++) {
		unsigned char ch = (unsigned char)name.p[i];

		if (!is_alnum(ch) && !strchr("-_.!%*+`'~", ch))
			return fail(c, -EBADMSG, "bad attribute name '%s'",
				    shown(c->show, sizeof(c->show), name));
	}
	d = dir_of(name);
	if (d != PC_SDP_DIR_NONE && !has_value)
		return parse_dir(c, m ? &m->dir : &sdp->dir, d);
	if (!m)
		return add_attr(c, &sdp->nattr, sdp->attr, name, has_value, value);

	if (s_eq(name, "rtpmap") && has_value && is_rtp_proto(m->proto)) {
		rc = parse_rtpmap(c, m, value, &kept);
	} else if (s_eq(name, "fmtp") && has_value && is_rtp_proto(m->proto)) {
		rc = parse_fmtp(c, m, value, &kept);
	} else if ((s_eq(name, "ptime") || s_eq(name, "maxptime")) && has_value) {
		slice_t ms, frac;
		bool dot;

		/* Some agents write "20.0": the fraction is checked and dropped. */
		frac = s_split(value, '.', &ms, &dot);
		rc = num(c, ms, 10000, &n, "ptime");
		if (!rc && dot)
			rc = num(c, frac, UINT32_MAX, &(uint64_t){ 0 }, "ptime");
		if (rc)
			return rc;
		if (s_eq(name, "ptime"))
			m->ptime = (uint32_t)n;
		else
			m->maxptime = (uint32_t)n;
	} else if (s_eq(name, "rtcp") && has_value) {
		rc = parse_rtcp(c, m, value);
	} else if (s_eq(name, "rtcp-mux") && !has_value) {
		m->rtcp_mux = true;
	} else if (s_eq(name, "rtcp-fb") && has_value) {
		rc = parse_rtcpfb(c, m, value);
	} else if (s_eq(name, "crypto") && has_value) {
		rc = parse_crypto(c, m, value);
	} else if (s_eq(name, "mid") && has_value && value.len) {
		if (m->mid.len)
			return fail(c, -EBADMSG, "second a=mid");
		m->mid = value;
	} else if (s_eq(name, "ssrc") && has_value) {
		if (m->nssrc >= PC_SDP_MAX_SSRC)
			return fail(c, -E2BIG, "more than %d a=ssrc in one m= section",
				    PC_SDP_MAX_SSRC);
		m->ssrc[m->nssrc++] = value;
	} else {
		kept = false;
	}
	if (rc)
		return rc;
	if (!kept)
		return add_attr(c, &m->nattr, m->attr, name, has_value, value);
	return 0;
}

int pc_sdp_parse(struct pc_sdp *sdp, const void *buf, size_t len, char *err, size_t errlen)
{
	struct ctx c = { .err = err, .errlen = errlen };
	const char *p = buf, *end = p + len;
	struct pc_sdp_media *m = NULL;
	unsigned nt = 0, nlines = 0;
	bool have_s = false;
	int rc;

	/* The media sections are cleared as they start: most descriptions use one or two. */
	memset(sdp, 0, offsetof(struct pc_sdp, media));
	if (err && errlen)
		err[0] = '\0';
	if (!buf && len)
		return fail(&c, -EBADMSG, "no buffer");
	if (len > PC_SDP_MAX_LEN)
		return fail(&c, -E2BIG, "description of %zu octets, more than %d", len,
			    PC_SDP_MAX_LEN);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		slice_t line = { p, (size_t)(eol - p) }, v;
		char type;

		c.line++;
		p = nl ? nl + 1 : end;
		if (line.len && line.p[line.len - 1] == '\r')
			line.len--;
		if (line.len > PC_SDP_MAX_LINE)
			return fail(&c, -E2BIG, "line longer than %d octets", PC_SDP_MAX_LINE);
		if (line.len == 0) {
			/* Blank lines are tolerated at the very end only. */
			for (const char *q = p; q < end; q++)
				if (*q != '\r' && *q != '\n')
					return fail(&c, -EBADMSG, "empty line");
			break;
		}
		if (memchr(line.p, '\0', line.len) || memchr(line.p, '\r', line.len))
			return fail(&c, -EBADMSG, "NUL or CR inside a line");
		if (line.len < 2 || line.p[1] != '=' || line.p[0] < 'a' || line.p[0] > 'z')
			return fail(&c, -EBADMSG, "line is not '<type>=<value>'");
		type = line.p[0];
		v = (slice_t){ line.p + 2, line.len - 2 };
		/* RFC 4566 5: v=, o= and s= come first, in that order. */
		if (nlines == 0 && type != 'v')
			return fail(&c, -EBADMSG, "description does not start with v=");
		if (nlines == 1 && type != 'o')
			return fail(&c, -EBADMSG, "o= does not follow v=");
		if (nlines == 2 && type != 's')
			return fail(&c, -EBADMSG, "s= does not follow o=");
		nlines++;
		switch (type) {
		case 'v':
			if (nlines != 1)
				return fail(&c, -EBADMSG, "second v= line");
			if (!s_eq(v, "0"))
				return fail(&c, -EBADMSG, "version '%s' is not 0",
					    shown(c.show, sizeof(c.show), v));
			break;
		case 'o':
			if (nlines != 2)
				return fail(&c, -EBADMSG, "second o= line");
			rc = parse_o(&c, sdp, v);
			if (rc)
				return rc;
			break;
		case 's':
			if (have_s)
				return fail(&c, -EBADMSG, "second s= line");
			/* RFC 4566 5.3 wants a non-empty name, but RFC 4317 and many agents
			 * send "s=": accepted. */
			sdp->session_name = v;
			have_s = true;
			break;
		case 'c':
			rc = parse_c(&c, m ? &m->conn : &sdp->conn, v);
			if (rc)
				return rc;
			break;
		case 'b':
			rc = m ? parse_b(&c, &m->nbw, m->bw, v) :
				 parse_b(&c, &sdp->nbw, sdp->bw, v);
			if (rc)
				return rc;
			break;
		case 't':
			if (m)
				return fail(&c, -EBADMSG, "t= inside a media section");
			rc = parse_t(&c, sdp, v, nt == 0);
			if (rc)
				return rc;
			nt++;
			break;
		case 'm':
			if (nt == 0)
				return fail(&c, -EBADMSG, "m= before any t= line");
			if (m) {
				rc = finish_media(&c, m);
				if (rc)
					return rc;
			}
			if (sdp->nmedia >= PC_SDP_MAX_MEDIA)
				return fail(&c, -E2BIG, "more than %d m= lines", PC_SDP_MAX_MEDIA);
			m = &sdp->media[sdp->nmedia++];
			memset(m, 0, sizeof(*m));
			rc = parse_m(&c, m, v);
			if (rc)
				return rc;
			break;
		case 'a':
			rc = parse_a(&c, sdp, m, v);
			if (rc)
				return rc;
			break;
		case 'i':
		case 'u':
		case 'e':
		case 'p':
		case 'r':
		case 'z':
		case 'k':
			break; /* RFC 4566 fields phonecore has no use for */
		default:
			return fail(&c, -EBADMSG, "unknown line type '%c='", type);
		}
	}
	c.line = 0;
	if (nlines < 3)
		return fail(&c, -EBADMSG,
			    nlines == 0 ? "missing v= line" :
			    nlines == 1 ? "missing o= line" :
					  "missing s= line");
	if (nt == 0)
		return fail(&c, -EBADMSG, "missing t= line");
	if (m) {
		rc = finish_media(&c, m);
		if (rc)
			return rc;
	}
	/* RFC 4566 5.7: a c= in the session or in every media section. */
	for (unsigned i = 0; i < sdp->nmedia; i++)
		if (sdp->media[i].port && sdp->media[i].conn.addrtype == PC_SDP_ADDR_NONE &&
		    sdp->conn.addrtype == PC_SDP_ADDR_NONE)
			return fail(&c, -EBADMSG, "m= line %u has no c= line", i + 1);
	return 0;
}

/* ---- Printer ---- */

struct out {
	char *buf;
	size_t size, pos;
	bool full;
};

static void put(struct out *o, const char *p, size_t n)
{
	if (o->full || n > o->size - o->pos) {
		o->full = true;
		return;
	}
	memcpy(o->buf + o->pos, p, n);
	o->pos += n;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void put_slice(struct out *o, slice_t s)
{
	if (s.len)
		put(o, s.p, s.len);
}

__attribute__((format(printf, 2, 3))) static void putf(struct out *o, const char *fmt, ...)
{
	char tmp[96];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		o->full = true;
		return;
	}
	put(o, tmp, (size_t)n);
}

static void put_b64(struct out *o, const uint8_t *p, size_t n)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char q[4];

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		size_t k = n - i;

		if (k > 1)
			v |= (uint32_t)p[i + 1] << 8;
		if (k > 2)
			v |= p[i + 2];
		q[0] = tab[v >> 18 & 63];
		q[1] = tab[v >> 12 & 63];
		q[2] = k > 1 ? tab[v >> 6 & 63] : '=';
		q[3] = k > 2 ? tab[v & 63] : '=';
		put(o, q, 4);
	}
}

static const char *addrtype_name(enum pc_sdp_addrtype t)
{
	return t == PC_SDP_ADDR_IP6 ? "IP6" : "IP4";
}

static int put_conn(struct out *o, const char *prefix, const struct pc_sdp_conn *c)
{
	if (c->addrtype == PC_SDP_ADDR_NONE)
		return c->addr.len ? -EINVAL : 0;
	if (c->addr.len == 0)
		return -EINVAL;
	puts_(o, prefix);
	putf(o, "IN %s ", addrtype_name(c->addrtype));
	put_slice(o, c->addr);
	/* IPv4: /n only after the TTL (RFC 4566 5.7). */
	if (c->addrtype == PC_SDP_ADDR_IP4 && (c->ttl || c->naddr > 1))
		putf(o, "/%u", c->ttl);
	if (c->naddr > 1)
		putf(o, "/%u", c->naddr);
	puts_(o, "\r\n");
	return 0;
}

static void put_bw(struct out *o, unsigned n, const struct pc_sdp_bw *bw)
{
	for (unsigned i = 0; i < n && i < PC_SDP_MAX_BW; i++) {
		puts_(o, "b=");
		put_slice(o, bw[i].type);
		putf(o, ":%u\r\n", bw[i].value);
	}
}

static void put_attrs(struct out *o, unsigned n, const struct pc_sdp_attr *a)
{
	for (unsigned i = 0; i < n && i < PC_SDP_MAX_ATTR; i++) {
		puts_(o, "a=");
		put_slice(o, a[i].name);
		if (a[i].has_value) {
			puts_(o, ":");
			put_slice(o, a[i].value);
		}
		puts_(o, "\r\n");
	}
}

static void put_dir(struct out *o, enum pc_sdp_dir d)
{
	if (d > PC_SDP_DIR_NONE && d <= PC_SDP_DIR_INACTIVE) {
		puts_(o, "a=");
		puts_(o, dir_names[d]);
		puts_(o, "\r\n");
	}
}

static int put_crypto(struct out *o, const struct pc_sdp_crypto *cr)
{
	putf(o, "a=crypto:%u ", cr->tag);
	if (cr->suite_name.len)
		put_slice(o, cr->suite_name);
	else
		puts_(o, pc_sdp_crypto_suite_name(cr->suite));
	for (unsigned k = 0; k < cr->nkeys && k < PC_SDP_MAX_CRYPTO_KEYS; k++) {
		const struct pc_sdp_crypto_key *key = &cr->keys[k];

		if (key->len == 0 || key->len > PC_SDP_KEY_MAX)
			return -EINVAL;
		puts_(o, k ? ";inline:" : " inline:");
		put_b64(o, key->key, key->len);
		if (key->has_lifetime) {
			if (key->lifetime_log2)
				putf(o, "|2^%u", key->lifetime_log2);
			else
				putf(o, "|%llu", (unsigned long long)key->lifetime);
		}
		if (key->has_mki)
			putf(o, "|%llu:%u", (unsigned long long)key->mki, key->mki_len);
	}
	if (cr->session_params.len) {
		puts_(o, " ");
		put_slice(o, cr->session_params);
	}
	puts_(o, "\r\n");
	return 0;
}

static int put_media(struct out *o, const struct pc_sdp_media *m)
{
	int rc;

	puts_(o, "m=");
	if (m->type_name.len)
		put_slice(o, m->type_name);
	else
		puts_(o, media_names[m->type < PC_SDP_MEDIA__COUNT ? m->type : 0]);
	putf(o, " %u", m->port);
	if (m->nports > 1)
		putf(o, "/%u", m->nports);
	puts_(o, " ");
	if (m->proto_name.len)
		put_slice(o, m->proto_name);
	else
		puts_(o, proto_names[m->proto <= PC_SDP_PROTO_OTHER ? m->proto : 0]);
	if (is_rtp_proto(m->proto)) {
		if (m->nfmt == 0)
			return -EINVAL;
		for (unsigned i = 0; i < m->nfmt && i < PC_SDP_MAX_FMT; i++)
			putf(o, " %u", m->fmt[i].pt);
	} else {
		if (m->fmt_text.len == 0)
			return -EINVAL;
		puts_(o, " ");
		put_slice(o, m->fmt_text);
	}
	puts_(o, "\r\n");
	rc = put_conn(o, "c=", &m->conn);
	if (rc)
		return rc;
	put_bw(o, m->nbw, m->bw);
	if (m->mid.len) {
		puts_(o, "a=mid:");
		put_slice(o, m->mid);
		puts_(o, "\r\n");
	}
	for (unsigned i = 0; i < m->nfmt && i < PC_SDP_MAX_FMT && is_rtp_proto(m->proto); i++) {
		const struct pc_sdp_fmt *f = &m->fmt[i];

		if (f->has_rtpmap) {
			putf(o, "a=rtpmap:%u ", f->pt);
			put_slice(o, f->encoding);
			putf(o, "/%u", f->clock);
			if (f->channels)
				putf(o, "/%u", f->channels);
			puts_(o, "\r\n");
		}
		if (f->has_fmtp) {
			putf(o, "a=fmtp:%u ", f->pt);
			put_slice(o, f->fmtp);
			puts_(o, "\r\n");
		}
	}
	for (unsigned i = 0; i < m->nrtcpfb && i < PC_SDP_MAX_RTCPFB; i++) {
		const struct pc_sdp_rtcpfb *fb = &m->rtcpfb[i];

		if (fb->pt < 0)
			puts_(o, "a=rtcp-fb:* ");
		else
			putf(o, "a=rtcp-fb:%d ", fb->pt);
		if (fb->text.len)
			put_slice(o, fb->text);
		else if (fb->kind == PC_SDP_FB_NACK)
			puts_(o, "nack");
		else if (fb->kind == PC_SDP_FB_NACK_PLI)
			puts_(o, "nack pli");
		else if (fb->kind == PC_SDP_FB_CCM_FIR)
			puts_(o, "ccm fir");
		else if (fb->kind == PC_SDP_FB_TRR_INT)
			putf(o, "trr-int %u", fb->trr_int);
		else if (fb->kind == PC_SDP_FB_GOOG_REMB)
			puts_(o, "goog-remb");
		else
			return -EINVAL;
		puts_(o, "\r\n");
	}
	if (m->ptime)
		putf(o, "a=ptime:%u\r\n", m->ptime);
	if (m->maxptime)
		putf(o, "a=maxptime:%u\r\n", m->maxptime);
	if (m->has_rtcp) {
		putf(o, "a=rtcp:%u", m->rtcp_port);
		rc = put_conn(o, " ", &m->rtcp_conn);
		if (rc)
			return rc;
		if (m->rtcp_conn.addrtype == PC_SDP_ADDR_NONE)
			puts_(o, "\r\n");
	}
	if (m->rtcp_mux)
		puts_(o, "a=rtcp-mux\r\n");
	for (unsigned i = 0; i < m->ncrypto && i < PC_SDP_MAX_CRYPTO; i++) {
		rc = put_crypto(o, &m->crypto[i]);
		if (rc)
			return rc;
	}
	put_dir(o, m->dir);
	for (unsigned i = 0; i < m->nssrc && i < PC_SDP_MAX_SSRC; i++) {
		puts_(o, "a=ssrc:");
		put_slice(o, m->ssrc[i]);
		puts_(o, "\r\n");
	}
	put_attrs(o, m->nattr, m->attr);
	return 0;
}

int pc_sdp_print(const struct pc_sdp *sdp, char *buf, size_t size, size_t *len)
{
	struct out o = { .buf = buf, .size = buf ? size : 0 };
	int rc;

	puts_(&o, "v=0\r\no=");
	if (sdp->o_username.len)
		put_slice(&o, sdp->o_username);
	else
		puts_(&o, "-");
	putf(&o, " %llu %llu IN %s ", (unsigned long long)sdp->sess_id,
	     (unsigned long long)sdp->sess_version, addrtype_name(sdp->o_addrtype));
	if (sdp->o_addr.len)
		put_slice(&o, sdp->o_addr);
	else
		puts_(&o, sdp->o_addrtype == PC_SDP_ADDR_IP6 ? "::" : "0.0.0.0");
	puts_(&o, "\r\ns=");
	if (sdp->session_name.len)
		put_slice(&o, sdp->session_name);
	else
		puts_(&o, "-");
	puts_(&o, "\r\n");
	rc = put_conn(&o, "c=", &sdp->conn);
	if (rc)
		return rc;
	put_bw(&o, sdp->nbw, sdp->bw);
	putf(&o, "t=%llu %llu\r\n", (unsigned long long)sdp->t_start,
	     (unsigned long long)sdp->t_stop);
	put_dir(&o, sdp->dir);
	put_attrs(&o, sdp->nattr, sdp->attr);
	for (unsigned i = 0; i < sdp->nmedia && i < PC_SDP_MAX_MEDIA; i++) {
		rc = put_media(&o, &sdp->media[i]);
		if (rc)
			return rc;
	}
	if (o.full)
		return -ENOSPC;
	if (len)
		*len = o.pos;
	return 0;
}
