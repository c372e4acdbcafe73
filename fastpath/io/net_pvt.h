/* SPDX-License-Identifier: MIT */
/*
 * net_pvt.h - Ethernet, ARP, IPv4 and UDP headers parsed and built over plain byte buffers, for
 * the DPDK backend (io_dpdk.c), which sees whole frames where the kernel backends see datagrams.
 * No DPDK here: the parser is fuzzed (tests/fuzz/net_fuzz.c) and unit-tested
 * (tests/fastpath/net_test.c) on its own.
 *
 * Every parser takes the length it may read and never reads past it; bad input is an error code,
 * never a crash or a partial result the caller could trust:
 *   -EBADMSG          malformed or corrupt: runt, truncated header, bad version or IHL, a length
 *                     field beyond the frame, a bad IPv4 header or UDP checksum
 *   -EMSGSIZE         an IPv4 fragment (More Fragments set or a fragment offset): the datagram
 *                     was larger than the link, and fragments are not reassembled here
 *   -EPROTONOSUPPORT  IPv4 carrying something other than UDP; an ARP operation other than
 *                     request or reply
 *   -EAFNOSUPPORT     an Ethernet type other than IPv4 and ARP (IPv6 included); ARP for another
 *                     hardware or protocol type than Ethernet and IPv4
 * Builders write into a buffer of the room they are given and return the bytes written, or
 * -ENOBUFS (room too small) or -EMSGSIZE (payload too large for one IPv4 datagram).
 *
 * IPv4 addresses and UDP ports are kept in network byte order, as they are on the wire and in
 * struct sockaddr_in; other fields (lengths, Ethernet type, ARP operation) in host order.
 *
 * Thread context: any; these are pure functions. Allocates: never.
 */
#ifndef PC_NET_PVT_H
#define PC_NET_PVT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PC_NET_ETH_ALEN 6
#define PC_NET_ETH_HLEN 14
#define PC_NET_VLAN_HLEN 4
#define PC_NET_ETH_ZLEN 60 /* shortest frame on the wire, without the FCS (IEEE 802.3) */
#define PC_NET_IP4_HLEN 20 /* without options */
#define PC_NET_UDP_HLEN 8
#define PC_NET_ARP_LEN 28 /* Ethernet/IPv4 ARP packet (RFC 826) */
/* Ethernet + IPv4 + UDP headers as built for sending. */
#define PC_NET_UDP4_HDRS (PC_NET_ETH_HLEN + PC_NET_IP4_HLEN + PC_NET_UDP_HLEN)
/* The largest UDP payload of one IPv4 datagram: total length is 16 bits (RFC 791 3.1). */
#define PC_NET_UDP4_PAYLOAD_MAX (65535u - PC_NET_IP4_HLEN - PC_NET_UDP_HLEN)

#define PC_NET_ETHERTYPE_IPV4 0x0800
#define PC_NET_ETHERTYPE_ARP 0x0806
#define PC_NET_ETHERTYPE_VLAN 0x8100
#define PC_NET_ETHERTYPE_IPV6 0x86dd
#define PC_NET_IPPROTO_UDP 17
#define PC_NET_ARP_REQUEST 1
#define PC_NET_ARP_REPLY 2
#define PC_NET_IP4_TTL_DEFAULT 64

/* What pc_net_parse() found in a frame. */
enum pc_net_type {
	PC_NET_T_UDP4 = 1,
	PC_NET_T_ARP = 2,
};

struct pc_net_eth {
	uint8_t dst[PC_NET_ETH_ALEN];
	uint8_t src[PC_NET_ETH_ALEN];
	uint16_t type;	   /* of the payload, after at most one 802.1Q tag */
	uint16_t vlan_tci; /* 0 when untagged */
	uint16_t hdr_len;  /* 14, or 18 with a tag */
	uint16_t tagged;   /* 1 when an 802.1Q tag was skipped */
};

struct pc_net_ip4 {
	uint32_t src;	    /* network order */
	uint32_t dst;	    /* network order */
	uint16_t hdr_len;   /* IHL * 4: 20 to 60 */
	uint16_t total_len; /* header and payload; the frame may carry padding after it */
	uint16_t id;
	uint8_t proto;
	uint8_t ttl;
	uint8_t tos;
};

struct pc_net_udp {
	uint16_t src_port; /* network order */
	uint16_t dst_port; /* network order */
	uint16_t len;	   /* UDP length: header and payload */
	uint16_t csum;	   /* as received; 0: the sender computed none (RFC 768) */
};

struct pc_net_arp {
	uint16_t op; /* PC_NET_ARP_REQUEST or PC_NET_ARP_REPLY */
	uint8_t sha[PC_NET_ETH_ALEN];
	uint8_t tha[PC_NET_ETH_ALEN];
	uint32_t spa; /* network order */
	uint32_t tpa; /* network order */
};

struct pc_net_frame {
	struct pc_net_eth eth;
	struct pc_net_ip4 ip;  /* PC_NET_T_UDP4 */
	struct pc_net_udp udp; /* PC_NET_T_UDP4 */
	struct pc_net_arp arp; /* PC_NET_T_ARP */
	uint16_t l3_off;       /* IPv4 or ARP header, from the start of the frame */
	uint16_t payload_off;  /* UDP payload, from the start of the frame */
	uint16_t payload_len;  /* UDP payload bytes (UDP length - 8) */
};

/* Addresses of a UDP/IPv4 frame to build. */
struct pc_net_udp4_addr {
	uint8_t src_mac[PC_NET_ETH_ALEN];
	uint8_t dst_mac[PC_NET_ETH_ALEN];
	uint32_t src_ip;   /* network order */
	uint32_t dst_ip;   /* network order */
	uint16_t src_port; /* network order */
	uint16_t dst_port; /* network order */
	uint16_t ip_id;	   /* the IPv4 identification field */
	uint8_t ttl;	   /* 0: PC_NET_IP4_TTL_DEFAULT */
	uint8_t tos;
};

/* --- checksums (RFC 1071) -------------------------------------------------------------------- */

/*
 * pc_net_csum_partial - add @len bytes at @buf (borrowed) to the 16-bit ones' complement sum
 * @sum and return the new sum, folded to 16 bits, not complemented. Words are summed in the
 * host's byte order, which gives the checksum's bytes in network order when it is stored
 * with memcpy (RFC 1071 2(B)). Only the last buffer of a chain may have an odd length.
 */
uint32_t pc_net_csum_partial(const void *buf, size_t len, uint32_t sum);

/* pc_net_csum_fold - the Internet checksum of a partial sum: its ones' complement. Store it as
 * is (memcpy) into the header. */
static inline uint16_t pc_net_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* pc_net_udp4_pseudo - the partial sum of the IPv4 pseudo header of RFC 768 (source,
 * destination, zero, protocol 17, UDP length) for addresses in network order. */
uint32_t pc_net_udp4_pseudo(uint32_t src, uint32_t dst, uint16_t udp_len);

/* --- parsers --------------------------------------------------------------------------------- */

/* pc_net_eth_parse - the Ethernet header at @buf (@len bytes, borrowed) and at most one 802.1Q
 * tag, into @eth (filled). Returns 0 or -EBADMSG. */
int pc_net_eth_parse(const uint8_t *buf, size_t len, struct pc_net_eth *eth);

/*
 * pc_net_ip4_parse - the IPv4 header at @buf (borrowed), with @len bytes from there to the end
 * of the frame, into @ip (filled). Checks version, IHL (5 or more, within @len), total length
 * (at least the header, within @len), the header checksum, and refuses fragments.
 * Returns 0, -EBADMSG or -EMSGSIZE.
 */
int pc_net_ip4_parse(const uint8_t *buf, size_t len, struct pc_net_ip4 *ip);

/*
 * pc_net_udp4_parse - the UDP header at @buf (borrowed) of a datagram whose IPv4 payload is
 * @len bytes (total length - IHL * 4), sent from @src to @dst (network order), into @udp
 * (filled). The UDP length must be 8 or more and within @len (a shorter one leaves IPv4
 * padding after the datagram, which is ignored as Linux does); a non-zero checksum must verify
 * over the pseudo header, the UDP header and the UDP length's bytes. Returns 0 or -EBADMSG.
 */
int pc_net_udp4_parse(const uint8_t *buf, size_t len, uint32_t src, uint32_t dst,
		      struct pc_net_udp *udp);

/* pc_net_arp_parse - the ARP packet at @buf (@len bytes, borrowed) into @arp (filled).
 * Returns 0, -EBADMSG (truncated), -EAFNOSUPPORT (not Ethernet/IPv4) or -EPROTONOSUPPORT (not
 * a request or reply). */
int pc_net_arp_parse(const uint8_t *buf, size_t len, struct pc_net_arp *arp);

/*
 * pc_net_parse - a whole frame: Ethernet (one optional 802.1Q tag), then ARP or IPv4/UDP, every
 * layer checked as above. @frame: borrowed, @len bytes; @f: filled (partly on error).
 * Returns PC_NET_T_UDP4, PC_NET_T_ARP, or -EBADMSG, -EMSGSIZE, -EPROTONOSUPPORT, -EAFNOSUPPORT.
 */
int pc_net_parse(const uint8_t *frame, size_t len, struct pc_net_frame *f);

/* --- builders -------------------------------------------------------------------------------- */

/*
 * pc_net_udp4_build - write the Ethernet, IPv4 (20 bytes, Don't Fragment) and UDP headers of a
 * datagram from and to @a (borrowed) into @hdr (@room bytes, at least PC_NET_UDP4_HDRS). The
 * payload, @len bytes at @payload (borrowed, read only for the checksum), need not follow the
 * headers in memory. @udp_csum: compute the UDP checksum; otherwise send 0 (no checksum,
 * allowed over IPv4 by RFC 768). The IPv4 header checksum is always computed.
 * Returns PC_NET_UDP4_HDRS, -ENOBUFS or -EMSGSIZE.
 */
int pc_net_udp4_build(uint8_t *hdr, size_t room, const struct pc_net_udp4_addr *a,
		      const uint8_t *payload, size_t len, bool udp_csum);

/*
 * pc_net_arp_build - write an Ethernet/IPv4 ARP frame from @eth_src to @eth_dst carrying @arp
 * (all borrowed) into @frame (@room bytes), zero-padded to the shortest Ethernet frame.
 * Returns 60 or -ENOBUFS.
 */
int pc_net_arp_build(uint8_t *frame, size_t room, const uint8_t eth_dst[PC_NET_ETH_ALEN],
		     const uint8_t eth_src[PC_NET_ETH_ALEN], const struct pc_net_arp *arp);

static inline bool pc_net_mac_eq(const uint8_t a[PC_NET_ETH_ALEN], const uint8_t b[PC_NET_ETH_ALEN])
{
	return memcmp(a, b, PC_NET_ETH_ALEN) == 0;
}

static inline bool pc_net_mac_is_bcast(const uint8_t a[PC_NET_ETH_ALEN])
{
	return (a[0] & a[1] & a[2] & a[3] & a[4] & a[5]) == 0xff;
}

/* Group bit (I/G) of the first octet: multicast and broadcast. */
static inline bool pc_net_mac_is_group(const uint8_t a[PC_NET_ETH_ALEN])
{
	return (a[0] & 1) != 0;
}

static inline bool pc_net_mac_is_zero(const uint8_t a[PC_NET_ETH_ALEN])
{
	return (a[0] | a[1] | a[2] | a[3] | a[4] | a[5]) == 0;
}

/* --- the DPDK backend's own view (io_dpdk.c), for tests and diagnostics ----------------------- */

struct pc_io;

/* Counters the DPDK backend keeps beyond struct pc_io_stats, and what it runs on. */
struct pc_io_dpdk_info {
	uint16_t port_id;		/* the ethdev port */
	uint8_t mac[PC_NET_ETH_ALEN];	/* the address it sends from and answers to */
	uint32_t ipv4;			/* network order */
	uint32_t multi_seg;		/* 1: shared packets leave as header + payload chains */
	uint64_t rx_not_ours;		/* another MAC (not broadcast) or another IPv4 address */
	uint64_t rx_no_port;		/* UDP to a port nobody opened */
	uint64_t rx_unsupported;	/* not IPv4/ARP, not UDP, a tagged VLAN, an unknown ARP */
	uint64_t rx_frags;		/* IPv4 fragments (also in rx_errors) */
	uint64_t rx_copied;		/* frames copied out of foreign or chained mbufs */
	uint64_t arp_requests_answered; /* for our address */
	uint64_t arp_learned;		/* neighbour entries added or changed */
	uint64_t arp_requests_sent;	/* for destinations of unknown MAC */
	uint64_t tx_unresolved;		/* dropped for want of a MAC (also in tx_errors) */
	uint64_t tx_direct;		/* sent in their own mbuf */
	uint64_t tx_extbuf;		/* sent as an external buffer of a header mbuf */
	uint64_t tx_copied;		/* shared packets copied (no multi-segment transmit) */
};

/* pc_io_dpdk_get_info - fill @info for a dpdk backend. Returns 0, or -EINVAL for another
 * backend. The owning thread only. */
int pc_io_dpdk_get_info(const struct pc_io *io, struct pc_io_dpdk_info *info);

#ifdef __cplusplus
}
#endif

#endif /* PC_NET_PVT_H */
