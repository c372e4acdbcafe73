/* SPDX-License-Identifier: MIT */
/*
 * sip_stream_fuzz.c - libFuzzer target for the TCP/TLS stream framer of
 * signaling/pc_sip_transport.h (pc_sip_stream_frame), and the received/rport helper
 * (pc_sip_via_received) on the same bytes.
 *
 * Notes on running it:
 *   - It needs signaling/sip_transport.c (which links OpenSSL, for the rest of the transport)
 *     and signaling/sip_msg.c (the parser, to cross-check Content-Length):
 *     clang -g -O1 -fsanitize=fuzzer,address,undefined -Isignaling tests/fuzz/sip_stream_fuzz.c \
 *         signaling/sip_transport.c signaling/sip_msg.c -lssl -lcrypto -o /tmp/sip_stream_fuzz
 *     /tmp/sip_stream_fuzz -max_total_time=30
 *   - tests/fuzz/sip_stream.cmake writes a few seeds (one message, a pipelined pair with
 *     keep-alives, a compact 'l' with folding).
 *
 * Input: the first byte picks the limit (0: PC_SIP_MAX_MSG, else 16 * byte) and the read size
 * (1 + byte % 64) of the incremental pass; the rest is the stream, copied into a buffer of
 * exactly its length so that AddressSanitizer catches a read past it. Checked (abort on any
 * difference):
 *   - the return is 1, 0, -EBADMSG, -EPROTO or -E2BIG, with a one-line reason on failure;
 *   - the skip is even, within the input, and only CRLF pairs;
 *   - on 1: skip + length within the input and the limit; the headers end with CRLF CRLF;
 *     the input is not written to;
 *   - the same stream fed in growing prefixes (reads of the chosen size) with the scan hint
 *     gives, at every prefix, what a call without the hint gives; and a frame once found (or an
 *     error once seen) stays found (stays) as the prefix grows;
 *   - cutting messages one after another consumes the stream exactly;
 *   - when the message parser accepts a framed message, it agrees on its length;
 *   - pc_sip_via_received() on the input as a Via value returns a length that matches its text,
 *     or an error, and the rewritten value holds the original's first octets.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pc_sip_msg.h"
#include "pc_sip_transport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pc_sip_msg msg;

static int frame(const char *b, size_t len, size_t max, size_t *skip, size_t *scan, size_t *ml)
{
	char err[PC_SIP_ERR_MAX];
	size_t i;
	int rc;

	rc = pc_sip_stream_frame(b, len, max, skip, scan, ml, err, sizeof(err));
	if (rc != 1 && rc != 0 && rc != -EBADMSG && rc != -EPROTO && rc != -E2BIG)
		abort();
	if (rc < 0 && (!err[0] || strchr(err, '\n')))
		abort();
	if (rc >= 0 && err[0])
		abort();
	if (*skip > len || *skip % 2)
		abort();
	for (i = 0; i < *skip; i += 2)
		if (b[i] != '\r' || b[i + 1] != '\n')
			abort();
	if (rc == 1) {
		const char *m = b + *skip;

		if (*ml < 4 || *ml > len - *skip || *ml > (max ? max : PC_SIP_MAX_MSG))
			abort();
		if (!memmem(m, *ml, "\r\n\r\n", 4))
			abort();
	}
	return rc;
}

static void check_parser(const char *m, size_t len)
{
	char *copy = malloc(len ? len : 1);

	if (!copy)
		return;
	memcpy(copy, m, len);
	/* A message the parser accepts has a Content-Length (the framer required one) and
	 * covers exactly the framed octets. */
	if (pc_sip_msg_parse(&msg, copy, len, NULL, 0) == 0) {
		if (!msg.has_content_length || msg.msg_len != len)
			abort();
	}
	free(copy);
}

static void check_via(const char *b, size_t len)
{
	union pc_sip_addr src;
	char params[80], *out;
	size_t vlen = len + 80;
	int rc;

	out = malloc(vlen);
	if (!out)
		return;
	pc_sip_addr_parse(&src, len % 2 ? "2001:db8::1" : "192.0.2.7", (uint16_t)len);
	rc = pc_sip_via_received(b, len, &src, params, sizeof(params), out, vlen);
	if (rc != -EBADMSG && rc < 0)
		abort();
	if (rc >= 0) {
		if (strlen(params) != (size_t)rc)
			abort();
		/* The via-parm's sent-protocol is copied untouched. */
		if (len >= 3 && memcmp(out, b, 3) != 0)
			abort();
	}
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t max, step, skip, ml, skip2, ml2, scan = 0, scan0, cut, off;
	int rc, rc2, first = 0, first_ml = 0;
	char *buf;

	if (size < 1)
		return 0;
	max = data[0] ? (size_t)data[0] * 16 : 0;
	step = 1 + data[0] % 64;
	data++;
	size--;
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);

	/* The whole stream at once. */
	rc = frame(buf, size, max, &skip, NULL, &ml);
	if (memcmp(buf, data, size) != 0)
		abort();

	/* Growing prefixes with the hint agree with fresh calls, and results are stable. */
	for (cut = 0;; cut += step) {
		size_t n = cut < size ? cut : size;

		rc2 = frame(buf, n, max, &skip2, &scan, &ml2);
		scan0 = 0;
		if (frame(buf, n, max, &skip, &scan0, &ml) != rc2)
			abort();
		if (rc2 == 1 && ml != ml2)
			abort();
		if (first == 1 && (rc2 != 1 || (int)ml2 != first_ml))
			abort();
		if (first < 0 && rc2 != first)
			abort();
		if (rc2 != 0 && first == 0) {
			first = rc2;
			first_ml = rc2 == 1 ? (int)ml2 : 0;
		}
		/* The caller discards the skip when the frame is not complete: the hint is then
		 * relative to the octets after it, exactly as here (skip is stable). */
		if (n == size)
			break;
	}
	if (first != 0 && first != frame(buf, size, max, &skip, NULL, &ml))
		abort();

	/* Cut one message after another until the stream needs more or fails. */
	for (off = 0; off < size;) {
		rc = frame(buf + off, size - off, max, &skip, NULL, &ml);
		if (rc != 1) {
			if (off + skip > size)
				abort();
			break;
		}
		check_parser(buf + off + skip, ml);
		off += skip + ml;
	}
	if (off > size)
		abort();

	check_via(buf, size);
	free(buf);
	return 0;
}
