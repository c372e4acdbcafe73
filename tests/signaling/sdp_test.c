/* SPDX-License-Identifier: MIT */
/*
 * sdp_test.c - the SDP parser, printer and offer/answer of signaling/pc_sdp.h: decoded fields
 * of a rich description, CRLF and LF, round trips, every rejection and the limits, no read
 * past the length (guarded pages), and RFC 3264 offer/answer cases in the manner of RFC 4317
 * (written here by hand): audio and video, rejected streams, hold and resume both ways,
 * payload type numbers that differ, crypto selection, H.264 level and packetization-mode,
 * IPv6, rtcp-mux and rtcp-fb, sess-version.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_sdp.h"
#include "sip_test_pvt.h"

static struct pc_sdp sdp, sdp2;
static char err[PC_SDP_ERR_MAX];

static bool sl_eq(struct pc_sip_slice s, const char *lit)
{
	return s.len == strlen(lit) && memcmp(s.p, lit, s.len) == 0;
}

static int parse(struct pc_sdp *out, const char *s)
{
	return pc_sdp_parse(out, s, strlen(s), err, sizeof(err));
}

/* A description with most of what the parser decodes (CRLF line ends). */
static const char rich[] =
	"v=0\r\n"
	"o=alice 2890844526 2890844527 IN IP4 192.0.2.10\r\n"
	"s=call\r\n"
	"i=ignored\r\n"
	"c=IN IP4 192.0.2.10\r\n"
	"b=AS:2048\r\n"
	"t=0 0\r\n"
	"a=group:BUNDLE a v\r\n"
	"a=sendrecv\r\n"
	"m=audio 49170 RTP/SAVP 111 0 8 101 126\r\n"
	"a=mid:a\r\n"
	"a=rtpmap:111 opus/48000/2\r\n"
	"a=fmtp:111 minptime=10; useinbandfec=1;stereo=0;maxplaybackrate=24000\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:101 telephone-event/48000\r\n"
	"a=fmtp:101 0-16\r\n"
	"a=rtpmap:126 telephone-event/8000\r\n"
	"a=fmtp:126 0-11,15\r\n"
	"a=ptime:20\r\n"
	"a=maxptime:60\r\n"
	"a=rtcp:49171 IN IP4 192.0.2.11\r\n"
	"a=rtcp-mux\r\n"
	"a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
	"inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4 KDR=1\r\n"
	"a=crypto:2 AES_CM_128_HMAC_SHA1_32 "
	"inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|1048576;"
	"inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNk|2^30|2:1\r\n"
	"a=sendonly\r\n"
	"a=ssrc:12345 cname:foo\r\n"
	"a=ice-ufrag:abcd\r\n"
	"m=video 51372 RTP/AVPF 97 98\r\n"
	"c=IN IP6 2001:db8::2\r\n"
	"b=TIAS:1000000\r\n"
	"a=rtpmap:97 H264/90000\r\n"
	"a=fmtp:97 profile-level-id=42e01f;packetization-mode=1;max-fs=3600;max-mbps=108000\r\n"
	"a=rtpmap:98 H264/90000\r\n"
	"a=rtcp-fb:* nack\r\n"
	"a=rtcp-fb:97 nack pli\r\n"
	"a=rtcp-fb:97 ccm fir\r\n"
	"a=rtcp-fb:98 goog-remb\r\n"
	"a=rtcp-fb:* trr-int 100\r\n"
	"a=rtcp-fb:97 transport-cc\r\n"
	"a=inactive\r\n"
	"a=x-unknown\r\n"
	"m=application 5000 UDP/BFCP *\r\n"
	"a=floorctrl:c-only\r\n";

Test(sdp, parse_rich)
{
	const struct pc_sdp_media *a, *v;
	const struct pc_sdp_fmt *f;
	uint8_t ip6[16];

	cr_assert_eq(parse(&sdp, rich), 0, "%s", err);
	cr_assert_str_empty(err);
	cr_assert(sl_eq(sdp.o_username, "alice"));
	cr_assert_eq(sdp.sess_id, 2890844526ull);
	cr_assert_eq(sdp.sess_version, 2890844527ull);
	cr_assert(sl_eq(sdp.session_name, "call"));
	cr_assert_eq(sdp.conn.addrtype, PC_SDP_ADDR_IP4);
	cr_assert_eq(memcmp(sdp.conn.ip, "\xc0\x00\x02\x0a", 4), 0);
	cr_assert_eq(sdp.nbw, 1);
	cr_assert_eq(sdp.bw[0].value, 2048);
	cr_assert_eq(sdp.dir, PC_SDP_DIR_SENDRECV);
	cr_assert_eq(sdp.nattr, 1);
	cr_assert(sl_eq(sdp.attr[0].name, "group"));
	cr_assert(sl_eq(sdp.attr[0].value, "BUNDLE a v"));
	cr_assert_eq(sdp.nmedia, 3);

	a = &sdp.media[0];
	cr_assert_eq(a->type, PC_SDP_MEDIA_AUDIO);
	cr_assert_eq(a->port, 49170);
	cr_assert_eq(a->proto, PC_SDP_PROTO_RTP_SAVP);
	cr_assert_eq(a->nfmt, 5);
	cr_assert(sl_eq(a->mid, "a"));
	f = pc_sdp_find_fmt(a, 111);
	cr_assert(f && f->has_rtpmap && sl_eq(f->encoding, "opus"));
	cr_assert_eq(f->clock, 48000);
	cr_assert_eq(f->channels, 2);
	cr_assert_eq(f->opus.useinbandfec, 1);
	cr_assert_eq(f->opus.stereo, 0);
	cr_assert_eq(f->opus.usedtx, -1);
	cr_assert_eq(f->opus.minptime, 10);
	cr_assert_eq(f->opus.maxplaybackrate, 24000);
	f = pc_sdp_find_fmt(a, 8);
	cr_assert(f && !f->has_rtpmap, "static type without rtpmap");
	f = pc_sdp_find_fmt(a, 101);
	cr_assert_eq(f->events, 0x1ffff);
	f = pc_sdp_find_fmt(a, 126);
	cr_assert_eq(f->events, 0x8fff);
	cr_assert_eq(a->ptime, 20);
	cr_assert_eq(a->maxptime, 60);
	cr_assert(a->has_rtcp && a->rtcp_port == 49171);
	cr_assert_eq(memcmp(a->rtcp_conn.ip, "\xc0\x00\x02\x0b", 4), 0);
	cr_assert(a->rtcp_mux);
	cr_assert_eq(a->dir, PC_SDP_DIR_SENDONLY);
	cr_assert_eq(pc_sdp_media_dir(&sdp, 0), PC_SDP_DIR_SENDONLY);
	cr_assert_eq(a->ncrypto, 2);
	cr_assert_eq(a->crypto[0].tag, 1);
	cr_assert_eq(a->crypto[0].suite, PC_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_80);
	cr_assert_eq(a->crypto[0].nkeys, 1);
	cr_assert_eq(a->crypto[0].keys[0].len, 30);
	cr_assert_eq(memcmp(a->crypto[0].keys[0].key, "=-n@%^x!", 8), 0);
	cr_assert(a->crypto[0].keys[0].has_lifetime);
	cr_assert_eq(a->crypto[0].keys[0].lifetime, 1u << 20);
	cr_assert_eq(a->crypto[0].keys[0].lifetime_log2, 20);
	cr_assert(a->crypto[0].keys[0].has_mki);
	cr_assert_eq(a->crypto[0].keys[0].mki, 1);
	cr_assert_eq(a->crypto[0].keys[0].mki_len, 4);
	cr_assert(sl_eq(a->crypto[0].session_params, "KDR=1"));
	cr_assert_eq(a->crypto[1].suite, PC_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_32);
	cr_assert_eq(a->crypto[1].nkeys, 2);
	cr_assert_eq(a->crypto[1].keys[0].lifetime, 1048576);
	cr_assert_eq(a->crypto[1].keys[0].lifetime_log2, 0);
	cr_assert(!a->crypto[1].keys[0].has_mki);
	cr_assert_eq(memcmp(a->crypto[1].keys[1].key, "ABCDEFGHIJ", 10), 0);
	cr_assert_eq(a->crypto[1].keys[1].mki, 2);
	cr_assert_eq(a->crypto[1].keys[1].mki_len, 1);
	cr_assert_eq(a->nssrc, 1);
	cr_assert(sl_eq(a->ssrc[0], "12345 cname:foo"));
	cr_assert_eq(a->nattr, 1);
	cr_assert(sl_eq(a->attr[0].name, "ice-ufrag"));

	v = &sdp.media[1];
	cr_assert_eq(v->type, PC_SDP_MEDIA_VIDEO);
	cr_assert_eq(v->proto, PC_SDP_PROTO_RTP_AVPF);
	cr_assert_eq(v->conn.addrtype, PC_SDP_ADDR_IP6);
	cr_assert_eq(inet_pton(AF_INET6, "2001:db8::2", ip6), 1);
	cr_assert_eq(memcmp(v->conn.ip, ip6, 16), 0);
	cr_assert_eq(pc_sdp_media_conn(&sdp, 1), &v->conn);
	cr_assert_eq(pc_sdp_media_conn(&sdp, 0), &sdp.conn);
	f = pc_sdp_find_fmt(v, 97);
	cr_assert(f->h264.has_profile_level_id);
	cr_assert_eq(f->h264.profile_idc, 0x42);
	cr_assert_eq(f->h264.profile_iop, 0xe0);
	cr_assert_eq(f->h264.level_idc, 0x1f);
	cr_assert_eq(f->h264.packetization_mode, 1);
	cr_assert_eq(f->h264.max_fs, 3600);
	cr_assert_eq(f->h264.max_mbps, 108000);
	f = pc_sdp_find_fmt(v, 98);
	cr_assert(!f->h264.has_profile_level_id);
	cr_assert_eq(f->h264.level_idc, 0x0a, "RFC 6184 default level 1.0");
	cr_assert_eq(f->h264.packetization_mode, 0);
	cr_assert_eq(v->nrtcpfb, 6);
	cr_assert_eq(pc_sdp_fb_flags(v, 97), PC_SDP_FB_NACK | PC_SDP_FB_NACK_PLI |
						     PC_SDP_FB_CCM_FIR | PC_SDP_FB_TRR_INT |
						     PC_SDP_FB_OTHER);
	cr_assert_eq(pc_sdp_fb_flags(v, 98),
		     PC_SDP_FB_NACK | PC_SDP_FB_GOOG_REMB | PC_SDP_FB_TRR_INT);
	cr_assert_eq(v->rtcpfb[4].trr_int, 100);
	cr_assert_eq(v->dir, PC_SDP_DIR_INACTIVE);
	cr_assert_eq(v->nattr, 1);
	cr_assert(!v->attr[0].has_value);

	cr_assert_eq(sdp.media[2].type, PC_SDP_MEDIA_APPLICATION);
	cr_assert_eq(sdp.media[2].proto, PC_SDP_PROTO_OTHER);
	cr_assert(sl_eq(sdp.media[2].fmt_text, "*"));
	cr_assert_eq(sdp.media[2].nattr, 1);
}

/* The same description with LF only, and without a final line end. */
Test(sdp, lf_and_no_final_newline)
{
	char lf[sizeof(rich)];
	size_t n = 0;

	for (const char *p = rich; *p; p++)
		if (*p != '\r')
			lf[n++] = *p;
	cr_assert_eq(pc_sdp_parse(&sdp, lf, n, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(sdp.nmedia, 3);
	cr_assert_eq(sdp.media[1].nrtcpfb, 6);
	cr_assert_eq(pc_sdp_parse(&sdp, lf, n - 1, err, sizeof(err)), 0, "%s", err);
	cr_assert(sl_eq(sdp.media[2].attr[0].value, "c-only"));
	/* Trailing blank lines are tolerated. */
	cr_assert_eq(parse(&sdp, "v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nt=0 0\n\r\n\n"), 0, "%s", err);
}

/* Parse, print, parse again: the two views agree, and printing again gives the same text. */
static void round_trip(const char *text)
{
	static char out1[PC_SDP_MAX_LEN], out2[PC_SDP_MAX_LEN];
	size_t n1, n2;

	cr_assert_eq(parse(&sdp, text), 0, "%s", err);
	cr_assert_eq(pc_sdp_print(&sdp, out1, sizeof(out1), &n1), 0);
	cr_assert_eq(pc_sdp_parse(&sdp2, out1, n1, err, sizeof(err)), 0, "%s: %.*s", err, (int)n1,
		     out1);
	cr_assert_eq(pc_sdp_print(&sdp2, out2, sizeof(out2), &n2), 0);
	cr_assert_eq(n1, n2);
	cr_assert_eq(memcmp(out1, out2, n1), 0, "%.*s\n---\n%.*s", (int)n1, out1, (int)n2, out2);
	cr_assert_eq(sdp2.nmedia, sdp.nmedia);
	cr_assert_eq(sdp2.sess_version, sdp.sess_version);
	cr_assert_eq(sdp2.dir, sdp.dir);
	for (unsigned i = 0; i < sdp.nmedia; i++) {
		const struct pc_sdp_media *a = &sdp.media[i], *b = &sdp2.media[i];

		cr_assert_eq(a->port, b->port);
		cr_assert_eq(a->nfmt, b->nfmt);
		cr_assert_eq(a->dir, b->dir);
		cr_assert_eq(a->ncrypto, b->ncrypto);
		cr_assert_eq(a->nrtcpfb, b->nrtcpfb);
		cr_assert_eq(a->nattr, b->nattr);
		cr_assert_eq(a->rtcp_mux, b->rtcp_mux);
		cr_assert_eq(a->rtcp_port, b->rtcp_port);
		cr_assert_eq(memcmp(a->conn.ip, b->conn.ip, 16), 0);
		for (unsigned k = 0; k < a->ncrypto; k++) {
			cr_assert_eq(a->crypto[k].keys[0].len, b->crypto[k].keys[0].len);
			cr_assert_eq(memcmp(a->crypto[k].keys[0].key, b->crypto[k].keys[0].key,
					    a->crypto[k].keys[0].len),
				     0);
			cr_assert_eq(a->crypto[k].keys[0].lifetime, b->crypto[k].keys[0].lifetime);
			cr_assert_eq(a->crypto[k].keys[0].mki_len, b->crypto[k].keys[0].mki_len);
		}
		for (unsigned k = 0; k < a->nfmt; k++) {
			cr_assert_eq(a->fmt[k].pt, b->fmt[k].pt);
			cr_assert_eq(a->fmt[k].clock, b->fmt[k].clock);
			cr_assert_eq(a->fmt[k].h264.level_idc, b->fmt[k].h264.level_idc);
			cr_assert_eq(a->fmt[k].events, b->fmt[k].events);
		}
	}
}

Test(sdp, round_trips)
{
	round_trip(rich);
	round_trip("v=0\r\no=- 0 0 IN IP6 ::1\r\ns=\r\nt=0 0\r\n");
	round_trip("v=0\r\no=- 1 2 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 224.2.1.1/127/3\r\n"
		   "t=3034423619 3042462419\r\nm=audio 49170/2 RTP/AVP 0\r\n");
	round_trip("v=0\r\no=- 1 2 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\n"
		   "m=audio 0 RTP/AVP 0\r\nm=video 9 RTP/AVP 96\r\nc=IN IP6 ff15::101/3\r\n"
		   "a=rtcp:9\r\na=crypto:7 AEAD_AES_256_GCM "
		   "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKis=\r\n"
		   "a=crypto:8 FOO_SUITE inline:AAEC\r\n");
}

Test(sdp, connection_lines)
{
	cr_assert_eq(parse(&sdp, "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nc=IN IP4 0.0.0.0\r\n"
				 "t=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"),
		     0, "%s", err);
	cr_assert(sdp.conn.hold, "RFC 2543 hold");
	cr_assert_eq(parse(&sdp, "v=0\r\no=- 1 1 IN IP4 host.example.com\r\ns=-\r\n"
				 "c=IN IP4 host.atlanta.example.com\r\nt=0 0\r\n"),
		     0, "%s", err);
	cr_assert(sdp.conn.is_fqdn && !sdp.conn.hold);
	cr_assert_eq(parse(&sdp, "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n"
				 "c=IN IP4 224.2.36.42/127/3\r\nt=0 0\r\n"),
		     0, "%s", err);
	cr_assert_eq(sdp.conn.ttl, 127);
	cr_assert_eq(sdp.conn.naddr, 3);
	cr_assert_eq(parse(&sdp,
			   "v=0\r\no=- 1 1 IN IP6 ::1\r\ns=-\r\nc=IN IP6 ff1e:03ad::7F2E/2\r\n"
			   "t=0 0\r\n"),
		     0, "%s", err);
	cr_assert_eq(sdp.conn.naddr, 2);
	cr_assert_eq(sdp.conn.ip[0], 0xff);
	cr_assert_eq(sdp.conn.ip[15], 0x2e);
	/* A media section without c= takes the session's; one with neither is an error. */
	cr_assert_eq(parse(&sdp, "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n"
				 "m=audio 4000 RTP/AVP 0\r\n"),
		     -EBADMSG);
	cr_assert_str_eq(err, "m= line 1 has no c= line");
	cr_assert_eq(parse(&sdp, "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n"
				 "m=audio 0 RTP/AVP 0\r\n"),
		     0, "a port 0 stream needs no c=: %s", err);
}

Test(sdp, helpers)
{
	struct pc_sdp_h264 h;
	uint32_t ev;

	cr_assert_eq(pc_sdp_crypto_key_len(PC_SDP_CRYPTO_AEAD_AES_128_GCM), 28);
	cr_assert_eq(pc_sdp_crypto_key_len(PC_SDP_CRYPTO_AEAD_AES_256_GCM), 44);
	cr_assert_eq(pc_sdp_crypto_key_len(PC_SDP_CRYPTO_UNKNOWN), 0);
	cr_assert_str_eq(pc_sdp_crypto_suite_name(PC_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_32),
			 "AES_CM_128_HMAC_SHA1_32");
	cr_assert_eq(pc_sdp_h264_params(&h, (struct pc_sip_slice){ "packetization-mode=1", 20 }),
		     0);
	cr_assert_eq(h.profile_idc, 0x42);
	cr_assert_eq(h.level_idc, 0x0a);
	cr_assert_eq(h.packetization_mode, 1);
	cr_assert_eq(pc_sdp_h264_params(&h, (struct pc_sip_slice){ "packetization-mode=3", 20 }),
		     -ERANGE);
	cr_assert_eq(pc_sdp_te_events(&ev, (struct pc_sip_slice){ "0-15,16,66", 10 }), 0);
	cr_assert_eq(ev, 0x1ffff);
	cr_assert_eq(pc_sdp_te_events(&ev, (struct pc_sip_slice){ "5-2", 3 }), -EBADMSG);
}

struct bad_case {
	const char *text;
	int rc;
	const char *reason; /* a part of the reason */
};

#define HDR "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\n"

static const struct bad_case bad[] = {
	{ "o=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n", -EBADMSG, "does not start with v=" },
	{ "", -EBADMSG, "missing v=" },
	{ "v=0\r\n", -EBADMSG, "missing o=" },
	{ "v=1\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n", -EBADMSG, "version" },
	{ "v=0\r\ns=-\r\nt=0 0\r\n", -EBADMSG, "o= does not follow" },
	{ "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n", -EBADMSG, "missing t=" },
	{ "v=0\r\no=- x 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n", -EBADMSG, "sess-id" },
	{ "v=0\r\no=- 1 1 IN IP5 1.2.3.4\r\ns=-\r\nt=0 0\r\n", -EBADMSG, "address type" },
	{ "v=0\r\no=- 1 1 ATM IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n", -EBADMSG, "network type" },
	{ HDR "m=audio 70000 RTP/AVP 0\r\n", -ERANGE, "port" },
	{ HDR "m=audio 49x RTP/AVP 0\r\n", -EBADMSG, "bad port" },
	{ HDR "m=audio -1 RTP/AVP 0\r\n", -EBADMSG, "bad port" },
	{ HDR "m=audio 4000/0 RTP/AVP 0\r\n", -EBADMSG, "number of ports 0" },
	{ HDR "m=audio 4000 RTP/AVP\r\n", -EBADMSG, "no format" },
	{ HDR "m=audio 4000\r\n", -EBADMSG, "m= is not" },
	{ HDR "m=audio 4000 RTP/AVP 128\r\n", -ERANGE, "payload type" },
	{ HDR "m=audio 4000 RTP/AVP 0 0\r\n", -EBADMSG, "listed twice" },
	{ HDR "m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU\r\n", -EBADMSG, "no clock rate" },
	{ HDR "m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/0\r\n", -ERANGE, "clock rate 0" },
	{ HDR "m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:0 PCMU/8000\r\n",
	  -EBADMSG, "second rtpmap" },
	{ HDR "m=audio 4000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 "
	      "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtx!VBR\r\n",
	  -EBADMSG, "bad base64" },
	{ HDR "m=audio 4000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 "
	      "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0m\r\n",
	  -EBADMSG, "24 octets" },
	{ HDR "m=audio 4000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 "
	      "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVB=\r\n",
	  -EBADMSG, "bad base64" },
	{ HDR "m=audio 4000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 "
	      "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^64\r\n",
	  -ERANGE, "lifetime exponent" },
	{ HDR "m=audio 4000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 "
	      "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:0\r\n",
	  -EBADMSG, "MKI length 0" },
	{ HDR "m=audio 4000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 "
	      "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:4|2^20\r\n",
	  -EBADMSG, "lifetime out of place" },
	{ HDR "m=audio 4000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 "
	      "srtp:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n",
	  -EBADMSG, "not 'inline'" },
	{ HDR "m=audio 4000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80\r\n", -EBADMSG,
	  "crypto is not" },
	{ HDR "m=video 4000 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
	      "a=fmtp:96 profile-level-id=42e0zz\r\n",
	  -EBADMSG, "profile-level-id" },
	{ HDR "m=audio 4000 RTP/AVP 0\r\na=sendonly\r\na=recvonly\r\n", -EBADMSG,
	  "second direction" },
	{ HDR "m=audio 4000 RTP/AVP 0\r\na=ptime:x\r\n", -EBADMSG, "ptime" },
	{ HDR "m=audio 4000 RTP/AVP 0\r\na=rtcp:99999\r\n", -ERANGE, "rtcp port" },
	{ HDR "m=audio 4000 RTP/AVP 0\r\na=rtcp-fb:96 trr-int x\r\n", -EBADMSG, "trr-int" },
	{ HDR "\r\nm=audio 4000 RTP/AVP 0\r\n", -EBADMSG, "empty line" },
	{ HDR "x=1\r\n", -EBADMSG, "unknown line type" },
	{ HDR "a line\r\n", -EBADMSG, "not '<type>=<value>'" },
	{ HDR "c=IN IP4 1.2.3.4\r\n", -EBADMSG, "second c=" },
	{ "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.999\r\nt=0 0\r\n", -EBADMSG,
	  "bad IP4 address" },
	{ "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP6 2001:db8::zz\r\nt=0 0\r\n", -EBADMSG,
	  "bad IP6 address" },
	{ "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4/300\r\nt=0 0\r\n", -ERANGE,
	  "TTL" },
	{ "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nm=audio 0 RTP/AVP 0\r\n", -EBADMSG,
	  "before any t=" },
	{ HDR "m=audio 4000 RTP/AVP 0\r\nt=0 0\r\n", -EBADMSG, "t= inside" },
	{ HDR "b=AS\r\n", -EBADMSG, "b= is not" },
	{ HDR "a=\r\n", -EBADMSG, "attribute without a name" },
	{ HDR "m=audio 4000 RTP/AVP 0\r\na=mid:a\r\na=mid:b\r\n", -EBADMSG, "second a=mid" },
};

Test(sdp, rejections)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = parse(&sdp, bad[i].text);

		cr_assert_eq(rc, bad[i].rc, "case %zu: rc %d, want %d (%s)", i, rc, bad[i].rc, err);
		cr_assert(strstr(err, bad[i].reason), "case %zu: reason '%s' lacks '%s'", i, err,
			  bad[i].reason);
		cr_assert_null(strchr(err, '\n'));
	}
}

Test(sdp, limits)
{
	static char big[PC_SDP_MAX_LEN + 64];
	int n;

	/* A line longer than PC_SDP_MAX_LINE. */
	n = snprintf(big, sizeof(big), HDR "a=x:");
	memset(big + n, 'y', PC_SDP_MAX_LINE);
	memcpy(big + n + PC_SDP_MAX_LINE, "\r\n", 3);
	cr_assert_eq(parse(&sdp, big), -E2BIG);
	cr_assert(strstr(err, "line longer"), "%s", err);

	/* Too many m= lines. */
	n = snprintf(big, sizeof(big), HDR);
	for (int i = 0; i <= PC_SDP_MAX_MEDIA; i++)
		n += snprintf(big + n, sizeof(big) - (size_t)n, "m=audio %d RTP/AVP 0\r\n",
			      4000 + 2 * i);
	cr_assert_eq(parse(&sdp, big), -E2BIG);
	cr_assert(strstr(err, "m= lines"), "%s", err);
	/* Exactly the limit is fine. */
	*strrchr(big, 'm') = '\0';
	cr_assert_eq(parse(&sdp, big), 0, "%s", err);
	cr_assert_eq(sdp.nmedia, PC_SDP_MAX_MEDIA);

	/* Too many formats, crypto lines, other attributes. */
	n = snprintf(big, sizeof(big), HDR "m=audio 4000 RTP/AVP");
	for (int i = 0; i <= PC_SDP_MAX_FMT; i++)
		n += snprintf(big + n, sizeof(big) - (size_t)n, " %d", 64 + i);
	snprintf(big + n, sizeof(big) - (size_t)n, "\r\n");
	cr_assert_eq(parse(&sdp, big), -E2BIG);
	cr_assert(strstr(err, "formats"), "%s", err);
	n = snprintf(big, sizeof(big), HDR "m=audio 4000 RTP/SAVP 0\r\n");
	for (int i = 0; i <= PC_SDP_MAX_CRYPTO; i++)
		n += snprintf(big + n, sizeof(big) - (size_t)n,
			      "a=crypto:%d AES_CM_128_HMAC_SHA1_80 "
			      "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n",
			      i + 1);
	cr_assert_eq(parse(&sdp, big), -E2BIG);
	n = snprintf(big, sizeof(big), HDR);
	for (int i = 0; i <= PC_SDP_MAX_ATTR; i++)
		n += snprintf(big + n, sizeof(big) - (size_t)n, "a=x%d\r\n", i);
	cr_assert_eq(parse(&sdp, big), -E2BIG);

	/* A description larger than PC_SDP_MAX_LEN. */
	memset(big, 'a', sizeof(big));
	cr_assert_eq(pc_sdp_parse(&sdp, big, PC_SDP_MAX_LEN + 1, err, sizeof(err)), -E2BIG);
}

/* A WebRTC-sized video section (browser offers list ~25 payload types, ~50 rtcp-fb and ~20
 * other attributes) fits the limits. */
Test(sdp, webrtc_sized_section)
{
	static char big[PC_SDP_MAX_LEN];
	int n;

	n = snprintf(big, sizeof(big),
		     HDR "a=group:BUNDLE 0\r\na=msid-semantic: WMS\r\n"
			 "m=video 9 UDP/TLS/RTP/SAVPF");
	for (int i = 0; i < 25; i++)
		n += snprintf(big + n, sizeof(big) - (size_t)n, " %d", 96 + i);
	n += snprintf(big + n, sizeof(big) - (size_t)n,
		      "\r\na=ice-ufrag:x\r\na=ice-pwd:y\r\na=fingerprint:sha-256 AB:CD\r\n"
		      "a=setup:actpass\r\na=mid:0\r\na=rtcp-rsize\r\n");
	for (int i = 0; i < 14; i++)
		n += snprintf(big + n, sizeof(big) - (size_t)n, "a=extmap:%d urn:x:%d\r\n", i + 1,
			      i);
	for (int i = 0; i < 10; i++)
		n += snprintf(big + n, sizeof(big) - (size_t)n,
			      "a=rtpmap:%d VP8/90000\r\na=rtcp-fb:%d goog-remb\r\n"
			      "a=rtcp-fb:%d transport-cc\r\na=rtcp-fb:%d ccm fir\r\n"
			      "a=rtcp-fb:%d nack\r\na=rtcp-fb:%d nack pli\r\n",
			      96 + i, 96 + i, 96 + i, 96 + i, 96 + i, 96 + i);
	cr_assert_eq(parse(&sdp, big), 0, "%s", err);
	cr_assert_eq(sdp.media[0].nfmt, 25);
	cr_assert_eq(sdp.media[0].nrtcpfb, 50);
	cr_assert_eq(sdp.media[0].nattr, 19);
	cr_assert_eq(sdp.media[0].proto, PC_SDP_PROTO_UDP_TLS_RTP_SAVPF);
	cr_assert_eq(pc_sdp_fb_flags(&sdp.media[0], 97),
		     PC_SDP_FB_GOOG_REMB | PC_SDP_FB_OTHER | PC_SDP_FB_CCM_FIR | PC_SDP_FB_NACK |
			     PC_SDP_FB_NACK_PLI);
}

/* Every prefix of the rich description, each ending just before an unmapped page. */
Test(sdp, no_read_past_length)
{
	size_t len = strlen(rich);
	unsigned ok = 0;

	for (size_t n = 0; n <= len; n++) {
		struct guarded g;
		int rc;

		guarded_init(&g, rich, n);
		rc = pc_sdp_parse(&sdp, g.buf, n, err, sizeof(err));
		cr_assert(rc == 0 || rc == -EBADMSG || rc == -ERANGE || rc == -E2BIG);
		ok += rc == 0;
		guarded_fini(&g);
	}
	cr_assert_gt(ok, 10, "some prefixes end on a whole line and parse");
}

Test(sdp, print_enospc)
{
	static char out[PC_SDP_MAX_LEN];
	size_t n, m;

	cr_assert_eq(parse(&sdp, rich), 0, "%s", err);
	cr_assert_eq(pc_sdp_print(&sdp, out, sizeof(out), &n), 0);
	for (size_t size = 0; size < n; size += 7)
		cr_assert_eq(pc_sdp_print(&sdp, out, size, &m), -ENOSPC, "size %zu", size);
	cr_assert_eq(pc_sdp_print(&sdp, out, n, &m), 0);
	cr_assert_eq(m, n);
}

/* ---- Offer/answer ---- */

static const uint8_t key80[30] = "0123456789abcdefghijklmnopqrst";
static const uint8_t key32[30] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123";

static struct pc_sdp_caps caps;
static struct pc_sdp_neg neg;
static struct pc_sdp_result res;
static char out[4096];
static size_t outlen;

static void add_codec(enum pc_sdp_media_type t, uint8_t pt, const char *name, uint32_t clock,
		      uint8_t ch, const char *fmtp)
{
	caps.codecs[caps.ncodecs++] = (struct pc_sdp_codec){ t, pt, name, clock, ch, fmtp };
}

/* Our side: PCMU, PCMA, opus at 96, telephone-event at 101 (8 kHz) and 100 (48 kHz); H264
 * Constrained Baseline 3.0 mode 1 at 99, MPV. */
static void caps_default(const char *addr)
{
	memset(&caps, 0, sizeof(caps));
	caps.username = "phonecore";
	caps.addr = addr;
	caps.port[PC_SDP_MEDIA_AUDIO] = 20000;
	caps.port[PC_SDP_MEDIA_VIDEO] = 20002;
	add_codec(PC_SDP_MEDIA_AUDIO, 0, "PCMU", 8000, 0, NULL);
	add_codec(PC_SDP_MEDIA_AUDIO, 8, "PCMA", 8000, 0, NULL);
	add_codec(PC_SDP_MEDIA_AUDIO, 96, "opus", 48000, 2, "useinbandfec=1");
	add_codec(PC_SDP_MEDIA_AUDIO, 101, "telephone-event", 8000, 0, "0-16");
	add_codec(PC_SDP_MEDIA_AUDIO, 100, "telephone-event", 48000, 0, "0-15");
	add_codec(PC_SDP_MEDIA_VIDEO, 99, "H264", 90000, 0,
		  "profile-level-id=42e01e;packetization-mode=1");
	add_codec(PC_SDP_MEDIA_VIDEO, 32, "MPV", 90000, 0, NULL);
	caps.ptime = 20;
	caps.dir = PC_SDP_DIR_SENDRECV;
}

static void init_neg(void)
{
	cr_assert_eq(pc_sdp_neg_init(&neg, &caps, 1000, err, sizeof(err)), 0, "%s", err);
}

/* Answer the offer @text; the answer is parsed into sdp2 for the checks. */
static void answer(const char *text)
{
	cr_assert_eq(parse(&sdp, text), 0, "offer: %s", err);
	cr_assert_eq(pc_sdp_neg_answer(&neg, &sdp, out, sizeof(out), &outlen, &res, err,
				       sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(pc_sdp_parse(&sdp2, out, outlen, err, sizeof(err)), 0, "answer: %s\n%.*s", err,
		     (int)outlen, out);
}

static void offer(bool hold)
{
	cr_assert_eq(pc_sdp_neg_offer(&neg, hold, out, sizeof(out), &outlen, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(pc_sdp_parse(&sdp2, out, outlen, err, sizeof(err)), 0, "offer: %s\n%.*s", err,
		     (int)outlen, out);
}

static void complete(const char *text)
{
	cr_assert_eq(parse(&sdp, text), 0, "answer: %s", err);
	cr_assert_eq(pc_sdp_neg_complete(&neg, &sdp, &res, err, sizeof(err)), 0, "%s", err);
}

/* RFC 4317 2.1 style: Alice offers audio 0 8 97(iLBC) and video 31 32; we share PCMU,
 * PCMA and MPV. */
static const char alice_av[] = "v=0\r\n"
			       "o=alice 2890844526 2890844526 IN IP4 host.atlanta.example.com\r\n"
			       "s=\r\n"
			       "c=IN IP4 192.0.2.101\r\n"
			       "t=0 0\r\n"
			       "m=audio 49170 RTP/AVP 0 8 97\r\n"
			       "a=rtpmap:0 PCMU/8000\r\n"
			       "a=rtpmap:8 PCMA/8000\r\n"
			       "a=rtpmap:97 iLBC/8000\r\n"
			       "m=video 51372 RTP/AVP 31 32\r\n"
			       "a=rtpmap:31 H261/90000\r\n"
			       "a=rtpmap:32 MPV/90000\r\n";

Test(sdp_neg, answer_audio_video)
{
	caps_default("192.0.2.201");
	init_neg();
	answer(alice_av);
	cr_assert_eq(res.nstreams, 2);
	cr_assert(res.s[0].active && res.s[1].active);
	cr_assert_eq(res.s[0].ncodecs, 2);
	cr_assert_eq(res.s[0].pt[0], 0);
	cr_assert_str_eq(res.s[0].codec[0]->name, "PCMU");
	cr_assert_eq(res.s[0].pt[1], 8);
	cr_assert_eq(res.s[0].clock, 8000);
	cr_assert_eq(res.s[0].ptime, 20);
	cr_assert_eq(res.s[0].te_pt, -1, "telephone-event not offered");
	cr_assert_eq(res.s[0].remote_port, 49170);
	cr_assert_eq(res.s[0].remote_rtcp_port, 49171);
	cr_assert_eq(memcmp(res.s[0].remote_ip, "\xc0\x00\x02\x65", 4), 0);
	cr_assert(res.s[0].send && res.s[0].recv);
	cr_assert_eq(res.s[0].srtp_suite, PC_SDP_CRYPTO_UNKNOWN);
	cr_assert_eq(res.s[1].ncodecs, 1);
	cr_assert_eq(res.s[1].pt[0], 32);
	cr_assert_eq(res.s[1].remote_port, 51372);
	/* The answer itself. */
	cr_assert_eq(sdp2.nmedia, 2);
	cr_assert_eq(sdp2.media[0].port, 20000);
	cr_assert_eq(sdp2.media[0].nfmt, 2);
	cr_assert_eq(sdp2.media[1].port, 20002);
	cr_assert_eq(sdp2.media[1].nfmt, 1);
	cr_assert_eq(sdp2.media[1].fmt[0].pt, 32);
	cr_assert(sl_eq(sdp2.conn.addr, "192.0.2.201"));
	cr_assert(sl_eq(sdp2.o_username, "phonecore"));
	cr_assert_eq(sdp2.sess_id, 1000);
	cr_assert_eq(sdp2.sess_version, 1000);
	cr_assert_eq(pc_sdp_media_dir(&sdp2, 0), PC_SDP_DIR_SENDRECV);
}

/* RFC 4317 2.2 style: we take audio only; video answered with port 0. */
Test(sdp_neg, answer_rejects_stream)
{
	caps_default("192.0.2.201");
	caps.port[PC_SDP_MEDIA_VIDEO] = 0;
	init_neg();
	answer(alice_av);
	cr_assert(res.s[0].active);
	cr_assert(!res.s[1].active);
	cr_assert_eq(sdp2.media[1].port, 0);
	cr_assert_eq(sdp2.media[1].type, PC_SDP_MEDIA_VIDEO);
	cr_assert_eq(sdp2.media[1].nfmt, 1, "RFC 3264 6: a rejected stream keeps one format");

	/* Nothing in common: rejected too. */
	caps_default("192.0.2.201");
	caps.ncodecs = 0;
	add_codec(PC_SDP_MEDIA_AUDIO, 9, "G722", 8000, 0, NULL);
	add_codec(PC_SDP_MEDIA_VIDEO, 32, "MPV", 90000, 0, NULL);
	init_neg();
	answer(alice_av);
	cr_assert(!res.s[0].active);
	cr_assert_eq(sdp2.media[0].port, 0);
	cr_assert(res.s[1].active);

	/* An offered port 0 stays rejected. */
	caps_default("192.0.2.201");
	init_neg();
	answer("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
	       "m=audio 4000 RTP/AVP 0\r\nm=video 0 RTP/AVP 32\r\n"
	       "m=application 9 TCP/BFCP *\r\n");
	cr_assert(res.s[0].active && !res.s[1].active && !res.s[2].active);
	cr_assert_eq(sdp2.nmedia, 3);
	cr_assert_eq(sdp2.media[1].port, 0);
	cr_assert_eq(sdp2.media[2].port, 0);
	cr_assert(sl_eq(sdp2.media[2].fmt_text, "*"));

	/* DTLS-SRTP (UDP/TLS/RTP/SAVPF) is not ours: rejected, the proto echoed. */
	init_neg();
	answer("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
	       "m=audio 4000 UDP/TLS/RTP/SAVPF 0\r\n");
	cr_assert(!res.s[0].active);
	cr_assert_eq(sdp2.media[0].proto, PC_SDP_PROTO_UDP_TLS_RTP_SAVPF);
	cr_assert_eq(sdp2.media[0].port, 0);
}

/* Our offer, and the RFC 4317 2.1 style answer from Bob (PCMU only, video MPV). */
Test(sdp_neg, offer_then_answer)
{
	caps_default("192.0.2.201");
	caps.rtcp_mux = true;
	init_neg();
	offer(false);
	cr_assert_eq(sdp2.nmedia, 2);
	cr_assert_eq(sdp2.media[0].nfmt, 5);
	cr_assert_eq(sdp2.media[0].fmt[2].pt, 96);
	cr_assert(sdp2.media[0].rtcp_mux);
	cr_assert_eq(sdp2.media[0].ptime, 20);
	cr_assert_eq(sdp2.media[0].proto, PC_SDP_PROTO_RTP_AVP);
	cr_assert_eq(sdp2.media[1].nfmt, 2);
	cr_assert_eq(pc_sdp_find_fmt(&sdp2.media[1], 99)->h264.level_idc, 0x1e);
	complete("v=0\r\no=bob 2808844564 2808844564 IN IP4 host.biloxi.example.com\r\ns=\r\n"
		 "c=IN IP4 192.0.2.102\r\nt=0 0\r\n"
		 "m=audio 49174 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
		 "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=rtcp-mux\r\n"
		 "a=ptime:30\r\n"
		 "m=video 49170 RTP/AVP 32\r\na=rtpmap:32 MPV/90000\r\n");
	cr_assert(res.s[0].active && res.s[1].active);
	cr_assert_eq(res.s[0].pt[0], 0);
	cr_assert_eq(res.s[0].te_pt, 101);
	cr_assert_eq(res.s[0].te_events, 0xffff);
	cr_assert(res.s[0].rtcp_mux);
	cr_assert_eq(res.s[0].remote_rtcp_port, 49174);
	cr_assert_eq(res.s[0].ptime, 30);
	cr_assert(res.s[0].send && res.s[0].recv);
	cr_assert_eq(res.s[1].pt[0], 32);
	cr_assert(!res.s[1].rtcp_mux);
	cr_assert_eq(res.s[1].remote_rtcp_port, 49171);

	/* Errors: no offer pending any more. */
	cr_assert_eq(pc_sdp_neg_complete(&neg, &sdp, &res, err, sizeof(err)), -EPROTO);
}

Test(sdp_neg, complete_rejections)
{
	caps_default("192.0.2.201");
	init_neg();
	offer(false);
	/* A payload type we did not offer. */
	cr_assert_eq(parse(&sdp, "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n"
				 "t=0 0\r\nm=audio 4000 RTP/AVP 18\r\nm=video 0 RTP/AVP 32\r\n"),
		     0);
	cr_assert_eq(pc_sdp_neg_complete(&neg, &sdp, &res, err, sizeof(err)), -EPROTO);
	cr_assert(strstr(err, "payload type 18 was not offered"), "%s", err);
	/* A different number of m-lines. */
	cr_assert_eq(parse(&sdp, "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n"
				 "t=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"),
		     0);
	cr_assert_eq(pc_sdp_neg_complete(&neg, &sdp, &res, err, sizeof(err)), -EPROTO);
	/* The video answered with port 0 stays rejected in the next offer. */
	complete("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n"
		 "t=0 0\r\nm=audio 4000 RTP/AVP 8\r\nm=video 0 RTP/AVP 32\r\n");
	cr_assert(res.s[0].active && !res.s[1].active);
	cr_assert_eq(res.s[0].pt[0], 8);
	offer(false);
	cr_assert_eq(sdp2.nmedia, 2);
	cr_assert_eq(sdp2.media[1].port, 0);
}

/* Hold and resume from our side (RFC 3264 8.4), with sess-version going up on each change. */
Test(sdp_neg, hold_resume_ours)
{
	static const char bob[] = "v=0\r\no=bob 1 1 IN IP4 192.0.2.102\r\ns=-\r\n"
				  "c=IN IP4 192.0.2.102\r\nt=0 0\r\n"
				  "m=audio 49174 RTP/AVP 0\r\nm=video 49176 RTP/AVP 32\r\n";
	static const char bob_recvonly[] = "v=0\r\no=bob 1 2 IN IP4 192.0.2.102\r\ns=-\r\n"
					   "c=IN IP4 192.0.2.102\r\nt=0 0\r\n"
					   "m=audio 49174 RTP/AVP 0\r\na=recvonly\r\n"
					   "m=video 49176 RTP/AVP 32\r\n";

	caps_default("192.0.2.201");
	init_neg();
	offer(false);
	cr_assert_eq(sdp2.sess_version, 1000);
	complete(bob);
	/* The same offer again: same version (RFC 3264 8). */
	offer(false);
	cr_assert_eq(sdp2.sess_version, 1000);
	complete(bob);
	offer(true);
	cr_assert_eq(sdp2.sess_version, 1001);
	cr_assert_eq(sdp2.media[0].dir, PC_SDP_DIR_SENDONLY);
	cr_assert(!sdp2.conn.hold, "no c=0.0.0.0 unless asked");
	complete(bob_recvonly);
	cr_assert(res.s[0].send && !res.s[0].recv);
	offer(false);
	cr_assert_eq(sdp2.sess_version, 1002);
	cr_assert_eq(sdp2.media[0].dir, PC_SDP_DIR_SENDRECV);
	complete(bob);
	cr_assert(res.s[0].send && res.s[0].recv);

	/* RFC 2543 style as an option. */
	caps.hold_c0 = true;
	offer(true);
	cr_assert(sdp2.conn.hold);
	cr_assert_eq(sdp2.sess_version, 1003);
}

static void alice_offer(char *text, size_t size, int version, const char *addr, const char *attr)
{
	snprintf(text, size,
		 "v=0\r\no=alice 5 %d IN IP4 192.0.2.101\r\ns=-\r\n"
		 "c=IN IP4 %s\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0\r\n%s",
		 version, addr, attr);
}

/* Hold from the remote: sendonly -> recvonly, inactive -> inactive, c=0.0.0.0, recvonly. */
Test(sdp_neg, hold_resume_theirs)
{
	char text[512];

	caps_default("192.0.2.201");
	init_neg();
	alice_offer(text, sizeof(text), 1, "192.0.2.101", "");
	answer(text);
	cr_assert(res.s[0].send && res.s[0].recv);
	cr_assert_eq(sdp2.sess_version, 1000);

	alice_offer(text, sizeof(text), 2, "192.0.2.101", "a=sendonly\r\n");
	answer(text);
	cr_assert_eq(sdp2.media[0].dir, PC_SDP_DIR_RECVONLY);
	cr_assert(!res.s[0].send && res.s[0].recv);
	cr_assert_eq(sdp2.sess_version, 1001);

	alice_offer(text, sizeof(text), 3, "192.0.2.101", "a=inactive\r\n");
	answer(text);
	cr_assert_eq(sdp2.media[0].dir, PC_SDP_DIR_INACTIVE);
	cr_assert(!res.s[0].send && !res.s[0].recv);

	alice_offer(text, sizeof(text), 4, "192.0.2.101", "a=recvonly\r\n");
	answer(text);
	cr_assert_eq(sdp2.media[0].dir, PC_SDP_DIR_SENDONLY);
	cr_assert(res.s[0].send && !res.s[0].recv);

	alice_offer(text, sizeof(text), 5, "0.0.0.0", "");
	answer(text);
	cr_assert(res.s[0].remote_hold);
	cr_assert_eq(sdp2.media[0].dir, PC_SDP_DIR_RECVONLY);
	cr_assert(!res.s[0].send && res.s[0].recv);

	alice_offer(text, sizeof(text), 6, "192.0.2.101", "a=sendrecv\r\n");
	answer(text);
	cr_assert_eq(sdp2.media[0].dir, PC_SDP_DIR_SENDRECV);
	cr_assert(res.s[0].send && res.s[0].recv);
	cr_assert_eq(sdp2.sess_version, 1005);

	/* A session-level direction counts for every m-line. */
	answer("v=0\r\no=alice 5 7 IN IP4 192.0.2.101\r\ns=-\r\nc=IN IP4 192.0.2.101\r\n"
	       "t=0 0\r\na=sendonly\r\nm=audio 49170 RTP/AVP 0\r\n");
	cr_assert(!res.s[0].send && res.s[0].recv);

	/* A preferred direction of ours: recvonly answers a sendrecv offer. */
	caps.dir = PC_SDP_DIR_RECVONLY;
	alice_offer(text, sizeof(text), 8, "192.0.2.101", "");
	answer(text);
	cr_assert_eq(sdp2.media[0].dir, PC_SDP_DIR_RECVONLY);

	/* A re-offer that drops an m-line is a protocol error (RFC 3264 8). */
	cr_assert_eq(parse(&sdp, "v=0\r\no=alice 5 9 IN IP4 192.0.2.101\r\ns=-\r\nt=0 0\r\n"), 0);
	cr_assert_eq(pc_sdp_neg_answer(&neg, &sdp, out, sizeof(out), &outlen, &res, err,
				       sizeof(err)),
		     -EPROTO);
}

/* Dynamic payload types: the answer keeps the offerer's numbers; telephone-event follows
 * the primary codec's clock. */
Test(sdp_neg, different_payload_numbers)
{
	caps_default("192.0.2.201");
	init_neg();
	answer("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
	       "m=audio 4000 RTP/AVP 111 0 126 110\r\n"
	       "a=rtpmap:111 OPUS/48000/2\r\na=fmtp:111 useinbandfec=1\r\n"
	       "a=rtpmap:126 telephone-event/8000\r\n"
	       "a=rtpmap:110 telephone-event/48000\r\na=fmtp:110 0-11\r\n");
	cr_assert(res.s[0].active);
	cr_assert_eq(res.s[0].ncodecs, 2);
	cr_assert_eq(res.s[0].pt[0], 111);
	cr_assert_str_eq(res.s[0].codec[0]->name, "opus");
	cr_assert_eq(res.s[0].clock, 48000);
	cr_assert_eq(res.s[0].channels, 2);
	cr_assert_eq(res.s[0].te_pt, 110);
	cr_assert_eq(res.s[0].te_events, 0xfff);
	cr_assert_eq(sdp2.media[0].nfmt, 3);
	cr_assert_eq(sdp2.media[0].fmt[0].pt, 111);
	cr_assert_eq(sdp2.media[0].fmt[1].pt, 0);
	cr_assert_eq(sdp2.media[0].fmt[2].pt, 110);
	cr_assert(sl_eq(sdp2.media[0].fmt[2].encoding, "telephone-event"));
	cr_assert_eq(sdp2.media[0].fmt[2].clock, 48000);
	cr_assert_null(pc_sdp_find_fmt(&sdp2.media[0], 96), "our own number not used");

	/* PCMU first: telephone-event at 8000. A dynamic type without rtpmap matches nothing. */
	answer("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
	       "m=audio 4000 RTP/AVP 98 0 111 126 110\r\n"
	       "a=rtpmap:111 opus/48000/2\r\na=rtpmap:126 telephone-event/8000\r\n"
	       "a=rtpmap:110 telephone-event/48000\r\n");
	cr_assert_eq(res.s[0].pt[0], 0);
	cr_assert_eq(res.s[0].te_pt, 126);
	cr_assert_eq(res.s[0].te_events, 0xffff, "0-15 by default, ours 0-16");
	/* opus with one channel is not our opus/48000/2. */
	answer("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
	       "m=audio 4000 RTP/AVP 111\r\na=rtpmap:111 opus/48000\r\n");
	cr_assert(!res.s[0].active);
}

#define SRTP_OFFER(proto, cryptos)                                                  \
	"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n" \
	"m=audio 4000 " proto " 0\r\n" cryptos
#define CRYPTO32 \
	"a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj\r\n"
#define CRYPTO80 \
	"a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|5:2\r\n"

Test(sdp_neg, crypto_selection)
{
	/* We support only _80: the first offered suite we support is tag 2. */
	caps_default("192.0.2.201");
	caps.srtp = PC_SDP_SRTP_MANDATORY;
	caps.ncrypto = 1;
	caps.crypto[0].suite = PC_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_80;
	memcpy(caps.crypto[0].key, key80, 30);
	init_neg();
	answer(SRTP_OFFER("RTP/SAVP", CRYPTO32 CRYPTO80));
	cr_assert(res.s[0].active);
	cr_assert_eq(res.s[0].srtp_suite, PC_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_80);
	cr_assert_eq(res.s[0].crypto_tag, 2);
	cr_assert_eq(res.s[0].key_len, 30);
	cr_assert_eq(memcmp(res.s[0].remote_key, "=-n@%^x!", 8), 0);
	cr_assert_eq(memcmp(res.s[0].local_key, key80, 30), 0);
	cr_assert(res.s[0].remote_has_mki);
	cr_assert_eq(res.s[0].remote_mki, 5);
	cr_assert_eq(res.s[0].remote_mki_len, 2);
	cr_assert_eq(sdp2.media[0].proto, PC_SDP_PROTO_RTP_SAVP);
	cr_assert_eq(sdp2.media[0].ncrypto, 1);
	cr_assert_eq(sdp2.media[0].crypto[0].tag, 2);
	cr_assert_eq(memcmp(sdp2.media[0].crypto[0].keys[0].key, key80, 30), 0);

	/* We support both, preferring _32: the offer's order decides (tag 1). */
	caps.ncrypto = 2;
	caps.crypto[1] = caps.crypto[0];
	caps.crypto[0].suite = PC_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_32;
	memcpy(caps.crypto[0].key, key32, 30);
	init_neg();
	answer(SRTP_OFFER("RTP/SAVP", CRYPTO32 CRYPTO80));
	cr_assert_eq(res.s[0].crypto_tag, 1);
	cr_assert_eq(res.s[0].srtp_suite, PC_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_32);
	cr_assert_eq(memcmp(res.s[0].local_key, key32, 30), 0);

	/* Mandatory SRTP and an offer without crypto: rejected. */
	answer(SRTP_OFFER("RTP/AVP", ""));
	cr_assert(!res.s[0].active);
	cr_assert_eq(sdp2.media[0].port, 0);

	/* Optional SRTP: crypto over RTP/AVP taken (best effort), none means plain RTP. */
	caps.srtp = PC_SDP_SRTP_OPTIONAL;
	init_neg();
	answer(SRTP_OFFER("RTP/AVP", CRYPTO80));
	cr_assert(res.s[0].active);
	cr_assert_eq(res.s[0].srtp_suite, PC_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_80);
	cr_assert_eq(sdp2.media[0].proto, PC_SDP_PROTO_RTP_AVP);
	answer(SRTP_OFFER("RTP/AVP", ""));
	cr_assert(res.s[0].active);
	cr_assert_eq(res.s[0].srtp_suite, PC_SDP_CRYPTO_UNKNOWN);
	cr_assert_eq(sdp2.media[0].ncrypto, 0);

	/* SRTP off: an RTP/SAVP stream is rejected. */
	caps.srtp = PC_SDP_SRTP_OFF;
	init_neg();
	answer(SRTP_OFFER("RTP/SAVP", CRYPTO80));
	cr_assert(!res.s[0].active);
}

/* RFC 7714 AEAD suites: 28- and 44-octet keys, chosen like the others. */
Test(sdp_neg, crypto_gcm)
{
	static uint8_t k256[44];

	for (unsigned i = 0; i < sizeof(k256); i++)
		k256[i] = (uint8_t)(0xa0 + i);
	caps_default("192.0.2.201");
	caps.srtp = PC_SDP_SRTP_MANDATORY;
	caps.ncrypto = 1;
	caps.crypto[0].suite = PC_SDP_CRYPTO_AEAD_AES_256_GCM;
	memcpy(caps.crypto[0].key, k256, sizeof(k256));
	init_neg();
	answer(SRTP_OFFER(
		"RTP/SAVP",
		"a=crypto:1 AEAD_AES_128_GCM inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw==\r\n"
		"a=crypto:2 AEAD_AES_256_GCM "
		"inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKis=\r\n"));
	cr_assert(res.s[0].active);
	cr_assert_eq(res.s[0].srtp_suite, PC_SDP_CRYPTO_AEAD_AES_256_GCM);
	cr_assert_eq(res.s[0].crypto_tag, 2);
	cr_assert_eq(res.s[0].key_len, 44);
	cr_assert_eq(res.s[0].remote_key[43], 43);
	cr_assert_eq(memcmp(res.s[0].local_key, k256, 44), 0);
	cr_assert_eq(sdp2.media[0].crypto[0].keys[0].len, 44);
	cr_assert_eq(memcmp(sdp2.media[0].crypto[0].keys[0].key, k256, 44), 0);
	/* A 128-bit GCM key of the wrong length does not parse. */
	cr_assert_eq(parse(&sdp, SRTP_OFFER("RTP/SAVP",
					    "a=crypto:1 AEAD_AES_128_GCM "
					    "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n")),
		     -EBADMSG);
	cr_assert(strstr(err, "30 octets, AEAD_AES_128_GCM takes 28"), "%s", err);
}

Test(sdp_neg, crypto_offer_and_answer)
{
	caps_default("192.0.2.201");
	caps.srtp = PC_SDP_SRTP_MANDATORY;
	caps.ncrypto = 2;
	caps.crypto[0].suite = PC_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_80;
	memcpy(caps.crypto[0].key, key80, 30);
	caps.crypto[1].suite = PC_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_32;
	memcpy(caps.crypto[1].key, key32, 30);
	caps.port[PC_SDP_MEDIA_VIDEO] = 0;
	init_neg();
	offer(false);
	cr_assert_eq(sdp2.nmedia, 1);
	cr_assert_eq(sdp2.media[0].proto, PC_SDP_PROTO_RTP_SAVP);
	cr_assert_eq(sdp2.media[0].ncrypto, 2);
	cr_assert_eq(sdp2.media[0].crypto[1].tag, 2);
	cr_assert_eq(memcmp(sdp2.media[0].crypto[1].keys[0].key, key32, 30), 0);
	complete(SRTP_OFFER("RTP/SAVP", "a=crypto:2 AES_CM_128_HMAC_SHA1_32 "
					"inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj\r\n"));
	cr_assert_eq(res.s[0].srtp_suite, PC_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_32);
	cr_assert_eq(memcmp(res.s[0].local_key, key32, 30), 0);
	cr_assert_eq(memcmp(res.s[0].remote_key, "70x", 3), 0);
	/* An answer with a tag we never offered, or none at all for RTP/SAVP. */
	offer(false);
	cr_assert_eq(parse(&sdp,
			   SRTP_OFFER("RTP/SAVP", "a=crypto:3 AES_CM_128_HMAC_SHA1_32 "
						  "inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj"
						  "\r\n")),
		     0);
	cr_assert_eq(pc_sdp_neg_complete(&neg, &sdp, &res, err, sizeof(err)), -EPROTO);
	cr_assert(strstr(err, "tag 3"), "%s", err);
	cr_assert_eq(parse(&sdp, SRTP_OFFER("RTP/SAVP", "")), 0);
	cr_assert_eq(pc_sdp_neg_complete(&neg, &sdp, &res, err, sizeof(err)), -EPROTO);
}

/* RFC 6184 8.2.2: same profile and packetization-mode; the answer's level is no higher than
 * the offer's. */
Test(sdp_neg, h264_matching)
{
	caps_default("192.0.2.201");
	caps.port[PC_SDP_MEDIA_AUDIO] = 0;
	init_neg();
	answer("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
	       "m=video 5000 RTP/AVP 100 98 97\r\n"
	       "a=rtpmap:100 H264/90000\r\na=fmtp:100 profile-level-id=640c1f;packetization-mode=1\r\n"
	       "a=rtpmap:98 H264/90000\r\na=fmtp:98 profile-level-id=42e01f\r\n"
	       "a=rtpmap:97 H264/90000\r\n"
	       "a=fmtp:97 profile-level-id=42e01f;packetization-mode=1;max-fs=8160\r\n");
	cr_assert(res.s[0].active);
	cr_assert_eq(res.s[0].ncodecs, 1, "High and mode 0 do not match ours");
	cr_assert_eq(res.s[0].pt[0], 97);
	cr_assert_eq(res.s[0].h264.profile_idc, 0x42);
	cr_assert_eq(res.s[0].h264.level_idc, 0x1e, "ours (3.0) is lower than offered (3.1)");
	cr_assert_eq(res.s[0].h264.packetization_mode, 1);
	cr_assert_eq(res.s[0].h264.max_fs, 8160);
	cr_assert_eq(sdp2.media[0].nfmt, 1);
	cr_assert_eq(sdp2.media[0].fmt[0].h264.level_idc, 0x1e);
	cr_assert_eq(sdp2.media[0].fmt[0].h264.profile_iop, 0xe0);
	cr_assert_eq(sdp2.media[0].fmt[0].h264.packetization_mode, 1);

	/* An offered level below ours is kept. */
	answer("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
	       "m=video 5000 RTP/AVP 97\r\na=rtpmap:97 H264/90000\r\n"
	       "a=fmtp:97 profile-level-id=42800d;packetization-mode=1\r\n");
	cr_assert_eq(res.s[0].h264.level_idc, 0x0d);
	cr_assert(sl_eq(sdp2.media[0].fmt[0].fmtp, "profile-level-id=42800d;packetization-mode=1"));

	/* Only mode 0 offered: nothing in common with our mode 1. */
	answer("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
	       "m=video 5000 RTP/AVP 97\r\na=rtpmap:97 H264/90000\r\n"
	       "a=fmtp:97 profile-level-id=42e01f\r\n");
	cr_assert(!res.s[0].active);

	/* Our offer and an answer at a lower level. */
	caps_default("192.0.2.201");
	caps.port[PC_SDP_MEDIA_AUDIO] = 0;
	init_neg();
	offer(false);
	complete("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
		 "m=video 5000 RTP/AVP 99\r\na=rtpmap:99 H264/90000\r\n"
		 "a=fmtp:99 profile-level-id=42e015;packetization-mode=1\r\n");
	cr_assert(res.s[0].active);
	cr_assert_eq(res.s[0].h264.level_idc, 0x15);
}

Test(sdp_neg, ipv6)
{
	uint8_t ip6[16];

	caps_default("2001:db8::201");
	init_neg();
	answer("v=0\r\no=- 1 1 IN IP6 2001:db8::1\r\ns=-\r\nc=IN IP6 2001:db8::1\r\nt=0 0\r\n"
	       "m=audio 4000 RTP/AVP 8\r\n");
	cr_assert_eq(sdp2.conn.addrtype, PC_SDP_ADDR_IP6);
	cr_assert(sl_eq(sdp2.conn.addr, "2001:db8::201"));
	cr_assert_eq(sdp2.o_addrtype, PC_SDP_ADDR_IP6);
	cr_assert_eq(res.s[0].addrtype, PC_SDP_ADDR_IP6);
	cr_assert_eq(inet_pton(AF_INET6, "2001:db8::1", ip6), 1);
	cr_assert_eq(memcmp(res.s[0].remote_ip, ip6, 16), 0);
	cr_assert_eq(res.s[0].pt[0], 8);
	/* Hold by c= on IPv6 uses "::". */
	caps.hold_c0 = true;
	offer(true);
	cr_assert(sl_eq(sdp2.conn.addr, "::"));
}

Test(sdp_neg, rtcp_mux_and_feedback)
{
	caps_default("192.0.2.201");
	caps.rtcp_mux = true;
	caps.rtcp_fb = PC_SDP_FB_NACK | PC_SDP_FB_NACK_PLI | PC_SDP_FB_CCM_FIR;
	caps.avpf = true;
	init_neg();
	answer("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
	       "m=audio 4000 RTP/AVP 0\r\na=rtcp:4005 IN IP4 192.0.2.9\r\n"
	       "m=video 5000 RTP/AVPF 97\r\na=rtpmap:97 H264/90000\r\n"
	       "a=fmtp:97 profile-level-id=42e01f;packetization-mode=1\r\na=rtcp-mux\r\n"
	       "a=rtcp-fb:* nack\r\na=rtcp-fb:97 nack pli\r\na=rtcp-fb:97 goog-remb\r\n"
	       "a=mid:v1\r\n");
	cr_assert(!res.s[0].rtcp_mux);
	cr_assert_eq(res.s[0].remote_rtcp_port, 4005);
	cr_assert_eq(memcmp(res.s[0].remote_rtcp_ip, "\xc0\x00\x02\x09", 4), 0);
	cr_assert(!sdp2.media[0].rtcp_mux, "not offered, not answered");
	cr_assert(res.s[1].rtcp_mux);
	cr_assert_eq(res.s[1].remote_rtcp_port, 5000);
	cr_assert(sdp2.media[1].rtcp_mux);
	cr_assert_eq(res.s[1].rtcp_fb, PC_SDP_FB_NACK | PC_SDP_FB_NACK_PLI);
	cr_assert_eq(pc_sdp_fb_flags(&sdp2.media[1], 97), PC_SDP_FB_NACK | PC_SDP_FB_NACK_PLI);
	cr_assert_eq(sdp2.media[1].proto, PC_SDP_PROTO_RTP_AVPF);
	cr_assert(sl_eq(sdp2.media[1].mid, "v1"));

	/* Our offer: AVPF video with a=rtcp-fb:* lines. */
	init_neg();
	offer(false);
	cr_assert_eq(sdp2.media[1].proto, PC_SDP_PROTO_RTP_AVPF);
	cr_assert_eq(sdp2.media[0].proto, PC_SDP_PROTO_RTP_AVP);
	cr_assert_eq(pc_sdp_fb_flags(&sdp2.media[1], 99),
		     PC_SDP_FB_NACK | PC_SDP_FB_NACK_PLI | PC_SDP_FB_CCM_FIR);
	complete("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
		 "m=audio 4000 RTP/AVP 0\r\n"
		 "m=video 5000 RTP/AVPF 99\r\na=rtpmap:99 H264/90000\r\n"
		 "a=fmtp:99 profile-level-id=42e01e;packetization-mode=1\r\na=rtcp-mux\r\n"
		 "a=rtcp-fb:99 ccm fir\r\n");
	cr_assert(res.s[1].rtcp_mux);
	cr_assert_eq(res.s[1].rtcp_fb, PC_SDP_FB_CCM_FIR);
	cr_assert(!res.s[0].rtcp_mux);
}

Test(sdp_neg, init_and_buffer_errors)
{
	caps_default("not-an-address");
	cr_assert_eq(pc_sdp_neg_init(&neg, &caps, 1, err, sizeof(err)), -EINVAL);
	caps_default("192.0.2.1");
	caps.codecs[5].fmtp = "profile-level-id=zz";
	cr_assert_eq(pc_sdp_neg_init(&neg, &caps, 1, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "H264"), "%s", err);
	caps_default("192.0.2.1");
	caps.srtp = PC_SDP_SRTP_MANDATORY;
	cr_assert_eq(pc_sdp_neg_init(&neg, &caps, 1, err, sizeof(err)), -EINVAL);
	caps_default("192.0.2.1");
	init_neg();
	cr_assert_eq(pc_sdp_neg_offer(&neg, false, out, 100, &outlen, err, sizeof(err)), -ENOSPC);
	offer(false);
	cr_assert_eq(sdp2.sess_version, 1000, "a failed print does not bump the version");
}
