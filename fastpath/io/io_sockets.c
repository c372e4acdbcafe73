/* SPDX-License-Identifier: MIT */
/*
 * io_sockets.c - the sockets backend: one non-blocking UDP socket per port, readiness from a
 * level-triggered epoll set, datagrams in and out with recvmmsg/sendmmsg straight into and out
 * of packet buffers (no copy), and UDP GSO for runs of equal-sized datagrams to one peer.
 *
 * Receive: epoll_wait(0) fills a ready list only when the previous one is used up, and each
 * ready socket gets one recvmmsg per visit, in turn: a socket that still holds datagrams is
 * reported again by the level-triggered epoll, behind the others. With one or two ports each
 * is polled directly (one recvmmsg per port and call, no epoll_wait).
 * Send: consecutive packets leaving the same port go out in one sendmmsg; a run of same-sized
 * packets to the same peer is sent as one GSO message (UDP_SEGMENT) when gso is on. A send
 * that would block drops the rest of its batch (counted): the media loop never waits.
 */
#include <errno.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io_pvt.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

#define SOCK_READY_MAX 64
/* With this many ports or fewer, receive polls each socket with recvmmsg directly: one system
 * call per port and iteration instead of epoll_wait plus recvmmsg (a phone has one or two). */
#define SOCK_DIRECT_PORTS 2u
#define SOCK_RCVBUF (4 << 20)
#define SOCK_SNDBUF (4 << 20)
#define SOCK_GSO_MAX_SEGS 64
/* A GSO message is one UDP datagram to the stack before segmentation: its payload must fit
 * the 64 KiB IP limit (UDP length is 16 bits). */
#define SOCK_GSO_MAX_BYTES 60000u

struct sock_priv {
	int epfd;
	bool gso;	 /* off by configuration, or after the kernel refused a GSO send */
	bool nobuf;	 /* the last receive found the pool empty (sock_wait sleeps) */
	unsigned nready; /* ports in ready[] still to drain */
	unsigned cur;	 /* next ready[] entry */
	uint16_t ready[SOCK_READY_MAX];
	uint16_t direct[SOCK_DIRECT_PORTS]; /* the open ports while there are that few */
	unsigned ndirect;
	/* Receive scratch: message headers pointing into the packets being filled. */
	struct pc_pkt *rx_pkts[PC_IO_BURST_MAX];
	unsigned rx_have; /* buffers held in rx_pkts for the next receive */
	struct mmsghdr rx_msgs[PC_IO_BURST_MAX];
	struct iovec rx_iov[PC_IO_BURST_MAX];
	/* Send scratch. */
	struct mmsghdr tx_msgs[PC_IO_BURST_MAX];
	struct iovec tx_iov[PC_IO_BURST_MAX];
	char tx_cmsg[PC_IO_BURST_MAX][CMSG_SPACE(sizeof(uint16_t))];
};

int pc_io__udp_socket(const union pc_pkt_addr *local, union pc_pkt_addr *bound)
{
	socklen_t len = pc_io__addr_len(local);
	int fd, rc, one = 1, rcv = SOCK_RCVBUF, snd = SOCK_SNDBUF;

	fd = socket(local->sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Larger buffers ride out bursts while the loop is busy elsewhere; failure is fine. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd));
	if (local->sa.sa_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, &local->sa, len) < 0) {
		rc = -errno;
		goto out_close;
	}
	len = sizeof(*bound);
	if (getsockname(fd, &bound->sa, &len) < 0) {
		rc = -errno;
		goto out_close;
	}
	return fd;

out_close:
	close(fd);
	return rc;
}

static int sock_init(struct pc_io *io, char *why, size_t why_len)
{
	struct sock_priv *sp = calloc(1, sizeof(*sp));

	if (sp == NULL)
		return -ENOMEM;
	sp->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (sp->epfd < 0) {
		int rc = -errno;

		snprintf(why, why_len, "epoll_create1: %s", strerror(-rc));
		free(sp);
		return rc;
	}
	sp->gso = !io->conf.no_gso;
	io->priv = sp;
	return 0;
}

static void sock_fini(struct pc_io *io)
{
	struct sock_priv *sp = io->priv;

	pc_pkt_free_burst(io->cache, sp->rx_pkts, sp->rx_have);
	close(sp->epfd);
	free(sp);
	io->priv = NULL;
}

/*
 * Any thread: make and bind the socket, and register it with the epoll set already, with no
 * events: EPOLL_CTL_ADD allocates in the kernel, so it happens here and not on the media
 * thread; the epoll descriptor is set at init and never changes, and the kernel serialises
 * epoll_ctl against the owner's epoll_wait. Until adopt turns EPOLLIN on, the socket is
 * never reported (a UDP socket raises neither EPOLLERR nor EPOLLHUP); closing it (discard)
 * takes it out of the set.
 */
static int sock_port_prepare(struct pc_io *io, struct pc_io_port_prep *prep,
			     const union pc_pkt_addr *local)
{
	const struct sock_priv *sp = io->priv;
	struct epoll_event ev = { .events = 0, .data.u32 = 0 };
	int fd = pc_io__udp_socket(local, &prep->local);

	if (fd < 0)
		return fd;
	if (epoll_ctl(sp->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	prep->fd = fd;
	return 0;
}

/* Owning thread: report the socket under its port id from now on (EPOLL_CTL_MOD: no kernel
 * allocation; a datagram that came before is reported at once). */
static int sock_port_adopt(struct pc_io *io, struct pc_io_port *p,
			   const struct pc_io_port_prep *prep)
{
	struct sock_priv *sp = io->priv;
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = p->id };

	if (prep->fd < 0)
		return -EINVAL;
	if (epoll_ctl(sp->epfd, EPOLL_CTL_MOD, prep->fd, &ev) < 0)
		return -errno;
	p->fd = prep->fd;
	p->local = prep->local;
	if (io->nports < SOCK_DIRECT_PORTS) /* nports counts the others: this one is next */
		sp->direct[sp->ndirect++] = p->id;
	return 0;
}

/* After a close: list the remaining open ports again if they are now few enough. */
static void sock_rebuild_direct(struct pc_io *io, struct sock_priv *sp, uint16_t closing)
{
	sp->ndirect = 0;
	if (io->nports - 1 > SOCK_DIRECT_PORTS)
		return;
	for (uint32_t i = 0; i < io->conf.max_ports && sp->ndirect < io->nports - 1; i++)
		if (io->ports[i].id && io->ports[i].id != closing)
			sp->direct[sp->ndirect++] = io->ports[i].id;
}

static void sock_port_close(struct pc_io *io, struct pc_io_port *p)
{
	struct sock_priv *sp = io->priv;

	/* A closed port may still sit in the ready list: forget it there. */
	for (unsigned i = sp->cur; i < sp->nready; i++)
		if (sp->ready[i] == p->id)
			sp->ready[i] = 0;
	epoll_ctl(sp->epfd, EPOLL_CTL_DEL, p->fd, NULL);
	close(p->fd);
	sock_rebuild_direct(io, sp, p->id);
}

/* Refill the ready list from epoll without waiting. Returns how many ports are ready. */
static unsigned sock_poll_ready(struct sock_priv *sp)
{
	struct epoll_event ev[SOCK_READY_MAX];
	int k = epoll_wait(sp->epfd, ev, SOCK_READY_MAX, 0);

	sp->cur = 0;
	sp->nready = 0;
	for (int i = 0; i < k; i++)
		sp->ready[sp->nready++] = (uint16_t)ev[i].data.u32;
	return sp->nready;
}

/* Receive up to @want datagrams from @p into sp->rx_pkts; returns how many, or -errno. */
static int sock_recv_port(struct pc_io *io, struct sock_priv *sp, struct pc_io_port *p,
			  unsigned want)
{
	uint16_t room = (uint16_t)pc_pkt_pool_data_room(io->pool);
	int k;

	if (sp->rx_have < want)
		sp->rx_have += pc_pkt_alloc_burst(io->cache, sp->rx_pkts + sp->rx_have,
						  want - sp->rx_have);
	if (sp->rx_have < want)
		want = sp->rx_have;
	if (want == 0)
		return -ENOBUFS;
	for (unsigned i = 0; i < want; i++) {
		struct pc_pkt *pkt = sp->rx_pkts[i];

		sp->rx_iov[i].iov_base = pc_pkt_data(pkt);
		sp->rx_iov[i].iov_len = room;
		memset(&sp->rx_msgs[i].msg_hdr, 0, sizeof(sp->rx_msgs[i].msg_hdr));
		sp->rx_msgs[i].msg_hdr.msg_name = &pkt->peer;
		sp->rx_msgs[i].msg_hdr.msg_namelen = sizeof(pkt->peer);
		sp->rx_msgs[i].msg_hdr.msg_iov = &sp->rx_iov[i];
		sp->rx_msgs[i].msg_hdr.msg_iovlen = 1;
	}
	k = recvmmsg(p->fd, sp->rx_msgs, want, MSG_DONTWAIT, NULL);
	if (k < 0)
		return -errno;
	return k;
}

static unsigned sock_rx_burst(struct pc_io *io, struct pc_pkt **pkts, unsigned n)
{
	struct sock_priv *sp = io->priv;
	unsigned got = 0;
	bool polled = false;

	if (n > io->conf.burst)
		n = io->conf.burst;
	while (got < n) {
		struct pc_io_port *p;
		unsigned want = n - got;
		int k;

		if (sp->cur == sp->nready) {
			/* One epoll_wait per call at most: a port drained once is enough. With
			 * few ports, every one counts as ready and recvmmsg tells. */
			if (polled)
				break;
			polled = true;
			if (io->nports <= SOCK_DIRECT_PORTS) {
				memcpy(sp->ready, sp->direct, sp->ndirect * sizeof(uint16_t));
				sp->nready = sp->ndirect;
				sp->cur = 0;
			} else if (sock_poll_ready(sp) == 0) {
				break;
			}
			if (sp->nready == 0)
				break;
		}
		p = pc_io__port(io, sp->ready[sp->cur]);
		if (p == NULL) { /* closed since it was reported */
			sp->cur++;
			continue;
		}
		k = sock_recv_port(io, sp, p, want);
		if (k == -ENOBUFS) {
			io->st.rx_nobuf++;
			sp->nobuf = true;
			break; /* the pool is empty: the kernel keeps the datagrams queued */
		}
		if (k < 0) {
			if (k != -EAGAIN && k != -EWOULDBLOCK)
				io->st.rx_errors++;
			sp->cur++;
			continue;
		}
		/* Next port either way: level-triggered epoll reports a port that still holds
		 * datagrams again, behind the others, so one flooded port cannot starve the rest
		 * (with few ports, each is visited once per call). */
		sp->cur++;
		for (int i = 0; i < k; i++) {
			struct pc_pkt *pkt = sp->rx_pkts[i];
			struct msghdr *mh = &sp->rx_msgs[i].msg_hdr;

			if (pc_unlikely(mh->msg_flags & MSG_TRUNC)) {
				/* Larger than the data room: counted and dropped, never cut. */
				io->st.rx_errors++;
				pc_pkt_free(io->cache, pkt);
				continue;
			}
			pc_pkt_set_len(pkt, (uint16_t)sp->rx_msgs[i].msg_len);
			pkt->port = p->id;
			pkt->peer_len = mh->msg_namelen;
			io->st.rx_bytes += pkt->data_len;
			pkts[got++] = pkt;
		}
		/* Keep the unused buffers for the next receive, at the front. */
		memmove(sp->rx_pkts, sp->rx_pkts + k, (sp->rx_have - (unsigned)k) * sizeof(void *));
		sp->rx_have -= (unsigned)k;
	}
	io->st.rx_pkts += got;
	io->st.bufs_held = sp->rx_have;
	return got;
}

/* Send pkts[0..n) which all leave from port @p: build one message per datagram, or one GSO
 * message per run of equal-sized datagrams to the same peer. Frees all @n packets. */
static unsigned sock_send_port(struct pc_io *io, struct sock_priv *sp, struct pc_io_port *p,
			       struct pc_pkt **pkts, unsigned n)
{
	unsigned nmsg = 0, sent = 0, done = 0;
	unsigned first_pkt[PC_IO_BURST_MAX], npkts[PC_IO_BURST_MAX];

	for (unsigned i = 0; i < n;) {
		struct msghdr *mh = &sp->tx_msgs[nmsg].msg_hdr;
		unsigned run = 1;

		/* A run: same peer, same non-zero size, 64 KiB in all at most. */
		while (sp->gso && i + run < n && run < SOCK_GSO_MAX_SEGS &&
		       (run + 1) * (unsigned)pkts[i]->data_len <= SOCK_GSO_MAX_BYTES &&
		       pkts[i + run]->data_len == pkts[i]->data_len && pkts[i]->data_len > 0 &&
		       pc_pkt_addr_equal(&pkts[i + run]->peer, &pkts[i]->peer))
			run++;
		memset(mh, 0, sizeof(*mh));
		mh->msg_name = &pkts[i]->peer;
		mh->msg_namelen = pc_io__addr_len(&pkts[i]->peer);
		mh->msg_iov = &sp->tx_iov[i];
		mh->msg_iovlen = run;
		for (unsigned j = 0; j < run; j++) {
			sp->tx_iov[i + j].iov_base = pc_pkt_data(pkts[i + j]);
			sp->tx_iov[i + j].iov_len = pkts[i + j]->data_len;
		}
		if (run > 1) {
			struct cmsghdr *cm;

			mh->msg_control = sp->tx_cmsg[nmsg];
			mh->msg_controllen = sizeof(sp->tx_cmsg[nmsg]);
			cm = CMSG_FIRSTHDR(mh);
			cm->cmsg_level = SOL_UDP;
			cm->cmsg_type = UDP_SEGMENT;
			cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
			memcpy(CMSG_DATA(cm), &pkts[i]->data_len, sizeof(uint16_t));
		}
		first_pkt[nmsg] = i;
		npkts[nmsg] = run;
		nmsg++;
		i += run;
	}

	while (done < nmsg) {
		int k = sendmmsg(p->fd, sp->tx_msgs + done, nmsg - done, MSG_DONTWAIT);

		if (k > 0) {
			for (int m = 0; m < k; m++) {
				unsigned msg = done + (unsigned)m;

				sent += npkts[msg];
				for (unsigned j = 0; j < npkts[msg]; j++)
					io->st.tx_bytes += pkts[first_pkt[msg] + j]->data_len;
			}
			done += (unsigned)k;
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
			/* Socket buffer full: the rest of this batch is dropped, not waited for. */
			for (unsigned m = done; m < nmsg; m++)
				io->st.tx_drops += npkts[m];
			break;
		}
		if (npkts[done] > 1 && (errno == EINVAL || errno == EIO || errno == EMSGSIZE)) {
			/* The kernel refuses GSO here (segments larger than the route's MTU
			 * allows, no UDP GSO on its device): turn it off for this instance and
			 * send the rest one datagram per message; that call frees them. */
			unsigned first = first_pkt[done];

			sp->gso = false;
			sent += sock_send_port(io, sp, p, pkts + first, n - first);
			pc_pkt_free_burst(io->cache, pkts, first);
			return sent;
		}
		/* The first message failed (unreachable peer, bad address): skip it. */
		io->st.tx_errors += npkts[done];
		done++;
	}
	pc_pkt_free_burst(io->cache, pkts, n);
	return sent;
}

static unsigned sock_tx_burst(struct pc_io *io, struct pc_pkt **pkts, unsigned n)
{
	struct sock_priv *sp = io->priv;
	unsigned sent = 0;

	while (n > 0) {
		uint16_t port = pkts[0]->port;
		struct pc_io_port *p = pc_io__port(io, port);
		unsigned run = 1, limit = n < PC_IO_BURST_MAX ? n : PC_IO_BURST_MAX;

		while (run < limit && pkts[run]->port == port)
			run++;
		if (p == NULL) {
			io->st.tx_errors += run;
			pc_pkt_free_burst(io->cache, pkts, run);
		} else {
			sent += sock_send_port(io, sp, p, pkts, run);
		}
		pkts += run;
		n -= run;
	}
	io->st.tx_pkts += sent;
	return sent;
}

static void sock_flush(struct pc_io *io)
{
	(void)io; /* every send went out in tx_burst */
}

static void sock_wait(struct pc_io *io, uint64_t timeout_ns)
{
	struct sock_priv *sp = io->priv;
	struct epoll_event ev;
	struct timespec ts = { .tv_sec = (time_t)(timeout_ns / 1000000000u),
			       .tv_nsec = (long)(timeout_ns % 1000000000u) };

	/* With the pool empty, ports stay ready (the kernel keeps the datagrams): epoll would
	 * return at once, so sleep the tick out instead of spinning. */
	if (sp->nobuf || io->nports == 0) {
		sp->nobuf = false;
		(void)clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
		return;
	}
	if (sp->cur < sp->nready)
		return; /* ports reported ready are still to drain */
	/* Level-triggered: the port stays reported, and the next rx_burst finds it. Kernels
	 * before 5.11 have no epoll_pwait2: milliseconds, rounded up. */
	if (epoll_pwait2(sp->epfd, &ev, 1, &ts, NULL) < 0 && errno == ENOSYS)
		(void)epoll_wait(sp->epfd, &ev, 1, (int)((timeout_ns + 999999u) / 1000000u));
}

const struct pc_io_ops pc_io_sockets_ops = {
	.name = "sockets",
	.init = sock_init,
	.fini = sock_fini,
	.prepare_binds = 1,
	.port_prepare = sock_port_prepare,
	.port_adopt = sock_port_adopt,
	.port_close = sock_port_close,
	.rx_burst = sock_rx_burst,
	.tx_burst = sock_tx_burst,
	.flush = sock_flush,
	.wait = sock_wait,
};
