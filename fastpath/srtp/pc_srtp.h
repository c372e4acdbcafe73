/* SPDX-License-Identifier: MIT */
/*
 * pc_srtp.h - SRTP and SRTCP (RFC 3711, RFC 7714) on packet buffers, in place, with libsrtp2.
 *
 * Suites (RFC 4568 6.2 and RFC 7714 14.1 names, as they appear in SDP a=crypto lines):
 *
 *   suite                     key  salt  SRTP tag  SRTCP trailer (E+index, tag)
 *   AES_CM_128_HMAC_SHA1_80    16    14        10        4 + 10
 *   AES_CM_128_HMAC_SHA1_32    16    14         4        4 + 10  (RFC 4568 6.2.2: SRTCP 80 bits)
 *   AEAD_AES_128_GCM           16    12        16        4 + 16
 *   AEAD_AES_256_GCM           32    12        16        4 + 16
 *
 * A session (struct pc_srtp) belongs to one media stream and has two directions, each with its
 * own master key and salt: outbound protects what we send, inbound unprotects what we receive.
 * A relay leg, or a phone's stream, has one session; re-keying one direction replaces that
 * direction alone (pc_srtp_dir_*), so the other keeps its rollover counters and replay window.
 *
 * Packets are changed in place. Protect encrypts the payload and appends the trailer (SRTP:
 * the auth tag; SRTCP: the E bit and SRTCP index, then the tag) into the buffer's tailroom;
 * unprotect checks and decrypts, then trims the trailer. A packet whose protection fails is
 * left for the caller to drop (its content is then unspecified); every refusal is counted.
 *
 * Errors (all calls on packets return 0 or one of these; the caller drops and counts):
 *   -EACCES      authentication failed (tampered, wrong key; SRTCP: E bit not as the suite says)
 *   -EALREADY    replay (RFC 3711 3.3.2): inbound, an index already received or older than the
 *                replay window; outbound, an index already sent (PC_SRTP_F_REPEAT_TX allows it)
 *   -ENOSPC      protect: the tailroom is shorter than the trailer (the packet is unchanged)
 *   -EBADMSG     not a packet that can be processed: shorter than its header (and trailer),
 *                version not 2, CSRCs or header extension running past the end
 *   -ESRCH       its SSRC has no stream in this direction and PC_SRTP_F_ANY_SSRC is not set
 *   -ENOKEY      the session has no key for this direction
 *   -EBUSY       the packet is shared (reference count above 1): copy it before protecting
 *   -EKEYEXPIRED the key's lifetime (packets) is used up: re-key (pc_srtp_dir_create/_swap)
 *   -ENOMEM      a new SSRC's stream could not be allocated (PC_SRTP_F_ANY_SSRC only)
 *   -EPROTO      any other failure reported by libsrtp
 *
 * New SSRCs and allocation. libsrtp keeps one stream (keys, rollover counter, replay window)
 * per SSRC. The SSRCs listed in a direction's configuration get their streams at create time.
 * With PC_SRTP_F_ANY_SSRC a direction also takes any other SSRC through libsrtp's template
 * (ssrc_any_outbound / ssrc_any_inbound), and libsrtp then allocates (clones) a stream, on the
 * media thread, for the first packet of each new SSRC: inbound only once that packet has
 * authenticated, so forged packets with random SSRCs allocate nothing. Each such allocation is
 * counted (new_ssrc). Without the flag a packet of an unlisted SSRC is refused with -ESRCH and
 * nothing is allocated. So: list the SSRCs that are known (our own for outbound, the peer's
 * a=ssrc for inbound) and set the flag only where the peer's SSRC is not known in advance.
 *
 * Allocation inside libsrtp's crypto backend. This module adds none of its own
 * (tests/fastpath/srtp_test.c checks that it calls malloc exactly as often as libsrtp alone).
 * libsrtp 2.5.0 as Debian 12 builds it uses NSS, which allocates inside every protect and
 * unprotect (about 14 malloc calls per AES-CM/HMAC packet, 5 per AES-GCM packet, measured)
 * and is 2-5x slower; so scripts/bootstrap builds libsrtp 2.5.0 on OpenSSL's libcrypto and
 * cmake/PcSrtp.cmake links it (Debian's stays the fallback). With it, no suite allocates per
 * packet, SRTP or SRTCP (the test asserts 0): AES-GCM reuses its cipher contexts, and for
 * AES-CM/HMAC-SHA1, whose OpenSSL 3.0 HMAC copies a context with a malloc per reset and final,
 * pc_srtp_init() replaces libsrtp's HMAC-SHA1 with phonecore's (srtp_hmac.c, through
 * srtp_replace_auth_type(): SHA-1 states precomputed per key, copied by value per packet).
 * On NSS libsrtp's own HMAC stays.
 *
 * Thread context: pc_srtp_init, create, destroy, pc_srtp_dir_create/_destroy and the key
 * parser run on the control (SIP) thread; protect, unprotect, reprotect and pc_srtp_dir_swap on
 * the one media thread that owns the session; pc_srtp_stats on any thread.
 * Allocates: create and pc_srtp_dir_create (libsrtp's srtp_create), and libsrtp as said above.
 */
#ifndef PC_SRTP_H
#define PC_SRTP_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pc_pkt.h"

#ifdef __cplusplus
extern "C" {
#endif

enum pc_srtp_suite {
	PC_SRTP_AES_CM_128_HMAC_SHA1_80 = 0,
	PC_SRTP_AES_CM_128_HMAC_SHA1_32 = 1,
	PC_SRTP_AEAD_AES_128_GCM = 2,
	PC_SRTP_AEAD_AES_256_GCM = 3,
	PC_SRTP_SUITES
};

/* The two directions of a session. */
enum pc_srtp_way {
	PC_SRTP_OUT = 0, /* protect: what we send */
	PC_SRTP_IN = 1,	 /* unprotect: what we receive */
};

#define PC_SRTP_KEY_MAX 32	    /* master key bytes, at most (AES-256) */
#define PC_SRTP_SALT_MAX 14	    /* master salt bytes, at most (AES-CM) */
#define PC_SRTP_TRAILER_MAX 20	    /* bytes protect appends, at most (SRTCP with AES-GCM) */
#define PC_SRTP_SSRC_MAX 16	    /* SSRCs listed per direction */
#define PC_SRTP_WINDOW_DEFAULT 128u /* replay window (RFC 3711 3.3.2 asks for at least 64) */
#define PC_SRTP_WINDOW_MIN 64u
#define PC_SRTP_WINDOW_MAX 32767u	  /* libsrtp's limit: below 2^15 */
#define PC_SRTP_LIFETIME_MAX (1ull << 48) /* RFC 3711 9.2: SRTP; SRTCP stops at 2^31 */
#define PC_SRTP_MKI_LEN_MAX 128u	  /* RFC 4568 9.2: mki-length 1..128 */
/* "inline:" + base64 of 46 bytes (64) + "|2^48" ... : the longest key-params we print. */
#define PC_SRTP_INLINE_MAX 128u

_Static_assert(PC_SRTP_TRAILER_MAX <= PC_PKT_TAILROOM_MIN, "every pool has room for a trailer");

/* What a suite needs; see the table above. */
struct pc_srtp_suite_info {
	const char *name;     /* RFC 4568 / RFC 7714 name */
	uint8_t key_len;      /* master key bytes */
	uint8_t salt_len;     /* master salt bytes */
	uint8_t rtp_trailer;  /* bytes SRTP appends (the tag) */
	uint8_t rtcp_trailer; /* bytes SRTCP appends (4 for E + index, then the tag) */
};

/* pc_srtp_suite_info - the suite's parameters, or NULL for a value that is not a suite.
 * Static storage. Any thread. */
const struct pc_srtp_suite_info *pc_srtp_suite_info(enum pc_srtp_suite suite);

/* pc_srtp_suite_name - the suite's name, or "?" for a value that is not a suite. */
const char *pc_srtp_suite_name(enum pc_srtp_suite suite);

/*
 * pc_srtp_suite_parse - the suite called @name (@len bytes, not NUL-terminated; compared
 * without regard to case, as SDP's ABNF strings are). Writes *@out on success.
 * Returns 0, or -ENOTSUP for a name that is not one of the four suites above.
 */
int pc_srtp_suite_parse(const char *name, size_t len, enum pc_srtp_suite *out);

/* --- keys ------------------------------------------------------------------------------------ */

/* One direction's master key material for one suite, as an SDES key-params carries it. */
struct pc_srtp_key {
	enum pc_srtp_suite suite;
	uint8_t key[PC_SRTP_KEY_MAX];	/* the first key_len bytes are the master key */
	uint8_t salt[PC_SRTP_SALT_MAX]; /* the first salt_len bytes are the master salt */
	uint64_t lifetime;		/* packets this key may protect (RFC 4568 6.1);
					 * 0: not given, the suite's maximum */
	uint64_t mki;			/* the MKI value, with mki_len */
	uint32_t mki_len;		/* MKI bytes, 1..128; 0: no MKI. Sessions refuse an
					 * MKI (-ENOTSUP): one key per direction here */
};

/*
 * pc_srtp_inline_parse - decode one RFC 4568 key-params for @suite:
 *     "inline:" base64(key || salt) [ "|" lifetime ] [ "|" mki-value ":" mki-length ]
 * with lifetime = [ "2^" ] 1*DIGIT (RFC 4568 9.2). @s: @len bytes (borrowed; not
 * NUL-terminated; never read past @len). One key-params: the SDP layer splits an a=crypto
 * line's several key-params at ';' (RFC 4568 9.1) and each then needs an MKI.
 * Base64 is RFC 4648's alphabet; the final quantum may come with or without its '=' padding,
 * and its unused bits must be zero (one string per key).
 * Writes *@out only on success. @why (may be NULL): on failure, a one-line reason (static).
 * Returns 0, or
 *   -EBADMSG  syntax: no "inline:", a character outside base64, misplaced padding, an empty
 *             or non-numeric lifetime or MKI field, anything after the MKI
 *   -EINVAL   key || salt decodes to a length other than the suite's; @suite unknown
 *   -ERANGE   lifetime 0 or above the suite's maximum (2^48), or above 2^64; MKI length
 *             outside 1..128, or an MKI value that does not fit its length (or 64 bits)
 * Any thread; never allocates.
 */
int pc_srtp_inline_parse(const char *s, size_t len, enum pc_srtp_suite suite,
			 struct pc_srtp_key *out, const char **why);

/*
 * pc_srtp_inline_print - write @k as an RFC 4568 key-params ("inline:" base64, "|2^n" or
 * "|n" when a lifetime is set, "|mki:len" when an MKI is), NUL-terminated, into @buf of @size
 * bytes (borrowed). Returns the length written (without the NUL), -EINVAL for a key of no
 * suite, or -ENOSPC when @size is too small (PC_SRTP_INLINE_MAX always does).
 */
int pc_srtp_inline_print(const struct pc_srtp_key *k, char *buf, size_t size);

/*
 * pc_srtp_key_random - fill @k with a fresh random master key and salt for @suite (getrandom),
 * no lifetime, no MKI: what an SDES offer or answer sends. Returns 0, -EINVAL (no such suite),
 * or -errno from getrandom. Control thread.
 */
int pc_srtp_key_random(struct pc_srtp_key *k, enum pc_srtp_suite suite);

/* --- sessions -------------------------------------------------------------------------------- */

/* Also take SSRCs not listed: each new one makes libsrtp allocate a stream (see above). */
#define PC_SRTP_F_ANY_SSRC 0x1u
/* Outbound: allow an index sent already. Only for a retransmission of the very same payload:
 * anything else reuses the keystream. */
#define PC_SRTP_F_REPEAT_TX 0x2u

/* One direction of a session. */
struct pc_srtp_dir_conf {
	const struct pc_srtp_key *key; /* borrowed, copied; NULL: no such direction */
	const uint32_t *ssrcs;	       /* borrowed, copied: streams made at create (host order) */
	uint32_t n_ssrcs;	       /* 0..PC_SRTP_SSRC_MAX */
	uint32_t flags;		       /* PC_SRTP_F_* */
	uint32_t window;	       /* replay window in packets, 64..32767; 0: 128 */
};

struct pc_srtp_conf {
	struct pc_srtp_dir_conf out; /* protect */
	struct pc_srtp_dir_conf in;  /* unprotect */
};

/* Counters, each way added up over the session's life (re-keying keeps them). */
struct pc_srtp_stats {
	uint64_t protected;   /* SRTP and SRTCP packets protected */
	uint64_t unprotected; /* SRTP and SRTCP packets authenticated, decrypted, accepted */
	uint64_t auth_fail;   /* -EACCES */
	uint64_t replay_fail; /* -EALREADY, either way */
	uint64_t errors;      /* any other refusal, either way */
	uint64_t new_ssrc;    /* streams libsrtp allocated on the media thread (ANY_SSRC) */
};

struct pc_srtp;
struct pc_srtp_dir;

/*
 * pc_srtp_init - initialise libsrtp once per process (srtp_init under pthread_once: its
 * crypto kernel runs its ciphers' self-tests). Create calls it; call it early to learn of a
 * failure at start. Returns 0, or -EPROTO (every later call too). Any thread.
 */
int pc_srtp_init(void);

/*
 * pc_srtp_create - a session with the directions that @c gives keys for; writes *@out on
 * success. @c: borrowed (keys and SSRC lists copied). Returns 0, or -EINVAL (a key of no suite,
 * no direction at all, a direction with neither SSRCs nor PC_SRTP_F_ANY_SSRC, too many SSRCs,
 * unknown flags, a window outside 64..32767), -ENOTSUP (an MKI), -ENOMEM, -EPROTO (libsrtp).
 * Control thread. Allocates.
 */
int pc_srtp_create(struct pc_srtp **out, const struct pc_srtp_conf *c);

/* pc_srtp_destroy - free the session and its directions (key material is wiped by libsrtp).
 * NULL is ignored. Control thread, once the media thread has let go of it. */
void pc_srtp_destroy(struct pc_srtp *s);

/*
 * Re-keying one direction: the control thread makes the new direction with
 * pc_srtp_dir_create(), hands it to the media thread (a command), which swaps it in with
 * pc_srtp_dir_swap() and hands the old one back to be destroyed on the control thread.
 *
 * pc_srtp_dir_create - one direction, as in pc_srtp_create(); @c borrowed. Returns as
 * pc_srtp_create(); -EINVAL also when @c->key is NULL. Control thread. Allocates.
 */
int pc_srtp_dir_create(struct pc_srtp_dir **out, enum pc_srtp_way way,
		       const struct pc_srtp_dir_conf *c);

/* pc_srtp_dir_destroy - free a direction that no session holds. NULL is ignored. */
void pc_srtp_dir_destroy(struct pc_srtp_dir *d);

/*
 * pc_srtp_dir_swap - make @d (transferred on success) the session's direction of the way it was
 * made for, and hand the one it replaces to *@old (transferred to the caller, to destroy on the
 * control thread; NULL when there was none). Returns 0, or -EINVAL when @d is NULL.
 * Media thread; no allocation.
 */
int pc_srtp_dir_swap(struct pc_srtp *s, struct pc_srtp_dir *d, struct pc_srtp_dir **old);

/* pc_srtp_trailer_len - the bytes protect appends in direction @way, for RTP or RTCP:
 * tailroom the packet must have. 0 when the session has no such direction. Any thread that
 * may read the session (the owner, or before it is handed over). */
unsigned pc_srtp_trailer_len(const struct pc_srtp *s, enum pc_srtp_way way, bool rtcp);

/* pc_srtp_stats - a snapshot of the session's counters. Any thread. */
void pc_srtp_stats(const struct pc_srtp *s, struct pc_srtp_stats *st);

/* --- the media path: one packet, in place, on the owner thread -------------------------------- */

/*
 * For each: @s, the session (borrowed), used by its owner thread only; @pkt (borrowed) stays
 * the caller's whatever the result, and on an error is to be dropped: a failed unprotect may
 * have changed its bytes (AES-GCM decrypts in place before the tag is checked), a failed
 * protect leaves it as it was (tailroom, header checks) or unspecified (libsrtp refused).
 * Never allocates, but as said at the top (a new SSRC with PC_SRTP_F_ANY_SSRC; the backend).
 */

/*
 * pc_srtp_protect - RTP in @pkt (borrowed; the caller's, not shared) becomes SRTP with the
 * outbound key: payload encrypted in place, the tag appended into the tailroom (checked first).
 * Returns 0 or a negative errno from the list above.
 */
int pc_srtp_protect(struct pc_srtp *s, struct pc_pkt *pkt);

/* pc_srtp_unprotect - SRTP in @pkt becomes RTP with the inbound key (tag checked, payload
 * decrypted, replay window updated after authentication, tag trimmed). Returns as above. */
int pc_srtp_unprotect(struct pc_srtp *s, struct pc_pkt *pkt);

/* pc_srtp_protect_rtcp - an RTCP compound becomes SRTCP: encrypted after the first 8 bytes, the
 * E bit and 31-bit SRTCP index appended, then the tag (RFC 3711 3.4, RFC 7714 9). */
int pc_srtp_protect_rtcp(struct pc_srtp *s, struct pc_pkt *pkt);

/* pc_srtp_unprotect_rtcp - SRTCP becomes RTCP: checked, decrypted, index and tag trimmed. */
int pc_srtp_unprotect_rtcp(struct pc_srtp *s, struct pc_pkt *pkt);

/*
 * pc_srtp_reprotect - move @pkt from one leg's protection to another's in the same buffer:
 * unprotect with @in's inbound key (skipped when @in is NULL: the packet is plain RTP/RTCP),
 * then protect with @out's outbound key (skipped when @out is NULL: it leaves plain). @rtcp:
 * SRTCP/RTCP rather than SRTP/RTP. The tailroom the second step needs is checked before the
 * first, so a packet that could not leave is not taken into @in's replay window (-ENOSPC,
 * counted on @out). Any header rewriting (SSRC, sequence number) must happen between two
 * separate calls, pc_srtp_unprotect() then pc_srtp_protect(): this one rewrites nothing.
 * Returns 0 or a negative errno from the list above (counted on the session that refused).
 */
int pc_srtp_reprotect(struct pc_srtp *in, struct pc_srtp *out, struct pc_pkt *pkt, bool rtcp);

#ifdef __cplusplus
}
#endif

#endif /* PC_SRTP_H */
