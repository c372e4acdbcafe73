/* SPDX-License-Identifier: MIT */
/*
 * sip_auth.c - SIP digest authentication: see pc_sip_auth.h.
 */
#include "pc_sip_auth.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "sip_err_pvt.h"

/* ---- characters and small helpers ---- */

static bool is_tchar(unsigned char c)
{
	/* RFC 3261 25.1: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" /
	 * "'" / "~") */
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("-.!%*_+`'~", c) != NULL;
}

static bool is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static unsigned hex_val(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return c - 'A' + 10;
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool slice_ieq(struct pc_sip_slice s, const char *lit)
{
	size_t n = strlen(lit);

	if (s.len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(s.p[i]) != lit[i])
			return false;
	return true;
}

static struct pc_sip_slice lit(const char *s)
{
	return (struct pc_sip_slice){ s, strlen(s) };
}

static void ok(struct pc_sip_errctx *c)
{
	if (c->err && c->errlen > 0)
		c->err[0] = '\0';
}

/* ---- algorithms ---- */

static const char *const alg_names[] = {
	[PC_SIP_AUTH_MD5] = "MD5",
	[PC_SIP_AUTH_MD5_SESS] = "MD5-sess",
	[PC_SIP_AUTH_SHA256] = "SHA-256",
	[PC_SIP_AUTH_SHA256_SESS] = "SHA-256-sess",
	[PC_SIP_AUTH_SHA512_256] = "SHA-512-256",
	[PC_SIP_AUTH_SHA512_256_SESS] = "SHA-512-256-sess",
	[PC_SIP_AUTH_ALG_UNKNOWN] = "",
};

const char *pc_sip_auth_alg_name(enum pc_sip_auth_alg alg)
{
	return (unsigned)alg < PC_SIP_AUTH_ALG_UNKNOWN ? alg_names[alg] : "";
}

size_t pc_sip_auth_alg_hexlen(enum pc_sip_auth_alg alg)
{
	switch (alg) {
	case PC_SIP_AUTH_MD5:
	case PC_SIP_AUTH_MD5_SESS:
		return 32;
	case PC_SIP_AUTH_SHA256:
	case PC_SIP_AUTH_SHA256_SESS:
	case PC_SIP_AUTH_SHA512_256:
	case PC_SIP_AUTH_SHA512_256_SESS:
		return 64;
	default:
		return 0;
	}
}

static bool alg_sess(enum pc_sip_auth_alg alg)
{
	return alg == PC_SIP_AUTH_MD5_SESS || alg == PC_SIP_AUTH_SHA256_SESS ||
	       alg == PC_SIP_AUTH_SHA512_256_SESS;
}

/* RFC 8760 3: SHA-512/256 before SHA-256 before MD5; -sess ranks with its hash. */
static int alg_rank(enum pc_sip_auth_alg alg)
{
	return (unsigned)alg < PC_SIP_AUTH_ALG_UNKNOWN ? (int)alg / 2 : -1;
}

/* Case-insensitive, as RFC 7616 3.3 has the algorithm token compared. */
static enum pc_sip_auth_alg alg_lookup(struct pc_sip_slice s)
{
	for (unsigned a = 0; a < PC_SIP_AUTH_ALG_UNKNOWN; a++) {
		const char *n = alg_names[a];
		size_t len = strlen(n);
		size_t i;

		if (s.len != len)
			continue;
		for (i = 0; i < len && lower(s.p[i]) == lower(n[i]); i++)
			;
		if (i == len)
			return (enum pc_sip_auth_alg)a;
	}
	return PC_SIP_AUTH_ALG_UNKNOWN;
}

/* ---- the lexer of auth-params ---- */

struct lex {
	const char *p;
	size_t n, i;
};

/* SWS: SP, HTAB and folds (CRLF followed by SP or HTAB). */
static void skip_sws(struct lex *l)
{
	while (l->i < l->n) {
		char c = l->p[l->i];

		if (c == ' ' || c == '\t') {
			l->i++;
		} else if (c == '\r' && l->i + 2 < l->n && l->p[l->i + 1] == '\n' &&
			   (l->p[l->i + 2] == ' ' || l->p[l->i + 2] == '\t')) {
			l->i += 3;
		} else {
			break;
		}
	}
}

static struct pc_sip_slice take_token(struct lex *l)
{
	size_t start = l->i;

	while (l->i < l->n && is_tchar((unsigned char)l->p[l->i]))
		l->i++;
	return (struct pc_sip_slice){ l->p + start, l->i - start };
}

/*
 * RFC 3261 25.1: quoted-string = SWS DQUOTE *(qdtext / quoted-pair) DQUOTE, qdtext = LWS /
 * %x21 / %x23-5B / %x5D-7E / UTF8-NONASCII, quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F).
 * At the opening quote; on success the slice is what lies between the quotes.
 */
static int take_quoted(struct pc_sip_errctx *c, struct lex *l, struct pc_sip_slice name,
		       struct pc_sip_slice *out)
{
	char b[40];
	size_t start = ++l->i;

	while (l->i < l->n) {
		unsigned char ch = (unsigned char)l->p[l->i];

		if (ch == '"') {
			*out = (struct pc_sip_slice){ l->p + start, l->i - start };
			l->i++;
			return 0;
		}
		if (ch == '\\') {
			unsigned char e;

			if (l->i + 1 >= l->n)
				break;
			e = (unsigned char)l->p[l->i + 1];
			/* An escaped NUL is in the grammar but refused: values are echoed into
			 * NUL-terminated headers. */
			if (e == '\0' || e == '\r' || e == '\n' || e > 0x7f)
				return pc_sip_fail(c, -EBADMSG,
						   "%s: bad escape \\0x%02x in a quoted string",
						   pc_sip_shown(b, sizeof(b), name), e);
			l->i += 2;
			continue;
		}
		if (ch == '\r') {
			if (l->i + 2 < l->n && l->p[l->i + 1] == '\n' &&
			    (l->p[l->i + 2] == ' ' || l->p[l->i + 2] == '\t')) {
				l->i += 3;
				continue;
			}
			return pc_sip_fail(c, -EBADMSG, "%s: line break in a quoted string",
					   pc_sip_shown(b, sizeof(b), name));
		}
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return pc_sip_fail(c, -EBADMSG,
					   "%s: control character 0x%02x in a quoted string",
					   pc_sip_shown(b, sizeof(b), name), ch);
		l->i++;
	}
	return pc_sip_fail(c, -EBADMSG, "%s: unterminated quoted string",
			   pc_sip_shown(b, sizeof(b), name));
}

/* One parsed auth-param. */
struct param {
	struct pc_sip_slice name, value;
	bool quoted;
};

/* How a known parameter's value may be written. */
enum form { QUOTED, TOKEN, EITHER };

struct known {
	const char *name;
	enum form form;
};

/* The scheme, then calls @fn for each parameter. Shared by both parsers. */
typedef int param_fn(struct pc_sip_errctx *c, void *out, unsigned idx, const struct param *p);

static int parse_params(struct pc_sip_errctx *c, const char *buf, size_t len,
			const struct known *known, unsigned nknown, param_fn *fn, void *out)
{
	struct lex l = { buf, len, 0 };
	struct pc_sip_slice scheme;
	uint64_t seen = 0;
	unsigned nparams = 0;
	char b[40];

	if (len > PC_SIP_AUTH_MAX_LEN)
		return pc_sip_fail(c, -E2BIG, "header value of %zu octets, more than %d", len,
				   PC_SIP_AUTH_MAX_LEN);
	skip_sws(&l);
	scheme = take_token(&l);
	if (scheme.len == 0)
		return pc_sip_fail(c, -EBADMSG, "no authentication scheme");
	if (l.i < l.n && l.p[l.i] != ' ' && l.p[l.i] != '\t' && l.p[l.i] != '\r')
		return pc_sip_fail(c, -EBADMSG, "bad character 0x%02x after the scheme",
				   (unsigned char)l.p[l.i]);
	if (!slice_ieq(scheme, "digest"))
		return pc_sip_fail(c, -ENOTSUP, "authentication scheme '%s' is not Digest",
				   pc_sip_shown(b, sizeof(b), scheme));
	skip_sws(&l);
	if (l.i == l.n)
		return pc_sip_fail(c, -EBADMSG, "Digest without parameters");

	for (;;) {
		struct param p = { 0 };
		unsigned k;
		int rc;

		if (++nparams > PC_SIP_AUTH_MAX_PARAMS)
			return pc_sip_fail(c, -E2BIG, "more than %d parameters",
					   PC_SIP_AUTH_MAX_PARAMS);
		p.name = take_token(&l);
		if (p.name.len == 0) {
			if (l.i < l.n && l.p[l.i] == ',')
				return pc_sip_fail(c, -EBADMSG, "empty parameter at offset %zu",
						   l.i);
			return pc_sip_fail(c, -EBADMSG, "expected a parameter name at offset %zu",
					   l.i);
		}
		skip_sws(&l);
		if (l.i == l.n || l.p[l.i] != '=')
			return pc_sip_fail(c, -EBADMSG, "parameter '%s' without '='",
					   pc_sip_shown(b, sizeof(b), p.name));
		l.i++;
		skip_sws(&l);
		if (l.i < l.n && l.p[l.i] == '"') {
			rc = take_quoted(c, &l, p.name, &p.value);
			if (rc)
				return rc;
			p.quoted = true;
		} else {
			p.value = take_token(&l);
			if (p.value.len == 0)
				return pc_sip_fail(c, -EBADMSG, "parameter '%s' has no value",
						   pc_sip_shown(b, sizeof(b), p.name));
		}

		for (k = 0; k < nknown; k++)
			if (slice_ieq(p.name, known[k].name))
				break;
		if (k < nknown) {
			if (seen & (1ull << k))
				return pc_sip_fail(c, -EBADMSG, "parameter '%s' repeated",
						   known[k].name);
			seen |= 1ull << k;
			if (known[k].form == QUOTED && !p.quoted)
				return pc_sip_fail(c, -EBADMSG, "%s must be a quoted string",
						   known[k].name);
			if (known[k].form == TOKEN && p.quoted)
				return pc_sip_fail(c, -EBADMSG, "%s must be a token, not quoted",
						   known[k].name);
			rc = fn(c, out, k, &p);
			if (rc)
				return rc;
		}

		skip_sws(&l);
		if (l.i == l.n)
			break;
		if (l.p[l.i] != ',')
			return pc_sip_fail(c, -EBADMSG,
					   "expected ',' after parameter '%s' at offset %zu",
					   pc_sip_shown(b, sizeof(b), p.name), l.i);
		l.i++;
		skip_sws(&l);
		if (l.i == l.n)
			return pc_sip_fail(c, -EBADMSG, "trailing ','");
	}
	return 0;
}

/* A quoted value holding a token (algorithm="MD5"): the token grammar applies inside. */
static bool is_token(struct pc_sip_slice s)
{
	if (s.len == 0)
		return false;
	for (size_t i = 0; i < s.len; i++)
		if (!is_tchar((unsigned char)s.p[i]))
			return false;
	return true;
}

static int parse_bool(struct pc_sip_errctx *c, const struct param *p, const char *what, bool *out)
{
	char b[40];

	if (slice_ieq(p->value, "true"))
		*out = true;
	else if (slice_ieq(p->value, "false"))
		*out = false;
	else
		return pc_sip_fail(c, -EBADMSG, "%s '%s' is neither true nor false", what,
				   pc_sip_shown(b, sizeof(b), p->value));
	return 0;
}

static int parse_alg(struct pc_sip_errctx *c, const struct param *p, enum pc_sip_auth_alg *alg,
		     struct pc_sip_slice *raw)
{
	char b[40];

	if (!is_token(p->value))
		return pc_sip_fail(c, -EBADMSG, "algorithm '%s' is not a token",
				   pc_sip_shown(b, sizeof(b), p->value));
	*raw = p->value;
	*alg = alg_lookup(p->value);
	return 0;
}

/* ---- challenges ---- */

enum { CH_REALM, CH_DOMAIN, CH_NONCE, CH_OPAQUE, CH_STALE, CH_ALGORITHM, CH_QOP, CH_USERHASH };

static const struct known ch_known[] = {
	[CH_REALM] = { "realm", QUOTED }, [CH_DOMAIN] = { "domain", QUOTED },
	[CH_NONCE] = { "nonce", QUOTED }, [CH_OPAQUE] = { "opaque", QUOTED },
	[CH_STALE] = { "stale", EITHER }, [CH_ALGORITHM] = { "algorithm", EITHER },
	[CH_QOP] = { "qop", QUOTED },	  [CH_USERHASH] = { "userhash", EITHER },
};

/* qop-options = "qop" EQUAL LDQUOT qop-value *("," qop-value) RDQUOT, with LWS around commas. */
static int parse_qop_options(struct pc_sip_errctx *c, struct pc_sip_slice v, unsigned *mask)
{
	struct lex l = { v.p, v.len, 0 };
	char b[40];

	*mask = 0;
	for (;;) {
		struct pc_sip_slice t;

		skip_sws(&l);
		t = take_token(&l);
		if (t.len == 0)
			return pc_sip_fail(c, -EBADMSG, "qop options '%s': empty or bad option",
					   pc_sip_shown(b, sizeof(b), v));
		if (slice_ieq(t, "auth"))
			*mask |= PC_SIP_AUTH_QOP_AUTH;
		else if (slice_ieq(t, "auth-int"))
			*mask |= PC_SIP_AUTH_QOP_AUTH_INT;
		skip_sws(&l);
		if (l.i == l.n)
			return 0;
		if (l.p[l.i] != ',')
			return pc_sip_fail(c, -EBADMSG, "qop options '%s': bad character 0x%02x",
					   pc_sip_shown(b, sizeof(b), v), (unsigned char)l.p[l.i]);
		l.i++;
	}
}

static int ch_param(struct pc_sip_errctx *c, void *out, unsigned idx, const struct param *p)
{
	struct pc_sip_auth_challenge *ch = out;

	switch (idx) {
	case CH_REALM:
		ch->realm = p->value;
		return 0;
	case CH_DOMAIN:
		ch->domain = p->value;
		return 0;
	case CH_NONCE:
		ch->nonce = p->value;
		return 0;
	case CH_OPAQUE:
		ch->opaque = p->value;
		return 0;
	case CH_STALE:
		return parse_bool(c, p, "stale", &ch->stale);
	case CH_ALGORITHM:
		return parse_alg(c, p, &ch->alg, &ch->algorithm);
	case CH_QOP:
		ch->qop_options = p->value;
		return parse_qop_options(c, p->value, &ch->qop);
	default:
		return parse_bool(c, p, "userhash", &ch->userhash);
	}
}

int pc_sip_auth_challenge_parse(struct pc_sip_auth_challenge *out, const void *buf, size_t len,
				char *err, size_t errlen)
{
	struct pc_sip_errctx c = { err, errlen };
	int rc;

	memset(out, 0, sizeof(*out));
	out->alg = PC_SIP_AUTH_MD5;
	if (!buf && len)
		return pc_sip_fail(&c, -EBADMSG, "no buffer");
	rc = parse_params(&c, buf ? buf : "", len, ch_known, sizeof(ch_known) / sizeof(ch_known[0]),
			  ch_param, out);
	if (rc)
		return rc;
	if (!out->realm.p)
		return pc_sip_fail(&c, -EBADMSG, "challenge without realm");
	if (!out->nonce.p)
		return pc_sip_fail(&c, -EBADMSG, "challenge without nonce");
	ok(&c);
	return 0;
}

/* ---- credentials ---- */

enum {
	CR_USERNAME,
	CR_REALM,
	CR_NONCE,
	CR_URI,
	CR_RESPONSE,
	CR_ALGORITHM,
	CR_CNONCE,
	CR_OPAQUE,
	CR_QOP,
	CR_NC,
	CR_USERHASH,
};

static const struct known cr_known[] = {
	[CR_USERNAME] = { "username", QUOTED }, [CR_REALM] = { "realm", QUOTED },
	[CR_NONCE] = { "nonce", QUOTED },	[CR_URI] = { "uri", QUOTED },
	[CR_RESPONSE] = { "response", QUOTED }, [CR_ALGORITHM] = { "algorithm", EITHER },
	[CR_CNONCE] = { "cnonce", QUOTED },	[CR_OPAQUE] = { "opaque", QUOTED },
	[CR_QOP] = { "qop", EITHER },		[CR_NC] = { "nc", TOKEN },
	[CR_USERHASH] = { "userhash", EITHER },
};

static int cr_param(struct pc_sip_errctx *c, void *out, unsigned idx, const struct param *p)
{
	struct pc_sip_auth_credentials *cr = out;
	char b[40];

	switch (idx) {
	case CR_USERNAME:
		cr->username = p->value;
		return 0;
	case CR_REALM:
		cr->realm = p->value;
		return 0;
	case CR_NONCE:
		cr->nonce = p->value;
		return 0;
	case CR_URI:
		cr->uri = p->value;
		return 0;
	case CR_RESPONSE:
		/* RFC 7616 3.4: request-digest = DQUOTE 32LHEX / 64LHEX DQUOTE; upper case is
		 * accepted (and compared as lower). The length is checked against the algorithm
		 * once it is known. */
		for (size_t i = 0; i < p->value.len; i++)
			if (!is_hex((unsigned char)p->value.p[i]))
				return pc_sip_fail(c, -EBADMSG, "response '%s' is not hexadecimal",
						   pc_sip_shown(b, sizeof(b), p->value));
		cr->response = p->value;
		return 0;
	case CR_ALGORITHM:
		return parse_alg(c, p, &cr->alg, &cr->algorithm);
	case CR_CNONCE:
		cr->cnonce = p->value;
		return 0;
	case CR_OPAQUE:
		cr->opaque = p->value;
		return 0;
	case CR_QOP:
		if (!is_token(p->value))
			return pc_sip_fail(c, -EBADMSG, "qop '%s' is not a token",
					   pc_sip_shown(b, sizeof(b), p->value));
		cr->qop_value = p->value;
		if (slice_ieq(p->value, "auth"))
			cr->qop = PC_SIP_AUTH_QOP_IS_AUTH;
		else if (slice_ieq(p->value, "auth-int"))
			cr->qop = PC_SIP_AUTH_QOP_IS_AUTH_INT;
		else
			cr->qop = PC_SIP_AUTH_QOP_OTHER;
		return 0;
	case CR_NC:
		/* RFC 7616 3.4: nc-value = 8LHEX */
		if (p->value.len != 8)
			return pc_sip_fail(c, -EBADMSG, "nc '%s' is not 8 hex digits",
					   pc_sip_shown(b, sizeof(b), p->value));
		cr->nc = 0;
		for (size_t i = 0; i < 8; i++) {
			if (!is_hex((unsigned char)p->value.p[i]))
				return pc_sip_fail(c, -EBADMSG, "nc '%s' is not 8 hex digits",
						   pc_sip_shown(b, sizeof(b), p->value));
			cr->nc = cr->nc << 4 | hex_val((unsigned char)p->value.p[i]);
		}
		cr->nc_value = p->value;
		return 0;
	default:
		return parse_bool(c, p, "userhash", &cr->userhash);
	}
}

int pc_sip_auth_credentials_parse(struct pc_sip_auth_credentials *out, const void *buf, size_t len,
				  char *err, size_t errlen)
{
	struct pc_sip_errctx c = { err, errlen };
	size_t want;
	int rc;

	memset(out, 0, sizeof(*out));
	out->alg = PC_SIP_AUTH_MD5;
	if (!buf && len)
		return pc_sip_fail(&c, -EBADMSG, "no buffer");
	rc = parse_params(&c, buf ? buf : "", len, cr_known, sizeof(cr_known) / sizeof(cr_known[0]),
			  cr_param, out);
	if (rc)
		return rc;
	if (!out->username.p)
		return pc_sip_fail(&c, -EBADMSG, "credentials without username");
	if (!out->realm.p)
		return pc_sip_fail(&c, -EBADMSG, "credentials without realm");
	if (!out->nonce.p)
		return pc_sip_fail(&c, -EBADMSG, "credentials without nonce");
	if (!out->uri.p)
		return pc_sip_fail(&c, -EBADMSG, "credentials without uri");
	if (!out->response.p)
		return pc_sip_fail(&c, -EBADMSG, "credentials without response");
	/* RFC 7616 3.4: cnonce and nc MUST be sent with qop and MUST NOT without. */
	if (out->qop_value.p && !out->cnonce.p)
		return pc_sip_fail(&c, -EBADMSG, "qop without cnonce");
	if (out->qop_value.p && !out->nc_value.p)
		return pc_sip_fail(&c, -EBADMSG, "qop without nc");
	if (!out->qop_value.p && out->nc_value.p)
		return pc_sip_fail(&c, -EBADMSG, "nc without qop");
	if (!out->qop_value.p && out->cnonce.p && !alg_sess(out->alg))
		return pc_sip_fail(&c, -EBADMSG, "cnonce without qop");
	want = pc_sip_auth_alg_hexlen(out->alg);
	if (want && out->response.len != want)
		return pc_sip_fail(&c, -EBADMSG, "response of %zu hex digits, %s has %zu",
				   out->response.len, alg_names[out->alg], want);
	ok(&c);
	return 0;
}

/* ---- choosing a challenge ---- */

int pc_sip_auth_pick(const struct pc_sip_slice *values, unsigned n, unsigned alg_mask,
		     struct pc_sip_slice realm, struct pc_sip_auth_challenge *out, unsigned *index,
		     char *err, size_t errlen)
{
	struct pc_sip_errctx c = { err, errlen };
	struct pc_sip_auth_challenge ch;
	char first_err[PC_SIP_ERR_MAX] = "";
	int best_rank = -1;
	unsigned best = 0;

	for (unsigned i = 0; i < n; i++) {
		char e[PC_SIP_ERR_MAX - 32];
		int rc = pc_sip_auth_challenge_parse(&ch, values[i].p, values[i].len, e, sizeof(e));
		int rank;

		if (rc) {
			if (rc != -ENOTSUP && !first_err[0])
				snprintf(first_err, sizeof(first_err), "challenge %u: %s", i, e);
			continue;
		}
		if (realm.p &&
		    (ch.realm.len != realm.len || memcmp(ch.realm.p, realm.p, realm.len) != 0))
			continue;
		rank = alg_rank(ch.alg);
		if (rank < 0 || !(alg_mask & PC_SIP_AUTH_ALG_BIT(ch.alg)))
			continue;
		/* Strictly stronger only: the topmost wins among equals. */
		if (rank > best_rank) {
			best_rank = rank;
			best = i;
			*out = ch;
		}
	}
	if (best_rank < 0) {
		if (first_err[0])
			return pc_sip_fail(&c, -ENOENT, "no usable Digest challenge (%s)",
					   first_err);
		return pc_sip_fail(&c, -ENOENT, "no Digest challenge with a supported algorithm%s",
				   realm.p ? " in that realm" : "");
	}
	if (index)
		*index = best;
	ok(&c);
	return 0;
}

int pc_sip_auth_pick_msg(const struct pc_sip_msg *msg, bool proxy, unsigned alg_mask,
			 struct pc_sip_slice realm, struct pc_sip_auth_challenge *out,
			 unsigned *index, char *err, size_t errlen)
{
	struct pc_sip_slice values[PC_SIP_AUTH_MAX_CHALLENGES];
	unsigned n = 0;

	for (unsigned i = 0; i < msg->nheaders && n < PC_SIP_AUTH_MAX_CHALLENGES; i++) {
		const struct pc_sip_header *h = &msg->headers[i];
		bool want = proxy ? (h->id == PC_SIP_HDR_OTHER &&
				     slice_ieq(h->name, "proxy-authenticate")) :
				    h->id == PC_SIP_HDR_WWW_AUTHENTICATE;

		if (want)
			values[n++] = h->value;
	}
	return pc_sip_auth_pick(values, n, alg_mask, realm, out, index, err, errlen);
}

bool pc_sip_auth_retry(const struct pc_sip_auth_challenge *ch, bool had_credentials)
{
	/* RFC 7616 3.3: stale=true means the credentials were right and only the nonce was
	 * old; stale=false after credentials means they were wrong. */
	return !had_credentials || ch->stale;
}

int pc_sip_auth_unquote(struct pc_sip_slice s, char *out, size_t outlen)
{
	size_t n = 0;

	if (!outlen)
		return -ENOSPC;
	for (size_t i = 0; i < s.len; i++) {
		if (s.p[i] == '\\' && i + 1 < s.len)
			i++;
		if (n + 1 >= outlen) {
			out[0] = '\0';
			return -ENOSPC;
		}
		out[n++] = s.p[i];
	}
	out[n] = '\0';
	return (int)n;
}

/* ---- hashing ---- */

/* A value to hash: literal, or a quoted slice whose quoted-pairs are undone on the fly. */
struct val {
	struct pc_sip_slice s;
	bool esc;
};

static struct val lit_val(struct pc_sip_slice s)
{
	struct val v = { s, false };

	return v;
}

static struct val esc_val(struct pc_sip_slice s)
{
	struct val v = { s, true };

	return v;
}

/*
 * One EVP_MD_CTX per hash, each bound to a digest fetched once (no implicit fetch per call).
 * Re-initialising a context with the digest it already has lets newer OpenSSL releases reuse
 * the provider's state; OpenSSL 3.0 still allocates it once per initialisation (measured: one
 * allocation per hash), which this code cannot avoid through EVP.
 */
enum { H_MD5, H_SHA256, H_SHA512_256, H__COUNT };

struct hasher {
	EVP_MD *md[H__COUNT];
	EVP_MD_CTX *ctx[H__COUNT];
};

static void hasher_fini(struct hasher *h)
{
	for (unsigned i = 0; i < H__COUNT; i++) {
		EVP_MD_CTX_free(h->ctx[i]);
		EVP_MD_free(h->md[i]);
		h->ctx[i] = NULL;
		h->md[i] = NULL;
	}
}

/* Allocates (setup). Return: 0; -ENOMEM; -ENOTSUP a digest the OpenSSL providers lack. */
static int hasher_init(struct hasher *h)
{
	static const char *const names[H__COUNT] = { "MD5", "SHA2-256", "SHA2-512/256" };

	memset(h, 0, sizeof(*h));
	for (unsigned i = 0; i < H__COUNT; i++) {
		h->md[i] = EVP_MD_fetch(NULL, names[i], NULL);
		h->ctx[i] = EVP_MD_CTX_new();
		if (!h->md[i] || !h->ctx[i]) {
			int rc = h->md[i] ? -ENOMEM : -ENOTSUP;

			hasher_fini(h);
			return rc;
		}
	}
	return 0;
}

static bool feed(EVP_MD_CTX *md, struct val v)
{
	size_t start = 0, i = 0;

	if (!v.esc)
		return EVP_DigestUpdate(md, v.s.p, v.s.len) == 1;
	while (i < v.s.len) {
		if (v.s.p[i] == '\\' && i + 1 < v.s.len) {
			if (EVP_DigestUpdate(md, v.s.p + start, i - start) != 1)
				return false;
			start = i + 1; /* the escaped octet starts the next run */
			i += 2;
		} else {
			i++;
		}
	}
	return EVP_DigestUpdate(md, v.s.p + start, v.s.len - start) == 1;
}

/* hex = H(v[0] ":" v[1] ":" ... ), lowercase hex, NUL-terminated. */
static int hash_hex(struct hasher *h, enum pc_sip_auth_alg alg, const struct val *v, unsigned n,
		    char out[PC_SIP_AUTH_HEX_MAX])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned dlen = 0, k = (unsigned)alg / 2; /* MD5, SHA-256, SHA-512/256 */
	EVP_MD_CTX *md = h->ctx[k];

	if (EVP_DigestInit_ex(md, h->md[k], NULL) != 1)
		return -EIO;
	for (unsigned i = 0; i < n; i++) {
		if (i && EVP_DigestUpdate(md, ":", 1) != 1)
			return -EIO;
		if (!feed(md, v[i]))
			return -EIO;
	}
	if (EVP_DigestFinal_ex(md, d, &dlen) != 1 || dlen * 2 + 1 > PC_SIP_AUTH_HEX_MAX)
		return -EIO;
	for (unsigned i = 0; i < dlen; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * dlen] = '\0';
	return 0;
}

/* The inputs with each value literal or escaped. */
struct dig {
	enum pc_sip_auth_alg alg;
	enum pc_sip_auth_qop qop;
	struct val username, realm, password, nonce, cnonce, method, uri;
	struct pc_sip_slice nc; /* 8 hex digits as sent */
	struct pc_sip_slice body;
};

/* RFC 7616 3.4.1-3.4.3 (and RFC 2617 3.2.2 for the form without qop). */
static int compute(struct hasher *h, const struct dig *d, char out[PC_SIP_AUTH_HEX_MAX])
{
	char ha1[PC_SIP_AUTH_HEX_MAX], ha2[PC_SIP_AUTH_HEX_MAX], hb[PC_SIP_AUTH_HEX_MAX];
	const char *qop;
	int rc;

	if (alg_rank(d->alg) < 0)
		return -ENOTSUP;
	{
		struct val a1[] = { d->username, d->realm, d->password };

		rc = hash_hex(h, d->alg, a1, 3, ha1);
		if (rc)
			return rc;
	}
	if (alg_sess(d->alg)) {
		/* RFC 7616 3.4.2: A1 = H(user:realm:pass) ":" unq(nonce) ":" unq(cnonce) */
		struct val a1[] = { lit_val(lit(ha1)), d->nonce, d->cnonce };

		rc = hash_hex(h, d->alg, a1, 3, ha1);
		if (rc)
			return rc;
	}
	switch (d->qop) {
	case PC_SIP_AUTH_QOP_NONE:
	case PC_SIP_AUTH_QOP_IS_AUTH: {
		struct val a2[] = { d->method, d->uri };

		rc = hash_hex(h, d->alg, a2, 2, ha2);
		break;
	}
	case PC_SIP_AUTH_QOP_IS_AUTH_INT: {
		/* RFC 7616 3.4.3: A2 = Method ":" request-uri ":" H(entity-body) */
		struct val body = lit_val(d->body);
		struct val a2[] = { d->method, d->uri, lit_val((struct pc_sip_slice){ hb, 0 }) };

		rc = hash_hex(h, d->alg, &body, 1, hb);
		if (rc)
			return rc;
		a2[2].s.len = strlen(hb);
		rc = hash_hex(h, d->alg, a2, 3, ha2);
		break;
	}
	default:
		return -ENOTSUP;
	}
	if (rc)
		return rc;
	if (d->qop == PC_SIP_AUTH_QOP_NONE) {
		struct val r[] = { lit_val(lit(ha1)), d->nonce, lit_val(lit(ha2)) };

		return hash_hex(h, d->alg, r, 3, out);
	}
	qop = d->qop == PC_SIP_AUTH_QOP_IS_AUTH ? "auth" : "auth-int";
	{
		struct val r[] = { lit_val(lit(ha1)), d->nonce,		 lit_val(d->nc),
				   d->cnonce,	      lit_val(lit(qop)), lit_val(lit(ha2)) };

		return hash_hex(h, d->alg, r, 6, out);
	}
}

static void nc_hex(uint32_t nc, char out[9])
{
	snprintf(out, 9, "%08x", nc);
}

int pc_sip_auth_compute(const struct pc_sip_auth_digest_in *in, char out[PC_SIP_AUTH_HEX_MAX])
{
	char nc[9];
	struct dig d = {
		.alg = in->alg,
		.qop = in->qop,
		.username = lit_val(in->username),
		.realm = lit_val(in->realm),
		.password = lit_val(in->password),
		.nonce = lit_val(in->nonce),
		.cnonce = lit_val(in->cnonce),
		.method = lit_val(in->method),
		.uri = lit_val(in->uri),
		.nc = { nc, 8 },
		.body = in->body,
	};
	struct hasher h;
	int rc;

	nc_hex(in->nc, nc);
	if (alg_rank(in->alg) < 0 || in->qop == PC_SIP_AUTH_QOP_OTHER)
		return -ENOTSUP;
	rc = hasher_init(&h);
	if (rc)
		return rc;
	rc = compute(&h, &d, out);
	hasher_fini(&h);
	return rc;
}

/* ---- printing ---- */

struct out {
	char *p;
	size_t cap, len;
	bool over;
	unsigned nparams; /* parameters written: the ones after the first get ", " */
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->over || o->len + n >= o->cap) {
		o->over = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* A literal value inside quotes: '"' and '\' escaped (RFC 3261 25.1 quoted-pair). */
static void put_escaped(struct out *o, struct pc_sip_slice s)
{
	for (size_t i = 0; i < s.len; i++) {
		if (s.p[i] == '"' || s.p[i] == '\\')
			put(o, "\\", 1);
		put(o, s.p + i, 1);
	}
}

/* name="value": literal values escaped, received ones (@raw) copied as they were. */
static void put_q(struct out *o, const char *name, struct pc_sip_slice v, bool raw)
{
	if (o->nparams++)
		puts_(o, ", ");
	puts_(o, name);
	puts_(o, "=\"");
	if (raw)
		put(o, v.p, v.len);
	else
		put_escaped(o, v);
	puts_(o, "\"");
}

static void put_t(struct out *o, const char *name, const char *v)
{
	if (o->nparams++)
		puts_(o, ", ");
	puts_(o, name);
	puts_(o, "=");
	puts_(o, v);
}

static int out_end(struct out *o, size_t *outn)
{
	if (o->over) {
		if (o->cap)
			o->p[0] = '\0';
		return -ENOSPC;
	}
	o->p[o->len] = '\0';
	if (outn)
		*outn = o->len;
	return 0;
}

int pc_sip_auth_challenge_print(const struct pc_sip_auth_challenge_spec *spec, char *out,
				size_t outlen, size_t *outn)
{
	struct out o = { out, outlen, 0, outlen == 0, 0 };

	if (alg_rank(spec->alg) < 0)
		return -EINVAL;
	puts_(&o, "Digest ");
	put_q(&o, "realm", spec->realm, false);
	put_q(&o, "nonce", spec->nonce, false);
	if (spec->opaque.p)
		put_q(&o, "opaque", spec->opaque, false);
	if (spec->alg != PC_SIP_AUTH_MD5 || spec->print_algorithm)
		put_t(&o, "algorithm", alg_names[spec->alg]);
	switch (spec->qop & (PC_SIP_AUTH_QOP_AUTH | PC_SIP_AUTH_QOP_AUTH_INT)) {
	case PC_SIP_AUTH_QOP_AUTH:
		put_t(&o, "qop", "\"auth\"");
		break;
	case PC_SIP_AUTH_QOP_AUTH_INT:
		put_t(&o, "qop", "\"auth-int\"");
		break;
	case PC_SIP_AUTH_QOP_AUTH | PC_SIP_AUTH_QOP_AUTH_INT:
		put_t(&o, "qop", "\"auth,auth-int\"");
		break;
	default:
		break;
	}
	if (spec->stale)
		put_t(&o, "stale", "true");
	return out_end(&o, outn);
}

/* ---- the client ---- */

struct nc_slot {
	unsigned char key[32]; /* SHA-256 of realm NUL nonce, as written */
	uint32_t nc;
	uint64_t used; /* for replacing the least recently used */
};

struct pc_sip_auth_client {
	struct hasher h;
	pc_sip_auth_cnonce_h *cnonce;
	void *arg;
	uint64_t tick;
	struct nc_slot slots[PC_SIP_AUTH_NC_SLOTS];
};

int pc_sip_auth_cnonce_random(void *arg, char *buf, size_t size)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char r[16];

	(void)arg;
	if (size < 2 * sizeof(r) + 1)
		return -ENOSPC;
	if (RAND_bytes(r, sizeof(r)) != 1)
		return -EIO;
	for (size_t i = 0; i < sizeof(r); i++) {
		buf[2 * i] = digits[r[i] >> 4];
		buf[2 * i + 1] = digits[r[i] & 15];
	}
	buf[2 * sizeof(r)] = '\0';
	OPENSSL_cleanse(r, sizeof(r));
	return 0;
}

int pc_sip_auth_client_create(struct pc_sip_auth_client **out, pc_sip_auth_cnonce_h *cnonce,
			      void *arg)
{
	struct pc_sip_auth_client *c = calloc(1, sizeof(*c));
	int rc;

	if (!c)
		return -ENOMEM;
	rc = hasher_init(&c->h);
	if (rc)
		goto out_free_client;
	c->cnonce = cnonce ? cnonce : pc_sip_auth_cnonce_random;
	c->arg = arg;
	*out = c;
	return 0;

out_free_client:
	free(c);
	return rc;
}

void pc_sip_auth_client_destroy(struct pc_sip_auth_client *c)
{
	if (!c)
		return;
	hasher_fini(&c->h);
	free(c);
}

static int nc_key(struct pc_sip_auth_client *c, struct pc_sip_slice realm,
		  struct pc_sip_slice nonce, unsigned char key[32])
{
	EVP_MD_CTX *md = c->h.ctx[H_SHA256];
	unsigned klen = 0;

	if (EVP_DigestInit_ex(md, c->h.md[H_SHA256], NULL) != 1 ||
	    EVP_DigestUpdate(md, realm.p, realm.len) != 1 || EVP_DigestUpdate(md, "", 1) != 1 ||
	    EVP_DigestUpdate(md, nonce.p, nonce.len) != 1 ||
	    EVP_DigestFinal_ex(md, key, &klen) != 1 || klen != 32)
		return -EIO;
	return 0;
}

static struct nc_slot *nc_find(struct pc_sip_auth_client *c, const unsigned char key[32])
{
	for (unsigned i = 0; i < PC_SIP_AUTH_NC_SLOTS; i++)
		if (c->slots[i].used && memcmp(c->slots[i].key, key, 32) == 0)
			return &c->slots[i];
	return NULL;
}

uint32_t pc_sip_auth_client_nc(struct pc_sip_auth_client *c, struct pc_sip_slice realm,
			       struct pc_sip_slice nonce)
{
	unsigned char key[32];
	struct nc_slot *s;

	if (nc_key(c, realm, nonce, key))
		return 0;
	s = nc_find(c, key);
	return s ? s->nc : 0;
}

int pc_sip_auth_client_authorize(struct pc_sip_auth_client *c,
				 const struct pc_sip_auth_challenge *ch,
				 const struct pc_sip_auth_account *acct, struct pc_sip_slice method,
				 struct pc_sip_slice uri, struct pc_sip_slice body, unsigned flags,
				 char *out, size_t outlen, size_t *outn)
{
	struct out o = { out, outlen, 0, outlen == 0, 0 };
	char cnonce[PC_SIP_AUTH_CNONCE_MAX], nc[9], resp[PC_SIP_AUTH_HEX_MAX];
	char uhash[PC_SIP_AUTH_HEX_MAX];
	unsigned char key[32];
	struct nc_slot *slot;
	uint32_t next = 1;
	struct dig d;
	int rc;

	if (alg_rank(ch->alg) < 0)
		return -ENOTSUP;
	memset(&d, 0, sizeof(d));
	d.alg = ch->alg;
	if (!ch->qop_options.p)
		d.qop = PC_SIP_AUTH_QOP_NONE;
	else if ((ch->qop & PC_SIP_AUTH_QOP_AUTH_INT) &&
		 (!(ch->qop & PC_SIP_AUTH_QOP_AUTH) || (flags & PC_SIP_AUTH_PREFER_AUTH_INT)))
		d.qop = PC_SIP_AUTH_QOP_IS_AUTH_INT;
	else if (ch->qop & PC_SIP_AUTH_QOP_AUTH)
		d.qop = PC_SIP_AUTH_QOP_IS_AUTH;
	else
		return -ENOTSUP;

	rc = nc_key(c, ch->realm, ch->nonce, key);
	if (rc)
		return rc;
	slot = nc_find(c, key);
	if (d.qop != PC_SIP_AUTH_QOP_NONE && slot) {
		if (slot->nc == UINT32_MAX)
			return -ERANGE;
		next = slot->nc + 1;
	}
	nc_hex(next, nc);
	cnonce[0] = '\0';
	if (d.qop != PC_SIP_AUTH_QOP_NONE || alg_sess(d.alg)) {
		if (c->cnonce(c->arg, cnonce, sizeof(cnonce)) != 0 ||
		    !memchr(cnonce, '\0', sizeof(cnonce)))
			return -EIO;
	}

	d.username = lit_val(acct->username);
	d.password = lit_val(acct->password);
	d.realm = esc_val(ch->realm);
	d.nonce = esc_val(ch->nonce);
	d.cnonce = lit_val(lit(cnonce));
	d.method = lit_val(method);
	d.uri = lit_val(uri);
	d.nc = (struct pc_sip_slice){ nc, 8 };
	d.body = body;
	rc = compute(&c->h, &d, resp);
	if (rc)
		return rc;
	if (ch->userhash) {
		/* RFC 7616 3.4.4: username = H(unq(username) ":" unq(realm)) */
		struct val u[] = { lit_val(acct->username), esc_val(ch->realm) };

		rc = hash_hex(&c->h, d.alg, u, 2, uhash);
		if (rc)
			return rc;
	}

	puts_(&o, "Digest ");
	put_q(&o, "username", ch->userhash ? lit(uhash) : acct->username, false);
	put_q(&o, "realm", ch->realm, true);
	put_q(&o, "nonce", ch->nonce, true);
	put_q(&o, "uri", uri, false);
	put_q(&o, "response", lit(resp), false);
	if (ch->algorithm.p)
		put_t(&o, "algorithm", alg_names[d.alg]);
	if (cnonce[0])
		put_q(&o, "cnonce", lit(cnonce), false);
	if (ch->opaque.p)
		put_q(&o, "opaque", ch->opaque, true);
	if (d.qop != PC_SIP_AUTH_QOP_NONE) {
		put_t(&o, "qop", d.qop == PC_SIP_AUTH_QOP_IS_AUTH ? "auth" : "auth-int");
		put_t(&o, "nc", nc);
	}
	if (ch->userhash)
		put_t(&o, "userhash", "true");
	rc = out_end(&o, outn);
	if (rc)
		return rc;

	/* Only now is the count used up: a failed print sends nothing. */
	if (d.qop != PC_SIP_AUTH_QOP_NONE) {
		if (!slot) {
			slot = &c->slots[0];
			for (unsigned i = 1; i < PC_SIP_AUTH_NC_SLOTS; i++)
				if (c->slots[i].used < slot->used)
					slot = &c->slots[i];
			memcpy(slot->key, key, sizeof(key));
		}
		slot->nc = next;
		slot->used = ++c->tick;
	}
	return 0;
}

/* ---- the server's check ---- */

/* Unescaped @v equals literal @s; not constant time (the username is not secret). */
static bool val_eq(struct pc_sip_slice v, struct pc_sip_slice s)
{
	size_t j = 0;

	for (size_t i = 0; i < v.len; i++, j++) {
		if (v.p[i] == '\\' && i + 1 < v.len)
			i++;
		if (j >= s.len || v.p[i] != s.p[j])
			return false;
	}
	return j == s.len;
}

/* Lowercased @hex equals @want (lowercase, same length), in time independent of the content. */
static bool hex_eq_ct(struct pc_sip_slice hex, const char *want)
{
	char low[PC_SIP_AUTH_HEX_MAX];
	size_t n = strlen(want);

	if (hex.len != n || n >= sizeof(low))
		return false;
	for (size_t i = 0; i < n; i++)
		low[i] = lower(hex.p[i]);
	return CRYPTO_memcmp(low, want, n) == 0;
}

int pc_sip_auth_verify(const struct pc_sip_auth_credentials *cr, struct pc_sip_slice method,
		       struct pc_sip_slice body, const struct pc_sip_auth_account *acct, char *err,
		       size_t errlen)
{
	struct pc_sip_errctx c = { err, errlen };
	char resp[PC_SIP_AUTH_HEX_MAX], uhash[PC_SIP_AUTH_HEX_MAX];
	struct hasher h;
	struct dig d;
	bool user_ok, resp_ok;
	int rc;

	if (alg_rank(cr->alg) < 0)
		return pc_sip_fail(&c, -ENOTSUP, "unsupported algorithm");
	if (cr->qop == PC_SIP_AUTH_QOP_OTHER)
		return pc_sip_fail(&c, -ENOTSUP, "unsupported qop");
	if (cr->qop != PC_SIP_AUTH_QOP_NONE && (!cr->nc_value.p || !cr->cnonce.p))
		return pc_sip_fail(&c, -EBADMSG, "qop without nc or cnonce");
	rc = hasher_init(&h);
	if (rc)
		return pc_sip_fail(&c, rc, "cannot set up the digests");

	memset(&d, 0, sizeof(d));
	d.alg = cr->alg;
	d.qop = cr->qop;
	d.username = lit_val(acct->username);
	d.password = lit_val(acct->password);
	d.realm = esc_val(cr->realm);
	d.nonce = esc_val(cr->nonce);
	d.cnonce = esc_val(cr->cnonce.p ? cr->cnonce : lit(""));
	d.method = lit_val(method);
	d.uri = esc_val(cr->uri);
	d.nc = cr->nc_value;
	d.body = body;
	rc = compute(&h, &d, resp);
	if (!rc && cr->userhash) {
		struct val u[] = { lit_val(acct->username), esc_val(cr->realm) };

		rc = hash_hex(&h, d.alg, u, 2, uhash);
	}
	hasher_fini(&h);
	if (rc)
		return pc_sip_fail(&c, rc, "digest computation failed");

	user_ok = cr->userhash ? hex_eq_ct(cr->username, uhash) :
				 val_eq(cr->username, acct->username);
	resp_ok = hex_eq_ct(cr->response, resp);
	OPENSSL_cleanse(resp, sizeof(resp));
	if (!user_ok)
		return pc_sip_fail(&c, -EACCES, "username differs");
	if (!resp_ok)
		return pc_sip_fail(&c, -EACCES, "response differs");
	ok(&c);
	return 0;
}
