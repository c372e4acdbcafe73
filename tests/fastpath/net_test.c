/* SPDX-License-Identifier: MIT */
/*
 * net_test.c - the Ethernet/ARP/IPv4/UDP parser and builder of the DPDK backend
 * (fastpath/io/net.c), without DPDK: checksum known answers (RFC 1071), a hand-written frame with
 * known checksums parsed and rebuilt byte for byte, build -> parse round trips, and every
 * malformed case with the error it must give. Frames are parsed from heap buffers of exactly
 * their length, and every strict prefix of a valid frame is parsed too, so an ASan build
 * catches any read past the length.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "net_pvt.h"

#define KNOWN_PAYLOAD 87

/*
 * A UDP/IPv4 frame written by hand: the IPv4 header is the example of the Wikipedia article on
 * the IPv4 header checksum (4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7: 192.168.0.1 to
 * 192.168.0.199, checksum 0xb861), carrying UDP 5004 -> 6000 and 87 payload bytes
 * (i * 7 + 3) & 0xff, UDP checksum 0xfef6 (computed independently, in Python).
 */
static const uint8_t known_hdrs[PC_NET_UDP4_HDRS] = {
	0x02, 0x00, 0xc0, 0xa8, 0x00, 0xc7, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, /* dst, src MAC */
	0x08, 0x00,								/* IPv4 */
	0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, /* IPv4 */
	0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7, 0x13, 0x8c, 0x17, 0x70,
	0x00, 0x5f, 0xfe, 0xf6, /* UDP */
};

static size_t known_frame(uint8_t *f)
{
	memcpy(f, known_hdrs, sizeof(known_hdrs));
	for (unsigned i = 0; i < KNOWN_PAYLOAD; i++)
		f[PC_NET_UDP4_HDRS + i] = (uint8_t)(i * 7 + 3);
	return PC_NET_UDP4_HDRS + KNOWN_PAYLOAD;
}

/* Parse @len bytes of @src from a heap copy of exactly @len bytes (ASan sees any overread). */
static int parse_exact(const uint8_t *src, size_t len, struct pc_net_frame *f)
{
	uint8_t *b = malloc(len ? len : 1);
	int rc;

	cr_assert_not_null(b);
	memcpy(b, src, len);
	rc = pc_net_parse(b, len, f);
	free(b);
	return rc;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Recompute the IPv4 header checksum of @f (Ethernet header untagged) after an edit. */
static void fix_ip_csum(uint8_t *f)
{
	uint8_t *ip = f + PC_NET_ETH_HLEN;
	unsigned ihl = (ip[0] & 0x0fu) * 4u;
	uint16_t c;

	ip[10] = ip[11] = 0;
	c = pc_net_csum_fold(pc_net_csum_partial(ip, ihl, 0));
	memcpy(ip + 10, &c, 2);
}

/* Recompute the UDP checksum of @f (20-byte IPv4 header) over its UDP length. */
static void fix_udp_csum(uint8_t *f)
{
	uint8_t *ip = f + PC_NET_ETH_HLEN, *udp = ip + PC_NET_IP4_HLEN;
	uint32_t src, dst, sum;
	uint16_t c;

	memcpy(&src, ip + 12, 4);
	memcpy(&dst, ip + 16, 4);
	udp[6] = udp[7] = 0;
	sum = pc_net_udp4_pseudo(src, dst, get16(udp + 4));
	c = pc_net_csum_fold(pc_net_csum_partial(udp, get16(udp + 4), sum));
	if (c == 0)
		c = 0xffff;
	memcpy(udp + 6, &c, 2);
}

/* Every strict prefix of @frame (which has no padding) is refused, without overread. */
static void assert_prefixes_refused(const uint8_t *frame, size_t len)
{
	struct pc_net_frame f;

	for (size_t k = 0; k < len; k++) {
		int rc = parse_exact(frame, k, &f);

		cr_assert(rc < 0, "a %zu-byte prefix of a %zu-byte frame parsed (%d)", k, len, rc);
	}
}

Test(net, csum_rfc1071_example)
{
	/* RFC 1071 3: the bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2; the checksum is 220d. */
	static const uint8_t b[8] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	uint16_t c = pc_net_csum_fold(pc_net_csum_partial(b, sizeof(b), 0));
	uint8_t out[2];

	memcpy(out, &c, 2);
	cr_assert_eq(out[0], 0x22);
	cr_assert_eq(out[1], 0x0d);
	/* Chained: the same sum in two pieces of even length. */
	c = pc_net_csum_fold(pc_net_csum_partial(b + 4, 4, pc_net_csum_partial(b, 4, 0)));
	memcpy(out, &c, 2);
	cr_assert(out[0] == 0x22 && out[1] == 0x0d);
}

Test(net, csum_odd_length_pads_with_zero)
{
	/* RFC 1071 4.1: an odd last byte counts as the high byte of a zero-padded word. */
	static const uint8_t odd[3] = { 0x12, 0x34, 0x56 };
	static const uint8_t even[4] = { 0x12, 0x34, 0x56, 0x00 };

	cr_assert_eq(pc_net_csum_partial(odd, 3, 0), pc_net_csum_partial(even, 4, 0));
	/* Long buffers take the 8-byte path: compare with a 2-byte-at-a-time sum. */
	uint8_t big[1001];
	uint32_t slow = 0;

	for (unsigned i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 131 + 7);
	for (unsigned i = 0; i + 1 < sizeof(big); i += 2)
		slow = pc_net_csum_partial(big + i, 2, slow);
	slow = pc_net_csum_partial(big + 1000, 1, slow);
	cr_assert_eq(pc_net_csum_fold(pc_net_csum_partial(big, sizeof(big), 0)),
		     pc_net_csum_fold(slow));
}

Test(net, known_frame_parses)
{
	uint8_t frame[256];
	size_t len = known_frame(frame);
	struct pc_net_frame f;

	cr_assert_eq(parse_exact(frame, len, &f), PC_NET_T_UDP4);
	cr_assert_eq(f.eth.type, PC_NET_ETHERTYPE_IPV4);
	cr_assert_eq(f.eth.tagged, 0);
	cr_assert_eq(f.l3_off, 14);
	cr_assert_eq(f.ip.src, htonl(0xc0a80001));
	cr_assert_eq(f.ip.dst, htonl(0xc0a800c7));
	cr_assert_eq(f.ip.total_len, 0x73);
	cr_assert_eq(f.ip.hdr_len, 20);
	cr_assert_eq(f.ip.ttl, 64);
	cr_assert_eq(f.udp.src_port, htons(5004));
	cr_assert_eq(f.udp.dst_port, htons(6000));
	cr_assert_eq(f.udp.len, 8 + KNOWN_PAYLOAD);
	cr_assert_eq(f.payload_off, PC_NET_UDP4_HDRS);
	cr_assert_eq(f.payload_len, KNOWN_PAYLOAD);
	cr_assert_eq(frame[f.payload_off + 10], (uint8_t)(10 * 7 + 3));
	assert_prefixes_refused(frame, len);
}

Test(net, builder_writes_the_known_headers)
{
	uint8_t frame[256], built[PC_NET_UDP4_HDRS + KNOWN_PAYLOAD];
	size_t len = known_frame(frame);
	struct pc_net_udp4_addr a = {
		.dst_mac = { 0x02, 0x00, 0xc0, 0xa8, 0x00, 0xc7 },
		.src_mac = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 },
		.src_ip = htonl(0xc0a80001),
		.dst_ip = htonl(0xc0a800c7),
		.src_port = htons(5004),
		.dst_port = htons(6000),
		.ip_id = 0,
	};

	memcpy(built + PC_NET_UDP4_HDRS, frame + PC_NET_UDP4_HDRS, KNOWN_PAYLOAD);
	cr_assert_eq(pc_net_udp4_build(built, sizeof(built), &a, built + PC_NET_UDP4_HDRS,
				       KNOWN_PAYLOAD, true),
		     PC_NET_UDP4_HDRS);
	cr_assert_eq(memcmp(built, frame, len), 0, "built headers differ from the known frame");
	/* Without the UDP checksum: the same but a zero checksum, still valid. */
	cr_assert_eq(pc_net_udp4_build(built, sizeof(built), &a, NULL, KNOWN_PAYLOAD, false),
		     PC_NET_UDP4_HDRS);
	cr_assert_eq(get16(built + 40), 0);
	cr_assert_eq(memcmp(built, frame, 40), 0);
}

Test(net, round_trip_sizes)
{
	static const size_t sizes[] = { 0, 1, 2, 17, 160, 172, 1001, 1472 };
	uint8_t frame[PC_NET_UDP4_HDRS + 1472];

	for (unsigned s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		for (int csum = 0; csum < 2; csum++) {
			size_t n = sizes[s];
			struct pc_net_udp4_addr a = {
				.src_mac = { 0x02, 1, 2, 3, 4, 5 },
				.dst_mac = { 0x02, 6, 7, 8, 9, 10 },
				.src_ip = htonl(0x0a000001),
				.dst_ip = htonl(0x0a0000fe),
				.src_port = htons(40000),
				.dst_port = htons(5004),
				.ip_id = (uint16_t)(s * 1000 + 1),
				.ttl = 17,
				.tos = 0xb8, /* EF, as voice is marked */
			};
			struct pc_net_frame f;

			for (size_t i = 0; i < n; i++)
				frame[PC_NET_UDP4_HDRS + i] = (uint8_t)(i ^ s);
			cr_assert_eq(pc_net_udp4_build(frame, sizeof(frame), &a,
						       frame + PC_NET_UDP4_HDRS, n, csum),
				     PC_NET_UDP4_HDRS);
			cr_assert_eq(parse_exact(frame, PC_NET_UDP4_HDRS + n, &f), PC_NET_T_UDP4,
				     "size %zu csum %d", n, csum);
			cr_assert(pc_net_mac_eq(f.eth.src, a.src_mac));
			cr_assert(pc_net_mac_eq(f.eth.dst, a.dst_mac));
			cr_assert_eq(f.ip.src, a.src_ip);
			cr_assert_eq(f.ip.dst, a.dst_ip);
			cr_assert_eq(f.ip.id, a.ip_id);
			cr_assert_eq(f.ip.ttl, 17);
			cr_assert_eq(f.ip.tos, 0xb8);
			cr_assert_eq(f.udp.src_port, a.src_port);
			cr_assert_eq(f.udp.dst_port, a.dst_port);
			cr_assert_eq(f.udp.csum != 0, csum != 0);
			cr_assert_eq(f.payload_off, PC_NET_UDP4_HDRS);
			cr_assert_eq(f.payload_len, n);
			/* Don't Fragment set, no fragment offset. */
			cr_assert_eq(get16(frame + 20), 0x4000);
			if (n < 200)
				assert_prefixes_refused(frame, PC_NET_UDP4_HDRS + n);
		}
	}
}

Test(net, udp_checksum_zero_is_sent_as_ones)
{
	uint8_t frame[PC_NET_UDP4_HDRS + 4] = { 0 };
	struct pc_net_udp4_addr a = {
		.src_ip = htonl(0x0a000001),
		.dst_ip = htonl(0x0a000002),
		.src_port = htons(1000),
		.dst_port = htons(2000),
	};
	struct pc_net_frame f;
	uint16_t c, w;
	uint32_t s;

	/* Add the checksum to a payload word: the sum becomes 0xffff, the checksum 0 (RFC 1071
	 * ones' complement arithmetic), which RFC 768 sends as 0xffff. */
	pc_net_udp4_build(frame, sizeof(frame), &a, frame + PC_NET_UDP4_HDRS, 4, true);
	memcpy(&c, frame + 40, 2);
	memcpy(&w, frame + PC_NET_UDP4_HDRS, 2);
	s = (uint32_t)w + c;
	w = (uint16_t)((s & 0xffff) + (s >> 16));
	memcpy(frame + PC_NET_UDP4_HDRS, &w, 2);
	pc_net_udp4_build(frame, sizeof(frame), &a, frame + PC_NET_UDP4_HDRS, 4, true);
	cr_assert_eq(get16(frame + 40), 0xffff);
	cr_assert_eq(parse_exact(frame, sizeof(frame), &f), PC_NET_T_UDP4);
}

Test(net, vlan_tag_and_padding)
{
	uint8_t plain[256], frame[256 + 4 + 30] = { 0 };
	size_t len = known_frame(plain);
	struct pc_net_frame f;

	/* One 802.1Q tag (VID 5, PCP 5) between the MACs and the type. */
	memcpy(frame, plain, 12);
	put16(frame + 12, PC_NET_ETHERTYPE_VLAN);
	put16(frame + 14, (5u << 13) | 5u);
	memcpy(frame + 16, plain + 12, len - 12);
	cr_assert_eq(parse_exact(frame, len + 4, &f), PC_NET_T_UDP4);
	cr_assert_eq(f.eth.tagged, 1);
	cr_assert_eq(f.eth.vlan_tci & 0x0fff, 5);
	cr_assert_eq(f.l3_off, 18);
	cr_assert_eq(f.payload_off, PC_NET_UDP4_HDRS + 4);
	cr_assert_eq(f.payload_len, KNOWN_PAYLOAD);
	assert_prefixes_refused(frame, len + 4);

	/* Link padding after the IPv4 total length is not data. */
	memset(plain + len, 0xee, 30);
	cr_assert_eq(parse_exact(plain, len + 30, &f), PC_NET_T_UDP4);
	cr_assert_eq(f.payload_len, KNOWN_PAYLOAD);
}

Test(net, udp_length_shorter_than_ip_payload_is_trimmed)
{
	uint8_t frame[256];
	struct pc_net_frame f;

	known_frame(frame);
	put16(frame + 38, 8 + 40); /* UDP says 40 bytes of the 87 the IPv4 header counts */
	fix_udp_csum(frame);
	cr_assert_eq(parse_exact(frame, PC_NET_UDP4_HDRS + KNOWN_PAYLOAD, &f), PC_NET_T_UDP4);
	cr_assert_eq(f.payload_len, 40);
}

/* --- malformed frames ----------------------------------------------------------------------- */

Test(net, runt_frames)
{
	uint8_t frame[256];
	struct pc_net_frame f;

	known_frame(frame);
	cr_assert_eq(parse_exact(frame, 0, &f), -EBADMSG);
	cr_assert_eq(parse_exact(frame, 13, &f), -EBADMSG);
	/* An Ethernet header and 10 bytes of IPv4. */
	cr_assert_eq(parse_exact(frame, 24, &f), -EBADMSG);
	/* A tag whose type is cut. */
	put16(frame + 12, PC_NET_ETHERTYPE_VLAN);
	cr_assert_eq(parse_exact(frame, 16, &f), -EBADMSG);
}

Test(net, bad_version)
{
	uint8_t frame[256];
	size_t len = known_frame(frame);
	struct pc_net_frame f;

	frame[14] = 0x65; /* version 6 under the IPv4 type */
	fix_ip_csum(frame);
	cr_assert_eq(parse_exact(frame, len, &f), -EBADMSG);
}

Test(net, ihl_below_five)
{
	uint8_t frame[256];
	size_t len = known_frame(frame);
	struct pc_net_frame f;

	frame[14] = 0x44;
	cr_assert_eq(parse_exact(frame, len, &f), -EBADMSG);
	frame[14] = 0x40;
	cr_assert_eq(parse_exact(frame, len, &f), -EBADMSG);
}

Test(net, ihl_beyond_frame)
{
	uint8_t frame[256];
	struct pc_net_frame f;

	known_frame(frame);
	frame[14] = 0x4f; /* 60 bytes of header in a 40-byte IPv4 part */
	cr_assert_eq(parse_exact(frame, PC_NET_ETH_HLEN + 40, &f), -EBADMSG);
}

Test(net, ip_options_are_skipped)
{
	uint8_t plain[256], frame[256 + 4];
	size_t len = known_frame(plain);
	struct pc_net_frame f;

	/* IHL 6: one word of options (four No Operation, RFC 791 3.1). */
	memcpy(frame, plain, 34);
	memset(frame + 34, 1, 4);
	memcpy(frame + 38, plain + 34, len - 34);
	frame[14] = 0x46;
	put16(frame + 16, 0x73 + 4);
	fix_ip_csum(frame);
	cr_assert_eq(parse_exact(frame, len + 4, &f), PC_NET_T_UDP4);
	cr_assert_eq(f.ip.hdr_len, 24);
	cr_assert_eq(f.payload_off, PC_NET_UDP4_HDRS + 4);
	cr_assert_eq(f.payload_len, KNOWN_PAYLOAD);
}

Test(net, total_length_beyond_frame)
{
	uint8_t frame[256];
	size_t len = known_frame(frame);
	struct pc_net_frame f;

	put16(frame + 16, 0x74);
	fix_ip_csum(frame);
	cr_assert_eq(parse_exact(frame, len, &f), -EBADMSG);
	put16(frame + 16, 19); /* shorter than its own header */
	fix_ip_csum(frame);
	cr_assert_eq(parse_exact(frame, len, &f), -EBADMSG);
}

Test(net, fragments)
{
	uint8_t frame[256];
	size_t len = known_frame(frame);
	struct pc_net_frame f;

	put16(frame + 20, 0x2000); /* More Fragments */
	fix_ip_csum(frame);
	cr_assert_eq(parse_exact(frame, len, &f), -EMSGSIZE);
	put16(frame + 20, 0x00b9); /* the last fragment, at offset 185 * 8 */
	fix_ip_csum(frame);
	cr_assert_eq(parse_exact(frame, len, &f), -EMSGSIZE);
	put16(frame + 20, 0x8000 | 0x4000); /* reserved and DF only: whole */
	fix_ip_csum(frame);
	cr_assert_eq(parse_exact(frame, len, &f), PC_NET_T_UDP4);
}

Test(net, bad_ip_checksum)
{
	uint8_t frame[256];
	size_t len = known_frame(frame);
	struct pc_net_frame f;

	frame[24] ^= 0x01;
	cr_assert_eq(parse_exact(frame, len, &f), -EBADMSG);
	known_frame(frame);
	frame[22] = 63; /* TTL changed without the checksum */
	cr_assert_eq(parse_exact(frame, len, &f), -EBADMSG);
}

Test(net, udp_length_wrong)
{
	uint8_t frame[256];
	size_t len = known_frame(frame);
	struct pc_net_frame f;

	put16(frame + 38, 8 + KNOWN_PAYLOAD + 1); /* beyond the IPv4 payload */
	cr_assert_eq(parse_exact(frame, len, &f), -EBADMSG);
	put16(frame + 38, 7); /* shorter than its header */
	cr_assert_eq(parse_exact(frame, len, &f), -EBADMSG);
	/* An IPv4 payload too short for a UDP header. */
	known_frame(frame);
	put16(frame + 16, 20 + 6);
	fix_ip_csum(frame);
	cr_assert_eq(parse_exact(frame, len, &f), -EBADMSG);
}

Test(net, bad_udp_checksum)
{
	uint8_t frame[256];
	size_t len = known_frame(frame);
	struct pc_net_frame f;

	frame[PC_NET_UDP4_HDRS + 50] ^= 0x40; /* a payload bit flipped */
	cr_assert_eq(parse_exact(frame, len, &f), -EBADMSG);
	/* RFC 768: checksum 0 means none; the same frame is then accepted. */
	put16(frame + 40, 0);
	cr_assert_eq(parse_exact(frame, len, &f), PC_NET_T_UDP4);
	cr_assert_eq(f.udp.csum, 0);
}

Test(net, not_udp_not_ipv4)
{
	uint8_t frame[256];
	size_t len = known_frame(frame);
	struct pc_net_frame f;

	frame[23] = 6; /* TCP */
	fix_ip_csum(frame);
	cr_assert_eq(parse_exact(frame, len, &f), -EPROTONOSUPPORT);
	known_frame(frame);
	put16(frame + 12, PC_NET_ETHERTYPE_IPV6);
	cr_assert_eq(parse_exact(frame, len, &f), -EAFNOSUPPORT);
	put16(frame + 12, 0x88cc); /* LLDP */
	cr_assert_eq(parse_exact(frame, len, &f), -EAFNOSUPPORT);
}

/* --- ARP ------------------------------------------------------------------------------------- */

Test(net, arp_round_trip)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t me[6] = { 0x02, 0, 0, 0, 0, 7 };
	struct pc_net_arp req = {
		.op = PC_NET_ARP_REQUEST,
		.sha = { 0x02, 0, 0, 0, 0, 7 },
		.spa = htonl(0x0a000007),
		.tpa = htonl(0x0a000001),
	};
	uint8_t frame[PC_NET_ETH_ZLEN + 8];
	struct pc_net_frame f;

	cr_assert_eq(pc_net_arp_build(frame, PC_NET_ETH_ZLEN - 1, bcast, me, &req), -ENOBUFS);
	cr_assert_eq(pc_net_arp_build(frame, sizeof(frame), bcast, me, &req), PC_NET_ETH_ZLEN);
	cr_assert_eq(parse_exact(frame, PC_NET_ETH_ZLEN, &f), PC_NET_T_ARP);
	cr_assert(pc_net_mac_is_bcast(f.eth.dst));
	cr_assert(pc_net_mac_eq(f.eth.src, me));
	cr_assert_eq(f.arp.op, PC_NET_ARP_REQUEST);
	cr_assert(pc_net_mac_eq(f.arp.sha, req.sha));
	cr_assert(pc_net_mac_is_zero(f.arp.tha));
	cr_assert_eq(f.arp.spa, req.spa);
	cr_assert_eq(f.arp.tpa, req.tpa);
	/* Without the padding: 42 bytes are a whole ARP frame. */
	cr_assert_eq(parse_exact(frame, PC_NET_ETH_HLEN + PC_NET_ARP_LEN, &f), PC_NET_T_ARP);
}

Test(net, arp_truncated_and_foreign)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct pc_net_arp req = { .op = PC_NET_ARP_REPLY };
	uint8_t frame[PC_NET_ETH_ZLEN];
	struct pc_net_frame f;

	pc_net_arp_build(frame, sizeof(frame), bcast, bcast, &req);
	for (size_t k = PC_NET_ETH_HLEN; k < PC_NET_ETH_HLEN + PC_NET_ARP_LEN; k++)
		cr_assert_eq(parse_exact(frame, k, &f), -EBADMSG, "%zu bytes", k);
	put16(frame + 14, 6); /* IEEE 802 hardware */
	cr_assert_eq(parse_exact(frame, sizeof(frame), &f), -EAFNOSUPPORT);
	put16(frame + 14, 1);
	frame[19] = 16; /* IPv6-sized protocol address */
	cr_assert_eq(parse_exact(frame, sizeof(frame), &f), -EAFNOSUPPORT);
	frame[19] = 4;
	put16(frame + 20, 3); /* RARP request */
	cr_assert_eq(parse_exact(frame, sizeof(frame), &f), -EPROTONOSUPPORT);
}

Test(net, builder_limits)
{
	uint8_t frame[PC_NET_UDP4_HDRS];
	struct pc_net_udp4_addr a = { 0 };

	cr_assert_eq(pc_net_udp4_build(frame, PC_NET_UDP4_HDRS - 1, &a, NULL, 0, false), -ENOBUFS);
	cr_assert_eq(pc_net_udp4_build(frame, sizeof(frame), &a, NULL, PC_NET_UDP4_PAYLOAD_MAX + 1,
				       false),
		     -EMSGSIZE);
	cr_assert_eq(pc_net_udp4_build(frame, sizeof(frame), &a, NULL, 0, false), PC_NET_UDP4_HDRS);
	cr_assert_eq(get16(frame + 16), 28);
}
