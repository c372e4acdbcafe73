/* SPDX-License-Identifier: MIT */
/*
 * io_uring.c - the io_uring backend: multishot recvmsg into a provided-buffer ring made of the
 * packet pool's own buffers (the kernel writes each datagram straight into a pool buffer, no
 * copy); sends queued as SQEs and submitted together, one io_uring_enter per loop iteration.
 *
 * Receive. One provided-buffer ring (io_uring_register_buf_ring(3)) of nbufs pool buffers,
 * buffer id = a slot of our own table (slot[bid] -> packet), so any pool size works (buffer ids
 * are 16 bits, pool indices are not). A multishot recvmsg writes struct io_uring_recvmsg_out,
 * then msg_namelen bytes of source address, then the payload (io_uring_prep_recvmsg_multishot(3)),
 * so each buffer is posted URING_RX_HDR bytes before pc_pkt_data(): the header and the name land
 * in the headroom and the payload exactly where the packet's data starts. One multishot per
 * open port, user_data = (port id, generation). A completion moves the packet to a FIFO (rxq)
 * and empties its slot; the slot gets a fresh pool buffer when rx_burst hands the packet over.
 * So the kernel holds at most nbufs buffers, undelivered packets hold their slots (a consumer
 * that stops reading runs the ring dry and the kernel leaves datagrams in the socket, as with
 * the sockets backend), and the CQ can always be reaped whole: send completions are never stuck
 * behind receive completions.
 *
 * Send. tx_burst turns each packet into an SQE, freed at its completion: IORING_OP_SEND with
 * the destination in the SQE (kernel 6.1; sendmsg before), SEND_ZC from a size threshold (off
 * by default: on loopback the kernel copies anyway, and it costs more, see uring_zc_min()), and
 * a run of equal-sized datagrams to one peer as one UDP GSO sendmsg, as the sockets backend
 * does. flush (or rx_burst) submits them all in one io_uring_enter.
 *
 * Entering the kernel. The ring runs with IORING_SETUP_DEFER_TASKRUN where the kernel takes
 * it: completions are produced only when this thread asks for them (io_uring_enter with
 * GETEVENTS), never by interrupting it. With IORING_SETUP_TASKRUN_FLAG the kernel also raises
 * IORING_SQ_TASKRUN in the shared SQ flags when such work is pending, so an idle poll costs a
 * memory read, not a system call: the loop enters the kernel only when there is something to
 * submit or to complete, and then once for both (io_uring_submit_and_get_events). Measured
 * (io_uring_stress): an idle rx_burst + flush costs about 20 ns, against some 550 ns for the
 * sockets backend's epoll_wait; a ring whose task work interrupts the thread (neither
 * DEFER_TASKRUN nor COOP_TASKRUN) takes 17 us for a ping-pong round trip against 10 us.
 *
 * Thread. IORING_SETUP_SINGLE_ISSUER binds the ring to one task: the ring is created disabled
 * and enabled by the first rx_burst/tx_burst/flush, i.e. by the media thread, whichever thread
 * created the backend. Ports opened before that queue their receives until then.
 */
#include <errno.h>
#include <liburing.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "io_pvt.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

#define URING_BGID 0					      /* the one buffer group */
#define URING_NAMELEN ((unsigned)sizeof(struct sockaddr_in6)) /* room for either family */
/* What a multishot recvmsg writes before the payload (no control data is asked for). */
#define URING_RX_HDR ((unsigned)sizeof(struct io_uring_recvmsg_out) + URING_NAMELEN)
#define URING_RX_BUFS_MAX 1024u /* buffers lent to the kernel at most */
#define URING_SQ_MIN 256u
/* An idle rx_burst that sees nothing pending enters the kernel anyway once in this many calls:
 * IORING_SQ_TASKRUN is the only readiness signal, and this bounds what a missed one costs. */
#define URING_IDLE_ENTER_EVERY 64u
#define URING_DRAIN_NS 1000000000ull /* fini waits this long for in-flight operations */
#define URING_SELFTEST_NS 1000000000ull
#define URING_GSO_SEGS 64u     /* datagrams per GSO send at most (the kernel takes 64 or more) */
#define URING_GSO_BYTES 65000u /* a GSO send is one UDP datagram for the stack: under 64 KiB */
/* Larger datagrams go one by one: a GSO segment must fit the path MTU (a 1500-byte MTU leaves
 * 1452 bytes of UDP payload over IPv6), or the kernel refuses the send and GSO goes off. */
#define URING_GSO_SEG_MAX 1400u

_Static_assert(URING_RX_HDR <= PC_PKT_HEADROOM_MIN, "recvmsg header and name fit the headroom");

/* user_data: kind in the top two bits. Receive: port id and generation; send: tx slot. */
#define UD_SHIFT 62
#define UD_OTHER 0ull /* cancels, self-test */
#define UD_RECV 1ull
#define UD_SEND 2ull
#define UD_GSO 3ull

enum uring_port_state {
	UP_IDLE,  /* closed */
	UP_ARM,	  /* open, its multishot receive to be (re)queued */
	UP_ARMED, /* its multishot receive is queued or in the kernel */
};

struct uring_port {
	uint32_t gen;	/* bumped at close: CQEs with an older one belong to a closed port */
	uint8_t state;	/* enum uring_port_state */
	uint8_t listed; /* on the arm list */
	uint16_t pad;
};

/* One datagram's send in flight. */
struct uring_tx {
	struct pc_pkt *pkt; /* NULL: slot free */
	struct msghdr msg;  /* sendmsg (kernels before 6.1): stays put until the CQE */
	struct iovec iov;
};

/* A GSO send in flight: a run of equal-sized datagrams to one peer as one sendmsg with
 * UDP_SEGMENT (the kernel cuts it into datagrams); message, iovecs and control data stay put
 * until the CQE. */
struct uring_gso {
	uint32_t n;   /* packets; 0: slot free */
	uint32_t gen; /* of the port it leaves from, to resend one by one (see uring_gso_cqe) */
	uint16_t port;
	uint16_t pad;
	struct msghdr msg;
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		size_t align; /* a cmsghdr's alignment (not the struct: it ends in a flexible
			       * array, which may not sit inside another struct) */
	} cmsg;
	struct iovec iov[URING_GSO_SEGS];
	struct pc_pkt *pkts[URING_GSO_SEGS];
};

struct uring_priv {
	struct io_uring ring;
	unsigned ring_ok;     /* ring set up (io_uring_queue_exit owed) */
	unsigned setup_flags; /* IORING_SETUP_* the kernel took */
	unsigned enabled;     /* the media thread has made its first call */
	unsigned idle;	      /* empty rx polls since the kernel was last entered */
	unsigned cancel_all;  /* a port's cancel found no SQE: cancel everything, re-arm */
	unsigned stopping;    /* fini: arm nothing */
	uint32_t sq_entries;
	uint32_t zc_min; /* SEND_ZC from this many bytes; 0: never */
	uint32_t room;	 /* payload bytes per buffer: the pool's data room */

	/* Receive. */
	struct io_uring_buf_ring *br;
	size_t br_bytes;
	uint32_t nbufs;	      /* entries, a power of two */
	uint32_t br_pending;  /* entries added since the tail was last published */
	struct pc_pkt **slot; /* by buffer id: the packet lent to the kernel, or NULL */
	uint16_t *empty;      /* buffer ids without a packet (a stack) */
	uint32_t nempty;
	struct pc_pkt **rxq; /* received, not yet delivered; nbufs entries */
	uint32_t rxq_head;   /* free-running; slot = index & (nbufs - 1) */
	uint32_t rxq_tail;
	struct msghdr rx_msg; /* the multishot template: only the name length counts */

	/* Ports. */
	struct uring_port *ports; /* max_ports */
	uint16_t *arm;		  /* ports waiting for a multishot receive (a stack) */
	uint32_t narm;
	uint32_t armed; /* multishot receives queued or in the kernel */

	/* Send. */
	struct uring_tx *tx;
	uint32_t *tx_free; /* free tx slots (a stack) */
	uint32_t ntx;
	uint32_t ntx_free;
	struct uring_gso *gso;
	uint32_t *gso_free; /* free GSO slots (a stack) */
	uint32_t ngso;
	uint32_t ngso_free;
	uint32_t gso_pkts;  /* packets in GSO sends in flight */
	unsigned gso_on;    /* off by configuration, or once the kernel refused a GSO send */
	unsigned send_addr; /* IORING_OP_SEND takes a destination (6.1): no msghdr to copy */
};

static const unsigned uring_flag_sets[] = {
	IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_COOP_TASKRUN |
		IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_SUBMIT_ALL,
	IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG |
		IORING_SETUP_SUBMIT_ALL,
	IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_SUBMIT_ALL,
	IORING_SETUP_SUBMIT_ALL,
	0,
};

static uint64_t ud_recv(uint16_t id, uint32_t gen)
{
	return UD_RECV << UD_SHIFT | (uint64_t)gen << 16 | id;
}

static uint32_t pow2_floor(uint32_t v)
{
	uint32_t p = 1;

	while (p * 2 <= v)
		p *= 2;
	return p;
}

static uint32_t pow2_ceil(uint32_t v)
{
	uint32_t p = 1;

	while (p < v)
		p *= 2;
	return p;
}

static uint64_t uring_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* pc_io_stats.bufs_held: lent to the kernel, received and not yet delivered, being sent. */
static void uring_account(struct pc_io *io, const struct uring_priv *u)
{
	io->st.bufs_held = (u->nbufs - u->nempty) + (u->rxq_tail - u->rxq_head) +
			   (u->ntx - u->ntx_free) + u->gso_pkts;
}

/* --- buffers lent to the kernel ------------------------------------------------------------- */

/* Lend @pkt (empty, data at the headroom) as buffer @bid: the recvmsg header and the source
 * address go just before the data, the payload at pc_pkt_data(). Published by uring_br_commit. */
static void uring_post(struct io_uring_buf_ring *br, uint32_t nbufs, uint32_t *pending,
		       struct pc_pkt *pkt, uint16_t bid, uint32_t room)
{
	io_uring_buf_ring_add(br, pc_pkt_data(pkt) - URING_RX_HDR, URING_RX_HDR + room, bid,
			      io_uring_buf_ring_mask(nbufs), (int)*pending);
	(*pending)++;
}

static void uring_br_commit(struct uring_priv *u)
{
	/* io_uring_buf_ring_advance() stores the tail with release: the entries written above
	 * are visible to the kernel before it can see them counted. */
	if (u->br_pending) {
		io_uring_buf_ring_advance(u->br, (int)u->br_pending);
		u->br_pending = 0;
	}
}

/* Give a fresh pool buffer to every empty slot not spoken for by an undelivered packet (each
 * packet in rxq emptied one slot: refilling it waits until the packet is handed over, so the
 * kernel plus rxq never hold more than nbufs buffers). */
static void uring_refill(struct pc_io *io, struct uring_priv *u)
{
	uint32_t want = u->nempty - (u->rxq_tail - u->rxq_head);
	struct pc_pkt *fresh[PC_IO_BURST_MAX];

	while (want > 0) {
		unsigned k = want < PC_IO_BURST_MAX ? want : PC_IO_BURST_MAX;
		unsigned got = pc_pkt_alloc_burst(io->cache, fresh, k);

		for (unsigned i = 0; i < got; i++) {
			uint16_t bid = u->empty[--u->nempty];

			u->slot[bid] = fresh[i];
			uring_post(u->br, u->nbufs, &u->br_pending, fresh[i], bid, u->room);
		}
		want -= got;
		if (got < k)
			break; /* the pool is short: the next rx_burst tries again */
	}
	uring_br_commit(u);
}

/* --- sends ---------------------------------------------------------------------------------- */

/* How many of pkts[0..n) go as one GSO send: same port, peer and size, within the limits. */
static unsigned uring_gso_run(const struct uring_priv *u, struct pc_pkt **pkts, unsigned n)
{
	const struct pc_pkt *a = pkts[0];
	unsigned run = 1;

	if (!u->gso_on || a->data_len == 0 || a->data_len > URING_GSO_SEG_MAX)
		return 1;
	while (run < n && run < URING_GSO_SEGS && (run + 1) * a->data_len <= URING_GSO_BYTES &&
	       pkts[run]->port == a->port && pkts[run]->data_len == a->data_len &&
	       pc_pkt_addr_equal(&pkts[run]->peer, &a->peer))
		run++;
	return run;
}

static void uring_send_one(struct pc_io *io, struct uring_priv *u, int fd, struct pc_pkt *pkt,
			   unsigned alen)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
	uint32_t slot = u->tx_free[--u->ntx_free];
	struct uring_tx *t = &u->tx[slot];

	t->pkt = pkt;
	if (u->zc_min != 0 && pkt->data_len >= u->zc_min) {
		io->st.tx_zc++;
		io_uring_prep_send_zc(sqe, fd, pc_pkt_data(pkt), pkt->data_len, 0, 0);
		io_uring_prep_send_set_addr(sqe, &pkt->peer.sa, (uint16_t)alen);
	} else if (u->send_addr) {
		io_uring_prep_send(sqe, fd, pc_pkt_data(pkt), pkt->data_len, 0);
		io_uring_prep_send_set_addr(sqe, &pkt->peer.sa, (uint16_t)alen);
	} else {
		t->iov.iov_base = pc_pkt_data(pkt);
		t->iov.iov_len = pkt->data_len;
		t->msg.msg_name = &pkt->peer;
		t->msg.msg_namelen = alen;
		io_uring_prep_sendmsg(sqe, fd, &t->msg, 0);
	}
	io_uring_sqe_set_data64(sqe, UD_SEND << UD_SHIFT | slot);
}

static void uring_send_gso(struct uring_priv *u, int fd, struct pc_pkt **pkts, unsigned run,
			   unsigned alen)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
	uint32_t slot = u->gso_free[--u->ngso_free];
	struct uring_gso *g = &u->gso[slot];
	uint16_t seg = pkts[0]->data_len;
	struct cmsghdr *cm;

	for (unsigned j = 0; j < run; j++) {
		g->pkts[j] = pkts[j];
		g->iov[j].iov_base = pc_pkt_data(pkts[j]);
		g->iov[j].iov_len = seg;
	}
	g->n = run;
	g->port = pkts[0]->port;
	g->gen = u->ports[g->port - 1].gen;
	u->gso_pkts += run;
	g->msg.msg_name = &pkts[0]->peer;
	g->msg.msg_namelen = alen;
	g->msg.msg_iov = g->iov;
	g->msg.msg_iovlen = run;
	g->msg.msg_control = g->cmsg.buf;
	g->msg.msg_controllen = sizeof(g->cmsg.buf);
	cm = CMSG_FIRSTHDR(&g->msg);
	cm->cmsg_level = SOL_UDP;
	cm->cmsg_type = UDP_SEGMENT;
	cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
	memcpy(CMSG_DATA(cm), &seg, sizeof(seg));
	/* Plain, even above the zero-copy threshold: SENDMSG_ZC with UDP_SEGMENT fails with
	 * -EMSGSIZE here (kernel 6.18, loopback). */
	io_uring_prep_sendmsg(sqe, fd, &g->msg, 0);
	io_uring_sqe_set_data64(sqe, UD_GSO << UD_SHIFT | slot);
}

/* --- completions ---------------------------------------------------------------------------- */

static void uring_arm_later(struct uring_priv *u, uint16_t id)
{
	struct uring_port *up = &u->ports[id - 1];

	up->state = UP_ARM;
	if (!up->listed) {
		up->listed = 1;
		u->arm[u->narm++] = id;
	}
}

/*
 * Parse what a multishot recvmsg wrote into @pkt's buffer (@res bytes from the header): set the
 * data length and the peer. Returns 0, or -EMSGSIZE when the datagram was larger than the data
 * room (MSG_TRUNC: the kernel cut it and dropped the rest), -EBADMSG when the result is short.
 */
static int uring_rx_parse(struct pc_pkt *pkt, int res, struct msghdr *tmpl)
{
	struct io_uring_recvmsg_out *o;
	unsigned namelen;

	o = io_uring_recvmsg_validate(pc_pkt_data(pkt) - URING_RX_HDR, res, tmpl);
	if (pc_unlikely(o == NULL))
		return -EBADMSG;
	if (pc_unlikely(o->flags & MSG_TRUNC))
		return -EMSGSIZE;
	namelen = o->namelen < URING_NAMELEN ? o->namelen : URING_NAMELEN;
	memcpy(&pkt->peer, io_uring_recvmsg_name(o), namelen);
	pkt->peer_len = namelen;
	return pc_pkt_set_len(pkt, (uint16_t)io_uring_recvmsg_payload_length(o, res, tmpl));
}

static void uring_rx_cqe(struct pc_io *io, struct uring_priv *u, const struct io_uring_cqe *cqe)
{
	uint16_t id = (uint16_t)cqe->user_data;
	uint32_t gen = (uint32_t)(cqe->user_data >> 16);
	struct pc_io_port *p = pc_io__port(io, id);
	bool live = p != NULL && u->ports[id - 1].gen == gen;
	struct pc_pkt *pkt;
	uint16_t bid;

	if (!(cqe->flags & IORING_CQE_F_MORE)) {
		/* The multishot has ended: cancelled, out of buffers (-ENOBUFS), CQ overflow or an
		 * error (io_uring_prep_recvmsg_multishot(3)). A live port gets a new one. */
		u->armed--;
		if (live && !u->stopping)
			uring_arm_later(u, id);
	}
	if (!(cqe->flags & IORING_CQE_F_BUFFER)) {
		if (cqe->res == -ENOBUFS)
			io->st.rx_nobuf++;
		else if (cqe->res < 0 && cqe->res != -ECANCELED)
			io->st.rx_errors++;
		return;
	}
	bid = (uint16_t)(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
	pkt = bid < u->nbufs ? u->slot[bid] : NULL;
	if (pc_unlikely(pkt == NULL)) { /* a buffer id we did not lend: cannot happen */
		io->st.rx_errors++;
		return;
	}
	if (pc_unlikely(!live || cqe->res < 0)) {
		/* A closed port's datagram (before its cancel took effect): lend the buffer again. */
		uring_post(u->br, u->nbufs, &u->br_pending, pkt, bid, u->room);
		return;
	}
	if (pc_unlikely(uring_rx_parse(pkt, cqe->res, &u->rx_msg) < 0)) {
		/* Larger than the data room: counted and dropped, never cut; buffer lent again. */
		io->st.rx_errors++;
		uring_post(u->br, u->nbufs, &u->br_pending, pkt, bid, u->room);
		return;
	}
	pkt->port = id;
	pkt->udata32 = gen; /* ours until delivered: tells whether the port closed meanwhile */
	u->slot[bid] = NULL;
	u->empty[u->nempty++] = bid;
	u->rxq[u->rxq_tail++ & (u->nbufs - 1)] = pkt;
}

/* A send's CQE; returns true when its packets may go back to the pool. */
static bool uring_send_cqe(struct pc_io *io, const struct io_uring_cqe *cqe, uint32_t npkts)
{
	/* A zero-copy send's second CQE: the kernel has let go of the buffer
	 * (io_uring_prep_send_zc(3)); now it may go back to the pool. */
	if (cqe->flags & IORING_CQE_F_NOTIF)
		return true;
	if (cqe->res >= 0) {
		io->st.tx_pkts += npkts;
		io->st.tx_bytes += (uint32_t)cqe->res;
	} else {
		io->st.tx_errors += npkts;
	}
	return !(cqe->flags & IORING_CQE_F_MORE); /* zero-copy: a notification follows */
}

static void uring_tx_cqe(struct pc_io *io, struct uring_priv *u, const struct io_uring_cqe *cqe)
{
	uint32_t slot = (uint32_t)cqe->user_data;

	if (pc_unlikely(slot >= u->ntx || u->tx[slot].pkt == NULL))
		return; /* cannot happen */
	if (uring_send_cqe(io, cqe, 1)) {
		pc_pkt_free(io->cache, u->tx[slot].pkt);
		u->tx[slot].pkt = NULL;
		u->tx_free[u->ntx_free++] = slot;
	}
}

/* The kernel refused a GSO send (-EINVAL: segments larger than the route's MTU allows; -EIO:
 * no UDP GSO on the device; -EMSGSIZE): GSO goes off for this instance, as in the sockets
 * backend, and the run's datagrams go again one by one (or are counted as errors when there
 * is no room left or their port has closed). */
static void uring_gso_refused(struct pc_io *io, struct uring_priv *u, struct uring_gso *g)
{
	struct pc_io_port *p = pc_io__port(io, g->port);
	bool live = p != NULL && u->ports[g->port - 1].gen == g->gen;

	u->gso_on = 0;
	for (uint32_t j = 0; j < g->n; j++) {
		if (live && u->ntx_free > 0 && io_uring_sq_space_left(&u->ring) > 0) {
			uring_send_one(io, u, p->fd, g->pkts[j], g->msg.msg_namelen);
			continue;
		}
		io->st.tx_errors++;
		pc_pkt_free(io->cache, g->pkts[j]);
	}
}

static void uring_gso_cqe(struct pc_io *io, struct uring_priv *u, const struct io_uring_cqe *cqe)
{
	uint32_t slot = (uint32_t)cqe->user_data;
	struct uring_gso *g = &u->gso[slot];

	if (pc_unlikely(slot >= u->ngso || g->n == 0))
		return; /* cannot happen */
	if (pc_unlikely(cqe->res == -EINVAL || cqe->res == -EIO || cqe->res == -EMSGSIZE)) {
		uring_gso_refused(io, u, g);
	} else if (!uring_send_cqe(io, cqe, g->n)) {
		return;
	} else {
		pc_pkt_free_burst(io->cache, g->pkts, g->n);
	}
	u->gso_pkts -= g->n;
	g->n = 0;
	u->gso_free[u->ngso_free++] = slot;
}

/* Handle every CQE there is: receives go to rxq (bounded by nbufs), sends are freed. */
static void uring_reap(struct pc_io *io, struct uring_priv *u)
{
	struct io_uring_cqe *cqe;
	unsigned head, seen = 0;

	io_uring_for_each_cqe(&u->ring, head, cqe)
	{
		switch (cqe->user_data >> UD_SHIFT) {
		case UD_RECV:
			uring_rx_cqe(io, u, cqe);
			break;
		case UD_SEND:
			uring_tx_cqe(io, u, cqe);
			break;
		case UD_GSO:
			uring_gso_cqe(io, u, cqe);
			break;
		default: /* cancels: their targets report for themselves */
			break;
		}
		seen++;
	}
	io_uring_cq_advance(&u->ring, seen);
	uring_br_commit(u);
}

/* --- submission ----------------------------------------------------------------------------- */

/* Queue a multishot receive for every port waiting for one. */
static void uring_arm(struct pc_io *io, struct uring_priv *u)
{
	/* With no buffer lent the receive would end at once with -ENOBUFS: wait for a refill. */
	if (u->stopping || u->nempty == u->nbufs)
		return;
	while (u->narm > 0) {
		uint16_t id = u->arm[u->narm - 1];
		struct uring_port *up = &u->ports[id - 1];
		struct pc_io_port *p = pc_io__port(io, id);

		if (p != NULL && up->state == UP_ARM) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);

			if (sqe == NULL)
				return; /* SQ full: after this submit */
			io_uring_prep_recvmsg_multishot(sqe, p->fd, &u->rx_msg, 0);
			sqe->flags |= IOSQE_BUFFER_SELECT;
			sqe->buf_group = URING_BGID;
			io_uring_sqe_set_data64(sqe, ud_recv(id, up->gen));
			up->state = UP_ARMED;
			u->armed++;
		}
		up->listed = 0;
		u->narm--;
	}
}

/* Anything for the kernel to do: SQEs to submit or receives to arm, or completion work it has
 * flagged (IORING_SQ_TASKRUN with TASKRUN_FLAG; IORING_SQ_CQ_OVERFLOW: CQEs wait in the kernel's
 * overflow list and come back on the next enter). */
static bool uring_should_enter(struct uring_priv *u)
{
	unsigned kflags = IO_URING_READ_ONCE(*u->ring.sq.kflags);

	return io_uring_sq_ready(&u->ring) > 0 || u->cancel_all ||
	       (u->narm > 0 && u->nempty < u->nbufs) ||
	       (kflags & (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW));
}

/* One system call: submit what is queued and run the completion work, then reap. */
static void uring_enter(struct pc_io *io, struct uring_priv *u)
{
	uring_arm(io, u);
	if (pc_unlikely(u->cancel_all)) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);

		if (sqe != NULL) {
			/* Every multishot ends (-ECANCELED) and the live ones are re-armed. */
			io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY);
			io_uring_sqe_set_data64(sqe, UD_OTHER);
			u->cancel_all = 0;
		}
	}
	u->idle = 0;
	/* Errors here (-EINTR, -EAGAIN, -EBUSY while the CQ overflows) are transient: what was
	 * not submitted stays in the SQ and goes with the next call. */
	(void)io_uring_submit_and_get_events(&u->ring);
	uring_reap(io, u);
}

static pc_cold void uring_enable(struct uring_priv *u)
{
	/* IORING_SETUP_SINGLE_ISSUER: the task that enables a ring created disabled is its only
	 * submitter (io_uring_setup(2)). That is the media thread, on its first call here. */
	/* liburing 2.3 declares io_uring_enable_rings() but does not export it: the raw call. */
	if (u->setup_flags & IORING_SETUP_R_DISABLED)
		(void)io_uring_register(u->ring.ring_fd, IORING_REGISTER_ENABLE_RINGS, NULL, 0);
	u->enabled = 1;
}

/* --- ops ------------------------------------------------------------------------------------ */

static unsigned uring_rx_burst(struct pc_io *io, struct pc_pkt **pkts, unsigned n)
{
	struct uring_priv *u = io->priv;
	uint32_t mask = u->nbufs - 1;
	uint64_t bytes = 0;
	unsigned got = 0;

	if (pc_unlikely(!u->enabled))
		uring_enable(u);
	if (n > io->conf.burst)
		n = io->conf.burst;
	if (u->rxq_tail == u->rxq_head) {
		if (uring_should_enter(u) || ++u->idle >= URING_IDLE_ENTER_EVERY)
			uring_enter(io, u);
		else
			uring_reap(io, u); /* without DEFER_TASKRUN, CQEs also come on their own */
	}
	while (got < n && u->rxq_head != u->rxq_tail) {
		struct pc_pkt *pkt = u->rxq[u->rxq_head++ & mask];

		if (pc_unlikely(u->ports[pkt->port - 1].gen != pkt->udata32)) {
			/* Its port closed after the kernel received it: lost with the port, as
			 * what sits in a socket's buffer is when the socket closes. */
			pc_pkt_free(io->cache, pkt);
			continue;
		}
		bytes += pkt->data_len;
		pkts[got++] = pkt;
	}
	io->st.rx_pkts += got;
	io->st.rx_bytes += bytes;
	if (u->nempty > u->rxq_tail - u->rxq_head)
		uring_refill(io, u);
	uring_account(io, u);
	return got;
}

/* An SQE and a free slot of the kind asked for; one enter (submit, reap) per tx_burst may be
 * spent making room. */
static bool uring_tx_room(struct pc_io *io, struct uring_priv *u, bool gso, bool *retried)
{
	for (;;) {
		if (io_uring_sq_space_left(&u->ring) > 0 && (gso ? u->ngso_free : u->ntx_free) > 0)
			return true;
		if (*retried)
			return false;
		*retried = true;
		uring_enter(io, u);
	}
}

static unsigned uring_tx_burst(struct pc_io *io, struct pc_pkt **pkts, unsigned n)
{
	struct uring_priv *u = io->priv;
	unsigned queued = 0;
	bool retried = false;

	if (pc_unlikely(!u->enabled))
		uring_enable(u);
	for (unsigned i = 0; i < n;) {
		struct pc_pkt *pkt = pkts[i];
		struct pc_io_port *p = pc_io__port(io, pkt->port);
		unsigned alen = pc_io__addr_len(&pkt->peer), run;

		if (pc_unlikely(p == NULL || alen == 0)) {
			io->st.tx_errors++;
			pc_pkt_free(io->cache, pkt);
			i++;
			continue;
		}
		/* A run of equal-sized datagrams to one peer is one SQE (UDP GSO), as in the
		 * sockets backend; without a free GSO slot, one by one. */
		run = uring_gso_run(u, pkts + i, n - i);
		if (run > 1 && !uring_tx_room(io, u, true, &retried))
			run = 1;
		if (run == 1 && !uring_tx_room(io, u, false, &retried)) {
			io->st.tx_drops += n - i;
			pc_pkt_free_burst(io->cache, pkts + i, n - i);
			break;
		}
		if (run > 1)
			uring_send_gso(u, p->fd, pkts + i, run, alen);
		else
			uring_send_one(io, u, p->fd, pkt, alen);
		queued += run;
		i += run;
	}
	uring_account(io, u);
	return queued;
}

static void uring_flush(struct pc_io *io)
{
	struct uring_priv *u = io->priv;

	if (pc_unlikely(!u->enabled))
		uring_enable(u);
	if (uring_should_enter(u))
		uring_enter(io, u);
	else if (io_uring_cq_ready(&u->ring) > 0)
		uring_reap(io, u); /* rings without DEFER_TASKRUN complete on their own */
	uring_account(io, u);
}

/* Sleep in the kernel until a completion (a datagram, a send done) or the timeout: one
 * io_uring_enter with IORING_ENTER_GETEVENTS and a timeout argument, which also runs the
 * deferred completion work. */
static void uring_wait(struct pc_io *io, uint64_t timeout_ns)
{
	struct uring_priv *u = io->priv;
	struct io_uring_cqe *cqe;
	struct __kernel_timespec ts = { .tv_sec = (long long)(timeout_ns / 1000000000u),
					.tv_nsec = (long long)(timeout_ns % 1000000000u) };

	if (pc_unlikely(!u->enabled))
		uring_enable(u);
	if (u->rxq_tail != u->rxq_head || io_uring_cq_ready(&u->ring) > 0 || u->cancel_all) {
		uring_enter(io, u);
		return;
	}
	uring_arm(io, u);
	(void)io_uring_submit_and_wait_timeout(&u->ring, &cqe, 1, &ts, NULL);
	u->idle = 0;
	uring_reap(io, u);
	uring_account(io, u);
}

/* Any thread: make and bind the socket; nothing of the ring is touched. */
static int uring_port_prepare(struct pc_io *io, struct pc_io_port_prep *prep,
			      const union pc_pkt_addr *local)
{
	int fd = pc_io__udp_socket(local, &prep->local);

	(void)io;
	if (fd < 0)
		return fd;
	prep->fd = fd;
	return 0;
}

/* Owning thread: take the socket; no system call. */
static int uring_port_adopt(struct pc_io *io, struct pc_io_port *p,
			    const struct pc_io_port_prep *prep)
{
	struct uring_priv *u = io->priv;

	if (prep->fd < 0)
		return -EINVAL;
	p->fd = prep->fd;
	p->local = prep->local;
	/* Armed by the next fast-path call, on the media thread (see uring_enable). */
	uring_arm_later(u, p->id);
	return 0;
}

static void uring_port_close(struct pc_io *io, struct pc_io_port *p)
{
	struct uring_priv *u = io->priv;
	struct uring_port *up = &u->ports[p->id - 1];

	if (up->state == UP_ARMED) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);

		if (sqe == NULL && u->enabled) {
			(void)io_uring_submit(&u->ring);
			sqe = io_uring_get_sqe(&u->ring);
		}
		if (sqe != NULL) {
			io_uring_prep_cancel64(sqe, ud_recv(p->id, up->gen), 0);
			io_uring_sqe_set_data64(sqe, UD_OTHER);
		} else {
			u->cancel_all = 1;
		}
	}
	up->state = UP_IDLE;
	up->gen++; /* what is still in flight for it is now a closed port's */
	/* Submit now: queued sends still name this descriptor, and the multishot holds a
	 * reference to the socket (the port stays bound) until its cancellation completes. On
	 * another thread than the ring's submitter this fails (-EEXIST) and waits for the media
	 * thread's next call. */
	if (u->enabled && io_uring_submit_and_get_events(&u->ring) >= 0)
		uring_reap(io, u);
	close(p->fd);
	uring_account(io, u);
}

/* Cancel everything in flight and wait (bounded) for the last CQE, so that the statistics are
 * complete and the kernel has let go of every buffer it was lent or given to send. */
static void uring_drain(struct pc_io *io, struct uring_priv *u)
{
	uint64_t deadline = uring_now_ns() + URING_DRAIN_NS;
	struct io_uring_sqe *sqe;

	u->stopping = 1;
	sqe = io_uring_get_sqe(&u->ring);
	if (sqe == NULL) {
		(void)io_uring_submit(&u->ring);
		sqe = io_uring_get_sqe(&u->ring);
	}
	if (sqe != NULL) {
		io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY);
		io_uring_sqe_set_data64(sqe, UD_OTHER);
	}
	while ((u->armed > 0 || u->ntx_free < u->ntx || u->ngso_free < u->ngso) &&
	       uring_now_ns() < deadline) {
		struct __kernel_timespec ts = { .tv_sec = 0, .tv_nsec = 10 * 1000 * 1000 };
		struct io_uring_cqe *cqe;
		int rc = io_uring_submit(&u->ring);

		if (rc == -EEXIST || rc == -EBADFD)
			break; /* not the submitter thread: io_uring_queue_exit cancels for us */
		rc = io_uring_wait_cqe_timeout(&u->ring, &cqe, &ts);
		if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY)
			break;
		uring_reap(io, u);
	}
}

/* Close the ring and give back every packet still held. Once io_uring_queue_exit() has closed
 * the ring the kernel touches none of them: the ring's references are killed at close and task
 * work of a dying ring only fails requests (io_should_terminate_tw()). */
static void uring_release(struct pc_io *io, struct uring_priv *u)
{
	if (u->ring_ok)
		io_uring_queue_exit(&u->ring);
	for (uint32_t b = 0; u->slot != NULL && b < u->nbufs; b++)
		if (u->slot[b] != NULL)
			pc_pkt_free(io->cache, u->slot[b]);
	while (u->rxq != NULL && u->rxq_head != u->rxq_tail)
		pc_pkt_free(io->cache, u->rxq[u->rxq_head++ & (u->nbufs - 1)]);
	for (uint32_t i = 0; u->tx != NULL && i < u->ntx; i++)
		if (u->tx[i].pkt != NULL)
			pc_pkt_free(io->cache, u->tx[i].pkt);
	for (uint32_t i = 0; u->gso != NULL && i < u->ngso; i++)
		pc_pkt_free_burst(io->cache, u->gso[i].pkts, u->gso[i].n);
	if (u->br != NULL)
		munmap(u->br, u->br_bytes);
	free(u->slot);
	free(u->empty);
	free(u->rxq);
	free(u->ports);
	free(u->arm);
	free(u->tx);
	free(u->tx_free);
	free(u->gso);
	free(u->gso_free);
	free(u);
}

static void uring_fini(struct pc_io *io)
{
	struct uring_priv *u = io->priv;

	if (u->enabled)
		uring_drain(io, u);
	uring_release(io, u);
	io->priv = NULL;
	io->st.bufs_held = 0;
}

/* --- init ----------------------------------------------------------------------------------- */

static struct io_uring_buf_ring *uring_br_map(uint32_t entries, size_t *bytes)
{
	void *m;

	*bytes = (size_t)entries * sizeof(struct io_uring_buf);
	*bytes = (*bytes + 4095) & ~(size_t)4095;
	m = mmap(NULL, *bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	io_uring_buf_ring_init(m);
	return m;
}

static int uring_br_register(struct io_uring *ring, struct io_uring_buf_ring *br, uint32_t entries)
{
	struct io_uring_buf_reg reg = {
		.ring_addr = (uintptr_t)br,
		.ring_entries = entries,
		.bgid = URING_BGID,
	};

	return io_uring_register_buf_ring(ring, &reg, 0);
}

/* SEND_ZC from this many bytes when the configuration (pc_io_conf.uring_zc_min) or
 * PC_IO_URING_ZC_MIN says so; off by default. Measured here
 * for 1200-byte datagrams on loopback (io_uring_stress::send_zero_copy_1200_bytes): 16-25%
 * fewer per second than plain sends, because loopback delivery copies the pages anyway (every
 * notification says IORING_NOTIF_USAGE_ZC_COPIED) and zero copy adds page pinning and a second
 * CQE. It can pay off only on a device that sends from the pages, for large datagrams. */
static uint32_t uring_zc_min(void)
{
	const char *s = getenv("PC_IO_URING_ZC_MIN");
	long v = s != NULL ? strtol(s, NULL, 10) : 0;

	return v > 0 && v <= UINT16_MAX ? (uint32_t)v : 0;
}

struct uring_selftest {
	struct io_uring ring;
	struct io_uring_buf_ring *br;
	size_t br_bytes;
	struct pc_pkt *pkts[4];
	int fd;
	unsigned flags; /* out: the IORING_SETUP_* set the kernel took */
	bool zc;	/* in: try zero-copy sends; out: they work */
	bool send_addr; /* out: IORING_OP_SEND takes a destination address */
};

/* Wait (bounded by @deadline) for the self-test's next CQE and copy it to @out. */
static int uring_selftest_cqe(struct uring_selftest *t, uint64_t deadline, struct io_uring_cqe *out)
{
	for (;;) {
		struct __kernel_timespec ts = { .tv_sec = 0, .tv_nsec = 50 * 1000 * 1000 };
		struct io_uring_cqe *cqe;
		int rc = io_uring_wait_cqe_timeout(&t->ring, &cqe, &ts);

		if (rc == 0) {
			*out = *cqe;
			io_uring_cqe_seen(&t->ring, cqe);
			return 0;
		}
		if (rc != -ETIME && rc != -EINTR)
			return rc;
		if (uring_now_ns() > deadline)
			return -ETIMEDOUT;
	}
}

/* Check the self-test datagram a receive CQE reports. */
static int uring_selftest_recv(struct uring_selftest *t, const struct io_uring_cqe *c,
			       struct msghdr *rx_msg, const union pc_pkt_addr *bound,
			       const void *msg, size_t len, char *why, size_t why_len)
{
	struct pc_pkt *pkt;

	if (c->res == -EINVAL) {
		snprintf(why, why_len, "multishot recvmsg refused (kernel before 6.0?)");
		return -ENOTSUP;
	}
	if (c->res < 0 || !(c->flags & IORING_CQE_F_BUFFER) || !(c->flags & IORING_CQE_F_MORE)) {
		snprintf(why, why_len,
			 "self-test: multishot recvmsg gave res %d flags %#x, not a datagram with "
			 "more to come",
			 c->res, c->flags);
		return -ENOTSUP;
	}
	pkt = t->pkts[(c->flags >> IORING_CQE_BUFFER_SHIFT) & 3];
	if (uring_rx_parse(pkt, c->res, rx_msg) < 0 || pkt->data_len != len ||
	    memcmp(pc_pkt_data(pkt), msg, len) != 0 || pkt->peer.sa.sa_family != AF_INET ||
	    pkt->peer.in4.sin_port != bound->in4.sin_port) {
		snprintf(why, why_len,
			 "self-test: the datagram did not land where the packet's data is");
		return -EIO;
	}
	return 0;
}

/*
 * The self-test, on a ring of its own: a multishot recvmsg into a provided-buffer ring of pool
 * buffers on a UDP socket bound to 127.0.0.1, a sendmsg from the socket to itself; the datagram
 * must land at pc_pkt_data() with the right source and the multishot must stay armed; then a
 * cancel must end it. Optional: IORING_OP_SEND with a destination address (kernel 6.1), and
 * with t->zc a SEND_ZC; their results go to t->send_addr and t->zc.
 */
static int uring_selftest_run(struct pc_io *io, struct uring_selftest *t, char *why, size_t why_len)
{
	static const char msg[] = "phonecore io_uring self-test";
	union pc_pkt_addr lo = { .in4 = { .sin_family = AF_INET,
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) } };
	union pc_pkt_addr bound;
	struct msghdr rx_msg = { .msg_namelen = URING_NAMELEN };
	struct msghdr tx_msg = { 0 };
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = sizeof(msg) };
	uint64_t deadline = uring_now_ns() + URING_SELFTEST_NS;
	unsigned need_recv = t->zc ? 3 : 2, need_send = 2, need_zc = t->zc ? 1 : 0, need_notif = 0;
	unsigned pending = 0;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe c;
	int rc;

	t->br = uring_br_map(4, &t->br_bytes);
	if (t->br == NULL) {
		snprintf(why, why_len, "cannot map a buffer ring");
		return -ENOMEM;
	}
	rc = uring_br_register(&t->ring, t->br, 4);
	if (rc < 0) {
		snprintf(why, why_len, "provided buffer rings refused (kernel before 5.19?): %s",
			 strerror(-rc));
		return rc == -EINVAL ? -ENOTSUP : rc;
	}
	if (pc_pkt_alloc_burst(io->cache, t->pkts, 4) != 4) {
		snprintf(why, why_len, "the pool is empty");
		return -ENOBUFS;
	}
	for (uint16_t i = 0; i < 4; i++)
		uring_post(t->br, 4, &pending, t->pkts[i], i, pc_pkt_pool_data_room(io->pool));
	io_uring_buf_ring_advance(t->br, (int)pending);

	t->fd = pc_io__udp_socket(&lo, &bound);
	if (t->fd < 0) {
		snprintf(why, why_len, "self-test socket on 127.0.0.1: %s", strerror(-t->fd));
		return t->fd;
	}
	tx_msg.msg_name = &bound;
	tx_msg.msg_namelen = sizeof(bound.in4);
	tx_msg.msg_iov = &iov;
	tx_msg.msg_iovlen = 1;
	sqe = io_uring_get_sqe(&t->ring);
	io_uring_prep_recvmsg_multishot(sqe, t->fd, &rx_msg, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = URING_BGID;
	io_uring_sqe_set_data64(sqe, 1);
	sqe = io_uring_get_sqe(&t->ring);
	io_uring_prep_sendmsg(sqe, t->fd, &tx_msg, 0);
	io_uring_sqe_set_data64(sqe, 2);
	sqe = io_uring_get_sqe(&t->ring);
	io_uring_prep_send(sqe, t->fd, msg, sizeof(msg), 0);
	io_uring_prep_send_set_addr(sqe, &bound.sa, sizeof(bound.in4));
	io_uring_sqe_set_data64(sqe, 5);
	if (t->zc) {
		sqe = io_uring_get_sqe(&t->ring);
		io_uring_prep_send_zc(sqe, t->fd, msg, sizeof(msg), 0, 0);
		io_uring_prep_send_set_addr(sqe, &bound.sa, sizeof(bound.in4));
		io_uring_sqe_set_data64(sqe, 3);
	}
	rc = io_uring_submit(&t->ring);
	while (rc >= 0 && need_recv + need_send + need_zc + need_notif > 0) {
		rc = uring_selftest_cqe(t, deadline, &c);
		if (rc < 0 && need_send == 0 && need_zc + need_notif > 0) {
			t->zc = false; /* only the zero-copy send is missing: do without */
			rc = 0;
			break;
		}
		if (rc < 0)
			break;
		if (c.user_data == 1) {
			rc = uring_selftest_recv(t, &c, &rx_msg, &bound, msg, sizeof(msg), why,
						 why_len);
			if (rc < 0)
				return rc;
			need_recv--;
		} else if (c.user_data == 2) {
			if (c.res != (int)sizeof(msg)) {
				snprintf(why, why_len, "self-test: sendmsg gave %d", c.res);
				return c.res < 0 ? c.res : -EIO;
			}
			need_send--;
		} else if (c.user_data == 5) {
			/* Before 6.1 the kernel refuses an address with IORING_OP_SEND (-EINVAL). */
			t->send_addr = c.res == (int)sizeof(msg);
			need_recv -= t->send_addr ? 0 : 1;
			need_send--;
		} else if (c.user_data == 3 && (c.flags & IORING_CQE_F_NOTIF)) {
			need_notif--;
		} else if (c.user_data == 3) {
			need_zc--;
			need_notif += (c.flags & IORING_CQE_F_MORE) ? 1 : 0;
			if (c.res < 0) {
				t->zc = false; /* refused here: plain sends only */
				need_recv--;
			}
		}
	}
	if (rc < 0) {
		snprintf(why, why_len, "self-test: no datagram through the loopback: %s",
			 strerror(-rc));
		return rc;
	}
	/* Cancel the multishot: its last CQE (-ECANCELED, no F_MORE) and the cancel's own. */
	sqe = io_uring_get_sqe(&t->ring);
	io_uring_prep_cancel64(sqe, 1, 0);
	io_uring_sqe_set_data64(sqe, 4);
	rc = io_uring_submit(&t->ring);
	for (unsigned left = 2; rc >= 0 && left > 0; left--)
		rc = uring_selftest_cqe(t, deadline, &c);
	if (rc < 0) {
		snprintf(why, why_len, "self-test: cancelling the multishot recvmsg: %s",
			 strerror(-rc));
		return rc;
	}
	return 0;
}

/* Try the flag sets from the most to the least capable; the self-test runs on the first one the
 * kernel takes, which the real ring then uses (t->flags). */
static int uring_selftest(struct pc_io *io, struct uring_selftest *t, char *why, size_t why_len)
{
	struct io_uring_probe *probe;
	struct io_uring_params prm;
	int rc = -EINVAL;

	for (unsigned i = 0; i < sizeof(uring_flag_sets) / sizeof(uring_flag_sets[0]); i++) {
		memset(&prm, 0, sizeof(prm));
		prm.flags = uring_flag_sets[i];
		rc = io_uring_queue_init_params(8, &t->ring, &prm);
		if (rc != -EINVAL) {
			t->flags = uring_flag_sets[i];
			break;
		}
	}
	if (rc < 0) {
		snprintf(why, why_len, "io_uring_setup: %s", strerror(-rc));
		return rc == -ENOSYS || rc == -EPERM ? -ENOTSUP : rc;
	}
	probe = io_uring_get_probe_ring(&t->ring);
	if (probe == NULL) {
		snprintf(why, why_len, "cannot probe io_uring opcodes (kernel before 5.6)");
		rc = -ENOTSUP;
		goto out_exit;
	}
	if (!io_uring_opcode_supported(probe, IORING_OP_RECVMSG) ||
	    !io_uring_opcode_supported(probe, IORING_OP_SENDMSG) ||
	    !io_uring_opcode_supported(probe, IORING_OP_ASYNC_CANCEL)) {
		snprintf(why, why_len, "the kernel lacks io_uring recvmsg, sendmsg or cancel");
		rc = -ENOTSUP;
	} else if (!(prm.features & IORING_FEAT_FAST_POLL) ||
		   !(prm.features & IORING_FEAT_EXT_ARG)) {
		snprintf(why, why_len, "the kernel lacks io_uring fast poll (kernel before 5.11)");
		rc = -ENOTSUP;
	} else {
		t->zc = t->zc && io_uring_opcode_supported(probe, IORING_OP_SEND_ZC);
		rc = uring_selftest_run(io, t, why, why_len);
	}
	io_uring_free_probe(probe);
out_exit:
	/* The ring first: after it the kernel holds none of the buffers or the socket. */
	io_uring_queue_exit(&t->ring);
	if (t->fd >= 0)
		close(t->fd);
	for (unsigned i = 0; i < 4; i++)
		if (t->pkts[i] != NULL)
			pc_pkt_free(io->cache, t->pkts[i]);
	if (t->br != NULL)
		munmap(t->br, t->br_bytes);
	return rc;
}

static int uring_alloc(struct pc_io *io, struct uring_priv *u)
{
	/* Sends wait in the SQ from tx_burst to flush: room for a few bursts. A send holds its
	 * tx slot until its completion is reaped, usually at the same flush. */
	u->sq_entries =
		pow2_ceil(4 * io->conf.burst > URING_SQ_MIN ? 4 * io->conf.burst : URING_SQ_MIN);
	u->ntx = 2 * u->sq_entries;
	u->ngso = u->sq_entries / 4;
	u->slot = calloc(u->nbufs, sizeof(*u->slot));
	u->empty = calloc(u->nbufs, sizeof(*u->empty));
	u->rxq = calloc(u->nbufs, sizeof(*u->rxq));
	u->ports = calloc(io->conf.max_ports, sizeof(*u->ports));
	u->arm = calloc(io->conf.max_ports, sizeof(*u->arm));
	u->tx = calloc(u->ntx, sizeof(*u->tx));
	u->tx_free = calloc(u->ntx, sizeof(*u->tx_free));
	u->gso = calloc(u->ngso, sizeof(*u->gso));
	u->gso_free = calloc(u->ngso, sizeof(*u->gso_free));
	if (!u->slot || !u->empty || !u->rxq || !u->ports || !u->arm || !u->tx || !u->tx_free ||
	    !u->gso || !u->gso_free)
		return -ENOMEM;
	for (uint32_t i = 0; i < u->ngso; i++)
		u->gso_free[u->ngso_free++] = u->ngso - 1 - i;
	for (uint32_t b = 0; b < u->nbufs; b++)
		u->empty[u->nempty++] = (uint16_t)(u->nbufs - 1 - b);
	for (uint32_t i = 0; i < u->ntx; i++) {
		u->tx[i].msg.msg_iov = &u->tx[i].iov;
		u->tx[i].msg.msg_iovlen = 1;
		u->tx_free[u->ntx_free++] = u->ntx - 1 - i;
	}
	u->rx_msg.msg_namelen = URING_NAMELEN;
	return 0;
}

static int uring_init(struct pc_io *io, char *why, size_t why_len)
{
	struct io_uring_params prm = { 0 };
	struct uring_priv *u;
	struct uring_selftest t = { .fd = -1 };
	uint32_t cq;
	int rc;

	if (io->conf.force_fallback) {
		snprintf(why, why_len, "forced by configuration");
		return -ENOTSUP;
	}
	/* A quarter of the pool (at most URING_RX_BUFS_MAX) is lent to the kernel. */
	if (io->conf.pkts / 4 < 2) {
		snprintf(why, why_len, "a pool of %u packets is too small to lend to the kernel",
			 io->conf.pkts);
		return -ENOBUFS;
	}
	u = calloc(1, sizeof(*u));
	if (u == NULL)
		return -ENOMEM;
	u->nbufs = pow2_floor(io->conf.pkts / 4 < URING_RX_BUFS_MAX ? io->conf.pkts / 4 :
								      URING_RX_BUFS_MAX);
	u->room = pc_pkt_pool_data_room(io->pool);
	u->zc_min =
		io->conf.uring_zc_min ?
			(io->conf.uring_zc_min <= UINT16_MAX ? io->conf.uring_zc_min : UINT16_MAX) :
			uring_zc_min();
	u->gso_on = !io->conf.no_gso;
	rc = uring_alloc(io, u);
	if (rc < 0)
		goto out_release;

	t.zc = u->zc_min != 0;
	rc = uring_selftest(io, &t, why, why_len);
	if (rc < 0)
		goto out_release;
	u->setup_flags = t.flags;
	u->send_addr = t.send_addr;
	if (!t.zc)
		u->zc_min = 0;

	/* The CQ holds a CQE per lent buffer, two per send (zero-copy), and a last one per port's
	 * multishot; more only overflows into the kernel's list (IORING_FEAT_NODROP). */
	cq = pow2_ceil(u->nbufs + 2 * (u->ntx + u->ngso) +
		       (io->conf.max_ports < 1024 ? io->conf.max_ports : 1024) + 64);
	prm.flags = u->setup_flags | IORING_SETUP_CQSIZE;
	if (u->setup_flags & IORING_SETUP_SINGLE_ISSUER)
		prm.flags |= IORING_SETUP_R_DISABLED; /* enabled by the media thread */
	prm.cq_entries = cq;
	rc = io_uring_queue_init_params(u->sq_entries, &u->ring, &prm);
	if (rc < 0) {
		snprintf(why, why_len, "io_uring_setup(%u, cq %u): %s", u->sq_entries, cq,
			 strerror(-rc));
		goto out_release;
	}
	u->ring_ok = 1;
	u->setup_flags = prm.flags;
	u->br = uring_br_map(u->nbufs, &u->br_bytes);
	if (u->br == NULL) {
		rc = -ENOMEM;
		goto out_release;
	}
	rc = uring_br_register(&u->ring, u->br, u->nbufs);
	if (rc < 0) {
		snprintf(why, why_len, "io_uring_register_buf_ring(%u): %s", u->nbufs,
			 strerror(-rc));
		goto out_release;
	}
	uring_refill(io, u);
	if (u->nempty == u->nbufs) {
		snprintf(why, why_len, "the pool is empty");
		rc = -ENOBUFS;
		goto out_release;
	}
	io->priv = u;
	uring_account(io, u);
	return 0;

out_release:
	uring_release(io, u);
	return rc;
}

const struct pc_io_ops pc_io_uring_ops = {
	.name = "uring",
	.init = uring_init,
	.fini = uring_fini,
	.prepare_binds = 1,
	.port_prepare = uring_port_prepare,
	.port_adopt = uring_port_adopt,
	.port_close = uring_port_close,
	.rx_burst = uring_rx_burst,
	.tx_burst = uring_tx_burst,
	.flush = uring_flush,
	.wait = uring_wait,
};
