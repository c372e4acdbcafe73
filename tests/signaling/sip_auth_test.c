/* SPDX-License-Identifier: MIT */
/*
 * sip_auth_test.c - SIP digest authentication (signaling/pc_sip_auth.h): the known answers of
 * RFC 2617 3.5 and RFC 7616 3.9.1, SHA-512-256, -sess and auth-int answers computed outside
 * (openssl dgst, commands next to each vector), nonce counting, stale, the choice among
 * challenges, escapes, userhash, the server's check, and malformed values (each parsed at the
 * end of a page followed by an inaccessible one).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pc_sip_auth.h"
#include "sip_test_pvt.h"

#define S(lit) ((struct pc_sip_slice){ (lit), sizeof(lit) - 1 })
#define NONE ((struct pc_sip_slice){ NULL, 0 })

static char err[PC_SIP_ERR_MAX];
static char out[1024];

/* A cnonce source that hands out the string given as @arg. */
static int fixed_cnonce(void *arg, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s", (const char *)arg);

	return n < 0 || (size_t)n >= size ? -ENOSPC : 0;
}

static bool slice_is(struct pc_sip_slice s, const char *want)
{
	return s.p && s.len == strlen(want) && memcmp(s.p, want, s.len) == 0;
}

/* Parses @s from a guarded copy; the view is used only while @g is mapped. */
static int ch_parse(struct guarded *g, const char *s, struct pc_sip_auth_challenge *ch)
{
	guarded_init(g, s, strlen(s));
	return pc_sip_auth_challenge_parse(ch, g->buf, strlen(s), err, sizeof(err));
}

static int cr_parse(struct guarded *g, const char *s, struct pc_sip_auth_credentials *cr)
{
	guarded_init(g, s, strlen(s));
	return pc_sip_auth_credentials_parse(cr, g->buf, strlen(s), err, sizeof(err));
}

/* The value of parameter @name in a printed header (up to the next ", " or the end). */
static const char *param_of(const char *hdr, const char *name, char *buf, size_t len)
{
	char key[32];
	const char *p, *e;

	snprintf(key, sizeof(key), "%s=", name);
	p = strstr(hdr, key);
	while (p && p != hdr + 7 && p[-1] != ' ')
		p = strstr(p + 1, key);
	if (!p)
		return "";
	p += strlen(key);
	e = strstr(p, ", ");
	if (!e)
		e = p + strlen(p);
	snprintf(buf, len, "%.*s", (int)(e - p), p);
	return buf;
}

static const struct pc_sip_auth_account mufasa2617 = { S("Mufasa"), S("Circle Of Life") };
static const struct pc_sip_auth_account mufasa7616 = { S("Mufasa"), S("Circle of Life") };
static const struct pc_sip_auth_account alice = { S("alice"), S("secret") };

Test(sip_auth, rfc2617_example)
{
	/* Given the RFC 2617 3.5 challenge and a client whose cnonce is the RFC's */
	static const char chs[] =
		"Digest\r\n realm=\"testrealm@host.com\",\r\n\tqop=\"auth,auth-int\","
		" nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\","
		" opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";
	struct pc_sip_auth_challenge ch;
	struct pc_sip_auth_credentials cr;
	struct pc_sip_auth_client *c;
	struct guarded g, g2;
	char v[128];
	size_t n;

	cr_assert_eq(ch_parse(&g, chs, &ch), 0, "%s", err);
	cr_expect_str_eq(err, "");
	cr_expect(slice_is(ch.realm, "testrealm@host.com"));
	cr_expect(slice_is(ch.opaque, "5ccc069c403ebaf9f0171e9517f40e41"));
	cr_expect_eq(ch.qop, PC_SIP_AUTH_QOP_AUTH | PC_SIP_AUTH_QOP_AUTH_INT);
	cr_expect_eq(ch.alg, PC_SIP_AUTH_MD5);
	cr_expect_null(ch.algorithm.p);
	cr_expect_not(ch.stale);
	cr_assert_eq(pc_sip_auth_client_create(&c, fixed_cnonce, "0a4f113b"), 0);

	/* When it answers GET /dir/index.html */
	cr_assert_eq(pc_sip_auth_client_authorize(c, &ch, &mufasa2617, S("GET"),
						  S("/dir/index.html"), NONE, 0, out, sizeof(out),
						  &n),
		     0);

	/* Then the response is the RFC's, with qop=auth, nc=00000001, the opaque echoed */
	cr_expect_eq(n, strlen(out));
	cr_expect_str_eq(param_of(out, "response", v, sizeof(v)),
			 "\"6629fae49393a05397450978507c4ef1\"", "%s", out);
	cr_expect_str_eq(param_of(out, "qop", v, sizeof(v)), "auth");
	cr_expect_str_eq(param_of(out, "nc", v, sizeof(v)), "00000001");
	cr_expect_str_eq(param_of(out, "cnonce", v, sizeof(v)), "\"0a4f113b\"");
	cr_expect_str_eq(param_of(out, "opaque", v, sizeof(v)),
			 "\"5ccc069c403ebaf9f0171e9517f40e41\"");
	cr_expect_str_eq(param_of(out, "algorithm", v, sizeof(v)), "", "no algorithm was offered");
	/* and it parses back and verifies with the password, not with another */
	cr_assert_eq(cr_parse(&g2, out, &cr), 0, "%s: %s", out, err);
	cr_expect_eq(cr.nc, 1);
	cr_expect_eq(pc_sip_auth_verify(&cr, S("GET"), NONE, &mufasa2617, err, sizeof(err)), 0,
		     "%s", err);
	cr_expect_eq(pc_sip_auth_verify(&cr, S("GET"), NONE, &mufasa7616, err, sizeof(err)),
		     -EACCES);
	cr_expect_str_eq(err, "response differs");
	cr_expect_eq(pc_sip_auth_verify(&cr, S("POST"), NONE, &mufasa2617, NULL, 0), -EACCES);
	guarded_fini(&g2);
	guarded_fini(&g);
	pc_sip_auth_client_destroy(c);
}

Test(sip_auth, rfc2617_credentials_verify)
{
	/* Given the Authorization of RFC 2617 3.5, folded, response in upper case */
	static const char crs[] =
		"Digest username=\"Mufasa\",\r\n realm=\"testrealm@host.com\","
		"nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\","
		"qop=auth,nc=00000001,cnonce=\"0a4f113b\","
		"response=\"6629FAE49393A05397450978507C4EF1\","
		"opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";
	struct pc_sip_auth_credentials cr;
	struct pc_sip_auth_account other = { S("Simba"), S("Circle Of Life") };
	struct guarded g;

	/* When parsed and verified */
	cr_assert_eq(cr_parse(&g, crs, &cr), 0, "%s", err);
	/* Then every field is found and the check passes for Mufasa only */
	cr_expect(slice_is(cr.username, "Mufasa"));
	cr_expect(slice_is(cr.uri, "/dir/index.html"));
	cr_expect(slice_is(cr.cnonce, "0a4f113b"));
	cr_expect_eq(cr.qop, PC_SIP_AUTH_QOP_IS_AUTH);
	cr_expect_eq(cr.nc, 1);
	cr_expect_eq(pc_sip_auth_verify(&cr, S("GET"), NONE, &mufasa2617, err, sizeof(err)), 0,
		     "%s", err);
	cr_expect_eq(pc_sip_auth_verify(&cr, S("GET"), NONE, &other, err, sizeof(err)), -EACCES);
	cr_expect_str_eq(err, "username differs");
	guarded_fini(&g);
}

Test(sip_auth, rfc7616_md5_and_sha256)
{
	static const char *const chs[] = {
		"Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", algorithm=SHA-256, "
		"nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", "
		"opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"",
		"Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", algorithm=MD5, "
		"nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", "
		"opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"",
	};
	static const char *const want[] = {
		"\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\"",
		"\"8ca523f5e9506fed4657c9700eebdbec\"",
	};
	static const char *const alg[] = { "SHA-256", "MD5" };
	char cn[] = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
	char v[128];

	for (unsigned i = 0; i < 2; i++) {
		struct pc_sip_auth_client *c;
		struct pc_sip_auth_challenge ch;
		struct pc_sip_auth_credentials cr;
		struct guarded g, g2;

		/* Given each challenge of RFC 7616 3.9.1 (the same nonce: a client each, or the
		 * second would count 2) */
		cr_assert_eq(ch_parse(&g, chs[i], &ch), 0, "%s", err);
		cr_assert_eq(pc_sip_auth_client_create(&c, fixed_cnonce, cn), 0);
		/* When answered with the RFC's cnonce */
		cr_assert_eq(pc_sip_auth_client_authorize(c, &ch, &mufasa7616, S("GET"),
							  S("/dir/index.html"), NONE, 0, out,
							  sizeof(out), NULL),
			     0);
		/* Then the response is the RFC's, the algorithm named as there */
		cr_expect_str_eq(param_of(out, "response", v, sizeof(v)), want[i], "%s", out);
		cr_expect_str_eq(param_of(out, "algorithm", v, sizeof(v)), alg[i]);
		cr_expect_str_eq(param_of(out, "nc", v, sizeof(v)), "00000001");
		cr_assert_eq(cr_parse(&g2, out, &cr), 0, "%s", err);
		cr_expect_eq(pc_sip_auth_verify(&cr, S("GET"), NONE, &mufasa7616, err, sizeof(err)),
			     0, "%s", err);
		guarded_fini(&g2);
		guarded_fini(&g);
		pc_sip_auth_client_destroy(c);
	}
}

Test(sip_auth, compute_known_answers)
{
	/* Given inputs whose answers were computed with openssl dgst (commands in comments) */
	struct pc_sip_auth_digest_in in = {
		.username = S("alice"),
		.realm = S("atlanta.com"),
		.password = S("secret"),
		.nonce = S("abc123"),
		.cnonce = S("0a4f113b"),
		.nc = 1,
		.method = S("REGISTER"),
		.uri = S("sip:atlanta.com"),
	};
	char hex[PC_SIP_AUTH_HEX_MAX];
	static const struct {
		enum pc_sip_auth_alg alg;
		enum pc_sip_auth_qop qop;
		uint32_t nc;
		const char *body;
		const char *want;
	} v[] = {
		/* h(){ printf '%s' "$2" | openssl dgst -$1 -r | cut -d' ' -f1; }; A=sha512-256
		 * HA1=$(h $A 'alice:atlanta.com:secret'); HA2=$(h $A 'REGISTER:sip:atlanta.com')
		 * h $A "$HA1:abc123:00000001:0a4f113b:auth:$HA2" */
		{ PC_SIP_AUTH_SHA512_256, PC_SIP_AUTH_QOP_IS_AUTH, 1, NULL,
		  "2e71024525a3209c63163002bc7e7c1d133cb1496bf9b772e7bb96b753adbe03" },
		/* HA1s=$(h $A "$HA1:abc123:0a4f113b"); h $A "$HA1s:abc123:00000001:0a4f113b:auth:$HA2" */
		{ PC_SIP_AUTH_SHA512_256_SESS, PC_SIP_AUTH_QOP_IS_AUTH, 1, NULL,
		  "25540434ee0773b218a238b52c500c843dc74806c71d9c76f642dbe9f12fbc73" },
		/* HB=$(h $A 'v=0<LF>'); HA2i=$(h $A "REGISTER:sip:atlanta.com:$HB")
		 * h $A "$HA1:abc123:00000002:0a4f113b:auth-int:$HA2i" */
		{ PC_SIP_AUTH_SHA512_256, PC_SIP_AUTH_QOP_IS_AUTH_INT, 2, "v=0\n",
		  "e4596c41cb3c20658b985ba9928aa3a8421b9ac2c9e8d2eedb54af66c1da078c" },
		/* M=md5: h $M "$HA1:abc123:$HA2" (RFC 2069 form, no qop) */
		{ PC_SIP_AUTH_MD5, PC_SIP_AUTH_QOP_NONE, 0, NULL,
		  "73911d626f4c576c44172b876078273b" },
		/* HA1s=$(h $M "$HA1:abc123:0a4f113b"); h $M "$HA1s:abc123:00000001:0a4f113b:auth:$HA2" */
		{ PC_SIP_AUTH_MD5_SESS, PC_SIP_AUTH_QOP_IS_AUTH, 1, NULL,
		  "5cbd1636d67701fd2fbdc0ccd00c359f" },
		/* S=sha256, HB=$(h $S ''), auth-int of an empty body */
		{ PC_SIP_AUTH_SHA256, PC_SIP_AUTH_QOP_IS_AUTH_INT, 1, "",
		  "b2fcf7602252d19865832fce09d4241aa69a746aefe8099148cdcc1cd70bbe5d" },
	};

	for (unsigned i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		in.alg = v[i].alg;
		in.qop = v[i].qop;
		in.nc = v[i].nc;
		in.body = v[i].body ? (struct pc_sip_slice){ v[i].body, strlen(v[i].body) } : NONE;
		/* When computed */
		cr_assert_eq(pc_sip_auth_compute(&in, hex), 0, "vector %u", i);
		/* Then the answer is the independent one */
		cr_expect_str_eq(hex, v[i].want, "vector %u (%s)", i,
				 pc_sip_auth_alg_name(v[i].alg));
	}
	/* An unknown algorithm or qop is refused */
	in.alg = PC_SIP_AUTH_ALG_UNKNOWN;
	cr_expect_eq(pc_sip_auth_compute(&in, hex), -ENOTSUP);
	in.alg = PC_SIP_AUTH_MD5;
	in.qop = PC_SIP_AUTH_QOP_OTHER;
	cr_expect_eq(pc_sip_auth_compute(&in, hex), -ENOTSUP);
}

Test(sip_auth, sha512_256_client_and_server)
{
	/* Given a SHA-512-256 challenge with auth-int only, and a body */
	static const char chs[] = "Digest realm=\"atlanta.com\", nonce=\"abc123\", "
				  "algorithm=sha-512-256, qop=\"auth-int\"";
	struct pc_sip_auth_challenge ch;
	struct pc_sip_auth_credentials cr;
	struct pc_sip_auth_client *c;
	struct guarded g, g2;
	char v[128];

	cr_assert_eq(ch_parse(&g, chs, &ch), 0, "%s", err);
	cr_expect_eq(ch.alg, PC_SIP_AUTH_SHA512_256);
	cr_assert_eq(pc_sip_auth_client_create(&c, fixed_cnonce, "0a4f113b"), 0);
	/* When answered twice (the second with nc 2) */
	cr_assert_eq(pc_sip_auth_client_authorize(c, &ch, &alice, S("REGISTER"),
						  S("sip:atlanta.com"), S("v=0\n"), 0, out,
						  sizeof(out), NULL),
		     0);
	cr_assert_eq(pc_sip_auth_client_authorize(c, &ch, &alice, S("REGISTER"),
						  S("sip:atlanta.com"), S("v=0\n"), 0, out,
						  sizeof(out), NULL),
		     0);
	/* Then the second is the openssl-computed answer, and verifies with that body only */
	cr_expect_str_eq(param_of(out, "response", v, sizeof(v)),
			 "\"e4596c41cb3c20658b985ba9928aa3a8421b9ac2c9e8d2eedb54af66c1da078c\"",
			 "%s", out);
	cr_expect_str_eq(param_of(out, "qop", v, sizeof(v)), "auth-int");
	cr_expect_str_eq(param_of(out, "algorithm", v, sizeof(v)), "SHA-512-256");
	cr_assert_eq(cr_parse(&g2, out, &cr), 0, "%s", err);
	cr_expect_eq(cr.alg, PC_SIP_AUTH_SHA512_256);
	cr_expect_eq(pc_sip_auth_verify(&cr, S("REGISTER"), S("v=0\n"), &alice, err, sizeof(err)),
		     0, "%s", err);
	cr_expect_eq(pc_sip_auth_verify(&cr, S("REGISTER"), S("v=1\n"), &alice, err, sizeof(err)),
		     -EACCES);
	guarded_fini(&g2);
	guarded_fini(&g);
	pc_sip_auth_client_destroy(c);
}

Test(sip_auth, nonce_count_increments)
{
	static const char cha[] = "Digest realm=\"atlanta.com\", nonce=\"A\", qop=\"auth\"";
	static const char chb[] = "Digest realm=\"atlanta.com\", nonce=\"B\", qop=\"auth\"";
	struct pc_sip_auth_challenge a, b;
	struct pc_sip_auth_client *c;
	struct guarded ga, gb;
	char small[64], v[64];

	cr_assert_eq(ch_parse(&ga, cha, &a), 0);
	cr_assert_eq(ch_parse(&gb, chb, &b), 0);
	cr_assert_eq(pc_sip_auth_client_create(&c, NULL, NULL), 0);
	cr_expect_eq(pc_sip_auth_client_nc(c, a.realm, a.nonce), 0);
	/* Given three answers to nonce A */
	for (unsigned i = 1; i <= 3; i++) {
		char want[16];

		cr_assert_eq(pc_sip_auth_client_authorize(c, &a, &alice, S("REGISTER"),
							  S("sip:atlanta.com"), NONE, 0, out,
							  sizeof(out), NULL),
			     0);
		/* Then nc counts 1, 2, 3 */
		snprintf(want, sizeof(want), "%08x", i);
		cr_expect_str_eq(param_of(out, "nc", v, sizeof(v)), want);
	}
	cr_expect_eq(pc_sip_auth_client_nc(c, a.realm, a.nonce), 3);
	/* When a second nonce is used, its count starts at 1 and A's is kept */
	cr_assert_eq(pc_sip_auth_client_authorize(c, &b, &alice, S("REGISTER"),
						  S("sip:atlanta.com"), NONE, 0, out, sizeof(out),
						  NULL),
		     0);
	cr_expect_str_eq(param_of(out, "nc", v, sizeof(v)), "00000001");
	cr_expect_eq(pc_sip_auth_client_nc(c, a.realm, a.nonce), 3);
	/* A buffer too small fails with -ENOSPC and does not use a count up */
	cr_expect_eq(pc_sip_auth_client_authorize(c, &a, &alice, S("REGISTER"),
						  S("sip:atlanta.com"), NONE, 0, small,
						  sizeof(small), NULL),
		     -ENOSPC);
	cr_expect_str_eq(small, "");
	cr_expect_eq(pc_sip_auth_client_nc(c, a.realm, a.nonce), 3);
	cr_assert_eq(pc_sip_auth_client_authorize(c, &a, &alice, S("REGISTER"),
						  S("sip:atlanta.com"), NONE, 0, out, sizeof(out),
						  NULL),
		     0);
	cr_expect_str_eq(param_of(out, "nc", v, sizeof(v)), "00000004");
	/* Random cnonces: 32 hex digits, different each time */
	{
		char c1[128], c2[128];

		param_of(out, "cnonce", c1, sizeof(c1));
		cr_assert_eq(pc_sip_auth_client_authorize(c, &a, &alice, S("REGISTER"),
							  S("sip:atlanta.com"), NONE, 0, out,
							  sizeof(out), NULL),
			     0);
		param_of(out, "cnonce", c2, sizeof(c2));
		cr_expect_eq(strlen(c1), 34, "%s", c1);
		cr_expect_eq(strspn(c1 + 1, "0123456789abcdef"), 32, "%s", c1);
		cr_expect_str_neq(c1, c2);
	}
	guarded_fini(&ga);
	guarded_fini(&gb);
	pc_sip_auth_client_destroy(c);
}

Test(sip_auth, nonce_slots_replace_least_recent)
{
	struct pc_sip_auth_client *c;
	char chs[128], v[64];
	struct pc_sip_auth_challenge ch[PC_SIP_AUTH_NC_SLOTS + 1];
	struct guarded g[PC_SIP_AUTH_NC_SLOTS + 1];

	cr_assert_eq(pc_sip_auth_client_create(&c, fixed_cnonce, "x"), 0);
	/* Given more nonces than slots, the first used twice and last touched early */
	for (unsigned i = 0; i <= PC_SIP_AUTH_NC_SLOTS; i++) {
		snprintf(chs, sizeof(chs), "Digest realm=\"r\", nonce=\"n%u\", qop=\"auth\"", i);
		cr_assert_eq(ch_parse(&g[i], chs, &ch[i]), 0);
		cr_assert_eq(pc_sip_auth_client_authorize(c, &ch[i], &alice, S("REGISTER"),
							  S("sip:r"), NONE, 0, out, sizeof(out),
							  NULL),
			     0);
	}
	/* Then the newest are remembered, the oldest forgotten (its count starts again) */
	cr_expect_eq(pc_sip_auth_client_nc(c, ch[PC_SIP_AUTH_NC_SLOTS].realm,
					   ch[PC_SIP_AUTH_NC_SLOTS].nonce),
		     1);
	cr_expect_eq(pc_sip_auth_client_nc(c, ch[1].realm, ch[1].nonce), 1);
	cr_expect_eq(pc_sip_auth_client_nc(c, ch[0].realm, ch[0].nonce), 0);
	cr_assert_eq(pc_sip_auth_client_authorize(c, &ch[0], &alice, S("REGISTER"), S("sip:r"),
						  NONE, 0, out, sizeof(out), NULL),
		     0);
	cr_expect_str_eq(param_of(out, "nc", v, sizeof(v)), "00000001");
	for (unsigned i = 0; i <= PC_SIP_AUTH_NC_SLOTS; i++)
		guarded_fini(&g[i]);
	pc_sip_auth_client_destroy(c);
}

Test(sip_auth, stale)
{
	static const char first[] = "Digest realm=\"atlanta.com\", nonce=\"old\", qop=\"auth\"";
	static const char stale[] =
		"Digest realm=\"atlanta.com\", nonce=\"new\", qop=\"auth\", stale=TRUE";
	static const char wrong[] =
		"Digest realm=\"atlanta.com\", nonce=\"new2\", qop=\"auth\", stale=false";
	struct pc_sip_auth_challenge a, b, w;
	struct pc_sip_auth_client *c;
	struct guarded ga, gb, gw;
	char v[64];

	cr_assert_eq(ch_parse(&ga, first, &a), 0);
	cr_assert_eq(ch_parse(&gb, stale, &b), 0, "%s", err);
	cr_assert_eq(ch_parse(&gw, wrong, &w), 0, "%s", err);
	cr_expect_not(a.stale);
	cr_expect(b.stale);
	cr_expect_not(w.stale);
	cr_assert_eq(pc_sip_auth_client_create(&c, fixed_cnonce, "cn"), 0);
	/* Given two requests answered with the old nonce */
	for (int i = 0; i < 2; i++)
		cr_assert_eq(pc_sip_auth_client_authorize(c, &a, &alice, S("REGISTER"),
							  S("sip:atlanta.com"), NONE, 0, out,
							  sizeof(out), NULL),
			     0);
	/* When the server says stale=true with a new nonce */
	/* Then the client retries (credentials were right), with nc 1 for the new nonce */
	cr_expect(pc_sip_auth_retry(&b, true));
	cr_assert_eq(pc_sip_auth_client_authorize(c, &b, &alice, S("REGISTER"),
						  S("sip:atlanta.com"), NONE, 0, out, sizeof(out),
						  NULL),
		     0);
	cr_expect_str_eq(param_of(out, "nc", v, sizeof(v)), "00000001");
	cr_expect_str_eq(param_of(out, "nonce", v, sizeof(v)), "\"new\"");
	/* and a non-stale challenge after credentials means they were refused: no loop */
	cr_expect_not(pc_sip_auth_retry(&w, true));
	cr_expect(pc_sip_auth_retry(&w, false));
	/* stale in quotes is tolerated, other values are not */
	{
		struct pc_sip_auth_challenge x;
		struct guarded gx;

		cr_expect_eq(ch_parse(&gx, "Digest realm=\"r\", nonce=\"n\", stale=\"true\"", &x),
			     0);
		cr_expect(x.stale);
		guarded_fini(&gx);
		cr_expect_eq(ch_parse(&gx, "Digest realm=\"r\", nonce=\"n\", stale=yes", &x),
			     -EBADMSG);
		cr_expect_str_eq(err, "stale 'yes' is neither true nor false");
		guarded_fini(&gx);
	}
	guarded_fini(&ga);
	guarded_fini(&gb);
	guarded_fini(&gw);
	pc_sip_auth_client_destroy(c);
}

Test(sip_auth, pick_strongest)
{
	/* Given the challenges of one 401: MD5 first (RFC 8760 says topmost; we pick strongest) */
	struct pc_sip_slice v[] = {
		S("Basic realm=\"atlanta.com\""),
		S("Digest realm=\"atlanta.com\", nonce=\"1\", algorithm=MD5, qop=\"auth\""),
		S("Digest realm=\"atlanta.com\", nonce=\"2\", algorithm=SHA-256, qop=\"auth\""),
		S("Digest realm=\"atlanta.com\", nonce=\"3\", algorithm=SHA-256-sess, qop=\"auth\""),
		S("Digest realm=\"atlanta.com\", nonce=\"4\", algorithm=SHA3-512, qop=\"auth\""),
		S("Digest realm=\"biloxi.com\", nonce=\"5\", algorithm=SHA-512-256"),
		S("Digest realm=\"atlanta.com\" nonce=\"6\""),
	};
	struct pc_sip_auth_challenge ch;
	unsigned idx = 99;

	/* When the strongest is picked: SHA-512-256 of biloxi.com */
	cr_assert_eq(pc_sip_auth_pick(v, 7, PC_SIP_AUTH_ALG_ALL, NONE, &ch, &idx, err, sizeof(err)),
		     0, "%s", err);
	cr_expect_eq(idx, 5);
	cr_expect_eq(ch.alg, PC_SIP_AUTH_SHA512_256);
	/* Within atlanta.com: SHA-256 (topmost of the two SHA-256), not the unknown SHA3-512 */
	cr_assert_eq(pc_sip_auth_pick(v, 7, PC_SIP_AUTH_ALG_ALL, S("atlanta.com"), &ch, &idx, err,
				      sizeof(err)),
		     0);
	cr_expect_eq(idx, 2);
	cr_expect(slice_is(ch.nonce, "2"));
	/* With MD5 only allowed: the MD5 one */
	cr_assert_eq(pc_sip_auth_pick(v, 7, PC_SIP_AUTH_ALG_BIT(PC_SIP_AUTH_MD5), S("atlanta.com"),
				      &ch, &idx, NULL, 0),
		     0);
	cr_expect_eq(idx, 1);
	/* With nothing usable: -ENOENT and the malformed one as the reason */
	cr_expect_eq(pc_sip_auth_pick(v, 7, 0, NONE, &ch, &idx, err, sizeof(err)), -ENOENT);
	cr_expect(strstr(err, "challenge 6:") != NULL, "%s", err);
	cr_expect_eq(pc_sip_auth_pick(v, 1, PC_SIP_AUTH_ALG_ALL, NONE, &ch, &idx, err, sizeof(err)),
		     -ENOENT);
	cr_expect_str_eq(err, "no Digest challenge with a supported algorithm");
	cr_expect_eq(pc_sip_auth_pick(v, 7, PC_SIP_AUTH_ALG_ALL, S("chicago.com"), &ch, &idx, err,
				      sizeof(err)),
		     -ENOENT);
}

Test(sip_auth, pick_from_message)
{
	/* Given a 407 with two Proxy-Authenticate headers and a WWW-Authenticate */
	static const char m[] =
		"SIP/2.0 407 Proxy Authentication Required\r\n"
		"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK74bf9\r\n"
		"From: <sip:alice@atlanta.com>;tag=9fxced76sl\r\n"
		"To: <sip:alice@atlanta.com>;tag=3flal12sf\r\n"
		"Call-ID: 3848276298220188511@atlanta.com\r\n"
		"CSeq: 1 REGISTER\r\n"
		"proxy-authenticate: Digest realm=\"atlanta.com\", nonce=\"m\", algorithm=MD5, "
		"qop=\"auth\"\r\n"
		"WWW-Authenticate: Digest realm=\"atlanta.com\", nonce=\"w\", algorithm=SHA-512-256\r\n"
		"Proxy-Authenticate: Digest realm=\"atlanta.com\", nonce=\"s\", algorithm=SHA-256, "
		"qop=\"auth\"\r\n"
		"Content-Length: 0\r\n\r\n";
	struct pc_sip_msg *msg = calloc(1, sizeof(*msg));
	struct pc_sip_auth_challenge ch;
	unsigned idx = 99;

	cr_assert_not_null(msg);
	cr_assert_eq(pc_sip_msg_parse(msg, m, strlen(m), err, sizeof(err)), 0, "%s", err);
	/* When the proxy challenge is picked: the SHA-256 one, second of the two */
	cr_assert_eq(pc_sip_auth_pick_msg(msg, true, PC_SIP_AUTH_ALG_ALL, NONE, &ch, &idx, err,
					  sizeof(err)),
		     0, "%s", err);
	cr_expect_eq(idx, 1);
	cr_expect(slice_is(ch.nonce, "s"));
	/* and the WWW one is the only one of its kind */
	cr_assert_eq(
		pc_sip_auth_pick_msg(msg, false, PC_SIP_AUTH_ALG_ALL, NONE, &ch, &idx, NULL, 0), 0);
	cr_expect_eq(idx, 0);
	cr_expect(slice_is(ch.nonce, "w"));
	free(msg);
}

Test(sip_auth, escapes_and_userhash)
{
	/* Given a realm with quoted-pairs, userhash, SHA-256 */
	static const char chs[] = "Digest realm=\"a\\\"b\\\\c\", nonce=\"abc123\", qop=\"auth\", "
				  "algorithm=\"SHA-256\", userhash=true, domain=\"sip:a sip:b\"";
	struct pc_sip_auth_challenge ch;
	struct pc_sip_auth_credentials cr;
	struct pc_sip_auth_client *c;
	struct guarded g, g2;
	char v[128], unq[16];
	struct pc_sip_auth_digest_in in = {
		.alg = PC_SIP_AUTH_MD5,
		.qop = PC_SIP_AUTH_QOP_IS_AUTH,
		.username = S("alice"),
		.realm = S("a\"b\\c"),
		.password = S("secret"),
		.nonce = S("abc123"),
		.cnonce = S("0a4f113b"),
		.nc = 1,
		.method = S("REGISTER"),
		.uri = S("sip:atlanta.com"),
	};
	char hex[PC_SIP_AUTH_HEX_MAX];

	cr_assert_eq(ch_parse(&g, chs, &ch), 0, "%s", err);
	cr_expect(slice_is(ch.realm, "a\\\"b\\\\c"), "escapes are kept in the slice");
	cr_expect_eq(pc_sip_auth_unquote(ch.realm, unq, sizeof(unq)), 5);
	cr_expect_str_eq(unq, "a\"b\\c");
	cr_expect_eq(pc_sip_auth_unquote(ch.realm, unq, 5), -ENOSPC);
	cr_expect(ch.userhash);
	cr_expect(slice_is(ch.domain, "sip:a sip:b"));
	/* MD5 with that realm unescaped: openssl dgst -md5 over 'alice:a"b\c:secret' etc. */
	cr_assert_eq(pc_sip_auth_compute(&in, hex), 0);
	cr_expect_str_eq(hex, "5f719b47a52d24a8f161ede3126a8173");

	/* When the client answers */
	cr_assert_eq(pc_sip_auth_client_create(&c, fixed_cnonce, "0a4f113b"), 0);
	cr_assert_eq(pc_sip_auth_client_authorize(c, &ch, &alice, S("REGISTER"),
						  S("sip:atlanta.com"), NONE, 0, out, sizeof(out),
						  NULL),
		     0);
	/* Then the realm is echoed as received and the username is H(alice:atlanta.com)... */
	cr_expect_str_eq(param_of(out, "realm", v, sizeof(v)), "\"a\\\"b\\\\c\"", "%s", out);
	cr_expect_str_eq(param_of(out, "userhash", v, sizeof(v)), "true");
	cr_assert_eq(cr_parse(&g2, out, &cr), 0, "%s", err);
	cr_expect(cr.userhash);
	cr_expect_eq(pc_sip_auth_verify(&cr, S("REGISTER"), NONE, &alice, err, sizeof(err)), 0,
		     "%s", err);
	guarded_fini(&g2);
	guarded_fini(&g);

	/* and an MD5 answer to that realm hashes it unescaped (the vector computed above; a new
	 * client, for nc 1 with the same nonce) */
	pc_sip_auth_client_destroy(c);
	cr_assert_eq(pc_sip_auth_client_create(&c, fixed_cnonce, "0a4f113b"), 0);
	cr_assert_eq(ch_parse(&g, "Digest realm=\"a\\\"b\\\\c\", nonce=\"abc123\", qop=\"auth\"",
			      &ch),
		     0, "%s", err);
	cr_assert_eq(pc_sip_auth_client_authorize(c, &ch, &alice, S("REGISTER"),
						  S("sip:atlanta.com"), NONE, 0, out, sizeof(out),
						  NULL),
		     0);
	cr_expect_str_eq(param_of(out, "response", v, sizeof(v)),
			 "\"5f719b47a52d24a8f161ede3126a8173\"", "%s", out);
	guarded_fini(&g);

	/* ...which, for realm atlanta.com, is printf 'alice:atlanta.com' | openssl dgst -sha256 */
	cr_assert_eq(ch_parse(&g,
			      "Digest realm=\"atlanta.com\", nonce=\"n\", algorithm=SHA-256, "
			      "userhash=true",
			      &ch),
		     0);
	cr_assert_eq(pc_sip_auth_client_authorize(c, &ch, &alice, S("REGISTER"),
						  S("sip:atlanta.com"), NONE, 0, out, sizeof(out),
						  NULL),
		     0);
	cr_expect_str_eq(param_of(out, "username", v, sizeof(v)),
			 "\"45fabae1c3f0485092e19fd9549658747e4e19aff755d1655950569c35b16d70\"");
	/* no qop offered: RFC 2069 form, no cnonce nor nc */
	cr_expect_str_eq(param_of(out, "nc", v, sizeof(v)), "");
	cr_expect_str_eq(param_of(out, "cnonce", v, sizeof(v)), "");
	cr_assert_eq(cr_parse(&g2, out, &cr), 0, "%s", err);
	cr_expect_eq(pc_sip_auth_verify(&cr, S("REGISTER"), NONE, &alice, err, sizeof(err)), 0,
		     "%s", err);
	guarded_fini(&g2);
	guarded_fini(&g);
	pc_sip_auth_client_destroy(c);
}

Test(sip_auth, escaped_username_printed)
{
	/* Given a username with a quote and a backslash */
	struct pc_sip_auth_account odd = { S("o\"d\\d"), S("pw") };
	struct pc_sip_auth_challenge ch;
	struct pc_sip_auth_credentials cr;
	struct pc_sip_auth_client *c;
	struct guarded g, g2;
	char v[64];

	cr_assert_eq(ch_parse(&g, "Digest realm=\"r\", nonce=\"n\", qop=\"auth\"", &ch), 0);
	cr_assert_eq(pc_sip_auth_client_create(&c, NULL, NULL), 0);
	/* When answered */
	cr_assert_eq(pc_sip_auth_client_authorize(c, &ch, &odd, S("INVITE"), S("sip:bob@r"), NONE,
						  0, out, sizeof(out), NULL),
		     0);
	/* Then it is escaped in the header, and the server's check undoes the escapes */
	cr_expect_str_eq(param_of(out, "username", v, sizeof(v)), "\"o\\\"d\\\\d\"");
	cr_assert_eq(cr_parse(&g2, out, &cr), 0, "%s", err);
	cr_expect_eq(pc_sip_auth_verify(&cr, S("INVITE"), NONE, &odd, err, sizeof(err)), 0, "%s",
		     err);
	guarded_fini(&g2);
	guarded_fini(&g);
	pc_sip_auth_client_destroy(c);
}

Test(sip_auth, challenge_print_round_trip)
{
	static const unsigned qops[] = { 0, PC_SIP_AUTH_QOP_AUTH, PC_SIP_AUTH_QOP_AUTH_INT,
					 PC_SIP_AUTH_QOP_AUTH | PC_SIP_AUTH_QOP_AUTH_INT };
	char hdr[256], small[16];
	struct pc_sip_auth_client *c;

	cr_assert_eq(pc_sip_auth_client_create(&c, NULL, NULL), 0);
	for (unsigned a = 0; a < PC_SIP_AUTH_ALG_UNKNOWN; a++) {
		for (unsigned q = 0; q < 4; q++) {
			/* Given a challenge printed by a UAS */
			struct pc_sip_auth_challenge_spec spec = {
				.alg = (enum pc_sip_auth_alg)a,
				.realm = S("at\"lanta"),
				.nonce = S("n0nce"),
				.opaque = S(""),
				.qop = qops[q],
				.stale = q == 1,
			};
			struct pc_sip_auth_challenge ch;
			struct pc_sip_auth_credentials cr;
			struct guarded g, g2;
			size_t n = 0;

			cr_assert_eq(pc_sip_auth_challenge_print(&spec, hdr, sizeof(hdr), &n), 0);
			cr_expect_eq(n, strlen(hdr));
			/* When parsed and answered by the client */
			cr_assert_eq(ch_parse(&g, hdr, &ch), 0, "%s: %s", hdr, err);
			cr_expect_eq(ch.alg, a, "%s", hdr);
			cr_expect_eq(ch.qop, qops[q], "%s", hdr);
			cr_expect_eq(ch.stale, q == 1);
			cr_expect_not_null(ch.opaque.p, "an empty opaque is still there");
			cr_assert_eq(pc_sip_auth_client_authorize(c, &ch, &alice, S("REGISTER"),
								  S("sip:atlanta.com"), S("body"),
								  0, out, sizeof(out), NULL),
				     0);
			/* Then the server's check passes */
			cr_assert_eq(cr_parse(&g2, out, &cr), 0, "%s: %s", out, err);
			cr_expect_eq(pc_sip_auth_verify(&cr, S("REGISTER"), S("body"), &alice, err,
							sizeof(err)),
				     0, "%s -> %s: %s", hdr, out, err);
			cr_expect_eq(cr.qop, qops[q] == 0 ? PC_SIP_AUTH_QOP_NONE :
					     qops[q] == PC_SIP_AUTH_QOP_AUTH_INT ?
							    PC_SIP_AUTH_QOP_IS_AUTH_INT :
							    PC_SIP_AUTH_QOP_IS_AUTH);
			guarded_fini(&g2);
			guarded_fini(&g);
		}
	}
	struct pc_sip_auth_challenge_spec spec = { .realm = S("r"), .nonce = S("n") };

	cr_expect_eq(pc_sip_auth_challenge_print(&spec, small, sizeof(small), NULL), -ENOSPC);
	spec.alg = PC_SIP_AUTH_ALG_UNKNOWN;
	cr_expect_eq(pc_sip_auth_challenge_print(&spec, hdr, sizeof(hdr), NULL), -EINVAL);
	pc_sip_auth_client_destroy(c);
}

Test(sip_auth, refusals)
{
	struct pc_sip_auth_challenge ch;
	struct pc_sip_auth_client *c;
	struct guarded g;

	cr_assert_eq(pc_sip_auth_client_create(&c, NULL, NULL), 0);
	/* An unknown algorithm parses, but cannot be answered */
	cr_assert_eq(ch_parse(&g, "Digest realm=\"r\", nonce=\"n\", algorithm=SHA3-256", &ch), 0);
	cr_expect_eq(ch.alg, PC_SIP_AUTH_ALG_UNKNOWN);
	cr_expect(slice_is(ch.algorithm, "SHA3-256"));
	cr_expect_eq(pc_sip_auth_client_authorize(c, &ch, &alice, S("REGISTER"), S("sip:r"), NONE,
						  0, out, sizeof(out), NULL),
		     -ENOTSUP);
	guarded_fini(&g);
	/* qop-options with no option we know */
	cr_assert_eq(ch_parse(&g, "Digest realm=\"r\", nonce=\"n\", qop=\"auth-conf\"", &ch), 0);
	cr_expect_eq(ch.qop, 0);
	cr_expect_eq(pc_sip_auth_client_authorize(c, &ch, &alice, S("REGISTER"), S("sip:r"), NONE,
						  0, out, sizeof(out), NULL),
		     -ENOTSUP);
	guarded_fini(&g);
	pc_sip_auth_client_destroy(c);
}

struct bad {
	const char *in;
	int rc;
	const char *why; /* a substring of the reason */
};

static void check_bad(const struct bad *b, unsigned n, bool credentials)
{
	for (unsigned i = 0; i < n; i++) {
		struct pc_sip_auth_challenge ch;
		struct pc_sip_auth_credentials cr;
		struct guarded g;
		int rc;

		/* Given a malformed value at the end of a page */
		/* When parsed */
		rc = credentials ? cr_parse(&g, b[i].in, &cr) : ch_parse(&g, b[i].in, &ch);
		/* Then it is refused with the expected code and a one-line reason */
		cr_expect_eq(rc, b[i].rc, "'%s': %d (%s)", b[i].in, rc, err);
		cr_expect(err[0] && !strchr(err, '\n'), "'%s': no one-line reason", b[i].in);
		cr_expect(strstr(err, b[i].why) != NULL, "'%s': reason '%s', expected '%s'",
			  b[i].in, err, b[i].why);
		guarded_fini(&g);
	}
}

Test(sip_auth, malformed_challenges)
{
	static const struct bad b[] = {
		{ "", -EBADMSG, "no authentication scheme" },
		{ "   ", -EBADMSG, "no authentication scheme" },
		{ "Basic realm=\"x\"", -ENOTSUP, "'Basic' is not Digest" },
		{ "Digest", -EBADMSG, "without parameters" },
		{ "Digest ", -EBADMSG, "without parameters" },
		{ "Digest,realm=\"r\"", -EBADMSG, "after the scheme" },
		{ "Digest realm=\"r\"", -EBADMSG, "without nonce" },
		{ "Digest nonce=\"n\"", -EBADMSG, "without realm" },
		{ "Digest realm=\"r\", realm=\"s\", nonce=\"n\"", -EBADMSG, "'realm' repeated" },
		{ "Digest realm=\"r\", nonce=\"n\", NONCE=\"m\"", -EBADMSG, "'nonce' repeated" },
		{ "Digest realm=\"r\", nonce=\"n\", algorithm=MD5, algorithm=SHA-256", -EBADMSG,
		  "'algorithm' repeated" },
		{ "Digest realm=r, nonce=\"n\"", -EBADMSG, "realm must be a quoted string" },
		{ "Digest realm=\"r\", nonce=\"n", -EBADMSG, "unterminated quoted string" },
		{ "Digest realm=\"r\\", -EBADMSG, "unterminated quoted string" },
		{ "Digest realm=\"r\", nonce=\"n\",", -EBADMSG, "trailing ','" },
		{ "Digest realm=\"r\",, nonce=\"n\"", -EBADMSG, "empty parameter" },
		{ "Digest realm=\"r\" nonce=\"n\"", -EBADMSG, "expected ','" },
		{ "Digest realm=\"r\", nonce", -EBADMSG, "without '='" },
		{ "Digest realm=\"r\", nonce=", -EBADMSG, "has no value" },
		{ "Digest realm=\"r\", nonce=\"n\", qop=\"auth,,auth-int\"", -EBADMSG,
		  "qop options" },
		{ "Digest realm=\"r\", nonce=\"n\", qop=\"\"", -EBADMSG, "qop options" },
		{ "Digest realm=\"r\", nonce=\"n\", qop=auth", -EBADMSG, "qop must be a quoted" },
		{ "Digest realm=\"r\", nonce=\"n\", qop=\"auth;x\"", -EBADMSG, "qop options" },
		{ "Digest realm=\"r\", nonce=\"n\", userhash=1", -EBADMSG, "userhash" },
		{ "Digest realm=\"r\", nonce=\"n\", algorithm=\"MD 5\"", -EBADMSG, "not a token" },
		{ "Digest realm=\"a\rb\", nonce=\"n\"", -EBADMSG, "line break" },
		{ "Digest realm=\"a\nb\", nonce=\"n\"", -EBADMSG, "control character" },
		{ "Digest realm=\"a\\\nb\", nonce=\"n\"", -EBADMSG, "bad escape" },
		{ "Digest realm=\"r\", nonce=\"n\"\r\n", -EBADMSG, "expected ','" },
		{ "Digest realm=\"\\\\\\\"\\\x01\", nonce=\"n\", x=@", -EBADMSG, "has no value" },
		{ "Digest realm=\"r\", nonce=\"n\", x=@", -EBADMSG, "has no value" },
	};

	check_bad(b, sizeof(b) / sizeof(b[0]), false);
}

Test(sip_auth, malformed_credentials)
{
#define CR_OK "username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:r\", "
	static const struct bad b[] = {
		{ "Digest " CR_OK "response=\"0123456789abcdef0123456789abcdef\", nc=00000001, "
		  "cnonce=\"c\", qop=auth, nc=00000002",
		  -EBADMSG, "'nc' repeated" },
		{ "Digest " CR_OK "response=\"0123456789abcdef0123456789abcdef\", qop=auth, "
		  "cnonce=\"c\", nc=1",
		  -EBADMSG, "nc '1' is not 8 hex digits" },
		{ "Digest " CR_OK "response=\"0123456789abcdef0123456789abcdef\", qop=auth, "
		  "cnonce=\"c\", nc=0000000g",
		  -EBADMSG, "not 8 hex digits" },
		{ "Digest " CR_OK "response=\"0123456789abcdef0123456789abcdef\", qop=auth, "
		  "cnonce=\"c\", nc=\"00000001\"",
		  -EBADMSG, "nc must be a token" },
		{ "Digest " CR_OK "response=\"0123456789abcdef0123456789abcdef\", qop=auth, "
		  "nc=00000001",
		  -EBADMSG, "qop without cnonce" },
		{ "Digest " CR_OK "response=\"0123456789abcdef0123456789abcdef\", qop=auth, "
		  "cnonce=\"c\"",
		  -EBADMSG, "qop without nc" },
		{ "Digest " CR_OK "response=\"0123456789abcdef0123456789abcdef\", nc=00000001",
		  -EBADMSG, "nc without qop" },
		{ "Digest " CR_OK "response=\"0123456789abcdef0123456789abcdef\", cnonce=\"c\"",
		  -EBADMSG, "cnonce without qop" },
		{ "Digest " CR_OK "response=\"0123456789abcdef0123456789abcdeg\"", -EBADMSG,
		  "not hexadecimal" },
		{ "Digest " CR_OK
		  "response=\"0123456789abcdef0123456789abcdef\", algorithm=SHA-256",
		  -EBADMSG, "response of 32 hex digits, SHA-256 has 64" },
		{ "Digest " CR_OK "response=0123456789abcdef0123456789abcdef", -EBADMSG,
		  "response must be a quoted string" },
		{ "Digest realm=\"r\", nonce=\"n\", uri=\"sip:r\", "
		  "response=\"0123456789abcdef0123456789abcdef\"",
		  -EBADMSG, "without username" },
		{ "Digest " CR_OK "qop=auth", -EBADMSG, "without response" },
		{ "Digest username=\"u\", realm=\"r\", nonce=\"n\", "
		  "response=\"0123456789abcdef0123456789abcdef\"",
		  -EBADMSG, "without uri" },
		{ "Digest " CR_OK "response=\"0123456789abcdef0123456789abcdef\", qop=\"a b\"",
		  -EBADMSG, "qop 'a b' is not a token" },
		{ "NTLM abc", -ENOTSUP, "not Digest" },
	};

	check_bad(b, sizeof(b) / sizeof(b[0]), true);
#undef CR_OK
}

Test(sip_auth, credentials_leniency_and_unknown)
{
	/* Given credentials with a quoted qop, an unknown parameter, a -sess cnonce without qop */
	static const char a[] =
		"Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:r\", "
		"response=\"0123456789abcdef0123456789abcdef\", qop=\"auth\", nc=0000000A, "
		"cnonce=\"c\", foo=bar, foo=\"baz\"";
	static const char b[] =
		"Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:r\", "
		"response=\"0123456789abcdef0123456789abcdef\", algorithm=MD5-sess, cnonce=\"c\"";
	static const char q[] =
		"Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:r\", "
		"response=\"0123456789abcdef0123456789abcdef\", qop=auth-conf, nc=00000001, "
		"cnonce=\"c\"";
	struct pc_sip_auth_credentials cr;
	struct guarded g;

	/* Then they parse */
	cr_expect_eq(cr_parse(&g, a, &cr), 0, "%s", err);
	cr_expect_eq(cr.qop, PC_SIP_AUTH_QOP_IS_AUTH);
	cr_expect_eq(cr.nc, 10);
	guarded_fini(&g);
	cr_expect_eq(cr_parse(&g, b, &cr), 0, "%s", err);
	cr_expect_eq(cr.alg, PC_SIP_AUTH_MD5_SESS);
	guarded_fini(&g);
	/* and an unknown qop parses but is not verified */
	cr_expect_eq(cr_parse(&g, q, &cr), 0, "%s", err);
	cr_expect_eq(cr.qop, PC_SIP_AUTH_QOP_OTHER);
	cr_expect_eq(pc_sip_auth_verify(&cr, S("REGISTER"), NONE, &alice, err, sizeof(err)),
		     -ENOTSUP);
	guarded_fini(&g);
}

Test(sip_auth, limits)
{
	static char big[PC_SIP_AUTH_MAX_LEN + 2];
	char many[2048];
	struct pc_sip_auth_challenge ch;
	size_t n;

	/* Given a value one octet over the limit */
	memset(big, 'a', sizeof(big));
	memcpy(big, "Digest realm=\"", 14);
	/* Then -E2BIG, and the same at the limit is an ordinary syntax error */
	cr_expect_eq(pc_sip_auth_challenge_parse(&ch, big, PC_SIP_AUTH_MAX_LEN + 1, err,
						 sizeof(err)),
		     -E2BIG);
	cr_expect_eq(pc_sip_auth_challenge_parse(&ch, big, PC_SIP_AUTH_MAX_LEN, err, sizeof(err)),
		     -EBADMSG);
	/* Given more parameters than allowed */
	n = (size_t)snprintf(many, sizeof(many), "Digest realm=\"r\", nonce=\"n\"");
	for (unsigned i = 0; i < PC_SIP_AUTH_MAX_PARAMS - 1; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, ", x%u=y", i);
	cr_expect_eq(pc_sip_auth_challenge_parse(&ch, many, n, err, sizeof(err)), -E2BIG, "%s",
		     err);
	/* and exactly the limit parses */
	n = (size_t)snprintf(many, sizeof(many), "Digest realm=\"r\", nonce=\"n\"");
	for (unsigned i = 0; i < PC_SIP_AUTH_MAX_PARAMS - 2; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, ", x%u=y", i);
	cr_expect_eq(pc_sip_auth_challenge_parse(&ch, many, n, err, sizeof(err)), 0, "%s", err);
	/* A length that stops inside a parameter is honoured */
	cr_expect_eq(pc_sip_auth_challenge_parse(&ch, "Digest realm=\"r\", nonce=\"n\"", 26, err,
						 sizeof(err)),
		     -EBADMSG);
	cr_expect_str_eq(err, "nonce: unterminated quoted string");
	/* An escaped NUL is refused (values are echoed into NUL-terminated headers) */
	{
		static const char nul[] = "Digest realm=\"a\\\0b\", nonce=\"n\"";

		cr_expect_eq(pc_sip_auth_challenge_parse(&ch, nul, sizeof(nul) - 1, err,
							 sizeof(err)),
			     -EBADMSG);
		cr_expect_str_eq(err, "realm: bad escape \\0x00 in a quoted string");
	}
}
