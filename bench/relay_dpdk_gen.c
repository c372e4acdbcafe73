/* SPDX-License-Identifier: MIT */
/*
 * relay_dpdk_gen.c - the relay benchmark's light DPDK load generator and sink: test equipment
 * on the generator's end of the net_ring pair, doing as little per packet as it can so that
 * the relay under test, not the generator, bounds the rate (a TRex/pktgen-style template
 * generator).
 *
 * Frames. One template per call and side, built when the calls are selected: Ethernet, IPv4
 * (header checksum computed once: nothing in that header changes per packet), UDP and the RTP
 * header, plus the partial ones' complement sum of the UDP checksum over everything that does
 * not change. Per packet: copy the template and the shared G.711 payload (214 bytes in all),
 * patch the RTP sequence number and timestamp, the send time and trial number in the payload,
 * and finish the UDP checksum incrementally (RFC 1624: the base sum plus nine 16-bit words).
 * The UDP checksum is kept, not sent as 0, so the relay verifies one as it did with the
 * previous, full-stack generator: its work per packet is unchanged.
 *
 * Buffers. The generator's frames must be buffers the relay's dpdk backend takes without a copy
 * (as a NIC's receive ring would hand it its own mbufs): they come from the mempool of the
 * generator's phonecore dpdk instance, whose mbufs are pc_pkt buffers (io_dpdk.c: the struct
 * pc_pkt sits in the mbuf's private area, pkt == (struct pc_pkt *)(m + 1)). That layout is
 * checked once at create. Frames are allocated in bulk from that mempool
 * (rte_pktmbuf_alloc_bulk) and, once back at the sink, freed into the generator's pc_pkt cache
 * (frames of any other pool with rte_pktmbuf_free).
 *
 * Sink. Offsets are the template's: a frame counts when it is IPv4/UDP to one of the
 * generator's two ports with the trial number of the run under way; its latency is the receive
 * time (one clock read per burst) minus the send time it carries. ARP requests for the
 * generator's address are answered in their buffer, and ARP replies resolve the relay.
 *
 * Loss accounting. A frame handed to the wire counts as offered, and so does one the full ring
 * towards the relay refused: that is the relay's receive queue overflowing (what a NIC counts
 * as imissed), its loss, not a frame the generator failed to make. Frames the generator could
 * not allocate are not offered (alloc_fails) and show as a shortfall of the rate asked.
 *
 * Thread context: one thread, the one that owns the generator's phonecore dpdk instance.
 * Allocates: create and destroy only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "bench_pvt.h"
#include "hist_pvt.h"
#include "net_pvt.h"
#include "pc_io.h"

#define DGEN_BURST 32u
#define DGEN_RTP_HLEN 12u
#define DGEN_RTP_LEN 172u /* 12-byte RTP header, 160 bytes of G.711: 20 ms at 8 kHz */
#define DGEN_PAYLOAD_LEN (DGEN_RTP_LEN - DGEN_RTP_HLEN)
#define DGEN_HDR_LEN (PC_NET_UDP4_HDRS + DGEN_RTP_HLEN)	 /* through the RTP header: 54 */
#define DGEN_FRAME_LEN (PC_NET_UDP4_HDRS + DGEN_RTP_LEN) /* 214 */
/* Offsets in the frame (no VLAN tag: the templates carry none, and the relay adds none). */
#define DGEN_OFF_ETHERTYPE 12u
#define DGEN_OFF_IP_PROTO (PC_NET_ETH_HLEN + 9u)
#define DGEN_OFF_UDP (PC_NET_ETH_HLEN + PC_NET_IP4_HLEN)
#define DGEN_OFF_UDP_DPORT (DGEN_OFF_UDP + 2u)
#define DGEN_OFF_UDP_CSUM (DGEN_OFF_UDP + 6u)
#define DGEN_OFF_RTP PC_NET_UDP4_HDRS
#define DGEN_OFF_SEQ (DGEN_OFF_RTP + 2u)
#define DGEN_OFF_TS (DGEN_OFF_RTP + 4u)
#define DGEN_OFF_SENT (DGEN_OFF_RTP + 12u)  /* payload: send time, CLOCK_MONOTONIC ns */
#define DGEN_OFF_TRIAL (DGEN_OFF_RTP + 20u) /* payload: trial number */
#define DGEN_ARP_RETRY_NS 50000000u

_Static_assert(DGEN_OFF_UDP % 2 == 0 && DGEN_OFF_SEQ % 2 == 0 && DGEN_OFF_SENT % 2 == 0 &&
		       DGEN_OFF_TRIAL % 2 == 0,
	       "patched fields are whole 16-bit words of the UDP checksum");

/* One call's frame on one side, up to the payload. 64 bytes: one cache line. */
struct dgen_tmpl {
	uint8_t hdr[DGEN_HDR_LEN];
	uint16_t seq;	   /* the next RTP sequence number */
	uint32_t csum_sum; /* partial sum of the UDP checksum with the patched fields 0 */
	uint32_t pad;
} __attribute__((aligned(64)));

_Static_assert(sizeof(struct dgen_tmpl) == 64, "a template is one cache line");

struct pc_bench_dgen {
	uint16_t port_id;
	uint8_t mac[PC_NET_ETH_ALEN];
	uint32_t ipv4;		    /* network order */
	uint16_t udp_port[2];	    /* network order: the A side's and the B side's */
	struct rte_mempool *mp;	    /* the generator instance's mbufs */
	struct pc_pkt_cache *cache; /* the generator instance's cache on their pool */
	struct dgen_tmpl *tmpl[2];  /* [side][call] */
	unsigned max_calls, ncalls;
	unsigned next_call, next_side;
	bool both;
	bool ready; /* templates built for the calls selected */
	/* The relay's address: resolved by ARP. */
	uint32_t peer_ip; /* network order; 0: none asked */
	bool peer_known;
	uint8_t peer_mac[PC_NET_ETH_ALEN];
	uint8_t payload[DGEN_PAYLOAD_LEN]; /* G.711 silence; the stamp's 12 bytes 0 */
	struct pc_bench_dgen_stats st;
};

/* --- setup ------------------------------------------------------------------------------------ */

int pc_bench_dgen_create(struct pc_bench_dgen **out, struct pc_io *io, const uint16_t ports[2],
			 unsigned max_calls)
{
	struct pc_io_dpdk_info info;
	struct pc_bench_dgen *g;
	struct rte_mbuf *m;
	struct pc_pkt *pkt;
	bool layout_ok;
	int rc;

	rc = pc_io_dpdk_get_info(io, &info);
	if (rc < 0)
		return rc;
	g = calloc(1, sizeof(*g));
	if (g == NULL)
		return -ENOMEM;
	g->port_id = info.port_id;
	memcpy(g->mac, info.mac, PC_NET_ETH_ALEN);
	g->ipv4 = info.ipv4;
	g->udp_port[0] = htons(ports[0]);
	g->udp_port[1] = htons(ports[1]);
	g->cache = pc_io_cache(io);
	g->max_calls = max_calls;
	/* The buffer layout io_dpdk.c documents: the pc_pkt in the private area of its mbuf. */
	pkt = pc_pkt_alloc(g->cache);
	if (pkt == NULL) {
		rc = -ENOBUFS;
		goto out_free;
	}
	m = (struct rte_mbuf *)(void *)pkt - 1;
	layout_ok = m->buf_addr == pkt->buf && m->buf_len == pkt->buf_len && m->pool != NULL &&
		    rte_mbuf_to_priv(m) == (void *)pkt &&
		    m->buf_len >= RTE_PKTMBUF_HEADROOM + DGEN_FRAME_LEN;
	g->mp = layout_ok ? m->pool : NULL;
	pc_pkt_free(g->cache, pkt);
	if (!layout_ok) {
		fprintf(stderr, "phonecore bench relay: the dpdk instance's buffers are not "
				"pc_pkt-in-mbuf as io_dpdk.c documents: no light generator\n");
		rc = -EPROTO;
		goto out_free;
	}
	for (unsigned s = 0; s < 2; s++) {
		g->tmpl[s] = aligned_alloc(64, (size_t)max_calls * sizeof(struct dgen_tmpl));
		if (g->tmpl[s] == NULL) {
			rc = -ENOMEM;
			goto out_free;
		}
	}
	memset(g->payload, 0xd5, sizeof(g->payload)); /* G.711 mu-law silence */
	memset(g->payload, 0, DGEN_OFF_TRIAL + 4 - DGEN_OFF_SENT);
	*out = g;
	return 0;

out_free:
	free(g->tmpl[0]);
	free(g->tmpl[1]);
	free(g);
	return rc;
}

void pc_bench_dgen_destroy(struct pc_bench_dgen *g)
{
	if (g == NULL)
		return;
	free(g->tmpl[0]);
	free(g->tmpl[1]);
	free(g);
}

/* --- ARP -------------------------------------------------------------------------------------- */

static void dgen_arp_request(struct pc_bench_dgen *g)
{
	static const uint8_t bcast[PC_NET_ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct pc_net_arp a = { .op = PC_NET_ARP_REQUEST, .spa = g->ipv4, .tpa = g->peer_ip };
	struct rte_mbuf *m = rte_pktmbuf_alloc(g->mp);
	uint8_t *d;

	if (m == NULL) {
		g->st.alloc_fails++;
		return;
	}
	memcpy(a.sha, g->mac, PC_NET_ETH_ALEN);
	d = rte_pktmbuf_mtod(m, uint8_t *);
	if (pc_net_arp_build(d, rte_pktmbuf_tailroom(m), bcast, g->mac, &a) < 0 ||
	    rte_pktmbuf_append(m, PC_NET_ETH_ZLEN) == NULL ||
	    rte_eth_tx_burst(g->port_id, 0, &m, 1) != 1) {
		rte_pktmbuf_free(m);
		return;
	}
	g->st.arp_requests_sent++;
}

/* An ARP frame @m (transferred): learn the relay from a reply, answer a request for us. */
static void dgen_arp_input(struct pc_bench_dgen *g, struct rte_mbuf *m)
{
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	struct pc_net_arp a, rep;
	uint8_t *w;

	if (m->data_len < PC_NET_ETH_HLEN ||
	    pc_net_arp_parse(d + PC_NET_ETH_HLEN, m->data_len - PC_NET_ETH_HLEN, &a) < 0)
		goto out_other;
	if (a.spa == g->peer_ip && g->peer_ip != 0) {
		memcpy(g->peer_mac, a.sha, PC_NET_ETH_ALEN);
		g->peer_known = true;
	}
	if (a.op != PC_NET_ARP_REQUEST || a.tpa != g->ipv4) {
		rte_pktmbuf_free(m);
		return;
	}
	/* The reply replaces the request in its buffer. */
	rep.op = PC_NET_ARP_REPLY;
	memcpy(rep.sha, g->mac, PC_NET_ETH_ALEN);
	rep.spa = g->ipv4;
	memcpy(rep.tha, a.sha, PC_NET_ETH_ALEN);
	rep.tpa = a.spa;
	w = rte_pktmbuf_mtod(m, uint8_t *);
	if (pc_net_arp_build(w, m->buf_len - m->data_off, a.sha, g->mac, &rep) < 0)
		goto out_other;
	m->data_len = PC_NET_ETH_ZLEN;
	m->pkt_len = PC_NET_ETH_ZLEN;
	if (rte_eth_tx_burst(g->port_id, 0, &m, 1) == 1)
		g->st.arp_replies_sent++;
	else
		rte_pktmbuf_free(m);
	return;

out_other:
	g->st.rx_other++;
	rte_pktmbuf_free(m);
}

int pc_bench_dgen_resolve(struct pc_bench_dgen *g, uint32_t ipv4, uint64_t timeout_ns)
{
	uint64_t now = pc_bench_now_ns(), end = now + timeout_ns, next = now;

	if (g->peer_known && g->peer_ip == ipv4)
		return 0;
	g->peer_ip = ipv4;
	g->peer_known = false;
	g->ready = false;
	while (!g->peer_known) {
		now = pc_bench_now_ns();
		if (now >= end)
			return -ETIMEDOUT;
		if (now >= next) {
			dgen_arp_request(g);
			next = now + DGEN_ARP_RETRY_NS;
		}
		/* Trial 0 is never a run's: whatever UDP comes now is not counted. */
		(void)pc_bench_dgen_receive(g, 0, NULL);
	}
	return 0;
}

/* --- templates -------------------------------------------------------------------------------- */

static void dgen_tmpl_build(struct pc_bench_dgen *g, struct dgen_tmpl *t, unsigned side,
			    unsigned call, const struct sockaddr_in *dst)
{
	struct pc_net_udp4_addr a = {
		.src_ip = g->ipv4,
		.dst_ip = dst->sin_addr.s_addr,
		.src_port = g->udp_port[side],
		.dst_port = dst->sin_port,
		.ip_id = 0,
	};
	uint32_t ssrc = htonl(2 * call + side + 1);
	uint8_t *rtp = t->hdr + DGEN_OFF_RTP;
	uint32_t sum;

	memset(t, 0, sizeof(*t));
	memcpy(a.src_mac, g->mac, PC_NET_ETH_ALEN);
	memcpy(a.dst_mac, g->peer_mac, PC_NET_ETH_ALEN);
	/* IPv4 header with its checksum; UDP checksum left 0 and finished per packet. */
	(void)pc_net_udp4_build(t->hdr, PC_NET_UDP4_HDRS, &a, NULL, DGEN_RTP_LEN, false);
	rtp[0] = 0x80; /* RTP v2, no padding, extension or CSRC */
	rtp[1] = 0;    /* PT 0: PCMU */
	memcpy(rtp + 8, &ssrc, 4);
	/* RFC 768: pseudo header, UDP header (checksum 0), RTP header (sequence number and
	 * timestamp 0), payload (stamp 0). */
	sum = pc_net_udp4_pseudo(a.src_ip, a.dst_ip, PC_NET_UDP_HLEN + DGEN_RTP_LEN);
	sum = pc_net_csum_partial(t->hdr + DGEN_OFF_UDP, PC_NET_UDP_HLEN + DGEN_RTP_HLEN, sum);
	sum = pc_net_csum_partial(g->payload, sizeof(g->payload), sum);
	t->csum_sum = sum;
}

int pc_bench_dgen_select(struct pc_bench_dgen *g, union pc_pkt_addr *const targets[2],
			 unsigned ncalls, bool both)
{
	g->ready = false;
	if (ncalls == 0 || ncalls > g->max_calls || !g->peer_known)
		return -EINVAL;
	for (unsigned s = 0; s < (both ? 2u : 1u); s++)
		for (unsigned i = 0; i < ncalls; i++) {
			const struct sockaddr_in *dst = &targets[s][i].in4;

			/* One relay, one address: the one resolved. */
			if (dst->sin_family != AF_INET || dst->sin_addr.s_addr != g->peer_ip)
				return -EINVAL;
			dgen_tmpl_build(g, &g->tmpl[s][i], s, i, dst);
		}
	g->ncalls = ncalls;
	g->both = both;
	g->next_call = 0;
	g->next_side = 0;
	g->ready = true;
	return 0;
}

/* --- the hot path ----------------------------------------------------------------------------- */

static inline uint32_t fold16(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffu) + (s >> 16);
	s = (s & 0xffffu) + (s >> 16);
	return (uint32_t)((s & 0xffffu) + (s >> 16));
}

unsigned pc_bench_dgen_send(struct pc_bench_dgen *g, unsigned n, uint64_t now_ns, uint32_t trial)
{
	struct rte_mbuf *mb[DGEN_BURST];
	/* The sum of the 16-bit words of the stamp: the same for every frame of the burst, and
	 * the same in either byte order (a sum of all the words of each field). */
	uint64_t stamp_sum = (now_ns & 0xffff) + ((now_ns >> 16) & 0xffff) +
			     ((now_ns >> 32) & 0xffff) + (now_ns >> 48) + (trial & 0xffff) +
			     (trial >> 16);
	uint16_t done;

	if (n > DGEN_BURST)
		n = DGEN_BURST;
	if (pc_unlikely(!g->ready || n == 0))
		return 0;
	if (pc_unlikely(rte_pktmbuf_alloc_bulk(g->mp, mb, n) != 0)) {
		g->st.alloc_fails += n;
		return 0;
	}
	for (unsigned i = 0; i < n; i++) {
		struct dgen_tmpl *t = &g->tmpl[g->next_side][g->next_call];
		uint8_t *d = rte_pktmbuf_mtod(mb[i], uint8_t *);
		uint16_t seq = t->seq++, seq_n = htons(seq), csum;
		uint32_t ts_n = htonl((uint32_t)seq * 160u);
		uint64_t sum;

		memcpy(d, t->hdr, DGEN_HDR_LEN);
		memcpy(d + DGEN_HDR_LEN, g->payload, DGEN_PAYLOAD_LEN);
		memcpy(d + DGEN_OFF_SEQ, &seq_n, 2);
		memcpy(d + DGEN_OFF_TS, &ts_n, 4);
		memcpy(d + DGEN_OFF_SENT, &now_ns, 8);
		memcpy(d + DGEN_OFF_TRIAL, &trial, 4);
		/* RFC 1624: the template's sum plus the words that were 0 in it. */
		sum = (uint64_t)t->csum_sum + seq_n + (ts_n & 0xffff) + (ts_n >> 16) + stamp_sum;
		csum = (uint16_t)~fold16(sum);
		if (csum == 0)
			csum = 0xffff; /* RFC 768: a computed 0 is sent as all ones */
		memcpy(d + DGEN_OFF_UDP_CSUM, &csum, 2);
		mb[i]->data_len = DGEN_FRAME_LEN;
		mb[i]->pkt_len = DGEN_FRAME_LEN;
		if (g->both && g->next_side == 0) {
			g->next_side = 1;
		} else {
			g->next_side = 0;
			g->next_call = g->next_call + 1 == g->ncalls ? 0 : g->next_call + 1;
		}
	}
	done = rte_eth_tx_burst(g->port_id, 0, mb, (uint16_t)n);
	if (pc_unlikely(done < n)) {
		/* The relay's receive ring is full: its loss, counted as offered. */
		rte_pktmbuf_free_bulk(mb + done, n - done);
		g->st.tx_full += n - done;
	}
	g->st.offered += n;
	return n;
}

/* Back to the pool: ours into the generator's cache, anything else through its mempool. */
static inline void dgen_free(struct pc_bench_dgen *g, struct rte_mbuf *m)
{
	if (pc_likely(m->pool == g->mp && m->nb_segs == 1 && RTE_MBUF_DIRECT(m)))
		pc_pkt_free(g->cache, (struct pc_pkt *)rte_mbuf_to_priv(m));
	else
		rte_pktmbuf_free(m);
}

uint64_t pc_bench_dgen_receive(struct pc_bench_dgen *g, uint32_t trial, struct pc_hist *h)
{
	struct rte_mbuf *mb[DGEN_BURST];
	uint64_t got = 0;
	uint16_t nb;

	while ((nb = rte_eth_rx_burst(g->port_id, 0, mb, DGEN_BURST)) > 0) {
		uint64_t now = pc_bench_now_ns();

		for (uint16_t i = 0; i < nb; i++) {
			struct rte_mbuf *m = mb[i];
			const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
			uint8_t lin[DGEN_OFF_TRIAL + 4];
			uint16_t type, dport;
			uint32_t tr;
			uint64_t sent;

			if (pc_unlikely(m->data_len < DGEN_OFF_TRIAL + 4)) {
				/* ARP (60 bytes), a runt, or a chained frame (the relay's zero-copy
				 * path for shared buffers): its first bytes, wherever they are. */
				if (m->data_len >= PC_NET_ETH_HLEN &&
				    memcmp(d + DGEN_OFF_ETHERTYPE, "\x08\x06", 2) == 0) {
					dgen_arp_input(g, m);
					continue;
				}
				d = m->pkt_len >= DGEN_OFF_TRIAL + 4 ?
					    rte_pktmbuf_read(m, 0, sizeof(lin), lin) :
					    NULL;
				if (d == NULL) {
					g->st.rx_other++;
					rte_pktmbuf_free(m);
					continue;
				}
			}
			memcpy(&type, d + DGEN_OFF_ETHERTYPE, 2);
			memcpy(&dport, d + DGEN_OFF_UDP_DPORT, 2);
			if (pc_unlikely(type != htons(PC_NET_ETHERTYPE_IPV4) ||
					d[DGEN_OFF_IP_PROTO] != PC_NET_IPPROTO_UDP ||
					m->pkt_len < DGEN_FRAME_LEN ||
					(dport != g->udp_port[0] && dport != g->udp_port[1]))) {
				if (type == htons(PC_NET_ETHERTYPE_ARP) && m->nb_segs == 1) {
					dgen_arp_input(g, m);
					continue;
				}
				g->st.rx_other++;
				dgen_free(g, m);
				continue;
			}
			memcpy(&tr, d + DGEN_OFF_TRIAL, 4);
			if (pc_likely(tr == trial && trial != 0)) {
				got++;
				if (h != NULL) {
					memcpy(&sent, d + DGEN_OFF_SENT, 8);
					if (now > sent)
						pc_hist_record(h, now - sent);
				}
			} else {
				g->st.rx_stale++;
			}
			dgen_free(g, m);
		}
	}
	g->st.rx_counted += got;
	return got;
}

void pc_bench_dgen_get_stats(const struct pc_bench_dgen *g, struct pc_bench_dgen_stats *st)
{
	*st = g->st;
}
