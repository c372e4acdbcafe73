/* SPDX-License-Identifier: MIT */
/*
 * sip_hdr_test.c - the SIP header value grammar of signaling/pc_sip_hdr.h: URIs (IPv6 references,
 * ports, escapes, parameters, headers, tel and other schemes), URI comparison with the examples of
 * RFC 3261 19.1.4, name-addr with quoted display names, the comma-list iterator, Via, CSeq, RAck,
 * delta-seconds, Session-Expires, Event, Subscription-State, Replaces and Refer-To, the limits,
 * and the header values of every torture message that parses. Each input is parsed from the end of
 * a page followed by a PROT_NONE page, so a read past the length faults.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pc_sip_hdr.h"
#include "pc_sip_msg.h"
#include "sip_test_pvt.h"

#define NGUARD 64
static struct guarded guards[NGUARD];
static unsigned nguards;
static char err[PC_SIP_ERR_MAX];
static size_t glen; /* the length of the last G() copy */

static void fini(void)
{
	for (unsigned i = 0; i < nguards; i++)
		guarded_fini(&guards[i]);
	nguards = 0;
}

TestSuite(sip_hdr, .fini = fini);

/* A copy of @s ending just before an unmapped page; valid until the end of the test. */
static const char *G(const char *s)
{
	cr_assert_lt(nguards, NGUARD);
	glen = strlen(s);
	guarded_init(&guards[nguards], s, glen);
	return guards[nguards++].buf;
}

static bool seq(struct pc_sip_slice s, const char *lit)
{
	return s.len == strlen(lit) && memcmp(s.p, lit, s.len) == 0;
}

static struct pc_sip_uri uri, uri2;

static int uri_parse(struct pc_sip_uri *u, const char *s)
{
	return pc_sip_uri_parse(u, G(s), strlen(s), err, sizeof(err));
}

/* ---- URIs ---- */

Test(sip_hdr, uri_all_parts)
{
	cr_assert_eq(uri_parse(&uri, "sip:alice:secret@Example.COM:5070;transport=tcp;lr;ttl=5;"
				     "maddr=239.255.255.1;user=phone;method=INVITE;x-y"
				     "?subject=project%20x&priority=urgent"),
		     0, "%s", err);
	cr_expect_eq(uri.scheme, PC_SIP_SCHEME_SIP);
	cr_expect(uri.has_user && seq(uri.user, "alice"));
	cr_expect(uri.has_password && seq(uri.password, "secret"));
	cr_expect(seq(uri.host, "Example.COM") && uri.host_type == PC_SIP_HOST_NAME);
	cr_expect_eq(uri.port, 5070);
	cr_expect_eq(uri.transport, PC_SIP_TRANSPORT_TCP);
	cr_expect(uri.lr);
	cr_expect_eq(uri.ttl, 5);
	cr_expect(seq(uri.maddr, "239.255.255.1"));
	cr_expect(seq(uri.user_param, "phone"));
	cr_expect(seq(uri.method, "INVITE"));
	cr_expect_eq(uri.nparams, 7);
	cr_expect(seq(uri.params[6].name, "x-y") && !uri.params[6].has_value);
	cr_expect_eq(uri.nheaders, 2);
	cr_expect(seq(uri.headers[0].name, "subject") && seq(uri.headers[0].value, "project%20x"));
	cr_expect(seq(uri.headers[1].name, "priority") && seq(uri.headers[1].value, "urgent"));
	cr_expect_str_eq(err, "");
}

Test(sip_hdr, uri_minimal_and_defaults)
{
	cr_assert_eq(uri_parse(&uri, "sips:example.com"), 0, "%s", err);
	cr_expect_eq(uri.scheme, PC_SIP_SCHEME_SIPS);
	cr_expect(!uri.has_user && !uri.has_password);
	cr_expect_eq(uri.port, -1);
	cr_expect_eq(uri.ttl, -1);
	cr_expect_eq(uri.transport, PC_SIP_TRANSPORT_NONE);
	cr_expect(!uri.lr);
	cr_expect_eq(uri.nparams + uri.nheaders, 0);
	/* an empty password is allowed (password = *( ... )) */
	cr_assert_eq(uri_parse(&uri, "sip:bob:@h"), 0, "%s", err);
	cr_expect(uri.has_password && uri.password.len == 0);
	/* scheme case-insensitive */
	cr_assert_eq(uri_parse(&uri, "SIP:bob@h"), 0, "%s", err);
	cr_expect_eq(uri.scheme, PC_SIP_SCHEME_SIP);
	/* transport tokens, other one kept */
	cr_assert_eq(uri_parse(&uri, "sip:h;transport=wss"), 0, "%s", err);
	cr_expect_eq(uri.transport, PC_SIP_TRANSPORT_WSS);
	cr_assert_eq(uri_parse(&uri, "sip:h;transport=quic"), 0, "%s", err);
	cr_expect_eq(uri.transport, PC_SIP_TRANSPORT_OTHER);
	cr_expect(seq(uri.transport_s, "quic"));
}

Test(sip_hdr, uri_ipv6_references)
{
	cr_assert_eq(uri_parse(&uri, "sip:[2001:db8::10]:5060;maddr=[2001:db8::1]"), 0, "%s", err);
	cr_expect_eq(uri.host_type, PC_SIP_HOST_IPV6);
	cr_expect(seq(uri.host, "2001:db8::10"));
	cr_expect_eq(uri.port, 5060);
	cr_expect(seq(uri.maddr, "[2001:db8::1]"));
	cr_assert_eq(uri_parse(&uri, "sip:user@[::ffff:192.0.2.2]"), 0, "%s", err);
	cr_expect(seq(uri.host, "::ffff:192.0.2.2"));
	cr_assert_eq(uri_parse(&uri, "sip:[::]"), 0, "%s", err);
	cr_assert_eq(uri_parse(&uri, "sip:[1:2:3:4:5:6:7:8]"), 0, "%s", err);
	cr_assert_eq(uri_parse(&uri, "sip:[2001:db8::192.0.2.1]"), 0, "%s", err);
	cr_assert_eq(uri_parse(&uri, "sip:[1::]"), 0, "%s", err);

	/* RFC 5118 4.5: without brackets the colons are ambiguous */
	cr_expect_eq(uri_parse(&uri, "sip:2001:db8::10"), -EBADMSG);
	cr_expect(strstr(err, "brackets"), "%s", err);
	cr_expect_eq(uri_parse(&uri, "sip:user@2001:db8::10:5060"), -EBADMSG);
	/* RFC 5118 4.10: the three-colon form of RFC 3261's ABNF is accepted */
	cr_expect_eq(uri_parse(&uri, "sip:[2001:db8:::192.0.2.1]"), 0);
	cr_expect_eq(uri_parse(&uri, "sip:[2001:db8::::192.0.2.1]"), -EBADMSG);
	cr_expect_eq(uri_parse(&uri, "sip:[2001:db8:::1]"), -EBADMSG);
	cr_expect_eq(uri_parse(&uri, "sip:[1:2:3:4:5:6:7:8:9]"), -EBADMSG);
	cr_expect_eq(uri_parse(&uri, "sip:[1:2:3:4:5:6:7]"), -EBADMSG);
	cr_expect_eq(uri_parse(&uri, "sip:[1::2::3]"), -EBADMSG);
	cr_expect_eq(uri_parse(&uri, "sip:[12345::1]"), -EBADMSG);
	cr_expect_eq(uri_parse(&uri, "sip:[2001:db8::10"), -EBADMSG);
	cr_expect_eq(uri_parse(&uri, "sip:[]"), -EBADMSG);
	cr_expect_eq(uri_parse(&uri, "sip:[::1:]"), -EBADMSG);
	cr_expect_eq(uri_parse(&uri, "sip:[::1]x"), -EBADMSG);
	cr_expect_eq(uri_parse(&uri, "sip:[::256.1.1.1]"), -EBADMSG);
}

Test(sip_hdr, uri_hosts_and_ports)
{
	cr_assert_eq(uri_parse(&uri, "sip:192.0.2.1:0"), 0, "%s", err);
	cr_expect_eq(uri.host_type, PC_SIP_HOST_IPV4);
	cr_expect_eq(uri.port, 0);
	cr_assert_eq(uri_parse(&uri, "sip:h:65535"), 0, "%s", err);
	cr_expect_eq(uri.port, 65535);
	cr_assert_eq(uri_parse(&uri, "sip:h:005060"), 0, "%s", err);
	cr_expect_eq(uri.port, 5060);
	cr_assert_eq(uri_parse(&uri, "sip:example.com."), 0, "%s", err);

	cr_expect_eq(uri_parse(&uri, "sip:h:65536"), -ERANGE);
	cr_expect_eq(uri_parse(&uri, "sip:h:99999999999999999999999"), -ERANGE);
	cr_expect_eq(uri_parse(&uri, "sip:h:"), -EBADMSG);
	cr_expect_eq(uri_parse(&uri, "sip:h:5a"), -EBADMSG);
	cr_expect_eq(uri_parse(&uri, "sip:h:-1"), -EBADMSG);
	cr_expect_eq(uri_parse(&uri, "sip:192.0.2.256"), -EBADMSG);
	cr_expect_eq(uri_parse(&uri, "sip:1.2.3"), -EBADMSG);
	cr_expect_eq(uri_parse(&uri, "sip:a..b"), -EBADMSG);
	cr_expect_eq(uri_parse(&uri, "sip:-a.b"), -EBADMSG);
	cr_expect_eq(uri_parse(&uri, "sip:a@"), -EBADMSG);
	cr_expect_eq(uri_parse(&uri, "sip:@h"), -EBADMSG);
	cr_expect_eq(uri_parse(&uri, "sip:"), -EBADMSG);
	cr_expect_eq(uri_parse(&uri, "sip:a b@h"), -EBADMSG);
	cr_expect_eq(uri_parse(&uri, "sip:h/x"), -EBADMSG);
	cr_expect_eq(uri_parse(&uri, ":h"), -EBADMSG);
	cr_expect_eq(uri_parse(&uri, "1sip:h"), -EBADMSG);
	cr_expect_eq(uri_parse(&uri, "nocolon"), -EBADMSG);
	cr_expect(err[0] && !strchr(err, '\n'));
}

Test(sip_hdr, uri_escapes_and_odd_users)
{
	char out[64];
	size_t n;

	/* RFC 4475 esc01 / escnull / semiuri / intmeth */
	cr_assert_eq(uri_parse(&uri, "sip:sips%3Auser%40example.com@example.net"), 0, "%s", err);
	cr_expect(seq(uri.user, "sips%3Auser%40example.com") && seq(uri.host, "example.net"));
	cr_assert_eq(pc_sip_unescape(uri.user.p, uri.user.len, out, sizeof(out), &n), 0);
	cr_expect(n == 21 && memcmp(out, "sips:user@example.com", 21) == 0);
	cr_assert_eq(uri_parse(&uri, "sip:null-%00-null@example.com"), 0, "%s", err);
	cr_assert_eq(pc_sip_unescape(uri.user.p, uri.user.len, out, sizeof(out), &n), 0);
	cr_expect(n == 11 && memcmp(out, "null-\0-null", 11) == 0);
	cr_assert_eq(uri_parse(&uri, "sip:user;par=u%40example.net@example.com"), 0, "%s", err);
	cr_expect(seq(uri.user, "user;par=u%40example.net") && uri.nparams == 0);
	cr_assert_eq(uri_parse(&uri, "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has="
				     "1,weird!*pas$wo~d_too.(doesn't-it)@example.com"),
		     0, "%s", err);
	cr_expect(seq(uri.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"));
	cr_expect(seq(uri.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)"));
	/* escaped parameter names are decoded for the well-known ones (esc01's Contact) */
	cr_assert_eq(uri_parse(&uri, "sip:cal%6Cer@h;%6C%72;n%61me=v%61lue%25%34%31"), 0, "%s",
		     err);
	cr_expect(uri.lr);
	cr_expect_eq(uri.nparams, 2);

	/* bad escapes */
	cr_expect_eq(uri_parse(&uri, "sip:a%4@h"), -EBADMSG);
	cr_expect_eq(uri_parse(&uri, "sip:a%zz@h"), -EBADMSG);
	cr_expect_eq(uri_parse(&uri, "sip:a%@h"), -EBADMSG);
	cr_expect_eq(uri_parse(&uri, "sip:h;p=%g0"), -EBADMSG);
	cr_expect_eq(uri_parse(&uri, "sip:h?a=%"), -EBADMSG);

	/* pc_sip_unescape on its own */
	cr_expect_eq(pc_sip_unescape("%41%62c", 7, out, 3, &n), 0);
	cr_expect(n == 3 && memcmp(out, "Abc", 3) == 0);
	cr_expect_eq(pc_sip_unescape("%41%62c", 7, out, 2, &n), -ENOSPC);
	cr_expect_eq(pc_sip_unescape("abc%4", 5, out, sizeof(out), &n), -EBADMSG);
	cr_expect_eq(pc_sip_unescape("", 0, out, 0, &n), 0);
	cr_expect_eq(n, 0);
}

Test(sip_hdr, uri_params_and_headers_edges)
{
	cr_expect_eq(uri_parse(&uri, "sip:h;;lr"), -EBADMSG);
	cr_expect(strstr(err, "empty"), "%s", err);
	cr_expect_eq(uri_parse(&uri, "sip:h;"), -EBADMSG);
	cr_expect_eq(uri_parse(&uri, "sip:h;ttl="), -EBADMSG);
	cr_expect_eq(uri_parse(&uri, "sip:h;=x"), -EBADMSG);
	cr_expect_eq(uri_parse(&uri, "sip:h;ttl=256"), -ERANGE);
	cr_expect_eq(uri_parse(&uri, "sip:h;ttl=x"), -EBADMSG);
	cr_expect_eq(uri_parse(&uri, "sip:h;transport"), -EBADMSG);
	cr_expect_eq(uri_parse(&uri, "sip:h;a=b=c"), -EBADMSG);
	cr_expect_eq(uri_parse(&uri, "sip:h?"), -EBADMSG);
	cr_expect_eq(uri_parse(&uri, "sip:h?a"), -EBADMSG);
	cr_expect_eq(uri_parse(&uri, "sip:h?a=1&"), -EBADMSG);
	cr_expect_eq(uri_parse(&uri, "sip:h?=1"), -EBADMSG);
	cr_expect_eq(uri_parse(&uri, "sip:h?a=<x>"), -EBADMSG);
	/* an empty header value is fine: hvalue = *( ... ) */
	cr_assert_eq(uri_parse(&uri, "sip:h?a=&b=2"), 0, "%s", err);
	cr_expect_eq(uri.nheaders, 2);
	cr_expect_eq(uri.headers[0].value.len, 0);
	/* uri-parameter values take '[' ']' ':' '/' */
	cr_assert_eq(uri_parse(&uri, "sip:h;maddr=[::1];x=a/b:c"), 0, "%s", err);
}

Test(sip_hdr, uri_limits)
{
	char big[1024];
	int n = snprintf(big, sizeof(big), "sip:h");

	for (int i = 0; i < PC_SIP_MAX_PARAMS; i++)
		n += snprintf(big + n, sizeof(big) - (size_t)n, ";p%d", i);
	cr_assert_eq(uri_parse(&uri, big), 0, "%s", err);
	cr_expect_eq(uri.nparams, PC_SIP_MAX_PARAMS);
	snprintf(big + n, sizeof(big) - (size_t)n, ";one-more");
	cr_expect_eq(uri_parse(&uri, big), -E2BIG);

	n = snprintf(big, sizeof(big), "sip:h?h0=0");
	for (int i = 1; i < PC_SIP_MAX_URI_HEADERS; i++)
		n += snprintf(big + n, sizeof(big) - (size_t)n, "&h%d=%d", i, i);
	cr_assert_eq(uri_parse(&uri, big), 0, "%s", err);
	snprintf(big + n, sizeof(big) - (size_t)n, "&x=y");
	cr_expect_eq(uri_parse(&uri, big), -E2BIG);
	cr_expect(strstr(err, "more than"), "%s", err);
}

Test(sip_hdr, uri_tel_and_other_schemes)
{
	cr_assert_eq(uri_parse(&uri, "tel:+1-201-555-0123;phone-context=example.com"), 0, "%s",
		     err);
	cr_expect_eq(uri.scheme, PC_SIP_SCHEME_TEL);
	cr_expect(seq(uri.user, "+1-201-555-0123"));
	cr_expect_eq(uri.nparams, 1);
	cr_expect_eq(uri.host_type, PC_SIP_HOST_NONE);
	cr_assert_eq(uri_parse(&uri, "tel:7042;phone-context=+1-201"), 0, "%s", err);
	cr_expect_eq(uri_parse(&uri, "tel:"), -EBADMSG);
	cr_expect_eq(uri_parse(&uri, "tel:+1 555"), -EBADMSG);
	cr_expect_eq(uri_parse(&uri, "tel:+1555?x=y"), -EBADMSG);
	cr_expect_eq(uri_parse(&uri, "tel:john"), -EBADMSG);

	cr_assert_eq(uri_parse(&uri, "isbn:2983792873"), 0, "%s", err);
	cr_expect_eq(uri.scheme, PC_SIP_SCHEME_OTHER);
	cr_expect(seq(uri.scheme_s, "isbn") && seq(uri.opaque, "2983792873"));
	cr_assert_eq(uri_parse(&uri, "http://www.example.com"), 0, "%s", err);
	cr_assert_eq(uri_parse(&uri, "name:John_Smith"), 0, "%s", err);
	cr_expect_eq(uri_parse(&uri, "http://a b"), -EBADMSG);
	cr_expect_eq(uri_parse(&uri, "http://a<b>"), -EBADMSG);
}

static bool uri_eq(const char *a, const char *b)
{
	cr_assert_eq(uri_parse(&uri, a), 0, "%s: %s", a, err);
	cr_assert_eq(uri_parse(&uri2, b), 0, "%s: %s", b, err);
	bool e1 = pc_sip_uri_equal(&uri, &uri2), e2 = pc_sip_uri_equal(&uri2, &uri);
	cr_expect_eq(e1, e2, "comparison of %s and %s is not symmetric", a, b);
	return e1;
}

/* RFC 3261 19.1.4, the examples given there */
Test(sip_hdr, uri_compare_rfc3261_examples)
{
	cr_expect(uri_eq("sip:%61lice@atlanta.com;transport=TCP",
			 "sip:alice@AtLanTa.CoM;Transport=tcp"));
	cr_expect(uri_eq("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"));
	cr_expect(uri_eq("sip:carol@chicago.com", "sip:carol@chicago.com;security=on"));
	cr_expect(uri_eq("sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on"));
	cr_expect(uri_eq("sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
			 "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com"));
	cr_expect(uri_eq("sip:alice@atlanta.com?subject=project%20x&priority=urgent",
			 "sip:alice@atlanta.com?priority=urgent&subject=project%20x"));

	cr_expect(!uri_eq("SIP:ALICE@AtLanTa.CoM;Transport=udp",
			  "sip:alice@AtLanTa.CoM;Transport=UDP"));
	cr_expect(!uri_eq("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"));
	cr_expect(!uri_eq("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"));
	cr_expect(!uri_eq("sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp"));
	cr_expect(!uri_eq("sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting"));
	cr_expect(!uri_eq("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"));
	cr_expect(
		!uri_eq("sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off"));
}

Test(sip_hdr, uri_compare_more)
{
	cr_expect(!uri_eq("sip:a@h", "sips:a@h"));
	cr_expect(!uri_eq("sip:a:pw@h", "sip:a@h"));
	cr_expect(!uri_eq("sip:a:pw@h", "sip:a:PW@h"));
	cr_expect(uri_eq("sip:a@[2001:DB8::1]", "sip:a@[2001:db8::1]"));
	cr_expect(!uri_eq("sip:h;ttl=1", "sip:h"));
	cr_expect(!uri_eq("sip:h;maddr=1.2.3.4", "sip:h"));
	cr_expect(!uri_eq("sip:h;user=phone", "sip:h"));
	cr_expect(uri_eq("sip:h;lr", "sip:h"));
	cr_expect(uri_eq("sip:h;lr", "sip:h;lr"));
	cr_expect(!uri_eq("sip:h;x", "sip:h;x=1"));
	cr_expect(uri_eq("tel:+1-201-555-0123", "tel:+12015550123"));
	cr_expect(!uri_eq("tel:+12015550123", "tel:+12015550124"));
	cr_expect(uri_eq("isbn:123", "ISBN:123"));
	cr_expect(!uri_eq("http://a", "http://b"));
}

/* ---- quoted strings and name-addr ---- */

Test(sip_hdr, quoted_unescape)
{
	char out[32];
	size_t n;

	cr_assert_eq(pc_sip_quoted_unescape("\"J Rosenberg \\\\\\\"\"", 18, out, sizeof(out), &n),
		     0);
	cr_expect(n == 14 && memcmp(out, "J Rosenberg \\\"", 14) == 0, "%.*s", (int)n, out);
	cr_assert_eq(pc_sip_quoted_unescape("a\\\"b", 4, out, sizeof(out), &n), 0);
	cr_expect(n == 3 && memcmp(out, "a\"b", 3) == 0);
	cr_expect_eq(pc_sip_quoted_unescape("\"abc", 4, out, sizeof(out), &n), -EBADMSG);
	cr_expect_eq(pc_sip_quoted_unescape("\"ab\\\"", 5, out, sizeof(out), &n), -EBADMSG);
	cr_expect_eq(pc_sip_quoted_unescape("\"a\"b\"", 5, out, sizeof(out), &n), -EBADMSG);
	cr_expect_eq(pc_sip_quoted_unescape("ab\\", 3, out, sizeof(out), &n), -EBADMSG);
	cr_expect_eq(pc_sip_quoted_unescape("\"abcd\"", 6, out, 3, &n), -ENOSPC);
	/* a NUL as a quoted-pair (intmeth) */
	cr_assert_eq(pc_sip_quoted_unescape("\"\\\0x\"", 5, out, sizeof(out), &n), 0);
	cr_expect(n == 2 && out[0] == '\0' && out[1] == 'x');
}

static struct pc_sip_name_addr na;

static int na_parse(const char *s)
{
	return pc_sip_name_addr_parse(&na, G(s), strlen(s), err, sizeof(err));
}

Test(sip_hdr, name_addr_forms)
{
	char out[64];
	size_t n;

	/* RFC 4475 wsinv From: quoted display name with \\ and \" escapes, LWS everywhere */
	cr_assert_eq(na_parse("\"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>\r\n  ;\r\n"
			      "  tag = 98asjd8"),
		     0, "%s", err);
	cr_expect(na.quoted && na.angle && !na.star);
	cr_expect(seq(na.display, "J Rosenberg \\\\\\\""));
	cr_assert_eq(pc_sip_quoted_unescape(na.display.p, na.display.len, out, sizeof(out), &n), 0);
	cr_expect(n == 14 && memcmp(out, "J Rosenberg \\\"", 14) == 0);
	cr_expect(seq(na.uri_s, "sip:jdrosen@example.com"));
	cr_expect(na.has_tag && seq(na.tag, "98asjd8"));

	/* lwsdisp: no LWS before < */
	cr_assert_eq(na_parse("caller<sip:caller@example.com>;tag=323"), 0, "%s", err);
	cr_expect(!na.quoted && seq(na.display, "caller") && seq(na.tag, "323"));

	/* addr-spec: the parameters are the header's (RFC 3261 20.10) */
	cr_assert_eq(na_parse("sip:watson@example.com;tag=DkfVgjkrtMwaerKKpe"), 0, "%s", err);
	cr_expect(!na.angle && seq(na.uri_s, "sip:watson@example.com"));
	cr_expect(na.uri.nparams == 0 && seq(na.tag, "DkfVgjkrtMwaerKKpe"));
	cr_assert_eq(na_parse("sip:+19725552222@gw1.example.net;unknownparam"), 0, "%s", err);
	cr_expect(na.uri.nparams == 0 && na.nparams == 1);
	/* name-addr: the parameters inside <> are the URI's */
	cr_assert_eq(na_parse("<sip:+19725552222@gw1.example.net;unknownparam>"), 0, "%s", err);
	cr_expect(na.uri.nparams == 1 && na.nparams == 0);

	/* Contact params */
	cr_assert_eq(na_parse("Bob Smith <sip:bob@192.0.2.4;transport=tcp>;expires=3600;q=0.7;"
			      "+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>\""),
		     0, "%s", err);
	cr_expect(seq(na.display, "Bob Smith"));
	cr_expect_eq(na.expires, 3600);
	cr_expect_eq(na.q, 700);
	cr_expect_eq(na.nparams, 3);
	cr_expect_eq(na.uri.transport, PC_SIP_TRANSPORT_TCP);
	cr_assert_eq(na_parse("<sip:a@b>;q=1.000;expires=99999999999"), 0, "%s", err);
	cr_expect_eq(na.q, 1000);
	cr_expect_eq(na.expires, 4294967295LL);
	cr_assert_eq(na_parse("<sip:a@b>;q=0."), 0, "%s", err);
	cr_expect_eq(na.q, 0);
	/* an addr-spec whose header parameter holds a quoted '<' (RFC 5626 +sip.instance) */
	cr_assert_eq(na_parse("sip:bob@192.0.2.4;+sip.instance=\"<urn:uuid:f81d4fae>\";reg-id=1"),
		     0, "%s", err);
	cr_expect(!na.angle && seq(na.uri_s, "sip:bob@192.0.2.4") && na.nparams == 2);
	cr_expect(na.display.len == 0);
	cr_assert_eq(na_parse("*"), 0, "%s", err);
	cr_expect(na.star);
	cr_assert_eq(na_parse("  <sip:a@[2001:db8::1]:5060>  "), 0, "%s", err);
	cr_expect_eq(na.uri.port, 5060);
	/* unknown schemes are kept (unksm2) */
	cr_assert_eq(na_parse("<http://www.example.com>;tag=3234233"), 0, "%s", err);
	cr_expect_eq(na.uri.scheme, PC_SIP_SCHEME_OTHER);
	cr_assert_eq(na_parse("isbn:2983792873"), 0, "%s", err);
	/* the empty quoted display name */
	cr_assert_eq(na_parse("\"\" <sip:a@b>"), 0, "%s", err);
	cr_expect(na.quoted && na.display.len == 0);
	/* UTF-8 in a quoted display name */
	cr_assert_eq(na_parse("\"\xc3\xa9l\xc3\xa8ve\" <sip:a@b>"), 0, "%s", err);
}

Test(sip_hdr, name_addr_rejections)
{
	cr_expect_eq(na_parse(""), -EBADMSG);
	cr_expect_eq(na_parse("  "), -EBADMSG);
	cr_expect_eq(na_parse("\"unterminated <sip:a@b>"), -EBADMSG);
	cr_expect_eq(na_parse("\"x\" sip:a@b"), -EBADMSG);
	cr_expect_eq(na_parse("<sip:a@b"), -EBADMSG);
	cr_expect_eq(na_parse("a@b <sip:a@b>"), -EBADMSG);   /* baddn */
	cr_expect_eq(na_parse("sip:a@b?Route=x"), -EBADMSG); /* regbadct */
	cr_expect_eq(na_parse("sip:a@b;tag=1 x"), -EBADMSG); /* trailing junk */
	cr_expect_eq(na_parse("<sip:a@b> x"), -EBADMSG);
	cr_expect_eq(na_parse("<sip:a@b>;"), -EBADMSG); /* empty parameter */
	cr_expect_eq(na_parse("<sip:a@b>;;tag=1"), -EBADMSG);
	cr_expect_eq(na_parse("<sip:a@b>;tag"), -EBADMSG);	 /* tag without value */
	cr_expect_eq(na_parse("<sip:a@b>;tag=\"x\""), -EBADMSG); /* tag is a token */
	cr_expect_eq(na_parse("<sip:a@b>;q=1.5"), -ERANGE);
	cr_expect_eq(na_parse("<sip:a@b>;q=2"), -ERANGE);
	cr_expect_eq(na_parse("<sip:a@b>;q=0.1234"), -ERANGE);
	cr_expect_eq(na_parse("<sip:a@b>;expires=-1"), -EBADMSG);
	cr_expect_eq(na_parse("<sip:a@b>;x=\"open"), -EBADMSG);
	cr_expect_eq(na_parse("<sip:a @b>"), -EBADMSG); /* badaspec */
	cr_expect_eq(na_parse("<sip:a@2001:db8::1>"), -EBADMSG);
	cr_expect_eq(na_parse("\"a\\\"<sip:a@b>"), -EBADMSG);
	cr_expect(err[0] && !strchr(err, '\n'));
}

Test(sip_hdr, name_addr_param_limit)
{
	char big[1024];
	int n = snprintf(big, sizeof(big), "<sip:a@b>");

	for (int i = 0; i < PC_SIP_MAX_PARAMS; i++)
		n += snprintf(big + n, sizeof(big) - (size_t)n, ";p%d=%d", i, i);
	cr_assert_eq(na_parse(big), 0, "%s", err);
	snprintf(big + n, sizeof(big) - (size_t)n, ";x");
	cr_expect_eq(na_parse(big), -E2BIG);
}

/* ---- lists ---- */

static int list_all(const char *s, struct pc_sip_slice *elems, unsigned max, unsigned *n)
{
	struct pc_sip_list_iter it;
	struct pc_sip_slice e;
	int rc;

	*n = 0;
	pc_sip_list_init(&it, G(s), strlen(s));
	while ((rc = pc_sip_list_next(&it, &e, err, sizeof(err))) > 0) {
		if (*n < max)
			elems[*n] = e;
		(*n)++;
	}
	/* after the end or an error, it stays there */
	cr_expect_eq(pc_sip_list_next(&it, &e, NULL, 0), 0);
	return rc;
}

Test(sip_hdr, list_iterator)
{
	struct pc_sip_slice e[8];
	unsigned n;

	cr_assert_eq(list_all("\"Doe, John\" <sip:a,b@h;lr>;q=0.5 , sip:c@d,<sip:e@f>", e, 8, &n),
		     0, "%s", err);
	cr_expect_eq(n, 3);
	cr_expect(seq(e[0], "\"Doe, John\" <sip:a,b@h;lr>;q=0.5"));
	cr_expect(seq(e[1], "sip:c@d"));
	cr_expect(seq(e[2], "<sip:e@f>"));
	cr_assert_eq(list_all("INVITE,ACK , BYE\r\n ,CANCEL", e, 8, &n), 0, "%s", err);
	cr_expect_eq(n, 4);
	cr_expect(seq(e[3], "CANCEL"));
	/* quoted-pair with a comma and a quote inside */
	cr_assert_eq(list_all("\"a\\\",b\" <sip:x@y>, <sip:z@w>", e, 8, &n), 0, "%s", err);
	cr_expect_eq(n, 2);
	cr_assert_eq(list_all("   ", e, 8, &n), 0);
	cr_expect_eq(n, 0);
	cr_assert_eq(list_all("*", e, 8, &n), 0);
	cr_expect_eq(n, 1);

	cr_expect_eq(list_all("a,,b", e, 8, &n), -EBADMSG);
	cr_expect(strstr(err, "empty"), "%s", err);
	cr_expect_eq(list_all("a,", e, 8, &n), -EBADMSG);
	cr_expect_eq(list_all(",a", e, 8, &n), -EBADMSG);
	cr_expect_eq(list_all("\"a, b <sip:x@y>", e, 8, &n), -EBADMSG);
	cr_expect_eq(list_all("<sip:x@y, sip:z@w", e, 8, &n), -EBADMSG);

	char big[1024];
	int k = 0;
	for (int i = 0; i < PC_SIP_MAX_LIST; i++)
		k += snprintf(big + k, sizeof(big) - (size_t)k, "%st%d", i ? "," : "", i);
	cr_assert_eq(list_all(big, e, 8, &n), 0, "%s", err);
	cr_expect_eq(n, PC_SIP_MAX_LIST);
	snprintf(big + k, sizeof(big) - (size_t)k, ",x");
	cr_expect_eq(list_all(big, e, 8, &n), -E2BIG);

	cr_expect(pc_sip_list_has_token("100rel, Timer ,replaces", 23, "timer"));
	cr_expect(!pc_sip_list_has_token("100rel, Timer ,replaces", 23, "path"));
	cr_expect(!pc_sip_list_has_token("", 0, "x"));
}

/* ---- Via ---- */

static struct pc_sip_via via;

static int via_parse(const char *s)
{
	return pc_sip_via_parse(&via, G(s), strlen(s), err, sizeof(err));
}

Test(sip_hdr, via_forms)
{
	/* wsinv: LWS and folds around every separator */
	cr_assert_eq(via_parse("SIP  / 2.0  / TCP     spindle.example.com   ;\r\n  branch  =   "
			       "z9hG4bK9ikj8"),
		     0, "%s", err);
	cr_expect(seq(via.protocol, "SIP") && seq(via.version, "2.0"));
	cr_expect_eq(via.transport, PC_SIP_TRANSPORT_TCP);
	cr_expect(seq(via.host, "spindle.example.com"));
	cr_expect_eq(via.port, -1);
	cr_expect(via.has_branch && seq(via.branch, "z9hG4bK9ikj8"));
	cr_expect(pc_sip_via_is_rfc3261(&via));

	/* RFC 5118: IPv6 sent-by, received without and with brackets, rport with no value */
	cr_assert_eq(via_parse("SIP/2.0/UDP [2001:db8::9:1]:5070;received=2001:db8::9:255;"
			       "branch=z9hG4bKas3;rport"),
		     0, "%s", err);
	cr_expect_eq(via.host_type, PC_SIP_HOST_IPV6);
	cr_expect(seq(via.host, "2001:db8::9:1"));
	cr_expect_eq(via.port, 5070);
	cr_expect(via.has_received && seq(via.received, "2001:db8::9:255"));
	cr_expect(via.has_rport && via.rport == -1);
	cr_assert_eq(via_parse("SIP/2.0/UDP [2001:db8::9:1];received=[2001:db8::9:255];"
			       "branch=z9hG4bKas3;rport=5061;maddr=224.2.0.1;ttl=16"),
		     0, "%s", err);
	cr_expect(seq(via.received, "[2001:db8::9:255]"));
	cr_expect_eq(via.rport, 5061);
	cr_expect(seq(via.maddr, "224.2.0.1"));
	cr_expect_eq(via.ttl, 16);
	cr_expect_eq(via.nparams, 5);

	cr_assert_eq(via_parse("SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKasudf"), 0, "%s",
		     err);
	cr_expect_eq(via.transport, PC_SIP_TRANSPORT_WSS);
	cr_assert_eq(via_parse("SIP/2.0/SCTP 192.0.2.1:5060;branch=x"), 0, "%s", err);
	cr_expect_eq(via.transport, PC_SIP_TRANSPORT_SCTP);
	cr_expect_eq(via.host_type, PC_SIP_HOST_IPV4);
	cr_expect(!pc_sip_via_is_rfc3261(&via));
	cr_assert_eq(via_parse("SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en"), 0, "%s",
		     err);
	cr_expect_eq(via.transport, PC_SIP_TRANSPORT_OTHER);
	cr_expect(seq(via.transport_s, "UNKNOWN"));
	cr_assert_eq(via_parse("sip/2.0/udp h : 5060 ; received=192.0.2.1 ; x=\"q\""), 0, "%s",
		     err);
	cr_expect_eq(via.transport, PC_SIP_TRANSPORT_UDP);
	cr_expect_eq(via.port, 5060);
	cr_expect(!via.has_branch);
	/* badbranch: the cookie alone */
	cr_assert_eq(via_parse("SIP/2.0/UDP h;branch=z9hG4bK"), 0, "%s", err);
	cr_expect(pc_sip_via_is_rfc3261(&via));
}

Test(sip_hdr, via_rejections)
{
	cr_expect_eq(via_parse(""), -EBADMSG);
	cr_expect_eq(via_parse("SIP/2.0 h"), -EBADMSG);
	cr_expect_eq(via_parse("SIP/2.0/UDP"), -EBADMSG);
	cr_expect_eq(via_parse("SIP/2.0/UDPh"), -EBADMSG);
	cr_expect_eq(via_parse("SIP//UDP h"), -EBADMSG);
	cr_expect_eq(via_parse("SIP/2.0/UDP h;branch="), -EBADMSG);
	cr_expect_eq(via_parse("SIP/2.0/UDP h;;branch=1"), -EBADMSG);
	cr_expect_eq(via_parse("SIP/2.0/UDP h;"), -EBADMSG);
	cr_expect_eq(via_parse("SIP/2.0/UDP h:70000"), -ERANGE);
	cr_expect_eq(via_parse("SIP/2.0/UDP h:"), -EBADMSG);
	cr_expect_eq(via_parse("SIP/2.0/UDP h;rport=65536"), -ERANGE);
	cr_expect_eq(via_parse("SIP/2.0/UDP h;rport=x"), -EBADMSG);
	cr_expect_eq(via_parse("SIP/2.0/UDP h;ttl=256"), -ERANGE);
	cr_expect_eq(via_parse("SIP/2.0/UDP h;received=example.com"), -EBADMSG);
	cr_expect_eq(via_parse("SIP/2.0/UDP h;received=1.2.3"), -EBADMSG);
	cr_expect_eq(via_parse("SIP/2.0/UDP 2001:db8::1;branch=x"), -EBADMSG);
	cr_expect_eq(via_parse("SIP/2.0/UDP [2001:db8::1;branch=x"), -EBADMSG);
	cr_expect_eq(via_parse("SIP/2.0/UDP h x"), -EBADMSG);
	cr_expect_eq(via_parse("SIP/2.0/UDP h;branch=\"z9hG4bK\""), -EBADMSG);
	cr_expect(err[0] && !strchr(err, '\n'));
}

/* ---- numbers and the simple headers ---- */

Test(sip_hdr, cseq_rack_delta)
{
	struct pc_sip_slice m;
	uint32_t a, b;

	cr_assert_eq(pc_sip_cseq_parse(G("0009\r\n  INVITE"), 14, &a, &m, err, sizeof(err)), 0,
		     "%s", err);
	cr_expect(a == 9 && seq(m, "INVITE"));
	cr_assert_eq(pc_sip_cseq_parse(G("2147483647 ACK "), 15, &a, &m, err, sizeof(err)), 0);
	cr_expect(a == 2147483647u && seq(m, "ACK"));
	cr_expect_eq(pc_sip_cseq_parse(G("2147483648 ACK"), 14, &a, &m, err, sizeof(err)), -ERANGE);
	cr_expect_eq(pc_sip_cseq_parse(G("1INVITE"), 7, &a, &m, err, sizeof(err)), -EBADMSG);
	cr_expect_eq(pc_sip_cseq_parse(G("1 "), 2, &a, &m, err, sizeof(err)), -EBADMSG);
	cr_expect_eq(pc_sip_cseq_parse(G("INVITE"), 6, &a, &m, err, sizeof(err)), -EBADMSG);
	cr_expect_eq(pc_sip_cseq_parse(G("1 IN VITE"), 9, &a, &m, err, sizeof(err)), -EBADMSG);

	cr_assert_eq(pc_sip_rack_parse(G("776656 1 INVITE"), 15, &a, &b, &m, err, sizeof(err)), 0,
		     "%s", err);
	cr_expect(a == 776656 && b == 1 && seq(m, "INVITE"));
	cr_expect_eq(pc_sip_rack_parse(G("776656 INVITE"), 13, &a, &b, &m, err, sizeof(err)),
		     -EBADMSG);

	cr_assert_eq(pc_sip_delta_parse(G(" 3600 "), 6, UINT32_MAX, &a, err, sizeof(err)), 0);
	cr_expect_eq(a, 3600);
	cr_assert_eq(pc_sip_delta_parse(G("99999999999"), 11, UINT32_MAX, &a, err, sizeof(err)), 0);
	cr_expect_eq(a, UINT32_MAX);
	cr_expect_eq(pc_sip_delta_parse(G("2147483648"), 10, 0x7fffffff, &a, err, sizeof(err)),
		     -ERANGE);
	cr_expect_eq(pc_sip_delta_parse(G(""), 0, UINT32_MAX, &a, err, sizeof(err)), -EBADMSG);
	cr_expect_eq(pc_sip_delta_parse(G("-1"), 2, UINT32_MAX, &a, err, sizeof(err)), -EBADMSG);
	cr_expect_eq(pc_sip_delta_parse(G("1 2"), 3, UINT32_MAX, &a, err, sizeof(err)), -EBADMSG);
}

Test(sip_hdr, session_timers)
{
	struct pc_sip_session_expires se;
	const char *s;

	s = G("4000;refresher=uac");
	cr_assert_eq(pc_sip_session_expires_parse(&se, s, glen, err, sizeof(err)), 0, "%s", err);
	cr_expect(se.delta == 4000 && se.refresher == PC_SIP_REFRESHER_UAC);
	s = G(" 90 ; refresher = UAS ; x");
	cr_assert_eq(pc_sip_session_expires_parse(&se, s, glen, err, sizeof(err)), 0, "%s", err);
	cr_expect(se.delta == 90 && se.refresher == PC_SIP_REFRESHER_UAS && se.nparams == 2);
	s = G("1800");
	cr_assert_eq(pc_sip_session_expires_parse(&se, s, glen, err, sizeof(err)), 0);
	cr_expect(se.delta == 1800 && se.refresher == PC_SIP_REFRESHER_NONE);
	s = G("4000;refresher=proxy");
	cr_expect_eq(pc_sip_session_expires_parse(&se, s, glen, err, sizeof(err)), -EBADMSG);
	s = G(";refresher=uac");
	cr_expect_eq(pc_sip_session_expires_parse(&se, s, glen, err, sizeof(err)), -EBADMSG);
	s = G("40x");
	cr_expect_eq(pc_sip_session_expires_parse(&se, s, glen, err, sizeof(err)), -EBADMSG);
}

Test(sip_hdr, event_and_subscription_state)
{
	struct pc_sip_event ev;
	struct pc_sip_substate_hdr ss;
	const char *s;

	s = G("refer;id=93809824");
	cr_assert_eq(pc_sip_event_parse(&ev, s, glen, err, sizeof(err)), 0, "%s", err);
	cr_expect(seq(ev.package, "refer") && ev.has_id && seq(ev.id, "93809824"));
	s = G("presence.winfo");
	cr_assert_eq(pc_sip_event_parse(&ev, s, glen, err, sizeof(err)), 0, "%s", err);
	cr_expect(seq(ev.package, "presence.winfo") && !ev.has_id);
	s = G(";id=1");
	cr_expect_eq(pc_sip_event_parse(&ev, s, glen, err, sizeof(err)), -EBADMSG);
	s = G("refer;id");
	cr_expect_eq(pc_sip_event_parse(&ev, s, glen, err, sizeof(err)), -EBADMSG);
	s = G("refer id");
	cr_expect_eq(pc_sip_event_parse(&ev, s, glen, err, sizeof(err)), -EBADMSG);

	s = G("active;expires=60");
	cr_assert_eq(pc_sip_substate_parse(&ss, s, glen, err, sizeof(err)), 0, "%s", err);
	cr_expect(ss.state == PC_SIP_SUBSTATE_ACTIVE && ss.expires == 60 && ss.retry_after == -1);
	s = G("terminated;reason=noresource;retry-after=30");
	cr_assert_eq(pc_sip_substate_parse(&ss, s, glen, err, sizeof(err)), 0, "%s", err);
	cr_expect(ss.state == PC_SIP_SUBSTATE_TERMINATED && seq(ss.reason, "noresource") &&
		  ss.retry_after == 30 && ss.expires == -1);
	s = G("Pending");
	cr_assert_eq(pc_sip_substate_parse(&ss, s, glen, err, sizeof(err)), 0);
	cr_expect_eq(ss.state, PC_SIP_SUBSTATE_PENDING);
	s = G("x-later");
	cr_assert_eq(pc_sip_substate_parse(&ss, s, glen, err, sizeof(err)), 0);
	cr_expect_eq(ss.state, PC_SIP_SUBSTATE_OTHER);
	s = G("active;expires=soon");
	cr_expect_eq(pc_sip_substate_parse(&ss, s, glen, err, sizeof(err)), -EBADMSG);
}

/* ---- Replaces and Refer-To (RFC 3891) ---- */

Test(sip_hdr, replaces)
{
	struct pc_sip_replaces rp;
	const char *s;

	s = G("425928@bobster.example.org;to-tag=7743;from-tag=6472;early-only");
	cr_assert_eq(pc_sip_replaces_parse(&rp, s, glen, err, sizeof(err)), 0, "%s", err);
	cr_expect(seq(rp.call_id, "425928@bobster.example.org"));
	cr_expect(seq(rp.to_tag, "7743") && seq(rp.from_tag, "6472") && rp.early_only);
	s = G("98732@sip.example.com ; from-tag = r33th4x0r ; to-tag = ff87ff");
	cr_assert_eq(pc_sip_replaces_parse(&rp, s, glen, err, sizeof(err)), 0, "%s", err);
	cr_expect(seq(rp.to_tag, "ff87ff") && !rp.early_only);

	s = G("425928@bobster.example.org;to-tag=7743");
	cr_expect_eq(pc_sip_replaces_parse(&rp, s, glen, err, sizeof(err)), -EBADMSG);
	cr_expect(strstr(err, "from-tag"), "%s", err);
	s = G("a;to-tag=1;from-tag=2;to-tag=3");
	cr_expect_eq(pc_sip_replaces_parse(&rp, s, glen, err, sizeof(err)), -EBADMSG);
	s = G(";to-tag=1;from-tag=2");
	cr_expect_eq(pc_sip_replaces_parse(&rp, s, glen, err, sizeof(err)), -EBADMSG);
	s = G("a@;to-tag=1;from-tag=2");
	cr_expect_eq(pc_sip_replaces_parse(&rp, s, glen, err, sizeof(err)), -EBADMSG);
	s = G("a;to-tag=1;from-tag=2;early-only=yes");
	cr_expect_eq(pc_sip_replaces_parse(&rp, s, glen, err, sizeof(err)), -EBADMSG);
}

Test(sip_hdr, refer_to_with_replaces)
{
	struct pc_sip_refer_to rt;
	char scratch[128];
	const char *s;

	/* RFC 3891 section 6.1 / RFC 5589 example */
	s = G("<sip:dave@denver.example.org?Replaces=12345%40192.168.118.3%3Bto-tag%3D12345%3Bfrom-"
	      "tag%3D5FFE-3994>");
	cr_assert_eq(pc_sip_refer_to_parse(&rt, s, glen, scratch, sizeof(scratch), err,
					   sizeof(err)),
		     0, "%s", err);
	cr_expect(seq(rt.target.uri.user, "dave"));
	cr_expect(rt.has_replaces);
	cr_expect(seq(rt.replaces.call_id, "12345@192.168.118.3"));
	cr_expect(seq(rt.replaces.to_tag, "12345") && seq(rt.replaces.from_tag, "5FFE-3994"));
	cr_expect(rt.replaces.call_id.p >= scratch && rt.replaces.call_id.p < scratch + 128);

	/* too small a scratch buffer */
	cr_expect_eq(pc_sip_refer_to_parse(&rt, s, glen, scratch, 10, err, sizeof(err)), -ENOSPC);
	/* without Replaces; addr-spec form */
	s = G("sip:carol@chicago.example.com;method=INVITE");
	cr_assert_eq(pc_sip_refer_to_parse(&rt, s, glen, scratch, sizeof(scratch), err,
					   sizeof(err)),
		     0, "%s", err);
	cr_expect(!rt.has_replaces && rt.target.nparams == 1);
	/* a Replaces that does not parse */
	s = G("<sip:d@h?Replaces=abc%3Bto-tag%3D1>");
	cr_expect_eq(pc_sip_refer_to_parse(&rt, s, glen, scratch, sizeof(scratch), err,
					   sizeof(err)),
		     -EBADMSG);
	s = G("<sip:d@h?Replaces=abc%3>");
	cr_expect_eq(pc_sip_refer_to_parse(&rt, s, glen, scratch, sizeof(scratch), err,
					   sizeof(err)),
		     -EBADMSG);
	s = G("*");
	cr_expect_eq(pc_sip_refer_to_parse(&rt, s, glen, scratch, sizeof(scratch), err,
					   sizeof(err)),
		     -EBADMSG);
}

/* ---- message-level helpers ---- */

static const char invite[] =
	"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
	"Via: SIP/2.0/TLS client.atlanta.example.com:5061;branch=z9hG4bK74bf9;rport\r\n"
	"v: SIP/2.0/UDP 192.0.2.7;received=192.0.2.8;branch=z9hG4bK2, SIP/2.0/TCP [::1]\r\n"
	"Max-Forwards: 70\r\n"
	"Route: <sip:p1.example.com;lr>,\r\n <sip:p2.example.com;lr>\r\n"
	"Route: <sip:p3.example.com;lr>\r\n"
	"From: \"Alice\" <sips:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
	"t: Bob <sips:bob@biloxi.example.com>\r\n"
	"Call-ID: 3848276298220188511@atlanta.example.com\r\n"
	"CSeq: 1 INVITE\r\n"
	"m: <sips:alice@client.atlanta.example.com;transport=tcp>;expires=60\r\n"
	"Content-Length: 0\r\n\r\n";

Test(sip_hdr, message_helpers)
{
	static struct pc_sip_msg msg;
	struct pc_sip_hdr_iter it;
	struct pc_sip_slice e;
	const char *routes[3] = { "p1.example.com", "p2.example.com", "p3.example.com" };
	unsigned n = 0;
	int rc;

	cr_assert_eq(pc_sip_msg_parse(&msg, G(invite), strlen(invite), err, sizeof(err)), 0, "%s",
		     err);
	/* Given the message, the transaction layer's view of the top Via */
	cr_assert_eq(pc_sip_msg_top_via(&msg, &via, err, sizeof(err)), 0, "%s", err);
	cr_expect(seq(via.branch, "z9hG4bK74bf9") && via.transport == PC_SIP_TRANSPORT_TLS);
	cr_expect(seq(via.host, "client.atlanta.example.com") && via.port == 5061 && via.has_rport);
	/* every Via, in order, across header lines */
	pc_sip_hdr_iter_init(&it, &msg, PC_SIP_HDR_VIA);
	while ((rc = pc_sip_hdr_iter_next(&it, &e, err, sizeof(err))) > 0) {
		cr_assert_eq(pc_sip_via_parse(&via, e.p, e.len, err, sizeof(err)), 0, "%s", err);
		n++;
	}
	cr_expect_eq(rc, 0);
	cr_expect_eq(n, 3);
	cr_expect_eq(via.host_type, PC_SIP_HOST_IPV6);
	/* the dialog layer's: tags, the Contact URI, the route set */
	cr_assert_eq(pc_sip_msg_name_addr(&msg, PC_SIP_HDR_FROM, &na, err, sizeof(err)), 0);
	cr_expect(seq(na.tag, "9fxced76sl") && na.uri.scheme == PC_SIP_SCHEME_SIPS);
	cr_assert_eq(pc_sip_msg_name_addr(&msg, PC_SIP_HDR_TO, &na, err, sizeof(err)), 0);
	cr_expect(!na.has_tag && seq(na.display, "Bob"));
	cr_assert_eq(pc_sip_msg_name_addr(&msg, PC_SIP_HDR_CONTACT, &na, err, sizeof(err)), 0);
	cr_expect(seq(na.uri.host, "client.atlanta.example.com") && na.expires == 60);
	cr_expect_eq(pc_sip_msg_name_addr(&msg, PC_SIP_HDR_REFER_TO, &na, err, sizeof(err)),
		     -ENOENT);
	n = 0;
	pc_sip_hdr_iter_init(&it, &msg, PC_SIP_HDR_ROUTE);
	while ((rc = pc_sip_hdr_iter_next(&it, &e, err, sizeof(err))) > 0) {
		cr_assert_eq(pc_sip_name_addr_parse(&na, e.p, e.len, err, sizeof(err)), 0);
		cr_assert_lt(n, 3);
		cr_expect(seq(na.uri.host, routes[n]) && na.uri.lr);
		n++;
	}
	cr_expect_eq(n, 3);
	pc_sip_hdr_iter_init(&it, &msg, PC_SIP_HDR_RECORD_ROUTE);
	cr_expect_eq(pc_sip_hdr_iter_next(&it, &e, err, sizeof(err)), 0);
}

/* Every torture message that parses: its Request-URI, every Via, From, To, Contact, Route and
 * Record-Route element goes through the header grammar (parse verdicts are in EXPECTED.tsv;
 * these are the "ok" files, whose values are all well-formed save the ones listed). */
Test(sip_hdr, torture_header_values)
{
	/* values that are legal for the message parser (which does not look inside them) but
	 * that this grammar rejects, each for a reason the RFCs give */
	static const char *const known_bad[] = {
		NULL,
	};
	static struct pc_sip_msg msg;
	static const enum pc_sip_hdr_id ids[] = { PC_SIP_HDR_VIA,   PC_SIP_HDR_CONTACT,
						  PC_SIP_HDR_ROUTE, PC_SIP_HDR_RECORD_ROUTE,
						  PC_SIP_HDR_FROM,  PC_SIP_HDR_TO };
	char line[512], path[1024];
	unsigned nvals = 0, nfiles = 0, nbad = 0;
	struct stat st;
	FILE *tsv;

	(void)known_bad;
	if (stat(PC_TEST_SIP_DATA "/EXPECTED.tsv", &st) != 0)
		cr_skip_test("no SIP torture data at " PC_TEST_SIP_DATA);
	tsv = fopen(PC_TEST_SIP_DATA "/EXPECTED.tsv", "r");
	cr_assert_not_null(tsv);
	while (fgets(line, sizeof(line), tsv)) {
		char *file, *verdict, *save, *data;
		struct guarded g;
		size_t len;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		file = strtok_r(line, "\t\n", &save);
		verdict = strtok_r(NULL, "\t\n", &save);
		snprintf(path, sizeof(path), "%s/%s", PC_TEST_SIP_DATA, file);
		data = read_all(path, &len);
		cr_assert_not_null(data);
		guarded_init(&g, data, len);
		if (pc_sip_msg_parse(&msg, g.buf, len, err, sizeof(err)) == 0 &&
		    strcmp(verdict, "ok") == 0) {
			nfiles++;
			if (msg.is_request) {
				nvals++;
				if (pc_sip_uri_parse(&uri, msg.uri.p, msg.uri.len, err,
						     sizeof(err)) < 0) {
					nbad++;
					cr_expect_fail("%s: Request-URI: %s", file, err);
				}
			}
			for (size_t k = 0; k < sizeof(ids) / sizeof(ids[0]); k++) {
				struct pc_sip_hdr_iter it;
				struct pc_sip_slice e;
				int rc;

				if (ids[k] == PC_SIP_HDR_FROM || ids[k] == PC_SIP_HDR_TO) {
					nvals++;
					rc = pc_sip_msg_name_addr(&msg, ids[k], &na, err,
								  sizeof(err));
					if (rc < 0) {
						nbad++;
						cr_expect_fail("%s: %s: %s", file,
							       pc_sip_hdr_name(ids[k]), err);
					}
					continue;
				}
				pc_sip_hdr_iter_init(&it, &msg, ids[k]);
				while ((rc = pc_sip_hdr_iter_next(&it, &e, err, sizeof(err))) > 0) {
					nvals++;
					rc = ids[k] == PC_SIP_HDR_VIA ?
						     pc_sip_via_parse(&via, e.p, e.len, err,
								      sizeof(err)) :
						     pc_sip_name_addr_parse(&na, e.p, e.len, err,
									    sizeof(err));
					if (rc < 0)
						break;
				}
				if (rc < 0) {
					nbad++;
					cr_expect_fail("%s: %s: %s", file, pc_sip_hdr_name(ids[k]),
						       err);
				}
			}
		}
		guarded_fini(&g);
		free(data);
	}
	fclose(tsv);
	cr_expect_gt(nfiles, 30, "only %u ok files", nfiles);
	cr_expect_gt(nvals, 150, "only %u values", nvals);
	cr_expect_eq(nbad, 0);
}
