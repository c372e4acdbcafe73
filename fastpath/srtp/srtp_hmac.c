/* SPDX-License-Identifier: MIT */
/*
 * srtp_hmac.c - HMAC-SHA1 (RFC 2104) for libsrtp's SRTP_HMAC_SHA1 auth type (AES-CM suites'
 * SRTP and SRTCP tags, RFC 3711 4.2.1), registered in place of libsrtp's own by pc_srtp_init().
 *
 * Why: libsrtp 2.5.0 on OpenSSL 3.0 computes HMAC with EVP_MAC, whose SHA-1 context is copied
 * with a malloc at every reset (srtp_auth_start) and every final (srtp_auth_compute): two malloc
 * calls per packet on the media thread. EVP_MD_CTX_copy_ex into preallocated contexts does not
 * help: OpenSSL 3.0's provider digests duplicate their context (dupctx) on every copy, another
 * two mallocs per packet (measured). OpenSSL's SHA1_Init/_Update/_Final on a SHA_CTX held by
 * value never allocate, run the same assembler block function as EVP, and were the fastest of
 * the three (HMAC of a 172-octet packet and its ROC, OpenSSL 3.0.19, one CPU: 145 ns, against
 * 270 ns for EVP_MAC and 215 ns for EVP_MD_CTX_copy_ex; `phonecore bench srtp`, 160-octet
 * payload: protect 400 -> 290 ns). They are deprecated in OpenSSL 3.0 but present;
 * OPENSSL_SUPPRESS_DEPRECATED below keeps their declarations free of the deprecation attribute,
 * in this file alone.
 *
 * How: init hashes (K ^ ipad) and (K ^ opad) once (session creation, control thread) and keeps
 * the two SHA-1 states; per packet, start copies the inner state, update hashes the packet (libsrtp
 * calls it for the packet, then compute for the ROC: update may come any number of times),
 * compute finishes the inner hash, copies the outer state, hashes the inner digest into it and
 * writes the first tag_len octets (10 or 4) of the result. Struct copies and SHA-1 only.
 *
 * Only with libsrtp on OpenSSL (PC_SRTP_BACKEND_OPENSSL, cmake/PcSrtp.cmake): with Debian's
 * libsrtp on NSS, libcrypto is not linked and NSS allocates in its ciphers anyway, so libsrtp's
 * own HMAC stays and the stubs at the end report -ENOTSUP.
 */
/* Before any OpenSSL header: SHA1_Init/_Update/_Final without the OpenSSL 3.0 deprecation
 * attribute (see above). */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <srtp2/auth.h>

#include "srtp_pvt.h" /* its interface: pc_srtp_hmac_register, pc_srtp_hmac_sha1 */

#if PC_SRTP_BACKEND_OPENSSL

#include <openssl/sha.h>

#define HMAC_SHA1_BLOCK 64 /* SHA-1's block: the padded key's length (RFC 2104 2) */
#define HMAC_SHA1_LEN 20   /* the digest, and so the longest tag */

/* The keyed states. Each SHA_CTX is plain data (no pointers): copied by assignment. */
struct hmac_sha1_state {
	SHA_CTX inner; /* after (K ^ ipad): what start restores */
	SHA_CTX outer; /* after (K ^ opad): what compute continues */
	SHA_CTX ctx;   /* the packet being hashed, from start to compute */
};

/* One allocation per auth, as libsrtp's hmac.c makes: its handle, then the state. The handle
 * first, so that the block's address is the srtp_auth_t's (dealloc frees that). */
struct hmac_sha1 {
	srtp_auth_t auth;
	struct hmac_sha1_state st;
};

static const srtp_auth_type_t hmac_sha1_type;

/* Session creation (control thread): the only allocation. Tags longer than the digest are
 * refused, as libsrtp's own does; keys of any length are taken (RFC 2104 2: longer than a block,
 * they are hashed first), where libsrtp's native HMAC stops at 20 octets. */
static srtp_err_status_t hmac_sha1_alloc(srtp_auth_t **a, int key_len, int out_len)
{
	struct hmac_sha1 *h;

	if (key_len < 0 || out_len < 0 || out_len > HMAC_SHA1_LEN)
		return srtp_err_status_bad_param;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return srtp_err_status_alloc_fail;
	h->auth.type = &hmac_sha1_type;
	h->auth.state = &h->st;
	h->auth.out_len = out_len;
	h->auth.key_len = key_len;
	h->auth.prefix_len = 0; /* no keystream prefix: HMAC is not a universal hash */
	*a = &h->auth;
	return srtp_err_status_ok;
}

/* The keyed states are key material: wiped before the memory goes back. */
static srtp_err_status_t hmac_sha1_dealloc(srtp_auth_t *a)
{
	explicit_bzero(a, sizeof(struct hmac_sha1));
	free(a);
	return srtp_err_status_ok;
}

/* RFC 2104 2: the two keyed states, ready for start. Control thread (srtp_create, or a new
 * SSRC's stream); the pads and a hashed key are wiped from the stack. */
static srtp_err_status_t hmac_sha1_init(void *statev, const uint8_t *key, int key_len)
{
	struct hmac_sha1_state *st = statev;
	uint8_t k[HMAC_SHA1_BLOCK] = { 0 }, pad[HMAC_SHA1_BLOCK];
	size_t klen;

	if (key_len < 0)
		return srtp_err_status_bad_param;
	klen = (size_t)key_len;
	if (klen > HMAC_SHA1_BLOCK) {
		SHA_CTX kc; /* not SHA1(): in OpenSSL 3.0 that fetches a provider digest */

		SHA1_Init(&kc);
		SHA1_Update(&kc, key, klen);
		SHA1_Final(k, &kc);
		explicit_bzero(&kc, sizeof(kc));
	} else if (klen != 0) {
		memcpy(k, key, klen);
	}
	for (unsigned i = 0; i < HMAC_SHA1_BLOCK; i++)
		pad[i] = k[i] ^ 0x36;
	SHA1_Init(&st->inner);
	SHA1_Update(&st->inner, pad, sizeof(pad));
	for (unsigned i = 0; i < HMAC_SHA1_BLOCK; i++)
		pad[i] = k[i] ^ 0x5c;
	SHA1_Init(&st->outer);
	SHA1_Update(&st->outer, pad, sizeof(pad));
	/* As libsrtp's HMACs leave it: computing without a start is the keyed HMAC too. */
	st->ctx = st->inner;
	explicit_bzero(k, sizeof(k));
	explicit_bzero(pad, sizeof(pad));
	return srtp_err_status_ok;
}

/* Per packet, media thread: back to the keyed inner state. */
static srtp_err_status_t hmac_sha1_start(void *statev)
{
	struct hmac_sha1_state *st = statev;

	st->ctx = st->inner;
	return srtp_err_status_ok;
}

/* Per packet, media thread, any number of times between start and compute. */
static srtp_err_status_t hmac_sha1_update(void *statev, const uint8_t *message, int msg_octets)
{
	struct hmac_sha1_state *st = statev;

	if (msg_octets < 0)
		return srtp_err_status_bad_param;
	SHA1_Update(&st->ctx, message, (size_t)msg_octets);
	return srtp_err_status_ok;
}

/*
 * Per packet, media thread: hash the last @msg_octets, then the outer hash, then the tag (the
 * digest's first @tag_len octets: RFC 3711 4.2.1's truncation). SHA1_Final leaves the final
 * digest in the context (and wipes its block buffer), so no keyed midstate stays in st->ctx.
 */
static srtp_err_status_t hmac_sha1_compute(void *statev, const uint8_t *message, int msg_octets,
					   int tag_len, uint8_t *result)
{
	struct hmac_sha1_state *st = statev;
	uint8_t md[HMAC_SHA1_LEN];

	if (tag_len > HMAC_SHA1_LEN)
		return srtp_err_status_bad_param;
	if (tag_len < 0 || msg_octets < 0)
		return srtp_err_status_auth_fail; /* as libsrtp's hmac_ossl.c says for tag_len */
	SHA1_Update(&st->ctx, message, (size_t)msg_octets);
	SHA1_Final(md, &st->ctx);
	st->ctx = st->outer;
	SHA1_Update(&st->ctx, md, sizeof(md));
	SHA1_Final(md, &st->ctx);
	memcpy(result, md, (size_t)tag_len);
	return srtp_err_status_ok;
}

/*
 * RFC 2202 3's test cases 1-7 (and 5's 96-bit truncation), which libsrtp runs through the type
 * before it takes it (srtp_replace_auth_type), after libsrtp's own vector (RFC 2202 case 1).
 */
static const uint8_t rfc2202_key_1[20] = { 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
					   0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
					   0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b };
static const uint8_t rfc2202_tag_1[20] = { 0xb6, 0x17, 0x31, 0x86, 0x55, 0x05, 0x72,
					   0x64, 0xe2, 0x8b, 0xc0, 0xb6, 0xfb, 0x37,
					   0x8c, 0x8e, 0xf1, 0x46, 0xbe, 0x00 };
static const uint8_t rfc2202_tag_2[20] = { 0xef, 0xfc, 0xdf, 0x6a, 0xe5, 0xeb, 0x2f,
					   0xa2, 0xd2, 0x74, 0x16, 0xd5, 0xf1, 0x84,
					   0xdf, 0x9c, 0x25, 0x9a, 0x7c, 0x79 };
static const uint8_t rfc2202_key_3[20] = { 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
					   0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
					   0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa };
static const uint8_t rfc2202_data_3[50] = {
	0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd,
	0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd,
	0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd,
	0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd,
};
static const uint8_t rfc2202_tag_3[20] = { 0x12, 0x5d, 0x73, 0x42, 0xb9, 0xac, 0x11,
					   0xcd, 0x91, 0xa3, 0x9a, 0xf4, 0x8a, 0xa1,
					   0x7b, 0x4f, 0x63, 0xf1, 0x75, 0xd3 };
static const uint8_t rfc2202_key_4[25] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
					   0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12,
					   0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19 };
static const uint8_t rfc2202_data_4[50] = {
	0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd,
	0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd,
	0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd,
	0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd,
};
static const uint8_t rfc2202_tag_4[20] = { 0x4c, 0x90, 0x07, 0xf4, 0x02, 0x62, 0x50,
					   0xc6, 0xbc, 0x84, 0x14, 0xf9, 0xbf, 0x50,
					   0xc8, 0x6c, 0x2d, 0x72, 0x35, 0xda };
static const uint8_t rfc2202_key_5[20] = { 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c,
					   0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c,
					   0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c };
static const uint8_t rfc2202_tag_5[20] = { 0x4c, 0x1a, 0x03, 0x42, 0x4b, 0x55, 0xe0,
					   0x7f, 0xe7, 0xf2, 0x7b, 0xe1, 0xd5, 0x8b,
					   0xb9, 0x32, 0x4a, 0x9a, 0x5a, 0x04 };
static const uint8_t rfc2202_key_6[80] = {
	0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
	0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
	0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
	0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
	0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
	0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
};
static const uint8_t rfc2202_tag_6[20] = { 0xaa, 0x4a, 0xe5, 0xe1, 0x52, 0x72, 0xd0,
					   0x0e, 0x95, 0x70, 0x56, 0x37, 0xce, 0x8a,
					   0x3b, 0x55, 0xed, 0x40, 0x21, 0x12 };
static const uint8_t rfc2202_tag_7[20] = { 0xe8, 0xe9, 0x9d, 0x0f, 0x45, 0x23, 0x7d,
					   0x78, 0x6d, 0x6b, 0xba, 0xa7, 0x96, 0x5c,
					   0x78, 0x08, 0xbb, 0xff, 0x1a, 0x91 };
static const char rfc2202_data_2[] = "what do ya want for nothing?";
static const char rfc2202_data_5[] = "Test With Truncation";
static const char rfc2202_data_6[] = "Test Using Larger Than Block-Size Key - Hash Key First";
static const char rfc2202_data_7[] =
	"Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data";

#define RFC2202_CASE(klen, key, dlen, data, tlen, tag, next)                               \
	{                                                                                  \
		(klen), (key), (int)(dlen), (const uint8_t *)(data), (tlen), (tag), (next) \
	}

static const srtp_auth_test_case_t rfc2202_cases[8] = {
	RFC2202_CASE(20, rfc2202_key_1, 8, "Hi There", 20, rfc2202_tag_1, &rfc2202_cases[1]),
	RFC2202_CASE(4, (const uint8_t *)"Jefe", sizeof(rfc2202_data_2) - 1, rfc2202_data_2, 20,
		     rfc2202_tag_2, &rfc2202_cases[2]),
	RFC2202_CASE(20, rfc2202_key_3, 50, rfc2202_data_3, 20, rfc2202_tag_3, &rfc2202_cases[3]),
	RFC2202_CASE(25, rfc2202_key_4, 50, rfc2202_data_4, 20, rfc2202_tag_4, &rfc2202_cases[4]),
	RFC2202_CASE(20, rfc2202_key_5, sizeof(rfc2202_data_5) - 1, rfc2202_data_5, 20,
		     rfc2202_tag_5, &rfc2202_cases[5]),
	/* Case 5's digest-96: the tag cut short, as SRTP cuts it. */
	RFC2202_CASE(20, rfc2202_key_5, sizeof(rfc2202_data_5) - 1, rfc2202_data_5, 12,
		     rfc2202_tag_5, &rfc2202_cases[6]),
	RFC2202_CASE(80, rfc2202_key_6, sizeof(rfc2202_data_6) - 1, rfc2202_data_6, 20,
		     rfc2202_tag_6, &rfc2202_cases[7]),
	RFC2202_CASE(80, rfc2202_key_6, sizeof(rfc2202_data_7) - 1, rfc2202_data_7, 20,
		     rfc2202_tag_7, NULL),
};

static const srtp_auth_type_t hmac_sha1_type = {
	.alloc = hmac_sha1_alloc,
	.dealloc = hmac_sha1_dealloc,
	.init = hmac_sha1_init,
	.compute = hmac_sha1_compute,
	.update = hmac_sha1_update,
	.start = hmac_sha1_start,
	.description = "hmac sha-1 (phonecore: OpenSSL SHA-1, no allocation per packet)",
	.test_data = &rfc2202_cases[0],
	.id = SRTP_HMAC_SHA1,
};

int pc_srtp_hmac_register(void)
{
	return srtp_replace_auth_type(&hmac_sha1_type, SRTP_HMAC_SHA1) == srtp_err_status_ok ?
		       0 :
		       -EPROTO;
}

const srtp_auth_type_t *pc_srtp_hmac_sha1(void)
{
	return &hmac_sha1_type;
}

#else /* !PC_SRTP_BACKEND_OPENSSL: Debian's libsrtp on NSS keeps its own HMAC */

int pc_srtp_hmac_register(void)
{
	return -ENOTSUP;
}

const srtp_auth_type_t *pc_srtp_hmac_sha1(void)
{
	return NULL;
}

#endif /* PC_SRTP_BACKEND_OPENSSL */
