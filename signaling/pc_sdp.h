/* SPDX-License-Identifier: MIT */
/*
 * pc_sdp.h - SDP (RFC 4566) parser and printer, and the RFC 3264 offer/answer model.
 *
 * Parser: pc_sdp_parse() reads one session description in place into a bounded view (struct
 * pc_sdp) of slices into the caller's buffer, with decoded numbers next to them. No allocation,
 * no copy, no read past the length given (the buffer need not be NUL-terminated). Lines end in
 * CRLF or LF (the last one may lack it); each is "<letter>=<value>". What it reads:
 *   v= (must be first, "0"), o= (second: username, sess-id, sess-version, IN, IP4/IP6, address),
 *   s= (third; empty accepted, as RFC 4317 writes it), i= u= e= p= r= z= k= (accepted, not
 *   kept), c= (session and media level: IN IP4/IP6 address, IPv4 "/ttl[/n]" and IPv6 "/n"
 *   suffixes; 0.0.0.0 flagged as RFC 2543 hold; a name that is no address literal is kept as
 *   an FQDN, unless its last label is all digits: a mistyped IPv4 literal), b= (kept), t= (the
 *   first one decoded), m= (media, port[/n], proto, formats; RTP protos RTP/AVP, RTP/SAVP,
 *   RTP/AVPF, RTP/SAVPF, UDP/TLS/RTP/SAVPF decode their formats as payload types 0-127, other
 *   protos keep the format list as text), and a= lines:
 *   rtpmap, fmtp (raw text kept; H.264 profile-level-id, packetization-mode, max-fs, max-mbps,
 *   max-br; telephone-event events 0-16 as a mask; opus stereo, sprop-stereo, useinbandfec,
 *   usedtx, cbr, maxplaybackrate, maxaveragebitrate, minptime decoded), ptime, maxptime, rtcp
 *   (port and optional address), rtcp-mux, rtcp-fb (nack, nack pli, ccm fir, trr-int, goog-remb
 *   decoded, any other kept as text), sendrecv/sendonly/recvonly/inactive (session and media),
 *   crypto (RFC 4568: tag, suite, one or more inline key params with base64 key||salt,
 *   |lifetime as 2^n or decimal, |MKI:length; session params kept as text), mid, ssrc (kept as
 *   text); any other attribute is kept as name and value.
 * Checks: o=, s= and at least one t= present; every media with a non-zero port has a c= (its
 * own or the session's); numbers in range; a known crypto suite's key has its length.
 *
 * Printer: pc_sdp_print() writes a struct pc_sdp (parsed, or built by the offer/answer code
 * below) as text with CRLF line ends into a bounded buffer.
 *
 * Offer/answer (RFC 3264): struct pc_sdp_neg holds the state of one session's SDP (one per
 * dialog): our capabilities (struct pc_sdp_caps), o= identifiers and the m-lines agreed so far.
 * pc_sdp_neg_offer() builds an offer (initial, re-offer, hold, resume), pc_sdp_neg_answer()
 * answers a remote offer, pc_sdp_neg_complete() reads the remote answer to our offer; the last
 * two fill a struct pc_sdp_result: per m-line what the media side needs.
 *
 * Thread context: any; the functions keep no state outside the structures passed. None
 * allocates. Slices in a parsed struct pc_sdp point into the parsed buffer, which must outlive
 * it; slices in a built one point into the caps, the struct pc_sdp_neg or the remote offer.
 */
#ifndef PC_SDP_H
#define PC_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pc_sip_msg.h" /* struct pc_sip_slice */

#ifdef __cplusplus
extern "C" {
#endif

/* Limits: a larger description, a longer line or more items are rejected with -E2BIG. */
#define PC_SDP_MAX_LEN 16384
#define PC_SDP_MAX_LINE 1024
#define PC_SDP_MAX_MEDIA 8
#define PC_SDP_MAX_FMT 32	 /* formats (payload types) per m-line */
#define PC_SDP_MAX_BW 2		 /* b= lines per level */
#define PC_SDP_MAX_RTCPFB 64	 /* a=rtcp-fb per m-line */
#define PC_SDP_MAX_CRYPTO 4	 /* a=crypto per m-line */
#define PC_SDP_MAX_CRYPTO_KEYS 2 /* inline key params per a=crypto */
#define PC_SDP_MAX_SSRC 16	 /* a=ssrc per m-line */
#define PC_SDP_MAX_ATTR 32	 /* other attributes per level */
#define PC_SDP_KEY_MAX 46	 /* key||salt octets: 32 + 14 */
/* Room for the one-line reason of a rejection, NUL included (longer ones are cut). */
#define PC_SDP_ERR_MAX 160

enum pc_sdp_media_type {
	PC_SDP_MEDIA_AUDIO = 0,
	PC_SDP_MEDIA_VIDEO,
	PC_SDP_MEDIA_TEXT,
	PC_SDP_MEDIA_APPLICATION,
	PC_SDP_MEDIA_MESSAGE,
	PC_SDP_MEDIA_OTHER, /* the name is in pc_sdp_media.type_name */
	PC_SDP_MEDIA__COUNT
};

enum pc_sdp_proto {
	PC_SDP_PROTO_RTP_AVP = 0,
	PC_SDP_PROTO_RTP_SAVP,
	PC_SDP_PROTO_RTP_AVPF,
	PC_SDP_PROTO_RTP_SAVPF,
	PC_SDP_PROTO_UDP_TLS_RTP_SAVPF,
	PC_SDP_PROTO_OTHER, /* the name is in pc_sdp_media.proto_name; formats kept as text */
};

/* Direction attributes (RFC 3264 5.1). NONE: no attribute at this level. */
enum pc_sdp_dir {
	PC_SDP_DIR_NONE = 0,
	PC_SDP_DIR_SENDRECV,
	PC_SDP_DIR_SENDONLY,
	PC_SDP_DIR_RECVONLY,
	PC_SDP_DIR_INACTIVE,
};

enum pc_sdp_addrtype {
	PC_SDP_ADDR_NONE = 0,
	PC_SDP_ADDR_IP4,
	PC_SDP_ADDR_IP6,
};

/* SRTP crypto suites of RFC 4568 and RFC 7714. UNKNOWN: the name is kept, the key not checked. */
enum pc_sdp_crypto_suite {
	PC_SDP_CRYPTO_UNKNOWN = 0,
	PC_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_80,
	PC_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_32,
	PC_SDP_CRYPTO_AEAD_AES_128_GCM,
	PC_SDP_CRYPTO_AEAD_AES_256_GCM,
	PC_SDP_CRYPTO__COUNT
};

/* rtcp-fb kinds (RFC 4585, RFC 5104, draft-alvestrand-rmcat-remb), as bits. */
#define PC_SDP_FB_NACK (1u << 0)
#define PC_SDP_FB_NACK_PLI (1u << 1)
#define PC_SDP_FB_CCM_FIR (1u << 2)
#define PC_SDP_FB_TRR_INT (1u << 3)
#define PC_SDP_FB_GOOG_REMB (1u << 4)
#define PC_SDP_FB_OTHER (1u << 5)

/* c= (RFC 4566 5.7). */
struct pc_sdp_conn {
	enum pc_sdp_addrtype addrtype; /* NONE: no c= line at this level */
	struct pc_sip_slice addr;      /* the address as written, without /ttl and /n */
	bool is_fqdn;		       /* not an address literal: ip[] not filled */
	bool hold;		       /* IN IP4 0.0.0.0: RFC 2543 hold */
	uint8_t ip[16];		       /* 4 (IP4) or 16 (IP6) octets, network order */
	uint16_t ttl;		       /* IP4 multicast /ttl, else 0 */
	uint16_t naddr;		       /* /n, else 1 */
};

/* b= (RFC 4566 5.8): "bwtype:bandwidth". */
struct pc_sdp_bw {
	struct pc_sip_slice type; /* "AS", "CT", "TIAS", ... */
	uint32_t value;
};

/* Decoded H.264 fmtp parameters (RFC 6184 8.1). */
struct pc_sdp_h264 {
	bool has_profile_level_id;
	uint8_t profile_idc, profile_iop, level_idc; /* default 42 00 0a (Baseline 1.0) */
	uint8_t packetization_mode;		     /* 0 (default), 1 or 2 */
	uint32_t max_fs, max_mbps, max_br;	     /* 0 when absent */
};

/* Decoded opus fmtp parameters (RFC 7587 6.1); -1 / 0 when absent. */
struct pc_sdp_opus {
	int8_t stereo, sprop_stereo, useinbandfec, usedtx, cbr;
	uint32_t maxplaybackrate, maxaveragebitrate, minptime;
};

/* A format of an RTP m-line, with its rtpmap and fmtp when present. */
struct pc_sdp_fmt {
	uint8_t pt; /* 0-127 */
	bool has_rtpmap;
	struct pc_sip_slice encoding; /* rtpmap encoding name ("PCMU", "H264", ...) */
	uint32_t clock;		      /* rtpmap clock rate */
	uint8_t channels;	      /* rtpmap encoding parameters, 0 when absent */
	bool has_fmtp;
	struct pc_sip_slice fmtp; /* the fmtp parameters as written, printed back as they are */
	/* Decoded from fmtp according to the encoding name (rtpmap must come first). */
	struct pc_sdp_h264 h264;
	struct pc_sdp_opus opus;
	uint32_t events; /* telephone-event: bit n set for event n (0-16 only; 0-15 default) */
};

/* a=rtcp-fb:<pt|*> <type> [<param>] (RFC 4585 4.2). */
struct pc_sdp_rtcpfb {
	int16_t pt;		  /* -1: "*" */
	unsigned kind;		  /* one PC_SDP_FB_* bit */
	uint32_t trr_int;	  /* for PC_SDP_FB_TRR_INT */
	struct pc_sip_slice text; /* the value after "<pt> " as written */
};

/* One key-param of a=crypto: inline:<key||salt>[|lifetime][|MKI:length]. */
struct pc_sdp_crypto_key {
	uint8_t key[PC_SDP_KEY_MAX]; /* key || salt, decoded */
	uint8_t len;
	bool has_lifetime;
	uint8_t lifetime_log2; /* lifetime written as 2^n: n, else 0 */
	uint64_t lifetime;     /* lifetime in packets (2^n or decimal, n < 64) */
	bool has_mki;
	uint64_t mki;	 /* MKI value */
	uint8_t mki_len; /* MKI length in octets, 1-128 */
};

/* a=crypto (RFC 4568 9.1). */
struct pc_sdp_crypto {
	uint32_t tag; /* 1-9 digits */
	enum pc_sdp_crypto_suite suite;
	struct pc_sip_slice suite_name;
	unsigned nkeys;
	struct pc_sdp_crypto_key keys[PC_SDP_MAX_CRYPTO_KEYS];
	struct pc_sip_slice session_params; /* what follows the key params, "" if none */
};

/* Any other attribute: a=<name>[:<value>]. */
struct pc_sdp_attr {
	struct pc_sip_slice name;
	bool has_value;
	struct pc_sip_slice value;
};

struct pc_sdp_media {
	enum pc_sdp_media_type type;
	struct pc_sip_slice type_name;
	uint16_t port;	 /* 0: rejected or disabled stream */
	uint16_t nports; /* port/n, 1 when absent */
	enum pc_sdp_proto proto;
	struct pc_sip_slice proto_name;
	unsigned nfmt;
	struct pc_sdp_fmt fmt[PC_SDP_MAX_FMT]; /* RTP protos: in m-line order */
	struct pc_sip_slice fmt_text;	       /* the format list as written */

	struct pc_sdp_conn conn; /* media-level c= (addrtype NONE: use the session's) */
	unsigned nbw;
	struct pc_sdp_bw bw[PC_SDP_MAX_BW];
	enum pc_sdp_dir dir;	  /* NONE: the session's, or sendrecv */
	uint32_t ptime, maxptime; /* ms, 0 when absent */
	bool has_rtcp;
	uint16_t rtcp_port;
	struct pc_sdp_conn rtcp_conn; /* addrtype NONE when a=rtcp gave no address */
	bool rtcp_mux;
	unsigned nrtcpfb;
	struct pc_sdp_rtcpfb rtcpfb[PC_SDP_MAX_RTCPFB];
	unsigned ncrypto;
	struct pc_sdp_crypto crypto[PC_SDP_MAX_CRYPTO];
	struct pc_sip_slice mid; /* len 0 when absent */
	unsigned nssrc;
	struct pc_sip_slice ssrc[PC_SDP_MAX_SSRC]; /* a=ssrc values as written */
	unsigned nattr;
	struct pc_sdp_attr attr[PC_SDP_MAX_ATTR];
};

struct pc_sdp {
	/* o= */
	struct pc_sip_slice o_username;
	uint64_t sess_id, sess_version;
	enum pc_sdp_addrtype o_addrtype;
	struct pc_sip_slice o_addr;
	struct pc_sip_slice session_name; /* s= */
	struct pc_sdp_conn conn;	  /* session-level c= */
	unsigned nbw;
	struct pc_sdp_bw bw[PC_SDP_MAX_BW];
	uint64_t t_start, t_stop; /* the first t= */
	enum pc_sdp_dir dir;	  /* session-level direction, NONE when absent */
	unsigned nattr;
	struct pc_sdp_attr attr[PC_SDP_MAX_ATTR];
	unsigned nmedia;
	struct pc_sdp_media media[PC_SDP_MAX_MEDIA];
};

/*
 * pc_sdp_parse() - parse one session description.
 * @sdp: out (borrowed); written whether or not the parse succeeds, meaningful only on success.
 *       Its slices point into @buf, which must outlive it.
 * @buf: the description (borrowed, read only), @len octets, no terminator needed.
 * @err: out, optional (NULL): on failure a one-line reason, NUL-terminated, cut to @errlen;
 *       "" on success.
 * Return: 0; -EBADMSG bad syntax or a missing line; -ERANGE a number out of range; -E2BIG a
 * limit above exceeded.
 */
int pc_sdp_parse(struct pc_sdp *sdp, const void *buf, size_t len, char *err, size_t errlen);

/*
 * pc_sdp_print() - write @sdp as SDP text: v o s c b t, the session direction and attributes,
 * then each m-line with c, b, mid, rtpmap/fmtp per format, rtcp-fb, ptime, maxptime, rtcp,
 * rtcp-mux, crypto, direction, ssrc and the other attributes. CRLF line ends, no NUL written.
 * fmtp is printed as its text (the decoded fields are not re-encoded); only the first t= of a
 * parsed description was kept; i= u= e= p= r= z= k= are not printed.
 * @sdp: borrowed. @buf: out (borrowed), @size octets. @len: out, the octets written.
 * Return: 0, -ENOSPC when @buf is too small (its content is then undefined), -EINVAL on a
 * value that cannot be printed (an address type NONE with an address, a crypto key longer
 * than PC_SDP_KEY_MAX).
 */
int pc_sdp_print(const struct pc_sdp *sdp, char *buf, size_t size, size_t *len);

/* pc_sdp_media_dir() - the effective direction of media @i: its own, the session's, or
 * SENDRECV. */
enum pc_sdp_dir pc_sdp_media_dir(const struct pc_sdp *sdp, unsigned i);

/* pc_sdp_media_conn() - the effective c= of media @i (its own or the session's); borrowed. */
const struct pc_sdp_conn *pc_sdp_media_conn(const struct pc_sdp *sdp, unsigned i);

/* pc_sdp_find_fmt() - the format with payload type @pt in @m, or NULL. */
const struct pc_sdp_fmt *pc_sdp_find_fmt(const struct pc_sdp_media *m, unsigned pt);

/* pc_sdp_fb_flags() - the PC_SDP_FB_* bits a=rtcp-fb gives payload type @pt ("*" included). */
unsigned pc_sdp_fb_flags(const struct pc_sdp_media *m, unsigned pt);

/*
 * pc_sdp_h264_params() - decode H.264 fmtp parameters (RFC 6184 8.1: profile-level-id,
 * packetization-mode, max-fs, max-mbps, max-br; others ignored; defaults 42000a and mode 0).
 * @out: out (borrowed). @fmtp: borrowed. Return: 0, -EBADMSG, -ERANGE.
 */
int pc_sdp_h264_params(struct pc_sdp_h264 *out, struct pc_sip_slice fmtp);

/*
 * pc_sdp_te_events() - decode a telephone-event list ("0-15,66") into a mask of events 0-16.
 * @mask: out (borrowed). @fmtp: borrowed. Return: 0, -EBADMSG, -ERANGE.
 */
int pc_sdp_te_events(uint32_t *mask, struct pc_sip_slice fmtp);

/* pc_sdp_crypto_suite_name() - "AES_CM_128_HMAC_SHA1_80", ...; "" for UNKNOWN. */
const char *pc_sdp_crypto_suite_name(enum pc_sdp_crypto_suite suite);

/* pc_sdp_crypto_key_len() - key||salt octets of @suite (30, 30, 28, 44), 0 for UNKNOWN. */
unsigned pc_sdp_crypto_key_len(enum pc_sdp_crypto_suite suite);

/* ---- Offer/answer (RFC 3264) ---- */

#define PC_SDP_CAPS_MAX_CODECS 16
#define PC_SDP_CAPS_MAX_CRYPTO 4
/* Room in struct pc_sdp_neg for text it generates (H.264 fmtp of an answer, ...). */
#define PC_SDP_NEG_TEXT 1024

/*
 * One codec we support. telephone-event (RFC 4733) is listed like a codec, once per clock rate
 * ("telephone-event", 8000, fmtp "0-16"); it is offered and answered next to the codecs of
 * the same clock rate, never chosen as the media codec. Payload types 0-95 are static (matched
 * by number when the remote gives no rtpmap); 96-127 are our preferred dynamic numbers, used in
 * our offers (an answer keeps the offerer's numbers).
 */
struct pc_sdp_codec {
	enum pc_sdp_media_type type; /* AUDIO or VIDEO */
	uint8_t pt;
	const char *name; /* borrowed: "PCMU", "opus", "H264", "telephone-event", ... */
	uint32_t clock;
	uint8_t channels; /* 0 or 1: mono (not written); opus: 2 */
	/* a=fmtp we send, or NULL (borrowed). For H264, our profile-level-id and
	 * packetization-mode are read from it (pc_sdp_neg_init() checks it). */
	const char *fmtp;
};

enum pc_sdp_srtp_policy {
	PC_SDP_SRTP_OFF = 0,   /* RTP/AVP only: an RTP/SAVP stream is rejected */
	PC_SDP_SRTP_OPTIONAL,  /* offer RTP/AVP with a=crypto; answer SRTP when crypto is offered */
	PC_SDP_SRTP_MANDATORY, /* offer RTP/SAVP; reject a stream without a suite we support */
};

/* One SRTP suite we support, in preference order, with our master key||salt for it. */
struct pc_sdp_caps_crypto {
	enum pc_sdp_crypto_suite suite;
	uint8_t key[PC_SDP_KEY_MAX]; /* pc_sdp_crypto_key_len(suite) octets used */
};

struct pc_sdp_caps {
	const char *username;		    /* o= username, NULL: "-" (borrowed) */
	const char *session_name;	    /* s=, NULL: "-" (borrowed) */
	const char *addr;		    /* our media address, IPv4 or IPv6 literal (borrowed) */
	uint16_t port[PC_SDP_MEDIA__COUNT]; /* our RTP port per media type, 0: not supported */
	unsigned ncodecs;
	struct pc_sdp_codec codecs[PC_SDP_CAPS_MAX_CODECS]; /* in preference order */
	uint32_t ptime;					    /* audio a=ptime, 0: none */
	enum pc_sdp_srtp_policy srtp;
	unsigned ncrypto;
	struct pc_sdp_caps_crypto crypto[PC_SDP_CAPS_MAX_CRYPTO];
	unsigned rtcp_fb;    /* PC_SDP_FB_* we want on video (offered per video codec) */
	uint32_t trr_int;    /* for PC_SDP_FB_TRR_INT */
	bool avpf;	     /* offer RTP/AVPF (RTP/SAVPF) instead of RTP/AVP when rtcp_fb is set */
	bool rtcp_mux;	     /* offer and accept a=rtcp-mux */
	enum pc_sdp_dir dir; /* preferred direction, NONE means SENDRECV */
	bool hold_c0;	     /* hold by c=0.0.0.0 (RFC 2543) as well as a=sendonly */
};

/* What one m-line came to, from our side. */
struct pc_sdp_stream {
	enum pc_sdp_media_type type;
	bool active; /* false: rejected (port 0), or no common format; nothing else is set */
	bool send, recv;
	/* Remote RTP and RTCP destination. */
	enum pc_sdp_addrtype addrtype; /* of remote_ip */
	uint8_t remote_ip[16];
	bool remote_hold; /* c=0.0.0.0 from the remote (RFC 2543 hold): send is false */
	struct pc_sip_slice remote_addr; /* c= address as written (an FQDN leaves remote_ip 0) */
	uint16_t remote_port;
	uint8_t remote_rtcp_ip[16];
	uint16_t remote_rtcp_port;
	bool rtcp_mux;
	/* Codecs, primary first: the payload types on the wire and our matching codec. */
	unsigned ncodecs;
	uint8_t pt[PC_SDP_CAPS_MAX_CODECS];
	const struct pc_sdp_codec *codec[PC_SDP_CAPS_MAX_CODECS]; /* borrowed from the caps */
	uint32_t clock;						  /* of the primary */
	uint8_t channels;
	uint32_t ptime;		 /* remote a=ptime, else ours, else 0 */
	int16_t te_pt;		 /* telephone-event at the primary's clock, -1 none */
	uint32_t te_events;	 /* events the remote accepts */
	struct pc_sdp_h264 h264; /* primary H264: the agreed parameters (level the lower one) */
	unsigned rtcp_fb;	 /* PC_SDP_FB_* both sides agree on for the primary */
	uint32_t trr_int;
	/* SRTP: suite UNKNOWN means plain RTP. */
	enum pc_sdp_crypto_suite srtp_suite;
	uint32_t crypto_tag;
	uint8_t remote_key[PC_SDP_KEY_MAX], local_key[PC_SDP_KEY_MAX];
	uint8_t key_len;
	bool remote_has_mki;
	uint64_t remote_mki;
	uint8_t remote_mki_len;
};

struct pc_sdp_result {
	unsigned nstreams; /* one per m-line, in order */
	struct pc_sdp_stream s[PC_SDP_MAX_MEDIA];
};

/* Session state. Fields are private to sdp_neg.c; size it with sizeof. */
struct pc_sdp_neg {
	const struct pc_sdp_caps *caps; /* borrowed */
	uint64_t sess_id, sess_version;
	uint64_t last_hash; /* of the last SDP we sent, version left out; 0: none sent */
	bool hold;
	bool offer_pending; /* we sent an offer, the answer has not come */
	unsigned nm;	    /* m-lines of the session so far (RFC 3264 8: kept in order) */
	enum pc_sdp_media_type mtype[PC_SDP_MAX_MEDIA];
	bool mrejected[PC_SDP_MAX_MEDIA];
	enum pc_sdp_addrtype addrtype;			 /* of caps->addr */
	struct pc_sdp_h264 h264[PC_SDP_CAPS_MAX_CODECS]; /* decoded caps H264 fmtp */
	uint32_t events[PC_SDP_CAPS_MAX_CODECS];	 /* decoded caps telephone-event fmtp */
	struct pc_sdp local;				 /* the last offer or answer we built */
	size_t text_used;
	char text[PC_SDP_NEG_TEXT];
};

/*
 * pc_sdp_neg_init() - start the SDP state of one session.
 * @neg: out (borrowed). @caps: retained (borrowed for the life of @neg, must not change while
 * an offer is pending). @sess_id: o= sess-id (and the first sess-version), e.g. NTP seconds.
 * Return: 0, or -EINVAL on bad caps (no address, an IPv4/IPv6 literal it is not, a codec with
 * no name or clock, an H264 fmtp without a valid profile-level-id, a crypto suite UNKNOWN).
 */
int pc_sdp_neg_init(struct pc_sdp_neg *neg, const struct pc_sdp_caps *caps, uint64_t sess_id,
		    char *err, size_t errlen);

/*
 * pc_sdp_neg_offer() - build our offer (the first one, or a re-offer keeping the m-lines of
 * the session in order) and print it into @buf.
 * @hold: offer hold (RFC 3264 8.4: a=sendonly, or inactive where we only receive; with
 * caps->hold_c0 also c=0.0.0.0); false offers the preferred direction (resume).
 * @buf: out (borrowed), @size octets; @len: out, octets written.
 * sess-version is incremented when the offer differs from the last SDP we sent.
 * Return: 0, -ENOSPC (@buf too small), -EINVAL (nothing to offer).
 */
int pc_sdp_neg_offer(struct pc_sdp_neg *neg, bool hold, char *buf, size_t size, size_t *len,
		     char *err, size_t errlen);

/*
 * pc_sdp_neg_answer() - answer a remote offer: build the answer, print it into @buf and fill
 * @res. Each offered m-line gets one answer m-line: formats we share (in the offer's order,
 * with the offer's payload type numbers), telephone-event at the primary's clock, H.264 with
 * the same profile and packetization-mode and a level no higher than offered, direction per
 * RFC 3264 6.1, the first crypto suite of the offer we support answered with our key under
 * the same tag, a=rtcp-mux when offered and wanted, a=mid echoed. A stream with nothing in
 * common, an offered port 0, a media type we have no port for, or an SRTP requirement not met
 * is answered with port 0.
 * @offer: borrowed; its buffer must outlive @neg's answer (a=mid and rejected formats point
 * into it) and @res.
 * Return: 0; -EPROTO the offer changes the number or order of the session's m-lines (RFC 3264
 * 8) or has more than PC_SDP_MAX_MEDIA; -ENOSPC @buf too small (or, with many H264 caps
 * matched, PC_SDP_NEG_TEXT too small for the generated fmtp).
 */
int pc_sdp_neg_answer(struct pc_sdp_neg *neg, const struct pc_sdp *offer, char *buf, size_t size,
		      size_t *len, struct pc_sdp_result *res, char *err, size_t errlen);

/*
 * pc_sdp_neg_complete() - read the remote answer to our last offer and fill @res.
 * @answer: borrowed. Return: 0; -EPROTO no offer pending, a different number of m-lines or a
 * media type changed, a payload type or crypto tag we did not offer.
 */
int pc_sdp_neg_complete(struct pc_sdp_neg *neg, const struct pc_sdp *answer,
			struct pc_sdp_result *res, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* PC_SDP_H */
