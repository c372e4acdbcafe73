/* SPDX-License-Identifier: MIT */
/*
 * pc_rtp.h - RTP and RTCP header checks (RFC 3550) for the fast path.
 *
 * pc_rtp_parse() reads the fixed header, the CSRC list, the header extension and the padding
 * length of one RTP packet in place and says where the payload is; pc_rtcp_check() validates
 * the framing of an RTCP compound packet (RFC 3550 A.2: version, first packet SR/RR or reduced
 * size RTCP per RFC 5506, lengths that add up). Both take a length and never read past it;
 * both reject with -EBADMSG.
 *
 * pc_rtp_is_rtcp() tells RTP from RTCP on a shared (rtcp-mux) port by the payload type byte
 * (RFC 5761 4: 192-223 are RTCP).
 *
 * Thread context: any. Allocates: never.
 */
#ifndef PC_RTP_H
#define PC_RTP_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PC_RTP_HDR_MIN 12u
#define PC_RTCP_HDR_MIN 4u

struct pc_rtp_hdr_view {
	uint8_t version;
	uint8_t padding;   /* P bit */
	uint8_t extension; /* X bit */
	uint8_t cc;	   /* CSRC count */
	uint8_t marker;
	uint8_t pt;
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	uint16_t ext_profile; /* when extension */
	uint16_t ext_len;     /* extension length in bytes (without its 4-byte header) */
	uint16_t hdr_len;     /* fixed header + CSRCs + extension: where the payload starts */
	uint16_t payload_len; /* without padding */
	uint8_t pad_len;      /* padding bytes at the end (0 when no P bit) */
};

static inline uint16_t pc_rtp__be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t pc_rtp__be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* pc_rtp_is_rtcp - on a muxed port, whether @len bytes at @buf look like RTCP (RFC 5761 4). */
static inline bool pc_rtp_is_rtcp(const uint8_t *buf, size_t len)
{
	return len >= 2 && buf[1] >= 192 && buf[1] <= 223;
}

/*
 * pc_rtp_parse - check one RTP packet of @len bytes at @buf (borrowed) and describe it in *@v.
 * Returns 0, or -EBADMSG: shorter than its header, version not 2, CSRCs or extension running
 * past the end, padding longer than what follows the header (or zero with the P bit set).
 */
static inline int pc_rtp_parse(const uint8_t *buf, size_t len, struct pc_rtp_hdr_view *v)
{
	size_t hdr, ext;

	if (len < PC_RTP_HDR_MIN || len > UINT16_MAX)
		return -EBADMSG;
	v->version = buf[0] >> 6;
	if (v->version != 2)
		return -EBADMSG;
	v->padding = (buf[0] >> 5) & 1;
	v->extension = (buf[0] >> 4) & 1;
	v->cc = buf[0] & 0x0f;
	v->marker = buf[1] >> 7;
	v->pt = buf[1] & 0x7f;
	v->seq = pc_rtp__be16(buf + 2);
	v->ts = pc_rtp__be32(buf + 4);
	v->ssrc = pc_rtp__be32(buf + 8);
	hdr = PC_RTP_HDR_MIN + 4u * v->cc;
	v->ext_profile = 0;
	v->ext_len = 0;
	if (v->extension) {
		/* RFC 3550 5.3.1: 16-bit profile, 16-bit length in 32-bit words. */
		if (len < hdr + 4)
			return -EBADMSG;
		v->ext_profile = pc_rtp__be16(buf + hdr);
		/* Sized in size_t: up to 4 * 65535 bytes, more than a uint16_t holds; the check
		 * below bounds it by len (<= 65535) before it is stored. */
		ext = 4u * (size_t)pc_rtp__be16(buf + hdr + 2);
		hdr += 4u + ext;
		if (len < hdr)
			return -EBADMSG;
		v->ext_len = (uint16_t)ext;
	}
	if (len < hdr)
		return -EBADMSG;
	v->pad_len = 0;
	if (v->padding) {
		/* RFC 3550 5.1: the last octet counts the padding, itself included. */
		v->pad_len = buf[len - 1];
		if (v->pad_len == 0 || v->pad_len > len - hdr)
			return -EBADMSG;
	}
	v->hdr_len = (uint16_t)hdr;
	v->payload_len = (uint16_t)(len - hdr - v->pad_len);
	return 0;
}

/*
 * pc_rtcp_check - validate the framing of an RTCP compound packet of @len bytes at @buf.
 * Every packet: version 2, length field inside the datagram, packet type 192-223 (RFC 5761);
 * lengths add up to @len exactly; padding only on the last packet (RFC 3550 A.2). The first
 * packet is SR or RR, unless @reduced_size allows any type first (RFC 5506 3.1).
 * Returns the number of packets in the compound, or -EBADMSG.
 */
static inline int pc_rtcp_check(const uint8_t *buf, size_t len, bool reduced_size)
{
	size_t off = 0;
	int count = 0;

	if (len < PC_RTCP_HDR_MIN || len % 4 != 0)
		return -EBADMSG;
	if (!reduced_size && buf[1] != 200 && buf[1] != 201)
		return -EBADMSG;
	while (off < len) {
		size_t plen;

		if (len - off < PC_RTCP_HDR_MIN || (buf[off] >> 6) != 2 || buf[off + 1] < 192 ||
		    buf[off + 1] > 223)
			return -EBADMSG;
		plen = 4u * ((size_t)pc_rtp__be16(buf + off + 2) + 1);
		if (plen > len - off)
			return -EBADMSG;
		/* Padding is allowed only in the last packet of the compound. */
		if (((buf[off] >> 5) & 1) && off + plen != len)
			return -EBADMSG;
		off += plen;
		count++;
	}
	return count;
}

#ifdef __cplusplus
}
#endif

#endif /* PC_RTP_H */
