/* SPDX-License-Identifier: MIT */
/*
 * sdp_fuzz.c - libFuzzer target for the SDP parser, printer and offer/answer of
 * signaling/pc_sdp.h: pc_sdp_parse() on one description; when it parses, pc_sdp_print() and a
 * second parse of the printed text; then the input answered as a remote offer
 * (pc_sdp_neg_answer()) and read as the remote answer to an offer of ours
 * (pc_sdp_neg_complete()).
 *
 * Notes on running it:
 *   - It needs signaling/sdp.c and signaling/sdp_neg.c only:
 *     clang -g -O1 -fsanitize=fuzzer,address,undefined -Isignaling tests/fuzz/sdp_fuzz.c \
 *         signaling/sdp.c signaling/sdp_neg.c -o /tmp/sdp_fuzz && /tmp/sdp_fuzz -max_total_time=30
 *   - tests/fuzz/sdp.cmake writes two seeds into the build's corpus.
 *
 * The input is copied into a buffer of exactly its length, without a NUL, so that
 * AddressSanitizer catches any read past it. Checked (abort on any difference):
 *   - the return is 0, -EBADMSG, -ERANGE or -E2BIG; the reason is one non-empty line on
 *     failure, "" on success; the input is not written to;
 *   - on success every slice lies inside the input and the counts are within the limits;
 *   - the printed text parses again (or is -E2BIG: CRLF and base64 padding may make it longer)
 *     to the same counts, and printing that gives the same text;
 *   - the answer is 0, -EPROTO or -ENOSPC; on 0 it parses, has one m-line per offered one,
 *     and every active stream has 1..max codecs from our caps and send/recv matching the
 *     answer's direction;
 *   - completing our offer with the input as the answer is 0 or -EPROTO.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pc_sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pc_sdp sdp, sdp2, ans;
static struct pc_sdp_neg neg;
static struct pc_sdp_result res;
static struct pc_sdp_caps caps;
static char out1[65536], out2[65536], abuf[16384];

static void check_slice(struct pc_sip_slice s, const char *buf, size_t len)
{
	if (s.len == 0)
		return;
	if (s.p < buf || s.p + s.len > buf + len)
		abort();
}

static void check_view(const struct pc_sdp *v, const char *buf, size_t len)
{
	if (v->nmedia > PC_SDP_MAX_MEDIA || v->nattr > PC_SDP_MAX_ATTR || v->nbw > PC_SDP_MAX_BW)
		abort();
	check_slice(v->o_username, buf, len);
	check_slice(v->o_addr, buf, len);
	check_slice(v->session_name, buf, len);
	check_slice(v->conn.addr, buf, len);
	for (unsigned i = 0; i < v->nattr; i++) {
		check_slice(v->attr[i].name, buf, len);
		check_slice(v->attr[i].value, buf, len);
	}
	for (unsigned i = 0; i < v->nmedia; i++) {
		const struct pc_sdp_media *m = &v->media[i];

		if (m->nfmt > PC_SDP_MAX_FMT || m->nrtcpfb > PC_SDP_MAX_RTCPFB ||
		    m->ncrypto > PC_SDP_MAX_CRYPTO || m->nssrc > PC_SDP_MAX_SSRC ||
		    m->nattr > PC_SDP_MAX_ATTR || m->nbw > PC_SDP_MAX_BW)
			abort();
		check_slice(m->type_name, buf, len);
		check_slice(m->proto_name, buf, len);
		check_slice(m->fmt_text, buf, len);
		check_slice(m->conn.addr, buf, len);
		check_slice(m->mid, buf, len);
		for (unsigned k = 0; k < m->nfmt; k++) {
			if (m->fmt[k].pt > 127 || m->fmt[k].events > 0x1ffff)
				abort();
			check_slice(m->fmt[k].encoding, buf, len);
			check_slice(m->fmt[k].fmtp, buf, len);
		}
		for (unsigned k = 0; k < m->ncrypto; k++) {
			if (m->crypto[k].nkeys == 0 || m->crypto[k].nkeys > PC_SDP_MAX_CRYPTO_KEYS)
				abort();
			for (unsigned j = 0; j < m->crypto[k].nkeys; j++)
				if (m->crypto[k].keys[j].len == 0 ||
				    m->crypto[k].keys[j].len > PC_SDP_KEY_MAX)
					abort();
			check_slice(m->crypto[k].session_params, buf, len);
		}
		for (unsigned k = 0; k < m->nrtcpfb; k++)
			check_slice(m->rtcpfb[k].text, buf, len);
		for (unsigned k = 0; k < m->nssrc; k++)
			check_slice(m->ssrc[k], buf, len);
		for (unsigned k = 0; k < m->nattr; k++) {
			check_slice(m->attr[k].name, buf, len);
			check_slice(m->attr[k].value, buf, len);
		}
	}
}

static void setup_caps(void)
{
	static const uint8_t key[PC_SDP_KEY_MAX] = "0123456789abcdefghijklmnopqrstuvwxyz0123456789";
	static const struct pc_sdp_codec codecs[] = {
		{ PC_SDP_MEDIA_AUDIO, 0, "PCMU", 8000, 0, NULL },
		{ PC_SDP_MEDIA_AUDIO, 8, "PCMA", 8000, 0, NULL },
		{ PC_SDP_MEDIA_AUDIO, 96, "opus", 48000, 2, "useinbandfec=1" },
		{ PC_SDP_MEDIA_AUDIO, 101, "telephone-event", 8000, 0, "0-16" },
		{ PC_SDP_MEDIA_AUDIO, 100, "telephone-event", 48000, 0, NULL },
		{ PC_SDP_MEDIA_VIDEO, 99, "H264", 90000, 0,
		  "profile-level-id=42e01f;packetization-mode=1" },
		{ PC_SDP_MEDIA_VIDEO, 98, "H264", 90000, 0, "profile-level-id=42e01f" },
		{ PC_SDP_MEDIA_VIDEO, 32, "MPV", 90000, 0, NULL },
	};

	caps.addr = "192.0.2.1";
	caps.port[PC_SDP_MEDIA_AUDIO] = 4000;
	caps.port[PC_SDP_MEDIA_VIDEO] = 4002;
	caps.ncodecs = sizeof(codecs) / sizeof(codecs[0]);
	memcpy(caps.codecs, codecs, sizeof(codecs));
	caps.ptime = 20;
	caps.srtp = PC_SDP_SRTP_OPTIONAL;
	caps.ncrypto = 3;
	caps.crypto[0].suite = PC_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_80;
	caps.crypto[1].suite = PC_SDP_CRYPTO_AEAD_AES_128_GCM;
	caps.crypto[2].suite = PC_SDP_CRYPTO_AEAD_AES_256_GCM;
	for (unsigned i = 0; i < 3; i++)
		memcpy(caps.crypto[i].key, key, sizeof(key));
	caps.rtcp_fb = PC_SDP_FB_NACK | PC_SDP_FB_NACK_PLI | PC_SDP_FB_CCM_FIR | PC_SDP_FB_TRR_INT;
	caps.trr_int = 100;
	caps.rtcp_mux = true;
	caps.avpf = true;
}

static bool dir_sends(enum pc_sdp_dir d)
{
	return d == PC_SDP_DIR_SENDRECV || d == PC_SDP_DIR_SENDONLY;
}

static bool dir_recvs(enum pc_sdp_dir d)
{
	return d == PC_SDP_DIR_SENDRECV || d == PC_SDP_DIR_RECVONLY;
}

static void check_answer(size_t n)
{
	if (pc_sdp_parse(&ans, abuf, n, NULL, 0) != 0)
		abort();
	if (ans.nmedia != sdp.nmedia || res.nstreams != sdp.nmedia)
		abort();
	for (unsigned i = 0; i < res.nstreams; i++) {
		const struct pc_sdp_stream *s = &res.s[i];
		enum pc_sdp_dir d = pc_sdp_media_dir(&ans, i);

		if (!s->active) {
			if (ans.media[i].port != 0 || s->ncodecs)
				abort();
			continue;
		}
		if (ans.media[i].port == 0 || s->ncodecs == 0 ||
		    s->ncodecs > PC_SDP_CAPS_MAX_CODECS)
			abort();
		for (unsigned k = 0; k < s->ncodecs; k++)
			if (s->codec[k] < caps.codecs || s->codec[k] >= caps.codecs + caps.ncodecs)
				abort();
		if (s->send != dir_sends(d) || s->recv != dir_recvs(d))
			abort();
		if (s->srtp_suite != PC_SDP_CRYPTO_UNKNOWN &&
		    s->key_len != pc_sdp_crypto_key_len(s->srtp_suite))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[PC_SDP_ERR_MAX];
	char *buf = malloc(size ? size : 1);
	size_t n1, n2, n;
	int rc;

	if (!buf)
		return 0;
	if (!caps.addr)
		setup_caps();
	memcpy(buf, data, size);
	rc = pc_sdp_parse(&sdp, buf, size, err, sizeof(err));
	if (memcmp(buf, data, size) != 0)
		abort();
	if (rc != 0 && rc != -EBADMSG && rc != -ERANGE && rc != -E2BIG)
		abort();
	if (strchr(err, '\n') || (rc == 0) != (err[0] == '\0'))
		abort();
	if (rc != 0)
		goto out;
	check_view(&sdp, buf, size);

	/* Print, parse the print, print again: the same text. */
	if (pc_sdp_print(&sdp, out1, sizeof(out1), &n1) != 0)
		abort();
	rc = pc_sdp_parse(&sdp2, out1, n1, err, sizeof(err));
	if (rc == 0) {
		if (sdp2.nmedia != sdp.nmedia || sdp2.nattr != sdp.nattr)
			abort();
		for (unsigned i = 0; i < sdp.nmedia; i++)
			if (sdp2.media[i].nfmt != sdp.media[i].nfmt ||
			    sdp2.media[i].ncrypto != sdp.media[i].ncrypto ||
			    sdp2.media[i].port != sdp.media[i].port ||
			    sdp2.media[i].dir != sdp.media[i].dir)
				abort();
		if (pc_sdp_print(&sdp2, out2, sizeof(out2), &n2) != 0 || n1 != n2 ||
		    memcmp(out1, out2, n1) != 0)
			abort();
	} else if (rc != -E2BIG) {
		abort();
	}

	/* The input as a remote offer. */
	if (pc_sdp_neg_init(&neg, &caps, 42, NULL, 0) != 0)
		abort();
	rc = pc_sdp_neg_answer(&neg, &sdp, abuf, sizeof(abuf), &n, &res, err, sizeof(err));
	if (rc == 0)
		check_answer(n);
	else if (rc != -EPROTO && rc != -ENOSPC)
		abort();

	/* The input as the answer to our offer. */
	if (pc_sdp_neg_init(&neg, &caps, 42, NULL, 0) != 0 ||
	    pc_sdp_neg_offer(&neg, size & 1, abuf, sizeof(abuf), &n, NULL, 0) != 0)
		abort();
	rc = pc_sdp_neg_complete(&neg, &sdp, &res, err, sizeof(err));
	if (rc != 0 && rc != -EPROTO)
		abort();
out:
	free(buf);
	return 0;
}
