/* SPDX-License-Identifier: MIT */
/*
 * sip_hdr_fuzz.c - libFuzzer target for the SIP header value grammar of signaling/pc_sip_hdr.h
 * and the printer of signaling/pc_sip_print.h. The first input byte picks a parser (byte % 14:
 * 'p' URI, 'q' name-addr, 'r' Via, 's' list, 't' unescape, 'u' message, 'v' to '}' the simple
 * headers), the rest is its input, copied into a buffer of exactly its length (no NUL) so that
 * AddressSanitizer catches any read past it.
 *
 * Notes on running it:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isignaling tests/fuzz/sip_hdr_fuzz.c \
 *       signaling/sip_hdr.c signaling/sip_print.c signaling/sip_msg.c -o /tmp/sip_hdr_fuzz
 *   /tmp/sip_hdr_fuzz -max_total_time=30
 *   tests/fuzz/sip_hdr.cmake writes a few seeds (one per parser) into the build's corpus.
 *
 * Checked (abort on any difference):
 *   - every return is 0 or one of the documented -errno; the reason is one non-empty line on
 *     failure and "" on success; the input is never written to;
 *   - on success every slice lies inside the input and every count within its limit;
 *   - a URI, name-addr or Via that parsed is printed (pc_sip_pb_*) and parses again to the same
 *     thing (pc_sip_uri_equal, same tag / branch / sent-by / transport / parameter counts);
 *   - the comma-list iterator yields non-empty elements inside the input, at most PC_SIP_MAX_LIST;
 *   - a whole message that pc_sip_msg_parse() accepts is printed by pc_sip_msg_print() and the
 *     output parses again with the same start line, header ids and body; every Via, Contact,
 *     Route and Record-Route element of it goes through the parsers without crashing;
 *   - unescaping never writes past the output size given; pc_sip_pb_escape_hvalue() then
 *     pc_sip_unescape() gives the input back.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pc_sip_hdr.h"
#include "pc_sip_msg.h"
#include "pc_sip_print.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *in_buf;
static size_t in_len;
static char err[PC_SIP_ERR_MAX];

static void check_slice(struct pc_sip_slice s)
{
	if (s.len == 0)
		return;
	if (s.p < in_buf || s.p + s.len > in_buf + in_len)
		abort();
}

static void check_rc(int rc, bool enospc_ok)
{
	if (rc != 0 && rc != -EBADMSG && rc != -ERANGE && rc != -E2BIG &&
	    !(enospc_ok && rc == -ENOSPC))
		abort();
	if (strchr(err, '\n') || (rc == 0) != (err[0] == '\0'))
		abort();
}

static void check_params(const struct pc_sip_param *ps, unsigned n, unsigned max)
{
	if (n > max)
		abort();
	for (unsigned k = 0; k < n; k++) {
		if (ps[k].name.len == 0)
			abort();
		check_slice(ps[k].name);
		check_slice(ps[k].value);
	}
}

static void check_uri(const struct pc_sip_uri *u)
{
	check_slice(u->scheme_s);
	check_slice(u->opaque);
	check_slice(u->user);
	check_slice(u->password);
	check_slice(u->host);
	check_slice(u->maddr);
	check_params(u->params, u->nparams, PC_SIP_MAX_PARAMS);
	check_params(u->headers, u->nheaders, PC_SIP_MAX_URI_HEADERS);
	if (u->port < -1 || u->port > 65535 || u->ttl < -1 || u->ttl > 255)
		abort();
}

static char pbuf[PC_SIP_MAX_MSG * 2 + 8192];

static void fuzz_uri(void)
{
	struct pc_sip_uri u, u2;
	struct pc_sip_pb pb;
	int rc = pc_sip_uri_parse(&u, in_buf, in_len, err, sizeof(err));

	check_rc(rc, false);
	if (rc)
		return;
	check_uri(&u);
	if (!pc_sip_uri_equal(&u, &u))
		abort();
	pc_sip_pb_init(&pb, pbuf, sizeof(pbuf));
	if (pc_sip_pb_uri(&pb, &u) != 0)
		abort();
	if (pc_sip_uri_parse(&u2, pbuf, pb.len, err, sizeof(err)) != 0)
		abort();
	if (!pc_sip_uri_equal(&u, &u2) || !pc_sip_uri_equal(&u2, &u))
		abort();
}

static void fuzz_name_addr(void)
{
	static struct pc_sip_name_addr na, na2;
	struct pc_sip_pb pb;
	int rc = pc_sip_name_addr_parse(&na, in_buf, in_len, err, sizeof(err));

	check_rc(rc, false);
	if (rc)
		return;
	check_slice(na.display);
	check_slice(na.uri_s);
	check_slice(na.tag);
	check_params(na.params, na.nparams, PC_SIP_MAX_PARAMS);
	if (na.q < -1 || na.q > 1000 || na.expires < -1 || na.expires > UINT32_MAX)
		abort();
	if (!na.star)
		check_uri(&na.uri);
	pc_sip_pb_init(&pb, pbuf, sizeof(pbuf));
	rc = pc_sip_pb_name_addr(&pb, &na);
	if (rc == -EINVAL)
		return; /* an unquoted display name with a fold in it */
	if (rc != 0)
		abort();
	if (pc_sip_name_addr_parse(&na2, pbuf, pb.len, err, sizeof(err)) != 0)
		abort();
	if (na2.star != na.star || na2.nparams != na.nparams || na2.q != na.q ||
	    na2.expires != na.expires || na2.tag.len != na.tag.len ||
	    (!na.star && !pc_sip_uri_equal(&na.uri, &na2.uri)))
		abort();
}

static void fuzz_via(void)
{
	static struct pc_sip_via v, v2;
	struct pc_sip_pb pb;
	int rc = pc_sip_via_parse(&v, in_buf, in_len, err, sizeof(err));

	check_rc(rc, false);
	if (rc)
		return;
	check_slice(v.protocol);
	check_slice(v.version);
	check_slice(v.transport_s);
	check_slice(v.host);
	check_slice(v.branch);
	check_slice(v.received);
	check_slice(v.maddr);
	check_params(v.params, v.nparams, PC_SIP_MAX_PARAMS);
	if (v.transport == PC_SIP_TRANSPORT_NONE || v.host.len == 0 || v.port > 65535 ||
	    v.rport > 65535 || v.ttl > 255)
		abort();
	pc_sip_pb_init(&pb, pbuf, sizeof(pbuf));
	if (pc_sip_pb_via(&pb, &v) != 0)
		abort();
	if (pc_sip_via_parse(&v2, pbuf, pb.len, err, sizeof(err)) != 0)
		abort();
	if (v2.transport != v.transport || v2.port != v.port || v2.host.len != v.host.len ||
	    memcmp(v2.host.p, v.host.p, v.host.len) != 0 || v2.branch.len != v.branch.len ||
	    v2.nparams != v.nparams || v2.rport != v.rport || v2.has_rport != v.has_rport)
		abort();
}

static void fuzz_list(void)
{
	struct pc_sip_list_iter it;
	struct pc_sip_slice e;
	unsigned n = 0;
	int rc;

	pc_sip_list_init(&it, in_buf, in_len);
	while ((rc = pc_sip_list_next(&it, &e, err, sizeof(err))) > 0) {
		if (e.len == 0 || ++n > PC_SIP_MAX_LIST)
			abort();
		check_slice(e);
		/* every element through every element parser */
		static struct pc_sip_name_addr na;
		static struct pc_sip_via v;
		(void)pc_sip_name_addr_parse(&na, e.p, e.len, NULL, 0);
		(void)pc_sip_via_parse(&v, e.p, e.len, NULL, 0);
	}
	if (rc < 0)
		check_rc(rc, false);
	if (pc_sip_list_next(&it, &e, NULL, 0) != 0)
		abort();
	(void)pc_sip_list_has_token(in_buf, in_len, "timer");
}

static void fuzz_simple(unsigned which)
{
	static struct pc_sip_session_expires se;
	static struct pc_sip_event ev;
	static struct pc_sip_substate_hdr ss;
	static struct pc_sip_replaces rp;
	static struct pc_sip_refer_to rt;
	static char scratch[256];
	struct pc_sip_slice m = { 0 };
	uint32_t a = 0, b = 0;
	int rc;

	switch (which) {
	case 0:
		rc = pc_sip_cseq_parse(in_buf, in_len, &a, &m, err, sizeof(err));
		if (rc == 0 && (a > 0x7fffffff || m.len == 0))
			abort();
		break;
	case 1:
		rc = pc_sip_rack_parse(in_buf, in_len, &a, &b, &m, err, sizeof(err));
		break;
	case 2:
		rc = pc_sip_delta_parse(in_buf, in_len, in_len & 1 ? UINT32_MAX : 0x7fffffff, &a,
					err, sizeof(err));
		break;
	case 3:
		rc = pc_sip_session_expires_parse(&se, in_buf, in_len, err, sizeof(err));
		if (rc == 0)
			check_params(se.params, se.nparams, PC_SIP_MAX_PARAMS);
		break;
	case 4:
		rc = pc_sip_event_parse(&ev, in_buf, in_len, err, sizeof(err));
		if (rc == 0) {
			check_slice(ev.package);
			check_slice(ev.id);
			check_params(ev.params, ev.nparams, PC_SIP_MAX_PARAMS);
		}
		break;
	case 5:
		rc = pc_sip_substate_parse(&ss, in_buf, in_len, err, sizeof(err));
		if (rc == 0)
			check_slice(ss.reason);
		break;
	case 6:
		rc = pc_sip_replaces_parse(&rp, in_buf, in_len, err, sizeof(err));
		if (rc == 0) {
			check_slice(rp.call_id);
			check_slice(rp.to_tag);
			check_slice(rp.from_tag);
			if (rp.to_tag.len == 0 || rp.from_tag.len == 0)
				abort();
		}
		break;
	default: {
		/* the scratch buffer is sized by the input so that -ENOSPC is reached too */
		size_t sl = in_len % sizeof(scratch);
		rc = pc_sip_refer_to_parse(&rt, in_buf, in_len, scratch, sl, err, sizeof(err));
		if (rc == 0 && rt.has_replaces) {
			const char *p = rt.replaces.call_id.p;
			if (p < scratch || p + rt.replaces.call_id.len > scratch + sl)
				abort();
		}
		check_rc(rc, true);
		return;
	}
	}
	check_rc(rc, false);
	if (rc == 0)
		check_slice(m);
}

static void fuzz_unescape(void)
{
	static char o[64 + 16];
	size_t n = 12345, cap = in_len % 64;
	int rc;

	memset(o, 0x5a, sizeof(o));
	rc = pc_sip_unescape(in_buf, in_len, o, cap, &n);
	if (rc != 0 && rc != -EBADMSG && rc != -ENOSPC)
		abort();
	if (rc == 0 && n > cap)
		abort();
	rc = pc_sip_quoted_unescape(in_buf, in_len, o, cap, &n);
	if (rc != 0 && rc != -EBADMSG && rc != -ENOSPC)
		abort();
	if (rc == 0 && n > cap)
		abort();
	for (size_t k = cap; k < sizeof(o); k++)
		if (o[k] != 0x5a)
			abort();

	/* escaping as a URI header value and unescaping give the input back */
	struct pc_sip_pb pb;
	struct pc_sip_slice raw = { in_buf, in_len };
	static char back[PC_SIP_MAX_MSG];
	pc_sip_pb_init(&pb, pbuf, sizeof(pbuf));
	if (pc_sip_pb_escape_hvalue(&pb, raw) != 0)
		abort();
	if (pc_sip_unescape(pbuf, pb.len, back, sizeof(back), &n) != 0 || n != in_len ||
	    (n && memcmp(back, in_buf, n) != 0))
		abort();
	/* and a too small builder takes nothing */
	pc_sip_pb_init(&pb, pbuf, pb.len ? pb.len - 1 : 0);
	if (in_len && (pc_sip_pb_escape_hvalue(&pb, raw) != -ENOSPC || pb.len != 0))
		abort();
}

static void fuzz_msg(void)
{
	static struct pc_sip_msg m1, m2;
	static struct pc_sip_via v;
	static struct pc_sip_name_addr na;
	static const enum pc_sip_hdr_id ids[] = { PC_SIP_HDR_VIA, PC_SIP_HDR_CONTACT,
						  PC_SIP_HDR_ROUTE, PC_SIP_HDR_RECORD_ROUTE };
	struct pc_sip_hdr_iter it;
	struct pc_sip_slice e;
	size_t n;
	int rc;

	if (pc_sip_msg_parse(&m1, in_buf, in_len, NULL, 0) != 0)
		return;
	for (size_t k = 0; k < sizeof(ids) / sizeof(ids[0]); k++) {
		pc_sip_hdr_iter_init(&it, &m1, ids[k]);
		while (pc_sip_hdr_iter_next(&it, &e, NULL, 0) > 0) {
			check_slice(e);
			if (ids[k] == PC_SIP_HDR_VIA)
				(void)pc_sip_via_parse(&v, e.p, e.len, NULL, 0);
			else
				(void)pc_sip_name_addr_parse(&na, e.p, e.len, NULL, 0);
		}
	}
	(void)pc_sip_msg_top_via(&m1, &v, NULL, 0);
	(void)pc_sip_msg_name_addr(&m1, PC_SIP_HDR_FROM, &na, NULL, 0);
	(void)pc_sip_msg_name_addr(&m1, PC_SIP_HDR_TO, &na, NULL, 0);

	rc = pc_sip_msg_print(&m1, pbuf, sizeof(pbuf), &n);
	if (rc == -EINVAL)
		return; /* a bare CR or LF in the reason phrase */
	if (rc != 0)
		abort();
	rc = pc_sip_msg_parse(&m2, pbuf, n, NULL, 0);
	if (rc == -E2BIG)
		return; /* an expanded compact name or the added Content-Length crossed a limit */
	if (rc != 0 || m2.is_request != m1.is_request || m2.status != m1.status ||
	    m2.cseq != m1.cseq || m2.body.len != m1.body.len ||
	    (m1.body.len && memcmp(m2.body.p, m1.body.p, m1.body.len) != 0))
		abort();
	unsigned i = 0, j = 0;
	for (;;) {
		while (i < m1.nheaders && m1.headers[i].id == PC_SIP_HDR_CONTENT_LENGTH)
			i++;
		while (j < m2.nheaders && m2.headers[j].id == PC_SIP_HDR_CONTENT_LENGTH)
			j++;
		if (i == m1.nheaders || j == m2.nheaders)
			break;
		if (m1.headers[i++].id != m2.headers[j++].id)
			abort();
	}
	if (i != m1.nheaders || j != m2.nheaders)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf;
	unsigned mode;

	if (size < 1)
		return 0;
	mode = data[0] % 14;
	size--;
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size);
	in_buf = buf;
	in_len = size;
	err[0] = 'x';
	err[1] = '\0';
	switch (mode) {
	case 0:
		fuzz_uri();
		break;
	case 1:
		fuzz_name_addr();
		break;
	case 2:
		fuzz_via();
		break;
	case 3:
		fuzz_list();
		break;
	case 4:
		fuzz_unescape();
		break;
	case 5:
		fuzz_msg();
		break;
	default:
		fuzz_simple(mode - 6);
		break;
	}
	if (memcmp(buf, data + 1, size) != 0)
		abort();
	free(buf);
	return 0;
}
