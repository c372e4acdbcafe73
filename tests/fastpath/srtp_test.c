/* SPDX-License-Identifier: MIT */
/*
 * srtp_test.c - SRTP and SRTCP of pc_srtp.h: known answers, round trips, tampering, replay,
 * wrong keys, tailroom, SSRC handling, lifetimes, re-keying one direction, re-protect between
 * legs (SRTP to SRTP with other suites, SRTP to RTP, RTP to SRTP), allocation, and the SDES
 * inline: key-params parser.
 *
 * Known answers. The expected packets are computed a second way, here, with OpenSSL's libcrypto
 * (libsrtp on Debian uses NSS, so the two share no code), and that reference is pinned to the
 * RFCs first:
 *   - RFC 3711 B.2: the AES-CM keystream of the reference, over the whole 65282-block segment;
 *   - RFC 3711 B.3: the reference key derivation (cipher key, salt, auth key);
 *   - RFC 7714 16.1.1, 16.2.1, 17.1, 17.2: the reference AES-GCM SRTP and SRTCP packets, given
 *     the RFC's session key and salt.
 * Then packets protected through pc_srtp (master key and salt in, libsrtp deriving the session
 * keys) must equal the reference's, byte for byte, for each suite family, and libsrtp's own
 * published vectors (its srtp_validate(): RFC 3711 B.3's master key) must come out too.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <srtp2/auth.h>
#include <srtp2/srtp.h>

#include "pc_pkt.h"
#include "pc_rtp.h"
#include "pc_srtp.h"
#include "srtp_pvt.h"

/* --- malloc counting (not under sanitizers, which own malloc) --------------------------------- */

#ifndef PC_SANITIZED
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);

/* Per thread: Criterion's own threads do not disturb a count. */
static __thread uint64_t pc_test_mallocs;

/* Default visibility: the suite is built with hidden symbols, and these must interpose. */
__attribute__((visibility("default"))) void *malloc(size_t n)
{
	pc_test_mallocs++;
	return __libc_malloc(n);
}

__attribute__((visibility("default"))) void *calloc(size_t n, size_t size)
{
	pc_test_mallocs++;
	return __libc_calloc(n, size);
}

__attribute__((visibility("default"))) void *realloc(void *p, size_t n)
{
	pc_test_mallocs++;
	return __libc_realloc(p, n);
}
#define PC_TEST_COUNTS_MALLOC 1
#else
static uint64_t pc_test_mallocs;
#define PC_TEST_COUNTS_MALLOC 0
#endif

/* --- helpers ---------------------------------------------------------------------------------- */

#define PC_TEST_BUF 2048

static struct pc_pkt_pool *pc_test_pool;

static void pc_test_setup(void)
{
	struct pc_pkt_pool_params p = {
		.name = "srtp",
		.count = 64,
		.flags = PC_PKT_POOL_F_NO_HUGEPAGE,
	};

	cr_assert_eq(pc_pkt_pool_create(&pc_test_pool, &p), 0);
	cr_assert_eq(pc_srtp_init(), 0);
}

static void pc_test_teardown(void)
{
	pc_pkt_pool_destroy(pc_test_pool);
	pc_test_pool = NULL;
}

TestSuite(srtp, .init = pc_test_setup, .fini = pc_test_teardown);

static size_t pc_test_hex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *s != '\0'; s++) {
		int v;

		if (*s == ' ' || *s == '\n')
			continue;
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			v = *s - 'A' + 10;
		else
			cr_assert_fail("bad hex digit '%c'", *s);
		if (hi < 0) {
			hi = v;
			continue;
		}
		cr_assert_lt(n, cap, "hex string longer than %zu bytes", cap);
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	cr_assert_eq(hi, -1, "odd number of hex digits");
	return n;
}

static void pc_test_bytes_eq(const uint8_t *got, size_t got_len, const uint8_t *want,
			     size_t want_len, const char *what)
{
	cr_assert_eq(got_len, want_len, "%s: %zu bytes, expected %zu", what, got_len, want_len);
	for (size_t i = 0; i < want_len; i++)
		cr_assert_eq(got[i], want[i], "%s: byte %zu is %02x, expected %02x", what, i,
			     got[i], want[i]);
}

static struct pc_pkt *pc_test_pkt(const uint8_t *data, size_t len)
{
	struct pc_pkt *p = NULL;
	uint8_t *d;

	cr_assert_eq(pc_pkt_pool_alloc_burst(pc_test_pool, &p, 1), 1);
	d = pc_pkt_append(p, (uint16_t)len);
	cr_assert_not_null(d);
	memcpy(d, data, len);
	return p;
}

/* The same with the data starting 100 octets into the headroom: 100 more of tailroom. */
static struct pc_pkt *pc_test_pkt_roomy(const uint8_t *data, size_t len)
{
	struct pc_pkt *p = NULL;

	cr_assert_eq(pc_pkt_pool_alloc_burst(pc_test_pool, &p, 1), 1);
	cr_assert_not_null(pc_pkt_prepend(p, 100));
	cr_assert_eq(pc_pkt_trim_back(p, 100), 0);
	memcpy(pc_pkt_append(p, (uint16_t)len), data, len);
	cr_assert_geq(pc_pkt_tailroom(p), 100);
	return p;
}

static void pc_test_pkt_free(struct pc_pkt *p)
{
	pc_pkt_pool_free_burst(pc_test_pool, &p, 1);
}

/* An RTP packet: V=2, PT 0 (or 96 for video-sized payloads), @payload bytes of @fill + seq. */
static size_t pc_test_rtp(uint8_t *b, uint16_t seq, uint32_t ssrc, size_t payload, uint8_t fill)
{
	uint32_t ts = (uint32_t)seq * 160u;

	b[0] = 0x80;
	b[1] = payload > 200 ? 96 : 0;
	b[2] = (uint8_t)(seq >> 8);
	b[3] = (uint8_t)seq;
	b[4] = (uint8_t)(ts >> 24);
	b[5] = (uint8_t)(ts >> 16);
	b[6] = (uint8_t)(ts >> 8);
	b[7] = (uint8_t)ts;
	b[8] = (uint8_t)(ssrc >> 24);
	b[9] = (uint8_t)(ssrc >> 16);
	b[10] = (uint8_t)(ssrc >> 8);
	b[11] = (uint8_t)ssrc;
	for (size_t i = 0; i < payload; i++)
		b[12 + i] = (uint8_t)(fill + i + seq);
	return 12 + payload;
}

/* An RTCP receiver report with one block (32 bytes), sender @ssrc. */
static size_t pc_test_rtcp(uint8_t *b, uint32_t ssrc)
{
	memset(b, 0, 32);
	b[0] = 0x81;
	b[1] = 201;
	b[3] = 7;
	b[4] = (uint8_t)(ssrc >> 24);
	b[5] = (uint8_t)(ssrc >> 16);
	b[6] = (uint8_t)(ssrc >> 8);
	b[7] = (uint8_t)ssrc;
	for (unsigned i = 8; i < 32; i++)
		b[i] = (uint8_t)(0x40 + i);
	return 32;
}

static struct pc_srtp_key pc_test_key(enum pc_srtp_suite suite, uint8_t seed)
{
	struct pc_srtp_key k;

	memset(&k, 0, sizeof(k));
	k.suite = suite;
	for (unsigned i = 0; i < PC_SRTP_KEY_MAX; i++)
		k.key[i] = (uint8_t)(seed + 7 * i);
	for (unsigned i = 0; i < PC_SRTP_SALT_MAX; i++)
		k.salt[i] = (uint8_t)(seed ^ (13 * i + 1));
	return k;
}

static struct pc_srtp_key pc_test_key_hex(enum pc_srtp_suite suite, const char *key,
					  const char *salt)
{
	const struct pc_srtp_suite_info *si = pc_srtp_suite_info(suite);
	struct pc_srtp_key k;

	memset(&k, 0, sizeof(k));
	k.suite = suite;
	cr_assert_eq(pc_test_hex(key, k.key, sizeof(k.key)), si->key_len);
	cr_assert_eq(pc_test_hex(salt, k.salt, sizeof(k.salt)), si->salt_len);
	return k;
}

/* A session with one direction: @way keyed with @k, for SSRC @ssrc (0: any, with the flag). */
static struct pc_srtp *pc_test_session(enum pc_srtp_way way, const struct pc_srtp_key *k,
				       uint32_t ssrc, uint32_t flags, uint32_t window)
{
	struct pc_srtp_conf c;
	struct pc_srtp_dir_conf *d = way == PC_SRTP_OUT ? &c.out : &c.in;
	struct pc_srtp *s = NULL;
	int rc;

	memset(&c, 0, sizeof(c));
	d->key = k;
	d->ssrcs = &ssrc;
	d->n_ssrcs = ssrc != 0 ? 1 : 0;
	d->flags = flags | (ssrc == 0 ? PC_SRTP_F_ANY_SSRC : 0);
	d->window = window;
	rc = pc_srtp_create(&s, &c);
	cr_assert_eq(rc, 0, "pc_srtp_create(%s) = %d", pc_srtp_suite_name(k->suite), rc);
	return s;
}

static struct pc_srtp_stats pc_test_stats(const struct pc_srtp *s)
{
	struct pc_srtp_stats st;

	pc_srtp_stats(s, &st);
	return st;
}

/* --- the reference: OpenSSL ------------------------------------------------------------------- */

/* AES-CM (RFC 3711 4.1.1): XOR the keystream from counter @iv into @n bytes at @buf. AES-CM's
 * counter is IV + i mod 2^128, which is OpenSSL's CTR mode. */
static void ref_aes_cm(const uint8_t *key, size_t key_len, const uint8_t iv[16], uint8_t *buf,
		       size_t n)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int l = 0;

	cr_assert_not_null(c);
	cr_assert_eq(EVP_EncryptInit_ex(c, key_len == 32 ? EVP_aes_256_ctr() : EVP_aes_128_ctr(),
					NULL, key, iv),
		     1);
	cr_assert_eq(EVP_EncryptUpdate(c, buf, &l, buf, (int)n), 1);
	cr_assert_eq((size_t)l, n);
	EVP_CIPHER_CTX_free(c);
}

/* RFC 3711 4.3.1 with a key derivation rate of 0: x = label at octet 7 of the (14-octet) master
 * salt, keystream from IV x * 2^16 under the master key. A 12-octet (AEAD) salt is padded with
 * zeros at its end (RFC 7714 11, as libsrtp does). */
static void ref_kdf(const uint8_t *mkey, size_t mkey_len, const uint8_t *msalt, size_t msalt_len,
		    uint8_t label, uint8_t *out, size_t n)
{
	uint8_t iv[16] = { 0 };

	memcpy(iv, msalt, msalt_len);
	iv[7] ^= label;
	memset(out, 0, n);
	ref_aes_cm(mkey, mkey_len, iv, out, n);
}

struct ref_keys {
	uint8_t enc[32];
	size_t enc_len;
	uint8_t salt[14];
	size_t salt_len;
	uint8_t auth[20];
	bool gcm;
	unsigned tag_len; /* of this packet kind */
};

/* Session keys of @k for SRTP (labels 0, 1, 2) or SRTCP (3, 4, 5). */
static struct ref_keys ref_session_keys(const struct pc_srtp_key *k, bool rtcp)
{
	const struct pc_srtp_suite_info *si = pc_srtp_suite_info(k->suite);
	struct ref_keys r;
	uint8_t base = rtcp ? 3 : 0;

	memset(&r, 0, sizeof(r));
	r.gcm = k->suite == PC_SRTP_AEAD_AES_128_GCM || k->suite == PC_SRTP_AEAD_AES_256_GCM;
	r.enc_len = si->key_len;
	r.salt_len = si->salt_len;
	r.tag_len = rtcp ? si->rtcp_trailer - 4u : si->rtp_trailer;
	ref_kdf(k->key, si->key_len, k->salt, si->salt_len, base, r.enc, r.enc_len);
	ref_kdf(k->key, si->key_len, k->salt, si->salt_len, base + 2, r.salt, r.salt_len);
	if (!r.gcm)
		ref_kdf(k->key, si->key_len, k->salt, si->salt_len, base + 1, r.auth, 20);
	return r;
}

static void ref_gcm(const uint8_t *key, size_t key_len, const uint8_t iv[12], const uint8_t *aad,
		    size_t aad_len, const uint8_t *in, size_t n, uint8_t *out, uint8_t tag[16])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int l = 0;

	cr_assert_not_null(c);
	cr_assert_eq(EVP_EncryptInit_ex(c, key_len == 32 ? EVP_aes_256_gcm() : EVP_aes_128_gcm(),
					NULL, NULL, NULL),
		     1);
	cr_assert_eq(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL), 1);
	cr_assert_eq(EVP_EncryptInit_ex(c, NULL, NULL, key, iv), 1);
	cr_assert_eq(EVP_EncryptUpdate(c, NULL, &l, aad, (int)aad_len), 1);
	if (n > 0) {
		cr_assert_eq(EVP_EncryptUpdate(c, out, &l, in, (int)n), 1);
		cr_assert_eq((size_t)l, n);
	}
	cr_assert_eq(EVP_EncryptFinal_ex(c, out + n, &l), 1);
	cr_assert_eq(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag), 1);
	EVP_CIPHER_CTX_free(c);
}

static void ref_hmac_sha1(const uint8_t key[20], const uint8_t *in, size_t n, uint8_t md[20])
{
	unsigned int md_len = 0;

	cr_assert_not_null(HMAC(EVP_sha1(), key, 20, in, n, md, &md_len));
	cr_assert_eq(md_len, 20u);
}

/* SRTP (RFC 3711 3.1, 4.1.1, 4.2; RFC 7714 8) of the RTP packet @in (@len bytes) with rollover
 * counter @roc, into @out. Returns the SRTP length. */
static size_t ref_protect_rtp(const struct ref_keys *k, uint32_t roc, const uint8_t *in, size_t len,
			      uint8_t *out)
{
	struct pc_rtp_hdr_view v = { 0 };
	uint8_t mac_in[PC_TEST_BUF + 4], md[20];
	size_t hdr;

	cr_assert_eq(pc_rtp_parse(in, len, &v), 0);
	hdr = v.hdr_len;
	memcpy(out, in, len);
	if (k->gcm) {
		/* RFC 7714 8.1: IV = (00 00 || SSRC || ROC || SEQ) XOR salt; AAD = header. */
		uint8_t iv[12] = { 0 };

		memcpy(iv + 2, in + 8, 4);
		iv[6] = (uint8_t)(roc >> 24);
		iv[7] = (uint8_t)(roc >> 16);
		iv[8] = (uint8_t)(roc >> 8);
		iv[9] = (uint8_t)roc;
		memcpy(iv + 10, in + 2, 2);
		for (unsigned i = 0; i < 12; i++)
			iv[i] ^= k->salt[i];
		ref_gcm(k->enc, k->enc_len, iv, in, hdr, in + hdr, len - hdr, out + hdr, out + len);
		return len + 16;
	}
	/* RFC 3711 4.1.1: IV = (salt * 2^16) XOR (SSRC * 2^64) XOR (index * 2^16). */
	uint8_t iv[16] = { 0 };

	memcpy(iv, k->salt, 14);
	for (unsigned i = 0; i < 4; i++)
		iv[4 + i] ^= in[8 + i];
	iv[8] ^= (uint8_t)(roc >> 24);
	iv[9] ^= (uint8_t)(roc >> 16);
	iv[10] ^= (uint8_t)(roc >> 8);
	iv[11] ^= (uint8_t)roc;
	iv[12] ^= in[2];
	iv[13] ^= in[3];
	ref_aes_cm(k->enc, k->enc_len, iv, out + hdr, len - hdr);
	/* RFC 3711 4.2: the tag covers the packet and the ROC. */
	memcpy(mac_in, out, len);
	mac_in[len] = (uint8_t)(roc >> 24);
	mac_in[len + 1] = (uint8_t)(roc >> 16);
	mac_in[len + 2] = (uint8_t)(roc >> 8);
	mac_in[len + 3] = (uint8_t)roc;
	ref_hmac_sha1(k->auth, mac_in, len + 4, md);
	memcpy(out + len, md, k->tag_len);
	return len + k->tag_len;
}

/* SRTCP (RFC 3711 3.4, 4.1.1; RFC 7714 9) of the RTCP compound @in with SRTCP index @index, E
 * set, into @out. Returns the SRTCP length. */
static size_t ref_protect_rtcp(const struct ref_keys *k, uint32_t index, const uint8_t *in,
			       size_t len, uint8_t *out)
{
	uint8_t eword[4] = { (uint8_t)(0x80 | index >> 24), (uint8_t)(index >> 16),
			     (uint8_t)(index >> 8), (uint8_t)index };
	uint8_t md[20];

	memcpy(out, in, len);
	if (k->gcm) {
		/* RFC 7714 9.1: IV = (00 00 || SSRC || 00 00 || index) XOR salt; AAD = the first 8
		 * octets and the E+index word, which follows the tag. */
		uint8_t iv[12] = { 0 }, aad[12];

		memcpy(iv + 2, in + 4, 4);
		memcpy(iv + 8, eword, 4);
		iv[8] &= 0x7f;
		for (unsigned i = 0; i < 12; i++)
			iv[i] ^= k->salt[i];
		memcpy(aad, in, 8);
		memcpy(aad + 8, eword, 4);
		ref_gcm(k->enc, k->enc_len, iv, aad, 12, in + 8, len - 8, out + 8, out + len);
		memcpy(out + len + 16, eword, 4);
		return len + 20;
	}
	uint8_t iv[16] = { 0 };

	memcpy(iv, k->salt, 14);
	for (unsigned i = 0; i < 4; i++)
		iv[4 + i] ^= in[4 + i];
	iv[10] ^= (uint8_t)(index >> 24);
	iv[11] ^= (uint8_t)(index >> 16);
	iv[12] ^= (uint8_t)(index >> 8);
	iv[13] ^= (uint8_t)index;
	ref_aes_cm(k->enc, k->enc_len, iv, out + 8, len - 8);
	memcpy(out + len, eword, 4);
	ref_hmac_sha1(k->auth, out, len + 4, md);
	memcpy(out + len + 4, md, k->tag_len);
	return len + 4 + k->tag_len;
}

/* --- known answers: the reference against the RFCs -------------------------------------------- */

/* RFC 3711 B.3 / B.2 and RFC 7714 16-17, as the RFCs print them. */
#define B3_MASTER_KEY "E1F97A0D3E018BE0D64FA32C06DE4139"
#define B3_MASTER_SALT "0EC675AD498AFEEBB6960B3AABE6"
#define RFC7714_KEY_128 "000102030405060708090a0b0c0d0e0f"
#define RFC7714_KEY_256 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define RFC7714_SALT "517569642070726f2071756f" /* "Quid pro quo" */
#define RFC7714_RTP                                                                         \
	"8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973 20646976 69736120 " \
	"696e2070 61727465 73207472 6573"
#define RFC7714_RTCP                                                                        \
	"81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61 deadbeef " \
	"deadbeef deadbeef deadbeef deadbeef"

Test(srtp, rfc3711_b2_reference_aes_cm_keystream)
{
	/* Given the session key and (shifted) salt of B.2, SSRC, ROC and SEQ zero / When the
	 * reference makes the 1044512-octet keystream segment / Then its first three and last three
	 * blocks are the RFC's */
	static uint8_t ks[65282 * 16];
	uint8_t key[16], iv[16], want[48];

	pc_test_hex("2B7E151628AED2A6ABF7158809CF4F3C", key, sizeof(key));
	pc_test_hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000", iv, sizeof(iv));
	memset(ks, 0, sizeof(ks));
	ref_aes_cm(key, 16, iv, ks, sizeof(ks));
	pc_test_hex("E03EAD0935C95E80E166B16DD92B4EB4 D23513162B02D0F72A43A2FE4A5F97AB "
		    "41E95B3BB0A2E8DD477901E4FCA894C0",
		    want, sizeof(want));
	pc_test_bytes_eq(ks, 48, want, 48, "B.2 blocks 0000-0002");
	pc_test_hex("EC8CDF7398607CB0F2D21675EA9EA1E4 362B7C3C6773516318A077D7FC5073AE "
		    "6A2CC3787889374FBEB4C81B17BA6C44",
		    want, sizeof(want));
	pc_test_bytes_eq(ks + 0xfeff * 16, 48, want, 48, "B.2 blocks FEFF-FF01");
}

Test(srtp, rfc3711_b3_reference_key_derivation)
{
	/* Given B.3's master key and salt / When the reference derives the session keys / Then
	 * they are the RFC's cipher key, cipher salt and (the whole 94-octet) auth key */
	uint8_t mk[16], ms[14], want[94], got[94];

	pc_test_hex(B3_MASTER_KEY, mk, sizeof(mk));
	pc_test_hex(B3_MASTER_SALT, ms, sizeof(ms));
	ref_kdf(mk, 16, ms, 14, 0x00, got, 16);
	pc_test_hex("C61E7A93744F39EE10734AFE3FF7A087", want, sizeof(want));
	pc_test_bytes_eq(got, 16, want, 16, "B.3 cipher key");
	ref_kdf(mk, 16, ms, 14, 0x02, got, 14);
	pc_test_hex("30CBBC08863D8C85D49DB34A9AE1", want, sizeof(want));
	pc_test_bytes_eq(got, 14, want, 14, "B.3 cipher salt");
	ref_kdf(mk, 16, ms, 14, 0x01, got, 94);
	pc_test_hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA48F0A0ACF3C34E2359E6CDBCE"
		    "E049646C43D9327AD175578EF72270986371C10C9A369AC2F94A8C5FBCDDDC25"
		    "6D6E919A48B610EF17C2041E474035766B68642C59BBFC2F34DB60DBDFB2",
		    want, sizeof(want));
	pc_test_bytes_eq(got, 94, want, 94, "B.3 auth key");
}

Test(srtp, rfc7714_reference_aead_vectors)
{
	/* Given RFC 7714's session keys and salt (sections 16-17 are stated below the KDF) / When
	 * the reference protects the RFC's RTP packet (ROC 0) and RTCP packet (index 0x5d4) / Then
	 * it gives 16.1.1, 16.2.1, 17.1 and 17.2 exactly */
	static const struct {
		const char *key, *rtp_out, *rtcp_out;
	} v[] = {
		{ RFC7714_KEY_128,
		  "8040f17b8041f8d35501a0b2f24de3a3fb34de6cacba861c9d7e4bcabe633bd50d294e6f"
		  "42a5f47a51c7d19b36de3adf8833899d7f27beb16a9152cf765ee4390cce",
		  "81c8000d4d61727363e94885dcdab67ca727d7662f6b7e997ff5c0f76c06f32dc676a5f1"
		  "730d6fda4ce09b4686303ded0bb9275bc84aa45896cf4d2fc5abf87245d9eade800005d4" },
		{ RFC7714_KEY_256,
		  "8040f17b8041f8d35501a0b232b1de78a822fe12ef9f78fa332e33aab18012389a58e2f3"
		  "b50b2a0276ffae0f1ba63799b87b7aa3db36dfffd6b0f9bb7878d7a76c13",
		  "81c8000d4d617273d50ae4d1f5ce5d304ba297e47d470c282c3ece5dbffe0a50a2eaa5c1"
		  "110555be8415f658c61de0476f1b6fad1d1eb30c4446839f57ff6f6cb26ac3be800005d4" },
	};
	uint8_t rtp[64], rtcp[64], want[128], got[128];
	size_t rtp_len = pc_test_hex(RFC7714_RTP, rtp, sizeof(rtp));
	size_t rtcp_len = pc_test_hex(RFC7714_RTCP, rtcp, sizeof(rtcp));

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct ref_keys k;
		size_t n, w;

		memset(&k, 0, sizeof(k));
		k.gcm = true;
		k.enc_len = pc_test_hex(v[i].key, k.enc, sizeof(k.enc));
		k.salt_len = pc_test_hex(RFC7714_SALT, k.salt, sizeof(k.salt));
		k.tag_len = 16;
		n = ref_protect_rtp(&k, 0, rtp, rtp_len, got);
		w = pc_test_hex(v[i].rtp_out, want, sizeof(want));
		pc_test_bytes_eq(got, n, want, w, i == 0 ? "RFC 7714 16.1.1" : "RFC 7714 16.2.1");
		n = ref_protect_rtcp(&k, 0x5d4, rtcp, rtcp_len, got);
		w = pc_test_hex(v[i].rtcp_out, want, sizeof(want));
		pc_test_bytes_eq(got, n, want, w, i == 0 ? "RFC 7714 17.1" : "RFC 7714 17.2");
	}
}

/* --- known answers through pc_srtp ------------------------------------------------------------ */

/* Protect @rtp through a fresh session keyed @k, compare with the reference (ROC 0) and with
 * @published when given; then unprotect the reference's packet through another session. */
static void pc_test_kat_rtp(const struct pc_srtp_key *k, const uint8_t *rtp, size_t len,
			    const char *published, const char *what)
{
	struct pc_srtp *tx = pc_test_session(PC_SRTP_OUT, k, 0, 0, 0);
	struct pc_srtp *rx = pc_test_session(PC_SRTP_IN, k, 0, 0, 0);
	struct ref_keys rk = ref_session_keys(k, false);
	uint8_t want[PC_TEST_BUF];
	size_t want_len = ref_protect_rtp(&rk, 0, rtp, len, want);
	struct pc_pkt *p = pc_test_pkt(rtp, len);

	cr_assert_eq(pc_srtp_protect(tx, p), 0, "%s: protect", what);
	pc_test_bytes_eq(pc_pkt_data(p), pc_pkt_len(p), want, want_len, what);
	if (published != NULL) {
		uint8_t pub[PC_TEST_BUF];
		size_t n = pc_test_hex(published, pub, sizeof(pub));

		pc_test_bytes_eq(pc_pkt_data(p), pc_pkt_len(p), pub, n, what);
	}
	pc_test_pkt_free(p);

	p = pc_test_pkt(want, want_len);
	cr_assert_eq(pc_srtp_unprotect(rx, p), 0, "%s: unprotect", what);
	pc_test_bytes_eq(pc_pkt_data(p), pc_pkt_len(p), rtp, len, what);
	pc_test_pkt_free(p);
	pc_srtp_destroy(tx);
	pc_srtp_destroy(rx);
}

/* The same for RTCP; libsrtp's first SRTCP index is 1. */
static void pc_test_kat_rtcp(const struct pc_srtp_key *k, const uint8_t *rtcp, size_t len,
			     const char *published, const char *what)
{
	struct pc_srtp *tx = pc_test_session(PC_SRTP_OUT, k, 0, 0, 0);
	struct pc_srtp *rx = pc_test_session(PC_SRTP_IN, k, 0, 0, 0);
	struct ref_keys rk = ref_session_keys(k, true);
	uint8_t want[PC_TEST_BUF];
	size_t want_len = ref_protect_rtcp(&rk, 1, rtcp, len, want);
	struct pc_pkt *p = pc_test_pkt(rtcp, len);

	cr_assert_eq(pc_srtp_protect_rtcp(tx, p), 0, "%s: protect", what);
	pc_test_bytes_eq(pc_pkt_data(p), pc_pkt_len(p), want, want_len, what);
	if (published != NULL) {
		uint8_t pub[PC_TEST_BUF];
		size_t n = pc_test_hex(published, pub, sizeof(pub));

		pc_test_bytes_eq(pc_pkt_data(p), pc_pkt_len(p), pub, n, what);
	}
	pc_test_pkt_free(p);

	p = pc_test_pkt(want, want_len);
	cr_assert_eq(pc_srtp_unprotect_rtcp(rx, p), 0, "%s: unprotect", what);
	pc_test_bytes_eq(pc_pkt_data(p), pc_pkt_len(p), rtcp, len, what);
	pc_test_pkt_free(p);
	pc_srtp_destroy(tx);
	pc_srtp_destroy(rx);
}

/* libsrtp's srtp_validate(): B.3's master key and salt, SSRC 0xcafebabe, SEQ 0x1234. */
#define LIBSRTP_RTP "800f1234decafbadcafebabe abababababababababababababababab"
#define LIBSRTP_SRTP_80 \
	"800f1234decafbadcafebabe 4e55dc4ce79978d88ca4d215949d2402 b78d6acc99ea179b8dbb"
#define LIBSRTP_SRTP_32 "800f1234decafbadcafebabe 4e55dc4ce79978d88ca4d215949d2402 b78d6acc"
#define LIBSRTP_RTCP "81c8000bcafebabe abababababababababababababababab"
#define LIBSRTP_SRTCP_80 \
	"81c8000bcafebabe 7128035be487b9bdbef89041f977a5a8 80000001 993e08cd54d6c1230798"

Test(srtp, kat_aes_cm_128_hmac_sha1_80)
{
	/* Given B.3's master key and salt / When a packet is protected through pc_srtp / Then it
	 * is the reference's packet (B.3 session keys, B.2's AES-CM, HMAC-SHA1 over packet || ROC)
	 * and libsrtp's published one; both ways, SRTP and SRTCP */
	struct pc_srtp_key k =
		pc_test_key_hex(PC_SRTP_AES_CM_128_HMAC_SHA1_80, B3_MASTER_KEY, B3_MASTER_SALT);
	uint8_t b[PC_TEST_BUF];
	size_t n = pc_test_hex(LIBSRTP_RTP, b, sizeof(b));

	pc_test_kat_rtp(&k, b, n, LIBSRTP_SRTP_80, "AES_CM_128_HMAC_SHA1_80 SRTP");
	n = pc_test_rtp(b, 0xfffe, 0x12345678, 160, 0x33);
	pc_test_kat_rtp(&k, b, n, NULL, "AES_CM_128_HMAC_SHA1_80 SRTP 160");
	n = pc_test_hex(LIBSRTP_RTCP, b, sizeof(b));
	pc_test_kat_rtcp(&k, b, n, LIBSRTP_SRTCP_80, "AES_CM_128_HMAC_SHA1_80 SRTCP");
}

Test(srtp, kat_aes_cm_128_hmac_sha1_32)
{
	/* Given the same key with the 32-bit tag suite / Then SRTP's tag is the first 4 octets of
	 * the HMAC and SRTCP keeps 80 bits (RFC 4568 6.2.2) */
	struct pc_srtp_key k =
		pc_test_key_hex(PC_SRTP_AES_CM_128_HMAC_SHA1_32, B3_MASTER_KEY, B3_MASTER_SALT);
	uint8_t b[PC_TEST_BUF];
	size_t n = pc_test_hex(LIBSRTP_RTP, b, sizeof(b));

	pc_test_kat_rtp(&k, b, n, LIBSRTP_SRTP_32, "AES_CM_128_HMAC_SHA1_32 SRTP");
	n = pc_test_rtp(b, 7, 0x0badcafe, 1200, 0x11);
	pc_test_kat_rtp(&k, b, n, NULL, "AES_CM_128_HMAC_SHA1_32 SRTP 1200");
	n = pc_test_hex(LIBSRTP_RTCP, b, sizeof(b));
	pc_test_kat_rtcp(&k, b, n, LIBSRTP_SRTCP_80, "AES_CM_128_HMAC_SHA1_32 SRTCP");
}

Test(srtp, kat_aead_aes_128_gcm)
{
	/* Given RFC 7714's key and salt as master key and salt / When its RTP and RTCP packets are
	 * protected through pc_srtp / Then they are the reference's (KDF of RFC 3711 with the
	 * salt padded, then the AEAD pinned above to RFC 7714 16.1.1 and 17.1) */
	struct pc_srtp_key k =
		pc_test_key_hex(PC_SRTP_AEAD_AES_128_GCM, RFC7714_KEY_128, RFC7714_SALT);
	uint8_t b[PC_TEST_BUF];
	size_t n = pc_test_hex(RFC7714_RTP, b, sizeof(b));

	pc_test_kat_rtp(&k, b, n, NULL, "AEAD_AES_128_GCM SRTP");
	n = pc_test_rtp(b, 0x8000, 0xfeedf00d, 1200, 0x55);
	pc_test_kat_rtp(&k, b, n, NULL, "AEAD_AES_128_GCM SRTP 1200");
	n = pc_test_hex(RFC7714_RTCP, b, sizeof(b));
	pc_test_kat_rtcp(&k, b, n, NULL, "AEAD_AES_128_GCM SRTCP");
}

Test(srtp, kat_aead_aes_256_gcm)
{
	struct pc_srtp_key k =
		pc_test_key_hex(PC_SRTP_AEAD_AES_256_GCM, RFC7714_KEY_256, RFC7714_SALT);
	uint8_t b[PC_TEST_BUF];
	size_t n = pc_test_hex(RFC7714_RTP, b, sizeof(b));

	pc_test_kat_rtp(&k, b, n, NULL, "AEAD_AES_256_GCM SRTP");
	n = pc_test_rtp(b, 1, 0x01020304, 160, 0x77);
	pc_test_kat_rtp(&k, b, n, NULL, "AEAD_AES_256_GCM SRTP 160");
	n = pc_test_hex(RFC7714_RTCP, b, sizeof(b));
	pc_test_kat_rtcp(&k, b, n, NULL, "AEAD_AES_256_GCM SRTCP");
}

/* --- round trips ------------------------------------------------------------------------------ */

Test(srtp, round_trip_each_suite_160_and_1200)
{
	/* Given a sender and a receiver per suite / When 50 packets of 160 and of 1200 octets go
	 * through / Then each grows by the tag, its payload is not in clear, it comes back intact,
	 * and the counters say so */
	static const size_t sizes[] = { 160, 1200 };

	for (unsigned s = 0; s < PC_SRTP_SUITES; s++) {
		struct pc_srtp_key k = pc_test_key((enum pc_srtp_suite)s, (uint8_t)(s + 1));
		const struct pc_srtp_suite_info *si = pc_srtp_suite_info(k.suite);
		struct pc_srtp *tx = pc_test_session(PC_SRTP_OUT, &k, 0x1111, 0, 0);
		struct pc_srtp *rx = pc_test_session(PC_SRTP_IN, &k, 0x1111, 0, 0);
		uint16_t seq = 65500; /* crosses the sequence number wrap: ROC 0 -> 1 */

		cr_assert_eq(pc_srtp_trailer_len(tx, PC_SRTP_OUT, false), si->rtp_trailer);
		cr_assert_eq(pc_srtp_trailer_len(tx, PC_SRTP_OUT, true), si->rtcp_trailer);
		cr_assert_eq(pc_srtp_trailer_len(tx, PC_SRTP_IN, false), 0);
		for (unsigned z = 0; z < 2; z++) {
			for (unsigned i = 0; i < 50; i++, seq++) {
				uint8_t plain[PC_TEST_BUF];
				size_t n = pc_test_rtp(plain, seq, 0x1111, sizes[z], (uint8_t)i);
				struct pc_pkt *p = pc_test_pkt(plain, n);

				cr_assert_eq(pc_srtp_protect(tx, p), 0, "%s seq %u", si->name, seq);
				cr_assert_eq(pc_pkt_len(p), n + si->rtp_trailer);
				cr_assert_neq(memcmp(pc_pkt_data(p) + 12, plain + 12, n - 12), 0);
				cr_assert_eq(memcmp(pc_pkt_data(p), plain, 12), 0,
					     "header in clear");
				cr_assert_eq(pc_srtp_unprotect(rx, p), 0, "%s seq %u", si->name,
					     seq);
				pc_test_bytes_eq(pc_pkt_data(p), pc_pkt_len(p), plain, n, si->name);
				pc_test_pkt_free(p);
			}
		}
		cr_assert_eq(pc_test_stats(tx).protected, 100);
		cr_assert_eq(pc_test_stats(rx).unprotected, 100);
		cr_assert_eq(pc_test_stats(rx).auth_fail + pc_test_stats(rx).replay_fail +
				     pc_test_stats(rx).errors + pc_test_stats(rx).new_ssrc,
			     0);
		pc_srtp_destroy(tx);
		pc_srtp_destroy(rx);
	}
}

Test(srtp, srtcp_round_trip_and_tamper_each_suite)
{
	/* Given SRTCP per suite / When reports go through, one tampered in its encrypted part, its
	 * E+index word and its tag / Then the good ones come back intact (with the E bit set and
	 * the index counting from 1) and each tampered one is refused, counted */
	for (unsigned s = 0; s < PC_SRTP_SUITES; s++) {
		struct pc_srtp_key k = pc_test_key((enum pc_srtp_suite)s, (uint8_t)(0x40 + s));
		const struct pc_srtp_suite_info *si = pc_srtp_suite_info(k.suite);
		struct pc_srtp *tx = pc_test_session(PC_SRTP_OUT, &k, 0x2222, 0, 0);
		struct pc_srtp *rx = pc_test_session(PC_SRTP_IN, &k, 0x2222, 0, 0);
		uint8_t plain[64];
		size_t n = pc_test_rtcp(plain, 0x2222);
		bool gcm = si->rtcp_trailer == 20;
		/* In the encrypted part, the E+index word's first octet, the tag's last. An index
		 * turned into one received already would be a replay (checked before the tag). */
		size_t flips[3] = { 12, n + (gcm ? 16u : 0u),
				    gcm ? n + 15 : n + si->rtcp_trailer - 1 };

		for (unsigned i = 0; i < 3; i++) {
			struct pc_pkt *p = pc_test_pkt(plain, n);
			uint8_t srtcp[64];
			const uint8_t *e;
			size_t sn;

			cr_assert_eq(pc_srtp_protect_rtcp(tx, p), 0);
			cr_assert_eq(pc_pkt_len(p), n + si->rtcp_trailer);
			/* The E+index word: after the packet (AES-CM) or after the tag (GCM). */
			e = pc_pkt_data(p) + (gcm ? n + 16 : n);
			cr_assert_eq(e[0], 0x80, "E bit set, %s", si->name);
			cr_assert_eq(e[3], i + 1, "SRTCP index %u, %s", e[3], si->name);
			/* A failed unprotect may leave the buffer changed (AES-GCM decrypts in
			 * place before the tag is checked): retry from a copy. */
			memcpy(srtcp, pc_pkt_data(p), pc_pkt_len(p));
			sn = pc_pkt_len(p);
			pc_pkt_data(p)[flips[i]] ^= 0x01;
			cr_assert_eq(pc_srtp_unprotect_rtcp(rx, p), -EACCES, "%s flip at %zu",
				     si->name, flips[i]);
			pc_test_pkt_free(p);
			p = pc_test_pkt(srtcp, sn);
			cr_assert_eq(pc_srtp_unprotect_rtcp(rx, p), 0, "%s", si->name);
			pc_test_bytes_eq(pc_pkt_data(p), pc_pkt_len(p), plain, n, si->name);
			pc_test_pkt_free(p);
		}
		cr_assert_eq(pc_test_stats(rx).auth_fail, 3);
		cr_assert_eq(pc_test_stats(rx).unprotected, 3);
		pc_srtp_destroy(tx);
		pc_srtp_destroy(rx);
	}
}

/* --- tampering, replay, keys, tailroom -------------------------------------------------------- */

/* Protect seq @seq for SSRC 0x3333 with @tx; returns the SRTP packet in @out. */
static size_t pc_test_srtp(struct pc_srtp *tx, uint16_t seq, size_t payload, uint8_t *out)
{
	uint8_t plain[PC_TEST_BUF];
	size_t n = pc_test_rtp(plain, seq, 0x3333, payload, 0x5a);
	struct pc_pkt *p = pc_test_pkt(plain, n);

	cr_assert_eq(pc_srtp_protect(tx, p), 0, "protect seq %u", seq);
	n = pc_pkt_len(p);
	memcpy(out, pc_pkt_data(p), n);
	pc_test_pkt_free(p);
	return n;
}

static int pc_test_unprotect(struct pc_srtp *rx, const uint8_t *b, size_t n)
{
	struct pc_pkt *p = pc_test_pkt(b, n);
	int rc = pc_srtp_unprotect(rx, p);

	pc_test_pkt_free(p);
	return rc;
}

Test(srtp, tamper_header_payload_tag_each_suite)
{
	/* Given a protected packet per suite / When one bit of its header, payload or tag flips /
	 * Then unprotect refuses it (-EACCES, counted) and the genuine packet is still accepted
	 * afterwards: failures do not touch the replay window */
	for (unsigned s = 0; s < PC_SRTP_SUITES; s++) {
		struct pc_srtp_key k = pc_test_key((enum pc_srtp_suite)s, (uint8_t)(0x80 + s));
		struct pc_srtp *tx = pc_test_session(PC_SRTP_OUT, &k, 0x3333, 0, 0);
		struct pc_srtp *rx = pc_test_session(PC_SRTP_IN, &k, 0x3333, 0, 0);
		uint8_t b[PC_TEST_BUF];
		size_t n = pc_test_srtp(tx, 100, 160, b);
		/* Header (marker/PT byte, timestamp), payload first and last, the tag's last. */
		size_t at[] = { 1, 5, 12, n - pc_srtp_suite_info(k.suite)->rtp_trailer - 1, n - 1 };

		for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
			b[at[i]] ^= 0x10;
			cr_assert_eq(pc_test_unprotect(rx, b, n), -EACCES, "%s: flip at %zu",
				     pc_srtp_suite_name(k.suite), at[i]);
			b[at[i]] ^= 0x10;
		}
		cr_assert_eq(pc_test_stats(rx).auth_fail, sizeof(at) / sizeof(at[0]));
		cr_assert_eq(pc_test_unprotect(rx, b, n), 0);
		pc_srtp_destroy(tx);
		pc_srtp_destroy(rx);
	}
}

Test(srtp, replay_same_packet_twice_refused)
{
	/* Given a packet accepted once / When it comes again / Then -EALREADY, counted */
	struct pc_srtp_key k = pc_test_key(PC_SRTP_AES_CM_128_HMAC_SHA1_80, 9);
	struct pc_srtp *tx = pc_test_session(PC_SRTP_OUT, &k, 0x3333, 0, 0);
	struct pc_srtp *rx = pc_test_session(PC_SRTP_IN, &k, 0x3333, 0, 0);
	uint8_t b[PC_TEST_BUF];
	size_t n = pc_test_srtp(tx, 5, 160, b);

	cr_assert_eq(pc_test_unprotect(rx, b, n), 0);
	cr_assert_eq(pc_test_unprotect(rx, b, n), -EALREADY);
	cr_assert_eq(pc_test_unprotect(rx, b, n), -EALREADY);
	cr_assert_eq(pc_test_stats(rx).replay_fail, 2);
	cr_assert_eq(pc_test_stats(rx).unprotected, 1);
	pc_srtp_destroy(tx);
	pc_srtp_destroy(rx);
}

Test(srtp, replay_window_old_refused_reordered_accepted)
{
	/* Given a window of 64 and packets 1..200 protected / When 1..200 arrive but for 100 and
	 * 190, then 100 (100 behind the highest) and 190 (10 behind), and 10/12/11 reordered on a
	 * fresh receiver / Then 100 is refused as too old, 190 and the reordered ones accepted */
	struct pc_srtp_key k = pc_test_key(PC_SRTP_AEAD_AES_128_GCM, 10);
	struct pc_srtp *tx = pc_test_session(PC_SRTP_OUT, &k, 0x3333, 0, 0);
	struct pc_srtp *rx = pc_test_session(PC_SRTP_IN, &k, 0x3333, 0, 64);
	struct pc_srtp *rx2 = pc_test_session(PC_SRTP_IN, &k, 0x3333, 0, 0);
	static uint8_t pk[201][256];
	size_t len[201];

	for (uint16_t s = 1; s <= 200; s++)
		len[s] = pc_test_srtp(tx, s, 100, pk[s]);
	for (uint16_t s = 1; s <= 200; s++) {
		if (s != 100 && s != 190)
			cr_assert_eq(pc_test_unprotect(rx, pk[s], len[s]), 0, "seq %u", s);
	}
	cr_assert_eq(pc_test_unprotect(rx, pk[100], len[100]), -EALREADY);
	cr_assert_eq(pc_test_unprotect(rx, pk[190], len[190]), 0);
	cr_assert_eq(pc_test_stats(rx).replay_fail, 1);

	cr_assert_eq(pc_test_unprotect(rx2, pk[10], len[10]), 0);
	cr_assert_eq(pc_test_unprotect(rx2, pk[12], len[12]), 0);
	cr_assert_eq(pc_test_unprotect(rx2, pk[11], len[11]), 0);
	cr_assert_eq(pc_test_unprotect(rx2, pk[11], len[11]), -EALREADY);
	pc_srtp_destroy(tx);
	pc_srtp_destroy(rx);
	pc_srtp_destroy(rx2);
}

Test(srtp, outbound_repeated_index_refused_unless_allowed)
{
	/* Given a sender / When the same sequence number is protected twice / Then the second is
	 * refused (-EALREADY: the keystream would repeat), unless PC_SRTP_F_REPEAT_TX */
	struct pc_srtp_key k = pc_test_key(PC_SRTP_AES_CM_128_HMAC_SHA1_80, 11);
	struct pc_srtp *tx = pc_test_session(PC_SRTP_OUT, &k, 0x3333, 0, 0);
	struct pc_srtp *tx2 = pc_test_session(PC_SRTP_OUT, &k, 0x3333, PC_SRTP_F_REPEAT_TX, 0);
	uint8_t plain[PC_TEST_BUF];
	size_t n = pc_test_rtp(plain, 40, 0x3333, 160, 1);
	struct pc_pkt *p;

	for (unsigned i = 0; i < 2; i++) {
		p = pc_test_pkt(plain, n);
		cr_assert_eq(pc_srtp_protect(tx, p), i == 0 ? 0 : -EALREADY);
		pc_test_pkt_free(p);
		p = pc_test_pkt(plain, n);
		cr_assert_eq(pc_srtp_protect(tx2, p), 0);
		pc_test_pkt_free(p);
	}
	cr_assert_eq(pc_test_stats(tx).replay_fail, 1);
	pc_srtp_destroy(tx);
	pc_srtp_destroy(tx2);
}

Test(srtp, wrong_key_refused)
{
	/* Given a receiver with another key (or another salt) / Then -EACCES for every suite */
	for (unsigned s = 0; s < PC_SRTP_SUITES; s++) {
		struct pc_srtp_key k = pc_test_key((enum pc_srtp_suite)s, 12);
		struct pc_srtp_key wrong_key = k, wrong_salt = k;
		struct pc_srtp *tx = pc_test_session(PC_SRTP_OUT, &k, 0x3333, 0, 0);
		struct pc_srtp *rx1, *rx2;
		uint8_t b[PC_TEST_BUF];
		size_t n = pc_test_srtp(tx, 1, 160, b);

		wrong_key.key[0] ^= 1;
		wrong_salt.salt[3] ^= 1;
		rx1 = pc_test_session(PC_SRTP_IN, &wrong_key, 0x3333, 0, 0);
		rx2 = pc_test_session(PC_SRTP_IN, &wrong_salt, 0x3333, 0, 0);
		cr_assert_eq(pc_test_unprotect(rx1, b, n), -EACCES);
		cr_assert_eq(pc_test_unprotect(rx2, b, n), -EACCES);
		pc_srtp_destroy(rx1);
		pc_srtp_destroy(rx2);
		pc_srtp_destroy(tx);
	}
}

Test(srtp, tailroom_too_small_refused_unchanged)
{
	/* Given packets whose tailroom is one octet short of the trailer / When protected / Then
	 * -ENOSPC, the packet unchanged, counted; one more octet of room and it goes */
	for (unsigned s = 0; s < PC_SRTP_SUITES; s++) {
		struct pc_srtp_key k = pc_test_key((enum pc_srtp_suite)s, 13);
		const struct pc_srtp_suite_info *si = pc_srtp_suite_info(k.suite);
		struct pc_srtp *tx = pc_test_session(PC_SRTP_OUT, &k, 0x3333, 0, 0);

		for (unsigned rtcp = 0; rtcp < 2; rtcp++) {
			unsigned trailer = rtcp ? si->rtcp_trailer : si->rtp_trailer;
			uint8_t hdr[64], copy[PC_TEST_BUF];
			size_t hn = rtcp ? pc_test_rtcp(hdr, 0x3333) :
					   pc_test_rtp(hdr, 3, 0x3333, 0, 0);
			struct pc_pkt *p = pc_test_pkt(hdr, hn);
			uint16_t fill = (uint16_t)(pc_pkt_tailroom(p) - (trailer - 1));
			size_t n;

			memset(pc_pkt_append(p, fill), 0x6b, fill);
			if (rtcp) /* keep the RTCP length field honest: not that SRTCP checks it */
				pc_pkt_data(p)[3] = (uint8_t)((pc_pkt_len(p) / 4) - 1);
			n = pc_pkt_len(p);
			memcpy(copy, pc_pkt_data(p), n);
			cr_assert_eq(pc_pkt_tailroom(p), trailer - 1);
			cr_assert_eq(rtcp ? pc_srtp_protect_rtcp(tx, p) : pc_srtp_protect(tx, p),
				     -ENOSPC, "%s rtcp %u", si->name, rtcp);
			pc_test_bytes_eq(pc_pkt_data(p), pc_pkt_len(p), copy, n, "unchanged");
			cr_assert_eq(pc_pkt_trim_back(p, 1), 0);
			cr_assert_eq(rtcp ? pc_srtp_protect_rtcp(tx, p) : pc_srtp_protect(tx, p), 0,
				     "%s rtcp %u", si->name, rtcp);
			cr_assert_eq(pc_pkt_tailroom(p), 0);
			pc_test_pkt_free(p);
		}
		cr_assert_eq(pc_test_stats(tx).errors, 2);
		cr_assert_eq(pc_test_stats(tx).protected, 2);
		pc_srtp_destroy(tx);
	}
}

Test(srtp, protect_writes_nothing_past_the_trailer)
{
	/* Given packets with 32 octets of marked tailroom beyond the trailer / When protected and
	 * unprotected / Then the marks past the trailer are untouched (libsrtp writes the tag in
	 * place, and the GCM backend its tag after the ciphertext: all inside the trailer) */
	for (unsigned s = 0; s < PC_SRTP_SUITES; s++) {
		struct pc_srtp_key k = pc_test_key((enum pc_srtp_suite)s, 24);
		const struct pc_srtp_suite_info *si = pc_srtp_suite_info(k.suite);
		struct pc_srtp *tx = pc_test_session(PC_SRTP_OUT, &k, 0x3333, 0, 0);
		struct pc_srtp *rx = pc_test_session(PC_SRTP_IN, &k, 0x3333, 0, 0);

		for (unsigned rtcp = 0; rtcp < 2; rtcp++) {
			unsigned trailer = rtcp ? si->rtcp_trailer : si->rtp_trailer;
			uint8_t hdr[64];
			size_t hn = rtcp ? pc_test_rtcp(hdr, 0x3333) :
					   pc_test_rtp(hdr, 3, 0x3333, 0, 0);
			struct pc_pkt *p = pc_test_pkt(hdr, hn);
			uint16_t fill = (uint16_t)(pc_pkt_tailroom(p) - trailer - 32);
			uint8_t *end;

			memset(pc_pkt_append(p, fill), 0x6b, fill);
			if (rtcp)
				pc_pkt_data(p)[3] = (uint8_t)((pc_pkt_len(p) / 4) - 1);
			end = pc_pkt_data(p) + pc_pkt_len(p);
			memset(end, 0xee, trailer + 32);
			cr_assert_eq(rtcp ? pc_srtp_protect_rtcp(tx, p) : pc_srtp_protect(tx, p),
				     0);
			cr_assert_eq(pc_pkt_data(p) + pc_pkt_len(p), end + trailer);
			for (unsigned i = 0; i < 32; i++)
				cr_assert_eq(end[trailer + i], 0xee,
					     "%s rtcp %u: octet %u past the "
					     "trailer written",
					     si->name, rtcp, i);
			cr_assert_eq(
				rtcp ? pc_srtp_unprotect_rtcp(rx, p) : pc_srtp_unprotect(rx, p), 0);
			for (unsigned i = 0; i < 32; i++)
				cr_assert_eq(end[trailer + i], 0xee);
			pc_test_pkt_free(p);
		}
		pc_srtp_destroy(tx);
		pc_srtp_destroy(rx);
	}
}

Test(srtp, malformed_packets_refused)
{
	/* Given packets too short, of version 1, with CSRCs or an extension running past the end,
	 * or (inbound) without room for a tag / Then -EBADMSG, counted, nothing read past them */
	struct pc_srtp_key k = pc_test_key(PC_SRTP_AES_CM_128_HMAC_SHA1_80, 14);
	struct pc_srtp *tx = pc_test_session(PC_SRTP_OUT, &k, 0x3333, 0, 0);
	struct pc_srtp *rx = pc_test_session(PC_SRTP_IN, &k, 0x3333, 0, 0);
	uint8_t b[PC_TEST_BUF];
	size_t n = pc_test_rtp(b, 1, 0x3333, 8, 0);
	struct pc_pkt *p;

	p = pc_test_pkt(b, 11);
	cr_assert_eq(pc_srtp_protect(tx, p), -EBADMSG, "11 octets");
	pc_test_pkt_free(p);
	b[0] = 0x40; /* version 1 */
	p = pc_test_pkt(b, n);
	cr_assert_eq(pc_srtp_protect(tx, p), -EBADMSG, "version 1");
	pc_test_pkt_free(p);
	b[0] = 0x83; /* 3 CSRCs: 24 octets of header in 20 */
	p = pc_test_pkt(b, n);
	cr_assert_eq(pc_srtp_protect(tx, p), -EBADMSG, "CSRCs");
	pc_test_pkt_free(p);
	b[0] = 0x90; /* extension of 255 words */
	b[12] = 0xbe;
	b[13] = 0xde;
	b[14] = 0;
	b[15] = 0xff;
	p = pc_test_pkt(b, n);
	cr_assert_eq(pc_srtp_protect(tx, p), -EBADMSG, "extension");
	pc_test_pkt_free(p);
	b[0] = 0x80;
	p = pc_test_pkt(b, 12 + 9); /* a header and 9 octets: shorter than header + tag (10) */
	cr_assert_eq(pc_srtp_unprotect(rx, p), -EBADMSG, "no room for the tag");
	pc_test_pkt_free(p);
	p = pc_test_pkt(b, 7);
	cr_assert_eq(pc_srtp_protect_rtcp(tx, p), -EBADMSG, "RTCP of 7 octets");
	cr_assert_eq(pc_srtp_unprotect_rtcp(rx, p), -EBADMSG, "SRTCP of 7 octets");
	pc_test_pkt_free(p);
	cr_assert_eq(pc_test_stats(tx).errors, 5);
	cr_assert_eq(pc_test_stats(rx).errors, 2);
	pc_srtp_destroy(tx);
	pc_srtp_destroy(rx);
}

Test(srtp, shared_packet_and_missing_direction_refused)
{
	/* Given a packet with two holders, and a session without an inbound key / Then -EBUSY (do
	 * not write what another holder reads) and -ENOKEY */
	struct pc_srtp_key k = pc_test_key(PC_SRTP_AEAD_AES_256_GCM, 15);
	struct pc_srtp *tx = pc_test_session(PC_SRTP_OUT, &k, 0x3333, 0, 0);
	uint8_t b[PC_TEST_BUF];
	size_t n = pc_test_rtp(b, 1, 0x3333, 160, 0);
	struct pc_pkt *p = pc_test_pkt(b, n);

	pc_pkt_ref(p);
	cr_assert_eq(pc_srtp_protect(tx, p), -EBUSY);
	pc_test_pkt_free(p);
	cr_assert_eq(pc_srtp_unprotect(tx, p), -ENOKEY);
	cr_assert_eq(pc_srtp_unprotect_rtcp(tx, p), -ENOKEY);
	cr_assert_eq(pc_srtp_protect(tx, p), 0);
	pc_test_pkt_free(p);
	cr_assert_eq(pc_test_stats(tx).errors, 3);
	pc_srtp_destroy(tx);
}

/* --- SSRCs, lifetimes, re-keying -------------------------------------------------------------- */

Test(srtp, unknown_ssrc_refused_without_any_ssrc)
{
	/* Given a receiver for SSRC 0x3333 only / When SSRC 0x4444 arrives / Then -ESRCH and
	 * nothing allocated (no stream made) */
	struct pc_srtp_key k = pc_test_key(PC_SRTP_AES_CM_128_HMAC_SHA1_80, 16);
	struct pc_srtp *tx = pc_test_session(PC_SRTP_OUT, &k, 0, 0, 0);
	struct pc_srtp *rx = pc_test_session(PC_SRTP_IN, &k, 0x3333, 0, 0);
	uint8_t plain[PC_TEST_BUF];
	size_t n = pc_test_rtp(plain, 1, 0x4444, 160, 0);
	struct pc_pkt *p = pc_test_pkt(plain, n);

	cr_assert_eq(pc_srtp_protect(tx, p), 0);
	cr_assert_eq(pc_srtp_unprotect(rx, p), -ESRCH);
	cr_assert_eq(pc_test_stats(rx).errors, 1);
	cr_assert_eq(pc_test_stats(rx).new_ssrc, 0);
	cr_assert_eq(pc_test_stats(tx).new_ssrc, 1, "the wildcard sender made a stream");
	pc_test_pkt_free(p);
	pc_srtp_destroy(tx);
	pc_srtp_destroy(rx);
}

Test(srtp, any_ssrc_counts_new_streams_after_authentication)
{
	/* Given a wildcard receiver / When a forged packet of a new SSRC arrives, then genuine
	 * packets of two SSRCs, then of a listed one / Then only authenticated new SSRCs count as
	 * new streams, once each */
	struct pc_srtp_key k = pc_test_key(PC_SRTP_AEAD_AES_128_GCM, 17);
	struct pc_srtp_key other = pc_test_key(PC_SRTP_AEAD_AES_128_GCM, 18);
	struct pc_srtp *tx = pc_test_session(PC_SRTP_OUT, &k, 0, 0, 0);
	struct pc_srtp *forger = pc_test_session(PC_SRTP_OUT, &other, 0, 0, 0);
	struct pc_srtp *rx = pc_test_session(PC_SRTP_IN, &k, 0x5555, PC_SRTP_F_ANY_SSRC, 0);
	static const uint32_t ssrcs[] = { 0x6666, 0x6666, 0x7777, 0x6666, 0x5555, 0x7777 };
	uint8_t plain[PC_TEST_BUF];
	size_t n = pc_test_rtp(plain, 1, 0x9999, 160, 0);
	struct pc_pkt *p = pc_test_pkt(plain, n);

	cr_assert_eq(pc_srtp_protect(forger, p), 0);
	cr_assert_eq(pc_srtp_unprotect(rx, p), -EACCES);
	pc_test_pkt_free(p);
	for (unsigned i = 0; i < sizeof(ssrcs) / sizeof(ssrcs[0]); i++) {
		n = pc_test_rtp(plain, (uint16_t)(10 + i), ssrcs[i], 160, 0);
		p = pc_test_pkt(plain, n);
		cr_assert_eq(pc_srtp_protect(tx, p), 0);
		cr_assert_eq(pc_srtp_unprotect(rx, p), 0, "SSRC %x", ssrcs[i]);
		pc_test_pkt_free(p);
	}
	cr_assert_eq(pc_test_stats(rx).new_ssrc, 2, "0x6666 and 0x7777; 0x5555 was listed");
	cr_assert_eq(pc_test_stats(tx).new_ssrc, 3);
	pc_srtp_destroy(tx);
	pc_srtp_destroy(forger);
	pc_srtp_destroy(rx);
}

Test(srtp, lifetime_used_up_needs_rekey)
{
	/* Given a key with a lifetime of 3 packets (as "|3" in SDES) / When a 4th is protected, or
	 * unprotected / Then -EKEYEXPIRED */
	struct pc_srtp_key k = pc_test_key(PC_SRTP_AES_CM_128_HMAC_SHA1_32, 19);
	struct pc_srtp *tx, *rx;
	uint8_t b[4][PC_TEST_BUF];
	size_t n[4];

	k.lifetime = 3;
	tx = pc_test_session(PC_SRTP_OUT, &k, 0x3333, 0, 0);
	k.lifetime = 2;
	rx = pc_test_session(PC_SRTP_IN, &k, 0x3333, 0, 0);
	for (uint16_t i = 0; i < 3; i++)
		n[i] = pc_test_srtp(tx, (uint16_t)(i + 1), 160, b[i]);
	{
		uint8_t plain[PC_TEST_BUF];
		size_t pn = pc_test_rtp(plain, 4, 0x3333, 160, 0);
		struct pc_pkt *p = pc_test_pkt(plain, pn);

		cr_assert_eq(pc_srtp_protect(tx, p), -EKEYEXPIRED);
		pc_test_pkt_free(p);
	}
	cr_assert_eq(pc_test_unprotect(rx, b[0], n[0]), 0);
	cr_assert_eq(pc_test_unprotect(rx, b[1], n[1]), 0);
	cr_assert_eq(pc_test_unprotect(rx, b[2], n[2]), -EKEYEXPIRED);
	pc_srtp_destroy(tx);
	pc_srtp_destroy(rx);
}

Test(srtp, rekey_one_direction_keeps_the_other)
{
	/* Given a leg session A (out key KA1, in key KB) talking to B / When A's outbound is
	 * re-keyed to KA2 with pc_srtp_dir_create + pc_srtp_dir_swap / Then B, re-keyed inbound the
	 * same way, accepts A's new packets and refuses the old key's; A's inbound (KB) carries on
	 * through the swap with its replay state: a packet it already took is still refused */
	struct pc_srtp_key ka1 = pc_test_key(PC_SRTP_AES_CM_128_HMAC_SHA1_80, 20);
	struct pc_srtp_key ka2 = pc_test_key(PC_SRTP_AEAD_AES_128_GCM, 21);
	struct pc_srtp_key kb = pc_test_key(PC_SRTP_AEAD_AES_256_GCM, 22);
	uint32_t a_ssrc = 0xaaaa, b_ssrc = 0xbbbb;
	struct pc_srtp_conf ca = {
		.out = { .key = &ka1, .ssrcs = &a_ssrc, .n_ssrcs = 1 },
		.in = { .key = &kb, .ssrcs = &b_ssrc, .n_ssrcs = 1 },
	};
	struct pc_srtp_conf cb = {
		.out = { .key = &kb, .ssrcs = &b_ssrc, .n_ssrcs = 1 },
		.in = { .key = &ka1, .ssrcs = &a_ssrc, .n_ssrcs = 1 },
	};
	struct pc_srtp_dir_conf a_out2 = { .key = &ka2, .ssrcs = &a_ssrc, .n_ssrcs = 1 };
	struct pc_srtp_dir_conf b_in2 = { .key = &ka2, .ssrcs = &a_ssrc, .n_ssrcs = 1 };
	struct pc_srtp *a = NULL, *b = NULL;
	struct pc_srtp_dir *d1 = NULL, *d2 = NULL, *old = NULL;
	uint8_t plain[PC_TEST_BUF], from_b[PC_TEST_BUF], old_key_pkt[PC_TEST_BUF];
	size_t n, nb, nold;
	struct pc_pkt *p;

	cr_assert_eq(pc_srtp_create(&a, &ca), 0);
	cr_assert_eq(pc_srtp_create(&b, &cb), 0);
	/* B -> A, one packet, kept to replay later. */
	n = pc_test_rtp(plain, 1, b_ssrc, 160, 0);
	p = pc_test_pkt(plain, n);
	cr_assert_eq(pc_srtp_protect(b, p), 0);
	nb = pc_pkt_len(p);
	memcpy(from_b, pc_pkt_data(p), nb);
	cr_assert_eq(pc_srtp_unprotect(a, p), 0);
	pc_test_pkt_free(p);
	/* A -> B under KA1. */
	n = pc_test_rtp(plain, 1, a_ssrc, 160, 0);
	p = pc_test_pkt(plain, n);
	cr_assert_eq(pc_srtp_protect(a, p), 0);
	nold = pc_pkt_len(p);
	memcpy(old_key_pkt, pc_pkt_data(p), nold);
	cr_assert_eq(pc_srtp_unprotect(b, p), 0);
	pc_test_pkt_free(p);

	/* Re-key A -> B: control thread makes, media thread swaps, control thread destroys. */
	cr_assert_eq(pc_srtp_dir_create(&d1, PC_SRTP_OUT, &a_out2), 0);
	cr_assert_eq(pc_srtp_dir_create(&d2, PC_SRTP_IN, &b_in2), 0);
	cr_assert_eq(pc_srtp_dir_swap(a, d1, &old), 0);
	cr_assert_not_null(old);
	pc_srtp_dir_destroy(old);
	cr_assert_eq(pc_srtp_dir_swap(b, d2, &old), 0);
	pc_srtp_dir_destroy(old);
	cr_assert_eq(pc_srtp_trailer_len(a, PC_SRTP_OUT, false), 16);

	n = pc_test_rtp(plain, 2, a_ssrc, 160, 0);
	p = pc_test_pkt(plain, n);
	cr_assert_eq(pc_srtp_protect(a, p), 0);
	cr_assert_eq(pc_srtp_unprotect(b, p), 0);
	pc_test_bytes_eq(pc_pkt_data(p), pc_pkt_len(p), plain, n, "after re-key");
	pc_test_pkt_free(p);
	/* The old key's packet (seq 1) fails authentication under the new key. */
	p = pc_test_pkt(old_key_pkt, nold);
	cr_assert_eq(pc_srtp_unprotect(b, p), -EACCES);
	pc_test_pkt_free(p);
	/* A's inbound kept its window: B's first packet is still a replay. */
	p = pc_test_pkt(from_b, nb);
	cr_assert_eq(pc_srtp_unprotect(a, p), -EALREADY);
	pc_test_pkt_free(p);
	cr_assert_eq(pc_srtp_dir_swap(a, NULL, &old), -EINVAL);
	cr_assert_eq(pc_test_stats(a).protected, 2, "counters outlive the swap");
	pc_srtp_destroy(a);
	pc_srtp_destroy(b);
}

Test(srtp, create_rejects_bad_configuration)
{
	/* Given configurations that cannot work / Then create refuses each, *out untouched */
	struct pc_srtp *sentinel = (struct pc_srtp *)(uintptr_t)0xdead0000u, *s = sentinel;
	struct pc_srtp_key k = pc_test_key(PC_SRTP_AES_CM_128_HMAC_SHA1_80, 23);
	struct pc_srtp_key mki = k, bad_suite = k, long_life = k;
	uint32_t ssrcs[PC_SRTP_SSRC_MAX + 1] = { 1, 2 };
	struct pc_srtp_conf c;

	mki.mki = 1;
	mki.mki_len = 4;
	bad_suite.suite = PC_SRTP_SUITES;
	long_life.lifetime = PC_SRTP_LIFETIME_MAX + 1;
	memset(&c, 0, sizeof(c));
	cr_assert_eq(pc_srtp_create(&s, &c), -EINVAL, "no direction");
	c.in = (struct pc_srtp_dir_conf){ .key = &k };
	cr_assert_eq(pc_srtp_create(&s, &c), -EINVAL, "no SSRC, no wildcard");
	c.in = (struct pc_srtp_dir_conf){ .key = &k, .ssrcs = ssrcs, .n_ssrcs = 17 };
	cr_assert_eq(pc_srtp_create(&s, &c), -EINVAL, "17 SSRCs");
	c.in = (struct pc_srtp_dir_conf){ .key = &k, .ssrcs = ssrcs, .n_ssrcs = 1, .window = 63 };
	cr_assert_eq(pc_srtp_create(&s, &c), -EINVAL, "window 63");
	c.in.window = 32768;
	cr_assert_eq(pc_srtp_create(&s, &c), -EINVAL, "window 32768");
	c.in.window = 0;
	c.in.flags = 0x80;
	cr_assert_eq(pc_srtp_create(&s, &c), -EINVAL, "unknown flag");
	c.in.flags = 0;
	c.in.key = &bad_suite;
	cr_assert_eq(pc_srtp_create(&s, &c), -EINVAL, "no such suite");
	c.in.key = &long_life;
	cr_assert_eq(pc_srtp_create(&s, &c), -EINVAL, "lifetime above 2^48");
	c.in.key = &k;
	c.out = (struct pc_srtp_dir_conf){ .key = &mki, .flags = PC_SRTP_F_ANY_SSRC };
	cr_assert_eq(pc_srtp_create(&s, &c), -ENOTSUP, "MKI");
	cr_assert_eq(s, sentinel);
	/* The good one: 16 SSRCs and a wildcard, both ways, window at both ends of its range. */
	c.out = (struct pc_srtp_dir_conf){
		.key = &k, .ssrcs = ssrcs, .n_ssrcs = 16, .flags = PC_SRTP_F_ANY_SSRC, .window = 64
	};
	c.in.window = 32767;
	for (unsigned i = 0; i < 16; i++)
		ssrcs[i] = 0x100 + i;
	cr_assert_eq(pc_srtp_create(&s, &c), 0);
	cr_assert_neq(s, sentinel);
	pc_srtp_destroy(s);
	pc_srtp_destroy(NULL);
	pc_srtp_dir_destroy(NULL);
}

/* --- re-protect between legs ------------------------------------------------------------------ */

/* A relay of two legs: leg 0's peer speaks @s0, leg 1's peer @s1; each leg session keys its
 * inbound with what the peer sends and its outbound with what the peer expects. */
struct pc_test_relay {
	struct pc_srtp_key k_peer0, k_peer1, k_to0, k_to1;
	struct pc_srtp *peer0, *peer1; /* the phones at each end */
	struct pc_srtp *leg0, *leg1;   /* the relay's sessions */
};

static struct pc_srtp *pc_test_both(const struct pc_srtp_key *out, const struct pc_srtp_key *in)
{
	struct pc_srtp_conf c = {
		.out = { .key = out, .flags = PC_SRTP_F_ANY_SSRC },
		.in = { .key = in, .flags = PC_SRTP_F_ANY_SSRC },
	};
	struct pc_srtp *s = NULL;

	cr_assert_eq(pc_srtp_create(&s, &c), 0);
	return s;
}

static void pc_test_relay_init(struct pc_test_relay *r, enum pc_srtp_suite s0,
			       enum pc_srtp_suite s1)
{
	r->k_peer0 = pc_test_key(s0, 0x10);
	r->k_to0 = pc_test_key(s0, 0x20);
	r->k_peer1 = pc_test_key(s1, 0x30);
	r->k_to1 = pc_test_key(s1, 0x40);
	r->peer0 = pc_test_both(&r->k_peer0, &r->k_to0);
	r->peer1 = pc_test_both(&r->k_peer1, &r->k_to1);
	r->leg0 = pc_test_both(&r->k_to0, &r->k_peer0);
	r->leg1 = pc_test_both(&r->k_to1, &r->k_peer1);
}

static void pc_test_relay_fini(struct pc_test_relay *r)
{
	pc_srtp_destroy(r->peer0);
	pc_srtp_destroy(r->peer1);
	pc_srtp_destroy(r->leg0);
	pc_srtp_destroy(r->leg1);
}

Test(srtp, reprotect_between_legs_of_other_suites)
{
	/* Given leg 0 on AES_CM_128_HMAC_SHA1_32 and leg 1 on AEAD_AES_256_GCM / When peer 0's
	 * SRTP and SRTCP are re-protected leg 0 -> leg 1 in their buffers, and peer 1's the other
	 * way / Then each peer unprotects what the other sent, intact */
	struct pc_test_relay r;

	pc_test_relay_init(&r, PC_SRTP_AES_CM_128_HMAC_SHA1_32, PC_SRTP_AEAD_AES_256_GCM);
	for (unsigned i = 0; i < 20; i++) {
		bool rtcp = i % 5 == 4;
		bool from0 = i % 2 == 0;
		struct pc_srtp *src = from0 ? r.peer0 : r.peer1, *dst = from0 ? r.peer1 : r.peer0;
		struct pc_srtp *in = from0 ? r.leg0 : r.leg1, *out = from0 ? r.leg1 : r.leg0;
		uint8_t plain[PC_TEST_BUF];
		size_t n = rtcp ? pc_test_rtcp(plain, from0 ? 0x0a : 0x0b) :
				  pc_test_rtp(plain, (uint16_t)i, from0 ? 0x0a : 0x0b, 1200, 3);
		struct pc_pkt *p = pc_test_pkt(plain, n);

		cr_assert_eq(rtcp ? pc_srtp_protect_rtcp(src, p) : pc_srtp_protect(src, p), 0);
		cr_assert_eq(pc_srtp_reprotect(in, out, p, rtcp), 0, "packet %u", i);
		cr_assert_eq(pc_pkt_len(p), n + pc_srtp_trailer_len(out, PC_SRTP_OUT, rtcp));
		cr_assert_eq(rtcp ? pc_srtp_unprotect_rtcp(dst, p) : pc_srtp_unprotect(dst, p), 0,
			     "packet %u", i);
		pc_test_bytes_eq(pc_pkt_data(p), pc_pkt_len(p), plain, n, "through the relay");
		pc_test_pkt_free(p);
	}
	cr_assert_eq(pc_test_stats(r.leg0).unprotected + pc_test_stats(r.leg1).unprotected, 20);
	cr_assert_eq(pc_test_stats(r.leg0).protected + pc_test_stats(r.leg1).protected, 20);
	pc_test_relay_fini(&r);
}

Test(srtp, reprotect_srtp_to_rtp_and_rtp_to_srtp)
{
	/* Given a leg with SRTP and a leg with plain RTP (no session) / When packets cross / Then
	 * SRTP leaves as the plain packet, and plain RTP leaves as SRTP the peer accepts */
	struct pc_srtp_key kp = pc_test_key(PC_SRTP_AEAD_AES_128_GCM, 0x50);
	struct pc_srtp_key kt = pc_test_key(PC_SRTP_AEAD_AES_128_GCM, 0x60);
	struct pc_srtp *peer = pc_test_both(&kp, &kt), *leg = pc_test_both(&kt, &kp);
	uint8_t plain[PC_TEST_BUF];
	size_t n = pc_test_rtp(plain, 1, 0x0c, 160, 9);
	struct pc_pkt *p = pc_test_pkt(plain, n);

	cr_assert_eq(pc_srtp_protect(peer, p), 0);
	cr_assert_eq(pc_srtp_reprotect(leg, NULL, p, false), 0);
	pc_test_bytes_eq(pc_pkt_data(p), pc_pkt_len(p), plain, n, "SRTP -> RTP");
	cr_assert_eq(pc_srtp_reprotect(NULL, leg, p, false), 0);
	cr_assert_eq(pc_pkt_len(p), n + 16);
	cr_assert_eq(pc_srtp_unprotect(peer, p), 0);
	pc_test_bytes_eq(pc_pkt_data(p), pc_pkt_len(p), plain, n, "RTP -> SRTP");
	cr_assert_eq(pc_srtp_reprotect(NULL, NULL, p, false), 0, "plain to plain: untouched");
	pc_test_bytes_eq(pc_pkt_data(p), pc_pkt_len(p), plain, n, "RTP -> RTP");
	n = pc_test_rtcp(plain, 0x0c);
	pc_test_pkt_free(p);
	p = pc_test_pkt(plain, n);
	cr_assert_eq(pc_srtp_reprotect(NULL, leg, p, true), 0);
	cr_assert_eq(pc_srtp_unprotect_rtcp(peer, p), 0);
	pc_test_bytes_eq(pc_pkt_data(p), pc_pkt_len(p), plain, n, "RTCP -> SRTCP");
	pc_test_pkt_free(p);
	pc_srtp_destroy(peer);
	pc_srtp_destroy(leg);
}

Test(srtp, reprotect_checks_tailroom_before_unprotect)
{
	/* Given SRTP with a 4-octet tag to re-protect into a 16-octet one, in a buffer with 4
	 * octets of tailroom (8 after the trim, 16 needed) / When re-protected / Then -ENOSPC,
	 * counted on the outbound leg, the packet still SRTP and not taken into the inbound replay
	 * window: with room, the same packet then goes through; a forged packet is -EACCES */
	struct pc_test_relay r;
	uint8_t plain[PC_TEST_BUF], srtp[PC_TEST_BUF];
	size_t n, sn;
	struct pc_pkt *p;
	uint16_t fill;

	pc_test_relay_init(&r, PC_SRTP_AES_CM_128_HMAC_SHA1_32, PC_SRTP_AEAD_AES_128_GCM);
	n = pc_test_rtp(plain, 1, 0x0d, 12, 0);
	p = pc_test_pkt(plain, n);
	fill = (uint16_t)(pc_pkt_tailroom(p) - 4 - 4);
	memset(pc_pkt_append(p, fill), 0x21, fill);
	n = pc_pkt_len(p);
	memcpy(plain, pc_pkt_data(p), n);
	cr_assert_eq(pc_srtp_protect(r.peer0, p), 0);
	cr_assert_eq(pc_pkt_tailroom(p), 4);
	sn = pc_pkt_len(p);
	memcpy(srtp, pc_pkt_data(p), sn);
	cr_assert_eq(pc_srtp_reprotect(r.leg0, r.leg1, p, false), -ENOSPC);
	pc_test_bytes_eq(pc_pkt_data(p), pc_pkt_len(p), srtp, sn, "untouched");
	cr_assert_eq(pc_test_stats(r.leg1).errors, 1);
	cr_assert_eq(pc_test_stats(r.leg0).unprotected, 0);
	pc_test_pkt_free(p);

	/* With room (the data 100 octets further from the end of the buffer), the very same
	 * packet is accepted: it was never taken into the replay window. */
	p = pc_test_pkt_roomy(srtp, sn);
	cr_assert_eq(pc_srtp_reprotect(r.leg0, r.leg1, p, false), 0);
	cr_assert_eq(pc_srtp_unprotect(r.peer1, p), 0);
	pc_test_bytes_eq(pc_pkt_data(p), pc_pkt_len(p), plain, n, "through");
	pc_test_pkt_free(p);

	/* A forged packet (the next one, its tag changed) is refused, counted on leg 0. */
	n = pc_test_rtp(plain, 2, 0x0d, 160, 0);
	p = pc_test_pkt_roomy(plain, n);
	cr_assert_eq(pc_srtp_protect(r.peer0, p), 0);
	pc_pkt_data(p)[pc_pkt_len(p) - 1] ^= 1;
	cr_assert_eq(pc_srtp_reprotect(r.leg0, r.leg1, p, false), -EACCES);
	cr_assert_eq(pc_test_stats(r.leg0).auth_fail, 1);
	pc_test_pkt_free(p);
	pc_test_relay_fini(&r);
}

/* --- allocation ------------------------------------------------------------------------------- */

/* The libsrtp policy pc_srtp makes for @suite (srtp.c), for a session made here directly. */
static void pc_test_policy(enum pc_srtp_suite suite, srtp_policy_t *pol)
{
	switch (suite) {
	case PC_SRTP_AES_CM_128_HMAC_SHA1_80:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol->rtcp);
		break;
	case PC_SRTP_AES_CM_128_HMAC_SHA1_32:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&pol->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol->rtcp);
		break;
	case PC_SRTP_AEAD_AES_128_GCM:
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol->rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol->rtcp);
		break;
	default:
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&pol->rtp);
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&pol->rtcp);
		break;
	}
}

/* Mallocs made by @n protect+unprotect pairs, [0] of SRTP and [1] of SRTCP, through pc_srtp
 * (@ours) and through libsrtp directly with the same keys (@direct); specific SSRC both. */
static void pc_test_count_mallocs(enum pc_srtp_suite suite, unsigned n, uint64_t ours[2],
				  uint64_t direct[2])
{
	struct pc_srtp_key k = pc_test_key(suite, 0x70);
	const struct pc_srtp_suite_info *si = pc_srtp_suite_info(suite);
	struct pc_srtp *tx = pc_test_session(PC_SRTP_OUT, &k, 0x3333, 0, 0);
	struct pc_srtp *rx = pc_test_session(PC_SRTP_IN, &k, 0x3333, 0, 0);
	uint8_t master[PC_SRTP_KEY_MAX + PC_SRTP_SALT_MAX];
	srtp_policy_t pol;
	srtp_t dtx, drx;
	uint8_t plain[2][PC_TEST_BUF], buf[PC_TEST_BUF];
	size_t len[2] = { pc_test_rtp(plain[0], 0, 0x3333, 160, 0),
			  pc_test_rtcp(plain[1], 0x3333) };
	struct pc_pkt *p[2] = { pc_test_pkt(plain[0], len[0]), pc_test_pkt(plain[1], len[1]) };
	uint64_t m0;

	memcpy(master, k.key, si->key_len);
	memcpy(master + si->key_len, k.salt, si->salt_len);
	memset(&pol, 0, sizeof(pol));
	pc_test_policy(suite, &pol);
	pol.ssrc.type = ssrc_specific;
	pol.ssrc.value = 0x3333;
	pol.key = master;
	cr_assert_eq(srtp_create(&dtx, &pol), srtp_err_status_ok);
	cr_assert_eq(srtp_create(&drx, &pol), srtp_err_status_ok);

	/* The first packet included: with the SSRC listed nothing is cloned on it. Unprotect
	 * gives the packet back as it was: SRTCP's index moves on by itself. */
	m0 = pc_test_mallocs;
	for (unsigned i = 0; i < n; i++) {
		pc_pkt_data(p[0])[3] = (uint8_t)i;
		cr_assert_eq(pc_srtp_protect(tx, p[0]), 0);
		cr_assert_eq(pc_srtp_unprotect(rx, p[0]), 0);
	}
	ours[0] = pc_test_mallocs - m0;
	m0 = pc_test_mallocs;
	for (unsigned i = 0; i < n; i++) {
		cr_assert_eq(pc_srtp_protect_rtcp(tx, p[1]), 0);
		cr_assert_eq(pc_srtp_unprotect_rtcp(rx, p[1]), 0);
	}
	ours[1] = pc_test_mallocs - m0;
	m0 = pc_test_mallocs;
	for (unsigned i = 0; i < n; i++) {
		int l = (int)len[0];

		memcpy(buf, plain[0], len[0]);
		buf[3] = (uint8_t)i;
		cr_assert_eq(srtp_protect(dtx, buf, &l), srtp_err_status_ok);
		cr_assert_eq(srtp_unprotect(drx, buf, &l), srtp_err_status_ok);
	}
	direct[0] = pc_test_mallocs - m0;
	m0 = pc_test_mallocs;
	for (unsigned i = 0; i < n; i++) {
		int l = (int)len[1];

		memcpy(buf, plain[1], len[1]);
		cr_assert_eq(srtp_protect_rtcp(dtx, buf, &l), srtp_err_status_ok);
		cr_assert_eq(srtp_unprotect_rtcp(drx, buf, &l), srtp_err_status_ok);
	}
	direct[1] = pc_test_mallocs - m0;
	srtp_dealloc(dtx);
	srtp_dealloc(drx);
	pc_test_pkt_free(p[0]);
	pc_test_pkt_free(p[1]);
	pc_srtp_destroy(tx);
	pc_srtp_destroy(rx);
}

Test(srtp, media_path_allocates_nothing)
{
	/* Given sessions of each suite with listed SSRCs / When 100 SRTP and 100 SRTCP packets go
	 * both ways through pc_srtp and through libsrtp alone / Then pc_srtp calls malloc exactly
	 * as often as libsrtp does by itself; and with libsrtp on OpenSSL that is never, for every
	 * suite: AES-GCM reuses its cipher contexts, and AES-CM's HMAC-SHA1 is phonecore's
	 * (srtp_hmac.c; OpenSSL 3.0's, libsrtp's default, made 2 mallocs per packet). Debian's NSS
	 * backend allocates inside every call (pc_srtp.h): there the counts are only logged */
	static const char *const kind[2] = { "SRTP", "SRTCP" };
	const unsigned n = 100;

	cr_log_info("libsrtp linked: %s", PC_SRTP_BACKEND);
	if (!PC_TEST_COUNTS_MALLOC)
		cr_skip_test("sanitizer build: the sanitizer owns malloc, nothing to count with");
	for (unsigned s = 0; s < PC_SRTP_SUITES; s++) {
		enum pc_srtp_suite suite = (enum pc_srtp_suite)s;
		uint64_t ours[2], direct[2];

		pc_test_count_mallocs(suite, n, ours, direct);
		for (unsigned r = 0; r < 2; r++) {
			double per_pkt = (double)direct[r] / (2.0 * n);

			cr_assert_eq(ours[r], direct[r],
				     "%s %s: %llu mallocs through pc_srtp, %llu by libsrtp alone",
				     pc_srtp_suite_name(suite), kind[r],
				     (unsigned long long)ours[r], (unsigned long long)direct[r]);
			cr_log_info("%s %s: %.2f mallocs per packet (protect or unprotect)",
				    pc_srtp_suite_name(suite), kind[r], per_pkt);
			if (PC_SRTP_BACKEND_OPENSSL)
				cr_assert_eq(
					direct[r], 0,
					"%s %s on OpenSSL: %.2f mallocs per packet, none expected",
					pc_srtp_suite_name(suite), kind[r], per_pkt);
		}
	}
}

/* --- HMAC-SHA1: phonecore's auth type (srtp_hmac.c) ------------------------------------------- */

static const srtp_auth_type_t *pc_test_hmac_type(void)
{
	const srtp_auth_type_t *at = pc_srtp_hmac_sha1();

	if (at == NULL)
		cr_skip_test("libsrtp on NSS (%s): libsrtp's own HMAC-SHA1 is used",
			     PC_SRTP_BACKEND);
	cr_assert_eq(at->id, SRTP_HMAC_SHA1);
	return at;
}

/* The tag of @data (@data_len) under @key through @at, for a tag of @tag_len octets, written to
 * @tag (32 octets, those past the tag checked untouched). The message goes in as libsrtp's SRTP
 * path gives it (start, update, compute of the rest) cut at @cut, or in one compute when @cut
 * is negative; a second start on the same auth must give the same tag. No malloc between start
 * and compute. */
static void pc_test_hmac(const srtp_auth_type_t *at, const uint8_t *key, int key_len,
			 const uint8_t *data, int data_len, int tag_len, int cut, uint8_t tag[32])
{
	srtp_auth_t *a = NULL;
	uint8_t again[32];
	uint64_t m0;

	cr_assert_eq(at->alloc(&a, key_len, tag_len), srtp_err_status_ok);
	cr_assert_not_null(a);
	cr_assert_eq(a->type, at);
	cr_assert_eq(a->out_len, tag_len);
	cr_assert_eq(a->key_len, key_len);
	cr_assert_eq(a->prefix_len, 0);
	cr_assert_eq(at->init(a->state, key, a->key_len), srtp_err_status_ok);
	for (unsigned round = 0; round < 2; round++) {
		uint8_t *out = round == 0 ? tag : again;

		memset(out, 0xee, 32);
		m0 = pc_test_mallocs;
		cr_assert_eq(at->start(a->state), srtp_err_status_ok);
		if (cut < 0) {
			cr_assert_eq(at->compute(a->state, data, data_len, a->out_len, out),
				     srtp_err_status_ok);
		} else {
			/* Twice, the second empty: update may come any number of times. */
			cr_assert_eq(at->update(a->state, data, cut), srtp_err_status_ok);
			cr_assert_eq(at->update(a->state, data + cut, 0), srtp_err_status_ok);
			cr_assert_eq(at->compute(a->state, data + cut, data_len - cut, a->out_len,
						 out),
				     srtp_err_status_ok);
		}
		cr_assert_eq(pc_test_mallocs - m0, 0, "malloc in start/update/compute");
		for (unsigned i = (unsigned)tag_len; i < 32; i++)
			cr_assert_eq(out[i], 0xee, "octet %u past a %d-octet tag written", i,
				     tag_len);
	}
	pc_test_bytes_eq(again, (size_t)tag_len, tag, (size_t)tag_len, "after a second start");
	cr_assert_eq(at->dealloc(a), srtp_err_status_ok);
}

Test(srtp, hmac_sha1_rfc2202_through_auth_type)
{
	/* Given RFC 2202 3's HMAC-SHA1 test cases 1-7 (keys of 4 to 80 octets: 80 is hashed first)
	 * / When each goes through the auth type's own functions, whole and cut in two, with tags
	 * of 20, 12, 10 and 4 octets / Then the tag is the RFC's digest cut to that length, nothing
	 * past it is written, and nothing is allocated per message */
	static const struct {
		const char *key;  /* text, or NULL: key_len octets of key_byte (0: 01 02 03 ...) */
		uint8_t key_byte; /* ... */
		uint8_t key_len;
		const char *data; /* text, or NULL: data_len octets of data_byte */
		uint8_t data_byte;
		uint8_t data_len;
		const char *digest;
	} v[] = {
		{ NULL, 0x0b, 20, "Hi There", 0, 0, "b617318655057264e28bc0b6fb378c8ef146be00" },
		{ "Jefe", 0, 0, "what do ya want for nothing?", 0, 0,
		  "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79" },
		{ NULL, 0xaa, 20, NULL, 0xdd, 50, "125d7342b9ac11cd91a39af48aa17b4f63f175d3" },
		{ NULL, 0x00, 25, NULL, 0xcd, 50, "4c9007f4026250c6bc8414f9bf50c86c2d7235da" },
		{ NULL, 0x0c, 20, "Test With Truncation", 0, 0,
		  "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04" },
		{ NULL, 0xaa, 80, "Test Using Larger Than Block-Size Key - Hash Key First", 0, 0,
		  "aa4ae5e15272d00e95705637ce8a3b55ed402112" },
		{ NULL, 0xaa, 80,
		  "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data", 0, 0,
		  "e8e99d0f45237d786d6bbaa7965c7808bbff1a91" },
	};
	static const int tag_lens[] = { 20, 12, 10, 4 };
	const srtp_auth_type_t *at = pc_test_hmac_type();

	for (size_t c = 0; c < sizeof(v) / sizeof(v[0]); c++) {
		uint8_t key[80], data[80], digest[20], tag[32];
		int key_len, data_len;

		if (v[c].key != NULL) {
			key_len = (int)strlen(v[c].key);
			memcpy(key, v[c].key, (size_t)key_len);
		} else {
			key_len = v[c].key_len;
			for (int i = 0; i < key_len; i++)
				key[i] = v[c].key_byte != 0 ? v[c].key_byte : (uint8_t)(i + 1);
		}
		if (v[c].data != NULL) {
			data_len = (int)strlen(v[c].data);
			memcpy(data, v[c].data, (size_t)data_len);
		} else {
			data_len = v[c].data_len;
			memset(data, v[c].data_byte, (size_t)data_len);
		}
		cr_assert_eq(pc_test_hex(v[c].digest, digest, sizeof(digest)), 20);
		for (size_t t = 0; t < sizeof(tag_lens) / sizeof(tag_lens[0]); t++) {
			for (int cut = -1; cut <= data_len; cut += data_len / 2 + 1) {
				pc_test_hmac(at, key, key_len, data, data_len, tag_lens[t], cut,
					     tag);
				cr_assert_eq(memcmp(tag, digest, (size_t)tag_lens[t]), 0,
					     "RFC 2202 case %zu, %d-octet tag, cut at %d", c + 1,
					     tag_lens[t], cut);
			}
		}
	}
}

Test(srtp, hmac_sha1_matches_openssl_on_srtp_shaped_input)
{
	/* Given a 20-octet SRTP auth key / When messages of 0 to 300 octets (every SHA-1 block
	 * and padding boundary) go through the auth type as libsrtp's SRTP path gives them (start,
	 * update with the packet, compute with the 4-octet ROC) / Then the 10- and 4-octet tags
	 * are OpenSSL's HMAC cut short */
	const srtp_auth_type_t *at = pc_test_hmac_type();
	uint8_t key[20], msg[304], md[20], tag[32];

	for (unsigned i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0x5a ^ (i * 29));
	for (unsigned i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7 + 3);
	for (int len = 4; len <= 304; len++) {
		ref_hmac_sha1(key, msg, (size_t)len, md);
		pc_test_hmac(at, key, 20, msg, len, 10, len - 4, tag);
		pc_test_bytes_eq(tag, 10, md, 10, "80-bit tag");
		pc_test_hmac(at, key, 20, msg, len, 4, len - 4, tag);
		pc_test_bytes_eq(tag, 4, md, 4, "32-bit tag");
	}
}

Test(srtp, hmac_sha1_refuses_what_libsrtp_refuses)
{
	/* Given the auth type / Then a tag longer than SHA-1's 20 octets is refused at alloc and
	 * at compute (srtp_err_status_bad_param, as libsrtp's HMACs do), and libsrtp's own
	 * self-test harness passes it on its vectors (it ran them when pc_srtp_init registered
	 * it) */
	const srtp_auth_type_t *at = pc_test_hmac_type();
	srtp_auth_t *a = NULL;
	uint8_t key[20] = { 0 }, tag[32];

	cr_assert_eq(at->alloc(&a, 20, 21), srtp_err_status_bad_param);
	cr_assert_eq(at->alloc(&a, -1, 10), srtp_err_status_bad_param);
	cr_assert_eq(at->alloc(&a, 20, 20), srtp_err_status_ok);
	cr_assert_eq(at->init(a->state, key, a->key_len), srtp_err_status_ok);
	cr_assert_eq(at->start(a->state), srtp_err_status_ok);
	cr_assert_eq(at->compute(a->state, key, 4, 21, tag), srtp_err_status_bad_param);
	cr_assert_eq(at->dealloc(a), srtp_err_status_ok);
	cr_assert_eq(srtp_auth_type_self_test(at), srtp_err_status_ok);
}

/* --- the inline: key parser ------------------------------------------------------------------- */

static int pc_test_parse(const char *s, enum pc_srtp_suite suite, struct pc_srtp_key *k)
{
	const char *why = NULL;
	int rc = pc_srtp_inline_parse(s, strlen(s), suite, k, &why);

	if (rc < 0)
		cr_assert_not_null(why, "a reason with every refusal");
	return rc;
}

Test(srtp, inline_parse_good_strings)
{
	/* Given well-formed key-params of each suite, with and without lifetime and MKI / Then the
	 * key, salt, lifetime and MKI are reported as written */
	struct pc_srtp_key k;
	uint8_t want[46];

	/* RFC 4568 9.1's own example. */
	cr_assert_eq(pc_test_parse("inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32",
				   PC_SRTP_AES_CM_128_HMAC_SHA1_80, &k),
		     0);
	pc_test_hex("3d2d6e40255e7821426a75667239293f2c2335685c603d265d7b71695051", want,
		    sizeof(want));
	pc_test_bytes_eq(k.key, 16, want, 16, "key");
	pc_test_bytes_eq(k.salt, 14, want + 16, 14, "salt");
	cr_assert_eq(k.suite, PC_SRTP_AES_CM_128_HMAC_SHA1_80);
	cr_assert_eq(k.lifetime, 1u << 20);
	cr_assert_eq(k.mki, 1);
	cr_assert_eq(k.mki_len, 32);

	/* Decimal lifetime, case-insensitive "inline", the 32-bit suite. */
	cr_assert_eq(pc_test_parse("INLINE:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1000",
				   PC_SRTP_AES_CM_128_HMAC_SHA1_32, &k),
		     0);
	cr_assert_eq(k.lifetime, 1000);
	cr_assert_eq(k.mki_len, 0);
	/* An MKI alone; the biggest lifetime. */
	cr_assert_eq(pc_test_parse("inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|255:1",
				   PC_SRTP_AES_CM_128_HMAC_SHA1_80, &k),
		     0);
	cr_assert_eq(k.lifetime, 0);
	cr_assert_eq(k.mki, 255);
	cr_assert_eq(k.mki_len, 1);
	cr_assert_eq(pc_test_parse("inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^48",
				   PC_SRTP_AES_CM_128_HMAC_SHA1_80, &k),
		     0);
	cr_assert_eq(k.lifetime, 1ull << 48);

	/* AEAD: 28 octets (with and without its "==" padding) and 44 octets. */
	cr_assert_eq(pc_test_parse("inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw==",
				   PC_SRTP_AEAD_AES_128_GCM, &k),
		     0);
	for (unsigned i = 0; i < 16; i++)
		cr_assert_eq(k.key[i], i);
	for (unsigned i = 0; i < 12; i++)
		cr_assert_eq(k.salt[i], 16 + i);
	cr_assert_eq(pc_test_parse("inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw",
				   PC_SRTP_AEAD_AES_128_GCM, &k),
		     0);
	cr_assert_eq(
		pc_test_parse("inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKis=",
			      PC_SRTP_AEAD_AES_256_GCM, &k),
		0);
	for (unsigned i = 0; i < 32; i++)
		cr_assert_eq(k.key[i], i);
	for (unsigned i = 0; i < 12; i++)
		cr_assert_eq(k.salt[i], 32 + i);
}

Test(srtp, inline_parse_bad_strings)
{
	/* Given malformed key-params / Then each is refused with its errno, *out untouched */
	static const struct {
		const char *s;
		enum pc_srtp_suite suite;
		int rc;
	} bad[] = {
		{ "", PC_SRTP_AES_CM_128_HMAC_SHA1_80, -EBADMSG },
		{ "inline", PC_SRTP_AES_CM_128_HMAC_SHA1_80, -EBADMSG },
		{ "inline:", PC_SRTP_AES_CM_128_HMAC_SHA1_80, -EBADMSG },
		{ "inlin:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR", PC_SRTP_AES_CM_128_HMAC_SHA1_80,
		  -EBADMSG },
		/* Bad base64: a character outside the alphabet, a space, padding inside. */
		{ "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVB!",
		  PC_SRTP_AES_CM_128_HMAC_SHA1_80, -EBADMSG },
		{ "inline:PS1uQCVeeCFCanVmcjkp PywjNWhcYD0mXXtxaVBR",
		  PC_SRTP_AES_CM_128_HMAC_SHA1_80, -EBADMSG },
		{ "inline:PS1u=CVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR",
		  PC_SRTP_AES_CM_128_HMAC_SHA1_80, -EBADMSG },
		{ "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw=", PC_SRTP_AEAD_AES_128_GCM,
		  -EBADMSG },
		{ "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGx==", PC_SRTP_AEAD_AES_128_GCM,
		  -EBADMSG }, /* non-zero bits after the last octet */
		{ "inline:A", PC_SRTP_AES_CM_128_HMAC_SHA1_80, -EBADMSG },
		/* Wrong length for the suite. */
		{ "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR", PC_SRTP_AEAD_AES_128_GCM,
		  -EINVAL },
		{ "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw==",
		  PC_SRTP_AES_CM_128_HMAC_SHA1_80, -EINVAL },
		{ "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBRAAAA",
		  PC_SRTP_AES_CM_128_HMAC_SHA1_80, -EINVAL },
		{ "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR", PC_SRTP_SUITES, -EINVAL },
		/* Lifetimes. */
		{ "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|0",
		  PC_SRTP_AES_CM_128_HMAC_SHA1_80, -ERANGE },
		{ "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^49",
		  PC_SRTP_AES_CM_128_HMAC_SHA1_80, -ERANGE },
		{ "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^64",
		  PC_SRTP_AES_CM_128_HMAC_SHA1_80, -ERANGE },
		{ "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|281474976710657",
		  PC_SRTP_AES_CM_128_HMAC_SHA1_80, -ERANGE },
		{ "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|99999999999999999999999",
		  PC_SRTP_AES_CM_128_HMAC_SHA1_80, -ERANGE },
		{ "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^",
		  PC_SRTP_AES_CM_128_HMAC_SHA1_80, -EBADMSG },
		{ "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^x",
		  PC_SRTP_AES_CM_128_HMAC_SHA1_80, -EBADMSG },
		{ "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|",
		  PC_SRTP_AES_CM_128_HMAC_SHA1_80, -EBADMSG },
		{ "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|-5",
		  PC_SRTP_AES_CM_128_HMAC_SHA1_80, -EBADMSG },
		/* MKIs. */
		{ "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:0",
		  PC_SRTP_AES_CM_128_HMAC_SHA1_80, -ERANGE },
		{ "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:129",
		  PC_SRTP_AES_CM_128_HMAC_SHA1_80, -ERANGE },
		{ "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|256:1",
		  PC_SRTP_AES_CM_128_HMAC_SHA1_80, -ERANGE },
		{ "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:0004",
		  PC_SRTP_AES_CM_128_HMAC_SHA1_80, -EBADMSG },
		{ "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:",
		  PC_SRTP_AES_CM_128_HMAC_SHA1_80, -EBADMSG },
		{ "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|:4",
		  PC_SRTP_AES_CM_128_HMAC_SHA1_80, -EBADMSG },
		{ "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:4|2^20",
		  PC_SRTP_AES_CM_128_HMAC_SHA1_80, -EBADMSG },
		{ "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|2^20",
		  PC_SRTP_AES_CM_128_HMAC_SHA1_80, -EBADMSG },
		{ "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4|",
		  PC_SRTP_AES_CM_128_HMAC_SHA1_80, -EBADMSG },
	};
	struct pc_srtp_key sentinel, k;

	memset(&sentinel, 0xa5, sizeof(sentinel));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		k = sentinel;
		cr_assert_eq(pc_test_parse(bad[i].s, bad[i].suite, &k), bad[i].rc, "\"%s\"",
			     bad[i].s);
		cr_assert_eq(memcmp(&k, &sentinel, sizeof(k)), 0, "\"%s\" wrote *out", bad[i].s);
	}
}

Test(srtp, inline_parse_stops_at_len)
{
	/* Given a valid key-params followed by bytes outside @len / Then they are not read: the
	 * string parses as if it ended at @len, and a cut one is refused */
	static const char s[] = "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|garbage";
	struct pc_srtp_key k;
	size_t good = strlen("inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20");

	cr_assert_eq(pc_srtp_inline_parse(s, good, PC_SRTP_AES_CM_128_HMAC_SHA1_80, &k, NULL), 0);
	cr_assert_eq(k.lifetime, 1u << 20);
	cr_assert_eq(pc_srtp_inline_parse(s, good - 2, PC_SRTP_AES_CM_128_HMAC_SHA1_80, &k, NULL),
		     -EBADMSG, "cut to |2^");
	cr_assert_eq(pc_srtp_inline_parse(s, good - 9, PC_SRTP_AES_CM_128_HMAC_SHA1_80, &k, NULL),
		     -EINVAL, "cut in the key: 27 octets");
}

Test(srtp, inline_print_round_trips_and_random_keys)
{
	/* Given random keys of each suite, with a lifetime and an MKI / When printed and parsed
	 * back / Then the same key comes back; and two random keys differ */
	for (unsigned s = 0; s < PC_SRTP_SUITES; s++) {
		struct pc_srtp_key k, k2, back;
		char buf[PC_SRTP_INLINE_MAX];
		int n;

		cr_assert_eq(pc_srtp_key_random(&k, (enum pc_srtp_suite)s), 0);
		cr_assert_eq(pc_srtp_key_random(&k2, (enum pc_srtp_suite)s), 0);
		cr_assert_neq(memcmp(k.key, k2.key, sizeof(k.key)), 0);
		k.lifetime = s % 2 ? 1ull << 31 : 123456;
		k.mki = s;
		k.mki_len = s == 0 ? 0 : s;
		n = pc_srtp_inline_print(&k, buf, sizeof(buf));
		cr_assert_gt(n, 0);
		cr_assert_eq(strlen(buf), (size_t)n);
		cr_assert_eq(pc_test_parse(buf, (enum pc_srtp_suite)s, &back), 0, "%s", buf);
		cr_assert_eq(memcmp(&back, &k, sizeof(k)), 0, "%s", buf);
		cr_assert_eq(pc_srtp_inline_print(&k, buf, (size_t)n), -ENOSPC);
	}
	cr_assert_eq(pc_srtp_key_random(&(struct pc_srtp_key){ 0 }, PC_SRTP_SUITES), -EINVAL);
}

Test(srtp, suite_names)
{
	/* Given the SDES names / Then each parses to its suite (in any case) and prints back */
	enum pc_srtp_suite s;

	for (unsigned i = 0; i < PC_SRTP_SUITES; i++) {
		const char *name = pc_srtp_suite_name((enum pc_srtp_suite)i);

		cr_assert_eq(pc_srtp_suite_parse(name, strlen(name), &s), 0);
		cr_assert_eq(s, i);
	}
	cr_assert_eq(pc_srtp_suite_parse("aead_aes_256_gcm", 16, &s), 0);
	cr_assert_eq(s, PC_SRTP_AEAD_AES_256_GCM);
	cr_assert_eq(pc_srtp_suite_parse("AES_CM_128_HMAC_SHA1_80x", 24, &s), -ENOTSUP);
	cr_assert_eq(pc_srtp_suite_parse("AES_CM_128_HMAC_SHA1_8", 22, &s), -ENOTSUP);
	cr_assert_eq(pc_srtp_suite_parse("F8_128_HMAC_SHA1_80", 19, &s), -ENOTSUP);
	cr_assert_str_eq(pc_srtp_suite_name(PC_SRTP_SUITES), "?");
	cr_assert_null(pc_srtp_suite_info(PC_SRTP_SUITES));
}
