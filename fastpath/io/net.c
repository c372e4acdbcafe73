/* SPDX-License-Identifier: MIT */
/*
 * net.c - Ethernet, ARP (RFC 826), IPv4 (RFC 791) and UDP (RFC 768) over byte buffers: the
 * parsers check each length field against the bytes they were given before they use it, and
 * the builders write headers with their checksums (RFC 1071) ready for the wire.
 */
#include <errno.h>
#include <string.h>

#include "net_pvt.h"

static inline uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

uint32_t pc_net_csum_partial(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;
	uint64_t acc = sum;

	/* Eight bytes at a time as two 32-bit halves: the 64-bit accumulator cannot overflow
	 * before 2^32 iterations, and the carries are folded back at the end (RFC 1071 2(C):
	 * the sum may be computed in any word size and folded). */
	while (len >= 8) {
		uint64_t w;

		memcpy(&w, p, 8);
		acc += (w & 0xffffffffu) + (w >> 32);
		p += 8;
		len -= 8;
	}
	while (len >= 2) {
		uint16_t w;

		memcpy(&w, p, 2);
		acc += w;
		p += 2;
		len -= 2;
	}
	if (len) {
		/* An odd last byte is the high byte of a word padded with zero (RFC 1071 4.1): in
		 * memory that is [byte, 0], read in host order like the other words. */
		uint16_t w = 0;

		memcpy(&w, p, 1);
		acc += w;
	}
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint32_t)acc;
}

uint32_t pc_net_udp4_pseudo(uint32_t src, uint32_t dst, uint16_t udp_len)
{
	uint8_t ph[12];

	/* RFC 768: source address, destination address, zero, protocol, UDP length. */
	memcpy(ph, &src, 4);
	memcpy(ph + 4, &dst, 4);
	ph[8] = 0;
	ph[9] = PC_NET_IPPROTO_UDP;
	put_be16(ph + 10, udp_len);
	return pc_net_csum_partial(ph, sizeof(ph), 0);
}

int pc_net_eth_parse(const uint8_t *buf, size_t len, struct pc_net_eth *eth)
{
	if (len < PC_NET_ETH_HLEN)
		return -EBADMSG;
	memcpy(eth->dst, buf, PC_NET_ETH_ALEN);
	memcpy(eth->src, buf + 6, PC_NET_ETH_ALEN);
	eth->type = get_be16(buf + 12);
	eth->vlan_tci = 0;
	eth->tagged = 0;
	eth->hdr_len = PC_NET_ETH_HLEN;
	if (eth->type == PC_NET_ETHERTYPE_VLAN) {
		/* IEEE 802.1Q: TPID 0x8100, then the tag control (PCP, DEI, VID) and the type. */
		if (len < PC_NET_ETH_HLEN + PC_NET_VLAN_HLEN)
			return -EBADMSG;
		eth->vlan_tci = get_be16(buf + 14);
		eth->type = get_be16(buf + 16);
		eth->tagged = 1;
		eth->hdr_len = PC_NET_ETH_HLEN + PC_NET_VLAN_HLEN;
	}
	return 0;
}

int pc_net_ip4_parse(const uint8_t *buf, size_t len, struct pc_net_ip4 *ip)
{
	uint16_t frag;
	unsigned ihl;

	if (len < PC_NET_IP4_HLEN)
		return -EBADMSG;
	/* RFC 791 3.1: version 4; IHL counts 32-bit words, at least 5. */
	if ((buf[0] >> 4) != 4)
		return -EBADMSG;
	ihl = (buf[0] & 0x0fu) * 4u;
	if (ihl < PC_NET_IP4_HLEN || ihl > len)
		return -EBADMSG;
	ip->hdr_len = (uint16_t)ihl;
	ip->total_len = get_be16(buf + 2);
	/* The total length covers header and data; what the frame holds beyond it is link
	 * padding (Ethernet pads to 60 bytes), what it lacks is a truncated datagram. */
	if (ip->total_len < ihl || ip->total_len > len)
		return -EBADMSG;
	/* The checksum of a correct header, its own field included, folds to zero. */
	if (pc_net_csum_fold(pc_net_csum_partial(buf, ihl, 0)) != 0)
		return -EBADMSG;
	ip->tos = buf[1];
	ip->id = get_be16(buf + 4);
	ip->ttl = buf[8];
	ip->proto = buf[9];
	memcpy(&ip->src, buf + 12, 4);
	memcpy(&ip->dst, buf + 16, 4);
	/* Flags and fragment offset: More Fragments (0x2000) or a non-zero offset (low 13 bits)
	 * make this a piece of a larger datagram. The reserved bit (0x8000) is ignored. */
	frag = get_be16(buf + 6);
	if (frag & 0x3fffu)
		return -EMSGSIZE;
	return 0;
}

int pc_net_udp4_parse(const uint8_t *buf, size_t len, uint32_t src, uint32_t dst,
		      struct pc_net_udp *udp)
{
	if (len < PC_NET_UDP_HLEN)
		return -EBADMSG;
	udp->len = get_be16(buf + 4);
	if (udp->len < PC_NET_UDP_HLEN || udp->len > len)
		return -EBADMSG;
	memcpy(&udp->src_port, buf, 2);
	memcpy(&udp->dst_port, buf + 2, 2);
	memcpy(&udp->csum, buf + 6, 2);
	/* RFC 768: a zero checksum means none was computed. Otherwise the sum over the pseudo
	 * header, the header (checksum included) and the data folds to zero; a computed 0 was
	 * sent as 0xffff, which sums the same. */
	if (udp->csum != 0) {
		uint32_t sum = pc_net_udp4_pseudo(src, dst, udp->len);

		if (pc_net_csum_fold(pc_net_csum_partial(buf, udp->len, sum)) != 0)
			return -EBADMSG;
	}
	return 0;
}

int pc_net_arp_parse(const uint8_t *buf, size_t len, struct pc_net_arp *arp)
{
	if (len < PC_NET_ARP_LEN)
		return -EBADMSG;
	/* RFC 826: hardware type 1 (Ethernet), protocol type 0x0800, address lengths 6 and 4. */
	if (get_be16(buf) != 1 || get_be16(buf + 2) != PC_NET_ETHERTYPE_IPV4 || buf[4] != 6 ||
	    buf[5] != 4)
		return -EAFNOSUPPORT;
	arp->op = get_be16(buf + 6);
	if (arp->op != PC_NET_ARP_REQUEST && arp->op != PC_NET_ARP_REPLY)
		return -EPROTONOSUPPORT;
	memcpy(arp->sha, buf + 8, PC_NET_ETH_ALEN);
	memcpy(&arp->spa, buf + 14, 4);
	memcpy(arp->tha, buf + 18, PC_NET_ETH_ALEN);
	memcpy(&arp->tpa, buf + 24, 4);
	return 0;
}

int pc_net_parse(const uint8_t *frame, size_t len, struct pc_net_frame *f)
{
	size_t off;
	int rc;

	rc = pc_net_eth_parse(frame, len, &f->eth);
	if (rc < 0)
		return rc;
	off = f->eth.hdr_len;
	f->l3_off = (uint16_t)off;
	if (f->eth.type == PC_NET_ETHERTYPE_ARP) {
		rc = pc_net_arp_parse(frame + off, len - off, &f->arp);
		return rc < 0 ? rc : PC_NET_T_ARP;
	}
	if (f->eth.type != PC_NET_ETHERTYPE_IPV4)
		return -EAFNOSUPPORT;
	/* A frame longer than 64 KiB cannot be described by the 16-bit offsets below; no
	 * Ethernet frame is, but the caller's length is not trusted. */
	if (len > UINT16_MAX)
		len = UINT16_MAX;
	rc = pc_net_ip4_parse(frame + off, len - off, &f->ip);
	if (rc < 0)
		return rc;
	if (f->ip.proto != PC_NET_IPPROTO_UDP)
		return -EPROTONOSUPPORT;
	off += f->ip.hdr_len;
	rc = pc_net_udp4_parse(frame + off, f->ip.total_len - f->ip.hdr_len, f->ip.src, f->ip.dst,
			       &f->udp);
	if (rc < 0)
		return rc;
	f->payload_off = (uint16_t)(off + PC_NET_UDP_HLEN);
	f->payload_len = (uint16_t)(f->udp.len - PC_NET_UDP_HLEN);
	return PC_NET_T_UDP4;
}

int pc_net_udp4_build(uint8_t *hdr, size_t room, const struct pc_net_udp4_addr *a,
		      const uint8_t *payload, size_t len, bool udp_csum)
{
	uint8_t *ip = hdr + PC_NET_ETH_HLEN;
	uint8_t *udp = ip + PC_NET_IP4_HLEN;
	uint16_t ulen, csum;

	if (room < PC_NET_UDP4_HDRS)
		return -ENOBUFS;
	if (len > PC_NET_UDP4_PAYLOAD_MAX)
		return -EMSGSIZE;
	ulen = (uint16_t)(len + PC_NET_UDP_HLEN);

	memcpy(hdr, a->dst_mac, PC_NET_ETH_ALEN);
	memcpy(hdr + 6, a->src_mac, PC_NET_ETH_ALEN);
	put_be16(hdr + 12, PC_NET_ETHERTYPE_IPV4);

	/* RFC 791 3.1: version 4, IHL 5 (no options). Don't Fragment: the media path sends
	 * datagrams that fit the link, and a path that cannot carry one should say so (RFC 1191)
	 * rather than fragment it. */
	ip[0] = 0x45;
	ip[1] = a->tos;
	put_be16(ip + 2, (uint16_t)(PC_NET_IP4_HLEN + ulen));
	put_be16(ip + 4, a->ip_id);
	put_be16(ip + 6, 0x4000);
	ip[8] = a->ttl ? a->ttl : PC_NET_IP4_TTL_DEFAULT;
	ip[9] = PC_NET_IPPROTO_UDP;
	ip[10] = 0;
	ip[11] = 0;
	memcpy(ip + 12, &a->src_ip, 4);
	memcpy(ip + 16, &a->dst_ip, 4);
	csum = pc_net_csum_fold(pc_net_csum_partial(ip, PC_NET_IP4_HLEN, 0));
	memcpy(ip + 10, &csum, 2);

	memcpy(udp, &a->src_port, 2);
	memcpy(udp + 2, &a->dst_port, 2);
	put_be16(udp + 4, ulen);
	udp[6] = 0;
	udp[7] = 0;
	if (udp_csum) {
		uint32_t sum = pc_net_udp4_pseudo(a->src_ip, a->dst_ip, ulen);

		sum = pc_net_csum_partial(udp, PC_NET_UDP_HLEN, sum);
		sum = pc_net_csum_partial(payload, len, sum);
		csum = pc_net_csum_fold(sum);
		/* RFC 768: a checksum that computes to 0 is sent as all ones; 0 means none. */
		if (csum == 0)
			csum = 0xffff;
		memcpy(udp + 6, &csum, 2);
	}
	return PC_NET_UDP4_HDRS;
}

int pc_net_arp_build(uint8_t *frame, size_t room, const uint8_t eth_dst[PC_NET_ETH_ALEN],
		     const uint8_t eth_src[PC_NET_ETH_ALEN], const struct pc_net_arp *arp)
{
	uint8_t *p = frame + PC_NET_ETH_HLEN;

	if (room < PC_NET_ETH_ZLEN)
		return -ENOBUFS;
	memcpy(frame, eth_dst, PC_NET_ETH_ALEN);
	memcpy(frame + 6, eth_src, PC_NET_ETH_ALEN);
	put_be16(frame + 12, PC_NET_ETHERTYPE_ARP);
	put_be16(p, 1);
	put_be16(p + 2, PC_NET_ETHERTYPE_IPV4);
	p[4] = 6;
	p[5] = 4;
	put_be16(p + 6, arp->op);
	memcpy(p + 8, arp->sha, PC_NET_ETH_ALEN);
	memcpy(p + 14, &arp->spa, 4);
	memcpy(p + 18, arp->tha, PC_NET_ETH_ALEN);
	memcpy(p + 24, &arp->tpa, 4);
	memset(p + PC_NET_ARP_LEN, 0, PC_NET_ETH_ZLEN - PC_NET_ETH_HLEN - PC_NET_ARP_LEN);
	return PC_NET_ETH_ZLEN;
}
