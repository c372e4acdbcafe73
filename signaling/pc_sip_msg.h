/* SPDX-License-Identifier: MIT */
/*
 * pc_sip_msg.h - SIP message parser (RFC 3261 section 7), first slice: parses one datagram in
 * place into a bounded view of slices into the caller's buffer. No allocation, no copy, and no
 * read past the length given (the buffer is never NUL-terminated).
 *
 * What it checks:
 *   - the start line: a request line "METHOD SP Request-URI SP SIP/2.0" (method a token, URI
 *     free of whitespace with a scheme "alpha *(alnum / + / - / .) :", for sip/sips a host that
 *     is a name, an IPv4 address or a bracketed IPv6 reference with an optional port; version
 *     "SIP/2.0" case-insensitively) or a status line "SIP/2.0 SP 3DIGIT SP reason" (code
 *     100-699, reason any octets up to the CRLF, possibly empty, UTF-8 not validated);
 *   - header lines ending in CRLF, with folding (RFC 3261 7.3.1: CRLF followed by SP or HTAB
 *     continues the value), names tokens matched case-insensitively, compact forms mapped;
 *   - Call-ID, CSeq, From and To: exactly one each; Via: at least one; Max-Forwards and
 *     Content-Length: at most one;
 *   - CSeq: 1*DIGIT up to 2^31-1, LWS, a method token equal to the request's method;
 *   - Max-Forwards: 1*DIGIT, 0-255; Content-Length: 1*DIGIT;
 *   - Via: no empty via-parm between commas and no empty parameter between semicolons;
 *   - From/To: a quoted display name is terminated; an unquoted one is tokens and LWS only;
 *   - the body: framed by Content-Length (more than what follows the headers is an error;
 *     octets after it are ignored: they are not part of this message); without Content-Length
 *     the body is the rest of the datagram.
 * Not yet checked (later slices of the parser): the URI's user, parameters and headers;
 * name-addr/addr-spec beyond the display name; Via sent-protocol and parameters; Contact,
 * Route, Record-Route, Authorization, Refer-To; multiple values in other headers; quoted
 * strings and escapes outside From/To; Content-Type or the body itself.
 *
 * On a failed parse the view is partial, but two fields are reliable (pc_sip_uas_verdict() uses
 * them): is_request, method and version are set once the request line's method, Request-URI and
 * version were found (even if the version is not SIP/2.0); a start line that begins with "SIP/"
 * sets version before the status code is read; cseq_method is set when the CSeq number and method
 * were read, before the comparison with the request method.
 *
 * pc_sip_uas_verdict() (below) decides what a UAS does with a datagram from the parsed view:
 * answer with a status code, process it, drop it, or nothing (a response).
 *
 * Thread context: any; the functions keep no state. None allocates.
 */
#ifndef PC_SIP_MSG_H
#define PC_SIP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Limits: a larger datagram, more headers, or a longer header line (name, value and folding
 * included) is rejected with -E2BIG. */
#define PC_SIP_MAX_MSG 65535
#define PC_SIP_MAX_HEADERS 96
#define PC_SIP_MAX_HEADER_LEN 4096
/* Room for the one-line reason of a rejection, NUL included (longer ones are cut). */
#define PC_SIP_ERR_MAX 160

/* A run of octets inside the parsed buffer; not NUL-terminated, may contain NUL. */
struct pc_sip_slice {
	const char *p;
	size_t len;
};

/* Headers the parser knows by name (and compact form). Anything else is PC_SIP_HDR_OTHER. */
enum pc_sip_hdr_id {
	PC_SIP_HDR_OTHER = 0,
	PC_SIP_HDR_ACCEPT_CONTACT,	/* a */
	PC_SIP_HDR_REFERRED_BY,		/* b */
	PC_SIP_HDR_CONTENT_TYPE,	/* c */
	PC_SIP_HDR_REQUEST_DISPOSITION, /* d */
	PC_SIP_HDR_CONTENT_ENCODING,	/* e */
	PC_SIP_HDR_FROM,		/* f */
	PC_SIP_HDR_CALL_ID,		/* i */
	PC_SIP_HDR_REJECT_CONTACT,	/* j */
	PC_SIP_HDR_SUPPORTED,		/* k */
	PC_SIP_HDR_CONTENT_LENGTH,	/* l */
	PC_SIP_HDR_CONTACT,		/* m */
	PC_SIP_HDR_EVENT,		/* o */
	PC_SIP_HDR_REFER_TO,		/* r */
	PC_SIP_HDR_SUBJECT,		/* s */
	PC_SIP_HDR_TO,			/* t */
	PC_SIP_HDR_ALLOW_EVENTS,	/* u */
	PC_SIP_HDR_VIA,			/* v */
	PC_SIP_HDR_SESSION_EXPIRES,	/* x */
	PC_SIP_HDR_CSEQ,
	PC_SIP_HDR_MAX_FORWARDS,
	PC_SIP_HDR_ROUTE,
	PC_SIP_HDR_RECORD_ROUTE,
	PC_SIP_HDR_REQUIRE,
	PC_SIP_HDR_PROXY_REQUIRE,
	PC_SIP_HDR_AUTHORIZATION,
	PC_SIP_HDR_WWW_AUTHENTICATE,
	PC_SIP_HDR_EXPIRES,
	PC_SIP_HDR_ACCEPT,
	PC_SIP_HDR__COUNT
};

struct pc_sip_header {
	enum pc_sip_hdr_id id;
	struct pc_sip_slice name;  /* as written (compact or long, any case) */
	struct pc_sip_slice value; /* LWS trimmed at both ends; folds inside are kept as is */
};

struct pc_sip_msg {
	bool is_request;
	/* Request line (is_request): method token and Request-URI. */
	struct pc_sip_slice method;
	struct pc_sip_slice uri;
	struct pc_sip_slice uri_scheme; /* without the ':' */
	/* Status line (!is_request): code 100-699 and reason phrase (may be empty). */
	unsigned status;
	struct pc_sip_slice reason;
	struct pc_sip_slice version; /* "SIP/2.0" in any case */

	/* The well-known single-value headers, decoded. */
	uint32_t cseq; /* 0 .. 2^31-1 */
	struct pc_sip_slice cseq_method;
	int max_forwards; /* 0-255, or -1 when absent */
	bool has_content_length;
	size_t content_length;
	struct pc_sip_slice call_id, from, to; /* the header values */

	unsigned nheaders;
	struct pc_sip_header headers[PC_SIP_MAX_HEADERS]; /* in message order */

	struct pc_sip_slice body;
	/* Octets of the datagram this message covers (start line to the end of the body); the
	 * rest, if any, was ignored. */
	size_t msg_len;
};

/*
 * pc_sip_msg_parse() - parse one datagram as one SIP message.
 * @msg: out, the view (borrowed; written whether or not the parse succeeds, meaningful only on
 *       success). Its slices point into @buf, which must outlive it.
 * @buf: the datagram (borrowed, read only), @len octets, no terminator needed.
 * @err: out, optional (NULL): on failure a one-line reason, NUL-terminated, cut to @errlen;
 *       "" on success.
 * Return: 0; -EBADMSG bad syntax; -EPROTO a header missing, repeated or inconsistent (CSeq
 * method vs request method); -ERANGE a number out of range (CSeq, Max-Forwards, status code,
 * Content-Length larger than the body); -E2BIG a limit above exceeded.
 */
int pc_sip_msg_parse(struct pc_sip_msg *msg, const void *buf, size_t len, char *err, size_t errlen);

/*
 * pc_sip_msg_find() - the next header with @id after @prev (NULL: the first), or NULL.
 * @msg and @prev borrowed.
 */
const struct pc_sip_header *pc_sip_msg_find(const struct pc_sip_msg *msg, enum pc_sip_hdr_id id,
					    const struct pc_sip_header *prev);

/* pc_sip_hdr_name() - the long name of a known header ("Call-ID"), "" for OTHER. */
const char *pc_sip_hdr_name(enum pc_sip_hdr_id id);

/*
 * UAS verdict: what a user agent acting as UAS (RFC 3261 8.2) does with a received datagram,
 * decided from the parsed view alone (no dialog or transaction state: merged requests 8.2.2.2,
 * the registrar's ordinary challenge and everything after 8.2.4 belong to later slices).
 *
 * Supported methods (else 501): INVITE ACK BYE CANCEL OPTIONS REGISTER REFER NOTIFY SUBSCRIBE
 * INFO UPDATE PRACK MESSAGE. Request-URI schemes (else 416): sip, sips, tel. Option tags in
 * Require (else 420 listing them in Unsupported): replaces (RFC 3891), timer (RFC 4028).
 * Proxy-Require is a proxy's business (RFC 3261 20.29) and is not checked by a UAS. Body types
 * (else 415 with Accept: PC_SIP_UAS_ACCEPT): application/sdp; multipart/mixed and
 * multipart/alternative (RFC 5621, the parts are looked at later); message/sipfrag (NOTIFY of
 * a REFER, RFC 3515); text/plain (MESSAGE, RFC 3428); application/dtmf-relay (INFO).
 * Body encodings (Content-Encoding; else 415 with Accept-Encoding: PC_SIP_UAS_ACCEPT_ENCODING,
 * RFC 3261 8.2.3): identity only.
 */
#define PC_SIP_UAS_ACCEPT                                                                        \
	"application/sdp, multipart/mixed, multipart/alternative, message/sipfrag, text/plain, " \
	"application/dtmf-relay"
#define PC_SIP_UAS_ACCEPT_ENCODING "identity"
/* Room for the unsupported option tags reported with a 420 (more are counted, not kept). */
#define PC_SIP_UAS_MAX_UNSUPPORTED 8

enum pc_sip_uas_action {
	PC_SIP_UAS_PROCESS = 0, /* a request that passed every check: handle it normally */
	PC_SIP_UAS_RESPOND,	/* answer with status (and the extra headers below) */
	PC_SIP_UAS_DROP,	/* send nothing: not a request, or an ACK (never answered) */
	PC_SIP_UAS_NOT_REQUEST, /* a response, parsed or not: no answer ("-") */
};

struct pc_sip_uas_verdict {
	enum pc_sip_uas_action action;
	unsigned status;    /* PC_SIP_UAS_RESPOND: 400-505; else 0 */
	const char *why;    /* static one-line reason (never NULL) */
	const char *accept; /* 406 and 415 for a type: the value of the Accept header to send;
			     * else NULL */
	/* 420: the option tags of Require we do not support (slices into the message; the
	 * first PC_SIP_UAS_MAX_UNSUPPORTED are kept, nunsupported counts all). */
	unsigned nunsupported;
	struct pc_sip_slice unsupported[PC_SIP_UAS_MAX_UNSUPPORTED];
	/* 415 for a body encoding: the value of the Accept-Encoding header to send
	 * (PC_SIP_UAS_ACCEPT_ENCODING); else NULL */
	const char *accept_encoding;
};

/*
 * pc_sip_uas_verdict() - what a UAS does with a datagram that pc_sip_msg_parse() returned
 * @parse_rc for.
 * @msg: the view pc_sip_msg_parse() filled (borrowed; on failure only the fields listed at the
 *       top are read). Its buffer must still be there: @out's slices point into it.
 * @parse_rc: what pc_sip_msg_parse() returned.
 * @out: out (borrowed), always written on success.
 * For a request the parser rejected: 505 if the version is SIP/x.y but not 2.0; 501 if the
 * only fault is a CSeq method that differs from an unsupported request method; else 400; an ACK
 * is dropped (RFC 3261 17.2.1: ACK is never answered); a response is NOT_REQUEST; anything
 * whose start line was not recognised is dropped. For a parsed request, in the order of RFC
 * 3261 8.2: 501, 416, 420, 401 (REGISTER with an Authorization scheme other than Digest), 415
 * (body type, then body encoding), 406 (INVITE or OPTIONS whose Accept excludes
 * application/sdp); else PROCESS.
 * Header values are read only as far as needed, bounded by their slices.
 * Return: 0, or -EINVAL when @msg or @out is NULL. Pure: no state, no allocation.
 */
int pc_sip_uas_verdict(const struct pc_sip_msg *msg, int parse_rc, struct pc_sip_uas_verdict *out);

#ifdef __cplusplus
}
#endif

#endif /* PC_SIP_MSG_H */
