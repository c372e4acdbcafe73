/* SPDX-License-Identifier: MIT */
/*
 * sip_fuzz.c - libFuzzer target for the SIP message parser of signaling/pc_sip_msg.h:
 * pc_sip_msg_parse() on one datagram, then pc_sip_uas_verdict() on its result (parsed or not).
 *
 * Notes on running it:
 *   - It needs signaling/sip_msg.c only:
 *     clang -g -O1 -fsanitize=fuzzer,address,undefined -Isignaling tests/fuzz/sip_fuzz.c \
 *         signaling/sip_msg.c -o /tmp/sip_fuzz && /tmp/sip_fuzz -max_total_time=30
 *   - Seed a corpus with the torture messages (../shared/testdata/sip/rfc4475/ *.dat);
 *     tests/fuzz/sip.cmake copies three of them into the build's corpus.
 *
 * The input is copied into a buffer of exactly its length, without a NUL, so that
 * AddressSanitizer catches any read past it. Checked (abort on any difference):
 *   - the return is 0, -EBADMSG, -EPROTO, -ERANGE or -E2BIG; the reason is one non-empty line
 *     on failure, "" on success;
 *   - on success every slice lies inside the input, the counts are within the limits, the body
 *     ends where msg_len says, and a second parse gives the same view;
 *   - the input is not written to;
 *   - the UAS verdict returns 0 with a reason; a code is 400-505 and only with RESPOND; a
 *     response is NOT_REQUEST; the unsupported tags lie inside the input and are no more than
 *     counted; Accept-Encoding comes only with a 415 (or a dropped ACK), never with Accept;
 *     the same input judged twice gives the same verdict.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pc_sip_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pc_sip_msg msg, msg2;

static void check_slice(struct pc_sip_slice s, const char *buf, size_t len)
{
	if (s.len == 0)
		return;
	if (s.p < buf || s.p + s.len > buf + len)
		abort();
}

static void check_verdict(int rc, const char *buf, size_t len)
{
	struct pc_sip_uas_verdict v, v2;

	if (pc_sip_uas_verdict(&msg, rc, &v) != 0 || !v.why || !v.why[0])
		abort();
	if ((v.action == PC_SIP_UAS_RESPOND) != (v.status != 0))
		abort();
	if (v.action == PC_SIP_UAS_RESPOND && (v.status < 400 || v.status > 505))
		abort();
	if (rc == 0 && !msg.is_request && v.action != PC_SIP_UAS_NOT_REQUEST)
		abort();
	if (v.nunsupported && v.status != 420)
		abort();
	/* Accept-Encoding only with a 415 for a body encoding (or an ACK dropped for one) */
	if (v.accept_encoding && v.status != 415 && v.action != PC_SIP_UAS_DROP)
		abort();
	if (v.accept_encoding && v.accept)
		abort();
	for (unsigned i = 0; i < v.nunsupported && i < PC_SIP_UAS_MAX_UNSUPPORTED; i++) {
		if (v.unsupported[i].len == 0)
			abort();
		check_slice(v.unsupported[i], buf, len);
	}
	if (pc_sip_uas_verdict(&msg, rc, &v2) != 0 || v2.action != v.action ||
	    v2.status != v.status || v2.nunsupported != v.nunsupported)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[PC_SIP_ERR_MAX];
	char *buf = malloc(size ? size : 1);
	int rc;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	rc = pc_sip_msg_parse(&msg, buf, size, err, sizeof(err));
	if (memcmp(buf, data, size) != 0)
		abort();
	if (rc != 0 && rc != -EBADMSG && rc != -EPROTO && rc != -ERANGE && rc != -E2BIG)
		abort();
	if (strchr(err, '\n') || (rc == 0) != (err[0] == '\0'))
		abort();
	check_verdict(rc, buf, size);
	if (rc == 0) {
		if (msg.nheaders > PC_SIP_MAX_HEADERS || msg.msg_len > size)
			abort();
		check_slice(msg.method, buf, size);
		check_slice(msg.uri, buf, size);
		check_slice(msg.reason, buf, size);
		check_slice(msg.call_id, buf, size);
		check_slice(msg.cseq_method, buf, size);
		check_slice(msg.body, buf, size);
		for (unsigned i = 0; i < msg.nheaders; i++) {
			check_slice(msg.headers[i].name, buf, size);
			check_slice(msg.headers[i].value, buf, size);
		}
		if (msg.body.len && msg.body.p + msg.body.len != buf + msg.msg_len)
			abort();
		if (msg.is_request ? msg.status != 0 : (msg.status < 100 || msg.status > 699))
			abort();
		if (pc_sip_msg_parse(&msg2, buf, size, NULL, 0) != 0 ||
		    msg2.nheaders != msg.nheaders || msg2.msg_len != msg.msg_len ||
		    msg2.cseq != msg.cseq)
			abort();
	}
	free(buf);
	return 0;
}
