/* SPDX-License-Identifier: MIT */
/*
 * sip_err_pvt.h - what the signaling parsers share to report a rejection: the caller's error
 * buffer, a printf into it, and a slice shown safely inside the message. Private to signaling/
 * (header-only, so that a fuzz target builds from one parser's .c file).
 */
#ifndef PC_SIP_ERR_PVT_H
#define PC_SIP_ERR_PVT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "pc_sip_msg.h"

/* The caller's buffer for the one-line reason of a rejection (err may be NULL). */
struct pc_sip_errctx {
	char *err;
	size_t errlen;
};

/* Writes the reason into the caller's buffer (when there is one) and returns @rc. */
__attribute__((format(printf, 3, 4))) static inline int pc_sip_fail(struct pc_sip_errctx *c, int rc,
								    const char *fmt, ...)
{
	va_list ap;

	if (c->err && c->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(c->err, c->errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* Copies a slice for an error message into @out: printable ASCII kept, anything else as '?', cut
 * with "..." to fit @outlen. Returns @out. */
static inline const char *pc_sip_shown(char *out, size_t outlen, struct pc_sip_slice s)
{
	size_t n = 0;

	for (size_t i = 0; i < s.len && n + 4 < outlen; i++) {
		unsigned char c = (unsigned char)s.p[i];

		out[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (n < s.len && n + 3 < outlen) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
	return out;
}

#endif /* PC_SIP_ERR_PVT_H */
