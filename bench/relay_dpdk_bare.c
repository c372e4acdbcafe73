/* SPDX-License-Identifier: MIT */
/*
 * relay_dpdk_bare.c - the bare DPDK forwarder: the same-run floor of relay/dpdk, as the bare
 * recvmmsg/sendmmsg forwarder is for the kernel backends. The least work that relays on an
 * ethdev: rx burst; per frame, check that it is IPv4/UDP to our address on a leg port, rewrite
 * it in place to leave from the other leg's port to that leg's peer (MACs, addresses, ports,
 * the IPv4 and UDP checksums updated incrementally, RFC 1624); tx burst. ARP requests for our
 * address are answered in their buffer. No classification by call beyond the port arithmetic,
 * no RTP parsing, no receive checksum verification, no counters per call: nothing phonecore's
 * relay could skip is done here, so relay/dpdk over this is what the relay costs.
 *
 * Legs: call i has leg A port leg_port[0] + i and leg B port leg_port[1] + i. Leg B sends to
 * the configured remote; leg A learns its remote from the first packet it receives (symmetric
 * RTP, one remote for all calls: the benchmark's generator has one address per side). The MAC
 * of a remote is learnt from the frames and ARP requests its address sends.
 *
 * Thread context: create and destroy on the setup thread; pc_bench_dbare_main() on the
 * forwarding thread until pc_bench_dbare_stop() (any thread). Allocates: create only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "bench_pvt.h"
#include "net_pvt.h"

#define DBARE_BURST 32u
#define DBARE_DESC 1024u
#define DBARE_NEIGH 4u
#define DBARE_RX_POOL "pcb_bare_rx" /* for rx queue setup only: net_ring receives no mbufs */
#define DBARE_OFF_IP PC_NET_ETH_HLEN
#define DBARE_OFF_UDP (PC_NET_ETH_HLEN + PC_NET_IP4_HLEN)

struct dbare_remote {
	uint32_t ip; /* network order */
	uint16_t port;
	bool known;
	bool mac_known;
	uint8_t mac[PC_NET_ETH_ALEN];
};

struct pc_bench_dbare {
	uint16_t port_id;
	bool started;
	uint8_t mac[PC_NET_ETH_ALEN];
	uint32_t ipv4;
	uint16_t leg_port[2]; /* host order */
	uint32_t ncalls;
	struct dbare_remote remote[2]; /* the peer of leg A, of leg B */
	unsigned nneigh;
	struct {
		uint32_t ip;
		uint8_t mac[PC_NET_ETH_ALEN];
	} neigh[DBARE_NEIGH];
	_Atomic uint32_t stop;
	struct pc_bench_dbare_stats st; /* the forwarding thread's; read after it joined */
};

/* --- setup ------------------------------------------------------------------------------------ */

static struct rte_mempool *rx_pool(void)
{
	struct rte_mempool *mp = rte_mempool_lookup(DBARE_RX_POOL);

	return mp ? mp :
		    rte_pktmbuf_pool_create(DBARE_RX_POOL, 255, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					    SOCKET_ID_ANY);
}

int pc_bench_dbare_create(struct pc_bench_dbare **out, const struct pc_bench_dbare_conf *c)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_ether_addr ea;
	struct pc_bench_dbare *b;
	struct rte_mempool *mp;
	uint16_t nb_rxd = DBARE_DESC, nb_txd = DBARE_DESC;
	int rc;

	if (c->ncalls == 0 || c->remote_b.sa.sa_family != AF_INET)
		return -EINVAL;
	mp = rx_pool();
	if (mp == NULL)
		return -(rte_errno > 0 ? rte_errno : ENOMEM);
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return -ENOMEM;
	b->port_id = c->port_id;
	b->ipv4 = c->ipv4;
	b->leg_port[0] = c->leg_port[0];
	b->leg_port[1] = c->leg_port[1];
	b->ncalls = c->ncalls;
	b->remote[1].ip = c->remote_b.in4.sin_addr.s_addr;
	b->remote[1].port = c->remote_b.in4.sin_port;
	b->remote[1].known = true;
	atomic_init(&b->stop, 0);

	rc = rte_eth_dev_configure(b->port_id, 1, 1, &conf);
	if (rc == 0)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(b->port_id, &nb_rxd, &nb_txd);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(b->port_id, 0, nb_rxd, SOCKET_ID_ANY, NULL, mp);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(b->port_id, 0, nb_txd, SOCKET_ID_ANY, NULL);
	if (rc == 0)
		rc = rte_eth_dev_start(b->port_id);
	if (rc == 0)
		rc = rte_eth_macaddr_get(b->port_id, &ea);
	if (rc < 0) {
		fprintf(stderr, "phonecore bench relay: bare dpdk forwarder, port %u: %s\n",
			b->port_id, rte_strerror(-rc));
		(void)rte_eth_dev_close(b->port_id);
		free(b);
		return rc;
	}
	b->started = true;
	memcpy(b->mac, ea.addr_bytes, PC_NET_ETH_ALEN);
	*out = b;
	return 0;
}

void pc_bench_dbare_destroy(struct pc_bench_dbare *b)
{
	struct rte_mbuf *mb[DBARE_BURST];
	unsigned drained = 0;
	uint16_t nb;

	if (b == NULL)
		return;
	/* Frames still queued for us are the generator's buffers: give them back. */
	do {
		nb = rte_eth_rx_burst(b->port_id, 0, mb, DBARE_BURST);
		rte_pktmbuf_free_bulk(mb, nb);
		drained += nb;
	} while (nb > 0 && drained < 100000u);
	if (b->started)
		(void)rte_eth_dev_stop(b->port_id);
	(void)rte_eth_dev_close(b->port_id);
	free(b);
}

void pc_bench_dbare_stop(struct pc_bench_dbare *b)
{
	pc_store_relaxed(&b->stop, 1);
}

void pc_bench_dbare_get_stats(const struct pc_bench_dbare *b, struct pc_bench_dbare_stats *st)
{
	*st = b->st;
}

/* --- the forwarding thread -------------------------------------------------------------------- */

static void neigh_learn(struct pc_bench_dbare *b, uint32_t ip, const uint8_t *mac)
{
	unsigned i;

	for (i = 0; i < b->nneigh && b->neigh[i].ip != ip; i++)
		;
	if (i == DBARE_NEIGH)
		i = DBARE_NEIGH - 1; /* full: the last one goes */
	else if (i == b->nneigh)
		b->nneigh++;
	b->neigh[i].ip = ip;
	memcpy(b->neigh[i].mac, mac, PC_NET_ETH_ALEN);
	for (unsigned r = 0; r < 2; r++)
		if (b->remote[r].known && b->remote[r].ip == ip) {
			memcpy(b->remote[r].mac, mac, PC_NET_ETH_ALEN);
			b->remote[r].mac_known = true;
		}
}

/* An ARP frame for our address: learn its sender; a request becomes the reply, in its buffer.
 * Returns true when @m is now that reply, to be sent; false: drop it. */
static bool arp_input(struct pc_bench_dbare *b, struct rte_mbuf *m)
{
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	struct pc_net_arp a, rep;

	if (m->data_len < PC_NET_ETH_HLEN ||
	    pc_net_arp_parse(d + PC_NET_ETH_HLEN, m->data_len - PC_NET_ETH_HLEN, &a) < 0 ||
	    a.tpa != b->ipv4)
		return false;
	if (a.spa != 0)
		neigh_learn(b, a.spa, a.sha);
	if (a.op != PC_NET_ARP_REQUEST)
		return false;
	rep.op = PC_NET_ARP_REPLY;
	memcpy(rep.sha, b->mac, PC_NET_ETH_ALEN);
	rep.spa = b->ipv4;
	memcpy(rep.tha, a.sha, PC_NET_ETH_ALEN);
	rep.tpa = a.spa;
	if (pc_net_arp_build(rte_pktmbuf_mtod(m, uint8_t *), m->buf_len - m->data_off, a.sha,
			     b->mac, &rep) < 0)
		return false;
	m->data_len = PC_NET_ETH_ZLEN;
	m->pkt_len = PC_NET_ETH_ZLEN;
	b->st.arp_replies++;
	return true;
}

/* RFC 1624 eqn. 3: checksum @hc after the 16-bit words @was (@n of them) became @now. */
static inline uint16_t csum_update(uint16_t hc, const uint16_t *was, const uint16_t *now,
				   unsigned n)
{
	uint32_t s = (uint16_t)~hc;

	for (unsigned i = 0; i < n; i++)
		s += (uint32_t)(uint16_t)~was[i] + now[i];
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* One frame (transferred): true when rewritten for the other leg, to be sent. */
static inline bool forward(struct pc_bench_dbare *b, struct rte_mbuf *m)
{
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	uint8_t *ip = d + DBARE_OFF_IP, *udp = d + DBARE_OFF_UDP;
	/* Words in wire order: source address, destination address, source port, dest port. */
	uint16_t was[6], now[6], type, ipc, udpc;
	const struct dbare_remote *r;
	uint32_t dst, idx;
	uint16_t dport, sport_new;
	unsigned leg;

	if (pc_unlikely(m->data_len < PC_NET_UDP4_HDRS))
		return false;
	memcpy(&type, d + 12, 2);
	if (pc_unlikely(type != htons(PC_NET_ETHERTYPE_IPV4)))
		return type == htons(PC_NET_ETHERTYPE_ARP) && arp_input(b, m);
	memcpy(&dst, ip + 16, 4);
	if (pc_unlikely(ip[0] != 0x45 || ip[9] != PC_NET_IPPROTO_UDP || dst != b->ipv4))
		return false;
	memcpy(&dport, udp + 2, 2);
	dport = ntohs(dport);
	if ((idx = (uint32_t)dport - b->leg_port[0]) < b->ncalls) {
		leg = 0;
	} else if ((idx = (uint32_t)dport - b->leg_port[1]) < b->ncalls) {
		leg = 1;
	} else {
		return false;
	}
	if (pc_unlikely(leg == 0 && !b->remote[0].known)) {
		/* Symmetric RTP: leg A's peer is whoever sent first. */
		memcpy(&b->remote[0].ip, ip + 12, 4);
		memcpy(&b->remote[0].port, udp, 2);
		b->remote[0].known = true;
	}
	if (pc_unlikely(!b->remote[1 - leg].mac_known)) {
		uint32_t src;

		memcpy(&src, ip + 12, 4);
		neigh_learn(b, src, d + 6);
		if (!b->remote[1 - leg].mac_known) {
			b->st.unresolved++;
			return false;
		}
	}
	r = &b->remote[1 - leg];
	sport_new = htons((uint16_t)(b->leg_port[1 - leg] + idx));
	memcpy(was, ip + 12, 8);
	memcpy(was + 4, udp, 4);
	memcpy(now, &b->ipv4, 4);
	memcpy(now + 2, &r->ip, 4);
	now[4] = sport_new;
	now[5] = r->port;
	memcpy(ip + 12, now, 8);
	memcpy(udp, now + 4, 4);
	memcpy(&ipc, ip + 10, 2);
	ipc = csum_update(ipc, was, now, 4);
	memcpy(ip + 10, &ipc, 2);
	memcpy(&udpc, udp + 6, 2);
	if (udpc != 0) { /* 0: sent without one (RFC 768), and stays so */
		udpc = csum_update(udpc, was, now, 6);
		if (udpc == 0)
			udpc = 0xffff;
		memcpy(udp + 6, &udpc, 2);
	}
	memcpy(d, r->mac, PC_NET_ETH_ALEN);
	memcpy(d + 6, b->mac, PC_NET_ETH_ALEN);
	return true;
}

void *pc_bench_dbare_main(void *arg)
{
	struct pc_bench_dbare *b = arg;
	struct rte_mbuf *rx[DBARE_BURST], *tx[DBARE_BURST];

	while (!pc_load_relaxed(&b->stop)) {
		uint16_t nb = rte_eth_rx_burst(b->port_id, 0, rx, DBARE_BURST), k = 0, done;

		if (nb == 0)
			continue;
		for (uint16_t i = 0; i < nb; i++) {
			if (pc_likely(forward(b, rx[i]))) {
				tx[k++] = rx[i];
			} else {
				b->st.dropped++;
				rte_pktmbuf_free(rx[i]);
			}
		}
		done = k ? rte_eth_tx_burst(b->port_id, 0, tx, k) : 0;
		if (done < k) {
			rte_pktmbuf_free_bulk(tx + done, k - done);
			b->st.tx_full += k - done;
		}
		b->st.rx += nb;
		b->st.tx += done;
	}
	return NULL;
}
