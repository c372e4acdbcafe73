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
 * Opening a port comes in two halves, so that the socket work (socket(), bind(): system calls
 * that allocate in the kernel) never runs on the media thread: pc_io_port_prepare() on any
 * thread makes and binds the socket, pc_io_port_adopt() on the owning thread puts it in the
 * port table and starts receiving on it. pc_io_port_open() does both, for callers that own the
 * instance anyway (setup, tests).
 *
 * Thread context: the owning thread only, except pc_io_port_prepare(),
 * pc_io_port_prepare_next() and pc_io_port_discard(): any thread, at any time between
 * pc_io_create() and pc_io_destroy(), concurrently with the owner and with each other.
 * Allocates: pc_io_create() and pc_io_port_prepare() (a socket: kernel memory).
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
 * pc_io_port_open - open a local UDP port: pc_io_port_prepare() and pc_io_port_adopt() in one.
 * @local: borrowed; address and port to bind (port 0: any free port).
 * @bound: filled with the address actually bound (may be NULL).
 * Returns the port number (>= 1), or -EADDRINUSE, -EINVAL, -EMFILE (max_ports reached) or the
 * backend's -errno.
 * Thread context: the owning thread. Allocates: a socket (sockets, uring).
 */
int pc_io_port_open(struct pc_io *io, const union pc_pkt_addr *local, union pc_pkt_addr *bound);

/*
 * A port prepared for an I/O instance but not yet in its port table: the socket already bound
 * (sockets, uring), or the address checked (dpdk, whose UDP ports are its own table's, taken
 * at adopt). Owned by whoever holds it: hand it to pc_io_port_adopt() on the owning thread, or
 * give it back with pc_io_port_discard(). All zeroes is an empty one (nothing to discard).
 * Plain data: it may travel to the owning thread inside a message.
 */
struct pc_io_port_prep {
	struct pc_io *io;	 /* the instance it was prepared for; NULL: empty */
	int fd;			 /* sockets, uring: the bound socket; -1: none (dpdk) */
	uint32_t flags;		 /* PC_IO_PREP_F_* */
	union pc_pkt_addr local; /* as bound; dpdk: as asked (port 0: any, chosen at adopt) */
};

/* prep.flags: from pc_io_port_prepare_next(), the port is decided at adopt (dpdk). */
#define PC_IO_PREP_F_NEXT 1u

/*
 * pc_io_port_prepare - the first half of pc_io_port_open(): make and bind the socket (sockets,
 * uring: socket(), setsockopt(), bind(), getsockname(), and registration with the instance's
 * epoll set, not yet reporting), or check the address (dpdk). Touches nothing of @io that the
 * owning thread changes.
 * @local: borrowed; address and port to bind (port 0: any free port).
 * @prep: written; on success it holds the prepared port (the caller's until adopted or
 * discarded), on failure it is empty.
 * Returns 0, -EINVAL, -EADDRINUSE (sockets, uring: the address is taken; dpdk finds out at
 * adopt), -EAFNOSUPPORT or -EADDRNOTAVAIL (dpdk), or the socket calls' -errno.
 * Thread context: any thread. Allocates: a socket (sockets, uring).
 */
int pc_io_port_prepare(struct pc_io *io, const union pc_pkt_addr *local,
		       struct pc_io_port_prep *prep);

/*
 * pc_io_port_prepare_next - prepare the port that follows @rtp's (an RTCP port: the RTP port
 * + 1 when it is free, else any free port on the same address). Sockets and uring decide now;
 * dpdk, whose ports are taken at adopt, marks @prep (PC_IO_PREP_F_NEXT) and decides in
 * pc_io_port_adopt_next().
 * @rtp: borrowed; a prepared, not yet adopted or discarded, port of @io.
 * @prep: written, as by pc_io_port_prepare(). Returns as pc_io_port_prepare().
 * Thread context: any thread. Allocates: a socket (sockets, uring).
 */
int pc_io_port_prepare_next(struct pc_io *io, const struct pc_io_port_prep *rtp,
			    struct pc_io_port_prep *prep);

/*
 * pc_io_port_adopt - the second half of pc_io_port_open(): give @prep a slot in the port table
 * and start receiving on it (sockets: the epoll registration starts reporting; uring: the
 * multishot receive is queued by the next fast-path call; dpdk: the UDP port is taken, port 0
 * picks a free one of the dynamic range).
 * @prep: on success its contents are transferred to the port and @prep is left empty; on
 * failure it is left as it was (the caller still holds it: discard it).
 * @bound: filled with the address actually bound (may be NULL).
 * Returns the port number (>= 1), -EINVAL (@prep empty or another instance's), -EMFILE
 * (max_ports reached), or -EADDRINUSE (dpdk: the UDP port is taken).
 * Thread context: the owning thread. Allocates: nothing; no socket call but one epoll_ctl
 * (EPOLL_CTL_MOD, sockets).
 */
int pc_io_port_adopt(struct pc_io *io, struct pc_io_port_prep *prep, union pc_pkt_addr *bound);

/*
 * pc_io_port_adopt_next - pc_io_port_adopt() for a port from pc_io_port_prepare_next(): where
 * it was left to adopt (PC_IO_PREP_F_NEXT), takes the port after open port @after's when free,
 * else any free port. Otherwise the same as pc_io_port_adopt() (@after unused).
 * Thread context: the owning thread. Allocates: nothing.
 */
int pc_io_port_adopt_next(struct pc_io *io, struct pc_io_port_prep *prep, uint16_t after,
			  union pc_pkt_addr *bound);

/*
 * pc_io_port_discard - give back a prepared port that will not be adopted: close its socket.
 * An empty @prep is ignored; @prep is left empty.
 * Thread context: any thread. Allocates: nothing.
 */
void pc_io_port_discard(struct pc_io_port_prep *prep);

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
