/* SPDX-License-Identifier: MIT */
/*
 * net_fuzz.c - libFuzzer target for the frame parser of the DPDK backend (fastpath/io/net.c):
 * Ethernet with one 802.1Q tag, ARP, IPv4 and UDP.
 *
 * Notes on running it:
 *   - Built by tests/fuzz/fuzz.cmake only when the C compiler is clang
 *     (cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang), as build-fuzz/tests/net_fuzz, with
 *     -fsanitize=fuzzer,address,undefined; `ctest -L fuzz` runs it for 20 seconds.
 *   - By hand, longer, keeping what it finds: `./net_fuzz -max_total_time=600 corpus/` (the
 *     directory collects the interesting inputs; a crash leaves crash-<sha1> to replay with
 *     `./net_fuzz crash-<sha1>`).
 *   - No seed corpus is needed: mode 1 below repairs the checksums, and the fuzzer's comparison
 *     tracing finds the Ethernet types, IPv4 version and lengths by itself within seconds.
 *
 * The first input byte picks a mode (its low two bits); the rest is a frame, or what to make
 * one of, in a buffer of exactly its length so that AddressSanitizer catches any read past it:
 *   0  parsed as is: every layer's error paths;
 *   1  the IPv4 header checksum and the UDP checksum are repaired first (where the lengths
 *      allow), so that the fuzzer gets past them to the layers behind;
 *   2, 3  synthesised: the input gives the fields of a UDP/IPv4 frame (with or without a UDP
 *      checksum, an 802.1Q tag) or of an ARP packet, the builders make the frame, which must
 *      parse back; then, with mode 3, one byte of it is flipped and it is parsed again.
 * Invariants checked (abort on violation): the parser returns one of its documented results; a
 * frame that parses reports offsets and lengths inside it; a parsed UDP/IPv4 frame rebuilt from
 * what was parsed parses back to the same addresses, ports and payload; an ARP packet rebuilt
 * parses back the same; every frame the builders make parses.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net_pvt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		abort();
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Repair the checksums of an untagged UDP/IPv4 frame where its own lengths allow. */
static void repair(uint8_t *f, size_t len)
{
	uint8_t *ip = f + PC_NET_ETH_HLEN, *udp;
	size_t ihl, tot;
	uint32_t src, dst, sum;
	uint16_t c, ulen;

	if (len < PC_NET_ETH_HLEN + PC_NET_IP4_HLEN)
		return;
	ihl = (ip[0] & 0x0fu) * 4u;
	if (ihl < PC_NET_IP4_HLEN || PC_NET_ETH_HLEN + ihl > len)
		return;
	ip[10] = ip[11] = 0;
	c = pc_net_csum_fold(pc_net_csum_partial(ip, ihl, 0));
	memcpy(ip + 10, &c, 2);
	tot = get16(ip + 2);
	udp = ip + ihl;
	if (tot < ihl + PC_NET_UDP_HLEN || PC_NET_ETH_HLEN + tot > len)
		return;
	ulen = get16(udp + 4);
	if (ulen < PC_NET_UDP_HLEN || ulen > tot - ihl)
		return;
	memcpy(&src, ip + 12, 4);
	memcpy(&dst, ip + 16, 4);
	udp[6] = udp[7] = 0;
	sum = pc_net_udp4_pseudo(src, dst, ulen);
	c = pc_net_csum_fold(pc_net_csum_partial(udp, ulen, sum));
	if (c == 0)
		c = 0xffff;
	memcpy(udp + 6, &c, 2);
}

static void check_udp4(const uint8_t *frame, size_t len, const struct pc_net_frame *f)
{
	struct pc_net_udp4_addr a = { 0 };
	struct pc_net_frame g;
	uint8_t *b;
	int rc;

	check(f->l3_off == f->eth.hdr_len && f->l3_off <= len);
	check((size_t)f->payload_off + f->payload_len <= len);
	check(f->payload_off == f->l3_off + f->ip.hdr_len + PC_NET_UDP_HLEN);
	check(f->ip.hdr_len >= PC_NET_IP4_HLEN && f->ip.total_len <= len - f->l3_off);
	check(f->udp.len == f->payload_len + PC_NET_UDP_HLEN);

	/* Rebuild and parse again: what was understood is what gets sent. */
	b = malloc(PC_NET_UDP4_HDRS + (size_t)f->payload_len + 1);
	check(b != NULL);
	memcpy(b + PC_NET_UDP4_HDRS, frame + f->payload_off, f->payload_len);
	memcpy(a.dst_mac, f->eth.dst, PC_NET_ETH_ALEN);
	memcpy(a.src_mac, f->eth.src, PC_NET_ETH_ALEN);
	a.src_ip = f->ip.src;
	a.dst_ip = f->ip.dst;
	a.src_port = f->udp.src_port;
	a.dst_port = f->udp.dst_port;
	a.ip_id = f->ip.id;
	a.ttl = f->ip.ttl;
	a.tos = f->ip.tos;
	rc = pc_net_udp4_build(b, PC_NET_UDP4_HDRS, &a, b + PC_NET_UDP4_HDRS, f->payload_len,
			       f->udp.csum != 0);
	check(rc == PC_NET_UDP4_HDRS);
	rc = pc_net_parse(b, PC_NET_UDP4_HDRS + (size_t)f->payload_len, &g);
	check(rc == PC_NET_T_UDP4);
	check(g.ip.src == f->ip.src && g.ip.dst == f->ip.dst);
	check(g.udp.src_port == f->udp.src_port && g.udp.dst_port == f->udp.dst_port);
	check(g.payload_len == f->payload_len && g.payload_off == PC_NET_UDP4_HDRS);
	check(memcmp(b + g.payload_off, frame + f->payload_off, f->payload_len) == 0);
	free(b);
}

static void check_arp(const struct pc_net_frame *f)
{
	uint8_t b[PC_NET_ETH_ZLEN];
	struct pc_net_frame g;

	check(pc_net_arp_build(b, sizeof(b), f->eth.dst, f->eth.src, &f->arp) == PC_NET_ETH_ZLEN);
	check(pc_net_parse(b, sizeof(b), &g) == PC_NET_T_ARP);
	check(g.arp.op == f->arp.op && g.arp.spa == f->arp.spa && g.arp.tpa == f->arp.tpa);
	check(pc_net_mac_eq(g.arp.sha, f->arp.sha) && pc_net_mac_eq(g.arp.tha, f->arp.tha));
}

/* Take @n bytes from the input (zeros once it runs out). */
static void take(const uint8_t **in, size_t *left, void *out, size_t n)
{
	size_t k = n < *left ? n : *left;

	memset(out, 0, n);
	memcpy(out, *in, k);
	*in += k;
	*left -= k;
}

/* Make a frame from the fields the input gives; the caller frees it. */
static uint8_t *synthesise(const uint8_t *in, size_t left, size_t *len)
{
	struct pc_net_udp4_addr a;
	struct pc_net_arp arp;
	uint8_t kind, dst[PC_NET_ETH_ALEN], src[PC_NET_ETH_ALEN], *f;
	size_t n;

	take(&in, &left, &kind, 1);
	if (kind & 1) {
		take(&in, &left, dst, sizeof(dst));
		take(&in, &left, src, sizeof(src));
		take(&in, &left, &arp, sizeof(arp));
		arp.op = (kind & 2) ? PC_NET_ARP_REPLY : PC_NET_ARP_REQUEST;
		f = malloc(PC_NET_ETH_ZLEN);
		check(f != NULL);
		check(pc_net_arp_build(f, PC_NET_ETH_ZLEN, dst, src, &arp) == PC_NET_ETH_ZLEN);
		*len = PC_NET_ETH_ZLEN;
		return f;
	}
	take(&in, &left, &a, sizeof(a));
	n = left;
	f = malloc(PC_NET_UDP4_HDRS + PC_NET_VLAN_HLEN + n + 1);
	check(f != NULL);
	memcpy(f + PC_NET_UDP4_HDRS, in, n);
	check(pc_net_udp4_build(f, PC_NET_UDP4_HDRS, &a, f + PC_NET_UDP4_HDRS, n, kind & 2) ==
	      PC_NET_UDP4_HDRS);
	*len = PC_NET_UDP4_HDRS + n;
	if (kind & 4) {
		/* An 802.1Q tag after the MACs; the TCI from the kind byte. */
		memmove(f + 16, f + 12, *len - 12);
		f[12] = 0x81;
		f[13] = 0x00;
		f[14] = kind;
		f[15] = kind;
		*len += PC_NET_VLAN_HLEN;
	}
	return f;
}

static void parse_and_check(const uint8_t *frame, size_t len, bool must_parse)
{
	struct pc_net_frame f;
	int rc;

	rc = pc_net_parse(frame, len, &f);
	check(rc == PC_NET_T_UDP4 || rc == PC_NET_T_ARP || rc == -EBADMSG || rc == -EMSGSIZE ||
	      rc == -EPROTONOSUPPORT || rc == -EAFNOSUPPORT);
	check(!must_parse || rc > 0);
	if (rc == PC_NET_T_UDP4)
		check_udp4(frame, len, &f);
	else if (rc == PC_NET_T_ARP)
		check_arp(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pc_net_eth eth;
	struct pc_net_ip4 ip;
	struct pc_net_udp udp;
	struct pc_net_arp arp;
	uint8_t *frame, mode;
	size_t len;

	if (size == 0)
		return 0;
	mode = data[0] & 3;
	if (mode >= 2) {
		frame = synthesise(data + 1, size - 1, &len);
		parse_and_check(frame, len, true);
		if (mode == 3 && size >= 3) {
			frame[data[1] % len] ^= (uint8_t)(data[2] | 1);
			parse_and_check(frame, len, false);
		}
		free(frame);
		return 0;
	}
	len = size - 1;
	frame = malloc(len ? len : 1);
	if (frame == NULL)
		return 0;
	memcpy(frame, data + 1, len);
	if (mode == 1)
		repair(frame, len);
	parse_and_check(frame, len, false);

	/* Each layer alone, at the start of the buffer. */
	(void)pc_net_eth_parse(frame, len, &eth);
	(void)pc_net_ip4_parse(frame, len, &ip);
	(void)pc_net_udp4_parse(frame, len, 0, 0, &udp);
	(void)pc_net_arp_parse(frame, len, &arp);
	free(frame);
	return 0;
}
