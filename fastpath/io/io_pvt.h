/* SPDX-License-Identifier: MIT */
/* io_pvt.h - what the generic I/O layer (io.c) and its backends (io_*.c) share. */
#ifndef PC_IO_PVT_H
#define PC_IO_PVT_H

#include <stdio.h>

#include "pc_io.h"

struct pc_io;

/* One local UDP endpoint. */
struct pc_io_port {
	uint16_t id;		 /* 1-based; 0: this slot is free */
	int fd;			 /* sockets and uring: the bound socket; -1 for dpdk */
	union pc_pkt_addr local; /* as bound */
	uint32_t backend_u32;	 /* free for the backend (dpdk: its UDP port) */
};

/* The ops table every backend fills; the generic layer checks arguments and keeps ports. */
struct pc_io_ops {
	const char *name;
	/* 1: port_prepare binds (takes the address then, as the kernel does); 0: port_adopt
	 * takes it (dpdk), and pc_io_port_prepare_next leaves the choice to adopt. */
	unsigned prepare_binds;
	/* Start: self-test included. Returns 0 or -errno; prints nothing (the caller does). */
	int (*init)(struct pc_io *io, char *why, size_t why_len);
	void (*fini)(struct pc_io *io);
	/* Any thread: make @prep (fd, local, flags; io and the rest already set) for @local,
	 * touching nothing the owning thread changes. On failure, hold nothing. */
	int (*port_prepare)(struct pc_io *io, struct pc_io_port_prep *prep,
			    const union pc_pkt_addr *local);
	/* Owning thread: start @p (id already assigned) from @prep; fill p->fd and p->local.
	 * On failure, leave @prep as it was. No allocation. */
	int (*port_adopt)(struct pc_io *io, struct pc_io_port *p,
			  const struct pc_io_port_prep *prep);
	void (*port_close)(struct pc_io *io, struct pc_io_port *p);
	unsigned (*rx_burst)(struct pc_io *io, struct pc_pkt **pkts, unsigned n);
	unsigned (*tx_burst)(struct pc_io *io, struct pc_pkt **pkts, unsigned n);
	void (*flush)(struct pc_io *io);
	/* Sleep until something may have arrived, at most @timeout_ns (pc_io_wait). */
	void (*wait)(struct pc_io *io, uint64_t timeout_ns);
};

struct pc_io {
	const struct pc_io_ops *ops;
	enum pc_io_backend backend;
	struct pc_io_conf conf;	  /* defaults filled in */
	struct pc_pkt_pool *pool; /* owned by io.c; for dpdk the backend's own, freed by its fini */
	struct pc_pkt_cache *cache; /* the owning thread's cache on pool */
	struct pc_io_port *ports;   /* max_ports slots; port id = index + 1 */
	uint32_t nports;	    /* open ports */
	uint32_t next_hint;	    /* where to look for a free slot first */
	struct pc_io_stats st;
	void *priv; /* the backend's state */
};

extern const struct pc_io_ops pc_io_sockets_ops;
extern const struct pc_io_ops pc_io_uring_ops;
extern const struct pc_io_ops pc_io_dpdk_ops;

/* pc_io__port - the open port @id, or NULL. */
static inline struct pc_io_port *pc_io__port(struct pc_io *io, uint16_t id)
{
	struct pc_io_port *p;

	if (id == 0 || id > io->conf.max_ports)
		return NULL;
	p = &io->ports[id - 1];
	return p->id ? p : NULL;
}

/* pc_io__addr_len - the sockaddr length of @a by its family (0: not IPv4/IPv6). */
static inline unsigned pc_io__addr_len(const union pc_pkt_addr *a)
{
	if (a->sa.sa_family == AF_INET)
		return sizeof(struct sockaddr_in);
	if (a->sa.sa_family == AF_INET6)
		return sizeof(struct sockaddr_in6);
	return 0;
}

/* Sockets helpers shared by the sockets and uring backends (io_sockets.c). Any thread. */
int pc_io__udp_socket(const union pc_pkt_addr *local, union pc_pkt_addr *bound);

/* pc_io__addr_port / pc_io__addr_set_port - the port of an IPv4/IPv6 address, host order. */
static inline uint16_t pc_io__addr_port(const union pc_pkt_addr *a)
{
	return ntohs(a->sa.sa_family == AF_INET ? a->in4.sin_port : a->in6.sin6_port);
}

static inline void pc_io__addr_set_port(union pc_pkt_addr *a, uint16_t port)
{
	if (a->sa.sa_family == AF_INET)
		a->in4.sin_port = htons(port);
	else
		a->in6.sin6_port = htons(port);
}

#endif /* PC_IO_PVT_H */
