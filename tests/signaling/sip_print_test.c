/* SPDX-License-Identifier: MIT */
/*
 * sip_print_test.c - the SIP message printer of signaling/pc_sip_print.h: the bounded builder
 * (exact output, -ENOSPC at every size short of the message, nothing written past the size), the
 * display-name quoting, URI / name-addr / Via printers against the parsers of pc_sip_hdr.h, and
 * parse -> print -> parse round trips of every torture message that parses and of typical INVITE,
 * 200, REGISTER and REFER messages.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pc_sip_hdr.h"
#include "pc_sip_msg.h"
#include "pc_sip_print.h"
#include "sip_test_pvt.h"

static char err[PC_SIP_ERR_MAX];
static struct pc_sip_msg m1, m2;
static char out[PC_SIP_MAX_MSG + 512], out2[PC_SIP_MAX_MSG + 512];

static const char sdp[] = "v=0\r\n"
			  "o=alice 2890844526 2890844526 IN IP4 192.0.2.101\r\n"
			  "s=-\r\n"
			  "c=IN IP4 192.0.2.101\r\n"
			  "t=0 0\r\n"
			  "m=audio 49172 RTP/AVP 0 101\r\n"
			  "a=rtpmap:101 telephone-event/8000\r\n";

/* The INVITE of the builder tests, built piece by piece. */
static int build_invite(char *buf, size_t size, size_t *len)
{
	struct pc_sip_pb pb;
	struct pc_sip_name_addr na;
	int rc;

	pc_sip_pb_init(&pb, buf, size);
	pc_sip_pb_request_line(&pb, pc_sip_cstr("INVITE"),
			       pc_sip_cstr("sip:bob@biloxi.example.com"));
	pc_sip_pb_header_begin(&pb, PC_SIP_HDR_VIA, pc_sip_cstr(NULL));
	pc_sip_pb_via_fields(&pb, PC_SIP_TRANSPORT_UDP, pc_sip_cstr("2001:db8::1"), 5060,
			     pc_sip_cstr("z9hG4bKnashds8"), true);
	pc_sip_pb_header_end(&pb);
	pc_sip_pb_header(&pb, PC_SIP_HDR_MAX_FORWARDS, pc_sip_cstr(NULL), pc_sip_cstr("70"));
	pc_sip_pb_header_begin(&pb, PC_SIP_HDR_FROM, pc_sip_cstr(NULL));
	pc_sip_pb_display_name(&pb, pc_sip_cstr("Doe, \"J\""));
	pc_sip_pb_raw(&pb, " <sip:alice@atlanta.example.com>;tag=1928301774", 47);
	pc_sip_pb_header_end(&pb);
	rc = pc_sip_name_addr_parse(&na, "Bob <sip:bob@biloxi.example.com>", 32, NULL, 0);
	cr_assert_eq(rc, 0);
	pc_sip_pb_header_begin(&pb, PC_SIP_HDR_TO, pc_sip_cstr(NULL));
	pc_sip_pb_name_addr(&pb, &na);
	pc_sip_pb_header_end(&pb);
	pc_sip_pb_header(&pb, PC_SIP_HDR_CALL_ID, pc_sip_cstr(NULL), pc_sip_cstr("a84b4c76e66710"));
	pc_sip_pb_header_begin(&pb, PC_SIP_HDR_CSEQ, pc_sip_cstr(NULL));
	pc_sip_pb_printf(&pb, "%u %s", 314159u, "INVITE");
	pc_sip_pb_header_end(&pb);
	pc_sip_pb_header(&pb, PC_SIP_HDR_OTHER, pc_sip_cstr("X-Test"), pc_sip_cstr("1"));
	pc_sip_pb_header(&pb, PC_SIP_HDR_CONTENT_TYPE, pc_sip_cstr(NULL),
			 pc_sip_cstr("application/sdp"));
	return pc_sip_pb_finish(&pb, pc_sip_cstr(sdp), len);
}

static const char invite_text[] =
	"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
	"Via: SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bKnashds8;rport\r\n"
	"Max-Forwards: 70\r\n"
	"From: \"Doe, \\\"J\\\"\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
	"To: Bob <sip:bob@biloxi.example.com>\r\n"
	"Call-ID: a84b4c76e66710\r\n"
	"CSeq: 314159 INVITE\r\n"
	"X-Test: 1\r\n"
	"Content-Type: application/sdp\r\n"
	"Content-Length: 153\r\n"
	"\r\n";

Test(sip_print, builder_exact_output)
{
	size_t len = 0;

	cr_assert_eq(sizeof(sdp) - 1, 153);
	cr_assert_eq(build_invite(out, sizeof(out), &len), 0);
	cr_expect_eq(len, strlen(invite_text) + strlen(sdp));
	cr_expect(memcmp(out, invite_text, strlen(invite_text)) == 0, "%.*s", (int)len, out);
	cr_expect(memcmp(out + strlen(invite_text), sdp, strlen(sdp)) == 0);
	/* and it parses back */
	cr_assert_eq(pc_sip_msg_parse(&m1, out, len, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(m1.content_length, 153);
	cr_expect_eq(m1.cseq, 314159);
	struct pc_sip_name_addr na;
	char dn[32];
	size_t n;
	cr_assert_eq(pc_sip_msg_name_addr(&m1, PC_SIP_HDR_FROM, &na, err, sizeof(err)), 0);
	cr_assert_eq(pc_sip_quoted_unescape(na.display.p, na.display.len, dn, sizeof(dn), &n), 0);
	cr_expect(n == 8 && memcmp(dn, "Doe, \"J\"", 8) == 0);
	struct pc_sip_via via;
	cr_assert_eq(pc_sip_msg_top_via(&m1, &via, err, sizeof(err)), 0, "%s", err);
	cr_expect(via.host_type == PC_SIP_HOST_IPV6 && via.has_rport && via.port == 5060);
}

Test(sip_print, builder_enospc_at_every_size)
{
	size_t full = 0, len;
	char *buf = malloc(sizeof(out) + 64);

	cr_assert_not_null(buf);
	cr_assert_eq(build_invite(out, sizeof(out), &full), 0);
	for (size_t size = 0; size <= full; size++) {
		/* Given a buffer of @size followed by a canary */
		memset(buf, 0xa5, size + 64);
		len = 12345;
		/* When the message is built into it */
		int rc = build_invite(buf, size, &len);
		/* Then it fails with -ENOSPC, writes nothing past @size, leaves len alone */
		if (size < full) {
			cr_assert_eq(rc, -ENOSPC, "size %zu: rc %d", size, rc);
			cr_assert_eq(len, 12345);
		} else {
			cr_assert_eq(rc, 0);
			cr_assert_eq(len, full);
			cr_assert(memcmp(buf, out, full) == 0);
		}
		for (size_t k = size; k < size + 64; k++)
			cr_assert_eq((unsigned char)buf[k], 0xa5, "size %zu: byte %zu written",
				     size, k);
	}
	free(buf);
	/* a NULL buffer is a zero-size one */
	cr_expect_eq(build_invite(NULL, 100, &len), -ENOSPC);
}

static const char *pb_text(struct pc_sip_pb *pb)
{
	static char s[512];

	snprintf(s, sizeof(s), "%.*s", (int)pb->len, pb->buf);
	return s;
}

Test(sip_print, display_name_quoting)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "Bob", "Bob" },
		{ "Bob Smith", "Bob Smith" },
		{ "J.R. O'Neil-~", "J.R. O'Neil-~" },
		{ "Doe, John", "\"Doe, John\"" },
		{ "a\"b\\c", "\"a\\\"b\\\\c\"" },
		{ " lead", "\" lead\"" },
		{ "trail ", "\"trail \"" },
		{ "two  spaces", "\"two  spaces\"" },
		{ "tab\there", "\"tab\there\"" },
		{ "", "\"\"" },
		{ "\xc3\xa9l\xc3\xa8ve", "\"\xc3\xa9l\xc3\xa8ve\"" },
		{ "<sip:x>", "\"<sip:x>\"" },
	};
	char buf[64];
	struct pc_sip_pb pb;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pc_sip_pb_init(&pb, buf, sizeof(buf));
		cr_assert_eq(pc_sip_pb_display_name(&pb, pc_sip_cstr(cases[i].in)), 0);
		cr_expect_str_eq(pb_text(&pb), cases[i].out);
		/* the quoted form reads back to the input */
		if (buf[0] == '"') {
			char dec[64];
			size_t n;
			cr_assert_eq(pc_sip_quoted_unescape(buf, pb.len, dec, sizeof(dec), &n), 0);
			cr_expect(n == strlen(cases[i].in) && memcmp(dec, cases[i].in, n) == 0);
		}
	}
	pc_sip_pb_init(&pb, buf, sizeof(buf));
	cr_expect_eq(pc_sip_pb_display_name(&pb, pc_sip_cstr("a\r\nb")), -EINVAL);
	cr_expect_eq(pb.len, 0);
	pc_sip_pb_init(&pb, buf, sizeof(buf));
	cr_expect_eq(pc_sip_pb_display_name(&pb, (struct pc_sip_slice){ "a\0b", 3 }), -EINVAL);
	/* all or nothing: 6 octets do not hold "\"a,b\"" plus more */
	pc_sip_pb_init(&pb, buf, 4);
	cr_expect_eq(pc_sip_pb_display_name(&pb, pc_sip_cstr("a,b")), -ENOSPC);
	cr_expect_eq(pb.len, 0);
	/* sticky */
	cr_expect_eq(pc_sip_pb_raw(&pb, "x", 1), -ENOSPC);
	cr_expect_eq(pb.len, 0);
}

/* parse @in with @parse, print it with @print, compare with @want */
static void uri_rt(const char *in, const char *want)
{
	struct pc_sip_uri u, u2;
	struct pc_sip_pb pb;
	char buf[256];

	cr_assert_eq(pc_sip_uri_parse(&u, in, strlen(in), err, sizeof(err)), 0, "%s: %s", in, err);
	pc_sip_pb_init(&pb, buf, sizeof(buf));
	cr_assert_eq(pc_sip_pb_uri(&pb, &u), 0);
	cr_expect_str_eq(pb_text(&pb), want);
	cr_assert_eq(pc_sip_uri_parse(&u2, buf, pb.len, err, sizeof(err)), 0, "%s", err);
	cr_expect(pc_sip_uri_equal(&u, &u2), "%s vs %s", in, pb_text(&pb));
}

Test(sip_print, uri_round_trips)
{
	uri_rt("sip:alice:secret@Example.COM:5070;transport=tcp;lr?subject=x%20y&a=",
	       "sip:alice:secret@Example.COM:5070;transport=tcp;lr?subject=x%20y&a=");
	uri_rt("SIPS:[2001:db8::10]:5061;maddr=[::1]", "sips:[2001:db8::10]:5061;maddr=[::1]");
	uri_rt("sip:sips%3Auser%40example.com@example.net",
	       "sip:sips%3Auser%40example.com@example.net");
	uri_rt("sip:user;par=u%40example.net@example.com",
	       "sip:user;par=u%40example.net@example.com");
	uri_rt("Tel:+1-201-555-0123;phone-context=x", "tel:+1-201-555-0123;phone-context=x");
	uri_rt("isbn:2983792873", "isbn:2983792873");
	uri_rt("sip:192.0.2.1", "sip:192.0.2.1");
}

static void na_rt(const char *in, const char *want)
{
	struct pc_sip_name_addr na, na2;
	struct pc_sip_pb pb;
	char buf[256];

	cr_assert_eq(pc_sip_name_addr_parse(&na, in, strlen(in), err, sizeof(err)), 0, "%s: %s", in,
		     err);
	pc_sip_pb_init(&pb, buf, sizeof(buf));
	cr_assert_eq(pc_sip_pb_name_addr(&pb, &na), 0);
	cr_expect_str_eq(pb_text(&pb), want);
	cr_assert_eq(pc_sip_name_addr_parse(&na2, buf, pb.len, err, sizeof(err)), 0, "%s", err);
	cr_expect(pc_sip_uri_equal(&na.uri, &na2.uri) || na.star);
	cr_expect_eq(na.nparams, na2.nparams);
	cr_expect_eq(na.q, na2.q);
	cr_expect_eq(na.expires, na2.expires);
	cr_expect(na.tag.len == na2.tag.len &&
		  (na.tag.len == 0 || memcmp(na.tag.p, na2.tag.p, na.tag.len) == 0));
}

Test(sip_print, name_addr_and_via_printers)
{
	na_rt("\"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>\r\n  ;\r\n  tag = 98asjd8",
	      "\"J Rosenberg \\\\\\\"\" <sip:jdrosen@example.com>;tag=98asjd8");
	na_rt("sip:watson@example.com;tag=DkfVgjkrtMwaerKKpe",
	      "<sip:watson@example.com>;tag=DkfVgjkrtMwaerKKpe");
	na_rt("caller<sip:caller@example.com>;tag=323", "caller <sip:caller@example.com>;tag=323");
	na_rt("*", "*");
	na_rt("<sip:p1.example.com;lr>", "<sip:p1.example.com;lr>");
	na_rt("Bob <sip:bob@[::1]:5060>;expires=60;q=0.5",
	      "Bob <sip:bob@[::1]:5060>;expires=60;q=0.5");
	na_rt("\"multi\r\n line\" <sip:a@b>", "\"multi line\" <sip:a@b>");

	struct pc_sip_via via;
	struct pc_sip_pb pb;
	char buf[256];
	const char *v =
		"SIP  / 2.0  / tcp     spindle.example.com   ;\r\n  branch  =   z9hG4bK9ikj8";
	cr_assert_eq(pc_sip_via_parse(&via, v, strlen(v), err, sizeof(err)), 0, "%s", err);
	pc_sip_pb_init(&pb, buf, sizeof(buf));
	cr_assert_eq(pc_sip_pb_via(&pb, &via), 0);
	cr_expect_str_eq(pb_text(&pb), "SIP/2.0/TCP spindle.example.com;branch=z9hG4bK9ikj8");
	v = "SIP/2.0/UNKNOWN [2001:db8::9:1]:5070;received=2001:db8::9:255;rport";
	cr_assert_eq(pc_sip_via_parse(&via, v, strlen(v), err, sizeof(err)), 0, "%s", err);
	pc_sip_pb_init(&pb, buf, sizeof(buf));
	cr_assert_eq(pc_sip_pb_via(&pb, &via), 0);
	cr_expect_str_eq(pb_text(&pb), v);

	/* bad arguments */
	pc_sip_pb_init(&pb, buf, sizeof(buf));
	cr_expect_eq(pc_sip_pb_via_fields(&pb, PC_SIP_TRANSPORT_NONE, pc_sip_cstr("h"), 1,
					  pc_sip_cstr("z9hG4bK1"), false),
		     -EINVAL);
	pc_sip_pb_init(&pb, buf, sizeof(buf));
	cr_expect_eq(pc_sip_pb_via_fields(&pb, PC_SIP_TRANSPORT_UDP, pc_sip_cstr("h"), 1,
					  pc_sip_cstr("z9 x"), false),
		     -EINVAL);
	pc_sip_pb_init(&pb, buf, sizeof(buf));
	cr_expect_eq(pc_sip_pb_status_line(&pb, 99, pc_sip_cstr("x")), -EINVAL);
	pc_sip_pb_init(&pb, buf, sizeof(buf));
	cr_expect_eq(pc_sip_pb_status_line(&pb, 200, pc_sip_cstr("O\r\nK")), -EINVAL);
	pc_sip_pb_init(&pb, buf, sizeof(buf));
	cr_expect_eq(pc_sip_pb_request_line(&pb, pc_sip_cstr("IN VITE"), pc_sip_cstr("sip:h")),
		     -EINVAL);
	pc_sip_pb_init(&pb, buf, sizeof(buf));
	cr_expect_eq(pc_sip_pb_header(&pb, PC_SIP_HDR_OTHER, pc_sip_cstr("X:Y"), pc_sip_cstr("1")),
		     -EINVAL);
	pc_sip_pb_init(&pb, buf, sizeof(buf));
	cr_expect_eq(pc_sip_pb_header(&pb, PC_SIP_HDR_SUBJECT, pc_sip_cstr(NULL),
				      pc_sip_cstr("a\r\nInjected: 1")),
		     -EINVAL);
	pc_sip_pb_init(&pb, buf, sizeof(buf));
	cr_assert_eq(pc_sip_pb_status_line(&pb, 180, pc_sip_cstr("Ringing")), 0);
	cr_expect_str_eq(pb_text(&pb), "SIP/2.0 180 Ringing\r\n");
}

Test(sip_print, refer_to_with_escaped_replaces)
{
	static const char rep[] = "425928@bobster.example.org;to-tag=7743;from-tag=6472;early-only";
	struct pc_sip_refer_to rt;
	struct pc_sip_pb pb;
	char buf[256], scratch[128];

	/* Given a Replaces value escaped into a Refer-To URI */
	pc_sip_pb_init(&pb, buf, sizeof(buf));
	pc_sip_pb_raw(&pb, "<sip:carol@chicago.example.com?Replaces=", 40);
	pc_sip_pb_escape_hvalue(&pb, pc_sip_cstr(rep));
	cr_assert_eq(pc_sip_pb_raw(&pb, ">", 1), 0);
	cr_expect_str_eq(pb_text(&pb),
			 "<sip:carol@chicago.example.com?Replaces=425928%40bobster."
			 "example.org%3Bto-tag%3D7743%3Bfrom-tag%3D6472%3Bearly-only>");
	/* When it is parsed, Then the Replaces comes back */
	cr_assert_eq(pc_sip_refer_to_parse(&rt, buf, pb.len, scratch, sizeof(scratch), err,
					   sizeof(err)),
		     0, "%s", err);
	cr_expect(rt.has_replaces && rt.replaces.early_only);
	cr_expect(rt.replaces.call_id.len == 26 &&
		  memcmp(rt.replaces.call_id.p, "425928@bobster.example.org", 26) == 0);
	cr_expect(rt.replaces.from_tag.len == 4 && memcmp(rt.replaces.from_tag.p, "6472", 4) == 0);
	/* all or nothing */
	pc_sip_pb_init(&pb, buf, 10);
	cr_expect_eq(pc_sip_pb_escape_hvalue(&pb, pc_sip_cstr("a b c d")), -ENOSPC);
	cr_expect_eq(pb.len, 0);
	pc_sip_pb_init(&pb, buf, sizeof(buf));
	cr_assert_eq(pc_sip_pb_escape_hvalue(&pb, (struct pc_sip_slice){ "\0\xff%", 3 }), 0);
	cr_expect_str_eq(pb_text(&pb), "%00%FF%25");
}

/* A header value with each fold made one SP, as pc_sip_msg_print() writes it. */
static size_t unfold(struct pc_sip_slice v, char *o)
{
	size_t n = 0;

	for (size_t i = 0; i < v.len; i++) {
		if (v.p[i] == '\r' || v.p[i] == '\n') {
			while (i < v.len && (v.p[i] == '\r' || v.p[i] == '\n'))
				i++;
			while (i < v.len && (v.p[i] == ' ' || v.p[i] == '\t'))
				i++;
			o[n++] = ' ';
			i--;
			continue;
		}
		o[n++] = v.p[i];
	}
	return n;
}

static bool slice_same(struct pc_sip_slice a, struct pc_sip_slice b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static bool value_same(struct pc_sip_slice a, struct pc_sip_slice b)
{
	static char x[PC_SIP_MAX_HEADER_LEN], y[PC_SIP_MAX_HEADER_LEN];
	size_t nx = unfold(a, x), ny = unfold(b, y);

	return nx == ny && memcmp(x, y, nx) == 0;
}

/* Then the two views are the same: start line, headers but Content-Length, values modulo
 * folding, body. */
static void expect_same_view(const char *what, const struct pc_sip_msg *a,
			     const struct pc_sip_msg *b)
{
	unsigned i = 0, j = 0;

	cr_expect_eq(a->is_request, b->is_request, "%s", what);
	cr_expect(slice_same(a->method, b->method), "%s: method", what);
	cr_expect(slice_same(a->uri, b->uri), "%s: uri", what);
	cr_expect_eq(a->status, b->status, "%s", what);
	cr_expect(slice_same(a->reason, b->reason), "%s: reason", what);
	cr_expect_eq(a->cseq, b->cseq, "%s", what);
	cr_expect(slice_same(a->cseq_method, b->cseq_method), "%s: cseq method", what);
	cr_expect_eq(a->max_forwards, b->max_forwards, "%s", what);
	cr_expect(value_same(a->call_id, b->call_id), "%s: call-id", what);
	cr_expect(slice_same(a->body, b->body), "%s: body", what);
	for (;;) {
		while (i < a->nheaders && a->headers[i].id == PC_SIP_HDR_CONTENT_LENGTH)
			i++;
		while (j < b->nheaders && b->headers[j].id == PC_SIP_HDR_CONTENT_LENGTH)
			j++;
		if (i == a->nheaders || j == b->nheaders)
			break;
		cr_expect_eq(a->headers[i].id, b->headers[j].id, "%s: header %u", what, i);
		if (a->headers[i].id == PC_SIP_HDR_OTHER)
			cr_expect(slice_same(a->headers[i].name, b->headers[j].name),
				  "%s: header %u name", what, i);
		cr_expect(value_same(a->headers[i].value, b->headers[j].value),
			  "%s: header %u (%.*s) value", what, i, (int)a->headers[i].name.len,
			  a->headers[i].name.p);
		i++;
		j++;
	}
	cr_expect(i == a->nheaders && j == b->nheaders, "%s: header counts", what);
	cr_expect(b->has_content_length && b->content_length == a->body.len, "%s", what);
}

/* parse, print, parse, print: the views agree and the second print is the first */
static void round_trip(const char *what, const char *data, size_t len)
{
	size_t n1, n2;
	int rc;

	cr_assert_eq(pc_sip_msg_parse(&m1, data, len, err, sizeof(err)), 0, "%s: %s", what, err);
	rc = pc_sip_msg_print(&m1, out, sizeof(out), &n1);
	cr_assert_eq(rc, 0, "%s: print %d", what, rc);
	cr_assert_eq(pc_sip_msg_parse(&m2, out, n1, err, sizeof(err)), 0, "%s: reparse: %s", what,
		     err);
	expect_same_view(what, &m1, &m2);
	cr_assert_eq(pc_sip_msg_print(&m2, out2, sizeof(out2), &n2), 0);
	cr_expect(n1 == n2 && memcmp(out, out2, n1) == 0, "%s: printing is not idempotent", what);
	/* one octet short: -ENOSPC */
	cr_expect_eq(pc_sip_msg_print(&m1, out2, n1 - 1, &n2), -ENOSPC, "%s", what);
}

Test(sip_print, torture_round_trips)
{
	char line[512], path[1024];
	unsigned nrt = 0;
	struct stat st;
	FILE *tsv;

	if (stat(PC_TEST_SIP_DATA "/EXPECTED.tsv", &st) != 0)
		cr_skip_test("no SIP torture data at " PC_TEST_SIP_DATA);
	tsv = fopen(PC_TEST_SIP_DATA "/EXPECTED.tsv", "r");
	cr_assert_not_null(tsv);
	while (fgets(line, sizeof(line), tsv)) {
		char *file, *save, *data;
		struct guarded g;
		size_t len;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		file = strtok_r(line, "\t\n", &save);
		snprintf(path, sizeof(path), "%s/%s", PC_TEST_SIP_DATA, file);
		data = read_all(path, &len);
		cr_assert_not_null(data);
		guarded_init(&g, data, len);
		if (pc_sip_msg_parse(&m1, g.buf, len, NULL, 0) == 0) {
			round_trip(file, g.buf, len);
			nrt++;
		}
		guarded_fini(&g);
		free(data);
	}
	fclose(tsv);
	/* 35 files are "ok"; some "either" ones parse too */
	cr_expect_geq(nrt, 35, "only %u torture messages round-tripped", nrt);
}

static const char *const typical[] = {
	/* INVITE with SDP, compact forms and a fold */
	"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
	"v: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8;rport\r\n"
	"Max-Forwards: 70\r\n"
	"t: Bob <sip:bob@biloxi.example.com>\r\n"
	"f: \"Alice \\\"A\\\"\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
	"i: a84b4c76e66710@pc33.atlanta.example.com\r\n"
	"CSeq: 314159 INVITE\r\n"
	"m: <sip:alice@pc33.atlanta.example.com>\r\n"
	"k: replaces,\r\n timer\r\n"
	"x: 1800;refresher=uac\r\n"
	"Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY\r\n"
	"c: application/sdp\r\n"
	"l: 153\r\n\r\n"
	"v=0\r\no=alice 2890844526 2890844526 IN IP4 192.0.2.101\r\ns=-\r\n"
	"c=IN IP4 192.0.2.101\r\nt=0 0\r\nm=audio 49172 RTP/AVP 0 101\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n",
	/* 200 OK with Record-Route and SDP */
	"SIP/2.0 200 OK\r\n"
	"Via: SIP/2.0/UDP server10.biloxi.example.com;branch=z9hG4bK4b43c2ff8.1;"
	"received=192.0.2.3\r\n"
	"Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8;received=192.0.2.1\r\n"
	"Record-Route: <sip:server10.biloxi.example.com;lr>, <sip:bigbox3.site3.atlanta.example.com"
	";lr>\r\n"
	"To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n"
	"From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
	"Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
	"CSeq: 314159 INVITE\r\n"
	"Contact: <sip:bob@192.0.2.4>\r\n"
	"Content-Type: application/sdp\r\n"
	"Content-Length: 129\r\n\r\n"
	"v=0\r\no=bob 2890844527 2890844527 IN IP4 192.0.2.4\r\ns=-\r\nc=IN IP4 192.0.2.4\r\n"
	"t=0 0\r\nm=audio 3456 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
	/* REGISTER */
	"REGISTER sip:registrar.biloxi.example.com SIP/2.0\r\n"
	"Via: SIP/2.0/UDP [2001:db8::4]:5060;branch=z9hG4bKnashds7;rport\r\n"
	"Max-Forwards: 70\r\n"
	"To: Bob <sip:bob@biloxi.example.com>\r\n"
	"From: Bob <sip:bob@biloxi.example.com>;tag=456248\r\n"
	"Call-ID: 843817637684230@998sdasdh09\r\n"
	"CSeq: 1826 REGISTER\r\n"
	"Contact: <sip:bob@[2001:db8::4]>;expires=7200;q=0.8, \"Bob mobile\" "
	"<sip:bob@192.0.2.9;transport=tcp>;expires=600\r\n"
	"Expires: 7200\r\n"
	"Content-Length: 0\r\n\r\n",
	/* REFER with Replaces, no Content-Length */
	"REFER sip:bob@192.0.2.4 SIP/2.0\r\n"
	"Via: SIP/2.0/TLS client.atlanta.example.com:5061;branch=z9hG4bK74bf9\r\n"
	"Max-Forwards: 70\r\n"
	"To: <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n"
	"From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
	"Call-ID: a84b4c76e66710\r\n"
	"CSeq: 314160 REFER\r\n"
	"r: <sip:carol@chicago.example.com?Replaces=425928%40bobster.example.org%3Bto-tag%3D7743"
	"%3Bfrom-tag%3D6472>\r\n"
	"b: <sip:alice@atlanta.example.com>\r\n"
	"Event: refer\r\n"
	"Contact: <sip:alice@client.atlanta.example.com;transport=tls>\r\n\r\n",
	/* an empty reason phrase and an unknown header */
	"SIP/2.0 183 \r\n"
	"Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
	"From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=2\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n"
	"X-Weird-Header :   spaced   value  \r\n"
	"RSeq: 988789\r\n\r\n",
};

Test(sip_print, typical_round_trips)
{
	char what[32];

	for (size_t i = 0; i < sizeof(typical) / sizeof(typical[0]); i++) {
		snprintf(what, sizeof(what), "typical[%zu]", i);
		round_trip(what, typical[i], strlen(typical[i]));
	}
	/* the REFER's Replaces through the printed form */
	struct pc_sip_refer_to rt;
	char scratch[128];
	size_t n;
	cr_assert_eq(pc_sip_msg_parse(&m1, typical[3], strlen(typical[3]), err, sizeof(err)), 0);
	cr_assert_eq(pc_sip_msg_print(&m1, out, sizeof(out), &n), 0);
	cr_assert_eq(pc_sip_msg_parse(&m2, out, n, err, sizeof(err)), 0);
	const struct pc_sip_header *h = pc_sip_msg_find(&m2, PC_SIP_HDR_REFER_TO, NULL);
	cr_assert_not_null(h);
	cr_expect(h->name.len == 8 && memcmp(h->name.p, "Refer-To", 8) == 0);
	cr_assert_eq(pc_sip_refer_to_parse(&rt, h->value.p, h->value.len, scratch, sizeof(scratch),
					   err, sizeof(err)),
		     0, "%s", err);
	cr_expect(rt.has_replaces && rt.replaces.to_tag.len == 4);
	/* the canonical text of the 200's headers */
	cr_assert_eq(pc_sip_msg_parse(&m1, typical[0], strlen(typical[0]), err, sizeof(err)), 0);
	cr_assert_eq(pc_sip_msg_print(&m1, out, sizeof(out), &n), 0);
	out[n] = '\0';
	cr_expect(strstr(out, "\r\nSupported: replaces, timer\r\n"), "%s", out);
	cr_expect(strstr(out, "\r\nSession-Expires: 1800;refresher=uac\r\n"));
	cr_expect(strstr(out, "\r\nContent-Length: 153\r\n\r\nv=0"));
}
