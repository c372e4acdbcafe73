/* SPDX-License-Identifier: MIT */
/*
 * pc_sip_hdr.h - SIP header value grammar (RFC 3261 section 25 and the extensions a phone uses):
 * URIs (sip, sips, tel, others kept opaque), name-addr / addr-spec with header parameters, a
 * comma-list iterator for multi-valued headers, Via, CSeq, Refer-To with an embedded Replaces
 * (RFC 3891), Event and Subscription-State (RFC 6665), Session-Expires and Min-SE (RFC 4028),
 * Expires, RSeq and RAck (RFC 3262), and URI comparison (RFC 3261 19.1.4).
 *
 * Every parser works in place: it takes a pointer and a length, never reads past the length
 * (nothing needs a NUL), and fills a view of slices into that text. The views are borrowed: the
 * text must outlive them. Nothing is unescaped in place; pc_sip_unescape() and
 * pc_sip_quoted_unescape() decode into a buffer the caller gives. Counts are bounded (the
 * PC_SIP_MAX_* below): more is rejected with -E2BIG, never truncated silently.
 *
 * Errors: 0 on success; -EBADMSG bad syntax; -ERANGE a number out of range (a port above 65535,
 * a ttl above 255, a CSeq above 2^31-1); -E2BIG a count limit exceeded; -ENOSPC an output
 * buffer too small. Each parser has an optional @err/@errlen (NULL/0 allowed): on failure a
 * one-line reason, NUL-terminated, cut to @errlen; "" on success.
 *
 * Thread context: any; no state is kept. Nothing allocates. Digest credentials and challenges
 * (Authorization, WWW-Authenticate) are parsed in pc_sip_auth.h, not here.
 */
#ifndef PC_SIP_HDR_H
#define PC_SIP_HDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pc_sip_msg.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Limits: parameters of one URI or one header value, headers of one URI, elements of one
 * comma list (counted across the header lines of a pc_sip_hdr_iter). */
#define PC_SIP_MAX_PARAMS 24
#define PC_SIP_MAX_URI_HEADERS 8
#define PC_SIP_MAX_LIST 64

/* A parameter ";name=value" or ";name" (has_value false, value empty), or a URI header
 * "name=value". Both slices as written: escapes and quotes are not removed. */
struct pc_sip_param {
	struct pc_sip_slice name;
	struct pc_sip_slice value;
	bool has_value;
};

enum pc_sip_uri_scheme {
	PC_SIP_SCHEME_OTHER = 0, /* absoluteURI of another scheme: only scheme and opaque set */
	PC_SIP_SCHEME_SIP,
	PC_SIP_SCHEME_SIPS,
	PC_SIP_SCHEME_TEL,
};

enum pc_sip_host_type {
	PC_SIP_HOST_NONE = 0, /* tel: and other schemes */
	PC_SIP_HOST_NAME,     /* hostname, checked as labels of alphanum and '-' */
	PC_SIP_HOST_IPV4,     /* dotted quad, each 0-255 */
	PC_SIP_HOST_IPV6,     /* an IPv6 reference: host holds the address WITHOUT its brackets */
};

enum pc_sip_uri_transport {
	PC_SIP_TRANSPORT_NONE = 0, /* not given (URI without transport=) */
	PC_SIP_TRANSPORT_UDP,
	PC_SIP_TRANSPORT_TCP,
	PC_SIP_TRANSPORT_TLS,
	PC_SIP_TRANSPORT_SCTP,
	PC_SIP_TRANSPORT_WS,
	PC_SIP_TRANSPORT_WSS,
	PC_SIP_TRANSPORT_OTHER, /* another token: see the slice next to it */
};

/* The canonical upper-case name of a transport ("UDP"), "" for NONE and OTHER. */
const char *pc_sip_uri_transport_name(enum pc_sip_uri_transport t);

struct pc_sip_uri {
	enum pc_sip_uri_scheme scheme;
	struct pc_sip_slice scheme_s; /* as written, without ':' */
	struct pc_sip_slice opaque;   /* everything after "scheme:" */
	/* sip/sips: userinfo (escaped as written; user may be empty with has_user false).
	 * tel: user holds the telephone-subscriber number ("+1-201-555-0123"). */
	bool has_user;
	struct pc_sip_slice user;
	bool has_password;
	struct pc_sip_slice password;
	/* sip/sips hostport */
	enum pc_sip_host_type host_type;
	struct pc_sip_slice host; /* IPv6 without brackets */
	int port;		  /* 0-65535, or -1 when absent */
	/* uri-parameters (tel: its parameters too), every one in order in params[]; the
	 * well-known ones also decoded here: */
	enum pc_sip_uri_transport transport;
	struct pc_sip_slice transport_s; /* transport= value as written (empty when absent) */
	struct pc_sip_slice user_param;	 /* user= (phone, ip, ...) */
	struct pc_sip_slice method;	 /* method= */
	struct pc_sip_slice maddr;	 /* maddr= (IPv6 with its brackets, as written) */
	int ttl;			 /* ttl= 0-255, or -1 */
	bool lr;			 /* ;lr present (loose routing, RFC 3261 16.12) */
	unsigned nparams;
	struct pc_sip_param params[PC_SIP_MAX_PARAMS];
	/* headers "?a=b&c=d" (values still escaped) */
	unsigned nheaders;
	struct pc_sip_param headers[PC_SIP_MAX_URI_HEADERS];
};

/*
 * pc_sip_uri_parse() - parse a URI (RFC 3261 19.1 / 25.1 SIP-URI and SIPS-URI, RFC 3966 tel,
 * else absoluteURI with the scheme kept and the rest opaque).
 * @uri: out (borrowed), slices into @p. Meaningful only on success.
 * @p, @len: the URI text (borrowed), without <> and without surrounding whitespace.
 * Return: 0, -EBADMSG (bad character, bad escape, empty host, IPv6 without brackets, an empty
 * parameter name, ...), -ERANGE (port > 65535, ttl > 255), -E2BIG (too many params/headers).
 */
int pc_sip_uri_parse(struct pc_sip_uri *uri, const char *p, size_t len, char *err, size_t errlen);

/*
 * pc_sip_uri_equal() - RFC 3261 19.1.4 comparison of two parsed URIs: sip and sips never equal;
 * userinfo compared case-sensitively and host case-insensitively, both after unescaping; the
 * port must be absent in both or equal (an explicit 5060 differs from none); a transport, ttl,
 * user, method or maddr parameter present in one must be in the other; any parameter present in
 * both must have the same value (unescaped, case-insensitive; a name repeated in one URI is
 * matched in order); URI headers: each must be present in both with equal unescaped values.
 * tel URIs: number (visual separators "-.()" ignored) and the same parameters; other schemes:
 * scheme case-insensitive, the rest byte for byte.
 * Simplifications: IPv6 hosts are compared as text (2001:db8::1 and 2001:db8:0::1 differ); an
 * escaped reserved character equals its literal form.
 * @a, @b borrowed. Returns false as well when something cannot be decoded (a bad escape).
 */
bool pc_sip_uri_equal(const struct pc_sip_uri *a, const struct pc_sip_uri *b);

/*
 * pc_sip_unescape() - decode %HH escapes of @p/@len into @out (borrowed, @outsize bytes, NOT
 * NUL-terminated; may hold NUL octets: RFC 4475 escnull). *@outlen (out) is the length.
 * Return: 0, -EBADMSG a '%' not followed by two hex digits, -ENOSPC @out too small.
 */
int pc_sip_unescape(const char *p, size_t len, char *out, size_t outsize, size_t *outlen);

/*
 * pc_sip_quoted_unescape() - the content of a quoted-string (RFC 3261 25.1): @p/@len either with
 * its quotes ("...") or already without them; quoted-pairs (\" \\ \x) are resolved into @out
 * (@outsize bytes, not NUL-terminated), *@outlen its length. A fold inside (CR LF and the
 * whitespace after it) becomes one SP.
 * Return: 0, -EBADMSG (unterminated, a '"' inside, a lone trailing backslash), -ENOSPC.
 */
int pc_sip_quoted_unescape(const char *p, size_t len, char *out, size_t outsize, size_t *outlen);

/*
 * Generic parameters: pc_sip_params_parse() reads *( SEMI generic-param ) from @p/@len (the text
 * starts with ';' or is empty), gen-value a token, a host (IPv6 reference) or a quoted-string.
 * @params: out (borrowed), room for @max; *@n the count. Return 0, -EBADMSG, -E2BIG.
 */
int pc_sip_params_parse(const char *p, size_t len, struct pc_sip_param *params, unsigned max,
			unsigned *n, char *err, size_t errlen);

/* pc_sip_param_find() - the first parameter named @name (case-insensitive) or NULL. */
const struct pc_sip_param *pc_sip_param_find(const struct pc_sip_param *params, unsigned n,
					     const char *name);

/* ---- name-addr / addr-spec (From, To, Contact, Route, Record-Route, Refer-To, ...) ---- */

struct pc_sip_name_addr {
	bool star;   /* Contact: "*" (nothing else is set) */
	bool angle;  /* name-addr (URI inside <>) rather than a bare addr-spec */
	bool quoted; /* the display name was a quoted-string */
	/* Display name: a quoted one without its quotes but with its escapes still in
	 * (pc_sip_quoted_unescape() decodes it); an unquoted one trimmed. Empty when absent. */
	struct pc_sip_slice display;
	struct pc_sip_slice uri_s; /* the URI text (inside <> for a name-addr) */
	struct pc_sip_uri uri;
	/* Header parameters after the URI (for an addr-spec, RFC 3261 20.10: every ';' after
	 * the URI belongs to the header, not to the URI). Decoded well-known ones: */
	struct pc_sip_slice tag; /* tag= (From/To), empty when absent */
	bool has_tag;
	int64_t expires; /* expires= (Contact) in seconds, saturated at 2^32-1; -1 absent */
	int q;		 /* q= in thousandths, 0-1000; -1 absent */
	unsigned nparams;
	struct pc_sip_param params[PC_SIP_MAX_PARAMS];
};

/*
 * pc_sip_name_addr_parse() - parse one element: ( name-addr / addr-spec ) *( SEMI param ), or
 * "*" for a Contact (star set). One element only: split lists with pc_sip_list_next() first.
 * @na: out (borrowed), slices into @p. @p, @len: the element (borrowed), LWS allowed around.
 * Return: 0, -EBADMSG (unterminated quote or <, bad display name, bad URI, bad params, an
 * addr-spec with '?' or ',' outside <>), -ERANGE (q above 1, a bad port), -E2BIG.
 */
int pc_sip_name_addr_parse(struct pc_sip_name_addr *na, const char *p, size_t len, char *err,
			   size_t errlen);

/* ---- comma lists ---- */

/* Iterates the elements of one header value split at commas that are outside quoted strings
 * and outside <...>. Init with pc_sip_list_init(). */
struct pc_sip_list_iter {
	const char *p;
	size_t len;
	size_t pos;
	unsigned count;
	bool done;
};

void pc_sip_list_init(struct pc_sip_list_iter *it, const char *p, size_t len);

/*
 * pc_sip_list_next() - the next element, LWS trimmed, into *@elem (a slice of the value).
 * Return: 1 an element, 0 the end (an empty value has no element), -EBADMSG an empty element
 * (",," or a leading/trailing comma), an unterminated quoted string or '<'; -E2BIG more than
 * PC_SIP_MAX_LIST elements. After an error the iterator stays at its end.
 */
int pc_sip_list_next(struct pc_sip_list_iter *it, struct pc_sip_slice *elem, char *err,
		     size_t errlen);

/* The elements of every header line with a given id of a message, in order (Via, Route,
 * Record-Route, Contact, Allow, Supported, Require, ...). Init with pc_sip_hdr_iter_init(). */
struct pc_sip_hdr_iter {
	const struct pc_sip_msg *msg;
	enum pc_sip_hdr_id id;
	const struct pc_sip_header *hdr; /* the header line of the last element, NULL first */
	struct pc_sip_list_iter list;
	unsigned count;
};

void pc_sip_hdr_iter_init(struct pc_sip_hdr_iter *it, const struct pc_sip_msg *msg,
			  enum pc_sip_hdr_id id);

/* pc_sip_hdr_iter_next() - as pc_sip_list_next(), across header lines; an empty header line
 * contributes nothing. -E2BIG beyond PC_SIP_MAX_LIST elements in total. */
int pc_sip_hdr_iter_next(struct pc_sip_hdr_iter *it, struct pc_sip_slice *elem, char *err,
			 size_t errlen);

/* pc_sip_list_has_token() - whether the token list @p/@len (Allow, Supported, Require,
 * Accept-Encoding...) holds @token, compared case-insensitively. A malformed list is searched as
 * far as it parses. */
bool pc_sip_list_has_token(const char *p, size_t len, const char *token);

/* ---- Via ---- */

/* RFC 3261 8.1.1.7: the branch of an RFC 3261 client starts with this. */
#define PC_SIP_BRANCH_COOKIE "z9hG4bK"

struct pc_sip_via {
	struct pc_sip_slice protocol;	     /* "SIP" (any case) */
	struct pc_sip_slice version;	     /* "2.0" */
	struct pc_sip_slice transport_s;     /* as written */
	enum pc_sip_uri_transport transport; /* never NONE; OTHER for an unknown token */
	enum pc_sip_host_type host_type;     /* NAME, IPV4 or IPV6 */
	struct pc_sip_slice host;	     /* sent-by host, IPv6 without brackets */
	int port;			     /* sent-by port or -1 */
	bool has_branch;
	struct pc_sip_slice branch;
	bool has_received;
	struct pc_sip_slice received; /* as written (an IPv6 may or may not have brackets) */
	bool has_rport;		      /* ;rport present (RFC 3581) */
	int rport;		      /* its value 0-65535, or -1 when given without one */
	struct pc_sip_slice maddr;
	int ttl; /* 0-255 or -1 */
	unsigned nparams;
	struct pc_sip_param params[PC_SIP_MAX_PARAMS];
};

/*
 * pc_sip_via_parse() - one via-parm: sent-protocol LWS sent-by *( SEMI via-params ).
 * @via: out (borrowed), slices into @p. @p, @len: one element of a Via list (borrowed).
 * Return: 0, -EBADMSG, -ERANGE (port, rport, ttl), -E2BIG.
 */
int pc_sip_via_parse(struct pc_sip_via *via, const char *p, size_t len, char *err, size_t errlen);

/* pc_sip_via_is_rfc3261() - the branch starts with the magic cookie z9hG4bK (RFC 3261 17.2.3) */
bool pc_sip_via_is_rfc3261(const struct pc_sip_via *via);

/*
 * pc_sip_msg_top_via() - the first element of the first Via header of @msg (borrowed, parsed
 * by pc_sip_msg_parse()), parsed into @via (out, borrowed, slices into the message buffer).
 * Return: 0, -ENOENT no Via, or what pc_sip_via_parse() / the list iterator return.
 */
int pc_sip_msg_top_via(const struct pc_sip_msg *msg, struct pc_sip_via *via, char *err,
		       size_t errlen);

/*
 * pc_sip_msg_name_addr() - the first element of the first header @id of @msg (From, To,
 * Contact, Refer-To, Referred-By, ...) parsed with pc_sip_name_addr_parse() into @na (out).
 * Route and Record-Route sets: iterate with pc_sip_hdr_iter and parse each element.
 * Return: 0, -ENOENT no such header (or an empty one), or the parser's error.
 */
int pc_sip_msg_name_addr(const struct pc_sip_msg *msg, enum pc_sip_hdr_id id,
			 struct pc_sip_name_addr *na, char *err, size_t errlen);

/* ---- CSeq, RAck, delta-seconds ---- */

/* pc_sip_cseq_parse() - "1*DIGIT LWS Method": *@num 0..2^31-1, *@method a slice of @p. */
int pc_sip_cseq_parse(const char *p, size_t len, uint32_t *num, struct pc_sip_slice *method,
		      char *err, size_t errlen);

/* pc_sip_rack_parse() - RFC 3262 7.2: "response-num LWS CSeq-num LWS Method". */
int pc_sip_rack_parse(const char *p, size_t len, uint32_t *rseq, uint32_t *cseq,
		      struct pc_sip_slice *method, char *err, size_t errlen);

/*
 * pc_sip_delta_parse() - delta-seconds (Expires, Min-Expires, RSeq, Retry-After's number): 1*DIGIT
 * with LWS around; a value above 2^32-1 is taken as 2^32-1 (RFC 3261 20.19 / 25.1) except for
 * RSeq, which RFC 3262 7.1 bounds to 1..2^31-1: pass @max (UINT32_MAX or 0x7fffffff); above
 * @max is -ERANGE when @max < UINT32_MAX.
 */
int pc_sip_delta_parse(const char *p, size_t len, uint32_t max, uint32_t *out, char *err,
		       size_t errlen);

/* ---- Session timers (RFC 4028) ---- */

enum pc_sip_refresher {
	PC_SIP_REFRESHER_NONE = 0,
	PC_SIP_REFRESHER_UAC,
	PC_SIP_REFRESHER_UAS,
};

struct pc_sip_session_expires {
	uint32_t delta; /* seconds */
	enum pc_sip_refresher refresher;
	unsigned nparams;
	struct pc_sip_param params[PC_SIP_MAX_PARAMS];
};

/* pc_sip_session_expires_parse() - Session-Expires (and Min-SE: refresher stays NONE):
 * delta-seconds *( SEMI se-params ); a refresher other than uac/uas is -EBADMSG. */
int pc_sip_session_expires_parse(struct pc_sip_session_expires *se, const char *p, size_t len,
				 char *err, size_t errlen);

/* ---- Events (RFC 6665) ---- */

struct pc_sip_event {
	struct pc_sip_slice package; /* event-type: "refer", "dialog", "presence.winfo" */
	struct pc_sip_slice id;	     /* ;id= (empty when absent) */
	bool has_id;
	unsigned nparams;
	struct pc_sip_param params[PC_SIP_MAX_PARAMS];
};

int pc_sip_event_parse(struct pc_sip_event *ev, const char *p, size_t len, char *err,
		       size_t errlen);

enum pc_sip_substate {
	PC_SIP_SUBSTATE_OTHER = 0, /* an extension token */
	PC_SIP_SUBSTATE_ACTIVE,
	PC_SIP_SUBSTATE_PENDING,
	PC_SIP_SUBSTATE_TERMINATED,
};

struct pc_sip_substate_hdr {
	enum pc_sip_substate state;
	struct pc_sip_slice state_s;
	struct pc_sip_slice reason; /* ;reason= (empty when absent) */
	int64_t expires;	    /* ;expires= or -1 */
	int64_t retry_after;	    /* ;retry-after= or -1 */
	unsigned nparams;
	struct pc_sip_param params[PC_SIP_MAX_PARAMS];
};

int pc_sip_substate_parse(struct pc_sip_substate_hdr *ss, const char *p, size_t len, char *err,
			  size_t errlen);

/* ---- Replaces (RFC 3891) and Refer-To (RFC 3515) ---- */

struct pc_sip_replaces {
	struct pc_sip_slice call_id;
	struct pc_sip_slice to_tag;   /* required */
	struct pc_sip_slice from_tag; /* required */
	bool early_only;
	unsigned nparams;
	struct pc_sip_param params[PC_SIP_MAX_PARAMS];
};

/*
 * pc_sip_replaces_parse() - the Replaces header value (unescaped text):
 * callid *( SEMI ( to-tag / from-tag / early-flag / generic-param ) ), to-tag and from-tag each
 * exactly once. Return: 0, -EBADMSG (a tag missing or repeated, bad syntax), -E2BIG.
 */
int pc_sip_replaces_parse(struct pc_sip_replaces *rp, const char *p, size_t len, char *err,
			  size_t errlen);

struct pc_sip_refer_to {
	struct pc_sip_name_addr target; /* slices into the header value */
	bool has_replaces;
	/* The Replaces URI header, unescaped into the caller's scratch buffer: slices into it. */
	struct pc_sip_replaces replaces;
};

/*
 * pc_sip_refer_to_parse() - Refer-To value: a name-addr or addr-spec (RFC 3515 2.1) whose URI
 * may carry ?Replaces=<escaped Replaces value> (RFC 3891 6.1), which is unescaped into @scratch
 * (borrowed, @scratchlen bytes) and parsed with pc_sip_replaces_parse().
 * Return: 0, the parsers' errors, -ENOSPC @scratch too small.
 */
int pc_sip_refer_to_parse(struct pc_sip_refer_to *rt, const char *p, size_t len, char *scratch,
			  size_t scratchlen, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* PC_SIP_HDR_H */
