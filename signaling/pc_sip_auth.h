/* SPDX-License-Identifier: MIT */
/*
 * pc_sip_auth.h - SIP digest authentication (RFC 3261 22.4, RFC 2617, RFC 7616, RFC 8760):
 * parsing of challenges (WWW-Authenticate / Proxy-Authenticate values) and credentials
 * (Authorization / Proxy-Authorization values) in place, the choice among the challenges of a
 * 401/407, the client's response with nonce counting, and the server's check of credentials.
 *
 * Parsing: one header value (SIP never folds several challenges or credentials into one value,
 * RFC 3261 7.3.1), bounded by the length given, never NUL-terminated nor written to. The
 * grammar is RFC 3261 25.1 with RFC 7616's additions:
 *     "Digest" LWS param *(COMMA param), param = token EQUAL (token / quoted-string)
 * with LWS that may hold folds (CRLF followed by SP or HTAB). Checked: the scheme; every
 * known parameter at most once; the values that must be quoted strings (realm, domain, nonce,
 * opaque, qop-options, username, uri, response, cnonce) are; stale and userhash are "true" or
 * "false"; nc is 8 hex digits; response is hex of the algorithm's length; qop-options is a
 * comma-separated list of tokens; the required parameters are there (challenge: realm, nonce;
 * credentials: username, realm, nonce, uri, response, and cnonce and nc exactly when qop is
 * there). Stricter than RFC 3261: an escaped NUL ("\" %x00) in a quoted string is refused.
 * Leniency, for servers and phones seen in the field: algorithm, stale, userhash and the
 * credentials' qop may also be quoted. Unknown parameters are skipped (not checked for
 * repetition); an unknown algorithm or qop value parses (the choice skips it, the computation
 * refuses it with -ENOTSUP).
 *
 * Slices of quoted values exclude the quotes and keep the escapes as written (a backslash in
 * such a slice always starts a quoted-pair): the hashes use the unescaped text (RFC 7616's
 * unq()), the printed credentials echo realm, nonce and opaque as received.
 * pc_sip_auth_unquote() copies the unescaped text out. An absent parameter has p == NULL.
 *
 * Thread context: the parsers and the pure functions keep no state and run anywhere. A
 * struct pc_sip_auth_client belongs to one thread (the SIP thread).
 */
#ifndef PC_SIP_AUTH_H
#define PC_SIP_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pc_sip_msg.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A longer header value is rejected with -E2BIG, as is one with more parameters. */
#define PC_SIP_AUTH_MAX_LEN PC_SIP_MAX_HEADER_LEN
#define PC_SIP_AUTH_MAX_PARAMS 32
/* Room for a response in hex, NUL included (SHA-256 and SHA-512/256: 64 digits). */
#define PC_SIP_AUTH_HEX_MAX 65
/* Room for a cnonce, NUL included. */
#define PC_SIP_AUTH_CNONCE_MAX 64
/* Challenges pc_sip_auth_pick_msg() looks at in one response (later ones are ignored). */
#define PC_SIP_AUTH_MAX_CHALLENGES 16
/* (realm, nonce) pairs whose nonce count a client remembers (least recently used replaced). */
#define PC_SIP_AUTH_NC_SLOTS 16

/* The algorithms, weakest first within the hashes (RFC 8760 3: SHA-512/256, SHA-256, MD5 in
 * decreasing order of preference). */
enum pc_sip_auth_alg {
	PC_SIP_AUTH_MD5 = 0, /* also what an absent algorithm means */
	PC_SIP_AUTH_MD5_SESS,
	PC_SIP_AUTH_SHA256,
	PC_SIP_AUTH_SHA256_SESS,
	PC_SIP_AUTH_SHA512_256,
	PC_SIP_AUTH_SHA512_256_SESS,
	PC_SIP_AUTH_ALG_UNKNOWN,
};
/* Bit masks of algorithms for pc_sip_auth_pick(). */
#define PC_SIP_AUTH_ALG_BIT(a) (1u << (a))
#define PC_SIP_AUTH_ALG_ALL                                                                       \
	(PC_SIP_AUTH_ALG_BIT(PC_SIP_AUTH_MD5) | PC_SIP_AUTH_ALG_BIT(PC_SIP_AUTH_MD5_SESS) |       \
	 PC_SIP_AUTH_ALG_BIT(PC_SIP_AUTH_SHA256) | PC_SIP_AUTH_ALG_BIT(PC_SIP_AUTH_SHA256_SESS) | \
	 PC_SIP_AUTH_ALG_BIT(PC_SIP_AUTH_SHA512_256) |                                            \
	 PC_SIP_AUTH_ALG_BIT(PC_SIP_AUTH_SHA512_256_SESS))

/* Quality of protection: qop-options bits of a challenge, and the qop of credentials. */
#define PC_SIP_AUTH_QOP_AUTH 1u
#define PC_SIP_AUTH_QOP_AUTH_INT 2u
enum pc_sip_auth_qop {
	PC_SIP_AUTH_QOP_NONE = 0, /* RFC 2069 legacy form: no qop, cnonce nor nc */
	PC_SIP_AUTH_QOP_IS_AUTH,
	PC_SIP_AUTH_QOP_IS_AUTH_INT,
	PC_SIP_AUTH_QOP_OTHER, /* a token we do not know */
};

/* A parsed challenge (WWW-Authenticate or Proxy-Authenticate value). Slices point into the
 * parsed buffer. */
struct pc_sip_auth_challenge {
	enum pc_sip_auth_alg alg;      /* MD5 when the algorithm is absent */
	struct pc_sip_slice algorithm; /* as written, p NULL when absent */
	struct pc_sip_slice realm, nonce;
	struct pc_sip_slice opaque, domain; /* p NULL when absent */
	struct pc_sip_slice qop_options;    /* p NULL when absent */
	unsigned qop;			    /* PC_SIP_AUTH_QOP_* bits found in qop_options */
	bool stale;
	bool userhash; /* RFC 7616 3.4.4: the server accepts a hashed username */
};

/* Parsed credentials (Authorization or Proxy-Authorization value). */
struct pc_sip_auth_credentials {
	enum pc_sip_auth_alg alg;      /* MD5 when absent */
	struct pc_sip_slice algorithm; /* p NULL when absent */
	struct pc_sip_slice username, realm, nonce, uri, response;
	struct pc_sip_slice cnonce, opaque, qop_value, nc_value; /* p NULL when absent */
	enum pc_sip_auth_qop qop;
	uint32_t nc; /* nc_value decoded; 0 when absent */
	bool userhash;
};

/*
 * pc_sip_auth_challenge_parse() / pc_sip_auth_credentials_parse() - parse one header value.
 * @out: out (borrowed), written whether or not the parse succeeds, meaningful only on success;
 *       its slices point into @buf, which must outlive it.
 * @buf: the header value (borrowed, read only), @len octets, no terminator needed.
 * @err: out, optional (NULL): on failure a one-line reason cut to @errlen, "" on success.
 * Return: 0; -ENOTSUP the scheme is not Digest (a well-formed scheme token); -EBADMSG bad
 * syntax, a repeated or missing parameter, a bad value; -E2BIG longer than PC_SIP_AUTH_MAX_LEN
 * or more than PC_SIP_AUTH_MAX_PARAMS parameters. No allocation.
 */
int pc_sip_auth_challenge_parse(struct pc_sip_auth_challenge *out, const void *buf, size_t len,
				char *err, size_t errlen);
int pc_sip_auth_credentials_parse(struct pc_sip_auth_credentials *out, const void *buf, size_t len,
				  char *err, size_t errlen);

/*
 * pc_sip_auth_pick() - choose the challenge to answer among the challenge values of one 401 or
 * 407 (RFC 8760 2.4): the strongest algorithm that is in @alg_mask (SHA-512/256, then SHA-256,
 * then MD5; the -sess variant ranks with its hash), the topmost among equals. This is a local
 * policy stronger than RFC 8760's "topmost supported". Values that are not Digest, do not parse,
 * or whose algorithm is unknown or not in the mask are skipped.
 * @values, @n: the header values in message order (borrowed).
 * @realm: when realm.p is not NULL, only challenges of that realm (compared as written, octet
 *         for octet) are looked at: a forked request may collect one challenge set per realm.
 * @out: out (borrowed): the chosen challenge, parsed. @index: out, optional: its position.
 * @err: out, optional: why nothing was chosen (the first parse error, if any).
 * Return: 0; -ENOENT nothing usable. No allocation.
 */
int pc_sip_auth_pick(const struct pc_sip_slice *values, unsigned n, unsigned alg_mask,
		     struct pc_sip_slice realm, struct pc_sip_auth_challenge *out, unsigned *index,
		     char *err, size_t errlen);

/*
 * pc_sip_auth_pick_msg() - pc_sip_auth_pick() over the WWW-Authenticate (@proxy false) or
 * Proxy-Authenticate (@proxy true) headers of a parsed response (the first
 * PC_SIP_AUTH_MAX_CHALLENGES). @msg borrowed; @index, if given, counts those headers only.
 */
int pc_sip_auth_pick_msg(const struct pc_sip_msg *msg, bool proxy, unsigned alg_mask,
			 struct pc_sip_slice realm, struct pc_sip_auth_challenge *out,
			 unsigned *index, char *err, size_t errlen);

/*
 * pc_sip_auth_retry() - whether a UAC should answer @ch (RFC 7616 3.3, RFC 3261 22.2): yes if
 * the request it answers carried no credentials for that realm (@had_credentials false), or if
 * the server says the nonce was stale; otherwise the credentials were refused and sending them
 * again would loop. @ch borrowed.
 */
bool pc_sip_auth_retry(const struct pc_sip_auth_challenge *ch, bool had_credentials);

/* The algorithm's name as RFC 7616 writes it ("SHA-256-sess"), "" for UNKNOWN. */
const char *pc_sip_auth_alg_name(enum pc_sip_auth_alg alg);
/* Hex digits of the algorithm's response (32 or 64), 0 for UNKNOWN. */
size_t pc_sip_auth_alg_hexlen(enum pc_sip_auth_alg alg);

/*
 * pc_sip_auth_unquote() - the unescaped text of a quoted value's slice (quoted-pairs undone),
 * NUL-terminated into @out. @s and @out borrowed.
 * Return: the length (without the NUL); -ENOSPC when @outlen is too small (@out then holds "").
 */
int pc_sip_auth_unquote(struct pc_sip_slice s, char *out, size_t outlen);

/* The inputs of a response, all literal (no escapes): what pc_sip_auth_compute() hashes. */
struct pc_sip_auth_digest_in {
	enum pc_sip_auth_alg alg;
	enum pc_sip_auth_qop qop; /* NONE, IS_AUTH or IS_AUTH_INT */
	struct pc_sip_slice username, realm, password, nonce;
	struct pc_sip_slice cnonce;	 /* with qop or a -sess algorithm */
	uint32_t nc;			 /* with qop */
	struct pc_sip_slice method, uri; /* "REGISTER", the Request-URI */
	struct pc_sip_slice body;	 /* IS_AUTH_INT only (len 0: empty body) */
};

/*
 * pc_sip_auth_compute() - the response (RFC 7616 3.4.1): HA1 = H(username:realm:password),
 * for -sess H(HA1:nonce:cnonce); HA2 = H(method:uri), for auth-int H(method:uri:H(body));
 * response = H(HA1:nonce:nc:cnonce:qop:HA2), without qop H(HA1:nonce:HA2) (RFC 2069).
 * @in borrowed; @out: lowercase hex, NUL-terminated.
 * Return: 0; -ENOTSUP an unknown algorithm or qop; -ENOMEM; -EIO OpenSSL failed. Allocates
 * digest contexts for the call (for tests and one-off use; the client below keeps its own).
 */
int pc_sip_auth_compute(const struct pc_sip_auth_digest_in *in, char out[PC_SIP_AUTH_HEX_MAX]);

/*
 * A client's cnonce source: writes a NUL-terminated cnonce of printable ASCII without '"' or
 * '\' into @buf (@size octets, PC_SIP_AUTH_CNONCE_MAX) and returns 0 or -errno. @arg is the
 * caller's (retained by the client). pc_sip_auth_cnonce_random() is the default: 16 octets of
 * RAND_bytes() in 32 lowercase hex digits (@arg unused).
 */
typedef int pc_sip_auth_cnonce_h(void *arg, char *buf, size_t size);
int pc_sip_auth_cnonce_random(void *arg, char *buf, size_t size);

/* What a UAC authenticates with (borrowed by the calls; literal values). */
struct pc_sip_auth_account {
	struct pc_sip_slice username, password;
};

struct pc_sip_auth_client;

/*
 * pc_sip_auth_client_create() - a client's digest state: an EVP_MD_CTX per hash, each bound to
 * a digest fetched here, and the nonce counts of the last PC_SIP_AUTH_NC_SLOTS (realm, nonce)
 * pairs used.
 * @out: out, written on success only. @cnonce: the cnonce source (NULL: the random one), @arg
 * passed to it (retained).
 * Return: 0; -ENOMEM; -ENOTSUP OpenSSL lacks one of the digests (MD5 in a FIPS-only setup).
 * Allocates (setup only); pc_sip_auth_client_destroy() frees (NULL ok).
 */
int pc_sip_auth_client_create(struct pc_sip_auth_client **out, pc_sip_auth_cnonce_h *cnonce,
			      void *arg);
void pc_sip_auth_client_destroy(struct pc_sip_auth_client *c);

/* Flags of pc_sip_auth_client_authorize(). */
#define PC_SIP_AUTH_PREFER_AUTH_INT 1u /* qop=auth-int when both are offered (default auth) */

/*
 * pc_sip_auth_client_authorize() - answer a challenge: print the Authorization or
 * Proxy-Authorization header value (without the name) into @out.
 * @c: the client (borrowed). @ch: the challenge (borrowed; its buffer still there).
 * @acct: username and password (borrowed). @method, @uri: the request's method and Request-URI
 * (borrowed; the uri is printed as given, escaped). @body: the request body, hashed for
 * auth-int (borrowed; len 0 for none). @flags: PC_SIP_AUTH_PREFER_AUTH_INT or 0.
 * qop: auth when offered (auth-int if preferred and offered), auth-int when it is the only one
 * offered, none when the challenge has no qop-options (then no cnonce nor nc, unless -sess
 * needs a cnonce). With a qop, a fresh cnonce per call, and nc one more than the last one sent
 * for the same (realm, nonce) (1 for a new nonce, e.g. after stale=true). userhash=true in the
 * challenge sends H(username:realm) as the username. The algorithm parameter is printed when
 * the challenge had one, with RFC 7616's spelling.
 * @out: NUL-terminated; @outn: out, optional: its length without the NUL.
 * Return: 0; -ENOSPC @outlen too small (the nonce count is then not used up); -ENOTSUP an
 * unknown algorithm or qop-options with neither auth nor auth-int; -ERANGE the nonce count
 * would pass 0xffffffff; -EIO OpenSSL or the cnonce source failed. No allocation of its own;
 * OpenSSL 3.0 allocates a provider context inside each digest initialisation (4 per call, 5-7
 * with -sess, auth-int or userhash). Not on the media path: one call per challenged request.
 */
int pc_sip_auth_client_authorize(struct pc_sip_auth_client *c,
				 const struct pc_sip_auth_challenge *ch,
				 const struct pc_sip_auth_account *acct, struct pc_sip_slice method,
				 struct pc_sip_slice uri, struct pc_sip_slice body, unsigned flags,
				 char *out, size_t outlen, size_t *outn);

/*
 * pc_sip_auth_client_nc() - the last nonce count sent for (@realm, @nonce), slices as in a
 * parsed challenge (escapes as written); 0 when none is remembered. For tests and traces.
 */
uint32_t pc_sip_auth_client_nc(struct pc_sip_auth_client *c, struct pc_sip_slice realm,
			       struct pc_sip_slice nonce);

/* What a UAS challenges with (borrowed; literal values, escaped when printed). */
struct pc_sip_auth_challenge_spec {
	enum pc_sip_auth_alg alg;
	struct pc_sip_slice realm, nonce;
	struct pc_sip_slice opaque; /* p NULL: none */
	unsigned qop;		    /* PC_SIP_AUTH_QOP_* bits; 0: no qop-options (legacy) */
	bool stale;
	bool print_algorithm; /* print algorithm= even for MD5 */
};

/*
 * pc_sip_auth_challenge_print() - a WWW-Authenticate or Proxy-Authenticate value for @spec
 * into @out (NUL-terminated; @outn optional, the length without the NUL).
 * Return: 0; -ENOSPC; -EINVAL an unknown algorithm. No allocation.
 */
int pc_sip_auth_challenge_print(const struct pc_sip_auth_challenge_spec *spec, char *out,
				size_t outlen, size_t *outn);

/*
 * pc_sip_auth_verify() - a UAS's check of credentials against the account's password: the
 * username (or, with userhash=true, H(username:realm)) and the response, compared in
 * constant time (the response's hex in either case). The caller checks the rest: that realm
 * and nonce are its own and fresh, that uri is the Request-URI (RFC 3261 22.4 point 1 of
 * RFC 2617 3.2.2.5), that nc grows, that opaque is what it sent.
 * @cr: the parsed credentials (borrowed, their buffer still there). @method, @body: the
 * request's (borrowed; the body for auth-int). @acct: the expected username and password.
 * @err: out, optional: a one-line reason on failure, "" on success.
 * Return: 0; -EACCES the username or response differs; -ENOTSUP an unknown algorithm or qop;
 * -ENOMEM; -EIO OpenSSL failed. Allocates digest contexts for the call (off the hot path).
 */
int pc_sip_auth_verify(const struct pc_sip_auth_credentials *cr, struct pc_sip_slice method,
		       struct pc_sip_slice body, const struct pc_sip_auth_account *acct, char *err,
		       size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* PC_SIP_AUTH_H */
