/* SPDX-License-Identifier: MIT */
/* sip_msg.c - SIP message parser, first slice (see pc_sip_msg.h for what it checks). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "pc_sip_msg.h"
#include "sip_err_pvt.h"
#include "sip_chars_pvt.h"

#define PC_SIP_CSEQ_MAX 0x7fffffffu

struct hdr_def {
	const char *name;
	uint8_t len;  /* strlen(name), precomputed */
	char compact; /* 0: none */
};

/* clang-format off */
#define HDR(n, c) { n, sizeof(n) - 1, c }
/* clang-format on */

static const struct hdr_def hdr_defs[PC_SIP_HDR__COUNT] = {
	[PC_SIP_HDR_OTHER] = HDR("", 0),
	[PC_SIP_HDR_ACCEPT_CONTACT] = HDR("Accept-Contact", 'a'),
	[PC_SIP_HDR_REFERRED_BY] = HDR("Referred-By", 'b'),
	[PC_SIP_HDR_CONTENT_TYPE] = HDR("Content-Type", 'c'),
	[PC_SIP_HDR_REQUEST_DISPOSITION] = HDR("Request-Disposition", 'd'),
	[PC_SIP_HDR_CONTENT_ENCODING] = HDR("Content-Encoding", 'e'),
	[PC_SIP_HDR_FROM] = HDR("From", 'f'),
	[PC_SIP_HDR_CALL_ID] = HDR("Call-ID", 'i'),
	[PC_SIP_HDR_REJECT_CONTACT] = HDR("Reject-Contact", 'j'),
	[PC_SIP_HDR_SUPPORTED] = HDR("Supported", 'k'),
	[PC_SIP_HDR_CONTENT_LENGTH] = HDR("Content-Length", 'l'),
	[PC_SIP_HDR_CONTACT] = HDR("Contact", 'm'),
	[PC_SIP_HDR_EVENT] = HDR("Event", 'o'),
	[PC_SIP_HDR_REFER_TO] = HDR("Refer-To", 'r'),
	[PC_SIP_HDR_SUBJECT] = HDR("Subject", 's'),
	[PC_SIP_HDR_TO] = HDR("To", 't'),
	[PC_SIP_HDR_ALLOW_EVENTS] = HDR("Allow-Events", 'u'),
	[PC_SIP_HDR_VIA] = HDR("Via", 'v'),
	[PC_SIP_HDR_SESSION_EXPIRES] = HDR("Session-Expires", 'x'),
	[PC_SIP_HDR_CSEQ] = HDR("CSeq", 0),
	[PC_SIP_HDR_MAX_FORWARDS] = HDR("Max-Forwards", 0),
	[PC_SIP_HDR_ROUTE] = HDR("Route", 0),
	[PC_SIP_HDR_RECORD_ROUTE] = HDR("Record-Route", 0),
	[PC_SIP_HDR_REQUIRE] = HDR("Require", 0),
	[PC_SIP_HDR_PROXY_REQUIRE] = HDR("Proxy-Require", 0),
	[PC_SIP_HDR_AUTHORIZATION] = HDR("Authorization", 0),
	[PC_SIP_HDR_WWW_AUTHENTICATE] = HDR("WWW-Authenticate", 0),
	[PC_SIP_HDR_EXPIRES] = HDR("Expires", 0),
	[PC_SIP_HDR_ACCEPT] = HDR("Accept", 0),
};

const char *pc_sip_hdr_name(enum pc_sip_hdr_id id)
{
	if ((unsigned)id >= PC_SIP_HDR__COUNT)
		return "";
	return hdr_defs[id].name;
}

/* RFC 3261 25.1: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" /
 * "~"). The classes are one table load each (sip_chars_pvt.h). */
static inline bool is_token_char(unsigned char c)
{
	return pc_sip_cc_is(c, PC_SIP_CC_TOKEN);
}

static inline bool is_digit(unsigned char c)
{
	return pc_sip_cc_is(c, PC_SIP_CC_DIGIT);
}

static inline bool is_lws(unsigned char c)
{
	return pc_sip_cc_is(c, PC_SIP_CC_LWS);
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool slice_ieqn(struct pc_sip_slice s, const char *lit, size_t n)
{
	if (s.len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(s.p[i]) != lower(lit[i]))
			return false;
	return true;
}

static bool slice_ieq(struct pc_sip_slice s, const char *lit)
{
	return slice_ieqn(s, lit, strlen(lit));
}

/* slice_ieq() against a string literal, its length known at compile time. */
#define SLICE_IEQ_LIT(s, lit) slice_ieqn((s), "" lit, sizeof(lit) - 1)

static bool slice_eq(struct pc_sip_slice a, struct pc_sip_slice b)
{
	return a.len == b.len && memcmp(a.p, b.p, a.len) == 0;
}

static inline struct pc_sip_slice trim(const char *p, size_t len)
{
	while (len > 0 && is_lws((unsigned char)p[0])) {
		p++;
		len--;
	}
	while (len > 0 && is_lws((unsigned char)p[len - 1]))
		len--;
	return (struct pc_sip_slice){ p, len };
}

/* Parses 1*DIGIT (the whole slice) into *out; false on a non-digit, empty, or above max. */
static bool parse_uint(struct pc_sip_slice s, uint64_t max, uint64_t *out, bool *too_big)
{
	uint64_t v = 0;

	*too_big = false;
	if (s.len == 0)
		return false;
	for (size_t i = 0; i < s.len; i++) {
		if (!is_digit((unsigned char)s.p[i]))
			return false;
		/* Saturate instead of wrapping: leading zeros are fine, overflow is not. */
		if (v > (max - (uint64_t)(s.p[i] - '0')) / 10) {
			*too_big = true;
			return false;
		}
		v = v * 10 + (uint64_t)(s.p[i] - '0');
	}
	*out = v;
	return true;
}

/* The compact forms (RFC 3261 7.3.3), indexed by the lower-case letter; must agree with
 * hdr_defs[].compact. */
static const uint8_t hdr_by_compact[128] = {
	['a'] = PC_SIP_HDR_ACCEPT_CONTACT,
	['b'] = PC_SIP_HDR_REFERRED_BY,
	['c'] = PC_SIP_HDR_CONTENT_TYPE,
	['d'] = PC_SIP_HDR_REQUEST_DISPOSITION,
	['e'] = PC_SIP_HDR_CONTENT_ENCODING,
	['f'] = PC_SIP_HDR_FROM,
	['i'] = PC_SIP_HDR_CALL_ID,
	['j'] = PC_SIP_HDR_REJECT_CONTACT,
	['k'] = PC_SIP_HDR_SUPPORTED,
	['l'] = PC_SIP_HDR_CONTENT_LENGTH,
	['m'] = PC_SIP_HDR_CONTACT,
	['o'] = PC_SIP_HDR_EVENT,
	['r'] = PC_SIP_HDR_REFER_TO,
	['s'] = PC_SIP_HDR_SUBJECT,
	['t'] = PC_SIP_HDR_TO,
	['u'] = PC_SIP_HDR_ALLOW_EVENTS,
	['v'] = PC_SIP_HDR_VIA,
	['x'] = PC_SIP_HDR_SESSION_EXPIRES,
};

/* The long names by length (at most HDR_NAME_MAX), 0-terminated lists; must agree with
 * hdr_defs[] (lookup_header() compares the length too, but a name left out here would go
 * unrecognised). */
#define HDR_NAME_MAX 19
static const uint8_t hdr_by_len[HDR_NAME_MAX + 1][6] = {
	[2] = { PC_SIP_HDR_TO },
	[3] = { PC_SIP_HDR_VIA },
	[4] = { PC_SIP_HDR_FROM, PC_SIP_HDR_CSEQ },
	[5] = { PC_SIP_HDR_EVENT, PC_SIP_HDR_ROUTE },
	[6] = { PC_SIP_HDR_ACCEPT },
	[7] = { PC_SIP_HDR_CALL_ID, PC_SIP_HDR_CONTACT, PC_SIP_HDR_SUBJECT, PC_SIP_HDR_REQUIRE,
		PC_SIP_HDR_EXPIRES },
	[8] = { PC_SIP_HDR_REFER_TO },
	[9] = { PC_SIP_HDR_SUPPORTED },
	[11] = { PC_SIP_HDR_REFERRED_BY },
	[12] = { PC_SIP_HDR_CONTENT_TYPE, PC_SIP_HDR_ALLOW_EVENTS, PC_SIP_HDR_MAX_FORWARDS,
		 PC_SIP_HDR_RECORD_ROUTE },
	[13] = { PC_SIP_HDR_PROXY_REQUIRE, PC_SIP_HDR_AUTHORIZATION },
	[14] = { PC_SIP_HDR_ACCEPT_CONTACT, PC_SIP_HDR_REJECT_CONTACT, PC_SIP_HDR_CONTENT_LENGTH },
	[15] = { PC_SIP_HDR_SESSION_EXPIRES },
	[16] = { PC_SIP_HDR_CONTENT_ENCODING, PC_SIP_HDR_WWW_AUTHENTICATE },
	[19] = { PC_SIP_HDR_REQUEST_DISPOSITION },
};

/*
 * Header names compare case-insensitively by "| 0x20" on each octet: the known names are
 * letters and '-' only, and among token octets (all a header name holds) only the same letter
 * in either case gives a letter, and only '-' gives '-'.
 */
static inline uint64_t load_fold64(const char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v | 0x2020202020202020u;
}

static inline uint32_t load_fold32(const char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v | 0x20202020u;
}

/* Token octets @p and the known name @lit, both @n octets (2 to 24), equal with the folding
 * above: compared a word at a time (the words may overlap), not an octet at a time. */
static inline bool name_ieq(const char *p, const char *lit, size_t n)
{
	if (n >= 8)
		return load_fold64(p) == load_fold64(lit) &&
		       (n <= 16 || load_fold64(p + 8) == load_fold64(lit + 8)) &&
		       load_fold64(p + n - 8) == load_fold64(lit + n - 8);
	if (n >= 4)
		return load_fold32(p) == load_fold32(lit) &&
		       load_fold32(p + n - 4) == load_fold32(lit + n - 4);
	for (size_t i = 0; i < n; i++)
		if ((p[i] | 0x20) != (lit[i] | 0x20))
			return false;
	return true;
}

/* The header @p, @n (1*token, as the header loop found it): its id by the compact letter, or by
 * the length and then a compare against the few known names of that length. */
static enum pc_sip_hdr_id lookup_header(const char *p, size_t n)
{
	unsigned c = (unsigned char)p[0] | 0x20;

	if (n == 1)
		return c < sizeof(hdr_by_compact) ? (enum pc_sip_hdr_id)hdr_by_compact[c] :
						    PC_SIP_HDR_OTHER;
	if (n > HDR_NAME_MAX)
		return PC_SIP_HDR_OTHER;
	for (const uint8_t *ids = hdr_by_len[n]; *ids; ids++) {
		unsigned id = *ids;

		if (hdr_defs[id].len == n && name_ieq(p, hdr_defs[id].name, n))
			return (enum pc_sip_hdr_id)id;
	}
	return PC_SIP_HDR_OTHER;
}

/*
 * For sip/sips: the host after the userinfo is a name, IPv4 or [IPv6], then an optional port.
 * @at: the offset in @uri of its last '@' (the caller's scan over the URI found it), or
 * SIZE_MAX if none; the scheme holds none, so it is after @after_scheme if anywhere.
 */
static int check_sip_host(struct pc_sip_errctx *c, struct pc_sip_slice uri, size_t after_scheme,
			  size_t at)
{
	char b[64];
	const char *p = uri.p + after_scheme;
	size_t n = uri.len - after_scheme, end, i;
	uint64_t port;
	bool big;

	/* The last '@' ends the userinfo: the user part may hold '?' and ';', but neither the
	 * parameters nor the headers may hold a raw '@' (RFC 3261 25.1). */
	size_t start = at != SIZE_MAX ? at - after_scheme + 1 : 0;

	for (end = start; end < n && p[end] != ';' && p[end] != '?'; end++)
		;
	struct pc_sip_slice hp = { p + start, end - start };
	if (hp.len == 0)
		return pc_sip_fail(c, -EBADMSG, "Request-URI %s has no host",
				   pc_sip_shown(b, sizeof(b), uri));
	i = 0;
	if (hp.p[0] == '[') {
		for (i = 1; i < hp.len && hp.p[i] != ']'; i++)
			if (!pc_sip_cc_is((unsigned char)hp.p[i], PC_SIP_CC_XDIGIT) &&
			    hp.p[i] != ':' && hp.p[i] != '.')
				break;
		if (i >= hp.len || hp.p[i] != ']')
			return pc_sip_fail(c, -EBADMSG, "Request-URI host %s: bad IPv6 reference",
					   pc_sip_shown(b, sizeof(b), hp));
		i++;
	} else {
		for (; i < hp.len && hp.p[i] != ':'; i++)
			if (!pc_sip_cc_is((unsigned char)hp.p[i], PC_SIP_CC_HOST))
				return pc_sip_fail(c, -EBADMSG,
						   "Request-URI host %s has a bad character",
						   pc_sip_shown(b, sizeof(b), hp));
		if (i == 0)
			return pc_sip_fail(c, -EBADMSG, "Request-URI %s has no host",
					   pc_sip_shown(b, sizeof(b), uri));
	}
	if (i == hp.len)
		return 0;
	if (hp.p[i] != ':' || !parse_uint((struct pc_sip_slice){ hp.p + i + 1, hp.len - i - 1 },
					  65535, &port, &big)) {
		if (memchr(hp.p + i + 1, ':', hp.len - i - 1))
			return pc_sip_fail(c, -EBADMSG,
					   "Request-URI host %s: an IPv6 address needs brackets",
					   pc_sip_shown(b, sizeof(b), hp));
		return pc_sip_fail(c, -EBADMSG, "Request-URI %s: bad port",
				   pc_sip_shown(b, sizeof(b), hp));
	}
	return 0;
}

static int parse_request_line(struct pc_sip_errctx *c, struct pc_sip_msg *m, const char *p,
			      size_t n)
{
	char b[64];
	size_t i, sp1, sp2, at = SIZE_MAX;

	for (sp1 = 0; sp1 < n && p[sp1] != ' '; sp1++)
		if (!is_token_char((unsigned char)p[sp1]))
			return pc_sip_fail(c, -EBADMSG,
					   "bad character 0x%02x in the request method",
					   (unsigned char)p[sp1]);
	if (sp1 == 0 || sp1 == n)
		return pc_sip_fail(c, -EBADMSG,
				   "the first line is neither a request nor a status line");
	for (sp2 = n; sp2 > sp1 && p[sp2 - 1] != ' '; sp2--)
		;
	sp2--; /* the last SP */
	if (sp2 == sp1)
		return pc_sip_fail(c, -EBADMSG, "request line without a SIP version");
	m->is_request = true;
	m->method = (struct pc_sip_slice){ p, sp1 };
	m->uri = (struct pc_sip_slice){ p + sp1 + 1, sp2 - sp1 - 1 };
	m->version = (struct pc_sip_slice){ p + sp2 + 1, n - sp2 - 1 };
	if (!SLICE_IEQ_LIT(m->version, "SIP/2.0"))
		return pc_sip_fail(c, -EBADMSG, "unsupported SIP version '%s'",
				   pc_sip_shown(b, sizeof(b), m->version));
	if (m->uri.len == 0)
		return pc_sip_fail(c, -EBADMSG, "empty Request-URI");
	for (i = 0; i < m->uri.len; i++) {
		if (pc_sip_cc_is((unsigned char)m->uri.p[i], PC_SIP_CC_CTL))
			return pc_sip_fail(c, -EBADMSG,
					   "whitespace or control character in Request-URI '%s'",
					   pc_sip_shown(b, sizeof(b), m->uri));
		if (m->uri.p[i] == '@')
			at = i; /* the last one, for check_sip_host() */
	}
	/* RFC 3261 25.1 / RFC 3986: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
	for (i = 0; i < m->uri.len && m->uri.p[i] != ':'; i++)
		if (!pc_sip_cc_is((unsigned char)m->uri.p[i],
				  i > 0 ? PC_SIP_CC_SCHEME : PC_SIP_CC_ALPHA))
			break;
	if (i == 0 || i == m->uri.len || m->uri.p[i] != ':')
		return pc_sip_fail(c, -EBADMSG, "Request-URI '%s' does not start with a scheme",
				   pc_sip_shown(b, sizeof(b), m->uri));
	m->uri_scheme = (struct pc_sip_slice){ m->uri.p, i };
	if (SLICE_IEQ_LIT(m->uri_scheme, "sip") || SLICE_IEQ_LIT(m->uri_scheme, "sips"))
		return check_sip_host(c, m->uri, i + 1, at);
	return 0;
}

static int parse_status_line(struct pc_sip_errctx *c, struct pc_sip_msg *m, const char *p, size_t n)
{
	char b[64];
	uint64_t code;
	bool big;
	size_t i;

	for (i = 0; i < n && p[i] != ' '; i++)
		;
	m->is_request = false;
	m->version = (struct pc_sip_slice){ p, i };
	if (!SLICE_IEQ_LIT(m->version, "SIP/2.0"))
		return pc_sip_fail(c, -EBADMSG, "unsupported SIP version '%s'",
				   pc_sip_shown(b, sizeof(b), m->version));
	if (i == n)
		return pc_sip_fail(c, -EBADMSG, "status line without a status code");
	size_t cs = ++i;
	for (; i < n && p[i] != ' '; i++)
		;
	struct pc_sip_slice cd = { p + cs, i - cs };
	if (!parse_uint(cd, UINT32_MAX, &code, &big) && !big)
		return pc_sip_fail(c, -EBADMSG, "status code '%s' is not a number",
				   pc_sip_shown(b, sizeof(b), cd));
	if (big || cd.len != 3 || code < 100 || code > 699)
		return pc_sip_fail(c, -ERANGE, "status code %s out of range 100-699",
				   pc_sip_shown(b, sizeof(b), cd));
	m->status = (unsigned)code;
	/* The reason phrase may be empty, the SP before it missing (be lenient), and UTF-8. */
	m->reason = (i < n) ? (struct pc_sip_slice){ p + i + 1, n - i - 1 } :
			      (struct pc_sip_slice){ p + n, 0 };
	return 0;
}

/* Via: no empty via-parm between commas, no empty parameter between semicolons. */
static int check_via(struct pc_sip_errctx *c, struct pc_sip_slice v)
{
	char b[64];
	size_t i = 0;

	for (;;) {
		const char *comma = memchr(v.p + i, ',', v.len - i);
		size_t e = comma ? (size_t)(comma - v.p) : v.len, ps = i;
		bool first = true;

		/* One via-parm in [i, e): sent-protocol and sent-by, then ;params */
		for (;;) {
			const char *semi = memchr(v.p + ps, ';', e - ps);
			size_t j = semi ? (size_t)(semi - v.p) : e;
			struct pc_sip_slice part = trim(v.p + ps, j - ps);

			if (part.len == 0)
				return pc_sip_fail(c, -EBADMSG, "Via '%s': empty %s",
						   pc_sip_shown(b, sizeof(b), v),
						   first ? "value" : "parameter");
			if (!first && !is_token_char((unsigned char)part.p[0]))
				return pc_sip_fail(c, -EBADMSG, "Via '%s': bad parameter",
						   pc_sip_shown(b, sizeof(b), v));
			if (!semi)
				break;
			first = false;
			ps = j + 1;
		}
		if (e >= v.len)
			return 0;
		i = e + 1;
	}
}

/* From/To: a quoted display name ends; an unquoted one is tokens and LWS; <...> closes. */
static int check_name_addr(struct pc_sip_errctx *c, const char *hname, struct pc_sip_slice v)
{
	char b[64];
	size_t i = 0;
	const char *lt;

	if (v.len == 0)
		return pc_sip_fail(c, -EBADMSG, "empty %s header", hname);
	if (v.p[0] == '"') {
		/* The closing quote: the first '"' after the opening one unless a quoted-pair
		 * ('\\' and any octet) comes before it; then octet by octet. */
		const char *q = memchr(v.p + 1, '"', v.len - 1);

		if (!q)
			i = v.len;
		else if (!memchr(v.p + 1, '\\', (size_t)(q - v.p) - 1))
			i = (size_t)(q - v.p);
		else
			for (i = 1; i < v.len && v.p[i] != '"'; i++)
				if (v.p[i] == '\\')
					i++; /* quoted-pair */
		if (i >= v.len)
			return pc_sip_fail(c, -EBADMSG, "%s '%s': unterminated quoted display name",
					   hname, pc_sip_shown(b, sizeof(b), v));
		for (i++; i < v.len && is_lws((unsigned char)v.p[i]); i++)
			;
		if (i == v.len || v.p[i] != '<')
			return pc_sip_fail(c, -EBADMSG, "%s '%s': no <URI> after the display name",
					   hname, pc_sip_shown(b, sizeof(b), v));
	} else {
		lt = memchr(v.p, '<', v.len);
		if (!lt)
			return 0; /* addr-spec: later slices check it */
		for (; v.p + i < lt; i++)
			if (!pc_sip_cc_is((unsigned char)v.p[i], PC_SIP_CC_TOKEN | PC_SIP_CC_LWS))
				return pc_sip_fail(
					c, -EBADMSG,
					"%s '%s': bad character '%c' in an unquoted display name",
					hname, pc_sip_shown(b, sizeof(b), v),
					(v.p[i] >= 0x20 && v.p[i] < 0x7f) ? v.p[i] : '?');
	}
	if (!memchr(v.p + i, '>', v.len - i))
		return pc_sip_fail(c, -EBADMSG, "%s '%s': '<' without '>'", hname,
				   pc_sip_shown(b, sizeof(b), v));
	return 0;
}

static int check_cseq(struct pc_sip_errctx *c, struct pc_sip_msg *m, struct pc_sip_slice v)
{
	char b[64], b2[64];
	uint64_t num;
	bool big;
	size_t i, j;

	for (i = 0; i < v.len && is_digit((unsigned char)v.p[i]); i++)
		;
	struct pc_sip_slice ns = { v.p, i };
	if (!parse_uint(ns, PC_SIP_CSEQ_MAX, &num, &big)) {
		if (big)
			return pc_sip_fail(c, -ERANGE, "CSeq number %s above 2^31-1",
					   pc_sip_shown(b, sizeof(b), ns));
		return pc_sip_fail(c, -EBADMSG, "CSeq '%s' does not start with a number",
				   pc_sip_shown(b, sizeof(b), v));
	}
	for (j = i; j < v.len && is_lws((unsigned char)v.p[j]); j++)
		;
	if (j == i || j == v.len)
		return pc_sip_fail(c, -EBADMSG, "CSeq '%s' wants a number and a method",
				   pc_sip_shown(b, sizeof(b), v));
	m->cseq = (uint32_t)num;
	m->cseq_method = (struct pc_sip_slice){ v.p + j, v.len - j };
	for (i = 0; i < m->cseq_method.len; i++)
		if (!is_token_char((unsigned char)m->cseq_method.p[i]))
			return pc_sip_fail(c, -EBADMSG, "CSeq '%s': the method is not a token",
					   pc_sip_shown(b, sizeof(b), v));
	/* RFC 3261 8.1.1.5: the CSeq method MUST match the request's method (case-sensitive). */
	if (m->is_request && !slice_eq(m->cseq_method, m->method))
		return pc_sip_fail(c, -EPROTO, "CSeq method %s does not match request method %s",
				   pc_sip_shown(b, sizeof(b), m->cseq_method),
				   pc_sip_shown(b2, sizeof(b2), m->method));
	return 0;
}

/* Finds the end of the line starting at @p (the CR of its CRLF) or returns -1. memchr() for
 * the CR: the C library's scan is word- or vector-wide; a lone CR is stepped over. */
static ptrdiff_t find_crlf(const char *p, size_t n)
{
	const char *q = p, *e = p + n;

	if (n < 2)
		return -1;
	/* A CR in the last octet has no LF after it: search [q, e - 1) only. */
	while ((q = memchr(q, '\r', (size_t)(e - 1 - q))) != NULL) {
		if (q[1] == '\n')
			return q - p;
		q++;
	}
	return -1;
}

/*
 * One logical header line @p, @n (CRLF excluded, folds kept): the caller already scanned its
 * name, @name_len token octets, and then SP/HTAB up to @i, which should be the ':'. Adds it to
 * @m and counts its id in @count.
 */
static int parse_header(struct pc_sip_errctx *c, struct pc_sip_msg *m, const char *p, size_t n,
			size_t name_len, size_t i, unsigned *count)
{
	char b[64];

	if (name_len == 0 || i == n || p[i] != ':')
		return pc_sip_fail(c, -EBADMSG, "header line '%s' is not 'Name: value'",
				   pc_sip_shown(b, sizeof(b), (struct pc_sip_slice){ p, n }));
	if (m->nheaders == PC_SIP_MAX_HEADERS)
		return pc_sip_fail(c, -E2BIG, "more than %d headers", PC_SIP_MAX_HEADERS);
	struct pc_sip_header *h = &m->headers[m->nheaders++];
	h->name = (struct pc_sip_slice){ p, name_len };
	h->id = lookup_header(p, name_len);
	h->value = trim(p + i + 1, n - i - 1);
	count[h->id]++;
	return 0;
}

/* @count: how many headers of each id @m has (parse_header() counted them). */
static int check_headers(struct pc_sip_errctx *c, struct pc_sip_msg *m, const unsigned *count)
{
	static const enum pc_sip_hdr_id once[] = { PC_SIP_HDR_CALL_ID, PC_SIP_HDR_CSEQ,
						   PC_SIP_HDR_FROM, PC_SIP_HDR_TO };
	char b[64];
	uint64_t v;
	bool big;
	int rc;

	for (size_t k = 0; k < sizeof(once) / sizeof(once[0]); k++)
		if (count[once[k]] != 1)
			return pc_sip_fail(c, -EPROTO, "%s %s header",
					   count[once[k]] ? "more than one" : "no",
					   hdr_defs[once[k]].name);
	if (count[PC_SIP_HDR_VIA] == 0)
		return pc_sip_fail(c, -EPROTO, "no Via header");
	if (count[PC_SIP_HDR_MAX_FORWARDS] > 1)
		return pc_sip_fail(c, -EPROTO, "more than one Max-Forwards header");
	if (count[PC_SIP_HDR_CONTENT_LENGTH] > 1)
		return pc_sip_fail(c, -EPROTO, "more than one Content-Length header");

	m->max_forwards = -1;
	for (unsigned k = 0; k < m->nheaders; k++) {
		const struct pc_sip_header *h = &m->headers[k];

		switch (h->id) {
		case PC_SIP_HDR_CALL_ID:
			if (h->value.len == 0)
				return pc_sip_fail(c, -EBADMSG, "empty Call-ID");
			m->call_id = h->value;
			break;
		case PC_SIP_HDR_CSEQ:
			rc = check_cseq(c, m, h->value);
			if (rc < 0)
				return rc;
			break;
		case PC_SIP_HDR_FROM:
		case PC_SIP_HDR_TO:
			rc = check_name_addr(c, hdr_defs[h->id].name, h->value);
			if (rc < 0)
				return rc;
			*(h->id == PC_SIP_HDR_FROM ? &m->from : &m->to) = h->value;
			break;
		case PC_SIP_HDR_VIA:
			rc = check_via(c, h->value);
			if (rc < 0)
				return rc;
			break;
		case PC_SIP_HDR_MAX_FORWARDS:
			if (!parse_uint(h->value, 255, &v, &big))
				return pc_sip_fail(c, big ? -ERANGE : -EBADMSG,
						   "Max-Forwards '%s' is not a number in 0-255",
						   pc_sip_shown(b, sizeof(b), h->value));
			m->max_forwards = (int)v;
			break;
		case PC_SIP_HDR_CONTENT_LENGTH:
			if (!parse_uint(h->value, PC_SIP_MAX_MSG, &v, &big) && !big)
				return pc_sip_fail(c, -EBADMSG,
						   "Content-Length '%s' is not a number",
						   pc_sip_shown(b, sizeof(b), h->value));
			m->has_content_length = true;
			m->content_length = big ? SIZE_MAX : (size_t)v;
			break;
		default:
			break;
		}
	}
	return 0;
}

int pc_sip_msg_parse(struct pc_sip_msg *msg, const void *buf, size_t len, char *err, size_t errlen)
{
	struct pc_sip_errctx c = { err, errlen };
	const char *p = buf;
	unsigned count[PC_SIP_HDR__COUNT] = { 0 };
	size_t pos, rest;
	ptrdiff_t eol;
	int rc;

	memset(msg, 0, offsetof(struct pc_sip_msg, headers));
	msg->max_forwards = -1;
	msg->body = (struct pc_sip_slice){ NULL, 0 };
	msg->msg_len = 0;
	if (err && errlen > 0)
		err[0] = '\0';
	if (len > PC_SIP_MAX_MSG)
		return pc_sip_fail(&c, -E2BIG, "message of %zu bytes, more than %d", len,
				   PC_SIP_MAX_MSG);
	if (len == 0)
		return pc_sip_fail(&c, -EBADMSG, "empty message");

	/* Start line */
	eol = find_crlf(p, len);
	if (eol < 0)
		return pc_sip_fail(&c, -EBADMSG, "the first line does not end in CRLF");
	if (eol > PC_SIP_MAX_HEADER_LEN)
		return pc_sip_fail(&c, -E2BIG, "first line longer than %d bytes",
				   PC_SIP_MAX_HEADER_LEN);
	if (eol >= 4 && lower(p[0]) == 's' && lower(p[1]) == 'i' && lower(p[2]) == 'p' &&
	    p[3] == '/')
		rc = parse_status_line(&c, msg, p, (size_t)eol);
	else
		rc = parse_request_line(&c, msg, p, (size_t)eol);
	if (rc < 0)
		return rc;
	pos = (size_t)eol + 2;

	/*
	 * Header lines, each a logical line: CRLF followed by SP/HTAB folds (RFC 3261 7.3.1).
	 * The name and the SP/HTAB after it are scanned once the first physical line's CRLF is
	 * found: neither holds a CR, so both scans stop at that CR at the latest and need no
	 * other bound. The faults are reported in the order of the grammar's checks (end of
	 * line, length, leading whitespace, "Name:", count).
	 */
	for (;;) {
		size_t start = pos, end, i, name_len;

		if (pos + 1 < len && p[pos] == '\r' && p[pos + 1] == '\n') {
			pos += 2; /* the empty line */
			break;
		}
		if (pos >= len)
			return pc_sip_fail(&c, -EBADMSG,
					   "the headers do not end with an empty line");
		eol = find_crlf(p + pos, len - pos);
		if (eol < 0)
			return pc_sip_fail(&c, -EBADMSG,
					   "the headers do not end with an empty line");
		end = pos + (size_t)eol; /* p[end] is the CR */
		for (i = start; is_token_char((unsigned char)p[i]); i++)
			;
		name_len = i - start;
		while (p[i] == ' ' || p[i] == '\t')
			i++;
		pos = end + 2;
		while (pos < len && (p[pos] == ' ' || p[pos] == '\t')) {
			eol = find_crlf(p + pos, len - pos);
			if (eol < 0)
				return pc_sip_fail(&c, -EBADMSG,
						   "the headers do not end with an empty line");
			end = pos + (size_t)eol;
			pos = end + 2;
		}
		if (end - start > PC_SIP_MAX_HEADER_LEN)
			return pc_sip_fail(&c, -E2BIG, "header line longer than %d bytes",
					   PC_SIP_MAX_HEADER_LEN);
		if (p[start] == ' ' || p[start] == '\t')
			return pc_sip_fail(&c, -EBADMSG, "header line starts with whitespace");
		rc = parse_header(&c, msg, p + start, end - start, name_len, i - start, count);
		if (rc < 0)
			return rc;
	}

	rc = check_headers(&c, msg, count);
	if (rc < 0)
		return rc;

	/* Body: framed by Content-Length; trailing octets are not this message's. */
	rest = len - pos;
	if (msg->has_content_length) {
		if (msg->content_length > rest) {
			const struct pc_sip_header *h =
				pc_sip_msg_find(msg, PC_SIP_HDR_CONTENT_LENGTH, NULL);
			char b[32];
			return pc_sip_fail(
				&c, -ERANGE,
				"Content-Length %s larger than the %zu bytes that follow",
				pc_sip_shown(b, sizeof(b), h->value), rest);
		}
		rest = msg->content_length;
	}
	msg->body = (struct pc_sip_slice){ p + pos, rest };
	msg->msg_len = pos + rest;
	return 0;
}

const struct pc_sip_header *pc_sip_msg_find(const struct pc_sip_msg *msg, enum pc_sip_hdr_id id,
					    const struct pc_sip_header *prev)
{
	unsigned k = prev ? (unsigned)(prev - msg->headers) + 1 : 0;

	for (; k < msg->nheaders; k++)
		if (msg->headers[k].id == id)
			return &msg->headers[k];
	return NULL;
}

/* ---- UAS verdict (pc_sip_uas_verdict in pc_sip_msg.h) ---- */

static bool slice_in(struct pc_sip_slice s, const char *const *set)
{
	for (; *set; set++)
		if (slice_ieq(s, *set))
			return true;
	return false;
}

/* RFC 3261 8.2.1: the methods this UA implements. Case-sensitive (RFC 3261 7.1). */
static bool uas_method_supported(struct pc_sip_slice m)
{
	static const char *const methods[] = { "INVITE",    "ACK",	"BYE",	  "CANCEL",
					       "OPTIONS",   "REGISTER", "REFER",  "NOTIFY",
					       "SUBSCRIBE", "INFO",	"UPDATE", "PRACK",
					       "MESSAGE",   NULL };

	for (const char *const *p = methods; *p; p++)
		if (m.len == strlen(*p) && memcmp(m.p, *p, m.len) == 0)
			return true;
	return false;
}

/*
 * Splits the comma-separated list @v from offset *pos: the next element, LWS trimmed, commas
 * inside a quoted string not counted. False at the end. Never reads past @v.
 */
static bool list_next(struct pc_sip_slice v, size_t *pos, struct pc_sip_slice *elem)
{
	size_t i = *pos, s;
	bool quoted = false;

	if (i > v.len)
		return false;
	s = i;
	for (; i < v.len; i++) {
		if (quoted && v.p[i] == '\\') {
			i++; /* quoted-pair; the loop's i++ may step to v.len, not past */
			continue;
		}
		if (v.p[i] == '"')
			quoted = !quoted;
		else if (!quoted && v.p[i] == ',')
			break;
	}
	if (i > v.len)
		i = v.len;
	*elem = trim(v.p + s, i - s);
	*pos = i + 1;
	return true;
}

/* The media range of an Accept or Content-Type element: "type/subtype", parameters and LWS
 * around the '/' dropped. Returns type and subtype. */
static void media_type(struct pc_sip_slice e, struct pc_sip_slice *type, struct pc_sip_slice *sub)
{
	size_t i, slash = e.len, semi = e.len;

	for (i = 0; i < e.len; i++)
		if (e.p[i] == ';') {
			semi = i;
			break;
		}
	for (i = 0; i < semi; i++)
		if (e.p[i] == '/') {
			slash = i;
			break;
		}
	*type = trim(e.p, slash);
	*sub = slash < semi ? trim(e.p + slash + 1, semi - slash - 1) :
			      (struct pc_sip_slice){ e.p + semi, 0 };
}

/* RFC 3261 20.1: Accept ranges may be type/subtype, type/ or * / *; an empty Accept header
 * accepts nothing. True if some Accept element covers application/sdp. */
static bool uas_accepts_sdp(const struct pc_sip_msg *msg)
{
	const struct pc_sip_header *h = NULL;

	while ((h = pc_sip_msg_find(msg, PC_SIP_HDR_ACCEPT, h))) {
		struct pc_sip_slice e, t, st;
		size_t pos = 0;

		while (list_next(h->value, &pos, &e)) {
			if (e.len == 0)
				continue;
			media_type(e, &t, &st);
			if ((slice_ieq(t, "application") || slice_ieq(t, "*")) &&
			    (slice_ieq(st, "sdp") || slice_ieq(st, "*")))
				return true;
		}
	}
	return false;
}

static bool uas_body_type_supported(struct pc_sip_slice ct)
{
	static const char *const types[] = { "application/sdp",
					     "multipart/mixed",
					     "multipart/alternative",
					     "message/sipfrag",
					     "text/plain",
					     "application/dtmf-relay",
					     NULL };
	struct pc_sip_slice t, st;
	char buf[32];

	media_type(ct, &t, &st);
	if (t.len + 1 + st.len >= sizeof(buf))
		return false;
	/* Compare "type/subtype" without the LWS the grammar allows around '/'. */
	memcpy(buf, t.p, t.len);
	buf[t.len] = '/';
	memcpy(buf + t.len + 1, st.p, st.len);
	return slice_in((struct pc_sip_slice){ buf, t.len + 1 + st.len }, types);
}

static int verdict(struct pc_sip_uas_verdict *out, enum pc_sip_uas_action a, unsigned status,
		   const char *why)
{
	out->action = a;
	out->status = status;
	out->why = why;
	return 0;
}

/* "SIP/" 1*DIGIT "." 1*DIGIT (RFC 3261 25.1 SIP-Version): a version we can name as unsupported. */
static bool looks_like_version(struct pc_sip_slice v)
{
	size_t i = 4, d;

	if (v.len < 7 || lower(v.p[0]) != 's' || lower(v.p[1]) != 'i' || lower(v.p[2]) != 'p' ||
	    v.p[3] != '/')
		return false;
	for (d = i; i < v.len && is_digit((unsigned char)v.p[i]); i++)
		;
	if (i == d || i == v.len || v.p[i] != '.')
		return false;
	for (d = ++i; i < v.len && is_digit((unsigned char)v.p[i]); i++)
		;
	return i > d && i == v.len;
}

static int uas_rejected(const struct pc_sip_msg *msg, int parse_rc, struct pc_sip_uas_verdict *out)
{
	if (!msg->is_request) {
		/* RFC 3261 18.1.2: a malformed response is silently discarded. */
		if (msg->version.len > 0)
			return verdict(out, PC_SIP_UAS_NOT_REQUEST, 0,
				       "a malformed response is discarded");
		return verdict(out, PC_SIP_UAS_DROP, 0,
			       "no request line: nothing to answer, no Via to answer to");
	}
	/* RFC 3261 17.2.1 / 17.2.3: an ACK is never answered, malformed or not. */
	if (msg->method.len == 3 && memcmp(msg->method.p, "ACK", 3) == 0)
		return verdict(out, PC_SIP_UAS_DROP, 0, "a malformed ACK is never answered");
	/* RFC 3261 21.5.7: 505 for a SIP version we do not speak; anything else there is bad
	 * syntax (400). */
	if (!slice_ieq(msg->version, "SIP/2.0"))
		return verdict(out, PC_SIP_UAS_RESPOND,
			       looks_like_version(msg->version) ? 505 : 400,
			       looks_like_version(msg->version) ? "SIP version not supported" :
								  "bad request line");
	/* RFC 4475 3.1.2.13 (mismatch02): CSeq differs from an unknown method: 501 is the more
	 * useful answer (400 also allowed). cseq_method set with -EPROTO means it was that. */
	if (parse_rc == -EPROTO && msg->cseq_method.len > 0 &&
	    !slice_eq(msg->cseq_method, msg->method) && !uas_method_supported(msg->method))
		return verdict(out, PC_SIP_UAS_RESPOND, 501, "method not implemented");
	return verdict(out, PC_SIP_UAS_RESPOND, 400, "bad request");
}

int pc_sip_uas_verdict(const struct pc_sip_msg *msg, int parse_rc, struct pc_sip_uas_verdict *out)
{
	static const char *const schemes[] = { "sip", "sips", "tel", NULL };
	static const char *const tags[] = { "replaces", "timer", NULL };
	const struct pc_sip_header *h;
	bool ack, cancel;

	if (!msg || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (parse_rc < 0)
		return uas_rejected(msg, parse_rc, out);
	if (!msg->is_request)
		return verdict(out, PC_SIP_UAS_NOT_REQUEST, 0, "a response");
	ack = msg->method.len == 3 && memcmp(msg->method.p, "ACK", 3) == 0;
	cancel = msg->method.len == 6 && memcmp(msg->method.p, "CANCEL", 6) == 0;

	/* RFC 3261 8.2.1: the method first; 501 for one we do not implement. */
	if (!uas_method_supported(msg->method))
		return verdict(out, PC_SIP_UAS_RESPOND, 501, "method not implemented");

	/* RFC 3261 8.2.2.1: a Request-URI scheme we do not understand: 416. An ACK is never
	 * answered (17.2.1, 13.3.1.4): whatever is wrong with it, it is dropped. */
	if (!slice_in(msg->uri_scheme, schemes))
		return ack ? verdict(out, PC_SIP_UAS_DROP, 0,
				     "ACK with an unsupported URI scheme") :
			     verdict(out, PC_SIP_UAS_RESPOND, 416, "unsupported URI scheme");

	/* RFC 3261 8.2.2.3: every Require option tag must be supported, else 420 with them in
	 * Unsupported; not applied to ACK and CANCEL (whose Require is ignored). */
	if (!ack && !cancel) {
		h = NULL;
		while ((h = pc_sip_msg_find(msg, PC_SIP_HDR_REQUIRE, h))) {
			struct pc_sip_slice e;
			size_t pos = 0;

			while (list_next(h->value, &pos, &e)) {
				if (e.len == 0 || slice_in(e, tags))
					continue;
				if (out->nunsupported < PC_SIP_UAS_MAX_UNSUPPORTED)
					out->unsupported[out->nunsupported] = e;
				out->nunsupported++;
			}
		}
		if (out->nunsupported)
			return verdict(out, PC_SIP_UAS_RESPOND, 420, "unsupported option tags");
	}

	/* RFC 3261 10.3 step 3 (after the URI and Require of steps 1-2): a registrar that
	 * authenticates challenges an Authorization it cannot use (RFC 4475 3.1.2.9, regaut01).
	 * Only Digest is understood; the scheme is the first token (RFC 3261 25.1 credentials). */
	if (msg->method.len == 8 && memcmp(msg->method.p, "REGISTER", 8) == 0) {
		h = NULL;
		while ((h = pc_sip_msg_find(msg, PC_SIP_HDR_AUTHORIZATION, h))) {
			size_t i;

			for (i = 0; i < h->value.len && is_token_char((unsigned char)h->value.p[i]);
			     i++)
				;
			if (!slice_ieq((struct pc_sip_slice){ h->value.p, i }, "Digest"))
				return verdict(out, PC_SIP_UAS_RESPOND, 401,
					       "unknown authorization scheme: challenge");
		}
	}

	/* RFC 3261 8.2.3: a body of a type we do not understand: 415 with Accept. Only a body
	 * that is there counts (an empty one needs no handler). */
	h = pc_sip_msg_find(msg, PC_SIP_HDR_CONTENT_TYPE, NULL);
	if (h && msg->body.len > 0 && !uas_body_type_supported(h->value)) {
		out->accept = PC_SIP_UAS_ACCEPT;
		return ack ? verdict(out, PC_SIP_UAS_DROP, 0, "ACK with an unsupported body type") :
			     verdict(out, PC_SIP_UAS_RESPOND, 415, "unsupported body type");
	}

	/* RFC 3261 8.2.3: a body encoding we do not understand (only identity is): 415 with
	 * Accept-Encoding. As for the type, only a body that is there counts. */
	h = NULL;
	while (msg->body.len > 0 && (h = pc_sip_msg_find(msg, PC_SIP_HDR_CONTENT_ENCODING, h))) {
		struct pc_sip_slice e;
		size_t pos = 0;

		while (list_next(h->value, &pos, &e)) {
			if (e.len == 0 || slice_ieq(e, "identity"))
				continue;
			out->accept_encoding = PC_SIP_UAS_ACCEPT_ENCODING;
			return ack ? verdict(out, PC_SIP_UAS_DROP, 0,
					     "ACK with an unsupported body encoding") :
				     verdict(out, PC_SIP_UAS_RESPOND, 415,
					     "unsupported body encoding");
		}
	}

	/* RFC 3261 8.2.5 / 21.4.7 (and 11.2 for OPTIONS): the response to INVITE or OPTIONS
	 * carries SDP; an Accept that excludes application/sdp leaves nothing to answer with:
	 * 406 (RFC 4475 3.3.14, sdp01). */
	if (((msg->method.len == 6 && memcmp(msg->method.p, "INVITE", 6) == 0) ||
	     (msg->method.len == 7 && memcmp(msg->method.p, "OPTIONS", 7) == 0)) &&
	    pc_sip_msg_find(msg, PC_SIP_HDR_ACCEPT, NULL) && !uas_accepts_sdp(msg)) {
		out->accept = "application/sdp";
		return verdict(out, PC_SIP_UAS_RESPOND, 406, "Accept excludes application/sdp");
	}
	return verdict(out, PC_SIP_UAS_PROCESS, 0, "process");
}
