/* SPDX-License-Identifier: MIT */
/*
 * pc_io.h - packet I/O for one media thread: UDP ports in, packet buffers out, in bursts.
 *
 * Three backends sit behind one ops table, chosen at run time:
 *   sockets  recvmmsg/sendmmsg on one UDP socket per port, readiness from epoll; the portable
 *            fallback.
 *   uring    io_uring: multishot recvmsg into a provided-buffer ring made of the packet pool's
 *            own buffers (the kernel writes straight into them), batched sends. Probed at
 *            create; where io_uring is missing or refused it falls back to sockets and says so
 *            in one line.
 *   dpdk     DPDK ethdev on a (virtual) device: rte_mbufs are the packet buffers, Ethernet/IPv4/
 *            UDP are parsed and built here, ARP is answered for the device's address.
 *
 * An I/O instance belongs to one thread (its media loop); nothing here is thread-safe. It owns
 * the packet pool its buffers come from (pc_io_pool()); other threads that receive its packets
 * free them into their own caches on that pool.
 *
 * A port is one local UDP endpoint, numbered from 1 (pc_pkt.port; 0 means none). Received
 * packets carry the port they arrived on and the sender's address (pc_pkt.peer); packets to
 * send carry the port they leave from and the destination in the same fields.
 *
 * Thread context: the owning thread only. Allocates: pc_io_create() and pc_io_port_open().
 */
#ifndef PC_IO_H
#define PC_IO_H

#include <stdbool.h>
#include <stdint.h>

#include "pc_pkt.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PC_IO_BURST_MAX 64u
#define PC_IO_PORTS_MAX 65534u
/* dpdk_port_id: use the ethdev of the first --vdev in eal_args, found by its name. */
#define PC_IO_DPDK_PORT_BY_VDEV UINT16_MAX

enum pc_io_backend {
	PC_IO_SOCKETS,
	PC_IO_URING,
	PC_IO_DPDK,
	PC_IO_BACKENDS,
};

struct pc_io_conf {
	enum pc_io_backend backend;
	uint32_t pkts;	     /* packet buffers in the pool; 0: 8192 */
	uint32_t max_ports;  /* ports open at once; 0: 1024 */
	uint32_t burst;	     /* receive and send burst; 0: 32, at most PC_IO_BURST_MAX */
	bool force_fallback; /* uring: act as if io_uring were refused (tests the fallback) */
	bool no_fallback;    /* uring: fail with -ENOTSUP rather than fall back to sockets */
	bool no_gso;	     /* sockets, uring: never batch datagrams with UDP GSO */
	/* uring: IORING_OP_SEND_ZC for datagrams of at least this many bytes; 0: the
	 * PC_IO_URING_ZC_MIN environment variable, else never (it costs more on loopback) */
	uint32_t uring_zc_min;
	/* dpdk */
	const char *eal_args;  /* EAL arguments, e.g. "--no-huge --no-pci --vdev=net_ring0" */
	uint16_t dpdk_port_id; /* ethdev port to use, or PC_IO_DPDK_PORT_BY_VDEV */
	uint32_t dpdk_ipv4;    /* the device's IPv4 address, network byte order */
};

struct pc_io_stats {
	uint64_t rx_pkts;
	uint64_t rx_bytes;
	uint64_t rx_nobuf; /* receives that found the pool empty (the kernel keeps the datagrams) */
	uint64_t rx_errors; /* receive errors, truncated datagrams, malformed frames (dpdk) */
	uint64_t tx_pkts;
	uint64_t tx_bytes;
	uint64_t tx_drops;  /* packets given to tx_burst that could not be sent (queue full) */
	uint64_t tx_errors; /* send errors (unreachable, bad address) */
	uint64_t bufs_held; /* pool buffers the backend holds now (posted for receive, in flight
			     * on send): pool in_use minus these is what the callers hold */
	uint64_t tx_zc;	    /* uring: datagrams sent with IORING_OP_SEND_ZC */
};

struct pc_io;

/*
 * pc_io_create - start a backend and its packet pool; writes *@out on success.
 * @conf: borrowed. Returns 0, -EINVAL for a bad configuration, -ENOTSUP when the backend cannot
 * run here (with no_fallback, or dpdk without a usable device), -ENOMEM, or the backend's
 * -errno. One line on stderr says why whenever it is not 0, and when uring falls back.
 */
int pc_io_create(struct pc_io **out, const struct pc_io_conf *conf);

/* pc_io_destroy - close every port, stop the backend, free the pool. NULL is ignored. Packets
 * of the pool still held elsewhere become invalid: collect them first. */
void pc_io_destroy(struct pc_io *io);

/* pc_io_backend - the backend that runs (after a fallback: sockets). */
enum pc_io_backend pc_io_backend(const struct pc_io *io);
const char *pc_io_backend_name(enum pc_io_backend b);
/* pc_io_backend_parse - "sockets", "uring" or "dpdk" into *@b. Returns 0 or -EINVAL. */
int pc_io_backend_parse(const char *name, enum pc_io_backend *b);

/* pc_io_pool - the pool the backend receives into; threads attach their caches to it. */
struct pc_pkt_pool *pc_io_pool(const struct pc_io *io);

/* pc_io_cache - the owning thread's cache on that pool: free received packets into it. */
struct pc_pkt_cache *pc_io_cache(const struct pc_io *io);

/* pc_io_max_ports - ports that may be open at once; port ids are 1..this. */
uint32_t pc_io_max_ports(const struct pc_io *io);

/*
 * pc_io_port_open - open a local UDP port.
 * @local: borrowed; address and port to bind (port 0: any free port).
 * @bound: filled with the address actually bound (may be NULL).
 * Returns the port number (>= 1), or -EADDRINUSE, -EINVAL, -EMFILE (max_ports reached) or the
 * backend's -errno.
 */
int pc_io_port_open(struct pc_io *io, const union pc_pkt_addr *local, union pc_pkt_addr *bound);

/* pc_io_port_close - close a port. Packets already handed to the caller stay valid; datagrams
 * the backend received on it but not yet handed over are dropped. Returns 0 or -ENOENT. */
int pc_io_port_close(struct pc_io *io, uint16_t port);

/*
 * pc_io_rx_burst - receive up to @n packets from all ports into @pkts (borrowed array).
 * The packets become the caller's (free them with pc_pkt_free). Never blocks. @n is clipped
 * to the configured burst. Returns how many.
 */
unsigned pc_io_rx_burst(struct pc_io *io, struct pc_pkt **pkts, unsigned n);

/*
 * pc_io_tx_burst - send @n packets; each leaves from pkt->port to pkt->peer. All @n packets
 * are transferred to the backend, sent or not: the ones it cannot send (queue full, error) are
 * freed and counted. Never blocks. Returns how many were sent (or queued to the device).
 */
unsigned pc_io_tx_burst(struct pc_io *io, struct pc_pkt **pkts, unsigned n);

/* pc_io_flush - push out sends the backend batched (uring submits, dpdk flushes its tx
 * buffer) and reap send completions. The media loop calls it once per iteration. */
void pc_io_flush(struct pc_io *io);

/*
 * pc_io_wait - sleep until a port may have a datagram, or @timeout_ns has passed; returns at
 * once when received packets are already waiting. For a loop that has had nothing to do for a
 * while and would rather sleep than spin (a phone; a gateway spins). Spurious returns are
 * allowed: the caller polls again. sockets: epoll_pwait2 on the ports' epoll set; uring:
 * submits what is queued and waits for one completion (io_uring_submit_and_wait_timeout);
 * dpdk: virtual devices raise no receive interrupts, so it sleeps min(@timeout_ns, 50 us).
 */
void pc_io_wait(struct pc_io *io, uint64_t timeout_ns);

/* pc_io_get_stats - counters since create. */
void pc_io_get_stats(const struct pc_io *io, struct pc_io_stats *st);

#ifdef __cplusplus
}
#endif

#endif /* PC_IO_H */
