/* SPDX-License-Identifier: MIT */
/* sip_hdr.c - SIP header value grammar (see pc_sip_hdr.h). Everything works on (pointer, length)
 * and never reads past the length. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pc_sip_hdr.h"

#define CSEQ_MAX 0x7fffffffu

/* ---- character classes (RFC 3261 25.1) ---- */

/* ---- character classes (RFC 3261 25.1, RFC 3966) ----
 * One table lookup per octet. Each class is the whole set the grammar names:
 *   C_TOKEN  token: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~"
 *   C_UNRES  unreserved: alphanum / mark; mark = "-" "_" "." "!" "~" "*" "'" "(" ")"
 *   C_USER   user: unreserved / user-unreserved ("&" "=" "+" "$" "," ";" "?" "/")
 *   C_PASS   password: unreserved / "&" "=" "+" "$" ","
 *   C_PARAM  paramchar: unreserved / param-unreserved ("[" "]" "/" ":" "&" "+" "$")
 *   C_HNV    hname/hvalue: unreserved / hnv-unreserved ("[" "]" "/" "?" ":" "+" "$")
 *   C_TEL    RFC 3966 phonedigit-hex / visual-separator and "+": HEXDIG "*" "#" "+" "-" "." "(" ")"
 *   C_HOST   hostname octets: alphanum "-" "." (and "_", seen in the wild)
 *   C_WORD   word (Call-ID): token / "(" ")" "<" ">" ":" "\" DQUOTE "/" "[" "]" "?" "{" "}"
 * (escaped, "%" HEX HEX, is checked separately where the grammar allows it.) */
enum {
	C_DIGIT = 1 << 0,
	C_ALPHA = 1 << 1,
	C_XDIGIT = 1 << 2,
	C_TOKEN = 1 << 3,
	C_UNRES = 1 << 4,
	C_USER = 1 << 5,
	C_PASS = 1 << 6,
	C_PARAM = 1 << 7,
	C_HNV = 1 << 8,
	C_TEL = 1 << 9,
	C_HOST = 1 << 10,
	C_WORD = 1 << 11,
	/* what every alphanumeric octet is */
	C_AN = C_TOKEN | C_UNRES | C_USER | C_PASS | C_PARAM | C_HNV | C_HOST | C_WORD,
};

static const uint16_t cclass[256] = {
	['!'] = C_TOKEN | C_UNRES | C_USER | C_PASS | C_PARAM | C_HNV | C_WORD,
	['"'] = C_WORD,
	['#'] = C_TEL,
	['$'] = C_USER | C_PASS | C_PARAM | C_HNV,
	['%'] = C_TOKEN | C_WORD,
	['&'] = C_USER | C_PASS | C_PARAM,
	['\''] = C_TOKEN | C_UNRES | C_USER | C_PASS | C_PARAM | C_HNV | C_WORD,
	['('] = C_UNRES | C_USER | C_PASS | C_PARAM | C_HNV | C_TEL | C_WORD,
	[')'] = C_UNRES | C_USER | C_PASS | C_PARAM | C_HNV | C_TEL | C_WORD,
	['*'] = C_TOKEN | C_UNRES | C_USER | C_PASS | C_PARAM | C_HNV | C_TEL | C_WORD,
	['+'] = C_TOKEN | C_USER | C_PASS | C_PARAM | C_HNV | C_TEL | C_WORD,
	[','] = C_USER | C_PASS,
	['-'] = C_AN | C_TEL,
	['.'] = C_AN | C_TEL,
	['/'] = C_USER | C_PARAM | C_HNV | C_WORD,
	['0'] = C_AN | C_DIGIT | C_XDIGIT | C_TEL,
	['1'] = C_AN | C_DIGIT | C_XDIGIT | C_TEL,
	['2'] = C_AN | C_DIGIT | C_XDIGIT | C_TEL,
	['3'] = C_AN | C_DIGIT | C_XDIGIT | C_TEL,
	['4'] = C_AN | C_DIGIT | C_XDIGIT | C_TEL,
	['5'] = C_AN | C_DIGIT | C_XDIGIT | C_TEL,
	['6'] = C_AN | C_DIGIT | C_XDIGIT | C_TEL,
	['7'] = C_AN | C_DIGIT | C_XDIGIT | C_TEL,
	['8'] = C_AN | C_DIGIT | C_XDIGIT | C_TEL,
	['9'] = C_AN | C_DIGIT | C_XDIGIT | C_TEL,
	[':'] = C_PARAM | C_HNV | C_WORD,
	[';'] = C_USER,
	['<'] = C_WORD,
	['='] = C_USER | C_PASS,
	['>'] = C_WORD,
	['?'] = C_USER | C_HNV | C_WORD,
	['A'] = C_AN | C_ALPHA | C_XDIGIT | C_TEL,
	['B'] = C_AN | C_ALPHA | C_XDIGIT | C_TEL,
	['C'] = C_AN | C_ALPHA | C_XDIGIT | C_TEL,
	['D'] = C_AN | C_ALPHA | C_XDIGIT | C_TEL,
	['E'] = C_AN | C_ALPHA | C_XDIGIT | C_TEL,
	['F'] = C_AN | C_ALPHA | C_XDIGIT | C_TEL,
	['G'] = C_AN | C_ALPHA,
	['H'] = C_AN | C_ALPHA,
	['I'] = C_AN | C_ALPHA,
	['J'] = C_AN | C_ALPHA,
	['K'] = C_AN | C_ALPHA,
	['L'] = C_AN | C_ALPHA,
	['M'] = C_AN | C_ALPHA,
	['N'] = C_AN | C_ALPHA,
	['O'] = C_AN | C_ALPHA,
	['P'] = C_AN | C_ALPHA,
	['Q'] = C_AN | C_ALPHA,
	['R'] = C_AN | C_ALPHA,
	['S'] = C_AN | C_ALPHA,
	['T'] = C_AN | C_ALPHA,
	['U'] = C_AN | C_ALPHA,
	['V'] = C_AN | C_ALPHA,
	['W'] = C_AN | C_ALPHA,
	['X'] = C_AN | C_ALPHA,
	['Y'] = C_AN | C_ALPHA,
	['Z'] = C_AN | C_ALPHA,
	['['] = C_PARAM | C_HNV | C_WORD,
	['\\'] = C_WORD,
	[']'] = C_PARAM | C_HNV | C_WORD,
	['_'] = C_AN,
	['`'] = C_TOKEN | C_WORD,
	['a'] = C_AN | C_ALPHA | C_XDIGIT | C_TEL,
	['b'] = C_AN | C_ALPHA | C_XDIGIT | C_TEL,
	['c'] = C_AN | C_ALPHA | C_XDIGIT | C_TEL,
	['d'] = C_AN | C_ALPHA | C_XDIGIT | C_TEL,
	['e'] = C_AN | C_ALPHA | C_XDIGIT | C_TEL,
	['f'] = C_AN | C_ALPHA | C_XDIGIT | C_TEL,
	['g'] = C_AN | C_ALPHA,
	['h'] = C_AN | C_ALPHA,
	['i'] = C_AN | C_ALPHA,
	['j'] = C_AN | C_ALPHA,
	['k'] = C_AN | C_ALPHA,
	['l'] = C_AN | C_ALPHA,
	['m'] = C_AN | C_ALPHA,
	['n'] = C_AN | C_ALPHA,
	['o'] = C_AN | C_ALPHA,
	['p'] = C_AN | C_ALPHA,
	['q'] = C_AN | C_ALPHA,
	['r'] = C_AN | C_ALPHA,
	['s'] = C_AN | C_ALPHA,
	['t'] = C_AN | C_ALPHA,
	['u'] = C_AN | C_ALPHA,
	['v'] = C_AN | C_ALPHA,
	['w'] = C_AN | C_ALPHA,
	['x'] = C_AN | C_ALPHA,
	['y'] = C_AN | C_ALPHA,
	['z'] = C_AN | C_ALPHA,
	['{'] = C_WORD,
	['}'] = C_WORD,
	['~'] = C_TOKEN | C_UNRES | C_USER | C_PASS | C_PARAM | C_HNV | C_WORD,
};

static bool is_digit(unsigned char c)
{
	return cclass[c] & C_DIGIT;
}

static bool is_alpha(unsigned char c)
{
	return cclass[c] & C_ALPHA;
}

static bool is_xdigit(unsigned char c)
{
	return cclass[c] & C_XDIGIT;
}

static bool in_set(unsigned char c, const char *set)
{
	return c != 0 && strchr(set, c) != NULL;
}

static bool is_token(unsigned char c)
{
	return cclass[c] & C_TOKEN;
}

static bool is_user_char(unsigned char c)
{
	return cclass[c] & C_USER;
}

static bool is_password_char(unsigned char c)
{
	return cclass[c] & C_PASS;
}

static bool is_param_char(unsigned char c)
{
	return cclass[c] & C_PARAM;
}

static bool is_hnv_char(unsigned char c)
{
	return cclass[c] & C_HNV;
}

static bool is_tel_char(unsigned char c)
{
	return cclass[c] & C_TEL;
}

static bool is_lws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static int hexval(unsigned char c)
{
	if (is_digit(c))
		return c - '0';
	return lower((char)c) - 'a' + 10;
}

/* @s equals the NUL-terminated @lit, ASCII case-insensitively (no strlen: stops at the first
 * difference). */
static bool slice_ieq(struct pc_sip_slice s, const char *lit)
{
	size_t i;

	for (i = 0; i < s.len; i++)
		if (lit[i] == '\0' || lower(s.p[i]) != lower(lit[i]))
			return false;
	return lit[i] == '\0';
}

static struct pc_sip_slice mk(const char *p, size_t len)
{
	return (struct pc_sip_slice){ p, len };
}

static struct pc_sip_slice trim(const char *p, size_t len)
{
	while (len > 0 && is_lws((unsigned char)p[0])) {
		p++;
		len--;
	}
	while (len > 0 && is_lws((unsigned char)p[len - 1]))
		len--;
	return mk(p, len);
}

static size_t skip_lws(const char *p, size_t n, size_t i)
{
	while (i < n && is_lws((unsigned char)p[i]))
		i++;
	return i;
}

/* ---- errors ---- */

struct ctx {
	char *err;
	size_t errlen;
};

static void ctx_init(struct ctx *c, char *err, size_t errlen)
{
	c->err = err;
	c->errlen = errlen;
	if (err && errlen > 0)
		err[0] = '\0';
}

__attribute__((format(printf, 3, 4))) static int fail(struct ctx *c, int rc, const char *fmt, ...)
{
	va_list ap;

	if (c->err && c->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(c->err, c->errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* Printable copy of a slice for a reason: non-printable octets as '?', cut with "...". */
static const char *shown(char *out, size_t outlen, const char *p, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len && n + 4 < outlen; i++) {
		unsigned char ch = (unsigned char)p[i];
		out[n++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
	}
	if (n < len && n + 3 < outlen) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
	return out;
}

#define SHOWN(p, len) shown((char[48]){ 0 }, 48, (p), (len))

/* ---- numbers ---- */

/* 1*DIGIT of the whole slice into *out, capped: returns 0, -EBADMSG (empty or not digits) or
 * -ERANGE (above max). With saturate, above max gives max and 0. */
static int parse_num(const char *p, size_t n, uint64_t max, bool saturate, uint64_t *out)
{
	uint64_t v = 0;
	bool big = false;

	if (n == 0)
		return -EBADMSG;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit((unsigned char)p[i]))
			return -EBADMSG;
		if (!big) {
			v = v * 10 + (uint64_t)(p[i] - '0');
			if (v > max)
				big = true;
		}
	}
	if (big && !saturate)
		return -ERANGE;
	*out = big ? max : v;
	return 0;
}

/* ---- escapes ---- */

/* Checks that [p, p+n) is made of chars accepted by @ok or %HH escapes. Returns the index of
 * the first offending octet, or n. */
static size_t check_escaped(const char *p, size_t n, bool (*ok)(unsigned char))
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '%') {
			if (i + 2 >= n || !is_xdigit((unsigned char)p[i + 1]) ||
			    !is_xdigit((unsigned char)p[i + 2]))
				return i;
			i += 2;
			continue;
		}
		if (!ok((unsigned char)p[i]))
			return i;
	}
	return n;
}

int pc_sip_unescape(const char *p, size_t len, char *out, size_t outsize, size_t *outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		char ch = p[i];

		if (ch == '%') {
			if (i + 2 >= len || !is_xdigit((unsigned char)p[i + 1]) ||
			    !is_xdigit((unsigned char)p[i + 2]))
				return -EBADMSG;
			ch = (char)(hexval((unsigned char)p[i + 1]) * 16 +
				    hexval((unsigned char)p[i + 2]));
			i += 2;
		}
		if (o == outsize)
			return -ENOSPC;
		out[o++] = ch;
	}
	*outlen = o;
	return 0;
}

/* The next decoded octet of an escaped slice at *i: 0-255, -1 at the end, -2 on a bad escape. */
static int next_decoded(struct pc_sip_slice s, size_t *i)
{
	unsigned char ch;

	if (*i >= s.len)
		return -1;
	ch = (unsigned char)s.p[*i];
	if (ch != '%') {
		(*i)++;
		return ch;
	}
	if (*i + 2 >= s.len || !is_xdigit((unsigned char)s.p[*i + 1]) ||
	    !is_xdigit((unsigned char)s.p[*i + 2]))
		return -2;
	ch = (unsigned char)(hexval((unsigned char)s.p[*i + 1]) * 16 +
			     hexval((unsigned char)s.p[*i + 2]));
	*i += 3;
	return ch;
}

/* Equality of two escaped slices after unescaping (RFC 3261 19.1.4). */
static bool esc_eq(struct pc_sip_slice a, struct pc_sip_slice b, bool icase)
{
	size_t i = 0, j = 0;

	for (;;) {
		int x = next_decoded(a, &i), y = next_decoded(b, &j);

		if (x == -2 || y == -2)
			return false;
		if (x == -1 || y == -1)
			return x == y;
		if (icase) {
			x = lower((char)x);
			y = lower((char)y);
		}
		if (x != y)
			return false;
	}
}

static bool esc_ieq_lit(struct pc_sip_slice a, const char *lit)
{
	if (a.len == 0 || !memchr(a.p, '%', a.len))
		return slice_ieq(a, lit);
	return esc_eq(a, mk(lit, strlen(lit)), true);
}

/* ---- quoted strings ---- */

/* @p[0] is '"': the index just after the closing quote, or -EBADMSG. RFC 3261 25.1 qdtext and
 * quoted-pair; octets >= 0x80 accepted as UTF8-NONASCII without validation. */
static int scan_quoted(const char *p, size_t n, size_t *end)
{
	for (size_t i = 1; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];

		if (ch == '"') {
			*end = i + 1;
			return 0;
		}
		if (ch == '\\') {
			/* quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F) */
			if (i + 1 >= n)
				return -EBADMSG;
			ch = (unsigned char)p[i + 1];
			if (ch == '\r' || ch == '\n' || ch > 0x7f)
				return -EBADMSG;
			i++;
			continue;
		}
		if ((ch < 0x20 && !is_lws(ch)) || ch == 0x7f)
			return -EBADMSG;
	}
	return -EBADMSG;
}

int pc_sip_quoted_unescape(const char *p, size_t len, char *out, size_t outsize, size_t *outlen)
{
	size_t o = 0, i = 0, n = len;

	if (len > 0 && p[0] == '"') {
		size_t end;

		if (scan_quoted(p, len, &end) < 0 || end != len)
			return -EBADMSG;
		i = 1;
		n = len - 1;
	}
	for (; i < n; i++) {
		char ch = p[i];

		if (ch == '\\') {
			if (i + 1 >= n)
				return -EBADMSG;
			ch = p[++i];
		} else if (ch == '"' || ch == '\r' || ch == '\n') {
			/* CR LF inside are folding of the header: collapse to one SP */
			if (ch == '"')
				return -EBADMSG;
			if (ch == '\r')
				continue;
			ch = ' ';
			while (i + 1 < n && (p[i + 1] == ' ' || p[i + 1] == '\t'))
				i++;
		}
		if (o == outsize)
			return -ENOSPC;
		out[o++] = ch;
	}
	*outlen = o;
	return 0;
}

/* ---- hosts ---- */

static bool valid_ipv4(const char *p, size_t n)
{
	size_t i = 0;

	for (int k = 0; k < 4; k++) {
		size_t s = i;
		unsigned v = 0;

		while (i < n && is_digit((unsigned char)p[i]) && i - s < 3)
			v = v * 10 + (unsigned)(p[i++] - '0');
		if (i == s || v > 255)
			return false;
		if (k < 3) {
			if (i >= n || p[i] != '.')
				return false;
			i++;
		}
	}
	return i == n;
}

/* RFC 3261 25.1 IPv6address (RFC 4291 text form): hex groups, one "::" at most, an IPv4 tail. */
static bool valid_ipv6(const char *p, size_t n)
{
	unsigned groups = 0;
	bool dbl = false;
	size_t i = 0;

	if (n < 2)
		return false;
	if (p[0] == ':') {
		if (p[1] != ':')
			return false;
		dbl = true;
		i = 2;
		if (i == n)
			return true;
	}
	for (;;) {
		size_t s = i;

		while (i < n && is_xdigit((unsigned char)p[i]) && i - s < 5)
			i++;
		if (i < n && p[i] == '.') {
			if (!valid_ipv4(p + s, n - s))
				return false;
			groups += 2;
			break;
		}
		if (i == s || i - s > 4)
			return false;
		groups++;
		if (i == n)
			break;
		if (p[i] != ':' || groups > 8)
			return false;
		i++;
		if (i < n && p[i] == ':') {
			if (dbl)
				return false;
			dbl = true;
			i++;
			if (i == n)
				break;
			/* RFC 5118 4.10: RFC 3261's IPv6reference ABNF let "::" be followed by ":"
			 * and an IPv4 tail ("2001:db8:::192.0.2.1"); accepted, as it recommends. */
			if (p[i] == ':' && valid_ipv4(p + i + 1, n - i - 1))
				return groups + 2 < 8;
		} else if (i == n) {
			return false;
		}
	}
	return dbl ? groups < 8 : groups == 8;
}

static bool is_host_char(unsigned char c)
{
	/* hostname = *( domainlabel "." ) toplabel [ "." ]; '_' tolerated (seen in the wild) */
	return cclass[c] & C_HOST;
}

/*
 * Reads a host at the start of [p, p+n): "[IPv6]", IPv4 or a hostname. *used: octets consumed.
 * The host slice excludes the brackets of an IPv6 reference.
 */
static int parse_host(struct ctx *c, const char *what, const char *p, size_t n, size_t *used,
		      enum pc_sip_host_type *type, struct pc_sip_slice *host)
{
	size_t i;
	bool digits_only = true;

	if (n > 0 && p[0] == '[') {
		for (i = 1; i < n && p[i] != ']'; i++)
			;
		if (i == n)
			return fail(c, -EBADMSG, "%s: '[' without ']'", what);
		if (!valid_ipv6(p + 1, i - 1))
			return fail(c, -EBADMSG, "%s: bad IPv6 address [%s]", what,
				    SHOWN(p + 1, i - 1));
		*type = PC_SIP_HOST_IPV6;
		*host = mk(p + 1, i - 1);
		*used = i + 1;
		return 0;
	}
	for (i = 0; i < n && is_host_char((unsigned char)p[i]); i++)
		if (!is_digit((unsigned char)p[i]) && p[i] != '.')
			digits_only = false;
	if (i == 0)
		return fail(c, -EBADMSG, "%s: no host", what);
	if (i < n && p[i] == ':' && i + 1 < n && memchr(p + i + 1, ':', n - i - 1)) {
		/* "2001:db8::1" or "2001:db8::1:5060": the colons are ambiguous (RFC 5118 4.5) */
		size_t j = i;

		while (j < n && (is_xdigit((unsigned char)p[j]) || p[j] == ':' || p[j] == '.'))
			j++;
		if (j > i + 1 && memchr(p + i + 1, ':', j - i - 1))
			return fail(c, -EBADMSG, "%s: an IPv6 address needs brackets", what);
	}
	if (digits_only) {
		if (!valid_ipv4(p, i))
			return fail(c, -EBADMSG, "%s: bad IPv4 address %s", what, SHOWN(p, i));
		*type = PC_SIP_HOST_IPV4;
	} else {
		if (p[0] == '.' || p[0] == '-')
			return fail(c, -EBADMSG, "%s: bad host name %s", what, SHOWN(p, i));
		for (size_t k = 1; k < i; k++)
			if (p[k] == '.' && p[k - 1] == '.')
				return fail(c, -EBADMSG, "%s: empty label in host name %s", what,
					    SHOWN(p, i));
		*type = PC_SIP_HOST_NAME;
	}
	*host = mk(p, i);
	*used = i;
	return 0;
}

/* ---- parameters ---- */

static int add_param(struct ctx *c, struct pc_sip_param *params, unsigned max, unsigned *n,
		     struct pc_sip_param prm)
{
	if (*n >= max)
		return fail(c, -E2BIG, "more than %u parameters", max);
	params[(*n)++] = prm;
	return 0;
}

/* uri-parameters = *( ";" uri-parameter ), up to '?' or the end. *used: octets consumed. */
static int parse_uri_params(struct ctx *c, const char *p, size_t n, size_t *used,
			    struct pc_sip_uri *u)
{
	size_t i = 0;
	int rc;

	while (i < n && p[i] == ';') {
		struct pc_sip_param prm = { 0 };
		size_t s = ++i, bad;

		while (i < n && p[i] != ';' && p[i] != '?' && p[i] != '=')
			i++;
		prm.name = mk(p + s, i - s);
		if (prm.name.len == 0)
			return fail(c, -EBADMSG, "empty URI parameter");
		bad = check_escaped(prm.name.p, prm.name.len, is_param_char);
		if (bad < prm.name.len)
			return fail(c, -EBADMSG, "URI parameter %s: bad character",
				    SHOWN(prm.name.p, prm.name.len));
		if (i < n && p[i] == '=') {
			s = ++i;
			while (i < n && p[i] != ';' && p[i] != '?')
				i++;
			prm.value = mk(p + s, i - s);
			prm.has_value = true;
			bad = check_escaped(prm.value.p, prm.value.len, is_param_char);
			if (prm.value.len == 0 || bad < prm.value.len)
				return fail(c, -EBADMSG, "URI parameter %s: bad value",
					    SHOWN(prm.name.p, prm.name.len));
		}
		rc = add_param(c, u->params, PC_SIP_MAX_PARAMS, &u->nparams, prm);
		if (rc < 0)
			return rc;
	}
	*used = i;
	return 0;
}

/* headers = "?" header *( "&" header ); header = hname "=" hvalue */
static int parse_uri_headers(struct ctx *c, const char *p, size_t n, struct pc_sip_uri *u)
{
	size_t i = 1; /* p[0] == '?' */
	int rc;

	for (;;) {
		struct pc_sip_param h = { 0 };
		size_t s = i, bad;

		while (i < n && p[i] != '=' && p[i] != '&')
			i++;
		h.name = mk(p + s, i - s);
		bad = check_escaped(h.name.p, h.name.len, is_hnv_char);
		if (h.name.len == 0 || bad < h.name.len)
			return fail(c, -EBADMSG, "URI header '%s': bad name",
				    SHOWN(h.name.p, h.name.len));
		if (i == n || p[i] != '=')
			return fail(c, -EBADMSG, "URI header %s without '='",
				    SHOWN(h.name.p, h.name.len));
		s = ++i;
		while (i < n && p[i] != '&')
			i++;
		h.value = mk(p + s, i - s);
		h.has_value = true;
		bad = check_escaped(h.value.p, h.value.len, is_hnv_char);
		if (bad < h.value.len)
			return fail(c, -EBADMSG, "URI header %s: bad character in the value",
				    SHOWN(h.name.p, h.name.len));
		if (u->nheaders >= PC_SIP_MAX_URI_HEADERS)
			return fail(c, -E2BIG, "more than %d URI headers", PC_SIP_MAX_URI_HEADERS);
		u->headers[u->nheaders++] = h;
		rc = 0;
		if (i == n)
			return rc;
		i++; /* '&' */
	}
}

static const char *const transport_names[] = {
	[PC_SIP_TRANSPORT_NONE] = "",	  [PC_SIP_TRANSPORT_UDP] = "UDP",
	[PC_SIP_TRANSPORT_TCP] = "TCP",	  [PC_SIP_TRANSPORT_TLS] = "TLS",
	[PC_SIP_TRANSPORT_SCTP] = "SCTP", [PC_SIP_TRANSPORT_WS] = "WS",
	[PC_SIP_TRANSPORT_WSS] = "WSS",	  [PC_SIP_TRANSPORT_OTHER] = "",
};

const char *pc_sip_uri_transport_name(enum pc_sip_uri_transport t)
{
	if ((unsigned)t > PC_SIP_TRANSPORT_OTHER)
		return "";
	return transport_names[t];
}

static enum pc_sip_uri_transport transport_of(struct pc_sip_slice s, bool escaped)
{
	for (unsigned t = PC_SIP_TRANSPORT_UDP; t < PC_SIP_TRANSPORT_OTHER; t++)
		if (escaped ? esc_ieq_lit(s, transport_names[t]) : slice_ieq(s, transport_names[t]))
			return (enum pc_sip_uri_transport)t;
	return PC_SIP_TRANSPORT_OTHER;
}

/* The well-known uri-parameters (RFC 3261 19.1.1), names compared after unescaping. */
static int decode_uri_params(struct ctx *c, struct pc_sip_uri *u)
{
	uint64_t v;

	for (unsigned k = 0; k < u->nparams; k++) {
		const struct pc_sip_param *prm = &u->params[k];

		if (esc_ieq_lit(prm->name, "transport")) {
			if (!prm->has_value)
				return fail(c, -EBADMSG, "transport parameter without a value");
			u->transport_s = prm->value;
			u->transport = transport_of(prm->value, true);
		} else if (esc_ieq_lit(prm->name, "user")) {
			u->user_param = prm->value;
		} else if (esc_ieq_lit(prm->name, "method")) {
			u->method = prm->value;
		} else if (esc_ieq_lit(prm->name, "maddr")) {
			if (!prm->has_value)
				return fail(c, -EBADMSG, "maddr parameter without a value");
			u->maddr = prm->value;
		} else if (esc_ieq_lit(prm->name, "ttl")) {
			int rc = prm->has_value ?
					 parse_num(prm->value.p, prm->value.len, 255, false, &v) :
					 -EBADMSG;
			if (rc < 0)
				return fail(c, rc, "ttl '%s' is not a number in 0-255",
					    SHOWN(prm->value.p, prm->value.len));
			u->ttl = (int)v;
		} else if (esc_ieq_lit(prm->name, "lr")) {
			u->lr = true;
		}
	}
	return 0;
}

/* ---- URIs ---- */

static int parse_sip_uri(struct ctx *c, struct pc_sip_uri *u, const char *p, size_t n)
{
	size_t at = n, i, used, bad;
	uint64_t port;
	int rc;

	for (i = 0; i < n; i++)
		if (p[i] == '@')
			at = i;
	i = 0;
	if (at < n) {
		size_t colon = at;

		for (size_t k = 0; k < at; k++)
			if (p[k] == ':') {
				colon = k;
				break;
			}
		u->has_user = true;
		u->user = mk(p, colon);
		if (u->user.len == 0)
			return fail(c, -EBADMSG, "URI with an empty user part before '@'");
		bad = check_escaped(u->user.p, u->user.len, is_user_char);
		if (bad < u->user.len)
			return fail(c, -EBADMSG, "URI user '%s': bad %s at offset %zu",
				    SHOWN(u->user.p, u->user.len),
				    u->user.p[bad] == '%' ? "escape" : "character", bad);
		if (colon < at) {
			u->has_password = true;
			u->password = mk(p + colon + 1, at - colon - 1);
			bad = check_escaped(u->password.p, u->password.len, is_password_char);
			if (bad < u->password.len)
				return fail(c, -EBADMSG, "URI password: bad character");
		}
		i = at + 1;
	}
	rc = parse_host(c, "URI", p + i, n - i, &used, &u->host_type, &u->host);
	if (rc < 0)
		return rc;
	i += used;
	if (i < n && p[i] == ':') {
		size_t s = ++i;

		while (i < n && is_digit((unsigned char)p[i]))
			i++;
		rc = parse_num(p + s, i - s, 65535, false, &port);
		if (rc < 0)
			return fail(c, rc, "URI port '%s' is not a number in 0-65535",
				    SHOWN(p + s, i - s));
		u->port = (int)port;
	}
	if (i < n && p[i] != ';' && p[i] != '?')
		return fail(c, -EBADMSG, "URI host '%s': bad character '%s'", SHOWN(p, i),
			    SHOWN(p + i, 1));
	rc = parse_uri_params(c, p + i, n - i, &used, u);
	if (rc < 0)
		return rc;
	i += used;
	if (i < n) {
		rc = parse_uri_headers(c, p + i, n - i, u);
		if (rc < 0)
			return rc;
	}
	return decode_uri_params(c, u);
}

/* RFC 3966: telephone-subscriber *par, numbers and parameters checked loosely. */
static int parse_tel_uri(struct ctx *c, struct pc_sip_uri *u, const char *p, size_t n)
{
	size_t i = 0, used;
	int rc;

	while (i < n && is_tel_char((unsigned char)p[i]))
		i++;
	if (i == 0)
		return fail(c, -EBADMSG, "tel URI without a number");
	u->has_user = true;
	u->user = mk(p, i);
	if (i < n && p[i] != ';')
		return fail(c, -EBADMSG, "tel URI: bad character '%s' in the number",
			    SHOWN(p + i, 1));
	rc = parse_uri_params(c, p + i, n - i, &used, u);
	if (rc < 0)
		return rc;
	if (i + used != n)
		return fail(c, -EBADMSG, "tel URI: headers are not allowed");
	return 0;
}

int pc_sip_uri_parse(struct pc_sip_uri *uri, const char *p, size_t len, char *err, size_t errlen)
{
	struct ctx c;
	size_t i;

	ctx_init(&c, err, errlen);
	memset(uri, 0, sizeof(*uri));
	uri->port = -1;
	uri->ttl = -1;
	for (i = 0; i < len && p[i] != ':'; i++)
		if (!(is_alpha((unsigned char)p[i]) ||
		      (i > 0 &&
		       (is_digit((unsigned char)p[i]) || in_set((unsigned char)p[i], "+-.")))))
			break;
	if (i == 0 || i == len || p[i] != ':')
		return fail(&c, -EBADMSG, "URI '%s' does not start with a scheme", SHOWN(p, len));
	uri->scheme_s = mk(p, i);
	uri->opaque = mk(p + i + 1, len - i - 1);
	for (size_t k = 0; k < uri->opaque.len; k++) {
		unsigned char ch = (unsigned char)uri->opaque.p[k];
		if (ch <= 0x20 || ch >= 0x7f || ch == '<' || ch == '>' || ch == '"')
			return fail(&c, -EBADMSG, "URI '%s': bad character 0x%02x", SHOWN(p, len),
				    ch);
	}
	if (uri->opaque.len == 0)
		return fail(&c, -EBADMSG, "URI '%s' is empty after the scheme", SHOWN(p, len));
	if (slice_ieq(uri->scheme_s, "sip"))
		uri->scheme = PC_SIP_SCHEME_SIP;
	else if (slice_ieq(uri->scheme_s, "sips"))
		uri->scheme = PC_SIP_SCHEME_SIPS;
	else if (slice_ieq(uri->scheme_s, "tel"))
		uri->scheme = PC_SIP_SCHEME_TEL;
	else
		return 0;
	if (uri->scheme == PC_SIP_SCHEME_TEL)
		return parse_tel_uri(&c, uri, uri->opaque.p, uri->opaque.len);
	return parse_sip_uri(&c, uri, uri->opaque.p, uri->opaque.len);
}

/* ---- URI comparison (RFC 3261 19.1.4) ---- */

static const struct pc_sip_param *find_esc(const struct pc_sip_param *ps, unsigned n,
					   struct pc_sip_slice name)
{
	for (unsigned k = 0; k < n; k++)
		if (esc_eq(ps[k].name, name, true))
			return &ps[k];
	return NULL;
}

/* The same-named parameter of @ps that matches the occurrence of @ps_a[k] among its own
 * same-named ones (the first with the first, the second with the second): a repeated name
 * compares in order, so that a URI always equals itself. */
static const struct pc_sip_param *find_nth(const struct pc_sip_param *a, unsigned k,
					   const struct pc_sip_param *ps, unsigned n)
{
	unsigned occ = 0;

	for (unsigned i = 0; i < k; i++)
		if (esc_eq(a[i].name, a[k].name, true))
			occ++;
	for (unsigned i = 0; i < n; i++)
		if (esc_eq(ps[i].name, a[k].name, true) && occ-- == 0)
			return &ps[i];
	return NULL;
}

static bool param_values_eq(const struct pc_sip_param *a, const struct pc_sip_param *b)
{
	return a->has_value == b->has_value && esc_eq(a->value, b->value, true);
}

/* Visual separators of RFC 3966 ignored, hex digits case-insensitive. */
static bool tel_number_eq(struct pc_sip_slice a, struct pc_sip_slice b)
{
	size_t i = 0, j = 0;

	for (;;) {
		while (i < a.len && in_set((unsigned char)a.p[i], "-.()"))
			i++;
		while (j < b.len && in_set((unsigned char)b.p[j], "-.()"))
			j++;
		if (i == a.len || j == b.len)
			return i == a.len && j == b.len;
		if (lower(a.p[i++]) != lower(b.p[j++]))
			return false;
	}
}

bool pc_sip_uri_equal(const struct pc_sip_uri *a, const struct pc_sip_uri *b)
{
	static const char *const must[] = { "user", "ttl", "method", "maddr", "transport" };

	if (a->scheme != b->scheme)
		return false;
	if (a->scheme == PC_SIP_SCHEME_OTHER)
		return esc_eq(a->scheme_s, b->scheme_s, true) && a->opaque.len == b->opaque.len &&
		       (a->opaque.len == 0 || memcmp(a->opaque.p, b->opaque.p, a->opaque.len) == 0);
	if (a->scheme == PC_SIP_SCHEME_TEL) {
		if (!tel_number_eq(a->user, b->user) || a->nparams != b->nparams)
			return false;
		for (unsigned k = 0; k < a->nparams; k++) {
			const struct pc_sip_param *q =
				find_nth(a->params, k, b->params, b->nparams);
			if (!q || !param_values_eq(&a->params[k], q))
				return false;
		}
		return true;
	}
	/* userinfo: case-sensitive, escapes decoded */
	if (a->has_user != b->has_user || !esc_eq(a->user, b->user, false) ||
	    a->has_password != b->has_password || !esc_eq(a->password, b->password, false))
		return false;
	if (!esc_eq(a->host, b->host, true) || a->port != b->port)
		return false;
	/* uri-parameters: these must be in both or neither; any other only when in both */
	for (unsigned k = 0; k < a->nparams; k++) {
		const struct pc_sip_param *q = find_nth(a->params, k, b->params, b->nparams);

		if (q && !param_values_eq(&a->params[k], q))
			return false;
	}
	for (size_t m = 0; m < sizeof(must) / sizeof(must[0]); m++) {
		struct pc_sip_slice nm = mk(must[m], strlen(must[m]));

		if (!find_esc(a->params, a->nparams, nm) != !find_esc(b->params, b->nparams, nm))
			return false;
	}
	/* headers: every one in both, values equal */
	for (unsigned k = 0; k < a->nheaders; k++) {
		const struct pc_sip_param *q = find_nth(a->headers, k, b->headers, b->nheaders);

		if (!q || !esc_eq(a->headers[k].value, q->value, true))
			return false;
	}
	for (unsigned k = 0; k < b->nheaders; k++)
		if (!find_nth(b->headers, k, a->headers, a->nheaders))
			return false;
	return true;
}

/* ---- generic parameters of header values ---- */

/* gen-value = token / host / quoted-string, at p[i]; *end after it. */
static int scan_gen_value(const char *p, size_t n, size_t i, size_t *end)
{
	if (i < n && p[i] == '"')
		return scan_quoted(p + i, n - i, end) < 0 ? -EBADMSG : (*end += i, 0);
	if (i < n && p[i] == '[') {
		size_t k = i + 1;

		while (k < n && p[k] != ']')
			k++;
		if (k == n || !valid_ipv6(p + i + 1, k - i - 1))
			return -EBADMSG;
		*end = k + 1;
		return 0;
	}
	/* token; ':' also taken so that an unbracketed IPv6 (received=, RFC 5118 4.5) reads */
	size_t k = i;
	while (k < n && (is_token((unsigned char)p[k]) || p[k] == ':'))
		k++;
	if (k == i)
		return -EBADMSG;
	*end = k;
	return 0;
}

/* *( SEMI generic-param ) over [p, p+n) whole; SEMI/EQUAL allow LWS around. */
static int parse_gen_params(struct ctx *c, const char *what, const char *p, size_t n,
			    struct pc_sip_param *params, unsigned max, unsigned *count)
{
	size_t i = 0;
	int rc;

	*count = 0;
	for (;;) {
		struct pc_sip_param prm = { 0 };
		size_t s, end;

		i = skip_lws(p, n, i);
		if (i == n)
			return 0;
		if (p[i] != ';')
			return fail(c, -EBADMSG, "%s: '%s' where ';' or the end was expected", what,
				    SHOWN(p + i, n - i));
		i = skip_lws(p, n, i + 1);
		s = i;
		while (i < n && is_token((unsigned char)p[i]))
			i++;
		if (i == s)
			return fail(c, -EBADMSG, "%s: empty or bad parameter name at '%s'", what,
				    SHOWN(p + s, n - s));
		prm.name = mk(p + s, i - s);
		size_t j = skip_lws(p, n, i);
		if (j < n && p[j] == '=') {
			j = skip_lws(p, n, j + 1);
			if (scan_gen_value(p, n, j, &end) < 0)
				return fail(c, -EBADMSG, "%s: parameter %s: bad value", what,
					    SHOWN(prm.name.p, prm.name.len));
			prm.value = mk(p + j, end - j);
			prm.has_value = true;
			i = end;
		}
		rc = add_param(c, params, max, count, prm);
		if (rc < 0)
			return rc;
	}
}

int pc_sip_params_parse(const char *p, size_t len, struct pc_sip_param *params, unsigned max,
			unsigned *n, char *err, size_t errlen)
{
	struct ctx c;

	ctx_init(&c, err, errlen);
	return parse_gen_params(&c, "parameters", p, len, params, max, n);
}

const struct pc_sip_param *pc_sip_param_find(const struct pc_sip_param *params, unsigned n,
					     const char *name)
{
	for (unsigned k = 0; k < n; k++)
		if (slice_ieq(params[k].name, name))
			return &params[k];
	return NULL;
}

/* ---- name-addr ---- */

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in thousandths. */
static bool parse_qvalue(struct pc_sip_slice v, int *q)
{
	int r = 0, scale = 100;

	if (v.len == 0 || (v.p[0] != '0' && v.p[0] != '1') || v.len > 5)
		return false;
	if (v.len > 1 && v.p[1] != '.')
		return false;
	for (size_t i = 2; i < v.len; i++, scale /= 10) {
		if (!is_digit((unsigned char)v.p[i]))
			return false;
		r += (v.p[i] - '0') * scale;
	}
	r += (v.p[0] - '0') * 1000;
	if (r > 1000)
		return false;
	*q = r;
	return true;
}

int pc_sip_name_addr_parse(struct pc_sip_name_addr *na, const char *p, size_t len, char *err,
			   size_t errlen)
{
	struct pc_sip_slice v = trim(p, len);
	size_t i = 0, after;
	struct ctx c;
	uint64_t ex;
	int rc;

	ctx_init(&c, err, errlen);
	memset(na, 0, offsetof(struct pc_sip_name_addr, params));
	na->nparams = 0;
	na->expires = -1;
	na->q = -1;
	if (v.len == 0)
		return fail(&c, -EBADMSG, "empty address");
	if (v.len == 1 && v.p[0] == '*') {
		na->star = true;
		return 0;
	}
	if (v.p[0] == '"') {
		size_t end;

		if (scan_quoted(v.p, v.len, &end) < 0)
			return fail(&c, -EBADMSG, "'%s': bad or unterminated quoted display name",
				    SHOWN(v.p, v.len));
		na->quoted = true;
		na->display = mk(v.p + 1, end - 2);
		i = skip_lws(v.p, v.len, end);
		if (i == v.len || v.p[i] != '<')
			return fail(&c, -EBADMSG, "'%s': no <URI> after the display name",
				    SHOWN(v.p, v.len));
	} else {
		/* display-name = *(token LWS): what runs up to a '<' is one; anything else
		 * first means an addr-spec (whose parameters may hold a quoted '<') */
		size_t k = 0;

		while (k < v.len &&
		       (is_token((unsigned char)v.p[k]) || is_lws((unsigned char)v.p[k])))
			k++;
		if (k < v.len && v.p[k] == '<') {
			i = k;
			na->display = trim(v.p, k);
		} else if (memchr(v.p, '<', v.len) && !memchr(v.p, '"', v.len)) {
			return fail(&c, -EBADMSG, "'%s': bad character in an unquoted display name",
				    SHOWN(v.p, v.len));
		}
	}
	if (i < v.len && v.p[i] == '<') {
		const char *gt = memchr(v.p + i, '>', v.len - i);

		if (!gt)
			return fail(&c, -EBADMSG, "'%s': '<' without '>'", SHOWN(v.p, v.len));
		na->angle = true;
		na->uri_s = mk(v.p + i + 1, (size_t)(gt - v.p) - i - 1);
		after = (size_t)(gt - v.p) + 1;
	} else {
		/* addr-spec: RFC 3261 20.10, the parameters after it are the header's */
		size_t k = 0;

		while (k < v.len && v.p[k] != ';' && !is_lws((unsigned char)v.p[k]))
			k++;
		na->uri_s = mk(v.p, k);
		if (memchr(v.p, '?', k) || memchr(v.p, ',', k))
			return fail(&c, -EBADMSG,
				    "'%s': an addr-spec with '?' or ',' must be inside <>",
				    SHOWN(v.p, v.len));
		after = k;
	}
	rc = pc_sip_uri_parse(&na->uri, na->uri_s.p, na->uri_s.len, err, errlen);
	if (rc < 0)
		return rc;
	rc = parse_gen_params(&c, "address", v.p + after, v.len - after, na->params,
			      PC_SIP_MAX_PARAMS, &na->nparams);
	if (rc < 0)
		return rc;
	for (unsigned k = 0; k < na->nparams; k++) {
		const struct pc_sip_param *prm = &na->params[k];

		if (slice_ieq(prm->name, "tag")) {
			if (!prm->has_value || prm->value.p[0] == '"' || prm->value.p[0] == '[')
				return fail(&c, -EBADMSG, "tag parameter without a token value");
			na->tag = prm->value;
			na->has_tag = true;
		} else if (slice_ieq(prm->name, "expires")) {
			rc = prm->has_value ? parse_num(prm->value.p, prm->value.len, UINT32_MAX,
							true, &ex) :
					      -EBADMSG;
			if (rc < 0)
				return fail(&c, -EBADMSG, "expires '%s' is not delta-seconds",
					    SHOWN(prm->value.p, prm->value.len));
			na->expires = (int64_t)ex;
		} else if (slice_ieq(prm->name, "q")) {
			if (!prm->has_value || !parse_qvalue(prm->value, &na->q))
				return fail(&c, -ERANGE, "q '%s' is not a qvalue 0-1",
					    SHOWN(prm->value.p, prm->value.len));
		}
	}
	return 0;
}

/* ---- comma lists ---- */

void pc_sip_list_init(struct pc_sip_list_iter *it, const char *p, size_t len)
{
	struct pc_sip_slice v = trim(p, len);

	it->p = v.p;
	it->len = v.len;
	it->pos = 0;
	it->count = 0;
	it->done = v.len == 0;
}

int pc_sip_list_next(struct pc_sip_list_iter *it, struct pc_sip_slice *elem, char *err,
		     size_t errlen)
{
	struct ctx c;
	size_t i, s;
	bool angle = false;

	ctx_init(&c, err, errlen);
	if (it->done)
		return 0;
	s = i = it->pos;
	while (i < it->len) {
		char ch = it->p[i];

		if (ch == '"' && !angle) {
			size_t end;

			if (scan_quoted(it->p + i, it->len - i, &end) < 0) {
				it->done = true;
				return fail(&c, -EBADMSG, "unterminated quoted string in a list");
			}
			i += end;
			continue;
		}
		if (ch == '<')
			angle = true;
		else if (ch == '>')
			angle = false;
		else if (ch == ',' && !angle)
			break;
		i++;
	}
	if (angle) {
		it->done = true;
		return fail(&c, -EBADMSG, "'<' without '>' in a list");
	}
	*elem = trim(it->p + s, i - s);
	if (elem->len == 0) {
		it->done = true;
		return fail(&c, -EBADMSG, "empty element in a list");
	}
	if (++it->count > PC_SIP_MAX_LIST) {
		it->done = true;
		return fail(&c, -E2BIG, "more than %d elements in a list", PC_SIP_MAX_LIST);
	}
	if (i >= it->len)
		it->done = true;
	else
		it->pos = i + 1;
	return 1;
}

void pc_sip_hdr_iter_init(struct pc_sip_hdr_iter *it, const struct pc_sip_msg *msg,
			  enum pc_sip_hdr_id id)
{
	it->msg = msg;
	it->id = id;
	it->hdr = NULL;
	it->count = 0;
	pc_sip_list_init(&it->list, NULL, 0);
}

int pc_sip_hdr_iter_next(struct pc_sip_hdr_iter *it, struct pc_sip_slice *elem, char *err,
			 size_t errlen)
{
	struct ctx c;
	int rc;

	ctx_init(&c, err, errlen);
	for (;;) {
		rc = pc_sip_list_next(&it->list, elem, err, errlen);
		if (rc < 0)
			return rc;
		if (rc > 0) {
			if (++it->count > PC_SIP_MAX_LIST) {
				it->list.done = true;
				return fail(&c, -E2BIG, "more than %d %s elements", PC_SIP_MAX_LIST,
					    pc_sip_hdr_name(it->id));
			}
			return 1;
		}
		const struct pc_sip_header *h = pc_sip_msg_find(it->msg, it->id, it->hdr);
		if (!h)
			return 0;
		it->hdr = h;
		pc_sip_list_init(&it->list, h->value.p, h->value.len);
	}
}

bool pc_sip_list_has_token(const char *p, size_t len, const char *token)
{
	struct pc_sip_list_iter it;
	struct pc_sip_slice e;

	pc_sip_list_init(&it, p, len);
	while (pc_sip_list_next(&it, &e, NULL, 0) > 0)
		if (slice_ieq(e, token))
			return true;
	return false;
}

/* ---- Via ---- */

static int via_token(struct ctx *c, const char *p, size_t n, size_t *i, struct pc_sip_slice *out,
		     const char *what)
{
	size_t s;

	*i = skip_lws(p, n, *i);
	s = *i;
	while (*i < n && is_token((unsigned char)p[*i]))
		(*i)++;
	if (*i == s)
		return fail(c, -EBADMSG, "Via '%s': no %s", SHOWN(p, n), what);
	*out = mk(p + s, *i - s);
	return 0;
}

static int via_slash(struct ctx *c, const char *p, size_t n, size_t *i)
{
	*i = skip_lws(p, n, *i);
	if (*i == n || p[*i] != '/')
		return fail(c, -EBADMSG, "Via '%s': sent-protocol is not name/version/transport",
			    SHOWN(p, n));
	(*i)++;
	return 0;
}

static bool valid_received(struct pc_sip_slice v)
{
	if (v.len >= 2 && v.p[0] == '[' && v.p[v.len - 1] == ']')
		return valid_ipv6(v.p + 1, v.len - 2);
	return valid_ipv4(v.p, v.len) || valid_ipv6(v.p, v.len);
}

int pc_sip_via_parse(struct pc_sip_via *via, const char *p, size_t len, char *err, size_t errlen)
{
	struct ctx c;
	size_t i = 0, used;
	uint64_t v;
	int rc;

	ctx_init(&c, err, errlen);
	memset(via, 0, offsetof(struct pc_sip_via, params));
	via->nparams = 0;
	via->port = -1;
	via->rport = -1;
	via->ttl = -1;
	if ((rc = via_token(&c, p, len, &i, &via->protocol, "protocol name")) < 0 ||
	    (rc = via_slash(&c, p, len, &i)) < 0 ||
	    (rc = via_token(&c, p, len, &i, &via->version, "protocol version")) < 0 ||
	    (rc = via_slash(&c, p, len, &i)) < 0 ||
	    (rc = via_token(&c, p, len, &i, &via->transport_s, "transport")) < 0)
		return rc;
	via->transport = transport_of(via->transport_s, false);
	if (i == len || !is_lws((unsigned char)p[i]))
		return fail(&c, -EBADMSG, "Via '%s': no LWS before sent-by", SHOWN(p, len));
	i = skip_lws(p, len, i);
	rc = parse_host(&c, "Via sent-by", p + i, len - i, &used, &via->host_type, &via->host);
	if (rc < 0)
		return rc;
	i = skip_lws(p, len, i + used);
	if (i < len && p[i] == ':') {
		size_t s = i = skip_lws(p, len, i + 1);

		while (i < len && is_digit((unsigned char)p[i]))
			i++;
		rc = parse_num(p + s, i - s, 65535, false, &v);
		if (rc < 0)
			return fail(&c, rc, "Via sent-by port '%s' is not a number in 0-65535",
				    SHOWN(p + s, i - s));
		via->port = (int)v;
	}
	rc = parse_gen_params(&c, "Via", p + i, len - i, via->params, PC_SIP_MAX_PARAMS,
			      &via->nparams);
	if (rc < 0)
		return rc;
	for (unsigned k = 0; k < via->nparams; k++) {
		const struct pc_sip_param *prm = &via->params[k];

		if (slice_ieq(prm->name, "branch")) {
			if (!prm->has_value || prm->value.p[0] == '"' || prm->value.p[0] == '[' ||
			    memchr(prm->value.p, ':', prm->value.len))
				return fail(&c, -EBADMSG, "Via branch is not a token");
			via->has_branch = true;
			via->branch = prm->value;
		} else if (slice_ieq(prm->name, "received")) {
			if (!prm->has_value || !valid_received(prm->value))
				return fail(&c, -EBADMSG, "Via received '%s' is not an IP address",
					    SHOWN(prm->value.p, prm->value.len));
			via->has_received = true;
			via->received = prm->value;
		} else if (slice_ieq(prm->name, "rport")) {
			via->has_rport = true;
			if (prm->has_value) {
				rc = parse_num(prm->value.p, prm->value.len, 65535, false, &v);
				if (rc < 0)
					return fail(&c, rc, "Via rport '%s' is not a port",
						    SHOWN(prm->value.p, prm->value.len));
				via->rport = (int)v;
			}
		} else if (slice_ieq(prm->name, "maddr")) {
			if (!prm->has_value || prm->value.p[0] == '"')
				return fail(&c, -EBADMSG, "Via maddr is not a host");
			via->maddr = prm->value;
		} else if (slice_ieq(prm->name, "ttl")) {
			rc = prm->has_value ?
				     parse_num(prm->value.p, prm->value.len, 255, false, &v) :
				     -EBADMSG;
			if (rc < 0)
				return fail(&c, rc, "Via ttl '%s' is not a number in 0-255",
					    SHOWN(prm->value.p, prm->value.len));
			via->ttl = (int)v;
		}
	}
	return 0;
}

bool pc_sip_via_is_rfc3261(const struct pc_sip_via *via)
{
	size_t n = sizeof(PC_SIP_BRANCH_COOKIE) - 1;

	return via->has_branch && via->branch.len >= n &&
	       memcmp(via->branch.p, PC_SIP_BRANCH_COOKIE, n) == 0;
}

int pc_sip_msg_top_via(const struct pc_sip_msg *msg, struct pc_sip_via *via, char *err,
		       size_t errlen)
{
	struct pc_sip_hdr_iter it;
	struct pc_sip_slice e;
	struct ctx c;
	int rc;

	ctx_init(&c, err, errlen);
	pc_sip_hdr_iter_init(&it, msg, PC_SIP_HDR_VIA);
	rc = pc_sip_hdr_iter_next(&it, &e, err, errlen);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return fail(&c, -ENOENT, "no Via header");
	return pc_sip_via_parse(via, e.p, e.len, err, errlen);
}

int pc_sip_msg_name_addr(const struct pc_sip_msg *msg, enum pc_sip_hdr_id id,
			 struct pc_sip_name_addr *na, char *err, size_t errlen)
{
	const struct pc_sip_header *h = pc_sip_msg_find(msg, id, NULL);
	struct pc_sip_list_iter it;
	struct pc_sip_slice e;
	struct ctx c;
	int rc;

	ctx_init(&c, err, errlen);
	if (!h || h->value.len == 0)
		return fail(&c, -ENOENT, "no %s header", pc_sip_hdr_name(id));
	/* Single-valued: the whole value (a ',' may sit in an addr-spec's user part) */
	if (id == PC_SIP_HDR_FROM || id == PC_SIP_HDR_TO || id == PC_SIP_HDR_REFER_TO ||
	    id == PC_SIP_HDR_REFERRED_BY)
		return pc_sip_name_addr_parse(na, h->value.p, h->value.len, err, errlen);
	pc_sip_list_init(&it, h->value.p, h->value.len);
	rc = pc_sip_list_next(&it, &e, err, errlen);
	if (rc < 0)
		return rc;
	return pc_sip_name_addr_parse(na, e.p, e.len, err, errlen);
}

/* ---- CSeq, RAck, delta-seconds ---- */

static int num_then_lws(struct ctx *c, const char *what, const char *p, size_t n, size_t *i,
			uint64_t max, uint64_t *out)
{
	size_t s = *i = skip_lws(p, n, *i);
	int rc;

	while (*i < n && is_digit((unsigned char)p[*i]))
		(*i)++;
	rc = parse_num(p + s, *i - s, max, false, out);
	if (rc < 0)
		return fail(c, rc, "%s '%s': %s", what, SHOWN(p, n),
			    rc == -ERANGE ? "number out of range" : "no number");
	if (*i == n || !is_lws((unsigned char)p[*i]))
		return fail(c, -EBADMSG, "%s '%s': no LWS after the number", what, SHOWN(p, n));
	return 0;
}

static int method_to_end(struct ctx *c, const char *what, const char *p, size_t n, size_t i,
			 struct pc_sip_slice *method)
{
	struct pc_sip_slice m;

	i = skip_lws(p, n, i);
	m = trim(p + i, n - i);
	if (m.len == 0)
		return fail(c, -EBADMSG, "%s '%s': no method", what, SHOWN(p, n));
	for (size_t k = 0; k < m.len; k++)
		if (!is_token((unsigned char)m.p[k]))
			return fail(c, -EBADMSG, "%s '%s': the method is not a token", what,
				    SHOWN(p, n));
	*method = m;
	return 0;
}

int pc_sip_cseq_parse(const char *p, size_t len, uint32_t *num, struct pc_sip_slice *method,
		      char *err, size_t errlen)
{
	struct ctx c;
	size_t i = 0;
	uint64_t v;
	int rc;

	ctx_init(&c, err, errlen);
	rc = num_then_lws(&c, "CSeq", p, len, &i, CSEQ_MAX, &v);
	if (rc < 0)
		return rc;
	rc = method_to_end(&c, "CSeq", p, len, i, method);
	if (rc < 0)
		return rc;
	*num = (uint32_t)v;
	return 0;
}

int pc_sip_rack_parse(const char *p, size_t len, uint32_t *rseq, uint32_t *cseq,
		      struct pc_sip_slice *method, char *err, size_t errlen)
{
	struct ctx c;
	size_t i = 0;
	uint64_t r, s;
	int rc;

	ctx_init(&c, err, errlen);
	if ((rc = num_then_lws(&c, "RAck", p, len, &i, UINT32_MAX, &r)) < 0 ||
	    (rc = num_then_lws(&c, "RAck", p, len, &i, CSEQ_MAX, &s)) < 0 ||
	    (rc = method_to_end(&c, "RAck", p, len, i, method)) < 0)
		return rc;
	*rseq = (uint32_t)r;
	*cseq = (uint32_t)s;
	return 0;
}

int pc_sip_delta_parse(const char *p, size_t len, uint32_t max, uint32_t *out, char *err,
		       size_t errlen)
{
	struct pc_sip_slice v = trim(p, len);
	struct ctx c;
	uint64_t x;
	int rc;

	ctx_init(&c, err, errlen);
	rc = parse_num(v.p, v.len, max, max == UINT32_MAX, &x);
	if (rc < 0)
		return fail(&c, rc, "'%s' is not %s", SHOWN(v.p, v.len),
			    rc == -ERANGE ? "in range" : "delta-seconds");
	*out = (uint32_t)x;
	return 0;
}

/* ---- Session-Expires / Min-SE ---- */

/* The leading 1*DIGIT (or token) of a header value; *end after it. */
static size_t lead_run(const char *p, size_t n, bool (*ok)(unsigned char))
{
	size_t i = 0;

	while (i < n && ok((unsigned char)p[i]))
		i++;
	return i;
}

static bool is_digit_c(unsigned char c)
{
	return is_digit(c);
}

int pc_sip_session_expires_parse(struct pc_sip_session_expires *se, const char *p, size_t len,
				 char *err, size_t errlen)
{
	struct pc_sip_slice v = trim(p, len);
	struct ctx c;
	size_t n;
	uint64_t x;
	int rc;

	ctx_init(&c, err, errlen);
	memset(se, 0, offsetof(struct pc_sip_session_expires, params));
	se->nparams = 0;
	n = lead_run(v.p, v.len, is_digit_c);
	rc = parse_num(v.p, n, UINT32_MAX, true, &x);
	if (rc < 0)
		return fail(&c, rc, "Session-Expires '%s' does not start with delta-seconds",
			    SHOWN(v.p, v.len));
	se->delta = (uint32_t)x;
	rc = parse_gen_params(&c, "Session-Expires", v.p + n, v.len - n, se->params,
			      PC_SIP_MAX_PARAMS, &se->nparams);
	if (rc < 0)
		return rc;
	const struct pc_sip_param *r = pc_sip_param_find(se->params, se->nparams, "refresher");
	if (r) {
		if (r->has_value && slice_ieq(r->value, "uac"))
			se->refresher = PC_SIP_REFRESHER_UAC;
		else if (r->has_value && slice_ieq(r->value, "uas"))
			se->refresher = PC_SIP_REFRESHER_UAS;
		else
			return fail(&c, -EBADMSG, "Session-Expires refresher is not uac or uas");
	}
	return 0;
}

/* ---- Event, Subscription-State ---- */

int pc_sip_event_parse(struct pc_sip_event *ev, const char *p, size_t len, char *err, size_t errlen)
{
	struct pc_sip_slice v = trim(p, len);
	struct ctx c;
	size_t n;
	int rc;

	ctx_init(&c, err, errlen);
	memset(ev, 0, offsetof(struct pc_sip_event, params));
	ev->nparams = 0;
	n = lead_run(v.p, v.len, is_token);
	if (n == 0)
		return fail(&c, -EBADMSG, "Event '%s' does not start with a package token",
			    SHOWN(v.p, v.len));
	ev->package = mk(v.p, n);
	rc = parse_gen_params(&c, "Event", v.p + n, v.len - n, ev->params, PC_SIP_MAX_PARAMS,
			      &ev->nparams);
	if (rc < 0)
		return rc;
	const struct pc_sip_param *id = pc_sip_param_find(ev->params, ev->nparams, "id");
	if (id) {
		if (!id->has_value || id->value.p[0] == '"')
			return fail(&c, -EBADMSG, "Event id is not a token");
		ev->has_id = true;
		ev->id = id->value;
	}
	return 0;
}

static int opt_delta(struct ctx *c, const struct pc_sip_param *params, unsigned n, const char *name,
		     int64_t *out)
{
	const struct pc_sip_param *prm = pc_sip_param_find(params, n, name);
	uint64_t x;

	*out = -1;
	if (!prm)
		return 0;
	if (!prm->has_value || parse_num(prm->value.p, prm->value.len, UINT32_MAX, true, &x) < 0)
		return fail(c, -EBADMSG, "%s is not delta-seconds", name);
	*out = (int64_t)x;
	return 0;
}

int pc_sip_substate_parse(struct pc_sip_substate_hdr *ss, const char *p, size_t len, char *err,
			  size_t errlen)
{
	struct pc_sip_slice v = trim(p, len);
	struct ctx c;
	size_t n;
	int rc;

	ctx_init(&c, err, errlen);
	memset(ss, 0, offsetof(struct pc_sip_substate_hdr, params));
	ss->nparams = 0;
	n = lead_run(v.p, v.len, is_token);
	if (n == 0)
		return fail(&c, -EBADMSG, "Subscription-State '%s' does not start with a state",
			    SHOWN(v.p, v.len));
	ss->state_s = mk(v.p, n);
	if (slice_ieq(ss->state_s, "active"))
		ss->state = PC_SIP_SUBSTATE_ACTIVE;
	else if (slice_ieq(ss->state_s, "pending"))
		ss->state = PC_SIP_SUBSTATE_PENDING;
	else if (slice_ieq(ss->state_s, "terminated"))
		ss->state = PC_SIP_SUBSTATE_TERMINATED;
	rc = parse_gen_params(&c, "Subscription-State", v.p + n, v.len - n, ss->params,
			      PC_SIP_MAX_PARAMS, &ss->nparams);
	if (rc < 0)
		return rc;
	const struct pc_sip_param *r = pc_sip_param_find(ss->params, ss->nparams, "reason");
	if (r) {
		if (!r->has_value || r->value.p[0] == '"')
			return fail(&c, -EBADMSG, "Subscription-State reason is not a token");
		ss->reason = r->value;
	}
	if ((rc = opt_delta(&c, ss->params, ss->nparams, "expires", &ss->expires)) < 0 ||
	    (rc = opt_delta(&c, ss->params, ss->nparams, "retry-after", &ss->retry_after)) < 0)
		return rc;
	return 0;
}

/* ---- Replaces, Refer-To ---- */

/* RFC 3261 25.1 word: the Call-ID characters */
static bool is_word_char(unsigned char c)
{
	return cclass[c] & C_WORD;
}

int pc_sip_replaces_parse(struct pc_sip_replaces *rp, const char *p, size_t len, char *err,
			  size_t errlen)
{
	struct pc_sip_slice v = trim(p, len);
	unsigned nto = 0, nfrom = 0;
	struct ctx c;
	size_t n;
	int rc;

	ctx_init(&c, err, errlen);
	memset(rp, 0, offsetof(struct pc_sip_replaces, params));
	rp->nparams = 0;
	/* callid = word [ "@" word ] */
	n = lead_run(v.p, v.len, is_word_char);
	if (n < v.len && v.p[n] == '@') {
		size_t m = lead_run(v.p + n + 1, v.len - n - 1, is_word_char);

		if (m == 0)
			return fail(&c, -EBADMSG, "Replaces call-id '%s': nothing after '@'",
				    SHOWN(v.p, v.len));
		n += 1 + m;
	}
	if (n == 0)
		return fail(&c, -EBADMSG, "Replaces '%s' does not start with a call-id",
			    SHOWN(v.p, v.len));
	rp->call_id = mk(v.p, n);
	rc = parse_gen_params(&c, "Replaces", v.p + n, v.len - n, rp->params, PC_SIP_MAX_PARAMS,
			      &rp->nparams);
	if (rc < 0)
		return rc;
	for (unsigned k = 0; k < rp->nparams; k++) {
		const struct pc_sip_param *prm = &rp->params[k];
		bool to = slice_ieq(prm->name, "to-tag");

		if (to || slice_ieq(prm->name, "from-tag")) {
			if (!prm->has_value || prm->value.p[0] == '"' || prm->value.p[0] == '[')
				return fail(&c, -EBADMSG, "Replaces %s without a token value",
					    to ? "to-tag" : "from-tag");
			*(to ? &rp->to_tag : &rp->from_tag) = prm->value;
			(*(to ? &nto : &nfrom))++;
		} else if (slice_ieq(prm->name, "early-only")) {
			if (prm->has_value)
				return fail(&c, -EBADMSG, "Replaces early-only takes no value");
			rp->early_only = true;
		}
	}
	if (nto != 1 || nfrom != 1)
		return fail(&c, -EBADMSG, "Replaces needs one to-tag and one from-tag (%u, %u)",
			    nto, nfrom);
	return 0;
}

int pc_sip_refer_to_parse(struct pc_sip_refer_to *rt, const char *p, size_t len, char *scratch,
			  size_t scratchlen, char *err, size_t errlen)
{
	const struct pc_sip_param *h;
	struct ctx c;
	size_t n;
	int rc;

	ctx_init(&c, err, errlen);
	rt->has_replaces = false;
	rc = pc_sip_name_addr_parse(&rt->target, p, len, err, errlen);
	if (rc < 0)
		return rc;
	if (rt->target.star)
		return fail(&c, -EBADMSG, "Refer-To '*'");
	h = find_esc(rt->target.uri.headers, rt->target.uri.nheaders, mk("Replaces", 8));
	if (!h)
		return 0;
	/* RFC 3891 6.1: the Replaces header is escaped inside the Refer-To URI */
	rc = pc_sip_unescape(h->value.p, h->value.len, scratch, scratchlen, &n);
	if (rc < 0)
		return fail(&c, rc, "Refer-To: %s",
			    rc == -ENOSPC ? "Replaces longer than the scratch buffer" :
					    "bad escape in Replaces");
	rc = pc_sip_replaces_parse(&rt->replaces, scratch, n, err, errlen);
	if (rc < 0)
		return rc;
	rt->has_replaces = true;
	return 0;
}
