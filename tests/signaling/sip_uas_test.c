/* SPDX-License-Identifier: MIT */
/*
 * sip_uas_test.c - pc_sip_uas_verdict() of signaling/pc_sip_msg.h: every torture message of
 * RFC 4475 and RFC 5118 against the uas column of EXPECTED.tsv, and one hand-written message
 * per rule (and its order).
 *
 * What the torture check accepts: for "ok" and "error" rows, exactly the uas column (a status
 * code, "process", or "-"). For "either" rows the parser may accept or reject: when it rejects,
 * the verdict must be the listed code ("-" for responses); when it accepts, the listed code or
 * "process" (a message the parser tolerates is handled normally; escruri, regbadct and
 * badaspec are such today). Every message lies at the end of a page followed by a PROT_NONE
 * page, so the verdict reading past it faults.
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

/* The verdict as EXPECTED.tsv writes it: a code, "process", "drop" or "-". */
static void verdict_str(const struct pc_sip_uas_verdict *v, char *out, size_t n)
{
	switch (v->action) {
	case PC_SIP_UAS_RESPOND:
		snprintf(out, n, "%u", v->status);
		break;
	case PC_SIP_UAS_PROCESS:
		snprintf(out, n, "process");
		break;
	case PC_SIP_UAS_DROP:
		snprintf(out, n, "drop");
		break;
	case PC_SIP_UAS_NOT_REQUEST:
		snprintf(out, n, "-");
		break;
	}
}

Test(sip_uas, torture_expected)
{
	struct stat st;
	char line[512], path[1024], got[16];
	unsigned n = 0, exact = 0;
	FILE *tsv;

	if (stat(PC_TEST_SIP_DATA "/EXPECTED.tsv", &st) != 0)
		cr_skip_test("no SIP torture data at " PC_TEST_SIP_DATA
			     " (set -DPC_SIP_TESTDATA=<folder with EXPECTED.tsv>)");
	tsv = fopen(PC_TEST_SIP_DATA "/EXPECTED.tsv", "r");
	cr_assert_not_null(tsv);
	while (fgets(line, sizeof(line), tsv)) {
		char *file, *parse, *uas, *save;
		struct pc_sip_uas_verdict v;
		struct guarded g;
		size_t len;
		char *data;
		int rc;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		file = strtok_r(line, "\t\n", &save);
		parse = strtok_r(NULL, "\t\n", &save);
		uas = strtok_r(NULL, "\t\n", &save);
		cr_assert(file && parse && uas, "bad EXPECTED.tsv line");
		snprintf(path, sizeof(path), "%s/%s", PC_TEST_SIP_DATA, file);
		data = read_all(path, &len);
		cr_assert_not_null(data, "cannot read %s", path);

		/* Given the message at the end of a page, parsed */
		guarded_init(&g, data, len);
		rc = pc_sip_msg_parse(&msg, g.buf, len, err, sizeof(err));
		/* When the UAS judges it */
		cr_assert_eq(pc_sip_uas_verdict(&msg, rc, &v), 0);
		verdict_str(&v, got, sizeof(got));
		/* Then it is EXPECTED.tsv's, or process for a tolerated "either" message */
		if (strcmp(got, uas) == 0)
			exact++;
		else
			cr_expect(strcmp(parse, "either") == 0 && rc == 0 &&
					  strcmp(got, "process") == 0,
				  "%s: uas verdict %s, expected %s (parse rc %d: %s)", file, got,
				  uas, rc, err);
		cr_expect_not_null(v.why);
		n++;
		guarded_fini(&g);
		free(data);
	}
	fclose(tsv);
	cr_expect_eq(n, 61, "EXPECTED.tsv lists %u files, not 61", n);
	/* 58 exact today; escruri, regbadct, badaspec parse and are processed. */
	cr_expect_geq(exact, 58, "only %u of %u exact", exact, n);
}

#define HDRS                                                 \
	"Via: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\n" \
	"From: <sip:a@example.com>;tag=1\r\n"                \
	"To: <sip:b@example.com>\r\n"                        \
	"Call-ID: c1@h\r\n"

/* Parses @s from a guarded buffer and judges it; the slices in @v are dead after return. */
static int judge(const char *s, struct pc_sip_uas_verdict *v, int *parse_rc)
{
	struct guarded g;
	int rc;

	guarded_init(&g, s, strlen(s));
	*parse_rc = pc_sip_msg_parse(&msg, g.buf, strlen(s), err, sizeof(err));
	rc = pc_sip_uas_verdict(&msg, *parse_rc, v);
	guarded_fini(&g);
	return rc;
}

struct uas_case {
	const char *name;
	const char *msg;
	enum pc_sip_uas_action action;
	unsigned status;
};

Test(sip_uas, rules)
{
	static const struct uas_case cases[] = {
		{ "process", "OPTIONS sip:b@x SIP/2.0\r\n" HDRS "CSeq: 1 OPTIONS\r\n\r\n",
		  PC_SIP_UAS_PROCESS, 0 },
		{ "response", "SIP/2.0 200 OK\r\n" HDRS "CSeq: 1 OPTIONS\r\n\r\n",
		  PC_SIP_UAS_NOT_REQUEST, 0 },
		{ "bad response", "SIP/2.0 2000 OK\r\n" HDRS "CSeq: 1 OPTIONS\r\n\r\n",
		  PC_SIP_UAS_NOT_REQUEST, 0 },
		{ "garbage", "hello\r\n\r\n", PC_SIP_UAS_DROP, 0 },
		{ "empty", "", PC_SIP_UAS_DROP, 0 },
		{ "400", "OPTIONS sip:b@x SIP/2.0\r\n" HDRS "\r\n", PC_SIP_UAS_RESPOND, 400 },
		{ "505", "OPTIONS sip:b@x SIP/3.1\r\n" HDRS "CSeq: 1 OPTIONS\r\n\r\n",
		  PC_SIP_UAS_RESPOND, 505 },
		{ "not a version: 400", "OPTIONS sip:b@x SIP/x\r\n" HDRS "CSeq: 1 OPTIONS\r\n\r\n",
		  PC_SIP_UAS_RESPOND, 400 },
		{ "mismatch, known method: 400",
		  "OPTIONS sip:b@x SIP/2.0\r\n" HDRS "CSeq: 1 INVITE\r\n\r\n", PC_SIP_UAS_RESPOND,
		  400 },
		{ "mismatch, unknown method: 501",
		  "FOO sip:b@x SIP/2.0\r\n" HDRS "CSeq: 1 INVITE\r\n\r\n", PC_SIP_UAS_RESPOND,
		  501 },
		{ "bad ACK dropped", "ACK sip:b@x SIP/2.0\r\n" HDRS "\r\n", PC_SIP_UAS_DROP, 0 },
		{ "501", "FOO sip:b@x SIP/2.0\r\n" HDRS "CSeq: 1 FOO\r\n\r\n", PC_SIP_UAS_RESPOND,
		  501 },
		{ "method is case-sensitive",
		  "invite sip:b@x SIP/2.0\r\n" HDRS "CSeq: 1 invite\r\n\r\n", PC_SIP_UAS_RESPOND,
		  501 },
		{ "501 before 416", "FOO http://x/ SIP/2.0\r\n" HDRS "CSeq: 1 FOO\r\n\r\n",
		  PC_SIP_UAS_RESPOND, 501 },
		{ "416", "OPTIONS http://x/ SIP/2.0\r\n" HDRS "CSeq: 1 OPTIONS\r\n\r\n",
		  PC_SIP_UAS_RESPOND, 416 },
		{ "tel", "OPTIONS tel:+15551234 SIP/2.0\r\n" HDRS "CSeq: 1 OPTIONS\r\n\r\n",
		  PC_SIP_UAS_PROCESS, 0 },
		{ "ACK bad scheme dropped", "ACK http://x/ SIP/2.0\r\n" HDRS "CSeq: 1 ACK\r\n\r\n",
		  PC_SIP_UAS_DROP, 0 },
		{ "416 before 420",
		  "OPTIONS im:x SIP/2.0\r\n" HDRS "CSeq: 1 OPTIONS\r\nRequire: foo\r\n\r\n",
		  PC_SIP_UAS_RESPOND, 416 },
		{ "supported tags",
		  "INVITE sip:b@x SIP/2.0\r\n" HDRS
		  "CSeq: 1 INVITE\r\nRequire: Timer , replaces\r\n\r\n",
		  PC_SIP_UAS_PROCESS, 0 },
		{ "Proxy-Require ignored",
		  "INVITE sip:b@x SIP/2.0\r\n" HDRS "CSeq: 1 INVITE\r\nProxy-Require: foo\r\n\r\n",
		  PC_SIP_UAS_PROCESS, 0 },
		{ "CANCEL Require ignored",
		  "CANCEL sip:b@x SIP/2.0\r\n" HDRS "CSeq: 1 CANCEL\r\nRequire: foo\r\n\r\n",
		  PC_SIP_UAS_PROCESS, 0 },
		{ "420 before 401",
		  "REGISTER sip:x SIP/2.0\r\n" HDRS
		  "CSeq: 1 REGISTER\r\nRequire: foo\r\nAuthorization: Basic xyz\r\n\r\n",
		  PC_SIP_UAS_RESPOND, 420 },
		{ "401",
		  "REGISTER sip:x SIP/2.0\r\n" HDRS
		  "CSeq: 1 REGISTER\r\nAuthorization: Basic xyz\r\n\r\n",
		  PC_SIP_UAS_RESPOND, 401 },
		{ "Digest passes",
		  "REGISTER sip:x SIP/2.0\r\n" HDRS
		  "CSeq: 1 REGISTER\r\nAuthorization: digest username=\"a\"\r\n\r\n",
		  PC_SIP_UAS_PROCESS, 0 },
		{ "unknown scheme off REGISTER",
		  "OPTIONS sip:x SIP/2.0\r\n" HDRS
		  "CSeq: 1 OPTIONS\r\nAuthorization: Basic xyz\r\n\r\n",
		  PC_SIP_UAS_PROCESS, 0 },
		{ "401 before 415",
		  "REGISTER sip:x SIP/2.0\r\n" HDRS
		  "CSeq: 1 REGISTER\r\nAuthorization: X\r\nContent-Type: a/b\r\n\r\nbody",
		  PC_SIP_UAS_RESPOND, 401 },
		{ "415",
		  "INVITE sip:b@x SIP/2.0\r\n" HDRS
		  "CSeq: 1 INVITE\r\nContent-Type: application/foo\r\n\r\nbody",
		  PC_SIP_UAS_RESPOND, 415 },
		{ "sdp with params and LWS",
		  "INVITE sip:b@x SIP/2.0\r\n" HDRS
		  "CSeq: 1 INVITE\r\nc: Application / SDP ; charset=x\r\n\r\nv=0",
		  PC_SIP_UAS_PROCESS, 0 },
		{ "multipart/signed: 415",
		  "INVITE sip:b@x SIP/2.0\r\n" HDRS
		  "CSeq: 1 INVITE\r\nContent-Type: multipart/signed;boundary=x\r\n\r\n--x",
		  PC_SIP_UAS_RESPOND, 415 },
		{ "no body, any type",
		  "INVITE sip:b@x SIP/2.0\r\n" HDRS
		  "CSeq: 1 INVITE\r\nContent-Type: application/foo\r\nl: 0\r\n\r\n",
		  PC_SIP_UAS_PROCESS, 0 },
		{ "415 for an encoding",
		  "INVITE sip:b@x SIP/2.0\r\n" HDRS
		  "CSeq: 1 INVITE\r\nContent-Type: application/sdp\r\ne: gzip\r\n\r\nbody",
		  PC_SIP_UAS_RESPOND, 415 },
		{ "identity encoding passes",
		  "INVITE sip:b@x SIP/2.0\r\n" HDRS
		  "CSeq: 1 INVITE\r\nContent-Type: application/sdp\r\n"
		  "Content-Encoding: Identity\r\n\r\nv=0",
		  PC_SIP_UAS_PROCESS, 0 },
		{ "encoding in a list",
		  "INVITE sip:b@x SIP/2.0\r\n" HDRS
		  "CSeq: 1 INVITE\r\nContent-Type: application/sdp\r\n"
		  "Content-Encoding: identity, deflate\r\n\r\nv=0",
		  PC_SIP_UAS_RESPOND, 415 },
		{ "no body, any encoding",
		  "INVITE sip:b@x SIP/2.0\r\n" HDRS
		  "CSeq: 1 INVITE\r\nContent-Encoding: gzip\r\nl: 0\r\n\r\n",
		  PC_SIP_UAS_PROCESS, 0 },
		{ "ACK with an encoding dropped",
		  "ACK sip:b@x SIP/2.0\r\n" HDRS
		  "CSeq: 1 ACK\r\nContent-Type: application/sdp\r\ne: gzip\r\n\r\nv=0",
		  PC_SIP_UAS_DROP, 0 },
		{ "type 415 before encoding 415 (Accept, not Accept-Encoding)",
		  "INVITE sip:b@x SIP/2.0\r\n" HDRS
		  "CSeq: 1 INVITE\r\nContent-Type: a/b\r\ne: gzip\r\n\r\nbody",
		  PC_SIP_UAS_RESPOND, 415 },
		{ "encoding 415 before 406",
		  "INVITE sip:b@x SIP/2.0\r\n" HDRS
		  "CSeq: 1 INVITE\r\nAccept: text/foo\r\nContent-Type: application/sdp\r\n"
		  "e: gzip\r\n\r\nbody",
		  PC_SIP_UAS_RESPOND, 415 },
		{ "415 before 406",
		  "INVITE sip:b@x SIP/2.0\r\n" HDRS
		  "CSeq: 1 INVITE\r\nAccept: text/foo\r\nContent-Type: a/b\r\n\r\nbody",
		  PC_SIP_UAS_RESPOND, 415 },
		{ "406",
		  "OPTIONS sip:b@x SIP/2.0\r\n" HDRS
		  "CSeq: 1 OPTIONS\r\nAccept: text/foo;q=\"a,application/sdp\"\r\n\r\n",
		  PC_SIP_UAS_RESPOND, 406 },
		{ "empty Accept: 406",
		  "INVITE sip:b@x SIP/2.0\r\n" HDRS "CSeq: 1 INVITE\r\nAccept:\r\n\r\n",
		  PC_SIP_UAS_RESPOND, 406 },
		{ "Accept in a second header",
		  "INVITE sip:b@x SIP/2.0\r\n" HDRS
		  "CSeq: 1 INVITE\r\nAccept: text/foo\r\nAccept: text/x, application/*\r\n\r\n",
		  PC_SIP_UAS_PROCESS, 0 },
		{ "Accept */*",
		  "INVITE sip:b@x SIP/2.0\r\n" HDRS "CSeq: 1 INVITE\r\nAccept: */*\r\n\r\n",
		  PC_SIP_UAS_PROCESS, 0 },
		{ "Accept off INVITE/OPTIONS",
		  "MESSAGE sip:b@x SIP/2.0\r\n" HDRS "CSeq: 1 MESSAGE\r\nAccept: text/foo\r\n\r\n",
		  PC_SIP_UAS_PROCESS, 0 },
	};
	struct pc_sip_uas_verdict v;
	int prc;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(judge(cases[i].msg, &v, &prc), 0);
		cr_expect_eq(v.action, cases[i].action, "%s: action %d, want %d (parse %d: %s)",
			     cases[i].name, v.action, cases[i].action, prc, err);
		cr_expect_eq(v.status, cases[i].status, "%s: status %u, want %u", cases[i].name,
			     v.status, cases[i].status);
		cr_expect(v.why && v.why[0], "%s: no reason", cases[i].name);
	}
}

Test(sip_uas, unsupported_tags_and_accept)
{
	static const char m[] = "INVITE sip:b@x SIP/2.0\r\n" HDRS "CSeq: 1 INVITE\r\n"
				"Require: timer, foo ,\"q,x\"\r\nRequire: bar\r\n\r\n";
	struct pc_sip_uas_verdict v;
	char many[1024];
	size_t n;

	/* Given Require tags across two headers, one of them supported */
	cr_assert_eq(pc_sip_msg_parse(&msg, m, sizeof(m) - 1, err, sizeof(err)), 0, "%s", err);
	/* When judged */
	cr_assert_eq(pc_sip_uas_verdict(&msg, 0, &v), 0);
	/* Then 420 lists the others, in order, as slices of the message */
	cr_expect_eq(v.status, 420);
	cr_assert_eq(v.nunsupported, 3);
	cr_expect_eq(v.unsupported[0].len, 3);
	cr_expect_eq(memcmp(v.unsupported[0].p, "foo", 3), 0);
	cr_expect_eq(memcmp(v.unsupported[1].p, "\"q,x\"", 5), 0);
	cr_expect_eq(memcmp(v.unsupported[2].p, "bar", 3), 0);

	/* More tags than room: all counted, the first kept */
	n = (size_t)snprintf(many, sizeof(many),
			     "OPTIONS sip:b@x SIP/2.0\r\n" HDRS "CSeq: 1 OPTIONS\r\nRequire: t0");
	for (int i = 1; i < 20; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, ",t%d", i);
	n += (size_t)snprintf(many + n, sizeof(many) - n, "\r\n\r\n");
	cr_assert_eq(pc_sip_msg_parse(&msg, many, n, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(pc_sip_uas_verdict(&msg, 0, &v), 0);
	cr_expect_eq(v.nunsupported, 20);
	cr_expect_eq(memcmp(v.unsupported[PC_SIP_UAS_MAX_UNSUPPORTED - 1].p, "t7", 2), 0);

	/* 415 names what we accept */
	static const char m2[] = "INVITE sip:b@x SIP/2.0\r\n" HDRS
				 "CSeq: 1 INVITE\r\nContent-Type: a/b\r\n\r\nx";
	cr_assert_eq(pc_sip_msg_parse(&msg, m2, sizeof(m2) - 1, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(pc_sip_uas_verdict(&msg, 0, &v), 0);
	cr_expect_eq(v.status, 415);
	cr_expect_str_eq(v.accept, PC_SIP_UAS_ACCEPT);
	cr_expect_null(v.accept_encoding);

	/* 415 for an encoding names the encodings we accept, not the types */
	static const char m3[] = "INVITE sip:b@x SIP/2.0\r\n" HDRS
				 "CSeq: 1 INVITE\r\nc: application/sdp\r\ne: gzip\r\n\r\nx";
	cr_assert_eq(pc_sip_msg_parse(&msg, m3, sizeof(m3) - 1, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(pc_sip_uas_verdict(&msg, 0, &v), 0);
	cr_expect_eq(v.status, 415);
	cr_expect_null(v.accept);
	cr_expect_str_eq(v.accept_encoding, "identity");
	cr_expect_eq(pc_sip_uas_verdict(NULL, 0, &v), -EINVAL);
	cr_expect_eq(pc_sip_uas_verdict(&msg, 0, NULL), -EINVAL);
}

Test(sip_uas, header_value_prefixes_stay_in_bounds)
{
	static const char *const tails[] = { "Require: a,\"b\\",
					     "Accept: x/y;q=\"1,",
					     "Content-Type: application/",
					     "Authorization: ",
					     "Require: ,,, ,",
					     "Accept: ;,",
					     "Content-Encoding: gz\"ip,\\" };
	struct pc_sip_uas_verdict v;
	char m[512];
	int prc;

	/* Given header values cut anywhere (odd quotes, a trailing backslash, empty lists) */
	for (size_t t = 0; t < sizeof(tails) / sizeof(tails[0]); t++) {
		for (size_t cut = 0; cut <= strlen(tails[t]); cut++) {
			snprintf(m, sizeof(m),
				 "%s sip:b@x SIP/2.0\r\n" HDRS "CSeq: 1 %s\r\n%.*s\r\n\r\nx",
				 t == 3 ? "REGISTER" : "INVITE", t == 3 ? "REGISTER" : "INVITE",
				 (int)cut, tails[t]);
			/* When judged from a guarded buffer, Then no fault and a verdict */
			cr_assert_eq(judge(m, &v, &prc), 0);
			cr_expect(v.why != NULL);
		}
	}
}
