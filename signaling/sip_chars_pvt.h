/* SPDX-License-Identifier: MIT */
/*
 * sip_chars_pvt.h - private to signaling/: the octet classes of the SIP grammar (RFC 3261 25.1)
 * as one 256-entry table, so that a parser tests a class with one load instead of a chain of
 * comparisons or a strchr(). Mirrors the table of sip_hdr.c for the classes the message parser
 * (sip_msg.c) needs. Constant data only: no state, any thread.
 *
 * Classes (bits of pc_sip_cc[c]):
 *   PC_SIP_CC_TOKEN   token: alphanum "-" "." "!" "%" "*" "_" "+" "`" "'" "~"
 *   PC_SIP_CC_DIGIT   DIGIT
 *   PC_SIP_CC_ALPHA   ALPHA
 *   PC_SIP_CC_XDIGIT  HEXDIG, either case
 *   PC_SIP_CC_LWS     what the parser trims around values: SP HTAB CR LF
 *   PC_SIP_CC_HOST    hostname octets: alphanum "-" "." (and "_", seen in the wild)
 *   PC_SIP_CC_SCHEME  URI scheme octets after the first: alphanum "+" "-" "." (RFC 3986 3.1)
 *   PC_SIP_CC_CTL     not allowed in a Request-URI: SP, controls (0x00-0x20) and DEL
 */
#ifndef PC_SIP_CHARS_PVT_H
#define PC_SIP_CHARS_PVT_H

#include <stdbool.h>
#include <stdint.h>

enum {
	PC_SIP_CC_TOKEN = 1 << 0,
	PC_SIP_CC_DIGIT = 1 << 1,
	PC_SIP_CC_ALPHA = 1 << 2,
	PC_SIP_CC_XDIGIT = 1 << 3,
	PC_SIP_CC_LWS = 1 << 4,
	PC_SIP_CC_HOST = 1 << 5,
	PC_SIP_CC_SCHEME = 1 << 6,
	PC_SIP_CC_CTL = 1 << 7,
	/* what every alphanumeric octet is (besides DIGIT or ALPHA) */
	PC_SIP_CC_AN = PC_SIP_CC_TOKEN | PC_SIP_CC_HOST | PC_SIP_CC_SCHEME,
};

static const uint8_t pc_sip_cc[256] = {
	[0x00] = PC_SIP_CC_CTL,
	[0x01] = PC_SIP_CC_CTL,
	[0x02] = PC_SIP_CC_CTL,
	[0x03] = PC_SIP_CC_CTL,
	[0x04] = PC_SIP_CC_CTL,
	[0x05] = PC_SIP_CC_CTL,
	[0x06] = PC_SIP_CC_CTL,
	[0x07] = PC_SIP_CC_CTL,
	[0x08] = PC_SIP_CC_CTL,
	['\t'] = PC_SIP_CC_LWS | PC_SIP_CC_CTL,
	['\n'] = PC_SIP_CC_LWS | PC_SIP_CC_CTL,
	[0x0b] = PC_SIP_CC_CTL,
	[0x0c] = PC_SIP_CC_CTL,
	['\r'] = PC_SIP_CC_LWS | PC_SIP_CC_CTL,
	[0x0e] = PC_SIP_CC_CTL,
	[0x0f] = PC_SIP_CC_CTL,
	[0x10] = PC_SIP_CC_CTL,
	[0x11] = PC_SIP_CC_CTL,
	[0x12] = PC_SIP_CC_CTL,
	[0x13] = PC_SIP_CC_CTL,
	[0x14] = PC_SIP_CC_CTL,
	[0x15] = PC_SIP_CC_CTL,
	[0x16] = PC_SIP_CC_CTL,
	[0x17] = PC_SIP_CC_CTL,
	[0x18] = PC_SIP_CC_CTL,
	[0x19] = PC_SIP_CC_CTL,
	[0x1a] = PC_SIP_CC_CTL,
	[0x1b] = PC_SIP_CC_CTL,
	[0x1c] = PC_SIP_CC_CTL,
	[0x1d] = PC_SIP_CC_CTL,
	[0x1e] = PC_SIP_CC_CTL,
	[0x1f] = PC_SIP_CC_CTL,
	[' '] = PC_SIP_CC_LWS | PC_SIP_CC_CTL,
	['!'] = PC_SIP_CC_TOKEN,
	['%'] = PC_SIP_CC_TOKEN,
	['\''] = PC_SIP_CC_TOKEN,
	['*'] = PC_SIP_CC_TOKEN,
	['+'] = PC_SIP_CC_TOKEN | PC_SIP_CC_SCHEME,
	['-'] = PC_SIP_CC_AN,
	['.'] = PC_SIP_CC_AN,
	['0'] = PC_SIP_CC_AN | PC_SIP_CC_DIGIT | PC_SIP_CC_XDIGIT,
	['1'] = PC_SIP_CC_AN | PC_SIP_CC_DIGIT | PC_SIP_CC_XDIGIT,
	['2'] = PC_SIP_CC_AN | PC_SIP_CC_DIGIT | PC_SIP_CC_XDIGIT,
	['3'] = PC_SIP_CC_AN | PC_SIP_CC_DIGIT | PC_SIP_CC_XDIGIT,
	['4'] = PC_SIP_CC_AN | PC_SIP_CC_DIGIT | PC_SIP_CC_XDIGIT,
	['5'] = PC_SIP_CC_AN | PC_SIP_CC_DIGIT | PC_SIP_CC_XDIGIT,
	['6'] = PC_SIP_CC_AN | PC_SIP_CC_DIGIT | PC_SIP_CC_XDIGIT,
	['7'] = PC_SIP_CC_AN | PC_SIP_CC_DIGIT | PC_SIP_CC_XDIGIT,
	['8'] = PC_SIP_CC_AN | PC_SIP_CC_DIGIT | PC_SIP_CC_XDIGIT,
	['9'] = PC_SIP_CC_AN | PC_SIP_CC_DIGIT | PC_SIP_CC_XDIGIT,
	['A'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA | PC_SIP_CC_XDIGIT,
	['B'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA | PC_SIP_CC_XDIGIT,
	['C'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA | PC_SIP_CC_XDIGIT,
	['D'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA | PC_SIP_CC_XDIGIT,
	['E'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA | PC_SIP_CC_XDIGIT,
	['F'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA | PC_SIP_CC_XDIGIT,
	['G'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA,
	['H'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA,
	['I'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA,
	['J'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA,
	['K'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA,
	['L'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA,
	['M'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA,
	['N'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA,
	['O'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA,
	['P'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA,
	['Q'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA,
	['R'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA,
	['S'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA,
	['T'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA,
	['U'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA,
	['V'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA,
	['W'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA,
	['X'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA,
	['Y'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA,
	['Z'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA,
	['_'] = PC_SIP_CC_TOKEN | PC_SIP_CC_HOST,
	['`'] = PC_SIP_CC_TOKEN,
	['a'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA | PC_SIP_CC_XDIGIT,
	['b'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA | PC_SIP_CC_XDIGIT,
	['c'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA | PC_SIP_CC_XDIGIT,
	['d'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA | PC_SIP_CC_XDIGIT,
	['e'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA | PC_SIP_CC_XDIGIT,
	['f'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA | PC_SIP_CC_XDIGIT,
	['g'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA,
	['h'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA,
	['i'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA,
	['j'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA,
	['k'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA,
	['l'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA,
	['m'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA,
	['n'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA,
	['o'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA,
	['p'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA,
	['q'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA,
	['r'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA,
	['s'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA,
	['t'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA,
	['u'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA,
	['v'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA,
	['w'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA,
	['x'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA,
	['y'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA,
	['z'] = PC_SIP_CC_AN | PC_SIP_CC_ALPHA,
	['~'] = PC_SIP_CC_TOKEN,
	[0x7f] = PC_SIP_CC_CTL,
};

/* pc_sip_cc_is() - true if octet @c is in one of the classes @mask. */
static inline bool pc_sip_cc_is(unsigned char c, unsigned mask)
{
	return (pc_sip_cc[c] & mask) != 0;
}

#endif /* PC_SIP_CHARS_PVT_H */
