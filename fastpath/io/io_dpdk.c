/* SPDX-License-Identifier: MIT */
/*
 * io_dpdk.c - the DPDK backend: one ethdev port (a NIC, or a virtual device such as net_ring,
 * net_pcap, net_af_packet or net_tap), one receive and one transmit queue, rte_mbufs as the
 * packet buffers, Ethernet/IPv4/UDP parsed and built here (net.c), ARP answered for our address.
 *
 * EAL. Started once per process, from conf.eal_args split on blanks. Options this machine needs
 * are added when absent: -l <first CPU this thread may use> (one lcore: no worker threads),
 * --no-shconf (several processes at once, nothing in /var/run/dpdk), --no-telemetry,
 * --log-level=lib.*:warning, and -m 512 with --no-huge (EAL's default there is 64 MiB). EAL
 * pins the calling thread to its main lcore; the affinity is put back. When EAL is already up
 * (another instance, the benchmarks, a test), it is reused, and the --vdev devices of
 * eal_args that do not exist yet are created with rte_dev_probe(). A failed rte_eal_init()
 * leaves EAL unusable for the process: the failure is remembered and reported again.
 * The port is conf.dpdk_port_id; UINT16_MAX means "the first --vdev of eal_args", by name.
 *
 * Buffers: one set shared by two allocators, no copy between them.
 *   - Every buffer is an rte_mbuf whose private area (priv_size 128, right after the struct
 *     rte_mbuf) holds the struct pc_pkt of the same buffer: pkt = (struct pc_pkt *)(m + 1),
 *     m = (struct rte_mbuf *)pkt - 1, and pkt->buf == m->buf_addr.
 *   - The free buffers live in ONE place: the pc_pkt pool (made with PC_PKT_POOL_F_EXTERNAL, every
 *     mbuf added to it with pc_pkt_pool_add() after rte_pktmbuf_init(), which zeroes the private
 *     area). The rte_mempool the driver allocates from has no store of its own: its mempool ops
 *     ("pc_pkt") dequeue from the pc_pkt pool and enqueue back into it, converting pkt <-> mbuf.
 *     Its per-lcore cache is off (cache_size 0), so a buffer is either in the pc_pkt pool or held
 *     by someone, and pc_pkt_pool_stats() counts every buffer exactly. While rx_burst and
 *     tx_burst run, the ops go through the owning thread's pc_pkt cache (a thread-local pointer
 *     set for the duration of the call); from anywhere else through the pool's shared ring.
 *   - During rte_mempool_populate_default() the mempool enqueues each object as it carves it,
 *     before rte_pktmbuf_init() and pc_pkt_pool_add() ran: the ops ignore enqueues until the pool
 *     is marked ready, and pc_pkt_pool_add() then puts each buffer on the free ring.
 *   - A buffer in the pool is an mbuf in DPDK's "raw" state (refcnt 1, one segment, no next):
 *     rte_pktmbuf_free() leaves it so, frames of several segments are copied out at receive, and
 *     the mbuf's reference count is never used (it stays 1).
 * Reference counts: the pc_pkt's own refcnt is the only one that counts holders (fan-out).
 *   - Receive: frames arrive in our mbufs (or a sibling instance's: net_ring passes mbufs between
 *     ports by pointer); the pc_pkt header is filled and the mbuf's data_off/data_len/pkt_len set
 *     to the UDP payload, so both views agree. Frames in other mbufs (another mempool, chains,
 *     external buffers) are copied into one of ours and freed.
 *   - Transmit, refcnt 1, buffer of a DPDK pool: headers prepended in the headroom, the mbuf
 *     synced and handed to the driver, which frees it back through the ops into the pc_pkt pool.
 *   - Transmit, refcnt 1, buffer of another pc_pkt pool: headers prepended, and the buffer goes
 *     out as the external buffer of a small mbuf (rte_pktmbuf_attach_extbuf); the mbuf's shared
 *     info (in its private area) calls pc_pkt_free() when the driver lets go.
 *   - Transmit, shared (refcnt > 1): others read the buffer, so nothing is written to it, the
 *     headroom included. Headers go into a header mbuf, chained to an mbuf that carries the
 *     payload as an external buffer; the caller's reference moves to that external buffer and
 *     is dropped by its free callback. Zero copy, two segments: used when the device takes
 *     multi-segment frames (RTE_ETH_TX_OFFLOAD_MULTI_SEGS); otherwise the payload is copied into
 *     a fresh buffer (counted in tx_copied).
 *
 * Receive path: rte_eth_rx_burst, then per frame pc_net_parse() (Ethernet, one 802.1Q tag,
 * IPv4 with header checksum, total length, no fragments, UDP length and checksum). UDP to our
 * MAC (or broadcast), our IPv4 address and an open port becomes a packet; ARP requests for our
 * address are answered in the same buffer; the rest is counted and freed. The source MAC of
 * every frame for us is learnt for its source address, so a peer that sent first is answered
 * without ARP (and through a router: its MAC is what the frames came from).
 * Transmit path: the destination MAC comes from that neighbour table (256 entries, fixed);
 * unknown, it sends an ARP request (at most one a second per address) and drops the packet
 * (tx_errors). The IPv4 header checksum is computed in software, and so is the UDP checksum:
 * RFC 768 would allow 0 over IPv4, but plain RTP has no other integrity check, and no virtual
 * device here offers the offload.
 * IPv6: port_prepare refuses it with -EAFNOSUPPORT; IPv6 frames are counted as unsupported.
 *
 * Limits. Frames one instance sent through net_ring to another are that instance's buffers
 * until received: drain the receiver before destroying the sender. fini closes the port: it
 * cannot be opened again in the same process. Buffers of a pc_pkt pool that is not a DPDK one
 * go out as external buffers at their virtual address: fine for virtual devices, but a NIC
 * would need that memory registered for DMA first.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "io_pvt.h"
#include "net_pvt.h"

_Static_assert(sizeof(struct pc_pkt) == 128, "the pc_pkt header fills the mbuf private area");
_Static_assert(sizeof(struct pc_pkt) % RTE_MBUF_PRIV_ALIGN == 0, "private area alignment");
_Static_assert(RTE_PKTMBUF_HEADROOM >= PC_PKT_HEADROOM_MIN, "mbuf headroom holds our headers");
_Static_assert(RTE_PKTMBUF_HEADROOM <= UINT16_MAX, "headroom fits the pool parameters");

#define DPDK_OPS_NAME "pc_pkt"
#define DPDK_EAL_ARGS_MAX 64
#define DPDK_EAL_BUF 2048
#define DPDK_POOLS_MAX 16    /* instances whose buffers others may send directly */
#define DPDK_NEIGH_SLOTS 256 /* power of two */
#define DPDK_NEIGH_PROBES 8
#define DPDK_CTL_MAX 64 /* ARP frames waiting to be sent */
#define DPDK_DESC_MAX 1024u
#define DPDK_LINK_WAIT_MS 2000
#define DPDK_WAIT_MAX_NS 50000u /* pc_io_wait: the longest sleep without interrupts */
#define DPDK_EPH_FIRST 49152u	/* RFC 6335 6: the dynamic port range */
#define DPDK_EPH_COUNT 16384u
#define DPDK_RX_DRAIN_MAX 100000u
/* Header mbufs: the 42 bytes of headers in front of a shared payload, and the small mbufs that
 * carry external buffers. Their private area holds the external buffer's shared info. */
#define DPDK_HDR_ROOM (RTE_PKTMBUF_HEADROOM + 64u)
/* Our mbufs: 2 KiB after the headroom, as RTE_MBUF_DEFAULT_DATAROOM, because drivers size
 * their receive buffers from it (NICs in 1 KiB steps; net_af_packet wants its 2016-byte frames
 * to fit), of which the pc_pkt pool keeps the last 64 bytes as tailroom. */
#define DPDK_MBUF_ROOM (RTE_PKTMBUF_HEADROOM + 2048u)
#define DPDK_DATA_ROOM (2048u - PC_PKT_TAILROOM_MIN)
#define DPDK_HDR_PRIV RTE_ALIGN(sizeof(struct rte_mbuf_ext_shared_info), RTE_MBUF_PRIV_ALIGN)

enum neigh_state {
	NEIGH_FREE = 0,
	NEIGH_PENDING, /* asked for, no answer yet */
	NEIGH_KNOWN,
};

struct neigh {
	uint32_t ip; /* network order */
	uint8_t mac[PC_NET_ETH_ALEN];
	uint8_t state;
	uint8_t pad;
	uint64_t asked_tsc; /* when the last request for it went out */
};

/* What the mempool ops need: the pool they front, and whether it is ready. */
struct mp_ctx {
	struct pc_pkt_pool *pool;
	uint32_t ready; /* set once every mbuf was initialised and added (setup, one thread) */
};

struct dpdk_priv {
	uint16_t port_id;
	uint16_t mtu;
	uint32_t ipv4; /* network order */
	uint8_t mac[PC_NET_ETH_ALEN];
	uint16_t ip_id;
	uint32_t eph_next; /* next ephemeral port to try, as an offset in the range */
	uint32_t pool_slot;
	bool port_claimed;
	bool port_configured;
	struct rte_mempool *mp;	    /* mbufs over the pc_pkt pool */
	struct rte_mempool *hdr_mp; /* header and external-buffer mbufs */
	struct mp_ctx ctx;
	uint64_t tsc_hz;
	struct pc_io_dpdk_info info;
	unsigned nctl;
	struct rte_mbuf *ctl[DPDK_CTL_MAX];
	struct neigh neigh[DPDK_NEIGH_SLOTS];
	uint16_t udp_port[65536]; /* UDP port (host order) -> our port id; 0: none */
};

/* --- process-wide state ----------------------------------------------------------------------- */

static pthread_mutex_t dpdk_lock = PTHREAD_MUTEX_INITIALIZER;
static int eal_state; /* 0: not started by us yet; 1: up; < 0: failed with this -errno */
static char eal_failure[200];
static char eal_buf[DPDK_EAL_BUF]; /* EAL may keep pointers into its argv: keep them alive */
static char *eal_argv[DPDK_EAL_ARGS_MAX + 16];
static int dpdk_ops_index = -1;
static unsigned dpdk_seq;
static uint8_t port_busy[RTE_MAX_ETHPORTS];
/* The pc_pkt pools of the live instances: a packet of any of them is an mbuf and can be handed
 * to any of their drivers as is. Written under dpdk_lock at init and fini, read lock-free: a
 * packet of a pool can only be held while that pool lives. */
static struct pc_pkt_pool *_Atomic dpdk_pools[DPDK_POOLS_MAX];

/* The calling thread's pc_pkt cache while one of our bursts runs (NULL otherwise), for the
 * mempool ops and the external-buffer free callback that the driver calls from inside it. */
static _Thread_local struct pc_pkt_cache *dpdk_tls_cache;

static inline struct pc_pkt *mbuf_pkt(struct rte_mbuf *m)
{
	return (struct pc_pkt *)(void *)(m + 1);
}

static inline struct rte_mbuf *pkt_mbuf(struct pc_pkt *pkt)
{
	return (struct rte_mbuf *)(void *)pkt - 1;
}

static bool is_dpdk_pool(const struct dpdk_priv *dp, const struct pc_pkt_pool *pool)
{
	if (pc_likely(pool == dp->ctx.pool))
		return true;
	for (unsigned i = 0; i < DPDK_POOLS_MAX; i++)
		if (pc_load_relaxed(&dpdk_pools[i]) == pool)
			return true;
	return false;
}

/* --- the mempool ops: the mbuf pool's store is the pc_pkt pool ------------------------------- */

static int mp_ops_alloc(struct rte_mempool *mp)
{
	if (mp->pool_config == NULL)
		return -EINVAL;
	mp->pool_data = mp->pool_config;
	return 0;
}

static void mp_ops_free(struct rte_mempool *mp)
{
	(void)mp; /* the pc_pkt pool outlives the mempool; fini destroys it */
}

static int mp_ops_enqueue(struct rte_mempool *mp, void *const *objs, unsigned n)
{
	const struct mp_ctx *ctx = mp->pool_data;
	struct pc_pkt_cache *c = dpdk_tls_cache;

	/* Populate enqueues raw memory: the buffers join the pool through pc_pkt_pool_add(). */
	if (pc_unlikely(!ctx->ready))
		return 0;
	/* The driver freed these mbufs: their pc_pkt references are 1 (we only hand it buffers we
	 * alone hold), so this returns them. A cache of another pool sends them to their ring. */
	for (unsigned i = 0; i < n; i++)
		pc_pkt_free(c, mbuf_pkt(objs[i]));
	return 0;
}

static int mp_ops_dequeue(struct rte_mempool *mp, void **objs, unsigned n)
{
	const struct mp_ctx *ctx = mp->pool_data;
	struct pc_pkt_cache *c = dpdk_tls_cache;
	struct pc_pkt *pkts[PC_IO_BURST_MAX];
	unsigned done = 0;

	if (pc_unlikely(!ctx->ready))
		return -ENOBUFS;
	if (c != NULL && c->pool != ctx->pool)
		c = NULL;
	while (done < n) {
		unsigned want = n - done < PC_IO_BURST_MAX ? n - done : PC_IO_BURST_MAX, got;

		got = c ? pc_pkt_alloc_burst(c, pkts, want) :
			  pc_pkt_pool_alloc_burst(ctx->pool, pkts, want);
		for (unsigned i = 0; i < got; i++)
			objs[done + i] = pkt_mbuf(pkts[i]);
		done += got;
		if (pc_unlikely(got < want)) {
			/* A mempool dequeue is all or nothing: give back what was taken. */
			for (unsigned i = 0; i < done; i++)
				pc_pkt_free(c, mbuf_pkt(objs[i]));
			return -ENOBUFS;
		}
	}
	return 0;
}

static unsigned mp_ops_get_count(const struct rte_mempool *mp)
{
	const struct mp_ctx *ctx = mp->pool_data;
	struct pc_pkt_pool_stats st;

	if (!ctx->ready)
		return 0;
	pc_pkt_pool_stats(ctx->pool, &st);
	return st.avail;
}

static const struct rte_mempool_ops dpdk_mp_ops = {
	.name = DPDK_OPS_NAME,
	.alloc = mp_ops_alloc,
	.free = mp_ops_free,
	.enqueue = mp_ops_enqueue,
	.dequeue = mp_ops_dequeue,
	.get_count = mp_ops_get_count,
};

/* The free callback of an external buffer: drops the reference its mbuf carried. Runs wherever
 * the mbuf is freed: in the driver, or in a sibling instance that received it. */
static void extbuf_free(void *addr, void *opaque)
{
	(void)addr;
	pc_pkt_free(dpdk_tls_cache, opaque);
}

/* --- EAL -------------------------------------------------------------------------------------- */

static bool arg_is(const char *tok, const char *opt)
{
	size_t n = strlen(opt);

	return strncmp(tok, opt, n) == 0 && (tok[n] == '\0' || tok[n] == '=');
}

/* Short options take their value attached or as the next word: "-l0" or "-l 0". */
static bool arg_short(const char *tok, char opt)
{
	return tok[0] == '-' && tok[1] == opt;
}

static int first_allowed_cpu(const cpu_set_t *set)
{
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, set))
			return i;
	return 0;
}

/* Split @args into eal_argv (static storage) and add what this machine needs when absent.
 * Returns argc, or -EINVAL with @why. */
static int eal_build_argv(const char *args, const cpu_set_t *cpus, char *why, size_t why_len)
{
	bool lcores = false, shconf = false, telemetry = false, loglevel = false, mem = false;
	bool nohuge = false, inmem = false;
	size_t used;
	char *save = NULL, *tok;
	int argc = 0;

	used = (size_t)snprintf(eal_buf, sizeof(eal_buf), "%s", args ? args : "") + 1;
	if (used > sizeof(eal_buf) / 2) {
		snprintf(why, why_len, "EAL arguments longer than %zu bytes", sizeof(eal_buf) / 2);
		return -EINVAL;
	}
	eal_argv[argc++] = "phonecore";
	for (tok = strtok_r(eal_buf, " \t\n", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t\n", &save)) {
		if (argc == DPDK_EAL_ARGS_MAX) {
			snprintf(why, why_len, "more than %d EAL arguments", DPDK_EAL_ARGS_MAX);
			return -EINVAL;
		}
		eal_argv[argc++] = tok;
		lcores |= arg_short(tok, 'l') || arg_short(tok, 'c') || arg_is(tok, "--lcores");
		shconf |= arg_is(tok, "--no-shconf") || arg_is(tok, "--in-memory");
		telemetry |= arg_is(tok, "--no-telemetry") || arg_is(tok, "--telemetry");
		loglevel |= arg_is(tok, "--log-level");
		mem |= arg_short(tok, 'm') || arg_is(tok, "--socket-mem");
		nohuge |= arg_is(tok, "--no-huge");
		inmem |= arg_is(tok, "--in-memory");
	}
	if (nohuge && inmem) {
		/* DPDK 22.11 refuses the pair ("--legacy-mem is not compatible with --in-memory")
		 * and EAL could not be started again in this process. */
		snprintf(why, why_len,
			 "--in-memory cannot go with --no-huge in DPDK 22.11: use "
			 "--no-shconf");
		return -EINVAL;
	}
	/* The extra words live in the second half of eal_buf. */
	tok = eal_buf + used;
	if (!lcores) {
		eal_argv[argc++] = "-l";
		snprintf(tok, 16, "%d", first_allowed_cpu(cpus));
		eal_argv[argc++] = tok;
	}
	if (!shconf)
		eal_argv[argc++] = "--no-shconf";
	if (!telemetry)
		eal_argv[argc++] = "--no-telemetry";
	if (!loglevel)
		eal_argv[argc++] = "--log-level=lib.*:warning";
	if (nohuge && !mem) {
		eal_argv[argc++] = "-m";
		eal_argv[argc++] = "512";
	}
	eal_argv[argc] = NULL;
	return argc;
}

/* Create the --vdev devices of @args that do not exist yet (EAL already up): rte_dev_probe()
 * takes the same "name,key=value,..." the option does. Called locked. */
static int eal_hotplug_vdevs(const char *args, char *why, size_t why_len)
{
	char buf[DPDK_EAL_BUF / 2], name[RTE_ETH_NAME_MAX_LEN], *save = NULL, *tok;
	bool next_is_vdev = false;

	snprintf(buf, sizeof(buf), "%s", args ? args : "");
	for (tok = strtok_r(buf, " \t\n", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t\n", &save)) {
		const char *spec = NULL;
		size_t n;
		uint16_t id;
		int rc;

		if (next_is_vdev)
			spec = tok;
		else if (strncmp(tok, "--vdev=", 7) == 0)
			spec = tok + 7;
		next_is_vdev = strcmp(tok, "--vdev") == 0;
		if (spec == NULL)
			continue;
		n = strcspn(spec, ",");
		if (n == 0 || n >= sizeof(name))
			continue;
		memcpy(name, spec, n);
		name[n] = '\0';
		if (rte_eth_dev_get_port_by_name(name, &id) == 0)
			continue;
		rc = rte_dev_probe(spec);
		if (rc < 0) {
			snprintf(why, why_len, "EAL is up; creating vdev %s failed: %s", spec,
				 strerror(-rc));
			return -ENOTSUP;
		}
	}
	return 0;
}

/* Start EAL once per process, or reuse it. Returns 0, or -ENOTSUP/-EINVAL with @why. */
static int eal_start(const char *args, char *why, size_t why_len)
{
	cpu_set_t saved;
	bool have_saved;
	int argc, rc = 0;

	pthread_mutex_lock(&dpdk_lock);
	if (eal_state == 0 && rte_lcore_count() > 0 && rte_eal_iova_mode() != RTE_IOVA_DC)
		eal_state = 1; /* started elsewhere in this process (benchmarks, a test) */
	if (eal_state == 1) {
		rc = eal_hotplug_vdevs(args, why, why_len);
		goto out_unlock;
	}
	if (eal_state < 0) {
		snprintf(why, why_len, "EAL failed earlier in this process (%s)", eal_failure);
		rc = -ENOTSUP;
		goto out_unlock;
	}
	have_saved = pthread_getaffinity_np(pthread_self(), sizeof(saved), &saved) == 0;
	if (!have_saved)
		CPU_ZERO(&saved);
	argc = eal_build_argv(args, &saved, why, why_len);
	if (argc < 0) {
		rc = argc;
		goto out_unlock;
	}
	/* DPDK logs to stdout by default, which belongs to the program's own output. */
	rte_openlog_stream(stderr);
	if (rte_eal_init(argc, eal_argv) < 0) {
		int err = rte_errno > 0 ? rte_errno : EIO;

		snprintf(eal_failure, sizeof(eal_failure), "rte_eal_init: %s", rte_strerror(err));
		snprintf(why, why_len, "%s", eal_failure);
		eal_state = -err;
		rc = -ENOTSUP;
	} else {
		eal_state = 1;
	}
	/* EAL pinned this thread to its main lcore; the caller did not ask for that. */
	if (have_saved)
		pthread_setaffinity_np(pthread_self(), sizeof(saved), &saved);
out_unlock:
	pthread_mutex_unlock(&dpdk_lock);
	return rc;
}

static int ops_register(char *why, size_t why_len)
{
	int rc = 0;

	pthread_mutex_lock(&dpdk_lock);
	if (dpdk_ops_index < 0) {
		rc = rte_mempool_register_ops(&dpdk_mp_ops);
		if (rc >= 0) {
			dpdk_ops_index = rc;
			rc = 0;
		} else {
			snprintf(why, why_len, "rte_mempool_register_ops: %s", strerror(-rc));
		}
	}
	pthread_mutex_unlock(&dpdk_lock);
	return rc;
}

/* The first --vdev name of @args into @name. */
static bool first_vdev(const char *args, char *name, size_t len)
{
	const char *p = args ? strstr(args, "--vdev") : NULL;
	size_t n;

	if (p == NULL)
		return false;
	p += 6;
	p += strspn(p, "= \t");
	n = strcspn(p, ", \t\n");
	if (n == 0 || n >= len)
		return false;
	memcpy(name, p, n);
	name[n] = '\0';
	return true;
}

static int port_find(const struct pc_io_conf *conf, uint16_t *port, char *why, size_t why_len)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	uint16_t id = conf->dpdk_port_id, p;
	size_t off;

	if (id == PC_IO_DPDK_PORT_BY_VDEV) {
		if (!first_vdev(conf->eal_args, name, sizeof(name)) ||
		    rte_eth_dev_get_port_by_name(name, &id) != 0) {
			snprintf(why, why_len,
				 "port UINT16_MAX asks for the first --vdev of the EAL "
				 "arguments, and there is no such port");
			return -ENOTSUP;
		}
	}
	if (rte_eth_dev_is_valid_port(id)) {
		*port = id;
		return 0;
	}
	off = (size_t)snprintf(why, why_len, "no ethdev port %u; ports:", id);
	for (p = rte_eth_find_next(0); p < RTE_MAX_ETHPORTS; p = rte_eth_find_next(p + 1)) {
		if (off >= why_len || rte_eth_dev_get_name_by_port(p, name) != 0)
			break;
		off += (size_t)snprintf(why + off, why_len - off, " %u (%s)", p, name);
	}
	if (off < why_len && rte_eth_dev_count_avail() == 0)
		snprintf(why + off, why_len - off, " none (add --vdev=...)");
	return -ENOTSUP;
}

/* --- pools ------------------------------------------------------------------------------------ */

static struct rte_mempool *mbuf_pool_create(const char *name, unsigned n, uint16_t room,
					    uint16_t priv_size, const char *ops, void *ops_config)
{
	struct rte_pktmbuf_pool_private pp = {
		.mbuf_data_room_size = room,
		.mbuf_priv_size = priv_size,
	};
	struct rte_mempool *mp;
	int rc;

	/* As rte_pktmbuf_pool_create() does, but without a per-lcore cache (every buffer is either
	 * in the store or held), and with RTE_MEMPOOL_F_NO_IOVA_CONTIG where IO addresses are
	 * virtual ones (always so without hugepages): there page-bounded objects would take one
	 * 4 KiB page each (see bench/pool_bench.c) for nothing. With physical IO addresses a NIC
	 * needs each buffer contiguous, and gets it. */
	unsigned flags = rte_eal_iova_mode() == RTE_IOVA_VA ? RTE_MEMPOOL_F_NO_IOVA_CONTIG : 0;

	mp = rte_mempool_create_empty(name, n, sizeof(struct rte_mbuf) + priv_size + room, 0,
				      sizeof(pp), SOCKET_ID_ANY, flags);
	if (mp == NULL)
		return NULL;
	rc = rte_mempool_set_ops_byname(mp, ops, ops_config);
	if (rc < 0)
		goto out_free;
	rte_pktmbuf_pool_init(mp, &pp);
	rc = rte_mempool_populate_default(mp);
	if (rc < 0)
		goto out_free;
	if (mp->populated_size != n) {
		rc = -ENOMEM;
		goto out_free;
	}
	rte_mempool_obj_iter(mp, rte_pktmbuf_init, NULL);
	return mp;

out_free:
	rte_mempool_free(mp);
	rte_errno = -rc;
	return NULL;
}

struct add_ctx {
	struct pc_pkt_pool *pool;
	int rc;
};

static void pool_add_mbuf(struct rte_mempool *mp, void *arg, void *obj, unsigned idx)
{
	struct add_ctx *a = arg;
	struct rte_mbuf *m = obj;
	int rc;

	(void)mp;
	(void)idx;
	rc = pc_pkt_pool_add(a->pool, mbuf_pkt(m), m->buf_addr, m->buf_len);
	if (rc < 0 && a->rc == 0)
		a->rc = rc;
}

static int pools_create(struct pc_io *io, struct dpdk_priv *dp, char *why, size_t why_len)
{
	struct pc_pkt_pool_params pp = {
		.name = "dpdk",
		.count = io->conf.pkts,
		.data_room = DPDK_DATA_ROOM,
		.headroom = RTE_PKTMBUF_HEADROOM,
		.tailroom = PC_PKT_TAILROOM_MIN,
		.flags = PC_PKT_POOL_F_EXTERNAL,
	};
	struct add_ctx add = { 0 };
	char name[RTE_MEMPOOL_NAMESIZE];
	unsigned seq;
	int rc;

	rc = pc_pkt_pool_create(&dp->ctx.pool, &pp);
	if (rc < 0) {
		snprintf(why, why_len, "pc_pkt_pool_create(%u): %s", pp.count, strerror(-rc));
		return rc;
	}
	pthread_mutex_lock(&dpdk_lock);
	seq = dpdk_seq++;
	pthread_mutex_unlock(&dpdk_lock);

	snprintf(name, sizeof(name), "pcio%u_%u", dp->port_id, seq);
	dp->mp = mbuf_pool_create(name, io->conf.pkts, DPDK_MBUF_ROOM, sizeof(struct pc_pkt),
				  DPDK_OPS_NAME, &dp->ctx);
	if (dp->mp == NULL) {
		rc = -(rte_errno > 0 ? rte_errno : ENOMEM);
		snprintf(why, why_len, "creating %u mbufs: %s", io->conf.pkts, rte_strerror(-rc));
		goto out_pool;
	}
	/* rte_pktmbuf_init() zeroed the private areas: the pc_pkt headers are written now. */
	add.pool = dp->ctx.pool;
	rte_mempool_obj_iter(dp->mp, pool_add_mbuf, &add);
	if (add.rc < 0) {
		rc = add.rc;
		snprintf(why, why_len, "pc_pkt_pool_add: %s", strerror(-rc));
		goto out_mp;
	}
	dp->ctx.ready = 1;

	snprintf(name, sizeof(name), "pchdr%u_%u", dp->port_id, seq);
	dp->hdr_mp = mbuf_pool_create(name, io->conf.pkts, DPDK_HDR_ROOM, (uint16_t)DPDK_HDR_PRIV,
				      RTE_MBUF_DEFAULT_MEMPOOL_OPS, NULL);
	if (dp->hdr_mp == NULL) {
		rc = -(rte_errno > 0 ? rte_errno : ENOMEM);
		snprintf(why, why_len, "creating %u header mbufs: %s", io->conf.pkts,
			 rte_strerror(-rc));
		goto out_mp;
	}
	rc = pc_pkt_cache_attach(dp->ctx.pool, &io->cache);
	if (rc < 0) {
		snprintf(why, why_len, "pc_pkt_cache_attach: %s", strerror(-rc));
		goto out_hdr;
	}
	io->pool = dp->ctx.pool;
	return 0;

out_hdr:
	rte_mempool_free(dp->hdr_mp);
	dp->hdr_mp = NULL;
out_mp:
	rte_mempool_free(dp->mp);
	dp->mp = NULL;
out_pool:
	pc_pkt_pool_destroy(dp->ctx.pool);
	dp->ctx.pool = NULL;
	return rc;
}

static void pools_destroy(struct pc_io *io, struct dpdk_priv *dp)
{
	if (io->cache != NULL)
		pc_pkt_cache_detach(io->cache);
	io->cache = NULL;
	rte_mempool_free(dp->hdr_mp);
	rte_mempool_free(dp->mp);
	pc_pkt_pool_destroy(dp->ctx.pool);
	dp->hdr_mp = NULL;
	dp->mp = NULL;
	dp->ctx.pool = NULL;
	io->pool = NULL;
}

/* --- the port --------------------------------------------------------------------------------- */

static int port_claim(struct dpdk_priv *dp, char *why, size_t why_len)
{
	int rc = 0;

	pthread_mutex_lock(&dpdk_lock);
	if (port_busy[dp->port_id]) {
		snprintf(why, why_len, "port %u is used by another instance", dp->port_id);
		rc = -EBUSY;
	} else {
		port_busy[dp->port_id] = 1;
		dp->port_claimed = true;
	}
	pthread_mutex_unlock(&dpdk_lock);
	return rc;
}

static void port_release(struct dpdk_priv *dp)
{
	pthread_mutex_lock(&dpdk_lock);
	if (dp->port_claimed)
		port_busy[dp->port_id] = 0;
	dp->port_claimed = false;
	pthread_mutex_unlock(&dpdk_lock);
}

static void pool_publish(struct dpdk_priv *dp, struct pc_pkt_pool *pool)
{
	pthread_mutex_lock(&dpdk_lock);
	for (unsigned i = 0; i < DPDK_POOLS_MAX; i++) {
		if (pc_load_relaxed(&dpdk_pools[i]) == NULL) {
			/* Relaxed: a packet of this pool reaches another instance only through a
			 * hand-off that orders it (a ring, a driver queue). */
			pc_store_relaxed(&dpdk_pools[i], pool);
			dp->pool_slot = i + 1;
			break;
		}
	}
	pthread_mutex_unlock(&dpdk_lock);
}

static void pool_unpublish(struct dpdk_priv *dp)
{
	pthread_mutex_lock(&dpdk_lock);
	if (dp->pool_slot)
		pc_store_relaxed(&dpdk_pools[dp->pool_slot - 1], NULL);
	dp->pool_slot = 0;
	pthread_mutex_unlock(&dpdk_lock);
}

static int port_start(struct pc_io *io, struct dpdk_priv *dp, char *why, size_t why_len)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info di;
	struct rte_ether_addr ea;
	struct rte_eth_link link;
	uint16_t nb_rxd, nb_txd, id = dp->port_id;
	int rc, socket = rte_eth_dev_socket_id(id);

	rc = rte_eth_dev_info_get(id, &di);
	if (rc < 0) {
		snprintf(why, why_len, "port %u: rte_eth_dev_info_get: %s", id, strerror(-rc));
		return rc;
	}
	if (di.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) {
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
		dp->info.multi_seg = 1;
	}
	rc = rte_eth_dev_configure(id, 1, 1, &conf);
	if (rc < 0) {
		snprintf(why, why_len, "port %u (%s): rte_eth_dev_configure: %s", id,
			 di.driver_name, strerror(-rc));
		return rc;
	}
	dp->port_configured = true;
	/* A NIC fills its receive ring from the pool at start: leave most buffers to the app. */
	nb_rxd = (uint16_t)RTE_MAX(1u, RTE_MIN(DPDK_DESC_MAX, io->conf.pkts / 4));
	nb_txd = nb_rxd;
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(id, &nb_rxd, &nb_txd);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(id, 0, nb_rxd, socket < 0 ? SOCKET_ID_ANY : socket,
					    NULL, dp->mp);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(id, 0, nb_txd, socket < 0 ? SOCKET_ID_ANY : socket,
					    NULL);
	if (rc < 0) {
		snprintf(why, why_len, "port %u (%s): queue setup: %s", id, di.driver_name,
			 strerror(-rc));
		return rc;
	}
	rc = rte_eth_dev_start(id);
	if (rc < 0) {
		snprintf(why, why_len, "port %u (%s): rte_eth_dev_start: %s", id, di.driver_name,
			 strerror(-rc));
		return rc;
	}
	/* Frames for other stations are not ours; a virtual device may not filter anyway. */
	rc = rte_eth_promiscuous_disable(id);
	if (rc < 0 && rc != -ENOTSUP) {
		snprintf(why, why_len, "port %u: rte_eth_promiscuous_disable: %s", id,
			 strerror(-rc));
		return rc;
	}
	rc = rte_eth_macaddr_get(id, &ea);
	if (rc < 0)
		memset(&ea, 0, sizeof(ea));
	if (!rte_is_valid_assigned_ether_addr(&ea)) {
		/* net_ring and net_af_packet on lo report 00:00:00:00:00:00. Use a locally
		 * administered unicast address made from our IPv4 address (02:00:a.b.c.d): stable,
		 * and distinct for distinct addresses. Only here: the device is not told, since
		 * net_af_packet would change the kernel interface's own address. */
		ea.addr_bytes[0] = 0x02;
		ea.addr_bytes[1] = 0x00;
		memcpy(&ea.addr_bytes[2], &dp->ipv4, 4);
	}
	memcpy(dp->mac, ea.addr_bytes, PC_NET_ETH_ALEN);
	if (rte_eth_dev_get_mtu(id, &dp->mtu) != 0 || dp->mtu == 0)
		dp->mtu = RTE_ETHER_MTU;
	/* Self-test: started and up. Virtual devices are up at once; a NIC gets a moment. */
	for (int ms = 0;; ms += 10) {
		rc = rte_eth_link_get_nowait(id, &link);
		if (rc == 0 && link.link_status == RTE_ETH_LINK_UP)
			break;
		if (ms >= DPDK_LINK_WAIT_MS) {
			snprintf(why, why_len, "port %u (%s): link down after %d ms", id,
				 di.driver_name, DPDK_LINK_WAIT_MS);
			return -ENETDOWN;
		}
		usleep(10000);
	}
	return 0;
}

/* Stop the port, and close it when @release: the driver gives back the mbufs it holds (receive
 * rings) into the pools, still alive. Closing releases the port (a pcap file is flushed and
 * closed) and it cannot be opened again in this process; a failed start only stops it, so that
 * it can be retried. */
static void port_stop(struct dpdk_priv *dp, bool release)
{
	if (!dp->port_configured)
		return;
	(void)rte_eth_dev_stop(dp->port_id);
	if (release)
		(void)rte_eth_dev_close(dp->port_id);
	dp->port_configured = false;
}

/* Self-test: the two allocators share one set of buffers, and a built frame parses back. */
static int self_test(struct pc_io *io, struct dpdk_priv *dp, char *why, size_t why_len)
{
	static const uint8_t payload[20] = "phonecore self-test";
	struct pc_net_udp4_addr a = {
		.dst_mac = { 0x02, 0, 0, 0, 0, 1 },
		.src_ip = dp->ipv4,
		.dst_ip = htonl(0xc0000201), /* 192.0.2.1, TEST-NET-1 */
		.src_port = htons(5004),
		.dst_port = htons(5006),
		.ip_id = 1,
	};
	struct pc_pkt_pool_stats st0, st1;
	uint8_t frame[PC_NET_UDP4_HDRS + sizeof(payload)];
	struct pc_net_frame f;
	struct rte_mbuf *m;
	struct pc_pkt *pkt;
	int rc;

	pc_pkt_pool_stats(io->pool, &st0);
	m = rte_pktmbuf_alloc(dp->mp);
	if (m == NULL || mbuf_pkt(m)->pool != io->pool || mbuf_pkt(m)->buf != m->buf_addr) {
		snprintf(why, why_len, "self-test: an mbuf of the pool is not a pc_pkt buffer");
		goto out_fail;
	}
	pc_pkt_pool_stats(io->pool, &st1);
	rte_pktmbuf_free(m);
	if (st1.in_use != st0.in_use + 1) {
		snprintf(why, why_len,
			 "self-test: an mbuf allocation is not seen by the pc_pkt pool");
		goto out_fail;
	}
	pkt = pc_pkt_alloc(io->cache);
	if (pkt == NULL || pkt_mbuf(pkt)->pool != dp->mp || pkt_mbuf(pkt)->buf_addr != pkt->buf) {
		snprintf(why, why_len, "self-test: a pc_pkt buffer is not an mbuf of the pool");
		if (pkt != NULL)
			pc_pkt_free(io->cache, pkt);
		goto out_fail;
	}
	pc_pkt_free(io->cache, pkt);
	pc_pkt_pool_stats(io->pool, &st1);
	if (st1.in_use != st0.in_use) {
		snprintf(why, why_len, "self-test: buffers not back in the pool");
		goto out_fail;
	}

	memcpy(a.src_mac, dp->mac, PC_NET_ETH_ALEN);
	memcpy(frame + PC_NET_UDP4_HDRS, payload, sizeof(payload));
	rc = pc_net_udp4_build(frame, sizeof(frame), &a, payload, sizeof(payload), true);
	if (rc != PC_NET_UDP4_HDRS || pc_net_parse(frame, sizeof(frame), &f) != PC_NET_T_UDP4 ||
	    f.ip.src != a.src_ip || f.ip.dst != a.dst_ip || f.udp.src_port != a.src_port ||
	    f.udp.dst_port != a.dst_port || f.payload_len != sizeof(payload) ||
	    memcmp(frame + f.payload_off, payload, sizeof(payload)) != 0 ||
	    !pc_net_mac_eq(f.eth.src, dp->mac)) {
		snprintf(why, why_len, "self-test: a built UDP/IPv4 frame does not parse back");
		goto out_fail;
	}
	return 0;

out_fail:
	return -EIO;
}

/* --- neighbours (RFC 826) --------------------------------------------------------------------- */

static inline uint32_t neigh_hash(uint32_t ip)
{
	/* Fibonacci hashing of the address, whatever its byte order. */
	return (ip * 2654435761u) >> (32 - 8);
}

static struct neigh *neigh_find(struct dpdk_priv *dp, uint32_t ip)
{
	uint32_t h = neigh_hash(ip);

	for (unsigned k = 0; k < DPDK_NEIGH_PROBES; k++) {
		struct neigh *e = &dp->neigh[(h + k) & (DPDK_NEIGH_SLOTS - 1)];

		if (e->state != NEIGH_FREE && e->ip == ip)
			return e;
	}
	return NULL;
}

/* A slot for @ip, not in the table: a free one near its hash, else a pending one, else the first
 * (the table is fixed: an old entry gives way, and is learnt again from its next frame). */
static struct neigh *neigh_new(struct dpdk_priv *dp, uint32_t ip)
{
	uint32_t h = neigh_hash(ip);
	struct neigh *pending = NULL, *e;

	for (unsigned k = 0; k < DPDK_NEIGH_PROBES; k++) {
		e = &dp->neigh[(h + k) & (DPDK_NEIGH_SLOTS - 1)];
		if (e->state == NEIGH_FREE)
			goto out_take;
		if (e->state == NEIGH_PENDING && pending == NULL)
			pending = e;
	}
	e = pending ? pending : &dp->neigh[h & (DPDK_NEIGH_SLOTS - 1)];
out_take:
	memset(e, 0, sizeof(*e));
	e->ip = ip;
	return e;
}

static void neigh_learn(struct dpdk_priv *dp, uint32_t ip, const uint8_t *mac)
{
	struct neigh *e = neigh_find(dp, ip);

	if (e != NULL && e->state == NEIGH_KNOWN && pc_net_mac_eq(e->mac, mac))
		return;
	/* Group and zero addresses are no station's. */
	if (ip == 0 || ip == dp->ipv4 || pc_net_mac_is_group(mac) || pc_net_mac_is_zero(mac))
		return;
	if (e == NULL)
		e = neigh_new(dp, ip);
	memcpy(e->mac, mac, PC_NET_ETH_ALEN);
	e->state = NEIGH_KNOWN;
	dp->info.arp_learned++;
}

/* --- control frames (ARP) --------------------------------------------------------------------- */

static void ctl_queue(struct dpdk_priv *dp, struct rte_mbuf *m)
{
	if (dp->nctl == DPDK_CTL_MAX) {
		rte_pktmbuf_free(m);
		return;
	}
	dp->ctl[dp->nctl++] = m;
}

static void ctl_flush(struct dpdk_priv *dp)
{
	uint16_t sent;

	if (dp->nctl == 0)
		return;
	sent = rte_eth_tx_burst(dp->port_id, 0, dp->ctl, (uint16_t)dp->nctl);
	for (unsigned i = sent; i < dp->nctl; i++)
		rte_pktmbuf_free(dp->ctl[i]);
	dp->nctl = 0;
}

/* Make @m, one of our single-segment mbufs, describe the data of its own pc_pkt. */
static inline void mbuf_sync(struct rte_mbuf *m, const struct pc_pkt *pkt)
{
	m->data_off = pkt->data_off;
	m->data_len = pkt->data_len;
	m->pkt_len = pkt->data_len;
	m->ol_flags = 0;
	m->packet_type = 0;
	m->vlan_tci = 0;
}

static void arp_request(struct pc_io *io, struct dpdk_priv *dp, uint32_t ip)
{
	static const uint8_t bcast[PC_NET_ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct pc_net_arp arp = { .op = PC_NET_ARP_REQUEST, .spa = dp->ipv4, .tpa = ip };
	struct pc_pkt *pkt = pc_pkt_alloc(io->cache);
	uint8_t *d;

	if (pkt == NULL)
		return;
	memcpy(arp.sha, dp->mac, PC_NET_ETH_ALEN);
	d = pc_pkt_append(pkt, PC_NET_ETH_ZLEN);
	if (d == NULL || pc_net_arp_build(d, PC_NET_ETH_ZLEN, bcast, dp->mac, &arp) < 0) {
		pc_pkt_free(io->cache, pkt);
		return;
	}
	mbuf_sync(pkt_mbuf(pkt), pkt);
	ctl_queue(dp, pkt_mbuf(pkt));
	dp->info.arp_requests_sent++;
}

/* The MAC to send to @ip, or NULL: then a request went out (at most one a second). */
static const uint8_t *neigh_resolve(struct pc_io *io, struct dpdk_priv *dp, uint32_t ip)
{
	static const uint8_t bcast[PC_NET_ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct neigh *e = neigh_find(dp, ip);
	uint64_t now;

	if (pc_likely(e != NULL && e->state == NEIGH_KNOWN))
		return e->mac;
	if (ip == dp->ipv4)
		return dp->mac; /* to ourselves: a looped-back device brings it back */
	if (ip == INADDR_BROADCAST)
		return bcast;
	if (e == NULL) {
		e = neigh_new(dp, ip);
		e->state = NEIGH_PENDING;
	}
	now = rte_get_tsc_cycles();
	if (e->asked_tsc == 0 || now - e->asked_tsc >= dp->tsc_hz) {
		e->asked_tsc = now | 1;
		arp_request(io, dp, ip);
	}
	return NULL;
}

/* RFC 826 "Packet Reception", for a frame to our MAC (or broadcast): merge the sender into the
 * table if known; if the target is us, add it, and answer a request, in the request's own
 * buffer. */
static void rx_arp(struct pc_io *io, struct dpdk_priv *dp, struct rte_mbuf *m,
		   const struct pc_net_frame *f)
{
	const struct pc_net_arp *req = &f->arp;
	struct pc_net_arp rep;
	struct neigh *e;

	/* Merge: a sender we know (or asked for) gets its address updated, whoever it asks. */
	e = neigh_find(dp, req->spa);
	if (e != NULL)
		neigh_learn(dp, req->spa, req->sha);
	if (req->tpa != dp->ipv4) {
		dp->info.rx_not_ours++;
		goto out_free;
	}
	/* An ARP probe (RFC 5227) has sender address 0: nothing to learn, still answered. */
	if (req->spa != 0)
		neigh_learn(dp, req->spa, req->sha);
	if (req->op != PC_NET_ARP_REQUEST)
		goto out_free;
	rep.op = PC_NET_ARP_REPLY;
	memcpy(rep.sha, dp->mac, PC_NET_ETH_ALEN);
	rep.spa = dp->ipv4;
	memcpy(rep.tha, req->sha, PC_NET_ETH_ALEN);
	rep.tpa = req->spa;
	/* The reply replaces the request in its buffer, from the start of the frame. */
	if (pc_net_arp_build(rte_pktmbuf_mtod(m, uint8_t *), m->buf_len - m->data_off, req->sha,
			     dp->mac, &rep) < 0)
		goto out_free;
	m->data_len = PC_NET_ETH_ZLEN;
	m->pkt_len = PC_NET_ETH_ZLEN;
	m->ol_flags = 0;
	ctl_queue(dp, m);
	dp->info.arp_requests_answered++;
	return;

out_free:
	pc_pkt_free(io->cache, mbuf_pkt(m));
}

/* --- receive ---------------------------------------------------------------------------------- */

/* @m as one of our pc_pkt mbufs of one segment: as is (ours, or a sibling instance's), or copied
 * into a buffer of ours when it is foreign, chained or an external buffer. NULL: dropped. */
static struct rte_mbuf *rx_own(struct pc_io *io, struct dpdk_priv *dp, struct rte_mbuf *m)
{
	struct rte_mbuf *c;
	struct pc_pkt *pkt;
	const void *src;
	uint32_t len;

	if (pc_likely(m->pool->ops_index == dpdk_ops_index && m->nb_segs == 1 &&
		      RTE_MBUF_DIRECT(m) && rte_mbuf_refcnt_read(m) == 1))
		return m;
	len = m->pkt_len;
	if (len > pc_pkt_pool_data_room(io->pool)) {
		io->st.rx_errors++;
		goto out_free;
	}
	pkt = pc_pkt_alloc(io->cache);
	if (pkt == NULL) {
		io->st.rx_nobuf++;
		goto out_free;
	}
	c = pkt_mbuf(pkt);
	src = rte_pktmbuf_read(m, 0, len, pc_pkt_data(pkt));
	if (src != NULL && src != pc_pkt_data(pkt))
		memcpy(pc_pkt_data(pkt), src, len);
	pkt->data_len = (uint16_t)len;
	mbuf_sync(c, pkt);
	c->port = m->port;
	rte_pktmbuf_free(m);
	dp->info.rx_copied++;
	return c;

out_free:
	rte_pktmbuf_free(m);
	return NULL;
}

static void rx_drop(struct pc_io *io, struct dpdk_priv *dp, struct rte_mbuf *m, int rc)
{
	switch (rc) {
	case -EMSGSIZE:
		dp->info.rx_frags++;
		io->st.rx_errors++;
		break;
	case -EAFNOSUPPORT:
	case -EPROTONOSUPPORT:
		dp->info.rx_unsupported++;
		break;
	default:
		io->st.rx_errors++;
		break;
	}
	pc_pkt_free(io->cache, mbuf_pkt(m));
}

/* A UDP/IPv4 frame to our MAC (or broadcast): ours? Then the packet, its data the payload. */
static struct pc_pkt *rx_udp(struct pc_io *io, struct dpdk_priv *dp, struct rte_mbuf *m,
			     const struct pc_net_frame *f)
{
	struct pc_pkt *pkt = mbuf_pkt(m);
	uint32_t end;
	uint16_t port;

	if (pc_unlikely(f->ip.dst != dp->ipv4)) {
		dp->info.rx_not_ours++;
		goto out_free;
	}
	if (pc_unlikely(f->eth.tagged && (f->eth.vlan_tci & 0x0fff) != 0)) {
		dp->info.rx_unsupported++; /* priority tags (VID 0) pass; VLANs are not ours */
		goto out_free;
	}
	port = dp->udp_port[ntohs(f->udp.dst_port)];
	if (pc_unlikely(port == 0)) {
		dp->info.rx_no_port++;
		goto out_free;
	}
	/* The payload must leave the pool's tailroom free behind it (SRTP tags), as the other
	 * backends guarantee by receiving at most data_room bytes. */
	end = (uint32_t)m->data_off + f->payload_off + f->payload_len;
	if (pc_unlikely(end > (uint32_t)pkt->buf_len - PC_PKT_TAILROOM_MIN)) {
		io->st.rx_errors++;
		goto out_free;
	}
	neigh_learn(dp, f->ip.src, f->eth.src);

	pkt->data_off = (uint16_t)(m->data_off + f->payload_off);
	pkt->data_len = f->payload_len;
	pkt->port = port;
	pkt->flags = 0;
	pkt->stream = 0;
	memset(&pkt->peer.in4, 0, sizeof(pkt->peer.in4));
	pkt->peer.in4.sin_family = AF_INET;
	pkt->peer.in4.sin_port = f->udp.src_port;
	pkt->peer.in4.sin_addr.s_addr = f->ip.src;
	pkt->peer_len = sizeof(struct sockaddr_in);
	mbuf_sync(m, pkt);
	io->st.rx_bytes += pkt->data_len;
	return pkt;

out_free:
	pc_pkt_free(io->cache, pkt);
	return NULL;
}

static unsigned dpdk_rx_burst(struct pc_io *io, struct pc_pkt **pkts, unsigned n)
{
	struct dpdk_priv *dp = io->priv;
	struct rte_mbuf *mb[PC_IO_BURST_MAX];
	unsigned got = 0;
	uint16_t nb;

	if (n > io->conf.burst)
		n = io->conf.burst;
	dpdk_tls_cache = io->cache;
	nb = rte_eth_rx_burst(dp->port_id, 0, mb, (uint16_t)n);
	for (unsigned i = 0; i < nb; i++) {
		struct rte_mbuf *m = rx_own(io, dp, mb[i]);
		struct pc_net_frame f;
		struct pc_pkt *pkt;
		const uint8_t *d;
		int rc;

		if (m == NULL)
			continue;
		/* The destination MAC first, as a NIC filters: a frame for another station is not
		 * ours, whatever its checksums (a packet socket also sees the host's own traffic,
		 * whose checksums are left to offload). */
		d = rte_pktmbuf_mtod(m, const uint8_t *);
		if (pc_unlikely(m->data_len >= PC_NET_ETH_ALEN && !pc_net_mac_eq(d, dp->mac) &&
				!pc_net_mac_is_bcast(d))) {
			dp->info.rx_not_ours++;
			pc_pkt_free(io->cache, mbuf_pkt(m));
			continue;
		}
		rc = pc_net_parse(d, m->data_len, &f);
		if (pc_likely(rc == PC_NET_T_UDP4)) {
			pkt = rx_udp(io, dp, m, &f);
			if (pkt != NULL)
				pkts[got++] = pkt;
		} else if (rc == PC_NET_T_ARP) {
			rx_arp(io, dp, m, &f);
		} else {
			rx_drop(io, dp, m, rc);
		}
	}
	ctl_flush(dp);
	dpdk_tls_cache = NULL;
	io->st.rx_pkts += got;
	return got;
}

/* --- transmit --------------------------------------------------------------------------------- */

/* A header-pool mbuf carrying @pkt's buffer as an external buffer (data: the packet's), which
 * takes over the caller's reference. NULL when the header pool is empty. */
static struct rte_mbuf *extbuf_mbuf(struct dpdk_priv *dp, struct pc_pkt *pkt)
{
	struct rte_mbuf *e = rte_pktmbuf_alloc(dp->hdr_mp);
	struct rte_mbuf_ext_shared_info *sh;
	rte_iova_t iova = RTE_BAD_IOVA;

	if (e == NULL)
		return NULL;
	sh = rte_mbuf_to_priv(e);
	sh->free_cb = extbuf_free;
	sh->fcb_opaque = pkt;
	rte_mbuf_ext_refcnt_set(sh, 1);
	/* Virtual devices ignore it; a NIC DMAs from it: the mbuf's own for our buffers, else the
	 * virtual address where IO addresses are virtual (the memory must then be mapped for the
	 * device: rte_extmem_register and rte_dev_dma_map, not done here). */
	if (is_dpdk_pool(dp, pkt->pool))
		iova = rte_mbuf_iova_get(pkt_mbuf(pkt));
	else if (rte_eal_iova_mode() == RTE_IOVA_VA)
		iova = (rte_iova_t)(uintptr_t)pkt->buf;
	rte_pktmbuf_attach_extbuf(e, pkt->buf, iova, pkt->buf_len, sh);
	e->data_off = pkt->data_off;
	e->data_len = pkt->data_len;
	e->pkt_len = pkt->data_len;
	return e;
}

/* @pkt (transferred) as a frame for the driver, or NULL (freed, counted). */
static struct rte_mbuf *tx_frame(struct pc_io *io, struct dpdk_priv *dp, struct pc_pkt *pkt)
{
	struct pc_io_port *p = pc_io__port(io, pkt->port);
	struct pc_net_udp4_addr a;
	struct rte_mbuf *m, *e;
	const uint8_t *mac;
	uint8_t *hdr;

	if (pc_unlikely(p == NULL || pkt->peer.sa.sa_family != AF_INET ||
			pkt->data_len + PC_NET_IP4_HLEN + PC_NET_UDP_HLEN > dp->mtu)) {
		io->st.tx_errors++;
		goto out_free;
	}
	mac = neigh_resolve(io, dp, pkt->peer.in4.sin_addr.s_addr);
	if (pc_unlikely(mac == NULL)) {
		io->st.tx_errors++;
		dp->info.tx_unresolved++;
		goto out_free;
	}
	memcpy(a.src_mac, dp->mac, PC_NET_ETH_ALEN);
	memcpy(a.dst_mac, mac, PC_NET_ETH_ALEN);
	a.src_ip = dp->ipv4;
	a.dst_ip = pkt->peer.in4.sin_addr.s_addr;
	a.src_port = htons((uint16_t)p->backend_u32);
	a.dst_port = pkt->peer.in4.sin_port;
	a.ip_id = dp->ip_id++;
	a.ttl = 0;
	a.tos = 0;

	if (pc_likely(!pc_pkt_is_shared(pkt))) {
		/* Ours alone: the headers go into the headroom. */
		hdr = pc_pkt_prepend(pkt, PC_NET_UDP4_HDRS);
		if (pc_unlikely(hdr == NULL)) {
			io->st.tx_errors++;
			goto out_free;
		}
		pc_net_udp4_build(hdr, PC_NET_UDP4_HDRS, &a, hdr + PC_NET_UDP4_HDRS,
				  pkt->data_len - PC_NET_UDP4_HDRS, true);
		if (pc_likely(is_dpdk_pool(dp, pkt->pool))) {
			m = pkt_mbuf(pkt);
			mbuf_sync(m, pkt);
			dp->info.tx_direct++;
			return m;
		}
		m = extbuf_mbuf(dp, pkt);
		if (m == NULL) {
			io->st.tx_drops++;
			goto out_free;
		}
		dp->info.tx_extbuf++;
		return m;
	}

	if (dp->info.multi_seg) {
		/* Shared: headers in a mbuf of their own, the payload read where it is. */
		m = rte_pktmbuf_alloc(dp->hdr_mp);
		if (m == NULL) {
			io->st.tx_drops++;
			goto out_free;
		}
		hdr = (uint8_t *)rte_pktmbuf_append(m, PC_NET_UDP4_HDRS);
		pc_net_udp4_build(hdr, PC_NET_UDP4_HDRS, &a, pc_pkt_data(pkt), pkt->data_len, true);
		e = extbuf_mbuf(dp, pkt);
		if (e == NULL) {
			rte_pktmbuf_free(m);
			io->st.tx_drops++;
			goto out_free;
		}
		m->next = e;
		m->nb_segs = 2;
		m->pkt_len = PC_NET_UDP4_HDRS + e->data_len;
		dp->info.tx_extbuf++;
		return m;
	} else {
		/* The device sends one segment: a copy of the payload behind fresh headers. */
		struct pc_pkt *c = pc_pkt_alloc(io->cache);

		if (c == NULL) {
			io->st.tx_drops++;
			goto out_free;
		}
		hdr = pc_pkt_append(c, (uint16_t)(PC_NET_UDP4_HDRS + pkt->data_len));
		if (hdr == NULL) {
			pc_pkt_free(io->cache, c);
			io->st.tx_errors++;
			goto out_free;
		}
		memcpy(hdr + PC_NET_UDP4_HDRS, pc_pkt_data(pkt), pkt->data_len);
		pc_net_udp4_build(hdr, PC_NET_UDP4_HDRS, &a, hdr + PC_NET_UDP4_HDRS, pkt->data_len,
				  true);
		pc_pkt_free(io->cache, pkt);
		m = pkt_mbuf(c);
		mbuf_sync(m, c);
		dp->info.tx_copied++;
		return m;
	}

out_free:
	pc_pkt_free(io->cache, pkt);
	return NULL;
}

static unsigned dpdk_tx_burst(struct pc_io *io, struct pc_pkt **pkts, unsigned n)
{
	struct dpdk_priv *dp = io->priv;
	struct rte_mbuf *mb[PC_IO_BURST_MAX];
	unsigned sent = 0;

	dpdk_tls_cache = io->cache;
	while (n > 0) {
		unsigned chunk = n < PC_IO_BURST_MAX ? n : PC_IO_BURST_MAX;
		uint16_t k = 0, done;

		for (unsigned i = 0; i < chunk; i++) {
			struct rte_mbuf *m = tx_frame(io, dp, pkts[i]);

			if (m != NULL)
				mb[k++] = m;
		}
		done = k ? rte_eth_tx_burst(dp->port_id, 0, mb, k) : 0;
		for (uint16_t j = 0; j < done; j++)
			io->st.tx_bytes += mb[j]->pkt_len - PC_NET_UDP4_HDRS;
		/* The device queue is full: the rest is dropped, never waited for. */
		for (uint16_t j = done; j < k; j++)
			rte_pktmbuf_free(mb[j]);
		io->st.tx_drops += (uint64_t)(k - done);
		sent += done;
		pkts += chunk;
		n -= chunk;
	}
	ctl_flush(dp);
	dpdk_tls_cache = NULL;
	io->st.tx_pkts += sent;
	return sent;
}

static void dpdk_flush(struct pc_io *io)
{
	struct dpdk_priv *dp = io->priv;

	/* Data frames went to the device in tx_burst; only control frames may wait. */
	dpdk_tls_cache = io->cache;
	ctl_flush(dp);
	dpdk_tls_cache = NULL;
}

/* --- ports ------------------------------------------------------------------------------------ */

/* Virtual devices raise no receive interrupts (and rte_eth_dev_rx_intr_enable needs a NIC and
 * its event fd): a short sleep, after which the loop polls again. */
static void dpdk_wait(struct pc_io *io, uint64_t timeout_ns)
{
	struct timespec ts = { 0, (long)(timeout_ns < DPDK_WAIT_MAX_NS ? timeout_ns :
									 DPDK_WAIT_MAX_NS) };

	(void)io;
	(void)clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
}

/* Any thread: check the address against the device's (set at create, never changed). The UDP
 * port table is the owning thread's: the port is taken at adopt. */
static int dpdk_port_prepare(struct pc_io *io, struct pc_io_port_prep *prep,
			     const union pc_pkt_addr *local)
{
	if (local->sa.sa_family != AF_INET)
		return -EAFNOSUPPORT; /* IPv6 is not parsed or built by this backend */
	if (local->in4.sin_addr.s_addr != htonl(INADDR_ANY) &&
	    local->in4.sin_addr.s_addr != io->conf.dpdk_ipv4)
		return -EADDRNOTAVAIL;
	prep->fd = -1;
	memset(&prep->local, 0, sizeof(prep->local));
	prep->local.in4.sin_family = AF_INET;
	prep->local.in4.sin_port = local->in4.sin_port;
	prep->local.in4.sin_addr.s_addr = io->conf.dpdk_ipv4;
	return 0;
}

/* Owning thread: take the UDP port asked for, or any free one of the dynamic range. */
static int dpdk_port_adopt(struct pc_io *io, struct pc_io_port *p,
			   const struct pc_io_port_prep *prep)
{
	struct dpdk_priv *dp = io->priv;
	uint32_t port = ntohs(prep->local.in4.sin_port);

	if (prep->local.sa.sa_family != AF_INET)
		return -EINVAL;
	if (port == 0) {
		/* Any free port of the dynamic range, starting after the last one given. */
		for (uint32_t k = 0; k < DPDK_EPH_COUNT; k++) {
			uint32_t cand = DPDK_EPH_FIRST + (dp->eph_next + k) % DPDK_EPH_COUNT;

			if (dp->udp_port[cand] == 0) {
				port = cand;
				dp->eph_next = (cand - DPDK_EPH_FIRST + 1) % DPDK_EPH_COUNT;
				break;
			}
		}
		if (port == 0)
			return -EADDRINUSE;
	} else if (dp->udp_port[port] != 0) {
		return -EADDRINUSE;
	}
	dp->udp_port[port] = p->id;
	p->backend_u32 = port;
	p->fd = -1;
	memset(&p->local, 0, sizeof(p->local));
	p->local.in4.sin_family = AF_INET;
	p->local.in4.sin_port = htons((uint16_t)port);
	p->local.in4.sin_addr.s_addr = dp->ipv4;
	return 0;
}

static void dpdk_port_close(struct pc_io *io, struct pc_io_port *p)
{
	struct dpdk_priv *dp = io->priv;

	if (dp->udp_port[p->backend_u32] == p->id)
		dp->udp_port[p->backend_u32] = 0;
}

/* --- init and fini ---------------------------------------------------------------------------- */

static int dpdk_init(struct pc_io *io, char *why, size_t why_len)
{
	struct dpdk_priv *dp;
	int rc;

	if (io->conf.dpdk_ipv4 == 0 || io->conf.dpdk_ipv4 == INADDR_BROADCAST) {
		snprintf(why, why_len, "conf.dpdk_ipv4 (the device's IPv4 address) is not set");
		return -EINVAL;
	}
	dp = calloc(1, sizeof(*dp));
	if (dp == NULL)
		return -ENOMEM;
	dp->ipv4 = io->conf.dpdk_ipv4;
	dp->ip_id = (uint16_t)getpid();

	rc = eal_start(io->conf.eal_args, why, why_len);
	if (rc < 0)
		goto out_free;
	rc = ops_register(why, why_len);
	if (rc < 0)
		goto out_free;
	dp->tsc_hz = rte_get_tsc_hz();
	rc = port_find(&io->conf, &dp->port_id, why, why_len);
	if (rc < 0)
		goto out_free;
	rc = port_claim(dp, why, why_len);
	if (rc < 0)
		goto out_free;
	rc = pools_create(io, dp, why, why_len);
	if (rc < 0)
		goto out_release;
	rc = port_start(io, dp, why, why_len);
	if (rc < 0)
		goto out_stop;
	rc = self_test(io, dp, why, why_len);
	if (rc < 0)
		goto out_stop;
	dp->info.port_id = dp->port_id;
	memcpy(dp->info.mac, dp->mac, PC_NET_ETH_ALEN);
	dp->info.ipv4 = dp->ipv4;
	pool_publish(dp, io->pool);
	io->priv = dp;
	return 0;

out_stop:
	port_stop(dp, false);
	pools_destroy(io, dp);
out_release:
	port_release(dp);
out_free:
	free(dp);
	return rc;
}

static void dpdk_fini(struct pc_io *io)
{
	struct dpdk_priv *dp = io->priv;
	struct rte_mbuf *mb[PC_IO_BURST_MAX];
	unsigned drained = 0;
	uint16_t nb;

	dpdk_tls_cache = io->cache;
	/* Frames still queued for us hold buffers, maybe a sibling instance's: give them back
	 * before the port goes. */
	do {
		nb = rte_eth_rx_burst(dp->port_id, 0, mb, PC_IO_BURST_MAX);
		for (uint16_t i = 0; i < nb; i++)
			rte_pktmbuf_free(mb[i]);
		drained += nb;
	} while (nb > 0 && drained < DPDK_RX_DRAIN_MAX);
	ctl_flush(dp);
	port_stop(dp, true);
	dpdk_tls_cache = NULL;
	pool_unpublish(dp);
	port_release(dp);
	pools_destroy(io, dp);
	free(dp);
	io->priv = NULL;
}

int pc_io_dpdk_get_info(const struct pc_io *io, struct pc_io_dpdk_info *info)
{
	const struct dpdk_priv *dp;

	if (io == NULL || io->backend != PC_IO_DPDK || io->priv == NULL)
		return -EINVAL;
	dp = io->priv;
	*info = dp->info;
	return 0;
}

const struct pc_io_ops pc_io_dpdk_ops = {
	.name = "dpdk",
	.init = dpdk_init,
	.fini = dpdk_fini,
	.prepare_binds = 0,
	.port_prepare = dpdk_port_prepare,
	.port_adopt = dpdk_port_adopt,
	.port_close = dpdk_port_close,
	.rx_burst = dpdk_rx_burst,
	.tx_burst = dpdk_tx_burst,
	.flush = dpdk_flush,
	.wait = dpdk_wait,
};
