/* SPDX-License-Identifier: MIT */
/*
 * io.c - the generic I/O layer: picks the backend, owns the pool and the port table, checks
 * arguments, and hands the fast-path calls to the backend's ops.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io_pvt.h"

static const char *const backend_names[PC_IO_BACKENDS] = {
	[PC_IO_SOCKETS] = "sockets",
	[PC_IO_URING] = "uring",
	[PC_IO_DPDK] = "dpdk",
};

static const struct pc_io_ops *const backend_ops[PC_IO_BACKENDS] = {
	[PC_IO_SOCKETS] = &pc_io_sockets_ops,
	[PC_IO_URING] = &pc_io_uring_ops,
	[PC_IO_DPDK] = &pc_io_dpdk_ops,
};

const char *pc_io_backend_name(enum pc_io_backend b)
{
	return b < PC_IO_BACKENDS ? backend_names[b] : "?";
}

int pc_io_backend_parse(const char *name, enum pc_io_backend *b)
{
	for (unsigned i = 0; i < PC_IO_BACKENDS; i++) {
		if (strcmp(name, backend_names[i]) == 0) {
			*b = (enum pc_io_backend)i;
			return 0;
		}
	}
	return -EINVAL;
}

enum pc_io_backend pc_io_backend(const struct pc_io *io)
{
	return io->backend;
}

struct pc_pkt_pool *pc_io_pool(const struct pc_io *io)
{
	return io->pool;
}

struct pc_pkt_cache *pc_io_cache(const struct pc_io *io)
{
	return io->cache;
}

uint32_t pc_io_max_ports(const struct pc_io *io)
{
	return io->conf.max_ports;
}

/* Start backend @b; on failure *@why says why (the caller prints one line). */
static int start_backend(struct pc_io *io, enum pc_io_backend b, char *why, size_t why_len)
{
	int rc;

	why[0] = '\0';
	io->backend = b;
	io->ops = backend_ops[b];
	rc = io->ops->init(io, why, why_len);
	if (rc < 0 && why[0] == '\0')
		snprintf(why, why_len, "%s", strerror(-rc));
	return rc;
}

int pc_io_create(struct pc_io **out, const struct pc_io_conf *conf)
{
	struct pc_pkt_pool_params pp = { 0 };
	char why[256];
	struct pc_io *io;
	int rc;

	if (out == NULL || conf == NULL || conf->backend >= PC_IO_BACKENDS ||
	    conf->burst > PC_IO_BURST_MAX || conf->max_ports > PC_IO_PORTS_MAX) {
		fprintf(stderr,
			"phonecore io: bad configuration (backend, burst <= %u, ports <= "
			"%u)\n",
			PC_IO_BURST_MAX, PC_IO_PORTS_MAX);
		return -EINVAL;
	}
	io = calloc(1, sizeof(*io));
	if (io == NULL)
		return -ENOMEM;
	io->conf = *conf;
	if (io->conf.pkts == 0)
		io->conf.pkts = 8192;
	if (io->conf.max_ports == 0)
		io->conf.max_ports = 1024;
	if (io->conf.burst == 0)
		io->conf.burst = 32;

	io->ports = calloc(io->conf.max_ports, sizeof(*io->ports));
	if (io->ports == NULL) {
		rc = -ENOMEM;
		goto out_free_io;
	}
	for (uint32_t i = 0; i < io->conf.max_ports; i++)
		io->ports[i].fd = -1;

	/* The DPDK backend brings its own pool (mbufs are the buffers) from init. */
	if (conf->backend != PC_IO_DPDK) {
		pp.name = "io";
		pp.count = io->conf.pkts;
		rc = pc_pkt_pool_create(&io->pool, &pp);
		if (rc < 0) {
			fprintf(stderr, "phonecore io: cannot create a pool of %u packets: %s\n",
				io->conf.pkts, strerror(-rc));
			goto out_free_ports;
		}
		rc = pc_pkt_cache_attach(io->pool, &io->cache);
		if (rc < 0)
			goto out_free_pool;
	}

	rc = start_backend(io, conf->backend, why, sizeof(why));
	if (rc < 0 && conf->backend == PC_IO_URING && !conf->no_fallback) {
		fprintf(stderr,
			"phonecore io: io_uring unavailable (%s): falling back to sockets\n", why);
		rc = start_backend(io, PC_IO_SOCKETS, why, sizeof(why));
	}
	if (rc < 0) {
		fprintf(stderr, "phonecore io: backend %s cannot start: %s\n",
			pc_io_backend_name(io->backend), why);
		goto out_free_pool;
	}
	*out = io;
	return 0;

out_free_pool:
	if (io->cache != NULL)
		pc_pkt_cache_detach(io->cache);
	pc_pkt_pool_destroy(io->pool);
out_free_ports:
	free(io->ports);
out_free_io:
	free(io);
	return rc;
}

void pc_io_destroy(struct pc_io *io)
{
	if (io == NULL)
		return;
	for (uint32_t i = 0; i < io->conf.max_ports; i++)
		if (io->ports[i].id)
			pc_io_port_close(io, io->ports[i].id);
	io->ops->fini(io);
	if (io->backend != PC_IO_DPDK) {
		pc_pkt_cache_detach(io->cache);
		pc_pkt_pool_destroy(io->pool);
	}
	free(io->ports);
	free(io);
}

int pc_io_port_prepare(struct pc_io *io, const union pc_pkt_addr *local,
		       struct pc_io_port_prep *prep)
{
	int rc;

	if (prep == NULL)
		return -EINVAL;
	memset(prep, 0, sizeof(*prep));
	prep->fd = -1;
	if (io == NULL || local == NULL || pc_io__addr_len(local) == 0)
		return -EINVAL;
	/* Only what never changes after pc_io_create() is read here: ops, conf, priv. */
	prep->io = io;
	rc = io->ops->port_prepare(io, prep, local);
	if (rc < 0) {
		prep->io = NULL;
		prep->fd = -1;
	}
	return rc;
}

int pc_io_port_prepare_next(struct pc_io *io, const struct pc_io_port_prep *rtp,
			    struct pc_io_port_prep *prep)
{
	union pc_pkt_addr a;
	uint16_t port;
	int rc;

	if (prep != NULL) {
		memset(prep, 0, sizeof(*prep));
		prep->fd = -1;
	}
	if (rtp == NULL || rtp->io != io || prep == NULL)
		return -EINVAL;
	a = rtp->local;
	port = pc_io__addr_port(&a);
	if (!io->ops->prepare_binds || port == 0 || port == UINT16_MAX) {
		/* The RTP port is not decided yet (dpdk), or has no successor: adopt decides
		 * (dpdk), or any port will do. */
		pc_io__addr_set_port(&a, 0);
		rc = pc_io_port_prepare(io, &a, prep);
		if (rc == 0 && !io->ops->prepare_binds && port != UINT16_MAX)
			prep->flags |= PC_IO_PREP_F_NEXT;
		return rc;
	}
	pc_io__addr_set_port(&a, (uint16_t)(port + 1));
	rc = pc_io_port_prepare(io, &a, prep);
	if (rc != -EADDRINUSE)
		return rc;
	pc_io__addr_set_port(&a, 0);
	return pc_io_port_prepare(io, &a, prep);
}

void pc_io_port_discard(struct pc_io_port_prep *prep)
{
	if (prep == NULL || prep->io == NULL)
		return;
	if (prep->fd >= 0)
		close(prep->fd); /* sockets: its epoll registration goes with it */
	memset(prep, 0, sizeof(*prep));
	prep->fd = -1;
}

/* Owning thread: the port table is its own, so the slot is chosen here, at adopt. */
static int port_adopt(struct pc_io *io, struct pc_io_port_prep *prep, union pc_pkt_addr *bound)
{
	struct pc_io_port *p = NULL;
	int rc;

	if (prep == NULL || prep->io != io)
		return -EINVAL;
	if (io->nports == io->conf.max_ports)
		return -EMFILE;
	for (uint32_t k = 0; k < io->conf.max_ports; k++) {
		uint32_t i = (io->next_hint + k) % io->conf.max_ports;

		if (io->ports[i].id == 0) {
			p = &io->ports[i];
			break;
		}
	}
	p->id = (uint16_t)(p - io->ports + 1);
	rc = io->ops->port_adopt(io, p, prep);
	if (rc < 0) {
		memset(p, 0, sizeof(*p));
		p->fd = -1;
		return rc;
	}
	io->next_hint = p->id; /* the slot after this one (ids are index + 1) */
	io->nports++;
	if (bound != NULL)
		*bound = p->local;
	/* The socket is the port's now. */
	memset(prep, 0, sizeof(*prep));
	prep->fd = -1;
	return p->id;
}

int pc_io_port_adopt(struct pc_io *io, struct pc_io_port_prep *prep, union pc_pkt_addr *bound)
{
	if (prep != NULL && (prep->flags & PC_IO_PREP_F_NEXT))
		return -EINVAL; /* needs the port it follows: pc_io_port_adopt_next */
	return port_adopt(io, prep, bound);
}

int pc_io_port_adopt_next(struct pc_io *io, struct pc_io_port_prep *prep, uint16_t after,
			  union pc_pkt_addr *bound)
{
	struct pc_io_port *a;
	uint16_t port;
	int rc;

	if (prep == NULL || !(prep->flags & PC_IO_PREP_F_NEXT))
		return port_adopt(io, prep, bound);
	a = pc_io__port(io, after);
	if (a == NULL || prep->io != io)
		return -EINVAL;
	/* dpdk: the port after @after's when it is free, else any (port 0). The prepared port
	 * holds no resource, so trying an address changes nothing until adopt succeeds. */
	port = pc_io__addr_port(&a->local);
	if (port != 0 && port != UINT16_MAX) {
		pc_io__addr_set_port(&prep->local, (uint16_t)(port + 1));
		rc = port_adopt(io, prep, bound);
		if (rc != -EADDRINUSE)
			return rc;
	}
	pc_io__addr_set_port(&prep->local, 0);
	return port_adopt(io, prep, bound);
}

int pc_io_port_open(struct pc_io *io, const union pc_pkt_addr *local, union pc_pkt_addr *bound)
{
	struct pc_io_port_prep prep;
	int rc;

	if (local == NULL || pc_io__addr_len(local) == 0)
		return -EINVAL;
	/* Full table: say so before making a socket for nothing. */
	if (io->nports == io->conf.max_ports)
		return -EMFILE;
	rc = pc_io_port_prepare(io, local, &prep);
	if (rc < 0)
		return rc;
	rc = pc_io_port_adopt(io, &prep, bound);
	if (rc < 0)
		pc_io_port_discard(&prep);
	return rc;
}

int pc_io_port_close(struct pc_io *io, uint16_t port)
{
	struct pc_io_port *p = pc_io__port(io, port);

	if (p == NULL)
		return -ENOENT;
	io->ops->port_close(io, p);
	memset(p, 0, sizeof(*p));
	p->fd = -1;
	io->nports--;
	return 0;
}

unsigned pc_io_rx_burst(struct pc_io *io, struct pc_pkt **pkts, unsigned n)
{
	return io->ops->rx_burst(io, pkts, n);
}

unsigned pc_io_tx_burst(struct pc_io *io, struct pc_pkt **pkts, unsigned n)
{
	return io->ops->tx_burst(io, pkts, n);
}

void pc_io_flush(struct pc_io *io)
{
	io->ops->flush(io);
}

void pc_io_wait(struct pc_io *io, uint64_t timeout_ns)
{
	io->ops->wait(io, timeout_ns);
}

void pc_io_get_stats(const struct pc_io *io, struct pc_io_stats *st)
{
	*st = io->st;
}
