/* SPDX-License-Identifier: MIT */
/*
 * sip_msg_test.c - the SIP message parser of signaling/pc_sip_msg.h: every torture message of
 * RFC 4475 and RFC 5118 against the parse column of EXPECTED.tsv (each parsed from the end of a
 * page followed by a PROT_NONE page), and hand-written cases for folding, compact names, each
 * rejection and the limits.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pc_sip_msg.h"
#include "sip_test_pvt.h"

static struct pc_sip_msg msg;
static char err[PC_SIP_ERR_MAX];

static int parse_str(const char *s)
{
	struct guarded g;
	int rc;

	guarded_init(&g, s, strlen(s));
	rc = pc_sip_msg_parse(&msg, g.buf, strlen(s), err, sizeof(err));
	/* The view's slices now point into unmapped memory: callers look at numbers only. */
	guarded_fini(&g);
	return rc;
}

Test(sip_msg, torture_expected)
{
	struct stat st;
	char line[512], path[1024];
	unsigned nok = 0, nerr = 0, neither = 0;
	FILE *tsv;

	if (stat(PC_TEST_SIP_DATA "/EXPECTED.tsv", &st) != 0)
		cr_skip_test("no SIP torture data at " PC_TEST_SIP_DATA
			     " (set -DPC_SIP_TESTDATA=<folder with EXPECTED.tsv>)");
	tsv = fopen(PC_TEST_SIP_DATA "/EXPECTED.tsv", "r");
	cr_assert_not_null(tsv);
	while (fgets(line, sizeof(line), tsv)) {
		char *file, *verdict, *save;
		struct guarded g;
		size_t len;
		char *data;
		int rc;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		file = strtok_r(line, "\t\n", &save);
		verdict = strtok_r(NULL, "\t\n", &save);
		cr_assert(file && verdict, "bad EXPECTED.tsv line");
		snprintf(path, sizeof(path), "%s/%s", PC_TEST_SIP_DATA, file);
		data = read_all(path, &len);
		cr_assert_not_null(data, "cannot read %s", path);

		/* Given the message at the end of a page followed by an inaccessible one */
		guarded_init(&g, data, len);
		/* When it is parsed */
		rc = pc_sip_msg_parse(&msg, g.buf, len, err, sizeof(err));
		/* Then the verdict is EXPECTED.tsv's, and a rejection has a reason */
		if (strcmp(verdict, "ok") == 0) {
			cr_expect_eq(rc, 0, "%s: expected ok, got %d: %s", file, rc, err);
			nok++;
		} else if (strcmp(verdict, "error") == 0) {
			cr_expect_lt(rc, 0, "%s: expected an error, parsed", file);
			nerr++;
		} else {
			cr_expect_str_eq(verdict, "either", "%s: unknown verdict", file);
			neither++;
		}
		if (rc < 0)
			cr_expect(err[0] != '\0' && !strchr(err, '\n'), "%s: no one-line reason",
				  file);
		else
			cr_expect(msg.msg_len <= len);
		guarded_fini(&g);
		free(data);
	}
	fclose(tsv);
	cr_expect_eq(nok + nerr + neither, 61, "EXPECTED.tsv lists %u files, not 61",
		     nok + nerr + neither);
}

#define HDRS                                                 \
	"Via: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\n" \
	"From: <sip:a@example.com>;tag=1\r\n"                \
	"To: <sip:b@example.com>\r\n"                        \
	"Call-ID: c1@h\r\n"

Test(sip_msg, minimal_request)
{
	cr_assert_eq(parse_str("OPTIONS sip:b@example.com SIP/2.0\r\n" HDRS
			       "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n\r\n"),
		     0, "%s", err);
	cr_expect(msg.is_request);
	cr_expect_eq(msg.cseq, 1);
	cr_expect_eq(msg.max_forwards, 70);
	cr_expect_eq(msg.nheaders, 6);
	cr_expect_eq(msg.body.len, 0);
	cr_expect_eq(msg.uri_scheme.len, 3);
	cr_expect_str_eq(err, "");
}

Test(sip_msg, folding_and_trim)
{
	static const char m[] = "OPTIONS sip:b@example.com SIP/2.0\r\n" HDRS
				"CSeq:\r\n  7\r\n\tOPTIONS   \r\n"
				"Subject :  lunch\r\n tomorrow \r\n\r\n";
	const struct pc_sip_header *h;

	cr_assert_eq(pc_sip_msg_parse(&msg, m, sizeof(m) - 1, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(msg.cseq, 7);
	cr_expect_eq(msg.cseq_method.len, 7);
	cr_expect_eq(memcmp(msg.cseq_method.p, "OPTIONS", 7), 0);
	h = pc_sip_msg_find(&msg, PC_SIP_HDR_SUBJECT, NULL);
	cr_assert_not_null(h);
	cr_expect_eq(h->value.len, strlen("lunch\r\n tomorrow"));
	cr_expect_eq(memcmp(h->value.p, "lunch\r\n tomorrow", h->value.len), 0);
}

Test(sip_msg, compact_names_and_case)
{
	static const char m[] = "INVITE sip:b@example.com SIP/2.0\r\n"
				"v: SIP/2.0/UDP h;branch=z9hG4bK1\r\nf: <sip:a@x>;tag=1\r\n"
				"T: sip:b@x\r\ni: c2\r\nCSEQ: 2 INVITE\r\nl: 4\r\nc: text/plain\r\n"
				"m: <sip:a@h>\r\nk: timer\r\ncall-id: \r\n\r\nbody";

	/* Given two Call-IDs (i and call-id): rejected as a repeat */
	cr_expect_eq(pc_sip_msg_parse(&msg, m, sizeof(m) - 1, err, sizeof(err)), -EPROTO);
	cr_expect_str_eq(err, "more than one Call-ID header");

	static const char m2[] =
		"INVITE sip:b@example.com SIP/2.0\r\n"
		"v: SIP/2.0/UDP h;branch=z9hG4bK1\r\nf: <sip:a@x>;tag=1\r\n"
		"T: sip:b@x\r\ni: c2\r\nCSEQ: 2 INVITE\r\nl: 4\r\nc: text/plain\r\n"
		"m: <sip:a@h>\r\nk: timer\r\n\r\nbodyEXTRA";
	cr_assert_eq(pc_sip_msg_parse(&msg, m2, sizeof(m2) - 1, err, sizeof(err)), 0, "%s", err);
	cr_expect_not_null(pc_sip_msg_find(&msg, PC_SIP_HDR_CONTACT, NULL));
	cr_expect_not_null(pc_sip_msg_find(&msg, PC_SIP_HDR_SUPPORTED, NULL));
	cr_expect_not_null(pc_sip_msg_find(&msg, PC_SIP_HDR_CONTENT_TYPE, NULL));
	cr_expect_eq(pc_sip_msg_find(&msg, PC_SIP_HDR_TO, NULL)->id, PC_SIP_HDR_TO);
	cr_expect_eq(msg.content_length, 4);
	cr_expect_eq(msg.body.len, 4);
	cr_expect_eq(memcmp(msg.body.p, "body", 4), 0);
	cr_expect_eq(msg.msg_len, sizeof(m2) - 1 - 5);
	cr_expect_str_eq(pc_sip_hdr_name(PC_SIP_HDR_CALL_ID), "Call-ID");
}

Test(sip_msg, response_reason_empty_and_utf8)
{
	cr_assert_eq(parse_str("SIP/2.0 180 \r\n" HDRS "CSeq: 5 INVITE\r\n\r\n"), 0, "%s", err);
	cr_expect(!msg.is_request);
	cr_expect_eq(msg.status, 180);
	cr_expect_eq(msg.reason.len, 0);
	cr_assert_eq(parse_str("sip/2.0 200 \xc3\xa9t\xc3\xa9\r\n" HDRS "CSeq: 5 INVITE\r\n\r\nxy"),
		     0, "%s", err);
	cr_expect_eq(msg.reason.len, 5);
	cr_expect_eq(msg.body.len, 2); /* no Content-Length: the rest */
}

struct reject {
	const char *msg;
	int rc;
	const char *reason;
};

Test(sip_msg, rejections)
{
	static const struct reject cases[] = {
		{ "", -EBADMSG, "empty message" },
		{ "OPTIONS sip:b@x SIP/2.0", -EBADMSG, "the first line does not end in CRLF" },
		{ "OPTIONS sip:b@x SIP/2.0\r\n" HDRS "CSeq: 1 OPTIONS\r\n", -EBADMSG,
		  "the headers do not end with an empty line" },
		{ "OPTIONS sip:b@x SIP/7.0\r\n\r\n", -EBADMSG,
		  "unsupported SIP version 'SIP/7.0'" },
		{ "OPTIONS sip:b@x; lr SIP/2.0\r\n\r\n", -EBADMSG,
		  "whitespace or control character in Request-URI 'sip:b@x; lr'" },
		{ "OPTIONS <sip:b@x> SIP/2.0\r\n\r\n", -EBADMSG,
		  "Request-URI '<sip:b@x>' does not start with a scheme" },
		{ "OPTIONS sip:2001:db8::10 SIP/2.0\r\n\r\n", -EBADMSG,
		  "Request-URI host 2001:db8::10: an IPv6 address needs brackets" },
		{ "OPTIONS sip:b@[2001:db8::10 SIP/2.0\r\n\r\n", -EBADMSG,
		  "Request-URI host [2001:db8::10: bad IPv6 reference" },
		{ "OPT\x01ONS sip:b@x SIP/2.0\r\n\r\n", -EBADMSG,
		  "bad character 0x01 in the request method" },
		{ "SIP/2.0 4294967301 big\r\n\r\n", -ERANGE,
		  "status code 4294967301 out of range 100-699" },
		{ "SIP/2.0 099 low\r\n\r\n", -ERANGE, "status code 099 out of range 100-699" },
		{ "SIP/2.0 2x0 OK\r\n\r\n", -EBADMSG, "status code '2x0' is not a number" },
		{ "OPTIONS sip:b@x SIP/2.0\r\n" HDRS "CSeq: 1 INVITE\r\n\r\n", -EPROTO,
		  "CSeq method INVITE does not match request method OPTIONS" },
		{ "OPTIONS sip:b@x SIP/2.0\r\n" HDRS "CSeq: 2147483648 OPTIONS\r\n\r\n", -ERANGE,
		  "CSeq number 2147483648 above 2^31-1" },
		{ "OPTIONS sip:b@x SIP/2.0\r\n" HDRS "CSeq: OPTIONS\r\n\r\n", -EBADMSG,
		  "CSeq 'OPTIONS' does not start with a number" },
		{ "OPTIONS sip:b@x SIP/2.0\r\n" HDRS "CSeq: 1\r\n\r\n", -EBADMSG,
		  "CSeq '1' wants a number and a method" },
		{ "OPTIONS sip:b@x SIP/2.0\r\n" HDRS "CSeq: 1 OPTIONS\r\nMax-Forwards: 256\r\n\r\n",
		  -ERANGE, "Max-Forwards '256' is not a number in 0-255" },
		{ "OPTIONS sip:b@x SIP/2.0\r\n" HDRS
		  "CSeq: 1 OPTIONS\r\nContent-Length: -1\r\n\r\n",
		  -EBADMSG, "Content-Length '-1' is not a number" },
		{ "OPTIONS sip:b@x SIP/2.0\r\n" HDRS "CSeq: 1 OPTIONS\r\nl: 9999\r\n\r\nabc",
		  -ERANGE, "Content-Length 9999 larger than the 3 bytes that follow" },
		{ "OPTIONS sip:b@x SIP/2.0\r\n" HDRS
		  "CSeq: 1 OPTIONS\r\nl: 99999999999999999999\r\n\r\n",
		  -ERANGE,
		  "Content-Length 99999999999999999999 larger than the 0 bytes that follow" },
		{ "OPTIONS sip:b@x SIP/2.0\r\n" HDRS "\r\n", -EPROTO, "no CSeq header" },
		{ "OPTIONS sip:b@x SIP/2.0\r\nTo: <sip:b@x>\r\nFrom: <sip:a@x>\r\nCall-ID: 1\r\n"
		  "CSeq: 1 OPTIONS\r\n\r\n",
		  -EPROTO, "no Via header" },
		{ "OPTIONS sip:b@x SIP/2.0\r\n" HDRS "To: <sip:c@x>\r\nCSeq: 1 OPTIONS\r\n\r\n",
		  -EPROTO, "more than one To header" },
		{ "OPTIONS sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP h;;x\r\nFrom: <sip:a@x>\r\n"
		  "To: <sip:b@x>\r\nCall-ID: 1\r\nCSeq: 1 OPTIONS\r\n\r\n",
		  -EBADMSG, "Via 'SIP/2.0/UDP h;;x': empty parameter" },
		{ "OPTIONS sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP h,,\r\nFrom: <sip:a@x>\r\n"
		  "To: <sip:b@x>\r\nCall-ID: 1\r\nCSeq: 1 OPTIONS\r\n\r\n",
		  -EBADMSG, "Via 'SIP/2.0/UDP h,,': empty value" },
		{ "OPTIONS sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nFrom: Bell, A <sip:a@x>\r\n"
		  "To: <sip:b@x>\r\nCall-ID: 1\r\nCSeq: 1 OPTIONS\r\n\r\n",
		  -EBADMSG,
		  "From 'Bell, A <sip:a@x>': bad character ',' in an unquoted display name" },
		{ "OPTIONS sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nFrom: \"A <sip:a@x>\r\n"
		  "To: <sip:b@x>\r\nCall-ID: 1\r\nCSeq: 1 OPTIONS\r\n\r\n",
		  -EBADMSG, "From '\"A <sip:a@x>': unterminated quoted display name" },
		{ "OPTIONS sip:b@x SIP/2.0\r\n" HDRS "Bad Header: 1\r\nCSeq: 1 OPTIONS\r\n\r\n",
		  -EBADMSG, "header line 'Bad Header: 1' is not 'Name: value'" },
		{ "OPTIONS sip:b@x SIP/2.0\r\n Via: x\r\n\r\n", -EBADMSG,
		  "header line starts with whitespace" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = parse_str(cases[i].msg);

		cr_expect_eq(rc, cases[i].rc, "case %zu: rc %d, want %d (%s)", i, rc, cases[i].rc,
			     err);
		cr_expect_str_eq(err, cases[i].reason, "case %zu", i);
	}
}

Test(sip_msg, limits)
{
	static char m[PC_SIP_MAX_MSG + 2];
	size_t n = 0;

	/* Too many headers */
	n = (size_t)snprintf(m, sizeof(m),
			     "OPTIONS sip:b@x SIP/2.0\r\n" HDRS "CSeq: 1 OPTIONS\r\n");
	for (int i = 0; i < PC_SIP_MAX_HEADERS; i++)
		n += (size_t)snprintf(m + n, sizeof(m) - n, "X-%d: y\r\n", i);
	n += (size_t)snprintf(m + n, sizeof(m) - n, "\r\n");
	cr_expect_eq(pc_sip_msg_parse(&msg, m, n, err, sizeof(err)), -E2BIG);
	cr_expect_str_eq(err, "more than 96 headers");

	/* A header one byte over the limit, made of folds */
	n = (size_t)snprintf(m, sizeof(m),
			     "OPTIONS sip:b@x SIP/2.0\r\n" HDRS "CSeq: 1 OPTIONS\r\n"
			     "X-Long: ");
	while (n < 26 + strlen(HDRS) + 17 + PC_SIP_MAX_HEADER_LEN - 8)
		n += (size_t)snprintf(m + n, sizeof(m) - n, "a\r\n b");
	n += (size_t)snprintf(m + n, sizeof(m) - n, "bbbbbbbbbbbb\r\n\r\n");
	cr_expect_eq(pc_sip_msg_parse(&msg, m, n, err, sizeof(err)), -E2BIG);
	cr_expect_str_eq(err, "header line longer than 4096 bytes");

	/* The whole datagram */
	memset(m, 'a', sizeof(m));
	cr_expect_eq(pc_sip_msg_parse(&msg, m, PC_SIP_MAX_MSG + 1, err, sizeof(err)), -E2BIG);

	/* A reason cut to the room given, still terminated */
	char small[8];
	cr_expect_eq(pc_sip_msg_parse(&msg, "x", 1, small, sizeof(small)), -EBADMSG);
	cr_expect_eq(strlen(small), 7);
}

Test(sip_msg, no_read_past_length)
{
	static const char m[] = "OPTIONS sip:b@x SIP/2.0\r\n" HDRS "CSeq: 1 OPTIONS\r\n\r\n";
	struct guarded g;

	/* Given every prefix of a valid message at the end of a page: parsing never faults, and
	 * only the whole message parses */
	for (size_t n = 0; n <= sizeof(m) - 1; n++) {
		guarded_init(&g, m, n);
		int rc = pc_sip_msg_parse(&msg, g.buf, n, NULL, 0);
		cr_expect_eq(rc == 0, n == sizeof(m) - 1, "prefix %zu: rc %d", n, rc);
		guarded_fini(&g);
	}
}

/* The header-name lookup (by length and first letter, compact letters by table) must know every
 * name pc_sip_hdr_name() lists, in any letter case, and every compact form. */
Test(sip_msg, every_known_header_name_in_any_case)
{
	static const char compact[] = "abcdefijklmorstuvx";

	for (int id = 1; id < PC_SIP_HDR__COUNT; id++) {
		const char *name = pc_sip_hdr_name((enum pc_sip_hdr_id)id);

		for (int variant = 0; variant < 3; variant++) {
			char nm[64], text[1024];
			struct pc_sip_msg m;
			size_t i, n = strlen(name);
			int len;

			for (i = 0; i < n; i++) {
				char ch = name[i];

				if (variant == 1 && ch >= 'a' && ch <= 'z')
					ch = (char)(ch - 32);
				if (variant == 2 && ch >= 'A' && ch <= 'Z')
					ch = (char)(ch + 32);
				nm[i] = ch;
			}
			nm[n] = 0;
			len = snprintf(
				text, sizeof(text),
				"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
				"From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\r\n"
				"CSeq: 1 OPTIONS\r\nX-Pad: 1\r\n%s: 1\r\n\r\n",
				nm);
			if (id == PC_SIP_HDR_VIA || id == PC_SIP_HDR_FROM || id == PC_SIP_HDR_TO ||
			    id == PC_SIP_HDR_CALL_ID || id == PC_SIP_HDR_CSEQ ||
			    id == PC_SIP_HDR_CONTENT_LENGTH || id == PC_SIP_HDR_MAX_FORWARDS)
				continue; /* single-value headers: a second one is refused */
			cr_assert_eq(pc_sip_msg_parse(&m, text, (size_t)len, NULL, 0), 0, "%s", nm);
			cr_assert_eq((int)m.headers[m.nheaders - 1].id, id, "'%s' not recognised",
				     nm);
		}
	}
	for (const char *c = compact; *c; c++) {
		for (int up = 0; up < 2; up++) {
			char text[512];
			struct pc_sip_msg m;
			int len = snprintf(
				text, sizeof(text),
				"OPTIONS sip:a@b SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
				"f: <sip:a@b>;tag=1\r\nt: <sip:a@b>\r\ni: x\r\n"
				"CSeq: 1 OPTIONS\r\nX-Pad: 1\r\n%c: 1\r\n\r\n",
				up ? *c - 32 : *c);

			if (strchr("vftil", *c))
				continue;
			cr_assert_eq(pc_sip_msg_parse(&m, text, (size_t)len, NULL, 0), 0, "%c", *c);
			cr_assert_neq(m.headers[m.nheaders - 1].id, PC_SIP_HDR_OTHER,
				      "compact '%c' not recognised", up ? *c - 32 : *c);
		}
	}
}
