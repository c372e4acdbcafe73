/* SPDX-License-Identifier: MIT */
/* srtp_pvt.h - what srtp.c, srtp_hmac.c and the srtp suite share. */
#ifndef PC_SRTP_PVT_H
#define PC_SRTP_PVT_H

#include <srtp2/auth.h>

/*
 * pc_srtp_hmac_register - replace libsrtp's SRTP_HMAC_SHA1 with phonecore's (srtp_hmac.c: no
 * allocation per packet). Once, from pc_srtp_init(), before any session. Returns 0, or
 * -ENOTSUP where libsrtp is not built on OpenSSL (its own HMAC stays), or -EPROTO.
 */
int pc_srtp_hmac_register(void);

/* pc_srtp_hmac_sha1 - the auth type (static storage), or NULL where there is none (NSS). */
const srtp_auth_type_t *pc_srtp_hmac_sha1(void);

#endif /* PC_SRTP_PVT_H */
