/* SPDX-License-Identifier: MIT */
/*
 * sip_auth_fuzz.c - libFuzzer target for the digest parsers of signaling/pc_sip_auth.h:
 * pc_sip_auth_challenge_parse() and pc_sip_auth_credentials_parse() on the same input, and
 * pc_sip_auth_pick() on its lines.
 *
 * Notes on running it:
 *   - It needs signaling/sip_auth.c and sip_msg.c, and libcrypto:
 *     clang -g -O1 -fsanitize=fuzzer,address,undefined -Isignaling tests/fuzz/sip_auth_fuzz.c \
 *         signaling/sip_auth.c signaling/sip_msg.c -lcrypto -o /tmp/sip_auth_fuzz && \
 *         /tmp/sip_auth_fuzz -max_total_time=30
 *   - tests/fuzz/sip_auth.cmake writes a challenge and a credentials seed into the corpus (their
 *     first octet is part of the input like any other).
 *
 * The input is copied into a buffer of exactly its length, without a NUL, so that
 * AddressSanitizer catches any read past it. Checked (abort on any difference):
 *   - each parser returns 0, -EBADMSG, -ENOTSUP or -E2BIG, with a one-line non-empty reason on
 *     failure and "" on success; the input is not written to; a second parse agrees;
 *   - on success every slice lies inside the input, and unquotes within its own length;
 *   - a challenge that parses with a known algorithm is answered by the client, the answer parses
 *     as credentials and passes the server's check with the same password (and fails with
 *     another); a buffer one octet too small gives -ENOSPC;
 *   - credentials that parse are checked against a password without crashing (0, -EACCES or
 *     -ENOTSUP);
 *   - pc_sip_auth_pick() over the input's lines returns 0 (a challenge inside the input, of an
 *     algorithm in the mask) or -ENOENT.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pc_sip_auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SL(lit) ((struct pc_sip_slice){ (lit), sizeof(lit) - 1 })

static struct pc_sip_auth_client *client;
static char hdr[3 * PC_SIP_AUTH_MAX_LEN];

static int fixed_cnonce(void *arg, char *buf, size_t size)
{
	(void)arg;
	if (size < 9)
		return -ENOSPC;
	memcpy(buf, "0a4f113b", 9);
	return 0;
}

static void check_slice(struct pc_sip_slice s, const char *buf, size_t len)
{
	char tmp[PC_SIP_AUTH_MAX_LEN + 1];
	int n;

	if (!s.p)
		return;
	if (s.p < buf || s.p + s.len > buf + len)
		abort();
	n = pc_sip_auth_unquote(s, tmp, sizeof(tmp));
	if (n < 0 || (size_t)n > s.len || tmp[n] != '\0')
		abort();
}

static void check_err(int rc, const char *err)
{
	if (rc != 0 && rc != -EBADMSG && rc != -ENOTSUP && rc != -E2BIG)
		abort();
	if (strchr(err, '\n') || (rc == 0) != (err[0] == '\0'))
		abort();
}

static void round_trip(const struct pc_sip_auth_challenge *ch)
{
	static const struct pc_sip_auth_account acct = { SL("fuzz\"er"), SL("pass") };
	static const struct pc_sip_auth_account other = { SL("fuzz\"er"), SL("pasS") };
	struct pc_sip_auth_credentials cr;
	char err[PC_SIP_ERR_MAX];
	size_t n = 0;
	int rc;

	rc = pc_sip_auth_client_authorize(client, ch, &acct, SL("REGISTER"), SL("sip:example.com"),
					  SL("body"), 0, hdr, sizeof(hdr), &n);
	if (rc == -ENOTSUP && ch->qop_options.p &&
	    !(ch->qop & (PC_SIP_AUTH_QOP_AUTH | PC_SIP_AUTH_QOP_AUTH_INT)))
		return;
	if (rc != 0 || n != strlen(hdr))
		abort();
	if (n > PC_SIP_AUTH_MAX_LEN)
		return; /* too long to parse back: the parser's limit */
	rc = pc_sip_auth_credentials_parse(&cr, hdr, n, err, sizeof(err));
	if (rc != 0)
		abort();
	if (pc_sip_auth_verify(&cr, SL("REGISTER"), SL("body"), &acct, err, sizeof(err)) != 0)
		abort();
	if (pc_sip_auth_verify(&cr, SL("REGISTER"), SL("body"), &other, err, sizeof(err)) !=
	    -EACCES)
		abort();
	/* One octet short (no room for the NUL): refused, the count not used up. */
	if (pc_sip_auth_client_authorize(client, ch, &acct, SL("REGISTER"), SL("sip:example.com"),
					 SL("body"), 0, hdr, n, NULL) != -ENOSPC)
		abort();
}

static void pick_lines(const char *buf, size_t size)
{
	struct pc_sip_slice v[PC_SIP_AUTH_MAX_CHALLENGES];
	struct pc_sip_auth_challenge ch;
	char err[PC_SIP_ERR_MAX];
	unsigned n = 0, idx = 0;
	size_t start = 0;
	unsigned mask = size ? (unsigned)(unsigned char)buf[0] & PC_SIP_AUTH_ALG_ALL : 0;
	int rc;

	for (size_t i = 0; i <= size && n < PC_SIP_AUTH_MAX_CHALLENGES; i++) {
		if (i == size || buf[i] == '\n') {
			v[n++] = (struct pc_sip_slice){ buf + start, i - start };
			start = i + 1;
		}
	}
	rc = pc_sip_auth_pick(v, n, mask ? mask : PC_SIP_AUTH_ALG_ALL,
			      (struct pc_sip_slice){ NULL, 0 }, &ch, &idx, err, sizeof(err));
	if (rc == -ENOENT) {
		if (!err[0] || strchr(err, '\n'))
			abort();
		return;
	}
	if (rc != 0 || idx >= n || ch.alg >= PC_SIP_AUTH_ALG_UNKNOWN)
		abort();
	if (mask && !(mask & PC_SIP_AUTH_ALG_BIT(ch.alg)))
		abort();
	if (ch.realm.p < v[idx].p || ch.nonce.p + ch.nonce.len > v[idx].p + v[idx].len)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pc_sip_auth_challenge ch, ch2;
	struct pc_sip_auth_credentials cr, cr2;
	char err[PC_SIP_ERR_MAX];
	char *buf;
	int rc;

	if (!client && pc_sip_auth_client_create(&client, fixed_cnonce, NULL) != 0)
		abort();
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);

	rc = pc_sip_auth_challenge_parse(&ch, buf, size, err, sizeof(err));
	check_err(rc, err);
	if (rc == 0) {
		check_slice(ch.realm, buf, size);
		check_slice(ch.nonce, buf, size);
		check_slice(ch.opaque, buf, size);
		check_slice(ch.domain, buf, size);
		check_slice(ch.algorithm, buf, size);
		check_slice(ch.qop_options, buf, size);
		if (!ch.realm.p || !ch.nonce.p || ch.alg > PC_SIP_AUTH_ALG_UNKNOWN)
			abort();
		if (pc_sip_auth_challenge_parse(&ch2, buf, size, NULL, 0) != 0 ||
		    ch2.realm.p != ch.realm.p || ch2.nonce.len != ch.nonce.len ||
		    ch2.qop != ch.qop || ch2.stale != ch.stale)
			abort();
		if (ch.alg != PC_SIP_AUTH_ALG_UNKNOWN)
			round_trip(&ch);
	}

	rc = pc_sip_auth_credentials_parse(&cr, buf, size, err, sizeof(err));
	check_err(rc, err);
	if (rc == 0) {
		static const struct pc_sip_auth_account acct = { SL("u"), SL("p") };

		check_slice(cr.username, buf, size);
		check_slice(cr.realm, buf, size);
		check_slice(cr.nonce, buf, size);
		check_slice(cr.uri, buf, size);
		check_slice(cr.response, buf, size);
		check_slice(cr.cnonce, buf, size);
		check_slice(cr.opaque, buf, size);
		check_slice(cr.qop_value, buf, size);
		check_slice(cr.nc_value, buf, size);
		if (pc_sip_auth_credentials_parse(&cr2, buf, size, NULL, 0) != 0 ||
		    cr2.response.p != cr.response.p || cr2.nc != cr.nc)
			abort();
		rc = pc_sip_auth_verify(&cr, SL("REGISTER"), SL(""), &acct, err, sizeof(err));
		if (rc != 0 && rc != -EACCES && rc != -ENOTSUP)
			abort();
	}

	pick_lines(buf, size);
	if (memcmp(buf, data, size) != 0)
		abort();
	free(buf);
	return 0;
}
