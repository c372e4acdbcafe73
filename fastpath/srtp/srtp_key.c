/* SPDX-License-Identifier: MIT */
/*
 * srtp_key.c - the suites of pc_srtp.h and SDES key-params (RFC 4568 9.2): parse, print and make
 * master keys. No libsrtp here, so that the parser's fuzz target builds from this file alone.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "pc_srtp.h"

static const struct pc_srtp_suite_info suites[PC_SRTP_SUITES] = {
	[PC_SRTP_AES_CM_128_HMAC_SHA1_80] = { "AES_CM_128_HMAC_SHA1_80", 16, 14, 10, 14 },
	/* RFC 4568 6.2.2: the 32-bit tag is SRTP's; SRTCP keeps 80 bits. */
	[PC_SRTP_AES_CM_128_HMAC_SHA1_32] = { "AES_CM_128_HMAC_SHA1_32", 16, 14, 4, 14 },
	/* RFC 7714 12: 96-bit salt, 16-octet tag for SRTP and SRTCP. */
	[PC_SRTP_AEAD_AES_128_GCM] = { "AEAD_AES_128_GCM", 16, 12, 16, 20 },
	[PC_SRTP_AEAD_AES_256_GCM] = { "AEAD_AES_256_GCM", 32, 12, 16, 20 },
};

const struct pc_srtp_suite_info *pc_srtp_suite_info(enum pc_srtp_suite suite)
{
	if ((unsigned)suite >= PC_SRTP_SUITES)
		return NULL;
	return &suites[suite];
}

const char *pc_srtp_suite_name(enum pc_srtp_suite suite)
{
	const struct pc_srtp_suite_info *si = pc_srtp_suite_info(suite);

	return si != NULL ? si->name : "?";
}

int pc_srtp_suite_parse(const char *name, size_t len, enum pc_srtp_suite *out)
{
	for (unsigned i = 0; i < PC_SRTP_SUITES; i++) {
		if (strlen(suites[i].name) == len && strncasecmp(suites[i].name, name, len) == 0) {
			*out = (enum pc_srtp_suite)i;
			return 0;
		}
	}
	return -ENOTSUP;
}

/* --- base64 (RFC 4648 4) ---------------------------------------------------------------------- */

static const char b64_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Decode the @n characters at @s into @out (@cap bytes); *@dec receives the decoded length,
 * which may exceed @cap (the excess is counted, not written). Returns 0 or -EBADMSG.
 */
static int b64_decode(const char *s, size_t n, uint8_t *out, size_t cap, size_t *dec,
		      const char **why)
{
	size_t pad = 0, o = 0;
	uint32_t acc = 0;
	unsigned bits = 0;

	while (pad < 2 && n > 0 && s[n - 1] == '=') {
		n--;
		pad++;
	}
	if (n == 0) {
		*why = "no key: the base64 key||salt is empty";
		return -EBADMSG;
	}
	/* Padding fills the last quantum to 4 characters; without it, 1 character left over
	 * (6 bits) is no byte at all. */
	if ((pad != 0 && (n + pad) % 4 != 0) || n % 4 == 1) {
		*why = "base64 key||salt has a length (or padding) no encoding gives";
		return -EBADMSG;
	}
	for (size_t i = 0; i < n; i++) {
		int v = b64_value((unsigned char)s[i]);

		if (v < 0) {
			*why = "base64 key||salt has a character outside the base64 alphabet";
			return -EBADMSG;
		}
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o < cap)
				out[o] = (uint8_t)(acc >> bits);
			o++;
			acc &= (1u << bits) - 1;
		}
	}
	/* RFC 4648 3.5: the pad bits of the last quantum are zero in a canonical encoding. */
	if (acc != 0) {
		*why = "base64 key||salt has non-zero bits after its last byte";
		return -EBADMSG;
	}
	*dec = o;
	return 0;
}

static size_t b64_encode(const uint8_t *in, size_t n, char *out)
{
	size_t o = 0, i = 0;

	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		out[o++] = b64_chars[v >> 18];
		out[o++] = b64_chars[(v >> 12) & 63];
		out[o++] = b64_chars[(v >> 6) & 63];
		out[o++] = b64_chars[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;

		out[o++] = b64_chars[v >> 18];
		out[o++] = b64_chars[(v >> 12) & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;

		out[o++] = b64_chars[v >> 18];
		out[o++] = b64_chars[(v >> 12) & 63];
		out[o++] = b64_chars[(v >> 6) & 63];
		out[o++] = '=';
	}
	return o;
}

/* --- key-params ------------------------------------------------------------------------------- */

/* 1*DIGIT of @n characters into *@v. Returns 0, -EBADMSG (empty, not a digit) or -ERANGE (above
 * 2^64 - 1). */
static int parse_u64(const char *s, size_t n, uint64_t *v)
{
	uint64_t x = 0;

	if (n == 0)
		return -EBADMSG;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EBADMSG;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (x > (UINT64_MAX - d) / 10)
			return -ERANGE;
		x = x * 10 + d;
	}
	*v = x;
	return 0;
}

/* RFC 4568 9.2: lifetime = ["2^"] 1*(DIGIT). */
static int parse_lifetime(const char *s, size_t n, uint64_t *out, const char **why)
{
	uint64_t v;
	int rc;

	if (n >= 2 && s[0] == '2' && s[1] == '^') {
		rc = parse_u64(s + 2, n - 2, &v);
		if (rc == 0 && v >= 64)
			rc = -ERANGE;
		if (rc == 0)
			v = 1ull << v;
	} else {
		rc = parse_u64(s, n, &v);
	}
	if (rc == -EBADMSG) {
		*why = "lifetime is not a number or 2^number";
		return rc;
	}
	if (rc < 0 || v == 0 || v > PC_SRTP_LIFETIME_MAX) {
		*why = "lifetime is 0 or above the suite's maximum of 2^48 packets";
		return -ERANGE;
	}
	*out = v;
	return 0;
}

/* RFC 4568 9.2: mki = mki-value ":" mki-length; mki-value = 1*DIGIT; mki-length = 1*3DIGIT,
 * 1..128 (bytes). */
static int parse_mki(const char *s, size_t n, uint64_t *value, uint32_t *len, const char **why)
{
	const char *colon = memchr(s, ':', n);
	size_t vn, ln;
	uint64_t v, l;
	int rc;

	if (colon == NULL) {
		*why = "MKI is not value:length";
		return -EBADMSG;
	}
	vn = (size_t)(colon - s);
	ln = n - vn - 1;
	if (ln > 3) {
		*why = "MKI length has more than 3 digits";
		return -EBADMSG;
	}
	rc = parse_u64(colon + 1, ln, &l);
	if (rc == 0)
		rc = parse_u64(s, vn, &v);
	if (rc == -EBADMSG) {
		*why = "MKI value or length is not a number";
		return rc;
	}
	if (rc == 0 && (l == 0 || l > PC_SRTP_MKI_LEN_MAX))
		rc = -ERANGE;
	/* The value must fit in length bytes. */
	if (rc == 0 && l < 8 && v >> (8 * l) != 0)
		rc = -ERANGE;
	if (rc < 0) {
		*why = "MKI length outside 1..128 or a value that does not fit it";
		return rc;
	}
	*value = v;
	*len = (uint32_t)l;
	return 0;
}

int pc_srtp_inline_parse(const char *s, size_t len, enum pc_srtp_suite suite,
			 struct pc_srtp_key *out, const char **why)
{
	static const char prefix[] = "inline:";
	const struct pc_srtp_suite_info *si = pc_srtp_suite_info(suite);
	const char *why_local = NULL;
	uint8_t raw[PC_SRTP_KEY_MAX + PC_SRTP_SALT_MAX];
	struct pc_srtp_key k;
	const char *p, *end = s + len, *bar;
	const char *field[2];
	size_t field_len[2], nfields = 0, dec = 0;
	int rc;

	if (why == NULL)
		why = &why_local;
	if (si == NULL) {
		*why = "unknown crypto suite";
		return -EINVAL;
	}
	/* ABNF literals are case-insensitive (RFC 5234 2.3). */
	if (len < sizeof(prefix) - 1 || strncasecmp(s, prefix, sizeof(prefix) - 1) != 0) {
		*why = "key-params does not start with inline:";
		return -EBADMSG;
	}
	p = s + sizeof(prefix) - 1;
	bar = memchr(p, '|', (size_t)(end - p));
	memset(&k, 0, sizeof(k));
	rc = b64_decode(p, (size_t)((bar != NULL ? bar : end) - p), raw, sizeof(raw), &dec, why);
	if (rc < 0)
		goto out;
	if (dec != (size_t)si->key_len + si->salt_len) {
		*why = "key||salt length is not the suite's";
		rc = -EINVAL;
		goto out;
	}
	/* Up to two fields after the key: [|lifetime] [|mki:length]. */
	while (bar != NULL) {
		const char *next;

		p = bar + 1;
		next = memchr(p, '|', (size_t)(end - p));
		if (nfields == 2) {
			*why = "more than a lifetime and an MKI after the key";
			rc = -EBADMSG;
			goto out;
		}
		field[nfields] = p;
		field_len[nfields++] = (size_t)((next != NULL ? next : end) - p);
		bar = next;
	}
	for (size_t i = 0; i < nfields; i++) {
		bool is_mki = memchr(field[i], ':', field_len[i]) != NULL;

		if (is_mki) {
			if (i + 1 != nfields) {
				*why = "an MKI before the lifetime";
				rc = -EBADMSG;
				goto out;
			}
			rc = parse_mki(field[i], field_len[i], &k.mki, &k.mki_len, why);
		} else if (i == 0) {
			rc = parse_lifetime(field[i], field_len[i], &k.lifetime, why);
		} else {
			*why = "the field after the lifetime is not an MKI";
			rc = -EBADMSG;
		}
		if (rc < 0)
			goto out;
	}
	k.suite = suite;
	memcpy(k.key, raw, si->key_len);
	memcpy(k.salt, raw + si->key_len, si->salt_len);
	*out = k;
	rc = 0;
out:
	explicit_bzero(raw, sizeof(raw));
	explicit_bzero(&k, sizeof(k));
	return rc;
}

int pc_srtp_inline_print(const struct pc_srtp_key *k, char *buf, size_t size)
{
	const struct pc_srtp_suite_info *si = pc_srtp_suite_info(k->suite);
	char tmp[PC_SRTP_INLINE_MAX];
	uint8_t raw[PC_SRTP_KEY_MAX + PC_SRTP_SALT_MAX];
	size_t n;
	int w;

	if (si == NULL)
		return -EINVAL;
	memcpy(raw, k->key, si->key_len);
	memcpy(raw + si->key_len, k->salt, si->salt_len);
	memcpy(tmp, "inline:", 7);
	n = 7 + b64_encode(raw, (size_t)si->key_len + si->salt_len, tmp + 7);
	explicit_bzero(raw, sizeof(raw));
	if (k->lifetime != 0) {
		/* A power of two as 2^n, as SDP usually writes it. */
		if ((k->lifetime & (k->lifetime - 1)) == 0)
			w = snprintf(tmp + n, sizeof(tmp) - n, "|2^%d",
				     __builtin_ctzll(k->lifetime));
		else
			w = snprintf(tmp + n, sizeof(tmp) - n, "|%llu",
				     (unsigned long long)k->lifetime);
		n += (size_t)w;
	}
	if (k->mki_len != 0) {
		w = snprintf(tmp + n, sizeof(tmp) - n, "|%llu:%u", (unsigned long long)k->mki,
			     k->mki_len);
		n += (size_t)w;
	}
	if (n + 1 > size) {
		explicit_bzero(tmp, sizeof(tmp));
		return -ENOSPC;
	}
	memcpy(buf, tmp, n);
	buf[n] = '\0';
	explicit_bzero(tmp, sizeof(tmp));
	return (int)n;
}

int pc_srtp_key_random(struct pc_srtp_key *k, enum pc_srtp_suite suite)
{
	const struct pc_srtp_suite_info *si = pc_srtp_suite_info(suite);
	uint8_t raw[PC_SRTP_KEY_MAX + PC_SRTP_SALT_MAX];
	size_t need, got = 0;

	if (si == NULL)
		return -EINVAL;
	need = (size_t)si->key_len + si->salt_len;
	while (got < need) {
		ssize_t r = getrandom(raw + got, need - got, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			explicit_bzero(raw, sizeof(raw));
			return -errno;
		}
		got += (size_t)r;
	}
	memset(k, 0, sizeof(*k));
	k->suite = suite;
	memcpy(k->key, raw, si->key_len);
	memcpy(k->salt, raw + si->key_len, si->salt_len);
	explicit_bzero(raw, sizeof(raw));
	return 0;
}
