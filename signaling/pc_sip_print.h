/* SPDX-License-Identifier: MIT */
/*
 * pc_sip_print.h - SIP message printer: a bounded builder that writes a message into a buffer
 * the caller gives (start line, headers, then the body with its Content-Length computed), helpers
 * for the structured values of pc_sip_hdr.h (URI, name-addr, Via), and pc_sip_msg_print() which
 * writes a parsed message in canonical form.
 *
 * The builder never writes past the size it was given. Every append is all or nothing: one that
 * does not fit writes nothing and makes the builder fail with -ENOSPC from then on (sticky, so a
 * sequence of appends needs one check, at pc_sip_pb_finish()). Nothing allocates; thread context:
 * any (a builder belongs to its caller).
 *
 * Typical use:
 *	struct pc_sip_pb pb;
 *	pc_sip_pb_init(&pb, buf, sizeof(buf));
 *	pc_sip_pb_request_line(&pb, pc_sip_cstr("INVITE"), pc_sip_cstr("sip:bob@example.com"));
 *	pc_sip_pb_header_begin(&pb, PC_SIP_HDR_VIA, pc_sip_cstr(""));
 *	pc_sip_pb_via_fields(&pb, PC_SIP_TRANSPORT_UDP, pc_sip_cstr("192.0.2.1"), 5060,
 *			     pc_sip_cstr("z9hG4bK776asdhds"), true);
 *	pc_sip_pb_header_end(&pb);
 *	pc_sip_pb_header(&pb, PC_SIP_HDR_CALL_ID, pc_sip_cstr(""), pc_sip_cstr("a84b4c76e66710"));
 *	...
 *	rc = pc_sip_pb_finish(&pb, body, &len);	// Content-Length, empty line, body
 */
#ifndef PC_SIP_PRINT_H
#define PC_SIP_PRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "pc_sip_hdr.h"
#include "pc_sip_msg.h"

#ifdef __cplusplus
extern "C" {
#endif

struct pc_sip_pb {
	char *buf;   /* borrowed: the caller's buffer */
	size_t size; /* its size */
	size_t len;  /* octets written so far */
	int err;     /* 0, or the first failure (-ENOSPC, -EINVAL): sticky */
};

/* A slice over a NUL-terminated string (borrowed); NULL gives an empty slice. */
static inline struct pc_sip_slice pc_sip_cstr(const char *s)
{
	struct pc_sip_slice r = { s, s ? strlen(s) : 0 };
	return r;
}

/* pc_sip_pb_init() - start a builder over @buf (borrowed, retained by @pb) of @size octets. */
void pc_sip_pb_init(struct pc_sip_pb *pb, char *buf, size_t size);

/* Every pc_sip_pb_* below returns pb->err after the call: 0, -ENOSPC (it did not fit), or
 * -EINVAL (an argument that cannot be printed: a CR or LF in a value, a status code out of
 * 100-699, an empty method). Slices are borrowed and copied. */

/* "METHOD SP Request-URI SP SIP/2.0 CRLF" */
int pc_sip_pb_request_line(struct pc_sip_pb *pb, struct pc_sip_slice method,
			   struct pc_sip_slice uri);
/* "SIP/2.0 SP code SP reason CRLF" */
int pc_sip_pb_status_line(struct pc_sip_pb *pb, unsigned code, struct pc_sip_slice reason);

/* A whole header line "Name: value CRLF". @id names it by its long name; with
 * PC_SIP_HDR_OTHER, @name does (then it must be a token). @value must hold no CR or LF. */
int pc_sip_pb_header(struct pc_sip_pb *pb, enum pc_sip_hdr_id id, struct pc_sip_slice name,
		     struct pc_sip_slice value);

/* A header line in pieces: pc_sip_pb_header_begin() writes "Name: ", then any of the appends
 * below write the value, and pc_sip_pb_header_end() writes the CRLF. */
int pc_sip_pb_header_begin(struct pc_sip_pb *pb, enum pc_sip_hdr_id id, struct pc_sip_slice name);
int pc_sip_pb_header_end(struct pc_sip_pb *pb);

/* Raw octets (no CR/LF check: the caller's responsibility), and printf-style text. */
int pc_sip_pb_raw(struct pc_sip_pb *pb, const void *p, size_t n);
__attribute__((format(printf, 2, 3))) int pc_sip_pb_printf(struct pc_sip_pb *pb, const char *fmt,
							   ...);

/* A parsed URI as it was written (escapes kept), scheme in lower case for sip/sips/tel, an
 * IPv6 host in brackets. */
int pc_sip_pb_uri(struct pc_sip_pb *pb, const struct pc_sip_uri *uri);

/* A display name from its decoded text (@name, not quoted, no escapes): written as is when it is
 * tokens separated by single spaces, else as a quoted-string with '"' and '\' escaped. CR, LF
 * and other control characters but HTAB are -EINVAL (they cannot be escaped, RFC 3261 25.1). */
int pc_sip_pb_display_name(struct pc_sip_pb *pb, struct pc_sip_slice name);

/* A parsed name-addr (or addr-spec) always as name-addr: [display-name SP] "<" URI ">" then its
 * header parameters; "*" for a star Contact. A quoted display name is written back quoted with its
 * escapes as they were. */
int pc_sip_pb_name_addr(struct pc_sip_pb *pb, const struct pc_sip_name_addr *na);

/* Parameters ";name[=value]" as they are in @params (borrowed). */
int pc_sip_pb_params(struct pc_sip_pb *pb, const struct pc_sip_param *params, unsigned n);

/* @raw %HH-escaped as a URI header value (hvalue, RFC 3261 25.1): every octet but unreserved and
 * "[" "]" "/" "?" ":" "+" "$" escaped. For a Refer-To carrying a Replaces (RFC 3891 6.1):
 * "<sip:carol@h?Replaces=" + pc_sip_pb_escape_hvalue(replaces value) + ">". */
int pc_sip_pb_escape_hvalue(struct pc_sip_pb *pb, struct pc_sip_slice raw);

/* A parsed Via element: "SIP/2.0/TRANSPORT SP sent-by" then its parameters. */
int pc_sip_pb_via(struct pc_sip_pb *pb, const struct pc_sip_via *via);

/* A new Via element: "SIP/2.0/<transport> <host>[:<port>];branch=<branch>[;rport]". @host is
 * put in brackets when it holds a ':' and has none; @port -1 leaves it out. @transport must not
 * be NONE or OTHER; @branch must be a non-empty token (-EINVAL otherwise). */
int pc_sip_pb_via_fields(struct pc_sip_pb *pb, enum pc_sip_uri_transport transport,
			 struct pc_sip_slice host, int port, struct pc_sip_slice branch,
			 bool rport);

/*
 * pc_sip_pb_finish() - end the message: "Content-Length: <len(body)>" CRLF, the empty line and
 * @body (borrowed, may be empty with p NULL). *@outlen (out, optional) is the message length.
 * Return: 0 or the sticky error; on error the buffer holds no complete message.
 */
int pc_sip_pb_finish(struct pc_sip_pb *pb, struct pc_sip_slice body, size_t *outlen);

/*
 * pc_sip_msg_print() - write a message that pc_sip_msg_parse() accepted in canonical form: the
 * start line with "SIP/2.0", every header in order with its long name (compact names expanded,
 * unknown names as written), ": ", the value with each fold (CRLF and the whitespace after it)
 * replaced by one SP, CRLF; Content-Length dropped from its place and written last with the
 * body's length; the body. Parsing the result gives the same view (same start line, headers,
 * values modulo folding, and body).
 * @msg (borrowed; its buffer must still be there), @buf/@size (borrowed), *@outlen (out).
 * Return: 0, -ENOSPC, -EINVAL (@msg has a CR or LF where it cannot be, never after a parse).
 */
int pc_sip_msg_print(const struct pc_sip_msg *msg, char *buf, size_t size, size_t *outlen);

#ifdef __cplusplus
}
#endif

#endif /* PC_SIP_PRINT_H */
