/* SPDX-License-Identifier: MIT */
/*
 * srtp_fuzz.c - libFuzzer target for the SDES key-params parser of fastpath/srtp/pc_srtp.h:
 * pc_srtp_inline_parse() (and pc_srtp_suite_parse() on the same bytes).
 *
 * Notes on running it:
 *   - The parser lives in fastpath/srtp/srtp_key.c, which needs no libsrtp:
 *     clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Ifastpath/srtp \
 *         -Ifastpath/pkt -Ifastpath/arch tests/fuzz/srtp_fuzz.c fastpath/srtp/srtp_key.c \
 *         -o /tmp/srtp_fuzz && /tmp/srtp_fuzz -max_total_time=30
 *   - With tests/fuzz/srtp.cmake: CTest's fuzz/srtp, seeded with one string per suite.
 *   - Longer, keeping what it finds: `./srtp_fuzz -max_total_time=600 corpus/`; a crash leaves
 *     crash-<sha1> to replay with `./srtp_fuzz crash-<sha1>`.
 *
 * Input: the first byte picks the suite (byte % 5: the four suites and one value that is none;
 * 'A'..'D' are the suites, 'E' none), the rest is the key-params, copied into a buffer of
 * exactly its length so that AddressSanitizer catches any read past it. The contract of the
 * header comment, checked (abort on any difference):
 *   - the result is 0, -EBADMSG, -EINVAL or -ERANGE; a refusal comes with a reason and leaves
 *     *out as it was;
 *   - on success: the input starts with "inline:" (any case); the key is of the suite asked,
 *     the bytes past its key and salt lengths are zero, the lifetime is 0 or 1..2^48, the MKI
 *     length 0..128 (value 0 without one, fitting its length with one);
 *   - printing the key and parsing the print gives the same key back;
 *   - nothing writes to the input.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pc_srtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		abort();
}

static void check_key(const struct pc_srtp_key *k, enum pc_srtp_suite suite)
{
	const struct pc_srtp_suite_info *si = pc_srtp_suite_info(suite);

	check(si != NULL && k->suite == suite);
	for (size_t i = si->key_len; i < sizeof(k->key); i++)
		check(k->key[i] == 0);
	for (size_t i = si->salt_len; i < sizeof(k->salt); i++)
		check(k->salt[i] == 0);
	check(k->lifetime <= PC_SRTP_LIFETIME_MAX);
	check(k->mki_len <= PC_SRTP_MKI_LEN_MAX);
	if (k->mki_len == 0)
		check(k->mki == 0);
	else if (k->mki_len < 8)
		check(k->mki >> (8 * k->mki_len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pc_srtp_key k, sentinel, back;
	enum pc_srtp_suite suite, named;
	char printed[PC_SRTP_INLINE_MAX];
	const char *why = NULL;
	char *s;
	size_t len;
	int rc, n;

	if (size == 0)
		return 0;
	suite = (enum pc_srtp_suite)(data[0] % (PC_SRTP_SUITES + 1));
	len = size - 1;
	s = malloc(len ? len : 1);
	if (s == NULL)
		return 0;
	if (len)
		memcpy(s, data + 1, len);

	memset(&sentinel, 0xa5, sizeof(sentinel));
	k = sentinel;
	rc = pc_srtp_inline_parse(s, len, suite, &k, &why);
	check(rc == 0 || rc == -EBADMSG || rc == -EINVAL || rc == -ERANGE);
	if (rc < 0) {
		check(why != NULL && why[0] != '\0');
		check(memcmp(&k, &sentinel, sizeof(k)) == 0);
		if (suite == PC_SRTP_SUITES)
			check(rc == -EINVAL);
	} else {
		check(len >= 7 && strncasecmp(s, "inline:", 7) == 0);
		check_key(&k, suite);
		n = pc_srtp_inline_print(&k, printed, sizeof(printed));
		check(n > 0 && (size_t)n == strlen(printed));
		memset(&back, 0x5a, sizeof(back));
		check(pc_srtp_inline_parse(printed, (size_t)n, suite, &back, NULL) == 0);
		check(memcmp(&back, &k, sizeof(k)) == 0);
	}

	/* The suite names: a match is exactly one of the four, in any case. */
	rc = pc_srtp_suite_parse(s, len, &named);
	check(rc == 0 || rc == -ENOTSUP);
	if (rc == 0)
		check(strlen(pc_srtp_suite_name(named)) == len &&
		      strncasecmp(pc_srtp_suite_name(named), s, len) == 0);

	/* Nothing may write to the input. */
	check(len == 0 || memcmp(s, data + 1, len) == 0);
	free(s);
	return 0;
}
